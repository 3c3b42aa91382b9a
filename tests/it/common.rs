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
