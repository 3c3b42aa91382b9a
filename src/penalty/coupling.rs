//! Sparsity plus a quadratic task coupling: `g_j(w) = l1 Ω(w) + ½ wᵀ M w`.
//!
//! `M` (T × T, symmetric positive semi-definite) couples the tasks within every
//! feature row: `M = α(1 − ρ) I + λ L` for a task graph with Laplacian L, or
//! `M = λ1 I + λ2 Σ⁻¹` for learned task relationships. Then
//! `Σ_j ½ w_jᵀ M w_j = α(1−ρ)/2 ‖W‖² + λ/2 tr(W L Wᵀ)`.
//!
//! **Block step, L21.** Minimise `½ wᵀ(hI + M)w − bᵀw + l1‖w‖`. If `‖b‖ ≤ l1` the
//! answer is 0. Otherwise, with `M = U diag(m) Uᵀ` (eigendecomposition computed
//! once) and `b̃ = Uᵀb`, the optimum is `w = U w̃`, `w̃_k = b̃_k / (h + m_k + μ)`
//! where `μ = l1/‖w‖ > 0` solves the secular equation
//! `μ² Σ_k b̃_k² / (h + m_k + μ)² = l1²`. Its root is bracketed by
//! `l1 (h + m_min) / (‖b‖ − l1) ≤ μ ≤ l1 (h + m_max) / (‖b‖ − l1)` (equal bounds,
//! hence the closed-form group soft-threshold, when M = cI) and found by a
//! safeguarded Newton iteration. Cost O(T²) per row for the two basis changes.
//!
//! **Block step, L1.** The row problem is a T-dimensional Lasso with matrix
//! `hI + M`; it is solved by cyclic coordinate descent started at the current
//! row (exact soft-thresholds, O(T²) per sweep, until the row stops moving).

use super::{ElasticForm, Penalty, Sparsity};
use crate::error::{Error, Result};
use crate::linalg::{dot, norm};
use faer::{Mat, MatRef};

/// `g(W) = l1 Σ_j Ω(w_j) + ½ Σ_j w_jᵀ M w_j`.
#[derive(Debug, Clone)]
pub struct Coupled {
    l1: f64,
    sparsity: Sparsity,
    m: Mat<f64>,
    u: Mat<f64>,
    evals: Vec<f64>,
    /// `Some(c)` when `M = c I` (then the elastic-net duality gap applies).
    scalar: Option<f64>,
    /// `M⁻¹` when M is positive definite (then the Fenchel gap applies).
    m_inv: Option<Mat<f64>>,
}

impl Coupled {
    /// Builds the penalty; `m` must be symmetric positive semi-definite.
    ///
    /// # Errors
    /// `ShapeMismatch` if `m` is not square, `NonFinite` on NaN/inf, `InvalidParameter`
    /// if `l1 < 0` or `m` has a clearly negative eigenvalue, `Linalg` if the
    /// eigendecomposition fails.
    pub fn new(l1: f64, sparsity: Sparsity, m: Mat<f64>) -> Result<Self> {
        let t = m.nrows();
        if m.ncols() != t {
            return Err(Error::ShapeMismatch {
                what: "coupling matrix columns vs rows",
                expected: t,
                found: m.ncols(),
            });
        }
        crate::validate::check_finite("coupling matrix", m.as_ref())?;
        if !(l1.is_finite() && l1 >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "l1 weight",
                value: l1,
                expected: "finite and >= 0",
            });
        }
        // Symmetrise (rounding in callers' products) before decomposing.
        let m = Mat::from_fn(t, t, |i, j| 0.5 * (m[(i, j)] + m[(j, i)]));
        let evd = m
            .self_adjoint_eigen(faer::Side::Lower)
            .map_err(|e| Error::Linalg(format!("eigendecomposition of the coupling: {e:?}")))?;
        let scale = (0..t).map(|i| m[(i, i)].abs()).fold(0.0, f64::max);
        let mut evals: Vec<f64> = (0..t).map(|k| evd.S()[k]).collect();
        if let Some(&low) = evals.iter().min_by(|a, b| a.total_cmp(b))
            && low < -1e-10 * scale.max(1e-300)
        {
            return Err(Error::InvalidParameter {
                name: "smallest eigenvalue of the coupling matrix",
                value: low,
                expected: "non-negative (a positive semi-definite coupling)",
            });
        }
        evals.iter_mut().for_each(|v| *v = v.max(0.0));
        let diag0 = if t > 0 { m[(0, 0)] } else { 0.0 };
        let is_scalar =
            (0..t).all(|i| (0..t).all(|j| m[(i, j)] == if i == j { diag0 } else { 0.0 }));
        let emax = evals.iter().copied().fold(0.0, f64::max);
        let emin = evals.iter().copied().fold(f64::INFINITY, f64::min);
        let u = evd.U().to_owned();
        // Positive definite (well enough to invert): M⁻¹ = U diag(1/m) Uᵀ.
        let m_inv = (t > 0 && emin > 1e-12 * emax).then(|| {
            Mat::from_fn(t, t, |i, j| {
                (0..t).map(|k| u[(i, k)] * u[(j, k)] / evals[k]).sum()
            })
        });
        Ok(Self {
            l1,
            sparsity,
            u,
            evals,
            scalar: is_scalar.then_some(diag0),
            m_inv,
            m,
        })
    }

    /// The coupling matrix M.
    pub fn coupling(&self) -> MatRef<'_, f64> {
        self.m.as_ref()
    }

    /// Its eigenvalues (clamped at 0).
    pub fn eigenvalues(&self) -> &[f64] {
        &self.evals
    }

    /// `out = M w`.
    #[inline]
    fn m_times(&self, w: &[f64], out: &mut [f64]) {
        for (i, o) in out.iter_mut().enumerate() {
            *o = dot(self.m.col_as_slice(i), w);
        }
    }

    fn minimize_group(&self, h: f64, b: &[f64], out: &mut [f64], scratch: &mut [f64]) {
        let t = b.len();
        let nb = norm(b);
        if nb <= self.l1 {
            out.fill(0.0);
            return;
        }
        if self.l1 == 0.0 {
            // w = (hI + M)⁻¹ b
            let bt = &mut scratch[..t];
            for (k, v) in bt.iter_mut().enumerate() {
                *v = dot(self.u.col_as_slice(k), b) / (h + self.evals[k]);
            }
            self.to_task_basis(bt, out);
            return;
        }
        let (bt, rest) = scratch.split_at_mut(t);
        let _ = rest;
        // b̃ = Uᵀ b
        for (k, v) in bt.iter_mut().enumerate() {
            *v = dot(self.u.col_as_slice(k), b);
        }
        let (cmin, cmax) = self
            .evals
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &m| {
                (lo.min(h + m), hi.max(h + m))
            });
        let excess = nb - self.l1;
        let (mut lo, mut hi) = (self.l1 * cmin / excess, self.l1 * cmax / excess);
        // Solve g(μ) = 1/‖w̃(μ)‖ − μ/l1 = 0 (g decreases; 1/‖w̃‖ is nearly
        // linear in μ, so Newton converges in a few steps), safeguarded by the
        // bracket [lo, hi].
        let g = |mu: f64| -> (f64, f64) {
            let (mut s2, mut s3) = (0.0, 0.0);
            for (k, &v) in bt.iter().enumerate() {
                let d = h + self.evals[k] + mu;
                let q = v * v / (d * d);
                s2 += q;
                s3 += q / d;
            }
            let r = s2.sqrt();
            // d(1/r)/dμ = Σ b̃²/(c+μ)³ / r³
            (1.0 / r - mu / self.l1, s3 / (r * r * r) - 1.0 / self.l1)
        };
        let mut mu = lo;
        if hi > lo {
            for _ in 0..60 {
                let (f, df) = g(mu);
                if f > 0.0 {
                    lo = mu;
                } else {
                    hi = mu;
                }
                if f.abs() <= 4.0 * f64::EPSILON * mu / self.l1 {
                    break;
                }
                let mut next = mu - f / df;
                if !(next >= lo && next <= hi && next.is_finite()) {
                    next = 0.5 * (lo + hi);
                }
                if (next - mu).abs() <= 2.0 * f64::EPSILON * mu
                    || hi - lo <= 2.0 * f64::EPSILON * hi
                {
                    mu = next;
                    break;
                }
                mu = next;
            }
        }
        for (k, v) in bt.iter_mut().enumerate() {
            *v /= h + self.evals[k] + mu;
        }
        self.to_task_basis(bt, out);
    }

    /// `out = U w̃`.
    fn to_task_basis(&self, wt: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        for (k, &v) in wt.iter().enumerate() {
            if v != 0.0 {
                crate::linalg::axpy(v, self.u.col_as_slice(k), out);
            }
        }
    }

    fn minimize_entrywise(&self, h: f64, b: &[f64], out: &mut [f64], scratch: &mut [f64]) {
        // Cyclic CD on ½ wᵀ A w − bᵀw + l1‖w‖₁, A = hI + M, from the current row.
        let t = b.len();
        let aw = &mut scratch[..t];
        self.m_times(out, aw);
        for (k, v) in aw.iter_mut().enumerate() {
            *v += h * out[k];
        }
        for _sweep in 0..200 {
            let mut change = 0.0f64;
            let mut size = 0.0f64;
            for k in 0..t {
                let akk = h + self.m[(k, k)];
                let old = out[k];
                let z = b[k] - aw[k] + akk * old;
                let new = z.signum() * (z.abs() - self.l1).max(0.0) / akk;
                let d = new - old;
                if d != 0.0 {
                    out[k] = new;
                    // A w += A_k d
                    for (i, a) in aw.iter_mut().enumerate() {
                        *a += self.m[(i, k)] * d;
                    }
                    aw[k] += h * d;
                    change = change.max(d.abs());
                }
                size = size.max(new.abs());
            }
            if change <= 1e-15 * size || self.scalar.is_some() {
                break;
            }
        }
    }
}

impl Penalty for Coupled {
    fn value(&self, wt: MatRef<'_, f64>) -> f64 {
        let t = wt.nrows();
        let mut total = 0.0;
        let mut w = vec![0.0; t];
        let mut mw = vec![0.0; t];
        for j in 0..wt.ncols() {
            for (k, v) in w.iter_mut().enumerate() {
                *v = wt[(k, j)];
            }
            self.m_times(&w, &mut mw);
            let quad: f64 = w.iter().zip(&mw).map(|(a, b)| a * b).sum();
            total += self.l1 * self.sparsity.block_norm(&w) + 0.5 * quad;
        }
        total
    }

    fn block_minimize(&self, _j: usize, h: f64, b: &[f64], out: &mut [f64], scratch: &mut [f64]) {
        match self.sparsity {
            Sparsity::Group => self.minimize_group(h, b, out, scratch),
            Sparsity::Entrywise => self.minimize_entrywise(h, b, out, scratch),
        }
    }

    fn subdiff_distance(&self, _j: usize, w: &[f64], grad: &[f64]) -> f64 {
        // ∂g(w) = l1 ∂Ω(w) + M w; distance of −grad to it = distance of
        // −(grad + M w) to l1 ∂Ω(w).
        let t = w.len();
        let mut s = 0.0;
        match self.sparsity {
            Sparsity::Group => {
                let nw = norm(w);
                let mut g2 = 0.0;
                let mut d2 = 0.0;
                for k in 0..t {
                    let gk = grad[k] + dot(self.m.col_as_slice(k), w);
                    g2 += gk * gk;
                    if nw > 0.0 {
                        let d = gk + self.l1 * w[k] / nw;
                        d2 += d * d;
                    }
                }
                s = if nw == 0.0 {
                    (g2.sqrt() - self.l1).max(0.0).powi(2)
                } else {
                    d2
                };
            }
            Sparsity::Entrywise => {
                for k in 0..t {
                    let gk = grad[k] + dot(self.m.col_as_slice(k), w);
                    let d = if w[k] == 0.0 {
                        (gk.abs() - self.l1).max(0.0)
                    } else {
                        gk + self.l1 * w[k].signum()
                    };
                    s += d * d;
                }
            }
        }
        s.sqrt()
    }

    fn conjugate_block(&self, _j: usize, v: &[f64], scratch: &mut [f64]) -> Option<f64> {
        let m_inv = self.m_inv.as_ref()?;
        let t = v.len();
        // g*(v) = min over ‖u‖ ≤ l1 (group) or ‖u‖_∞ ≤ l1 (entrywise) of
        // ½ (v − u)ᵀ M⁻¹ (v − u). Any feasible u gives an upper bound, so an
        // inexact inner solve only makes the gap conservative.
        Some(match self.sparsity {
            Sparsity::Group => {
                // In the eigenbasis: ũ_k = ṽ_k / (1 + ν m_k), ν ≥ 0 with ‖ũ‖ = l1.
                let vt = &mut scratch[..t];
                for (k, x) in vt.iter_mut().enumerate() {
                    *x = dot(self.u.col_as_slice(k), v);
                }
                let nv = norm(vt);
                if nv <= self.l1 {
                    return Some(0.0);
                }
                let norm_u = |nu: f64| -> f64 {
                    vt.iter()
                        .zip(&self.evals)
                        .map(|(x, m)| (x / (1.0 + nu * m)).powi(2))
                        .sum::<f64>()
                        .sqrt()
                };
                // ‖ũ(ν)‖ decreases from ‖v‖ to 0: bisect on a bracket.
                let (mut lo, mut hi) = (0.0f64, 1.0f64);
                while norm_u(hi) > self.l1 && hi < 1e300 {
                    hi *= 4.0;
                }
                for _ in 0..200 {
                    let mid = 0.5 * (lo + hi);
                    if norm_u(mid) > self.l1 {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                    if hi - lo <= 1e-15 * hi {
                        break;
                    }
                }
                // ν = hi is feasible (‖ũ‖ ≤ l1): the value is an upper bound.
                vt.iter()
                    .zip(&self.evals)
                    .map(|(x, m)| {
                        let d = x - x / (1.0 + hi * m);
                        0.5 * d * d / m
                    })
                    .sum()
            }
            Sparsity::Entrywise => {
                // Box-constrained QP by cyclic coordinate descent on u, from the
                // projection of v; A = M⁻¹, e = u − v, A e kept up to date.
                let (u, rest) = scratch.split_at_mut(t);
                let ae = &mut rest[..t];
                for k in 0..t {
                    u[k] = v[k].clamp(-self.l1, self.l1);
                }
                for (i, a) in ae.iter_mut().enumerate() {
                    *a = (0..t).map(|k| m_inv[(i, k)] * (u[k] - v[k])).sum();
                }
                for _ in 0..500 {
                    let mut change = 0.0f64;
                    for k in 0..t {
                        let akk = m_inv[(k, k)];
                        let new = (u[k] - ae[k] / akk).clamp(-self.l1, self.l1);
                        let d = new - u[k];
                        if d != 0.0 {
                            u[k] = new;
                            for (i, a) in ae.iter_mut().enumerate() {
                                *a += m_inv[(i, k)] * d;
                            }
                            change = change.max(d.abs());
                        }
                    }
                    if change <= 1e-15 * self.l1 {
                        break;
                    }
                }
                (0..t)
                    .map(|k| 0.5 * (u[k] - v[k]) * ae[k])
                    .sum::<f64>()
                    .max(0.0)
            }
        })
    }

    fn elastic_form(&self) -> Option<ElasticForm> {
        self.scalar.map(|c| ElasticForm {
            l1: self.l1,
            l2: c,
            sparsity: self.sparsity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::penalty::{L21, TaskGraph};

    fn objective(pen: &Coupled, h: f64, b: &[f64], w: &[f64]) -> f64 {
        let wt = Mat::from_fn(w.len(), 1, |k, _| w[k]);
        0.5 * h * w.iter().map(|v| v * v).sum::<f64>()
            - w.iter().zip(b).map(|(a, c)| a * c).sum::<f64>()
            + pen.value(wt.as_ref())
    }

    /// The block minimiser beats every perturbation (brute-force optimality).
    #[test]
    fn block_minimize_is_the_minimiser_for_both_sparsities() {
        let g = TaskGraph::from_edges(4, &[(0, 1, 1.0), (1, 2, 3.0), (2, 3, 0.5)]).unwrap();
        let mut m = g.laplacian();
        for k in 0..4 {
            m[(k, k)] += 0.1;
        }
        for sparsity in [Sparsity::Group, Sparsity::Entrywise] {
            let pen = Coupled::new(0.4, sparsity, m.clone()).unwrap();
            for b in [
                [1.0, -0.5, 2.0, 0.1],
                [0.1, 0.1, -0.1, 0.2],
                [3.0, 3.0, 3.0, -3.0],
            ] {
                let mut w = [0.0; 4];
                let mut scratch = [0.0; 16];
                pen.block_minimize(0, 0.7, &b, &mut w, &mut scratch);
                let f0 = objective(&pen, 0.7, &b, &w);
                for k in 0..4 {
                    for eps in [1e-5, -1e-5] {
                        let mut v = w;
                        v[k] += eps;
                        assert!(
                            objective(&pen, 0.7, &b, &v) >= f0 - 1e-13,
                            "{sparsity:?} {b:?}"
                        );
                    }
                }
                let grad: Vec<f64> = w.iter().zip(&b).map(|(wi, bi)| 0.7 * wi - bi).collect();
                assert!(
                    pen.subdiff_distance(0, &w, &grad) < 1e-10,
                    "{sparsity:?} {b:?} {w:?}"
                );
            }
        }
    }

    /// With M = cI the coupled penalty is the elastic net: same step, same gap form.
    #[test]
    fn scalar_coupling_is_the_elastic_net() {
        let t = 3;
        let m = Mat::from_fn(t, t, |i, j| if i == j { 1.0 * (1.0 - 0.7) } else { 0.0 });
        let pen = Coupled::new(0.7, Sparsity::Group, m).unwrap();
        let en = L21::new(1.0, 0.7);
        let b = [1.0, -2.0, 0.5];
        let (mut w1, mut w2, mut s) = ([0.0; 3], [0.0; 3], [0.0; 12]);
        pen.block_minimize(0, 1.3, &b, &mut w1, &mut s);
        en.block_minimize(0, 1.3, &b, &mut w2, &mut s);
        for k in 0..3 {
            assert!((w1[k] - w2[k]).abs() < 1e-14);
        }
        assert_eq!(pen.elastic_form(), en.elastic_form());
    }

    /// Fenchel–Young: g*(v) ≥ vᵀw − g(w) for every w, with equality at the
    /// maximiser w* = argmin g(w) − vᵀw (a block step with h = 0).
    #[test]
    fn conjugate_is_the_fenchel_conjugate() {
        let g = TaskGraph::from_edges(4, &[(0, 1, 1.0), (1, 2, 3.0), (2, 3, 0.5)]).unwrap();
        let mut m = g.laplacian();
        for k in 0..4 {
            m[(k, k)] += 0.2;
        }
        for sparsity in [Sparsity::Group, Sparsity::Entrywise] {
            let pen = Coupled::new(0.4, sparsity, m.clone()).unwrap();
            let gval = |w: &[f64]| pen.value(Mat::from_fn(4, 1, |k, _| w[k]).as_ref());
            for v in [
                [1.0, -0.5, 2.0, 0.1],
                [0.1, 0.1, -0.1, 0.2],
                [3.0, 3.0, 3.0, -3.0],
            ] {
                let mut scratch = [0.0; 16];
                let conj = pen.conjugate_block(0, &v, &mut scratch).unwrap();
                let mut w = [0.0; 4];
                pen.block_minimize(0, 0.0, &v, &mut w, &mut scratch);
                let at_max = v.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() - gval(&w);
                assert!(
                    (conj - at_max).abs() <= 1e-10 * (1.0 + at_max.abs()),
                    "{sparsity:?} {v:?}: {conj} vs {at_max}"
                );
                for probe in [[0.3, 0.0, -1.0, 2.0], [1.0, 1.0, 1.0, 1.0], [0.0; 4]] {
                    let val = v.iter().zip(&probe).map(|(a, b)| a * b).sum::<f64>() - gval(&probe);
                    assert!(conj >= val - 1e-12);
                }
            }
        }
        // Not positive definite: no conjugate (the Laplacian alone is singular).
        let pen = Coupled::new(0.4, Sparsity::Group, g.laplacian()).unwrap();
        assert!(pen.conjugate_block(0, &[1.0; 4], &mut [0.0; 16]).is_none());
    }

    #[test]
    fn rejects_indefinite_coupling() {
        let m = faer::mat![[1.0, 2.0], [2.0, 1.0]];
        assert!(matches!(
            Coupled::new(1.0, Sparsity::Group, m),
            Err(Error::InvalidParameter { .. })
        ));
    }
}
