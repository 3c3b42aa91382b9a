//! What a fit is a fit of: the model, its penalty and settings, the shape and
//! names of the data, and the task structure (graph or learned relations).
//!
//! The estimators fill it in; MODEL.json ([`crate::io::model`]) is written
//! from it and read back into it, so a fitted model reloaded from a file knows
//! what it is.

use faer::{Mat, MatRef};
use std::sync::Arc;

/// What was fitted (see the [module documentation](crate::fitted)).
///
/// `kind` is one of
///
/// | kind | estimator |
/// |---|---|
/// | `multi_task_elastic_net` | [`MultiTaskElasticNet`](crate::MultiTaskElasticNet) (shared design, L21, no task weights) |
/// | `graph_multi_task` | [`GraphMultiTask`](crate::GraphMultiTask), and every other single-penalty model (per-task designs, task weights, another penalty) |
/// | `pooled` | [`GraphMultiTask::pooled`](crate::GraphMultiTask::pooled): one coefficient vector for all tasks |
/// | `relation_learning` | [`RelationLearning`](crate::RelationLearning) |
/// | `reduced_rank` | [`ReducedRankRegression`](crate::ReducedRankRegression) |
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Description {
    /// Model family (see the table above).
    pub kind: String,
    /// Penalty name: `l21`, `l1`, or another registered penalty's.
    pub penalty: String,
    /// Feature names (p): the data's, or `x0, x1, …` (shared by the fits
    /// of a path).
    pub feature_names: Arc<[String]>,
    /// Task names (T): the data's, or `y0, y1, …`.
    pub task_names: Arc<[String]>,
    /// Whether intercepts were fitted (the data centred).
    pub fit_intercept: bool,
    /// Whether the columns of X were standardised.
    pub standardize: bool,
    /// The relative tolerance asked for (scikit-learn's `tol`).
    pub tol: f64,
    /// The relative accuracy of a path or cross-validation fit (the gap at
    /// most this fraction of the objective at its alpha, see
    /// [`PathTol`](crate::path::PathTol)); `None` for single fits and
    /// scikit-learn's rule.
    pub path_tol: Option<f64>,
    /// The epoch budget.
    pub max_iter: usize,
    /// Training samples (all tasks together for per-task designs).
    pub n_samples: usize,
    /// Samples per task, for per-task designs.
    pub n_samples_per_task: Option<Vec<usize>>,
    /// Task weights c_t, when given.
    pub task_weights: Option<Vec<f64>>,
    /// Whether the samples were weighted (scikit-learn's `sample_weight`,
    /// [`Data::sample_weights`](crate::Data::sample_weights)); the weights
    /// themselves are not kept.
    pub sample_weighted: bool,
    /// The task graph and its strength, for graph models.
    pub graph: Option<GraphTerm>,
    /// The learned task covariance, for [`RelationLearning`](crate::RelationLearning).
    pub relations: Option<LearnedRelations>,
    /// The shared + specific models (`dirty`, `robust`): the specific part's
    /// strength as a multiple of alpha, `β = ratio · α`.
    pub alpha_specific_ratio: Option<f64>,
    /// The dirty model's row norm of the shared part: `linf` or `l2`.
    pub group_norm: Option<String>,
    /// Clustered MTL: the number of clusters and the ridge.
    pub clusters: Option<ClusterTerm>,
    /// Reduced-rank regression: the rank constraint k.
    pub rank: Option<usize>,
    /// How the task weights were chosen, when not given as numbers
    /// (`uniform`, `inverse_n`, `inverse_variance`, a file name, `auto`).
    pub task_weight_scheme: Option<String>,
    /// Task weights learned from the noise levels (`auto`): the alternation's
    /// report.
    pub auto_weights: Option<AutoWeights>,
}

/// The clustered-MTL term `c · min_M tr(W (ηI + M)⁻¹ Wᵀ)` in MALSAR's
/// parameters: ρ1 is alpha, `η = ρ2/ρ1`, `c = ρ1 η (1 + η)`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ClusterTerm {
    /// k, the number of clusters.
    pub k: usize,
    /// ρ2, the ridge.
    pub ridge: f64,
}

impl ClusterTerm {
    /// k clusters with ridge ρ2.
    pub fn new(k: usize, ridge: f64) -> Self {
        Self { k, ridge }
    }
}

/// The alternation that learned task weights from the noise levels
/// (maximum likelihood, `c_t = 1/σ_t²`; see `docs/models.md`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AutoWeights {
    /// The noise variances σ_t² of the last σ-step.
    pub sigma2: Vec<f64>,
    /// The penalised negative log-likelihood after each alternation.
    pub objectives: Vec<f64>,
    /// Alternations run (W-step + σ-step each).
    pub alternations: usize,
    /// Solver iterations summed over all the W-steps.
    pub inner_iterations: usize,
    /// Whether the weights stopped changing (relative change ≤ the
    /// alternation's tolerance) and the last W-step met its own tolerance.
    pub converged: bool,
    /// Tasks whose variance hit the floor (fitted exactly).
    pub floored: Vec<usize>,
}

impl AutoWeights {
    /// A report of `alternations` alternations.
    pub fn new(
        sigma2: Vec<f64>,
        objectives: Vec<f64>,
        alternations: usize,
        inner_iterations: usize,
        converged: bool,
        floored: Vec<usize>,
    ) -> Self {
        Self {
            sigma2,
            objectives,
            alternations,
            inner_iterations,
            converged,
            floored,
        }
    }
}

/// The graph term `λ/2 Σ_edges a_st ‖w_s − w_t‖²` of a graph model.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GraphTerm {
    /// λ.
    pub strength: f64,
    /// Edges `(s, t, a_st)`, 0-based task indices.
    pub edges: Vec<(usize, usize, f64)>,
}

impl GraphTerm {
    /// A graph term of strength `strength` over `edges`.
    pub fn new(strength: f64, edges: Vec<(usize, usize, f64)>) -> Self {
        Self { strength, edges }
    }

    /// Whether the edges are the complete graph of `n_tasks` tasks with every
    /// weight `1/T` (the mean-regularised model: `tr(W L Wᵀ) = Σ_t ‖w_t − w̄‖²`).
    pub fn is_complete(&self, n_tasks: usize) -> bool {
        is_complete_graph(&self.edges, n_tasks)
    }
}

/// Whether `edges` are the complete graph of `n_tasks` tasks, each pair once
/// with weight `1/T`.
pub(crate) fn is_complete_graph(edges: &[(usize, usize, f64)], n_tasks: usize) -> bool {
    let w = 1.0 / n_tasks.max(1) as f64;
    if n_tasks < 2
        || edges.len() != n_tasks * (n_tasks - 1) / 2
        || !edges
            .iter()
            .all(|&(s, t, a)| s != t && s.max(t) < n_tasks && a == w)
    {
        return false;
    }
    let mut pairs: Vec<(usize, usize)> = edges
        .iter()
        .map(|&(s, t, _)| (s.min(t), s.max(t)))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs.len() == edges.len()
}

/// The task covariance learned by [`RelationLearning`](crate::RelationLearning).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LearnedRelations {
    /// λ2, the strength of `λ2/2 tr(W Σ⁻¹ Wᵀ)`.
    pub strength: f64,
    /// Σ (T × T, positive definite, trace 1).
    pub sigma: Mat<f64>,
    /// The MTRL objective after each alternation.
    pub objectives: Vec<f64>,
}

impl LearnedRelations {
    /// Σ learned with strength λ2, and the objectives of the alternations.
    pub fn new(strength: f64, sigma: Mat<f64>, objectives: Vec<f64>) -> Self {
        Self {
            strength,
            sigma,
            objectives,
        }
    }

    /// The task correlation matrix `Σ_st / √(Σ_ss Σ_tt)`.
    pub fn correlation(&self) -> Mat<f64> {
        correlation(self.sigma.as_ref())
    }
}

/// `Σ_st / √(Σ_ss Σ_tt)`.
pub(crate) fn correlation(s: MatRef<'_, f64>) -> Mat<f64> {
    Mat::from_fn(s.nrows(), s.ncols(), |i, j| {
        s[(i, j)] / (s[(i, i)] * s[(j, j)]).sqrt()
    })
}

/// [`default_names`] shared: the last list made for each prefix is kept, so
/// that repeated fits of one shape (CV folds, a warm process fitting again)
/// share one allocation instead of making and dropping p strings each
/// (measured: 9% of a 4.5 ms fit with p = 10 730).
pub(crate) fn shared_default_names(prefix: &'static str, n: usize) -> Arc<[String]> {
    type Named = (&'static str, Arc<[String]>);
    static LAST: std::sync::Mutex<Vec<Named>> = std::sync::Mutex::new(Vec::new());
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, names)) = last.iter().find(|(p, v)| *p == prefix && v.len() == n) {
        return names.clone();
    }
    let names: Arc<[String]> = default_names(prefix, n).into();
    last.retain(|(p, _)| *p != prefix);
    last.push((prefix, names.clone()));
    names
}

/// Names `x0, x1, …` (or another prefix).
pub(crate) fn default_names(prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|j| {
            // without the formatting machinery: every CV fold names its data
            let mut digits = [0u8; 20];
            let (mut k, mut i) = (j, digits.len());
            loop {
                i -= 1;
                digits[i] = b'0' + (k % 10) as u8;
                k /= 10;
                if k == 0 {
                    break;
                }
            }
            let mut name = String::with_capacity(prefix.len() + digits.len() - i);
            name.push_str(prefix);
            name.extend(digits[i..].iter().map(|&d| d as char));
            name
        })
        .collect()
}

impl Description {
    /// The plain multi-task elastic net of p features and T tasks, with
    /// default names and scikit-learn's default settings.
    pub fn new(n_features: usize, n_tasks: usize) -> Self {
        Self::named(
            default_names("x", n_features).into(),
            default_names("y", n_tasks).into(),
        )
    }

    /// The description of a fit of p features and T tasks named
    /// `feature_names` and `task_names`, otherwise as [`new`](Self::new).
    pub(crate) fn named(feature_names: Arc<[String]>, task_names: Arc<[String]>) -> Self {
        Self {
            kind: "multi_task_elastic_net".into(),
            penalty: "l21".into(),
            feature_names,
            task_names,
            fit_intercept: true,
            standardize: false,
            tol: 1e-4,
            path_tol: None,
            max_iter: 1000,
            n_samples: 0,
            n_samples_per_task: None,
            task_weights: None,
            sample_weighted: false,
            graph: None,
            relations: None,
            alpha_specific_ratio: None,
            group_norm: None,
            clusters: None,
            rank: None,
            task_weight_scheme: None,
            auto_weights: None,
        }
    }

    /// Whether this is the pooled model (one coefficient vector for all tasks).
    pub fn is_pooled(&self) -> bool {
        self.kind == "pooled"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_count_from_zero() {
        assert_eq!(default_names("x", 3), ["x0", "x1", "x2"]);
        assert_eq!(default_names("y", 12)[10], "y10");
        assert_eq!(default_names("t", 1235)[1234], "t1234");
    }
}
