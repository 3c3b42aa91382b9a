//! [`Data`]: what a model is fitted to.

use crate::error::{Error, Result};
use crate::fitted::default_names;
use crate::interop::MatrixInput;
use crate::stats::SufficientStats;
use faer::MatRef;
use std::borrow::Cow;

/// The data a model is fitted to: a shared design, per-task designs, or the
/// sufficient statistics of a shared design; with optional task weights,
/// sample weights, and feature and task names.
///
/// | constructor | data | loss |
/// |---|---|---|
/// | [`Data::shared`] | X (n × p), Y (n × T) | `1/(2n) ‖Y − XW‖²_F` |
/// | [`Data::tasks`] | X_t (n_t × p), y_t (n_t) per task | `Σ_t c_t/(2 n_t) ‖y_t − X_t w_t‖²` |
/// | [`Data::stats`] | [`SufficientStats`] of X and Y | as `shared` |
///
/// Task weights c_t ([`task_weights`](Data::task_weights), default 1) apply to
/// per-task designs; a shared design with weights is fitted as per-task designs
/// that share X. Sample weights ([`sample_weights`](Data::sample_weights),
/// scikit-learn's `sample_weight`) weight the squared error of each sample:
/// rescaled to sum to n (to n_t within each task), they give the loss
/// `1/(2n) Σ_i s_i ‖y_i − Wᵀx_i‖²`, weighted means for the intercepts, and
/// scikit-learn's weighted alpha_max and duality gap (see
/// [`prepare_weighted`](crate::preprocess::prepare_weighted)). Names default
/// to `x0, x1, …` and `y0, y1, …` (statistics carry their own).
///
/// ```
/// use mtreg::{MultiTaskLasso, problem::Data};
/// let x0 = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
/// let x1 = faer::mat![[2.0, 1.0], [1.0, 0.0]];
/// let xs = [x0.as_ref(), x1.as_ref()];
/// let ys: [&[f64]; 2] = [&[1.0, 0.0, 1.0], &[2.0, 1.0]];
/// let data = Data::tasks(&xs, &ys).task_weights(&[1.0, 2.0]);
/// let fit = MultiTaskLasso::new(0.01).fit_data(&data)?;
/// assert_eq!(fit.description().n_samples_per_task, Some(vec![3, 2]));
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Data<'a> {
    samples: Samples<'a>,
    weights: Option<&'a [f64]>,
    sample_weights: Option<&'a [f64]>,
    feature_names: Option<Vec<String>>,
    task_names: Option<Vec<String>>,
}

/// What a [`Data`] holds (the task lists borrowed or owned).
#[derive(Debug, Clone)]
enum Samples<'a> {
    Shared {
        x: MatRef<'a, f64>,
        y: MatRef<'a, f64>,
    },
    Tasks {
        xs: Cow<'a, [MatRef<'a, f64>]>,
        ys: Cow<'a, [&'a [f64]]>,
    },
    Stats(&'a SufficientStats),
}

/// Where the samples of a [`Data`] are ([`Data::source`]).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Source<'a> {
    /// One design X (n × p) for every task, targets Y (n × T).
    Shared {
        /// X.
        x: MatRef<'a, f64>,
        /// Y.
        y: MatRef<'a, f64>,
    },
    /// Task t has its own design `xs[t]` (n_t × p) and targets `ys[t]`.
    Tasks {
        /// The designs.
        xs: &'a [MatRef<'a, f64>],
        /// The targets.
        ys: &'a [&'a [f64]],
    },
    /// Sufficient statistics of a shared design.
    Stats(&'a SufficientStats),
}

impl<'a> Data<'a> {
    /// A shared design X (n × p) and targets Y (n × T).
    pub fn shared<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(x: &'a X, y: &'a Y) -> Self {
        Self::from_samples(Samples::Shared {
            x: x.as_faer(),
            y: y.as_faer(),
        })
    }

    /// A shared design from faer views (X n × p, Y n × T).
    pub fn shared_views(x: MatRef<'a, f64>, y: MatRef<'a, f64>) -> Self {
        Self::from_samples(Samples::Shared { x, y })
    }

    /// Per-task designs `xs[t]` (n_t × p, the same p features) and targets
    /// `ys[t]` (n_t values); both lists borrowed (`&[…]`) or owned (`Vec`).
    pub fn tasks(
        xs: impl Into<Cow<'a, [MatRef<'a, f64>]>>,
        ys: impl Into<Cow<'a, [&'a [f64]]>>,
    ) -> Self {
        Self::from_samples(Samples::Tasks {
            xs: xs.into(),
            ys: ys.into(),
        })
    }

    /// Sufficient statistics of a shared design (see [`crate::stats`]), with
    /// their feature and task names.
    pub fn stats(stats: &'a SufficientStats) -> Self {
        Self::from_samples(Samples::Stats(stats))
    }

    fn from_samples(samples: Samples<'a>) -> Self {
        Self {
            samples,
            weights: None,
            sample_weights: None,
            feature_names: None,
            task_names: None,
        }
    }

    /// Task weights c_t > 0, one per task.
    pub fn task_weights(mut self, weights: &'a [f64]) -> Self {
        self.weights = Some(weights);
        self
    }

    /// [`task_weights`](Self::task_weights) if `Some`.
    pub fn maybe_task_weights(mut self, weights: Option<&'a [f64]>) -> Self {
        self.weights = weights;
        self
    }

    /// Sample weights w_i ≥ 0 (not all 0), one per sample: n values for a
    /// shared design, `Σ_t n_t` for per-task designs (task 0's samples first,
    /// then task 1's, …). Only their ratios matter: they are rescaled to sum
    /// to n (to n_t within each task). Not available with sufficient
    /// statistics (which have summed over the samples already).
    ///
    /// ```
    /// use mtreg::{MultiTaskLasso, problem::Data};
    /// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]];
    /// let y = faer::mat![[1.0, 2.0], [0.0, 1.0], [1.0, 3.0], [2.0, 4.0]];
    /// // Weight 2 on the last sample is the same fit as that sample twice.
    /// let weighted = MultiTaskLasso::new(0.05).tol(1e-12)
    ///     .fit_data(Data::shared(&x, &y).sample_weights(&[1.0, 1.0, 1.0, 2.0]))?;
    /// let x2 = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [2.0, 1.0]];
    /// let y2 = faer::mat![[1.0, 2.0], [0.0, 1.0], [1.0, 3.0], [2.0, 4.0], [2.0, 4.0]];
    /// let repeated = MultiTaskLasso::new(0.05).tol(1e-12).fit(&x2, &y2)?;
    /// assert!((weighted.coef()[(0, 1)] - repeated.coef()[(0, 1)]).abs() < 1e-9);
    /// Ok::<(), mtreg::Error>(())
    /// ```
    pub fn sample_weights(mut self, weights: &'a [f64]) -> Self {
        self.sample_weights = Some(weights);
        self
    }

    /// [`sample_weights`](Self::sample_weights) if `Some`.
    pub fn maybe_sample_weights(mut self, weights: Option<&'a [f64]>) -> Self {
        self.sample_weights = weights;
        self
    }

    /// Feature and task names (recorded in the fit's
    /// [`Description`](crate::fitted::Description)).
    pub fn names(mut self, feature_names: Vec<String>, task_names: Vec<String>) -> Self {
        self.feature_names = Some(feature_names);
        self.task_names = Some(task_names);
        self
    }

    /// Where the samples are.
    pub fn source(&self) -> Source<'_> {
        match &self.samples {
            Samples::Shared { x, y } => Source::Shared { x: *x, y: *y },
            Samples::Tasks { xs, ys } => Source::Tasks { xs, ys },
            Samples::Stats(s) => Source::Stats(s),
        }
    }

    /// X and Y of a shared design, for as long as the data are borrowed
    /// (what a [`Problem`](super::Problem) of data used as given keeps).
    pub(crate) fn shared_pair(&self) -> Option<(MatRef<'a, f64>, MatRef<'a, f64>)> {
        match &self.samples {
            Samples::Shared { x, y } => Some((*x, *y)),
            _ => None,
        }
    }

    /// The task weights, if given.
    pub fn weights(&self) -> Option<&'a [f64]> {
        self.weights
    }

    /// The sample weights, if given (as given, not rescaled).
    pub fn sample_weight_values(&self) -> Option<&'a [f64]> {
        self.sample_weights
    }

    /// Number of features p (0 for per-task designs without tasks).
    pub fn n_features(&self) -> usize {
        match self.source() {
            Source::Shared { x, .. } => x.ncols(),
            Source::Tasks { xs, .. } => xs.first().map_or(0, |x| x.ncols()),
            Source::Stats(s) => s.n_features(),
        }
    }

    /// Number of tasks T.
    pub fn n_tasks(&self) -> usize {
        match self.source() {
            Source::Shared { y, .. } => y.ncols(),
            Source::Tasks { xs, .. } => xs.len(),
            Source::Stats(s) => s.n_tasks(),
        }
    }

    /// Number of samples: n for a shared design (or statistics), `Σ_t n_t`
    /// for per-task designs.
    pub fn n_samples(&self) -> usize {
        match self.source() {
            Source::Shared { x, .. } => x.nrows(),
            Source::Tasks { ys, .. } => ys.iter().map(|y| y.len()).sum(),
            Source::Stats(s) => s.n_samples(),
        }
    }

    /// Samples per task, for per-task designs.
    pub fn n_samples_per_task(&self) -> Option<Vec<usize>> {
        match self.source() {
            Source::Tasks { ys, .. } => Some(ys.iter().map(|y| y.len()).collect()),
            _ => None,
        }
    }

    /// The feature names (given, the statistics', or `x0, x1, …`).
    pub fn feature_names(&self) -> Vec<String> {
        match (&self.feature_names, self.source()) {
            (Some(names), _) => names.clone(),
            (None, Source::Stats(s)) => s.feature_names().to_vec(),
            (None, _) => default_names("x", self.n_features()),
        }
    }

    /// [`feature_names`](Self::feature_names) as the fit records them (the
    /// default names shared between fits of the same shape).
    pub(crate) fn feature_names_shared(&self) -> std::sync::Arc<[String]> {
        match (&self.feature_names, self.source()) {
            (None, Source::Stats(_)) | (Some(_), _) => self.feature_names().into(),
            (None, _) => crate::fitted::shared_default_names("x", self.n_features()),
        }
    }

    /// [`task_names`](Self::task_names) as the fit records them.
    pub(crate) fn task_names_shared(&self) -> std::sync::Arc<[String]> {
        match (&self.task_names, self.source()) {
            (None, Source::Stats(_)) | (Some(_), _) => self.task_names().into(),
            (None, _) => crate::fitted::shared_default_names("y", self.n_tasks()),
        }
    }

    /// The task names (given, the statistics', or `y0, y1, …`).
    pub fn task_names(&self) -> Vec<String> {
        match (&self.task_names, self.source()) {
            (Some(names), _) => names.clone(),
            (None, Source::Stats(s)) => s.task_names().to_vec(),
            (None, _) => default_names("y", self.n_tasks()),
        }
    }

    /// Checks the names against the data's p and T.
    pub(crate) fn check_names(&self) -> Result<()> {
        let check = |what, names: &Option<Vec<String>>, n| match names {
            Some(v) if v.len() != n => Err(Error::ShapeMismatch {
                what,
                expected: n,
                found: v.len(),
            }),
            _ => Ok(()),
        };
        check(
            "feature names vs features",
            &self.feature_names,
            self.n_features(),
        )?;
        check("task names vs tasks", &self.task_names, self.n_tasks())
    }

    /// A shared design seen as per-task designs (X repeated, Y split by
    /// column); per-task designs as they are. `None` for statistics.
    pub(crate) fn task_views(&self) -> Option<TaskViews<'_>> {
        match self.source() {
            Source::Shared { x, y } => Some(TaskViews {
                xs: vec![x; y.ncols()],
                ys: (0..y.ncols())
                    .map(|k| y.col(k).iter().copied().collect())
                    .collect(),
            }),
            Source::Tasks { xs, ys } => Some(TaskViews {
                xs: xs.to_vec(),
                ys: ys.iter().map(|y| y.to_vec()).collect(),
            }),
            Source::Stats(_) => None,
        }
    }
}

impl<'a> From<&'a SufficientStats> for Data<'a> {
    fn from(stats: &'a SufficientStats) -> Self {
        Data::stats(stats)
    }
}

impl<'a> From<&Data<'a>> for Data<'a> {
    fn from(data: &Data<'a>) -> Self {
        data.clone()
    }
}

/// Per-task views of a [`Data`] (see [`Data::task_views`]).
pub(crate) struct TaskViews<'a> {
    pub xs: Vec<MatRef<'a, f64>>,
    pub ys: Vec<Vec<f64>>,
}

impl TaskViews<'_> {
    /// The targets as slices.
    pub fn y_slices(&self) -> Vec<&[f64]> {
        self.ys.iter().map(Vec::as_slice).collect()
    }

    /// Sample weights split by task: a shared design's n weights for every
    /// task, per-task designs' `Σ_t n_t` weights cut at the task sizes.
    ///
    /// # Errors
    /// `ShapeMismatch` if there are not as many weights as samples.
    pub fn sample_weight_slices<'w>(
        &self,
        weights: &'w [f64],
        shared: bool,
    ) -> Result<Vec<&'w [f64]>> {
        let sizes: Vec<usize> = self.ys.iter().map(Vec::len).collect();
        if shared {
            let n = sizes.first().copied().unwrap_or(0);
            if weights.len() != n {
                return Err(Error::ShapeMismatch {
                    what: "sample weights vs samples (rows of X)",
                    expected: n,
                    found: weights.len(),
                });
            }
            return Ok(vec![weights; sizes.len()]);
        }
        let total: usize = sizes.iter().sum();
        if weights.len() != total {
            return Err(Error::ShapeMismatch {
                what: "sample weights vs samples of all tasks",
                expected: total,
                found: weights.len(),
            });
        }
        let mut out = Vec::with_capacity(sizes.len());
        let mut start = 0;
        for n in sizes {
            out.push(&weights[start..start + n]);
            start += n;
        }
        Ok(out)
    }
}
