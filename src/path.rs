//! Regularisation paths: the alpha grid and warm-started fits along it.
//!
//! The grid is scikit-learn's: `n_alphas` values spaced geometrically from
//! `alpha_max` (the smallest alpha with W = 0, on the data as prepared for the
//! fit) down to `eps · alpha_max` (defaults 100 and 1e-3). Fits are computed from
//! the largest alpha down, each warm-started at the previous solution; the data
//! are centred once and the datafit (residuals or Gram matrix) built once. The
//! working set of each fit starts from the previous support plus the worst
//! violators of the optimality conditions, which is what makes the sequence
//! cheap: features far from entering are never visited by the inner epochs.
//!
//! Long paths and cross-validations can report their progress through a
//! [`ProgressCallback`], told after each fit how many of the fits are done.

use crate::error::{Error, Result};
use crate::model::Fit;
use std::sync::{Arc, Mutex};

/// Told `(done, total)` after each fit of a path (one per alpha) or of a
/// cross-validation (one per fold, grid point and alpha), e.g. to move a
/// progress bar.
///
/// Calls are serialised, also when folds run on several threads: `done` counts
/// 1, 2, …, `total`, one call per fit. Set it with
/// [`MultiTaskElasticNet::progress`](crate::MultiTaskElasticNet::progress) for
/// paths and [`CvOptions::progress`](crate::cv::CvOptions::progress) for
/// cross-validations; single fits and CV refits do not call it.
///
/// ```
/// use mtreg::{MultiTaskLasso, path::{AlphaGrid, ProgressCallback}};
/// use std::sync::{Arc, Mutex};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let progress = ProgressCallback::new(move |done, total| log.lock().unwrap().push((done, total)));
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.5]];
/// let y = faer::mat![[1.0, 1.0], [0.0, 0.2], [1.0, 1.3], [2.1, 2.0]];
/// MultiTaskLasso::new(1.0).progress(Some(progress))
///     .path(&x, &y, &AlphaGrid::Auto { n_alphas: 3, eps: 1e-2 })?;
/// assert_eq!(*seen.lock().unwrap(), vec![(1, 3), (2, 3), (3, 3)]);
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Clone)]
pub struct ProgressCallback(Arc<dyn Fn(usize, usize) + Send + Sync>);

impl ProgressCallback {
    /// Wraps a closure called with `(done, total)`.
    pub fn new(f: impl Fn(usize, usize) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Calls the closure.
    pub fn call(&self, done: usize, total: usize) {
        (self.0)(done, total)
    }

    /// A callback for one of several concurrent runs whose fits together count
    /// `total`: each call of the returned callback reports one more fit to
    /// `self`, serialised, with `done` counted over all runs.
    pub(crate) fn shared_counter(&self, total: usize) -> SharedCounter {
        SharedCounter(Arc::new((self.clone(), total, Mutex::new(0))))
    }
}

/// Counts fits of concurrent runs into one [`ProgressCallback`] (see
/// [`ProgressCallback::shared_counter`]).
#[derive(Clone)]
pub(crate) struct SharedCounter(Arc<(ProgressCallback, usize, Mutex<usize>)>);

impl SharedCounter {
    /// Reports one more fit done.
    pub(crate) fn tick(&self) {
        let (callback, total, done) = &*self.0;
        // A panicking callback poisons the lock; the count itself stays valid.
        let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
        *done += 1;
        callback.call(*done, *total);
    }

    /// A callback that ticks this counter, whatever it is told.
    pub(crate) fn as_callback(&self) -> ProgressCallback {
        let counter = self.clone();
        ProgressCallback::new(move |_, _| counter.tick())
    }
}

impl std::fmt::Debug for ProgressCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressCallback(..)")
    }
}

/// Two callbacks are equal when they share the same closure.
impl PartialEq for ProgressCallback {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Which alphas to fit.
#[derive(Debug, Clone, PartialEq)]
pub enum AlphaGrid {
    /// `n_alphas` values geometric from alpha_max to `eps · alpha_max`.
    Auto {
        /// Number of alphas (scikit-learn default 100).
        n_alphas: usize,
        /// Ratio of the smallest to the largest alpha (default 1e-3).
        eps: f64,
    },
    /// These alphas (fitted in decreasing order).
    Explicit(Vec<f64>),
}

impl Default for AlphaGrid {
    fn default() -> Self {
        AlphaGrid::Auto {
            n_alphas: 100,
            eps: 1e-3,
        }
    }
}

impl AlphaGrid {
    /// The alphas, decreasing, for data whose alpha_max is `alpha_max`.
    ///
    /// # Errors
    /// As [`alpha_grid`] and [`check_alphas`].
    pub fn values(&self, alpha_max: f64) -> Result<Vec<f64>> {
        match self {
            AlphaGrid::Auto { n_alphas, eps } => alpha_grid(alpha_max, *n_alphas, *eps),
            AlphaGrid::Explicit(a) => check_alphas(a),
        }
    }
}

/// A path of fits, alphas decreasing.
///
/// ```
/// use mtreg::{MultiTaskLasso, path::AlphaGrid};
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.5]];
/// let y = faer::mat![[1.0, 1.0], [0.0, 0.2], [1.0, 1.3], [2.1, 2.0]];
/// let path = MultiTaskLasso::new(1.0).tol(1e-8)
///     .path(&x, &y, &AlphaGrid::Auto { n_alphas: 5, eps: 1e-2 })?;
/// assert_eq!(path.fits[0].n_nonzero_rows(), 0); // alpha_max
/// assert!(path.fits.iter().all(|f| f.certificate().is_satisfied()));
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Path {
    /// The alphas, decreasing.
    pub alphas: Vec<f64>,
    /// alpha_max on this data.
    pub alpha_max: f64,
    /// One fit per alpha, each with its certificate.
    pub fits: Vec<Fit>,
}

/// `n_alphas` values from `alpha_max` down to `eps · alpha_max`, geometric.
///
/// ```
/// let g = mtreg::path::alpha_grid(10.0, 3, 1e-2)?;
/// assert_eq!(g[0], 10.0);
/// assert!((g[1] - 1.0).abs() < 1e-12 && (g[2] - 0.1).abs() < 1e-12);
/// Ok::<(), mtreg::Error>(())
/// ```
///
/// # Errors
/// `InvalidParameter` if `n_alphas = 0`, `eps ∉ (0, 1)` or alpha_max is not
/// positive and finite (an all-zero Y has no path).
pub fn alpha_grid(alpha_max: f64, n_alphas: usize, eps: f64) -> Result<Vec<f64>> {
    if n_alphas == 0 {
        return Err(Error::InvalidParameter {
            name: "n_alphas",
            value: 0.0,
            expected: ">= 1",
        });
    }
    if !(eps > 0.0 && eps < 1.0) {
        return Err(Error::InvalidParameter {
            name: "eps",
            value: eps,
            expected: "in (0, 1)",
        });
    }
    if !(alpha_max.is_finite() && alpha_max > 0.0) {
        return Err(Error::InvalidParameter {
            name: "alpha_max (all targets constant?)",
            value: alpha_max,
            expected: "finite and > 0 to build an alpha grid",
        });
    }
    if n_alphas == 1 {
        return Ok(vec![alpha_max]);
    }
    let (lo, hi) = ((eps * alpha_max).ln(), alpha_max.ln());
    let step = (hi - lo) / (n_alphas - 1) as f64;
    let mut g: Vec<f64> = (0..n_alphas)
        .map(|k| (hi - step * k as f64).exp())
        .collect();
    // exact end points, as numpy.geomspace
    g[0] = alpha_max;
    g[n_alphas - 1] = eps * alpha_max;
    Ok(g)
}

/// Checks user alphas and returns them sorted decreasing.
///
/// # Errors
/// `InvalidParameter` for an empty list or an alpha that is not finite and > 0.
pub fn check_alphas(alphas: &[f64]) -> Result<Vec<f64>> {
    if alphas.is_empty() {
        return Err(Error::EmptyInput("no alphas"));
    }
    if let Some(&a) = alphas.iter().find(|a| !(a.is_finite() && **a > 0.0)) {
        return Err(Error::InvalidParameter {
            name: "alpha",
            value: a,
            expected: "finite and > 0",
        });
    }
    let mut v = alphas.to_vec();
    v.sort_by(|a, b| b.total_cmp(a));
    Ok(v)
}
