//! `mtreg cv`: K-fold cross-validation over the alpha grid, then a refit.

use super::common::ModelArgs;
use clap::Args;
use mtreg::cv::{CvOptions, Select};
use mtreg::io::atomic::write_atomic;
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
    /// With --graph or --chain: cross-validate over a grid of graph strengths
    /// too (comma-separated lambdas); the (lambda, alpha) pair with the smallest
    /// CV error is refitted and the whole grid written to cv_grid.csv.
    #[arg(long, value_delimiter = ',')]
    graph_strengths: Vec<f64>,
    /// Exit with code 3 if the refit stops on --max-iter.
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    m: ModelArgs,
}

pub fn run(a: CvArgs) -> anyhow::Result<ExitCode> {
    let files = ["cv.csv", "coef.csv", "model.json"].map(|f| a.out_dir.join(f));
    let all = a.m.load_for(&a.out_dir, &files)?;
    let (loaded, graph, weights) = (&all.inputs, &all.graph, &all.weights);
    if !a.graph_strengths.is_empty() && graph.is_none() {
        return Err(super::UsageError("--graph-strengths needs --graph or --chain".into()).into());
    }
    let strengths: Vec<f64> = if a.graph_strengths.is_empty() {
        vec![a.m.graph_strength]
    } else {
        a.graph_strengths.clone()
    };
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
    let mut grid_results = Vec::with_capacity(strengths.len());
    for &lambda in &strengths {
        let model =
            a.m.model(graph.as_ref(), None)
                .graph_strength(if graph.is_some() { lambda } else { 0.0 });
        let cv = all.dispatch(
            |x, y| model.cross_validate(x, y, &opts),
            |xs, ys, w| model.cross_validate_tasks(xs, ys, w, &opts),
        )?;
        grid_results.push((lambda, cv));
    }
    // The graph strength whose best alpha has the smallest mean CV error.
    let best = (0..grid_results.len())
        .min_by(|&i, &j| {
            let m = |k: usize| {
                grid_results[k]
                    .1
                    .mse_mean
                    .iter()
                    .copied()
                    .fold(f64::INFINITY, f64::min)
            };
            m(i).total_cmp(&m(j))
        })
        .expect("at least one graph strength");
    if grid_results.len() > 1 {
        write_atomic(&a.out_dir.join("cv_grid.csv"), a.m.force, |w| {
            writeln!(w, "graph_strength,alpha,mse_mean,mse_se")?;
            for (lambda, cv) in &grid_results {
                for (i, alpha) in cv.alphas.iter().enumerate() {
                    writeln!(w, "{lambda},{alpha},{},{}", cv.mse_mean[i], cv.mse_se[i])?;
                }
            }
            Ok(())
        })?;
    }
    let (lambda, cv) = grid_results.swap_remove(best);
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
        mf.graph_strength = Some(lambda);
        mf.edges = Some(g.edges().to_vec());
    }
    mf.seconds = seconds;
    let json = mf.to_json();
    write_atomic(&files[2], a.m.force, |w| w.write_all(json.as_bytes()))?;
    if let Some(dir) = &a.plot {
        super::plots::cv_curve(dir, &cv, a.m.force)?;
        // The coefficient path on all data over the same grid, both alphas marked.
        let model =
            a.m.model(graph.as_ref(), None)
                .graph_strength(if graph.is_some() { lambda } else { 0.0 });
        let grid = AlphaGrid::Explicit(cv.alphas.clone());
        let path = all.dispatch(
            |x, y| model.path(x, y, &grid),
            |xs, ys, w| model.path_tasks(xs, ys, w, &grid),
        )?;
        let marks = [(cv.alpha_min, "alpha_min"), (cv.alpha_1se, "alpha_1se")];
        super::plots::coefficient_path(dir, &path, features, &marks, a.m.force)?;
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
        if graph.is_some() {
            println!("  graph strength {lambda} (of {} tried)", strengths.len());
        }
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
