//! Sufficient statistics of the shared-design problem: fit without holding X.
//!
//! The shared-design objective (with or without intercept, standardised or
//! not) sees the data only through
//!
//! ```text
//! n,   x̄ = Xᵀ1 / n (p),   ȳ = Yᵀ1 / n (T),
//! XcᵀXc (p × p),   XcᵀYc (p × T),   YcᵀYc (T × T),   Xc = X − 1x̄ᵀ, Yc = Y − 1ȳᵀ
//! ```
//!
//! [`SufficientStats`] holds exactly these, with the feature and task names.
//! They take `O(p² + pT + T²)` memory whatever n, are computed in one pass over
//! the rows, and add up over shards of rows ([`SufficientStats::merge`]), so a
//! file too large for memory, or data living in a distributed engine, can be
//! reduced first and fitted afterwards ([`MultiTaskElasticNet::fit_stats`](crate::MultiTaskElasticNet::fit_stats),
//! `mtreg stats` and `mtreg solve --stats` in the CLI). Without an intercept
//! the uncentred products are recovered exactly (in exact arithmetic) as
//! `XᵀX = XcᵀXc + n x̄x̄ᵀ`.
//!
//! # Accumulation
//!
//! Rows are processed in chunks ([`DEFAULT_CHUNK_ROWS`] by default). Each chunk
//! is centred on its own mean, its cross-products are one matrix product (the
//! lower triangle only for `XcᵀXc`), and it is added to the running total with
//! the pairwise update of Chan, Golub & LeVeque (1979):
//!
//! ```text
//! n = n_a + n_b,   δ = mean_b − mean_a,
//! M = M_a + M_b + (n_a n_b / n) δ δᵀ,   mean = (n_a mean_a + n_b mean_b) / n
//! ```
//!
//! Centring before multiplying is what keeps the result accurate when the
//! columns have large means: the naive `XᵀX − n x̄x̄ᵀ` loses about
//! `log10(1 + x̄²/σ²)` digits to cancellation, the pairwise form does not.
//! The same update merges shards computed separately; it is associative and
//! commutative up to rounding (commutative exactly).
//!
//! # Raw sums
//!
//! A SQL engine computes uncentred sums (`count(*)`, `sum(x_j)`,
//! `sum(x_j * x_k)`, ...) more easily than centred ones. [`RawSums`] holds
//! those and [`SufficientStats::from_raw`] centres them: `M − n m mᵀ` with
//! `m = Σx / n`. That subtraction is the naive formula above, with its loss of
//! digits when means are large relative to spreads; summing shifted values
//! `x − s` (any rough guess of the mean) and giving the shift
//! ([`RawSums::x_shift`]) avoids it.

use crate::error::{Error, Result};
use crate::fitted::Fit;
use crate::interop::MatrixInput;
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Mat, MatMut, MatRef, Par};

/// Rows per chunk when accumulating (4096 rows × 200 features = 6.5 MB).
pub const DEFAULT_CHUNK_ROWS: usize = 4096;

/// n, column means and centred cross-products of a shared design X (n × p) and
/// targets Y (n × T), with the feature and task names: everything a
/// shared-design fit needs.
///
/// # Examples
/// ```
/// use mtreg::{MultiTaskLasso, SufficientStats};
/// let x = faer::mat![[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 1.0], [3.0, 0.5]];
/// let y = faer::mat![[1.0, 2.0], [0.0, 1.0], [1.0, 3.0], [1.0, 4.0], [2.0, 4.5]];
/// // Two shards of rows, reduced separately, then merged.
/// let a = SufficientStats::from_data(&x.subrows(0, 2), &y.subrows(0, 2))?;
/// let b = SufficientStats::from_data(&x.subrows(2, 3), &y.subrows(2, 3))?;
/// let stats = a.merge(&b)?;
/// assert_eq!(stats.n_samples(), 5);
/// let model = MultiTaskLasso::new(0.1).tol(1e-10);
/// let from_stats = model.fit_stats(&stats)?;
/// let in_memory = model.fit(&x, &y)?;
/// assert!((from_stats.coef()[(0, 1)] - in_memory.coef()[(0, 1)]).abs() < 1e-9);
/// assert!((from_stats.intercept()[1] - in_memory.intercept()[1]).abs() < 1e-9);
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SufficientStats {
    n: usize,
    feature_names: Vec<String>,
    task_names: Vec<String>,
    x_mean: Vec<f64>,
    y_mean: Vec<f64>,
    /// XcᵀXc, p × p, both triangles stored.
    xtx: Mat<f64>,
    /// XcᵀYc, p × T.
    xty: Mat<f64>,
    /// YcᵀYc, T × T.
    yty: Mat<f64>,
}

/// Uncentred sums, as one SQL aggregation produces them (see the
/// [module documentation](self)): `n`, `Σx`, `Σy`, `XᵀX`, `XᵀY`, `YᵀY`, all of
/// the shifted data `x − x_shift`, `y − y_shift` (no shift: zeros).
#[derive(Debug, Clone, PartialEq)]
pub struct RawSums {
    /// Number of rows n (≥ 1).
    pub n_samples: usize,
    /// Feature names (p).
    pub feature_names: Vec<String>,
    /// Task names (T).
    pub task_names: Vec<String>,
    /// `Σ_i (x_i − x_shift)`, p values.
    pub x_sum: Vec<f64>,
    /// `Σ_i (y_i − y_shift)`, T values.
    pub y_sum: Vec<f64>,
    /// `Σ_i (x_i − x_shift)(x_i − x_shift)ᵀ`, p × p (symmetric).
    pub xtx: Mat<f64>,
    /// `Σ_i (x_i − x_shift)(y_i − y_shift)ᵀ`, p × T.
    pub xty: Mat<f64>,
    /// `Σ_i (y_i − y_shift)(y_i − y_shift)ᵀ`, T × T (symmetric).
    pub yty: Mat<f64>,
    /// The value subtracted from each feature before summing (zeros: none).
    pub x_shift: Vec<f64>,
    /// The value subtracted from each target before summing (zeros: none).
    pub y_shift: Vec<f64>,
}

/// Names `x0, x1, …` (or another prefix).
pub(crate) fn default_names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|j| format!("{prefix}{j}")).collect()
}

fn shape(what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            what,
            expected,
            found,
        })
    }
}

impl SufficientStats {
    /// Statistics of no rows (the neutral element of [`merge`](Self::merge)).
    ///
    /// # Errors
    /// `EmptyInput` without features or tasks.
    pub fn empty(feature_names: Vec<String>, task_names: Vec<String>) -> Result<Self> {
        let (p, t) = (feature_names.len(), task_names.len());
        if p == 0 {
            return Err(Error::EmptyInput("no features"));
        }
        if t == 0 {
            return Err(Error::EmptyInput("no tasks"));
        }
        Ok(Self {
            n: 0,
            feature_names,
            task_names,
            x_mean: vec![0.0; p],
            y_mean: vec![0.0; t],
            xtx: Mat::zeros(p, p),
            xty: Mat::zeros(p, t),
            yty: Mat::zeros(t, t),
        })
    }

    /// The statistics of in-memory X (n × p) and Y (n × T), named `x0, …` and
    /// `y0, …` (see [`with_names`](Self::with_names)), accumulated in chunks
    /// of [`DEFAULT_CHUNK_ROWS`] rows.
    ///
    /// # Errors
    /// `ShapeMismatch` if the row counts differ, `EmptyInput` without rows,
    /// columns or tasks, `NonFinite` for NaN/inf, `Overflow` if the products
    /// overflow.
    pub fn from_data<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        x: &X,
        y: &Y,
    ) -> Result<Self> {
        Self::from_data_chunked(x, y, DEFAULT_CHUNK_ROWS)
    }

    /// [`from_data`](Self::from_data) with chunks of `chunk_rows` rows (the
    /// result does not depend on it beyond rounding).
    ///
    /// # Errors
    /// As [`from_data`](Self::from_data); `InvalidParameter` if `chunk_rows`
    /// is 0.
    pub fn from_data_chunked<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        x: &X,
        y: &Y,
        chunk_rows: usize,
    ) -> Result<Self> {
        let (x, y) = (x.as_faer(), y.as_faer());
        if x.nrows() == 0 {
            return Err(Error::EmptyInput("X has no rows (samples)"));
        }
        shape("rows of Y (samples) vs rows of X", x.nrows(), y.nrows())?;
        let mut acc = StatsAccumulator::new(
            default_names("x", x.ncols()),
            default_names("y", y.ncols()),
            chunk_rows,
        )?;
        acc.push_rows(x, y)?;
        acc.finish()
    }

    /// Assembles statistics read from a file, checking shapes and values
    /// (the two triangles of `xtx` and `yty` are averaged).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_parts(
        n: usize,
        feature_names: Vec<String>,
        task_names: Vec<String>,
        x_mean: Vec<f64>,
        y_mean: Vec<f64>,
        xtx: Mat<f64>,
        xty: Mat<f64>,
        yty: Mat<f64>,
    ) -> Result<Self> {
        let mut out = Self::empty(feature_names, task_names)?;
        let (p, t) = (out.n_features(), out.n_tasks());
        if n == 0 {
            return Err(Error::EmptyInput("statistics of no rows"));
        }
        shape("length of x_mean vs features", p, x_mean.len())?;
        shape("length of y_mean vs tasks", t, y_mean.len())?;
        shape("rows of XcᵀXc vs features", p, xtx.nrows())?;
        shape("columns of XcᵀXc vs features", p, xtx.ncols())?;
        shape("rows of XcᵀYc vs features", p, xty.nrows())?;
        shape("columns of XcᵀYc vs tasks", t, xty.ncols())?;
        shape("rows of YcᵀYc vs tasks", t, yty.nrows())?;
        shape("columns of YcᵀYc vs tasks", t, yty.ncols())?;
        let sym =
            |m: &Mat<f64>| Mat::from_fn(m.nrows(), m.ncols(), |i, j| 0.5 * (m[(i, j)] + m[(j, i)]));
        out.n = n;
        out.x_mean = x_mean;
        out.y_mean = y_mean;
        out.xtx = sym(&xtx);
        out.xty = xty;
        out.yty = sym(&yty);
        out.check_finite()?;
        Ok(out)
    }

    /// Renames the features and tasks.
    ///
    /// # Errors
    /// `ShapeMismatch` if the counts differ from p and T.
    pub fn with_names(
        mut self,
        feature_names: Vec<String>,
        task_names: Vec<String>,
    ) -> Result<Self> {
        shape(
            "feature names vs features",
            self.n_features(),
            feature_names.len(),
        )?;
        shape("task names vs tasks", self.n_tasks(), task_names.len())?;
        self.feature_names = feature_names;
        self.task_names = task_names;
        Ok(self)
    }

    /// Number of rows n.
    pub fn n_samples(&self) -> usize {
        self.n
    }
    /// Number of features p.
    pub fn n_features(&self) -> usize {
        self.x_mean.len()
    }
    /// Number of tasks T.
    pub fn n_tasks(&self) -> usize {
        self.y_mean.len()
    }
    /// Feature names (p).
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }
    /// Task names (T).
    pub fn task_names(&self) -> &[String] {
        &self.task_names
    }
    /// Column means of X (p).
    pub fn x_mean(&self) -> &[f64] {
        &self.x_mean
    }
    /// Column means of Y (T).
    pub fn y_mean(&self) -> &[f64] {
        &self.y_mean
    }
    /// `XcᵀXc` (p × p, symmetric).
    pub fn xtx(&self) -> MatRef<'_, f64> {
        self.xtx.as_ref()
    }
    /// `XcᵀYc` (p × T).
    pub fn xty(&self) -> MatRef<'_, f64> {
        self.xty.as_ref()
    }
    /// `YcᵀYc` (T × T, symmetric).
    pub fn yty(&self) -> MatRef<'_, f64> {
        self.yty.as_ref()
    }

    /// The statistics of the rows of `self` and `other` together (Chan et
    /// al.'s pairwise update, see the [module documentation](self)).
    ///
    /// # Errors
    /// `Incompatible` if the feature or task names differ (which covers p and
    /// T).
    pub fn merge(&self, other: &Self) -> Result<Self> {
        let mut out = self.clone();
        out.merge_from(other)?;
        Ok(out)
    }

    /// In-place [`merge`](Self::merge).
    ///
    /// # Errors
    /// As [`merge`](Self::merge); `self` is unchanged on error.
    pub fn merge_from(&mut self, other: &Self) -> Result<()> {
        check_names("feature", &self.feature_names, &other.feature_names)?;
        check_names("task", &self.task_names, &other.task_names)?;
        let (na, nb) = (self.n, other.n);
        if nb == 0 {
            return Ok(());
        }
        if na == 0 {
            *self = other.clone();
            return Ok(());
        }
        let Some(n) = na.checked_add(nb) else {
            return Err(Error::Incompatible(
                "the total number of rows overflows".into(),
            ));
        };
        let (fa, fb, nf) = (na as f64, nb as f64, n as f64);
        let f = fa * fb / nf;
        let dx: Vec<f64> = (0..self.x_mean.len())
            .map(|j| other.x_mean[j] - self.x_mean[j])
            .collect();
        let dy: Vec<f64> = (0..self.y_mean.len())
            .map(|k| other.y_mean[k] - self.y_mean[k])
            .collect();
        // M = M_a + M_b + f δ δᵀ, added in one fixed order so that
        // merge(a, b) and merge(b, a) agree to the bit.
        let add = |m: &mut Mat<f64>, o: &Mat<f64>, u: &[f64], v: &[f64]| {
            for j in 0..m.ncols() {
                for i in 0..m.nrows() {
                    m[(i, j)] = (m[(i, j)] + o[(i, j)]) + f * (u[i] * v[j]);
                }
            }
        };
        add(&mut self.xtx, &other.xtx, &dx, &dx);
        add(&mut self.xty, &other.xty, &dx, &dy);
        add(&mut self.yty, &other.yty, &dy, &dy);
        for (m, o) in self.x_mean.iter_mut().zip(&other.x_mean) {
            *m = (fa * *m + fb * o) / nf;
        }
        for (m, o) in self.y_mean.iter_mut().zip(&other.y_mean) {
            *m = (fa * *m + fb * o) / nf;
        }
        self.n = n;
        Ok(())
    }

    /// Centres raw sums (see the [module documentation](self) for the
    /// precision caveat).
    ///
    /// # Errors
    /// `EmptyInput` for `n_samples == 0` or no features/tasks,
    /// `ShapeMismatch` for inconsistent sizes, `NonFinite` for NaN/inf,
    /// `Incompatible` for a matrix that is not symmetric (beyond a relative
    /// 1e-9) or a negative variance beyond rounding.
    pub fn from_raw(raw: &RawSums) -> Result<Self> {
        let (p, t) = (raw.feature_names.len(), raw.task_names.len());
        if raw.n_samples == 0 {
            return Err(Error::EmptyInput("raw sums of no rows"));
        }
        let mut out = Self::empty(raw.feature_names.clone(), raw.task_names.clone())?;
        shape("length of x_sum vs features", p, raw.x_sum.len())?;
        shape("length of y_sum vs tasks", t, raw.y_sum.len())?;
        shape("length of x_shift vs features", p, raw.x_shift.len())?;
        shape("length of y_shift vs tasks", t, raw.y_shift.len())?;
        shape("rows of XᵀX vs features", p, raw.xtx.nrows())?;
        shape("columns of XᵀX vs features", p, raw.xtx.ncols())?;
        shape("rows of XᵀY vs features", p, raw.xty.nrows())?;
        shape("columns of XᵀY vs tasks", t, raw.xty.ncols())?;
        shape("rows of YᵀY vs tasks", t, raw.yty.nrows())?;
        shape("columns of YᵀY vs tasks", t, raw.yty.ncols())?;
        let finite = |what, v: &[f64]| match v.iter().position(|x| !x.is_finite()) {
            Some(j) => Err(Error::NonFinite {
                what,
                row: 0,
                col: j,
            }),
            None => Ok(()),
        };
        finite("x_sum", &raw.x_sum)?;
        finite("y_sum", &raw.y_sum)?;
        finite("x_shift", &raw.x_shift)?;
        finite("y_shift", &raw.y_shift)?;
        crate::validate::check_finite("XᵀX", raw.xtx.as_ref())?;
        crate::validate::check_finite("XᵀY", raw.xty.as_ref())?;
        crate::validate::check_finite("YᵀY", raw.yty.as_ref())?;
        let n = raw.n_samples as f64;
        let mx: Vec<f64> = raw.x_sum.iter().map(|s| s / n).collect();
        let my: Vec<f64> = raw.y_sum.iter().map(|s| s / n).collect();
        out.xtx = centre_symmetric("XᵀX", raw.xtx.as_ref(), &mx, &raw.x_sum, &raw.feature_names)?;
        out.yty = centre_symmetric("YᵀY", raw.yty.as_ref(), &my, &raw.y_sum, &raw.task_names)?;
        out.xty = Mat::from_fn(p, t, |j, k| raw.xty[(j, k)] - mx[j] * raw.y_sum[k]);
        out.x_mean = mx.iter().zip(&raw.x_shift).map(|(m, s)| s + m).collect();
        out.y_mean = my.iter().zip(&raw.y_shift).map(|(m, s)| s + m).collect();
        out.n = raw.n_samples;
        out.check_finite()?;
        Ok(out)
    }

    /// The uncentred sums (no shift): `Σx = n x̄`, `XᵀX = XcᵀXc + n x̄x̄ᵀ`, ...
    pub fn to_raw(&self) -> RawSums {
        let n = self.n as f64;
        let (p, t) = (self.n_features(), self.n_tasks());
        let (mx, my) = (&self.x_mean, &self.y_mean);
        RawSums {
            n_samples: self.n,
            feature_names: self.feature_names.clone(),
            task_names: self.task_names.clone(),
            x_sum: mx.iter().map(|m| n * m).collect(),
            y_sum: my.iter().map(|m| n * m).collect(),
            xtx: self.uncentred_xtx(),
            xty: Mat::from_fn(p, t, |j, k| self.xty[(j, k)] + n * mx[j] * my[k]),
            yty: Mat::from_fn(t, t, |k, l| self.yty[(k, l)] + n * my[k] * my[l]),
            x_shift: vec![0.0; p],
            y_shift: vec![0.0; t],
        }
    }

    /// `XᵀX = XcᵀXc + n x̄x̄ᵀ` (p × p).
    pub(crate) fn uncentred_xtx(&self) -> Mat<f64> {
        let n = self.n as f64;
        let m = &self.x_mean;
        Mat::from_fn(self.n_features(), self.n_features(), |i, j| {
            self.xtx[(i, j)] + n * m[i] * m[j]
        })
    }

    /// Coefficient of determination R² of `fit` on the data these statistics
    /// summarise, averaged over tasks: [`Fit::score`] without the data (up to
    /// rounding; the residual sum of squares is expanded as
    /// `‖Yc‖² − 2⟨W, XcᵀYc⟩ + ⟨W, XcᵀXc W⟩ + n (ȳ − b − Wᵀx̄)²`).
    ///
    /// # Errors
    /// `ShapeMismatch` if the fit has other p or T.
    pub fn score(&self, fit: &Fit) -> Result<f64> {
        let (p, t) = (self.n_features(), self.n_tasks());
        let w = fit.coef();
        shape("features of the fit vs the statistics", p, w.nrows())?;
        shape("tasks of the fit vs the statistics", t, w.ncols())?;
        let mut qw = Mat::<f64>::zeros(p, t);
        matmul(
            qw.as_mut(),
            Accum::Replace,
            self.xtx.as_ref(),
            w,
            1.0,
            Par::Seq,
        );
        let n = self.n as f64;
        let mut total = 0.0;
        for k in 0..t {
            let wk = w.col(k);
            let (mut cross, mut quad, mut fitted_mean) = (0.0, 0.0, 0.0);
            for j in 0..p {
                cross += wk[j] * self.xty[(j, k)];
                quad += wk[j] * qw[(j, k)];
                fitted_mean += wk[j] * self.x_mean[j];
            }
            let offset = self.y_mean[k] - fit.intercept()[k] - fitted_mean;
            let tss = self.yty[(k, k)];
            let rss = (tss - 2.0 * cross + quad + n * offset * offset).max(0.0);
            total += if tss > 0.0 {
                1.0 - rss / tss
            } else if rss == 0.0 {
                1.0
            } else {
                0.0
            };
        }
        Ok(total / t as f64)
    }

    fn check_finite(&self) -> Result<()> {
        let bad = |v: &[f64]| v.iter().any(|x| !x.is_finite());
        let bad_mat = |m: &Mat<f64>| (0..m.ncols()).any(|j| bad(m.col_as_slice(j)));
        if bad(&self.x_mean) || bad_mat(&self.xtx) || bad_mat(&self.xty) {
            return Err(Error::Overflow { what: "X" });
        }
        if bad(&self.y_mean) || bad_mat(&self.yty) {
            return Err(Error::Overflow { what: "Y" });
        }
        Ok(())
    }
}

fn check_names(what: &str, a: &[String], b: &[String]) -> Result<()> {
    if a.len() != b.len() {
        return Err(Error::Incompatible(format!(
            "{} {what}s vs {} {what}s",
            a.len(),
            b.len()
        )));
    }
    if let Some(j) = (0..a.len()).find(|&j| a[j] != b[j]) {
        return Err(Error::Incompatible(format!(
            "{what} {} is named {:?} in one and {:?} in the other",
            j + 1,
            a[j],
            b[j]
        )));
    }
    Ok(())
}

/// `S − s sᵀ / n` (with `m = s / n`) for a symmetric `S`, checking symmetry
/// and the sign of the diagonal.
fn centre_symmetric(
    what: &str,
    s: MatRef<'_, f64>,
    m: &[f64],
    sum: &[f64],
    names: &[String],
) -> Result<Mat<f64>> {
    let d = s.nrows();
    for j in 0..d {
        for i in 0..j {
            let scale = (s[(i, i)].abs() * s[(j, j)].abs()).sqrt();
            if (s[(i, j)] - s[(j, i)]).abs() > 1e-9 * scale {
                return Err(Error::Incompatible(format!(
                    "{what} is not symmetric: entries ({0}, {1}) and ({1}, {0}) are {2} and {3} \
                     ({4:?} and {5:?})",
                    i + 1,
                    j + 1,
                    s[(i, j)],
                    s[(j, i)],
                    names[i],
                    names[j]
                )));
            }
        }
    }
    let mut out = Mat::from_fn(d, d, |i, j| {
        // Symmetrise: average the two triangles.
        0.5 * (s[(i, j)] + s[(j, i)]) - m[i] * sum[j]
    });
    for j in 0..d {
        let v = out[(j, j)];
        // Cancellation can leave a tiny negative number where the variance is
        // (nearly) zero; anything clearly negative is not a sum of squares.
        if v < 0.0 {
            if -v > 1e-9 * s[(j, j)].abs() {
                return Err(Error::Incompatible(format!(
                    "{what}: the sums give a negative variance for {:?} ({v}); they are not \
                     sums of squares of the same rows",
                    names[j]
                )));
            }
            out[(j, j)] = 0.0;
        }
    }
    Ok(out)
}

/// Accumulates [`SufficientStats`] from rows pushed in any number of pieces
/// (a streaming source, a database cursor), in bounded memory: one chunk of
/// rows plus the statistics.
///
/// ```
/// use mtreg::stats::StatsAccumulator;
/// let mut acc = StatsAccumulator::new(vec!["a".into(), "b".into()], vec!["y".into()], 2)?;
/// acc.push_row(&[1.0, 2.0], &[3.0])?;
/// acc.push_row(&[2.0, 0.0], &[1.0])?;
/// acc.push_row(&[3.0, 1.0], &[2.0])?;
/// let stats = acc.finish()?;
/// assert_eq!(stats.n_samples(), 3);
/// assert_eq!(stats.x_mean(), &[2.0, 1.0]);
/// assert_eq!(stats.xtx()[(0, 0)], 2.0); // Σ (x_a − 2)²
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct StatsAccumulator {
    /// Running totals; `xtx` holds the lower triangle only until `finish`.
    stats: SufficientStats,
    x_buf: Mat<f64>,
    y_buf: Mat<f64>,
    chunk_rows: usize,
    filled: usize,
}

impl StatsAccumulator {
    /// An empty accumulator for these features and tasks, buffering
    /// `chunk_rows` rows (e.g. [`DEFAULT_CHUNK_ROWS`]).
    ///
    /// # Errors
    /// `EmptyInput` without features or tasks, `InvalidParameter` if
    /// `chunk_rows` is 0.
    pub fn new(
        feature_names: Vec<String>,
        task_names: Vec<String>,
        chunk_rows: usize,
    ) -> Result<Self> {
        if chunk_rows == 0 {
            return Err(Error::InvalidParameter {
                name: "chunk_rows",
                value: 0.0,
                expected: ">= 1",
            });
        }
        let stats = SufficientStats::empty(feature_names, task_names)?;
        let (p, t) = (stats.n_features(), stats.n_tasks());
        // The buffers are allocated on the first pushed row.
        Ok(Self {
            stats,
            x_buf: Mat::zeros(0, p),
            y_buf: Mat::zeros(0, t),
            chunk_rows,
            filled: 0,
        })
    }

    fn ensure_buffers(&mut self) {
        if self.x_buf.nrows() == 0 {
            self.x_buf = Mat::zeros(self.chunk_rows, self.stats.n_features());
            self.y_buf = Mat::zeros(self.chunk_rows, self.stats.n_tasks());
        }
    }

    /// Absorbs a chunk directly (centring it in place), after any buffered
    /// rows: the streaming readers hand over their own buffers this way.
    pub(crate) fn absorb(&mut self, x: MatMut<'_, f64>, y: MatMut<'_, f64>) -> Result<()> {
        shape(
            "columns of X vs features",
            self.stats.n_features(),
            x.ncols(),
        )?;
        shape("columns of Y vs tasks", self.stats.n_tasks(), y.ncols())?;
        shape("rows of Y (samples) vs rows of X", x.nrows(), y.nrows())?;
        self.flush()?;
        absorb_chunk(&mut self.stats, x, y)
    }

    /// Rows absorbed or buffered so far.
    pub fn n_samples(&self) -> usize {
        self.stats.n + self.filled
    }

    /// Adds one row: p features and T targets.
    ///
    /// # Errors
    /// `ShapeMismatch` for wrong lengths, `NonFinite` for NaN/inf (row =
    /// the 0-based index of the row among all pushed).
    pub fn push_row(&mut self, x: &[f64], y: &[f64]) -> Result<()> {
        shape(
            "length of a row of X vs features",
            self.x_buf.ncols(),
            x.len(),
        )?;
        shape("length of a row of Y vs tasks", self.y_buf.ncols(), y.len())?;
        self.ensure_buffers();
        let i = self.filled;
        for (j, &v) in x.iter().enumerate() {
            self.x_buf[(i, j)] = v;
        }
        for (k, &v) in y.iter().enumerate() {
            self.y_buf[(i, k)] = v;
        }
        self.filled += 1;
        if self.filled == self.x_buf.nrows() {
            self.flush()?;
        }
        Ok(())
    }

    /// Adds the rows of X (m × p) and Y (m × T).
    ///
    /// # Errors
    /// As [`push_row`](Self::push_row).
    pub fn push_rows(&mut self, x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<()> {
        shape("columns of X vs features", self.x_buf.ncols(), x.ncols())?;
        shape("columns of Y vs tasks", self.y_buf.ncols(), y.ncols())?;
        shape("rows of Y (samples) vs rows of X", x.nrows(), y.nrows())?;
        let mut start = 0;
        if x.nrows() > 0 {
            self.ensure_buffers();
        }
        while start < x.nrows() {
            let room = self.x_buf.nrows() - self.filled;
            let take = room.min(x.nrows() - start);
            let f = self.filled;
            self.x_buf
                .as_mut()
                .subrows_mut(f, take)
                .copy_from(x.subrows(start, take));
            self.y_buf
                .as_mut()
                .subrows_mut(f, take)
                .copy_from(y.subrows(start, take));
            self.filled += take;
            start += take;
            if self.filled == self.x_buf.nrows() {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Absorbs the buffered rows.
    fn flush(&mut self) -> Result<()> {
        let m = self.filled;
        if m == 0 {
            return Ok(());
        }
        self.filled = 0;
        let (x, y) = (
            self.x_buf.as_mut().subrows_mut(0, m),
            self.y_buf.as_mut().subrows_mut(0, m),
        );
        absorb_chunk(&mut self.stats, x, y)
    }

    /// The statistics of every row pushed.
    ///
    /// # Errors
    /// `EmptyInput` if no row was pushed; `NonFinite` and `Overflow` as
    /// [`push_row`](Self::push_row) and [`SufficientStats::from_data`].
    pub fn finish(mut self) -> Result<SufficientStats> {
        self.flush()?;
        if self.stats.n == 0 {
            return Err(Error::EmptyInput("no rows"));
        }
        let mut stats = self.stats;
        mirror_lower(&mut stats.xtx);
        stats.check_finite()?;
        Ok(stats)
    }
}

/// Copies the lower triangle of a square matrix over the upper one.
fn mirror_lower(m: &mut Mat<f64>) {
    for j in 0..m.ncols() {
        for i in 0..j {
            m[(i, j)] = m[(j, i)];
        }
    }
}

/// Centres a chunk of rows in place on its own means and adds it to `stats`
/// (whose `xtx` holds the lower triangle) with the pairwise update.
///
/// The chunk must be finite: the first NaN/inf is reported with its row
/// counted from the first row absorbed into `stats`.
pub(crate) fn absorb_chunk(
    stats: &mut SufficientStats,
    mut x: MatMut<'_, f64>,
    mut y: MatMut<'_, f64>,
) -> Result<()> {
    let m = x.nrows();
    debug_assert_eq!(m, y.nrows());
    if m == 0 {
        return Ok(());
    }
    let centre = |mut a: MatMut<'_, f64>, what: &'static str| -> Result<Vec<f64>> {
        let mut means = Vec::with_capacity(a.ncols());
        for j in 0..a.ncols() {
            let mut col = a.as_mut().col_mut(j);
            let mut s = 0.0;
            for i in 0..m {
                let v = col[i];
                if !v.is_finite() {
                    return Err(Error::NonFinite {
                        what,
                        row: stats.n + i,
                        col: j,
                    });
                }
                s += v;
            }
            let mean = s / m as f64;
            for i in 0..m {
                col[i] -= mean;
            }
            means.push(mean);
        }
        Ok(means)
    };
    let mx = centre(x.as_mut(), "X")?;
    let my = centre(y.as_mut(), "Y")?;
    let (x, y) = (x.as_ref(), y.as_ref());
    let na = stats.n;
    let Some(n) = na.checked_add(m) else {
        return Err(Error::Incompatible(
            "the total number of rows overflows".into(),
        ));
    };
    let accum = if na == 0 { Accum::Replace } else { Accum::Add };
    // XcᵀXc: lower triangle only (half the flops).
    triangular::matmul(
        stats.xtx.as_mut(),
        BlockStructure::TriangularLower,
        accum,
        x.transpose(),
        BlockStructure::Rectangular,
        x,
        BlockStructure::Rectangular,
        1.0,
        Par::Seq,
    );
    matmul(stats.xty.as_mut(), accum, x.transpose(), y, 1.0, Par::Seq);
    matmul(stats.yty.as_mut(), accum, y.transpose(), y, 1.0, Par::Seq);
    if na > 0 {
        let (fa, fb, nf) = (na as f64, m as f64, n as f64);
        let f = fa * fb / nf;
        let dx: Vec<f64> = mx.iter().zip(&stats.x_mean).map(|(b, a)| b - a).collect();
        let dy: Vec<f64> = my.iter().zip(&stats.y_mean).map(|(b, a)| b - a).collect();
        // M += (n_a n_b / n) δ δᵀ
        for (j, &dj) in dx.iter().enumerate() {
            let c = f * dj;
            for (i, &di) in dx.iter().enumerate().skip(j) {
                stats.xtx[(i, j)] += c * di;
            }
        }
        for (k, &dk) in dy.iter().enumerate() {
            let c = f * dk;
            for (j, &dj) in dx.iter().enumerate() {
                stats.xty[(j, k)] += c * dj;
            }
            for (l, &dl) in dy.iter().enumerate() {
                stats.yty[(l, k)] += c * dl;
            }
        }
        for (a, b) in stats.x_mean.iter_mut().zip(&mx) {
            *a = (fa * *a + fb * b) / nf;
        }
        for (a, b) in stats.y_mean.iter_mut().zip(&my) {
            *a = (fa * *a + fb * b) / nf;
        }
    } else {
        stats.x_mean = mx;
        stats.y_mean = my;
    }
    stats.n = n;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Naive two-pass statistics.
    fn naive(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> (Vec<f64>, Mat<f64>, Mat<f64>, Mat<f64>) {
        let n = x.nrows();
        let mean = |a: MatRef<'_, f64>| -> Vec<f64> {
            (0..a.ncols())
                .map(|j| (0..n).map(|i| a[(i, j)]).sum::<f64>() / n as f64)
                .collect()
        };
        let (mx, my) = (mean(x), mean(y));
        let xc = Mat::from_fn(n, x.ncols(), |i, j| x[(i, j)] - mx[j]);
        let yc = Mat::from_fn(n, y.ncols(), |i, j| y[(i, j)] - my[j]);
        let prod = |a: &Mat<f64>, b: &Mat<f64>| {
            Mat::from_fn(a.ncols(), b.ncols(), |i, j| {
                (0..n).map(|r| a[(r, i)] * b[(r, j)]).sum::<f64>()
            })
        };
        (mx, prod(&xc, &xc), prod(&xc, &yc), prod(&yc, &yc))
    }

    fn data(n: usize, p: usize, t: usize, offset: f64) -> (Mat<f64>, Mat<f64>) {
        let x = Mat::from_fn(n, p, |i, j| {
            offset + ((i * 7 + j * 13) % 11) as f64 * 0.37 + (i as f64).sin()
        });
        let y = Mat::from_fn(n, t, |i, k| {
            offset * 0.5 + ((i * 3 + k * 5) % 7) as f64 - 0.1 * i as f64
        });
        (x, y)
    }

    fn close(a: MatRef<'_, f64>, b: MatRef<'_, f64>, tol: f64) {
        let scale = (0..a.ncols())
            .flat_map(|j| (0..a.nrows()).map(move |i| (i, j)))
            .map(|ij| b[ij].abs())
            .fold(1e-300, f64::max);
        for j in 0..a.ncols() {
            for i in 0..a.nrows() {
                assert!(
                    (a[(i, j)] - b[(i, j)]).abs() <= tol * scale,
                    "({i}, {j}): {} vs {}",
                    a[(i, j)],
                    b[(i, j)]
                );
            }
        }
    }

    #[test]
    fn autotraits() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<SufficientStats>();
        send_sync::<RawSums>();
        send_sync::<StatsAccumulator>();
        send::<crate::io::ChunkReader>();
    }

    #[test]
    fn chunked_accumulation_matches_two_pass() {
        let (x, y) = data(37, 5, 3, 100.0);
        let (mx, xtx, xty, yty) = naive(x.as_ref(), y.as_ref());
        for chunk in [1, 2, 5, 36, 37, 100] {
            let s = SufficientStats::from_data_chunked(&x, &y, chunk).unwrap();
            assert_eq!(s.n_samples(), 37);
            for (a, b) in s.x_mean().iter().zip(&mx) {
                assert!((a - b).abs() < 1e-12 * b.abs());
            }
            close(s.xtx(), xtx.as_ref(), 1e-12);
            close(s.xty(), xty.as_ref(), 1e-12);
            close(s.yty(), yty.as_ref(), 1e-12);
            // Symmetric storage.
            for i in 0..5 {
                for j in 0..5 {
                    assert_eq!(s.xtx()[(i, j)], s.xtx()[(j, i)]);
                }
            }
        }
    }

    #[test]
    fn merge_is_commutative_to_the_bit_and_has_a_neutral_element() {
        let (x, y) = data(20, 4, 2, 3.0);
        let a = SufficientStats::from_data(&x.subrows(0, 7), &y.subrows(0, 7)).unwrap();
        let b = SufficientStats::from_data(&x.subrows(7, 13), &y.subrows(7, 13)).unwrap();
        assert_eq!(a.merge(&b).unwrap(), b.merge(&a).unwrap());
        let e =
            SufficientStats::empty(a.feature_names().to_vec(), a.task_names().to_vec()).unwrap();
        assert_eq!(a.merge(&e).unwrap(), a);
        assert_eq!(e.merge(&a).unwrap(), a);
    }

    #[test]
    fn raw_sums_round_trip_with_and_without_shift() {
        let (x, y) = data(15, 3, 2, 10.0);
        let s = SufficientStats::from_data(&x, &y).unwrap();
        let back = SufficientStats::from_raw(&s.to_raw()).unwrap();
        assert_eq!(back.n_samples(), 15);
        close(back.xtx(), s.xtx(), 1e-10);
        close(back.xty(), s.xty(), 1e-10);
        close(back.yty(), s.yty(), 1e-10);
        // Shifted sums: Σ(x − s) etc.
        let (sx, sy) = (vec![10.0, 11.0, 9.0], vec![5.0, 4.0]);
        let xs = Mat::from_fn(15, 3, |i, j| x[(i, j)] - sx[j]);
        let ys = Mat::from_fn(15, 2, |i, k| y[(i, k)] - sy[k]);
        let mut raw = SufficientStats::from_data(&xs, &ys).unwrap().to_raw();
        raw.x_shift = sx;
        raw.y_shift = sy;
        let shifted = SufficientStats::from_raw(&raw).unwrap();
        close(shifted.xtx(), s.xtx(), 1e-12);
        for (a, b) in shifted.x_mean().iter().zip(s.x_mean()) {
            assert!((a - b).abs() < 1e-13 * b.abs());
        }
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let (x, y) = data(5, 2, 1, 0.0);
        let mut bad = x.clone();
        bad[(3, 1)] = f64::NAN;
        assert!(matches!(
            SufficientStats::from_data_chunked(&bad, &y, 2),
            Err(Error::NonFinite {
                what: "X",
                row: 3,
                col: 1
            })
        ));
        assert!(matches!(
            SufficientStats::from_data(&x, &y.subrows(0, 4)),
            Err(Error::ShapeMismatch { .. })
        ));
        let a = SufficientStats::from_data(&x, &y).unwrap();
        let b = a
            .clone()
            .with_names(vec!["x0".into(), "z".into()], vec!["y0".into()])
            .unwrap();
        let e = a.merge(&b).unwrap_err();
        assert_eq!(
            e.to_string(),
            "incompatible inputs: feature 2 is named \"x1\" in one and \"z\" in the other"
        );
        let mut raw = a.to_raw();
        raw.xtx[(0, 1)] += 1.0;
        assert!(matches!(
            SufficientStats::from_raw(&raw),
            Err(Error::Incompatible(_))
        ));
        let mut raw = a.to_raw();
        raw.n_samples = 0;
        assert!(SufficientStats::from_raw(&raw).is_err());
        let big = Mat::from_fn(3, 1, |i, _| 1e200 * (i as f64 - 1.0));
        let y3 = Mat::from_fn(3, 1, |i, _| i as f64);
        assert!(matches!(
            SufficientStats::from_data(&big, &y3),
            Err(Error::Overflow { what: "X" })
        ));
    }
}
