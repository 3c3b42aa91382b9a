//! Synthetic multi-task regression data, after scikit-learn's
//! `make_regression` and `make_low_rank_matrix`.
//!
//! # The model
//!
//! [`MakeRegression`] draws a design `X` (`n_samples x n_features`), a ground-truth
//! coefficient matrix `W` (`n_features x n_targets`) with exactly `n_informative`
//! non-zero rows, and returns
//!
//! ```text
//! Y = X W + bias + noise,        noise_ij ~ Normal(0, noise^2) i.i.d.
//! ```
//!
//! * `X` is i.i.d. standard normal, or, when `effective_rank` is set, the output of
//!   [`make_low_rank_matrix`]: `U diag(s) V^T` with Haar-like orthonormal `U`, `V`
//!   and a bell-shaped singular profile with a fat tail
//!   `s_i = (1 - tail_strength) exp(-(i / r)^2) + tail_strength exp(-0.1 i / r)`.
//! * The informative rows of `W` are i.i.d. `100 * Uniform(0, 1)`; the other rows
//!   are exactly zero, so the row support of `W` is the set of relevant features —
//!   the structure the L21 (group) penalty is designed to recover.
//! * With `shuffle` (the default), the samples are permuted (rows of `X` and `Y`
//!   together), then the features (columns of `X` and rows of `W` together), so the
//!   informative features are scattered. The identity above holds for the returned
//!   matrices up to rounding.
//!
//! # Differences from scikit-learn
//!
//! * Parameters, defaults, distributions and the order of operations are those of
//!   scikit-learn, but the random stream is not NumPy's: the same seed does not give
//!   the same numbers as `random_state=seed` in Python.
//! * The generator is ChaCha8 ([`rand_chacha::ChaCha8Rng`]) seeded with
//!   `seed_from_u64(seed)`, which is portable: a seed gives the same draws on every
//!   platform. Without `effective_rank`, the whole output is bit-for-bit
//!   reproducible (`Y` is computed with plain sequential loops). With
//!   `effective_rank`, the QR factorizations and products go through faer, whose
//!   SIMD kernels may round differently on different CPUs (last-bit differences).
//! * The informative coefficients are drawn from the open interval, so they are
//!   never exactly zero (scikit-learn's `uniform` is `[0, 1)`).
//! * `Y` is always a matrix (`n_samples x n_targets`), never squeezed to a vector,
//!   and `coef` is always returned.
//! * Invalid parameters are reported as [`crate::Error::InvalidParameter`] instead of
//!   Python exceptions; nothing panics.

mod low_rank;
mod make_regression;
mod structured;

pub use low_rank::make_low_rank_matrix;
pub use make_regression::{MakeRegression, Regression};
pub use structured::{StructuredData, StructuredTasks, TaskStructure};

use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::{Error, Result};

/// The portable, seeded generator used by every function of this module.
pub(crate) fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// An `nrows x ncols` matrix of i.i.d. standard normals, drawn column by column
/// (column-major order, the storage order of faer), so the layout of the draws is
/// fixed and independent of the platform.
pub(crate) fn standard_normal_mat(rng: &mut ChaCha8Rng, nrows: usize, ncols: usize) -> Mat<f64> {
    let mut m = Mat::<f64>::zeros(nrows, ncols);
    for j in 0..ncols {
        for i in 0..nrows {
            m[(i, j)] = rng.sample(StandardNormal);
        }
    }
    m
}

/// Rejects a count of zero for a parameter that must be at least one.
pub(crate) fn check_positive(name: &'static str, value: usize) -> Result<()> {
    if value == 0 {
        return Err(Error::InvalidParameter {
            name,
            value: 0.0,
            expected: ">= 1",
        });
    }
    Ok(())
}

/// Rejects a matrix of `a.1 x b.1` elements whose size in bytes does not fit in
/// `isize` (the allocation would panic instead of failing cleanly). The error names
/// the larger of the two dimensions.
pub(crate) fn check_size(a: (&'static str, usize), b: (&'static str, usize)) -> Result<()> {
    let fits =
        a.1.checked_mul(b.1)
            .and_then(|e| e.checked_mul(size_of::<f64>()))
            .is_some_and(|bytes| bytes <= isize::MAX as usize);
    if fits {
        return Ok(());
    }
    let (name, value) = if a.1 >= b.1 { a } else { b };
    Err(Error::InvalidParameter {
        name,
        value: value as f64,
        expected: "small enough for the generated matrices to fit in memory",
    })
}

/// Rejects a `tail_strength` outside `[0, 1]` (NaN included).
pub(crate) fn check_tail_strength(tail_strength: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&tail_strength) {
        return Err(Error::InvalidParameter {
            name: "tail_strength",
            value: tail_strength,
            expected: "in [0, 1]",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_seed_dependent() {
        let a = standard_normal_mat(&mut rng(7), 5, 4);
        let b = standard_normal_mat(&mut rng(7), 5, 4);
        let c = standard_normal_mat(&mut rng(8), 5, 4);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn normal_fill_is_column_major() {
        // The first column of a 5 x 3 fill is the first 5 draws of the stream, and a
        // 15 x 1 fill is the same stream: columns are filled one after the other.
        let wide = standard_normal_mat(&mut rng(3), 5, 3);
        let tall = standard_normal_mat(&mut rng(3), 15, 1);
        for j in 0..3 {
            for i in 0..5 {
                assert_eq!(wide[(i, j)].to_bits(), tall[(5 * j + i, 0)].to_bits());
            }
        }
    }

    #[test]
    fn size_and_parameter_checks() {
        assert!(check_positive("n", 1).is_ok());
        assert!(matches!(
            check_positive("n", 0),
            Err(Error::InvalidParameter { name: "n", .. })
        ));
        assert!(check_size(("a", 1000), ("b", 1000)).is_ok());
        assert!(matches!(
            check_size(("a", 3), ("b", usize::MAX / 2)),
            Err(Error::InvalidParameter { name: "b", .. })
        ));
        assert!(matches!(
            check_size(("a", usize::MAX / 8), ("b", 2)),
            Err(Error::InvalidParameter { name: "a", .. })
        ));
        for t in [0.0, 0.3, 1.0] {
            assert!(check_tail_strength(t).is_ok());
        }
        for t in [-1e-12, 1.0 + 1e-12, f64::NAN, f64::INFINITY] {
            assert!(check_tail_strength(t).is_err());
        }
    }
}
