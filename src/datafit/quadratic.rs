//! Residual mode: the shared-design quadratic loss with `R = Y − X W` kept in place.

use super::{Datafit, ResidualStats};
use crate::linalg::{axpy, dot, inner_mat, sq_norm, sq_norm_mat};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};

/// `f(W) = 1/(2n) ‖Y − X W‖²_F`, with residuals maintained in place.
///
/// A block step costs `O(n T)`: one pass over R for `x_jᵀ R`, one for the rank-1
/// update `R −= x_j δᵀ`. Memory: X, Y and R.
#[derive(Debug, Clone)]
pub struct Quadratic {
    x: Mat<f64>,
    y: Mat<f64>,
    r: Mat<f64>,
    /// `‖x_j‖² / n`.
    curvature: Vec<f64>,
    inv_n: f64,
}

impl Quadratic {
    /// Builds the datafit from an n × p design and n × T targets (already centred
    /// if an intercept is fitted). The state starts at `W = 0`.
    ///
    /// # Panics
    /// If the row counts differ or n = 0 (programmer error: estimators validate).
    #[track_caller]
    pub fn new(x: Mat<f64>, y: Mat<f64>) -> Self {
        assert_eq!(x.nrows(), y.nrows(), "X and Y must have the same rows");
        assert!(x.nrows() > 0, "need at least one sample");
        let inv_n = 1.0 / x.nrows() as f64;
        let curvature = (0..x.ncols())
            .map(|j| sq_norm(x.col_as_slice(j)) * inv_n)
            .collect();
        let r = y.clone();
        Self {
            x,
            y,
            r,
            curvature,
            inv_n,
        }
    }

    /// The design X (n × p).
    pub fn x(&self) -> MatRef<'_, f64> {
        self.x.as_ref()
    }

    /// The targets Y (n × T).
    pub fn y(&self) -> MatRef<'_, f64> {
        self.y.as_ref()
    }

    /// The current residuals `R = Y − X W` (n × T).
    pub fn residuals(&self) -> MatRef<'_, f64> {
        self.r.as_ref()
    }
}

impl Datafit for Quadratic {
    fn n_features(&self) -> usize {
        self.x.ncols()
    }

    fn n_tasks(&self) -> usize {
        self.y.ncols()
    }

    fn init_state(&mut self, wt: MatRef<'_, f64>) {
        debug_assert_eq!(wt.ncols(), self.x.ncols());
        let (n, t) = (self.x.nrows(), wt.nrows());
        self.r.copy_from(&self.y);
        let support: Vec<usize> = (0..wt.ncols())
            .filter(|&j| (0..t).any(|k| wt[(k, j)] != 0.0))
            .collect();
        if support.len() * t <= 256 {
            // R = Y − Σ_{j ∈ S} x_j w_jᵀ, a few rank-1 updates.
            for &j in &support {
                let xj = self.x.col_as_slice(j);
                for k in 0..t {
                    let w = wt[(k, j)];
                    if w != 0.0 {
                        axpy(-w, xj, self.r.col_as_slice_mut(k));
                    }
                }
            }
        } else {
            // R = Y − X_S W_S as one GEMM on the gathered support (a dense
            // support makes the rank-1 loop memory-bound and ~10× slower).
            let xs = Mat::from_fn(n, support.len(), |i, k| self.x[(i, support[k])]);
            let ws = Mat::from_fn(support.len(), t, |k, c| wt[(c, support[k])]);
            matmul(
                self.r.as_mut(),
                Accum::Add,
                xs.as_ref(),
                ws.as_ref(),
                -1.0,
                Par::Seq,
            );
        }
    }

    fn value(&self, _wt: MatRef<'_, f64>) -> f64 {
        0.5 * self.inv_n * sq_norm_mat(self.r.as_ref())
    }

    #[inline]
    fn block_curvature(&self, j: usize) -> f64 {
        self.curvature[j]
    }

    #[inline]
    fn gradient_block(&self, j: usize, out: &mut [f64]) {
        // ∇_j f = −x_jᵀ R / n
        let xj = self.x.col_as_slice(j);
        for (t, o) in out.iter_mut().enumerate() {
            *o = -dot(xj, self.r.col_as_slice(t)) * self.inv_n;
        }
    }

    #[inline]
    fn update_block(&mut self, j: usize, delta: &[f64]) {
        // R −= x_j δᵀ
        let xj = self.x.col_as_slice(j);
        for (t, &d) in delta.iter().enumerate() {
            if d != 0.0 {
                axpy(-d, xj, self.r.col_as_slice_mut(t));
            }
        }
    }

    fn full_gradient(&self, out: MatMut<'_, f64>) {
        // ∇f = −Rᵀ X / n  (T × p), one GEMM.
        matmul(
            out,
            Accum::Replace,
            self.r.transpose(),
            self.x.as_ref(),
            -self.inv_n,
            Par::Seq,
        );
    }

    fn residual_stats(&self, _wt: MatRef<'_, f64>) -> Option<ResidualStats> {
        Some(ResidualStats {
            r_sq: sq_norm_mat(self.r.as_ref()) * self.inv_n,
            r_dot_y: inner_mat(self.r.as_ref(), self.y.as_ref()) * self.inv_n,
            y_sq: sq_norm_mat(self.y.as_ref()) * self.inv_n,
        })
    }
}
