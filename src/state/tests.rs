use super::*;
use crate::aggregate::{IngestStats, WindowStats};

fn sample() -> ModelState {
    let mut r = Retained::default();
    for s in ["111122223333", "us-east-1", "iam.amazonaws.com", "CreateUser", "arn:aws:iam::111122223333:user/a", "aws-cli", "AccessDenied", crate::ingest::NULL_VALUE] {
        r.strings.intern(s);
    }
    r.series.push(SeriesKey { account: 0, region: 1, source: 2, name: 3, insight_type: InsightType::ApiCallRate, error: None, data: false });
    r.series.push(SeriesKey { account: 0, region: 1, source: 2, name: 3, insight_type: InsightType::ApiErrorRate, error: Some(6), data: false });
    r.series.push(SeriesKey { account: 0, region: 1, source: 2, name: 3, insight_type: InsightType::ApiCallRate, error: None, data: true });
    r.cells.push((AttributionKey { series: 0, minute: 29_459_520, principal: 4, agent: 5, error: None }, 3));
    r.cells.push((AttributionKey { series: 1, minute: 29_459_521, principal: 4, agent: 5, error: Some(6) }, 2));
    let w = WindowStats { calls: 5, writes: 3, iam_writes: 3, errors: 2, apis: vec![3], agents: vec![5], ips: vec![], series: vec![(0, 3), (1, 2)] };
    r.behaviour.push(((0, 4, 29_459_520 / 5), w));
    r.scope_days.push((0, 1, 20_458));
    r.days.push((20_458, IngestStats { records: 5, management: 5, ..IngestStats::default() }));
    r.seen.push((20_458, vec![7, 9]));
    let meta = Meta {
        settings: Settings { history_days: 28, warmup_days: 7, delivery_lag: 15, dedup_days: 3, data_events: false, scope: String::new() },
        watermark: Some(29_459_600),
        next_bound: Some(29_459_500),
        kept_from: Some(29_000_000),
        runs: 2,
        inputs: vec![InputEntry { path: "/logs/a.json.gz".into(), size: 10, mtime_ns: 1, etag: None, sha256: Some("ab".repeat(32)) }],
        emitted: vec![Emitted { event_id: "e".into(), minute: 29_459_520 }],
        open: vec![OpenInsight { shared_event_id: "s".into(), series: "x".into(), start: 29_459_520 }],
        models: vec![],
        undelivered: vec![],
        written: vec![WrittenInsight { series: "x".into(), start: 29_459_520, end: 29_459_530 }],
    };
    ModelState { meta, retained: r }
}

#[test]
fn a_saved_state_loads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let state = sample();
    {
        let d = StateDir::open(dir.path()).unwrap();
        assert_eq!(d.load().unwrap(), None);
        d.save(&state).unwrap();
        d.save(&state).unwrap();
        assert_eq!(d.load().unwrap().as_ref(), Some(&state));
    }
    let names: Vec<String> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["CURRENT", "lock", "state-000002"], "old generations are removed");
}

#[test]
fn a_second_run_is_refused_while_the_first_holds_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let first = StateDir::open(dir.path()).unwrap();
    let why = StateDir::open(dir.path()).unwrap_err().to_string();
    assert!(why.contains("only one run at a time") && why.contains(&std::process::id().to_string()), "{why}");
    drop(first);
    StateDir::open(dir.path()).unwrap();
}

#[test]
fn another_version_or_a_damaged_file_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = StateDir::open(dir.path()).unwrap();
    d.save(&sample()).unwrap();
    let folder = dir.path().join("state-000001");
    let json = folder.join("state.json");
    let text = fs::read_to_string(&json).unwrap();
    fs::write(&json, text.replace("\"version\": 1", "\"version\": 2")).unwrap();
    let why = d.load().unwrap_err().to_string();
    assert!(why.contains("state.json") && why.contains("not what CURRENT recorded"), "an edited state.json is damaged: {why}");
    // As a later version would write it, with its own checksum.
    let pointer = fs::read_to_string(dir.path().join("CURRENT")).unwrap();
    let sum = hex::encode(ring::digest::digest(&ring::digest::SHA256, fs::read(&json).unwrap().as_slice()));
    fs::write(dir.path().join("CURRENT"), format!("state-000001\nsha256 {sum}\n")).unwrap();
    let why = d.load().unwrap_err().to_string();
    assert!(why.contains("version 2") && why.contains("reads version 1"), "{why}");
    fs::write(&json, &text).unwrap();
    fs::write(dir.path().join("CURRENT"), pointer).unwrap();
    let bin = folder.join("aggregates.bin");
    let mut bytes = fs::read(&bin).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    fs::write(&bin, bytes).unwrap();
    let why = d.load().unwrap_err().to_string();
    assert!(why.contains("aggregates.bin") && why.contains("SHA-256"), "{why}");
}

#[test]
fn leftovers_of_a_killed_run_are_removed_and_the_state_kept() {
    let dir = tempfile::tempdir().unwrap();
    let state = sample();
    StateDir::open(dir.path()).unwrap().save(&state).unwrap();
    fs::create_dir(dir.path().join(".state-000002.tmp-1")).unwrap();
    fs::create_dir(dir.path().join("state-000002")).unwrap();
    let d = StateDir::open(dir.path()).unwrap();
    assert!(!dir.path().join("state-000002").exists());
    assert_eq!(d.load().unwrap(), Some(state));
}

#[test]
fn a_first_run_killed_between_current_and_its_folder_left_nothing() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("CURRENT"), "state-000001\n").unwrap();
    fs::create_dir(dir.path().join(".state-000001.tmp-1")).unwrap();
    let d = StateDir::open(dir.path()).unwrap();
    assert_eq!(d.load().unwrap(), None);
    assert!(!dir.path().join("CURRENT").exists() && !dir.path().join(".state-000001.tmp-1").exists());
    d.save(&sample()).unwrap();
    assert_eq!(d.load().unwrap(), Some(sample()));
}

#[test]
fn generations_without_current_or_a_current_naming_a_missing_one_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    StateDir::open(dir.path()).unwrap().save(&sample()).unwrap();
    fs::remove_file(dir.path().join("CURRENT")).unwrap();
    let why = StateDir::open(dir.path()).unwrap_err().to_string();
    assert!(why.contains("CURRENT") && why.contains("missing") && why.contains("state-000001"), "{why}");
    assert!(dir.path().join("state-000001/state.json").exists(), "nothing is removed");
    fs::write(dir.path().join("CURRENT"), "state-000004\n").unwrap();
    let why = StateDir::open(dir.path()).unwrap_err().to_string();
    assert!(why.contains("state-000004, which is missing"), "{why}");
}

#[test]
fn an_s3_layout_path_names_its_day() {
    let p = Path::new("/l/AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/05/x.json.gz");
    assert_eq!(path_day(p), Some(20_458));
    assert_eq!(path_day(Path::new("/l/x.json.gz")), None);
}
