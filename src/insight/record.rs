//! The Insight record types. Field order here is the key order AWS writes (SPEC §4), and
//! serde keeps it.

use super::Average;
use serde::Serialize;

/// One Insight event record, Start or End.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InsightRecord {
    pub event_version: &'static str,
    pub event_time: String,
    pub aws_region: String,
    #[serde(rename = "eventID")]
    pub event_id: String,
    pub event_type: &'static str,
    pub recipient_account_id: String,
    #[serde(rename = "sharedEventID")]
    pub shared_event_id: String,
    pub insight_details: InsightDetails,
    pub event_category: &'static str,
}

impl InsightRecord {
    pub fn new(
        event_time: String,
        aws_region: String,
        event_id: String,
        recipient_account_id: String,
        shared_event_id: String,
        insight_details: InsightDetails,
    ) -> Self {
        Self {
            event_version: "1.09",
            event_time,
            aws_region,
            event_id,
            event_type: "AwsCloudTrailInsight",
            recipient_account_id,
            shared_event_id,
            insight_details,
            event_category: "Insight",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InsightDetails {
    pub state: &'static str,
    pub event_source: String,
    pub event_name: String,
    pub insight_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    pub source_event_category: &'static str,
    pub insight_context: InsightContext,
}

#[derive(Debug, Clone, Serialize)]
pub struct InsightContext {
    pub statistics: Statistics,
    pub attributions: Vec<Attribution>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Statistics {
    #[serde(serialize_with = "average_object")]
    pub baseline: Average,
    #[serde(serialize_with = "average_object")]
    pub insight: Average,
    pub insight_duration: i64,
    pub baseline_duration: i64,
}

/// `{"average": n}`, the shape AWS gives `baseline` and `insight`.
fn average_object<S: serde::Serializer>(v: &Average, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Wrapped<'a> {
        average: &'a Average,
    }
    Wrapped { average: v }.serialize(s)
}

#[derive(Debug, Clone, Serialize)]
pub struct Attribution {
    pub attribute: &'static str,
    pub insight: Vec<ValueAverage>,
    pub baseline: Vec<ValueAverage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ValueAverage {
    pub value: String,
    pub average: Average,
}
