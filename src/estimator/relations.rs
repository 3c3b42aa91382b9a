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

use super::{Estimator, Family, IntoFamily, Model, sealed};
use crate::cv::{CvCurve, CvOptions, CvResult};
use crate::error::{Error, Result};
use crate::fitted::{Fit, LearnedRelations, correlation};
use crate::interop::MatrixInput;
use crate::path::{AlphaGrid, Alphas, Path, ProgressCallback, Settings};
use crate::penalty::Sparsity;
use crate::problem::{Data, Problem};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use std::sync::Arc;
use std::time::Instant;

/// The model of [`RelationLearning`]: a penalty family (L21 or L1), the
/// relation strength λ2 and the settings of the alternation.
#[derive(Debug, Clone)]
pub struct Relations {
    family: Family,
    strength: f64,
    max_outer: usize,
    outer_tol: f64,
    eps: f64,
    init: Option<Box<RelationStart>>,
}

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
pub type RelationLearning = Estimator<Relations>;

/// Where a warm-started alternation begins: W (p × T, original scale), Σ, Σ⁻¹.
#[derive(Debug, Clone)]
struct RelationStart {
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
#[non_exhaustive]
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
    /// The fit: coefficients and intercepts of the final W-step with its
    /// certificate; `n_iter()` the epochs of all W-steps, `seconds()` the
    /// whole alternation, `converged()` as [`converged`](Self::converged).
    pub fn fit(&self) -> &Fit {
        &self.fit
    }
    /// The learned task covariance Σ (T × T, PSD, trace 1).
    pub fn sigma(&self) -> MatRef<'_, f64> {
        self.sigma.as_ref()
    }
    /// The task correlation matrix `Σ_st / √(Σ_ss Σ_tt)`.
    pub fn correlation(&self) -> Mat<f64> {
        correlation(self.sigma.as_ref())
    }
    /// The MTRL objective after each alternation (non-increasing).
    pub fn objectives(&self) -> &[f64] {
        &self.objectives
    }
    /// Whether the alternation met `outer_tol` and the last W-step its
    /// certificate (the same as `fit().converged()`).
    pub fn converged(&self) -> bool {
        self.fit.converged()
    }
    /// Whether the alternation met `outer_tol` within `max_outer`
    /// alternations (the last W-step aside: see its certificate).
    pub fn alternation_converged(&self) -> bool {
        self.converged
    }
    /// Alternations run (W-step then Σ-step), at most `max_outer`.
    pub fn n_outer(&self) -> usize {
        self.objectives.len()
    }
}

impl Estimator<Relations> {
    /// A builder with the given `alpha`, `l1_ratio = 1`, L21 and λ2 = 1.
    pub fn new(alpha: f64) -> Self {
        Self {
            settings: Settings::new(alpha, 1.0),
            model: Relations {
                family: Family::from(Sparsity::Group),
                strength: 1.0,
                max_outer: 100,
                outer_tol: 1e-6,
                eps: 1e-8,
                init: None,
            },
        }
    }

    /// Ω: `Group` (L21) or `Entrywise` (L1).
    pub fn penalty(mut self, penalty: impl IntoFamily) -> Self {
        self.model.family = penalty.into_family();
        self
    }
    /// λ2 > 0.
    pub fn relation_strength(mut self, lambda2: f64) -> Self {
        self.model.strength = lambda2;
        self
    }
    /// Maximum number of alternations.
    pub fn max_outer(mut self, n: usize) -> Self {
        self.model.max_outer = n;
        self
    }
    /// Relative objective decrease at which the alternation stops.
    pub fn outer_tol(mut self, tol: f64) -> Self {
        self.model.outer_tol = tol;
        self
    }
    /// ε of the Σ-step, relative to `tr(WᵀW)/T`.
    pub fn relation_eps(mut self, eps: f64) -> Self {
        self.model.eps = eps;
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
        self.model.init = from.map(|r| {
            Box::new(RelationStart {
                coef: r.fit.coef.clone(),
                sigma: r.sigma.clone(),
                sigma_inv: r.sigma_inv.clone(),
            })
        });
        self
    }

    /// K-fold cross-validation over the grid of alphas × relation strengths λ2
    /// (shared design), then a refit at the selected pair (see [`RelationCv`]
    /// and [`crate::cv`]): [`cross_validate_grid_data`](Self::cross_validate_grid_data)
    /// of [`Data::shared`].
    ///
    /// ```
    /// use mtreg::{RelationLearning, cv::CvOptions, path::AlphaGrid};
    /// let data = mtreg::generate::MakeRegression::new()
    ///     .n_samples(30).n_features(6).n_informative(2).n_targets(3).noise(1.0).generate()?;
    /// let opts = CvOptions::default().folds(3).grid(AlphaGrid::Auto { n_alphas: 4, eps: 0.1 });
    /// let cv = RelationLearning::new(1.0).cross_validate_grid(&data.x, &data.y, &[0.1, 1.0], &opts)?;
    /// assert_eq!(cv.curves.len(), 2);
    /// assert!([0.1, 1.0].contains(&cv.relation_strength));
    /// assert_eq!(cv.relations.sigma().nrows(), 3);
    /// Ok::<(), mtreg::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`cross_validate_grid_data`](Self::cross_validate_grid_data).
    pub fn cross_validate_grid<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
        strengths: &[f64],
        opts: &CvOptions,
    ) -> Result<RelationCv> {
        self.cross_validate_grid_data(Data::shared(x, y), strengths, opts)
    }

    /// As [`cross_validate_grid`](Self::cross_validate_grid) for per-task
    /// designs with task weights (default 1).
    ///
    /// # Errors
    /// As [`cross_validate_grid_data`](Self::cross_validate_grid_data).
    pub fn cross_validate_grid_tasks(
        &self,
        xs: &[MatRef<'_, f64>],
        ys: &[&[f64]],
        weights: Option<&[f64]>,
        strengths: &[f64],
        opts: &CvOptions,
    ) -> Result<RelationCv> {
        let data = Data::tasks(xs, ys).maybe_task_weights(weights);
        self.cross_validate_grid_data(data, strengths, opts)
    }

    /// K-fold cross-validation over the grid of alphas × relation strengths λ2,
    /// then a refit at the selected pair (see [`RelationCv`] and
    /// [`crate::cv`]).
    ///
    /// The alpha grid is computed once on the full data (alpha_max does not
    /// depend on λ2), which are prepared once (and kept for the refit in Gram
    /// mode, see [`Problem::worth_keeping`]). In each
    /// fold (prepared once) the alphas are fitted from the largest down, each
    /// fit warm-started at the previous one's W and Σ
    /// ([`warm_start`](Self::warm_start)). The (fold, λ2) pairs run in parallel
    /// on `opts.threads` threads; the results do not depend on their number.
    /// This builder's own `alpha`, `relation_strength` and warm start are
    /// ignored.
    ///
    /// # Errors
    /// As [`fit`](Estimator::fit); `EmptyInput` for no strengths;
    /// `InvalidParameter` for a bad strength or bad CV options.
    pub fn cross_validate_grid_data<'d>(
        &self,
        data: impl Into<Data<'d>>,
        strengths: &[f64],
        opts: &CvOptions,
    ) -> Result<RelationCv> {
        let data = data.into();
        let models = self.grid_models(strengths)?;
        let full = self.prepare(&data)?;
        let alphas = opts.grid.values(Relations::alpha_max(self, &full)?)?;
        // kept for the refit if cheaper to hold than to rebuild
        let mut full = full.worth_keeping().then_some(full);
        let path =
            |point: usize, fold: &Data<'_>, alphas: &[f64], tick: Option<ProgressCallback>| {
                let model = &models[point];
                let mut problem = Relations::prepare(model, fold)?;
                path_fits(model, &mut problem, alphas, tick.as_ref())
            };
        let (folds, curves) = crate::cv::curves(&data, opts, &alphas, models.len(), &path)?;
        select_and_refit(&models, alphas, folds, curves, opts, |m| {
            match full.as_mut() {
                Some(problem) => alternate(m, problem),
                None => alternate(m, &mut Relations::prepare(m, &data)?),
            }
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
}

/// The final W-step fits at `alphas` (decreasing), each alternation
/// warm-started at the previous alpha's W and Σ; `tick` after each alpha.
fn path_fits(
    est: &RelationLearning,
    problem: &mut Problem,
    alphas: &[f64],
    tick: Option<&ProgressCallback>,
) -> Result<Vec<Fit>> {
    let mut fits = Vec::with_capacity(alphas.len());
    let mut prev: Option<RelationFit> = None;
    for &alpha in alphas {
        let rel = alternate(&est.clone().alpha(alpha).warm_start(prev.as_ref()), problem)?;
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
    mut refit: impl FnMut(&RelationLearning) -> Result<RelationFit>,
) -> Result<RelationCv> {
    let best = crate::cv::best_point(curves.iter().map(CvCurve::min_mse));
    let mut relations = None;
    let cv = crate::cv::finish(alphas, folds, curves[best].clone(), opts.select, |alpha| {
        let rel = refit(&models[best].clone().alpha(alpha))?;
        let fit = rel.fit.clone();
        relations = Some(rel);
        Ok(fit)
    })?;
    Ok(RelationCv {
        strengths: models.iter().map(|m| m.model.strength).collect(),
        curves,
        relation_strength: models[best].model.strength,
        cv,
        relations: relations.expect("finish refits once"),
    })
}

/// The alternation on a prepared problem: W-steps on the same datafit, each
/// warm-started at the previous W.
fn alternate(est: &RelationLearning, problem: &mut Problem) -> Result<RelationFit> {
    let begin = Instant::now();
    let m = &est.model;
    let t = problem.n_tasks();
    let lambda2 = m.strength;
    let mut start: Option<Mat<f64>> = None;
    let (mut sigma, mut sigma_inv) = match &m.init {
        Some(init) => {
            if init.sigma.nrows() != t {
                return Err(Error::ShapeMismatch {
                    what: "tasks of the warm start vs tasks in the data",
                    expected: t,
                    found: init.sigma.nrows(),
                });
            }
            start = Some(init.coef.clone());
            (init.sigma.clone(), init.sigma_inv.clone())
        }
        // Σ₀ = I/T, so λ2 Σ₀⁻¹ = λ2 T I.
        None => (
            Mat::from_fn(t, t, |i, j| if i == j { 1.0 / t as f64 } else { 0.0 }),
            Mat::from_fn(t, t, |i, j| if i == j { t as f64 } else { 0.0 }),
        ),
    };
    let description = Arc::new(est.description(problem, "relation_learning", m.family.name()));
    let mut eps: Option<f64> = None;
    let mut objectives = Vec::new();
    let mut converged = false;
    let mut last_fit = None;
    let mut epochs = 0;
    for _ in 0..m.max_outer {
        let coupling = Mat::from_fn(t, t, |i, j| lambda2 * sigma_inv[(i, j)]);
        let family = m.family.coupled(coupling)?;
        let mut path = family.run(
            problem,
            &est.settings,
            Alphas::Single,
            start.as_ref(),
            &description,
        )?;
        let fit = path.fits.pop().expect("one alpha");
        epochs += fit.n_iter;
        // WᵀW (T × T) of the coefficients the penalty acts on (standardised
        // when the columns are: W̃_j = σ_j W_j)
        let w = fit.coef();
        let wt = problem.start(Some(&w.to_owned()))?;
        let mut wtw = Mat::<f64>::zeros(t, t);
        matmul(
            wtw.as_mut(),
            Accum::Replace,
            wt.as_ref(),
            wt.transpose(),
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
            let eps = *eps.get_or_insert_with(|| (m.eps * tr).max(f64::MIN_POSITIVE));
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
            .is_some_and(|&prev: &f64| prev - objective <= m.outer_tol * objective.abs());
        objectives.push(objective);
        start = Some(fit.coef().to_owned());
        last_fit = Some(fit);
        if done {
            converged = true;
            break;
        }
    }
    let mut fit: Fit = last_fit.expect("max_outer >= 1");
    let mut d = (*description).clone();
    d.relations = Some(LearnedRelations::new(
        lambda2,
        sigma.clone(),
        objectives.clone(),
    ));
    fit.description = Arc::new(d);
    // What the whole alternation did: every W-step's epochs, its time
    // (preparation included), and converged only when the alternation met
    // `outer_tol` and the last W-step its own certificate.
    fit.seconds = problem.seconds() + begin.elapsed().as_secs_f64();
    fit.n_iter = epochs;
    fit.converged = converged && fit.converged;
    Ok(RelationFit {
        fit,
        sigma,
        sigma_inv,
        objectives,
        converged,
    })
}

impl sealed::Sealed for Relations {}

impl Model for Relations {
    type Fitted = RelationFit;
    type Cv = RelationCv;

    fn check(est: &Estimator<Self>) -> Result<()> {
        let m = &est.model;
        let bad = |name, value, expected| {
            Err(Error::InvalidParameter {
                name,
                value,
                expected,
            })
        };
        if !(m.strength.is_finite() && m.strength > 0.0) {
            return bad("relation_strength", m.strength, "finite and > 0");
        }
        if !(m.eps.is_finite() && m.eps > 0.0) {
            return bad("relation_eps", m.eps, "finite and > 0");
        }
        if !(m.outer_tol.is_finite() && m.outer_tol >= 0.0) {
            return bad("outer_tol", m.outer_tol, "finite and >= 0");
        }
        if m.max_outer == 0 {
            return bad("max_outer", 0.0, ">= 1");
        }
        if m.family.sparsity().is_none() {
            return Err(Error::Incompatible(format!(
                "learned relations need the penalty l21 or l1, not {:?}",
                m.family.name()
            )));
        }
        Ok(())
    }
    fn prepare<'d>(est: &Estimator<Self>, data: &Data<'d>) -> Result<Problem<'d>> {
        Problem::prepare(data, est.preprocessing())
    }
    fn alpha_max(est: &Estimator<Self>, problem: &Problem) -> Result<f64> {
        est.model
            .family
            .alpha_max(problem.grad0(), est.settings.l1_ratio)
    }
    fn fit(est: &Estimator<Self>, problem: &mut Problem) -> Result<RelationFit> {
        alternate(est, problem)
    }
    fn path(est: &Estimator<Self>, problem: &mut Problem, grid: &AlphaGrid) -> Result<Path> {
        let alpha_max = Self::alpha_max(est, problem)?;
        let alphas = grid.values(alpha_max)?;
        let fits = path_fits(est, problem, &alphas, est.settings.progress.as_ref())?;
        Ok(Path {
            alphas,
            alpha_max,
            fits,
        })
    }
    fn cross_validate(
        est: &Estimator<Self>,
        data: &Data<'_>,
        opts: &CvOptions,
    ) -> Result<RelationCv> {
        est.cross_validate_grid_data(data, &[est.model.strength], opts)
    }
}
