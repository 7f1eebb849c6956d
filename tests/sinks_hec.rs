//! The Splunk HEC sink against a local HTTP collector started by each test: it checks
//! the `Authorization: Splunk <token>` header, keeps every body, and answers from a
//! script (503, 429, 403, or no answer at all), so retries are exercised through the
//! real protocol. Only 127.0.0.1 is ever contacted.

mod common;

use serde_json::Value;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use trailsight::insight::{Average, InsightContext, InsightDetails, InsightRecord, Statistics};
use trailsight::sink::hec::{HecCollector, HecFields, Posting};
use trailsight::sink::{Destination, DeliveryError};

/// What the collector does with one request.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Status(u16),
    /// Answers with this 3xx status and a Location on the same collector.
    Redirect(u16),
    /// Reads the request and never answers.
    Silence,
}

#[derive(Debug, Clone)]
struct Request {
    method: String,
    authorization: Option<String>,
    body: String,
    answered: u16,
}

/// A collector on 127.0.0.1 answering requests from `script` in order, then 200.
struct Collector {
    url: String,
    seen: Arc<Mutex<Vec<Request>>>,
}

impl Collector {
    fn start(script: &[Answer]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/services/collector/event", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script.to_vec()));
        let (seen2, script2) = (Arc::clone(&seen), Arc::clone(&script));
        std::thread::spawn(move || {
            for stream in listener.incoming().take(64) {
                let Ok(stream) = stream else { return };
                let (seen, script) = (Arc::clone(&seen2), Arc::clone(&script2));
                std::thread::spawn(move || serve(stream, &seen, &script));
            }
        });
        Self { url, seen }
    }

    fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }

    /// The events of the requests the collector took, in order.
    fn indexed(&self) -> Vec<Value> {
        let taken = self.requests().into_iter().filter(|r| r.answered == 200);
        taken.flat_map(|r| r.body.lines().map(|l| serde_json::from_str(l).unwrap()).collect::<Vec<Value>>()).collect()
    }
}

/// Serves the requests of one connection (HTTP/1.1, keep-alive, Content-Length bodies).
fn serve(stream: TcpStream, seen: &Mutex<Vec<Request>>, script: &Mutex<Vec<Answer>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    for _ in 0..64 {
        let Some(sent) = common::http::read_request(&mut reader) else { return };
        let answer = {
            let mut script = script.lock().unwrap();
            if script.is_empty() { Answer::Status(200) } else { script.remove(0) }
        };
        let status = match answer {
            Answer::Status(s) | Answer::Redirect(s) => s,
            Answer::Silence => 0,
        };
        let (method, authorization) = (sent.method().to_string(), sent.header("authorization").map(String::from));
        seen.lock().unwrap().push(Request { method, authorization, body: String::from_utf8(sent.body).unwrap(), answered: status });
        if status == 0 {
            std::thread::sleep(Duration::from_secs(3));
            return;
        }
        let text = match status {
            200 => r#"{"text":"Success","code":0}"#,
            403 => r#"{"text":"Invalid token","code":4}"#,
            _ => r#"{"text":"Server is busy","code":9}"#,
        };
        let extra = match answer {
            _ if status == 429 => "Retry-After: 0\r\n",
            Answer::Redirect(_) => "Location: /services/collector/moved\r\n",
            _ => "",
        };
        let response = format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n{text}", text.len());
        if out.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn record(i: usize) -> InsightRecord {
    let minute = 29_000_000 + i as i64;
    let time = chrono::DateTime::from_timestamp(minute * 60, 0).unwrap().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let statistics = Statistics { baseline: Average(0.5), insight: Average(10.0), insight_duration: 5, baseline_duration: 10080 };
    let details = InsightDetails {
        state: if i % 2 == 0 { "Start" } else { "End" },
        event_source: "ec2.amazonaws.com".into(),
        event_name: "RunInstances".into(),
        insight_type: "ApiCallRateInsight",
        error_code: None,
        source_event_category: "Management",
        insight_context: InsightContext { statistics, attributions: vec![] },
    };
    InsightRecord::new(time, "us-east-1".into(), format!("event-{i:04}"), "111122223333".into(), format!("shared-{}", i / 2), details)
}

fn quick(attempts: u32) -> Posting {
    Posting { batch_events: 100, attempts, first_wait: Duration::from_millis(10), max_wait: Duration::from_millis(50), timeout: Duration::from_millis(800) }
}

fn post(url: &str, records: &[InsightRecord], posting: Posting) -> Result<usize, DeliveryError> {
    let mut hec = Box::new(HecCollector::new(url, "s3cret", HecFields::default(), posting).unwrap());
    hec.stage(records).unwrap();
    hec.commit().map(|d| d.records)
}

#[test]
fn failed_batches_are_sent_again_and_every_event_is_indexed_once_in_order() {
    use Answer::Status;
    let collector = Collector::start(&[Status(200), Status(503), Status(429), Status(200), Status(500)]);
    let records: Vec<InsightRecord> = (0..250).map(record).collect();
    assert_eq!(post(&collector.url, &records, quick(4)).unwrap(), 250);
    let requests = collector.requests();
    let answers: Vec<u16> = requests.iter().map(|r| r.answered).collect();
    assert_eq!(answers, [200, 503, 429, 200, 500, 200], "three batches, the second tried three times");
    assert!(requests.iter().all(|r| r.authorization.as_deref() == Some("Splunk s3cret")));
    let ids: Vec<String> = collector.indexed().iter().map(|e| e["event"]["eventID"].as_str().unwrap().to_string()).collect();
    let want: Vec<String> = records.iter().map(|r| r.event_id.clone()).collect();
    assert_eq!(ids, want, "no event lost, none twice, in record order");
    let first = &collector.indexed()[0];
    assert_eq!(first["sourcetype"], "aws:cloudtrail");
    assert_eq!(first["time"], 29_000_000i64 * 60);
}

#[test]
fn a_batch_that_got_no_answer_is_not_sent_again() {
    let collector = Collector::start(&[Answer::Status(200), Answer::Silence]);
    let records: Vec<InsightRecord> = (0..150).map(record).collect();
    let err = post(&collector.url, &records, quick(4)).unwrap_err();
    assert!(matches!(err, DeliveryError::GaveUp { attempts: 1, delivered: 100, total: 150, .. }), "{err}");
    assert_eq!(collector.requests().len(), 2, "the unanswered batch is sent once");
    assert_eq!(collector.indexed().len(), 100);
}

#[test]
fn a_collector_that_stays_down_is_given_up_on_with_what_was_delivered() {
    let collector = Collector::start(&[Answer::Status(503); 10]);
    let err = post(&collector.url, &[record(0), record(1)], quick(3)).unwrap_err();
    assert!(matches!(err, DeliveryError::GaveUp { attempts: 3, delivered: 0, total: 2, .. }), "{err}");
    assert!(err.to_string().contains("HTTP 503"), "{err}");
    assert_eq!(collector.requests().len(), 3);

    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/services/collector/event", closed.local_addr().unwrap());
    drop(closed);
    let err = post(&url, &[record(0)], quick(2)).unwrap_err();
    assert!(matches!(err, DeliveryError::GaveUp { attempts: 2, .. }), "{err}");
    assert!(err.to_string().contains("no connection"), "{err}");
}

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample")
}

#[test]
fn detect_posts_every_record_to_the_collector_after_a_busy_answer() {
    let collector = Collector::start(&[Answer::Status(503)]);
    let dir = tempfile::tempdir().unwrap();
    let out = common::trailsight()
        .env("TRAILSIGHT_HEC_TOKEN", "t0ken")
        .arg("detect")
        .arg(sample())
        .args(["--quiet", "--hec-index", "security"])
        .arg("--sink")
        .arg(format!("hec+{}", collector.url))
        .arg("--sink")
        .arg(format!("ndjson:{}", dir.path().join("n.jsonl").display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let records = common::records(&std::fs::read(dir.path().join("n.jsonl")).unwrap());
    let events = collector.indexed();
    assert_eq!(events.len(), records.len());
    for (event, record) in events.iter().zip(&records) {
        assert_eq!(&event["event"], record);
        assert_eq!(event["index"], "security");
    }
    assert!(collector.requests().iter().all(|r| r.authorization.as_deref() == Some("Splunk t0ken")));
}

#[test]
fn a_refused_request_is_a_clear_error_and_other_sinks_are_still_written() {
    let collector = Collector::start(&[Answer::Status(403)]);
    let dir = tempfile::tempdir().unwrap();
    let out = common::trailsight()
        .env("TRAILSIGHT_HEC_TOKEN", "wrong")
        .arg("detect")
        .arg(sample())
        .arg("--quiet")
        .arg("--sink")
        .arg(format!("hec+{}", collector.url))
        .arg("--sink")
        .arg(format!("ocsf:{}", dir.path().join("f.jsonl").display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("HTTP 403") && stderr.contains("Invalid token"), "{stderr}");
    assert_eq!(collector.requests().len(), 1, "a 4xx is not retried");
    assert!(dir.path().join("f.jsonl").exists());
}

#[test]
fn without_a_token_nothing_is_read_or_sent() {
    let collector = Collector::start(&[]);
    let out = common::trailsight()
        .env_remove("TRAILSIGHT_HEC_TOKEN")
        .arg("detect")
        .arg(sample())
        .arg("--sink")
        .arg(format!("hec+{}", collector.url))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("TRAILSIGHT_HEC_TOKEN"), "{stderr}");
    assert!(!stderr.contains("insights"), "fails before reading: {stderr}");
    assert!(collector.requests().is_empty());
}

fn detect_to_collector(collector: &Collector, token: &str) -> std::process::Output {
    common::trailsight()
        .env("TRAILSIGHT_HEC_TOKEN", token)
        .arg("detect")
        .arg(sample())
        .arg("--sink")
        .arg(format!("hec+{}", collector.url))
        .output()
        .unwrap()
}

/// Issue 21 item 8: a collector answering 302 was followed as a GET without the body,
/// and the run said every record was delivered while none was indexed.
#[test]
fn issue21_a_redirect_from_the_collector_is_a_failure_not_a_delivery() {
    for status in [301, 302, 303, 307, 308] {
        let collector = Collector::start(&[Answer::Redirect(status)]);
        let out = detect_to_collector(&collector, "t0ken");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{status}: {stderr}");
        assert!(stderr.contains(&format!("HTTP {status}")) && stderr.contains("redirect"), "{status}: {stderr}");
        let requests = collector.requests();
        assert_eq!(requests.len(), 1, "{status}: the redirect is not followed: {requests:?}");
        assert_eq!(requests[0].method, "POST");
    }
}

/// Issue 21 item 8: a token with a CR/LF was taken, the whole input read, and the run
/// failed only when the header could not be sent. It is refused before reading.
#[test]
fn issue21_a_token_with_a_line_break_is_refused_before_any_input_is_read() {
    for token in ["t0ken\r\nX-Injected: 1", "t0ken\n", "\rt0ken", "t0k\x1ben"] {
        let collector = Collector::start(&[]);
        let out = detect_to_collector(&collector, token);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{token:?}: {stderr}");
        assert!(stderr.contains("TRAILSIGHT_HEC_TOKEN") && stderr.contains("control character"), "{token:?}: {stderr}");
        assert!(!stderr.contains("insights") && !stderr.contains("read "), "fails before reading: {stderr}");
        assert!(!stderr.contains("t0k"), "the token is not shown: {stderr}");
        assert!(collector.requests().is_empty());
    }
}
