//! The behaviour model: k-means clusters of per-principal five-minute windows (linfa),
//! with distances calibrated into tail probabilities.
//!
//! Each window is a vector of what a principal did (calls, writes, IAM writes, errors,
//! distinct APIs, error and write shares, and whether its user agent, source IP or APIs
//! were new for it). Features are standardised on the history, clustered with k-means,
//! and a window's score is its distance to the nearest centroid. The distances of the
//! history's own windows calibrate the score: above a high quantile of them the tail is
//! modelled as exponential (peaks over threshold), which turns a distance into a tail
//! probability comparable with the rate models' `alpha`.

use linfa::traits::Fit;
use linfa::DatasetBase;
use linfa_clustering::KMeans;
use ndarray::{Array1, Array2, ArrayView1, Axis};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

/// Number of features per window.
pub const FEATURES: usize = 10;

/// Settings of the behaviour model; validated before any data is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterParams {
    /// Clusters fitted (k of k-means).
    pub clusters: usize,
    /// Fewest history windows the model is fitted on; with fewer it is switched off.
    pub min_windows: usize,
    /// Most windows used for fitting (evenly subsampled beyond that).
    pub max_windows: usize,
    /// Quantile of training distances where the exponential tail begins.
    pub tail_quantile: f64,
}

impl Default for ClusterParams {
    fn default() -> Self {
        Self { clusters: 8, min_windows: 80, max_windows: 8_000, tail_quantile: 0.99 }
    }
}

/// Why behaviour-model settings are unusable.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ClusterParamError {
    #[error("behaviour.model.clusters must be 1 to 1000 (got {0})")]
    Clusters(usize),
    #[error("behaviour.model.min_windows must be at least the clusters, {clusters} (got {got})")]
    MinWindows { got: usize, clusters: usize },
    #[error("behaviour.model.max_windows must be at least min_windows, {min} (got {got})")]
    MaxWindows { got: usize, min: usize },
    #[error("behaviour.model.tail_quantile must be above 0 and below 1 (got {0})")]
    TailQuantile(f64),
}

impl ClusterParams {
    pub fn check(self) -> Result<Self, ClusterParamError> {
        if !(1..=1000).contains(&self.clusters) {
            return Err(ClusterParamError::Clusters(self.clusters));
        }
        if self.min_windows < self.clusters {
            return Err(ClusterParamError::MinWindows { got: self.min_windows, clusters: self.clusters });
        }
        if self.max_windows < self.min_windows {
            return Err(ClusterParamError::MaxWindows { got: self.max_windows, min: self.min_windows });
        }
        if !(self.tail_quantile > 0.0 && self.tail_quantile < 1.0) {
            return Err(ClusterParamError::TailQuantile(self.tail_quantile));
        }
        Ok(self)
    }
}

/// What a principal did in one window, before standardisation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Behaviour {
    pub calls: f64,
    pub writes: f64,
    pub iam_writes: f64,
    pub errors: f64,
    pub apis: f64,
    pub new_agent: bool,
    pub new_ip: bool,
    pub new_apis: f64,
}

impl Behaviour {
    /// The feature vector, before standardisation.
    pub fn features(self) -> [f64; FEATURES] {
        let calls = self.calls.max(1.0);
        [
            self.calls.ln_1p(),
            self.writes.ln_1p(),
            self.iam_writes.ln_1p(),
            self.errors.ln_1p(),
            self.apis.ln_1p(),
            self.errors / calls,
            self.writes / calls,
            f64::from(u8::from(self.new_agent)),
            f64::from(u8::from(self.new_ip)),
            self.new_apis.ln_1p(),
        ]
    }
}

/// Why the model could not be fitted.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("too few windows to fit ({0})")]
    TooFew(usize),
    #[error("k-means failed: {0}")]
    KMeans(String),
}

/// A fitted behaviour model.
#[derive(Debug, Clone)]
pub struct BehaviourModel {
    mean: Array1<f64>,
    scale: Array1<f64>,
    centroids: Array2<f64>,
    tail_start: f64,
    tail_share: f64,
    tail_mean_excess: f64,
}

impl BehaviourModel {
    /// Fits on the history's windows (deterministic: a fixed seed).
    pub fn fit(history: &[Behaviour], params: &ClusterParams) -> Result<Self, ClusterError> {
        if history.len() < params.min_windows.max(1) {
            return Err(ClusterError::TooFew(history.len()));
        }
        let step = history.len().div_ceil(params.max_windows.max(1));
        let rows: Vec<[f64; FEATURES]> = history.iter().step_by(step).map(|b| b.features()).collect();
        let raw = Array2::from_shape_fn((rows.len(), FEATURES), |(i, j)| rows[i][j]);
        let mean = raw.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(FEATURES));
        let scale = raw.std_axis(Axis(0), 0.0).mapv(|s| if s > 1e-9 { s } else { 1.0 });
        let x = (&raw - &mean) / &scale;
        let model = KMeans::params_with_rng(params.clusters, Xoshiro256Plus::seed_from_u64(0x7a11))
            .n_runs(3)
            .max_n_iterations(50)
            .tolerance(1e-4)
            .fit(&DatasetBase::from(x.clone()))
            .map_err(|e| ClusterError::KMeans(e.to_string()))?;
        let centroids = model.centroids().clone();
        let mut fitted = Self { mean, scale, centroids, tail_start: 0.0, tail_share: 1.0 - params.tail_quantile, tail_mean_excess: 1.0 };
        let mut distances: Vec<f64> = x.rows().into_iter().map(|r| fitted.distance_std(r)).collect();
        distances.sort_by(f64::total_cmp);
        fitted.calibrate(&distances, params.tail_quantile);
        Ok(fitted)
    }

    fn calibrate(&mut self, sorted: &[f64], quantile: f64) {
        let at = ((sorted.len() - 1) as f64 * quantile) as usize;
        self.tail_start = sorted[at];
        let excess: Vec<f64> = sorted[at..].iter().map(|d| d - self.tail_start).collect();
        self.tail_mean_excess = (excess.iter().sum::<f64>() / excess.len() as f64).max(1e-3);
        self.tail_share = (sorted.len() - at) as f64 / sorted.len() as f64;
    }

    /// Euclidean distance to the nearest centroid.
    fn distance_std(&self, row: ArrayView1<f64>) -> f64 {
        self.centroids
            .rows()
            .into_iter()
            .map(|c| row.iter().zip(c.iter()).map(|(a, b)| (a - b).powi(2)).sum::<f64>())
            .fold(f64::INFINITY, f64::min)
            .sqrt()
    }

    /// Distance of a window to its nearest cluster, in standardised units.
    pub fn distance(&self, b: &Behaviour) -> f64 {
        let row = (Array1::from(b.features().to_vec()) - &self.mean) / &self.scale;
        self.distance_std(row.view())
    }

    /// Tail probability of a window's distance under the history's distances.
    pub fn tail_probability(&self, b: &Behaviour) -> f64 {
        let d = self.distance(b);
        if d <= self.tail_start {
            return 1.0;
        }
        (self.tail_share * (-(d - self.tail_start) / self.tail_mean_excess).exp()).max(crate::baseline::tail::MIN_P)
    }
}

/// A fitted model as plain numbers: what the nightly state keeps (SPEC §7).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelParts {
    /// Per-feature mean and standard deviation of the training windows.
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    /// One row per cluster, in standardised units.
    pub centroids: Vec<Vec<f64>>,
    /// Tail calibration: the distance where the exponential tail begins, the share of
    /// training windows beyond it, and their mean excess distance.
    pub tail_start: f64,
    pub tail_share: f64,
    pub tail_mean_excess: f64,
}

impl BehaviourModel {
    pub fn to_parts(&self) -> ModelParts {
        ModelParts {
            mean: self.mean.to_vec(),
            scale: self.scale.to_vec(),
            centroids: self.centroids.rows().into_iter().map(|r| r.to_vec()).collect(),
            tail_start: self.tail_start,
            tail_share: self.tail_share,
            tail_mean_excess: self.tail_mean_excess,
        }
    }

    /// The model of `parts`, or why they do not make one (wrong sizes, non-finite or
    /// non-positive numbers where the model divides by them).
    pub fn from_parts(p: ModelParts) -> Result<Self, String> {
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        if p.mean.len() != FEATURES || p.scale.len() != FEATURES || p.centroids.is_empty() || p.centroids.iter().any(|c| c.len() != FEATURES) {
            return Err(format!("a behaviour model has {FEATURES} features per row and at least one centroid"));
        }
        let numbers_ok = finite(&p.mean)
            && p.scale.iter().all(|s| s.is_finite() && *s > 0.0)
            && p.centroids.iter().all(|c| finite(c))
            && finite(&[p.tail_start])
            && p.tail_share > 0.0
            && p.tail_share <= 1.0
            && p.tail_mean_excess.is_finite()
            && p.tail_mean_excess > 0.0;
        if !numbers_ok {
            return Err("a behaviour model holds a number out of its range".to_string());
        }
        let k = p.centroids.len();
        let centroids = Array2::from_shape_fn((k, FEATURES), |(i, j)| p.centroids[i][j]);
        Ok(Self {
            mean: Array1::from(p.mean),
            scale: Array1::from(p.scale),
            centroids,
            tail_start: p.tail_start,
            tail_share: p.tail_share,
            tail_mean_excess: p.tail_mean_excess,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routine(i: usize) -> Behaviour {
        Behaviour {
            calls: 20.0 + (i % 7) as f64,
            writes: (i % 3) as f64,
            apis: 3.0 + (i % 2) as f64,
            errors: f64::from(u8::from(i % 50 == 0)),
            ..Behaviour::default()
        }
    }

    #[test]
    fn ordinary_windows_are_close_and_a_backdoor_burst_is_far() {
        let history: Vec<Behaviour> = (0..2_000).map(routine).collect();
        let model = BehaviourModel::fit(&history, &ClusterParams::default()).unwrap();
        assert!(model.tail_probability(&routine(5)) > 1e-3);
        let burst = Behaviour {
            calls: 40.0, writes: 35.0, iam_writes: 35.0, errors: 0.0, apis: 5.0,
            new_agent: true, new_ip: true, new_apis: 5.0,
        };
        assert!(model.tail_probability(&burst) < 1e-7, "{}", model.tail_probability(&burst));
    }

    #[test]
    fn a_model_survives_its_parts() {
        let history: Vec<Behaviour> = (0..500).map(routine).collect();
        let model = BehaviourModel::fit(&history, &ClusterParams::default()).unwrap();
        let again = BehaviourModel::from_parts(model.to_parts()).unwrap();
        assert_eq!(again.to_parts(), model.to_parts());
        let mut bad = model.to_parts();
        bad.scale[3] = 0.0;
        assert!(BehaviourModel::from_parts(bad).is_err());
    }

    #[test]
    fn too_little_history_is_refused() {
        assert!(matches!(BehaviourModel::fit(&[Behaviour::default(); 10], &ClusterParams::default()), Err(ClusterError::TooFew(10))));
    }
}
