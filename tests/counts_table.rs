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
