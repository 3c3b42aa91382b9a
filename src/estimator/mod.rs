//! User-facing estimators (builder style, scikit-learn names and defaults).
//!
//! Every estimator is an [`Estimator<M>`]: the settings they all share
//! (`alpha`, `l1_ratio`, `tol`, …, set once here) and a model `M`:
//!
//! | estimator | model | fits |
//! |---|---|---|
//! | [`MultiTaskElasticNet`], [`MultiTaskLasso`] | [`ElasticNet`] | scikit-learn's multi-task elastic net / Lasso |
//! | [`GraphMultiTask`] | [`Graph`] | any registered penalty, a task graph, the pooled model |
//! | [`RelationLearning`] | [`Relations`] | learned task relationships (MTRL) |
//!
//! One generic pipeline serves them all (see [`crate::problem`]): the data
//! come as a [`Data`] (shared design, per-task designs with task weights, or
//! sufficient statistics) through [`fit_data`](Estimator::fit_data),
//! [`path_data`](Estimator::path_data) and
//! [`cross_validate_data`](Estimator::cross_validate_data); `fit(&x, &y)` and
//! the other shorthands call them.
//!
//! A fit returns a [`Fit`](crate::Fit) (see [`crate::fitted`]), which records
//! what was fitted in its [`Description`].

mod elastic_net;
mod graph;
pub mod penalties;
mod rank;
mod relations;
mod single;
mod weights;

pub use crate::problem::GramMode;
pub use elastic_net::{ElasticNet, MultiTaskElasticNet, MultiTaskLasso, alpha_max};
pub use graph::{Graph, GraphMultiTask};
pub use penalties::{Family, IntoFamily};
pub use rank::{Rank, RankCv, ReducedRankRegression};
pub use relations::{RelationCv, RelationFit, RelationLearning, Relations};
pub use weights::{GridCv, GridPoint, WeightScheme};

use crate::cv::CvOptions;
use crate::error::Result;
use crate::fitted::Description;
use crate::interop::MatrixInput;
use crate::path::{AlphaGrid, Path, PathTol, ProgressCallback, Settings};
use crate::problem::{Data, Preprocessing, Problem};
use crate::solver::{Monitor, Selection};
use crate::stats::SufficientStats;
use faer::MatRef;

/// An estimator: the settings every model shares and the model `M` (see the
/// [module documentation](self)). Build one with [`MultiTaskElasticNet::new`],
/// [`MultiTaskLasso::new`], [`GraphMultiTask::new`] or
/// [`RelationLearning::new`].
#[derive(Debug, Clone)]
pub struct Estimator<M> {
    pub(crate) settings: Settings,
    pub(crate) model: M,
}

mod sealed {
    pub trait Sealed {}
}

/// What distinguishes the estimators: how the data are prepared, what a fit
/// returns, how paths and cross-validations run. Implemented by
/// [`ElasticNet`], [`Graph`], [`Relations`] and [`Rank`] (sealed: a new penalty is a
/// [`PenaltyFamily`](crate::problem::PenaltyFamily), not a new model).
pub trait Model: Clone + std::fmt::Debug + Send + Sync + sealed::Sealed {
    /// What a fit returns: [`Fit`](crate::Fit), or
    /// [`RelationFit`] for learned relations.
    type Fitted;
    /// What a cross-validation returns.
    type Cv;

    #[doc(hidden)]
    fn check(est: &Estimator<Self>) -> Result<()>;
    #[doc(hidden)]
    fn prepare<'d>(est: &Estimator<Self>, data: &Data<'d>) -> Result<Problem<'d>>;
    #[doc(hidden)]
    fn alpha_max(est: &Estimator<Self>, problem: &Problem) -> Result<f64>;
    #[doc(hidden)]
    fn fit(est: &Estimator<Self>, problem: &mut Problem) -> Result<Self::Fitted>;
    #[doc(hidden)]
    fn path(est: &Estimator<Self>, problem: &mut Problem, grid: &AlphaGrid) -> Result<Path>;
    #[doc(hidden)]
    fn cross_validate(est: &Estimator<Self>, data: &Data<'_>, opts: &CvOptions)
    -> Result<Self::Cv>;
}

/// The settings every estimator shares.
impl<M: Model> Estimator<M> {
    /// Sets `alpha`, the regularisation strength (> 0), replacing an
    /// [`alpha_ratio`](Self::alpha_ratio).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.settings.alpha = alpha;
        self.settings.alpha_ratio = None;
        self
    }
    /// Fits at `ratio · alpha_max` instead of a fixed `alpha` (the CLI's
    /// `--alpha-ratio`): alpha_max is that of this model on the prepared data
    /// (its penalty, `l1_ratio`, centring, standardisation, weights), the
    /// smallest alpha giving W = 0, so `ratio` ≥ 1 gives W = 0 and the useful
    /// range is (0, 1). [`alpha`](Self::alpha) replaces it; paths and
    /// cross-validations use their grid and ignore both.
    ///
    /// ```
    /// use mtreg::MultiTaskLasso;
    /// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]];
    /// let y = faer::mat![[1.0, 2.0], [0.0, 1.0], [1.0, 3.0], [1.0, 4.0]];
    /// let fit = MultiTaskLasso::new(1.0).alpha_ratio(0.1).fit(&x, &y)?;
    /// assert!((fit.alpha() - 0.1 * fit.alpha_max()).abs() < 1e-15);
    /// Ok::<(), mtreg::Error>(())
    /// ```
    pub fn alpha_ratio(mut self, ratio: f64) -> Self {
        self.settings.alpha_ratio = Some(ratio);
        self
    }
    /// Sets `l1_ratio` ρ ∈ (0, 1], the sparsity share of the penalty (1 =
    /// Lasso; the rest is ridge).
    pub fn l1_ratio(mut self, l1_ratio: f64) -> Self {
        self.settings.l1_ratio = l1_ratio;
        self
    }
    /// Whether to fit intercepts (centre the data; per task for per-task
    /// designs).
    pub fn fit_intercept(mut self, yes: bool) -> Self {
        self.settings.fit_intercept = yes;
        self
    }
    /// Whether to standardise the columns of X before fitting (pooled over
    /// tasks for per-task designs); coefficients are reported on the original
    /// scale.
    pub fn standardize(mut self, yes: bool) -> Self {
        self.settings.standardize = yes;
        self
    }
    /// Relative tolerance: the duality gap stops at `tol · ‖Y‖²_F / n`
    /// (scikit-learn's `tol`), the KKT residual of coupled models at
    /// `tol · ρ · alpha_max`.
    pub fn tol(mut self, tol: f64) -> Self {
        self.settings.tol = tol;
        self
    }
    /// How each alpha of a [`path`](Self::path) or
    /// [`cross_validate`](Self::cross_validate) is declared solved (see
    /// [`PathTol`]): by default to a relative accuracy of
    /// [`PathTol::DEFAULT_REL`] of the objective at that alpha;
    /// `PathTol::Sklearn` for scikit-learn's `tol` at every alpha. Single
    /// fits always use [`tol`](Self::tol).
    pub fn path_tol(mut self, rule: PathTol) -> Self {
        self.settings.path_tol = rule;
        self
    }
    /// Maximum number of epochs (per fit).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.settings.max_iter = max_iter;
        self
    }
    /// Block visiting order.
    pub fn selection(mut self, selection: Selection) -> Self {
        self.settings.selection = selection;
        self
    }
    /// Residual or Gram mode.
    pub fn gram(mut self, gram: GramMode) -> Self {
        self.settings.gram = gram;
        self
    }
    /// Threads for one fit (default 1). A fit whose epochs' block products
    /// are large enough (n·T·16 ≥ 2¹⁹ multiply-adds, e.g. n = 2100 with T = 16)
    /// splits them and its full gradients over the threads, with the same
    /// iterates up to rounding; smaller fits run on one thread, where a
    /// split was measured slower (docs/benchmarks.md). For many fits (CV)
    /// parallel folds scale better: see
    /// [`CvOptions::threads`](crate::cv::CvOptions::threads).
    pub fn threads(mut self, threads: usize) -> Self {
        self.settings.threads = threads;
        self
    }
    /// Use working sets (default true); false gives plain full-epoch BCD.
    pub fn working_set(mut self, yes: bool) -> Self {
        self.settings.working_set = yes;
        self
    }
    /// Anderson extrapolation of the inner iterates (default true): fewer
    /// epochs on ill-conditioned problems, never a worse objective.
    pub fn anderson(mut self, yes: bool) -> Self {
        self.settings.anderson = yes;
        self
    }
    /// Gap-safe screening (default true): zero rows proven inactive by the
    /// duality gap leave the working set and the gradient computations. The
    /// solution and the certificate (the full duality gap) are unchanged.
    pub fn screening(mut self, yes: bool) -> Self {
        self.settings.screening = yes;
        self
    }
    /// Record the certificate at every outer check ([`Fit::trace`](crate::Fit::trace)).
    pub fn trace(mut self, yes: bool) -> Self {
        self.settings.trace = yes;
        self
    }
    /// Call `monitor` at every outer check of the solver (progress reporting;
    /// returning false stops early).
    pub fn monitor(mut self, monitor: Option<Monitor>) -> Self {
        self.settings.monitor = monitor;
        self
    }
    /// Call `progress` with `(alphas done, alphas in total)` after each alpha of
    /// a [`path`](Self::path) (see [`ProgressCallback`]); single fits do not call
    /// it. Cross-validations take theirs from
    /// [`CvOptions::progress`](crate::cv::CvOptions::progress).
    pub fn progress(mut self, progress: Option<ProgressCallback>) -> Self {
        self.settings.progress = progress;
        self
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// `InvalidParameter` naming the first parameter out of range.
    pub fn validate(&self) -> Result<()> {
        self.settings.validate()?;
        M::check(self)
    }

    /// How this estimator prepares data (centring, standardisation, Gram
    /// mode).
    pub fn preprocessing(&self) -> Preprocessing {
        self.settings.preprocessing()
    }

    /// Prepares `data` once for this estimator (see [`Problem`]): then
    /// [`alpha_max_prepared`](Self::alpha_max_prepared),
    /// [`fit_prepared`](Self::fit_prepared) and
    /// [`path_prepared`](Self::path_prepared) reuse it.
    ///
    /// ```
    /// use mtreg::{MultiTaskLasso, problem::Data};
    /// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]];
    /// let y = faer::mat![[1.0, 2.0], [0.0, 1.0], [1.0, 3.0], [1.0, 4.0]];
    /// let model = MultiTaskLasso::new(1.0).tol(1e-8);
    /// let mut problem = model.prepare(Data::shared(&x, &y))?;
    /// let amax = model.alpha_max_prepared(&problem)?;
    /// let fit = model.alpha(0.1 * amax).fit_prepared(&mut problem)?;
    /// assert!(fit.certificate().is_satisfied());
    /// Ok::<(), mtreg::Error>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidParameter` for bad parameters; `EmptyInput`, `ShapeMismatch`,
    /// `NonFinite`, `Overflow` for unusable data.
    pub fn prepare<'d>(&self, data: impl Into<Data<'d>>) -> Result<Problem<'d>> {
        self.validate()?;
        M::prepare(self, &data.into())
    }

    /// The smallest alpha giving W = 0 on a prepared problem (this model's
    /// penalty and `l1_ratio`).
    ///
    /// # Errors
    /// As [`prepare`](Self::prepare).
    pub fn alpha_max_prepared(&self, problem: &Problem) -> Result<f64> {
        self.validate()?;
        self.check_prepared(problem)?;
        M::alpha_max(self, problem)
    }

    /// Fits on a prepared problem (at this estimator's `alpha`).
    ///
    /// # Errors
    /// As [`fit`](Self::fit); `Incompatible` if the problem was prepared
    /// differently (another `fit_intercept`, `standardize` or Gram mode, or
    /// pooled vs not).
    pub fn fit_prepared(&self, problem: &mut Problem) -> Result<M::Fitted> {
        self.validate()?;
        self.check_prepared(problem)?;
        let est = self.at_ratio(problem)?;
        M::fit(&est, problem)
    }

    /// This estimator with `alpha` resolved from its
    /// [`alpha_ratio`](Self::alpha_ratio) on `problem`, if one is set.
    fn at_ratio(&self, problem: &Problem) -> Result<std::borrow::Cow<'_, Self>> {
        Ok(match self.settings.alpha_ratio {
            None => std::borrow::Cow::Borrowed(self),
            Some(r) => {
                let alpha_max = M::alpha_max(self, problem)?;
                std::borrow::Cow::Owned(self.clone().alpha(r * alpha_max))
            }
        })
    }

    /// A warm-started path on a prepared problem.
    ///
    /// # Errors
    /// As [`fit_prepared`](Self::fit_prepared), and `InvalidParameter` for a
    /// bad grid.
    pub fn path_prepared(&self, problem: &mut Problem, grid: &AlphaGrid) -> Result<Path> {
        self.validate()?;
        self.check_prepared(problem)?;
        M::path(self, problem, grid)
    }

    fn check_prepared(&self, problem: &Problem) -> Result<()> {
        if problem.preprocessing() != self.preprocessing() {
            return Err(crate::Error::Incompatible(
                "the problem was prepared with other fit_intercept, standardize or gram settings"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Fits to any [`Data`]: a shared design, per-task designs (with task
    /// weights), or sufficient statistics.
    ///
    /// # Errors
    /// See the estimator's documentation.
    pub fn fit_data<'d>(&self, data: impl Into<Data<'d>>) -> Result<M::Fitted> {
        let mut problem = self.prepare(data)?;
        let est = self.at_ratio(&problem)?;
        M::fit(&est, &mut problem)
    }

    /// Fits along a grid of alphas, from the largest down, each fit
    /// warm-started at the previous one (see [`crate::path`]); the data are
    /// prepared once. The estimator's own `alpha` (or `alpha_ratio`) is
    /// ignored.
    ///
    /// # Errors
    /// As [`fit_data`](Self::fit_data), and `InvalidParameter` for a bad grid.
    pub fn path_data<'d>(&self, data: impl Into<Data<'d>>, grid: &AlphaGrid) -> Result<Path> {
        let mut problem = self.prepare(data)?;
        M::path(self, &mut problem, grid)
    }

    /// K-fold cross-validation over an alpha grid, then a refit on all data
    /// at the selected alpha (see [`crate::cv`]; scikit-learn's
    /// `MultiTaskLassoCV`). Not available from sufficient statistics.
    ///
    /// # Errors
    /// As [`path_data`](Self::path_data), and `InvalidParameter` for bad CV
    /// options.
    pub fn cross_validate_data<'d>(
        &self,
        data: impl Into<Data<'d>>,
        opts: &CvOptions,
    ) -> Result<M::Cv> {
        self.validate()?;
        M::cross_validate(self, &data.into(), opts)
    }

    /// Fits to a shared design X (n × p) and targets Y (n × T).
    ///
    /// # Errors
    /// See the estimator's documentation.
    pub fn fit<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
    ) -> Result<M::Fitted> {
        self.fit_data(Data::shared(x, y))
    }

    /// [`path_data`](Self::path_data) on a shared design.
    ///
    /// # Errors
    /// As [`path_data`](Self::path_data).
    pub fn path<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
        grid: &AlphaGrid,
    ) -> Result<Path> {
        self.path_data(Data::shared(x, y), grid)
    }

    /// [`cross_validate_data`](Self::cross_validate_data) on a shared design.
    ///
    /// ```
    /// use mtreg::{MultiTaskLasso, cv::CvOptions, path::AlphaGrid};
    /// let data = mtreg::generate::MakeRegression::new()
    ///     .n_samples(40).n_features(8).n_informative(2).n_targets(2).noise(5.0).generate()?;
    /// let opts = CvOptions::default().grid(AlphaGrid::Auto { n_alphas: 10, eps: 1e-2 });
    /// let cv = MultiTaskLasso::new(1.0).cross_validate(&data.x, &data.y, &opts)?;
    /// assert_eq!(cv.mse_path.nrows(), 10);
    /// assert!(cv.alpha_1se >= cv.alpha_min && cv.fit.alpha() == cv.alpha_min);
    /// Ok::<(), mtreg::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`cross_validate_data`](Self::cross_validate_data).
    pub fn cross_validate<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
        opts: &CvOptions,
    ) -> Result<M::Cv> {
        self.cross_validate_data(Data::shared(x, y), opts)
    }

    /// Fits per-task designs `xs[t]` (n_t × p, the same p features for every
    /// task) and targets `ys[t]` (n_t values), with task weights c_t > 0
    /// (default 1): [`fit_data`](Self::fit_data) of [`Data::tasks`].
    ///
    /// Intercepts are per task (each task's X_t and y_t are centred by their
    /// own means); standardisation uses the pooled standard deviation of each
    /// feature over all (task-centred) samples. The certificate is the
    /// duality gap of the weighted problem, stopping at
    /// `tol · Σ_t c_t ‖y_t‖² / n_t`.
    ///
    /// ```
    /// use mtreg::MultiTaskLasso;
    /// let x0 = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    /// let x1 = faer::mat![[2.0, 1.0], [1.0, 0.0]];
    /// let fit = MultiTaskLasso::new(0.01)
    ///     .fit_tasks(&[x0.as_ref(), x1.as_ref()], &[&[1.0, 0.0, 1.0], &[2.0, 1.0]], None)?;
    /// assert_eq!((fit.coef().nrows(), fit.coef().ncols()), (2, 2));
    /// assert!(fit.certificate().is_satisfied());
    /// Ok::<(), mtreg::Error>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidParameter` (also for a weight ≤ 0), `ShapeMismatch` when the
    /// tasks disagree on p or X_t and y_t on n_t, `EmptyInput`, `NonFinite`,
    /// `Overflow`.
    pub fn fit_tasks(
        &self,
        xs: &[MatRef<'_, f64>],
        ys: &[&[f64]],
        weights: Option<&[f64]>,
    ) -> Result<M::Fitted> {
        self.fit_data(Data::tasks(xs, ys).maybe_task_weights(weights))
    }

    /// [`path_data`](Self::path_data) of per-task designs.
    ///
    /// # Errors
    /// As [`fit_tasks`](Self::fit_tasks), and `InvalidParameter` for a bad
    /// grid.
    pub fn path_tasks(
        &self,
        xs: &[MatRef<'_, f64>],
        ys: &[&[f64]],
        weights: Option<&[f64]>,
        grid: &AlphaGrid,
    ) -> Result<Path> {
        self.path_data(Data::tasks(xs, ys).maybe_task_weights(weights), grid)
    }

    /// [`cross_validate_data`](Self::cross_validate_data) of per-task
    /// designs: each task's samples are split into K parts (see
    /// [`crate::cv`]).
    ///
    /// # Errors
    /// As [`path_tasks`](Self::path_tasks).
    pub fn cross_validate_tasks(
        &self,
        xs: &[MatRef<'_, f64>],
        ys: &[&[f64]],
        weights: Option<&[f64]>,
        opts: &CvOptions,
    ) -> Result<M::Cv> {
        self.cross_validate_data(Data::tasks(xs, ys).maybe_task_weights(weights), opts)
    }

    /// Fits from sufficient statistics (see [`crate::stats`]): the same
    /// solution as [`fit`](Self::fit) on the data they summarise, up to
    /// rounding, always in Gram mode. Without an intercept the uncentred
    /// products are rebuilt from the centred ones and the means.
    ///
    /// # Errors
    /// As [`fit`](Self::fit); `EmptyInput` for statistics of no rows.
    pub fn fit_stats(&self, stats: &SufficientStats) -> Result<M::Fitted> {
        self.fit_data(stats)
    }

    /// [`path`](Self::path) from sufficient statistics.
    ///
    /// # Errors
    /// As [`fit_stats`](Self::fit_stats), and `InvalidParameter` for a bad grid.
    pub fn path_stats(&self, stats: &SufficientStats, grid: &AlphaGrid) -> Result<Path> {
        self.path_data(stats, grid)
    }

    /// `alpha_max` of this model on any [`Data`] (with its preparation,
    /// weights, penalty and `l1_ratio`): the smallest alpha giving W = 0.
    ///
    /// # Errors
    /// As [`fit_data`](Self::fit_data).
    pub fn alpha_max_data<'d>(&self, data: impl Into<Data<'d>>) -> Result<f64> {
        let problem = self.prepare(data)?;
        M::alpha_max(self, &problem)
    }

    /// `alpha_max` of this model on X and Y, with its data preparation
    /// (centring and, if set, standardisation) and `l1_ratio`: the smallest
    /// alpha giving W = 0.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn alpha_max_of<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
    ) -> Result<f64> {
        self.alpha_max_data(Data::shared(x, y))
    }

    /// The description every fit of this estimator on `problem` records.
    pub(crate) fn description(&self, problem: &Problem, kind: &str, penalty: &str) -> Description {
        let s = &self.settings;
        let mut d = Description::named(
            problem.feature_names().clone(),
            problem.task_names().clone(),
        );
        d.kind = kind.to_string();
        d.penalty = penalty.to_string();
        d.fit_intercept = s.fit_intercept;
        d.standardize = s.standardize;
        d.tol = s.tol;
        d.max_iter = s.max_iter;
        d.n_samples = problem.n_samples();
        d.n_samples_per_task = problem.n_samples_per_task().map(<[usize]>::to_vec);
        d.task_weights = problem.task_weights().map(<[f64]>::to_vec);
        d.sample_weighted = problem.is_sample_weighted();
        d
    }
}

/// `multi_task_elastic_net` for scikit-learn's model (shared design, L21, no
/// task weights), else `graph_multi_task` (see [`Description`]).
pub(crate) fn single_kind(problem: &Problem, penalty: &str, graph: bool) -> &'static str {
    if graph
        || penalty != "l21"
        || problem.n_samples_per_task().is_some()
        || problem.task_weights().is_some()
    {
        "graph_multi_task"
    } else {
        "multi_task_elastic_net"
    }
}
