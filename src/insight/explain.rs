//! Explanations: why each insight was raised, in terms a responder can check.
//!
//! An explanation is a separate JSON document per insight, joined to the Insight records
//! by `sharedEventID`, so the records themselves stay byte-exact AWS format. It names the
//! model that fired, its score and tail probability, what the baseline expected against
//! what was observed, and which principals drove the excess (their calls in the episode
//! against their calls in the baseline window).

use super::{RenderContext, Windows, TOP_VALUES};
use crate::detect::Episode;
use crate::frame::Attribute;
use crate::time::format_minute;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    #[serde(rename = "sharedEventID")]
    pub shared_event_id: String,
    pub recipient_account_id: String,
    pub aws_region: String,
    pub event_source: String,
    pub event_name: String,
    pub insight_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    pub start: String,
    pub end: String,
    pub model: &'static str,
    /// `-log10` of the tail probability.
    pub score: f64,
    pub tail_probability: f64,
    /// Length of the window whose probability triggered the insight, minutes.
    pub window_minutes: usize,
    pub observed_calls: f64,
    pub expected_calls: f64,
    pub principals: Vec<PrincipalShare>,
    /// The model's reasoning, where it gives one (the first-seen IAM model does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    pub summary: String,
}

/// One principal's part in an insight.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalShare {
    pub user_identity_arn: String,
    pub calls: u64,
    /// Calls by this principal in the AWS baseline window before the insight.
    pub baseline_calls: u64,
}

impl RenderContext<'_> {
    /// Explains one episode; `shared_event_id` joins it to its records.
    pub fn explain(&self, e: &Episode, shared_event_id: &str) -> Explanation {
        let key = &self.frames.series[e.series as usize];
        let s = &self.frames.strings;
        let w = Windows::of(e);
        let principals = self.principal_shares(e, &w);
        let summary = format!(
            "{} calls in {} min where the baseline expects {:.1}; {} model, p = {:.1e}{}",
            e.observed,
            e.minutes(),
            e.expected,
            e.detector.as_str(),
            10f64.powf(-e.score),
            principals.first().map(|p| format!("; driven by {} ({} calls)", p.user_identity_arn, p.calls)).unwrap_or_default()
        );
        Explanation {
            shared_event_id: shared_event_id.to_string(),
            recipient_account_id: s.resolve(key.account).to_string(),
            aws_region: s.resolve(key.region).to_string(),
            event_source: s.resolve(key.source).to_string(),
            event_name: s.resolve(key.name).to_string(),
            insight_type: key.insight_type.as_str(),
            error_code: key.error.map(|c| s.resolve(c).to_string()),
            start: format_minute(w.start),
            end: format_minute(w.end),
            model: e.detector.as_str(),
            score: (e.score * 100.0).round() / 100.0,
            tail_probability: 10f64.powf(-e.score),
            window_minutes: e.window,
            observed_calls: e.observed,
            expected_calls: (e.expected * 100.0).round() / 100.0,
            principals,
            reasoning: e.reason.clone(),
            summary,
        }
    }

    fn principal_shares(&self, e: &Episode, w: &Windows) -> Vec<PrincipalShare> {
        let now = self.frames.attributions.counts(e.series, w.start, w.end, Attribute::UserIdentityArn);
        let before = self.frames.attributions.counts(e.series, w.baseline_from, w.start, Attribute::UserIdentityArn);
        let mut shares: Vec<PrincipalShare> = now
            .into_iter()
            .map(|(v, calls)| PrincipalShare {
                user_identity_arn: self.value_text(v),
                calls,
                baseline_calls: before.get(&v).copied().unwrap_or(0),
            })
            .collect();
        // Most excess first: a principal that always calls this much explains little.
        let scale = (w.end - w.start) as f64 / w.baseline_minutes().max(1) as f64;
        let excess = |p: &PrincipalShare| p.calls as f64 - p.baseline_calls as f64 * scale;
        shares.sort_by(|a, b| {
            excess(b).total_cmp(&excess(a)).then_with(|| a.user_identity_arn.cmp(&b.user_identity_arn))
        });
        shares.truncate(TOP_VALUES);
        shares
    }
}
