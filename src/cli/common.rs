//! Flags shared by `solve`, `path` and `cv`: the data, the model family and the
//! solver settings, and the loading/validation they imply.

use super::data::{self, Design, Inputs};
use super::{InputFlags, UsageError};
use clap::Args;
use clap::builder::{PossibleValue, PossibleValuesParser};
use mtreg::estimator::Family;
use mtreg::estimator::penalties::{self, Clustered, OutlierTasks, SharedSpecific};
use mtreg::io::long::LongOptions;
use mtreg::penalty::GroupNorm;
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
#[command(group = clap::ArgGroup::new("source").required(true).args(["x", "long", "stats", "data"]))]
#[command(group = clap::ArgGroup::new("task_graph").args(["graph", "chain"]))]
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
    /// One CSV with a header holding the features and the --targets columns
    /// (instead of --x/--y).
    #[arg(long, requires = "targets", conflicts_with_all = ["x", "y", "long"])]
    pub data: Option<PathBuf>,
    /// With --data: the target (task) columns, comma-separated; the other
    /// columns are the features.
    #[arg(long, value_delimiter = ',', requires = "data")]
    pub targets: Vec<String>,
    /// Sufficient statistics written by `mtreg stats` (or raw sums, see
    /// docs/scale.md) instead of --x/--y; `solve` and `path` (not `cv`).
    #[arg(long, conflicts_with_all = ["x", "y", "long", "data", "task_weights", "sample_weights"])]
    pub stats: Option<PathBuf>,
    /// Column of --long naming the task of each row [default: task].
    #[arg(long)]
    pub task_column: Option<String>,
    /// Column of --long holding the target [default: y].
    #[arg(long)]
    pub target_column: Option<String>,
    /// Sparsity share of the penalty, in (0, 1]; the rest is ridge. 1 is the
    /// (multi-task) Lasso.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub l1_ratio: f64,
    /// The penalty: l21 (tasks share their support), l1 (per-task supports),
    /// trace (low rank), dirty and robust (W = P + Q, with --alpha-specific or
    /// --specific-ratio), clustered (with --clusters).
    #[arg(long, value_parser = penalty_names(), default_value = "l21")]
    pub penalty: String,
    /// dirty, robust: the specific part's strength as a multiple of alpha,
    /// beta = ratio * alpha (`solve` also takes --alpha-specific BETA).
    #[arg(long, allow_negative_numbers = true)]
    pub specific_ratio: Option<f64>,
    /// dirty: the row norm of the shared part P, linf (MALSAR's Least_Dirty)
    /// or l2 [default: linf].
    #[arg(long, value_enum)]
    pub group_norm: Option<GroupNormArg>,
    /// Clustered MTL with k clusters of tasks (the clustered penalty; alpha is
    /// the cluster strength rho1, `solve --cluster-strength`).
    #[arg(long)]
    pub clusters: Option<usize>,
    /// With --clusters: rho2, the ridge of clustered MTL (> 0).
    #[arg(long, requires = "clusters", allow_negative_numbers = true)]
    pub cluster_ridge: Option<f64>,
    /// Task graph: CSV with header source,target,weight (task names or 0-based
    /// indices); adds lambda/2 * sum of weight * ||w_s - w_t||^2. `complete`:
    /// every pair with weight 1/T, i.e. lambda/2 * sum_t ||w_t - mean w||^2
    /// (mean-regularised MTL; no file).
    #[arg(long, conflicts_with = "chain")]
    pub graph: Option<PathBuf>,
    /// Task graph t -- t+1 with weight 1 (tasks ordered in time).
    #[arg(long)]
    pub chain: bool,
    /// lambda, the strength of the graph term (with --graph or --chain).
    #[arg(
        long,
        default_value_t = 1.0,
        allow_negative_numbers = true,
        requires = "task_graph"
    )]
    pub graph_strength: f64,
    /// Task weights: CSV with header task,weight (names or 0-based indices);
    /// unlisted tasks keep weight 1. `auto` (`solve` only): learned from the
    /// tasks' noise levels, c_t = 1/sigma_t^2 (maximum likelihood).
    #[arg(long)]
    pub task_weights: Option<PathBuf>,
    /// Sample weights (scikit-learn's sample_weight) for --x/--y: CSV with
    /// header `weight` (one row per row of X, in order) or `sample,weight`
    /// (0-based rows of X; unlisted rows keep weight 1). Weights >= 0, not
    /// all 0; only their ratios matter.
    #[arg(long, conflicts_with_all = ["long", "stats"])]
    pub sample_weights: Option<PathBuf>,
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
    /// Print the summary as JSON on stdout (for scripts) instead of text.
    #[arg(long, conflicts_with = "quiet")]
    pub json: bool,
    /// Log the certificate at every check to stderr.
    #[arg(long, short)]
    pub verbose: bool,
    #[command(flatten)]
    pub input: InputFlags,
}

/// `--path-tol` of `path` and `cv`: how each alpha is declared solved.
#[derive(Debug, Clone, Args)]
pub struct PathTolFlag {
    /// Accuracy at each alpha: the duality gap at most R times the objective
    /// at that alpha (and KKT residuals at most sqrt(R) * l1_ratio * alpha), so
    /// every alpha is solved to the same relative accuracy; `sklearn`:
    /// scikit-learn's rule alone (--tol * ||Y||^2 / n at every alpha, which
    /// at small alphas can keep the previous alpha's coefficients). See
    /// docs/objective.md.
    #[arg(long, value_name = "R|sklearn", default_value = "1e-8", value_parser = parse_path_tol)]
    pub path_tol: mtreg::path::PathTol,
}

/// `--max-outer` of `solve` and `cv` with `--learn-relations`.
#[derive(Debug, Clone, Args)]
pub struct MaxOuterFlag {
    /// With --learn-relations: at most N alternations (W-step, then Sigma-step);
    /// the fit is converged only when the objective decreased by less than
    /// 1e-6 (relative) within them. See docs/models.md.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 100,
        requires = "learn_relations"
    )]
    pub max_outer: usize,
}

fn parse_path_tol(s: &str) -> Result<mtreg::path::PathTol, String> {
    use mtreg::path::PathTol;
    if s.eq_ignore_ascii_case("sklearn") {
        return Ok(PathTol::Sklearn);
    }
    match s.parse::<f64>() {
        Ok(r) if r > 0.0 && r < 1.0 => Ok(PathTol::Relative(r)),
        _ => Err(format!(
            "expected a number in (0, 1) or `sklearn`, got {s:?}"
        )),
    }
}

/// The hint a non-convergence warning ends with when the columns of X have
/// very different scales (largest over smallest non-zero standard deviation
/// above 1e3, per-task designs pooled) and `--standardize` is off; empty
/// otherwise (and from sufficient statistics).
pub fn scale_hint(loaded: &Loaded, standardized: bool) -> String {
    let Some(design) = loaded.design().filter(|_| !standardized) else {
        return String::new();
    };
    let blocks: Vec<faer::MatRef<'_, f64>> = match design {
        super::data::Design::Shared { x, .. } => vec![x.as_ref()],
        super::data::Design::PerTask { xs, .. } => xs.iter().map(|x| x.as_ref()).collect(),
    };
    match column_std_range(&blocks) {
        Some((lo, hi)) if hi > 1e3 * lo => format!(
            "; the columns of X have very different scales (standard deviations from \
             {lo:.1e} to {hi:.1e}): try --standardize, which usually converges much faster"
        ),
        _ => String::new(),
    }
}

/// A hint for fits that stopped on `--max-iter` at the small end of a grid
/// on a design with fewer samples than features: those alphas approach
/// interpolation, where an exact solution (the default `--path-tol`) takes
/// many epochs. Empty otherwise.
pub fn interpolation_hint(loaded: &Loaded, at_small_end: bool) -> String {
    let wide = match loaded.design() {
        Some(super::data::Design::Shared { x, .. }) => x.nrows() < x.ncols(),
        Some(super::data::Design::PerTask { xs, .. }) => xs.iter().any(|x| x.nrows() < x.ncols()),
        None => false,
    };
    if wide && at_small_end {
        "; the smallest alphas of a design with fewer samples than features approach \
         interpolation, where exact fits are slow: end the grid higher (--eps 1e-2, \
         glmnet's default when p > n) or use scikit-learn's accuracy (--path-tol sklearn)"
            .into()
    } else {
        String::new()
    }
}

/// The smallest and largest non-zero standard deviation of the columns of
/// the row blocks stacked (`None` if every column is constant).
fn column_std_range(blocks: &[faer::MatRef<'_, f64>]) -> Option<(f64, f64)> {
    let p = blocks.first()?.ncols();
    let n: usize = blocks.iter().map(|b| b.nrows()).sum();
    let mut range: Option<(f64, f64)> = None;
    for j in 0..p {
        let values = || blocks.iter().flat_map(move |b| b.col(j).iter().copied());
        let mean = values().sum::<f64>() / n as f64;
        let std = (values().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        if std > 0.0 && std.is_finite() {
            let (lo, hi) = range.unwrap_or((std, std));
            range = Some((lo.min(std), hi.max(std)));
        }
    }
    range
}

/// `--group-norm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupNormArg {
    /// max_t |P_jt| (MALSAR's Least_Dirty).
    Linf,
    /// ||P_j||_2 (the group Lasso's row norm).
    L2,
}

/// `--graph complete`: the complete graph, no file.
const COMPLETE: &str = "complete";
/// `--task-weights auto`: learned weights, no file.
const AUTO: &str = "auto";

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
    pub sample_weights: Option<Vec<f64>>,
    pub graph: Option<TaskGraph>,
}

impl Loaded {
    /// The library's view of the data: samples or statistics, with the task
    /// and sample weights and the names.
    pub fn data(&self) -> Data<'_> {
        match &self.source {
            Source::Samples(inputs) => inputs
                .data
                .data()
                .maybe_task_weights(self.weights.as_deref())
                .maybe_sample_weights(self.sample_weights.as_deref())
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
    /// `--task-column` (default `task`).
    pub fn task_column(&self) -> &str {
        self.task_column.as_deref().unwrap_or("task")
    }

    /// `--target-column` (default `y`).
    pub fn target_column(&self) -> &str {
        self.target_column.as_deref().unwrap_or("y")
    }

    /// Refuses flags that have no effect without another one (clap's
    /// `requires` does not fire for a flag that conflicts with a present one).
    pub fn check_orphans(&self) -> Result<(), UsageError> {
        if self.long.is_none() {
            for (flag, given) in [
                ("--task-column", self.task_column.is_some()),
                ("--target-column", self.target_column.is_some()),
            ] {
                if given {
                    return Err(UsageError(format!(
                        "{flag} needs --long (it names a column of the long-format file)"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The input files (never to be written over), the files of a `--stats`
    /// directory included.
    pub fn input_files(&self) -> Vec<PathBuf> {
        let special = |p: &&PathBuf| p.as_os_str() != COMPLETE && p.as_os_str() != AUTO;
        let mut v: Vec<PathBuf> = [&self.x, &self.y, &self.data, &self.long]
            .into_iter()
            .flatten()
            .chain(self.graph.iter().filter(special))
            .chain(self.task_weights.iter().filter(special))
            .chain(&self.sample_weights)
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
            _ if self.data.is_some() => {
                let path = self.data.as_ref().expect("checked");
                Source::Samples(data::load_joint(path, &self.targets, &opts)?)
            }
            (Some(x), Some(y), None, _) => Source::Samples(data::load_shared(x, y, &opts)?),
            (None, None, Some(long), _) => {
                let lo = LongOptions {
                    task_column: self.task_column().to_string(),
                    target_column: self.target_column().to_string(),
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
        let sample_weights = match (&self.sample_weights, &source) {
            (Some(p), Source::Samples(inputs)) => {
                let n = match &inputs.data {
                    Design::Shared { x, .. } => x.nrows(),
                    Design::PerTask { .. } => {
                        unreachable!("clap: --sample-weights conflicts with --long")
                    }
                };
                Some(data::read_sample_weights(p, n, self.input.delimiter)?)
            }
            _ => None,
        };
        Ok(Loaded {
            source,
            weights,
            sample_weights,
            graph,
        })
    }

    /// Refuses data whose squares overflow (the fit would), naming the file
    /// and the range of its values (`mtreg::io::summary`).
    fn check_magnitudes(&self, inputs: &Inputs) -> anyhow::Result<()> {
        use mtreg::io::summary::check_magnitude;
        let centre = !self.no_intercept;
        let shown = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        let joint = shown(&self.data);
        match (
            &inputs.data,
            shown(&self.x).or(joint.clone()),
            shown(&self.y).or(joint),
            shown(&self.long),
        ) {
            (Design::Shared { x, y }, Some(xs), Some(ys), _) => {
                check_magnitude(x.as_ref(), Some(&inputs.features), &xs, centre)?;
                check_magnitude(y.as_ref(), Some(&inputs.tasks), &ys, centre)?;
            }
            (Design::PerTask { xs, ys }, _, _, Some(long)) => {
                let target = [self.target_column().to_string()];
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
            Some(p) if p.as_os_str() == AUTO => None,
            Some(p) => Some(data::read_task_weights(p, tasks, self.input.delimiter)?),
            None => None,
        };
        let t = tasks.len();
        let graph = match (&self.graph, self.chain) {
            (Some(p), _) if p.as_os_str() == COMPLETE => Some(TaskGraph::complete(t)),
            (Some(p), _) => Some(TaskGraph::from_edges(
                t,
                &data::read_edges(p, tasks, self.input.delimiter)?,
            )?),
            (None, true) => Some(TaskGraph::chain(t)),
            (None, false) => None,
        };
        Ok((weights, graph))
    }

    /// Refuses `--task-weights auto` (for `path` and `cv`).
    pub fn refuse_auto_weights(&self) -> anyhow::Result<()> {
        if self.auto_weights() {
            return Err(UsageError(
                "--task-weights auto is supported by `mtreg solve` (cross-validate weight \
                 schemes with `mtreg cv --task-weight-grid`)"
                    .into(),
            )
            .into());
        }
        Ok(())
    }

    /// `--task-weights auto`.
    pub fn auto_weights(&self) -> bool {
        self.task_weights
            .as_ref()
            .is_some_and(|p| p.as_os_str() == AUTO)
    }

    /// `--graph complete`.
    pub fn complete_graph(&self) -> bool {
        self.graph
            .as_ref()
            .is_some_and(|p| p.as_os_str() == COMPLETE)
    }

    /// The penalty's name: `--penalty`, or `clustered` with `--clusters`.
    pub fn penalty_name(&self) -> &str {
        if self.clusters.is_some() {
            "clustered"
        } else {
            &self.penalty
        }
    }

    /// The penalty family the flags describe: `--penalty` with its own flags
    /// (`--specific-ratio`, `--group-norm`, `--clusters`, `--cluster-ridge`),
    /// each refused where it means nothing.
    pub fn family(&self) -> anyhow::Result<Family> {
        self.family_with(self.specific_ratio, self.cluster_ridge)
    }

    /// [`family`](Self::family) with another `β/α` ratio or cluster ridge
    /// (the points of a CV grid).
    pub fn family_with(&self, ratio: Option<f64>, ridge: Option<f64>) -> anyhow::Result<Family> {
        let usage = |msg: String| -> anyhow::Error { UsageError(msg).into() };
        if self.clusters.is_some() && !matches!(self.penalty.as_str(), "l21" | "clustered") {
            return Err(usage(format!(
                "--clusters selects the clustered penalty; it cannot be combined with --penalty {}",
                self.penalty
            )));
        }
        let name = self.penalty_name();
        if self.group_norm.is_some() && name != "dirty" {
            return Err(usage("--group-norm is for --penalty dirty".into()));
        }
        if ratio.is_some() && !matches!(name, "dirty" | "robust") {
            return Err(usage(
                "--alpha-specific and --specific-ratio are for --penalty dirty or robust".into(),
            ));
        }
        let ratio = || {
            ratio.ok_or_else(|| {
                usage(format!(
                    "--penalty {name} needs the specific part's strength: --alpha-specific BETA \
                     (with --alpha) or --specific-ratio R (beta = R * alpha)"
                ))
            })
        };
        Ok(match name {
            "dirty" => Family::new(SharedSpecific::new(
                ratio()?,
                match self.group_norm {
                    Some(GroupNormArg::L2) => GroupNorm::L2,
                    _ => GroupNorm::LInf,
                },
            )),
            "robust" => Family::new(OutlierTasks::new(ratio()?)),
            "clustered" => {
                let k = self.clusters.ok_or_else(|| {
                    usage("--penalty clustered needs --clusters k and --cluster-ridge RHO2".into())
                })?;
                let ridge = ridge.ok_or_else(|| {
                    usage("--clusters needs --cluster-ridge RHO2 (the ridge, > 0)".into())
                })?;
                Family::new(Clustered::new(k, ridge))
            }
            other => penalties::by_name(other).expect("clap accepts registered penalties only"),
        })
    }

    /// The model these flags describe (alpha to be set by the caller).
    pub fn model(
        &self,
        graph: Option<&TaskGraph>,
        monitor: Option<Monitor>,
    ) -> anyhow::Result<GraphMultiTask> {
        Ok(self.model_with(self.family()?, graph, monitor))
    }

    /// [`model`](Self::model) with the penalty `family`.
    pub fn model_with(
        &self,
        family: Family,
        graph: Option<&TaskGraph>,
        monitor: Option<Monitor>,
    ) -> GraphMultiTask {
        let mut model = GraphMultiTask::new(1.0)
            .l1_ratio(self.l1_ratio)
            .penalty(family)
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
    pub fn relations(
        &self,
        lambda2: f64,
        monitor: Option<Monitor>,
    ) -> anyhow::Result<RelationLearning> {
        Ok(RelationLearning::new(1.0)
            .l1_ratio(self.l1_ratio)
            .penalty(self.family()?)
            .relation_strength(lambda2)
            .fit_intercept(!self.no_intercept)
            .standardize(self.standardize)
            .tol(self.tol)
            .max_iter(self.max_iter)
            .monitor(monitor))
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
