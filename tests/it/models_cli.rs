//! The shared-representation models in the CLI: each new flag's outputs,
//! and exit code 2 with no output file for combinations that mean nothing.

use assert_cmd::Command;
use faer::Mat;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

fn mtreg() -> Command {
    Command::cargo_bin("mtreg").unwrap()
}

fn write_csv(path: &Path, m: &Mat<f64>, prefix: &str) {
    let mut s = (0..m.ncols())
        .map(|j| format!("{prefix}{j}"))
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    for i in 0..m.nrows() {
        let row: Vec<String> = (0..m.ncols()).map(|j| m[(i, j)].to_string()).collect();
        s += &row.join(",");
        s.push('\n');
    }
    fs::write(path, s).unwrap();
}

/// A low-rank shared-design problem (6 tasks, 15 features) and one with an
/// outlier task, as X.csv / Y.csv / Xo.csv / Yo.csv, plus a long file.
fn data(dir: &Path) {
    use mtreg::generate::{StructuredTasks, TaskStructure};
    for (name, structure) in [
        ("", TaskStructure::LowRank { rank: 2 }),
        (
            "o",
            TaskStructure::OutlierTasks {
                n_outliers: 1,
                scale: 1.0,
            },
        ),
    ] {
        let g = StructuredTasks::new(vec![100; 6], 15)
            .structure(structure)
            .n_informative(6)
            .shared_design(true)
            .noise(0.5)
            .seed(3)
            .generate()
            .unwrap();
        let x = g.xs[0].clone();
        let y = Mat::from_fn(x.nrows(), 6, |i, t| g.ys[t][i] + t as f64);
        write_csv(&dir.join(format!("X{name}.csv")), &x, "x");
        write_csv(&dir.join(format!("Y{name}.csv")), &y, "t");
    }
    let mut long = String::from("task,y,x0,x1\n");
    for i in 0..30 {
        let v = i as f64 / 10.0;
        long += &format!(
            "a,{},{v},{}\nb,{},{},{v}\n",
            2.0 * v,
            1.0 - v,
            v - 1.0,
            v * v
        );
    }
    fs::write(dir.join("long.csv"), long).unwrap();
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// `mtreg solve` with X.csv, Y.csv (or Xo/Yo) and `args`, writing W.csv and
/// model.json in `dir`; returns stdout.
fn solve(dir: &Path, outliers: bool, args: &[&str]) -> String {
    let o = if outliers { "o" } else { "" };
    let out = mtreg()
        .current_dir(dir)
        .args([
            "solve",
            "--x",
            &format!("X{o}.csv"),
            "--y",
            &format!("Y{o}.csv"),
        ])
        .args(["--out", "W.csv", "--model", "model.json", "--force"])
        .args(args)
        .assert()
        .success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

fn read_coef(path: &Path) -> Vec<Vec<f64>> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').skip(1).map(|v| v.parse().unwrap()).collect())
        .collect()
}

#[test]
fn trace_norm_reports_rank_and_spectrum() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    data(d);
    let out = solve(
        d,
        false,
        &[
            "--penalty",
            "trace",
            "--alpha-ratio",
            "0.1",
            "--tol",
            "1e-8",
        ],
    );
    assert!(
        out.contains("trace penalty") && out.contains(" of 6; singular values"),
        "{out}"
    );
    let m = json(&d.join("model.json"));
    assert_eq!(m["penalty"], "trace");
    let s: Vec<f64> = m["singular_values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(s.len(), 6);
    let rank = s.iter().filter(|&&v| v > 1e-9 * s[0]).count();
    assert_eq!(m["rank"], rank);
    assert!((2..6).contains(&rank), "{s:?}");
    assert!(out.contains(&format!("rank       {rank} of 6")), "{out}");
    assert_eq!(m["certificate"]["kind"], "dual_gap");
    // predict from the model file
    mtreg()
        .current_dir(d)
        .args([
            "predict",
            "--model",
            "model.json",
            "--x",
            "X.csv",
            "--out",
            "P.csv",
        ])
        .assert()
        .success();
    assert_eq!(read_coef(&d.join("P.csv")).len(), 100);
}

#[test]
fn dirty_writes_its_components() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    data(d);
    let out = solve(
        d,
        true,
        &[
            "--penalty",
            "dirty",
            "--alpha",
            "0.3",
            "--alpha-specific",
            "0.15",
            "--group-norm",
            "l2",
            "--components",
            "parts.csv",
        ],
    );
    assert!(out.contains("parts      shared:"), "{out}");
    let m = json(&d.join("model.json"));
    assert_eq!(m["alpha_specific"], 0.15);
    assert_eq!(m["alpha_specific_ratio"], 0.5);
    assert_eq!(m["group_norm"], "l2");
    // parts.csv: component,feature,task,value; P + Q = W
    let parts = fs::read_to_string(d.join("parts.csv")).unwrap();
    let mut lines = parts.lines();
    assert_eq!(lines.next(), Some("component,feature,task,value"));
    let mut sum = vec![vec![0.0; 6]; 15];
    let mut kinds = std::collections::BTreeSet::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        kinds.insert(f[0].to_string());
        let j: usize = f[1][1..].parse().unwrap();
        let t: usize = f[2][1..].parse().unwrap();
        let v: f64 = f[3].parse().unwrap();
        assert!(v != 0.0);
        sum[j][t] += v;
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["shared", "specific"]
    );
    for (a, b) in read_coef(&d.join("W.csv")).iter().zip(&sum) {
        for (u, v) in a.iter().zip(b) {
            assert!((u - v).abs() <= 1e-12 * (1.0 + u.abs()), "{u} vs {v}");
        }
    }
    // the components are in model.json and survive predict's reading
    assert_eq!(m["components"].as_array().unwrap().len(), 2);
    mtreg()
        .current_dir(d)
        .args([
            "predict",
            "--model",
            "model.json",
            "--x",
            "Xo.csv",
            "--out",
            "P.csv",
        ])
        .assert()
        .success();
}

#[test]
fn robust_reports_outlier_tasks_and_clusters_their_groups() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    data(d);
    let out = solve(
        d,
        true,
        &[
            "--penalty",
            "robust",
            "--alpha-ratio",
            "0.2",
            "--specific-ratio",
            "2",
        ],
    );
    assert!(out.contains("outliers"), "{out}");
    let m = json(&d.join("model.json"));
    assert!(m["outlier_tasks"].is_array());
    let out = solve(
        d,
        false,
        &[
            "--clusters",
            "2",
            "--cluster-strength",
            "1",
            "--cluster-ridge",
            "0.1",
        ],
    );
    assert!(out.contains("clusters   {"), "{out}");
    let m = json(&d.join("model.json"));
    assert_eq!(m["penalty"], "clustered");
    assert_eq!(m["n_clusters"], 2);
    assert!(m["alpha_max"].is_null());
    assert_eq!(m["clusters"].as_array().unwrap().len(), 6);
    assert_eq!(m["cluster_matrix"].as_array().unwrap().len(), 6);
}

#[test]
fn complete_graph_reports_the_mean_and_deviations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    data(d);
    let out = solve(
        d,
        false,
        &[
            "--graph",
            "complete",
            "--graph-strength",
            "5",
            "--alpha-ratio",
            "0.1",
            "--components",
            "parts.csv",
        ],
    );
    assert!(out.contains("complete graph (mean-regularised)"), "{out}");
    assert!(out.contains("||w_mean||"), "{out}");
    let m = json(&d.join("model.json"));
    assert_eq!(m["graph"], "complete");
    assert!(m.get("edges").is_none());
    let parts = fs::read_to_string(d.join("parts.csv")).unwrap();
    assert!(parts.contains("\nmean,x") && parts.contains("\ndeviation,x"));
}

#[test]
fn reduced_rank_solve_and_cv_over_ranks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    data(d);
    let out = solve(d, false, &["--rank", "2", "--ridge", "0.01"]);
    assert!(
        out.contains("reduced-rank regression, rank <= 2, ridge 0.01"),
        "{out}"
    );
    let m = json(&d.join("model.json"));
    assert_eq!(m["model"], "reduced_rank");
    assert_eq!(m["max_rank"], 2);
    assert_eq!(m["rank"], 2);
    assert_eq!(m["alpha"], 0.01);
    mtreg()
        .current_dir(d)
        .args(["cv", "--x", "X.csv", "--y", "Y.csv", "--ranks", "1,2,3,4"])
        .args(["--folds", "4", "--out-dir", "cv"])
        .assert()
        .success();
    let cv = fs::read_to_string(d.join("cv/cv.csv")).unwrap();
    assert!(cv.starts_with("rank,mse_mean,mse_se,mse_t0,"), "{cv}");
    assert_eq!(cv.lines().count(), 5);
    let m = json(&d.join("cv/model.json"));
    assert_eq!(m["rank_min"], 2);
    assert_eq!(m["cv_folds"], 4);
    assert!(!d.join("cv/cv_grid.csv").exists());
}

#[test]
fn learned_task_weights() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    data(d);
    let out = solve(
        d,
        false,
        &["--task-weights", "auto", "--alpha-ratio", "0.05"],
    );
    assert!(
        out.contains("weights    learned (1/sigma^2): converged after"),
        "{out}"
    );
    let m = json(&d.join("model.json"));
    assert_eq!(m["task_weight_scheme"], "auto");
    let auto = &m["task_weights_auto"];
    assert_eq!(auto["converged"], true);
    assert!(auto["alternations"].as_u64().unwrap() >= 2);
    assert!(auto["inner_iterations"].as_u64().unwrap() >= 2);
    let w: Vec<f64> = m["task_weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!((w.iter().sum::<f64>() / 6.0 - 1.0).abs() < 1e-5, "{w:?}");
}

#[test]
fn cv_over_model_grids() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    data(d);
    mtreg()
        .current_dir(d)
        .args(["cv", "--x", "Xo.csv", "--y", "Yo.csv", "--penalty", "dirty"])
        .args([
            "--specific-ratios",
            "0.3,1",
            "--n-alphas",
            "5",
            "--eps",
            "0.05",
        ])
        .args(["--folds", "3", "--threads", "2", "--out-dir", "dirty"])
        .assert()
        .success();
    let grid = fs::read_to_string(d.join("dirty/cv_grid.csv")).unwrap();
    assert!(
        grid.starts_with("alpha_specific_ratio,alpha,mse_mean,mse_se\n"),
        "{grid}"
    );
    assert_eq!(grid.lines().count(), 11);
    let m = json(&d.join("dirty/model.json"));
    assert_eq!(m["penalty"], "dirty");
    assert!(m["components"].is_array());

    fs::write(d.join("W.csv"), "task,weight\nt0,2\nt3,0.5\n").unwrap();
    let before = fs::read_to_string(d.join("W.csv")).unwrap();
    mtreg()
        .current_dir(d)
        .args(["cv", "--x", "X.csv", "--y", "Y.csv"])
        .args(["--task-weight-grid", "uniform,inverse-variance,W.csv"])
        .args([
            "--n-alphas",
            "4",
            "--eps",
            "0.05",
            "--folds",
            "3",
            "--out-dir",
            "w",
        ])
        .assert()
        .success();
    let grid = fs::read_to_string(d.join("w/cv_grid.csv")).unwrap();
    assert!(
        grid.starts_with("task_weights,alpha,mse_mean,mse_se\n"),
        "{grid}"
    );
    assert_eq!(grid.lines().count(), 13);
    assert!(grid.contains("\nW.csv,") && grid.contains("\ninverse_variance,"));
    assert_eq!(fs::read_to_string(d.join("W.csv")).unwrap(), before);
    let m = json(&d.join("w/model.json"));
    assert!(m["task_weight_scheme"].is_string());
    // a weights file is an input: never an output
    mtreg()
        .current_dir(d)
        .args(["cv", "--x", "X.csv", "--y", "Y.csv"])
        .args(["--task-weight-grid", "uniform,w2/cv.csv", "--out-dir", "w2"])
        .assert()
        .code(2);

    // clustered: explicit alphas (the cluster strengths) and ridges
    mtreg()
        .current_dir(d)
        .args(["cv", "--x", "X.csv", "--y", "Y.csv", "--clusters", "2"])
        .args([
            "--cluster-ridges",
            "0.1,1",
            "--alphas",
            "3,1,0.3",
            "--folds",
            "3",
        ])
        .args(["--out-dir", "cmtl"])
        .assert()
        .success();
    let grid = fs::read_to_string(d.join("cmtl/cv_grid.csv")).unwrap();
    assert!(grid.starts_with("cluster_ridge,alpha,"), "{grid}");

    // paths of the new families: warm-started, W = 0 at alpha_max
    mtreg()
        .current_dir(d)
        .args(["path", "--x", "X.csv", "--y", "Y.csv", "--penalty", "trace"])
        .args(["--n-alphas", "5", "--out-dir", "tp"])
        .assert()
        .success();
    let alphas = fs::read_to_string(d.join("tp/alphas.csv")).unwrap();
    assert!(
        alphas.lines().nth(1).unwrap().ends_with(",0,0,0"),
        "{alphas}"
    );
}

/// Each row: the arguments after `solve --x X.csv --y Y.csv --out W.csv`,
/// and a fragment of the message. Every one exits 2 and writes nothing.
#[test]
fn meaningless_combinations_exit_2_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    data(d);
    let cases: &[(&[&str], &str)] = &[
        (
            &["--penalty", "dirty", "--alpha", "1"],
            "needs the specific part",
        ),
        (
            &["--alpha", "1", "--alpha-specific", "0.5"],
            "for --penalty dirty or robust",
        ),
        (
            &[
                "--penalty",
                "robust",
                "--alpha",
                "1",
                "--specific-ratio",
                "1",
                "--group-norm",
                "l2",
            ],
            "--group-norm is for",
        ),
        (
            &["--alpha", "1", "--components", "C.csv"],
            "--components needs",
        ),
        (
            &[
                "--penalty",
                "trace",
                "--alpha",
                "1",
                "--components",
                "C.csv",
            ],
            "--components needs",
        ),
        (&["--rank", "2", "--penalty", "trace"], "cannot be combined"),
        (&["--rank", "2", "--l1-ratio", "0.5"], "--ridge"),
        (&["--rank", "2", "--alpha", "1"], "cannot be used with"),
        (
            &["--clusters", "2", "--cluster-strength", "1"],
            "--cluster-ridge",
        ),
        (
            &[
                "--clusters",
                "2",
                "--cluster-ridge",
                "1",
                "--penalty",
                "dirty",
                "--alpha",
                "1",
            ],
            "--clusters selects",
        ),
        (&["--cluster-strength", "1"], "--clusters"),
        (
            &["--penalty", "trace", "--alpha", "1", "--graph", "complete"],
            "no form for",
        ),
        (
            &[
                "--penalty",
                "dirty",
                "--alpha",
                "1",
                "--specific-ratio",
                "1",
                "--l1-ratio",
                "0.5",
            ],
            "no ridge part",
        ),
        (
            &[
                "--penalty",
                "robust",
                "--alpha",
                "1",
                "--specific-ratio",
                "-1",
            ],
            "alpha_specific_ratio",
        ),
        (
            &[
                "--penalty",
                "dirty",
                "--alpha",
                "1",
                "--alpha-specific",
                "0",
            ],
            "alpha_specific",
        ),
        (
            &[
                "--clusters",
                "9",
                "--cluster-strength",
                "1",
                "--cluster-ridge",
                "0.1",
            ],
            "number of clusters",
        ),
        (
            &["--task-weights", "auto", "--rank", "2"],
            "--task-weights auto",
        ),
    ];
    for (args, msg) in cases {
        let out = mtreg()
            .current_dir(d)
            .args(["solve", "--x", "X.csv", "--y", "Y.csv", "--out", "W.csv"])
            .args(*args)
            .assert()
            .code(2);
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert!(err.contains(msg), "{args:?}: {err}");
        for f in ["W.csv", "C.csv"] {
            assert!(!d.join(f).exists(), "{args:?} left {f}");
        }
    }
    // reduced rank needs a shared design
    mtreg()
        .current_dir(d)
        .args([
            "solve", "--long", "long.csv", "--rank", "1", "--out", "W.csv",
        ])
        .assert()
        .code(2);
    assert!(!d.join("W.csv").exists());
    // path and cv: auto weights, a clustered model without alphas
    let runs: &[&[&str]] = &[
        &["path", "--task-weights", "auto", "--out-dir", "o1"],
        &[
            "path",
            "--clusters",
            "2",
            "--cluster-ridge",
            "0.1",
            "--out-dir",
            "o2",
        ],
        &[
            "cv",
            "--clusters",
            "2",
            "--cluster-ridge",
            "0.1",
            "--out-dir",
            "o3",
        ],
        &["cv", "--penalty", "robust", "--out-dir", "o4"],
        &["cv", "--ranks", "0,1", "--out-dir", "o5"],
    ];
    for args in runs {
        mtreg()
            .current_dir(d)
            .args(&args[..1])
            .args(["--x", "X.csv", "--y", "Y.csv"])
            .args(&args[1..])
            .assert()
            .code(2);
        let out: PathBuf = d.join(args[args.len() - 1]);
        for f in [
            "alphas.csv",
            "coefs.csv",
            "cv.csv",
            "coef.csv",
            "model.json",
        ] {
            assert!(!out.join(f).exists(), "{args:?} left {f}");
        }
    }
}

/// The figures of the models (`solve --plot`: the parts of W; `path --plot`
/// with the trace norm: the singular values along the path), and the new
/// outputs (`--components`, the figures) checked with the others before any
/// work: one bad output path and nothing is written.
#[test]
fn model_figures_and_outputs_as_one_unit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    data(d);
    let dirty = [
        "--penalty",
        "dirty",
        "--specific-ratio",
        "1",
        "--alpha-ratio",
        "0.1",
        "-q",
    ];
    solve(
        d,
        true,
        &[&dirty[..], &["--components", "C.csv", "--plot", "fig"]].concat(),
    );
    let svg = fs::read_to_string(d.join("fig/components.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(
        svg.contains("shared") && svg.contains("specific"),
        "both parts named"
    );
    assert!(
        fs::read_to_string(d.join("C.csv"))
            .unwrap()
            .starts_with("component,feature,task,value\n")
    );
    // --plot of a model without parts: refused, nothing written
    mtreg()
        .current_dir(d)
        .args([
            "solve",
            "--x",
            "X.csv",
            "--y",
            "Y.csv",
            "--alpha-ratio",
            "0.1",
        ])
        .args(["--out", "W2.csv", "--plot", "fig2"])
        .assert()
        .code(2);
    assert!(!d.join("W2.csv").exists() && !d.join("fig2").exists());
    // --components under a file (and over an input): refused before the fit,
    // no output of the group written
    for bad in ["X.csv/C.csv", "Y.csv"] {
        let out = mtreg()
            .current_dir(d)
            .args(["solve", "--x", "Xo.csv", "--y", "Yo.csv", "--out", "W3.csv"])
            .args(dirty)
            .args(["--components", bad, "--model", "m3.json"])
            .assert()
            .code(2);
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert!(err.contains(bad), "{bad}: {err}");
        assert!(
            !d.join("W3.csv").exists() && !d.join("m3.json").exists(),
            "{bad}"
        );
    }
    // path with the trace norm: the coefficient path and the spectrum
    mtreg()
        .current_dir(d)
        .args(["path", "--x", "X.csv", "--y", "Y.csv", "--penalty", "trace"])
        .args(["--n-alphas", "5", "-q", "--out-dir", "p", "--plot", "pfig"])
        .assert()
        .success();
    let mut names: Vec<String> = fs::read_dir(d.join("pfig"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["coefficient_path.svg", "singular_values.svg"]);
    let spectrum = fs::read_to_string(d.join("pfig/singular_values.svg")).unwrap();
    assert!(spectrum.contains("rank") && spectrum.trim_end().ends_with("</svg>"));
}
