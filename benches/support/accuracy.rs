//! The accuracy benchmark's runner: simulate fresh histories, run detection in-process
//! through the library, score it against the labels, beside the naive 3-sigma detector
//! on the same data.

use crate::score::{score, InsightView, Scorecard};
use std::path::{Path, PathBuf};
use std::time::Instant;
use trailsight::detect::{DetectParams, Model};
use trailsight::engine::{self, Inputs, Outputs};
use trailsight::ingest::{Discovery, ReadLimits};
use trailsight::insight::InsightRecord;
use trailsight::simulate::{simulate, AnomalyMix, Labels, SimConfig};
use trailsight::sink::CollectSink;

/// Which injected scenario mix a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    Standard,
    Hard,
    /// The standard mix plus quiet IAM persistence and the data-event attacks and decoys,
    /// judged with data events on.
    Reach,
}

impl Mix {
    pub fn as_str(self) -> &'static str {
        match self {
            Mix::Standard => "standard",
            Mix::Hard => "hard",
            Mix::Reach => "reach",
        }
    }

    pub fn parse(name: &str) -> anyhow::Result<Self> {
        match name {
            "standard" => Ok(Mix::Standard),
            "hard" => Ok(Mix::Hard),
            "reach" => Ok(Mix::Reach),
            other => anyhow::bail!("unknown mix {other:?} (standard, hard, reach)"),
        }
    }

    fn anomalies(self) -> AnomalyMix {
        match self {
            Mix::Standard => AnomalyMix::default(),
            Mix::Hard => AnomalyMix::hard(),
            Mix::Reach => AnomalyMix::reach(),
        }
    }

    /// Whether detection reads data events too (`--event-categories management,data`).
    fn data_events(self) -> bool {
        self == Mix::Reach
    }
}

/// What to benchmark.
#[derive(Debug, Clone)]
pub struct AccuracyConfig {
    pub seeds: Vec<u64>,
    pub mixes: Vec<Mix>,
    pub days: u32,
    pub scale: f64,
    pub accounts: u32,
    pub regions: u32,
    /// Where histories are simulated (one folder per seed and mix).
    pub work_dir: PathBuf,
    pub params: DetectParams,
}

/// The score of one model on one simulated history.
#[derive(Debug, Clone)]
pub struct AccuracyRun {
    pub seed: u64,
    pub mix: Mix,
    pub model: Model,
    pub card: Scorecard,
    pub records: u64,
    pub detect_seconds: f64,
}

/// Why the benchmark stopped.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Simulate(#[from] trailsight::simulate::SimError),
    #[error(transparent)]
    Engine(#[from] trailsight::engine::EngineError),
}

/// Runs every (seed, mix) for both models, calling `on_run` as each finishes.
pub fn run_accuracy(cfg: &AccuracyConfig, mut on_run: impl FnMut(&AccuracyRun)) -> Result<Vec<AccuracyRun>, BenchError> {
    let mut runs = Vec::new();
    for &seed in &cfg.seeds {
        for &mix in &cfg.mixes {
            let dir = cfg.work_dir.join(format!("seed-{seed}-{}", mix.as_str()));
            let sim = SimConfig {
                out: dir.clone(),
                days: cfg.days,
                seed,
                accounts: cfg.accounts,
                regions: cfg.regions,
                scale: cfg.scale,
                anomalies: mix.anomalies(),
                ..SimConfig::default()
            };
            let summary = simulate(&sim)?;
            let labels = Labels::load(&summary.labels_path)?;
            for model in [Model::Seasonal, Model::Naive] {
                let params = DetectParams { model, ..cfg.params };
                let run = score_one(&dir, &labels, &params, seed, mix)?;
                on_run(&run);
                runs.push(run);
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    Ok(runs)
}

fn score_one(dir: &Path, labels: &Labels, params: &DetectParams, seed: u64, mix: Mix) -> Result<AccuracyRun, BenchError> {
    let inputs: Vec<PathBuf> = ["AWSLogs", "second-trail"].iter().map(|p| dir.join(p)).filter(|p| p.exists()).collect();
    let mut records: Vec<InsightRecord> = Vec::new();
    let started = Instant::now();
    let outputs = Outputs { insights: Box::new(CollectSink::new(&mut records)), explanations: None, counts: None };
    let read = Inputs {
        paths: &inputs,
        admit: &|_| true,
        limits: ReadLimits::default(),
        remote: &Discovery::default(),
        data_events: mix.data_events(),
    };
    let summary = engine::run_admitting(&read, params, outputs, &|_| {}, &|| {})?;
    let detect_seconds = started.elapsed().as_secs_f64();
    let views: Vec<InsightView> =
        records.iter().filter(|r| r.insight_details.state == "Start").filter_map(InsightView::of).collect();
    let judged_days = summary.timeline.map_or(0, |t| t.judged_days().len()) as f64;
    Ok(AccuracyRun {
        seed,
        mix,
        model: params.model,
        card: score(labels, &views, judged_days),
        records: summary.stats.records,
        detect_seconds,
    })
}

/// Scorecards of several runs pooled into one (anomalies and insights summed).
pub fn pool<'a>(runs: impl Iterator<Item = &'a AccuracyRun>) -> Scorecard {
    let mut total = Scorecard::default();
    for r in runs {
        total.anomalies.extend(r.card.anomalies.iter().cloned());
        total.insights += r.card.insights;
        total.false_insights.extend(r.card.false_insights.iter().cloned());
        total.decoys_fired.extend(r.card.decoys_fired.iter().map(|d| format!("seed {} {}: {d}", r.seed, r.mix.as_str())));
        total.account_days += r.card.account_days;
    }
    total
}
