//! One CloudTrail record, typed: only the fields trailsight uses are read (borrowed
//! where the JSON has no escapes), everything else is skipped by the parser.
//!
//! This is where a record is accepted or refused. Values that later name things outside
//! the program are checked here: an account id is 12 digits and a region is lowercase
//! letters, digits and dashes, because sinks build S3-layout paths from both and nothing
//! in a record may decide a file path.

use super::discover::NonEventKind;
use super::read_only::infer_read_only_api;
use super::report::RecordSkip;
use crate::intern::{Interner, Sym};
use crate::time::{parse_event_minute, Minute};
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;
use std::hash::Hash;

mod fast;

/// The value used where a record has no such field, as AWS does for successful calls.
pub const NULL_VALUE: &str = "null";

/// Which of CloudTrail's event categories a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Management,
    Data,
    NetworkActivity,
    Insight,
    Other,
}

/// Which series a counts-table row feeds (see [`super::counts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feeds {
    CallRate,
    ErrorRate,
}

/// A record reduced to what the engine counts. Strings are symbols of the file's interner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub minute: Minute,
    /// Hash of (account, region, eventID); `None` when the record has no eventID.
    pub dedup_key: Option<u64>,
    pub account: Sym,
    pub region: Sym,
    pub source: Sym,
    pub name: Sym,
    pub error: Option<Sym>,
    pub principal: Sym,
    pub agent: Sym,
    pub ip: Sym,
    pub category: Category,
    pub read_only: bool,
    /// `readOnly` was absent and inferred from the API name.
    pub read_only_inferred: bool,
    /// Calls this event stands for: 1 for a record, the count of a counts-table row.
    pub calls: u32,
    /// For a counts-table row, the one series type it feeds; a record (`None`) feeds
    /// every series it qualifies for.
    pub feeds: Option<Feeds>,
}

impl Event {
    pub fn is_management(&self) -> bool {
        self.category == Category::Management
    }

    /// A write management call: input to `ApiCallRateInsight`.
    pub fn is_write_management(&self) -> bool {
        self.is_management() && !self.read_only
    }
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct RawRecord<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    event_time: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "text")]
    event_source: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "text")]
    event_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "text")]
    aws_region: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "eventID", deserialize_with = "text")]
    event_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "text")]
    event_type: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "text")]
    event_category: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "text")]
    error_code: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "text")]
    recipient_account_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "text")]
    user_agent: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "sourceIPAddress", deserialize_with = "text")]
    source_ip_address: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient_bool")]
    read_only: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    management_event: Option<bool>,
    #[serde(borrow)]
    user_identity: Option<RawIdentity<'a>>,
    // Only looked at when eventTime is missing, to say what the object is instead.
    #[serde(rename = "@timestamp")]
    at_timestamp: Option<IgnoredAny>,
    digest_start_time: Option<IgnoredAny>,
    digest_end_time: Option<IgnoredAny>,
    log_files: Option<IgnoredAny>,
}

impl RawRecord<'_> {
    /// A CloudTrail digest (SPEC §6) has these three keys and no eventTime.
    fn is_digest(&self) -> bool {
        self.digest_start_time.is_some() && self.digest_end_time.is_some() && self.log_files.is_some()
    }
}

/// Why a JSON value yields no event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unused {
    /// A bad record, counted in the file's report.
    Skip(RecordSkip),
    /// Not an event record at all (a digest): the file is marked, nothing is skipped.
    NonEvent(NonEventKind),
}

impl From<RecordSkip> for Unused {
    fn from(skip: RecordSkip) -> Self {
        Unused::Skip(skip)
    }
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct RawIdentity<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    arn: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "text")]
    account_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "text")]
    invoked_by: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "text")]
    principal_id: Option<Cow<'a, str>>,
}

/// An optional string, borrowed from the record's text when it has no escapes. (serde
/// borrows a bare `Cow<str>` field but copies one inside `Option`: a copy per field per
/// record was a tenth of the reading time.)
fn text<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Borrowed<'a>>::deserialize(d)?.map(|b| b.0))
}

/// Old and hand-made records sometimes carry `"readOnly": "true"`.
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag<'a> {
        Bool(bool),
        Text(&'a str),
    }
    Ok(match Option::<Flag>::deserialize(d)? {
        Some(Flag::Bool(b)) => Some(b),
        Some(Flag::Text(t)) => t.parse().ok(),
        None => None,
    })
}

/// Types one record's JSON text, interning its strings; says why when it cannot be used.
/// This is the only full parse of the record: the fields trailsight uses are read and
/// everything else is skipped, by [`fast::read`] when the record is plain and by serde
/// (which also says what is wrong with a record) otherwise.
pub fn to_event(text: &[u8], strings: &mut Interner) -> Result<Event, Unused> {
    if !text.starts_with(b"{") {
        return Err(RecordSkip::NotAnObject.into());
    }
    let rec = match fast::read(text) {
        Some(rec) => rec,
        None => serde_json::from_slice(text).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => RecordSkip::BadField(e.to_string()),
            _ => RecordSkip::InvalidJson(e.to_string()),
        })?,
    };
    typed(&rec, strings)
}

/// Types the plain record that opens `text` (an object, with more text after it) as
/// [`to_event`] would, and says how long it was; `None` when it is not plain (see
/// [`fast::read`]) and must be cut out and given to [`to_event`].
pub fn plain_event_at_start(text: &[u8], strings: &mut Interner) -> Option<(Result<Event, Unused>, usize)> {
    let (rec, len) = fast::read_prefix(text)?;
    Some((typed(&rec, strings), len))
}

fn typed(rec: &RawRecord, strings: &mut Interner) -> Result<Event, Unused> {
    let minute = minute_of(rec)?;
    if is_insight_record(rec) {
        return Err(Unused::NonEvent(NonEventKind::Insight));
    }
    let name = rec.event_name.as_deref().ok_or(RecordSkip::MissingField("eventName"))?;
    let source = rec.event_source.as_deref().ok_or(RecordSkip::MissingField("eventSource"))?;
    let region = rec.aws_region.as_deref().ok_or(RecordSkip::MissingField("awsRegion"))?;
    let identity = rec.user_identity.as_ref();
    let account = rec
        .recipient_account_id
        .as_deref()
        .or_else(|| identity.and_then(|i| i.account_id.as_deref()))
        .ok_or(RecordSkip::MissingField("recipientAccountId"))?;
    if !is_account_id(account) {
        return Err(RecordSkip::BadAccount(account.to_string()).into());
    }
    if !is_region(region) {
        return Err(RecordSkip::BadRegion(region.to_string()).into());
    }
    let (read_only, read_only_inferred) = match rec.read_only {
        Some(flag) => (flag, false),
        None => (infer_read_only_api(source, name), true),
    };
    Ok(Event {
        minute,
        dedup_key: rec.event_id.as_deref().map(|id| dedup_key(account, region, id)),
        account: strings.intern(account),
        region: strings.intern(region),
        source: strings.intern(source),
        name: strings.intern(name),
        error: rec.error_code.as_deref().map(|e| strings.intern(e)),
        principal: strings.intern(principal_of(identity)),
        agent: strings.intern(rec.user_agent.as_deref().unwrap_or(NULL_VALUE)),
        ip: strings.intern(rec.source_ip_address.as_deref().unwrap_or(NULL_VALUE)),
        category: category_of(rec),
        read_only,
        read_only_inferred,
        calls: 1,
        feeds: None,
    })
}

/// The record's minute; without an eventTime, what the object is instead.
fn minute_of(rec: &RawRecord) -> Result<Minute, Unused> {
    let Some(time) = rec.event_time.as_deref() else {
        return Err(if rec.is_digest() {
            Unused::NonEvent(NonEventKind::Digest)
        } else if rec.at_timestamp.is_some() {
            RecordSkip::OnlyAtTimestamp.into()
        } else {
            RecordSkip::MissingField("eventTime").into()
        });
    };
    parse_event_minute(time).ok_or_else(|| RecordSkip::BadEventTime(time.to_string()).into())
}

/// An Insight record in AWS's format (SPEC §4): no top-level eventName or eventSource,
/// so it could only be skipped as incomplete. Insight records that do carry them are
/// typed, and counted as insight records.
fn is_insight_record(rec: &RawRecord) -> bool {
    rec.event_type.as_deref() == Some("AwsCloudTrailInsight")
        && (rec.event_name.is_none() || rec.event_source.is_none())
}

/// An AWS account id: exactly 12 ASCII digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// An AWS region name as it may appear in a path: 1 to 32 lowercase ASCII letters,
/// digits and dashes (`us-east-1`, `us-gov-west-1`, `eu-isoe-west-1`).
pub fn is_region(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The principal an attribution names: the ARN, or for AWS service calls the service.
fn principal_of<'r>(identity: Option<&'r RawIdentity<'_>>) -> &'r str {
    identity
        .and_then(|i| {
            i.arn.as_deref().or(i.invoked_by.as_deref()).or(i.principal_id.as_deref())
        })
        .unwrap_or(NULL_VALUE)
}

fn category_of(rec: &RawRecord) -> Category {
    if rec.event_type.as_deref() == Some("AwsCloudTrailInsight") {
        return Category::Insight;
    }
    match rec.event_category.as_deref() {
        Some("Management") => Category::Management,
        Some("Data") => Category::Data,
        Some("NetworkActivity") => Category::NetworkActivity,
        Some("Insight") => Category::Insight,
        Some(_) => Category::Other,
        // Records older than eventVersion 1.07 have no category: management unless the
        // record says otherwise.
        None if rec.management_event == Some(false) => Category::Data,
        None => Category::Management,
    }
}

fn dedup_key(account: &str, region: &str, event_id: &str) -> u64 {
    crate::hash::stable_hash(&(account, region, event_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> Result<Event, RecordSkip> {
        to_event(json.as_bytes(), &mut Interner::new()).map_err(|e| match e {
            Unused::Skip(skip) => skip,
            Unused::NonEvent(kind) => panic!("not an event: {kind}"),
        })
    }

    const GOOD: &str = r#"{"eventVersion":"1.08","eventTime":"2023-07-10T12:11:15Z",
        "eventSource":"ec2.amazonaws.com","eventName":"CreateVolume","awsRegion":"us-east-1",
        "eventID":"f0cce5bc","readOnly":false,"managementEvent":true,"eventCategory":"Management",
        "recipientAccountId":"123837392027","userAgent":"terraform",
        "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123837392027:user/bert","accountId":"123837392027"},
        "requestParameters":{"size":"1","nested":{"deep":[1,2,3]}}}"#;

    #[test]
    fn types_a_real_record() {
        let e = event(GOOD).unwrap();
        assert!(e.is_write_management());
        assert!(!e.read_only_inferred);
        assert!(e.dedup_key.is_some());
        assert_eq!(e.error, None);
    }

    #[test]
    fn names_what_is_missing_or_bad() {
        assert_eq!(event("42"), Err(RecordSkip::NotAnObject));
        assert_eq!(event(&GOOD.replace("eventTime", "x")), Err(RecordSkip::MissingField("eventTime")));
        assert_eq!(event(&GOOD.replace("eventName", "x")), Err(RecordSkip::MissingField("eventName")));
        assert_eq!(
            event(&GOOD.replace("2023-07-10T12:11:15Z", "2026-13-45T99:00:00Z")),
            Err(RecordSkip::BadEventTime("2026-13-45T99:00:00Z".into()))
        );
        assert!(matches!(event(&GOOD.replace("\"terraform\"", "7")), Err(RecordSkip::BadField(_))));
        assert!(matches!(event("{oops}"), Err(RecordSkip::InvalidJson(_))));
    }

    #[test]
    fn old_records_are_management_with_inferred_read_only() {
        let old = r#"{"eventTime":"2014-01-01T00:00:00Z","eventSource":"ec2.amazonaws.com",
            "eventName":"DescribeInstances","awsRegion":"us-east-1",
            "userIdentity":{"accountId":"111122223333","arn":"arn:aws:iam::111122223333:root"}}"#;
        let e = event(old).unwrap();
        assert_eq!(e.category, Category::Management);
        assert!(e.read_only && e.read_only_inferred);
        assert_eq!(e.dedup_key, None);
    }

    #[test]
    fn data_and_insight_records_are_not_management() {
        let data = GOOD.replace("\"Management\"", "\"Data\"");
        assert_eq!(event(&data).unwrap().category, Category::Data);
        let insight = GOOD.replace("\"eventVersion\"", "\"eventType\":\"AwsCloudTrailInsight\",\"v\"");
        assert_eq!(event(&insight).unwrap().category, Category::Insight);
    }

    #[test]
    fn refuses_accounts_and_regions_that_could_be_paths() {
        let bad = GOOD.replace("\"recipientAccountId\":\"123837392027\"", "\"recipientAccountId\":\"../../x\"");
        assert_eq!(event(&bad), Err(RecordSkip::BadAccount("../../x".into())));
        for region in ["us-east-1/../..", "US-EAST-1", "", "us_east_1"] {
            let bad = GOOD.replace("\"us-east-1\"", &format!("{region:?}"));
            assert_eq!(event(&bad), Err(RecordSkip::BadRegion(region.into())), "{region}");
        }
        assert!(is_region("us-gov-west-1") && is_region("ap-isob-central-3r"));
        assert!(!is_account_id("12383739202") && !is_account_id("1238373920271"));
    }

    #[test]
    fn says_what_an_object_without_event_time_is() {
        let siem = r#"{"@timestamp":"2026-01-11T22:54:56.000Z","eventName":"x"}"#;
        assert_eq!(event(siem), Err(RecordSkip::OnlyAtTimestamp));
        let digest = r#"{"awsAccountId":"111122223333","digestStartTime":"2026-01-11T21:00:00Z",
            "digestEndTime":"2026-01-11T22:00:00Z","logFiles":[{"s3Object":"a","hashValue":"b"}]}"#;
        let result = to_event(digest.as_bytes(), &mut Interner::new());
        assert_eq!(result, Err(Unused::NonEvent(NonEventKind::Digest)));
        let insight = r#"{"eventVersion":"1.07","eventTime":"2020-07-21T20:56:00Z","awsRegion":"us-east-1",
            "eventType":"AwsCloudTrailInsight","recipientAccountId":"838185438692","insightDetails":{}}"#;
        let result = to_event(insight.as_bytes(), &mut Interner::new());
        assert_eq!(result, Err(Unused::NonEvent(NonEventKind::Insight)));
    }

    #[test]
    fn strings_are_borrowed_unless_escaped() {
        let rec: RawRecord = serde_json::from_str(r#"{"eventName":"RunInstances","userAgent":"a\/b","errorCode":null}"#).unwrap();
        assert!(matches!(rec.event_name, Some(Cow::Borrowed("RunInstances"))));
        assert!(matches!(rec.user_agent.as_deref(), Some("a/b")));
        assert!(matches!(rec.user_agent, Some(Cow::Owned(_))));
        assert!(rec.error_code.is_none() && rec.event_source.is_none());
    }
}
