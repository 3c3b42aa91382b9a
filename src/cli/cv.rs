//! `mtreg cv`: K-fold cross-validation over the alpha grid, then a refit.

use super::common::{Loaded, ModelArgs};
use super::data::Data;
use anyhow::Context;
use clap::Args;
use mtreg::cv::{CvOptions, Select};
use mtreg::io::atomic::{check_not_input, write_atomic};
use mtreg::io::csv::write_matrix;
use mtreg::io::model::{FitSettings, ModelFile};
use mtreg::path::AlphaGrid;
use std::path::PathBuf;
use std::process::ExitCode;

/// `--select`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SelectArg {
    /// The alpha with the smallest mean held-out MSE.
    Min,
    /// The largest alpha within one standard error of the minimum.
    #[value(name = "1se")]
    OneSe,
}

#[derive(Debug, Args)]
pub struct CvArgs {
    /// Number of folds K.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Number of alphas on the grid (computed on the full data).
    #[arg(long, default_value_t = 100)]
    n_alphas: usize,
    /// Smallest alpha as a fraction of alpha_max.
    #[arg(long, default_value_t = 1e-3)]
    eps: f64,
    /// Which alpha to refit at.
    #[arg(long, value_enum, default_value = "min")]
    select: SelectArg,
    /// Shuffle samples before splitting into folds (default: contiguous folds).
    #[arg(long)]
    shuffle: bool,
    /// Seed of the shuffle.
    #[arg(long, default_value_t = 0, requires = "shuffle")]
    seed: u64,
    /// Worker threads for the folds (results do not depend on it).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Output directory: cv.csv, coef.csv, model.json.
    #[arg(long)]
    out_dir: PathBuf,
    /// Also write SVG plots (CV curve, coefficient path) into this directory.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Exit with code 3 if the refit stops on --max-iter.
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    m: ModelArgs,
}

pub fn run(a: CvArgs) -> anyhow::Result<ExitCode> {
    let files = ["cv.csv", "coef.csv", "model.json"].map(|f| a.out_dir.join(f));
    let inputs = a.m.input_files();
    for f in &files {
        check_not_input(f, &inputs)?;
    }
    let Loaded {
        inputs: loaded,
        weights,
        graph,
    } = a.m.load()?;
    std::fs::create_dir_all(&a.out_dir)
        .with_context(|| format!("creating directory {}", a.out_dir.display()))?;
    let model = a.m.model(graph.as_ref(), None);
    let opts = CvOptions {
        folds: a.folds,
        shuffle: a.shuffle,
        seed: a.seed,
        grid: AlphaGrid::Auto {
            n_alphas: a.n_alphas,
            eps: a.eps,
        },
        threads: a.threads,
        select: match a.select {
            SelectArg::Min => Select::Min,
            SelectArg::OneSe => Select::OneSe,
        },
        test_folds: None,
    };
    let start = std::time::Instant::now();
    let cv = match (&loaded.data, &weights) {
        (Data::Shared { x, y }, None) => model.cross_validate(x, y, &opts)?,
        _ => {
            let (views, cols) = loaded.data.task_views();
            let ys: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
            model.cross_validate_tasks(&views, &ys, weights.as_deref(), &opts)?
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let (features, tasks) = (&loaded.features, &loaded.tasks);

    write_atomic(&files[0], a.m.force, |w| {
        write!(w, "alpha,mse_mean,mse_se")?;
        for task in tasks {
            write!(w, ",mse_{task}")?;
        }
        writeln!(w)?;
        for (i, alpha) in cv.alphas.iter().enumerate() {
            write!(w, "{alpha},{},{}", cv.mse_mean[i], cv.mse_se[i])?;
            for k in 0..tasks.len() {
                write!(w, ",{}", cv.mse_per_task[(i, k)])?;
            }
            writeln!(w)?;
        }
        Ok(())
    })?;
    write_atomic(&files[1], a.m.force, |w| {
        write_matrix(w, Some(tasks), Some(("feature", features)), cv.fit.coef())
    })?;
    let settings = FitSettings {
        fit_intercept: !a.m.no_intercept,
        standardize: a.m.standardize,
        tol: a.m.tol,
        max_iter: a.m.max_iter,
        n_samples: loaded.data.n_samples(),
    };
    let mut mf = ModelFile::from_fit(&cv.fit, features.clone(), tasks.clone(), settings);
    mf.model = "cross_validation".to_string();
    mf.penalty = a.m.penalty.name().to_string();
    mf.alpha_min = Some(cv.alpha_min);
    mf.alpha_1se = Some(cv.alpha_1se);
    mf.cv_folds = Some(cv.folds.len());
    mf.cv_select = Some(match a.select {
        SelectArg::Min => "min".into(),
        SelectArg::OneSe => "1se".into(),
    });
    mf.task_weights = weights.clone();
    if let Some(g) = &graph {
        mf.graph_strength = Some(a.m.graph_strength);
        mf.edges = Some(g.edges().to_vec());
    }
    mf.seconds = seconds;
    let json = mf.to_json();
    write_atomic(&files[2], a.m.force, |w| w.write_all(json.as_bytes()))?;
    if let Some(dir) = &a.plot {
        super::plots::cv_curve(dir, &cv, a.m.force)?;
    }
    if !cv.fit.converged() {
        eprintln!(
            "warning: the refit stopped on --max-iter: {}",
            cv.fit.certificate()
        );
    }
    if !a.m.quiet {
        let i_min = cv
            .alphas
            .iter()
            .position(|&x| x == cv.alpha_min)
            .unwrap_or(0);
        let i_1se = cv
            .alphas
            .iter()
            .position(|&x| x == cv.alpha_1se)
            .unwrap_or(0);
        println!(
            "mtreg cv: {}-fold cross-validation over {} alphas in {seconds:.3} s ({} thread{})",
            cv.folds.len(),
            cv.alphas.len(),
            a.threads,
            if a.threads == 1 { "" } else { "s" }
        );
        println!(
            "  alpha_min  {:.6e}  mse {:.6e} ± {:.2e}",
            cv.alpha_min, cv.mse_mean[i_min], cv.mse_se[i_min]
        );
        println!(
            "  alpha_1se  {:.6e}  mse {:.6e} ± {:.2e}",
            cv.alpha_1se, cv.mse_mean[i_1se], cv.mse_se[i_1se]
        );
        println!(
            "  refit at   {:.6e}: {} of {} features, {}",
            cv.alpha,
            cv.fit.n_nonzero_rows(),
            features.len(),
            cv.fit.certificate()
        );
        println!(
            "  wrote      {}/{{cv.csv, coef.csv, model.json}}",
            a.out_dir.display()
        );
    }
    Ok(if a.strict && !cv.fit.converged() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}
