//! Flags shared by `solve`, `path` and `cv`: the data, the model family and the
//! solver settings, and the loading/validation they imply.

use super::data::{self, Design, Inputs};
use super::{InputFlags, UsageError};
use clap::Args;
use clap::builder::{PossibleValue, PossibleValuesParser};
use mtreg::estimator::{Family, penalties};
use mtreg::io::long::LongOptions;
use mtreg::penalty::TaskGraph;
use mtreg::solver::Monitor;
use mtreg::{Data, GraphMultiTask, RelationLearning, SufficientStats};
use std::path::PathBuf;

/// `--penalty`: the registered penalties, by name.
fn penalty_names() -> PossibleValuesParser {
    // clap keeps `&'static str`s; the few names live as long as the process
    let keep = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
    PossibleValuesParser::new(
        penalties::registered()
            .iter()
            .map(|f| PossibleValue::new(keep(f.name())).help(keep(f.about()))),
    )
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
    #[arg(long, value_parser = penalty_names(), default_value = "l21")]
    pub penalty: String,
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

/// What the data flags name: samples in memory, or their sufficient statistics.
pub enum Source {
    /// `--x/--y` or `--long`.
    Samples(Inputs),
    /// `--stats`.
    Stats(SufficientStats),
}

/// Everything loaded and validated from the shared flags.
pub struct Loaded {
    pub source: Source,
    pub weights: Option<Vec<f64>>,
    pub graph: Option<TaskGraph>,
}

impl Loaded {
    /// The library's view of the data: samples or statistics, with the task
    /// weights and the names.
    pub fn data(&self) -> Data<'_> {
        match &self.source {
            Source::Samples(inputs) => inputs
                .data
                .data()
                .maybe_task_weights(self.weights.as_deref())
                .names(inputs.features.clone(), inputs.tasks.clone()),
            Source::Stats(stats) => Data::stats(stats),
        }
    }

    /// Feature names.
    pub fn features(&self) -> &[String] {
        match &self.source {
            Source::Samples(inputs) => &inputs.features,
            Source::Stats(s) => s.feature_names(),
        }
    }

    /// Task names.
    pub fn tasks(&self) -> &[String] {
        match &self.source {
            Source::Samples(inputs) => &inputs.tasks,
            Source::Stats(s) => s.task_names(),
        }
    }

    /// The in-memory samples (none for `--stats`).
    pub fn design(&self) -> Option<&Design> {
        match &self.source {
            Source::Samples(inputs) => Some(&inputs.data),
            Source::Stats(_) => None,
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

    /// Reads the data (`--x/--y`, `--long`, or `--stats` where `stats_ok`),
    /// the task weights and the graph: the one place the data source is
    /// chosen.
    pub fn load(&self, stats_ok: bool) -> anyhow::Result<Loaded> {
        let opts = self.input.read_options();
        let source = match (&self.x, &self.y, &self.long, &self.stats) {
            (Some(x), Some(y), None, _) => Source::Samples(data::load_shared(x, y, &opts)?),
            (None, None, Some(long), _) => {
                let lo = LongOptions {
                    task_column: self.task_column.clone(),
                    target_column: self.target_column.clone(),
                    delimiter: self.input.delimiter,
                };
                Source::Samples(data::load_long(long, &lo)?)
            }
            (_, _, _, Some(dir)) if stats_ok => Source::Stats(mtreg::io::stats::read_stats(dir)?),
            (_, _, _, Some(_)) => {
                return Err(UsageError(
                    "--stats is supported by `mtreg solve` and `mtreg path` only (cross-validation needs the samples); use --x/--y or --long".into(),
                )
                .into());
            }
            _ => unreachable!("clap requires --x and --y, --long or --stats"),
        };
        if let Source::Samples(inputs) = &source {
            self.check_magnitudes(inputs)?;
        }
        let tasks = match &source {
            Source::Samples(inputs) => &inputs.tasks[..],
            Source::Stats(s) => s.task_names(),
        };
        let (weights, graph) = self.load_task_files(tasks)?;
        Ok(Loaded {
            source,
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
            (Design::Shared { x, y }, Some(xs), Some(ys), _) => {
                check_magnitude(x.as_ref(), Some(&inputs.features), &xs, centre)?;
                check_magnitude(y.as_ref(), Some(&inputs.tasks), &ys, centre)?;
            }
            (Design::PerTask { xs, ys }, _, _, Some(long)) => {
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

    /// The `--penalty` family.
    pub fn family(&self) -> Family {
        penalties::by_name(&self.penalty).expect("clap accepts registered penalties only")
    }

    /// The model these flags describe (alpha to be set by the caller).
    pub fn model(&self, graph: Option<&TaskGraph>, monitor: Option<Monitor>) -> GraphMultiTask {
        let mut model = GraphMultiTask::new(1.0)
            .l1_ratio(self.l1_ratio)
            .penalty(self.family())
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

    /// The learned-relations model these flags describe (alpha to be set by
    /// the caller).
    pub fn relations(&self, lambda2: f64, monitor: Option<Monitor>) -> RelationLearning {
        RelationLearning::new(1.0)
            .l1_ratio(self.l1_ratio)
            .penalty(self.family())
            .relation_strength(lambda2)
            .fit_intercept(!self.no_intercept)
            .tol(self.tol)
            .max_iter(self.max_iter)
            .monitor(monitor)
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
