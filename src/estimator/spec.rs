//! Internal: the model-independent fitting pipelines (shared design and per-task
//! designs) over a penalty chosen at run time and dispatched statically.

use super::{Fit, MultiTaskElasticNet};
use crate::certificate::Certificate;
use crate::datafit::{Datafit, Gram, PerTask, Quadratic};
use crate::error::{Error, Result};
use crate::linalg::{dot, sq_norm};
use crate::path::ProgressCallback;
use crate::penalty::{Coupled, L1, L21, Penalty, Sparsity};
use crate::preprocess::{Prepared, PreparedStats, check_finite, prepare, prepare_stats};
use crate::solver::{self, Solution, SolverOptions};
use crate::stats::SufficientStats;
use faer::{Mat, MatRef};
use std::time::Instant;

/// What is penalised besides the loss: `α ρ Ω(W) + ½ Σ_j w_jᵀ (α(1−ρ) I + C) w_j`.
#[derive(Debug, Clone)]
pub(crate) struct ModelSpec {
    pub sparsity: Sparsity,
    /// Extra task coupling C (λ L, or λ2 Σ⁻¹); `None` for the plain elastic net.
    pub coupling: Option<Mat<f64>>,
}

impl ModelSpec {
    pub fn elastic(sparsity: Sparsity) -> Self {
        Self {
            sparsity,
            coupling: None,
        }
    }

    pub fn penalty(&self, alpha: f64, l1_ratio: f64) -> Result<AnyPenalty> {
        let ridge = alpha * (1.0 - l1_ratio);
        Ok(match (&self.coupling, self.sparsity) {
            (None, Sparsity::Group) => AnyPenalty::L21(L21::new(alpha, l1_ratio)),
            (None, Sparsity::Entrywise) => AnyPenalty::L1(L1::new(alpha, l1_ratio)),
            (Some(c), s) => {
                let t = c.nrows();
                let m = Mat::from_fn(t, t, |i, j| c[(i, j)] + if i == j { ridge } else { 0.0 });
                AnyPenalty::Coupled(Box::new(Coupled::new(alpha * l1_ratio, s, m)?))
            }
        })
    }

    /// `max_j Ω*(∇_j f(0)) / ρ` from the gradient columns at zero.
    pub(crate) fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> f64 {
        let mut col = vec![0.0; grad0.nrows()];
        let mut best = 0.0f64;
        for j in 0..grad0.ncols() {
            for (k, v) in col.iter_mut().enumerate() {
                *v = grad0[(k, j)];
            }
            best = best.max(self.sparsity.block_dual_norm(&col));
        }
        best / l1_ratio
    }
}

/// A penalty chosen at run time; `with_penalty!` dispatches to the generic solver.
#[derive(Debug, Clone)]
pub(crate) enum AnyPenalty {
    L21(L21),
    L1(L1),
    Coupled(Box<Coupled>),
}

macro_rules! with_penalty {
    ($pen:expr, |$p:ident| $body:expr) => {
        match $pen {
            AnyPenalty::L21($p) => $body,
            AnyPenalty::L1($p) => $body,
            AnyPenalty::Coupled($p) => {
                let $p = &**$p;
                $body
            }
        }
    };
}

/// Shared design: centre/scale, pick residual or Gram mode, solve, map back.
pub(crate) fn fit_shared(
    base: &MultiTaskElasticNet,
    spec: &ModelSpec,
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
) -> Result<Fit> {
    let mut fits = path_shared(base, spec, x, y, &Grid::Single)?;
    Ok(fits.fits.pop().expect("one alpha"))
}

/// Which alphas a pipeline solves for.
pub(crate) enum Grid<'a> {
    /// Just `base.alpha`.
    Single,
    /// A user grid (resolved against alpha_max of the prepared data).
    Given(&'a crate::path::AlphaGrid),
    /// Given alphas (solved in decreasing order).
    Explicit(&'a [f64]),
}

impl Grid<'_> {
    fn alphas(&self, base: &MultiTaskElasticNet, amax: f64) -> Result<Vec<f64>> {
        match self {
            Grid::Single => Ok(vec![base.alpha]),
            Grid::Given(g) => g.values(amax),
            Grid::Explicit(a) => crate::path::check_alphas(a),
        }
    }

    /// How many fits the grid asks for (what a prepared problem is reused by).
    fn len(&self) -> usize {
        match self {
            Grid::Single => 1,
            Grid::Given(crate::path::AlphaGrid::Auto { n_alphas, .. }) => *n_alphas,
            Grid::Given(crate::path::AlphaGrid::Explicit(a)) => a.len(),
            Grid::Explicit(a) => a.len(),
        }
    }

    /// Whom to tell after each alpha: nobody for a single fit.
    fn progress<'b>(&self, base: &'b MultiTaskElasticNet) -> Option<&'b ProgressCallback> {
        match self {
            Grid::Single => None,
            _ => base.progress.as_ref(),
        }
    }
}

/// The loop over alphas shared by both pipelines: a fresh penalty per alpha,
/// warm start from the previous solution, exact zero at alpha ≥ alpha_max.
struct Sweep<'a> {
    base: &'a MultiTaskElasticNet,
    spec: &'a ModelSpec,
    alphas: &'a [f64],
    alpha_max: f64,
    gram: bool,
    start: Instant,
    progress: Option<&'a ProgressCallback>,
}

/// Maps a solution to original-scale `(coef, intercept)`.
type Recover<'r> = dyn Fn(&Solution) -> (Mat<f64>, Vec<f64>) + 'r;

impl Sweep<'_> {
    /// Solves every alpha on the datafit `d`, each from the previous solution
    /// and its gradient state.
    fn run<D: Datafit>(
        &self,
        opts: &SolverOptions,
        d: &mut D,
        wt0: Mat<f64>,
        warm0: Option<solver::WarmStart>,
        recover: &Recover<'_>,
    ) -> Result<Vec<Fit>> {
        let mut fits = Vec::with_capacity(self.alphas.len());
        let mut init = wt0;
        let mut warm = warm0;
        for &alpha in self.alphas {
            let step = Instant::now();
            let model = self.base.clone().alpha(alpha);
            model.validate()?;
            let penalty = self.spec.penalty(alpha, self.base.l1_ratio)?;
            // alpha ≥ alpha_max: W = 0 is the exact solution; skip the solver so
            // that rounding cannot leave tiny non-zeros.
            let at_zero = alpha >= self.alpha_max;
            let start_wt = if at_zero {
                Mat::zeros(init.nrows(), init.ncols())
            } else {
                std::mem::replace(&mut init, Mat::new())
            };
            let mut sol = with_penalty!(&penalty, |pn| run(
                opts, d, pn, start_wt, at_zero, &mut warm
            ));
            let (coef, intercept) = recover(&sol);
            // the next start; the Fit keeps only the original-scale coef
            init = std::mem::replace(&mut sol.wt, Mat::new());
            let begin = if fits.is_empty() { self.start } else { step };
            fits.push(package(
                &model,
                sol,
                coef,
                intercept,
                self.alpha_max,
                self.gram,
                begin,
            ));
            if let Some(p) = self.progress {
                p.call(fits.len(), self.alphas.len());
            }
        }
        Ok(fits)
    }
}

/// Fits along a grid of alphas (decreasing), each warm-started at the previous
/// solution; the data are prepared and the datafit built once.
pub(crate) fn path_shared(
    base: &MultiTaskElasticNet,
    spec: &ModelSpec,
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    grid: &Grid<'_>,
) -> Result<crate::path::Path> {
    base.validate()?;
    if base.threads > 1 && rayon::current_num_threads() != base.threads {
        // the fit's parallel products run in a pool of its own
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(base.threads)
            .build()
            .map_err(|e| Error::Linalg(format!("cannot start {} threads: {e}", base.threads)))?;
        return pool.install(|| path_shared(base, spec, x, y, grid));
    }
    let start = Instant::now();
    if !base.fit_intercept && !base.standardize {
        if let Some(path) = path_shared_direct(base, spec, x, y, grid, start)? {
            return Ok(path);
        }
    }
    if x.nrows() * x.ncols() >= STATS_ROUTE_MIN
        && y.ncols() > 0
        && base
            .gram
            .resolve(x.nrows(), x.ncols(), y.ncols(), grid.len())
    {
        // Gram mode needs only XᵀX, XᵀY and the means: accumulate them in
        // chunks of rows (no centred copy of X: peak memory stays X + O(p²)).
        // Small problems keep the direct route (lower fixed cost).
        crate::preprocess::validate_xy(x, y)?;
        let stats = SufficientStats::from_data(&x, &y)?;
        return path_stats_since(base, spec, &stats, grid, start);
    }
    let prep = prepare(x, y, base.fit_intercept, base.standardize)?;
    let (n, p, t) = (prep.x.nrows(), prep.x.ncols(), prep.y.ncols());
    check_coupling(spec, t)?;
    let amax = spec.alpha_max(
        xty_over_n(prep.x.as_ref(), prep.y.as_ref()).as_ref(),
        base.l1_ratio,
    );
    let alphas = grid.alphas(base, amax)?;
    let wt0 = base.initial_wt(p, t, &prep.scaling.x_scale)?;
    let opts = sweep_options(base.solver_options(prep.y_sq / n as f64, amax), grid);
    let use_gram = base.gram.resolve(n, p, t, alphas.len());
    let Prepared {
        x: px,
        y: py,
        scaling,
        ..
    } = prep;
    let recover = |sol: &Solution| scaling.recover(sol.wt.as_ref());
    let sweep = Sweep {
        base,
        spec,
        alphas: &alphas,
        alpha_max: amax,
        gram: use_gram,
        start,
        progress: grid.progress(base),
    };
    let fits = if use_gram {
        let mut d = Gram::new(px.as_ref(), py.as_ref());
        drop((px, py));
        sweep.run(&opts, &mut d, wt0, None, &recover)?
    } else {
        let mut d = Quadratic::new(px, py);
        sweep.run(&opts, &mut d, wt0, None, &recover)?
    };
    Ok(crate::path::Path {
        alphas,
        alpha_max: amax,
        fits,
    })
}

/// [`path_shared`] on data used as given (no intercept, no standardisation),
/// when X and Y have contiguous columns (else `None`: the copying route).
///
/// One pass over X ([`crate::linalg::column_scan`]) gives `XᵀY/n` (alpha_max,
/// and the exact first gradient handed to the solver as its warm state), the
/// column norms (the curvatures) and the validity check (a non-finite or
/// overflowing value makes a norm non-finite; only then is X scanned again to
/// name it). The residual datafit borrows X and Y; the full Gram, when the
/// cost model ([`solver::strategy::datafit_mode`]) picks it, is built from X
/// directly.
fn path_shared_direct(
    base: &MultiTaskElasticNet,
    spec: &ModelSpec,
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    grid: &Grid<'_>,
    start: Instant,
) -> Result<Option<crate::path::Path>> {
    let contiguous = |m: MatRef<'_, f64>| m.nrows() <= 1 || m.row_stride() == 1;
    if !contiguous(x) || !contiguous(y) {
        return Ok(None);
    }
    crate::preprocess::validate_shapes(x, y)?;
    let (n, p, t) = (x.nrows(), x.ncols(), y.ncols());
    let scan = crate::linalg::column_scan_threads(x, y, base.threads);
    if !scan.is_finite() {
        // name the first non-finite value, else it is an overflow
        crate::preprocess::validate_xy(x, y)?;
        let x_ok = scan.sq_norms.iter().all(|v| v.is_finite());
        return Err(Error::Overflow {
            what: if x_ok { "Y" } else { "X" },
        });
    }
    check_coupling(spec, t)?;
    let amax = spec.alpha_max(scan.xty.as_ref(), base.l1_ratio);
    let alphas = grid.alphas(base, amax)?;
    let ones = vec![1.0; p];
    let wt0 = base.initial_wt(p, t, &ones)?;
    let opts = sweep_options(base.solver_options(scan.y_sq / n as f64, amax), grid);
    let use_gram = base.gram.resolve(n, p, t, alphas.len());
    let scaling = crate::preprocess::Scaling {
        x_mean: vec![0.0; p],
        y_mean: vec![0.0; t],
        x_scale: ones,
    };
    let recover = |sol: &Solution| scaling.recover(sol.wt.as_ref());
    let at_zero = (0..p).all(|j| wt0.col_as_slice(j).iter().all(|&v| v == 0.0));
    let mut grad0 = scan.xty;
    let warm0 = at_zero.then(|| {
        // ∇f(0) = −XᵀY/n
        for j in 0..p {
            grad0.col_as_slice_mut(j).iter_mut().for_each(|v| *v = -*v);
        }
        solver::WarmStart::exact(grad0)
    });
    let sweep = Sweep {
        base,
        spec,
        alphas: &alphas,
        alpha_max: amax,
        gram: use_gram,
        start,
        progress: grid.progress(base),
    };
    let fits = if use_gram {
        let mut d = Gram::new(x, y);
        sweep.run(&opts, &mut d, wt0, warm0, &recover)?
    } else {
        let mut d = Quadratic::borrowed(x, y, scan.sq_norms);
        sweep.run(&opts, &mut d, wt0, warm0, &recover)?
    };
    Ok(Some(crate::path::Path {
        alphas,
        alpha_max: amax,
        fits,
    }))
}

/// Designs with at least this many values build Gram mode from row chunks
/// instead of a centred copy (1 Mi values = 8 MiB).
const STATS_ROUTE_MIN: usize = 1 << 20;

/// Solver options for a sweep: along a path of several alphas, Anderson
/// extrapolation is off. Warm starts leave a few epochs per alpha and the
/// extrapolation then costs more than it saves (measured on meg_like, 100
/// alphas: 15% more CPU time with it); single fits keep it.
fn sweep_options(mut opts: SolverOptions, grid: &Grid<'_>) -> SolverOptions {
    if !matches!(grid, Grid::Single) {
        opts.anderson = None;
    }
    opts
}

/// [`path_shared`] from sufficient statistics: the same preparation (see
/// [`prepare_stats`]), always in Gram mode.
pub(crate) fn path_stats(
    base: &MultiTaskElasticNet,
    spec: &ModelSpec,
    stats: &SufficientStats,
    grid: &Grid<'_>,
) -> Result<crate::path::Path> {
    base.validate()?;
    path_stats_since(base, spec, stats, grid, Instant::now())
}

/// [`path_stats`] with the clock started by the caller.
fn path_stats_since(
    base: &MultiTaskElasticNet,
    spec: &ModelSpec,
    stats: &SufficientStats,
    grid: &Grid<'_>,
    start: Instant,
) -> Result<crate::path::Path> {
    let prep = prepare_stats(stats, base.fit_intercept, base.standardize)?;
    let (n, p, t) = (
        stats.n_samples() as f64,
        stats.n_features(),
        stats.n_tasks(),
    );
    check_coupling(spec, t)?;
    let amax = spec.alpha_max(prep.c.transpose(), base.l1_ratio);
    let alphas = grid.alphas(base, amax)?;
    let wt0 = base.initial_wt(p, t, &prep.scaling.x_scale)?;
    let opts = sweep_options(base.solver_options(prep.y_sq / n, amax), grid);
    let PreparedStats {
        q,
        c,
        y_sq,
        scaling,
    } = prep;
    let recover = |sol: &Solution| scaling.recover(sol.wt.as_ref());
    let sweep = Sweep {
        base,
        spec,
        alphas: &alphas,
        alpha_max: amax,
        gram: true,
        start,
        progress: grid.progress(base),
    };
    let mut d = Gram::from_stats(q, c, y_sq, n);
    let fits = sweep.run(&opts, &mut d, wt0, None, &recover)?;
    Ok(crate::path::Path {
        alphas,
        alpha_max: amax,
        fits,
    })
}

/// `XᵀY / n` as T × p (the negative gradient at W = 0).
pub(crate) fn xty_over_n(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Mat<f64> {
    // the same chunked product as the fits' scan, so that both agree to the bit
    crate::linalg::column_scan(x, y).xty
}

fn check_coupling(spec: &ModelSpec, t: usize) -> Result<()> {
    match &spec.coupling {
        Some(c) if c.nrows() != t => Err(Error::ShapeMismatch {
            what: "tasks in the task graph / coupling vs columns of Y",
            expected: t,
            found: c.nrows(),
        }),
        _ => Ok(()),
    }
}

fn package(
    base: &MultiTaskElasticNet,
    sol: Solution,
    coef: Mat<f64>,
    intercept: Vec<f64>,
    amax: f64,
    gram: bool,
    start: Instant,
) -> Fit {
    Fit {
        coef,
        intercept,
        certificate: sol.certificate,
        objective: sol.objective,
        n_iter: sol.n_iter,
        converged: sol.converged,
        alpha: base.alpha,
        l1_ratio: base.l1_ratio,
        alpha_max: amax,
        gram,
        seconds: start.elapsed().as_secs_f64(),
        trace: sol.trace,
        kkt: sol.kkt,
        gap: sol.gap,
        n_screened: sol.screened.len(),
    }
}

/// Per-task designs, centred task by task. With `pooled`, one coefficient vector
/// is shared by all tasks (W = w 1ᵀ), solved directly as a single-task problem on
/// the stacked, weight-scaled data with `Ω(w 1ᵀ) = √T Σ|w_j|` (group) or
/// `T Σ|w_j|` (entrywise) and ridge `α(1−ρ)T/2 ‖w‖²`.
pub(crate) fn fit_per_task(
    base: &MultiTaskElasticNet,
    spec: &ModelSpec,
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
    pooled: bool,
) -> Result<Fit> {
    if pooled {
        return fit_per_task_pooled(base, spec, xs, ys, weights);
    }
    let mut path = path_per_task(base, spec, xs, ys, weights, &Grid::Single)?;
    Ok(path.fits.pop().expect("one alpha"))
}

/// Per-task designs along a grid of alphas (warm starts, one datafit).
pub(crate) fn path_per_task(
    base: &MultiTaskElasticNet,
    spec: &ModelSpec,
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
    grid: &Grid<'_>,
) -> Result<crate::path::Path> {
    let TaskPrep {
        xc,
        yc,
        weights,
        x_mean,
        y_mean,
        x_scale,
        y_scale,
        grad0,
        start,
        ..
    } = prepare_tasks(base, spec, xs, ys, weights)?;
    let (t, p) = (xc.len(), xc[0].ncols());
    let amax = spec.alpha_max(grad0.as_ref(), base.l1_ratio);
    let alphas = grid.alphas(base, amax)?;
    let wt0 = base.initial_wt(p, t, &x_scale)?;
    let opts = sweep_options(base.solver_options(y_scale, amax), grid);
    let mut d = PerTask::new(xc, yc, &weights);
    let recover = |sol: &Solution| {
        let coef = Mat::from_fn(p, t, |j, k| sol.wt[(k, j)] / x_scale[j]);
        let intercept = intercepts(&coef, &x_mean, &y_mean);
        (coef, intercept)
    };
    let sweep = Sweep {
        base,
        spec,
        alphas: &alphas,
        alpha_max: amax,
        gram: false,
        start,
        progress: grid.progress(base),
    };
    let fits = sweep.run(&opts, &mut d, wt0, None, &recover)?;
    Ok(crate::path::Path {
        alphas,
        alpha_max: amax,
        fits,
    })
}

/// Validated, task-centred (and scaled) per-task data.
struct TaskPrep {
    xc: Vec<Mat<f64>>,
    yc: Vec<Vec<f64>>,
    weights: Vec<f64>,
    x_mean: Mat<f64>,
    y_mean: Vec<f64>,
    x_scale: Vec<f64>,
    /// `a_t = c_t / n_t`.
    a: Vec<f64>,
    /// `Σ_t a_t ‖y_t‖²`, the scale of `tol`.
    y_scale: f64,
    /// Negative gradient at zero (T × p).
    grad0: Mat<f64>,
    start: Instant,
}

fn prepare_tasks(
    base: &MultiTaskElasticNet,
    spec: &ModelSpec,
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
) -> Result<TaskPrep> {
    base.validate()?;
    let start = Instant::now();
    let weights = validate_tasks(xs, ys, weights)?;
    let (t, p) = (xs.len(), xs[0].ncols());
    check_coupling(spec, t)?;

    // Centre each task by its own means; pooled scale for standardisation.
    let mut x_mean = Mat::<f64>::zeros(t, p);
    let mut y_mean = vec![0.0; t];
    let mut xc: Vec<Mat<f64>> = Vec::with_capacity(t);
    let mut yc: Vec<Vec<f64>> = Vec::with_capacity(t);
    for (k, (x, y)) in xs.iter().zip(ys).enumerate() {
        let n = y.len() as f64;
        if base.fit_intercept {
            y_mean[k] = y.iter().sum::<f64>() / n;
            for j in 0..p {
                x_mean[(k, j)] = x.col(j).iter().sum::<f64>() / n;
            }
        }
        xc.push(Mat::from_fn(x.nrows(), p, |i, j| {
            x[(i, j)] - x_mean[(k, j)]
        }));
        yc.push(y.iter().map(|v| v - y_mean[k]).collect());
    }
    let mut x_scale = vec![1.0; p];
    if base.standardize {
        let total: f64 = ys.iter().map(|y| y.len() as f64).sum();
        for (j, s) in x_scale.iter_mut().enumerate() {
            let ss: f64 = xc.iter().map(|x| sq_norm(x.col_as_slice(j))).sum();
            let rms = (ss / total).sqrt();
            if rms.is_finite() && rms > 0.0 {
                *s = rms;
                for x in xc.iter_mut() {
                    x.col_as_slice_mut(j).iter_mut().for_each(|v| *v /= rms);
                }
            }
        }
    }
    let a: Vec<f64> = weights
        .iter()
        .zip(&yc)
        .map(|(c, y)| c / y.len() as f64)
        .collect();
    let y_scale: f64 = yc.iter().zip(&a).map(|(y, ak)| ak * sq_norm(y)).sum();
    // Negative gradient at zero, T × p: a_t x_tjᵀ y_t.
    let grad0 = Mat::from_fn(t, p, |k, j| a[k] * dot(xc[k].col_as_slice(j), &yc[k]));
    if !y_scale.is_finite() || grad0.col_iter().any(|c| c.iter().any(|v| !v.is_finite())) {
        return Err(Error::Overflow {
            what: "the per-task data",
        });
    }

    Ok(TaskPrep {
        xc,
        yc,
        weights,
        x_mean,
        y_mean,
        x_scale,
        a,
        y_scale,
        grad0,
        start,
    })
}

fn fit_per_task_pooled(
    base: &MultiTaskElasticNet,
    spec: &ModelSpec,
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
) -> Result<Fit> {
    let tp = prepare_tasks(base, spec, xs, ys, weights)?;
    fit_pooled(
        base,
        spec,
        tp.xc,
        tp.yc,
        &tp.a,
        &tp.x_mean,
        &tp.y_mean,
        &tp.x_scale,
        tp.y_scale,
        tp.start,
    )
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

#[allow(clippy::too_many_arguments)]
fn fit_pooled(
    base: &MultiTaskElasticNet,
    spec: &ModelSpec,
    xc: Vec<Mat<f64>>,
    yc: Vec<Vec<f64>>,
    a: &[f64],
    x_mean: &Mat<f64>,
    y_mean: &[f64],
    x_scale: &[f64],
    y_scale: f64,
    start: Instant,
) -> Result<Fit> {
    let (t, p) = (xc.len(), xc[0].ncols());
    let total: usize = yc.iter().map(Vec::len).sum();
    // Stack rows scaled by √(a_t N): then 1/(2N)‖ỹ − X̃w‖² = Σ_t a_t/2 ‖y_t − X_t w‖².
    let mut xs = Mat::<f64>::zeros(total, p);
    let mut ys = Vec::with_capacity(total);
    let mut row = 0;
    for k in 0..t {
        let s = (a[k] * total as f64).sqrt();
        for i in 0..yc[k].len() {
            for j in 0..p {
                xs[(row, j)] = s * xc[k][(i, j)];
            }
            ys.push(s * yc[k][i]);
            row += 1;
        }
    }
    let tf = t as f64;
    let omega = match spec.sparsity {
        Sparsity::Group => tf.sqrt(),
        Sparsity::Entrywise => tf,
    };
    let (l1w, l2w) = (
        base.alpha * base.l1_ratio * omega,
        base.alpha * (1.0 - base.l1_ratio) * tf,
    );
    let penalty = L21::from_weights(l1w, l2w);
    let g0: Vec<f64> = (0..p)
        .map(|j| dot(xs.col_as_slice(j), &ys) / total as f64)
        .collect();
    let gmax = g0.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    // alpha_max of the pooled problem: smallest alpha with w = 0.
    let amax = gmax / (base.l1_ratio * omega);
    let opts = base.solver_options(y_scale, amax);
    let at_zero = base.alpha >= amax;
    let init = if at_zero {
        Mat::zeros(1, p)
    } else {
        base.initial_wt(p, t, x_scale)
            .map(|w| Mat::from_fn(1, p, |_, j| w[(0, j)]))?
    };
    let mut d = PerTask::new(vec![xs], vec![ys], &[1.0]);
    let sol = run(&opts, &mut d, &penalty, init, at_zero, &mut None);
    let coef = Mat::from_fn(p, t, |j, _| sol.wt[(0, j)] / x_scale[j]);
    let intercept = intercepts(&coef, x_mean, y_mean);
    Ok(package(base, sol, coef, intercept, amax, false, start))
}

fn validate_tasks(
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
) -> Result<Vec<f64>> {
    let t = xs.len();
    if t == 0 {
        return Err(Error::EmptyInput("no tasks"));
    }
    if ys.len() != t {
        return Err(Error::ShapeMismatch {
            what: "number of target vectors vs number of designs",
            expected: t,
            found: ys.len(),
        });
    }
    let weights: Vec<f64> = match weights {
        Some(w) if w.len() != t => {
            return Err(Error::ShapeMismatch {
                what: "number of task weights vs number of tasks",
                expected: t,
                found: w.len(),
            });
        }
        Some(w) => w.to_vec(),
        None => vec![1.0; t],
    };
    let p = xs[0].ncols();
    if p == 0 {
        return Err(Error::EmptyInput("the designs have no columns (features)"));
    }
    for (k, (x, y)) in xs.iter().zip(ys).enumerate() {
        if x.ncols() != p {
            return Err(Error::ShapeMismatch {
                what: "columns (features) of a task's design vs the first task's",
                expected: p,
                found: x.ncols(),
            });
        }
        if x.nrows() != y.len() {
            return Err(Error::ShapeMismatch {
                what: "targets vs rows of the same task's design",
                expected: x.nrows(),
                found: y.len(),
            });
        }
        if y.is_empty() {
            return Err(Error::EmptyInput("a task has no samples"));
        }
        check_finite("X_t", *x)?;
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "y_t",
                row: i,
                col: k,
            });
        }
        let c = weights[k];
        if !(c.is_finite() && c > 0.0) {
            return Err(Error::InvalidParameter {
                name: "task weight",
                value: c,
                expected: "finite and > 0",
            });
        }
    }
    Ok(weights)
}

/// Solves, or certifies the known zero solution when `at_zero`.
pub(crate) fn run<D: Datafit, P: Penalty>(
    opts: &SolverOptions,
    d: &mut D,
    penalty: &P,
    wt: Mat<f64>,
    at_zero: bool,
    warm: &mut Option<solver::WarmStart>,
) -> Solution {
    if !at_zero {
        let mut sol = solver::solve_from(opts, d, penalty, wt, warm.take());
        *warm = Some(sol.take_warm());
        return sol;
    }
    d.init_state(wt.as_ref());
    let mut grad = Mat::zeros(wt.nrows(), wt.ncols());
    d.full_gradient(grad.as_mut());
    let cert = solver::certificate(d, penalty, grad.as_ref(), wt.as_ref(), opts);
    let objective = d.value(wt.as_ref()) + penalty.value(wt.as_ref());
    let value = cert.value().max(0.0);
    let mut sol = Solution {
        certificate: match cert {
            Certificate::DualGap { tol, .. } => Certificate::DualGap { value, tol },
            Certificate::Kkt { tol, .. } => Certificate::Kkt { value, tol },
        },
        objective,
        n_iter: 0,
        converged: true,
        trace: if opts.trace { vec![(0, value)] } else { vec![] },
        kkt: solver::gap::kkt_residual(penalty, grad.as_ref(), wt.as_ref()),
        gap: solver::any_gap(d, penalty, grad.as_ref(), wt.as_ref()).map(|g| g.max(0.0)),
        wt,
        warm: solver::WarmStart::exact(grad),
        screened: Vec::new(),
    };
    *warm = Some(sol.take_warm());
    sol
}

/// alpha_max of the model on the full data, as its fits compute it: a fit at a
/// huge alpha stops at once with W = 0 and reports it.
pub(crate) fn alpha_max_shared(
    base: &MultiTaskElasticNet,
    spec: &ModelSpec,
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
) -> Result<f64> {
    Ok(fit_shared(&base.clone().alpha(f64::MAX / 4.0), spec, x, y)?.alpha_max())
}

/// [`alpha_max_shared`] for per-task designs.
pub(crate) fn alpha_max_per_task(
    base: &MultiTaskElasticNet,
    spec: &ModelSpec,
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
) -> Result<f64> {
    let huge = base.clone().alpha(f64::MAX / 4.0);
    Ok(fit_per_task(&huge, spec, xs, ys, weights, false)?.alpha_max())
}

/// Cross-validation of a shared-design model described by `base` and `spec`.
pub(crate) fn cv_shared(
    base: &MultiTaskElasticNet,
    spec: &ModelSpec,
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    opts: &crate::cv::CvOptions,
) -> Result<crate::cv::CvResult> {
    base.validate()?;
    let full_amax = alpha_max_shared(base, spec, x, y)?;
    // Each fold reports its fits through its own callback; the base's own path
    // callback is not called.
    let path = |_: usize, xt: MatRef<'_, f64>, yt: MatRef<'_, f64>, alphas: &[f64], tick| {
        let b = base.clone().progress(tick);
        Ok(path_shared(&b, spec, xt, yt, &Grid::Explicit(alphas))?.fits)
    };
    let refit = |alpha: f64| fit_shared(&base.clone().alpha(alpha), spec, x, y);
    crate::cv::cross_validate_shared(x, y, opts, opts.grid.values(full_amax)?, &path, refit)
}

/// Cross-validation with per-task designs (each task's samples split in K).
pub(crate) fn cv_tasks(
    base: &MultiTaskElasticNet,
    spec: &ModelSpec,
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
    opts: &crate::cv::CvOptions,
) -> Result<crate::cv::CvResult> {
    base.validate()?;
    let alphas = opts
        .grid
        .values(alpha_max_per_task(base, spec, xs, ys, weights)?)?;
    let path = |_: usize, xt: &[MatRef<'_, f64>], yt: &[&[f64]], alphas: &[f64], tick| {
        let b = base.clone().progress(tick);
        Ok(path_per_task(&b, spec, xt, yt, weights, &Grid::Explicit(alphas))?.fits)
    };
    let refit = |alpha: f64| fit_per_task(&base.clone().alpha(alpha), spec, xs, ys, weights, false);
    crate::cv::cross_validate_tasks(xs, ys, opts, alphas, &path, refit)
}
