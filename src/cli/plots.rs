//! `--plot DIR`: SVG figures for `path`, `cv` and learned relations. The
//! figures are rendered here and written by the command's output group, with
//! its other outputs.

use faer::Mat;
use mtreg::cv::CvResult;
use mtreg::path::Path as FitPath;

/// File name of the coefficient path in the plot directory.
pub const PATH_SVG: &str = "coefficient_path.svg";
/// File name of the cross-validation curve.
pub const CV_SVG: &str = "cv_curve.svg";
/// File name of the task-correlation heatmap.
pub const CORRELATION_SVG: &str = "task_correlation.svg";

/// The coefficient path: row norms of W against log10(alpha).
pub fn coefficient_path(
    path: &FitPath,
    features: &[String],
    marks: &[(f64, &str)],
) -> anyhow::Result<String> {
    let p = features.len();
    let norms = Mat::from_fn(path.fits.len(), p, |a, j| {
        let c = path.fits[a].coef();
        (0..c.ncols())
            .map(|k| c[(j, k)].powi(2))
            .sum::<f64>()
            .sqrt()
    });
    Ok(mtreg::plot::coefficient_path_svg(
        &path.alphas,
        norms.as_ref(),
        features,
        marks,
    )?)
}

/// The cross-validation curve: mean held-out MSE ± s.e. with alpha_min and
/// alpha_1se.
pub fn cv_curve(cv: &CvResult) -> anyhow::Result<String> {
    let marks = [(cv.alpha_min, "alpha_min"), (cv.alpha_1se, "alpha_1se")];
    Ok(mtreg::plot::cv_curve_svg(
        &cv.alphas,
        &cv.mse_mean,
        &cv.mse_se,
        &marks,
    )?)
}

/// The learned task correlations.
pub fn correlations(corr: &Mat<f64>, tasks: &[String]) -> anyhow::Result<String> {
    Ok(mtreg::plot::correlation_heatmap_svg(corr.as_ref(), tasks)?)
}
