//! The orchestrator of `trailsight detect`: a list of named steps, each delegating to its
//! room of the pipeline.
//!
//! Files are read and parsed in parallel and their batches are absorbed into one
//! aggregate in input-file order (the reading threads take turns at it, within a small
//! reorder window), so at most a few files' records are held at once and the result
//! never depends on which thread finished first: memory follows series x minutes, not
//! the size of the history.

use crate::aggregate::{Aggregates, Day, InsightType, IngestStats};
use crate::detect::{self, DetectParams, Episode, Timeline, Timelines};
use crate::frame::Frames;
use crate::ingest::{self, Discovery, FileBatch, FileProblem, FileReport, InputFile, NonEventKind, ReadLimits};
use crate::insight::{InsightPair, RenderContext};
use crate::sink::Sink;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// Why a run could not produce a result.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The detection settings are unusable (found before any file is read).
    #[error("invalid settings: {0}")]
    Params(#[from] crate::detect::DetectParamError),
    /// Nothing usable was read; the summary says, per file, why.
    #[error("nothing could be read: {why}")]
    NothingRead { why: String, summary: Box<RunSummary> },
    #[error("building the counts frame failed: {0}")]
    Frame(#[from] polars::error::PolarsError),
    #[error("writing the counts table failed: {0}")]
    Counts(#[source] polars::error::PolarsError),
    #[error("writing insights failed: {0}")]
    Output(#[from] std::io::Error),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
}

/// What a run did, for the summary a user reads.
#[derive(Debug, Default)]
pub struct RunSummary {
    pub files_found: usize,
    pub non_event: BTreeMap<NonEventKind, usize>,
    pub ignored: usize,
    /// The first few of the ignored files, to name them.
    pub ignored_examples: Vec<PathBuf>,
    pub unreadable_paths: Vec<(PathBuf, String)>,
    pub reports: Vec<FileReport>,
    pub stats: IngestStats,
    pub series: BTreeMap<InsightType, usize>,
    /// The whole input's timeline (from the first scope's first day).
    pub timeline: Option<Timeline>,
    /// Scopes (account, region) with too little of their own data to be judged yet,
    /// with the first minute they would be judged from.
    pub warming_up: Vec<(String, String, crate::time::Minute)>,
    /// The days kept (records far outside them are skipped as out of range).
    pub range: Option<crate::aggregate::DayRange>,
    pub insights: BTreeMap<InsightType, usize>,
    pub episodes: Vec<EpisodeNote>,
    /// What a run with `--models` carried over and decided (see [`crate::nightly`]).
    pub night: Option<crate::nightly::NightSummary>,
}

/// One insight as the summary and `--explain` describe it.
#[derive(Debug, Clone)]
pub struct EpisodeNote {
    pub series: String,
    pub episode: Episode,
    pub shared_event_id: String,
}

impl RunSummary {
    /// Files from which something was skipped or that could not be used at all.
    pub fn files_with_issues(&self) -> impl Iterator<Item = &FileReport> {
        self.reports.iter().filter(|r| r.has_issues())
    }

    pub fn unusable_files(&self) -> usize {
        self.reports.iter().filter(|r| r.is_unusable()).count() + self.unreadable_paths.len()
    }

    pub fn total_insights(&self) -> usize {
        self.insights.values().sum()
    }
}

/// Where a run's results go.
pub struct Outputs<'a> {
    /// The Insight records, in AWS format.
    pub insights: Box<dyn Sink + 'a>,
    /// One JSON explanation per line and insight, if wanted.
    pub explanations: Option<Box<dyn Write + 'a>>,
    /// The aggregated counts as a Parquet counts table (see [`crate::ingest::counts`]),
    /// if wanted.
    pub counts: Option<Box<dyn Write + 'a>>,
}


/// What a run reads.
pub struct Inputs<'a> {
    /// Files and folders (`-` is standard input).
    pub paths: &'a [PathBuf],
    /// Which discovered files to read (`detect --verify` refuses the files that failed
    /// integrity validation; `detect` never reads its own output files).
    pub admit: &'a dyn Fn(&InputFile) -> bool,
    pub limits: ReadLimits,
    /// What was found in `s3://` inputs (listed by the caller, see [`crate::source`]),
    /// read after the local files.
    pub remote: &'a Discovery,
    /// Also make series of data events (`--event-categories management,data`).
    pub data_events: bool,
    /// The accounts and regions read (`--accounts`, `--regions`; see [`ingest::Scope`]).
    pub scope: ingest::Scope,
}

/// Runs detection over `paths`, writing results to `outputs`. `on_file` is called once
/// per file merged (for progress bars); `on_files_found` once with the total.
pub fn run(
    paths: &[PathBuf],
    params: &DetectParams,
    outputs: Outputs<'_>,
    on_files_found: &dyn Fn(usize),
    on_file: &(dyn Fn() + Sync),
) -> Result<RunSummary, EngineError> {
    let inputs = Inputs { paths, admit: &|_| true, limits: ReadLimits::default(), remote: &Discovery::default(), data_events: false, scope: ingest::Scope::default() };
    run_admitting(&inputs, params, outputs, on_files_found, on_file)
}

/// [`run`], reading only the files `inputs.admit` accepts, within `inputs.limits`.
pub fn run_admitting(
    inputs: &Inputs<'_>,
    params: &DetectParams,
    mut outputs: Outputs<'_>,
    on_files_found: &dyn Fn(usize),
    on_file: &(dyn Fn() + Sync),
) -> Result<RunSummary, EngineError> {
    let params = &params.check()?;
    let mut discovery = ingest::discover_in(inputs.paths, &inputs.scope);
    discovery.extend(inputs.remote);
    discovery.files.retain(|f| (inputs.admit)(f));
    tracing::info!(files = discovery.files.len(), unreadable = discovery.unreadable.len(), "input discovered");
    on_files_found(discovery.files.len());
    let mut start = Aggregates::new();
    start.data_series = inputs.data_events;
    start.cells = outputs.counts.is_some().then(Default::default);
    let (mut summary, agg) = read_settled(&discovery, start, &inputs.limits, on_file);
    tracing::info!(records = agg.stats.records, series = agg.series.len(), out_of_range = agg.stats.out_of_range, "input read");
    let Some(timelines) = Timelines::new(&agg, params) else {
        return nothing_read(summary);
    };
    note_timelines(&agg, &timelines, &mut summary);
    if let Some(out) = outputs.counts.as_mut() {
        write_counts(&agg, out).map_err(EngineError::Counts)?;
    }
    let frames = Frames::new(agg)?;
    let episodes = detect::detect(&frames, &timelines, params);
    let ctx = RenderContext { frames: &frames };
    write_insights(&ctx, episodes, outputs, &mut summary)?;
    Ok(summary)
}

/// Notes the series and the timelines (history, scopes warming up) in the summary.
pub(crate) fn note_timelines(agg: &Aggregates, timelines: &Timelines, summary: &mut RunSummary) {
    for key in &agg.series {
        *summary.series.entry(key.insight_type).or_default() += 1;
    }
    summary.timeline = Some(timelines.all);
    summary.warming_up = timelines
        .warming_up()
        .map(|(&(a, r), t)| (agg.strings.resolve(a).to_string(), agg.strings.resolve(r).to_string(), t.judge_from))
        .collect();
}

/// A run's settled results, kept for the investigation commands (`timeline`, `top`,
/// `explain`, `report`): the frames and timelines the models read, the checked settings,
/// and every insight with its records, so a number an investigation shows is the number
/// the detector used.
pub struct Analysis {
    pub summary: RunSummary,
    pub params: DetectParams,
    pub frames: Frames,
    pub timelines: Timelines,
    /// Every insight and its Start and End records, in the order `detect` writes them
    /// (by start, then sharedEventID).
    pub insights: Vec<(Episode, InsightPair)>,
}

/// The steps of [`run_admitting`] up to rendering, keeping their results instead of
/// writing them. `on_fitting` is called once, when reading is done and the models start.
pub fn analyse(
    inputs: &Inputs<'_>,
    params: &DetectParams,
    on_files_found: &dyn Fn(usize),
    on_file: &(dyn Fn() + Sync),
    on_fitting: &dyn Fn(),
) -> Result<Analysis, EngineError> {
    let params = params.check()?;
    let mut discovery = ingest::discover_in(inputs.paths, &inputs.scope);
    discovery.extend(inputs.remote);
    discovery.files.retain(|f| (inputs.admit)(f));
    on_files_found(discovery.files.len());
    let mut start = Aggregates::new();
    start.data_series = inputs.data_events;
    let (mut summary, agg) = read_settled(&discovery, start, &inputs.limits, on_file);
    let Some(timelines) = Timelines::new(&agg, &params) else {
        return Err(nothing_read(summary).expect_err("nothing_read always answers an error"));
    };
    note_timelines(&agg, &timelines, &mut summary);
    on_fitting();
    let frames = Frames::new(agg)?;
    let episodes = detect::detect(&frames, &timelines, &params);
    let ctx = RenderContext { frames: &frames };
    let mut insights: Vec<(Episode, InsightPair)> = episodes.into_iter().map(|e| { let p = ctx.render(&e); (e, p) }).collect();
    insights.sort_by(|(a, pa), (b, pb)| (a.start, &pa.start.shared_event_id).cmp(&(b.start, &pb.start.shared_event_id)));
    for (e, pair) in &insights {
        let key = &frames.series[e.series as usize];
        *summary.insights.entry(key.insight_type).or_default() += 1;
        summary.episodes.push(EpisodeNote { series: key.describe(&frames.strings), episode: e.clone(), shared_event_id: pair.start.shared_event_id.clone() });
    }
    Ok(Analysis { summary, params, frames, timelines, insights })
}

/// Writes the attribution cells as a counts table, sorted so the file is the same on
/// every run.
/// Writes the run's counts table (version 2, see [`crate::ingest::counts`]): its cells
/// in the order of their values, the records per day and the files it was made from.
pub(crate) fn write_counts(agg: &Aggregates, out: &mut dyn Write) -> polars::prelude::PolarsResult<()> {
    use crate::ingest::counts;
    let sources: Vec<String> = agg.sources.iter().cloned().collect();
    let s = |sym| agg.strings.resolve(sym);
    // Symbols are numbered in sorted order once settled, so sorting keys sorts values.
    let mut cells: Vec<_> = agg.cells.iter().flatten().collect();
    cells.sort_unstable_by_key(|(k, _)| **k);
    let rows = cells.into_iter().map(|(k, &calls)| counts::Cell {
        minute: k.minute,
        account: s(k.account),
        region: s(k.region),
        source: s(k.source),
        name: s(k.name),
        category: if k.data { "Data" } else { "Management" },
        read_only: k.read_only,
        error: k.error.map(s),
        principal: s(k.principal),
        agent: s(k.agent),
        ip: s(k.ip),
        calls,
    });
    counts::write_cells(rows, &agg.day_records(), &sources, out)
}

pub(crate) fn summary_of(d: &Discovery) -> RunSummary {
    RunSummary {
        files_found: d.files.len(),
        non_event: d.non_event.clone(),
        ignored: d.ignored,
        ignored_examples: d.ignored_examples.clone(),
        unreadable_paths: d.unreadable.clone(),
        ..RunSummary::default()
    }
}

/// Map (parse each file, in parallel) and reduce (merge into one aggregate, in input
/// order) into `agg`. Workers take files in order and may run at most a window of
/// files ahead of the merge, which bounds the batches held at once. There is no merging
/// thread: a worker that has read a file merges every batch that is next in order, unless
/// another worker is merging already, so no core waits for a thread switch.
pub(crate) fn read_all(agg: Aggregates, files: &[InputFile], only: &ingest::Scope, limits: &ReadLimits, on_file: &(dyn Fn() + Sync), counted: &Counted<'_>) -> Aggregates {
    let inputs = source_ids(files);
    // A nightly run keeps its keys for the next night; a batch run lets them go.
    let releases = if agg.keep_seen { Vec::new() } else { seen_releases(files) };
    // Only a nightly run keeps a manifest, where a file's content hash is recorded.
    let hash = agg.keep_seen;
    let threads = rayon::current_num_threads().max(1);
    let window = 2 * threads + 2;
    let next = AtomicUsize::new(0);
    let order = Order { queue: Mutex::new(Queue::default()), turn: Condvar::new() };
    let merger = Mutex::new(Merger { agg, peak_seen: 0 });
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (next, order, merger, inputs, releases) = (&next, &order, &merger, &inputs, &releases);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= files.len() {
                    return;
                }
                order.wait_for_turn(i, window);
                let mut batch = ingest::read_file_hashing(&files[i], limits, hash);
                batch.keep_scope(only);
                order.lock().pending.insert(i, batch);
                // Merge what is next in order; if another worker holds the merge, it will
                // find this batch, or it let go before this one came and this worker
                // finds it on the second look.
                while let Ok(mut m) = merger.try_lock() {
                    while let Some((done, mut batch)) = order.take_next() {
                        refuse_counts_of_inputs(&mut batch, inputs);
                        if !counted(done, &batch) {
                            m.agg.absorb(batch);
                        }
                        if let Some(due) = releases.get(done).filter(|due| !due.is_empty()) {
                            // Keys only grow between releases: the peak is right before one.
                            m.peak_seen = m.peak_seen.max(m.agg.seen_keys());
                            for (account, region, day) in due {
                                m.agg.release_seen(account, region, *day);
                            }
                        }
                        order.merged(done);
                        on_file();
                    }
                    drop(m);
                    if !order.next_is_pending() {
                        break;
                    }
                }
            });
        }
    });
    let Merger { agg, peak_seen } = merger.into_inner().unwrap_or_else(|e| e.into_inner());
    let queue = order.queue.into_inner().unwrap_or_else(|e| e.into_inner());
    debug_assert!(queue.pending.is_empty() && queue.merged == files.len());
    let held = agg.seen_keys();
    tracing::info!(peak_keys = peak_seen.max(held), held_at_end = held, "deduplication");
    agg
}

/// The aggregate being merged into, held by one worker at a time.
struct Merger {
    agg: Aggregates,
    peak_seen: usize,
}

/// Batches read but not yet merged, and how many files are merged: the next to merge.
#[derive(Default)]
struct Queue {
    pending: BTreeMap<usize, ingest::FileBatch>,
    merged: usize,
}

struct Order {
    queue: Mutex<Queue>,
    /// Told when a file is merged, for workers waiting to keep within the window.
    turn: Condvar,
}

impl Order {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until file `i` is within `window` files of the merge.
    fn wait_for_turn(&self, i: usize, window: usize) {
        let queue = self.lock();
        let _turn = self.turn.wait_while(queue, |q| i >= q.merged + window).unwrap_or_else(|e| e.into_inner());
    }

    /// The batch next in order, with its index, if it has been read.
    fn take_next(&self) -> Option<(usize, ingest::FileBatch)> {
        let mut queue = self.lock();
        let next = queue.merged;
        queue.pending.remove(&next).map(|batch| (next, batch))
    }

    fn next_is_pending(&self) -> bool {
        let queue = self.lock();
        queue.pending.contains_key(&queue.merged)
    }

    /// File `done` is merged.
    fn merged(&self, done: usize) {
        self.lock().merged = done + 1;
        self.turn.notify_all();
    }
}

/// Days after its eventTime a record may still be delivered and be recognised as a
/// duplicate of a copy read earlier. CloudTrail delivers within minutes; a copy delivered
/// later than this (a redelivery days after) is counted again.
pub const LATE_DAYS: Day = 2;

/// When a batch run may let go of deduplication keys: after file `i`, the (account,
/// region, day) of `result[i]`. A CloudTrail file name gives the account, region and
/// delivery time (`ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_...`), and a record is
/// delivered on its day or within [`LATE_DAYS`] after: the keys of a day are let go after
/// the last file of its account and region delivered in that span. A file whose name
/// says nothing (standard input, a joined file, an export) may hold anything: nothing is
/// let go before it is read. With the S3 layout's order (account, region, date) the keys
/// held are those of a few days of one account and region, instead of every record's.
fn seen_releases(files: &[InputFile]) -> Vec<Vec<(String, String, Day)>> {
    let named: Vec<Option<(String, String, Day)>> = files.iter().map(delivery_of).collect();
    let unnamed_until = named
        .iter()
        .zip(files)
        .rposition(|(n, f)| n.is_none() && !is_counts_table_name(f))
        .unwrap_or(0);
    let mut last: BTreeMap<(String, String, Day), usize> = BTreeMap::new();
    for (i, n) in named.iter().enumerate() {
        if let Some((account, region, delivered)) = n {
            for day in delivered - LATE_DAYS..=*delivered {
                last.insert((account.clone(), region.clone(), day), i);
            }
        }
    }
    let mut releases = vec![Vec::new(); files.len()];
    for (key, i) in last {
        releases[i.max(unnamed_until)].push(key);
    }
    releases
}

/// The account, region and delivery day a CloudTrail log file's name gives.
fn delivery_of(file: &InputFile) -> Option<(String, String, Day)> {
    let name = match file {
        InputFile::Path(p) => p.file_name()?.to_str()?.to_string(),
        InputFile::S3(object) => object.key.rsplit('/').next()?.to_string(),
        InputFile::Stdin => return None,
    };
    let mut parts = name.split('_');
    let (account, kind, region, time) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if kind != "CloudTrail" || !ingest::is_account_id(account) || !ingest::is_region(region) {
        return None;
    }
    let date = chrono::NaiveDate::parse_from_str(time.get(..8)?, "%Y%m%d").ok()?;
    // NaiveDate's default is 1970-01-01: the difference is the day number.
    Some((account.to_string(), region.to_string(), (date - chrono::NaiveDate::default()).num_days()))
}

/// Counts tables carry no eventIDs: they cannot hold a duplicate of a record.
fn is_counts_table_name(file: &InputFile) -> bool {
    matches!(file, InputFile::Path(p) if p.extension().is_some_and(|e| e == "parquet"))
}

/// Reads the discovered files into `start` and settles them; the summary holds what was
/// found, read and skipped.
pub(crate) fn read_settled(discovery: &Discovery, start: Aggregates, limits: &ReadLimits, on_file: &(dyn Fn() + Sync)) -> (RunSummary, Aggregates) {
    read_settled_except(discovery, start, limits, on_file, &|_, _| false)
}

/// Tells, for file `i` of a run's list once read, whether its content was counted
/// already (a nightly run recognises a touched or moved file by its SHA-256): such a
/// file is not absorbed. Called in file order.
pub(crate) type Counted<'a> = dyn Fn(usize, &ingest::FileBatch) -> bool + Sync + 'a;

/// As [`read_settled`], leaving out the files `counted` recognises.
pub(crate) fn read_settled_except(
    discovery: &Discovery,
    start: Aggregates,
    limits: &ReadLimits,
    on_file: &(dyn Fn() + Sync),
    counted: &Counted<'_>,
) -> (RunSummary, Aggregates) {
    let mut summary = summary_of(discovery);
    let mut agg = read_all(start, &discovery.files, &discovery.scope, limits, on_file, counted);
    agg.settle();
    summary.reports = std::mem::take(&mut agg.reports);
    for kind in summary.reports.iter().filter_map(|r| r.non_event) {
        *summary.non_event.entry(kind).or_default() += 1;
    }
    summary.stats = agg.stats.clone();
    summary.range = agg.range;
    (summary, agg)
}

/// `1 file`, `2 files`: counts in the summary and in errors.
pub fn plural(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// The identities of the files about to be read (see [`ingest::source_id`]).
fn source_ids(files: &[InputFile]) -> BTreeSet<String> {
    files
        .iter()
        .filter_map(|f| match f {
            InputFile::Path(p) => std::fs::metadata(p).ok().map(|m| ingest::source_id(p, m.len())),
            InputFile::S3(object) => Some(ingest::source_id(std::path::Path::new(&object.key), object.size)),
            InputFile::Stdin => None,
        })
        .collect()
}

/// A counts table made from logs that this run also reads would count their calls
/// twice: its rows are dropped and the file is reported.
fn refuse_counts_of_inputs(batch: &mut FileBatch, inputs: &BTreeSet<String>) {
    let overlap = batch.made_from.iter().filter(|s| inputs.contains(*s)).count();
    if overlap == 0 {
        return;
    }
    tracing::warn!(path = %crate::text::printable(&batch.report.path), overlap, "counts table of logs also read: not counted");
    batch.events.clear();
    batch.made_from.clear();
    batch.source_id = None;
    batch.report.records = 0;
    batch.report.problems.push(FileProblem::CountsOfInput { overlap });
}

/// Blocks until file `i` is within `window` files of the merge.
pub(crate) fn nothing_read(summary: RunSummary) -> Result<RunSummary, EngineError> {
    let why = if summary.files_found == 0 && summary.unreadable_paths.is_empty() {
        if summary.ignored > 0 {
            format!("no CloudTrail files found ({} without a CloudTrail file name ignored)", plural(summary.ignored as u64, "file"))
        } else {
            "no CloudTrail files found".to_string()
        }
    } else if summary.stats.records == 0 {
        format!("no readable CloudTrail records in {}", plural(summary.files_found as u64, "file"))
    } else if summary.stats.management == 0 && summary.stats.out_of_range > 0 {
        format!("{} read but none in range", plural(summary.stats.records + summary.stats.out_of_range, "record"))
    } else {
        format!("{} read but none is a management event", plural(summary.stats.records, "record"))
    };
    Err(EngineError::NothingRead { why, summary: Box::new(summary) })
}

/// Renders episodes in a stable order (by time, then series identity) and writes them.
fn write_insights(
    ctx: &RenderContext,
    episodes: Vec<Episode>,
    outputs: Outputs<'_>,
    summary: &mut RunSummary,
) -> Result<(), EngineError> {
    let Outputs { insights: mut sink, explanations, .. } = outputs;
    let mut rendered: Vec<(Episode, InsightPair)> = episodes.into_iter().map(|e| { let p = ctx.render(&e); (e, p) }).collect();
    rendered.sort_by(|(a, pa), (b, pb)| {
        (a.start, &pa.start.shared_event_id).cmp(&(b.start, &pb.start.shared_event_id))
    });
    let mut records: Vec<&crate::insight::InsightRecord> = rendered.iter().flat_map(|(_, p)| [&p.start, &p.end]).collect();
    // Start and End records interleave in time order, as a trail would deliver them.
    records.sort_by(|a, b| (&a.event_time, &a.shared_event_id, a.insight_details.state != "Start").cmp(&(&b.event_time, &b.shared_event_id, b.insight_details.state != "Start")));
    for r in records {
        sink.write(r)?;
    }
    sink.finish()?;
    if let Some(out) = explanations {
        write_explanations(ctx, &rendered, out)?;
    }
    for (e, pair) in &rendered {
        let key = &ctx.frames.series[e.series as usize];
        *summary.insights.entry(key.insight_type).or_default() += 1;
        summary.episodes.push(EpisodeNote {
            series: key.describe(&ctx.frames.strings),
            episode: e.clone(),
            shared_event_id: pair.start.shared_event_id.clone(),
        });
    }
    Ok(())
}

pub(crate) fn write_explanations(ctx: &RenderContext, rendered: &[(Episode, InsightPair)], mut out: Box<dyn Write + '_>) -> std::io::Result<()> {
    for (e, pair) in rendered {
        let explanation = ctx.explain(e, &pair.start.shared_event_id);
        serde_json::to_writer(&mut out, &explanation).map_err(std::io::Error::other)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::{self, Format};

    /// One CloudTrail record as a JSON line.
    fn record(minute: crate::time::Minute, id: usize, name: &str, user: &str, read_only: bool) -> String {
        serde_json::json!({
            "eventVersion": "1.09",
            "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::111122223333:user/{user}"), "accountId": "111122223333"},
            "eventTime": crate::time::format_minute(minute),
            "eventSource": "ec2.amazonaws.com",
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.7",
            "userAgent": "aws-cli/2.15.0",
            "eventID": format!("00000000-0000-4000-8000-{id:012}"),
            "readOnly": read_only,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": "111122223333",
            "eventCategory": "Management",
        })
        .to_string()
    }

    /// Nine days of a CI user reading every two minutes and launching an instance every
    /// half hour; on the last day mallory launches forty in five minutes.
    fn history(dir: &std::path::Path) -> crate::time::Minute {
        let start = 20_458 * crate::time::MINUTES_PER_DAY; // Monday 2026-01-05
        let mut lines = Vec::new();
        for t in (0..9 * crate::time::MINUTES_PER_DAY).step_by(2) {
            lines.push(record(start + t, lines.len(), "DescribeInstances", "ci", true));
            if t % 30 == 0 {
                lines.push(record(start + t + 1, lines.len(), "RunInstances", "ci", false));
            }
        }
        let attack = start + 8 * crate::time::MINUTES_PER_DAY + 14 * 60 + 3;
        for i in 0..40 {
            lines.push(record(attack + i / 8, lines.len(), "RunInstances", "mallory", false));
        }
        std::fs::write(dir.join("trail.jsonl"), lines.join("\n") + "\n").unwrap();
        attack
    }

    fn run_on(dir: &std::path::Path, params: &DetectParams) -> (Result<RunSummary, EngineError>, Vec<serde_json::Value>) {
        let mut out = Vec::new();
        let outputs = Outputs { insights: sink::to_writer(Format::Ndjson, &mut out), explanations: None, counts: None };
        let result = run(&[dir.to_path_buf()], params, outputs, &|_| (), &|| ());
        let records = String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        (result, records)
    }

    #[test]
    fn a_burst_in_a_small_history_is_one_insight_pair_starting_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let attack = history(dir.path());
        let (result, records) = run_on(dir.path(), &DetectParams::default());
        let summary = result.unwrap();
        assert_eq!(summary.total_insights(), 1, "{:?}", summary.episodes);
        assert_eq!(summary.episodes[0].episode.start, attack);
        let states: Vec<(&str, &str)> = records
            .iter()
            .map(|r| (r["insightDetails"]["state"].as_str().unwrap(), r["insightDetails"]["eventName"].as_str().unwrap()))
            .collect();
        assert_eq!(states, [("Start", "RunInstances"), ("End", "RunInstances")]);
        assert_eq!(records[0]["eventTime"], crate::time::format_minute(attack));
        assert_eq!(records[0]["sharedEventID"], records[1]["sharedEventID"]);
    }

    #[test]
    fn invalid_settings_fail_before_any_file_is_read() {
        let mut params = DetectParams::default();
        params.rate.windows[0] = 0;
        let (result, records) = run_on(std::path::Path::new("/nonexistent/trailsight"), &params);
        assert!(matches!(result, Err(EngineError::Params(crate::detect::DetectParamError::Rate(_)))), "{result:?}");
        assert!(records.is_empty());
    }
}

#[cfg(test)]
mod release_tests {
    use super::*;

    fn file(name: &str) -> InputFile {
        InputFile::Path(PathBuf::from(format!("AWSLogs/x/{name}")))
    }

    #[test]
    fn dedup_keys_go_after_the_last_file_that_can_hold_their_day() {
        let a = "111122223333";
        let files = [
            file(&format!("{a}_CloudTrail_us-east-1_20260105T2355Z_a.json.gz")),
            file(&format!("{a}_CloudTrail_us-east-1_20260106T0005Z_b.json.gz")),
            file(&format!("{a}_CloudTrail_us-east-1_20260109T0005Z_c.json.gz")),
            file(&format!("{a}_CloudTrail_eu-west-1_20260105T0005Z_d.json.gz")),
        ];
        let r = seen_releases(&files);
        let day = |d: &str| parse_day(d);
        let has = |i: usize, region: &str, d: &str| r[i].contains(&(a.to_string(), region.to_string(), day(d)));
        // 2026-01-05 of us-east-1 may be in files delivered up to 2026-01-07: the last is b.
        assert!(has(1, "us-east-1", "2026-01-05") && has(1, "us-east-1", "2026-01-06"));
        assert!(has(2, "us-east-1", "2026-01-09") && has(3, "eu-west-1", "2026-01-05"));
        assert!(!r[0].iter().any(|k| k.2 == day("2026-01-05")), "{:?}", r[0]);
        // A file whose name says nothing holds everything back until it is read.
        let mut with_joined = files.to_vec();
        with_joined.insert(2, file("joined.json.gz"));
        let r = seen_releases(&with_joined);
        assert!(r[..2].iter().all(Vec::is_empty), "{r:?}");
        assert!(r[2].iter().any(|k| k.2 == day("2026-01-05")));
    }

    fn parse_day(d: &str) -> Day {
        crate::time::parse_cli_time(d).unwrap().div_euclid(crate::time::MINUTES_PER_DAY)
    }
}
