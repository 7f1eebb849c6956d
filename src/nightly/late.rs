//! Data that arrives behind what earlier runs judged (issue 21, SPEC §8).
//!
//! A file can be delivered a night late into an earlier date folder, holding calls of
//! minutes that an earlier run already judged for good (before its `next_bound`). The
//! series that received such calls within [`LATE_WINDOW`] of that bound are judged
//! again; an insight found there that overlaps no insight already written in its series
//! is new, and is written (nothing written is ever rewritten or retracted). Calls older
//! than the window are counted into the history but never judged: the summary names
//! them, with the files delivered into date folders before the window.

use crate::aggregate::Aggregates;
use crate::time::{Minute, MINUTES_PER_DAY};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// How far behind the last judged bound late data is still judged.
pub const LATE_WINDOW: Minute = MINUTES_PER_DAY;

/// Calls per series (described) dated before a bound: (behind the window, within it).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally(BTreeMap<String, (u64, u64)>);

/// The calls of `agg` before `bound`, per series, split at `bound - LATE_WINDOW`.
pub fn tally(agg: &Aggregates, bound: Minute) -> Tally {
    let window_from = bound - LATE_WINDOW;
    let mut per_series: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    for (&(series, minute), &calls) in agg.counts.iter().filter(|((_, m), _)| *m < bound) {
        let slot = per_series.entry(series).or_default();
        if minute < window_from { slot.0 += u64::from(calls) } else { slot.1 += u64::from(calls) }
    }
    let described = per_series.into_iter().filter_map(|(s, n)| Some((agg.series.get(s as usize)?.describe(&agg.strings), n)));
    Tally(described.collect())
}

/// What arrived behind the last bound this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Late {
    /// The first minute judged again.
    pub window_from: Minute,
    /// Series that received calls within the window: judged again.
    pub series: BTreeSet<String>,
    /// Calls within the window.
    pub within: u64,
    /// Calls before the window: counted, never judged.
    pub behind: u64,
    /// Files read this run whose date folder lies before the window (all their calls
    /// are behind it).
    pub files_behind: Vec<String>,
}

impl Late {
    /// The late calls between the tallies made before and after reading.
    pub fn between(before: &Tally, after: &Tally, bound: Minute) -> Self {
        let mut late = Late { window_from: bound - LATE_WINDOW, ..Late::default() };
        for (series, &(behind, within)) in &after.0 {
            let (was_behind, was_within) = before.0.get(series).copied().unwrap_or_default();
            late.behind += behind.saturating_sub(was_behind);
            let new_within = within.saturating_sub(was_within);
            if new_within > 0 {
                late.within += new_within;
                late.series.insert(series.clone());
            }
        }
        late
    }

    /// Notes `path` (read this run) if its date folder lies before the window.
    pub fn note_file(&mut self, path: &Path) {
        let window_day = self.window_from.div_euclid(MINUTES_PER_DAY);
        if crate::state::path_day(path).is_some_and(|d| d < window_day) {
            self.files_behind.push(path.display().to_string());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.within == 0 && self.behind == 0 && self.files_behind.is_empty()
    }
}
