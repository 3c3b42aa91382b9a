//! Warm in-process fit timer: what `benches/compare/compare.py` times mtreg with.
//!
//! ```sh
//! cargo bench --bench warm_fit -- --x X.csv --y Y.csv --tol 5e-7 \
//!     (--alpha A | --alpha-ratio R | --alphas a1,a2,... | --cv-alphas K --folds F) \
//!     [--repeats R] [--threads K] [--no-anderson] [--intercept] [--path-tol R] [--w-out W.f64] [--json OUT.json]
//! ```
//!
//! The peers (scikit-learn, celer, skglm) are timed inside a Python process
//! that has already run them (imports done, numba compiled, data in memory).
//! The same treatment for mtreg: X and Y (no header, `compare.py`'s CSVs) are
//! read once, one untimed fit warms the process (code pages, faer's first
//! call per operand layout, allocator), then `--repeats` fits are timed. Each
//! timed figure is the wall time of the whole library call — validation,
//! preparation (no intercept: `fit_intercept(false)`, as the peers are
//! called), `XᵀY`, the solve and the certificate — i.e. what
//! `MultiTaskLasso::new(alpha).fit(&x, &y)` costs a library user.
//!
//! - `--alpha A`: one fit (the `MultiTaskLasso` objective, `l1_ratio = 1`);
//!   `--alpha-ratio R`: at `R · alpha_max`.
//! - `--alphas a1,...`: a warm-started path over these alphas
//!   (`MultiTaskLasso::path` with an explicit grid).
//! - `--cv-alphas K --folds F`: `cross_validate` over the auto grid of K alphas
//!   (eps 1e-3), contiguous folds, then the refit (`MultiTaskLassoCV`'s work).
//!
//! CPU times are the calling thread's, for a cross-validation the process's (its
//! folds run on worker threads).
//!
//! Paths and cross-validations stop at scikit-learn's rule at every alpha
//! (`PathTol::Sklearn`: gap ≤ tol · ‖Y‖²/n), the rule the peers use, so that
//! `compare.py`'s tol calibration gives every solver the same verified gap;
//! `--path-tol R` times the library's default relative rule instead
//! (`PathTol::Relative(R)`, docs/objective.md).
//!
//! `--intercept` fits intercepts (centring; as scikit-learn's
//! `MultiTaskLassoCV` does per fold), otherwise data are used as given.
//!
//! `--w-out` receives the coefficients of the last timed run as raw
//! little-endian f64: p × T row-major for a fit, and (alphas × p × T) for a
//! path. `--json` receives the times and the solver's reports.

use faer::Mat;
use mtreg::MultiTaskLasso;
use mtreg::io::csv::{HeaderMode, ReadOptions, read_matrix};
use mtreg::path::{AlphaGrid, PathTol};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Default)]
struct Args {
    x: PathBuf,
    y: PathBuf,
    alpha: Option<f64>,
    ratio: Option<f64>,
    alphas: Option<Vec<f64>>,
    cv_alphas: Option<usize>,
    folds: usize,
    tol: f64,
    max_iter: usize,
    repeats: usize,
    threads: usize,
    w_out: Option<PathBuf>,
    json: Option<PathBuf>,
    no_anderson: bool,
    intercept: bool,
    path_tol: Option<f64>,
}

fn parse_args() -> Args {
    let mut a = Args {
        tol: 1e-4,
        max_iter: 100_000,
        repeats: 1,
        threads: 1,
        folds: 5,
        ..Args::default()
    };
    let nums =
        |s: String| -> Vec<f64> { s.split(',').map(|v| v.parse().expect("a number")).collect() };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--x" => a.x = PathBuf::from(value()),
            "--y" => a.y = PathBuf::from(value()),
            "--alpha" => a.alpha = Some(value().parse().expect("--alpha")),
            "--alpha-ratio" => a.ratio = Some(value().parse().expect("--alpha-ratio")),
            "--alphas" => a.alphas = Some(nums(value())),
            "--cv-alphas" => a.cv_alphas = Some(value().parse().expect("--cv-alphas")),
            "--folds" => a.folds = value().parse().expect("--folds"),
            "--tol" => a.tol = value().parse().expect("--tol"),
            "--max-iter" => a.max_iter = value().parse().expect("--max-iter"),
            "--repeats" => a.repeats = value().parse().expect("--repeats"),
            "--threads" => a.threads = value().parse().expect("--threads"),
            "--w-out" => a.w_out = Some(PathBuf::from(value())),
            "--json" => a.json = Some(PathBuf::from(value())),
            "--no-anderson" => a.no_anderson = true,
            "--intercept" => a.intercept = true,
            "--path-tol" => a.path_tol = Some(value().parse().expect("--path-tol")),
            // `cargo bench` passes `--bench`
            _ => {}
        }
    }
    a
}

/// CPU time of `clock` in seconds (Linux `clock_gettime`; elsewhere `None`,
/// and the wall clock is the only figure).
#[cfg(target_os = "linux")]
fn cpu_seconds(clock: i32) -> Option<f64> {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: a valid clock id and a pointer to a live, writable timespec.
    let rc = unsafe { clock_gettime(clock, &mut ts) };
    (rc == 0).then_some(ts.sec as f64 + ts.nsec as f64 * 1e-9)
}

#[cfg(not(target_os = "linux"))]
fn cpu_seconds(_clock: i32) -> Option<f64> {
    None
}

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`): less disturbed
/// than wall time by other processes on a shared machine (but not by their
/// cache pressure).
fn thread_cpu_seconds() -> Option<f64> {
    cpu_seconds(3)
}

/// CPU time of the whole process, all threads (`CLOCK_PROCESS_CPUTIME_ID`):
/// the clock of a cross-validation, whose folds run on rayon's worker threads
/// while the calling thread waits.
fn process_cpu_seconds() -> Option<f64> {
    cpu_seconds(2)
}

/// What one timed run reports.
struct Run {
    seconds: f64,
    cpu_seconds: Option<f64>,
    coefs: Vec<Mat<f64>>,
    report: serde_json::Value,
}

fn run(a: &Args, x: &Mat<f64>, y: &Mat<f64>) -> Run {
    let model = MultiTaskLasso::new(a.alpha.unwrap_or(1.0))
        .fit_intercept(a.intercept)
        .tol(a.tol)
        .max_iter(a.max_iter)
        .threads(if a.cv_alphas.is_some() { 1 } else { a.threads })
        .anderson(!a.no_anderson)
        .path_tol(a.path_tol.map_or(PathTol::Sklearn, PathTol::Relative));
    // CV folds run on worker threads: the process's CPU time is theirs
    let clock = if a.cv_alphas.is_some() {
        process_cpu_seconds
    } else {
        thread_cpu_seconds
    };
    let c0 = clock();
    let t0 = Instant::now();
    let cpu = || Some(clock()? - c0?);
    if let Some(alphas) = &a.alphas {
        let path = model
            .path(x, y, &AlphaGrid::Explicit(alphas.clone()))
            .expect("path");
        let seconds = t0.elapsed().as_secs_f64();
        let cpu_seconds = cpu();
        let report = serde_json::json!({
            "alphas": path.alphas,
            "n_iter": path.fits.iter().map(|f| f.n_iter()).collect::<Vec<_>>(),
            "converged": path.fits.iter().all(|f| f.converged()),
            "certificate": path.fits.iter().map(|f| f.certificate().value()).collect::<Vec<_>>(),
            "gram": path.fits.first().map(|f| f.used_gram()),
        });
        let coefs = path.fits.iter().map(|f| f.coef().to_owned()).collect();
        Run {
            seconds,
            cpu_seconds,
            coefs,
            report,
        }
    } else if let Some(k) = a.cv_alphas {
        let opts = mtreg::cv::CvOptions::default()
            .grid(AlphaGrid::Auto {
                n_alphas: k,
                eps: 1e-3,
            })
            .folds(a.folds)
            .threads(a.threads);
        let cv = model.cross_validate(x, y, &opts).expect("cv");
        let seconds = t0.elapsed().as_secs_f64();
        let cpu_seconds = cpu();
        let report = serde_json::json!({
            "alpha_min": cv.alpha_min, "alpha_1se": cv.alpha_1se,
        });
        Run {
            seconds,
            cpu_seconds,
            coefs: vec![cv.fit.coef().to_owned()],
            report,
        }
    } else {
        let fit = model.fit(x, y).expect("fit");
        let seconds = t0.elapsed().as_secs_f64();
        let cpu_seconds = cpu();
        let report = serde_json::json!({
            "n_iter": fit.n_iter(), "converged": fit.converged(),
            "certificate": fit.certificate().value(), "gram": fit.used_gram(),
            "n_screened": fit.n_screened(),
        });
        Run {
            seconds,
            cpu_seconds,
            coefs: vec![fit.coef().to_owned()],
            report,
        }
    }
}

/// The allocator the CLI and the Python package ship (see src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut a = parse_args();
    let opts = ReadOptions {
        header: HeaderMode::Absent,
        ..ReadOptions::default()
    };
    let x = read_matrix(&a.x, &opts).expect("X.csv").data;
    let y = read_matrix(&a.y, &opts).expect("Y.csv").data;
    if let Some(r) = a.ratio {
        a.alpha = Some(r * mtreg::alpha_max(&x, &y, 1.0, false).expect("alpha_max"));
    }
    assert!(
        a.alpha.is_some() || a.alphas.is_some() || a.cv_alphas.is_some(),
        "--alpha, --alpha-ratio, --alphas or --cv-alphas"
    );
    mtreg::linalg::probe_cpu_features();
    // one untimed fit: the warm process the peers are timed in
    std::hint::black_box(run(&a, &x, &y).seconds);
    let mut times = Vec::with_capacity(a.repeats);
    let mut cpu_times = Vec::with_capacity(a.repeats);
    let mut last = None;
    for _ in 0..a.repeats.max(1) {
        let r = run(&a, &x, &y);
        times.push(r.seconds);
        cpu_times.push(r.cpu_seconds);
        last = Some(r);
    }
    let last = last.expect("at least one run");
    if let Some(path) = &a.w_out {
        let mut buf = Vec::new();
        for c in &last.coefs {
            for j in 0..c.nrows() {
                for k in 0..c.ncols() {
                    buf.extend_from_slice(&c[(j, k)].to_le_bytes());
                }
            }
        }
        std::fs::File::create(path)
            .and_then(|mut f| f.write_all(&buf))
            .expect("--w-out");
    }
    let doc = serde_json::json!({ "times": times, "cpu_times": cpu_times, "report": last.report });
    match &a.json {
        Some(path) => std::fs::write(path, doc.to_string()).expect("--json"),
        None => println!("{doc}"),
    }
}
