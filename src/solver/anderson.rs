//! Anderson extrapolation of the inner BCD iterates (Bertrand & Massias,
//! *Anderson acceleration of coordinate descent*, arXiv:2011.10065).
//!
//! Every `K` epochs over a working set, the last `K + 1` iterates
//! `w⁽⁰⁾ … w⁽ᴷ⁾` (restricted to the working set) give differences
//! `U = [w⁽¹⁾ − w⁽⁰⁾, …, w⁽ᴷ⁾ − w⁽ᴷ⁻¹⁾]`; the extrapolated point is
//! `Σ_i c_i w⁽ⁱ⁾` with `c = (UᵀU)⁻¹ 1 / 1ᵀ(UᵀU)⁻¹ 1` (the affine combination whose
//! differences are smallest). It is kept only if it lowers the objective, so
//! the iteration stays monotone and convergence is untouched.

/// History of working-set iterates and the extrapolation.
#[derive(Debug, Clone)]
pub struct Anderson {
    k: usize,
    history: Vec<Vec<f64>>,
}

impl Anderson {
    /// Extrapolate from `k` differences (`k + 1` iterates).
    pub fn new(k: usize) -> Self {
        Self {
            k,
            history: Vec::with_capacity(k + 1),
        }
    }

    /// Forgets the history (the working set changed).
    pub fn reset(&mut self) {
        self.history.clear();
    }

    /// Records an iterate; returns the extrapolated point once `k + 1` iterates
    /// are stored (then the history restarts), or `None`.
    pub fn push(&mut self, w: Vec<f64>) -> Option<Vec<f64>> {
        self.history.push(w);
        if self.history.len() <= self.k {
            return None;
        }
        let h = std::mem::take(&mut self.history);
        let k = self.k;
        let len = h[0].len();
        // Gram matrix of the differences, UᵀU (k × k).
        let diffs: Vec<Vec<f64>> = (0..k)
            .map(|i| (0..len).map(|m| h[i + 1][m] - h[i][m]).collect())
            .collect();
        let mut g = vec![0.0; k * k];
        for a in 0..k {
            for b in 0..=a {
                let v = crate::linalg::dot(&diffs[a], &diffs[b]);
                g[a * k + b] = v;
                g[b * k + a] = v;
            }
        }
        // Solve (G + δI) z = 1 by Cholesky; δ regularises a rank-deficient G.
        let trace: f64 = (0..k).map(|i| g[i * k + i]).sum();
        if !(trace.is_finite() && trace > 0.0) {
            return None;
        }
        let delta = 1e-10 * trace;
        for i in 0..k {
            g[i * k + i] += delta;
        }
        let z = cholesky_solve(&mut g, k, &vec![1.0; k])?;
        let s: f64 = z.iter().sum();
        if !(s.is_finite() && s != 0.0) {
            return None;
        }
        // w_acc = Σ_i c_i w⁽ⁱ⁺¹⁾, c = z / Σz
        let mut out = vec![0.0; len];
        for (i, zi) in z.iter().enumerate() {
            crate::linalg::axpy(zi / s, &h[i + 1], &mut out);
        }
        Some(out)
    }
}

/// Solves `A x = b` for a symmetric positive-definite `k × k` row-major `A`
/// (overwritten by its Cholesky factor); `None` if not positive definite.
fn cholesky_solve(a: &mut [f64], k: usize, b: &[f64]) -> Option<Vec<f64>> {
    for j in 0..k {
        let mut d = a[j * k + j];
        for m in 0..j {
            d -= a[j * k + m] * a[j * k + m];
        }
        if d.is_nan() || d <= 0.0 {
            return None;
        }
        let d = d.sqrt();
        a[j * k + j] = d;
        for i in (j + 1)..k {
            let mut v = a[i * k + j];
            for m in 0..j {
                v -= a[i * k + m] * a[j * k + m];
            }
            a[i * k + j] = v / d;
        }
    }
    let mut y = b.to_vec();
    for i in 0..k {
        for m in 0..i {
            y[i] -= a[i * k + m] * y[m];
        }
        y[i] /= a[i * k + i];
    }
    for i in (0..k).rev() {
        for m in (i + 1)..k {
            y[i] -= a[m * k + i] * y[m];
        }
        y[i] /= a[i * k + i];
    }
    Some(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On a linear fixed-point iteration w ← M w + b (contraction), Anderson's
    /// extrapolation lands much closer to the fixed point than the last iterate.
    #[test]
    fn extrapolation_accelerates_a_linear_iteration() {
        let m = [[0.9, 0.05], [0.02, 0.8]];
        let b = [1.0, 2.0];
        // fixed point of w = M w + b
        let det = (1.0 - m[0][0]) * (1.0 - m[1][1]) - m[0][1] * m[1][0];
        let fp = [
            ((1.0 - m[1][1]) * b[0] + m[0][1] * b[1]) / det,
            (m[1][0] * b[0] + (1.0 - m[0][0]) * b[1]) / det,
        ];
        let mut acc = Anderson::new(3);
        let mut w = vec![0.0, 0.0];
        let mut extrapolated = None;
        for _ in 0..4 {
            w = vec![
                m[0][0] * w[0] + m[0][1] * w[1] + b[0],
                m[1][0] * w[0] + m[1][1] * w[1] + b[1],
            ];
            extrapolated = acc.push(w.clone());
        }
        let e = extrapolated.expect("4 iterates give an extrapolation");
        let err = |v: &[f64]| ((v[0] - fp[0]).powi(2) + (v[1] - fp[1]).powi(2)).sqrt();
        assert!(err(&e) < 1e-2 * err(&w), "{} vs {}", err(&e), err(&w));
        assert!(acc.push(w).is_none(), "history restarts");
    }
}
