//! Regression tests: ingest (issue 9, items 1-10). Each test is named after its defect and
//! drives the real binary where the behaviour is visible from the command line; where it
//! is an API for the engine to wire (limits, source ids, non-event files, ignored paths)
//! it drives the library on real files.

use super::common::*;
use flate2::write::GzEncoder;
use std::io::Write;
use std::path::{Path, PathBuf};
use trailsight::ingest::{self, FileProblem, InputFile, NonEventKind, ReadLimits};

const RUN: &str = "real-cloudtrail/invictus-stratus-run";
const FILE_A: &str = "218007301253_CloudTrail_us-east-1_20230710T1200Z_iLj9fb7yyUG9X4Bf.json";
const FILE_B: &str = "218007301253_CloudTrail_us-east-1_20230710T1205Z_1dM7GQM67kudSyGD.json";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn real(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(RUN).join(name)).unwrap()
}

fn count_records(text: &[u8]) -> usize {
    let doc: serde_json::Value = serde_json::from_slice(text).unwrap();
    doc["Records"].as_array().unwrap().len()
}

/// `trailsight detect` on `args` (and `stdin`), returning (success, stderr).
fn detect(args: &[&std::ffi::OsStr], stdin: Option<Vec<u8>>) -> (bool, String) {
    let mut cmd = trailsight();
    cmd.args(["detect", "--warmup-days", "0"]).args(args);
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    let out = cmd.output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn read_line_count(stderr: &str) -> &str {
    stderr.lines().find(|l| l.starts_with("trailsight: read")).unwrap_or("")
}

fn record(id: &str, time: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","eventTime":"{time}","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","eventID":"{id}","readOnly":false,"eventCategory":"Management","recipientAccountId":"111122223333","userIdentity":{{"arn":"arn:aws:iam::111122223333:user/a"}}}}"#
    )
}

/// Item 1: `zcat *.json.gz | trailsight detect -` read only the first document.
#[test]
fn issue9_1_every_document_of_a_stream_and_every_gzip_member_is_read() {
    let (a, b) = (real(FILE_A), real(FILE_B));
    let want = count_records(&a) + count_records(&b);
    let (ok, stderr) = detect(&["-".as_ref()], Some([a.clone(), b"\n".to_vec(), b.clone()].concat()));
    assert!(ok, "{stderr}");
    assert!(read_line_count(&stderr).contains(&format!("read 1 file: {want} records")), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let members = dir.path().join("both.json.gz");
    std::fs::write(&members, [gzip(&a), gzip(&b)].concat()).unwrap();
    let (ok, stderr) = detect(&[members.as_os_str()], None);
    assert!(ok, "{stderr}");
    assert!(read_line_count(&stderr).contains(&format!("read 1 file: {want} records")), "{stderr}");
}

/// Item 2: with `Records` not the first key, a break lost every good record.
#[test]
fn issue9_2_records_key_order_never_matters_and_records_before_a_break_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.json");
    let records: Vec<String> = (0..3).map(|i| record(&format!("id-{i}"), "2026-01-11T22:54:56Z")).collect();
    // A record broken mid-way (its brackets never close), then stray text.
    let broken = format!(r#"{{"v":1,"Records":[{}, {{"eventTime": nonsense"#, records.join(","));
    let garbage = format!(r#"{{"v":1,"Records":[{}, nonsense]}}"#, records.join(","));
    for (text, problem) in [(broken, "JSON ends early, after 3 records"), (garbage, "invalid JSON after 3 records")] {
        std::fs::write(&file, text).unwrap();
        let (ok, stderr) = detect(&[file.as_os_str()], None);
        assert!(ok, "{stderr}");
        assert!(stderr.contains("export.json: kept 3 good record(s)"), "{stderr}");
        assert!(stderr.contains(&format!("export.json: {problem}")), "{stderr}");
    }
}

/// Item 3: exported times (space separator, fractions, offsets) were refused, and a
/// Logstash record was reported only as missing eventTime.
#[test]
fn issue9_3_exported_times_are_read_and_logstash_records_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("siem.jsonl");
    let good = ["2026-01-11 22:54:56.000000000", "2026-01-11 22:55:52", "2026-01-12T00:56:00.25+02:00"];
    let mut lines: Vec<String> = good.iter().enumerate().map(|(i, t)| record(&format!("g{i}"), t)).collect();
    lines.push(record("bad", "11/01/2026 22:54:56"));
    lines.push(record("ls", "x").replace(r#""eventTime":"x""#, r#""@timestamp":"2026-01-11T22:54:56.000Z""#));
    std::fs::write(&file, lines.join("\n")).unwrap();
    let (ok, stderr) = detect(&[file.as_os_str()], None);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("siem.jsonl: kept 3 good record(s)"), "{stderr}");
    assert!(stderr.contains("bad eventTime (e.g. 11/01/2026 22:54:56)"), "{stderr}");
    assert!(stderr.contains("missing eventTime (has @timestamp: a Logstash/SIEM export?)"), "{stderr}");
}

/// Item 4: without `readOnly`, KMS crypto calls and sts:AssumeRole counted as writes.
#[test]
fn issue9_4_read_only_is_inferred_from_known_apis_not_just_the_verb() {
    let dir = tempfile::tempdir().unwrap();
    let run = fixtures().join(RUN);
    for entry in std::fs::read_dir(&run).unwrap().flatten() {
        let Some(name) = entry.file_name().to_str().filter(|n| n.ends_with(".json")).map(str::to_owned) else { continue };
        let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(entry.path()).unwrap()).unwrap();
        for r in doc["Records"].as_array_mut().unwrap() {
            r.as_object_mut().unwrap().remove("readOnly");
        }
        std::fs::write(dir.path().join(name), doc.to_string()).unwrap();
    }
    let writes = |stderr: &str| stderr.lines().find(|l| l.contains("events:")).unwrap_or("").to_string();
    let (ok, with_flag) = detect(&[run.as_os_str()], None);
    assert!(ok, "{with_flag}");
    let (ok, inferred) = detect(&[dir.path().as_os_str()], None);
    assert!(ok, "{inferred}");
    assert!(inferred.contains("readOnly inferred from the API name"), "{inferred}");
    assert_eq!(writes(&inferred), writes(&with_flag));
}

/// Item 5: account ids and regions went unchecked into output paths.
#[test]
fn issue9_5_account_and_region_are_checked_before_they_can_name_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("evil.json");
    let good = record("g", "2026-01-11T22:54:56Z");
    let bad_account = record("a", "2026-01-11T22:54:56Z").replace("111122223333", "../../x");
    let bad_region = record("r", "2026-01-11T22:54:56Z").replace("us-east-1", "us-east-1/../../../tmp");
    std::fs::write(&file, format!(r#"{{"Records":[{good},{bad_account},{bad_region}]}}"#)).unwrap();
    let (ok, stderr) = detect(&[file.as_os_str()], None);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("evil.json: skipped 1 record(s): bad recipientAccountId (e.g. ../../x)"), "{stderr}");
    assert!(stderr.contains("evil.json: skipped 1 record(s): bad awsRegion (e.g. us-east-1/../../../tmp)"), "{stderr}");
    assert!(stderr.contains("evil.json: kept 1 good record(s)"), "{stderr}");
}

/// Runs the binary on `args` with its address space capped at `bytes`.
fn detect_within_memory(args: &[&std::ffi::OsStr], bytes: u64) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("trailsight"));
    cmd.args(["detect", "--warmup-days", "0"]).args(args);
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().unwrap()
}

const GIB: u64 = 1 << 30;

/// Item 6: memory was decided by input. `/dev/zero` given by name was read until memory
/// ran out; a gzip bomb was inflated whole. Both now run in a 1 GiB address space.
#[test]
fn issue9_6_dev_zero_and_a_gzip_bomb_do_not_decide_memory() {
    let good = fixtures().join(RUN).join(FILE_A);
    let out = detect_within_memory(&[good.as_os_str(), "/dev/zero".as_ref()], GIB);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("/dev/zero: not JSON"), "{stderr}");
    // 1.25 GiB of text: a document whose records are followed by white space. Valid
    // JSON, so every byte is read; the old reader held it all in memory.
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.json.gz");
    std::fs::write(&bomb, padded_document(&real(FILE_A), 1280)).unwrap();
    let out = detect_within_memory(&[bomb.as_os_str()], GIB);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let want = count_records(&real(FILE_A));
    assert!(read_line_count(&stderr).contains(&format!("{want} records")), "{stderr}");
}

/// A gzip stream (one member per MiB) of `doc`'s records, then `mib` MiB of spaces
/// inside its `Records` array, then the document's end.
fn padded_document(doc: &[u8], mib: usize) -> Vec<u8> {
    let text = String::from_utf8(doc.to_vec()).unwrap();
    let body = text.trim_end().strip_suffix("]}").unwrap();
    let spaces = gzip(&vec![b' '; 1 << 20]);
    let mut out = gzip(body.as_bytes());
    for _ in 0..mib {
        out.extend_from_slice(&spaces);
    }
    out.extend(gzip(b"]}"));
    out
}

/// Item 6, with the limit the engine will pass from `--max-file-bytes`: a bomb far over
/// it is cut at the limit with its records kept; a raw device is bounded as well.
#[test]
fn issue9_6_a_file_over_the_size_limit_is_cut_there_and_keeps_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.json.gz");
    std::fs::write(&bomb, padded_document(&real(FILE_A), 300)).unwrap();
    let limits = ReadLimits { max_file_bytes: 8 << 20, ..ReadLimits::default() };
    let batch = ingest::read_file_with(&InputFile::Path(bomb), &limits);
    let r = &batch.report;
    assert_eq!(r.problems, [FileProblem::OverSizeLimit { limit: 8 << 20 }]);
    assert!(r.describe()[0].ends_with("over the size limit (8388608 bytes)"), "{:?}", r.describe());
    assert_eq!(r.records, count_records(&real(FILE_A)));
    assert!(r.text_bytes <= limits.max_file_bytes && r.bytes_read <= limits.max_file_bytes);
    let zero = ingest::read_file_with(&InputFile::Path("/dev/zero".into()), &ReadLimits { max_file_bytes: 1 << 20, ..ReadLimits::default() });
    assert!(matches!(zero.report.problems[..], [FileProblem::NotJson(_)]), "{:?}", zero.report.problems);
    assert!(zero.report.text_bytes <= 1 << 20);
    // White space never ends a stream by itself: only the limit stops it.
    let blank = dir.path().join("blank.json");
    std::fs::write(&blank, vec![b' '; 3 << 20]).unwrap();
    let batch = ingest::read_file_with(&InputFile::Path(blank), &ReadLimits { max_file_bytes: 1 << 20, ..ReadLimits::default() });
    assert_eq!(batch.report.problems, [FileProblem::OverSizeLimit { limit: 1 << 20 }]);
    // Stored bytes are bounded too: a gzip larger than the limit is cut, not "broken".
    let big = dir.path().join("big.json.gz");
    std::fs::write(&big, gzip(&real(FILE_A))).unwrap();
    let batch = ingest::read_file_with(&InputFile::Path(big), &ReadLimits { max_file_bytes: 4096, ..ReadLimits::default() });
    assert_eq!(batch.report.problems, [FileProblem::OverSizeLimit { limit: 4096 }]);
}

/// A counts table (Parquet) built column by column, so rows may hold any value.
fn counts_table(path: &Path, minutes_ms: Vec<i64>, counts: Vec<i64>) {
    use polars::prelude::*;
    let n = counts.len();
    let text = |name: &str, v: &str| Column::new(name.into(), vec![v; n]);
    let minute = Column::new("minute".into(), minutes_ms)
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
        .unwrap();
    let mut frame = DataFrame::new_infer_height(vec![
        minute,
        text("recipient_account_id", "111122223333"),
        text("aws_region", "us-east-1"),
        text("event_source", "iam.amazonaws.com"),
        text("event_name", "CreateUser"),
        text("insight_type", "ApiCallRateInsight"),
        Column::new("count".into(), counts),
    ])
    .unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap()).finish(&mut frame).unwrap();
}

/// Item 7: a counts row claiming billions of calls, or a minute at -2^62, was taken as is.
#[test]
fn issue9_7_counts_rows_out_of_range_are_refused_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("counts.parquet");
    let minute = 29_468_000 * 60_000; // 2026-01-11
    let minutes = vec![minute, minute, minute, minute, minute, -(1 << 62), 253_402_300_800_000 * 2];
    counts_table(&table, minutes, vec![5, 4_000_000_000, i64::from(u32::MAX) + 1, 0, -3, 1, 1]);
    let (ok, stderr) = detect(&[table.as_os_str()], None);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("counts.parquet: skipped 4 record(s): count out of range"), "{stderr}");
    assert!(stderr.contains("counts.parquet: skipped 2 record(s): minute out of range"), "{stderr}");
    assert!(stderr.contains("counts.parquet: kept 1 good record(s)"), "{stderr}");
}

/// Item 7: a counts table did not say which files it was made from.
#[test]
fn issue9_7_a_counts_table_names_the_files_it_was_made_from() {
    use trailsight::ingest::counts::{self, Row};
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join(FILE_A);
    std::fs::write(&log, real(FILE_A)).unwrap();
    let log_batch = ingest::read_file(&InputFile::Path(log.clone()));
    let size = std::fs::metadata(&log).unwrap().len();
    assert_eq!(log_batch.source_id, Some(format!("{FILE_A}:{size}")));
    assert_eq!(log_batch.source_id, Some(ingest::source_id(&fixtures().join(RUN).join(FILE_A), size)));
    assert!(log_batch.made_from.is_empty());
    let table = dir.path().join("counts.parquet");
    let row = Row {
        minute: 29_468_000,
        account: "111122223333",
        region: "us-east-1",
        source: "iam.amazonaws.com",
        name: "CreateUser",
        insight_type: counts::CALL_RATE,
        error: None,
        principal: "arn:aws:iam::111122223333:user/a",
        agent: "aws-cli",
        category: "Management",
        calls: 2,
    };
    let sources = vec![log_batch.source_id.clone().unwrap()];
    let mut out = std::fs::File::create(&table).unwrap();
    counts::write_with_sources([row].into_iter(), &sources, &mut out).unwrap();
    drop(out);
    let batch = ingest::read_file(&InputFile::Path(table));
    assert_eq!(batch.made_from, sources);
    assert_eq!(batch.report.records, 1);
}

/// Item 8: a digest found among the logs was reported as records missing eventTime.
#[test]
fn issue9_8_a_digest_among_logs_is_a_non_event_file() {
    let dir = tempfile::tempdir().unwrap();
    let digest = dir.path().join("111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20260111T230000Z.json");
    std::fs::write(&digest, DIGEST).unwrap();
    std::fs::write(dir.path().join(FILE_A), real(FILE_A)).unwrap();
    let (ok, stderr) = detect(&[dir.path().as_os_str()], None);
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("CloudTrail-Digest_us-east-1"), "{stderr}");
    let batch = ingest::read_file(&InputFile::Path(digest));
    assert_eq!(batch.report.non_event, Some(NonEventKind::Digest));
    assert!(!batch.report.has_issues(), "{:?}", batch.report.describe());
    let insights = fixtures().join("aws-insight-examples/insight-examples.json");
    let batch = ingest::read_file(&InputFile::Path(insights));
    assert_eq!(batch.report.non_event, Some(NonEventKind::Insight));
    let log = ingest::read_file(&InputFile::Path(fixtures().join(RUN).join(FILE_A)));
    assert_eq!(log.report.non_event, None);
}

const DIGEST: &str = r#"{"awsAccountId":"111122223333","digestStartTime":"2026-01-11T22:00:00Z",
"digestEndTime":"2026-01-11T23:00:00Z","digestS3Bucket":"b","digestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/11/d.json.gz",
"digestPublicKeyFingerprint":"0123","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2026-01-11T22:59:00Z",
"oldestEventTime":"2026-01-11T21:55:00Z","previousDigestS3Bucket":null,"previousDigestS3Object":null,
"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,
"logFiles":[{"s3Bucket":"b","s3Object":"AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/11/x.json.gz",
"hashValue":"00","hashAlgorithm":"SHA-256","newestEventTime":"2026-01-11T22:59:00Z","oldestEventTime":"2026-01-11T21:55:00Z"}]}"#;

/// Item 9: "no CloudTrail files found" did not say which files were passed over.
#[test]
fn issue9_9_ignored_files_are_named_and_missing_paths_too() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["events.csv", "events.txt", "README"] {
        std::fs::write(dir.path().join(name), "x").unwrap();
    }
    let missing = PathBuf::from("/no/such/trail/folder");
    let found = ingest::discover(&[dir.path().to_path_buf(), missing.clone()]);
    assert!(found.files.is_empty());
    let names: Vec<_> = found.ignored_examples.iter().filter_map(|p| p.file_name()?.to_str()).collect();
    assert_eq!(names, ["README", "events.csv", "events.txt"]);
    assert_eq!(found.unreadable.len(), 1);
    assert_eq!(found.unreadable[0].0, missing);
    let good = fixtures().join(RUN).join(FILE_A);
    let (ok, stderr) = detect(&[good.as_os_str(), missing.as_os_str()], None);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("/no/such/trail/folder: no such file or folder"), "{stderr}");
}

/// Item 10: nothing said per file what was read.
#[test]
fn issue9_10_each_file_read_is_logged_at_debug_level() {
    let file = fixtures().join(RUN).join(FILE_A);
    let out = trailsight().env("NO_COLOR", "1").args(["-vv", "detect", "--warmup-days", "0"]).arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = count_records(&real(FILE_A));
    let line = stderr.lines().find(|l| l.contains("file read")).unwrap_or_else(|| panic!("{stderr}"));
    for field in [format!("records={want}"), "skipped=0".into(), "problems=0".into(), format!("path={}", file.display())] {
        assert!(line.contains(&field), "{field} in {line}");
    }
}
