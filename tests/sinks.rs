//! `--sink` end to end: every file sink carries exactly the records of the default NDJSON
//! output, in its own shape (SPEC §4), and OCSF findings validate against the official
//! OCSF 1.1.0 JSON schema.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample")
}

fn lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", path.display()))).collect()
}

/// Runs detect on the sample with `sinks`, in `dir`; returns standard output.
fn detect_with(dir: &Path, sinks: &[&str]) -> std::process::Output {
    let mut cmd = common::trailsight();
    cmd.current_dir(dir).arg("detect").arg(sample()).arg("--quiet");
    for s in sinks {
        cmd.args(["--sink", s]);
    }
    cmd.output().unwrap()
}

fn default_output() -> Vec<u8> {
    let out = common::trailsight().arg("detect").arg(sample()).arg("--quiet").output().unwrap();
    assert!(out.status.success());
    out.stdout
}

/// Every file sink at once, in a fresh folder.
fn all_file_sinks() -> (tempfile::TempDir, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let sinks = ["ndjson:n.jsonl", "records:r.json", "eventbridge:eb.jsonl", "ocsf:f.jsonl", "hec:h.jsonl", "s3-layout:layout"];
    let out = detect_with(dir.path(), &sinks);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "with --sink only, nothing goes to standard output");
    let records = common::records(&std::fs::read(dir.path().join("n.jsonl")).unwrap());
    assert!(records.len() >= 10, "the sample has insights: {}", records.len());
    (dir, records)
}

#[test]
fn ndjson_and_records_sinks_are_the_default_output_byte_for_byte() {
    let (dir, _) = all_file_sinks();
    let default = default_output();
    assert_eq!(std::fs::read(dir.path().join("n.jsonl")).unwrap(), default);
    let aliased = common::trailsight().arg("detect").arg(sample()).args(["--quiet", "--format", "records"]).output().unwrap();
    assert_eq!(std::fs::read(dir.path().join("r.json")).unwrap(), aliased.stdout, "records:PATH is --format records");
    let stdout = detect_with(dir.path(), &["ndjson"]);
    assert_eq!(stdout.stdout, default, "ndjson without a path is standard output");
}

#[test]
fn eventbridge_events_wrap_each_record_as_cloudtrail_puts_it_on_the_bus() {
    let (dir, records) = all_file_sinks();
    let events = lines(&dir.path().join("eb.jsonl"));
    assert_eq!(events.len(), records.len());
    let mut ids = std::collections::BTreeSet::new();
    for (event, record) in events.iter().zip(&records) {
        assert_eq!(event["version"], "0");
        assert_eq!(event["detail-type"], "AWS Insight via CloudTrail");
        assert_eq!(event["source"], "aws.cloudtrail");
        assert_eq!(event["account"], record["recipientAccountId"]);
        assert_eq!(event["time"], record["eventTime"]);
        assert_eq!(event["region"], record["awsRegion"]);
        assert_eq!(event["resources"], serde_json::json!([]));
        assert_eq!(&event["detail"], record);
        assert!(ids.insert(event["id"].as_str().unwrap().to_string()), "event ids are unique");
    }
    let keys: Vec<String> = {
        let first = std::fs::read_to_string(dir.path().join("eb.jsonl")).unwrap();
        let first: common::Ordered = serde_json::from_str(first.lines().next().unwrap()).unwrap();
        first.keys().into_iter().map(String::from).collect()
    };
    assert_eq!(keys, ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]);
}

#[test]
fn hec_events_carry_the_record_and_its_time() {
    let (dir, records) = all_file_sinks();
    let events = lines(&dir.path().join("h.jsonl"));
    assert_eq!(events.len(), records.len());
    for (event, record) in events.iter().zip(&records) {
        assert_eq!(event["sourcetype"], "aws:cloudtrail");
        assert_eq!(event["host"], "trailsight");
        assert!(event.get("index").is_none(), "no index unless configured");
        assert_eq!(&event["event"], record);
        let time = chrono::DateTime::parse_from_rfc3339(record["eventTime"].as_str().unwrap()).unwrap();
        assert_eq!(event["time"].as_i64(), Some(time.timestamp()));
    }
}

#[test]
fn hec_fields_are_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = common::trailsight();
    cmd.current_dir(dir.path()).arg("detect").arg(sample()).args(["--quiet", "--sink", "hec:h.jsonl"]);
    cmd.args(["--hec-sourcetype", "aws:cloudtrail:insight", "--hec-index", "security", "--hec-host", "nightly-1"]);
    assert!(cmd.output().unwrap().status.success());
    let first = &lines(&dir.path().join("h.jsonl"))[0];
    assert_eq!((&first["sourcetype"], &first["index"], &first["host"]), (&"aws:cloudtrail:insight".into(), &"security".into(), &"nightly-1".into()));
}

#[test]
fn ocsf_findings_pair_start_and_end_under_the_shared_event_id() {
    let (dir, records) = all_file_sinks();
    let findings = lines(&dir.path().join("f.jsonl"));
    assert_eq!(findings.len(), records.len());
    for (f, r) in findings.iter().zip(&records) {
        let start = r["insightDetails"]["state"] == "Start";
        assert_eq!(f["class_uid"], 2004);
        assert_eq!(f["activity_id"], if start { 1 } else { 3 });
        assert_eq!(f["type_uid"], if start { 200401 } else { 200403 });
        assert_eq!(f["finding_info"]["uid"], r["sharedEventID"]);
        assert_eq!(f["metadata"]["uid"], r["eventID"]);
        assert_eq!(f["cloud"]["account"]["uid"], r["recipientAccountId"]);
        assert_eq!(f["cloud"]["region"], r["awsRegion"]);
        assert_eq!(f["api"]["operation"], r["insightDetails"]["eventName"]);
        assert_eq!(f["api"]["service"]["name"], r["insightDetails"]["eventSource"]);
        assert_eq!(f["finding_info"]["types"][0], r["insightDetails"]["insightType"]);
        let stats = &r["insightDetails"]["insightContext"]["statistics"];
        assert_eq!(f["evidences"][0]["data"]["baseline_average"], stats["baseline"]["average"]);
        assert_eq!(f["evidences"][0]["data"]["insight_average"], stats["insight"]["average"]);
        let raw: Value = serde_json::from_str(f["raw_data"].as_str().unwrap()).unwrap();
        assert_eq!(&raw, r);
        let first = f["finding_info"]["first_seen_time"].as_i64().unwrap();
        let last = f["finding_info"]["last_seen_time"].as_i64().unwrap();
        assert_eq!(last - first, stats["insightDuration"].as_i64().unwrap() * 60_000);
    }
}

/// Validates every line of `findings` against the OCSF 1.1.0 Detection Finding schema
/// (cloud profile); returns the validator's report and whether all were valid.
fn validate_ocsf(python: &Path, findings: &Path) -> (bool, String) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/ocsf_validate.py");
    let out = std::process::Command::new(python).arg(script).arg(findings).output().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), report)
}

#[test]
fn ocsf_findings_validate_against_the_official_1_1_0_schema() {
    // ocsf-json-schema and jsonschema (tests/requirements/ocsf.txt), installed on first use.
    let Some(python) = common::setup::python(&common::setup::OCSF) else { return };
    let (dir, records) = all_file_sinks();
    let findings = dir.path().join("f.jsonl");
    let (valid, report) = validate_ocsf(&python, &findings);
    assert!(valid, "{report}");
    assert!(report.contains(&format!("{} findings valid", records.len())), "{report}");

    // The validator rejects what the schema forbids: an unknown key, a wrong enum value.
    let text = std::fs::read_to_string(&findings).unwrap();
    let first = text.lines().next().unwrap();
    for broken in [first.replacen("\"class_uid\":2004", "\"class_uid\":2004,\"score\":1", 1), first.replacen("\"activity_id\":1", "\"activity_id\":7", 1)] {
        assert_ne!(broken, first);
        let path = dir.path().join("broken.jsonl");
        std::fs::write(&path, broken + "\n").unwrap();
        let (valid, report) = validate_ocsf(&python, &path);
        assert!(!valid, "a broken finding must not validate: {report}");
    }
}

#[test]
fn the_s3_layout_sink_is_the_out_folder() {
    let (dir, _) = all_file_sinks();
    let aliased = dir.path().join("aliased");
    let out = common::trailsight().arg("detect").arg(sample()).arg("--quiet").arg("--out").arg(format!("{}/", aliased.display())).output().unwrap();
    assert!(out.status.success());
    let tree = |root: &Path| -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(root)
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_type().is_file())
            .map(|e| (e.path().strip_prefix(root).unwrap().display().to_string(), std::fs::read(e.path()).unwrap()))
            .collect();
        files.sort();
        files
    };
    let layout = tree(&dir.path().join("layout"));
    assert!(layout.iter().any(|(p, _)| p.contains("/CloudTrail-Insight/")), "{:?}", layout.iter().map(|f| &f.0).collect::<Vec<_>>());
    assert_eq!(layout, tree(&aliased));
}

#[test]
fn a_failed_run_leaves_every_sink_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("no-logs");
    std::fs::create_dir(&empty).unwrap();
    for name in ["eb.jsonl", "f.jsonl", "h.jsonl"] {
        std::fs::write(dir.path().join(name), "yesterday\n").unwrap();
    }
    let out = common::trailsight()
        .current_dir(dir.path())
        .arg("detect")
        .arg(&empty)
        .args(["--quiet", "--sink", "eventbridge:eb.jsonl", "--sink", "ocsf:f.jsonl", "--sink", "hec:h.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "nothing read");
    for name in ["eb.jsonl", "f.jsonl", "h.jsonl"] {
        assert_eq!(std::fs::read_to_string(dir.path().join(name)).unwrap(), "yesterday\n", "{name}");
    }
    let names: Vec<String> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.contains(".tmp-")), "no temporary file left: {names:?}");
}

#[test]
fn sinks_that_write_the_same_place_and_unknown_sinks_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    for sinks in [&["ndjson", "records"][..], &["ocsf:x.jsonl", "hec:x.jsonl"], &["splunk:x"], &["ocsf"]] {
        let out = detect_with(dir.path(), sinks);
        assert_eq!(out.status.code(), Some(2), "{sinks:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!dir.path().join("x.jsonl").exists());
    }
}

#[test]
fn sink_output_is_the_same_bytes_on_every_run() {
    let (first, _) = all_file_sinks();
    let (second, _) = all_file_sinks();
    for name in ["n.jsonl", "r.json", "eb.jsonl", "f.jsonl", "h.jsonl"] {
        assert_eq!(std::fs::read(first.path().join(name)).unwrap(), std::fs::read(second.path().join(name)).unwrap(), "{name}");
    }
}
