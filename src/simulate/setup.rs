//! Validated configuration and the constants derived from it.
//!
//! Everything that several generators must agree on (account ids, the organisation id,
//! region names, epoch bounds, S3 prefixes) is computed once here from the config.

use std::path::PathBuf;

use rand::Rng;

use super::rng::{self, tag};
use super::timefmt::DAY;
use super::{AnomalyMix, SimConfig, SimError};

/// Region order: the first is always us-east-1, where global services are recorded.
pub(super) const REGIONS: [&str; 16] = [
    "us-east-1",
    "eu-west-1",
    "us-west-2",
    "ap-southeast-2",
    "eu-central-1",
    "ap-northeast-1",
    "us-east-2",
    "ca-central-1",
    "sa-east-1",
    "ap-south-1",
    "eu-north-1",
    "ap-southeast-1",
    "eu-west-2",
    "us-west-1",
    "eu-west-3",
    "ap-northeast-2",
];

const MAX_ACCOUNTS: u32 = 100;
const MAX_DAYS: u32 = 3_660;

pub(super) struct Setup {
    pub out: PathBuf,
    pub seed: u64,
    pub days: u32,
    pub quiet_days: u32,
    /// Epoch seconds of the first simulated midnight (UTC).
    pub start: i64,
    pub scale: f64,
    pub regions: Vec<&'static str>,
    pub accounts: Vec<String>,
    pub org_id: String,
    pub mix: AnomalyMix,
    pub malformed: bool,
    /// Seconds between deliveries per account and region.
    pub delivery_seconds: i64,
}

impl Setup {
    pub(super) fn new(config: &SimConfig) -> Result<Self, SimError> {
        validate(config)?;
        let start = config
            .start
            .and_hms_opt(0, 0, 0)
            .map(|dt| dt.and_utc().timestamp())
            .ok_or_else(|| SimError::InvalidConfig(format!("bad start date {}", config.start)))?;
        let mut ids = rng::rng_for(config.seed, &[tag::ACCOUNTS]);
        let mut accounts: Vec<String> = Vec::new();
        while accounts.len() < config.accounts as usize {
            let id = ids
                .gen_range(100_000_000_000u64..1_000_000_000_000)
                .to_string();
            if !accounts.contains(&id) {
                accounts.push(id);
            }
        }
        let org_id = format!("o-{}", rng::chars(&mut ids, 10, rng::LOWER_ALNUM));
        Ok(Self {
            out: config.out.clone(),
            seed: config.seed,
            days: config.days,
            quiet_days: config.quiet_days.min(config.days - 1),
            start,
            scale: config.scale,
            regions: REGIONS[..config.regions as usize].to_vec(),
            accounts,
            org_id,
            mix: config.anomalies.clone(),
            malformed: config.malformed,
            delivery_seconds: i64::from(config.delivery_minutes.max(1)) * 60,
        })
    }

    pub(super) fn end(&self) -> i64 {
        self.day_start(self.days)
    }

    pub(super) fn day_start(&self, day: u32) -> i64 {
        self.start + i64::from(day) * DAY
    }

    /// Index of an (account, region) stream.
    pub(super) fn stream(&self, account: usize, region: usize) -> usize {
        account * self.regions.len() + region
    }

    pub(super) fn streams(&self) -> usize {
        self.accounts.len() * self.regions.len()
    }

    /// `AWSLogs/<acct>` for the first account and the organisation-trail form
    /// `AWSLogs/o-xxxxxxxxxx/<acct>` for the others, so readers meet both.
    pub(super) fn prefix(&self, account: usize) -> String {
        let id = &self.accounts[account];
        if account == 0 {
            format!("AWSLogs/{id}")
        } else {
            format!("AWSLogs/{}/{id}", self.org_id)
        }
    }
}

fn validate(config: &SimConfig) -> Result<(), SimError> {
    let bad = |msg: String| Err(SimError::InvalidConfig(msg));
    if config.days == 0 || config.days > MAX_DAYS {
        return bad(format!("days must be 1..={MAX_DAYS}, got {}", config.days));
    }
    if config.accounts == 0 || config.accounts > MAX_ACCOUNTS {
        return bad(format!(
            "accounts must be 1..={MAX_ACCOUNTS}, got {}",
            config.accounts
        ));
    }
    if config.regions == 0 || config.regions as usize > REGIONS.len() {
        return bad(format!(
            "regions must be 1..={}, got {}",
            REGIONS.len(),
            config.regions
        ));
    }
    if !config.scale.is_finite() || config.scale <= 0.0 || config.scale > 10_000.0 {
        return bad(format!("scale must be in (0, 10000], got {}", config.scale));
    }
    Ok(())
}
