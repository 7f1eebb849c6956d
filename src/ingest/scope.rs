//! Reading only some accounts and regions (`--accounts`, `--regions`).
//!
//! A [`Scope`] is applied three times, from the cheapest to the surest: to folders of
//! the CloudTrail layout (`AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/...`, the same for
//! its `CloudTrail-Digest` siblings), which are then never listed; to files named as
//! CloudTrail names deliveries (`ACCOUNT_CloudTrail_REGION_...`), which are then never
//! opened; and to the records of every file read (a joined export, standard input, a
//! counts table), of which only those whose account (`recipientAccountId`, the same
//! account the aggregates key on) and `awsRegion` are asked for are kept. A record kept
//! is counted exactly as without the filter.

use super::record::{is_account_id, is_region};
use std::collections::BTreeSet;
use std::path::Path;

/// `value` when it is an AWS account id (12 digits), else why not.
pub fn check_account(value: &str) -> Result<String, String> {
    if is_account_id(value) {
        Ok(value.to_string())
    } else {
        Err(format!("{value:?} is not an AWS account id (12 digits)"))
    }
}

/// `value` when it is an AWS region name (`us-east-1`), else why not.
pub fn check_region(value: &str) -> Result<String, String> {
    if is_region(value) && value.contains('-') && !value.starts_with('-') && !value.ends_with('-') {
        Ok(value.to_string())
    } else {
        Err(format!("{value:?} is not an AWS region name (like us-east-1)"))
    }
}

/// The accounts and regions a run reads; empty sets mean every one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    accounts: BTreeSet<String>,
    regions: BTreeSet<String>,
}

impl Scope {
    /// The scope of `--accounts` and `--regions` values (each may hold several,
    /// comma-separated), or why a value is not an account id or a region name.
    pub fn new(accounts: &[String], regions: &[String]) -> Result<Self, String> {
        let split = |values: &[String]| -> Vec<String> { values.iter().flat_map(|v| v.split(',')).map(|v| v.trim().to_string()).collect() };
        let accounts = split(accounts).into_iter().map(|a| check_account(&a)).collect::<Result<_, _>>()?;
        let regions = split(regions).into_iter().map(|r| check_region(&r)).collect::<Result<_, _>>()?;
        Ok(Self { accounts, regions })
    }

    /// The scope of values already checked by [`check_account`] and [`check_region`].
    pub fn of_checked(accounts: &[String], regions: &[String]) -> Self {
        Self { accounts: accounts.iter().cloned().collect(), regions: regions.iter().cloned().collect() }
    }

    /// True when every account and region is read.
    pub fn is_all(&self) -> bool {
        self.accounts.is_empty() && self.regions.is_empty()
    }

    pub fn accounts(&self) -> &BTreeSet<String> {
        &self.accounts
    }

    pub fn regions(&self) -> &BTreeSet<String> {
        &self.regions
    }

    pub fn keeps_account(&self, account: &str) -> bool {
        self.accounts.is_empty() || self.accounts.contains(account)
    }

    pub fn keeps_region(&self, region: &str) -> bool {
        self.regions.is_empty() || self.regions.contains(region)
    }

    /// True for a record of `account` in `region`.
    pub fn keeps(&self, account: &str, region: &str) -> bool {
        self.keeps_account(account) && self.keeps_region(region)
    }

    /// False for a folder or file that the CloudTrail layout or a delivery file's name
    /// places in an account or region not asked for; true for anything else (a folder
    /// outside the layout may hold any account's records, which are filtered as read).
    pub fn keeps_path(&self, path: &Path) -> bool {
        if self.is_all() {
            return true;
        }
        let parts: Vec<&str> = path.components().filter_map(|c| c.as_os_str().to_str()).collect();
        if let Some(at) = parts.iter().rposition(|p| *p == "AWSLogs") {
            let mut rest = &parts[at + 1..];
            if rest.first().is_some_and(|p| p.starts_with("o-")) {
                rest = &rest[1..];
            }
            if let Some(account) = rest.first().filter(|a| is_account_id(a)) {
                if !self.keeps_account(account) {
                    return false;
                }
                let in_trail = rest.get(1).is_some_and(|t| *t == "CloudTrail" || t.starts_with("CloudTrail-"));
                if let Some(region) = rest.get(2).filter(|_| in_trail) {
                    if !self.keeps_region(region) {
                        return false;
                    }
                }
            }
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        match name.split('_').collect::<Vec<_>>()[..] {
            [account, "CloudTrail", region, _, ..] if is_account_id(account) => self.keeps(account, region),
            _ => true,
        }
    }

    /// `accounts=...; regions=...` for the model state's settings ("" for every one).
    pub fn describe(&self) -> String {
        if self.is_all() {
            return String::new();
        }
        let list = |set: &BTreeSet<String>| if set.is_empty() { "all".to_string() } else { set.iter().cloned().collect::<Vec<_>>().join(",") };
        format!("accounts {} regions {}", list(&self.accounts), list(&self.regions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(accounts: &[&str], regions: &[&str]) -> Scope {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Scope::new(&owned(accounts), &owned(regions)).unwrap()
    }

    #[test]
    fn keeps_the_layout_folders_and_names_asked_for() {
        let s = scope(&["111111111111"], &["us-east-1"]);
        assert!(s.keeps_path(Path::new("b/AWSLogs")));
        assert!(s.keeps_path(Path::new("b/AWSLogs/o-abc")));
        assert!(s.keeps_path(Path::new("b/AWSLogs/o-abc/111111111111/CloudTrail/us-east-1/2026")));
        assert!(!s.keeps_path(Path::new("b/AWSLogs/o-abc/222222222222")));
        assert!(!s.keeps_path(Path::new("b/AWSLogs/111111111111/CloudTrail/eu-west-1")));
        assert!(!s.keeps_path(Path::new("b/AWSLogs/111111111111/CloudTrail-Digest/eu-west-1")));
        assert!(!s.keeps_path(Path::new("x/222222222222_CloudTrail_us-east-1_20260101T0000Z_a.json.gz")));
        assert!(!s.keeps_path(Path::new("x/111111111111_CloudTrail_eu-west-1_20260101T0000Z_a.json.gz")));
        assert!(s.keeps_path(Path::new("x/111111111111_CloudTrail_us-east-1_20260101T0000Z_a.json.gz")));
        assert!(s.keeps_path(Path::new("exports/joined.json.gz")));
        assert!(Scope::default().keeps_path(Path::new("b/AWSLogs/222222222222")));
    }

    #[test]
    fn refuses_values_that_are_not_accounts_or_regions() {
        assert!(Scope::new(&["12345".into()], &[]).unwrap_err().contains("\"12345\""));
        assert!(Scope::new(&[], &["US-EAST-1".into()]).is_err());
        assert!(Scope::new(&[], &["../x".into()]).is_err());
        let s = Scope::new(&["111111111111,222222222222".into()], &["us-east-1".into()]).unwrap();
        assert_eq!(s.accounts().len(), 2);
        assert!(s.keeps("222222222222", "us-east-1") && !s.keeps("222222222222", "eu-west-1"));
    }
}
