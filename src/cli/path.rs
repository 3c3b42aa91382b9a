//! `mtreg path`: the regularisation path over an alpha grid.

use super::UsageError;
use super::common::ModelArgs;
use super::print::{errln, outln, plural};
use clap::Args;
use mtreg::io::CsvWriter;
use mtreg::path::AlphaGrid;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct PathArgs {
    /// Number of alphas on the grid.
    #[arg(long, default_value_t = 100)]
    n_alphas: usize,
    /// Smallest alpha as a fraction of alpha_max.
    #[arg(long, default_value_t = 1e-3)]
    eps: f64,
    /// Explicit alphas (comma-separated, solved in decreasing order) instead
    /// of the n_alphas/eps grid.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["n_alphas", "eps"])]
    alphas: Option<Vec<f64>>,
    /// Output directory: alphas.csv, coefs.csv, model.json.
    #[arg(long)]
    out_dir: PathBuf,
    /// One coefficient vector shared by all tasks (the limit of a strong graph).
    #[arg(long, conflicts_with_all = ["graph", "chain"])]
    pooled: bool,
    /// Also write SVG plots into this directory: the coefficient path (and,
    /// for --penalty trace, the singular values of W along the path).
    #[arg(long)]
    plot: Option<PathBuf>,
    #[command(flatten)]
    stop: super::common::PathTolFlag,
    #[command(flatten)]
    m: ModelArgs,
}

/// The JSON summary of a path.
#[derive(serde::Serialize)]
struct PathModel<'a> {
    version: &'a str,
    model: &'a str,
    penalty: &'a str,
    feature_names: &'a [String],
    task_names: &'a [String],
    alpha_max: f64,
    l1_ratio: f64,
    graph_strength: Option<f64>,
    fit_intercept: bool,
    standardize: bool,
    tol: f64,
    n_alphas: usize,
    eps: f64,
    seconds: f64,
    points: Vec<PathPoint>,
}

#[derive(serde::Serialize)]
struct PathPoint {
    alpha: f64,
    n_iter: usize,
    converged: bool,
    certificate: mtreg::Certificate,
    objective: f64,
    nnz_rows: usize,
    intercept: Vec<f64>,
}

pub fn run(a: PathArgs) -> anyhow::Result<ExitCode> {
    // Every output is checked before any work, and written as one unit.
    a.m.check_orphans()?;
    if a.m.stats.is_some() && a.pooled {
        return Err(
            UsageError("--pooled needs the data: it is not available with --stats".into()).into(),
        );
    }
    let mut outs = a.m.outputs();
    let file = |f: &str| a.out_dir.join(f);
    let alphas_out = outs.file(file("alphas.csv"))?;
    let coefs_out = outs.file(file("coefs.csv"))?;
    let model_out = outs.file(file("model.json"))?;
    let plot_out = a
        .plot
        .as_ref()
        .map(|d| outs.file(d.join(super::plots::PATH_SVG)))
        .transpose()?;
    let spectrum_out = match (&a.plot, a.m.penalty_name()) {
        (Some(d), "trace") => Some(outs.file(d.join(super::models::SPECTRUM_SVG))?),
        _ => None,
    };
    let grid = match &a.alphas {
        Some(alphas) => AlphaGrid::Explicit(alphas.clone()),
        None => AlphaGrid::Auto {
            n_alphas: a.n_alphas,
            eps: a.eps,
        },
    };
    let bar = super::progress::fits_bar(a.m.quiet);
    let progress = Some(super::progress::fits_callback(bar.clone(), 0, 1));
    let start = std::time::Instant::now();
    // from the samples, or from sufficient statistics (`mtreg stats`)
    a.m.refuse_auto_weights()?;
    let loaded = a.m.load(true)?;
    let model =
        a.m.model(loaded.graph.as_ref(), None)?
            .path_tol(a.stop.path_tol)
            .pooled(a.pooled)
            .progress(progress);
    let path = model.path_data(loaded.data(), &grid);
    bar.finish_and_clear();
    let path = path?;
    let (features, tasks) = (loaded.features(), loaded.tasks());
    let seconds = start.elapsed().as_secs_f64();

    outs.write(alphas_out, |w| {
        let mut csv = CsvWriter::new(w);
        csv.record(["alpha", "n_iter", "certificate", "nnz_rows"])?;
        for (&alpha, fit) in path.alphas.iter().zip(&path.fits) {
            csv.number(alpha)
                .int(fit.n_iter() as u64)
                .number(fit.certificate().value())
                .int(fit.n_nonzero_rows() as u64);
            csv.end_record()?;
        }
        csv.finish()
    })?;
    outs.write(coefs_out, |w| {
        let mut csv = CsvWriter::new(w);
        csv.record(["alpha", "feature", "task", "value"])?;
        for (&alpha, fit) in path.alphas.iter().zip(&path.fits) {
            let c = fit.coef();
            for j in 0..c.nrows() {
                for (k, task) in tasks.iter().enumerate() {
                    let v = c[(j, k)];
                    if v != 0.0 {
                        csv.number(alpha).text(&features[j]).text(task).number(v);
                        csv.end_record()?;
                    }
                }
            }
        }
        csv.finish()
    })?;
    // what was fitted, as every fit of the path records it
    let described = path.fits[0].description();
    let summary = PathModel {
        version: mtreg::io::model::VERSION,
        model: "path",
        penalty: &described.penalty,
        feature_names: features,
        task_names: tasks,
        alpha_max: path.alpha_max,
        l1_ratio: path.fits[0].l1_ratio(),
        graph_strength: described.graph.as_ref().map(|g| g.strength),
        fit_intercept: described.fit_intercept,
        standardize: described.standardize,
        tol: described.tol,
        n_alphas: path.alphas.len(),
        // the grid's smallest alpha relative to alpha_max (explicit grids too)
        eps: match &a.alphas {
            Some(_) => path.alphas.last().copied().unwrap_or(0.0) / path.alpha_max,
            None => a.eps,
        },
        seconds,
        points: path
            .alphas
            .iter()
            .zip(&path.fits)
            .map(|(&alpha, f)| PathPoint {
                alpha,
                n_iter: f.n_iter(),
                converged: f.converged(),
                certificate: f.certificate(),
                objective: f.objective(),
                nnz_rows: f.n_nonzero_rows(),
                intercept: f.intercept().to_vec(),
            })
            .collect(),
    };
    let json = serde_json::to_string_pretty(&summary)?;
    outs.write(model_out, |w| w.write_all(json.as_bytes()))?;
    if let Some(id) = spectrum_out {
        let svg = super::models::spectrum_plot(&path)?;
        outs.write(id, |w| w.write_all(svg.as_bytes()))?;
    }
    if let Some(id) = plot_out {
        let svg = super::plots::coefficient_path(&path, features, &[])?;
        outs.write(id, |w| w.write_all(svg.as_bytes()))?;
    }
    super::commit(outs)?;
    let unconverged = path.fits.iter().filter(|f| !f.converged()).count();
    if unconverged > 0 {
        errln!(
            "warning: {unconverged} of {} stopped on --max-iter{}{}",
            plural(path.fits.len(), "path point"),
            super::common::scale_hint(&loaded, a.m.standardize),
            super::common::interpolation_hint(
                &loaded,
                path.fits.last().is_some_and(|f| !f.converged())
            )
        );
    }
    let last = path
        .fits
        .last()
        .ok_or_else(|| UsageError("empty path".into()))?;
    if a.m.json {
        let sel = super::report::selected(last.coef(), features);
        super::report::print_json(&serde_json::json!({
            "command": "path",
            "model": last.description().kind,
            "n_features": features.len(),
            "n_tasks": tasks.len(),
            "alpha_max": path.alpha_max,
            "n_alphas": path.alphas.len(),
            "alphas": path.alphas,
            "nnz_rows": path.fits.iter().map(|f| f.n_nonzero_rows()).collect::<Vec<_>>(),
            "converged": path.fits.iter().map(|f| f.converged()).collect::<Vec<_>>(),
            "n_unconverged": unconverged,
            "selected_at_smallest_alpha": sel.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            "seconds": seconds,
            "outputs": [a.out_dir.display().to_string()],
        }))?;
    } else if !a.m.quiet {
        outln!(
            "mtreg path: {} from {:.6e} to {:.6e} in {seconds:.3} s; {} of {} at the smallest alpha",
            plural(path.alphas.len(), "alpha"),
            path.alphas[0],
            path.alphas[path.alphas.len() - 1],
            last.n_nonzero_rows(),
            plural(features.len(), "feature")
        )?;
        outln!(
            "  wrote      {}/{{alphas.csv, coefs.csv, model.json}}",
            a.out_dir.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
