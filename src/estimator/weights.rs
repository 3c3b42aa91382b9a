//! Task weights chosen from the data, and cross-validation over a grid of
//! models ([`GraphMultiTask::cross_validate_grid`]).
//!
//! - **Weight schemes** ([`WeightScheme`]): uniform, `1/n_t`, `1/var(y_t)`,
//!   or given numbers; computed from the training data of each fold and
//!   normalised to mean 1 (scaling all weights by one constant only rescales
//!   alpha, so the normalised schemes share one alpha grid).
//! - **Grid cross-validation**: every [`GridPoint`] (a penalty family — e.g.
//!   the dirty model at one `β/α` ratio — and a weight scheme) is scored on
//!   the same folds and the same alpha grid by **one fixed criterion**, the
//!   unweighted held-out mean squared error of [`crate::cv`] (the mean over
//!   the held-out samples and all tasks of the squared prediction error,
//!   intercepts included), so that points with different task weights are
//!   compared on the same scale. The point whose curve reaches the smallest
//!   mean error is refitted on all data.
//! - **Maximum-likelihood weights** ([`GraphMultiTask::fit_noise_weighted`],
//!   `--task-weights auto`): `c_t = 1/σ_t²` with the noise variances σ_t²
//!   re-estimated from the residuals, alternating with the weighted fit
//!   ([`crate::models::noise_weights`]).

use super::single::{self, SinglePenalty};
use super::{Family, Graph, GraphMultiTask, IntoFamily};
use crate::cv::{CvCurve, CvOptions, CvResult};
use crate::error::{Error, Result};
use crate::fitted::{AutoWeights, Fit};
use crate::models::{NoiseWeightOptions, WeightedFit, noise_weights};
use crate::path::{Alphas, ProgressCallback};
use crate::problem::{Data, Source};
use faer::MatRef;
use std::sync::Arc;

/// How task weights are chosen from the (training) data.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightScheme {
    /// All 1 (`uniform`).
    Uniform,
    /// `c_t ∝ 1/n_t` (`inverse_n`): every task's loss counts as one sample's
    /// worth of data (with the loss's own `1/n_t`, task t's samples weigh
    /// `1/n_t²`). Uniform for a shared design.
    InverseSamples,
    /// `c_t ∝ 1/var(y_t)` (`inverse_variance`, the variance about the task's
    /// mean): tasks on different scales count equally.
    InverseVariance,
    /// Given weights (`c_t > 0`, one per task), with a name (a file name).
    Given {
        /// The name reported (`task_weight_scheme`).
        name: String,
        /// The weights.
        weights: Vec<f64>,
    },
}

impl WeightScheme {
    /// The name reported in MODEL.json (`task_weight_scheme`) and the CLI.
    pub fn name(&self) -> &str {
        match self {
            WeightScheme::Uniform => "uniform",
            WeightScheme::InverseSamples => "inverse_n",
            WeightScheme::InverseVariance => "inverse_variance",
            WeightScheme::Given { name, .. } => name,
        }
    }

    /// The weights for `data` (`None` for uniform), normalised to mean 1.
    ///
    /// # Errors
    /// `Incompatible` for sufficient statistics (no samples); `ShapeMismatch`
    /// for given weights of the wrong length; `InvalidParameter` for a
    /// non-positive given weight or a task with constant targets
    /// (`inverse_variance`).
    pub fn weights(&self, data: &Data<'_>) -> Result<Option<Vec<f64>>> {
        let t = data.n_tasks();
        let raw: Vec<f64> = match self {
            WeightScheme::Uniform => return Ok(None),
            WeightScheme::Given { weights, .. } => {
                if weights.len() != t {
                    return Err(Error::ShapeMismatch {
                        what: "task weights vs tasks",
                        expected: t,
                        found: weights.len(),
                    });
                }
                if let Some(&w) = weights.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
                    return Err(Error::InvalidParameter {
                        name: "task weight",
                        value: w,
                        expected: "finite and > 0",
                    });
                }
                weights.clone()
            }
            WeightScheme::InverseSamples | WeightScheme::InverseVariance => {
                let views = data.task_views().ok_or_else(|| {
                    Error::Incompatible(
                        "task-weight schemes need the samples, not sufficient statistics".into(),
                    )
                })?;
                let mut out = Vec::with_capacity(t);
                for y in &views.ys {
                    let n = y.len() as f64;
                    out.push(if *self == WeightScheme::InverseSamples {
                        1.0 / n
                    } else {
                        let mean = y.iter().sum::<f64>() / n;
                        let var = y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
                        if !(var.is_finite() && var > 0.0) {
                            return Err(Error::InvalidParameter {
                                name: "variance of a task's targets (inverse_variance weights)",
                                value: var,
                                expected: "> 0 (a task with constant targets)",
                            });
                        }
                        1.0 / var
                    });
                }
                out
            }
        };
        let mean = raw.iter().sum::<f64>() / raw.len().max(1) as f64;
        Ok(Some(raw.iter().map(|w| w / mean).collect()))
    }
}

/// One point of a model grid: a penalty family (or the estimator's own) and
/// a weight scheme.
#[derive(Debug, Clone)]
pub struct GridPoint {
    /// The penalty; `None`: the estimator's.
    pub penalty: Option<Family>,
    /// How the task weights are chosen.
    pub weights: WeightScheme,
}

impl GridPoint {
    /// The estimator's penalty with weights `weights`.
    pub fn weights(weights: WeightScheme) -> Self {
        Self {
            penalty: None,
            weights,
        }
    }

    /// `penalty` with uniform weights.
    pub fn penalty(penalty: impl IntoFamily) -> Self {
        Self {
            penalty: Some(penalty.into_family()),
            weights: WeightScheme::Uniform,
        }
    }
}

/// The outcome of [`GraphMultiTask::cross_validate_grid`].
#[derive(Debug, Clone)]
pub struct GridCv {
    /// The CV curve of each grid point (in the order given), on the common
    /// alpha grid `cv.alphas`.
    pub curves: Vec<CvCurve>,
    /// The selected point: its curve reaches the smallest mean held-out MSE
    /// (the first among ties).
    pub best: usize,
    /// The cross-validation at the selected point (`alpha_min`, `alpha_1se`,
    /// the selected alpha) and its refit on all data (with the point's
    /// weights computed on all data).
    pub cv: CvResult,
}

/// `fold` with task weights `w` (a [`Data`] borrowing `fold`'s samples and
/// keeping its sample weights).
fn reweighted<'s>(fold: &'s Data<'_>, w: Option<&'s [f64]>) -> Data<'s> {
    match fold.source() {
        Source::Shared { x, y } => Data::shared_views(x, y),
        Source::Tasks { xs, ys } => Data::tasks(xs, ys),
        Source::Stats(s) => Data::stats(s),
    }
    .maybe_task_weights(w)
    .maybe_sample_weights(fold.sample_weight_values())
}

impl GraphMultiTask {
    /// The model at one grid point (its penalty, no task weights yet).
    fn at_point(&self, point: &GridPoint) -> GraphMultiTask {
        match &point.penalty {
            Some(f) => self.clone().penalty(f.clone()),
            None => self.clone(),
        }
    }

    /// K-fold cross-validation over a grid of models × the alpha grid, then a
    /// refit at the selected pair: e.g. the dirty model at several `β/α`
    /// ratios, or several task-weight schemes. Every point is scored by one
    /// fixed criterion, the unweighted held-out mean squared error of
    /// [`crate::cv`], so points with different task weights compare on one
    /// scale; weight schemes are computed on each fold's training data and
    /// normalised to mean 1.
    ///
    /// The alpha grid is computed once: from the largest alpha_max over the
    /// points on all data (each with its weights), or given. The data must
    /// come without task weights (the points carry them); a shared design is
    /// split by samples. The (fold, point) pairs run in parallel on
    /// `opts.threads` threads.
    ///
    /// ```
    /// use mtreg::{GraphMultiTask, cv::CvOptions, problem::Data};
    /// use mtreg::estimator::{GridPoint, WeightScheme, penalties::SharedSpecific};
    /// use mtreg::penalty::GroupNorm;
    /// let data = mtreg::generate::MakeRegression::new()
    ///     .n_samples(40).n_features(6).n_informative(2).n_targets(3).noise(2.0).generate()?;
    /// let points: Vec<GridPoint> = [0.3, 0.6, 1.0].iter()
    ///     .map(|&r| GridPoint::penalty(SharedSpecific::new(r, GroupNorm::L2)))
    ///     .chain([GridPoint::weights(WeightScheme::InverseVariance)])
    ///     .collect();
    /// let opts = CvOptions::default().grid(mtreg::path::AlphaGrid::Auto { n_alphas: 8, eps: 1e-2 });
    /// let g = GraphMultiTask::new(1.0).cross_validate_grid(Data::shared(&data.x, &data.y), &points, &opts)?;
    /// assert_eq!(g.curves.len(), 4);
    /// assert_eq!(g.cv.min_mse(), g.curves[g.best].min_mse());
    /// Ok::<(), mtreg::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`cross_validate_data`](crate::Estimator::cross_validate_data);
    /// `EmptyInput` for no points; `Incompatible` for data with task weights.
    pub fn cross_validate_grid<'d>(
        &self,
        data: impl Into<Data<'d>>,
        points: &[GridPoint],
        opts: &CvOptions,
    ) -> Result<GridCv> {
        self.validate()?;
        let data = data.into();
        if points.is_empty() {
            return Err(Error::EmptyInput("no grid points"));
        }
        if data.weights().is_some() {
            return Err(Error::Incompatible(
                "a model grid carries its own task weights: give the data without weights".into(),
            ));
        }
        let models: Vec<GraphMultiTask> = points.iter().map(|p| self.at_point(p)).collect();
        // one alpha grid: the largest alpha_max over the points
        let mut amax = 0.0f64;
        let mut name = String::new();
        for (model, point) in models.iter().zip(points) {
            let w = point.weights.weights(&data)?;
            let full = Graph::prepare_data(model, &reweighted(&data, w.as_deref()))?;
            let (family, _) = Graph::plan(model, &full)?;
            let a = family.alpha_max(full.grad0(), model.settings.l1_ratio)?;
            if a > amax || name.is_empty() {
                amax = amax.max(a);
                name = family.name().to_string();
            }
        }
        let alphas = crate::path::grid_values(&opts.grid, amax, &name)?;
        let path =
            |point: usize, fold: &Data<'_>, alphas: &[f64], tick: Option<ProgressCallback>| {
                let w = points[point].weights.weights(fold)?;
                let fold = reweighted(fold, w.as_deref());
                let est = models[point].clone().progress(tick);
                let mut problem = Graph::prepare_data(&est, &fold)?;
                Ok(single::run(&est, &mut problem, Alphas::Explicit(alphas))?.fits)
            };
        let (folds, curves) = crate::cv::curves(&data, opts, &alphas, points.len(), &path)?;
        let best = crate::cv::best_point(curves.iter().map(CvCurve::min_mse));
        let cv = crate::cv::finish(alphas, folds, curves[best].clone(), opts.select, |alpha| {
            let w = points[best].weights.weights(&data)?;
            let mut fit = models[best]
                .clone()
                .alpha(alpha)
                .fit_data(reweighted(&data, w.as_deref()))?;
            if points[best].weights != WeightScheme::Uniform || points.len() > 1 {
                Arc::make_mut(&mut fit.description).task_weight_scheme =
                    Some(points[best].weights.name().to_string());
            }
            Ok(fit)
        })?;
        Ok(GridCv { curves, best, cv })
    }

    /// Fits with task weights learned from the noise levels: the
    /// maximum-likelihood weighting of heteroscedastic tasks, `c_t = 1/σ_t²`
    /// (each task's likelihood averaged over its samples, as the loss is:
    /// [`Likelihood::PerTask`](crate::models::Likelihood::PerTask)),
    /// alternating the weighted fit (warm-started) with
    /// `σ_t² = ‖y_t − X_t w_t − b_t‖² / n_t` (see [`crate::models::noise_weights()`]).
    ///
    /// With `opts.normalize` (what `mtreg solve --task-weights auto` uses)
    /// the W-step's weights are divided by their mean, so that alpha keeps
    /// the scale of the unweighted fit (and `--alpha-ratio` its meaning); the
    /// fixed point is then the penalised maximum-likelihood estimate for the
    /// penalty scaled by `mean_t(1/σ_t²)`. Without it, alpha is on the
    /// likelihood's own scale.
    ///
    /// The returned fit is the last W-step; its description records the
    /// weights it used (`task_weights`, scheme `auto`) and the alternation
    /// ([`AutoWeights`]: σ_t², the objective after each alternation, the
    /// numbers of alternations and of solver iterations over all W-steps,
    /// the tasks whose variance hit the floor, and `converged`: true only if
    /// the weights settled within `opts.tol` *and* the last W-step met its
    /// tolerance).
    ///
    /// ```
    /// use mtreg::{GraphMultiTask, problem::Data};
    /// let g = mtreg::generate::StructuredTasks::new(vec![200; 3], 5)
    ///     .task_noise(vec![0.5, 1.0, 3.0]).seed(3).generate()?;
    /// let xs: Vec<_> = g.xs.iter().map(|x| x.as_ref()).collect();
    /// let ys: Vec<&[f64]> = g.ys.iter().map(Vec::as_slice).collect();
    /// let fit = GraphMultiTask::new(0.01).fit_noise_weighted(Data::tasks(&xs, &ys), &Default::default())?;
    /// let auto = fit.description().auto_weights.as_ref().unwrap();
    /// assert!(auto.converged && auto.alternations >= 2);
    /// let c = fit.description().task_weights.as_ref().unwrap();
    /// assert!(c[0] > c[1] && c[1] > c[2]); // less noise, more weight
    /// Ok::<(), mtreg::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`fit_data`](crate::Estimator::fit_data); `Incompatible` for
    /// sufficient statistics or data that already carry task weights;
    /// `InvalidParameter` for bad alternation options.
    pub fn fit_noise_weighted<'d>(
        &self,
        data: impl Into<Data<'d>>,
        opts: &NoiseWeightOptions,
    ) -> Result<Fit> {
        self.validate()?;
        let data = data.into();
        if data.weights().is_some() {
            return Err(Error::Incompatible(
                "learned task weights replace given ones: give the data without weights".into(),
            ));
        }
        if data.sample_weight_values().is_some() {
            // the noise variances would have to be weighted means of the
            // squared residuals; not implemented
            return Err(Error::Incompatible(
                "learned task weights are not supported with sample weights".into(),
            ));
        }
        let views = data.task_views().ok_or_else(|| {
            Error::Incompatible("learned task weights need the samples, not statistics".into())
        })?;
        let n: Vec<usize> = views.ys.iter().map(Vec::len).collect();
        let centre = self.settings.fit_intercept;
        let y_sq: Vec<f64> = views
            .ys
            .iter()
            .map(|y| {
                let m = if centre {
                    y.iter().sum::<f64>() / y.len().max(1) as f64
                } else {
                    0.0
                };
                y.iter().map(|v| (v - m) * (v - m)).sum()
            })
            .collect();
        let mut last: Option<(Fit, Vec<f64>)> = None;
        let mut inner = 0usize;
        let result = noise_weights(
            &n,
            &y_sq,
            |c| {
                let est = self
                    .clone()
                    .warm_start(last.as_ref().map(|(f, _)| f.coef().to_owned()));
                let fit = est.fit_data(reweighted(&data, Some(c)))?;
                inner += fit.n_iter();
                let rss = task_rss(&fit, &views.xs, &views.ys);
                let loss: f64 = (0..n.len())
                    .map(|t| c[t] * rss[t] / (2.0 * n[t] as f64))
                    .sum();
                let penalty = (fit.objective() - loss).max(0.0);
                last = Some((fit, c.to_vec()));
                Ok(WeightedFit { rss, penalty })
            },
            opts,
        )?;
        let (mut fit, used) = last.expect("at least one alternation");
        let inner_converged = fit.converged();
        let d = Arc::make_mut(&mut fit.description);
        d.task_weights = Some(used);
        d.task_weight_scheme = Some("auto".into());
        d.auto_weights = Some(AutoWeights::new(
            result.sigma2,
            result.objectives,
            result.n_iter,
            inner,
            result.converged && inner_converged,
            result.floored,
        ));
        Ok(fit)
    }
}

/// `‖y_t − X_t w_t − b_t‖²` per task.
fn task_rss(fit: &Fit, xs: &[MatRef<'_, f64>], ys: &[Vec<f64>]) -> Vec<f64> {
    let (c, b) = (fit.coef(), fit.intercept());
    xs.iter()
        .zip(ys)
        .enumerate()
        .map(|(t, (x, y))| {
            (0..y.len())
                .map(|i| {
                    let pred = b[t] + (0..c.nrows()).map(|j| x[(i, j)] * c[(j, t)]).sum::<f64>();
                    (y[i] - pred) * (y[i] - pred)
                })
                .sum()
        })
        .collect()
}
