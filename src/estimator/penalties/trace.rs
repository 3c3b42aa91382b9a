//! `trace`: the trace norm (nuclear norm) plus ridge, a low-rank W.

use crate::error::Result;
use crate::penalty::TraceNorm;
use crate::problem::{Apg, PenaltyFamily};
use faer::MatRef;

/// `trace`: `α ρ ‖W‖_* + α (1 − ρ)/2 ‖W‖²_F` (`‖W‖_*` the sum of the
/// singular values of W): the tasks share a few directions, W is low-rank.
/// Solved by the accelerated proximal gradient ([`Apg`]); certificate: the
/// duality gap (the dual norm is the spectral norm); `alpha_max =
/// σ_max(XᵀY/n)/ρ`.
///
/// ```
/// use mtreg::{GraphMultiTask, estimator::penalties::LowRank};
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [1.0, 3.0]];
/// let y = faer::mat![[1.0, 2.0, -1.0], [0.5, 1.0, -0.5], [1.5, 3.0, -1.5], [2.4, 5.0, -2.5], [2.5, 5.0, -2.6]];
/// let fit = GraphMultiTask::new(0.05).penalty(LowRank).tol(1e-10).fit(&x, &y)?;
/// assert_eq!(fit.rank()?, 1); // the three tasks share one direction
/// assert_eq!(fit.certificate().kind(), "dual_gap");
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct LowRank;

impl PenaltyFamily for LowRank {
    type Penalty = Apg<TraceNorm>;

    fn name(&self) -> &str {
        "trace"
    }

    fn about(&self) -> &str {
        "Trace norm: a low-rank W (the tasks share a few directions)"
    }

    fn penalty(&self, alpha: f64, l1_ratio: f64) -> Result<Apg<TraceNorm>> {
        Ok(Apg(TraceNorm::new(alpha, l1_ratio)))
    }

    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> Result<f64> {
        TraceNorm::alpha_max(grad0, l1_ratio)
    }
}
