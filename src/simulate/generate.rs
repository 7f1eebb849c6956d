//! Background traffic: per (account, region, day) Poisson calls and scheduled jobs.
//!
//! Each day of each stream has its own seed, so days are generated in parallel and the
//! result does not depend on thread scheduling. Events are compact; everything else a
//! record shows is derived from the principal, the API and the event's random key.

use rand::Rng;
use rayon::prelude::*;

use super::catalog;
use super::account::Account;
use super::principals::{Pattern, Principal, Role, Sampler};
use super::rng::{self, tag, MeanOne, SimRng};
use super::setup::Setup;
use super::timefmt::{weekday, HOUR};

/// One call, before rendering.
#[derive(Clone, Copy, Debug)]
pub(super) struct Event {
    /// Epoch seconds.
    pub t: i64,
    /// Random words: the eventID and every per-record choice derive from them.
    pub key: [u64; 2],
    pub principal: u16,
    pub api: u16,
    /// `Code::id` of the error, 0 for success.
    pub err: u8,
}

impl Event {
    pub(super) fn new(rng: &mut SimRng, t: i64, principal: usize, api: u16, err: u8) -> Self {
        Self {
            t,
            key: rng::key_words(rng),
            principal: principal as u16,
            api,
            err,
        }
    }
}

/// All background events of one (account, region) plus the injected ones, unordered:
/// delivery buckets by time itself.
pub(super) fn stream_events(
    setup: &Setup,
    account: &Account,
    region: usize,
    injected: Vec<Event>,
) -> Vec<Event> {
    let days: Vec<Vec<Event>> = (0..setup.days)
        .into_par_iter()
        .map(|day| day_events(&Day::new(setup, account, region, day)))
        .collect();
    let mut all = Vec::with_capacity(days.iter().map(Vec::len).sum::<usize>() + injected.len());
    for day in days {
        all.extend(day);
    }
    all.extend(injected);
    all
}

struct Day<'a> {
    setup: &'a Setup,
    account: &'a Account,
    region: usize,
    day: u32,
    start: i64,
    dow: u8,
}

impl<'a> Day<'a> {
    fn new(setup: &'a Setup, account: &'a Account, region: usize, day: u32) -> Self {
        let start = setup.day_start(day);
        Self {
            setup,
            account,
            region,
            day,
            start,
            dow: weekday(start),
        }
    }
}

fn day_events(d: &Day) -> Vec<Event> {
    let tags = [
        tag::DAY,
        d.account.index as u64,
        d.region as u64,
        u64::from(d.day),
    ];
    let mut rng = rng::rng_for(d.setup.seed, &tags);
    let mut out = Vec::new();
    for (pi, p) in d.account.principals.iter().enumerate() {
        let sampler = &d.account.samplers[pi][d.region];
        if sampler.rate > 0.0 {
            poisson_calls(&mut rng, d, pi, sampler, &mut out);
        }
        match p.role {
            Role::Human if d.region == 0 => console_logins(&mut rng, d, pi, p, &mut out),
            Role::Ci if d.region == p.home => deploys(&mut rng, d, pi, sampler, &mut out),
            Role::Backup if d.region == p.home => backup_job(&mut rng, d, pi, sampler, &mut out),
            _ => {}
        }
    }
    out
}

fn poisson_calls(rng: &mut SimRng, d: &Day, pi: usize, s: &Sampler, out: &mut Vec<Event>) {
    let p = &d.account.principals[pi];
    let block = MeanOne::new(p.burstiness);
    let daily = MeanOne::new(25.0).sample(rng);
    let base = s.rate * d.setup.scale * p.growth.powi(d.day as i32) * daily;
    let mut g = 1.0;
    for minute in 0..1440 {
        if minute % 10 == 0 {
            g = block.sample(rng);
        }
        let n = rng::poisson(rng, base * level(p.pattern, d.dow, minute) * g);
        for _ in 0..n {
            let t = d.start + minute * 60 + rng.gen_range(0..60);
            push_call(rng, t, pi, p.deny, s, out);
        }
    }
}

fn push_call(rng: &mut SimRng, t: i64, pi: usize, deny: f64, s: &Sampler, out: &mut Vec<Event>) {
    if let Some(api) = s.pick(rng.gen()) {
        let err = pick_error(rng, api, deny);
        out.push(Event::new(rng, t, pi, api, err));
    }
}

/// Habitual errors of the API first, then the principal's own AccessDenied rate.
pub(super) fn pick_error(rng: &mut SimRng, api: u16, deny: f64) -> u8 {
    let a = catalog::api(api);
    let u: f64 = rng.gen();
    let mut acc = 0.0;
    for &(code, p) in a.errors {
        acc += p;
        if u < acc {
            return code.id();
        }
    }
    if u < acc + deny {
        return catalog::denial_code(a.source).id();
    }
    0
}

/// Activity level (1.0 at peak) of a pattern on a weekday (0 = Monday) and minute of day.
pub(super) fn level(pattern: Pattern, dow: u8, minute: i64) -> f64 {
    let weekend = dow >= 5;
    match pattern {
        Pattern::Flat => 1.0,
        Pattern::Idle => 0.0,
        Pattern::Diurnal { amp, weekend: w } => {
            let x = (minute as f64 - 840.0) / 1440.0 * std::f64::consts::TAU;
            let v = 1.0 + amp * x.cos();
            if weekend {
                v * w
            } else {
                v
            }
        }
        Pattern::Business { offset, weekend: w } => {
            let v = office(minute - offset);
            if weekend {
                v * w
            } else {
                v
            }
        }
    }
}

/// Office day: ramps up around 08:00, a lunch dip, ramps down after 18:00.
fn office(m: i64) -> f64 {
    const OPEN: i64 = 8 * 60;
    const CLOSE: i64 = 18 * 60;
    const RAMP: i64 = 45;
    const NIGHT: f64 = 0.01;
    let ramp = |x: i64| NIGHT + (1.0 - NIGHT) * x as f64 / RAMP as f64;
    let v = if !(OPEN - RAMP..=CLOSE + RAMP).contains(&m) {
        NIGHT
    } else if m < OPEN {
        ramp(m - (OPEN - RAMP))
    } else if m > CLOSE {
        ramp(CLOSE + RAMP - m)
    } else {
        1.0
    };
    if (12 * 60..13 * 60).contains(&m) {
        v * 0.6
    } else {
        v
    }
}

/// Console users sign in when they start work, sometimes again after lunch.
fn console_logins(rng: &mut SimRng, d: &Day, pi: usize, p: &Principal, out: &mut Vec<Event>) {
    let (Some(api), Some(_), Pattern::Business { offset, weekend }) =
        (catalog::id("ConsoleLogin"), &p.browser, p.pattern)
    else {
        return;
    };
    let works = d.dow < 5 || rng.gen_bool((weekend * 4.0).clamp(0.0, 1.0));
    if !works {
        return;
    }
    let first = 8 * 60 + offset + rng.gen_range(-20..=40);
    let mut minutes = vec![first];
    if rng.gen_bool(0.3) {
        minutes.push(13 * 60 + offset + rng.gen_range(0..60));
    }
    for m in minutes {
        let t = d.start + m.clamp(0, 1439) * 60 + rng.gen_range(0..60);
        out.push(Event::new(rng, t, pi, api, 0));
    }
}

fn scaled(rng: &mut SimRng, lo: u32, hi: u32, scale: f64, min: u32) -> u32 {
    ((f64::from(rng.gen_range(lo..=hi)) * scale).round() as u32).max(min)
}

/// CI bursts: the 09:00 release train every weekday plus a few ad-hoc deploys.
fn deploys(rng: &mut SimRng, d: &Day, pi: usize, s: &Sampler, out: &mut Vec<Event>) {
    let mut starts = Vec::new();
    if d.dow < 5 {
        starts.push(9 * HOUR + rng.gen_range(0..=240));
        for _ in 0..rng.gen_range(1..=3) {
            starts.push(rng.gen_range(10 * HOUR..19 * HOUR));
        }
    } else if rng.gen_bool(0.1) {
        starts.push(rng.gen_range(10 * HOUR..19 * HOUR));
    }
    for start in starts {
        let dur = rng.gen_range(120..=360);
        for _ in 0..scaled(rng, 40, 120, d.setup.scale, 2) {
            let t = d.start + start + rng.gen_range(0..dur);
            push_call(rng, t, pi, 0.0, s, out);
        }
    }
}

/// The nightly backup: snapshots and their tags at 02:00 give or take two minutes.
fn backup_job(rng: &mut SimRng, d: &Day, pi: usize, s: &Sampler, out: &mut Vec<Event>) {
    let start = d.start + 2 * HOUR + rng.gen_range(-120..=120);
    let dur = rng.gen_range(300..=600);
    for _ in 0..scaled(rng, 300, 600, d.setup.scale, 6) {
        let t = start + rng.gen_range(0..dur);
        push_call(rng, t, pi, 0.0, s, out);
    }
}

/// Expected calls per minute of `api` in a stream at a given day and minute.
pub(super) fn rate_at(
    setup: &Setup,
    account: &Account,
    region: usize,
    api: u16,
    day: u32,
    minute: i64,
) -> f64 {
    let dow = weekday(setup.day_start(day));
    account
        .principals
        .iter()
        .zip(&account.samplers)
        .map(|(p, s)| {
            let s = &s[region];
            s.rate * s.prob(api) * level(p.pattern, dow, minute) * p.growth.powi(day as i32)
        })
        .sum::<f64>()
        * setup.scale
}

/// Expected calls per minute of `api` averaged over the week before the judged window.
pub(super) fn mean_rate(setup: &Setup, account: &Account, region: usize, api: u16) -> f64 {
    let first = setup.quiet_days.saturating_sub(7);
    let mut total = 0.0;
    for day in first..first + 7 {
        for hour in 0..24 {
            total += rate_at(setup, account, region, api, day, hour * 60 + 30);
        }
    }
    total / (7.0 * 24.0)
}
