//! `eventbridge:PATH`: each Insight record as the EventBridge event AWS CloudTrail puts on
//! the default bus (SPEC §4): `version` "0", `id`, `detail-type` "AWS Insight via
//! CloudTrail", `source` "aws.cloudtrail", `account`, `time`, `region`, `resources` [] and
//! `detail`, the record itself. One event per line.
//!
//! The `id` is a UUID v5 of the record's `eventID`, so the same input gives the same
//! bytes, and an event sent twice carries the same id for a consumer to drop.

use crate::insight::InsightRecord;
use serde::Serialize;
use std::io;
use uuid::Uuid;

pub const DETAIL_TYPE: &str = "AWS Insight via CloudTrail";
pub const SOURCE: &str = "aws.cloudtrail";

/// Names the event ids; any fixed UUID would do, this one is ours.
const NAMESPACE: Uuid = Uuid::from_u128(0x2c4f_91d0_5b7e_4a61_8e3d_e7b0_1a9c_4f25);

#[derive(Serialize)]
struct Event<'a> {
    version: &'static str,
    id: String,
    #[serde(rename = "detail-type")]
    detail_type: &'static str,
    source: &'static str,
    account: &'a str,
    time: &'a str,
    region: &'a str,
    resources: [&'a str; 0],
    detail: &'a InsightRecord,
}

/// The EventBridge event of `record`, as one JSON line without its newline.
pub fn event(record: &InsightRecord) -> io::Result<Vec<u8>> {
    let event = Event {
        version: "0",
        id: event_id(record),
        detail_type: DETAIL_TYPE,
        source: SOURCE,
        account: &record.recipient_account_id,
        time: &record.event_time,
        region: &record.aws_region,
        resources: [],
        detail: record,
    };
    serde_json::to_vec(&event).map_err(io::Error::other)
}

/// The event id of `record`: the same on every run.
pub fn event_id(record: &InsightRecord) -> String {
    Uuid::new_v5(&NAMESPACE, record.event_id.as_bytes()).to_string()
}
