//! The stretch of time the detectors work on, per account x region.
//!
//! Warm-up and baselines belong to a scope (account x region), as in AWS, where
//! Insights learns a trail's baseline for up to 36 hours after it is enabled: an account
//! or region that joins an organisation trail is judged only after `warmup_days` of its
//! own data, counted from its own first day, while the scopes that were there before
//! go on being judged. Every scope's dense arrays start at its own first day and end
//! with the data, so time and memory follow the days with data (out-of-range records are
//! removed before this, see [`crate::aggregate::range`]).

use super::DetectParams;
use crate::aggregate::{Aggregates, DayRange, SeriesId};
use crate::intern::Sym;
use crate::time::{Minute, MINUTES_PER_DAY};
use std::collections::BTreeMap;

/// One scope's stretch: whole UTC days from its first day with data to the last day of
/// the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    /// 00:00 UTC of the first day with data.
    pub origin: Minute,
    pub days: usize,
    /// First minute that is judged (after warm-up), if any.
    pub judge_from: Minute,
    /// End (exclusive) of the judged minutes.
    pub judge_to: Minute,
    /// End (exclusive) of the last minute with any record: silence near it may be
    /// delivery lag, not a drop.
    pub data_end: Minute,
}

impl Timeline {
    /// The timeline of data from day `first_day` to the end of `range`, whose newest
    /// record is at `last_minute`, for a scope whose data began on `since_day` (the same
    /// day, unless older days were let go: the nightly state keeps only the history the
    /// models read, but warm-up counts from the scope's real first day).
    pub fn new(first_day: i64, since_day: i64, range: DayRange, last_minute: Minute, params: &DetectParams) -> Self {
        let origin = first_day * MINUTES_PER_DAY;
        let days = (range.last - first_day + 1).max(1) as usize;
        let warm = since_day.min(first_day) * MINUTES_PER_DAY + params.warmup_days as Minute * MINUTES_PER_DAY;
        let judge_from = params.since.map_or(warm, |s| s.max(warm));
        let end = origin + days as Minute * MINUTES_PER_DAY;
        let judge_to = params.until.map_or(end, |u| u.min(end));
        Self { origin, days, judge_from, judge_to, data_end: last_minute + 1 }
    }

    pub fn minutes(&self) -> usize {
        self.days * MINUTES_PER_DAY as usize
    }

    pub fn has_judged_minutes(&self) -> bool {
        self.judge_from < self.judge_to
    }

    /// Indices of the days holding judged minutes.
    pub fn judged_days(&self) -> std::ops::Range<usize> {
        if !self.has_judged_minutes() {
            return 0..0;
        }
        let first = ((self.judge_from - self.origin) / MINUTES_PER_DAY) as usize;
        let last = ((self.judge_to - 1 - self.origin) / MINUTES_PER_DAY) as usize;
        first..last + 1
    }

    pub fn is_judged(&self, m: Minute) -> bool {
        (self.judge_from..self.judge_to).contains(&m)
    }
}

/// The whole input's timeline and each scope's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timelines {
    /// From the first day of any scope (what the summary reports as the history).
    pub all: Timeline,
    /// Per (account, region), by symbol.
    pub scopes: BTreeMap<(Sym, Sym), Timeline>,
    /// Per account: from its earliest scope's first day (principals act across regions).
    pub accounts: BTreeMap<Sym, Timeline>,
    /// Each series' scope timeline, by series id.
    series: Vec<Timeline>,
}

impl Timelines {
    /// Timelines of settled aggregates; `None` when no management event was kept.
    pub fn new(agg: &Aggregates, params: &DetectParams) -> Option<Self> {
        let range = agg.range?;
        let last = agg.stats.last_minute?;
        let mut first_days: BTreeMap<(Sym, Sym), i64> = BTreeMap::new();
        for &(account, region, day) in &agg.scope_days {
            let first = first_days.entry((account, region)).or_insert(day);
            *first = (*first).min(day);
        }
        // The day each scope's data began, where older days were let go (nightly state).
        let began = |k: &(Sym, Sym), d: i64| agg.scope_began.get(k).map_or(d, |&b| b.min(d));
        let all_first = first_days.values().copied().min()?;
        let all_began = first_days.iter().map(|(k, &d)| began(k, d)).min()?;
        let all = Timeline::new(all_first, all_began, range, last, params);
        let scopes: BTreeMap<(Sym, Sym), Timeline> =
            first_days.iter().map(|(k, &d)| (*k, Timeline::new(d, began(k, d), range, last, params))).collect();
        let mut account_days: BTreeMap<Sym, (i64, i64)> = BTreeMap::new();
        for (k, &d) in &first_days {
            let first = account_days.entry(k.0).or_insert((d, began(k, d)));
            *first = (first.0.min(d), first.1.min(began(k, d)));
        }
        let accounts = account_days.into_iter().map(|(a, (d, b))| (a, Timeline::new(d, b, range, last, params))).collect();
        let series = agg.series.iter().map(|k| scopes.get(&(k.account, k.region)).copied().unwrap_or(all)).collect();
        Some(Self { all, scopes, accounts, series })
    }

    /// The timeline of the scope a series belongs to.
    pub fn of_series(&self, s: SeriesId) -> &Timeline {
        self.series.get(s as usize).unwrap_or(&self.all)
    }

    /// The timeline of an account (from its earliest scope).
    pub fn of_account(&self, account: Sym) -> &Timeline {
        self.accounts.get(&account).unwrap_or(&self.all)
    }

    /// True when some scope has judged minutes.
    pub fn has_judged_minutes(&self) -> bool {
        self.scopes.values().any(Timeline::has_judged_minutes)
    }

    /// Scopes not yet judged anywhere in the input: still warming up.
    pub fn warming_up(&self) -> impl Iterator<Item = (&(Sym, Sym), &Timeline)> {
        self.scopes.iter().filter(|(_, t)| !t.has_judged_minutes())
    }
}
