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
//! (with `tr(Σ⁻¹(WᵀW + εI))` in place of `tr(WΣ⁻¹Wᵀ)`) never increases. While
//! W = 0 (alpha at or near alpha_max), Σ stays I/T (its value for every ε) and
//! ε is fixed at the first non-zero W.
//! The problem is jointly convex, so the alternation converges to the optimum;
//! it converges slowly (sublinearly) when the optimal Σ is close to singular
//! (tasks in tight clusters), which `objectives()` shows.

use super::MultiTaskElasticNet;
use super::spec::{ModelSpec, alpha_max_per_task, alpha_max_shared, fit_per_task, fit_shared};
use crate::cv::{CvCurve, CvOptions, CvResult};
use crate::error::{Error, Result};
use crate::interop::MatrixInput;
use crate::model::Fit;
use crate::path::ProgressCallback;
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
/// | `warm_start` | none | start from a previous fit's W and Σ |
///
/// Model selection: [`cross_validate`](Self::cross_validate) over an alpha grid
/// at this λ2, [`cross_validate_grid`](Self::cross_validate_grid) over the
/// (alpha, λ2) grid.
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
    init: Option<Box<WarmStart>>,
}

/// Where a warm-started alternation begins: W (p × T, original scale), Σ, Σ⁻¹.
#[derive(Debug, Clone)]
struct WarmStart {
    coef: Mat<f64>,
    sigma: Mat<f64>,
    sigma_inv: Mat<f64>,
}

/// A fit with learned task relationships.
#[derive(Debug, Clone)]
pub struct RelationFit {
    fit: Fit,
    sigma: Mat<f64>,
    sigma_inv: Mat<f64>,
    objectives: Vec<f64>,
    converged: bool,
}

/// The cross-validation of [`RelationLearning`] over alphas and relation
/// strengths λ2, and the refit at the selected pair.
///
/// Every λ2 is scored on the same folds and the same alpha grid. The selected
/// λ2 is the one whose curve reaches the smallest mean held-out MSE (the first
/// in the given order among ties); `cv` is the cross-validation at that λ2, so
/// its `alpha_min`, `alpha_1se` and selected `alpha` come from that curve (the
/// 1-SE rule is applied within it), and `cv.fit` is the final W-step of the
/// refit.
#[derive(Debug, Clone)]
pub struct RelationCv {
    /// The relation strengths λ2, in the order given.
    pub strengths: Vec<f64>,
    /// The CV curve at each λ2 (same order).
    pub curves: Vec<CvCurve>,
    /// The selected λ2.
    pub relation_strength: f64,
    /// The cross-validation at the selected λ2 and its refit (W-step fit).
    pub cv: CvResult,
    /// The refit at (`cv.alpha`, `relation_strength`) on all data: Σ and the
    /// task correlations.
    pub relations: RelationFit,
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
            init: None,
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
    /// Start the alternation from a previous fit's W and Σ instead of W = 0 and
    /// Σ = I/T. Along a decreasing grid of alphas, as the cross-validation
    /// fits it, this saves alternations: 2–4× fewer (2–6× less time) on a
    /// 20-alpha path of a 200 × 60, 5-task problem. The problem being jointly
    /// convex, the optimum does not depend on the start (the stopping point
    /// does, within `outer_tol`).
    ///
    /// ```
    /// use mtreg::RelationLearning;
    /// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [0.5, 2.0]];
    /// let y = faer::mat![[1.0, 1.1, -1.0], [0.5, 0.6, -0.4], [1.5, 1.6, -1.5], [2.6, 2.7, -2.5], [1.4, 1.5, -1.5]];
    /// let model = RelationLearning::new(0.1).relation_strength(0.1).tol(1e-8);
    /// let first = model.fit(&x, &y)?;
    /// let next = model.alpha(0.05).warm_start(Some(&first)).fit(&x, &y)?;
    /// assert!(next.converged());
    /// Ok::<(), mtreg::Error>(())
    /// ```
    pub fn warm_start(mut self, from: Option<&RelationFit>) -> Self {
        self.init = from.map(|r| {
            Box::new(WarmStart {
                coef: r.fit.coef.clone(),
                sigma: r.sigma.clone(),
                sigma_inv: r.sigma_inv.clone(),
            })
        });
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

    /// K-fold cross-validation over an alpha grid at this `relation_strength`,
    /// then a refit at the selected alpha (shared design; see [`crate::cv`]):
    /// [`cross_validate_grid`](Self::cross_validate_grid) with one strength.
    ///
    /// # Errors
    /// As [`cross_validate_grid`](Self::cross_validate_grid).
    pub fn cross_validate<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
        opts: &CvOptions,
    ) -> Result<RelationCv> {
        self.cross_validate_grid(x, y, &[self.relation_strength], opts)
    }

    /// K-fold cross-validation over the grid of alphas × relation strengths λ2
    /// (shared design), then a refit at the selected pair (see [`RelationCv`]
    /// and [`crate::cv`]).
    ///
    /// The alpha grid is computed once on the full data (alpha_max does not
    /// depend on λ2). In each fold the alphas are fitted from the largest down,
    /// each fit warm-started at the previous one's W and Σ
    /// ([`warm_start`](Self::warm_start)). The (fold, λ2) pairs run in parallel
    /// on `opts.threads` threads; the results do not depend on their number.
    /// This builder's own `alpha`, `relation_strength` and warm start are
    /// ignored.
    ///
    /// ```
    /// use mtreg::{RelationLearning, cv::CvOptions, path::AlphaGrid};
    /// let data = mtreg::generate::MakeRegression::new()
    ///     .n_samples(30).n_features(6).n_informative(2).n_targets(3).noise(1.0).generate()?;
    /// let opts = CvOptions { folds: 3, grid: AlphaGrid::Auto { n_alphas: 4, eps: 0.1 }, ..CvOptions::default() };
    /// let cv = RelationLearning::new(1.0).cross_validate_grid(&data.x, &data.y, &[0.1, 1.0], &opts)?;
    /// assert_eq!(cv.curves.len(), 2);
    /// assert!([0.1, 1.0].contains(&cv.relation_strength));
    /// assert_eq!(cv.relations.sigma().nrows(), 3);
    /// Ok::<(), mtreg::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`fit`](Self::fit); `EmptyInput` for no strengths; `InvalidParameter`
    /// for a bad strength or bad CV options.
    pub fn cross_validate_grid<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
        strengths: &[f64],
        opts: &CvOptions,
    ) -> Result<RelationCv> {
        let (x, y) = (x.as_faer(), y.as_faer());
        let models = self.grid_models(strengths)?;
        let spec = ModelSpec::elastic(self.sparsity);
        let alphas = opts
            .grid
            .values(alpha_max_shared(&self.base, &spec, x, y)?)?;
        let path = |point: usize,
                    xt: MatRef<'_, f64>,
                    yt: MatRef<'_, f64>,
                    alphas: &[f64],
                    tick: Option<ProgressCallback>| {
            models[point].path_fits(alphas, tick.as_ref(), |m| m.fit(&xt, &yt))
        };
        let (folds, curves) = crate::cv::curves_shared(x, y, opts, &alphas, models.len(), &path)?;
        Self::select_and_refit(&models, alphas, folds, curves, opts, |m| m.fit(&x, &y))
    }

    /// As [`cross_validate`](Self::cross_validate) for per-task designs: each
    /// task's samples are split into K parts (see [`crate::cv`]).
    ///
    /// # Errors
    /// As [`cross_validate_grid_tasks`](Self::cross_validate_grid_tasks).
    pub fn cross_validate_tasks(
        &self,
        xs: &[MatRef<'_, f64>],
        ys: &[&[f64]],
        weights: Option<&[f64]>,
        opts: &CvOptions,
    ) -> Result<RelationCv> {
        self.cross_validate_grid_tasks(xs, ys, weights, &[self.relation_strength], opts)
    }

    /// As [`cross_validate_grid`](Self::cross_validate_grid) for per-task
    /// designs with task weights (default 1).
    ///
    /// # Errors
    /// As [`fit_tasks`](Self::fit_tasks) and
    /// [`cross_validate_grid`](Self::cross_validate_grid).
    pub fn cross_validate_grid_tasks(
        &self,
        xs: &[MatRef<'_, f64>],
        ys: &[&[f64]],
        weights: Option<&[f64]>,
        strengths: &[f64],
        opts: &CvOptions,
    ) -> Result<RelationCv> {
        let models = self.grid_models(strengths)?;
        let spec = ModelSpec::elastic(self.sparsity);
        let full_amax = alpha_max_per_task(&self.base, &spec, xs, ys, weights)?;
        let alphas = opts.grid.values(full_amax)?;
        let path = |point: usize,
                    xt: &[MatRef<'_, f64>],
                    yt: &[&[f64]],
                    alphas: &[f64],
                    tick: Option<ProgressCallback>| {
            models[point].path_fits(alphas, tick.as_ref(), |m| m.fit_tasks(xt, yt, weights))
        };
        let (folds, curves) = crate::cv::curves_tasks(xs, ys, opts, &alphas, models.len(), &path)?;
        Self::select_and_refit(&models, alphas, folds, curves, opts, |m| {
            m.fit_tasks(xs, ys, weights)
        })
    }

    /// One cold-started model per strength, each validated.
    fn grid_models(&self, strengths: &[f64]) -> Result<Vec<RelationLearning>> {
        if strengths.is_empty() {
            return Err(Error::EmptyInput("no relation strengths"));
        }
        strengths
            .iter()
            .map(|&lambda2| {
                let m = self.clone().relation_strength(lambda2).warm_start(None);
                m.validate()?;
                Ok(m)
            })
            .collect()
    }

    /// The final W-step fits at `alphas` (decreasing), each alternation
    /// warm-started at the previous alpha's W and Σ; `tick` after each alpha.
    fn path_fits(
        &self,
        alphas: &[f64],
        tick: Option<&ProgressCallback>,
        fit: impl Fn(&RelationLearning) -> Result<RelationFit>,
    ) -> Result<Vec<Fit>> {
        let mut fits = Vec::with_capacity(alphas.len());
        let mut prev: Option<RelationFit> = None;
        for &alpha in alphas {
            let rel = fit(&self.clone().alpha(alpha).warm_start(prev.as_ref()))?;
            fits.push(rel.fit.clone());
            if let Some(t) = tick {
                t.call(fits.len(), alphas.len());
            }
            prev = Some(rel);
        }
        Ok(fits)
    }

    /// Picks the strength with the smallest CV error, then refits there at its
    /// selected alpha.
    fn select_and_refit(
        models: &[RelationLearning],
        alphas: Vec<f64>,
        folds: Vec<Vec<usize>>,
        curves: Vec<CvCurve>,
        opts: &CvOptions,
        refit: impl FnOnce(&RelationLearning) -> Result<RelationFit>,
    ) -> Result<RelationCv> {
        let best = crate::cv::best_point(&curves);
        let mut relations = None;
        let cv = crate::cv::finish(alphas, folds, curves[best].clone(), opts.select, |alpha| {
            let rel = refit(&models[best].clone().alpha(alpha))?;
            let fit = rel.fit.clone();
            relations = Some(rel);
            Ok(fit)
        })?;
        Ok(RelationCv {
            strengths: models.iter().map(|m| m.relation_strength).collect(),
            curves,
            relation_strength: models[best].relation_strength,
            cv,
            relations: relations.expect("finish refits once"),
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
        let mut base = self.base.clone();
        let (mut sigma, mut sigma_inv) = match &self.init {
            Some(init) => {
                if init.sigma.nrows() != t {
                    return Err(Error::ShapeMismatch {
                        what: "tasks of the warm start vs tasks in the data",
                        expected: t,
                        found: init.sigma.nrows(),
                    });
                }
                base = base.warm_start(Some(init.coef.clone()));
                (init.sigma.clone(), init.sigma_inv.clone())
            }
            // Σ₀ = I/T, so λ2 Σ₀⁻¹ = λ2 T I.
            None => (
                Mat::from_fn(t, t, |i, j| if i == j { 1.0 / t as f64 } else { 0.0 }),
                Mat::from_fn(t, t, |i, j| if i == j { t as f64 } else { 0.0 }),
            ),
        };
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
            let tr = (0..t).map(|k| wtw[(k, k)]).sum::<f64>() / t as f64;
            let objective = if eps.is_none() && tr == 0.0 {
                // W = 0 (alpha at or near alpha_max) and no ε yet: WᵀW + εI = εI
                // gives Σ = I/T for every ε, and the relation term vanishes with
                // ε. (An ε scaled by tr(WᵀW) = 0 would be subnormal, which the
                // eigensolver cannot handle.)
                sigma = Mat::from_fn(t, t, |i, j| if i == j { 1.0 / t as f64 } else { 0.0 });
                sigma_inv = Mat::from_fn(t, t, |i, j| if i == j { t as f64 } else { 0.0 });
                fit.objective()
            } else {
                let eps =
                    *eps.get_or_insert_with(|| (self.relation_eps * tr).max(f64::MIN_POSITIVE));
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
                base_objective + 0.5 * lambda2 * trace * trace
            };
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
            sigma_inv,
            objectives,
            converged,
        })
    }
}
