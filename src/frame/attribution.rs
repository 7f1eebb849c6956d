//! Who drove a series' calls: per-minute counts by principal, user agent and error code,
//! indexed per series so an Insight's attributions are a slice scan away.

use crate::aggregate::{AttributionKey, SeriesId};
use crate::intern::Sym;
use crate::time::Minute;
use std::collections::HashMap;

/// The attributes an Insight record attributes calls to (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attribute {
    UserIdentityArn,
    UserAgent,
    ErrorCode,
}

impl Attribute {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserIdentityArn => "userIdentityArn",
            Self::UserAgent => "userAgent",
            Self::ErrorCode => "errorCode",
        }
    }
}

/// Attribution cells sorted by (series, minute).
#[derive(Debug, Clone, Default)]
pub struct AttributionTable {
    cells: Vec<(AttributionKey, u32)>,
    offsets: Vec<usize>,
    /// Principal family of each principal symbol, when known (see `with_families`).
    families: Vec<Sym>,
}

/// What an attribution value is: an interned string, or the absence of an error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttributionValue {
    Sym(Sym),
    Null,
}

impl AttributionTable {
    pub fn new<S>(cells: HashMap<AttributionKey, u32, S>, n_series: usize) -> Self {
        let mut cells: Vec<(AttributionKey, u32)> = cells.into_iter().collect();
        cells.sort_unstable_by_key(|(k, _)| *k);
        let offsets = super::series_offsets(cells.iter().map(|(k, _)| k.series), n_series);
        Self { cells, offsets, families: Vec::new() }
    }

    /// Attaches the principal family of every symbol, so behaviour can be read per role.
    pub fn with_families(mut self, families: Vec<Sym>) -> Self {
        self.families = families;
        self
    }

    /// The family of a principal symbol (itself when families are not attached).
    pub fn family(&self, principal: Sym) -> Sym {
        self.families.get(principal as usize).copied().unwrap_or(principal)
    }

    /// Calls of one principal family in series `s` per minute of `[from, to)`, in minute
    /// order.
    pub fn family_minutes(&self, s: SeriesId, family: Sym, from: Minute, to: Minute) -> Vec<(Minute, u64)> {
        let mut out: Vec<(Minute, u64)> = Vec::new();
        for (k, n) in self.window(s, from, to).iter().filter(|(k, _)| self.family(k.principal) == family) {
            match out.last_mut() {
                Some(last) if last.0 == k.minute => last.1 += u64::from(*n),
                _ => out.push((k.minute, u64::from(*n))),
            }
        }
        out
    }

    /// Every cell, sorted by (series, minute, principal, agent, error): what the
    /// investigation commands group by any attribute.
    pub fn cells(&self) -> &[(AttributionKey, u32)] {
        &self.cells
    }

    /// The cells of series `s` during `[from, to)`.
    fn window(&self, s: SeriesId, from: Minute, to: Minute) -> &[(AttributionKey, u32)] {
        let Some((&a, &b)) = self.offsets.get(s as usize).zip(self.offsets.get(s as usize + 1)) else {
            return &[];
        };
        let cells = &self.cells[a..b];
        let lo = cells.partition_point(|(k, _)| k.minute < from);
        let hi = cells.partition_point(|(k, _)| k.minute < to);
        &cells[lo..hi]
    }

    /// Calls per value of `attribute` in series `s` during `[from, to)`.
    pub fn counts(&self, s: SeriesId, from: Minute, to: Minute, attribute: Attribute) -> HashMap<AttributionValue, u64> {
        let mut out: HashMap<AttributionValue, u64> = HashMap::new();
        for (k, n) in self.window(s, from, to) {
            let value = match attribute {
                Attribute::UserIdentityArn => AttributionValue::Sym(k.principal),
                Attribute::UserAgent => AttributionValue::Sym(k.agent),
                Attribute::ErrorCode => k.error.map_or(AttributionValue::Null, AttributionValue::Sym),
            };
            *out.entry(value).or_default() += u64::from(*n);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(series: SeriesId, minute: Minute, principal: Sym, error: Option<Sym>) -> AttributionKey {
        AttributionKey { series, minute, principal, agent: 9, error }
    }

    #[test]
    fn counts_values_inside_the_window_only() {
        let cells: HashMap<AttributionKey, u32> = [
            (key(0, 10, 1, None), 2),
            (key(0, 11, 2, Some(5)), 3),
            (key(0, 20, 1, None), 7),
            (key(1, 10, 1, None), 100),
        ]
        .into();
        let t = AttributionTable::new(cells, 2);
        let who = t.counts(0, 10, 12, Attribute::UserIdentityArn);
        assert_eq!(who[&AttributionValue::Sym(1)], 2);
        assert_eq!(who[&AttributionValue::Sym(2)], 3);
        let errors = t.counts(0, 0, 100, Attribute::ErrorCode);
        assert_eq!(errors[&AttributionValue::Null], 9);
        assert_eq!(errors[&AttributionValue::Sym(5)], 3);
        assert!(t.counts(7, 0, 100, Attribute::UserAgent).is_empty());
    }
}
