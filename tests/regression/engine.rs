//! Regression tests: the timeline, scheduling, counting and the run summary.

use super::common::*;
use flate2::write::GzEncoder;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Simulates a history into `dir`; returns the AWSLogs folder.
fn simulate(dir: &Path, seed: u64, days: u32, start: &str, accounts: u32, scale: &str) -> PathBuf {
    let out = trailsight()
        .args(["simulate", "--no-malformed", "--regions", "2", "--scale", scale])
        .args(["--days", &days.to_string(), "--seed", &seed.to_string(), "--start", start])
        .args(["--accounts", &accounts.to_string(), "--out"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir.join("AWSLogs")
}

/// `detect -q` over `paths`, with extra arguments and environment; (stdout, stderr).
fn detect(paths: &[&Path], extra: &[&str], env: &[(&str, &str)]) -> (Vec<u8>, String) {
    let mut cmd = trailsight();
    cmd.arg("detect").args(paths).args(extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    (out.stdout, stderr)
}

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample")
}

/// One management write record, as a real trail writes it.
fn record(account: &str, time: &str, id: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::{account}:user/stray","accountId":"{account}"}},"eventTime":"{time}","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.0","requestParameters":null,"responseElements":null,"eventID":"{id}","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{account}","eventCategory":"Management"}}"#
    )
}

fn write_gz(path: &Path, records: &[String]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut gz = GzEncoder::new(std::fs::File::create(path).unwrap(), flate2::Compression::fast());
    write!(gz, "{{\"Records\":[{}]}}", records.join(",")).unwrap();
    gz.finish().unwrap();
}

/// An account that joins an organisation trail two days before the end is judged
/// against its own (empty) history: it must stay quiet while warming up, and the
/// summary must say it is warming up.
#[test]
fn a_new_account_is_not_judged_before_its_own_warm_up() {
    let dir = tempfile::tempdir().unwrap();
    let old = simulate(&dir.path().join("old"), 7, 10, "2026-01-05", 1, "0.1");
    let new = simulate(&dir.path().join("new"), 99, 2, "2026-01-13", 1, "0.1");
    let (alone, _) = detect(&[&old], &["-q"], &[]);
    let (both, stderr) = detect(&[&old, &new], &[], &[]);
    let new_account = std::fs::read_dir(&new).unwrap().next().unwrap().unwrap().file_name();
    let new_account = new_account.to_string_lossy();
    let recs = records(&both);
    assert!(
        recs.iter().all(|r| r["recipientAccountId"] != *new_account),
        "the new account {new_account} was judged during its warm-up"
    );
    assert!(stderr.contains("still warming up") && stderr.contains(&*new_account), "{stderr}");
    assert_eq!(records(&alone).len(), recs.len(), "the old account's insights changed");
}

/// A record far outside the rest of the data (1970, 1990, eight days early, 2099,
/// 9999, year 0) in an existing and in a new account is skipped and named per file,
/// and every other insight stays byte-identical.
#[test]
fn a_stray_record_leaves_every_other_insight_byte_identical() {
    let (baseline, _) = detect(&[&sample()], &["-q"], &[]);
    assert!(!baseline.is_empty());
    let existing = "772045118750";
    for (i, time) in ["1970-01-01T00:00:00Z", "1990-06-15T12:00:00Z", "2025-12-28T10:00:00Z", "2099-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z"]
        .into_iter()
        .enumerate()
    {
        let dir = tempfile::tempdir().unwrap();
        let stray = dir.path().join("stray.json.gz");
        write_gz(&stray, &[record(existing, time, &format!("stray-{i}-a")), record("123456789012", time, &format!("stray-{i}-b"))]);
        let (out, stderr) = detect(&[&sample(), &stray], &[], &[]);
        assert!(out == baseline, "a record at {time} changed the insights");
        assert!(stderr.contains("stray.json.gz: skipped 2 record(s): eventTime out of range"), "{time}: {stderr}");
    }
}

/// The same history gives the same bytes whatever the thread count and the order the
/// inputs are named in (the behaviour model needs more than 8,000 windows here).
#[test]
fn output_does_not_depend_on_thread_count_or_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let logs = simulate(dir.path(), 7, 10, "2026-01-05", 2, "0.2");
    let mut accounts: Vec<PathBuf> = std::fs::read_dir(&logs).unwrap().map(|e| e.unwrap().path()).collect();
    accounts.sort();
    let (first, stderr) = detect(&[&logs], &["-v"], &[("RAYON_NUM_THREADS", "1")]);
    let windows: usize = stderr
        .lines()
        .find(|l| l.contains("behaviour model fitted"))
        .and_then(|l| l.split("windows=").nth(1)?.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no behaviour model in: {stderr}"));
    assert!(windows > 8_000, "only {windows} behaviour windows");
    assert!(!first.is_empty());
    for threads in ["2", "8"] {
        let (out, _) = detect(&[&logs], &["-q"], &[("RAYON_NUM_THREADS", threads)]);
        assert!(out == first, "{threads} threads gave other output");
    }
    let reversed: Vec<&Path> = accounts.iter().rev().map(PathBuf::as_path).collect();
    let (out, _) = detect(&reversed, &["-q"], &[("RAYON_NUM_THREADS", "2")]);
    assert!(out == first, "naming the inputs in another order gave other output");
}

/// When nothing can be read, each file's reason is printed, and paths that do not
/// exist and files without a CloudTrail name are named.
#[test]
fn nothing_read_still_names_every_reason() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("logs/bad.json");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, r#"{"Records":[{"eventName":"RunInstances"}]}"#).unwrap();
    let out = trailsight().arg("detect").arg(dir.path().join("logs")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("bad.json: skipped 1 record(s): missing eventTime"), "{stderr}");

    let notes = dir.path().join("notes");
    std::fs::create_dir_all(&notes).unwrap();
    std::fs::write(notes.join("trail.txt"), "hello").unwrap();
    let missing = dir.path().join("no-such-folder");
    let out = trailsight().arg("detect").arg(&notes).arg(&missing).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("no-such-folder: no such file or folder"), "{stderr}");
    assert!(stderr.contains("without a CloudTrail file name"), "{stderr}");
}

/// `-v` shows what each stage did, including a model that switched itself off.
#[test]
fn verbose_logs_each_stage() {
    let (_, stderr) = detect(&[&sample()], &["-v"], &[]);
    for event in ["input discovered", "input read", "behaviour model", "detectors done"] {
        assert!(stderr.contains(event), "no '{event}' in:\n{stderr}");
    }
    let (_, stderr) = detect(&[&sample()], &["-q"], &[("RUST_LOG", "info")]);
    assert!(stderr.contains("input read"), "{stderr}");
}

/// Numeric flags are bounded before anything is read: no panic, no overflow.
#[test]
fn huge_numeric_flags_are_refused_before_reading() {
    for (flag, value) in [("--history-days", "18446744073709551615"), ("--warmup-days", "18446744073709551615"), ("--sensitivity", "1e300"), ("--min-calls", "inf")] {
        let out = trailsight().arg("detect").arg(sample()).args([flag, value]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// The summary speaks English: "1 record", not "1 records".
#[test]
fn summary_counts_are_singular_for_one() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.json.gz");
    write_gz(&one, &[record("123456789012", "2026-01-05T10:00:00Z", "only")]);
    let (_, stderr) = detect(&[&one], &[], &[]);
    assert!(stderr.contains("read 1 file: 1 record, 0 duplicates dropped"), "{stderr}");
    assert!(!stderr.contains("1 records") && !stderr.contains("1 calls"), "{stderr}");
}

/// Writes a counts table of `rows` (minute, principal, calls) of IAM CreateUser calls.
fn iam_counts_table(path: &Path, rows: &[(i64, &str, u32)]) {
    use trailsight::ingest::counts::{write_with_sources, Row, CALL_RATE};
    let rows = rows.iter().map(|&(minute, principal, calls)| Row {
        minute,
        account: "123456789012",
        region: "us-east-1",
        source: "iam.amazonaws.com",
        name: "CreateUser",
        insight_type: CALL_RATE,
        error: None,
        principal,
        agent: "aws-cli",
        category: "Management",
        calls,
    });
    let mut out = std::fs::File::create(path).unwrap();
    write_with_sources(rows, &[], &mut out).unwrap();
}

/// A counts table claiming billions of IAM calls in one minute allocated one entry per
/// call (64 GB) and aborted, and rows summing past 2^32 wrapped silently. Now it runs in
/// a 1 GiB address space and the count is held at its maximum, with a warning.
#[test]
fn counts_claiming_billions_of_calls_neither_allocate_nor_wrap() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("counts.parquet");
    let minute = 29_439_960; // 2025-12-22T10:00Z
    let rows: Vec<(i64, &str, u32)> = (0..50).map(|i| (minute, if i % 2 == 0 { "arn:aws:iam::123456789012:user/a" } else { "arn:aws:iam::123456789012:user/b" }, 100_000_000)).collect();
    iam_counts_table(&table, &rows);
    let bin = assert_cmd::cargo::cargo_bin("trailsight");
    let out = std::process::Command::new("sh")
        .args(["-c", "ulimit -v 1048576; exec \"$0\" detect --warmup-days 0 \"$1\""])
        .arg(&bin)
        .arg(&table)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("5000000000 records"), "{stderr}");
    assert!(stderr.contains("count(s) reached 4294967295 calls and were held there"), "{stderr}");
}

/// `detect B --write-counts B/counts.parquet`, then `detect B`, doubled every count:
/// the table was made from the logs read beside it. It is now refused, and named.
#[test]
fn a_counts_table_of_the_logs_beside_it_is_not_counted_twice() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("B");
    copy_dir(&sample(), &logs);
    let table = logs.join("counts.parquet");
    let out = trailsight().arg("detect").arg(&logs).arg("-q").arg("--write-counts").arg(&table).output().unwrap();
    assert!(out.status.success());
    let (again, stderr) = detect(&[&logs], &[], &[]);
    let (alone, _) = detect(&[&sample()], &["-q"], &[]);
    assert!(again == alone, "the counts table was counted beside its own logs");
    assert!(stderr.contains("counts.parquet: counts table made from"), "{stderr}");
    // The table alone is read as usual.
    let (from_table, _) = detect(&[&table], &["-q"], &[]);
    assert!(!from_table.is_empty());
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
