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
    // RunInstances call rate; RunInstances AccessDenied; DescribeInstances AccessDenied.
    assert_eq!(agg.series.len(), 3);
    assert_eq!(agg.series_totals(), vec![3, 1, 1]);
    assert_eq!(agg.stats.write_management, 3);
    assert_eq!(agg.stats.errors, 2);
    assert_eq!(agg.counts[&(0, 10)], 2);
}

#[test]
fn data_and_insight_events_never_enter_a_series() {
    let mut agg = Aggregates::new();
    let mut data = rec(1, 1, "PutObject");
    data.category = Category::Data;
    let mut insight = rec(1, 2, "RunInstances");
    insight.category = Category::Insight;
    agg.absorb(batch(&[data, insight]));
    assert!(agg.series.is_empty());
    assert_eq!((agg.stats.data_events, agg.stats.insight_records), (1, 1));
}

#[test]
fn duplicate_event_ids_across_files_count_once() {
    let mut agg = Aggregates::new();
    agg.absorb(batch(&[rec(1, 7, "CreateTags"), rec(2, 8, "CreateTags")]));
    agg.absorb(batch(&[rec(1, 7, "CreateTags")]));
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
        ids in proptest::collection::vec((0u64..200, 0i64..50, 0usize..3), 1..300),
        split in 1usize..5,
    ) {
        let names = ["RunInstances", "CreateTags", "CreateSnapshot"];
        let recs: Vec<Rec> = ids.iter().map(|&(id, m, n)| rec(m, id, names[n])).collect();
        let unique: std::collections::HashSet<u64> = ids.iter().map(|&(id, _, _)| id).collect();
        let mut agg = Aggregates::new();
        for chunk in recs.chunks(recs.len().div_ceil(split)) {
            agg.absorb(batch(chunk));
        }
        let counted: u64 = agg.counts.values().map(|&n| u64::from(n)).sum();
        let attributed: u64 = agg.attributions.values().map(|&n| u64::from(n)).sum();
        prop_assert_eq!(counted, unique.len() as u64);
        prop_assert_eq!(attributed, counted);
        prop_assert_eq!(agg.stats.duplicates, (ids.len() - unique.len()) as u64);
    }
}
