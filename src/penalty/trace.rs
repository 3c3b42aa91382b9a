//! Trace norm (nuclear norm) plus ridge: a shared low-dimensional
//! representation of the tasks.
//!
//! ```text
//! g(W) = l1 ‖W‖_* + l2/2 ‖W‖²_F,     ‖W‖_* = Σ_i σ_i(W),
//! l1 = α ρ,  l2 = α (1 − ρ)
//! ```
//!
//! The trace norm is the convex envelope of the rank (on the spectral-norm unit
//! ball): it makes W low-rank, i.e. the T coefficient vectors live in a few
//! shared directions (Ji & Ye, ICML 2009; Pong et al., SIAM J. Optim. 2010).
//! It is not row-separable, so it is solved by the accelerated
//! proximal-gradient solver ([`crate::solver::apg`]), not by block coordinate
//! descent.
//!
//! - **Prox** (singular value soft-threshold): with `V = U diag(σ) Ṽᵀ`,
//!   `prox_{τg}(V) = U diag((σ − τ l1)₊ / (1 + τ l2)) Ṽᵀ`.
//! - **Dual norm** of `‖·‖_*`: the spectral norm `σ_max`. Hence
//!   `alpha_max = σ_max(∇f(0)) / ρ`: for `α ≥ alpha_max`, `W = 0`.
//! - **Conjugate**: `g*(V) = Σ_i (σ_i(V) − l1)₊² / (2 l2)` when `l2 > 0`, the
//!   indicator of `σ_max(V) ≤ l1` when `l2 = 0`: a closed-form duality gap.
//!
//! The SVD is of the `T × p` iterate (faer's thin SVD, which factors the tall
//! `p × T` transpose by a QR first): `O(p T²)` per prox.

use super::{ConjugateRay, ProxPenalty};
use crate::error::{Error, Result};
use faer::{Mat, MatMut, MatRef};

/// `g(W) = l1 ‖W‖_* + l2/2 ‖W‖²_F`.
///
/// ```
/// use mtreg::penalty::{ProxPenalty, TraceNorm};
/// let pen = TraceNorm::new(1.0, 1.0); // alpha = 1, l1_ratio = 1
/// // diag(3, 0.5): singular values 3 and 0.5
/// let v = faer::mat![[3.0, 0.0], [0.0, 0.5]];
/// let mut out = faer::Mat::<f64>::zeros(2, 2);
/// let g = pen.prox(v.as_ref(), 1.0, out.as_mut())?;
/// // thresholded at 1: diag(2, 0)
/// assert!((out[(0, 0)] - 2.0).abs() < 1e-12 && out[(1, 1)].abs() < 1e-12);
/// assert!((g - 2.0).abs() < 1e-12);
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceNorm {
    l1: f64,
    l2: f64,
}

impl TraceNorm {
    /// `α ρ ‖W‖_* + α(1 − ρ)/2 ‖W‖²_F` (ρ = `l1_ratio`).
    pub fn new(alpha: f64, l1_ratio: f64) -> Self {
        Self {
            l1: alpha * l1_ratio,
            l2: alpha * (1.0 - l1_ratio),
        }
    }

    /// `l1 ‖W‖_* + l2/2 ‖W‖²_F`.
    pub fn from_weights(l1: f64, l2: f64) -> Self {
        Self { l1, l2 }
    }

    /// Weight of the trace norm.
    pub fn l1(&self) -> f64 {
        self.l1
    }

    /// Weight of the ridge term.
    pub fn l2(&self) -> f64 {
        self.l2
    }

    /// `alpha_max = σ_max(∇f(0)) / ρ` for `grad0 = ∇f(0)` (`T × p`).
    ///
    /// # Errors
    /// `Linalg` if the SVD fails.
    pub fn alpha_max(grad0: MatRef<'_, f64>, l1_ratio: f64) -> Result<f64> {
        Ok(singular_values(grad0)?.first().copied().unwrap_or(0.0) / l1_ratio)
    }
}

impl ProxPenalty for TraceNorm {
    fn value(&self, zt: MatRef<'_, f64>) -> Result<f64> {
        let s = singular_values(zt)?;
        Ok(self.l1 * s.iter().sum::<f64>() + 0.5 * self.l2 * s.iter().map(|v| v * v).sum::<f64>())
    }

    fn prox(&self, vt: MatRef<'_, f64>, step: f64, out: MatMut<'_, f64>) -> Result<f64> {
        let (tau, shrink) = (step * self.l1, 1.0 / (1.0 + step * self.l2));
        spectral_map(vt, out, |_, s| (s - tau).max(0.0) * shrink).map(|s| {
            self.l1 * s.iter().sum::<f64>() + 0.5 * self.l2 * s.iter().map(|v| v * v).sum::<f64>()
        })
    }

    fn conjugate_ray(&self, grad: MatRef<'_, f64>, ray: &mut ConjugateRay) -> Result<bool> {
        let s = singular_values(grad)?;
        if self.l2 > 0.0 {
            for &si in &s {
                ray.push(si, self.l1, self.l2);
            }
        } else {
            ray.cap_norm(s.first().copied().unwrap_or(0.0), self.l1);
        }
        Ok(true)
    }

    fn critical_scale(&self, grad0: MatRef<'_, f64>) -> Result<f64> {
        let top = singular_values(grad0)?.first().copied().unwrap_or(0.0);
        Ok(if top == 0.0 {
            0.0
        } else if self.l1 > 0.0 {
            top / self.l1
        } else {
            f64::INFINITY
        })
    }
}

/// Singular values of `m` (non-increasing).
///
/// # Errors
/// `Linalg` if the SVD does not converge.
pub fn singular_values(m: MatRef<'_, f64>) -> Result<Vec<f64>> {
    if m.nrows() == 0 || m.ncols() == 0 {
        return Ok(Vec::new());
    }
    m.singular_values()
        .map_err(|e| Error::Linalg(format!("singular values: {e:?}")))
}

/// Writes `U diag(h(i, σ_i)) Vᵀ` into `out`, for the thin SVD `m = U diag(σ) Vᵀ`
/// (σ non-increasing), and returns the new singular values `h(i, σ_i)` (which
/// must be ≥ 0 and non-increasing in i for them to be the singular values of
/// `out`).
///
/// # Errors
/// `Linalg` if the SVD does not converge.
pub fn spectral_map(
    m: MatRef<'_, f64>,
    mut out: MatMut<'_, f64>,
    mut h: impl FnMut(usize, f64) -> f64,
) -> Result<Vec<f64>> {
    if m.nrows() == 0 || m.ncols() == 0 {
        out.fill(0.0);
        return Ok(Vec::new());
    }
    let svd = m
        .thin_svd()
        .map_err(|e| Error::Linalg(format!("thin SVD: {e:?}")))?;
    let s = svd.S().column_vector();
    let new: Vec<f64> = (0..s.nrows()).map(|i| h(i, s[i])).collect();
    let rank = new.iter().rposition(|&v| v != 0.0).map_or(0, |r| r + 1);
    if rank == 0 {
        out.fill(0.0);
        return Ok(new);
    }
    // out = (U diag(new)) Vᵀ over the non-zero part
    let u = svd.U();
    let us = Mat::from_fn(m.nrows(), rank, |i, k| u[(i, k)] * new[k]);
    faer::linalg::matmul::matmul(
        out,
        faer::Accum::Replace,
        us.as_ref(),
        svd.V().subcols(0, rank).transpose(),
        1.0,
        faer::Par::Seq,
    );
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(t: usize, p: usize, seed: u64) -> Mat<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Mat::from_fn(t, p, |_, _| rng.random::<f64>() - 0.5)
    }

    /// The prox is the minimiser: perturbations never do better, and its
    /// optimality condition `V − Z ∈ τ ∂g(Z)` holds through the conjugate
    /// (Fenchel–Young equality `g(Z) + g*((V−Z)/τ) = ⟨Z, (V−Z)/τ⟩`).
    #[test]
    fn prox_is_the_minimiser() {
        for (l1, l2) in [(0.3, 0.0), (0.2, 0.5), (0.0, 1.0)] {
            let pen = TraceNorm::from_weights(l1, l2);
            let v = random(4, 7, 1);
            let tau = 0.7;
            let mut z = Mat::<f64>::zeros(4, 7);
            let gz = pen.prox(v.as_ref(), tau, z.as_mut()).unwrap();
            assert!((gz - pen.value(z.as_ref()).unwrap()).abs() < 1e-12);
            let obj = |w: &Mat<f64>| {
                0.5 * (w - &v).squared_norm_l2() + tau * pen.value(w.as_ref()).unwrap()
            };
            let f0 = obj(&z);
            let mut rng = ChaCha8Rng::seed_from_u64(9);
            for _ in 0..50 {
                let d = Mat::from_fn(4, 7, |_, _| 1e-3 * (rng.random::<f64>() - 0.5));
                assert!(obj(&(&z + &d)) >= f0 - 1e-13);
            }
            // Fenchel–Young: with U = (V − Z)/τ, g(Z) + g*(U) = ⟨Z, U⟩.
            let u = (&v - &z) * faer::Scale(1.0 / tau);
            let mut ray = ConjugateRay::new();
            // g*(−s·G) at s = 1 with G = −U
            pen.conjugate_ray((-&u).as_ref(), &mut ray).unwrap();
            let conj = ray.eval(ray.s_max().min(1.0));
            let inner = crate::linalg::inner_mat(z.as_ref(), u.as_ref());
            assert!((gz + conj - inner).abs() < 1e-10, "{l1} {l2}");
        }
    }

    #[test]
    fn critical_scale_is_spectral_norm_over_l1() {
        let g = faer::mat![[3.0, 0.0], [0.0, -4.0]];
        let pen = TraceNorm::new(2.0, 0.5);
        assert!((pen.critical_scale(g.as_ref()).unwrap() - 4.0).abs() < 1e-12);
        assert!((TraceNorm::alpha_max(g.as_ref(), 0.5).unwrap() - 8.0).abs() < 1e-12);
    }
}
