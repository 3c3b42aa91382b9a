//! Sufficient-statistics mode (issue #6): fits from statistics equal in-memory
//! fits, shards merge to the whole, the directory format round-trips, and bad
//! input fails cleanly (library and CLI).

use crate::common::{problem, rel_diff};
use assert_cmd::Command;
use faer::Mat;
use mtreg::io::csv::write_matrix;
use mtreg::io::stats::{read_stats, write_raw, write_stats};
use mtreg::path::AlphaGrid;
use mtreg::penalty::{Sparsity, TaskGraph};
use mtreg::stats::StatsAccumulator;
use mtreg::{GramMode, GraphMultiTask, MultiTaskElasticNet, SufficientStats};
use proptest::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

fn mtreg() -> Command {
    Command::cargo_bin("mtreg").unwrap()
}

/// Every matrix and vector of two statistics agree to `tol`, relative to the
/// largest entry of each; `XᵀY`, relative to its Cauchy–Schwarz scale
/// `√(max_j (XᵀX)_jj · max_q (YᵀY)_qq)` (the scale its rounding errors
/// have: an uncorrelated pair's cross product cancels to near zero, and an
/// error relative to that entry measures the cancellation, not the merge).
fn assert_stats_close(a: &SufficientStats, b: &SufficientStats, tol: f64) {
    assert_eq!(a.n_samples(), b.n_samples());
    assert_eq!(a.feature_names(), b.feature_names());
    assert_eq!(a.task_names(), b.task_names());
    let row = |v: &[f64]| Mat::from_fn(1, v.len(), |_, j| v[j]);
    let pairs = [
        (row(a.x_mean()), row(b.x_mean())),
        (row(a.y_mean()), row(b.y_mean())),
        (a.xtx().to_owned(), b.xtx().to_owned()),
        (a.xty().to_owned(), b.xty().to_owned()),
        (a.yty().to_owned(), b.yty().to_owned()),
    ];
    let diag_max = |m: faer::MatRef<'_, f64>| (0..m.nrows()).fold(0.0f64, |s, j| s.max(m[(j, j)]));
    let xty_scale = (diag_max(b.xtx()) * diag_max(b.yty())).sqrt();
    for (i, (u, v)) in pairs.iter().enumerate() {
        let d = if i == 3 && xty_scale > 0.0 {
            let diff = (0..u.nrows())
                .flat_map(|r| (0..u.ncols()).map(move |c| (r, c)))
                .fold(0.0f64, |m, (r, c)| m.max((u[(r, c)] - v[(r, c)]).abs()));
            diff / xty_scale
        } else {
            rel_diff(u.as_ref(), v.as_ref())
        };
        assert!(d <= tol, "part {i}: relative difference {d:e} > {tol:e}");
    }
}

fn rel_vec(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let diff = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    if scale == 0.0 { diff } else { diff / scale }
}

// ----- library -----

#[test]
fn fit_stats_equals_the_in_memory_fit() {
    let (x, y) = problem(11, 120, 15, 3, 4, 0.5);
    let stats = SufficientStats::from_data_chunked(&x, &y, 17).unwrap();
    for (fit_intercept, standardize) in [(true, false), (false, false), (true, true), (false, true)]
    {
        for rho in [1.0, 0.6] {
            let base = MultiTaskElasticNet::new(1.0)
                .l1_ratio(rho)
                .fit_intercept(fit_intercept)
                .standardize(standardize)
                .tol(1e-12)
                .gram(GramMode::Always);
            let amax = base.alpha_max_of(&x, &y).unwrap();
            let model = base.alpha(0.05 * amax);
            let a = model.fit_stats(&stats).unwrap();
            let b = model.fit(&x, &y).unwrap();
            let tag = format!("intercept {fit_intercept}, standardize {standardize}, rho {rho}");
            assert!(a.n_nonzero_rows() > 0, "{tag}");
            assert!(rel_diff(a.coef(), b.coef()) <= 1e-9, "{tag}");
            assert!(rel_vec(a.intercept(), b.intercept()) <= 1e-9, "{tag}");
            assert!(
                (a.alpha_max() - b.alpha_max()).abs() <= 1e-12 * b.alpha_max(),
                "{tag}"
            );
            assert!(
                (a.objective() - b.objective()).abs() <= 1e-9 * b.objective(),
                "{tag}"
            );
            assert!(a.used_gram() && a.converged(), "{tag}");
            // R² without the data.
            let r2 = stats.score(&a).unwrap();
            assert!((r2 - b.score(&x, &y).unwrap()).abs() < 1e-9, "{tag}");
        }
    }
}

#[test]
fn graph_models_and_paths_from_stats() {
    let (x, y) = problem(5, 90, 10, 4, 3, 0.3);
    let stats = SufficientStats::from_data(&x, &y).unwrap();
    for sparsity in [Sparsity::Group, Sparsity::Entrywise] {
        let model = GraphMultiTask::new(0.05)
            .penalty(sparsity)
            .graph(TaskGraph::chain(4))
            .graph_strength(0.7)
            .standardize(true)
            .tol(1e-12);
        let a = model.fit_stats(&stats).unwrap();
        let b = model.fit(&x, &y).unwrap();
        assert!(rel_diff(a.coef(), b.coef()) <= 1e-9, "{sparsity:?}");
        assert!(rel_vec(a.intercept(), b.intercept()) <= 1e-9);
    }
    assert!(
        GraphMultiTask::new(0.1)
            .pooled(true)
            .fit_stats(&stats)
            .is_err()
    );
    let grid = AlphaGrid::Auto {
        n_alphas: 6,
        eps: 1e-2,
    };
    let model = MultiTaskElasticNet::new(1.0)
        .tol(1e-12)
        .gram(GramMode::Always);
    let pa = model.path_stats(&stats, &grid).unwrap();
    let pb = model.path(&x, &y, &grid).unwrap();
    assert_eq!(pa.alphas.len(), 6);
    for (a, b) in pa.fits.iter().zip(&pb.fits) {
        assert!((a.alpha() - b.alpha()).abs() <= 1e-12 * b.alpha());
        assert!(rel_diff(a.coef(), b.coef()) <= 1e-9);
    }
}

#[test]
fn accumulator_rows_equal_from_data_and_errors_are_values() {
    let (x, y) = problem(3, 40, 4, 2, 2, 0.0);
    let mut acc = StatsAccumulator::new(
        (0..4).map(|j| format!("x{j}")).collect(),
        vec!["y0".into(), "y1".into()],
        7,
    )
    .unwrap();
    for i in 0..40 {
        let xr: Vec<f64> = (0..4).map(|j| x[(i, j)]).collect();
        let yr: Vec<f64> = (0..2).map(|k| y[(i, k)]).collect();
        acc.push_row(&xr, &yr).unwrap();
    }
    assert!(acc.push_row(&[1.0], &[1.0, 2.0]).is_err());
    let s = acc.finish().unwrap();
    assert_eq!(s, SufficientStats::from_data_chunked(&x, &y, 7).unwrap());
    let empty = StatsAccumulator::new(vec!["a".into()], vec!["b".into()], 3).unwrap();
    assert!(matches!(empty.finish(), Err(mtreg::Error::EmptyInput(_))));
    assert!(StatsAccumulator::new(vec![], vec!["b".into()], 3).is_err());
    assert!(StatsAccumulator::new(vec!["a".into()], vec!["b".into()], 0).is_err());
    let e = SufficientStats::empty(vec!["a".into()], vec!["b".into()]).unwrap();
    assert!(MultiTaskElasticNet::new(0.1).fit_stats(&e).is_err());
}

#[test]
fn raw_sums_import_round_trips() {
    // Large means: shifted sums keep the digits the naive centring loses.
    let (x0, y0) = problem(8, 60, 5, 2, 2, 0.2);
    let x = Mat::from_fn(60, 5, |i, j| x0[(i, j)] + 1000.0);
    let y = Mat::from_fn(60, 2, |i, k| y0[(i, k)] - 50.0);
    let stats = SufficientStats::from_data(&x, &y).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Plain uncentred sums.
    write_raw(&dir.path().join("raw"), &stats.to_raw(), false).unwrap();
    let back = read_stats(&dir.path().join("raw")).unwrap();
    assert_stats_close(&back, &stats, 1e-8);
    // Shifted sums, as a SQL query subtracting a rough mean would give.
    let (sx, sy) = (vec![1000.0; 5], vec![-50.0; 2]);
    let xs = Mat::from_fn(60, 5, |i, j| x[(i, j)] - sx[j]);
    let ys = Mat::from_fn(60, 2, |i, k| y[(i, k)] - sy[k]);
    let mut raw = SufficientStats::from_data(&xs, &ys).unwrap().to_raw();
    raw.x_shift = sx;
    raw.y_shift = sy;
    write_raw(&dir.path().join("shifted"), &raw, false).unwrap();
    let meta = fs::read_to_string(dir.path().join("shifted/meta.json")).unwrap();
    assert!(meta.contains("\"kind\": \"raw\"") && meta.contains("\"x_shift\""));
    let back = read_stats(&dir.path().join("shifted")).unwrap();
    assert_stats_close(&back, &stats, 1e-12);
    // And the fit from raw sums.
    let model = MultiTaskElasticNet::new(0.5)
        .tol(1e-12)
        .gram(GramMode::Always);
    let a = model.fit_stats(&back).unwrap();
    let b = model.fit(&x, &y).unwrap();
    assert!(rel_diff(a.coef(), b.coef()) <= 1e-9);
    assert!(rel_vec(a.intercept(), b.intercept()) <= 1e-9);
    // Centred directories round-trip exactly.
    write_stats(&dir.path().join("c"), &stats, false).unwrap();
    assert_eq!(read_stats(&dir.path().join("c")).unwrap(), stats);
}

#[test]
fn malformed_directories_are_located_errors() {
    let (x, y) = problem(2, 20, 3, 2, 1, 0.0);
    let stats = SufficientStats::from_data(&x, &y)
        .unwrap()
        .with_names(
            vec!["a".into(), "b".into(), "c".into()],
            vec!["u".into(), "v".into()],
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("s");
    write_stats(&d, &stats, false).unwrap();
    let edit = |file: &str, from: &str, to: &str| {
        let p = d.join(file);
        let text = fs::read_to_string(&p).unwrap();
        fs::write(&p, text.replacen(from, to, 1)).unwrap();
        text
    };
    let err = |want: &str| {
        let e = read_stats(&d).unwrap_err().to_string();
        assert!(e.contains(want), "{e:?} lacks {want:?}");
    };
    let old = edit("xty.csv", "u,v", "u,w");
    err("xty.csv, line 1, column 2 (\"w\"): column name differs from meta.json's \"v\"");
    fs::write(d.join("xty.csv"), old).unwrap();
    let old = edit(
        "meta.json",
        "\"format_version\": 1",
        "\"format_version\": 9",
    );
    err("format_version 9 is not supported");
    fs::write(d.join("meta.json"), old).unwrap();
    let text = fs::read_to_string(d.join("xtx.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[2].split(',').map(String::from).collect();
    cells[0] = "12345".into();
    lines[2] = cells.join(",");
    fs::write(d.join("xtx.csv"), lines.join("\n") + "\n").unwrap();
    err("xtx.csv, line 2, column 2 (\"b\"): the matrix is not symmetric");
    fs::write(d.join("xtx.csv"), text).unwrap();
    fs::remove_file(d.join("yty.csv")).unwrap();
    err("yty.csv: cannot read file");
    assert!(read_stats(&dir.path().join("nowhere")).is_err());
}

fn split_rows(x: &Mat<f64>, cuts: &[usize]) -> Vec<(usize, usize)> {
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied().filter(|&c| c > 0 && c < x.nrows()));
    bounds.push(x.nrows());
    bounds.sort_unstable();
    bounds.dedup();
    bounds.windows(2).map(|w| (w[0], w[1] - w[0])).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Shards merged in any grouping or order give the statistics of the
    /// whole, whatever the chunk size.
    #[test]
    fn merge_is_associative_commutative_and_chunk_free(
        seed in any::<u64>(), n in 3usize..60, p in 1usize..6, t in 1usize..4,
        cuts in proptest::collection::vec(1usize..60, 2),
        chunks in proptest::collection::vec(1usize..70, 3),
        offset in prop_oneof![Just(0.0), Just(1e3), -50.0f64..50.0],
    ) {
        let (x0, y) = problem(seed, n, p, t, 2, 0.5);
        let x = Mat::from_fn(n, p, |i, j| x0[(i, j)] + offset);
        let whole = SufficientStats::from_data_chunked(&x, &y, chunks[0]).unwrap();
        for &c in &chunks[1..] {
            assert_stats_close(&SufficientStats::from_data_chunked(&x, &y, c).unwrap(), &whole, 1e-12);
        }
        let parts = split_rows(&x, &cuts);
        let shard = |(start, len): (usize, usize), c: usize| {
            SufficientStats::from_data_chunked(&x.subrows(start, len), &y.subrows(start, len), c).unwrap()
        };
        let s: Vec<SufficientStats> = parts.iter().enumerate()
            .map(|(i, &r)| shard(r, chunks[i % chunks.len()])).collect();
        // Commutative to the bit.
        prop_assert_eq!(s[0].merge(&s[s.len() - 1]).unwrap(), s[s.len() - 1].merge(&s[0]).unwrap());
        // (a + b) + c = a + (b + c) = whole, up to rounding.
        let left = s[1..].iter().fold(s[0].clone(), |acc, b| acc.merge(b).unwrap());
        let right = s[..s.len() - 1].iter().rev().fold(s[s.len() - 1].clone(), |acc, a| a.merge(&acc).unwrap());
        assert_stats_close(&left, &right, 1e-12);
        assert_stats_close(&left, &whole, 1e-12);
    }
}

// ----- CLI -----

/// Writes `x` and `y` as X.csv / Y.csv with headers `f0..`, `t0..` into `dir`.
fn write_xy(
    dir: &Path,
    name: &str,
    x: faer::MatRef<'_, f64>,
    y: faer::MatRef<'_, f64>,
) -> (PathBuf, PathBuf) {
    let fx: Vec<String> = (0..x.ncols()).map(|j| format!("f{j}")).collect();
    let ty: Vec<String> = (0..y.ncols()).map(|k| format!("t{k}")).collect();
    let px = dir.join(format!("{name}_X.csv"));
    let py = dir.join(format!("{name}_Y.csv"));
    write_matrix(fs::File::create(&px).unwrap(), Some(&fx), None, x).unwrap();
    write_matrix(fs::File::create(&py).unwrap(), Some(&ty), None, y).unwrap();
    (px, py)
}

fn model_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn numbers(v: &serde_json::Value) -> Vec<f64> {
    match v {
        serde_json::Value::Array(a) => a.iter().flat_map(numbers).collect(),
        serde_json::Value::Number(n) => vec![n.as_f64().unwrap()],
        other => panic!("not numbers: {other}"),
    }
}

#[test]
fn cli_solve_from_stats_equals_solve_from_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (x0, y) = problem(21, 300, 12, 3, 4, 0.4);
    let x = Mat::from_fn(300, 12, |i, j| x0[(i, j)] * (1.0 + j as f64) + 20.0);
    let (px, py) = write_xy(d, "all", x.as_ref(), y.as_ref());
    let out = mtreg()
        .arg("stats")
        .arg("--x")
        .arg(&px)
        .arg("--y")
        .arg(&py)
        .args(["--chunk-rows", "64", "--out"])
        .arg(d.join("s"))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("300 rows x 12 features, 3 tasks from 1 shard"),
        "{stdout}"
    );
    let flag_sets: [&[&str]; 6] = [
        &[],
        &["--no-intercept"],
        &["--standardize"],
        &["--no-intercept", "--standardize", "--l1-ratio", "0.5"],
        &["--chain", "--graph-strength", "0.5"],
        &["--penalty", "l1", "--standardize"],
    ];
    for (i, flags) in flag_sets.iter().enumerate() {
        let common = ["--alpha-ratio", "0.05", "--tol", "1e-12", "-q"];
        let (ma, mb) = (d.join(format!("a{i}.json")), d.join(format!("b{i}.json")));
        mtreg()
            .arg("solve")
            .arg("--stats")
            .arg(d.join("s"))
            .args(common)
            .args(*flags)
            .arg("--out")
            .arg(d.join(format!("a{i}.csv")))
            .arg("--model")
            .arg(&ma)
            .assert()
            .success();
        mtreg()
            .arg("solve")
            .arg("--x")
            .arg(&px)
            .arg("--y")
            .arg(&py)
            .args(common)
            .args(*flags)
            .arg("--out")
            .arg(d.join(format!("b{i}.csv")))
            .arg("--model")
            .arg(&mb)
            .assert()
            .success();
        let (a, b) = (model_json(&ma), model_json(&mb));
        let keys = |v: &serde_json::Value| -> Vec<String> {
            v.as_object().unwrap().keys().cloned().collect()
        };
        assert_eq!(keys(&a), keys(&b), "{flags:?}");
        for key in [
            "model",
            "feature_names",
            "task_names",
            "n_samples",
            "penalty",
            "fit_intercept",
        ] {
            assert_eq!(a[key], b[key], "{key} with {flags:?}");
        }
        let (ca, cb) = (numbers(&a["coef"]), numbers(&b["coef"]));
        assert!(cb.iter().any(|&v| v != 0.0), "{flags:?}");
        assert!(
            rel_vec(&ca, &cb) <= 1e-9,
            "coef with {flags:?}: {:e}",
            rel_vec(&ca, &cb)
        );
        let (ia, ib) = (numbers(&a["intercept"]), numbers(&b["intercept"]));
        assert!(rel_vec(&ia, &ib) <= 1e-9, "intercept with {flags:?}");
        let coef_a = fs::read_to_string(d.join(format!("a{i}.csv"))).unwrap();
        let coef_b = fs::read_to_string(d.join(format!("b{i}.csv"))).unwrap();
        assert_eq!(coef_a.lines().next(), coef_b.lines().next());
        assert_eq!(coef_a.lines().count(), coef_b.lines().count());
    }
    // `mtreg path --stats` gives the path of the data: same grid, same points.
    for (i, flags) in [&[][..], &["--standardize", "--l1-ratio", "0.7"][..]]
        .into_iter()
        .enumerate()
    {
        let run = |src: &[&std::ffi::OsStr], out: &Path| {
            mtreg()
                .arg("path")
                .args(src)
                .args(["--n-alphas", "8", "--eps", "0.01", "--tol", "1e-12", "-q"])
                .args(flags)
                .arg("--out-dir")
                .arg(out)
                .assert()
                .success();
        };
        let (pa, pb) = (
            d.join(format!("path_stats{i}")),
            d.join(format!("path_data{i}")),
        );
        run(&["--stats".as_ref(), d.join("s").as_os_str()], &pa);
        run(
            &[
                "--x".as_ref(),
                px.as_os_str(),
                "--y".as_ref(),
                py.as_os_str(),
            ],
            &pb,
        );
        let (a, b) = (
            model_json(&pa.join("model.json")),
            model_json(&pb.join("model.json")),
        );
        let alphas = |v: &serde_json::Value| -> Vec<f64> {
            v["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| q["alpha"].as_f64().unwrap())
                .collect()
        };
        assert_eq!(alphas(&a).len(), 8);
        assert_eq!(alphas(&a).len(), alphas(&b).len());
        assert!(rel_vec(&alphas(&a), &alphas(&b)) <= 1e-12, "{flags:?}");
        for key in ["objective", "nnz_rows", "intercept"] {
            let pick = |v: &serde_json::Value| -> Vec<f64> {
                v["points"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|q| numbers(&q[key]))
                    .collect()
            };
            assert_eq!(pick(&a).len(), pick(&b).len());
            assert!(
                rel_vec(&pick(&a), &pick(&b)) <= 1e-9,
                "{key} with {flags:?}"
            );
        }
        // coefs.csv: the same non-zeros in the same order, equal values
        let entries = |dir: &Path| -> (Vec<String>, Vec<f64>) {
            let text = fs::read_to_string(dir.join("coefs.csv")).unwrap();
            text.lines()
                .skip(1)
                .map(|l| {
                    let f: Vec<&str> = l.split(',').collect();
                    (format!("{},{}", f[1], f[2]), f[3].parse::<f64>().unwrap())
                })
                .unzip()
        };
        let ((ka, va), (kb, vb)) = (entries(&pa), entries(&pb));
        assert!(!va.is_empty());
        assert_eq!(ka, kb, "{flags:?}");
        assert!(rel_vec(&va, &vb) <= 1e-9, "{flags:?}");
    }
    // The summary reports R² from the statistics.
    let out = mtreg()
        .arg("solve")
        .arg("--stats")
        .arg(d.join("s"))
        .args(["--alpha-ratio", "0.1", "--out"])
        .arg(d.join("r2.csv"))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("(sufficient statistics)") && stdout.contains("R^2 train"),
        "{stdout}"
    );
}

/// `mtreg stats ARGS --out DIR -q`, then the statistics read back.
fn stats_cli(args: &[&Path], flags: &[&str], out: &Path) -> SufficientStats {
    let mut cmd = mtreg();
    cmd.arg("stats");
    for pair in args.chunks(2) {
        cmd.arg("--x").arg(pair[0]).arg("--y").arg(pair[1]);
    }
    cmd.args(flags)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .assert()
        .success();
    read_stats(out).unwrap()
}

#[test]
fn cli_shards_and_merge_equal_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (x0, y) = problem(4, 257, 7, 2, 3, 0.6);
    let x = Mat::from_fn(257, 7, |i, j| x0[(i, j)] + 1e3 * j as f64);
    let (px, py) = write_xy(d, "all", x.as_ref(), y.as_ref());
    let whole = stats_cli(&[&px, &py], &[], &d.join("whole"));
    assert_stats_close(
        &whole,
        &SufficientStats::from_data(&x, &y)
            .unwrap()
            .with_names(whole.feature_names().to_vec(), whole.task_names().to_vec())
            .unwrap(),
        1e-12,
    );
    // Three shards in one run, with small chunks.
    let parts = [(0, 100), (100, 1), (101, 156)];
    let files: Vec<(PathBuf, PathBuf)> = parts
        .iter()
        .enumerate()
        .map(|(i, &(s, n))| write_xy(d, &format!("part{i}"), x.subrows(s, n), y.subrows(s, n)))
        .collect();
    let args: Vec<&Path> = files
        .iter()
        .flat_map(|(a, b)| [a.as_path(), b.as_path()])
        .collect();
    let sharded = stats_cli(&args, &["--chunk-rows", "7"], &d.join("sharded"));
    assert_stats_close(&sharded, &whole, 1e-12);
    // Shards reduced separately, then merged.
    let mut cmd = mtreg();
    cmd.args(["stats", "merge"]);
    for (i, (a, b)) in files.iter().enumerate() {
        let out = d.join(format!("s{i}"));
        stats_cli(&[a, b], &[], &out);
        cmd.arg(out);
    }
    let out = cmd.arg("--out").arg(d.join("merged")).assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("257 rows x 7 features, 2 tasks from 3 directories"),
        "{stdout}"
    );
    assert_stats_close(&read_stats(&d.join("merged")).unwrap(), &whole, 1e-12);
    // One file holding features and targets, targets named in any order.
    let joint = d.join("joint.csv");
    let mut text = String::from("t1,f0,f1,f2,f3,f4,f5,f6,t0\n");
    for i in 0..257 {
        let row: Vec<String> = std::iter::once(y[(i, 1)])
            .chain((0..7).map(|j| x[(i, j)]))
            .chain(std::iter::once(y[(i, 0)]))
            .map(|v| format!("{v}"))
            .collect();
        text += &(row.join(",") + "\n");
    }
    fs::write(&joint, text).unwrap();
    mtreg()
        .args(["stats", "--targets", "t0,t1", "--data"])
        .arg(&joint)
        .arg("--out")
        .arg(d.join("joint"))
        .assert()
        .success();
    assert_stats_close(&read_stats(&d.join("joint")).unwrap(), &whole, 1e-12);
}

/// Runs `mtreg` expecting exit code 2; returns stderr.
fn fails(cmd: &mut Command) -> String {
    let out = cmd.assert().code(2);
    String::from_utf8_lossy(&out.get_output().stderr).to_string()
}

#[test]
fn cli_bad_input_exits_2_and_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (x, y) = problem(9, 30, 3, 2, 1, 0.0);
    let (px, py) = write_xy(d, "ok", x.as_ref(), y.as_ref());
    let (short_x, short_y) = write_xy(d, "short", x.subrows(0, 29), y.subrows(0, 29));
    let out = d.join("out");
    let stats = |xs: &Path, ys: &Path| {
        let mut c = mtreg();
        c.arg("stats")
            .arg("--x")
            .arg(xs)
            .arg("--y")
            .arg(ys)
            .arg("--out")
            .arg(&out);
        c
    };
    // Mismatched row counts, either way round (chunks smaller and larger than n).
    for chunk in ["7", "4096"] {
        let e = fails(stats(&px, &short_y).args(["--chunk-rows", chunk]));
        assert!(
            e.contains("ok_X.csv: more data rows than") && e.contains("short_Y.csv (29)"),
            "{e}"
        );
        let e = fails(stats(&short_x, &py).args(["--chunk-rows", chunk]));
        assert!(
            e.contains("ok_Y.csv, line 31: more data rows than") && e.contains("short_X.csv (29)"),
            "{e}"
        );
        assert!(!out.exists());
    }
    // A non-numeric cell: file, line, column and its name.
    let bad = d.join("bad_X.csv");
    let text = fs::read_to_string(&px).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[20].split(',').map(String::from).collect();
    cells[1] = "abc".into();
    lines[20] = cells.join(",");
    fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let e = fails(&mut stats(&bad, &py));
    assert!(
        e.contains("bad_X.csv, line 21, column 2 (\"f1\"): not a number: \"abc\""),
        "{e}"
    );
    assert!(!out.exists());
    // Shards whose names differ.
    let renamed = d.join("renamed_Y.csv");
    fs::write(
        &renamed,
        fs::read_to_string(&py)
            .unwrap()
            .replacen("t0,t1", "t0,zz", 1),
    )
    .unwrap();
    let e = fails(stats(&px, &py).arg("--x").arg(&px).arg("--y").arg(&renamed));
    assert!(
        e.contains("task 2 is named \"t1\" in one and \"zz\" in the other"),
        "{e}"
    );
    assert!(!out.exists());
    // Merging directories whose names differ.
    let (a, b) = (d.join("a"), d.join("b"));
    stats_cli(&[&px, &py], &[], &a);
    stats_cli(&[&px, &renamed], &[], &b);
    let e = fails(
        mtreg()
            .args(["stats", "merge"])
            .arg(&a)
            .arg(&b)
            .arg("--out")
            .arg(&out),
    );
    assert!(e.contains("zz"), "{e}");
    assert!(!out.exists());
    // Unknown target column, targets without a header.
    let e = fails(
        mtreg()
            .args(["stats", "--targets", "nope", "--data"])
            .arg(&px)
            .arg("--out")
            .arg(&out),
    );
    assert!(e.contains("no column named \"nope\""), "{e}");
    assert!(!out.exists());
    // An existing output is kept without --force, replaced with it.
    let before = fs::read_to_string(a.join("meta.json")).unwrap();
    let e = fails(
        mtreg()
            .arg("stats")
            .arg("--x")
            .arg(&px)
            .arg("--y")
            .arg(&py)
            .arg("--out")
            .arg(&a),
    );
    assert!(
        e.contains("refusing to overwrite existing directory"),
        "{e}"
    );
    let e = fails(
        mtreg()
            .args(["stats", "merge"])
            .arg(&a)
            .arg("--out")
            .arg(&a)
            .arg("--force"),
    );
    assert!(e.contains("is one of the inputs"), "{e}");
    assert_eq!(fs::read_to_string(a.join("meta.json")).unwrap(), before);
    // --stats is an input of solve and path only; a broken directory is a
    // located error.
    let e = fails(
        mtreg()
            .args(["cv", "--stats"])
            .arg(&a)
            .arg("--out-dir")
            .arg(d.join("p")),
    );
    assert!(
        e.contains("--stats is supported by `mtreg solve` and `mtreg path` only"),
        "{e}"
    );
    assert!(!d.join("p").exists());
    // task weights belong to per-task data, which statistics do not keep
    // (refused by the argument parser)
    for cmd in [&["solve", "--alpha", "1"][..], &["path"][..]] {
        let out = if cmd[0] == "solve" {
            "--out"
        } else {
            "--out-dir"
        };
        let e = fails(
            mtreg()
                .args(cmd)
                .arg("--stats")
                .arg(&a)
                .args(["--task-weights", "w.csv", out])
                .arg(d.join("tw")),
        );
        assert!(e.contains("cannot be used with"), "{e}");
        assert!(!d.join("tw").exists());
    }
    fs::write(a.join("meta.json"), "{\"format\": \"mtreg-stats\",\n oops").unwrap();
    let e = fails(
        mtreg()
            .args(["solve", "--alpha", "1", "--stats"])
            .arg(&a)
            .arg("--out")
            .arg(d.join("c.csv")),
    );
    assert!(e.contains("meta.json, line 2"), "{e}");
    assert!(!d.join("c.csv").exists());
    // Leftovers: no temporary directories anywhere.
    let names: Vec<String> = fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}
