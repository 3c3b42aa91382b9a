//! Regularisation paths: the alpha grid and warm-started fits along it.
//!
//! The grid is scikit-learn's: `n_alphas` values spaced geometrically from
//! `alpha_max` (the smallest alpha with W = 0, on the data as prepared for the
//! fit) down to `eps · alpha_max` (defaults 100 and 1e-3). Fits are computed from
//! the largest alpha down, each warm-started at the previous solution; the data
//! are centred once and the datafit (residuals or Gram matrix) built once. The
//! working set of each fit starts from the previous support plus the worst
//! violators of the optimality conditions, which is what makes the sequence
//! cheap: features far from entering are never visited by the inner epochs.
//!
//! Long paths and cross-validations can report their progress through a
//! [`ProgressCallback`], told after each fit how many of the fits are done.
//!
//! This module also holds the sweep itself, generic over the
//! [`PenaltyFamily`]: every fit, path, cross-validation fold and W-step of
//! the estimators runs through it on a prepared [`Problem`] (see
//! [`crate::problem`]).

use crate::certificate::Certificate;
use crate::error::{Error, Result};
use crate::fitted::{Components, Description, Fit, TaskClusters};
use crate::problem::{GramMode, PenaltyFamily, Preprocessing, Problem, Solve, with_datafit};
use crate::solver::{Monitor, Selection, Solution, SolverOptions};
use faer::Mat;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Told `(done, total)` after each fit of a path (one per alpha) or of a
/// cross-validation (one per fold, grid point and alpha), e.g. to move a
/// progress bar.
///
/// Calls are serialised, also when folds run on several threads: `done` counts
/// 1, 2, …, `total`, one call per fit. Set it with
/// [`MultiTaskElasticNet::progress`](crate::MultiTaskElasticNet::progress) for
/// paths and [`CvOptions::progress`](crate::cv::CvOptions::progress) for
/// cross-validations; single fits and CV refits do not call it.
///
/// ```
/// use mtreg::{MultiTaskLasso, path::{AlphaGrid, ProgressCallback}};
/// use std::sync::{Arc, Mutex};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let progress = ProgressCallback::new(move |done, total| log.lock().unwrap().push((done, total)));
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.5]];
/// let y = faer::mat![[1.0, 1.0], [0.0, 0.2], [1.0, 1.3], [2.1, 2.0]];
/// MultiTaskLasso::new(1.0).progress(Some(progress))
///     .path(&x, &y, &AlphaGrid::Auto { n_alphas: 3, eps: 1e-2 })?;
/// assert_eq!(*seen.lock().unwrap(), vec![(1, 3), (2, 3), (3, 3)]);
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Clone)]
pub struct ProgressCallback(Arc<dyn Fn(usize, usize) + Send + Sync>);

impl ProgressCallback {
    /// Wraps a closure called with `(done, total)`.
    pub fn new(f: impl Fn(usize, usize) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Calls the closure.
    pub fn call(&self, done: usize, total: usize) {
        (self.0)(done, total)
    }

    /// A callback for one of several concurrent runs whose fits together count
    /// `total`: each call of the returned callback reports one more fit to
    /// `self`, serialised, with `done` counted over all runs.
    pub(crate) fn shared_counter(&self, total: usize) -> SharedCounter {
        SharedCounter(Arc::new((self.clone(), total, Mutex::new(0))))
    }
}

/// Counts fits of concurrent runs into one [`ProgressCallback`] (see
/// [`ProgressCallback::shared_counter`]).
#[derive(Clone)]
pub(crate) struct SharedCounter(Arc<(ProgressCallback, usize, Mutex<usize>)>);

impl SharedCounter {
    /// Reports one more fit done.
    pub(crate) fn tick(&self) {
        let (callback, total, done) = &*self.0;
        // A panicking callback poisons the lock; the count itself stays valid.
        let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
        *done += 1;
        callback.call(*done, *total);
    }

    /// A callback that ticks this counter, whatever it is told.
    pub(crate) fn as_callback(&self) -> ProgressCallback {
        let counter = self.clone();
        ProgressCallback::new(move |_, _| counter.tick())
    }
}

impl std::fmt::Debug for ProgressCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressCallback(..)")
    }
}

/// Two callbacks are equal when they share the same closure.
impl PartialEq for ProgressCallback {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Which alphas to fit.
#[derive(Debug, Clone, PartialEq)]
pub enum AlphaGrid {
    /// `n_alphas` values geometric from alpha_max to `eps · alpha_max`.
    Auto {
        /// Number of alphas (scikit-learn default 100).
        n_alphas: usize,
        /// Ratio of the smallest to the largest alpha (default 1e-3).
        eps: f64,
    },
    /// These alphas (fitted in decreasing order).
    Explicit(Vec<f64>),
}

impl Default for AlphaGrid {
    fn default() -> Self {
        AlphaGrid::Auto {
            n_alphas: 100,
            eps: 1e-3,
        }
    }
}

impl AlphaGrid {
    /// The alphas, decreasing, for data whose alpha_max is `alpha_max`.
    ///
    /// # Errors
    /// As [`alpha_grid`] and [`check_alphas`].
    pub fn values(&self, alpha_max: f64) -> Result<Vec<f64>> {
        match self {
            AlphaGrid::Auto { n_alphas, eps } => alpha_grid(alpha_max, *n_alphas, *eps),
            AlphaGrid::Explicit(a) => check_alphas(a),
        }
    }
}

/// How each alpha of a path or cross-validation is declared solved (single
/// fits always use scikit-learn's `tol`). See docs/objective.md, *Stopping
/// along a path*.
///
/// - [`Relative`](PathTol::Relative)`(r)` (the default, `r` =
///   [`PathTol::DEFAULT_REL`]): at each alpha the duality gap is at most `r`
///   times a certified lower bound of the optimal objective **at that alpha**
///   (and at most scikit-learn's `tol · ‖Y‖²/n`); the KKT residual of coupled
///   models is at most `r^¾ · ρ · alpha` (and `tol · ρ · alpha_max`). Every
///   alpha is then solved to the same relative accuracy, however small the
///   objective gets along the path.
/// - [`Sklearn`](PathTol::Sklearn): scikit-learn's rule at every alpha, the
///   duality gap at most `tol · ‖Y‖²/n` (a threshold fixed by the data, which
///   at small alphas can exceed the objective itself: whole stretches of the
///   path then keep the previous alpha's coefficients). For parity with
///   scikit-learn's `MultiTaskLassoCV` and `lasso_path`.
///
/// ```
/// use mtreg::{MultiTaskLasso, path::{AlphaGrid, PathTol}};
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.5]];
/// let y = faer::mat![[1.0, 1.0], [0.0, 0.2], [1.0, 1.3], [2.1, 2.0]];
/// let grid = AlphaGrid::Auto { n_alphas: 5, eps: 1e-2 };
/// let path = MultiTaskLasso::new(1.0).path(&x, &y, &grid)?;
/// for fit in &path.fits[1..] {
///     // the gap at each alpha is at most 1e-8 of that alpha's objective
///     let gap = fit.certificate().value();
///     assert!(gap <= PathTol::DEFAULT_REL * fit.objective());
/// }
/// let sk = MultiTaskLasso::new(1.0).path_tol(PathTol::Sklearn).path(&x, &y, &grid)?;
/// assert_eq!(sk.fits.len(), 5);
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PathTol {
    /// Relative accuracy `r` at every alpha (see the type's documentation).
    Relative(f64),
    /// scikit-learn's `tol · ‖Y‖²/n` at every alpha.
    Sklearn,
}

impl PathTol {
    /// The default relative accuracy of paths and cross-validations, 1e-8:
    /// the gap bounds the in-sample prediction error by `√(2 r P*)`, so
    /// held-out errors move by at most about `2√(2r)` ≈ 3e-4 of their value
    /// (see docs/objective.md).
    pub const DEFAULT_REL: f64 = 1e-8;
}

impl Default for PathTol {
    fn default() -> Self {
        PathTol::Relative(Self::DEFAULT_REL)
    }
}

/// A path of fits, alphas decreasing.
///
/// ```
/// use mtreg::{MultiTaskLasso, path::AlphaGrid};
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.5]];
/// let y = faer::mat![[1.0, 1.0], [0.0, 0.2], [1.0, 1.3], [2.1, 2.0]];
/// let path = MultiTaskLasso::new(1.0).tol(1e-8)
///     .path(&x, &y, &AlphaGrid::Auto { n_alphas: 5, eps: 1e-2 })?;
/// assert_eq!(path.fits[0].n_nonzero_rows(), 0); // alpha_max
/// assert!(path.fits.iter().all(|f| f.certificate().is_satisfied()));
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Path {
    /// The alphas, decreasing.
    pub alphas: Vec<f64>,
    /// alpha_max on this data.
    pub alpha_max: f64,
    /// One fit per alpha, each with its certificate.
    pub fits: Vec<Fit>,
}

/// `n_alphas` values from `alpha_max` down to `eps · alpha_max`, geometric.
///
/// ```
/// let g = mtreg::path::alpha_grid(10.0, 3, 1e-2)?;
/// assert_eq!(g[0], 10.0);
/// assert!((g[1] - 1.0).abs() < 1e-12 && (g[2] - 0.1).abs() < 1e-12);
/// Ok::<(), mtreg::Error>(())
/// ```
///
/// # Errors
/// `InvalidParameter` if `n_alphas = 0`, `eps ∉ (0, 1)` or alpha_max is not
/// positive and finite (an all-zero Y has no path).
pub fn alpha_grid(alpha_max: f64, n_alphas: usize, eps: f64) -> Result<Vec<f64>> {
    if n_alphas == 0 {
        return Err(Error::InvalidParameter {
            name: "n_alphas",
            value: 0.0,
            expected: ">= 1",
        });
    }
    if !(eps > 0.0 && eps < 1.0) {
        return Err(Error::InvalidParameter {
            name: "eps",
            value: eps,
            expected: "in (0, 1)",
        });
    }
    if !(alpha_max.is_finite() && alpha_max > 0.0) {
        return Err(Error::InvalidParameter {
            name: "alpha_max (all targets constant?)",
            value: alpha_max,
            expected: "finite and > 0 to build an alpha grid",
        });
    }
    if n_alphas == 1 {
        return Ok(vec![alpha_max]);
    }
    let (lo, hi) = ((eps * alpha_max).ln(), alpha_max.ln());
    let step = (hi - lo) / (n_alphas - 1) as f64;
    let mut g: Vec<f64> = (0..n_alphas)
        .map(|k| (hi - step * k as f64).exp())
        .collect();
    // exact end points, as numpy.geomspace
    g[0] = alpha_max;
    g[n_alphas - 1] = eps * alpha_max;
    Ok(g)
}

/// Checks user alphas and returns them sorted decreasing.
///
/// # Errors
/// `InvalidParameter` for an empty list or an alpha that is not finite and > 0.
pub fn check_alphas(alphas: &[f64]) -> Result<Vec<f64>> {
    if alphas.is_empty() {
        return Err(Error::EmptyInput("no alphas"));
    }
    if let Some(&a) = alphas.iter().find(|a| !(a.is_finite() && **a > 0.0)) {
        return Err(Error::InvalidParameter {
            name: "alpha",
            value: a,
            expected: "finite and > 0",
        });
    }
    let mut v = alphas.to_vec();
    v.sort_by(|a, b| b.total_cmp(a));
    Ok(v)
}

/// The alphas of `grid` for the penalty named `penalty` whose alpha_max is
/// `alpha_max`: as [`AlphaGrid::values`], with a clear error for a relative
/// grid when the penalty has no alpha_max (infinite: a smooth penalty).
pub(crate) fn grid_values(grid: &AlphaGrid, alpha_max: f64, penalty: &str) -> Result<Vec<f64>> {
    if alpha_max == f64::INFINITY && matches!(grid, AlphaGrid::Auto { .. }) {
        return Err(Error::Incompatible(format!(
            "the {penalty} penalty has no alpha_max (W = 0 is never optimal): give explicit alphas"
        )));
    }
    grid.values(alpha_max)
}

/// The settings every estimator shares (scikit-learn's names; see
/// [`MultiTaskElasticNet`](crate::MultiTaskElasticNet) for their meaning).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub alpha: f64,
    /// When set, fits use `alpha_ratio · alpha_max` of the prepared data
    /// instead of `alpha`.
    pub alpha_ratio: Option<f64>,
    pub l1_ratio: f64,
    pub fit_intercept: bool,
    pub standardize: bool,
    pub tol: f64,
    pub path_tol: PathTol,
    pub max_iter: usize,
    pub selection: Selection,
    pub gram: GramMode,
    pub working_set: bool,
    pub trace: bool,
    pub anderson: bool,
    pub screening: bool,
    pub monitor: Option<Monitor>,
    pub progress: Option<ProgressCallback>,
    pub warm_start: Option<Mat<f64>>,
    pub threads: usize,
}

impl Settings {
    /// scikit-learn's defaults with the given `alpha` and `l1_ratio`.
    pub fn new(alpha: f64, l1_ratio: f64) -> Self {
        Self {
            alpha,
            alpha_ratio: None,
            l1_ratio,
            fit_intercept: true,
            standardize: false,
            tol: 1e-4,
            path_tol: PathTol::default(),
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
        if let Some(r) = self.alpha_ratio.filter(|r| !(r.is_finite() && *r > 0.0)) {
            return bad("alpha_ratio", r, "finite and > 0");
        }
        if !(self.l1_ratio > 0.0 && self.l1_ratio <= 1.0) {
            return bad("l1_ratio", self.l1_ratio, "in (0, 1]");
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return bad("tol", self.tol, "finite and >= 0");
        }
        if let PathTol::Relative(r) = self.path_tol
            && !(r.is_finite() && r > 0.0 && r < 1.0)
        {
            return bad("path_tol", r, "in (0, 1)");
        }
        if self.max_iter == 0 {
            return bad("max_iter", 0.0, ">= 1");
        }
        if self.threads == 0 {
            return bad("threads", 0.0, ">= 1");
        }
        Ok(())
    }

    /// How the data are prepared.
    pub fn preprocessing(&self) -> Preprocessing {
        Preprocessing {
            fit_intercept: self.fit_intercept,
            standardize: self.standardize,
            gram: self.gram,
        }
    }
}

/// Which alphas a run solves for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Alphas<'a> {
    /// The estimator's own `alpha` (one fit: no progress reports, Anderson
    /// extrapolation on).
    Single,
    /// A grid resolved against the problem's alpha_max.
    Grid(&'a AlphaGrid),
    /// Given alphas (solved in decreasing order).
    Explicit(&'a [f64]),
}

/// A rayon pool of `threads` workers, built on first use and kept for the
/// process (fits asking for the same number of threads share it; its workers
/// sleep between fits).
fn shared_pool(threads: usize) -> Result<std::sync::Arc<rayon::ThreadPool>> {
    type Pool = (usize, std::sync::Arc<rayon::ThreadPool>);
    static POOLS: std::sync::Mutex<Vec<Pool>> = std::sync::Mutex::new(Vec::new());
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, pool)) = pools.iter().find(|(k, _)| *k == threads) {
        return Ok(pool.clone());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Linalg(format!("cannot start {threads} threads: {e}")))?;
    let pool = std::sync::Arc::new(pool);
    pools.push((threads, pool.clone()));
    Ok(pool)
}

/// The pipeline after preparation, written once: alpha_max from `−∇f(0)`,
/// the alphas, the solver options, the warm-started sweep.
///
/// `start`: original-scale coefficients to start from (else zero);
/// `description`: what every fit records.
pub(crate) fn run<F: PenaltyFamily>(
    problem: &mut Problem,
    family: &F,
    settings: &Settings,
    alphas: Alphas<'_>,
    start: Option<&Mat<f64>>,
    description: &Arc<Description>,
) -> Result<Path> {
    let in_pool = rayon::current_thread_index().is_some();
    let epochs_split = crate::linalg::splits_by_rows(
        problem.n_samples(),
        problem.n_tasks() * crate::datafit::EPOCH_BLOCK,
    );
    if settings.threads > 1
        && epochs_split
        && !(in_pool && rayon::current_num_threads() == settings.threads)
    {
        // Epochs whose block products split over samples run on a worker of
        // a pool of that size, so that they fork and join between workers (a
        // join from outside any pool blocks the caller and wakes a worker on
        // every call: slower than one thread).
        let pool = shared_pool(settings.threads)?;
        return pool.install(|| run(problem, family, settings, alphas, start, description));
    }
    let alpha_max = family.alpha_max(problem.grad0(), settings.l1_ratio)?;
    let (alphas, along_path) = match alphas {
        Alphas::Single => (vec![settings.alpha], false),
        Alphas::Grid(g) => (grid_values(g, alpha_max, family.name())?, true),
        Alphas::Explicit(a) => (check_alphas(a)?, true),
    };
    problem.plan_fits(alphas.len());
    // what every fit records: the path's relative accuracy, when it applies
    let described;
    let description = match settings.path_tol {
        PathTol::Relative(r) if along_path => {
            let mut d = Description::clone(description);
            d.path_tol = Some(r);
            described = Arc::new(d);
            &described
        }
        _ => description,
    };
    // Smaller fits run on one thread: their epochs do not split, and
    // splitting only their full gradients was measured slower than one
    // thread (0.86–0.98× on a square and a MEG-like problem at 0.01–0.02
    // alpha_max: the idle workers' spinning costs more than half a gradient
    // saves on two cores).
    let threads = if epochs_split { settings.threads } else { 1 };
    let plan = Plan {
        settings,
        threads,
        alphas: &alphas,
        alpha_max,
        start,
        along_path,
        description,
    };
    let fits = sweep(problem, family, &plan)?;
    Ok(Path {
        alphas,
        alpha_max,
        fits,
    })
}

/// One sweep over decreasing alphas on a prepared problem.
struct Plan<'a> {
    settings: &'a Settings,
    /// Threads of the solver's split products (see [`run`]).
    threads: usize,
    alphas: &'a [f64],
    alpha_max: f64,
    start: Option<&'a Mat<f64>>,
    /// Several alphas along a path (Anderson delayed, progress reported)
    /// rather than one fit.
    along_path: bool,
    description: &'a Arc<Description>,
}

/// Epochs of an alpha's solve along a path before Anderson extrapolation
/// starts ([`SolverOptions::anderson_after`]). Warm starts leave most alphas
/// a few epochs, where trials cost more than they save (meg_like, 100 alphas
/// with scikit-learn's rule, extrapolating from the first epoch: 15 % more
/// CPU time); the solves that run longer (the small-alpha end of an exact
/// path) are the ones extrapolation shortens. Measured on the 20-alpha paths
/// of nine draws (docs/benchmarks.md): 0.53–0.82 of the time without
/// extrapolation on six, three tall ones level (their solves converge within
/// 20 epochs); delays of 12 to 50 epochs level, 0 and 10 slower on meg_like;
/// CV with scikit-learn's rule level.
const PATH_ANDERSON_AFTER: usize = 20;

/// Solver options for a sweep. Single fits extrapolate from the first epoch;
/// along a path of several alphas, after [`PATH_ANDERSON_AFTER`] epochs of
/// an alpha's solve.
fn solver_options(settings: &Settings, along_path: bool, threads: usize) -> SolverOptions {
    SolverOptions {
        max_iter: settings.max_iter,
        working_set: settings.working_set,
        selection: settings.selection,
        trace: settings.trace,
        anderson: settings.anderson.then_some(5),
        anderson_after: if along_path { PATH_ANDERSON_AFTER } else { 0 },
        screening: settings.screening,
        monitor: settings.monitor.clone(),
        threads,
        ..SolverOptions::default()
    }
}

/// The stopping rule of a sweep, the one place it is decided (see
/// [`PathTol`] and docs/objective.md, *Stopping along a path*).
///
/// scikit-learn's caps hold at every alpha: the duality gap at most
/// `tol · Σ_t a_t ‖y_t‖²` ([`Problem::tol_scale`], `tol · ‖Y‖²/n` for a
/// shared design), the KKT residual (coupled models) at most
/// `tol · ρ · alpha_max`. Along a path with [`PathTol::Relative`]`(r)`, each
/// alpha also needs
///
/// - a duality gap at most `r · L_α`, with `L_α` a certified lower bound of
///   the optimal objective `P*_α`. Every objective here is `A(W) + α B(W)`
///   with `A, B ≥ 0`, so `P*_α ≥ (α/α') P*_α'` for `α ≤ α'`; with `D_α'`
///   the dual objective (`P − gap`) of the previous alpha, or `f(0) =
///   P*_{alpha_max}` at the start, `L_α = (α/α') D_α'` is known before
///   solving. The solution is checked afterwards against its own dual
///   objective, `gap ≤ r · (P − gap)`, and solved further when that fails
///   (a family outside that form), so the bound `gap ≤ r · P*_α` always
///   holds. A floor of `1e-12` times the scale leaves the gap above its own
///   rounding;
/// - a KKT residual at most `r^¾ · ρ · α`: the residual relative to the size
///   of the penalty's subgradient at that alpha.
#[derive(Debug, Clone)]
struct Stopping {
    gap_cap: f64,
    kkt_cap: f64,
    rel: Option<f64>,
    rho: f64,
    floor: f64,
    /// `D` and the alpha it bounds: `P*_alpha ≥ D`.
    lower: (f64, f64),
}

impl Stopping {
    fn new(settings: &Settings, along_path: bool, tol_scale: f64, alpha_max: f64) -> Self {
        let rel = match settings.path_tol {
            PathTol::Relative(r) if along_path => Some(r),
            _ => None,
        };
        Self {
            gap_cap: settings.tol * tol_scale,
            kkt_cap: settings.tol * settings.l1_ratio * alpha_max,
            rel,
            rho: settings.l1_ratio,
            floor: 1e-12 * tol_scale,
            // f(0) = tol_scale / 2 is the optimal objective at alpha_max
            lower: (0.5 * tol_scale, alpha_max),
        }
    }

    /// The thresholds at `alpha`, before solving.
    fn apply(&self, opts: &mut SolverOptions, alpha: f64) {
        opts.tol = self.gap_cap;
        opts.kkt_tol = self.kkt_cap;
        if let Some(r) = self.rel {
            let (d, at) = self.lower;
            let bound = d * (alpha / at).min(1.0);
            opts.tol = self.gap_threshold(r, bound);
            opts.kkt_tol = self.kkt_cap.min(r.powf(0.75) * self.rho * alpha);
        }
    }

    fn gap_threshold(&self, r: f64, lower: f64) -> f64 {
        self.gap_cap.min((r * lower).max(self.floor))
    }

    /// After a converged solve: the tighter gap threshold the solution still
    /// has to meet when its gap exceeds `r` times its own dual objective.
    fn recheck(&self, sol: &Solution) -> Option<f64> {
        let r = self.rel?;
        let Certificate::DualGap { value, .. } = sol.certificate else {
            return None;
        };
        let needed = self.gap_threshold(r, sol.objective - value);
        (sol.converged && value > needed).then_some(needed)
    }

    /// Records the dual objective of a solve at `alpha` (a lower bound of
    /// the optimum there, converged or not).
    fn record(&mut self, alpha: f64, sol: &Solution) {
        if let Some(gap) = sol.gap {
            let d = sol.objective - gap.max(0.0);
            if d.is_finite() && d > 0.0 {
                self.lower = (d, alpha);
            }
        }
    }
}

/// The solution's [`Solve::details`] on the original scale: the components
/// mapped back like W (their intercepts belong to W), the task clusters.
fn details<S: Solve>(
    penalty: &S,
    iterate: faer::MatRef<'_, f64>,
    inverse: &crate::problem::Inverse,
) -> Result<(Option<Components>, Option<TaskClusters>)> {
    let d = penalty.details(iterate)?;
    let components = (!d.components.is_empty()).then(|| {
        let (names, coefs) = d
            .components
            .into_iter()
            .map(|(name, z)| (name, inverse.recover(z.as_ref()).0))
            .unzip();
        Components::new(names, coefs)
    });
    let clusters = d.task_matrix.map(|(m, k)| TaskClusters::from_matrix(m, k));
    Ok((components, clusters))
}

/// Solves every alpha of the plan, each from the previous solution and its
/// gradient state; W = 0 is certified without iterating at alpha ≥
/// alpha_max (so that rounding cannot leave tiny non-zeros).
fn sweep<F: PenaltyFamily>(problem: &mut Problem, family: &F, plan: &Plan<'_>) -> Result<Vec<Fit>> {
    let begin = Instant::now();
    // the start, moved into the first alpha's iterate (not cloned: a T × p
    // copy per fit is a fresh allocation, and its page faults showed in
    // short fits)
    let mut wt0 = problem.start(plan.start)?;
    let mut opts = solver_options(plan.settings, plan.along_path, plan.threads);
    let progress = if plan.along_path {
        plan.settings.progress.as_ref()
    } else {
        None
    };
    let (gram, tol_scale, prep_seconds) =
        (problem.uses_gram(), problem.tol_scale(), problem.seconds());
    // the first gradient from preparation, when it is exact (data as given)
    let mut warm = problem.first_warm(wt0.as_ref());
    let mut rule = Stopping::new(plan.settings, plan.along_path, tol_scale, plan.alpha_max);
    let (datafit, inverse) = problem.split();
    let mut fits = Vec::with_capacity(plan.alphas.len());
    // the solver's iterate (the model's wt, or its lifted form)
    let mut init: Option<Mat<f64>> = None;
    for &alpha in plan.alphas {
        let step = Instant::now();
        let penalty = family.penalty(alpha, plan.settings.l1_ratio)?;
        rule.apply(&mut opts, alpha);
        let iterate = match init.take() {
            Some(previous) => previous,
            None => penalty.lift(std::mem::replace(&mut wt0, Mat::new())),
        };
        let at_zero = alpha >= plan.alpha_max;
        let mut sol = if at_zero {
            let zero = Mat::zeros(iterate.nrows(), iterate.ncols());
            with_datafit!(&mut *datafit, |d| penalty.solve_at_zero(&opts, d, zero))?
        } else {
            with_datafit!(&mut *datafit, |d| penalty.solve(
                &opts,
                d,
                iterate,
                warm.take()
            ))?
        };
        if let Some(tighter) = rule.recheck(&sol) {
            // the a-priori bound was loose for this family: solve on to the
            // solution's own dual objective
            let mut again = opts.clone();
            again.tol = tighter;
            again.max_iter = opts.max_iter.saturating_sub(sol.n_iter).max(1);
            let mut first = sol;
            let (wt, state) = (
                std::mem::replace(&mut first.wt, Mat::new()),
                first.take_warm(),
            );
            let mut resumed =
                with_datafit!(&mut *datafit, |d| penalty.solve(&again, d, wt, Some(state)))?;
            resumed.n_iter += first.n_iter;
            let mut trace = first.trace;
            trace.append(&mut resumed.trace);
            resumed.trace = trace;
            let mut screened = first.screened;
            screened.extend_from_slice(&resumed.screened);
            screened.sort_unstable();
            screened.dedup();
            resumed.screened = screened;
            sol = resumed;
        }
        rule.record(alpha, &sol);
        warm = Some(sol.take_warm());
        let (coef, intercept) = match penalty.combine(sol.wt.as_ref()) {
            Some(w) => inverse.recover(w.as_ref()),
            None => inverse.recover(sol.wt.as_ref()),
        };
        let (components, clusters) = details(&penalty, sol.wt.as_ref(), inverse)?;
        // the next start; the Fit keeps only the original-scale coef
        init = Some(std::mem::replace(&mut sol.wt, Mat::new()));
        let seconds = if fits.is_empty() {
            prep_seconds + begin.elapsed().as_secs_f64()
        } else {
            step.elapsed().as_secs_f64()
        };
        fits.push(Fit {
            coef,
            intercept,
            certificate: sol.certificate,
            objective: sol.objective,
            n_iter: sol.n_iter,
            converged: sol.converged,
            alpha,
            l1_ratio: plan.settings.l1_ratio,
            alpha_max: plan.alpha_max,
            gram,
            seconds,
            trace: sol.trace,
            kkt: sol.kkt,
            gap: sol.gap,
            n_screened: sol.screened.len(),
            description: Arc::clone(plan.description),
            components,
            clusters,
        });
        if let Some(p) = progress {
            p.call(fits.len(), plan.alphas.len());
        }
    }
    Ok(fits)
}
