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
pub mod first_iam;
pub mod iam_burst;
pub mod naive;
pub mod rate;
pub mod routine;
pub mod timeline;
mod window;

pub use behaviour::{BehaviourParamError, BehaviourParams, FittedWeek, WeeklyModels};
pub use drop::{DropParamError, DropParams};
pub use episode::{Detector, Episode};
pub use first_iam::{FirstIamParamError, FirstIamParams};
pub use iam_burst::{IamBurstParamError, IamBurstParams};
pub use rate::{RateParamError, RateParams};
pub use routine::{RoutineParamError, RoutineParams};
pub use timeline::{Timeline, Timelines};

use crate::baseline::{BaselineParamError, BaselineParams};
use crate::frame::Frames;
use crate::time::Minute;
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

/// Detection settings: every knob of every detector, each documented once, on its field.
/// Build one with [`DetectParams::default`] (the tuned values), adjust, then
/// [`DetectParams::check`] before reading any data (the engine checks again on entry).
///
/// As linfa's `ParamGuard` (unchecked params -> checked), but by value: `check` consumes
/// the settings and hands back the same, validated, so the detectors keep taking
/// `&DetectParams` and every caller (CLI, benchmark, tests) keeps building them by field.
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
    pub rate: RateParams,
    pub drop: DropParams,
    pub iam: IamBurstParams,
    pub first_iam: FirstIamParams,
    pub behaviour: BehaviourParams,
    pub routine: RoutineParams,
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
            rate: RateParams::default(),
            drop: DropParams::default(),
            iam: IamBurstParams::default(),
            first_iam: FirstIamParams::default(),
            behaviour: BehaviourParams::default(),
            routine: RoutineParams::default(),
        }
    }
}

/// Why detection settings are unusable.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DetectParamError {
    #[error("sensitivity must be a number above 0 and at most 1e6 (got {0})")]
    Sensitivity(f64),
    #[error("the volume floor must be at least 1 call (got {0})")]
    Floor(f64),
    #[error("min_ratio must be at least 1 (got {0})")]
    Ratio(f64),
    #[error("--since must be before --until")]
    Range,
    #[error("warmup_days must be at most {MAX_DAYS} (got {0})")]
    Warmup(usize),
    #[error("{0} must be a time between 1970 and 9999")]
    Time(&'static str),
    #[error(transparent)]
    Baseline(#[from] BaselineParamError),
    #[error(transparent)]
    Rate(#[from] RateParamError),
    #[error(transparent)]
    Drop(#[from] DropParamError),
    #[error(transparent)]
    Iam(#[from] IamBurstParamError),
    #[error(transparent)]
    FirstIam(#[from] FirstIamParamError),
    #[error(transparent)]
    Behaviour(#[from] BehaviourParamError),
    #[error(transparent)]
    Routine(#[from] RoutineParamError),
}

/// The longest warm-up or history accepted, in days (ten years): bounds every day count
/// before it is multiplied into minutes.
pub const MAX_DAYS: usize = crate::baseline::MAX_HISTORY_DAYS;

/// The latest minute a time setting may name (9999-12-31T23:59Z).
const LAST_MINUTE: Minute = 4_223_371_679;

impl DetectParams {
    pub fn check(self) -> Result<Self, DetectParamError> {
        // Below 1e7 the threshold 1e-7 x sensitivity stays a probability.
        if !(self.sensitivity > 0.0 && self.sensitivity <= 1e6) {
            return Err(DetectParamError::Sensitivity(self.sensitivity));
        }
        if self.warmup_days > MAX_DAYS {
            return Err(DetectParamError::Warmup(self.warmup_days));
        }
        for (name, t) in [("--since", self.since), ("--until", self.until)] {
            if t.is_some_and(|t| !(0..=LAST_MINUTE).contains(&t)) {
                return Err(DetectParamError::Time(name));
            }
        }
        if !(self.min_excess_calls >= 1.0 && self.min_excess_calls.is_finite()) {
            return Err(DetectParamError::Floor(self.min_excess_calls));
        }
        if !(self.min_ratio >= 1.0 && self.min_ratio.is_finite()) {
            return Err(DetectParamError::Ratio(self.min_ratio));
        }
        if let (Some(a), Some(b)) = (self.since, self.until) {
            if a >= b {
                return Err(DetectParamError::Range);
            }
        }
        self.baseline.check()?;
        self.rate.check()?;
        self.drop.check()?;
        self.iam.check()?;
        self.first_iam.check()?;
        self.behaviour.check()?;
        self.routine.check()?;
        Ok(self)
    }

    /// The tail probability a window must fall below to be anomalous.
    pub fn alpha(&self) -> f64 {
        1e-7 * self.sensitivity
    }
}

/// Runs every detector over every series and returns merged episodes, ordered by series
/// then start. An episode is kept only where its own scope (account x region) is past
/// its warm-up.
pub fn detect(frames: &Frames, timelines: &Timelines, params: &DetectParams) -> Vec<Episode> {
    detect_with(frames, timelines, params, &mut WeeklyModels::default())
}

/// [`detect`], with the behaviour models kept from earlier runs (see [`WeeklyModels`]).
pub fn detect_with(frames: &Frames, timelines: &Timelines, params: &DetectParams, models: &mut WeeklyModels) -> Vec<Episode> {
    if !timelines.has_judged_minutes() {
        return Vec::new();
    }
    let (table, attributions) = (&frames.counts, &frames.attributions);
    let series = 0..table.n_series() as u32;
    let mut episodes = match params.model {
        Model::Seasonal => {
            let mut found: Vec<Episode> = series
                .into_par_iter()
                .flat_map_iter(|s| rate::detect_series(table, attributions, s, timelines.of_series(s), params))
                .collect();
            found.extend(iam_burst::detect(frames, timelines, params));
            found.extend(first_iam::detect(frames, timelines, params));
            found.extend(behaviour::detect_with(frames, timelines, params, models));
            found
        }
        Model::Naive => series.into_par_iter().flat_map_iter(|s| naive::detect_series(table, s, timelines.of_series(s))).collect(),
    };
    episodes.retain(|e| timelines.of_series(e.series).is_judged(e.start));
    tracing::info!(episodes = episodes.len(), "detectors done");
    episode::merge(episodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        assert_eq!(DetectParams::default().check(), Ok(DetectParams::default()));
    }

    type Spoil = fn(&mut DetectParams);

    #[test]
    fn every_unusable_knob_is_refused_by_name() {
        let cases: [(&str, Spoil); 26] = [
            ("sensitivity", |p| p.sensitivity = 0.0),
            ("min_ratio", |p| p.min_ratio = f64::NAN),
            ("history_days", |p| p.baseline.history_days = 0),
            ("baseline.noise_sigmas", |p| p.baseline.noise_sigmas = -1.0),
            ("baseline.default_dispersion", |p| p.baseline.default_dispersion = f64::INFINITY),
            ("baseline.min_dispersion", |p| p.baseline.min_dispersion = 6.0),
            ("baseline.min_calls_for_dispersion", |p| p.baseline.min_calls_for_dispersion = 0),
            ("rate.windows", |p| p.rate.windows[3] = 0),
            ("rate.windows", |p| p.rate.windows[1] = 1441),
            ("rate.max_gap", |p| p.rate.max_gap = 2000),
            ("rate.minute_cost", |p| p.rate.minute_cost = f64::NAN),
            ("drop.min_silence", |p| p.drop.min_silence = 0),
            ("drop.steady_days", |p| p.drop.steady_days = 0),
            ("drop.silence_factor", |p| p.drop.silence_factor = 0),
            ("drop.delivery_lag", |p| p.drop.delivery_lag = -1),
            ("iam.window", |p| p.iam.window = 0),
            ("iam.min_calls", |p| p.iam.min_calls = 0),
            ("iam.history_ratio", |p| p.iam.history_ratio = 0.5),
            ("first_iam.alpha", |p| p.first_iam.alpha = 1.0),
            ("first_iam.window", |p| p.first_iam.window = 0),
            ("behaviour.model.clusters", |p| p.behaviour.model.clusters = 0),
            ("behaviour.model.min_windows", |p| p.behaviour.model.min_windows = 3),
            ("behaviour.model.tail_quantile", |p| p.behaviour.model.tail_quantile = 1.0),
            ("behaviour.same_hour_days", |p| p.behaviour.same_hour_days = 0),
            ("routine.min_span", |p| p.routine.min_span = 0),
            ("routine.peak_quantile", |p| p.routine.peak_quantile = 1.5),
        ];
        for (knob, spoil) in cases {
            let mut p = DetectParams::default();
            spoil(&mut p);
            let why = p.check().expect_err(knob).to_string();
            assert!(why.starts_with(knob), "{knob}: {why}");
        }
    }
}
