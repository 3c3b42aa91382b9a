//! The block coordinate-descent solver, generic over [`Datafit`] and [`Penalty`].
//!
//! ```text
//! minimise over W (p × T):   f(W) + g(W),   g(W) = Σ_j g_j(w_j)
//! ```
//!
//! Algorithm (working-set BCD, after Massias, Gramfort & Salmon, *Celer*,
//! arXiv:1802.07481, and Bertrand et al., *skglm*, arXiv:2204.07826):
//!
//! 1. **Outer iteration.** Re-synchronise the datafit state with W (washing out
//!    rounding drift; every `RESYNC_EVERY` checks), compute the full gradient
//!    `∇f(W)` as one matrix product, and the certificate: the duality gap
//!    when the datafit and penalty have a closed-form dual
//!    ([`gap::duality_gap`]), otherwise the KKT residual
//!    ([`gap::kkt_residual`]). Stop when it is `≤ tol`.
//! 2. **Working set.** Score each block by its optimality violation; keep the
//!    support plus the worst violators ([`working_set`]).
//! 3. **Inner loop.** Exact block-minimisation epochs ([`Datafit::epoch`]) over the
//!    working set until its (free, pre-update) violation falls below
//!    `inner_ratio ×` the outer violation (or after `INNER_MAX_EPOCHS`
//!    epochs), then back to 1.
//!
//! **Why Wᵀ.** The iterate is stored as `wt = Wᵀ` (T × p, column-major) so that
//! the block `w_j` touched by every step is one contiguous slice, as in
//! scikit-learn's kernel (which keeps `W` as (n_tasks, n_features) in Fortran
//! order). Users see p × T.
//!
//! `n_iter` counts epochs (as scikit-learn's `n_iter_`), whatever their size.

pub mod anderson;
pub mod apg;
mod check;
pub mod gap;
pub mod gradient;
mod outer;
pub mod screening;
pub mod strategy;
mod subproblem;
pub mod working_set;

pub use gradient::{Reference, WarmStart};

use crate::certificate::Certificate;
use crate::datafit::Datafit;
use crate::penalty::Penalty;
use faer::Mat;

/// Order in which blocks are visited within an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Selection {
    /// In increasing feature index (scikit-learn's default).
    #[default]
    Cyclic,
    /// A fresh seeded random permutation every epoch (reproducible; scikit-learn
    /// draws features with replacement instead).
    Random {
        /// Seed of the ChaCha8 stream.
        seed: u64,
    },
}

/// What the solver reports at each outer check (see [`Monitor`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Epochs run so far.
    pub n_iter: usize,
    /// Epoch budget.
    pub max_iter: usize,
    /// Current certificate value.
    pub certificate: f64,
    /// The threshold it must reach.
    pub tol: f64,
}

/// A callback run at every outer check (progress bars, logging). Returning
/// `false` stops the solver early (reported as not converged).
#[derive(Clone)]
pub struct Monitor(pub std::sync::Arc<dyn Fn(&Progress) -> bool + Send + Sync>);

impl Monitor {
    /// Wraps a closure.
    pub fn new(f: impl Fn(&Progress) -> bool + Send + Sync + 'static) -> Self {
        Self(std::sync::Arc::new(f))
    }
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Monitor(..)")
    }
}

/// Options of [`solve`].
#[derive(Debug, Clone)]
pub struct SolverOptions {
    /// Absolute stopping threshold on the duality gap (the estimators set
    /// `tol · ‖Y‖²_F / n`).
    pub tol: f64,
    /// Absolute stopping threshold on the KKT residual, used when no duality gap
    /// is available (the estimators set `tol · ρ · alpha_max`).
    pub kkt_tol: f64,
    /// Maximum number of epochs.
    pub max_iter: usize,
    /// Use working sets (otherwise every epoch visits every block).
    pub working_set: bool,
    /// Initial working-set size (0: the cost model's,
    /// [`strategy::first_working_set`]).
    pub ws_start: usize,
    /// The inner loop stops when its violation is below this fraction of the
    /// outer one (0: the cost model's, [`strategy::inner_ratio`]).
    pub inner_ratio: f64,
    /// Block order.
    pub selection: Selection,
    /// Record `(epochs so far, certificate)` at each outer check.
    pub trace: bool,
    /// Anderson extrapolation every this many inner epochs (`None`: off).
    pub anderson: Option<usize>,
    /// Epochs of a solve before its iterates enter the Anderson history (0:
    /// from the first). A warm-started solve along a path that converges
    /// within them pays for no trial; a longer one is extrapolated from
    /// then on.
    pub anderson_after: usize,
    /// Called at each outer check.
    pub monitor: Option<Monitor>,
    /// Gap-safe screening at each outer check ([`screening`]); used when the
    /// penalty has a closed-form dual and the datafit
    /// [supports it](Datafit::supports_screening).
    pub screening: bool,
    /// How inner solves run: `None` lets the cost model choose
    /// ([`strategy::inner_mode`]); `Some` forces one mode wherever the datafit
    /// supports it (tests, benchmarks).
    pub inner_mode: Option<strategy::InnerMode>,
    /// Tasks for the split products (full gradients, residual epochs' block
    /// products over samples) of a single fit, run
    /// in the current rayon pool ([`Datafit::set_threads`]); 1: sequential.
    pub threads: usize,
}

impl Default for SolverOptions {
    fn default() -> Self {
        Self {
            tol: 1e-10,
            kkt_tol: 1e-10,
            max_iter: 1000,
            working_set: true,
            ws_start: 0,
            inner_ratio: 0.0,
            selection: Selection::Cyclic,
            trace: false,
            anderson: Some(5),
            anderson_after: 0,
            monitor: None,
            screening: true,
            inner_mode: None,
            threads: 1,
        }
    }
}

/// What [`solve`] returns: the iterate and how good it is.
#[derive(Debug, Clone)]
pub struct Solution {
    /// `Wᵀ` (T × p).
    pub wt: Mat<f64>,
    /// The certificate at `wt`.
    pub certificate: Certificate,
    /// `f(W) + g(W)`.
    pub objective: f64,
    /// Epochs run.
    pub n_iter: usize,
    /// Whether the certificate met the tolerance (false: stopped on `max_iter`).
    pub converged: bool,
    /// `(epochs, certificate value)` at each outer check, if traced.
    pub trace: Vec<(usize, f64)>,
    /// The KKT residual `max_j dist(−∇_j f, ∂g_j(w_j))` at `wt`, whatever the
    /// certificate.
    pub kkt: f64,
    /// A duality gap at `wt` when one is available: the certificate's for
    /// elastic penalties, the Fenchel gap for positive-definite couplings.
    pub gap: Option<f64>,
    /// The gradient state the certificate was computed from; pass it to
    /// [`solve_from`] to restart at `wt` without a full matrix product.
    pub warm: WarmStart,
    /// Rows removed by gap-safe screening during the solve, in increasing
    /// order (empty when screening is off or not applicable): each is zero at
    /// every optimum.
    pub screened: Vec<usize>,
}

/// The duality gap at `wt` if the pair has one (see [`Solution::gap`]).
pub fn any_gap<D: Datafit, P: Penalty>(
    datafit: &D,
    penalty: &P,
    grad: faer::MatRef<'_, f64>,
    wt: faer::MatRef<'_, f64>,
) -> Option<f64> {
    let stats = datafit.residual_stats(wt)?;
    match penalty.elastic_form() {
        Some(form) => Some(gap::duality_gap(&stats, &form, grad, wt)),
        None => gap::fenchel_gap(&stats, penalty, grad, wt),
    }
}

/// The stopping certificate of `wt` given its full gradient: the duality gap
/// (threshold `opts.tol`) for elastic penalties (scikit-learn's formula), else
/// the KKT residual (threshold `opts.kkt_tol`). Coupled models stop on the KKT
/// residual and additionally report the Fenchel gap when their coupling is
/// positive definite ([`Solution::gap`]).
pub fn certificate<D: Datafit, P: Penalty>(
    datafit: &D,
    penalty: &P,
    grad: faer::MatRef<'_, f64>,
    wt: faer::MatRef<'_, f64>,
    opts: &SolverOptions,
) -> Certificate {
    certify(datafit, penalty, grad, wt, opts).0
}

/// What gap-safe screening needs from a duality-gap certificate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DualPoint {
    /// Dual scaling `s` of the gap's dual point.
    pub(crate) scale: f64,
    /// `‖Y‖²/n` (the scale of the gap's rounding).
    pub(crate) y_sq: f64,
}

/// [`certificate`], and the gap's dual point when the certificate is the
/// duality gap.
pub(crate) fn certify<D: Datafit, P: Penalty>(
    datafit: &D,
    penalty: &P,
    grad: faer::MatRef<'_, f64>,
    wt: faer::MatRef<'_, f64>,
    opts: &SolverOptions,
) -> (Certificate, Option<DualPoint>) {
    match (penalty.elastic_form(), datafit.residual_stats(wt)) {
        (Some(form), Some(stats)) => {
            let (value, scale) = gap::duality_gap_scaled(&stats, &form, grad, wt);
            let dual = DualPoint {
                scale,
                y_sq: stats.y_sq,
            };
            let cert = Certificate::DualGap {
                value,
                tol: opts.tol,
            };
            (cert, Some(dual))
        }
        _ => (
            Certificate::Kkt {
                value: gap::kkt_residual(penalty, grad, wt),
                tol: opts.kkt_tol,
            },
            None,
        ),
    }
}

/// Minimises `f + g` from the starting point `wt` (T × p).
///
/// The datafit's state is re-initialised from `wt`, so a datafit can be reused
/// across calls (warm starts along a path).
///
/// # Panics
/// If `wt` is not `n_tasks × n_features` of the datafit (programmer error).
#[track_caller]
pub fn solve<D: Datafit, P: Penalty>(
    opts: &SolverOptions,
    datafit: &mut D,
    penalty: &P,
    wt: Mat<f64>,
) -> Solution {
    solve_from(opts, datafit, penalty, wt, None)
}

/// Outer iterations between two re-synchronisations of the datafit state with
/// W (the incremental residual updates drift by rounding; the drift after a few
/// hundred epochs is far below any tolerance, so this is cheap insurance).
const RESYNC_EVERY: usize = 8;

/// Epochs after which an inner solve returns to the outer loop even if its
/// tolerance is not met (a check, which re-synchronises the state every
/// [`RESYNC_EVERY`] checks, and a new working set): an
/// inner tolerance below the rounding of a drifted state is never met, and
/// such a solve ran to `max_iter` without a check, then reported a gap
/// computed on drifted residuals (5·10⁻¹⁵ where the recomputed gap was
/// 2.7·10⁻¹³).
const INNER_MAX_EPOCHS: usize = 100;

impl Solution {
    /// Moves the warm state out (to pass to the next [`solve_from`]), leaving
    /// an empty one.
    pub fn take_warm(&mut self) -> WarmStart {
        std::mem::replace(&mut self.warm, WarmStart::exact(Mat::new()))
    }
}

/// [`solve`] with an optional warm state, which must come from the previous
/// [`Solution::warm`] on the same datafit and the same `wt`, only the penalty
/// having changed (a regularisation path). The first outer check then costs no
/// full matrix product.
///
/// **Skipped gradients.** For penalties with a closed-form dual
/// ([`Penalty::elastic_form`]) and datafits that bound their gradient drift
/// ([`Datafit::drift`]), an outer check recomputes only the blocks that can
/// matter; the certificate is exactly the one a full gradient would give (see
/// [`gradient`]).
///
/// **Gap-safe screening** ([`screening`], with [`SolverOptions::screening`]).
/// At each check, zero rows that the gap-safe sphere excludes are removed from
/// the working set, and their gradient blocks are not recomputed (they count
/// as certified) for the rest of the solve. Before stopping, any screened block
/// the drift bound does not certify is computed, so the returned certificate
/// is the duality gap of the full problem, as without screening.
///
/// # Panics
/// If `wt` (or the warm gradient) is not `n_tasks × n_features`.
#[track_caller]
pub fn solve_from<D: Datafit, P: Penalty>(
    opts: &SolverOptions,
    datafit: &mut D,
    penalty: &P,
    wt: Mat<f64>,
    warm_start: Option<WarmStart>,
) -> Solution {
    outer::Outer::new(opts, datafit, penalty, wt, warm_start).run()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datafit::Quadratic;
    use crate::penalty::{L1, L21};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// alpha_max of the group Lasso on `d`'s data: the largest gradient block
    /// norm at zero.
    fn group_alpha_max(d: &mut Quadratic) -> f64 {
        let (t, p) = (d.n_tasks(), d.n_features());
        let mut g0 = Mat::<f64>::zeros(t, p);
        d.init_state(Mat::<f64>::zeros(t, p).as_ref());
        d.full_gradient(g0.as_mut());
        (0..p)
            .map(|j| crate::linalg::norm(g0.col_as_slice(j)))
            .fold(0.0, f64::max)
    }

    /// The certificate and KKT residual of `wt` from a fresh datafit on `d`'s
    /// data and a full gradient (no state shared with the solve).
    fn fresh_certificate<P: Penalty>(
        d: &Quadratic,
        pen: &P,
        wt: &Mat<f64>,
        opts: &SolverOptions,
    ) -> (Certificate, f64) {
        let mut fresh = Quadratic::new(d.x().to_owned(), d.y().to_owned());
        fresh.init_state(wt.as_ref());
        let mut g = Mat::<f64>::zeros(wt.nrows(), wt.ncols());
        fresh.full_gradient(g.as_mut());
        (
            certificate(&fresh, pen, g.as_ref(), wt.as_ref(), opts),
            gap::kkt_residual(pen, g.as_ref(), wt.as_ref()),
        )
    }

    /// The solve converged, and its certificate and KKT residual are those of
    /// a full gradient recomputed from scratch at its iterate (`r`: the
    /// alpha ratio, for the message).
    fn assert_fresh_certificate<P: Penalty>(
        d: &Quadratic,
        pen: &P,
        sol: &Solution,
        opts: &SolverOptions,
        r: f64,
    ) {
        let (cert, kkt) = fresh_certificate(d, pen, &sol.wt, opts);
        let (a, b) = (sol.certificate.value(), cert.value());
        assert!(
            sol.converged && b <= opts.tol,
            "gap {b} at {r} ({} epochs, converged {})",
            sol.n_iter,
            sol.converged
        );
        assert!(
            (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
            "gap {a} vs {b} at {r}"
        );
        assert!(
            (sol.kkt - kkt).abs() <= 1e-9 * (1.0 + kkt),
            "kkt {} vs {kkt} at {r}",
            sol.kkt
        );
    }

    /// Along a warm-started path, the certificate and KKT residual computed with
    /// skipped gradient blocks equal those of a full gradient at the returned
    /// iterate. (Checked to fail when the drift term of the bound is dropped.)
    fn skipped_gradients_are_exact<P: Penalty>(make: impl Fn(f64) -> P, seed: u64) {
        let (n, p, t) = (60, 400, 6);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Mat::from_fn(n, p, |_, _| rng.random::<f64>() - 0.5);
        let w_true = Mat::from_fn(p, t, |j, _| if j < 8 { 2.0 } else { 0.0 });
        let y = Mat::from_fn(n, t, |i, k| {
            (0..p).map(|j| x[(i, j)] * w_true[(j, k)]).sum::<f64>() + rng.random::<f64>() - 0.5
        });
        let mut d = Quadratic::new(x, y);
        let opts = SolverOptions {
            tol: 1e-9,
            kkt_tol: 1e-9,
            anderson: None,
            ..SolverOptions::default()
        };
        let amax = group_alpha_max(&mut d);
        let mut wt = Mat::<f64>::zeros(t, p);
        let mut warm: Option<WarmStart> = None;
        for r in [0.9, 0.7, 0.5, 0.3, 0.2, 0.1, 0.05] {
            let pen = make(r * amax);
            let sol = solve_from(&opts, &mut d, &pen, wt, warm.take());
            assert_fresh_certificate(&d, &pen, &sol, &opts, r);
            wt = sol.wt.clone();
            warm = Some(sol.warm);
        }
    }

    /// Gap-safe screening removes rows (the test is not vacuous), every
    /// screened row is zero at a tight reference optimum, and the certificate
    /// is the full duality gap. (Checked to fail when the sphere radius is
    /// dropped from the test.)
    fn screening_is_safe<P: Penalty>(make: impl Fn(f64) -> P, seed: u64) {
        let (n, p, t) = (50, 300, 4);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Mat::from_fn(n, p, |_, _| rng.random::<f64>() - 0.5);
        let y = Mat::from_fn(n, t, |i, k| {
            (0..6)
                .map(|j| x[(i, j)] * (1.0 + (j + k) as f64))
                .sum::<f64>()
                + 0.3 * (rng.random::<f64>() - 0.5)
        });
        let y_sq = crate::linalg::sq_norm_mat(y.as_ref()) / n as f64;
        let mut d = Quadratic::new(x, y);
        let amax = group_alpha_max(&mut d);
        for r in [0.5, 0.2, 0.05] {
            let pen = make(r * amax);
            let opts = SolverOptions {
                tol: 1e-10 * y_sq,
                anderson: None,
                ..SolverOptions::default()
            };
            let sol = solve(&opts, &mut d, &pen, Mat::zeros(t, p));
            assert!(sol.converged);
            assert!(!sol.screened.is_empty(), "nothing screened at {r}");
            let exact = SolverOptions {
                tol: 1e-15 * y_sq,
                screening: false,
                max_iter: 100_000,
                ..opts.clone()
            };
            let reference = solve(&exact, &mut d, &pen, Mat::zeros(t, p));
            for &j in &sol.screened {
                assert!(
                    reference.wt.col(j).iter().all(|&v| v == 0.0),
                    "screened row {j} is active at {r}"
                );
                assert!(sol.wt.col(j).iter().all(|&v| v == 0.0));
            }
            let (cert, _) = fresh_certificate(&d, &pen, &sol.wt, &opts);
            let (a, b) = (sol.certificate.value(), cert.value());
            assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()), "gap {a} vs {b}");
            assert!(sol.objective - reference.objective <= a * (1.0 + 1e-9) + 1e-15);
        }
    }

    /// Anderson's history survives the checks between inner solves over the
    /// same working set: with short inner solves (fewer epochs than its
    /// history needs, as on dense solutions) extrapolation still runs and
    /// saves epochs, and the certified solution is the one without it, with
    /// residual epochs, working-set Gram subproblems and the full Gram
    /// datafit (a trial's state is tested in `outer`). (Checked to
    /// fail when the history is reset at every inner solve.)
    #[test]
    fn anderson_spans_inner_solves_over_the_same_working_set() {
        let (x, y) = slow_descent_problem();
        let (p, t) = (x.ncols(), y.ncols());
        let mut reference = Quadratic::new(x.clone(), y.clone());
        let pen = L21::new(1e-2 * group_alpha_max(&mut reference), 1.0);
        let short = SolverOptions {
            tol: 1e-10,
            max_iter: 100_000,
            inner_ratio: 0.5,
            ..SolverOptions::default()
        };
        let plain = SolverOptions {
            anderson: None,
            ..short.clone()
        };
        let check = |with: Solution, without: Solution| {
            assert!(with.converged && without.converged);
            assert!(
                with.n_iter * 4 < without.n_iter * 3,
                "epochs with Anderson {} vs without {}",
                with.n_iter,
                without.n_iter
            );
            let (cert, _) = fresh_certificate(&reference, &pen, &with.wt, &short);
            let (a, b) = (with.certificate.value(), cert.value());
            assert!(b <= short.tol, "gap {b}");
            assert!((a - b).abs() <= 1e-12 * (1.0 + b), "gap {a} vs {b}");
            assert!((with.objective - without.objective).abs() <= 2.0 * short.tol);
        };
        // residual epochs and working-set Gram subproblems, forced
        for mode in [
            strategy::InnerMode::Epochs,
            strategy::InnerMode::WorkingSetGram,
        ] {
            let mut d = Quadratic::new(x.clone(), y.clone());
            let on = SolverOptions {
                inner_mode: Some(mode),
                ..short.clone()
            };
            let off = SolverOptions {
                anderson: None,
                ..on.clone()
            };
            let with = solve(&on, &mut d, &pen, Mat::zeros(t, p));
            let without = solve(&off, &mut d, &pen, Mat::zeros(t, p));
            check(with, without);
        }
        let mut g = crate::datafit::Gram::new(x.as_ref(), y.as_ref());
        let with = solve(&short, &mut g, &pen, Mat::zeros(t, p));
        let without = solve(&plain, &mut g, &pen, Mat::zeros(t, p));
        check(with, without);
    }

    /// 120 × 60 × 5 with correlated columns: a slow, nearly linear coordinate
    /// descent (hundreds of epochs at 0.01·alpha_max, tol 1e-10).
    fn slow_descent_problem() -> (Mat<f64>, Mat<f64>) {
        let (n, p, t) = (120, 60, 5);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let z = Mat::from_fn(n, 1, |_, _| rng.random::<f64>() - 0.5);
        let x = Mat::from_fn(n, p, |i, _| {
            0.5 * z[(i, 0)] + 0.5 * (rng.random::<f64>() - 0.5)
        });
        let y = Mat::from_fn(n, t, |i, k| {
            (0..p)
                .map(|j| x[(i, j)] * (1.0 + ((j + k) % 5) as f64))
                .sum::<f64>()
                + rng.random::<f64>()
                - 0.5
        });
        (x, y)
    }

    /// `anderson_after` delays the history: a delay as long as the solve
    /// (its last iterate enters the history, no trial runs) leaves every epoch and the iterate those of a solve without
    /// extrapolation; a shorter one saves epochs, with the certified
    /// solution unchanged. (Checked to fail when the delay is ignored.)
    #[test]
    fn anderson_after_delays_extrapolation() {
        let (x, y) = slow_descent_problem();
        let (p, t) = (x.ncols(), y.ncols());
        let mut d = Quadratic::new(x, y);
        let pen = L21::new(1e-2 * group_alpha_max(&mut d), 1.0);
        let plain = SolverOptions {
            tol: 1e-10,
            max_iter: 100_000,
            anderson: None,
            ..SolverOptions::default()
        };
        let without = solve(&plain, &mut d, &pen, Mat::zeros(t, p));
        assert!(
            without.converged && without.n_iter > 60,
            "{} epochs",
            without.n_iter
        );
        let late = SolverOptions {
            anderson: Some(5),
            anderson_after: without.n_iter,
            ..plain.clone()
        };
        let never = solve(&late, &mut d, &pen, Mat::zeros(t, p));
        assert_eq!(never.n_iter, without.n_iter);
        assert!(
            never.wt == without.wt,
            "a delayed history moved the iterate"
        );
        let delayed = SolverOptions {
            anderson_after: 20,
            ..late
        };
        let with = solve(&delayed, &mut d, &pen, Mat::zeros(t, p));
        assert!(with.converged && with.certificate.value() <= plain.tol);
        assert!(
            with.n_iter * 4 < without.n_iter * 3,
            "epochs with a delayed history {} vs without {}",
            with.n_iter,
            without.n_iter
        );
        assert!((with.objective - without.objective).abs() <= 2.0 * plain.tol);
    }

    /// Working-set Gram inner solves on a dense solution: after each commit
    /// the working set's gradient comes from the subproblem and the check
    /// computes only the other blocks. The certificate and KKT residual equal
    /// those of a full gradient at the returned iterate, cold and warm.
    /// (Checked to fail when the preset takes the subproblem's gradient with
    /// the wrong sign.)
    #[test]
    fn working_set_gradients_from_the_subproblem_keep_the_certificate_exact() {
        let (n, p, t) = (200, 40, 5);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let x = Mat::from_fn(n, p, |_, _| rng.random::<f64>() - 0.5);
        let y = Mat::from_fn(n, t, |i, k| {
            (0..p)
                .map(|j| x[(i, j)] * (((j * 7 + k) % 11) as f64 - 5.0))
                .sum::<f64>()
                + rng.random::<f64>()
                - 0.5
        });
        let mut d = Quadratic::new(x, y);
        let opts = SolverOptions {
            tol: 1e-10,
            max_iter: 100_000,
            inner_mode: Some(strategy::InnerMode::WorkingSetGram),
            ws_start: 10,
            ..SolverOptions::default()
        };
        let amax = group_alpha_max(&mut d);
        let mut wt = Mat::<f64>::zeros(t, p);
        let mut warm: Option<WarmStart> = None;
        let mut dense = 0;
        for r in [0.3, 0.1, 0.03, 0.01] {
            let pen = L21::new(r * amax, 1.0);
            let cold = solve(&opts, &mut d, &pen, Mat::zeros(t, p));
            let sol = solve_from(&opts, &mut d, &pen, wt, warm.take());
            for s in [&cold, &sol] {
                assert_fresh_certificate(&d, &pen, s, &opts, r);
            }
            dense = dense.max(
                (0..p)
                    .filter(|&j| sol.wt.col(j).iter().any(|&v| v != 0.0))
                    .count(),
            );
            wt = sol.wt.clone();
            warm = Some(sol.warm);
        }
        assert!(2 * dense > p, "the solutions must be dense ({dense} rows)");
    }

    #[test]
    fn gap_safe_screening_is_safe_and_keeps_the_full_certificate() {
        for seed in 0..3 {
            screening_is_safe(|a| L21::new(a, 1.0), seed);
            screening_is_safe(|a| L21::new(a, 0.7), seed);
            screening_is_safe(|a| L1::new(a / 2.0, 1.0), seed);
        }
    }

    /// Along a warm-started path, each solve that ran epochs reports its
    /// support's growth (final support minus the starting one) and a solve
    /// that ran none carries the forecast it was given; the first working
    /// sets that forecast sizes leave every point certified, at the
    /// objective of the same path solved with the doubled support. (Checked
    /// to fail when `finish` drops the growth.)
    #[test]
    fn warm_solves_report_and_carry_their_support_growth() {
        let (n, p, t) = (60, 400, 6);
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let x = Mat::from_fn(n, p, |_, _| rng.random::<f64>() - 0.5);
        let y = Mat::from_fn(n, t, |i, k| {
            (0..40)
                .map(|j| x[(i, j)] * (1.0 + ((j + k) % 5) as f64))
                .sum::<f64>()
                + rng.random::<f64>()
                - 0.5
        });
        // a warm state belongs to its datafit: one for each path
        let mut d2 = Quadratic::new(x.clone(), y.clone());
        let mut d = Quadratic::new(x, y);
        let opts = SolverOptions {
            tol: 1e-9,
            ..SolverOptions::default()
        };
        let support = |wt: &Mat<f64>| {
            (0..wt.ncols())
                .filter(|&j| wt.col(j).iter().any(|&v| v != 0.0))
                .count()
        };
        let amax = group_alpha_max(&mut d);
        let (mut wt, mut plain_wt) = (Mat::<f64>::zeros(t, p), Mat::<f64>::zeros(t, p));
        let (mut warm, mut plain): (Option<WarmStart>, Option<WarmStart>) = (None, None);
        let mut forecasts = 0;
        // 0.5 twice: the repeated alpha's solve runs no epoch
        for r in [0.9, 0.7, 0.5, 0.5, 0.3, 0.2, 0.1, 0.05, 0.03] {
            let pen = L21::new(r * amax, 1.0);
            let given = warm.as_ref().and_then(|w| w.support_growth);
            forecasts += usize::from(given.is_some());
            let start = support(&wt);
            let sol = solve_from(&opts, &mut d, &pen, wt, warm.take());
            assert_fresh_certificate(&d, &pen, &sol, &opts, r);
            let expected = if sol.n_iter > 0 {
                Some(support(&sol.wt) - start)
            } else {
                given
            };
            assert_eq!(sol.warm.support_growth, expected, "at {r}");
            // the same path with no forecast: the doubled support
            let mut stripped = plain.take();
            if let Some(w) = stripped.as_mut() {
                w.support_growth = None;
            }
            let other = solve_from(&opts, &mut d2, &pen, plain_wt, stripped);
            assert_fresh_certificate(&d2, &pen, &other, &opts, r);
            let tol = sol.certificate.value().max(other.certificate.value());
            assert!(
                (sol.objective - other.objective).abs() <= tol + 1e-12 * sol.objective,
                "objective {} vs {} at {r}",
                sol.objective,
                other.objective
            );
            wt = sol.wt.clone();
            warm = Some(sol.warm);
            plain_wt = other.wt.clone();
            plain = Some(other.warm);
        }
        assert!(forecasts >= 7, "the forecast must reach the solves");
        assert!(support(&wt) > 40, "the support must grow along the path");
    }

    #[test]
    fn skipped_gradient_blocks_leave_the_certificate_exact() {
        for seed in 0..3 {
            skipped_gradients_are_exact(|a| L21::new(a, 1.0), seed);
            skipped_gradients_are_exact(|a| L21::new(a, 0.7), seed);
            skipped_gradients_are_exact(|a| L1::new(a / 2.0, 1.0), seed);
        }
    }
}
