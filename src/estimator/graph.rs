//! `GraphMultiTask`: multi-task regression with a given task graph, any
//! registered penalty, or the pooled model.

use super::single::{self, SinglePenalty};
use super::{Estimator, Family, IntoFamily, Model, sealed};
use crate::cv::{CvOptions, CvResult};
use crate::error::{Error, Result};
use crate::fitted::{Components, Description, Fit, GraphTerm};
use crate::path::{AlphaGrid, Path, Settings};
use crate::penalty::{Sparsity, TaskGraph};
use crate::problem::{Data, Problem};
use faer::{Mat, MatRef};
use std::sync::Arc;

/// The model of [`GraphMultiTask`]: a penalty family, an optional task graph
/// and its strength, or the pooled model.
#[derive(Debug, Clone)]
pub struct Graph {
    family: Family,
    graph: Option<TaskGraph>,
    strength: f64,
    pooled: bool,
}

/// Multi-task regression whose tasks are pulled together along a task graph:
///
/// ```text
/// P(W) = Σ_t c_t/(2 n_t) ‖y_t − X_t w_t‖² + α ρ Ω(W) + α (1 − ρ)/2 ‖W‖²_F
///        + λ/2 Σ_{edges (s,t)} a_st ‖w_s − w_t‖²
/// ```
///
/// with Ω = Σ_j ‖W_j‖₂ (`Sparsity::Group`, shared support, the default) or
/// Σ_{j,t} |W_jt| (`Sparsity::Entrywise`, per-task supports; MALSAR's
/// Least_SRMTL). With one shared X the loss is `1/(2n)‖Y − XW‖²` and λ = 0 gives
/// exactly [`MultiTaskElasticNet`](crate::MultiTaskElasticNet). `pooled(true)`
/// fits the λ → ∞ limit on a connected graph directly: one coefficient vector
/// shared by all tasks. Any registered penalty family
/// ([`penalty`](Estimator::penalty), [`crate::estimator::penalties`]) can
/// replace `α ρ Ω(W) + α (1 − ρ)/2 ‖W‖²_F` (without a graph or pooling unless
/// it is of that form).
///
/// | Name | Default | Meaning |
/// |---|---|---|
/// | `alpha` | (required) | sparsity + ridge strength, > 0 |
/// | `l1_ratio` | 1 | sparsity share ρ ∈ (0, 1] |
/// | `penalty` | `Group` | Ω: `Group` (L21) or `Entrywise` (L1), or another family |
/// | `graph` | none | task graph (edges and weights) |
/// | `graph_strength` | 1 | λ ≥ 0 (used only with a `graph`; 0 switches the graph term off) |
/// | `pooled` | false | one shared coefficient vector |
/// | `fit_intercept`, `standardize`, `tol`, `max_iter` | as [`MultiTaskElasticNet`](crate::MultiTaskElasticNet) | |
///
/// The certificate is the duality gap when the coupling reduces to the elastic
/// net (λ = 0, or pooled), otherwise the KKT residual, stopping at
/// `tol · ρ · alpha_max`.
///
/// # Examples
/// ```
/// use mtreg::{GraphMultiTask, penalty::TaskGraph};
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]];
/// let y = faer::mat![[1.0, 1.2, 3.0], [0.5, 0.4, 0.0], [1.4, 1.7, 3.1], [2.6, 3.0, 6.2]];
/// let fit = GraphMultiTask::new(0.01)
///     .graph(TaskGraph::chain(3))
///     .graph_strength(1.0)
///     .tol(1e-8)
///     .fit(&x, &y)?;
/// assert!(fit.converged() && fit.certificate().kind() == "kkt");
/// assert_eq!(fit.description().kind, "graph_multi_task");
/// Ok::<(), mtreg::Error>(())
/// ```
pub type GraphMultiTask = Estimator<Graph>;

impl Estimator<Graph> {
    /// A builder with the given `alpha`, `l1_ratio = 1`, L21 sparsity, no
    /// graph and `graph_strength = 1` (the CLI's defaults, see
    /// `docs/cli.md`).
    pub fn new(alpha: f64) -> Self {
        Self {
            settings: Settings::new(alpha, 1.0),
            model: Graph {
                family: Family::from(Sparsity::Group),
                graph: None,
                strength: 1.0,
                pooled: false,
            },
        }
    }

    /// The penalty: `Sparsity::Group` (L21, shared support),
    /// `Sparsity::Entrywise` (L1), or any [`PenaltyFamily`](crate::problem::PenaltyFamily).
    pub fn penalty(mut self, penalty: impl IntoFamily) -> Self {
        self.model.family = penalty.into_family();
        self
    }

    /// The task graph.
    pub fn graph(mut self, graph: TaskGraph) -> Self {
        self.model.graph = Some(graph);
        self
    }

    /// λ, the strength of the graph term (default 1; it applies only with a
    /// [`graph`](Self::graph)).
    pub fn graph_strength(mut self, lambda: f64) -> Self {
        self.model.strength = lambda;
        self
    }

    /// Fit one coefficient vector shared by all tasks (`W = w 1ᵀ`).
    pub fn pooled(mut self, yes: bool) -> Self {
        self.model.pooled = yes;
        self
    }

    /// Start from these coefficients (p × T, original scale) instead of zero.
    pub fn warm_start(mut self, coef: Option<Mat<f64>>) -> Self {
        self.settings.warm_start = coef;
        self
    }
}

impl Graph {
    /// The task coupling λ L, when the graph term is active (λ > 0, edges).
    fn coupling(&self, n_tasks: usize) -> Result<Option<Mat<f64>>> {
        match &self.graph {
            Some(g) if self.strength > 0.0 && !g.edges().is_empty() => {
                if g.n_tasks() != n_tasks {
                    return Err(Error::ShapeMismatch {
                        what: "tasks in the task graph vs tasks in the data",
                        expected: n_tasks,
                        found: g.n_tasks(),
                    });
                }
                let l = g.laplacian();
                Ok(Some(Mat::from_fn(n_tasks, n_tasks, |i, j| {
                    self.strength * l[(i, j)]
                })))
            }
            _ => Ok(None),
        }
    }
}

impl sealed::Sealed for Graph {}

impl SinglePenalty for Graph {
    fn prepare_data<'d>(est: &Estimator<Self>, data: &Data<'d>) -> Result<Problem<'d>> {
        if est.model.pooled {
            Problem::prepare_pooled(data, est.preprocessing())
        } else {
            Problem::prepare(data, est.preprocessing())
        }
    }

    fn plan(est: &Estimator<Self>, problem: &Problem) -> Result<(Family, Arc<Description>)> {
        let m = &est.model;
        if problem.is_pooled() != m.pooled {
            return Err(Error::Incompatible(
                "the problem was prepared for another model (pooled or not)".into(),
            ));
        }
        let t = problem.n_tasks();
        let name = m.family.name();
        let (family, kind) = if m.pooled {
            (m.family.pooled(t)?, "pooled")
        } else {
            let kind = super::single_kind(problem, name, m.graph.is_some());
            match m.coupling(t)? {
                Some(c) => (m.family.coupled(c)?, kind),
                None => (m.family.clone(), kind),
            }
        };
        let mut description = est.description(problem, kind, name);
        m.family.describe(&mut description);
        description.graph = m
            .graph
            .as_ref()
            .map(|g| GraphTerm::new(m.strength, g.edges().to_vec()));
        Ok((family, Arc::new(description)))
    }

    /// The mean-regularised model (the complete graph, λ > 0): `W = w̄ 1ᵀ + V`
    /// as the components `mean` and `deviation`.
    fn finish(est: &Estimator<Self>, fits: &mut [Fit]) {
        let m = &est.model;
        let complete = match &m.graph {
            Some(g) => m.strength > 0.0 && !m.pooled && g.is_complete(),
            None => false,
        };
        if complete {
            for fit in fits {
                fit.components = Some(mean_and_deviations(fit.coef()));
            }
        }
    }
}

/// `W = w̄ 1ᵀ + V`: the mean coefficient vector over tasks (repeated in every
/// column) and the deviations `v_t = w_t − w̄`.
fn mean_and_deviations(w: MatRef<'_, f64>) -> Components {
    let (p, t) = (w.nrows(), w.ncols());
    let mean: Vec<f64> = (0..p)
        .map(|j| (0..t).map(|k| w[(j, k)]).sum::<f64>() / t as f64)
        .collect();
    Components::new(
        vec!["mean".into(), "deviation".into()],
        vec![
            Mat::from_fn(p, t, |j, _| mean[j]),
            Mat::from_fn(p, t, |j, k| w[(j, k)] - mean[j]),
        ],
    )
}

impl Model for Graph {
    type Fitted = Fit;
    type Cv = CvResult;

    fn check(est: &Estimator<Self>) -> Result<()> {
        let lambda = est.model.strength;
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "graph_strength",
                value: lambda,
                expected: "finite and >= 0",
            });
        }
        Ok(())
    }
    fn prepare<'d>(est: &Estimator<Self>, data: &Data<'d>) -> Result<Problem<'d>> {
        Self::prepare_data(est, data)
    }
    fn alpha_max(est: &Estimator<Self>, problem: &Problem) -> Result<f64> {
        single::alpha_max(est, problem)
    }
    fn fit(est: &Estimator<Self>, problem: &mut Problem) -> Result<Fit> {
        single::fit(est, problem)
    }
    fn path(est: &Estimator<Self>, problem: &mut Problem, grid: &AlphaGrid) -> Result<Path> {
        single::path(est, problem, grid)
    }
    fn cross_validate(
        est: &Estimator<Self>,
        data: &Data<'_>,
        opts: &CvOptions,
    ) -> Result<CvResult> {
        single::cross_validate(est, data, opts)
    }
}
