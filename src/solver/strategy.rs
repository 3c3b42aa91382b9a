//! The engine's strategy choices, made by one cost model on run-time facts.
//!
//! A shared-design fit can represent the loss `f(W) = ‖Y − XW‖²/(2n)` three
//! ways, all exact:
//!
//! - **residual** ([`crate::datafit::Quadratic`]): keep `R = Y − XW`; a block
//!   step reads and updates R (`O(nT)`), a full gradient is `XᵀR` (`2npT`);
//! - **working-set Gram** (a subproblem of either datafit,
//!   [`crate::datafit::Datafit::working_set_gram`]): for one inner solve over a
//!   working set S of w rows, `Q_SS = X_SᵀX_S/n` (grown incrementally, only the
//!   columns new to the cache cost `X_Sᵀ X_new`), `B_S = X_SᵀR/n + Q_SS W_S`;
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
//! **Inner solve** ([`inner_mode`]), per outer iteration:
//!
//! ```text
//! residual epochs:       E (2nTw + 2nTm)                 gradient GEMM + residual update
//! working-set Gram:      2nck + nk²                      grow Q_SS by the new columns
//!                      + 2nwT + 2nTm                     B_S = X_SᵀR/n, final R update
//!                      + E (2wTm + wT)                   epochs on Q_SS
//! (full Gram datafit)    w² + 2pTm + E (2wTm + wT)        gather Q_SS, final G update
//!   vs its plain epochs  E (2pTm + pT)
//! ```
//!
//! The working-set Gram wins as soon as E ≳ 1 + k(c + k/2)/(wT) on a
//! residual datafit: almost always once the cache holds the working set, and on
//! the first solve whenever `E·T ≳ w` (tall problems, many tasks, or a few
//! dozen rows). It loses on a dense solution of a wide problem (w in the
//! thousands, n in the hundreds: Q_SS costs more than the epochs it saves, and
//! its w² memory is large), where residual epochs stay. E is the previous inner
//! solve's epoch count (the best run-time predictor: it changes slowly along
//! a fit), [`FIRST_EPOCHS`] before the first.
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
//! full Gram  ⟺  n p² / F  <  (K − 1)·2npT + n w²/F   ⟺   p² < 2F(K − 1)pT + w²
//! ```
//!
//! with w the first working set. It also needs p ≤ n (otherwise its block steps,
//! `O(pT)`, cost more than residual ones, `O(nT)`, and Q is larger than X) and
//! p ≤ [`FULL_GRAM_MAX_P`] (memory). A single fit from zero then takes the full
//! Gram only for `p < 4T + w²/p` (many tasks), a 20-alpha path for
//! `p ≲ 40T`, a 100-alpha CV fold for `p ≲ 200T`.

/// Largest p for which a full Gram matrix (p² values) is built.
pub const FULL_GRAM_MAX_P: usize = 10_000;

/// The epochs the first inner solve is assumed to take (no history yet).
pub const FIRST_EPOCHS: f64 = 8.0;

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
    if pf * pf < 2.0 * f * extra_checks * pf * tf + w * w {
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
    /// Expected epochs of this inner solve.
    pub epochs: f64,
}

/// The inner mode of one inner solve (see the module doc for the costs).
pub fn inner_mode(f: &InnerFacts) -> InnerMode {
    let Shape { n, p, t } = f.shape;
    let (nf, pf, tf) = (n as f64, p as f64, t as f64);
    let w = f.w as f64;
    let m = f.moving.max(1).min(f.w) as f64;
    let e = f.epochs.max(1.0);
    let sub_epochs = e * (2.0 * w * tf * m + w * tf);
    if f.full_gram {
        let plain = e * (2.0 * pf * tf * m + pf * tf);
        let sub = w * w + 2.0 * pf * tf * m + sub_epochs;
        return if sub < plain {
            InnerMode::WorkingSetGram
        } else {
            InnerMode::Epochs
        };
    }
    if f.w * (n + f.w) > WS_GRAM_BUDGET {
        return InnerMode::Epochs;
    }
    let c = f.cached.min(f.w) as f64;
    let k = w - c;
    let residual = e * (2.0 * nf * tf * w + 2.0 * nf * tf * m);
    let sub = 2.0 * nf * c * k + nf * k * k + 2.0 * nf * w * tf + 2.0 * nf * tf * m + sub_epochs;
    if sub < residual {
        InnerMode::WorkingSetGram
    } else {
        InnerMode::Epochs
    }
}

/// The inner solve's stopping ratio: an inner solve stops when its epoch
/// violation is below this fraction of the check's KKT residual.
///
/// A tighter inner solve costs more epochs and saves outer iterations, each
/// of which costs a check (a full gradient). So the ratio follows the price of
/// an epoch relative to a check, `clamp(epoch / check, 10⁻³, 0.3)`: on a
/// working-set Gram subproblem (`2wTm` per epoch against `2npT`) inner solves
/// run to 10⁻³ of the outer violation; residual epochs over a working set of
/// w rows (`4nTw` against `2npT`, i.e. `2w/p`) stop at 0.3 once the working set
/// is a sizeable fraction of p (dense solutions, where checks are cheap
/// relative to epochs). Measured on drawn problems (tall, square, very wide,
/// MEG-like, at 0.1 and 0.01–0.02 alpha_max): fixed ratios of 10⁻³ and 0.3
/// each lost up to 2× on one of the two regimes.
pub fn inner_ratio(mode: InnerMode, f: &InnerFacts) -> f64 {
    let Shape { n, p, t } = f.shape;
    let (nf, pf, tf, w) = (n as f64, p as f64, t as f64, f.w as f64);
    let m = f.moving.max(1).min(f.w) as f64;
    let check = 2.0 * nf * pf * tf;
    let epoch = match (mode, f.full_gram) {
        (InnerMode::WorkingSetGram, _) => 2.0 * w * tf * m + w * tf,
        (InnerMode::Epochs, true) => 2.0 * pf * tf * m + pf * tf,
        (InnerMode::Epochs, false) => 2.0 * nf * tf * (w + m),
    };
    // a full Gram's check costs O(pT), not a product: use the same scale
    let check = if f.full_gram {
        2.0 * pf * pf * tf
    } else {
        check
    };
    (epoch / check).clamp(1e-3, 0.3)
}

/// The first working-set size, `clamp(√(pT), 10, 100)`.
///
/// Each outer check costs a full gradient (`2npT`, or a pass over X when that
/// is memory-bound); a working set of w rows costs, in working-set Gram mode,
/// `n w²` once, and in residual epochs `4nTw` per epoch. A first set that
/// already holds the support saves checks, one that is too large wastes its
/// `n w²`: balancing one check against the Gram (`2npT ≈ n w²` up to the
/// GEMM/stream speed ratio) gives `w ≈ √(pT)`, capped at 100 (wide problems,
/// where the support is a few dozen rows and residual epochs over w rows
/// cost `4nTw`) and floored at 10.
pub fn first_working_set(p: usize, t: usize) -> usize {
    let w = ((p as f64) * (t as f64)).sqrt().round() as usize;
    w.clamp(10, 100).min(p)
}

/// The working-set size after a check: the first size, or twice the support
/// (celer and skglm double it), at most p.
pub fn working_set_size(first: usize, n_support: usize, p: usize) -> usize {
    first.max(2 * n_support).min(p)
}
