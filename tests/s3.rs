//! `detect s3://...` against moto's S3 server (PyPI `moto[server]`, installed on first
//! use into ~/.cache/trailsight/venv-moto by tests/common/setup.rs), started by each test
//! on a free port of 127.0.0.1. The objects are put with plain HTTP requests; trailsight
//! reads them through the real S3 protocol (signed ListObjectsV2 and ranged GETs). A
//! store that misbehaves in ways moto does not is a small server of the test's own.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use trailsight::ingest::{read_file, FileProblem, InputFile};
use trailsight::source::{self, S3Settings, S3Source, S3Url};

/// moto answers anonymous requests with 403 and routes by the credential scope; it
/// does not check signatures, so the test's own requests carry this header unsigned.
const AUTH: &str = "Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
const BUCKET: &str = "trailsight-test";

/// A moto server, stopped when dropped.
struct Moto {
    child: Child,
    port: u16,
}

/// moto's `moto_server`, installed on first use (tests/requirements/moto.txt); `None`
/// when the test is skipped (tests/common/setup.rs).
fn moto_server() -> Option<PathBuf> {
    common::setup::python(&common::setup::MOTO).map(|python| python.with_file_name("moto_server"))
}

impl Moto {
    /// A server with the test bucket; `None` when moto cannot be had (the test is skipped).
    fn start() -> Option<Self> {
        let server = moto_server()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Self { child, port };
        let created = common::until_answered("moto_server", || moto.try_request("PUT", &format!("/{BUCKET}"), &[], b""));
        assert_eq!(created, 200, "bucket created");
        Some(moto)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One HTTP/1.1 request; returns the status.
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> u16 {
        self.try_request(method, path, headers, body).unwrap()
    }

    fn try_request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<u16> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n{AUTH}\r\n", self.port, body.len());
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0))
    }

    fn put(&self, key: &str, body: &[u8]) {
        assert_eq!(self.request("PUT", &format!("/{BUCKET}/{key}"), &[], body), 200, "{key}");
    }

    /// Puts `body` at a key the URL path cannot spell as it is (a `/` at its start, a
    /// `.`, `..` or empty part): each character of the key but letters, digits, `_`,
    /// `-` and `/` percent-encoded, which moto decodes back.
    fn put_odd(&self, key: &str, body: &[u8]) {
        let encoded: String = key.bytes().map(|b| if b.is_ascii_alphanumeric() || b"_-/".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
        assert_eq!(self.request("PUT", &format!("/{BUCKET}/{encoded}"), &[], body), 200, "{key}");
    }

    /// Puts every file under `dir` at `prefix/<its path under dir>` (at its path under
    /// `dir` for an empty prefix).
    fn put_tree(&self, dir: &Path, prefix: &str) -> usize {
        let files: Vec<PathBuf> = walkdir::WalkDir::new(dir).into_iter().map(Result::unwrap).filter(|e| e.file_type().is_file()).map(|e| e.into_path()).collect();
        for file in &files {
            let relative = file.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
            let key = if prefix.is_empty() { relative } else { format!("{prefix}/{relative}") };
            self.put(&key, &std::fs::read(file).unwrap());
        }
        files.len()
    }

    /// trailsight with this server's endpoint and test credentials.
    fn trailsight(&self) -> assert_cmd::Command {
        let mut cmd = common::trailsight();
        cmd.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_ENDPOINT_URL", self.endpoint());
        cmd
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample")
}

fn detect_local(args: &[&str]) -> Vec<u8> {
    let out = common::trailsight().arg("detect").arg(sample()).arg("--quiet").args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// `(folders listed, objects found)` from detect's -v log line.
fn listed(stderr: &str) -> (usize, usize) {
    let line = stderr.lines().find(|l| l.contains("s3 input listed")).unwrap_or_else(|| panic!("no listing line: {stderr}"));
    let field = |name: &str| -> usize {
        let at = line.find(&format!("{name}=")).unwrap() + name.len() + 1;
        line[at..].chars().take_while(|c| c.is_ascii_digit()).collect::<String>().parse().unwrap()
    };
    (field("folders"), field("objects"))
}

#[test]
fn a_bucket_gives_the_same_insights_as_its_copy_on_disk() {
    let Some(moto) = Moto::start() else { return };
    moto.put_tree(&sample(), "exports/sample");
    let out = moto.trailsight().args(["detect", &format!("s3://{BUCKET}/exports/sample/"), "--quiet"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let local = detect_local(&[]);
    assert!(!local.is_empty());
    assert_eq!(out.stdout, local, "byte-identical to reading data/sample");

    // Mixed with a local path: local files first, then the objects.
    let mixed = moto
        .trailsight()
        .arg("detect")
        .arg(sample().join("AWSLogs"))
        .arg(format!("s3://{BUCKET}/exports/sample/second-trail"))
        .arg("--quiet")
        .output()
        .unwrap();
    let both = common::trailsight().arg("detect").arg(sample().join("AWSLogs")).arg(sample().join("second-trail")).arg("--quiet").output().unwrap();
    assert_eq!(mixed.stdout, both.stdout);
}

#[test]
fn a_time_range_lists_only_the_date_folders_it_needs() {
    let Some(moto) = Moto::start() else { return };
    moto.put_tree(&sample(), "t");
    let run = |extra: &[&str]| {
        let out = moto.trailsight().args(["-v", "detect", &format!("s3://{BUCKET}/t/"), "--quiet"]).args(extra).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (listed(&String::from_utf8_lossy(&out.stderr)), out.stdout)
    };
    let ((all_folders, all_objects), _) = run(&[]);
    let range = ["--since", "2026-01-12", "--until", "2026-01-13", "--history-days", "2", "--warmup-days", "1"];
    let ((folders, objects), _) = run(&range);
    assert!(objects < all_objects && folders < all_folders, "pruned {folders} folders / {objects} objects of {all_folders} / {all_objects}");
    assert!(objects > 0);
}

#[test]
fn an_object_that_cannot_be_read_is_reported_and_the_others_are_kept() {
    let Some(moto) = Moto::start() else { return };
    let is_log = |p: &Path| p.components().any(|c| c.as_os_str() == "CloudTrail");
    let walk = walkdir::WalkDir::new(sample()).into_iter().map(Result::unwrap);
    let mut names: Vec<PathBuf> = walk.filter(|e| e.file_type().is_file() && is_log(e.path())).map(|e| e.into_path()).collect();
    names.sort_by_key(|p| p.file_name().unwrap().to_os_string());
    let key = |p: &Path| format!("logs/{}", p.file_name().unwrap().to_string_lossy());
    for name in &names[..3] {
        moto.put(&key(name), &std::fs::read(name).unwrap());
    }
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::set_var("AWS_REGION", "us-east-1");
    let s3 = S3Source::new(S3Settings { endpoint: Some(moto.endpoint()) }).unwrap();
    let listing = s3.list(&S3Url::parse(&format!("s3://{BUCKET}/logs")).unwrap(), &source::DayWindow::default(), &trailsight::ingest::Scope::default()).unwrap();
    assert_eq!(listing.objects.len(), 3);
    assert!(listing.objects.iter().all(|o| o.etag.is_some()), "every object has its ETag identity");

    // Replaced after it was listed, and removed after it was listed.
    moto.put(&key(&names[0]), b"{\"Records\":[]}");
    assert_eq!(moto.request("DELETE", &format!("/{BUCKET}/{}", key(&names[1])), &[], b""), 204);
    let batches: Vec<_> = listing.objects.iter().map(|o| read_file(&InputFile::S3(o.clone()))).collect();
    let unreadable = |i: usize| batches[i].report.problems.iter().find_map(|p| match p {
        FileProblem::Unreadable(why) => Some(why.clone()),
        _ => None,
    });
    assert!(unreadable(0).is_some_and(|w| w.contains("changed")), "{:?}", batches[0].report);
    assert!(unreadable(1).is_some_and(|w| w.contains("gone")), "{:?}", batches[1].report);
    assert!(unreadable(2).is_none() && !batches[2].events.is_empty(), "{:?}", batches[2].report);
    assert_eq!(batches[0].report.path, listing.objects[0].url());
}

#[test]
fn unusable_s3_inputs_fail_clearly() {
    let Some(moto) = Moto::start() else { return };
    let bad = moto.trailsight().args(["detect", "s3://", "--quiet"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2), "{}", String::from_utf8_lossy(&bad.stderr));
    let missing = moto.trailsight().args(["detect", "s3://no-such-bucket/x/"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("s3://no-such-bucket/x"), "the folder is named: {stderr}");
}

#[test]
fn validate_logs_reads_a_bucket_and_each_digest_signature_from_its_metadata() {
    use common::chain::{build_chain, ChainSpec, TestKey};
    let Some(moto) = Moto::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let chain = build_chain(&dir.path().join("bucket"), &ChainSpec { hours: 3, ..Default::default() }, &TestKey::signing().unwrap()).unwrap();
    let put_chain = |signature_of: &dyn Fn(&str) -> Option<String>| {
        for entry in walkdir::WalkDir::new(&chain.root).into_iter().map(Result::unwrap).filter(|e| e.file_type().is_file()) {
            let key = entry.path().strip_prefix(&chain.root).unwrap().to_string_lossy().replace('\\', "/");
            let signature = signature_of(&key);
            let headers: Vec<(&str, &str)> = signature.as_deref().map(|s| ("x-amz-meta-signature", s)).into_iter().collect();
            let status = moto.request("PUT", &format!("/{BUCKET}/{key}"), &headers, &std::fs::read(entry.path()).unwrap());
            assert_eq!(status, 200, "{key}");
        }
    };
    put_chain(&|key| chain.signatures.get(key).cloned());
    let validate = || moto.trailsight().args(["validate-logs", &format!("s3://{BUCKET}/")]).arg("--public-keys").arg(&chain.keys_json).output().unwrap();
    let out = validate();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("digest files valid") && !stdout.contains("INVALID"), "{stdout}");

    // The second digest's metadata holds the first one's signature: caught.
    let first = chain.digests[0].key.clone();
    let second = chain.digests[1].key.clone();
    put_chain(&|key| if key == second { chain.signatures.get(&first).cloned() } else { chain.signatures.get(key).cloned() });
    let out = validate();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("INVALID"), "{stdout}");
}

/// The run's summary line "trailsight: read N files: R records, D duplicates dropped".
fn read_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    text.lines().find(|l| l.starts_with("trailsight: read ")).unwrap_or_else(|| panic!("no summary: {text}")).to_string()
}

/// Local detect on data/sample: its Insight records and summary line.
fn sample_run() -> (Vec<u8>, String) {
    let out = common::trailsight().arg("detect").arg(sample()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (out.stdout, read_line(&out.stderr))
}

/// One of data/sample's log files: its path under data/sample, and its bytes.
fn a_sample_log() -> (String, Vec<u8>) {
    let day = sample().join("AWSLogs/o-1pb0x5y1kj/690743889427/CloudTrail/eu-west-1/2026/01/11");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&day).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    let path = &names[0];
    (path.strip_prefix(sample()).unwrap().to_string_lossy().into_owned(), std::fs::read(path).unwrap())
}

/// Only to end a run that would list forever (the defect these tests guard against); a
/// passing run takes seconds.
const HANG_GUARD: std::time::Duration = std::time::Duration::from_secs(600);

/// Runs `detect` over the whole bucket (bounded by [`HANG_GUARD`]), checks it succeeds
/// and gives data/sample's records and read line (`unread` says what must not have been
/// read), and returns its standard error.
fn detect_bucket_as_sample(moto: &Moto, unread: &str) -> String {
    let out = moto.trailsight().args(["detect", &format!("s3://{BUCKET}/")]).timeout(HANG_GUARD).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let (local, local_read) = sample_run();
    let lines = |b: &[u8]| b.split(|&c| c == b'\n').filter(|l| !l.is_empty()).count();
    assert!(out.stdout == local, "every other object is read: {} records, {} from data/sample", lines(&out.stdout), lines(&local));
    assert_eq!(read_line(&out.stderr), local_read, "{unread}");
    stderr.into_owned()
}

/// Issue 21, item 6: one object whose key starts with `/` made `detect s3://BUCKET/` list
/// the bucket root again and again, forever, with no message.
#[test]
fn issue21_a_key_starting_with_a_slash_is_named_and_skipped_not_listed_forever() {
    let Some(moto) = Moto::start() else { return };
    moto.put_tree(&sample(), "");
    let (relative, bytes) = a_sample_log();
    let odd = format!("/{relative}");
    moto.put_odd(&odd, &bytes);
    let stderr = detect_bucket_as_sample(&moto, "the odd object is not read");
    assert!(stderr.contains(&format!("s3://{BUCKET}/{odd}: odd S3 key skipped: the key starts with /")), "the key is named with the reason: {stderr}");
}

/// Issue 21, item 6: a key with a `..`, `.` or empty part inside `AWSLogs/` failed the
/// listing of the whole folder ("invalid path"), i.e. of every log in the bucket.
#[test]
fn issue21_a_dot_or_empty_part_in_a_key_skips_that_key_not_its_folder() {
    let Some(moto) = Moto::start() else { return };
    moto.put_tree(&sample(), "");
    let (relative, bytes) = a_sample_log();
    let (folder, name) = relative.rsplit_once('/').unwrap();
    let odd = [
        format!("AWSLogs/../{name}"),
        format!("AWSLogs/o-1pb0x5y1kj/./{name}"),
        format!("AWSLogs//{name}"),
        format!("{folder}/../{name}"),
        format!("{folder}//{name}"),
        format!("{folder}/{name}/"),
    ];
    for key in &odd {
        moto.put_odd(key, &bytes);
    }
    let stderr = detect_bucket_as_sample(&moto, "no odd object is read");
    for key in &odd {
        let named = stderr.lines().any(|l| l.contains(&format!("s3://{BUCKET}/{key}: odd S3 key skipped: the key ")));
        assert!(named, "{key} is named with its reason: {stderr}");
    }

    // validate-logs copies a bucket to disk: an odd key is named, never a path.
    let keys = tempfile::tempdir().unwrap();
    std::fs::write(keys.path().join("keys.json"), "{}").unwrap();
    let validate = moto.trailsight().args(["validate-logs", &format!("s3://{BUCKET}/AWSLogs/")]).arg("--public-keys").arg(keys.path().join("keys.json")).timeout(HANG_GUARD).output().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&validate.stdout), String::from_utf8_lossy(&validate.stderr));
    assert!(report.contains(&format!("s3://{BUCKET}/AWSLogs/../{name}")), "{report}");
}

/// A ListObjectsV2 endpoint that answers every request with one truncated, empty page
/// whose continuation token is always the same; serves at most `limit` requests. Gives
/// the request lines it served.
fn repeating_store(limit: usize) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::BufReader;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let served = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&served);
    std::thread::spawn(move || {
        let page = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>trailsight-test</Name><IsTruncated>true</IsTruncated><NextContinuationToken>again</NextContinuationToken><KeyCount>0</KeyCount></ListBucketResult>";
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut out = stream;
            loop {
                let Some(request) = common::http::read_request(&mut reader) else { break };
                let mut served = seen.lock().unwrap();
                served.push(request.line);
                let answer = format!("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{page}", page.len());
                if served.len() >= limit || out.write_all(answer.as_bytes()).is_err() {
                    return;
                }
            }
        }
    });
    (endpoint, served)
}

/// Issue 21, item 6: a store answering IsTruncated with the same continuation token was
/// listed forever. Now the folder's listing stops at the repeat, with an error naming it.
#[test]
fn issue21_a_repeated_continuation_token_ends_the_listing_with_an_error() {
    let (endpoint, served) = repeating_store(100);
    let out = common::trailsight()
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_ENDPOINT_URL", &endpoint)
        .args(["detect", &format!("s3://{BUCKET}/AWSLogs/")])
        .timeout(HANG_GUARD)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "nothing could be read: {stderr}");
    assert!(stderr.contains(&format!("s3://{BUCKET}/AWSLogs/: the store gave the same continuation token twice")), "{stderr}");
    let served = served.lock().unwrap().clone();
    assert_eq!(served.len(), 2, "the first page and the one its token asked for: {served:?}");
    assert!(served[0].starts_with(&format!("GET /{BUCKET}?")) && served[0].contains("prefix=AWSLogs%2F"), "{served:?}");
    assert!(served[1].contains("continuation-token=again"), "{served:?}");
}

/// Issue 22: `--accounts` and `--regions` list only the asked accounts' and regions'
/// folders of an organisation trail's bucket: a run from the bucket's root lists the
/// root, `AWSLogs/` and the organisation folder, then exactly the folders a run from the
/// account's own prefix lists, and writes the same bytes.
#[test]
fn issue22_accounts_and_regions_list_only_their_prefixes() {
    let Some(moto) = Moto::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let shape = ["--days", "8", "--accounts", "3", "--regions", "2", "--scale", "0.02", "--delivery-minutes", "240", "--quiet-days", "6", "--no-malformed"];
    common::trailsight().arg("simulate").arg("--out").arg(&sim).args(shape).assert().success();
    moto.put_tree(&sim.join("AWSLogs"), "AWSLogs");
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    };
    let org = names(&sim.join("AWSLogs")).into_iter().find(|n| n.starts_with("o-")).expect("an organisation folder");
    let account = names(&sim.join("AWSLogs").join(&org)).remove(0);
    let run = |url: &str, extra: &[&str]| -> (Vec<u8>, (usize, usize)) {
        let out = moto.trailsight().args(["detect", url, "-v", "--warmup-days", "5"]).args(extra).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        (out.stdout, listed(&stderr))
    };

    let root = format!("s3://{BUCKET}/");
    let own = format!("s3://{BUCKET}/AWSLogs/{org}/{account}/");
    let (filtered, (folders, objects)) = run(&root, &["--accounts", &account]);
    let (direct, (own_folders, own_objects)) = run(&own, &[]);
    assert!(!direct.is_empty(), "the account has insights to compare");
    assert_eq!(filtered, direct);
    assert_eq!((folders, objects), (own_folders + 3, own_objects), "only the account's prefixes are listed");
    let (_, (all_folders, all_objects)) = run(&root, &[]);
    assert!(all_folders > folders + own_folders && all_objects > 2 * objects, "{all_folders} {all_objects}");

    let (in_region, (region_folders, region_objects)) = run(&own, &["--regions", "eu-west-1"]);
    let (region_alone, (alone_folders, alone_objects)) = run(&format!("{own}CloudTrail/eu-west-1/"), &[]);
    assert_eq!(in_region, region_alone);
    assert_eq!((region_folders, region_objects), (alone_folders + 2, alone_objects), "the account and CloudTrail/ folders, then only the region's");
}
