//! Trace-norm fits with the APG solver, timed (no criterion: one fit is
//! long enough to time alone).
//!
//! - `cargo bench --bench models` fits a generated 300 × 5000 × 50 problem
//!   with a rank-5 W at 0.1 and 0.01 · alpha_max and prints the times: the
//!   solver alone, then through the estimator
//!   (`GraphMultiTask::penalty(LowRank)`: centring, datafit, alpha_max, fit,
//!   original scale; what `mtreg solve --penalty trace` runs after reading
//!   the CSV files), and a warm-started 10-alpha path down to 0.01 ·
//!   alpha_max.
//! - `cargo bench --bench models -- --data DIR --alpha A --tol TOL` fits the
//!   problem in `DIR/X.bin` (n × p) and `DIR/Y.bin` (n × T) (each: two
//!   little-endian u64 dimensions, then the f64 values column-major), writes
//!   the solution to `DIR/W_mtreg.bin` (p × T, same format) and prints one
//!   JSON line (seconds of the fit alone, iterations, gap). Used by
//!   `benches/compare/trace_compare.py`.

use faer::Mat;
use mtreg::datafit::{Datafit, Quadratic};
use mtreg::penalty::TraceNorm;
use mtreg::solver::apg::{self, ApgOptions};
use std::io::{Read, Write};
use std::time::Instant;

fn read_mat(path: &std::path::Path) -> Mat<f64> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let dim = |k: usize| u64::from_le_bytes(bytes[8 * k..8 * k + 8].try_into().unwrap()) as usize;
    let (r, c) = (dim(0), dim(1));
    assert_eq!(bytes.len(), 16 + 8 * r * c, "{}: bad size", path.display());
    let val = |k: usize| f64::from_le_bytes(bytes[16 + 8 * k..24 + 8 * k].try_into().unwrap());
    Mat::from_fn(r, c, |i, j| val(j * r + i))
}

fn write_mat(path: &std::path::Path, m: &Mat<f64>) {
    let mut out = Vec::with_capacity(16 + 8 * m.nrows() * m.ncols());
    out.extend_from_slice(&(m.nrows() as u64).to_le_bytes());
    out.extend_from_slice(&(m.ncols() as u64).to_le_bytes());
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            out.extend_from_slice(&m[(i, j)].to_le_bytes());
        }
    }
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(&out))
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// One fit: returns (seconds, solution, info).
fn fit(
    x: &Mat<f64>,
    y: &Mat<f64>,
    alpha: f64,
    tol: f64,
) -> (f64, mtreg::solver::Solution, apg::ApgInfo) {
    let mut d = Quadratic::new(x.clone(), y.clone());
    // APG_POWER, APG_CHECK: override the power iterations and check period
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<usize>().ok());
    let def = ApgOptions::default();
    let opts = ApgOptions {
        tol,
        max_iter: 100_000,
        power_iterations: env("APG_POWER").unwrap_or(def.power_iterations),
        check_every: env("APG_CHECK").unwrap_or(def.check_every),
        ..def
    };
    let start = Instant::now();
    let (sol, info) = apg::solve_with_info(
        &opts,
        &mut d,
        &TraceNorm::new(alpha, 1.0),
        Mat::zeros(y.ncols(), x.ncols()),
    )
    .expect("fit");
    (start.elapsed().as_secs_f64(), sol, info)
}

fn alpha_max(x: &Mat<f64>, y: &Mat<f64>) -> f64 {
    let mut d = Quadratic::new(x.clone(), y.clone());
    let mut g = Mat::<f64>::zeros(y.ncols(), x.ncols());
    d.init_state(Mat::<f64>::zeros(y.ncols(), x.ncols()).as_ref());
    d.full_gradient(g.as_mut());
    TraceNorm::alpha_max(g.as_ref(), 1.0).expect("svd")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .map(|i| args[i + 1].clone())
    };
    if let Some(dir) = get("--data") {
        let dir = std::path::PathBuf::from(dir);
        let x = read_mat(&dir.join("X.bin"));
        let y = read_mat(&dir.join("Y.bin"));
        let alpha: f64 = get("--alpha").expect("--alpha").parse().unwrap();
        let tol: f64 = get("--tol").expect("--tol").parse().unwrap();
        let (secs, sol, info) = fit(&x, &y, alpha, tol);
        let w = sol.wt.transpose().to_owned();
        write_mat(&dir.join("W_mtreg.bin"), &w);
        println!(
            "{{\"seconds\": {secs}, \"n_iter\": {}, \"gap\": {}, \"objective\": {}, \"evaluations\": {}, \"backtracks\": {}, \"restarts\": {}, \"converged\": {}}}",
            sol.n_iter,
            sol.certificate.value(),
            sol.objective,
            info.evaluations,
            info.backtracks,
            info.restarts,
            sol.converged
        );
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return; // `cargo bench -- --list` convention
    }
    let (n, p, t, rank) = (300, 5000, 50, 5);
    let d = mtreg::generate::StructuredTasks::new(vec![n; t], p)
        .n_informative(p)
        .structure(mtreg::generate::TaskStructure::LowRank { rank })
        .noise(30.0)
        .shared_design(true)
        .seed(1)
        .generate()
        .expect("generator");
    let x = d.xs[0].clone();
    let y = Mat::from_fn(n, t, |i, k| d.ys[k][i]);
    let amax = alpha_max(&x, &y);
    let y_sq = y.squared_norm_l2() / (2.0 * n as f64);
    if std::env::var("APG_MICRO").is_ok() {
        micro(&x, &y);
    }
    for ratio in [0.1, 0.01] {
        // the solver alone, then through the estimator on the same problem
        // (no intercept; gap threshold tol · ‖Y‖²/n = 1e-6 · P(0))
        let (secs, sol, info) = fit(&x, &y, ratio * amax, 1e-6 * y_sq);
        let s = sol.wt.singular_values().unwrap();
        println!(
            "trace {n}x{p}x{t} rank {rank}, alpha {ratio} alpha_max: {secs:.3} s, {} iterations ({} evaluations, {} backtracks, {} restarts), rank {}, {}",
            sol.n_iter,
            info.evaluations,
            info.backtracks,
            info.restarts,
            s.iter().filter(|&&v| v > 1e-10 * s[0]).count(),
            sol.certificate
        );
        let start = Instant::now();
        let est = mtreg::GraphMultiTask::new(ratio * amax)
            .penalty(mtreg::estimator::penalties::LowRank)
            .fit_intercept(false)
            .tol(0.5e-6)
            .max_iter(100_000)
            .fit(&x, &y)
            .expect("estimator fit");
        let total = start.elapsed().as_secs_f64();
        println!(
            "  estimator: {total:.3} s in all (fit.seconds() {:.3} s), {} iterations, rank {}, {}",
            est.seconds(),
            est.n_iter(),
            est.rank().expect("svd"),
            est.certificate()
        );
    }
    let grid = mtreg::path::AlphaGrid::Auto {
        n_alphas: 10,
        eps: 0.01,
    };
    let start = Instant::now();
    let path = mtreg::GraphMultiTask::new(1.0)
        .penalty(mtreg::estimator::penalties::LowRank)
        .fit_intercept(false)
        .tol(0.5e-6)
        .max_iter(100_000)
        .path(&x, &y, &grid)
        .expect("path");
    println!(
        "  path of 10 alphas (1 to 0.01 alpha_max, warm starts): {:.3} s, {} iterations in all",
        start.elapsed().as_secs_f64(),
        path.fits.iter().map(mtreg::Fit::n_iter).sum::<usize>()
    );
}

/// `APG_MICRO=1`: the cost of one datafit evaluation (state + gradient), one
/// prox and one set of singular values on the bench problem.
fn micro(x: &Mat<f64>, y: &Mat<f64>) {
    use mtreg::penalty::ProxPenalty;
    let (t, p) = (y.ncols(), x.ncols());
    let mut d = Quadratic::new(x.clone(), y.clone());
    let w = Mat::from_fn(t, p, |i, j| ((i * 7 + j * 13) % 17) as f64 / 17.0);
    let mut g = Mat::<f64>::zeros(t, p);
    let start = Instant::now();
    for _ in 0..5 {
        d.init_state(w.as_ref());
    }
    let a = start.elapsed().as_secs_f64() / 5.0;
    let start = Instant::now();
    for _ in 0..5 {
        d.full_gradient(g.as_mut());
    }
    let b = start.elapsed().as_secs_f64() / 5.0;
    let mut out = Mat::<f64>::zeros(t, p);
    let pen = TraceNorm::new(1.0, 1.0);
    let start = Instant::now();
    for _ in 0..5 {
        pen.prox(w.as_ref(), 0.1, out.as_mut()).unwrap();
    }
    let c = start.elapsed().as_secs_f64() / 5.0;
    let start = Instant::now();
    for _ in 0..5 {
        let _ = w.singular_values().unwrap();
    }
    let e = start.elapsed().as_secs_f64() / 5.0;
    println!(
        "init_state {a:.4} s, full_gradient {b:.4} s, prox {c:.4} s, singular values {e:.4} s"
    );
}
