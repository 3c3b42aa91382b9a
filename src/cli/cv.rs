//! `mtreg cv`: K-fold cross-validation over the alpha grid (and a grid of graph
//! or relation strengths), then a refit.

use super::UsageError;
use super::common::ModelArgs;
use super::print::{errln, outln, plural};
use super::report;
use clap::Args;
use mtreg::cv::{CvOptions, Select};
use mtreg::io::CsvWriter;
use mtreg::io::csv::write_matrix;
use mtreg::io::model::ModelFile;
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
    /// Explicit alphas (comma-separated, solved in decreasing order) instead
    /// of the n_alphas/eps grid.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["n_alphas", "eps"])]
    alphas: Option<Vec<f64>>,
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
    /// Output directory: cv.csv, coef.csv, model.json (and cv_grid.csv).
    #[arg(long)]
    out_dir: PathBuf,
    /// Also write SVG plots into this directory: the CV curve, and the
    /// coefficient path (or, with --learn-relations, the task-correlation
    /// heatmap of the refit).
    #[arg(long)]
    plot: Option<PathBuf>,
    /// With --graph or --chain: cross-validate over a grid of graph strengths
    /// too (comma-separated lambdas); the (lambda, alpha) pair with the smallest
    /// CV error is refitted and the whole grid written to cv_grid.csv.
    #[arg(long, value_delimiter = ',', requires = "task_graph")]
    graph_strengths: Vec<f64>,
    /// One coefficient vector shared by all tasks (the limit of a strong graph).
    #[arg(long, conflicts_with_all = ["graph", "chain", "graph_strengths", "learn_relations"])]
    pooled: bool,
    /// Learn the task covariance Sigma (MTRL); needs --relation-strength or
    /// --relation-strengths.
    #[arg(long, conflicts_with_all = ["graph", "chain", "graph_strengths"])]
    learn_relations: bool,
    /// With --learn-relations: lambda2, the strength of the learned-relationship
    /// term (> 0).
    #[arg(long, requires = "learn_relations", allow_negative_numbers = true)]
    relation_strength: Option<f64>,
    /// With --learn-relations: cross-validate over these lambda2 too
    /// (comma-separated); the (lambda2, alpha) pair with the smallest CV error
    /// is refitted and the whole grid written to cv_grid.csv.
    #[arg(
        long,
        value_delimiter = ',',
        requires = "learn_relations",
        conflicts_with = "relation_strength",
        allow_negative_numbers = true
    )]
    relation_strengths: Vec<f64>,
    /// With --learn-relations: write Sigma and the task correlations of the
    /// refit as CSV (task_a,task_b,sigma,correlation).
    #[arg(long, requires = "learn_relations")]
    relations: Option<PathBuf>,
    /// With --penalty dirty or robust: cross-validate over these ratios
    /// beta/alpha too (comma-separated); the (ratio, alpha) pair with the
    /// smallest CV error is refitted and the grid written to cv_grid.csv.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true,
        conflicts_with_all = ["graph_strengths", "learn_relations", "specific_ratio"])]
    pub(super) specific_ratios: Vec<f64>,
    /// With --clusters: cross-validate over these ridges rho2 too
    /// (comma-separated; the alphas are the cluster strengths rho1).
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true, requires = "clusters",
        conflicts_with_all = ["graph_strengths", "learn_relations", "cluster_ridge"])]
    pub(super) cluster_ridges: Vec<f64>,
    /// Cross-validate over task-weight schemes too (comma-separated):
    /// uniform, inverse-n (1/n_t), inverse-variance (1/var(y_t)), or files
    /// task,weight. Weights are computed on each fold's training data and
    /// normalised to mean 1; every scheme is scored by the same unweighted
    /// held-out MSE.
    #[arg(long, value_delimiter = ',',
        conflicts_with_all = ["graph_strengths", "learn_relations", "task_weights"])]
    pub(super) task_weight_grid: Vec<String>,
    /// Reduced-rank regression: cross-validate over these ranks
    /// (comma-separated; one closed form per fold gives them all), then refit
    /// at the selected rank (min: smallest CV error; 1se: smallest rank within
    /// one standard error).
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["graph_strengths", "learn_relations",
        "alphas", "specific_ratios", "cluster_ridges", "task_weight_grid", "graph", "chain",
        "clusters", "plot"])]
    pub(super) ranks: Vec<usize>,
    /// With --ranks: the ridge l2/2 ||W||^2 (>= 0).
    #[arg(
        long,
        requires = "ranks",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    pub(super) ridge: f64,
    /// Exit with code 3 if the refit stops on --max-iter.
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    stop: super::common::PathTolFlag,
    #[command(flatten)]
    outer: super::common::MaxOuterFlag,
    #[command(flatten)]
    m: ModelArgs,
}

/// What the grid search varies besides alpha.
enum Strengths {
    /// Graph strengths λ (one CV each, one after the other).
    Graph(Vec<f64>),
    /// Relation strengths λ2 (one CV over the whole grid, in parallel).
    Relations(Vec<f64>),
    /// Model variants (β/α ratios, cluster ridges, weight schemes; one CV
    /// over the whole grid, in parallel): the grid's key is the point's index.
    Models(super::models::ModelGrid),
}

pub fn run(a: CvArgs) -> anyhow::Result<ExitCode> {
    a.m.refuse_auto_weights()?;
    a.m.check_orphans()?;
    // Every output is checked before any work, and written as one unit
    // (the files of --task-weight-grid are inputs too).
    let grid_files = super::models::grid_files(&a.task_weight_grid);
    let mut outs = mtreg::io::Outputs::new(a.m.force, &[a.m.input_files(), grid_files].concat());
    let file = |f: &str| a.out_dir.join(f);
    let cv_out = outs.file(file("cv.csv"))?;
    let coef_out = outs.file(file("coef.csv"))?;
    let model_out = outs.file(file("model.json"))?;
    if !a.ranks.is_empty() {
        let ids = [cv_out, coef_out, model_out];
        return super::models::cv_ranks(&a.m, &a, outs, ids, bounded_threads(a.threads, a.folds));
    }
    let n_points = super::models::grid_size(&a);
    let n_strengths = if a.learn_relations {
        a.relation_strengths.len()
    } else if n_points > 1 {
        n_points
    } else {
        a.graph_strengths.len()
    };
    let grid_out = (n_strengths > 1)
        .then(|| outs.file(file("cv_grid.csv")))
        .transpose()?;
    let relations_out = a.relations.as_ref().map(|p| outs.file(p)).transpose()?;
    let plot_outs = match &a.plot {
        Some(dir) => {
            let second = if a.learn_relations {
                super::plots::CORRELATION_SVG
            } else {
                super::plots::PATH_SVG
            };
            Some((
                outs.file(dir.join(super::plots::CV_SVG))?,
                outs.file(dir.join(second))?,
            ))
        }
        None => None,
    };
    let threads = bounded_threads(a.threads, a.folds * n_strengths.max(1));
    let all = a.m.load(false)?;
    check_folds(&a, &all)?;
    let graph = &all.graph;
    let strengths = if a.learn_relations {
        Strengths::Relations(match (&a.relation_strengths[..], a.relation_strength) {
            ([], Some(lambda2)) => vec![lambda2],
            ([], None) => {
                return Err(UsageError(
                    "--learn-relations needs --relation-strength or --relation-strengths".into(),
                )
                .into());
            }
            (list, _) => list.to_vec(),
        })
    } else if n_points > 1 || super::models::has_grid(&a) {
        Strengths::Models(super::models::model_grid(&a.m, &a, &all)?)
    } else if a.graph_strengths.is_empty() {
        Strengths::Graph(vec![a.m.graph_strength])
    } else {
        Strengths::Graph(a.graph_strengths.clone())
    };
    let mut opts = a.cv_options(threads);
    let start = std::time::Instant::now();
    let bar = super::progress::fits_bar(a.m.quiet);
    // the selected point of a model grid (for the path plot and the summary)
    let mut best_point: Option<usize> = None;
    // `grid`, per strength: (strength, mean MSE per alpha, s.e. per alpha).
    let (lambda, cv, relations, grid) = match &strengths {
        Strengths::Graph(lambdas) => {
            let mut results = Vec::with_capacity(lambdas.len());
            for (i, &lambda) in lambdas.iter().enumerate() {
                opts.progress = Some(super::progress::fits_callback(
                    bar.clone(),
                    i,
                    lambdas.len(),
                ));
                let model =
                    a.m.model(graph.as_ref(), None)?
                        .path_tol(a.stop.path_tol)
                        .graph_strength(if graph.is_some() { lambda } else { 0.0 })
                        .pooled(a.pooled);
                let cv = model.cross_validate_data(all.data(), &opts);
                if cv.is_err() {
                    bar.finish_and_clear();
                }
                results.push((lambda, cv?));
            }
            bar.finish_and_clear();
            let grid: Vec<_> = results
                .iter()
                .map(|(l, cv)| (*l, cv.mse_mean.clone(), cv.mse_se.clone()))
                .collect();
            // The graph strength whose best alpha has the smallest mean CV error
            // (the first among ties), as RelationLearning::cross_validate_grid.
            let best = mtreg::cv::best_point(results.iter().map(|(_, cv)| cv.min_mse()));
            let (lambda, cv) = results.swap_remove(best);
            (lambda, cv, None, grid)
        }
        Strengths::Relations(lambdas) => {
            opts.progress = Some(super::progress::fits_callback(bar.clone(), 0, 1));
            let model =
                a.m.relations(1.0, None)?
                    .path_tol(a.stop.path_tol)
                    .max_outer(a.outer.max_outer);
            let rcv = model.cross_validate_grid_data(all.data(), lambdas, &opts);
            bar.finish_and_clear();
            let rcv = rcv?;
            let grid: Vec<_> = rcv
                .strengths
                .iter()
                .zip(&rcv.curves)
                .map(|(l, c)| (*l, c.mse_mean.clone(), c.mse_se.clone()))
                .collect();
            (rcv.relation_strength, rcv.cv, Some(rcv.relations), grid)
        }
        Strengths::Models(mg) => {
            opts.progress = Some(super::progress::fits_callback(bar.clone(), 0, 1));
            let model = super::models::grid_model(&a.m, &mg.points[0], graph.as_ref());
            let g = model.cross_validate_grid(all.data(), &mg.points, &opts);
            bar.finish_and_clear();
            let g = g?;
            let grid: Vec<_> = (0..mg.points.len())
                .zip(&g.curves)
                .map(|(i, c)| (i as f64, c.mse_mean.clone(), c.mse_se.clone()))
                .collect();
            best_point = Some(g.best);
            (a.m.graph_strength, g.cv, None, grid)
        }
    };
    if let Some(id) = grid_out {
        let names: Vec<&str> = match &strengths {
            Strengths::Graph(_) => vec!["graph_strength"],
            Strengths::Relations(_) => vec!["relation_strength"],
            Strengths::Models(mg) => mg.header.iter().map(String::as_str).collect(),
        };
        outs.write(id, |w| {
            let mut csv = CsvWriter::new(w);
            csv.record(names.iter().copied().chain(["alpha", "mse_mean", "mse_se"]))?;
            for (lambda, mean, se) in &grid {
                for (i, &alpha) in cv.alphas.iter().enumerate() {
                    match &strengths {
                        Strengths::Models(mg) => {
                            for field in &mg.labels[*lambda as usize] {
                                csv.text(field);
                            }
                        }
                        _ => {
                            csv.number(*lambda);
                        }
                    }
                    csv.number(alpha).number(mean[i]).number(se[i]);
                    csv.end_record()?;
                }
            }
            csv.finish()
        })?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let (features, tasks) = (all.features(), all.tasks());

    outs.write(cv_out, |w| {
        let mut csv = CsvWriter::new(w);
        csv.text("alpha").text("mse_mean").text("mse_se");
        for task in tasks {
            csv.text(&format!("mse_{task}"));
        }
        csv.end_record()?;
        for (i, &alpha) in cv.alphas.iter().enumerate() {
            csv.number(alpha)
                .number(cv.mse_mean[i])
                .number(cv.mse_se[i]);
            for k in 0..tasks.len() {
                csv.number(cv.mse_per_task[(i, k)]);
            }
            csv.end_record()?;
        }
        csv.finish()
    })?;
    outs.write(coef_out, |w| {
        write_matrix(w, Some(tasks), Some(("feature", features)), cv.fit.coef())
    })?;
    // the refit's MODEL.json (its model, graph or Σ) and the CV fields
    let mut mf = ModelFile::from_cv(&cv, opts.select);
    mf.seconds = seconds;
    let json = mf.to_json();
    outs.write(model_out, |w| w.write_all(json.as_bytes()))?;
    if let (Some(id), Some(rel)) = (relations_out, &relations) {
        outs.write(id, |w| super::common::write_relations(w, tasks, rel))?;
    }
    // Every strength's curve, named by its strength.
    let strength_label = match &strengths {
        Strengths::Graph(_) => "\u{3bb} =",
        Strengths::Relations(_) => "\u{3bb}2 =",
        Strengths::Models(_) => "",
    };
    let curves: Vec<(String, &[f64], &[f64])> = if grid.len() > 1 {
        grid.iter()
            .map(|(l, m, s)| {
                let label = match &strengths {
                    Strengths::Models(mg) => mg.label(*l as usize),
                    _ => format!("{strength_label} {l}"),
                };
                (label, &m[..], &s[..])
            })
            .collect()
    } else {
        vec![(String::new(), &cv.mse_mean[..], &cv.mse_se[..])]
    };
    if let (Some((cv_svg, corr_svg)), Some(rel)) = (plot_outs, &relations) {
        let svg = super::plots::cv_curves(&cv, &curves, None)?;
        outs.write(cv_svg, |w| w.write_all(svg.as_bytes()))?;
        let svg = super::plots::correlations(&rel.correlation(), tasks)?;
        outs.write(corr_svg, |w| w.write_all(svg.as_bytes()))?;
    } else if let Some((cv_svg, path_svg)) = plot_outs {
        // The coefficient path on all data over the same grid, both alphas
        // marked; its numbers of non-zero features label the CV curve too.
        let alpha_grid = AlphaGrid::Explicit(cv.alphas.clone());
        let path = match (&strengths, best_point) {
            (Strengths::Models(mg), Some(best)) => {
                super::models::best_path(&a.m, &mg.points[best], &all, &alpha_grid)?
            }
            _ => {
                a.m.model(graph.as_ref(), None)?
                    .path_tol(a.stop.path_tol)
                    .graph_strength(if graph.is_some() { lambda } else { 0.0 })
                    .pooled(a.pooled)
                    .path_data(all.data(), &alpha_grid)?
            }
        };
        let nnz: Option<Vec<usize>> = cv
            .alphas
            .iter()
            .map(|a| {
                let i = path.alphas.iter().position(|b| b == a)?;
                Some(path.fits[i].n_nonzero_rows())
            })
            .collect();
        let svg = super::plots::cv_curves(&cv, &curves, nnz.as_deref())?;
        outs.write(cv_svg, |w| w.write_all(svg.as_bytes()))?;
        let marks = [(cv.alpha_min, "alpha_min"), (cv.alpha_1se, "alpha_1se")];
        let svg = super::plots::coefficient_path(&path, features, &marks)?;
        outs.write(path_svg, |w| w.write_all(svg.as_bytes()))?;
    }
    super::commit(outs)?;
    if !cv.fit.certificate().is_satisfied() {
        errln!(
            "warning: the refit stopped on --max-iter: {}{}",
            cv.fit.certificate(),
            super::common::scale_hint(&all, a.m.standardize)
        );
    }
    let unconverged = cv.unconverged();
    if let Some(&(first, _)) = unconverged.first() {
        let total = cv.alphas.len() * cv.folds.len();
        errln!(
            "warning: {} of {total} fold fits stopped on --max-iter (the largest alpha {:.6e}); \
             their held-out errors are not exact (raise --max-iter){}{}",
            unconverged.len(),
            cv.alphas[first],
            super::common::scale_hint(&all, a.m.standardize),
            super::common::interpolation_hint(
                &all,
                unconverged.iter().any(|&(i, _)| i + 1 == cv.alphas.len())
            )
        );
    }
    if let Some(rel) = relations
        .as_ref()
        .filter(|r| !r.alternation_converged() && cv.fit.certificate().is_satisfied())
    {
        errln!(
            "warning: learned relations: the refit stopped after {} alternations \
             (--max-outer) before the objective settled (relative decrease > 1e-6)",
            rel.n_outer()
        );
    }
    // (a grid of model variants is keyed by index: its alphas only)
    let (strength_name, grid_strengths) = match &strengths {
        Strengths::Graph(_) => (
            "--graph-strengths",
            grid.iter().map(|(l, _, _)| *l).collect(),
        ),
        Strengths::Relations(_) => (
            "--relation-strengths",
            grid.iter().map(|(l, _, _)| *l).collect(),
        ),
        Strengths::Models(_) => ("", Vec::new()),
    };
    for warning in edge_warnings(&cv.alphas, cv.alpha, &grid_strengths, lambda, strength_name) {
        errln!("warning: {warning}");
    }
    let converged = relations
        .as_ref()
        .map_or(cv.fit.converged(), mtreg::RelationFit::converged);
    let position = |alpha: f64| cv.alphas.iter().position(|&x| x == alpha).unwrap_or(0);
    let (i_min, i_1se, i_refit) = (
        position(cv.alpha_min),
        position(cv.alpha_1se),
        position(cv.alpha),
    );
    let design = all.design().expect("cv reads samples");
    let sel = report::selected(cv.fit.coef(), features);
    let r2_train = report::r2_per_task(&cv.fit, design)?;
    let r2_cv = report::r2_cv(&cv, i_refit, design);
    if a.m.json {
        let mut v = serde_json::json!({
            "command": "cv",
            "model": cv.fit.description().kind,
            "n_features": features.len(),
            "n_tasks": tasks.len(),
            "folds": cv.folds.len(),
            "n_alphas": cv.alphas.len(),
            "alpha_max": cv.fit.alpha_max(),
            "alpha_min": cv.alpha_min,
            "mse_min": cv.mse_mean[i_min],
            "alpha_1se": cv.alpha_1se,
            "mse_1se": cv.mse_mean[i_1se],
            "alpha": cv.alpha,
            "graph_strength": matches!(strengths, Strengths::Graph(_)).then_some(lambda).filter(|_| graph.is_some()),
            "relation_strength": matches!(strengths, Strengths::Relations(_)).then_some(lambda),
            "selected": sel.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            "r2_cv": report::per_task_json(tasks, &r2_cv),
            "r2_train": report::per_task_json(tasks, &r2_train),
            "seconds": seconds,
            "threads": threads,
            "outputs": [a.out_dir.display().to_string()],
        });
        if let (Some(obj), serde_json::Value::Object(cert)) =
            (v.as_object_mut(), report::certificate_json(&cv.fit))
        {
            obj.extend(cert);
        }
        report::print_json(&v)?;
    } else if !a.m.quiet {
        outln!(
            "mtreg cv: {}-fold cross-validation over {} in {seconds:.3} s ({})",
            cv.folds.len(),
            plural(cv.alphas.len(), "alpha"),
            plural(threads, "thread")
        )?;
        outln!(
            "  alpha_min  {:.6e}  mse {:.6e} ± {:.2e}",
            cv.alpha_min,
            cv.mse_mean[i_min],
            cv.mse_se[i_min]
        )?;
        outln!(
            "  alpha_1se  {:.6e}  mse {:.6e} ± {:.2e}",
            cv.alpha_1se,
            cv.mse_mean[i_1se],
            cv.mse_se[i_1se]
        )?;
        match &strengths {
            Strengths::Graph(l) if graph.is_some() => {
                outln!("  graph strength {lambda} (of {} tried)", l.len())?
            }
            Strengths::Relations(l) => {
                outln!("  relation strength {lambda} (of {} tried)", l.len())?
            }
            Strengths::Models(mg) => outln!(
                "  selected   {} (of {} tried)",
                best_point.map_or(String::new(), |b| mg.label(b)),
                mg.points.len()
            )?,
            Strengths::Graph(_) => {}
        }
        outln!("  refit at   {:.6e}: {}", cv.alpha, cv.fit.certificate())?;
        outln!(
            "  selected   {}",
            report::selected_line(&sel, features.len())
        )?;
        outln!("  R^2 cv     {}", report::per_task_line(tasks, &r2_cv))?;
        outln!("  R^2 train  {}", report::per_task_line(tasks, &r2_train))?;
        if let Some(rel) = &relations {
            outln!(
                "  relations  {} at the refit{}",
                plural(rel.n_outer(), "alternation"),
                if rel.alternation_converged() {
                    ""
                } else {
                    " (stopped at --max-outer)"
                }
            )?;
        }
        outln!(
            "  wrote      {}/{{cv.csv, coef.csv, model.json{}}}{}",
            a.out_dir.display(),
            if grid.len() > 1 { ", cv_grid.csv" } else { "" },
            match &a.relations {
                Some(r) => format!(", {}", r.display()),
                None => String::new(),
            }
        )?;
    }
    Ok(if a.strict && !converged {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// Refuses more folds than samples, naming the file (and, for `--long`
/// data, whose tasks are each split into K parts, the task).
fn check_folds(a: &CvArgs, all: &super::common::Loaded) -> anyhow::Result<()> {
    use super::data::Design;
    let k = a.folds;
    let file = [&a.m.long, &a.m.data, &a.m.x]
        .into_iter()
        .flatten()
        .next()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    match all.design() {
        Some(Design::PerTask { ys, .. }) => {
            let short: Vec<String> = all
                .tasks()
                .iter()
                .zip(ys)
                .filter(|(_, y)| y.len() < k)
                .map(|(t, y)| format!("{t:?} ({})", plural(y.len(), "sample")))
                .collect();
            if k >= 2 && !short.is_empty() {
                return Err(UsageError(format!(
                    "{file}: --folds {k} splits each task's samples into {k} parts, but task{} \
                     {} {} fewer than {k} samples; lower --folds or drop {}",
                    if short.len() == 1 { "" } else { "s" },
                    short.join(", "),
                    if short.len() == 1 { "has" } else { "have" },
                    if short.len() == 1 {
                        "that task"
                    } else {
                        "those tasks"
                    }
                ))
                .into());
            }
        }
        Some(Design::Shared { x, .. }) if k >= 2 && x.nrows() < k => {
            return Err(UsageError(format!(
                "{file}: --folds {k} needs at least {k} samples, but the data have {}",
                x.nrows()
            ))
            .into());
        }
        _ => {}
    }
    Ok(())
}

impl CvArgs {
    /// The CV options of the flags, on `threads` threads.
    pub(super) fn cv_options(&self, threads: usize) -> CvOptions {
        CvOptions::default()
            .folds(self.folds)
            .shuffle(self.shuffle)
            .seed(self.seed)
            .grid(match &self.alphas {
                Some(alphas) => AlphaGrid::Explicit(alphas.clone()),
                None => AlphaGrid::Auto {
                    n_alphas: self.n_alphas,
                    eps: self.eps,
                },
            })
            .threads(threads)
            .select(match self.select {
                SelectArg::Min => Select::Min,
                SelectArg::OneSe => Select::OneSe,
            })
    }

    /// `--out-dir`.
    pub(super) fn out_dir(&self) -> &std::path::Path {
        &self.out_dir
    }
}

/// `--threads`, bounded by the work (`jobs` fold fits can run at once) and
/// the cores; says so when it lowers the request.
fn bounded_threads(requested: usize, jobs: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let bound = cores.min(jobs).max(1);
    if requested > bound {
        errln!(
            "note: --threads {requested} lowered to {bound} ({cores} core{}, {jobs} fold fit{} \
             at a time)",
            if cores == 1 { "" } else { "s" },
            if jobs == 1 { "" } else { "s" }
        );
        return bound;
    }
    requested
}

/// Warnings for a selection at the edge of its grid: the smallest alpha (a
/// better one may lie below), the largest (no features), or the smallest or
/// largest of several strengths.
fn edge_warnings(
    alphas: &[f64],
    alpha: f64,
    strengths: &[f64],
    strength: f64,
    strength_flag: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    if alphas.len() > 1 {
        let smallest = alphas.iter().copied().fold(f64::INFINITY, f64::min);
        let largest = alphas.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if alpha == smallest {
            out.push(format!(
                "the selected alpha {alpha:.6e} is the smallest of the grid: the CV error may \
                 fall further below it (lower --eps, or give smaller --alphas)"
            ));
        } else if alpha == largest {
            out.push(format!(
                "the selected alpha {alpha:.6e} is the largest of the grid (the fewest \
                 features): the CV error may fall further above it (give larger --alphas)"
            ));
        }
    }
    if strengths.len() > 1 {
        let smallest = strengths.iter().copied().fold(f64::INFINITY, f64::min);
        let largest = strengths.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let side = if strength == smallest {
            Some("smallest")
        } else if strength == largest {
            Some("largest")
        } else {
            None
        };
        if let Some(side) = side {
            out.push(format!(
                "the selected strength {strength} is the {side} of {strength_flag}: the CV error \
                 may fall further beyond it (extend the grid)"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::edge_warnings;

    #[test]
    fn selections_at_the_edge_of_a_grid_are_flagged() {
        let alphas = [1.0, 0.1, 0.01];
        assert!(edge_warnings(&alphas, 0.1, &[], 0.0, "--x").is_empty());
        assert!(edge_warnings(&alphas, 0.01, &[], 0.0, "--x")[0].contains("smallest"));
        assert!(edge_warnings(&alphas, 1.0, &[], 0.0, "--x")[0].contains("largest"));
        // one alpha, one strength: no grid to be at the edge of
        assert!(edge_warnings(&[0.5], 0.5, &[2.0], 2.0, "--x").is_empty());
        let w = edge_warnings(&alphas, 0.1, &[0.1, 1.0, 10.0], 10.0, "--graph-strengths");
        assert!(
            w.len() == 1 && w[0].contains("largest of --graph-strengths"),
            "{w:?}"
        );
        assert!(edge_warnings(&alphas, 0.1, &[0.1, 1.0, 10.0], 1.0, "--x").is_empty());
    }
}
