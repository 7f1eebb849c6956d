//! `detect --config FILE.toml`: the file stands for flags, typed flags override it, and
//! an unknown key is an error naming the key and the file.

mod common;

use common::trailsight;
use std::path::PathBuf;

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample")
}

fn detect(args: &[&std::ffi::OsStr]) -> std::process::Output {
    trailsight().arg("detect").args(args).output().unwrap()
}

#[test]
fn a_config_file_stands_for_its_flags_and_typed_flags_override_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("nightly.toml");
    let sample = sample();
    let by_flags = detect(&["--sensitivity".as_ref(), "10".as_ref(), "-q".as_ref(), sample.as_os_str()]);
    assert!(by_flags.status.success());
    let text = format!("paths = [{:?}]\nsensitivity = 10\nquiet = true\nwarmup_days = 100\n", sample.display().to_string());
    std::fs::write(&config, text).unwrap();
    // The file's warm-up of 100 days would judge nothing: the typed flag wins.
    let by_file = detect(&["--config".as_ref(), config.as_os_str(), "--warmup-days".as_ref(), "7".as_ref()]);
    assert!(by_file.status.success(), "{}", String::from_utf8_lossy(&by_file.stderr));
    assert!(!by_file.stdout.is_empty());
    assert_eq!(by_file.stdout, by_flags.stdout);
    // Without the override the file's own value holds.
    let quiet = detect(&["--config".as_ref(), config.as_os_str()]);
    assert!(quiet.status.success());
    assert!(quiet.stdout.is_empty(), "a 100-day warm-up judged something");
}

#[test]
fn an_unknown_key_is_an_error_naming_the_key_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "sensitivty = 2\n").unwrap();
    let out = detect(&["--config".as_ref(), config.as_os_str(), sample().as_os_str()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown key `sensitivty`") && stderr.contains("bad.toml"), "{stderr}");
    std::fs::write(&config, "strict = \"yes\"\n").unwrap();
    let out = detect(&["--config".as_ref(), config.as_os_str(), sample().as_os_str()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("key `strict`") && stderr.contains("true or false"), "{stderr}");
}
