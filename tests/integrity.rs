//! `validate-logs` and `detect --verify` end to end, on a signed chain built with a test key,
//! and the integrity scenarios (`integrity/scenarios.rs`) through the library's API.

mod common;
#[path = "integrity/scenarios.rs"]
mod scenarios;

use assert_cmd::Command;
use common::chain::{build_chain, BuiltChain, ChainSpec, TestKey};
use std::io::Write;

fn chain(dir: &std::path::Path) -> BuiltChain {
    build_chain(&dir.join("bucket"), &ChainSpec { hours: 4, ..Default::default() }, &TestKey::signing().unwrap()).unwrap()
}

fn validate(c: &BuiltChain, extra: &[&str]) -> std::process::Output {
    c.validate(extra)
}

/// Rewrites a gzip log file with one byte of its JSON changed.
fn tamper(path: &std::path::Path) {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()), &mut text).unwrap();
    let edited = text.replacen("\"eventName\":\"", "\"eventName\":\"X", 1);
    assert_ne!(edited, text);
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), flate2::Compression::default());
    gz.write_all(edited.as_bytes()).unwrap();
    gz.finish().unwrap();
}

#[test]
fn an_intact_chain_is_valid_in_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let c = chain(dir.path());
    let out = validate(&c, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let json = validate(&c, &["--format", "json"]);
    assert_eq!(json.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let logs: usize = c.digests.iter().map(|d| d.log_files.len()).sum();
    let summary = &v["summary"];
    assert_eq!(summary["clean"], true, "{v:#}");
    assert_eq!((&summary["digest_files"]["valid"], &summary["digest_files"]["total"]), (&c.digests.len().into(), &c.digests.len().into()), "{v:#}");
    assert_eq!((&summary["log_files"]["valid"], &summary["log_files"]["total"]), (&logs.into(), &logs.into()), "{v:#}");
    assert_eq!((&summary["chains"]["unbroken"], &summary["gaps"]), (&1.into(), &0.into()), "{v:#}");
    let reported = v["digest_files"].as_array().map_or(0, |d| d.iter().filter(|d| d["status"] == "valid" && c.digests.iter().any(|b| d["key"] == b.key.as_str())).count());
    assert_eq!(reported, c.digests.len(), "every digest built is reported valid by its key: {v:#}");
}

#[test]
fn an_edited_log_file_is_reported_and_refused_by_detect_verify() {
    let dir = tempfile::tempdir().unwrap();
    let c = chain(dir.path());
    let victim = &c.digests[1].log_files[0];
    tamper(&victim.path);
    let out = validate(&c, &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("INVALID: hash value doesn't match"), "{text}");
    assert!(text.contains(&victim.key), "{text}");

    let detect = |allow: bool| {
        let mut cmd = Command::cargo_bin("trailsight").unwrap();
        cmd.arg("detect").arg(&c.root).args(["--verify", "--public-keys"]).arg(&c.keys_json).arg("--signatures").arg(&c.signatures_json);
        if allow {
            cmd.arg("--allow-unverified");
        }
        cmd.output().unwrap()
    };
    let refused = detect(false);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&victim.path.display().to_string()) && stderr.contains("refused"), "{stderr}");
    let allowed = detect(true);
    let stderr = String::from_utf8_lossy(&allowed.stderr);
    assert_eq!(allowed.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("read anyway"), "{stderr}");
}

#[test]
fn missing_keys_are_bad_usage() {
    let out = Command::cargo_bin("trailsight").unwrap().args(["validate-logs", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
