//! Random multi-task linear regression problems with a known row-sparse truth.

use faer::Mat;
use rand::Rng;
use rand::seq::SliceRandom;
use rand_distr::{Open01, StandardNormal};

use super::low_rank::low_rank_matrix_with_rng;
use super::{check_positive, check_size, check_tail_strength, rng, standard_normal_mat};
use crate::{Error, Result};

/// A generated regression problem: `y = x * coef + bias + noise`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Regression {
    /// The design matrix, `n_samples x n_features`.
    pub x: Mat<f64>,
    /// The targets, `n_samples x n_targets`.
    pub y: Mat<f64>,
    /// The true coefficients `W`, `n_features x n_targets`: exactly
    /// `min(n_informative, n_features)` non-zero rows, with entries in `(0, 100)`.
    pub coef: Mat<f64>,
}

/// Builder for a random regression problem, with the parameters, defaults and
/// semantics of scikit-learn's `make_regression` (see the [module
/// documentation](crate::generate) for the model and the differences).
///
/// The fields are public and every field has a consuming setter of the same name;
/// nothing is validated until [`generate`](Self::generate).
///
/// # Example
///
/// ```
/// use mtreg::generate::MakeRegression;
///
/// let data = MakeRegression::new()
///     .n_samples(200)
///     .n_features(50)
///     .n_informative(5)
///     .n_targets(3)
///     .noise(0.1)
///     .seed(42)
///     .generate()?;
///
/// assert_eq!((data.x.nrows(), data.x.ncols()), (200, 50));
/// assert_eq!((data.y.nrows(), data.y.ncols()), (200, 3));
/// assert_eq!((data.coef.nrows(), data.coef.ncols()), (50, 3));
///
/// // Exactly 5 features are relevant, to all 3 tasks at once.
/// let support = (0..50)
///     .filter(|&j| (0..3).any(|t| data.coef[(j, t)] != 0.0))
///     .count();
/// assert_eq!(support, 5);
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MakeRegression {
    /// Number of samples (rows of `X` and `Y`). Default 100; must be >= 1.
    pub n_samples: usize,
    /// Number of features (columns of `X`). Default 100; must be >= 1.
    pub n_features: usize,
    /// Number of features with non-zero coefficients. Default 10; clipped to
    /// `n_features`; 0 is allowed (then `Y = bias + noise`).
    pub n_informative: usize,
    /// Number of targets (tasks, columns of `Y`). Default 1; must be >= 1.
    pub n_targets: usize,
    /// Constant added to every target. Default 0; must be finite.
    pub bias: f64,
    /// `None` (default): `X` is i.i.d. standard normal. `Some(r)`: `X` is
    /// [`make_low_rank_matrix`](super::make_low_rank_matrix) with effective rank
    /// `r >= 1`, i.e. strongly correlated features.
    pub effective_rank: Option<usize>,
    /// Weight of the fat tail of the singular spectrum when `effective_rank` is
    /// set (ignored otherwise, but still validated). Default 0.5; in `[0, 1]`.
    pub tail_strength: f64,
    /// Standard deviation of the Gaussian noise added to `Y`. Default 0; finite and
    /// >= 0.
    pub noise: f64,
    /// Permute the samples and the features. Default `true`. When `false`, the
    /// informative features are the first `n_informative` columns.
    pub shuffle: bool,
    /// Seed of the ChaCha8 generator. Default 0.
    pub seed: u64,
}

impl Default for MakeRegression {
    fn default() -> Self {
        Self {
            n_samples: 100,
            n_features: 100,
            n_informative: 10,
            n_targets: 1,
            bias: 0.0,
            effective_rank: None,
            tail_strength: 0.5,
            noise: 0.0,
            shuffle: true,
            seed: 0,
        }
    }
}

impl MakeRegression {
    /// The scikit-learn defaults: 100 samples, 100 features, 10 informative, 1
    /// target, no bias, full rank, `tail_strength = 0.5`, no noise, shuffled,
    /// seed 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the number of samples (>= 1).
    #[must_use]
    pub fn n_samples(mut self, n_samples: usize) -> Self {
        self.n_samples = n_samples;
        self
    }

    /// Sets the number of features (>= 1).
    #[must_use]
    pub fn n_features(mut self, n_features: usize) -> Self {
        self.n_features = n_features;
        self
    }

    /// Sets the number of informative features (clipped to `n_features`).
    #[must_use]
    pub fn n_informative(mut self, n_informative: usize) -> Self {
        self.n_informative = n_informative;
        self
    }

    /// Sets the number of targets (>= 1).
    #[must_use]
    pub fn n_targets(mut self, n_targets: usize) -> Self {
        self.n_targets = n_targets;
        self
    }

    /// Sets the bias added to every target (finite).
    #[must_use]
    pub fn bias(mut self, bias: f64) -> Self {
        self.bias = bias;
        self
    }

    /// Sets the effective rank of `X` (`None` for an i.i.d. Gaussian design).
    #[must_use]
    pub fn effective_rank(mut self, effective_rank: Option<usize>) -> Self {
        self.effective_rank = effective_rank;
        self
    }

    /// Sets the tail strength of the singular spectrum (in `[0, 1]`).
    #[must_use]
    pub fn tail_strength(mut self, tail_strength: f64) -> Self {
        self.tail_strength = tail_strength;
        self
    }

    /// Sets the noise standard deviation (finite, >= 0).
    #[must_use]
    pub fn noise(mut self, noise: f64) -> Self {
        self.noise = noise;
        self
    }

    /// Enables or disables the permutation of samples and features.
    #[must_use]
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// Sets the seed of the generator.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    fn validate(&self) -> Result<()> {
        check_positive("n_samples", self.n_samples)?;
        check_positive("n_features", self.n_features)?;
        check_positive("n_targets", self.n_targets)?;
        if let Some(r) = self.effective_rank {
            check_positive("effective_rank", r)?;
        }
        check_tail_strength(self.tail_strength)?;
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "noise",
                value: self.noise,
                expected: "finite and >= 0",
            });
        }
        if !self.bias.is_finite() {
            return Err(Error::InvalidParameter {
                name: "bias",
                value: self.bias,
                expected: "finite",
            });
        }
        let (n, p, t) = (
            ("n_samples", self.n_samples),
            ("n_features", self.n_features),
            ("n_targets", self.n_targets),
        );
        check_size(n, p)?;
        check_size(n, t)?;
        check_size(p, t)?;
        Ok(())
    }

    /// Draws the problem.
    ///
    /// In order, from one generator seeded with `seed`: `X` (column by column, or
    /// via [`make_low_rank_matrix`](super::make_low_rank_matrix)), the informative
    /// rows of `W` (`100 * Uniform(0, 1)`, column by column), `Y = X W + bias`, the
    /// noise (column by column), then, if `shuffle`, a permutation of the samples
    /// applied to `X` and `Y` and a permutation of the features applied to the
    /// columns of `X` and the rows of `W`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] when `n_samples`, `n_features`, `n_targets` or
    /// `effective_rank` is zero, `tail_strength` is outside `[0, 1]`, `noise` is
    /// negative or not finite, `bias` is not finite, or the matrices would be too
    /// large to allocate.
    pub fn generate(&self) -> Result<Regression> {
        self.validate()?;
        let (n, p, t) = (self.n_samples, self.n_features, self.n_targets);
        let n_inf = self.n_informative.min(p);
        let mut rng = rng(self.seed);

        let x = match self.effective_rank {
            None => standard_normal_mat(&mut rng, n, p),
            Some(r) => low_rank_matrix_with_rng(n, p, r, self.tail_strength, &mut rng)?,
        };

        let mut coef = Mat::<f64>::zeros(p, t);
        for k in 0..t {
            for j in 0..n_inf {
                let u: f64 = rng.sample(Open01);
                coef[(j, k)] = 100.0 * u;
            }
        }

        // Y = X W + bias with plain sequential loops over the informative rows only
        // (the others are zero): cheap, and bit-for-bit reproducible everywhere.
        let mut y = Mat::<f64>::zeros(n, t);
        for k in 0..t {
            for j in 0..n_inf {
                let w = coef[(j, k)];
                for i in 0..n {
                    y[(i, k)] += x[(i, j)] * w;
                }
            }
            for i in 0..n {
                y[(i, k)] += self.bias;
            }
        }

        if self.noise > 0.0 {
            for k in 0..t {
                for i in 0..n {
                    let e: f64 = rng.sample(StandardNormal);
                    y[(i, k)] += self.noise * e;
                }
            }
        }

        if !self.shuffle {
            return Ok(Regression { x, y, coef });
        }

        let mut rows: Vec<usize> = (0..n).collect();
        rows.shuffle(&mut rng);
        let mut cols: Vec<usize> = (0..p).collect();
        cols.shuffle(&mut rng);

        let x = Mat::from_fn(n, p, |i, j| x[(rows[i], cols[j])]);
        let y = Mat::from_fn(n, t, |i, k| y[(rows[i], k)]);
        let coef = Mat::from_fn(p, t, |j, k| coef[(cols[j], k)]);
        Ok(Regression { x, y, coef })
    }
}

#[cfg(test)]
mod tests {
    use super::super::low_rank::singular_profile;
    use super::*;
    use faer::linalg::matmul::matmul;
    use faer::{Accum, Par};

    /// `Y - X W - bias`, with faer's product (independent of the generator's loops).
    fn residual(d: &Regression, bias: f64) -> Mat<f64> {
        let mut xw = Mat::<f64>::zeros(d.y.nrows(), d.y.ncols());
        matmul(
            xw.as_mut(),
            Accum::Replace,
            d.x.as_ref(),
            d.coef.as_ref(),
            1.0,
            Par::Seq,
        );
        Mat::from_fn(d.y.nrows(), d.y.ncols(), |i, k| {
            d.y[(i, k)] - xw[(i, k)] - bias
        })
    }

    fn max_abs(m: &Mat<f64>) -> f64 {
        let mut best = 0.0f64;
        for j in 0..m.ncols() {
            for i in 0..m.nrows() {
                best = best.max(m[(i, j)].abs());
            }
        }
        best
    }

    fn entries(m: &Mat<f64>) -> Vec<f64> {
        let mut v = Vec::with_capacity(m.nrows() * m.ncols());
        for j in 0..m.ncols() {
            for i in 0..m.nrows() {
                v.push(m[(i, j)]);
            }
        }
        v
    }

    fn sorted(mut v: Vec<f64>) -> Vec<f64> {
        v.sort_by(f64::total_cmp);
        v
    }

    fn mean_var(v: &[f64]) -> (f64, f64) {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        (mean, var)
    }

    fn nonzero_rows(coef: &Mat<f64>) -> Vec<usize> {
        (0..coef.nrows())
            .filter(|&j| (0..coef.ncols()).any(|k| coef[(j, k)] != 0.0))
            .collect()
    }

    #[test]
    fn defaults_match_scikit_learn() {
        let m = MakeRegression::new();
        assert_eq!(m, MakeRegression::default());
        assert_eq!((m.n_samples, m.n_features, m.n_informative), (100, 100, 10));
        assert_eq!(m.n_targets, 1);
        assert_eq!(m.bias, 0.0);
        assert_eq!(m.effective_rank, None);
        assert_eq!(m.tail_strength, 0.5);
        assert_eq!(m.noise, 0.0);
        assert!(m.shuffle);
        assert_eq!(m.seed, 0);
        let d = m.generate().unwrap();
        assert_eq!((d.x.nrows(), d.x.ncols()), (100, 100));
        assert_eq!((d.y.nrows(), d.y.ncols()), (100, 1));
        assert_eq!((d.coef.nrows(), d.coef.ncols()), (100, 1));
        assert_eq!(nonzero_rows(&d.coef).len(), 10);
    }

    #[test]
    fn setters_set_their_field() {
        let m = MakeRegression::new()
            .n_samples(3)
            .n_features(4)
            .n_informative(2)
            .n_targets(5)
            .bias(1.5)
            .effective_rank(Some(2))
            .tail_strength(0.25)
            .noise(0.5)
            .shuffle(false)
            .seed(9);
        let want = MakeRegression {
            n_samples: 3,
            n_features: 4,
            n_informative: 2,
            n_targets: 5,
            bias: 1.5,
            effective_rank: Some(2),
            tail_strength: 0.25,
            noise: 0.5,
            shuffle: false,
            seed: 9,
        };
        assert_eq!(m, want);
    }

    #[test]
    fn shapes() {
        for &(n, p, k, t, r) in &[
            (50, 20, 5, 3, None),
            (10, 40, 40, 1, None),
            (1, 1, 1, 1, None),
            (30, 8, 3, 4, Some(2)),
            (8, 30, 3, 2, Some(5)),
        ] {
            let d = MakeRegression::new()
                .n_samples(n)
                .n_features(p)
                .n_informative(k)
                .n_targets(t)
                .effective_rank(r)
                .noise(1.0)
                .generate()
                .unwrap();
            assert_eq!((d.x.nrows(), d.x.ncols()), (n, p));
            assert_eq!((d.y.nrows(), d.y.ncols()), (n, t));
            assert_eq!((d.coef.nrows(), d.coef.ncols()), (p, t));
        }
    }

    #[test]
    fn deterministic_in_the_seed() {
        for r in [None, Some(4)] {
            let m = MakeRegression::new()
                .n_samples(40)
                .n_features(15)
                .n_targets(2)
                .noise(1.0)
                .effective_rank(r);
            let a = m.clone().seed(123).generate().unwrap();
            let b = m.clone().seed(123).generate().unwrap();
            let c = m.clone().seed(124).generate().unwrap();
            assert_eq!(a, b);
            assert_ne!(a.x, c.x);
            assert_ne!(a.y, c.y);
            assert_ne!(a.coef, c.coef);
        }
    }

    #[test]
    fn stream_is_pinned() {
        // Unshuffled, full rank: X is the first n * p standard normals of
        // ChaCha8Rng::seed_from_u64(seed), column by column, then W's draws follow.
        // Guards the "same seed, same data" promise against silent stream changes.
        let d = MakeRegression::new()
            .n_samples(4)
            .n_features(3)
            .n_informative(2)
            .n_targets(2)
            .shuffle(false)
            .seed(2024)
            .generate()
            .unwrap();
        let mut g = rng(2024);
        let x = standard_normal_mat(&mut g, 4, 3);
        assert_eq!(d.x, x);
        for k in 0..2 {
            for j in 0..2 {
                let u: f64 = g.sample(Open01);
                assert_eq!(d.coef[(j, k)].to_bits(), (100.0 * u).to_bits());
            }
        }
        // Recorded with rand 0.9 / rand_distr 0.5 / rand_chacha 0.9.
        let golden_x0: [f64; 3] = [
            -0.6944943615633552,
            0.37190533955226307,
            -0.04053316400813498,
        ];
        for (j, &g) in golden_x0.iter().enumerate() {
            assert_eq!(d.x[(0, j)].to_bits(), g.to_bits(), "x[0, {j}]");
        }
        assert_eq!(d.coef[(0, 0)].to_bits(), 77.98631077725547f64.to_bits());
        assert_eq!(d.y[(0, 0)].to_bits(), (-38.21510736984351f64).to_bits());
    }

    #[test]
    fn coef_has_exactly_n_informative_rows_in_open_0_100() {
        for (p, k, shuffle) in [
            (100, 10, true),
            (30, 30, true),
            (20, 7, false),
            (5, 50, true),
        ] {
            let d = MakeRegression::new()
                .n_samples(10)
                .n_features(p)
                .n_informative(k)
                .n_targets(3)
                .shuffle(shuffle)
                .seed(k as u64)
                .generate()
                .unwrap();
            let rows = nonzero_rows(&d.coef);
            assert_eq!(rows.len(), k.min(p), "p = {p}, k = {k}");
            for &j in &rows {
                for t in 0..3 {
                    let w = d.coef[(j, t)];
                    assert!(w > 0.0 && w < 100.0, "coef[{j}, {t}] = {w}");
                }
            }
        }
    }

    #[test]
    fn coef_is_uniform_on_0_100() {
        let d = MakeRegression::new()
            .n_samples(1)
            .n_features(200)
            .n_informative(200)
            .n_targets(50)
            .seed(77)
            .generate()
            .unwrap();
        let w = entries(&d.coef);
        let (mean, var) = mean_var(&w);
        // 10_000 draws of 100 U(0,1): mean 50 (sd 0.29), variance 833.3 (sd ~7.5).
        assert!((mean - 50.0).abs() < 1.5, "mean {mean}");
        assert!((var - 10_000.0 / 12.0).abs() < 40.0, "var {var}");
        let below_10 = w.iter().filter(|&&v| v < 10.0).count() as f64 / w.len() as f64;
        assert!(
            (below_10 - 0.1).abs() < 0.015,
            "fraction below 10: {below_10}"
        );
    }

    #[test]
    fn noiseless_targets_are_exactly_linear() {
        for (r, shuffle) in [
            (None, true),
            (None, false),
            (Some(3), true),
            (Some(3), false),
        ] {
            let d = MakeRegression::new()
                .n_samples(60)
                .n_features(25)
                .n_informative(8)
                .n_targets(4)
                .bias(-3.25)
                .effective_rank(r)
                .shuffle(shuffle)
                .seed(5)
                .generate()
                .unwrap();
            let res = max_abs(&residual(&d, -3.25));
            assert!(res < 1e-10, "max |Y - XW - b| = {res:e}");
        }
    }

    #[test]
    fn no_informative_features_means_constant_targets() {
        let d = MakeRegression::new()
            .n_samples(20)
            .n_features(6)
            .n_informative(0)
            .n_targets(2)
            .bias(7.0)
            .generate()
            .unwrap();
        assert!(nonzero_rows(&d.coef).is_empty());
        assert!(entries(&d.y).iter().all(|&v| v == 7.0));
    }

    #[test]
    fn noise_has_the_requested_std() {
        for (s, r) in [(2.0, None), (0.3, Some(5))] {
            let d = MakeRegression::new()
                .n_samples(20_000)
                .n_features(8)
                .n_informative(4)
                .n_targets(2)
                .bias(10.0)
                .noise(s)
                .effective_rank(r)
                .seed(31)
                .generate()
                .unwrap();
            let e = entries(&residual(&d, 10.0));
            let (mean, var) = mean_var(&e);
            // 40_000 draws: sd of the sample sd is s / sqrt(80_000) ~ 0.35 % of s.
            assert!(
                (var.sqrt() / s - 1.0).abs() < 0.02,
                "std {} vs {s}",
                var.sqrt()
            );
            assert!(mean.abs() < 0.03 * s, "mean {mean}");
        }
    }

    #[test]
    fn full_rank_design_is_standard_normal() {
        let d = MakeRegression::new()
            .n_samples(2000)
            .n_features(50)
            .seed(8)
            .generate()
            .unwrap();
        let v = entries(&d.x);
        let (mean, var) = mean_var(&v);
        // 100_000 draws: sd of the mean 0.003, of the variance 0.0045.
        assert!(mean.abs() < 0.015, "mean {mean}");
        assert!((var - 1.0).abs() < 0.025, "var {var}");
        let within_1 = v.iter().filter(|x| x.abs() < 1.0).count() as f64 / v.len() as f64;
        assert!((within_1 - 0.6827).abs() < 0.01, "P(|x| < 1) = {within_1}");
        // Columns are uncorrelated: compare two columns.
        let (c0, c1): (Vec<f64>, Vec<f64>) = (0..2000).map(|i| (d.x[(i, 0)], d.x[(i, 1)])).unzip();
        let corr = c0.iter().zip(&c1).map(|(a, b)| a * b).sum::<f64>() / 2000.0;
        assert!(corr.abs() < 0.1, "corr {corr}");
    }

    #[test]
    fn without_shuffle_the_informative_rows_come_first() {
        let d = MakeRegression::new()
            .n_samples(10)
            .n_features(40)
            .n_informative(6)
            .n_targets(2)
            .shuffle(false)
            .generate()
            .unwrap();
        assert_eq!(nonzero_rows(&d.coef), (0..6).collect::<Vec<_>>());
    }

    #[test]
    fn shuffle_permutes_samples_and_features_of_the_same_draws() {
        let m = MakeRegression::new()
            .n_samples(30)
            .n_features(100)
            .n_informative(10)
            .n_targets(2)
            .noise(0.5)
            .seed(3);
        let plain = m.clone().shuffle(false).generate().unwrap();
        let shuffled = m.shuffle(true).generate().unwrap();

        // The informative features are scattered (all in the first 10 positions has
        // probability 1 / C(100, 10)).
        let rows = nonzero_rows(&shuffled.coef);
        assert_eq!(rows.len(), 10);
        assert_ne!(rows, (0..10).collect::<Vec<_>>());

        // Same draws, rearranged.
        assert_eq!(sorted(entries(&plain.x)), sorted(entries(&shuffled.x)));
        assert_eq!(sorted(entries(&plain.y)), sorted(entries(&shuffled.y)));
        assert_eq!(
            sorted(entries(&plain.coef)),
            sorted(entries(&shuffled.coef))
        );

        // Recover the permutations and check they are consistent: sample i of the
        // shuffled problem is sample rows[i] of the plain one (matched on Y), feature
        // j is feature cols[j] (matched on a column of X).
        let find_row = |i: usize| {
            (0..30)
                .find(|&a| (0..2).all(|k| plain.y[(a, k)] == shuffled.y[(i, k)]))
                .expect("row of Y found")
        };
        let rows: Vec<usize> = (0..30).map(find_row).collect();
        assert_ne!(rows, (0..30).collect::<Vec<_>>());
        for j in 0..100 {
            let b = (0..100)
                .find(|&b| (0..30).all(|i| plain.x[(rows[i], b)] == shuffled.x[(i, j)]))
                .expect("column of X found");
            for k in 0..2 {
                assert_eq!(plain.coef[(b, k)], shuffled.coef[(j, k)]);
            }
        }
    }

    #[test]
    fn low_rank_design_has_the_profile_singular_values() {
        for &(n, p, r, t, shuffle) in &[
            (120, 40, 5, 0.5, true),
            (30, 90, 8, 0.2, false),
            (50, 50, 4, 0.0, true),
        ] {
            let d = MakeRegression::new()
                .n_samples(n)
                .n_features(p)
                .effective_rank(Some(r))
                .tail_strength(t)
                .shuffle(shuffle)
                .seed(17)
                .generate()
                .unwrap();
            let got = d.x.singular_values().unwrap();
            let want = singular_profile(n.min(p), r, t);
            assert_eq!(got.len(), want.len());
            for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                let tol = if w > 1e-6 { 1e-8 * w } else { 1e-13 };
                assert!((g - w).abs() <= tol, "s[{i}]: got {g:e}, want {w:e}");
            }
        }
    }

    #[test]
    fn low_rank_design_is_the_low_rank_generator_on_the_same_stream() {
        let d = MakeRegression::new()
            .n_samples(25)
            .n_features(10)
            .effective_rank(Some(3))
            .tail_strength(0.1)
            .shuffle(false)
            .seed(4)
            .generate()
            .unwrap();
        let x = super::super::make_low_rank_matrix(25, 10, 3, 0.1, 4).unwrap();
        assert_eq!(d.x, x);
    }

    #[test]
    fn invalid_parameters_are_errors() {
        let ok = MakeRegression::new().n_samples(5).n_features(4);
        let cases: Vec<(MakeRegression, &str)> = vec![
            (ok.clone().n_samples(0), "n_samples"),
            (ok.clone().n_features(0), "n_features"),
            (ok.clone().n_targets(0), "n_targets"),
            (ok.clone().effective_rank(Some(0)), "effective_rank"),
            (ok.clone().tail_strength(-0.01), "tail_strength"),
            (ok.clone().tail_strength(1.01), "tail_strength"),
            (ok.clone().tail_strength(f64::NAN), "tail_strength"),
            (ok.clone().noise(-1.0), "noise"),
            (ok.clone().noise(f64::NAN), "noise"),
            (ok.clone().noise(f64::INFINITY), "noise"),
            (ok.clone().bias(f64::NAN), "bias"),
            (ok.clone().bias(f64::NEG_INFINITY), "bias"),
            (ok.clone().n_samples(usize::MAX / 4), "n_samples"),
            (
                ok.clone().n_features(usize::MAX / 4).n_samples(1),
                "n_features",
            ),
            (ok.clone().n_targets(usize::MAX / 4), "n_targets"),
        ];
        for (m, want) in cases {
            match m.generate() {
                Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, want, "{m:?}"),
                other => panic!("{m:?}: expected InvalidParameter({want}), got {other:?}"),
            }
        }
        // Edge values that are valid.
        assert!(ok.clone().tail_strength(0.0).generate().is_ok());
        assert!(ok.clone().tail_strength(1.0).generate().is_ok());
        assert!(ok.clone().n_informative(0).generate().is_ok());
        assert!(ok.clone().n_informative(1000).generate().is_ok());
        assert!(ok.clone().effective_rank(Some(1000)).generate().is_ok());
        assert!(ok.bias(-1e300).generate().is_ok());
    }
}
