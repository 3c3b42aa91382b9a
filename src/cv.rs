//! K-fold cross-validation over an alpha grid, as scikit-learn's
//! `MultiTaskLassoCV` / `MultiTaskElasticNetCV`.
//!
//! - One alpha grid, computed on the **full** data (alpha_max of the full data).
//! - Folds: contiguous (scikit-learn's `KFold` without shuffle: the first
//!   `n mod K` folds have one sample more), or a seeded shuffle, or given
//!   explicitly. For per-task data, each task's samples are split into K parts
//!   and fold k holds part k of every task.
//! - Each fold fits the warm-started path on its training samples (intercepts
//!   fitted on the training part) and scores every alpha on its held-out samples:
//!   the mean over those samples and all tasks of the squared error. With
//!   sample weights, each training part keeps its samples' weights (rescaled
//!   to its own size, as scikit-learn's `ElasticNetCV`) and the held-out mean
//!   is weighted by the held-out samples' weights.
//! - `mse_mean` is the mean over folds, `mse_se = std(ddof = 1) / √K`;
//!   `alpha_min` minimises `mse_mean`, `alpha_1se` is the largest alpha whose
//!   `mse_mean ≤ mse_mean(alpha_min) + mse_se(alpha_min)` (glmnet's rule).
//! - Folds run in parallel on `threads` threads (rayon); results do not depend
//!   on the number of threads.
//! - A grid search over a second parameter (the relation strength of
//!   [`RelationLearning::cross_validate_grid`](crate::RelationLearning::cross_validate_grid))
//!   uses the same folds and alphas at every grid point, one [`CvCurve`] each;
//!   every (fold, grid point) pair is a job on the pool. The selected grid point
//!   is the one whose curve reaches the smallest mean MSE (the first among
//!   ties); `alpha_min`, `alpha_1se` and the refit come from its curve.

use crate::error::{Error, Result};
use crate::fitted::Fit;
use crate::path::{ProgressCallback, SharedCounter};
use crate::problem::{Data, Source};
use faer::{Mat, MatRef};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rayon::prelude::*;

/// Which alpha the final model is refitted at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Select {
    /// The alpha with the smallest mean held-out MSE.
    #[default]
    Min,
    /// The largest alpha within one standard error of the minimum.
    OneSe,
}

/// Options of a cross-validation: start from [`CvOptions::default`] and set
/// what differs, with the builder methods (one per field, same name).
///
/// ```
/// use mtreg::{cv::{CvOptions, Select}, path::AlphaGrid};
/// let opts = CvOptions::default()
///     .folds(3)
///     .grid(AlphaGrid::Auto { n_alphas: 20, eps: 1e-2 })
///     .select(Select::OneSe);
/// assert_eq!((opts.folds, opts.threads), (3, 1));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CvOptions {
    /// Number of folds K (default 5).
    pub folds: usize,
    /// Shuffle samples before splitting (default false: contiguous folds).
    pub shuffle: bool,
    /// Seed of the shuffle.
    pub seed: u64,
    /// The alpha grid (computed on the full data).
    pub grid: crate::path::AlphaGrid,
    /// Worker threads for the folds (default 1).
    pub threads: usize,
    /// The alpha to refit at.
    pub select: Select,
    /// Explicit test folds (sample indices), overriding `folds`/`shuffle`.
    pub test_folds: Option<Vec<Vec<usize>>>,
    /// Told `(done, total)` after each fit on a training part: `total` is
    /// folds × grid points × alphas (the refit is not counted). See
    /// [`ProgressCallback`].
    pub progress: Option<ProgressCallback>,
}

impl CvOptions {
    /// Sets [`folds`](Self::folds).
    pub fn folds(mut self, folds: usize) -> Self {
        self.folds = folds;
        self
    }
    /// Sets [`shuffle`](Self::shuffle).
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }
    /// Sets [`seed`](Self::seed).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Sets [`grid`](Self::grid).
    pub fn grid(mut self, grid: crate::path::AlphaGrid) -> Self {
        self.grid = grid;
        self
    }
    /// Sets [`threads`](Self::threads).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }
    /// Sets [`select`](Self::select).
    pub fn select(mut self, select: Select) -> Self {
        self.select = select;
        self
    }
    /// Sets [`test_folds`](Self::test_folds).
    pub fn test_folds(mut self, test_folds: Option<Vec<Vec<usize>>>) -> Self {
        self.test_folds = test_folds;
        self
    }
    /// Sets [`progress`](Self::progress).
    pub fn progress(mut self, progress: Option<ProgressCallback>) -> Self {
        self.progress = progress;
        self
    }
}

impl Default for CvOptions {
    fn default() -> Self {
        Self {
            folds: 5,
            shuffle: false,
            seed: 0,
            grid: crate::path::AlphaGrid::default(),
            threads: 1,
            select: Select::Min,
            test_folds: None,
            progress: None,
        }
    }
}

/// The outcome of a cross-validation.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CvResult {
    /// The alpha grid, decreasing.
    pub alphas: Vec<f64>,
    /// Held-out MSE, `n_alphas × K`.
    pub mse_path: Mat<f64>,
    /// Mean over folds, per alpha.
    pub mse_mean: Vec<f64>,
    /// Standard error over folds, per alpha.
    pub mse_se: Vec<f64>,
    /// Mean over folds of each task's held-out MSE, `n_alphas × T`.
    pub mse_per_task: Mat<f64>,
    /// The alpha minimising `mse_mean`.
    pub alpha_min: f64,
    /// The largest alpha within one standard error of the minimum.
    pub alpha_1se: f64,
    /// The selected alpha (per [`CvOptions::select`]).
    pub alpha: f64,
    /// Test indices of each fold (per task for per-task data: indices into
    /// that task's samples, listed task after task).
    pub folds: Vec<Vec<usize>>,
    /// Epochs of each fit on a training part, `[alpha][fold]` (as `mse_path`).
    pub n_iter: Vec<Vec<usize>>,
    /// Whether each fit on a training part met its stopping rule,
    /// `[alpha][fold]`; see [`CvResult::unconverged`].
    pub converged: Vec<Vec<bool>>,
    /// The refit on all data at `alpha`.
    pub fit: Fit,
}

/// The cross-validated error of one model (one grid point of a search over
/// another parameter, e.g. a relation strength) along the alpha grid, without
/// a refit.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CvCurve {
    /// Held-out MSE, `n_alphas × K`.
    pub mse_path: Mat<f64>,
    /// Mean over folds, per alpha.
    pub mse_mean: Vec<f64>,
    /// Standard error over folds, per alpha.
    pub mse_se: Vec<f64>,
    /// Mean over folds of each task's held-out MSE, `n_alphas × T`.
    pub mse_per_task: Mat<f64>,
    /// The alpha minimising `mse_mean` (the largest among ties).
    pub alpha_min: f64,
    /// The largest alpha within one standard error of the minimum.
    pub alpha_1se: f64,
    /// Epochs of each fit on a training part, `[alpha][fold]`.
    pub n_iter: Vec<Vec<usize>>,
    /// Whether each fit on a training part met its stopping rule,
    /// `[alpha][fold]`.
    pub converged: Vec<Vec<bool>>,
    i_min: usize,
}

impl CvCurve {
    /// The smallest mean held-out MSE, `mse_mean` at `alpha_min`.
    pub fn min_mse(&self) -> f64 {
        self.mse_mean[self.i_min]
    }
}

impl CvResult {
    /// The smallest mean held-out MSE over the grid.
    pub fn min_mse(&self) -> f64 {
        self.mse_mean.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// The (alpha index, fold) pairs whose fit stopped on `max_iter` before
    /// its stopping rule held (empty when every fold fit converged).
    pub fn unconverged(&self) -> Vec<(usize, usize)> {
        unconverged(&self.converged)
    }
}

fn unconverged(converged: &[Vec<bool>]) -> Vec<(usize, usize)> {
    converged
        .iter()
        .enumerate()
        .flat_map(|(a, row)| {
            row.iter()
                .enumerate()
                .filter(|(_, ok)| !**ok)
                .map(move |(f, _)| (a, f))
        })
        .collect()
}

/// Test indices of K folds over `n` samples: contiguous, or after a seeded
/// shuffle. The first `n mod K` folds have one sample more.
///
/// ```
/// let f = mtreg::cv::kfold(7, 3, false, 0)?;
/// assert_eq!(f, vec![vec![0, 1, 2], vec![3, 4], vec![5, 6]]);
/// Ok::<(), mtreg::Error>(())
/// ```
///
/// # Errors
/// `InvalidParameter` unless `2 ≤ K ≤ n`.
pub fn kfold(n: usize, k: usize, shuffle: bool, seed: u64) -> Result<Vec<Vec<usize>>> {
    if k < 2 || k > n {
        return Err(Error::InvalidParameter {
            name: "folds",
            value: k as f64,
            expected: "at least 2 and at most the number of samples",
        });
    }
    let mut idx: Vec<usize> = (0..n).collect();
    if shuffle {
        idx.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    }
    let mut out = Vec::with_capacity(k);
    let mut start = 0;
    for f in 0..k {
        let size = n / k + usize::from(f < n % k);
        let mut fold = idx[start..start + size].to_vec();
        fold.sort_unstable();
        out.push(fold);
        start += size;
    }
    Ok(out)
}

fn check_folds(folds: &[Vec<usize>], n: usize) -> Result<()> {
    let mut seen = vec![false; n];
    for fold in folds {
        if fold.is_empty() {
            return Err(Error::EmptyInput("a test fold is empty"));
        }
        for &i in fold {
            if i >= n || seen[i] {
                return Err(Error::InvalidParameter {
                    name: "test fold index (out of range or repeated)",
                    value: i as f64,
                    expected: "each sample index in exactly one fold",
                });
            }
            seen[i] = true;
        }
    }
    if let Some(i) = seen.iter().position(|s| !s) {
        return Err(Error::InvalidParameter {
            name: "sample in no test fold",
            value: i as f64,
            expected: "each sample index in exactly one fold",
        });
    }
    if folds.len() < 2 {
        return Err(Error::InvalidParameter {
            name: "folds",
            value: folds.len() as f64,
            expected: ">= 2",
        });
    }
    Ok(())
}

/// Squared errors of a fit's predictions, sample i weighted by `w[i]`:
/// `(sum over all, sum per task)`.
fn squared_errors(
    fit: &Fit,
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    w: &[f64],
) -> Result<(f64, Vec<f64>)> {
    // the fold's held-out rows are the validated data's
    let pred = fit.predict_valid(x);
    let t = y.ncols();
    let mut per_task = vec![0.0; t];
    for k in 0..t {
        for i in 0..y.nrows() {
            per_task[k] += w[i] * (y[(i, k)] - pred[(i, k)]).powi(2);
        }
    }
    Ok((per_task.iter().sum(), per_task))
}

fn rows(m: MatRef<'_, f64>, idx: &[usize]) -> Mat<f64> {
    Mat::from_fn(idx.len(), m.ncols(), |i, j| m[(idx[i], j)])
}

/// Fits, on one fold's training data, grid point `point` at the given alphas
/// (decreasing): one fit per alpha, each reported to the callback.
pub(crate) type FoldPathFn<'a> =
    dyn Fn(usize, &Data<'_>, &[f64], Tick) -> Result<Vec<Fit>> + Sync + 'a;

/// The callback a fold's fits report to (when progress is reported).
type Tick = Option<ProgressCallback>;

/// One (fold, grid point): held-out MSE per alpha, and per alpha and task;
/// epochs and convergence of each alpha's fit.
struct FoldScores {
    mse: Vec<f64>,
    per_task: Mat<f64>,
    n_iter: Vec<usize>,
    converged: Vec<bool>,
}

impl FoldScores {
    fn new(mse: Vec<f64>, per_task: Mat<f64>, fits: &[Fit]) -> Self {
        Self {
            mse,
            per_task,
            n_iter: fits.iter().map(Fit::n_iter).collect(),
            converged: fits.iter().map(Fit::converged).collect(),
        }
    }
}

/// The fold splits and the CV curve of each of `points` grid points: every
/// (fold, grid point) pair is one job on the pool. A shared design is split by
/// samples; per-task designs (and a shared design with task weights) task by
/// task.
pub(crate) fn curves(
    data: &Data<'_>,
    opts: &CvOptions,
    alphas: &[f64],
    points: usize,
    path: &FoldPathFn<'_>,
) -> Result<(Vec<Vec<usize>>, Vec<CvCurve>)> {
    let sw = data.sample_weight_values();
    match (data.source(), data.weights()) {
        (Source::Shared { x, y }, None) => curves_shared(x, y, sw, opts, alphas, points, path),
        (Source::Stats(_), _) => Err(Error::Incompatible(
            "cross-validation needs the samples, not sufficient statistics".into(),
        )),
        (source, weights) => {
            let views = data.task_views().expect("samples");
            let sws = sw
                .map(|w| views.sample_weight_slices(w, matches!(source, Source::Shared { .. })))
                .transpose()?;
            curves_tasks(
                &views.xs,
                &views.y_slices(),
                weights,
                sws.as_deref(),
                opts,
                alphas,
                points,
                path,
            )
        }
    }
}

/// The held-out weights of a test fold (all 1 without sample weights) and
/// their sum.
///
/// # Errors
/// `InvalidParameter` if the fold's weights sum to 0 (no held-out error to
/// average).
fn test_weights(sw: Option<&[f64]>, test: &[usize]) -> Result<(Vec<f64>, f64)> {
    let w: Vec<f64> = match sw {
        None => vec![1.0; test.len()],
        Some(sw) => test.iter().map(|&i| sw[i]).collect(),
    };
    let sum: f64 = w.iter().sum();
    if sum > 0.0 && sum.is_finite() {
        Ok((w, sum))
    } else {
        Err(Error::InvalidParameter {
            name: "sum of the sample weights of a test fold",
            value: sum,
            expected: "> 0 and finite (give weight to some held-out sample of every fold)",
        })
    }
}

/// [`curves`] of a shared design (with sample weights if given).
#[allow(clippy::too_many_arguments)]
fn curves_shared(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    sw: Option<&[f64]>,
    opts: &CvOptions,
    alphas: &[f64],
    points: usize,
    path: &FoldPathFn<'_>,
) -> Result<(Vec<Vec<usize>>, Vec<CvCurve>)> {
    crate::validate::validate_xy(x, y)?;
    let n = x.nrows();
    // Rescaled to sum to n (uniform weights become exactly 1): the training
    // parts rescale their share again, the held-out means weigh by them.
    let normalized = sw
        .map(|sw| crate::validate::normalized_sample_weights(sw, n))
        .transpose()?;
    let sw = normalized.as_deref();
    let folds = match &opts.test_folds {
        Some(f) => {
            check_folds(f, n)?;
            f.clone()
        }
        None => kfold(n, opts.folds, opts.shuffle, opts.seed)?,
    };
    let t = y.ncols();
    let k = folds.len();
    let counter = counter(opts, k * points * alphas.len());
    let run = |job: usize| -> Result<FoldScores> {
        let (test, point) = (&folds[job / points], job % points);
        let mut in_test = vec![false; n];
        test.iter().for_each(|&i| in_test[i] = true);
        let train: Vec<usize> = (0..n).filter(|&i| !in_test[i]).collect();
        let (xtr, ytr) = (rows(x, &train), rows(y, &train));
        let (xte, yte) = (rows(x, test), rows(y, test));
        let sw_train: Option<Vec<f64>> = sw.map(|sw| train.iter().map(|&i| sw[i]).collect());
        let (w_test, w_sum) = test_weights(sw, test)?;
        let fits = path(
            point,
            &Data::shared(&xtr, &ytr).maybe_sample_weights(sw_train.as_deref()),
            alphas,
            counter.as_ref().map(SharedCounter::as_callback),
        )?;
        debug_assert_eq!(fits.len(), alphas.len());
        let mut mse = vec![0.0; alphas.len()];
        let mut per_task = Mat::<f64>::zeros(alphas.len(), t);
        for (a, fit) in fits.iter().enumerate() {
            let (total, tasks) = squared_errors(fit, xte.as_ref(), yte.as_ref(), &w_test)?;
            mse[a] = total / (w_sum * t as f64);
            for k in 0..t {
                per_task[(a, k)] = tasks[k] / w_sum;
            }
        }
        Ok(FoldScores::new(mse, per_task, &fits))
    };
    let results = in_pool(opts.threads, || {
        (0..k * points).into_par_iter().map(run).collect::<Vec<_>>()
    })?;
    let curves = point_curves(alphas, results, k, points, t)?;
    Ok((folds, curves))
}

/// Per-task designs: each task's samples are split into K parts and fold k
/// holds part k of every task. Returns the folds (per task, listed task after
/// task) and one curve per grid point.
#[allow(clippy::too_many_arguments)]
fn curves_tasks(
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
    sws: Option<&[&[f64]]>,
    opts: &CvOptions,
    alphas: &[f64],
    points: usize,
    path: &FoldPathFn<'_>,
) -> Result<(Vec<Vec<usize>>, Vec<CvCurve>)> {
    if opts.test_folds.is_some() {
        return Err(Error::InvalidParameter {
            name: "test_folds (explicit folds are for a shared design)",
            value: 1.0,
            expected: "None with per-task data",
        });
    }
    let t = xs.len();
    let k = opts.folds;
    // Each task's weights rescaled to sum to n_t, so that held-out errors of
    // different tasks weigh as in the unweighted mean when a task's weights
    // are uniform (training rescales them again, per task).
    let normalized: Option<Vec<Vec<f64>>> = sws
        .map(|sws| {
            sws.iter()
                .zip(ys)
                .map(|(w, y)| crate::validate::normalized_sample_weights(w, y.len()))
                .collect::<Result<_>>()
        })
        .transpose()?;
    let task_folds: Vec<Vec<Vec<usize>>> = ys
        .iter()
        .enumerate()
        .map(|(task, y)| {
            kfold(
                y.len(),
                k,
                opts.shuffle,
                opts.seed.wrapping_add(task as u64),
            )
        })
        .collect::<Result<_>>()?;
    let counter = counter(opts, k * points * alphas.len());
    let run = |job: usize| -> Result<FoldScores> {
        let (f, point) = (job / points, job % points);
        let mut xtr = Vec::with_capacity(t);
        let mut ytr = Vec::with_capacity(t);
        let mut swtr: Vec<f64> = Vec::new();
        let mut tests = Vec::with_capacity(t);
        for task in 0..t {
            let test = &task_folds[task][f];
            let mut in_test = vec![false; ys[task].len()];
            test.iter().for_each(|&i| in_test[i] = true);
            let train: Vec<usize> = (0..ys[task].len()).filter(|&i| !in_test[i]).collect();
            xtr.push(rows(xs[task], &train));
            ytr.push(train.iter().map(|&i| ys[task][i]).collect::<Vec<f64>>());
            let sw = normalized.as_ref().map(|s| s[task].as_slice());
            if let Some(sw) = sw {
                swtr.extend(train.iter().map(|&i| sw[i]));
            }
            tests.push((
                rows(xs[task], test),
                test.iter().map(|&i| ys[task][i]).collect::<Vec<f64>>(),
                test_weights(sw, test)?,
            ));
        }
        let xr: Vec<MatRef<'_, f64>> = xtr.iter().map(|m| m.as_ref()).collect();
        let yr: Vec<&[f64]> = ytr.iter().map(Vec::as_slice).collect();
        let fits = path(
            point,
            &Data::tasks(&xr, &yr)
                .maybe_task_weights(weights)
                .maybe_sample_weights(normalized.as_ref().map(|_| swtr.as_slice())),
            alphas,
            counter.as_ref().map(SharedCounter::as_callback),
        )?;
        debug_assert_eq!(fits.len(), alphas.len());
        let w_test: f64 = tests.iter().map(|(_, _, (_, sum))| sum).sum();
        let mut mse = vec![0.0; alphas.len()];
        let mut per_task = Mat::<f64>::zeros(alphas.len(), t);
        for (a, fit) in fits.iter().enumerate() {
            let mut total = 0.0;
            for (task, (xte, yte, (w, w_sum))) in tests.iter().enumerate() {
                let c = fit.coef();
                let mut se = 0.0;
                for (i, yi) in yte.iter().enumerate() {
                    let pred = fit.intercept()[task]
                        + (0..c.nrows())
                            .map(|j| xte[(i, j)] * c[(j, task)])
                            .sum::<f64>();
                    se += w[i] * (yi - pred).powi(2);
                }
                total += se;
                per_task[(a, task)] = se / w_sum;
            }
            mse[a] = total / w_test;
        }
        Ok(FoldScores::new(mse, per_task, &fits))
    };
    let results = in_pool(opts.threads, || {
        (0..k * points).into_par_iter().map(run).collect::<Vec<_>>()
    })?;
    let folds = (0..k)
        .map(|f| {
            task_folds
                .iter()
                .flat_map(|tf| tf[f].iter().copied())
                .collect()
        })
        .collect();
    let curves = point_curves(alphas, results, k, points, t)?;
    Ok((folds, curves))
}

/// Cross-validation of one model over `alphas` (computed by the caller on
/// the full data), then `refit` at the selected alpha.
pub(crate) fn cross_validate(
    data: &Data<'_>,
    opts: &CvOptions,
    alphas: Vec<f64>,
    path: &FoldPathFn<'_>,
    refit: impl FnOnce(f64) -> Result<Fit>,
) -> Result<CvResult> {
    let (folds, mut curves) = curves(data, opts, &alphas, 1, path)?;
    let curve = curves.pop().expect("one grid point");
    finish(alphas, folds, curve, opts.select, refit)
}

/// The grid point whose curve reaches the smallest mean held-out MSE, given
/// each point's smallest mean MSE ([`CvCurve::min_mse`],
/// [`CvResult::min_mse`]): the first one among ties, as the alphas within a
/// curve. 0 for no points.
///
/// ```
/// assert_eq!(mtreg::cv::best_point([0.3, 0.1, 0.2, 0.1]), 1);
/// ```
pub fn best_point(min_mse: impl IntoIterator<Item = f64>) -> usize {
    let mut best = (0, f64::INFINITY);
    for (i, m) in min_mse.into_iter().enumerate() {
        if i == 0 || m < best.1 {
            best = (i, m);
        }
    }
    best.0
}

/// The full result at one grid point: the selected alpha of `curve` and the
/// refit there.
pub(crate) fn finish(
    alphas: Vec<f64>,
    folds: Vec<Vec<usize>>,
    curve: CvCurve,
    select: Select,
    refit: impl FnOnce(f64) -> Result<Fit>,
) -> Result<CvResult> {
    let alpha = match select {
        Select::Min => curve.alpha_min,
        Select::OneSe => curve.alpha_1se,
    };
    let fit = refit(alpha)?;
    Ok(CvResult {
        alphas,
        mse_path: curve.mse_path,
        mse_mean: curve.mse_mean,
        mse_se: curve.mse_se,
        mse_per_task: curve.mse_per_task,
        alpha_min: curve.alpha_min,
        alpha_1se: curve.alpha_1se,
        alpha,
        folds,
        n_iter: curve.n_iter,
        converged: curve.converged,
        fit,
    })
}

/// One counter over all `total` fits of a cross-validation, if reported.
fn counter(opts: &CvOptions, total: usize) -> Option<SharedCounter> {
    opts.progress.as_ref().map(|p| p.shared_counter(total))
}

fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> Result<R> {
    if threads == 0 {
        return Err(Error::InvalidParameter {
            name: "threads",
            value: 0.0,
            expected: ">= 1",
        });
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Linalg(format!("cannot start {threads} worker threads: {e}")))?;
    Ok(pool.install(f))
}

/// One curve per grid point from the jobs' scores (job = fold · points + point).
fn point_curves(
    alphas: &[f64],
    results: Vec<Result<FoldScores>>,
    k: usize,
    points: usize,
    t: usize,
) -> Result<Vec<CvCurve>> {
    let results: Vec<FoldScores> = results.into_iter().collect::<Result<_>>()?;
    Ok((0..points)
        .map(|point| {
            let per_fold: Vec<&FoldScores> = (0..k).map(|f| &results[f * points + point]).collect();
            curve(alphas, &per_fold, t)
        })
        .collect())
}

fn curve(alphas: &[f64], per_fold: &[&FoldScores], t: usize) -> CvCurve {
    let k = per_fold.len();
    let na = alphas.len();
    let mut mse_path = Mat::<f64>::zeros(na, k);
    let mut mse_per_task = Mat::<f64>::zeros(na, t);
    let mut n_iter = vec![vec![0; k]; na];
    let mut converged = vec![vec![true; k]; na];
    for (f, scores) in per_fold.iter().enumerate() {
        let (mse, per_task) = (&scores.mse, &scores.per_task);
        for a in 0..na {
            n_iter[a][f] = scores.n_iter[a];
            converged[a][f] = scores.converged[a];
            mse_path[(a, f)] = mse[a];
            for task in 0..t {
                mse_per_task[(a, task)] += per_task[(a, task)] / k as f64;
            }
        }
    }
    let kf = k as f64;
    let mse_mean: Vec<f64> = (0..na)
        .map(|a| (0..k).map(|f| mse_path[(a, f)]).sum::<f64>() / kf)
        .collect();
    let mse_se: Vec<f64> = (0..na)
        .map(|a| {
            let m = mse_mean[a];
            let var = (0..k).map(|f| (mse_path[(a, f)] - m).powi(2)).sum::<f64>() / (kf - 1.0);
            (var / kf).sqrt()
        })
        .collect();
    // First minimiser in grid order (largest alpha among ties).
    let i_min = (0..na).fold(0, |best, a| {
        if mse_mean[a] < mse_mean[best] {
            a
        } else {
            best
        }
    });
    let threshold = mse_mean[i_min] + mse_se[i_min];
    let i_1se = (0..=i_min)
        .find(|&a| mse_mean[a] <= threshold)
        .unwrap_or(i_min);
    CvCurve {
        alpha_min: alphas[i_min],
        alpha_1se: alphas[i_1se],
        mse_path,
        mse_mean,
        mse_se,
        mse_per_task,
        n_iter,
        converged,
        i_min,
    }
}
