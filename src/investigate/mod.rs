//! Investigation: "what happened here?" answered from a run's own frames and models.
//!
//! The last room of the pipeline, beside [`crate::insight`]: it reads an
//! [`Analysis`](crate::engine::Analysis) (the frames, timelines and insights of a detect
//! run) and never counts anything the aggregates did not, so a number an investigation
//! shows is the number the detector used. [`series`] is one series against its baseline
//! (`trailsight timeline`), [`top`] ranks the values of an attribute in a window against
//! their baseline share (`trailsight top`), [`explain`] takes one insight apart
//! (`trailsight explain`) and [`report`] puts a whole run on one HTML page. Source IPs
//! and raw records are not in the aggregates: [`records`] reads them back from the log
//! files, with the aggregates' rules (management calls, duplicates counted once).
//! Drawing is [`crate::plot`]'s job.

pub mod explain;
pub mod records;
pub mod report;
pub mod series;
pub mod top;

use crate::time::{format_minute, Minute};

/// Why an investigation cannot answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvestigateError {
    /// No series matches the selection.
    #[error("no series {0} in the input")]
    NoSeries(String),
    /// Several series match and the selection must name one of them.
    #[error("{count} series match {what}: choose one with {flag} ({choices})")]
    Ambiguous { what: String, count: usize, flag: &'static str, choices: String },
    /// No insight of the run has this id.
    #[error("no insight with id {0} in this input (give the sharedEventID, or the eventID of the Start or End record, of an insight that `detect` reports on the same input and settings)")]
    NoInsight(String),
    /// The window is empty or reversed.
    #[error("the window is empty: --from ({from}) must be before --to ({to})")]
    EmptyWindow { from: String, to: String },
}

/// A half-open window of minutes `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Minute,
    pub to: Minute,
}

impl Window {
    /// The window, refused when it holds no minute.
    pub fn new(from: Minute, to: Minute) -> Result<Self, InvestigateError> {
        if from >= to {
            return Err(InvestigateError::EmptyWindow { from: format_minute(from), to: format_minute(to) });
        }
        Ok(Self { from, to })
    }

    pub fn minutes(&self) -> Minute {
        self.to - self.from
    }

    pub fn contains(&self, m: Minute) -> bool {
        (self.from..self.to).contains(&m)
    }

    /// The AWS baseline window before this one (SPEC §4): the seven days before the
    /// first day of the window, and that day up to the window.
    pub fn baseline(&self) -> Window {
        Window { from: crate::time::day_start(self.from) - crate::time::MINUTES_PER_WEEK, to: self.from }
    }
}

/// Shares of one attribute's values in a window against the baseline window: the
/// common shape of `top` and of `explain`'s attributions.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueShare {
    pub value: String,
    /// Calls with this value in the window.
    pub count: u64,
    /// Its share of the window's calls.
    pub share: f64,
    /// Calls with this value in the baseline window.
    pub baseline_count: u64,
    pub baseline_share: f64,
    /// `share / baseline_share`; `None` when the value is absent from the baseline.
    pub ratio: Option<f64>,
    /// The first minute the value was seen anywhere in the input (within the selection).
    pub first_seen: String,
    /// True when the value was never seen before the window.
    pub is_new: bool,
}

/// Calls per value id in a window and its baseline, with each value's first minute:
/// the result of the group-bys, before values are named.
#[derive(Debug, Clone, Default)]
pub struct ValueCounts {
    pub window: std::collections::BTreeMap<u32, u64>,
    pub baseline: std::collections::BTreeMap<u32, u64>,
    pub first_seen: std::collections::BTreeMap<u32, Minute>,
}

impl ValueCounts {
    /// The shares of every value seen in the window, busiest first (ties by name).
    pub fn shares(&self, window: &Window, name: &dyn Fn(u32) -> String) -> Vec<ValueShare> {
        let total: u64 = self.window.values().sum();
        let base_total: u64 = self.baseline.values().sum();
        let fraction = |n: u64, of: u64| if of == 0 { 0.0 } else { n as f64 / of as f64 };
        let mut out: Vec<ValueShare> = self
            .window
            .iter()
            .filter(|(_, &n)| n > 0)
            .map(|(&id, &count)| {
                let baseline_count = self.baseline.get(&id).copied().unwrap_or(0);
                let (share, baseline_share) = (fraction(count, total), fraction(baseline_count, base_total));
                let first = self.first_seen.get(&id).copied().unwrap_or(window.from);
                ValueShare {
                    value: name(id),
                    count,
                    share: round(share),
                    baseline_count,
                    baseline_share: round(baseline_share),
                    ratio: (baseline_share > 0.0).then(|| round(share / baseline_share)),
                    first_seen: format_minute(first),
                    is_new: first >= window.from,
                }
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        out
    }
}

/// The most unusual values first: new ones, then by ratio to the baseline share, then
/// by count.
pub fn by_unusualness(shares: &[ValueShare]) -> Vec<ValueShare> {
    let mut out = shares.to_vec();
    let key = |v: &ValueShare| v.ratio.unwrap_or(f64::INFINITY);
    out.sort_by(|a, b| key(b).total_cmp(&key(a)).then_with(|| b.count.cmp(&a.count)).then_with(|| a.value.cmp(&b.value)));
    out
}

/// Six significant decimals: shares and ratios as a reader (and a JSON diff) wants them.
fn round(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{parse_cli_time, MINUTES_PER_DAY};

    #[test]
    fn the_baseline_window_is_the_aws_one() {
        let from = parse_cli_time("2026-01-13T08:24:00Z").unwrap();
        let w = Window::new(from, from + 37).unwrap();
        assert_eq!(w.baseline(), Window { from: parse_cli_time("2026-01-06").unwrap(), to: from });
        assert_eq!(w.baseline().minutes(), 7 * MINUTES_PER_DAY + 8 * 60 + 24);
        assert!(Window::new(from, from).is_err());
    }

    #[test]
    fn shares_compare_each_value_with_its_baseline_share() {
        let window = Window { from: 100, to: 110 };
        let counts = ValueCounts {
            window: [(1, 30), (2, 10)].into(),
            baseline: [(1, 90), (3, 10)].into(),
            first_seen: [(1, 5), (2, 104), (3, 50)].into(),
        };
        let shares = counts.shares(&window, &|id| format!("v{id}"));
        assert_eq!(shares.iter().map(|v| v.value.as_str()).collect::<Vec<_>>(), ["v1", "v2"], "busiest first, only values of the window");
        assert_eq!((shares[0].share, shares[0].baseline_share, shares[0].ratio), (0.75, 0.9, Some(0.833333)));
        assert_eq!((shares[1].ratio, shares[1].is_new, shares[1].first_seen.as_str()), (None, true, "1970-01-01T01:44:00Z"));
        assert_eq!(by_unusualness(&shares)[0].value, "v2", "a new value is the most unusual");
    }
}
