//! `s3://BUCKET/PREFIX` inputs: listing only the date folders a run needs, and reading
//! each object as a stream of bounded ranged GETs.
//!
//! The client is `object_store`'s S3 store: SigV4, retries, and the credentials of the
//! environment, web identity, ECS and EC2 instance metadata; profiles of the shared AWS
//! files (static keys, `credential_process`, SSO through the AWS CLI) are added by
//! [`super::profile`]. The region is `AWS_REGION`/`AWS_DEFAULT_REGION`, else the
//! profile's, else the bucket's own (asked of S3); `--endpoint-url` or
//! `AWS_ENDPOINT_URL` point at an S3-compatible store (path-style requests).
//!
//! Listing walks the prefix folder by folder (`ListObjectsV2` with a `/` delimiter,
//! several folders at once, see [`super::s3_list`]: a key that is not a plain path is
//! named and skipped, and a folder's pages always end). Under `CloudTrail/<region>/` the
//! `YYYY/MM/DD/` folders outside the [`DayWindow`] are never listed;
//! `CloudTrail-Digest/`, `-Insight/` and `-Aggregated/` folders are not listed at all
//! (they hold no event logs). Objects come out in the order a walk of the same files on
//! disk gives, so reading a bucket and reading its copy give the same bytes out.
//!
//! Reading: an object is fetched in [`CHUNK`]-byte ranges as ingest reads it, each GET
//! conditional on the ETag the listing saw (an object replaced meanwhile is reported,
//! not mixed), so memory per object in flight is one chunk whatever its size.

use super::profile;
use super::s3_list::{self, Entry, Lister};
use chrono::NaiveDate;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as KeyPath;
use object_store::{GetOptions, GetRange, ObjectStore};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::io::{self, Read};
use std::sync::{Arc, Mutex};
use tokio::runtime::Runtime;

/// Bytes per ranged GET.
pub const CHUNK: u64 = 8 << 20;
/// Folders listed at once.
const LIST_CONCURRENCY: usize = 16;

/// True for an `s3://` input.
pub fn is_s3_url(s: &OsStr) -> bool {
    s.to_str().is_some_and(|s| s.starts_with("s3://"))
}

/// Why S3 cannot be read at all (one object or folder that cannot be read is reported
/// per object instead, and the run goes on).
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("{url:?} is not s3://BUCKET[/PREFIX]: {why}")]
    BadUrl { url: String, why: &'static str },
    #[error("AWS credentials: {0}")]
    Credentials(String),
    #[error("s3://{bucket}: {source}")]
    Client { bucket: String, source: object_store::Error },
    #[error("cannot start the S3 client runtime: {0}")]
    Runtime(io::Error),
}

/// A parsed `s3://BUCKET/PREFIX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    /// Without leading or trailing `/`; empty for the whole bucket.
    pub prefix: String,
}

impl S3Url {
    pub fn parse(url: &str) -> Result<Self, S3Error> {
        let bad = |why| S3Error::BadUrl { url: url.to_string(), why };
        let rest = url.strip_prefix("s3://").ok_or_else(|| bad("it does not start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let is_bucket_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
        if bucket.is_empty() || bucket.len() > 255 || !bucket.chars().all(is_bucket_char) {
            return Err(bad("the bucket name is not letters, digits, dots, dashes and underscores"));
        }
        Ok(Self { bucket: bucket.to_string(), prefix: prefix.trim_matches('/').to_string() })
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// How to reach S3.
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    /// An S3-compatible endpoint (`--endpoint-url`); `AWS_ENDPOINT_URL` when `None`.
    pub endpoint: Option<String>,
}

/// The days whose date folders are listed; `None` is unbounded on that side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayWindow {
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
}

impl DayWindow {
    fn admits(&self, from: NaiveDate, to: NaiveDate) -> bool {
        self.first.is_none_or(|first| to >= first) && self.last.is_none_or(|last| from <= last)
    }

    fn admits_year(&self, y: i32) -> bool {
        match (NaiveDate::from_ymd_opt(y, 1, 1), NaiveDate::from_ymd_opt(y, 12, 31)) {
            (Some(a), Some(b)) => self.admits(a, b),
            _ => true,
        }
    }

    fn admits_month(&self, y: i32, m: u32) -> bool {
        let Some(from) = NaiveDate::from_ymd_opt(y, m, 1) else { return true };
        let next = if m == 12 { NaiveDate::from_ymd_opt(y + 1, 1, 1) } else { NaiveDate::from_ymd_opt(y, m + 1, 1) };
        let to = next.and_then(|n| n.pred_opt()).unwrap_or(from);
        self.admits(from, to)
    }

    fn admits_day(&self, y: i32, m: u32, d: u32) -> bool {
        NaiveDate::from_ymd_opt(y, m, d).is_none_or(|day| self.admits(day, day))
    }
}

/// One object to read, with its stable identity (bucket, key, ETag).
#[derive(Clone)]
pub struct S3Object {
    pub bucket: String,
    pub key: String,
    /// As S3 gives it, quotes included; `None` if the store gave none.
    pub etag: Option<String>,
    pub size: u64,
    client: Client,
}

impl S3Object {
    /// `s3://BUCKET/KEY`, how reports name the object.
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    /// A reader of the object's bytes (see the module doc).
    pub fn open(&self) -> Box<dyn Read> {
        Box::new(ObjectReader { object: self.clone(), next: 0, buf: Vec::new(), at: 0 })
    }

    /// The value of the user metadata `name` (`x-amz-meta-NAME`), if the object has it.
    pub fn metadata(&self, name: &str) -> io::Result<Option<String>> {
        let options = GetOptions { head: true, if_match: self.etag.clone(), ..GetOptions::default() };
        let location = self.location()?;
        let result = self.client.runtime.block_on(self.client.store.get_opts(&location, options)).map_err(|e| self.error(e))?;
        let wanted = object_store::Attribute::Metadata(name.to_string().into());
        Ok(result.attributes.get(&wanted).map(|v| v.to_string()))
    }

    /// The key as object_store's path: the key itself (a listing keeps only keys that
    /// are plain paths, [`s3_list::odd_key`]), never re-encoded.
    fn location(&self) -> io::Result<KeyPath> {
        KeyPath::parse(&self.key).map_err(|e| io::Error::other(format!("{}: {e}", self.url())))
    }

    fn error(&self, e: object_store::Error) -> io::Error {
        match e {
            object_store::Error::Precondition { .. } => io::Error::other(format!("{} changed while it was read", self.url())),
            object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, format!("{} is gone", self.url())),
            other => io::Error::other(other.to_string()),
        }
    }
}

impl fmt::Debug for S3Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Object").field("bucket", &self.bucket).field("key", &self.key).field("etag", &self.etag).field("size", &self.size).finish()
    }
}

impl PartialEq for S3Object {
    fn eq(&self, other: &Self) -> bool {
        (&self.bucket, &self.key, &self.etag, self.size) == (&other.bucket, &other.key, &other.etag, other.size)
    }
}

impl Eq for S3Object {}

/// The store of one bucket, its lister, and the runtime their requests run on.
#[derive(Clone)]
struct Client {
    store: Arc<AmazonS3>,
    lister: Arc<Lister>,
    runtime: Arc<Runtime>,
}

struct ObjectReader {
    object: S3Object,
    /// Offset of the next range to fetch.
    next: u64,
    buf: Vec<u8>,
    at: usize,
}

impl Read for ObjectReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at == self.buf.len() {
            if self.next >= self.object.size {
                return Ok(0);
            }
            let end = (self.next + CHUNK).min(self.object.size);
            let options = GetOptions { range: Some(GetRange::Bounded(self.next..end)), if_match: self.object.etag.clone(), ..GetOptions::default() };
            let location = self.object.location()?;
            let client = &self.object.client;
            let bytes = client
                .runtime
                .block_on(async { client.store.get_opts(&location, options).await?.bytes().await })
                .map_err(|e| self.object.error(e))?;
            if bytes.is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("{} ended before its listed size", self.object.url())));
            }
            self.next += bytes.len() as u64;
            self.buf = bytes.to_vec();
            self.at = 0;
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// What listing one `s3://` input found.
#[derive(Debug, Default)]
pub struct S3Listing {
    /// Objects with CloudTrail-like names, in walk order.
    pub objects: Vec<S3Object>,
    /// Objects with other names (not read), as `s3://` URLs.
    pub ignored: Vec<String>,
    /// Folders of digests, insights and aggregates, not listed.
    pub non_event_folders: usize,
    /// Folders that could not be listed, with the reason.
    pub unreadable: Vec<(String, String)>,
    /// `ListObjectsV2` walks made (one per folder listed).
    pub folders_listed: usize,
}

/// Reads `s3://` inputs: one client per bucket, one runtime for all.
pub struct S3Source {
    settings: S3Settings,
    runtime: Arc<Runtime>,
    profile: Option<profile::Profile>,
    clients: Mutex<BTreeMap<String, Client>>,
}

impl S3Source {
    /// Reads the shared AWS files now, so a broken profile fails before anything else.
    pub fn new(settings: S3Settings) -> Result<Self, S3Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(S3Error::Runtime)?;
        let has_env_keys = std::env::var_os("AWS_ACCESS_KEY_ID").is_some();
        let profile = if has_env_keys { None } else { profile::load().map_err(S3Error::Credentials)? };
        Ok(Self { settings, runtime: Arc::new(runtime), profile, clients: Mutex::new(BTreeMap::new()) })
    }

    fn client(&self, bucket: &str) -> Result<Client, S3Error> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = clients.get(bucket) {
            return Ok(c.clone());
        }
        let (store, lister) = self.build(bucket)?;
        let client = Client { store: Arc::new(store), lister: Arc::new(lister), runtime: Arc::clone(&self.runtime) };
        clients.insert(bucket.to_string(), client.clone());
        Ok(client)
    }

    /// `--endpoint-url`, else `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> Option<String> {
        self.settings.endpoint.clone().or_else(|| std::env::var("AWS_ENDPOINT_URL").ok().filter(|e| !e.is_empty()))
    }

    /// `AWS_REGION`, `AWS_DEFAULT_REGION`, else the profile's.
    pub fn region(&self) -> Option<String> {
        let env_region = ["AWS_REGION", "AWS_DEFAULT_REGION"].iter().find_map(|k| std::env::var(k).ok().filter(|r| !r.is_empty()));
        env_region.or_else(|| self.profile.as_ref().and_then(|p| p.region.clone()))
    }

    /// The store's builder with the endpoint and the profile's credentials.
    fn builder(&self, bucket: &str) -> AmazonS3Builder {
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(endpoint) = self.endpoint() {
            builder = builder.with_allow_http(endpoint.starts_with("http://")).with_endpoint(endpoint);
        }
        if let Some(creds) = self.profile.as_ref().and_then(|p| p.credentials.as_ref()) {
            builder = builder.with_access_key_id(&creds.key_id).with_secret_access_key(&creds.secret);
            if let Some(token) = &creds.token {
                builder = builder.with_token(token);
            }
        }
        builder
    }

    /// The credentials S3 requests are signed with, to sign requests to other AWS
    /// services in `region`, and the runtime to run them on.
    pub fn credentials(&self, region: &str) -> Result<(object_store::aws::AwsCredentialProvider, Arc<Runtime>), S3Error> {
        let failed = |source| S3Error::Client { bucket: "-".to_string(), source };
        let _guard = self.runtime.enter();
        let store = self.builder("credentials").with_region(region).build().map_err(failed)?;
        Ok((Arc::clone(store.credentials()), Arc::clone(&self.runtime)))
    }

    fn build(&self, bucket: &str) -> Result<(AmazonS3, Lister), S3Error> {
        let failed = |source| S3Error::Client { bucket: bucket.to_string(), source };
        let builder = self.builder(bucket);
        let region = match self.region() {
            Some(region) => region,
            None if self.endpoint().is_some() => "us-east-1".to_string(),
            None => {
                let options = object_store::ClientOptions::default();
                self.runtime.block_on(object_store::aws::resolve_bucket_region(bucket, &options)).map_err(failed)?
            }
        };
        let builder = builder.with_region(&region);
        let endpoint = bucket_endpoint(&builder, bucket, &region);
        let sign = builder.get_config_value(&AmazonS3ConfigKey::SkipSignature).is_none_or(|v| v != "true");
        let store = builder.build().map_err(failed)?;
        let lister = Lister::new(&endpoint, &region, Arc::clone(store.credentials()), sign)
            .map_err(|why| S3Error::Client { bucket: bucket.to_string(), source: object_store::Error::Generic { store: "S3", source: why.into() } })?;
        Ok((store, lister))
    }

    /// A handle that writes objects into `bucket`.
    pub fn bucket(&self, bucket: &str) -> Result<S3Bucket, S3Error> {
        Ok(S3Bucket { name: bucket.to_string(), client: self.client(bucket)? })
    }

    /// Lists the event-log objects of `url` whose date folders lie in `window`.
    /// Within `only`, the layout's folders of other accounts and regions are not listed.
    pub fn list(&self, url: &S3Url, window: &DayWindow, only: &crate::ingest::Scope) -> Result<S3Listing, S3Error> {
        let client = self.client(&url.bucket)?;
        Ok(self.runtime.block_on(walk(&client, url, *window, Scope::EventLogs, only)))
    }

    /// Lists every object of `url`, digests included (for validate-logs).
    pub fn list_all(&self, url: &S3Url) -> Result<S3Listing, S3Error> {
        let client = self.client(&url.bucket)?;
        Ok(self.runtime.block_on(walk(&client, url, DayWindow::default(), Scope::Everything, &crate::ingest::Scope::default())))
    }
}

/// The URL of `bucket` that object_store's own requests go to (its builder's rule):
/// `AWS_ENDPOINT_URL_S3` or the endpoint, with the bucket as the first path part unless
/// requests are virtual-hosted style.
fn bucket_endpoint(builder: &AmazonS3Builder, bucket: &str, region: &str) -> String {
    let config = |key| builder.get_config_value(&key);
    let endpoint = config(AmazonS3ConfigKey::S3Endpoint).or_else(|| config(AmazonS3ConfigKey::Endpoint));
    let virtual_hosted = config(AmazonS3ConfigKey::VirtualHostedStyleRequest).is_some_and(|v| v == "true");
    match (endpoint, virtual_hosted) {
        (Some(endpoint), true) => endpoint,
        (Some(endpoint), false) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
        (None, true) => format!("https://{bucket}.s3.{region}.amazonaws.com"),
        (None, false) => format!("https://s3.{region}.amazonaws.com/{bucket}"),
    }
}

/// Writes objects into one bucket.
#[derive(Clone)]
pub struct S3Bucket {
    name: String,
    client: Client,
}

impl S3Bucket {
    /// Puts `bytes` at `key`, replacing what is there.
    pub fn put(&self, key: &str, bytes: Vec<u8>) -> io::Result<()> {
        let location = KeyPath::from(key);
        let payload = object_store::PutPayload::from(bytes);
        let put = self.client.store.put_opts(&location, payload, object_store::PutOptions::default());
        self.client.runtime.block_on(put).map(|_| ()).map_err(|e| io::Error::other(format!("cannot put s3://{}/{key}: {e}", self.name)))
    }
}

/// What a walk keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Event logs with CloudTrail-like names; digest, insight and aggregate folders
    /// are not listed.
    EventLogs,
    Everything,
}

/// Where a folder sits in the CloudTrail date layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Other,
    /// `CloudTrail/<region>/`: its children are years.
    Region,
    Year(i32),
    Month(i32, u32),
    Day,
}

/// What to do with a child folder `name` of a folder at `parent`, `None` to skip it.
fn child_level(parent: Level, parent_name: &str, name: &str, window: &DayWindow, scope: Scope) -> Option<Level> {
    let number = |len: usize| (name.len() == len && name.bytes().all(|b| b.is_ascii_digit())).then(|| name.parse::<u32>().ok()).flatten();
    if crate::ingest::non_event_kind(std::path::Path::new(name)).is_some() {
        return (scope == Scope::Everything).then_some(Level::Other);
    }
    match parent {
        Level::Other if parent_name == "CloudTrail" => Some(Level::Region),
        Level::Region => match number(4) {
            Some(y) => window.admits_year(y as i32).then_some(Level::Year(y as i32)),
            None => Some(Level::Other),
        },
        Level::Year(y) => match number(2) {
            Some(m) => window.admits_month(y, m).then_some(Level::Month(y, m)),
            None => Some(Level::Other),
        },
        Level::Month(y, m) => match number(2) {
            Some(d) => window.admits_day(y, m, d).then_some(Level::Day),
            None => Some(Level::Other),
        },
        _ => Some(Level::Other),
    }
}

/// Lists `url` folder by folder (module doc), [`LIST_CONCURRENCY`] folders at a time.
/// Each folder listed is strictly longer than its parent and at most S3's key length,
/// so the walk ends on any answers.
async fn walk(client: &Client, url: &S3Url, window: DayWindow, scope: Scope, only: &crate::ingest::Scope) -> S3Listing {
    let mut listing = S3Listing::default();
    let root = if url.prefix.is_empty() { String::new() } else { format!("{}/", url.prefix) };
    let (root_level, root_name) = level_of(&url.prefix);
    let mut frontier: Vec<(String, Level, String)> = vec![(root, root_level, root_name)];
    let mut found = Vec::new();
    while !frontier.is_empty() {
        let level = std::mem::take(&mut frontier);
        for batch in level.chunks(LIST_CONCURRENCY) {
            let mut tasks = tokio::task::JoinSet::new();
            for (i, (prefix, _, _)) in batch.iter().enumerate() {
                let (lister, prefix) = (Arc::clone(&client.lister), prefix.clone());
                tasks.spawn(async move { (i, lister.folder(&prefix).await) });
            }
            let mut results: Vec<_> = tasks.join_all().await;
            results.sort_by_key(|(i, _)| *i);
            for (i, result) in results {
                let (prefix, parent, parent_name) = &batch[i];
                listing.folders_listed += 1;
                let (folder, stopped) = result;
                if let Some(why) = stopped {
                    listing.unreadable.push((shown(&url.bucket, prefix), why));
                }
                found.extend(folder.objects);
                listing.unreadable.extend(folder.odd_keys.into_iter().map(|(key, why)| (shown(&url.bucket, &key), odd(&why))));
                for odd_folder in &folder.odd_folders {
                    name_odd_keys(client, &url.bucket, odd_folder, &mut listing).await;
                }
                for name in folder.folders {
                    if !only.keeps_path(std::path::Path::new(&format!("{prefix}{name}"))) {
                        continue;
                    }
                    match child_level(*parent, parent_name, &name, &window, scope) {
                        Some(level) => frontier.push((format!("{prefix}{name}/"), level, name)),
                        None if crate::ingest::non_event_kind(std::path::Path::new(&name)).is_some() => listing.non_event_folders += 1,
                        None => {}
                    }
                }
            }
        }
    }
    found.retain(|entry| only.keeps_path(std::path::Path::new(&entry.key)));
    place(&mut listing, found, &url.bucket, client, scope);
    listing
}

/// Reports the keys under `folder`, a folder whose name is not a path part (every key
/// under it is odd), from one page of a listing without delimiter.
async fn name_odd_keys(client: &Client, bucket: &str, folder: &str, listing: &mut S3Listing) {
    listing.folders_listed += 1;
    match client.lister.first_keys(folder).await {
        Ok((keys, more)) => {
            for key in keys {
                let why = s3_list::odd_key(&key).unwrap_or("the key is under a folder named by an empty, . or .. part");
                listing.unreadable.push((shown(bucket, &key), odd(why)));
            }
            if more {
                listing.unreadable.push((format!("{}...", shown(bucket, folder)), odd("more keys under this folder, not listed one by one")));
            }
        }
        Err(why) => listing.unreadable.push((shown(bucket, folder), odd(&format!("its keys could not be listed: {why}")))),
    }
}

/// How the summary names an odd key's skipping.
fn odd(why: &str) -> String {
    format!("odd S3 key skipped: {why}; every other object is read")
}

/// `s3://BUCKET/KEY` with control characters shown as escapes, so a key cannot write
/// to the terminal that reads the report.
fn shown(bucket: &str, key: &str) -> String {
    let mut out = format!("s3://{bucket}/");
    for c in key.chars() {
        if c.is_control() {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// The level of the folder `prefix` names, and its last part, so a prefix that points
/// inside the layout (`.../CloudTrail/`) is still pruned by date.
fn level_of(prefix: &str) -> (Level, String) {
    let mut state = (Level::Other, String::new());
    for part in prefix.split('/').filter(|p| !p.is_empty()) {
        let level = child_level(state.0, &state.1, part, &DayWindow::default(), Scope::Everything).unwrap_or(Level::Other);
        state = (level, part.to_string());
    }
    state
}

/// Sorts what was found as a walk of the same files on disk would (by key part, each
/// level in name order) and keeps the CloudTrail-like names.
fn place(listing: &mut S3Listing, mut found: Vec<Entry>, bucket: &str, client: &Client, scope: Scope) {
    found.sort_by(|a, b| a.key.split('/').cmp(b.key.split('/')));
    for entry in found {
        let path = std::path::Path::new(&entry.key);
        if scope == Scope::EventLogs && crate::ingest::non_event_kind(path).is_some() {
            continue;
        }
        if scope == Scope::EventLogs && !crate::ingest::is_cloudtrail_name(path) {
            listing.ignored.push(format!("s3://{bucket}/{}", entry.key));
            continue;
        }
        listing.objects.push(S3Object { bucket: bucket.to_string(), key: entry.key, etag: entry.etag, size: entry.size, client: client.clone() });
    }
}
