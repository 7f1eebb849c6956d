//! Broken files planted among the real deliveries to exercise reader robustness.
//!
//! They sit in account 0's `CloudTrail/` folder with real-looking names, so a reader
//! walks into them. Their good records are fresh events (distinct eventIDs, first-day
//! times) that are not part of the main history; labels list how many each file holds.

use std::io::Read as _;

use flate2::read::GzDecoder;
use rand::Rng;
use serde_json::Value;

use super::generate::Event;
use super::labels::Malformed;
use super::account::Account;
use super::principals::Role;
use super::record::{write_json, StreamCtx};
use super::rng::{self, tag, SimRng};
use super::setup::Setup;
use super::timefmt::HOUR;
use super::writer::{event_key, gzip, suffix, write_file};
use super::SimError;

pub(super) const TRUNCATED: &str = "truncated gzip";
pub(super) const NOT_GZIP: &str = "not gzip";
pub(super) const NOT_JSON: &str = "not json";
pub(super) const EMPTY: &str = "empty file";
pub(super) const NOT_CLOUDTRAIL: &str = "not cloudtrail";
pub(super) const BAD_RECORDS: &str = "bad records";

struct Maker<'a> {
    setup: &'a Setup,
    ctx: StreamCtx<'a>,
    rng: SimRng,
    next: i64,
    out: Vec<Malformed>,
}

pub(super) fn write(setup: &Setup, account: &Account) -> Result<Vec<Malformed>, SimError> {
    let mut m = Maker {
        setup,
        ctx: StreamCtx::new(setup, account, 0),
        rng: rng::rng_for(setup.seed, &[tag::MALFORMED]),
        next: setup.start + 4 * HOUR,
        out: Vec::new(),
    };
    m.truncated()?;
    m.raw(
        NOT_GZIP,
        "json.gz",
        b"this object was uploaded without compression\n".to_vec(),
    )?;
    m.raw(
        NOT_JSON,
        "json",
        b"{\"Records\": [ {\"eventVersion\": \"1.08\", \"eventTime\": <<garbled>>\n".to_vec(),
    )?;
    m.raw(EMPTY, "json.gz", Vec::new())?;
    let hello = m.compressed(b"{\"hello\":\"world\"}")?;
    m.raw(NOT_CLOUDTRAIL, "json.gz", hello)?;
    m.bad_records()?;
    Ok(m.out)
}

impl Maker<'_> {
    /// Next real-looking key in the first day's folder, seven minutes apart.
    fn key(&mut self, ext: &str) -> String {
        self.next += 7 * 60;
        let tail = suffix(&mut self.rng);
        event_key(self.setup, 0, self.ctx.region, self.next, &tail, ext)
    }

    fn raw(&mut self, reason: &str, ext: &str, bytes: Vec<u8>) -> Result<(), SimError> {
        self.save(reason, ext, &bytes, 0)
    }

    fn save(&mut self, reason: &str, ext: &str, bytes: &[u8], good: u64) -> Result<(), SimError> {
        let key = self.key(ext);
        write_file(&self.setup.out.join(&key), bytes)?;
        self.out.push(Malformed {
            path: key,
            reason: reason.to_owned(),
            good_records: good,
        });
        Ok(())
    }

    fn compressed(&self, data: &[u8]) -> Result<Vec<u8>, SimError> {
        gzip(data, &self.setup.out)
    }

    /// Routine poller reads from just before the file's delivery time.
    fn events(&mut self, n: usize) -> Vec<Event> {
        let account = self.ctx.account;
        let Some(pi) = account.first(Role::Poller) else {
            return Vec::new();
        };
        let sampler = &account.samplers[pi][0];
        let delivery = self.next + 7 * 60;
        (0..n)
            .filter_map(|_| {
                let api = sampler.pick(self.rng.gen())?;
                let t = delivery - self.rng.gen_range(30..600);
                Some(Event::new(&mut self.rng, t, pi, api, 0))
            })
            .collect()
    }

    fn render(&self, events: &[Event]) -> Result<(Vec<u8>, Vec<usize>), SimError> {
        let (mut json, mut ends) = (Vec::new(), Vec::new());
        write_json(&self.ctx, events.iter(), &mut json, &mut ends).map_err(|source| {
            SimError::Json {
                path: self.setup.out.clone(),
                source,
            }
        })?;
        Ok((json, ends))
    }

    /// A real delivery cut in half; the records before the cut are still readable.
    fn truncated(&mut self) -> Result<(), SimError> {
        let events = self.events(60);
        let (json, ends) = self.render(&events)?;
        let gz = self.compressed(&json)?;
        let cut = &gz[..gz.len() / 2];
        let readable = readable_len(cut);
        let good = ends.iter().filter(|&&e| e <= readable).count() as u64;
        self.save(TRUNCATED, "json.gz", cut, good)
    }

    /// Good records mixed with a record without eventTime, one with an impossible
    /// eventTime, one without eventName and a bare number.
    fn bad_records(&mut self) -> Result<(), SimError> {
        let events = self.events(11);
        let (json, _) = self.render(&events)?;
        let parsed: Value = serde_json::from_slice(&json).map_err(|source| SimError::Json {
            path: self.setup.out.clone(),
            source,
        })?;
        let mut records = match parsed.get("Records") {
            Some(Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        };
        let mut broken: Vec<Value> = records.split_off(records.len().saturating_sub(3));
        if let [no_time, bad_time, no_name] = broken.as_mut_slice() {
            strip(no_time, "eventTime");
            set(bad_time, "eventTime", Value::from("2026-13-45T99:00:00Z"));
            strip(no_name, "eventName");
        }
        let good = records.len() as u64;
        let mut all = records;
        for (i, bad) in broken.into_iter().enumerate() {
            all.insert((2 + 3 * i).min(all.len()), bad);
        }
        all.push(Value::from(42));
        let doc = serde_json::json!({ "Records": all });
        let text = serde_json::to_vec(&doc).map_err(|source| SimError::Json {
            path: self.setup.out.clone(),
            source,
        })?;
        let gz = self.compressed(&text)?;
        self.save(BAD_RECORDS, "json.gz", &gz, good)
    }
}

fn strip(record: &mut Value, field: &str) {
    if let Value::Object(map) = record {
        map.remove(field);
    }
}

fn set(record: &mut Value, field: &str, value: Value) {
    if let Value::Object(map) = record {
        map.insert(field.to_owned(), value);
    }
}

/// How many bytes a streaming gzip reader recovers before the data runs out.
fn readable_len(gz: &[u8]) -> usize {
    let mut dec = GzDecoder::new(gz);
    let mut chunk = [0u8; 8192];
    let mut total = 0;
    while let Ok(n) = dec.read(&mut chunk) {
        if n == 0 {
            break;
        }
        total += n;
    }
    total
}
