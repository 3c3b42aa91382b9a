//! Penalties: the non-smooth, block-separable part `g(W) = Σ_j g_j(w_j)`.
//!
//! A penalty knows three things about one block (a feature row `w_j`, T numbers):
//! its value, the exact minimiser of a block quadratic model plus the penalty
//! ([`Penalty::block_minimize`], a proximal step), and the distance of a negative
//! gradient to its subdifferential ([`Penalty::subdiff_distance`], used for
//! KKT certificates and working-set scores).
//!
//! The ridge part of the elastic net lives in the penalty, not the datafit, as in
//! scikit-learn's update `w = ST(b, l1) / (‖x_j‖² + l2)`.
//!
//! Penalties that are not row-separable (trace norm, shared + specific
//! splits, clustered MTL) implement [`ProxPenalty`] instead, on the whole
//! iterate, for the accelerated proximal-gradient solver ([`matrix`]).

mod cluster;
mod coupling;
mod graph;
mod l1;
mod l21;
pub mod matrix;
mod split;
pub mod trace;

pub use cluster::{ClusteredMtl, cluster_eigenvalues};
pub use coupling::Coupled;
pub use graph::TaskGraph;
pub use l1::L1;
pub use l21::L21;
pub use matrix::{ConjugateRay, ProxPenalty};
pub use split::{Dirty, GroupNorm, RobustMtfl};
pub use trace::TraceNorm;

use faer::MatRef;

/// Which sparsity-inducing norm Ω an elastic-type penalty uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sparsity {
    /// `Ω(W) = Σ_j ‖w_j‖₂`: rows are zero or not together (shared support).
    Group,
    /// `Ω(W) = Σ_{j,t} |w_jt|`: per-task support.
    Entrywise,
}

impl Sparsity {
    /// `Ω` of one block.
    #[inline]
    pub fn block_norm(self, w: &[f64]) -> f64 {
        match self {
            Sparsity::Group => crate::linalg::norm(w),
            Sparsity::Entrywise => w.iter().map(|v| v.abs()).sum(),
        }
    }

    /// The dual norm of one block (`‖·‖₂` for Group, `‖·‖_∞` for Entrywise).
    #[inline]
    pub fn block_dual_norm(self, v: &[f64]) -> f64 {
        match self {
            Sparsity::Group => crate::linalg::norm(v),
            Sparsity::Entrywise => v.iter().fold(0.0f64, |m, x| m.max(x.abs())),
        }
    }
}

/// A penalty of the form `l1 · Ω(W) + l2/2 · ‖W‖²_F`, for which the closed-form
/// duality gap of [`crate::solver::gap`] applies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ElasticForm {
    /// Weight of Ω (`alpha · l1_ratio`).
    pub l1: f64,
    /// Weight of the ridge term (`alpha · (1 − l1_ratio)`).
    pub l2: f64,
    /// The norm Ω.
    pub sparsity: Sparsity,
}

/// The proximable, block-separable part of an objective.
pub trait Penalty {
    /// `g(W)` for the iterate `wt = Wᵀ` (T × p).
    fn value(&self, wt: MatRef<'_, f64>) -> f64;

    /// Writes into `out` the minimiser over `w` of `h/2 ‖w‖² − bᵀw + g_j(w)`
    /// (`h > 0`).
    ///
    /// A coordinate-descent step on a block with curvature `h`, current value
    /// `w_old` and gradient `∇_j` uses `b = h · w_old − ∇_j`. On entry `out`
    /// holds `w_old` (a warm start for penalties solved iteratively); `scratch`
    /// has at least `4T` entries of workspace.
    fn block_minimize(&self, j: usize, h: f64, b: &[f64], out: &mut [f64], scratch: &mut [f64]);

    /// `dist(−grad, ∂g_j(w))`: zero exactly when block j satisfies its optimality
    /// condition.
    fn subdiff_distance(&self, j: usize, w: &[f64], grad: &[f64]) -> f64;

    /// Whether block j is penalised at all (unpenalised blocks are always kept in
    /// the working set).
    fn is_penalized(&self, j: usize) -> bool {
        let _ = j;
        true
    }

    /// Whether a block is in the support (non-zero).
    fn in_support(&self, w: &[f64]) -> bool {
        w.iter().any(|&v| v != 0.0)
    }

    /// `Some` when the penalty is `l1 Ω + l2/2 ‖·‖²`, enabling the duality gap.
    fn elastic_form(&self) -> Option<ElasticForm> {
        None
    }

    /// The convex conjugate `g_j*(v) = sup_w vᵀw − g_j(w)` (or an upper bound on
    /// it), when it is finite everywhere; enables the Fenchel duality gap for
    /// penalties without an [`ElasticForm`]. `scratch` has at least `4T` entries.
    fn conjugate_block(&self, j: usize, v: &[f64], scratch: &mut [f64]) -> Option<f64> {
        let _ = (j, v, scratch);
        None
    }
}
