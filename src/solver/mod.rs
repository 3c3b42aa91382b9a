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
//!    rounding drift), compute the full gradient `∇f(W)` as one matrix product,
//!    and the certificate: the duality gap when the datafit and penalty have a
//!    closed-form dual ([`gap::duality_gap`]), otherwise the KKT residual
//!    ([`gap::kkt_residual`]). Stop when it is `≤ tol`.
//! 2. **Working set.** Score each block by its optimality violation; keep the
//!    support plus the worst violators ([`working_set`]).
//! 3. **Inner loop.** Exact block-minimisation epochs ([`bcd::bcd_epoch`]) over the
//!    working set until its (free, pre-update) violation falls below
//!    `inner_ratio ×` the outer violation, then back to 1.
//!
//! **Why Wᵀ.** The iterate is stored as `wt = Wᵀ` (T × p, column-major) so that
//! the block `w_j` touched by every step is one contiguous slice, as in
//! scikit-learn's kernel (which keeps `W` as (n_tasks, n_features) in Fortran
//! order). Users see p × T.
//!
//! `n_iter` counts epochs (as scikit-learn's `n_iter_`), whatever their size.

pub mod anderson;
pub mod apg;
pub mod bcd;
pub mod gap;
pub mod screening;
pub mod working_set;

use crate::certificate::Certificate;
use crate::datafit::Datafit;
use crate::penalty::Penalty;
use faer::Mat;
use rand::SeedableRng;
use rand::seq::SliceRandom;

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
    /// Initial working-set size.
    pub ws_start: usize,
    /// The inner loop stops when its violation is below this fraction of the
    /// outer one.
    pub inner_ratio: f64,
    /// Block order.
    pub selection: Selection,
    /// Record `(epochs so far, certificate)` at each outer check.
    pub trace: bool,
    /// Anderson extrapolation every this many inner epochs (`None`: off).
    pub anderson: Option<usize>,
    /// Called at each outer check.
    pub monitor: Option<Monitor>,
    /// Gap-safe screening at each outer check ([`screening`]); used when the
    /// penalty has a closed-form dual and the datafit
    /// [supports it](Datafit::supports_screening).
    pub screening: bool,
}

impl Default for SolverOptions {
    fn default() -> Self {
        Self {
            tol: 1e-10,
            kkt_tol: 1e-10,
            max_iter: 1000,
            working_set: true,
            ws_start: 10,
            inner_ratio: 0.3,
            selection: Selection::Cyclic,
            trace: false,
            anderson: Some(5),
            monitor: None,
            screening: true,
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
struct DualPoint {
    /// Dual scaling `s` of the gap's dual point.
    scale: f64,
    /// `‖Y‖²/n` (the scale of the gap's rounding).
    y_sq: f64,
}

/// [`certificate`], and the gap's dual point when the certificate is the
/// duality gap.
fn certify<D: Datafit, P: Penalty>(
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

/// The state a solve can restart from without a matrix product: see
/// [`solve_from`].
#[derive(Debug, Clone)]
pub struct WarmStart {
    /// `∇f(wt)` (T × p), except the columns certified by the drift bound, which
    /// are zero (their true dual norm is below `l1`).
    pub grad: Mat<f64>,
    /// Block dual norms at the datafit's reference
    /// ([`Datafit::mark_reference`]); `None` when `grad` is exact everywhere.
    pub reference: Option<Reference>,
    /// Which columns of `grad` are exact at `wt` (computed at the last check);
    /// empty when all are.
    pub fresh: Vec<bool>,
    /// The Lipschitz constant of `∇f` the accelerated proximal gradient
    /// reached ([`apg::ApgInfo::lipschitz`]): the next solve on the same
    /// datafit starts from it instead of a power iteration. `None` from
    /// block coordinate descent.
    pub lipschitz: Option<f64>,
}

impl WarmStart {
    /// An exact gradient (every column computed at the current state).
    pub fn exact(grad: Mat<f64>) -> Self {
        Self {
            grad,
            reference: None,
            fresh: Vec::new(),
            lipschitz: None,
        }
    }
}

impl Solution {
    /// Moves the warm state out (to pass to the next [`solve_from`]), leaving
    /// an empty one.
    pub fn take_warm(&mut self) -> WarmStart {
        std::mem::replace(&mut self.warm, WarmStart::exact(Mat::new()))
    }
}

/// The block dual norms of the last full gradient: the centres of the drift
/// bound of [`solve_from`].
#[derive(Debug, Clone)]
pub struct Reference {
    /// Dual norm of each gradient block.
    pub norms: Vec<f64>,
}

impl Reference {
    fn new(form: &crate::penalty::ElasticForm, grad: &Mat<f64>) -> Self {
        Self {
            norms: block_dual_norms(form, grad.as_ref()),
        }
    }

    /// The drift bound on block j's gradient dual norm now: its norm at the
    /// reference plus `√h_j · drift` (see [`Datafit::drift`]).
    fn bound(&self, j: usize, h: f64, drift: f64) -> f64 {
        self.norms[j] + h.max(0.0).sqrt() * drift
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
/// matter: a zero block whose dual norm at the last full gradient plus
/// `√h_j · drift` is below `l1` is provably non-violating (its KKT violation
/// is 0) and cannot set the dual scaling of the gap, so the certificate is
/// exactly the one a full gradient would give. (The same sphere argument as
/// gap-safe screening, Ndiaye et al., JMLR 2017, applied to the gradient
/// instead of the dual point.) A full product is redone, and becomes the new
/// reference, when more than half the blocks need recomputing (a partial product
/// gathers its columns; beyond half, measured slower than the full GEMM).
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
    mut wt: Mat<f64>,
    warm_start: Option<WarmStart>,
) -> Solution {
    let (t, p) = (datafit.n_tasks(), datafit.n_features());
    assert_eq!((wt.nrows(), wt.ncols()), (t, p), "wt must be T × p");
    let warm = warm_start.is_some();
    let (mut grad, mut reference, mut fresh) = match warm_start {
        Some(w) => (w.grad, w.reference, w.fresh),
        None => (Mat::<f64>::zeros(t, p), None, Vec::new()),
    };
    assert_eq!((grad.nrows(), grad.ncols()), (t, p), "grad must be T × p");
    let form = penalty.elastic_form().filter(|f| f.l1 > 0.0);
    let mut rows: Vec<usize> = Vec::new();
    let mut outer = 0usize;
    let mut scores = vec![0.0; p];
    let mut ws: Vec<usize> = Vec::with_capacity(p);
    let all: Vec<usize> = (0..p).collect();
    let mut order: Vec<usize> = Vec::with_capacity(p);
    let mut work = bcd::Workspace::new(t);
    let mut rng = match opts.selection {
        Selection::Random { seed } => Some(rand_chacha::ChaCha8Rng::seed_from_u64(seed)),
        Selection::Cyclic => None,
    };
    let mut trace = Vec::new();
    let mut n_iter = 0usize;
    let mut accel = opts.anderson.map(anderson::Anderson::new);
    let mut saved: Vec<f64> = Vec::new();
    let mut kkt;
    let screen_on = opts.screening && form.is_some() && datafit.supports_screening();
    let mut screened = screening::Screened::new(if screen_on { p } else { 0 });
    let mut pending: Vec<usize> = Vec::new();

    let (certificate, converged) = loop {
        if outer % RESYNC_EVERY == 0 && !(warm && outer == 0) {
            datafit.init_state(wt.as_ref());
        }
        if warm && outer == 0 && reference.is_none() {
            // an exact warm gradient: it becomes the reference
            if let Some(f) = &form {
                datafit.mark_reference();
                reference = Some(Reference::new(f, &grad));
            }
        } else {
            // at a warm first check the state has not moved since the columns
            // marked fresh were computed
            let keep_fresh = warm && outer == 0;
            refresh_gradient(
                datafit,
                penalty,
                form.as_ref(),
                wt.as_ref(),
                &mut grad,
                &mut reference,
                (&mut fresh, keep_fresh),
                (&mut rows, &screened, &mut pending),
            );
        }
        outer += 1;
        let (mut cert, mut dual) = certify(datafit, penalty, grad.as_ref(), wt.as_ref(), opts);
        if cert.is_satisfied() && !pending.is_empty() {
            // the certificate must be the full gap: compute the screened blocks
            // the drift bound does not certify
            datafit.gradient_rows(&pending, grad.as_mut());
            if !fresh.is_empty() {
                for &j in &pending {
                    fresh[j] = true;
                }
            }
            pending.clear();
            (cert, dual) = certify(datafit, penalty, grad.as_ref(), wt.as_ref(), opts);
        }
        if let (true, Some(f), Certificate::DualGap { value, .. }, Some(dp)) =
            (screen_on, &form, cert, dual)
        {
            if !cert.is_satisfied() {
                let sphere = screening::Sphere {
                    l1: f.l1,
                    l2: f.l2,
                    scale: dp.scale,
                    gap: value,
                    y_sq: dp.y_sq,
                };
                let drift = datafit.drift();
                let candidates = (0..p)
                    .filter(|&j| penalty.is_penalized(j) && wt.col(j).iter().all(|&v| v == 0.0));
                screened.screen(&sphere, candidates, |j| {
                    let h = datafit.block_curvature(j);
                    if fresh.is_empty() || fresh[j] {
                        Some((h, f.sparsity.block_dual_norm(grad.col_as_slice(j))))
                    } else {
                        Some((h, reference.as_ref()?.bound(j, h, drift?)))
                    }
                });
            }
        }
        if opts.trace {
            trace.push((n_iter, cert.value()));
        }
        // Score blocks (the largest violation is the KKT residual); the support
        // is always in the working set.
        let mut n_support = 0;
        let mut outer_violation = 0.0f64;
        for (j, score) in scores.iter_mut().enumerate() {
            let block = wt.col_as_slice(j);
            let v = penalty.subdiff_distance(j, block, grad.col_as_slice(j));
            outer_violation = outer_violation.max(v);
            *score = if !penalty.is_penalized(j) || penalty.in_support(block) {
                n_support += 1;
                f64::INFINITY
            } else if screened.contains(j) {
                0.0
            } else {
                v
            };
        }
        kkt = outer_violation;
        let done = cert.is_satisfied();
        if let Some(m) = &opts.monitor {
            let report = Progress {
                n_iter,
                max_iter: opts.max_iter,
                certificate: cert.value(),
                tol: cert.tol(),
            };
            if !(m.0)(&report) && !done {
                break (cert, false);
            }
        }
        if done {
            break (cert, true);
        }
        if n_iter >= opts.max_iter {
            break (cert, false);
        }

        let ws_ref: &[usize] = if opts.working_set {
            working_set::select(
                &scores,
                working_set::size(opts.ws_start, n_support, p),
                &mut ws,
            );
            if ws.is_empty() { &all } else { &ws }
        } else {
            &all
        };
        let inner_tol = opts.inner_ratio * outer_violation;

        loop {
            let epoch_order: &[usize] = match rng.as_mut() {
                Some(rng) => {
                    order.clear();
                    order.extend_from_slice(ws_ref);
                    order.shuffle(rng);
                    &order
                }
                None => ws_ref,
            };
            let violation = datafit.epoch(penalty, &mut wt, epoch_order, &mut work);
            n_iter += 1;
            if violation <= inner_tol || n_iter >= opts.max_iter {
                break;
            }
            if let Some(acc) = accel.as_mut() {
                extrapolate(acc, datafit, penalty, &mut wt, ws_ref, &mut saved);
            }
        }
        if let Some(acc) = accel.as_mut() {
            acc.reset();
        }
    };

    let objective = datafit.value(wt.as_ref()) + penalty.value(wt.as_ref());
    let gap = match certificate {
        Certificate::DualGap { value, .. } => Some(value),
        Certificate::Kkt { .. } => any_gap(datafit, penalty, grad.as_ref(), wt.as_ref()),
    };
    Solution {
        gap,
        warm: WarmStart {
            grad,
            reference,
            fresh,
            lipschitz: None,
        },
        wt,
        certificate,
        objective,
        n_iter,
        converged,
        trace,
        kkt,
        screened: screened.rows(),
    }
}

/// Records the working-set iterate; every `K` epochs tries the Anderson
/// extrapolation and keeps it only if it lowers the objective (the datafit
/// state is re-synchronised either way).
fn extrapolate<D: Datafit, P: Penalty>(
    acc: &mut anderson::Anderson,
    datafit: &mut D,
    penalty: &P,
    wt: &mut Mat<f64>,
    ws: &[usize],
    saved: &mut Vec<f64>,
) {
    let snapshot: Vec<f64> = ws
        .iter()
        .flat_map(|&j| wt.col_as_slice(j).iter().copied())
        .collect();
    let Some(candidate) = acc.push(snapshot) else {
        return;
    };
    let current = datafit.value(wt.as_ref()) + penalty.value(wt.as_ref());
    let t = wt.nrows();
    saved.clear();
    for (slot, &j) in ws.iter().enumerate() {
        let col = wt.col_as_slice_mut(j);
        saved.extend_from_slice(col);
        col.copy_from_slice(&candidate[slot * t..(slot + 1) * t]);
    }
    datafit.init_state(wt.as_ref());
    let tried = datafit.value(wt.as_ref()) + penalty.value(wt.as_ref());
    if tried.is_nan() || tried >= current {
        for (slot, &j) in ws.iter().enumerate() {
            wt.col_as_slice_mut(j)
                .copy_from_slice(&saved[slot * t..(slot + 1) * t]);
        }
        datafit.init_state(wt.as_ref());
    }
}

/// Dual norms of the gradient blocks (the columns of `grad`).
fn block_dual_norms(form: &crate::penalty::ElasticForm, grad: faer::MatRef<'_, f64>) -> Vec<f64> {
    let mut buf = vec![0.0; grad.nrows()];
    (0..grad.ncols())
        .map(|j| {
            form.sparsity
                .block_dual_norm(gap::column(grad, j, &mut buf))
        })
        .collect()
}

/// Brings `grad` up to date for an outer check: every block, or (see
/// [`solve_from`]) only those the drift bound cannot certify. `fresh` records
/// which columns are exact at the current state; with `keep_fresh` (the state
/// has not moved since they were computed) those are not recomputed.
#[allow(clippy::too_many_arguments)]
fn refresh_gradient<D: Datafit, P: Penalty>(
    datafit: &mut D,
    penalty: &P,
    form: Option<&crate::penalty::ElasticForm>,
    wt: faer::MatRef<'_, f64>,
    grad: &mut Mat<f64>,
    reference: &mut Option<Reference>,
    (fresh, keep_fresh): (&mut Vec<bool>, bool),
    (rows, screened, pending): (&mut Vec<usize>, &screening::Screened, &mut Vec<usize>),
) {
    let p = wt.ncols();
    pending.clear();
    if keep_fresh && reference.is_some() && fresh.is_empty() {
        return; // the last refresh was a full product at this very state
    }
    if let (Some(f), Some(rf), Some(drift)) = (form, reference.as_ref(), datafit.drift()) {
        let known = keep_fresh && fresh.len() == p;
        rows.clear();
        for j in 0..p {
            if known && fresh.get(j) == Some(&true) {
                continue;
            }
            let zero = wt.col(j).iter().all(|&v| v == 0.0);
            let bound = rf.bound(j, datafit.block_curvature(j), drift);
            let certified = bound < f.l1;
            if zero && !certified && screened.contains(j) {
                // screened: not needed until the final check (see solve_from)
                grad.col_as_slice_mut(j).fill(0.0);
                pending.push(j);
            } else if !zero || !penalty.is_penalized(j) || !certified {
                rows.push(j);
            } else {
                // Certified: the true block has dual norm < l1, so any stored
                // value of norm < l1 gives the same gap and a zero violation.
                // Zero it: a value from a later partial refresh could show a
                // violation the block no longer has.
                grad.col_as_slice_mut(j).fill(0.0);
            }
        }
        if 2 * rows.len() <= p {
            datafit.gradient_rows(rows, grad.as_mut());
            if !known {
                fresh.clear();
                fresh.resize(p, false);
            }
            for &j in rows.iter() {
                fresh[j] = true;
            }
            return;
        }
    }
    datafit.full_gradient(grad.as_mut());
    pending.clear();
    fresh.clear();
    *reference = form.map(|f| {
        datafit.mark_reference();
        Reference::new(f, grad)
    });
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
            let (cert, kkt) = fresh_certificate(&d, &pen, &sol.wt, &opts);
            let (a, b) = (sol.certificate.value(), cert.value());
            assert!(
                (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                "gap {a} vs {b} at {r}"
            );
            assert!(
                (sol.kkt - kkt).abs() <= 1e-9 * (1.0 + kkt),
                "kkt {} vs {kkt}",
                sol.kkt
            );
            assert!(sol.converged && b <= opts.tol);
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

    #[test]
    fn gap_safe_screening_is_safe_and_keeps_the_full_certificate() {
        for seed in 0..3 {
            screening_is_safe(|a| L21::new(a, 1.0), seed);
            screening_is_safe(|a| L21::new(a, 0.7), seed);
            screening_is_safe(|a| L1::new(a / 2.0, 1.0), seed);
        }
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
