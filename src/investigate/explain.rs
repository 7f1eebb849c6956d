//! `trailsight explain`: one insight taken apart for a responder.
//!
//! It starts from the explanation `detect --explain` writes (model, score, tail
//! probability, observed against expected) and adds, for the insight's own series, who
//! and what made the calls in the window against their share of the baseline window:
//! principals, user agents, error codes (from the attribution cells the Insight record's
//! attributions come from) and source IPs (read back from the logs), the values never
//! seen before the window, and the first raw records of the window, to paste into a
//! ticket.

use super::records::{self, CallFilter, CallKind};
use super::top::{cell_counts, cell_values, group_counts, value_name, CellAttribute};
use super::{InvestigateError, ValueCounts, ValueShare, Window};
use crate::aggregate::{InsightType, SeriesKey};
use crate::detect::Episode;
use crate::engine::{Analysis, Inputs};
use crate::insight::{Explanation, InsightPair, RenderContext};
use crate::intern::Interner;
use crate::time::Minute;
use polars::prelude::PolarsResult;
use serde::Serialize;
use serde_json::value::RawValue;

/// Values listed per attribute.
pub const LISTED_VALUES: usize = 10;

/// Everything `explain` says about one insight.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InsightStory {
    #[serde(flatten)]
    pub explanation: Explanation,
    #[serde(rename = "startEventID")]
    pub start_event_id: String,
    #[serde(rename = "endEventID")]
    pub end_event_id: String,
    /// Start of the baseline window the shares compare to (its end is the insight's start).
    pub baseline_from: String,
    /// The busiest values of each attribute in the window, with their baseline shares.
    pub attributions: Vec<AttributeShares>,
    /// Values seen in the window and never before it in this series.
    pub first_seen: Vec<FirstSeen>,
    /// Calls of the series in the window found in the log files (0 for counts tables).
    pub records_in_window: u64,
    /// The first records of the window, in time order, as they are in the logs.
    pub records: Vec<Box<RawValue>>,
}

/// One attribute's values in the window.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeShares {
    pub attribute: &'static str,
    pub values: Vec<ValueShare>,
}

/// A value new in the window.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FirstSeen {
    pub attribute: &'static str,
    pub value: String,
    pub first_seen: String,
    pub count: u64,
}

/// The insight with this id: its sharedEventID, or the eventID of its Start or End.
pub fn find_insight<'a>(analysis: &'a Analysis, id: &str) -> Result<&'a (Episode, InsightPair), InvestigateError> {
    let id = id.trim();
    analysis
        .insights
        .iter()
        .find(|(_, p)| p.start.shared_event_id.eq_ignore_ascii_case(id) || p.start.event_id.eq_ignore_ascii_case(id) || p.end.event_id.eq_ignore_ascii_case(id))
        .ok_or_else(|| InvestigateError::NoInsight(id.to_string()))
}

/// Explains the insight `id`, with up to `max_records` raw records.
pub fn explain(analysis: &Analysis, inputs: &Inputs<'_>, id: &str, max_records: usize) -> Result<InsightStory, ExplainError> {
    let (episode, pair) = find_insight(analysis, id)?;
    let frames = &analysis.frames;
    let explanation = RenderContext { frames }.explain(episode, &pair.start.shared_event_id);
    let window = Window::new(episode.start, episode.end.max(episode.start + 1))?;
    let key = frames.series[episode.series as usize];
    let mut attributions = Vec::new();
    for (name, attribute) in [("userIdentityArn", CellAttribute::Principal), ("userAgent", CellAttribute::Agent), ("errorCode", CellAttribute::Error)] {
        let (values, apis) = cell_values(frames, attribute);
        let counts = cell_counts(frames, &|k| k.series == episode.series, &|k| values(k), &window)?;
        attributions.push((name, counts.shares(&window, &|id| value_name(&frames.strings, attribute, &apis, id))));
    }
    let raw = read_raw(analysis, inputs, &key, &window, max_records)?;
    attributions.insert(2, ("sourceIPAddress", raw.ips.shares(&window, &|id| raw.ip_names.resolve(id).to_string())));
    let first_seen = attributions
        .iter()
        .flat_map(|(attribute, values)| {
            values.iter().filter(|v| v.is_new).map(|v| FirstSeen { attribute, value: v.value.clone(), first_seen: v.first_seen.clone(), count: v.count })
        })
        .collect();
    let attributions = attributions
        .into_iter()
        .map(|(attribute, mut values)| {
            values.truncate(LISTED_VALUES);
            AttributeShares { attribute, values }
        })
        .collect();
    Ok(InsightStory {
        explanation,
        start_event_id: pair.start.event_id.clone(),
        end_event_id: pair.end.event_id.clone(),
        baseline_from: crate::time::format_minute(window.baseline().from),
        attributions,
        first_seen,
        records_in_window: raw.in_window,
        records: raw.records,
    })
}

/// Why `explain` could not answer.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error(transparent)]
    Query(#[from] InvestigateError),
    #[error("grouping the counts failed: {0}")]
    Frame(#[from] polars::error::PolarsError),
}

/// What the logs say about a series in a window that the aggregates do not keep.
struct Raw {
    ips: ValueCounts,
    ip_names: Interner,
    in_window: u64,
    records: Vec<Box<RawValue>>,
}

/// The series' source IPs (window, baseline, first seen) and first records of the window.
fn read_raw(analysis: &Analysis, inputs: &Inputs<'_>, key: &SeriesKey, window: &Window, max_records: usize) -> PolarsResult<Raw> {
    let s = &analysis.frames.strings;
    let kind = match (key.insight_type, key.error) {
        (InsightType::ApiErrorRate, Some(code)) => CallKind::Errors(s.resolve(code).to_string()),
        _ => CallKind::Writes,
    };
    let filter = CallFilter {
        account: Some(s.resolve(key.account).to_string()),
        region: Some(s.resolve(key.region).to_string()),
        source: Some(s.resolve(key.source).to_string()),
        name: Some(s.resolve(key.name).to_string()),
        kind,
    };
    let (mut minutes, mut values, mut calls) = (Vec::new(), Vec::new(), Vec::new());
    let mut ip_names = Interner::new();
    let mut kept = Earliest::new(max_records);
    let mut in_window = 0u64;
    records::scan(inputs, analysis.summary.range, &filter, &mut |raw, e, strings| {
        minutes.push(e.minute);
        values.push(ip_names.intern(strings.resolve(e.ip)));
        calls.push(e.calls);
        if window.contains(e.minute) {
            in_window += u64::from(e.calls);
            kept.offer(e.minute, raw);
        }
    });
    let ips = group_counts(minutes, values, calls, window)?;
    Ok(Raw { ips, ip_names, in_window, records: kept.into_records() })
}

/// The `n` earliest records offered, by eventTime (to the second) and then by input
/// order.
struct Earliest {
    n: usize,
    seq: usize,
    kept: Vec<(Minute, String, usize, Box<RawValue>)>,
}

/// The one field of a record the ordering needs.
#[derive(serde::Deserialize)]
struct EventTime {
    #[serde(rename = "eventTime")]
    event_time: Option<String>,
}

impl Earliest {
    fn new(n: usize) -> Self {
        Self { n, seq: 0, kept: Vec::new() }
    }

    fn offer(&mut self, minute: Minute, raw: &[u8]) {
        self.seq += 1;
        if self.n == 0 {
            return;
        }
        let Some(value) = std::str::from_utf8(raw).ok().and_then(|t| RawValue::from_string(t.to_string()).ok()) else {
            return;
        };
        let time = serde_json::from_str::<EventTime>(value.get()).ok().and_then(|t| t.event_time).unwrap_or_default();
        self.kept.push((minute, time, self.seq, value));
        // Bounded memory for a long window: keep the earliest n now and then.
        if self.kept.len() >= 2 * self.n + 1024 {
            self.settle();
        }
    }

    fn settle(&mut self) {
        self.kept.sort_by(|a, b| (a.0, &a.1, a.2).cmp(&(b.0, &b.1, b.2)));
        self.kept.truncate(self.n);
    }

    fn into_records(mut self) -> Vec<Box<RawValue>> {
        self.settle();
        self.kept.into_iter().map(|(.., v)| v).collect()
    }
}
