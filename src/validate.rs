//! Input checks shared by every layer: shapes and finiteness of the data a
//! model is fitted to, applied to, or built from.
//!
//! The library never panics on user data: each check returns the first problem
//! found as an [`Error`] naming the matrix and the (0-based) position.

use crate::error::{Error, Result};
use faer::MatRef;

/// Returns `NonFinite` with the first NaN/inf position (column-major scan).
///
/// ```
/// let m = faer::mat![[1.0, 2.0], [f64::NAN, 0.0]];
/// let err = mtreg::validate::check_finite("X", m.as_ref()).unwrap_err();
/// assert!(matches!(err, mtreg::Error::NonFinite { what: "X", row: 1, col: 0 }));
/// ```
///
/// # Errors
/// `NonFinite` at the first NaN or infinite entry.
pub fn check_finite(what: &'static str, m: MatRef<'_, f64>) -> Result<()> {
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            if !m[(i, j)].is_finite() {
                return Err(Error::NonFinite {
                    what,
                    row: i,
                    col: j,
                });
            }
        }
    }
    Ok(())
}

/// Checks shapes and finiteness of a shared-design problem: X (n × p) and Y
/// (n × T) with n, p, T ≥ 1 and finite values.
///
/// # Errors
/// `EmptyInput`, `ShapeMismatch` or `NonFinite`.
pub fn validate_xy(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<()> {
    validate_shapes(x, y)?;
    check_finite("X", x)?;
    check_finite("Y", y)
}

/// Checks the shapes of a shared-design problem (not its values): as
/// [`validate_xy`] without the finiteness check.
///
/// # Errors
/// `EmptyInput` or `ShapeMismatch`.
pub fn validate_shapes(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<()> {
    if x.nrows() == 0 {
        return Err(Error::EmptyInput("X has no rows (samples)"));
    }
    if x.ncols() == 0 {
        return Err(Error::EmptyInput("X has no columns (features)"));
    }
    if y.ncols() == 0 {
        return Err(Error::EmptyInput("Y has no columns (tasks)"));
    }
    if y.nrows() != x.nrows() {
        return Err(Error::ShapeMismatch {
            what: "rows of Y (samples) vs rows of X",
            expected: x.nrows(),
            found: y.nrows(),
        });
    }
    Ok(())
}

/// Checks per-task designs `xs[t]` (n_t × p, the same p for all) and targets
/// `ys[t]` (n_t values, n_t ≥ 1), and the task weights (finite and > 0);
/// returns the weights, all 1 when none are given.
///
/// # Errors
/// `EmptyInput`, `ShapeMismatch`, `NonFinite`, or `InvalidParameter` for a
/// bad weight.
pub fn validate_tasks(
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
) -> Result<Vec<f64>> {
    let t = xs.len();
    if t == 0 {
        return Err(Error::EmptyInput("no tasks"));
    }
    if ys.len() != t {
        return Err(Error::ShapeMismatch {
            what: "number of target vectors vs number of designs",
            expected: t,
            found: ys.len(),
        });
    }
    let weights: Vec<f64> = match weights {
        Some(w) if w.len() != t => {
            return Err(Error::ShapeMismatch {
                what: "number of task weights vs number of tasks",
                expected: t,
                found: w.len(),
            });
        }
        Some(w) => w.to_vec(),
        None => vec![1.0; t],
    };
    let p = xs[0].ncols();
    if p == 0 {
        return Err(Error::EmptyInput("the designs have no columns (features)"));
    }
    for (k, (x, y)) in xs.iter().zip(ys).enumerate() {
        if x.ncols() != p {
            return Err(Error::ShapeMismatch {
                what: "columns (features) of a task's design vs the first task's",
                expected: p,
                found: x.ncols(),
            });
        }
        if x.nrows() != y.len() {
            return Err(Error::ShapeMismatch {
                what: "targets vs rows of the same task's design",
                expected: x.nrows(),
                found: y.len(),
            });
        }
        if y.is_empty() {
            return Err(Error::EmptyInput("a task has no samples"));
        }
        check_finite("X_t", *x)?;
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "y_t",
                row: i,
                col: k,
            });
        }
        let c = weights[k];
        if !(c.is_finite() && c > 0.0) {
            return Err(Error::InvalidParameter {
                name: "task weight",
                value: c,
                expected: "finite and > 0",
            });
        }
    }
    Ok(weights)
}

/// Checks sample weights for `n` samples (finite, ≥ 0, with a positive sum)
/// and returns them rescaled to sum to `n`, scikit-learn's convention: the
/// weighted loss `1/(2n) Σ_i s_i ‖y_i − x_iᵀW‖²` is then the weighted mean of
/// the squared errors, and integer weights equal repeated rows.
///
/// ```
/// let s = mtreg::validate::normalized_sample_weights(&[1.0, 3.0, 0.0, 4.0], 4)?;
/// assert_eq!(s, vec![0.5, 1.5, 0.0, 2.0]);
/// Ok::<(), mtreg::Error>(())
/// ```
///
/// # Errors
/// `ShapeMismatch` unless there are `n` weights, `NonFinite` (row = the
/// sample), `InvalidParameter` for a negative weight or weights summing to 0.
pub fn normalized_sample_weights(weights: &[f64], n: usize) -> Result<Vec<f64>> {
    if weights.len() != n {
        return Err(Error::ShapeMismatch {
            what: "sample weights vs samples (rows of X)",
            expected: n,
            found: weights.len(),
        });
    }
    if let Some(i) = weights.iter().position(|w| !w.is_finite()) {
        return Err(Error::NonFinite {
            what: "sample weights",
            row: i,
            col: 0,
        });
    }
    if let Some(&w) = weights.iter().find(|&&w| w < 0.0) {
        return Err(Error::InvalidParameter {
            name: "sample weight",
            value: w,
            expected: ">= 0",
        });
    }
    // Divide by the largest weight first: the sum cannot overflow.
    let max = weights.iter().copied().fold(0.0, f64::max);
    if max == 0.0 {
        return Err(Error::InvalidParameter {
            name: "sum of the sample weights",
            value: 0.0,
            expected: "> 0 (at least one positive weight)",
        });
    }
    let sum: f64 = weights.iter().map(|w| w / max).sum();
    let scale = n as f64 / sum;
    Ok(weights.iter().map(|w| w / max * scale).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_shapes_and_values() {
        let x = faer::mat![[1.0, f64::NAN]];
        let y = faer::mat![[1.0]];
        assert!(matches!(
            validate_xy(x.as_ref(), y.as_ref()),
            Err(Error::NonFinite {
                what: "X",
                row: 0,
                col: 1
            })
        ));
        let y2 = faer::mat![[1.0], [2.0]];
        let x2 = faer::mat![[1.0]];
        assert!(matches!(
            validate_xy(x2.as_ref(), y2.as_ref()),
            Err(Error::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn task_checks_name_the_problem() {
        let x = faer::mat![[1.0], [2.0]];
        let ok: &[f64] = &[1.0, 2.0];
        assert_eq!(
            validate_tasks(&[x.as_ref()], &[ok], None).unwrap(),
            vec![1.0]
        );
        let short: &[f64] = &[1.0];
        assert!(matches!(
            validate_tasks(&[x.as_ref()], &[short], None),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            validate_tasks(&[x.as_ref()], &[ok], Some(&[0.0])),
            Err(Error::InvalidParameter {
                name: "task weight",
                ..
            })
        ));
        let nan: &[f64] = &[1.0, f64::NAN];
        assert!(matches!(
            validate_tasks(&[x.as_ref()], &[nan], None),
            Err(Error::NonFinite {
                what: "y_t",
                row: 1,
                col: 0
            })
        ));
    }

    #[test]
    fn sample_weights_are_checked_and_rescaled() {
        let s = normalized_sample_weights(&[2.0, 2.0, 4.0], 3).unwrap();
        assert_eq!(s, vec![0.75, 0.75, 1.5]);
        let huge = normalized_sample_weights(&[f64::MAX, f64::MAX], 2).unwrap();
        assert_eq!(huge, vec![1.0, 1.0]);
        assert!(matches!(
            normalized_sample_weights(&[1.0], 2),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            normalized_sample_weights(&[1.0, f64::INFINITY], 2),
            Err(Error::NonFinite { row: 1, .. })
        ));
        assert!(matches!(
            normalized_sample_weights(&[1.0, -1.0], 2),
            Err(Error::InvalidParameter { value: -1.0, .. })
        ));
        assert!(matches!(
            normalized_sample_weights(&[0.0, 0.0], 2),
            Err(Error::InvalidParameter { .. })
        ));
    }
}
