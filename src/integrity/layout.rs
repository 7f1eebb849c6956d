//! The S3 layout CloudTrail delivers into, read back from a local copy of the bucket.
//!
//! Validation compares where a file *is* with where CloudTrail *put* it, so every local
//! file gets an S3 object key: its path relative to the folder that stands for the
//! bucket. When the folder given is the bucket (or holds the optional prefix) the key is
//! exact; when the folder given is `AWSLogs/` or something below it, the prefix is
//! unknowable and the key starts at `AWSLogs/` ([`ObjectKey::from_aws_logs`]).
//!
//! File names carry the facts the chain walk sorts and groups by (account, region,
//! trail, times); they are parsed here and nowhere else.

use chrono::{DateTime, NaiveDateTime, Utc};
use std::path::{Component, Path};

/// The folder component under which CloudTrail delivers digest files.
pub const DIGEST_FOLDER: &str = "CloudTrail-Digest";
/// The folder component under which CloudTrail delivers event log files.
pub const LOG_FOLDER: &str = "CloudTrail";
/// The folder component every CloudTrail key has after the optional prefix.
const AWS_LOGS: &str = "AWSLogs";

/// Where a local file sits in the bucket it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    /// The S3 key, `/`-separated.
    pub key: String,
    /// True when the bucket root was not given, so `key` starts at `AWSLogs/` and any
    /// prefix in front of it is unknown.
    pub from_aws_logs: bool,
}

impl ObjectKey {
    /// A key known exactly (the file was found under the bucket folder).
    pub fn exact(key: impl Into<String>) -> Self {
        Self { key: key.into(), from_aws_logs: false }
    }

    /// The part of the key lookups can rely on whatever the prefix.
    pub fn tail(&self) -> &str {
        tail_from_aws_logs(&self.key)
    }

    /// True when a key recorded by CloudTrail (`digestS3Object`, `s3Object`) names this
    /// location. With an unknown prefix only the part from `AWSLogs/` can be compared.
    pub fn is_location_of(&self, recorded: &str) -> bool {
        if self.from_aws_logs {
            tail_from_aws_logs(recorded) == self.key
        } else {
            recorded == self.key
        }
    }
}

/// The key from its last `AWSLogs` component on; the whole key when it has none.
pub fn tail_from_aws_logs(key: &str) -> &str {
    match key.rfind("/AWSLogs/") {
        Some(i) => &key[i + 1..],
        None => key,
    }
}

/// The object key of `file`, found while walking `root` (the folder given by the user).
///
/// `root_is_in_aws_logs` says whether `root` is `AWSLogs/` or below it, in which case
/// the bucket root is above what the user gave and only the tail is knowable.
pub fn object_key(root: &Path, file: &Path, root_is_in_aws_logs: bool) -> ObjectKey {
    if !root_is_in_aws_logs {
        if let Ok(rel) = file.strip_prefix(root) {
            return ObjectKey::exact(to_slash(rel));
        }
    }
    ObjectKey { key: key_from_aws_logs(file), from_aws_logs: true }
}

/// True when a path has an `AWSLogs` component (the folder is inside the layout).
pub fn has_aws_logs_component(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == AWS_LOGS)
}

/// The path from its last `AWSLogs` component on, or just the file name.
fn key_from_aws_logs(file: &Path) -> String {
    let parts: Vec<&str> = normal_parts(file);
    match parts.iter().rposition(|p| *p == AWS_LOGS) {
        Some(i) => parts[i..].join("/"),
        None => parts.last().map(|s| (*s).to_string()).unwrap_or_default(),
    }
}

fn to_slash(rel: &Path) -> String {
    normal_parts(rel).join("/")
}

fn normal_parts(path: &Path) -> Vec<&str> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect()
}

/// The sibling folder a key lies under, which says what kind of file it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Digest,
    Log,
    /// Anything else (Insight, Aggregated, notes): not part of log file validation.
    Other,
}

/// Classifies a key by its folders, falling back to its file name for files given
/// one by one outside the layout.
pub fn kind_of(key: &str) -> FileKind {
    let mut parts = key.split('/');
    let folder = parts.find_map(|p| match p {
        DIGEST_FOLDER => Some(FileKind::Digest),
        LOG_FOLDER => Some(FileKind::Log),
        p if p.starts_with("CloudTrail-") => Some(FileKind::Other),
        _ => None,
    });
    let name = file_name(key);
    match folder {
        Some(kind) => kind,
        None if DigestName::parse(name).is_some() => FileKind::Digest,
        None if LogName::parse(name).is_some() => FileKind::Log,
        None => FileKind::Other,
    }
}

/// The last `/`-separated part of a key.
pub fn file_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// What a digest file's name says:
/// `<account>_CloudTrail-Digest_<region>_<trail>_<home-region>_<YYYYMMDDTHHMMSSZ>.json.gz`
/// (backfill digests end `_backfill.json.gz`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestName {
    pub account: String,
    /// The region whose logs the digest covers (the source region).
    pub region: String,
    pub trail: String,
    /// The trail's home region (where it was created); the same as `region` for
    /// single-region trails.
    pub home_region: String,
    /// The digest's end time, to the second.
    pub end: DateTime<Utc>,
    pub backfill: bool,
}

impl DigestName {
    /// Parses a digest file name (the last part of its key); `None` when it is not one.
    pub fn parse(name: &str) -> Option<Self> {
        let stem = name.strip_suffix(".json.gz").or_else(|| name.strip_suffix(".json"))?;
        let (stem, backfill) = match stem.strip_suffix("_backfill") {
            Some(s) => (s, true),
            None => (stem, false),
        };
        let (account, rest) = stem.split_once("_CloudTrail-Digest_")?;
        let (rest, stamp) = rest.rsplit_once('_')?;
        let end = parse_stamp(stamp, "%Y%m%dT%H%M%SZ")?;
        // Regions never hold '_', trail names may: region first, home region last.
        let (region, rest) = rest.split_once('_')?;
        let (trail, home_region) = rest.rsplit_once('_')?;
        if account.is_empty() || region.is_empty() || trail.is_empty() || home_region.is_empty() {
            return None;
        }
        Some(Self {
            account: account.to_string(),
            region: region.to_string(),
            trail: trail.to_string(),
            home_region: home_region.to_string(),
            end,
            backfill,
        })
    }

    /// The identity of the chain this digest belongs to.
    pub fn chain_id(&self) -> ChainId {
        ChainId {
            account: self.account.clone(),
            region: self.region.clone(),
            trail: self.trail.clone(),
            home_region: self.home_region.clone(),
        }
    }
}

/// One digest chain: a trail's digests for one account and region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainId {
    pub account: String,
    pub region: String,
    pub trail: String,
    pub home_region: String,
}

impl ChainId {
    /// Stable textual id used in reports: `account/region/trail`.
    pub fn to_id(&self) -> String {
        format!("{}/{}/{}", self.account, self.region, self.trail)
    }
}

/// What a log file's name says:
/// `<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogName {
    pub account: String,
    pub region: String,
    /// Delivery time, to the minute (not the time of the events inside).
    pub delivered: DateTime<Utc>,
}

impl LogName {
    pub fn parse(name: &str) -> Option<Self> {
        let stem = name.split('.').next()?;
        let mut parts = stem.split('_');
        let account = parts.next()?;
        if parts.next()? != LOG_FOLDER {
            return None;
        }
        let region = parts.next()?;
        let delivered = parse_stamp(parts.next()?, "%Y%m%dT%H%MZ")?;
        parts.next()?;
        Some(Self { account: account.to_string(), region: region.to_string(), delivered })
    }
}

/// The account and region a log key belongs to, from its folders or else its name.
pub fn log_account_region(key: &str) -> Option<(String, String)> {
    if let Some(name) = LogName::parse(file_name(key)) {
        return Some((name.account, name.region));
    }
    let parts: Vec<&str> = key.split('/').collect();
    let i = parts.iter().position(|p| *p == LOG_FOLDER)?;
    Some((parts.get(i.checked_sub(1)?)?.to_string(), parts.get(i + 1)?.to_string()))
}

fn parse_stamp(s: &str, format: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, format).ok().map(|t| t.and_utc())
}

/// Formats a time the way CloudTrail and `aws cloudtrail validate-logs` print it.
pub fn display_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Parses a CloudTrail time (`2015-08-17T14:01:31Z`, or any RFC 3339 time).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn parses_the_documented_digest_name() {
        let n = DigestName::parse(
            "111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz",
        )
        .unwrap();
        assert_eq!(n.account, "111122223333");
        assert_eq!(n.region, "us-east-2");
        assert_eq!(n.trail, "your-trail-name");
        assert_eq!(n.home_region, "us-east-2");
        assert_eq!(n.end, Utc.with_ymd_and_hms(2015, 8, 17, 15, 1, 31).unwrap());
        assert!(!n.backfill);
    }

    #[test]
    fn keeps_underscores_in_trail_names_and_reads_backfill() {
        let n = DigestName::parse(
            "111122223333_CloudTrail-Digest_eu-west-1_org_trail_v2_us-east-1_20240101T000501Z_backfill.json.gz",
        )
        .unwrap();
        assert_eq!(
            (n.region.as_str(), n.trail.as_str(), n.home_region.as_str()),
            ("eu-west-1", "org_trail_v2", "us-east-1")
        );
        assert!(n.backfill);
    }

    #[test]
    fn rejects_names_that_are_not_digests() {
        assert!(DigestName::parse("111122223333_CloudTrail_us-east-1_20150817T1501Z_abc.json.gz").is_none());
        assert!(DigestName::parse("111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_notatime.json.gz").is_none());
    }

    #[test]
    fn parses_log_names() {
        let n = LogName::parse("111122223333_CloudTrail_us-east-1_20150817T1501Z_HUERLu3a4rXsZcV0.json.gz").unwrap();
        assert_eq!(n.region, "us-east-1");
        assert_eq!(n.delivered, Utc.with_ymd_and_hms(2015, 8, 17, 15, 1, 0).unwrap());
    }

    #[test]
    fn keys_are_exact_under_the_bucket_and_tails_below_awslogs() {
        let root = Path::new("/data/bucket");
        let file = root.join("pre/AWSLogs/1/CloudTrail/us-east-1/2026/01/01/x.json.gz");
        assert_eq!(
            object_key(root, &file, false),
            ObjectKey::exact("pre/AWSLogs/1/CloudTrail/us-east-1/2026/01/01/x.json.gz")
        );
        let below = object_key(Path::new("/data/bucket/pre/AWSLogs/1"), &file, true);
        assert_eq!(below.key, "AWSLogs/1/CloudTrail/us-east-1/2026/01/01/x.json.gz");
        assert!(below.is_location_of("pre/AWSLogs/1/CloudTrail/us-east-1/2026/01/01/x.json.gz"));
        assert!(!ObjectKey::exact("AWSLogs/1/x").is_location_of("pre/AWSLogs/1/x"));
    }

    #[test]
    fn classifies_by_folder_then_name() {
        assert_eq!(kind_of("AWSLogs/1/CloudTrail-Digest/us-east-1/2026/01/01/a.json.gz"), FileKind::Digest);
        assert_eq!(kind_of("AWSLogs/1/CloudTrail/us-east-1/2026/01/01/a.json.gz"), FileKind::Log);
        assert_eq!(kind_of("AWSLogs/1/CloudTrail-Insight/us-east-1/2026/01/01/a.json.gz"), FileKind::Other);
        assert_eq!(kind_of("1_CloudTrail_us-east-1_20260101T0000Z_abcdef.json.gz"), FileKind::Log);
        assert_eq!(kind_of("notes.txt"), FileKind::Other);
    }

    #[test]
    fn tail_starts_at_the_last_awslogs() {
        assert_eq!(tail_from_aws_logs("p/AWSLogs/1/x"), "AWSLogs/1/x");
        assert_eq!(tail_from_aws_logs("AWSLogs/1/x"), "AWSLogs/1/x");
        assert_eq!(tail_from_aws_logs("AWSLogs/AWSLogs/1/x"), "AWSLogs/1/x");
    }
}
