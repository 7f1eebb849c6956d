//! The model state of nightly runs (`--models DIR`, SPEC §7; the format is documented
//! in `models/README.md`).
//!
//! A state is one generation folder `DIR/state-<N>/` named by the file `DIR/CURRENT`:
//!
//! - `state.json`: the format name and version (read before anything else), the
//!   watermark, the manifest of input files read, the insight records already emitted
//!   and the insights still open, the fitted behaviour models, and the size and SHA-256
//!   of the two other files;
//! - `counts.parquet`: the attribution cells of the retained days, as a counts table
//!   (the same columns as `detect --write-counts`: any Parquet reader, or `detect`
//!   itself, reads it);
//! - `aggregates.bin`: the rest of the retained aggregates ([`codec`]).
//!
//! A run writes the next generation into a temporary folder, syncs every file and the
//! folder, renames it to `state-<N+1>`, then replaces `CURRENT` (the generation's name
//! and the SHA-256 of its `state.json`) by rename: that rename is the commit point. A
//! run killed at any moment leaves `CURRENT` naming the previous generation, whole;
//! leftovers are removed by the next run, under the lock ([`lock`]) that keeps two runs
//! from sharing a folder. A generation never exists without `CURRENT` (the first is
//! renamed into place after `CURRENT` is written), so a folder without it is damaged,
//! and refused.

pub mod codec;
mod lock;

use crate::aggregate::{AttributionKey, InsightType, Retained, SeriesKey};
use crate::baseline::cluster::{BehaviourModel, ModelParts};
use crate::detect::{FittedWeek, WeeklyModels};
use crate::ingest::{counts, Feeds, FileReport};
use crate::time::Minute;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

pub use lock::Lock;

/// The name written in every `state.json`.
pub const FORMAT: &str = "trailsight-state";
/// The format version this build writes and reads.
pub const VERSION: u32 = 1;

const CURRENT: &str = "CURRENT";
const STATE_JSON: &str = "state.json";
const COUNTS: &str = "counts.parquet";
const AGGREGATES: &str = "aggregates.bin";
const FIRST_GENERATION: &str = "state-000001";

/// Why a state folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Busy(String),
    #[error(
        "{path} was written in state format version {found} (by {writer}); this trailsight ({this}) reads version {VERSION} only. \
         Rebuild it with `trailsight train` over the logs, or run the trailsight that wrote it",
        this = env!("CARGO_PKG_VERSION")
    )]
    Version { path: PathBuf, found: u64, writer: String },
    #[error("{path} is not a usable trailsight state: {why}")]
    Corrupt { path: PathBuf, why: String },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io { path: path.to_path_buf(), source }
}

fn corrupt(path: &Path, why: impl Into<String>) -> StateError {
    StateError::Corrupt { path: path.to_path_buf(), why: why.into() }
}

/// One input file already read, as the manifest keys it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputEntry {
    /// The absolute path, or `s3://BUCKET/KEY`.
    pub path: String,
    pub size: u64,
    /// Modification time, nanoseconds since the epoch (0 for an S3 object).
    pub mtime_ns: i64,
    /// An S3 object's ETag, which changes with its content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// SHA-256 of the file's bytes as stored, hex, when it was read whole: a file that
    /// is only touched or moved is recognised by it and not counted again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl InputEntry {
    /// True when `other` is this file unchanged: same path, size, modification time
    /// and ETag (the content hash is known only once a file is read).
    pub fn is_same_file(&self, other: &Self) -> bool {
        (&self.path, self.size, self.mtime_ns, &self.etag) == (&other.path, other.size, other.mtime_ns, &other.etag)
    }
}

/// Insight records a sink has not accepted yet (it failed, or its records could not be
/// staged): the next run that names the sink delivers them before its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Undelivered {
    /// The sink, as `--sink` names it (`--out DIR/` is `s3-layout:DIR/`).
    pub sink: String,
    /// The records, in the order they are to be delivered.
    pub records: Vec<crate::insight::InsightRecord>,
}

/// An Insight record already written, by its eventID.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Emitted {
    pub event_id: String,
    /// Its eventTime, as minutes since the epoch (records are forgotten once no later
    /// run can find them again).
    pub minute: Minute,
}

/// An insight whose Start was judged and whose End is not known yet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OpenInsight {
    pub shared_event_id: String,
    /// The series, as `account region source:name type [errorCode]`.
    pub series: String,
    pub start: Minute,
}

/// An insight whose records were written, by series and span: data that arrives late
/// never writes a second insight over it (see [`crate::nightly::late`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WrittenInsight {
    /// The series, as [`OpenInsight::series`].
    pub series: String,
    pub start: Minute,
    /// Its end (for an insight still open, the end known when it was written).
    pub end: Minute,
}

/// A fitted behaviour model of one week, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredModel {
    /// Monday 00:00 UTC of the week it judges (minutes since the epoch).
    pub week: Minute,
    /// Fingerprint of its training windows, hex.
    pub fingerprint: String,
    pub windows: usize,
    /// `None` when the week had too few windows to fit one.
    pub model: Option<ModelParts>,
}

/// The settings a state was built with (a run with others says so).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub history_days: usize,
    pub warmup_days: usize,
    pub delivery_lag: Minute,
    pub dedup_days: usize,
    /// Data events had series of their own (`--event-categories management,data`);
    /// false in states written before it was recorded, as they were built without.
    #[serde(default)]
    pub data_events: bool,
    /// The accounts and regions read (`--accounts`, `--regions`, see
    /// [`crate::ingest::Scope::describe`]); empty, and not written, for every one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

/// What `state.json` holds besides the file list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub settings: Settings,
    /// Newest minute judged for good (newest data minus the delivery lag); `None`
    /// before any data.
    pub watermark: Option<Minute>,
    /// Episodes starting before this minute were settled by earlier runs (unless
    /// open); the next run judges from the day before its day.
    pub next_bound: Option<Minute>,
    /// Days kept from (minutes since the epoch of 00:00 UTC).
    pub kept_from: Option<Minute>,
    pub runs: u64,
    pub inputs: Vec<InputEntry>,
    pub emitted: Vec<Emitted>,
    pub open: Vec<OpenInsight>,
    pub models: Vec<StoredModel>,
    /// Records decided by earlier runs that a sink has not accepted yet, per sink.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undelivered: Vec<Undelivered>,
    /// Insights written lately (absent from states written before it was added).
    #[serde(default)]
    pub written: Vec<WrittenInsight>,
}

/// The whole state in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelState {
    pub meta: Meta,
    pub retained: Retained,
}

/// Sizes of a written state, for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateSize {
    pub bytes: u64,
    pub series: usize,
    pub cells: usize,
    pub windows: usize,
    pub event_ids: usize,
    pub days: usize,
}

/// `state.json` on disk.
#[derive(Serialize, Deserialize)]
struct StateFile {
    format: String,
    version: u32,
    written_by: String,
    files: BTreeMap<String, FileSum>,
    #[serde(flatten)]
    meta: Meta,
}

#[derive(Serialize, Deserialize)]
struct FileSum {
    bytes: u64,
    sha256: String,
}

impl ModelState {
    pub fn models(&self) -> WeeklyModels {
        let mut out = WeeklyModels::default();
        for m in &self.meta.models {
            let fingerprint = u64::from_str_radix(&m.fingerprint, 16).unwrap_or(0);
            let model = m.model.clone().and_then(|p| BehaviourModel::from_parts(p).ok());
            out.weeks.insert(m.week, FittedWeek { fingerprint, windows: m.windows, model });
        }
        out
    }

    pub fn set_models(&mut self, models: &WeeklyModels) {
        self.meta.models = models
            .weeks
            .iter()
            .map(|(&week, w)| StoredModel {
                week,
                fingerprint: format!("{:016x}", w.fingerprint),
                windows: w.windows,
                model: w.model.as_ref().map(BehaviourModel::to_parts),
            })
            .collect();
    }

    pub fn size(&self) -> StateSize {
        StateSize {
            bytes: 0,
            series: self.retained.series.len(),
            cells: self.retained.cells.len(),
            windows: self.retained.behaviour.len(),
            event_ids: self.retained.seen.iter().map(|(_, ids)| ids.len()).sum(),
            days: self.retained.days.len(),
        }
    }
}

/// A state folder, locked for this run.
#[derive(Debug)]
pub struct StateDir {
    root: PathBuf,
    _lock: Lock,
}

impl StateDir {
    /// Opens (creating it if needed) and locks `root`; refuses when another run holds it.
    /// Leftovers of a run that was killed are removed.
    pub fn open(root: &Path) -> Result<Self, StateError> {
        fs::create_dir_all(root).map_err(io_error(root))?;
        let lock = Lock::take(root)?;
        let dir = Self { root: root.to_path_buf(), _lock: lock };
        dir.remove_leftovers()?;
        Ok(dir)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The generation `CURRENT` names and the SHA-256 of its `state.json` it records
    /// (`None` in a `CURRENT` written before states were checksummed), if any.
    fn current(&self) -> Result<Option<Pointer>, StateError> {
        let path = self.root.join(CURRENT);
        match fs::read_to_string(&path) {
            Ok(text) => {
                let mut lines = text.lines();
                let name = lines.next().unwrap_or("").trim().to_string();
                if !is_generation(&name) {
                    return Err(corrupt(&path, format!("it names {name:?}, not a state-<N> folder")));
                }
                let sha256 = match lines.next().map(str::trim).filter(|l| !l.is_empty()) {
                    None => None,
                    Some(line) => match line.strip_prefix("sha256 ") {
                        Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => Some(hex.to_ascii_lowercase()),
                        _ => return Err(corrupt(&path, format!("its second line {line:?} is not `sha256 <64 hex digits>`"))),
                    },
                };
                Ok(Some(Pointer { generation: name, sha256 }))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StateError::Io { path, source: e }),
        }
    }

    /// The folder's entries (names), sorted.
    fn entries(&self) -> Result<Vec<String>, StateError> {
        let entries = fs::read_dir(&self.root).map_err(io_error(&self.root))?;
        let mut names: Vec<String> = entries.flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect();
        names.sort();
        Ok(names)
    }

    /// Refuses a folder whose state is damaged: generations without the `CURRENT` that
    /// names one (only a deletion makes that: a run commits a generation only after
    /// `CURRENT` exists), or a `CURRENT` naming a missing generation. The one exception
    /// is a first run killed between writing `CURRENT` and renaming its folder into
    /// place: its `CURRENT` names `state-000001` and the folder is still temporary; that
    /// run committed nothing, and both are removed.
    fn check_current(&self) -> Result<(), StateError> {
        let names = self.entries()?;
        let current_path = self.root.join(CURRENT);
        let Some(pointer) = self.current()? else {
            if let Some(found) = names.iter().rfind(|n| is_generation(n)) {
                return Err(corrupt(
                    &current_path,
                    format!(
                        "it is missing, yet {found} is there: a run never leaves a state without it, so the state is damaged. \
                         Write {found:?} into {CURRENT} to use that state, or move the folder away to start over"
                    ),
                ));
            }
            return Ok(());
        };
        if names.contains(&pointer.generation) {
            return Ok(());
        }
        let first_uncommitted = pointer.generation == FIRST_GENERATION && names.iter().any(|n| n.starts_with(&format!(".{FIRST_GENERATION}.tmp-")));
        if first_uncommitted && !names.iter().any(|n| is_generation(n)) {
            tracing::info!("removing the state of a first run that was killed before its commit");
            return fs::remove_file(&current_path).map_err(io_error(&current_path));
        }
        Err(corrupt(&current_path, format!("it names {}, which is missing: the state is damaged", pointer.generation)))
    }

    /// Removes generations other than the current one and temporary folders.
    fn remove_leftovers(&self) -> Result<(), StateError> {
        // Past the check, a folder without CURRENT has no generation to remove.
        self.check_current()?;
        let current = self.current()?.map(|p| p.generation);
        self.remove_where(|name| (is_generation(name) && Some(name) != current.as_deref()) || name.starts_with(".state-") || name.starts_with(".CURRENT.tmp"))
    }

    fn remove_where(&self, stale: impl Fn(&str) -> bool) -> Result<(), StateError> {
        for name in self.entries()?.into_iter().filter(|n| stale(n)) {
            let path = self.root.join(&name);
            let gone = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            gone.map_err(io_error(&path))?;
        }
        Ok(())
    }

    /// The state, or `None` when the folder has none yet.
    pub fn load(&self) -> Result<Option<ModelState>, StateError> {
        let Some(pointer) = self.current()? else {
            return Ok(None);
        };
        let folder = self.root.join(&pointer.generation);
        let json_path = folder.join(STATE_JSON);
        let text = fs::read(&json_path).map_err(io_error(&json_path))?;
        if pointer.sha256.as_ref().is_some_and(|sum| *sum != sha256_hex(&text)) {
            return Err(corrupt(&json_path, format!("its content is not what {CURRENT} recorded (SHA-256 differs)")));
        }
        let file = parse_state_json(&json_path, &text)?;
        let read_checked = |name: &str| -> Result<Vec<u8>, StateError> {
            let path = folder.join(name);
            let sum = file.files.get(name).ok_or_else(|| corrupt(&json_path, format!("it lists no {name}")))?;
            let bytes = fs::read(&path).map_err(io_error(&path))?;
            if bytes.len() as u64 != sum.bytes || sha256_hex(&bytes) != sum.sha256 {
                return Err(corrupt(&path, format!("its content is not what {STATE_JSON} recorded (size or SHA-256 differ)")));
            }
            Ok(bytes)
        };
        let aggregates = read_checked(AGGREGATES)?;
        let mut retained = codec::decode(&aggregates).map_err(|why| corrupt(&folder.join(AGGREGATES), why))?;
        let counts_bytes = read_checked(COUNTS)?;
        restore_cells(&mut retained, counts_bytes).map_err(|why| corrupt(&folder.join(COUNTS), why))?;
        Ok(Some(ModelState { meta: file.meta, retained }))
    }

    /// Writes `state` as the next generation and commits it; returns its size.
    pub fn save(&self, state: &ModelState) -> Result<StateSize, StateError> {
        let previous = self.current()?;
        let next = match &previous {
            Some(p) => p.generation.trim_start_matches("state-").parse::<u64>().unwrap_or(0) + 1,
            None => 1,
        };
        let generation = format!("state-{next:06}");
        let temp = self.root.join(format!(".{generation}.tmp-{}", std::process::id()));
        fs::create_dir(&temp).map_err(io_error(&temp))?;
        let mut files = BTreeMap::new();
        let mut bytes_total = 0u64;
        tracing::info!(folder = %temp.display(), "writing state");
        let mut put = |name: &str, bytes: &[u8]| -> Result<(), StateError> {
            let path = temp.join(name);
            write_synced(&path, bytes)?;
            tracing::debug!(file = name, bytes = bytes.len(), "state file written");
            bytes_total += bytes.len() as u64;
            files.insert(name.to_string(), FileSum { bytes: bytes.len() as u64, sha256: sha256_hex(bytes) });
            Ok(())
        };
        let mut counts_table = Vec::new();
        write_cells(&state.retained, &mut counts_table).map_err(|e| corrupt(&temp.join(COUNTS), e.to_string()))?;
        put(COUNTS, &counts_table)?;
        put(AGGREGATES, &codec::encode(&state.retained))?;
        let file = StateFile {
            format: FORMAT.to_string(),
            version: VERSION,
            written_by: format!("trailsight {}", env!("CARGO_PKG_VERSION")),
            files,
            meta: state.meta.clone(),
        };
        let json = serde_json::to_vec_pretty(&file).map_err(|e| corrupt(&temp, e.to_string()))?;
        let json_path = temp.join(STATE_JSON);
        write_synced(&json_path, &json)?;
        bytes_total += json.len() as u64;
        sync_dir(&temp)?;
        let folder = self.root.join(&generation);
        let pointer = format!("{generation}\nsha256 {}\n", sha256_hex(&json));
        if previous.is_some() {
            fs::rename(&temp, &folder).map_err(io_error(&folder))?;
            sync_dir(&self.root)?;
            // The commit point: CURRENT names the new generation, atomically.
            self.write_current(&pointer)?;
        } else {
            // A first state: CURRENT first, then the folder (the commit point), so that a
            // generation never exists without CURRENT (see `check_current`).
            self.write_current(&pointer)?;
            fs::rename(&temp, &folder).map_err(io_error(&folder))?;
            sync_dir(&self.root)?;
        }
        tracing::info!(generation = %generation, "state committed");
        self.remove_leftovers()?;
        Ok(StateSize { bytes: bytes_total, ..state.size() })
    }
}

/// What `CURRENT` holds.
struct Pointer {
    generation: String,
    /// SHA-256 of the generation's `state.json`, hex.
    sha256: Option<String>,
}

impl StateDir {
    /// Replaces `CURRENT` by `text`, atomically.
    fn write_current(&self, text: &str) -> Result<(), StateError> {
        let temp = self.root.join(format!(".CURRENT.tmp-{}", std::process::id()));
        write_synced(&temp, text.as_bytes())?;
        let current = self.root.join(CURRENT);
        fs::rename(&temp, &current).map_err(io_error(&current))?;
        sync_dir(&self.root)
    }
}

/// Reads `state.json`: the format and version first, so that a state of another version
/// is refused by name and never read as this one.
fn parse_state_json(path: &Path, text: &[u8]) -> Result<StateFile, StateError> {
    let value: serde_json::Value = serde_json::from_slice(text).map_err(|e| corrupt(path, format!("it is not JSON ({e})")))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(corrupt(path, format!("its \"format\" is not {FORMAT:?}")));
    }
    let found = value.get("version").and_then(serde_json::Value::as_u64).ok_or_else(|| corrupt(path, "it has no \"version\" number"))?;
    if found != u64::from(VERSION) {
        let writer = value.get("written_by").and_then(|w| w.as_str()).unwrap_or("an unknown trailsight").to_string();
        return Err(StateError::Version { path: path.to_path_buf(), found, writer });
    }
    serde_json::from_value(value).map_err(|e| corrupt(path, e.to_string()))
}

fn is_generation(name: &str) -> bool {
    name.strip_prefix("state-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let mut f = File::create_new(path).map_err(io_error(path))?;
    f.write_all(bytes).map_err(io_error(path))?;
    f.sync_all().map_err(io_error(path))
}

fn sync_dir(path: &Path) -> Result<(), StateError> {
    File::open(path).and_then(|d| d.sync_all()).map_err(io_error(path))
}

/// Writes the retained cells as a counts table, in key order.
fn write_cells(r: &Retained, out: &mut Vec<u8>) -> polars::prelude::PolarsResult<()> {
    let rows = r.cells.iter().filter_map(|(k, calls)| Some(crate::aggregate::counts_row(&r.strings, r.series.get(k.series as usize)?, k, *calls)));
    counts::write(rows, out)
}

/// Reads the counts table back into `r.cells`, interning its strings into `r.strings`
/// and finding each row's series among `r.series`.
fn restore_cells(r: &mut Retained, bytes: Vec<u8>) -> Result<(), String> {
    let batch = counts::read(bytes, FileReport::new(COUNTS.into()));
    if let Some(problem) = batch.report.problems.first() {
        return Err(problem.to_string());
    }
    if batch.report.skipped_records() > 0 {
        return Err(format!("{} of its rows cannot be used", batch.report.skipped_records()));
    }
    let remap = r.strings.absorb(&batch.strings);
    let g = |s: crate::intern::Sym| remap[s as usize];
    let mut index: BTreeMap<SeriesKey, u32> = r.series.iter().enumerate().map(|(i, k)| (*k, i as u32)).collect();
    for e in batch.events {
        let (insight_type, error) = match e.feeds {
            Some(Feeds::ErrorRate) => (InsightType::ApiErrorRate, e.error.map(g)),
            _ => (InsightType::ApiCallRate, None),
        };
        let data = e.category == crate::ingest::Category::Data;
        let key = SeriesKey { account: g(e.account), region: g(e.region), source: g(e.source), name: g(e.name), insight_type, error, data };
        let next = r.series.len() as u32;
        let series = *index.entry(key).or_insert(next);
        if series == next {
            r.series.push(key);
        }
        let cell = AttributionKey { series, minute: e.minute, principal: g(e.principal), agent: g(e.agent), error: e.error.map(g) };
        r.cells.push((cell, e.calls));
    }
    r.cells.sort_unstable();
    Ok(())
}

/// The manifest entry of a file on disk, or `None` if it cannot be examined. The path is
/// made absolute without resolving links (one `stat` per file, which a nightly run over
/// a month of deliveries does tens of thousands of times).
pub fn input_entry(path: &Path) -> Option<InputEntry> {
    let meta = fs::metadata(path).ok()?;
    let mtime = meta.modified().ok()?;
    let mtime_ns = match mtime.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
    };
    let path = std::path::absolute(path).ok()?;
    Some(InputEntry { path: path.to_string_lossy().to_string(), size: meta.len(), mtime_ns, etag: None, sha256: None })
}

/// The day a file's S3-layout path names (`.../YYYY/MM/DD/...`), if it has one.
pub fn path_day(path: &Path) -> Option<crate::aggregate::Day> {
    let parts: Vec<String> = path.components().map(|c| c.as_os_str().to_string_lossy().to_string()).collect();
    parts.windows(3).rev().find_map(|w| {
        let (y, m, d) = (&w[0], &w[1], &w[2]);
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
            return None;
        }
        let date = chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)?;
        Some(date.signed_duration_since(chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days())
    })
}

#[cfg(test)]
mod tests;
