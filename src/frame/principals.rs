//! Per-principal tables: what each principal (per account and role, not per STS session)
//! did, in time order, for the models that judge principals rather than series (the
//! IAM-burst detector and the behaviour model).

use crate::aggregate::{IamWrite, WindowStats, WINDOW_MINUTES};
use crate::hash::FastMap;
use crate::intern::Sym;
use crate::time::Minute;
use std::collections::BTreeMap;

/// One principal's IAM write calls, sorted by (minute, series).
#[derive(Debug, Clone)]
pub struct PrincipalIam {
    pub account: Sym,
    pub family: Sym,
    pub writes: Vec<IamWrite>,
}

/// One principal's behaviour windows: each window's first minute and what was done in
/// it, in time order.
#[derive(Debug, Clone)]
pub struct PrincipalWindows {
    pub account: Sym,
    pub family: Sym,
    pub windows: Vec<(Minute, WindowStats)>,
}

/// The IAM writes per principal, principals sorted by (account, family).
pub fn iam_table(writes: FastMap<(Sym, Sym), Vec<IamWrite>>) -> Vec<PrincipalIam> {
    let mut table: Vec<PrincipalIam> = writes
        .into_iter()
        .map(|((account, family), mut writes)| {
            writes.sort_unstable_by_key(|w| (w.minute, w.series, w.calls));
            PrincipalIam { account, family, writes }
        })
        .collect();
    table.sort_unstable_by_key(|p| (p.account, p.family));
    table
}

/// The behaviour windows per principal, principals sorted by (account, family).
pub fn behaviour_table(windows: FastMap<(Sym, Sym, Minute), WindowStats>) -> Vec<PrincipalWindows> {
    let mut by_principal: BTreeMap<(Sym, Sym), Vec<(Minute, WindowStats)>> = BTreeMap::new();
    for ((account, family, window), stats) in windows {
        by_principal.entry((account, family)).or_default().push((window * WINDOW_MINUTES, stats));
    }
    by_principal
        .into_iter()
        .map(|((account, family), mut windows)| {
            windows.sort_unstable_by_key(|w| w.0);
            PrincipalWindows { account, family, windows }
        })
        .collect()
}
