//! Shared helpers: random problems and an independent, naive implementation of
//! the objective, residuals, duality gap and KKT conditions (written directly from
//! docs/objective.md with plain loops, sharing no code with the solver).

#![allow(dead_code)]

use faer::Mat;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// A random problem: X with AR(1)-correlated columns (`corr` between
/// neighbours), W* with `k` non-zero rows, Y = X W* + noise + offset.
pub fn problem(
    seed: u64,
    n: usize,
    p: usize,
    t: usize,
    k: usize,
    corr: f64,
) -> (Mat<f64>, Mat<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut g = || -> f64 { StandardNormal.sample(&mut rng) };
    let mut x = Mat::<f64>::zeros(n, p);
    for i in 0..n {
        let mut prev: f64 = g();
        for j in 0..p {
            let v = if j == 0 {
                prev
            } else {
                corr * prev + (1.0 - corr * corr).sqrt() * g()
            };
            x[(i, j)] = v + 0.3; // non-zero column means: the intercept matters
            prev = v;
        }
    }
    let mut w = Mat::<f64>::zeros(p, t);
    for j in 0..k.min(p) {
        for tt in 0..t {
            w[(j * p / k.max(1), tt)] = 2.0 * g();
        }
    }
    let mut y = Mat::<f64>::zeros(n, t);
    for i in 0..n {
        for tt in 0..t {
            let mut s = 1.5 * tt as f64;
            for j in 0..p {
                s += x[(i, j)] * w[(j, tt)];
            }
            y[(i, tt)] = s + 0.5 * g();
        }
    }
    (x, y)
}

/// Centred copies (if `fit_intercept`) of X and Y.
pub fn centred(x: &Mat<f64>, y: &Mat<f64>, fit_intercept: bool) -> (Mat<f64>, Mat<f64>) {
    let c = |m: &Mat<f64>| {
        let n = m.nrows() as f64;
        Mat::from_fn(m.nrows(), m.ncols(), |i, j| {
            if fit_intercept {
                let mean: f64 = (0..m.nrows()).map(|r| m[(r, j)]).sum::<f64>() / n;
                m[(i, j)] - mean
            } else {
                m[(i, j)]
            }
        })
    };
    (c(x), c(y))
}

/// Everything about a candidate W (p × T) on centred data, by naive loops.
pub struct Check {
    pub objective: f64,
    /// scikit-learn's dual_gap_ (gap / n).
    pub gap: f64,
    /// ‖Yc‖²_F.
    pub y_sq: f64,
    /// max over rows of the KKT violation.
    pub kkt: f64,
    pub n: f64,
    /// max_j ‖x_j‖² / n
    pub lmax: f64,
}

pub fn check(
    xc: &Mat<f64>,
    yc: &Mat<f64>,
    w: faer::MatRef<'_, f64>,
    alpha: f64,
    rho: f64,
) -> Check {
    let (n, p, t) = (xc.nrows(), xc.ncols(), yc.ncols());
    let nf = n as f64;
    let mut r = Mat::<f64>::zeros(n, t);
    for i in 0..n {
        for k in 0..t {
            let mut s = yc[(i, k)];
            for j in 0..p {
                s -= xc[(i, j)] * w[(j, k)];
            }
            r[(i, k)] = s;
        }
    }
    let (mut r_sq, mut ry, mut y_sq) = (0.0, 0.0, 0.0);
    for i in 0..n {
        for k in 0..t {
            r_sq += r[(i, k)] * r[(i, k)];
            ry += r[(i, k)] * yc[(i, k)];
            y_sq += yc[(i, k)] * yc[(i, k)];
        }
    }
    let (l1, l2) = (alpha * rho * nf, alpha * (1.0 - rho) * nf);
    let (mut w_sq, mut l21, mut dual_norm, mut kkt, mut lmax) =
        (0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for j in 0..p {
        let wj: Vec<f64> = (0..t).map(|k| w[(j, k)]).collect();
        let nw = wj.iter().map(|v| v * v).sum::<f64>().sqrt();
        w_sq += nw * nw;
        l21 += nw;
        let xtr: Vec<f64> = (0..t)
            .map(|k| (0..n).map(|i| xc[(i, j)] * r[(i, k)]).sum())
            .collect();
        let a: Vec<f64> = (0..t).map(|k| xtr[k] - l2 * wj[k]).collect();
        dual_norm = dual_norm.max(a.iter().map(|v| v * v).sum::<f64>().sqrt());
        // KKT in 1/n units: zero row ‖XᵀR/n‖ ≤ αρ; non-zero row XᵀR/n − α(1−ρ)w = αρ w/‖w‖
        let viol = if nw == 0.0 {
            (xtr.iter().map(|v| (v / nf).powi(2)).sum::<f64>().sqrt() - alpha * rho).max(0.0)
        } else {
            (0..t)
                .map(|k| {
                    (xtr[k] / nf - alpha * (1.0 - rho) * wj[k] - alpha * rho * wj[k] / nw).powi(2)
                })
                .sum::<f64>()
                .sqrt()
        };
        kkt = kkt.max(viol);
        lmax = lmax.max((0..n).map(|i| xc[(i, j)].powi(2)).sum::<f64>() / nf);
    }
    let s = if dual_norm > l1 { l1 / dual_norm } else { 1.0 };
    let gap_n = 0.5 * r_sq * (1.0 + s * s) + l1 * l21 - s * ry + 0.5 * l2 * (1.0 + s * s) * w_sq;
    let objective = 0.5 * r_sq / nf + alpha * rho * l21 + 0.5 * alpha * (1.0 - rho) * w_sq;
    Check {
        objective,
        gap: gap_n / nf,
        y_sq,
        kkt,
        n: nf,
        lmax,
    }
}

/// max |a − b| / max(max |b|, tiny)
pub fn rel_diff(a: faer::MatRef<'_, f64>, b: faer::MatRef<'_, f64>) -> f64 {
    assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()));
    let mut diff = 0.0f64;
    let mut scale = 0.0f64;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            diff = diff.max((a[(i, j)] - b[(i, j)]).abs());
            scale = scale.max(b[(i, j)].abs());
        }
    }
    if scale == 0.0 { diff } else { diff / scale }
}

/// What two duality gaps prove about the distance between two near-optimal
/// elastic-net solutions `wa`, `wb` (p × T) on the centred design `xc`.
///
/// With H = XcᵀXc/n + α(1−ρ)I the objective is P = f + g, f quadratic with
/// Hessian H (per task column) and g = αρ‖·‖₂,₁ convex. For any minimiser W*,
/// optimality (−∇f(W*) ∈ ∂g(W*)) gives ½‖W − W*‖²_H ≤ P(W) − P* ≤ gap(W), so
/// ‖Wa − Wb‖_H ≤ √(2ga) + √(2gb) (and |P(Wa) − P(Wb)| ≤ max(ga, gb)). As
/// Wa − Wb lives on the union U of the two supports, its Frobenius norm is at
/// most that over √λmin(H_UU): the coefficients are only as determined as the
/// active-set Gram is well conditioned.
pub struct GapDistance {
    /// ‖Wa − Wb‖_H.
    pub h_norm: f64,
    /// √(2ga) + √(2gb).
    pub h_bound: f64,
    /// ‖Wa − Wb‖_F.
    pub coef: f64,
    /// `h_bound / √λmin(H_UU)`; `None` when U is empty (both zero) or λmin is
    /// at rounding level (≤ 1e-12 λmax: the data do not identify the
    /// coefficients, and the H-norm bound is all the gaps prove).
    pub coef_bound: Option<f64>,
    /// λmin(H_UU) (0 when U is empty).
    pub lmin: f64,
}

impl GapDistance {
    /// `Err` naming the bound broken if `‖Wa − Wb‖_H` exceeds what the gaps
    /// prove, or (when λmin(H_UU) is not at rounding level) `‖Wa − Wb‖_F`
    /// exceeds `coef_bound`.
    pub fn within_bounds(&self) -> Result<(), String> {
        if self.h_norm > self.h_bound {
            return Err(format!(
                "‖Wa − Wb‖_H = {:e} > {:e}",
                self.h_norm, self.h_bound
            ));
        }
        match self.coef_bound {
            Some(bound) if self.coef > bound => Err(format!(
                "‖Wa − Wb‖ = {:e} > {bound:e} (λmin(H_UU) = {:e})",
                self.coef, self.lmin
            )),
            _ => Ok(()),
        }
    }
}

/// [`GapDistance`] of `wa`, `wb` given upper bounds `ga`, `gb` on their
/// sub-optimality `P(W) − P*` (gaps, already including any rounding floor).
#[allow(clippy::too_many_arguments)]
pub fn gap_distance(
    xc: &Mat<f64>,
    wa: faer::MatRef<'_, f64>,
    wb: faer::MatRef<'_, f64>,
    alpha: f64,
    rho: f64,
    ga: f64,
    gb: f64,
) -> GapDistance {
    let (n, p, t) = (xc.nrows(), xc.ncols(), wa.ncols());
    let nf = n as f64;
    let l2 = alpha * (1.0 - rho);
    let mut xd_sq = 0.0;
    let mut d_sq = 0.0;
    for k in 0..t {
        for i in 0..n {
            let v: f64 = (0..p).map(|j| xc[(i, j)] * (wa[(j, k)] - wb[(j, k)])).sum();
            xd_sq += v * v;
        }
        for j in 0..p {
            d_sq += (wa[(j, k)] - wb[(j, k)]).powi(2);
        }
    }
    let h_bound = (2.0 * ga.max(0.0)).sqrt() + (2.0 * gb.max(0.0)).sqrt();
    let u: Vec<usize> = (0..p)
        .filter(|&j| (0..t).any(|k| wa[(j, k)] != 0.0 || wb[(j, k)] != 0.0))
        .collect();
    let (lmin, coef_bound) = if u.is_empty() {
        (0.0, None)
    } else {
        let h = Mat::from_fn(u.len(), u.len(), |a, b| {
            (0..n).map(|i| xc[(i, u[a])] * xc[(i, u[b])]).sum::<f64>() / nf
                + if a == b { l2 } else { 0.0 }
        });
        let ev = h.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
        let (lmin, lmax) = (ev[0], ev[ev.len() - 1]);
        (lmin, (lmin > 1e-12 * lmax).then(|| h_bound / lmin.sqrt()))
    };
    GapDistance {
        h_norm: (xd_sq / nf + l2 * d_sq).sqrt(),
        h_bound,
        coef: d_sq.sqrt(),
        coef_bound,
        lmin,
    }
}
