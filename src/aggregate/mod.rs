//! Aggregation: compact events in, per-minute counts per series out.
//!
//! The merge step of the ingest map-reduce. Each [`FileBatch`](crate::ingest::FileBatch)
//! is absorbed once, in input-file order: its strings are mapped into the global
//! interner, duplicate eventIDs (per account and region) are dropped, and every
//! management event is counted into the series it feeds (SPEC §2), with the
//! per-principal, per-agent and per-error-code counts that Insight attributions need.
//! Memory grows with series x minutes, not with records.
//!
//! When every file is in, [`Aggregates::settle`] does two things no single file can:
//! it finds the span of days that holds the data ([`range`]) and removes what lies far
//! outside it (a stray or forged record dated 1970 or 2099 never sizes a structure), and
//! it renumbers every interned string and series in sorted order, so that nothing
//! downstream depends on which file was read first or on thread scheduling.

pub mod behaviour;
mod identity;
pub mod range;
mod retained;
mod series;

pub use behaviour::{WindowStats, WINDOW_MINUTES};
pub use identity::principal_family;
pub use range::DayRange;
pub use retained::Retained;
pub use series::{InsightType, SeriesKey};

use crate::hash::{FastMap, FastSet};
use std::collections::BTreeMap;
use crate::ingest::{Category, Event, Feeds, FileBatch, FileReport, RecordSkip};
use crate::intern::{Interner, Sym};
use crate::time::{format_minute, Minute, MINUTES_PER_DAY};

/// Index of a series in [`Aggregates::series`].
pub type SeriesId = u32;

/// Days since the Unix epoch.
pub type Day = i64;

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

/// One cell of the counts table (version 2): the records that agree on every field a
/// model reads, after deduplication. Kept only when a run writes the table
/// (`--write-counts`), see [`crate::ingest::counts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    pub minute: Minute,
    pub account: Sym,
    pub region: Sym,
    pub source: Sym,
    pub name: Sym,
    /// Data (true) or management (false).
    pub data: bool,
    pub read_only: bool,
    pub error: Option<Sym>,
    pub principal: Sym,
    pub agent: Sym,
    pub ip: Sym,
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
    /// Records skipped because their eventTime lies far outside the rest of the data.
    pub out_of_range: u64,
    /// Per-minute cells whose count reached `u32::MAX` and was held there (only forged
    /// counts tables get near it): counts saturate, they never wrap.
    pub saturated_cells: u64,
    pub first_minute: Option<Minute>,
    pub last_minute: Option<Minute>,
}

impl IngestStats {
    fn add(&mut self, o: &IngestStats) {
        self.records += o.records;
        self.duplicates += o.duplicates;
        self.management += o.management;
        self.write_management += o.write_management;
        self.errors += o.errors;
        self.data_events += o.data_events;
        self.network_activity += o.network_activity;
        self.insight_records += o.insight_records;
        self.other_category += o.other_category;
        self.read_only_inferred += o.read_only_inferred;
        self.note_minutes(o.first_minute);
        self.note_minutes(o.last_minute);
    }

    fn note_minutes(&mut self, m: Option<Minute>) {
        let Some(m) = m else { return };
        self.first_minute = Some(self.first_minute.map_or(m, |f| f.min(m)));
        self.last_minute = Some(self.last_minute.map_or(m, |l| l.max(m)));
    }
}

/// IAM write calls by a principal in one minute on one series: input to the IAM-burst
/// detector. Weighted, so a counts-table row of a million calls is one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IamWrite {
    pub minute: Minute,
    pub series: SeriesId,
    pub calls: u32,
}

/// Records of one file on one day, with the first eventTime seen (for the report).
#[derive(Debug, Clone, Copy)]
struct FileDay {
    day: Day,
    records: u64,
    example: Minute,
}

/// Everything counted from the input, before any model is fitted.
#[derive(Debug, Default)]
pub struct Aggregates {
    pub strings: Interner,
    pub series: Vec<SeriesKey>,
    series_index: FastMap<SeriesKey, SeriesId>,
    pub counts: FastMap<(SeriesId, Minute), u32>,
    pub attributions: FastMap<AttributionKey, u32>,
    /// IAM write calls per (account, principal family), sorted by (minute, series)
    /// once settled.
    pub iam_writes: FastMap<(Sym, Sym), Vec<IamWrite>>,
    /// What each (account, principal family) did per behaviour window.
    pub behaviour: FastMap<(Sym, Sym, Minute), WindowStats>,
    /// Counters; final once [`Aggregates::settle`] has run.
    pub stats: IngestStats,
    pub reports: Vec<FileReport>,
    /// The days kept, once settled.
    pub range: Option<DayRange>,
    /// Days on which each scope (account, region) had management events.
    pub scope_days: FastSet<(Sym, Sym, Day)>,
    /// Also count data events into series of their own (`--event-categories data`).
    pub data_series: bool,
    /// Identities of the log files counted (directly, or through a counts table made
    /// from them): what a counts table written from this run was made from.
    pub sources: std::collections::BTreeSet<String>,
    /// For a scope whose older days were let go (nightly state), the day its data began:
    /// warm-up counts from there (see [`crate::detect::Timelines`]).
    pub scope_began: FastMap<(Sym, Sym), Day>,
    /// The counts-table cells of every event counted (management, and data events when
    /// `data_series`), when the run writes a counts table; `None` otherwise, as they grow
    /// with the distinct (minute, principal, agent, IP, API) combinations.
    pub cells: Option<FastMap<CellKey, u32>>,
    /// Deduplication keys seen, per (day of eventTime, account, region): a key includes
    /// the minute, so a duplicate always falls on the same day. A batch run lets a set go
    /// once no file left to read can hold that day (see [`Aggregates::release_seen`]).
    seen_ids: FastMap<(Day, Sym, Sym), FastSet<u64>>,
    /// Keep every deduplication key to the end (a nightly run saves them for the next
    /// night); a batch run lets them go as it reads.
    pub keep_seen: bool,
    /// The keys a nightly state brought, per day (checked before `seen_ids`).
    seen_restored: FastMap<Day, FastSet<u64>>,
    /// Principal family of each principal symbol seen so far (memoised).
    families: FastMap<Sym, Sym>,
    /// Counters per day of eventTime, so that out-of-range days can be removed exactly.
    days: FastMap<Day, IngestStats>,
    /// Records per (file, day), the file by its index in `reports`. One flat list: a
    /// small long-lived allocation per file would pin pages of the heap between the
    /// large short-lived buffers files are read into (it tripled peak memory).
    file_days: Vec<(usize, FileDay)>,
}

impl Aggregates {
    pub fn new() -> Self {
        Self::default()
    }

    /// Merges one file's batch: the only way data enters the aggregates. Batches must be
    /// absorbed in input-file order for duplicates to resolve the same way every run.
    pub fn absorb(&mut self, batch: FileBatch) {
        if batch.made_from.is_empty() {
            self.sources.extend(batch.source_id.clone());
        } else {
            self.sources.extend(batch.made_from.iter().cloned());
        }
        let remap = self.strings.absorb(&batch.strings);
        let g = |s: Sym| remap[s as usize];
        self.stats.files += 1;
        let mut file_days: Vec<FileDay> = Vec::new();
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
            note_file_day(&mut file_days, &e);
            self.count_event(&e);
        }
        // A counts table says how many records each day held in all (every category,
        // duplicates included): the day span is then found as from the logs.
        for &(day, records) in &batch.day_records {
            let extra = match file_days.iter_mut().find(|fd| fd.day == day) {
                Some(fd) => {
                    let extra = records.saturating_sub(fd.records);
                    fd.records += extra;
                    extra
                }
                None if records > 0 => {
                    file_days.push(FileDay { day, records, example: day * MINUTES_PER_DAY });
                    records
                }
                None => 0,
            };
            if extra > 0 {
                self.days.entry(day).or_default().records += extra;
            }
        }
        self.reports.push(batch.report);
        let file = self.reports.len() - 1;
        self.file_days.extend(file_days.into_iter().map(|fd| (file, fd)));
    }

    fn count_event(&mut self, e: &Event) {
        let calls = u64::from(e.calls);
        let day = e.minute.div_euclid(MINUTES_PER_DAY);
        let mut tally = IngestStats { records: calls, ..IngestStats::default() };
        if let Some(key) = e.dedup_key {
            // The minute is part of the key: a true redelivery repeats the eventTime, and
            // a forged record reusing a real eventID at another time cannot hide it.
            let key = crate::hash::stable_hash(&(key, e.minute));
            let restored = self.seen_restored.get(&day).is_some_and(|ids| ids.contains(&key));
            if restored || !self.seen_ids.entry((day, e.account, e.region)).or_default().insert(key) {
                tally.duplicates = 1;
                self.days.entry(day).or_default().add(&tally);
                return;
            }
        }
        note_category(&mut tally, e.category);
        let counted = e.is_management() || (e.category == Category::Data && self.data_series);
        if let Some(cells) = self.cells.as_mut().filter(|_| counted && e.feeds.is_none()) {
            let key = CellKey {
                minute: e.minute,
                account: e.account,
                region: e.region,
                source: e.source,
                name: e.name,
                data: e.category == Category::Data,
                read_only: e.read_only,
                error: e.error,
                principal: e.principal,
                agent: e.agent,
                ip: e.ip,
            };
            saturating_add(cells.entry(key).or_default(), e.calls);
        }
        if e.category == Category::Data && self.data_series {
            self.count_data(e);
        }
        if e.is_management() {
            tally.management = calls;
            tally.read_only_inferred = u64::from(e.read_only_inferred) * calls;
            tally.note_minutes(Some(e.minute));
            tally.write_management = self.count_management(e);
            tally.errors = if self.count_error(e) { calls } else { 0 };
        }
        self.days.entry(day).or_default().add(&tally);
    }

    /// Counts a management event into the behaviour window and its write series;
    /// returns the write calls counted.
    fn count_management(&mut self, e: &Event) -> u64 {
        self.scope_days.insert((e.account, e.region, e.minute.div_euclid(MINUTES_PER_DAY)));
        let family = self.family_of(e.principal);
        let window = e.minute.div_euclid(WINDOW_MINUTES);
        self.behaviour.entry((e.account, family, window)).or_default().note(e.name, e.agent, e.ip, e.calls);
        if !e.is_write_management() || e.feeds == Some(Feeds::ErrorRate) {
            return 0;
        }
        let id = self.series_id(SeriesKey::call_rate(e));
        self.add(id, e);
        let is_iam = self.is_iam(e.source);
        let stats = self.behaviour.entry((e.account, family, window)).or_default();
        stats.writes = stats.writes.saturating_add(e.calls);
        if is_iam {
            stats.iam_writes = stats.iam_writes.saturating_add(e.calls);
        }
        stats.note_series(id, e.calls);
        if is_iam {
            let write = IamWrite { minute: e.minute, series: id, calls: e.calls };
            self.iam_writes.entry((e.account, family)).or_default().push(write);
        }
        u64::from(e.calls)
    }

    /// Counts a data event into its call-rate series (read and write calls alike, as AWS
    /// Insights on data events do) and, with an error code, its error series.
    fn count_data(&mut self, e: &Event) {
        self.scope_days.insert((e.account, e.region, e.minute.div_euclid(MINUTES_PER_DAY)));
        if e.feeds != Some(Feeds::ErrorRate) {
            let id = self.series_id(SeriesKey::call_rate(e));
            self.add(id, e);
        }
        if let Some(code) = e.error.filter(|_| e.feeds != Some(Feeds::CallRate)) {
            let id = self.series_id(SeriesKey::error_rate(e, code));
            self.add(id, e);
        }
    }

    /// Counts an event with an error code into its error series; true if it had one.
    fn count_error(&mut self, e: &Event) -> bool {
        let Some(code) = e.error.filter(|_| e.feeds != Some(Feeds::CallRate)) else {
            return false;
        };
        let id = self.series_id(SeriesKey::error_rate(e, code));
        self.add(id, e);
        let family = self.family_of(e.principal);
        let window = e.minute.div_euclid(WINDOW_MINUTES);
        let stats = self.behaviour.entry((e.account, family, window)).or_default();
        stats.errors = stats.errors.saturating_add(e.calls);
        stats.note_series(id, e.calls);
        true
    }

    fn add(&mut self, series: SeriesId, e: &Event) {
        let saturated = saturating_add(self.counts.entry((series, e.minute)).or_default(), e.calls);
        let key = AttributionKey {
            series,
            minute: e.minute,
            principal: e.principal,
            agent: e.agent,
            error: e.error,
        };
        saturating_add(self.attributions.entry(key).or_default(), e.calls);
        self.stats.saturated_cells += u64::from(saturated);
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

    /// Lets go of the deduplication keys of one account, region and day: called once no
    /// file left to read can hold records of that day for them. Keys seen since are kept
    /// again from nothing.
    pub fn release_seen(&mut self, account: &str, region: &str, day: Day) {
        if let (Some(a), Some(r)) = (self.strings.get(account), self.strings.get(region)) {
            self.seen_ids.remove(&(day, a, r));
        }
    }

    /// Deduplication keys held now, for the memory measurements.
    pub fn seen_keys(&self) -> usize {
        self.seen_ids.values().map(FastSet::len).sum::<usize>() + self.seen_restored.values().map(FastSet::len).sum::<usize>()
    }

    /// Records per day of eventTime (every category, duplicates included), in day
    /// order: what a counts table records so that the day span is found as from the logs.
    pub fn day_records(&self) -> Vec<(Day, u64)> {
        let mut days: Vec<(Day, u64)> = self.days.iter().map(|(&d, t)| (d, t.records)).filter(|&(_, n)| n > 0).collect();
        days.sort_unstable();
        days
    }

    /// Total management events counted per series (after deduplication).
    pub fn series_totals(&self) -> Vec<u64> {
        let mut totals = vec![0u64; self.series.len()];
        for (&(s, _), &n) in &self.counts {
            totals[s as usize] += u64::from(n);
        }
        totals
    }

    /// Finishes aggregation once every file is absorbed: keeps only the days of the
    /// data's own span (reporting the rest per file as "eventTime out of range"), sums
    /// the final counters, and renumbers strings and series in sorted order.
    pub fn settle(&mut self) {
        let totals: Vec<(Day, u64)> = self.days.iter().map(|(&d, t)| (d, t.records)).collect();
        self.range = range::kept_days(&totals);
        let in_range = |d: Day| self.range.is_some_and(|r| r.contains(d));
        let mut stats = IngestStats { files: self.stats.files, saturated_cells: self.stats.saturated_cells, ..IngestStats::default() };
        for (&day, tally) in &self.days {
            if in_range(day) {
                stats.add(tally);
            } else {
                stats.out_of_range += tally.records;
            }
        }
        self.stats = stats;
        self.report_out_of_range();
        self.drop_out_of_range();
        self.canonicalize();
    }

    fn report_out_of_range(&mut self) {
        let range = self.range;
        let outside = |d: Day| !range.is_some_and(|r| r.contains(d));
        let mut gone: BTreeMap<usize, (u64, Minute)> = BTreeMap::new();
        for (file, fd) in self.file_days.iter().filter(|(_, fd)| outside(fd.day)) {
            let slot = gone.entry(*file).or_insert((0, fd.example));
            slot.0 += fd.records;
        }
        for (file, (n, example)) in gone {
            let Some(report) = self.reports.get_mut(file) else { continue };
            let spans = range.map_or_else(|| "no days".to_string(), |r| r.to_string());
            let why = RecordSkip::TimeOutOfRange(format!("{}; the data spans {spans}", format_minute(example)));
            report.skip_many(why, n as usize);
            report.records = report.records.saturating_sub(n as usize);
        }
        self.file_days = Vec::new();
    }

    fn drop_out_of_range(&mut self) {
        let Some(r) = self.range else {
            self.counts.clear();
            self.attributions.clear();
            self.iam_writes.clear();
            self.behaviour.clear();
            self.scope_days.clear();
            if let Some(cells) = self.cells.as_mut() {
                cells.clear();
            }
            return;
        };
        let keep = |m: Minute| r.contains(m.div_euclid(MINUTES_PER_DAY));
        if let Some(cells) = self.cells.as_mut() {
            cells.retain(|k, _| keep(k.minute));
        }
        self.counts.retain(|&(_, m), _| keep(m));
        self.attributions.retain(|k, _| keep(k.minute));
        self.iam_writes.values_mut().for_each(|w| w.retain(|w| keep(w.minute)));
        self.iam_writes.retain(|_, w| !w.is_empty());
        self.behaviour.retain(|&(_, _, w), _| keep(w * WINDOW_MINUTES));
        self.scope_days.retain(|&(_, _, d)| r.contains(d));
    }

    /// Renumbers the strings still in use in sorted order and the series in the order of
    /// their keys, so the same data gives the same numbers whatever the file order.
    fn canonicalize(&mut self) {
        let old = std::mem::take(&mut self.strings);
        let used = self.used_symbols(old.len());
        let mut order: Vec<Sym> = (0..old.len() as Sym).filter(|&s| used[s as usize]).collect();
        order.sort_by(|&a, &b| old.resolve(a).cmp(old.resolve(b)));
        let mut sym = vec![Sym::MAX; old.len()];
        for &s in &order {
            sym[s as usize] = self.strings.intern(old.resolve(s));
        }
        let s = |x: Sym| sym[x as usize];
        let series = self.renumber_series(&s);
        let ser = |x: SeriesId| series[x as usize];
        self.counts = std::mem::take(&mut self.counts).into_iter().map(|((id, m), n)| ((ser(id), m), n)).collect();
        self.attributions = std::mem::take(&mut self.attributions)
            .into_iter()
            .map(|(k, n)| (AttributionKey { series: ser(k.series), principal: s(k.principal), agent: s(k.agent), error: k.error.map(s), ..k }, n))
            .collect();
        self.iam_writes = std::mem::take(&mut self.iam_writes)
            .into_iter()
            .map(|((a, f), mut w)| {
                w.iter_mut().for_each(|w| w.series = ser(w.series));
                w.sort_unstable();
                ((s(a), s(f)), w)
            })
            .collect();
        self.behaviour = std::mem::take(&mut self.behaviour)
            .into_iter()
            .map(|((a, f, w), stats)| ((s(a), s(f), w), stats.renumbered(&s, &ser)))
            .collect();
        self.scope_days = std::mem::take(&mut self.scope_days).into_iter().map(|(a, r, d)| (s(a), s(r), d)).collect();
        if let Some(cells) = self.cells.take() {
            let renumber = |k: CellKey| CellKey {
                account: s(k.account),
                region: s(k.region),
                source: s(k.source),
                name: s(k.name),
                error: k.error.map(s),
                principal: s(k.principal),
                agent: s(k.agent),
                ip: s(k.ip),
                ..k
            };
            self.cells = Some(cells.into_iter().map(|(k, n)| (renumber(k), n)).collect());
        }
        self.scope_began = std::mem::take(&mut self.scope_began).into_iter().map(|((a, r), d)| ((s(a), s(r)), d)).collect();
        self.families = std::mem::take(&mut self.families)
            .into_iter()
            .filter(|(p, _)| used[*p as usize])
            .map(|(p, f)| (s(p), s(f)))
            .collect();
    }

    /// Which symbols the kept structures refer to.
    fn used_symbols(&self, len: usize) -> Vec<bool> {
        let mut used = vec![false; len];
        let mut mark = |s: Sym| used[s as usize] = true;
        let live: FastSet<SeriesId> = self.counts.keys().map(|&(s, _)| s).collect();
        for k in live.iter().map(|&id| &self.series[id as usize]) {
            [k.account, k.region, k.source, k.name].into_iter().chain(k.error).for_each(&mut mark);
        }
        for k in self.attributions.keys() {
            [k.principal, k.agent].into_iter().chain(k.error).for_each(&mut mark);
        }
        for &(a, f) in self.iam_writes.keys() {
            mark(a);
            mark(f);
        }
        for (&(a, f, _), w) in &self.behaviour {
            [a, f].into_iter().chain(w.apis.iter().copied()).chain(w.agents.iter().copied()).chain(w.ips.iter().copied()).for_each(&mut mark);
        }
        for (a, r) in self.scope_days.iter().map(|&(a, r, _)| (a, r)).chain(self.scope_began.keys().copied()) {
            mark(a);
            mark(r);
        }
        for k in self.cells.iter().flat_map(|c| c.keys()) {
            [k.account, k.region, k.source, k.name, k.principal, k.agent, k.ip].into_iter().chain(k.error).for_each(&mut mark);
        }
        let families: Vec<Sym> = self.families.iter().filter(|(p, _)| used[**p as usize]).map(|(_, &f)| f).collect();
        families.into_iter().for_each(|f| used[f as usize] = true);
        used
    }

    /// Keeps the series that still have counts, sorted by key; returns old id -> new id
    /// (`SeriesId::MAX` for a series dropped).
    fn renumber_series(&mut self, s: &dyn Fn(Sym) -> Sym) -> Vec<SeriesId> {
        let live: FastSet<SeriesId> = self.counts.keys().map(|&(id, _)| id).collect();
        let mut kept: Vec<(SeriesKey, SeriesId)> = live
            .into_iter()
            .map(|id| {
                let k = self.series[id as usize];
                let key = SeriesKey { account: s(k.account), region: s(k.region), source: s(k.source), name: s(k.name), error: k.error.map(s), ..k };
                (key, id)
            })
            .collect();
        kept.sort_unstable();
        let mut renumber = vec![SeriesId::MAX; self.series.len()];
        self.series = kept.iter().map(|(k, _)| *k).collect();
        self.series_index = kept.iter().enumerate().map(|(new, (k, _))| (*k, new as SeriesId)).collect();
        for (new, (_, old)) in kept.iter().enumerate() {
            renumber[*old as usize] = new as SeriesId;
        }
        renumber
    }
}

/// One attribution cell of `series` as a counts-table row (the `--write-counts` table
/// and the nightly state's counts.parquet are both made of these).
pub fn counts_row<'a>(strings: &'a Interner, series: &SeriesKey, k: &AttributionKey, calls: u32) -> crate::ingest::counts::Row<'a> {
    let s = |sym| strings.resolve(sym);
    crate::ingest::counts::Row {
        minute: k.minute,
        account: s(series.account),
        region: s(series.region),
        source: s(series.source),
        name: s(series.name),
        insight_type: series.insight_type.as_str(),
        error: k.error.map(s),
        principal: s(k.principal),
        agent: s(k.agent),
        category: series.source_category(),
        calls,
    }
}

/// Adds `calls` to a count, holding it at `u32::MAX`; true when it saturated.
fn saturating_add(slot: &mut u32, calls: u32) -> bool {
    let (sum, overflow) = slot.overflowing_add(calls);
    *slot = if overflow { u32::MAX } else { sum };
    overflow
}

fn note_category(tally: &mut IngestStats, category: Category) {
    let counter = match category {
        Category::Management => return,
        Category::Data => &mut tally.data_events,
        Category::NetworkActivity => &mut tally.network_activity,
        Category::Insight => &mut tally.insight_records,
        Category::Other => &mut tally.other_category,
    };
    *counter += 1;
}

fn note_file_day(days: &mut Vec<FileDay>, e: &Event) {
    let day = e.minute.div_euclid(MINUTES_PER_DAY);
    match days.iter_mut().rev().find(|fd| fd.day == day) {
        Some(fd) => fd.records += u64::from(e.calls),
        None => days.push(FileDay { day, records: u64::from(e.calls), example: e.minute }),
    }
}

#[cfg(test)]
mod tests;
