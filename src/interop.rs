//! Matrix inputs: faer views and owned matrices, and nalgebra's `DMatrix`
//! (feature `nalgebra`), all without copying.

use faer::{Mat, MatMut, MatRef};

/// Anything that can be viewed as a dense `f64` faer matrix.
///
/// Implemented for faer's `Mat`, `MatRef`, `MatMut` and, with the `nalgebra`
/// feature, `nalgebra::DMatrix<f64>` (column-major, viewed in place).
pub trait MatrixInput {
    /// A borrowed faer view of the data.
    fn as_faer(&self) -> MatRef<'_, f64>;
}

impl MatrixInput for Mat<f64> {
    fn as_faer(&self) -> MatRef<'_, f64> {
        self.as_ref()
    }
}

impl MatrixInput for MatRef<'_, f64> {
    fn as_faer(&self) -> MatRef<'_, f64> {
        *self
    }
}

impl MatrixInput for MatMut<'_, f64> {
    fn as_faer(&self) -> MatRef<'_, f64> {
        self.as_ref()
    }
}

#[cfg(feature = "nalgebra")]
impl MatrixInput for nalgebra::DMatrix<f64> {
    fn as_faer(&self) -> MatRef<'_, f64> {
        // DMatrix stores its entries column-major and contiguously.
        MatRef::from_column_major_slice(self.as_slice(), self.nrows(), self.ncols())
    }
}

/// Copies a faer matrix into a nalgebra `DMatrix`.
///
/// ```
/// let m = faer::mat![[1.0, 2.0], [3.0, 4.0]];
/// let d = mtreg::interop::to_nalgebra(m.as_ref());
/// assert_eq!(d[(1, 0)], 3.0);
/// ```
#[cfg(feature = "nalgebra")]
pub fn to_nalgebra(m: MatRef<'_, f64>) -> nalgebra::DMatrix<f64> {
    nalgebra::DMatrix::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)])
}

/// Copies a nalgebra `DMatrix` into an owned faer matrix.
#[cfg(feature = "nalgebra")]
pub fn from_nalgebra(m: &nalgebra::DMatrix<f64>) -> Mat<f64> {
    m.as_faer().to_owned()
}

#[cfg(all(test, feature = "nalgebra"))]
mod tests {
    use super::*;

    #[test]
    fn nalgebra_views_are_exact_and_round_trip() {
        let d = nalgebra::DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let v = d.as_faer();
        assert_eq!((v.nrows(), v.ncols()), (2, 3));
        assert_eq!(v[(1, 2)], 6.0);
        assert_eq!(v[(0, 1)], 2.0);
        assert_eq!(to_nalgebra(v), d);
        assert_eq!(from_nalgebra(&d), v.to_owned());
    }
}
