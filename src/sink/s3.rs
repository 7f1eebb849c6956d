//! The AWS S3 layout for Insight delivery files:
//! `AWSLogs/<account>/CloudTrail-Insight/<region>/YYYY/MM/DD/
//! <account>_CloudTrail-Insight_<region>_<YYYYMMDDTHHmmZ>_<16 alphanumerics>.json.gz`.
//!
//! Records are grouped per account, region and UTC day of their `eventTime`; each group
//! is one gzip `{"Records":[...]}` file stamped with its latest record's time (a delivery
//! is never earlier than what it holds). The 16-character suffix is derived from the
//! content, so reruns overwrite rather than duplicate.

use super::{to_json, Sink};
use crate::insight::InsightRecord;
use flate2::write::GzEncoder;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Buffers records per (account, region, day) and writes the files on finish.
pub struct S3LayoutSink {
    root: PathBuf,
    groups: BTreeMap<(String, String, String), Vec<(String, Vec<u8>)>>,
}

impl S3LayoutSink {
    pub fn new(root: &Path) -> Self {
        Self { root: root.to_path_buf(), groups: BTreeMap::new() }
    }

    fn write_group(&self, account: &str, region: &str, records: &[(String, Vec<u8>)]) -> io::Result<PathBuf> {
        let latest = records.iter().map(|(t, _)| t.as_str()).max().unwrap_or("");
        let body = body_of(records);
        let path = self.root.join(relative_path(account, region, latest, &body));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut gz = GzEncoder::new(std::fs::File::create(&path)?, flate2::Compression::default());
        gz.write_all(&body)?;
        gz.finish()?.sync_all()?;
        Ok(path)
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

/// `AWSLogs/<account>/CloudTrail-Insight/<region>/YYYY/MM/DD/<name>` for a file whose
/// latest record is at `event_time` (`YYYY-MM-DDTHH:MM:SSZ`).
pub fn relative_path(account: &str, region: &str, event_time: &str, body: &[u8]) -> PathBuf {
    let (date, time) = event_time.split_once('T').unwrap_or((event_time, ""));
    let mut parts = date.splitn(3, '-');
    let (y, m, d) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let hhmm: String = time.chars().filter(char::is_ascii_digit).take(4).collect();
    let name = format!("{account}_CloudTrail-Insight_{region}_{y}{m}{d}T{hhmm}Z_{}.json.gz", suffix(body));
    ["AWSLogs", account, "CloudTrail-Insight", region, y, m, d, &name].iter().collect()
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
        let day = record.event_time.get(..10).unwrap_or("").to_string();
        let key = (record.recipient_account_id.clone(), record.aws_region.clone(), day);
        self.groups.entry(key).or_default().push((record.event_time.clone(), to_json(record)?));
        Ok(())
    }

    fn finish(self: Box<Self>) -> io::Result<()> {
        for ((account, region, _), records) in &self.groups {
            self.write_group(account, region, records)?;
        }
        Ok(())
    }
}
