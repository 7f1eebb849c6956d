//! Splicing real CloudTrail records into a simulated background (issue 12 §3).
//!
//! Real detonation logs (tests/fixtures/real-cloudtrail) cover less than an hour of a
//! foreign account, so on their own nothing can be judged. [`Splice`] re-stamps each
//! record so it reads as part of a background history: its `eventTime` is shifted by a
//! fixed offset (relative timing kept), its account (`recipientAccountId`, the
//! `accountId` fields under `userIdentity` and `resources`, and the account field of
//! every ARN anywhere in the record) becomes a background account, chosen principals are
//! replaced (an ARN by another, or the whole `userIdentity` object by one a background
//! principal uses), `awsRegion` may be mapped (Stratus' fake regions), and its `eventID`
//! becomes a fresh deterministic UUID (version 5, which the simulator never writes), so
//! it can never collide with the background or with another splice.
//!
//! Everything else stays byte for byte: the helper edits the raw text of each record at
//! the spans of those string values and never re-serialises a parsed value.
//! [`write_deliveries`] then writes the records as gzip delivery files in the
//! background's S3 layout (`<prefix>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_
//! <region>_<YYYYMMDDTHHMMZ>_<16 chars>.json.gz`), under a root of their own, so one
//! background can be shared by tests that each pass their splice root beside it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::value::RawValue;

const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// How to re-stamp records. Maps are keyed by the values as they appear in the
/// original records.
#[derive(Debug, Clone, Default)]
pub struct Splice {
    /// Seconds added to every `eventTime` (see [`shift_to`]).
    pub shift_seconds: i64,
    /// Account id -> account id, in the account fields and inside ARNs.
    pub accounts: BTreeMap<String, String>,
    /// `awsRegion` -> region.
    pub regions: BTreeMap<String, String>,
    /// ARN -> ARN, for any string value that is that ARN. A key ending in `/` maps a
    /// prefix (`arn:aws:sts::111:assumed-role/Old/` -> `arn:aws:sts::222:assumed-role/New/`
    /// keeps session names). Values are final: no account re-stamp is applied to them.
    pub arns: BTreeMap<String, String>,
    /// Role name -> role name in `userIdentity.sessionContext.sessionIssuer.userName`
    /// (see [`Splice::role`]).
    pub role_names: BTreeMap<String, String>,
    /// `userIdentity.arn` -> the raw JSON text of a whole `userIdentity` object put in
    /// its place (see [`identity_of`]), to replay a detonation as a background principal.
    pub identities: BTreeMap<String, String>,
    /// Names this splice's eventIDs; two splices with different tags never share one.
    pub tag: String,
}

/// One re-stamped record and where it is delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct Spliced {
    pub time: DateTime<Utc>,
    pub account: String,
    pub region: String,
    /// The record's JSON text.
    pub text: String,
}

impl Splice {
    /// A splice of `tag` shifting by `shift_seconds` and moving account `from` to `to`.
    pub fn new(tag: &str, shift_seconds: i64, from: &str, to: &str) -> Self {
        Self {
            shift_seconds,
            accounts: BTreeMap::from([(from.to_string(), to.to_string())]),
            tag: tag.to_string(),
            ..Self::default()
        }
    }

    /// Maps an ARN (or, ending in `/`, an ARN prefix) to a final one.
    pub fn arn(mut self, from: &str, to: &str) -> Self {
        self.arns.insert(from.to_string(), to.to_string());
        self
    }

    /// Replays role `from` as role `to` (both `arn:aws:iam::<account>:role/<name>`):
    /// the role ARN, its sessions' ARNs (`arn:aws:sts::<account>:assumed-role/<name>/`,
    /// session names kept) and the session issuer's `userName`.
    pub fn role(mut self, from: &str, to: &str) -> Self {
        let session_prefix = |arn: &str| {
            let (head, name) = arn.split_once(":role/").unwrap_or_else(|| panic!("not a role ARN: {arn}"));
            (format!("{}:assumed-role/{name}/", head.replacen(":iam:", ":sts:", 1)), name.to_string())
        };
        let ((from_prefix, from_name), (to_prefix, to_name)) = (session_prefix(from), session_prefix(to));
        self.arns.insert(from.to_string(), to.to_string());
        self.arns.insert(from_prefix, to_prefix);
        self.role_names.insert(from_name, to_name);
        self
    }

    /// Replaces the whole `userIdentity` of records whose `userIdentity.arn` is `arn`.
    pub fn identity(mut self, arn: &str, user_identity: &str) -> Self {
        self.identities.insert(arn.to_string(), user_identity.to_string());
        self
    }

    /// Maps `awsRegion` (which also chooses the delivery folder).
    pub fn region(mut self, from: &str, to: &str) -> Self {
        self.regions.insert(from.to_string(), to.to_string());
        self
    }

    /// Re-stamps every record, in order; the `index`-th record's eventID is derived from
    /// the tag, its index and its original eventID.
    pub fn apply(&self, records: &[String]) -> Vec<Spliced> {
        records.iter().enumerate().map(|(i, r)| self.record(i, r)).collect()
    }

    /// Re-stamps one record's raw JSON text.
    pub fn record(&self, index: usize, text: &str) -> Spliced {
        let fields = scan(text);
        let identity = fields
            .iter()
            .find(|f| f.is_at(&["userIdentity", "arn"]))
            .and_then(|f| self.identities.get(f.raw(text)))
            .and_then(|with| Some((fields.iter().find(|f| f.is_at(&["userIdentity"]))?, with)));
        let mut edits: Vec<(usize, usize, String)> = Vec::new();
        if let Some((object, with)) = identity {
            edits.push((object.start, object.end, with.clone()));
        }
        for f in fields.iter().filter(|f| f.is_string) {
            let inside_replaced = identity.is_some_and(|(o, _)| o.start <= f.start && f.end <= o.end);
            if inside_replaced {
                continue;
            }
            if let Some(new) = self.new_value(index, f, f.raw(text)) {
                edits.push((f.start + 1, f.end - 1, new));
            }
        }
        let text = apply_edits(text, edits);
        let after = scan(&text);
        let value =
            |path: &[&str]| after.iter().find(|f| f.is_at(path)).map(|f| f.raw(&text).to_string()).unwrap_or_default();
        let time = parse_time(&value(&["eventTime"]));
        Spliced { time, account: value(&["recipientAccountId"]), region: value(&["awsRegion"]), text }
    }

    /// The new raw content of a string value, if it changes.
    fn new_value(&self, index: usize, f: &Field, raw: &str) -> Option<String> {
        let new = match f.path_str().as_slice() {
            ["eventTime"] => format_time(parse_time(raw) + chrono::Duration::seconds(self.shift_seconds)),
            ["eventID"] => fresh_event_id(&self.tag, index, raw),
            ["awsRegion"] => self.regions.get(raw)?.clone(),
            ["userIdentity", "sessionContext", "sessionIssuer", "userName"] => self.role_names.get(raw)?.clone(),
            path if is_account_field(path) => self.accounts.get(raw)?.clone(),
            _ => self.map_arns(raw),
        };
        (new != raw).then_some(new)
    }

    /// The principal map first (whole value or prefix), else each ARN's account field.
    fn map_arns(&self, raw: &str) -> String {
        if let Some(to) = self.arns.get(raw) {
            return to.clone();
        }
        if let Some((from, to)) = self.arns.iter().find(|(k, _)| k.ends_with('/') && raw.starts_with(k.as_str())) {
            return format!("{to}{}", &raw[from.len()..]);
        }
        restamp_arn_accounts(raw, &self.accounts)
    }
}

/// `recipientAccountId`, and `accountId` under `userIdentity` or `resources`.
pub fn is_account_field(path: &[&str]) -> bool {
    match path {
        ["recipientAccountId"] => true,
        [first, .., "accountId"] => *first == "userIdentity" || *first == "resources",
        _ => false,
    }
}

/// Replaces the account field (the fifth `:`-separated part) of each ARN in `text`.
fn restamp_arn_accounts(text: &str, accounts: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("arn:aws") {
        out.push_str(&rest[..at]);
        let arn = &rest[at..];
        let colons: Vec<usize> = arn.match_indices(':').map(|(i, _)| i).take(5).collect();
        match colons.as_slice() {
            [_, _, _, c3, c4] if accounts.contains_key(&arn[c3 + 1..*c4]) => {
                out.push_str(&arn[..=*c3]);
                out.push_str(&accounts[&arn[c3 + 1..*c4]]);
                rest = &arn[*c4..];
            }
            _ => {
                out.push_str("arn:aws");
                rest = &arn["arn:aws".len()..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A UUID (version 5) named by the splice tag, the record's index and its old id.
pub fn fresh_event_id(tag: &str, index: usize, old: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("trailsight-splice/{tag}/{index}/{old}").as_bytes())
        .hyphenated()
        .to_string()
}

pub fn parse_time(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, TIME_FORMAT).unwrap_or_else(|e| panic!("eventTime {s:?}: {e}")).and_utc()
}

pub fn format_time(t: DateTime<Utc>) -> String {
    t.format(TIME_FORMAT).to_string()
}

/// Seconds that move the earliest record's minute to `target` (seconds within the
/// minute and all relative timing kept).
pub fn shift_to(records: &[String], target: DateTime<Utc>) -> i64 {
    let first = records
        .iter()
        .filter_map(|r| scan(r).into_iter().find(|f| f.is_at(&["eventTime"])).map(|f| parse_time(f.raw(r))))
        .min()
        .expect("records with an eventTime");
    let first_minute = first.timestamp().div_euclid(60) * 60;
    target.timestamp() - first_minute
}

fn apply_edits(text: &str, mut edits: Vec<(usize, usize, String)>) -> String {
    edits.sort_by_key(|e| e.0);
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for (start, end, new) in edits {
        assert!(start >= at, "overlapping edits");
        out.push_str(&text[at..start]);
        out.push_str(&new);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

// ---- reading records as raw text ----

/// The raw text of each record of a delivery file (`{"Records":[...]}`, gzip or not)
/// or of a JSON array of records (the Stratus detonation files).
pub fn read_records(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice()).read_to_string(&mut s).unwrap();
        s
    } else {
        String::from_utf8(bytes).unwrap()
    };
    #[derive(serde::Deserialize)]
    struct File<'a> {
        #[serde(borrow, rename = "Records")]
        records: Vec<&'a RawValue>,
    }
    let raw: Vec<&RawValue> = match serde_json::from_str::<File>(&text) {
        Ok(f) => f.records,
        Err(_) => serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    };
    raw.iter().map(|r| r.get().to_string()).collect()
}

/// Every record of every `.json` or `.json.gz` event file under `dir` (digests and
/// Insight files, under `CloudTrail-Digest/` and `CloudTrail-Insight/`, are not), files
/// in name order.
pub fn read_dir_records(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| {
            let name = p.to_string_lossy();
            (name.ends_with(".json") || name.ends_with(".json.gz")) && !name.contains("/CloudTrail-")
        })
        .collect();
    files.sort();
    files.iter().flat_map(|f| read_records(f)).collect()
}

/// The raw value at `path`: a string's content without quotes, or the value's text
/// (`false`, `12`, `{...}`).
pub fn field<'t>(text: &'t str, path: &[&str]) -> Option<&'t str> {
    scan(text).into_iter().find(|f| f.is_at(path)).map(|f| f.raw(text))
}

/// The raw `userIdentity` object of the first record under `dir` whose
/// `userIdentity.arn` starts with `arn_prefix`: what [`Splice::identity`] takes to
/// replay a detonation as that background principal.
pub fn identity_of(dir: &Path, arn_prefix: &str) -> Option<String> {
    read_dir_records(dir).iter().find_map(|r| {
        let arn = field(r, &["userIdentity", "arn"])?;
        arn.starts_with(arn_prefix).then(|| field(r, &["userIdentity"]).map(str::to_string))?
    })
}

// ---- writing delivery files ----

/// Account ids of the delivery folders under `background`, sorted.
pub fn accounts(background: &Path) -> Vec<String> {
    let set: BTreeSet<String> = walkdir::WalkDir::new(background)
        .max_depth(4)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir() && e.path().join("CloudTrail").is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    set.into_iter().collect()
}

/// The background's folder of `account` (`AWSLogs/<id>` or `AWSLogs/o-.../<id>`),
/// relative to `background`; an account the background lacks gets the organisation
/// form of the others.
pub fn account_prefix(background: &Path, account: &str) -> PathBuf {
    let mut folders: Vec<PathBuf> = walkdir::WalkDir::new(background)
        .max_depth(4)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir() && e.path().join("CloudTrail").is_dir())
        .map(|e| e.path().strip_prefix(background).unwrap().to_path_buf())
        .collect();
    folders.sort();
    if let Some(f) = folders.iter().find(|f| f.file_name().is_some_and(|n| n == account)) {
        return f.clone();
    }
    let org = folders.iter().find_map(|f| f.parent().filter(|p| p.components().count() == 2).map(Path::to_path_buf));
    org.unwrap_or_else(|| PathBuf::from("AWSLogs")).join(account)
}

/// Writes `records` under `out` as CloudTrail delivers them: one gzip file per account,
/// region and five minutes of eventTime, named and foldered by its delivery time (the
/// end of those five minutes), in the layout `background` uses. Returns the files.
pub fn write_deliveries(out: &Path, background: &Path, records: &[Spliced], tag: &str) -> Vec<PathBuf> {
    let mut files: BTreeMap<(String, String, i64), Vec<&str>> = BTreeMap::new();
    for r in records {
        let slot = r.time.timestamp().div_euclid(300) * 300 + 300;
        files.entry((r.account.clone(), r.region.clone(), slot)).or_default().push(&r.text);
    }
    let mut written = Vec::new();
    for (n, ((account, region, slot), texts)) in files.into_iter().enumerate() {
        let at = DateTime::from_timestamp(slot, 0).unwrap();
        let name = format!("{account}_CloudTrail_{region}_{}_{}.json.gz", at.format("%Y%m%dT%H%MZ"), name_tail(tag, n));
        let dir = out
            .join(account_prefix(background, &account))
            .join("CloudTrail")
            .join(&region)
            .join(at.format("%Y/%m/%d").to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let body = format!("{{\"Records\":[{}]}}", texts.join(","));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(body.as_bytes()).unwrap();
        std::fs::write(dir.join(&name), gz.finish().unwrap()).unwrap();
        written.push(dir.join(name));
    }
    written
}

/// The 16 letters and digits that end an object name, derived from the tag.
fn name_tail(tag: &str, n: usize) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("trailsight-splice-file/{tag}/{n}").as_bytes());
    id.as_bytes().iter().map(|b| ALNUM[usize::from(*b) % ALNUM.len()] as char).collect()
}

// ---- a minimal scanner over raw JSON text ----

/// A value of a record (a string, number, literal or object; not an array): its path
/// of object keys (`[]` for array items) and its span, quotes included for strings.
#[derive(Debug, Clone)]
struct Field {
    path: Vec<String>,
    start: usize,
    end: usize,
    is_string: bool,
}

impl Field {
    fn path_str(&self) -> Vec<&str> {
        self.path.iter().map(String::as_str).collect()
    }

    fn is_at(&self, path: &[&str]) -> bool {
        self.path_str() == path
    }

    /// A string's content without its quotes, or the value's text.
    fn raw<'t>(&self, text: &'t str) -> &'t str {
        if self.is_string {
            &text[self.start + 1..self.end - 1]
        } else {
            &text[self.start..self.end]
        }
    }
}

/// Every value of a JSON text but arrays; an object after its members.
fn scan(text: &str) -> Vec<Field> {
    let mut s = Scanner { b: text.as_bytes(), at: 0, path: Vec::new(), out: Vec::new() };
    s.value();
    s.out
}

struct Scanner<'b> {
    b: &'b [u8],
    at: usize,
    path: Vec<String>,
    out: Vec<Field>,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while self.at < self.b.len() && self.b[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn value(&mut self) {
        self.ws();
        let start = self.at;
        match self.b.get(self.at) {
            Some(b'{') => {
                self.object();
                self.out.push(Field { path: self.path.clone(), start, end: self.at, is_string: false });
            }
            Some(b'[') => self.array(),
            Some(b'"') => {
                self.string();
                self.out.push(Field { path: self.path.clone(), start, end: self.at, is_string: true });
            }
            Some(_) => {
                while self.at < self.b.len() && !b",]} \t\r\n".contains(&self.b[self.at]) {
                    self.at += 1;
                }
                self.out.push(Field { path: self.path.clone(), start, end: self.at, is_string: false });
            }
            None => panic!("JSON ends early"),
        }
    }

    fn string(&mut self) {
        self.at += 1;
        while self.b[self.at] != b'"' {
            self.at += if self.b[self.at] == b'\\' { 2 } else { 1 };
        }
        self.at += 1;
    }

    fn object(&mut self) {
        self.at += 1;
        loop {
            self.ws();
            match self.b[self.at] {
                b'}' => break,
                b',' => self.at += 1,
                _ => {
                    let key_start = self.at + 1;
                    self.string();
                    let key = String::from_utf8_lossy(&self.b[key_start..self.at - 1]).to_string();
                    self.ws();
                    assert_eq!(self.b[self.at], b':', "a key is followed by ':'");
                    self.at += 1;
                    self.path.push(key);
                    self.value();
                    self.path.pop();
                }
            }
        }
        self.at += 1;
    }

    fn array(&mut self) {
        self.at += 1;
        self.path.push("[]".to_string());
        loop {
            self.ws();
            match self.b[self.at] {
                b']' => break,
                b',' => self.at += 1,
                _ => self.value(),
            }
        }
        self.path.pop();
        self.at += 1;
    }
}
