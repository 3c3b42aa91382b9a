//! Column summaries that cannot overflow, and the magnitude rule the fits
//! apply to their data, so that `mtreg inspect` and `mtreg solve` refuse the
//! same files.
//!
//! # The rule
//!
//! A fit centres X and Y (with an intercept) and needs the sum of squares
//! `‖X − 1x̄ᵀ‖²_F` (and `‖Y − 1ȳᵀ‖²_F`) to be a finite `f64`: the loss, the
//! duality gap and the tolerance are built on it. Values around `1e154` and
//! beyond make it overflow (`1e200² = 1e400`), and the fit refuses the data.
//! [`check_magnitude`] applies the same rule to a matrix read from a file
//! and names the file, the range of the values and the column holding the
//! largest one.
//!
//! # Summaries
//!
//! [`summarize`] computes the mean and the (population) standard deviation
//! of a column on the values divided by their largest magnitude `s`, then
//! multiplies back: `mean = s · mean(v/s)`, `std = s · std(v/s)`. Every
//! intermediate is at most a few units, so nothing overflows even for values
//! near `f64::MAX`, and both results are at most `s`.

use faer::MatRef;

use crate::error::{Error, InputError, Result};

/// Mean, standard deviation (population: divided by n), minimum and maximum
/// of a column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnSummary {
    /// Number of values.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Standard deviation (divided by n).
    pub std: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// Summarises finite values without overflow (see the
/// [module documentation](self)); an empty column gives NaNs.
///
/// ```
/// let s = mtreg::io::summary::summarize(&[1e300, -1e300, 1e300, -1e300]);
/// assert_eq!((s.mean, s.std), (0.0, 1e300));
/// ```
pub fn summarize(values: &[f64]) -> ColumnSummary {
    let n = values.len();
    if n == 0 {
        return ColumnSummary {
            n,
            mean: f64::NAN,
            std: f64::NAN,
            min: f64::NAN,
            max: f64::NAN,
        };
    }
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let s = min.abs().max(max.abs());
    if s == 0.0 || !s.is_finite() {
        let c = if s == 0.0 { 0.0 } else { f64::NAN };
        return ColumnSummary {
            n,
            mean: c,
            std: c,
            min,
            max,
        };
    }
    let nf = n as f64;
    let m = values.iter().map(|v| v / s).sum::<f64>() / nf;
    let var = values.iter().map(|v| (v / s - m).powi(2)).sum::<f64>() / nf;
    ColumnSummary {
        n,
        mean: s * m,
        std: s * var.sqrt(),
        min,
        max,
    }
}

/// Whether the fits' magnitude rule refuses `data`: the sum of squares of
/// the values, centred by their column means when `centre`, overflows.
/// Returns the column holding the largest magnitude when it does.
pub fn squares_overflow(data: MatRef<'_, f64>, centre: bool) -> Option<usize> {
    let n = data.nrows() as f64;
    let mut total = 0.0f64;
    for j in 0..data.ncols() {
        let col = data.col(j);
        let mean = if centre {
            col.iter().sum::<f64>() / n
        } else {
            0.0
        };
        total += col.iter().map(|&v| (v - mean) * (v - mean)).sum::<f64>();
    }
    if total.is_finite() {
        return None;
    }
    (0..data.ncols()).max_by(|&a, &b| {
        let amax = |j: usize| data.col(j).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        amax(a).total_cmp(&amax(b))
    })
}

/// The first column whose values (centred by their mean when `centre`) are
/// not all zero but whose sum of squares underflows (below the smallest
/// normal f64, about 2.2e-308): the fits would see it as a column of zeros
/// (alpha_max, norms and the duality gap lose it). Returns the column and
/// its largest magnitude.
pub fn squares_underflow(data: MatRef<'_, f64>, centre: bool) -> Option<(usize, f64)> {
    let n = data.nrows() as f64;
    (0..data.ncols()).find_map(|j| {
        let col = data.col(j);
        let mean = if centre {
            col.iter().sum::<f64>() / n
        } else {
            0.0
        };
        let biggest = col.iter().fold(0.0f64, |m, &v| m.max((v - mean).abs()));
        let squares = col.iter().map(|&v| (v - mean) * (v - mean)).sum::<f64>();
        (biggest > 0.0 && squares < f64::MIN_POSITIVE).then_some((j, biggest))
    })
}

/// Refuses `data` (read from `source`, columns named by `names`) when the
/// fits would ([`squares_overflow`]), naming the file, the range of the
/// values and the column of the largest magnitude; and a column of values
/// so small that their squares underflow ([`squares_underflow`]).
///
/// # Errors
/// [`Error::Input`] as described.
pub fn check_magnitude(
    data: MatRef<'_, f64>,
    names: Option<&[String]>,
    source: &str,
    centre: bool,
) -> Result<()> {
    if let Some((j, biggest)) = squares_underflow(data, centre) {
        return Err(Error::Input(InputError {
            path: source.to_owned(),
            line: None,
            column: Some((j + 1, names.map(|n| n[j].clone()))),
            message: format!(
                "values too small: the column's values{} are at most {biggest:e} in magnitude, \
                 so their squares underflow f64 and the fit would treat the column as zeros; \
                 rescale the data (multiply it by a power of ten)",
                if centre { " (centred)" } else { "" }
            ),
        }));
    }
    let Some(j) = squares_overflow(data, centre) else {
        return Ok(());
    };
    let (lo, hi) = (0..data.ncols())
        .flat_map(|k| data.col(k).iter().copied().collect::<Vec<_>>())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let e = InputError {
        path: source.to_owned(),
        line: None,
        column: Some((j + 1, names.map(|n| n[j].clone()))),
        message: format!(
            "values too large: the file's values range from {lo:e} to {hi:e} (the largest \
             magnitude is in this column) and the sum of their squares{} overflows f64; \
             rescale the data (divide it by a power of ten)",
            if centre { " (centred)" } else { "" }
        ),
    };
    Err(Error::Input(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_of_huge_and_tiny_values_are_finite() {
        let s = summarize(&[1.7e308, -1.7e308]);
        assert_eq!(
            (s.mean, s.std, s.min, s.max),
            (0.0, 1.7e308, -1.7e308, 1.7e308)
        );
        let s = summarize(&[1e-320, 3e-320]);
        assert!(s.mean > 0.0 && s.std > 0.0, "{s:?}");
        let s = summarize(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!((s.mean, s.std), (5.0, 2.0));
        let s = summarize(&[0.0, 0.0]);
        assert_eq!((s.mean, s.std), (0.0, 0.0));
        assert!(summarize(&[]).mean.is_nan());
    }

    #[test]
    fn tiny_columns_whose_squares_underflow_are_refused() {
        let ok = faer::mat![[1e-150, 0.0], [-1e-150, 0.0]];
        assert!(
            squares_underflow(ok.as_ref(), true).is_none(),
            "zeros are fine"
        );
        let tiny = faer::mat![[1.0, 1e-300], [2.0, -3e-300], [3.0, 2e-300]];
        assert_eq!(
            squares_underflow(tiny.as_ref(), false).map(|t| t.0),
            Some(1)
        );
        // a constant column is all zeros once centred
        let constant = faer::mat![[1.0, 1e-300], [2.0, 1e-300]];
        assert!(squares_underflow(constant.as_ref(), true).is_none());
        assert!(squares_underflow(constant.as_ref(), false).is_some());
        let names = vec!["a".to_owned(), "b".to_owned()];
        let e = check_magnitude(tiny.as_ref(), Some(&names), "X.csv", true).unwrap_err();
        assert!(e.is_user_error());
        let msg = e.to_string();
        assert!(
            msg.starts_with("X.csv, column 2 (\"b\"): values too small") && msg.contains("rescale"),
            "{msg}"
        );
    }

    #[test]
    fn magnitude_rule_names_file_range_and_column() {
        let ok = faer::mat![[1e150, 1.0], [-1e150, 2.0]];
        assert!(squares_overflow(ok.as_ref(), true).is_none());
        let big = faer::mat![[1.0, 1e200], [2.0, -3e200]];
        assert_eq!(squares_overflow(big.as_ref(), true), Some(1));
        let names = vec!["a".to_owned(), "b".to_owned()];
        let e = check_magnitude(big.as_ref(), Some(&names), "X.csv", true).unwrap_err();
        assert!(e.is_user_error());
        let msg = e.to_string();
        assert!(
            msg.starts_with("X.csv, column 2 (\"b\"): values too large"),
            "{msg}"
        );
        assert!(msg.contains("from -3e200 to 1e200"), "{msg}");
        // A large mean with a small spread is fine once centred.
        let shifted = faer::mat![[1e160 + 0.0], [1e160]];
        assert!(squares_overflow(shifted.as_ref(), true).is_none());
        assert!(squares_overflow(shifted.as_ref(), false).is_some());
    }
}
