//! Detection: scores under the baselines become anomalous episodes (Start..End).
//!
//! One file per detector: [`rate`] judges every series minute by minute against its
//! seasonal baseline, and [`drop`] finds steady series gone silent under the same baseline; [`iam_burst`] judges each principal's IAM writes as a whole, so a
//! burst spread thinly over many IAM APIs is still caught; [`behaviour`] flags a
//! principal's five minutes that are far from every cluster of the history's windows. Both produce [`Episode`]s for
//! series; [`episode::merge`] unions overlapping ones so that one attack on one API is
//! one insight. [`routine`] drops rate episodes that are their principal's daily routine.
//! Detectors never format output: that is [`crate::insight`]'s job.

pub mod behaviour;
pub mod drop;
pub mod episode;
pub mod iam_burst;
pub mod naive;
pub mod rate;
pub mod routine;

pub use episode::{Detector, Episode};

use crate::aggregate::Aggregates;
use crate::baseline::{BaselineParamError, BaselineParams};
use crate::frame::{AttributionTable, CountsTable};
use crate::time::{day_start, Minute, MINUTES_PER_DAY};
use rayon::prelude::*;

/// Which family of models judges the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Model {
    /// Seasonal negative binomial per series plus the IAM-burst detector.
    #[default]
    Seasonal,
    /// Three sigma over seven days, for comparison in benchmarks only.
    Naive,
}

/// Detection settings. Build one with [`DetectParams::default`], adjust, then
/// [`DetectParams::check`] before reading any data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectParams {
    pub model: Model,
    /// The one sensitivity knob: the tail probability a window must fall below is
    /// `1e-7 * sensitivity`. 1 is the default; 10 fires on ten times weaker evidence.
    pub sensitivity: f64,
    /// Days of history needed before a day is judged.
    pub warmup_days: usize,
    /// Volume floor: calls above the baseline a window must have to count.
    pub min_excess_calls: f64,
    /// A window must also be at least this many times its baseline.
    pub min_ratio: f64,
    /// Only judge minutes at or after this one.
    pub since: Option<Minute>,
    /// Only judge minutes before this one.
    pub until: Option<Minute>,
    pub baseline: BaselineParams,
    pub iam: iam_burst::IamBurstParams,
}

impl Default for DetectParams {
    fn default() -> Self {
        Self {
            model: Model::Seasonal,
            sensitivity: 1.0,
            warmup_days: 7,
            min_excess_calls: 10.0,
            min_ratio: 2.0,
            since: None,
            until: None,
            baseline: BaselineParams::default(),
            iam: iam_burst::IamBurstParams::default(),
        }
    }
}

/// Why detection settings are unusable.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DetectParamError {
    #[error("sensitivity must be a positive number (got {0})")]
    Sensitivity(f64),
    #[error("the volume floor must be at least 1 call (got {0})")]
    Floor(f64),
    #[error("min_ratio must be at least 1 (got {0})")]
    Ratio(f64),
    #[error("--since must be before --until")]
    Range,
    #[error(transparent)]
    Baseline(#[from] BaselineParamError),
}

impl DetectParams {
    pub fn check(self) -> Result<Self, DetectParamError> {
        if !(self.sensitivity > 0.0 && self.sensitivity.is_finite()) {
            return Err(DetectParamError::Sensitivity(self.sensitivity));
        }
        if !(self.min_excess_calls >= 1.0) {
            return Err(DetectParamError::Floor(self.min_excess_calls));
        }
        if !(self.min_ratio >= 1.0) {
            return Err(DetectParamError::Ratio(self.min_ratio));
        }
        if let (Some(a), Some(b)) = (self.since, self.until) {
            if a >= b {
                return Err(DetectParamError::Range);
            }
        }
        self.baseline.check()?;
        Ok(self)
    }

    /// The tail probability a window must fall below to be anomalous.
    pub fn alpha(&self) -> f64 {
        1e-7 * self.sensitivity
    }
}

/// The stretch of time the engine works on: whole UTC days from the first record's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    /// 00:00 UTC of the first day with data.
    pub origin: Minute,
    pub days: usize,
    /// First minute that is judged (after warm-up), if any.
    pub judge_from: Minute,
    /// End (exclusive) of the judged minutes.
    pub judge_to: Minute,
    /// End (exclusive) of the last minute with any record: silence near it may be
    /// delivery lag, not a drop.
    pub data_end: Minute,
}

impl Timeline {
    pub fn new(first: Minute, last: Minute, params: &DetectParams) -> Self {
        let origin = day_start(first);
        let days = ((day_start(last) - origin) / MINUTES_PER_DAY + 1) as usize;
        let warm = origin + params.warmup_days as Minute * MINUTES_PER_DAY;
        let judge_from = params.since.map_or(warm, |s| s.max(warm));
        let end = origin + days as Minute * MINUTES_PER_DAY;
        let judge_to = params.until.map_or(end, |u| u.min(end));
        Self { origin, days, judge_from, judge_to, data_end: last + 1 }
    }

    pub fn minutes(&self) -> usize {
        self.days * MINUTES_PER_DAY as usize
    }

    pub fn has_judged_minutes(&self) -> bool {
        self.judge_from < self.judge_to
    }

    /// Indices of the days holding judged minutes.
    pub fn judged_days(&self) -> std::ops::Range<usize> {
        if !self.has_judged_minutes() {
            return 0..0;
        }
        let first = ((self.judge_from - self.origin) / MINUTES_PER_DAY) as usize;
        let last = ((self.judge_to - 1 - self.origin) / MINUTES_PER_DAY) as usize;
        first..last + 1
    }

    pub fn is_judged(&self, m: Minute) -> bool {
        (self.judge_from..self.judge_to).contains(&m)
    }
}

/// Runs every detector over every series and returns merged episodes, ordered by series
/// then start.
pub fn detect(
    agg: &Aggregates,
    table: &CountsTable,
    attributions: &AttributionTable,
    timeline: &Timeline,
    params: &DetectParams,
) -> Vec<Episode> {
    if !timeline.has_judged_minutes() {
        return Vec::new();
    }
    let series = 0..table.n_series() as u32;
    let episodes = match params.model {
        Model::Seasonal => {
            let mut found: Vec<Episode> =
                series.into_par_iter().flat_map_iter(|s| rate::detect_series(table, attributions, s, timeline, params)).collect();
            found.extend(iam_burst::detect(agg, table, timeline, params));
            found.extend(behaviour::detect(agg, table, attributions, timeline, params));
            found
        }
        Model::Naive => series.into_par_iter().flat_map_iter(|s| naive::detect_series(table, s, timeline)).collect(),
    };
    episode::merge(episodes)
}
