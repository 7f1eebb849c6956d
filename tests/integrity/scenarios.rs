//! Scenarios of the integrity module through its public API, on a realistic signed
//! chain built by `common::chain`: six hourly digests of two log files each, in the real
//! S3 layout, then one tampering per test, asserting the exact text and JSON a security
//! engineer would read.

use crate::common::chain::{self, BuiltChain, ChainSpec, Restart, TestKey};
use chrono::{TimeZone, Utc};
use serde_json::Value;
use std::path::Path;
use trailsight::integrity::*;

struct Fixture {
    _dir: tempfile::TempDir,
    chain: BuiltChain,
}

const BUCKET: &str = "trailsight-test-trail-bucket";

fn build(spec: ChainSpec) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(BUCKET);
    let chain = chain::build_chain(&root, &spec, &TestKey::signing().unwrap()).unwrap();
    Fixture { _dir: dir, chain }
}

fn six_hours() -> Fixture {
    build(ChainSpec::default())
}

impl Fixture {
    fn validate(&self) -> Report {
        self.validate_with(&self.chain.options())
    }

    fn validate_with(&self, opts: &ValidateOptions) -> Report {
        validate(std::slice::from_ref(&self.chain.root), opts).unwrap()
    }

    fn digest(&self, i: usize) -> &chain::BuiltDigest {
        &self.chain.digests[i]
    }

    fn log(&self, digest: usize, n: usize) -> &chain::BuiltLog {
        &self.chain.digests[digest].log_files[n]
    }

    /// The text rendering with the temporary folder replaced by `<bucket>`.
    fn text(&self, report: &Report, verbose: bool) -> String {
        let mut out = Vec::new();
        report.render_text(&mut out, verbose).unwrap();
        String::from_utf8(out).unwrap().replace(&self.chain.root.display().to_string(), "<bucket>")
    }

    /// Rewrites digest `i`'s JSON; re-signs it with `key` (updating the signatures
    /// file) when given, as someone holding that key would.
    fn rewrite_digest(&mut self, i: usize, edit: impl FnOnce(&mut Value), key: Option<&TestKey>) {
        let path = self.digest(i).path.clone();
        let mut value: Value = serde_json::from_slice(&chain::read_gz(&path).unwrap()).unwrap();
        edit(&mut value);
        let bytes = serde_json::to_vec(&value).unwrap();
        chain::write_gz(&path, &bytes).unwrap();
        if let Some(key) = key {
            let to_sign = format!(
                "{}\n{}/{}\n{}\n{}",
                value["digestEndTime"].as_str().unwrap(),
                value["digestS3Bucket"].as_str().unwrap(),
                value["digestS3Object"].as_str().unwrap(),
                chain::sha256_hex(&bytes),
                value["previousDigestSignature"].as_str().unwrap_or("null"),
            );
            let key_name = self.digest(i).key.clone();
            self.chain.set_signature(&key_name, Some(key.sign_hex(to_sign.as_bytes()).unwrap())).unwrap();
        }
    }

    /// Replaces a log file's content with edited records (valid gzip, valid JSON).
    fn edit_log(&self, digest: usize, n: usize) {
        let path = &self.log(digest, n).path;
        let text = String::from_utf8(chain::read_gz(path).unwrap()).unwrap();
        let edited = text.replace("RunInstances", "StopLogging");
        assert_ne!(text, edited);
        chain::write_gz(path, edited.as_bytes()).unwrap();
    }
}

/// The last component of an S3 key.
fn file_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

fn s3(key: &str) -> String {
    format!("s3://{BUCKET}/{key}")
}

fn json(report: &Report) -> Value {
    serde_json::from_str(&report.to_json()).unwrap()
}

fn digest_json<'a>(json: &'a Value, key: &str) -> &'a Value {
    json["digest_files"].as_array().unwrap().iter().find(|d| d["key"] == key).unwrap()
}

fn log_json<'a>(json: &'a Value, key: &str) -> &'a Value {
    json["log_files"].as_array().unwrap().iter().find(|l| l["key"].as_str().is_some_and(|k| k.ends_with(key))).unwrap()
}

fn lines_of(text: &str, status: &str) -> Vec<String> {
    text.lines().filter(|l| l.contains(status)).map(str::to_string).collect()
}

/// Every digest (newest first) and its log files, all valid, as verbose text lines.
fn valid_lines(f: &Fixture) -> String {
    let mut lines = String::new();
    for d in f.chain.digests.iter().rev() {
        lines += &format!("Digest file\t{}\tvalid\n", s3(&d.key));
        for l in &d.log_files {
            lines += &format!("Log file\t{}\tvalid\n", s3(&l.key));
        }
    }
    lines
}

const CHAIN: &str = "111122223333/us-east-1/management-events";

#[test]
fn a_untouched_chain_is_valid() {
    let f = six_hours();
    let report = f.validate();
    let expected = format!(
        "Validating CloudTrail log files in <bucket>\n\
         \n\
         Digest chain\t{CHAIN}\tunbroken\n\
         {}\
         \n\
         Results requested for all files\n\
         Results found for 2026-03-02T00:14:07Z to 2026-03-02T06:14:07Z:\n\
         \n\
         6/6 digest files valid\n\
         12/12 log files valid\n\
         1/1 digest chains unbroken\n",
        valid_lines(&f)
    );
    assert_eq!(f.text(&report, true), expected);
    assert!(report.is_clean());
    assert_eq!(report.exit_code(), EXIT_VALID);
    assert_eq!(report.verified_log_files().len(), 12);
    assert!(report.failing_log_files().is_empty());

    let j = json(&report);
    assert_eq!(j["schema_version"], 1);
    assert_eq!(
        j["summary"],
        serde_json::json!({
            "digest_files": {"total": 6, "valid": 6, "invalid": 0, "not_validated": 0},
            "log_files": {"total": 12, "valid": 12, "invalid": 0, "not_validated": 0, "pending": 0},
            "chains": {"total": 1, "unbroken": 1, "broken": 0},
            "gaps": 0, "unreadable_paths": 0, "clean": true
        })
    );
    let first = digest_json(&j, &f.digest(0).key);
    assert_eq!(first["status"], "valid");
    assert_eq!(first["chain"], CHAIN);
    assert_eq!(first["bucket"], BUCKET);
    assert_eq!(first["start_time"], "2026-03-02T00:14:07Z");
    assert_eq!(first["end_time"], "2026-03-02T01:14:07Z");
    assert_eq!(first["log_files"], 2);
    assert_eq!(j["chains"][0]["status"], "unbroken");
    assert_eq!(j["chains"][0]["valid_from"], "2026-03-02T00:14:07Z");
    assert_eq!(j["chains"][0]["valid_to"], "2026-03-02T06:14:07Z");
    assert_eq!(j["found"], serde_json::json!({"from": "2026-03-02T00:14:07Z", "to": "2026-03-02T06:14:07Z"}));
}

#[test]
fn the_first_digest_signs_the_literal_null() {
    let f = six_hours();
    let first: Value = serde_json::from_slice(&chain::read_gz(&f.digest(0).path).unwrap()).unwrap();
    assert_eq!(first["previousDigestSignature"], Value::Null);
    assert_eq!(first["previousDigestS3Object"], Value::Null);
    let second: Value = serde_json::from_slice(&chain::read_gz(&f.digest(1).path).unwrap()).unwrap();
    assert_eq!(second["previousDigestSignature"], f.digest(0).signature.as_str());
    assert!(f.validate().is_clean());
}

#[test]
fn an_edited_log_file_is_invalid() {
    let f = six_hours();
    f.edit_log(2, 0);
    let report = f.validate();
    let key = &f.log(2, 0).key;
    let expected = format!(
        "Validating CloudTrail log files in <bucket>\n\
         \n\
         Digest chain\t{CHAIN}\tunbroken\n\
         Log file\t{}\tINVALID: hash value doesn't match\n\
         \n\
         Results requested for all files\n\
         Results found for 2026-03-02T00:14:07Z to 2026-03-02T06:14:07Z:\n\
         \n\
         6/6 digest files valid\n\
         11/12 log files valid, 1/12 log files INVALID\n\
         1/1 digest chains unbroken\n",
        s3(key)
    );
    assert_eq!(f.text(&report, false), expected);
    assert_eq!(lines_of(&f.text(&report, true), "\tvalid").len(), 6 + 11);
    assert!(!report.is_clean());
    assert_eq!(report.exit_code(), EXIT_INVALID);

    let j = json(&report);
    let log = log_json(&j, key);
    assert_eq!(log["status"], "hash_mismatch");
    assert_eq!(log["message"], "INVALID: hash value doesn't match");
    assert_eq!(log["digest_file"], f.digest(2).key.as_str());
    assert_eq!(log["path"], f.log(2, 0).path.display().to_string());
    assert_eq!(log["delivered"], "2026-03-02T02:34:00Z");
    assert_eq!(j["summary"]["log_files"]["invalid"], 1);

    let failing = report.failing_log_files();
    assert_eq!(failing.len(), 1);
    assert_eq!(failing[f.log(2, 0).path.as_path()].status, LogStatus::HashMismatch);
    assert!(!report.verified_log_files().contains(f.log(2, 0).path.as_path()));
    assert_eq!(report.verified_log_files().len(), 11);
}

#[test]
fn a_deleted_log_file_is_not_found() {
    let f = six_hours();
    std::fs::remove_file(&f.log(4, 1).path).unwrap();
    let report = f.validate();
    let text = f.text(&report, false);
    assert_eq!(
        lines_of(&text, "INVALID"),
        vec![
            format!("Log file\t{}\tINVALID: not found", s3(&f.log(4, 1).key)),
            "11/12 log files valid, 1/12 log files INVALID".to_string(),
        ]
    );
    let j = json(&report);
    let log = log_json(&j, &f.log(4, 1).key);
    assert_eq!(log["status"], "not_found");
    assert_eq!(log["path"], Value::Null);
    assert_eq!(report.exit_code(), EXIT_INVALID);
}

#[test]
fn an_edited_digest_fails_its_signature_and_vouches_for_nothing() {
    let mut f = six_hours();
    // Hide a log file's change by rewriting its hash in the digest: the attacker
    // cannot re-sign, so the digest's signature fails.
    f.edit_log(3, 0);
    let new_hash = chain::uncompressed_sha256(&f.log(3, 0).path).unwrap();
    f.rewrite_digest(3, |v| v["logFiles"][0]["hashValue"] = Value::from(new_hash), None);
    let report = f.validate();
    let text = f.text(&report, false);
    assert_eq!(
        text.lines().skip(2).take(4).collect::<Vec<_>>(),
        vec![
            format!("Digest chain\t{CHAIN}\tBROKEN").as_str(),
            &format!(
                "Digest file\t{}\tINVALID: signature verification failed (signature from the signatures file, key {})",
                s3(&f.digest(3).key),
                chain::SIGNING_FINGERPRINT
            ),
            &format!("Log file\t{}\tNOT VALIDATED: its digest file is INVALID", s3(&f.log(3, 0).key)),
            &format!("Log file\t{}\tNOT VALIDATED: its digest file is INVALID", s3(&f.log(3, 1).key)),
        ]
    );
    assert!(text.ends_with(
        "5/6 digest files valid, 1/6 digest files INVALID\n\
         10/10 log files valid\n\
         2 log files NOT VALIDATED: no valid digest file vouches for them\n\
         0/1 digest chains unbroken, 1/1 digest chains BROKEN\n"
    ));
    let j = json(&report);
    assert_eq!(digest_json(&j, &f.digest(3).key)["status"], "signature_failed");
    assert_eq!(digest_json(&j, &f.digest(2).key)["status"], "valid", "the walk goes on past a bad digest");
    assert_eq!(digest_json(&j, &f.digest(4).key)["status"], "valid");
    assert_eq!(log_json(&j, &f.log(3, 0).key)["status"], "digest_invalid");
    assert_eq!(j["chains"][0]["status"], "broken");
    assert!(!report.verified_log_files().contains(f.log(3, 0).path.as_path()));
}

#[test]
fn a_digest_whose_hash_the_next_digest_does_not_record_is_invalid() {
    // The next digest is validly signed (by the real key) but records another hash for
    // this one: the link, not the signature, is what fails.
    // (Only a holder of CloudTrail's key could do this, and then digest 5 must be
    // re-chained to the rewritten digest 4 as well, or digest 4 fails first.)
    let mut f = six_hours();
    let signing = TestKey::signing().unwrap();
    let zeros = "0".repeat(64);
    f.rewrite_digest(4, |v| v["previousDigestHashValue"] = Value::from(zeros.clone()), Some(&signing));
    let new_hash = chain::uncompressed_sha256(&f.digest(4).path).unwrap();
    let new_signature = f.chain.signatures[&f.digest(4).key].clone();
    f.rewrite_digest(
        5,
        |v| {
            v["previousDigestHashValue"] = Value::from(new_hash);
            v["previousDigestSignature"] = Value::from(new_signature);
        },
        Some(&signing),
    );
    let report = f.validate();
    let actual = chain::uncompressed_sha256(&f.digest(3).path).unwrap();
    assert_eq!(lines_of(&f.text(&report, false), "Digest file"), vec![format!(
        "Digest file\t{}\tINVALID: hash value doesn't match ({} records previousDigestHashValue {zeros}, the file hashes to {actual})",
        s3(&f.digest(3).key),
        f.digest(4).key
    )]);
    let j = json(&report);
    assert_eq!(digest_json(&j, &f.digest(3).key)["status"], "hash_mismatch");
    assert_eq!(digest_json(&j, &f.digest(4).key)["status"], "valid");
}

#[test]
fn a_deleted_digest_is_not_found_and_its_log_files_are_reported() {
    let f = six_hours();
    std::fs::remove_file(&f.digest(3).path).unwrap();
    let report = f.validate();
    let text = f.text(&report, false);
    let missing = s3(&f.digest(3).key);
    let unlisted = |n: usize| {
        format!(
            "Log file\t<bucket>/{}\tNOT VALIDATED: not listed in any digest file (the digest file covering it, {missing}, is INVALID: not found)",
            f.log(3, n).key
        )
    };
    let expected = format!(
        "Validating CloudTrail log files in <bucket>\n\
         \n\
         Digest chain\t{CHAIN}\tBROKEN\n\
         Digest file\t{missing}\tINVALID: not found\n\
         \n\
         {}\n\
         {}\n\
         \n\
         Results requested for all files\n\
         Results found for 2026-03-02T00:14:07Z to 2026-03-02T06:14:07Z:\n\
         \n\
         5/6 digest files valid, 1/6 digest files INVALID\n\
         10/10 log files valid\n\
         2 log files NOT VALIDATED: no valid digest file vouches for them\n\
         0/1 digest chains unbroken, 1/1 digest chains BROKEN\n",
        unlisted(0),
        unlisted(1)
    );
    assert_eq!(text, expected);
    // In verbose output the missing digest sits in its place in the chain.
    let verbose = f.text(&report, true);
    let order: Vec<&str> = verbose.lines().filter(|l| l.starts_with("Digest file")).collect();
    assert_eq!(order[2], format!("Digest file\t{missing}\tINVALID: not found"));
    assert_eq!(order[3], format!("Digest file\t{}\tvalid", s3(&f.digest(2).key)));

    let j = json(&report);
    let d = digest_json(&j, &f.digest(3).key);
    assert_eq!(d["status"], "not_found");
    assert_eq!(d["path"], Value::Null);
    assert_eq!(d["end_time"], "2026-03-02T04:14:07Z");
    assert_eq!(log_json(&j, &f.log(3, 1).key)["status"], "not_in_digest");
    assert_eq!(log_json(&j, &f.log(3, 1).key)["digest_file"], Value::Null);
    assert_eq!(report.failing_log_files().len(), 2);
}

#[test]
fn a_moved_digest_is_reported_once_as_moved() {
    let mut f = six_hours();
    let original = f.digest(3).key.clone();
    let moved_key = original.replace("/2026/03/02/", "/2026/03/01/");
    let moved_path = f.chain.root.join(&moved_key);
    std::fs::create_dir_all(moved_path.parent().unwrap()).unwrap();
    std::fs::rename(&f.digest(3).path, &moved_path).unwrap();
    // S3 copies keep their metadata: the signature moves with the object.
    let signature = f.chain.signatures[&original].clone();
    f.chain.set_signature(&original, None).unwrap();
    f.chain.set_signature(&moved_key, Some(signature)).unwrap();

    let report = f.validate();
    let text = f.text(&report, false);
    assert_eq!(
        lines_of(&text, "Digest file"),
        vec![format!(
            "Digest file\t{}\tINVALID: has been moved from its original location (its digestS3Object is {})",
            s3(&moved_key),
            s3(&original)
        )]
    );
    assert!(!text.contains("not found"));
    assert_eq!(lines_of(&text, "its digest file is INVALID").len(), 2);
    let j = json(&report);
    assert_eq!(digest_json(&j, &moved_key)["status"], "moved");
    assert_eq!(
        j["summary"]["digest_files"],
        serde_json::json!({"total": 6, "valid": 5, "invalid": 1, "not_validated": 0})
    );
    assert_eq!(report.exit_code(), EXIT_INVALID);
}

#[test]
fn a_signature_by_another_key_fails() {
    let mut f = six_hours();
    let wrong = TestKey::wrong().unwrap();
    // Someone re-signs digest 3 (unchanged) with their own key and rewrites its S3
    // metadata; the digest still names CloudTrail's key.
    let bytes = chain::read_gz(&f.digest(3).path).unwrap();
    let d = f.digest(3).clone();
    let forged = chain::sign_digest(&wrong, &bytes, BUCKET, &d.key, d.end, Some(&f.digest(2).signature)).unwrap();
    f.chain.set_signature(&d.key, Some(forged)).unwrap();
    let report = f.validate();
    assert_eq!(
        lines_of(&f.text(&report, false), "Digest file"),
        vec![format!(
            "Digest file\t{}\tINVALID: signature verification failed (signature from the signatures file, key {})",
            s3(&d.key),
            chain::SIGNING_FINGERPRINT
        )]
    );
    assert_eq!(json(&report)["chains"][0]["status"], "broken");
}

#[test]
fn a_digest_naming_an_unknown_key_is_invalid() {
    let mut f = six_hours();
    let wrong = TestKey::wrong().unwrap();
    f.rewrite_digest(3, |v| v["digestPublicKeyFingerprint"] = Value::from(chain::WRONG_FINGERPRINT), Some(&wrong));
    let report = f.validate();
    assert_eq!(
        lines_of(&f.text(&report, false), "Digest file"),
        vec![format!(
            "Digest file\t{}\tINVALID: public key not found (no key with fingerprint {} in the public keys file)",
            s3(&f.digest(3).key),
            chain::WRONG_FINGERPRINT
        )]
    );
    assert_eq!(digest_json(&json(&report), &f.digest(3).key)["status"], "public_key_not_found");
}

#[test]
fn the_wrong_public_key_fails_every_signature() {
    let f = six_hours();
    let mut wrong = TestKey::wrong().unwrap();
    wrong.fingerprint = chain::SIGNING_FINGERPRINT.to_string();
    let keys = serde_json::json!({ "PublicKeyList": [wrong.to_list_entry()] });
    std::fs::write(&f.chain.keys_json, keys.to_string()).unwrap();
    let report = f.validate();
    assert_eq!(report.summary.digest_files.invalid, 6);
    assert_eq!(report.summary.log_files.not_validated, 12);
    assert!(report.digest_files.iter().all(|d| d.status == DigestStatus::SignatureFailed));
}

#[test]
fn a_log_file_no_digest_lists_is_not_validated() {
    let f = six_hours();
    let planted_at = f.digest(2).end + chrono::Duration::minutes(25);
    let planted =
        chain::write_log_file(&f.chain.root, "111122223333", "us-east-1", planted_at, "PLANTEDplanted00").unwrap();
    let report = f.validate();
    let text = f.text(&report, false);
    assert_eq!(
        lines_of(&text, "NOT VALIDATED"),
        vec![
            format!("Log file\t<bucket>/{}\tNOT VALIDATED: not listed in any digest file", planted.key),
            "1 log file NOT VALIDATED: no valid digest file vouches for it".to_string(),
        ]
    );
    assert!(text.contains("6/6 digest files valid\n12/12 log files valid\n"));
    let j = json(&report);
    let log = log_json(&j, &planted.key);
    assert_eq!(log["status"], "not_in_digest");
    assert_eq!(log["bucket"], Value::Null);
    assert_eq!(report.exit_code(), EXIT_INVALID);
    assert_eq!(report.failing_log_files()[planted.path.as_path()].status, LogStatus::NotInDigest);
}

#[test]
fn a_log_file_newer_than_the_newest_digest_is_pending_not_failing() {
    let f = six_hours();
    let later = f.digest(5).end + chrono::Duration::minutes(10);
    let fresh = chain::write_log_file(&f.chain.root, "111122223333", "us-east-1", later, "FRESHfresh000000").unwrap();
    let report = f.validate();
    assert!(report.is_clean(), "the newest hour is always waiting for its digest");
    assert_eq!(report.exit_code(), EXIT_VALID);
    let quiet = f.text(&report, false);
    assert!(!quiet.contains(&fresh.key));
    assert!(quiet.contains("1 log file delivered after the newest digest file (not yet covered)\n"));
    assert!(f.text(&report, true).contains(&format!(
        "Log file\t<bucket>/{}\tNOT VALIDATED: delivered after the newest digest file\n",
        fresh.key
    )));
    let v = LogVerification::from_report(&report);
    assert_eq!(v.failing.get(&fresh.path), Some(&LogStatus::Pending));
    assert!(!LogStatus::Pending.is_failure());
    assert_eq!(v.verified.len(), 12);
}

#[test]
fn a_restarted_chain_shows_a_gap_like_aws() {
    let spec = ChainSpec { restarts: vec![Restart { at: 3, paused_hours: 5 }], ..ChainSpec::default() };
    let f = build(spec);
    let report = f.validate();
    let text = f.text(&report, true);
    let gap = "No log files were delivered by CloudTrail between 2026-03-02T03:14:07Z and 2026-03-02T08:14:07Z";
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| *l == gap).unwrap();
    assert_eq!(
        lines[at - 3],
        format!("Digest file\t{}\tvalid", s3(&f.digest(3).key)),
        "after the restarting digest and its logs"
    );
    assert_eq!(lines[at + 1], format!("Digest file\t{}\tvalid", s3(&f.digest(2).key)));
    assert!(text.ends_with("1/1 digest chains unbroken\n1 gap in digest chains\n"));
    assert!(report.is_clean(), "a gap is reported, not invalid (AWS)");
    let j = json(&report);
    assert_eq!(
        j["gaps"],
        serde_json::json!([{
            "chain": CHAIN, "from": "2026-03-02T03:14:07Z", "to": "2026-03-02T08:14:07Z",
            "restarted_by": f.digest(3).key
        }])
    );
}

#[test]
fn only_the_newest_digest_needs_the_signatures_file() {
    let mut f = six_hours();
    let without = ValidateOptions { signatures: None, ..f.chain.options() };
    let report = f.validate_with(&without);
    let text = f.text(&report, false);
    assert_eq!(lines_of(&text, "Digest file"), vec![format!(
        "Digest file\t{}\tNOT VALIDATED: no signature to verify (no signatures file given, and no newer digest file records its signature)",
        s3(&f.digest(5).key)
    )]);
    assert_eq!(lines_of(&text, "its digest file has no signature to verify").len(), 2);
    assert!(text.contains("5/6 digest files valid, 1/6 digest files NOT VALIDATED\n10/10 log files valid\n"));
    assert!(!report.is_clean());

    let newest = f.digest(5).clone();
    f.chain.signatures.clear();
    f.chain.set_signature(&newest.key, Some(newest.signature)).unwrap();
    assert!(f.validate().is_clean());
}

#[test]
fn an_edited_digest_fails_against_the_signature_the_next_digest_records() {
    let mut f = six_hours();
    f.rewrite_digest(1, |v| v["logFiles"].as_array_mut().unwrap().clear(), None);
    let without = ValidateOptions { signatures: None, ..f.chain.options() };
    let report = f.validate_with(&without);
    let d = report.digest_files.iter().find(|d| d.key == f.digest(1).key).unwrap();
    assert_eq!(d.status, DigestStatus::SignatureFailed);
    assert_eq!(
        d.detail.as_deref(),
        Some(format!("signature recorded in the next digest file, key {}", chain::SIGNING_FINGERPRINT).as_str())
    );
}

#[test]
fn the_time_range_limits_what_is_judged() {
    let f = six_hours();
    f.edit_log(5, 0); // outside the range: not judged
    let opts = ValidateOptions {
        from: Some(Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap()),
        to: Some(Utc.with_ymd_and_hms(2026, 3, 2, 3, 0, 0).unwrap()),
        ..f.chain.options()
    };
    let report = f.validate_with(&opts);
    let text = f.text(&report, true);
    assert!(text.starts_with(
        "Validating CloudTrail log files in <bucket> between 2026-03-02T02:00:00Z and 2026-03-02T03:00:00Z\n"
    ));
    assert!(text.ends_with(
        "Results requested for 2026-03-02T02:00:00Z to 2026-03-02T03:00:00Z\n\
         Results found for 2026-03-02T02:00:00Z to 2026-03-02T03:00:00Z:\n\
         \n\
         2/2 digest files valid\n\
         4/4 log files valid\n\
         1/1 digest chains unbroken\n"
    ));
    let judged: Vec<&str> = report.digest_files.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(judged, vec![f.digest(2).key.as_str(), f.digest(1).key.as_str()]);
    assert!(report.is_clean());
}

#[test]
fn a_digest_that_is_not_json_is_invalid_format_not_a_panic() {
    let f = six_hours();
    chain::write_gz(&f.digest(3).path, b"<html>Access Denied</html>").unwrap();
    std::fs::write(&f.digest(1).path, b"\x1f\x8b\x08\x00truncated").unwrap();
    let report = f.validate();
    let text = f.text(&report, false);
    let lines: Vec<String> =
        lines_of(&text, "INVALID: invalid format").into_iter().filter(|l| l.starts_with("Digest file")).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0]
        .starts_with(&format!("Digest file\t<bucket>/{}\tINVALID: invalid format (not JSON: ", f.digest(3).key)));
    assert!(lines[1].starts_with(&format!(
        "Digest file\t<bucket>/{}\tINVALID: invalid format (corrupt or truncated gzip",
        f.digest(1).key
    )));
    assert_eq!(lines_of(&text, "is INVALID: invalid format)").len(), 4, "their log files are explained");
    assert_eq!(report.summary.digest_files.invalid, 2);
}

#[test]
fn each_region_has_its_own_chain() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(BUCKET);
    let key = TestKey::signing().unwrap();
    let east = chain::build_chain(&root, &ChainSpec { hours: 3, ..ChainSpec::default() }, &key).unwrap();
    let west_spec = ChainSpec { region: "eu-west-1".into(), hours: 3, ..ChainSpec::default() };
    let mut west = chain::build_chain(&root, &west_spec, &key).unwrap();
    for (k, s) in &east.signatures {
        west.set_signature(k, Some(s.clone())).unwrap();
    }
    std::fs::remove_file(&west.digests[2].log_files[0].path).unwrap();
    let report = validate(std::slice::from_ref(&root), &west.options()).unwrap();
    let chains: Vec<(&str, ChainStatus)> = report.chains.iter().map(|c| (c.id.as_str(), c.status)).collect();
    assert_eq!(
        chains,
        vec![
            ("111122223333/eu-west-1/management-events", ChainStatus::Unbroken),
            ("111122223333/us-east-1/management-events", ChainStatus::Unbroken),
        ]
    );
    assert_eq!(report.summary.digest_files.valid, 6);
    assert_eq!(report.summary.log_files.invalid, 1);
    let missing = report.log_files.iter().find(|l| l.status == LogStatus::NotFound).unwrap();
    assert!(missing.key.contains("/eu-west-1/"));
}

#[test]
fn a_folder_below_the_bucket_still_validates() {
    let f = six_hours();
    let below = f.chain.root.join("AWSLogs/111122223333");
    let report = validate(&[below], &f.chain.options()).unwrap();
    assert!(report.is_clean(), "{}", report.to_json());
    assert_eq!(report.summary.log_files.valid, 12);
}

#[test]
fn bad_options_are_usage_errors() {
    let f = six_hours();
    let missing_keys = ValidateOptions { public_keys: f.chain.root.join("nope.json"), ..f.chain.options() };
    let err = validate(std::slice::from_ref(&f.chain.root), &missing_keys).unwrap_err();
    assert!(matches!(err, IntegrityError::KeysUnreadable { .. }));
    assert_eq!(err.exit_code(), EXIT_USAGE);

    std::fs::write(&f.chain.signatures_json, "{not json").unwrap();
    let err = validate(std::slice::from_ref(&f.chain.root), &f.chain.options()).unwrap_err();
    assert!(matches!(err, IntegrityError::SignaturesFormat { .. }), "{err}");

    let bad_path = validate(
        &[Path::new("/no/such/bucket").to_path_buf()],
        &ValidateOptions { signatures: None, ..f.chain.options() },
    );
    assert!(matches!(bad_path, Err(IntegrityError::PathNotFound(_))));

    let backwards = ValidateOptions {
        signatures: None,
        from: Some(Utc.with_ymd_and_hms(2026, 3, 3, 0, 0, 0).unwrap()),
        to: Some(Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()),
        ..f.chain.options()
    };
    assert!(matches!(
        validate(std::slice::from_ref(&f.chain.root), &backwards),
        Err(IntegrityError::EmptyTimeRange { .. })
    ));
}

#[test]
fn nothing_found_is_not_clean() {
    let f = six_hours();
    let empty = f.chain.root.parent().unwrap().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let report = validate(&[empty], &f.chain.options()).unwrap();
    assert!(!report.is_clean());
    let mut out = Vec::new();
    report.render_text(&mut out, false).unwrap();
    assert!(String::from_utf8(out).unwrap().ends_with("Results requested for all files\nNo digests found\n\n"));
}

#[test]
fn verify_log_files_splits_verified_from_failing() {
    let f = six_hours();
    f.edit_log(0, 1);
    let v = verify_log_files(std::slice::from_ref(&f.chain.root), &f.chain.options()).unwrap();
    assert_eq!(v.verified.len(), 11);
    assert_eq!(v.failing.len(), 1);
    assert_eq!(v.failing.get(&f.log(0, 1).path), Some(&LogStatus::HashMismatch));
    assert!(v.is_verified(&f.log(0, 0).path));
    assert!(!v.is_verified(&f.log(0, 1).path));
}

#[test]
fn the_json_schema_has_its_documented_fields() {
    let f = six_hours();
    let j = json(&f.validate());
    let keys = |v: &Value| {
        let mut k = v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        k.sort();
        k
    };
    assert_eq!(
        keys(&j),
        [
            "chains",
            "digest_files",
            "found",
            "gaps",
            "log_files",
            "paths",
            "requested",
            "schema_version",
            "summary",
            "unreadable"
        ]
    );
    assert_eq!(
        keys(&j["digest_files"][0]),
        [
            "backfill",
            "bucket",
            "chain",
            "detail",
            "end_time",
            "key",
            "log_files",
            "message",
            "path",
            "start_time",
            "status"
        ]
    );
    assert_eq!(
        keys(&j["log_files"][0]),
        ["bucket", "delivered", "detail", "digest_file", "key", "message", "path", "status"]
    );
    assert_eq!(
        keys(&j["chains"][0]),
        ["account", "digest_files", "home_region", "id", "region", "status", "trail", "valid_from", "valid_to"]
    );
}

#[test]
fn a_forged_future_digest_outside_the_range_cannot_excuse_or_hide_planted_logs() {
    let f = six_hours();
    // Planted in hour 3, plus an unsigned forged digest named just after the range
    // that lists it, and another named in 2099 to make everything look "pending".
    let planted_at = f.digest(2).end + chrono::Duration::minutes(25);
    let planted =
        chain::write_log_file(&f.chain.root, "111122223333", "us-east-1", planted_at, "PLANTEDplanted00").unwrap();
    let hash = chain::uncompressed_sha256(&planted.path).unwrap();
    for end in [Utc.with_ymd_and_hms(2026, 3, 2, 5, 30, 0).unwrap(), Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap()]
    {
        let key = chain::digest_key(&f.chain.spec, end);
        let forged = serde_json::json!({
            "digestStartTime": "2026-03-02T04:30:00Z", "digestEndTime": end.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "digestS3Bucket": BUCKET, "digestS3Object": key, "digestPublicKeyFingerprint": chain::SIGNING_FINGERPRINT,
            "digestSignatureAlgorithm": "SHA256withRSA", "previousDigestSignature": null,
            "logFiles": [{"s3Bucket": BUCKET, "s3Object": planted.key, "hashValue": hash, "hashAlgorithm": "SHA-256"}]
        });
        chain::write_gz(&f.chain.root.join(&key), forged.to_string().as_bytes()).unwrap();
    }
    let opts = ValidateOptions {
        from: Some(Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap()),
        to: Some(Utc.with_ymd_and_hms(2026, 3, 2, 4, 0, 0).unwrap()),
        ..f.chain.options()
    };
    let report = f.validate_with(&opts);
    let outcome = report.log_files.iter().find(|l| l.key == planted.key).unwrap();
    assert_eq!(outcome.status, LogStatus::NotInDigest);
    assert!(!report.is_clean());
    // Without a range the forged digests are judged: unsigned, vouching for nothing.
    let all = f.validate();
    assert_eq!(all.summary.digest_files.not_validated, 2);
    assert!(all.log_files.iter().any(|l| l.key == planted.key && l.status == LogStatus::DigestUnsigned));
}

#[test]
fn a_digest_whose_previous_link_is_itself_breaks_the_chain() {
    let mut f = six_hours();
    let signing = TestKey::signing().unwrap();
    let own = f.digest(5).key.clone();
    f.rewrite_digest(5, |v| v["previousDigestS3Object"] = Value::from(own), Some(&signing));
    let report = f.validate();
    let j = json(&report);
    assert_eq!(digest_json(&j, &f.digest(5).key)["status"], "link_cycle");
    assert_eq!(digest_json(&j, &f.digest(5).key)["detail"], "its previousDigestS3Object is its own key");
    assert_eq!(report.chains[0].status, ChainStatus::Broken);
    assert_eq!(report.exit_code(), EXIT_INVALID);
}

#[test]
fn a_ring_of_digests_breaks_the_chain_and_each_member_names_the_others() {
    // Digests 3 -> 5 -> 4 -> 3, each signed by the real key, and every link a valid
    // neighbour checks records the right hash and signature: only the loop is wrong.
    let mut f = six_hours();
    let signing = TestKey::signing().unwrap();
    let newest = f.digest(5).key.clone();
    f.rewrite_digest(3, |v| v["previousDigestS3Object"] = Value::from(newest), Some(&signing));
    for i in [4, 5] {
        let hash = chain::uncompressed_sha256(&f.digest(i - 1).path).unwrap();
        let signature = f.chain.signatures[&f.digest(i - 1).key].clone();
        f.rewrite_digest(
            i,
            |v| {
                v["previousDigestHashValue"] = Value::from(hash);
                v["previousDigestSignature"] = Value::from(signature);
            },
            Some(&signing),
        );
    }
    let report = f.validate();
    let j = json(&report);
    for i in [3, 4, 5] {
        assert_eq!(digest_json(&j, &f.digest(i).key)["status"], "link_cycle", "digest {i}");
    }
    let detail = digest_json(&j, &f.digest(4).key)["detail"].as_str().unwrap().to_string();
    assert!(detail.contains(file_name(&f.digest(3).key)) && detail.contains(file_name(&f.digest(5).key)), "{detail}");
    for i in [0, 1, 2] {
        assert_eq!(digest_json(&j, &f.digest(i).key)["status"], "valid", "digest {i} is off the ring");
    }
    assert_eq!(report.chains[0].status, ChainStatus::Broken);
}
