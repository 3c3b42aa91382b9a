//! `mtreg._core`: the compiled half of the Python package `mtreg`.
//!
//! Thin functions over the mtreg library (through [`adapter`]): numpy arrays
//! are viewed without copies ([`arrays`]), the GIL is released while the
//! library runs, a Rust panic is caught at this boundary and raised as
//! `RuntimeError`, and library errors become `ValueError` naming the array
//! and the position. The scikit-learn-compatible estimators are Python
//! classes (`python/mtreg/`) that call these functions.

mod adapter;
mod arrays;

use adapter::{Fitted, Graph, Kind, Spec};
use faer::{Mat, MatRef};
use mtreg::path::AlphaGrid;
use mtreg::penalty::Sparsity;
use mtreg::{Certificate, Fit, Selection};
use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The extension's own allocations (arrays from numpy are only viewed) go
/// through mimalloc: it keeps freed pages for the next fit, where the
/// process's malloc may return them to the OS after each fit (page faults
/// were 25–35 % of 3–5 ms fits).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The model parameters, from a Python dict (see `mtreg/_params.py`).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct Params {
    model: String,
    alpha: f64,
    l1_ratio: f64,
    fit_intercept: bool,
    standardize: bool,
    tol: f64,
    max_iter: usize,
    selection: String,
    seed: u64,
    penalty: String,
    graph: Option<Vec<(usize, usize, f64)>>,
    /// Tasks of the graph when given as an adjacency matrix (checked against the data).
    graph_tasks: Option<usize>,
    chain: bool,
    graph_strength: f64,
    pooled: bool,
    relation_strength: f64,
    max_outer: usize,
    outer_tol: f64,
    relation_eps: f64,
}

impl Params {
    fn spec(&self) -> PyResult<Spec> {
        let sparsity = match self.penalty.as_str() {
            "group" => Sparsity::Group,
            "entrywise" => Sparsity::Entrywise,
            other => return Err(bad_value("penalty", other, "'group' or 'entrywise'")),
        };
        let selection = match self.selection.as_str() {
            "cyclic" => Selection::Cyclic,
            "random" => Selection::Random { seed: self.seed },
            other => return Err(bad_value("selection", other, "'cyclic' or 'random'")),
        };
        let kind = match self.model.as_str() {
            "enet" => Kind::ElasticNet,
            "graph" => Kind::Graph {
                sparsity,
                graph: match (&self.graph, self.chain) {
                    (_, true) => Graph::Chain,
                    (Some(e), false) => Graph::Edges(e.clone(), self.graph_tasks),
                    (None, false) => Graph::None,
                },
                strength: self.graph_strength,
                pooled: self.pooled,
            },
            "relation" => Kind::Relation {
                sparsity,
                strength: self.relation_strength,
                max_outer: self.max_outer,
                outer_tol: self.outer_tol,
                eps: self.relation_eps,
            },
            other => return Err(bad_value("model", other, "'enet', 'graph' or 'relation'")),
        };
        Ok(Spec {
            kind,
            alpha: self.alpha,
            l1_ratio: self.l1_ratio,
            fit_intercept: self.fit_intercept,
            standardize: self.standardize,
            tol: self.tol,
            max_iter: self.max_iter,
            selection,
        })
    }
}

fn bad_value(name: &str, value: &str, expected: &str) -> PyErr {
    PyValueError::new_err(format!("{name} must be {expected}, got {value:?}"))
}

/// A library error that a call can report, with what is needed to say where.
enum Failure {
    Lib(mtreg::Error),
    /// A non-finite value found by this crate's own scan (per-task inputs).
    NonFinite {
        name: String,
        row: usize,
        col: usize,
        value: f64,
    },
    Panic(String),
}

impl From<mtreg::Error> for Failure {
    fn from(e: mtreg::Error) -> Self {
        Failure::Lib(e)
    }
}

fn nonfinite_message(name: &str, row: usize, col: usize, value: Option<f64>) -> String {
    let what = match value {
        Some(v) if v.is_nan() => "NaN",
        Some(_) => "infinity",
        None => "NaN or infinity",
    };
    format!("Input {name} contains {what} at row {row}, column {col} (0-based).")
}

/// Runs `f` with the GIL released; panics become `RuntimeError`, library
/// errors `ValueError` (user errors) or `RuntimeError` (internal failures).
/// `inputs` are the shared-design X and Y, to tell NaN from infinity.
fn guarded<T: Send>(
    py: Python<'_>,
    inputs: Option<(MatRef<'_, f64>, MatRef<'_, f64>)>,
    f: impl FnOnce() -> Result<T, Failure> + Send,
) -> PyResult<T> {
    let out =
        py.detach(|| catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(panic_failure(p))));
    out.map_err(|e| match e {
        Failure::Panic(msg) => PyRuntimeError::new_err(format!(
            "internal error in mtreg (a Rust panic, caught; please report it): {msg}"
        )),
        Failure::NonFinite {
            name,
            row,
            col,
            value,
        } => PyValueError::new_err(nonfinite_message(&name, row, col, Some(value))),
        Failure::Lib(mtreg::Error::NonFinite { what, row, col }) => {
            let (name, value) = match (what, inputs) {
                ("X", Some((x, _))) => ("X", Some(x[(row, col)])),
                ("Y", Some((_, y))) => ("y", Some(y[(row, col)])),
                (other, _) => (other, None),
            };
            PyValueError::new_err(nonfinite_message(name, row, col, value))
        }
        Failure::Lib(e) if e.is_user_error() => PyValueError::new_err(e.to_string()),
        Failure::Lib(e) => PyRuntimeError::new_err(e.to_string()),
    })
}

fn panic_failure(payload: Box<dyn std::any::Any + Send>) -> Failure {
    let msg = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    };
    Failure::Panic(msg)
}

/// Scans per-task inputs for NaN/inf, naming the task (`X[k]`, `y[k]`).
fn check_tasks(xs: &[MatRef<'_, f64>], ys: &[&[f64]]) -> Result<(), Failure> {
    for (k, x) in xs.iter().enumerate() {
        for j in 0..x.ncols() {
            for i in 0..x.nrows() {
                let v = x[(i, j)];
                if !v.is_finite() {
                    return Err(Failure::NonFinite {
                        name: format!("X[{k}]"),
                        row: i,
                        col: j,
                        value: v,
                    });
                }
            }
        }
    }
    for (k, y) in ys.iter().enumerate() {
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(Failure::NonFinite {
                name: format!("y[{k}]"),
                row: i,
                col: 0,
                value: y[i],
            });
        }
    }
    Ok(())
}

fn certificate_dict<'py>(py: Python<'py>, c: Certificate) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("kind", c.kind())?;
    d.set_item("value", c.value())?;
    d.set_item("tol", c.tol())?;
    Ok(d)
}

/// One fit as a dict of Python values (coef in scikit-learn's (T, p) layout).
fn fit_dict<'py>(py: Python<'py>, fit: &Fit) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("coef", arrays::coef_t(py, fit.coef())?)?;
    d.set_item("intercept", PyArray1::from_slice(py, fit.intercept()))?;
    d.set_item("certificate", certificate_dict(py, fit.certificate())?)?;
    d.set_item("dual_gap", fit.dual_gap())?;
    d.set_item("objective", fit.objective())?;
    d.set_item("kkt_residual", fit.kkt_residual())?;
    d.set_item("n_iter", fit.n_iter())?;
    d.set_item("converged", fit.converged())?;
    d.set_item("alpha", fit.alpha())?;
    d.set_item("alpha_max", fit.alpha_max())?;
    d.set_item("used_gram", fit.used_gram())?;
    d.set_item("n_screened", fit.n_screened())?;
    d.set_item("seconds", fit.seconds())?;
    Ok(d)
}

fn fitted_dict<'py>(py: Python<'py>, f: &Fitted) -> PyResult<Bound<'py, PyDict>> {
    let d = fit_dict(py, &f.fit)?;
    if let Some(r) = &f.relations {
        relations_into(py, &d, r)?;
    }
    Ok(d)
}

fn relations_into<'py>(
    py: Python<'py>,
    d: &Bound<'py, PyDict>,
    r: &adapter::Relations,
) -> PyResult<()> {
    d.set_item("sigma", arrays::mat(py, r.sigma.as_ref())?)?;
    d.set_item("correlation", arrays::mat(py, r.correlation.as_ref())?)?;
    d.set_item("objectives", PyArray1::from_slice(py, &r.objectives))?;
    d.set_item("relation_converged", r.converged)?;
    Ok(())
}

fn grid(alphas: Option<&[f64]>, n_alphas: usize, eps: f64) -> AlphaGrid {
    match alphas {
        Some(a) => AlphaGrid::Explicit(a.to_vec()),
        None => AlphaGrid::Auto { n_alphas, eps },
    }
}

fn path_dict<'py>(py: Python<'py>, path: &mtreg::path::Path) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("alphas", PyArray1::from_slice(py, &path.alphas))?;
    d.set_item("alpha_max", path.alpha_max)?;
    let fits: Vec<Bound<'py, PyDict>> = path
        .fits
        .iter()
        .map(|f| fit_dict(py, f))
        .collect::<PyResult<_>>()?;
    d.set_item("fits", fits)?;
    Ok(d)
}

fn cv_dict<'py>(
    py: Python<'py>,
    cv: &mtreg::cv::CvResult,
    relations: Option<&adapter::Relations>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("alphas", PyArray1::from_slice(py, &cv.alphas))?;
    d.set_item("mse_path", arrays::mat(py, cv.mse_path.as_ref())?)?;
    d.set_item("mse_mean", PyArray1::from_slice(py, &cv.mse_mean))?;
    d.set_item("mse_se", PyArray1::from_slice(py, &cv.mse_se))?;
    d.set_item("mse_per_task", arrays::mat(py, cv.mse_per_task.as_ref())?)?;
    d.set_item("alpha_min", cv.alpha_min)?;
    d.set_item("alpha_1se", cv.alpha_1se)?;
    d.set_item("alpha", cv.alpha)?;
    let fit = fit_dict(py, &cv.fit)?;
    if let Some(r) = relations {
        relations_into(py, &fit, r)?;
    }
    d.set_item("fit", fit)?;
    Ok(d)
}

fn warm_start(w: Option<&PyReadonlyArray2<'_, f64>>) -> Option<Mat<f64>> {
    w.map(arrays::from_coef_t)
}

/// Fits a shared design. `warm_start` is (T, p) like `coef_`.
#[pyfunction]
#[pyo3(signature = (params, x, y, warm_start=None))]
fn fit<'py>(
    py: Python<'py>,
    params: Params,
    x: PyReadonlyArray2<'py, f64>,
    y: PyReadonlyArray2<'py, f64>,
    warm_start: Option<PyReadonlyArray2<'py, f64>>,
) -> PyResult<Bound<'py, PyDict>> {
    let spec = params.spec()?;
    let (xv, yv) = (arrays::view(&x), arrays::view(&y));
    let warm = self::warm_start(warm_start.as_ref());
    let fitted = guarded(py, Some((xv, yv)), || {
        Ok(adapter::fit(&spec, xv, yv, warm)?)
    })?;
    fitted_dict(py, &fitted)
}

/// Borrowed per-task inputs.
struct Tasks<'a> {
    xs: Vec<MatRef<'a, f64>>,
    ys: Vec<&'a [f64]>,
    weights: Option<&'a [f64]>,
}

fn tasks<'a>(
    xs: &'a [PyReadonlyArray2<'_, f64>],
    ys: &'a [PyReadonlyArray1<'_, f64>],
    weights: Option<&'a PyReadonlyArray1<'_, f64>>,
) -> PyResult<Tasks<'a>> {
    Ok(Tasks {
        xs: xs.iter().map(arrays::view).collect(),
        ys: ys.iter().map(arrays::slice).collect::<PyResult<_>>()?,
        weights: weights.map(arrays::slice).transpose()?,
    })
}

/// Fits per-task designs `xs[t]`, `ys[t]` with task weights.
#[pyfunction]
#[pyo3(signature = (params, xs, ys, weights=None, warm_start=None))]
fn fit_tasks<'py>(
    py: Python<'py>,
    params: Params,
    xs: Vec<PyReadonlyArray2<'py, f64>>,
    ys: Vec<PyReadonlyArray1<'py, f64>>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    warm_start: Option<PyReadonlyArray2<'py, f64>>,
) -> PyResult<Bound<'py, PyDict>> {
    let spec = params.spec()?;
    let t = tasks(&xs, &ys, weights.as_ref())?;
    let warm = self::warm_start(warm_start.as_ref());
    let fitted = guarded(py, None, || {
        check_tasks(&t.xs, &t.ys)?;
        Ok(adapter::fit_tasks(&spec, &t.xs, &t.ys, t.weights, warm)?)
    })?;
    fitted_dict(py, &fitted)
}

/// The warm-started path over the given alphas or the automatic grid.
#[pyfunction]
#[pyo3(signature = (params, x, y, alphas=None, n_alphas=100, eps=1e-3, warm_start=None))]
#[allow(clippy::too_many_arguments)]
fn path<'py>(
    py: Python<'py>,
    params: Params,
    x: PyReadonlyArray2<'py, f64>,
    y: PyReadonlyArray2<'py, f64>,
    alphas: Option<PyReadonlyArray1<'py, f64>>,
    n_alphas: usize,
    eps: f64,
    warm_start: Option<PyReadonlyArray2<'py, f64>>,
) -> PyResult<Bound<'py, PyDict>> {
    let spec = params.spec()?;
    let (xv, yv) = (arrays::view(&x), arrays::view(&y));
    let grid = grid(
        alphas.as_ref().map(arrays::slice).transpose()?,
        n_alphas,
        eps,
    );
    let warm = self::warm_start(warm_start.as_ref());
    let path = guarded(py, Some((xv, yv)), || {
        Ok(adapter::path(&spec, xv, yv, &grid, warm)?)
    })?;
    path_dict(py, &path)
}

/// The warm-started path with per-task designs.
#[pyfunction]
#[pyo3(signature = (params, xs, ys, weights=None, alphas=None, n_alphas=100, eps=1e-3, warm_start=None))]
#[allow(clippy::too_many_arguments)]
fn path_tasks<'py>(
    py: Python<'py>,
    params: Params,
    xs: Vec<PyReadonlyArray2<'py, f64>>,
    ys: Vec<PyReadonlyArray1<'py, f64>>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    alphas: Option<PyReadonlyArray1<'py, f64>>,
    n_alphas: usize,
    eps: f64,
    warm_start: Option<PyReadonlyArray2<'py, f64>>,
) -> PyResult<Bound<'py, PyDict>> {
    let spec = params.spec()?;
    let t = tasks(&xs, &ys, weights.as_ref())?;
    let grid = grid(
        alphas.as_ref().map(arrays::slice).transpose()?,
        n_alphas,
        eps,
    );
    let warm = self::warm_start(warm_start.as_ref());
    let path = guarded(py, None, || {
        check_tasks(&t.xs, &t.ys)?;
        Ok(adapter::path_tasks(
            &spec, &t.xs, &t.ys, t.weights, &grid, warm,
        )?)
    })?;
    path_dict(py, &path)
}

/// K-fold cross-validation on the given test folds (a partition of the
/// samples), then the refit at the alpha of smallest mean held-out MSE.
#[pyfunction]
#[pyo3(signature = (params, x, y, test_folds, alphas=None, n_alphas=100, eps=1e-3, threads=1))]
#[allow(clippy::too_many_arguments)]
fn cross_validate<'py>(
    py: Python<'py>,
    params: Params,
    x: PyReadonlyArray2<'py, f64>,
    y: PyReadonlyArray2<'py, f64>,
    test_folds: Vec<Vec<usize>>,
    alphas: Option<PyReadonlyArray1<'py, f64>>,
    n_alphas: usize,
    eps: f64,
    threads: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let spec = params.spec()?;
    let (xv, yv) = (arrays::view(&x), arrays::view(&y));
    let grid = grid(
        alphas.as_ref().map(arrays::slice).transpose()?,
        n_alphas,
        eps,
    );
    let opts = adapter::cv_options(grid, test_folds, threads);
    let (cv, rel) = guarded(py, Some((xv, yv)), || {
        Ok(adapter::cross_validate(&spec, xv, yv, &opts)?)
    })?;
    cv_dict(py, &cv, rel.as_ref())
}

/// K-fold cross-validation with per-task designs (each task's samples split
/// into `folds` contiguous parts), then the refit.
#[pyfunction]
#[pyo3(signature = (params, xs, ys, folds, weights=None, alphas=None, n_alphas=100, eps=1e-3, threads=1))]
#[allow(clippy::too_many_arguments)]
fn cross_validate_tasks<'py>(
    py: Python<'py>,
    params: Params,
    xs: Vec<PyReadonlyArray2<'py, f64>>,
    ys: Vec<PyReadonlyArray1<'py, f64>>,
    folds: usize,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    alphas: Option<PyReadonlyArray1<'py, f64>>,
    n_alphas: usize,
    eps: f64,
    threads: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let spec = params.spec()?;
    let t = tasks(&xs, &ys, weights.as_ref())?;
    let grid = grid(
        alphas.as_ref().map(arrays::slice).transpose()?,
        n_alphas,
        eps,
    );
    let mut opts = adapter::cv_options(grid, Vec::new(), threads);
    opts.test_folds = None;
    opts.folds = folds;
    let (cv, rel) = guarded(py, None, || {
        check_tasks(&t.xs, &t.ys)?;
        Ok(adapter::cross_validate_tasks(
            &spec, &t.xs, &t.ys, t.weights, &opts,
        )?)
    })?;
    cv_dict(py, &cv, rel.as_ref())
}

/// alpha_max of the model on X, Y: the smallest alpha giving W = 0.
#[pyfunction]
fn alpha_max<'py>(
    py: Python<'py>,
    params: Params,
    x: PyReadonlyArray2<'py, f64>,
    y: PyReadonlyArray2<'py, f64>,
) -> PyResult<f64> {
    let spec = params.spec()?;
    let (xv, yv) = (arrays::view(&x), arrays::view(&y));
    guarded(py, Some((xv, yv)), || {
        Ok(adapter::alpha_max(&spec, xv, yv)?)
    })
}

/// Objective and certificate of given coefficients `coef` ((T, p), as
/// `coef_`) for the elastic net on X, Y.
#[pyfunction]
fn certify<'py>(
    py: Python<'py>,
    params: Params,
    x: PyReadonlyArray2<'py, f64>,
    y: PyReadonlyArray2<'py, f64>,
    coef: PyReadonlyArray2<'py, f64>,
) -> PyResult<(f64, Bound<'py, PyDict>)> {
    let spec = params.spec()?;
    let (xv, yv) = (arrays::view(&x), arrays::view(&y));
    let w = arrays::view(&coef).transpose();
    let (objective, cert) = guarded(py, Some((xv, yv)), || {
        Ok(adapter::certify(&spec, xv, yv, w)?)
    })?;
    Ok((objective, certificate_dict(py, cert)?))
}

/// A 2-D float64 numpy array.
type Matrix<'py> = Bound<'py, numpy::PyArray2<f64>>;

/// `make_regression`: X (n, p), Y (n, T), coef (p, T).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (n_samples, n_features, n_informative, n_targets, bias, effective_rank, tail_strength, noise, shuffle, seed))]
fn make_regression<'py>(
    py: Python<'py>,
    n_samples: usize,
    n_features: usize,
    n_informative: usize,
    n_targets: usize,
    bias: f64,
    effective_rank: Option<usize>,
    tail_strength: f64,
    noise: f64,
    shuffle: bool,
    seed: u64,
) -> PyResult<(Matrix<'py>, Matrix<'py>, Matrix<'py>)> {
    let data = guarded(py, None, || {
        Ok(adapter::make_regression(
            n_samples,
            n_features,
            n_informative,
            n_targets,
            bias,
            effective_rank,
            tail_strength,
            noise,
            shuffle,
            seed,
        )?)
    })?;
    Ok((
        arrays::mat(py, data.x.as_ref())?,
        arrays::mat(py, data.y.as_ref())?,
        arrays::mat(py, data.coef.as_ref())?,
    ))
}

/// Panics inside the guarded boundary (tests check that it becomes a
/// `RuntimeError` and the interpreter survives).
#[pyfunction]
fn _panic_for_tests(py: Python<'_>, message: String) -> PyResult<()> {
    guarded(py, None, || -> Result<(), Failure> { panic!("{message}") })
}

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(fit_tasks, m)?)?;
    m.add_function(wrap_pyfunction!(path, m)?)?;
    m.add_function(wrap_pyfunction!(path_tasks, m)?)?;
    m.add_function(wrap_pyfunction!(cross_validate, m)?)?;
    m.add_function(wrap_pyfunction!(cross_validate_tasks, m)?)?;
    m.add_function(wrap_pyfunction!(alpha_max, m)?)?;
    m.add_function(wrap_pyfunction!(certify, m)?)?;
    m.add_function(wrap_pyfunction!(make_regression, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
