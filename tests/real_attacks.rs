//! Real attack logs spliced into a simulated background (issue 12 §3).
//!
//! The background is a clean simulated history (10 days from Monday 2026-01-05, 2
//! accounts, 2 regions, scale 0.1, no injected anomaly or one-off decoy; days 8-10 are
//! judged), made once per test binary. Each test re-stamps real records
//! (tests/fixtures/real-cloudtrail) with `common::splice` into delivery files of their
//! own, runs `trailsight detect` over the background and those files, and asserts what
//! fires, by API, insight type, error code and top `userIdentityArn`, and what does not.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use common::score::InsightView;
use common::splice::{self, Splice, Spliced};
use common::{fixtures, records, trailsight, Ordered};
use trailsight::simulate::{simulate, AnomalyMix, SimConfig};
use trailsight::time::parse_event_minute;

/// A development seed (the accuracy benchmark reports on others).
const SEED: u64 = 1203;
/// The account and region the invictus run was recorded in.
const INVICTUS_ACCOUNT: &str = "123837392027";
const INVICTUS_USER: &str = "arn:aws:iam::123837392027:user/bert-jan";
const PASSWORD_ROLE: &str = "stratus-red-team-ec2-get-password-data-role";
/// The background's EC2 instance role (SSM agents), which never calls GetPasswordData.
const INSTANCE_ROLE: &str = "AmazonSSMRoleForInstances";
/// Minutes an insight may start before the first or after the last spliced record.
const SLACK: i64 = 5;

struct Background {
    _dir: tempfile::TempDir,
    /// The simulator's `AWSLogs` folder.
    logs: PathBuf,
    accounts: Vec<String>,
    /// (account, eventSource, eventName) of every background record.
    apis: BTreeSet<(String, String, String)>,
    /// IAM users and assumed roles (session dropped) of each account, sorted.
    principals: Vec<(String, String)>,
    /// The (account, principal) pairs of those that made an IAM write.
    iam_writers: BTreeSet<(String, String)>,
}

/// The background history, simulated once per test binary.
fn background() -> &'static Background {
    static BACKGROUND: OnceLock<Background> = OnceLock::new();
    BACKGROUND.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sim");
        let config = SimConfig {
            out: out.clone(),
            days: 10,
            seed: SEED,
            scale: 0.1,
            malformed: false,
            anomalies: AnomalyMix::none(),
            ..SimConfig::default()
        };
        simulate(&config).unwrap();
        let logs = out.join("AWSLogs");
        let mut apis = BTreeSet::new();
        let (mut principals, mut iam_writers) = (BTreeSet::new(), BTreeSet::new());
        for r in splice::read_dir_records(&logs) {
            let field = |path: &[&str]| splice::field(&r, path).unwrap_or_default().to_string();
            let account = field(&["recipientAccountId"]);
            apis.insert((account.clone(), field(&["eventSource"]), field(&["eventName"])));
            let arn = field(&["userIdentity", "arn"]);
            let is_iam_write = field(&["eventSource"]) == "iam.amazonaws.com" && field(&["readOnly"]) == "false";
            if is_iam_write {
                iam_writers.insert((account.clone(), role_of(&arn)));
            }
            if arn.contains(":user/") || arn.contains(":assumed-role/") {
                principals.insert((account, role_of(&arn)));
            }
        }
        Background {
            accounts: splice::accounts(&logs),
            logs,
            apis,
            principals: principals.into_iter().collect(),
            iam_writers,
            _dir: dir,
        }
    })
}

/// An assumed-role ARN without its session name; other ARNs unchanged.
fn role_of(arn: &str) -> String {
    match arn.split_once(":assumed-role/").and_then(|(_, rest)| rest.split_once('/')) {
        Some((_, session)) => arn[..arn.len() - session.len() - 1].to_string(),
        None => arn.to_string(),
    }
}

impl Background {
    /// The account's first IAM user, by ARN.
    fn user(&self, account: &str) -> String {
        let found = self.principals.iter().find(|(a, p)| a == account && p.contains(":user/"));
        found.map(|(_, p)| p.clone()).unwrap_or_else(|| panic!("no IAM user in {account}"))
    }

    /// The sessions' ARN prefix (`arn:aws:sts::<account>:assumed-role/<name>`) of a role
    /// the account's background uses.
    fn role(&self, account: &str, name: &str) -> String {
        let arn = format!("arn:aws:sts::{account}:assumed-role/{name}");
        assert!(self.principals.contains(&(account.to_string(), arn.clone())), "no role {name} in {account}");
        arn
    }

    /// `principal` as [`Background::role`] or [`Background::user`] name it.
    fn has_written_iam(&self, account: &str, principal: &str) -> bool {
        self.iam_writers.contains(&(account.to_string(), principal.to_string()))
    }

    fn called(&self, account: &str, source: &str, name: &str) -> bool {
        self.apis.contains(&(account.to_string(), source.to_string(), name.to_string()))
    }
}

/// What one `detect` run wrote.
struct Run {
    insights: Vec<InsightView>,
    stderr: String,
    explain: String,
}

impl Run {
    fn find(&self, source: &str, name: &str, kind: &str, error: Option<&str>) -> Option<&InsightView> {
        self.insights.iter().find(|v| {
            v.event_source == source
                && v.event_name == name
                && v.insight_type == kind
                && v.error_code.as_deref() == error
        })
    }

    /// Asserts the insight fired when the spliced calls of that API (and error code)
    /// began, and names `principal` first.
    fn assert_fired(&self, spliced: &[Spliced], api: (&str, &str), kind: &str, error: Option<&str>, principal: &str) {
        let (source, name) = api;
        let Some(v) = self.find(source, name, kind, error) else {
            panic!("no {kind} on {source} {name} {error:?}\n{self}");
        };
        let first = spliced
            .iter()
            .filter(|r| splice::field(&r.text, &["eventName"]) == Some(name))
            .filter(|r| error.is_none() || splice::field(&r.text, &["errorCode"]) == error)
            .map(|r| r.time.timestamp().div_euclid(60))
            .min()
            .expect("spliced calls of the API");
        assert!(
            (first - SLACK..=first + SLACK).contains(&v.start),
            "{source} {name} starts at {}, calls at {first}\n{self}",
            v.start
        );
        assert_eq!(v.top_principal.as_deref(), Some(principal), "{source} {name}: top attribution\n{self}");
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        writeln!(f, "insights:")?;
        for v in &self.insights {
            writeln!(f, "  {v:?}")?;
        }
        write!(f, "explain:\n{}\nstderr:\n{}", self.explain, self.stderr)
    }
}

/// `trailsight detect` over the background and the spliced folders.
fn detect(spliced: &[&Path]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let explain = dir.path().join("explain.ndjson");
    let out = trailsight()
        .arg("detect")
        .arg(&background().logs)
        .args(spliced)
        .arg("--explain")
        .arg(&explain)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    let recs = records(&out.stdout);
    common::assert_valid_pairs(&recs);
    let explain = std::fs::read_to_string(&explain).unwrap_or_default();
    Run { insights: recs.iter().filter_map(InsightView::from_json).collect(), stderr, explain }
}

fn invictus() -> Vec<String> {
    splice::read_dir_records(&fixtures().join("real-cloudtrail/invictus-stratus-run"))
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// The minutes of the first and last spliced record.
fn span(records: &[Spliced]) -> (i64, i64) {
    let minutes = records.iter().map(|r| r.time.timestamp().div_euclid(60));
    (minutes.clone().min().unwrap(), minutes.max().unwrap())
}

fn assert_only_within(run: &Run, account: &str, region: &str, (first, last): (i64, i64)) {
    for v in &run.insights {
        let inside = (first - SLACK..=last + SLACK).contains(&v.start);
        assert!(v.account == account && v.region == region && inside, "insight outside the splice: {v:?}\n{run}");
    }
}

#[test]
fn the_background_alone_raises_no_insight() {
    let run = detect(&[]);
    assert!(run.insights.is_empty(), "{run}");
    assert!(!run.stderr.contains("still warming up"), "{}", run.stderr);
}

/// Every Stratus technique within one hour (invictus-ir), replayed on day 9 (Tuesday
/// 2026-01-13) from 14:00 in the first account: bert-jan as a user of that account, the
/// GetPasswordData role as its EC2 instance role (stolen instance credentials).
#[test]
fn the_invictus_run_fires_its_bursts_with_the_detonating_principal() {
    let bg = background();
    let account = &bg.accounts[0];
    let user = bg.user(account);
    let role = bg.role(account, INSTANCE_ROLE);
    let records = invictus();
    let splice =
        Splice::new("invictus", splice::shift_to(&records, at("2026-01-13T14:00:00Z")), INVICTUS_ACCOUNT, account)
            .arn(INVICTUS_USER, &user)
            .role(
                &format!("arn:aws:iam::{INVICTUS_ACCOUNT}:role/{PASSWORD_ROLE}"),
                &format!("arn:aws:iam::{account}:role/{INSTANCE_ROLE}"),
            );
    let spliced = splice.apply(&records);
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(splice::write_deliveries(dir.path(), &bg.logs, &spliced, "invictus").len(), 12);
    let run = detect(&[dir.path()]);
    let session = format!("{role}/aws-go-sdk-1688990082523310002");
    let rate = "ApiCallRateInsight";
    run.assert_fired(&spliced, ("ssm.amazonaws.com", "PutParameter"), rate, None, &user);
    run.assert_fired(&spliced, ("ssm.amazonaws.com", "DeleteParameter"), rate, None, &user);
    run.assert_fired(&spliced, ("secretsmanager.amazonaws.com", "CreateSecret"), rate, None, &user);
    run.assert_fired(&spliced, ("secretsmanager.amazonaws.com", "PutSecretValue"), rate, None, &user);
    let error = Some("Client.UnauthorizedOperation");
    run.assert_fired(&spliced, ("ec2.amazonaws.com", "GetPasswordData"), "ApiErrorRateInsight", error, &session);
    assert_only_within(&run, account, "us-east-1", span(&spliced));
}

/// A third account whose ordinary days (a copy of the second account's days 8-10,
/// re-stamped) appear only on the judged days: it has no baseline of its own, so it is
/// not judged, and the summary says so.
#[test]
fn a_new_account_with_ordinary_activity_stays_quiet_while_warming_up() {
    let bg = background();
    let (copied, new) = (&bg.accounts[1], "990000000012");
    assert!(!bg.accounts.contains(&new.to_string()));
    let judged_from = at("2026-01-12T00:00:00Z");
    let folder = bg.logs.join(splice::account_prefix(&bg.logs, copied));
    let days: Vec<String> = splice::read_dir_records(&folder)
        .into_iter()
        .filter(|r| splice::parse_time(splice::field(r, &["eventTime"]).unwrap()) >= judged_from)
        .collect();
    let spliced = Splice::new("new-account", 0, copied, new).apply(&days);
    let regions: BTreeSet<&str> = spliced.iter().map(|r| r.region.as_str()).collect();
    assert_eq!(regions, BTreeSet::from(["eu-west-1", "us-east-1"]));
    assert!(spliced.len() > 10_000, "{} records", spliced.len());
    let dir = tempfile::tempdir().unwrap();
    splice::write_deliveries(dir.path(), &bg.logs, &spliced, "new-account");
    let run = detect(&[dir.path()]);
    assert!(run.insights.is_empty(), "{run}");
    for region in regions {
        let line = format!("    {new} {region}: judged from 2026-01-19T00:00:00Z");
        assert!(run.stderr.contains(&line), "{line:?} not in the summary:\n{}", run.stderr);
    }
}

/// ssm DeleteParameter, which the background never calls, in the warmed-up second
/// account: the invictus run's burst of it (40 calls and 38 throttled in a minute) alone,
/// on day 10 at 10:00, by a user the account never saw.
#[test]
fn a_new_api_in_an_established_account_fires_at_once() {
    let bg = background();
    let account = &bg.accounts[1];
    let (source, name) = ("ssm.amazonaws.com", "DeleteParameter");
    assert!(!bg.called(account, source, name), "the background must never call {name}");
    let burst: Vec<String> =
        invictus().into_iter().filter(|r| splice::field(r, &["eventName"]) == Some(name)).collect();
    assert_eq!(burst.len(), 78);
    let splice =
        Splice::new("new-api", splice::shift_to(&burst, at("2026-01-14T10:00:00Z")), INVICTUS_ACCOUNT, account);
    let spliced = splice.apply(&burst);
    let dir = tempfile::tempdir().unwrap();
    splice::write_deliveries(dir.path(), &bg.logs, &spliced, "new-api");
    let run = detect(&[dir.path()]);
    let user = format!("arn:aws:iam::{account}:user/bert-jan");
    run.assert_fired(&spliced, (source, name), "ApiCallRateInsight", None, &user);
    assert_only_within(&run, account, "us-east-1", span(&spliced));
    assert!(run.insights.iter().all(|v| v.event_name == name), "{run}");
}

// ---- the helper itself ----

fn stratus() -> Vec<String> {
    splice::read_dir_records(&fixtures().join("real-cloudtrail/stratus-detonations"))
}

/// The splice every record of both fixtures goes through below.
fn test_splice(records: &[String]) -> Splice {
    let mut s = Splice::new("unit", 86_400 * 900 + 61, INVICTUS_ACCOUNT, "111122223333")
        .arn(INVICTUS_USER, "arn:aws:iam::111122223333:user/alice")
        .role(&format!("arn:aws:iam::{INVICTUS_ACCOUNT}:role/{PASSWORD_ROLE}"), "arn:aws:iam::111122223333:role/App");
    for r in records {
        let (Some(account), Some(region)) =
            (splice::field(r, &["recipientAccountId"]), splice::field(r, &["awsRegion"]))
        else {
            continue;
        };
        if account != INVICTUS_ACCOUNT {
            s.accounts.insert(account.to_string(), "444455556666".to_string());
        }
        if region != "us-east-1" {
            s.regions.insert(region.to_string(), "eu-west-1".to_string());
        }
    }
    s
}

/// What the splice must make of a string value at `path`, computed independently of
/// the helper's scanner (plain text replacement of `:<account>:`).
fn expected(s: &Splice, index: usize, path: &[String], old: &str) -> String {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let mapped =
        |m: &std::collections::BTreeMap<String, String>| m.get(old).cloned().unwrap_or_else(|| old.to_string());
    match path.as_slice() {
        ["eventTime"] => splice::format_time(splice::parse_time(old) + chrono::Duration::seconds(s.shift_seconds)),
        ["eventID"] => splice::fresh_event_id(&s.tag, index, old),
        ["awsRegion"] => mapped(&s.regions),
        ["userIdentity", "sessionContext", "sessionIssuer", "userName"] => mapped(&s.role_names),
        p if splice::is_account_field(p) => mapped(&s.accounts),
        _ => {
            if let Some(to) = s.arns.get(old) {
                return to.clone();
            }
            if let Some((from, to)) = s.arns.iter().find(|(k, _)| k.ends_with('/') && old.starts_with(k.as_str())) {
                return format!("{to}{}", &old[from.len()..]);
            }
            let mut new = old.to_string();
            if new.contains("arn:aws") {
                for (from, to) in &s.accounts {
                    new = new.replace(&format!(":{from}:"), &format!(":{to}:"));
                }
            }
            new
        }
    }
}

/// Leaves that differ, in document order; the two values must have the same shape.
fn diff(a: &Ordered, b: &Ordered, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, String, String)>) {
    match (a, b) {
        (Ordered::Object(fa), Ordered::Object(fb)) => {
            assert_eq!(a.keys(), b.keys(), "keys at {path:?}");
            for ((k, va), (_, vb)) in fa.iter().zip(fb) {
                path.push(k.clone());
                diff(va, vb, path, out);
                path.pop();
            }
        }
        (Ordered::Array(xa), Ordered::Array(xb)) => {
            assert_eq!(xa.len(), xb.len(), "array length at {path:?}");
            path.push("[]".to_string());
            for (va, vb) in xa.iter().zip(xb) {
                diff(va, vb, path, out);
            }
            path.pop();
        }
        (Ordered::Scalar(x), Ordered::Scalar(y)) if x == y => {}
        (Ordered::Scalar(serde_json::Value::String(x)), Ordered::Scalar(serde_json::Value::String(y))) => {
            out.push((path.clone(), x.clone(), y.clone()));
        }
        _ => panic!("{path:?} changed: {a:?} -> {b:?}"),
    }
}

/// The text cut into string literals (`true`) and what lies between them (`false`).
fn tokens(text: &str) -> Vec<(bool, &str)> {
    let b = text.as_bytes();
    let (mut out, mut at) = (Vec::new(), 0);
    while at < b.len() {
        let start = at;
        if b[at] == b'"' {
            at += 1;
            while b[at] != b'"' {
                at += if b[at] == b'\\' { 2 } else { 1 };
            }
            at += 1;
            out.push((true, &text[start..at]));
        } else {
            while at < b.len() && b[at] != b'"' {
                at += 1;
            }
            out.push((false, &text[start..at]));
        }
    }
    out
}

#[test]
fn a_spliced_record_differs_from_its_original_only_in_the_restamped_fields() {
    let originals: Vec<String> = invictus().into_iter().chain(stratus()).collect();
    assert_eq!(originals.len(), 2900 + 310);
    let s = test_splice(&originals);
    let spliced = s.apply(&originals);
    let (mut ids, mut changed_arns, mut renamed) = (BTreeSet::new(), 0, 0);
    for (i, (old, new)) in originals.iter().zip(&spliced).enumerate() {
        let a: Ordered = serde_json::from_str(old).unwrap();
        let b: Ordered = serde_json::from_str(&new.text).unwrap();
        let mut leaves = Vec::new();
        diff(&a, &b, &mut Vec::new(), &mut leaves);
        let mut all = Vec::new();
        diff(&a, &a, &mut Vec::new(), &mut all);
        for (path, was, now) in &leaves {
            assert_eq!(now, &expected(&s, i, path, was), "record {i} at {path:?}");
            changed_arns += usize::from(was.contains("arn:aws"));
            renamed += usize::from(was == PASSWORD_ROLE);
        }
        // Values the splice should have changed but left alone would not be in `leaves`.
        let unchanged = |p: &Vec<String>| !leaves.iter().any(|(q, _, _)| q == p);
        for (path, value) in string_leaves(&a) {
            if unchanged(&path) {
                assert_eq!(expected(&s, i, &path, &value), value, "record {i}: {path:?} not re-stamped");
            }
        }
        assert_bytes_kept(old, &new.text, &leaves);
        assert!(ids.insert(splice::field(&new.text, &["eventID"]).unwrap().to_string()), "record {i}: eventID reused");
        assert_eq!(new.time, splice::parse_time(splice::field(&new.text, &["eventTime"]).unwrap()));
    }
    assert!(changed_arns > 2900, "{changed_arns} ARNs re-stamped");
    // The role is the session issuer of 29 invictus records and 30 Stratus ones.
    assert_eq!(renamed, 29 + 30, "session issuers renamed");
}

fn string_leaves(v: &Ordered) -> Vec<(Vec<String>, String)> {
    fn walk(v: &Ordered, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
        match v {
            Ordered::Object(fields) => {
                for (k, x) in fields {
                    path.push(k.clone());
                    walk(x, path, out);
                    path.pop();
                }
            }
            Ordered::Array(items) => {
                path.push("[]".to_string());
                items.iter().for_each(|x| walk(x, path, out));
                path.pop();
            }
            Ordered::Scalar(serde_json::Value::String(s)) => out.push((path.clone(), s.clone())),
            Ordered::Scalar(_) => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

/// Outside string literals the texts are equal byte for byte, and the literals that
/// differ are exactly the changed leaves, in order.
fn assert_bytes_kept(old: &str, new: &str, leaves: &[(Vec<String>, String, String)]) {
    let (a, b) = (tokens(old), tokens(new));
    assert_eq!(a.len(), b.len(), "token count");
    let mut changed = Vec::new();
    for ((sa, ta), (_, tb)) in a.iter().zip(&b) {
        if !sa {
            assert_eq!(ta, tb, "text between strings changed");
        } else if ta != tb {
            let decode = |t: &str| serde_json::from_str::<String>(t).unwrap();
            changed.push((decode(ta), decode(tb)));
        }
    }
    let expected: Vec<(String, String)> = leaves.iter().map(|(_, x, y)| (x.clone(), y.clone())).collect();
    assert_eq!(changed, expected);
}

#[test]
fn a_detonation_can_be_replayed_as_a_background_principal() {
    let bg = background();
    let account = &bg.accounts[0];
    let role = bg.role(account, "SecurityAuditRole");
    assert!(!bg.has_written_iam(account, &role), "a role that only reads");
    assert!(bg.iam_writers.iter().any(|(a, _)| a == account), "somebody writes IAM in {account}");
    let identity = splice::identity_of(&bg.logs, &format!("{role}/")).unwrap();
    let file = fixtures().join("real-cloudtrail/stratus-detonations/aws.persistence.iam-create-admin-user.json");
    let records = splice::read_records(&file);
    let stratus_account = "229654561268";
    let user = format!("arn:aws:iam::{stratus_account}:user/christophe");
    let splice =
        Splice::new("replay", splice::shift_to(&records, at("2026-01-13T03:00:00Z")), stratus_account, account)
            .region("ap-isob-central-3r", "us-east-1")
            .identity(&user, &identity);
    let spliced = splice.apply(&records);
    for (old, new) in records.iter().zip(&spliced) {
        assert_eq!(splice::field(&new.text, &["userIdentity"]), Some(identity.as_str()));
        assert!(splice::field(&new.text, &["userIdentity", "arn"]).unwrap().starts_with(&format!("{role}/")));
        assert_eq!((new.account.as_str(), new.region.as_str()), (account.as_str(), "us-east-1"));
        assert_eq!(new.time.format("%Y-%m-%dT%H:%M").to_string(), "2026-01-13T03:00");
        let (a, b): (Ordered, Ordered) = (serde_json::from_str(old).unwrap(), serde_json::from_str(&new.text).unwrap());
        assert_eq!(a.keys(), b.keys());
        assert_eq!(a.get("requestParameters"), b.get("requestParameters"));
        assert_eq!(a.get("userAgent"), b.get("userAgent"));
    }
    let dir = tempfile::tempdir().unwrap();
    let files = splice::write_deliveries(dir.path(), &bg.logs, &spliced, "replay");
    let name = files[0].strip_prefix(dir.path()).unwrap().to_string_lossy().to_string();
    let folder = splice::account_prefix(&bg.logs, account).to_string_lossy().to_string();
    let expected = format!("{folder}/CloudTrail/us-east-1/2026/01/13/{account}_CloudTrail_us-east-1_20260113T0305Z_");
    assert!(name.starts_with(&expected) && name.ends_with(".json.gz"), "{name}");
    assert_eq!(splice::read_records(&files[0]), spliced.iter().map(|r| r.text.clone()).collect::<Vec<_>>());
    let minute = parse_event_minute(splice::field(&spliced[0].text, &["eventTime"]).unwrap()).unwrap();
    assert_eq!(minute % 60, 0);
}

/// Stratus Red Team's IAM persistence detonations of two calls or more, each replayed
/// alone by a role of the background that only ever read: the first-seen IAM model
/// fires on every IAM API it touched, with the role as the top attribution. (The
/// single-call ones, iam-backdoor-user and iam-backdoor-role, are below its floor.)
#[test]
fn iam_persistence_replayed_by_a_role_that_never_wrote_iam_fires_first_seen() {
    let bg = background();
    let account = &bg.accounts[0];
    let role = bg.role(account, "SecurityAuditRole");
    assert!(!bg.has_written_iam(account, &role), "a role that only reads");
    let identity = splice::identity_of(&bg.logs, &format!("{role}/")).unwrap();
    let detonations = [
        ("iam-create-admin-user", "229654561268", "ap-isob-central-3r", "2026-01-13T03:00:00Z"),
        ("iam-create-backdoor-role", "609418236337", "sagov-west-2r", "2026-01-13T15:20:00Z"),
        ("iam-create-user-login-profile", "070411556318", "ap-central-2r", "2026-01-14T09:40:00Z"),
    ];
    for (technique, stratus_account, region, when) in detonations {
        let file = fixtures().join(format!("real-cloudtrail/stratus-detonations/aws.persistence.{technique}.json"));
        let records = splice::read_records(&file);
        let user = format!("arn:aws:iam::{stratus_account}:user/christophe");
        let splice = Splice::new(technique, splice::shift_to(&records, at(when)), stratus_account, account)
            .region(region, "us-east-1")
            .identity(&user, &identity);
        let spliced = splice.apply(&records);
        let dir = tempfile::tempdir().unwrap();
        splice::write_deliveries(dir.path(), &bg.logs, &spliced, technique);
        let run = detect(&[dir.path()]);
        let writes: std::collections::BTreeSet<&str> = spliced
            .iter()
            .filter(|r| splice::field(&r.text, &["readOnly"]) == Some("false"))
            .filter_map(|r| splice::field(&r.text, &["eventName"]))
            .collect();
        assert!(writes.len() >= 2, "{technique}: {writes:?}");
        let top = splice::field(&spliced[0].text, &["userIdentity", "arn"]).unwrap().to_string();
        for name in &writes {
            run.assert_fired(&spliced, ("iam.amazonaws.com", name), "ApiCallRateInsight", None, &top);
        }
        assert!(run.explain.contains("first-seen-iam") && run.explain.contains("never wrote IAM"), "{technique}\n{run}");
        assert_only_within(&run, account, "us-east-1", span(&spliced));
    }
}
