//! MODEL.json: a fitted model with its parameters, certificate and names.
//!
//! A [`Fit`] knows what it is (its [`Description`]), so it becomes a
//! [`ModelFile`] and back without help ([`ModelFile::from_fit`],
//! [`ModelFile::to_fit`]); [`Fit::save`] and [`Fit::load`] write and read the
//! file. Written by `mtreg solve --model` (and `cv`), read by `mtreg
//! predict`. The keys are the CLI contract of `docs/cli.md` (MODEL.json);
//! `coef` is p rows of T numbers (one row per feature).

use crate::certificate::Certificate;
use crate::cv::{CvResult, Select};
use crate::error::{Error, InputError, Result};
use crate::fitted::{
    AutoWeights, ClusterTerm, Components, Description, Fit, GraphTerm, LearnedRelations,
    TaskClusters,
};
use faer::Mat;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// Format version written to `version` (the crate version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The serialised form of a fitted shared-design model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// mtreg version that wrote the file.
    pub version: String,
    /// Model family, e.g. `"multi_task_elastic_net"`.
    pub model: String,
    /// Feature names (X's header, or `x0, x1, ...`).
    pub feature_names: Vec<String>,
    /// Task names (Y's header, or `y0, y1, ...`).
    pub task_names: Vec<String>,
    /// Coefficients, p rows of T.
    pub coef: Vec<Vec<f64>>,
    /// Intercepts, T.
    pub intercept: Vec<f64>,
    /// Regularisation strength.
    pub alpha: f64,
    /// Smallest alpha giving W = 0 on the training data; `null` (read as
    /// infinity) for models without one (clustered MTL, reduced rank).
    #[serde(deserialize_with = "f64_or_infinity")]
    pub alpha_max: f64,
    /// L21 share of the penalty.
    pub l1_ratio: f64,
    /// Whether intercepts were fitted.
    pub fit_intercept: bool,
    /// Whether X was standardised.
    pub standardize: bool,
    /// Relative tolerance requested.
    pub tol: f64,
    /// Relative accuracy at each alpha of a path or cross-validation (see
    /// `PathTol`); absent for single fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_tol: Option<f64>,
    /// Epoch budget.
    pub max_iter: usize,
    /// Whether the certificate met the tolerance.
    pub converged: bool,
    /// `{kind, value, tol}`.
    pub certificate: Certificate,
    /// KKT residual at the solution (every model).
    #[serde(default)]
    pub kkt_residual: f64,
    /// Duality gap at the solution, when the model has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dual_gap: Option<f64>,
    /// Primal objective at the solution.
    pub objective: f64,
    /// Epochs run.
    pub n_iter: usize,
    /// Seconds spent fitting (no file IO).
    pub seconds: f64,
    /// Training samples.
    pub n_samples: usize,
    /// Whether the Gram-matrix mode was used.
    pub gram: bool,
    /// Sparsity: `"l21"` or `"l1"`.
    #[serde(default = "default_penalty")]
    pub penalty: String,
    /// Samples per task (per-task designs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_samples_per_task: Option<Vec<usize>>,
    /// Task weights c_t, when not all 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_weights: Option<Vec<f64>>,
    /// True when the samples were weighted (the weights are not stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_weighted: Option<bool>,
    /// Graph strength λ (graph models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph_strength: Option<f64>,
    /// Graph edges `[source, target, weight]` with 0-based task indices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edges: Option<Vec<(usize, usize, f64)>>,
    /// True for the pooled model (one coefficient vector for all tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pooled: Option<bool>,
    /// Relation strength λ2 (learned relationships).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation_strength: Option<f64>,
    /// Learned task covariance Σ (T rows of T).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma: Option<Vec<Vec<f64>>>,
    /// Learned task correlation matrix (T rows of T).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_correlation: Option<Vec<Vec<f64>>>,
    /// The MTRL objective after each alternation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation_objectives: Option<Vec<f64>>,
    /// Cross-validation: the alpha minimising the mean held-out MSE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha_min: Option<f64>,
    /// Cross-validation: the largest alpha within one standard error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha_1se: Option<f64>,
    /// Cross-validation: number of folds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv_folds: Option<usize>,
    /// Cross-validation: `"min"` or `"1se"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv_select: Option<String>,
    /// Cross-validation: epochs of each fold fit, `[alpha][fold]` (alphas as
    /// in cv.csv, decreasing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv_n_iter: Option<Vec<Vec<usize>>>,
    /// Cross-validation: whether each fold fit met its stopping rule,
    /// `[alpha][fold]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv_converged: Option<Vec<Vec<bool>>>,
    /// Cross-validation over ranks: the rank minimising the mean held-out MSE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank_min: Option<usize>,
    /// Cross-validation over ranks: the smallest rank within one standard
    /// error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank_1se: Option<usize>,
    /// `"complete"` for the complete task graph (mean-regularised MTL),
    /// whose edges are then not listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph: Option<String>,
    /// The named parts of W (`shared`/`specific`, `mean`/`deviation`), each
    /// p rows of T; they sum to `coef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<ComponentFile>>,
    /// Dirty and robust models: the specific part's strength β.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha_specific: Option<f64>,
    /// Dirty and robust models: `β / alpha`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha_specific_ratio: Option<f64>,
    /// Dirty model: the shared part's row norm, `linf` or `l2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_norm: Option<String>,
    /// Robust model: the outlier tasks (names), whose specific column is not
    /// zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlier_tasks: Option<Vec<String>>,
    /// Low-rank models (trace norm, reduced rank): the singular values of W.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub singular_values: Option<Vec<f64>>,
    /// Low-rank models: the numerical rank of W (see [`Fit::rank`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<usize>,
    /// Reduced-rank regression: the rank constraint k.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rank: Option<usize>,
    /// Clustered MTL: the number of clusters k.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_clusters: Option<usize>,
    /// Clustered MTL: the ridge ρ2 (alpha is ρ1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_ridge: Option<f64>,
    /// Clustered MTL: the learned M (T rows of T).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_matrix: Option<Vec<Vec<f64>>>,
    /// Clustered MTL: the cluster of each task (0-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clusters: Option<Vec<usize>>,
    /// How the task weights were chosen (`uniform`, `inverse_n`,
    /// `inverse_variance`, a file, `auto`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_weight_scheme: Option<String>,
    /// `--task-weights auto`: the alternation that learned the weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_weights_auto: Option<AutoWeightsFile>,
}

/// One named part of W in MODEL.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentFile {
    /// `shared`, `specific`, `mean`, `deviation`.
    pub name: String,
    /// p rows of T.
    pub coef: Vec<Vec<f64>>,
}

/// The report of `--task-weights auto` in MODEL.json (see
/// [`AutoWeights`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoWeightsFile {
    /// σ_t².
    pub sigma2: Vec<f64>,
    /// The penalised negative log-likelihood after each alternation.
    pub objectives: Vec<f64>,
    /// Alternations run.
    pub alternations: usize,
    /// Solver iterations over all W-steps.
    pub inner_iterations: usize,
    /// Whether the outer criterion (weights settled) and the last W-step's
    /// tolerance were met.
    pub converged: bool,
    /// Tasks whose variance hit the floor.
    pub floored: Vec<usize>,
}

/// A float that may be `null` (a non-finite value as serde_json writes it):
/// `null` reads as infinity.
fn f64_or_infinity<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::INFINITY))
}

fn select_name(select: Select) -> &'static str {
    match select {
        Select::Min => "min",
        Select::OneSe => "1se",
    }
}

fn default_penalty() -> String {
    "l21".to_string()
}

/// Rows of a faer matrix as nested vectors (JSON-friendly).
pub fn rows(m: faer::MatRef<'_, f64>) -> Vec<Vec<f64>> {
    (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
        .collect()
}

impl ModelFile {
    /// The file contents of a fit: its solution, certificate and
    /// [`Description`] (kind, penalty, names, settings, task structure).
    pub fn from_fit(fit: &Fit) -> Self {
        let d = fit.description();
        let c = fit.coef();
        let t = d.task_names.len();
        let complete = d.graph.as_ref().is_some_and(|g| g.is_complete(t));
        let graph = d.graph.as_ref();
        let relations = d.relations.as_ref();
        let low_rank = d.penalty == "trace" || d.rank.is_some();
        let spectrum = if low_rank {
            fit.singular_values().ok()
        } else {
            None
        };
        let clusters = fit.task_clusters();
        let outliers = (d.penalty == "robust").then(|| {
            fit.outlier_tasks()
                .into_iter()
                .map(|k| d.task_names[k].clone())
                .collect()
        });
        Self {
            version: VERSION.to_string(),
            model: d.kind.clone(),
            feature_names: d.feature_names.to_vec(),
            task_names: d.task_names.to_vec(),
            coef: rows(c),
            intercept: fit.intercept().to_vec(),
            alpha: fit.alpha(),
            alpha_max: fit.alpha_max(),
            l1_ratio: fit.l1_ratio(),
            fit_intercept: d.fit_intercept,
            standardize: d.standardize,
            tol: d.tol,
            path_tol: d.path_tol,
            max_iter: d.max_iter,
            converged: fit.converged(),
            certificate: fit.certificate(),
            kkt_residual: fit.kkt_residual(),
            dual_gap: fit.dual_gap(),
            objective: fit.objective(),
            n_iter: fit.n_iter(),
            seconds: fit.seconds(),
            n_samples: d.n_samples,
            gram: fit.used_gram(),
            penalty: d.penalty.clone(),
            n_samples_per_task: d.n_samples_per_task.clone(),
            task_weights: d.task_weights.clone(),
            sample_weighted: d.sample_weighted.then_some(true),
            graph_strength: graph.map(|g| g.strength),
            edges: graph.filter(|_| !complete).map(|g| g.edges.clone()),
            pooled: d.is_pooled().then_some(true),
            relation_strength: relations.map(|r| r.strength),
            sigma: relations.map(|r| rows(r.sigma.as_ref())),
            task_correlation: relations.map(|r| rows(r.correlation().as_ref())),
            relation_objectives: relations.map(|r| r.objectives.clone()),
            alpha_min: None,
            alpha_1se: None,
            cv_folds: None,
            cv_select: None,
            cv_n_iter: None,
            cv_converged: None,
            rank_min: None,
            rank_1se: None,
            graph: complete.then(|| "complete".to_string()),
            components: fit.components().map(|cs| {
                cs.iter()
                    .map(|(name, m)| ComponentFile {
                        name: name.to_string(),
                        coef: rows(m),
                    })
                    .collect()
            }),
            alpha_specific: d.alpha_specific_ratio.map(|r| r * fit.alpha()),
            alpha_specific_ratio: d.alpha_specific_ratio,
            group_norm: d.group_norm.clone(),
            outlier_tasks: outliers,
            rank: spectrum
                .as_ref()
                .map(|s| crate::fitted::rank_of(s, c.nrows().max(c.ncols()))),
            singular_values: spectrum,
            max_rank: d.rank,
            n_clusters: d.clusters.map(|c| c.k),
            cluster_ridge: d.clusters.map(|c| c.ridge),
            cluster_matrix: clusters.map(|c| rows(c.matrix())),
            clusters: clusters.map(|c| c.labels().to_vec()),
            task_weight_scheme: d.task_weight_scheme.clone(),
            task_weights_auto: d.auto_weights.as_ref().map(|a| AutoWeightsFile {
                sigma2: a.sigma2.clone(),
                objectives: a.objectives.clone(),
                alternations: a.alternations,
                inner_iterations: a.inner_iterations,
                converged: a.converged,
                floored: a.floored.clone(),
            }),
        }
    }

    /// The file of a cross-validation: its refit ([`from_fit`](Self::from_fit))
    /// and the CV fields `alpha_min`, `alpha_1se`, `cv_folds`, `cv_select`,
    /// `cv_n_iter`, `cv_converged`.
    pub fn from_cv(cv: &CvResult, select: Select) -> Self {
        let mut file = Self::from_fit(&cv.fit);
        file.alpha_min = Some(cv.alpha_min);
        file.alpha_1se = Some(cv.alpha_1se);
        file.cv_folds = Some(cv.folds.len());
        file.cv_n_iter = Some(cv.n_iter.clone());
        file.cv_converged = Some(cv.converged.clone());
        file.cv_select = Some(select_name(select).to_string());
        file
    }

    /// The file of a cross-validation over ranks: its refit and the CV fields
    /// `rank_min`, `rank_1se`, `cv_folds`, `cv_select`.
    pub fn from_rank_cv(cv: &crate::estimator::RankCv, select: Select) -> Self {
        let mut file = Self::from_fit(&cv.fit);
        file.rank_min = Some(cv.rank_min);
        file.rank_1se = Some(cv.rank_1se);
        file.cv_folds = Some(cv.folds.len());
        file.cv_select = Some(select_name(select).to_string());
        file
    }

    /// The fitted model this file describes (its trace and screening count,
    /// not stored, are empty).
    ///
    /// # Errors
    /// `Incompatible` if the shapes disagree (coef not p rows of T, intercept
    /// not T, Σ not T × T, weights or samples per task not T).
    pub fn to_fit(&self) -> Result<Fit> {
        self.check()?;
        let (p, t) = (self.feature_names.len(), self.task_names.len());
        let matrix = |m: &[Vec<f64>], rows: usize| Mat::from_fn(rows, t, |i, j| m[i][j]);
        let mut d = Description::named(
            self.feature_names.clone().into(),
            self.task_names.clone().into(),
        );
        d.kind = self.model.clone();
        d.penalty = self.penalty.clone();
        d.fit_intercept = self.fit_intercept;
        d.standardize = self.standardize;
        d.tol = self.tol;
        d.path_tol = self.path_tol;
        d.max_iter = self.max_iter;
        d.n_samples = self.n_samples;
        d.n_samples_per_task = self.n_samples_per_task.clone();
        d.task_weights = self.task_weights.clone();
        d.sample_weighted = self.sample_weighted.unwrap_or(false);
        d.graph = self.graph_strength.map(|s| {
            let edges = match self.graph.as_deref() {
                Some("complete") => crate::penalty::TaskGraph::complete(t).edges().to_vec(),
                _ => self.edges.clone().unwrap_or_default(),
            };
            GraphTerm::new(s, edges)
        });
        d.alpha_specific_ratio = self.alpha_specific_ratio;
        d.group_norm = self.group_norm.clone();
        d.clusters = match (self.n_clusters, self.cluster_ridge) {
            (Some(k), Some(ridge)) => Some(ClusterTerm::new(k, ridge)),
            _ => None,
        };
        d.rank = self.max_rank;
        d.task_weight_scheme = self.task_weight_scheme.clone();
        d.auto_weights = self.task_weights_auto.as_ref().map(|a| {
            AutoWeights::new(
                a.sigma2.clone(),
                a.objectives.clone(),
                a.alternations,
                a.inner_iterations,
                a.converged,
                a.floored.clone(),
            )
        });
        d.relations = match (self.relation_strength, &self.sigma) {
            (Some(strength), Some(sigma)) => Some(LearnedRelations::new(
                strength,
                matrix(sigma, t),
                self.relation_objectives.clone().unwrap_or_default(),
            )),
            _ => None,
        };
        Ok(Fit {
            coef: matrix(&self.coef, p),
            intercept: self.intercept.clone(),
            certificate: self.certificate,
            objective: self.objective,
            n_iter: self.n_iter,
            converged: self.converged,
            alpha: self.alpha,
            l1_ratio: self.l1_ratio,
            alpha_max: self.alpha_max,
            gram: self.gram,
            seconds: self.seconds,
            trace: Vec::new(),
            kkt: self.kkt_residual,
            gap: self.dual_gap,
            n_screened: 0,
            description: Arc::new(d),
            components: self.components.as_ref().map(|cs| {
                Components::new(
                    cs.iter().map(|c| c.name.clone()).collect(),
                    cs.iter().map(|c| matrix(&c.coef, p)).collect(),
                )
            }),
            clusters: match (&self.cluster_matrix, &self.clusters) {
                (Some(m), Some(labels)) => Some(TaskClusters::with_labels(
                    matrix(m, t),
                    labels.clone(),
                    self.n_clusters.unwrap_or(0),
                )),
                _ => None,
            },
        })
    }

    /// The shapes agree with the names (p features, T tasks).
    fn check(&self) -> Result<()> {
        let (p, t) = (self.feature_names.len(), self.task_names.len());
        let bad = |what: String| Err(Error::Incompatible(format!("inconsistent model: {what}")));
        if !(self.coef.len() == p && self.coef.iter().all(|r| r.len() == t)) {
            return bad(format!("coef must be {p} rows of {t} numbers"));
        }
        if self.intercept.len() != t {
            return bad(format!("intercept must be {t} numbers"));
        }
        let square = |m: &Vec<Vec<f64>>| m.len() == t && m.iter().all(|r| r.len() == t);
        if self.sigma.as_ref().is_some_and(|s| !square(s)) {
            return bad(format!("sigma must be {t} rows of {t} numbers"));
        }
        if self.cluster_matrix.as_ref().is_some_and(|m| !square(m)) {
            return bad(format!("cluster_matrix must be {t} rows of {t} numbers"));
        }
        if self.clusters.as_ref().is_some_and(|l| l.len() != t) {
            return bad(format!("clusters must be {t} labels"));
        }
        if let Some(cs) = &self.components {
            for c in cs {
                if !(c.coef.len() == p && c.coef.iter().all(|r| r.len() == t)) {
                    return bad(format!(
                        "component {:?} must be {p} rows of {t} numbers",
                        c.name
                    ));
                }
            }
        }
        if self.graph.as_deref().is_some_and(|g| g != "complete") {
            return bad(format!(
                "graph must be \"complete\" if given, not {:?}",
                self.graph
            ));
        }
        for (what, len) in [
            ("task_weights", self.task_weights.as_ref().map(Vec::len)),
            (
                "n_samples_per_task",
                self.n_samples_per_task.as_ref().map(Vec::len),
            ),
        ] {
            if len.is_some_and(|l| l != t) {
                return bad(format!("{what} must be {t} numbers"));
            }
        }
        Ok(())
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a ModelFile always serialises")
    }

    /// Reads and checks a model file (consistent shapes).
    ///
    /// # Errors
    /// `Input` naming the file on unreadable or malformed content.
    pub fn read(path: &Path) -> Result<Self> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Input(InputError::file(&shown, format!("cannot read file: {e}")))
        })?;
        let m: ModelFile = serde_json::from_str(&text).map_err(|e| {
            Error::Input(InputError::at(
                &shown,
                e.line(),
                Some((e.column(), None)),
                e.to_string(),
            ))
        })?;
        for (what, names) in [("feature", &m.feature_names), ("task", &m.task_names)] {
            let mut seen = std::collections::HashSet::new();
            if let Some(dup) = names.iter().find(|n| !seen.insert(n.as_str())) {
                return Err(Error::Input(InputError::file(
                    &shown,
                    format!(
                        "the model lists the {what} {dup:?} twice; {what} names must be distinct"
                    ),
                )));
            }
        }
        let (p, t) = (m.feature_names.len(), m.task_names.len());
        let ok = m.coef.len() == p && m.coef.iter().all(|r| r.len() == t) && m.intercept.len() == t;
        if !ok {
            return Err(Error::Input(InputError::file(
                &shown,
                format!(
                    "inconsistent model: coef must be {p} rows of {t} numbers and intercept {t} numbers"
                ),
            )));
        }
        if let Err(e) = m.check() {
            return Err(Error::Input(InputError::file(&shown, e.to_string())));
        }
        Ok(m)
    }
}

impl Fit {
    /// Writes this fit to `path` as MODEL.json ([`ModelFile::from_fit`]),
    /// atomically (a temporary file renamed over `path`, which is replaced).
    ///
    /// ```
    /// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    /// let y = faer::mat![[1.0, 1.0], [0.0, 0.5], [1.0, 1.5]];
    /// let fit = mtreg::MultiTaskLasso::new(0.05).fit(&x, &y)?;
    /// let dir = std::env::temp_dir().join(format!("mtreg-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("model.json");
    /// fit.save(&path)?;
    /// let back = mtreg::Fit::load(&path)?;
    /// assert_eq!(back.predict(&x)?, fit.predict(&x)?);
    /// assert_eq!(back.description(), fit.description());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// Ok::<(), mtreg::Error>(())
    /// ```
    ///
    /// # Errors
    /// `Io` if the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = ModelFile::from_fit(self).to_json();
        crate::io::atomic::write_atomic(path, true, |w| w.write_all(json.as_bytes()))
    }

    /// Reads a fit written by [`save`](Self::save) (or `mtreg solve --model`).
    ///
    /// # Errors
    /// `Input` naming the file if it is unreadable, malformed or inconsistent.
    pub fn load(path: &Path) -> Result<Fit> {
        let file = ModelFile::read(path)?;
        file.to_fit()
            .map_err(|e| Error::Input(InputError::file(path.display().to_string(), e.to_string())))
    }
}
