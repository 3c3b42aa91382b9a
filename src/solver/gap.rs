//! Certificates: scikit-learn's duality gap and the KKT residual.
//!
//! Duality gap for `P(W) = 1/(2n)‖Y − XW‖² + l1 Ω(W) + l2/2 ‖W‖²` (docs/objective.md,
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
    duality_gap_scaled(stats, form, grad, wt).0
}

/// [`duality_gap`] and the dual scaling `s` of its dual point `θ = s R / n`
/// (what gap-safe screening needs, see [`crate::solver::screening`]).
pub fn duality_gap_scaled(
    stats: &ResidualStats,
    form: &ElasticForm,
    grad: MatRef<'_, f64>,
    wt: MatRef<'_, f64>,
) -> (f64, f64) {
    let t = wt.nrows();
    let mut a = vec![0.0; t];
    let mut w = vec![0.0; t];
    let mut dual_norm_max = 0.0f64;
    let mut omega = 0.0;
    let mut w_sq = 0.0;
    for j in 0..wt.ncols() {
        let wj = column(wt, j, &mut w);
        let gj = column(grad, j, &mut a);
        // A_j = XᵀR/n − l2 w_j = −∇_j − l2 w_j
        let zero = wj.iter().all(|&v| v == 0.0);
        let dual = if zero {
            form.sparsity.block_dual_norm(gj)
        } else {
            let mut buf = [0.0; 64];
            if t <= 64 {
                for ((b, &g), &v) in buf.iter_mut().zip(gj).zip(wj) {
                    *b = -g - form.l2 * v;
                }
                form.sparsity.block_dual_norm(&buf[..t])
            } else {
                let v: Vec<f64> = gj.iter().zip(wj).map(|(&g, &v)| -g - form.l2 * v).collect();
                form.sparsity.block_dual_norm(&v)
            }
        };
        dual_norm_max = dual_norm_max.max(dual);
        if !zero {
            w_sq += crate::linalg::sq_norm(wj);
            omega += form.sparsity.block_norm(wj);
        }
    }
    gap_from_sums(stats, form, dual_norm_max, omega, w_sq)
}

/// The duality gap and its dual scaling from the sums a pass over the blocks
/// gives: `max_j Ω*(A_j)`, `Ω(W)` and `‖W‖²`.
pub(crate) fn gap_from_sums(
    stats: &ResidualStats,
    form: &ElasticForm,
    dual_norm_max: f64,
    omega: f64,
    w_sq: f64,
) -> (f64, f64) {
    let s = if dual_norm_max > form.l1 {
        form.l1 / dual_norm_max
    } else {
        1.0
    };
    let gap = 0.5 * stats.r_sq * (1.0 + s * s) - s * stats.r_dot_y
        + form.l1 * omega
        + 0.5 * form.l2 * (1.0 + s * s) * w_sq;
    (gap, s)
}

/// `max_j dist(−∇_j f, ∂g_j(w_j))` over all blocks.
pub fn kkt_residual<P: Penalty>(pen: &P, grad: MatRef<'_, f64>, wt: MatRef<'_, f64>) -> f64 {
    let t = wt.nrows();
    let mut w = vec![0.0; t];
    let mut g = vec![0.0; t];
    let mut worst = 0.0f64;
    for j in 0..wt.ncols() {
        let wj = column(wt, j, &mut w);
        let gj = column(grad, j, &mut g);
        worst = worst.max(pen.subdiff_distance(j, wj, gj));
    }
    worst
}

/// Column `j` of `m` as a slice: borrowed when contiguous, else copied to `buf`.
#[inline]
pub(crate) fn column<'a>(m: MatRef<'a, f64>, j: usize, buf: &'a mut [f64]) -> &'a [f64] {
    match m.col(j).try_as_col_major() {
        Some(c) => c.as_slice(),
        None => {
            for (k, b) in buf.iter_mut().enumerate() {
                *b = m[(k, j)];
            }
            buf
        }
    }
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
