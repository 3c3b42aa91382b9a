//! Certificates: scikit-learn's duality gap and the KKT residual.
//!
//! Duality gap for `P(W) = 1/(2n)‖Y − XW‖² + l1 Ω(W) + l2/2 ‖W‖²` (DESIGN 1.1,
//! scikit-learn's formula divided by n). With `R = Y − XW`,
//!
//! ```text
//! A = XᵀR/n − l2 W,   s = min(1, l1 / max_j Ω*(A_j))
//! gap = (½‖R‖²(1 + s²) − s⟨R, Y⟩)/n + l1 Ω(W) + l2/2 (1 + s²) ‖W‖²
//! ```
//!
//! where Ω* is the dual norm of Ω. The dual point is the rescaled residual
//! `θ = s R / n`; the gap is an upper bound on `P(W) − P(W*)`.
//!
//! The same formula holds for per-task designs and weights,
//! `f(W) = Σ_t a_t/2 ‖y_t − X_t w_t‖²`, with `‖R‖²/n → Σ_t a_t ‖r_t‖²`,
//! `⟨R, Y⟩/n → Σ_t a_t ⟨r_t, y_t⟩` and `A_j = −∇_j f − l2 w_j` (treat the ridge as
//! extra rows of each design and apply the Lasso gap to the augmented problem).

use crate::datafit::ResidualStats;
use crate::penalty::{ElasticForm, Penalty};
use faer::MatRef;

/// The duality gap (objective scale 1/n), from residual statistics, the full
/// gradient `grad = −XᵀR/n` (T × p) and the iterate `wt` (T × p).
pub fn duality_gap(
    stats: &ResidualStats,
    form: &ElasticForm,
    grad: MatRef<'_, f64>,
    wt: MatRef<'_, f64>,
) -> f64 {
    let t = wt.nrows();
    let mut a = vec![0.0; t];
    let mut dual_norm_max = 0.0f64;
    let mut omega = 0.0;
    let mut w_sq = 0.0;
    for j in 0..wt.ncols() {
        for k in 0..t {
            let w = wt[(k, j)];
            // A_j = XᵀR/n − l2 w_j = −∇_j − l2 w_j
            a[k] = -grad[(k, j)] - form.l2 * w;
            w_sq += w * w;
        }
        dual_norm_max = dual_norm_max.max(form.sparsity.block_dual_norm(&a));
        // Ω(w_j), reading the block (contiguous when wt is column-major)
        for (k, ak) in a.iter_mut().enumerate() {
            *ak = wt[(k, j)];
        }
        omega += form.sparsity.block_norm(&a);
    }
    let s = if dual_norm_max > form.l1 {
        form.l1 / dual_norm_max
    } else {
        1.0
    };
    0.5 * stats.r_sq * (1.0 + s * s) - s * stats.r_dot_y
        + form.l1 * omega
        + 0.5 * form.l2 * (1.0 + s * s) * w_sq
}

/// `max_j dist(−∇_j f, ∂g_j(w_j))` over all blocks.
pub fn kkt_residual<P: Penalty>(pen: &P, grad: MatRef<'_, f64>, wt: MatRef<'_, f64>) -> f64 {
    let t = wt.nrows();
    let mut w = vec![0.0; t];
    let mut g = vec![0.0; t];
    let mut worst = 0.0f64;
    for j in 0..wt.ncols() {
        for k in 0..t {
            w[k] = wt[(k, j)];
            g[k] = grad[(k, j)];
        }
        worst = worst.max(pen.subdiff_distance(j, &w, &g));
    }
    worst
}

/// The Fenchel duality gap for a penalty with a finite conjugate (e.g. a coupling
/// M ≻ 0), at the dual point `θ_t = a_t r_t` (always feasible then):
///
/// ```text
/// gap = Σ_t a_t (‖r_t‖² − ⟨r_t, y_t⟩) + Σ_j [g_j(w_j) + g_j*(−∇_j f)]
/// ```
///
/// Returns `None` if the penalty has no conjugate.
pub fn fenchel_gap<P: Penalty>(
    stats: &ResidualStats,
    penalty: &P,
    grad: MatRef<'_, f64>,
    wt: MatRef<'_, f64>,
) -> Option<f64> {
    let t = wt.nrows();
    let mut v = vec![0.0; t];
    let mut scratch = vec![0.0; 4 * t];
    let mut conj = 0.0;
    for j in 0..wt.ncols() {
        for (k, x) in v.iter_mut().enumerate() {
            *x = -grad[(k, j)];
        }
        conj += penalty.conjugate_block(j, &v, &mut scratch)?;
    }
    Some(stats.r_sq - stats.r_dot_y + penalty.value(wt) + conj)
}
