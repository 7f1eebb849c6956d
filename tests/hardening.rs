//! Issue 21, items 8 to 11: hardening. Output folders and sinks, memory decided by the
//! input, terminal and CSV output, config and flags. Each test drives the binary and is
//! named after the defect it pins.

mod common;

use common::trailsight;
use std::path::{Path, PathBuf};

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample")
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

fn detect_into(dir: &Path) -> std::process::Output {
    trailsight().arg("detect").arg(sample()).arg("--quiet").arg("--out").arg(dir.join("")).output().unwrap()
}

// ---- item 8: output folders and sinks -------------------------------------------------

/// An edited `.trailsight-out.json` listing a file under a symlinked account folder made
/// a re-run delete that file, outside `--out DIR`, and prune its parent folders.
#[test]
fn issue21_out_dir_rerun_never_deletes_through_a_symlinked_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (out, victim) = (dir.path().join("out"), dir.path().join("victim"));
    let first = detect_into(&out);
    assert!(first.status.success(), "{}", stderr_of(&first));

    let day = victim.join("CloudTrail-Insight/us-east-1/2026/01/01");
    std::fs::create_dir_all(&day).unwrap();
    let name = "999999999999_CloudTrail-Insight_us-east-1_20260101T0000Z_AAAAAAAAAAAAAAAA.json.gz";
    std::fs::write(day.join(name), b"precious").unwrap();
    std::os::unix::fs::symlink(&victim, out.join("AWSLogs/999999999999")).unwrap();
    let manifest_path = out.join(".trailsight-out.json");
    let mut manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    let listed = format!("AWSLogs/999999999999/CloudTrail-Insight/us-east-1/2026/01/01/{name}");
    manifest["files"][&listed] = sha256_hex(b"precious").into();
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();

    let second = detect_into(&out);
    let stderr = stderr_of(&second);
    assert!(second.status.success(), "{stderr}");
    assert_eq!(std::fs::read(day.join(name)).unwrap(), b"precious", "the file outside --out is kept");
    assert!(stderr.contains("is a link") && stderr.contains(&listed) && stderr.contains("not removed"), "named: {stderr}");
}

/// A symlinked account folder inside `--out DIR` made the run write its delivery file
/// through the link, outside DIR.
#[test]
fn issue21_out_dir_never_writes_through_a_symlinked_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (out, victim) = (dir.path().join("out"), dir.path().join("victim"));
    let first = detect_into(&out);
    assert!(first.status.success(), "{}", stderr_of(&first));
    let account = std::fs::read_dir(out.join("AWSLogs")).unwrap().next().unwrap().unwrap().path();
    std::fs::remove_dir_all(&account).unwrap();
    std::fs::create_dir_all(&victim).unwrap();
    std::os::unix::fs::symlink(&victim, &account).unwrap();

    let second = detect_into(&out);
    let stderr = stderr_of(&second);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is a link or a file, not a folder"), "{stderr}");
    assert_eq!(std::fs::read_dir(&victim).unwrap().count(), 0, "nothing written outside --out");
}

// ---- item 11: config and flags --------------------------------------------------------

/// `paths = ["--sink=ndjson:/x"]` in a config file was parsed as a flag and wrote a file.
#[test]
fn issue21_a_config_path_that_starts_with_dashes_is_a_path_not_a_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (config, written) = (dir.path().join("nightly.toml"), dir.path().join("written.jsonl"));
    let hostile = format!("--sink=ndjson:{}", written.display());
    let text = format!("paths = [{:?}, {:?}]\nquiet = false\n", sample().display().to_string(), hostile);
    std::fs::write(&config, text).unwrap();
    let out = trailsight().current_dir(dir.path()).arg("detect").arg("--config").arg(&config).output().unwrap();
    let stderr = stderr_of(&out);
    assert!(!written.exists(), "a path chose an output: {stderr}");
    assert!(out.status.success(), "{stderr}");
    assert!(!out.stdout.is_empty(), "the insights still go to standard output");
    assert!(stderr.contains(&hostile), "the odd path is named as an input that cannot be read: {stderr}");
}

/// `warmup-days` and `warmup_days` in one file were both taken, one silently winning.
#[test]
fn issue21_a_config_key_spelled_with_a_dash_and_an_underscore_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("twice.toml");
    std::fs::write(&config, "warmup-days = 3\nwarmup_days = 100\n").unwrap();
    let out = trailsight().arg("detect").arg("--config").arg(&config).arg(sample()).output().unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`warmup-days`") && stderr.contains("`warmup_days`") && stderr.contains("twice.toml"), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// Two outputs naming one file (`--out x.json --explain x.json`, `--sink ndjson:y.json
/// --sink ocsf:./y.json`, `--write-counts` onto an output) were both written, one over
/// the other, after the whole input was read.
#[test]
fn issue21_two_outputs_naming_the_same_file_are_refused_before_any_input_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [&[&str]; 5] = [
        &["--out", "x.json", "--explain", "x.json"],
        &["--sink", "ndjson:y.json", "--sink", "ocsf:./y.json"],
        &["--out", "z.json", "--write-counts", "sub/../z.json"],
        &["--sink", "eventbridge:w.jsonl", "--write-counts", "WORK/w.jsonl"],
        &["--out", "dir/", "--sink", "s3-layout:./dir"],
    ];
    let work = dir.path().display().to_string();
    for args in cases {
        let args: Vec<String> = args.iter().map(|a| a.replace("WORK", &work)).collect();
        let out = trailsight().current_dir(dir.path()).arg("detect").arg(sample()).args(&args).output().unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("the same file") || stderr.contains("the same place"), "{args:?}: {stderr}");
        assert!(!stderr.contains("read "), "refused before reading: {args:?}: {stderr}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{args:?}: nothing written");
    }
}

/// A state trained without data events, run with `--event-categories management,data`,
/// said nothing, unlike every other setting that differs.
#[test]
fn issue21_a_state_built_without_data_events_warns_when_run_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    let train = trailsight().arg("train").arg(sample()).arg("--models").arg(&models).output().unwrap();
    assert!(train.status.success(), "{}", stderr_of(&train));
    let run = trailsight().arg("detect").arg(sample()).arg("--models").arg(&models).args(["--event-categories", "management,data"]).output().unwrap();
    let stderr = stderr_of(&run);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("settings differ") && stderr.contains("event-categories management -> management,data"), "{stderr}");
}

// ---- item 9: memory decided by the input ----------------------------------------------

/// A minimal management write record.
fn record(i: usize, minute: &str, agent: &str) -> serde_json::Value {
    serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/a", "accountId": "123456789012"},
        "eventTime": format!("2026-01-10T{minute}:00Z"),
        "eventSource": "ec2.amazonaws.com",
        "eventName": "RunInstances",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.1",
        "userAgent": agent,
        "eventID": format!("id-{i}"),
        "readOnly": false,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": "123456789012",
        "eventCategory": "Management",
    })
}

fn cell(minute: i64) -> trailsight::ingest::counts::Cell<'static> {
    trailsight::ingest::counts::Cell {
        minute,
        account: "123456789012",
        region: "us-east-1",
        source: "iam.amazonaws.com",
        name: "CreateUser",
        category: "Management",
        read_only: false,
        error: None,
        principal: "arn:aws:iam::123456789012:user/a",
        agent: "aws-cli/2",
        ip: "198.51.100.1",
        calls: 1,
    }
}

fn table_of(rows: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let minute = 29_450_000; // 2025-12-29
    trailsight::ingest::counts::write_cells((0..rows).map(|_| cell(minute)), &[], &[], &mut out).unwrap();
    out
}

/// A 0.9 MB counts table of 20 million identical rows took 4.9 GB: its rows are counted
/// against --max-file-bytes from the footer, and a table over it is refused unread.
#[test]
fn issue21_a_counts_table_of_many_identical_rows_is_refused_before_it_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("counts.parquet");
    std::fs::write(&table, table_of(20_000)).unwrap();
    let stored = std::fs::metadata(&table).unwrap().len();
    assert!(stored < 100_000, "repeated rows compress to little: {stored} bytes");
    let out = trailsight().arg("detect").arg(&table).args(["--max-file-bytes", "1000000"]).output().unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "nothing else to read: {stderr}");
    assert!(stderr.contains("counts table of 20000 rows") && stderr.contains("over the size limit (1000000 bytes"), "{stderr}");
    let within = trailsight().arg("detect").arg(&table).args(["--max-file-bytes", "10000000"]).output().unwrap();
    assert!(within.status.success(), "{}", stderr_of(&within));
    assert!(stderr_of(&within).contains("20000 records"), "{}", stderr_of(&within));
}

/// A counts table renamed as a delivery file in a trail's log folder was read as a
/// counts table by its content: a file placed or named as a log is a log.
#[test]
fn issue21_a_parquet_file_named_as_a_log_in_a_trail_folder_is_not_a_counts_table() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("AWSLogs/123456789012/CloudTrail/us-east-1/2025/12/29");
    std::fs::create_dir_all(&folder).unwrap();
    let disguised = folder.join("123456789012_CloudTrail_us-east-1_20251229T0000Z_abcdefghijklmnop.json.gz");
    std::fs::write(&disguised, table_of(50)).unwrap();
    let elsewhere = dir.path().join("exports/123456789012_CloudTrail_us-east-1_20251229T0000Z_x.parquet");
    std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    std::fs::write(&elsewhere, table_of(50)).unwrap();
    for path in [dir.path().to_path_buf(), disguised.clone(), elsewhere.clone()] {
        let out = trailsight().arg("detect").arg(&path).output().unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{}: {stderr}", path.display());
        assert!(stderr.contains("a Parquet file where a CloudTrail log is expected"), "{}: {stderr}", path.display());
    }
}

/// One record whose userAgent is 3 GB peaked at 5.9 GB: a record over --max-record-bytes
/// is skipped as it streams by, reported, and the records after it are read.
#[test]
fn issue21_a_record_over_the_size_limit_is_skipped_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // The default limit, 16 MiB: a 17 MiB userAgent is not read.
    let over_default = dir.path().join("over-default.json");
    let text = serde_json::json!({"Records": [record(1, "12:00", "aws-cli/2"), record(2, "12:01", &"A".repeat(17 << 20)), record(3, "12:02", "aws-cli/2")]});
    std::fs::write(&over_default, text.to_string()).unwrap();
    let out = trailsight().arg("detect").arg(&over_default).args(["--warmup-days", "0"]).output().unwrap();
    let stderr = stderr_of(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("skipped 1 record(s): over the record size limit") && stderr.contains("kept 2 good record(s)"), "{stderr}");

    let huge = record(2, "12:01", &"A".repeat(3 << 20));
    let large = record(3, "12:02", &"B".repeat(200_000));
    let text = serde_json::json!({"Records": [record(1, "12:00", "aws-cli/2"), huge, large, record(4, "12:03", "aws-cli/2")]}).to_string();
    let plain = dir.path().join("big.json");
    std::fs::write(&plain, &text).unwrap();
    let gz = dir.path().join("big.json.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, text.as_bytes()).unwrap();
    enc.finish().unwrap();
    for path in [&plain, &gz] {
        let out = trailsight().arg("detect").arg(path).args(["--max-record-bytes", "100000", "--warmup-days", "0"]).output().unwrap();
        let stderr = stderr_of(&out);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains("skipped 2 record(s): over the record size limit"), "{}: {stderr}", path.display());
        assert!(stderr.contains("kept 2 good record(s)"), "{}: {stderr}", path.display());
    }
    let within = trailsight().arg("detect").arg(&plain).args(["--warmup-days", "0"]).output().unwrap();
    assert!(!stderr_of(&within).contains("size limit"), "{}", stderr_of(&within));
}

// ---- item 10: terminal and CSV output -------------------------------------------------

const HOSTILE: &str = "evil\u{1b}[2J\u{1b}]0;owned\u{7}\r\nfake row\u{202e}txt.exe\u{2066}\u{9b}31m";

fn has_raw_controls(text: &str) -> bool {
    text.chars().any(|c| (c < ' ' && c != '\n') || ('\u{7f}'..='\u{9f}').contains(&c) || ('\u{202a}'..='\u{202e}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c))
}

/// Logs with a burst of calls whose userAgent and ARN carry terminal controls.
fn hostile_logs(dir: &Path) -> PathBuf {
    let logs = dir.join("logs");
    let mut records = Vec::new();
    for day in 1..=9 {
        for i in 0..3 {
            let mut r = record(day * 100 + i, "10:00", "aws-cli/2");
            r["eventTime"] = format!("2026-01-{day:02}T10:0{i}:00Z").into();
            records.push(r);
        }
    }
    for i in 0..60 {
        let agent = if i % 2 == 0 { HOSTILE.to_string() } else { "=HYPERLINK(\"http://x\")".to_string() };
        let mut r = record(10_000 + i, "12:00", &agent);
        r["eventTime"] = format!("2026-01-10T12:0{}:{:02}Z", i / 20, i % 60).into();
        r["userIdentity"]["arn"] = format!("arn:aws:iam::123456789012:user/{HOSTILE}").into();
        records.push(r);
    }
    std::fs::create_dir_all(&logs).unwrap();
    let doc = serde_json::json!({ "Records": records });
    std::fs::write(logs.join("123456789012_CloudTrail_us-east-1_20260110T1215Z_x.json"), doc.to_string()).unwrap();
    logs
}

/// `explain`, `top` and `timeline` printed a userAgent (chosen by the caller of the API)
/// raw: ESC sequences, CR/LF, bidi and C1 controls reached the analyst's terminal.
#[test]
fn issue21_explain_top_and_timeline_print_no_terminal_controls() {
    let dir = tempfile::tempdir().unwrap();
    let logs = hostile_logs(dir.path());
    let settings = ["--warmup-days", "3", "--min-calls", "5"];
    let detect = trailsight().arg("detect").arg(&logs).args(settings).output().unwrap();
    assert!(!has_raw_controls(&stderr_of(&detect)), "{:?}", stderr_of(&detect));
    let insights = common::records(&detect.stdout);
    let id = insights.first().unwrap_or_else(|| panic!("the burst is an insight: {}", stderr_of(&detect)))["sharedEventID"].as_str().unwrap().to_string();
    let runs: Vec<Vec<String>> = vec![
        vec!["explain".into(), "--insight".into(), id],
        vec!["top".into(), "--by".into(), "agent".into()],
        vec!["top".into(), "--by".into(), "principal".into()],
        vec!["timeline".into(), "--api".into(), "ec2:RunInstances".into()],
    ];
    for args in runs {
        let out = trailsight().args(&args).arg(&logs).args(settings).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
        assert!(!has_raw_controls(&stdout), "{args:?}: {stdout:?}");
        assert!(!has_raw_controls(&stderr_of(&out)), "{args:?}: {:?}", stderr_of(&out));
        if args[0] != "timeline" {
            assert!(stdout.contains("evil\\x1b[2J") && stdout.contains("\\u{202e}"), "{args:?}: shown escaped: {stdout}");
        }
    }
}

/// `top --format csv` wrote a userAgent starting with `=` as it was: a spreadsheet ran it
/// as a formula (CWE-1236).
#[test]
fn issue21_top_csv_neutralises_formulas_and_controls() {
    let dir = tempfile::tempdir().unwrap();
    let logs = hostile_logs(dir.path());
    let out = trailsight().args(["top", "--by", "agent", "--format", "csv"]).arg(&logs).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(!has_raw_controls(&stdout), "{stdout:?}");
    for line in stdout.lines().skip(1) {
        assert!(!line.starts_with(['=', '+', '-', '@']) && !line.starts_with("\"=") && !line.starts_with("\"@"), "{line}");
    }
    assert!(stdout.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{stdout}");
}

/// A second `Records` key in one document was skipped silently, and its records lost.
#[test]
fn issue21_a_second_records_array_in_one_document_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (record(1, "12:00", "aws-cli/2").to_string(), record(2, "12:01", "aws-cli/2").to_string());
    let text = format!(r#"{{"Records":[{a}],"note":1,"Records":[{b}]}}"#);
    for (name, gzip) in [("dup.json", false), ("dup.json.gz", true)] {
        let path = dir.path().join(name);
        if gzip {
            let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::fast());
            std::io::Write::write_all(&mut enc, text.as_bytes()).unwrap();
            enc.finish().unwrap();
        } else {
            std::fs::write(&path, &text).unwrap();
        }
        let out = trailsight().arg("detect").arg(&path).args(["--warmup-days", "0"]).output().unwrap();
        let stderr = stderr_of(&out);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains("read 1 file: 2 records"), "{name}: {stderr}");
    }
}
