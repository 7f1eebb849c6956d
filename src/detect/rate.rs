//! The rate detector: each series, minute by minute, against its seasonal baseline.
//!
//! For every judged minute it scores the trailing 1-, 5- and 15-minute windows: a window
//! is anomalous when its count is improbable under the baseline's negative binomial
//! (tail probability below `alpha`), is at least `min_excess_calls` above the baseline
//! and `min_ratio` times it. Anomalous windows are joined into episodes that start at the
//! first hot minute (a minute improbable on its own) and end, with hysteresis, when no hot
//! minute has followed for `MAX_GAP` minutes.

use super::episode::{Detector, Episode};
use super::{DetectParams, Timeline};
use crate::aggregate::SeriesId;
use crate::baseline::tail::{score, upper_tail};
use crate::baseline::{DayBaseline, SeriesProfile};
use crate::frame::CountsTable;
use crate::time::{Minute, MINUTES_PER_DAY};

const DAY: usize = MINUTES_PER_DAY as usize;
/// Window lengths scored at every minute.
const WINDOWS: [usize; 3] = [1, 5, 15];
/// Minutes without a hot minute that still keep an episode open (hysteresis).
const MAX_GAP: usize = 5;
/// A minute is hot, part of an episode, when its own count is this improbable.
const ALPHA_HOT: f64 = 0.05;

/// One anomalous window: `[start, end)` in dense minute indices.
#[derive(Debug, Clone, Copy)]
struct Flag {
    start: usize,
    end: usize,
    score: f64,
    window: usize,
}

/// Finds the episodes of one series over the judged days.
pub fn detect_series(table: &CountsTable, s: SeriesId, timeline: &Timeline, params: &DetectParams) -> Vec<Episode> {
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
    for day in judged {
        let today = &profile.counts[day * DAY..(day + 1) * DAY];
        if today.iter().all(|&c| c == 0) {
            continue;
        }
        let baseline = profile.fit_day(day, &params.baseline);
        let view = DayView::new(&profile.counts, day, &baseline);
        let flags = view.flags(timeline, params);
        episodes.extend(view.episodes(&flags, s, timeline));
    }
    episodes
}

/// One judged day of one series, with prefix sums for fast window totals.
struct DayView<'a> {
    counts: &'a [u32],
    day_start: usize,
    /// Expected calls per minute from `day_start - PAD` to the end of the day.
    expected: Vec<f64>,
    /// Prefix sums over the same span: `obs[i]` is calls before span index `i`.
    obs_prefix: Vec<f64>,
    exp_prefix: Vec<f64>,
    dispersion: f64,
}

/// Minutes of the previous day a window may reach back into.
const PAD: usize = 15;

impl<'a> DayView<'a> {
    fn new(counts: &'a [u32], day: usize, baseline: &DayBaseline) -> Self {
        let day_start = day * DAY;
        // The minutes before midnight take the same time of day's expectation.
        let expected: Vec<f64> = (0..PAD + DAY).map(|i| baseline.expected[(i + DAY - PAD) % DAY]).collect();
        let observed = (0..PAD + DAY).map(|i| {
            (day_start + i).checked_sub(PAD).map_or(0.0, |g| f64::from(counts[g]))
        });
        let obs_prefix = prefix(observed);
        let exp_prefix = prefix(expected.iter().copied());
        Self { counts, day_start, expected, obs_prefix, exp_prefix, dispersion: baseline.dispersion }
    }

    fn observed(&self, g: usize) -> f64 {
        f64::from(self.counts[g])
    }

    /// True when minute `g` on its own is clearly above the baseline: the minutes an
    /// episode starts, continues and ends on.
    fn is_hot(&self, g: usize) -> bool {
        let (obs, exp) = (self.observed(g), self.expected_at(g));
        obs >= exp + 1.0 && upper_tail(obs, exp, self.dispersion) < ALPHA_HOT
    }

    fn expected_at(&self, g: usize) -> f64 {
        self.expected[g + PAD - self.day_start]
    }

    /// Observed and expected calls in the `w` minutes ending at dense minute `g`.
    fn window(&self, g: usize, w: usize) -> (f64, f64) {
        let end = g + 1 + PAD - self.day_start;
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
            let best = WINDOWS
                .iter()
                .filter_map(|&w| Some((w, self.window_p(g, w, params.min_excess_calls, params.min_ratio)?)))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((w, p)) = best.filter(|&(_, p)| p < params.alpha()) {
                let first = (g + 1 - w..=g).find(|&i| self.is_hot(i)).unwrap_or(g);
                flags.push(Flag { start: first, end: g + 1, score: score(p), window: w });
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
            while let Some(next) = iter.peek().filter(|n| n.start <= span.end + MAX_GAP) {
                span.end = span.end.max(next.end);
                if next.score > span.score {
                    (span.score, span.window) = (next.score, next.window);
                }
                iter.next();
            }
            if let Some(e) = self.to_episode(span, s, timeline) {
                out.push(e);
            }
        }
        out
    }

    /// Hysteresis: from the last hot minute, keep going while another hot minute
    /// follows within `MAX_GAP` minutes (up to the end of the day).
    fn extend(&self, mut last_hot: usize) -> usize {
        let day_end = self.day_start + DAY;
        while let Some(next) = (last_hot + 1..(last_hot + 1 + MAX_GAP).min(day_end)).find(|&g| self.is_hot(g)) {
            last_hot = next;
        }
        last_hot
    }

    fn to_episode(&self, span: Flag, s: SeriesId, timeline: &Timeline) -> Option<Episode> {
        let start = (span.start..span.end).find(|&g| self.is_hot(g))?;
        let end = self.extend((start..span.end).rev().find(|&g| self.is_hot(g))?) + 1;
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
