//! Input validation, centring, optional standardisation and intercept recovery.
//!
//! With `fit_intercept`, X and Y are centred by their column means, the problem
//! is solved on centred data, and `intercept = mean(Y) − mean(X) W` (scikit-learn).
//! With `standardize`, the (centred) columns of X are also divided by their
//! standard deviation (population, 1/n, as `StandardScaler`) before solving, and
//! coefficients are mapped back to the original scale: `W_j = W̃_j / σ_j`. The
//! penalty then acts on the standardised coefficients. A column with zero
//! variance keeps scale 1 (as `StandardScaler`); after centring it is zero and its
//! coefficients are exactly 0. "Zero variance" is scikit-learn's test, up to
//! rounding (a column of 0.1s centres to noise of order 1e-17, which is then set
//! to 0 rather than scaled up). Without an intercept, standardisation divides by
//! the root mean square instead (the data are not centred).

use crate::error::{Error, Result};
use crate::linalg::sq_norm_mat;
use crate::stats::SufficientStats;
use crate::validate::{normalized_sample_weights, validate_tasks, validate_xy};
use faer::{Mat, MatRef};

/// Data ready for a shared-design solver, plus what is needed to undo it.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Centred (and possibly scaled) design, n × p, column-major.
    pub x: Mat<f64>,
    /// Centred targets, n × T.
    pub y: Mat<f64>,
    /// How to map solutions back to the original data.
    pub scaling: Scaling,
    /// `‖Y_centred‖²_F`.
    pub y_sq: f64,
}

/// The centring and scaling applied by [`prepare`], to be undone on solutions.
#[derive(Debug, Clone, PartialEq)]
pub struct Scaling {
    /// Column means of X (zeros without intercept).
    pub x_mean: Vec<f64>,
    /// Column means of Y (zeros without intercept).
    pub y_mean: Vec<f64>,
    /// Column scales of X (ones without standardisation).
    pub x_scale: Vec<f64>,
}

/// Column means, weighted by `s` (summing to the number of rows) if given.
fn column_means(m: MatRef<'_, f64>, s: Option<&[f64]>) -> Vec<f64> {
    let n = m.nrows() as f64;
    (0..m.ncols())
        .map(|j| match s {
            None => (0..m.nrows()).map(|i| m[(i, j)]).sum::<f64>() / n,
            Some(s) => (0..m.nrows()).map(|i| s[i] * m[(i, j)]).sum::<f64>() / n,
        })
        .collect()
}

/// `m − 1 meanᵀ`, each row i multiplied by `root[i]` if given.
fn centred(m: MatRef<'_, f64>, mean: &[f64], root: Option<&[f64]>) -> Mat<f64> {
    match root {
        None => Mat::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)] - mean[j]),
        Some(r) => Mat::from_fn(m.nrows(), m.ncols(), |i, j| r[i] * (m[(i, j)] - mean[j])),
    }
}

/// Copies X and Y into owned column-major matrices, centring and scaling them.
/// Validates shapes and values first.
///
/// # Errors
/// As [`validate_xy`]; `Overflow` if a squared norm overflows.
pub fn prepare(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    fit_intercept: bool,
    standardize: bool,
) -> Result<Prepared> {
    prepare_weighted(x, y, None, fit_intercept, standardize)
}

/// [`prepare`] with sample weights (scikit-learn's `sample_weight`): the
/// weights are rescaled to `s_i` summing to n
/// ([`normalized_sample_weights`]), the means are weighted
/// (`x̄ = Σ_i s_i x_i / n`), and the centred rows are multiplied by `√s_i`, so
/// that the unweighted loss of the prepared data is the weighted loss:
///
/// ```text
/// 1/(2n) ‖Ỹ − X̃W‖²_F = 1/(2n) Σ_i s_i ‖(y_i − ȳ) − Wᵀ(x_i − x̄)‖²,
/// X̃ = diag(√s)(X − 1x̄ᵀ),  Ỹ = diag(√s)(Y − 1ȳᵀ)
/// ```
///
/// Standardisation divides column j by its weighted root mean square
/// `√(Σ_i s_i (x_ij − x̄_j)² / n)`. `alpha_max`, the duality gap and the
/// tolerance scale `‖Ỹ‖²_F / n` of the prepared data are then scikit-learn's
/// weighted ones.
///
/// # Errors
/// As [`prepare`], and as [`normalized_sample_weights`] for the weights.
pub fn prepare_weighted(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    sample_weights: Option<&[f64]>,
    fit_intercept: bool,
    standardize: bool,
) -> Result<Prepared> {
    validate_xy(x, y)?;
    let (n, p, t) = (x.nrows(), x.ncols(), y.ncols());
    let s = sample_weights
        .map(|w| normalized_sample_weights(w, n))
        .transpose()?;
    let x_mean = if fit_intercept {
        column_means(x, s.as_deref())
    } else {
        vec![0.0; p]
    };
    let y_mean = if fit_intercept {
        column_means(y, s.as_deref())
    } else {
        vec![0.0; t]
    };
    let root: Option<Vec<f64>> = s.map(|s| s.iter().map(|v| v.sqrt()).collect());
    let mut xc = centred(x, &x_mean, root.as_deref());
    let yc = centred(y, &y_mean, root.as_deref());
    let mut x_scale = vec![1.0; p];
    if standardize {
        for (j, s) in x_scale.iter_mut().enumerate() {
            let col = xc.col_as_slice_mut(j);
            let ms = crate::linalg::sq_norm(col) / n as f64;
            if fit_intercept && is_constant(ms, x_mean[j], n) {
                // centring left rounding noise only: a constant column
                col.fill(0.0);
                continue;
            }
            let rms = ms.sqrt();
            if rms.is_finite() && rms > 0.0 {
                *s = rms;
                col.iter_mut().for_each(|v| *v /= rms);
            }
        }
    }
    let x_sq = sq_norm_mat(xc.as_ref());
    if !x_sq.is_finite() {
        return Err(Error::Overflow { what: "X" });
    }
    let y_sq = sq_norm_mat(yc.as_ref());
    if !y_sq.is_finite() {
        return Err(Error::Overflow { what: "Y" });
    }
    Ok(Prepared {
        x: xc,
        y: yc,
        scaling: Scaling {
            x_mean,
            y_mean,
            x_scale,
        },
        y_sq,
    })
}

/// A Gram-mode problem built from [`SufficientStats`], ready for the solver,
/// plus what is needed to undo its scaling.
#[derive(Debug, Clone)]
pub struct PreparedStats {
    /// `XᵀX / n` on the prepared scale (centred if fitting an intercept), p × p.
    pub q: Mat<f64>,
    /// `XᵀY / n` on the prepared scale, p × T.
    pub c: Mat<f64>,
    /// `‖Y‖²_F` (centred if fitting an intercept).
    pub y_sq: f64,
    /// How to map solutions back to the original data.
    pub scaling: Scaling,
}

/// Whether a centred column of variance `var` and mean `mean` over `n` rows is
/// constant up to rounding (scikit-learn's `_is_constant_feature` bound:
/// `var ≤ n ε var + (n ε mean)²`). Standardising such a column would blow its
/// rounding noise up to unit variance.
fn is_constant(var: f64, mean: f64, n: usize) -> bool {
    let ne = n as f64 * f64::EPSILON;
    var <= ne * var + (ne * mean) * (ne * mean)
}

/// What [`prepare`] does, from sufficient statistics instead of the data:
/// centred products with an intercept, else the uncentred ones
/// (`XᵀX = XcᵀXc + n x̄x̄ᵀ`); with `standardize`, column j is scaled by
/// `σ_j = √(XᵀX_jj / n)` (the same root mean square as [`prepare`], zero-variance
/// columns keeping scale 1).
///
/// # Errors
/// `EmptyInput` for statistics of no rows, `Overflow` if a product is not
/// finite.
pub fn prepare_stats(
    stats: &SufficientStats,
    fit_intercept: bool,
    standardize: bool,
) -> Result<PreparedStats> {
    let (n, p, t) = (stats.n_samples(), stats.n_features(), stats.n_tasks());
    if n == 0 {
        return Err(Error::EmptyInput("the statistics hold no rows (samples)"));
    }
    let nf = n as f64;
    let (xm, ym) = (stats.x_mean(), stats.y_mean());
    let (mut q, mut c, y_sq) = if fit_intercept {
        let yty = stats.yty();
        (
            Mat::from_fn(p, p, |i, j| stats.xtx()[(i, j)] / nf),
            Mat::from_fn(p, t, |j, k| stats.xty()[(j, k)] / nf),
            (0..t).map(|k| yty[(k, k)]).sum::<f64>(),
        )
    } else {
        let raw = stats.to_raw();
        (
            Mat::from_fn(p, p, |i, j| raw.xtx[(i, j)] / nf),
            Mat::from_fn(p, t, |j, k| raw.xty[(j, k)] / nf),
            (0..t).map(|k| raw.yty[(k, k)]).sum::<f64>(),
        )
    };
    let mut x_scale = vec![1.0; p];
    if standardize {
        for (j, s) in x_scale.iter_mut().enumerate() {
            if fit_intercept && is_constant(q[(j, j)], xm[j], n) {
                // a constant column: its centred products are rounding noise
                for i in 0..p {
                    q[(i, j)] = 0.0;
                    q[(j, i)] = 0.0;
                }
                for k in 0..t {
                    c[(j, k)] = 0.0;
                }
                continue;
            }
            let rms = q[(j, j)].max(0.0).sqrt();
            if rms.is_finite() && rms > 0.0 {
                *s = rms;
            }
        }
        for j in 0..p {
            for i in 0..p {
                q[(i, j)] /= x_scale[i] * x_scale[j];
            }
            for k in 0..t {
                c[(j, k)] /= x_scale[j];
            }
        }
    }
    let finite =
        |m: &Mat<f64>| (0..m.ncols()).all(|j| m.col_as_slice(j).iter().all(|v| v.is_finite()));
    if !finite(&q) || !finite(&c) {
        return Err(Error::Overflow { what: "X" });
    }
    if !y_sq.is_finite() {
        return Err(Error::Overflow { what: "Y" });
    }
    let (x_mean, y_mean) = if fit_intercept {
        (xm.to_vec(), ym.to_vec())
    } else {
        (vec![0.0; p], vec![0.0; t])
    };
    Ok(PreparedStats {
        q,
        c,
        y_sq,
        scaling: Scaling {
            x_mean,
            y_mean,
            x_scale,
        },
    })
}

/// Per-task designs ready for a solver: each task centred by its own means,
/// the columns scaled by one pooled factor, plus what is needed to undo it.
#[derive(Debug, Clone)]
pub struct PreparedTasks {
    /// Centred (and possibly scaled) designs, n_t × p each.
    pub x: Vec<Mat<f64>>,
    /// Centred targets, n_t each.
    pub y: Vec<Vec<f64>>,
    /// Task weights c_t (all 1 when none were given).
    pub weights: Vec<f64>,
    /// Column means of each X_t, T × p (zeros without intercept).
    pub x_mean: Mat<f64>,
    /// Mean of each y_t (zeros without intercept).
    pub y_mean: Vec<f64>,
    /// Column scales of X, pooled over tasks (ones without standardisation).
    pub x_scale: Vec<f64>,
}

/// What [`prepare`] does, for per-task designs `xs[t]` (n_t × p) and targets
/// `ys[t]`: with `fit_intercept`, each task is centred by its own means; with
/// `standardize`, column j of every task is divided by
/// `σ_j = √(Σ_t ‖x_tj‖² / Σ_t n_t)` (the root mean square over all task-centred
/// samples). A column constant within a task centres to rounding noise, which
/// is set to 0 before standardising (the same guard as [`prepare`]); a column
/// that is then zero in every task keeps scale 1. Validates shapes, values
/// and the task weights (default 1) first.
///
/// # Errors
/// As [`crate::validate::validate_tasks`].
pub fn prepare_tasks(
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
    fit_intercept: bool,
    standardize: bool,
) -> Result<PreparedTasks> {
    prepare_tasks_weighted(xs, ys, weights, None, fit_intercept, standardize)
}

/// [`prepare_tasks`] with sample weights, one slice per task
/// (`sample_weights[t]` has n_t values): as [`prepare_weighted`] within each
/// task, the weights of task t rescaled to sum to n_t, so that task t's loss
/// `c_t/(2 n_t) Σ_i s_ti (y_ti − x_tiᵀ w_t)²` is its weighted mean squared
/// error (times c_t/2).
///
/// # Errors
/// As [`prepare_tasks`], and as [`normalized_sample_weights`] for each
/// task's weights; `ShapeMismatch` unless there is one slice per task.
pub fn prepare_tasks_weighted(
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
    sample_weights: Option<&[&[f64]]>,
    fit_intercept: bool,
    standardize: bool,
) -> Result<PreparedTasks> {
    let weights = validate_tasks(xs, ys, weights)?;
    let (t, p) = (xs.len(), xs[0].ncols());
    let s: Option<Vec<Vec<f64>>> = match sample_weights {
        None => None,
        Some(sw) if sw.len() != t => {
            return Err(Error::ShapeMismatch {
                what: "sample-weight slices vs tasks",
                expected: t,
                found: sw.len(),
            });
        }
        Some(sw) => Some(
            sw.iter()
                .zip(ys)
                .map(|(w, y)| normalized_sample_weights(w, y.len()))
                .collect::<Result<_>>()?,
        ),
    };
    let mut x_mean = Mat::<f64>::zeros(t, p);
    let mut y_mean = vec![0.0; t];
    let mut xc: Vec<Mat<f64>> = Vec::with_capacity(t);
    let mut yc: Vec<Vec<f64>> = Vec::with_capacity(t);
    for (k, (x, y)) in xs.iter().zip(ys).enumerate() {
        let n = y.len() as f64;
        let sk = s.as_ref().map(|s| s[k].as_slice());
        if fit_intercept {
            match sk {
                None => {
                    y_mean[k] = y.iter().sum::<f64>() / n;
                    for j in 0..p {
                        x_mean[(k, j)] = x.col(j).iter().sum::<f64>() / n;
                    }
                }
                Some(sk) => {
                    y_mean[k] = y.iter().zip(sk).map(|(v, w)| w * v).sum::<f64>() / n;
                    for j in 0..p {
                        x_mean[(k, j)] =
                            x.col(j).iter().zip(sk).map(|(v, w)| w * v).sum::<f64>() / n;
                    }
                }
            }
        }
        match sk {
            None => {
                xc.push(Mat::from_fn(x.nrows(), p, |i, j| {
                    x[(i, j)] - x_mean[(k, j)]
                }));
                yc.push(y.iter().map(|v| v - y_mean[k]).collect());
            }
            Some(sk) => {
                let root: Vec<f64> = sk.iter().map(|w| w.sqrt()).collect();
                xc.push(Mat::from_fn(x.nrows(), p, |i, j| {
                    root[i] * (x[(i, j)] - x_mean[(k, j)])
                }));
                yc.push(
                    y.iter()
                        .zip(&root)
                        .map(|(v, r)| r * (v - y_mean[k]))
                        .collect(),
                );
            }
        }
    }
    let mut x_scale = vec![1.0; p];
    if standardize {
        let total: f64 = ys.iter().map(|y| y.len() as f64).sum();
        for (j, s) in x_scale.iter_mut().enumerate() {
            let mut ss = 0.0;
            for (k, x) in xc.iter_mut().enumerate() {
                let col = x.col_as_slice_mut(j);
                let sq = crate::linalg::sq_norm(col);
                let n = col.len();
                if fit_intercept && is_constant(sq / n as f64, x_mean[(k, j)], n) {
                    // constant within this task: centring left rounding noise
                    col.fill(0.0);
                    continue;
                }
                ss += sq;
            }
            let rms = (ss / total).sqrt();
            if rms.is_finite() && rms > 0.0 {
                *s = rms;
                for x in xc.iter_mut() {
                    x.col_as_slice_mut(j).iter_mut().for_each(|v| *v /= rms);
                }
            }
        }
    }
    Ok(PreparedTasks {
        x: xc,
        y: yc,
        weights,
        x_mean,
        y_mean,
        x_scale,
    })
}

impl Scaling {
    /// Maps solver coefficients `wt` (T × p, on the prepared scale) back to
    /// original-scale `coef` (p × T) and the intercept (T).
    pub fn recover(&self, wt: MatRef<'_, f64>) -> (Mat<f64>, Vec<f64>) {
        let (t, p) = (wt.nrows(), wt.ncols());
        // A transpose in tiles of 64 features, so that both the reads of wt
        // and the writes of coef stay in cache.
        // Zero rows (most of a sparse fit's, along a path and in every CV
        // fold) are skipped: their coefficients stay 0 and add nothing to the
        // intercept.
        const TILE: usize = 64;
        let mut coef = Mat::<f64>::zeros(p, t);
        let mut intercept = self.y_mean.clone();
        let mut rows = [0usize; TILE];
        for j0 in (0..p).step_by(TILE) {
            let j1 = (j0 + TILE).min(p);
            let mut m = 0;
            for j in j0..j1 {
                if wt.col(j).iter().any(|&v| v != 0.0) {
                    rows[m] = j;
                    m += 1;
                }
            }
            for (k, icpt) in intercept.iter_mut().enumerate() {
                let col = coef.col_as_slice_mut(k);
                for &j in &rows[..m] {
                    let c = wt[(k, j)] / self.x_scale[j];
                    col[j] = c;
                    *icpt -= self.x_mean[j] * c;
                }
            }
        }
        (coef, intercept)
    }

    /// Maps original-scale coefficients (p × T) to the solver's `wt` (T × p).
    pub fn to_solver_scale(&self, coef: MatRef<'_, f64>) -> Mat<f64> {
        Mat::from_fn(coef.ncols(), coef.nrows(), |k, j| {
            coef[(j, k)] * self.x_scale[j]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A constant column whose mean is not exact in binary (0.1) centres to
    /// rounding noise: standardising must leave it at 0, not scale the noise
    /// up; the fit then equals the fit without that column.
    #[test]
    fn constant_inexact_column_is_not_standardised() {
        let n = 7;
        let x = Mat::from_fn(n, 3, |i, j| match j {
            0 => 0.1,
            1 => (i as f64 * 0.37).sin(),
            _ => (i as f64 * 1.3).cos() + 0.2 * i as f64,
        });
        let y = Mat::from_fn(n, 2, |i, k| {
            x[(i, 1)] * (k as f64 + 1.0) - x[(i, 2)] + 0.05 * i as f64
        });
        let prep = prepare(x.as_ref(), y.as_ref(), true, true).unwrap();
        assert_eq!(prep.scaling.x_scale[0], 1.0);
        assert!(prep.x.col_as_slice(0).iter().all(|&v| v == 0.0));
        let stats = SufficientStats::from_data(&x, &y).unwrap();
        let ps = prepare_stats(&stats, true, true).unwrap();
        assert_eq!(ps.scaling.x_scale[0], 1.0);
        assert!((0..3).all(|i| ps.q[(0, i)] == 0.0 && ps.q[(i, 0)] == 0.0));
        let fit = crate::MultiTaskLasso::new(0.01)
            .standardize(true)
            .tol(1e-12)
            .fit(&x, &y)
            .unwrap();
        let x2 = x.as_ref().subcols(1, 2).to_owned();
        let fit2 = crate::MultiTaskLasso::new(0.01)
            .standardize(true)
            .tol(1e-12)
            .fit(&x2, &y)
            .unwrap();
        for k in 0..2 {
            assert_eq!(fit.coef()[(0, k)], 0.0);
            for j in 0..2 {
                let (a, b) = (fit.coef()[(j + 1, k)], fit2.coef()[(j, k)]);
                assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn centring_scaling_and_recovery_round_trip() {
        let x = faer::mat![[1.0, 10.0], [2.0, 10.0], [6.0, 10.0]];
        let y = faer::mat![[1.0], [2.0], [3.0]];
        let prep = prepare(x.as_ref(), y.as_ref(), true, true).unwrap();
        let sc = &prep.scaling;
        assert_eq!(sc.x_mean, vec![3.0, 10.0]);
        assert_eq!(sc.y_mean, vec![2.0]);
        // constant column: centred to 0, scale kept at 1
        assert_eq!(sc.x_scale[1], 1.0);
        assert!(prep.x.col_as_slice(1).iter().all(|&v| v == 0.0));
        let var0: f64 = prep.x.col_as_slice(0).iter().map(|v| v * v).sum::<f64>() / 3.0;
        assert!((var0 - 1.0).abs() < 1e-14);
        let coef = faer::mat![[0.5], [0.0]];
        let wt = sc.to_solver_scale(coef.as_ref());
        let (back, intercept) = sc.recover(wt.as_ref());
        assert!((back[(0, 0)] - 0.5).abs() < 1e-15);
        assert!((intercept[0] - (2.0 - 3.0 * 0.5)).abs() < 1e-15);
    }

    /// Per-task designs get the same constant-column guard: a column constant
    /// within every task is zeroed, not standardised.
    #[test]
    fn per_task_constant_column_is_not_standardised() {
        let x0 = Mat::from_fn(7, 2, |i, j| if j == 0 { 0.1 } else { i as f64 });
        let x1 = Mat::from_fn(6, 2, |i, j| if j == 0 { 0.7 } else { (i * i) as f64 });
        let y0 = [1.0, 0.0, 2.0, 1.0, 3.0, 0.5, 1.0];
        let y1 = [0.5, 1.5, 0.0, 2.0, 1.0, 0.0];
        let prep =
            prepare_tasks(&[x0.as_ref(), x1.as_ref()], &[&y0, &y1], None, true, true).unwrap();
        assert_eq!(prep.x_scale[0], 1.0);
        assert!(
            prep.x
                .iter()
                .all(|x| x.col_as_slice(0).iter().all(|&v| v == 0.0))
        );
        assert!(prep.x_scale[1] > 1.0);
        assert_eq!(prep.weights, vec![1.0, 1.0]);
    }

    #[test]
    fn rejects_overflowing_values() {
        let y2 = faer::mat![[1.0], [2.0]];
        let big = faer::mat![[1e200], [-1e200]];
        assert!(matches!(
            prepare(big.as_ref(), y2.as_ref(), true, false),
            Err(Error::Overflow { what: "X" })
        ));
    }
}
