//! The nightly cost benchmark (README "Running nightly"):
//!
//!     cargo bench --profile dev --bench nightly -- --days 10,28
//!
//! For each history length it simulates the history, trains a model state on every day
//! but the last, delivers the last day, and times, side by side as separate processes on
//! the same files, one nightly `detect --models` (the last day plus loading the state)
//! against one batch `detect` over the whole history: wall time, peak memory, the ratio,
//! and the state's size. It also checks that the night wrote the batch run's records of
//! the last day.

#[path = "support/measure.rs"]
mod measure;

use clap::Parser;
use measure::measure;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use trailsight::simulate::{simulate, AnomalyMix, SimConfig};

/// Time one nightly run against one batch run over the whole history, side by side.
#[derive(Debug, Parser)]
#[command(name = "nightly", after_help = "Example:
  cargo bench --profile dev --bench nightly -- --days 10,28")]
struct NightlyArgs {
    /// History lengths in days (the last day is the night measured).
    #[arg(long, value_delimiter = ',', default_value = "10,28")]
    days: Vec<u32>,
    /// Millions of records per day of history.
    #[arg(long, default_value_t = 0.08)]
    records_per_day: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where to simulate (deleted after each run unless --keep).
    #[arg(long, default_value = "bench-out/nightly")]
    work_dir: PathBuf,
    #[arg(long)]
    keep: bool,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

const MB: f64 = 1024.0 * 1024.0;

fn main() -> ExitCode {
    match run(NightlyArgs::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nightly: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(a: NightlyArgs) -> anyhow::Result<()> {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_trailsight"));
    println!(
        "{:>5} {:>9} {:>10} | {:>8} {:>8} | {:>8} {:>8} | {:>11} | {:>9} {:>7}",
        "days", "records", "new files", "batch s", "peak MB", "night s", "peak MB", "night/batch", "state MB", "same"
    );
    for &days in &a.days {
        anyhow::ensure!(days >= 2, "a history needs at least 2 days");
        let dir = a.work_dir.join(format!("history-{days}"));
        let _ = std::fs::remove_dir_all(&dir);
        let sim_dir = dir.join("sim");
        // One background unit is about 60k records per account and day, two accounts.
        let sim = SimConfig {
            out: sim_dir.clone(),
            days,
            seed: a.seed,
            scale: a.records_per_day * 1e6 / 120_000.0,
            malformed: false,
            anomalies: AnomalyMix::default(),
            quiet_days: days.saturating_sub(3).max(1),
            ..SimConfig::default()
        };
        let summary = simulate(&sim)?;
        let last = sim.start + chrono::Days::new(u64::from(days - 1));
        let last_folder = last.format("%Y/%m/%d").to_string();
        let live = dir.join("live");
        let models = dir.join("models");
        link_days(&sim_dir, &live, &last_folder, false)?;
        let trained = Command::new(&binary).arg("train").arg(&live).arg("--models").arg(&models).arg("-q").status()?;
        anyhow::ensure!(trained.success(), "train failed");
        let night_records = link_days(&sim_dir, &live, &last_folder, true)?;
        // The page cache holds every file before either contender runs.
        warm(&sim_dir);
        let batch_out = dir.join("batch.ndjson");
        let night_out = dir.join("night.ndjson");
        let batch = measure("batch detect", Command::new(&binary).arg("detect").arg(&sim_dir).arg("-q").arg("--out").arg(&batch_out))?;
        let night = measure(
            "nightly detect",
            Command::new(&binary).arg("detect").arg(&live).arg("--models").arg(&models).arg("-q").arg("--out").arg(&night_out),
        )?;
        let same = last_day_records(&batch_out, &last)? == last_day_records(&night_out, &last)?;
        let state_bytes = dir_bytes(&models);
        println!(
            "{:>5} {:>9} {:>10} | {:>8.2} {:>8.0} | {:>8.2} {:>8.0} | {:>11.3} | {:>9.2} {:>7}",
            days,
            summary.records,
            night_records,
            batch.seconds,
            batch.peak_bytes as f64 / MB,
            night.seconds,
            night.peak_bytes as f64 / MB,
            night.seconds / batch.seconds,
            state_bytes as f64 / MB,
            if same { "yes" } else { "NO" }
        );
        if !a.keep {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    Ok(())
}

/// Hard-links into `live` the delivery files of the days before `last` (`YYYY/MM/DD`),
/// or, with `only_last`, of that day; returns the files linked.
fn link_days(sim: &Path, live: &Path, last: &str, only_last: bool) -> anyhow::Result<u64> {
    let mut linked = 0;
    for entry in walkdir::WalkDir::new(sim).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
        let relative = entry.path().strip_prefix(sim)?;
        let Some(day) = path_day(relative) else { continue };
        let wanted = if only_last { day == last } else { day.as_str() < last };
        if !wanted {
            continue;
        }
        let target = live.join(relative);
        std::fs::create_dir_all(target.parent().unwrap_or(live))?;
        std::fs::hard_link(entry.path(), &target)?;
        linked += 1;
    }
    Ok(linked)
}

fn path_day(relative: &Path) -> Option<String> {
    let parts: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().to_string()).collect();
    parts.windows(3).find_map(|w| {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        (digits(&w[0], 4) && digits(&w[1], 2) && digits(&w[2], 2)).then(|| format!("{}/{}/{}", w[0], w[1], w[2]))
    })
}

fn warm(dir: &Path) {
    for entry in walkdir::WalkDir::new(dir).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
        let _ = std::fs::read(entry.path());
    }
}

/// The output lines of the last day before 22:00 UTC (the night judges the minutes up
/// to the newest data minus the delivery lag and the settle margin; later ones wait for
/// the next night).
fn last_day_records(path: &Path, last: &chrono::NaiveDate) -> anyhow::Result<Vec<String>> {
    let day = last.format("%Y-%m-%d").to_string();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let early = |l: &&str| (0..22).any(|h| l.contains(&format!("\"eventTime\":\"{day}T{h:02}:")));
    Ok(text.lines().filter(early).map(str::to_string).collect())
}

fn dir_bytes(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir).into_iter().filter_map(Result::ok).filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum()
}
