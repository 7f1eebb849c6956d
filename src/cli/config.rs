//! `detect --config FILE.toml`: every detect option in a file, so a cron line stays
//! `trailsight detect --config /etc/trailsight/nightly.toml`.
//!
//! Keys are the long flag names (`warmup-days` or `warmup_days`) plus `paths`, a list of
//! inputs. The file is turned into the flags it stands for and placed before the ones
//! typed on the command line, so a typed flag overrides the file; paths typed on the
//! command line replace the file's `paths`. An unknown key, a value of the wrong kind,
//! or one key given twice (`warmup-days` and `warmup_days`) is an error naming the key
//! and the file. Values are passed as `--flag=value` and paths after `--`, so nothing in
//! a value or a path is ever read as another flag.

use clap::CommandFactory;
use std::ffi::OsString;
use std::path::Path;

/// Why a config file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is not valid TOML: {msg}")]
    Toml { path: String, msg: String },
    #[error("unknown key `{key}` in {path} (keys are detect's long flags, and `paths`)")]
    UnknownKey { key: String, path: String },
    #[error("keys `{first}` and `{second}` in {path} are the same option: keep one")]
    Twice { first: String, second: String, path: String },
    #[error("key `{key}` in {path}: {why}")]
    BadValue { key: String, path: String, why: &'static str },
}

/// The flags a config file stands for, and its paths (empty when it has none).
pub struct FileArgs {
    pub flags: Vec<OsString>,
    pub paths: Vec<OsString>,
}

/// Reads a config file into detect flags.
pub fn read(path: &Path) -> Result<FileArgs, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError::Toml { path: shown.clone(), msg: e.message().to_string() })?;
    let known = detect_flags();
    let mut out = FileArgs { flags: Vec::new(), paths: Vec::new() };
    let mut given: std::collections::BTreeMap<String, &str> = std::collections::BTreeMap::new();
    for (key, value) in &table {
        if let Some(first) = given.insert(key.replace('_', "-"), key.as_str()) {
            return Err(ConfigError::Twice { first: first.to_string(), second: key.clone(), path: shown });
        }
        let bad = |why| ConfigError::BadValue { key: key.clone(), path: shown.clone(), why };
        if key == "paths" {
            out.paths = strings(value).ok_or_else(|| bad("must be a list of paths"))?;
            continue;
        }
        let flag = key.replace('_', "-");
        let Some(takes_value) = known.iter().find(|(name, _)| *name == flag).map(|(_, v)| *v) else {
            return Err(ConfigError::UnknownKey { key: key.clone(), path: shown });
        };
        push_flag(&mut out.flags, &flag, value, takes_value).map_err(bad)?;
    }
    Ok(out)
}

/// Detect's long flags (but `config` itself), with whether each takes a value.
fn detect_flags() -> Vec<(String, bool)> {
    let cli = super::Cli::command();
    let Some(detect) = cli.find_subcommand("detect") else {
        return Vec::new();
    };
    detect
        .get_arguments()
        .filter_map(|a| Some((a.get_long()?.to_string(), a.get_action().takes_values())))
        .filter(|(name, _)| name != "config" && name != "help")
        .collect()
}

fn push_flag(flags: &mut Vec<OsString>, flag: &str, value: &toml::Value, takes_value: bool) -> Result<(), &'static str> {
    let long = OsString::from(format!("--{flag}"));
    // `--flag=value`: a value that starts with `-` stays this flag's value.
    let with = |v: OsString| {
        let mut joined = long.clone();
        joined.push("=");
        joined.push(v);
        joined
    };
    match (value, takes_value) {
        (toml::Value::Boolean(on), false) => {
            if *on {
                flags.push(long);
            }
            Ok(())
        }
        (_, false) => Err("must be true or false"),
        (toml::Value::Array(_), true) => {
            flags.extend(strings(value).ok_or("must be a list of strings or numbers")?.into_iter().map(with));
            Ok(())
        }
        (v, true) => {
            flags.push(with(scalar(v).ok_or("must be a string or a number")?));
            Ok(())
        }
    }
}

fn scalar(v: &toml::Value) -> Option<OsString> {
    match v {
        toml::Value::String(s) => Some(s.into()),
        toml::Value::Integer(i) => Some(i.to_string().into()),
        toml::Value::Float(f) => Some(f.to_string().into()),
        toml::Value::Datetime(d) => Some(d.to_string().into()),
        _ => None,
    }
}

fn strings(v: &toml::Value) -> Option<Vec<OsString>> {
    match v {
        toml::Value::Array(items) => items.iter().map(scalar).collect(),
        other => scalar(other).map(|s| vec![s]),
    }
}
