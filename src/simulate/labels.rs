//! The ground truth written next to the logs as `labels.json`.
//!
//! Field names are the contract with evaluation code, so they are spelled out in serde
//! attributes; the same structs deserialise the file back in tests.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::setup::Setup;
use super::timefmt::iso;
use super::SimError;

pub(super) const CALL_RATE: &str = "ApiCallRateInsight";
pub(super) const ERROR_RATE: &str = "ApiErrorRateInsight";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Anomaly {
    pub id: String,
    pub kind: String,
    pub account: String,
    pub region: String,
    pub insight_type: String,
    pub event_source: String,
    pub event_names: Vec<String>,
    pub error_code: Option<String>,
    pub principal_arn: String,
    pub start: String,
    pub end: String,
    pub calls: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Decoy {
    pub id: String,
    pub kind: String,
    pub account: String,
    pub region: String,
    pub event_source: Option<String>,
    pub event_names: Vec<String>,
    pub principal_arn: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Malformed {
    pub path: String,
    pub reason: String,
    pub good_records: u64,
}

/// Anomaly and decoy labels produced by scenario planning.
#[derive(Debug, Default)]
pub(super) struct Planted {
    pub anomalies: Vec<Anomaly>,
    pub decoys: Vec<Decoy>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Labels {
    pub generator: String,
    pub seed: u64,
    pub start: String,
    pub days: u32,
    pub quiet_days: u32,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub records: u64,
    pub duplicate_records: u64,
    pub anomalies: Vec<Anomaly>,
    pub decoys: Vec<Decoy>,
    pub malformed: Vec<Malformed>,
}

impl Labels {
    /// Reads a `labels.json` written by [`simulate`](super::simulate).
    pub fn load(path: &Path) -> Result<Self, SimError> {
        let text = std::fs::read(path).map_err(|source| SimError::Io { path: path.to_path_buf(), source })?;
        serde_json::from_slice(&text).map_err(|source| SimError::Json { path: path.to_path_buf(), source })
    }

    pub(super) fn new(
        setup: &Setup,
        records: u64,
        duplicates: u64,
        planted: Planted,
        malformed: Vec<Malformed>,
    ) -> Self {
        Self {
            generator: "trailsight-simulate".to_owned(),
            seed: setup.seed,
            start: iso(setup.start),
            days: setup.days,
            quiet_days: setup.quiet_days,
            accounts: setup.accounts.clone(),
            regions: setup.regions.iter().map(|r| r.to_string()).collect(),
            records,
            duplicate_records: duplicates,
            anomalies: planted.anomalies,
            decoys: planted.decoys,
            malformed,
        }
    }
}

pub(super) fn write(out: &Path, labels: &Labels) -> Result<PathBuf, SimError> {
    let path = out.join("labels.json");
    let mut text = serde_json::to_vec_pretty(labels).map_err(|source| SimError::Json {
        path: path.clone(),
        source,
    })?;
    text.push(b'\n');
    std::fs::write(&path, text).map_err(|source| SimError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}
