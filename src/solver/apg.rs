//! Accelerated proximal gradient (FISTA) with adaptive restart and
//! backtracking, over a whole-matrix penalty: the solver for penalties that are
//! not row-separable (trace norm, shared + specific splits, clustered MTL).
//!
//! ```text
//! minimise over Z = (Z_1, …, Z_k):   f(W) + g(Z),    W = Z_1 + … + Z_k
//! ```
//!
//! with f a [`Datafit`] and g a [`ProxPenalty`] (k = 1 for a plain penalty).
//! Iteration (Beck & Teboulle, SIAM J. Imaging Sci. 2009), from `x₀ = z₀`:
//!
//! ```text
//! y   = x_k + β_k (x_k − x_{k−1}),      β_k = (t_k − 1)/t_{k+1},  t_{k+1} = (1 + √(1 + 4t_k²))/2
//! x_{k+1} = prox_{g/L}(y − ∇_Z f(y)/L)   with ∇_{Z_c} f = ∇f(W_y) for every c
//! ```
//!
//! - **Step.** L starts at `k·(1.02 λ)` where λ estimates the largest
//!   eigenvalue of f's Hessian by power iteration (a lower bound, from a few
//!   gradient evaluations). A step is accepted when the exact curvature along
//!   it, `⟨ΔW, ∇f(W_z) − ∇f(W_y)⟩ = ΔWᵀ H ΔW` (f is quadratic), is at most
//!   `L‖Δz‖²`, the sufficient-decrease condition of backtracking written
//!   without cancellation; otherwise L grows to `max(1.25 L, 1.05 × curvature)`
//!   and the step is redone.
//! - **Adaptive restart** (O'Donoghue & Candès, Found. Comput. Math. 2015,
//!   arXiv:1204.3982), gradient scheme: when `⟨y − x_{k+1}, x_{k+1} − x_k⟩ > 0`
//!   the momentum points uphill; it is reset (`t = 1`). This recovers linear
//!   convergence on strongly convex problems without knowing the modulus.
//! - **One datafit evaluation per iteration.** Every datafit of
//!   [`crate::datafit`] is quadratic, so its gradient is affine in W and its
//!   value at the extrapolated point is not needed: `∇f(W_y) = (1 + β) ∇f(W_x)
//!   − β ∇f(W_{x_prev})`. Each iteration evaluates f and ∇f at the new iterate
//!   only (two matrix products for the residual datafit) plus one prox.
//! - **Certificate** every `check_every` iterations, at the current iterate x
//!   (W = Σ Z_c, G = ∇f(W)): the duality gap of the Fenchel dual with the
//!   rescaled residual as dual point,
//!
//! ```text
//! gap = f(W) + g(Z) − max_{0 ≤ s ≤ s_max} [ s (2f(W) − ⟨G, W⟩) − s² f(W) − Σ_c g_c*(−sG) ]
//! ```
//!
//!   (valid for `f(W) = Σ_t a_t/2 ‖y_t − X_t w_t‖²`: see [`ProxPenalty`] and
//!   docs/objective.md), maximised exactly over s ([`ConjugateRay::maximize`]).
//!   For a penalty without a closed-form conjugate the certificate is the
//!   norm of the gradient mapping `‖L (x − prox_{g/L}(x − ∇f/L))‖_F`, zero
//!   exactly at a minimiser; [`Solution::kkt`] always holds that norm.
//!
//! Warm starts: pass the previous solution as the start iterate and its
//! Lipschitz estimate ([`ApgInfo::lipschitz`]) in [`ApgOptions::lipschitz`].

use super::{Monitor, Progress, Solution, WarmStart};
use crate::certificate::Certificate;
use crate::datafit::Datafit;
use crate::error::{Error, Result};
use crate::penalty::matrix::sum_components;
use crate::penalty::{ConjugateRay, ProxPenalty};
use faer::{Mat, MatRef};
use rand::{Rng, SeedableRng};

/// Options of [`solve`].
#[derive(Debug, Clone)]
pub struct ApgOptions {
    /// Absolute threshold on the duality gap.
    pub tol: f64,
    /// Absolute threshold on the gradient-mapping norm (penalties without a
    /// closed-form conjugate).
    pub kkt_tol: f64,
    /// Maximum number of iterations (each: one prox and one datafit
    /// evaluation, plus one more of each per backtracking step).
    pub max_iter: usize,
    /// Certificate every this many iterations (and at the last). The check
    /// costs at most about one prox (the singular values of the gradient for
    /// spectral penalties), against one prox and one datafit evaluation per
    /// iteration, so the default checks every iteration.
    pub check_every: usize,
    /// Lipschitz constant of `∇f` (in W; the solver multiplies by the number
    /// of components); `None`: estimated by power iteration.
    pub lipschitz: Option<f64>,
    /// Power iterations for the estimate (each costs one datafit
    /// evaluation). Three suffice on the problems measured: a lower estimate
    /// means longer steps, and backtracking corrects it where needed.
    pub power_iterations: usize,
    /// Adaptive (gradient-scheme) restart of the momentum.
    pub restart: bool,
    /// Record `(iterations, certificate)` at each check.
    pub trace: bool,
    /// Called at each check; returning `false` stops (not converged).
    pub monitor: Option<Monitor>,
}

impl Default for ApgOptions {
    fn default() -> Self {
        Self {
            tol: 1e-10,
            kkt_tol: 1e-10,
            max_iter: 10_000,
            check_every: 1,
            lipschitz: None,
            power_iterations: 3,
            restart: true,
            trace: false,
            monitor: None,
        }
    }
}

/// What else [`solve_with_info`] reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ApgInfo {
    /// The Lipschitz constant of `∇f` (in W) reached: pass it as
    /// [`ApgOptions::lipschitz`] to warm-start the next solve.
    pub lipschitz: f64,
    /// Rejected steps (the step size was then reduced).
    pub backtracks: usize,
    /// Momentum restarts.
    pub restarts: usize,
    /// Datafit evaluations (value + gradient), power iterations included.
    pub evaluations: usize,
}

/// The certificate pieces of an iterate, from [`certify`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Certified {
    /// `f(W) + g(Z)`.
    pub objective: f64,
    /// The duality gap, when the penalty has a closed-form conjugate.
    pub gap: Option<f64>,
    /// The dual scaling s of the gap's dual point (the rescaled residual).
    pub dual_scale: Option<f64>,
}

/// Estimates the largest eigenvalue of the datafit's Hessian (the Lipschitz
/// constant of `∇f` in W) by `iterations` power iterations on
/// `D ↦ ∇f(D) − ∇f(0)` from a seeded random start.
///
/// Every datafit of [`crate::datafit`] is separable across tasks (task t's
/// gradient depends on `w_t` only), so the Hessian is block-diagonal and each
/// row of D (one task) runs its own power iteration on its own block, all in
/// the same matrix products: the estimate is the largest of the T Rayleigh
/// quotients, a lower bound on `λ_max`, closer after a few iterations than
/// one quotient of the whole block. (The solver's backtracking makes any
/// estimate safe: it only affects speed.)
///
/// Leaves the datafit's state at an arbitrary point (call
/// [`Datafit::init_state`] before use).
pub fn lipschitz<D: Datafit>(datafit: &mut D, iterations: usize) -> f64 {
    let (t, p) = (datafit.n_tasks(), datafit.n_features());
    if t == 0 || p == 0 {
        return 0.0;
    }
    let mut g0 = Mat::<f64>::zeros(t, p);
    datafit.init_state(Mat::<f64>::zeros(t, p).as_ref());
    datafit.full_gradient(g0.as_mut());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5eed);
    let mut d = Mat::from_fn(t, p, |_, _| rng.random::<f64>() - 0.5);
    let mut hd = Mat::<f64>::zeros(t, p);
    let mut norms = vec![0.0; t];
    let mut quotients = vec![0.0; t];
    let mut lambda = 0.0f64;
    for _ in 0..iterations.max(1) {
        // normalise every row (task) of d
        row_sq_norms(d.as_ref(), &mut norms);
        if norms.iter().all(|&v| v == 0.0) {
            break;
        }
        for j in 0..p {
            for (v, &n) in d.col_as_slice_mut(j).iter_mut().zip(&norms) {
                *v = if n > 0.0 { *v / n.sqrt() } else { 0.0 };
            }
        }
        datafit.init_state(d.as_ref());
        datafit.full_gradient(hd.as_mut());
        hd -= &g0;
        // per-task Rayleigh quotients ⟨d_t, (H d)_t⟩ (‖d_t‖ = 1)
        quotients.fill(0.0);
        for j in 0..p {
            for ((q, &a), &b) in quotients
                .iter_mut()
                .zip(d.col_as_slice(j))
                .zip(hd.col_as_slice(j))
            {
                *q += a * b;
            }
        }
        lambda = quotients.iter().fold(0.0f64, |m, &v| m.max(v));
        std::mem::swap(&mut d, &mut hd);
    }
    lambda.max(0.0)
}

/// `out[t] = Σ_j m[t, j]²` (squared norms of the rows).
fn row_sq_norms(m: MatRef<'_, f64>, out: &mut [f64]) {
    out.fill(0.0);
    for j in 0..m.ncols() {
        for (o, i) in out.iter_mut().zip(0..m.nrows()) {
            *o += m[(i, j)] * m[(i, j)];
        }
    }
}

/// The objective and duality gap of the stacked iterate `zt` (`T × (k·p)`),
/// given `f(W)`, `G = ∇f(W)` and `g(Z)` at it (`W = Σ_c Z_c`, `wt = Wᵀ`).
///
/// # Errors
/// From the penalty's conjugate (SVD failure).
pub fn certify<P: ProxPenalty>(
    penalty: &P,
    f: f64,
    grad: MatRef<'_, f64>,
    wt: MatRef<'_, f64>,
    g: f64,
    ray: &mut ConjugateRay,
) -> Result<Certified> {
    ray.clear();
    let objective = f + g;
    if !penalty.conjugate_ray(grad, ray)? {
        return Ok(Certified {
            objective,
            gap: None,
            dual_scale: None,
        });
    }
    // D(s) = s ⟨r, y⟩_a − s² f − Σ g*(−sG), ⟨r, y⟩_a = 2f − ⟨G, W⟩
    let b = 2.0 * f - crate::linalg::inner_mat(grad, wt);
    let (s, dual) = ray.maximize(b, f);
    Ok(Certified {
        objective,
        gap: Some(objective - dual),
        dual_scale: Some(s),
    })
}

/// Minimises `f(Σ_c Z_c) + g(Z)` from `zt` (`T × (k·p)`, k =
/// [`ProxPenalty::n_components`]): [`solve_with_info`] without the extras.
///
/// # Errors
/// As [`solve_with_info`].
pub fn solve<D: Datafit, P: ProxPenalty>(
    opts: &ApgOptions,
    datafit: &mut D,
    penalty: &P,
    zt: Mat<f64>,
) -> Result<Solution> {
    solve_with_info(opts, datafit, penalty, zt).map(|(s, _)| s)
}

/// Buffers of one point of the iteration: the stacked iterate, its sum W, the
/// gradient at W and the values.
struct Point {
    z: Mat<f64>,
    w: Mat<f64>,
    grad: Mat<f64>,
    f: f64,
    g: f64,
}

impl Point {
    fn zeros(t: usize, p: usize, k: usize) -> Self {
        Self {
            z: Mat::zeros(t, k * p),
            w: Mat::zeros(t, p),
            grad: Mat::zeros(t, p),
            f: 0.0,
            g: 0.0,
        }
    }

    /// Evaluates the datafit at `Σ_c z_c` (`g` must be set by the caller).
    fn evaluate<D: Datafit>(&mut self, datafit: &mut D, k: usize) {
        sum_components(self.z.as_ref(), k, self.w.as_mut());
        datafit.init_state(self.w.as_ref());
        self.f = datafit.value(self.w.as_ref());
        datafit.full_gradient(self.grad.as_mut());
    }
}

/// `out ← a + β (a − b)` (owned matrices: contiguous columns).
fn extrapolate(out: &mut Mat<f64>, a: &Mat<f64>, b: &Mat<f64>, beta: f64) {
    for j in 0..a.ncols() {
        let (o, a, b) = (
            out.col_as_slice_mut(j),
            a.col_as_slice(j),
            b.col_as_slice(j),
        );
        for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
            *o = a + beta * (a - b);
        }
    }
}

/// `⟨a − b, c − d⟩` over owned matrices of one shape.
fn inner_of_differences(a: &Mat<f64>, b: &Mat<f64>, c: &Mat<f64>, d: &Mat<f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..a.ncols() {
        let cols = a
            .col_as_slice(j)
            .iter()
            .zip(b.col_as_slice(j))
            .zip(c.col_as_slice(j).iter().zip(d.col_as_slice(j)));
        for ((&a, &b), (&c, &d)) in cols {
            s += (a - b) * (c - d);
        }
    }
    s
}

/// The gradient mapping norm `‖L (x − prox_{g/L}(x − ∇_Z f/L))‖_F` at `x`.
fn gradient_mapping<P: ProxPenalty>(
    penalty: &P,
    x: &Point,
    k: usize,
    lip: f64,
    v: &mut Mat<f64>,
    out: &mut Mat<f64>,
) -> Result<f64> {
    let p = x.w.ncols();
    for c in 0..k {
        let mut vc = v.as_mut().subcols_mut(c * p, p);
        vc.copy_from(x.z.as_ref().subcols(c * p, p));
        vc -= x.grad.as_ref() * faer::Scale(1.0 / lip);
    }
    penalty.prox(v.as_ref(), 1.0 / lip, out.as_mut())?;
    Ok(lip * (&x.z - &*out).norm_l2())
}

/// Minimises `f(Σ_c Z_c) + g(Z)` from the start iterate `zt` (`T × (k·p)`),
/// returning the [`Solution`] (its `wt` is the stacked iterate; see
/// [`sum_components`] for W) and [`ApgInfo`].
///
/// It stops when the certificate meets its tolerance (`converged`), after
/// `max_iter` iterations, or when an iteration from an unextrapolated point
/// leaves the iterate unchanged to the last bit (a tolerance below rounding:
/// not converged, with the certificate reached).
///
/// `Solution::n_iter` counts iterations (proximal steps); `gap` is the
/// duality gap when available; `warm` holds `∇f(W)` at the returned point
/// and the Lipschitz estimate reached; `screened` is empty.
///
/// # Errors
/// `ShapeMismatch` if `zt` is not `T × (k·p)` for the datafit; `Linalg` if a
/// factorisation inside the penalty fails; `InvalidParameter` for a
/// non-positive or non-finite [`ApgOptions::lipschitz`].
pub fn solve_with_info<D: Datafit, P: ProxPenalty>(
    opts: &ApgOptions,
    datafit: &mut D,
    penalty: &P,
    zt: Mat<f64>,
) -> Result<(Solution, ApgInfo)> {
    let (t, p, k) = (
        datafit.n_tasks(),
        datafit.n_features(),
        penalty.n_components(),
    );
    if zt.nrows() != t {
        return Err(Error::ShapeMismatch {
            what: "rows of the start iterate (tasks)",
            expected: t,
            found: zt.nrows(),
        });
    }
    if zt.ncols() != k * p {
        return Err(Error::ShapeMismatch {
            what: "columns of the start iterate (components × features)",
            expected: k * p,
            found: zt.ncols(),
        });
    }
    let mut info = ApgInfo {
        lipschitz: 0.0,
        backtracks: 0,
        restarts: 0,
        evaluations: 0,
    };
    let lip_f = match opts.lipschitz {
        Some(l) if l.is_finite() && l > 0.0 => l,
        Some(l) => {
            return Err(Error::InvalidParameter {
                name: "lipschitz",
                value: l,
                expected: "finite and > 0",
            });
        }
        None => {
            info.evaluations += opts.power_iterations.max(1) + 1;
            // a lower bound: a small margin saves most backtracking steps
            1.02 * lipschitz(datafit, opts.power_iterations)
        }
    };
    // f ∘ (Z ↦ Σ Z_c) has Hessian 11ᵀ ⊗ H: largest eigenvalue k λ_max(H)
    let mut lip = if lip_f > 0.0 { k as f64 * lip_f } else { 1.0 };

    let mut x = Point::zeros(t, p, k);
    x.z = zt;
    x.evaluate(datafit, k);
    x.g = penalty.value(x.z.as_ref())?;
    info.evaluations += 1;
    let mut xp = Point {
        z: x.z.clone(),
        w: x.w.clone(),
        grad: x.grad.clone(),
        f: x.f,
        g: x.g,
    };
    let mut z = Point::zeros(t, p, k);
    let mut y = Mat::<f64>::zeros(t, k * p);
    let mut wy = Mat::<f64>::zeros(t, p);
    let mut gy = Mat::<f64>::zeros(t, p);
    let mut v = Mat::<f64>::zeros(t, k * p);
    let mut ray = ConjugateRay::new();
    let mut trace = Vec::new();
    let mut t_k = 1.0f64;
    let mut n_iter = 0usize;
    let check_every = opts.check_every.max(1);
    // the iteration reached a floating-point fixed point (x_{k+1} = x_k = y):
    // nothing more will change, stop at the next check
    let mut stalled = false;

    let (certificate, certified, converged) = loop {
        if n_iter.is_multiple_of(check_every) || n_iter >= opts.max_iter || stalled {
            let c = certify(penalty, x.f, x.grad.as_ref(), x.w.as_ref(), x.g, &mut ray)?;
            let cert = match c.gap {
                Some(gap) => Certificate::DualGap {
                    value: gap,
                    tol: opts.tol,
                },
                None => Certificate::Kkt {
                    value: gradient_mapping(penalty, &x, k, lip, &mut v, &mut z.z)?,
                    tol: opts.kkt_tol,
                },
            };
            if opts.trace {
                trace.push((n_iter, cert.value()));
            }
            let done = cert.is_satisfied();
            if let Some(m) = &opts.monitor {
                let report = Progress {
                    n_iter,
                    max_iter: opts.max_iter,
                    certificate: cert.value(),
                    tol: cert.tol(),
                };
                if !(m.0)(&report) && !done {
                    break (cert, c, false);
                }
            }
            if done || n_iter >= opts.max_iter || stalled {
                break (cert, c, done);
            }
        }
        let t_next = 0.5 * (1.0 + (1.0 + 4.0 * t_k * t_k).sqrt());
        let beta = (t_k - 1.0) / t_next;
        // y = x + β (x − x_prev), and W_y, ∇f(W_y) by linearity
        extrapolate(&mut y, &x.z, &xp.z, beta);
        extrapolate(&mut wy, &x.w, &xp.w, beta);
        extrapolate(&mut gy, &x.grad, &xp.grad, beta);
        loop {
            // v = y − ∇_Z f(y)/L, every component sees ∇f(W_y)
            for c in 0..k {
                let mut vc = v.as_mut().subcols_mut(c * p, p);
                vc.copy_from(y.as_ref().subcols(c * p, p));
                vc -= gy.as_ref() * faer::Scale(1.0 / lip);
            }
            z.g = penalty.prox(v.as_ref(), 1.0 / lip, z.z.as_mut())?;
            z.evaluate(datafit, k);
            info.evaluations += 1;
            // exact curvature along the step: ⟨ΔW, ∇f(W_z) − ∇f(W_y)⟩
            let curv = inner_of_differences(&z.w, &wy, &z.grad, &gy);
            let dz2 = inner_of_differences(&z.z, &y, &z.z, &y);
            if curv <= lip * dz2 * (1.0 + 1e-10) || !curv.is_finite() || dz2 == 0.0 {
                break;
            }
            info.backtracks += 1;
            lip = (1.25 * lip).max(1.05 * curv / dz2);
        }
        n_iter += 1;
        // y = x (no momentum, or x = x_prev) and the step did not move x
        stalled = (beta == 0.0 || inner_of_differences(&x.z, &xp.z, &x.z, &xp.z) == 0.0)
            && inner_of_differences(&z.z, &x.z, &z.z, &x.z) == 0.0;
        // gradient-scheme restart: ⟨y − z, z − x⟩ > 0
        let dot = inner_of_differences(&y, &z.z, &z.z, &x.z);
        if opts.restart && dot > 0.0 {
            t_k = 1.0;
            info.restarts += 1;
        } else {
            t_k = t_next;
        }
        // x_prev ← x, x ← z (z's buffers are reused next iteration)
        std::mem::swap(&mut xp, &mut x);
        std::mem::swap(&mut x, &mut z);
    };
    let kkt = gradient_mapping(penalty, &x, k, lip, &mut v, &mut z.z)?;
    info.lipschitz = lip / k as f64;
    let solution = Solution {
        wt: x.z,
        certificate,
        objective: certified.objective,
        n_iter,
        converged,
        trace,
        kkt,
        gap: certified.gap,
        warm: WarmStart {
            lipschitz: Some(info.lipschitz),
            ..WarmStart::exact(x.grad)
        },
        screened: Vec::new(),
    };
    Ok((solution, info))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datafit::{PerTask, Quadratic};
    use crate::penalty::{L21, Penalty, TraceNorm};
    use faer::MatMut;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn problem(n: usize, p: usize, t: usize, seed: u64) -> (Mat<f64>, Mat<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Mat::from_fn(n, p, |_, _| rng.random::<f64>() - 0.5);
        let y = Mat::from_fn(n, t, |_, _| rng.random::<f64>() - 0.5);
        (x, y)
    }

    /// The power iteration finds λ_max(XᵀX/n) (compared with an SVD of X).
    #[test]
    fn lipschitz_estimate_is_the_top_eigenvalue() {
        let (x, y) = problem(40, 15, 3, 1);
        let s = x.singular_values().unwrap()[0];
        let truth = s * s / 40.0;
        let mut d = Quadratic::new(x, y);
        let est = lipschitz(&mut d, 30);
        assert!(
            est <= truth * (1.0 + 1e-12) && est >= 0.99 * truth,
            "{est} {truth}"
        );
    }

    /// A row-separable penalty as a whole-matrix one (group soft-threshold
    /// prox; conjugate = ball of radius l1): the APG solution must equal the
    /// BCD solver's on the same problem.
    struct GroupLasso(f64);

    impl ProxPenalty for GroupLasso {
        fn value(&self, zt: MatRef<'_, f64>) -> Result<f64> {
            Ok(L21::new(self.0, 1.0).value(zt))
        }
        fn prox(&self, vt: MatRef<'_, f64>, step: f64, mut out: MatMut<'_, f64>) -> Result<f64> {
            for j in 0..vt.ncols() {
                let n = (0..vt.nrows())
                    .map(|i| vt[(i, j)].powi(2))
                    .sum::<f64>()
                    .sqrt();
                let s = if n > step * self.0 {
                    1.0 - step * self.0 / n
                } else {
                    0.0
                };
                for i in 0..vt.nrows() {
                    out[(i, j)] = s * vt[(i, j)];
                }
            }
            self.value(out.as_ref())
        }
        fn conjugate_ray(&self, grad: MatRef<'_, f64>, ray: &mut ConjugateRay) -> Result<bool> {
            let m = (0..grad.ncols())
                .map(|j| {
                    (0..grad.nrows())
                        .map(|i| grad[(i, j)].powi(2))
                        .sum::<f64>()
                        .sqrt()
                })
                .fold(0.0, f64::max);
            ray.cap_norm(m, self.0);
            Ok(true)
        }
        fn critical_scale(&self, _: MatRef<'_, f64>) -> Result<f64> {
            Ok(f64::INFINITY)
        }
    }

    #[test]
    fn group_lasso_matches_bcd() {
        let (x, y) = problem(50, 30, 4, 2);
        let mut d = Quadratic::new(x, y);
        let l = 0.02;
        let opts = ApgOptions {
            tol: 1e-12,
            trace: true,
            ..ApgOptions::default()
        };
        let sol = solve(&opts, &mut d, &GroupLasso(l), Mat::zeros(4, 30)).unwrap();
        assert!(sol.converged, "{:?}", sol.certificate);
        let bcd = crate::solver::solve(
            &crate::solver::SolverOptions {
                tol: 1e-14,
                ..Default::default()
            },
            &mut d,
            &L21::new(l, 1.0),
            Mat::zeros(4, 30),
        );
        assert!((&sol.wt - &bcd.wt).norm_max() < 1e-5);
        // gap bounds the objective difference both ways
        assert!(sol.objective - bcd.objective <= sol.certificate.value() + 1e-14);
        assert!(bcd.objective - sol.objective <= 1e-13);
        assert!(sol.trace.len() > 1);
    }

    /// Trace norm on per-task designs: converges, gap ≤ tol, the gap bounds
    /// the sub-optimality against a much tighter solve, warm start from the
    /// solution stops at once.
    #[test]
    fn trace_norm_per_task_converges_and_warm_starts() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let (p, t) = (12, 5);
        let xs: Vec<Mat<f64>> = (0..t)
            .map(|i| Mat::from_fn(20 + 3 * i, p, |_, _| rng.random::<f64>() - 0.5))
            .collect();
        let ys: Vec<Vec<f64>> = xs
            .iter()
            .map(|x| (0..x.nrows()).map(|_| rng.random::<f64>() - 0.5).collect())
            .collect();
        let mut d = PerTask::new(xs, ys, &[1.0, 2.0, 0.5, 1.0, 1.5]);
        for rho in [1.0, 0.6] {
            let pen = TraceNorm::new(0.01, rho);
            let opts = ApgOptions {
                tol: 1e-9,
                ..ApgOptions::default()
            };
            let (sol, info) = solve_with_info(&opts, &mut d, &pen, Mat::zeros(t, p)).unwrap();
            assert!(sol.converged && sol.certificate.value() <= 1e-9);
            let tight = solve(
                &ApgOptions {
                    tol: 1e-15,
                    max_iter: 100_000,
                    ..ApgOptions::default()
                },
                &mut d,
                &pen,
                Mat::zeros(t, p),
            )
            .unwrap();
            let sub = sol.objective - tight.objective;
            assert!(
                sub <= sol.certificate.value() + 1e-15 && sub >= -1e-13,
                "{sub}"
            );
            assert!(tight.kkt < 1e-6, "{}", tight.kkt);
            let warm = solve(
                &ApgOptions {
                    lipschitz: Some(info.lipschitz),
                    ..opts.clone()
                },
                &mut d,
                &pen,
                sol.wt.clone(),
            )
            .unwrap();
            assert_eq!(warm.n_iter, 0);
        }
    }

    /// The Gram datafit (XᵀX/n, XᵀY/n) gives the residual datafit's solution
    /// and gap: the solver uses only the trait's value and gradient.
    #[test]
    fn gram_and_residual_datafits_agree() {
        let (x, y) = problem(80, 10, 4, 6);
        let pen = TraceNorm::new(0.005, 0.7);
        let opts = ApgOptions {
            tol: 1e-13,
            ..ApgOptions::default()
        };
        let a = solve(
            &opts,
            &mut Quadratic::new(x.clone(), y.clone()),
            &pen,
            Mat::zeros(4, 10),
        )
        .unwrap();
        let mut g = crate::datafit::Gram::new(x.as_ref(), y.as_ref());
        let b = solve(&opts, &mut g, &pen, Mat::zeros(4, 10)).unwrap();
        assert!(a.converged && b.converged);
        assert!((&a.wt - &b.wt).norm_max() < 1e-6);
        assert!((a.objective - b.objective).abs() < 1e-12);
    }

    /// A tolerance below rounding stops at the floating-point fixed point,
    /// not at max_iter.
    #[test]
    fn unreachable_tolerance_stops_at_the_fixed_point() {
        let (x, y) = problem(30, 8, 3, 5);
        let mut d = Quadratic::new(x, y);
        let opts = ApgOptions {
            tol: 0.0,
            max_iter: 1_000_000,
            ..ApgOptions::default()
        };
        let sol = solve(&opts, &mut d, &TraceNorm::new(0.01, 0.5), Mat::zeros(3, 8)).unwrap();
        assert!(sol.n_iter < 100_000, "{}", sol.n_iter);
        assert!(sol.certificate.value() < 1e-13);
    }

    #[test]
    fn bad_shapes_are_errors() {
        let (x, y) = problem(10, 4, 2, 3);
        let mut d = Quadratic::new(x, y);
        let pen = TraceNorm::new(0.1, 1.0);
        let opts = ApgOptions::default();
        assert!(solve(&opts, &mut d, &pen, Mat::zeros(3, 4)).is_err());
        assert!(solve(&opts, &mut d, &pen, Mat::zeros(2, 5)).is_err());
        let bad = ApgOptions {
            lipschitz: Some(-1.0),
            ..ApgOptions::default()
        };
        assert!(solve(&bad, &mut d, &pen, Mat::zeros(2, 4)).is_err());
    }
}
