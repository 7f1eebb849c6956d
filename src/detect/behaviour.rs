//! The behaviour detector: principal windows far from every learned cluster.
//!
//! Windows are built per principal (role, not session) in time order, each marked with
//! what was new for that principal (user agent, source IP, APIs). The k-means model of
//! [`crate::baseline::cluster`] is fitted each week (Monday 00:00 UTC) on the windows of
//! the `history_days` before it (see [`WeeklyModels`]); a judged window whose calibrated tail probability is below `alpha`,
//! and which has enough writes or errors to matter, becomes a burst. Each burst is
//! reported as an episode on every write or error series the principal pushed above its
//! time-of-day rate (`min_ratio` times it, and [`BehaviourParams::min_series_calls`]
//! more), so the output stays standard AWS Insight records.

use super::episode::{Detector, Episode};
use super::{DetectParams, Timeline, Timelines};
use crate::aggregate::{SeriesId, WindowStats, WINDOW_MINUTES};
use crate::baseline::cluster::{Behaviour, BehaviourModel, ClusterParamError, ClusterParams};
use crate::baseline::tail::score;
use crate::frame::{self, AttributionTable, CountsTable, Frames};
use crate::intern::Sym;
use crate::time::{Minute, MINUTES_PER_DAY};
use std::collections::{BTreeMap, HashMap};

/// Settings of the behaviour detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BehaviourParams {
    /// Writes plus errors a window needs before its behaviour can be reported.
    pub min_actions: u32,
    /// Calls a principal must make on a series in a burst for the series to be reported,
    /// and calls beyond `min_ratio` times its expectation it must reach.
    pub min_series_calls: u32,
    /// Earlier days whose same time of day gives a reported series' expected calls (only
    /// those within `history_days`).
    pub same_hour_days: usize,
    /// Minutes either side of a time of day that count as "the same hour".
    pub same_hour_radius: Minute,
    /// The k-means model.
    pub model: ClusterParams,
}

impl Default for BehaviourParams {
    fn default() -> Self {
        Self { min_actions: 10, min_series_calls: 3, same_hour_days: 7, same_hour_radius: 30, model: ClusterParams::default() }
    }
}

/// Why behaviour-detector settings are unusable.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BehaviourParamError {
    #[error("behaviour.same_hour_days must be 1 to {max} (got {0})", max = super::MAX_DAYS)]
    SameHourDays(usize),
    #[error("behaviour.same_hour_radius must be 0 to 720 minutes (got {0})")]
    SameHourRadius(Minute),
    #[error(transparent)]
    Model(#[from] ClusterParamError),
}

impl BehaviourParams {
    pub fn check(self) -> Result<Self, BehaviourParamError> {
        if !(1..=super::MAX_DAYS).contains(&self.same_hour_days) {
            return Err(BehaviourParamError::SameHourDays(self.same_hour_days));
        }
        if !(0..=720).contains(&self.same_hour_radius) {
            return Err(BehaviourParamError::SameHourRadius(self.same_hour_radius));
        }
        self.model.check()?;
        Ok(self)
    }
}

/// One principal's windows in time order, with their behaviour vectors.
struct PrincipalWindows {
    account: Sym,
    family: Sym,
    windows: Vec<(Minute, Behaviour, Vec<(SeriesId, u32)>, u32)>,
}

/// Finds windows unlike anything in the history and reports them per series, fitting
/// each week's model afresh.
pub fn detect(frames: &Frames, timelines: &Timelines, params: &DetectParams) -> Vec<Episode> {
    detect_with(frames, timelines, params, &mut WeeklyModels::default())
}

/// [`detect`], reusing the models in `models` whose training windows are unchanged and
/// adding the ones it fits (the nightly state keeps them between runs).
pub fn detect_with(frames: &Frames, timelines: &Timelines, params: &DetectParams, models: &mut WeeklyModels) -> Vec<Episode> {
    let (table, attributions) = (&frames.counts, &frames.attributions);
    let history_minutes = params.baseline.history_days as Minute * MINUTES_PER_DAY;
    let principals = principal_timelines(&frames.behaviour, history_minutes);
    let weeks: std::collections::BTreeSet<Minute> = principals
        .iter()
        .flat_map(|p| {
            let t = timelines.of_account(p.account);
            p.windows.iter().filter(move |w| t.is_judged(w.0) && w.3 >= params.behaviour.min_actions).map(|w| week_start(w.0))
        })
        .collect();
    for &week in &weeks {
        let training = week - history_minutes..week;
        let history: Vec<Behaviour> =
            principals.iter().flat_map(|p| p.windows.iter().filter(|w| training.contains(&w.0)).map(|w| w.1)).collect();
        models.ensure(week, &history, &params.behaviour.model);
    }
    let bp = &params.behaviour;
    let mut out = Vec::new();
    for p in &principals {
        let mut bursts: Vec<(Minute, Minute, f64, BTreeMap<SeriesId, u32>)> = Vec::new();
        let timeline = timelines.of_account(p.account);
        for (start, b, series, actions) in p.windows.iter().filter(|w| timeline.is_judged(w.0)) {
            if *actions < bp.min_actions {
                continue;
            }
            let Some(model) = models.model(week_start(*start)) else { continue };
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
            let burst = Burst { family: p.family, from: start, to: end, score: s };
            out.extend(series.into_iter().filter(|(_, n)| *n >= bp.min_series_calls).filter_map(|(series, _)| {
                episode(table, attributions, timeline, params, &burst, series)
                    .filter(|e| e.observed >= params.min_ratio * e.expected + f64::from(bp.min_series_calls))
            }));
        }
    }
    out
}

/// Monday 00:00 UTC of the week holding `m`: the behaviour model is refitted weekly.
pub fn week_start(m: Minute) -> Minute {
    // 1970-01-05, day 4 of the epoch, was a Monday.
    let day = m.div_euclid(MINUTES_PER_DAY);
    ((day - 4).div_euclid(7) * 7 + 4) * MINUTES_PER_DAY
}

/// The behaviour models by week: each judges the windows of its week (Monday 00:00 UTC
/// on) and was fitted on the windows of the `history_days` before that Monday, so a
/// model never sees what it judges, and a run over a long history, or the nightly runs
/// over it, judge every week with the same model. A week with too few windows has none.
#[derive(Debug, Clone, Default)]
pub struct WeeklyModels {
    pub weeks: BTreeMap<Minute, FittedWeek>,
}

/// One week's model and the fingerprint of the windows it was fitted on.
#[derive(Debug, Clone)]
pub struct FittedWeek {
    /// Stable hash of the training windows' features: a kept model is reused only
    /// when the windows it would be fitted on are the same.
    pub fingerprint: u64,
    pub windows: usize,
    pub model: Option<BehaviourModel>,
}

impl WeeklyModels {
    /// Fits the model of `week` on `history` unless the one kept was fitted on the same.
    fn ensure(&mut self, week: Minute, history: &[Behaviour], params: &ClusterParams) {
        let fingerprint = fingerprint(history, params);
        if self.weeks.get(&week).is_some_and(|w| w.fingerprint == fingerprint) {
            return;
        }
        let model = match BehaviourModel::fit(history, params) {
            Ok(model) => {
                tracing::info!(windows = history.len(), week = %crate::time::format_minute(week), "behaviour model fitted");
                Some(model)
            }
            Err(why) => {
                tracing::info!(windows = history.len(), %why, "behaviour model skipped");
                None
            }
        };
        self.weeks.insert(week, FittedWeek { fingerprint, windows: history.len(), model });
    }

    fn model(&self, week: Minute) -> Option<&BehaviourModel> {
        self.weeks.get(&week).and_then(|w| w.model.as_ref())
    }

    /// Forgets the models of weeks before `week`.
    pub fn forget_before(&mut self, week: Minute) {
        self.weeks.retain(|&w, _| w >= week);
    }
}

/// Stable hash of what a fit depends on: the windows' features and the settings.
fn fingerprint(history: &[Behaviour], params: &ClusterParams) -> u64 {
    let mut bits: Vec<u64> = history.iter().flat_map(|b| b.features()).map(f64::to_bits).collect();
    bits.extend([params.clusters, params.min_windows, params.max_windows].map(|v| v as u64));
    bits.push(params.tail_quantile.to_bits());
    crate::hash::stable_hash(&bits)
}

/// One principal's run of anomalous windows, `[from, to)`.
struct Burst {
    family: Sym,
    from: Minute,
    to: Minute,
    score: f64,
}

/// The episode of one series in a burst: from the principal's first to last call on it,
/// with the calls expected at that time of day (the same hour on the earlier days that
/// the account's history and `history_days` hold; none expected without one).
fn episode(table: &CountsTable, attributions: &AttributionTable, timeline: &Timeline, params: &DetectParams, b: &Burst, series: SeriesId) -> Option<Episode> {
    let calls = attributions.family_minutes(series, b.family, b.from, b.to);
    let (start, end) = (calls.first()?.0, calls.last()?.0 + 1);
    let bp = &params.behaviour;
    let days: Vec<Minute> = (1..=bp.same_hour_days.min(params.baseline.history_days) as Minute)
        .map(|k| start - k * MINUTES_PER_DAY)
        .take_while(|&t| t >= timeline.origin)
        .collect();
    let same_hour: u64 = days.iter().map(|&t| table.window_sum(series, t - bp.same_hour_radius, t + bp.same_hour_radius)).sum();
    let rate = same_hour as f64 / (days.len() as f64 * 2.0 * bp.same_hour_radius as f64).max(1.0);
    Some(Episode {
        series,
        start,
        end,
        detector: Detector::Behaviour,
        score: b.score,
        observed: table.window_sum(series, start, end) as f64,
        expected: rate * (end - start) as f64,
        window: WINDOW_MINUTES as usize,
        trigger_end: end,
        reason: None,
    })
}

/// Every principal's windows in time order, with novelty marked against its own past
/// `history` minutes (what it last did longer ago than that is new again, so that the
/// features, like the baselines, depend only on the history a run keeps).
fn principal_timelines(table: &[frame::PrincipalWindows], history: Minute) -> Vec<PrincipalWindows> {
    table
        .iter()
        .map(|p| PrincipalWindows { account: p.account, family: p.family, windows: with_novelty(&p.windows, history) })
        .collect()
}

fn with_novelty(windows: &[(Minute, WindowStats)], history: Minute) -> Vec<(Minute, Behaviour, Vec<(SeriesId, u32)>, u32)> {
    let (mut agents, mut ips, mut apis) = (HashMap::new(), HashMap::new(), HashMap::new());
    windows
        .iter()
        .map(|&(start, ref w)| {
            // New: not seen in the `history` minutes before this window.
            let new = |seen: &mut HashMap<Sym, Minute>, values: &[Sym]| {
                values.iter().filter(|v| seen.insert(**v, start).is_none_or(|last| last < start - history)).count()
            };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Aggregates;
    use crate::testutil::{batch, rec, Rec};

    const START: Minute = 20_458 * MINUTES_PER_DAY; // Monday 2026-01-05
    const DAYS: Minute = 10;
    const CI: &str = "arn:aws:sts::111122223333:assumed-role/ci/run-1";
    const ALICE: &str = "arn:aws:iam::111122223333:user/alice";

    /// Ten days of routine: a CI role reading and tagging every half hour around the
    /// clock, alice reading a little every office hour.
    fn routine() -> Vec<Rec> {
        let mut recs = Vec::new();
        let mut id = 0;
        let mut push = |minute: Minute, name: &'static str, principal: &'static str, read_only: bool| {
            id += 1;
            let mut r = rec(minute, id, name);
            (r.principal, r.read_only) = (principal, read_only);
            recs.push(r);
        };
        for t in (0..DAYS * MINUTES_PER_DAY).step_by(30) {
            let m = START + t;
            for i in 0..4 + t / 30 % 3 {
                push(m + i % 3, "DescribeInstances", CI, true);
            }
            push(m + 1, "CreateTags", CI, false);
            if (9 * 60..17 * 60).contains(&(t % MINUTES_PER_DAY)) && t % 60 == 0 {
                push(m + 10, "DescribeInstances", ALICE, true);
                push(m + 11, "DescribeVolumes", ALICE, true);
            }
        }
        recs
    }

    /// Alice, from a new tool, creating a backdoor user in one five-minute window.
    fn backdoor(at: Minute) -> Vec<Rec> {
        let names = ["CreateUser", "AttachUserPolicy", "CreateAccessKey", "CreateLoginProfile"];
        (0..32)
            .map(|i| {
                let mut r = rec(at + i / 8, 1_000_000 + i as u64, names[i as usize % 4]);
                (r.principal, r.source, r.agent) = (ALICE, "iam.amazonaws.com", "curl/8.0");
                r
            })
            .collect()
    }

    /// The behaviour detector on records, as the engine runs it.
    fn run(recs: &[Rec], params: &DetectParams) -> (Vec<Episode>, Vec<String>) {
        let mut agg = Aggregates::new();
        agg.absorb(batch(recs));
        agg.settle();
        let timelines = Timelines::new(&agg, params).unwrap();
        let frames = Frames::new(agg).unwrap();
        let found = detect(&frames, &timelines, params);
        let names = found.iter().map(|e| frames.strings.resolve(frames.series[e.series as usize].name).to_string()).collect();
        (found, names)
    }

    #[test]
    fn routine_windows_do_not_fire() {
        let (found, names) = run(&routine(), &DetectParams::default());
        assert!(found.is_empty(), "{names:?}");
    }

    #[test]
    fn a_burst_of_a_principals_unusual_window_fires_on_each_api_it_wrote() {
        let at = START + 8 * MINUTES_PER_DAY + 14 * 60 + 5;
        let mut recs = routine();
        recs.extend(backdoor(at));
        let (found, mut names) = run(&recs, &DetectParams::default());
        names.sort();
        assert_eq!(names, ["AttachUserPolicy", "CreateAccessKey", "CreateLoginProfile", "CreateUser"], "{found:?}");
        for e in &found {
            assert_eq!(e.detector, Detector::Behaviour);
            assert!((at..at + 5).contains(&e.start) && e.end <= at + 5, "{e:?}");
            assert_eq!((e.observed, e.expected), (8.0, 0.0), "{e:?}");
            assert!(e.score > 7.0, "{e:?}");
        }
    }

    #[test]
    fn too_little_history_switches_the_model_off() {
        let at = START + 8 * MINUTES_PER_DAY + 14 * 60 + 5;
        let mut recs = routine();
        recs.extend(backdoor(at));
        let mut params = DetectParams::default();
        // Ten days of half-hourly windows (a few hundred) are fewer than this.
        params.behaviour.model.min_windows = 5_000;
        assert!(run(&recs, &params).0.is_empty());
        // As is a single day of history: 48 CI windows and a few of alice's.
        let one_day: Vec<Rec> = recs.into_iter().filter(|r| r.minute >= START + 7 * MINUTES_PER_DAY).collect();
        let params = DetectParams { warmup_days: 1, ..DetectParams::default() };
        assert!(run(&one_day, &params).0.is_empty());
    }
}
