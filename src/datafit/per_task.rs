//! Per-task designs: task t has its own X_t (n_t × p), y_t and weight c_t.

use super::{Datafit, ResidualStats};
use crate::linalg::{axpy, dot, sq_norm};
use faer::{Mat, MatMut, MatRef};

/// `f(W) = Σ_t c_t/(2 n_t) ‖y_t − X_t w_t‖²`, residuals `r_t` kept in place.
///
/// With one shared X, `n_t = n` and `c_t = 1` this is exactly [`super::Quadratic`].
/// The curvature of block j is `diag_t(a_t ‖x_tj‖²)` with `a_t = c_t / n_t`; the
/// solver uses its largest entry, so a block step is a proximal-gradient step
/// (exact when the task curvatures coincide).
#[derive(Debug, Clone)]
pub struct PerTask {
    x: Vec<Mat<f64>>,
    y: Vec<Vec<f64>>,
    r: Vec<Vec<f64>>,
    /// `a_t = c_t / n_t`.
    a: Vec<f64>,
    /// `max_t a_t ‖x_tj‖²`.
    curvature: Vec<f64>,
}

impl PerTask {
    /// Builds the datafit from per-task designs (each n_t × p, same p), targets
    /// (length n_t) and weights `c_t > 0`. The state starts at `W = 0`.
    ///
    /// # Panics
    /// On inconsistent sizes, an empty task or a non-positive weight
    /// (programmer error: estimators validate).
    #[track_caller]
    pub fn new(x: Vec<Mat<f64>>, y: Vec<Vec<f64>>, weights: &[f64]) -> Self {
        assert!(!x.is_empty() && x.len() == y.len() && x.len() == weights.len());
        let p = x[0].ncols();
        let mut a = Vec::with_capacity(x.len());
        for ((xt, yt), &c) in x.iter().zip(&y).zip(weights) {
            assert!(xt.ncols() == p && xt.nrows() == yt.len() && !yt.is_empty());
            assert!(c > 0.0 && c.is_finite());
            a.push(c / yt.len() as f64);
        }
        let curvature = (0..p)
            .map(|j| {
                x.iter()
                    .zip(&a)
                    .map(|(xt, at)| at * sq_norm(xt.col_as_slice(j)))
                    .fold(0.0, f64::max)
            })
            .collect();
        let r = y.clone();
        Self {
            x,
            y,
            r,
            a,
            curvature,
        }
    }
}

impl Datafit for PerTask {
    fn n_features(&self) -> usize {
        self.curvature.len()
    }

    fn n_tasks(&self) -> usize {
        self.x.len()
    }

    fn init_state(&mut self, wt: MatRef<'_, f64>) {
        for (t, (rt, (xt, yt))) in self
            .r
            .iter_mut()
            .zip(self.x.iter().zip(&self.y))
            .enumerate()
        {
            rt.copy_from_slice(yt);
            // r_t = y_t − Σ_j x_tj w_tj
            for j in 0..xt.ncols() {
                let w = wt[(t, j)];
                if w != 0.0 {
                    axpy(-w, xt.col_as_slice(j), rt);
                }
            }
        }
    }

    fn value(&self, _wt: MatRef<'_, f64>) -> f64 {
        self.r
            .iter()
            .zip(&self.a)
            .map(|(rt, at)| 0.5 * at * sq_norm(rt))
            .sum()
    }

    #[inline]
    fn block_curvature(&self, j: usize) -> f64 {
        self.curvature[j]
    }

    #[inline]
    fn gradient_block(&self, j: usize, out: &mut [f64]) {
        // ∇_j f = (−a_t x_tjᵀ r_t)_t
        for (t, o) in out.iter_mut().enumerate() {
            *o = -self.a[t] * dot(self.x[t].col_as_slice(j), &self.r[t]);
        }
    }

    #[inline]
    fn update_block(&mut self, j: usize, delta: &[f64]) {
        // r_t −= δ_t x_tj
        for (t, &d) in delta.iter().enumerate() {
            if d != 0.0 {
                axpy(-d, self.x[t].col_as_slice(j), &mut self.r[t]);
            }
        }
    }

    fn full_gradient(&self, mut out: MatMut<'_, f64>) {
        for (t, (xt, rt)) in self.x.iter().zip(&self.r).enumerate() {
            for j in 0..xt.ncols() {
                out[(t, j)] = -self.a[t] * dot(xt.col_as_slice(j), rt);
            }
        }
    }

    fn residual_stats(&self, _wt: MatRef<'_, f64>) -> Option<ResidualStats> {
        let mut s = ResidualStats {
            r_sq: 0.0,
            r_dot_y: 0.0,
            y_sq: 0.0,
        };
        for ((rt, yt), at) in self.r.iter().zip(&self.y).zip(&self.a) {
            s.r_sq += at * sq_norm(rt);
            s.r_dot_y += at * dot(rt, yt);
            s.y_sq += at * sq_norm(yt);
        }
        Some(s)
    }
}
