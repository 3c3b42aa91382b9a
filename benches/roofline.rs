//! Roofline bench: the cost of one plain block-coordinate-descent epoch (every
//! row visited, no working set, no extrapolation) on the peer-comparison
//! problems, as seconds and GFLOP/s.
//!
//! ```sh
//! cargo bench --bench roofline -- [--data-dir bench-data] [--problems meg_like,tall]
//!                                 [--ratios 0.1,0.01] [--json FILE]
//! ```
//!
//! `benches/compare/compare.py --roofline` runs this bench and sets its figures
//! against the single-thread BLAS rate of the same level-2 operations (see
//! `benches/compare/README.md`). Run alone it prints its own table.
//!
//! Data: `DIR/<problem>/{X,Y}.csv` as written by `compare.py` (no header, the
//! exact bits every solver reads) when present, else data of the same shape from
//! `MakeRegression` (the epoch cost depends on the shape and the number of rows
//! that move, not on the values).
//!
//! Method, per problem, alpha and mode (the mode `GramMode::Auto` picks, as the
//! CLI does; `--modes residual,gram` forces):
//! 1. `W*` = a fit at `tol = 1e-8` (no intercept): the state in which a fit at
//!    that alpha spends its last epochs. Dense solutions at small alpha are the
//!    case where epochs dominate the fit time.
//! 2. Two start states: `solution` (W*) and `perturbed` (W* plus 1 % noise in
//!    every row, so that every row moves: the epoch the issue's flop count
//!    `2p²T` / `2npT` describes). The datafit (`Quadratic`: residuals R;
//!    `Gram`: XᵀX and G = XᵀR/n) is synchronised at the start state; two
//!    untimed epochs from it warm the caches, and one counts the rows `u`
//!    that move (a row whose change is exactly zero costs no update).
//! 3. `Datafit::epoch` over all p rows (the kernel the solver calls) is timed
//!    epoch by epoch, **each from the start state** (W copied back and the
//!    datafit state recomputed, untimed: every timed epoch does the same work,
//!    `u` rows moving), for at least 0.5 s of
//!    epochs; the best epoch (the figure least disturbed by other load) gives
//!    the GFLOP/s, the median is printed too.
//!
//! Flops per epoch: residual mode `2npT` (the T dots `x_jᵀ r_t` of every row)
//! `+ 2nT·u` (the rank-1 residual update of each moving row); Gram mode
//! `2pT·u` (`G −= q_j δᵀ`; a row that does not move costs O(T) and no flop is
//! counted for it).

use faer::Mat;
use mtreg::bcd::Workspace;
use mtreg::datafit::{Datafit, Gram, Quadratic};
use mtreg::generate::MakeRegression;
use mtreg::io::csv::{HeaderMode, ReadOptions, read_matrix};
use mtreg::penalty::L21;
use mtreg::{GramMode, MultiTaskLasso, alpha_max};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The problems of `benches/compare/compare.py`: (name, n, p, T).
const PROBLEMS: [(&str, usize, usize, usize); 4] = [
    ("small", 100, 10, 3),
    ("meg_like", 300, 5000, 50),
    ("tall", 50000, 200, 10),
    ("wide_many_tasks", 500, 2000, 200),
];
/// Timed epochs run for at least this long (and at least `MIN_EPOCHS`).
const TARGET_SECONDS: f64 = 0.5;
const MIN_EPOCHS: usize = 5;
const MAX_EPOCHS: usize = 2000;

struct Args {
    data_dir: PathBuf,
    problems: Vec<String>,
    ratios: Vec<f64>,
    modes: Option<Vec<String>>,
    json: Option<PathBuf>,
}

fn parse_args() -> Args {
    let mut a = Args {
        data_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-data"),
        problems: vec!["meg_like".into(), "tall".into(), "wide_many_tasks".into()],
        ratios: vec![0.1, 0.01],
        modes: None,
        json: None,
    };
    let list = |s: String| s.split(',').map(str::to_owned).collect::<Vec<_>>();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        // `cargo bench` passes `--bench`; criterion-style filters are ignored.
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--data-dir" => a.data_dir = PathBuf::from(value()),
            "--problems" => a.problems = list(value()),
            "--ratios" => {
                a.ratios = list(value())
                    .iter()
                    .map(|r| r.parse().expect("--ratios: numbers"))
                    .collect();
            }
            "--modes" => a.modes = Some(list(value())),
            "--json" => a.json = Some(PathBuf::from(value())),
            _ => {}
        }
    }
    a
}

/// X and Y of a problem: the CSVs of `compare.py` if present, else generated.
fn load(name: &str, dir: &Path) -> (Mat<f64>, Mat<f64>, &'static str) {
    let &(_, n, p, t) = PROBLEMS
        .iter()
        .find(|(pn, ..)| *pn == name)
        .unwrap_or_else(|| panic!("unknown problem {name}"));
    let (xp, yp) = (dir.join(name).join("X.csv"), dir.join(name).join("Y.csv"));
    if xp.exists() && yp.exists() {
        let opts = ReadOptions {
            header: HeaderMode::Absent,
            ..ReadOptions::default()
        };
        let x = read_matrix(&xp, &opts).expect("X.csv").data;
        let y = read_matrix(&yp, &opts).expect("Y.csv").data;
        assert_eq!(
            (x.nrows(), x.ncols(), y.ncols()),
            (n, p, t),
            "{name}: shape"
        );
        return (x, y, "csv");
    }
    let d = MakeRegression::new()
        .n_samples(n)
        .n_features(p)
        .n_informative(20.min(p))
        .n_targets(t)
        .noise(1.0)
        .seed(0)
        .generate()
        .expect("valid parameters");
    (d.x, d.y, "generated")
}

/// What [`time_epochs`] measured.
struct Timing {
    best: f64,
    median: f64,
    epochs: usize,
    moved: usize,
}

/// Times plain epochs of `df` from the state `wt0`, each from that same state
/// (`wt0` copied back and the datafit state recomputed by `init_state`, outside
/// the timing; the datafit's working-set caches stay warm), and counts the rows
/// that move in one.
fn time_epochs<D: Datafit>(mut df: D, pen: &L21, wt0: Mat<f64>) -> Timing {
    let (t, p) = (wt0.nrows(), wt0.ncols());
    let all: Vec<usize> = (0..p).collect();
    let mut work = Workspace::new(t);
    let mut wt = wt0.clone();
    let mut moved = 0;
    for _ in 0..2 {
        wt.copy_from(&wt0);
        df.init_state(wt.as_ref());
        df.epoch(pen, &mut wt, &all, &mut work);
        moved = (0..p)
            .filter(|&j| wt.col_as_slice(j) != wt0.col_as_slice(j))
            .count();
    }
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < MAX_EPOCHS
        && (times.len() < MIN_EPOCHS || start.elapsed().as_secs_f64() < 4.0 * TARGET_SECONDS)
        && times.iter().sum::<f64>() < TARGET_SECONDS
    {
        wt.copy_from(&wt0);
        df.init_state(wt.as_ref());
        let t0 = Instant::now();
        std::hint::black_box(df.epoch(pen, &mut wt, &all, &mut work));
        times.push(t0.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Timing {
        best: times[0],
        median: times[times.len() / 2],
        epochs: times.len(),
        moved,
    }
}

/// `wt` plus 1 % (of its largest entry) of seeded Gaussian noise everywhere.
fn perturbed(wt: &Mat<f64>) -> Mat<f64> {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    let big = (0..wt.ncols())
        .flat_map(|j| wt.col_as_slice(j).iter())
        .fold(1e-12f64, |m, v| m.max(v.abs()));
    let scale = 0.01 * big;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    Mat::from_fn(wt.nrows(), wt.ncols(), |i, j| {
        let z: f64 = StandardNormal.sample(&mut rng);
        wt[(i, j)] + scale * z
    })
}

fn main() {
    let args = parse_args();
    let mut rows = Vec::new();
    println!(
        "{:16} {:>6} {:>8} {:>9} {:>6} {:>6} {:>12} {:>12} {:>12} {:>9} {:>7}",
        "problem",
        "ratio",
        "mode",
        "state",
        "nnz",
        "moved",
        "flops/epoch",
        "best s",
        "median s",
        "GFLOP/s",
        "epochs"
    );
    for name in &args.problems {
        let (x, y, source) = load(name, &args.data_dir);
        let (n, p, t) = (x.nrows(), x.ncols(), y.ncols());
        let amax = alpha_max(&x, &y, 1.0, false).expect("alpha_max");
        let modes = args.modes.clone().unwrap_or_else(|| {
            vec![
                if GramMode::prefers_gram(n, p, t) {
                    "gram"
                } else {
                    "residual"
                }
                .into(),
            ]
        });
        for &ratio in &args.ratios {
            let alpha = ratio * amax;
            let pen = L21::new(alpha, 1.0);
            for mode in &modes {
                let gram = match mode.as_str() {
                    "gram" => true,
                    "residual" => false,
                    m => panic!("unknown mode {m} (residual or gram)"),
                };
                let fit = MultiTaskLasso::new(alpha)
                    .fit_intercept(false)
                    .tol(1e-8)
                    .max_iter(100_000)
                    .gram(if gram {
                        GramMode::Always
                    } else {
                        GramMode::Never
                    })
                    .fit(&x, &y)
                    .expect("reference fit");
                let solution = fit.coef().transpose().to_owned();
                for (state, wt) in [
                    ("solution", solution.clone()),
                    ("perturbed", perturbed(&solution)),
                ] {
                    let timing = if gram {
                        time_epochs(Gram::new(x.as_ref(), y.as_ref()), &pen, wt)
                    } else {
                        time_epochs(Quadratic::new(x.clone(), y.clone()), &pen, wt)
                    };
                    let (secs, u) = (timing.best, timing.moved);
                    let (nf, pf, tf, uf) = (n as f64, p as f64, t as f64, u as f64);
                    let flops = if gram {
                        2.0 * pf * tf * uf
                    } else {
                        2.0 * nf * pf * tf + 2.0 * nf * tf * uf
                    };
                    println!(
                        "{name:16} {ratio:>6} {mode:>8} {state:>9} {:>6} {u:>6} {flops:>12.4e} {secs:>12.4e} {:>12.4e} {:>9.2} {:>7}",
                        fit.n_nonzero_rows(),
                        timing.median,
                        flops / secs / 1e9,
                        timing.epochs
                    );
                    rows.push(serde_json::json!({
                        "problem": name, "source": source, "n": n, "p": p, "T": t,
                        "ratio": ratio, "alpha": alpha, "mode": mode, "state": state,
                        "nnz_rows": fit.n_nonzero_rows(), "rows_moved": u,
                        "flops_per_epoch": flops,
                        "seconds_per_epoch": secs, "seconds_per_epoch_median": timing.median,
                        "gflops": flops / secs / 1e9, "epochs_timed": timing.epochs,
                    }));
                }
            }
        }
    }
    if let Some(path) = &args.json {
        let doc = serde_json::json!({ "threads": 1, "epochs": rows });
        std::fs::write(path, serde_json::to_string_pretty(&doc).unwrap()).expect("write --json");
        eprintln!("wrote {}", path.display());
    }
}
