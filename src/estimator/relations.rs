//! Learned task relationships (MTRL, Zhang & Yeung 2010, arXiv:1203.3536).
//!
//! ```text
//! min over W, Σ:  f(W) + α ρ Ω(W) + λ1/2 ‖W‖²_F + λ2/2 tr(W Σ⁻¹ Wᵀ)
//! subject to Σ ⪰ 0, tr(Σ) = 1
//! ```
//!
//! with `λ1 = α(1 − ρ)` (the elastic-net ridge) and `λ2` the relation strength.
//! Alternating minimisation: the **W-step** is the coupled problem of
//! [`GraphMultiTask`](super::GraphMultiTask) with coupling `λ2 Σ⁻¹` in place of
//! `λ L` (warm-started at the previous W); the **Σ-step** is closed form,
//! `Σ = (WᵀW + εI)^{1/2} / tr((WᵀW + εI)^{1/2})`. The small `ε I` keeps Σ
//! invertible when W is rank-deficient (sparse or identical tasks); ε is fixed
//! after the first W-step to `relation_eps · tr(WᵀW)/T`, so the tracked objective
//! (with `tr(Σ⁻¹(WᵀW + εI))` in place of `tr(WΣ⁻¹Wᵀ)`) never increases.
//! The problem is jointly convex, so the alternation converges to the optimum;
//! it converges slowly (sublinearly) when the optimal Σ is close to singular
//! (tasks in tight clusters), which `objectives()` shows.

use super::spec::{ModelSpec, fit_per_task, fit_shared};
use super::{Fit, MultiTaskElasticNet};
use crate::error::{Error, Result};
use crate::interop::MatrixInput;
use crate::penalty::Sparsity;
use crate::solver::{Monitor, Selection};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

/// Multi-task regression that learns a task covariance Σ (MTRL).
///
/// | Name | Default | Meaning |
/// |---|---|---|
/// | `alpha` | (required) | sparsity + ridge strength |
/// | `l1_ratio` | 1 | ρ; the ridge weight λ1 is `α(1 − ρ)` |
/// | `penalty` | `Group` | Ω: L21 (`Group`) or L1 (`Entrywise`) |
/// | `relation_strength` | 1 | λ2 > 0 |
/// | `max_outer` | 100 | alternations at most |
/// | `outer_tol` | 1e-6 | stop when the objective decreases by less than this (relative) |
/// | `relation_eps` | 1e-8 | ε relative to `tr(WᵀW)/T` |
///
/// # Examples
/// ```
/// use mtreg::RelationLearning;
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [0.5, 2.0]];
/// let y = faer::mat![[1.0, 1.1, -1.0], [0.5, 0.6, -0.4], [1.5, 1.6, -1.5], [2.6, 2.7, -2.5], [1.4, 1.5, -1.5]];
/// let rel = RelationLearning::new(0.01).relation_strength(0.1).tol(1e-8).fit(&x, &y)?;
/// let c = rel.correlation();
/// assert!(c[(0, 1)] > 0.9 && c[(0, 2)] < -0.9); // tasks 0, 1 alike; task 2 opposite
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RelationLearning {
    base: MultiTaskElasticNet,
    sparsity: Sparsity,
    relation_strength: f64,
    max_outer: usize,
    outer_tol: f64,
    relation_eps: f64,
}

/// A fit with learned task relationships.
#[derive(Debug, Clone)]
pub struct RelationFit {
    fit: Fit,
    sigma: Mat<f64>,
    objectives: Vec<f64>,
    converged: bool,
}

impl RelationFit {
    /// The final W-step fit (coefficients, intercepts, certificate of the W-step).
    pub fn fit(&self) -> &Fit {
        &self.fit
    }
    /// The learned task covariance Σ (T × T, PSD, trace 1).
    pub fn sigma(&self) -> MatRef<'_, f64> {
        self.sigma.as_ref()
    }
    /// The task correlation matrix `Σ_st / √(Σ_ss Σ_tt)`.
    pub fn correlation(&self) -> Mat<f64> {
        let s = &self.sigma;
        Mat::from_fn(s.nrows(), s.ncols(), |i, j| {
            s[(i, j)] / (s[(i, i)] * s[(j, j)]).sqrt()
        })
    }
    /// The MTRL objective after each alternation (non-increasing).
    pub fn objectives(&self) -> &[f64] {
        &self.objectives
    }
    /// Whether the alternation met `outer_tol` (and the last W-step its `tol`).
    pub fn converged(&self) -> bool {
        self.converged && self.fit.converged()
    }
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

impl RelationLearning {
    /// A builder with the given `alpha`, `l1_ratio = 1`, L21 and λ2 = 1.
    pub fn new(alpha: f64) -> Self {
        Self {
            base: MultiTaskElasticNet::new(alpha).l1_ratio(1.0),
            sparsity: Sparsity::Group,
            relation_strength: 1.0,
            max_outer: 100,
            outer_tol: 1e-6,
            relation_eps: 1e-8,
        }
    }

    delegate! {
        /// Sets `alpha`.
        alpha: f64,
        /// ρ; λ1 = α(1 − ρ).
        l1_ratio: f64,
        /// Fit one intercept per task.
        fit_intercept: bool,
        /// Relative tolerance of each W-step.
        tol: f64,
        /// Maximum epochs of each W-step.
        max_iter: usize,
        /// Block visiting order.
        selection: Selection,
        /// Progress callback (W-steps).
        monitor: Option<Monitor>,
    }

    /// Ω: `Group` (L21) or `Entrywise` (L1).
    pub fn penalty(mut self, sparsity: Sparsity) -> Self {
        self.sparsity = sparsity;
        self
    }
    /// λ2 > 0.
    pub fn relation_strength(mut self, lambda2: f64) -> Self {
        self.relation_strength = lambda2;
        self
    }
    /// Maximum number of alternations.
    pub fn max_outer(mut self, n: usize) -> Self {
        self.max_outer = n;
        self
    }
    /// Relative objective decrease at which the alternation stops.
    pub fn outer_tol(mut self, tol: f64) -> Self {
        self.outer_tol = tol;
        self
    }
    /// ε of the Σ-step, relative to `tr(WᵀW)/T`.
    pub fn relation_eps(mut self, eps: f64) -> Self {
        self.relation_eps = eps;
        self
    }

    fn validate(&self) -> Result<()> {
        let bad = |name, value, expected| {
            Err(Error::InvalidParameter {
                name,
                value,
                expected,
            })
        };
        if !(self.relation_strength.is_finite() && self.relation_strength > 0.0) {
            return bad(
                "relation_strength",
                self.relation_strength,
                "finite and > 0",
            );
        }
        if !(self.relation_eps.is_finite() && self.relation_eps > 0.0) {
            return bad("relation_eps", self.relation_eps, "finite and > 0");
        }
        if !(self.outer_tol.is_finite() && self.outer_tol >= 0.0) {
            return bad("outer_tol", self.outer_tol, "finite and >= 0");
        }
        if self.max_outer == 0 {
            return bad("max_outer", 0.0, ">= 1");
        }
        self.base.validate()
    }

    /// Fits to a shared design X (n × p) and Y (n × T).
    ///
    /// # Errors
    /// As [`MultiTaskElasticNet::fit`], and `InvalidParameter` for bad relation
    /// parameters.
    pub fn fit<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
    ) -> Result<RelationFit> {
        let (x, y) = (x.as_faer(), y.as_faer());
        self.alternate(y.ncols(), |base, spec| fit_shared(base, spec, x, y))
    }

    /// Fits to per-task designs with task weights (default 1).
    ///
    /// # Errors
    /// As [`MultiTaskElasticNet::fit_tasks`].
    pub fn fit_tasks(
        &self,
        xs: &[MatRef<'_, f64>],
        ys: &[&[f64]],
        weights: Option<&[f64]>,
    ) -> Result<RelationFit> {
        self.alternate(xs.len(), |base, spec| {
            fit_per_task(base, spec, xs, ys, weights, false)
        })
    }

    fn alternate(
        &self,
        t: usize,
        w_step: impl Fn(&MultiTaskElasticNet, &ModelSpec) -> Result<Fit>,
    ) -> Result<RelationFit> {
        self.validate()?;
        if t == 0 {
            return Err(Error::EmptyInput("no tasks"));
        }
        let lambda2 = self.relation_strength;
        // Σ₀ = I/T, so λ2 Σ₀⁻¹ = λ2 T I.
        let mut sigma = Mat::from_fn(t, t, |i, j| if i == j { 1.0 / t as f64 } else { 0.0 });
        let mut sigma_inv = Mat::from_fn(t, t, |i, j| if i == j { t as f64 } else { 0.0 });
        let mut base = self.base.clone();
        let mut eps: Option<f64> = None;
        let mut objectives = Vec::new();
        let mut converged = false;
        let mut last_fit = None;
        for _ in 0..self.max_outer {
            let spec = ModelSpec {
                sparsity: self.sparsity,
                coupling: Some(Mat::from_fn(t, t, |i, j| lambda2 * sigma_inv[(i, j)])),
            };
            let fit = w_step(&base, &spec)?;
            // WᵀW (T × T)
            let w = fit.coef();
            let mut wtw = Mat::<f64>::zeros(t, t);
            matmul(
                wtw.as_mut(),
                Accum::Replace,
                w.transpose(),
                w,
                1.0,
                Par::Seq,
            );
            let eps = *eps.get_or_insert_with(|| {
                let tr = (0..t).map(|k| wtw[(k, k)]).sum::<f64>() / t as f64;
                self.relation_eps * tr.max(f64::MIN_POSITIVE)
            });
            // objective without the relation term, then the term at the new Σ
            let coupling_term: f64 = (0..t)
                .map(|i| (0..t).map(|j| sigma_inv[(i, j)] * wtw[(j, i)]).sum::<f64>())
                .sum();
            let base_objective = fit.objective() - 0.5 * lambda2 * coupling_term;
            for k in 0..t {
                wtw[(k, k)] += eps;
            }
            let evd = wtw
                .self_adjoint_eigen(faer::Side::Lower)
                .map_err(|e| Error::Linalg(format!("Σ-step eigendecomposition: {e:?}")))?;
            let roots: Vec<f64> = (0..t).map(|k| evd.S()[k].max(eps).sqrt()).collect();
            let trace: f64 = roots.iter().sum();
            let u = evd.U();
            sigma = Mat::from_fn(t, t, |i, j| {
                (0..t)
                    .map(|k| u[(i, k)] * roots[k] * u[(j, k)])
                    .sum::<f64>()
                    / trace
            });
            sigma_inv = Mat::from_fn(t, t, |i, j| {
                trace
                    * (0..t)
                        .map(|k| u[(i, k)] * u[(j, k)] / roots[k])
                        .sum::<f64>()
            });
            // tr(Σ⁻¹ (WᵀW + εI)) = tr(S)² at the optimal Σ.
            let objective = base_objective + 0.5 * lambda2 * trace * trace;
            let done = objectives
                .last()
                .is_some_and(|&prev: &f64| prev - objective <= self.outer_tol * objective.abs());
            objectives.push(objective);
            base = base.warm_start(Some(fit.coef().to_owned()));
            last_fit = Some(fit);
            if done {
                converged = true;
                break;
            }
        }
        Ok(RelationFit {
            fit: last_fit.expect("max_outer >= 1"),
            sigma,
            objectives,
            converged,
        })
    }
}
