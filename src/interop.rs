//! Matrix inputs and outputs: faer matrices and views; nalgebra matrices and
//! views of any storage (feature `nalgebra`); ndarray arrays and views (feature
//! `ndarray`, the array type of linfa). Inputs are viewed in place, never
//! copied; outputs (coefficients, predictions) are faer matrices, converted
//! with `to_nalgebra` and `to_ndarray` (with their features).
//!
//! A faer view is a pointer and two strides, so any dense layout is viewed as
//! it is: column-major (faer, nalgebra, ndarray's Fortran order), row-major
//! (ndarray's default C order), sub-views with a leading dimension, negative
//! strides. The fit's preparation makes one centred, column-major copy of X
//! whatever the input layout (or none on the chunked Gram route, see
//! [`crate::problem::Problem`]); a row-major input costs that copy strided
//! reads, nothing more. Prediction and sufficient statistics read the view
//! directly.
//!
//! | feature | versions | input types (`f64`) |
//! |---|---|---|
//! | — | faer 0.24 | `Mat`, `MatRef`, `MatMut` |
//! | `nalgebra` | nalgebra `>=0.32, <0.36` | `Matrix<f64, R, C, S>` for any storage `S` (`DMatrix`, `SMatrix`, `DMatrixView`, `view((i, j), (r, c))`, …) |
//! | `ndarray` | ndarray `>=0.15, <0.18` | `ArrayBase<S, Ix2>` for any data `S` (`Array2`, `ArrayView2`, `ArrayViewMut2`, `CowArray`, …) |
//!
//! The version ranges let Cargo use the nalgebra or ndarray your crate already
//! depends on (`cargo update -p nalgebra --precise <version>` selects one if
//! the resolver picked another).

use faer::{Mat, MatMut, MatRef};

/// Anything that can be viewed as a dense `f64` faer matrix, without copying.
///
/// Implemented for faer's `Mat`, `MatRef`, `MatMut`; with the `nalgebra`
/// feature for every `nalgebra::Matrix<f64, R, C, S>` (owned matrices and
/// views of any strides); with the `ndarray` feature for every
/// `ndarray::ArrayBase<S, Ix2>` holding `f64` (owned arrays and views, C or
/// Fortran order, any strides).
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

/// A faer view of `nrows × ncols` values at `ptr` with the given element
/// strides, borrowed for the lifetime of `_owner`.
///
/// # Safety
/// For every `i < nrows`, `j < ncols`, `ptr + i·row_stride + j·col_stride`
/// must point to an initialised `f64` that stays valid and unmutated while
/// `_owner` is borrowed, and `ptr` must be non-null and aligned.
#[cfg(any(feature = "nalgebra", feature = "ndarray"))]
#[allow(unsafe_code)]
unsafe fn strided_view<T: ?Sized>(
    _owner: &T,
    ptr: *const f64,
    nrows: usize,
    ncols: usize,
    row_stride: isize,
    col_stride: isize,
) -> MatRef<'_, f64> {
    // SAFETY: the caller's contract is faer's `from_raw_parts` contract.
    unsafe { MatRef::from_raw_parts(ptr, nrows, ncols, row_stride, col_stride) }
}

/// Element strides as faer's `isize`, or `None` if one does not fit (it never
/// happens for an array that fits in memory).
#[cfg(feature = "nalgebra")]
fn isize_strides(rows: usize, cols: usize) -> Option<(isize, isize)> {
    Some((isize::try_from(rows).ok()?, isize::try_from(cols).ok()?))
}

#[cfg(feature = "nalgebra")]
impl<R, C, S> MatrixInput for nalgebra::Matrix<f64, R, C, S>
where
    R: nalgebra::Dim,
    C: nalgebra::Dim,
    S: nalgebra::RawStorage<f64, R, C>,
{
    fn as_faer(&self) -> MatRef<'_, f64> {
        let (nrows, ncols) = self.shape();
        let (rs, cs) = self.strides();
        let (rs, cs) = isize_strides(rs, cs).expect("strides of an allocated matrix fit in isize");
        // SAFETY: `RawStorage` is an unsafe trait whose implementors guarantee
        // that `ptr() + i·rs + j·cs` is a valid element for every index of the
        // matrix while it is borrowed (nalgebra's own `get_unchecked` relies on
        // it); `&self` keeps the storage borrowed, so it is not mutated.
        #[allow(unsafe_code)]
        unsafe {
            strided_view(self, self.as_ptr(), nrows, ncols, rs, cs)
        }
    }
}

#[cfg(feature = "ndarray")]
impl<S> MatrixInput for ndarray::ArrayBase<S, ndarray::Ix2>
where
    S: ndarray::Data<Elem = f64>,
{
    fn as_faer(&self) -> MatRef<'_, f64> {
        let (nrows, ncols) = self.dim();
        let strides = self.strides();
        // SAFETY: ndarray guarantees that `as_ptr()` (non-null, aligned) plus
        // `i·strides[0] + j·strides[1]` is a valid element for every index in
        // `dim()` (negative strides included); `S: Data` means the elements
        // are readable and `&self` keeps them borrowed, unmutated.
        #[allow(unsafe_code)]
        unsafe {
            strided_view(self, self.as_ptr(), nrows, ncols, strides[0], strides[1])
        }
    }
}

/// Copies a faer matrix (coefficients, predictions) into a nalgebra `DMatrix`.
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

/// Copies a faer matrix (coefficients, predictions) into an ndarray `Array2`
/// (standard, row-major layout).
///
/// ```
/// let m = faer::mat![[1.0, 2.0], [3.0, 4.0]];
/// let a = mtreg::interop::to_ndarray(m.as_ref());
/// assert_eq!(a[[1, 0]], 3.0);
/// ```
#[cfg(feature = "ndarray")]
pub fn to_ndarray(m: MatRef<'_, f64>) -> ndarray::Array2<f64> {
    ndarray::Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
}

/// Copies any [`MatrixInput`] into an owned faer matrix.
///
/// ```
/// let m = faer::mat![[1.0, 2.0], [3.0, 4.0]];
/// assert_eq!(mtreg::interop::to_faer(&m.as_ref()), m);
/// ```
pub fn to_faer<M: MatrixInput + ?Sized>(m: &M) -> Mat<f64> {
    m.as_faer().to_owned()
}

/// Copies a nalgebra matrix (any storage) into an owned faer matrix.
#[cfg(feature = "nalgebra")]
pub fn from_nalgebra<R, C, S>(m: &nalgebra::Matrix<f64, R, C, S>) -> Mat<f64>
where
    R: nalgebra::Dim,
    C: nalgebra::Dim,
    S: nalgebra::RawStorage<f64, R, C>,
{
    to_faer(m)
}

#[cfg(test)]
mod tests {
    #[allow(unused_imports)]
    use super::*;

    #[cfg(feature = "nalgebra")]
    #[test]
    fn nalgebra_matrices_and_views_are_exact_and_round_trip() {
        let d =
            nalgebra::DMatrix::from_row_slice(3, 4, &(0..12).map(f64::from).collect::<Vec<_>>());
        let v = d.as_faer();
        assert_eq!((v.nrows(), v.ncols()), (3, 4));
        assert_eq!(v[(1, 2)], 6.0);
        assert_eq!(v[(0, 1)], 1.0);
        assert_eq!(to_nalgebra(v), d);
        assert_eq!(from_nalgebra(&d), v.to_owned());
        // a view with a leading dimension (column stride 3, 2 rows)
        let sub = d.view((1, 1), (2, 3));
        let s = sub.as_faer();
        assert_eq!((s.nrows(), s.ncols()), (2, 3));
        for i in 0..2 {
            for j in 0..3 {
                assert_eq!(s[(i, j)], d[(i + 1, j + 1)]);
            }
        }
        // a view with a row stride (every other row)
        let steps = d.view_with_steps((0, 0), (2, 4), (1, 0));
        let s = steps.as_faer();
        for j in 0..4 {
            assert_eq!(s[(0, j)], d[(0, j)]);
            assert_eq!(s[(1, j)], d[(2, j)]);
        }
        // a statically sized matrix and a column
        let m = nalgebra::Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
        assert_eq!(m.as_faer()[(1, 2)], 6.0);
        assert_eq!(d.column(2).as_faer()[(2, 0)], 10.0);
    }

    #[cfg(feature = "ndarray")]
    #[test]
    fn ndarray_layouts_are_viewed_exactly() {
        use ndarray::{Array2, ShapeBuilder, s};
        let c = Array2::from_shape_fn((3, 4), |(i, j)| (10 * i + j) as f64);
        let f = Array2::from_shape_fn((3, 4).f(), |(i, j)| (10 * i + j) as f64);
        let reversed = c.slice(s![..;-1, 1..;2]);
        for (m, a) in [
            (c.as_faer(), &c),
            (f.as_faer(), &f),
            (c.view().as_faer(), &c),
        ] {
            assert_eq!((m.nrows(), m.ncols()), (3, 4));
            for i in 0..3 {
                for j in 0..4 {
                    assert_eq!(m[(i, j)], a[[i, j]]);
                }
            }
        }
        let r = reversed.as_faer();
        assert_eq!((r.nrows(), r.ncols()), (3, 2));
        assert_eq!(r[(0, 0)], 21.0);
        assert_eq!(r[(2, 1)], 3.0);
        assert_eq!(to_ndarray(c.as_faer()), c);
        assert_eq!(to_ndarray(f.as_faer()), f);
    }
}
