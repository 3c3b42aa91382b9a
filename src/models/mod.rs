//! Engine-level pieces of the shared-representation models that are not a
//! penalty: closed forms and alternations built on the datafits, penalties and
//! solvers (see docs/models.md for the objectives).
//!
//! - [`ReducedRank`]: reduced-rank regression (rank-constrained least squares,
//!   optional ridge) in closed form, every rank from one SVD.
//! - [`noise_weights()`]: task weights from the data, the maximum-likelihood
//!   weighting of tasks with unequal noise, by alternation.
//!
//! The penalised models (trace norm, dirty, robust, clustered) are penalties
//! ([`crate::penalty::ProxPenalty`]) solved by [`crate::solver::apg`].

pub mod noise_weights;
pub mod rrr;

pub use noise_weights::{
    Likelihood, NoiseWeightOptions, NoiseWeights, WeightedFit, noise_weights,
    noise_weights_per_task,
};
pub use rrr::ReducedRank;
