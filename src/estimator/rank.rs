//! `ReducedRankRegression`: rank-constrained least squares (Izenman 1975),
//! with an optional ridge, in closed form.
//!
//! ```text
//! minimise over W (p × T), rank W ≤ k:   Σ_t c_t/(2n) ‖y_t − X w_t‖² + l2/2 ‖W‖²_F
//! ```
//!
//! The data go through the same preparation as every model (validation,
//! centring for the intercepts, standardisation, names; [`Problem`]), then
//! [`ReducedRank`] gives the solution of every rank from one SVD of the
//! prepared X; the fit is mapped back to the original scale by the
//! preparation's inverse. Cross-validation over ranks
//! ([`cross_validate_ranks`](Estimator::cross_validate_ranks)) uses the folds
//! of [`crate::cv`] (one closed form per fold gives every rank).
//!
//! Shared design only (per-task designs have no closed form), from the
//! samples (not sufficient statistics); task weights are supported without a
//! ridge, or with equal weights.

use super::{Estimator, Model, sealed};
use crate::certificate::Certificate;
use crate::cv::{CvCurve, CvOptions};
use crate::error::{Error, Result};
use crate::fitted::Fit;
use crate::interop::MatrixInput;
use crate::models::ReducedRank;
use crate::models::rrr::{objective, stationarity};
use crate::path::{AlphaGrid, Path, ProgressCallback, Settings};
use crate::problem::{Data, GramMode, Problem, Source};
use faer::Mat;
use std::sync::Arc;
use std::time::Instant;

/// The model of [`ReducedRankRegression`]: the rank k and the ridge.
#[derive(Debug, Clone)]
pub struct Rank {
    rank: usize,
    ridge: f64,
}

/// Reduced-rank regression (shared design): the least-squares (or ridge)
/// fit whose coefficient matrix W has rank at most k, in closed form.
///
/// | Name | Default | Meaning |
/// |---|---|---|
/// | `rank` | (required) | k ≥ 1 |
/// | `ridge` | 0 | l2 ≥ 0, the ridge `l2/2 ‖W‖²_F` |
/// | `fit_intercept`, `standardize`, `tol` | as [`MultiTaskElasticNet`](crate::MultiTaskElasticNet) | |
///
/// The problem is not convex; the closed form is its global minimiser. The
/// certificate is the first-order stationarity on the manifold of rank-k
/// matrices ([`crate::models::rrr::stationarity`], a KKT-type residual, 0 up
/// to rounding), against `tol · ‖XᵀY/n‖_F`. The fit records `alpha = l2`
/// and `l1_ratio = 0` (the ridge is `alpha (1 − l1_ratio)/2 ‖W‖²`, as for
/// the elastic net), and no alpha_max (infinite).
///
/// # Examples
/// ```
/// use mtreg::ReducedRankRegression;
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.5], [0.5, 2.0]];
/// let y = faer::mat![[1.0, 2.1, -1.0], [0.4, 1.0, -0.5], [1.5, 3.0, -1.4], [2.0, 4.1, -2.0], [1.5, 3.0, -1.6]];
/// let fit = ReducedRankRegression::new(1).fit(&x, &y)?;
/// assert_eq!(fit.rank()?, 1);
/// assert!(fit.certificate().is_satisfied());
/// let cv = ReducedRankRegression::new(1).cross_validate_ranks(&x, &y, &[1, 2, 3],
///     &mtreg::cv::CvOptions::default().folds(5))?;
/// assert_eq!(cv.ranks, vec![1, 2, 3]);
/// Ok::<(), mtreg::Error>(())
/// ```
pub type ReducedRankRegression = Estimator<Rank>;

impl Estimator<Rank> {
    /// Rank at most `rank`, no ridge, intercepts fitted.
    pub fn new(rank: usize) -> Self {
        let mut settings = Settings::new(1.0, 1.0);
        settings.gram = GramMode::Never;
        Self {
            settings,
            model: Rank { rank, ridge: 0.0 },
        }
    }

    /// The rank constraint k.
    pub fn rank(mut self, rank: usize) -> Self {
        self.model.rank = rank;
        self
    }

    /// The ridge `l2 ≥ 0`.
    pub fn ridge(mut self, l2: f64) -> Self {
        self.model.ridge = l2;
        self
    }

    /// The fits of every rank in `ranks` on a prepared problem, from one
    /// closed form.
    ///
    /// # Errors
    /// As [`fit_prepared`](Estimator::fit_prepared); `InvalidParameter` for
    /// a rank 0.
    pub fn fits_prepared(&self, problem: &mut Problem, ranks: &[usize]) -> Result<Vec<Fit>> {
        self.validate()?;
        if problem.preprocessing() != self.preprocessing() {
            return Err(Error::Incompatible(
                "the problem was prepared with other fit_intercept or standardize settings".into(),
            ));
        }
        fits(self, problem, ranks)
    }

    /// [`cross_validate_ranks_data`](Self::cross_validate_ranks_data) on a
    /// shared design.
    ///
    /// # Errors
    /// As [`cross_validate_ranks_data`](Self::cross_validate_ranks_data).
    pub fn cross_validate_ranks<X: MatrixInput + ?Sized, Y: MatrixInput + ?Sized>(
        &self,
        x: &X,
        y: &Y,
        ranks: &[usize],
        opts: &CvOptions,
    ) -> Result<RankCv> {
        self.cross_validate_ranks_data(Data::shared(x, y), ranks, opts)
    }

    /// K-fold cross-validation over `ranks` (each ≥ 1; sorted increasing),
    /// then a refit on all data at the selected rank: the rank with the
    /// smallest mean held-out MSE (`rank_min`, the smallest among ties), or
    /// with `Select::OneSe` the smallest rank within one standard error of
    /// it (`rank_1se`). The folds and the held-out error are those of
    /// [`crate::cv`] (samples split jointly for all tasks, also with task
    /// weights); `opts.grid` is not used.
    ///
    /// # Errors
    /// As [`fit_data`](Estimator::fit_data); `EmptyInput` for no ranks;
    /// `InvalidParameter` for a rank 0 or bad CV options.
    pub fn cross_validate_ranks_data<'d>(
        &self,
        data: impl Into<Data<'d>>,
        ranks: &[usize],
        opts: &CvOptions,
    ) -> Result<RankCv> {
        self.validate()?;
        let data = data.into();
        let ranks = check_ranks(ranks)?;
        let weights: Option<Vec<f64>> = data.weights().map(<[f64]>::to_vec);
        // split the samples jointly (a shared design), weights re-applied per fold
        let unweighted = data.clone().maybe_task_weights(None);
        let grid: Vec<f64> = ranks.iter().map(|&k| k as f64).collect();
        let path = |_: usize, fold: &Data<'_>, _: &[f64], tick: Option<ProgressCallback>| {
            let problem = match fold.source() {
                Source::Shared { x, y } => {
                    let fold = Data::shared_views(x, y)
                        .maybe_task_weights(weights.as_deref())
                        .maybe_sample_weights(fold.sample_weight_values());
                    Rank::prepare(self, &fold)?
                }
                _ => Rank::prepare(self, fold)?,
            };
            let fits = fits(self, &problem, &ranks)?;
            if let Some(t) = tick {
                for i in 0..fits.len() {
                    t.call(i + 1, fits.len());
                }
            }
            Ok(fits)
        };
        let (folds, mut curves) = crate::cv::curves(&unweighted, opts, &grid, 1, &path)?;
        let curve: CvCurve = curves.pop().expect("one grid point");
        let rank_min = curve.alpha_min as usize;
        let rank_1se = curve.alpha_1se as usize;
        let rank = match opts.select {
            crate::cv::Select::Min => rank_min,
            crate::cv::Select::OneSe => rank_1se,
        };
        let problem = Rank::prepare(self, &data)?;
        let fit = fits(self, &problem, &[rank])?.pop().expect("one rank");
        Ok(RankCv {
            ranks,
            mse_path: curve.mse_path,
            mse_mean: curve.mse_mean,
            mse_se: curve.mse_se,
            mse_per_task: curve.mse_per_task,
            rank_min,
            rank_1se,
            rank,
            folds,
            fit,
        })
    }
}

/// The outcome of a cross-validation over ranks
/// ([`ReducedRankRegression::cross_validate_ranks`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RankCv {
    /// The ranks, increasing.
    pub ranks: Vec<usize>,
    /// Held-out MSE, `n_ranks × K`.
    pub mse_path: Mat<f64>,
    /// Mean over folds, per rank.
    pub mse_mean: Vec<f64>,
    /// Standard error over folds, per rank.
    pub mse_se: Vec<f64>,
    /// Mean over folds of each task's held-out MSE, `n_ranks × T`.
    pub mse_per_task: Mat<f64>,
    /// The rank minimising `mse_mean` (the smallest among ties).
    pub rank_min: usize,
    /// The smallest rank within one standard error of the minimum.
    pub rank_1se: usize,
    /// The selected rank.
    pub rank: usize,
    /// Test indices of each fold.
    pub folds: Vec<Vec<usize>>,
    /// The refit on all data at `rank`.
    pub fit: Fit,
}

fn check_ranks(ranks: &[usize]) -> Result<Vec<usize>> {
    if ranks.is_empty() {
        return Err(Error::EmptyInput("no ranks"));
    }
    if ranks.contains(&0) {
        return Err(Error::InvalidParameter {
            name: "rank",
            value: 0.0,
            expected: ">= 1",
        });
    }
    let mut v = ranks.to_vec();
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

/// The closed-form fits of `ranks` on a prepared problem.
fn fits(est: &ReducedRankRegression, problem: &Problem, ranks: &[usize]) -> Result<Vec<Fit>> {
    let start = Instant::now();
    let ranks = check_ranks(ranks)?;
    let l2 = est.model.ridge;
    let weights = problem.task_weights().map(<[f64]>::to_vec);
    let (x, y) = problem.shared_samples().ok_or_else(|| {
        Error::Incompatible("reduced-rank regression needs the samples of a shared design".into())
    })?;
    let rrr = ReducedRank::fit(x, y, l2, weights.as_deref())?;
    let c = weights.as_deref();
    // the gradient scale at W = 0: ‖XᵀY C/n‖_F
    let scale = {
        let g = x.transpose() * y * faer::Scale(1.0 / x.nrows() as f64);
        Mat::from_fn(g.nrows(), g.ncols(), |j, t| {
            g[(j, t)] * c.map_or(1.0, |c| c[t])
        })
        .norm_l2()
    };
    let tol = est.settings.tol * scale;
    let setup = start.elapsed().as_secs_f64() + problem.seconds();
    let mut out = Vec::with_capacity(ranks.len());
    for (i, &k) in ranks.iter().enumerate() {
        let step = Instant::now();
        let w = rrr.coef(k);
        let value = stationarity(x, y, w.as_ref(), l2, c, k)?;
        let obj = objective(x, y, w.as_ref(), l2, c);
        let mut description = est.description(problem, "reduced_rank", "rank");
        description.rank = Some(k);
        let (coef, intercept) = problem.inverse().recover(w.transpose());
        out.push(Fit {
            coef,
            intercept,
            certificate: Certificate::Kkt { value, tol },
            objective: obj,
            n_iter: 0,
            converged: value <= tol,
            alpha: l2,
            l1_ratio: 0.0,
            alpha_max: f64::INFINITY,
            gram: false,
            seconds: step.elapsed().as_secs_f64() + if i == 0 { setup } else { 0.0 },
            trace: Vec::new(),
            kkt: value,
            gap: None,
            n_screened: 0,
            description: Arc::new(description),
            components: None,
            clusters: None,
        });
    }
    Ok(out)
}

impl sealed::Sealed for Rank {}

impl Model for Rank {
    type Fitted = Fit;
    type Cv = RankCv;

    fn check(est: &Estimator<Self>) -> Result<()> {
        let m = &est.model;
        if m.rank == 0 {
            return Err(Error::InvalidParameter {
                name: "rank",
                value: 0.0,
                expected: ">= 1",
            });
        }
        if !(m.ridge.is_finite() && m.ridge >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "ridge",
                value: m.ridge,
                expected: "finite and >= 0",
            });
        }
        if est.settings.gram != GramMode::Never {
            return Err(Error::Incompatible(
                "reduced-rank regression works on the samples: no Gram mode".into(),
            ));
        }
        Ok(())
    }

    /// The shared design without the task weights (the closed form applies
    /// them), which are recorded on the problem.
    fn prepare<'d>(est: &Estimator<Self>, data: &Data<'d>) -> Result<Problem<'d>> {
        match data.source() {
            Source::Shared { .. } => {}
            Source::Tasks { .. } => {
                return Err(Error::Incompatible(
                    "reduced-rank regression needs a shared design X (per-task designs have no \
                     closed form)"
                        .into(),
                ));
            }
            Source::Stats(_) => {
                return Err(Error::Incompatible(
                    "reduced-rank regression needs the samples, not sufficient statistics".into(),
                ));
            }
        }
        let weights = data.weights();
        let mut problem =
            Problem::prepare(&data.clone().maybe_task_weights(None), est.preprocessing())?;
        // checked by the closed form
        problem.set_task_weights(weights);
        Ok(problem)
    }

    fn alpha_max(_: &Estimator<Self>, _: &Problem) -> Result<f64> {
        Ok(f64::INFINITY)
    }

    fn fit(est: &Estimator<Self>, problem: &mut Problem) -> Result<Fit> {
        Ok(fits(est, problem, &[est.model.rank])?
            .pop()
            .expect("one rank"))
    }

    fn path(_: &Estimator<Self>, _: &mut Problem, _: &AlphaGrid) -> Result<Path> {
        Err(Error::Incompatible(
            "reduced-rank regression has no alpha path: fits_prepared gives the fits of several \
             ranks"
                .into(),
        ))
    }

    /// Cross-validation over every rank 1..=T.
    fn cross_validate(est: &Estimator<Self>, data: &Data<'_>, opts: &CvOptions) -> Result<RankCv> {
        let ranks: Vec<usize> = (1..=data.n_tasks().max(1)).collect();
        est.cross_validate_ranks_data(data.clone(), &ranks, opts)
    }
}
