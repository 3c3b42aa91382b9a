//! Penalties by name: the run-time handle [`Family`] the estimators hold,
//! the registry ([`registered`]) that gives a family its name in the CLI
//! (`--penalty NAME`) and MODEL.json, and the built-in families (one file
//! each: [`elastic`] holds `l21` and `l1` with their coupled and pooled
//! forms).
//!
//! Adding a penalty is its own file here (its [`PenaltyFamily`], over a
//! [`Penalty`](crate::penalty::Penalty) for block coordinate descent or its
//! own [`Solve`](crate::problem::Solve)r), a `mod` line, and one line in
//! [`registered`]; see `docs/extending.md`.

mod cluster;
pub mod elastic;
mod split;
mod trace;

pub use cluster::Clustered;
pub use elastic::{EntrywiseLasso, GroupLasso};
pub use split::{OutlierTasks, SharedSpecific};
pub use trace::LowRank;

use crate::error::{Error, Result};
use crate::fitted::Description;
use crate::path::{Alphas, Path, Settings};

use crate::penalty::{GroupNorm, Sparsity};
use crate::problem::{PenaltyFamily, Problem};
use elastic::{CoupledFamily, PooledFamily};
use faer::{Mat, MatRef};
use std::sync::Arc;

/// The penalties known by name, in the order the CLI lists them. **One line
/// per penalty**: register a new [`PenaltyFamily`] here. Families with
/// parameters of their own are registered with default parameters (the
/// CLI builds them from its flags: `--alpha-specific`, `--group-norm`,
/// `--clusters`, `--cluster-ridge`).
pub fn registered() -> Vec<Family> {
    vec![
        Family::new(GroupLasso),                                // l21
        Family::new(EntrywiseLasso),                            // l1
        Family::new(LowRank),                                   // trace
        Family::new(SharedSpecific::new(1.0, GroupNorm::LInf)), // dirty
        Family::new(OutlierTasks::new(1.0)),                    // robust
        Family::new(Clustered::new(2, 1.0)),                    // clustered
    ]
}

/// A registered penalty by its [`name`](PenaltyFamily::name).
pub fn by_name(name: &str) -> Option<Family> {
    registered().into_iter().find(|f| f.name() == name)
}

/// A [`PenaltyFamily`] chosen at run time: what the estimators hold (see
/// [`GraphMultiTask::penalty`](crate::GraphMultiTask::penalty)).
///
/// The solver is still statically dispatched: the family is called once per
/// path, and runs the sweep instantiated for its own penalty type.
#[derive(Clone)]
pub struct Family(Arc<dyn Erased>);

impl Family {
    /// Wraps a penalty family.
    pub fn new<F: PenaltyFamily>(family: F) -> Self {
        Self(Arc::new(family))
    }

    /// Its name (`l21`, `l1`, …).
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// One line for the CLI's help.
    pub fn about(&self) -> &str {
        self.0.about()
    }

    /// See [`PenaltyFamily::sparsity`].
    pub fn sparsity(&self) -> Option<Sparsity> {
        self.0.sparsity()
    }

    /// See [`PenaltyFamily::alpha_max`].
    ///
    /// # Errors
    /// As [`PenaltyFamily::alpha_max`].
    pub fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> Result<f64> {
        self.0.alpha_max(grad0, l1_ratio)
    }

    /// See [`PenaltyFamily::describe`].
    pub fn describe(&self, description: &mut Description) {
        self.0.describe(description)
    }

    /// [`crate::path::run`] for this family.
    pub(crate) fn run(
        &self,
        problem: &mut Problem,
        settings: &Settings,
        alphas: Alphas<'_>,
        start: Option<&Mat<f64>>,
        description: &Arc<Description>,
    ) -> Result<Path> {
        self.0.run(problem, settings, alphas, start, description)
    }

    /// This family with a task coupling `C` (T × T, positive semi-definite)
    /// added to its ridge: `α ρ Ω(W) + ½ Σ_j w_jᵀ (α(1 − ρ) I + C) w_j`.
    ///
    /// # Errors
    /// `InvalidParameter` if the family has no coupled form
    /// ([`PenaltyFamily::sparsity`] is `None`).
    pub(crate) fn coupled(&self, coupling: Mat<f64>) -> Result<Family> {
        let sparsity = self.elastic("a task coupling (graph or learned relations)")?;
        Ok(Family::new(CoupledFamily { sparsity, coupling }))
    }

    /// The pooled form of this family for T tasks (`W = w 1ᵀ`).
    ///
    /// # Errors
    /// As [`coupled`](Self::coupled).
    pub(crate) fn pooled(&self, n_tasks: usize) -> Result<Family> {
        let sparsity = self.elastic("the pooled model")?;
        Ok(Family::new(PooledFamily { sparsity, n_tasks }))
    }

    fn elastic(&self, what: &'static str) -> Result<Sparsity> {
        self.sparsity().ok_or_else(|| {
            Error::Incompatible(format!(
                "the penalty {:?} has no form for {what} (only l21 and l1 have)",
                self.name()
            ))
        })
    }
}

impl std::fmt::Debug for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Family({:?})", self.name())
    }
}

impl From<Sparsity> for Family {
    fn from(s: Sparsity) -> Self {
        match s {
            Sparsity::Group => Family::new(GroupLasso),
            Sparsity::Entrywise => Family::new(EntrywiseLasso),
        }
    }
}

/// What [`GraphMultiTask::penalty`](crate::GraphMultiTask::penalty) and
/// [`RelationLearning::penalty`](crate::RelationLearning::penalty) accept: a
/// [`Sparsity`], a [`Family`], or any [`PenaltyFamily`].
pub trait IntoFamily {
    /// The run-time handle.
    fn into_family(self) -> Family;
}

impl IntoFamily for Family {
    fn into_family(self) -> Family {
        self
    }
}

impl IntoFamily for Sparsity {
    fn into_family(self) -> Family {
        Family::from(self)
    }
}

impl<F: PenaltyFamily> IntoFamily for F {
    fn into_family(self) -> Family {
        Family::new(self)
    }
}

/// [`PenaltyFamily`] without its type: what [`Family`] holds.
trait Erased: Send + Sync {
    fn name(&self) -> &str;
    fn about(&self) -> &str;
    fn sparsity(&self) -> Option<Sparsity>;
    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> Result<f64>;
    fn describe(&self, description: &mut Description);
    fn run(
        &self,
        problem: &mut Problem,
        settings: &Settings,
        alphas: Alphas<'_>,
        start: Option<&Mat<f64>>,
        description: &Arc<Description>,
    ) -> Result<Path>;
}

impl<F: PenaltyFamily> Erased for F {
    fn name(&self) -> &str {
        PenaltyFamily::name(self)
    }
    fn about(&self) -> &str {
        PenaltyFamily::about(self)
    }
    fn sparsity(&self) -> Option<Sparsity> {
        PenaltyFamily::sparsity(self)
    }
    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> Result<f64> {
        PenaltyFamily::alpha_max(self, grad0, l1_ratio)
    }
    fn describe(&self, description: &mut Description) {
        PenaltyFamily::describe(self, description)
    }
    fn run(
        &self,
        problem: &mut Problem,
        settings: &Settings,
        alphas: Alphas<'_>,
        start: Option<&Mat<f64>>,
        description: &Arc<Description>,
    ) -> Result<Path> {
        crate::path::run(problem, self, settings, alphas, start, description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_are_unique_and_found() {
        let names: Vec<String> = registered().iter().map(|f| f.name().to_string()).collect();
        assert_eq!(
            names,
            ["l21", "l1", "trace", "dirty", "robust", "clustered"]
        );
        assert_eq!(by_name("l1").unwrap().sparsity(), Some(Sparsity::Entrywise));
        assert!(by_name("nope").is_none());
    }
}
