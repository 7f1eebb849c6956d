//! The AWS S3 layout for Insight delivery files:
//! `AWSLogs/<account>/CloudTrail-Insight/<region>/YYYY/MM/DD/
//! <account>_CloudTrail-Insight_<region>_<YYYYMMDDTHHmmZ>_<16 alphanumerics>.json.gz`.
//!
//! Records are grouped per account, region and UTC day of their `eventTime`; each group
//! is one gzip `{"Records":[...]}` file stamped with its latest record's time (a delivery
//! is never earlier than what it holds). The 16-character suffix is derived from the
//! content, so an identical re-run writes identical names.
//!
//! Nothing in a record decides a path outside the output folder (SPEC §1): a record
//! whose account is not 12 ASCII digits, whose region is not `[a-z0-9-]{1,32}`, or whose
//! time is not `YYYY-MM-DDTHH:MM:SSZ` is refused, not written, and reported through
//! [`LayoutCommit`](super::LayoutCommit). Ingest refuses such records first; this is the
//! second lock on the same door.
//!
//! Files are staged ([`AtomicFile`]) on `finish` and only renamed into place by
//! [`LayoutCommit::commit`](super::LayoutCommit::commit), which also decides what a
//! re-run into the same folder replaces (see [`outdir`](super::outdir)).

use super::atomic::AtomicFile;
use super::outdir::{LayoutCommit, Staging, StagedLayoutFile};
use super::{to_json, Sink};
use crate::insight::InsightRecord;
use flate2::write::GzEncoder;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Buffers records per (account, region, day) and stages the files on finish.
pub struct S3LayoutSink {
    root: PathBuf,
    groups: Groups,
    staging: Arc<Mutex<Staging>>,
}

/// (account, region, day) of a delivery file.
type FileKey = (String, String, String);
/// (eventTime, JSON) of each record of a delivery file.
type FileRecords = Vec<(String, Vec<u8>)>;

/// Records grouped per delivery file.
#[derive(Default)]
pub(super) struct Groups {
    files: BTreeMap<FileKey, FileRecords>,
    pub(super) refused: Vec<Refused>,
}

/// One delivery file of the layout: its path under the root, and its gzip bytes.
pub(super) struct LayoutFile {
    pub(super) relative: String,
    pub(super) gzip: Vec<u8>,
}

impl Groups {
    /// Files `record` under its delivery file, or refuses it (module doc).
    pub(super) fn add(&mut self, record: &InsightRecord) -> io::Result<()> {
        let (account, region, time) = (&record.recipient_account_id, &record.aws_region, &record.event_time);
        if let Some(reason) = refusal(account, region, time) {
            let refused = Refused { account: account.clone(), region: region.clone(), event_time: time.clone(), reason };
            self.refused.push(refused);
            return Ok(());
        }
        let day = time.get(..10).unwrap_or("").to_string();
        let key = (account.clone(), region.clone(), day);
        self.files.entry(key).or_default().push((time.clone(), to_json(record)?));
        Ok(())
    }

    /// The delivery files, in path order.
    pub(super) fn render(&self) -> io::Result<Vec<LayoutFile>> {
        self.files.iter().map(|((account, region, _), records)| render_file(account, region, records)).collect()
    }
}

fn render_file(account: &str, region: &str, records: &[(String, Vec<u8>)]) -> io::Result<LayoutFile> {
    let latest = records.iter().map(|(t, _)| t.as_str()).max().unwrap_or("");
    let body = body_of(records);
    // Checked per record on add; a group only holds records that passed.
    let relative = relative_path(account, region, latest, &body).map_err(io::Error::other)?;
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&body)?;
    Ok(LayoutFile { relative, gzip: gz.finish()? })
}

/// An Insight record the layout cannot place: a value that is not a safe path part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub account: String,
    pub region: String,
    pub event_time: String,
    pub reason: &'static str,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug quoting: the values are input, and may hold control characters.
        write!(
            f,
            "Insight record (account {:?}, region {:?}, eventTime {:?}) not written: {}",
            self.account, self.region, self.event_time, self.reason
        )
    }
}

impl S3LayoutSink {
    /// A sink writing under `root` (which must exist), and the handle that commits
    /// what it wrote once the run has succeeded.
    pub fn open(root: &Path) -> io::Result<(Self, LayoutCommit)> {
        let (commit, staging) = LayoutCommit::new(root)?;
        let sink = Self { root: root.to_path_buf(), groups: Groups::default(), staging };
        Ok((sink, commit))
    }

    fn stage_file(&self, layout: LayoutFile) -> io::Result<StagedLayoutFile> {
        let path = super::outdir::real_folders(&self.root, &layout.relative)?;
        let mut file = AtomicFile::create(&path)?;
        file.write_all(&layout.gzip)?;
        Ok(StagedLayoutFile { relative: layout.relative, sha256: sha256_hex(&layout.gzip), file })
    }
}

fn body_of(records: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut body = b"{\"Records\":[".to_vec();
    for (i, (_, json)) in records.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(json);
    }
    body.extend_from_slice(b"]}");
    body
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

/// True for an AWS account id: exactly 12 ASCII digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// True for a region name that is safe as a path part: `[a-z0-9-]{1,32}`.
pub fn is_region_name(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn all_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// Why `account`, `region` and `event_time` cannot name a layout file, if they cannot.
fn refusal(account: &str, region: &str, event_time: &str) -> Option<&'static str> {
    if !is_account_id(account) {
        return Some("recipientAccountId is not 12 digits");
    }
    if !is_region_name(region) {
        return Some("awsRegion is not 1-32 lowercase letters, digits and dashes");
    }
    stamp_parts(event_time).is_none().then_some("eventTime is not YYYY-MM-DDTHH:MM:SSZ")
}

/// `(YYYY, MM, DD, HHmm)` of a `YYYY-MM-DDTHH:MM:SSZ` time, every part digits.
fn stamp_parts(event_time: &str) -> Option<(&str, &str, &str, String)> {
    let b = event_time.as_bytes();
    let shaped = b.len() == 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[16] == b':' && b[19] == b'Z';
    if !shaped {
        return None;
    }
    let (y, m, d) = (&event_time[0..4], &event_time[5..7], &event_time[8..10]);
    let (hh, mm, ss) = (&event_time[11..13], &event_time[14..16], &event_time[17..19]);
    let digits = all_digits(y, 4) && [m, d, hh, mm, ss].iter().all(|p| all_digits(p, 2));
    digits.then(|| (y, m, d, format!("{hh}{mm}")))
}

/// `AWSLogs/<account>/CloudTrail-Insight/<region>/YYYY/MM/DD/<name>` for a file whose
/// latest record is at `event_time`, or why these values cannot name a file.
pub fn relative_path(account: &str, region: &str, event_time: &str, body: &[u8]) -> Result<String, &'static str> {
    if let Some(why) = refusal(account, region, event_time) {
        return Err(why);
    }
    let (y, m, d, hhmm) = stamp_parts(event_time).ok_or("eventTime is not YYYY-MM-DDTHH:MM:SSZ")?;
    let name = format!("{account}_CloudTrail-Insight_{region}_{y}{m}{d}T{hhmm}Z_{}.json.gz", suffix(body));
    Ok(["AWSLogs", account, "CloudTrail-Insight", region, y, m, d, &name].join("/"))
}

/// True when `relative` has exactly the shape [`relative_path`] makes, so that a path
/// read back (from a manifest) can never reach outside the output folder.
pub fn is_layout_path(relative: &str) -> bool {
    let parts: Vec<&str> = relative.split('/').collect();
    let [aws_logs, account, kind, region, y, m, d, name] = parts[..] else { return false };
    let prefix = format!("{account}_CloudTrail-Insight_{region}_");
    aws_logs == "AWSLogs"
        && kind == "CloudTrail-Insight"
        && is_account_id(account)
        && is_region_name(region)
        && all_digits(y, 4)
        && all_digits(m, 2)
        && all_digits(d, 2)
        && name.starts_with(&prefix)
        && name.ends_with(".json.gz")
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

/// 16 alphanumerics derived from the content.
fn suffix(body: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    let mut x = h.finish();
    (0..16)
        .map(|i| {
            if i == 8 {
                let mut h2 = std::collections::hash_map::DefaultHasher::new();
                (x, body.len()).hash(&mut h2);
                x = h2.finish();
            }
            let c = ALPHABET[(x % ALPHABET.len() as u64) as usize];
            x /= ALPHABET.len() as u64;
            c as char
        })
        .collect()
}

impl Sink for S3LayoutSink {
    fn write(&mut self, record: &InsightRecord) -> io::Result<()> {
        self.groups.add(record)
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        let staged = self.groups.render()?.into_iter().map(|f| self.stage_file(f)).collect::<io::Result<Vec<_>>>()?;
        let refused = std::mem::take(&mut self.groups.refused);
        let mut staging = self.staging.lock().map_err(|_| io::Error::other("the output handle panicked"))?;
        staging.files = staged;
        staging.refused = refused;
        staging.finished = true;
        Ok(())
    }
}
