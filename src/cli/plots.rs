//! `--plot DIR`: SVG figures for `path`, `cv` and learned relations. The
//! figures are rendered here and written by the command's output group, with
//! its other outputs.

use faer::Mat;
use mtreg::cv::CvResult;
use mtreg::path::Path as FitPath;
use mtreg::plot::CvCurve;

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

/// The cross-validation curves (`(label, mean, s.e.)` per strength; one
/// unlabelled curve without a strength grid) with alpha_min and alpha_1se,
/// and the number of non-zero features along the top axis when known.
pub fn cv_curves(
    cv: &CvResult,
    curves: &[(String, &[f64], &[f64])],
    nnz: Option<&[usize]>,
) -> anyhow::Result<String> {
    let marks = [(cv.alpha_min, "alpha_min"), (cv.alpha_1se, "alpha_1se")];
    let curves: Vec<CvCurve<'_>> = curves
        .iter()
        .map(|(label, mse_mean, mse_se)| CvCurve {
            label,
            mse_mean,
            mse_se,
        })
        .collect();
    Ok(mtreg::plot::cv_curves_svg(
        &cv.alphas, &curves, &marks, nnz,
    )?)
}

/// The learned task correlations.
pub fn correlations(corr: &Mat<f64>, tasks: &[String]) -> anyhow::Result<String> {
    Ok(mtreg::plot::correlation_heatmap_svg(corr.as_ref(), tasks)?)
}
