//! `--plot DIR`: SVG figures for `path` and `cv` (until the plotting module
//! lands these report that plotting is unavailable).

use mtreg::cv::CvResult;
use mtreg::path::Path as FitPath;
use std::path::Path;

pub fn coefficient_path(
    _dir: &Path,
    _path: &FitPath,
    _features: &[String],
    _marks: &[(f64, &str)],
    _force: bool,
) -> anyhow::Result<()> {
    anyhow::bail!("plotting is not available in this build")
}

pub fn cv_curve(_dir: &Path, _cv: &CvResult, _force: bool) -> anyhow::Result<()> {
    anyhow::bail!("plotting is not available in this build")
}
