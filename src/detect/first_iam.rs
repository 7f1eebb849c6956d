//! The first-seen IAM model: a principal's first IAM writes, even a handful of them.
//!
//! A stolen key or role that plants persistence makes a few IAM writes within minutes
//! (CreateUser, AttachUserPolicy, CreateAccessKey, CreateLoginProfile...: Stratus Red
//! Team's `iam-create-admin-user` is three calls in one second, `iam-create-backdoor-role`
//! two), far below any volume
//! floor. What is unusual is who makes them: a principal that has been active for days
//! and never wrote IAM. This detector judges such first writes by how unusual they are
//! for the principal and for its account, over the `history_days` before:
//!
//! - **the account**: how often an established principal there begins to write IAM.
//!   Over the history, every principal active on at least `min_active_days` days that
//!   had not written IAM is at risk on each of its later active days; the rate is the
//!   principals that did begin over the principal-days at risk (Jeffreys prior:
//!   `(began + 0.5) / (days + 1)`). An account where new IAM writers appear often,
//!   or that has few principal-days yet, needs more evidence;
//! - **the principal's other behaviour**: when the writes also come with a user agent
//!   or a source IP the principal has not used in the history, or from a principal that
//!   never wrote anything at all, each multiplies the probability by how often that
//!   happens in the account (the same kind of rate, over the principals' windows or
//!   days).
//!
//! The product is the probability of what was seen; below `alpha` times the sensitivity
//! it fires. A principal seen on fewer than `min_active_days` days (a deployment role on
//! its first day) is never judged, nor is one that wrote IAM in the history (an
//! administrator's routine). The insight is an `ApiCallRateInsight` on each IAM API
//! touched, with the principal as its top attribution, like the IAM burst's.

use super::episode::{Detector, Episode};
use super::{DetectParams, Timeline, Timelines};
use crate::aggregate::{IamWrite, SeriesId, WindowStats, WINDOW_MINUTES};
use crate::frame::{CountsTable, Frames, PrincipalIam, PrincipalWindows};
use crate::intern::Sym;
use crate::time::{day_start, Minute, MINUTES_PER_DAY};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Settings of the first-seen IAM model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FirstIamParams {
    /// Minutes from a principal's first IAM write in which its writes are judged together.
    pub window: Minute,
    /// IAM write calls, and distinct IAM APIs, the first writes need to be judged.
    pub min_calls: u32,
    pub min_apis: usize,
    /// Days a principal must have been active (in the history) to be judged: a
    /// principal newer than that has no behaviour to depart from.
    pub min_active_days: usize,
    /// The probability a principal's first IAM writes must fall below, times the
    /// sensitivity.
    pub alpha: f64,
}

impl Default for FirstIamParams {
    fn default() -> Self {
        Self { window: 10, min_calls: 2, min_apis: 2, min_active_days: 2, alpha: 1e-4 }
    }
}

/// Why first-seen settings are unusable.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FirstIamParamError {
    #[error("first_iam.window must be 1 to 1440 minutes (got {0})")]
    Window(Minute),
    #[error("first_iam.min_calls and first_iam.min_apis must be at least 1")]
    Floor,
    #[error("first_iam.min_active_days must be 1 to {max} (got {0})", max = super::MAX_DAYS)]
    ActiveDays(usize),
    #[error("first_iam.alpha must be above 0 and below 1 (got {0})")]
    Alpha(f64),
}

impl FirstIamParams {
    pub fn check(self) -> Result<Self, FirstIamParamError> {
        if !(1..=MINUTES_PER_DAY).contains(&self.window) {
            return Err(FirstIamParamError::Window(self.window));
        }
        if self.min_calls == 0 || self.min_apis == 0 {
            return Err(FirstIamParamError::Floor);
        }
        if !(1..=super::MAX_DAYS).contains(&self.min_active_days) {
            return Err(FirstIamParamError::ActiveDays(self.min_active_days));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(FirstIamParamError::Alpha(self.alpha));
        }
        Ok(self)
    }
}

/// The first IAM writes of established principals that are unusual enough, as episodes
/// on each IAM API they touched.
pub fn detect(frames: &Frames, timelines: &Timelines, params: &DetectParams) -> Vec<Episode> {
    let history = params.baseline.history_days as Minute * MINUTES_PER_DAY;
    let null = frames.strings.get(crate::ingest::NULL_VALUE);
    let mut accounts: BTreeMap<(Sym, Minute), AccountRates> = BTreeMap::new();
    let mut out = Vec::new();
    for p in &frames.iam {
        if Some(p.family) == null {
            continue;
        }
        let timeline = timelines.of_account(p.account);
        let Some(first) = first_writes(p, timeline, history, &params.first_iam) else { continue };
        let windows = windows_of(&frames.behaviour, p.account, p.family);
        let day = day_start(first.start);
        let past = |w: &&(Minute, WindowStats)| (first.start - history..first.start).contains(&w.0);
        let active_days: BTreeSet<Minute> = windows.iter().filter(past).map(|w| day_start(w.0)).collect();
        if active_days.len() < params.first_iam.min_active_days {
            continue;
        }
        let rates = accounts
            .entry((p.account, day))
            .or_insert_with(|| AccountRates::of(frames, p.account, day, history, params.first_iam.min_active_days));
        let novelty = Novelty::of(windows, first.start, first.end, history);
        let judged = rates.judge(&novelty);
        if judged.probability >= params.first_iam.alpha * params.sensitivity {
            tracing::debug!(probability = judged.probability, why = %judged.reason, "first IAM writes not unusual enough");
            continue;
        }
        let reason = format!(
            "first IAM writes of a principal active on {} of the last {} days that never wrote IAM there: {}",
            active_days.len(),
            params.baseline.history_days,
            judged.reason
        );
        out.extend(per_api(&first.writes, &frames.counts, timeline, params, judged.probability, &reason));
    }
    out
}

/// A principal's first IAM writes in the judged period: those within `window` of a first
/// write that no IAM write precedes in the history.
struct FirstWrites {
    start: Minute,
    end: Minute,
    writes: Vec<IamWrite>,
}

fn first_writes(p: &PrincipalIam, timeline: &Timeline, history: Minute, fp: &FirstIamParams) -> Option<FirstWrites> {
    let i = p.writes.iter().position(|w| timeline.is_judged(w.minute))?;
    let w0 = p.writes[i];
    if i > 0 && p.writes[i - 1].minute >= w0.minute - history {
        return None;
    }
    let writes: Vec<IamWrite> = p.writes[i..].iter().take_while(|w| w.minute < w0.minute + fp.window).copied().collect();
    let calls: u32 = writes.iter().map(|w| w.calls).fold(0, u32::saturating_add);
    let apis: BTreeSet<SeriesId> = writes.iter().map(|w| w.series).collect();
    if calls < fp.min_calls || apis.len() < fp.min_apis {
        return None;
    }
    let end = writes.last().map_or(w0.minute, |w| w.minute) + 1;
    Some(FirstWrites { start: w0.minute, end, writes })
}

/// The behaviour windows of one principal (the table is sorted by account and family).
fn windows_of(table: &[PrincipalWindows], account: Sym, family: Sym) -> &[(Minute, WindowStats)] {
    table
        .binary_search_by_key(&(account, family), |p| (p.account, p.family))
        .map_or(&[][..], |i| table[i].windows.as_slice())
}

/// What was new for the principal around its first IAM writes.
struct Novelty {
    agent: bool,
    ip: bool,
    /// It made no write call at all in the history.
    never_wrote: bool,
}

impl Novelty {
    fn of(windows: &[(Minute, WindowStats)], start: Minute, end: Minute, history: Minute) -> Self {
        let window_start = start - start.rem_euclid(WINDOW_MINUTES);
        let before: Vec<&WindowStats> = windows.iter().filter(|w| (start - history..window_start).contains(&w.0)).map(|w| &w.1).collect();
        let during: Vec<&WindowStats> = windows.iter().filter(|w| (window_start..end).contains(&w.0)).map(|w| &w.1).collect();
        let seen = |pick: fn(&WindowStats) -> &Vec<Sym>| -> HashSet<Sym> { before.iter().flat_map(|w| pick(w).iter().copied()).collect() };
        let (agents, ips) = (seen(|w| &w.agents), seen(|w| &w.ips));
        Self {
            agent: during.iter().flat_map(|w| w.agents.iter()).any(|a| !agents.contains(a)),
            ip: during.iter().flat_map(|w| w.ips.iter()).any(|a| !ips.contains(a)),
            never_wrote: before.iter().all(|w| w.writes == 0),
        }
    }
}

/// How often, in one account over the history before one day, established principals
/// began to write IAM, began to write at all, and used a user agent or source IP new to
/// them: the rates the first-seen model multiplies.
#[derive(Debug, Clone, Copy, PartialEq)]
struct AccountRates {
    iam: Rate,
    write: Rate,
    agent: Rate,
    ip: Rate,
}

/// Events over opportunities, with a Jeffreys prior.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Rate {
    events: u64,
    at_risk: u64,
}

impl Rate {
    fn p(&self) -> f64 {
        (self.events as f64 + 0.5) / (self.at_risk as f64 + 1.0)
    }
}

/// The judgement of one principal's first IAM writes.
struct Judged {
    probability: f64,
    reason: String,
}

impl AccountRates {
    fn of(frames: &Frames, account: Sym, day: Minute, history: Minute, min_active_days: usize) -> Self {
        let span = day - history..day;
        let first_iam: BTreeMap<Sym, Minute> = frames
            .iam
            .iter()
            .filter(|p| p.account == account)
            .filter_map(|p| p.writes.iter().find(|w| span.contains(&w.minute)).map(|w| (p.family, w.minute)))
            .collect();
        let mut rates = Self { iam: Rate::default(), write: Rate::default(), agent: Rate::default(), ip: Rate::default() };
        let start = frames.behaviour.partition_point(|p| p.account < account);
        for p in frames.behaviour[start..].iter().take_while(|p| p.account == account) {
            let windows: Vec<&(Minute, WindowStats)> = p.windows.iter().filter(|w| span.contains(&w.0)).collect();
            let days: Vec<Minute> = windows.iter().map(|w| day_start(w.0)).collect::<BTreeSet<_>>().into_iter().collect();
            let first_write = windows.iter().find(|w| w.1.writes > 0).map(|w| w.0);
            count_beginning(&mut rates.iam, &days, first_iam.get(&p.family).copied(), min_active_days);
            count_beginning(&mut rates.write, &days, first_write, min_active_days);
            // New agents and IPs, over the windows after a principal's first active day.
            let Some(&first_day) = days.first() else { continue };
            let (mut agents, mut ips): (HashSet<Sym>, HashSet<Sym>) = (HashSet::new(), HashSet::new());
            for (start, w) in windows.iter().map(|w| (w.0, &w.1)) {
                let new_agent = w.agents.iter().filter(|a| agents.insert(**a)).count() > 0;
                let new_ip = w.ips.iter().filter(|a| ips.insert(**a)).count() > 0;
                if day_start(start) > first_day {
                    rates.agent.at_risk += 1;
                    rates.ip.at_risk += 1;
                    rates.agent.events += u64::from(new_agent);
                    rates.ip.events += u64::from(new_ip);
                }
            }
        }
        rates
    }

    fn judge(&self, n: &Novelty) -> Judged {
        let mut p = self.iam.p();
        let mut parts = vec![format!(
            "in this account {} of {} principal-days at risk began writing IAM (p = {:.1e})",
            self.iam.events,
            self.iam.at_risk,
            self.iam.p()
        )];
        for (new, rate, what) in [
            (n.never_wrote, self.write, "it had made no write call at all, and principals that begin to write"),
            (n.agent, self.agent, "with a user agent new to it, as"),
            (n.ip, self.ip, "from a source IP new to it, as"),
        ] {
            if new {
                p *= rate.p();
                parts.push(format!("{what} {} of {} times (p = {:.1e})", rate.events, rate.at_risk, rate.p()));
            }
        }
        Judged { probability: p.max(crate::baseline::tail::MIN_P), reason: parts.join("; ") }
    }
}

/// Adds one principal's days at risk of beginning (after `min_active_days` active days
/// without it), and whether it began, to `rate`.
fn count_beginning(rate: &mut Rate, days: &[Minute], began: Option<Minute>, min_active_days: usize) {
    let before = |m: Minute| days.iter().filter(|&&d| d < day_start(m)).count();
    match began {
        None => rate.at_risk += days.len().saturating_sub(min_active_days - 1) as u64,
        Some(m) if before(m) >= min_active_days => {
            rate.at_risk += (before(m) + 1 - (min_active_days - 1)) as u64;
            rate.events += 1;
        }
        Some(_) => {}
    }
}

/// One episode per IAM API the first writes touched, spanning that API's calls.
fn per_api(writes: &[IamWrite], table: &CountsTable, timeline: &Timeline, params: &DetectParams, probability: f64, reason: &str) -> Vec<Episode> {
    let mut spans: BTreeMap<SeriesId, (Minute, Minute)> = BTreeMap::new();
    for w in writes {
        let span = spans.entry(w.series).or_insert((w.minute, w.minute + 1));
        span.1 = w.minute + 1;
    }
    spans
        .into_iter()
        .map(|(series, (start, end))| {
            let history = (start - timeline.origin).clamp(1, params.baseline.history_days.min(7) as Minute * MINUTES_PER_DAY);
            let rate = table.window_sum(series, start - history, start) as f64 / history as f64;
            Episode {
                series,
                start,
                end,
                detector: Detector::FirstSeenIam,
                score: crate::baseline::tail::score(probability),
                observed: table.window_sum(series, start, end) as f64,
                expected: rate * (end - start) as f64,
                window: params.first_iam.window as usize,
                trigger_end: end,
                reason: Some(reason.to_string()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Aggregates;
    use crate::testutil::{batch, rec, Rec};

    const START: Minute = 20_458 * MINUTES_PER_DAY; // Monday 2026-01-05
    const DAY: Minute = MINUTES_PER_DAY;
    const READERS: [&str; 10] = [
        "arn:aws:sts::111122223333:assumed-role/app-0/i-0", "arn:aws:sts::111122223333:assumed-role/app-1/i-1",
        "arn:aws:sts::111122223333:assumed-role/app-2/i-2", "arn:aws:sts::111122223333:assumed-role/app-3/i-3",
        "arn:aws:sts::111122223333:assumed-role/app-4/i-4", "arn:aws:sts::111122223333:assumed-role/app-5/i-5",
        "arn:aws:sts::111122223333:assumed-role/app-6/i-6", "arn:aws:sts::111122223333:assumed-role/app-7/i-7",
        "arn:aws:sts::111122223333:assumed-role/app-8/i-8", "arn:aws:sts::111122223333:assumed-role/app-9/i-9",
    ];
    const CI: &str = "arn:aws:sts::111122223333:assumed-role/ci/run-1";
    const ADMIN: &str = "arn:aws:iam::111122223333:user/admin";

    fn call(minute: Minute, id: u64, name: &'static str, source: &'static str, principal: &'static str, read_only: bool) -> Rec {
        let mut r = rec(minute, id, name);
        (r.source, r.principal, r.read_only, r.agent) = (source, principal, read_only, "aws-sdk-java/2.20");
        r
    }

    /// Ten days: ten application roles that only read, a CI role that tags every half
    /// hour, and an administrator who manages IAM every weekday morning.
    fn background() -> Vec<Rec> {
        let mut recs = Vec::new();
        let mut id = 0;
        for t in (0..10 * DAY).step_by(15) {
            for (i, reader) in READERS.iter().enumerate() {
                id += 1;
                recs.push(call(START + t + i as Minute % 7, id, "GetBucketAcl", "s3.amazonaws.com", reader, true));
            }
            if t % 30 == 0 {
                id += 1;
                recs.push(call(START + t + 2, id, "CreateTags", "ec2.amazonaws.com", CI, false));
            }
            let day = t / DAY;
            if t % DAY == 9 * 60 && day % 7 < 5 {
                for name in ["CreateRole", "AttachRolePolicy", "PutRolePolicy"] {
                    id += 1;
                    recs.push(call(START + t + 3, id, name, "iam.amazonaws.com", ADMIN, false));
                }
            }
        }
        recs
    }

    /// Stratus Red Team's iam-create-admin-user: three calls within a second.
    fn create_admin_user(at: Minute, principal: &'static str, agent: &'static str) -> Vec<Rec> {
        ["CreateUser", "AttachUserPolicy", "CreateAccessKey"]
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let mut r = call(at, 9_000_000 + i as u64, name, "iam.amazonaws.com", principal, false);
                r.agent = agent;
                r
            })
            .collect()
    }

    fn run(recs: &[Rec]) -> Vec<(String, Option<String>)> {
        let params = DetectParams::default();
        let mut agg = Aggregates::new();
        agg.absorb(batch(recs));
        agg.settle();
        let timelines = Timelines::new(&agg, &params).unwrap();
        let frames = Frames::new(agg).unwrap();
        detect(&frames, &timelines, &params)
            .into_iter()
            .map(|e| (frames.strings.resolve(frames.series[e.series as usize].name).to_string(), e.reason))
            .collect()
    }

    const AT: Minute = START + 8 * DAY + 14 * 60 + 7;

    #[test]
    fn a_role_that_only_read_creating_a_user_and_a_key_fires_on_each_api() {
        let mut recs = background();
        recs.extend(create_admin_user(AT, READERS[3], "aws-sdk-java/2.20"));
        let found = run(&recs);
        let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["AttachUserPolicy", "CreateAccessKey", "CreateUser"], "{found:?}");
        let why = found[0].1.as_deref().unwrap();
        assert!(why.contains("never wrote IAM") && why.contains("no write call at all"), "{why}");
    }

    #[test]
    fn a_new_tool_makes_the_same_writes_more_unusual_still() {
        let mut recs = background();
        recs.extend(create_admin_user(AT, CI, "stratus-red-team_83a1"));
        let found = run(&recs);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].1.as_deref().unwrap().contains("user agent new to it"));
    }

    #[test]
    fn an_established_writer_beginning_iam_work_with_its_usual_tools_does_not_fire() {
        let mut recs = background();
        recs.extend(create_admin_user(AT, CI, "aws-sdk-java/2.20"));
        assert!(run(&recs).is_empty());
    }

    #[test]
    fn the_administrators_routine_and_a_new_deployment_roles_first_day_do_not_fire() {
        let mut recs = background();
        recs.extend(create_admin_user(AT, ADMIN, "aws-cli/2.15"));
        recs.extend(create_admin_user(AT + 60, "arn:aws:sts::111122223333:assumed-role/new-deployer/cfn", "cloudformation.amazonaws.com"));
        assert!(run(&recs).is_empty());
    }

    #[test]
    fn two_writes_on_two_apis_are_judged_and_a_single_call_is_not() {
        let mut recs = background();
        recs.push(call(AT, 9_100_001, "CreateRole", "iam.amazonaws.com", READERS[2], false));
        recs.push(call(AT, 9_100_002, "AttachRolePolicy", "iam.amazonaws.com", READERS[2], false));
        assert_eq!(run(&recs).len(), 2, "Stratus iam-create-backdoor-role: two calls");
    }

    #[test]
    fn a_single_access_key_is_not_judged() {
        let mut recs = background();
        recs.push(call(AT, 9_100_000, "CreateAccessKey", "iam.amazonaws.com", READERS[1], false));
        assert!(run(&recs).is_empty());
    }

    #[test]
    fn days_at_risk_count_after_the_principal_is_established() {
        let days: Vec<Minute> = (0..6).map(|d| d * MINUTES_PER_DAY).collect();
        let mut r = Rate::default();
        count_beginning(&mut r, &days, None, 2);
        assert_eq!(r, Rate { events: 0, at_risk: 5 });
        count_beginning(&mut r, &days, Some(3 * MINUTES_PER_DAY + 7), 2);
        assert_eq!(r, Rate { events: 1, at_risk: 5 + 3 }, "days 1, 2 and 3 were at risk, and it began on day 3");
        count_beginning(&mut r, &days, Some(7), 2);
        assert_eq!(r, Rate { events: 1, at_risk: 8 }, "writing IAM from its first day is not beginning");
    }
}
