//! Datafits: the smooth part `f(W)` of the objective.
//!
//! All datafits are quadratic least-squares losses with the scikit-learn scaling
//!
//! ```text
//! f(W) = 1/(2n) ‖Y − X W‖²_F                    (shared design: Quadratic, Gram)
//! f(W) = Σ_t c_t/(2 n_t) ‖y_t − X_t w_t‖²       (per-task designs: PerTask)
//! ```
//!
//! A datafit owns its data and a *state* kept in sync with the current iterate:
//! the residuals `R = Y − X W` ([`Quadratic`]) or the gradient `Xᵀ R / n`
//! ([`Gram`]). The solver talks to it block by block (one block = one feature row
//! `w_j` of W, a vector of T numbers): read the block gradient, move the block,
//! tell the datafit the change. Along a block the loss is quadratic; the datafit
//! reports a curvature `h_j` with `∇²_j f ⪯ h_j I`. For the shared design this is
//! exact (`h_j = ‖x_j‖² / n`) and a block step is an exact minimisation; for
//! per-task designs it is the largest task curvature and the step is a block
//! proximal-gradient step (still a monotone descent).
//!
//! The iterate is passed as `wt = Wᵀ` (T × p, column-major), so that block `w_j`
//! is the contiguous column `j`: see [`crate::solver`] for why.

mod blocks;
mod gram;
mod per_task;
mod quadratic;

pub use gram::Gram;
pub use per_task::PerTask;
pub use quadratic::{EPOCH_BLOCK, Quadratic, WS_GRAM_BUDGET};

use crate::bcd::{Workspace, block_step, skip_flat_block};
use crate::penalty::Penalty;
use faer::{Mat, MatMut, MatRef};

/// Residual quantities the closed-form duality gap needs, weighted as in the
/// loss: for `f(W) = Σ_t a_t/2 ‖y_t − X_t w_t‖²` (shared design: `a_t = 1/n`),
/// with residuals `r_t = y_t − X_t w_t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResidualStats {
    /// `Σ_t a_t ‖r_t‖²` (shared design: `‖R‖²_F / n`).
    pub r_sq: f64,
    /// `Σ_t a_t ⟨r_t, y_t⟩`.
    pub r_dot_y: f64,
    /// `Σ_t a_t ‖y_t‖²` (shared design: `‖Y‖²_F / n`), the scale of `tol`.
    pub y_sq: f64,
}

/// [`Datafit::update_blocks`] one block at a time through
/// [`Datafit::update_block`], skipping the rows that did not move.
pub(crate) fn update_blocks_by_row<D: Datafit + ?Sized>(
    datafit: &mut D,
    rows: &[usize],
    delta: MatRef<'_, f64>,
) {
    let mut d = vec![0.0; delta.nrows()];
    for (c, &j) in rows.iter().enumerate() {
        for (o, &v) in d.iter_mut().zip(delta.col(c).iter()) {
            *o = v;
        }
        if d.iter().any(|&v| v != 0.0) {
            datafit.update_block(j, &d);
        }
    }
}

/// The smooth, block-quadratic part of an objective.
///
/// Implementations must keep `gradient_block` and `value` consistent with the
/// iterate last given to [`init_state`](Datafit::init_state) plus all changes
/// reported through [`update_block`](Datafit::update_block).
pub trait Datafit {
    /// Number of blocks (features) p.
    fn n_features(&self) -> usize;
    /// Block length (tasks) T.
    fn n_tasks(&self) -> usize;
    /// Recompute the state from scratch for the iterate `wt` (T × p). Also used to
    /// wash out the rounding drift of many in-place updates.
    fn init_state(&mut self, wt: MatRef<'_, f64>);
    /// `f(W)` at the current state; `wt` is the iterate the state belongs to.
    fn value(&self, wt: MatRef<'_, f64>) -> f64;
    /// Curvature bound `h_j` of `f` along block j:
    /// `f(W + e_j dᵀ) ≤ f(W) + ∇_jᵀ d + h_j/2 ‖d‖²`, with equality for the
    /// shared design.
    fn block_curvature(&self, j: usize) -> f64;
    /// `∇_j f(W)` (T values) written into `out`.
    fn gradient_block(&self, j: usize, out: &mut [f64]);
    /// Update the state after `w_j ← w_j + delta`.
    fn update_block(&mut self, j: usize, delta: &[f64]);
    /// Update the state after `w_j ← w_j + delta_c` for every `j = rows[c]`
    /// (`delta`: T × |rows|, zero columns allowed). The default applies the
    /// changes one block at a time; a datafit may apply them as matrix
    /// products (the extrapolation step moves a whole working set at once).
    fn update_blocks(&mut self, rows: &[usize], delta: MatRef<'_, f64>) {
        update_blocks_by_row(self, rows, delta);
    }
    /// Saves the state so that [`restore_state`](Datafit::restore_state) can
    /// put it back (an extrapolation trial that is rejected); `false` if this
    /// datafit cannot, and the caller undoes its changes instead.
    fn save_state(&mut self) -> bool {
        false
    }
    /// Puts back the state of the last [`save_state`](Datafit::save_state)
    /// that returned `true`.
    fn restore_state(&mut self) {}
    /// Moves the state along the line from the saved iterate `W₀` (the last
    /// [`save_state`](Datafit::save_state)) to the iterate `W₁` it held when
    /// this was first called after that save: the state of
    /// `W₀ + s (W₁ − W₀)`, for a datafit whose state is affine in W.
    /// `false` if this datafit cannot (the state is then unchanged).
    fn blend_state(&mut self, s: f64) -> bool {
        let _ = s;
        false
    }
    /// The full gradient `∇f(W)` as a T × p matrix (column j = block j), computed
    /// as one matrix product.
    fn full_gradient(&self, out: MatMut<'_, f64>);
    /// One epoch of block steps over `ws` (in that order); returns the largest
    /// pre-update violation. The default is the plain row-by-row kernel
    /// [`row_epoch`]; a datafit may fuse passes over its state, with the same
    /// iterates up to rounding.
    fn epoch<P: crate::penalty::Penalty>(
        &mut self,
        penalty: &P,
        wt: &mut faer::Mat<f64>,
        ws: &[usize],
        work: &mut Workspace,
    ) -> f64
    where
        Self: Sized,
    {
        row_epoch(self, penalty, wt, ws, work)
    }

    /// Remember the current state as the reference of [`drift`](Datafit::drift).
    fn mark_reference(&mut self) {}

    /// A bound on how far every block gradient moved since
    /// [`mark_reference`](Datafit::mark_reference):
    /// `‖∇_j f(W) − ∇_j f(W_ref)‖₂ ≤ √h_j · drift` for every j, with `h_j` the
    /// [`block_curvature`](Datafit::block_curvature). `None` if this datafit
    /// cannot bound it (the solver then computes every gradient at each check).
    fn drift(&self) -> Option<f64> {
        None
    }

    /// The gradient blocks of `rows` only, written into their columns of `out`
    /// (T × p); the other columns are left as they are. The default computes
    /// them all.
    fn gradient_rows(&mut self, rows: &[usize], out: MatMut<'_, f64>) {
        let _ = rows;
        self.full_gradient(out);
    }

    /// Whether gap-safe screening applies ([`crate::solver::screening`]): one
    /// shared design behind the dual, with
    /// [`block_curvature`](Datafit::block_curvature) exactly `‖x_j‖²/n`.
    fn supports_screening(&self) -> bool {
        false
    }

    /// Residual statistics for the duality gap, or `None` if this datafit has no
    /// closed-form conjugate used by the gap.
    fn residual_stats(&self, wt: MatRef<'_, f64>) -> Option<ResidualStats> {
        let _ = wt;
        None
    }

    /// Runs the split products (full gradients; in residual mode also the
    /// epochs' block products) on `threads` rayon tasks in the current pool;
    /// 1 (the default) keeps everything sequential.
    fn set_threads(&mut self, threads: usize) {
        let _ = threads;
    }

    /// What the strategy cost model ([`crate::solver::strategy`]) needs to
    /// choose an inner mode for the working set `ws`, or `None` if this
    /// datafit has no working-set Gram subproblem.
    fn gram_facts(&self, ws: &[usize]) -> Option<GramFacts> {
        let _ = ws;
        None
    }

    /// The working-set Gram subproblem at the current state: for the rows
    /// `ws` (in that order) and the others fixed at their values in `wt`,
    /// a [`Gram`] datafit over `w = |ws|` features whose loss equals this
    /// one up to a constant and whose state is at `W_S` (the columns `ws` of
    /// `wt`, as [`gather_columns`] lays them out). `None` if unsupported.
    ///
    /// With `R` the current residuals, `Q_SS = X_SᵀX_S/n` and
    /// `B_S = X_SᵀR/n + Q_SS W_S`: `f(W) = ½⟨V, Q_SS V⟩ − ⟨B_S, V⟩ + const`
    /// as a function of `V = W_S`, which is a [`Gram`] datafit with `XᵀY/n = B_S`.
    ///
    /// `known` passes gradient columns the caller holds exactly at the
    /// current state (the check's), which spare their products `X_jᵀR`.
    fn working_set_gram(
        &mut self,
        ws: &[usize],
        wt: MatRef<'_, f64>,
        known: Option<KnownGradient<'_>>,
    ) -> Option<Gram> {
        let _ = (ws, wt, known);
        None
    }

    /// Writes the subproblem's iterate `wt_s` (T × |ws|) into the columns
    /// `ws` of `wt` and brings the state up to date with the change (after
    /// [`working_set_gram`](Datafit::working_set_gram)).
    fn commit_working_set(&mut self, ws: &[usize], wt: &mut Mat<f64>, wt_s: MatRef<'_, f64>) {
        for (c, &j) in ws.iter().enumerate() {
            for k in 0..wt.nrows() {
                wt[(k, j)] = wt_s[(k, c)];
            }
        }
        self.init_state(wt.as_ref());
    }
}

/// A datafit state saved for an extrapolation trial: put back when the trial
/// is rejected, or blended with the trial's state along the line between the
/// two iterates (the states of quadratic datafits are affine in W).
#[derive(Debug, Clone)]
pub(crate) struct SavedState {
    saved: Mat<f64>,
    moved: Mat<f64>,
    has_moved: bool,
}

impl Default for SavedState {
    fn default() -> Self {
        Self {
            saved: Mat::new(),
            moved: Mat::new(),
            has_moved: false,
        }
    }
}

impl SavedState {
    pub(crate) fn save(&mut self, state: &Mat<f64>) {
        copy_into(&mut self.saved, state);
        self.has_moved = false;
    }

    pub(crate) fn restore(&self, state: &mut Mat<f64>) {
        state.copy_from(&self.saved);
    }

    /// `state ← saved + s (moved − saved)`, `moved` being the state at the
    /// first call after [`save`](Self::save).
    pub(crate) fn blend(&mut self, state: &mut Mat<f64>, s: f64) {
        if !self.has_moved {
            copy_into(&mut self.moved, state);
            self.has_moved = true;
        }
        for c in 0..state.ncols() {
            let (a, b) = (self.saved.col_as_slice(c), self.moved.col_as_slice(c));
            for ((o, &a), &b) in state.col_as_slice_mut(c).iter_mut().zip(a).zip(b) {
                *o = a + s * (b - a);
            }
        }
    }
}

fn copy_into(dst: &mut Mat<f64>, src: &Mat<f64>) {
    if dst.nrows() == src.nrows() && dst.ncols() == src.ncols() {
        dst.copy_from(src);
    } else {
        *dst = src.clone();
    }
}

/// A matrix a datafit owns or borrows (no copy of the caller's data when it
/// needs neither centring nor scaling). Columns are contiguous.
#[derive(Debug, Clone)]
pub(crate) enum Store<'a> {
    Owned(Mat<f64>),
    Borrowed(MatRef<'a, f64>),
}

impl<'a> Store<'a> {
    /// Borrows `m` when its columns are contiguous, else copies it.
    pub(crate) fn borrow(m: MatRef<'a, f64>) -> Self {
        if m.nrows() <= 1 || m.row_stride() == 1 {
            Store::Borrowed(m)
        } else {
            Store::Owned(m.to_owned())
        }
    }

    #[inline]
    pub(crate) fn as_ref(&self) -> MatRef<'_, f64> {
        match self {
            Store::Owned(m) => m.as_ref(),
            Store::Borrowed(m) => *m,
        }
    }

    #[inline]
    pub(crate) fn nrows(&self) -> usize {
        self.as_ref().nrows()
    }

    #[inline]
    pub(crate) fn ncols(&self) -> usize {
        self.as_ref().ncols()
    }

    /// Column j as a slice.
    #[inline]
    pub(crate) fn col(&self, j: usize) -> &[f64] {
        match self {
            Store::Owned(m) => m.col_as_slice(j),
            Store::Borrowed(m) => crate::linalg::col_slice(*m, j),
        }
    }
}

/// Gradient columns known exactly at the current state, passed to
/// [`Datafit::working_set_gram`] to spare their products.
#[derive(Debug, Clone, Copy)]
pub struct KnownGradient<'g> {
    /// `∇f(W)` (T × p); only the columns marked exact are read.
    pub grad: MatRef<'g, f64>,
    /// For each working-set row, in `ws` order: whether its column of `grad`
    /// is exact.
    pub exact: &'g [bool],
}

/// Facts a datafit reports to the strategy cost model
/// ([`crate::solver::strategy::inner_mode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GramFacts {
    /// Samples n.
    pub n_samples: usize,
    /// Whether the datafit is a full Gram matrix (else residuals).
    pub full_gram: bool,
    /// Columns of the working set already in the working-set Gram cache
    /// (all of them for a full Gram).
    pub cached: usize,
}

/// The columns `ws` of `wt` (T × p) as a T × |ws| matrix.
pub fn gather_columns(wt: MatRef<'_, f64>, ws: &[usize]) -> Mat<f64> {
    Mat::from_fn(wt.nrows(), ws.len(), |k, c| wt[(k, ws[c])])
}

/// One epoch of exact block minimisation over the blocks `ws`, in that order,
/// one row at a time: the reference kernel every fused epoch is tested against.
///
/// For each block j with curvature `h = h_j`: `g = ∇_j f(W)`,
/// `w_j ← argmin h/2‖w‖² − (h w_j − g)ᵀw + g_j(w)` ([`block_step`]), then the
/// datafit state is updated with the change. Returns the largest optimality
/// violation `dist(−g, ∂g_j(w_j))` seen *before* each block's update: a free,
/// slightly stale KKT estimate used to stop the inner loop (the outer loop
/// certifies properly).
pub fn row_epoch<D: Datafit, P: Penalty>(
    datafit: &mut D,
    penalty: &P,
    wt: &mut Mat<f64>,
    ws: &[usize],
    work: &mut Workspace,
) -> f64 {
    let mut worst = 0.0f64;
    for &j in ws {
        let h = datafit.block_curvature(j);
        let w = wt.col_as_slice_mut(j);
        if skip_flat_block(h, w) {
            continue;
        }
        datafit.gradient_block(j, work.grad_mut());
        let (violation, changed) = block_step(penalty, j, h, w, work);
        worst = worst.max(violation);
        if changed {
            datafit.update_block(j, work.delta());
        }
    }
    worst
}

/// Test data shared by the datafits' kernel tests.
#[cfg(test)]
pub(crate) mod testing {
    use faer::Mat;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// X (n × p, with column 3 zero and columns 5 and 6 identical), Y (n × T)
    /// and a start iterate `wt` (T × p) with every fourth row non-zero.
    pub(crate) fn problem(
        n: usize,
        p: usize,
        t: usize,
        seed: u64,
    ) -> (Mat<f64>, Mat<f64>, Mat<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut x = Mat::from_fn(n, p, |_, _| rng.random::<f64>() - 0.5);
        x.col_as_slice_mut(3).fill(0.0);
        let c5 = x.col_as_slice(5).to_vec();
        x.col_as_slice_mut(6).copy_from_slice(&c5);
        let y = Mat::from_fn(n, t, |_, _| rng.random::<f64>() - 0.5);
        let wt = Mat::from_fn(t, p, |_, j| {
            if j % 4 == 0 {
                rng.random::<f64>() - 0.5
            } else {
                0.0
            }
        });
        (x, y, wt)
    }
}
