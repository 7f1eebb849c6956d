//! Nightly runs with a model state (issue 11, SPEC §7): `train` on days 1-7, then
//! `detect --models` after each of days 8, 9 and 10 is delivered, must write exactly the
//! records one batch run over days 1-10 writes, in the same order; a night run again
//! writes nothing; a run killed with SIGKILL in its first 500 ms or while reading,
//! detecting or writing the state, then run again, writes each record once. Issue 21:
//! a record dated ahead never blinds the following nights, and a late file is judged
//! or named.
//!
//! The history is simulated (a development seed), with one more anomaly spliced in: a
//! burst of CreateSnapshot by an unknown user from 21:30 on day 8 to 00:40 on day 9, whose
//! last minutes before midnight are delivered in day 9's folder (late, as CloudTrail
//! does), so its Start belongs to night 8 and its End to night 9.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;

const SEED: &str = "31";
/// Days 1-7 are 2026-01-05..11; nights 8, 9 and 10 deliver these days' folders.
const NIGHTS: [&str; 3] = ["2026/01/12", "2026/01/13", "2026/01/14"];
const TRAINED_UP_TO: &str = "2026/01/11";

struct History {
    _dir: tempfile::TempDir,
    sim: PathBuf,
    /// `detect` over everything at once.
    batch: Vec<u8>,
}

/// The simulated history (made once per test binary) and its batch output.
fn history() -> &'static History {
    static HISTORY: OnceLock<History> = OnceLock::new();
    HISTORY.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let sim = dir.path().join("sim");
        common::trailsight()
            .args(["simulate", "--days", "10", "--seed", SEED, "--scale", "0.15", "--no-malformed", "--out"])
            .arg(&sim)
            .assert()
            .success();
        splice_midnight_burst(&sim);
        let out = common::trailsight().arg("detect").arg(&sim).arg("-q").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        History { _dir: dir, sim, batch: out.stdout }
    })
}

/// The account folder of the first account with a us-east-1 trail in the simulation.
fn account_folder(sim: &Path) -> (String, PathBuf) {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(sim)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.ends_with("CloudTrail/us-east-1"))
        .collect();
    found.sort();
    let folder = found.into_iter().next().expect("a us-east-1 trail");
    let account = folder.parent().and_then(Path::parent).and_then(Path::file_name).unwrap().to_string_lossy().to_string();
    (account, folder)
}

/// One write call of `source:name` by IAM user `user` at `minute`, the `i`-th of its
/// kind (`tag` keeps eventIDs of different kinds apart).
fn call(account: &str, user: &str, source: &str, name: &str, minute: i64, tag: u32, i: i64) -> serde_json::Value {
    serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::{account}:user/{user}"), "accountId": account},
        "eventTime": trailsight::time::format_minute(minute),
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.9",
        "userAgent": "boto3/1.34.0",
        "eventID": format!("5ca1ab1e-{tag:04x}-4000-8000-{i:012}"),
        "readOnly": false,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": account,
        "eventCategory": "Management",
    })
}

/// Writes `records` as a delivery file of the us-east-1 trail folder `folder` (a
/// `CloudTrail/us-east-1` folder), in the date folder `day` (`YYYY/MM/DD`).
fn deliver_file(folder: &Path, account: &str, day: &str, stamp: &str, suffix: &str, records: Vec<serde_json::Value>) -> PathBuf {
    let dir = folder.join(day);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{account}_CloudTrail_us-east-1_{stamp}_{suffix}.json"));
    std::fs::write(&path, serde_json::json!({ "Records": records }).to_string()).unwrap();
    path
}

fn splice_midnight_burst(sim: &Path) {
    let (account, folder) = account_folder(sim);
    let record = |minute: i64, i: i64| call(&account, "exfil", "ec2.amazonaws.com", "CreateSnapshot", minute, 0, i);
    let day8 = trailsight::time::parse_cli_time("2026-01-12").unwrap();
    let from = day8 + 21 * 60 + 30;
    let to = day8 + 24 * 60 + 40;
    let late_from = day8 + 23 * 60 + 50;
    let (mut on_time, mut late) = (Vec::new(), Vec::new());
    for m in from..to {
        for k in 0..6 {
            let r = record(m, (m - from) * 6 + k);
            if m < late_from { on_time.push(r) } else { late.push(r) }
        }
    }
    for (day, stamp, records) in [("2026/01/12", "20260112T2345Z", on_time), ("2026/01/13", "20260113T0045Z", late)] {
        deliver_file(&folder, &account, day, stamp, "spliceSPLICEsplc", records);
    }
}

/// Copies the delivery files of the days up to `last` (`YYYY/MM/DD`) into `live`,
/// leaving the ones copied before as they are.
fn deliver_up_to(sim: &Path, live: &Path, last: &str) {
    for entry in walkdir::WalkDir::new(sim).into_iter().filter_map(Result::ok) {
        let path = entry.path();
        let relative = path.strip_prefix(sim).unwrap();
        let Some(day) = path_day(relative) else { continue };
        let target = live.join(relative);
        if day.as_str() > last || !entry.file_type().is_file() || target.exists() {
            continue;
        }
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(path, &target).unwrap();
    }
}

fn path_day(relative: &Path) -> Option<String> {
    let parts: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().to_string()).collect();
    parts.windows(3).find_map(|w| {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        (digits(&w[0], 4) && digits(&w[1], 2) && digits(&w[2], 2)).then(|| format!("{}/{}/{}", w[0], w[1], w[2]))
    })
}

fn train(live: &Path, models: &Path) {
    let out = common::trailsight().arg("train").arg(live).arg("--models").arg(models).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "train writes no insight");
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(summary.contains("state size:"), "{summary}");
}

/// One nightly detect writing to `out`; returns its summary.
fn night(live: &Path, models: &Path, out: &Path) -> String {
    let run = common::trailsight().arg("detect").arg(live).arg("--models").arg(models).arg("--out").arg(out).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    String::from_utf8_lossy(&run.stderr).to_string()
}

fn read_or_empty(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

#[test]
fn nightly_runs_write_what_one_batch_run_writes_and_a_rerun_writes_nothing() {
    let h = history();
    let dir = tempfile::tempdir().unwrap();
    let (live, models) = (dir.path().join("live"), dir.path().join("models"));
    deliver_up_to(&h.sim, &live, TRAINED_UP_TO);
    train(&live, &models);
    let mut all = Vec::new();
    let mut per_night = Vec::new();
    for (i, day) in NIGHTS.iter().enumerate() {
        deliver_up_to(&h.sim, &live, day);
        let out = dir.path().join(format!("night-{i}.json"));
        let summary = night(&live, &models, &out);
        assert!(summary.contains("judged up to"), "{summary}");
        let records = read_or_empty(&out);
        all.extend_from_slice(&records);
        per_night.push(common::records(&records));
    }
    assert!(!h.batch.is_empty(), "the history has insights");
    assert_eq!(String::from_utf8_lossy(&all), String::from_utf8_lossy(&h.batch), "the nights together equal the batch run");

    // The spliced burst: Start on night 8, End on night 9, one sharedEventID.
    let burst = |records: &[serde_json::Value], state: &str| -> Vec<String> {
        records
            .iter()
            .filter(|r| r["insightDetails"]["eventName"] == "CreateSnapshot" && r["insightDetails"]["state"] == state)
            .map(|r| r["sharedEventID"].as_str().unwrap().to_string())
            .collect()
    };
    let started = burst(&per_night[0], "Start");
    assert_eq!(started.len(), 1, "night 8 writes the Start of the burst that runs past midnight");
    assert!(burst(&per_night[0], "End").is_empty(), "its End is not known on night 8");
    assert_eq!(burst(&per_night[1], "End"), started, "night 9 writes its End under the same sharedEventID");

    let again = dir.path().join("again.json");
    let summary = night(&live, &models, &again);
    assert!(read_or_empty(&again).is_empty(), "the same night run again writes nothing");
    assert!(summary.contains("0 new, 0 changed"), "{summary}");
}

/// Where a run is killed: a time after it starts, or the first line of its `-vv` log
/// that contains a marker.
#[derive(Debug, Clone, Copy)]
enum KillAt {
    Millis(u64),
    Marker(&'static str),
}

/// Runs `detect --models` with `-vv` and kills it with SIGKILL at `at`. A run killed at
/// a time is not waited for (as `timeout -s KILL` does not): the next run may start
/// while the kernel is still tearing it down. Returns the killed process, to reap.
fn run_killed_at(live: &Path, models: &Path, out: &Path, at: KillAt) -> std::process::Child {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("trailsight"))
        .arg("-vv")
        .arg("detect")
        .arg(live)
        .arg("--models")
        .arg(models)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    match at {
        KillAt::Millis(ms) => {
            // Drain the log so the run never blocks on a full pipe.
            std::thread::spawn(move || std::io::copy(&mut BufReader::new(stderr), &mut std::io::sink()));
            std::thread::sleep(std::time::Duration::from_millis(ms));
            let _ = child.kill();
        }
        KillAt::Marker(marker) => {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains(marker) {
                    let _ = child.kill();
                    break;
                }
            }
        }
    }
    child
}

/// Issue 21, item 4: a run killed in its first second (loading the state, listing the
/// input) or at any later stage, then run again at once, writes byte for byte what one
/// uninterrupted run writes, night after night.
#[test]
fn a_run_killed_at_any_point_then_run_again_writes_each_record_once() {
    let h = history();
    let dir = tempfile::tempdir().unwrap();
    let (live, models) = (dir.path().join("live"), dir.path().join("models"));
    deliver_up_to(&h.sim, &live, TRAINED_UP_TO);
    train(&live, &models);
    // Each night is killed several times in a row before it is let finish: early (the
    // state loading, the lock, the leftovers, the input listing), while reading, while
    // detecting, and in the middle of writing the state (after its first file, before
    // the commit).
    let early = [KillAt::Millis(50), KillAt::Millis(150), KillAt::Millis(300), KillAt::Millis(500)];
    let late = [KillAt::Marker("input discovered"), KillAt::Marker("detectors done"), KillAt::Marker("state file written")];
    let mut all = Vec::new();
    let mut kills = 0;
    for (i, (day, last)) in NIGHTS.iter().zip(late).enumerate() {
        deliver_up_to(&h.sim, &live, day);
        let mut written_by_killed = Vec::new();
        let mut killed = Vec::new();
        for (k, at) in early.iter().chain([&last]).enumerate() {
            let killed_out = dir.path().join(format!("killed-{i}-{k}.json"));
            killed.push((*at, run_killed_at(&live, &models, &killed_out, *at)));
            let out = read_or_empty(&killed_out);
            if !out.is_empty() {
                written_by_killed = out;
            }
        }
        let rerun_out = dir.path().join(format!("rerun-{i}.json"));
        night(&live, &models, &rerun_out);
        for (at, mut child) in killed {
            let status = child.wait().unwrap();
            assert!(status.signal() == Some(libc::SIGKILL) || matches!(at, KillAt::Millis(_)), "night {i}: the run was killed at {at:?} before it ended");
            kills += usize::from(status.signal() == Some(libc::SIGKILL));
        }
        let rerun = read_or_empty(&rerun_out);
        // A killed run commits its output only once it got past its outputs; then the
        // re-run writes them again identically (state not committed) or nothing (state
        // committed). Either way each record counts once.
        let night_records = if written_by_killed.is_empty() || written_by_killed == rerun { rerun } else {
            assert!(rerun.is_empty(), "night {i}: records written by a killed run are not written again differently");
            written_by_killed
        };
        all.extend_from_slice(&night_records);
    }
    assert!(kills >= NIGHTS.len() * 2, "most runs were killed before they ended ({kills})");
    assert_eq!(String::from_utf8_lossy(&all), String::from_utf8_lossy(&h.batch), "the killed and re-run nights write what the batch run writes");
}

/// Issue 21, item 4: a run started while a killed run is still being torn down (it
/// holds the lock a moment after its parent saw it killed) waits for it, instead of
/// being refused and leaving the night's work to the next night. The holder here is a
/// process that took the lock and exited unreaped (a zombie) while a child it forked
/// keeps the lock a second longer.
#[test]
fn a_run_started_while_a_killed_run_is_still_exiting_waits_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    let script = "import fcntl, os, sys, time\n\
                  f = open(sys.argv[1], 'a')\n\
                  fcntl.flock(f, fcntl.LOCK_EX)\n\
                  if os.fork() == 0:\n    time.sleep(1.0)\n    os._exit(0)\n\
                  print('locked', flush=True)\n\
                  os._exit(0)\n";
    let mut holder = std::process::Command::new("python3").arg("-c").arg(script).arg(models.join("lock")).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(holder.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "locked");
    let out = common::trailsight().arg("detect").arg(common::fixtures().join("real-cloudtrail")).arg("--models").arg(&models).output().unwrap();
    holder.wait().unwrap();
    assert!(out.status.success(), "the run waits for a holder on its way out: {}", String::from_utf8_lossy(&out.stderr));
    assert!(models.join("CURRENT").is_file());
}

/// A copy of a fixture state folder, to run on (a run takes the folder's lock and may
/// replace its generation).
fn copy_state(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(entry.path(), target).unwrap();
    }
}

#[test]
fn a_state_written_in_format_version_1_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    copy_state(&common::fixtures().join("state-v1"), &models);
    let empty = dir.path().join("no-new-logs");
    std::fs::create_dir(&empty).unwrap();
    let out = common::trailsight().arg("detect").arg(&empty).arg("--models").arg(&models).arg("--warmup-days").arg("0").output().unwrap();
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{summary}");
    assert!(summary.contains("state: 1 run before this one"), "{summary}");
    assert!(summary.contains("152 series"), "the fixture's series are all there: {summary}");
}

#[test]
fn a_state_of_another_version_or_damaged_is_refused_naming_why() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("no-new-logs");
    std::fs::create_dir(&empty).unwrap();
    let run = |models: &Path| {
        let out = common::trailsight().arg("detect").arg(&empty).arg("--models").arg(models).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let old = dir.path().join("old");
    copy_state(&common::fixtures().join("state-v1"), &old);
    let json = old.join("state-000001/state.json");
    let text = std::fs::read_to_string(&json).unwrap();
    std::fs::write(&json, text.replacen("\"version\": 1", "\"version\": 7", 1).replacen("trailsight 0.1.0", "trailsight 9.0.0", 1)).unwrap();
    let why = run(&old);
    assert!(why.contains("format version 7 (by trailsight 9.0.0)") && why.contains("reads version 1"), "{why}");

    let damaged = dir.path().join("damaged");
    copy_state(&common::fixtures().join("state-v1"), &damaged);
    let counts = damaged.join("state-000001/counts.parquet");
    let mut bytes = std::fs::read(&counts).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&counts, bytes).unwrap();
    let why = run(&damaged);
    assert!(why.contains("counts.parquet") && why.contains("not what state.json recorded"), "{why}");

    let pointer = dir.path().join("pointer");
    copy_state(&common::fixtures().join("state-v1"), &pointer);
    std::fs::write(pointer.join("CURRENT"), "../../etc\n").unwrap();
    let why = run(&pointer);
    assert!(why.contains("CURRENT") && why.contains("not a state-<N> folder"), "{why}");
}

#[test]
fn a_second_run_on_the_same_models_folder_is_refused_while_the_first_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(models.join("lock")).unwrap();
    std::fs::write(models.join("lock"), "4242").unwrap();
    lock.try_lock().unwrap();
    let out = common::trailsight().arg("detect").arg(common::fixtures().join("real-cloudtrail")).arg("--models").arg(&models).output().unwrap();
    let why = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{why}");
    assert!(why.contains("pid 4242") && why.contains("only one run at a time"), "{why}");
    drop(lock);
    let out = common::trailsight().arg("detect").arg(common::fixtures().join("real-cloudtrail")).arg("--models").arg(&models).output().unwrap();
    assert!(out.status.success(), "the lock is free once its holder is gone: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_cron_line_is_a_config_file_naming_the_models_folder() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    let config = dir.path().join("nightly.toml");
    let logs = common::fixtures().join("real-cloudtrail");
    let toml = format!("paths = [{:?}]\nmodels = {:?}\nwarmup-days = 0\n", logs.display().to_string(), models.display().to_string());
    std::fs::write(&config, toml).unwrap();
    let first = common::trailsight().args(["detect", "-q", "--config"]).arg(&config).output().unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(models.join("CURRENT").is_file(), "the state is written where the file says");
    let second = common::trailsight().args(["detect", "--config"]).arg(&config).output().unwrap();
    let summary = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success() && second.stdout.is_empty(), "{summary}");
    assert!(summary.contains("files: 90 already read, 0 new"), "{summary}");
}

/// The counters of a nightly summary: (files read, records read, duplicates dropped in
/// the kept history, management events counted in it).
fn read_line(summary: &str) -> (u64, u64, u64, u64) {
    let numbers = |prefix: &str| -> Vec<u64> {
        let line = summary.lines().find(|l| l.trim_start().starts_with(prefix)).unwrap_or_else(|| panic!("{summary}"));
        line.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect()
    };
    let (read, events) = (numbers("trailsight: read "), numbers("events: "));
    (read[0], read[1], read[3], events[0])
}

#[test]
fn a_file_delivered_again_or_changed_is_read_but_its_records_count_once() {
    let dir = tempfile::tempdir().unwrap();
    let (logs, models) = (dir.path().join("logs"), dir.path().join("models"));
    copy_state(&common::fixtures().join("real-cloudtrail/invictus-stratus-run"), &logs);
    let run = || {
        let out = common::trailsight().arg("detect").arg(&logs).arg("--models").arg(&models).arg("--warmup-days").arg("0").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let first = read_line(&run());
    assert_eq!(first, (55, 2900, 0, 2900));

    // The same delivery file again under another name (a second trail, a re-copy).
    let mut files: Vec<PathBuf> = std::fs::read_dir(&logs).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let original = &files[0];
    let text = std::fs::read_to_string(original).unwrap();
    let records_in_file = serde_json::from_str::<serde_json::Value>(&text).unwrap()["Records"].as_array().unwrap().len() as u64;
    let again = logs.join(original.file_name().unwrap().to_string_lossy().replace(".json", "_again.json"));
    std::fs::write(&again, &text).unwrap();
    let second = read_line(&run());
    assert_eq!((second.0, second.1), (1, records_in_file), "only the new file is read");
    assert_eq!((second.2, second.3), (records_in_file, 2900), "and none of its records is counted twice");

    // A file that changed (one more record appended) is read again; only the new record counts.
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut extra = doc["Records"][0].clone();
    extra["eventID"] = serde_json::json!("0e4f4c1a-0000-4000-8000-000000000001");
    doc["Records"].as_array_mut().unwrap().push(extra);
    std::fs::write(original, doc.to_string()).unwrap();
    let summary = run();
    let third = read_line(&summary);
    assert!(summary.contains("1 changed and read again") && summary.contains("changed since it was read"), "{summary}");
    assert_eq!((third.0, third.1, third.3), (1, records_in_file + 1, 2901), "{summary}");
}

/// The (sharedEventID, state) of each record: which insights came out, whatever their
/// statistics.
fn insight_ids(records: &[u8]) -> Vec<(String, String)> {
    common::records(records)
        .iter()
        .map(|r| (r["sharedEventID"].as_str().unwrap().to_string(), r["insightDetails"]["state"].as_str().unwrap().to_string()))
        .collect()
}

/// Trains on days 1-7 and runs the three nights, calling `before_night(i, live)` after
/// each night's delivery; `clock(i)` sets the night's wall clock (`TRAILSIGHT_NOW`).
/// Returns every night's records and summary.
fn nights_with(dir: &Path, before_night: &dyn Fn(usize, &Path), clock: &dyn Fn(usize) -> Option<String>) -> (Vec<u8>, Vec<String>) {
    let h = history();
    let (live, models) = (dir.join("live"), dir.join("models"));
    deliver_up_to(&h.sim, &live, TRAINED_UP_TO);
    train(&live, &models);
    let (mut all, mut summaries) = (Vec::new(), Vec::new());
    for (i, day) in NIGHTS.iter().enumerate() {
        deliver_up_to(&h.sim, &live, day);
        before_night(i, &live);
        let out = dir.join(format!("night-{i}.json"));
        let mut cmd = common::trailsight();
        cmd.arg("detect").arg(&live).arg("--models").arg(&models).arg("--out").arg(&out);
        if let Some(now) = clock(i) {
            cmd.env("TRAILSIGHT_NOW", now);
        }
        let run = cmd.output().unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        all.extend_from_slice(&read_or_empty(&out));
        summaries.push(String::from_utf8_lossy(&run.stderr).to_string());
    }
    (all, summaries)
}

/// The "judged up to" line of a nightly summary.
fn judged_up_to(summary: &str) -> &str {
    summary.lines().find(|l| l.contains("judged up to")).unwrap_or_else(|| panic!("{summary}"))
}

/// One call of an API no one else calls, by a user no one else is, `ahead` minutes after
/// the newest minute of night `i`'s data, delivered with night `i`.
fn deliver_skewed_call(live: &Path, i: usize, ahead: i64) {
    let (account, folder) = account_folder(live);
    let day = NIGHTS[i];
    let newest = trailsight::time::parse_cli_time(&format!("{}T23:59:00Z", day.replace('/', "-"))).unwrap();
    let record = call(&account, "skewed-clock", "ec2.amazonaws.com", "CreateTags", newest + ahead, 1, ahead * 10 + i as i64);
    let stamp = format!("{}T2355Z", day.replace('/', ""));
    deliver_file(&folder, &account, day, &stamp, "skewSKEWskewSKEW", vec![record]);
}

/// Issue 21, item 2: each night, one record dated ahead of the rest of that night's data
/// (a minute, an hour, a day, three and six days) never suppresses the insights of the
/// following nights: the nights still write every insight the batch run writes. A day
/// or more ahead, it does not move the watermark, and the summary says so.
#[test]
fn a_record_dated_ahead_never_blinds_the_following_nights() {
    let h = history();
    let batch = insight_ids(&h.batch);
    for (ahead, far) in [(1, false), (60, false), (24 * 60, true), (3 * 24 * 60, true), (6 * 24 * 60, true)] {
        let dir = tempfile::tempdir().unwrap();
        let (all, summaries) = nights_with(dir.path(), &|i, live| deliver_skewed_call(live, i, ahead), &|_| None);
        assert_eq!(insight_ids(&all), batch, "a record {ahead} minutes ahead: the nights write the batch run's insights\n{}", summaries.join("\n"));
        for (i, summary) in summaries.iter().enumerate() {
            let warned = summary.contains("far ahead of the rest of its data") && summary.contains("did not move the watermark");
            assert_eq!(warned, far, "night {i}, {ahead} minutes ahead: {summary}");
            if far {
                let day = NIGHTS[i].replace('/', "-");
                assert!(judged_up_to(summary).contains(&format!("judged up to {day}T23:")), "night {i}, {ahead} minutes ahead: {summary}");
            }
        }
    }
}

/// Issue 21, item 2: a record ahead of the run's wall clock never moves the watermark,
/// even when it is not far ahead of the rest of the data.
#[test]
fn a_record_ahead_of_the_wall_clock_never_moves_the_watermark() {
    let h = history();
    let dir = tempfile::tempdir().unwrap();
    // Each night runs at 00:30 the next day; the record is two hours ahead of the data.
    let clock = |i: usize| Some(["2026-01-13T00:30:00Z", "2026-01-14T00:30:00Z", "2026-01-15T00:30:00Z"][i].to_string());
    let skew = |i: usize, live: &Path| {
        if i == 0 {
            deliver_skewed_call(live, 0, 120);
        }
    };
    let (all, summaries) = nights_with(dir.path(), &skew, &clock);
    assert_eq!(insight_ids(&all), insight_ids(&h.batch), "{}", summaries.join("\n"));
    assert!(summaries[0].contains("1 event dated after the wall clock"), "{}", summaries[0]);
    assert!(judged_up_to(&summaries[0]).contains("judged up to 2026-01-12T23:"), "{}", summaries[0]);
}

/// 150 calls of `name` by one user in ten minutes from `from`, as records.
fn burst(account: &str, name: &str, from: i64, tag: u32) -> Vec<serde_json::Value> {
    (0..150).map(|i| call(account, "late-deliverer", "ec2.amazonaws.com", name, from + i / 15, tag, i)).collect()
}

/// Issue 21, item 3: a file delivered a night late into an earlier date folder, holding
/// a burst behind the last watermark, is judged the next night (the insight the batch
/// run finds, byte for byte); one delivered behind the late window is named in the
/// summary as too late to judge; late calls inside an insight already written add no
/// second insight.
#[test]
fn a_late_file_in_an_earlier_date_folder_is_judged_or_named() {
    let dir = tempfile::tempdir().unwrap();
    let late_at = trailsight::time::parse_cli_time("2026-01-12T14:00:00Z").unwrap();
    let too_late_at = trailsight::time::parse_cli_time("2026-01-11T14:00:00Z").unwrap();
    let snapshot_again = trailsight::time::parse_cli_time("2026-01-13T00:10:00Z").unwrap();
    let late_files = |i: usize, live: &Path| {
        let (account, folder) = account_folder(live);
        if i == 1 {
            // Night 9 brings a burst of day 8, in day 8's folder.
            deliver_file(&folder, &account, "2026/01/12", "20260112T1415Z", "lateLATElateLATE", burst(&account, "ModifyInstanceAttribute", late_at, 2));
        }
        if i == 2 {
            // Night 10 brings a burst of day 7 (behind the window), and more calls inside
            // the CreateSnapshot insight written on nights 8 and 9.
            deliver_file(&folder, &account, "2026/01/11", "20260111T1415Z", "tooLATEtooLATEto", burst(&account, "ModifyImageAttribute", too_late_at, 3));
            let more = (0..30).map(|i| call(&account, "exfil", "ec2.amazonaws.com", "CreateSnapshot", snapshot_again + i, 4, i)).collect();
            deliver_file(&folder, &account, "2026/01/13", "20260113T0015Z", "moreMOREmoreMORE", more);
        }
    };
    let (all, summaries) = nights_with(dir.path(), &late_files, &|_| None);

    // The batch run over the same files, late ones included.
    let out = common::trailsight().arg("detect").arg(dir.path().join("live")).arg("-q").output().unwrap();
    assert!(out.status.success());
    let lines_of = |bytes: &[u8], name: &str| -> Vec<String> {
        String::from_utf8_lossy(bytes).lines().filter(|l| l.contains(&format!("\"eventName\":\"{name}\""))).map(str::to_string).collect()
    };
    let batch_late = lines_of(&out.stdout, "ModifyInstanceAttribute");
    assert_eq!(batch_late.len(), 2, "the batch run finds the late burst");
    assert_eq!(lines_of(&all, "ModifyInstanceAttribute"), batch_late, "night 9 writes it, as the batch run does\n{}", summaries[1]);
    assert!(summaries[1].contains("arrived behind the last run's judged minutes") && summaries[1].contains("series judged again"), "{}", summaries[1]);

    assert!(lines_of(&all, "ModifyImageAttribute").is_empty(), "a burst behind the window is not judged");
    assert!(summaries[2].contains("150 calls dated before") && summaries[2].contains("arrived too late to judge"), "{}", summaries[2]);
    assert!(summaries[2].contains("tooLATEtooLATEto"), "the file is named: {}", summaries[2]);

    let snapshots = lines_of(&all, "CreateSnapshot");
    assert_eq!(snapshots.len(), 2, "late calls inside a written insight add no second one: {snapshots:?}");
}
