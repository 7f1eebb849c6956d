//! The outcome of a validation: one entry per digest file and per log file, the chains
//! and their gaps, and a summary. Serialised as JSON with the field names documented
//! here (they are a stable interface: add fields, never rename them; bump
//! [`SCHEMA_VERSION`] on any incompatible change).
//!
//! Status words and messages are those of `aws cloudtrail validate-logs` ("valid",
//! "INVALID: not found", ...). What AWS does not report (files no digest lists, digests
//! that cannot be checked for want of a signature) is "NOT VALIDATED: ...", so a script
//! that greps for INVALID sees exactly what AWS would have flagged.

use super::layout::display_time;
use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Version of the JSON layout of [`Report`].
pub const SCHEMA_VERSION: u32 = 1;

/// The verdict on one digest file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestStatus {
    /// Signature verified with CloudTrail's key, in its original location, and its hash
    /// matches what the next digest records.
    Valid,
    /// A newer valid digest points to it and it is not there.
    NotFound,
    /// Its `digestS3Object` (signed) is not where the file is.
    Moved,
    /// The signature does not verify with the key the digest names.
    SignatureFailed,
    /// The key the digest names is not in the public keys file.
    PublicKeyNotFound,
    /// The next digest's `previousDigestHashValue` is not this file's hash.
    HashMismatch,
    /// The next digest's `previousDigestSignature` is not this file's S3 signature.
    SignatureMismatch,
    /// Not gzip/JSON, or a field validation needs is missing or malformed.
    InvalidFormat,
    /// Its `previousDigestS3Object` is its own key, or leads back to it through other
    /// digests: a loop, where a real chain only points back in time. Not an AWS status.
    LinkCycle,
    /// No signature to check: none in the signatures file and no newer digest records
    /// one. Not INVALID, but nothing it lists can be vouched for.
    Unsigned,
}

impl DigestStatus {
    /// The status text as `aws cloudtrail validate-logs` prints it.
    pub fn message(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::NotFound => "INVALID: not found",
            Self::Moved => "INVALID: has been moved from its original location",
            Self::SignatureFailed => "INVALID: signature verification failed",
            Self::PublicKeyNotFound => "INVALID: public key not found",
            Self::HashMismatch => "INVALID: hash value doesn't match",
            Self::SignatureMismatch => "INVALID: signature doesn't match the next digest file",
            Self::InvalidFormat => "INVALID: invalid format",
            Self::LinkCycle => "INVALID: previous digest link loops back to it",
            Self::Unsigned => "NOT VALIDATED: no signature to verify",
        }
    }

    pub fn is_valid(self) -> bool {
        self == Self::Valid
    }

    /// What AWS would call INVALID: the digest was tampered with, moved or lost.
    pub fn is_invalid(self) -> bool {
        !matches!(self, Self::Valid | Self::Unsigned)
    }
}

/// The verdict on one log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogStatus {
    /// Listed in a valid digest and its uncompressed SHA-256 matches.
    Valid,
    /// Listed in a valid digest; the file's hash differs (it was modified).
    HashMismatch,
    /// Listed in a valid digest; the file is not there (deleted or moved).
    NotFound,
    /// Listed in a valid digest; the file cannot be read or gunzipped.
    InvalidFormat,
    /// Listed only in digest files that are INVALID, so nothing vouches for it.
    DigestInvalid,
    /// Listed only in digest files that have no signature to check.
    DigestUnsigned,
    /// Present, but no digest file lists it: not delivered by this trail with
    /// validation on, or its digest is gone.
    NotInDigest,
    /// Present, delivered after the newest digest file of its account and region: the
    /// digest that will list it has not been delivered (or synced) yet.
    Pending,
}

impl LogStatus {
    pub fn message(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::HashMismatch => "INVALID: hash value doesn't match",
            Self::NotFound => "INVALID: not found",
            Self::InvalidFormat => "INVALID: invalid format",
            Self::DigestInvalid => "NOT VALIDATED: its digest file is INVALID",
            Self::DigestUnsigned => "NOT VALIDATED: its digest file has no signature to verify",
            Self::NotInDigest => "NOT VALIDATED: not listed in any digest file",
            Self::Pending => "NOT VALIDATED: delivered after the newest digest file",
        }
    }

    /// What AWS would call INVALID.
    pub fn is_invalid(self) -> bool {
        matches!(self, Self::HashMismatch | Self::NotFound | Self::InvalidFormat)
    }

    /// Makes a run unclean: everything but valid and not-yet-digested files.
    pub fn is_failure(self) -> bool {
        !matches!(self, Self::Valid | Self::Pending)
    }
}

/// Whether every link of a digest chain held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainStatus {
    Unbroken,
    /// Some digest of the chain is INVALID (including not found).
    Broken,
}

/// One digest file's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigestOutcome {
    /// `account/region/trail`; null when neither its name nor its content says.
    pub chain: Option<String>,
    /// The bucket the digest names (`digestS3Bucket`, or the pointing digest's
    /// `previousDigestS3Bucket` when not found).
    pub bucket: Option<String>,
    /// Its S3 key where it is (or, when not found, where it should be).
    pub key: String,
    /// The local file; null when not found.
    pub path: Option<PathBuf>,
    pub status: DigestStatus,
    /// `status` as AWS words it.
    pub message: &'static str,
    /// Specifics: which field, which key, where it came from.
    pub detail: Option<String>,
    #[serde(serialize_with = "ser_time")]
    pub start_time: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_time")]
    pub end_time: Option<DateTime<Utc>>,
    pub backfill: bool,
    /// How many log files it lists (0 when unreadable).
    pub log_files: usize,
}

impl DigestOutcome {
    /// Where to say the digest is: `s3://bucket/key` when the bucket is known.
    pub fn location(&self) -> String {
        match &self.bucket {
            Some(bucket) => format!("s3://{bucket}/{}", self.key),
            None => self.path.as_ref().map_or_else(|| self.key.clone(), |p| p.display().to_string()),
        }
    }
}

/// One log file's outcome (one per listing: a file two digests list appears twice).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogFileOutcome {
    /// The bucket the listing digest names; null for files no digest lists.
    pub bucket: Option<String>,
    pub key: String,
    /// The local file; null when not found (or not looked for).
    pub path: Option<PathBuf>,
    pub status: LogStatus,
    pub message: &'static str,
    pub detail: Option<String>,
    /// Key of the digest file that lists it; null when none does.
    pub digest_file: Option<String>,
    /// Delivery time from its name.
    #[serde(serialize_with = "ser_time")]
    pub delivered: Option<DateTime<Utc>>,
}

impl LogFileOutcome {
    /// `s3://bucket/key` when a digest vouches for the location, else the local path.
    pub fn location(&self) -> String {
        match (&self.bucket, &self.path) {
            (Some(bucket), _) => format!("s3://{bucket}/{}", self.key),
            (None, Some(path)) => path.display().to_string(),
            (None, None) => self.key.clone(),
        }
    }
}

/// One digest chain (a trail's digests for one account and region).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainOutcome {
    /// `account/region/trail`.
    pub id: String,
    pub account: String,
    pub region: String,
    pub trail: String,
    pub home_region: String,
    pub status: ChainStatus,
    /// Digest outcomes of this chain in the report (including not found).
    pub digest_files: usize,
    /// Start of the oldest valid digest of the chain; null when none is valid.
    #[serde(serialize_with = "ser_time")]
    pub valid_from: Option<DateTime<Utc>>,
    /// End of the newest valid digest. Check that it is recent: digests deleted from
    /// the *end* of a chain (with their log files) leave nothing behind to detect, for
    /// `aws cloudtrail validate-logs` as for us.
    #[serde(serialize_with = "ser_time")]
    pub valid_to: Option<DateTime<Utc>>,
}

/// A period with no digest files: the chain restarts (a digest with no previous digest)
/// while older digests exist. AWS reports it and does not count it as invalid: it is
/// what turning validation or logging off and on looks like.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub chain: String,
    #[serde(serialize_with = "ser_time_req")]
    pub from: DateTime<Utc>,
    #[serde(serialize_with = "ser_time_req")]
    pub to: DateTime<Utc>,
    /// Key of the digest file that starts the chain again.
    pub restarted_by: String,
}

impl Gap {
    pub fn message(&self) -> String {
        format!(
            "No log files were delivered by CloudTrail between {} and {}",
            display_time(&self.from),
            display_time(&self.to)
        )
    }
}

/// A path that could not be walked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    pub path: PathBuf,
    pub reason: String,
}

/// A time range; a missing end is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TimeRange {
    #[serde(serialize_with = "ser_time")]
    pub from: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_time")]
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DigestCounts {
    pub total: usize,
    pub valid: usize,
    pub invalid: usize,
    pub not_validated: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LogCounts {
    pub total: usize,
    pub valid: usize,
    pub invalid: usize,
    /// Listed only in invalid or unsigned digests, or in none.
    pub not_validated: usize,
    pub pending: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChainCounts {
    pub total: usize,
    pub unbroken: usize,
    pub broken: usize,
}

/// Counts over the report, and the overall verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub digest_files: DigestCounts,
    pub log_files: LogCounts,
    pub chains: ChainCounts,
    pub gaps: usize,
    pub unreadable_paths: usize,
    /// See [`Report::is_clean`].
    pub clean: bool,
}

/// Everything a validation found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub schema_version: u32,
    /// The paths given.
    pub paths: Vec<PathBuf>,
    /// The range asked for (`--from`/`--to`).
    pub requested: TimeRange,
    /// The span the valid digests cover within the range; null when none is valid.
    pub found: Option<TimeRange>,
    pub chains: Vec<ChainOutcome>,
    /// Newest first within each chain, chains in order of their id.
    pub digest_files: Vec<DigestOutcome>,
    /// Log files in the order of the digests listing them, then files no digest lists.
    pub log_files: Vec<LogFileOutcome>,
    pub gaps: Vec<Gap>,
    pub unreadable: Vec<Unreadable>,
    pub summary: Summary,
}

impl Report {
    /// True when at least one digest was judged and every digest and log file judged
    /// is valid, apart from log files newer than the newest digest (not digested yet).
    /// "Nothing found" is not clean: a validation that vouched for nothing must not
    /// read as a pass in a script.
    pub fn is_clean(&self) -> bool {
        self.summary.clean
    }

    /// The process exit status for this report: [`EXIT_VALID`](super::EXIT_VALID) or
    /// [`EXIT_INVALID`](super::EXIT_INVALID).
    pub fn exit_code(&self) -> u8 {
        if self.is_clean() {
            super::EXIT_VALID
        } else {
            super::EXIT_INVALID
        }
    }

    /// Local log files a valid digest vouches for and whose hash matches. Paths are as
    /// walked from the paths given, the same paths `detect` reads for the same
    /// arguments.
    pub fn verified_log_files(&self) -> BTreeSet<&Path> {
        let bad = self.paths_with(|s| s.is_invalid());
        self.paths_with(|s| s == LogStatus::Valid).difference(&bad).copied().collect()
    }

    /// Local log files that are not verified, each with the reason (its first
    /// non-valid outcome). Includes [`LogStatus::Pending`] files: not failures of the
    /// trail, but nothing vouches for them yet; a caller may choose to only warn.
    pub fn failing_log_files(&self) -> BTreeMap<&Path, &LogFileOutcome> {
        let verified = self.verified_log_files();
        let mut failing = BTreeMap::new();
        for outcome in &self.log_files {
            if let Some(path) = outcome.path.as_deref() {
                if outcome.status != LogStatus::Valid && !verified.contains(path) {
                    failing.entry(path).or_insert(outcome);
                }
            }
        }
        failing
    }

    fn paths_with(&self, pred: impl Fn(LogStatus) -> bool) -> BTreeSet<&Path> {
        self.log_files.iter().filter(|o| pred(o.status)).filter_map(|o| o.path.as_deref()).collect()
    }

    /// The report as pretty JSON (the documented schema).
    pub fn to_json(&self) -> String {
        // Serialising plain structs of strings and numbers cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Writes the JSON report followed by a newline.
    pub fn write_json(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *w, self).map_err(std::io::Error::from)?;
        writeln!(w)
    }
}

impl Summary {
    pub(crate) fn count(report: &Report, judged_any: bool) -> Self {
        let mut s = Self::default();
        for d in &report.digest_files {
            s.digest_files.total += 1;
            match d.status {
                DigestStatus::Valid => s.digest_files.valid += 1,
                DigestStatus::Unsigned => s.digest_files.not_validated += 1,
                _ => s.digest_files.invalid += 1,
            }
        }
        for l in &report.log_files {
            s.log_files.total += 1;
            match l.status {
                LogStatus::Valid => s.log_files.valid += 1,
                LogStatus::Pending => s.log_files.pending += 1,
                st if st.is_invalid() => s.log_files.invalid += 1,
                _ => s.log_files.not_validated += 1,
            }
        }
        for c in &report.chains {
            s.chains.total += 1;
            match c.status {
                ChainStatus::Unbroken => s.chains.unbroken += 1,
                ChainStatus::Broken => s.chains.broken += 1,
            }
        }
        s.gaps = report.gaps.len();
        s.unreadable_paths = report.unreadable.len();
        s.clean = judged_any
            && s.digest_files.valid == s.digest_files.total
            && s.log_files.valid + s.log_files.pending == s.log_files.total
            && s.unreadable_paths == 0;
        s
    }
}

fn ser_time<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&display_time(t)),
        None => s.serialize_none(),
    }
}

fn ser_time_req<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&display_time(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_the_aws_cli_words() {
        assert_eq!(DigestStatus::NotFound.message(), "INVALID: not found");
        assert_eq!(DigestStatus::Moved.message(), "INVALID: has been moved from its original location");
        assert_eq!(DigestStatus::SignatureFailed.message(), "INVALID: signature verification failed");
        assert_eq!(DigestStatus::InvalidFormat.message(), "INVALID: invalid format");
        assert_eq!(LogStatus::HashMismatch.message(), "INVALID: hash value doesn't match");
        assert_eq!(LogStatus::NotFound.message(), "INVALID: not found");
    }

    #[test]
    fn only_what_aws_would_flag_is_invalid_and_pending_does_not_fail() {
        assert!(!DigestStatus::Unsigned.is_invalid() && !DigestStatus::Unsigned.is_valid());
        assert!(DigestStatus::HashMismatch.is_invalid());
        assert!(!LogStatus::NotInDigest.is_invalid() && LogStatus::NotInDigest.is_failure());
        assert!(!LogStatus::Pending.is_failure() && !LogStatus::Valid.is_failure());
    }

    fn empty_report() -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            paths: Vec::new(),
            requested: TimeRange::default(),
            found: None,
            chains: Vec::new(),
            digest_files: Vec::new(),
            log_files: Vec::new(),
            gaps: Vec::new(),
            unreadable: Vec::new(),
            summary: Summary::default(),
        }
    }

    fn log(path: &str, status: LogStatus) -> LogFileOutcome {
        LogFileOutcome {
            bucket: None,
            key: path.to_string(),
            path: Some(PathBuf::from(path)),
            status,
            message: status.message(),
            detail: None,
            digest_file: None,
            delivered: None,
        }
    }

    #[test]
    fn nothing_judged_is_not_clean() {
        let report = empty_report();
        assert!(!Summary::count(&report, false).clean);
        assert!(Summary::count(&report, true).clean);
    }

    #[test]
    fn a_file_is_verified_when_a_valid_listing_vouches_and_none_finds_it_changed() {
        let mut report = empty_report();
        report.log_files = vec![
            log("a", LogStatus::Valid),
            log("a", LogStatus::DigestInvalid), // also listed by a bad digest: still verified
            log("b", LogStatus::Valid),
            log("b", LogStatus::HashMismatch), // one listing finds it changed: failing
            log("c", LogStatus::Pending),
        ];
        let verified: Vec<&Path> = report.verified_log_files().into_iter().collect();
        assert_eq!(verified, vec![Path::new("a")]);
        let failing: Vec<(&Path, LogStatus)> =
            report.failing_log_files().into_iter().map(|(p, o)| (p, o.status)).collect();
        assert_eq!(failing, vec![(Path::new("b"), LogStatus::HashMismatch), (Path::new("c"), LogStatus::Pending)]);
    }
}
