//! The pipeline of the single-penalty models ([`ElasticNet`](super::ElasticNet),
//! [`Graph`](super::Graph)): one [`Family`] swept on a prepared problem.

use super::{Estimator, Family, Model};
use crate::cv::{CvOptions, CvResult};
use crate::error::Result;
use crate::fitted::{Description, Fit};
use crate::path::{AlphaGrid, Alphas, Path, PathTol, ProgressCallback};
use crate::problem::{Data, Problem};
use std::sync::Arc;

/// A model fitted with one penalty family per prepared problem.
pub(crate) trait SinglePenalty: Model<Fitted = Fit, Cv = CvResult> {
    /// Prepares the data as this model needs them.
    fn prepare_data<'d>(est: &Estimator<Self>, data: &Data<'d>) -> Result<Problem<'d>>;

    /// The family to sweep with on `problem` (coupled or pooled as the model
    /// says) and the description of its fits.
    fn plan(est: &Estimator<Self>, problem: &Problem) -> Result<(Family, Arc<Description>)>;

    /// Adds what the model reports beyond the sweep's fits (e.g. the mean and
    /// deviations of the mean-regularised model). The default: nothing.
    fn finish(est: &Estimator<Self>, fits: &mut [Fit]) {
        let _ = (est, fits);
    }
}

pub(crate) fn alpha_max<M: SinglePenalty>(est: &Estimator<M>, problem: &Problem) -> Result<f64> {
    let (family, _) = M::plan(est, problem)?;
    family.alpha_max(problem.grad0(), est.settings.l1_ratio)
}

pub(crate) fn fit<M: SinglePenalty>(est: &Estimator<M>, problem: &mut Problem) -> Result<Fit> {
    let mut path = run(est, problem, Alphas::Single)?;
    Ok(path.fits.pop().expect("one alpha"))
}

pub(crate) fn path<M: SinglePenalty>(
    est: &Estimator<M>,
    problem: &mut Problem,
    grid: &AlphaGrid,
) -> Result<Path> {
    run(est, problem, Alphas::Grid(grid))
}

pub(crate) fn run<M: SinglePenalty>(
    est: &Estimator<M>,
    problem: &mut Problem,
    alphas: Alphas<'_>,
) -> Result<Path> {
    let (family, description) = M::plan(est, problem)?;
    let start = est.settings.warm_start.as_ref();
    let mut path = family.run(problem, &est.settings, alphas, start, &description)?;
    M::finish(est, &mut path.fits);
    Ok(path)
}

/// One grid computed on the full data (prepared once, and reused by the
/// refit when [worth keeping](Problem::worth_keeping)); each fold prepared
/// once for all its alphas.
pub(crate) fn cross_validate<M: SinglePenalty>(
    est: &Estimator<M>,
    data: &Data<'_>,
    opts: &CvOptions,
) -> Result<CvResult> {
    let full = M::prepare_data(est, data)?;
    let (family, _) = M::plan(est, &full)?;
    let amax = family.alpha_max(full.grad0(), est.settings.l1_ratio)?;
    let alphas = crate::path::grid_values(&opts.grid, amax, family.name())?;
    let mut full = full.worth_keeping().then_some(full);
    // Each fold reports its fits through its own callback; the estimator's
    // own path callback is not called.
    let fold_path = |_: usize, fold: &Data<'_>, alphas: &[f64], tick: Option<ProgressCallback>| {
        let est = est.clone().progress(tick);
        let mut problem = M::prepare_data(&est, fold)?;
        Ok(run(&est, &mut problem, Alphas::Explicit(alphas))?.fits)
    };
    let grid = alphas.clone();
    crate::cv::cross_validate(data, opts, alphas, &fold_path, |alpha| {
        let refit = est.clone().alpha(alpha).progress(None);
        let mut prepared;
        let problem = match full.as_mut() {
            Some(problem) => problem,
            None => {
                prepared = M::prepare_data(&refit, data)?;
                &mut prepared
            }
        };
        refit_at(&refit, problem, &grid, alpha)
    })
}

/// The refit of a cross-validation at the selected `alpha` of `grid`. Under
/// the relative path rule ([`PathTol::Relative`]) it is the end of the
/// warm-started path on all data from the top of the grid down to `alpha`
/// (as glmnet's), solved to the path's accuracy; under
/// [`PathTol::Sklearn`] a single fit from zero at `tol` (scikit-learn's
/// refit).
pub(crate) fn refit_at<M: SinglePenalty>(
    est: &Estimator<M>,
    problem: &mut Problem,
    grid: &[f64],
    alpha: f64,
) -> Result<Fit> {
    match (est.settings.path_tol, grid.iter().position(|&a| a == alpha)) {
        (PathTol::Relative(_), Some(i)) => {
            let mut path = run(est, problem, Alphas::Explicit(&grid[..=i]))?;
            Ok(path.fits.pop().expect("at least one alpha"))
        }
        _ => fit(est, problem),
    }
}
