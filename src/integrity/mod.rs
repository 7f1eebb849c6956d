//! Integrity: validates CloudTrail log files against the digest files CloudTrail signs
//! (SPEC §6), on a local copy of the bucket, like `aws cloudtrail validate-logs` does
//! against S3.
//!
//! This room sits beside the pipeline, not in it: it reads the same folders `ingest`
//! reads, but only to say which files CloudTrail vouches for. `trailsight validate-logs`
//! prints its [`Report`]; `detect --verify` asks [`verify_log_files`] which of its input
//! files are verified before it trusts them.
//!
//! The flow is a list of steps ([`validate`]): discover the digest and log files under
//! the paths (`files`; the folder given stands for the bucket), load the trust inputs
//! ([`PublicKeys`], [`Signatures`]), walk every chain newest first (`chain`), count the
//! [`Summary`]. Nothing here panics on input: a file that cannot be read or parsed is
//! an outcome with its reason, and only unusable *options* (a missing keys file, a bad
//! time range) are errors.
//!
//! Exit statuses for the command (the main CLI's convention, 2 = bad usage):
//! [`EXIT_VALID`] 0 when everything judged is valid, [`EXIT_INVALID`] 1 when anything is
//! invalid, missing or could not be validated (or nothing was found),
//! [`EXIT_USAGE`] 2 when the run could not start ([`IntegrityError`]).

mod chain;
mod cycles;
mod digest;
mod error;
mod files;
mod keys;
mod layout;
mod render;
mod report;

pub use digest::{Digest, FormatProblem, LogFileEntry, PreviousDigest};
pub use error::IntegrityError;
pub use keys::{PublicKey, PublicKeys, Signatures};
pub use report::{
    ChainCounts, ChainOutcome, ChainStatus, DigestCounts, DigestOutcome, DigestStatus, Gap, LogCounts, LogFileOutcome,
    LogStatus, Report, Summary, TimeRange, Unreadable, SCHEMA_VERSION,
};

use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Exit status: every digest and log file judged is valid.
pub const EXIT_VALID: u8 = 0;
/// Exit status: something is invalid, missing or not validated, or nothing was found.
pub const EXIT_INVALID: u8 = 1;
/// Exit status: bad usage (unreadable keys or signatures file, bad paths or range).
pub const EXIT_USAGE: u8 = 2;

impl IntegrityError {
    /// The exit status for a run that could not start.
    pub fn exit_code(&self) -> u8 {
        EXIT_USAGE
    }
}

/// What a validation needs besides the paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidateOptions {
    /// Output of `aws cloudtrail list-public-keys` (one region's, or a JSON list of
    /// several regions' outputs).
    pub public_keys: PathBuf,
    /// JSON object of digest S3 key (relative to the bucket folder) to hex signature,
    /// the `signature` S3 metadata of each digest. Only the newest digest of each chain
    /// strictly needs it: each older digest's signature is recorded in the next one.
    pub signatures: Option<PathBuf>,
    /// Judge digests ending at or after this time, and log files delivered at or after.
    pub from: Option<DateTime<Utc>>,
    /// Judge digests ending up to an hour after this time, and log files delivered at or
    /// before it.
    pub to: Option<DateTime<Utc>>,
}

/// Validates every digest chain and log file under `paths`.
pub fn validate(paths: &[PathBuf], opts: &ValidateOptions) -> Result<Report, IntegrityError> {
    check_range(opts)?;
    let keys = PublicKeys::load(&opts.public_keys)?;
    let signatures = match &opts.signatures {
        Some(path) => Signatures::load(path)?,
        None => Signatures::default(),
    };
    let inventory = files::discover(paths)?;
    let trust = chain::Trust { keys: &keys, signatures: &signatures, signatures_given: opts.signatures.is_some() };
    let range = chain::Range { from: opts.from, to: opts.to };
    let walked = chain::walk(inventory.digests, &inventory.logs, &trust, range);
    let requested = TimeRange { from: opts.from, to: opts.to };
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        paths: paths.to_vec(),
        requested,
        found: found_range(&walked.digests, requested),
        chains: walked.chains,
        digest_files: walked.digests,
        log_files: walked.logs,
        gaps: walked.gaps,
        unreadable: inventory.unreadable.into_iter().map(|(path, reason)| Unreadable { path, reason }).collect(),
        summary: Summary::default(),
    };
    report.summary = Summary::count(&report, walked.judged_any);
    Ok(report)
}

fn check_range(opts: &ValidateOptions) -> Result<(), IntegrityError> {
    match (opts.from, opts.to) {
        (Some(from), Some(to)) if from > to => {
            Err(IntegrityError::EmptyTimeRange { from: layout::display_time(&from), to: layout::display_time(&to) })
        }
        _ => Ok(()),
    }
}

/// The span valid digests cover, clipped to the range asked for (AWS's "Results found
/// for").
fn found_range(digests: &[DigestOutcome], requested: TimeRange) -> Option<TimeRange> {
    let valid = digests.iter().filter(|d| d.status.is_valid());
    let from = valid.clone().filter_map(|d| d.start_time).min()?;
    let to = valid.filter_map(|d| d.end_time).max()?;
    Some(TimeRange {
        from: Some(requested.from.map_or(from, |f| f.max(from))),
        to: Some(requested.to.map_or(to, |t| t.min(to))),
    })
}

/// Which local log files CloudTrail vouches for: what `detect --verify` needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogVerification {
    /// Listed in a valid digest, hash matching.
    pub verified: BTreeSet<PathBuf>,
    /// Everything else found, with the reason. [`LogStatus::Pending`] files are here
    /// too (nothing vouches for them yet); [`LogStatus::is_failure`] tells them apart.
    pub failing: BTreeMap<PathBuf, LogStatus>,
}

impl LogVerification {
    /// The local log files of a report, split into verified and failing.
    pub fn from_report(report: &Report) -> Self {
        Self {
            verified: report.verified_log_files().into_iter().map(PathBuf::from).collect(),
            failing: report.failing_log_files().into_iter().map(|(p, o)| (p.to_path_buf(), o.status)).collect(),
        }
    }

    pub fn is_verified(&self, path: &std::path::Path) -> bool {
        self.verified.contains(path)
    }
}

/// Validates `paths` and returns only the verdict per local log file.
pub fn verify_log_files(paths: &[PathBuf], opts: &ValidateOptions) -> Result<LogVerification, IntegrityError> {
    validate(paths, opts).map(|report| LogVerification::from_report(&report))
}
