//! One simulated AWS account: its principals with their per-region samplers, and the
//! resources its records name.
//!
//! The account is where principals and resources meet: resources are named after the
//! account's users and roles, so both rooms below it stay independent of each other
//! (`resources` reads principals, `principals` knows nothing of resources).

use super::principals::{self, Principal, Role, Sampler};
use super::resources::Resources;
use super::rng::{self, tag};
use super::setup::Setup;

pub(super) struct Account {
    pub index: usize,
    pub id: String,
    pub principals: Vec<Principal>,
    pub samplers: Vec<Vec<Sampler>>,
    pub res: Resources,
    regions: usize,
}

impl Account {
    /// Add a principal (scenarios add attackers) and return its index.
    pub(super) fn push(&mut self, p: Principal) -> usize {
        self.samplers
            .push((0..self.regions).map(|r| Sampler::new(&p, r)).collect());
        self.principals.push(p);
        self.principals.len() - 1
    }

    pub(super) fn with_role(&self, role: Role) -> Vec<usize> {
        (0..self.principals.len())
            .filter(|&i| self.principals[i].role == role)
            .collect()
    }

    pub(super) fn first(&self, role: Role) -> Option<usize> {
        self.principals.iter().position(|p| p.role == role)
    }
}

pub(super) fn build_accounts(setup: &Setup) -> Vec<Account> {
    (0..setup.accounts.len())
        .map(|i| build_account(setup, i))
        .collect()
}

fn build_account(setup: &Setup, index: usize) -> Account {
    let id = setup.accounts[index].clone();
    let regions = setup.regions.len();
    let mut rng = rng::rng_for(setup.seed, &[tag::PRINCIPALS, index as u64]);
    let principals = principals::build(&mut rng, &id, regions, index);
    let mut res_rng = rng::rng_for(setup.seed, &[tag::RESOURCES, index as u64]);
    let res = Resources::new(&mut res_rng, &id, index, &principals);
    let mut account = Account {
        index,
        id,
        principals: Vec::new(),
        samplers: Vec::new(),
        res,
        regions,
    };
    for p in principals {
        account.push(p);
    }
    account
}
