//! numpy arrays in, numpy arrays out.
//!
//! A float64 array of any memory layout (C- or F-ordered, sliced, negative or
//! zero strides) is viewed in place as a faer matrix: faer views take a row
//! and a column stride, so no copy is made here. The Python layer hands over
//! only aligned, native-endian float64 arrays (converting other dtypes as
//! scikit-learn does).

use faer::{Mat, MatRef};
use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A faer view of a read-only numpy matrix (no copy).
///
/// The view borrows `a`: the array stays alive, and rust-numpy's borrow flag
/// keeps other Rust code from writing to it, while the view is used (also
/// with the GIL released).
pub fn view<'a>(a: &'a PyReadonlyArray2<'_, f64>) -> MatRef<'a, f64> {
    let v = a.as_array();
    let (rs, cs) = (v.strides()[0], v.strides()[1]);
    // SAFETY: `as_array` gives a valid ndarray view of the numpy buffer (element
    // strides, pointer at element [0, 0]); faer reads element (i, j) at
    // ptr + i·rs + j·cs, which is exactly ndarray's addressing. The buffer
    // outlives 'a through the borrow of `a`.
    unsafe { MatRef::from_raw_parts(v.as_ptr(), v.nrows(), v.ncols(), rs, cs) }
}

/// A contiguous 1-D slice (the Python layer makes it contiguous).
pub fn slice<'a>(a: &'a PyReadonlyArray1<'_, f64>) -> PyResult<&'a [f64]> {
    a.as_slice()
        .map_err(|_| PyValueError::new_err("internal: a 1-D array is not contiguous"))
}

/// W (p × T) as scikit-learn's `coef_`, shape (T, p), C-ordered.
pub fn coef_t<'py>(py: Python<'py>, w: MatRef<'_, f64>) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (p, t) = (w.nrows(), w.ncols());
    let mut v = Vec::with_capacity(p * t);
    for k in 0..t {
        v.extend(w.col(k).iter().copied());
    }
    PyArray1::from_vec(py, v).reshape([t, p])
}

/// A faer matrix as a (rows, cols) C-ordered numpy array.
pub fn mat<'py>(py: Python<'py>, m: MatRef<'_, f64>) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (r, c) = (m.nrows(), m.ncols());
    let mut v = Vec::with_capacity(r * c);
    for i in 0..r {
        v.extend(m.row(i).iter().copied());
    }
    PyArray1::from_vec(py, v).reshape([r, c])
}

/// A (T, p) array (scikit-learn's layout) as an owned p × T matrix.
pub fn from_coef_t(a: &PyReadonlyArray2<'_, f64>) -> Mat<f64> {
    let v = view(a);
    Mat::from_fn(v.ncols(), v.nrows(), |j, t| v[(t, j)])
}
