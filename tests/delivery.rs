//! Nightly delivery guarantees and the state guarding itself (issue 21, items 1, 5 and 7;
//! SPEC §8): a sink that fails keeps its records in the state until a later run delivers
//! them, each once; a `--strict` run that fails commits nothing; a state missing its
//! `CURRENT`, with an edited `state.json` or a lock file that is a link is refused; and
//! input files only touched or moved are not counted twice.
//!
//! The logs are `data/sample` (ten days, 2026-01-05..14) delivered one day at a time:
//! `train` on the days up to 01-11, then one night per day.

mod common;

use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

const TRAINED_UP_TO: &str = "2026/01/11";
const NIGHT_A: &str = "2026/01/12";
const NIGHT_B: &str = "2026/01/13";

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample")
}

/// The `YYYY/MM/DD` a path under the sample names, if any.
fn path_day(relative: &Path) -> Option<String> {
    let parts: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().to_string()).collect();
    parts.windows(3).find_map(|w| {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        (digits(&w[0], 4) && digits(&w[1], 2) && digits(&w[2], 2)).then(|| format!("{}/{}/{}", w[0], w[1], w[2]))
    })
}

/// Copies the sample's files of the days up to `last` into `live` (the ones there stay).
fn deliver_up_to(live: &Path, last: &str) {
    let sim = sample();
    for entry in walkdir::WalkDir::new(&sim).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
        let relative = entry.path().strip_prefix(&sim).unwrap();
        let target = live.join(relative);
        if path_day(relative).is_none_or(|day| day.as_str() > last) || target.exists() {
            continue;
        }
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(entry.path(), &target).unwrap();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(entry.path(), target).unwrap();
    }
}

/// `live` holding the days up to 01-11 and `models` trained on them.
fn trained(dir: &Path) -> (PathBuf, PathBuf) {
    let (live, models) = (dir.join("live"), dir.join("models"));
    deliver_up_to(&live, TRAINED_UP_TO);
    let out = common::trailsight().arg("train").arg(&live).arg("--models").arg(&models).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (live, models)
}

/// One `detect --models` with `args` after the paths; returns (exit code, stderr).
fn night(live: &Path, models: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = common::trailsight();
    cmd.arg("detect").arg(live).arg("--models").arg(models).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
}

/// The records of an NDJSON file (none when it does not exist).
fn ndjson(path: &Path) -> Vec<serde_json::Value> {
    common::records(&std::fs::read(path).unwrap_or_default())
}

/// The records of every delivery file under an S3-layout folder, in path order.
fn layout_records(dir: &Path) -> Vec<serde_json::Value> {
    let mut files: Vec<PathBuf> =
        walkdir::WalkDir::new(dir).into_iter().filter_map(Result::ok).map(|e| e.into_path()).filter(|p| p.to_string_lossy().ends_with(".json.gz")).collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&f).unwrap()).read_to_string(&mut text).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        out.extend(doc["Records"].as_array().unwrap().iter().cloned());
    }
    out
}

fn event_ids(records: &[serde_json::Value]) -> Vec<String> {
    let mut ids: Vec<String> = records.iter().map(|r| r["eventID"].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids
}

/// What nights A and B write without any failure, from a copy of `models`.
fn reference(dir: &Path, live: &Path, models: &Path) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
    let (live_ref, models_ref) = (dir.join("ref-live"), dir.join("ref-models"));
    copy_dir(live, &live_ref);
    copy_dir(models, &models_ref);
    let mut nights = Vec::new();
    for (day, name) in [(NIGHT_A, "ref-a.jsonl"), (NIGHT_B, "ref-b.jsonl")] {
        deliver_up_to(&live_ref, day);
        let out = dir.join(name);
        let (code, stderr) = night(&live_ref, &models_ref, &["--sink", &format!("ndjson:{}", out.display())], &[]);
        assert_eq!(code, Some(0), "{stderr}");
        nights.push(ndjson(&out));
    }
    let b = nights.pop().unwrap();
    let a = nights.pop().unwrap();
    assert!(!a.is_empty() && !b.is_empty(), "both nights write records");
    (a, b)
}

/// A Splunk HEC collector on 127.0.0.1 answering every request with the status set in
/// `status` (a 5xx with `Retry-After: 0`, so retries are immediate), keeping the events
/// of the requests it took.
struct Collector {
    url: String,
    status: Arc<AtomicU16>,
    indexed: Arc<Mutex<Vec<serde_json::Value>>>,
    requests: Arc<Mutex<usize>>,
}

impl Collector {
    fn start(status: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/services/collector/event", listener.local_addr().unwrap());
        let c = Self { url, status: Arc::new(AtomicU16::new(status)), indexed: Arc::default(), requests: Arc::default() };
        let (status, indexed, requests) = (Arc::clone(&c.status), Arc::clone(&c.indexed), Arc::clone(&c.requests));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (status, indexed, requests) = (Arc::clone(&status), Arc::clone(&indexed), Arc::clone(&requests));
                std::thread::spawn(move || serve(stream, &status, &indexed, &requests));
            }
        });
        c
    }
}

fn serve(stream: TcpStream, status: &AtomicU16, indexed: &Mutex<Vec<serde_json::Value>>, requests: &Mutex<usize>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let Some(common::http::Request { body, .. }) = common::http::read_request(&mut reader) else { return };
        *requests.lock().unwrap() += 1;
        let answer = status.load(Ordering::SeqCst);
        if answer == 200 {
            let events = String::from_utf8(body).unwrap();
            indexed.lock().unwrap().extend(events.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()));
        }
        let text = if answer == 200 { r#"{"text":"Success","code":0}"# } else { r#"{"text":"Internal error","code":8}"# };
        let response = format!("HTTP/1.1 {answer} X\r\nRetry-After: 0\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}", text.len());
        if out.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

#[test]
fn a_collector_failing_a_whole_night_gets_that_nights_records_the_next_night_once() {
    let dir = tempfile::tempdir().unwrap();
    let (live, models) = trained(dir.path());
    let (ref_a, ref_b) = reference(dir.path(), &live, &models);
    let collector = Collector::start(500);
    let hec = format!("hec+{}", collector.url);
    let token = [("TRAILSIGHT_HEC_TOKEN", "t0ken")];

    deliver_up_to(&live, NIGHT_A);
    let ndjson_a = dir.path().join("a.jsonl");
    let (code, stderr) = night(&live, &models, &["--sink", &hec, "--sink", &format!("ndjson:{}", ndjson_a.display())], &token);
    assert_eq!(code, Some(1), "{stderr}");
    let total = ref_a.len();
    assert!(stderr.contains(&format!("(0 of {total} records delivered)")), "{stderr}");
    assert!(stderr.contains("kept in the state"), "{stderr}");
    assert!(collector.indexed.lock().unwrap().is_empty());
    assert_eq!(ndjson(&ndjson_a), ref_a, "the other sink took the night's records");

    collector.status.store(200, Ordering::SeqCst);
    deliver_up_to(&live, NIGHT_B);
    let ndjson_b = dir.path().join("b.jsonl");
    let (code, stderr) = night(&live, &models, &["--sink", &hec, "--sink", &format!("ndjson:{}", ndjson_b.display())], &token);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("an earlier run could not deliver are delivered first"), "{stderr}");
    let indexed: Vec<serde_json::Value> = collector.indexed.lock().unwrap().iter().map(|e| e["event"].clone()).collect();
    let expected: Vec<serde_json::Value> = ref_a.iter().chain(&ref_b).cloned().collect();
    assert_eq!(indexed, expected, "night A's records first, then night B's, each once");
    assert_eq!(ndjson(&ndjson_b), ref_b, "a sink that took night A's records does not get them again");

    // Nothing is left to deliver: the same night again sends nothing.
    let before = *collector.requests.lock().unwrap();
    let (code, stderr) = night(&live, &models, &["--sink", &hec, "--sink", &format!("ndjson:{}", ndjson_b.display())], &token);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(*collector.requests.lock().unwrap(), before, "{stderr}");
}

#[test]
fn an_s3_layout_that_cannot_be_written_gets_that_nights_records_the_next_night_once() {
    let dir = tempfile::tempdir().unwrap();
    let (live, models) = trained(dir.path());
    let (ref_a, ref_b) = reference(dir.path(), &live, &models);
    // A regular file where the layout needs its AWSLogs folder: no delivery file can be
    // written (as on a full disk), while the folder itself opens fine.
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("AWSLogs"), "in the way").unwrap();
    let out_arg = format!("{}/", out.display());
    let ndjson_a = dir.path().join("a.jsonl");

    deliver_up_to(&live, NIGHT_A);
    let (code, stderr) = night(&live, &models, &["--out", &out_arg, "--sink", &format!("ndjson:{}", ndjson_a.display())], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(&format!("s3-layout:{out_arg}: {} records not delivered, kept in the state", ref_a.len())), "{stderr}");
    assert_eq!(ndjson(&ndjson_a), ref_a, "the other sink took the night's records");

    std::fs::remove_file(out.join("AWSLogs")).unwrap();
    deliver_up_to(&live, NIGHT_B);
    let ndjson_b = dir.path().join("b.jsonl");
    let (code, stderr) = night(&live, &models, &["--out", &out_arg, "--sink", &format!("ndjson:{}", ndjson_b.display())], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let expected: Vec<serde_json::Value> = ref_a.iter().chain(&ref_b).cloned().collect();
    let written = layout_records(&out);
    assert_eq!(event_ids(&written), event_ids(&expected), "night A's and night B's records, each once");
    for r in &expected {
        assert!(written.contains(r), "{r}");
    }
    assert_eq!(ndjson(&ndjson_b), ref_b);
}

#[test]
fn a_strict_run_that_skipped_input_commits_no_output_and_not_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let (live, models) = trained(dir.path());
    let (ref_a, _) = reference(dir.path(), &live, &models);
    deliver_up_to(&live, NIGHT_A);
    let bad = live.join("AWSLogs/690743889427/CloudTrail/us-east-1/2026/01/12/690743889427_CloudTrail_us-east-1_20260112T2355Z_brokenBROKENbrkn.json.gz");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, b"\x1f\x8b\x08\x00 not gzip after all").unwrap();
    let current = std::fs::read(models.join("CURRENT")).unwrap();
    let out = dir.path().join("a.jsonl");
    let sink = format!("ndjson:{}", out.display());

    let (code, stderr) = night(&live, &models, &["--strict", "--sink", &sink], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("--strict") && stderr.contains("the state is as before this run"), "{stderr}");
    assert!(!out.exists(), "a failed run writes no output");
    assert_eq!(std::fs::read(models.join("CURRENT")).unwrap(), current, "the state did not advance");

    std::fs::remove_file(&bad).unwrap();
    let (code, stderr) = night(&live, &models, &["--strict", "--sink", &sink], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(ndjson(&out), ref_a, "the night's records, once the input is whole");
}

#[test]
fn a_state_whose_current_was_deleted_is_refused_not_started_over() {
    let dir = tempfile::tempdir().unwrap();
    let (live, models) = trained(dir.path());
    std::fs::remove_file(models.join("CURRENT")).unwrap();
    let (code, stderr) = night(&live, &models, &[], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("CURRENT") && stderr.contains("missing") && stderr.contains("state-000001"), "{stderr}");
    assert!(models.join("state-000001/state.json").is_file(), "the state is kept");
}

#[test]
fn an_edited_state_json_is_refused_by_its_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let (live, models) = trained(dir.path());
    let json = models.join("state-000001/state.json");
    let text = std::fs::read_to_string(&json).unwrap();
    let at = text.find("\"next_bound\": ").unwrap() + "\"next_bound\": ".len();
    let edited = format!("{}9{}", &text[..at], &text[at + 1..]);
    assert_ne!(edited, text);
    std::fs::write(&json, edited).unwrap();
    let (code, stderr) = night(&live, &models, &[], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("state.json") && stderr.contains("not what CURRENT recorded"), "{stderr}");
}

#[test]
fn a_lock_file_that_is_a_symlink_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (live, models) = trained(dir.path());
    let precious = dir.path().join("precious.txt");
    std::fs::write(&precious, "keep me\n").unwrap();
    std::fs::remove_file(models.join("lock")).unwrap();
    std::os::unix::fs::symlink(&precious, models.join("lock")).unwrap();
    let (code, stderr) = night(&live, &models, &[], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("lock") && stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me\n");

    // A second name of another file (a hard link) is refused too.
    std::fs::remove_file(models.join("lock")).unwrap();
    std::fs::hard_link(&precious, models.join("lock")).unwrap();
    let (code, stderr) = night(&live, &models, &[], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("not a plain file of its own"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me\n");
}

/// (records in the kept history, the state size line's counts) of a night's summary.
fn counts_of(summary: &str) -> (String, String) {
    let read = summary.lines().find(|l| l.starts_with("trailsight: read ")).unwrap_or_else(|| panic!("{summary}"));
    let kept = read.split('(').nth(1).and_then(|s| s.split(' ').next()).unwrap_or_else(|| panic!("{read}")).to_string();
    let size = summary.lines().find(|l| l.contains("state size:")).unwrap_or_else(|| panic!("{summary}"));
    (kept, size.split_once('(').unwrap().1.to_string())
}

#[test]
fn files_only_touched_or_moved_are_not_counted_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (live, models) = trained(dir.path());
    deliver_up_to(&live, NIGHT_A);
    let run = |live: &Path, models: &Path, out: &Path| {
        let (code, stderr) = night(live, models, &["--sink", &format!("ndjson:{}", out.display())], &[]);
        assert_eq!(code, Some(0), "{stderr}");
        (ndjson(out), stderr)
    };
    let plain_models = dir.path().join("plain-models");
    copy_dir(&models, &plain_models);
    let (plain, plain_summary) = run(&live, &plain_models, &dir.path().join("plain.jsonl"));

    // Every file touched (as a copy without -t or a restore from backup does).
    let touched_models = dir.path().join("touched-models");
    copy_dir(&models, &touched_models);
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    let files: Vec<PathBuf> = walkdir::WalkDir::new(&live).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()).map(|e| e.into_path()).collect();
    for f in &files {
        std::fs::File::options().write(true).open(f).unwrap().set_modified(later).unwrap();
    }
    let (touched, touched_summary) = run(&live, &touched_models, &dir.path().join("touched.jsonl"));
    assert_eq!(touched, plain, "{touched_summary}");
    assert_eq!(counts_of(&touched_summary), counts_of(&plain_summary), "{touched_summary}");
    assert!(touched_summary.contains("touched at the same path") && touched_summary.contains("touched, same content: "), "{touched_summary}");

    // The whole folder moved.
    let moved_live = dir.path().join("moved-live");
    std::fs::rename(&live, &moved_live).unwrap();
    let (moved, moved_summary) = run(&moved_live, &models, &dir.path().join("moved.jsonl"));
    assert_eq!(moved, plain, "{moved_summary}");
    assert_eq!(counts_of(&moved_summary), counts_of(&plain_summary), "{moved_summary}");
    assert!(moved_summary.contains("moved to a new path"), "{moved_summary}");
}
