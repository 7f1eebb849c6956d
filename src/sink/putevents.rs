//! `eventbridge://BUS`: each Insight record put on an EventBridge bus with PutEvents.
//!
//! Entries are `DetailType` "AWS Insight via CloudTrail", `Detail` the Insight record,
//! `Resources` [] and `Time` the record's eventTime. `Source` is "trailsight", not
//! "aws.cloudtrail": EventBridge refuses `aws.` sources from PutEvents, so rules match
//! on the detail-type (`eventbridge:PATH` files keep the exact CloudTrail shape).
//!
//! Requests carry at most [`BATCH_ENTRIES`] entries, sent in record order. EventBridge
//! answers per entry: the entries it failed are sent again, alone, after a backoff that
//! doubles, and so is a whole request the service throttled or failed (HTTP 5xx, 429,
//! ThrottlingException) or that found no connection. As with HEC, a request that went
//! out and got no answer is not sent again (it may have been put); any other refusal
//! stops at once with the service's message. Requests are signed with SigV4 (service
//! `events`) with the credentials [`crate::source`] finds for S3.

use super::destination::{Delivered, DeliveryError, Destination};
use super::eventbridge::DETAIL_TYPE;
use super::hec::Posting;
use crate::insight::InsightRecord;
use object_store::aws::{AwsAuthorizer, AwsCredentialProvider};
use serde::{Deserialize, Serialize};
use std::io;

/// Most entries in one PutEvents request (the service's limit).
pub const BATCH_ENTRIES: usize = 10;
const SOURCE: &str = "trailsight";

#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    source: &'static str,
    detail_type: &'static str,
    detail: String,
    event_bus_name: String,
    resources: [String; 0],
    time: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Request<'a> {
    entries: &'a [Entry],
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Response {
    failed_entry_count: usize,
    entries: Vec<EntryResult>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct EntryResult {
    event_id: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
}

/// Puts the run's records on a bus on commit.
pub struct PutEvents {
    bus: String,
    endpoint: reqwest::Url,
    region: String,
    credentials: AwsCredentialProvider,
    runtime: std::sync::Arc<tokio::runtime::Runtime>,
    posting: Posting,
    entries: Vec<Entry>,
}

impl PutEvents {
    /// A sink for `bus` at `endpoint` (`https://events.REGION.amazonaws.com` unless an
    /// endpoint is configured).
    pub fn new(
        bus: &str,
        endpoint: &str,
        region: &str,
        credentials: AwsCredentialProvider,
        runtime: std::sync::Arc<tokio::runtime::Runtime>,
        posting: Posting,
    ) -> io::Result<Self> {
        if bus.is_empty() || bus.len() > 1600 {
            return Err(io::Error::other("eventbridge://BUS needs a bus name or ARN"));
        }
        let endpoint = reqwest::Url::parse(endpoint).map_err(|e| io::Error::other(format!("{endpoint:?} is not a URL: {e}")))?;
        let (bus, region) = (bus.to_string(), region.to_string());
        Ok(Self { bus, endpoint, region, credentials, runtime, posting, entries: Vec::new() })
    }

    async fn put_all(&self) -> Result<usize, DeliveryError> {
        let client = reqwest::Client::builder()
            .timeout(self.posting.timeout)
            .build()
            .map_err(|e| io::Error::other(format!("cannot make an HTTP client: {e}")))?;
        let mut delivered = 0;
        for batch in self.entries.chunks(BATCH_ENTRIES) {
            self.put_batch(&client, batch, delivered).await?;
            delivered += batch.len();
        }
        Ok(delivered)
    }

    /// Puts one batch until every entry is in (module doc).
    async fn put_batch(&self, client: &reqwest::Client, batch: &[Entry], delivered: usize) -> Result<(), DeliveryError> {
        let url = format!("eventbridge://{}", self.bus);
        let mut pending: Vec<Entry> = batch.to_vec();
        let mut backoff = self.posting.first_wait;
        let mut last = String::new();
        for attempt in 1..=self.posting.attempts {
            if attempt > 1 {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(self.posting.max_wait);
            }
            let done = delivered + batch.len() - pending.len();
            let gave_up = |last: String| DeliveryError::GaveUp { url: url.clone(), attempts: attempt, last, delivered: done, total: self.entries.len() };
            let (headers, body) = self.signed(&pending).await?;
            let response = match client.post(self.endpoint.clone()).headers(headers).body(body).send().await {
                Ok(r) => r,
                Err(e) if e.is_connect() => {
                    last = format!("no connection: {e}");
                    continue;
                }
                Err(e) => return Err(gave_up(format!("request sent but no answer ({e}); not sent again, the events may have been put"))),
            };
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            if status == 200 {
                let answer: Response = serde_json::from_str(&body).map_err(|e| gave_up(format!("not a PutEvents answer: {e}")))?;
                if answer.failed_entry_count == 0 {
                    return Ok(());
                }
                last = failures(&answer);
                pending = still_failed(&pending, &answer).ok_or_else(|| gave_up(format!("{} answers for {} entries", answer.entries.len(), pending.len())))?;
                tracing::warn!(bus = %self.bus, failed = pending.len(), attempt, "PutEvents entries failed; sending them again");
                continue;
            }
            let body: String = body.chars().take(300).collect();
            if status == 429 || status >= 500 || body.contains("ThrottlingException") {
                last = format!("HTTP {status}: {body:?}");
                continue;
            }
            return Err(DeliveryError::Refused { url, status, body, delivered: done, total: self.entries.len() });
        }
        Err(DeliveryError::GaveUp { url, attempts: self.posting.attempts, last, delivered, total: self.entries.len() })
    }

    /// The SigV4-signed headers and the body of a PutEvents request for `entries`.
    async fn signed(&self, entries: &[Entry]) -> Result<(http::HeaderMap, Vec<u8>), DeliveryError> {
        let body = serde_json::to_vec(&Request { entries }).map_err(io::Error::other)?;
        let mut request = http::Request::builder()
            .method("POST")
            .uri(self.endpoint.as_str())
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", "AWSEvents.PutEvents")
            .body(object_store::client::HttpRequestBody::from(body.clone()))
            .map_err(|e| io::Error::other(format!("cannot make a PutEvents request: {e}")))?;
        let credential = self.credentials.get_credential().await.map_err(|e| io::Error::other(format!("AWS credentials: {e}")))?;
        AwsAuthorizer::new(&credential, "events", &self.region).authorize(&mut request, None);
        Ok((request.headers().clone(), body))
    }
}

/// The entries of `sent` that `answer` says failed, or `None` when the answer does not
/// have one result per entry.
fn still_failed(sent: &[Entry], answer: &Response) -> Option<Vec<Entry>> {
    if answer.entries.len() != sent.len() {
        return None;
    }
    Some(sent.iter().zip(&answer.entries).filter(|(_, r)| r.event_id.is_none()).map(|(e, _)| e.clone()).collect())
}

fn failures(answer: &Response) -> String {
    let failed = answer.entries.iter().filter(|r| r.event_id.is_none());
    let first = failed.clone().next();
    let why = first.map(|r| format!("{}: {}", r.error_code.as_deref().unwrap_or("?"), r.error_message.as_deref().unwrap_or(""))).unwrap_or_default();
    format!("{} entries failed ({why})", failed.count())
}

impl Destination for PutEvents {
    fn stage(&mut self, records: &[InsightRecord]) -> io::Result<()> {
        self.entries = records.iter().map(|r| entry(r, &self.bus)).collect::<io::Result<_>>()?;
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<Delivered, DeliveryError> {
        if self.entries.is_empty() {
            return Ok(Delivered::default());
        }
        let records = self.runtime.block_on(self.put_all())?;
        Ok(Delivered { records, refused: Vec::new() })
    }
}

fn entry(record: &InsightRecord, bus: &str) -> io::Result<Entry> {
    let minute = crate::time::parse_event_minute(&record.event_time)
        .ok_or_else(|| io::Error::other(format!("Insight record with eventTime {:?}: not a time", record.event_time)))?;
    Ok(Entry {
        source: SOURCE,
        detail_type: DETAIL_TYPE,
        detail: serde_json::to_string(record).map_err(io::Error::other)?,
        event_bus_name: bus.to_string(),
        resources: [],
        time: minute * 60,
    })
}
