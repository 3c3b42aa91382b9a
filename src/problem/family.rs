//! What a penalty must say to be fitted by the estimators: the
//! [`PenaltyFamily`] (the penalty at each alpha and alpha_max) and, through
//! [`Solve`], which solver minimises it.

use crate::certificate::Certificate;
use crate::datafit::Datafit;
use crate::error::Result;
use crate::fitted::Description;
use crate::penalty::matrix::sum_components;
use crate::penalty::{Penalty, ProxPenalty, Sparsity};
use crate::solver::apg::ApgOptions;
use crate::solver::{self, Solution, SolverOptions, WarmStart};
use faer::{Mat, MatRef};

/// A penalty at one alpha together with the solver that minimises
/// `f(W) + g(W)` for it: the solver-family slot.
///
/// - Block-separable penalties ([`Penalty`]) are solved by working-set block
///   coordinate descent: wrap them in [`Bcd`].
/// - Penalties that are not block-separable (a whole-matrix proximal
///   operator, e.g. the trace norm) implement `Solve` with their own solver
///   (an accelerated proximal gradient over [`Datafit::full_gradient`]), and
///   return the same [`Solution`] with its certificate.
/// - A penalty over several components (`W = Σ_c Z_c`, e.g. shared +
///   task-specific parts) iterates on the stacked `Z` (T × k·p): it maps the
///   model's start into it ([`lift`](Solve::lift)) and its iterate back to W
///   ([`combine`](Solve::combine)).
///
/// The estimators' sweep calls [`solve`](Solve::solve) once per alpha,
/// warm-started at the previous solution's iterate on the same datafit.
pub trait Solve {
    /// Minimises `f + g` from the iterate `wt` (the prepared scale; T × p, or
    /// as [`lift`](Solve::lift) made it). `warm` is the previous
    /// [`Solution::warm`] on the same datafit at the same `wt` (only the
    /// penalty changed), or `None`.
    ///
    /// # Errors
    /// A failure of the solver's own linear algebra (`Linalg`).
    fn solve<D: Datafit>(
        &self,
        opts: &SolverOptions,
        datafit: &mut D,
        wt: Mat<f64>,
        warm: Option<WarmStart>,
    ) -> Result<Solution>;

    /// The solution when W = 0 is known to be optimal (alpha ≥ alpha_max):
    /// `wt` is zero; certify it without iterating. The default solves.
    ///
    /// # Errors
    /// As [`solve`](Solve::solve).
    fn solve_at_zero<D: Datafit>(
        &self,
        opts: &SolverOptions,
        datafit: &mut D,
        wt: Mat<f64>,
    ) -> Result<Solution> {
        self.solve(opts, datafit, wt, None)
    }

    /// The solver's first iterate for model coefficients `wt` (T × p, the
    /// prepared scale; zero or a warm start): `wt` itself (the default), or
    /// a stacked multi-component iterate.
    fn lift(&self, wt: Mat<f64>) -> Mat<f64> {
        wt
    }

    /// The model coefficients W (T × p) of a solver iterate when they differ
    /// from it (the sum of the components); `None` (the default): the iterate
    /// is W.
    fn combine(&self, iterate: MatRef<'_, f64>) -> Option<Mat<f64>> {
        let _ = iterate;
        None
    }

    /// What the solution says beyond W, from the solver's final iterate (the
    /// prepared scale): its named components, a learned task matrix. The
    /// sweep maps them to the original scale and stores them in the
    /// [`Fit`](crate::Fit). The default: nothing.
    ///
    /// # Errors
    /// A failure of the linear algebra (`Linalg`).
    fn details(&self, iterate: MatRef<'_, f64>) -> Result<Details> {
        let _ = iterate;
        Ok(Details::default())
    }
}

/// What a solution reports beyond W ([`Solve::details`]), on the prepared
/// scale.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Details {
    /// Named components `Z_c` (T × p each) with `W = Σ_c Z_c`.
    pub components: Vec<(String, Mat<f64>)>,
    /// A learned T × T task matrix and the number of clusters it encodes
    /// (clustered MTL's M and k).
    pub task_matrix: Option<(Mat<f64>, usize)>,
}

impl Details {
    /// Components `Z_c` named `names`, with no task matrix.
    pub fn components(components: Vec<(String, Mat<f64>)>) -> Self {
        Self {
            components,
            task_matrix: None,
        }
    }
}

/// A block-separable [`Penalty`] solved by working-set block coordinate
/// descent ([`solver::solve_from`]).
#[derive(Debug, Clone)]
pub struct Bcd<P>(pub P);

impl<P: Penalty> Solve for Bcd<P> {
    fn solve<D: Datafit>(
        &self,
        opts: &SolverOptions,
        datafit: &mut D,
        wt: Mat<f64>,
        warm: Option<WarmStart>,
    ) -> Result<Solution> {
        Ok(solver::solve_from(opts, datafit, &self.0, wt, warm))
    }

    /// The certificate of W = 0 from one full gradient; no epoch is run, so
    /// rounding cannot leave tiny non-zeros.
    fn solve_at_zero<D: Datafit>(
        &self,
        opts: &SolverOptions,
        d: &mut D,
        wt: Mat<f64>,
    ) -> Result<Solution> {
        let penalty = &self.0;
        d.init_state(wt.as_ref());
        let mut grad = Mat::zeros(wt.nrows(), wt.ncols());
        d.full_gradient(grad.as_mut());
        let cert = solver::certificate(d, penalty, grad.as_ref(), wt.as_ref(), opts);
        let objective = d.value(wt.as_ref()) + penalty.value(wt.as_ref());
        let value = cert.value().max(0.0);
        Ok(Solution {
            certificate: match cert {
                Certificate::DualGap { tol, .. } => Certificate::DualGap { value, tol },
                Certificate::Kkt { tol, .. } => Certificate::Kkt { value, tol },
            },
            objective,
            n_iter: 0,
            converged: true,
            trace: if opts.trace { vec![(0, value)] } else { vec![] },
            kkt: solver::gap::kkt_residual(penalty, grad.as_ref(), wt.as_ref()),
            gap: solver::any_gap(d, penalty, grad.as_ref(), wt.as_ref()).map(|g| g.max(0.0)),
            wt,
            warm: WarmStart::exact(grad),
            screened: Vec::new(),
        })
    }
}

/// A whole-matrix penalty ([`ProxPenalty`]: trace norm, shared + specific
/// splits, …) solved by accelerated proximal gradient ([`solver::apg`]), on
/// its stacked iterate when it has several components.
#[derive(Debug, Clone)]
pub struct Apg<P>(pub P);

impl<P: ProxPenalty> Solve for Apg<P> {
    /// One APG solve; along a path, `warm` carries the previous solve's
    /// Lipschitz estimate (same datafit), which saves the power iteration
    /// and most backtracking.
    fn solve<D: Datafit>(
        &self,
        opts: &SolverOptions,
        datafit: &mut D,
        zt: Mat<f64>,
        warm: Option<WarmStart>,
    ) -> Result<Solution> {
        let apg = ApgOptions {
            tol: opts.tol,
            kkt_tol: opts.kkt_tol,
            max_iter: opts.max_iter,
            trace: opts.trace,
            monitor: opts.monitor.clone(),
            lipschitz: warm
                .and_then(|w| w.lipschitz)
                .filter(|l| l.is_finite() && *l > 0.0),
            ..ApgOptions::default()
        };
        solver::apg::solve(&apg, datafit, &self.0, zt)
    }

    /// `[W 0 … 0]`: the start in the first component.
    fn lift(&self, wt: Mat<f64>) -> Mat<f64> {
        let k = self.0.n_components();
        if k == 1 {
            return wt;
        }
        let (t, p) = (wt.nrows(), wt.ncols());
        Mat::from_fn(t, k * p, |r, c| if c < p { wt[(r, c)] } else { 0.0 })
    }

    /// `W = Σ_c Z_c`.
    fn combine(&self, zt: MatRef<'_, f64>) -> Option<Mat<f64>> {
        let k = self.0.n_components();
        (k > 1).then(|| {
            let mut w = Mat::zeros(zt.nrows(), zt.ncols() / k);
            sum_components(zt, k, w.as_mut());
            w
        })
    }

    /// The components named by [`ProxPenalty::component_names`] (when there
    /// are several) and [`ProxPenalty::task_matrix`].
    fn details(&self, zt: MatRef<'_, f64>) -> Result<Details> {
        let k = self.0.n_components();
        let names = self.0.component_names();
        let components = if k > 1 {
            let p = zt.ncols() / k;
            (0..k)
                .map(|c| {
                    let name = names
                        .get(c)
                        .map_or_else(|| format!("component{c}"), |n| (*n).to_string());
                    (name, zt.subcols(c * p, p).to_owned())
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(Details {
            components,
            task_matrix: self.0.task_matrix(zt)?,
        })
    }
}

/// A family of penalties indexed by the regularisation strength alpha (and
/// the estimator's `l1_ratio` ρ): what the estimators, paths and
/// cross-validations fit. Implement it (with [`Solve`] on its
/// [`Penalty`](PenaltyFamily::Penalty)) to fit a new penalty; register it in
/// [`crate::estimator::penalties`] to give it a name in the CLI. See
/// `docs/extending.md`.
///
/// ```
/// use mtreg::problem::{Bcd, PenaltyFamily};
/// use mtreg::penalty::L21;
/// /// The multi-task elastic net's penalty, as the built-in `l21`.
/// #[derive(Debug)]
/// struct MyL21;
/// impl PenaltyFamily for MyL21 {
///     type Penalty = Bcd<L21>;
///     fn name(&self) -> &str { "my_l21" }
///     fn penalty(&self, alpha: f64, l1_ratio: f64) -> mtreg::Result<Bcd<L21>> {
///         Ok(Bcd(L21::new(alpha, l1_ratio)))
///     }
///     fn alpha_max(&self, grad0: faer::MatRef<'_, f64>, l1_ratio: f64) -> mtreg::Result<f64> {
///         // the largest dual norm (here ‖·‖₂) of a gradient block, over ρ
///         Ok((0..grad0.ncols()).map(|j| grad0.col(j).norm_l2()).fold(0.0, f64::max) / l1_ratio)
///     }
/// }
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
/// let y = faer::mat![[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]];
/// let fit = mtreg::GraphMultiTask::new(0.05).penalty(MyL21).fit(&x, &y)?;
/// assert_eq!(fit.description().penalty, "my_l21");
/// Ok::<(), mtreg::Error>(())
/// ```
pub trait PenaltyFamily: std::fmt::Debug + Send + Sync + 'static {
    /// The penalty at one alpha, with its solver.
    type Penalty: Solve;

    /// Short name: the `penalty` of MODEL.json, `--penalty NAME` in the CLI.
    fn name(&self) -> &str;

    /// One line for the CLI's help.
    fn about(&self) -> &str {
        ""
    }

    /// The penalty at `alpha` with mixing parameter `l1_ratio` (ρ ∈ (0, 1]).
    ///
    /// # Errors
    /// Whatever building it can fail with (e.g. `Linalg`).
    fn penalty(&self, alpha: f64, l1_ratio: f64) -> Result<Self::Penalty>;

    /// The smallest alpha at which W = 0 is optimal, from `grad0 = −∇f(0)`
    /// (T × p, one column per feature row): the dual norm of the sparsity
    /// part at `grad0`, over `l1_ratio`.
    ///
    /// # Errors
    /// A failure of the dual norm's linear algebra (an SVD).
    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> Result<f64>;

    /// `Some(Ω)` when the penalty is `α ρ Ω(W) + α (1 − ρ)/2 ‖W‖²_F` with Ω
    /// the row norm L21 or the entrywise L1: then it also has a task-coupled
    /// form (task graphs, learned relations) and a pooled form. `None`
    /// (the default): neither.
    fn sparsity(&self) -> Option<Sparsity> {
        None
    }

    /// Records the family's own parameters (beyond alpha and `l1_ratio`) in
    /// the description its fits carry and MODEL.json keeps, e.g. the dirty
    /// model's `alpha_specific_ratio`. The default records nothing.
    fn describe(&self, description: &mut Description) {
        let _ = description;
    }
}

/// `max_j Ω*(column j of grad0) / ρ`, the alpha_max of an elastic-type
/// penalty with norm Ω.
pub(crate) fn elastic_alpha_max(sparsity: Sparsity, grad0: MatRef<'_, f64>, l1_ratio: f64) -> f64 {
    let mut col = vec![0.0; grad0.nrows()];
    let mut best = 0.0f64;
    for j in 0..grad0.ncols() {
        for (k, v) in col.iter_mut().enumerate() {
            *v = grad0[(k, j)];
        }
        best = best.max(sparsity.block_dual_norm(&col));
    }
    best / l1_ratio
}
