//! `clustered`: clustered multi-task learning (convex relaxation).

use crate::error::{Error, Result};
use crate::fitted::{ClusterTerm, Description};
use crate::penalty::ClusteredMtl;
use crate::problem::{Apg, PenaltyFamily};
use faer::MatRef;

/// `clustered` (Jacob, Bach & Vert 2008; Zhou, Chen & Ye 2011 — MALSAR's
/// `Least_CMTL(X, Y, ρ1, ρ2, k)`): `c · min_M tr(W (ηI + M)⁻¹ Wᵀ)` over
/// `0 ⪯ M ⪯ I, tr M = k`, with alpha as ρ1, `η = ρ2/ρ1` and
/// `c = ρ1 η (1 + η)`. M relaxes the assignment of the T tasks to k clusters;
/// the fit reports it and the clusters it implies
/// ([`Fit::task_clusters`](crate::Fit::task_clusters)).
///
/// The penalty is smooth: W = 0 is optimal only where the data have no
/// signal, so there is no alpha_max (reported as infinity) and paths and
/// cross-validations need explicit alphas (ρ1 values). It has no sparsity
/// part: `l1_ratio` must be 1.
///
/// ```
/// use mtreg::{GraphMultiTask, estimator::penalties::Clustered};
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [1.0, 3.0]];
/// // tasks 0 and 2 alike, tasks 1 and 3 alike
/// let y = faer::mat![[1.0, -1.0, 1.1, -0.9], [2.0, 0.5, 2.1, 0.4], [3.0, -0.5, 3.1, -0.6],
///                    [4.0, -1.5, 4.0, -1.4], [7.0, 0.5, 7.2, 0.5]];
/// let fit = GraphMultiTask::new(0.5).penalty(Clustered::new(2, 0.05)).tol(1e-10).fit(&x, &y)?;
/// assert_eq!(fit.task_clusters().unwrap().labels(), &[0, 1, 0, 1]);
/// Ok::<(), mtreg::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Clustered {
    k: usize,
    ridge: f64,
}

impl Clustered {
    /// k clusters (1 ≤ k ≤ T) and the ridge ρ2 > 0 (checked when fitting).
    pub fn new(k: usize, ridge: f64) -> Self {
        Self { k, ridge }
    }

    /// k.
    pub fn k(&self) -> usize {
        self.k
    }

    /// ρ2.
    pub fn ridge(&self) -> f64 {
        self.ridge
    }
}

impl PenaltyFamily for Clustered {
    type Penalty = Apg<ClusteredMtl>;

    fn name(&self) -> &str {
        "clustered"
    }

    fn about(&self) -> &str {
        "Clustered MTL: tasks grouped into --clusters k clusters (alpha is the cluster strength)"
    }

    fn penalty(&self, alpha: f64, l1_ratio: f64) -> Result<Apg<ClusteredMtl>> {
        if l1_ratio != 1.0 {
            return Err(Error::Incompatible(format!(
                "the clustered penalty has no sparsity part: l1_ratio must be 1, got {l1_ratio}"
            )));
        }
        if !(self.ridge.is_finite() && self.ridge > 0.0) {
            return Err(Error::InvalidParameter {
                name: "cluster ridge",
                value: self.ridge,
                expected: "finite and > 0",
            });
        }
        Ok(Apg(ClusteredMtl::from_malsar(alpha, self.ridge, self.k)?))
    }

    /// Infinity: the smooth penalty never makes W = 0 optimal (unless the
    /// data have no signal).
    fn alpha_max(&self, _grad0: MatRef<'_, f64>, l1_ratio: f64) -> Result<f64> {
        self.penalty(1.0, l1_ratio)?;
        Ok(f64::INFINITY)
    }

    fn describe(&self, d: &mut Description) {
        d.clusters = Some(ClusterTerm::new(self.k, self.ridge));
    }
}
