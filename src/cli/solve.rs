//! `mtreg solve`: fit a multi-task elastic net to CSV files.

use super::{InputFlags, UsageError};
use anyhow::Context;
use clap::Args;
use mtreg::io::atomic::{check_not_input, write_atomic};
use mtreg::io::csv::{Table, read_matrix, write_matrix};
use mtreg::io::model::{FitSettings, ModelFile};
use mtreg::{Fit, MultiTaskElasticNet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("strength").required(true).args(["alpha", "alpha_ratio"]))]
pub struct SolveArgs {
    /// Design matrix X: n rows, p feature columns.
    #[arg(long)]
    x: PathBuf,
    /// Targets Y: n rows, T task columns.
    #[arg(long)]
    y: PathBuf,
    /// Regularisation strength alpha (> 0).
    #[arg(long, allow_negative_numbers = true)]
    alpha: Option<f64>,
    /// alpha as a fraction of alpha_max (the smallest alpha giving W = 0).
    #[arg(long, allow_negative_numbers = true)]
    alpha_ratio: Option<f64>,
    /// L21 share of the penalty, in (0, 1]; 1 is the multi-task Lasso.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    l1_ratio: f64,
    /// Do not fit intercepts (do not centre the data).
    #[arg(long)]
    no_intercept: bool,
    /// Standardise the columns of X (coefficients reported on the original scale).
    #[arg(long)]
    standardize: bool,
    /// Stop when the duality gap is <= tol * ||Y||^2 / n (scikit-learn's tol).
    #[arg(long, default_value_t = 1e-4, allow_negative_numbers = true)]
    tol: f64,
    /// Maximum number of epochs.
    #[arg(long, default_value_t = 1000)]
    max_iter: usize,
    /// Coefficients output (COEF.csv: feature,<task names>).
    #[arg(long)]
    out: PathBuf,
    /// Also write the model (parameters, certificate, names) as JSON.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Overwrite existing output files.
    #[arg(long)]
    force: bool,
    /// Exit with code 3 if the solver stops on --max-iter before meeting --tol.
    #[arg(long)]
    strict: bool,
    /// Print nothing but errors and warnings.
    #[arg(long, short)]
    quiet: bool,
    /// Log the certificate at every check to stderr.
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    input: InputFlags,
}

fn names(table: &Table, prefix: &str) -> Vec<String> {
    match &table.names {
        Some(n) => n.clone(),
        None => (0..table.data.ncols())
            .map(|j| format!("{prefix}{j}"))
            .collect(),
    }
}

pub fn run(a: SolveArgs) -> anyhow::Result<ExitCode> {
    let inputs: [&Path; 2] = [&a.x, &a.y];
    check_not_input(&a.out, &inputs)?;
    if let Some(m) = &a.model {
        check_not_input(m, &inputs)?;
        if m == &a.out {
            return Err(UsageError("--out and --model name the same file".into()).into());
        }
    }
    let opts = a.input.read_options();
    let xt = read_matrix(&a.x, &opts)?;
    let yt = read_matrix(&a.y, &opts)?;
    if xt.data.nrows() != yt.data.nrows() {
        return Err(UsageError(format!(
            "{} has {} data rows but {} has {}: X and Y must have one row per sample",
            a.x.display(),
            xt.data.nrows(),
            a.y.display(),
            yt.data.nrows()
        ))
        .into());
    }
    for out in std::iter::once(&a.out).chain(a.model.as_ref()) {
        super::ensure_parent(out)?;
    }
    let features = names(&xt, "x");
    let tasks = names(&yt, "y");

    let bar = super::progress::bar(a.max_iter, a.quiet);
    let base = MultiTaskElasticNet::new(1.0)
        .l1_ratio(a.l1_ratio)
        .fit_intercept(!a.no_intercept)
        .standardize(a.standardize)
        .tol(a.tol)
        .max_iter(a.max_iter)
        .monitor(Some(super::progress::monitor(bar.clone(), a.verbose)));
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
            r * base.alpha_max_of(&xt.data, &yt.data)?
        }
        (None, None) => unreachable!("clap requires --alpha or --alpha-ratio"),
    };
    let fit = base.alpha(alpha).fit(&xt.data, &yt.data)?;

    if a.verbose {
        for (epoch, value) in fit.trace() {
            eprintln!(
                "check after {epoch:>6} epochs: {} {value:.3e}",
                fit.certificate().kind()
            );
        }
    }
    write_atomic(&a.out, a.force, |w| {
        write_matrix(w, Some(&tasks), Some(("feature", &features)), fit.coef())
    })
    .with_context(|| format!("writing {}", a.out.display()))?;
    if let Some(path) = &a.model {
        let settings = FitSettings {
            fit_intercept: !a.no_intercept,
            standardize: a.standardize,
            tol: a.tol,
            max_iter: a.max_iter,
            n_samples: xt.data.nrows(),
        };
        let json = ModelFile::from_fit(&fit, features.clone(), tasks.clone(), settings).to_json();
        write_atomic(path, a.force, |w| w.write_all(json.as_bytes()))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if !fit.converged() {
        eprintln!(
            "warning: not converged after {} epochs: {} (raise --max-iter or --tol)",
            fit.n_iter(),
            fit.certificate()
        );
    }
    if !a.quiet {
        summary(&a, &fit, &features, &tasks, &xt, &yt)?;
    }
    Ok(if a.strict && !fit.converged() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn summary(
    a: &SolveArgs,
    fit: &Fit,
    features: &[String],
    tasks: &[String],
    xt: &Table,
    yt: &Table,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let (n, p, t) = (xt.data.nrows(), xt.data.ncols(), yt.data.ncols());
    let model = if fit.l1_ratio() == 1.0 {
        "multi-task Lasso".to_string()
    } else {
        format!("multi-task elastic net, l1_ratio {}", fit.l1_ratio())
    };
    writeln!(out, "mtreg solve: {model}")?;
    writeln!(out, "  data       {n} samples x {p} features, {t} tasks")?;
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
        "  {}  {} after {} epochs, {:.3} s{}",
        if fit.converged() {
            "converged"
        } else {
            "STOPPED  "
        },
        fit.certificate(),
        fit.n_iter(),
        fit.seconds(),
        if fit.used_gram() { " (Gram mode)" } else { "" }
    )?;
    writeln!(out, "  objective  {:.10e}", fit.objective())?;
    let r2 = fit.score(&xt.data, &yt.data)?;
    let task_list = if t <= 6 {
        tasks.join(", ")
    } else {
        format!("{}, ..., {}", tasks[..3].join(", "), tasks[t - 1])
    };
    writeln!(
        out,
        "  R^2 train  {r2:.4} (mean over {t} tasks: {task_list})"
    )?;
    write!(out, "  wrote      {}", a.out.display())?;
    if let Some(m) = &a.model {
        write!(out, ", {}", m.display())?;
    }
    writeln!(out)?;
    Ok(())
}
