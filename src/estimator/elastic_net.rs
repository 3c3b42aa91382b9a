//! `MultiTaskElasticNet` and `MultiTaskLasso` (shared design), scikit-learn exact.

use super::penalties::GroupLasso;
use super::single::{self, SinglePenalty};
use super::{Estimator, Family, Model, sealed};
use crate::certificate::Certificate;
use crate::cv::{CvOptions, CvResult};
use crate::datafit::Datafit;
use crate::error::{Error, Result};
use crate::fitted::{Description, Fit};
use crate::interop::MatrixInput;
use crate::path::{AlphaGrid, Path, Settings};
use crate::penalty::{L21, Penalty};
use crate::problem::{Data, GramMode, Preprocessing, Problem, with_datafit};
use crate::solver::{self, SolverOptions};
use crate::validate::check_finite;
use faer::{Mat, MatRef};
use std::sync::Arc;

/// The model of [`MultiTaskElasticNet`]: the L21 penalty of scikit-learn's
/// `MultiTaskElasticNet`, no task coupling.
#[derive(Debug, Clone, Copy, Default)]
pub struct ElasticNet;

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
/// | `threads` | 1 | threads of one large fit's split products (epochs' block products, full gradients) | `≥ 1` |
///
/// The settings and the fitting methods are those of every [`Estimator`].
/// Per-task designs ([`fit_tasks`](Estimator::fit_tasks)) fit the same
/// penalty to `Σ_t c_t/(2 n_t) ‖y_t − X_t w_t‖²`.
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
pub type MultiTaskElasticNet = Estimator<ElasticNet>;

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

impl Estimator<ElasticNet> {
    /// A builder with scikit-learn's defaults and the given `alpha`.
    pub fn new(alpha: f64) -> Self {
        Self {
            settings: Settings::new(alpha, 0.5),
            model: ElasticNet,
        }
    }

    /// Start from these coefficients (p × T, original scale) instead of zero.
    pub fn warm_start(mut self, coef: Option<Mat<f64>>) -> Self {
        self.settings.warm_start = coef;
        self
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
    /// As [`fit`](Estimator::fit); `ShapeMismatch` if `coef` is not p × T.
    pub fn certify<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
        coef: MatRef<'_, f64>,
    ) -> Result<(f64, Certificate)> {
        self.certify_data(Data::shared(x, y), coef)
    }

    /// [`certify`](Self::certify) on any [`Data`] (sample weights, per-task
    /// designs with task weights, sufficient statistics). The data are
    /// prepared in residual mode (the gap evaluated from residuals, not from
    /// the Gram matrix), except sufficient statistics.
    ///
    /// # Errors
    /// As [`certify`](Self::certify).
    pub fn certify_data<'d>(
        &self,
        data: impl Into<Data<'d>>,
        coef: MatRef<'_, f64>,
    ) -> Result<(f64, Certificate)> {
        self.validate()?;
        let prep = Preprocessing {
            gram: GramMode::Never,
            ..self.preprocessing()
        };
        let mut problem = Problem::prepare(&data.into(), prep)?;
        let s = &self.settings;
        let alpha = match s.alpha_ratio {
            Some(r) => r * super::single::alpha_max(self, &problem)?,
            None => s.alpha,
        };
        let (p, t) = (problem.n_features(), problem.n_tasks());
        if (coef.nrows(), coef.ncols()) != (p, t) {
            return Err(Error::ShapeMismatch {
                what: "coefficients (p × T) size",
                expected: p * t,
                found: coef.nrows() * coef.ncols(),
            });
        }
        check_finite("coef", coef)?;
        let wt = problem.start(Some(&coef.to_owned()))?;
        let opts = SolverOptions {
            tol: s.tol * problem.tol_scale(),
            ..SolverOptions::default()
        };
        let penalty = L21::new(alpha, s.l1_ratio);
        let (datafit, _) = problem.split();
        Ok(with_datafit!(datafit, |d| {
            d.init_state(wt.as_ref());
            let mut grad = Mat::zeros(t, p);
            d.full_gradient(grad.as_mut());
            let cert = solver::certificate(d, &penalty, grad.as_ref(), wt.as_ref(), &opts);
            (d.value(wt.as_ref()) + penalty.value(wt.as_ref()), cert)
        }))
    }
}

impl sealed::Sealed for ElasticNet {}

impl SinglePenalty for ElasticNet {
    fn prepare_data<'d>(est: &Estimator<Self>, data: &Data<'d>) -> Result<Problem<'d>> {
        Problem::prepare(data, est.preprocessing())
    }

    fn plan(est: &Estimator<Self>, problem: &Problem) -> Result<(Family, Arc<Description>)> {
        let kind = super::single_kind(problem, "l21", false);
        let description = est.description(problem, kind, "l21");
        Ok((Family::new(GroupLasso), Arc::new(description)))
    }
}

impl Model for ElasticNet {
    type Fitted = Fit;
    type Cv = CvResult;

    fn check(_: &Estimator<Self>) -> Result<()> {
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

/// The smallest `alpha` for which the multi-task elastic net solution is exactly
/// zero: `max_j ‖X_jᵀ Y‖₂ / (n · l1_ratio)`, on centred data when
/// `fit_intercept` (to include standardisation, use
/// [`alpha_max_of`](Estimator::alpha_max_of) of the estimator).
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
    MultiTaskElasticNet::new(1.0)
        .l1_ratio(l1_ratio)
        .fit_intercept(fit_intercept)
        .gram(super::GramMode::Never)
        .alpha_max_of(x, y)
}
