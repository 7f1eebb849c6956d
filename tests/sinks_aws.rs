//! The AWS sinks: `s3://BUCKET/PREFIX` and `eventbridge://BUS` against moto's server
//! (started per test on a free port of 127.0.0.1, see tests/s3.rs), and PutEvents'
//! per-entry failures against a local endpoint that fails some entries on purpose.

mod common;

use serde_json::Value;
use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// moto answers anonymous requests with 403 and routes by the credential scope; it
/// does not check signatures, so the test's own requests carry this header unsigned.
const AUTH: &str = "Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
const BUCKET: &str = "siem-insights";

/// moto's `moto_server`, installed on first use (tests/requirements/moto.txt); `None`
/// when the test is skipped (tests/common/setup.rs).
fn moto_server() -> Option<PathBuf> {
    common::setup::python(&common::setup::MOTO).map(|python| python.with_file_name("moto_server"))
}

/// A moto server, stopped when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    /// A server with the test bucket; `None` when moto cannot be had (the test is skipped).
    fn start() -> Option<Self> {
        let server = moto_server()?;
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Self { child, port };
        let created = common::until_answered("moto_server", || moto.try_get(&format!("/{BUCKET}"), "PUT"));
        assert_eq!(created.0, 200);
        Some(moto)
    }

    /// `(status, body)` of an unsigned request with no body.
    fn get(&self, path: &str, method: &str) -> (u16, Vec<u8>) {
        self.try_get(path, method).unwrap()
    }

    fn try_get(&self, path: &str, method: &str) -> std::io::Result<(u16, Vec<u8>)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        write!(stream, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n{AUTH}\r\n\r\n", self.port)?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        let Some(split) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no HTTP head in the answer"));
        };
        let head = String::from_utf8_lossy(&response[..split]).to_string();
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = response[split + 4..].to_vec();
        let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
        Ok((status, if chunked { unchunk(&body) } else { body }))
    }

    fn keys(&self, prefix: &str) -> Vec<String> {
        let (_, body) = self.get(&format!("/{BUCKET}?list-type=2&prefix={prefix}"), "GET");
        let text = String::from_utf8(body).unwrap();
        text.split("<Key>").skip(1).map(|s| s.split("</Key>").next().unwrap().to_string()).collect()
    }

    fn trailsight(&self) -> assert_cmd::Command {
        let mut cmd = common::trailsight();
        cmd.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL_EVENTBRIDGE")
            .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", self.port));
        cmd
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unchunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = body.windows(2).position(|w| w == b"\r\n") else { return out };
        let size = usize::from_str_radix(String::from_utf8_lossy(&body[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[end + 4 + size..];
    }
}

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample")
}

fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file() && !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| (e.path().strip_prefix(root).unwrap().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn the_bucket_sink_puts_the_same_files_as_the_layout_folder() {
    let Some(moto) = Moto::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = moto
        .trailsight()
        .arg("detect")
        .arg(sample())
        .args(["--quiet", "--sink", &format!("s3://{BUCKET}/insights"), "--sink"])
        .arg(format!("s3-layout:{}", dir.path().display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let local = tree(dir.path());
    assert!(!local.is_empty());
    let mut keys = moto.keys("insights/");
    keys.sort();
    let want: Vec<String> = local.iter().map(|(p, _)| format!("insights/{p}")).collect();
    assert_eq!(keys, want);
    assert!(keys.iter().all(|k| k.contains("/CloudTrail-Insight/")));
    for (relative, bytes) in &local {
        let (status, body) = moto.get(&format!("/{BUCKET}/insights/{relative}"), "GET");
        assert_eq!((status, &body), (200, bytes), "{relative}");
    }
}

#[test]
fn a_failed_run_puts_nothing_in_the_bucket() {
    let Some(moto) = Moto::start() else { return };
    let empty = tempfile::tempdir().unwrap();
    let out = moto.trailsight().arg("detect").arg(empty.path()).args(["--quiet", "--sink", &format!("s3://{BUCKET}/x")]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(moto.keys("x").is_empty());
}

#[test]
fn put_events_reaches_an_eventbridge_endpoint() {
    let Some(moto) = Moto::start() else { return };
    let out = moto.trailsight().arg("detect").arg(sample()).args(["--quiet", "--sink", "eventbridge://default"]).output().unwrap();
    assert!(out.status.success(), "moto accepts every entry: {}", String::from_utf8_lossy(&out.stderr));
    let missing = moto.trailsight().arg("detect").arg(sample()).args(["--quiet", "--sink", "eventbridge://no-such-bus"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("eventbridge://no-such-bus"), "{stderr}");
}

/// A PutEvents endpoint that fails the entries it receives as the `fail`-th (counting
/// every entry received, retries included, from 0), and keeps the details it took.
struct Bus {
    endpoint: String,
    taken: Arc<Mutex<Vec<Value>>>,
    requests: Arc<Seen>,
}

impl Bus {
    fn start(fail: &[usize]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}/", listener.local_addr().unwrap());
        let taken = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let failing = Arc::new(Mutex::new((fail.to_vec(), 0usize)));
        let (t, r) = (Arc::clone(&taken), Arc::clone(&requests));
        std::thread::spawn(move || {
            for stream in listener.incoming().take(64) {
                let Ok(stream) = stream else { return };
                let (t, r, f) = (Arc::clone(&t), Arc::clone(&r), Arc::clone(&failing));
                std::thread::spawn(move || serve_bus(stream, &t, &r, &f));
            }
        });
        Self { endpoint, taken, requests }
    }
}

type Seen = Mutex<Vec<(usize, Option<String>, Option<String>)>>;

fn serve_bus(stream: TcpStream, taken: &Mutex<Vec<Value>>, requests: &Seen, failing: &Mutex<(Vec<usize>, usize)>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    for _ in 0..64 {
        let Some(sent) = common::http::read_request(&mut reader) else { return };
        let (auth, target) = (sent.header("authorization").map(String::from), sent.header("x-amz-target").map(String::from));
        let request: Value = serde_json::from_slice(&sent.body).unwrap();
        let entries = request["Entries"].as_array().unwrap().clone();
        requests.lock().unwrap().push((entries.len(), auth, target));
        let mut results = Vec::new();
        let mut failed = 0;
        for entry in entries {
            let detail: Value = serde_json::from_str(entry["Detail"].as_str().unwrap()).unwrap();
            let mut taken = taken.lock().unwrap();
            let mut failing = failing.lock().unwrap();
            let position = failing.1;
            failing.1 += 1;
            if failing.0.contains(&position) {
                failed += 1;
                results.push(serde_json::json!({"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}));
            } else {
                taken.push(detail);
                results.push(serde_json::json!({"EventId": format!("id-{position}")}));
            }
        }
        let text = serde_json::json!({"FailedEntryCount": failed, "Entries": results}).to_string();
        let response = format!("HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{text}", text.len());
        if out.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

#[test]
fn failed_entries_are_put_again_and_every_record_is_on_the_bus_once() {
    let bus = Bus::start(&[1, 3, 12]);
    let dir = tempfile::tempdir().unwrap();
    let out = common::trailsight()
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "eu-west-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_ENDPOINT_URL_EVENTBRIDGE", &bus.endpoint)
        .arg("detect")
        .arg(sample())
        .args(["--quiet", "--sink", "eventbridge://insights", "--sink"])
        .arg(format!("ndjson:{}", dir.path().join("n.jsonl").display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let records = common::records(&std::fs::read(dir.path().join("n.jsonl")).unwrap());
    let taken = bus.taken.lock().unwrap().clone();
    assert_eq!(taken.len(), records.len(), "every record once");
    let ids = |v: &[Value]| v.iter().map(|r| r["eventID"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let mut want = ids(&records);
    want.sort();
    let mut got = ids(&taken);
    got.sort();
    assert_eq!(got, want);
    let requests = bus.requests.lock().unwrap().clone();
    assert!(requests.iter().all(|(n, _, _)| *n <= 10), "at most 10 entries per request: {requests:?}");
    assert!(requests.iter().any(|(n, _, _)| *n == 2), "the two failed entries of the first batch go again together");
    for (_, auth, target) in &requests {
        assert_eq!(target.as_deref(), Some("AWSEvents.PutEvents"));
        let auth = auth.as_deref().unwrap_or("");
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=testing/") && auth.contains("/eu-west-1/events/aws4_request"), "{auth}");
    }
}
