use super::*;
use crate::insight::{Average, InsightContext, InsightDetails, Statistics};

fn record(time: &str, state: &'static str) -> InsightRecord {
    InsightRecord::new(
        time.to_string(),
        "us-east-1".into(),
        format!("id-{state}"),
        "111122223333".into(),
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
    let mut sink: Box<dyn Sink> = Box::new(S3LayoutSink::new(dir.path()));
    sink.write(&record("2026-01-12T20:56:00Z", "Start")).unwrap();
    sink.write(&record("2026-01-12T21:01:00Z", "End")).unwrap();
    sink.finish().unwrap();
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
