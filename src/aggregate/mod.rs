//! Aggregation: compact events in, per-minute counts per series out.
//!
//! The merge step of the ingest map-reduce. Each [`FileBatch`](crate::ingest::FileBatch)
//! is absorbed once: its strings are mapped into the global interner, duplicate eventIDs
//! (per account and region) are dropped, and every management event is counted into the
//! series it feeds (SPEC §2), with the per-principal, per-agent and per-error-code counts
//! that Insight attributions need. Memory grows with series x minutes, not with records.

pub mod behaviour;
mod identity;
mod series;

pub use behaviour::{WindowStats, WINDOW_MINUTES};
pub use identity::principal_family;
pub use series::{InsightType, SeriesKey};

use crate::ingest::{Category, Event, Feeds, FileBatch, FileReport};
use crate::intern::{Interner, Sym};
use crate::time::Minute;
use crate::hash::{FastMap, FastSet};

/// Index of a series in [`Aggregates::series`].
pub type SeriesId = u32;

/// One attribution cell: who called, with which agent, with which outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributionKey {
    pub series: SeriesId,
    pub minute: Minute,
    pub principal: Sym,
    pub agent: Sym,
    /// The error code, or `None` for a successful call.
    pub error: Option<Sym>,
}

/// Counters describing what was read, for the run summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestStats {
    pub files: usize,
    pub records: u64,
    pub duplicates: u64,
    pub management: u64,
    pub write_management: u64,
    pub errors: u64,
    pub data_events: u64,
    pub network_activity: u64,
    pub insight_records: u64,
    pub other_category: u64,
    pub read_only_inferred: u64,
    pub first_minute: Option<Minute>,
    pub last_minute: Option<Minute>,
}

/// One IAM write call by a principal: input to the IAM-burst detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IamWrite {
    pub minute: Minute,
    pub series: SeriesId,
}

/// Everything counted from the input, before any model is fitted.
#[derive(Debug, Default)]
pub struct Aggregates {
    pub strings: Interner,
    pub series: Vec<SeriesKey>,
    series_index: FastMap<SeriesKey, SeriesId>,
    pub counts: FastMap<(SeriesId, Minute), u32>,
    pub attributions: FastMap<AttributionKey, u32>,
    /// IAM write calls per (account, principal family), in arrival order.
    pub iam_writes: FastMap<(Sym, Sym), Vec<IamWrite>>,
    /// What each (account, principal family) did per behaviour window.
    pub behaviour: FastMap<(Sym, Sym, Minute), WindowStats>,
    pub stats: IngestStats,
    pub reports: Vec<FileReport>,
    seen_ids: FastSet<u64>,
    /// Principal family of each principal symbol seen so far (memoised).
    families: FastMap<Sym, Sym>,
}

impl Aggregates {
    pub fn new() -> Self {
        Self::default()
    }

    /// Merges one file's batch: the only way data enters the aggregates.
    pub fn absorb(&mut self, batch: FileBatch) {
        let remap = self.strings.absorb(&batch.strings);
        let g = |s: Sym| remap[s as usize];
        self.stats.files += 1;
        for e in batch.events {
            let e = Event {
                account: g(e.account),
                region: g(e.region),
                source: g(e.source),
                name: g(e.name),
                error: e.error.map(g),
                principal: g(e.principal),
                agent: g(e.agent),
                ip: g(e.ip),
                ..e
            };
            self.count_event(&e);
        }
        self.reports.push(batch.report);
    }

    fn count_event(&mut self, e: &Event) {
        let calls = u64::from(e.calls);
        self.stats.records += calls;
        if let Some(key) = e.dedup_key {
            if !self.seen_ids.insert(key) {
                self.stats.duplicates += 1;
                return;
            }
        }
        self.note_category(e);
        if !e.is_management() {
            return;
        }
        self.stats.management += calls;
        self.stats.read_only_inferred += u64::from(e.read_only_inferred) * calls;
        let first = self.stats.first_minute.map_or(e.minute, |m| m.min(e.minute));
        let last = self.stats.last_minute.map_or(e.minute, |m| m.max(e.minute));
        (self.stats.first_minute, self.stats.last_minute) = (Some(first), Some(last));
        let family = self.family_of(e.principal);
        let window = e.minute.div_euclid(WINDOW_MINUTES);
        self.behaviour.entry((e.account, family, window)).or_default().note(e.name, e.agent, e.ip, e.calls);
        if e.is_write_management() && e.feeds != Some(Feeds::ErrorRate) {
            self.stats.write_management += calls;
            let id = self.series_id(SeriesKey::call_rate(e));
            self.add(id, e);
            let is_iam = self.is_iam(e.source);
            let stats = self.behaviour.entry((e.account, family, window)).or_default();
            stats.writes += e.calls;
            stats.iam_writes += u32::from(is_iam) * e.calls;
            stats.note_series(id, e.calls);
            if is_iam {
                let list = self.iam_writes.entry((e.account, family)).or_default();
                list.extend(std::iter::repeat_n(IamWrite { minute: e.minute, series: id }, e.calls as usize));
            }
        }
        if let Some(code) = e.error.filter(|_| e.feeds != Some(Feeds::CallRate)) {
            self.stats.errors += calls;
            let id = self.series_id(SeriesKey::error_rate(e, code));
            self.add(id, e);
            let stats = self.behaviour.entry((e.account, family, window)).or_default();
            stats.errors += e.calls;
            stats.note_series(id, e.calls);
        }
    }

    fn note_category(&mut self, e: &Event) {
        let counter = match e.category {
            Category::Management => return,
            Category::Data => &mut self.stats.data_events,
            Category::NetworkActivity => &mut self.stats.network_activity,
            Category::Insight => &mut self.stats.insight_records,
            Category::Other => &mut self.stats.other_category,
        };
        *counter += 1;
    }

    fn add(&mut self, series: SeriesId, e: &Event) {
        *self.counts.entry((series, e.minute)).or_default() += e.calls;
        let key = AttributionKey {
            series,
            minute: e.minute,
            principal: e.principal,
            agent: e.agent,
            error: e.error,
        };
        *self.attributions.entry(key).or_default() += e.calls;
    }

    fn series_id(&mut self, key: SeriesKey) -> SeriesId {
        if let Some(&id) = self.series_index.get(&key) {
            return id;
        }
        let id = SeriesId::try_from(self.series.len()).unwrap_or(SeriesId::MAX);
        self.series.push(key);
        self.series_index.insert(key, id);
        id
    }

    fn family_of(&mut self, principal: Sym) -> Sym {
        if let Some(&f) = self.families.get(&principal) {
            return f;
        }
        let family = principal_family(self.strings.resolve(principal)).to_string();
        let f = self.strings.intern(&family);
        self.families.insert(principal, f);
        f
    }

    /// For every interned string, the symbol of its principal family (see
    /// [`principal_family`]); strings that are not ARNs map to themselves.
    pub fn principal_families(&mut self) -> Vec<Sym> {
        (0..self.strings.len() as Sym).map(|s| self.family_of(s)).collect()
    }

    fn is_iam(&self, source: Sym) -> bool {
        self.strings.resolve(source) == "iam.amazonaws.com"
    }

    /// Total management events counted per series (after deduplication).
    pub fn series_totals(&self) -> Vec<u64> {
        let mut totals = vec![0u64; self.series.len()];
        for (&(s, _), &n) in &self.counts {
            totals[s as usize] += u64::from(n);
        }
        totals
    }
}

#[cfg(test)]
mod tests;
