//! Gram mode: the shared-design quadratic loss through `XᵀX` and `XᵀY` only.

use super::{Datafit, GramFacts, KnownGradient, ResidualStats};
use crate::linalg::matmul;
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
///
/// Epochs run blocked (see [`Datafit::epoch`] here), as in residual mode: the
/// working set is taken 8 rows at a time (`GRAM_BLOCK`), the rows are
/// minimised one after the other exactly as in plain coordinate descent (each
/// gradient read from G and corrected by `Q[j, k] δ_k` for the block's rows k
/// already moved), and G takes the block's changes in one GEMM
/// `G −= Q[:, moved] Δᵀ` over the rows that actually moved (their columns of Q
/// gathered into a p × 8 buffer; a single moving row keeps the row kernel's T
/// axpys). For a penalty with an elastic form, a zero row whose gradient
/// satisfies the optimality condition at zero skips the block step (the step
/// would leave it at zero with violation 0). With fewer than 4 tasks the row
/// kernel is used. G stays p × T: the GEMM into a T × p G was 1.3–3.5× slower
/// at p = 200, T = 10, and the strided read of a row of G is not what an epoch
/// spends its time on.
#[derive(Debug, Clone)]
pub struct Gram {
    q: Mat<f64>,
    c: Mat<f64>,
    g: Mat<f64>,
    /// G at the last [`Datafit::save_state`].
    g_saved: super::SavedState,
    /// The diagonal of Q (the block curvatures), contiguous.
    diag: Vec<f64>,
    y_sq: f64,
    n: f64,
    /// Buffers of the blocked epoch.
    blocked: Blocked,
}

/// Rows per block of the blocked epoch in Gram mode.
///
/// Smaller than residual mode's 16: here a row's update of G costs `2pT`
/// flops, not `2nT`, so the in-block corrections (`2T` per pair of rows of the
/// block) weigh relatively more. Measured on n = 50 000, p = 200, T = 10 (all
/// rows moving): 8 rows per block beat 4, 6, 12 and 16.
pub const GRAM_BLOCK: usize = 8;

/// Scratch space of the blocked epoch, sized at construction.
#[derive(Debug, Clone)]
struct Blocked {
    /// The block's rows that moved, in the order they moved.
    rows: [usize; GRAM_BLOCK],
    /// Their changes (T × B), same order.
    d: Mat<f64>,
    /// Their columns of Q, gathered for the GEMM (p × B).
    q: Mat<f64>,
}

impl Blocked {
    /// Buffers for p features and T tasks.
    fn new(p: usize, t: usize) -> Self {
        Self {
            rows: [0; GRAM_BLOCK],
            d: Mat::zeros(t, GRAM_BLOCK),
            q: Mat::zeros(p, GRAM_BLOCK),
        }
    }
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
            crate::linalg::clear_upper();
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
        let diag = (0..q.nrows()).map(|j| q[(j, j)]).collect();
        let blocked = Blocked::new(q.nrows(), c.ncols());
        Self {
            q,
            c,
            g,
            g_saved: super::SavedState::default(),
            diag,
            y_sq,
            n,
            blocked,
        }
    }

    /// The working-set Gram subproblem (see [`Datafit::working_set_gram`])
    /// from `q = Q_SS` (w × w), `a_s = X_SᵀR/n` (w × T) at the current
    /// residuals R, the iterate `wt` (T × p), the working set `ws` and the
    /// current loss value `‖R‖²/(2n)`. Its state is at `W_S`.
    pub(crate) fn subproblem(
        q: Mat<f64>,
        a_s: Mat<f64>,
        wt: MatRef<'_, f64>,
        ws: &[usize],
        value: f64,
    ) -> Self {
        let w_s = super::gather_columns(wt, ws);
        // B_S = A_S + Q_SS W_S (the subproblem's XᵀY/n)
        let mut b = a_s.clone();
        crate::linalg::gemm(b.as_mut(), Accum::Add, q.as_ref(), w_s.transpose(), 1.0);
        // its ‖Y‖²/n: f(W_S) = ½(y_sq − ⟨W_S, B_S⟩ − ⟨W_S, A_S⟩) must be `value`
        let y_sq = 2.0 * value
            + inner_mat(w_s.transpose(), a_s.as_ref())
            + inner_mat(w_s.transpose(), b.as_ref());
        let diag = (0..q.nrows()).map(|j| q[(j, j)]).collect();
        let blocked = Blocked::new(q.nrows(), b.ncols());
        Self {
            q,
            c: b,
            g: a_s,
            g_saved: super::SavedState::default(),
            diag,
            y_sq,
            n: 1.0,
            blocked,
        }
    }

    /// `⟨W, C⟩ + ⟨W, G⟩ = (⟨W, XᵀY⟩ + ⟨W, XᵀR⟩) / n` for the iterate `wt`.
    fn w_terms(&self, wt: MatRef<'_, f64>) -> (f64, f64) {
        (
            inner_mat(wt.transpose(), self.c.as_ref()),
            inner_mat(wt.transpose(), self.g.as_ref()),
        )
    }

    /// Coordinate descent over the rows `rows` (at most [`GRAM_BLOCK`]), in
    /// that order, with one update of G for the whole block; the iterates are
    /// those of the row-at-a-time kernel up to rounding.
    fn block_of_rows<P: crate::penalty::Penalty>(
        &mut self,
        penalty: &P,
        wt: &mut Mat<f64>,
        rows: &[usize],
        elastic: Option<crate::penalty::ElasticForm>,
        work: &mut crate::bcd::Workspace,
    ) -> f64 {
        let b = &mut self.blocked;
        let mut worst = 0.0f64;
        let mut moved = 0usize;
        for &j in rows {
            let h = self.diag[j];
            let w = wt.col_as_slice_mut(j);
            if crate::bcd::skip_flat_block(h, w) {
                continue;
            }
            // ∇_j f = −G[j, :] + Σ_m Q[j, k_m] δ_m over the rows k_m of the
            // block already moved, in the order they moved (the row kernel's
            // order of updates of G). Plain loops: T is short.
            for (q, o) in work.grad.iter_mut().enumerate() {
                *o = -self.g[(j, q)];
            }
            for (m, &k) in b.rows[..moved].iter().enumerate() {
                let qjk = self.q.col_as_slice(k)[j];
                if qjk != 0.0 {
                    for (o, &dv) in work.grad.iter_mut().zip(b.d.col_as_slice(m)) {
                        *o += qjk * dv;
                    }
                }
            }
            // A zero row whose gradient lies in `l1 ∂Ω(0)` (`‖g‖₂ ≤ l1` for
            // Group, `‖g‖_∞ ≤ l1` for Entrywise) minimises its block problem
            // and stays at zero. The block step would return no change and
            // violation 0 (for L21 and L1 by the same comparisons: ‖g‖ or
            // ‖b‖ = ‖−g‖ against l1, |g_t| against l1), at about three times
            // the cost of this test. Most rows of an epoch over many rows are
            // such rows.
            if let Some(form) = elastic
                && w.iter().all(|&v| v == 0.0)
                && form.sparsity.block_dual_norm(&work.grad) <= form.l1
            {
                continue;
            }
            let (violation, changed) = crate::bcd::block_step(penalty, j, h, w, work);
            worst = worst.max(violation);
            if changed {
                b.rows[moved] = j;
                b.d.col_as_slice_mut(moved).copy_from_slice(&work.delta);
                moved += 1;
            }
        }
        match moved {
            0 => {}
            // One row: the row kernel's T axpys (skipping zero entries of δ)
            // cost no more than a GEMM and need no gather.
            1 => {
                let (k, d) = (b.rows[0], b.d.col_as_slice(0));
                let qk = self.q.col_as_slice(k);
                for (t, &dt) in d.iter().enumerate() {
                    if dt != 0.0 {
                        axpy(-dt, qk, self.g.col_as_slice_mut(t));
                    }
                }
            }
            // G −= Q[:, moved] Δᵀ  (p × m times m × T), Q's columns gathered.
            _ => {
                for (m, &k) in b.rows[..moved].iter().enumerate() {
                    b.q.col_as_slice_mut(m)
                        .copy_from_slice(self.q.col_as_slice(k));
                }
                matmul(
                    self.g.as_mut(),
                    Accum::Add,
                    b.q.as_ref().subcols(0, moved),
                    b.d.as_ref().subcols(0, moved).transpose(),
                    -1.0,
                    Par::Seq,
                );
            }
        }
        worst
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
        self.diag[j]
    }

    #[inline]
    fn gradient_block(&self, j: usize, out: &mut [f64]) {
        for (t, o) in out.iter_mut().enumerate() {
            *o = -self.g[(j, t)];
        }
    }

    #[inline]
    fn save_state(&mut self) -> bool {
        self.g_saved.save(&self.g);
        true
    }

    fn restore_state(&mut self) {
        self.g_saved.restore(&mut self.g);
    }

    fn blend_state(&mut self, s: f64) -> bool {
        // G = C − Q W is affine in W
        self.g_saved.blend(&mut self.g, s);
        true
    }

    fn update_block(&mut self, j: usize, delta: &[f64]) {
        // G −= q_j δᵀ  (q_j = column j of Q, contiguous; one sweep over q_j)
        let mut minus = [0.0f64; crate::linalg::FUSED_COLS];
        if delta.len() <= minus.len() {
            let minus = &mut minus[..delta.len()];
            for (m, &d) in minus.iter_mut().zip(delta) {
                *m = -d;
            }
            crate::linalg::axpy_cols(minus, self.q.col_as_slice(j), self.g.as_mut());
            return;
        }
        let qj = self.q.col_as_slice(j);
        for (t, &d) in delta.iter().enumerate() {
            if d != 0.0 {
                axpy(-d, qj, self.g.col_as_slice_mut(t));
            }
        }
    }

    fn epoch<P: crate::penalty::Penalty>(
        &mut self,
        penalty: &P,
        wt: &mut Mat<f64>,
        ws: &[usize],
        work: &mut crate::bcd::Workspace,
    ) -> f64 {
        // Few tasks: a GEMM with T < 4 columns is slower than the row kernel's
        // axpys (measured at p = 200: T = 1 always, T = 3 about even).
        if self.c.ncols() < 4 {
            return super::row_epoch(self, penalty, wt, ws, work);
        }
        let elastic = penalty.elastic_form();
        let mut worst = 0.0f64;
        for chunk in ws.chunks(GRAM_BLOCK) {
            worst = worst.max(self.block_of_rows(penalty, wt, chunk, elastic, work));
        }
        worst
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

    fn gram_facts(&self, ws: &[usize]) -> Option<GramFacts> {
        Some(GramFacts {
            n_samples: self.n as usize,
            full_gram: true,
            cached: ws.len(),
        })
    }

    fn working_set_gram(
        &mut self,
        ws: &[usize],
        wt: MatRef<'_, f64>,
        _known: Option<KnownGradient<'_>>,
    ) -> Option<Gram> {
        let (w, t) = (ws.len(), self.c.ncols());
        let q = Mat::from_fn(w, w, |u, v| self.q[(ws[u], ws[v])]);
        let a_s = Mat::from_fn(w, t, |u, k| self.g[(ws[u], k)]);
        Some(Gram::subproblem(q, a_s, wt, ws, self.value(wt)))
    }

    fn commit_working_set(&mut self, ws: &[usize], wt: &mut Mat<f64>, wt_s: MatRef<'_, f64>) {
        let t = wt.nrows();
        let b = &mut self.blocked;
        let mut moved = 0;
        let flush = |b: &mut Blocked, g: &mut Mat<f64>, q: &Mat<f64>, m: usize| {
            // G −= Q[:, moved] Δᵀ
            for (c, &k) in b.rows[..m].iter().enumerate() {
                b.q.col_as_slice_mut(c).copy_from_slice(q.col_as_slice(k));
            }
            matmul(
                g.as_mut(),
                Accum::Add,
                b.q.as_ref().subcols(0, m),
                b.d.as_ref().subcols(0, m).transpose(),
                -1.0,
                Par::Seq,
            );
        };
        for (c, &j) in ws.iter().enumerate() {
            let mut changed = false;
            for k in 0..t {
                let delta = wt_s[(k, c)] - wt[(k, j)];
                b.d[(k, moved)] = delta;
                changed |= delta != 0.0;
                wt[(k, j)] = wt_s[(k, c)];
            }
            if changed {
                b.rows[moved] = j;
                moved += 1;
                if moved == GRAM_BLOCK {
                    flush(b, &mut self.g, &self.q, moved);
                    moved = 0;
                }
            }
        }
        if moved > 0 {
            flush(b, &mut self.g, &self.q, moved);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bcd::Workspace;
    use crate::datafit::row_epoch;
    use crate::datafit::testing::problem;
    use crate::penalty::{Coupled, L1, L21, Penalty, Sparsity, TaskGraph};
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    use rand_chacha::ChaCha8Rng;

    fn close(u: f64, v: f64) -> bool {
        (u - v).abs() <= 1e-12 * u.abs().max(v.abs()).max(1e-3)
    }

    /// The blocked epoch must reproduce the row-at-a-time epoch (same rows in
    /// the same order) on the same Gram datafit, over several epochs.
    fn blocked_matches_rows<P: Penalty>(pen: &P, ws: &[usize], seed: u64) {
        let (n, p, t) = (120, 40, 5);
        let (x, y, mut wt_a) = problem(n, p, t, seed);
        let start = wt_a.clone();
        let mut wt_b = wt_a.clone();
        // a non-zero start on the zero column: both kernels must zero it
        wt_a[(0, 3)] = 0.25;
        wt_b[(0, 3)] = 0.25;
        let mut a = Gram::new(x.as_ref(), y.as_ref());
        a.init_state(wt_a.as_ref());
        let mut b = a.clone();
        let mut work = Workspace::new(t);
        for _ in 0..4 {
            let va = row_epoch(&mut a, pen, &mut wt_a, ws, &mut work);
            let vb = b.epoch(pen, &mut wt_b, ws, &mut work);
            assert!(close(va, vb), "violation {va} vs {vb}");
        }
        let mut moved = 0;
        for j in 0..p {
            for k in 0..t {
                let (u, v) = (wt_a[(k, j)], wt_b[(k, j)]);
                assert!(close(u, v), "w[{k},{j}] {u} vs {v}");
            }
            moved += usize::from(wt_a.col_as_slice(j) != start.col_as_slice(j));
        }
        assert!(wt_b.col_as_slice(3).iter().all(|&v| v == 0.0));
        assert!(moved >= 8, "the test must move rows ({moved})");
        for q in 0..t {
            for j in 0..p {
                let (u, v) = (a.g[(j, q)], b.g[(j, q)]);
                assert!(close(u, v), "G[{j},{q}] {u} vs {v}");
            }
        }
    }

    #[test]
    fn blocked_epoch_equals_row_epoch() {
        let all: Vec<usize> = (0..40).collect();
        for seed in 0..4 {
            // non-consecutive, unsorted, with the zero column and both copies
            // of the duplicated one; 37 rows: two full blocks and a single row
            let mut shuffled: Vec<usize> = (0..40).filter(|j| j % 13 != 1).collect();
            shuffled.shuffle(&mut ChaCha8Rng::seed_from_u64(100 + seed));
            blocked_matches_rows(&L21::new(0.01, 0.9), &all, seed);
            blocked_matches_rows(&L21::new(0.02, 1.0), &shuffled, seed);
            blocked_matches_rows(&L1::new(0.01, 0.8), &all, seed);
            blocked_matches_rows(&L1::new(0.01, 1.0), &shuffled, seed);
            // few rows move: blocks with zero or one moving row
            blocked_matches_rows(&L21::new(0.025, 1.0), &shuffled, seed);
            // task couplings: a chain graph (no elastic form, so no zero-row
            // shortcut) and a scalar one (an elastic net in disguise)
            let lap = TaskGraph::chain(5).laplacian();
            let chain = Mat::from_fn(5, 5, |i, j| 0.01 * lap[(i, j)]);
            let scalar = Mat::from_fn(5, 5, |i, j| if i == j { 0.01 } else { 0.0 });
            for (sparsity, m) in [(Sparsity::Group, chain), (Sparsity::Entrywise, scalar)] {
                let pen = Coupled::new(0.01, sparsity, m).unwrap();
                blocked_matches_rows(&pen, &shuffled, seed);
            }
        }
    }
}
