//! Per-principal behaviour windows: what each principal (per role, not per session) did
//! in each five minutes, the raw material of the clustering model.

use super::SeriesId;
use crate::intern::Sym;
use crate::time::Minute;

/// Length of a behaviour window, minutes.
pub const WINDOW_MINUTES: Minute = 5;

/// Counts of one principal's management calls in one window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowStats {
    pub calls: u32,
    pub writes: u32,
    pub iam_writes: u32,
    pub errors: u32,
    /// Distinct APIs (event names), user agents and source IPs seen.
    pub apis: Vec<Sym>,
    pub agents: Vec<Sym>,
    pub ips: Vec<Sym>,
    /// Calls per series (write and error series) in the window.
    pub series: Vec<(SeriesId, u32)>,
}

impl WindowStats {
    pub fn note(&mut self, name: Sym, agent: Sym, ip: Sym, calls: u32) {
        self.calls = self.calls.saturating_add(calls);
        push_unique(&mut self.apis, name);
        push_unique(&mut self.agents, agent);
        push_unique(&mut self.ips, ip);
    }

    pub fn note_series(&mut self, series: SeriesId, calls: u32) {
        match self.series.iter_mut().find(|(s, _)| *s == series) {
            Some((_, n)) => *n = n.saturating_add(calls),
            None => self.series.push((series, calls)),
        }
    }

    /// The same window with symbols and series renumbered (see
    /// `Aggregates::settle`), its lists sorted so their order is canonical too.
    pub fn renumbered(mut self, sym: &dyn Fn(Sym) -> Sym, series: &dyn Fn(SeriesId) -> SeriesId) -> Self {
        for list in [&mut self.apis, &mut self.agents, &mut self.ips] {
            list.iter_mut().for_each(|s| *s = sym(*s));
            list.sort_unstable();
        }
        self.series.iter_mut().for_each(|(s, _)| *s = series(*s));
        self.series.sort_unstable();
        self
    }
}

fn push_unique(values: &mut Vec<Sym>, v: Sym) {
    if !values.contains(&v) {
        values.push(v);
    }
}
