//! End to end on real CloudTrail delivery files (tests/fixtures/real-cloudtrail, copied
//! from ../shared/fixtures with their licences). The expected counts were taken by hand
//! from the files (see the fixtures' README): every record is parsed and counted once.

mod common;

use common::{fixtures, trailsight};
use trailsight::aggregate::Aggregates;
use trailsight::ingest::{discover, read_file};

fn aggregate(dir: &str) -> Aggregates {
    let found = discover(&[fixtures().join("real-cloudtrail").join(dir)]);
    let mut agg = Aggregates::new();
    for f in &found.files {
        agg.absorb(read_file(f));
    }
    agg.settle();
    agg
}

#[test]
fn invictus_delivery_files_are_read_completely() {
    let agg = aggregate("invictus-stratus-run");
    assert_eq!(agg.stats.files, 55);
    assert_eq!(agg.stats.records, 2900);
    assert_eq!(agg.stats.duplicates, 0);
    assert_eq!(agg.stats.management, 2900);
    assert_eq!(agg.stats.write_management, 574);
    assert_eq!(agg.stats.errors, 300);
    assert!(agg.reports.iter().all(|r| !r.has_issues()), "no file had problems");
    let counted: u64 = agg.counts.values().map(|&n| u64::from(n)).sum();
    assert_eq!(counted, 574 + 300);
}

#[test]
fn stratus_detonation_arrays_are_read_completely() {
    let agg = aggregate("stratus-detonations");
    assert_eq!(agg.stats.files, 35);
    // 288 records from 2024-07-30 to 2024-08-02; the detonations of late August,
    // October and November lie weeks away from that span and are out of range.
    assert_eq!(agg.stats.records + agg.stats.out_of_range, 310);
    assert_eq!(agg.stats.out_of_range, 22);
    let out_of_range: Vec<&str> = agg.reports.iter().filter(|r| r.has_issues()).map(|r| r.path.as_str()).collect();
    assert_eq!(out_of_range.len(), 4, "{out_of_range:?}");
}

#[test]
fn reading_the_same_files_twice_counts_each_event_once() {
    let dir = fixtures().join("real-cloudtrail/invictus-stratus-run");
    let found = discover(&[dir.clone(), dir]);
    let mut agg = Aggregates::new();
    for f in &found.files {
        agg.absorb(read_file(f));
    }
    agg.settle();
    assert_eq!(agg.stats.records, 5800);
    assert_eq!(agg.stats.duplicates, 2900);
    assert_eq!(agg.stats.write_management, 574);
}

#[test]
fn the_binary_reads_real_logs_and_summarises_them() {
    let out = trailsight()
        .args(["detect", "--warmup-days", "0"])
        .arg(fixtures().join("real-cloudtrail/invictus-stratus-run"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("read 55 files: 2900 records, 0 duplicates dropped"), "{stderr}");
    assert!(stderr.contains("2900 management (574 writes, 300 errors)"), "{stderr}");
    common::assert_valid_pairs(&common::records(&out.stdout));
}

#[test]
fn standard_input_is_read() {
    let file = fixtures().join("real-cloudtrail/stratus-detonations/aws.persistence.iam-create-admin-user.json");
    let out = trailsight().args(["detect", "-"]).pipe_stdin(file).unwrap().output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("read 1 file:"), "{stderr}");
}
