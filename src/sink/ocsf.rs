//! `ocsf:PATH`: each Insight record as an OCSF 1.1.0 Detection Finding (class_uid 2004,
//! category Findings), one finding per line, with the `cloud` profile.
//!
//! - A Start record is activity Create (status New), an End record activity Close
//!   (status Resolved); both carry `finding_info.uid` = sharedEventID, so a SIEM folds
//!   them into one finding. `metadata.uid` is the record's own eventID.
//! - `finding_info`: a title and description naming the API and the two averages,
//!   `types` = [insightType], first and last seen time (Start: the first five minutes;
//!   End: the whole anomaly), and the analytic (trailsight's statistical model).
//! - `cloud.account.uid` and `cloud.region`; `api.service.name` and `api.operation`.
//! - Severity from how far the observed average is above the baseline: at least 10x
//!   (or any activity over a zero baseline) High, 3x Medium, below that Low.
//! - `observables`: the top principals (Resource UID) and user agents (Other) of the
//!   anomaly, as the record attributes them; `evidences[0].data` holds the baseline and
//!   observed averages and durations; `raw_data` the Insight record itself.

use crate::insight::{format_average, InsightRecord};
use serde::Serialize;
use serde_json::value::RawValue;
use std::io;

pub const VERSION: &str = "1.1.0";
const CLASS_UID: u32 = 2004;
const CATEGORY_UID: u32 = 2;
/// OCSF's `raw_data` is a string of at most this many characters.
const RAW_DATA_MAX: usize = 65_535;

#[derive(Serialize)]
struct Finding<'a> {
    activity_id: u32,
    activity_name: &'static str,
    category_uid: u32,
    category_name: &'static str,
    class_uid: u32,
    class_name: &'static str,
    type_uid: u32,
    type_name: String,
    severity_id: u32,
    severity: &'static str,
    status_id: u32,
    status: &'static str,
    time: i64,
    start_time: i64,
    end_time: i64,
    duration: i64,
    message: String,
    metadata: Metadata<'a>,
    finding_info: FindingInfo<'a>,
    cloud: Cloud<'a>,
    api: Api<'a>,
    observables: Vec<Observable<'a>>,
    evidences: [Evidence<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_data: Option<String>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    version: &'static str,
    product: Product,
    profiles: [&'static str; 1],
    uid: &'a str,
    correlation_uid: &'a str,
}

#[derive(Serialize)]
struct Product {
    name: &'static str,
    vendor_name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct FindingInfo<'a> {
    uid: &'a str,
    title: String,
    desc: String,
    types: [&'a str; 1],
    first_seen_time: i64,
    last_seen_time: i64,
    analytic: Analytic<'a>,
}

#[derive(Serialize)]
struct Analytic<'a> {
    name: &'a str,
    type_id: u32,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Cloud<'a> {
    provider: &'static str,
    region: &'a str,
    account: Account<'a>,
}

#[derive(Serialize)]
struct Account<'a> {
    uid: &'a str,
    type_id: u32,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Api<'a> {
    operation: &'a str,
    service: Service<'a>,
}

#[derive(Serialize)]
struct Service<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Observable<'a> {
    name: &'static str,
    type_id: u32,
    #[serde(rename = "type")]
    kind: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
struct Evidence<'a> {
    api: Api<'a>,
    data: Statistics<'a>,
}

#[derive(Serialize)]
struct Statistics<'a> {
    baseline_average: Box<RawValue>,
    insight_average: Box<RawValue>,
    insight_duration_minutes: i64,
    baseline_duration_minutes: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'a str>,
}

/// The OCSF Detection Finding of `record`, as one JSON line without its newline.
pub fn finding(record: &InsightRecord) -> io::Result<Vec<u8>> {
    let details = &record.insight_details;
    let stats = &details.insight_context.statistics;
    let time = millis(&record.event_time)?;
    let duration = stats.insight_duration * 60_000;
    let is_start = details.state == "Start";
    let (first, last) = if is_start { (time, time + duration) } else { (time - duration, time) };
    let (activity_id, activity_name, status_id, status) = if is_start { (1, "Create", 1, "New") } else { (3, "Close", 4, "Resolved") };
    let (severity_id, severity) = severity(stats.baseline.0, stats.insight.0);
    let title = title(record);
    let api = || Api { operation: &details.event_name, service: Service { name: &details.event_source } };
    let finding = Finding {
        activity_id,
        activity_name,
        category_uid: CATEGORY_UID,
        category_name: "Findings",
        class_uid: CLASS_UID,
        class_name: "Detection Finding",
        type_uid: CLASS_UID * 100 + activity_id,
        type_name: format!("Detection Finding: {activity_name}"),
        severity_id,
        severity,
        status_id,
        status,
        time,
        start_time: first,
        end_time: last,
        duration,
        message: title.clone(),
        metadata: Metadata {
            version: VERSION,
            product: Product { name: "trailsight", vendor_name: "trailsight", version: env!("CARGO_PKG_VERSION") },
            profiles: ["cloud"],
            uid: &record.event_id,
            correlation_uid: &record.shared_event_id,
        },
        finding_info: FindingInfo {
            uid: &record.shared_event_id,
            title,
            desc: description(record),
            types: [details.insight_type],
            first_seen_time: first,
            last_seen_time: last,
            analytic: Analytic { name: details.insight_type, type_id: 3, kind: "Statistical" },
        },
        cloud: Cloud {
            provider: "AWS",
            region: &record.aws_region,
            account: Account { uid: &record.recipient_account_id, type_id: 10, kind: "AWS Account" },
        },
        api: api(),
        observables: observables(record),
        evidences: [Evidence { api: api(), data: statistics(record)? }],
        raw_data: raw_data(record)?,
    };
    serde_json::to_vec(&finding).map_err(io::Error::other)
}

/// OCSF times are milliseconds since the epoch.
fn millis(event_time: &str) -> io::Result<i64> {
    let minute = crate::time::parse_event_minute(event_time)
        .ok_or_else(|| io::Error::other(format!("Insight record with eventTime {event_time:?}: not a time")))?;
    Ok(minute * 60_000)
}

fn severity(baseline: f64, observed: f64) -> (u32, &'static str) {
    if observed >= 10.0 * baseline {
        (4, "High")
    } else if observed >= 3.0 * baseline {
        (3, "Medium")
    } else {
        (2, "Low")
    }
}

fn is_error_rate(record: &InsightRecord) -> bool {
    record.insight_details.insight_type == "ApiErrorRateInsight"
}

fn title(record: &InsightRecord) -> String {
    let d = &record.insight_details;
    match (&d.error_code, is_error_rate(record)) {
        (Some(code), true) => format!("Unusual {code} error rate of {} {}", d.event_source, d.event_name),
        _ => format!("Unusual call rate of {} {}", d.event_source, d.event_name),
    }
}

fn description(record: &InsightRecord) -> String {
    let d = &record.insight_details;
    let stats = &d.insight_context.statistics;
    let what = match (&d.error_code, is_error_rate(record)) {
        (Some(code), true) => format!("{code} errors of {}", d.event_name),
        _ => format!("{} calls", d.event_name),
    };
    format!(
        "{what} averaged {} per minute over {} minutes, against a baseline of {} per minute over {} minutes (account {}, region {}).",
        format_average(stats.insight.0),
        stats.insight_duration,
        format_average(stats.baseline.0),
        stats.baseline_duration,
        record.recipient_account_id,
        record.aws_region
    )
}

/// The anomaly's top principals and user agents, each value once.
fn observables(record: &InsightRecord) -> Vec<Observable<'_>> {
    let mut out: Vec<Observable<'_>> = Vec::new();
    for attribution in &record.insight_details.insight_context.attributions {
        let (name, type_id, kind) = match attribution.attribute {
            "userIdentityArn" => ("actor.user.uid", 10, "Resource UID"),
            "userAgent" => ("http_request.user_agent", 99, "Other"),
            _ => continue,
        };
        for value in &attribution.insight {
            if !out.iter().any(|o| o.name == name && o.value == value.value) {
                out.push(Observable { name, type_id, kind, value: &value.value });
            }
        }
    }
    out
}

fn statistics(record: &InsightRecord) -> io::Result<Statistics<'_>> {
    let stats = &record.insight_details.insight_context.statistics;
    let number = |v: f64| RawValue::from_string(format_average(v)).map_err(io::Error::other);
    Ok(Statistics {
        baseline_average: number(stats.baseline.0)?,
        insight_average: number(stats.insight.0)?,
        insight_duration_minutes: stats.insight_duration,
        baseline_duration_minutes: stats.baseline_duration,
        error_code: record.insight_details.error_code.as_deref(),
    })
}

fn raw_data(record: &InsightRecord) -> io::Result<Option<String>> {
    let json = serde_json::to_string(record).map_err(io::Error::other)?;
    Ok((json.chars().count() <= RAW_DATA_MAX).then_some(json))
}
