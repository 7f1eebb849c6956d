//! `trailsight detect`: read logs, write Insight events, summarise on standard error.

use super::investigate::{Progress, ScopeArgs};
use super::{is_broken_pipe, summary};
use anyhow::Context;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use trailsight::detect::DetectParams;
use trailsight::engine::{self, EngineError, Outputs};
use trailsight::nightly::{self, Mode, NightParams};
use trailsight::sink::{self, Deliveries, FileKind, SinkOptions, SinkSpec, Staged};
use trailsight::state::{StateDir, Undelivered};
use trailsight::time::{parse_cli_time, Minute};

/// Find unusual API call and error rates in CloudTrail logs.
///
/// Reads folders (recursively), .json.gz delivery files, .json, .jsonl/.ndjson and - for
/// standard input. Writes Insight events to standard output (or --out) and a summary to
/// standard error. Exit status: 0 on success, also when bad files were skipped; 1 when
/// nothing could be read (or, with --strict, when anything was skipped); 2 on bad usage.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES, args_override_self = true)]
pub struct DetectArgs {
    /// Files or folders of CloudTrail logs, or s3://BUCKET/PREFIX; - reads standard input.
    #[arg(required_unless_present = "config", value_name = "PATH")]
    pub(super) paths: Vec<PathBuf>,
    /// Read detect's options from a TOML file: keys are the long flags (`warmup-days =
    /// 7`, `strict = true`) and `paths = [...]`. Flags typed on the command line override
    /// the file, and typed paths replace its paths; an unknown key is an error.
    #[arg(long, value_name = "FILE.toml")]
    pub(super) config: Option<PathBuf>,
    /// Body format of the output.
    #[arg(long, value_enum, default_value_t = OutputFormat::Ndjson)]
    format: OutputFormat,
    /// Write to this file instead of standard output; an existing folder (or a path
    /// ending in /) receives gzip files in the AWS CloudTrail-Insight S3 layout. Output
    /// replaces earlier output only when the run succeeds; a re-run into a folder
    /// replaces the files the last run wrote there (listed in .trailsight-out.json).
    #[arg(long, value_name = "FILE|DIR")]
    out: Option<PathBuf>,
    /// Send the Insight records here; repeat for several. ndjson[:PATH],
    /// records[:PATH], s3-layout:DIR, eventbridge:PATH (EventBridge events), ocsf:PATH
    /// (OCSF 1.1 Detection Findings), hec:PATH or hec+https://HOST:PORT/services/collector/event
    /// (Splunk HEC; the token from TRAILSIGHT_HEC_TOKEN), s3://BUCKET/PREFIX (the
    /// s3-layout files in a bucket), eventbridge://BUS (PutEvents). Files appear, and
    /// events are sent, only when the run succeeds. Without --sink and --out: ndjson to
    /// standard output.
    #[arg(long = "sink", value_name = "SPEC")]
    sinks: Vec<SinkSpec>,
    /// The S3-compatible endpoint for s3:// inputs and sinks (default: AWS_ENDPOINT_URL,
    /// else AWS).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Splunk HEC `sourcetype` of the hec sinks' events.
    #[arg(long, value_name = "NAME", default_value = "aws:cloudtrail")]
    hec_sourcetype: String,
    /// Splunk HEC `index` of the hec sinks' events (the token's default index if not given).
    #[arg(long, value_name = "NAME")]
    hec_index: Option<String>,
    /// Splunk HEC `host` of the hec sinks' events.
    #[arg(long, value_name = "NAME", default_value = "trailsight")]
    hec_host: String,
    /// Sensitivity: windows are anomalous below a tail probability of 1e-7 x this.
    /// Higher finds weaker anomalies and raises more false insights.
    #[arg(long, default_value_t = 1.0)]
    sensitivity: f64,
    /// Days of history needed before a day is judged.
    #[arg(long, default_value_t = 7)]
    warmup_days: usize,
    /// Days of history a baseline learns from (AWS keeps 28).
    #[arg(long, default_value_t = 28)]
    history_days: usize,
    /// Volume floor: calls above the baseline a window needs before it can fire.
    #[arg(long, default_value_t = 10.0)]
    min_calls: f64,
    /// Only report insights starting at or after this time (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_parser = parse_time)]
    since: Option<Minute>,
    /// Only report insights starting before this time (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_parser = parse_time)]
    until: Option<Minute>,
    /// Also write one JSON explanation per insight (model, score, expected vs observed,
    /// principals), joined to the records by sharedEventID; - is standard error.
    #[arg(long, value_name = "FILE")]
    explain: Option<PathBuf>,
    /// Also write the per-minute counts (per series, principal, user agent and error code)
    /// as a Parquet counts table, which `detect` reads back like logs: keep it instead of
    /// the logs, or make it with Athena or Spark (see README).
    #[arg(long, value_name = "FILE.parquet")]
    write_counts: Option<PathBuf>,
    /// Validate the log files against their signed digests first (as `validate-logs`,
    /// with --public-keys and --signatures) and refuse every file that is not proven
    /// intact. Exit 1 if any is refused, unless --allow-unverified.
    #[arg(long, requires = "public_keys")]
    verify: bool,
    /// With --verify: read unverified files anyway, with a warning for each.
    #[arg(long, requires = "verify")]
    allow_unverified: bool,
    #[command(flatten)]
    keys: super::validate::KeyArgs,
    /// Most bytes read from one file (as stored and after decompression); a file that goes
    /// on past it (a gzip bomb, /dev/zero) is reported "over the size limit" and its
    /// records up to there are kept. Standard input counts as one file.
    #[arg(long, value_name = "BYTES", default_value_t = trailsight::ingest::ReadLimits::DEFAULT_MAX_FILE_BYTES,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_file_bytes: u64,
    /// Largest record read, in bytes of its JSON text: a larger one (a forged userAgent
    /// of gigabytes) is skipped as it streams by, never held whole, and reported "over
    /// the record size limit"; the records after it are read.
    #[arg(long, value_name = "BYTES", default_value_t = trailsight::ingest::ReadLimits::DEFAULT_MAX_RECORD_BYTES,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_record_bytes: u64,
    /// Keep the model state in DIR between runs (the nightly job): read only the input
    /// it has not seen, judge up to the newest data minus --delivery-lag, and write only
    /// the Insight records not written before. Created on first use; see models/README.md.
    #[arg(long, value_name = "DIR")]
    pub(super) models: Option<PathBuf>,
    /// With --models: minutes by which CloudTrail deliveries may lag; the newest minutes
    /// are judged by the next run, when their late files have arrived.
    #[arg(long, value_name = "MINUTES", default_value_t = 15, value_parser = clap::value_parser!(i64).range(0..=trailsight::nightly::MAX_DELIVERY_LAG))]
    delivery_lag: i64,
    /// With --models: days of eventIDs kept, so that records delivered again on a later
    /// night are counted once.
    #[arg(long, value_name = "DAYS", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=trailsight::nightly::MAX_DEDUP_DAYS as u64))]
    dedup_days: u64,
    /// Event categories that get series: management (always), and data for Insights on
    /// data events (S3 object calls, Lambda Invoke, DynamoDB...: their call rate counts
    /// read and write calls; their records say sourceEventCategory "Data").
    #[arg(long, value_enum, value_delimiter = ',', default_value = "management")]
    event_categories: Vec<EventCategory>,
    #[command(flatten)]
    scope: ScopeArgs,
    /// Exit with status 1 when any file or record had to be skipped, writing no output
    /// file, posting nothing, and (with --models) leaving the state as it was.
    #[arg(long)]
    strict: bool,
    /// No summary on standard error.
    #[arg(short, long)]
    quiet: bool,
}

const EXAMPLES: &str = "Examples:
  trailsight detect data/sample/AWSLogs
  trailsight detect s3-export/ --format records --out insights.json
  trailsight detect logs/ --out insights/      # AWS CloudTrail-Insight S3 layout
  trailsight detect logs/ --sink ocsf:findings.jsonl --sink s3-layout:insights/
  AWS_PROFILE=audit trailsight detect s3://trail-bucket/AWSLogs/ --since 2026-03-01
  TRAILSIGHT_HEC_TOKEN=... trailsight detect logs/ --sink hec+https://splunk:8088/services/collector/event
  zcat file.json.gz | trailsight detect - --warmup-days 0
  trailsight detect --config /etc/trailsight/nightly.toml
  trailsight train AWSLogs/ --models models/          # learn, write nothing
  trailsight detect AWSLogs/ --models models/ --out insights/   # each night";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EventCategory {
    Management,
    Data,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutputFormat {
    /// {"Records":[...]}, the body of an AWS delivery file.
    Records,
    /// One record per line.
    Ndjson,
}

fn parse_time(s: &str) -> Result<Minute, String> {
    parse_cli_time(s).ok_or_else(|| format!("not a date or RFC 3339 time: {s}"))
}

impl DetectArgs {
    fn params(&self) -> anyhow::Result<DetectParams> {
        let mut p = DetectParams::default();
        p.sensitivity = self.sensitivity;
        p.warmup_days = self.warmup_days;
        p.min_excess_calls = self.min_calls;
        p.since = self.since;
        p.until = self.until;
        p.baseline.history_days = self.history_days;
        Ok(p.check()?)
    }

    /// Every destination: --out (with --format) first, then each --sink; ndjson to
    /// standard output when neither is given.
    fn sink_specs(&self) -> Vec<SinkSpec> {
        let kind = match self.format {
            OutputFormat::Records => FileKind::Records,
            OutputFormat::Ndjson => FileKind::Ndjson,
        };
        let out = match self.out.as_deref() {
            Some(dir) if is_out_dir(dir) => Some(SinkSpec::S3Layout(dir.to_path_buf())),
            Some(file) => Some(SinkSpec::File { kind, path: Some(file.to_path_buf()) }),
            None if self.sinks.is_empty() => Some(SinkSpec::File { kind, path: None }),
            None => None,
        };
        out.into_iter().chain(self.sinks.iter().cloned()).collect()
    }

    fn sink_options(&self) -> SinkOptions {
        let hec = sink::hec::HecFields {
            host: self.hec_host.clone(),
            source: "trailsight".to_string(),
            sourcetype: self.hec_sourcetype.clone(),
            index: self.hec_index.clone(),
        };
        let s3 = trailsight::source::S3Settings { endpoint: self.endpoint_url.clone() };
        SinkOptions { hec, hec_token: std::env::var("TRAILSIGHT_HEC_TOKEN").ok(), s3, keep_earlier_runs: self.models.is_some(), ..SinkOptions::default() }
    }
}

/// Why two outputs cannot both be written: the same file named twice (by --out, --sink,
/// --explain or --write-counts, however spelled), or standard output twice.
fn clashing_outputs(args: &DetectArgs) -> Option<String> {
    let specs = args.sink_specs();
    if let Some((i, a)) = specs.iter().enumerate().find(|(_, a)| a.is_stdout()) {
        if let Some(b) = specs[i + 1..].iter().find(|b| b.is_stdout()) {
            return Some(format!("--sink {a} and {b} write the same place"));
        }
    }
    let label = |i: usize, s: &SinkSpec| match args.out.as_deref() {
        Some(out) if i == 0 => format!("--out {}", out.display()),
        _ => format!("--sink {s}"),
    };
    let named = specs.iter().enumerate().filter_map(|(i, s)| Some((label(i, s), s.local_output()?)));
    let explain = args.explain.iter().filter(|p| p.as_os_str() != "-").map(|p| (format!("--explain {}", p.display()), p.clone()));
    let counts = args.write_counts.iter().map(|p| (format!("--write-counts {}", p.display()), p.clone()));
    let files: Vec<(String, PathBuf)> = named.chain(explain).chain(counts).map(|(what, p)| (what, normalised(&p))).collect();
    for (i, (a, path)) in files.iter().enumerate() {
        if let Some((b, _)) = files[i + 1..].iter().find(|(_, other)| other == path) {
            let shown = trailsight::text::printable_path(&path);
            return Some(format!("{a} and {b} name the same file ({shown}): give each output its own"));
        }
    }
    None
}

/// `path` made absolute, `.` and `..` resolved, and its existing part's links followed:
/// two spellings of one file give the same path, whether it exists yet or not.
fn normalised(path: &Path) -> PathBuf {
    let absolute = std::env::current_dir().map(|cwd| cwd.join(path)).unwrap_or_else(|_| path.to_path_buf());
    let mut lexical = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                lexical.pop();
            }
            other => lexical.push(other),
        }
    }
    let mut existing = lexical.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rest.iter().rev().fold(real, |p, part| p.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return lexical,
        }
    }
}

pub fn run(args: DetectArgs) -> anyhow::Result<ExitCode> {
    run_mode(args, Mode::Detect)
}

/// `trailsight train`: as `detect --models`, writing the state and no insight.
pub fn train(args: DetectArgs) -> anyhow::Result<ExitCode> {
    if args.models.is_none() {
        eprintln!("trailsight: error: train needs --models DIR (where the state is kept)");
        return Ok(ExitCode::from(2));
    }
    for (given, flag) in [(args.out.is_some(), "--out"), (args.explain.is_some(), "--explain")] {
        if given {
            eprintln!("trailsight: error: train writes no insights: {flag} is for detect");
            return Ok(ExitCode::from(2));
        }
    }
    run_mode(args, Mode::Train)
}

fn run_mode(args: DetectArgs, mode: Mode) -> anyhow::Result<ExitCode> {
    if args.paths.is_empty() {
        let hint = args.config.as_deref().map(|p| format!(" or `paths = [...]` in {}", p.display())).unwrap_or_default();
        eprintln!("trailsight: error: no input: give PATH... (a folder, a file or -){hint}");
        return Ok(ExitCode::from(2));
    }
    if !args.event_categories.contains(&EventCategory::Management) {
        eprintln!("trailsight: error: --event-categories must include management (data adds to it): management,data");
        return Ok(ExitCode::from(2));
    }
    let params = match args.params() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("trailsight: error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(why) = clashing_outputs(&args) {
        eprintln!("trailsight: error: {why}");
        return Ok(ExitCode::from(2));
    }
    let own_outputs = OwnOutputs::of(&args);
    let (outputs, commits) = open_outputs(&args)?;
    let (local_paths, remote) = match s3_inputs(&args, &params) {
        Ok(found) => found,
        Err(code) => return Ok(code),
    };
    let refused = match verify(&args) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let state_dir = match args.models.as_deref().map(StateDir::open).transpose() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("trailsight: error: --models: {e}");
            return Ok(ExitCode::from(super::EXIT_FAILURE));
        }
    };
    let state = match state_dir.as_ref().map(StateDir::load).transpose() {
        Ok(s) => s.flatten(),
        Err(e) => {
            eprintln!("trailsight: error: --models: {e}");
            return Ok(ExitCode::from(super::EXIT_FAILURE));
        }
    };
    if state.is_some() {
        tracing::info!("state loaded");
    }
    let waiting = carry_undelivered(state.as_ref(), mode, &commits.insights, args.quiet);
    let models_root = state_dir.as_ref().and_then(|d| d.root().canonicalize().ok());
    let progress = Progress::new(args.quiet);
    let admit = |f: &trailsight::ingest::InputFile| {
        own_outputs.admits(f, args.quiet)
            && !is_in_models(f, models_root.as_deref())
            && match f {
                trailsight::ingest::InputFile::Path(p) => args.allow_unverified || !refused.contains_key(p),
                trailsight::ingest::InputFile::Stdin => args.allow_unverified || !args.verify,
                trailsight::ingest::InputFile::S3(_) => !args.verify,
            }
    };
    let inputs = engine::Inputs {
        paths: &local_paths,
        admit: &admit,
        limits: trailsight::ingest::ReadLimits { max_file_bytes: args.max_file_bytes, max_record_bytes: args.max_record_bytes },
        remote: &remote,
        data_events: args.event_categories.contains(&EventCategory::Data),
        scope: args.scope.scope(),
    };
    let outcome = match &state_dir {
        None => engine::run_admitting(&inputs, &params, outputs, &|n| progress.start(n), &|| progress.tick()).map(|run| (run, None)),
        Some(_) => {
            let night = NightParams { mode, delivery_lag: args.delivery_lag, dedup_days: args.dedup_days as usize, now: Some(wall_clock()?) };
            nightly::run(&inputs, &params, &night, state, outputs, &|n| progress.start(n), &|| progress.tick()).map(|(run, next)| (run, Some(next)))
        }
    };
    progress.finish();
    match outcome {
        Ok((mut run, next)) => {
            let strict_failed = args.strict && (run.files_with_issues().next().is_some() || !run.unreadable_paths.is_empty());
            if strict_failed {
                // A failed run: nothing is committed, the state does not advance, and
                // the next run (after the input is fixed) does this one's work again.
                drop(commits);
                if !args.quiet {
                    summary::print(&run);
                }
                let state = if state_dir.is_some() { "; the state is as before this run" } else { "" };
                eprintln!("trailsight: error: --strict: input was skipped (above): no output file written and nothing sent{state}");
                return Ok(ExitCode::from(super::EXIT_FAILURE));
            }
            // Outputs first, then the state (the commit point): a crash between the two
            // writes the same records again next run, never loses one. Records a sink
            // did not take stay in the state, for the next run to deliver.
            let (undelivered, kept) = commits.commit()?;
            if let (Some(dir), Some(mut next)) = (&state_dir, next) {
                if mode == Mode::Detect {
                    for k in &kept {
                        let n = engine::plural(k.records.len() as u64, "record");
                        eprintln!("trailsight: error: --sink {}: {n} not delivered, kept in the state: the next run delivers them first", k.sink);
                    }
                    next.meta.undelivered = waiting.into_iter().chain(kept).collect();
                }
                let size = dir.save(&next).map_err(|e| anyhow::anyhow!("--models: {e}"))?;
                if let Some(night) = run.night.as_mut() {
                    night.size = size;
                }
            }
            if !args.quiet {
                summary::print(&run);
            }
            let failed = (!refused.is_empty() && !args.allow_unverified) || undelivered > 0;
            Ok(ExitCode::from(if failed { super::EXIT_FAILURE } else { 0 }))
        }
        Err(EngineError::NothingRead { why, summary: run }) => {
            if !args.quiet {
                summary::print_reasons(&run);
            }
            eprintln!("trailsight: error: {why}");
            Ok(ExitCode::from(super::EXIT_FAILURE))
        }
        Err(e) => {
            let e = anyhow::Error::from(e);
            if is_broken_pipe(&e) {
                return Ok(ExitCode::SUCCESS);
            }
            Err(e)
        }
    }
}

/// The run's wall clock, in minutes since the epoch: data dated after it never moves the
/// nightly watermark. `TRAILSIGHT_NOW` (a date or RFC 3339 time) sets it, for tests.
fn wall_clock() -> anyhow::Result<Minute> {
    if let Some(text) = std::env::var_os("TRAILSIGHT_NOW") {
        let text = text.to_string_lossy();
        return parse_cli_time(&text).ok_or_else(|| anyhow::anyhow!("TRAILSIGHT_NOW: not a date or RFC 3339 time: {text:?}"));
    }
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Ok((since_epoch.as_secs() / 60) as Minute)
}

/// The local paths of `args`, and what its `s3://` inputs hold (listed now, only the
/// date folders the time range needs). `Err` is the exit code when S3 cannot be read.
fn s3_inputs(args: &DetectArgs, params: &DetectParams) -> Result<(Vec<PathBuf>, trailsight::ingest::Discovery), ExitCode> {
    use trailsight::source;
    let (urls, local): (Vec<PathBuf>, Vec<PathBuf>) = args.paths.iter().cloned().partition(|p| source::is_s3_url(p.as_os_str()));
    if urls.is_empty() {
        return Ok((local, trailsight::ingest::Discovery::default()));
    }
    if args.verify {
        eprintln!("trailsight: error: --verify reads local files only; validate s3:// inputs with validate-logs");
        return Err(ExitCode::from(2));
    }
    let settings = source::S3Settings { endpoint: args.endpoint_url.clone() };
    let days = params.baseline.history_days.max(params.warmup_days);
    let window = source::day_window(params.since, params.until, days);
    let found = source::S3Source::new(settings).and_then(|s3| source::discover(&s3, &urls, &window, &args.scope.scope()));
    match found {
        Ok(found) => Ok((local, found)),
        Err(e @ source::S3Error::BadUrl { .. }) => {
            eprintln!("trailsight: error: {e}");
            Err(ExitCode::from(2))
        }
        Err(e) => {
            eprintln!("trailsight: error: {e}");
            Err(ExitCode::from(super::EXIT_FAILURE))
        }
    }
}

/// True for a file inside the state folder (its counts table is not input).
fn is_in_models(file: &trailsight::ingest::InputFile, root: Option<&Path>) -> bool {
    let (trailsight::ingest::InputFile::Path(path), Some(root)) = (file, root) else { return false };
    path.canonicalize().is_ok_and(|p| p.starts_with(root))
}

/// This run's output files, staged under temporary names until the run has succeeded
/// (SPEC §4: a failed run leaves earlier output untouched). Dropped uncommitted, every
/// staged file is removed.
struct Commits {
    insights: Deliveries,
    explanations: Option<Staged>,
    counts: Option<Staged>,
}

impl Commits {
    /// Renames every output into place and delivers to every sink; returns how many
    /// Insight records the S3 layout refused plus how many sinks failed (each reported
    /// here: they make the exit status 1), and the records each failed sink did not take.
    fn commit(self) -> anyhow::Result<(usize, Vec<Undelivered>)> {
        for staged in [self.counts, self.explanations].into_iter().flatten() {
            let target = staged.target().display().to_string();
            staged.commit().with_context(|| format!("cannot write {target}"))?;
        }
        let mut undelivered = 0;
        let mut kept = Vec::new();
        for outcome in self.insights.commit_each() {
            let name = outcome.name;
            match outcome.result {
                Ok(done) => {
                    report_refused(&name, &done.refused);
                    undelivered += done.refused.len();
                }
                Err(e) => {
                    eprintln!("trailsight: error: --sink {name}: {}", trailsight::text::printable(&e.to_string()));
                    undelivered += 1;
                }
            }
            if !outcome.undelivered.is_empty() {
                kept.push(Undelivered { sink: name, records: outcome.undelivered });
            }
        }
        Ok((undelivered, kept))
    }
}

/// Hands the records earlier runs could not deliver to this run's sinks of the same
/// name (a `detect` run; `train` delivers nothing); returns those whose sink this run
/// does not name, which stay in the state.
fn carry_undelivered(state: Option<&trailsight::state::ModelState>, mode: Mode, deliveries: &Deliveries, quiet: bool) -> Vec<Undelivered> {
    let Some(state) = state else { return Vec::new() };
    let mut waiting = Vec::new();
    for u in &state.meta.undelivered {
        if mode == Mode::Detect && deliveries.carry(&u.sink, u.records.clone()) {
            if quiet {
                continue;
            }
            eprintln!("trailsight: note: --sink {}: {} an earlier run could not deliver are delivered first", u.sink, engine::plural(u.records.len() as u64, "record"));
        } else {
            eprintln!(
                "trailsight: warning: {} for --sink {} wait in the state (an earlier run could not deliver them; a run that names this sink will)",
                engine::plural(u.records.len() as u64, "record"),
                u.sink
            );
            waiting.push(u.clone());
        }
    }
    waiting
}

/// One line per account, region and reason: a forged value repeats in every record.
fn report_refused(sink: &str, refused: &[sink::Refused]) {
    let mut groups: std::collections::BTreeMap<(&str, &str, &str), usize> = std::collections::BTreeMap::new();
    for r in refused {
        *groups.entry((r.account.as_str(), r.region.as_str(), r.reason)).or_default() += 1;
    }
    for ((account, region, reason), n) in groups {
        // Debug quoting: the values are input, and may hold control characters.
        let (account, region) = (trailsight::text::printable(account), trailsight::text::printable(region));
        eprintln!("trailsight: error: {sink}: {n} Insight record(s) for account {account:?}, region {region:?} not written: {reason}");
    }
}

/// True when `--out` names a folder: an existing one, or a path ending in a separator.
fn is_out_dir(out: &Path) -> bool {
    out.is_dir() || out.as_os_str().to_string_lossy().ends_with(std::path::MAIN_SEPARATOR)
}

fn open_outputs(args: &DetectArgs) -> anyhow::Result<(Outputs<'static>, Commits)> {
    let (insights, insights_commit) = open_sinks(&args.sink_specs(), &args.sink_options())?;
    let (explanations, explanations_commit) = match args.explain.as_deref() {
        None => (None, None),
        Some(p) if p.as_os_str() == "-" => (Some(Box::new(std::io::stderr()) as Box<dyn Write>), None),
        Some(p) => {
            let (staged, writer) = open_staged(p)?;
            (Some(Box::new(writer) as Box<dyn Write>), Some(staged))
        }
    };
    let (counts, counts_commit) = match args.write_counts.as_deref() {
        None => (None, None),
        Some(p) => {
            let (staged, writer) = open_staged(p)?;
            (Some(Box::new(writer) as Box<dyn Write>), Some(staged))
        }
    };
    let commits = Commits { insights: insights_commit, explanations: explanations_commit, counts: counts_commit };
    Ok((Outputs { insights, explanations, counts }, commits))
}

fn open_staged(path: &Path) -> anyhow::Result<(Staged, sink::StagedWriter)> {
    sink::stage(path).with_context(|| format!("cannot create {}", path.display()))
}

/// Opens every destination now, so a bad one fails before any input is read.
fn open_sinks(specs: &[SinkSpec], options: &SinkOptions) -> anyhow::Result<(Box<dyn sink::Sink>, Deliveries)> {
    let named = specs.iter().map(|spec| spec.open(options).with_context(|| format!("--sink {spec}"))).collect::<anyhow::Result<Vec<_>>>()?;
    Ok(sink::fan_out(named))
}

/// The output files of this run that exist already. None is read as input: a counts
/// table written into the folder being read must not count its own last run, and an
/// `--out` file or manifest there is not a log.
struct OwnOutputs {
    /// Canonical path and the flag that names it.
    files: Vec<(PathBuf, &'static str)>,
}

impl OwnOutputs {
    fn of(args: &DetectArgs) -> Self {
        let out = args.out.as_deref().map(|o| if is_out_dir(o) { (o.join(sink::MANIFEST), "--out") } else { (o.to_path_buf(), "--out") });
        let explain = args.explain.as_deref().filter(|p| p.as_os_str() != "-").map(|p| (p.to_path_buf(), "--explain"));
        let counts = args.write_counts.as_deref().map(|p| (p.to_path_buf(), "--write-counts"));
        let sinks = args.sinks.iter().filter_map(|s| Some((s.local_output()?, "--sink")));
        let files = [counts, explain, out].into_iter().flatten().chain(sinks).filter_map(|(p, flag)| Some((p.canonicalize().ok()?, flag))).collect();
        Self { files }
    }

    /// False for one of this run's own outputs (said on standard error).
    fn admits(&self, file: &trailsight::ingest::InputFile, quiet: bool) -> bool {
        let trailsight::ingest::InputFile::Path(path) = file else { return true };
        let Some(flag) = self.flag_of(path) else { return true };
        if !quiet {
            eprintln!("trailsight: note: {} not read: it is this run's own {flag} output", trailsight::text::printable_path(&path));
        }
        false
    }

    fn flag_of(&self, path: &Path) -> Option<&'static str> {
        // Only a file of the same name can be the same file: canonicalize only those.
        if !self.files.iter().any(|(own, _)| own.file_name() == path.file_name()) {
            return None;
        }
        let canonical = path.canonicalize().ok()?;
        self.files.iter().find(|(own, _)| *own == canonical).map(|(_, flag)| *flag)
    }
}

/// With `--verify`, validates the inputs' digest chain and returns the log files that are
/// not proven intact, with the reason, after reporting them. `Err` is the exit code when
/// validation could not run at all.
fn verify(args: &DetectArgs) -> Result<std::collections::BTreeMap<PathBuf, String>, ExitCode> {
    let mut refused = std::collections::BTreeMap::new();
    if !args.verify {
        return Ok(refused);
    }
    let Some(opts) = args.keys.options() else {
        return Err(ExitCode::from(2));
    };
    let checked = match trailsight::integrity::verify_log_files(&args.paths, &opts) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("trailsight: error: --verify: {e}");
            return Err(ExitCode::from(e.exit_code()));
        }
    };
    let discovery = trailsight::ingest::discover(&args.paths);
    for file in &discovery.files {
        let trailsight::ingest::InputFile::Path(path) = file else { continue };
        if checked.verified.contains(path) {
            continue;
        }
        match checked.failing.get(path) {
            Some(status) if !status.is_failure() => {
                eprintln!("trailsight: warning: {}: {status:?}: not yet covered by a digest; read anyway", trailsight::text::printable_path(&path))
            }
            Some(status) => {
                refused.insert(path.clone(), format!("{status:?}"));
            }
            None => {
                refused.insert(path.clone(), "not covered by any digest".to_string());
            }
        }
    }
    let verb = if args.allow_unverified { "read anyway (--allow-unverified)" } else { "refused" };
    for (path, why) in &refused {
        eprintln!("trailsight: {}: integrity not proven ({why}): {verb}", trailsight::text::printable_path(&path));
    }
    Ok(refused)
}
