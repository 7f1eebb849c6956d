//! A digest file's content (AWS): what it vouches for and how it links to the previous
//! digest, and the exact string CloudTrail signed.
//!
//! Parsing is deliberately forgiving of what validation does not use and strict about
//! what it does: a field the signature or the chain depends on that is missing or of the
//! wrong type makes the digest "invalid format", with the field named, never a panic.

use super::layout::parse_time;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// The only signature algorithm CloudTrail uses for digests (AWS).
pub const SIGNATURE_ALGORITHM: &str = "SHA256withRSA";
/// The only hash algorithm CloudTrail uses for log files and digests (AWS).
pub const HASH_ALGORITHM: &str = "SHA-256";

/// The fields of a digest file that validation relies on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub account: Option<String>,
    /// `digestStartTime` as written (the signed string uses the text, not a re-format).
    pub start_time: DateTime<Utc>,
    pub end_time_text: String,
    pub end_time: DateTime<Utc>,
    pub bucket: String,
    pub object: String,
    pub fingerprint: String,
    /// `digestSignatureAlgorithm`; absent in no digest AWS has delivered, but not
    /// needed to verify, so tolerated.
    pub algorithm: Option<String>,
    /// The link to the previous digest; `None` for the first digest of a chain.
    pub previous: Option<PreviousDigest>,
    pub log_files: Vec<LogFileEntry>,
}

/// What a digest records about the digest before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousDigest {
    pub bucket: String,
    pub object: String,
    pub hash_value: String,
    pub hash_algorithm: Option<String>,
    pub signature: String,
}

/// One log file a digest lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFileEntry {
    pub bucket: String,
    pub object: String,
    pub hash_value: String,
    pub hash_algorithm: Option<String>,
}

/// Why a digest's content is not a usable digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatProblem {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a JSON object")]
    NotAnObject,
    #[error("missing field {0}")]
    Missing(&'static str),
    #[error("field {0} is not {1}")]
    WrongType(&'static str, &'static str),
    #[error("field {0} is not a time: {1}")]
    BadTime(&'static str, String),
    #[error("logFiles[{index}]: {problem}")]
    LogFile { index: usize, problem: Box<FormatProblem> },
}

impl Digest {
    /// Parses the uncompressed bytes of a digest file.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatProblem> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| FormatProblem::NotJson(e.to_string()))?;
        let obj = value.as_object().ok_or(FormatProblem::NotAnObject)?;
        let end_time_text = required_str(obj, "digestEndTime")?.to_string();
        Ok(Self {
            account: optional_str(obj, "awsAccountId")?.map(str::to_string),
            start_time: required_time(obj, "digestStartTime")?,
            end_time: time_of("digestEndTime", &end_time_text)?,
            end_time_text,
            bucket: required_str(obj, "digestS3Bucket")?.to_string(),
            object: required_str(obj, "digestS3Object")?.to_string(),
            fingerprint: required_str(obj, "digestPublicKeyFingerprint")?.to_string(),
            algorithm: optional_str(obj, "digestSignatureAlgorithm")?.map(str::to_string),
            previous: previous_of(obj)?,
            log_files: log_files_of(obj)?,
        })
    }

    /// The string CloudTrail signed (AWS): four lines joined by `\n`, the last being the
    /// previous digest's signature or the literal `null` for the first digest of a
    /// chain. `digest_sha256_hex` is the hash of this digest's uncompressed bytes.
    pub fn string_to_sign(&self, digest_sha256_hex: &str) -> String {
        let previous = self.previous.as_ref().map_or("null", |p| p.signature.as_str());
        format!("{}\n{}/{}\n{}\n{}", self.end_time_text, self.bucket, self.object, digest_sha256_hex, previous)
    }
}

/// The previous-digest link. AWS requires the key `previousDigestSignature` to be
/// present (null on the first digest); the rest is read only when it is not null.
fn previous_of(obj: &Map<String, Value>) -> Result<Option<PreviousDigest>, FormatProblem> {
    let signature = match obj.get("previousDigestSignature") {
        None => return Err(FormatProblem::Missing("previousDigestSignature")),
        Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(FormatProblem::WrongType("previousDigestSignature", "a string")),
    };
    Ok(Some(PreviousDigest {
        bucket: required_str(obj, "previousDigestS3Bucket")?.to_string(),
        object: required_str(obj, "previousDigestS3Object")?.to_string(),
        hash_value: required_str(obj, "previousDigestHashValue")?.to_string(),
        hash_algorithm: optional_str(obj, "previousDigestHashAlgorithm")?.map(str::to_string),
        signature,
    }))
}

fn log_files_of(obj: &Map<String, Value>) -> Result<Vec<LogFileEntry>, FormatProblem> {
    let list = match obj.get("logFiles") {
        None => return Err(FormatProblem::Missing("logFiles")),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(FormatProblem::WrongType("logFiles", "a list")),
    };
    list.iter()
        .enumerate()
        .map(|(index, entry)| log_file_of(entry).map_err(|p| FormatProblem::LogFile { index, problem: Box::new(p) }))
        .collect()
}

fn log_file_of(entry: &Value) -> Result<LogFileEntry, FormatProblem> {
    let obj = entry.as_object().ok_or(FormatProblem::NotAnObject)?;
    Ok(LogFileEntry {
        bucket: required_str(obj, "s3Bucket")?.to_string(),
        object: required_str(obj, "s3Object")?.to_string(),
        hash_value: required_str(obj, "hashValue")?.to_string(),
        hash_algorithm: optional_str(obj, "hashAlgorithm")?.map(str::to_string),
    })
}

fn required_str<'a>(obj: &'a Map<String, Value>, field: &'static str) -> Result<&'a str, FormatProblem> {
    optional_str(obj, field)?.ok_or(FormatProblem::Missing(field))
}

fn optional_str<'a>(obj: &'a Map<String, Value>, field: &'static str) -> Result<Option<&'a str>, FormatProblem> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(FormatProblem::WrongType(field, "a string")),
    }
}

fn required_time(obj: &Map<String, Value>, field: &'static str) -> Result<DateTime<Utc>, FormatProblem> {
    time_of(field, required_str(obj, field)?)
}

fn time_of(field: &'static str, text: &str) -> Result<DateTime<Utc>, FormatProblem> {
    parse_time(text).ok_or_else(|| FormatProblem::BadTime(field, text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample digest from the AWS CloudTrail User Guide, trimmed to one log file.
    const AWS_SAMPLE: &str = r#"{
      "awsAccountId": "111122223333",
      "digestStartTime": "2015-08-17T14:01:31Z",
      "digestEndTime": "2015-08-17T15:01:31Z",
      "digestS3Bucket": "amzn-s3-demo-bucket",
      "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz",
      "digestPublicKeyFingerprint": "31e8b5433410dfb61a9dc45cc65b22ff",
      "digestSignatureAlgorithm": "SHA256withRSA",
      "newestEventTime": "2015-08-17T14:52:27Z",
      "oldestEventTime": "2015-08-17T14:42:27Z",
      "previousDigestS3Bucket": "amzn-s3-demo-bucket",
      "previousDigestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T140131Z.json.gz",
      "previousDigestHashValue": "97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d",
      "previousDigestHashAlgorithm": "SHA-256",
      "previousDigestSignature": "50887ccffad4c002b97caa37cc9dc626e3c680207d41d27fa5835458e066e0d3",
      "logFiles": [{
        "s3Bucket": "amzn-s3-demo-bucket",
        "s3Object": "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz",
        "hashValue": "9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6",
        "hashAlgorithm": "SHA-256",
        "newestEventTime": "2015-08-17T14:52:27Z",
        "oldestEventTime": "2015-08-17T14:42:27Z"
      }]
    }"#;

    #[test]
    fn parses_the_aws_sample() {
        let d = Digest::parse(AWS_SAMPLE.as_bytes()).unwrap();
        assert_eq!(d.fingerprint, "31e8b5433410dfb61a9dc45cc65b22ff");
        assert_eq!(
            d.previous.as_ref().unwrap().hash_value,
            "97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d"
        );
        assert_eq!(d.log_files.len(), 1);
        assert_eq!(d.log_files[0].hash_algorithm.as_deref(), Some(HASH_ALGORITHM));
    }

    #[test]
    fn signs_four_lines_with_the_previous_signature() {
        let d = Digest::parse(AWS_SAMPLE.as_bytes()).unwrap();
        let s = d.string_to_sign("abc123");
        let lines: Vec<&str> = s.split('\n').collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], "2015-08-17T15:01:31Z");
        assert!(lines[1].starts_with("amzn-s3-demo-bucket/AWSLogs/111122223333/CloudTrail-Digest/"));
        assert_eq!(lines[2], "abc123");
        assert_eq!(lines[3], "50887ccffad4c002b97caa37cc9dc626e3c680207d41d27fa5835458e066e0d3");
    }

    #[test]
    fn the_first_digest_of_a_chain_signs_the_literal_null() {
        let mut v: Value = serde_json::from_str(AWS_SAMPLE).unwrap();
        for f in [
            "previousDigestS3Bucket",
            "previousDigestS3Object",
            "previousDigestHashValue",
            "previousDigestHashAlgorithm",
            "previousDigestSignature",
        ] {
            v[f] = Value::Null;
        }
        let d = Digest::parse(v.to_string().as_bytes()).unwrap();
        assert!(d.previous.is_none());
        assert!(d.string_to_sign("h").ends_with("\nh\nnull"));
    }

    #[test]
    fn names_what_is_wrong_with_a_bad_digest() {
        assert!(matches!(Digest::parse(b"{\"a\":"), Err(FormatProblem::NotJson(_))));
        assert_eq!(Digest::parse(b"[]"), Err(FormatProblem::NotAnObject));
        let mut v: Value = serde_json::from_str(AWS_SAMPLE).unwrap();
        v.as_object_mut().unwrap().remove("previousDigestSignature");
        assert_eq!(Digest::parse(v.to_string().as_bytes()), Err(FormatProblem::Missing("previousDigestSignature")));
        let mut v: Value = serde_json::from_str(AWS_SAMPLE).unwrap();
        v["digestEndTime"] = Value::from(5);
        assert_eq!(Digest::parse(v.to_string().as_bytes()), Err(FormatProblem::WrongType("digestEndTime", "a string")));
        let mut v: Value = serde_json::from_str(AWS_SAMPLE).unwrap();
        v["logFiles"][0].as_object_mut().unwrap().remove("hashValue");
        assert_eq!(
            Digest::parse(v.to_string().as_bytes()).unwrap_err().to_string(),
            "logFiles[0]: missing field hashValue"
        );
    }
}
