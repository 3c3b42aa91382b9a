//! Clustered multi-task learning, convex relaxation (Jacob, Bach & Vert, NIPS
//! 2008; Zhou, Chen & Ye, NIPS 2011: MALSAR's `Least_CMTL`).
//!
//! ```text
//! g(W) = c · min_{M ∈ 𝓜} tr(W (ηI + M)⁻¹ Wᵀ),
//! 𝓜 = {M = Mᵀ (T × T), 0 ⪯ M ⪯ I, tr M = k}
//! ```
//!
//! `M` relaxes `F Fᵀ` for a task-to-cluster assignment F with k clusters; η > 0
//! keeps the tasks' own ridge. The minimum over M is in closed form from the
//! singular values σ_1 ≥ … of W (padded with zeros to T values): M shares the
//! eigenvectors of `WᵀW` and its eigenvalues solve
//!
//! ```text
//! min Σ_i σ_i² / (η + m_i)   s.t. 0 ≤ m_i ≤ 1, Σ m_i = k
//! ⇒ m_i = clip(θ σ_i − η, 0, 1),  θ > 0 such that Σ m_i = k
//! ```
//!
//! so `g(W) = c Σ_i σ_i² / (η + m_i)`: a spectral function, convex, and smooth
//! (gradient `2c W (ηI + M)⁻¹`, Lipschitz ≤ 2c/η). MALSAR's `Least_CMTL`
//! instead runs an accelerated gradient on (W, M) jointly with the gradient
//! in M taken as `−c WᵀW (ηI + M)⁻²`, which is not the gradient
//! `−c (ηI + M)⁻¹ WᵀW (ηI + M)⁻¹` unless the two commute.
//!
//! - **Prox** in closed form: for fixed M the prox is linear, and substituting
//!   it back leaves the same problem in m with η replaced by `η + 2τc`:
//!   `prox_{τg}(V) = U diag(σ_i (η + m_i)/(η + m_i + 2τc)) Ṽᵀ` with
//!   `m = m(σ(V); η + 2τc)`.
//! - **Conjugate**: `g*(V) = (η ‖V‖²_F + Σ_{i ≤ k} σ_i(V)²) / (4c)` (for fixed M
//!   the conjugate of `c tr(W A⁻¹ Wᵀ)` is `tr(V A Vᵀ)/(4c)`; the largest
//!   `tr(M VᵀV)` over 𝓜 is the sum of the k largest eigenvalues, Ky Fan): a
//!   closed-form duality gap.
//! - Zero is optimal only where the datafit's gradient vanishes (g is smooth
//!   with `∇g(0) = 0`), so there is no alpha_max.

use super::trace::spectral_map;
use super::{ConjugateRay, ProxPenalty};
use crate::error::{Error, Result};
use faer::{Mat, MatMut, MatRef};

/// `g(W) = c · min_M tr(W (ηI + M)⁻¹ Wᵀ)` over `0 ⪯ M ⪯ I, tr M = k`.
///
/// ```
/// use mtreg::penalty::{ClusteredMtl, ProxPenalty};
/// // k = T: M = I, g = c/(η + 1) ‖W‖²  (a plain ridge)
/// let pen = ClusteredMtl::new(2.0, 1.0, 2)?;
/// let wt = faer::mat![[1.0, 2.0], [0.0, 1.0]];
/// assert!((pen.value(wt.as_ref())? - 2.0 / 2.0 * 6.0).abs() < 1e-12);
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusteredMtl {
    strength: f64,
    eta: f64,
    k: usize,
}

impl ClusteredMtl {
    /// `c = strength > 0`, `η = eta > 0`, `k ≥ 1` clusters (at most T, checked
    /// when the penalty meets an iterate).
    ///
    /// # Errors
    /// `InvalidParameter` for a non-positive or non-finite `strength` or `eta`,
    /// or `k = 0`.
    pub fn new(strength: f64, eta: f64, k: usize) -> Result<Self> {
        for (name, v) in [("cluster strength c", strength), ("cluster eta", eta)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::InvalidParameter {
                    name,
                    value: v,
                    expected: "finite and > 0",
                });
            }
        }
        if k == 0 {
            return Err(Error::InvalidParameter {
                name: "number of clusters k",
                value: 0.0,
                expected: ">= 1",
            });
        }
        Ok(Self { strength, eta, k })
    }

    /// MALSAR's parameters (`Least_CMTL(X, Y, ρ1, ρ2, k)`): `η = ρ2/ρ1`,
    /// `c = ρ1 η (1 + η)`. MALSAR's loss is `Σ_t ½‖y_t − X_t w_t‖²`: use task
    /// weights `c_t = n_t` (or divide ρ1, ρ2 by n when all `n_t = n`).
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn from_malsar(rho1: f64, rho2: f64, k: usize) -> Result<Self> {
        let eta = rho2 / rho1;
        Self::new(rho1 * eta * (1.0 + eta), eta, k)
    }

    /// c.
    pub fn strength(&self) -> f64 {
        self.strength
    }

    /// η.
    pub fn eta(&self) -> f64 {
        self.eta
    }

    /// k.
    pub fn k(&self) -> usize {
        self.k
    }

    fn check_tasks(&self, t: usize) -> Result<()> {
        if self.k > t {
            return Err(Error::InvalidParameter {
                name: "number of clusters k",
                value: self.k as f64,
                expected: "at most the number of tasks",
            });
        }
        Ok(())
    }

    /// The optimal `M` (T × T) for `wt = Wᵀ` (T × p), and its eigenvalues
    /// (in the order of the singular values of W, padded to T).
    ///
    /// # Errors
    /// `InvalidParameter` if k > T, `Linalg` if the SVD fails.
    pub fn optimal_m(&self, wt: MatRef<'_, f64>) -> Result<(Mat<f64>, Vec<f64>)> {
        let t = wt.nrows();
        self.check_tasks(t)?;
        // wt = U S Vᵀ (full U: T × T) ⇒ WᵀW = U S² Uᵀ
        let svd = wt
            .svd()
            .map_err(|e| Error::Linalg(format!("SVD for the cluster matrix: {e:?}")))?;
        let s = svd.S().column_vector();
        let sigma: Vec<f64> = (0..t)
            .map(|i| if i < s.nrows() { s[i] } else { 0.0 })
            .collect();
        let m = cluster_eigenvalues(&sigma, self.eta, self.k as f64);
        let u = svd.U();
        let mm = Mat::from_fn(t, t, |a, b| {
            (0..t).map(|i| u[(a, i)] * m[i] * u[(b, i)]).sum()
        });
        Ok((mm, m))
    }

    /// `∇g(W)ᵀ = 2c (ηI + M)⁻¹ Wᵀ` (T × p) at `wt`.
    ///
    /// # Errors
    /// As [`optimal_m`](Self::optimal_m).
    pub fn gradient(&self, wt: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let t = wt.nrows();
        self.check_tasks(t)?;
        let svd = wt
            .svd()
            .map_err(|e| Error::Linalg(format!("SVD for the cluster gradient: {e:?}")))?;
        let s = svd.S().column_vector();
        let sigma: Vec<f64> = (0..t)
            .map(|i| if i < s.nrows() { s[i] } else { 0.0 })
            .collect();
        let m = cluster_eigenvalues(&sigma, self.eta, self.k as f64);
        let u = svd.U();
        let inv = Mat::from_fn(t, t, |a, b| {
            (0..t)
                .map(|i| u[(a, i)] * u[(b, i)] / (self.eta + m[i]))
                .sum::<f64>()
        });
        Ok(&inv * wt * faer::Scale(2.0 * self.strength))
    }
}

/// The eigenvalues `m_i = clip(θ σ_i − η, 0, 1)` with `Σ m_i = k` minimising
/// `Σ σ_i²/(η + m_i)` over `0 ≤ m ≤ 1, Σ m = k` (σ: T values ≥ 0, k ≤ T).
///
/// `Σ_i clip(θσ_i − η, 0, 1)` is continuous and non-decreasing in θ; θ is
/// bracketed by bisection, then solved exactly on its linear piece. Directions
/// with `σ_i = 0` do not affect the value; if the positive ones saturate
/// (`m_i = 1`) below k, the remainder is spread evenly over the zero ones.
pub fn cluster_eigenvalues(sigma: &[f64], eta: f64, k: f64) -> Vec<f64> {
    let t = sigma.len();
    let n_pos = sigma.iter().filter(|&&s| s > 0.0).count();
    let mut m = vec![0.0; t];
    if n_pos as f64 <= k {
        let rest = if t > n_pos {
            (k - n_pos as f64) / (t - n_pos) as f64
        } else {
            0.0
        };
        for (mi, &s) in m.iter_mut().zip(sigma) {
            *mi = if s > 0.0 { 1.0 } else { rest.min(1.0) };
        }
        return m;
    }
    let total = |theta: f64| -> f64 {
        sigma
            .iter()
            .map(|&s| (theta * s - eta).clamp(0.0, 1.0))
            .sum()
    };
    let s_max = sigma.iter().fold(0.0f64, |a, &b| a.max(b));
    let s_min_pos = sigma
        .iter()
        .filter(|&&s| s > 0.0)
        .fold(f64::INFINITY, |a, &b| a.min(b));
    // total(lo) = 0 < k ≤ n_pos = total(hi)
    let (mut lo, mut hi) = (eta / s_max, (eta + 1.0) / s_min_pos);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if total(mid) < k {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    // exact on the piece: Σ_{interior} (θσ_i − η) + #saturated = k
    let mid = 0.5 * (lo + hi);
    let (mut n_sat, mut sum_s, mut n_int) = (0.0, 0.0, 0.0);
    for &s in sigma {
        let v = mid * s - eta;
        if v >= 1.0 {
            n_sat += 1.0;
        } else if v > 0.0 {
            sum_s += s;
            n_int += 1.0;
        }
    }
    let theta = if sum_s > 0.0 {
        let th = (k - n_sat + eta * n_int) / sum_s;
        if th.is_finite() && (lo..=hi).contains(&th) {
            th
        } else {
            mid
        }
    } else {
        mid
    };
    for (mi, &s) in m.iter_mut().zip(sigma) {
        *mi = (theta * s - eta).clamp(0.0, 1.0);
    }
    m
}

impl ProxPenalty for ClusteredMtl {
    fn task_matrix(&self, zt: MatRef<'_, f64>) -> Result<Option<(Mat<f64>, usize)>> {
        Ok(Some((self.optimal_m(zt)?.0, self.k)))
    }

    fn value(&self, zt: MatRef<'_, f64>) -> Result<f64> {
        let t = zt.nrows();
        self.check_tasks(t)?;
        let mut sigma = super::trace::singular_values(zt)?;
        sigma.resize(t, 0.0);
        let m = cluster_eigenvalues(&sigma, self.eta, self.k as f64);
        Ok(self.strength
            * sigma
                .iter()
                .zip(&m)
                .map(|(s, mi)| s * s / (self.eta + mi))
                .sum::<f64>())
    }

    fn prox(&self, vt: MatRef<'_, f64>, step: f64, out: MatMut<'_, f64>) -> Result<f64> {
        let t = vt.nrows();
        self.check_tasks(t)?;
        let two_tc = 2.0 * step * self.strength;
        let mut sigma = super::trace::singular_values(vt)?;
        sigma.resize(t, 0.0);
        let m = cluster_eigenvalues(&sigma, self.eta + two_tc, self.k as f64);
        let eta = self.eta;
        let new = spectral_map(vt, out, |i, s| s * (eta + m[i]) / (eta + m[i] + two_tc))?;
        // the same m is optimal for the output (see the module docs)
        Ok(self.strength
            * new
                .iter()
                .zip(&m)
                .map(|(s, mi)| s * s / (eta + mi))
                .sum::<f64>())
    }

    fn conjugate_ray(&self, grad: MatRef<'_, f64>, ray: &mut ConjugateRay) -> Result<bool> {
        self.check_tasks(grad.nrows())?;
        let sigma = super::trace::singular_values(grad)?;
        for (i, &s) in sigma.iter().enumerate() {
            // s² w_i / (4c) = s² / (2 q_i) with q_i = 2c / w_i
            let w = self.eta + if i < self.k { 1.0 } else { 0.0 };
            ray.push(s, 0.0, 2.0 * self.strength / w);
        }
        Ok(true)
    }

    fn critical_scale(&self, grad0: MatRef<'_, f64>) -> Result<f64> {
        let zero = (0..grad0.ncols()).all(|j| (0..grad0.nrows()).all(|t| grad0[(t, j)] == 0.0));
        Ok(if zero { 0.0 } else { f64::INFINITY })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::linalg::solvers::DenseSolveCore;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The closed-form M beats random feasible M (value of the inner problem),
    /// and satisfies the constraints.
    #[test]
    fn optimal_m_is_feasible_and_optimal() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (t, p) = (5, 7);
        let wt = Mat::from_fn(t, p, |_, _| rng.random::<f64>() - 0.5);
        for k in 1..=t {
            let pen = ClusteredMtl::new(1.0, 0.3, k).unwrap();
            let (m, ev) = pen.optimal_m(wt.as_ref()).unwrap();
            assert!(ev.iter().all(|&v| (-1e-15..=1.0 + 1e-15).contains(&v)));
            let tr: f64 = (0..t).map(|i| m[(i, i)]).sum();
            assert!((tr - k as f64).abs() < 1e-10, "{tr} vs {k}");
            let obj = |m: &Mat<f64>| {
                let a = Mat::from_fn(t, t, |i, j| m[(i, j)] + if i == j { 0.3 } else { 0.0 });
                let inv = a.llt(faer::Side::Lower).unwrap().inverse();
                let wtw = wt.as_ref() * wt.transpose();
                (0..t).map(|i| (&inv * &wtw)[(i, i)]).sum::<f64>()
            };
            let best = obj(&m);
            assert!((best - pen.value(wt.as_ref()).unwrap()).abs() < 1e-10);
            for _ in 0..100 {
                // random feasible M: random eigenvectors, eigenvalues in [0,1] summing to k
                let q = Mat::from_fn(t, t, |_, _| rng.random::<f64>() - 0.5)
                    .qr()
                    .compute_Q();
                let mut e: Vec<f64> = (0..t).map(|_| rng.random::<f64>()).collect();
                let s: f64 = e.iter().sum();
                e.iter_mut().for_each(|v| *v *= k as f64 / s);
                if e.iter().any(|&v| v > 1.0) {
                    continue;
                }
                let mr = Mat::from_fn(t, t, |a, b| {
                    (0..t).map(|i| q[(a, i)] * e[i] * q[(b, i)]).sum()
                });
                assert!(obj(&mr) >= best - 1e-12);
            }
        }
    }

    /// The prox is the minimiser (perturbation test) and its optimality
    /// condition holds: `(V − Z)/τ = ∇g(Z)`.
    #[test]
    fn prox_is_the_minimiser() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (t, p) = (4, 6);
        let v = Mat::from_fn(t, p, |_, _| rng.random::<f64>() - 0.5);
        for k in 1..=t {
            let pen = ClusteredMtl::new(0.7, 0.2, k).unwrap();
            let tau = 0.9;
            let mut z = Mat::<f64>::zeros(t, p);
            let gz = pen.prox(v.as_ref(), tau, z.as_mut()).unwrap();
            assert!((gz - pen.value(z.as_ref()).unwrap()).abs() < 1e-12);
            let grad = pen.gradient(z.as_ref()).unwrap();
            let resid = (&v - &z) * faer::Scale(1.0 / tau) - &grad;
            assert!(resid.norm_max() < 1e-10, "k={k}: {}", resid.norm_max());
            let obj = |w: &Mat<f64>| {
                0.5 * (w - &v).squared_norm_l2() + tau * pen.value(w.as_ref()).unwrap()
            };
            let f0 = obj(&z);
            for _ in 0..50 {
                let d = Mat::from_fn(t, p, |_, _| 1e-3 * (rng.random::<f64>() - 0.5));
                assert!(obj(&(&z + &d)) >= f0 - 1e-13);
            }
            // Fenchel–Young with U = ∇g(Z): g(Z) + g*(U) = ⟨Z, U⟩
            let mut ray = ConjugateRay::new();
            pen.conjugate_ray((-&grad).as_ref(), &mut ray).unwrap();
            let inner = crate::linalg::inner_mat(z.as_ref(), grad.as_ref());
            assert!((gz + ray.eval(1.0) - inner).abs() < 1e-10);
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(ClusteredMtl::new(0.0, 1.0, 1).is_err());
        assert!(ClusteredMtl::new(1.0, -1.0, 1).is_err());
        assert!(ClusteredMtl::new(1.0, 1.0, 0).is_err());
        let pen = ClusteredMtl::new(1.0, 1.0, 3).unwrap();
        assert!(pen.value(Mat::<f64>::zeros(2, 4).as_ref()).is_err());
    }
}
