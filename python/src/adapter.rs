//! The one place that calls the mtreg library: a model description built from
//! the Python parameters, and fit / path / cross-validation over it.
//!
//! Everything else in this crate converts arrays and errors. When the library's
//! builders change, only this module follows.

use faer::{Mat, MatRef};
use mtreg::cv::{CvOptions, CvResult, Select};
use mtreg::path::{AlphaGrid, Path, PathTol};
use mtreg::penalty::{Sparsity, TaskGraph};
use mtreg::{Fit, GraphMultiTask, MultiTaskElasticNet, RelationLearning, Result, Selection};

/// The task graph of a graph model, as given from Python.
#[derive(Debug, Clone)]
pub enum Graph {
    /// No graph (the elastic net, or the pooled model).
    None,
    /// The chain `0 – 1 – … – (T−1)`.
    Chain,
    /// `(s, t, weight)` edges, 0-based tasks, and the number of tasks when
    /// known (an adjacency matrix), else that of the data.
    Edges(Vec<(usize, usize, f64)>, Option<usize>),
}

/// Which model, with its own parameters.
#[derive(Debug, Clone)]
pub enum Kind {
    /// scikit-learn's `MultiTaskElasticNet` / `MultiTaskLasso`.
    ElasticNet,
    /// A task graph pulling tasks together (`GraphMultiTask`).
    Graph {
        sparsity: Sparsity,
        graph: Graph,
        strength: f64,
        pooled: bool,
    },
    /// Learned task relationships (`RelationLearning`).
    Relation {
        sparsity: Sparsity,
        strength: f64,
        max_outer: usize,
        outer_tol: f64,
        eps: f64,
    },
}

/// A complete model description.
#[derive(Debug, Clone)]
pub struct Spec {
    pub kind: Kind,
    pub alpha: f64,
    pub l1_ratio: f64,
    pub fit_intercept: bool,
    pub standardize: bool,
    pub tol: f64,
    pub max_iter: usize,
    pub selection: Selection,
}

/// What relation learning adds to a fit.
pub struct Relations {
    pub sigma: Mat<f64>,
    pub correlation: Mat<f64>,
    pub objectives: Vec<f64>,
    pub converged: bool,
}

/// A fit and, for relation learning, the learned relations.
pub struct Fitted {
    pub fit: Fit,
    pub relations: Option<Relations>,
}

impl Fitted {
    fn plain(fit: Fit) -> Self {
        Self {
            fit,
            relations: None,
        }
    }

    fn relation(rel: mtreg::RelationFit) -> Self {
        let relations = Relations {
            sigma: rel.sigma().to_owned(),
            correlation: rel.correlation(),
            objectives: rel.objectives().to_vec(),
            converged: rel.converged(),
        };
        Self {
            fit: rel.fit().clone(),
            relations: Some(relations),
        }
    }
}

/// Paths and cross-validation stop as scikit-learn's (`tol · ‖Y‖²/n` at every
/// alpha, a cold refit): the estimators promise scikit-learn's numbers for the
/// same `tol`. (The library's default is an exact path, docs/objective.md.)
const PATH_TOL: PathTol = PathTol::Sklearn;

fn elastic(spec: &Spec, warm: Option<Mat<f64>>) -> MultiTaskElasticNet {
    MultiTaskElasticNet::new(spec.alpha)
        .l1_ratio(spec.l1_ratio)
        .fit_intercept(spec.fit_intercept)
        .standardize(spec.standardize)
        .tol(spec.tol)
        .max_iter(spec.max_iter)
        .selection(spec.selection)
        .path_tol(PATH_TOL)
        .warm_start(warm)
}

fn graph(
    spec: &Spec,
    n_tasks: usize,
    warm: Option<Mat<f64>>,
    sparsity: Sparsity,
    g: &Graph,
    strength: f64,
    pooled: bool,
) -> Result<GraphMultiTask> {
    let mut m = GraphMultiTask::new(spec.alpha)
        .l1_ratio(spec.l1_ratio)
        .fit_intercept(spec.fit_intercept)
        .standardize(spec.standardize)
        .tol(spec.tol)
        .max_iter(spec.max_iter)
        .selection(spec.selection)
        .path_tol(PATH_TOL)
        .warm_start(warm)
        .penalty(sparsity)
        .graph_strength(strength)
        .pooled(pooled);
    m = match g {
        Graph::None => m,
        Graph::Chain => m.graph(TaskGraph::chain(n_tasks)),
        Graph::Edges(e, t) => m.graph(TaskGraph::from_edges(t.unwrap_or(n_tasks), e)?),
    };
    Ok(m)
}

fn relation(
    spec: &Spec,
    sparsity: Sparsity,
    strength: f64,
    max_outer: usize,
    outer_tol: f64,
    eps: f64,
) -> RelationLearning {
    RelationLearning::new(spec.alpha)
        .l1_ratio(spec.l1_ratio)
        .fit_intercept(spec.fit_intercept)
        .tol(spec.tol)
        .max_iter(spec.max_iter)
        .selection(spec.selection)
        .path_tol(PATH_TOL)
        .penalty(sparsity)
        .relation_strength(strength)
        .max_outer(max_outer)
        .outer_tol(outer_tol)
        .relation_eps(eps)
}

/// The models a call can be made on, built for `n_tasks` tasks.
enum Built {
    Elastic(MultiTaskElasticNet),
    Graph(GraphMultiTask),
    Relation(RelationLearning),
}

fn build(spec: &Spec, n_tasks: usize, warm: Option<Mat<f64>>) -> Result<Built> {
    Ok(match &spec.kind {
        Kind::ElasticNet => Built::Elastic(elastic(spec, warm)),
        Kind::Graph {
            sparsity,
            graph: g,
            strength,
            pooled,
        } => Built::Graph(graph(
            spec, n_tasks, warm, *sparsity, g, *strength, *pooled,
        )?),
        Kind::Relation {
            sparsity,
            strength,
            max_outer,
            outer_tol,
            eps,
        } => Built::Relation(relation(
            spec, *sparsity, *strength, *max_outer, *outer_tol, *eps,
        )),
    })
}

/// Fits a shared design X (n × p), Y (n × T); `warm` is p × T.
pub fn fit(
    spec: &Spec,
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    warm: Option<Mat<f64>>,
) -> Result<Fitted> {
    match build(spec, y.ncols(), warm)? {
        Built::Elastic(m) => m.fit(&x, &y).map(Fitted::plain),
        Built::Graph(m) => m.fit(&x, &y).map(Fitted::plain),
        Built::Relation(m) => m.fit(&x, &y).map(Fitted::relation),
    }
}

/// Fits per-task designs `xs[t]` (n_t × p), `ys[t]` (n_t) with task weights.
pub fn fit_tasks(
    spec: &Spec,
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
    warm: Option<Mat<f64>>,
) -> Result<Fitted> {
    match build(spec, xs.len(), warm)? {
        Built::Elastic(m) => m.fit_tasks(xs, ys, weights).map(Fitted::plain),
        Built::Graph(m) => m.fit_tasks(xs, ys, weights).map(Fitted::plain),
        Built::Relation(m) => m.fit_tasks(xs, ys, weights).map(Fitted::relation),
    }
}

/// The warm-started path over `grid` (shared design).
pub fn path(
    spec: &Spec,
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    grid: &AlphaGrid,
    warm: Option<Mat<f64>>,
) -> Result<Path> {
    match build(spec, y.ncols(), warm)? {
        Built::Elastic(m) => m.path(&x, &y, grid),
        Built::Graph(m) => m.path(&x, &y, grid),
        Built::Relation(_) => Err(unsupported("paths of relation learning")),
    }
}

/// The warm-started path over `grid` (per-task designs).
pub fn path_tasks(
    spec: &Spec,
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
    grid: &AlphaGrid,
    warm: Option<Mat<f64>>,
) -> Result<Path> {
    // The elastic net is the graph model without a graph.
    let (sparsity, g, strength) = match &spec.kind {
        Kind::ElasticNet => (Sparsity::Group, Graph::None, 0.0),
        Kind::Graph {
            sparsity,
            graph: g,
            strength,
            ..
        } => (*sparsity, g.clone(), *strength),
        Kind::Relation { .. } => return Err(unsupported("paths of relation learning")),
    };
    let pooled = matches!(spec.kind, Kind::Graph { pooled: true, .. });
    graph(spec, xs.len(), warm, sparsity, &g, strength, pooled)?.path_tasks(xs, ys, weights, grid)
}

/// Cross-validation options: the grid, explicit test folds, threads.
pub fn cv_options(grid: AlphaGrid, test_folds: Vec<Vec<usize>>, threads: usize) -> CvOptions {
    let folds = test_folds.len();
    CvOptions::default()
        .folds(folds)
        .grid(grid)
        .threads(threads)
        .select(Select::Min)
        .test_folds(Some(test_folds))
}

/// K-fold cross-validation then the refit (shared design). For relation
/// learning the refit's relations come along.
pub fn cross_validate(
    spec: &Spec,
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    opts: &CvOptions,
) -> Result<(CvResult, Option<Relations>)> {
    match build(spec, y.ncols(), None)? {
        Built::Elastic(m) => Ok((m.cross_validate(&x, &y, opts)?, None)),
        Built::Graph(m) => Ok((m.cross_validate(&x, &y, opts)?, None)),
        Built::Relation(m) => {
            let rel = m.cross_validate(&x, &y, opts)?;
            let relations = Fitted::relation(rel.relations).relations;
            Ok((rel.cv, relations))
        }
    }
}

/// K-fold cross-validation with per-task designs (each task's samples split
/// in `opts.folds` contiguous parts), then the refit.
pub fn cross_validate_tasks(
    spec: &Spec,
    xs: &[MatRef<'_, f64>],
    ys: &[&[f64]],
    weights: Option<&[f64]>,
    opts: &CvOptions,
) -> Result<(CvResult, Option<Relations>)> {
    match build(spec, xs.len(), None)? {
        // The elastic net is the graph model without a graph.
        Built::Elastic(_) => {
            let g = graph(
                spec,
                xs.len(),
                None,
                Sparsity::Group,
                &Graph::None,
                0.0,
                false,
            )?;
            Ok((g.cross_validate_tasks(xs, ys, weights, opts)?, None))
        }
        Built::Graph(m) => Ok((m.cross_validate_tasks(xs, ys, weights, opts)?, None)),
        Built::Relation(m) => {
            let rel = m.cross_validate_tasks(xs, ys, weights, opts)?;
            let relations = Fitted::relation(rel.relations).relations;
            Ok((rel.cv, relations))
        }
    }
}

/// alpha_max of the model on this data (its centring, standardisation and
/// l1_ratio): the smallest alpha giving W = 0.
pub fn alpha_max(spec: &Spec, x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<f64> {
    match &spec.kind {
        Kind::ElasticNet => elastic(spec, None).alpha_max_of(&x, &y),
        _ => {
            // As the library's CV computes it: a fit at a huge alpha stops at
            // once with W = 0 and reports alpha_max.
            let mut huge = spec.clone();
            huge.alpha = f64::MAX / 4.0;
            Ok(fit(&huge, x, y, None)?.fit.alpha_max())
        }
    }
}

/// The objective and certificate of given coefficients (p × T) for the
/// elastic net on X, Y.
pub fn certify(
    spec: &Spec,
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    coef: MatRef<'_, f64>,
) -> Result<(f64, mtreg::Certificate)> {
    match &spec.kind {
        Kind::ElasticNet => elastic(spec, None).certify(&x, &y, coef),
        _ => Err(unsupported("certify for models other than the elastic net")),
    }
}

/// `make_regression` (scikit-learn's semantics, mtreg's random stream).
#[allow(clippy::too_many_arguments)]
pub fn make_regression(
    n_samples: usize,
    n_features: usize,
    n_informative: usize,
    n_targets: usize,
    bias: f64,
    effective_rank: Option<usize>,
    tail_strength: f64,
    noise: f64,
    shuffle: bool,
    seed: u64,
) -> Result<mtreg::generate::Regression> {
    mtreg::generate::MakeRegression::new()
        .n_samples(n_samples)
        .n_features(n_features)
        .n_informative(n_informative)
        .n_targets(n_targets)
        .bias(bias)
        .effective_rank(effective_rank)
        .tail_strength(tail_strength)
        .noise(noise)
        .shuffle(shuffle)
        .seed(seed)
        .generate()
}

fn unsupported(what: &'static str) -> mtreg::Error {
    mtreg::Error::InvalidParameter {
        name: what,
        value: f64::NAN,
        expected: "not available in this version",
    }
}
