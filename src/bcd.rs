//! Block coordinate-descent kernels: the block step and its scratch space.
//!
//! One block is one feature row `w_j` of W (T numbers, a contiguous column of
//! `Wᵀ`). Given the block gradient `g = ∇_j f(W)` and a curvature bound
//! `h ≥ h_j` of the loss along the block, the step minimises the quadratic
//! model plus the penalty exactly:
//!
//! ```text
//! w_j ← argmin_w  h/2 ‖w‖² − (h w_j − g)ᵀ w + g_j(w)
//! ```
//!
//! (an exact block minimisation for the shared-design loss, where `h = h_j`;
//! a block proximal-gradient step otherwise). This module depends only on the
//! penalty and the dense helpers of [`crate::linalg`]: the datafits run their
//! epochs with it ([`crate::datafit::Datafit::epoch`]) and the solver drives
//! the epochs, so neither depends on the other through it.

use crate::penalty::Penalty;

/// Scratch vectors for an epoch, sized once per solve (length T each), so that
/// the inner loop never allocates.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub(crate) grad: Vec<f64>,
    pub(crate) b: Vec<f64>,
    pub(crate) w_new: Vec<f64>,
    pub(crate) delta: Vec<f64>,
    pub(crate) scratch: Vec<f64>,
}

impl Workspace {
    /// Scratch space for blocks of `n_tasks` values.
    pub fn new(n_tasks: usize) -> Self {
        Self {
            grad: vec![0.0; n_tasks],
            b: vec![0.0; n_tasks],
            w_new: vec![0.0; n_tasks],
            delta: vec![0.0; n_tasks],
            scratch: vec![0.0; 4 * n_tasks],
        }
    }

    /// The block gradient buffer the step reads (T values).
    pub fn grad_mut(&mut self) -> &mut [f64] {
        &mut self.grad
    }

    /// The change of the last step (T values), valid when it returned `true`.
    pub fn delta(&self) -> &[f64] {
        &self.delta
    }
}

/// The block step on `w` given its gradient in `work.grad` and the curvature
/// `h > 0`: returns the pre-update violation `dist(−g, ∂g_j(w))` and whether
/// the block changed, its change left in `work.delta`.
#[inline]
pub fn block_step<P: Penalty>(
    penalty: &P,
    j: usize,
    h: f64,
    w: &mut [f64],
    work: &mut Workspace,
) -> (f64, bool) {
    let violation = penalty.subdiff_distance(j, w, &work.grad);
    // b = h w_j − ∇_j
    for ((b, &wv), &g) in work.b.iter_mut().zip(w.iter()).zip(&work.grad) {
        *b = h * wv - g;
    }
    work.w_new.copy_from_slice(w);
    penalty.block_minimize(j, h, &work.b, &mut work.w_new, &mut work.scratch);
    let mut changed = false;
    // δ = w_new − w_j;  w_j ← w_new
    for ((d, wv), &nv) in work.delta.iter_mut().zip(w.iter_mut()).zip(&work.w_new) {
        *d = nv - *wv;
        changed |= *d != 0.0;
        *wv = nv;
    }
    (violation, changed)
}

/// A zero column of X (curvature `h ≤ 0`): the loss ignores `w_j` and every
/// penalty we have is minimised at 0 there (scikit-learn skips such features).
/// Zeroes `w` and returns true when `h ≤ 0`.
#[inline]
pub fn skip_flat_block(h: f64, w: &mut [f64]) -> bool {
    if h > 0.0 {
        return false;
    }
    if w.iter().any(|&v| v != 0.0) {
        w.fill(0.0);
    }
    true
}
