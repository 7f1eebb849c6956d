//! Splunk HTTP Event Collector: `hec:PATH` writes the events one per line (for a
//! forwarder to pick up), `hec+https://HOST:PORT/services/collector/event` posts them.
//!
//! Each Insight record is one HEC event `{time, host, source, sourcetype, index?, event}`
//! with `event` the record itself and `time` its eventTime in epoch seconds; sourcetype
//! `aws:cloudtrail` unless configured. The token comes from the caller (the command
//! line reads it from `TRAILSIGHT_HEC_TOKEN`, never from a flag) and goes in
//! `Authorization: Splunk <token>`.
//!
//! Posting: events are batched ([`BATCH_EVENTS`] events or [`BATCH_BYTES`] bytes per
//! request by default), batches are sent one after another in record order, and a batch is sent
//! again only when the collector said it did not take it (HTTP 5xx or 429, after a
//! backoff that doubles and honours `Retry-After`) or no connection was made. A batch
//! whose request was sent but got no answer is not sent again: the collector may have
//! indexed it, and a second copy would duplicate its events; the run fails instead,
//! saying how many records were delivered. Any other 4xx is an error at once, and so is
//! a redirect (3xx), which is never followed: the batch was not indexed where it was
//! sent. A token holding a control character (a CR or LF) is refused when the sink is
//! opened, before any input is read.

use super::destination::{Delivered, DeliveryError, Destination};
use crate::insight::InsightRecord;
use serde::Serialize;
use std::io;
use std::time::Duration;

/// Most events in one request, by default.
pub const BATCH_EVENTS: usize = 100;
/// Most bytes in one request body (one event larger than this goes alone).
pub const BATCH_BYTES: usize = 1 << 20;

/// The fields every event carries besides `time` and `event`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HecFields {
    pub host: String,
    pub source: String,
    pub sourcetype: String,
    pub index: Option<String>,
}

impl Default for HecFields {
    fn default() -> Self {
        Self { host: "trailsight".into(), source: "trailsight".into(), sourcetype: "aws:cloudtrail".into(), index: None }
    }
}

#[derive(Serialize)]
struct Event<'a> {
    time: i64,
    host: &'a str,
    source: &'a str,
    sourcetype: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<&'a str>,
    event: &'a InsightRecord,
}

/// The HEC event of `record`, as one JSON line without its newline.
pub fn event(record: &InsightRecord, fields: &HecFields) -> io::Result<Vec<u8>> {
    let minute = crate::time::parse_event_minute(&record.event_time)
        .ok_or_else(|| io::Error::other(format!("Insight record with eventTime {:?}: not a time", record.event_time)))?;
    let event = Event {
        time: minute * 60,
        host: &fields.host,
        source: &fields.source,
        sourcetype: &fields.sourcetype,
        index: fields.index.as_deref(),
        event: record,
    };
    serde_json::to_vec(&event).map_err(io::Error::other)
}

/// How events are batched, and how often and how patiently a batch is sent again.
#[derive(Debug, Clone, Copy)]
pub struct Posting {
    /// Most events in one request.
    pub batch_events: usize,
    /// Tries per batch, the first included.
    pub attempts: u32,
    /// The wait after the first failure; it doubles after each.
    pub first_wait: Duration,
    /// The longest wait, also for a `Retry-After` the collector asks for.
    pub max_wait: Duration,
    /// How long one request may take.
    pub timeout: Duration,
}

impl Default for Posting {
    fn default() -> Self {
        Self { batch_events: BATCH_EVENTS, attempts: 8, first_wait: Duration::from_millis(250), max_wait: Duration::from_secs(10), timeout: Duration::from_secs(30) }
    }
}

/// Posts the run's events to a collector on commit.
pub struct HecCollector {
    url: reqwest::Url,
    token: String,
    fields: HecFields,
    posting: Posting,
    batches: Vec<Batch>,
    total: usize,
}

struct Batch {
    body: Vec<u8>,
    records: usize,
}

impl HecCollector {
    /// A collector at `url` (`http` or `https`). Fails now on a bad URL or an empty token,
    /// before any input is read.
    pub fn new(url: &str, token: &str, fields: HecFields, posting: Posting) -> io::Result<Self> {
        let url = reqwest::Url::parse(url).map_err(|e| io::Error::other(format!("{url:?} is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(io::Error::other(format!("{url} is not an http(s) URL with a host")));
        }
        if token.trim().is_empty() {
            return Err(io::Error::other("no HEC token: set TRAILSIGHT_HEC_TOKEN"));
        }
        // A CR or LF would end the header early (or the request would fail only after the
        // whole run): refused now, without showing the token.
        if token.chars().any(|c| c.is_control()) || reqwest::header::HeaderValue::from_str(&format!("Splunk {token}")).is_err() {
            return Err(io::Error::other("TRAILSIGHT_HEC_TOKEN holds a line break, a control character or a byte an HTTP header cannot carry"));
        }
        Ok(Self { url, token: token.to_string(), fields, posting, batches: Vec::new(), total: 0 })
    }

    async fn post_all(&self) -> Result<Delivered, DeliveryError> {
        // A redirect is not followed: reqwest would follow a 301/302/303 as a GET without
        // the body, and report what that answered as the batch's fate.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.posting.timeout)
            .connect_timeout(self.posting.timeout)
            .build()
            .map_err(|e| io::Error::other(format!("cannot make an HTTP client: {e}")))?;
        let mut delivered = 0;
        for batch in &self.batches {
            self.post(&client, batch, delivered).await?;
            delivered += batch.records;
        }
        Ok(Delivered { records: delivered, refused: Vec::new() })
    }

    /// Sends one batch until the collector takes it (see the module doc for when a
    /// batch is sent again).
    async fn post(&self, client: &reqwest::Client, batch: &Batch, delivered: usize) -> Result<(), DeliveryError> {
        let url = self.url.to_string();
        let mut backoff = self.posting.first_wait;
        let mut asked: Option<Duration> = None;
        let mut last = String::new();
        for attempt in 1..=self.posting.attempts {
            if attempt > 1 {
                tokio::time::sleep(asked.take().unwrap_or(backoff)).await;
                backoff = (backoff * 2).min(self.posting.max_wait);
            }
            let request = client
                .post(self.url.clone())
                .header("Authorization", format!("Splunk {}", self.token))
                .header("Content-Type", "application/json")
                .body(batch.body.clone());
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) if e.is_connect() => {
                    last = format!("no connection: {e}");
                    continue;
                }
                Err(e) => {
                    let last = format!("request sent but no answer ({e}); not sent again, the collector may have indexed it");
                    return Err(DeliveryError::GaveUp { url, attempts: attempt, last, delivered, total: self.total });
                }
            };
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            if status.is_redirection() {
                let to = response.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("nowhere").to_string();
                let body = format!("a redirect (to {}) is not followed: give the collector's own URL", short(&to));
                return Err(DeliveryError::Refused { url, status: status.as_u16(), body, delivered, total: self.total });
            }
            let retry_after = retry_after(&response).map(|d| d.min(self.posting.max_wait));
            let body = short(&response.text().await.unwrap_or_default());
            if status.as_u16() == 429 || status.is_server_error() {
                tracing::warn!(url = %url, status = status.as_u16(), attempt, "HEC batch not taken; sending it again");
                last = format!("HTTP {}: {body:?}", status.as_u16());
                asked = retry_after;
                continue;
            }
            return Err(DeliveryError::Refused { url, status: status.as_u16(), body, delivered, total: self.total });
        }
        Err(DeliveryError::GaveUp { url, attempts: self.posting.attempts, last, delivered, total: self.total })
    }
}

/// A `Retry-After` given in seconds.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// At most 200 characters of a response body, for an error message.
fn short(body: &str) -> String {
    body.chars().take(200).collect()
}

/// Splits encoded events into request bodies, in order.
fn batches(events: Vec<Vec<u8>>, most_events: usize) -> Vec<Batch> {
    let mut out: Vec<Batch> = Vec::new();
    for event in events {
        let fits = out.last().is_some_and(|b| b.records < most_events && b.body.len() + 1 + event.len() <= BATCH_BYTES);
        match out.last_mut() {
            Some(batch) if fits => {
                batch.body.push(b'\n');
                batch.body.extend_from_slice(&event);
                batch.records += 1;
            }
            _ => out.push(Batch { body: event, records: 1 }),
        }
    }
    out
}

impl Destination for HecCollector {
    fn stage(&mut self, records: &[InsightRecord]) -> io::Result<()> {
        let events = records.iter().map(|r| event(r, &self.fields)).collect::<io::Result<Vec<_>>>()?;
        self.total = events.len();
        self.batches = batches(events, self.posting.batch_events.max(1));
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<Delivered, DeliveryError> {
        if self.batches.is_empty() {
            return Ok(Delivered::default());
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| io::Error::other(format!("cannot start the HTTP runtime: {e}")))?;
        runtime.block_on(self.post_all())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_keep_the_order_and_respect_both_limits() {
        let events: Vec<Vec<u8>> = (0..250).map(|i| format!("{{\"n\":{i}}}").into_bytes()).collect();
        let out = batches(events.clone(), BATCH_EVENTS);
        assert_eq!(out.iter().map(|b| b.records).collect::<Vec<_>>(), [100, 100, 50]);
        let joined: Vec<u8> = out.iter().map(|b| b.body.clone()).collect::<Vec<_>>().join(&b'\n');
        assert_eq!(joined, events.join(&b'\n'));

        let big = vec![b'x'; BATCH_BYTES - 10];
        let out = batches(vec![big.clone(), b"{}".to_vec(), big.clone()], BATCH_EVENTS);
        assert_eq!(out.iter().map(|b| b.records).collect::<Vec<_>>(), [2, 1]);
        assert!(out.iter().all(|b| b.body.len() <= BATCH_BYTES));
    }

    #[test]
    fn a_collector_needs_a_token_and_an_http_url() {
        let f = HecFields::default;
        assert!(HecCollector::new("https://splunk.example:8088/services/collector/event", "t", f(), Posting::default()).is_ok());
        assert!(HecCollector::new("https://splunk.example:8088/services/collector/event", " ", f(), Posting::default()).is_err());
        assert!(HecCollector::new("https://splunk.example:8088/services/collector/event", "t\r\nX-Evil: 1", f(), Posting::default()).is_err());
        assert!(HecCollector::new("ftp://splunk.example/x", "t", f(), Posting::default()).is_err());
        assert!(HecCollector::new("not a url", "t", f(), Posting::default()).is_err());
    }
}
