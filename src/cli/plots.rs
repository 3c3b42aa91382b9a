//! `--plot DIR`: SVG figures for `path`, `cv` and learned relations.

use anyhow::Context;
use faer::Mat;
use mtreg::cv::CvResult;
use mtreg::path::Path as FitPath;
use std::path::{Path, PathBuf};

/// The target file in `dir`, refusing to overwrite without `--force`.
fn target(dir: &Path, name: &str, force: bool) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating directory {}", dir.display()))?;
    let path = dir.join(name);
    if path.exists() && !force {
        return Err(super::UsageError(format!(
            "refusing to overwrite existing {}; use --force",
            path.display()
        ))
        .into());
    }
    Ok(path)
}

/// `DIR/coefficient_path.svg`: row norms of W against log10(alpha).
pub fn coefficient_path(
    dir: &Path,
    path: &FitPath,
    features: &[String],
    marks: &[(f64, &str)],
    force: bool,
) -> anyhow::Result<()> {
    let file = target(dir, "coefficient_path.svg", force)?;
    let p = features.len();
    let norms = Mat::from_fn(path.fits.len(), p, |a, j| {
        let c = path.fits[a].coef();
        (0..c.ncols())
            .map(|k| c[(j, k)].powi(2))
            .sum::<f64>()
            .sqrt()
    });
    mtreg::plot::coefficient_path_svg(&file, &path.alphas, norms.as_ref(), features, marks)?;
    Ok(())
}

/// `DIR/cv_curve.svg`: mean held-out MSE ± s.e. with alpha_min and alpha_1se.
pub fn cv_curve(dir: &Path, cv: &CvResult, force: bool) -> anyhow::Result<()> {
    let file = target(dir, "cv_curve.svg", force)?;
    let marks = [(cv.alpha_min, "alpha_min"), (cv.alpha_1se, "alpha_1se")];
    mtreg::plot::cv_curve_svg(&file, &cv.alphas, &cv.mse_mean, &cv.mse_se, &marks)?;
    Ok(())
}

/// `DIR/task_correlation.svg`: the learned task correlations.
pub fn correlations(
    dir: &Path,
    corr: &Mat<f64>,
    tasks: &[String],
    force: bool,
) -> anyhow::Result<()> {
    let file = target(dir, "task_correlation.svg", force)?;
    mtreg::plot::correlation_heatmap_svg(&file, corr.as_ref(), tasks)?;
    Ok(())
}
