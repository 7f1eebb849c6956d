//! `trailsight timeline`: one series per minute (or coarser), against the expected value
//! and band of the baseline the rate detector fitted, with its insights.
//!
//! The baseline of each day is fitted exactly as the detector fits it (the same
//! [`SeriesProfile`] over the scope's timeline, from earlier days only), so the expected
//! line is the detector's expectation. A bucket of `w` minutes is scored by the detector
//! as one negative binomial with the summed mean and dispersion `phi / w`; the band is
//! two of its standard deviations either side of the mean.

use super::{InvestigateError, Window};
use crate::aggregate::{InsightType, SeriesId, SeriesKey};
use crate::baseline::SeriesProfile;
use crate::engine::Analysis;
use crate::frame::Frames;
use crate::plot::{Chart, Sample};
use crate::time::{format_minute, Minute, MINUTES_PER_DAY};

/// Bucket lengths a timeline may use, minutes: the shortest that fits is chosen.
const STEPS: [Minute; 11] = [1, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];

/// Standard deviations either side of the expected value the band spans.
pub const BAND_SIGMAS: f64 = 2.0;

/// Which series to show: an API, and where needed its account, region and error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesQuery {
    /// `eventSource`; a bare service name (`ec2`) means `ec2.amazonaws.com`.
    pub source: String,
    pub name: String,
    pub account: Option<String>,
    pub region: Option<String>,
    /// `None`: the call-rate series; `Some(None)`: the error-rate series of the one
    /// error code the API has; `Some(Some(code))`: that code's error-rate series.
    pub errors: Option<Option<String>>,
}

impl SeriesQuery {
    /// Parses `SOURCE:NAME`.
    pub fn api(spec: &str) -> Option<(String, String)> {
        let (source, name) = spec.split_once(':')?;
        if source.is_empty() || name.is_empty() {
            return None;
        }
        let source = if source.contains('.') { source.to_string() } else { format!("{source}.amazonaws.com") };
        Some((source, name.to_string()))
    }

    fn describe(&self) -> String {
        let mut parts = vec![format!("{}:{}", self.source, self.name)];
        parts.extend(self.account.iter().map(|a| format!("account {a}")));
        parts.extend(self.region.iter().map(|r| format!("region {r}")));
        match &self.errors {
            None => parts.push("(write calls)".to_string()),
            Some(None) => parts.push("(errors)".to_string()),
            Some(Some(code)) => parts.push(format!("(errors {code})")),
        }
        parts.join(" ")
    }
}

/// The one series a query names, or why it names none or several.
pub fn find_series(frames: &Frames, q: &SeriesQuery) -> Result<SeriesId, InvestigateError> {
    let s = &frames.strings;
    let is = |want: &Option<String>, have| want.as_deref().is_none_or(|w| w == s.resolve(have));
    let matches: Vec<(SeriesId, &SeriesKey)> = frames
        .series
        .iter()
        .enumerate()
        .filter(|(_, k)| s.resolve(k.source) == q.source && s.resolve(k.name) == q.name)
        .filter(|(_, k)| is(&q.account, k.account) && is(&q.region, k.region))
        .filter(|(_, k)| match &q.errors {
            None => k.insight_type == InsightType::ApiCallRate,
            Some(code) => k.insight_type == InsightType::ApiErrorRate && k.error.is_some_and(|e| is(code, e)),
        })
        .map(|(i, k)| (i as SeriesId, k))
        .collect();
    match matches.as_slice() {
        [] => Err(InvestigateError::NoSeries(q.describe())),
        [(id, _)] => Ok(*id),
        several => Err(ambiguity(frames, q, several)),
    }
}

/// The first dimension in which the matching series differ, as a flag to choose with.
fn ambiguity(frames: &Frames, q: &SeriesQuery, several: &[(SeriesId, &SeriesKey)]) -> InvestigateError {
    let s = &frames.strings;
    type Dimension = (&'static str, fn(&SeriesKey) -> Option<u32>);
    let dimensions: [Dimension; 3] =
        [("--account", |k| Some(k.account)), ("--region", |k| Some(k.region)), ("--errors CODE", |k| k.error)];
    for (flag, of) in dimensions {
        let mut values: Vec<&str> = several.iter().filter_map(|(_, k)| of(k)).map(|v| s.resolve(v)).collect();
        values.sort_unstable();
        values.dedup();
        if values.len() > 1 {
            return InvestigateError::Ambiguous { what: q.describe(), count: several.len(), flag, choices: values.join(", ") };
        }
    }
    InvestigateError::Ambiguous { what: q.describe(), count: several.len(), flag: "--account", choices: String::new() }
}

/// One bucket of a timeline.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Point {
    pub start: Minute,
    pub observed: u64,
    pub expected: f64,
    pub low: f64,
    pub high: f64,
}

/// One insight of the series, as a timeline marks it.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub start: Minute,
    pub end: Minute,
    pub shared_event_id: String,
    pub model: &'static str,
    pub score: f64,
}

/// A series over a window, minute by minute, with the detector's expectation.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesTimeline {
    pub series: SeriesId,
    /// `account region source:name type [code]`.
    pub title: String,
    pub window: Window,
    /// First minute the series' scope is judged (before it, the baseline is warming up).
    pub judged_from: Minute,
    observed: Vec<u32>,
    expected: Vec<f64>,
    dispersion: Vec<f64>,
    pub insights: Vec<Span>,
}

impl SeriesTimeline {
    /// The timeline of series `s` over `[from, to)`, by default over the scope's whole
    /// history (whole UTC days).
    pub fn new(analysis: &Analysis, s: SeriesId, from: Option<Minute>, to: Option<Minute>) -> Result<Self, InvestigateError> {
        let frames = &analysis.frames;
        let timeline = analysis.timelines.of_series(s);
        let end = timeline.origin + timeline.minutes() as Minute;
        let window = Window::new(from.unwrap_or(timeline.origin).max(timeline.origin), to.unwrap_or(end).min(end))?;
        let counts = frames.counts.dense(s, timeline.origin, timeline.minutes());
        let profile = SeriesProfile::new(timeline.origin / MINUTES_PER_DAY, counts, &analysis.params.baseline);
        let offset = |m: Minute| (m - timeline.origin) as usize;
        let (mut expected, mut dispersion) = (Vec::new(), Vec::new());
        let first_day = offset(window.from) / MINUTES_PER_DAY as usize;
        let last_day = (offset(window.to) - 1) / MINUTES_PER_DAY as usize;
        for day in first_day..=last_day {
            let baseline = profile.fit_day(day, &analysis.params.baseline);
            let day_from = day * MINUTES_PER_DAY as usize;
            for m in offset(window.from).max(day_from)..offset(window.to).min(day_from + MINUTES_PER_DAY as usize) {
                expected.push(baseline.expected[m - day_from]);
                dispersion.push(baseline.dispersion);
            }
        }
        let observed = profile.counts[offset(window.from)..offset(window.to)].to_vec();
        let insights = analysis
            .insights
            .iter()
            .filter(|(e, _)| e.series == s && e.start < window.to && e.end.max(e.start + 1) > window.from)
            .map(|(e, pair)| Span { start: e.start, end: e.end.max(e.start + 1), shared_event_id: pair.start.shared_event_id.clone(), model: e.detector.as_str(), score: e.score })
            .collect();
        let title = frames.series[s as usize].describe(&frames.strings);
        Ok(Self { series: s, title, window, judged_from: timeline.judge_from, observed, expected, dispersion, insights })
    }

    /// The bucket length in minutes that shows the window in at most `max_points`
    /// buckets (a day per bucket at most).
    pub fn step_for(&self, max_points: usize) -> Minute {
        let minutes = self.window.minutes();
        STEPS.into_iter().find(|&w| (minutes + w - 1) / w <= max_points as Minute).unwrap_or(MINUTES_PER_DAY)
    }

    /// The series in buckets of `step` minutes from the window's start.
    pub fn points(&self, step: Minute) -> Vec<Point> {
        let step = step.max(1) as usize;
        (0..self.observed.len())
            .step_by(step)
            .map(|i| {
                let j = (i + step).min(self.observed.len());
                let observed = self.observed[i..j].iter().map(|&c| u64::from(c)).sum();
                let mu: f64 = self.expected[i..j].iter().sum();
                // The detector's window model: the summed mean, dispersion phi / w.
                let phi = self.dispersion[i] / (j - i) as f64;
                let sd = (mu + phi * mu * mu).sqrt();
                Point { start: self.window.from + i as Minute, observed, expected: mu, low: (mu - BAND_SIGMAS * sd).max(0.0), high: mu + BAND_SIGMAS * sd }
            })
            .collect()
    }

    /// Calls observed in the window.
    pub fn total(&self) -> u64 {
        self.observed.iter().map(|&c| u64::from(c)).sum()
    }

    /// True when some insight overlaps `[from, to)`.
    pub fn has_insight_in(&self, from: Minute, to: Minute) -> bool {
        self.insights.iter().any(|i| i.start < to && i.end > from)
    }

    /// "per minute", "per 15 minutes", "per day".
    pub fn unit(step: Minute) -> String {
        match step {
            1 => "per minute".to_string(),
            60 => "per hour".to_string(),
            MINUTES_PER_DAY => "per day".to_string(),
            s if s % 60 == 0 => format!("per {} hours", s / 60),
            s => format!("per {s} minutes"),
        }
    }

    /// The chart of the timeline in buckets of `step` minutes.
    pub fn chart(&self, step: Minute) -> Chart {
        let unit = Self::unit(step);
        let samples = self
            .points(step)
            .iter()
            .map(|p| Sample { start: p.start, observed: p.observed as f64, expected: p.expected, low: p.low, high: p.high })
            .collect();
        Chart {
            title: self.title.clone(),
            subtitle: format!("{} (UTC), calls {unit}; {} insight(s)", self.span_text(), self.insights.len()),
            y_label: format!("calls {unit}"),
            band_label: format!("expected ± {BAND_SIGMAS} sd"),
            step,
            samples,
            insights: self.insights.iter().map(|i| (i.start, i.end)).collect(),
            judged_from: self.judged_from,
        }
    }

    /// The window in words, for a title.
    pub fn span_text(&self) -> String {
        format!("{} .. {}", format_minute(self.window.from), format_minute(self.window.to))
    }
}
