use super::*;
use crate::testutil::{batch, rec, Rec};
use proptest::prelude::*;

#[test]
fn counts_writes_and_errors_into_their_series() {
    let mut agg = Aggregates::new();
    let mut failed = rec(10, 3, "RunInstances");
    failed.error = Some("AccessDenied");
    let mut read_err = rec(10, 4, "DescribeInstances");
    read_err.read_only = true;
    read_err.error = Some("AccessDenied");
    let mut read = rec(10, 5, "DescribeInstances");
    read.read_only = true;
    agg.absorb(batch(&[rec(10, 1, "RunInstances"), rec(11, 2, "RunInstances"), failed, read_err, read]));
    agg.settle();
    // Sorted by key: DescribeInstances AccessDenied; RunInstances call rate; RunInstances
    // AccessDenied.
    assert_eq!(agg.series.len(), 3);
    assert_eq!(agg.series_totals(), vec![1, 3, 1]);
    assert_eq!(agg.stats.write_management, 3);
    assert_eq!(agg.stats.errors, 2);
    assert_eq!(agg.counts[&(1, 10)], 2);
}

#[test]
fn data_and_insight_events_never_enter_a_series() {
    let mut agg = Aggregates::new();
    let mut data = rec(1, 1, "PutObject");
    data.category = Category::Data;
    let mut insight = rec(1, 2, "RunInstances");
    insight.category = Category::Insight;
    agg.absorb(batch(&[data, insight]));
    agg.settle();
    assert!(agg.series.is_empty());
    assert_eq!((agg.stats.data_events, agg.stats.insight_records), (1, 1));
}

#[test]
fn duplicate_event_ids_across_files_count_once() {
    let mut agg = Aggregates::new();
    agg.absorb(batch(&[rec(1, 7, "CreateTags"), rec(2, 8, "CreateTags")]));
    agg.absorb(batch(&[rec(1, 7, "CreateTags")]));
    agg.settle();
    assert_eq!(agg.stats.duplicates, 1);
    assert_eq!(agg.series_totals(), vec![2]);
}

#[test]
fn iam_writes_are_kept_per_principal() {
    let mut agg = Aggregates::new();
    let mut create = rec(5, 1, "CreateUser");
    create.source = "iam.amazonaws.com";
    agg.absorb(batch(&[create, rec(5, 2, "RunInstances")]));
    assert_eq!(agg.iam_writes.len(), 1);
    assert_eq!(agg.iam_writes.values().next().unwrap().len(), 1);
}

proptest! {
    /// Every unique write is counted exactly once, in series counts and in attributions,
    /// however the records are split into files and however often they are redelivered.
    #[test]
    fn counts_are_conserved_and_duplicates_never_change_them(
        ids in proptest::collection::vec(0u64..200, 1..300),
        split in 1usize..5,
    ) {
        // A redelivered record is the same record: its time and API follow its eventID.
        let names = ["RunInstances", "CreateTags", "CreateSnapshot"];
        let recs: Vec<Rec> = ids.iter().map(|&id| rec((id % 50) as i64, id, names[(id % 3) as usize])).collect();
        let unique: std::collections::HashSet<u64> = ids.iter().copied().collect();
        let mut agg = Aggregates::new();
        for chunk in recs.chunks(recs.len().div_ceil(split)) {
            agg.absorb(batch(chunk));
        }
        agg.settle();
        let counted: u64 = agg.counts.values().map(|&n| u64::from(n)).sum();
        let attributed: u64 = agg.attributions.values().map(|&n| u64::from(n)).sum();
        prop_assert_eq!(counted, unique.len() as u64);
        prop_assert_eq!(attributed, counted);
        prop_assert_eq!(agg.stats.duplicates, (ids.len() - unique.len()) as u64);
    }
}

#[test]
fn settling_numbers_strings_and_series_by_their_text() {
    let mut a = Aggregates::new();
    a.absorb(batch(&[rec(5, 1, "RunInstances")]));
    a.absorb(batch(&[rec(6, 2, "CreateTags")]));
    let mut b = Aggregates::new();
    b.absorb(batch(&[rec(6, 2, "CreateTags")]));
    b.absorb(batch(&[rec(5, 1, "RunInstances")]));
    a.settle();
    b.settle();
    assert_eq!(a.series, b.series);
    let sorted = |agg: &Aggregates| -> Vec<_> {
        let mut cells: Vec<_> = agg.attributions.iter().map(|(k, n)| (*k, *n)).collect();
        cells.sort();
        cells
    };
    assert_eq!(sorted(&a), sorted(&b));
    assert_eq!(a.strings.resolve(a.series[0].name), "CreateTags");
}

#[test]
fn a_stray_day_is_reported_and_removed() {
    let mut agg = Aggregates::new();
    let day = crate::time::MINUTES_PER_DAY;
    let recs: Vec<Rec> = (0..50).map(|i| rec(20_000 * day + i, i as u64, "RunInstances")).collect();
    agg.absorb(batch(&recs));
    agg.absorb(batch(&[rec(5, 999, "RunInstances")]));
    agg.settle();
    assert_eq!(agg.stats.out_of_range, 1);
    assert_eq!(agg.stats.write_management, 50);
    assert!(agg.counts.keys().all(|&(_, m)| m >= 20_000 * day));
    assert!(agg.reports[1].describe().iter().any(|l| l.contains("eventTime out of range")));
    assert_eq!(agg.reports[1].records, 0);
}

#[test]
fn counts_saturate_instead_of_wrapping() {
    let mut agg = Aggregates::new();
    let mut b = batch(&[rec(10, 1, "CreateUser"), rec(10, 2, "CreateUser")]);
    for e in &mut b.events {
        e.calls = 3_000_000_000;
        e.source = b.strings.intern("iam.amazonaws.com");
    }
    agg.absorb(b);
    agg.settle();
    assert_eq!(agg.counts.values().copied().collect::<Vec<_>>(), vec![u32::MAX]);
    assert_eq!(agg.stats.saturated_cells, 1);
    assert_eq!(agg.stats.write_management, 6_000_000_000);
    // IAM writes are weighted entries, never one entry per call.
    assert_eq!(agg.iam_writes.values().map(Vec::len).sum::<usize>(), 2);
}
