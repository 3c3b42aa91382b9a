//! Structured multi-task problems: coefficients smooth along a chain of tasks,
//! clustered in groups of tasks, of low rank, or shared with a few outlier
//! tasks; shared or per-task designs with their own n_t; one noise level for
//! all tasks or one per task.
//!
//! ```text
//! y_t = X_t w_t + σ_t · N(0, I),   rows of W outside the support are 0 for every task
//! chain:    w_{t+1} = w_t + smoothness · N(0, I)      (on the support)
//! clusters: w_t = c_{g(t)} + within · N(0, I),  c_g ~ 10 · N(0, I)
//! low rank: W_S = 5 A Bᵀ / √r,  A (|S| × r), B (T × r) ~ N(0, 1)   (rank r)
//! outliers: W = P + Q,  P_S ~ 5 · N(0, 1) (shared support),
//!           Q_{:,t} ~ 5 · scale · N(0, I_p) for the outlier tasks (all p features), 0 else
//! ```
//!
//! The low-rank and outlier structures are the models of the trace norm and
//! of robust multi-task feature learning ([`crate::penalty::TraceNorm`],
//! [`crate::penalty::RobustMtfl`]); per-task noise levels
//! ([`StructuredTasks::task_noise`]) are what
//! [`crate::models::noise_weights`] estimates.

use super::{check_positive, check_size, rng, standard_normal_mat};
use crate::error::{Error, Result};
use crate::penalty::TaskGraph;
use faer::Mat;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, StandardNormal};

/// How the tasks' coefficient vectors relate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TaskStructure {
    /// Tasks ordered in time: neighbours differ by `smoothness · N(0, 1)` per
    /// coefficient (the true graph is the chain).
    Chain {
        /// Step size between neighbouring tasks (relative to a unit-scale start).
        smoothness: f64,
    },
    /// Tasks in `n_clusters` groups (task t in group t mod n_clusters): a group
    /// centre plus `within · N(0, 1)` (the true graph links tasks of a group).
    Clusters {
        /// Number of groups.
        n_clusters: usize,
        /// Spread within a group, relative to the spread of the centres (10).
        within: f64,
    },
    /// The support rows of W form a matrix of rank `rank` (at most the
    /// support size and T): the tasks share a `rank`-dimensional subspace.
    LowRank {
        /// Rank r ≥ 1.
        rank: usize,
    },
    /// Shared support for all tasks plus `n_outliers` outlier tasks (drawn at
    /// random) whose coefficients get a dense extra column over all features.
    OutlierTasks {
        /// Number of outlier tasks (at most T).
        n_outliers: usize,
        /// Size of the outlier columns relative to the shared coefficients.
        scale: f64,
    },
}

/// Generator of structured multi-task problems.
///
/// ```
/// use mtreg::generate::{StructuredTasks, TaskStructure};
/// let d = StructuredTasks::new(vec![30, 50, 40], 20)
///     .structure(TaskStructure::Clusters { n_clusters: 2, within: 0.1 })
///     .seed(3)
///     .generate()?;
/// assert_eq!(d.xs[1].nrows(), 50);
/// assert_eq!((d.coef.nrows(), d.coef.ncols()), (20, 3));
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StructuredTasks {
    /// Samples per task n_t (their number is T).
    pub n_samples: Vec<usize>,
    /// Features p.
    pub n_features: usize,
    /// Rows of W that are non-zero (shared support).
    pub n_informative: usize,
    /// Relationship between tasks.
    pub structure: TaskStructure,
    /// Noise standard deviation.
    pub noise: f64,
    /// Per-task noise standard deviations (overrides `noise` when set).
    pub task_noise: Option<Vec<f64>>,
    /// One design for all tasks (all n_t must then be equal).
    pub shared_design: bool,
    /// Seed.
    pub seed: u64,
}

/// A generated structured problem.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StructuredData {
    /// Designs X_t (n_t × p); all equal with `shared_design`.
    pub xs: Vec<Mat<f64>>,
    /// Targets y_t.
    pub ys: Vec<Vec<f64>>,
    /// True W (p × T).
    pub coef: Mat<f64>,
    /// The true task graph (chain, or complete within clusters).
    pub graph: TaskGraph,
    /// Cluster label per task (all 0 for a chain).
    pub clusters: Vec<usize>,
    /// The outlier tasks, increasing (empty unless `OutlierTasks`).
    pub outliers: Vec<usize>,
    /// Noise standard deviation of each task.
    pub noise: Vec<f64>,
}

impl StructuredTasks {
    /// Per-task sample sizes and the number of features; chain structure with
    /// smoothness 0.3, 5 informative features, noise 1, seed 0.
    pub fn new(n_samples: Vec<usize>, n_features: usize) -> Self {
        Self {
            n_samples,
            n_features,
            n_informative: 5,
            structure: TaskStructure::Chain { smoothness: 0.3 },
            noise: 1.0,
            task_noise: None,
            shared_design: false,
            seed: 0,
        }
    }
    /// Sets the support size.
    pub fn n_informative(mut self, k: usize) -> Self {
        self.n_informative = k;
        self
    }
    /// Sets the task structure.
    pub fn structure(mut self, s: TaskStructure) -> Self {
        self.structure = s;
        self
    }
    /// Sets the noise level.
    pub fn noise(mut self, s: f64) -> Self {
        self.noise = s;
        self
    }
    /// One noise standard deviation per task (tasks of unequal noise);
    /// overrides [`noise`](Self::noise).
    pub fn task_noise(mut self, sd: Vec<f64>) -> Self {
        self.task_noise = Some(sd);
        self
    }
    /// One design for all tasks.
    pub fn shared_design(mut self, yes: bool) -> Self {
        self.shared_design = yes;
        self
    }
    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Draws the problem.
    ///
    /// # Errors
    /// `InvalidParameter` for no tasks, a task without samples, p = 0, negative
    /// noise or spreads, zero clusters, rank 0, more outliers than tasks, a
    /// negative outlier scale, or unequal n_t with `shared_design`;
    /// `ShapeMismatch` for per-task noise of the wrong length.
    pub fn generate(&self) -> Result<StructuredData> {
        let t = self.n_samples.len();
        check_positive("number of tasks", t)?;
        check_positive("n_features", self.n_features)?;
        for &n in &self.n_samples {
            check_positive("samples of a task", n)?;
            check_size(("n_samples", n), ("n_features", self.n_features))?;
        }
        let bad = |name, value: f64| Error::InvalidParameter {
            name,
            value,
            expected: "finite and >= 0",
        };
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(bad("noise", self.noise));
        }
        let noise_sd = match &self.task_noise {
            Some(sd) => {
                if sd.len() != t {
                    return Err(Error::ShapeMismatch {
                        what: "per-task noise levels vs tasks",
                        expected: t,
                        found: sd.len(),
                    });
                }
                if let Some(&v) = sd.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                    return Err(bad("task noise", v));
                }
                sd.clone()
            }
            None => vec![self.noise; t],
        };
        match self.structure {
            TaskStructure::Chain { smoothness }
                if !(smoothness.is_finite() && smoothness >= 0.0) =>
            {
                return Err(bad("smoothness", smoothness));
            }
            TaskStructure::Clusters { within, .. } if !(within.is_finite() && within >= 0.0) => {
                return Err(bad("within", within));
            }
            TaskStructure::Clusters { n_clusters: 0, .. } => {
                return Err(Error::InvalidParameter {
                    name: "n_clusters",
                    value: 0.0,
                    expected: ">= 1",
                });
            }
            TaskStructure::LowRank { rank: 0 } => {
                return Err(Error::InvalidParameter {
                    name: "rank",
                    value: 0.0,
                    expected: ">= 1",
                });
            }
            TaskStructure::OutlierTasks { n_outliers, .. } if n_outliers > t => {
                return Err(Error::InvalidParameter {
                    name: "n_outliers",
                    value: n_outliers as f64,
                    expected: "at most the number of tasks",
                });
            }
            TaskStructure::OutlierTasks { scale, .. } if !(scale.is_finite() && scale >= 0.0) => {
                return Err(bad("outlier scale", scale));
            }
            _ => {}
        }
        if self.shared_design && self.n_samples.iter().any(|&n| n != self.n_samples[0]) {
            return Err(Error::InvalidParameter {
                name: "shared_design with unequal n_t (first differing n_t)",
                value: *self
                    .n_samples
                    .iter()
                    .find(|&&n| n != self.n_samples[0])
                    .unwrap() as f64,
                expected: "the same number of samples for every task",
            });
        }
        let p = self.n_features;
        let k = self.n_informative.min(p);
        let mut rng = rng(self.seed);
        let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
        let mut support: Vec<usize> = (0..p).collect();
        // Coefficients first (support rows chosen below with the same stream).
        let mut coef = Mat::<f64>::zeros(p, t);
        let mut clusters = vec![0; t];
        let mut outliers = Vec::new();
        // dense outlier columns, placed after the support rows are shuffled
        let mut outlier_cols: Option<Mat<f64>> = None;
        let edges: Vec<(usize, usize, f64)> = match self.structure {
            TaskStructure::Chain { smoothness } => {
                for j in 0..k {
                    let mut w = 5.0 * normal();
                    for task in 0..t {
                        if task > 0 {
                            w += smoothness * 5.0 * normal();
                        }
                        coef[(j, task)] = w;
                    }
                }
                (1..t).map(|s| (s - 1, s, 1.0)).collect()
            }
            TaskStructure::Clusters { n_clusters, within } => {
                for (task, c) in clusters.iter_mut().enumerate() {
                    *c = task % n_clusters;
                }
                let centres = Mat::from_fn(k, n_clusters, |_, _| 10.0 * normal());
                for j in 0..k {
                    for task in 0..t {
                        coef[(j, task)] = centres[(j, clusters[task])] + within * 10.0 * normal();
                    }
                }
                let mut e = Vec::new();
                for s in 0..t {
                    for u in (s + 1)..t {
                        if clusters[s] == clusters[u] {
                            e.push((s, u, 1.0));
                        }
                    }
                }
                e
            }
            TaskStructure::LowRank { rank } => {
                let r = rank.min(k).min(t).max(1);
                let a = Mat::from_fn(k, r, |_, _| normal());
                let b = Mat::from_fn(t, r, |_, _| normal());
                let scale = 5.0 / (r as f64).sqrt();
                for j in 0..k {
                    for task in 0..t {
                        coef[(j, task)] =
                            scale * (0..r).map(|c| a[(j, c)] * b[(task, c)]).sum::<f64>();
                    }
                }
                Vec::new()
            }
            TaskStructure::OutlierTasks { n_outliers, scale } => {
                for j in 0..k {
                    for task in 0..t {
                        coef[(j, task)] = 5.0 * normal();
                    }
                }
                // a random order of the tasks: sort by i.i.d. keys
                let keys: Vec<f64> = (0..t).map(|_| normal()).collect();
                let mut tasks: Vec<usize> = (0..t).collect();
                tasks.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
                outliers = tasks[..n_outliers].to_vec();
                outliers.sort_unstable();
                let mut q = Mat::<f64>::zeros(p, t);
                for &task in &outliers {
                    for j in 0..p {
                        q[(j, task)] = 5.0 * scale * normal();
                    }
                }
                outlier_cols = Some(q);
                Vec::new()
            }
        };
        let mut rng2 = super::rng(self.seed.wrapping_add(0x9e37_79b9_7f4a_7c15));
        support.shuffle(&mut rng2);
        let mut shuffled = Mat::<f64>::zeros(p, t);
        for j in 0..k {
            for task in 0..t {
                shuffled[(support[j], task)] = coef[(j, task)];
            }
        }
        if let Some(q) = outlier_cols {
            shuffled += q;
        }
        let coef = shuffled;
        let shared = self
            .shared_design
            .then(|| standard_normal_mat(&mut rng2, self.n_samples[0], p));
        let mut xs = Vec::with_capacity(t);
        let mut ys = Vec::with_capacity(t);
        for (task, &n) in self.n_samples.iter().enumerate() {
            let x = match &shared {
                Some(x) => x.clone(),
                None => standard_normal_mat(&mut rng2, n, p),
            };
            let y: Vec<f64> = (0..n)
                .map(|i| {
                    let signal: f64 = (0..p).map(|j| x[(i, j)] * coef[(j, task)]).sum();
                    let e: f64 = StandardNormal.sample(&mut rng2);
                    signal + noise_sd[task] * e
                })
                .collect();
            xs.push(x);
            ys.push(y);
        }
        Ok(StructuredData {
            xs,
            ys,
            coef,
            graph: TaskGraph::from_edges(t, &edges)?,
            clusters,
            outliers,
            noise: noise_sd,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_support_and_structure() {
        let d = StructuredTasks::new(vec![20, 30, 25, 40], 12)
            .n_informative(4)
            .structure(TaskStructure::Chain { smoothness: 0.0 })
            .noise(0.0)
            .seed(5)
            .generate()
            .unwrap();
        assert_eq!(
            d.xs.iter().map(|x| x.nrows()).collect::<Vec<_>>(),
            vec![20, 30, 25, 40]
        );
        // smoothness 0: every task has the same coefficients, 4 non-zero rows
        let nz = (0..12).filter(|&j| d.coef[(j, 0)] != 0.0).count();
        assert_eq!(nz, 4);
        for t in 1..4 {
            for j in 0..12 {
                assert_eq!(d.coef[(j, t)], d.coef[(j, 0)]);
            }
        }
        // noise 0: y = X w exactly
        for t in 0..4 {
            for i in 0..d.ys[t].len() {
                let s: f64 = (0..12).map(|j| d.xs[t][(i, j)] * d.coef[(j, t)]).sum();
                assert!((d.ys[t][i] - s).abs() < 1e-12);
            }
        }
        assert_eq!(d.graph.edges().len(), 3);
    }

    #[test]
    fn low_rank_has_the_rank_and_outliers_dense_columns() {
        for rank in [1, 2, 3] {
            let d = StructuredTasks::new(vec![20; 6], 15)
                .n_informative(8)
                .structure(TaskStructure::LowRank { rank })
                .shared_design(true)
                .seed(4)
                .generate()
                .unwrap();
            let s = d.coef.singular_values().unwrap();
            assert!(s[rank - 1] > 1e-6 * s[0]);
            assert!(s[rank..].iter().all(|&v| v < 1e-12 * s[0]), "{s:?}");
            assert_eq!((0..15).filter(|&j| d.coef[(j, 0)] != 0.0).count(), 8);
        }
        let d = StructuredTasks::new(vec![20; 7], 12)
            .n_informative(3)
            .structure(TaskStructure::OutlierTasks {
                n_outliers: 2,
                scale: 1.0,
            })
            .seed(2)
            .generate()
            .unwrap();
        assert_eq!(d.outliers.len(), 2);
        for task in 0..7 {
            let nz = (0..12).filter(|&j| d.coef[(j, task)] != 0.0).count();
            assert_eq!(nz, if d.outliers.contains(&task) { 12 } else { 3 });
        }
        assert!(d.graph.edges().is_empty());
        let bad = |s| StructuredTasks::new(vec![5; 3], 4).structure(s).generate();
        assert!(bad(TaskStructure::LowRank { rank: 0 }).is_err());
        assert!(
            bad(TaskStructure::OutlierTasks {
                n_outliers: 4,
                scale: 1.0
            })
            .is_err()
        );
    }

    /// Per-task noise: with an empty support y is pure noise, whose sample
    /// standard deviation is the task's level.
    #[test]
    fn task_noise_sets_each_task_noise_level() {
        let sd = vec![0.5, 1.0, 4.0];
        let d = StructuredTasks::new(vec![4000; 3], 3)
            .n_informative(0)
            .task_noise(sd.clone())
            .seed(1)
            .generate()
            .unwrap();
        assert_eq!(d.noise, sd);
        for (y, s) in d.ys.iter().zip(&sd) {
            let emp = (y.iter().map(|v| v * v).sum::<f64>() / 4000.0).sqrt();
            assert!((emp / s - 1.0).abs() < 0.05, "{emp} vs {s}");
        }
        assert!(
            StructuredTasks::new(vec![5; 3], 2)
                .task_noise(vec![1.0])
                .generate()
                .is_err()
        );
    }

    #[test]
    fn clusters_are_closer_within_than_across() {
        let d = StructuredTasks::new(vec![10; 6], 30)
            .n_informative(10)
            .structure(TaskStructure::Clusters {
                n_clusters: 2,
                within: 0.05,
            })
            .shared_design(true)
            .seed(9)
            .generate()
            .unwrap();
        let dist = |a: usize, b: usize| {
            (0..30)
                .map(|j| (d.coef[(j, a)] - d.coef[(j, b)]).powi(2))
                .sum::<f64>()
        };
        assert!(dist(0, 2) * 20.0 < dist(0, 1));
        assert_eq!(d.clusters, vec![0, 1, 0, 1, 0, 1]);
        assert_eq!(d.xs[0], d.xs[3]);
        assert_eq!(d.graph.edges().len(), 6);
        assert!(
            StructuredTasks::new(vec![10, 11], 3)
                .shared_design(true)
                .generate()
                .is_err()
        );
    }
}
