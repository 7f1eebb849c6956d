//! What the investigation commands (`timeline`, `top`, `explain`, `report`) share: the
//! input and detection flags of `detect`, the run behind every answer, and its progress.

use super::summary;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use trailsight::detect::DetectParams;
use trailsight::engine::{self, Analysis, EngineError, Inputs};
use trailsight::ingest::{InputFile, ReadLimits, Scope};
use trailsight::text::printable;
use trailsight::time::{parse_cli_time, Minute};

/// The logs and the detection settings: the same as `detect`'s, so the insights and
/// numbers shown are those `detect` reports on the same input.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Files or folders of CloudTrail logs (as `detect` reads them); - reads standard
    /// input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Sensitivity, as `detect --sensitivity`.
    #[arg(long, default_value_t = 1.0)]
    sensitivity: f64,
    /// Days of history needed before a day is judged, as `detect --warmup-days`.
    #[arg(long, default_value_t = 7)]
    warmup_days: usize,
    /// Days of history a baseline learns from, as `detect --history-days`.
    #[arg(long, default_value_t = 28)]
    history_days: usize,
    /// Volume floor, as `detect --min-calls`.
    #[arg(long, default_value_t = 10.0)]
    min_calls: f64,
    /// Most bytes read from one file, as `detect --max-file-bytes`.
    #[arg(long, value_name = "BYTES", default_value_t = ReadLimits::DEFAULT_MAX_FILE_BYTES,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_file_bytes: u64,
    /// Largest record read, as `detect --max-record-bytes`.
    #[arg(long, value_name = "BYTES", default_value_t = ReadLimits::DEFAULT_MAX_RECORD_BYTES,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_record_bytes: u64,
    #[command(flatten)]
    scope: ScopeArgs,
    /// No progress and no notes on standard error.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `--accounts` and `--regions`, shared by `detect`, `train` and the investigation
/// commands.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ScopeArgs {
    /// Read only these AWS accounts (12-digit ids, comma-separated): their folders of the
    /// CloudTrail layout (AWSLogs/[o-ORG/]ACCOUNT/, also in s3:// inputs) alone are listed,
    /// files named for other accounts are not opened, and other files keep only the
    /// records of these accounts (recipientAccountId).
    #[arg(long, value_name = "ID[,ID...]", value_delimiter = ',', value_parser = trailsight::ingest::check_account)]
    accounts: Vec<String>,
    /// Read only these regions (comma-separated), as --accounts does: their
    /// CloudTrail/REGION/ folders, files and records (awsRegion).
    #[arg(long, value_name = "NAME[,NAME...]", value_delimiter = ',', value_parser = trailsight::ingest::check_region)]
    regions: Vec<String>,
}

impl ScopeArgs {
    /// The accounts and regions read (the values were checked as they were parsed).
    pub fn scope(&self) -> Scope {
        Scope::of_checked(&self.accounts, &self.regions)
    }
}

impl RunArgs {
    fn params(&self) -> Result<DetectParams, trailsight::detect::DetectParamError> {
        let mut p = DetectParams::default();
        p.sensitivity = self.sensitivity;
        p.warmup_days = self.warmup_days;
        p.min_excess_calls = self.min_calls;
        p.baseline.history_days = self.history_days;
        p.check()
    }

    /// What the run reads: management events, as `detect` does by default.
    pub fn inputs(&self) -> Inputs<'_> {
        Inputs {
            paths: &self.paths,
            admit: &|_: &InputFile| true,
            limits: ReadLimits { max_file_bytes: self.max_file_bytes, max_record_bytes: self.max_record_bytes },
            remote: no_remote_inputs(),
            data_events: false,
            scope: self.scope.scope(),
        }
    }

    /// True when standard input is among the paths (it cannot be read twice).
    pub fn reads_stdin(&self) -> bool {
        self.paths.iter().any(|p| p.as_os_str() == "-")
    }

    /// Reads, fits and detects, with progress on a terminal; `Err` is the exit code after
    /// the reason was printed (2 bad settings, 1 nothing readable).
    pub fn analyse(&self) -> anyhow::Result<Result<Analysis, ExitCode>> {
        let params = match self.params() {
            Ok(p) => p,
            Err(e) => {
                eprintln!("trailsight: error: invalid settings: {e}");
                return Ok(Err(ExitCode::from(2)));
            }
        };
        let progress = Progress::new(self.quiet);
        let outcome = engine::analyse(&self.inputs(), &params, &|n| progress.start(n), &|| progress.tick(), &|| progress.fitting());
        progress.finish();
        match outcome {
            Ok(analysis) => {
                self.note_skipped(&analysis);
                Ok(Ok(analysis))
            }
            Err(EngineError::NothingRead { why, summary: run }) => {
                if !self.quiet {
                    summary::print_reasons(&run);
                }
                eprintln!("trailsight: error: {why}");
                Ok(Err(ExitCode::from(super::EXIT_FAILURE)))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// One line when input was skipped: the details are `detect`'s summary.
    fn note_skipped(&self, analysis: &Analysis) {
        let files = analysis.summary.files_with_issues().count() + analysis.summary.unreadable_paths.len();
        if files > 0 && !self.quiet {
            eprintln!("trailsight: note: skipped input in {} (`trailsight detect` lists why)", engine::plural(files as u64, "file"));
        }
    }
}

/// `--from`/`--to` values: a date or an RFC 3339 time.
pub fn parse_time(s: &str) -> Result<Minute, String> {
    parse_cli_time(s).ok_or_else(|| format!("not a date or RFC 3339 time: {s}"))
}

/// Reading progress over files, then a spinner while the models fit; drawn only when
/// standard error is a terminal. `detect` and the investigation commands share it.
pub(super) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub(super) fn new(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(0);
            let style = ProgressStyle::with_template("{spinner} reading {pos}/{len} files {wide_bar} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Self { bar }
    }

    pub(super) fn start(&self, files: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(files as u64);
        }
    }

    pub(super) fn tick(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    pub(super) fn fitting(&self) {
        if let Some(bar) = &self.bar {
            bar.set_style(ProgressStyle::with_template("{spinner} fitting baselines and models {elapsed}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
            bar.enable_steady_tick(Duration::from_millis(120));
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Output format of `top` and `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    /// Aligned columns for a person.
    Table,
    /// One JSON document.
    Json,
    /// Comma-separated values with a header line.
    Csv,
}

/// Prints rows as aligned columns (numbers right-aligned).
/// Cells come from the input: each is printed through [`printable`].
pub fn print_table(out: &mut dyn std::io::Write, header: &[&str], rows: &[Vec<String>]) -> std::io::Result<()> {
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| printable(c).into_owned()).collect()).collect();
    let rows = rows.as_slice();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, &w)| if is_number(c) { format!("{c:>w$}") } else { format!("{c:<w$}") })
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    writeln!(out, "{}", line(header.to_vec()))?;
    for row in rows {
        writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.parse::<f64>().is_ok()
}

/// A CSV field: never a formula, control characters escaped, quoted when it must be.
pub fn csv_field(s: &str) -> String {
    trailsight::text::csv_cell(s)
}

/// Investigations read local files only: no `s3://` listing.
fn no_remote_inputs() -> &'static trailsight::ingest::Discovery {
    static NONE: std::sync::OnceLock<trailsight::ingest::Discovery> = std::sync::OnceLock::new();
    NONE.get_or_init(trailsight::ingest::Discovery::default)
}
