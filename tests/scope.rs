//! Reading only the accounts and regions asked for (issue 22, item 3): `--accounts` and
//! `--regions` on a simulated organisation trail (three accounts, two of them under an
//! organisation folder, two regions). A filtered run over the whole tree writes the bytes
//! a run over only the asked folders writes; the other accounts' and regions' folders
//! are not walked (a broken file there is never reported); records of a joined file
//! outside the layout are filtered by their account and region.

mod common;

use common::trailsight;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const WARMUP: [&str; 2] = ["--warmup-days", "5"];

struct History {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

/// The simulated organisation, written once per test binary.
fn history() -> &'static History {
    static HISTORY: OnceLock<History> = OnceLock::new();
    HISTORY.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("sim");
        let args = ["--days", "8", "--accounts", "3", "--regions", "2", "--scale", "0.02", "--delivery-minutes", "240", "--quiet-days", "6", "--no-malformed"];
        trailsight().arg("simulate").arg("--out").arg(&root).args(args).assert().success();
        History { _dir: dir, root }
    })
}

/// `(account, its folder)` for every account folder of the layout, in walk order.
fn accounts(root: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("AWSLogs")).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("o-") {
            found.extend(accounts_in(&dir));
        } else {
            found.push((name, dir));
        }
    }
    found
}

fn accounts_in(org: &Path) -> Vec<(String, PathBuf)> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(org).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    dirs.into_iter().map(|d| (d.file_name().unwrap().to_string_lossy().to_string(), d)).collect()
}

fn detect(paths: &[&Path], extra: &[&str]) -> (Vec<u8>, String) {
    let out = trailsight().arg("detect").args(paths).args(WARMUP).args(extra).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A copy of the history with a broken delivery file and an unreadable folder in each
/// of `others` (account folders) and a broken file named for `other_account` outside
/// the layout: a run that opened any of them would report it.
fn spoiled(others: &[PathBuf], other_account: &str, region: &str) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp").arg("-a").arg(&history().root).arg(copy.path()).status().unwrap();
    assert!(status.success());
    let root = copy.path().join("sim");
    for other in others {
        let moved = root.join(other.strip_prefix(&history().root).unwrap());
        let day = moved.join(format!("CloudTrail/{region}/2026/01/07"));
        std::fs::create_dir_all(&day).unwrap();
        let account = moved.file_name().unwrap().to_string_lossy().to_string();
        std::fs::write(day.join(format!("{account}_CloudTrail_{region}_20260107T0000Z_broken.json.gz")), b"\x1f\x8b\x08\x00broken").unwrap();
        std::os::unix::fs::symlink(root.join("no-such-folder"), day.join("dangling")).unwrap();
    }
    std::fs::create_dir_all(root.join("exports")).unwrap();
    std::fs::write(root.join(format!("exports/{other_account}_CloudTrail_{region}_20260107T0000Z_x.json.gz")), b"not gzip").unwrap();
    copy
}

#[test]
fn issue22_accounts_reads_only_the_asked_accounts_folders() {
    let all = accounts(&history().root);
    assert_eq!(all.len(), 3, "{all:?}");
    let (asked, asked_dir) = &all[1];
    let others: Vec<PathBuf> = all.iter().filter(|(a, _)| a != asked).map(|(_, d)| d.clone()).collect();
    let (alone, _) = detect(&[asked_dir], &[]);
    assert!(!alone.is_empty(), "the asked account has insights to compare");

    let copy = spoiled(&others, &all[0].0, "us-east-1");
    let root = copy.path().join("sim");
    let (filtered, stderr) = detect(&[&root], &["--accounts", asked]);
    assert_eq!(filtered, alone, "detect --accounts over the tree is detect over the account's folder");
    for (other, _) in all.iter().filter(|(a, _)| a != asked) {
        assert!(!stderr.contains(other.as_str()), "an other account's file was opened: {stderr}");
    }
    // Without the filter the spoiled files are found: the test can fail.
    let (_, unfiltered) = detect(&[&root], &[]);
    assert!(unfiltered.contains("broken.json.gz") && unfiltered.contains("dangling"), "{unfiltered}");

    // Several accounts, comma-separated: the two folders' run.
    let two = format!("{},{}", all[0].0, asked);
    let (both, _) = detect(&[&history().root], &["--accounts", &two]);
    let (folders, _) = detect(&[&all[0].1, asked_dir], &[]);
    assert_eq!(both, folders);
}

#[test]
fn issue22_regions_reads_only_the_asked_regions_folders() {
    let all = accounts(&history().root);
    let folders: Vec<PathBuf> = all.iter().map(|(_, d)| d.join("CloudTrail/eu-west-1")).collect();
    let refs: Vec<&Path> = folders.iter().map(PathBuf::as_path).collect();
    let (alone, _) = detect(&refs, &[]);
    assert!(!alone.is_empty());

    let every: Vec<PathBuf> = all.iter().map(|(_, d)| d.clone()).collect();
    let copy = spoiled(&every, &all[0].0, "us-east-1");
    let (filtered, stderr) = detect(&[&copy.path().join("sim")], &["--regions", "eu-west-1"]);
    assert_eq!(filtered, alone, "detect --regions over the tree is detect over the region's folders");
    assert!(!stderr.contains("broken") && !stderr.contains("exports") && !stderr.contains("dangling"), "{stderr}");
}

/// Every event-log record of the history joined into one text, as an export would be.
fn joined() -> Vec<u8> {
    let mut files = Vec::new();
    let mut stack = vec![history().root.join("AWSLogs")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().contains("/CloudTrail/") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut text = Vec::new();
    for file in files {
        let mut gz = flate2::read::GzDecoder::new(std::fs::File::open(file).unwrap());
        std::io::copy(&mut gz, &mut text).unwrap();
        text.push(b'\n');
    }
    text
}

#[test]
fn issue22_a_joined_file_keeps_only_the_asked_accounts_and_regions_records() {
    let all = accounts(&history().root);
    let (asked, asked_dir) = &all[2];
    let text = joined();
    let run = |filter: &[&str]| {
        let out = trailsight().args(["detect", "-"]).args(WARMUP).args(filter).write_stdin(text.clone()).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let (alone, _) = detect(&[asked_dir], &[]);
    assert!(!alone.is_empty());
    assert_eq!(run(&["--accounts", asked]), alone);

    let region = asked_dir.join("CloudTrail/us-east-1");
    let (one_scope, _) = detect(&[&region], &[]);
    assert_eq!(run(&["--accounts", asked, "--regions", "us-east-1"]), one_scope);
    assert_ne!(run(&[]), alone, "the joined file holds other accounts: the filter is what makes the runs equal");
}

#[test]
fn issue22_bad_accounts_and_regions_are_refused_before_any_input_is_read() {
    for (flag, value, why) in [
        ("--accounts", "12345", "is not an AWS account id (12 digits)"),
        ("--accounts", "123456789012,abc", "\"abc\" is not an AWS account id"),
        ("--regions", "US-EAST-1", "is not an AWS region name"),
        ("--regions", "../x", "is not an AWS region name"),
    ] {
        // Standard input is never read: the run stops at the flags.
        let out = trailsight().args(["detect", "-", flag, value]).write_stdin("{\"Records\":[]}").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(why) && stderr.contains(flag), "{stderr}");
    }
    let out = trailsight().args(["timeline", "-", "--api", "ec2:CreateTags", "--accounts", "1"]).write_stdin("").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"1\" is not an AWS account id"));
}

#[test]
fn issue22_a_state_trained_with_other_accounts_warns() {
    let all = accounts(&history().root);
    let models = tempfile::tempdir().unwrap();
    let train = |accounts: &str| {
        trailsight().arg("train").arg(&history().root).arg("--models").arg(models.path()).args(["--accounts", accounts]).args(WARMUP).output().unwrap()
    };
    let first = train(&all[0].0);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let again = train(&all[0].0);
    assert!(!String::from_utf8_lossy(&again.stderr).contains("settings differ"));
    let other = train(&all[1].0);
    let stderr = String::from_utf8_lossy(&other.stderr);
    let line = stderr.lines().find(|l| l.contains("settings differ")).unwrap_or_else(|| panic!("{stderr}"));
    assert!(line.contains(&format!("accounts {} regions all -> accounts {} regions all", all[0].0, all[1].0)), "{line}");
}
