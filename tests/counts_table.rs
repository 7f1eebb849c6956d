//! The counts table round trip: `detect --write-counts` then `detect` on the Parquet
//! gives the same insights as the logs, and a Parquet file that is not a counts table is
//! reported, not fatal.

use assert_cmd::Command;
use std::path::Path;

fn sample() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample")
}

fn detect(args: &[&std::ffi::OsStr]) -> (String, String) {
    let out = Command::cargo_bin("trailsight").unwrap().arg("detect").args(args).args(["--format", "ndjson"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn insights_from_the_counts_table_match_insights_from_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("counts.parquet");
    let (from_logs, _) = detect(&[sample().as_os_str(), "--write-counts".as_ref(), table.as_os_str()]);
    assert!(!from_logs.is_empty(), "the sample has insights");
    let (from_table, summary) = detect(&[table.as_os_str()]);
    assert!(summary.contains("read 1 file"), "{summary}");
    assert_eq!(from_table, from_logs);
}

#[test]
fn a_parquet_file_that_is_not_a_counts_table_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("counts.parquet");
    detect(&[sample().as_os_str(), "--write-counts".as_ref(), table.as_os_str()]);
    // Cut in half: it opens like Parquet, but its footer (the schema) is gone.
    let bytes = std::fs::read(&table).unwrap();
    let broken = dir.path().join("broken.parquet");
    std::fs::write(&broken, &bytes[..bytes.len() / 2]).unwrap();
    let (_, summary) = detect(&[sample().as_os_str(), broken.as_os_str()]);
    assert!(summary.contains("broken.parquet"), "{summary}");
    assert!(summary.contains("not a usable counts table"), "{summary}");
}

/// `detect` on the table equals `detect` on the logs on histories where every model has
/// something to see: the standard mix, the hard mix and the reach mix with data events
/// (quiet IAM persistence is judged by the first-seen model, which reads principals'
/// read-only activity, user agents and source IPs from the table).
#[test]
fn the_table_carries_what_every_model_needs() {
    use trailsight::simulate::{simulate, AnomalyMix, SimConfig};
    let cases = [(31, AnomalyMix::default(), false), (32, AnomalyMix::hard(), false), (33, AnomalyMix::reach(), true)];
    for (seed, anomalies, data) in cases {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        let config = SimConfig { out: logs.clone(), days: 9, seed, scale: 0.03, anomalies, ..SimConfig::default() };
        simulate(&config).unwrap();
        let table = dir.path().join("counts.parquet");
        let categories: &[&str] = if data { &["--event-categories", "management,data"] } else { &[] };
        let mut args: Vec<&std::ffi::OsStr> = vec![logs.as_os_str(), "--write-counts".as_ref(), table.as_os_str()];
        args.extend(categories.iter().map(|a| std::ffi::OsStr::new(a)));
        let (from_logs, _) = detect(&args);
        assert!(from_logs.lines().count() >= 4, "seed {seed}: the history has insights");
        let mut args: Vec<&std::ffi::OsStr> = vec![table.as_os_str()];
        args.extend(categories.iter().map(|a| std::ffi::OsStr::new(a)));
        let (from_table, summary) = detect(&args);
        assert_eq!(from_table, from_logs, "seed {seed}: {summary}");
        if data {
            assert!(from_logs.contains("\"sourceEventCategory\":\"Data\""), "seed {seed}: no data-event insight");
        }
    }
}

/// The table's columns: read-only successes and source IPs are in it (the behaviour
/// model reads them), one row per distinct cell.
#[test]
fn version_2_rows_hold_read_only_calls_and_source_ips() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("counts.parquet");
    detect(&[sample().as_os_str(), "--write-counts".as_ref(), table.as_os_str()]);
    let file = std::fs::File::open(&table).unwrap();
    let mut reader = ParquetReader::new(file);
    let meta = reader.get_metadata().unwrap().key_value_metadata().clone().unwrap_or_default();
    let version = meta.iter().find(|kv| kv.key == "trailsight.counts_version").and_then(|kv| kv.value.clone());
    assert_eq!(version.as_deref(), Some("2"));
    let frame = reader.finish().unwrap();
    let names: Vec<&str> = frame.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(
        names,
        ["minute", "recipient_account_id", "aws_region", "event_source", "event_name", "event_category", "read_only", "error_code", "user_identity_arn", "user_agent", "source_ip_address", "count"]
    );
    let read_only = frame.column("read_only").unwrap().bool().unwrap().sum().unwrap_or(0);
    assert!(read_only > 0, "no read-only rows");
    let ips = frame.column("source_ip_address").unwrap().str().unwrap().null_count();
    assert!(ips < frame.height(), "no source IPs");
    let keys: Vec<&str> = names[..names.len() - 1].to_vec();
    let distinct = frame.select(keys).unwrap().unique_stable(None, UniqueKeepStrategy::First, None).unwrap().height();
    assert_eq!(distinct, frame.height(), "a cell appears twice");
}
