//! Baselines: what normal looks like for one series on one judged day.
//!
//! A baseline is learned only from the days before the judged day (up to
//! `history_days`, AWS keeps 28). It takes the most generous of three seasonal
//! references, so that regular activity is never news:
//!
//! - a smooth hour-of-day profile from days of the same type (weekday or weekend), a
//!   trimmed mean so one past incident does not become normal, scaled up to the recent
//!   level so slow growth is normal;
//! - a daily-periodic profile: the median over recent same-type days of the busiest
//!   minute within a few minutes of this time of day, so a job that bursts every night
//!   at 02:00 (with a little jitter) is normal;
//! - a weekly profile: the same, from the same time in earlier weeks, so a
//!   Monday-morning deploy is normal.
//!
//! The periodic and weekly references count only where they stand above what the busiest
//! of a few minutes reaches by chance, so a busy series' noise is not taken for a job.
//!
//! Counts around that mean are modelled as negative binomial with a dispersion fitted per
//! series, which gives calibrated tail probabilities ([`tail`]).

pub mod cluster;
pub mod tail;

use crate::time::{is_weekend_day, MINUTES_PER_DAY, MINUTES_PER_WEEK};

const DAY: usize = MINUTES_PER_DAY as usize;
const WEEK: usize = MINUTES_PER_WEEK as usize;

/// Settings of the seasonal baseline; validated before any data is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaselineParams {
    /// Days of history a baseline may use (AWS: 28). Every lookback of every detector
    /// stays within it: the weekly profile, the routine, the behaviour model's training
    /// windows and expectations, the drop's steady days and the IAM-burst rate.
    pub history_days: usize,
    /// How many minutes either side of a time of day count as "the same time".
    pub jitter_minutes: usize,
    /// How many recent same-type days the periodic profile looks at.
    pub periodic_days: usize,
    /// How many earlier weeks the weekly profile looks at (only those within
    /// `history_days`).
    pub weekly_weeks: usize,
    /// Cap on how far the recent level may lift the profile (growth correction).
    pub max_growth: f64,
    /// Standard deviations (plus one call) above the hour-of-day mean that a periodic or
    /// weekly reference must reach to count: about what the busiest of a few minutes
    /// reaches by chance, so a busy series' noise maxima are not taken for a job.
    pub noise_sigmas: f64,
    /// Over-dispersion assumed for a series too quiet to measure: bursty, as API calls
    /// are.
    pub default_dispersion: f64,
    /// Least over-dispersion a measured series is given (a steady series is not quite
    /// Poisson).
    pub min_dispersion: f64,
    /// Most over-dispersion a measured series is given, so one wild day cannot make
    /// every spike ordinary.
    pub max_dispersion: f64,
    /// Calls an hour needs before its over-dispersion is measured.
    pub min_calls_for_dispersion: u32,
}

impl Default for BaselineParams {
    fn default() -> Self {
        Self {
            history_days: 28,
            jitter_minutes: 3,
            periodic_days: 7,
            weekly_weeks: 4,
            max_growth: 4.0,
            noise_sigmas: 3.0,
            default_dispersion: 1.0,
            min_dispersion: 0.05,
            max_dispersion: 5.0,
            min_calls_for_dispersion: 10,
        }
    }
}

/// The most days of history a baseline may use (ten years).
pub const MAX_HISTORY_DAYS: usize = 3660;

/// Why baseline settings are unusable.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BaselineParamError {
    #[error("history_days must be 1 to {MAX_HISTORY_DAYS} (got {0})")]
    NoHistory(usize),
    #[error("jitter_minutes must be below 60 (got {0})")]
    Jitter(usize),
    #[error("max_growth must be at least 1 (got {0})")]
    Growth(f64),
    #[error("baseline.noise_sigmas must be a number of at least 0 (got {0})")]
    NoiseSigmas(f64),
    #[error("baseline.default_dispersion must be a number of at least 0 (got {0})")]
    DefaultDispersion(f64),
    #[error("baseline.min_dispersion and max_dispersion must be numbers with 0 <= min <= max (got {0} and {1})")]
    DispersionBounds(f64, f64),
    #[error("baseline.min_calls_for_dispersion must be at least 1 (got 0)")]
    DispersionCalls,
}

impl BaselineParams {
    pub fn check(self) -> Result<Self, BaselineParamError> {
        if self.history_days == 0 || self.history_days > MAX_HISTORY_DAYS {
            return Err(BaselineParamError::NoHistory(self.history_days));
        }
        if self.jitter_minutes >= 60 {
            return Err(BaselineParamError::Jitter(self.jitter_minutes));
        }
        if !(self.max_growth >= 1.0) {
            return Err(BaselineParamError::Growth(self.max_growth));
        }
        if !is_non_negative(self.noise_sigmas) {
            return Err(BaselineParamError::NoiseSigmas(self.noise_sigmas));
        }
        if !is_non_negative(self.default_dispersion) {
            return Err(BaselineParamError::DefaultDispersion(self.default_dispersion));
        }
        let (lo, hi) = (self.min_dispersion, self.max_dispersion);
        if !(is_non_negative(lo) && is_non_negative(hi) && lo <= hi) {
            return Err(BaselineParamError::DispersionBounds(lo, hi));
        }
        if self.min_calls_for_dispersion == 0 {
            return Err(BaselineParamError::DispersionCalls);
        }
        Ok(self)
    }

    /// How many weeks back the weekly profile may look: `weekly_weeks`, within
    /// `history_days`.
    fn weeks_back(&self) -> usize {
        self.weekly_weeks.min(self.history_days / 7)
    }
}

/// True for a finite number of at least 0 (false for NaN).
pub fn is_non_negative(v: f64) -> bool {
    v.is_finite() && v >= 0.0
}

/// The dense per-minute history of one series and what is derived from it once.
/// Minute 0 is 00:00 UTC of `origin_day` (days since the epoch).
#[derive(Debug, Clone)]
pub struct SeriesProfile {
    pub origin_day: i64,
    pub counts: Vec<u32>,
    hourly: Vec<u32>,
    daily: Vec<u64>,
    /// Busiest minute within ±jitter of each minute.
    jitter_max: Vec<u32>,
    /// Within-hour over-dispersion of each day (negative binomial phi), if the day had
    /// enough activity to tell.
    day_dispersion: Vec<Option<f64>>,
}

/// The baseline of one series for one judged day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayBaseline {
    /// Expected calls per minute, for each minute of the day.
    pub expected: Vec<f64>,
    /// Negative binomial dispersion phi (variance = mu + phi * mu^2); 0 is Poisson.
    pub dispersion: f64,
    /// How many days of history it was learned from.
    pub history_days: usize,
}

impl SeriesProfile {
    /// Builds the profile from dense counts whose length is a whole number of days.
    pub fn new(origin_day: i64, counts: Vec<u32>, params: &BaselineParams) -> Self {
        let hourly: Vec<u32> = counts.chunks(60).map(|h| h.iter().sum()).collect();
        let daily: Vec<u64> =
            hourly.chunks(24).map(|d| d.iter().map(|&h| u64::from(h)).sum()).collect();
        let jitter_max = sliding_max(&counts, params.jitter_minutes);
        let day_dispersion = counts
            .chunks(DAY)
            .zip(hourly.chunks(24))
            .map(|(d, h)| dispersion_of_day(d, h, params.min_calls_for_dispersion))
            .collect();
        Self { origin_day, counts, hourly, daily, jitter_max, day_dispersion }
    }

    pub fn days(&self) -> usize {
        self.daily.len()
    }

    /// The baseline for day index `day` (0-based from the origin), from earlier days only.
    pub fn fit_day(&self, day: usize, params: &BaselineParams) -> DayBaseline {
        let first = day.saturating_sub(params.history_days);
        let history: Vec<usize> = (first..day).collect();
        let weekend = is_weekend_day(self.origin_day + day as i64);
        let mut same: Vec<usize> = history
            .iter()
            .copied()
            .filter(|&k| is_weekend_day(self.origin_day + k as i64) == weekend)
            .collect();
        if same.len() < 2 {
            same.clone_from(&history);
        }
        let growth = self.growth(&history, &same, day).clamp(1.0, params.max_growth);
        let smooth = self.smooth_profile(&same).map(|v| v * growth);
        let dispersion = self.dispersion(&history, params);
        let periodic = self.periodic_profile(&same, params.periodic_days);
        let weekly = self.weekly_profile(day, params.weeks_back());
        let expected = (0..DAY)
            .map(|m| {
                let mu = smooth[m / 60];
                let beyond_noise = |v: u32| {
                    let v = f64::from(v);
                    if v > noise_peak(mu, dispersion, params.noise_sigmas) { v } else { 0.0 }
                };
                mu.max(beyond_noise(periodic[m])).max(beyond_noise(weekly[m]))
            })
            .collect();
        DayBaseline { expected, dispersion, history_days: history.len() }
    }

    /// Hour-of-day means per minute over the given days, trimmed.
    fn smooth_profile(&self, days: &[usize]) -> [f64; 24] {
        let mut out = [0.0; 24];
        if days.is_empty() {
            return out;
        }
        for (h, slot) in out.iter_mut().enumerate() {
            let values: Vec<f64> = days.iter().map(|&k| f64::from(self.hourly[k * 24 + h])).collect();
            *slot = trimmed_mean(values) / 60.0;
        }
        out
    }

    /// How much busier the judged day should be than the profile's days: the log-linear
    /// trend of daily totals (with a separate level for weekends), extrapolated from the
    /// profile days' mean position to the judged day. Slow growth is normal.
    fn growth(&self, history: &[usize], profile_days: &[usize], day: usize) -> f64 {
        let points: Vec<(f64, bool, f64)> = history
            .iter()
            .filter(|&&k| self.daily[k] > 0)
            .map(|&k| (k as f64, is_weekend_day(self.origin_day + k as i64), (self.daily[k] as f64).ln()))
            .collect();
        let Some(slope) = trend_slope(&points) else {
            return 1.0;
        };
        let centre = profile_days.iter().sum::<usize>() as f64 / profile_days.len().max(1) as f64;
        (slope * (day as f64 - centre)).exp()
    }

    /// Median, over the last `n` days given, of the busiest minute near each time of day.
    fn periodic_profile(&self, days: &[usize], n: usize) -> Vec<u32> {
        let recent = &days[days.len().saturating_sub(n)..];
        (0..DAY)
            .map(|m| median_u32(recent.iter().map(|&k| self.jitter_max[k * DAY + m]).collect()))
            .collect()
    }

    /// Median of the busiest minute near the same time of week in the `weeks` weeks before.
    fn weekly_profile(&self, day: usize, weeks: usize) -> Vec<u32> {
        let start = day * DAY;
        (0..DAY)
            .map(|m| {
                let past: Vec<u32> = (1..=weeks)
                    .filter_map(|w| (start + m).checked_sub(w * WEEK))
                    .map(|i| self.jitter_max[i])
                    .collect();
                median_u32(past)
            })
            .collect()
    }

    /// Median over the history of each day's over-dispersion; 0 (Poisson) when unknown.
    fn dispersion(&self, days: &[usize], params: &BaselineParams) -> f64 {
        let mut phis: Vec<f64> = days.iter().filter_map(|&k| self.day_dispersion[k]).collect();
        if phis.is_empty() {
            return params.default_dispersion;
        }
        phis.sort_by(f64::total_cmp);
        phis[phis.len() / 2].clamp(params.min_dispersion, params.max_dispersion)
    }
}

/// A level the busiest of a few minutes reaches by chance around a mean `mu`
/// (`sigmas` standard deviations and one call above it).
fn noise_peak(mu: f64, dispersion: f64, sigmas: f64) -> f64 {
    mu + sigmas * (mu + dispersion * mu * mu).sqrt() + 1.0
}

/// Over-dispersion of one day: the median over its active hours of each hour's
/// method-of-moments phi around that hour's own mean. The median keeps an hour holding
/// a periodic job (which the periodic profile explains) from inflating the whole day.
fn dispersion_of_day(minutes: &[u32], hours: &[u32], min_calls: u32) -> Option<f64> {
    let mut phis: Vec<f64> = hours
        .iter()
        .enumerate()
        .filter(|&(_, &sum)| sum >= min_calls)
        .map(|(h, &sum)| {
            let mu = f64::from(sum) / 60.0;
            let excess: f64 = minutes[h * 60..(h + 1) * 60]
                .iter()
                .map(|&c| (f64::from(c) - mu).powi(2) - f64::from(c))
                .sum();
            (excess / (60.0 * mu * mu)).max(0.0)
        })
        .collect();
    if phis.is_empty() {
        return None;
    }
    phis.sort_by(f64::total_cmp);
    Some(phis[phis.len() / 2])
}

/// Least-squares slope of `y` on `x` after removing each group's mean (the groups being
/// weekdays and weekends); `None` with fewer than four points.
fn trend_slope(points: &[(f64, bool, f64)]) -> Option<f64> {
    if points.len() < 4 {
        return None;
    }
    let mean = |weekend: bool| {
        let group: Vec<&(f64, bool, f64)> = points.iter().filter(|p| p.1 == weekend).collect();
        let n = group.len().max(1) as f64;
        (group.iter().map(|p| p.0).sum::<f64>() / n, group.iter().map(|p| p.2).sum::<f64>() / n)
    };
    let (weekday, weekend) = (mean(false), mean(true));
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for &(x, is_weekend, y) in points {
        let (mx, my) = if is_weekend { weekend } else { weekday };
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
    }
    (sxx > 0.0).then(|| sxy / sxx)
}

/// Mean after dropping the top tenth of values (at least one when there are four or
/// more): robust to a past incident without being pulled to zero by sparse series.
fn trimmed_mean(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let drop = if values.len() >= 4 { values.len().div_ceil(10) } else { 0 };
    let kept = &values[..values.len() - drop];
    kept.iter().sum::<f64>() / kept.len() as f64
}

/// The upper median: with few days (two weekends), the more generous of the middle two,
/// so that a job that ran a few minutes off its usual time on one day still counts.
fn median_u32(mut values: Vec<u32>) -> u32 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    values[values.len() / 2]
}

/// Max over a window of ±`radius` around each index (monotonic deque, O(n)).
fn sliding_max(values: &[u32], radius: usize) -> Vec<u32> {
    let n = values.len();
    let mut out = vec![0; n];
    let mut deque: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    let mut next = 0;
    for (i, slot) in out.iter_mut().enumerate() {
        while next < n && next <= i + radius {
            while deque.back().is_some_and(|&j| values[j] <= values[next]) {
                deque.pop_back();
            }
            deque.push_back(next);
            next += 1;
        }
        while deque.front().is_some_and(|&j| j + radius < i) {
            deque.pop_front();
        }
        *slot = deque.front().map_or(0, |&j| values[j]);
    }
    out
}

#[cfg(test)]
mod tests;
