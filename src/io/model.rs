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
use crate::fitted::{Description, Fit, GraphTerm, LearnedRelations};
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
    /// Smallest alpha giving W = 0 on the training data.
    pub alpha_max: f64,
    /// L21 share of the penalty.
    pub l1_ratio: f64,
    /// Whether intercepts were fitted.
    pub fit_intercept: bool,
    /// Whether X was standardised.
    pub standardize: bool,
    /// Relative tolerance requested.
    pub tol: f64,
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
        let graph = d.graph.as_ref();
        let relations = d.relations.as_ref();
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
            graph_strength: graph.map(|g| g.strength),
            edges: graph.map(|g| g.edges.clone()),
            pooled: d.is_pooled().then_some(true),
            relation_strength: relations.map(|r| r.strength),
            sigma: relations.map(|r| rows(r.sigma.as_ref())),
            task_correlation: relations.map(|r| rows(r.correlation().as_ref())),
            relation_objectives: relations.map(|r| r.objectives.clone()),
            alpha_min: None,
            alpha_1se: None,
            cv_folds: None,
            cv_select: None,
        }
    }

    /// The file of a cross-validation: its refit ([`from_fit`](Self::from_fit))
    /// and the CV fields `alpha_min`, `alpha_1se`, `cv_folds`, `cv_select`.
    pub fn from_cv(cv: &CvResult, select: Select) -> Self {
        let mut file = Self::from_fit(&cv.fit);
        file.alpha_min = Some(cv.alpha_min);
        file.alpha_1se = Some(cv.alpha_1se);
        file.cv_folds = Some(cv.folds.len());
        file.cv_select = Some(
            match select {
                Select::Min => "min",
                Select::OneSe => "1se",
            }
            .to_string(),
        );
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
        d.max_iter = self.max_iter;
        d.n_samples = self.n_samples;
        d.n_samples_per_task = self.n_samples_per_task.clone();
        d.task_weights = self.task_weights.clone();
        d.graph = self
            .graph_strength
            .map(|s| GraphTerm::new(s, self.edges.clone().unwrap_or_default()));
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
        if let Some(s) = &self.sigma
            && !(s.len() == t && s.iter().all(|r| r.len() == t))
        {
            return bad(format!("sigma must be {t} rows of {t} numbers"));
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
