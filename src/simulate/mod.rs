//! Labelled CloudTrail history simulator.
//!
//! `simulate` writes a realistic multi-account, multi-region CloudTrail S3 layout
//! (gzip-compressed `{"Records":[...]}` delivery files, digest and Insight siblings,
//! duplicate deliveries and a set of malformed files) together with a `labels.json`
//! that says which anomalies were injected, which look-alike decoys were planted and
//! which files are broken. Detectors are evaluated against these labels, so the
//! background history has to look like real CloudTrail rather than uniform noise.

mod account;
mod catalog;
mod extras;
mod generate;
mod labels;
mod malformed;
mod principals;
mod record;
mod resources;
mod rng;
mod scenario;
mod setup;
mod timefmt;
mod writer;

#[cfg(test)]
mod tests;

pub use labels::{Anomaly, Decoy, Labels, Malformed};

use std::path::PathBuf;

use chrono::NaiveDate;

/// First simulated day by default: a Monday, so the default judged window starts on a weekday.
const DEFAULT_START: NaiveDate = match NaiveDate::from_ymd_opt(2026, 1, 5) {
    Some(date) => date,
    None => NaiveDate::MIN,
};

/// How many of each injected scenario to plant per account.
///
/// Recurring decoys (the 02:00 backup job, slow growth of one automation role and the
/// weekday 09:00 deploys) are part of the background history and are always present
/// and labelled; `decoys` switches the one-off look-alikes (a read-only spike, a
/// data-event spike and a duplicate-delivery hour).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnomalyMix {
    /// Write API called 20-100x its usual rate for 10-40 minutes.
    pub write_spike: u32,
    /// 15-60 IAM writes within a few minutes, recorded in us-east-1.
    pub iam_burst: u32,
    /// AccessDenied-style enumeration errors for 5-30 minutes.
    pub error_burst: u32,
    /// kms ScheduleKeyDeletion, an API with no history, called ~15 times.
    pub low_volume: u32,
    /// A moderate (3-5x) spike of a busy write API during business hours.
    pub business_hours: u32,
    /// A write spike on a weekend day (skipped when the judged window has no weekend).
    pub weekend: u32,
    /// cloudtrail StopLogging, never seen before, called 20+ times by a new principal.
    pub new_api: u32,
    /// An error burst on an API that normally fails a little.
    pub error_on_erring_api: u32,
    /// Plant the one-off decoys.
    pub decoys: bool,
    /// 4-10 IAM writes within minutes (1-3 per API) by a background role that never
    /// wrote IAM: stolen role credentials used for persistence.
    pub quiet_persistence: u32,
    /// A burst of S3 GetObject data events by one role: exfiltration.
    pub data_exfil: u32,
    /// Hundreds of S3 DeleteObject data events in minutes by one principal.
    pub mass_delete: u32,
    /// Plant the data-event decoys, present on every day of the history: a nightly backup
    /// that reads every object of a bucket, and a steady growth of uploads.
    pub data_decoys: bool,
}

impl Default for AnomalyMix {
    fn default() -> Self {
        Self {
            write_spike: 1,
            iam_burst: 1,
            error_burst: 1,
            low_volume: 0,
            business_hours: 0,
            weekend: 0,
            new_api: 0,
            error_on_erring_api: 0,
            decoys: true,
            quiet_persistence: 0,
            data_exfil: 0,
            mass_delete: 0,
            data_decoys: false,
        }
    }
}

impl AnomalyMix {
    /// The standard mix plus one of each hard scenario per account.
    pub fn hard() -> Self {
        Self {
            low_volume: 1,
            business_hours: 1,
            weekend: 1,
            new_api: 1,
            error_on_erring_api: 1,
            ..Self::default()
        }
    }

    /// The standard mix plus the reach scenarios: quiet IAM persistence and the data-event
    /// attacks and decoys. Judge it with data events on (`--event-categories
    /// management,data`). The standard and hard mixes do not draw these, so their
    /// histories are unchanged by them.
    pub fn reach() -> Self {
        Self {
            quiet_persistence: 1,
            data_exfil: 1,
            mass_delete: 1,
            data_decoys: true,
            ..Self::default()
        }
    }

    /// No injected anomalies and no one-off decoys: clean background only.
    pub fn none() -> Self {
        Self {
            write_spike: 0,
            iam_burst: 0,
            error_burst: 0,
            decoys: false,
            ..Self::default()
        }
    }
}

/// What to simulate and where to write it.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Number of simulated days.
    pub days: u32,
    /// Seed for every random choice; same config gives byte-identical output.
    pub seed: u64,
    /// First simulated day (UTC).
    pub start: NaiveDate,
    /// Number of AWS accounts; the second and later ones use the organisation S3 layout.
    pub accounts: u32,
    /// Number of regions; the first is always us-east-1.
    pub regions: u32,
    /// Multiplies every background rate.
    pub scale: f64,
    /// Anomalies and one-off decoys only from this day index on (clamped to `days - 1`).
    pub quiet_days: u32,
    /// Also write malformed files for reader robustness tests.
    pub malformed: bool,
    /// Which scenarios to inject.
    pub anomalies: AnomalyMix,
    /// Minutes between deliveries per account and region (AWS: about 5).
    pub delivery_minutes: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            out: PathBuf::from("sim-out"),
            days: 10,
            seed: 1,
            start: DEFAULT_START,
            accounts: 2,
            regions: 2,
            scale: 1.0,
            quiet_days: 7,
            malformed: true,
            anomalies: AnomalyMix::default(),
            delivery_minutes: 5,
        }
    }
}

/// Totals of one simulation run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimSummary {
    /// Well-formed event delivery files written, redeliveries and second-trail copies included.
    pub files: usize,
    /// Distinct records in well-formed event files (each eventID once).
    pub records: u64,
    /// Extra copies of records written by redelivered files and the second trail.
    pub duplicate_records: u64,
    /// Malformed files written (their readable records are counted in labels.json only).
    pub malformed_files: usize,
    /// Where labels.json was written.
    pub labels_path: PathBuf,
}

/// Why a simulation could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configuration asks for something the simulator cannot produce.
    #[error("invalid simulator configuration: {0}")]
    InvalidConfig(String),
    /// A file or folder could not be created or written.
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A document could not be serialised.
    #[error("cannot serialise {path}: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// Write a simulated, labelled CloudTrail history under `config.out`.
///
/// The model: each account has 20-40 principals (IAM users working business hours on
/// weekdays with per-user offsets, 24/7 automation roles such as monitoring pollers,
/// the AWS Config recorder, SSM agents and application roles with a mild diurnal
/// cycle, a CI/CD role deploying in bursts on weekdays, a backup role running at 02:00,
/// and AWSService principals). Every principal has its own API mix, user agents and
/// source IPs. Per minute, calls are Poisson with the principal's diurnal and weekly
/// level, over-dispersed by a gamma multiplier per 10-minute block and per day. IAM,
/// STS, CloudFront and sign-in events are recorded in us-east-1 only. Errors come from
/// per-API habits plus per-principal AccessDenied rates.
///
/// Records are delivered about every 5 minutes per account and region in files holding
/// the previous 5-15 minutes, shuffled, with ~1% of records arriving 30 minutes to 6
/// hours late; ~0.2% of files are redelivered and, for one hour of the judged window, a
/// second trail re-delivers account 0's files under `second-trail/`. From day
/// `quiet_days` on, the configured anomalies and decoys are injected and labelled.
/// Generation runs per (account, region, day) and rendering per file in parallel, with
/// seeds derived from `config.seed`, so output is byte-identical for a given config.
pub fn simulate(config: &SimConfig) -> Result<SimSummary, SimError> {
    run(config).map(|outcome| outcome.summary)
}

/// A run's summary plus what the tests need to recognise injected calls.
pub(super) struct Outcome {
    pub summary: SimSummary,
    /// Source IP of each labelled anomaly, in label order; no background call uses them.
    #[cfg_attr(not(test), allow(dead_code))]
    pub attacker_ips: Vec<String>,
}

fn run(config: &SimConfig) -> Result<Outcome, SimError> {
    let setup = setup::Setup::new(config)?;
    writer::create_dir(&setup.out)?;
    let mut accounts = account::build_accounts(&setup);
    let mut plan = scenario::plan(&setup, &mut accounts);
    let mut totals = writer::Totals::default();
    for (a, account) in accounts.iter().enumerate() {
        for r in 0..setup.regions.len() {
            let injected = std::mem::take(&mut plan.injected[setup.stream(a, r)]);
            let events = generate::stream_events(&setup, account, r, injected);
            let ctx = record::StreamCtx::new(&setup, account, r);
            let dup = plan
                .dup
                .as_ref()
                .filter(|d| d.account == a)
                .map(|d| (d.start, d.end));
            let out = writer::deliver(&setup, &ctx, &events, dup)?;
            totals.add(a, r, out);
        }
    }
    extras::write_siblings(&setup, &accounts, &totals)?;
    let malformed = match (setup.malformed, accounts.first()) {
        (true, Some(account)) => malformed::write(&setup, account)?,
        _ => Vec::new(),
    };
    let malformed_files = malformed.len();
    let doc = labels::Labels::new(
        &setup,
        totals.records,
        totals.duplicates,
        plan.labels,
        malformed,
    );
    let labels_path = labels::write(&setup.out, &doc)?;
    let summary = SimSummary {
        files: totals.files,
        records: totals.records,
        duplicate_records: totals.duplicates,
        malformed_files,
        labels_path,
    };
    Ok(Outcome {
        summary,
        attacker_ips: plan.attacker_ips,
    })
}
