//! `mtreg generate`: make_regression (or a structured multi-task problem) to CSV files.

use super::print::{outln, plural};
use clap::Args;
use mtreg::generate::{MakeRegression, StructuredTasks, TaskStructure};
use mtreg::io::csv::write_matrix;
use mtreg::io::{CsvWriter, Outputs};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of samples n.
    #[arg(long, default_value_t = 100)]
    n_samples: usize,
    /// Number of features p.
    #[arg(long, default_value_t = 100)]
    n_features: usize,
    /// Number of features with non-zero coefficients.
    #[arg(long, default_value_t = 10)]
    n_informative: usize,
    /// Number of targets (tasks) T.
    #[arg(long, default_value_t = 1)]
    n_targets: usize,
    /// Constant added to every target.
    #[arg(
        long,
        default_value_t = 0.0,
        allow_hyphen_values = true,
        conflicts_with = "structure"
    )]
    bias: f64,
    /// Standard deviation of the Gaussian noise added to Y.
    #[arg(long, default_value_t = 0.0)]
    noise: f64,
    /// Approximate rank of X (low-rank design with a singular-value profile).
    #[arg(long, conflicts_with = "structure")]
    effective_rank: Option<usize>,
    /// Weight of the slowly decaying tail of the singular values (with
    /// --effective-rank) [default: 0.5].
    #[arg(long, requires = "effective_rank")]
    tail_strength: Option<f64>,
    /// Keep informative features first and samples in generation order.
    #[arg(long, conflicts_with = "structure")]
    no_shuffle: bool,
    /// Random seed (same seed, same data on every platform).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Structured multi-task problem instead of make_regression: `chain`
    /// (coefficients smooth along tasks t -- t+1), `clusters` (groups of
    /// similar tasks), `low-rank` (the support rows of W have rank --rank) or
    /// `outlier-tasks` (shared support plus --n-outliers tasks with dense extra
    /// coefficients). Writes DIR/long.csv (per-task designs), DIR/edges.csv (the
    /// true task graph) and DIR/coef.csv; with --shared-design also X.csv, Y.csv;
    /// with outlier tasks or --task-noise also DIR/tasks.csv (task,noise,outlier).
    #[arg(long, value_enum)]
    structure: Option<StructureArg>,
    /// Samples per task for --structure, comma-separated (e.g. 50,80,120); the
    /// number of values is the number of tasks. Default: --n-samples for each of
    /// --n-targets tasks.
    #[arg(long, value_delimiter = ',', requires = "structure")]
    samples_per_task: Vec<usize>,
    /// --structure chain: step between neighbouring tasks (relative scale)
    /// [default: 0.3].
    #[arg(long, requires = "structure")]
    smoothness: Option<f64>,
    /// --structure clusters: number of groups (task t is in group t mod K)
    /// [default: 2].
    #[arg(long, requires = "structure")]
    n_clusters: Option<usize>,
    /// --structure clusters: spread within a group, relative to the centres
    /// [default: 0.1].
    #[arg(long, requires = "structure")]
    within: Option<f64>,
    /// --structure low-rank: rank of W [default: 2].
    #[arg(long, requires = "structure")]
    rank: Option<usize>,
    /// --structure outlier-tasks: number of outlier tasks [default: 1].
    #[arg(long, requires = "structure")]
    n_outliers: Option<usize>,
    /// --structure outlier-tasks: size of the outlier coefficients relative to
    /// the shared ones [default: 1].
    #[arg(long, requires = "structure")]
    outlier_scale: Option<f64>,
    /// --structure: noise standard deviation of each task, comma-separated
    /// (tasks of unequal noise; instead of --noise).
    #[arg(
        long,
        value_delimiter = ',',
        requires = "structure",
        conflicts_with = "noise"
    )]
    task_noise: Vec<f64>,
    /// --structure: one design shared by all tasks (equal samples per task).
    #[arg(long, requires = "structure")]
    shared_design: bool,
    /// Output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Overwrite existing output files.
    #[arg(long)]
    force: bool,
    /// Print nothing but errors and warnings.
    #[arg(long, short)]
    quiet: bool,
}

/// `--structure` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StructureArg {
    /// Coefficients drift smoothly from task to task.
    Chain,
    /// Tasks form groups with similar coefficients.
    Clusters,
    /// The tasks share a low-dimensional subspace (W of rank --rank).
    LowRank,
    /// A shared support plus a few outlier tasks.
    OutlierTasks,
}

pub fn run(a: GenerateArgs) -> anyhow::Result<ExitCode> {
    if let Some(structure) = a.structure {
        return structured(&a, structure);
    }
    // Every output is checked before any work, and written as one unit.
    let mut outs = Outputs::new(a.force, &[] as &[&std::path::Path]);
    let ids = ["X.csv", "Y.csv", "coef.csv"].map(|f| outs.file(a.out.join(f)));
    let [x_out, y_out, coef_out] = ids;
    let ids = [x_out?, y_out?, coef_out?];
    let data = MakeRegression::new()
        .n_samples(a.n_samples)
        .n_features(a.n_features)
        .n_informative(a.n_informative)
        .n_targets(a.n_targets)
        .bias(a.bias)
        .noise(a.noise)
        .effective_rank(a.effective_rank)
        .tail_strength(a.tail_strength.unwrap_or(0.5))
        .shuffle(!a.no_shuffle)
        .seed(a.seed)
        .generate()?;
    let features: Vec<String> = (0..a.n_features).map(|j| format!("x{j}")).collect();
    let tasks: Vec<String> = (0..a.n_targets).map(|t| format!("y{t}")).collect();
    let files = [
        (&data.x, &features, None),
        (&data.y, &tasks, None),
        (&data.coef, &tasks, Some(("feature", features.as_slice()))),
    ];
    for (id, (m, header, rows)) in ids.into_iter().zip(files) {
        outs.write(id, |w| write_matrix(w, Some(header), rows, m.as_ref()))?;
    }
    super::commit(outs)?;
    if !a.quiet {
        outln!(
            "wrote {}/{{X,Y,coef}}.csv: {}, {}, {}",
            a.out.display(),
            plural(a.n_samples, "sample"),
            plural(a.n_features, "feature"),
            plural(a.n_targets, "target")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses a `--structure` parameter given with another structure (each
/// flag names the one it belongs to).
fn check_structure_flags(a: &GenerateArgs, structure: StructureArg) -> anyhow::Result<()> {
    use StructureArg::{Chain, Clusters, LowRank, OutlierTasks};
    let flags = [
        ("--smoothness", a.smoothness.is_some(), Chain, "chain"),
        ("--n-clusters", a.n_clusters.is_some(), Clusters, "clusters"),
        ("--within", a.within.is_some(), Clusters, "clusters"),
        ("--rank", a.rank.is_some(), LowRank, "low-rank"),
        (
            "--n-outliers",
            a.n_outliers.is_some(),
            OutlierTasks,
            "outlier-tasks",
        ),
        (
            "--outlier-scale",
            a.outlier_scale.is_some(),
            OutlierTasks,
            "outlier-tasks",
        ),
    ];
    for (flag, given, wanted, name) in flags {
        if given && structure != wanted {
            return Err(super::UsageError(format!(
                "{flag} needs --structure {name} (it has no effect on another structure)"
            ))
            .into());
        }
    }
    Ok(())
}

fn structured(a: &GenerateArgs, structure: StructureArg) -> anyhow::Result<ExitCode> {
    check_structure_flags(a, structure)?;
    // Every output is checked before any work, and written as one unit.
    let mut outs = Outputs::new(a.force, &[] as &[&std::path::Path]);
    let long_out = outs.file(a.out.join("long.csv"))?;
    let edges_out = outs.file(a.out.join("edges.csv"))?;
    let coef_out = outs.file(a.out.join("coef.csv"))?;
    let tasks_out = (structure == StructureArg::OutlierTasks || !a.task_noise.is_empty())
        .then(|| outs.file(a.out.join("tasks.csv")))
        .transpose()?;
    let shared_outs = if a.shared_design {
        Some((
            outs.file(a.out.join("X.csv"))?,
            outs.file(a.out.join("Y.csv"))?,
        ))
    } else {
        None
    };
    let sizes = if a.samples_per_task.is_empty() {
        vec![a.n_samples; a.n_targets]
    } else {
        a.samples_per_task.clone()
    };
    let d = StructuredTasks::new(sizes.clone(), a.n_features)
        .n_informative(a.n_informative)
        .structure(match structure {
            StructureArg::Chain => TaskStructure::Chain {
                smoothness: a.smoothness.unwrap_or(0.3),
            },
            StructureArg::Clusters => TaskStructure::Clusters {
                n_clusters: a.n_clusters.unwrap_or(2),
                within: a.within.unwrap_or(0.1),
            },
            StructureArg::LowRank => TaskStructure::LowRank {
                rank: a.rank.unwrap_or(2),
            },
            StructureArg::OutlierTasks => TaskStructure::OutlierTasks {
                n_outliers: a.n_outliers.unwrap_or(1),
                scale: a.outlier_scale.unwrap_or(1.0),
            },
        })
        .noise(a.noise)
        .shared_design(a.shared_design)
        .seed(a.seed);
    let d = if a.task_noise.is_empty() {
        d
    } else {
        d.task_noise(a.task_noise.clone())
    }
    .generate()?;
    let features: Vec<String> = (0..a.n_features).map(|j| format!("x{j}")).collect();
    let tasks: Vec<String> = (0..sizes.len()).map(|t| format!("t{t}")).collect();
    outs.write(long_out, |w| {
        let mut csv = CsvWriter::new(w);
        csv.text("task").text("y");
        csv.record(&features)?;
        for (t, (x, y)) in d.xs.iter().zip(&d.ys).enumerate() {
            for (i, &yi) in y.iter().enumerate() {
                csv.text(&tasks[t]).number(yi);
                for j in 0..x.ncols() {
                    csv.number(x[(i, j)]);
                }
                csv.end_record()?;
            }
        }
        csv.finish()
    })?;
    outs.write(edges_out, |w| {
        let mut csv = CsvWriter::new(w);
        csv.record(["source", "target", "weight"])?;
        for &(s, t, wt) in d.graph.edges() {
            csv.text(&tasks[s]).text(&tasks[t]).number(wt);
            csv.end_record()?;
        }
        csv.finish()
    })?;
    outs.write(coef_out, |w| {
        write_matrix(
            w,
            Some(&tasks),
            Some(("feature", &features)),
            d.coef.as_ref(),
        )
    })?;
    if let Some(id) = tasks_out {
        outs.write(id, |w| {
            let mut csv = CsvWriter::new(w);
            csv.record(["task", "noise", "outlier"])?;
            for (t, name) in tasks.iter().enumerate() {
                let outlier = if d.outliers.contains(&t) {
                    "true"
                } else {
                    "false"
                };
                csv.text(name).number(d.noise[t]).text(outlier);
                csv.end_record()?;
            }
            csv.finish()
        })?;
    }
    if let Some((x_out, y_out)) = shared_outs {
        let y = faer::Mat::from_fn(sizes[0], sizes.len(), |i, t| d.ys[t][i]);
        outs.write(x_out, |w| {
            write_matrix(w, Some(&features), None, d.xs[0].as_ref())
        })?;
        outs.write(y_out, |w| write_matrix(w, Some(&tasks), None, y.as_ref()))?;
    }
    super::commit(outs)?;
    if !a.quiet {
        outln!(
            "wrote {}/{{long,edges,coef}}.csv{}: {} ({}), {}",
            a.out.display(),
            if a.shared_design {
                " and X.csv, Y.csv"
            } else {
                ""
            },
            plural(sizes.len(), "task"),
            plural(sizes.iter().sum::<usize>(), "sample"),
            plural(a.n_features, "feature")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
