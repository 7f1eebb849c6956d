//! `trailsight simulate`: write a realistic, labelled CloudTrail history.

use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use trailsight::simulate::{simulate, AnomalyMix, SimConfig};

/// Write a realistic multi-account, multi-region CloudTrail history in the S3 layout,
/// with labelled injected anomalies and decoys (labels.json beside AWSLogs/).
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  trailsight simulate --out /tmp/history --days 10 --seed 7
  trailsight simulate --out /tmp/big --days 14 --scale 20 --no-malformed")]
pub struct SimulateArgs {
    /// Output folder (created).
    #[arg(long)]
    out: PathBuf,
    /// Days of history.
    #[arg(long, default_value_t = 10)]
    days: u32,
    /// Random seed: the same seed and settings give byte-identical files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First day (YYYY-MM-DD).
    #[arg(long, default_value = "2026-01-05")]
    start: chrono::NaiveDate,
    /// Number of AWS accounts.
    #[arg(long, default_value_t = 2)]
    accounts: u32,
    /// Number of regions per account (the first is us-east-1).
    #[arg(long, default_value_t = 2)]
    regions: u32,
    /// Multiplies every background rate (1.0 is 40-80k records per account per day).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Days of clean history before any anomaly or decoy.
    #[arg(long, default_value_t = 7)]
    quiet_days: u32,
    /// Do not write the malformed files.
    #[arg(long)]
    no_malformed: bool,
    /// Minutes between delivery files per account and region (AWS: about 5; larger
    /// makes fewer, bigger files).
    #[arg(long, default_value_t = 5)]
    delivery_minutes: u32,
    /// Inject the hard scenario mix (low-volume API, business hours, weekend, new API...).
    #[arg(long)]
    hard: bool,
    /// Also inject the reach scenarios: quiet IAM persistence by a role that never wrote
    /// IAM, and the data-event attacks (GetObject exfiltration, mass DeleteObject) and
    /// decoys (a nightly backup reading a bucket, growing uploads). Detect them with
    /// `--event-categories management,data`.
    #[arg(long)]
    reach: bool,
}

fn mix(hard: bool, reach: bool) -> AnomalyMix {
    let base = if hard { AnomalyMix::hard() } else { AnomalyMix::default() };
    if !reach {
        return base;
    }
    let reach = AnomalyMix::reach();
    AnomalyMix {
        quiet_persistence: reach.quiet_persistence,
        data_exfil: reach.data_exfil,
        mass_delete: reach.mass_delete,
        data_decoys: reach.data_decoys,
        ..base
    }
}

pub fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let config = SimConfig {
        out: args.out.clone(),
        days: args.days,
        seed: args.seed,
        start: args.start,
        accounts: args.accounts,
        regions: args.regions,
        scale: args.scale,
        quiet_days: args.quiet_days,
        malformed: !args.no_malformed,
        anomalies: mix(args.hard, args.reach),
        delivery_minutes: args.delivery_minutes,
    };
    let summary = simulate(&config).with_context(|| format!("simulating into {}", args.out.display()))?;
    eprintln!(
        "trailsight: wrote {} files, {} records ({} duplicates, {} malformed files); labels in {}",
        summary.files,
        summary.records,
        summary.duplicate_records,
        summary.malformed_files,
        summary.labels_path.display()
    );
    Ok(ExitCode::SUCCESS)
}
