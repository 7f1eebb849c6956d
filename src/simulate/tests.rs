//! End-to-end tests of the simulator on small configurations in temporary folders.
//!
//! They read the written tree back the way a CloudTrail reader would (gunzip, parse,
//! walk `AWSLogs/`) and check it against the S3 conventions, the CloudTrail record
//! shape and labels.json.

use std::collections::{HashMap, HashSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use serde_json::Value;

use super::catalog::{self, CATALOG};
use super::labels::Labels;
use super::malformed;
use super::{run, simulate, AnomalyMix, Outcome, SimConfig, SimError, DEFAULT_START};

fn small(dir: &Path) -> SimConfig {
    SimConfig {
        out: dir.to_path_buf(),
        days: 2,
        seed: 7,
        start: DEFAULT_START,
        accounts: 2,
        regions: 2,
        scale: 0.05,
        quiet_days: 1,
        malformed: true,
        anomalies: AnomalyMix::hard(),
        delivery_minutes: 5,
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Every file under `root` as a sorted list of '/'-separated relative paths.
fn tree(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    walk(root, &mut files);
    let mut rel: Vec<String> = files
        .iter()
        .filter_map(|p| p.strip_prefix(root).ok())
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    rel.sort();
    rel
}

fn gunzip(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_default();
    let mut out = Vec::new();
    GzDecoder::new(bytes.as_slice())
        .read_to_end(&mut out)
        .unwrap_or_default();
    out
}

fn labels(root: &Path) -> Labels {
    let text = std::fs::read(root.join("labels.json")).unwrap_or_default();
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("labels.json does not parse: {e}"))
}

/// A record and the relative path of the file it came from.
struct Found {
    path: String,
    record: Value,
}

/// All records of well-formed event files, the way a reader that skips digest,
/// Insight and the labelled malformed files would see them.
fn records(root: &Path, labels: &Labels) -> Vec<Found> {
    let broken: HashSet<&str> = labels.malformed.iter().map(|m| m.path.as_str()).collect();
    let mut out = Vec::new();
    for path in tree(root) {
        if !path.contains("/CloudTrail/") || broken.contains(path.as_str()) {
            continue;
        }
        let doc: Value = serde_json::from_slice(&gunzip(&root.join(&path)))
            .unwrap_or_else(|e| panic!("{path} does not parse: {e}"));
        let items = doc["Records"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("{path} has no Records"));
        out.extend(items.into_iter().map(|record| Found {
            path: path.clone(),
            record,
        }));
    }
    out
}

fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("missing string {field} in {v}"))
}

fn epoch(stamp: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%dT%H:%M:%SZ")
        .unwrap_or_else(|e| panic!("bad time {stamp}: {e}"))
        .and_utc()
        .timestamp()
}

fn generate(dir: &Path) -> Outcome {
    run(&small(dir)).unwrap_or_else(|e| panic!("simulation failed: {e}"))
}

#[test]
fn catalogue_names_are_unique_and_resolve() {
    let names: HashSet<&str> = CATALOG.iter().map(|a| a.name).collect();
    assert_eq!(names.len(), CATALOG.len());
    assert!(catalog::api(catalog::id("AssumeRole").unwrap_or(0)).read_only);
    assert!(catalog::api(catalog::id("Decrypt").unwrap_or(0)).read_only);
    assert!(!catalog::api(catalog::id("UpdateInstanceInformation").unwrap_or(0)).read_only);
    for mix in super::principals::ALL_MIXES {
        let names: Vec<&str> = mix.iter().map(|m| m.0).collect();
        assert_eq!(
            catalog::ids(&names).len(),
            names.len(),
            "unknown name in {names:?}"
        );
    }
    for names in [
        &super::scenario::ENUM_EC2[..],
        &super::scenario::ENUM_S3[..],
        &super::scenario::ENUM_IAM[..],
    ] {
        assert_eq!(
            catalog::ids(names).len(),
            names.len(),
            "unknown name in {names:?}"
        );
    }
}

#[test]
fn rejects_bad_configs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for config in [
        SimConfig {
            days: 0,
            ..small(dir.path())
        },
        SimConfig {
            regions: 99,
            ..small(dir.path())
        },
        SimConfig {
            scale: f64::NAN,
            ..small(dir.path())
        },
    ] {
        assert!(matches!(simulate(&config), Err(SimError::InvalidConfig(_))));
    }
}

#[test]
fn same_config_gives_identical_bytes() {
    let (a, b) = (tempfile::tempdir(), tempfile::tempdir());
    let (a, b) = (
        a.unwrap_or_else(|e| panic!("{e}")),
        b.unwrap_or_else(|e| panic!("{e}")),
    );
    let first = generate(a.path()).summary;
    // A different thread count must not change a byte: seeds never depend on scheduling.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let second = pool.install(|| generate(b.path())).summary;
    assert_eq!(
        (first.files, first.records, first.duplicate_records),
        (second.files, second.records, second.duplicate_records)
    );
    let files = tree(a.path());
    assert_eq!(files, tree(b.path()));
    for f in &files {
        let same = std::fs::read(a.path().join(f)).ok() == std::fs::read(b.path().join(f)).ok();
        assert!(same, "{f} differs between runs");
    }
}

#[test]
fn layout_follows_s3_conventions() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    generate(dir.path());
    let l = labels(dir.path());
    let files = tree(dir.path());
    let (mut plain, mut org, mut digests, mut insights) = (0, 0, 0, 0);
    for path in &files {
        if path == "labels.json" {
            continue;
        }
        let parts: Vec<&str> = path
            .trim_start_matches("second-trail/")
            .split('/')
            .collect();
        assert_eq!(parts[0], "AWSLogs", "{path}");
        let org_form = parts[1].starts_with("o-");
        let rest = if org_form { &parts[2..] } else { &parts[1..] };
        let [account, folder, region, yyyy, mm, dd, name] = rest else {
            panic!("bad depth: {path}")
        };
        assert!(
            l.accounts.iter().any(|a| a == account) && l.regions.iter().any(|r| r == region),
            "{path}"
        );
        assert!(
            name.starts_with(&format!("{account}_{folder}_{region}_")),
            "{path}"
        );
        match *folder {
            "CloudTrail" => {
                let stamp = name.split('_').nth(3).unwrap_or_default();
                assert_eq!(stamp.len(), 14, "{path}");
                assert_eq!(&stamp[..8], format!("{yyyy}{mm}{dd}"), "{path}");
                let tail = name.split('_').nth(4).unwrap_or_default();
                let tail = tail.trim_end_matches(".json.gz").trim_end_matches(".json");
                assert!(
                    tail.len() == 16 && tail.chars().all(|c| c.is_ascii_alphanumeric()),
                    "{path}"
                );
                if org_form {
                    org += 1
                } else {
                    plain += 1
                }
            }
            "CloudTrail-Digest" => digests += 1,
            "CloudTrail-Insight" => insights += 1,
            other => panic!("unexpected folder {other} in {path}"),
        }
    }
    assert!(
        plain > 0 && org > 0,
        "both S3 forms must appear ({plain} plain, {org} org)"
    );
    assert_eq!(
        (digests, insights),
        (2 * l.accounts.len(), l.accounts.len())
    );
}

#[test]
fn records_are_complete_and_delivered_after_they_happen() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    generate(dir.path());
    let l = labels(dir.path());
    let mut late = 0;
    for Found { path, record: r } in records(dir.path(), &l) {
        for field in [
            "eventVersion",
            "eventSource",
            "eventName",
            "awsRegion",
            "sourceIPAddress",
            "userAgent",
            "eventType",
            "eventCategory",
        ] {
            text(&r, field);
        }
        assert!(matches!(text(&r, "eventVersion"), "1.08" | "1.09"));
        assert!(uuid::Uuid::parse_str(text(&r, "eventID")).is_ok());
        assert!(
            r["requestID"].is_string()
                && r["readOnly"].is_boolean()
                && r["managementEvent"].is_boolean()
        );
        assert!(r.get("requestParameters").is_some() && r.get("responseElements").is_some());
        let account = text(&r, "recipientAccountId");
        assert!(account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()));
        assert!(
            path.contains(&format!("/{account}/CloudTrail/{}/", text(&r, "awsRegion"))),
            "{path}"
        );
        let data = text(&r, "eventCategory") == "Data";
        assert_eq!(r["managementEvent"].as_bool(), Some(!data));
        assert_eq!(
            r.get("errorCode").is_some(),
            r.get("errorMessage").is_some()
        );
        check_identity(&r["userIdentity"], account);
        let delivered = path
            .rsplit('_')
            .nth(1)
            .map(|s| {
                epoch(&format!(
                    "{}-{}-{}T{}:{}:00Z",
                    &s[0..4],
                    &s[4..6],
                    &s[6..8],
                    &s[9..11],
                    &s[11..13]
                ))
            })
            .unwrap_or(0);
        let lag = delivered - epoch(text(&r, "eventTime"));
        assert!(lag >= -59, "{path} holds a record from the future");
        late += usize::from(lag >= 1_800);
    }
    assert!(late > 0, "no record was delivered late");
}

fn check_identity(id: &Value, account: &str) {
    match text(id, "type") {
        "IAMUser" => {
            assert!(text(id, "arn").starts_with(&format!("arn:aws:iam::{account}:user/")));
            text(id, "userName");
        }
        "AssumedRole" => {
            assert!(text(id, "arn").starts_with(&format!("arn:aws:sts::{account}:assumed-role/")));
            text(&id["sessionContext"]["sessionIssuer"], "arn");
            text(id, "accessKeyId");
        }
        "AWSService" => {
            let keys: Vec<&String> = id
                .as_object()
                .map(|m| m.keys().collect())
                .unwrap_or_default();
            assert_eq!(keys.len(), 2, "AWSService identity has extra fields: {id}");
            text(id, "invokedBy");
        }
        other => panic!("unexpected identity type {other}"),
    }
}

#[test]
fn global_services_only_in_us_east_1() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    generate(dir.path());
    let l = labels(dir.path());
    let mut seen = HashMap::new();
    for Found { record: r, .. } in records(dir.path(), &l) {
        *seen.entry(text(&r, "awsRegion").to_owned()).or_insert(0) += 1;
        let source = text(&r, "eventSource");
        if matches!(
            source,
            "iam.amazonaws.com"
                | "sts.amazonaws.com"
                | "cloudfront.amazonaws.com"
                | "signin.amazonaws.com"
        ) {
            assert_eq!(
                text(&r, "awsRegion"),
                "us-east-1",
                "{source} recorded outside us-east-1"
            );
        }
    }
    assert!(seen.len() == 2, "both regions have traffic: {seen:?}");
}

#[test]
fn labels_match_the_injected_calls() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let outcome = generate(dir.path());
    let l = labels(dir.path());
    assert_eq!(
        (l.records, l.duplicate_records),
        (outcome.summary.records, outcome.summary.duplicate_records)
    );
    assert_eq!(l.generator, "trailsight-simulate");
    let kinds: HashSet<&str> = l.anomalies.iter().map(|a| a.kind.as_str()).collect();
    for kind in [
        "write_spike",
        "iam_burst",
        "error_burst",
        "low_volume",
        "business_hours",
        "new_api",
        "error_on_erring_api",
    ] {
        assert!(kinds.contains(kind), "missing {kind}");
    }
    let mut by_ip: HashMap<&str, HashMap<String, Value>> = HashMap::new();
    let all = records(dir.path(), &l);
    for f in &all {
        let ip = text(&f.record, "sourceIPAddress");
        if outcome.attacker_ips.iter().any(|a| a == ip) {
            by_ip
                .entry(ip)
                .or_default()
                .insert(text(&f.record, "eventID").to_owned(), f.record.clone());
        }
    }
    let window = epoch(&l.start) + i64::from(l.quiet_days) * 86_400;
    for (label, ip) in l.anomalies.iter().zip(&outcome.attacker_ips) {
        let calls = by_ip.get(ip.as_str()).cloned().unwrap_or_default();
        assert_eq!(
            calls.len() as u64,
            label.calls,
            "{} ({})",
            label.id,
            label.kind
        );
        let times: Vec<i64> = calls
            .values()
            .map(|r| epoch(text(r, "eventTime")))
            .collect();
        let (lo, hi) = (
            times.iter().min().copied().unwrap_or(0),
            times.iter().max().copied().unwrap_or(0),
        );
        assert_eq!(
            (lo - lo % 60, hi - hi % 60),
            (epoch(&label.start), epoch(&label.end)),
            "{}",
            label.id
        );
        assert!(lo >= window, "{} starts before the judged window", label.id);
        for r in calls.values() {
            assert_eq!(text(&r["userIdentity"], "arn"), label.principal_arn);
            assert_eq!(text(r, "recipientAccountId"), label.account);
            assert_eq!(text(r, "awsRegion"), label.region);
            assert_eq!(text(r, "eventSource"), label.event_source);
            assert!(label.event_names.iter().any(|n| n == text(r, "eventName")));
            assert_eq!(r["errorCode"].as_str().map(str::to_owned), label.error_code);
        }
    }
}

#[test]
fn duplicates_share_event_ids() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let summary = generate(dir.path()).summary;
    let l = labels(dir.path());
    let all = records(dir.path(), &l);
    let mut primary: HashMap<String, &Value> = HashMap::new();
    let mut copies = Vec::new();
    for f in &all {
        let id = text(&f.record, "eventID").to_owned();
        if f.path.starts_with("second-trail/") || primary.contains_key(&id) {
            copies.push((id, &f.record));
        } else {
            primary.insert(id, &f.record);
        }
    }
    assert_eq!(primary.len() as u64, summary.records);
    assert_eq!(copies.len() as u64, summary.duplicate_records);
    assert!(
        all.iter().any(|f| f.path.starts_with("second-trail/")),
        "no second-trail delivery"
    );
    for (id, record) in copies {
        assert_eq!(
            primary.get(&id).copied(),
            Some(record),
            "duplicate {id} differs from its original"
        );
    }
}

#[test]
fn malformed_files_exist_with_their_reasons() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let summary = generate(dir.path()).summary;
    let l = labels(dir.path());
    assert_eq!(l.malformed.len(), summary.malformed_files);
    let reasons: HashSet<&str> = l.malformed.iter().map(|m| m.reason.as_str()).collect();
    for reason in [
        malformed::TRUNCATED,
        malformed::NOT_GZIP,
        malformed::NOT_JSON,
        malformed::EMPTY,
        malformed::NOT_CLOUDTRAIL,
        malformed::BAD_RECORDS,
    ] {
        assert!(reasons.contains(reason), "missing {reason}");
    }
    for m in &l.malformed {
        assert!(
            m.path.contains("/CloudTrail/"),
            "{} is not where a reader looks",
            m.path
        );
        assert!(dir.path().join(&m.path).is_file(), "{} missing", m.path);
        match m.reason.as_str() {
            malformed::TRUNCATED => assert!(m.good_records > 0 && m.good_records < 60),
            malformed::BAD_RECORDS => {
                let doc: Value =
                    serde_json::from_slice(&gunzip(&dir.path().join(&m.path))).unwrap_or_default();
                let items = doc["Records"].as_array().cloned().unwrap_or_default();
                let good = items
                    .iter()
                    .filter(|r| {
                        r["eventName"].is_string()
                            && r["eventTime"]
                                .as_str()
                                .is_some_and(|t| t.starts_with("2026-01"))
                    })
                    .count();
                assert_eq!(good as u64, m.good_records);
                let ids: HashSet<&str> =
                    items.iter().filter_map(|r| r["eventID"].as_str()).collect();
                assert_eq!(
                    ids.len(),
                    items.len() - 1,
                    "malformed records must keep distinct eventIDs"
                );
            }
            _ => assert_eq!(m.good_records, 0),
        }
    }
}

#[test]
fn daily_job_appears_every_day() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    generate(dir.path());
    let l = labels(dir.path());
    let all = records(dir.path(), &l);
    let jobs: Vec<_> = l.decoys.iter().filter(|d| d.kind == "daily_job").collect();
    assert_eq!(jobs.len(), l.accounts.len());
    for job in jobs {
        for day in 0..i64::from(l.days) {
            let two_am = epoch(&l.start) + day * 86_400 + 2 * 3_600;
            let hits = all
                .iter()
                .filter(|f| {
                    f.record["userIdentity"]["arn"].as_str() == job.principal_arn.as_deref()
                })
                .filter(|f| {
                    job.event_names
                        .iter()
                        .any(|n| n == text(&f.record, "eventName"))
                })
                .filter(|f| {
                    (two_am - 300..two_am + 900).contains(&epoch(text(&f.record, "eventTime")))
                })
                .count();
            assert!(hits >= 6, "{} has {hits} calls on day {day}", job.id);
        }
    }
}

#[test]
fn traffic_mix_is_plausible() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = SimConfig {
        days: 1,
        accounts: 1,
        scale: 0.2,
        anomalies: AnomalyMix::none(),
        malformed: false,
        ..small(dir.path())
    };
    simulate(&config).unwrap_or_else(|e| panic!("{e}"));
    let l = labels(dir.path());
    let all = records(dir.path(), &l);
    let n = all.len() as f64;
    let share = |f: &dyn Fn(&Value) -> bool| all.iter().filter(|x| f(&x.record)).count() as f64 / n;
    let reads =
        share(&|r| r["readOnly"] == Value::Bool(true) && r["eventCategory"] == "Management");
    let data = share(&|r| r["eventCategory"] == "Data");
    let errors = share(&|r| r.get("errorCode").is_some());
    assert!(n > 3_000.0, "too few records: {n}");
    assert!((0.65..0.90).contains(&reads), "reads {reads}");
    assert!((0.02..0.10).contains(&data), "data {data}");
    assert!((0.005..0.04).contains(&errors), "errors {errors}");
}

#[test]
fn tiny_configs_still_produce_a_labelled_history() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = SimConfig {
        days: 1,
        regions: 1,
        accounts: 3,
        scale: 0.01,
        quiet_days: 7,
        ..small(dir.path())
    };
    let summary = simulate(&config).unwrap_or_else(|e| panic!("{e}"));
    let l = labels(dir.path());
    assert_eq!(l.quiet_days, 0, "quiet days are clamped to days - 1");
    assert!(summary.records > 0 && !l.anomalies.is_empty());
    let org_accounts: HashSet<String> = tree(dir.path())
        .iter()
        .filter_map(|p| p.strip_prefix("AWSLogs/o-"))
        .filter_map(|p| p.split('/').nth(1).map(str::to_owned))
        .collect();
    assert_eq!(
        org_accounts.len(),
        2,
        "every account after the first uses the organisation form"
    );
}

#[test]
fn reach_scenarios_are_labelled_and_shaped_as_described() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = SimConfig {
        days: 3,
        quiet_days: 2,
        anomalies: AnomalyMix::reach(),
        ..small(dir.path())
    };
    let outcome = run(&config).unwrap_or_else(|e| panic!("simulation failed: {e}"));
    let l = labels(dir.path());
    let all = records(dir.path(), &l);
    let by_ip = |ip: &str| -> Vec<&Value> {
        let mut seen = HashSet::new();
        all.iter()
            .map(|f| &f.record)
            .filter(|r| text(r, "sourceIPAddress") == ip)
            .filter(|r| seen.insert(text(r, "eventID").to_owned()))
            .collect()
    };
    let mut kinds = HashMap::<&str, usize>::new();
    for (label, ip) in l.anomalies.iter().zip(&outcome.attacker_ips) {
        *kinds.entry(label.kind.as_str()).or_default() += 1;
        let calls = by_ip(ip);
        assert_eq!(calls.len() as u64, label.calls, "{} ({})", label.id, label.kind);
        match label.kind.as_str() {
            "quiet_persistence" => {
                assert!((4..=10).contains(&calls.len()), "{} calls", calls.len());
                assert!((2..=4).contains(&label.event_names.len()));
                assert_eq!(label.event_source, "iam.amazonaws.com");
                // The role never wrote IAM in the background.
                let role = label.principal_arn.rsplit_once('/').map_or("", |p| p.0);
                let wrote_before = all.iter().any(|f| {
                    let r = &f.record;
                    text(r, "eventSource") == "iam.amazonaws.com"
                        && r["readOnly"] == Value::Bool(false)
                        && r["userIdentity"]["arn"].as_str().is_some_and(|a| a.starts_with(role))
                        && text(r, "sourceIPAddress") != ip
                });
                assert!(!wrote_before, "{role} wrote IAM in the background");
            }
            "data_exfil" | "mass_delete" => {
                let name = if label.kind == "data_exfil" { "GetObject" } else { "DeleteObject" };
                assert_eq!(label.event_names, [name]);
                assert!(calls.len() >= 200, "{} calls", calls.len());
                for r in calls {
                    assert_eq!(text(r, "eventCategory"), "Data");
                    assert_eq!(text(r, "eventName"), name);
                }
            }
            _ => {}
        }
    }
    for kind in ["quiet_persistence", "data_exfil", "mass_delete"] {
        assert_eq!(kinds.get(kind), Some(&l.accounts.len()), "{kind}");
    }
    // The data-event decoys are on every day, and replace the one-off GetObject spike.
    let decoys: HashSet<&str> = l.decoys.iter().map(|d| d.kind.as_str()).collect();
    assert!(decoys.contains("backup_read") && decoys.contains("upload_growth"));
    assert!(!decoys.contains("data_event_spike"));
    for d in l.decoys.iter().filter(|d| d.kind == "backup_read") {
        for day in 0..i64::from(l.days) {
            let night = epoch(&l.start) + day * 86_400 + 2 * 3_600;
            let reads = all
                .iter()
                .filter(|f| f.record["userIdentity"]["arn"].as_str() == d.principal_arn.as_deref())
                .filter(|f| text(&f.record, "eventName") == "GetObject")
                .filter(|f| (night..night + 2 * 3_600).contains(&epoch(text(&f.record, "eventTime"))))
                .count();
            assert!(reads >= 50, "{} read {reads} objects on night {day}", d.id);
        }
    }
}
