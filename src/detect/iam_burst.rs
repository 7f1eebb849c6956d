//! The IAM-burst detector: many IAM writes by one principal within minutes.
//!
//! An attacker creating a backdoor (CreateUser, CreateAccessKey, AttachUserPolicy,
//! CreateLoginProfile...) makes only a handful of calls to each API, too few for any one
//! API's series to stand out. Judged per principal across all IAM write APIs, the burst
//! is plain: the count in a sliding window is compared with the principal's own past
//! (its IAM write rate over the history there is, and its largest earlier burst). A burst
//! is reported as an episode on each IAM API it touched, so the output stays standard AWS
//! Insight records.

use super::episode::{Detector, Episode};
use super::{window, DetectParams, Timeline, Timelines};
use crate::aggregate::{IamWrite, SeriesId};
use crate::baseline::tail::{score, upper_tail};
use crate::frame::{CountsTable, Frames};
use crate::time::{day_start, Minute, MINUTES_PER_DAY};
use std::collections::BTreeMap;

/// Settings of the IAM-burst detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IamBurstParams {
    /// Sliding window length, minutes.
    pub window: Minute,
    /// IAM writes a window needs before it can be a burst.
    pub min_calls: usize,
    /// A burst must exceed the principal's largest earlier window by this factor.
    pub history_ratio: f64,
    /// Negative binomial over-dispersion assumed for a principal's IAM writes, which are
    /// bursty by nature.
    pub dispersion: f64,
}

impl Default for IamBurstParams {
    fn default() -> Self {
        Self { window: 10, min_calls: 8, history_ratio: 2.0, dispersion: 2.0 }
    }
}

/// Why IAM-burst settings are unusable.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum IamBurstParamError {
    #[error("iam.window must be 1 to {MINUTES_PER_DAY} minutes (got {0})")]
    Window(Minute),
    #[error("iam.min_calls must be at least 1 (got 0)")]
    MinCalls,
    #[error("iam.history_ratio must be a number of at least 1 (got {0})")]
    HistoryRatio(f64),
    #[error("iam.dispersion must be a number of at least 0 (got {0})")]
    Dispersion(f64),
}

impl IamBurstParams {
    pub fn check(self) -> Result<Self, IamBurstParamError> {
        if !(1..=MINUTES_PER_DAY).contains(&self.window) {
            return Err(IamBurstParamError::Window(self.window));
        }
        if self.min_calls == 0 {
            return Err(IamBurstParamError::MinCalls);
        }
        if !(self.history_ratio.is_finite() && self.history_ratio >= 1.0) {
            return Err(IamBurstParamError::HistoryRatio(self.history_ratio));
        }
        if !crate::baseline::is_non_negative(self.dispersion) {
            return Err(IamBurstParamError::Dispersion(self.dispersion));
        }
        Ok(self)
    }
}

/// Finds IAM bursts of every principal and reports them per IAM API touched.
pub fn detect(frames: &Frames, timelines: &Timelines, params: &DetectParams) -> Vec<Episode> {
    frames
        .iam
        .iter()
        .flat_map(|p| {
            let timeline = timelines.of_account(p.account);
            bursts(&p.writes, timeline, params)
                .into_iter()
                .flat_map(|b| per_api(&p.writes, &b, &frames.counts, timeline, params))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A burst of one principal: `[start, end)` and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Burst {
    start: Minute,
    end: Minute,
    score: f64,
    window: usize,
}

/// Sliding-window bursts over one principal's time-sorted IAM writes (weighted by calls).
/// The principal's rate is its calls over the history there is before the judged day:
/// from the account's first day, at most `history_days`, at least one day.
fn bursts(writes: &[IamWrite], timeline: &Timeline, params: &DetectParams) -> Vec<Burst> {
    let p = &params.iam;
    let calls = prefix_calls(writes);
    let mut found: Vec<Burst> = Vec::new();
    // The largest earlier window, per judged day (computed once a day, not per write).
    let mut largest_before: BTreeMap<Minute, u64> = BTreeMap::new();
    for (hi, (lo, n)) in window::trailing_sums(writes, p.window, calls_at).enumerate() {
        let end = writes[hi].minute;
        if n < p.min_calls as u64 || !timeline.is_judged(writes[lo].minute) {
            continue;
        }
        let today = day_start(end);
        let history = history_before(today, timeline, params.baseline.history_days).max(MINUTES_PER_DAY);
        let before_today = writes.partition_point(|w| w.minute < today);
        let since = writes.partition_point(|w| w.minute < today - history);
        let past = (calls[before_today] - calls[since]) as f64;
        let expected = (past + 0.5) / history as f64 * p.window as f64;
        let prob = upper_tail(n as f64, expected, p.dispersion);
        let largest = *largest_before
            .entry(today)
            .or_insert_with(|| window::busiest(&writes[since..before_today], p.window, calls_at));
        if prob < params.alpha() && n as f64 > p.history_ratio * largest as f64 {
            let burst = Burst { start: writes[lo].minute, end: end + 1, score: score(prob), window: p.window as usize };
            push_merged(&mut found, burst);
        }
    }
    found
}

/// Minutes of the timeline before `at`, at most `days` days.
fn history_before(at: Minute, timeline: &Timeline, days: usize) -> Minute {
    (at - timeline.origin).clamp(0, days as Minute * MINUTES_PER_DAY)
}

fn calls_at(w: &IamWrite) -> (Minute, u64) {
    (w.minute, u64::from(w.calls))
}

/// `out[i]` is the calls of `writes[..i]`.
fn prefix_calls(writes: &[IamWrite]) -> Vec<u64> {
    let mut out = Vec::with_capacity(writes.len() + 1);
    out.push(0u64);
    for w in writes {
        out.push(out[out.len() - 1] + u64::from(w.calls));
    }
    out
}

fn push_merged(found: &mut Vec<Burst>, b: Burst) {
    match found.last_mut() {
        Some(last) if b.start <= last.end => {
            last.end = last.end.max(b.end);
            last.score = last.score.max(b.score);
        }
        _ => found.push(b),
    }
}

/// One episode per IAM API the burst touched, spanning that API's calls in the burst; what
/// it expected is that API's rate over the week before (or the history there is).
fn per_api(writes: &[IamWrite], b: &Burst, table: &CountsTable, timeline: &Timeline, params: &DetectParams) -> Vec<Episode> {
    let mut spans: BTreeMap<SeriesId, (Minute, Minute, f64)> = BTreeMap::new();
    for w in writes.iter().filter(|w| (b.start..b.end).contains(&w.minute)) {
        let span = spans.entry(w.series).or_insert((w.minute, w.minute + 1, 0.0));
        span.1 = w.minute + 1;
        span.2 += f64::from(w.calls);
    }
    spans
        .into_iter()
        .map(|(series, (start, end, _))| {
            let history = history_before(start, timeline, params.baseline.history_days.min(7)).max(1);
            let rate = table.window_sum(series, start - history, start) as f64 / history as f64;
            Episode {
                series,
                start,
                end,
                detector: Detector::IamBurst,
                score: b.score,
                observed: table.window_sum(series, start, end) as f64,
                expected: rate * (end - start) as f64,
                window: b.window,
                trigger_end: end,
                reason: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectParams;

    const DAY: Minute = MINUTES_PER_DAY;

    fn timeline() -> Timeline {
        Timeline { origin: 0, days: 10, judge_from: 7 * DAY, judge_to: 10 * DAY, data_end: 10 * DAY }
    }

    fn writes(spec: &[(Minute, SeriesId)]) -> Vec<IamWrite> {
        spec.iter().map(|&(minute, series)| IamWrite { minute, series, calls: 1 }).collect()
    }

    #[test]
    fn a_new_principal_burst_is_found() {
        let t = 8 * DAY + 600;
        let w = writes(&(0..15).map(|i| (t + i / 3, (i % 5) as SeriesId)).collect::<Vec<_>>());
        let found = bursts(&w, &timeline(), &DetectParams::default());
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].start, found[0].end), (t, t + 5));
    }

    #[test]
    fn an_admin_who_always_works_in_bursts_is_left_alone() {
        // Ten IAM writes in a few minutes every day of the history and today.
        let w: Vec<(Minute, SeriesId)> = (0..9).flat_map(|d| (0..10).map(move |i| (d * DAY + 600 + i / 4, 0))).collect();
        let found = bursts(&writes(&w), &timeline(), &DetectParams::default());
        assert!(found.is_empty(), "{found:?}");
    }

    /// A principal that writes IAM every 40 minutes around the clock for the 7 days of
    /// the history, then makes `burst` writes within ten minutes.
    fn steady_writer_then(burst: Minute) -> Vec<IamWrite> {
        let mut spec: Vec<(Minute, SeriesId)> = (0..7 * DAY).step_by(40).map(|m| (m, 0)).collect();
        let t = 7 * DAY + 600;
        spec.extend((0..burst).map(|i| (t + i % 10, 1)));
        spec.sort_unstable();
        writes(&spec)
    }

    #[test]
    fn issue_10_the_rate_is_over_the_history_there_is_not_history_days() {
        // Ten writes in ten minutes are 40 times this principal's rate of one per 40
        // minutes. Spread over 28 days instead of the 7 that exist, the rate looked four
        // times lower, and the same ten writes scored p ~ 1e-10 instead of ~ 1e-5.
        assert!(bursts(&steady_writer_then(10), &timeline(), &DetectParams::default()).is_empty());
        let found = bursts(&steady_writer_then(30), &timeline(), &DetectParams::default());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(history_before(7 * DAY, &timeline(), 28), 7 * DAY);
        assert_eq!(history_before(7 * DAY, &timeline(), 2), 2 * DAY, "at most history_days");
        assert_eq!(history_before(0, &timeline(), 28), 0, "the first day has none");
    }

    #[test]
    fn a_few_calls_are_not_a_burst() {
        let t = 8 * DAY;
        let w = writes(&[(t, 0), (t + 1, 1), (t + 2, 2)]);
        assert!(bursts(&w, &timeline(), &DetectParams::default()).is_empty());
    }
}
