//! Approximately low-rank matrices with a bell-shaped singular spectrum.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use rand_chacha::ChaCha8Rng;

use super::{check_positive, check_size, check_tail_strength, rng, standard_normal_mat};
use crate::{Error, Result};

/// A mostly low-rank `n_samples x n_features` matrix with bell-shaped singular
/// values, as scikit-learn's `make_low_rank_matrix`.
///
/// With `k = min(n_samples, n_features)`, the result is `U diag(s) V^T` where `U`
/// (`n_samples x k`) and `V` (`n_features x k`) are the thin `Q` factors of QR
/// factorizations of standard-normal matrices (random orthonormal columns) and
///
/// ```text
/// s_i = (1 - tail_strength) * exp(-(i / effective_rank)^2)
///     + tail_strength * exp(-0.1 * i / effective_rank),      i = 0, ..., k - 1.
/// ```
///
/// The first term is the low-rank "signal" (about `effective_rank` singular values
/// carry most of it); the second is a slowly decaying tail, so the matrix is never
/// exactly rank-deficient when `tail_strength > 0`. These are exactly the singular
/// values of the result (up to rounding). scikit-learn's defaults are
/// `n_samples = 100`, `n_features = 100`, `effective_rank = 10`,
/// `tail_strength = 0.5`.
///
/// The draws come from `ChaCha8Rng::seed_from_u64(seed)`: portable, but not the
/// same numbers as scikit-learn for the same seed.
///
/// # Errors
///
/// [`Error::InvalidParameter`] when `n_samples`, `n_features` or `effective_rank`
/// is zero, when `tail_strength` is not in `[0, 1]`, or when the matrices would be
/// too large to allocate.
///
/// # Example
///
/// ```
/// use mtreg::generate::make_low_rank_matrix;
///
/// let x = make_low_rank_matrix(50, 20, 5, 0.1, 42)?;
/// assert_eq!((x.nrows(), x.ncols()), (50, 20));
/// Ok::<(), mtreg::Error>(())
/// ```
pub fn make_low_rank_matrix(
    n_samples: usize,
    n_features: usize,
    effective_rank: usize,
    tail_strength: f64,
    seed: u64,
) -> Result<Mat<f64>> {
    low_rank_matrix_with_rng(
        n_samples,
        n_features,
        effective_rank,
        tail_strength,
        &mut rng(seed),
    )
}

/// [`make_low_rank_matrix`] drawing from a caller's generator (`U`'s Gaussian
/// matrix first, then `V`'s, each column by column).
pub(crate) fn low_rank_matrix_with_rng(
    n_samples: usize,
    n_features: usize,
    effective_rank: usize,
    tail_strength: f64,
    rng: &mut ChaCha8Rng,
) -> Result<Mat<f64>> {
    check_positive("n_samples", n_samples)?;
    check_positive("n_features", n_features)?;
    check_positive("effective_rank", effective_rank)?;
    check_tail_strength(tail_strength)?;
    check_size(("n_samples", n_samples), ("n_features", n_features))?;

    let k = n_samples.min(n_features);
    let u = orthonormal_columns(rng, n_samples, k)?;
    let v = orthonormal_columns(rng, n_features, k)?;
    let s = singular_profile(k, effective_rank, tail_strength);

    // U diag(s): scale the columns of U.
    let mut us = u;
    for (j, &sj) in s.iter().enumerate() {
        for i in 0..n_samples {
            us[(i, j)] *= sj;
        }
    }
    let mut x = Mat::<f64>::zeros(n_samples, n_features);
    matmul(
        x.as_mut(),
        Accum::Replace,
        us.as_ref(),
        v.as_ref().transpose(),
        1.0,
        Par::Seq,
    );
    Ok(x)
}

/// `nrows x ncols` (`ncols <= nrows`) matrix with orthonormal columns: the thin `Q`
/// of the QR factorization of a standard-normal matrix.
fn orthonormal_columns(rng: &mut ChaCha8Rng, nrows: usize, ncols: usize) -> Result<Mat<f64>> {
    let g = standard_normal_mat(rng, nrows, ncols);
    let q = g.qr().compute_thin_Q();
    if q.nrows() != nrows || q.ncols() != ncols {
        return Err(Error::Linalg(format!(
            "thin QR returned a {} x {} Q for a {nrows} x {ncols} matrix",
            q.nrows(),
            q.ncols()
        )));
    }
    if !q.as_ref().is_all_finite() {
        return Err(Error::Linalg(
            "thin QR of a Gaussian matrix produced non-finite values".into(),
        ));
    }
    Ok(q)
}

/// The `k` singular values `s_i = (1 - t) exp(-(i / r)^2) + t exp(-0.1 i / r)`,
/// non-increasing in `i`.
pub(crate) fn singular_profile(k: usize, effective_rank: usize, tail_strength: f64) -> Vec<f64> {
    let r = effective_rank as f64;
    (0..k)
        .map(|i| {
            let x = i as f64 / r;
            (1.0 - tail_strength) * (-(x * x)).exp() + tail_strength * (-0.1 * x).exp()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_profile(x: &Mat<f64>, r: usize, t: f64) {
        let k = x.nrows().min(x.ncols());
        let got = x.singular_values().expect("svd converges");
        let want = singular_profile(k, r, t);
        assert_eq!(got.len(), k);
        for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
            // Relative accuracy where the value is well above the SVD's absolute
            // rounding floor (~1e-15 * s_0 = 1e-15), absolute below it.
            let err = (g - w).abs();
            let tol = if w > 1e-6 { 1e-8 * w } else { 1e-13 };
            assert!(err <= tol, "s[{i}]: got {g:e}, want {w:e} (err {err:e})");
        }
    }

    #[test]
    fn shape_tall_wide_and_square() {
        for (n, p) in [(30, 7), (7, 30), (12, 12), (1, 5), (5, 1), (1, 1)] {
            let x = make_low_rank_matrix(n, p, 3, 0.5, 1).unwrap();
            assert_eq!((x.nrows(), x.ncols()), (n, p));
            assert!(x.as_ref().is_all_finite());
        }
    }

    #[test]
    fn singular_values_follow_the_profile() {
        for &(n, p, r, t) in &[
            (200, 50, 5, 0.5),
            (40, 120, 10, 0.1),
            (60, 60, 3, 1.0),
            (80, 30, 4, 0.0),
            (25, 25, 100, 0.7),
        ] {
            let x = make_low_rank_matrix(n, p, r, t, 11).unwrap();
            assert_profile(&x, r, t);
        }
    }

    #[test]
    fn profile_formula_values() {
        let s = singular_profile(4, 2, 0.25);
        assert_eq!(s[0], 1.0);
        let want1 = 0.75 * (-0.25f64).exp() + 0.25 * (-0.05f64).exp();
        assert!((s[1] - want1).abs() < 1e-15);
        assert!(s.windows(2).all(|w| w[1] < w[0]));
        // No tail: pure Gaussian bell; full tail: pure exponential.
        let bell = singular_profile(3, 1, 0.0);
        assert!((bell[2] - (-4.0f64).exp()).abs() < 1e-15);
        let tail = singular_profile(3, 1, 1.0);
        assert!((tail[2] - (-0.2f64).exp()).abs() < 1e-15);
    }

    #[test]
    fn energy_is_concentrated_in_the_effective_rank() {
        // Without a tail, the first 4 * r singular values hold all the energy but
        // about exp(-2 * 16) relative, and s_{4r} = exp(-16) ~ 1.1e-7.
        let x = make_low_rank_matrix(100, 80, 4, 0.0, 5).unwrap();
        let s = x.singular_values().unwrap();
        let total: f64 = s.iter().map(|v| v * v).sum();
        let head: f64 = s[..16].iter().map(|v| v * v).sum();
        assert!(head / total > 1.0 - 1e-12, "head fraction {}", head / total);
        assert!(
            s[16] < 2e-7 && s[15] > 1e-7,
            "s[15] = {:e}, s[16] = {:e}",
            s[15],
            s[16]
        );
        // With a full tail the spectrum decays only exponentially (no low rank).
        let x = make_low_rank_matrix(100, 80, 4, 1.0, 5).unwrap();
        let s = x.singular_values().unwrap();
        assert!(s[79] > 0.1, "s[79] = {:e}", s[79]);
    }

    #[test]
    fn deterministic_in_the_seed() {
        let a = make_low_rank_matrix(20, 15, 4, 0.3, 9).unwrap();
        let b = make_low_rank_matrix(20, 15, 4, 0.3, 9).unwrap();
        let c = make_low_rank_matrix(20, 15, 4, 0.3, 10).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        // The public function is the internal one on a freshly seeded generator.
        let d = low_rank_matrix_with_rng(20, 15, 4, 0.3, &mut rng(9)).unwrap();
        assert_eq!(a, d);
    }

    #[test]
    fn invalid_parameters_are_errors() {
        let bad = [
            make_low_rank_matrix(0, 5, 2, 0.5, 0),
            make_low_rank_matrix(5, 0, 2, 0.5, 0),
            make_low_rank_matrix(5, 5, 0, 0.5, 0),
            make_low_rank_matrix(5, 5, 2, -0.1, 0),
            make_low_rank_matrix(5, 5, 2, 1.5, 0),
            make_low_rank_matrix(5, 5, 2, f64::NAN, 0),
            make_low_rank_matrix(usize::MAX / 4, 8, 2, 0.5, 0),
        ];
        let names = [
            "n_samples",
            "n_features",
            "effective_rank",
            "tail_strength",
            "tail_strength",
            "tail_strength",
            "n_samples",
        ];
        for (res, want) in bad.into_iter().zip(names) {
            match res {
                Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, want),
                other => panic!("expected InvalidParameter({want}), got {other:?}"),
            }
        }
    }
}
