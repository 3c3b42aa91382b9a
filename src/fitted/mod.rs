//! The fitted model: coefficients, intercepts, the certificate of the solve,
//! and a [`Description`] of what was fitted (model kind, penalty, settings,
//! names, graph or learned relations).
//!
//! A [`Fit`] is all that prediction needs: `Ŷ = X W + 1 bᵀ`
//! ([`Fit::predict`], [`Fit::score`]). It depends on nothing but the data it
//! holds, so it can be written to a MODEL.json file and read back
//! ([`crate::io::model`]).

mod description;
mod structure;

pub use description::{AutoWeights, ClusterTerm, Description, GraphTerm, LearnedRelations};
pub(crate) use description::{correlation, default_names, is_complete_graph, shared_default_names};
pub use structure::{Components, TaskClusters};

use crate::certificate::Certificate;
use crate::error::{Error, Result};
use crate::interop::MatrixInput;
use faer::{Mat, MatRef};

/// A fitted linear model `Ŷ = X W + 1 bᵀ`.
///
/// Note the layout: `coef()` is **p × T** (row j = feature j across tasks), the
/// transpose of scikit-learn's `coef_` (T × p).
#[derive(Debug, Clone)]
pub struct Fit {
    pub(crate) coef: Mat<f64>,
    pub(crate) intercept: Vec<f64>,
    pub(crate) certificate: Certificate,
    pub(crate) objective: f64,
    pub(crate) n_iter: usize,
    pub(crate) converged: bool,
    pub(crate) alpha: f64,
    pub(crate) l1_ratio: f64,
    pub(crate) alpha_max: f64,
    pub(crate) gram: bool,
    pub(crate) seconds: f64,
    pub(crate) trace: Vec<(usize, f64)>,
    pub(crate) kkt: f64,
    pub(crate) gap: Option<f64>,
    pub(crate) n_screened: usize,
    pub(crate) description: std::sync::Arc<Description>,
    /// Named parts of W (shared + specific, mean + deviations), if any.
    pub(crate) components: Option<Components>,
    /// Learned task clusters (clustered MTL).
    pub(crate) clusters: Option<TaskClusters>,
}

/// The number of singular values above `σ₁ · dim · 1e-10`.
pub(crate) fn rank_of(s: &[f64], dim: usize) -> usize {
    let top = s.first().copied().unwrap_or(0.0);
    s.iter().filter(|&&v| v > top * dim as f64 * 1e-10).count()
}

impl Fit {
    /// Coefficients W, p × T.
    pub fn coef(&self) -> MatRef<'_, f64> {
        self.coef.as_ref()
    }
    /// Intercepts b, one per task (zeros when `fit_intercept` is false).
    pub fn intercept(&self) -> &[f64] {
        &self.intercept
    }
    /// The optimality certificate of the solution.
    pub fn certificate(&self) -> Certificate {
        self.certificate
    }
    /// A duality gap at the solution (an upper bound on `P(W) − P(W*)`, in
    /// objective units): scikit-learn's `dual_gap_` for the elastic-net models
    /// (where it is also the stopping certificate), the Fenchel gap for coupled
    /// models whose coupling is positive definite (which stop on the KKT
    /// residual); `None` otherwise.
    pub fn dual_gap(&self) -> Option<f64> {
        self.gap
    }
    /// Primal objective at the solution (on the centred, possibly standardised,
    /// problem that was solved).
    pub fn objective(&self) -> f64 {
        self.objective
    }
    /// The KKT residual `max_j dist(−∇_j f(W), ∂g_j(W_j))` at the solution,
    /// reported for every model (in gradient units; 0 at an optimum).
    pub fn kkt_residual(&self) -> f64 {
        self.kkt
    }
    /// Epochs of coordinate descent run (scikit-learn's `n_iter_`).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }
    /// False when the solver stopped on `max_iter` before meeting `tol`.
    pub fn converged(&self) -> bool {
        self.converged
    }
    /// The regularisation strength used.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    /// The L1/L21 mixing parameter used.
    pub fn l1_ratio(&self) -> f64 {
        self.l1_ratio
    }
    /// Smallest alpha for which the solution is exactly zero, on this data.
    pub fn alpha_max(&self) -> f64 {
        self.alpha_max
    }
    /// Whether the Gram-matrix mode was used.
    pub fn used_gram(&self) -> bool {
        self.gram
    }
    /// Wall-clock seconds of the fit (preprocessing and solve).
    pub fn seconds(&self) -> f64 {
        self.seconds
    }
    /// `(epochs, certificate)` at every outer check, when tracing was requested.
    pub fn trace(&self) -> &[(usize, f64)] {
        &self.trace
    }
    /// Rows (features) that gap-safe screening proved zero during the solve
    /// (0 when screening was off or does not apply to the model).
    pub fn n_screened(&self) -> usize {
        self.n_screened
    }
    /// What was fitted: model kind, penalty, settings, names, and the graph or
    /// learned task relations (see [`Description`]).
    pub fn description(&self) -> &Description {
        &self.description
    }
    /// The named parts of W, for models that split it: `shared` and
    /// `specific` (dirty, robust: `W = P + Q`), `mean` and `deviation`
    /// (the mean-regularised model, `--graph complete`: `W = w̄ 1ᵀ + V`).
    /// Each part is p × T on the original scale; they sum to
    /// [`coef`](Self::coef).
    pub fn components(&self) -> Option<&Components> {
        self.components.as_ref()
    }
    /// The task clusters learned by clustered MTL (M and the labels).
    pub fn task_clusters(&self) -> Option<&TaskClusters> {
        self.clusters.as_ref()
    }
    /// The outlier tasks of the robust model: tasks whose `specific` column
    /// is not zero (empty for other models).
    pub fn outlier_tasks(&self) -> Vec<usize> {
        match (&self.components, self.description.penalty.as_str()) {
            (Some(c), "robust") => c
                .names()
                .iter()
                .position(|n| n == "specific")
                .map_or_else(Vec::new, |i| c.nonzero_tasks(i)),
            _ => Vec::new(),
        }
    }
    /// The singular values of W (p × T), non-increasing: the spectrum of a
    /// low-rank fit (trace norm, reduced rank).
    ///
    /// # Errors
    /// `Linalg` if the SVD does not converge.
    pub fn singular_values(&self) -> Result<Vec<f64>> {
        if self.coef.nrows() == 0 || self.coef.ncols() == 0 {
            return Ok(Vec::new());
        }
        self.coef
            .singular_values()
            .map_err(|e| Error::Linalg(format!("singular values of W: {e:?}")))
    }
    /// The numerical rank of W: singular values above `σ₁ · max(p, T) · 1e-10`.
    /// The trace norm's proximal step sets the others to zero exactly on the
    /// solver's scale; mapping back to the original scale leaves them at the
    /// level of rounding, far below this threshold.
    ///
    /// # Errors
    /// As [`singular_values`](Self::singular_values).
    pub fn rank(&self) -> Result<usize> {
        Ok(rank_of(
            &self.singular_values()?,
            self.coef.nrows().max(self.coef.ncols()),
        ))
    }
    /// Number of non-zero rows of W (features used by at least one task).
    pub fn n_nonzero_rows(&self) -> usize {
        (0..self.coef.nrows())
            .filter(|&j| (0..self.coef.ncols()).any(|t| self.coef[(j, t)] != 0.0))
            .count()
    }

    /// Predictions `X W + 1 bᵀ` (n × T).
    ///
    /// # Errors
    /// `ShapeMismatch` if X does not have p columns, `NonFinite` on NaN/inf.
    pub fn predict<X: MatrixInput + ?Sized>(&self, x: &X) -> Result<Mat<f64>> {
        let x = x.as_faer();
        if x.ncols() != self.coef.nrows() {
            return Err(Error::ShapeMismatch {
                what: "columns of X (features) vs the fitted model",
                expected: self.coef.nrows(),
                found: x.ncols(),
            });
        }
        crate::validate::check_finite("X", x)?;
        Ok(self.predict_valid(x))
    }

    /// [`predict`](Self::predict) on an X already checked (p columns,
    /// finite): only the columns of the non-zero rows of W enter the product
    /// when they are at most half of them (a sparse fit, as most of a path's
    /// or a CV fold's: `n·|S|·T` flops instead of `n·p·T`). Either way the
    /// product runs on column-major data, so predictions are the same to the
    /// last bit whatever the layout of X (C-order ndarray, strided views).
    pub(crate) fn predict_valid(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        let (p, t) = (self.coef.nrows(), self.coef.ncols());
        let mut out = Mat::from_fn(x.nrows(), t, |_, k| self.intercept[k]);
        let support: Vec<usize> = (0..p)
            .filter(|&j| (0..t).any(|k| self.coef[(j, k)] != 0.0))
            .collect();
        if 2 * support.len() <= p {
            if support.is_empty() {
                return out;
            }
            let xs = Mat::from_fn(x.nrows(), support.len(), |i, c| x[(i, support[c])]);
            let ws = Mat::from_fn(support.len(), t, |c, k| self.coef[(support[c], k)]);
            crate::linalg::gemm(
                out.as_mut(),
                faer::Accum::Add,
                xs.as_ref(),
                ws.as_ref(),
                1.0,
            );
        } else {
            // a row-major or strided view is copied column-major first: the
            // product's summation order, and so its rounding, does not depend
            // on the caller's memory layout
            let owned;
            let x = if x.row_stride() == 1 {
                x
            } else {
                owned = x.to_owned();
                owned.as_ref()
            };
            crate::linalg::gemm(out.as_mut(), faer::Accum::Add, x, self.coef.as_ref(), 1.0);
        }
        out
    }

    /// Coefficient of determination R², averaged uniformly over tasks (as
    /// scikit-learn's `score`). A task with constant targets scores 1 if
    /// predicted exactly, else 0.
    ///
    /// # Errors
    /// As [`predict`](Self::predict), `ShapeMismatch` if Y does not match,
    /// and `EmptyInput` for no samples or no tasks (R² is undefined there).
    pub fn score<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
    ) -> Result<f64> {
        let y = y.as_faer();
        if y.nrows() == 0 {
            return Err(Error::EmptyInput("no samples to score (Y has no rows)"));
        }
        if y.ncols() == 0 {
            return Err(Error::EmptyInput("no tasks to score (Y has no columns)"));
        }
        let pred = self.predict(x)?;
        if (y.nrows(), y.ncols()) != (pred.nrows(), pred.ncols()) {
            return Err(Error::ShapeMismatch {
                what: "shape of Y vs predictions",
                expected: pred.nrows() * pred.ncols(),
                found: y.nrows() * y.ncols(),
            });
        }
        let n = y.nrows() as f64;
        let mut total = 0.0;
        for t in 0..y.ncols() {
            let mean = (0..y.nrows()).map(|i| y[(i, t)]).sum::<f64>() / n;
            let ss_res: f64 = (0..y.nrows())
                .map(|i| (y[(i, t)] - pred[(i, t)]).powi(2))
                .sum();
            let ss_tot: f64 = (0..y.nrows()).map(|i| (y[(i, t)] - mean).powi(2)).sum();
            total += if ss_tot > 0.0 {
                1.0 - ss_res / ss_tot
            } else if ss_res == 0.0 {
                1.0
            } else {
                0.0
            };
        }
        Ok(total / y.ncols() as f64)
    }
}
