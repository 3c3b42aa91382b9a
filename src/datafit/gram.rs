//! Gram mode: the shared-design quadratic loss through `XᵀX` and `XᵀY` only.

use super::{Datafit, ResidualStats};
use crate::linalg::{axpy, inner_mat, sq_norm_mat};
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Mat, MatMut, MatRef, Par};

/// `f(W) = 1/(2n) ‖Y − X W‖²_F` computed from sufficient statistics.
///
/// Keeps `Q = XᵀX / n` (p × p), `C = XᵀY / n` (p × T), `‖Y‖²` and the negative
/// gradient `G = C − Q W = XᵀR / n` (p × T). A block step costs `O(p T)` instead
/// of `O(n T)`, so this mode wins when n ≫ p; building Q costs `n p²` once.
/// The residual norm needed by the gap is recovered without R:
/// `‖R‖² = ‖Y‖² − n (⟨W, C⟩ + ⟨W, G⟩)`. That subtraction loses precision when
/// `‖R‖ ≪ ‖Y‖` (about `1e-16 ‖Y‖²` absolute), far below any sensible `tol · ‖Y‖²`.
#[derive(Debug, Clone)]
pub struct Gram {
    q: Mat<f64>,
    c: Mat<f64>,
    g: Mat<f64>,
    y_sq: f64,
    n: f64,
}

impl Gram {
    /// Builds the statistics from an n × p design and n × T targets (centred if an
    /// intercept is fitted). The state starts at `W = 0`.
    ///
    /// # Panics
    /// If the row counts differ or n = 0 (programmer error: estimators validate).
    #[track_caller]
    pub fn new(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Self {
        assert_eq!(x.nrows(), y.nrows(), "X and Y must have the same rows");
        assert!(x.nrows() > 0, "need at least one sample");
        let n = x.nrows() as f64;
        let (p, t) = (x.ncols(), y.ncols());
        // Q = XᵀX / n: compute the lower triangle only (half the flops of a full
        // GEMM), then mirror it; tiny products take `gemm`'s plain loops.
        let mut q = Mat::<f64>::zeros(p, p);
        if p * p * x.nrows() <= crate::linalg::SMALL_GEMM {
            crate::linalg::gemm(q.as_mut(), Accum::Replace, x.transpose(), x, 1.0 / n);
        } else {
            triangular::matmul(
                q.as_mut(),
                BlockStructure::TriangularLower,
                Accum::Replace,
                x.transpose(),
                BlockStructure::Rectangular,
                x,
                BlockStructure::Rectangular,
                1.0 / n,
                Par::Seq,
            );
            for j in 0..p {
                for i in 0..j {
                    q[(i, j)] = q[(j, i)];
                }
            }
        }
        let mut c = Mat::<f64>::zeros(p, t);
        crate::linalg::gemm(c.as_mut(), Accum::Replace, x.transpose(), y, 1.0 / n);
        Self::from_stats(q, c, sq_norm_mat(y), n)
    }

    /// Builds the datafit from sufficient statistics: `q = XᵀX / n`, `c = XᵀY / n`,
    /// `y_sq = ‖Y‖²` and `n`.
    ///
    /// # Panics
    /// If `q` is not p × p with `c` p × T.
    #[track_caller]
    pub fn from_stats(q: Mat<f64>, c: Mat<f64>, y_sq: f64, n: f64) -> Self {
        assert_eq!(q.nrows(), q.ncols());
        assert_eq!(q.nrows(), c.nrows());
        let g = c.clone();
        Self { q, c, g, y_sq, n }
    }

    /// `⟨W, C⟩ + ⟨W, G⟩ = (⟨W, XᵀY⟩ + ⟨W, XᵀR⟩) / n` for the iterate `wt`.
    fn w_terms(&self, wt: MatRef<'_, f64>) -> (f64, f64) {
        (
            inner_mat(wt.transpose(), self.c.as_ref()),
            inner_mat(wt.transpose(), self.g.as_ref()),
        )
    }
}

impl Datafit for Gram {
    fn n_features(&self) -> usize {
        self.q.nrows()
    }

    fn n_tasks(&self) -> usize {
        self.c.ncols()
    }

    fn init_state(&mut self, wt: MatRef<'_, f64>) {
        // G = C − Q W
        self.g.copy_from(&self.c);
        crate::linalg::gemm(
            self.g.as_mut(),
            Accum::Add,
            self.q.as_ref(),
            wt.transpose(),
            -1.0,
        );
    }

    fn value(&self, wt: MatRef<'_, f64>) -> f64 {
        let (wc, wg) = self.w_terms(wt);
        // ‖R‖²/(2n) = (‖Y‖²/n − ⟨W,C⟩ − ⟨W,G⟩)/2
        (0.5 * (self.y_sq / self.n - wc - wg)).max(0.0)
    }

    #[inline]
    fn block_curvature(&self, j: usize) -> f64 {
        self.q[(j, j)]
    }

    #[inline]
    fn gradient_block(&self, j: usize, out: &mut [f64]) {
        for (t, o) in out.iter_mut().enumerate() {
            *o = -self.g[(j, t)];
        }
    }

    #[inline]
    fn update_block(&mut self, j: usize, delta: &[f64]) {
        // G −= q_j δᵀ  (q_j = column j of Q, contiguous)
        let qj = self.q.col_as_slice(j);
        for (t, &d) in delta.iter().enumerate() {
            if d != 0.0 {
                axpy(-d, qj, self.g.col_as_slice_mut(t));
            }
        }
    }

    fn full_gradient(&self, mut out: MatMut<'_, f64>) {
        for j in 0..self.q.nrows() {
            for t in 0..self.c.ncols() {
                out[(t, j)] = -self.g[(j, t)];
            }
        }
    }

    fn supports_screening(&self) -> bool {
        true
    }

    fn residual_stats(&self, wt: MatRef<'_, f64>) -> Option<ResidualStats> {
        let (wc, wg) = self.w_terms(wt);
        let y_sq = self.y_sq / self.n;
        Some(ResidualStats {
            r_sq: (y_sq - wc - wg).max(0.0),
            r_dot_y: y_sq - wc,
            y_sq,
        })
    }
}
