//! `mtreg generate`: make_regression (or a structured multi-task problem) to CSV files.

use anyhow::Context;
use clap::Args;
use mtreg::generate::{MakeRegression, StructuredTasks, TaskStructure};
use mtreg::io::atomic::write_atomic;
use mtreg::io::csv::write_matrix;
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
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    bias: f64,
    /// Standard deviation of the Gaussian noise added to Y.
    #[arg(long, default_value_t = 0.0)]
    noise: f64,
    /// Approximate rank of X (low-rank design with a singular-value profile).
    #[arg(long)]
    effective_rank: Option<usize>,
    /// Weight of the slowly decaying tail of the singular values (with --effective-rank).
    #[arg(long, default_value_t = 0.5)]
    tail_strength: f64,
    /// Keep informative features first and samples in generation order.
    #[arg(long)]
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
    #[arg(long, value_delimiter = ',')]
    samples_per_task: Vec<usize>,
    /// --structure chain: step between neighbouring tasks (relative scale).
    #[arg(long, default_value_t = 0.3)]
    smoothness: f64,
    /// --structure clusters: number of groups (task t is in group t mod K).
    #[arg(long, default_value_t = 2)]
    n_clusters: usize,
    /// --structure clusters: spread within a group, relative to the centres.
    #[arg(long, default_value_t = 0.1)]
    within: f64,
    /// --structure low-rank: rank of W.
    #[arg(long, default_value_t = 2)]
    rank: usize,
    /// --structure outlier-tasks: number of outlier tasks.
    #[arg(long, default_value_t = 1)]
    n_outliers: usize,
    /// --structure outlier-tasks: size of the outlier coefficients relative to
    /// the shared ones.
    #[arg(long, default_value_t = 1.0)]
    outlier_scale: f64,
    /// --structure: noise standard deviation of each task, comma-separated
    /// (tasks of unequal noise; overrides --noise).
    #[arg(long, value_delimiter = ',')]
    task_noise: Vec<f64>,
    /// --structure: one design shared by all tasks (equal samples per task).
    #[arg(long)]
    shared_design: bool,
    /// Output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Overwrite existing output files.
    #[arg(long)]
    force: bool,
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
    let data = MakeRegression::new()
        .n_samples(a.n_samples)
        .n_features(a.n_features)
        .n_informative(a.n_informative)
        .n_targets(a.n_targets)
        .bias(a.bias)
        .noise(a.noise)
        .effective_rank(a.effective_rank)
        .tail_strength(a.tail_strength)
        .shuffle(!a.no_shuffle)
        .seed(a.seed)
        .generate()?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("creating directory {}", a.out.display()))?;
    let features: Vec<String> = (0..a.n_features).map(|j| format!("x{j}")).collect();
    let tasks: Vec<String> = (0..a.n_targets).map(|t| format!("y{t}")).collect();
    let files = [
        ("X.csv", &data.x, &features, None),
        ("Y.csv", &data.y, &tasks, None),
        (
            "coef.csv",
            &data.coef,
            &tasks,
            Some(("feature", features.as_slice())),
        ),
    ];
    for (name, m, header, rows) in files {
        let path = a.out.join(name);
        write_atomic(&path, a.force, |w| {
            write_matrix(w, Some(header), rows, m.as_ref())
        })?;
    }
    eprintln!(
        "wrote {}/{{X,Y,coef}}.csv: {} samples x {} features, {} targets",
        a.out.display(),
        a.n_samples,
        a.n_features,
        a.n_targets
    );
    Ok(ExitCode::SUCCESS)
}

fn structured(a: &GenerateArgs, structure: StructureArg) -> anyhow::Result<ExitCode> {
    let sizes = if a.samples_per_task.is_empty() {
        vec![a.n_samples; a.n_targets]
    } else {
        a.samples_per_task.clone()
    };
    let d = StructuredTasks::new(sizes.clone(), a.n_features)
        .n_informative(a.n_informative)
        .structure(match structure {
            StructureArg::Chain => TaskStructure::Chain {
                smoothness: a.smoothness,
            },
            StructureArg::Clusters => TaskStructure::Clusters {
                n_clusters: a.n_clusters,
                within: a.within,
            },
            StructureArg::LowRank => TaskStructure::LowRank { rank: a.rank },
            StructureArg::OutlierTasks => TaskStructure::OutlierTasks {
                n_outliers: a.n_outliers,
                scale: a.outlier_scale,
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
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("creating directory {}", a.out.display()))?;
    let features: Vec<String> = (0..a.n_features).map(|j| format!("x{j}")).collect();
    let tasks: Vec<String> = (0..sizes.len()).map(|t| format!("t{t}")).collect();
    write_atomic(&a.out.join("long.csv"), a.force, |w| {
        write!(w, "task,y")?;
        for f in &features {
            write!(w, ",{f}")?;
        }
        writeln!(w)?;
        for (t, (x, y)) in d.xs.iter().zip(&d.ys).enumerate() {
            for (i, yi) in y.iter().enumerate() {
                write!(w, "{},{yi}", tasks[t])?;
                for j in 0..x.ncols() {
                    write!(w, ",{}", x[(i, j)])?;
                }
                writeln!(w)?;
            }
        }
        Ok(())
    })?;
    write_atomic(&a.out.join("edges.csv"), a.force, |w| {
        writeln!(w, "source,target,weight")?;
        for &(s, t, wt) in d.graph.edges() {
            writeln!(w, "{},{},{wt}", tasks[s], tasks[t])?;
        }
        Ok(())
    })?;
    write_atomic(&a.out.join("coef.csv"), a.force, |w| {
        write_matrix(
            w,
            Some(&tasks),
            Some(("feature", &features)),
            d.coef.as_ref(),
        )
    })?;
    if structure == StructureArg::OutlierTasks || !a.task_noise.is_empty() {
        write_atomic(&a.out.join("tasks.csv"), a.force, |w| {
            writeln!(w, "task,noise,outlier")?;
            for (t, name) in tasks.iter().enumerate() {
                writeln!(w, "{name},{},{}", d.noise[t], d.outliers.contains(&t))?;
            }
            Ok(())
        })?;
    }
    if a.shared_design {
        let y = faer::Mat::from_fn(sizes[0], sizes.len(), |i, t| d.ys[t][i]);
        write_atomic(&a.out.join("X.csv"), a.force, |w| {
            write_matrix(w, Some(&features), None, d.xs[0].as_ref())
        })?;
        write_atomic(&a.out.join("Y.csv"), a.force, |w| {
            write_matrix(w, Some(&tasks), None, y.as_ref())
        })?;
    }
    eprintln!(
        "wrote {}/{{long,edges,coef}}.csv{}: {} tasks ({} samples), {} features",
        a.out.display(),
        if a.shared_design {
            " and X.csv, Y.csv"
        } else {
            ""
        },
        sizes.len(),
        sizes.iter().sum::<usize>(),
        a.n_features
    );
    Ok(ExitCode::SUCCESS)
}
