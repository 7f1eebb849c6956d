//! The Insight record types. Field order here is the key order AWS writes (SPEC §4), and
//! serde keeps it.
//!
//! Records are also read back (a nightly state keeps the records a sink has not taken
//! yet, to hand them over the next run): every fixed string must then be one this build
//! writes, so that it is `'static` again.

use super::Average;
use serde::{Deserialize, Deserializer, Serialize};

/// One Insight event record, Start or End.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightContext {
    pub statistics: Statistics,
    pub attributions: Vec<Attribution>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Statistics {
    #[serde(serialize_with = "average_object", deserialize_with = "average_field")]
    pub baseline: Average,
    #[serde(serialize_with = "average_object", deserialize_with = "average_field")]
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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribution {
    pub attribute: &'static str,
    pub insight: Vec<ValueAverage>,
    pub baseline: Vec<ValueAverage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueAverage {
    pub value: String,
    pub average: Average,
}

/// The average inside `{"average": n}`.
fn average_field<'de, D: Deserializer<'de>>(d: D) -> Result<Average, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped {
        average: Average,
    }
    Ok(Wrapped::deserialize(d)?.average)
}

/// Every fixed string a record holds.
const FIXED: &[&str] = &[
    "1.09",
    "AwsCloudTrailInsight",
    "Insight",
    "Start",
    "End",
    "ApiCallRateInsight",
    "ApiErrorRateInsight",
    "Management",
    "Data",
    "userIdentityArn",
    "userAgent",
    "errorCode",
];

/// `text` as the fixed string it must be.
fn fixed<E: serde::de::Error>(text: &str) -> Result<&'static str, E> {
    FIXED.iter().copied().find(|f| *f == text).ok_or_else(|| E::custom(format!("{text:?} is not a value trailsight writes")))
}

/// The records as read back, with owned strings where the records hold fixed ones
/// (a derived `Deserialize` of a `&'static str` field would only read `'static` input).
mod stored {
    use super::{InsightContext, ValueAverage};
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Record {
        pub event_version: String,
        pub event_time: String,
        pub aws_region: String,
        #[serde(rename = "eventID")]
        pub event_id: String,
        pub event_type: String,
        pub recipient_account_id: String,
        #[serde(rename = "sharedEventID")]
        pub shared_event_id: String,
        pub insight_details: Details,
        pub event_category: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Details {
        pub state: String,
        pub event_source: String,
        pub event_name: String,
        pub insight_type: String,
        #[serde(default)]
        pub error_code: Option<String>,
        pub source_event_category: String,
        pub insight_context: InsightContext,
    }

    #[derive(Deserialize)]
    pub(super) struct Attribution {
        pub attribute: String,
        pub insight: Vec<ValueAverage>,
        pub baseline: Vec<ValueAverage>,
    }
}

impl<'de> Deserialize<'de> for InsightRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = stored::Record::deserialize(d)?;
        let s = r.insight_details;
        let insight_details = InsightDetails {
            state: fixed(&s.state)?,
            event_source: s.event_source,
            event_name: s.event_name,
            insight_type: fixed(&s.insight_type)?,
            error_code: s.error_code,
            source_event_category: fixed(&s.source_event_category)?,
            insight_context: s.insight_context,
        };
        Ok(Self {
            event_version: fixed(&r.event_version)?,
            event_time: r.event_time,
            aws_region: r.aws_region,
            event_id: r.event_id,
            event_type: fixed(&r.event_type)?,
            recipient_account_id: r.recipient_account_id,
            shared_event_id: r.shared_event_id,
            insight_details,
            event_category: fixed(&r.event_category)?,
        })
    }
}

impl<'de> Deserialize<'de> for Attribution {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let a = stored::Attribution::deserialize(d)?;
        Ok(Self { attribute: fixed(&a.attribute)?, insight: a.insight, baseline: a.baseline })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_read_back_writes_the_same_bytes() {
        let text = r#"{"eventVersion":"1.09","eventTime":"2026-01-12T21:30:00Z","awsRegion":"us-east-1","eventID":"e1","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","sharedEventID":"s1","insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"CreateSnapshot","insightType":"ApiErrorRateInsight","errorCode":"AccessDenied","sourceEventCategory":"Management","insightContext":{"statistics":{"baseline":{"average":0.0000882145},"insight":{"average":85.4202380952},"insightDuration":1,"baselineDuration":10079},"attributions":[{"attribute":"userIdentityArn","insight":[{"value":"arn:aws:iam::111122223333:user/x","average":6}],"baseline":[]}]}},"eventCategory":"Insight"}"#;
        let record: InsightRecord = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&record).unwrap(), text);
        let forged = text.replace("\"Start\"", "\"Begin\"");
        let why = serde_json::from_str::<InsightRecord>(&forged).unwrap_err().to_string();
        assert!(why.contains("\"Begin\" is not a value trailsight writes"), "{why}");
    }
}
