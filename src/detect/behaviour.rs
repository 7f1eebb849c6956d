//! The behaviour detector: principal windows far from every learned cluster.
//!
//! Windows are built per principal (role, not session) in time order, each marked with
//! what was new for that principal (user agent, source IP, APIs). The k-means model of
//! [`crate::baseline::cluster`] is fitted on the windows before the judged period; a
//! judged window whose calibrated tail probability is below `alpha`, and which has enough
//! writes or errors to matter, becomes a burst. Each burst is reported as an episode on
//! every write or error series the principal pushed above its time-of-day rate (twice
//! it, and three calls more), so the output stays standard AWS Insight records.

use super::episode::{Detector, Episode};
use super::{DetectParams, Timelines};
use crate::aggregate::{Aggregates, SeriesId, WindowStats, WINDOW_MINUTES};
use crate::baseline::cluster::{Behaviour, BehaviourModel};
use crate::baseline::tail::score;
use crate::frame::{AttributionTable, CountsTable};
use crate::intern::Sym;
use crate::time::Minute;
use std::collections::{BTreeMap, HashSet};

/// Writes plus errors a window needs before its behaviour can be reported.
const MIN_ACTIONS: u32 = 10;
/// Calls a principal must make on a series in a burst for the series to be reported.
const MIN_SERIES_CALLS: u32 = 3;

/// One principal's windows in time order, with their behaviour vectors.
struct PrincipalWindows {
    account: Sym,
    family: Sym,
    windows: Vec<(Minute, Behaviour, Vec<(SeriesId, u32)>, u32)>,
}

/// Finds windows unlike anything in the history and reports them per series.
pub fn detect(agg: &Aggregates, table: &CountsTable, attributions: &AttributionTable, timelines: &Timelines, params: &DetectParams) -> Vec<Episode> {
    let principals = principal_timelines(agg);
    let history: Vec<Behaviour> = principals
        .iter()
        .flat_map(|p| {
            let t = timelines.of_account(p.account);
            p.windows.iter().filter(move |w| w.0 < t.judge_from).map(|w| w.1)
        })
        .collect();
    let model = match BehaviourModel::fit(&history) {
        Ok(model) => model,
        Err(why) => {
            tracing::info!(windows = history.len(), %why, "behaviour model skipped");
            return Vec::new();
        }
    };
    tracing::info!(windows = history.len(), "behaviour model fitted");
    let mut out = Vec::new();
    for p in &principals {
        let mut bursts: Vec<(Minute, Minute, f64, BTreeMap<SeriesId, u32>)> = Vec::new();
        let timeline = timelines.of_account(p.account);
        for (start, b, series, actions) in p.windows.iter().filter(|w| timeline.is_judged(w.0)) {
            if *actions < MIN_ACTIONS {
                continue;
            }
            let prob = model.tail_probability(b);
            if prob >= params.alpha() {
                continue;
            }
            let end = start + WINDOW_MINUTES;
            match bursts.last_mut() {
                Some(last) if last.1 >= *start => {
                    last.1 = end;
                    last.2 = last.2.max(score(prob));
                    series.iter().for_each(|(s, n)| *last.3.entry(*s).or_default() += n);
                }
                _ => bursts.push((*start, end, score(prob), series.iter().copied().collect())),
            }
        }
        for (start, end, s, series) in bursts {
            out.extend(series.into_iter().filter(|(_, n)| *n >= MIN_SERIES_CALLS).filter_map(|(series, _)| {
                episode(table, attributions, p.family, series, start, end, s)
                    .filter(|e| e.observed >= params.min_ratio * e.expected + f64::from(MIN_SERIES_CALLS))
            }));
        }
    }
    out
}

/// The episode of one series in a burst: from the principal's first to last call on it,
/// with the calls expected at that time of day (the same hour on the last seven days).
fn episode(table: &CountsTable, attributions: &AttributionTable, family: Sym, series: SeriesId, from: Minute, to: Minute, s: f64) -> Option<Episode> {
    let calls = attributions.family_minutes(series, family, from, to);
    let (start, end) = (calls.first()?.0, calls.last()?.0 + 1);
    let same_hour: u64 = (1..=7)
        .map(|k| start - k * crate::time::MINUTES_PER_DAY)
        .map(|t| table.window_sum(series, t - 30, t + 30))
        .sum();
    let rate = same_hour as f64 / (7.0 * 60.0);
    Some(Episode {
        series,
        start,
        end,
        detector: Detector::Behaviour,
        score: s,
        observed: table.window_sum(series, start, end) as f64,
        expected: rate * (end - start) as f64,
        window: WINDOW_MINUTES as usize,
        trigger_end: end,
    })
}

/// Every principal's windows in time order, with novelty marked against its own past.
fn principal_timelines(agg: &Aggregates) -> Vec<PrincipalWindows> {
    let mut by_principal: BTreeMap<(Sym, Sym), Vec<(Minute, &WindowStats)>> = BTreeMap::new();
    for (&(account, family, window), stats) in &agg.behaviour {
        by_principal.entry((account, family)).or_default().push((window * WINDOW_MINUTES, stats));
    }
    by_principal
        .into_iter()
        .map(|((account, family), mut windows)| {
            windows.sort_by_key(|w| w.0);
            PrincipalWindows { account, family, windows: with_novelty(&windows) }
        })
        .collect()
}

fn with_novelty(windows: &[(Minute, &WindowStats)]) -> Vec<(Minute, Behaviour, Vec<(SeriesId, u32)>, u32)> {
    let (mut agents, mut ips, mut apis) = (HashSet::new(), HashSet::new(), HashSet::new());
    windows
        .iter()
        .map(|&(start, w)| {
            let new = |seen: &mut HashSet<Sym>, values: &[Sym]| values.iter().filter(|v| seen.insert(**v)).count();
            let b = Behaviour {
                calls: f64::from(w.calls),
                writes: f64::from(w.writes),
                iam_writes: f64::from(w.iam_writes),
                errors: f64::from(w.errors),
                apis: w.apis.len() as f64,
                new_agent: new(&mut agents, &w.agents) > 0,
                new_ip: new(&mut ips, &w.ips) > 0,
                new_apis: new(&mut apis, &w.apis) as f64,
            };
            (start, b, w.series.clone(), w.writes + w.errors)
        })
        .collect()
}
