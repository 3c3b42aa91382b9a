//! `GraphMultiTask`: multi-task regression with a given task graph.

use super::MultiTaskElasticNet;
use super::spec::{
    Grid, ModelSpec, cv_shared, cv_tasks, fit_per_task, fit_shared, path_per_task, path_shared,
    path_stats,
};
use crate::error::{Error, Result};
use crate::interop::MatrixInput;
use crate::model::Fit;
use crate::path::ProgressCallback;
use crate::penalty::{Sparsity, TaskGraph};
use crate::solver::{Monitor, Selection};
use crate::stats::SufficientStats;
use faer::{Mat, MatRef};

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
/// exactly [`MultiTaskElasticNet`]. `pooled(true)` fits the λ → ∞ limit on a
/// connected graph directly: one coefficient vector shared by all tasks.
///
/// | Name | Default | Meaning |
/// |---|---|---|
/// | `alpha` | (required) | sparsity + ridge strength, > 0 |
/// | `l1_ratio` | 1 | sparsity share ρ ∈ (0, 1] |
/// | `penalty` | `Group` | Ω: `Group` (L21) or `Entrywise` (L1) |
/// | `graph` | none | task graph (edges and weights) |
/// | `graph_strength` | 0 | λ ≥ 0 |
/// | `pooled` | false | one shared coefficient vector |
/// | `fit_intercept`, `standardize`, `tol`, `max_iter` | as [`MultiTaskElasticNet`] | |
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
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct GraphMultiTask {
    base: MultiTaskElasticNet,
    sparsity: Sparsity,
    graph: Option<TaskGraph>,
    graph_strength: f64,
    pooled: bool,
}

macro_rules! delegate {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $ty) -> Self {
                self.base = self.base.$name(value);
                self
            }
        )*
    };
}

impl GraphMultiTask {
    /// A builder with the given `alpha`, `l1_ratio = 1`, L21 sparsity and no graph.
    pub fn new(alpha: f64) -> Self {
        Self {
            base: MultiTaskElasticNet::new(alpha).l1_ratio(1.0),
            sparsity: Sparsity::Group,
            graph: None,
            graph_strength: 0.0,
            pooled: false,
        }
    }

    delegate! {
        /// Sets `alpha`.
        alpha: f64,
        /// Sparsity share ρ of `alpha` (the rest is ridge).
        l1_ratio: f64,
        /// Fit one intercept per task.
        fit_intercept: bool,
        /// Standardise the columns of X (pooled over tasks for per-task designs).
        standardize: bool,
        /// Relative tolerance (see the type docs for the certificate used).
        tol: f64,
        /// Maximum number of epochs.
        max_iter: usize,
        /// Block visiting order.
        selection: Selection,
        /// Solver progress callback (every outer check).
        monitor: Option<Monitor>,
        /// Path progress callback (after each alpha of a path).
        progress: Option<ProgressCallback>,
        /// Initial coefficients (p × T).
        warm_start: Option<Mat<f64>>,
    }

    /// Ω: `Sparsity::Group` (L21, shared support) or `Sparsity::Entrywise` (L1).
    pub fn penalty(mut self, sparsity: Sparsity) -> Self {
        self.sparsity = sparsity;
        self
    }

    /// The task graph.
    pub fn graph(mut self, graph: TaskGraph) -> Self {
        self.graph = Some(graph);
        self
    }

    /// λ, the strength of the graph term.
    pub fn graph_strength(mut self, lambda: f64) -> Self {
        self.graph_strength = lambda;
        self
    }

    /// Fit one coefficient vector shared by all tasks (`W = w 1ᵀ`).
    pub fn pooled(mut self, yes: bool) -> Self {
        self.pooled = yes;
        self
    }

    fn spec(&self, n_tasks: usize) -> Result<ModelSpec> {
        if !(self.graph_strength.is_finite() && self.graph_strength >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "graph_strength",
                value: self.graph_strength,
                expected: "finite and >= 0",
            });
        }
        let coupling = match &self.graph {
            Some(g) if self.graph_strength > 0.0 && !g.edges().is_empty() => {
                if g.n_tasks() != n_tasks {
                    return Err(Error::ShapeMismatch {
                        what: "tasks in the task graph vs tasks in the data",
                        expected: n_tasks,
                        found: g.n_tasks(),
                    });
                }
                let l = g.laplacian();
                Some(Mat::from_fn(n_tasks, n_tasks, |i, j| {
                    self.graph_strength * l[(i, j)]
                }))
            }
            _ => None,
        };
        Ok(ModelSpec {
            sparsity: self.sparsity,
            coupling,
        })
    }

    /// Fits to a shared design X (n × p) and targets Y (n × T).
    ///
    /// # Errors
    /// As [`MultiTaskElasticNet::fit`], plus `InvalidParameter` for a negative
    /// `graph_strength` and `ShapeMismatch` if the graph has another number of
    /// tasks than Y has columns.
    pub fn fit<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
    ) -> Result<Fit> {
        let (x, y) = (x.as_faer(), y.as_faer());
        let spec = self.spec(y.ncols())?;
        if self.pooled {
            crate::validate::validate_xy(x, y)?;
            let cols: Vec<Vec<f64>> = (0..y.ncols())
                .map(|k| (0..y.nrows()).map(|i| y[(i, k)]).collect())
                .collect();
            let ys: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
            let xs = vec![x; y.ncols()];
            return fit_per_task(&self.base, &spec, &xs, &ys, None, true);
        }
        fit_shared(&self.base, &spec, x, y)
    }

    /// Fits from sufficient statistics of a shared design (see
    /// [`crate::stats`] and [`MultiTaskElasticNet::fit_stats`]). Not available
    /// for `pooled(true)`.
    ///
    /// # Errors
    /// As [`fit`](Self::fit); `InvalidParameter` with `pooled`.
    pub fn fit_stats(&self, stats: &SufficientStats) -> Result<Fit> {
        let mut path = self.stats_path(stats, &Grid::Single)?;
        Ok(path.fits.pop().expect("one alpha"))
    }

    /// A warm-started path from sufficient statistics. Not available for
    /// `pooled(true)`.
    ///
    /// # Errors
    /// As [`fit_stats`](Self::fit_stats), and `InvalidParameter` for a bad grid.
    pub fn path_stats(
        &self,
        stats: &SufficientStats,
        grid: &crate::path::AlphaGrid,
    ) -> Result<crate::path::Path> {
        self.stats_path(stats, &Grid::Given(grid))
    }

    fn stats_path(&self, stats: &SufficientStats, grid: &Grid<'_>) -> Result<crate::path::Path> {
        if self.pooled {
            return Err(Error::InvalidParameter {
                name: "pooled (not available from sufficient statistics)",
                value: 1.0,
                expected: "false",
            });
        }
        let spec = self.spec(stats.n_tasks())?;
        path_stats(&self.base, &spec, stats, grid)
    }

    /// A warm-started path over a grid of alphas (shared design). Not available
    /// for `pooled(true)`.
    ///
    /// # Errors
    /// As [`fit`](Self::fit); `InvalidParameter` for a bad grid or with `pooled`.
    pub fn path<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
        grid: &crate::path::AlphaGrid,
    ) -> Result<crate::path::Path> {
        let (x, y) = (x.as_faer(), y.as_faer());
        self.no_pooled_path()?;
        let spec = self.spec(y.ncols())?;
        path_shared(&self.base, &spec, x, y, &Grid::Given(grid))
    }

    /// A warm-started path over a grid of alphas (per-task designs).
    ///
    /// # Errors
    /// As [`fit_tasks`](Self::fit_tasks); `InvalidParameter` for a bad grid or
    /// with `pooled`.
    pub fn path_tasks(
        &self,
        xs: &[MatRef<'_, f64>],
        ys: &[&[f64]],
        weights: Option<&[f64]>,
        grid: &crate::path::AlphaGrid,
    ) -> Result<crate::path::Path> {
        self.no_pooled_path()?;
        let spec = self.spec(xs.len())?;
        path_per_task(&self.base, &spec, xs, ys, weights, &Grid::Given(grid))
    }

    /// K-fold cross-validation over an alpha grid at this `graph_strength`, then
    /// a refit at the selected alpha (shared design; see [`crate::cv`]).
    ///
    /// # Errors
    /// As [`path`](Self::path), and `InvalidParameter` for bad CV options.
    pub fn cross_validate<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
        opts: &crate::cv::CvOptions,
    ) -> Result<crate::cv::CvResult> {
        let (x, y) = (x.as_faer(), y.as_faer());
        self.no_pooled_path()?;
        let spec = self.spec(y.ncols())?;
        cv_shared(&self.base, &spec, x, y, opts)
    }

    /// K-fold cross-validation with per-task designs: each task's samples are
    /// split into K parts (see [`crate::cv`]).
    ///
    /// # Errors
    /// As [`path_tasks`](Self::path_tasks).
    pub fn cross_validate_tasks(
        &self,
        xs: &[MatRef<'_, f64>],
        ys: &[&[f64]],
        weights: Option<&[f64]>,
        opts: &crate::cv::CvOptions,
    ) -> Result<crate::cv::CvResult> {
        self.no_pooled_path()?;
        let spec = self.spec(xs.len())?;
        cv_tasks(&self.base, &spec, xs, ys, weights, opts)
    }

    fn no_pooled_path(&self) -> Result<()> {
        if self.pooled {
            return Err(Error::InvalidParameter {
                name: "pooled (paths are not implemented for the pooled model)",
                value: 1.0,
                expected: "false",
            });
        }
        Ok(())
    }

    /// Fits to per-task designs `xs[t]` (n_t × p) and targets `ys[t]`, with task
    /// weights `c_t` (default 1).
    ///
    /// # Errors
    /// As [`MultiTaskElasticNet::fit_tasks`] and [`fit`](Self::fit).
    pub fn fit_tasks(
        &self,
        xs: &[MatRef<'_, f64>],
        ys: &[&[f64]],
        weights: Option<&[f64]>,
    ) -> Result<Fit> {
        let spec = self.spec(xs.len())?;
        fit_per_task(&self.base, &spec, xs, ys, weights, self.pooled)
    }
}
