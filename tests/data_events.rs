//! Insights on data events (issue 12 §2): `--event-categories management,data` gives
//! data events (S3 object calls, Lambda Invoke...) series of their own, whose call rate
//! counts read and write calls, and whose records say `sourceEventCategory: "Data"`.

mod common;

use std::path::Path;

fn detect(args: &[&str]) -> Vec<serde_json::Value> {
    let out = common::trailsight().arg("detect").arg("-q").args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    common::records(&out.stdout)
}

fn sample() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample").display().to_string()
}

#[test]
fn data_events_get_series_only_when_asked_and_their_records_say_data() {
    let plain = detect(&[&sample()]);
    assert!(plain.iter().all(|r| r["insightDetails"]["sourceEventCategory"] == "Management"));
    let with_data = detect(&[&sample(), "--event-categories", "management,data"]);
    common::assert_valid_pairs(&with_data);
    let data: Vec<&serde_json::Value> = with_data.iter().filter(|r| r["insightDetails"]["sourceEventCategory"] == "Data").collect();
    assert!(!data.is_empty(), "the sample's burst of GetObject reads is an Insight on data events");
    assert!(data.iter().all(|r| r["insightDetails"]["eventSource"] == "s3.amazonaws.com" && r["insightDetails"]["eventName"] == "GetObject"));
    // The management insights are the same ones, with or without data series.
    let management: Vec<&serde_json::Value> = with_data.iter().filter(|r| r["insightDetails"]["sourceEventCategory"] == "Management").collect();
    assert_eq!(management.len(), plain.len());
    assert!(management.iter().zip(&plain).all(|(a, b)| *a == b));
}

#[test]
fn a_counts_table_keeps_the_category_so_detect_on_it_equals_detect_on_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("counts.parquet");
    let on_logs = common::trailsight()
        .args(["detect", "-q", "--event-categories", "management,data", "--write-counts"])
        .arg(&table)
        .arg(sample())
        .output()
        .unwrap();
    assert!(on_logs.status.success());
    let on_table = detect(&[&table.display().to_string(), "--event-categories", "management,data"]);
    let on_logs = common::records(&on_logs.stdout);
    assert!(on_logs.iter().any(|r| r["insightDetails"]["sourceEventCategory"] == "Data"));
    assert_eq!(on_table, on_logs);
}

#[test]
fn event_categories_must_include_management() {
    let out = common::trailsight().args(["detect", "--event-categories", "data"]).arg(sample()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must include management"));
}
