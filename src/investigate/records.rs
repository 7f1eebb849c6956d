//! Raw records and source IPs, read back from the log files for an investigation.
//!
//! The aggregates keep counts, not records, and no source IP: `explain --records N` and
//! `top --by ip` read the files once more. They keep the aggregates' rules so the calls
//! they see are the calls the detector counted: management calls only, each eventID once
//! per account and region (the first copy in input order), and only the days the run kept.

use crate::aggregate::DayRange;
use crate::engine::Inputs;
use crate::hash::FastSet;
use crate::ingest::{self, Event, InputFile};
use crate::intern::Interner;
use crate::time::MINUTES_PER_DAY;

/// Which calls a series or a `top` selection counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallKind {
    /// Write management calls, with or without an error: a call-rate series.
    Writes,
    /// Management calls that failed with this code: an error-rate series.
    Errors(String),
    /// Successful write calls and every failed management call: each call of the
    /// judged series once (a failed write is in both a call-rate and an error-rate
    /// series).
    Judged,
}

/// A selection of calls, by the strings of a record; `None` matches anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFilter {
    pub account: Option<String>,
    pub region: Option<String>,
    pub source: Option<String>,
    pub name: Option<String>,
    pub kind: CallKind,
}

impl CallFilter {
    /// True when the event is one of the selected calls.
    pub fn admits(&self, e: &Event, s: &Interner) -> bool {
        let is = |want: &Option<String>, sym| want.as_deref().is_none_or(|w| w == s.resolve(sym));
        let kind = match &self.kind {
            CallKind::Writes => e.is_write_management(),
            CallKind::Errors(code) => e.is_management() && e.error.is_some_and(|c| s.resolve(c) == code),
            CallKind::Judged => (e.is_write_management() && e.error.is_none()) || (e.is_management() && e.error.is_some()),
        };
        kind && is(&self.account, e.account) && is(&self.region, e.region) && is(&self.source, e.source) && is(&self.name, e.name)
    }
}

/// Visits every selected call of the input's log files in input order, with its JSON
/// text, once per eventID (as the aggregates count them), on the days `range` kept.
/// Standard input cannot be read a second time and is passed over.
pub fn scan(inputs: &Inputs<'_>, range: Option<DayRange>, filter: &CallFilter, visit: &mut dyn FnMut(&[u8], &Event, &Interner)) {
    let mut discovery = ingest::discover_in(inputs.paths, &inputs.scope);
    discovery.files.retain(|f| (inputs.admit)(f) && !matches!(f, InputFile::Stdin));
    let mut strings = Interner::new();
    let mut seen: FastSet<u64> = FastSet::default();
    for file in &discovery.files {
        ingest::visit_records(file, &inputs.limits, &mut strings, &mut |raw, e, s| {
            if !inputs.scope.keeps(s.resolve(e.account), s.resolve(e.region)) {
                return;
            }
            if let Some(key) = e.dedup_key {
                if !seen.insert(crate::hash::stable_hash(&(key, e.minute))) {
                    return;
                }
            }
            let in_range = range.is_none_or(|r| r.contains(e.minute.div_euclid(MINUTES_PER_DAY)));
            if in_range && filter.admits(e, s) {
                visit(raw, e, s);
            }
        });
    }
}
