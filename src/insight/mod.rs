//! Insight records: episodes rendered in exactly the AWS CloudTrail Insights format.
//!
//! Each [`Episode`] becomes a Start and an End record sharing one `sharedEventID`
//! (SPEC §4). The Start's statistics cover the first five minutes, the End's the whole
//! episode; the baseline covers the observed AWS window (the previous seven days plus the
//! start day up to the start). Identifiers are UUID v5 of the insight's identity, so the
//! same input always gives byte-identical output.

mod explain;
mod number;
mod record;

pub use explain::{Explanation, PrincipalShare};
pub use number::{format_average, Average};
pub use record::{Attribution, InsightContext, InsightDetails, InsightRecord, Statistics, ValueAverage};

use crate::aggregate::{InsightType, SeriesKey};
use crate::detect::Episode;
use crate::frame::attribution::AttributionValue;
use crate::frame::{Attribute, Frames};
use crate::time::{day_start, format_minute, Minute, MINUTES_PER_WEEK};
use uuid::Uuid;

/// Minutes the Start record's statistics cover (observed AWS behaviour).
pub const START_WINDOW: Minute = 5;
/// Attribution values listed per window.
pub const TOP_VALUES: usize = 5;

/// Namespace of trailsight's deterministic UUIDs.
const NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2b1e_8d0a_4c3e_9a57_7e4f_1d2b_c0de);

/// What rendering reads: the frames (names, counts and attribution cells).
pub struct RenderContext<'a> {
    pub frames: &'a Frames,
}

/// The two records of one insight.
#[derive(Debug, Clone)]
pub struct InsightPair {
    pub start: InsightRecord,
    pub end: InsightRecord,
}

/// The minute windows an insight's statistics are computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    pub baseline_from: Minute,
    pub start: Minute,
    pub end: Minute,
}

impl Windows {
    pub fn of(e: &Episode) -> Self {
        Self { baseline_from: day_start(e.start) - MINUTES_PER_WEEK, start: e.start, end: e.end.max(e.start + 1) }
    }

    pub fn baseline_minutes(&self) -> Minute {
        self.start - self.baseline_from
    }
}

impl RenderContext<'_> {
    /// Renders one episode as its Start and End records.
    pub fn render(&self, e: &Episode) -> InsightPair {
        let key = &self.frames.series[e.series as usize];
        let w = Windows::of(e);
        let shared = self.shared_id(key, e.start);
        let start_stats = self.statistics(e, &w, w.start + START_WINDOW, START_WINDOW);
        let end_stats = self.statistics(e, &w, w.end, w.end - w.start);
        InsightPair {
            start: self.record(key, &shared, "Start", w.start, start_stats),
            end: self.record(key, &shared, "End", w.end, end_stats),
        }
    }

    fn record(&self, key: &SeriesKey, shared: &Uuid, state: &'static str, at: Minute, ctx: InsightContext) -> InsightRecord {
        let s = &self.frames.strings;
        let event_id = Uuid::new_v5(shared, state.as_bytes());
        InsightRecord::new(
            format_minute(at),
            s.resolve(key.region).to_string(),
            event_id.to_string(),
            s.resolve(key.account).to_string(),
            shared.to_string(),
            InsightDetails {
                state,
                event_source: s.resolve(key.source).to_string(),
                event_name: s.resolve(key.name).to_string(),
                insight_type: key.insight_type.as_str(),
                error_code: key.error.map(|e| s.resolve(e).to_string()),
                source_event_category: key.source_category(),
                insight_context: ctx,
            },
        )
    }

    fn shared_id(&self, key: &SeriesKey, start: Minute) -> Uuid {
        let identity = format!("{}|{}", key.describe(&self.frames.strings), start);
        Uuid::new_v5(&NAMESPACE, identity.as_bytes())
    }

    /// Statistics over `[w.start, insight_to)` lasting `duration` minutes.
    fn statistics(&self, e: &Episode, w: &Windows, insight_to: Minute, duration: Minute) -> InsightContext {
        let baseline_minutes = w.baseline_minutes();
        let baseline = self.frames.counts.window_sum(e.series, w.baseline_from, w.start);
        let insight = self.frames.counts.window_sum(e.series, w.start, insight_to);
        InsightContext {
            statistics: Statistics {
                baseline: Average::of(baseline as f64 / baseline_minutes as f64),
                insight: Average::of(insight as f64 / duration as f64),
                insight_duration: duration,
                baseline_duration: baseline_minutes,
            },
            attributions: self.attributions(e, w, insight_to, duration),
        }
    }

    fn attributions(&self, e: &Episode, w: &Windows, insight_to: Minute, duration: Minute) -> Vec<Attribution> {
        let key = &self.frames.series[e.series as usize];
        let mut attributes = vec![Attribute::UserIdentityArn, Attribute::UserAgent];
        if key.insight_type == InsightType::ApiCallRate {
            attributes.push(Attribute::ErrorCode);
        }
        attributes
            .into_iter()
            .map(|a| Attribution {
                attribute: a.as_str(),
                insight: self.top(e, a, w.start, insight_to, duration),
                baseline: self.top(e, a, w.baseline_from, w.start, w.baseline_minutes()),
            })
            .collect()
    }

    /// The five most frequent values of an attribute in a window, as per-minute averages.
    fn top(&self, e: &Episode, a: Attribute, from: Minute, to: Minute, minutes: Minute) -> Vec<ValueAverage> {
        let mut values: Vec<(String, u64)> = self
            .frames
            .attributions
            .counts(e.series, from, to, a)
            .into_iter()
            .map(|(v, n)| (self.value_text(v), n))
            .collect();
        values.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
        values
            .into_iter()
            .take(TOP_VALUES)
            .map(|(value, n)| ValueAverage { value, average: Average::of(n as f64 / minutes as f64) })
            .collect()
    }

    fn value_text(&self, v: AttributionValue) -> String {
        match v {
            AttributionValue::Sym(s) => self.frames.strings.resolve(s).to_string(),
            AttributionValue::Null => crate::ingest::NULL_VALUE.to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
