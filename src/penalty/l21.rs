//! Row-group L21 penalty plus ridge: scikit-learn's `MultiTaskElasticNet` penalty.

use super::{ElasticForm, Penalty, Sparsity};
use crate::linalg::norm;
use faer::MatRef;

/// `g(W) = l1 Σ_j ‖w_j‖₂ + l2/2 ‖W‖²_F` with `l1 = alpha·l1_ratio`,
/// `l2 = alpha·(1 − l1_ratio)`.
///
/// The block minimiser is the group soft-threshold
/// `w = max(0, 1 − l1/‖b‖) · b / (h + l2)`.
///
/// ```
/// use mtreg::penalty::{L21, Penalty};
/// let pen = L21::new(1.0, 1.0); // alpha = 1, l1_ratio = 1
/// let mut w = [0.0; 2];
/// pen.block_minimize(0, 2.0, &[3.0, 4.0], &mut w, &mut []); // ‖b‖ = 5, threshold 1
/// // w = (1 − 1/5) · (3, 4) / 2
/// assert!((w[0] - 1.2).abs() < 1e-15 && (w[1] - 1.6).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct L21 {
    l1: f64,
    l2: f64,
}

impl L21 {
    /// The penalty of `MultiTaskElasticNet(alpha, l1_ratio)`.
    pub fn new(alpha: f64, l1_ratio: f64) -> Self {
        Self {
            l1: alpha * l1_ratio,
            l2: alpha * (1.0 - l1_ratio),
        }
    }

    /// The penalty with explicit weights `l1 Σ‖w_j‖ + l2/2 ‖W‖²`.
    pub fn from_weights(l1: f64, l2: f64) -> Self {
        Self { l1, l2 }
    }

    /// Weight of the L21 norm.
    pub fn l1(&self) -> f64 {
        self.l1
    }

    /// Weight of the ridge term.
    pub fn l2(&self) -> f64 {
        self.l2
    }
}

impl Penalty for L21 {
    fn value(&self, wt: MatRef<'_, f64>) -> f64 {
        let mut l21 = 0.0;
        let mut sq = 0.0;
        for j in 0..wt.ncols() {
            let c = wt.col(j);
            let s: f64 = (0..c.nrows()).map(|t| c[t] * c[t]).sum();
            sq += s;
            l21 += s.sqrt();
        }
        self.l1 * l21 + 0.5 * self.l2 * sq
    }

    #[inline]
    fn block_minimize(&self, _j: usize, h: f64, b: &[f64], out: &mut [f64], _scratch: &mut [f64]) {
        debug_assert!(h > 0.0 || self.l2 > 0.0);
        let nb = norm(b);
        if nb <= self.l1 {
            out.fill(0.0);
            return;
        }
        // w = (1 − l1/‖b‖) b / (h + l2)
        let scale = (1.0 - self.l1 / nb) / (h + self.l2);
        for (o, &bi) in out.iter_mut().zip(b) {
            *o = scale * bi;
        }
    }

    #[inline]
    fn subdiff_distance(&self, _j: usize, w: &[f64], grad: &[f64]) -> f64 {
        let nw = norm(w);
        if nw == 0.0 {
            // ∂g(0) = ball of radius l1
            (norm(grad) - self.l1).max(0.0)
        } else {
            // ∂g(w) = {l1 w/‖w‖ + l2 w}
            let c = self.l1 / nw + self.l2;
            let mut s = 0.0;
            for (g, wi) in grad.iter().zip(w) {
                let d = g + c * wi;
                s += d * d;
            }
            s.sqrt()
        }
    }

    fn elastic_form(&self) -> Option<ElasticForm> {
        Some(ElasticForm {
            l1: self.l1,
            l2: self.l2,
            sparsity: Sparsity::Group,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute-force check: the block minimiser beats every nearby point.
    #[test]
    fn block_minimize_is_the_minimiser() {
        let pen = L21::new(0.7, 0.6);
        let h = 1.3;
        let obj = |w: &[f64], b: &[f64]| {
            0.5 * h * w.iter().map(|v| v * v).sum::<f64>()
                - w.iter().zip(b).map(|(a, c)| a * c).sum::<f64>()
                + pen.l1 * norm(w)
                + 0.5 * pen.l2 * w.iter().map(|v| v * v).sum::<f64>()
        };
        for b in [[0.1, -0.2, 0.05], [2.0, -1.0, 0.5], [0.4, 0.0, 0.0]] {
            let mut w = [0.0; 3];
            pen.block_minimize(0, h, &b, &mut w, &mut []);
            let f0 = obj(&w, &b);
            for k in 0..3 {
                for eps in [1e-4, -1e-4] {
                    let mut v = w;
                    v[k] += eps;
                    assert!(obj(&v, &b) >= f0 - 1e-14, "{b:?} {k} {eps}");
                }
            }
            // optimality: the subdifferential distance at the minimiser is zero
            let grad: Vec<f64> = w.iter().zip(&b).map(|(wi, bi)| h * wi - bi).collect();
            assert!(pen.subdiff_distance(0, &w, &grad) < 1e-14);
        }
    }

    #[test]
    fn subdiff_distance_at_zero_is_excess_over_threshold() {
        let pen = L21::new(1.0, 1.0);
        assert_eq!(pen.subdiff_distance(0, &[0.0, 0.0], &[0.6, 0.8]), 0.0);
        assert!((pen.subdiff_distance(0, &[0.0, 0.0], &[3.0, 4.0]) - 4.0).abs() < 1e-15);
    }

    #[test]
    fn value_is_l21_plus_ridge() {
        let pen = L21::new(2.0, 0.5);
        // Wᵀ: T=2 × p=2, rows w_0 = (3,4), w_1 = (0,0)
        let wt = faer::mat![[3.0, 0.0], [4.0, 0.0]];
        assert!((pen.value(wt.as_ref()) - (1.0 * 5.0 + 0.5 * 1.0 * 25.0)).abs() < 1e-14);
    }
}
