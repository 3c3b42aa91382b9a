//! # mtreg — multi-task linear regression
//!
//! Fits T related linear regressions jointly. The core model is the multi-task
//! elastic net of scikit-learn (`MultiTaskLasso` / `MultiTaskElasticNet`),
//! number for number:
//!
//! ```text
//! P(W) = 1/(2n) ‖Y − XW‖²_F + α ρ Σ_j ‖W_j‖₂ + α (1 − ρ)/2 ‖W‖²_F
//! ```
//!
//! with X (n × p), Y (n × T), W (p × T) and ρ = `l1_ratio`. Rows of W are zero or
//! non-zero together: the tasks share their support. Every fit carries a
//! certificate of optimality (the duality gap, scikit-learn's `dual_gap_`).
//!
//! ## Quick start
//! ```
//! use mtreg::{MultiTaskLasso, generate::MakeRegression};
//! let data = MakeRegression::new()
//!     .n_samples(60).n_features(20).n_informative(3).n_targets(4)
//!     .noise(1.0).seed(7).generate()?;
//! let amax = mtreg::alpha_max(&data.x, &data.y, 1.0, true)?;
//! let fit = MultiTaskLasso::new(0.1 * amax).tol(1e-8).fit(&data.x, &data.y)?;
//! println!("{} non-zero rows, {}", fit.n_nonzero_rows(), fit.certificate());
//! assert!(fit.certificate().is_satisfied());
//! Ok::<(), mtreg::Error>(())
//! ```
//!
//! ## Module map
//! - [`estimator`]: builder estimators ([`MultiTaskElasticNet`],
//!   [`MultiTaskLasso`], [`GraphMultiTask`], [`RelationLearning`]: each an
//!   [`Estimator`]), and the penalty families by name
//!   ([`estimator::penalties`]).
//! - [`problem`]: the fitting pipeline — a [`Data`] input (shared design,
//!   per-task designs with task weights, or sufficient statistics) prepared
//!   once into a [`Problem`](problem::Problem); the
//!   [`PenaltyFamily`](problem::PenaltyFamily) and [`Solve`](problem::Solve)
//!   traits a new penalty implements (`docs/extending.md`).
//! - [`fitted`]: the fitted model [`Fit`] (predict, score, save, load) and its
//!   [`Description`](fitted::Description).
//! - [`datafit`], [`penalty`], [`solver`]: the engine, split as in skglm — a smooth
//!   loss, a block-separable penalty, and a working-set block coordinate-descent
//!   solver generic over both, with its [`certificate`]; [`bcd`] holds the
//!   block-step kernel they share.
//! - [`models`]: closed forms and alternations of the shared-representation
//!   models (reduced-rank regression, task weights from the noise); their
//!   penalties live in [`penalty`] and are solved by [`solver::apg`].
//! - [`generate`]: scikit-learn-compatible `make_regression` and friends.
//! - [`path`], [`cv`]: regularisation paths and K-fold cross-validation.
//! - `plot` (cargo feature `plot`, on with `cli`): SVG figures (coefficient
//!   path, CV curves, task-correlation heatmap).
//! - [`stats`]: sufficient statistics (n, means, centred cross-products) for
//!   data too large for memory: accumulate in chunks, merge shards, fit with
//!   [`MultiTaskElasticNet::fit_stats`].
//! - [`io`]: CSV matrices, the statistics directory format and atomic output
//!   files (used by the `mtreg` CLI).
//! - [`interop`]: inputs as faer, nalgebra (feature `nalgebra`) or ndarray
//!   (feature `ndarray`) matrices and views, without copying, and outputs
//!   back; [`validate`]: the shape and finiteness checks every input goes
//!   through.
//!
//! Conventions: W is p × T everywhere in the API (scikit-learn's `coef_` is its
//! transpose). All arithmetic is `f64`. Sample weights
//! ([`Data::sample_weights`]) follow scikit-learn's `sample_weight`.
//!
//! ## Features
//! `cli` (default: the `mtreg` binary and `plot`), `plot` (SVG figures),
//! `nalgebra`, `ndarray`. A library user writes
//! `mtreg = { version = "0.1", default-features = false, features = ["ndarray"] }`.

#![warn(missing_docs)]
// The README (doctested with the features its examples use).
#![cfg_attr(all(feature = "nalgebra", feature = "ndarray"), doc = "")]
#![cfg_attr(all(feature = "nalgebra", feature = "ndarray"), doc = "## README")]
#![cfg_attr(all(feature = "nalgebra", feature = "ndarray"), doc = "")]
#![cfg_attr(
    all(feature = "nalgebra", feature = "ndarray"),
    doc = include_str!("../README.md")
)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod bcd;
pub mod certificate;
pub mod cv;
pub mod datafit;
pub mod error;
pub mod estimator;
pub mod fitted;
pub mod generate;
pub mod interop;
pub mod io;
pub mod linalg;
pub mod models;
pub mod path;
pub mod penalty;
#[cfg(feature = "plot")]
pub mod plot;
pub mod preprocess;
pub mod problem;
pub mod solver;
pub mod stats;
pub mod validate;

pub use certificate::Certificate;
pub use error::{Error, InputError, Result};
pub use estimator::{
    Estimator, GramMode, GraphMultiTask, MultiTaskElasticNet, MultiTaskLasso,
    ReducedRankRegression, RelationCv, RelationFit, RelationLearning, alpha_max,
};
pub use fitted::Fit;
pub use interop::MatrixInput;
pub use problem::Data;
pub use solver::Selection;
pub use stats::SufficientStats;
