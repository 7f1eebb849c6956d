//! A realistic signed CloudTrail digest chain on disk (digests and log files in the real
//! S3 layout, gzip, SHA256withRSA signatures, `KEYS.json` and `SIGS.json`), for the
//! integrity scenarios and the end-to-end tests of `validate-logs` and `detect --verify`.
//!
//! Test support only: it lives in `tests/` so the shipped library carries none of it. It
//! holds no key material (the test keys are read at run time from
//! `tests/fixtures/integrity/`).
//!
//! The signing side is written from the AWS description, independently of the
//! validating side, so a test compares two readings of the spec rather than one
//! reading with itself.

use trailsight::integrity::ValidateOptions;
use base64::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use flate2::write::GzEncoder;
use ring::digest::{digest, SHA256};
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Fingerprint given to the test signing key (MD5 of its PKCS#1 DER, as openssl
/// computes it; trailsight only matches fingerprints, it never recomputes them).
pub const SIGNING_FINGERPRINT: &str = "2b7500c495b66a1ccd314945c1ac3f79";
/// Fingerprint of the second ("wrong") test key.
pub const WRONG_FINGERPRINT: &str = "920fb899b98890777c8483a11c4e6e27";

/// Where the test keys live: `tests/fixtures/integrity/` of the crate.
pub fn fixtures_dir() -> PathBuf {
    super::fixtures().join("integrity")
}

/// A test RSA key pair: PKCS#8 DER private key (what ring signs with) and PKCS#1 DER
/// public key (what CloudTrail publishes).
#[derive(Debug, Clone)]
pub struct TestKey {
    pub fingerprint: String,
    pub pkcs8: Vec<u8>,
    pub public_pkcs1_der: Vec<u8>,
}

impl TestKey {
    /// Reads `<stem>-key.pk8` and `<stem>-public.der` from `dir`.
    pub fn load(dir: &Path, stem: &str, fingerprint: &str) -> io::Result<Self> {
        Ok(Self {
            fingerprint: fingerprint.to_string(),
            pkcs8: std::fs::read(dir.join(format!("{stem}-key.pk8")))?,
            public_pkcs1_der: std::fs::read(dir.join(format!("{stem}-public.der")))?,
        })
    }

    /// The key CloudTrail "signs" the test chains with.
    pub fn signing() -> io::Result<Self> {
        Self::load(&fixtures_dir(), "signing", SIGNING_FINGERPRINT)
    }

    /// Another key, for signatures made by someone else.
    pub fn wrong() -> io::Result<Self> {
        Self::load(&fixtures_dir(), "wrong", WRONG_FINGERPRINT)
    }

    /// Hex SHA256withRSA (PKCS#1 v1.5) signature of `message`.
    pub fn sign_hex(&self, message: &[u8]) -> io::Result<String> {
        let pair = RsaKeyPair::from_pkcs8(&self.pkcs8).map_err(|e| invalid(e.to_string()))?;
        let mut signature = vec![0u8; pair.public().modulus_len()];
        pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut signature)
            .map_err(|_| invalid("signing failed".to_string()))?;
        Ok(hex::encode(signature))
    }

    /// This key as an entry of `list-public-keys` output.
    pub fn to_list_entry(&self) -> serde_json::Value {
        json!({
            "Value": base64::engine::general_purpose::STANDARD.encode(&self.public_pkcs1_der),
            "ValidityStartTime": "2026-01-01T00:00:00+00:00",
            "ValidityEndTime": "2027-01-01T00:00:00+00:00",
            "Fingerprint": self.fingerprint,
        })
    }
}

/// What chain to build.
#[derive(Debug, Clone)]
pub struct ChainSpec {
    pub bucket: String,
    pub account: String,
    pub region: String,
    pub trail: String,
    pub home_region: String,
    /// End time of the first (oldest) digest.
    pub first_end: DateTime<Utc>,
    /// Number of hourly digests.
    pub hours: usize,
    pub logs_per_hour: usize,
    /// Digests that start the chain again, with no previous digest, as after
    /// validation was turned off for a while and on again. Digest 0 always does.
    pub restarts: Vec<Restart>,
}

/// A restart of the chain at digest `at`, after `paused_hours` without digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restart {
    pub at: usize,
    pub paused_hours: i64,
}

impl Default for ChainSpec {
    fn default() -> Self {
        Self {
            bucket: "trailsight-test-trail-bucket".to_string(),
            account: "111122223333".to_string(),
            region: "us-east-1".to_string(),
            trail: "management-events".to_string(),
            home_region: "us-east-1".to_string(),
            first_end: Utc.with_ymd_and_hms(2026, 3, 2, 1, 14, 7).single().unwrap_or_default(),
            hours: 6,
            logs_per_hour: 2,
            restarts: Vec::new(),
        }
    }
}

/// A log file written by the builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltLog {
    pub key: String,
    pub path: PathBuf,
    pub delivered: DateTime<Utc>,
}

/// A digest written by the builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltDigest {
    pub key: String,
    pub path: PathBuf,
    /// Hex signature (the S3 `signature` metadata).
    pub signature: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub log_files: Vec<BuiltLog>,
}

/// A chain on disk, with the files a validation needs.
#[derive(Debug, Clone)]
pub struct BuiltChain {
    /// The folder that stands for the bucket.
    pub root: PathBuf,
    pub spec: ChainSpec,
    /// Oldest first.
    pub digests: Vec<BuiltDigest>,
    pub keys_json: PathBuf,
    pub signatures_json: PathBuf,
    /// What `signatures_json` holds.
    pub signatures: BTreeMap<String, String>,
}

impl BuiltChain {
    /// Runs `trailsight validate-logs` on the chain with its keys and signatures.
    pub fn validate(&self, extra: &[&str]) -> std::process::Output {
        super::trailsight()
            .arg("validate-logs")
            .arg(&self.root)
            .arg("--public-keys")
            .arg(&self.keys_json)
            .arg("--signatures")
            .arg(&self.signatures_json)
            .args(extra)
            .output()
            .expect("the trailsight binary runs")
    }

    /// Options that validate this chain with its keys and signatures files.
    pub fn options(&self) -> ValidateOptions {
        ValidateOptions {
            public_keys: self.keys_json.clone(),
            signatures: Some(self.signatures_json.clone()),
            from: None,
            to: None,
        }
    }

    /// All log files of the chain, oldest first.
    pub fn log_files(&self) -> impl Iterator<Item = &BuiltLog> {
        self.digests.iter().flat_map(|d| d.log_files.iter())
    }

    /// Sets (or with `None` removes) the signature of the digest at `key` and rewrites
    /// the signatures file.
    pub fn set_signature(&mut self, key: &str, signature: Option<String>) -> io::Result<()> {
        match signature {
            Some(s) => self.signatures.insert(key.to_string(), s),
            None => self.signatures.remove(key),
        };
        write_json(&self.signatures_json, &self.signatures)
    }
}

/// Writes a chain of `spec.hours` hourly digests under `root` (the bucket folder),
/// each listing `spec.logs_per_hour` log files, signed with `key`; writes `KEYS.json`
/// (holding `key`) and `SIGS.json` beside `root`.
pub fn build_chain(root: &Path, spec: &ChainSpec, key: &TestKey) -> io::Result<BuiltChain> {
    let mut digests: Vec<BuiltDigest> = Vec::with_capacity(spec.hours);
    let mut end = spec.first_end;
    for hour in 0..spec.hours {
        let restart = spec.restarts.iter().find(|r| r.at == hour);
        if hour > 0 {
            end += Duration::hours(1 + restart.map_or(0, |r| r.paused_hours));
        }
        let logs = (0..spec.logs_per_hour)
            .map(|n| {
                write_log_file(
                    root,
                    &spec.account,
                    &spec.region,
                    log_time(end, n, spec.logs_per_hour),
                    &unique(&spec.region, hour, n),
                )
            })
            .collect::<io::Result<Vec<_>>>()?;
        let previous = digests.last().filter(|_| restart.is_none());
        let digest = write_digest(root, spec, key, end, logs, previous)?;
        digests.push(digest);
    }
    let parent = root.parent().unwrap_or(root);
    let keys_json = parent.join("KEYS.json");
    write_json(&keys_json, &json!({ "PublicKeyList": [key.to_list_entry()] }))?;
    let signatures: BTreeMap<String, String> = digests.iter().map(|d| (d.key.clone(), d.signature.clone())).collect();
    let signatures_json = parent.join("SIGS.json");
    write_json(&signatures_json, &signatures)?;
    Ok(BuiltChain { root: root.to_path_buf(), spec: spec.clone(), digests, keys_json, signatures_json, signatures })
}

/// Delivery time of the `n`-th of `count` log files in the hour ending at `end`.
fn log_time(end: DateTime<Utc>, n: usize, count: usize) -> DateTime<Utc> {
    let start = end - Duration::hours(1);
    let minute = (n as i64 + 1) * 60 / (count as i64 + 1);
    let t = start + Duration::minutes(minute);
    t - Duration::seconds(i64::from(chrono::Timelike::second(&t)))
}

/// 16 alphanumerics, like the random part of a delivery file name.
fn unique(region: &str, hour: usize, n: usize) -> String {
    let h = hex::encode(digest(&SHA256, format!("{region}/{hour}/{n}").as_bytes()));
    h.chars().take(16).collect()
}

/// Writes a gzip log file `{"Records":[...]}` of two management events in the layout
/// `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz`.
pub fn write_log_file(
    root: &Path,
    account: &str,
    region: &str,
    delivered: DateTime<Utc>,
    unique: &str,
) -> io::Result<BuiltLog> {
    let key = format!(
        "AWSLogs/{account}/CloudTrail/{region}/{}/{account}_CloudTrail_{region}_{}_{unique}.json.gz",
        delivered.format("%Y/%m/%d"),
        delivered.format("%Y%m%dT%H%MZ"),
    );
    let records: Vec<serde_json::Value> =
        (0..2).map(|i| record(account, region, delivered - Duration::minutes(3 + i), unique, i)).collect();
    let body = serde_json::to_vec(&json!({ "Records": records })).map_err(io::Error::from)?;
    let path = root.join(&key);
    write_gz(&path, &body)?;
    Ok(BuiltLog { key, path, delivered })
}

fn record(account: &str, region: &str, time: DateTime<Utc>, unique: &str, i: i64) -> serde_json::Value {
    let id = hex::encode(digest(&SHA256, format!("{unique}/{i}").as_bytes()));
    let uuid = format!("{}-{}-{}-{}-{}", &id[0..8], &id[8..12], &id[12..16], &id[16..20], &id[20..32]);
    json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEPRINCIPAL",
            "arn": format!("arn:aws:iam::{account}:user/alice"),
            "accountId": account,
            "userName": "alice"
        },
        "eventTime": time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "eventSource": "ec2.amazonaws.com",
        "eventName": if i == 0 { "RunInstances" } else { "DescribeInstances" },
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": null,
        "responseElements": null,
        "requestID": uuid,
        "eventID": uuid,
        "readOnly": i != 0,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": account,
        "eventCategory": "Management"
    })
}

/// The fields of a digest file, in the order CloudTrail writes them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DigestDoc<'a> {
    aws_account_id: &'a str,
    digest_start_time: String,
    digest_end_time: String,
    digest_s3_bucket: &'a str,
    digest_s3_object: &'a str,
    digest_public_key_fingerprint: &'a str,
    digest_signature_algorithm: &'a str,
    newest_event_time: Option<String>,
    oldest_event_time: Option<String>,
    previous_digest_s3_bucket: Option<&'a str>,
    previous_digest_s3_object: Option<&'a str>,
    previous_digest_hash_value: Option<String>,
    previous_digest_hash_algorithm: Option<&'a str>,
    previous_digest_signature: Option<&'a str>,
    log_files: Vec<LogEntryDoc<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogEntryDoc<'a> {
    s3_bucket: &'a str,
    s3_object: &'a str,
    hash_value: String,
    hash_algorithm: &'a str,
    newest_event_time: String,
    oldest_event_time: String,
}

/// The key of the digest ending at `end`:
/// `AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<account>_CloudTrail-Digest_<region>_<trail>_<home-region>_<YYYYMMDDTHHMMSSZ>.json.gz`.
pub fn digest_key(spec: &ChainSpec, end: DateTime<Utc>) -> String {
    let (account, region) = (&spec.account, &spec.region);
    format!(
        "AWSLogs/{account}/CloudTrail-Digest/{region}/{}/{account}_CloudTrail-Digest_{region}_{}_{}_{}.json.gz",
        end.format("%Y/%m/%d"),
        spec.trail,
        spec.home_region,
        end.format("%Y%m%dT%H%M%SZ"),
    )
}

fn write_digest(
    root: &Path,
    spec: &ChainSpec,
    key: &TestKey,
    end: DateTime<Utc>,
    logs: Vec<BuiltLog>,
    previous: Option<&BuiltDigest>,
) -> io::Result<BuiltDigest> {
    let start = end - Duration::hours(1);
    let object = digest_key(spec, end);
    let entries = logs.iter().map(|l| log_entry(&spec.bucket, l)).collect::<io::Result<Vec<_>>>()?;
    let doc = DigestDoc {
        aws_account_id: &spec.account,
        digest_start_time: time_text(start),
        digest_end_time: time_text(end),
        digest_s3_bucket: &spec.bucket,
        digest_s3_object: &object,
        digest_public_key_fingerprint: &key.fingerprint,
        digest_signature_algorithm: "SHA256withRSA",
        newest_event_time: logs.iter().map(|l| l.delivered - Duration::minutes(3)).max().map(time_text),
        oldest_event_time: logs.iter().map(|l| l.delivered - Duration::minutes(4)).min().map(time_text),
        previous_digest_s3_bucket: previous.map(|_| spec.bucket.as_str()),
        previous_digest_s3_object: previous.map(|p| p.key.as_str()),
        previous_digest_hash_value: previous.map(|p| uncompressed_sha256(&p.path)).transpose()?,
        previous_digest_hash_algorithm: previous.map(|_| "SHA-256"),
        previous_digest_signature: previous.map(|p| p.signature.as_str()),
        log_files: entries,
    };
    let body = serde_json::to_vec(&doc).map_err(io::Error::from)?;
    let path = root.join(&object);
    write_gz(&path, &body)?;
    let signature = sign_digest(key, &body, &spec.bucket, &object, end, previous.map(|p| p.signature.as_str()))?;
    Ok(BuiltDigest { key: object, path, signature, start, end, log_files: logs })
}

/// Signs a digest as CloudTrail does (AWS): SHA256withRSA over
/// `digestEndTime \n bucket/object \n hex SHA-256 of the uncompressed digest \n
/// previous signature or "null"`.
pub fn sign_digest(
    key: &TestKey,
    uncompressed: &[u8],
    bucket: &str,
    object: &str,
    end: DateTime<Utc>,
    previous_signature: Option<&str>,
) -> io::Result<String> {
    let hash = hex::encode(digest(&SHA256, uncompressed));
    let to_sign = format!("{}\n{bucket}/{object}\n{hash}\n{}", time_text(end), previous_signature.unwrap_or("null"));
    key.sign_hex(to_sign.as_bytes())
}

fn log_entry<'a>(bucket: &'a str, log: &'a BuiltLog) -> io::Result<LogEntryDoc<'a>> {
    Ok(LogEntryDoc {
        s3_bucket: bucket,
        s3_object: &log.key,
        hash_value: uncompressed_sha256(&log.path)?,
        hash_algorithm: "SHA-256",
        newest_event_time: time_text(log.delivered - Duration::minutes(3)),
        oldest_event_time: time_text(log.delivered - Duration::minutes(4)),
    })
}

fn time_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(digest(&SHA256, bytes))
}

/// Hex SHA-256 of a gzip file's uncompressed bytes.
pub fn uncompressed_sha256(path: &Path) -> io::Result<String> {
    Ok(sha256_hex(&read_gz(path)?))
}

/// Reads and gunzips a file.
pub fn read_gz(path: &Path) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    io::Read::read_to_end(&mut flate2::read::GzDecoder::new(std::fs::File::open(path)?), &mut out)?;
    Ok(out)
}

/// Gzips `bytes` into `path`, creating its folders.
pub fn write_gz(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes)?;
    std::fs::write(path, enc.finish()?)
}

fn write_json(path: &Path, value: &impl Serialize) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::from)?;
    std::fs::write(path, text + "\n")
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}
