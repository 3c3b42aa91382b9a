//! Entrywise L1 penalty plus ridge: per-task supports.

use super::{ElasticForm, Penalty, Sparsity};
use faer::MatRef;

/// `g(W) = l1 Σ_{j,t} |w_jt| + l2/2 ‖W‖²_F`; every task has its own support.
///
/// The block step is separable: `w_t = ST(b_t, l1) / (h + l2)`.
///
/// ```
/// use mtreg::penalty::{L1, Penalty};
/// let pen = L1::new(1.0, 1.0);
/// let mut w = [0.0; 2];
/// pen.block_minimize(0, 2.0, &[3.0, -0.5], &mut w, &mut []);
/// assert_eq!(w, [1.0, 0.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct L1 {
    l1: f64,
    l2: f64,
}

impl L1 {
    /// `l1 = alpha · l1_ratio`, `l2 = alpha · (1 − l1_ratio)`.
    pub fn new(alpha: f64, l1_ratio: f64) -> Self {
        Self {
            l1: alpha * l1_ratio,
            l2: alpha * (1.0 - l1_ratio),
        }
    }
}

impl Penalty for L1 {
    fn value(&self, wt: MatRef<'_, f64>) -> f64 {
        let mut abs = 0.0;
        let mut sq = 0.0;
        for j in 0..wt.ncols() {
            for t in 0..wt.nrows() {
                let v = wt[(t, j)];
                abs += v.abs();
                sq += v * v;
            }
        }
        self.l1 * abs + 0.5 * self.l2 * sq
    }

    #[inline]
    fn block_minimize(&self, _j: usize, h: f64, b: &[f64], out: &mut [f64], _scratch: &mut [f64]) {
        let inv = 1.0 / (h + self.l2);
        for (o, &bi) in out.iter_mut().zip(b) {
            *o = bi.signum() * (bi.abs() - self.l1).max(0.0) * inv;
        }
    }

    #[inline]
    fn subdiff_distance(&self, _j: usize, w: &[f64], grad: &[f64]) -> f64 {
        let mut s = 0.0;
        for (&wi, &g) in w.iter().zip(grad) {
            let d = if wi == 0.0 {
                (g.abs() - self.l1).max(0.0)
            } else {
                g + self.l1 * wi.signum() + self.l2 * wi
            };
            s += d * d;
        }
        s.sqrt()
    }

    fn elastic_form(&self) -> Option<ElasticForm> {
        Some(ElasticForm {
            l1: self.l1,
            l2: self.l2,
            sparsity: Sparsity::Entrywise,
        })
    }
}
