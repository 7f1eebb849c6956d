//! Routine bursts: per-principal behaviour on one API.
//!
//! A CI role that registers a dozen task definitions in two minutes, several times every
//! weekday at no fixed time, makes a series whose hour-of-day mean is near zero and whose
//! bursts are improbable under it, yet it is that role's daily routine. An episode is
//! routine when the principal (per role, not per STS session) that made most of its calls
//! made bursts at least half as large on this API on its busier recent days (weekend days
//! count too: automation runs on them), and the other principals' calls are not anomalous
//! by themselves. Stolen credentials still fire when they do more than that principal's
//! routine.

use super::episode::Episode;
use super::{window, DetectParams};
use crate::frame::{Attribute, AttributionTable, AttributionValue};
use crate::intern::Sym;
use crate::time::{day_start, Minute, MINUTES_PER_DAY};
use std::collections::HashMap;

/// Settings of the routine filter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoutineParams {
    /// How many earlier days are looked at (only those within `history_days`).
    pub days: usize,
    /// An episode is judged over at least this many minutes.
    pub min_span: Minute,
    /// The principal's bursts count as routine up to this factor above its usual peak:
    /// automation's burst sizes vary about two-fold from day to day, while the misuse
    /// worth an insight is several times a principal's norm.
    pub factor: f64,
    /// Which of the principal's recent daily peaks is its usual peak, as a quantile (0.9:
    /// one of its larger days, since bursty principals vary from day to day).
    pub peak_quantile: f64,
}

impl Default for RoutineParams {
    fn default() -> Self {
        Self { days: 14, min_span: 15, factor: 2.0, peak_quantile: 0.9 }
    }
}

/// Why routine-filter settings are unusable.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RoutineParamError {
    #[error("routine.days must be 1 to {max} (got {0})", max = super::MAX_DAYS)]
    Days(usize),
    #[error("routine.min_span must be 1 to {MINUTES_PER_DAY} minutes (got {0})")]
    MinSpan(Minute),
    #[error("routine.factor must be a number of at least 0 (got {0})")]
    Factor(f64),
    #[error("routine.peak_quantile must be 0 to 1 (got {0})")]
    PeakQuantile(f64),
}

impl RoutineParams {
    pub fn check(self) -> Result<Self, RoutineParamError> {
        if !(1..=super::MAX_DAYS).contains(&self.days) {
            return Err(RoutineParamError::Days(self.days));
        }
        if !(1..=MINUTES_PER_DAY).contains(&self.min_span) {
            return Err(RoutineParamError::MinSpan(self.min_span));
        }
        if !crate::baseline::is_non_negative(self.factor) {
            return Err(RoutineParamError::Factor(self.factor));
        }
        if !(0.0..=1.0).contains(&self.peak_quantile) {
            return Err(RoutineParamError::PeakQuantile(self.peak_quantile));
        }
        Ok(self)
    }
}

/// True when the episode is explained by its main principal's routine. Only days from
/// `history_start` on count: a day before the logs begin says nothing about a routine.
pub fn is_routine(attributions: &AttributionTable, e: &Episode, params: &DetectParams, history_start: Minute) -> bool {
    let p = &params.routine;
    let span = (e.end - e.start).max(p.min_span);
    let mut by_family: HashMap<Sym, u64> = HashMap::new();
    for (v, n) in attributions.counts(e.series, e.start, e.start + span, Attribute::UserIdentityArn) {
        if let AttributionValue::Sym(p) = v {
            *by_family.entry(attributions.family(p)).or_default() += n;
        }
    }
    let Some((&family, &calls)) = by_family.iter().max_by_key(|(f, n)| (**n, std::cmp::Reverse(**f))) else {
        return false;
    };
    let others = by_family.values().sum::<u64>() - calls;
    let expected = e.expected * span as f64 / e.minutes().max(1) as f64;
    if others as f64 - expected >= params.min_excess_calls {
        return false;
    }
    calls as f64 <= p.factor * usual_peak(attributions, e, family, span, history_start, params)
}

/// The [`RoutineParams::peak_quantile`], over recent days, of the family's busiest `span`
/// on the series.
fn usual_peak(attributions: &AttributionTable, e: &Episode, family: Sym, span: Minute, history_start: Minute, params: &DetectParams) -> f64 {
    let today = day_start(e.start);
    let days = params.routine.days.min(params.baseline.history_days);
    let mut peaks: Vec<u64> = (1..=days as Minute)
        .map(|k| today - k * MINUTES_PER_DAY)
        .filter(|&d| d >= history_start)
        .map(|d| window::busiest(&attributions.family_minutes(e.series, family, d, d + MINUTES_PER_DAY), span, |&c| c))
        .collect();
    if peaks.is_empty() {
        return 0.0;
    }
    peaks.sort_unstable();
    peaks[((peaks.len() - 1) as f64 * params.routine.peak_quantile).round() as usize] as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Aggregates;
    use crate::detect::Detector;
    use crate::testutil::{batch, rec, Rec};

    const START: Minute = 20_458 * MINUTES_PER_DAY; // Monday 2026-01-05

    /// A deploy role bursting a dozen calls at a different time every weekday.
    fn deploys(today_calls: u64, session: &'static str) -> (AttributionTable, Episode) {
        let day0 = START;
        let mut recs: Vec<Rec> = Vec::new();
        let mut id = 0;
        for d in [0, 1, 2, 3, 4, 7, 8, 9, 10, 11] {
            for i in 0..12 {
                id += 1;
                let mut r = rec(day0 + d * MINUTES_PER_DAY + 600 + 37 * d + i / 4, id, "RegisterTaskDefinition");
                r.principal = "arn:aws:sts::111122223333:assumed-role/Deploy/run-old";
                recs.push(r);
            }
        }
        let today = day0 + 14 * MINUTES_PER_DAY + 900;
        for i in 0..today_calls {
            id += 1;
            let mut r = rec(today + i as Minute / 4, id, "RegisterTaskDefinition");
            r.principal = session;
            recs.push(r);
        }
        let mut agg = Aggregates::new();
        agg.absorb(batch(&recs));
        let families = agg.principal_families();
        let table = AttributionTable::new(std::mem::take(&mut agg.attributions), 1).with_families(families);
        let e = Episode {
            series: 0, start: today, end: today + 4, detector: Detector::Rate, score: 9.0,
            observed: today_calls as f64, expected: 0.1, window: 5, trigger_end: today + 4,
            reason: None,
        };
        (table, e)
    }

    #[test]
    fn a_roles_usual_burst_is_routine_whatever_the_session() {
        let (table, e) = deploys(12, "arn:aws:sts::111122223333:assumed-role/Deploy/run-new");
        assert!(is_routine(&table, &e, &DetectParams::default(), START));
    }

    #[test]
    fn far_more_than_the_routine_or_another_principal_is_not() {
        let (table, e) = deploys(60, "arn:aws:sts::111122223333:assumed-role/Deploy/run-new");
        assert!(!is_routine(&table, &e, &DetectParams::default(), START));
        let (table, e) = deploys(12, "arn:aws:iam::111122223333:user/mallory");
        assert!(!is_routine(&table, &e, &DetectParams::default(), START));
    }

    #[test]
    fn days_before_the_logs_begin_are_not_quiet_days() {
        // Only two earlier days exist; twelve more before them would otherwise read as 0.
        let (table, e) = deploys(12, "arn:aws:sts::111122223333:assumed-role/Deploy/run-new");
        assert!(is_routine(&table, &e, &DetectParams::default(), START + 8 * MINUTES_PER_DAY));
    }
}
