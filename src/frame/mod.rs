//! Frames: the aggregated counts as polars frames, the seam between counting and models.
//!
//! [`CountsTable`] holds one row per (series, minute) with a non-zero count, sorted by
//! series then minute by a polars lazy plan, so each series is one contiguous slice that
//! models read without copying. Column names are the constants in [`columns`]; the same
//! schema is what a user exports as Parquet to move aggregation to another engine.

pub mod attribution;
pub mod principals;

pub use attribution::{Attribute, AttributionTable, AttributionValue};
pub use principals::{PrincipalIam, PrincipalWindows};

use crate::aggregate::{Aggregates, SeriesId, SeriesKey};
use crate::intern::Interner;
use crate::time::Minute;
use polars::prelude::*;

/// Column names of trailsight's frames: the counts table's names (one schema with the
/// Parquet tables `detect` reads and writes), plus the series index.
pub mod columns {
    pub use crate::ingest::counts::columns::{
        ACCOUNT, COUNT, ERROR_CODE, EVENT_NAME, EVENT_SOURCE, INSIGHT_TYPE, MINUTE, REGION,
    };
    pub const SERIES: &str = "series";
}

use columns::*;

/// Per-minute counts of every series, sorted by (series, minute).
#[derive(Debug, Clone)]
pub struct CountsTable {
    frame: DataFrame,
    /// Row where each series starts; `offsets[s]..offsets[s + 1]` are its rows.
    offsets: Vec<usize>,
}

impl CountsTable {
    /// Builds the table from the aggregated counts of `n_series` series.
    pub fn new<S>(counts: &std::collections::HashMap<(SeriesId, Minute), u32, S>, n_series: usize) -> PolarsResult<Self> {
        let mut series = Vec::with_capacity(counts.len());
        let mut minutes = Vec::with_capacity(counts.len());
        let mut values = Vec::with_capacity(counts.len());
        for (&(s, m), &n) in counts {
            series.push(s);
            minutes.push(m);
            values.push(n);
        }
        let frame = DataFrame::new_infer_height(vec![
            Column::new(SERIES.into(), series),
            Column::new(MINUTE.into(), minutes),
            Column::new(COUNT.into(), values),
        ])?;
        Self::from_frame(frame, n_series)
    }

    /// Sorts any frame with the counts schema and indexes its series.
    pub fn from_frame(frame: DataFrame, n_series: usize) -> PolarsResult<Self> {
        let mut frame = frame
            .lazy()
            .sort([SERIES, MINUTE], SortMultipleOptions::default())
            .collect()?;
        frame.rechunk_mut();
        let series = frame.column(SERIES)?.u32()?.cont_slice()?;
        let offsets = series_offsets(series.iter().copied(), n_series);
        Ok(Self { frame, offsets })
    }

    pub fn frame(&self) -> &DataFrame {
        &self.frame
    }

    pub fn n_series(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The (minute, count) rows of one series, in minute order.
    pub fn series(&self, s: SeriesId) -> (&[Minute], &[u32]) {
        let (a, b) = (self.offsets[s as usize], self.offsets[s as usize + 1]);
        let minutes = self.frame.column(MINUTE).ok().and_then(|c| c.i64().ok()?.cont_slice().ok());
        let counts = self.frame.column(COUNT).ok().and_then(|c| c.u32().ok()?.cont_slice().ok());
        match (minutes, counts) {
            (Some(m), Some(c)) => (&m[a..b], &c[a..b]),
            _ => (&[], &[]),
        }
    }

    /// Dense counts of one series for `len` minutes from `origin`.
    pub fn dense(&self, s: SeriesId, origin: Minute, len: usize) -> Vec<u32> {
        let mut out = vec![0u32; len];
        let (minutes, counts) = self.series(s);
        for (&m, &c) in minutes.iter().zip(counts) {
            if let Some(slot) = usize::try_from(m - origin).ok().and_then(|i| out.get_mut(i)) {
                *slot = c;
            }
        }
        out
    }

    /// Calls of one series in the minutes `[from, to)`.
    pub fn window_sum(&self, s: SeriesId, from: Minute, to: Minute) -> u64 {
        let (minutes, counts) = self.series(s);
        let a = minutes.partition_point(|&m| m < from);
        let b = minutes.partition_point(|&m| m < to);
        counts[a..b].iter().map(|&c| u64::from(c)).sum()
    }
}

/// Everything the models and the Insight renderer read, built once from the settled
/// aggregates: the one seam between counting and judging.
#[derive(Debug)]
pub struct Frames {
    /// The strings behind every symbol.
    pub strings: Interner,
    /// Each series' identity, by series id.
    pub series: Vec<SeriesKey>,
    /// Per-minute counts, one contiguous slice per series.
    pub counts: CountsTable,
    /// Attribution cells (principal, user agent, error code per minute), per series.
    pub attributions: AttributionTable,
    /// IAM writes per principal.
    pub iam: Vec<PrincipalIam>,
    /// Behaviour windows per principal.
    pub behaviour: Vec<PrincipalWindows>,
}

impl Frames {
    /// Builds every frame from settled aggregates (see `Aggregates::settle`).
    pub fn new(mut agg: Aggregates) -> PolarsResult<Self> {
        let n = agg.series.len();
        let counts = CountsTable::new(&agg.counts, n)?;
        let families = agg.principal_families();
        let attributions = AttributionTable::new(std::mem::take(&mut agg.attributions), n).with_families(families);
        Ok(Self {
            counts,
            attributions,
            iam: principals::iam_table(std::mem::take(&mut agg.iam_writes)),
            behaviour: principals::behaviour_table(std::mem::take(&mut agg.behaviour)),
            strings: std::mem::take(&mut agg.strings),
            series: std::mem::take(&mut agg.series),
        })
    }

    pub fn n_series(&self) -> usize {
        self.series.len()
    }
}

/// Where each series starts in rows sorted by series: `offsets[s]..offsets[s + 1]` are
/// the rows of series `s` (ids at or past `n_series` are not counted).
pub fn series_offsets(sorted_ids: impl Iterator<Item = SeriesId>, n_series: usize) -> Vec<usize> {
    let mut offsets = vec![0usize; n_series + 1];
    for s in sorted_ids {
        if let Some(slot) = offsets.get_mut(s as usize + 1) {
            *slot += 1;
        }
    }
    for i in 1..offsets.len() {
        offsets[i] += offsets[i - 1];
    }
    offsets
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn table() -> CountsTable {
        let counts: HashMap<(SeriesId, Minute), u32> =
            [((1, 100), 3), ((0, 7), 1), ((1, 90), 2), ((0, 5), 4), ((1, 95), 1)].into();
        CountsTable::new(&counts, 3).unwrap()
    }

    #[test]
    fn series_are_contiguous_and_sorted() {
        let t = table();
        assert_eq!(t.series(0), (&[5i64, 7][..], &[4u32, 1][..]));
        assert_eq!(t.series(1).0, &[90, 95, 100]);
        assert!(t.series(2).0.is_empty());
    }

    #[test]
    fn dense_windows_and_totals_agree() {
        let t = table();
        assert_eq!(t.dense(1, 90, 6), vec![2, 0, 0, 0, 0, 1]);
        assert_eq!(t.window_sum(1, 90, 100), 3);
        assert_eq!(t.window_sum(1, 0, 1000), 6);
    }
}
