//! The block coordinate-descent epoch: one pass over the blocks of a working set.

use crate::datafit::Datafit;
use crate::penalty::Penalty;
use faer::Mat;

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
}

/// The block step on `w` given its gradient in `work.grad`: returns the
/// pre-update violation and leaves the change in `work.delta` (true if non-zero).
#[inline]
pub(crate) fn block_step<P: Penalty>(
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
    for ((d, wv), &nv) in work.delta.iter_mut().zip(w.iter_mut()).zip(&work.w_new) {
        *d = nv - *wv;
        changed |= *d != 0.0;
        *wv = nv;
    }
    (violation, changed)
}

/// One epoch of exact block minimisation over the blocks `ws`, in that order.
///
/// For each block j with curvature `h = h_j`: `g = ∇_j f(W)`,
/// `w_j ← argmin h/2‖w‖² − (h w_j − g)ᵀw + g_j(w)`, then the datafit state is
/// updated with the change. Returns the largest optimality violation
/// `dist(−g, ∂g_j(w_j))` seen *before* each block's update: a free, slightly stale
/// KKT estimate used to stop the inner loop (the outer loop certifies properly).
pub fn bcd_epoch<D: Datafit, P: Penalty>(
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
        if h <= 0.0 {
            // A zero column of X: the loss ignores w_j and every penalty we have
            // is minimised at 0 there (scikit-learn skips such features).
            if w.iter().any(|&v| v != 0.0) {
                w.fill(0.0);
            }
            continue;
        }
        datafit.gradient_block(j, &mut work.grad);
        let (violation, changed) = block_step(penalty, j, h, w, work);
        worst = worst.max(violation);
        if changed {
            datafit.update_block(j, &work.delta);
        }
    }
    worst
}
