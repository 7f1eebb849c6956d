//! A folder of broken files: the run exits 0, names every bad file with its reason, and
//! keeps every good record (including those before a truncation).

mod common;

use common::{fixtures, trailsight};
use flate2::write::GzEncoder;
use std::io::Write;
use std::path::Path;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

const GOOD_FILE: &str = "real-cloudtrail/invictus-stratus-run/218007301253_CloudTrail_us-east-1_20230710T1200Z_iLj9fb7yyUG9X4Bf.json";

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn record(id: &str, time: &str, name: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","eventTime":"{time}","eventSource":"ec2.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","eventID":"{id}","readOnly":false,"managementEvent":true,"eventCategory":"Management","recipientAccountId":"111122223333","userIdentity":{{"arn":"arn:aws:iam::111122223333:user/a"}}}}"#
    )
}

fn broken_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("AWSLogs/111122223333/CloudTrail/us-east-1/2023/07/10");
    std::fs::create_dir_all(&d).unwrap();
    let good = std::fs::read(fixtures().join(GOOD_FILE)).unwrap();
    let mut truncated = gzip(&good);
    truncated.truncate(truncated.len() * 2 / 3);
    write(&d, "good.json.gz", &gzip(&good));
    write(&d, "truncated.json.gz", &truncated);
    write(&d, "notgzip.json.gz", b"\x00\x01garbage that is neither gzip nor JSON");
    write(&d, "notjson.json", b"<html>this is not json</html>");
    write(&d, "empty.json.gz", b"");
    write(&d, "notcloudtrail.json", br#"{"hello":"world"}"#);
    let mixed = format!(
        r#"{{"Records":[{},{},{},{},42]}}"#,
        record("ok-1", "2023-07-10T12:00:00Z", "RunInstances"),
        record("bad-time", "2026-13-45T99:00:00Z", "RunInstances"),
        record("no-name", "2023-07-10T12:00:00Z", "RunInstances").replace("\"eventName\"", "\"x\""),
        record("no-time", "2023-07-10T12:00:00Z", "RunInstances").replace("\"eventTime\"", "\"y\""),
    );
    write(&d, "mixed.json", mixed.as_bytes());
    dir
}

#[test]
fn every_bad_file_is_reported_and_nothing_good_is_lost() {
    let dir = broken_folder();
    let out = trailsight().args(["detect", "--warmup-days", "0"]).arg(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for (file, reason) in [
        ("truncated.json.gz", "truncated or corrupt gzip"),
        ("notgzip.json.gz", "not JSON"),
        ("notjson.json", "not JSON"),
        ("empty.json.gz", "empty file"),
        ("notcloudtrail.json", "missing eventTime"),
        ("mixed.json", "bad eventTime (e.g. 2026-13-45T99:00:00Z)"),
        ("mixed.json", "missing eventName"),
        ("mixed.json", "not a JSON object"),
    ] {
        assert!(
            stderr.lines().any(|l| l.contains(file) && l.contains(reason)),
            "{file}: {reason} not reported in\n{stderr}"
        );
    }
    assert!(!stderr.contains("good.json.gz"), "{stderr}");
    // The truncated copy adds only duplicates of good.json.gz; mixed.json adds one record.
    let good_records = 394; // records in GOOD_FILE, counted by hand
    assert!(stderr.contains("mixed.json: kept 1 good record(s)"), "{stderr}");
    let line = stderr.lines().find(|l| l.contains("truncated.json.gz: kept")).expect("truncated file kept records");
    let kept: u64 = line.split("kept ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(kept > 0 && kept < good_records, "{line}");
    // Every record of the truncated copy is also in good.json.gz: all are duplicates.
    let total = good_records + kept + 1;
    let dropped = if kept == 1 { "1 duplicate".to_string() } else { format!("{kept} duplicates") };
    assert!(stderr.contains(&format!("{total} records, {dropped} dropped")), "{stderr}");
}

#[test]
fn strict_mode_fails_when_anything_was_skipped() {
    let dir = broken_folder();
    let out = trailsight().args(["detect", "--strict", "-q", "--warmup-days", "0"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn nothing_readable_exits_1_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.json", b"not json");
    let out = trailsight().arg("detect").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nothing could be read") || stderr.contains("no readable CloudTrail records"), "{stderr}");
    let out = trailsight().args(["detect", "/no/such/folder"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(trailsight().arg("detect").output().unwrap().status.code(), Some(2));
    assert_eq!(trailsight().args(["detect", "x", "--format", "xml"]).output().unwrap().status.code(), Some(2));
    assert_eq!(trailsight().args(["detect", "x", "--sensitivity", "-1"]).output().unwrap().status.code(), Some(2));
}
