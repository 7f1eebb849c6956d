//! The rate detector: each series, minute by minute, against its seasonal baseline.
//!
//! For every judged minute it scores the trailing windows of [`RateParams::windows`]: a
//! window is anomalous when its count is improbable under the baseline's negative binomial
//! (tail probability below `alpha`), is at least `min_excess_calls` above the baseline
//! and `min_ratio` times it. Anomalous windows closer than [`RateParams::max_gap`] minutes
//! are joined (hysteresis), and the episode inside them is the stretch that maximises the summed
//! excess over the baseline beyond one standard deviation per minute: the CUSUM
//! change-point estimate of where the anomaly starts and ends.

use super::episode::{Detector, Episode};
use super::{drop, routine, DetectParams, Timeline};
use crate::aggregate::SeriesId;
use crate::baseline::tail::{score, upper_tail};
use crate::baseline::{DayBaseline, SeriesProfile};
use crate::frame::{AttributionTable, CountsTable};
use crate::time::{Minute, MINUTES_PER_DAY};

const DAY: usize = MINUTES_PER_DAY as usize;

/// Settings of the rate detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateParams {
    /// Lengths in minutes of the trailing windows scored at every minute (1 to 1440); the
    /// longest is also how far an episode may reach back into the day before.
    pub windows: [usize; 4],
    /// Minutes between anomalous windows that still keep an episode open (hysteresis).
    pub max_gap: usize,
    /// Calls a minute must exceed its baseline's one-sigma band by to extend an episode,
    /// so quiet minutes end a stretch even where the baseline is zero.
    pub minute_cost: f64,
}

impl Default for RateParams {
    fn default() -> Self {
        Self { windows: [1, 5, 15, 30], max_gap: 5, minute_cost: 0.5 }
    }
}

/// Why rate-detector settings are unusable.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RateParamError {
    #[error("rate.windows must each be 1 to {DAY} minutes (got {0})")]
    Window(usize),
    #[error("rate.max_gap must be at most {DAY} minutes (got {0})")]
    MaxGap(usize),
    #[error("rate.minute_cost must be a number of at least 0 (got {0})")]
    MinuteCost(f64),
}

impl RateParams {
    pub fn check(self) -> Result<Self, RateParamError> {
        if let Some(&w) = self.windows.iter().find(|w| !(1..=DAY).contains(w)) {
            return Err(RateParamError::Window(w));
        }
        if self.max_gap > DAY {
            return Err(RateParamError::MaxGap(self.max_gap));
        }
        if !crate::baseline::is_non_negative(self.minute_cost) {
            return Err(RateParamError::MinuteCost(self.minute_cost));
        }
        Ok(self)
    }

    /// Minutes of the previous day a window may reach back into: the longest window.
    fn reach(&self) -> usize {
        self.windows.iter().copied().max().unwrap_or(1)
    }
}

/// One anomalous window: `[start, end)` in dense minute indices.
#[derive(Debug, Clone, Copy)]
struct Flag {
    /// First minute of the anomalous window.
    start: usize,
    end: usize,
    score: f64,
    window: usize,
    /// End (exclusive) of the best-scoring window so far.
    trigger_end: usize,
}

/// Finds the episodes of one series over the judged days, leaving out those that are a
/// principal's routine (see [`super::routine`]), and its drops (see [`super::drop`]).
pub fn detect_series(
    table: &CountsTable,
    attributions: &AttributionTable,
    s: SeriesId,
    timeline: &Timeline,
    params: &DetectParams,
) -> Vec<Episode> {
    let judged = timeline.judged_days();
    let (minutes, _) = table.series(s);
    let judged_start = timeline.origin + judged.start as Minute * MINUTES_PER_DAY;
    if judged.is_empty() || minutes.last().is_none_or(|&m| m < judged_start) {
        return Vec::new();
    }
    let counts = table.dense(s, timeline.origin, timeline.minutes());
    let origin_day = timeline.origin / MINUTES_PER_DAY;
    let profile = SeriesProfile::new(origin_day, counts, &params.baseline);
    let mut episodes = Vec::new();
    let mut drops = Vec::new();
    for day in judged {
        // A day with no call can still hold a drop if the day before had calls.
        let quiet = |d: usize| profile.counts[d * DAY..(d + 1) * DAY].iter().all(|&c| c == 0);
        if quiet(day) && (day == 0 || quiet(day - 1)) {
            continue;
        }
        let baseline = profile.fit_day(day, &params.baseline);
        let view = DayView::new(&profile.counts, day, &baseline, &params.rate);
        let flags = view.flags(timeline, params);
        episodes.extend(view.episodes(&flags, s, timeline));
        drops.extend(drop::detect_day(&profile.counts, day, &baseline, s, timeline, params));
    }
    episodes.retain(|e| !routine::is_routine(attributions, e, params, timeline.origin));
    episodes.extend(drops);
    episodes
}

/// One judged day of one series, with prefix sums for fast window totals.
struct DayView<'a> {
    counts: &'a [u32],
    day_start: usize,
    /// Minutes of the previous day a window may reach back into.
    pad: usize,
    /// Expected calls per minute from `day_start - pad` to the end of the day.
    expected: Vec<f64>,
    /// Prefix sums over the same span: `obs[i]` is calls before span index `i`.
    obs_prefix: Vec<f64>,
    exp_prefix: Vec<f64>,
    dispersion: f64,
    params: &'a RateParams,
}

impl<'a> DayView<'a> {
    fn new(counts: &'a [u32], day: usize, baseline: &DayBaseline, params: &'a RateParams) -> Self {
        let day_start = day * DAY;
        let pad = params.reach();
        // The minutes before midnight take the same time of day's expectation.
        let expected: Vec<f64> = (0..pad + DAY).map(|i| baseline.expected[(i + DAY - pad) % DAY]).collect();
        let observed = (0..pad + DAY).map(|i| {
            (day_start + i).checked_sub(pad).map_or(0.0, |g| f64::from(counts[g]))
        });
        let obs_prefix = prefix(observed);
        let exp_prefix = prefix(expected.iter().copied());
        Self { counts, day_start, pad, expected, obs_prefix, exp_prefix, dispersion: baseline.dispersion, params }
    }

    fn observed(&self, g: usize) -> f64 {
        f64::from(self.counts[g])
    }

    /// Excess of minute `g` beyond one standard deviation of the baseline, less a small
    /// cost per minute so that quiet minutes end a stretch even where the baseline is
    /// zero (stray calls minutes before an attack are not part of it).
    fn excess(&self, g: usize) -> f64 {
        let exp = self.expected_at(g);
        self.observed(g) - exp - (exp + self.dispersion * exp * exp).sqrt() - self.params.minute_cost
    }

    /// The stretch of `[from, to)` with the largest summed excess (Kadane), trimmed to
    /// start and end on minutes with positive excess.
    fn strongest_stretch(&self, from: usize, to: usize) -> Option<(usize, usize)> {
        let (mut best, mut best_span) = (0.0, None);
        let (mut sum, mut start) = (0.0, from);
        for g in from..to {
            if sum <= 0.0 {
                (sum, start) = (0.0, g);
            }
            sum += self.excess(g);
            if sum > best && self.excess(g) > 0.0 {
                (best, best_span) = (sum, Some((start, g + 1)));
            }
        }
        let (start, end) = best_span?;
        let start = (start..end).find(|&g| self.excess(g) > 0.0)?;
        Some((start, end))
    }

    fn expected_at(&self, g: usize) -> f64 {
        self.expected[g + self.pad - self.day_start]
    }

    /// Observed and expected calls in the `w` minutes ending at dense minute `g`.
    fn window(&self, g: usize, w: usize) -> (f64, f64) {
        let end = g + 1 + self.pad - self.day_start;
        let start = end.saturating_sub(w);
        (self.obs_prefix[end] - self.obs_prefix[start], self.exp_prefix[end] - self.exp_prefix[start])
    }

    /// The tail probability of the `w`-minute window ending at `g`, if it clears the
    /// volume floors.
    fn window_p(&self, g: usize, w: usize, floor: f64, ratio: f64) -> Option<f64> {
        let (obs, exp) = self.window(g, w);
        (obs - exp >= floor && obs >= ratio * exp)
            .then(|| upper_tail(obs, exp, self.dispersion / w as f64))
    }

    fn flags(&self, timeline: &Timeline, params: &DetectParams) -> Vec<Flag> {
        let mut flags = Vec::new();
        for g in self.day_start..self.day_start + DAY {
            if !timeline.is_judged(timeline.origin + g as Minute) || self.counts[g] == 0 {
                continue;
            }
            let best = self
                .params
                .windows
                .iter()
                .filter_map(|&w| Some((w, self.window_p(g, w, params.min_excess_calls, params.min_ratio)?)))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((w, p)) = best.filter(|&(_, p)| p < params.alpha()) {
                flags.push(Flag { start: g + 1 - w, end: g + 1, score: score(p), window: w, trigger_end: g + 1 });
            }
        }
        flags
    }

    /// Joins flags into episodes, extending each while hot minutes keep coming.
    fn episodes(&self, flags: &[Flag], s: SeriesId, timeline: &Timeline) -> Vec<Episode> {
        let mut out: Vec<Episode> = Vec::new();
        let mut iter = flags.iter().peekable();
        while let Some(first) = iter.next() {
            let mut span = *first;
            while let Some(next) = iter.peek().filter(|n| n.start <= span.end + self.params.max_gap) {
                span.end = span.end.max(next.end);
                if next.score > span.score {
                    (span.score, span.window, span.trigger_end) = (next.score, next.window, next.trigger_end);
                }
                iter.next();
            }
            if let Some(e) = self.to_episode(span, s, timeline) {
                out.push(e);
            }
        }
        out
    }

    fn to_episode(&self, span: Flag, s: SeriesId, timeline: &Timeline) -> Option<Episode> {
        let (start, end) = self.strongest_stretch(span.start.max(self.day_start.saturating_sub(self.pad)), span.end)?;
        let start_minute = timeline.origin + start as Minute;
        timeline.is_judged(start_minute).then(|| Episode {
            series: s,
            start: start_minute,
            end: timeline.origin + end as Minute,
            detector: Detector::Rate,
            score: span.score,
            observed: (start..end).map(|g| self.observed(g)).sum(),
            expected: (start..end).map(|g| self.expected_at(g)).sum(),
            window: span.window,
            trigger_end: timeline.origin + span.trigger_end as Minute,
            reason: None,
        })
    }
}

fn prefix(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut out = vec![0.0];
    let mut acc = 0.0;
    for v in values {
        acc += v;
        out.push(acc);
    }
    out
}

#[cfg(test)]
mod tests;
