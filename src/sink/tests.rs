use super::*;
use crate::insight::{Average, InsightContext, InsightDetails, Statistics};

fn record(time: &str, state: &'static str) -> InsightRecord {
    record_in("111122223333", "us-east-1", time, state)
}

fn record_in(account: &str, region: &str, time: &str, state: &'static str) -> InsightRecord {
    InsightRecord::new(
        time.to_string(),
        region.into(),
        format!("id-{state}"),
        account.into(),
        "shared".into(),
        InsightDetails {
            state,
            event_source: "ec2.amazonaws.com".into(),
            event_name: "RunInstances".into(),
            insight_type: "ApiCallRateInsight",
            error_code: None,
            source_event_category: "Management",
            insight_context: InsightContext {
                statistics: Statistics { baseline: Average(0.5), insight: Average(10.0), insight_duration: 5, baseline_duration: 10080 },
                attributions: vec![],
            },
        },
    )
}

fn run(format: Format, records: &[InsightRecord]) -> String {
    let mut out = Vec::new();
    {
        let mut sink = to_writer(format, &mut out);
        for r in records {
            sink.write(r).unwrap();
        }
        sink.finish().unwrap();
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn ndjson_is_one_record_per_line() {
    let text = run(Format::Ndjson, &[record("2026-01-01T00:00:00Z", "Start"), record("2026-01-01T00:05:00Z", "End")]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["eventType"], "AwsCloudTrailInsight");
    }
}

#[test]
fn records_is_one_aws_document_even_when_empty() {
    let text = run(Format::Records, &[record("2026-01-01T00:00:00Z", "Start"), record("2026-01-01T00:05:00Z", "End")]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["Records"].as_array().unwrap().len(), 2);
    let empty: serde_json::Value = serde_json::from_str(&run(Format::Records, &[])).unwrap();
    assert_eq!(empty["Records"].as_array().unwrap().len(), 0);
}

#[test]
fn s3_layout_names_files_like_aws() {
    let dir = tempfile::tempdir().unwrap();
    let (sink, commit) = S3LayoutSink::open(dir.path()).unwrap();
    let mut sink: Box<dyn Sink> = Box::new(sink);
    sink.write(&record("2026-01-12T20:56:00Z", "Start")).unwrap();
    sink.write(&record("2026-01-12T21:01:00Z", "End")).unwrap();
    sink.finish().unwrap();
    assert!(!dir.path().join("AWSLogs").join("111122223333/CloudTrail-Insight/us-east-1/2026/01/12").read_dir().unwrap().any(|e| !e.unwrap().file_name().to_string_lossy().starts_with('.')), "nothing visible before the commit");
    assert_eq!(commit.commit().unwrap().written, 1);
    let folder = dir.path().join("AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/01/12");
    let files: Vec<String> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(files.len(), 1);
    let name = &files[0];
    assert!(name.starts_with("111122223333_CloudTrail-Insight_us-east-1_20260112T2101Z_"), "{name}");
    let suffix = name.trim_end_matches(".json.gz").rsplit('_').next().unwrap();
    assert_eq!(suffix.len(), 16);
    assert!(suffix.chars().all(|c| c.is_ascii_alphanumeric()));
    let gz = std::fs::read(folder.join(name)).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["Records"].as_array().unwrap().len(), 2);
}

/// Every file under `dir`, relative, sorted.
fn tree(dir: &std::path::Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                files.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    files
}

fn layout_run(dir: &std::path::Path, records: &[InsightRecord]) -> Committed {
    let (sink, commit) = S3LayoutSink::open(dir).unwrap();
    let mut sink: Box<dyn Sink> = Box::new(sink);
    for r in records {
        sink.write(r).unwrap();
    }
    sink.finish().unwrap();
    commit.commit().unwrap()
}

#[test]
fn s3_layout_refuses_values_that_are_not_path_parts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let forged = [
        record_in("../../../x", "us-east-1", "2026-01-12T20:56:00Z", "Start"),
        record_in("111122223333", "../../x", "2026-01-12T20:56:00Z", "Start"),
        record_in("11112222333/", "us-east-1", "2026-01-12T20:56:00Z", "Start"),
        record_in("111122223333", "US-EAST-1", "2026-01-12T20:56:00Z", "Start"),
        record_in("111122223333", "", "2026-01-12T20:56:00Z", "Start"),
        record_in("111122223333", "us-east-1", "2026-01-12T20:56:00Z/../..", "Start"),
        record_in("１１１１２２２２３３３３", "us-east-1", "2026-01-12T20:56:00Z", "Start"),
    ];
    let mut all = forged.to_vec();
    all.push(record("2026-01-12T20:56:00Z", "Start"));
    let done = layout_run(&out, &all);
    assert_eq!(done.refused.len(), forged.len());
    assert_eq!(done.written, 1);
    assert_eq!(tree(dir.path()).len(), 2, "one delivery file and the manifest: {:?}", tree(dir.path()));
}

#[test]
fn a_rerun_into_the_folder_replaces_what_the_last_run_wrote_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    layout_run(dir.path(), &[record("2026-01-12T20:56:00Z", "Start"), record("2026-01-13T20:56:00Z", "Start")]);
    let first = tree(dir.path());
    assert_eq!(first.len(), 4, "{first:?}");
    let done = layout_run(dir.path(), &[record("2026-01-12T20:56:00Z", "Start")]);
    assert_eq!((done.written, done.removed), (1, 1));
    let second = tree(dir.path());
    assert_eq!(second.len(), 3, "{second:?}");
    assert!(second.iter().all(|f| first.contains(f)));
    assert!(!dir.path().join("AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/01/13").exists(), "emptied folders go too");
    assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(), "mine");
}

#[test]
fn a_manifest_cannot_make_a_rerun_remove_files_outside_the_layout() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("keep.json.gz");
    std::fs::write(&outside, "not trailsight's").unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let sha = hex::encode(ring::digest::digest(&ring::digest::SHA256, b"not trailsight's"));
    let planted = format!("{{\"version\":1,\"files\":{{\"../keep.json.gz\":\"{sha}\"}}}}");
    std::fs::write(out.join(MANIFEST), planted).unwrap();
    assert_eq!(layout_run(&out, &[]).removed, 0);
    assert!(outside.exists());
}

#[test]
fn layout_paths_are_recognised_only_in_their_exact_shape() {
    let good = relative_path("111122223333", "us-east-1", "2026-01-12T21:01:00Z", b"x").unwrap();
    assert!(is_layout_path(&good), "{good}");
    for bad in ["../x", "AWSLogs/../../x", "/etc/passwd", "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/01/12/../../x.json.gz"] {
        assert!(!is_layout_path(bad), "{bad}");
    }
}
