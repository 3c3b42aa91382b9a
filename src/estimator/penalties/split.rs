//! `dirty` and `robust`: shared + specific models, `W = P + Q`.
//!
//! The specific part's strength is a fixed multiple of alpha, `β = κ α`
//! (`alpha_specific_ratio` κ), so that a path over alpha is a path of the
//! model (W = 0 at and above alpha_max) and a cross-validation can search
//! the (α, κ) grid ([`GraphMultiTask::cross_validate_grid`](crate::GraphMultiTask::cross_validate_grid)).
//! These penalties have no ridge part: `l1_ratio` must be 1.

use crate::error::{Error, Result};
use crate::fitted::Description;
use crate::penalty::{Dirty, GroupNorm, ProxPenalty, RobustMtfl};
use crate::problem::{Apg, PenaltyFamily};
use faer::MatRef;

/// `Incompatible` unless ρ = 1 (the split models have no ridge part);
/// `InvalidParameter` unless κ is finite and > 0.
fn check(name: &str, l1_ratio: f64, ratio: f64) -> Result<()> {
    if l1_ratio != 1.0 {
        return Err(Error::Incompatible(format!(
            "the {name} penalty has no ridge part: l1_ratio must be 1, got {l1_ratio}"
        )));
    }
    if !(ratio.is_finite() && ratio > 0.0) {
        return Err(Error::InvalidParameter {
            name: "alpha_specific_ratio (alpha_specific / alpha)",
            value: ratio,
            expected: "finite and > 0",
        });
    }
    Ok(())
}

/// `dirty` (Jalali et al., NIPS 2010): `α Σ_j ‖P_j‖_q + β Σ_{j,t} |Q_jt|`
/// over `W = P + Q`, with `β = κ α` and the row norm q = ∞ (MALSAR's
/// `Least_Dirty`) or q = 2. P holds the features the tasks share, Q the
/// task-specific entries; the fit reports both
/// ([`Fit::components`](crate::Fit::components): `shared`, `specific`).
/// `alpha_max = max(max_j ‖g_j‖_{q*}, max |g_jt| / κ)` for `g = XᵀY/n`.
///
/// ```
/// use mtreg::{GraphMultiTask, estimator::penalties::SharedSpecific, penalty::GroupNorm};
/// let x = faer::mat![[1.0, 0.0, 0.5], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0], [2.0, 1.0, 0.0], [1.0, 3.0, 2.0]];
/// let y = faer::mat![[1.0, 1.2], [0.0, 0.2], [1.1, 2.3], [2.0, 2.1], [1.2, 3.5]];
/// let dirty = SharedSpecific::new(0.5, GroupNorm::LInf);
/// let fit = GraphMultiTask::new(0.05).penalty(dirty).tol(1e-10).fit(&x, &y)?;
/// let parts = fit.components().unwrap();
/// let (p, q) = (parts.get("shared").unwrap(), parts.get("specific").unwrap());
/// assert!((&p + &q - fit.coef()).norm_max() < 1e-12);
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SharedSpecific {
    ratio: f64,
    group: GroupNorm,
}

impl SharedSpecific {
    /// `β = specific_ratio · α` (finite and > 0, checked when fitting), row
    /// norm `group`.
    pub fn new(specific_ratio: f64, group: GroupNorm) -> Self {
        Self {
            ratio: specific_ratio,
            group,
        }
    }

    /// κ = β/α.
    pub fn specific_ratio(&self) -> f64 {
        self.ratio
    }

    /// The row norm of the shared part.
    pub fn group(&self) -> GroupNorm {
        self.group
    }
}

impl PenaltyFamily for SharedSpecific {
    type Penalty = Apg<Dirty>;

    fn name(&self) -> &str {
        "dirty"
    }

    fn about(&self) -> &str {
        "Dirty model: W = P + Q, shared rows P plus task-specific entries Q (--alpha-specific)"
    }

    fn penalty(&self, alpha: f64, l1_ratio: f64) -> Result<Apg<Dirty>> {
        check(self.name(), l1_ratio, self.ratio)?;
        Ok(Apg(Dirty::new(alpha, self.ratio * alpha, self.group)?))
    }

    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> Result<f64> {
        self.penalty(1.0, l1_ratio)?.0.critical_scale(grad0)
    }

    fn describe(&self, d: &mut Description) {
        d.alpha_specific_ratio = Some(self.ratio);
        d.group_norm = Some(
            match self.group {
                GroupNorm::LInf => "linf",
                GroupNorm::L2 => "l2",
            }
            .into(),
        );
    }
}

/// `robust` (robust multi-task feature learning, Gong, Ye & Zhang, KDD 2012):
/// `α Σ_j ‖P_j‖₂ + β Σ_t ‖Q_{:,t}‖₂` over `W = P + Q`, with `β = κ α`. P
/// holds the features the tasks share, Q whole columns of *outlier tasks*
/// that follow no shared pattern ([`Fit::outlier_tasks`](crate::Fit::outlier_tasks)).
/// `alpha_max = max(max_j ‖g_j‖₂, max_t ‖g_{:,t}‖₂ / κ)`.
#[derive(Debug, Clone, Copy)]
pub struct OutlierTasks {
    ratio: f64,
}

impl OutlierTasks {
    /// `β = specific_ratio · α` (finite and > 0, checked when fitting).
    pub fn new(specific_ratio: f64) -> Self {
        Self {
            ratio: specific_ratio,
        }
    }

    /// κ = β/α.
    pub fn specific_ratio(&self) -> f64 {
        self.ratio
    }
}

impl PenaltyFamily for OutlierTasks {
    type Penalty = Apg<RobustMtfl>;

    fn name(&self) -> &str {
        "robust"
    }

    fn about(&self) -> &str {
        "Robust MTFL: W = P + Q, shared rows P plus outlier-task columns Q (--alpha-specific)"
    }

    fn penalty(&self, alpha: f64, l1_ratio: f64) -> Result<Apg<RobustMtfl>> {
        check(self.name(), l1_ratio, self.ratio)?;
        Ok(Apg(RobustMtfl::new(alpha, self.ratio * alpha)?))
    }

    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> Result<f64> {
        self.penalty(1.0, l1_ratio)?.0.critical_scale(grad0)
    }

    fn describe(&self, d: &mut Description) {
        d.alpha_specific_ratio = Some(self.ratio);
    }
}
