//! Reduced-rank regression (Izenman 1975), with an optional ridge
//! (Mukherjee & Zhu 2011): the closed-form rank-constrained least squares.
//!
//! ```text
//! minimise over W (p × T), rank W ≤ k:
//!     1/(2n) Σ_t c_t ‖y_t − X w_t‖² + l2/2 ‖W‖²_F          (shared design X)
//! ```
//!
//! With task weights `C = diag(c)` substitute `W̃ = W C^{1/2}`, `Ỹ = Y C^{1/2}`
//! (rank is unchanged); the problem is then the augmented least squares
//! `‖[Ỹ; 0] − [X; √(nλ) I] W̃‖²_F` with `λ = l2/c` — which needs the weights
//! to be equal when `l2 > 0` (otherwise the ridge is not isotropic in W̃ and
//! there is no closed form). Its solution (Eckart–Young on the fitted values):
//!
//! ```text
//! X = U diag(s) Vₓᵀ (thin SVD),   B = Vₓ diag(s/(s² + nλ)) Uᵀ Ỹ      (full-rank ridge fit)
//! M = Ỹᵀ U diag(s²/(s² + nλ)) Uᵀ Ỹ  = (fitted values)ᵀ(fitted values), augmented
//! V_k = top-k eigenvectors of M,     W̃_k = B V_k V_kᵀ,     W_k = W̃_k C^{−1/2}
//! ```
//!
//! One SVD of X and one T × T eigendecomposition give the solutions of every
//! rank ([`ReducedRank::coef`]). With `l2 = 0` and a rank-deficient X the
//! pseudo-inverse gives the minimum-norm solution.
//!
//! **Certificate.** The problem is not convex; the closed form is its global
//! minimiser. [`stationarity`] measures the first-order condition on the
//! manifold of rank-r matrices at W = `U_w S_w V_wᵀ`: the Riemannian gradient
//! `P_U G + G P_V − P_U G P_V` of the objective's gradient G (the whole G when
//! `r < k`, where the constraint is inactive), zero at every critical point.
//!
//! With an orthonormal design (`XᵀX/n = I`) and no ridge, `W_k` is the rank-k
//! truncated SVD of `XᵀY/n`, and the trace-norm solution at level α is the
//! same SVD soft-thresholded at α: the two share their singular vectors.

use crate::error::{Error, Result};
use faer::{Mat, MatRef, Side};

/// The closed-form reduced-rank regression of every rank (see the module docs).
#[derive(Debug, Clone)]
pub struct ReducedRank {
    /// The full-rank fit `B` in the weighted coordinates (p × T).
    b: Mat<f64>,
    /// Eigenvectors of M, by decreasing eigenvalue (T × T).
    v: Mat<f64>,
    /// Eigenvalues of M / n (decreasing).
    eigenvalues: Vec<f64>,
    /// `√c_t`.
    sqrt_c: Vec<f64>,
}

impl ReducedRank {
    /// Fits on a (centred, if an intercept is wanted) design `x` (n × p) and
    /// targets `y` (n × T), with ridge `l2 ≥ 0` and optional task weights
    /// `c_t > 0` (all equal when `l2 > 0`).
    ///
    /// # Errors
    /// `ShapeMismatch`, `EmptyInput`, `NonFinite`, `InvalidParameter` for a
    /// negative ridge, non-positive weights or unequal weights with a ridge,
    /// `Linalg` if a factorisation fails.
    ///
    /// ```
    /// use mtreg::models::ReducedRank;
    /// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]];
    /// let y = faer::mat![[1.0, 2.0], [1.0, 2.0], [2.0, 4.0], [0.0, 0.0]];
    /// let rrr = ReducedRank::fit(x.as_ref(), y.as_ref(), 0.0, None)?;
    /// // Y = X W exactly with W of rank 1: the rank-1 fit recovers it
    /// let w = rrr.coef(1);
    /// assert!((w[(0, 1)] - 2.0).abs() < 1e-12 && (w[(1, 0)] - 1.0).abs() < 1e-12);
    /// Ok::<(), mtreg::Error>(())
    /// ```
    pub fn fit(
        x: MatRef<'_, f64>,
        y: MatRef<'_, f64>,
        l2: f64,
        weights: Option<&[f64]>,
    ) -> Result<Self> {
        let (n, p, t) = (x.nrows(), x.ncols(), y.ncols());
        if y.nrows() != n {
            return Err(Error::ShapeMismatch {
                what: "rows of Y vs rows of X",
                expected: n,
                found: y.nrows(),
            });
        }
        if n == 0 || p == 0 || t == 0 {
            return Err(Error::EmptyInput(
                "reduced-rank regression needs n, p, T ≥ 1",
            ));
        }
        for (what, m) in [("X", x), ("Y", y)] {
            for j in 0..m.ncols() {
                for i in 0..m.nrows() {
                    if !m[(i, j)].is_finite() {
                        return Err(Error::NonFinite {
                            what,
                            row: i,
                            col: j,
                        });
                    }
                }
            }
        }
        if !(l2.is_finite() && l2 >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "ridge l2",
                value: l2,
                expected: "finite and >= 0",
            });
        }
        let c: Vec<f64> = match weights {
            None => vec![1.0; t],
            Some(w) => {
                if w.len() != t {
                    return Err(Error::ShapeMismatch {
                        what: "task weights vs tasks",
                        expected: t,
                        found: w.len(),
                    });
                }
                if let Some(&bad) = w.iter().find(|&&v| !(v.is_finite() && v > 0.0)) {
                    return Err(Error::InvalidParameter {
                        name: "task weight",
                        value: bad,
                        expected: "finite and > 0",
                    });
                }
                w.to_vec()
            }
        };
        if l2 > 0.0 && c.iter().any(|&v| v != c[0]) {
            return Err(Error::InvalidParameter {
                name: "ridge with unequal task weights (ridge)",
                value: l2,
                expected: "0 when task weights differ (no closed form)",
            });
        }
        let lambda = l2 / c[0];
        let sqrt_c: Vec<f64> = c.iter().map(|v| v.sqrt()).collect();
        let yt = Mat::from_fn(n, t, |i, k| y[(i, k)] * sqrt_c[k]);
        let svd = x
            .thin_svd()
            .map_err(|e| Error::Linalg(format!("SVD of X: {e:?}")))?;
        let s = svd.S().column_vector();
        let s_max = if s.nrows() > 0 { s[0] } else { 0.0 };
        let cutoff = s_max * (n.max(p) as f64) * f64::EPSILON;
        let nl = n as f64 * lambda;
        let r = (0..s.nrows()).filter(|&i| s[i] > cutoff).count();
        // A = Uᵀ Ỹ over the kept singular values (r × T)
        let a = svd.U().subcols(0, r).transpose() * &yt;
        let shrink: Vec<f64> = (0..r).map(|i| s[i] * s[i] / (s[i] * s[i] + nl)).collect();
        let inv: Vec<f64> = (0..r).map(|i| s[i] / (s[i] * s[i] + nl)).collect();
        // B = Vₓ diag(inv) A
        let da = Mat::from_fn(r, t, |i, k| inv[i] * a[(i, k)]);
        let b = svd.V().subcols(0, r) * &da;
        // M/n = Aᵀ diag(shrink) A / n
        let sa = Mat::from_fn(r, t, |i, k| shrink[i] * a[(i, k)]);
        let m = (a.transpose() * &sa) * faer::Scale(1.0 / n as f64);
        let eig = m.self_adjoint_eigen(Side::Lower).map_err(|e| {
            Error::Linalg(format!(
                "eigendecomposition in reduced-rank regression: {e:?}"
            ))
        })?;
        let ev = eig.S().column_vector();
        // ascending → descending
        let eigenvalues: Vec<f64> = (0..t).rev().map(|i| ev[i].max(0.0)).collect();
        let u = eig.U();
        let v = Mat::from_fn(t, t, |i, k| u[(i, t - 1 - k)]);
        Ok(Self {
            b,
            v,
            eigenvalues,
            sqrt_c,
        })
    }

    /// The largest meaningful rank (T).
    pub fn max_rank(&self) -> usize {
        self.v.ncols()
    }

    /// Eigenvalues of `M/n` (decreasing): the squared canonical strengths of
    /// the fitted values; the drop of the loss (×2) when rank k−1 → k is the
    /// k-th eigenvalue.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// The solution of rank at most `rank` (p × T); `rank ≥ T` gives the
    /// full-rank (ridge or least-squares) fit.
    pub fn coef(&self, rank: usize) -> Mat<f64> {
        let t = self.v.ncols();
        let k = rank.min(t);
        let vk = self.v.as_ref().subcols(0, k);
        let wt = &self.b * vk * vk.transpose();
        Mat::from_fn(self.b.nrows(), t, |j, c| wt[(j, c)] / self.sqrt_c[c])
    }
}

/// The objective `1/(2n) Σ_t c_t ‖y_t − X w_t‖² + l2/2 ‖W‖²_F` of `w` (p × T).
pub fn objective(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    w: MatRef<'_, f64>,
    l2: f64,
    weights: Option<&[f64]>,
) -> f64 {
    let n = x.nrows() as f64;
    let r = y - x * w;
    let mut loss = 0.0;
    for t in 0..r.ncols() {
        let c = weights.map_or(1.0, |c| c[t]);
        loss += c * (0..r.nrows()).map(|i| r[(i, t)] * r[(i, t)]).sum::<f64>();
    }
    loss / (2.0 * n) + 0.5 * l2 * w.squared_norm_l2()
}

/// The first-order stationarity measure of `w` (p × T) for the rank-`rank`
/// problem: `‖P_U G + G P_V − P_U G P_V‖_F` with G the objective's gradient
/// and `W = U_w S_w V_wᵀ` (rank r); `‖G‖_F` when `r < rank`.
///
/// # Errors
/// `Linalg` if the SVD of `w` fails.
pub fn stationarity(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    w: MatRef<'_, f64>,
    l2: f64,
    weights: Option<&[f64]>,
    rank: usize,
) -> Result<f64> {
    let n = x.nrows() as f64;
    let t = y.ncols();
    let mut r = y - x * w;
    for k in 0..t {
        let c = weights.map_or(1.0, |c| c[k]);
        for i in 0..r.nrows() {
            r[(i, k)] *= c;
        }
    }
    // G = −Xᵀ R C / n + l2 W
    let g = x.transpose() * &r * faer::Scale(-1.0 / n) + w * faer::Scale(l2);
    let svd = w
        .thin_svd()
        .map_err(|e| Error::Linalg(format!("SVD of W: {e:?}")))?;
    let s = svd.S().column_vector();
    let s_max = if s.nrows() > 0 { s[0] } else { 0.0 };
    let tol = s_max * (w.nrows().max(t) as f64) * f64::EPSILON * 10.0;
    let rk = (0..s.nrows()).filter(|&i| s[i] > tol).count();
    if rk < rank {
        return Ok(g.norm_l2());
    }
    let u = svd.U().subcols(0, rk);
    let v = svd.V().subcols(0, rk);
    let pug = u * (u.transpose() * &g);
    let gpv = (&g * v) * v.transpose();
    let pugpv = u * (u.transpose() * &gpv);
    Ok((pug + gpv - pugpv).norm_l2())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn data(n: usize, p: usize, t: usize, seed: u64) -> (Mat<f64>, Mat<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Mat::from_fn(n, p, |_, _| rng.random::<f64>() - 0.5);
        let y = Mat::from_fn(n, t, |_, _| rng.random::<f64>() - 0.5);
        (x, y)
    }

    /// The closed form is stationary and beats random rank-k matrices near it
    /// (perturbations along the manifold: W + small rank-k changes).
    #[test]
    fn closed_form_is_a_stationary_minimiser() {
        let (x, y) = data(30, 6, 5, 1);
        for (l2, w) in [
            (0.0, None),
            (0.1, None),
            (0.0, Some(vec![1.0, 2.0, 0.5, 1.0, 3.0])),
        ] {
            let rrr = ReducedRank::fit(x.as_ref(), y.as_ref(), l2, w.as_deref()).unwrap();
            for k in 1..=5 {
                let wk = rrr.coef(k);
                let st =
                    stationarity(x.as_ref(), y.as_ref(), wk.as_ref(), l2, w.as_deref(), k).unwrap();
                assert!(st < 1e-12, "k={k} l2={l2}: {st}");
                let f0 = objective(x.as_ref(), y.as_ref(), wk.as_ref(), l2, w.as_deref());
                // random rank-k competitors: A Bᵀ around the best factorisation
                let svd = wk.thin_svd().unwrap();
                let mut rng = ChaCha8Rng::seed_from_u64(k as u64);
                for _ in 0..30 {
                    let a = Mat::from_fn(6, k, |i, c| {
                        svd.U()[(i, c)] * svd.S().column_vector()[c]
                            + 1e-2 * (rng.random::<f64>() - 0.5)
                    });
                    let b = Mat::from_fn(5, k, |i, c| {
                        svd.V()[(i, c)] + 1e-2 * (rng.random::<f64>() - 0.5)
                    });
                    let cand = &a * b.transpose();
                    let f = objective(x.as_ref(), y.as_ref(), cand.as_ref(), l2, w.as_deref());
                    assert!(f >= f0 - 1e-14);
                }
            }
            // rank T: the full-rank fit is the (weighted) ridge solution: G = 0
            let full = rrr.coef(5);
            let st =
                stationarity(x.as_ref(), y.as_ref(), full.as_ref(), l2, w.as_deref(), 6).unwrap();
            assert!(st < 1e-12);
        }
    }

    #[test]
    fn rejects_bad_input() {
        let (x, y) = data(10, 3, 2, 2);
        assert!(ReducedRank::fit(x.as_ref(), y.as_ref(), -1.0, None).is_err());
        assert!(ReducedRank::fit(x.as_ref(), y.as_ref(), 0.1, Some(&[1.0, 2.0])).is_err());
        assert!(ReducedRank::fit(x.as_ref(), y.as_ref(), 0.0, Some(&[1.0, 0.0])).is_err());
        assert!(ReducedRank::fit(x.as_ref(), y.subrows(0, 9), 0.0, None).is_err());
    }
}
