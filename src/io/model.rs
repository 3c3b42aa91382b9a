//! MODEL.json: a fitted model with its parameters, certificate and names.
//!
//! Written by `mtreg solve --model`, read by `mtreg predict`. Keys follow
//! DESIGN.md §3; `coef` is p rows of T numbers (one row per feature).

use crate::certificate::Certificate;
use crate::error::{Error, InputError, Result};
use crate::estimator::Fit;
use serde::{Deserialize, Serialize};
use std::path::Path;

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

/// Fit settings recorded alongside the solution.
#[derive(Debug, Clone, Copy)]
pub struct FitSettings {
    /// As passed to the estimator.
    pub fit_intercept: bool,
    /// As passed to the estimator.
    pub standardize: bool,
    /// As passed to the estimator.
    pub tol: f64,
    /// As passed to the estimator.
    pub max_iter: usize,
    /// Training samples.
    pub n_samples: usize,
}

impl ModelFile {
    /// Builds the file contents from a fit and the names of its features and tasks.
    pub fn from_fit(
        fit: &Fit,
        feature_names: Vec<String>,
        task_names: Vec<String>,
        settings: FitSettings,
    ) -> Self {
        let c = fit.coef();
        Self {
            version: VERSION.to_string(),
            model: "multi_task_elastic_net".to_string(),
            feature_names,
            task_names,
            coef: rows(c),
            intercept: fit.intercept().to_vec(),
            alpha: fit.alpha(),
            alpha_max: fit.alpha_max(),
            l1_ratio: fit.l1_ratio(),
            fit_intercept: settings.fit_intercept,
            standardize: settings.standardize,
            tol: settings.tol,
            max_iter: settings.max_iter,
            converged: fit.converged(),
            certificate: fit.certificate(),
            kkt_residual: fit.kkt_residual(),
            dual_gap: fit.dual_gap(),
            objective: fit.objective(),
            n_iter: fit.n_iter(),
            seconds: fit.seconds(),
            n_samples: settings.n_samples,
            gram: fit.used_gram(),
            penalty: default_penalty(),
            n_samples_per_task: None,
            task_weights: None,
            graph_strength: None,
            edges: None,
            pooled: None,
            relation_strength: None,
            sigma: None,
            task_correlation: None,
            relation_objectives: None,
            alpha_min: None,
            alpha_1se: None,
            cv_folds: None,
            cv_select: None,
        }
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
        Ok(m)
    }
}
