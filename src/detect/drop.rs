//! Drops: a steady series gone silent.
//!
//! AWS also flags activity far below its baseline: a job that calls an API every few
//! minutes, all day, every day, stops. That is worth an insight when the silence is
//! improbable under the series' own count model and the series really is steady, not
//! merely busy on average. A stretch of judged minutes with no call becomes a drop when
//!
//! - it lasts at least [`DropParams::min_silence`] minutes,
//! - the baseline expected at least `min_excess_calls` calls over it, and the chance of
//!   none under the negative binomial is below `alpha` (an over-dispersed, bursty series
//!   practically never qualifies: its silences are ordinary),
//! - the same minutes held calls on each of the last [`DropParams::steady_days`] days,
//!   and the silence is at least [`DropParams::silence_factor`] times the longest the
//!   series kept around that time of day on those days (the count model treats minutes as
//!   independent, so a series that calls in clumps needs this empirical check: its gaps
//!   are ordinary), and
//! - it ends at least [`DropParams::delivery_lag`] minutes before the newest record of the
//!   input: CloudTrail delivers about every five minutes, late files are common, and
//!   silence at the end of the logs says more about delivery than about the API.

use super::episode::{Detector, Episode};
use super::{DetectParams, Timeline};
use crate::aggregate::SeriesId;
use crate::baseline::tail::score;
use crate::baseline::DayBaseline;
use crate::time::{Minute, MINUTES_PER_DAY};

const DAY: usize = MINUTES_PER_DAY as usize;

/// Settings of the drop detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DropParams {
    /// The shortest silence judged, in minutes.
    pub min_silence: usize,
    /// Days before the silence whose same minutes must all hold calls (only those within
    /// `history_days`).
    pub steady_days: usize,
    /// How many times its usual longest silence a silence must last.
    pub silence_factor: usize,
    /// Minutes either side of the silence searched for earlier silences, so a series
    /// counts as steady only where it has not paused for long all morning or evening.
    pub around: usize,
    /// Minutes before the newest record of the input that a silence must end by: silence
    /// reaching into them may be delivery lag.
    pub delivery_lag: Minute,
}

impl Default for DropParams {
    fn default() -> Self {
        Self { min_silence: 30, steady_days: 7, silence_factor: 3, around: 180, delivery_lag: 60 }
    }
}

/// Why drop-detector settings are unusable.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DropParamError {
    #[error("drop.min_silence must be at least 1 minute (got 0)")]
    MinSilence,
    #[error("drop.steady_days must be 1 to {max} (got {0})", max = super::MAX_DAYS)]
    SteadyDays(usize),
    #[error("drop.silence_factor must be at least 1 (got 0)")]
    SilenceFactor,
    #[error("drop.around must be at most {DAY} minutes (got {0})")]
    Around(usize),
    #[error("drop.delivery_lag must be 0 to {DAY} minutes (got {0})")]
    DeliveryLag(Minute),
}

impl DropParams {
    pub fn check(self) -> Result<Self, DropParamError> {
        if self.min_silence == 0 {
            return Err(DropParamError::MinSilence);
        }
        if !(1..=super::MAX_DAYS).contains(&self.steady_days) {
            return Err(DropParamError::SteadyDays(self.steady_days));
        }
        if self.silence_factor == 0 {
            return Err(DropParamError::SilenceFactor);
        }
        if self.around > DAY {
            return Err(DropParamError::Around(self.around));
        }
        if !(0..=MINUTES_PER_DAY).contains(&self.delivery_lag) {
            return Err(DropParamError::DeliveryLag(self.delivery_lag));
        }
        Ok(self)
    }
}

/// The drops of one judged day of one series. `counts` are the series' dense counts from
/// the timeline's origin; `day` indexes the judged day in them.
pub fn detect_day(
    counts: &[u32],
    day: usize,
    baseline: &DayBaseline,
    s: SeriesId,
    timeline: &Timeline,
    params: &DetectParams,
) -> Vec<Episode> {
    if day < steady_days(params) {
        return Vec::new();
    }
    let judged = |g: usize| {
        let m = timeline.origin + g as Minute;
        timeline.is_judged(m) && m < timeline.data_end - params.drop.delivery_lag
    };
    let mut out = Vec::new();
    let mut g = day * DAY;
    while g < (day + 1) * DAY {
        if counts[g] != 0 || !judged(g) {
            g += 1;
            continue;
        }
        // A silent stretch is judged whole, even where it runs on past midnight.
        let start = g;
        while g < counts.len() && counts[g] == 0 && judged(g) {
            g += 1;
        }
        // Silence that began on a judged minute of the previous day was judged there.
        if start > day * DAY || counts[start - 1] != 0 || !judged(start - 1) {
            out.extend(judge(counts, start, g, baseline, s, timeline, params));
        }
    }
    out
}

fn judge(
    counts: &[u32],
    start: usize,
    end: usize,
    baseline: &DayBaseline,
    s: SeriesId,
    timeline: &Timeline,
    params: &DetectParams,
) -> Option<Episode> {
    let p = &params.drop;
    let minutes = end - start;
    if minutes < p.min_silence {
        return None;
    }
    let expected: f64 = (start..end).map(|g| baseline.expected[g % DAY]).sum();
    if expected < params.min_excess_calls {
        return None;
    }
    let chance = chance_of_none(expected, baseline.dispersion / minutes as f64);
    let days = steady_days(params);
    if chance >= params.alpha()
        || !was_steady(counts, start, end, days)
        || minutes < p.silence_factor * usual_silence(counts, start, end, days, p.around)
    {
        return None;
    }
    Some(Episode {
        series: s,
        start: timeline.origin + start as Minute,
        end: timeline.origin + end as Minute,
        detector: Detector::Drop,
        score: score(chance),
        observed: 0.0,
        expected,
        window: minutes,
        trigger_end: timeline.origin + end as Minute,
        reason: None,
    })
}

/// P(X = 0) for X ~ NB(mean `mu`, dispersion `phi`): `(1 + phi mu)^(-1/phi)`, which is
/// `e^-mu` as `phi` goes to 0.
fn chance_of_none(mu: f64, phi: f64) -> f64 {
    if phi <= 1e-9 {
        (-mu).exp()
    } else {
        (-(phi * mu).ln_1p() / phi).exp()
    }
}

/// The steady days looked back on: [`DropParams::steady_days`], within `history_days`.
fn steady_days(params: &DetectParams) -> usize {
    params.drop.steady_days.min(params.baseline.history_days)
}

/// True when the same minutes of each of the last `days` days held calls.
fn was_steady(counts: &[u32], start: usize, end: usize, days: usize) -> bool {
    (1..=days).all(|k| counts[start - k * DAY..end - k * DAY].iter().any(|&c| c > 0))
}

/// The longest run of silent minutes, on the last `days` days, within `around` minutes
/// of the same time of day as `[start, end)`.
fn usual_silence(counts: &[u32], start: usize, end: usize, days: usize, around: usize) -> usize {
    (1..=days)
        .map(|k| {
            let from = (start - k * DAY).saturating_sub(around);
            let to = (end - k * DAY + around).min(counts.len());
            longest_zero_run(&counts[from..to])
        })
        .max()
        .unwrap_or(0)
}

fn longest_zero_run(counts: &[u32]) -> usize {
    let (mut best, mut run) = (0, 0);
    for &c in counts {
        run = if c == 0 { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAYS: usize = 10;

    fn timeline(data_end_day: f64) -> Timeline {
        Timeline {
            origin: 0,
            days: DAYS,
            judge_from: 7 * MINUTES_PER_DAY,
            judge_to: DAYS as Minute * MINUTES_PER_DAY,
            data_end: (data_end_day * DAY as f64) as Minute,
        }
    }

    /// A job that calls every minute, three times, around the clock.
    fn steady() -> Vec<u32> {
        vec![3; DAYS * DAY]
    }

    fn baseline(rate: f64, dispersion: f64) -> DayBaseline {
        DayBaseline { expected: vec![rate; DAY], dispersion, history_days: 7 }
    }

    fn drops(counts: &[u32], t: &Timeline, b: &DayBaseline) -> Vec<Episode> {
        (7..DAYS).flat_map(|d| detect_day(counts, d, b, 0, t, &DetectParams::default())).collect()
    }

    #[test]
    fn a_steady_job_going_silent_for_an_hour_is_one_drop() {
        let mut counts = steady();
        let from = 8 * DAY + 600;
        counts[from..from + 60].fill(0);
        let found = drops(&counts, &timeline(10.0), &baseline(3.0, 0.01));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].start, found[0].end), (from as Minute, from as Minute + 60));
        assert_eq!(found[0].observed, 0.0);
        assert!((found[0].expected - 180.0).abs() < 1e-9);
        assert_eq!(found[0].detector, Detector::Drop);
    }

    #[test]
    fn silence_across_midnight_is_judged_once() {
        let mut counts = steady();
        let from = 9 * DAY - 20;
        counts[from..from + 40].fill(0);
        let found = drops(&counts, &timeline(10.0), &baseline(3.0, 0.01));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].end - found[0].start, 40);
    }

    #[test]
    fn short_silence_bursty_series_and_the_last_hour_are_left_alone() {
        let mut short = steady();
        short[8 * DAY + 600..8 * DAY + 620].fill(0);
        assert!(drops(&short, &timeline(10.0), &baseline(3.0, 0.01)).is_empty());

        // Calls in clumps of five minutes every hour: one clump missing makes a
        // 115-minute gap, not three times the usual 55.
        let mut bursty: Vec<u32> = (0..DAYS * DAY).map(|i| if i % 60 < 5 { 36 } else { 0 }).collect();
        bursty[8 * DAY + 660..8 * DAY + 665].fill(0);
        assert!(drops(&bursty, &timeline(10.0), &baseline(3.0, 0.01)).is_empty());

        // The input ends 30 minutes after the silence began: it may be delivery lag.
        let mut tail = steady();
        let end = 9 * DAY + 500;
        tail[end - 30..].fill(0);
        assert!(drops(&tail, &timeline(end as f64 / DAY as f64), &baseline(3.0, 0.01)).is_empty());
    }

    #[test]
    fn an_hourly_job_missing_three_runs_is_a_drop() {
        let mut counts: Vec<u32> = (0..DAYS * DAY).map(|i| if i % 60 < 5 { 36 } else { 0 }).collect();
        counts[8 * DAY + 660..8 * DAY + 840].fill(0);
        let found = drops(&counts, &timeline(10.0), &baseline(3.0, 0.01));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].start, found[0].end), ((8 * DAY + 605) as Minute, (8 * DAY + 840) as Minute));
    }

    #[test]
    fn a_series_that_was_already_silent_at_this_hour_is_not_steady() {
        let mut counts = steady();
        let from = 8 * DAY + 600;
        counts[from..from + 60].fill(0);
        counts[from - 3 * DAY..from - 3 * DAY + 60].fill(0);
        assert!(drops(&counts, &timeline(10.0), &baseline(3.0, 0.01)).is_empty());
    }

    #[test]
    fn chance_of_none_is_poisson_in_the_limit() {
        assert!((chance_of_none(5.0, 0.0) - (-5.0f64).exp()).abs() < 1e-15);
        assert!((chance_of_none(5.0, 1e-7) - (-5.0f64).exp()).abs() < 1e-6);
        assert!((chance_of_none(4.0, 1.0) - 0.2).abs() < 1e-12);
    }
}
