//! Shared + specific models: `W = P + Q`, each part with its own norm.
//!
//! ```text
//! dirty  (Jalali et al., NIPS 2010):   α Σ_j ‖P_j‖_q  +  β Σ_{j,t} |Q_jt|        q ∈ {2, ∞}
//! robust (Gong, Ye & Zhang, KDD 2012): α Σ_j ‖P_j‖₂   +  β Σ_t ‖Q_{:,t}‖₂
//! ```
//!
//! P carries what the tasks share (whole feature rows), Q what is specific:
//! single entries (dirty: a feature used by one task only) or whole task
//! columns (robust: *outlier tasks* that follow no shared pattern). The model
//! is `W = P + Q`; the datafit sees only W.
//!
//! **Solver: a two-block prox, not BCD on `[X X]`.** Both models are solved by
//! the accelerated proximal-gradient solver ([`crate::solver::apg`]) on the
//! stacked iterate `(P, Q)`, whose prox is separable (a row prox for P, an
//! entry or column prox for Q) and whose gradient is `(∇f(W), ∇f(W))`
//! (Lipschitz constant twice that of f). Why not block coordinate descent over
//! the stacked design `[X X]`: (1) the robust model's Q-norm groups whole task
//! columns, which are not feature-row blocks, so it does not fit the BCD
//! engine at all; (2) the stacked design doubles X in memory, and the two
//! copies of each column are exactly collinear, the worst case for coordinate
//! descent (each block step on `P_j` is undone in part by the step on `Q_j`);
//! (3) the proximal-gradient solver needs only the datafit's value and full
//! gradient, so it works unchanged for shared and per-task designs.
//!
//! **Certificate.** The model is `f(W) + (g_P □ g_Q)(W)`, with □ the infimal
//! convolution `min_{P+Q=W} g_P(P) + g_Q(Q)`; its conjugate is
//! `g_P* + g_Q*`, the indicator of the intersection of two dual-norm balls:
//! `‖V‖_{∞,q*} ≤ α` (q* the dual exponent of q: 2 or 1) and `‖V‖_max ≤ β`
//! (dirty) or `max_t ‖V_{:,t}‖₂ ≤ β` (robust). The duality gap rescales the
//! residual into both balls ([`ConjugateRay::cap_norm`] twice).
//!
//! **Limits.** As `β → ∞` the specific part vanishes and the model is the
//! multi-task group Lasso (q = 2) or its `ℓ1/ℓ∞` analogue: exactly, Q = 0 as
//! soon as `β ≥ ‖∇f(P*)‖_max` (dirty) or `max_t ‖∇f(P*)_{:,t}‖` (robust) at the
//! group-Lasso solution P*.

use super::{ConjugateRay, ProxPenalty};
use crate::error::{Error, Result};
use faer::{MatMut, MatRef};

/// The row norm of the shared part of the dirty model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupNorm {
    /// `‖P_j‖_∞ = max_t |P_jt|` (MALSAR's `Least_Dirty`, Jalali et al.).
    #[default]
    LInf,
    /// `‖P_j‖₂` (the multi-task group Lasso's row norm).
    L2,
}

/// The dirty model's penalty `α Σ_j ‖P_j‖_q + β Σ_{j,t} |Q_jt|` on the stacked
/// iterate `[Pᵀ Qᵀ]` (`T × 2p`).
///
/// ```
/// use mtreg::penalty::{Dirty, GroupNorm, ProxPenalty};
/// let pen = Dirty::new(1.0, 0.5, GroupNorm::L2)?;
/// // one feature, two tasks: [Pᵀ Qᵀ] = [[3, 1], [4, -0.2]]
/// let zt = faer::mat![[3.0, 1.0], [4.0, -0.2]];
/// assert!((pen.value(zt.as_ref())? - (5.0 + 0.5 * 1.2)).abs() < 1e-12);
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dirty {
    shared: f64,
    specific: f64,
    group: GroupNorm,
}

/// The robust multi-task feature learning penalty
/// `α Σ_j ‖P_j‖₂ + β Σ_t ‖Q_{:,t}‖₂` on the stacked iterate `[Pᵀ Qᵀ]`
/// (`T × 2p`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobustMtfl {
    shared: f64,
    specific: f64,
}

fn check_weights(shared: f64, specific: f64) -> Result<()> {
    for (name, v) in [
        ("alpha (shared part)", shared),
        ("alpha_specific", specific),
    ] {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::InvalidParameter {
                name,
                value: v,
                expected: "finite and > 0",
            });
        }
    }
    Ok(())
}

impl Dirty {
    /// `α = shared`, `β = specific`, both finite and > 0.
    ///
    /// # Errors
    /// `InvalidParameter` otherwise.
    pub fn new(shared: f64, specific: f64, group: GroupNorm) -> Result<Self> {
        check_weights(shared, specific)?;
        Ok(Self {
            shared,
            specific,
            group,
        })
    }

    /// α.
    pub fn shared(&self) -> f64 {
        self.shared
    }

    /// β.
    pub fn specific(&self) -> f64 {
        self.specific
    }

    /// The row norm q.
    pub fn group(&self) -> GroupNorm {
        self.group
    }

    /// The dual norms of `grad` (`T × p`) for the two parts:
    /// `(max_j ‖G_j‖_{q*}, max |G_jt|)`. W = 0 is optimal iff
    /// `α ≥` the first and `β ≥` the second (at `grad = ∇f(0)`).
    pub fn dual_norms(&self, grad: MatRef<'_, f64>) -> (f64, f64) {
        let mut rows = 0.0f64;
        let mut entries = 0.0f64;
        for j in 0..grad.ncols() {
            let c = grad.col(j);
            let (mut l1, mut l2, mut li) = (0.0, 0.0, 0.0f64);
            for t in 0..c.nrows() {
                let v = c[t];
                l1 += v.abs();
                l2 += v * v;
                li = li.max(v.abs());
            }
            rows = rows.max(match self.group {
                GroupNorm::LInf => l1,
                GroupNorm::L2 => l2.sqrt(),
            });
            entries = entries.max(li);
        }
        (rows, entries)
    }
}

impl RobustMtfl {
    /// `α = shared`, `β = specific`, both finite and > 0.
    ///
    /// # Errors
    /// `InvalidParameter` otherwise.
    pub fn new(shared: f64, specific: f64) -> Result<Self> {
        check_weights(shared, specific)?;
        Ok(Self { shared, specific })
    }

    /// α.
    pub fn shared(&self) -> f64 {
        self.shared
    }

    /// β.
    pub fn specific(&self) -> f64 {
        self.specific
    }

    /// `(max_j ‖G_j‖₂, max_t ‖G_{:,t}‖₂)` for `grad` (`T × p`): W = 0 is
    /// optimal iff `α ≥` the first and `β ≥` the second (at `grad = ∇f(0)`).
    pub fn dual_norms(&self, grad: MatRef<'_, f64>) -> (f64, f64) {
        let t = grad.nrows();
        let mut rows = 0.0f64;
        let mut cols = vec![0.0; t];
        for j in 0..grad.ncols() {
            let c = grad.col(j);
            let mut s = 0.0;
            for (k, acc) in cols.iter_mut().enumerate() {
                s += c[k] * c[k];
                *acc += c[k] * c[k];
            }
            rows = rows.max(s.sqrt());
        }
        (rows, cols.iter().fold(0.0f64, |m, &v| m.max(v.sqrt())))
    }

    /// The outlier tasks of a solution: those whose specific column
    /// `Q_{:,t}` is non-zero (`zt` is the stacked `[Pᵀ Qᵀ]`).
    pub fn outlier_tasks(zt: MatRef<'_, f64>) -> Vec<usize> {
        let p = zt.ncols() / 2;
        let q = zt.subcols(p, p);
        (0..q.nrows())
            .filter(|&t| (0..p).any(|j| q[(t, j)] != 0.0))
            .collect()
    }
}

/// Splits the stacked `T × 2p` iterate into its two `T × p` halves.
fn halves(zt: MatRef<'_, f64>) -> (MatRef<'_, f64>, MatRef<'_, f64>) {
    let p = zt.ncols() / 2;
    (zt.subcols(0, p), zt.subcols(p, p))
}

/// `Σ_j ‖column j‖₂` of a `T × p` block (= `Σ_j ‖W_j‖₂`).
fn sum_col_norms(m: MatRef<'_, f64>) -> f64 {
    (0..m.ncols())
        .map(|j| {
            let c = m.col(j);
            (0..c.nrows()).map(|t| c[t] * c[t]).sum::<f64>().sqrt()
        })
        .sum()
}

/// `Σ_t ‖row t‖₂` of a `T × p` block (= `Σ_t ‖W_{:,t}‖₂`).
fn sum_row_norms(m: MatRef<'_, f64>) -> f64 {
    let mut sq = vec![0.0; m.nrows()];
    for j in 0..m.ncols() {
        for (t, s) in sq.iter_mut().enumerate() {
            *s += m[(t, j)] * m[(t, j)];
        }
    }
    sq.iter().map(|v| v.sqrt()).sum()
}

/// Group soft-threshold of every column of `v` into `out`:
/// `out_j = (1 − τ/‖v_j‖)₊ v_j`.
fn prox_columns_l2(v: MatRef<'_, f64>, tau: f64, mut out: MatMut<'_, f64>) {
    for j in 0..v.ncols() {
        let n = (0..v.nrows())
            .map(|t| v[(t, j)] * v[(t, j)])
            .sum::<f64>()
            .sqrt();
        let scale = if n > tau { 1.0 - tau / n } else { 0.0 };
        for t in 0..v.nrows() {
            out[(t, j)] = scale * v[(t, j)];
        }
    }
}

/// Group soft-threshold of every row of `v` into `out`.
fn prox_rows_l2(v: MatRef<'_, f64>, tau: f64, mut out: MatMut<'_, f64>) {
    let mut sq = vec![0.0; v.nrows()];
    for j in 0..v.ncols() {
        for (t, s) in sq.iter_mut().enumerate() {
            *s += v[(t, j)] * v[(t, j)];
        }
    }
    let scale: Vec<f64> = sq
        .iter()
        .map(|&s| {
            let n = s.sqrt();
            if n > tau { 1.0 - tau / n } else { 0.0 }
        })
        .collect();
    for j in 0..v.ncols() {
        for (t, &c) in scale.iter().enumerate() {
            out[(t, j)] = c * v[(t, j)];
        }
    }
}

/// `prox_{τ‖·‖_∞}` of every column: `v − Π_{‖·‖₁ ≤ τ}(v)`, i.e. each entry
/// clipped at ±θ where `Σ_t (|v_t| − θ)₊ = τ` (θ = 0 when `‖v‖₁ ≤ τ`).
fn prox_columns_linf(v: MatRef<'_, f64>, tau: f64, mut out: MatMut<'_, f64>, buf: &mut Vec<f64>) {
    for j in 0..v.ncols() {
        buf.clear();
        buf.extend((0..v.nrows()).map(|t| v[(t, j)].abs()));
        let l1: f64 = buf.iter().sum();
        let theta = if l1 <= tau {
            0.0
        } else {
            // Duchi et al. (ICML 2008): sort decreasingly, find the last k with
            // u_k > (Σ_{i≤k} u_i − τ)/k.
            buf.sort_by(|a, b| b.total_cmp(a));
            let mut cum = 0.0;
            let mut theta = 0.0;
            for (k, &u) in buf.iter().enumerate() {
                cum += u;
                let th = (cum - tau) / (k + 1) as f64;
                if u > th {
                    theta = th;
                }
            }
            theta.max(0.0)
        };
        for t in 0..v.nrows() {
            let x = v[(t, j)];
            out[(t, j)] = x.clamp(-theta, theta);
        }
    }
}

/// Entrywise soft-threshold.
fn prox_entries_l1(v: MatRef<'_, f64>, tau: f64, mut out: MatMut<'_, f64>) {
    for j in 0..v.ncols() {
        for t in 0..v.nrows() {
            let x = v[(t, j)];
            out[(t, j)] = x.signum() * (x.abs() - tau).max(0.0);
        }
    }
}

fn check_stacked(zt: MatRef<'_, f64>) -> Result<()> {
    if zt.ncols() % 2 != 0 {
        return Err(Error::ShapeMismatch {
            what: "columns of the stacked [Pᵀ Qᵀ] iterate (must be even)",
            expected: zt.ncols() + 1,
            found: zt.ncols(),
        });
    }
    Ok(())
}

impl Dirty {
    fn shared_value(&self, p: MatRef<'_, f64>) -> f64 {
        match self.group {
            GroupNorm::L2 => sum_col_norms(p),
            GroupNorm::LInf => (0..p.ncols())
                .map(|j| (0..p.nrows()).fold(0.0f64, |m, t| m.max(p[(t, j)].abs())))
                .sum(),
        }
    }
}

impl ProxPenalty for Dirty {
    fn n_components(&self) -> usize {
        2
    }

    fn component_names(&self) -> &'static [&'static str] {
        &["shared", "specific"]
    }

    fn value(&self, zt: MatRef<'_, f64>) -> Result<f64> {
        check_stacked(zt)?;
        let (p, q) = halves(zt);
        let l1: f64 = (0..q.ncols())
            .map(|j| (0..q.nrows()).map(|t| q[(t, j)].abs()).sum::<f64>())
            .sum();
        Ok(self.shared * self.shared_value(p) + self.specific * l1)
    }

    fn prox(&self, vt: MatRef<'_, f64>, step: f64, mut out: MatMut<'_, f64>) -> Result<f64> {
        check_stacked(vt)?;
        let pp = vt.ncols() / 2;
        let (vp, vq) = halves(vt);
        let (op, oq) = out.as_mut().split_at_col_mut(pp);
        match self.group {
            GroupNorm::L2 => prox_columns_l2(vp, step * self.shared, op),
            GroupNorm::LInf => prox_columns_linf(
                vp,
                step * self.shared,
                op,
                &mut Vec::with_capacity(vt.nrows()),
            ),
        }
        prox_entries_l1(vq, step * self.specific, oq);
        self.value(out.as_ref())
    }

    fn conjugate_ray(&self, grad: MatRef<'_, f64>, ray: &mut ConjugateRay) -> Result<bool> {
        let (rows, entries) = self.dual_norms(grad);
        ray.cap_norm(rows, self.shared);
        ray.cap_norm(entries, self.specific);
        Ok(true)
    }

    fn critical_scale(&self, grad0: MatRef<'_, f64>) -> Result<f64> {
        let (rows, entries) = self.dual_norms(grad0);
        Ok((rows / self.shared).max(entries / self.specific))
    }
}

impl ProxPenalty for RobustMtfl {
    fn n_components(&self) -> usize {
        2
    }

    fn component_names(&self) -> &'static [&'static str] {
        &["shared", "specific"]
    }

    fn value(&self, zt: MatRef<'_, f64>) -> Result<f64> {
        check_stacked(zt)?;
        let (p, q) = halves(zt);
        Ok(self.shared * sum_col_norms(p) + self.specific * sum_row_norms(q))
    }

    fn prox(&self, vt: MatRef<'_, f64>, step: f64, mut out: MatMut<'_, f64>) -> Result<f64> {
        check_stacked(vt)?;
        let pp = vt.ncols() / 2;
        let (vp, vq) = halves(vt);
        let (op, oq) = out.as_mut().split_at_col_mut(pp);
        prox_columns_l2(vp, step * self.shared, op);
        prox_rows_l2(vq, step * self.specific, oq);
        self.value(out.as_ref())
    }

    fn conjugate_ray(&self, grad: MatRef<'_, f64>, ray: &mut ConjugateRay) -> Result<bool> {
        let (rows, cols) = self.dual_norms(grad);
        ray.cap_norm(rows, self.shared);
        ray.cap_norm(cols, self.specific);
        Ok(true)
    }

    fn critical_scale(&self, grad0: MatRef<'_, f64>) -> Result<f64> {
        let (rows, cols) = self.dual_norms(grad0);
        Ok((rows / self.shared).max(cols / self.specific))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The prox is the minimiser of `½‖Z − V‖² + τ g(Z)`: random perturbations
    /// never do better, and zero blocks stay optimal.
    fn check_prox<P: ProxPenalty>(pen: &P, seed: u64) {
        let (t, p) = (4, 6);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let v = Mat::from_fn(t, 2 * p, |_, _| 2.0 * (rng.random::<f64>() - 0.5));
        let tau = 0.6;
        let mut z = Mat::<f64>::zeros(t, 2 * p);
        let gz = pen.prox(v.as_ref(), tau, z.as_mut()).unwrap();
        assert!((gz - pen.value(z.as_ref()).unwrap()).abs() < 1e-12);
        let obj =
            |w: &Mat<f64>| 0.5 * (w - &v).squared_norm_l2() + tau * pen.value(w.as_ref()).unwrap();
        let f0 = obj(&z);
        for _ in 0..200 {
            let d = Mat::from_fn(t, 2 * p, |_, _| 1e-3 * (rng.random::<f64>() - 0.5));
            assert!(obj(&(&z + &d)) >= f0 - 1e-13);
        }
        // some blocks are thresholded to zero, some not (non-vacuous)
        let zeros = (0..t)
            .flat_map(|r| (0..2 * p).map(move |c| (r, c)))
            .filter(|&(r, c)| z[(r, c)] == 0.0)
            .count();
        assert!(zeros > 0 && zeros < 2 * p * t, "{zeros}");
    }

    #[test]
    fn proxes_are_minimisers() {
        for seed in 0..3 {
            check_prox(&Dirty::new(0.8, 0.5, GroupNorm::L2).unwrap(), seed);
            check_prox(&Dirty::new(0.8, 0.5, GroupNorm::LInf).unwrap(), seed);
            check_prox(&RobustMtfl::new(1.5, 2.0).unwrap(), seed);
        }
    }

    #[test]
    fn dual_norms_and_critical_scale() {
        // G (T = 2 × p = 2): rows of W's gradient are columns of G
        let g = faer::mat![[3.0, 0.0], [-4.0, 1.0]];
        let d = Dirty::new(2.0, 1.0, GroupNorm::LInf).unwrap();
        assert_eq!(d.dual_norms(g.as_ref()), (7.0, 4.0));
        assert_eq!(d.critical_scale(g.as_ref()).unwrap(), 4.0);
        let d2 = Dirty::new(2.0, 1.0, GroupNorm::L2).unwrap();
        assert_eq!(d2.dual_norms(g.as_ref()), (5.0, 4.0));
        let r = RobustMtfl::new(10.0, 1.0).unwrap();
        let (rows, cols) = r.dual_norms(g.as_ref());
        assert!((rows - 5.0).abs() < 1e-15 && (cols - 17f64.sqrt()).abs() < 1e-15);
        assert!(Dirty::new(0.0, 1.0, GroupNorm::L2).is_err());
        assert!(RobustMtfl::new(1.0, f64::NAN).is_err());
    }
}
