//! The outer loop of the working-set solver as an explicit state.
//!
//! One outer iteration is a *check* followed by an *inner solve*:
//!
//! 1. **Check** ([`Outer::check`]): bring the datafit state and the gradient
//!    cache up to date with W, compute the certificate, screen, and score every
//!    block by its optimality violation (the largest score is the KKT
//!    residual).
//! 2. **Inner solve** ([`Outer::inner_solve`]): pick the working set from the
//!    scores and run epochs over it until its (free, pre-update) violation
//!    falls below `inner_ratio ×` the outer violation.
//!
//! The state between iterations is what the fields below hold: the iterate,
//! the gradient cache ([`GradientCache`]), the screened rows, the working set
//! and the inner loop's scratch. Nothing else survives an iteration.

use super::gradient::GradientCache;
use super::screening::{Screened, Sphere};
use super::strategy;
use super::subproblem::Subset;
use super::{
    DualPoint, INNER_MAX_EPOCHS, Progress, RESYNC_EVERY, Selection, Solution, SolverOptions,
    WarmStart, anderson, certify, working_set,
};
use crate::bcd::Workspace;
use crate::certificate::Certificate;
use crate::datafit::{Datafit, KnownGradient, gather_columns};
use crate::penalty::{ElasticForm, Penalty};
use faer::Mat;
use rand::SeedableRng;
use rand::seq::SliceRandom;

/// The outcome of one check.
#[derive(Debug, Clone, Copy)]
struct Check {
    certificate: Certificate,
    /// The KKT residual (largest block violation).
    kkt: f64,
    /// Blocks forced into the working set (support and unpenalised blocks).
    n_support: usize,
}

/// The working set and the block scores it is chosen from.
#[derive(Debug)]
struct WorkingSet {
    /// Violation of each block at the last check (`+∞` for forced blocks,
    /// 0 for screened ones).
    scores: Vec<f64>,
    /// The current working set, increasing.
    rows: Vec<usize>,
    /// Scratch: the visiting order of an epoch in random selection.
    order: Vec<usize>,
    rng: Option<rand_chacha::ChaCha8Rng>,
}

/// Scratch of the inner loop.
#[derive(Debug)]
struct Inner {
    work: Workspace,
    accel: Option<anderson::Anderson>,
    /// The working set `accel`'s history belongs to: an inner solve over the
    /// same rows continues it (the check between them does not move the
    /// iterate), so short inner solves still extrapolate.
    accel_rows: Vec<usize>,
    /// Epochs of the solve before the history starts
    /// ([`SolverOptions::anderson_after`]).
    accel_after: usize,
    extrapolation: Extrapolation,
}

/// The solver between two outer iterations.
pub(super) struct Outer<'a, D: Datafit, P: Penalty> {
    opts: &'a SolverOptions,
    datafit: &'a mut D,
    penalty: &'a P,
    /// The penalty's elastic form when `l1 > 0` (duality gap, drift bound,
    /// screening).
    form: Option<ElasticForm>,
    /// Whether gap-safe screening applies.
    screen_on: bool,
    wt: Mat<f64>,
    gradient: GradientCache,
    /// `Ω*(g_j)` of every gradient block at the last check.
    gnorms: Vec<f64>,
    screened: Screened,
    ws: WorkingSet,
    inner: Inner,
    /// Started from a previous solve's gradient state.
    warm: bool,
    /// Checks done.
    checks: usize,
    /// Epochs run.
    n_iter: usize,
    /// Epochs per decade of KKT reduction of the last inner solve (the cost
    /// model's forecast of the next).
    epochs_per_decade: f64,
    /// The warm start's forecast of the rows entering the support
    /// ([`WarmStart::support_growth`]).
    forecast: Option<usize>,
    /// The support at the first check.
    first_support: usize,
    trace: Vec<(usize, f64)>,
}

impl<'a, D: Datafit, P: Penalty> Outer<'a, D, P> {
    /// The state before the first check.
    ///
    /// # Panics
    /// If `wt` or the warm gradient is not T × p.
    #[track_caller]
    pub(super) fn new(
        opts: &'a SolverOptions,
        datafit: &'a mut D,
        penalty: &'a P,
        wt: Mat<f64>,
        warm: Option<WarmStart>,
    ) -> Self {
        let (t, p) = (datafit.n_tasks(), datafit.n_features());
        assert_eq!((wt.nrows(), wt.ncols()), (t, p), "wt must be T × p");
        datafit.set_threads(opts.threads);
        let form = penalty.elastic_form().filter(|f| f.l1 > 0.0);
        let forecast = warm.as_ref().and_then(|w| w.support_growth);
        let screen_on = opts.screening && form.is_some() && datafit.supports_screening();
        Self {
            opts,
            penalty,
            form,
            screen_on,
            wt,
            warm: warm.is_some(),
            gradient: GradientCache::new(warm, t, p),
            gnorms: vec![0.0; p],
            screened: Screened::new(if screen_on { p } else { 0 }),
            ws: WorkingSet {
                scores: vec![0.0; p],
                rows: Vec::with_capacity(p),
                order: Vec::with_capacity(p),
                rng: match opts.selection {
                    Selection::Random { seed } => {
                        Some(rand_chacha::ChaCha8Rng::seed_from_u64(seed))
                    }
                    Selection::Cyclic => None,
                },
            },
            inner: Inner {
                work: Workspace::new(t),
                accel: opts.anderson.map(anderson::Anderson::new),
                accel_rows: Vec::new(),
                accel_after: opts.anderson_after,
                extrapolation: Extrapolation::default(),
            },
            datafit,
            checks: 0,
            n_iter: 0,
            epochs_per_decade: strategy::EPOCHS_PER_DECADE,
            forecast,
            first_support: 0,
            trace: Vec::new(),
        }
    }

    /// Checks and inner solves until the certificate is met, the epoch budget
    /// is spent or the monitor asks to stop.
    pub(super) fn run(mut self) -> Solution {
        loop {
            let check = self.check();
            if self.checks == 1 {
                self.first_support = check.n_support;
            }
            let done = check.certificate.is_satisfied();
            if let Some(m) = &self.opts.monitor {
                let report = Progress {
                    n_iter: self.n_iter,
                    max_iter: self.opts.max_iter,
                    certificate: check.certificate.value(),
                    tol: check.certificate.tol(),
                };
                if !(m.0)(&report) && !done {
                    return self.finish(check, false);
                }
            }
            if done {
                return self.finish(check, true);
            }
            if self.n_iter >= self.opts.max_iter {
                return self.finish(check, false);
            }
            self.inner_solve(check);
        }
    }

    /// One check: state and gradient up to date, certificate, screening,
    /// block scores.
    fn check(&mut self) -> Check {
        // at a warm first check the state has not moved since the warm
        // gradient was computed
        let warm_first = self.warm && self.checks == 0;
        if self.checks.is_multiple_of(RESYNC_EVERY) && !warm_first {
            self.datafit.init_state(self.wt.as_ref());
        }
        if warm_first && self.gradient.is_unadopted_exact() {
            self.gradient.adopt(self.datafit, self.form.as_ref());
        } else {
            self.gradient.refresh(
                self.datafit,
                self.penalty,
                self.form.as_ref(),
                self.wt.as_ref(),
                &self.screened,
                warm_first,
            );
        }
        self.checks += 1;
        let stats = self
            .form
            .and_then(|_| self.datafit.residual_stats(self.wt.as_ref()));
        let (cert, dual, kkt, n_support) = match (self.form, stats) {
            (Some(form), Some(stats)) => self.fused_certify(&form, &stats),
            _ => {
                self.gradient.ensure_reference_norms(self.form.as_ref());
                let (mut cert, mut dual) = self.certify();
                if cert.is_satisfied() && self.gradient.has_pending() {
                    self.gradient.complete_pending(self.datafit);
                    (cert, dual) = self.certify();
                }
                let grad = &self.gradient.grad;
                for j in 0..self.gnorms.len() {
                    self.gnorms[j] = self
                        .form
                        .map_or(0.0, |f| f.sparsity.block_dual_norm(grad.col_as_slice(j)));
                }
                let (kkt, n_support) = self.score();
                (cert, dual, kkt, n_support)
            }
        };
        if !cert.is_satisfied() {
            self.screen(cert, dual);
        }
        if self.opts.trace {
            self.trace.push((self.n_iter, cert.value()));
        }
        Check {
            certificate: cert,
            kkt,
            n_support,
        }
    }

    /// The certificate, dual point, KKT residual and forced-block count of an
    /// elastic penalty from one fused pass ([`super::check`]).
    fn fused_certify(
        &mut self,
        form: &ElasticForm,
        stats: &crate::datafit::ResidualStats,
    ) -> (Certificate, Option<DualPoint>, f64, usize) {
        loop {
            let sums = super::check::fused_pass(
                form,
                self.penalty,
                self.gradient.grad.as_ref(),
                self.wt.as_ref(),
                &self.screened,
                &mut self.ws.scores,
                &mut self.gnorms,
            );
            self.gradient.set_reference_norms(&self.gnorms);
            let (value, scale) =
                super::gap::gap_from_sums(stats, form, sums.dual_max, sums.omega, sums.w_sq);
            let cert = Certificate::DualGap {
                value,
                tol: self.opts.tol,
            };
            if cert.is_satisfied() && self.gradient.has_pending() {
                // the certificate must be the full gap: compute the screened
                // blocks the drift bound does not certify, then redo the pass
                self.gradient.complete_pending(self.datafit);
                continue;
            }
            let dual = DualPoint {
                scale,
                y_sq: stats.y_sq,
            };
            return (cert, Some(dual), sums.kkt, sums.n_support);
        }
    }

    fn certify(&self) -> (Certificate, Option<DualPoint>) {
        certify(
            &*self.datafit,
            self.penalty,
            self.gradient.grad.as_ref(),
            self.wt.as_ref(),
            self.opts,
        )
    }

    /// Gap-safe screening of the zero rows ([`super::screening`]).
    fn screen(&mut self, cert: Certificate, dual: Option<DualPoint>) {
        let (Some(f), Certificate::DualGap { value, .. }, Some(dp)) = (&self.form, cert, dual)
        else {
            return;
        };
        if !self.screen_on {
            return;
        }
        let sphere = Sphere {
            l1: f.l1,
            l2: f.l2,
            scale: dp.scale,
            gap: value,
            y_sq: dp.y_sq,
        };
        let drift = self.datafit.drift();
        let (wt, penalty, datafit, gradient, gnorms) = (
            &self.wt,
            self.penalty,
            &*self.datafit,
            &self.gradient,
            &self.gnorms,
        );
        let candidates = (0..wt.ncols())
            .filter(|&j| penalty.is_penalized(j) && wt.col(j).iter().all(|&v| v == 0.0));
        self.screened.screen(&sphere, candidates, |j| {
            let h = datafit.block_curvature(j);
            Some((h, gradient.dual_norm_bound(j, gnorms[j], h, drift)?))
        });
    }

    /// Scores every block by its violation (the largest is the KKT
    /// residual); the support and unpenalised blocks score `+∞`, screened
    /// ones 0. Returns the KKT residual and the number of forced blocks.
    fn score(&mut self) -> (f64, usize) {
        let mut n_support = 0;
        let mut worst = 0.0f64;
        let grad = &self.gradient.grad;
        for (j, score) in self.ws.scores.iter_mut().enumerate() {
            let block = self.wt.col_as_slice(j);
            let v = self
                .penalty
                .subdiff_distance(j, block, grad.col_as_slice(j));
            worst = worst.max(v);
            *score = if !self.penalty.is_penalized(j) || self.penalty.in_support(block) {
                n_support += 1;
                f64::INFINITY
            } else if self.screened.contains(j) {
                0.0
            } else {
                v
            };
        }
        (worst, n_support)
    }

    /// Chooses the working set and runs epochs over it until its violation
    /// is below `inner_ratio ×` the check's KKT residual: the datafit's own
    /// epochs, or epochs on the working set's Gram subproblem when the cost
    /// model says so ([`strategy::inner_mode`]).
    fn inner_solve(&mut self, check: Check) {
        let p = self.ws.scores.len();
        if self.opts.working_set {
            let t = self.wt.nrows();
            let first = match self.opts.ws_start {
                0 => strategy::first_working_set(p, t),
                w => w,
            };
            let growth = strategy::Growth {
                first,
                n_support: check.n_support,
                previous: self.ws.rows.len(),
                violating: self.ws.scores.iter().filter(|&&v| v > 0.0).count(),
                // the shared designs' sample count (per-task designs: none)
                n: self.datafit.gram_facts(&[]).map_or(0, |f| f.n_samples),
                p,
                // (a forecast comes only with a warm start)
                forecast: self.forecast.filter(|_| self.checks == 1),
            };
            let size = strategy::working_set_size(growth);
            working_set::select(&self.ws.scores, size, &mut self.ws.rows);
        }
        if !self.opts.working_set || self.ws.rows.is_empty() {
            self.ws.rows.clear();
            self.ws.rows.extend(0..p);
        }
        let ws = std::mem::take(&mut self.ws.rows);
        if let Some(acc) = self.inner.accel.as_mut()
            && self.inner.accel_rows != ws
        {
            let old = &self.inner.accel_rows;
            let kept = count_common(old, &ws);
            let changed = (old.len() - kept) + (ws.len() - kept);
            if changed as f64 <= REMAP_MAX_CHANGE * ws.len() as f64 {
                let wt = &self.wt;
                acc.remap(old, &ws, wt.nrows(), |j| wt.col_as_slice(j));
            } else {
                acc.reset();
            }
            self.inner.accel_rows.clone_from(&ws);
        }
        let (mode, facts) = self.inner_mode(&ws, &check);
        let ratio = match (self.opts.inner_ratio, facts) {
            (r, _) if r > 0.0 => r,
            (_, Some(f)) => strategy::inner_ratio(mode, &f),
            (_, None) => DEFAULT_INNER_RATIO,
        };
        let inner_tol = ratio * check.kkt;
        let before = self.n_iter;
        // an inner solve returns to a check after INNER_MAX_EPOCHS epochs
        let inner_budget = self
            .opts
            .max_iter
            .min(before.saturating_add(INNER_MAX_EPOCHS));
        match mode {
            strategy::InnerMode::Epochs => {
                let mut ctl = Control {
                    tol: inner_tol,
                    max_iter: inner_budget,
                    n_iter: &mut self.n_iter,
                    rng: self.ws.rng.as_mut(),
                    order: &mut self.ws.order,
                    inner: &mut self.inner,
                };
                run_epochs(self.datafit, self.penalty, &mut self.wt, &ws, &mut ctl);
            }
            strategy::InnerMode::WorkingSetGram => {
                // the check's gradient is exact where it was computed, and
                // the state has not moved since
                let exact: Vec<bool> = ws.iter().map(|&j| self.gradient.is_exact(j)).collect();
                let known = KnownGradient {
                    grad: self.gradient.grad.as_ref(),
                    exact: &exact,
                };
                let mut sub = self
                    .datafit
                    .working_set_gram(&ws, self.wt.as_ref(), Some(known))
                    .expect("gram_facts promised a working-set Gram");
                let mut wt_s = gather_columns(self.wt.as_ref(), &ws);
                let penalty = Subset {
                    inner: self.penalty,
                    rows: &ws,
                };
                let local: Vec<usize> = (0..ws.len()).collect();
                let mut ctl = Control {
                    tol: inner_tol,
                    max_iter: inner_budget,
                    n_iter: &mut self.n_iter,
                    rng: self.ws.rng.as_mut(),
                    order: &mut self.ws.order,
                    inner: &mut self.inner,
                };
                run_epochs(&mut sub, &penalty, &mut wt_s, &local, &mut ctl);
                self.datafit
                    .commit_working_set(&ws, &mut self.wt, wt_s.as_ref());
                // the subproblem's gradient is the full gradient's on the
                // working set at the committed state: when the working set
                // is most of p (the check would be a full product), the next
                // check computes only the other blocks. A smaller one is left
                // to the drift bound, whose full products renew its
                // reference (presetting it too made no difference to CV
                // beyond this machine's ±10 % noise)
                if 2 * ws.len() > p {
                    self.gradient
                        .preset_exact(&ws, |c, out| sub.gradient_block(c, out));
                }
            }
        }
        let epochs = (self.n_iter - before) as f64;
        self.epochs_per_decade = epochs / strategy::decades(ratio);
        self.ws.rows = ws;
    }

    /// The cost model's inner mode for the working set `ws`, and the facts it
    /// was chosen from (`None`: the datafit has no working-set Gram).
    fn inner_mode(
        &self,
        ws: &[usize],
        check: &Check,
    ) -> (strategy::InnerMode, Option<strategy::InnerFacts>) {
        let Some(facts) = self.datafit.gram_facts(ws) else {
            return (strategy::InnerMode::Epochs, None);
        };
        let moving = ws
            .iter()
            .filter(|&&j| self.penalty.in_support(self.wt.col_as_slice(j)))
            .count();
        let facts = strategy::InnerFacts {
            shape: strategy::Shape {
                n: facts.n_samples,
                p: self.ws.scores.len(),
                t: self.wt.nrows(),
            },
            full_gram: facts.full_gram,
            w: ws.len(),
            cached: facts.cached,
            moving,
            epochs_per_decade: self.epochs_per_decade,
            decades_left: decades_left(&check.certificate),
        };
        let mode = self
            .opts
            .inner_mode
            .unwrap_or_else(|| strategy::inner_mode(&facts));
        (mode, Some(facts))
    }

    /// The solution at the last check.
    fn finish(self, check: Check, converged: bool) -> Solution {
        let (datafit, penalty, wt) = (&*self.datafit, self.penalty, self.wt);
        let objective = datafit.value(wt.as_ref()) + penalty.value(wt.as_ref());
        let grad = self.gradient.grad.as_ref();
        let gap = match check.certificate {
            Certificate::DualGap { value, .. } => Some(value),
            Certificate::Kkt { .. } => super::any_gap(datafit, penalty, grad, wt.as_ref()),
        };
        let mut warm = self.gradient.into_warm();
        // a solve that ran no epoch says nothing new of the support's growth
        warm.support_growth = if self.n_iter > 0 {
            Some(check.n_support.saturating_sub(self.first_support))
        } else {
            self.forecast
        };
        Solution {
            gap,
            warm,
            wt,
            certificate: check.certificate,
            objective,
            n_iter: self.n_iter,
            converged,
            trace: self.trace,
            kkt: check.kkt,
            screened: self.screened.rows(),
        }
    }
}

/// The inner ratio of datafits without a cost model (per-task designs).
const DEFAULT_INNER_RATIO: f64 = 0.3;

/// Largest change of the working set (rows gained plus rows lost, as a
/// fraction of the new set) over which the Anderson history is carried
/// ([`anderson::Anderson::remap`]) rather than restarted. A dense solution's
/// working set loses a few rows at each check: restarted, its history never
/// reached the `K + 1` iterates an extrapolation needs while the set
/// settled (square 1258 × 1543 × 9 at 0.0153·alpha_max: no extrapolation
/// in epochs 8–24 of 31; carried, 25 epochs). A set that grew from a few
/// rows to many starts afresh: the old iterates say nothing of the new rows.
const REMAP_MAX_CHANGE: f64 = 0.1;

/// What an inner loop runs under.
struct Control<'s> {
    /// Stop when an epoch's violation is at most this.
    tol: f64,
    max_iter: usize,
    /// Epochs so far (of the whole solve).
    n_iter: &'s mut usize,
    rng: Option<&'s mut rand_chacha::ChaCha8Rng>,
    order: &'s mut Vec<usize>,
    inner: &'s mut Inner,
}

/// `log10(value / tol)` of a certificate, at least 0 (0 when either is not
/// a positive finite number).
fn decades_left(c: &Certificate) -> f64 {
    let (v, t) = (c.value(), c.tol());
    if v.is_finite() && t.is_finite() && v > 0.0 && t > 0.0 {
        (v / t).log10().max(0.0)
    } else {
        0.0
    }
}

/// Epochs over `ws` (with Anderson extrapolation when on) until an epoch's
/// violation is at most `ctl.tol` or the epoch budget is spent. Generic over
/// the datafit so that the working-set Gram subproblem runs the same loop.
fn run_epochs<D: Datafit, P: Penalty>(
    datafit: &mut D,
    penalty: &P,
    wt: &mut Mat<f64>,
    ws: &[usize],
    ctl: &mut Control<'_>,
) {
    loop {
        let order: &[usize] = match ctl.rng.as_mut() {
            Some(rng) => {
                ctl.order.clear();
                ctl.order.extend_from_slice(ws);
                ctl.order.shuffle(rng);
                ctl.order
            }
            None => ws,
        };
        let violation = datafit.epoch(penalty, wt, order, &mut ctl.inner.work);
        *ctl.n_iter += 1;
        // every epoch's iterate from the `accel_after`-th on enters the
        // history, the last one of an inner solve too (the next solve over
        // the same rows continues from it)
        if let Some(acc) = ctl.inner.accel.as_mut()
            && *ctl.n_iter >= ctl.inner.accel_after
        {
            extrapolate(acc, datafit, penalty, wt, ws, &mut ctl.inner.extrapolation);
        }
        if violation <= ctl.tol || *ctl.n_iter >= ctl.max_iter {
            break;
        }
    }
}

/// Records the working-set iterate; every `K` epochs tries the Anderson
/// extrapolation (rows at zero in the current iterate kept at zero): the
/// best point on the line from the current iterate through the extrapolated
/// one ([`line_search`]) when the datafit can blend its state, the
/// extrapolated point itself otherwise, kept only if it lowers the objective
/// (the datafit state is re-synchronised either way).
fn extrapolate<D: Datafit, P: Penalty>(
    acc: &mut anderson::Anderson,
    datafit: &mut D,
    penalty: &P,
    wt: &mut Mat<f64>,
    ws: &[usize],
    scratch: &mut Extrapolation,
) {
    let Some(candidate) = acc.push_with(|buf| {
        for &j in ws {
            buf.extend_from_slice(wt.col_as_slice(j));
        }
    }) else {
        return;
    };
    // Only the working set moves: the objective changes by the datafit's
    // value and the penalty of those rows (the others are a constant).
    let t = wt.nrows();
    // (datafit value, penalty of the working set's rows)
    let objective = |datafit: &D, wt: &Mat<f64>, pen: &mut Mat<f64>| {
        for (c, &j) in ws.iter().enumerate() {
            pen.col_as_slice_mut(c).copy_from_slice(wt.col_as_slice(j));
        }
        (datafit.value(wt.as_ref()), penalty.value(pen.as_ref()))
    };
    if scratch.pen.nrows() != t || scratch.pen.ncols() != ws.len() {
        scratch.pen = Mat::zeros(t, ws.len());
    }
    let (f0, p0) = objective(datafit, wt, &mut scratch.pen);
    let current = f0 + p0;
    // W_S ← candidate; the datafit state takes the whole change at once
    scratch.saved.clear();
    if scratch.delta.nrows() != t || scratch.delta.ncols() != ws.len() {
        scratch.delta = Mat::zeros(t, ws.len());
    }
    for (slot, &j) in ws.iter().enumerate() {
        let col = wt.col_as_slice_mut(j);
        scratch.saved.extend_from_slice(col);
        // a row the last epoch left at zero stays there: its block step
        // found it in the penalty's zero region, and an extrapolated row
        // there would add a row to the support the next epoch removes
        if col.iter().all(|&v| v == 0.0) {
            scratch.delta.col_as_slice_mut(slot).fill(0.0);
            continue;
        }
        let new = &candidate[slot * t..(slot + 1) * t];
        for ((d, &nv), &ov) in scratch
            .delta
            .col_as_slice_mut(slot)
            .iter_mut()
            .zip(new)
            .zip(col.iter())
        {
            *d = nv - ov;
        }
        col.copy_from_slice(new);
    }
    let saved_state = datafit.save_state();
    datafit.update_blocks(ws, scratch.delta.as_ref());
    let (f1, p1) = objective(datafit, wt, &mut scratch.pen);
    let tried = f1 + p1;
    // the best objective so far and its step (0: the current iterate)
    let mut best = (0.0, current);
    if tried < current {
        best = (1.0, tried);
    }
    if saved_state
        && let Some(s) = line_search(datafit, penalty, wt, ws, scratch, [f0, f1], p0)
        && s != 1.0
    {
        // the model's minimiser, verified by the objective itself
        datafit.blend_state(s);
        set_along(wt, ws, scratch, s);
        let (f, p) = objective(datafit, wt, &mut scratch.pen);
        if f + p < best.1 {
            return;
        }
    }
    if best.0 > 0.0 {
        // the state is at W₀ + Δ, or was blended away from it
        if saved_state {
            datafit.blend_state(1.0);
        }
        set_along(wt, ws, scratch, 1.0);
    } else {
        set_along(wt, ws, scratch, 0.0);
        if saved_state {
            datafit.restore_state();
        } else {
            for v in scratch
                .delta
                .as_mut()
                .col_iter_mut()
                .flat_map(|c| c.iter_mut())
            {
                *v = -*v;
            }
            datafit.update_blocks(ws, scratch.delta.as_ref());
        }
    }
}

/// Largest step of [`line_search`], in units of the extrapolation's change:
/// the extrapolated point itself is step 1, and a longer step lowered the
/// objective further on some draws' first working sets (1.29 on square
/// 1107 × 1538 × 14 at 0.019·alpha_max).
const LINE_SEARCH_MAX: f64 = 2.0;

/// Golden-section steps of [`line_search`]: its bracket shrinks to
/// `0.618¹² ≈ 0.3 %` of [`LINE_SEARCH_MAX`] (more steps cost penalty
/// evaluations and lowered the epochs no further).
const GOLDEN_STEPS: usize = 12;

/// `W_S ← W₀ + s Δ` (the saved rows plus `s` times the trial's change).
fn set_along(wt: &mut Mat<f64>, ws: &[usize], scratch: &Extrapolation, s: f64) {
    for (slot, &j) in ws.iter().enumerate() {
        point_along(
            &scratch.saved,
            &scratch.delta,
            slot,
            s,
            wt.col_as_slice_mut(j),
        );
    }
}

/// Row `slot` of `W₀ + s Δ` (`w0`: the saved rows, T values each) into `out`.
fn point_along(w0: &[f64], delta: &Mat<f64>, slot: usize, s: f64, out: &mut [f64]) {
    let t = out.len();
    let w0 = &w0[slot * t..(slot + 1) * t];
    for ((o, &a), &b) in out.iter_mut().zip(w0).zip(delta.col_as_slice(slot)) {
        *o = a + s * b;
    }
}

/// The step `s` that minimises the objective at `W₀ + s Δ` over
/// `[0, LINE_SEARCH_MAX]`, `W₀` being the saved rows and `Δ` the
/// extrapolation's change, with the datafit's state at `W₀ + Δ` and its
/// saved state at `W₀` (datafit values `f[1]` and `f[0]`; `p0`: the working
/// set's penalty at `W₀`).
///
/// Along the line the datafit is a quadratic in `s`, fixed by its values at
/// 0, ½ and 1 (the state is affine in W, so the state at ½ is the two
/// states' mean: no product); the penalty is evaluated on the working set's
/// rows. The convex sum is minimised by golden section. `None` if the datafit
/// cannot blend its state or no step lowers the model below the objective
/// at `W₀` (`f[0] + p0`); the state and `wt` are left at step ½.
///
/// A trial the extrapolated point itself would fail (rows crossing zero, an
/// overshoot) often still holds a descent direction: on very wide draws at
/// 0.015·alpha_max this cut the epochs by 30–45 % (with the zero rows kept
/// at zero, [`extrapolate`]).
fn line_search<D: Datafit, P: Penalty>(
    datafit: &mut D,
    penalty: &P,
    wt: &mut Mat<f64>,
    ws: &[usize],
    scratch: &mut Extrapolation,
    [f0, f1]: [f64; 2],
    p0: f64,
) -> Option<f64> {
    let pen_at = |scratch: &mut Extrapolation, s: f64| {
        for slot in 0..ws.len() {
            let Extrapolation {
                saved, delta, pen, ..
            } = &mut *scratch;
            point_along(saved, delta, slot, s, pen.col_as_slice_mut(slot));
        }
        penalty.value(scratch.pen.as_ref())
    };
    if !datafit.blend_state(0.5) {
        return None;
    }
    set_along(wt, ws, scratch, 0.5);
    let fh = datafit.value(wt.as_ref());
    let c = 2.0 * (f1 - 2.0 * fh + f0);
    let b = f1 - f0 - c;
    let phi = |scratch: &mut Extrapolation, s: f64| f0 + s * (b + s * c) + pen_at(scratch, s);
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut lo, mut hi) = (0.0, LINE_SEARCH_MAX);
    let mut x1 = hi - g * (hi - lo);
    let mut x2 = lo + g * (hi - lo);
    let mut v1 = phi(scratch, x1);
    let mut v2 = phi(scratch, x2);
    for _ in 0..GOLDEN_STEPS {
        if v1 <= v2 {
            hi = x2;
            x2 = x1;
            v2 = v1;
            x1 = hi - g * (hi - lo);
            v1 = phi(scratch, x1);
        } else {
            lo = x1;
            x1 = x2;
            v1 = v2;
            x2 = lo + g * (hi - lo);
            v2 = phi(scratch, x2);
        }
    }
    let (s, v) = if v1 <= v2 { (x1, v1) } else { (x2, v2) };
    (v.is_finite() && v < f0 + p0).then_some(s)
}

/// The number of indices two sorted lists share.
fn count_common(a: &[usize], b: &[usize]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Scratch of [`extrapolate`].
#[derive(Debug)]
struct Extrapolation {
    /// The working-set rows before the trial.
    saved: Vec<f64>,
    /// The working set's change (T × w).
    delta: Mat<f64>,
    /// The working-set rows gathered for the penalty's value (T × w).
    pen: Mat<f64>,
}

impl Default for Extrapolation {
    fn default() -> Self {
        Self {
            saved: Vec::new(),
            delta: Mat::new(),
            pen: Mat::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datafit::{Gram, Quadratic};
    use crate::penalty::L21;
    use rand::{Rng, SeedableRng};

    /// A datafit that cannot save or blend its state (a rejected trial is
    /// undone by products, and no line search runs).
    struct NoSave<D>(D);

    impl<D: Datafit> Datafit for NoSave<D> {
        fn n_features(&self) -> usize {
            self.0.n_features()
        }
        fn n_tasks(&self) -> usize {
            self.0.n_tasks()
        }
        fn init_state(&mut self, wt: faer::MatRef<'_, f64>) {
            self.0.init_state(wt);
        }
        fn value(&self, wt: faer::MatRef<'_, f64>) -> f64 {
            self.0.value(wt)
        }
        fn block_curvature(&self, j: usize) -> f64 {
            self.0.block_curvature(j)
        }
        fn gradient_block(&self, j: usize, out: &mut [f64]) {
            self.0.gradient_block(j, out);
        }
        fn update_block(&mut self, j: usize, delta: &[f64]) {
            self.0.update_block(j, delta);
        }
        fn full_gradient(&self, out: faer::MatMut<'_, f64>) {
            self.0.full_gradient(out);
        }
    }

    /// After every [`extrapolate`] call the datafit's state is the state of
    /// the iterate it kept (accepted, at a line-search step, or rejected):
    /// value and every gradient block equal a fresh datafit's at that
    /// iterate. Small and large working sets, residual and Gram datafits
    /// (line search, a rejected trial put back from the saved state) and one
    /// that cannot save its state (a rejected trial undone by products);
    /// some trials are accepted; a row at zero before the trial is at zero
    /// after it. (Checked to fail when a rejected trial's state is not
    /// restored, when a line-search step's state is not blended, and when
    /// zero rows are extrapolated.)
    #[test]
    fn extrapolation_keeps_the_state_of_its_iterate() {
        let (n, p, t) = (90, 40, 5);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let z = Mat::from_fn(n, 1, |_, _| rng.random::<f64>() - 0.5);
        let x = Mat::from_fn(n, p, |i, _| 0.6 * z[(i, 0)] + (rng.random::<f64>() - 0.5));
        let y = Mat::from_fn(n, t, |_, _| rng.random::<f64>() - 0.5);
        let pen = L21::new(1e-3, 1.0);
        let fresh = |wt: &Mat<f64>| {
            let mut d = Quadratic::new(x.clone(), y.clone());
            d.init_state(wt.as_ref());
            d
        };
        fn run<D: Datafit>(
            d: &mut D,
            pen: &L21,
            ws: &[usize],
            t: usize,
            p: usize,
            fresh: &dyn Fn(&Mat<f64>) -> Quadratic<'static>,
        ) -> usize {
            let mut wt = Mat::<f64>::zeros(t, p);
            d.init_state(wt.as_ref());
            let mut acc = anderson::Anderson::new(3);
            let mut work = Workspace::new(t);
            let mut scratch = Extrapolation::default();
            let mut accepted = 0;
            let (mut a, mut b) = (vec![0.0; t], vec![0.0; t]);
            for _ in 0..40 {
                d.epoch(pen, &mut wt, ws, &mut work);
                let before = wt.clone();
                extrapolate(&mut acc, d, pen, &mut wt, ws, &mut scratch);
                if wt != before {
                    accepted += 1;
                }
                for &j in ws {
                    if before.col_as_slice(j).iter().all(|&v| v == 0.0) {
                        assert!(
                            wt.col_as_slice(j).iter().all(|&v| v == 0.0),
                            "row {j} left zero"
                        );
                    }
                }
                let f = fresh(&wt);
                let (v, vf) = (d.value(wt.as_ref()), f.value(wt.as_ref()));
                assert!((v - vf).abs() <= 1e-12 * (1.0 + vf), "value {v} vs {vf}");
                for j in 0..p {
                    d.gradient_block(j, &mut a);
                    f.gradient_block(j, &mut b);
                    for (u, w) in a.iter().zip(&b) {
                        assert!((u - w).abs() <= 1e-12, "gradient {j}: {u} vs {w}");
                    }
                }
            }
            accepted
        }
        let fresh: &dyn Fn(&Mat<f64>) -> Quadratic<'static> = &fresh;
        // a weak penalty (dense iterates) and one at which rows of the
        // working set go to zero and come back during the epochs
        let sparse = L21::new(0.02, 1.0);
        for (pen, each) in [(&pen, true), (&sparse, false)] {
            let mut kept = 0;
            for ws in [(0..5).collect::<Vec<_>>(), (0..p).step_by(2).collect()] {
                let mut q = Quadratic::new(x.clone(), y.clone());
                let mut g = Gram::new(x.as_ref(), y.as_ref());
                let mut u = NoSave(Quadratic::new(x.clone(), y.clone()));
                for k in [
                    run(&mut q, pen, &ws, t, p, fresh),
                    run(&mut g, pen, &ws, t, p, fresh),
                    run(&mut u, pen, &ws, t, p, fresh),
                ] {
                    assert!(k > 0 || !each, "no trial kept");
                    kept += k;
                }
            }
            assert!(kept > 0, "no trial kept");
        }
    }

    /// [`line_search`] finds the step along `W₀ + sΔ` whose objective (the
    /// datafit and penalty of a fresh datafit at that iterate) is within a
    /// hundredth of the best decrease a fine grid over `[0, 2]` finds, and
    /// [`extrapolate`]'s verification objective is the true one there:
    /// directions that cross zero, overshoot, or fall short, residual and
    /// Gram datafits. (Checked to fail with the datafit's quadratic fitted
    /// through wrong points, or the state blended from the wrong end.)
    #[test]
    fn line_search_finds_the_best_step() {
        let (n, p, t) = (60, 12, 3);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let x = Mat::from_fn(n, p, |_, _| rng.random::<f64>() - 0.5);
        let y = Mat::from_fn(n, t, |_, _| rng.random::<f64>() - 0.5);
        let pen = L21::new(0.02, 1.0);
        let ws: Vec<usize> = (0..p).filter(|j| j % 3 != 1).collect();
        let value = |wt: &Mat<f64>| {
            let mut d = Quadratic::new(x.clone(), y.clone());
            d.init_state(wt.as_ref());
            d.value(wt.as_ref())
        };
        let objective = |wt: &Mat<f64>| value(wt) + pen.value(wt.as_ref());
        let mut improved = 0;
        for case in 0..24 {
            let w0 = Mat::from_fn(t, p, |_, j| {
                if j % 4 == 0 {
                    0.0
                } else {
                    0.3 * (rng.random::<f64>() - 0.5)
                }
            });
            // Δ on the working set only, scaled so the best step lies
            // anywhere in [0, 2] or at an end: a random direction (often no
            // descent), or the negative gradient plus noise
            let scale = [0.05, 0.3, 1.0, 3.0][(case / 2) % 4];
            let mut fresh = Quadratic::new(x.clone(), y.clone());
            fresh.init_state(w0.as_ref());
            let mut grad = vec![0.0; t];
            let mut delta = Mat::zeros(t, ws.len());
            for (c, &j) in ws.iter().enumerate() {
                fresh.gradient_block(j, &mut grad);
                for k in 0..t {
                    let noise = rng.random::<f64>() - 0.5;
                    delta[(k, c)] = if case % 2 == 0 {
                        scale * noise
                    } else {
                        scale * (-20.0 * grad[k] + 0.2 * noise)
                    };
                }
            }
            let at = |s: f64| {
                let mut w = w0.clone();
                for (c, &j) in ws.iter().enumerate() {
                    for k in 0..t {
                        w[(k, j)] += s * delta[(k, c)];
                    }
                }
                w
            };
            let grid: Vec<f64> = (0..=400)
                .map(|k| objective(&at(k as f64 / 200.0)))
                .collect();
            let best_grid = grid.iter().cloned().fold(f64::INFINITY, f64::min);
            let current = grid[0];
            // line_search takes the datafit values at 0 and 1 and the
            // working set's penalty at 0
            let w0_s = Mat::from_fn(t, ws.len(), |k, c| w0[(k, ws[c])]);
            let (f, p0) = ([value(&w0), value(&at(1.0))], pen.value(w0_s.as_ref()));
            let mut q = Quadratic::new(x.clone(), y.clone());
            let mut g = Gram::new(x.as_ref(), y.as_ref());
            for found in [
                search_then_blend(&mut q, &pen, &w0, &ws, &delta, f, p0),
                search_then_blend(&mut g, &pen, &w0, &ws, &delta, f, p0),
            ] {
                match found {
                    Some((s, kept)) => {
                        let v = objective(&at(s));
                        assert!(
                            v - best_grid <= 1e-2 * (current - best_grid) + 1e-13,
                            "case {case}: step {s} objective {v}, grid best {best_grid}, at 0 {current}"
                        );
                        // the state blended to s is the state of W₀ + sΔ
                        assert!((kept - value(&at(s))).abs() <= 1e-12);
                        improved += 1;
                    }
                    None => assert!(
                        current - best_grid <= 1e-12 * current.abs(),
                        "case {case}: no step, but the grid lowers {current} to {best_grid}"
                    ),
                }
            }
        }
        assert!(
            improved >= 24,
            "only {improved} of 48 searches found a step"
        );
    }

    /// [`line_search`] on `d` with its state as [`extrapolate`] leaves it
    /// (saved at `W₀`, moved to `W₀ + Δ`), then the state blended to the step
    /// found: the step and the datafit's value there.
    fn search_then_blend<D: Datafit>(
        d: &mut D,
        pen: &L21,
        w0: &Mat<f64>,
        ws: &[usize],
        delta: &Mat<f64>,
        f: [f64; 2],
        p0: f64,
    ) -> Option<(f64, f64)> {
        let t = w0.nrows();
        let mut wt = w0.clone();
        let mut scratch = Extrapolation {
            saved: ws
                .iter()
                .flat_map(|&j| w0.col_as_slice(j).to_vec())
                .collect(),
            delta: delta.clone(),
            pen: Mat::zeros(t, ws.len()),
        };
        d.init_state(wt.as_ref());
        assert!(d.save_state());
        d.update_blocks(ws, delta.as_ref());
        set_along(&mut wt, ws, &scratch, 1.0);
        let s = line_search(d, pen, &mut wt, ws, &mut scratch, f, p0)?;
        assert!(d.blend_state(s));
        set_along(&mut wt, ws, &scratch, s);
        Some((s, d.value(wt.as_ref())))
    }
}
