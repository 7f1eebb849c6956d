//! Runs with a model state (`detect --models DIR`, `train`; SPEC §7): each night reads
//! only the input the state has not seen, and writes only the Insight records not
//! written before, so that the nights together write what one batch run over the same
//! days writes.
//!
//! How a night goes on from the last one:
//!
//! 1. **Input.** A file whose absolute path, size and modification time are in the
//!    manifest is not read again; a file that changed is read again (its records already
//!    counted are recognised by eventID, for the days whose eventIDs are kept). A file
//!    whose bytes (SHA-256, hashed as read) are what the manifest records for its path,
//!    or for a path no longer found, was only touched or moved: it is not counted. A
//!    file whose S3-layout date lies before the kept history is not read.
//! 2. **Counts.** The state's aggregates (the retained days) are the start, and the new
//!    files are absorbed into them as a batch run absorbs files.
//! 3. **Judging.** The watermark is the newest minute of data minus the delivery lag:
//!    CloudTrail delivers files up to about 15 minutes late, so later minutes are not
//!    complete yet. Data after the wall clock or far ahead of its scope's data does not
//!    count as newest ([`skew`]); data that arrived behind the last bound is judged
//!    again within a window, or named ([`late`]). Detection runs, as in a batch run, from the day before the first
//!    minute still undecided, with the same baselines and the same weekly behaviour
//!    models (kept in the state, refitted only when their training windows changed).
//! 4. **Records.** An insight's Start is written once its first minutes, and the
//!    [`settle_minutes`] that could still move its start, lie before the watermark; its
//!    End once its end and the same margin do. An insight whose Start is written and
//!    whose End is not is *open*: the next night writes its End under the same
//!    sharedEventID. A record already written (by eventID) is never written again, so
//!    running the same night twice writes nothing the second time.
//! 5. **Commit.** The caller writes the records (after those a sink missed on an
//!    earlier run, kept in the state per sink), commits its outputs, keeps what a sink
//!    did not take, then saves the new state (the commit point, see [`crate::state`]). A run killed before the state is
//!    saved leaves the old state; the next run does the same work again and writes the
//!    same records, byte for byte (a SIEM deduplicates them by eventID).

use crate::aggregate::{Aggregates, Day};
use crate::detect::{self, behaviour::week_start, DetectParams, Episode, Timelines};
use crate::engine::{self, EngineError, EpisodeNote, Inputs, Outputs, RunSummary};
use crate::frame::Frames;
use crate::ingest::{self, InputFile};
use crate::insight::{InsightPair, InsightRecord, RenderContext, START_WINDOW};
use crate::state::{self, Emitted, InputEntry, Meta, ModelState, OpenInsight, Settings, StateSize, WrittenInsight};
use crate::time::{day_start, Minute, MINUTES_PER_DAY};
use std::collections::{BTreeMap, BTreeSet};

pub mod late;
pub mod skew;

/// Whether a run writes the records it decides (`detect`) or only learns (`train`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Train,
    Detect,
}

/// Settings of runs with a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NightParams {
    pub mode: Mode,
    /// Minutes by which CloudTrail deliveries may lag: minutes after the newest data
    /// minus this are judged next run.
    pub delivery_lag: Minute,
    /// Days of eventIDs kept for deduplication across runs (a file delivered again the
    /// next night is not counted twice).
    pub dedup_days: usize,
    /// The run's wall clock (minutes since the epoch): data dated after it never moves
    /// the watermark. `None` leaves it unchecked.
    pub now: Option<Minute>,
}

impl Default for NightParams {
    fn default() -> Self {
        Self { mode: Mode::Detect, delivery_lag: 15, dedup_days: 3, now: None }
    }
}

/// The most minutes of delivery lag accepted (one day).
pub const MAX_DELIVERY_LAG: Minute = MINUTES_PER_DAY;
/// The most days of eventIDs kept.
pub const MAX_DEDUP_DAYS: usize = 60;

/// What a run with a state carried over and decided, for the summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NightSummary {
    pub train: bool,
    /// Runs the state had seen before this one.
    pub earlier_runs: u64,
    pub already_read: usize,
    /// Files read again because their size or time changed, and their content did.
    pub changed: Vec<String>,
    /// Files whose time (or size) changed but whose content had been counted already,
    /// at the same path: not counted again.
    pub same_content: Vec<String>,
    /// Files at a new path whose content had been counted at a path now gone (a moved
    /// folder): not counted again.
    pub moved: Vec<String>,
    pub new_files: usize,
    pub too_old: usize,
    pub previous_watermark: Option<Minute>,
    pub watermark: Option<Minute>,
    /// Records written (or, for `train`, marked as known) this run.
    pub records: usize,
    /// Insights found whose records wait for the watermark to pass them.
    pub held_back: usize,
    pub open: usize,
    /// Settings that differ from the ones the state was built with.
    pub settings_changed: Vec<String>,
    /// Data that did not move the watermark: after the wall clock, or far ahead of the
    /// rest of its scope's data (see [`skew`]).
    pub ahead: Vec<skew::Ahead>,
    /// Data that arrived behind what earlier runs judged (see [`late`]).
    pub late: Option<late::Late>,
    /// Filled in by the caller once the state is written.
    pub size: StateSize,
}

/// Minutes after an insight's start or end during which data not yet delivered could
/// still move it: the longest rate window and the gap that joins windows, the longer of
/// the IAM-burst and first-seen IAM windows, and one behaviour window.
pub fn settle_minutes(params: &DetectParams) -> Minute {
    let reach = params.rate.windows.iter().copied().max().unwrap_or(1);
    let principal_window = params.iam.window.max(params.first_iam.window);
    (reach + params.rate.max_gap) as Minute + principal_window + crate::aggregate::WINDOW_MINUTES
}

/// Runs detection (or training) with `state`, writing the records decided to `outputs`;
/// returns the summary and the next state, which the caller saves after committing its
/// outputs.
pub fn run(
    inputs: &Inputs<'_>,
    params: &DetectParams,
    night: &NightParams,
    state: Option<ModelState>,
    mut outputs: Outputs<'_>,
    on_files_found: &dyn Fn(usize),
    on_file: &(dyn Fn() + Sync),
) -> Result<(RunSummary, ModelState), EngineError> {
    let params = &params.check()?;
    let settings = Settings {
        history_days: params.baseline.history_days,
        warmup_days: params.warmup_days,
        delivery_lag: night.delivery_lag,
        dedup_days: night.dedup_days,
        data_events: inputs.data_events,
        scope: inputs.scope.describe(),
    };
    let (prev, retained) = match state {
        Some(s) => (Some(s.meta), Some(s.retained)),
        None => (None, None),
    };
    let mut note = NightSummary { train: night.mode == Mode::Train, ..NightSummary::default() };
    if let Some(p) = &prev {
        note.earlier_runs = p.runs;
        note.previous_watermark = p.watermark;
        note.settings_changed = changed_settings(&p.settings, &settings);
    }
    let kept_from_day = prev.as_ref().and_then(|p| p.kept_from).map(|m| m.div_euclid(MINUTES_PER_DAY));

    let mut discovery = ingest::discover_in(inputs.paths, &inputs.scope);
    discovery.extend(inputs.remote);
    discovery.files.retain(|f| (inputs.admit)(f));
    let known: BTreeMap<&str, &InputEntry> = prev.iter().flat_map(|p| p.inputs.iter()).map(|e| (e.path.as_str(), e)).collect();
    let mut manifest: Vec<InputEntry> = Vec::new();
    let mut to_read: Vec<InputFile> = Vec::new();
    // For each file to read, its entry in `manifest` (standard input has none).
    let mut entry_of: Vec<Option<usize>> = Vec::new();
    for file in std::mem::take(&mut discovery.files) {
        if let InputFile::S3(object) = &file {
            // An object is known by its key and ETag (its size too).
            let entry = InputEntry { path: object.url(), size: object.size, mtime_ns: 0, etag: object.etag.clone(), sha256: None };
            match known.get(entry.path.as_str()) {
                Some(old) if old.is_same_file(&entry) => {
                    note.already_read += 1;
                    manifest.push(InputEntry { sha256: old.sha256.clone(), ..entry });
                    continue;
                }
                Some(_) => note.changed.push(entry.path.clone()),
                None => note.new_files += 1,
            }
            entry_of.push(Some(manifest.len()));
            manifest.push(entry);
            to_read.push(file);
            continue;
        }
        let InputFile::Path(path) = &file else {
            entry_of.push(None);
            to_read.push(file);
            continue;
        };
        let dated = state::path_day(path);
        if kept_from_day.zip(dated).is_some_and(|(kept, day)| day < kept - 1) {
            // Before the kept history, and out of the manifest: not even examined.
            note.too_old += 1;
            continue;
        }
        let Some(entry) = state::input_entry(path) else {
            entry_of.push(None);
            to_read.push(file);
            continue;
        };
        match known.get(entry.path.as_str()) {
            Some(old) if old.is_same_file(&entry) => {
                note.already_read += 1;
                manifest.push(InputEntry { sha256: old.sha256.clone(), ..entry });
                continue;
            }
            Some(_) => note.changed.push(entry.path.clone()),
            None => note.new_files += 1,
        }
        entry_of.push(Some(manifest.len()));
        manifest.push(entry);
        to_read.push(file);
    }
    discovery.files = to_read;
    tracing::info!(read = discovery.files.len(), already = note.already_read, changed = note.changed.len(), "input discovered");
    on_files_found(discovery.files.len());
    let mut start = retained.map(Aggregates::from_retained).unwrap_or_default();
    // Episodes starting before `bound` were decided by earlier runs, unless open or
    // found by late data.
    let bound = prev.as_ref().and_then(|p| p.next_bound);
    let before = bound.map(|b| late::tally(&start, b));
    start.data_series = inputs.data_events;
    start.keep_seen = true;
    // With --models the table holds the records this run read (the state keeps counts,
    // not cells).
    start.cells = outputs.counts.is_some().then(Default::default);
    let content = Content::of(prev.as_ref(), &manifest);
    let hashes: std::sync::Mutex<Vec<(usize, String, Recognised)>> = std::sync::Mutex::default();
    let counted = |i: usize, batch: &ingest::FileBatch| {
        let (Some(Some(m)), Some(sha256)) = (entry_of.get(i), batch.sha256.as_ref()) else { return false };
        let recognised = content.recognise(&manifest[*m].path, sha256);
        if let Ok(mut h) = hashes.lock() {
            h.push((*m, sha256.clone(), recognised));
        }
        recognised != Recognised::New
    };
    let (mut summary, mut agg) = engine::read_settled_except(&discovery, start, &inputs.limits, on_file, &counted);
    for (m, sha256, recognised) in hashes.into_inner().unwrap_or_else(|e| e.into_inner()) {
        let path = &manifest[m].path;
        match recognised {
            Recognised::New => {}
            Recognised::Touched => {
                note.changed.retain(|p| p != path);
                note.same_content.push(path.clone());
            }
            Recognised::Moved => {
                note.new_files = note.new_files.saturating_sub(1);
                note.moved.push(path.clone());
            }
        }
        manifest[m].sha256 = Some(sha256);
    }
    tracing::info!(records = agg.stats.records, series = agg.series.len(), "input read");
    let late = before.zip(bound).map(|(t, b)| late_data(&t, &agg, b, &discovery.files)).filter(|l| !l.is_empty());

    let settle = settle_minutes(params);
    let (newest, ahead) = skew::bulk_newest(&agg, night.now);
    // The models look no further than the bulk of the data either: the empty minutes up
    // to a record far ahead are not a drop, nor the end of every insight open then.
    if let (Some(bulk), Some(last)) = (newest, agg.stats.last_minute) {
        if !ahead.is_empty() || last > bulk + skew::FAR_AHEAD || night.now.is_some_and(|n| last > n) {
            agg.stats.last_minute = Some(bulk);
        }
    }
    let newest = newest.map(|m| m + 1 - night.delivery_lag);
    note.ahead = ahead;
    let watermark = match (prev.as_ref().and_then(|p| p.watermark), newest) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    note.watermark = watermark;
    // Judging from the day before the bound's day (or the late window's) gives episodes
    // the context a batch run has.
    let mut judged = *params;
    if let Some(b) = bound {
        let from = if late.as_ref().is_some_and(|l| !l.series.is_empty()) { b - late::LATE_WINDOW } else { b };
        let since = day_start(from) - MINUTES_PER_DAY;
        judged.since = Some(params.since.map_or(since, |s| s.max(since)));
    }
    let Some(timelines) = Timelines::new(&agg, &judged) else {
        return engine::nothing_read(summary).map(|s| (s, ModelState { meta: empty_meta(settings), retained: Default::default() }));
    };
    engine::note_timelines(&agg, &timelines, &mut summary);

    // What the next run needs: the history its models read before the first minute it
    // may judge (the weekly model's training days, a week, and a day of context).
    let w = watermark.unwrap_or(0);
    // A first run keeps a day more: insights it leaves open may have begun that early.
    let earliest = bound.map_or(w - settle - START_WINDOW - MINUTES_PER_DAY, |b| b.min(w - settle - START_WINDOW));
    // The next run may judge late data from a window before its bound.
    let floor: Day = (earliest - late::LATE_WINDOW).div_euclid(MINUTES_PER_DAY) - 1 - (params.baseline.history_days as Day + 8);
    let seen_from: Day = w.div_euclid(MINUTES_PER_DAY) - night.dedup_days as Day;
    let retained = agg.retained(floor, seen_from);
    if let Some(out) = outputs.counts.as_mut() {
        engine::write_counts(&agg, out).map_err(EngineError::Counts)?;
    }

    let frames = Frames::new(agg)?;
    tracing::info!("frames built");
    let mut models = ModelState { meta: prev.clone().unwrap_or_else(|| empty_meta(settings.clone())), retained: Default::default() }.models();
    let episodes = detect::detect_with(&frames, &timelines, &judged, &mut models);
    models.forget_before(week_start(floor * MINUTES_PER_DAY));
    let ctx = RenderContext { frames: &frames };

    let decided = decide(&ctx, episodes, prev.as_ref(), late.as_ref(), night.mode, w, settle, earliest);
    note.late = late;
    note.records = decided.records.len();
    note.held_back = decided.held_back;
    note.open = decided.open.len();
    let Outputs { insights: mut sink, explanations, .. } = outputs;
    if night.mode == Mode::Detect {
        for r in &decided.records {
            sink.write(r)?;
        }
    }
    sink.finish()?;
    if let (Some(out), Mode::Detect) = (explanations, night.mode) {
        engine::write_explanations(&ctx, &decided.explained, out)?;
    }
    for (e, pair) in &decided.explained {
        let key = &frames.series[e.series as usize];
        *summary.insights.entry(key.insight_type).or_default() += 1;
        summary.episodes.push(EpisodeNote { series: key.describe(&frames.strings), episode: e.clone(), shared_event_id: pair.start.shared_event_id.clone() });
    }

    let next_bound = decided.open.iter().map(|o| o.start).chain([w - settle - START_WINDOW]).min();
    // What a later run may find again, late data included, is remembered.
    let forget_before = next_bound.map_or(Minute::MIN, |b| day_start(b - late::LATE_WINDOW) - MINUTES_PER_DAY);
    let mut emitted: Vec<Emitted> = decided.emitted.into_iter().filter(|e| e.minute >= forget_before).collect();
    emitted.sort();
    let mut written: Vec<WrittenInsight> = decided.written.into_iter().filter(|i| i.end >= forget_before).collect();
    written.sort();
    written.dedup();
    let mut new_state = ModelState {
        meta: Meta {
            settings,
            watermark,
            next_bound,
            kept_from: Some(floor * MINUTES_PER_DAY),
            runs: prev.as_ref().map_or(0, |p| p.runs) + 1,
            inputs: manifest,
            emitted,
            open: decided.open,
            models: Vec::new(),
            undelivered: prev.as_ref().map(|p| p.undelivered.clone()).unwrap_or_default(),
            written,
        },
        retained,
    };
    new_state.set_models(&models);
    summary.night = Some(note);
    Ok((summary, new_state))
}

fn empty_meta(settings: Settings) -> Meta {
    Meta {
        settings,
        watermark: None,
        next_bound: None,
        kept_from: None,
        runs: 0,
        inputs: Vec::new(),
        emitted: Vec::new(),
        open: Vec::new(),
        models: Vec::new(),
        undelivered: Vec::new(),
        written: Vec::new(),
    }
}

/// Whether a file read this run holds content an earlier run counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recognised {
    New,
    /// The same path, with the content recorded for it.
    Touched,
    /// A new path, with the content of a file whose path is gone.
    Moved,
}

/// The content hashes of the files earlier runs read: per path, and those of paths not
/// seen this run (a file found at a new path with one of these was moved).
struct Content<'a> {
    at_path: BTreeMap<&'a str, &'a str>,
    gone: BTreeSet<&'a str>,
}

impl<'a> Content<'a> {
    fn of(prev: Option<&'a Meta>, manifest: &[InputEntry]) -> Self {
        let present: BTreeSet<&str> = manifest.iter().map(|e| e.path.as_str()).collect();
        let hashed = prev.iter().flat_map(|p| p.inputs.iter()).filter_map(|e| Some((e.path.as_str(), e.sha256.as_deref()?)));
        let at_path: BTreeMap<&str, &str> = hashed.collect();
        let gone = at_path.iter().filter(|(path, _)| !present.contains(*path)).map(|(_, sha)| *sha).collect();
        Self { at_path, gone }
    }

    fn recognise(&self, path: &str, sha256: &str) -> Recognised {
        match self.at_path.get(path) {
            Some(known) if *known == sha256 => Recognised::Touched,
            Some(_) => Recognised::New,
            None if self.gone.contains(sha256) => Recognised::Moved,
            None => Recognised::New,
        }
    }
}

/// The data read this run behind `bound`, compared with `before` (the tally of the
/// state), and the files delivered into date folders behind the late window.
fn late_data(before: &late::Tally, agg: &Aggregates, bound: Minute, files: &[InputFile]) -> late::Late {
    let mut found = late::Late::between(before, &late::tally(agg, bound), bound);
    for file in files {
        match file {
            InputFile::Path(path) => found.note_file(path),
            InputFile::S3(object) => found.note_file(std::path::Path::new(&object.key)),
            InputFile::Stdin => {}
        }
    }
    found
}

fn changed_settings(old: &Settings, new: &Settings) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |name: &str, a: i64, b: i64| {
        if a != b {
            out.push(format!("{name} {a} -> {b}"));
        }
    };
    check("history-days", old.history_days as i64, new.history_days as i64);
    check("warmup-days", old.warmup_days as i64, new.warmup_days as i64);
    check("delivery-lag", old.delivery_lag, new.delivery_lag);
    check("dedup-days", old.dedup_days as i64, new.dedup_days as i64);
    if old.data_events != new.data_events {
        let categories = |data| if data { "management,data" } else { "management" };
        out.push(format!("event-categories {} -> {}", categories(old.data_events), categories(new.data_events)));
    }
    if old.scope != new.scope {
        let shown = |s: &str| if s.is_empty() { "every account and region".to_string() } else { s.to_string() };
        out.push(format!("{} -> {}", shown(&old.scope), shown(&new.scope)));
    }
    out
}

/// What a run writes and carries over.
struct Decided {
    /// Records to write, in delivery order.
    records: Vec<InsightRecord>,
    /// The insights with a record written, with their pair (for explanations).
    explained: Vec<(Episode, InsightPair)>,
    /// Every record written, this run and the runs before that still matter.
    emitted: Vec<Emitted>,
    /// Every insight with a record written, this run and before.
    written: Vec<WrittenInsight>,
    open: Vec<OpenInsight>,
    held_back: usize,
}

/// Decides which records of `episodes` are final at watermark `w`, and which of those
/// were not written before. Insights open in `prev` keep their start and sharedEventID.
/// An insight that would need history from before `oldest` (the start of what the state
/// keeps for the next run) is closed now rather than kept open.
///
/// `train` marks the records it decides as written without writing them, except the
/// Start of an insight it leaves open: the first `detect` writes that insight whole.
#[allow(clippy::too_many_arguments)]
fn decide(ctx: &RenderContext, episodes: Vec<Episode>, prev: Option<&Meta>, late: Option<&late::Late>, mode: Mode, w: Minute, settle: Minute, oldest: Minute) -> Decided {
    let frames = ctx.frames;
    let bound = prev.and_then(|p| p.next_bound);
    let mut written_spans: Vec<WrittenInsight> = prev.iter().flat_map(|p| p.written.iter().cloned()).collect();
    let describe = |e: &Episode| frames.series[e.series as usize].describe(&frames.strings);
    let mut written: BTreeSet<String> = prev.iter().flat_map(|p| p.emitted.iter()).map(|e| e.event_id.clone()).collect();
    let mut emitted: Vec<Emitted> = prev.iter().flat_map(|p| p.emitted.iter().cloned()).collect();
    let mut open_before: BTreeMap<String, OpenInsight> =
        prev.iter().flat_map(|p| p.open.iter()).map(|o| (o.shared_event_id.clone(), o.clone())).collect();
    let mut pairs: Vec<(Episode, InsightPair)> = Vec::new();
    for e in episodes {
        let pair = ctx.render(&e);
        pairs.push((e, pair));
    }
    // An open insight whose episode now starts elsewhere (more data moved its start) or
    // is gone keeps its identity: its End is rendered from its own start.
    let found: BTreeSet<String> = pairs.iter().map(|(_, p)| p.start.shared_event_id.clone()).collect();
    let mut adopted: BTreeSet<usize> = BTreeSet::new();
    for (id, o) in open_before.iter().filter(|(id, _)| !found.contains(*id)) {
        let successor = pairs.iter().position(|(e, _)| e.end > o.start && e.start <= o.start + settle && describe(e) == o.series);
        let episode = match successor {
            Some(i) => {
                adopted.insert(i);
                Episode { start: o.start, ..pairs[i].0.clone() }
            }
            None => {
                let Some(series) = frames.series.iter().position(|k| k.describe(&frames.strings) == o.series) else {
                    tracing::warn!(insight = %id, "an open insight's series is gone; its End cannot be written");
                    continue;
                };
                Episode {
                    series: series as u32,
                    start: o.start,
                    end: o.start + START_WINDOW,
                    detector: detect::Detector::Rate,
                    score: 0.0,
                    observed: 0.0,
                    expected: 0.0,
                    window: START_WINDOW as usize,
                    trigger_end: o.start + START_WINDOW,
                    reason: None,
                }
            }
        };
        let pair = ctx.render(&episode);
        pairs.push((episode, pair));
    }
    let mut records: Vec<InsightRecord> = Vec::new();
    let mut explained = Vec::new();
    let mut open = Vec::new();
    let mut held_back = 0;
    for (i, (e, pair)) in pairs.into_iter().enumerate() {
        if adopted.contains(&i) {
            continue;
        }
        let id = pair.start.shared_event_id.clone();
        let was_open = open_before.remove(&id).is_some();
        if !was_open && bound.is_some_and(|b| e.start < b) && !is_new_late(&e, &describe(&e), late, &written_spans, prev) {
            continue;
        }
        let start_ready = e.start + START_WINDOW + settle <= w;
        let settled = e.end.max(e.start + START_WINDOW) + settle <= w || (start_ready && e.start < oldest);
        if !start_ready {
            held_back += 1;
            continue;
        }
        let mut wrote = false;
        let mut write = |r: &InsightRecord, written: &mut BTreeSet<String>| {
            if written.insert(r.event_id.clone()) {
                emitted.push(Emitted { event_id: r.event_id.clone(), minute: crate::time::parse_event_minute(&r.event_time).unwrap_or(e.start) });
                records.push(r.clone());
                wrote = true;
            }
        };
        if settled {
            write(&pair.start, &mut written);
            write(&pair.end, &mut written);
        } else {
            if mode == Mode::Detect {
                write(&pair.start, &mut written);
            }
            held_back += 1;
            open.push(OpenInsight { shared_event_id: id, series: frames.series[e.series as usize].describe(&frames.strings), start: e.start });
        }
        if wrote {
            written_spans.push(WrittenInsight { series: describe(&e), start: e.start, end: e.end.max(e.start + START_WINDOW) });
            explained.push((e, pair));
        }
    }
    // Start and End records interleave in time order, as a trail would deliver them.
    records.sort_by(|a, b| {
        (&a.event_time, &a.shared_event_id, a.insight_details.state != "Start").cmp(&(&b.event_time, &b.shared_event_id, b.insight_details.state != "Start"))
    });
    explained.sort_by(|(a, pa), (b, pb)| (a.start, &pa.start.shared_event_id).cmp(&(b.start, &pb.start.shared_event_id)));
    open.sort();
    Decided { records, explained, emitted, written: written_spans, open, held_back }
}

/// True for an episode before the last bound that late data found: it starts within
/// the late window, in a series that received late data, and overlaps no insight of its
/// series already written or open.
fn is_new_late(e: &Episode, series: &str, late: Option<&late::Late>, written: &[WrittenInsight], prev: Option<&Meta>) -> bool {
    let Some(late) = late.filter(|l| e.start >= l.window_from && l.series.contains(series)) else {
        return false;
    };
    let end = e.end.max(e.start + START_WINDOW);
    let overlaps_written = written.iter().any(|i| i.series == series && i.start < end && e.start < i.end);
    let overlaps_open = prev.iter().flat_map(|p| p.open.iter()).any(|o| o.series == series && o.start < end);
    tracing::debug!(series, start = e.start, overlaps_written, overlaps_open, window_from = late.window_from, "late episode");
    !overlaps_written && !overlaps_open
}
