//! Gap-safe screening (Ndiaye, Fercoq, Gramfort & Salmon, *Gap safe screening
//! rules for sparsity enforcing penalties*, JMLR 2017), for the shared-design
//! elastic penalties `l1 Ω + l2/2 ‖·‖²` (Ω = L21 or L1).
//!
//! On the problem multiplied by n, with the ridge written as extra rows
//! `X̃ = [X; √(n l2) I]`, the dual objective is `(n l1)²`-strongly concave. The
//! dual point `θ = s R̃ / (n l1)` of the duality gap ([`super::gap`]) is
//! therefore within `√(2 n gap) / (n l1)` of the dual optimum, and a row j
//! whose dual constraint cannot be active anywhere in that ball is zero at
//! every optimum. With `A_j = x_jᵀR/n − l2 w_j` and `h_j = ‖x_j‖²/n` the test is
//!
//! ```text
//! s Ω*(A_j) + √(2 (h_j + l2) gap) < l1     ⟹   W*_j = 0
//! ```
//!
//! The solver applies it at every outer check, including the first check of
//! each alpha along a path (the warm start's gap at the new alpha), to zero
//! rows only. A screened row leaves the working set and its gradient is not
//! recomputed for the rest of the fit; the final certificate is still the full
//! duality gap (see [`crate::solver::solve_from`]).

/// Relative slack added to the gap before the test: the computed gap can be
/// below the true one by rounding (about `ε ‖Y‖²/n` per term); screening must
/// never act on that.
const GAP_ROUNDING: f64 = 64.0 * f64::EPSILON;

/// Which rows are screened out of the current fit.
#[derive(Debug, Clone, Default)]
pub struct Screened {
    rows: Vec<bool>,
    count: usize,
}

/// The inputs of one screening pass.
#[derive(Debug, Clone, Copy)]
pub struct Sphere {
    /// Weight of Ω (`alpha · l1_ratio`).
    pub l1: f64,
    /// Weight of the ridge (`alpha · (1 − l1_ratio)`).
    pub l2: f64,
    /// Dual scaling `s ∈ (0, 1]` of the gap's dual point.
    pub scale: f64,
    /// The duality gap (objective scale 1/n).
    pub gap: f64,
    /// `‖Y‖²/n`, the scale of the rounding slack.
    pub y_sq: f64,
}

impl Sphere {
    /// Whether a zero row with curvature `h` (`‖x_j‖²/n`) and gradient dual norm
    /// at most `dual_norm` is provably zero at the optimum.
    #[inline]
    pub fn excludes(&self, h: f64, dual_norm: f64) -> bool {
        let gap = self.gap.max(0.0) + GAP_ROUNDING * self.y_sq;
        self.scale * dual_norm + (2.0 * (h.max(0.0) + self.l2) * gap).sqrt() < self.l1
    }
}

impl Screened {
    /// Nothing screened, for `p` rows.
    pub fn new(p: usize) -> Self {
        Self {
            rows: vec![false; p],
            count: 0,
        }
    }

    /// Whether row j is screened out.
    #[inline]
    pub fn contains(&self, j: usize) -> bool {
        self.rows.get(j).copied().unwrap_or(false)
    }

    /// Number of screened rows.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The screened rows, in increasing order.
    pub fn rows(&self) -> Vec<usize> {
        (0..self.rows.len()).filter(|&j| self.rows[j]).collect()
    }

    /// One screening pass: every candidate row `j` (not yet screened) for which
    /// `bound(j)` gives `(h_j, an upper bound on Ω*(∇_j f))` and the sphere
    /// excludes it is screened. The caller passes only zero, penalised rows.
    /// Returns how many rows were added.
    pub fn screen(
        &mut self,
        sphere: &Sphere,
        candidates: impl Iterator<Item = usize>,
        mut bound: impl FnMut(usize) -> Option<(f64, f64)>,
    ) -> usize {
        let before = self.count;
        for j in candidates {
            if self.rows[j] {
                continue;
            }
            if let Some((h, norm)) = bound(j)
                && sphere.excludes(h, norm)
            {
                self.rows[j] = true;
                self.count += 1;
            }
        }
        self.count - before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sphere_test_is_strict_and_uses_the_ridge() {
        let s = Sphere {
            l1: 1.0,
            l2: 0.0,
            scale: 1.0,
            gap: 0.0,
            y_sq: 0.0,
        };
        assert!(s.excludes(1.0, 0.999));
        assert!(!s.excludes(1.0, 1.0));
        // radius √(2 h gap) = 0.5 with h = 1, gap = 1/8
        let s = Sphere { gap: 0.125, ..s };
        assert!(s.excludes(1.0, 0.49));
        assert!(!s.excludes(1.0, 0.51));
        // the ridge widens the ball: √(2 (1 + 1) / 8) = 0.7071…
        let s = Sphere { l2: 1.0, ..s };
        assert!(!s.excludes(1.0, 0.30));
        assert!(s.excludes(1.0, 0.29));
        let mut screened = Screened::new(4);
        let added = screened.screen(&s, 0..4, |j| Some((1.0, 0.1 * j as f64)));
        assert_eq!((added, screened.count()), (3, 3));
        assert!(screened.contains(2) && !screened.contains(3));
        assert_eq!(screened.rows(), [0, 1, 2]);
        // already screened rows are not counted twice
        assert_eq!(screened.screen(&s, 0..4, |_| Some((1.0, 0.0))), 1);
    }
}
