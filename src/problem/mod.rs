//! The problem-preparation pipeline: a [`Data`] input, prepared once into a
//! [`Problem`], fitted with a [`PenaltyFamily`] whose penalty names its
//! solver ([`Solve`]).
//!
//! ```text
//! Data ──prepare──▶ Problem ──PenaltyFamily::alpha_max(grad0)──▶ alpha grid
//!   (X, Y | X_t, y_t, c_t | stats)    │
//!                                      └─ sweep over alphas (crate::path): penalty(alpha) → Solve::solve
//!                                         warm-started → Fit (original scale)
//! ```
//!
//! 1. **Prepare once** ([`Problem::prepare`]): validate, centre (with an
//!    intercept), standardise (optionally), build the datafit (residuals or a
//!    Gram matrix for a shared design, per-task residuals for per-task designs)
//!    and compute `−∇f(0)` (`XᵀY/n`) and the tolerance scale (`‖Y‖²/n`).
//! 2. **alpha_max** is the dual norm of `−∇f(0)` under the penalty's sparsity
//!    part, divided by ρ ([`PenaltyFamily::alpha_max`]): no fit is needed.
//! 3. **Sweep** ([`crate::path`]): the alphas from the largest down, a fresh
//!    penalty per alpha, each solve warm-started at the previous solution on
//!    the same datafit; W = 0 is certified without iterating at alpha ≥
//!    alpha_max.
//!
//! Fits, paths, cross-validation folds, the refit and the alternations of
//! learned relations all go through these steps; the estimators only choose
//! the penalty family and the preparation.

mod data;
mod family;
mod prepared;

pub use data::{Data, Source};
pub use family::{Apg, Bcd, Details, PenaltyFamily, Solve};
pub use prepared::{GramMode, Preprocessing, Problem};

pub(crate) use family::elastic_alpha_max;
pub(crate) use prepared::{AnyDatafit, Inverse, with_datafit};
