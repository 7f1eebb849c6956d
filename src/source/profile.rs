//! The shared AWS configuration files (`~/.aws/credentials`, `~/.aws/config`, or
//! `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`): a profile's region and
//! credentials, for the S3 client, which has no profile support of its own.
//!
//! A profile's credentials are, in this order: its static keys; the output of its
//! `credential_process`; and for profiles the AWS CLI resolves (SSO, `role_arn`, web
//! identity) the output of `aws configure export-credentials --profile NAME --format
//! process`, so an SSO login made with `aws sso login` is used as it is. The profile is
//! `AWS_PROFILE`, else `default`.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

/// Keys of one profile.
type Section = BTreeMap<String, String>;

/// Credentials a profile resolved to.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub key_id: String,
    pub secret: String,
    pub token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret, not even in a debug log.
        f.debug_struct("Credentials").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

/// What a profile says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub region: Option<String>,
    pub credentials: Option<Credentials>,
}

/// The JSON a `credential_process` prints (the AWS CLI's `--format process` too).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessOutput {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

fn home_file(env: &str, relative: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(relative))
}

/// The profile in use, or `None` when neither file names it (then the environment,
/// web identity and instance or container credentials are left to the client). An
/// `AWS_PROFILE` that no file has is an error.
pub fn load() -> Result<Option<Profile>, String> {
    let chosen = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
    let name = chosen.clone().unwrap_or_else(|| "default".to_string());
    let read = |env, rel| home_file(env, rel).and_then(|p| std::fs::read_to_string(p).ok()).map(|t| parse_ini(&t)).unwrap_or_default();
    let credentials = read("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    let config = read("AWS_CONFIG_FILE", ".aws/config");
    let config_name = if name == "default" { "default".to_string() } else { format!("profile {name}") };
    let (from_credentials, from_config) = (credentials.get(&name), config.get(&config_name));
    if from_credentials.is_none() && from_config.is_none() {
        return match chosen {
            Some(p) => Err(format!("AWS_PROFILE={p}: no such profile in ~/.aws/credentials or ~/.aws/config")),
            None => Ok(None),
        };
    }
    let mut merged = from_config.cloned().unwrap_or_default();
    merged.extend(from_credentials.cloned().unwrap_or_default());
    Ok(Some(Profile { region: merged.get("region").cloned(), credentials: resolve(&name, &merged)?, name }))
}

fn resolve(name: &str, section: &Section) -> Result<Option<Credentials>, String> {
    if let (Some(key_id), Some(secret)) = (section.get("aws_access_key_id"), section.get("aws_secret_access_key")) {
        let token = section.get("aws_session_token").cloned();
        return Ok(Some(Credentials { key_id: key_id.clone(), secret: secret.clone(), token }));
    }
    if let Some(process) = section.get("credential_process") {
        let output = Command::new("sh").arg("-c").arg(process).output();
        return run(&format!("credential_process of profile {name}"), output).map(Some);
    }
    let resolved_by_cli = ["sso_session", "sso_start_url", "role_arn", "web_identity_token_file"];
    if resolved_by_cli.iter().any(|k| section.contains_key(*k)) {
        let output = Command::new("aws").args(["configure", "export-credentials", "--profile", name, "--format", "process"]).output();
        return run(&format!("`aws configure export-credentials --profile {name}` (profile {name} needs the AWS CLI v2)"), output).map(Some);
    }
    Ok(None)
}

fn run(what: &str, output: std::io::Result<std::process::Output>) -> Result<Credentials, String> {
    let output = output.map_err(|e| format!("{what}: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("{what} failed ({}): {}", output.status, stderr.trim()));
    }
    let parsed: ProcessOutput = serde_json::from_slice(&output.stdout).map_err(|e| format!("{what}: not credentials JSON: {e}"))?;
    Ok(Credentials { key_id: parsed.access_key_id, secret: parsed.secret_access_key, token: parsed.session_token })
}

/// `[section]` headers and `key = value` lines; `#` and `;` start comments; indented
/// lines (sub-sections such as `s3 =`) are skipped.
fn parse_ini(text: &str) -> BTreeMap<String, Section> {
    let mut out: BTreeMap<String, Section> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            out.entry(name.clone()).or_default();
            current = Some(name);
        } else if let (Some(section), Some((key, value))) = (&current, line.split_once('=')) {
            let entry = out.entry(section.clone()).or_default();
            entry.insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_keys_and_skips_comments_and_sub_sections() {
        let ini = "# top\n[default]\nregion = eu-west-1\naws_access_key_id=AKIA1\n\n[profile  audit]\ns3 =\n  max_concurrent_requests = 20\n; note\nsso_session = corp\n";
        let parsed = parse_ini(ini);
        assert_eq!(parsed["default"]["region"], "eu-west-1");
        assert_eq!(parsed["default"]["aws_access_key_id"], "AKIA1");
        assert_eq!(parsed["profile audit"]["sso_session"], "corp");
        assert!(!parsed["profile audit"].contains_key("max_concurrent_requests"));
    }

    #[test]
    fn static_keys_come_first_then_credential_process() {
        let mut section = Section::new();
        section.insert("credential_process".into(), "printf '{\"Version\":1,\"AccessKeyId\":\"AKIAP\",\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\"}'".into());
        let from_process = resolve("p", &section).unwrap().unwrap();
        assert_eq!((from_process.key_id.as_str(), from_process.token.as_deref()), ("AKIAP", Some("t")));
        section.insert("aws_access_key_id".into(), "AKIAS".into());
        section.insert("aws_secret_access_key".into(), "s".into());
        assert_eq!(resolve("p", &section).unwrap().unwrap().key_id, "AKIAS");
        let mut failing = Section::new();
        failing.insert("credential_process".into(), "echo no >&2; exit 3".into());
        let err = resolve("p", &failing).unwrap_err();
        assert!(err.contains("credential_process of profile p failed") && err.contains("no"), "{err}");
    }
}
