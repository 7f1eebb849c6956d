//! The aggregates by value: what the nightly state keeps between runs.
//!
//! [`Aggregates::retained`] takes, from settled aggregates, everything a later run needs
//! to go on as if it had read the same history again: the attribution cells (the
//! per-minute counts and the IAM writes are their sums), the behaviour windows, the days
//! each scope had data, the per-day counters and the recent deduplication keys.
//! [`Aggregates::from_retained`] makes aggregates again, into which the next run's files
//! are absorbed as usual. Symbols index [`Retained::strings`].

use super::{Aggregates, AttributionKey, Day, IamWrite, IngestStats, InsightType, SeriesKey, WindowStats, WINDOW_MINUTES};
use crate::hash::FastSet;
use crate::intern::{Interner, Sym};
use crate::time::{Minute, MINUTES_PER_DAY};
use std::collections::BTreeMap;

/// Settled aggregates as plain lists, every list sorted.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Retained {
    pub strings: Interner,
    pub series: Vec<SeriesKey>,
    /// Calls per (series, minute, principal, user agent, error code).
    pub cells: Vec<(AttributionKey, u32)>,
    /// What each (account, principal family) did per behaviour window (by window index).
    pub behaviour: Vec<((Sym, Sym, Minute), WindowStats)>,
    /// Days on which each (account, region) had management events.
    pub scope_days: Vec<(Sym, Sym, Day)>,
    /// The day each scope's data began, where older days were let go.
    pub scope_began: Vec<((Sym, Sym), Day)>,
    /// Counters per day of eventTime.
    pub days: Vec<(Day, IngestStats)>,
    /// Deduplication keys per day, for the days from `seen_from` on.
    pub seen: Vec<(Day, Vec<u64>)>,
}

impl Aggregates {
    /// Everything a later run needs of the days from `floor` on, with the deduplication
    /// keys of the days from `seen_from` on (the keys are the one part that grows with
    /// records, not with series). A scope whose data began before `floor` keeps that day
    /// (warm-up counts from it).
    pub fn retained(&self, floor: Day, seen_from: Day) -> Retained {
        let keep = |m: Minute| m.div_euclid(MINUTES_PER_DAY) >= floor;
        let mut cells: Vec<(AttributionKey, u32)> = self.attributions.iter().filter(|(k, _)| keep(k.minute)).map(|(k, &n)| (*k, n)).collect();
        cells.sort_unstable();
        let mut behaviour: Vec<((Sym, Sym, Minute), WindowStats)> =
            self.behaviour.iter().filter(|((_, _, w), _)| keep(w * WINDOW_MINUTES)).map(|(k, w)| (*k, w.clone())).collect();
        behaviour.sort_unstable_by_key(|(k, _)| *k);
        let mut scope_days: Vec<(Sym, Sym, Day)> = self.scope_days.iter().copied().filter(|&(_, _, d)| d >= floor).collect();
        scope_days.sort_unstable();
        let mut began: BTreeMap<(Sym, Sym), Day> = self.scope_began.iter().map(|(k, d)| (*k, *d)).collect();
        for &(a, r, d) in self.scope_days.iter().filter(|&&(_, _, d)| d < floor) {
            let first = began.entry((a, r)).or_insert(d);
            *first = (*first).min(d);
        }
        let scope_began: Vec<((Sym, Sym), Day)> = began.into_iter().collect();
        let in_range = |d: Day| d >= floor && self.range.is_some_and(|r| r.contains(d));
        let mut days: Vec<(Day, IngestStats)> = self.days.iter().filter(|(d, _)| in_range(**d)).map(|(d, t)| (*d, t.clone())).collect();
        days.sort_unstable_by_key(|(d, _)| *d);
        let mut by_day: BTreeMap<Day, Vec<u64>> = BTreeMap::new();
        let restored = self.seen_restored.iter().map(|(d, ids)| (*d, ids));
        for (d, ids) in self.seen_ids.iter().map(|((d, _, _), ids)| (*d, ids)).chain(restored) {
            if d >= seen_from && in_range(d) {
                by_day.entry(d).or_default().extend(ids.iter().copied());
            }
        }
        let seen: Vec<(Day, Vec<u64>)> = by_day
            .into_iter()
            .map(|(d, mut ids)| {
                ids.sort_unstable();
                ids.dedup();
                (d, ids)
            })
            .collect();
        Retained {
            strings: self.strings.clone(),
            series: self.series.clone(),
            cells,
            behaviour,
            scope_days,
            scope_began,
            days,
            seen,
        }
    }

    /// Aggregates holding `r`, ready to absorb more files.
    pub fn from_retained(r: Retained) -> Self {
        let mut agg = Aggregates { strings: r.strings, ..Aggregates::default() };
        let ids: Vec<_> = r.series.iter().map(|&k| agg.series_id(k)).collect();
        let iam = agg.strings.get("iam.amazonaws.com");
        for (k, calls) in r.cells {
            let Some(&series) = ids.get(k.series as usize) else { continue };
            let k = AttributionKey { series, ..k };
            let saturated = super::saturating_add(agg.counts.entry((series, k.minute)).or_default(), calls);
            agg.stats.saturated_cells += u64::from(saturated);
            super::saturating_add(agg.attributions.entry(k).or_default(), calls);
            let key = agg.series[series as usize];
            if key.insight_type == InsightType::ApiCallRate && Some(key.source) == iam {
                let family = agg.family_of(k.principal);
                agg.iam_writes.entry((key.account, family)).or_default().push(IamWrite { minute: k.minute, series, calls });
            }
        }
        let series = |s: u32| ids.get(s as usize).copied().unwrap_or(u32::MAX);
        agg.behaviour = r
            .behaviour
            .into_iter()
            .map(|(k, mut w)| {
                w.series.iter_mut().for_each(|(s, _)| *s = series(*s));
                w.series.retain(|(s, _)| *s != u32::MAX);
                (k, w)
            })
            .collect();
        agg.scope_days = r.scope_days.into_iter().collect();
        agg.scope_began = r.scope_began.into_iter().collect();
        agg.days = r.days.into_iter().collect();
        agg.seen_restored = r.seen.into_iter().map(|(d, ids)| (d, ids.into_iter().collect::<FastSet<u64>>())).collect();
        agg
    }
}
