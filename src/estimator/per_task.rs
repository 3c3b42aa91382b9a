//! Per-task designs: each task t has its own X_t (n_t × p), y_t and weight c_t.
//!
//! ```text
//! P(W) = Σ_t c_t/(2 n_t) ‖y_t − X_t w_t‖² + α ρ Ω(W) + α (1 − ρ)/2 ‖W‖²_F
//! ```
//!
//! With one shared X and `c_t = 1` this is exactly the shared-design objective.

use super::{Fit, MultiTaskElasticNet};
use crate::datafit::PerTask;
use crate::error::{Error, Result};
use crate::linalg::{dot, norm, sq_norm};
use crate::penalty::L21;
use crate::preprocess::check_finite;
use faer::{Mat, MatRef};
use std::time::Instant;

impl MultiTaskElasticNet {
    /// Fits the model with a separate design per task: `xs[t]` is n_t × p (the
    /// same p features for every task), `ys[t]` has n_t targets, and `weights`
    /// (default all 1) are the task weights c_t > 0.
    ///
    /// Intercepts are per task (each task's X_t and y_t are centred by their own
    /// means); standardisation uses the pooled standard deviation of each feature
    /// over all (task-centred) samples. The certificate is the duality gap of the
    /// weighted problem, stopping at `tol · Σ_t c_t ‖y_t‖² / n_t`.
    ///
    /// ```
    /// use mtreg::MultiTaskLasso;
    /// let x0 = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    /// let x1 = faer::mat![[2.0, 1.0], [1.0, 0.0]];
    /// let fit = MultiTaskLasso::new(0.01)
    ///     .fit_tasks(&[x0.as_ref(), x1.as_ref()], &[&[1.0, 0.0, 1.0], &[2.0, 1.0]], None)?;
    /// assert_eq!((fit.coef().nrows(), fit.coef().ncols()), (2, 2));
    /// assert!(fit.certificate().is_satisfied());
    /// Ok::<(), mtreg::Error>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidParameter` (also for a weight ≤ 0), `ShapeMismatch` when the tasks
    /// disagree on p or X_t and y_t on n_t, `EmptyInput`, `NonFinite`, `Overflow`.
    pub fn fit_tasks(
        &self,
        xs: &[MatRef<'_, f64>],
        ys: &[&[f64]],
        weights: Option<&[f64]>,
    ) -> Result<Fit> {
        self.validate()?;
        let start = Instant::now();
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

        // Centre each task by its own means; pooled scale for standardisation.
        let mut x_mean = Mat::<f64>::zeros(t, p);
        let mut y_mean = vec![0.0; t];
        let mut xc: Vec<Mat<f64>> = Vec::with_capacity(t);
        let mut yc: Vec<Vec<f64>> = Vec::with_capacity(t);
        for (k, (x, y)) in xs.iter().zip(ys).enumerate() {
            let n = y.len() as f64;
            if self.fit_intercept {
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
        if self.standardize {
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
        // alpha_max = max_j ‖(a_t x_tjᵀ y_t)_t‖ / ρ and the tol scale Σ_t a_t ‖y_t‖².
        let a: Vec<f64> = weights
            .iter()
            .zip(&yc)
            .map(|(c, y)| c / y.len() as f64)
            .collect();
        let mut grad0 = vec![0.0; t];
        let mut amax = 0.0f64;
        for j in 0..p {
            for k in 0..t {
                grad0[k] = a[k] * dot(xc[k].col_as_slice(j), &yc[k]);
            }
            amax = amax.max(norm(&grad0));
        }
        amax /= self.l1_ratio;
        let y_scale: f64 = yc.iter().zip(&a).map(|(y, ak)| ak * sq_norm(y)).sum();
        if !y_scale.is_finite() || !amax.is_finite() {
            return Err(Error::Overflow {
                what: "the per-task data",
            });
        }

        let wt0 = self.initial_wt(p, t, &x_scale)?;
        let opts = self.solver_options(y_scale);
        let penalty = L21::new(self.alpha, self.l1_ratio);
        let at_zero = self.alpha >= amax;
        let init = if at_zero { Mat::zeros(t, p) } else { wt0 };
        let mut d = PerTask::new(xc, yc, &weights);
        let sol = super::elastic_net::run(&opts, &mut d, &penalty, init, at_zero);

        let coef = Mat::from_fn(p, t, |j, k| sol.wt[(k, j)] / x_scale[j]);
        let intercept = (0..t)
            .map(|k| y_mean[k] - (0..p).map(|j| x_mean[(k, j)] * coef[(j, k)]).sum::<f64>())
            .collect();
        Ok(Fit {
            coef,
            intercept,
            certificate: sol.certificate,
            objective: sol.objective,
            n_iter: sol.n_iter,
            converged: sol.converged,
            alpha: self.alpha,
            l1_ratio: self.l1_ratio,
            alpha_max: amax,
            gram: false,
            seconds: start.elapsed().as_secs_f64(),
            trace: sol.trace,
        })
    }
}
