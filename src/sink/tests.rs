use super::*;
use crate::insight::{Average, InsightContext, InsightDetails, Statistics};

fn record(time: &str, state: &'static str) -> InsightRecord {
    record_in("111122223333", "us-east-1", time, state)
}

/// A record of `account` and `region` (also for the other sink modules' tests).
pub(super) fn record_in(account: &str, region: &str, time: &str, state: &'static str) -> InsightRecord {
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

/// A Start record with attributions, for the golden encodings.
fn attributed() -> InsightRecord {
    use crate::insight::{Attribution, ValueAverage};
    let mut r = record("2026-01-12T20:56:00Z", "Start");
    let va = |value: &str, average: f64| ValueAverage { value: value.into(), average: Average(average) };
    r.insight_details.insight_context.attributions = vec![
        Attribution { attribute: "userIdentityArn", insight: vec![va("arn:aws:iam::111122223333:user/mallory", 8.0), va("arn:aws:iam::111122223333:role/ci", 2.0)], baseline: vec![va("arn:aws:iam::111122223333:role/ci", 0.5)] },
        Attribution { attribute: "userAgent", insight: vec![va("aws-cli/2.15.0", 10.0)], baseline: vec![] },
        Attribution { attribute: "errorCode", insight: vec![va("null", 10.0)], baseline: vec![va("null", 0.5)] },
    ];
    r
}

#[test]
fn golden_eventbridge_event() {
    insta::assert_snapshot!(String::from_utf8(eventbridge::event(&attributed()).unwrap()).unwrap());
}

#[test]
fn golden_ocsf_finding() {
    insta::assert_snapshot!(String::from_utf8(ocsf::finding(&attributed()).unwrap()).unwrap());
}

#[test]
fn golden_hec_event() {
    let fields = hec::HecFields { index: Some("security".into()), ..hec::HecFields::default() };
    insta::assert_snapshot!(String::from_utf8(hec::event(&attributed(), &fields).unwrap()).unwrap());
}

#[test]
fn ocsf_severity_follows_how_far_above_the_baseline() {
    let severity = |baseline: f64, observed: f64| {
        let mut r = record("2026-01-12T20:56:00Z", "Start");
        r.insight_details.insight_context.statistics.baseline = Average(baseline);
        r.insight_details.insight_context.statistics.insight = Average(observed);
        let f: serde_json::Value = serde_json::from_slice(&ocsf::finding(&r).unwrap()).unwrap();
        f["severity_id"].as_u64().unwrap()
    };
    assert_eq!([severity(0.0, 1.0), severity(1.0, 10.0), severity(1.0, 9.0), severity(1.0, 3.0), severity(1.0, 2.0)], [4, 4, 3, 3, 2]);
}

#[test]
fn the_end_finding_closes_the_start_finding_over_the_whole_anomaly() {
    let mut end = record("2026-01-12T21:26:00Z", "End");
    end.insight_details.insight_context.statistics.insight_duration = 30;
    let f: serde_json::Value = serde_json::from_slice(&ocsf::finding(&end).unwrap()).unwrap();
    assert_eq!((f["activity_name"].as_str(), f["status"].as_str()), (Some("Close"), Some("Resolved")));
    let start_ms = crate::time::parse_event_minute("2026-01-12T20:56:00Z").unwrap() * 60_000;
    assert_eq!(f["finding_info"]["first_seen_time"].as_i64(), Some(start_ms));
    assert_eq!(f["finding_info"]["last_seen_time"].as_i64(), Some(start_ms + 30 * 60_000));
}

#[test]
fn fan_out_hands_every_destination_the_whole_list_once_and_commits_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let specs: Vec<SinkSpec> = ["ndjson:a.jsonl", "eventbridge:b.jsonl"].iter().map(|s| s.parse().unwrap()).collect();
    let named = specs.iter().map(|s| match s {
        SinkSpec::File { kind, path } => SinkSpec::File { kind: *kind, path: path.as_ref().map(|p| dir.path().join(p)) },
        other => other.clone(),
    });
    let named: Vec<Named> = named.map(|s| s.open(&SinkOptions::default()).unwrap()).collect();
    let (mut sink, deliveries) = fan_out(named);
    sink.write(&record("2026-01-12T20:56:00Z", "Start")).unwrap();
    sink.write(&record("2026-01-12T21:01:00Z", "End")).unwrap();
    sink.finish().unwrap();
    assert!(!dir.path().join("a.jsonl").exists(), "nothing visible before the commit");
    let results = deliveries.commit();
    let names: Vec<&str> = results.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names[0].starts_with("ndjson:") && names[1].starts_with("eventbridge:"), "{names:?}");
    assert!(results.iter().all(|(_, r)| r.as_ref().is_ok_and(|d| d.records == 2)));
    assert_eq!(std::fs::read_to_string(dir.path().join("b.jsonl")).unwrap().lines().count(), 2);
}

#[test]
fn an_unfinished_fan_out_delivers_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let spec: SinkSpec = format!("ndjson:{}", dir.path().join("a.jsonl").display()).parse().unwrap();
    let (mut sink, deliveries) = fan_out(vec![spec.open(&SinkOptions::default()).unwrap()]);
    sink.write(&record("2026-01-12T20:56:00Z", "Start")).unwrap();
    drop(sink);
    assert!(deliveries.commit().iter().all(|(_, r)| r.is_err()));
    assert!(!dir.path().join("a.jsonl").exists());
}
