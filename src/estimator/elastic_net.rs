//! `MultiTaskElasticNet` and `MultiTaskLasso` (shared design), scikit-learn exact.

use super::Fit;
use super::spec::{Grid, ModelSpec, fit_shared};
use crate::certificate::Certificate;
use crate::datafit::{Datafit, Quadratic};
use crate::error::{Error, Result};
use crate::interop::MatrixInput;
use crate::path::ProgressCallback;
use crate::penalty::{L21, Penalty, Sparsity};
use crate::preprocess::{check_finite, prepare};
use crate::solver::{self, Monitor, Selection, SolverOptions};
use crate::stats::SufficientStats;
use faer::{Mat, MatRef};

/// How the quadratic loss is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GramMode {
    /// Choose by a cost model (see [`GramMode::prefers_gram`]).
    #[default]
    Auto,
    /// Precompute `XᵀX` and `XᵀY` (block steps cost `O(pT)`).
    Always,
    /// Keep residuals `R = Y − XW` (block steps cost `O(nT)`).
    Never,
}

impl GramMode {
    /// What `Auto` picks for a single fit of an n × p × T problem: the engine's
    /// cost model ([`crate::solver::strategy::datafit_mode`]; along a path or
    /// CV fold, where the Gram matrix is reused, it is taken more often).
    pub fn prefers_gram(n: usize, p: usize, t: usize) -> bool {
        Self::Auto.resolve(n, p, t, 1)
    }

    /// Whether a prepared problem serving `fits` fits uses the full Gram.
    pub(crate) fn resolve(self, n: usize, p: usize, t: usize, fits: usize) -> bool {
        use crate::solver::strategy::{DatafitMode, Shape, datafit_mode};
        match self {
            GramMode::Auto => datafit_mode(Shape { n, p, t }, fits) == DatafitMode::FullGram,
            GramMode::Always => true,
            GramMode::Never => false,
        }
    }
}

/// Multi-task elastic net with shared sparsity:
///
/// ```text
/// P(W) = 1/(2n) ‖Y − XW‖²_F + alpha·l1_ratio·Σ_j ‖W_j‖₂ + alpha·(1 − l1_ratio)/2 ‖W‖²_F
/// ```
///
/// | Name | Default | Meaning | Range |
/// |---|---|---|---|
/// | `alpha` | (required) | regularisation strength | `> 0` |
/// | `l1_ratio` | 0.5 | L21 share of the penalty (1 = multi-task Lasso) | `(0, 1]` |
/// | `fit_intercept` | true | centre X and Y, report intercepts | |
/// | `standardize` | false | scale X columns to unit variance (coefficients reported on the original scale) | |
/// | `tol` | 1e-4 | stop when duality gap `≤ tol·‖Y‖²_F / n` (Y centred) | `≥ 0` |
/// | `max_iter` | 1000 | maximum epochs | `≥ 1` |
/// | `selection` | cyclic | block order | |
/// | `gram` | auto | residual or Gram-matrix mode | |
/// | `progress` | none | told `(done, total)` after each alpha of a path | |
/// | `warm_start` | none | initial coefficients (p × T) | |
/// | `threads` | 1 | threads of one fit's full-size products | `≥ 1` |
///
/// # Errors
/// `InvalidParameter` for out-of-range parameters, `ShapeMismatch`, `EmptyInput`,
/// `NonFinite` or `Overflow` for unusable data.
///
/// # Examples
/// ```
/// use mtreg::MultiTaskElasticNet;
/// let x = faer::mat![[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 1.0]];
/// let y = faer::mat![[1.0, 2.0], [0.0, 1.0], [1.0, 3.0], [1.0, 4.0]];
/// let fit = MultiTaskElasticNet::new(0.1).l1_ratio(0.7).tol(1e-8).fit(&x, &y)?;
/// assert_eq!(fit.coef().nrows(), 2); // p × T
/// assert!(fit.converged() && fit.certificate().is_satisfied());
/// let y_hat = fit.predict(&x)?;
/// assert_eq!((y_hat.nrows(), y_hat.ncols()), (4, 2));
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MultiTaskElasticNet {
    pub(super) alpha: f64,
    pub(super) l1_ratio: f64,
    pub(super) fit_intercept: bool,
    pub(super) standardize: bool,
    pub(super) tol: f64,
    pub(super) max_iter: usize,
    pub(super) selection: Selection,
    pub(super) gram: GramMode,
    pub(super) working_set: bool,
    pub(super) trace: bool,
    pub(super) anderson: bool,
    pub(super) screening: bool,
    pub(super) monitor: Option<Monitor>,
    pub(super) progress: Option<ProgressCallback>,
    pub(super) warm_start: Option<Mat<f64>>,
    pub(super) threads: usize,
}

/// Multi-task Lasso: [`MultiTaskElasticNet`] with `l1_ratio = 1`.
///
/// ```
/// use mtreg::MultiTaskLasso;
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
/// let y = faer::mat![[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]];
/// let fit = MultiTaskLasso::new(0.05).fit(&x, &y)?;
/// assert!(fit.coef()[(0, 0)] > 0.0 && fit.coef()[(1, 0)] == 0.0);
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MultiTaskLasso;

impl MultiTaskLasso {
    /// A multi-task Lasso builder (a [`MultiTaskElasticNet`] with `l1_ratio = 1`).
    #[allow(clippy::new_ret_no_self)]
    pub fn new(alpha: f64) -> MultiTaskElasticNet {
        MultiTaskElasticNet::new(alpha).l1_ratio(1.0)
    }
}

impl MultiTaskElasticNet {
    /// A builder with scikit-learn's defaults and the given `alpha`.
    pub fn new(alpha: f64) -> Self {
        Self {
            alpha,
            l1_ratio: 0.5,
            fit_intercept: true,
            standardize: false,
            tol: 1e-4,
            max_iter: 1000,
            selection: Selection::Cyclic,
            gram: GramMode::Auto,
            working_set: true,
            trace: false,
            anderson: true,
            screening: true,
            monitor: None,
            progress: None,
            warm_start: None,
            threads: 1,
        }
    }

    /// Sets `alpha`.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
    /// Sets `l1_ratio` (1 = multi-task Lasso).
    pub fn l1_ratio(mut self, l1_ratio: f64) -> Self {
        self.l1_ratio = l1_ratio;
        self
    }
    /// Whether to fit intercepts (centre the data).
    pub fn fit_intercept(mut self, yes: bool) -> Self {
        self.fit_intercept = yes;
        self
    }
    /// Whether to standardise the columns of X before fitting.
    pub fn standardize(mut self, yes: bool) -> Self {
        self.standardize = yes;
        self
    }
    /// Relative duality-gap tolerance.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// Maximum number of epochs.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }
    /// Block visiting order.
    pub fn selection(mut self, selection: Selection) -> Self {
        self.selection = selection;
        self
    }
    /// Residual or Gram mode.
    pub fn gram(mut self, gram: GramMode) -> Self {
        self.gram = gram;
        self
    }
    /// Use working sets (default true); false gives plain full-epoch BCD.
    pub fn working_set(mut self, yes: bool) -> Self {
        self.working_set = yes;
        self
    }
    /// Anderson extrapolation of the inner iterates (default true): fewer epochs
    /// on ill-conditioned problems, never a worse objective.
    pub fn anderson(mut self, yes: bool) -> Self {
        self.anderson = yes;
        self
    }
    /// Threads for one fit's full-size products (the gradient checks and the
    /// first pass over X; default 1). Epochs stay sequential. For many fits
    /// (CV) parallel folds scale better: see [`crate::cv::CvOptions::threads`].
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }
    /// Gap-safe screening (default true): zero rows proven inactive by the
    /// duality gap leave the working set and the gradient computations. The
    /// solution and the certificate (the full duality gap) are unchanged.
    pub fn screening(mut self, yes: bool) -> Self {
        self.screening = yes;
        self
    }
    /// Record the certificate at every outer check ([`Fit::trace`]).
    pub fn trace(mut self, yes: bool) -> Self {
        self.trace = yes;
        self
    }
    /// Call `monitor` at every outer check of the solver (progress reporting;
    /// returning false stops early).
    pub fn monitor(mut self, monitor: Option<Monitor>) -> Self {
        self.monitor = monitor;
        self
    }
    /// Call `progress` with `(alphas done, alphas in total)` after each alpha of
    /// [`path`](Self::path) (see [`ProgressCallback`]); single fits do not call
    /// it. Cross-validations take theirs from
    /// [`CvOptions::progress`](crate::cv::CvOptions::progress).
    pub fn progress(mut self, progress: Option<ProgressCallback>) -> Self {
        self.progress = progress;
        self
    }
    /// Start from these coefficients (p × T, original scale) instead of zero.
    pub fn warm_start(mut self, coef: Option<Mat<f64>>) -> Self {
        self.warm_start = coef;
        self
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// `InvalidParameter` naming the first parameter out of range.
    pub fn validate(&self) -> Result<()> {
        let bad = |name, value, expected| {
            Err(Error::InvalidParameter {
                name,
                value,
                expected,
            })
        };
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return bad("alpha", self.alpha, "finite and > 0");
        }
        if !(self.l1_ratio > 0.0 && self.l1_ratio <= 1.0) {
            return bad("l1_ratio", self.l1_ratio, "in (0, 1]");
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return bad("tol", self.tol, "finite and >= 0");
        }
        if self.max_iter == 0 {
            return bad("max_iter", 0.0, ">= 1");
        }
        if self.threads == 0 {
            return bad("threads", 0.0, ">= 1");
        }
        Ok(())
    }

    /// `alpha_max` of this model's data preparation (centring and, if set,
    /// standardisation) and `l1_ratio`: the smallest alpha giving W = 0.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn alpha_max_of<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
    ) -> Result<f64> {
        self.validate()?;
        let prep = prepare(
            x.as_faer(),
            y.as_faer(),
            self.fit_intercept,
            self.standardize,
        )?;
        Ok(alpha_max_prepared(
            prep.x.as_ref(),
            prep.y.as_ref(),
            self.l1_ratio,
        ))
    }

    /// Certifies arbitrary coefficients: the objective and duality gap of `coef`
    /// (p × T, original scale) for this model on X and Y, exactly as a fit would
    /// report them. Useful to check another solver's answer.
    ///
    /// ```
    /// use mtreg::MultiTaskLasso;
    /// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    /// let y = faer::mat![[1.0], [0.0], [1.0]];
    /// let model = MultiTaskLasso::new(0.05).tol(1e-10);
    /// let fit = model.fit(&x, &y)?;
    /// let (objective, cert) = model.certify(&x, &y, fit.coef())?;
    /// assert!((objective - fit.objective()).abs() < 1e-12 && cert.is_satisfied());
    /// Ok::<(), mtreg::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`fit`](Self::fit); `ShapeMismatch` if `coef` is not p × T.
    pub fn certify<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
        coef: MatRef<'_, f64>,
    ) -> Result<(f64, Certificate)> {
        self.validate()?;
        let prep = prepare(
            x.as_faer(),
            y.as_faer(),
            self.fit_intercept,
            self.standardize,
        )?;
        let (n, p, t) = (prep.x.nrows(), prep.x.ncols(), prep.y.ncols());
        if (coef.nrows(), coef.ncols()) != (p, t) {
            return Err(Error::ShapeMismatch {
                what: "coefficients (p × T) size",
                expected: p * t,
                found: coef.nrows() * coef.ncols(),
            });
        }
        check_finite("coef", coef)?;
        let wt = prep.scaling.to_solver_scale(coef);
        let tol = self.tol * prep.y_sq / n as f64;
        let penalty = L21::new(self.alpha, self.l1_ratio);
        let mut d = Quadratic::new(prep.x, prep.y);
        d.init_state(wt.as_ref());
        let mut grad = Mat::zeros(t, p);
        d.full_gradient(grad.as_mut());
        let opts = SolverOptions {
            tol,
            ..SolverOptions::default()
        };
        let cert = solver::certificate(&d, &penalty, grad.as_ref(), wt.as_ref(), &opts);
        Ok((d.value(wt.as_ref()) + penalty.value(wt.as_ref()), cert))
    }

    /// Solver options for a problem whose `tol` scale is `y_scale`
    /// (`Σ_t a_t ‖y_t‖²`, i.e. `‖Y‖²/n` for the shared design).
    /// KKT certificates (coupled models) stop at `tol · ρ · alpha_max`, the
    /// gradient scale of the problem.
    pub(crate) fn solver_options(&self, y_scale: f64, alpha_max: f64) -> SolverOptions {
        SolverOptions {
            tol: self.tol * y_scale,
            kkt_tol: self.tol * self.l1_ratio * alpha_max,
            max_iter: self.max_iter,
            working_set: self.working_set,
            selection: self.selection,
            trace: self.trace,
            anderson: self.anderson.then_some(5),
            screening: self.screening,
            monitor: self.monitor.clone(),
            threads: self.threads,
            ..SolverOptions::default()
        }
    }

    /// The starting `wt` (T × p) on the solver's scale: zero or the warm start.
    pub(crate) fn initial_wt(&self, p: usize, t: usize, x_scale: &[f64]) -> Result<Mat<f64>> {
        match &self.warm_start {
            None => Ok(Mat::zeros(t, p)),
            Some(w) => {
                if (w.nrows(), w.ncols()) != (p, t) {
                    return Err(Error::ShapeMismatch {
                        what: "warm_start coefficients (p × T) size",
                        expected: p * t,
                        found: w.nrows() * w.ncols(),
                    });
                }
                check_finite("warm_start", w.as_ref())?;
                Ok(Mat::from_fn(t, p, |k, j| w[(j, k)] * x_scale[j]))
            }
        }
    }

    /// Fits along a grid of alphas, from the largest down, each fit warm-started
    /// at the previous one (see [`crate::path`]). The builder's own `alpha` is
    /// ignored.
    ///
    /// # Errors
    /// As [`fit`](Self::fit), and `InvalidParameter` for a bad grid.
    pub fn path<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
        grid: &crate::path::AlphaGrid,
    ) -> Result<crate::path::Path> {
        super::spec::path_shared(
            self,
            &ModelSpec::elastic(Sparsity::Group),
            x.as_faer(),
            y.as_faer(),
            &super::spec::Grid::Given(grid),
        )
    }

    /// K-fold cross-validation over an alpha grid, then a refit on all data at
    /// the selected alpha (see [`crate::cv`]; scikit-learn's `MultiTaskLassoCV`).
    ///
    /// ```
    /// use mtreg::{MultiTaskLasso, cv::CvOptions, path::AlphaGrid};
    /// let data = mtreg::generate::MakeRegression::new()
    ///     .n_samples(40).n_features(8).n_informative(2).n_targets(2).noise(5.0).generate()?;
    /// let opts = CvOptions { grid: AlphaGrid::Auto { n_alphas: 10, eps: 1e-2 }, ..CvOptions::default() };
    /// let cv = MultiTaskLasso::new(1.0).cross_validate(&data.x, &data.y, &opts)?;
    /// assert_eq!(cv.mse_path.nrows(), 10);
    /// assert!(cv.alpha_1se >= cv.alpha_min && cv.fit.alpha() == cv.alpha_min);
    /// Ok::<(), mtreg::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`fit`](Self::fit), and `InvalidParameter` for bad CV options.
    pub fn cross_validate<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
        opts: &crate::cv::CvOptions,
    ) -> Result<crate::cv::CvResult> {
        super::spec::cv_shared(
            self,
            &ModelSpec::elastic(Sparsity::Group),
            x.as_faer(),
            y.as_faer(),
            opts,
        )
    }

    /// Fits the model to X (n × p) and Y (n × T).
    ///
    /// # Errors
    /// See the type-level documentation.
    pub fn fit<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
    ) -> Result<Fit> {
        fit_shared(
            self,
            &ModelSpec::elastic(Sparsity::Group),
            x.as_faer(),
            y.as_faer(),
        )
    }
}

impl MultiTaskElasticNet {
    /// Fits the model from sufficient statistics (see [`crate::stats`]):
    /// the same solution as [`fit`](Self::fit) on the data they summarise, up
    /// to rounding, always in Gram mode. Without an intercept the uncentred
    /// products are rebuilt from the centred ones and the means.
    ///
    /// # Errors
    /// As [`fit`](Self::fit); `EmptyInput` for statistics of no rows.
    pub fn fit_stats(&self, stats: &SufficientStats) -> Result<Fit> {
        let mut path = self.path_stats_grid(stats, &Grid::Single)?;
        Ok(path.fits.pop().expect("one alpha"))
    }

    /// [`path`](Self::path) from sufficient statistics.
    ///
    /// # Errors
    /// As [`fit_stats`](Self::fit_stats), and `InvalidParameter` for a bad grid.
    pub fn path_stats(
        &self,
        stats: &SufficientStats,
        grid: &crate::path::AlphaGrid,
    ) -> Result<crate::path::Path> {
        self.path_stats_grid(stats, &Grid::Given(grid))
    }

    fn path_stats_grid(
        &self,
        stats: &SufficientStats,
        grid: &Grid<'_>,
    ) -> Result<crate::path::Path> {
        super::spec::path_stats(self, &ModelSpec::elastic(Sparsity::Group), stats, grid)
    }
}

/// `max_j ‖x_jᵀ Y‖₂ / (n ρ)` on already prepared data: the very computation
/// the fits use, so that the two agree to the bit.
fn alpha_max_prepared(x: MatRef<'_, f64>, y: MatRef<'_, f64>, l1_ratio: f64) -> f64 {
    ModelSpec::elastic(Sparsity::Group).alpha_max(super::spec::xty_over_n(x, y).as_ref(), l1_ratio)
}

/// The smallest `alpha` for which the multi-task elastic net solution is exactly
/// zero: `max_j ‖X_jᵀ Y‖₂ / (n · l1_ratio)`, on centred data when
/// `fit_intercept` (and on standardised data if the fit will standardise: pass
/// the same flags as to the estimator via [`MultiTaskElasticNet`]).
///
/// ```
/// let x = faer::mat![[1.0], [-1.0]];
/// let y = faer::mat![[2.0, 0.0], [-2.0, 0.0]];
/// let a = mtreg::alpha_max(&x, &y, 1.0, true)?;
/// assert!((a - 2.0).abs() < 1e-15); // |x·y| / n = 4 / 2
/// Ok::<(), mtreg::Error>(())
/// ```
///
/// # Errors
/// `InvalidParameter` if `l1_ratio ∉ (0, 1]`; data errors as for `fit`.
pub fn alpha_max<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
    x: &X,
    y: &Y,
    l1_ratio: f64,
    fit_intercept: bool,
) -> Result<f64> {
    if !(l1_ratio > 0.0 && l1_ratio <= 1.0) {
        return Err(Error::InvalidParameter {
            name: "l1_ratio",
            value: l1_ratio,
            expected: "in (0, 1]",
        });
    }
    let prep = prepare(x.as_faer(), y.as_faer(), fit_intercept, false)?;
    Ok(alpha_max_prepared(
        prep.x.as_ref(),
        prep.y.as_ref(),
        l1_ratio,
    ))
}
