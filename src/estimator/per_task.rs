//! Per-task designs: each task t has its own X_t (n_t × p), y_t and weight c_t.
//!
//! ```text
//! P(W) = Σ_t c_t/(2 n_t) ‖y_t − X_t w_t‖² + α ρ Ω(W) + α (1 − ρ)/2 ‖W‖²_F
//! ```
//!
//! With one shared X and `c_t = 1` this is exactly the shared-design objective.

use super::MultiTaskElasticNet;
use super::spec::{ModelSpec, fit_per_task};
use crate::error::Result;
use crate::model::Fit;
use crate::penalty::Sparsity;
use faer::MatRef;

impl MultiTaskElasticNet {
    /// Fits the model with a separate design per task: `xs[t]` is n_t × p (the
    /// same p features for every task), `ys[t]` has n_t targets, and `weights`
    /// (default all 1) are the task weights c_t > 0.
    ///
    /// Intercepts are per task (each task's X_t and y_t are centred by their own
    /// means); standardisation uses the pooled standard deviation of each feature
    /// over all (task-centred) samples. The certificate is the duality gap of the
    /// weighted problem, stopping at `tol · Σ_t c_t ‖y_t‖² / n_t`.
    ///
    /// ```
    /// use mtreg::MultiTaskLasso;
    /// let x0 = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    /// let x1 = faer::mat![[2.0, 1.0], [1.0, 0.0]];
    /// let fit = MultiTaskLasso::new(0.01)
    ///     .fit_tasks(&[x0.as_ref(), x1.as_ref()], &[&[1.0, 0.0, 1.0], &[2.0, 1.0]], None)?;
    /// assert_eq!((fit.coef().nrows(), fit.coef().ncols()), (2, 2));
    /// assert!(fit.certificate().is_satisfied());
    /// Ok::<(), mtreg::Error>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidParameter` (also for a weight ≤ 0), `ShapeMismatch` when the tasks
    /// disagree on p or X_t and y_t on n_t, `EmptyInput`, `NonFinite`, `Overflow`.
    pub fn fit_tasks(
        &self,
        xs: &[MatRef<'_, f64>],
        ys: &[&[f64]],
        weights: Option<&[f64]>,
    ) -> Result<Fit> {
        fit_per_task(
            self,
            &ModelSpec::elastic(Sparsity::Group),
            xs,
            ys,
            weights,
            false,
        )
    }
}
