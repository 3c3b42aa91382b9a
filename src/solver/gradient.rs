//! The gradient cache of the outer loop: the full gradient `∇f(W)` the
//! certificate, the working-set scores and screening read, kept with as few
//! matrix products as the drift bound allows.
//!
//! **Skipped blocks.** For penalties with a closed-form dual
//! ([`crate::penalty::Penalty::elastic_form`]) and datafits that bound their
//! gradient drift ([`Datafit::drift`]), a refresh recomputes only the blocks
//! that can matter: a zero block whose dual norm at the last full gradient
//! (the *reference*) plus `√h_j · drift` is below `l1` is provably
//! non-violating (its KKT violation is 0) and cannot set the dual scaling of the
//! gap, so the certificate is exactly the one a full gradient would give (the
//! sphere argument of gap-safe screening, Ndiaye et al., JMLR 2017, applied to
//! the gradient instead of the dual point). Such a block is stored as zero: a
//! value from a later partial refresh could show a violation it no longer has.
//! A full product is redone, and becomes the new reference, when more than
//! half the blocks need recomputing (a partial product gathers its columns;
//! beyond half, measured slower than the full GEMM).
//!
//! **Screened blocks** ([`super::screening`]) are not recomputed either: they
//! are zero at every optimum, and their gradient is needed only for the final
//! certificate, which must be the full duality gap. They are listed as
//! *pending* and computed by `GradientCache::complete_pending` when the
//! certificate is otherwise met.

use super::screening::Screened;
use crate::datafit::Datafit;
use crate::penalty::{ElasticForm, Penalty};
use faer::Mat;

/// The state a solve can restart from without a matrix product: see
/// [`super::solve_from`].
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
    /// reached ([`super::apg::ApgInfo::lipschitz`]): the next solve on the
    /// same datafit starts from it instead of a power iteration. `None` from
    /// block coordinate descent.
    pub lipschitz: Option<f64>,
    /// Rows the support grew by over the last solve that ran epochs (its
    /// final support minus the support at its first check): the next warm
    /// solve's forecast of the rows that enter
    /// ([`super::strategy::Growth::forecast`]). `None` when unknown.
    pub support_growth: Option<usize>,
}

impl WarmStart {
    /// An exact gradient (every column computed at the current state).
    pub fn exact(grad: Mat<f64>) -> Self {
        Self {
            grad,
            reference: None,
            fresh: Vec::new(),
            lipschitz: None,
            support_growth: None,
        }
    }
}

/// The block dual norms of the last full gradient: the centres of the drift
/// bound.
#[derive(Debug, Clone)]
pub struct Reference {
    /// Dual norm of each gradient block.
    pub norms: Vec<f64>,
}

impl Reference {
    fn new(form: &ElasticForm, grad: &Mat<f64>) -> Self {
        let mut buf = vec![0.0; grad.nrows()];
        let norms = (0..grad.ncols())
            .map(|j| {
                form.sparsity
                    .block_dual_norm(super::gap::column(grad.as_ref(), j, &mut buf))
            })
            .collect();
        Self { norms }
    }

    /// The drift bound on block j's gradient dual norm now: its norm at the
    /// reference plus `√h_j · drift` (see [`Datafit::drift`]).
    #[inline]
    pub(crate) fn bound(&self, j: usize, h: f64, drift: f64) -> f64 {
        self.norms[j] + h.max(0.0).sqrt() * drift
    }
}

/// `∇f(W)` as the outer loop sees it (T × p), with what is known about each
/// column.
#[derive(Debug)]
pub(crate) struct GradientCache {
    /// The gradient; certified and pending columns are zero.
    pub(crate) grad: Mat<f64>,
    /// Dual norms of the last full product (`None`: no drift bound, or the
    /// warm gradient is exact and not yet adopted).
    pub(crate) reference: Option<Reference>,
    /// Which columns are exact at the current state (empty: all are, or the
    /// last refresh was a full product).
    pub(crate) fresh: Vec<bool>,
    /// Screened blocks not computed at the last refresh.
    pending: Vec<usize>,
    /// Scratch: the blocks a partial refresh computes.
    rows: Vec<usize>,
    /// The reference was just taken and its norms are not computed yet.
    norms_pending: bool,
    /// Columns were set exact by [`GradientCache::preset_exact`] since the
    /// last refresh (which then computes only the others).
    preset: bool,
}

impl GradientCache {
    /// An empty cache for T × p, or the warm state of a previous solve.
    ///
    /// # Panics
    /// If the warm gradient is not T × p.
    #[track_caller]
    pub(crate) fn new(warm: Option<WarmStart>, t: usize, p: usize) -> Self {
        let (grad, reference, fresh) = match warm {
            Some(w) => (w.grad, w.reference, w.fresh),
            None => (Mat::zeros(t, p), None, Vec::new()),
        };
        assert_eq!((grad.nrows(), grad.ncols()), (t, p), "grad must be T × p");
        Self {
            grad,
            reference,
            fresh,
            pending: Vec::new(),
            rows: Vec::new(),
            norms_pending: false,
            preset: false,
        }
    }

    /// Sets the columns `rows` to their exact values at the current state
    /// (`fill(c, out)` writes `∇_{rows[c]} f` into `out`), known without a
    /// product: a working-set Gram subproblem's gradient after its commit.
    /// Every other column is stale; the next [`refresh`](Self::refresh)
    /// computes only those (when a drift reference exists), so a working set
    /// that covers most of p costs the check a product over the rest only.
    pub(crate) fn preset_exact(&mut self, rows: &[usize], mut fill: impl FnMut(usize, &mut [f64])) {
        let p = self.grad.ncols();
        self.fresh.clear();
        self.fresh.resize(p, false);
        for (c, &j) in rows.iter().enumerate() {
            fill(c, self.grad.col_as_slice_mut(j));
            self.fresh[j] = true;
        }
        self.preset = true;
    }

    /// Whether the cache holds an exact warm gradient no reference was taken
    /// of yet (it becomes the reference at the first check).
    pub(crate) fn is_unadopted_exact(&self) -> bool {
        self.reference.is_none()
    }

    /// Takes an exact gradient of the current state as the drift reference.
    /// Its block dual norms are left to the check's fused pass
    /// ([`GradientCache::set_reference_norms`]).
    pub(crate) fn adopt<D: Datafit>(&mut self, datafit: &mut D, form: Option<&ElasticForm>) {
        if form.is_some() {
            datafit.mark_reference();
            self.reference = Some(Reference { norms: Vec::new() });
            self.norms_pending = true;
        }
    }

    /// The reference's block dual norms, `Ω*(g_j)` of the gradient as it is
    /// now (the fused pass computes them anyway).
    pub(crate) fn set_reference_norms(&mut self, norms: &[f64]) {
        if let (true, Some(r)) = (self.norms_pending, self.reference.as_mut()) {
            r.norms.clear();
            r.norms.extend_from_slice(norms);
        }
        self.norms_pending = false;
    }

    /// Computes the reference's block dual norms if no fused pass did.
    pub(crate) fn ensure_reference_norms(&mut self, form: Option<&ElasticForm>) {
        if let (true, Some(f)) = (self.norms_pending, form) {
            self.reference = Some(Reference::new(f, &self.grad));
        }
        self.norms_pending = false;
    }

    /// Brings the gradient up to date for an outer check: every block, or
    /// only those the drift bound cannot certify (see the module doc). With
    /// `keep_fresh` (the state has not moved since the columns marked fresh
    /// were computed) those are not recomputed.
    pub(crate) fn refresh<D: Datafit, P: Penalty>(
        &mut self,
        datafit: &mut D,
        penalty: &P,
        form: Option<&ElasticForm>,
        wt: faer::MatRef<'_, f64>,
        screened: &Screened,
        keep_fresh: bool,
    ) {
        let p = wt.ncols();
        self.pending.clear();
        let preset = std::mem::replace(&mut self.preset, false);
        if keep_fresh && self.reference.is_some() && self.fresh.is_empty() {
            return; // the last refresh was a full product at this very state
        }
        if let (Some(f), Some(rf), Some(drift)) = (form, self.reference.as_ref(), datafit.drift()) {
            let known = (keep_fresh || preset) && self.fresh.len() == p;
            self.rows.clear();
            for j in 0..p {
                if known && self.fresh[j] {
                    continue;
                }
                let zero = wt.col(j).iter().all(|&v| v == 0.0);
                let certified = rf.bound(j, datafit.block_curvature(j), drift) < f.l1;
                if zero && !certified && screened.contains(j) {
                    // screened: not needed until the final check
                    self.grad.col_as_slice_mut(j).fill(0.0);
                    self.pending.push(j);
                } else if !zero || !penalty.is_penalized(j) || !certified {
                    self.rows.push(j);
                } else {
                    // certified: any stored value of dual norm < l1 gives the
                    // same gap and a zero violation
                    self.grad.col_as_slice_mut(j).fill(0.0);
                }
            }
            if 2 * self.rows.len() <= p {
                datafit.gradient_rows(&self.rows, self.grad.as_mut());
                if !known {
                    self.fresh.clear();
                    self.fresh.resize(p, false);
                }
                for &j in &self.rows {
                    self.fresh[j] = true;
                }
                return;
            }
        }
        datafit.full_gradient(self.grad.as_mut());
        self.pending.clear();
        self.fresh.clear();
        self.reference = None;
        self.adopt(datafit, form);
    }

    /// Whether column j of the gradient is exact at the state of the last
    /// refresh (not a zero stored for a certified or pending block).
    pub(crate) fn is_exact(&self, j: usize) -> bool {
        self.fresh.is_empty() || self.fresh[j]
    }

    /// Whether screened blocks were left out of the last refresh.
    pub(crate) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Computes the screened blocks left out of the last refresh (the final
    /// certificate must be the full duality gap).
    ///
    /// When they are most of p (the screened rows of a sparse fit): one
    /// product over every block, as [`GradientCache::refresh`] does past half
    /// of p, not the gathered blocks (CV of 300 × 5000 × 50, 4970 blocks:
    /// 4.3 ms of a 5.4 ms fit).
    pub(crate) fn complete_pending<D: Datafit>(&mut self, datafit: &mut D) {
        if 2 * self.pending.len() > self.grad.ncols() {
            // every column exact at this state; the drift reference is kept
            datafit.full_gradient(self.grad.as_mut());
            self.fresh.clear();
        } else {
            datafit.gradient_rows(&self.pending, self.grad.as_mut());
            if !self.fresh.is_empty() {
                for &j in &self.pending {
                    self.fresh[j] = true;
                }
            }
        }
        self.pending.clear();
    }

    /// An upper bound on `Ω*(∇_j f)` for a zero block: its exact dual norm
    /// `gnorm` (as stored by the check's pass) when fresh, else the drift
    /// bound (`None` without one).
    #[inline]
    pub(crate) fn dual_norm_bound(
        &self,
        j: usize,
        gnorm: f64,
        h: f64,
        drift: Option<f64>,
    ) -> Option<f64> {
        if self.fresh.is_empty() || self.fresh[j] {
            Some(gnorm)
        } else {
            Some(self.reference.as_ref()?.bound(j, h, drift?))
        }
    }

    /// The state to restart a solve from ([`super::Solution::warm`]).
    pub(crate) fn into_warm(self) -> WarmStart {
        WarmStart {
            grad: self.grad,
            reference: self.reference,
            fresh: self.fresh,
            lipschitz: None,
            support_growth: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datafit::Quadratic;
    use crate::datafit::testing::problem;
    use crate::penalty::L21;
    use crate::solver::screening::Sphere;

    /// An 80-sample problem at W = 0, an L21 penalty at 0.9·alpha_max and a
    /// cache whose first (full) refresh is the drift reference.
    fn referenced(
        p: usize,
        t: usize,
        seed: u64,
    ) -> (Quadratic<'static>, Mat<f64>, L21, GradientCache) {
        let (x, y, _) = problem(80, p, t, seed);
        let mut d = Quadratic::new(x, y);
        let wt = Mat::zeros(t, p);
        d.init_state(wt.as_ref());
        let mut g0 = Mat::zeros(t, p);
        d.full_gradient(g0.as_mut());
        let amax = (0..p)
            .map(|j| crate::linalg::norm(g0.col_as_slice(j)))
            .fold(0.0, f64::max);
        let pen = L21::new(0.9 * amax, 1.0);
        let mut cache = GradientCache::new(None, t, p);
        let form = pen.elastic_form();
        cache.refresh(
            &mut d,
            &pen,
            form.as_ref(),
            wt.as_ref(),
            &Screened::new(p),
            false,
        );
        let norms: Vec<f64> = (0..p)
            .map(|j| crate::linalg::norm(cache.grad.col_as_slice(j)))
            .collect();
        cache.set_reference_norms(&norms);
        (d, wt, pen, cache)
    }

    /// A partial refresh marks exact exactly the columns it computed: each
    /// column `is_exact` reports equals the full gradient at the current
    /// state (what the working-set Gram setup reads instead of `X_jᵀR`); the
    /// others are stored as zero, and some of them are not zero in truth (the
    /// test is not vacuous). Checked to fail when `is_exact` ignores `fresh`.
    #[test]
    fn exact_columns_equal_the_full_gradient() {
        let (p, t) = (60, 3);
        let (mut d, mut wt, pen, mut cache) = referenced(p, t, 7);
        let (form, screened) = (pen.elastic_form(), Screened::new(p));
        // move two rows a little: the drift bound certifies most zero rows
        let (mut exact, mut inexact) = (0, 0);
        for step in 0..3 {
            for j in [step, 10 + step] {
                let delta = vec![1e-3; t];
                for (w, dv) in wt.col_as_slice_mut(j).iter_mut().zip(&delta) {
                    *w += dv;
                }
                d.update_block(j, &delta);
            }
            cache.refresh(&mut d, &pen, form.as_ref(), wt.as_ref(), &screened, false);
            let mut full = Mat::zeros(t, p);
            d.full_gradient(full.as_mut());
            for j in 0..p {
                let same = (0..t).all(|k| (cache.grad[(k, j)] - full[(k, j)]).abs() <= 1e-12);
                if cache.is_exact(j) {
                    assert!(same, "column {j} reported exact at step {step}");
                    exact += 1;
                } else {
                    assert!(
                        cache.grad.col_as_slice(j).iter().all(|&v| v == 0.0),
                        "a column {j} not exact holds a value"
                    );
                    inexact += usize::from(!same);
                }
            }
        }
        assert!(exact > 0 && inexact > 0, "{exact} exact, {inexact} not");
    }

    /// The screened blocks a refresh leaves out, once completed, equal the
    /// full gradient and are reported exact (every column reported exact
    /// does): for a few of them (gathered blocks) and for most of p (one
    /// full product). Checked to fail when the full product is skipped.
    #[test]
    fn completed_pending_columns_equal_the_full_gradient() {
        let (p, t) = (60, 3);
        for (screened_rows, step) in [(10, 2e-2), (p - 10, 0.5)] {
            let (mut d, mut wt, pen, mut cache) = referenced(p, t, 5);
            // the rows hardest to certify: the largest reference gradients
            let mut order: Vec<usize> = (3..p).collect();
            order.sort_by(|&a, &b| {
                let n = |j: usize| crate::linalg::norm(cache.grad.col_as_slice(j));
                n(b).total_cmp(&n(a))
            });
            let rows = order[..screened_rows].to_vec();
            let form = pen.elastic_form();
            let mut screened = Screened::new(p);
            let all = Sphere {
                l1: 1e9,
                l2: 0.0,
                scale: 1.0,
                gap: 0.0,
                y_sq: 0.0,
            };
            screened.screen(&all, rows.iter().copied(), |_| Some((0.0, 0.0)));
            for j in 0..3 {
                let delta = vec![step; t];
                for (w, dv) in wt.col_as_slice_mut(j).iter_mut().zip(&delta) {
                    *w += dv;
                }
                d.update_block(j, &delta);
            }
            cache.refresh(&mut d, &pen, form.as_ref(), wt.as_ref(), &screened, false);
            assert!(cache.has_pending(), "{screened_rows} screened");
            let before: Vec<bool> = (0..p).map(|j| cache.is_exact(j)).collect();
            cache.complete_pending(&mut d);
            assert!(!cache.has_pending());
            let mut full = Mat::zeros(t, p);
            d.full_gradient(full.as_mut());
            let mut completed = 0;
            for j in (0..p).filter(|&j| cache.is_exact(j)) {
                completed += usize::from(!before[j]);
                for k in 0..t {
                    assert!(
                        (cache.grad[(k, j)] - full[(k, j)]).abs() <= 1e-12,
                        "column {j} of {screened_rows} screened"
                    );
                }
            }
            assert!(completed > 0, "{screened_rows} screened: none completed");
            if screened_rows > p / 2 {
                assert!(
                    2 * completed > p,
                    "{completed} completed: the product's case"
                );
            }
        }
    }

    /// After [`GradientCache::preset_exact`] the next refresh keeps the preset
    /// columns (a sentinel stays: they are not recomputed), computes the
    /// others the drift bound does not certify (equal to the full gradient),
    /// and reports both exact; without a preset the same refresh recomputes
    /// the moved rows. Checked to fail when `refresh` ignores the preset.
    #[test]
    fn preset_columns_are_kept_and_the_others_computed() {
        let (p, t) = (60, 3);
        let (mut d, mut wt, pen, mut cache) = referenced(p, t, 11);
        let (form, screened) = (pen.elastic_form(), Screened::new(p));
        // a "working set" of three rows moves (as a commit would)
        let ws = [2, 7, 30];
        for &j in &ws {
            let delta = vec![1e-3; t];
            for (w, dv) in wt.col_as_slice_mut(j).iter_mut().zip(&delta) {
                *w += dv;
            }
            d.update_block(j, &delta);
        }
        let mut full = Mat::zeros(t, p);
        d.full_gradient(full.as_mut());
        const SENTINEL: f64 = 12345.0;
        cache.preset_exact(&ws, |_, out| out.fill(SENTINEL));
        cache.refresh(&mut d, &pen, form.as_ref(), wt.as_ref(), &screened, false);
        let mut computed = 0;
        for j in 0..p {
            if ws.contains(&j) {
                assert!(cache.is_exact(j));
                assert!(cache.grad.col_as_slice(j).iter().all(|&v| v == SENTINEL));
            } else if cache.is_exact(j) {
                computed += 1;
                for k in 0..t {
                    assert!((cache.grad[(k, j)] - full[(k, j)]).abs() <= 1e-12);
                }
            }
        }
        assert!(computed > 0, "no other column computed");
        // no preset: the same refresh recomputes the moved rows
        cache.refresh(&mut d, &pen, form.as_ref(), wt.as_ref(), &screened, false);
        for &j in &ws {
            for k in 0..t {
                assert!((cache.grad[(k, j)] - full[(k, j)]).abs() <= 1e-12);
            }
        }
    }
}
