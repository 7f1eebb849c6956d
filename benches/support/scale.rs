//! The scale benchmark's runner: trailsight against plain decompression and DuckDB,
//! side by side.
//!
//! For each size it simulates a history in the S3 layout, then runs child processes over
//! the same files and measures each one's wall time and peak resident memory
//! (`measure`):
//!
//! - **zcat**: `gzip -dc` over all the files in one stream, what "just decompressing
//!   them" costs a user at the shell;
//! - **gunzip**: this benchmark's own executable with `--gunzip`, every file
//!   decompressed in parallel with the decoder `detect` uses (flate2's multi-member gzip
//!   reader, zlib-rs), bytes counted and thrown away;
//! - **libdeflate**: `libdeflate-gunzip -c` (Debian `libdeflate-tools`) over every file
//!   in two processes (`xargs -P 2`), output thrown away: the fastest plain
//!   decompression on this machine, the floor any reader of these files pays. Skipped
//!   with a message when the tool is missing;
//! - **duckdb**: DuckDB's `read_json` over the same files, building the per-minute
//!   per-API counts (what a user would do instead), through its Python package, which
//!   the benchmark installs with pip when it is missing, and skips with a message when
//!   it cannot;
//! - **trailsight**: the built `trailsight detect`, the whole job: ingest, baselines,
//!   models and Insight records; with `--data-events`, a second run with
//!   `--event-categories management,data` (series of data events too).
//!
//! Before the contenders run, every file is read once (`cat` to /dev/null) so that all of
//! them read from the page cache, not from the disk.

use crate::measure::{measure, MeasureError, Measured};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use trailsight::ingest::InputFile;
use trailsight::simulate::{simulate, AnomalyMix, SimConfig, SimError};

/// Records per unit of simulator scale over 14 days, 2 accounts and 2 regions.
const RECORDS_PER_SCALE_14D: f64 = 1.24e6;

/// What to measure.
#[derive(Debug, Clone)]
pub struct ScaleConfig {
    /// History sizes, in records.
    pub sizes: Vec<u64>,
    pub days: u32,
    pub seed: u64,
    pub work_dir: PathBuf,
    /// The trailsight binary to run.
    pub binary: PathBuf,
    /// This benchmark's executable, run with `--gunzip DIR` for the decoder floor.
    pub gunzip: PathBuf,
    /// Python interpreter for DuckDB, or `None` to skip it.
    pub python: Option<PathBuf>,
    /// Keep the simulated histories (they are large).
    pub keep: bool,
    /// Also time `detect --event-categories management,data`.
    pub data_events: bool,
}

/// The measurements of one size.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleRun {
    pub records: u64,
    pub files: usize,
    pub compressed_bytes: u64,
    pub zcat: Measured,
    pub gunzip: Measured,
    pub libdeflate: Result<Measured, String>,
    pub duckdb: Result<Measured, String>,
    pub trailsight: Measured,
    /// `detect --event-categories management,data`, with `--data-events`.
    pub with_data: Option<Measured>,
}

impl ScaleRun {
    pub fn records_per_second(&self) -> f64 {
        self.records as f64 / self.trailsight.seconds.max(1e-9)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    #[error(transparent)]
    Simulate(#[from] SimError),
    #[error(transparent)]
    Measure(#[from] MeasureError),
}

/// The simulator scale that gives about `records` records.
pub fn scale_for(records: u64, days: u32) -> f64 {
    records as f64 / (RECORDS_PER_SCALE_14D * f64::from(days) / 14.0)
}

/// Runs the benchmark for every size, calling `on_run` as each finishes.
pub fn run_scale(cfg: &ScaleConfig, mut on_run: impl FnMut(&ScaleRun)) -> Result<Vec<ScaleRun>, ScaleError> {
    let mut runs = Vec::new();
    for &size in &cfg.sizes {
        let dir = cfg.work_dir.join(format!("history-{size}"));
        let _ = std::fs::remove_dir_all(&dir);
        let sim = SimConfig {
            out: dir.clone(),
            days: cfg.days,
            seed: cfg.seed,
            scale: scale_for(size, cfg.days),
            malformed: false,
            anomalies: AnomalyMix::default(),
            ..SimConfig::default()
        };
        let summary = simulate(&sim)?;
        let (files, compressed_bytes) = gz_files(&dir);
        measure("page cache warm-up", Command::new("sh").args(["-c", "find \"$1\" -name '*.gz' -print0 | xargs -0 cat > /dev/null", "warm"]).arg(&dir))?;
        let zcat = measure(
            "zcat",
            Command::new("sh").args(["-c", "find \"$1\" -name '*.gz' -print0 | xargs -0 cat | gzip -dc > /dev/null", "zcat"]).arg(&dir),
        )?;
        let gunzip = measure("gunzip", Command::new(&cfg.gunzip).arg("--gunzip").arg(&dir))?;
        let libdeflate = if has_libdeflate() {
            measure(
                "libdeflate-gunzip",
                Command::new("sh").args(["-c", "find \"$1\" -name '*.gz' -print0 | xargs -0 -P 2 -n 512 libdeflate-gunzip -c > /dev/null", "libdeflate"]).arg(&dir),
            )
            .map_err(|e| e.to_string())
        } else {
            Err("skipped: libdeflate-gunzip not found (Debian package libdeflate-tools)".to_string())
        };
        let duckdb = match &cfg.python {
            Some(python) => {
                let out = cfg.work_dir.join("duckdb-counts.parquet");
                let duck = || measure("duckdb", Command::new(python).arg("-c").arg(DUCKDB_SCRIPT).arg(&dir).arg(&out));
                // DuckDB 1.x/2.0 has crashed here now and then (SIGSEGV while reading
                // many gzip files); one retry keeps a run from losing its comparison.
                let r = duck().or_else(|_| duck()).map_err(|e| e.to_string());
                let _ = std::fs::remove_file(out);
                r
            }
            None => Err("skipped: no Python with duckdb".to_string()),
        };
        let insights = cfg.work_dir.join("insights.ndjson");
        // The trail's folders, as a user names them (not the simulator's labels.json).
        let logs: Vec<PathBuf> = ["AWSLogs", "second-trail"].iter().map(|p| dir.join(p)).filter(|p| p.exists()).collect();
        let trailsight = measure(
            "trailsight detect",
            Command::new(&cfg.binary).args(["detect", "--format", "ndjson", "--out"]).arg(&insights).args(&logs),
        )?;
        let with_data = if cfg.data_events {
            let run = measure(
                "trailsight detect --event-categories management,data",
                Command::new(&cfg.binary)
                    .args(["detect", "--event-categories", "management,data", "--format", "ndjson", "--out"])
                    .arg(&insights)
                    .args(&logs),
            )?;
            Some(run)
        } else {
            None
        };
        let _ = std::fs::remove_file(insights);
        let run = ScaleRun { records: summary.records, files, compressed_bytes, zcat, gunzip, libdeflate, duckdb, trailsight, with_data };
        on_run(&run);
        runs.push(run);
        if !cfg.keep {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    Ok(runs)
}

/// DuckDB's equivalent of trailsight's aggregation: write management calls and errors
/// per minute, account, region, API and error code, from the delivery files, into
/// Parquet. The record columns are declared, as a user who knows CloudTrail would, so
/// DuckDB need not infer a schema from 3 GB of JSON.
pub const DUCKDB_SCRIPT: &str = r#"
import sys, duckdb
src, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET threads = 2")
con.execute("SET enable_progress_bar = false")
con.execute(f"""
COPY (
  WITH r AS (
    SELECT unnest(Records) AS e
    FROM read_json('{src}/**/*.json.gz',
      format = 'auto', compression = 'gzip',
      columns = {{Records: 'STRUCT(eventID VARCHAR, eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR, awsRegion VARCHAR, recipientAccountId VARCHAR, errorCode VARCHAR, readOnly BOOLEAN, eventCategory VARCHAR, managementEvent BOOLEAN)[]'}})
  )
  SELECT date_trunc('minute', CAST(e.eventTime AS TIMESTAMP)) AS minute,
         e.recipientAccountId AS recipient_account_id, e.awsRegion AS aws_region,
         e.eventSource AS event_source, e.eventName AS event_name,
         e.errorCode AS error_code, NOT coalesce(e.readOnly, false) AS write,
         count(*) AS count
  FROM r
  WHERE coalesce(e.eventCategory, 'Management') = 'Management'
    AND (NOT coalesce(e.readOnly, false) OR e.errorCode IS NOT NULL)
  GROUP BY ALL
) TO '{out}' (FORMAT parquet)
""")
"#;

/// Finds a Python that can import duckdb, installing the package with pip when needed.
pub fn find_duckdb_python() -> Result<PathBuf, String> {
    let python = PathBuf::from("python3");
    let has = |p: &Path| {
        Command::new(p)
            .args(["-c", "import duckdb"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if has(&python) {
        return Ok(python);
    }
    let installed = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "duckdb"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match installed {
        Ok(s) if s.success() && has(&python) => Ok(python),
        Ok(_) => Err("`python3 -m pip install duckdb` failed".into()),
        Err(e) => Err(format!("python3 not found ({e})")),
    }
}

fn has_libdeflate() -> bool {
    Command::new("libdeflate-gunzip").arg("-h").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

/// How many gzip files a history has and their size on disk.
fn gz_files(dir: &Path) -> (usize, u64) {
    trailsight::ingest::walk_files(dir)
        .filter_map(Result::ok)
        .filter(|path| path.extension().is_some_and(|x| x == "gz"))
        .fold((0, 0), |(n, b), path| (n + 1, b + std::fs::metadata(&path).map_or(0, |m| m.len())))
}

/// Decompresses every file under `paths` in parallel and returns (files, bytes out).
pub fn gunzip_all(paths: &[PathBuf]) -> (usize, u64) {
    use rayon::prelude::*;
    let discovery = trailsight::ingest::discover(paths);
    let bytes = discovery.files.par_iter().map(decompressed_len).sum();
    (discovery.files.len(), bytes)
}

/// Bytes of one gzip file after decompression, every member, as `detect` reads it (the
/// simulated histories are all gzip); 0 when it cannot be read, and a broken stream
/// counts what was inflated before the break.
fn decompressed_len(file: &InputFile) -> u64 {
    use std::io::Read;
    let InputFile::Path(path) = file else { return 0 };
    let Ok(stored) = std::fs::File::open(path) else { return 0 };
    let mut text = flate2::read::MultiGzDecoder::new(stored);
    let mut chunk = vec![0u8; 1 << 16];
    let mut total = 0;
    while let Ok(n @ 1..) = text.read(&mut chunk) {
        total += n as u64;
    }
    total
}
