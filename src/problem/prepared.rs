//! [`Problem`]: a [`Data`] input prepared once for the solvers.

use super::data::{Data, Source};
use crate::datafit::{Gram, PerTask, Quadratic};
use crate::error::{Error, Result};
use crate::linalg::{dot, sq_norm};
use crate::preprocess::{Scaling, prepare_stats, prepare_tasks_weighted, prepare_weighted};
use crate::stats::SufficientStats;
use crate::validate::{check_finite, validate_shapes, validate_xy};
use faer::{Accum, Mat, MatRef};
use std::sync::Arc;
use std::time::Instant;

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
    /// cost model ([`crate::solver::strategy::datafit_mode`]). Along a path or
    /// a cross-validation fold, where the Gram matrix is reused by every alpha,
    /// it is taken more often (the sweep revisits the choice).
    pub fn prefers_gram(n: usize, p: usize, t: usize) -> bool {
        Self::Auto.resolve(n, p, t, 1)
    }

    /// Whether a prepared problem serving `fits` fits uses the full Gram.
    fn resolve(self, n: usize, p: usize, t: usize, fits: usize) -> bool {
        use crate::solver::strategy::{DatafitMode, Shape, datafit_mode};
        match self {
            GramMode::Auto => datafit_mode(Shape { n, p, t }, fits) == DatafitMode::FullGram,
            GramMode::Always => true,
            GramMode::Never => false,
        }
    }
}

/// How a shared design is turned into a datafit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// Centred copy of X, residuals kept up to date ([`Quadratic`]).
    Residual,
    /// Centred copy of X, then `XᵀX` and `XᵀY` ([`Gram`]).
    Gram,
    /// `XᵀX` and `XᵀY` accumulated from chunks of rows, without a centred copy
    /// of X (peak memory X + O(p²)).
    GramFromChunks,
}

/// Designs with at least this many values build Gram mode from row chunks
/// instead of a centred copy (1 Mi values = 8 MiB); small problems keep the
/// direct route (lower fixed cost).
const STATS_ROUTE_MIN: usize = 1 << 20;

/// The one place where the residual/Gram choice is made, for a shared design
/// of n samples, p features and T tasks.
/// (single fit: [`Problem::plan_fits`] revisits the choice for a sweep).
pub(crate) fn choose_route(mode: GramMode, n: usize, p: usize, t: usize) -> Route {
    if t == 0 || !mode.resolve(n, p, t, 1) {
        Route::Residual
    } else if n.saturating_mul(p) >= STATS_ROUTE_MIN {
        Route::GramFromChunks
    } else {
        Route::Gram
    }
}

/// How the data are prepared before solving (from
/// [`Estimator::preprocessing`](crate::Estimator::preprocessing), or
/// [`Preprocessing::default`] with fields set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Preprocessing {
    /// Centre X and Y (intercepts fitted).
    pub fit_intercept: bool,
    /// Scale the columns of X to unit variance.
    pub standardize: bool,
    /// Residual or Gram mode (shared designs).
    pub gram: GramMode,
}

impl Default for Preprocessing {
    fn default() -> Self {
        Self {
            fit_intercept: true,
            standardize: false,
            gram: GramMode::Auto,
        }
    }
}

/// The datafit of a prepared problem; [`with_datafit!`] dispatches on it.
#[derive(Debug, Clone)]
pub(crate) enum AnyDatafit<'a> {
    Quadratic(Box<Quadratic<'a>>),
    Gram(Box<Gram>),
    PerTask(Box<PerTask>),
}

/// `with_datafit!(problem.datafit_mut(), |d| body)`: `body` instantiated for
/// the concrete datafit (static dispatch, one `match` per call).
macro_rules! with_datafit {
    ($datafit:expr, |$d:ident| $body:expr) => {
        match $datafit {
            $crate::problem::AnyDatafit::Quadratic($d) => {
                let $d = &mut **$d;
                $body
            }
            $crate::problem::AnyDatafit::Gram($d) => {
                let $d = &mut **$d;
                $body
            }
            $crate::problem::AnyDatafit::PerTask($d) => {
                let $d = &mut **$d;
                $body
            }
        }
    };
}
pub(crate) use with_datafit;

/// How solutions map back to the original data.
#[derive(Debug, Clone)]
enum Recovery {
    /// Shared design (or its statistics): one centring and scaling.
    Shared(Scaling),
    /// Per-task designs: task means (T × p, T), pooled column scales.
    Tasks {
        x_mean: Mat<f64>,
        y_mean: Vec<f64>,
        x_scale: Vec<f64>,
    },
    /// The pooled model: the solver's iterate is one row `w` (1 × p) and
    /// `W = w 1ᵀ`; task means as for `Tasks`.
    Pooled {
        x_mean: Mat<f64>,
        y_mean: Vec<f64>,
        x_scale: Vec<f64>,
    },
}

/// A [`Data`] input prepared once: validated, centred and scaled, with its
/// datafit built (residuals, Gram matrix or per-task residuals) and the
/// quantities every fit on it needs.
///
/// - `grad0 = −∇f(0)` (T × p, `XᵀY/n` for a shared design): alpha_max is its
///   dual norm under the penalty ([`Problem::grad0`]);
/// - the tolerance scale `Σ_t a_t ‖y_t‖²` (`‖Y‖²/n` for a shared design):
///   `tol` is relative to it ([`Problem::tol_scale`]);
/// - the inverse of the preparation (solutions back to the original scale,
///   intercepts).
///
/// Fits, paths, the refit of a cross-validation and the alternations of
/// [`RelationLearning`](crate::RelationLearning) all reuse one `Problem`
/// (each cross-validation fold prepares its own). Built by an estimator's
/// [`prepare`](crate::estimator::Estimator::prepare), with the estimator's
/// [`Preprocessing`].
///
/// The lifetime is that of the data: a shared design used as given (no
/// intercept, no standardisation) in residual mode is borrowed, not copied
/// (a copy of a large X costs as much as the whole fit of a sparse
/// solution); every other preparation owns what it built.
#[derive(Debug, Clone)]
pub struct Problem<'a> {
    datafit: AnyDatafit<'a>,
    exact_grad0: bool,
    inverse: Inverse,
    grad0: Mat<f64>,
    tol_scale: f64,
    preprocessing: Preprocessing,
    n_features: usize,
    n_tasks: usize,
    n_samples: usize,
    n_samples_per_task: Option<Vec<usize>>,
    weights: Option<Vec<f64>>,
    sample_weighted: bool,
    feature_names: Arc<[String]>,
    task_names: Arc<[String]>,
    seconds: f64,
}

/// What a route produces before the bookkeeping common to all.
struct Prepared<'a> {
    datafit: AnyDatafit<'a>,
    /// `grad0` is `−∇f(0)` exactly as the datafit computes it (the first
    /// gradient of a fit from zero needs no product).
    exact_grad0: bool,
    recovery: Recovery,
    grad0: Mat<f64>,
    tol_scale: f64,
}

impl<'a> Problem<'a> {
    /// Prepares `data` for fitting: validation, centring (with
    /// `fit_intercept`), standardisation, the datafit, `−∇f(0)` and the
    /// tolerance scale.
    ///
    /// With sample weights ([`Data::sample_weights`]) the rows are weighted
    /// as scikit-learn's `sample_weight` (see
    /// [`prepare_weighted`](crate::preprocess::prepare_weighted)): weighted
    /// centring, rows scaled by `√s_i`; everything downstream (datafit,
    /// `−∇f(0)`, tolerance scale, duality gap) is then the weighted problem's.
    ///
    /// # Errors
    /// `EmptyInput`, `ShapeMismatch`, `NonFinite`, `Overflow` for unusable
    /// data; `InvalidParameter` for a bad task or sample weight;
    /// `Incompatible` for task or sample weights with sufficient statistics.
    pub fn prepare(data: &Data<'a>, preprocessing: Preprocessing) -> Result<Self> {
        let start = Instant::now();
        data.check_names()?;
        let prep = preprocessing;
        let sw = data.sample_weight_values();
        let prepared = match (data.source(), data.weights()) {
            (Source::Shared { .. }, None) => {
                let (x, y) = data.shared_pair().expect("a shared design");
                shared(x, y, sw, prep)?
            }
            (Source::Stats(_), _) if sw.is_some() => return Err(stats_with_sample_weights()),
            (Source::Stats(stats), None) => from_stats(stats, prep)?,
            (Source::Stats(_), Some(_)) => {
                return Err(Error::Incompatible(
                    "task weights need the samples, not sufficient statistics".into(),
                ));
            }
            (source, weights) => {
                let views = data.task_views().expect("samples");
                let sws = sw
                    .map(|w| views.sample_weight_slices(w, matches!(source, Source::Shared { .. })))
                    .transpose()?;
                tasks(&views.xs, &views.y_slices(), weights, sws.as_deref(), prep)?
            }
        };
        Ok(Self::finish(data, prep, prepared, start))
    }

    /// Prepares `data` for the pooled model (one coefficient vector `w` shared
    /// by all tasks, `W = w 1ᵀ`): the tasks are centred by their own means,
    /// then stacked into one single-task problem whose rows are scaled by
    /// `√(a_t N)` (`a_t = c_t / n_t`, N = Σ n_t), so that
    /// `1/(2N) ‖ỹ − X̃w‖² = Σ_t a_t/2 ‖y_t − X_t w‖²`.
    ///
    /// # Errors
    /// As [`prepare`](Self::prepare); `InvalidParameter` for statistics.
    pub fn prepare_pooled(data: &Data<'_>, preprocessing: Preprocessing) -> Result<Self> {
        let start = Instant::now();
        data.check_names()?;
        if let Source::Shared { x, y } = data.source() {
            validate_xy(x, y)?;
        }
        let Some(views) = data.task_views() else {
            return Err(Error::InvalidParameter {
                name: "pooled (not available from sufficient statistics)",
                value: 1.0,
                expected: "false",
            });
        };
        let sws = data
            .sample_weight_values()
            .map(|w| views.sample_weight_slices(w, matches!(data.source(), Source::Shared { .. })))
            .transpose()?;
        let prepared = pooled(
            &views.xs,
            &views.y_slices(),
            data.weights(),
            sws.as_deref(),
            preprocessing,
        )?;
        Ok(Self::finish(data, preprocessing, prepared, start))
    }

    fn finish(
        data: &Data<'_>,
        preprocessing: Preprocessing,
        p: Prepared<'a>,
        start: Instant,
    ) -> Self {
        Self {
            datafit: p.datafit,
            exact_grad0: p.exact_grad0,
            inverse: Inverse {
                recovery: p.recovery,
                n_features: data.n_features(),
                n_tasks: data.n_tasks(),
            },
            grad0: p.grad0,
            tol_scale: p.tol_scale,
            preprocessing,
            n_features: data.n_features(),
            n_tasks: data.n_tasks(),
            n_samples: data.n_samples(),
            n_samples_per_task: data.n_samples_per_task(),
            weights: data.weights().map(<[f64]>::to_vec),
            sample_weighted: data.sample_weight_values().is_some(),
            feature_names: data.feature_names_shared(),
            task_names: data.task_names_shared(),
            seconds: start.elapsed().as_secs_f64(),
        }
    }

    /// `−∇f(0)` on the prepared scale, one column per feature (T × p; 1 × p
    /// for the pooled model): `max_j Ω*(column j) / ρ` is alpha_max.
    pub fn grad0(&self) -> MatRef<'_, f64> {
        self.grad0.as_ref()
    }

    /// The scale `tol` is relative to: `Σ_t a_t ‖y_t‖²` on the prepared data
    /// (`‖Y‖²_F / n` for a shared design, scikit-learn's).
    pub fn tol_scale(&self) -> f64 {
        self.tol_scale
    }

    /// The preparation applied.
    pub fn preprocessing(&self) -> Preprocessing {
        self.preprocessing
    }

    /// Whether the loss is evaluated from `XᵀX` (Gram mode).
    pub fn uses_gram(&self) -> bool {
        matches!(self.datafit, AnyDatafit::Gram(_))
    }

    /// Whether holding this problem costs less than rebuilding it: a Gram
    /// matrix (p × p, built in `n p²`) is kept, a centred copy of the data
    /// (as large as X, rebuilt in `n p`) is not. Cross-validation keeps the
    /// full-data problem for the refit only when this holds, so that it does
    /// not hold a second copy of X while the folds run.
    pub fn worth_keeping(&self) -> bool {
        self.uses_gram()
    }

    /// Prepares the problem for a sweep of `fits` fits: with `GramMode::Auto`,
    /// a residual datafit whose full Gram matrix the cost model
    /// ([`crate::solver::strategy::datafit_mode`]) prefers when it is reused
    /// by that many fits is replaced by it (built from the prepared X and Y,
    /// which are then dropped). Preparation itself assumes one fit.
    pub(crate) fn plan_fits(&mut self, fits: usize) {
        if self.preprocessing.gram != GramMode::Auto || fits <= 1 {
            return;
        }
        let AnyDatafit::Quadratic(q) = &self.datafit else {
            return;
        };
        let (n, p, t) = (q.x().nrows(), q.x().ncols(), q.y().ncols());
        if t > 0 && GramMode::Auto.resolve(n, p, t, fits) {
            let gram = Gram::new(q.x(), q.y());
            self.datafit = AnyDatafit::Gram(Box::new(gram));
            self.exact_grad0 = false;
        }
    }

    /// The solver's gradient state for a first fit from `wt0`: `−grad0` when
    /// `wt0` is zero and `grad0` is the datafit's own gradient (data used as
    /// given), so that the first check needs no product; else `None`.
    pub(crate) fn first_warm(&self, wt0: MatRef<'_, f64>) -> Option<crate::solver::WarmStart> {
        let zero = (0..wt0.ncols()).all(|j| wt0.col(j).iter().all(|&v| v == 0.0));
        (self.exact_grad0 && zero && wt0.nrows() == self.grad0.nrows()).then(|| {
            crate::solver::WarmStart::exact(Mat::from_fn(
                self.grad0.nrows(),
                self.grad0.ncols(),
                |k, j| -self.grad0[(k, j)],
            ))
        })
    }

    /// Whether this is the pooled problem ([`prepare_pooled`](Self::prepare_pooled)).
    pub fn is_pooled(&self) -> bool {
        matches!(self.inverse.recovery, Recovery::Pooled { .. })
    }

    /// Number of features p.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of tasks T (of the model, also when pooled).
    pub fn n_tasks(&self) -> usize {
        self.n_tasks
    }

    /// Number of samples (see [`Data::n_samples`]).
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// Samples per task, for per-task designs.
    pub fn n_samples_per_task(&self) -> Option<&[usize]> {
        self.n_samples_per_task.as_deref()
    }

    /// The task weights, if given.
    pub fn task_weights(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }

    /// Whether the samples were weighted ([`Data::sample_weights`]).
    pub fn is_sample_weighted(&self) -> bool {
        self.sample_weighted
    }

    /// Feature names (p).
    pub fn feature_names(&self) -> &Arc<[String]> {
        &self.feature_names
    }

    /// Task names (T).
    pub fn task_names(&self) -> &Arc<[String]> {
        &self.task_names
    }

    /// Seconds spent preparing.
    pub fn seconds(&self) -> f64 {
        self.seconds
    }

    /// The prepared (centred, scaled) samples X and Y of a shared design in
    /// residual mode; `None` for Gram mode, statistics and per-task designs.
    /// For models fitted in closed form (reduced-rank regression).
    pub(crate) fn shared_samples(&self) -> Option<(MatRef<'_, f64>, MatRef<'_, f64>)> {
        match &self.datafit {
            AnyDatafit::Quadratic(q) => Some((q.x(), q.y())),
            _ => None,
        }
    }

    /// Records task weights that the model applies itself (reduced-rank
    /// regression weights the closed form, not the datafit).
    pub(crate) fn set_task_weights(&mut self, weights: Option<&[f64]>) {
        self.weights = weights.map(<[f64]>::to_vec);
    }

    /// The inverse of the preparation.
    pub(crate) fn inverse(&self) -> &Inverse {
        &self.inverse
    }

    /// The datafit (mutable, for the solver) and the inverse of the
    /// preparation, borrowed together.
    pub(crate) fn split(&mut self) -> (&mut AnyDatafit<'a>, &Inverse) {
        (&mut self.datafit, &self.inverse)
    }

    /// The solver's start: zero, or original-scale coefficients `coef`
    /// (p × T) mapped to the prepared scale (task 0's column when pooled).
    ///
    /// # Errors
    /// `ShapeMismatch` unless `coef` is p × T, `NonFinite`.
    pub(crate) fn start(&self, coef: Option<&Mat<f64>>) -> Result<Mat<f64>> {
        let (p, t) = (self.n_features, self.n_tasks);
        let rows = if self.is_pooled() { 1 } else { t };
        let Some(w) = coef else {
            return Ok(Mat::zeros(rows, p));
        };
        if (w.nrows(), w.ncols()) != (p, t) {
            return Err(Error::ShapeMismatch {
                what: "warm_start coefficients (p × T) size",
                expected: p * t,
                found: w.nrows() * w.ncols(),
            });
        }
        check_finite("warm_start", w.as_ref())?;
        let x_scale = self.inverse.x_scale();
        Ok(Mat::from_fn(rows, p, |k, j| w[(j, k)] * x_scale[j]))
    }
}

/// The inverse of a preparation: solver iterates back to the original data.
#[derive(Debug, Clone)]
pub(crate) struct Inverse {
    recovery: Recovery,
    n_features: usize,
    n_tasks: usize,
}

impl Inverse {
    fn x_scale(&self) -> &[f64] {
        match &self.recovery {
            Recovery::Shared(s) => &s.x_scale,
            Recovery::Tasks { x_scale, .. } | Recovery::Pooled { x_scale, .. } => x_scale,
        }
    }

    /// Maps a solver iterate `wt` (prepared scale) back to original-scale
    /// coefficients (p × T) and intercepts (T).
    pub(crate) fn recover(&self, wt: MatRef<'_, f64>) -> (Mat<f64>, Vec<f64>) {
        let (p, t) = (self.n_features, self.n_tasks);
        match &self.recovery {
            Recovery::Shared(scaling) => scaling.recover(wt),
            Recovery::Tasks {
                x_mean,
                y_mean,
                x_scale,
            } => {
                let coef = Mat::from_fn(p, t, |j, k| wt[(k, j)] / x_scale[j]);
                let intercept = intercepts(&coef, x_mean, y_mean);
                (coef, intercept)
            }
            Recovery::Pooled {
                x_mean,
                y_mean,
                x_scale,
            } => {
                let coef = Mat::from_fn(p, t, |j, _| wt[(0, j)] / x_scale[j]);
                let intercept = intercepts(&coef, x_mean, y_mean);
                (coef, intercept)
            }
        }
    }
}

/// `XᵀY / n` as T × p (the negative gradient at W = 0).
pub(crate) fn xty_over_n(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Mat<f64> {
    let n = x.nrows() as f64;
    let mut g = Mat::<f64>::zeros(y.ncols(), x.ncols());
    // two to four tasks: the streaming kernel (a product reads X slower)
    let all: Vec<usize> = (0..x.ncols()).collect();
    if !crate::linalg::gradient_columns(x, &all, y, 1.0 / n, g.as_mut()) {
        crate::linalg::gemm(g.as_mut(), Accum::Replace, y.transpose(), x, 1.0 / n);
    }
    g
}

fn stats_with_sample_weights() -> Error {
    Error::Incompatible(
        "sample weights need the samples: sufficient statistics have summed over them already"
            .into(),
    )
}

/// Shared design: centre/scale (weighted with sample weights), then residual
/// or Gram mode. Weighted data take the Gram route through a weighted,
/// centred copy of X (the statistics route sums unweighted rows). Data used
/// as given (no intercept, no standardisation, no sample weights) are
/// neither centred nor copied ([`shared_as_given`]).
fn shared<'a>(
    x: MatRef<'a, f64>,
    y: MatRef<'a, f64>,
    sample_weights: Option<&[f64]>,
    prep: Preprocessing,
) -> Result<Prepared<'a>> {
    let route = choose_route(prep.gram, x.nrows(), x.ncols(), y.ncols());
    if !prep.fit_intercept
        && !prep.standardize
        && sample_weights.is_none()
        && route != Route::GramFromChunks
    {
        return shared_as_given(x, y, route);
    }
    if route == Route::GramFromChunks && sample_weights.is_none() {
        validate_xy(x, y)?;
        let stats = SufficientStats::from_data(&x, &y)?;
        return from_stats(&stats, prep);
    }
    let pr = prepare_weighted(x, y, sample_weights, prep.fit_intercept, prep.standardize)?;
    let n = pr.x.nrows() as f64;
    let grad0 = xty_over_n(pr.x.as_ref(), pr.y.as_ref());
    let datafit = if route != Route::Residual {
        AnyDatafit::Gram(Box::new(Gram::new(pr.x.as_ref(), pr.y.as_ref())))
    } else {
        AnyDatafit::Quadratic(Box::new(Quadratic::new(pr.x, pr.y)))
    };
    Ok(Prepared {
        exact_grad0: false,
        datafit,
        recovery: Recovery::Shared(pr.scaling),
        grad0,
        tol_scale: pr.y_sq / n,
    })
}

/// [`shared`] on data used as given (no intercept, no standardisation): no
/// centring pass and no copy.
///
/// One pass over X ([`crate::linalg::column_scan`]) gives `XᵀY/n` (alpha_max,
/// and the exact first gradient of a fit from zero, [`Problem::first_warm`]),
/// the column norms (the residual datafit's curvatures) and the validity check
/// (a non-finite or overflowing value makes a norm non-finite; only then is X
/// scanned again to name it). The residual datafit borrows X and Y (the
/// problem lives no longer than the data); the Gram route reads X directly.
/// Only X or Y without contiguous columns (row-major views) are copied first.
fn shared_as_given<'a>(
    x: MatRef<'a, f64>,
    y: MatRef<'a, f64>,
    route: Route,
) -> Result<Prepared<'a>> {
    validate_shapes(x, y)?;
    let contiguous = |m: MatRef<'_, f64>| m.nrows() <= 1 || m.row_stride() == 1;
    if !(contiguous(x) && contiguous(y)) {
        let (xo, yo) = (x.to_owned(), y.to_owned());
        let scan = checked_scan(xo.as_ref(), yo.as_ref())?;
        let (xty, y_sq) = (scan.xty, scan.y_sq);
        let datafit = if route == Route::Gram {
            AnyDatafit::Gram(Box::new(Gram::new(xo.as_ref(), yo.as_ref())))
        } else {
            AnyDatafit::Quadratic(Box::new(Quadratic::with_norms(xo, yo, scan.sq_norms)))
        };
        return Ok(as_given(
            datafit,
            xty,
            y_sq / x.nrows() as f64,
            x.ncols(),
            y.ncols(),
        ));
    }
    let scan = checked_scan(x, y)?;
    let (xty, y_sq) = (scan.xty, scan.y_sq);
    let datafit = if route == Route::Gram {
        AnyDatafit::Gram(Box::new(Gram::new(x, y)))
    } else {
        AnyDatafit::Quadratic(Box::new(Quadratic::borrowed(x, y, scan.sq_norms)))
    };
    Ok(as_given(
        datafit,
        xty,
        y_sq / x.nrows() as f64,
        x.ncols(),
        y.ncols(),
    ))
}

/// The one pass over X and Y of data used as given, refusing non-finite and
/// overflowing values (named as [`validate_xy`] and `prepare` name them).
fn checked_scan(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<crate::linalg::ColumnScan> {
    let scan = crate::linalg::column_scan(x, y);
    let x_ok = scan.sq_norms.iter().sum::<f64>().is_finite();
    if !(x_ok && scan.is_finite()) {
        // name the first non-finite value, else it is an overflow
        validate_xy(x, y)?;
        return Err(Error::Overflow {
            what: if x_ok { "Y" } else { "X" },
        });
    }
    Ok(scan)
}

/// The prepared problem of data used as given.
fn as_given(
    datafit: AnyDatafit<'_>,
    grad0: Mat<f64>,
    tol_scale: f64,
    p: usize,
    t: usize,
) -> Prepared<'_> {
    Prepared {
        exact_grad0: matches!(datafit, AnyDatafit::Quadratic(_)),
        datafit,
        recovery: Recovery::Shared(Scaling {
            x_mean: vec![0.0; p],
            y_mean: vec![0.0; t],
            x_scale: vec![1.0; p],
        }),
        grad0,
        tol_scale,
    }
}

/// Sufficient statistics: always Gram mode.
fn from_stats(stats: &SufficientStats, prep: Preprocessing) -> Result<Prepared<'static>> {
    let ps = prepare_stats(stats, prep.fit_intercept, prep.standardize)?;
    let n = stats.n_samples() as f64;
    let grad0 = ps.c.transpose().to_owned();
    let tol_scale = ps.y_sq / n;
    Ok(Prepared {
        exact_grad0: false,
        datafit: AnyDatafit::Gram(Box::new(Gram::from_stats(ps.q, ps.c, ps.y_sq, n))),
        recovery: Recovery::Shared(ps.scaling),
        grad0,
        tol_scale,
    })
}

/// Per-task quantities of the loss `Σ_t a_t/2 ‖y_t − X_t w_t‖²`: `a_t`, the
/// tolerance scale `Σ_t a_t ‖y_t‖²` and `−∇f(0)` (T × p, `a_t X_tᵀ y_t`).
fn task_loss(x: &[Mat<f64>], y: &[Vec<f64>], weights: &[f64]) -> Result<(Vec<f64>, f64, Mat<f64>)> {
    let a: Vec<f64> = weights
        .iter()
        .zip(y)
        .map(|(c, y)| c / y.len() as f64)
        .collect();
    let y_scale: f64 = y.iter().zip(&a).map(|(y, ak)| ak * sq_norm(y)).sum();
    let p = x[0].ncols();
    let grad0 = Mat::from_fn(a.len(), p, |k, j| a[k] * dot(x[k].col_as_slice(j), &y[k]));
    if !y_scale.is_finite() || grad0.col_iter().any(|c| c.iter().any(|v| !v.is_finite())) {
        return Err(Error::Overflow {
            what: "the per-task data",
        });
    }
    Ok((a, y_scale, grad0))
}

/// Per-task designs (a shared design with task weights arrives here too),
/// with sample weights per task if given.
fn tasks(
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
    sample_weights: Option<&[&[f64]]>,
    prep: Preprocessing,
) -> Result<Prepared<'static>> {
    let pt = prepare_tasks_weighted(
        xs,
        ys,
        weights,
        sample_weights,
        prep.fit_intercept,
        prep.standardize,
    )?;
    let (_, tol_scale, grad0) = task_loss(&pt.x, &pt.y, &pt.weights)?;
    Ok(Prepared {
        exact_grad0: false,
        datafit: AnyDatafit::PerTask(Box::new(PerTask::new(pt.x, pt.y, &pt.weights))),
        recovery: Recovery::Tasks {
            x_mean: pt.x_mean,
            y_mean: pt.y_mean,
            x_scale: pt.x_scale,
        },
        grad0,
        tol_scale,
    })
}

/// The pooled model's stacked single-task problem (see
/// [`Problem::prepare_pooled`]).
fn pooled(
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
    sample_weights: Option<&[&[f64]]>,
    prep: Preprocessing,
) -> Result<Prepared<'static>> {
    let pt = prepare_tasks_weighted(
        xs,
        ys,
        weights,
        sample_weights,
        prep.fit_intercept,
        prep.standardize,
    )?;
    let (a, tol_scale, _) = task_loss(&pt.x, &pt.y, &pt.weights)?;
    let p = pt.x[0].ncols();
    let total: usize = pt.y.iter().map(Vec::len).sum();
    // Stack rows scaled by √(a_t N): then 1/(2N)‖ỹ − X̃w‖² = Σ_t a_t/2 ‖y_t − X_t w‖².
    let mut xs = Mat::<f64>::zeros(total, p);
    let mut ys = Vec::with_capacity(total);
    let mut row = 0;
    for (k, (xk, yk)) in pt.x.iter().zip(&pt.y).enumerate() {
        let s = (a[k] * total as f64).sqrt();
        for (i, yi) in yk.iter().enumerate() {
            for j in 0..p {
                xs[(row, j)] = s * xk[(i, j)];
            }
            ys.push(s * yi);
            row += 1;
        }
    }
    let grad0 = Mat::from_fn(1, p, |_, j| dot(xs.col_as_slice(j), &ys) / total as f64);
    Ok(Prepared {
        exact_grad0: false,
        datafit: AnyDatafit::PerTask(Box::new(PerTask::new(vec![xs], vec![ys], &[1.0]))),
        recovery: Recovery::Pooled {
            x_mean: pt.x_mean,
            y_mean: pt.y_mean,
            x_scale: pt.x_scale,
        },
        grad0,
        tol_scale,
    })
}

/// `b_t = ȳ_t − x̄_tᵀ w_t`.
fn intercepts(coef: &Mat<f64>, x_mean: &Mat<f64>, y_mean: &[f64]) -> Vec<f64> {
    (0..y_mean.len())
        .map(|k| {
            y_mean[k]
                - (0..coef.nrows())
                    .map(|j| x_mean[(k, j)] * coef[(j, k)])
                    .sum::<f64>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datafit::Datafit;

    /// The first gradient handed to a fit of data used as given is the
    /// datafit's own `∇f(0)` (to rounding), and only then is one handed over.
    #[test]
    fn first_warm_is_the_datafits_gradient_at_zero() {
        let (n, p, t) = (40, 7, 3);
        let x = Mat::from_fn(n, p, |i, j| ((i * 7 + j * 3) % 11) as f64 - 4.0);
        let y = Mat::from_fn(n, t, |i, k| ((i * 5 + k) % 7) as f64 - 2.5);
        let as_given = Preprocessing {
            fit_intercept: false,
            gram: GramMode::Never,
            ..Preprocessing::default()
        };
        let mut problem = Problem::prepare(&Data::shared(&x, &y), as_given).unwrap();
        let zero = Mat::<f64>::zeros(t, p);
        let warm = problem.first_warm(zero.as_ref()).expect("exact at zero");
        let (datafit, _) = problem.split();
        let AnyDatafit::Quadratic(d) = datafit else {
            panic!("residual datafit expected");
        };
        d.init_state(zero.as_ref());
        let mut grad = Mat::<f64>::zeros(t, p);
        d.full_gradient(grad.as_mut());
        for j in 0..p {
            for k in 0..t {
                let (a, b) = (warm.grad[(k, j)], grad[(k, j)]);
                assert!(
                    (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
                    "({k}, {j}): {a} vs {b}"
                );
            }
        }
        // not at a non-zero start, not after centring
        let start = Mat::from_fn(t, p, |k, j| (k + j) as f64);
        assert!(problem.first_warm(start.as_ref()).is_none());
        let centred = Problem::prepare(&Data::shared(&x, &y), Preprocessing::default()).unwrap();
        assert!(centred.first_warm(zero.as_ref()).is_none());
    }
}
