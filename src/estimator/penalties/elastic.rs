//! The elastic-type penalties `α ρ Ω(W) + α (1 − ρ)/2 ‖W‖²_F` with Ω the
//! row-group L21 norm (`l21`, scikit-learn's `MultiTaskElasticNet`) or the
//! entrywise L1 norm (`l1`), and their two derived forms: with a task
//! coupling (graphs, learned relations) and pooled (`W = w 1ᵀ`).

use crate::error::Result;
use crate::penalty::{Coupled, L1, L21, Sparsity};
use crate::problem::{Bcd, PenaltyFamily, elastic_alpha_max};
use faer::{Mat, MatRef};

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
    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> Result<f64> {
        Ok(elastic_alpha_max(Sparsity::Group, grad0, l1_ratio))
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
    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> Result<f64> {
        Ok(elastic_alpha_max(Sparsity::Entrywise, grad0, l1_ratio))
    }
    fn sparsity(&self) -> Option<Sparsity> {
        Some(Sparsity::Entrywise)
    }
}

/// `α ρ Ω(W) + ½ Σ_j w_jᵀ (α(1 − ρ) I + C) w_j`: an elastic-type penalty with
/// a task coupling C (λ L for a graph, λ2 Σ⁻¹ for learned relations).
#[derive(Debug, Clone)]
pub(crate) struct CoupledFamily {
    pub(crate) sparsity: Sparsity,
    pub(crate) coupling: Mat<f64>,
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
    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> Result<f64> {
        Ok(elastic_alpha_max(self.sparsity, grad0, l1_ratio))
    }
}

/// The pooled form (`W = w 1ᵀ`, on the stacked problem of
/// [`Problem::prepare_pooled`](crate::problem::Problem::prepare_pooled)): `Ω(w 1ᵀ) = Ω(1_T) Σ_j |w_j|` with
/// `Ω(1_T) = √T` (L21) or `T` (L1), and ridge `α(1 − ρ) T/2 ‖w‖²`: a
/// single-task elastic net.
#[derive(Debug, Clone)]
pub(crate) struct PooledFamily {
    pub(crate) sparsity: Sparsity,
    pub(crate) n_tasks: usize,
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
    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> Result<f64> {
        let gmax = (0..grad0.ncols()).fold(0.0f64, |m, j| m.max(grad0[(0, j)].abs()));
        Ok(gmax / (l1_ratio * self.omega()))
    }
}
