//! Task weights chosen from the data: the maximum-likelihood weighting of
//! tasks with unequal noise (`--task-weights auto`).
//!
//! Model: `y_t = X_t w_t + ε_t`, `ε_t ~ N(0, σ_t² I)`, one noise level per task.
//! The penalised negative log-likelihood, each task's log-likelihood averaged
//! over its samples as the engine's loss averages its squared residuals, is
//!
//! ```text
//! J(W, σ) = Σ_t κ_t [ ‖y_t − X_t w_t‖² / (2 n_t σ_t²) + ½ log σ_t² ] + g(W)
//! ```
//!
//! with `κ_t = 1` ([`Likelihood::PerTask`], every task counts equally, as in
//! the unweighted loss) or `κ_t = n_t / N` ([`Likelihood::PerSample`], the
//! plain Gaussian likelihood of all N samples divided by N; the two coincide
//! when all n_t are equal). It is minimised by alternation, each step exact:
//!
//! - **W-step**: the engine's weighted fit with task weights `c_t = κ_t / σ_t²`;
//! - **σ-step**: `σ_t² = ‖r_t‖² / n_t` (closed form), floored at
//!   `floor · ‖y_t‖²/n_t` so that a task fitted exactly cannot send its weight
//!   to infinity (J is unbounded below there; such tasks are reported).
//!
//! J never increases along the alternation (up to the W-step's tolerance);
//! it is not jointly convex, so the limit is a stationary point that may
//! depend on the start (uniform weights). Convergence is declared when no
//! weight changes by more than `tol` (relative) in an alternation; the
//! history of J is returned so that this can be checked.

use crate::datafit::PerTask;
use crate::error::{Error, Result};
use crate::penalty::Penalty;
use crate::solver::SolverOptions;
use faer::Mat;

/// How tasks of different sizes count in the likelihood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Likelihood {
    /// `κ_t = 1`: weights `c_t = 1/σ_t²`.
    #[default]
    PerTask,
    /// `κ_t = n_t/N`: weights `c_t = n_t/(N σ_t²)`.
    PerSample,
}

/// Options of [`noise_weights`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseWeightOptions {
    /// Maximum alternations.
    pub max_iter: usize,
    /// Stop when every weight changes by at most this fraction.
    pub tol: f64,
    /// Variance floor, relative to `‖y_t‖²/n_t`.
    pub floor: f64,
    /// Task counting.
    pub likelihood: Likelihood,
    /// Hand the W-step the weights divided by their mean (mean 1), so that
    /// the penalty keeps the scale of an unweighted fit. A fixed point is
    /// then the penalised maximum-likelihood estimate for the penalty
    /// scaled by `m = mean_t(κ_t/σ_t²)` at that point; `objectives` report
    /// `J` with the penalty so scaled (`m · g`), which the alternation need
    /// not decrease monotonically (m changes between alternations).
    pub normalize: bool,
}

impl Default for NoiseWeightOptions {
    fn default() -> Self {
        Self {
            max_iter: 50,
            tol: 1e-6,
            floor: 1e-8,
            likelihood: Likelihood::PerTask,
            normalize: false,
        }
    }
}

/// One W-step's outcome, as [`noise_weights`] needs it.
#[derive(Debug, Clone)]
pub struct WeightedFit {
    /// `‖y_t − X_t w_t‖²` per task (intercepts included, if fitted).
    pub rss: Vec<f64>,
    /// `g(W)` at the fit.
    pub penalty: f64,
}

/// The result of [`noise_weights`].
#[derive(Debug, Clone)]
pub struct NoiseWeights {
    /// The task weights `c_t = κ_t / σ_t²` (divided by their mean with
    /// [`NoiseWeightOptions::normalize`]) of the last W-step's successor
    /// (use them for the final fit; the last W-step used the previous ones
    /// unless converged).
    pub weights: Vec<f64>,
    /// The noise variances `σ_t²`.
    pub sigma2: Vec<f64>,
    /// `J` after each alternation (non-increasing up to the W-step tolerance).
    pub objectives: Vec<f64>,
    /// Alternations run.
    pub n_iter: usize,
    /// Whether the weights stopped changing (else `max_iter` was reached).
    pub converged: bool,
    /// Tasks whose variance hit the floor (fitted exactly: their weight is
    /// set by the floor, not by the data).
    pub floored: Vec<usize>,
}

/// Alternates `fit(weights)` (the W-step, any weighted model) and the closed
/// σ-step, from uniform weights, for tasks of `n_samples[t]` samples whose
/// targets have `y_sq[t] = ‖y_t‖²` (centred if intercepts are fitted).
///
/// # Errors
/// `ShapeMismatch` if the lengths differ or `fit` returns the wrong number
/// of tasks; `EmptyInput` for no task; `InvalidParameter` for bad options;
/// whatever `fit` returns.
pub fn noise_weights<F>(
    n_samples: &[usize],
    y_sq: &[f64],
    mut fit: F,
    opts: &NoiseWeightOptions,
) -> Result<NoiseWeights>
where
    F: FnMut(&[f64]) -> Result<WeightedFit>,
{
    let t = n_samples.len();
    if t == 0 {
        return Err(Error::EmptyInput("no task"));
    }
    if y_sq.len() != t {
        return Err(Error::ShapeMismatch {
            what: "‖y_t‖² per task vs tasks",
            expected: t,
            found: y_sq.len(),
        });
    }
    if n_samples.contains(&0) {
        return Err(Error::EmptyInput("a task without samples"));
    }
    for (name, v, ok) in [
        ("noise-weight tol", opts.tol, opts.tol >= 0.0),
        ("noise-weight floor", opts.floor, opts.floor > 0.0),
    ] {
        if !(v.is_finite() && ok) {
            return Err(Error::InvalidParameter {
                name,
                value: v,
                expected: "finite and >= 0 (floor > 0)",
            });
        }
    }
    let total: usize = n_samples.iter().sum();
    let kappa: Vec<f64> = n_samples
        .iter()
        .map(|&n| match opts.likelihood {
            Likelihood::PerTask => 1.0,
            Likelihood::PerSample => n as f64 / total as f64,
        })
        .collect();
    let scaled = |w: &[f64]| -> (Vec<f64>, f64) {
        let m = if opts.normalize {
            w.iter().sum::<f64>() / w.len() as f64
        } else {
            1.0
        };
        (w.iter().map(|v| v / m).collect(), m)
    };
    let (mut weights, _) = scaled(&kappa);
    let mut raw: Vec<f64> = kappa.clone();
    let mut scale = 1.0;
    let mut sigma2 = vec![1.0; t];
    let mut objectives = Vec::new();
    let mut floored = Vec::new();
    let mut converged = false;
    let mut n_iter = 0;
    while n_iter < opts.max_iter.max(1) {
        let wf = fit(&weights)?;
        if wf.rss.len() != t {
            return Err(Error::ShapeMismatch {
                what: "residual sums of the W-step vs tasks",
                expected: t,
                found: wf.rss.len(),
            });
        }
        n_iter += 1;
        floored.clear();
        // the penalty on the likelihood's scale (m g when the weights are normalised)
        let mut j = scale * wf.penalty;
        for k in 0..t {
            let n = n_samples[k] as f64;
            let lo = opts.floor * (y_sq[k] / n).max(f64::MIN_POSITIVE);
            let mut s2 = wf.rss[k] / n;
            if s2.is_nan() || s2 <= lo {
                s2 = lo;
                floored.push(k);
            }
            sigma2[k] = s2;
            // at the σ-step optimum the residual term is κ/2
            j += kappa[k] * 0.5 * (1.0 + s2.ln());
            raw[k] = kappa[k] / s2;
        }
        let (next, m) = scaled(&raw);
        let change = next
            .iter()
            .zip(&weights)
            .fold(0.0f64, |c, (n, w)| c.max((n - w).abs() / w));
        weights = next;
        scale = m;
        objectives.push(j);
        if change <= opts.tol {
            converged = true;
            break;
        }
    }
    Ok(NoiseWeights {
        weights,
        sigma2,
        objectives,
        n_iter,
        converged,
        floored,
    })
}

/// [`noise_weights`] for per-task designs (no intercept: centre first if
/// wanted) with a row-separable penalty, each W-step solved by the block
/// coordinate-descent solver warm-started at the previous W, to the duality
/// gap `tol_rel · Σ_t c_t ‖y_t‖²/n_t` (the weighted scale, so the relative
/// accuracy is the same at every alternation). Returns the weights and the
/// last fit's W (p × T).
///
/// # Errors
/// As [`noise_weights`]; `ShapeMismatch` for inconsistent designs.
pub fn noise_weights_per_task<P: Penalty>(
    xs: &[Mat<f64>],
    ys: &[Vec<f64>],
    penalty: &P,
    solver: &SolverOptions,
    tol_rel: f64,
    opts: &NoiseWeightOptions,
) -> Result<(NoiseWeights, Mat<f64>)> {
    let t = xs.len();
    if t == 0 || ys.len() != t {
        return Err(Error::ShapeMismatch {
            what: "targets vs designs (tasks)",
            expected: t,
            found: ys.len(),
        });
    }
    let p = xs[0].ncols();
    for (x, y) in xs.iter().zip(ys) {
        if x.ncols() != p {
            return Err(Error::ShapeMismatch {
                what: "features of a task's design",
                expected: p,
                found: x.ncols(),
            });
        }
        if x.nrows() != y.len() {
            return Err(Error::ShapeMismatch {
                what: "samples of a task's targets vs its design",
                expected: x.nrows(),
                found: y.len(),
            });
        }
    }
    let n: Vec<usize> = ys.iter().map(|y| y.len()).collect();
    let y_sq: Vec<f64> = ys.iter().map(|y| y.iter().map(|v| v * v).sum()).collect();
    let mut wt = Mat::<f64>::zeros(t, p);
    let result = noise_weights(
        &n,
        &y_sq,
        |c| {
            let mut d = PerTask::new(xs.to_vec(), ys.to_vec(), c);
            let scale: f64 = (0..t).map(|k| c[k] * y_sq[k] / n[k] as f64).sum();
            let o = SolverOptions {
                tol: tol_rel * scale,
                kkt_tol: tol_rel * scale.sqrt(),
                ..solver.clone()
            };
            let sol = crate::solver::solve(&o, &mut d, penalty, wt.clone());
            wt = sol.wt;
            let rss = (0..t)
                .map(|k| {
                    (0..n[k])
                        .map(|i| {
                            let fit: f64 = (0..p).map(|j| xs[k][(i, j)] * wt[(k, j)]).sum();
                            (ys[k][i] - fit).powi(2)
                        })
                        .sum()
                })
                .collect();
            Ok(WeightedFit {
                rss,
                penalty: penalty.value(wt.as_ref()),
            })
        },
        opts,
    )?;
    Ok((result, wt.transpose().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With a W-step that ignores the weights (fixed residuals) the
    /// alternation converges in two steps to `σ_t² = rss_t / n_t`.
    #[test]
    fn fixed_residuals_give_the_sample_variances() {
        let n = [10, 20, 40];
        let rss = [10.0, 80.0, 10.0];
        let res = noise_weights(
            &n,
            &[100.0; 3],
            |_| {
                Ok(WeightedFit {
                    rss: rss.to_vec(),
                    penalty: 0.0,
                })
            },
            &NoiseWeightOptions::default(),
        )
        .unwrap();
        assert!(res.converged && res.n_iter == 2);
        assert_eq!(res.sigma2, vec![1.0, 4.0, 0.25]);
        assert_eq!(res.weights, vec![1.0, 0.25, 4.0]);
        let per_sample = noise_weights(
            &n,
            &[100.0; 3],
            |_| {
                Ok(WeightedFit {
                    rss: rss.to_vec(),
                    penalty: 0.0,
                })
            },
            &NoiseWeightOptions {
                likelihood: Likelihood::PerSample,
                ..Default::default()
            },
        )
        .unwrap();
        assert!((per_sample.weights[2] - 40.0 / 70.0 * 4.0).abs() < 1e-15);
    }

    #[test]
    fn exact_fits_are_floored_and_reported() {
        let res = noise_weights(
            &[5, 5],
            &[10.0, 10.0],
            |_| {
                Ok(WeightedFit {
                    rss: vec![0.0, 5.0],
                    penalty: 0.0,
                })
            },
            &NoiseWeightOptions::default(),
        )
        .unwrap();
        assert_eq!(res.floored, vec![0]);
        assert!((res.sigma2[0] - 1e-8 * 2.0).abs() < 1e-20);
        assert!(noise_weights(&[5], &[1.0, 2.0], |_| unreachable!(), &Default::default()).is_err());
    }
}
