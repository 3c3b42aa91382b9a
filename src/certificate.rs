//! Optimality certificates: how far a returned solution is from optimal.
//!
//! Every solver result carries a [`Certificate`]. For the shared-design multi-task
//! elastic net it is the duality gap (scikit-learn's `dual_gap_`, objective scaled by
//! 1/n); for models without a closed-form dual it is the KKT residual, the largest
//! distance, over feature rows, of `-∇_j f(W)` to the subdifferential of the penalty
//! at `W_j`. Both are `0` exactly at an optimum.

use serde::{Deserialize, Serialize};

/// A bound on sub-optimality together with the threshold the solver aimed for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Certificate {
    /// Primal objective minus a dual objective, in the objective's units (1/n
    /// scaling): an upper bound on `P(W) - P(W*)`.
    DualGap {
        /// The gap `P(W) - D(θ)` (≥ 0 up to rounding).
        value: f64,
        /// The stopping threshold `tol · ‖Y‖²_F / n`.
        tol: f64,
    },
    /// Largest distance of the negative gradient to the penalty's subdifferential.
    Kkt {
        /// `max_j dist(-∇_j f(W), ∂g_j(W_j))`.
        value: f64,
        /// The stopping threshold.
        tol: f64,
    },
}

impl Certificate {
    /// The certified quantity (gap or KKT residual).
    pub fn value(&self) -> f64 {
        match *self {
            Certificate::DualGap { value, .. } | Certificate::Kkt { value, .. } => value,
        }
    }

    /// The threshold the solver stops at.
    pub fn tol(&self) -> f64 {
        match *self {
            Certificate::DualGap { tol, .. } | Certificate::Kkt { tol, .. } => tol,
        }
    }

    /// `value <= tol`.
    pub fn is_satisfied(&self) -> bool {
        self.value() <= self.tol()
    }

    /// `"dual_gap"` or `"kkt"`, as written to MODEL.json.
    pub fn kind(&self) -> &'static str {
        match self {
            Certificate::DualGap { .. } => "dual_gap",
            Certificate::Kkt { .. } => "kkt",
        }
    }
}

impl std::fmt::Display for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:.3e} (tol {:.3e})",
            self.kind(),
            self.value(),
            self.tol()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_and_json_shape() {
        let c = Certificate::DualGap {
            value: 1e-9,
            tol: 1e-8,
        };
        assert!(c.is_satisfied());
        assert_eq!(c.kind(), "dual_gap");
        let js = serde_json::to_value(c).unwrap();
        assert_eq!(js["kind"], "dual_gap");
        assert_eq!(js["value"], 1e-9);
        let k = Certificate::Kkt {
            value: 2.0,
            tol: 1.0,
        };
        assert!(!k.is_satisfied());
        assert_eq!(serde_json::to_value(k).unwrap()["kind"], "kkt");
    }
}
