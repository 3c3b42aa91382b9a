//! Whole-matrix penalties: proximable, not necessarily row-separable, for the
//! accelerated proximal-gradient solver ([`crate::solver::apg`]).
//!
//! ```text
//! minimise over Z = (Z_1, …, Z_k):   f(Z_1 + … + Z_k) + g(Z)
//! ```
//!
//! A [`ProxPenalty`] has `k = n_components()` components (1 for the trace norm;
//! 2 for the shared + specific split `W = P + Q` of the dirty and robust
//! models). The iterate is stored transposed and stacked: `zt` is
//! `T × (k·p)`, component c in columns `c·p .. (c+1)·p`, each block being
//! `Z_cᵀ` as everywhere in the engine (see [`crate::solver`]). The datafit sees
//! only the sum `W = Σ_c Z_c`.
//!
//! What the solver needs from a penalty:
//! - its value `g(Z)`;
//! - its proximal operator `prox_{τg}(V) = argmin_Z ½‖Z − V‖²_F + τ g(Z)`;
//! - its convex conjugate along a ray, for the duality gap. The gap of
//!   `f(AW) + g(Z)`, with the dual point `θ = s·a∘R` (the rescaled weighted
//!   residual), is `P − D(s)` with
//!
//! ```text
//! D(s) = s (2f(W) − ⟨G, W⟩) − s² f(W) − Σ_c g_c*(−s G),     G = ∇f(W)
//! ```
//!
//!   (the conjugate of an infimal convolution `W ↦ min_{ΣZ_c = W} Σ g_c(Z_c)` is
//!   the sum of the conjugates). For every penalty here `s ↦ Σ_c g_c*(−sG)` is a
//!   sum of terms `(s n_i − l_i)₊² / (2 q_i)` plus a cap `s ≤ s_max` (the dual
//!   norm ball of a pure norm), which [`ConjugateRay`] records and maximises
//!   exactly over s.

use crate::error::Result;
use faer::{Mat, MatMut, MatRef};

/// A proximable penalty on the whole (stacked) iterate.
///
/// Implemented by [`super::TraceNorm`], [`super::Dirty`], [`super::RobustMtfl`]
/// and [`super::ClusteredMtl`].
pub trait ProxPenalty {
    /// Number of components k: the iterate is `T × (k·p)` and the model is
    /// `W = Σ_c Z_c`. 1 for a plain penalty.
    fn n_components(&self) -> usize {
        1
    }

    /// `g(Z)` for the stacked iterate `zt` (`T × (k·p)`).
    fn value(&self, zt: MatRef<'_, f64>) -> Result<f64>;

    /// Writes `prox_{step·g}(vt)` into `out` (both `T × (k·p)`) and returns
    /// `g(out)`.
    ///
    /// # Errors
    /// `Linalg` if a factorisation (SVD, eigendecomposition) fails.
    fn prox(&self, vt: MatRef<'_, f64>, step: f64, out: MatMut<'_, f64>) -> Result<f64>;

    /// Describes `s ↦ Σ_c g_c*(−s·grad)` (grad = `∇f(W)`, `T × p`) by adding its
    /// terms and cap to `ray`; returns `false` (leaving `ray` as it was) when
    /// the conjugate has no such form, in which case the solver certifies with
    /// the gradient-mapping residual instead of a duality gap.
    fn conjugate_ray(&self, grad: MatRef<'_, f64>, ray: &mut ConjugateRay) -> Result<bool>;

    /// The smallest factor κ ≥ 0 such that `W = 0` minimises `f + κ·g`, from
    /// the gradient `grad0 = ∇f(0)` (`T × p`): `max_c Ω_c*(grad0) / weight_c`
    /// for a sum of weighted norms (+ ridge). For a penalty linear in its
    /// strength α this gives `alpha_max = κ·α`. `f64::INFINITY` if no scaling
    /// makes 0 optimal.
    fn critical_scale(&self, grad0: MatRef<'_, f64>) -> Result<f64>;

    /// Names of the components, in order (reported with the fit, e.g.
    /// `shared`, `specific`); empty: numbered.
    fn component_names(&self) -> &'static [&'static str] {
        &[]
    }

    /// A T × T task matrix the penalty learns along with W, and the number of
    /// clusters it encodes, at the stacked iterate `zt` (clustered MTL: the
    /// optimal M and k). `None` (the default) for the others.
    ///
    /// # Errors
    /// `Linalg` if a factorisation fails.
    fn task_matrix(&self, zt: MatRef<'_, f64>) -> Result<Option<(Mat<f64>, usize)>> {
        let _ = zt;
        Ok(None)
    }
}

/// `s ↦ φ(s) = Σ_i (s n_i − l_i)₊² / (2 q_i)` for `0 ≤ s ≤ s_max` (+∞ beyond):
/// a penalty's conjugate along the dual ray `−s·G` (see the module docs).
///
/// ```
/// use mtreg::penalty::ConjugateRay;
/// let mut ray = ConjugateRay::new();
/// ray.push(2.0, 1.0, 0.5); // (2s − 1)₊² / 1
/// ray.cap(3.0);
/// assert_eq!(ray.eval(1.0), 1.0);
/// assert_eq!(ray.eval(0.25), 0.0);
/// assert_eq!(ray.eval(4.0), f64::INFINITY);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConjugateRay {
    s_max: f64,
    /// `(n_i, l_i, q_i)` with `n_i > 0`, `q_i > 0`.
    terms: Vec<(f64, f64, f64)>,
}

impl ConjugateRay {
    /// No terms, no cap.
    pub fn new() -> Self {
        Self {
            s_max: f64::INFINITY,
            terms: Vec::new(),
        }
    }

    /// Empties the ray (keeps its memory).
    pub fn clear(&mut self) {
        self.s_max = f64::INFINITY;
        self.terms.clear();
    }

    /// Adds the term `(s·norm − l)₊² / (2q)` (`norm, l ≥ 0`, `q > 0`): the
    /// conjugate of `l‖·‖ + q/2‖·‖²` along the ray for one block of dual norm
    /// `norm`. A zero `norm` adds nothing.
    pub fn push(&mut self, norm: f64, l: f64, q: f64) {
        debug_assert!(norm >= 0.0 && l >= 0.0 && q > 0.0);
        if norm > 0.0 {
            self.terms.push((norm, l, q));
        }
    }

    /// Restricts the ray to `s ≤ s_max` (the conjugate of a pure norm `l‖·‖` is
    /// finite only for `s·‖G‖_* ≤ l`).
    pub fn cap(&mut self, s_max: f64) {
        self.s_max = self.s_max.min(s_max.max(0.0));
    }

    /// Caps the ray for the norm `l‖·‖` with dual norm `dual_norm` of G.
    pub fn cap_norm(&mut self, dual_norm: f64, l: f64) {
        if dual_norm > 0.0 {
            self.cap(l / dual_norm);
        }
    }

    /// The largest admissible s.
    pub fn s_max(&self) -> f64 {
        self.s_max
    }

    /// `φ(s)`.
    pub fn eval(&self, s: f64) -> f64 {
        if s > self.s_max {
            return f64::INFINITY;
        }
        self.terms
            .iter()
            .map(|&(n, l, q)| {
                let u = (s * n - l).max(0.0);
                u * u / (2.0 * q)
            })
            .sum()
    }

    /// Maximises the concave `D(s) = s·b − s²·f − φ(s)` over `0 ≤ s ≤ s_max`
    /// exactly (`f ≥ 0`); returns `(s, D(s))`.
    ///
    /// `D′(s) = b − 2sf − Σ_{s n_i > l_i} n_i (s n_i − l_i)/q_i` is piecewise
    /// linear and non-increasing: walk its breakpoints `l_i/n_i` in order.
    pub fn maximize(&self, b: f64, f: f64) -> (f64, f64) {
        let f = f.max(0.0);
        let s_max = self.s_max;
        let mut bps: Vec<(f64, f64, f64)> = self
            .terms
            .iter()
            .map(|&(n, l, q)| (l / n, n * l / q, n * n / q))
            .filter(|&(bp, _, _)| bp < s_max)
            .collect();
        bps.sort_by(|a, b| a.0.total_cmp(&b.0));
        // On a segment, D′(s) = (b + A) − s (2f + B).
        let (mut a, mut bb) = (0.0, 0.0);
        let mut lo = 0.0;
        let mut s_best = None;
        let mut k = 0;
        loop {
            // absorb every term whose breakpoint is ≤ lo
            while k < bps.len() && bps[k].0 <= lo {
                a += bps[k].1;
                bb += bps[k].2;
                k += 1;
            }
            let hi = if k < bps.len() { bps[k].0 } else { s_max };
            let slope = 2.0 * f + bb;
            let num = b + a;
            // root of the affine derivative on [lo, hi]
            let root = if slope > 0.0 {
                num / slope
            } else if num > 0.0 {
                f64::INFINITY
            } else {
                lo
            };
            if root <= hi {
                s_best = Some(root.max(lo));
                break;
            }
            if k >= bps.len() {
                break;
            }
            lo = hi;
        }
        let s = match s_best {
            Some(s) => s,
            None if s_max.is_finite() => s_max,
            // D increases without bound only if f = 0 and no term: then b = 0
            // for a consistent datafit (R = 0 ⇒ G = 0); take s = 1.
            None => 1.0,
        };
        let s = s.clamp(0.0, s_max.max(0.0));
        (s, s * b - s * s * f - self.eval(s))
    }
}

/// The sum `W = Σ_c Z_c` of the components of a stacked iterate `zt`
/// (`T × (k·p)`), written into `out` (`T × p`).
///
/// # Panics
/// If `zt` does not have `k` times as many columns as `out` (programmer error).
#[track_caller]
pub fn sum_components(zt: MatRef<'_, f64>, k: usize, mut out: MatMut<'_, f64>) {
    let p = out.ncols();
    assert_eq!(zt.ncols(), k * p, "stacked iterate must be T × (k·p)");
    out.copy_from(zt.subcols(0, p));
    for c in 1..k {
        out += zt.subcols(c * p, p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over a fine grid: `maximize` finds the maximum.
    #[test]
    fn maximize_matches_a_grid_search() {
        type Case = (Vec<(f64, f64, f64)>, f64, f64, f64);
        let cases: Vec<Case> = vec![
            (
                vec![(2.0, 1.0, 0.5), (1.0, 0.2, 1.0)],
                f64::INFINITY,
                3.0,
                1.0,
            ),
            (vec![(2.0, 1.0, 0.5)], 0.7, 3.0, 1.0),
            (vec![], 0.4, 1.0, 2.0),
            (vec![], f64::INFINITY, 1.0, 2.0),
            (
                vec![(3.0, 0.0, 2.0), (1.0, 0.0, 2.0)],
                f64::INFINITY,
                2.0,
                0.5,
            ),
            (vec![(1.0, 5.0, 1.0)], 2.0, -1.0, 1.0),
            (vec![(1.0, 0.1, 1.0)], f64::INFINITY, 1.0, 0.0),
        ];
        for (terms, cap, b, f) in cases {
            let mut ray = ConjugateRay::new();
            for &(n, l, q) in &terms {
                ray.push(n, l, q);
            }
            ray.cap(cap);
            let (s, d) = ray.maximize(b, f);
            let dfun = |s: f64| s * b - s * s * f - ray.eval(s);
            assert!((d - dfun(s)).abs() < 1e-12);
            let hi = if cap.is_finite() { cap } else { 10.0 };
            let best = (0..=100_000)
                .map(|i| dfun(hi * i as f64 / 100_000.0))
                .fold(f64::NEG_INFINITY, f64::max);
            assert!(d >= best - 1e-9, "{terms:?} {cap} {b} {f}: {d} < {best}");
        }
    }
}
