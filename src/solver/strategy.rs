//! The engine's strategy choices, made by one cost model on run-time facts.
//!
//! A shared-design fit can represent the loss `f(W) = ‖Y − XW‖²/(2n)` three
//! ways, all exact:
//!
//! - **residual** ([`crate::datafit::Quadratic`]): keep `R = Y − XW`; a block
//!   step reads and updates R (`O(nT)`), a full gradient is `XᵀR` (`2npT`);
//! - **working-set Gram** (a subproblem of either datafit,
//!   [`crate::datafit::Datafit::working_set_gram`]): for one inner solve over a
//!   working set S of w rows, `Q_SS = X_SᵀX_S/n` (kept from the last working
//!   set, only the columns new to it cost `X_Sᵀ X_new`), `B_S = X_SᵀR/n +
//!   Q_SS W_S` (`X_SᵀR/n` is the check's gradient: no product);
//!   the epochs then cost `O(wT)` per moving row, and R takes the change once
//!   at the end (`R −= X_S ΔW_Sᵀ`);
//! - **full Gram** ([`crate::datafit::Gram`]): `Q = XᵀX/n` once (`n p²`
//!   flops), then block steps cost `O(pT)` and a full gradient is free.
//!
//! All counts below are flops of matrix products (every term is a GEMM or a
//! loop of equal arithmetic intensity, so flops compare times); n samples, p
//! features, T tasks, w rows in the working set, m of them moving per epoch
//! (about the support), c columns already in the working-set Gram cache,
//! k = w − c new ones, E epochs per inner solve.
//!
//! **Inner solve** ([`inner_mode`]). The costs of one inner solve:
//!
//! ```text
//! residual epochs:   epoch  = 2nTw + 2nTm           gradient GEMM + residual update
//! working-set Gram:  setup  = 2nck + nk²            grow Q_SS by the new columns
//!                           + 2nTm                  final R update
//!                    epoch  = 2wTm + wT             epochs on Q_SS
//! (full Gram datafit: setup = w² + 2pTm, gather Q_SS and final G update;
//!  its plain epochs cost 2pTm + pT)
//! check (full gradient):      2npT                  (full Gram: pT)
//! ```
//!
//! On tall designs (n ≥ [`STREAM_ROWS`]) the passes over columns of X (the
//! residual epochs, the commit, the check) stream from memory and are priced
//! with `max(T, 8)` tasks ([`STREAM_TASKS`]): with two to four tasks their
//! flops undercount them, and the model then kept residual epochs where the
//! working-set Gram was 17 % faster (25606 × 122 × 4, a dense solution).
//!
//! The two modes run the same coordinate descent (the same iterates), so they
//! need the same epochs per decade of KKT reduction, `d` (measured on the
//! previous inner solves of the fit). They differ in what an epoch costs and
//! in how tightly an inner solve is run ([`inner_ratio`]: cheap epochs run
//! far below the outer violation, several decades per outer iteration, so
//! that fewer checks are needed). The model compares the price of one decade:
//!
//! ```text
//! growth / decades_left + (setup + check + c₀) / decades(mode) + d · epoch(mode)
//! ```
//!
//! where `c₀` ([`OUTER_FIXED`]) is the fixed cost of an outer iteration and
//! the working-set Gram's growth (`2nck + nk²`, cached for the later inner
//! solves) is spread over the decades the fit still needs once the working
//! set holds half of the features, over this solve's decades before (a
//! smaller working set may still quadruple, and its cache be dropped). Priced
//! over one solve, the growth kept small dense fits (400 × 100 × 3 at
//! 0.015·alpha_max) in residual epochs at every solve: 0.54 → 0.36 ms with
//! the growth spread and the fixed cost below (measured together).
//!
//! So the working-set Gram pays its (one-off, cached) Gram growth when it
//! saves enough epochs and checks: nearly always on tall problems (an epoch is
//! `O(wT)` against `O(nT)`), on sparse wide ones (few new columns), and not
//! on the dense solutions of wide problems (w in the thousands, n in the
//! hundreds: growing Q_SS costs more than the epochs it saves, and its w²
//! memory is large), where residual epochs stay.
//!
//! **Datafit** ([`datafit_mode`]), once per prepared problem reused by F fits
//! (F = 1 for a fit, the number of alphas for a path or a CV fold): per fit
//! the residual route pays the full gradients after the first (the first is
//! `XᵀY`, computed anyway for alpha_max): `(K − 1)·2npT` with K checks per fit
//! (measured: K ≈ 3 from zero, K ≈ 2 per alpha along a warm path), plus its
//! working-set Gram `n w²` shared by the F fits. The full Gram pays `n p²`
//! once. So
//!
//! ```text
//! full Gram  ⟺  n p²  <  F(K − 1)·(2npT + c₀) + n w²
//! ```
//!
//! (`c₀`: an outer iteration's fixed cost, which only tiny problems notice:
//! 135 × 38 × 3 and 35 × 27 × 3 fit 30–35 % faster on the full Gram than
//! on residuals, at 0.1 and 0.014–0.016·alpha_max).
//!
//! with w the first working set. It also needs p ≤ n (otherwise its block steps,
//! `O(pT)`, cost more than residual ones, `O(nT)`, and Q is larger than X) and
//! p ≤ [`FULL_GRAM_MAX_P`] (memory). A single fit from zero then takes the full
//! Gram only for `p < 4T + w²/p` (many tasks) or tiny problems, a 20-alpha path for
//! `p ≲ 40T`, a 100-alpha CV fold for `p ≲ 200T`.

/// Passes over X cost at least what this many tasks' flops cost: a product
/// `X_Sᵀ R` with T columns in R does `2T` flops per 8-byte value of X read,
/// and below about 2 flops per byte the GEMM is memory-bound (measured on
/// tall designs with 2–4 tasks: a residual epoch over 118 columns of a
/// 25606-row X took the time of 8 tasks' flops).
pub const STREAM_TASKS: usize = 8;

/// Rows from which the residual epochs and checks of the cost model stream X
/// from memory (a column is 64 KiB or more, so a working set's columns do
/// not stay in cache between epochs); shorter columns (wide designs) are
/// reread from cache and cost their flops.
pub const STREAM_ROWS: usize = 8192;

/// The fixed cost of one outer iteration, in flops: the subproblem's set-up,
/// gathers and commit and the check's bookkeeping, which do not scale with
/// the products the model counts. Measured at 5–7 µs per outer iteration on
/// small problems (135 × 38 × 3, 400 × 100 × 3); 10⁵ flops is that time at an
/// assumed 15–20 Gflop/s for such small products (chosen, not fitted). It
/// matters only where the products are that small: it makes tiny problems
/// take the full Gram and run their inner solves tighter.
pub const OUTER_FIXED: f64 = 1e5;

/// Largest p for which a full Gram matrix (p² values) is built.
pub const FULL_GRAM_MAX_P: usize = 10_000;

use crate::datafit::WS_GRAM_BUDGET;

/// The shape of a shared-design problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Samples n.
    pub n: usize,
    /// Features p.
    pub p: usize,
    /// Tasks T.
    pub t: usize,
}

/// How the loss of a shared-design problem is represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatafitMode {
    /// Residuals R (with working-set Gram inner solves where they pay).
    Residual,
    /// The full Gram matrix `XᵀX/n`.
    FullGram,
}

/// The datafit for a problem of `shape` whose preparation serves `fits`
/// fits (see the module doc for the derivation).
pub fn datafit_mode(shape: Shape, fits: usize) -> DatafitMode {
    let Shape { n, p, t } = shape;
    if p > n || p > FULL_GRAM_MAX_P {
        return DatafitMode::Residual;
    }
    let (pf, tf, f) = (p as f64, t as f64, fits.max(1) as f64);
    // full gradients after the first, per fit
    let extra_checks = if fits > 1 { 1.0 } else { 2.0 };
    let w = first_working_set(p, t) as f64;
    let nf = n as f64;
    let check = 2.0 * nf * pf * tf + OUTER_FIXED;
    if nf * pf * pf < f * extra_checks * check + nf * w * w {
        DatafitMode::FullGram
    } else {
        DatafitMode::Residual
    }
}

/// How one inner solve runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InnerMode {
    /// Epochs of the datafit itself over the working set.
    Epochs,
    /// Epochs on the working set's Gram subproblem.
    WorkingSetGram,
}

/// What the inner-mode choice is made from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InnerFacts {
    /// The datafit's shape.
    pub shape: Shape,
    /// Whether the datafit is a full Gram (else residuals).
    pub full_gram: bool,
    /// Working-set size w.
    pub w: usize,
    /// Working-set columns already in the Gram cache.
    pub cached: usize,
    /// Rows expected to move per epoch (the support in the working set).
    pub moving: usize,
    /// Epochs per decade of KKT reduction, measured on the fit's previous
    /// inner solves ([`EPOCHS_PER_DECADE`] before the first).
    pub epochs_per_decade: f64,
    /// Decades of reduction the fit still needs: `log10(certificate / tol)`
    /// at the last check (0 when unknown). The working-set Gram's growth is
    /// cached and serves every later inner solve over the same rows, so it
    /// is priced over these decades, not over one inner solve's.
    pub decades_left: f64,
}

/// What one epoch, the setup of a working-set Gram subproblem and one check
/// cost, in flops (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Costs {
    /// An epoch of the datafit's own over the working set.
    pub epoch: f64,
    /// An epoch on the working-set Gram subproblem.
    pub sub_epoch: f64,
    /// Growing the working-set Gram cache by the new columns (kept for the
    /// later inner solves; 0 for a full Gram datafit).
    pub sub_growth: f64,
    /// Building and committing the subproblem, paid by every inner solve.
    pub sub_setup: f64,
    /// A check's gradient.
    pub check: f64,
}

impl Costs {
    /// The costs for the facts `f`.
    pub fn of(f: &InnerFacts) -> Self {
        let Shape { n, p, t } = f.shape;
        let (nf, pf, tf, w) = (n as f64, p as f64, t as f64, f.w as f64);
        let m = f.moving.max(1).min(f.w) as f64;
        let sub_epoch = 2.0 * w * tf * m + w * tf;
        if f.full_gram {
            return Costs {
                epoch: 2.0 * pf * tf * m + pf * tf,
                sub_epoch,
                sub_growth: 0.0,
                sub_setup: w * w + 2.0 * pf * tf * m,
                check: pf * tf,
            };
        }
        let c = f.cached.min(f.w) as f64;
        let k = w - c;
        // on tall designs passes over columns of X stream from memory: they
        // cost at least STREAM_TASKS tasks' flops
        let ts = if n >= STREAM_ROWS {
            t.max(STREAM_TASKS)
        } else {
            t
        } as f64;
        Costs {
            epoch: 2.0 * nf * ts * (w + m),
            sub_epoch,
            sub_growth: 2.0 * nf * c * k + nf * k * k,
            sub_setup: 2.0 * nf * ts * m,
            check: 2.0 * nf * pf * ts,
        }
    }
}

/// Decades of KKT reduction an inner solve at `ratio` aims for.
pub fn decades(ratio: f64) -> f64 {
    -ratio.log10()
}

/// The inner mode of one inner solve: the cheaper price per decade of KKT
/// reduction (see the module doc).
pub fn inner_mode(f: &InnerFacts) -> InnerMode {
    if !f.full_gram && f.w * f.w > WS_GRAM_BUDGET {
        return InnerMode::Epochs;
    }
    let c = Costs::of(f);
    let d = f.epochs_per_decade.max(0.5);
    let sub_decades = decades(ratio_of(c.sub_epoch, c.check + c.sub_setup + OUTER_FIXED));
    let own_decades = decades(ratio_of(c.epoch, c.check + OUTER_FIXED));
    // the growth serves the decades left to the tolerance (the cache keeps
    // the working set's columns) once the working set holds half of the
    // features: a later one (at most p) keeps its columns and adds at most as
    // many. A smaller one may still quadruple, and the next, larger growth
    // may not pay (a square dense draw then paid a growth for one solve)
    let settled = 2 * f.w >= f.shape.p;
    let growth_decades = if settled {
        f.decades_left.max(sub_decades)
    } else {
        sub_decades
    };
    let sub = c.sub_growth / growth_decades
        + (c.sub_setup + c.check + OUTER_FIXED) / sub_decades
        + d * c.sub_epoch;
    let own = (c.check + OUTER_FIXED) / own_decades + d * c.epoch;
    if sub < own {
        InnerMode::WorkingSetGram
    } else {
        InnerMode::Epochs
    }
}

/// The epochs per decade assumed before the first inner solve of a fit.
pub const EPOCHS_PER_DECADE: f64 = 4.0;

/// The inner solve's stopping ratio: an inner solve stops when its epoch
/// violation is below this fraction of the check's KKT residual.
///
/// A tighter inner solve costs more epochs and saves outer iterations, each
/// of which costs a check (a full gradient), the subproblem's set-up and
/// commit and [`OUTER_FIXED`]. So the ratio follows the price of an epoch
/// relative to an outer iteration, `clamp(epoch / (check + set-up +
/// OUTER_FIXED), 10⁻⁶, 0.3)`: on a working-set Gram subproblem (`2wTm` per
/// epoch against `2npT`) inner solves run far below the outer violation
/// (when the working set holds the support the next check certifies, one
/// outer iteration sooner); residual epochs over
/// a working set of w rows (`4nTw` against `2npT`, i.e. `2w/p`) stop at 0.3
/// once the working set is a sizeable fraction of p (dense solutions, where
/// checks are cheap relative to epochs). Measured on drawn problems (tall,
/// square, very wide, MEG-like, at 0.1 and 0.01–0.02 alpha_max): fixed ratios
/// of 10⁻³ and 0.3 each lost up to 2× on one of the two regimes, and a floor
/// of 10⁻³ instead of 10⁻⁶ cost tall and very wide fits an outer iteration
/// (tall 50000 × 200 × 10: 6 → 4 epochs, −12 %; a tall three-task draw at 0.1
/// −24 %). [`inner_mode`] still prices an inner solve over at most three
/// decades (a working set is seldom final at the first solves).
pub fn inner_ratio(mode: InnerMode, f: &InnerFacts) -> f64 {
    let c = Costs::of(f);
    let r = match mode {
        InnerMode::WorkingSetGram => c.sub_epoch / (c.check + c.sub_setup + OUTER_FIXED),
        InnerMode::Epochs => c.epoch / (c.check + OUTER_FIXED),
    };
    r.clamp(INNER_RATIO_FLOOR, 0.3)
}

/// The tightest inner ratio (cheap subproblem epochs against a costly check).
const INNER_RATIO_FLOOR: f64 = 1e-6;

/// `clamp(epoch / check, 10⁻³, 0.3)`.
fn ratio_of(epoch: f64, check: f64) -> f64 {
    (epoch / check).clamp(1e-3, 0.3)
}

/// The first working-set size, `clamp(√(p·max(T, 8)), 10, 100)`.
///
/// Each outer check costs a full gradient (`2npT`, or a pass over X when that
/// is memory-bound); a working set of w rows costs, in working-set Gram mode,
/// `n w²` once, and in residual epochs `4nTw` per epoch. A first set that
/// already holds the support saves checks, one that is too large wastes its
/// `n w²`: balancing one check against the Gram (`2npT ≈ n w²`) gives
/// `w ≈ √(pT)`. With fewer than 8 tasks the check is a memory-bound stream of
/// X (8 bytes per `2T` flops, against about 2 flops per byte the GEMM
/// sustains), so it costs as if T were 8. Capped at 100 (wide problems, where
/// the support is a few dozen rows and residual epochs over w rows cost
/// `4nTw`) and floored at 10. Measured on tall two-task draws (31872 × 117,
/// 27272 × 220): 14–28 % less time than with `√(pT)`, one outer iteration
/// fewer. Unlike [`Costs::of`] the rule does not look at n (it has no shape):
/// very wide designs are at the cap either way, and a tiny draw (122 × 38 ×
/// 4) timed the same with both.
pub fn first_working_set(p: usize, t: usize) -> usize {
    let w = ((p as f64) * (t.max(STREAM_TASKS) as f64)).sqrt().round() as usize;
    w.clamp(10, 100).min(p)
}

/// What the working-set size after a check is chosen from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Growth {
    /// The first working-set size ([`first_working_set`] or the caller's).
    pub first: usize,
    /// Blocks forced in: the support and the unpenalised blocks.
    pub n_support: usize,
    /// The previous working set's size (0 before the first inner solve).
    pub previous: usize,
    /// Blocks that violate optimality or are forced in (a positive score).
    pub violating: usize,
    /// Samples n (0 when the datafit does not say: per-task designs).
    pub n: usize,
    /// Features p.
    pub p: usize,
    /// At the first check of a warm start: the rows expected to enter the
    /// support, forecast by the previous solve
    /// ([`super::WarmStart::support_growth`]).
    pub forecast: Option<usize>,
}

/// The working-set size after a check: the first size, or twice the support
/// (celer and skglm double it), four times when the support filled at least
/// three quarters of the `previous` working set (it was too small: a dense
/// solution is still being found, and each outer iteration spent growing it
/// costs a check), at most p. On a design no wider than twice its height
/// (`p ≤ 2n`) a saturated working set takes every violating block at once.
///
/// Measured (thread CPU time, drawn problems with supports of 150–2300 rows):
/// the ×4 rule cut 5–20 % of the time on square and MEG-like problems with
/// large supports, and changed sparse ones by less than the timing noise.
/// On square draws at 0.01–0.02·alpha_max the support is most of p (1386 of
/// 1392 to 2047 of 2050 rows), and growing ×4 from the first working set
/// (100 → 388 → 1552 → all) spent an inner solve and a check on each step
/// whose iterate the next discarded: taking every violator after the first
/// saturated solve cut 1890 × 1801 × 19 from 32 to 25 epochs (−15 %),
/// 2117 × 2034 × 10 from 57 to 45 (−19 %), 2845 × 2050 × 29 from 26 to 19
/// (−13 %), 1430 × 1392 × 12 −6 %; tall, tiny and square draws at 0.1 were
/// level. On wide designs the violators at the first checks are most of p
/// while the support ends far smaller (16536 violators for 290 rows on
/// 170 × 16860 × 2): allowed there (when the violators were at most 24
/// times the support), the jump cost MEG-like fits 10–18 % (300 × 5000 × 50
/// at 0.01, 500 × 2000 × 200), so it is kept to `p ≤ 2n`.
///
/// **A warm start's first working set** (along a path or a CV fold) is the
/// support plus twice the rows forecast to enter (the support's growth over
/// the previous solve that ran epochs), at least the first size of them, and
/// at most the doubled support. Doubling a support of 1538 rows whose alpha
/// adds about 100 put 1538 candidates into the first inner solve: in the
/// 5-fold CV of 300 × 5000 × 50 (scikit-learn's rule) the support reached
/// 1705, fell back to 1625 and ended at 1643, and the gap at the check
/// after them rose (0.21 → 0.56, tol 0.11). Measured in one process against
/// the doubled support: that CV −4 % and −8 % in two runs; 20-alpha paths
/// 0.92–0.97 on two MEG-like draws, 0.92–1.05 on three other wide ones,
/// level (1.01–1.03) on a square draw whose support grows by half at every
/// alpha (the forecast keeps the doubling there) and on four tall ones
/// (0.98–1.02). At the default rule (CV with every alpha to a relative gap
/// of 1e-8) it does no more work: 62653 against 62814 epochs, 4339 against
/// 4386 checks, 1.4 % fewer working-set rows × epochs; its time read +1 to
/// +7 % in one process and +1.8 % in two concurrent runs whose alpha ranges
/// differed both ways (−9 s on alphas 41–70, +13 s on 71–100): not a
/// difference of work. A forecast too small costs one check:
/// the rows it left out are violators there and the rules above take them.
pub fn working_set_size(g: Growth) -> usize {
    let doubled = g.first.max(2 * g.n_support).min(g.p);
    if let (0, Some(entering)) = (g.previous, g.forecast) {
        return (g.n_support + g.first.max(2 * entering)).min(doubled);
    }
    let saturated = g.previous > 0 && 4 * g.n_support >= 3 * g.previous;
    if saturated && g.p <= 2 * g.n {
        return g.violating.max(g.first).min(g.p);
    }
    if saturated {
        g.first.max(4 * g.n_support).min(g.p)
    } else {
        doubled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(n: usize, p: usize, t: usize, w: usize, cached: usize, moving: usize) -> InnerFacts {
        InnerFacts {
            shape: Shape { n, p, t },
            full_gram: false,
            w,
            cached,
            moving,
            epochs_per_decade: EPOCHS_PER_DECADE,
            decades_left: 0.0,
        }
    }

    /// The cost model's choices on the regimes its derivation describes.
    #[test]
    fn cost_model_regimes() {
        let shape = |n, p, t| Shape { n, p, t };
        // single fits: full Gram only with many tasks; never when p > n
        assert_eq!(datafit_mode(shape(30000, 200, 5), 1), DatafitMode::Residual);
        assert_eq!(
            datafit_mode(shape(10000, 150, 100), 1),
            DatafitMode::FullGram
        );
        assert_eq!(
            datafit_mode(shape(300, 5000, 50), 100),
            DatafitMode::Residual
        );
        // reuse along a path pays for the Gram of a tall problem
        assert_eq!(
            datafit_mode(shape(30000, 200, 5), 100),
            DatafitMode::FullGram
        );
        // tall: the working-set Gram; wide dense: residual epochs
        assert_eq!(
            inner_mode(&facts(30000, 200, 5, 40, 0, 20)),
            InnerMode::WorkingSetGram
        );
        assert_eq!(
            inner_mode(&facts(300, 5000, 50, 2500, 0, 1200)),
            InnerMode::Epochs
        );
        // a tall design with few tasks: residual epochs stream X (priced at
        // STREAM_TASKS tasks), so growing the working-set Gram pays; short
        // columns are reread from cache and priced at their flops
        assert_eq!(
            inner_mode(&facts(25606, 122, 4, 118, 30, 30)),
            InnerMode::WorkingSetGram
        );
        let short = Costs::of(&facts(2000, 122, 4, 118, 30, 30));
        assert_eq!(short.epoch, 2.0 * 2000.0 * 4.0 * (118.0 + 30.0));
        let tall = Costs::of(&facts(25606, 122, 4, 118, 30, 30));
        assert_eq!(tall.epoch, 2.0 * 25606.0 * 8.0 * (118.0 + 30.0));
        // a sparse wide working set already cached
        assert_eq!(
            inner_mode(&facts(300, 5000, 50, 100, 100, 20)),
            InnerMode::WorkingSetGram
        );
        // a full Gram datafit: a small working set's subproblem beats full-length epochs
        let full = InnerFacts {
            full_gram: true,
            ..facts(30000, 2000, 10, 50, 50, 20)
        };
        assert_eq!(inner_mode(&full), InnerMode::WorkingSetGram);
        // over budget: residual epochs whatever the costs
        assert_eq!(
            inner_mode(&facts(1 << 20, 5000, 1, 4000, 0, 10)),
            InnerMode::Epochs
        );
        // inner ratios stay in [1e-6, 0.3], tight for cheap epochs: a small
        // working-set Gram on a tall design runs to ~1e-4 of the outer
        // violation (sub epoch 2wTm + wT against an outer iteration: a check
        // streamed at 8 tasks, the commit and the fixed cost)
        let tall = facts(30000, 200, 5, 40, 40, 20);
        let sub = 2.0 * 40.0 * 5.0 * 20.0 + 40.0 * 5.0;
        let check = 2.0 * 30000.0 * 200.0 * 8.0;
        let commit = 2.0 * 30000.0 * 8.0 * 20.0;
        assert_eq!(
            inner_ratio(InnerMode::WorkingSetGram, &tall),
            sub / (check + commit + OUTER_FIXED)
        );
        let tiny_ws = facts(1 << 20, 200, 1, 10, 10, 1);
        assert_eq!(inner_ratio(InnerMode::WorkingSetGram, &tiny_ws), 1e-6);
        let dense = facts(300, 5000, 50, 4000, 0, 2000);
        assert_eq!(inner_ratio(InnerMode::Epochs, &dense), 0.3);
        // the growth of a working set holding half of p serves the decades
        // left to the tolerance: with six decades left it pays on a small
        // dense fit (400 x 100 x 3, 69 new columns), not for one solve; a
        // working set below p/2 is priced over its own solve either way
        let small_dense = facts(400, 100, 3, 96, 27, 27);
        assert_eq!(inner_mode(&small_dense), InnerMode::Epochs);
        let six_left = InnerFacts {
            decades_left: 6.0,
            ..small_dense
        };
        assert_eq!(inner_mode(&six_left), InnerMode::WorkingSetGram);
        let unsettled = InnerFacts {
            decades_left: 6.0,
            ..facts(1344, 1845, 6, 376, 94, 94)
        };
        assert_eq!(inner_mode(&unsettled), InnerMode::Epochs);
        // the fixed cost of an outer iteration: tiny problems take the full
        // Gram (their products cost less than the iterations' set-ups) and
        // run tighter inner solves; small ones keep residuals
        assert_eq!(datafit_mode(shape(135, 38, 3), 1), DatafitMode::FullGram);
        assert_eq!(datafit_mode(shape(35, 27, 3), 1), DatafitMode::FullGram);
        assert_eq!(datafit_mode(shape(400, 100, 3), 1), DatafitMode::Residual);
        let tiny = facts(135, 38, 3, 38, 38, 38);
        let c = Costs::of(&tiny);
        assert_eq!(
            inner_ratio(InnerMode::WorkingSetGram, &tiny),
            c.sub_epoch / (c.check + c.sub_setup + OUTER_FIXED)
        );
        assert!(inner_ratio(InnerMode::WorkingSetGram, &tiny) < 0.1);
        // working sets: first size (few tasks count as 8), 2x support, 4x
        // when saturated, at most p
        assert_eq!(first_working_set(200, 5), 40);
        assert_eq!(first_working_set(200, 2), 40);
        assert_eq!(first_working_set(200, 18), 60);
        assert_eq!(first_working_set(5000, 50), 100);
        assert_eq!(first_working_set(5, 2), 5);
        // the size after a check of a design with n samples and p = 200
        let size = |n, n_support, previous, violating| {
            working_set_size(Growth {
                first: 32,
                n_support,
                previous,
                violating,
                n,
                p: 200,
                forecast: None,
            })
        };
        // a wide design (p > 2n): first size, ×2, ×4 when saturated, ≤ p
        assert_eq!(size(50, 10, 32, 150), 32);
        assert_eq!(size(50, 20, 64, 150), 40);
        assert_eq!(size(50, 30, 32, 150), 120);
        assert_eq!(size(50, 90, 100, 150), 200);
        // p ≤ 2n: a saturated working set takes every violator (at least
        // the first size); an unsaturated one still doubles
        assert_eq!(size(100, 30, 32, 150), 150);
        assert_eq!(size(100, 30, 32, 20), 32);
        assert_eq!(size(100, 20, 64, 150), 40);
        // no sample count (per-task designs): never the jump
        assert_eq!(size(0, 30, 32, 150), 120);
        // a warm start's first working set: the support and twice the
        // forecast entering rows, between the first size and the doubled
        // support; later ones ignore the forecast
        let warm = |n_support, previous, forecast| {
            working_set_size(Growth {
                first: 32,
                n_support,
                previous,
                violating: 190,
                n: 50,
                p: 200,
                forecast: Some(forecast),
            })
        };
        assert_eq!(warm(60, 0, 20), 100);
        assert_eq!(warm(60, 0, 5), 92);
        assert_eq!(warm(60, 0, 0), 92);
        assert_eq!(warm(10, 0, 5), 32);
        assert_eq!(warm(60, 0, 40), 120);
        assert_eq!(warm(20, 64, 0), 40);
    }
}
