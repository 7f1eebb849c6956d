//! Delivery: how CloudTrail batches records into S3 objects, and the file writing.
//!
//! A trail delivers about every five minutes per account and region; each object holds
//! records from the previous 5-15 minutes in no particular order, ~1% of records arrive
//! 30 minutes to 6 hours late, and the folder and name use the delivery time. Some
//! objects are delivered twice, and during the duplicate window a second trail writes
//! the same records under its own prefix.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use flate2::write::GzEncoder;
use flate2::Compression;
use rand::seq::SliceRandom;
use rand::Rng;
use rayon::prelude::*;

use super::generate::Event;
use super::record::{self, StreamCtx};
use super::rng::{self, tag, SimRng};
use super::setup::Setup;
use super::timefmt::{date_dir, file_minute, HOUR};
use super::SimError;

const LATE_SHARE: f64 = 0.01;
const REDELIVERY_SHARE: f64 = 0.002;
/// Prefix of the second trail that re-delivers during the duplicate window.
pub(super) const SECOND_TRAIL: &str = "second-trail";

pub(super) fn create_dir(path: &Path) -> Result<(), SimError> {
    fs::create_dir_all(path).map_err(|source| SimError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Write `bytes` to `path`, creating parent folders.
pub(super) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), SimError> {
    if let Some(parent) = path.parent() {
        create_dir(parent)?;
    }
    fs::write(path, bytes).map_err(|source| SimError::Io {
        path: path.to_path_buf(),
        source,
    })
}

pub(super) fn gzip(data: &[u8], path: &Path) -> Result<Vec<u8>, SimError> {
    let io = |source| SimError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 6 + 64), Compression::fast());
    enc.write_all(data).map_err(io)?;
    enc.finish().map_err(io)
}

/// The 16-character random tail AWS puts on every log object name.
pub(super) fn suffix(rng: &mut SimRng) -> String {
    rng::chars(rng, 16, rng::ALNUM)
}

/// Relative key of an event log object delivered at `t`.
pub(super) fn event_key(
    setup: &Setup,
    account: usize,
    region: &str,
    t: i64,
    tail: &str,
    ext: &str,
) -> String {
    let id = &setup.accounts[account];
    format!(
        "{}/CloudTrail/{region}/{}/{id}_CloudTrail_{region}_{}_{tail}.{ext}",
        setup.prefix(account),
        date_dir(t),
        file_minute(t)
    )
}

/// Counters over all streams, plus the delivered keys digests refer to.
#[derive(Default)]
pub(super) struct Totals {
    pub files: usize,
    pub records: u64,
    pub duplicates: u64,
    /// (account, region, delivery time, key) of every primary delivery.
    pub keys: Vec<(usize, usize, i64, String)>,
}

impl Totals {
    pub(super) fn add(&mut self, account: usize, region: usize, out: StreamOutput) {
        self.files += out.files;
        self.records += out.records;
        self.duplicates += out.duplicates;
        self.keys
            .extend(out.keys.into_iter().map(|(t, k)| (account, region, t, k)));
    }
}

pub(super) struct StreamOutput {
    files: usize,
    records: u64,
    duplicates: u64,
    keys: Vec<(i64, String)>,
}

struct FilePlan {
    time: i64,
    members: Vec<u32>,
    /// Primary key first, then verbatim copies.
    keys: Vec<String>,
}

/// Deliver one stream's events and write its files in parallel.
pub(super) fn deliver(
    setup: &Setup,
    ctx: &StreamCtx,
    events: &[Event],
    dup: Option<(i64, i64)>,
) -> Result<StreamOutput, SimError> {
    let plans = plan_files(setup, ctx, events, dup);
    plans
        .par_iter()
        .map_init(Buffers::default, |buf, plan| {
            write_plan(setup, ctx, events, plan, buf)
        })
        .collect::<Result<Vec<()>, SimError>>()?;
    let mut out = StreamOutput {
        files: 0,
        records: events.len() as u64,
        duplicates: 0,
        keys: Vec::new(),
    };
    for plan in plans {
        out.files += plan.keys.len();
        out.duplicates += plan.members.len() as u64 * (plan.keys.len() as u64 - 1);
        if let Some(key) = plan.keys.into_iter().next() {
            out.keys.push((plan.time, key));
        }
    }
    Ok(out)
}

fn plan_files(
    setup: &Setup,
    ctx: &StreamCtx,
    events: &[Event],
    dup: Option<(i64, i64)>,
) -> Vec<FilePlan> {
    let region = setup
        .regions
        .iter()
        .position(|r| *r == ctx.region)
        .unwrap_or(0);
    let account = ctx.account.index;
    let mut rng = rng::rng_for(setup.seed, &[tag::DELIVERY, account as u64, region as u64]);
    let times = schedule(&mut rng, setup.start, setup.end() + 7 * HOUR, setup.delivery_seconds);
    let buckets = assign(&mut rng, &times, events);
    let mut plans = Vec::new();
    for (slot, mut members) in buckets.into_iter().enumerate() {
        if members.is_empty() {
            continue;
        }
        members.shuffle(&mut rng);
        let t = times[slot];
        let name =
            |rng: &mut SimRng| event_key(setup, account, ctx.region, t, &suffix(rng), "json.gz");
        let mut keys = vec![name(&mut rng)];
        if rng.gen_bool(REDELIVERY_SHARE) {
            keys.push(name(&mut rng));
        }
        if dup.is_some_and(|(lo, hi)| (lo..hi).contains(&t)) {
            keys.push(format!("{SECOND_TRAIL}/{}", name(&mut rng)));
        }
        plans.push(FilePlan {
            time: t,
            members,
            keys,
        });
    }
    plans
}

/// Event indices per delivery slot: the first delivery after the event plus a lag.
fn assign(rng: &mut SimRng, times: &[i64], events: &[Event]) -> Vec<Vec<u32>> {
    let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); times.len()];
    let last = times.len().saturating_sub(1);
    for (i, ev) in events.iter().enumerate() {
        let lag = if rng.gen_bool(LATE_SHARE) {
            rng.gen_range(1_800..=21_600)
        } else {
            rng.gen_range(0..=600)
        };
        let slot = times.partition_point(|&t| t < ev.t + lag).min(last);
        buckets[slot].push(i as u32);
    }
    buckets
}

/// Delivery times: every `every` seconds (AWS: about five minutes) with a 10% jitter.
fn schedule(rng: &mut SimRng, start: i64, end: i64, every: i64) -> Vec<i64> {
    let mut times = Vec::new();
    let jitter = every / 10;
    let mut t = start + rng.gen_range(60..=every.max(61));
    while t < end {
        times.push(t);
        t += rng.gen_range(every - jitter..=every + jitter);
    }
    if times.is_empty() {
        times.push(end);
    }
    times
}

#[derive(Default)]
struct Buffers {
    json: Vec<u8>,
    ends: Vec<usize>,
}

fn write_plan(
    setup: &Setup,
    ctx: &StreamCtx,
    events: &[Event],
    plan: &FilePlan,
    buf: &mut Buffers,
) -> Result<(), SimError> {
    let first = setup.out.join(plan.keys.first().map_or("", String::as_str));
    buf.json.clear();
    buf.ends.clear();
    let members = plan.members.iter().map(|&i| &events[i as usize]);
    record::write_json(ctx, members, &mut buf.json, &mut buf.ends).map_err(|source| {
        SimError::Json {
            path: first.clone(),
            source,
        }
    })?;
    let gz = gzip(&buf.json, &first)?;
    for key in &plan.keys {
        write_file(&setup.out.join(key), &gz)?;
    }
    Ok(())
}
