//! Scoring: Insight records scored against the labels of a simulated history.
//!
//! Used by the end-to-end tests (`tests/simulated.rs`) and the accuracy benchmark
//! (`benches/accuracy.rs`, which includes this file by path). An injected anomaly is
//! *found* when an insight on one of its APIs (same account, region, event source,
//! insight type and error code) starts within its window (give or take [`SLACK`]); it is
//! *attributed* when that insight's top `userIdentityArn` is the injected principal. An
//! insight on an attacked API during the attack is true whatever its type (a flood of
//! denied writes is also a call-rate spike); every other insight is *false*, and a false
//! insight on a decoy's API during the decoy is a *decoy fired*.

use std::collections::BTreeSet;
use trailsight::insight::InsightRecord;
use trailsight::simulate::{Anomaly, Decoy, Labels};
use trailsight::time::{parse_event_minute, Minute};

/// Minutes an insight may start before or after an anomaly's labelled window.
pub const SLACK: Minute = 5;

/// The facts of an insight that evaluation looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct InsightView {
    pub account: String,
    pub region: String,
    pub event_source: String,
    pub event_name: String,
    pub insight_type: String,
    pub error_code: Option<String>,
    pub start: Minute,
    pub top_principal: Option<String>,
}

impl InsightView {
    /// From a Start record.
    pub fn of(r: &InsightRecord) -> Option<Self> {
        let d = &r.insight_details;
        let top = d.insight_context.attributions.iter().find(|a| a.attribute == "userIdentityArn");
        Some(Self {
            account: r.recipient_account_id.clone(),
            region: r.aws_region.clone(),
            event_source: d.event_source.clone(),
            event_name: d.event_name.clone(),
            insight_type: d.insight_type.to_string(),
            error_code: d.error_code.clone(),
            start: parse_event_minute(&r.event_time)?,
            top_principal: top.and_then(|a| a.insight.first()).map(|v| v.value.clone()),
        })
    }

    /// From a Start record parsed from JSON output (`None` for End records or other JSON).
    pub fn from_json(r: &serde_json::Value) -> Option<Self> {
        let d = &r["insightDetails"];
        if d["state"] != "Start" {
            return None;
        }
        let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
        let top = d["insightContext"]["attributions"]
            .as_array()?
            .iter()
            .find(|a| a["attribute"] == "userIdentityArn")
            .and_then(|a| text(&a["insight"][0]["value"]));
        Some(Self {
            account: text(&r["recipientAccountId"])?,
            region: text(&r["awsRegion"])?,
            event_source: text(&d["eventSource"])?,
            event_name: text(&d["eventName"])?,
            insight_type: text(&d["insightType"])?,
            error_code: text(&d["errorCode"]),
            start: parse_event_minute(r["eventTime"].as_str()?)?,
            top_principal: top,
        })
    }

    fn is_on(&self, account: &str, region: &str, source: Option<&str>, names: &[String]) -> bool {
        self.account == account
            && self.region == region
            && source.is_none_or(|s| s == self.event_source)
            && (names.is_empty() || names.contains(&self.event_name))
    }

    /// On one of the attack's APIs while it lasted, whatever the insight type.
    fn overlaps(&self, a: &Anomaly) -> bool {
        let (Some(start), Some(end)) = (parse_event_minute(&a.start), parse_event_minute(&a.end)) else {
            return false;
        };
        self.is_on(&a.account, &a.region, Some(&a.event_source), &a.event_names)
            && (start - SLACK..=end + SLACK).contains(&self.start)
    }

    /// Detects the anomaly as labelled: same insight type and error code too.
    fn matches(&self, a: &Anomaly) -> bool {
        self.overlaps(a)
            && self.insight_type == a.insight_type
            && (a.error_code.is_none() || self.error_code == a.error_code)
    }

    fn hits(&self, d: &Decoy) -> bool {
        let within = |bound: &Option<String>, f: fn(Minute, Minute) -> bool| {
            bound.as_deref().and_then(parse_event_minute).is_none_or(|b| f(self.start, b))
        };
        self.is_on(&d.account, &d.region, d.event_source.as_deref(), &d.event_names)
            && within(&d.start, |s, b| s >= b - SLACK)
            && within(&d.end, |s, b| s <= b + SLACK)
    }
}

/// How one injected anomaly fared.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyResult {
    pub id: String,
    pub kind: String,
    pub found: bool,
    pub attributed: bool,
    /// Minutes from the attack's start to the first matching insight's start.
    pub delay: Option<Minute>,
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scorecard {
    pub anomalies: Vec<AnomalyResult>,
    pub insights: usize,
    pub false_insights: Vec<InsightView>,
    pub decoys_fired: BTreeSet<String>,
    /// Accounts x judged days, the denominator of the false-insight rate.
    pub account_days: f64,
}

impl Scorecard {
    pub fn found(&self) -> usize {
        self.anomalies.iter().filter(|a| a.found).count()
    }

    pub fn recall(&self) -> f64 {
        ratio(self.found(), self.anomalies.len())
    }

    pub fn attribution(&self) -> f64 {
        ratio(self.anomalies.iter().filter(|a| a.attributed).count(), self.found())
    }

    pub fn false_per_account_day(&self) -> f64 {
        if self.account_days > 0.0 { self.false_insights.len() as f64 / self.account_days } else { 0.0 }
    }

    pub fn median_delay(&self) -> Option<f64> {
        let mut d: Vec<Minute> = self.anomalies.iter().filter_map(|a| a.delay).collect();
        if d.is_empty() {
            return None;
        }
        d.sort_unstable();
        let n = d.len();
        Some(if n % 2 == 1 { d[n / 2] as f64 } else { (d[n / 2 - 1] + d[n / 2]) as f64 / 2.0 })
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// Scores insights (views of Start records) against labels; `judged_days` is how many
/// days per account were judged.
pub fn score(labels: &Labels, insights: &[InsightView], judged_days: f64) -> Scorecard {
    let anomalies = labels.anomalies.iter().map(|a| result_of(a, insights)).collect();
    let false_insights: Vec<InsightView> =
        insights.iter().filter(|i| !labels.anomalies.iter().any(|a| i.overlaps(a))).cloned().collect();
    let decoys_fired = labels
        .decoys
        .iter()
        .filter(|d| false_insights.iter().any(|i| i.hits(d)))
        .map(|d| format!("{} ({})", d.id, d.kind))
        .collect();
    Scorecard {
        anomalies,
        insights: insights.len(),
        false_insights,
        decoys_fired,
        account_days: labels.accounts.len() as f64 * judged_days,
    }
}

fn result_of(a: &Anomaly, insights: &[InsightView]) -> AnomalyResult {
    let matching: Vec<&InsightView> = insights.iter().filter(|i| i.matches(a)).collect();
    let start = parse_event_minute(&a.start);
    let first = matching.iter().map(|i| i.start).min();
    AnomalyResult {
        id: a.id.clone(),
        kind: a.kind.clone(),
        found: !matching.is_empty(),
        attributed: matching.iter().any(|i| i.top_principal.as_deref() == Some(a.principal_arn.as_str())),
        delay: first.zip(start).map(|(f, s)| (f - s).max(0)),
    }
}
