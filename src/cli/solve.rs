//! `mtreg solve`: fit a multi-task model to CSV files (shared or per-task designs,
//! optional task graph, task weights, pooled or learned task relations).

use super::UsageError;
use super::common::{Loaded, ModelArgs, PenaltyArg};
use super::data::{self, Data};
use super::print::errln;
use clap::Args;
use mtreg::io::csv::write_matrix;
use mtreg::io::model::{FitSettings, ModelFile, rows};
use mtreg::penalty::Sparsity;
use mtreg::{Fit, GraphMultiTask, RelationFit, RelationLearning, SufficientStats};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("strength").required(true).args(["alpha", "alpha_ratio"]))]
pub struct SolveArgs {
    /// Regularisation strength alpha (> 0).
    #[arg(long, allow_negative_numbers = true)]
    alpha: Option<f64>,
    /// alpha as a fraction of alpha_max (the smallest alpha giving W = 0).
    #[arg(long, allow_negative_numbers = true)]
    alpha_ratio: Option<f64>,
    /// One coefficient vector shared by all tasks (the limit of a strong graph).
    #[arg(long, conflicts_with_all = ["graph", "chain", "learn_relations"])]
    pooled: bool,
    /// Learn the task covariance Sigma (MTRL) and report task correlations.
    #[arg(long, requires = "relation_strength", conflicts_with_all = ["graph", "chain"])]
    learn_relations: bool,
    /// lambda2, the strength of the learned-relationship term (> 0).
    #[arg(long, allow_negative_numbers = true)]
    relation_strength: Option<f64>,
    /// With --learn-relations: write Sigma and the task correlations as CSV
    /// (task_a,task_b,sigma,correlation).
    #[arg(long, requires = "learn_relations")]
    relations: Option<PathBuf>,
    /// Coefficients output (COEF.csv: feature,<task names>).
    #[arg(long)]
    out: PathBuf,
    /// Also write the model (parameters, certificate, names) as JSON.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Exit with code 3 if the solver stops on --max-iter before meeting --tol.
    #[arg(long)]
    strict: bool,
    /// With --learn-relations: write the task-correlation heatmap (SVG) here.
    #[arg(long, requires = "learn_relations")]
    plot: Option<PathBuf>,
    #[command(flatten)]
    m: ModelArgs,
}

/// The fitted result and what MODEL.json records about the model.
struct Outcome {
    fit: Fit,
    kind: &'static str,
    relations: Option<RelationFit>,
}

/// What is fitted: the data in memory, or its sufficient statistics.
enum Source {
    Data {
        inputs: data::Inputs,
        weights: Option<Vec<f64>>,
    },
    Stats(SufficientStats),
}

impl Source {
    fn features(&self) -> &[String] {
        match self {
            Source::Data { inputs, .. } => &inputs.features,
            Source::Stats(s) => s.feature_names(),
        }
    }

    fn tasks(&self) -> &[String] {
        match self {
            Source::Data { inputs, .. } => &inputs.tasks,
            Source::Stats(s) => s.task_names(),
        }
    }

    fn n_samples(&self) -> usize {
        match self {
            Source::Data { inputs, .. } => inputs.data.n_samples(),
            Source::Stats(s) => s.n_samples(),
        }
    }

    fn weights(&self) -> Option<&[f64]> {
        match self {
            Source::Data { weights, .. } => weights.as_deref(),
            Source::Stats(_) => None,
        }
    }
}

pub fn run(a: SolveArgs) -> anyhow::Result<ExitCode> {
    // Every output is checked before any work, and written as one unit.
    let mut outs = a.m.outputs();
    let coef_out = outs.file(&a.out)?;
    let model_out = a.model.as_ref().map(|p| outs.file(p)).transpose()?;
    let relations_out = a.relations.as_ref().map(|p| outs.file(p)).transpose()?;
    let plot_out = a
        .plot
        .as_ref()
        .map(|d| outs.file(d.join(super::plots::CORRELATION_SVG)))
        .transpose()?;
    let (source, graph) = match &a.m.stats {
        Some(dir) => {
            if a.pooled || a.learn_relations {
                return Err(UsageError(
                    "--pooled and --learn-relations need the data: they are not available \
                     with --stats"
                        .into(),
                )
                .into());
            }
            let (stats, graph) = a.m.load_stats(dir)?;
            (Source::Stats(stats), graph)
        }
        None => {
            let Loaded {
                inputs,
                weights,
                graph,
            } = a.m.load()?;
            (Source::Data { inputs, weights }, graph)
        }
    };
    let sparsity = a.m.penalty.sparsity();
    let bar = super::progress::bar(a.m.max_iter, a.m.quiet);
    let monitor = Some(super::progress::monitor(bar.clone(), a.m.verbose));
    let model = a.m.model(graph.as_ref(), monitor.clone()).pooled(a.pooled);
    let (views, cols) = match &source {
        Source::Data { inputs, .. } => inputs.data.task_views(),
        Source::Stats(_) => (Vec::new(), Vec::new()),
    };
    let ys: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let weights = source.weights();
    let fit_with = |m: &GraphMultiTask| -> mtreg::Result<Fit> {
        match &source {
            Source::Stats(stats) => m.fit_stats(stats),
            Source::Data { inputs, weights } => match (&inputs.data, weights) {
                (Data::Shared { x, y }, None) => m.fit(x, y),
                _ => m.fit_tasks(&views, &ys, weights.as_deref()),
            },
        }
    };
    let alpha = match (a.alpha, a.alpha_ratio) {
        (Some(alpha), _) => alpha,
        (None, Some(r)) => {
            if !(r.is_finite() && r > 0.0) {
                return Err(mtreg::Error::InvalidParameter {
                    name: "alpha_ratio",
                    value: r,
                    expected: "finite and > 0",
                }
                .into());
            }
            // alpha_max of exactly this model and data: a fit at a huge alpha
            // stops at once with W = 0 and reports it.
            r * fit_with(&model.clone().alpha(f64::MAX / 4.0))?.alpha_max()
        }
        (None, None) => unreachable!("clap requires --alpha or --alpha-ratio"),
    };
    let outcome = if a.learn_relations {
        let Source::Data { inputs, .. } = &source else {
            unreachable!("refused above with --stats")
        };
        let lambda2 = a
            .relation_strength
            .expect("clap requires --relation-strength");
        let rel = RelationLearning::new(alpha)
            .l1_ratio(a.m.l1_ratio)
            .penalty(sparsity)
            .relation_strength(lambda2)
            .fit_intercept(!a.m.no_intercept)
            .tol(a.m.tol)
            .max_iter(a.m.max_iter)
            .monitor(monitor);
        if a.m.standardize {
            return Err(
                UsageError("--standardize is not supported with --learn-relations".into()).into(),
            );
        }
        let rel = match (&inputs.data, weights) {
            (Data::Shared { x, y }, None) => rel.fit(x, y),
            _ => rel.fit_tasks(&views, &ys, weights),
        };
        bar.finish_and_clear();
        let rel = rel?;
        Outcome {
            fit: rel.fit().clone(),
            kind: "relation_learning",
            relations: Some(rel),
        }
    } else {
        let fit = fit_with(&model.clone().alpha(alpha));
        bar.finish_and_clear();
        Outcome {
            fit: fit?,
            kind: if a.pooled {
                "pooled"
            } else if graph.is_some()
                || sparsity == Sparsity::Entrywise
                || weights.is_some()
                || a.m.long.is_some()
            {
                "graph_multi_task"
            } else {
                "multi_task_elastic_net"
            },
            relations: None,
        }
    };
    let fit = &outcome.fit;
    let features = source.features();
    let tasks = source.tasks();

    outs.write(coef_out, |w| {
        write_matrix(w, Some(tasks), Some(("feature", features)), fit.coef())
    })?;
    if let (Some(id), Some(rel)) = (relations_out, &outcome.relations) {
        outs.write(id, |w| super::common::write_relations(w, tasks, rel))?;
    }
    if let (Some(id), Some(rel)) = (plot_out, &outcome.relations) {
        let svg = super::plots::correlations(&rel.correlation(), tasks)?;
        outs.write(id, |w| w.write_all(svg.as_bytes()))?;
    }
    if let Some(id) = model_out {
        let settings = FitSettings {
            fit_intercept: !a.m.no_intercept,
            standardize: a.m.standardize,
            tol: a.m.tol,
            max_iter: a.m.max_iter,
            n_samples: source.n_samples(),
        };
        let mut mf = ModelFile::from_fit(fit, features.to_vec(), tasks.to_vec(), settings);
        mf.model = outcome.kind.to_string();
        mf.penalty = a.m.penalty.name().to_string();
        if let Source::Data {
            inputs:
                data::Inputs {
                    data: Data::PerTask { ys, .. },
                    ..
                },
            ..
        } = &source
        {
            mf.n_samples_per_task = Some(ys.iter().map(Vec::len).collect());
        }
        mf.task_weights = weights.map(<[f64]>::to_vec);
        if let Some(g) = &graph {
            mf.graph_strength = Some(a.m.graph_strength);
            mf.edges = Some(g.edges().to_vec());
        }
        mf.pooled = a.pooled.then_some(true);
        if let Some(rel) = &outcome.relations {
            mf.relation_strength = a.relation_strength;
            mf.sigma = Some(rows(rel.sigma()));
            mf.task_correlation = Some(rows(rel.correlation().as_ref()));
            mf.relation_objectives = Some(rel.objectives().to_vec());
        }
        let json = mf.to_json();
        outs.write(id, |w| w.write_all(json.as_bytes()))?;
    }
    super::commit(outs)?;
    let converged = outcome
        .relations
        .as_ref()
        .map_or(fit.converged(), RelationFit::converged);
    if !fit.converged() {
        errln!(
            "warning: not converged after {} epochs: {} (raise --max-iter or --tol)",
            fit.n_iter(),
            fit.certificate()
        );
    }
    if let Some(rel) = outcome
        .relations
        .as_ref()
        .filter(|r| !r.converged() && fit.converged())
    {
        let o = rel.objectives();
        let last = o.len() - 1;
        let decrease = if last > 0 {
            (o[last - 1] - o[last]) / o[last].abs()
        } else {
            f64::NAN
        };
        errln!(
            "warning: learned relations: stopped after {} alternations with a relative \
             objective decrease of {decrease:.1e} per alternation (> 1e-6); the task \
             covariance is close to singular, which slows the alternation down",
            o.len()
        );
    }
    if !a.m.quiet {
        summary(&a, &outcome, &source)?;
    }
    Ok(if a.strict && !converged {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn summary(a: &SolveArgs, outcome: &Outcome, source: &Source) -> anyhow::Result<()> {
    let fit = &outcome.fit;
    let (features, tasks) = (source.features(), source.tasks());
    let mut out = std::io::stdout().lock();
    let (n, p, t) = (source.n_samples(), features.len(), tasks.len());
    let sparsity = match a.m.penalty {
        PenaltyArg::L21 => "L21",
        PenaltyArg::L1 => "L1",
    };
    let mut model = match (fit.l1_ratio() == 1.0, a.m.penalty) {
        (true, PenaltyArg::L21) => "multi-task Lasso".to_string(),
        (true, PenaltyArg::L1) => "Lasso per task (L1)".to_string(),
        (false, _) => format!("{sparsity} elastic net, l1_ratio {}", fit.l1_ratio()),
    };
    if a.pooled {
        model += ", pooled (one coefficient vector)";
    } else if a.m.chain {
        model += &format!(", chain graph, strength {}", a.m.graph_strength);
    } else if let Some(g) = &a.m.graph {
        model += &format!(", graph {}, strength {}", g.display(), a.m.graph_strength);
    } else if let Some(l2) = a.relation_strength.filter(|_| a.learn_relations) {
        model += &format!(", learned task relations, strength {l2}");
    }
    writeln!(out, "mtreg solve: {model}")?;
    let design = match source {
        Source::Data { inputs, .. } => match &inputs.data {
            Data::Shared { .. } => "",
            Data::PerTask { .. } => " (per-task designs)",
        },
        Source::Stats(_) => " (sufficient statistics)",
    };
    writeln!(
        out,
        "  data       {n} samples x {p} features, {t} tasks{design}"
    )?;
    writeln!(
        out,
        "  alpha      {:.6e} = {:.4} x alpha_max ({:.6e})",
        fit.alpha(),
        fit.alpha() / fit.alpha_max(),
        fit.alpha_max()
    )?;
    // Selected features, strongest first (row norm of W).
    let c = fit.coef();
    let mut sel: Vec<(f64, usize)> = (0..p)
        .map(|j| ((0..t).map(|k| c[(j, k)].powi(2)).sum::<f64>().sqrt(), j))
        .filter(|(nrm, _)| *nrm > 0.0)
        .collect();
    sel.sort_by(|a, b| b.0.total_cmp(&a.0));
    let shown: Vec<&str> = sel
        .iter()
        .take(8)
        .map(|&(_, j)| features[j].as_str())
        .collect();
    let more = if sel.len() > 8 {
        format!(", ... ({} more)", sel.len() - 8)
    } else {
        String::new()
    };
    writeln!(
        out,
        "  selected   {} of {p} features{}{}{}",
        sel.len(),
        if sel.is_empty() { "" } else { ": " },
        shown.join(", "),
        more
    )?;
    writeln!(
        out,
        "  {}  {} after {} epochs, {:.3} s{}{}",
        if fit.converged() {
            "converged"
        } else {
            "STOPPED  "
        },
        fit.certificate(),
        fit.n_iter(),
        fit.seconds(),
        if fit.used_gram() { " (Gram mode)" } else { "" },
        match fit.n_screened() {
            0 => String::new(),
            k => format!(", {k} rows screened out"),
        }
    )?;
    writeln!(out, "  objective  {:.10e}", fit.objective())?;
    let r2 = match source {
        Source::Data { inputs, .. } => match &inputs.data {
            Data::Shared { x, y } => Some(fit.score(x, y)?),
            Data::PerTask { .. } => None,
        },
        Source::Stats(stats) => Some(stats.score(fit)?),
    };
    if let Some(r2) = r2 {
        let task_list = if t <= 6 {
            tasks.join(", ")
        } else {
            format!("{}, ..., {}", tasks[..3].join(", "), tasks[t - 1])
        };
        writeln!(
            out,
            "  R^2 train  {r2:.4} (mean over {t} tasks: {task_list})"
        )?;
    }
    if let Some(rel) = &outcome.relations {
        writeln!(
            out,
            "  relations  {} alternations, objective {:.10e}{}",
            rel.objectives().len(),
            rel.objectives().last().copied().unwrap_or(f64::NAN),
            if rel.converged() {
                ""
            } else {
                " (not converged)"
            }
        )?;
        if t <= 12 {
            let corr = rel.correlation();
            writeln!(out, "  task correlations:")?;
            let width = tasks
                .iter()
                .map(|s| s.len())
                .max()
                .unwrap_or(4)
                .clamp(6, 12);
            write!(out, "    {:width$}", "")?;
            for name in tasks {
                write!(out, " {name:>width$.width$}")?;
            }
            writeln!(out)?;
            for (i, name) in tasks.iter().enumerate() {
                write!(out, "    {name:width$.width$}")?;
                for j in 0..t {
                    write!(out, " {:>width$.3}", corr[(i, j)])?;
                }
                writeln!(out)?;
            }
        }
    }
    write!(out, "  wrote      {}", a.out.display())?;
    for extra in a.model.iter().chain(&a.relations) {
        write!(out, ", {}", extra.display())?;
    }
    writeln!(out)?;
    Ok(())
}
