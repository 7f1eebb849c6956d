//! `trailsight top`: the busiest and the most unusual values of one attribute in a
//! window, against their share of the baseline window before it.
//!
//! The calls are the attribution cells the detector's series were built from (grouped
//! with polars), so `top --by api --writes` counts exactly what each call-rate series
//! counted; source IPs, which the aggregates do not keep, are read back from the logs
//! under the same rules (see [`super::records`]).

use super::records::{self, CallFilter, CallKind};
use super::{InvestigateError, ValueCounts, ValueShare, Window};
use crate::aggregate::{AttributionKey, InsightType};
use crate::engine::{Analysis, Inputs};
use crate::frame::columns::{COUNT, MINUTE};
use crate::frame::Frames;
use crate::hash::FastMap;
use crate::ingest::NULL_VALUE;
use crate::intern::{Interner, Sym};
use crate::time::{day_start, Minute, MINUTES_PER_DAY};
use polars::prelude::*;

/// Column of the value ids in the frames `top` groups.
const VALUE: &str = "value";
/// The id of "no error code" among error-code values.
const NULL_ID: u32 = u32::MAX;

/// The attribute `top` ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopBy {
    /// The caller (`userIdentity.arn`, as in the Insight attributions).
    Principal,
    /// `eventSource:eventName`.
    Api,
    /// The user agent.
    Agent,
    /// The source IP address (read from the log files).
    Ip,
    /// The error code; successful calls are "null", as in the Insight attributions.
    Error,
}

/// An attribute the attribution cells hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellAttribute {
    Principal,
    Api,
    Agent,
    Error,
}

impl TopBy {
    /// The attribute in the attribution cells; `None` for the source IP, which only the
    /// log files hold.
    pub fn cell_attribute(self) -> Option<CellAttribute> {
        match self {
            Self::Principal => Some(CellAttribute::Principal),
            Self::Api => Some(CellAttribute::Api),
            Self::Agent => Some(CellAttribute::Agent),
            Self::Error => Some(CellAttribute::Error),
            Self::Ip => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Principal => "principal",
            Self::Api => "api",
            Self::Agent => "agent",
            Self::Ip => "ip",
            Self::Error => "error",
        }
    }
}

/// What `top` ranks, over which calls and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopQuery {
    pub by: TopBy,
    /// Only write calls (the call-rate series); otherwise successful writes and every
    /// failed management call.
    pub writes_only: bool,
    pub account: Option<String>,
    pub region: Option<String>,
    pub from: Option<Minute>,
    pub to: Option<Minute>,
}

/// The answer: every value seen in the window, busiest first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Top {
    pub by: &'static str,
    pub calls: &'static str,
    pub from: String,
    pub to: String,
    pub baseline_from: String,
    pub window_calls: u64,
    pub baseline_calls: u64,
    pub values: Vec<ValueShare>,
}

impl TopQuery {
    /// The window asked for; by default the last UTC day with data (a window of one
    /// day ending at `--to`, or from `--from` to the end of the data).
    pub fn window(&self, analysis: &Analysis) -> Result<Window, InvestigateError> {
        let last = analysis.summary.stats.last_minute.unwrap_or(0);
        let data_end = day_start(last) + MINUTES_PER_DAY;
        let to = self.to.unwrap_or(data_end);
        let from = self.from.unwrap_or(to - MINUTES_PER_DAY);
        Window::new(from, to)
    }

    fn kind(&self) -> CallKind {
        if self.writes_only { CallKind::Writes } else { CallKind::Judged }
    }
}

/// Ranks the values of `query.by` in the window against the baseline window.
pub fn top(analysis: &Analysis, inputs: &Inputs<'_>, query: &TopQuery) -> Result<Top, TopError> {
    let window = query.window(analysis)?;
    let frames = &analysis.frames;
    check_scope(frames, query)?;
    let (counts, names): (ValueCounts, Box<dyn Fn(u32) -> String + '_>) = match query.by.cell_attribute() {
        None => {
            let filter = CallFilter { account: query.account.clone(), region: query.region.clone(), source: None, name: None, kind: query.kind() };
            let (counts, strings) = ip_counts(inputs, analysis.summary.range, &filter, &window)?;
            (counts, Box::new(move |id| strings.resolve(id).to_string()))
        }
        Some(attribute) => {
            let scope = Scope::of(frames, query);
            let (values, apis) = cell_values(frames, attribute);
            let admit = |k: &AttributionKey| scope.admits(frames, k);
            let counts = cell_counts(frames, &admit, &|k| values(k), &window)?;
            (counts, Box::new(move |id| value_name(&frames.strings, attribute, &apis, id)))
        }
    };
    let values = counts.shares(&window, &*names);
    Ok(Top {
        by: query.by.as_str(),
        calls: if query.writes_only { "write calls" } else { "successful writes and failed calls" },
        from: crate::time::format_minute(window.from),
        to: crate::time::format_minute(window.to),
        baseline_from: crate::time::format_minute(window.baseline().from),
        window_calls: counts.window.values().sum(),
        baseline_calls: counts.baseline.values().sum(),
        values,
    })
}

/// An account or region asked for must be one the input has.
fn check_scope(frames: &Frames, q: &TopQuery) -> Result<(), InvestigateError> {
    let s = &frames.strings;
    if let Some(a) = q.account.as_deref().filter(|a| !frames.series.iter().any(|k| s.resolve(k.account) == *a)) {
        return Err(InvestigateError::NoSeries(format!("of account {a}")));
    }
    if let Some(r) = q.region.as_deref().filter(|r| !frames.series.iter().any(|k| s.resolve(k.region) == *r)) {
        return Err(InvestigateError::NoSeries(format!("in region {r}")));
    }
    Ok(())
}

/// Why `top` could not answer.
#[derive(Debug, thiserror::Error)]
pub enum TopError {
    #[error(transparent)]
    Query(#[from] InvestigateError),
    #[error("grouping the counts failed: {0}")]
    Frame(#[from] PolarsError),
}

/// Which cells a `top` query counts: its account, region and kind of call.
struct Scope {
    writes_only: bool,
    /// `Some(None)` when the asked-for value is not in the input at all.
    account: Option<Option<Sym>>,
    region: Option<Option<Sym>>,
}

impl Scope {
    fn of(frames: &Frames, q: &TopQuery) -> Self {
        let sym = |v: &Option<String>| v.as_deref().map(|s| frames.strings.get(s));
        Self { writes_only: q.writes_only, account: sym(&q.account), region: sym(&q.region) }
    }

    fn admits(&self, frames: &Frames, k: &AttributionKey) -> bool {
        let key = &frames.series[k.series as usize];
        // A failed write is in its call-rate and its error-rate series: counted once, from
        // the error-rate series, unless only writes are asked for.
        let kind = match (key.insight_type, self.writes_only) {
            (InsightType::ApiCallRate, true) => true,
            (InsightType::ApiErrorRate, true) => false,
            (InsightType::ApiCallRate, false) => k.error.is_none(),
            (InsightType::ApiErrorRate, false) => true,
        };
        let is = |want: Option<Option<Sym>>, have: Sym| want.is_none_or(|w| w == Some(have));
        kind && is(self.account, key.account) && is(self.region, key.region)
    }
}

/// A cell's value id.
pub type ValueOf<'a> = Box<dyn Fn(&AttributionKey) -> u32 + 'a>;

/// How a cell maps to a value id, and for `--by api` the names of the API ids.
pub fn cell_values(frames: &Frames, by: CellAttribute) -> (ValueOf<'_>, Vec<String>) {
    match by {
        CellAttribute::Principal => (Box::new(|k| k.principal), Vec::new()),
        CellAttribute::Agent => (Box::new(|k| k.agent), Vec::new()),
        CellAttribute::Error => (Box::new(|k| k.error.unwrap_or(NULL_ID)), Vec::new()),
        CellAttribute::Api => {
            let mut ids: FastMap<(Sym, Sym), u32> = FastMap::default();
            let mut names = Vec::new();
            let of_series: Vec<u32> = frames
                .series
                .iter()
                .map(|key| {
                    *ids.entry((key.source, key.name)).or_insert_with(|| {
                        names.push(format!("{}:{}", frames.strings.resolve(key.source), frames.strings.resolve(key.name)));
                        names.len() as u32 - 1
                    })
                })
                .collect();
            (Box::new(move |k| of_series[k.series as usize]), names)
        }
    }
}

/// The text of a value id of `by` (see [`cell_values`]).
pub fn value_name(strings: &Interner, by: CellAttribute, apis: &[String], id: u32) -> String {
    match by {
        CellAttribute::Api => apis.get(id as usize).cloned().unwrap_or_default(),
        _ if id == NULL_ID => NULL_VALUE.to_string(),
        _ => strings.resolve(id).to_string(),
    }
}

/// Groups the admitted attribution cells by value.
pub fn cell_counts(
    frames: &Frames,
    admit: &dyn Fn(&AttributionKey) -> bool,
    value: &dyn Fn(&AttributionKey) -> u32,
    window: &Window,
) -> PolarsResult<ValueCounts> {
    let (mut minutes, mut values, mut calls) = (Vec::new(), Vec::new(), Vec::new());
    for (k, n) in frames.attributions.cells().iter().filter(|(k, _)| admit(k)) {
        minutes.push(k.minute);
        values.push(value(k));
        calls.push(*n);
    }
    group_counts(minutes, values, calls, window)
}

/// Source IPs of the selected calls, read from the logs, and the strings behind the ids.
pub fn ip_counts(inputs: &Inputs<'_>, range: Option<crate::aggregate::DayRange>, filter: &CallFilter, window: &Window) -> PolarsResult<(ValueCounts, Interner)> {
    let (mut minutes, mut values, mut calls) = (Vec::new(), Vec::new(), Vec::new());
    let mut ips = Interner::new();
    records::scan(inputs, range, filter, &mut |_, e, s| {
        minutes.push(e.minute);
        values.push(ips.intern(s.resolve(e.ip)));
        calls.push(e.calls);
    });
    Ok((group_counts(minutes, values, calls, window)?, ips))
}

/// Calls per value in the window and in its baseline, and each value's first minute.
pub fn group_counts(minutes: Vec<Minute>, values: Vec<u32>, calls: Vec<u32>, window: &Window) -> PolarsResult<ValueCounts> {
    let frame = DataFrame::new_infer_height(vec![
        Column::new(MINUTE.into(), minutes),
        Column::new(VALUE.into(), values),
        Column::new(COUNT.into(), calls),
    ])?;
    let baseline = window.baseline();
    let first = frame.clone().lazy().group_by([col(VALUE)]).agg([col(MINUTE).min()]).collect()?;
    Ok(ValueCounts {
        window: sum_by_value(&frame, window)?,
        baseline: sum_by_value(&frame, &baseline)?,
        first_seen: pairs(&first, MINUTE, |c| Ok(c.i64()?.iter().collect()))?,
    })
}

fn sum_by_value(frame: &DataFrame, w: &Window) -> PolarsResult<std::collections::BTreeMap<u32, u64>> {
    let grouped = frame
        .clone()
        .lazy()
        .filter(col(MINUTE).gt_eq(lit(w.from)).and(col(MINUTE).lt(lit(w.to))))
        .group_by([col(VALUE)])
        .agg([col(COUNT).cast(DataType::UInt64).sum()])
        .collect()?;
    pairs(&grouped, COUNT, |c| Ok(c.u64()?.iter().collect()))
}

/// The (value, column) pairs of a grouped frame.
fn pairs<T>(frame: &DataFrame, column: &str, read: impl Fn(&Column) -> PolarsResult<Vec<Option<T>>>) -> PolarsResult<std::collections::BTreeMap<u32, T>> {
    let ids: Vec<Option<u32>> = frame.column(VALUE)?.u32()?.iter().collect();
    let values = read(frame.column(column)?)?;
    Ok(ids.into_iter().zip(values).filter_map(|(id, v)| Some((id?, v?))).collect())
}
