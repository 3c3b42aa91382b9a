//! `mtreg solve`: fit a multi-task model to CSV files (shared or per-task designs,
//! optional task graph, task weights, pooled or learned task relations).

use super::UsageError;
use super::common::{Loaded, ModelArgs, Source, write_relations};
use super::data::Design;
use super::print::{errln, plural};
use super::report;
use clap::Args;
use mtreg::io::csv::write_matrix;
use mtreg::io::model::ModelFile;
use mtreg::{Fit, RelationFit};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("strength").required(true)
    .args(["alpha", "alpha_ratio", "cluster_strength", "rank"]))]
pub struct SolveArgs {
    /// Regularisation strength alpha (> 0).
    #[arg(long, allow_negative_numbers = true)]
    alpha: Option<f64>,
    /// alpha as a fraction of alpha_max (the smallest alpha giving W = 0).
    #[arg(long, allow_negative_numbers = true)]
    alpha_ratio: Option<f64>,
    /// dirty, robust: beta, the strength of the specific part Q (with --alpha).
    #[arg(
        long,
        requires = "alpha",
        conflicts_with = "specific_ratio",
        allow_negative_numbers = true
    )]
    alpha_specific: Option<f64>,
    /// Clustered MTL: rho1, the cluster strength (the alpha of --clusters).
    #[arg(long, requires = "clusters", allow_negative_numbers = true)]
    cluster_strength: Option<f64>,
    /// Reduced-rank regression: least squares with rank W <= k, in closed
    /// form (shared design; no penalty, graph or pooling).
    #[arg(long, conflicts_with_all = ["graph", "chain", "pooled", "learn_relations", "clusters",
        "specific_ratio", "group_norm"])]
    rank: Option<usize>,
    /// With --rank: the ridge l2/2 ||W||^2 (>= 0).
    #[arg(
        long,
        requires = "rank",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    ridge: f64,
    /// The parts of W as tidy CSV (component,feature,task,value; zeros
    /// omitted): shared/specific (dirty, robust), mean/deviation (--graph complete).
    #[arg(long)]
    components: Option<PathBuf>,
    /// One coefficient vector shared by all tasks (the limit of a strong graph).
    #[arg(long, conflicts_with_all = ["graph", "chain", "learn_relations"])]
    pooled: bool,
    /// Learn the task covariance Sigma (MTRL) and report task correlations.
    #[arg(long, requires = "relation_strength", conflicts_with_all = ["graph", "chain"])]
    learn_relations: bool,
    /// lambda2, the strength of the learned-relationship term (> 0).
    #[arg(long, allow_negative_numbers = true, requires = "learn_relations")]
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
    /// Write a figure (SVG) into this directory: with --learn-relations the
    /// task-correlation heatmap; for a model whose W has parts (dirty,
    /// robust, --graph complete) the parts side by side.
    #[arg(long)]
    plot: Option<PathBuf>,
    #[command(flatten)]
    outer: super::common::MaxOuterFlag,
    #[command(flatten)]
    m: ModelArgs,
}

/// The fit, and Σ for learned relations.
struct Outcome {
    fit: Fit,
    relations: Option<RelationFit>,
}

pub fn run(mut a: SolveArgs) -> anyhow::Result<ExitCode> {
    super::models::check_solve_flags(&mut a.m, a.alpha, a.alpha_specific, a.rank.is_some())?;
    if a.components.is_some() {
        super::models::check_components(&a.m, a.pooled || a.learn_relations || a.rank.is_some())?;
    }
    // Every output is checked before any work, and written as one unit.
    a.m.check_orphans()?;
    let mut outs = a.m.outputs();
    let coef_out = outs.file(&a.out)?;
    let components_out = a.components.as_ref().map(|p| outs.file(p)).transpose()?;
    let model_out = a.model.as_ref().map(|p| outs.file(p)).transpose()?;
    let relations_out = a.relations.as_ref().map(|p| outs.file(p)).transpose()?;
    let plot_out = a
        .plot
        .as_ref()
        .map(|d| {
            let name = if a.learn_relations {
                super::plots::CORRELATION_SVG
            } else {
                super::models::COMPONENTS_SVG
            };
            outs.file(d.join(name))
        })
        .transpose()?;
    if a.plot.is_some() && !a.learn_relations {
        super::models::check_components(&a.m, a.pooled || a.rank.is_some())
            .map_err(|_| UsageError("--plot needs --learn-relations or a model whose W has parts (--penalty dirty or robust, --graph complete)".into()))?;
    }
    if a.m.stats.is_some() && (a.pooled || a.learn_relations) {
        return Err(UsageError(
            "--pooled and --learn-relations need the data: they are not available with --stats"
                .into(),
        )
        .into());
    }
    let loaded = a.m.load(true)?;
    if let Some(r) = a.alpha_ratio.filter(|r| !(r.is_finite() && *r > 0.0)) {
        return Err(mtreg::Error::InvalidParameter {
            name: "alpha_ratio",
            value: r,
            expected: "finite and > 0",
        }
        .into());
    }
    let bar = super::progress::bar(a.m.max_iter, a.m.quiet);
    let monitor = Some(super::progress::monitor(bar.clone(), a.m.verbose));
    let data = loaded.data();
    // alpha, or alpha_ratio times the alpha_max of exactly this model and
    // data (from the prepared problem, which the fit then reuses)
    let outcome = if let Some(k) = a.rank {
        let fitted = mtreg::ReducedRankRegression::new(k)
            .ridge(a.ridge)
            .fit_intercept(!a.m.no_intercept)
            .standardize(a.m.standardize)
            .tol(a.m.tol)
            .fit_data(&data);
        bar.finish_and_clear();
        Outcome {
            fit: fitted?,
            relations: None,
        }
    } else if a.m.auto_weights() {
        let model = a.m.model(loaded.graph.as_ref(), monitor)?;
        let fitted = (|| {
            let problem = model.prepare(&data)?;
            let alpha = a.alpha_for(model.alpha_max_prepared(&problem)?);
            drop(problem);
            // weights of mean 1: alpha keeps the scale of the unweighted fit
            let opts = mtreg::models::NoiseWeightOptions {
                normalize: true,
                ..Default::default()
            };
            model.alpha(alpha).fit_noise_weighted(&data, &opts)
        })();
        bar.finish_and_clear();
        Outcome {
            fit: fitted?,
            relations: None,
        }
    } else if a.learn_relations {
        let lambda2 = a
            .relation_strength
            .expect("clap requires --relation-strength");
        let model =
            a.m.relations(lambda2, monitor)?
                .max_outer(a.outer.max_outer);
        let fitted = (|| {
            let mut problem = model.prepare(&data)?;
            let alpha = a.alpha_for(model.alpha_max_prepared(&problem)?);
            model.alpha(alpha).fit_prepared(&mut problem)
        })();
        bar.finish_and_clear();
        let rel = fitted?;
        Outcome {
            fit: rel.fit().clone(),
            relations: Some(rel),
        }
    } else {
        let model = a.m.model(loaded.graph.as_ref(), monitor)?.pooled(a.pooled);
        let fitted = (|| {
            let mut problem = model.prepare(&data)?;
            let alpha = a.alpha_for(model.alpha_max_prepared(&problem)?);
            model.alpha(alpha).fit_prepared(&mut problem)
        })();
        bar.finish_and_clear();
        Outcome {
            fit: fitted?,
            relations: None,
        }
    };
    let fit = &outcome.fit;
    let (features, tasks) = (loaded.features(), loaded.tasks());

    outs.write(coef_out, |w| {
        write_matrix(w, Some(tasks), Some(("feature", features)), fit.coef())
    })?;
    if let (Some(id), Some(rel)) = (relations_out, &outcome.relations) {
        outs.write(id, |w| write_relations(w, tasks, rel))?;
    }
    if let Some(id) = components_out {
        outs.write(id, |w| {
            super::models::write_components(w, fit, features, tasks)
        })?;
    }
    if let (Some(id), None) = (plot_out, &outcome.relations) {
        let svg = super::models::components_plot(fit, features, tasks)?;
        outs.write(id, |w| w.write_all(svg.as_bytes()))?;
    }
    if let (Some(id), Some(rel)) = (plot_out, &outcome.relations) {
        let svg = super::plots::correlations(&rel.correlation(), tasks)?;
        outs.write(id, |w| w.write_all(svg.as_bytes()))?;
    }
    if let Some(id) = model_out {
        let json = ModelFile::from_fit(fit).to_json();
        outs.write(id, |w| w.write_all(json.as_bytes()))?;
    }
    super::commit(outs)?;
    let auto = fit.description().auto_weights.as_ref();
    let converged = outcome
        .relations
        .as_ref()
        .map_or(fit.converged(), RelationFit::converged)
        && auto.is_none_or(|w| w.converged);
    if let Some(w) = auto.filter(|w| !w.converged && fit.converged()) {
        errln!(
            "warning: learned task weights: still changing after {} alternations (they stop \
             when no task weight changes by more than 1e-6, relative)",
            w.alternations
        );
    }
    // the last W-step's own certificate (for learned relations `converged`
    // also needs the alternation)
    if !fit.certificate().is_satisfied() {
        errln!(
            "warning: not converged after {} epochs: {} (raise --max-iter or --tol){}",
            fit.n_iter(),
            fit.certificate(),
            super::common::scale_hint(&loaded, a.m.standardize)
        );
    }
    if let Some(rel) = outcome
        .relations
        .as_ref()
        .filter(|r| !r.alternation_converged() && fit.certificate().is_satisfied())
    {
        let o = rel.objectives();
        let last = o.len() - 1;
        let decrease = if last > 0 {
            (o[last - 1] - o[last]) / o[last].abs()
        } else {
            f64::NAN
        };
        errln!(
            "warning: learned relations: stopped after {} alternations (--max-outer) with a \
             relative objective decrease of {decrease:.1e} per alternation (> 1e-6); the task \
             covariance is close to singular, which slows the alternation down",
            o.len()
        );
    }
    if a.m.json {
        json_summary(&a, &outcome, &loaded)?;
    } else if !a.m.quiet {
        summary(&a, &outcome, &loaded)?;
    }
    Ok(if a.strict && !converged {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

impl SolveArgs {
    /// `--alpha` (or `--cluster-strength`), or `--alpha-ratio` times `alpha_max`.
    fn alpha_for(&self, alpha_max: f64) -> f64 {
        match (self.alpha.or(self.cluster_strength), self.alpha_ratio) {
            (Some(alpha), _) => alpha,
            (None, Some(r)) => r * alpha_max,
            (None, None) => unreachable!("clap requires --alpha or --alpha-ratio"),
        }
    }
}

/// The `--json` summary: what was fitted, the selection, the certificate,
/// R² per task and the files written.
fn json_summary(a: &SolveArgs, outcome: &Outcome, loaded: &Loaded) -> anyhow::Result<()> {
    let fit = &outcome.fit;
    let (features, tasks) = (loaded.features(), loaded.tasks());
    let sel = report::selected(fit.coef(), features);
    let (r2, r2_mean) = match &loaded.source {
        Source::Samples(inputs) => {
            let r2 = report::r2_per_task(fit, &inputs.data)?;
            (Some(report::per_task_json(tasks, &r2)), None)
        }
        Source::Stats(stats) => (None, Some(stats.score(fit)?)),
    };
    let outputs: Vec<String> = std::iter::once(&a.out)
        .chain(&a.model)
        .chain(&a.relations)
        .map(|p| p.display().to_string())
        .collect();
    let mut v = serde_json::json!({
        "command": "solve",
        "model": fit.description().kind,
        "penalty": a.m.penalty,
        "n_samples": fit.description().n_samples,
        "n_features": features.len(),
        "n_tasks": tasks.len(),
        "alpha": fit.alpha(),
        "alpha_max": fit.alpha_max(),
        "l1_ratio": fit.l1_ratio(),
        "selected": sel.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "seconds": fit.seconds(),
        "r2_train": r2,
        "r2_train_mean": r2_mean,
        "outputs": outputs,
    });
    if let (Some(obj), serde_json::Value::Object(cert)) =
        (v.as_object_mut(), report::certificate_json(fit))
    {
        obj.extend(cert);
        if let Some(rel) = &outcome.relations {
            obj.insert(
                "relation_alternations".into(),
                rel.objectives().len().into(),
            );
            obj.insert("relations_converged".into(), rel.converged().into());
        }
    }
    report::print_json(&v)?;
    Ok(())
}

fn summary(a: &SolveArgs, outcome: &Outcome, loaded: &Loaded) -> anyhow::Result<()> {
    let fit = &outcome.fit;
    let (features, tasks) = (loaded.features(), loaded.tasks());
    let mut out = std::io::stdout().lock();
    let (n, p, t) = (fit.description().n_samples, features.len(), tasks.len());
    let penalty = a.m.penalty_name();
    let mut model = match (fit.l1_ratio() == 1.0, penalty) {
        (true, "l21") => "multi-task Lasso".to_string(),
        (true, "l1") => "Lasso per task (L1)".to_string(),
        (true, name) => format!("{name} penalty"),
        (false, "l21") => format!("L21 elastic net, l1_ratio {}", fit.l1_ratio()),
        (false, "l1") => format!("L1 elastic net, l1_ratio {}", fit.l1_ratio()),
        (false, name) => format!("{name} penalty, l1_ratio {}", fit.l1_ratio()),
    };
    if a.rank.is_some() {
        model = super::models::rank_title(fit);
    }
    if a.pooled {
        model += ", pooled (one coefficient vector)";
    } else if a.m.chain {
        model += &format!(", chain graph, strength {}", a.m.graph_strength);
    } else if a.m.complete_graph() {
        model += &format!(
            ", complete graph (mean-regularised), strength {}",
            a.m.graph_strength
        );
    } else if let Some(g) = &a.m.graph {
        model += &format!(", graph {}, strength {}", g.display(), a.m.graph_strength);
    } else if let Some(l2) = a.relation_strength.filter(|_| a.learn_relations) {
        model += &format!(", learned task relations, strength {l2}");
    }
    writeln!(out, "mtreg solve: {model}")?;
    let design = match loaded.design() {
        Some(Design::Shared { .. }) => "",
        Some(Design::PerTask { .. }) => " (per-task designs)",
        None => " (sufficient statistics)",
    };
    writeln!(
        out,
        "  data       {} x {}, {}{design}",
        plural(n, "sample"),
        plural(p, "feature"),
        plural(t, "task")
    )?;
    if fit.alpha_max().is_finite() {
        writeln!(
            out,
            "  alpha      {:.6e} = {:.4} x alpha_max ({:.6e})",
            fit.alpha(),
            fit.alpha() / fit.alpha_max(),
            fit.alpha_max()
        )?;
    }
    // Selected features, strongest first (row norm of W).
    let sel = report::selected(fit.coef(), features);
    writeln!(out, "  selected   {}", report::selected_line(&sel, p))?;
    writeln!(
        out,
        "  {}  {} after {}{}, {:.3} s{}{}",
        if fit.converged() {
            "converged"
        } else {
            "STOPPED  "
        },
        fit.certificate(),
        plural(fit.n_iter(), "epoch"),
        match &outcome.relations {
            Some(rel) => format!(" in {}", plural(rel.n_outer(), "alternation")),
            None => String::new(),
        },
        fit.seconds(),
        if fit.used_gram() { " (Gram mode)" } else { "" },
        match fit.n_screened() {
            0 => String::new(),
            k => format!(", {k} rows screened out"),
        }
    )?;
    // learned relations: the MTRL objective after the last Sigma-step (the
    // W-step's, at the previous Sigma, is larger)
    let objective = match &outcome.relations {
        Some(rel) => rel.objectives().last().copied().unwrap_or(f64::NAN),
        None => fit.objective(),
    };
    writeln!(out, "  objective  {objective:.10e}")?;
    super::models::report(&mut out, fit, features, tasks)?;
    match &loaded.source {
        Source::Samples(inputs) => {
            let r2 = report::r2_per_task(fit, &inputs.data)?;
            writeln!(out, "  R^2 train  {}", report::per_task_line(tasks, &r2))?;
        }
        Source::Stats(stats) => {
            let r2 = stats.score(fit)?;
            writeln!(
                out,
                "  R^2 train  mean {r2:.4} (over {})",
                plural(t, "task")
            )?;
        }
    }
    if let Some(rel) = &outcome.relations {
        writeln!(
            out,
            "  relations  {}{}",
            plural(rel.n_outer(), "alternation"),
            if rel.alternation_converged() {
                ""
            } else {
                " (stopped at --max-outer)"
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
    for extra in a.model.iter().chain(&a.relations).chain(&a.components) {
        write!(out, ", {}", extra.display())?;
    }
    writeln!(out)?;
    Ok(())
}
