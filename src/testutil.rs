//! Builders shared by unit tests: compact events without JSON.

use crate::ingest::{Category, Event, FileBatch, FileReport};
use crate::intern::Interner;
use crate::time::Minute;

/// A record as a test describes it; [`batch`] turns a list of them into a file batch.
#[derive(Debug, Clone)]
pub struct Rec {
    pub minute: Minute,
    pub id: u64,
    pub name: &'static str,
    pub source: &'static str,
    pub principal: &'static str,
    pub agent: &'static str,
    pub read_only: bool,
    pub error: Option<&'static str>,
    pub category: Category,
}

/// A successful write call by alice to ec2.
pub fn rec(minute: Minute, id: u64, name: &'static str) -> Rec {
    Rec {
        minute,
        id,
        name,
        source: "ec2.amazonaws.com",
        principal: "arn:aws:iam::111122223333:user/alice",
        agent: "aws-cli",
        read_only: false,
        error: None,
        category: Category::Management,
    }
}

pub fn batch(recs: &[Rec]) -> FileBatch {
    let mut strings = Interner::new();
    let events = recs
        .iter()
        .map(|r| Event {
            minute: r.minute,
            dedup_key: Some(r.id),
            account: strings.intern("111122223333"),
            region: strings.intern("us-east-1"),
            source: strings.intern(r.source),
            name: strings.intern(r.name),
            error: r.error.map(|e| strings.intern(e)),
            principal: strings.intern(r.principal),
            agent: strings.intern(r.agent),
            ip: strings.intern("1.2.3.4"),
            category: r.category,
            read_only: r.read_only,
            read_only_inferred: false,
            calls: 1,
            feeds: None,
        })
        .collect();
    FileBatch { strings, events, report: FileReport::new("test".into()), ..FileBatch::default() }
}

/// `data` as one gzip member.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}
