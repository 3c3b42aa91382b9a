//! Flags shared by `solve`, `path` and `cv`: the data, the model family and the
//! solver settings, and the loading/validation they imply.

use super::data::{self, Inputs};
use super::{InputFlags, UsageError};
use clap::Args;
use mtreg::GraphMultiTask;
use mtreg::io::long::LongOptions;
use mtreg::penalty::{Sparsity, TaskGraph};
use mtreg::solver::Monitor;
use std::path::{Path, PathBuf};

/// `--penalty`: which sparsity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PenaltyArg {
    /// Row-group L21: tasks share their support.
    L21,
    /// Entrywise L1: each task has its own support.
    L1,
}

impl PenaltyArg {
    pub fn sparsity(self) -> Sparsity {
        match self {
            PenaltyArg::L21 => Sparsity::Group,
            PenaltyArg::L1 => Sparsity::Entrywise,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PenaltyArg::L21 => "l21",
            PenaltyArg::L1 => "l1",
        }
    }
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("data").required(true).args(["x", "long", "stats"]))]
pub struct ModelArgs {
    /// Design matrix X: n rows, p feature columns (shared by all tasks).
    #[arg(long, requires = "y")]
    pub x: Option<PathBuf>,
    /// Targets Y: n rows, T task columns.
    #[arg(long, requires = "x")]
    pub y: Option<PathBuf>,
    /// Per-task designs in one CSV: one row per sample, a task column, a target
    /// column, the other columns are features (instead of --x/--y).
    #[arg(long, conflicts_with_all = ["x", "y"])]
    pub long: Option<PathBuf>,
    /// Sufficient statistics written by `mtreg stats` (or raw sums, see
    /// docs/scale.md) instead of --x/--y; `solve` only.
    #[arg(long, conflicts_with_all = ["x", "y", "long", "task_weights"])]
    pub stats: Option<PathBuf>,
    /// Column of --long naming the task of each row.
    #[arg(long, default_value = "task")]
    pub task_column: String,
    /// Column of --long holding the target.
    #[arg(long, default_value = "y")]
    pub target_column: String,
    /// Sparsity share of the penalty, in (0, 1]; the rest is ridge. 1 is the
    /// (multi-task) Lasso.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub l1_ratio: f64,
    /// Sparsity: l21 (tasks share their support) or l1 (per-task supports).
    #[arg(long, value_enum, default_value = "l21")]
    pub penalty: PenaltyArg,
    /// Task graph: CSV with header source,target,weight (task names or 0-based
    /// indices); adds lambda/2 * sum of weight * ||w_s - w_t||^2.
    #[arg(long, conflicts_with = "chain")]
    pub graph: Option<PathBuf>,
    /// Task graph t -- t+1 with weight 1 (tasks ordered in time).
    #[arg(long)]
    pub chain: bool,
    /// lambda, the strength of the graph term (with --graph or --chain).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub graph_strength: f64,
    /// Task weights: CSV with header task,weight (names or 0-based indices);
    /// unlisted tasks keep weight 1.
    #[arg(long)]
    pub task_weights: Option<PathBuf>,
    /// Do not fit intercepts (do not centre the data).
    #[arg(long)]
    pub no_intercept: bool,
    /// Standardise the columns of X (coefficients reported on the original scale).
    #[arg(long)]
    pub standardize: bool,
    /// Relative tolerance: duality gap <= tol * ||Y||^2 / n (scikit-learn's tol);
    /// for coupled models the KKT residual <= tol * l1_ratio * alpha_max.
    #[arg(long, default_value_t = 1e-4, allow_negative_numbers = true)]
    pub tol: f64,
    /// Maximum number of epochs (per fit).
    #[arg(long, default_value_t = 1000)]
    pub max_iter: usize,
    /// Overwrite existing output files.
    #[arg(long)]
    pub force: bool,
    /// Print nothing but errors and warnings.
    #[arg(long, short)]
    pub quiet: bool,
    /// Log the certificate at every check to stderr.
    #[arg(long, short)]
    pub verbose: bool,
    #[command(flatten)]
    pub input: InputFlags,
}

/// Everything loaded and validated from the shared flags.
pub struct Loaded {
    pub inputs: Inputs,
    pub weights: Option<Vec<f64>>,
    pub graph: Option<TaskGraph>,
}

impl Loaded {
    /// Calls `shared` for a shared design without task weights, else `tasks`
    /// with per-task views (a shared X repeated, Y split by column).
    pub fn dispatch<R>(
        &self,
        shared: impl FnOnce(&faer::Mat<f64>, &faer::Mat<f64>) -> R,
        tasks: impl FnOnce(&[faer::MatRef<'_, f64>], &[&[f64]], Option<&[f64]>) -> R,
    ) -> R {
        match (&self.inputs.data, &self.weights) {
            (data::Data::Shared { x, y }, None) => shared(x, y),
            _ => {
                let (views, cols) = self.inputs.data.task_views();
                let ys: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
                tasks(&views, &ys, self.weights.as_deref())
            }
        }
    }
}

impl ModelArgs {
    /// The input files (never to be written over), the files of a `--stats`
    /// directory included.
    pub fn input_files(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = [
            &self.x,
            &self.y,
            &self.long,
            &self.graph,
            &self.task_weights,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
        if let Some(dir) = &self.stats {
            v.extend(mtreg::io::stats::stats_files(dir));
        }
        v.dedup();
        v
    }

    /// An output group for these flags: never writes over the inputs,
    /// replaces existing outputs only with `--force`.
    pub fn outputs(&self) -> mtreg::io::Outputs {
        mtreg::io::Outputs::new(self.force, &self.input_files())
    }

    /// Reads the `--stats` directory `dir` and the task graph named for its
    /// tasks.
    pub fn load_stats(
        &self,
        dir: &Path,
    ) -> anyhow::Result<(mtreg::SufficientStats, Option<TaskGraph>)> {
        let stats = mtreg::io::stats::read_stats(dir)?;
        let (_, graph) = self.load_task_files(stats.task_names())?;
        Ok((stats, graph))
    }

    /// Reads the data, the task weights and the graph.
    pub fn load(&self) -> anyhow::Result<Loaded> {
        let opts = self.input.read_options();
        let inputs = match (&self.x, &self.y, &self.long) {
            (Some(x), Some(y), None) => data::load_shared(x, y, &opts)?,
            (None, None, Some(long)) => {
                let lo = LongOptions {
                    task_column: self.task_column.clone(),
                    target_column: self.target_column.clone(),
                    delimiter: self.input.delimiter,
                };
                data::load_long(long, &lo)?
            }
            _ if self.stats.is_some() => {
                return Err(UsageError(
                    "--stats is supported by `mtreg solve` and `mtreg path` only (cross-validation needs the samples); use --x/--y or --long".into(),
                )
                .into());
            }
            _ => unreachable!("clap requires --x and --y, or --long"),
        };
        self.check_magnitudes(&inputs)?;
        let (weights, graph) = self.load_task_files(&inputs.tasks)?;
        Ok(Loaded {
            inputs,
            weights,
            graph,
        })
    }

    /// Refuses data whose squares overflow (the fit would), naming the file
    /// and the range of its values (`mtreg::io::summary`).
    fn check_magnitudes(&self, inputs: &Inputs) -> anyhow::Result<()> {
        use mtreg::io::summary::check_magnitude;
        let centre = !self.no_intercept;
        let shown = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        match (
            &inputs.data,
            shown(&self.x),
            shown(&self.y),
            shown(&self.long),
        ) {
            (data::Data::Shared { x, y }, Some(xs), Some(ys), _) => {
                check_magnitude(x.as_ref(), Some(&inputs.features), &xs, centre)?;
                check_magnitude(y.as_ref(), Some(&inputs.tasks), &ys, centre)?;
            }
            (data::Data::PerTask { xs, ys }, _, _, Some(long)) => {
                let target = [self.target_column.clone()];
                for (x, y) in xs.iter().zip(ys) {
                    check_magnitude(x.as_ref(), Some(&inputs.features), &long, centre)?;
                    let y = faer::ColRef::from_slice(y);
                    check_magnitude(y.as_mat(), Some(&target), &long, centre)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Reads the task weights and the task graph, for tasks named `tasks`.
    pub fn load_task_files(
        &self,
        tasks: &[String],
    ) -> anyhow::Result<(Option<Vec<f64>>, Option<TaskGraph>)> {
        let weights = match &self.task_weights {
            Some(p) => Some(data::read_task_weights(p, tasks, self.input.delimiter)?),
            None => None,
        };
        let t = tasks.len();
        let graph = match (&self.graph, self.chain) {
            (Some(p), _) => Some(TaskGraph::from_edges(
                t,
                &data::read_edges(p, tasks, self.input.delimiter)?,
            )?),
            (None, true) => Some(TaskGraph::chain(t)),
            (None, false) => None,
        };
        Ok((weights, graph))
    }

    /// The model these flags describe (alpha to be set by the caller).
    pub fn model(&self, graph: Option<&TaskGraph>, monitor: Option<Monitor>) -> GraphMultiTask {
        let mut model = GraphMultiTask::new(1.0)
            .l1_ratio(self.l1_ratio)
            .penalty(self.penalty.sparsity())
            .graph_strength(if graph.is_some() {
                self.graph_strength
            } else {
                0.0
            })
            .fit_intercept(!self.no_intercept)
            .standardize(self.standardize)
            .tol(self.tol)
            .max_iter(self.max_iter)
            .monitor(monitor);
        if let Some(g) = graph {
            model = model.graph(g.clone());
        }
        model
    }
}

/// Writes Σ and the task correlations of learned relations as CSV
/// (`task_a,task_b,sigma,correlation`, one row per ordered pair).
pub fn write_relations(
    w: &mut dyn std::io::Write,
    tasks: &[String],
    rel: &mtreg::RelationFit,
) -> std::io::Result<()> {
    let (sigma, corr) = (rel.sigma(), rel.correlation());
    let mut csv = mtreg::io::CsvWriter::new(w);
    csv.record(["task_a", "task_b", "sigma", "correlation"])?;
    for (i, a) in tasks.iter().enumerate() {
        for (j, b) in tasks.iter().enumerate() {
            csv.text(a)
                .text(b)
                .number(sigma[(i, j)])
                .number(corr[(i, j)]);
            csv.end_record()?;
        }
    }
    csv.finish()
}
