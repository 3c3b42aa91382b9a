//! Penalties by name: the built-in [`PenaltyFamily`]s, the run-time handle
//! [`Family`] the estimators hold, and the registry ([`registered`]) that
//! gives a family its name in the CLI (`--penalty NAME`).
//!
//! Adding a penalty is its own file (the [`Penalty`](crate::penalty::Penalty)
//! or whole-matrix math, and its [`PenaltyFamily`]) plus one line in
//! [`registered`]; see `docs/extending.md`.

use crate::error::{Error, Result};
use crate::model::Description;
use crate::path::{Alphas, Path, Settings};
use crate::penalty::{Coupled, L1, L21, Sparsity};
use crate::problem::{Bcd, PenaltyFamily, Problem, elastic_alpha_max};
use faer::{Mat, MatRef};
use std::sync::Arc;

/// The penalties known by name, in the order the CLI lists them. **One line
/// per penalty**: register a new [`PenaltyFamily`] here.
pub fn registered() -> Vec<Family> {
    vec![
        Family::new(GroupLasso),     // l21
        Family::new(EntrywiseLasso), // l1
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
    pub fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> f64 {
        self.0.alpha_max(grad0, l1_ratio)
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
    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> f64;
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
    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> f64 {
        PenaltyFamily::alpha_max(self, grad0, l1_ratio)
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

/// `l21`: `α ρ Σ_j ‖w_j‖₂ + α (1 − ρ)/2 ‖W‖²_F` (scikit-learn's
/// `MultiTaskElasticNet`): tasks share their support.
#[derive(Debug, Clone, Copy)]
pub struct GroupLasso;

impl PenaltyFamily for GroupLasso {
    type Penalty = Bcd<L21>;
    fn name(&self) -> &str {
        "l21"
    }
    fn about(&self) -> &str {
        "Row-group L21: tasks share their support"
    }
    fn penalty(&self, alpha: f64, l1_ratio: f64) -> Result<Bcd<L21>> {
        Ok(Bcd(L21::new(alpha, l1_ratio)))
    }
    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> f64 {
        elastic_alpha_max(Sparsity::Group, grad0, l1_ratio)
    }
    fn sparsity(&self) -> Option<Sparsity> {
        Some(Sparsity::Group)
    }
}

/// `l1`: `α ρ Σ_{j,t} |w_jt| + α (1 − ρ)/2 ‖W‖²_F`: each task has its own
/// support.
#[derive(Debug, Clone, Copy)]
pub struct EntrywiseLasso;

impl PenaltyFamily for EntrywiseLasso {
    type Penalty = Bcd<L1>;
    fn name(&self) -> &str {
        "l1"
    }
    fn about(&self) -> &str {
        "Entrywise L1: each task has its own support"
    }
    fn penalty(&self, alpha: f64, l1_ratio: f64) -> Result<Bcd<L1>> {
        Ok(Bcd(L1::new(alpha, l1_ratio)))
    }
    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> f64 {
        elastic_alpha_max(Sparsity::Entrywise, grad0, l1_ratio)
    }
    fn sparsity(&self) -> Option<Sparsity> {
        Some(Sparsity::Entrywise)
    }
}

/// `α ρ Ω(W) + ½ Σ_j w_jᵀ (α(1 − ρ) I + C) w_j`: an elastic-type penalty with
/// a task coupling C (λ L for a graph, λ2 Σ⁻¹ for learned relations).
#[derive(Debug, Clone)]
struct CoupledFamily {
    sparsity: Sparsity,
    coupling: Mat<f64>,
}

impl PenaltyFamily for CoupledFamily {
    type Penalty = Bcd<Coupled>;
    fn name(&self) -> &str {
        match self.sparsity {
            Sparsity::Group => "l21",
            Sparsity::Entrywise => "l1",
        }
    }
    fn penalty(&self, alpha: f64, l1_ratio: f64) -> Result<Bcd<Coupled>> {
        let ridge = alpha * (1.0 - l1_ratio);
        let c = &self.coupling;
        let t = c.nrows();
        let m = Mat::from_fn(t, t, |i, j| c[(i, j)] + if i == j { ridge } else { 0.0 });
        Ok(Bcd(Coupled::new(alpha * l1_ratio, self.sparsity, m)?))
    }
    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> f64 {
        elastic_alpha_max(self.sparsity, grad0, l1_ratio)
    }
}

/// The pooled form (`W = w 1ᵀ`, on the stacked problem of
/// [`Problem::prepare_pooled`]): `Ω(w 1ᵀ) = Ω(1_T) Σ_j |w_j|` with
/// `Ω(1_T) = √T` (L21) or `T` (L1), and ridge `α(1 − ρ) T/2 ‖w‖²`: a
/// single-task elastic net.
#[derive(Debug, Clone)]
struct PooledFamily {
    sparsity: Sparsity,
    n_tasks: usize,
}

impl PooledFamily {
    /// `Ω(1_T)`.
    fn omega(&self) -> f64 {
        let tf = self.n_tasks as f64;
        match self.sparsity {
            Sparsity::Group => tf.sqrt(),
            Sparsity::Entrywise => tf,
        }
    }
}

impl PenaltyFamily for PooledFamily {
    type Penalty = Bcd<L21>;
    fn name(&self) -> &str {
        "pooled"
    }
    fn penalty(&self, alpha: f64, l1_ratio: f64) -> Result<Bcd<L21>> {
        Ok(Bcd(L21::from_weights(
            alpha * l1_ratio * self.omega(),
            alpha * (1.0 - l1_ratio) * self.n_tasks as f64,
        )))
    }
    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> f64 {
        let gmax = (0..grad0.ncols()).fold(0.0f64, |m, j| m.max(grad0[(0, j)].abs()));
        gmax / (l1_ratio * self.omega())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_are_unique_and_found() {
        let names: Vec<String> = registered().iter().map(|f| f.name().to_string()).collect();
        assert_eq!(names, ["l21", "l1"]);
        assert_eq!(by_name("l1").unwrap().sparsity(), Some(Sparsity::Entrywise));
        assert!(by_name("nope").is_none());
    }
}
