//! The workflow at the seams (issue 12, parts 3 and 4): flags that need
//! another flag, predict from every fitted directory, one-file data, summaries
//! for scripts, and the remaining bad-input classes.

use assert_cmd::Command;
use std::fs;
use std::path::Path;

fn mtreg() -> Command {
    Command::cargo_bin("mtreg").unwrap()
}

/// A small shared-design problem in `d` (X.csv, Y.csv: 40 x 6, 3 tasks).
fn shared(d: &Path) {
    mtreg()
        .args(["generate", "--n-samples", "40", "--n-features", "6"])
        .args(["--n-informative", "3", "--n-targets", "3", "--noise", "1"])
        .args(["--seed", "3", "-q", "--out"])
        .arg(d)
        .assert()
        .success();
}

/// Runs `mtreg args`, expects exit 2, returns stderr.
fn refused(args: &[&str], dir: &Path) -> String {
    let out = mtreg().current_dir(dir).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    err
}

/// Everything under `dir` (names, sorted).
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn orphan_flags_are_refused_naming_the_flag_they_need() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    shared(d);
    let before = names(d);
    let data = ["--x", "X.csv", "--y", "Y.csv"];
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &[
                "solve",
                "--alpha",
                "1",
                "--out",
                "c.csv",
                "--graph-strength",
                "5",
            ],
            "--graph-strength",
            "--graph",
        ),
        (
            &["path", "--out-dir", "p", "--graph-strength", "5"],
            "--graph-strength",
            "--chain",
        ),
        (
            &["cv", "--out-dir", "p", "--graph-strength", "5"],
            "--graph-strength",
            "--graph",
        ),
        (
            &["cv", "--out-dir", "p", "--graph-strengths", "1,2"],
            "--graph-strengths",
            "--graph",
        ),
        (
            &[
                "solve",
                "--alpha",
                "1",
                "--out",
                "c.csv",
                "--relation-strength",
                "5",
            ],
            "--relation-strength",
            "--learn-relations",
        ),
        (
            &["cv", "--out-dir", "p", "--relation-strength", "5"],
            "--relation-strength",
            "--learn-relations",
        ),
        (
            &[
                "solve",
                "--alpha",
                "1",
                "--out",
                "c.csv",
                "--task-column",
                "g",
            ],
            "--task-column",
            "--long",
        ),
        (
            &["path", "--out-dir", "p", "--target-column", "g"],
            "--target-column",
            "--long",
        ),
    ];
    for (args, flag, needed) in cases {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(data);
        let err = refused(&all, d);
        assert!(err.contains(flag) && err.contains(needed), "{all:?}: {err}");
    }
    let gen_cases: &[(&[&str], &str)] = &[
        (&["--smoothness", "0.5"], "--structure"),
        (&["--structure", "clusters", "--smoothness", "0.5"], "chain"),
        (&["--structure", "chain", "--n-clusters", "3"], "clusters"),
        (&["--structure", "chain", "--rank", "3"], "low-rank"),
        (
            &["--structure", "chain", "--n-outliers", "2"],
            "outlier-tasks",
        ),
        (&["--tail-strength", "0.2"], "--effective-rank"),
        (
            &["--structure", "chain", "--effective-rank", "3"],
            "--structure",
        ),
        (&["--shared-design"], "--structure"),
        (&["--task-noise", "1,2"], "--structure"),
    ];
    for (args, needed) in gen_cases {
        let mut all = vec!["generate", "--out", "g"];
        all.extend_from_slice(args);
        let err = refused(&all, d);
        assert!(err.contains(needed), "{all:?}: {err}");
    }
    for flag in ["--task-column", "--target-column"] {
        let err = refused(
            &[
                "predict", "--model", "m.json", "--x", "X.csv", "--out", "p.csv", flag, "t",
            ],
            d,
        );
        assert!(err.contains(flag) && err.contains("--long"), "{err}");
    }
    // nothing written, no directory made
    assert_eq!(names(d), before);
    // the flags with what they need still work
    mtreg()
        .current_dir(d)
        .args([
            "solve",
            "--alpha",
            "1",
            "--out",
            "c.csv",
            "--chain",
            "--graph-strength",
            "5",
            "-q",
        ])
        .args(data)
        .assert()
        .success();
    mtreg()
        .current_dir(d)
        .args([
            "generate",
            "--out",
            "g",
            "--structure",
            "chain",
            "--smoothness",
            "0.5",
            "-q",
        ])
        .assert()
        .success();
}

/// Runs `mtreg args` in `dir` and expects success.
fn ok(args: &[&str], dir: &Path) {
    let out = mtreg().current_dir(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A simple CSV (no quoted fields): header and rows of cells.
fn table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect());
    let header = lines.next().unwrap();
    (header, lines.collect())
}

fn numbers(rows: &[Vec<String>], from: usize) -> Vec<Vec<f64>> {
    rows.iter()
        .map(|r| r[from..].iter().map(|c| c.parse().unwrap()).collect())
        .collect()
}

#[test]
fn predict_from_a_path_directory_at_a_chosen_alpha() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    shared(d);
    let data = ["--x", "X.csv", "--y", "Y.csv", "--tol", "1e-12", "-q"];
    let mut args = vec!["path", "--out-dir", "p", "--n-alphas", "5"];
    args.extend(data);
    ok(&args, d);
    let (_, alphas) = table(&d.join("p/alphas.csv"));
    let alpha = alphas[2][0].clone();
    let mut args = vec![
        "solve", "--out", "c.csv", "--model", "m.json", "--alpha", &alpha,
    ];
    args.extend(data);
    ok(&args, d);
    ok(
        &[
            "predict", "--model", "m.json", "--x", "X.csv", "--out", "a.csv", "-q",
        ],
        d,
    );
    // the directory, or its model.json, at the grid alpha (or near it)
    let near = format!("{}", alphas[2][0].parse::<f64>().unwrap() * 1.01);
    for (model, at, out) in [
        ("p", alpha.as_str(), "b.csv"),
        ("p/model.json", near.as_str(), "c2.csv"),
    ] {
        ok(
            &[
                "predict", "--model", model, "--alpha", at, "--x", "X.csv", "--out", out, "-q",
            ],
            d,
        );
        let (ha, ra) = table(&d.join("a.csv"));
        let (hb, rb) = table(&d.join(out));
        assert_eq!(ha, hb);
        for (a, b) in numbers(&ra, 0).iter().zip(numbers(&rb, 0)) {
            for (u, v) in a.iter().zip(b) {
                assert!(
                    (u - v).abs() <= 1e-6 * (1.0 + u.abs()),
                    "{model}: {u} vs {v}"
                );
            }
        }
    }
    // a path needs --alpha; a single fit refuses another alpha
    let err = refused(
        &["predict", "--model", "p", "--x", "X.csv", "--out", "d.csv"],
        d,
    );
    assert!(err.contains("--alpha"), "{err}");
    let err = refused(
        &[
            "predict", "--model", "m.json", "--alpha", "123", "--x", "X.csv", "--out", "d.csv",
        ],
        d,
    );
    assert!(
        err.contains("one fit") && err.contains("mtreg path"),
        "{err}"
    );
    // a cv directory: its refit; another alpha is refused naming alpha_min
    ok(
        &[
            "cv",
            "--out-dir",
            "cv",
            "--x",
            "X.csv",
            "--y",
            "Y.csv",
            "--n-alphas",
            "5",
            "-q",
        ],
        d,
    );
    ok(
        &[
            "predict", "--model", "cv", "--x", "X.csv", "--out", "e.csv", "-q",
        ],
        d,
    );
    let err = refused(
        &[
            "predict", "--model", "cv", "--alpha", "123", "--x", "X.csv", "--out", "d.csv",
        ],
        d,
    );
    assert!(err.contains("alpha_min"), "{err}");
    assert!(!d.join("d.csv").exists());
}

#[test]
fn predict_per_task_rows_with_an_id_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    mtreg()
        .current_dir(d)
        .args([
            "generate",
            "--out",
            "g",
            "--structure",
            "chain",
            "--n-features",
            "4",
        ])
        .args([
            "--samples-per-task",
            "12,9,15",
            "--noise",
            "0.5",
            "--seed",
            "2",
            "-q",
        ])
        .assert()
        .success();
    ok(
        &[
            "solve",
            "--long",
            "g/long.csv",
            "--alpha",
            "0.05",
            "--out",
            "c.csv",
            "--model",
            "m.json",
            "-q",
        ],
        d,
    );
    // new rows: an id, shuffled tasks, the columns in another order, no target
    let (header, rows) = table(&d.join("g/long.csv"));
    assert_eq!(header[..2], ["task", "y"]);
    let mut text = String::from("x3,sample,x0,x1,task,x2\n");
    let picked: Vec<&Vec<String>> = rows.iter().rev().step_by(4).collect();
    for (i, r) in picked.iter().enumerate() {
        text += &format!("{},s{i},{},{},{},{}\n", r[5], r[2], r[3], r[0], r[4]);
    }
    fs::write(d.join("new.csv"), text).unwrap();
    ok(
        &[
            "predict",
            "--model",
            "m.json",
            "--long",
            "new.csv",
            "--id-column",
            "sample",
            "--out",
            "p.csv",
            "-q",
        ],
        d,
    );
    let model: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("m.json")).unwrap()).unwrap();
    let tasks: Vec<&str> = model["task_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let coef = &model["coef"];
    let (ph, prows) = table(&d.join("p.csv"));
    assert_eq!(ph, ["sample", "task", "prediction"]);
    assert_eq!(prows.len(), picked.len());
    for (i, (r, p)) in picked.iter().zip(&prows).enumerate() {
        assert_eq!(p[0], format!("s{i}"));
        assert_eq!(p[1], r[0]);
        let k = tasks.iter().position(|t| *t == r[0]).unwrap();
        let mut want = model["intercept"][k].as_f64().unwrap();
        for j in 0..4 {
            want += r[2 + j].parse::<f64>().unwrap() * coef[j][k].as_f64().unwrap();
        }
        let got: f64 = p[2].parse().unwrap();
        assert!(
            (got - want).abs() <= 1e-12 * (1.0 + want.abs()),
            "{got} vs {want}"
        );
    }
    // the training file itself (its target column is ignored)
    ok(
        &[
            "predict",
            "--model",
            "m.json",
            "--long",
            "g/long.csv",
            "--out",
            "q.csv",
            "-q",
        ],
        d,
    );
    assert_eq!(table(&d.join("q.csv")).1.len(), rows.len());
    // a task the model does not know: the file and line
    fs::write(
        d.join("bad.csv"),
        "task,x0,x1,x2,x3\nt0,1,2,3,4\nzz,1,2,3,4\n",
    )
    .unwrap();
    let err = refused(
        &[
            "predict", "--model", "m.json", "--long", "bad.csv", "--out", "r.csv",
        ],
        d,
    );
    assert!(
        err.contains("bad.csv, line 3") && err.contains("\"zz\""),
        "{err}"
    );
    // an ID column with a shared design
    shared(&d.join("s"));
    ok(
        &[
            "solve", "--x", "s/X.csv", "--y", "s/Y.csv", "--alpha", "0.5", "--out", "sc.csv",
            "--model", "sm.json", "-q",
        ],
        d,
    );
    let (xh, xr) = table(&d.join("s/X.csv"));
    let mut text = format!("id,{}\n", xh.join(","));
    for (i, r) in xr.iter().enumerate() {
        text += &format!("row{i},{}\n", r.join(","));
    }
    fs::write(d.join("xid.csv"), text).unwrap();
    ok(
        &[
            "predict",
            "--model",
            "sm.json",
            "--x",
            "xid.csv",
            "--id-column",
            "id",
            "--out",
            "pid.csv",
            "-q",
        ],
        d,
    );
    ok(
        &[
            "predict", "--model", "sm.json", "--x", "s/X.csv", "--out", "pno.csv", "-q",
        ],
        d,
    );
    let (h1, r1) = table(&d.join("pid.csv"));
    let (h2, r2) = table(&d.join("pno.csv"));
    assert_eq!(h1[0], "id");
    assert_eq!(h1[1..], h2[..]);
    for (i, (a, b)) in r1.iter().zip(&r2).enumerate() {
        assert_eq!(a[0], format!("row{i}"));
        assert_eq!(a[1..], b[..]);
    }
}

#[test]
fn predict_refuses_missing_values_overflow_and_empty_models() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    shared(d);
    ok(
        &[
            "solve", "--x", "X.csv", "--y", "Y.csv", "--alpha", "0.5", "--out", "c.csv", "--model",
            "m.json", "-q",
        ],
        d,
    );
    let (xh, xr) = table(&d.join("X.csv"));
    for cell in ["", "NA", "nan"] {
        let mut text = xh.join(",") + "\n";
        for (i, r) in xr.iter().enumerate() {
            let mut r = r.clone();
            if i == 2 {
                r[1] = cell.to_string();
            }
            text += &(r.join(",") + "\n");
        }
        fs::write(d.join("na.csv"), text).unwrap();
        let err = refused(
            &[
                "predict", "--model", "m.json", "--x", "na.csv", "--out", "p.csv",
            ],
            d,
        );
        assert!(
            err.contains("na.csv, line 4, column 2")
                && err.contains("missing values are not supported")
                && err.contains("dropna"),
            "{cell:?}: {err}"
        );
    }
    // coefficients that overflow the predictions: refused, nothing written
    let mut model: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("m.json")).unwrap()).unwrap();
    for row in model["coef"].as_array_mut().unwrap() {
        for v in row.as_array_mut().unwrap() {
            *v = serde_json::json!(1e308);
        }
    }
    fs::write(d.join("big.json"), model.to_string()).unwrap();
    let err = refused(
        &[
            "predict", "--model", "big.json", "--x", "X.csv", "--out", "p.csv",
        ],
        d,
    );
    assert!(err.contains("overflows") && err.contains("inf"), "{err}");
    // a model with no tasks
    model["task_names"] = serde_json::json!([]);
    model["intercept"] = serde_json::json!([]);
    for row in model["coef"].as_array_mut().unwrap() {
        *row = serde_json::json!([]);
    }
    fs::write(d.join("empty.json"), model.to_string()).unwrap();
    let err = refused(
        &[
            "predict",
            "--model",
            "empty.json",
            "--x",
            "X.csv",
            "--out",
            "p.csv",
        ],
        d,
    );
    assert!(err.contains("no tasks"), "{err}");
    assert!(!d.join("p.csv").exists());
}

#[test]
fn one_data_file_with_targets_on_solve_path_and_cv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    shared(d);
    // joint.csv: y2, the features, y0 (targets around and among the features);
    // Y2.csv: y0 and y2 only, for the --x/--y reference
    let (xh, xr) = table(&d.join("X.csv"));
    let (_, yr) = table(&d.join("Y.csv"));
    let mut joint = format!("y2,{},y0\n", xh.join(","));
    let mut y2 = String::from("y0,y2\n");
    for (x, y) in xr.iter().zip(&yr) {
        joint += &format!("{},{},{}\n", y[2], x.join(","), y[0]);
        y2 += &format!("{},{}\n", y[0], y[2]);
    }
    fs::write(d.join("joint.csv"), joint).unwrap();
    fs::write(d.join("Y2.csv"), y2).unwrap();
    let one = ["--data", "joint.csv", "--targets", "y0,y2", "-q"];
    let two = ["--x", "X.csv", "--y", "Y2.csv", "-q"];
    for (src, tag) in [(&one, "a"), (&two, "b")] {
        let (coef, model) = (format!("{tag}.csv"), format!("{tag}.json"));
        let mut args = vec!["solve", "--alpha", "0.3", "--out", &coef, "--model", &model];
        args.extend(src.iter());
        ok(&args, d);
        let out_dir = format!("p{tag}");
        let mut args = vec!["path", "--n-alphas", "4", "--out-dir", &out_dir];
        args.extend(src.iter());
        ok(&args, d);
        let out_dir = format!("cv{tag}");
        let mut args = vec![
            "cv",
            "--n-alphas",
            "4",
            "--folds",
            "3",
            "--out-dir",
            &out_dir,
        ];
        args.extend(src.iter());
        ok(&args, d);
    }
    let same = |a: &str, b: &str| {
        assert_eq!(
            fs::read_to_string(d.join(a)).unwrap(),
            fs::read_to_string(d.join(b)).unwrap(),
            "{a} vs {b}"
        )
    };
    same("a.csv", "b.csv");
    same("pa/coefs.csv", "pb/coefs.csv");
    same("cva/cv.csv", "cvb/cv.csv");
    same("cva/coef.csv", "cvb/coef.csv");
    // bad target lists: the file and the column
    let err = refused(
        &[
            "solve",
            "--alpha",
            "1",
            "--out",
            "e.csv",
            "--data",
            "joint.csv",
            "--targets",
            "y0,nope",
        ],
        d,
    );
    assert!(
        err.contains("joint.csv") && err.contains("\"nope\""),
        "{err}"
    );
    let err = refused(
        &[
            "solve",
            "--alpha",
            "1",
            "--out",
            "e.csv",
            "--data",
            "joint.csv",
            "--targets",
            "y0,y0",
        ],
        d,
    );
    assert!(err.contains("twice"), "{err}");
    let err = refused(
        &[
            "solve",
            "--alpha",
            "1",
            "--out",
            "e.csv",
            "--data",
            "joint.csv",
        ],
        d,
    );
    assert!(err.contains("--targets"), "{err}");
    let err = refused(
        &[
            "solve",
            "--alpha",
            "1",
            "--out",
            "e.csv",
            "--data",
            "joint.csv",
            "--targets",
            "y0",
            "--x",
            "X.csv",
            "--y",
            "Y.csv",
        ],
        d,
    );
    assert!(err.contains("--data"), "{err}");
    assert!(!d.join("e.csv").exists());
}

#[test]
fn pooled_path_and_cv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    shared(d);
    let data = ["--x", "X.csv", "--y", "Y.csv", "-q"];
    let mut args = vec!["path", "--pooled", "--n-alphas", "6", "--out-dir", "p"];
    args.extend(data);
    ok(&args, d);
    let mut args = vec![
        "cv",
        "--pooled",
        "--n-alphas",
        "6",
        "--folds",
        "3",
        "--out-dir",
        "cv",
    ];
    args.extend(data);
    ok(&args, d);
    // one coefficient per feature, the same for every task
    let (h, rows) = table(&d.join("p/coefs.csv"));
    assert_eq!(h, ["alpha", "feature", "task", "value"]);
    assert!(!rows.is_empty());
    let mut by_point: std::collections::HashMap<(String, String), Vec<String>> = Default::default();
    for r in &rows {
        by_point
            .entry((r[0].clone(), r[1].clone()))
            .or_default()
            .push(r[3].clone());
    }
    for v in by_point.values() {
        assert_eq!(v.len(), 3);
        assert!(v.iter().all(|x| x == &v[0]), "{v:?}");
    }
    let (_, coef) = table(&d.join("cv/coef.csv"));
    assert!(coef.iter().any(|r| r[1] != "0"));
    for r in &coef {
        assert!(r[1..].iter().all(|x| x == &r[1]), "{r:?}");
    }
    let model: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("cv/model.json")).unwrap()).unwrap();
    assert_eq!(model["model"], "pooled");
    // the refit is what solve --pooled gives at the selected alpha
    let alpha = model["alpha"].as_f64().unwrap().to_string();
    let mut args = vec!["solve", "--pooled", "--alpha", &alpha, "--out", "s.csv"];
    args.extend(data);
    ok(&args, d);
    let (_, s) = table(&d.join("s.csv"));
    for (a, b) in numbers(&coef, 1).iter().zip(numbers(&s, 1)) {
        for (u, v) in a.iter().zip(b) {
            assert!((u - v).abs() <= 1e-3 * (1.0 + u.abs()), "{u} vs {v}");
        }
    }
    // not with a graph
    let err = refused(
        &[
            "cv",
            "--pooled",
            "--chain",
            "--out-dir",
            "e",
            "--x",
            "X.csv",
            "--y",
            "Y.csv",
        ],
        d,
    );
    assert!(err.contains("--pooled"), "{err}");
}

/// Runs `mtreg args` in `dir`, expects success, returns (stdout, stderr).
fn run(args: &[&str], dir: &Path) -> (String, String) {
    let out = mtreg().current_dir(dir).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {err}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), err)
}

#[test]
fn summaries_name_features_and_r2_per_task_and_json_for_scripts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    shared(d);
    let data = ["--x", "X.csv", "--y", "Y.csv"];
    let with = |head: &[&'static str]| -> Vec<&str> { head.iter().copied().chain(data).collect() };
    // cv: the selected features by name, R² per task (held out and training)
    let (out, _) = run(&with(&["cv", "--n-alphas", "8", "--out-dir", "cv"]), d);
    let selected = out
        .lines()
        .find(|l| l.trim_start().starts_with("selected"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(selected.contains("of 6 features: x"), "{out}");
    for kind in ["R^2 cv", "R^2 train"] {
        let line = out
            .lines()
            .find(|l| l.contains(kind))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(
            ["y0 ", "y1 ", "y2 "].iter().all(|t| line.contains(t)),
            "{line}"
        );
    }
    // --long fits report R² per task
    ok(
        &[
            "generate",
            "--out",
            "g",
            "--structure",
            "chain",
            "--n-features",
            "4",
            "--samples-per-task",
            "10,14",
            "--seed",
            "1",
            "-q",
        ],
        d,
    );
    let (out, _) = run(
        &[
            "solve",
            "--long",
            "g/long.csv",
            "--alpha",
            "0.1",
            "--out",
            "l.csv",
        ],
        d,
    );
    let line = out
        .lines()
        .find(|l| l.contains("R^2 train"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("t0 ") && line.contains("t1 "), "{line}");
    // --json: one JSON object on stdout, nothing else there
    for (args, command) in [
        (
            with(&["solve", "--alpha", "0.5", "--out", "j.csv", "--json"]),
            "solve",
        ),
        (
            with(&["path", "--n-alphas", "5", "--out-dir", "pj", "--json"]),
            "path",
        ),
        (
            with(&["cv", "--n-alphas", "5", "--out-dir", "cj", "--json"]),
            "cv",
        ),
    ] {
        let (out, err) = run(&args, d);
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{command}: {e}: {out}"));
        assert_eq!(v["command"], command);
        assert!(!err.contains('{'), "{err}");
        assert_eq!(v["n_tasks"], 3);
        if command != "path" {
            assert!(
                v["converged"].is_boolean() && v["selected"].is_array(),
                "{v}"
            );
            assert!(v["r2_train"]["y1"].is_f64(), "{v}");
        }
        if command == "cv" {
            assert!(v["r2_cv"]["y2"].is_f64() && v["alpha_min"].is_f64(), "{v}");
        }
    }
    refused(
        &[
            "solve", "--alpha", "1", "--out", "q.csv", "--json", "-q", "--x", "X.csv", "--y",
            "Y.csv",
        ],
        d,
    );
}

#[test]
fn quiet_is_quiet_and_counts_are_singular_when_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // one task, one feature
    let (out, err) = run(
        &[
            "generate",
            "--out",
            "one",
            "--n-samples",
            "30",
            "--n-features",
            "1",
            "--n-informative",
            "1",
            "--noise",
            "1",
        ],
        d,
    );
    assert!(
        out.contains("1 feature,") && out.contains("1 target") && !out.contains("1 targets"),
        "{out}"
    );
    assert!(err.is_empty(), "{err}");
    let data = ["--x", "one/X.csv", "--y", "one/Y.csv"];
    let with = |head: &[&'static str]| -> Vec<&str> { head.iter().copied().chain(data).collect() };
    let (out, _) = run(
        &with(&[
            "solve", "--alpha", "0.1", "--out", "c.csv", "--model", "m.json",
        ]),
        d,
    );
    assert!(
        out.contains("1 feature,") && out.contains(", 1 task") && !out.contains("1 tasks"),
        "{out}"
    );
    let (out, _) = run(
        &with(&["cv", "--n-alphas", "5", "--out-dir", "cv", "--folds", "3"]),
        d,
    );
    assert!(
        out.contains("(1 thread)") && out.contains("of 1 feature"),
        "{out}"
    );
    // -q: nothing on stdout, from every command
    let quiet: Vec<Vec<&str>> = vec![
        vec!["generate", "--out", "g", "-q"],
        with(&["solve", "--alpha", "0.1", "--out", "q.csv", "-q"]),
        with(&["path", "--n-alphas", "4", "--out-dir", "qp", "-q"]),
        with(&[
            "cv",
            "--n-alphas",
            "4",
            "--folds",
            "3",
            "--out-dir",
            "qc",
            "-q",
        ]),
        vec![
            "predict",
            "--model",
            "m.json",
            "--x",
            "one/X.csv",
            "--out",
            "qy.csv",
            "-q",
        ],
        vec![
            "stats",
            "--x",
            "one/X.csv",
            "--y",
            "one/Y.csv",
            "--out",
            "qs",
            "-q",
        ],
    ];
    for args in quiet {
        let (out, _) = run(&args, d);
        assert!(out.is_empty(), "{args:?}: {out}");
    }
}

#[test]
fn score_of_no_rows_or_no_tasks_is_an_error() {
    let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    let y = faer::mat![[1.0, 2.0], [0.0, 1.0], [1.0, 3.0]];
    let fit = mtreg::MultiTaskLasso::new(0.01).fit(&x, &y).unwrap();
    assert!(fit.score(&x, &y).unwrap() > 0.9);
    let (x0, y0) = (faer::Mat::<f64>::zeros(0, 2), faer::Mat::<f64>::zeros(0, 2));
    let e = fit.score(&x0, &y0).unwrap_err();
    assert!(matches!(e, mtreg::Error::EmptyInput(_)), "{e}");
}

#[test]
fn cv_on_long_data_names_the_task_with_too_few_samples() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        &[
            "generate",
            "--out",
            "g",
            "--structure",
            "chain",
            "--n-features",
            "3",
            "--samples-per-task",
            "20,3,15",
            "--seed",
            "1",
            "-q",
        ],
        d,
    );
    let err = refused(&["cv", "--long", "g/long.csv", "--out-dir", "cv"], d);
    assert!(
        err.contains("g/long.csv")
            && err.contains("\"t1\" (3 samples)")
            && err.contains("--folds 5"),
        "{err}"
    );
    assert!(!d.join("cv").exists());
    ok(
        &[
            "cv",
            "--long",
            "g/long.csv",
            "--folds",
            "3",
            "--n-alphas",
            "4",
            "--out-dir",
            "cv",
            "-q",
        ],
        d,
    );
}

#[test]
fn numeric_task_names_that_are_also_indices_warn() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    shared(d);
    // tasks named 2, 0, 1: "2" is the first task, not index 2
    let (_, rows) = table(&d.join("Y.csv"));
    let mut text = String::from("2,0,1\n");
    for r in &rows {
        text += &(r.join(",") + "\n");
    }
    fs::write(d.join("Yn.csv"), text).unwrap();
    fs::write(d.join("w.csv"), "task,weight\n2,3\n").unwrap();
    fs::write(d.join("e.csv"), "source,target,weight\n0,1,1\n").unwrap();
    let base = [
        "--x", "X.csv", "--y", "Yn.csv", "--header", "--alpha", "0.5", "-q",
    ];
    for (extra, file) in [
        (["--task-weights", "w.csv"], "w.csv"),
        (["--graph", "e.csv"], "e.csv"),
    ] {
        let mut args = vec!["solve", "--out", "c.csv", "--force"];
        args.extend(base);
        args.extend(extra);
        let (_, err) = run(&args, d);
        assert!(
            err.contains("warning") && err.contains(file) && err.contains("task names win"),
            "{err}"
        );
    }
    // names equal to their own index are not ambiguous
    fs::write(d.join("w0.csv"), "task,weight\ny2,3\n").unwrap();
    let (_, err) = run(
        &[
            "solve",
            "--x",
            "X.csv",
            "--y",
            "Y.csv",
            "--alpha",
            "0.5",
            "--task-weights",
            "w0.csv",
            "--out",
            "c0.csv",
            "-q",
        ],
        d,
    );
    assert!(err.is_empty(), "{err}");
}

#[test]
fn tiny_magnitudes_are_refused_naming_the_file_and_inspect_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    shared(d);
    let (xh, xr) = table(&d.join("X.csv"));
    for (name, scale) in [("tiny.csv", 1e-300), ("huge.csv", 1e200)] {
        let mut text = xh.join(",") + "\n";
        for r in &xr {
            let v: Vec<String> = r
                .iter()
                .map(|c| format!("{:e}", c.parse::<f64>().unwrap() * scale))
                .collect();
            text += &(v.join(",") + "\n");
        }
        fs::write(d.join(name), text).unwrap();
        let word = if scale < 1.0 {
            "too small"
        } else {
            "too large"
        };
        for strength in [["--alpha-ratio", "0.1"], ["--alpha", "0.1"]] {
            let mut args = vec!["solve", "--x", name, "--y", "Y.csv", "--out", "c.csv"];
            args.extend(strength);
            let err = refused(&args, d);
            assert!(
                err.contains(name) && err.contains(word) && err.contains("rescale"),
                "{err}"
            );
        }
        let err = refused(&["cv", "--x", name, "--y", "Y.csv", "--out-dir", "cv"], d);
        assert!(err.contains(name) && err.contains(word), "{err}");
        let err = refused(&["inspect", name], d);
        assert!(err.contains(name) && err.contains(word), "{err}");
    }
    assert!(!d.join("c.csv").exists() && !d.join("cv").exists());
}

#[test]
fn refused_parameters_leave_no_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    shared(d);
    let before = names(d);
    let data = ["--x", "X.csv", "--y", "Y.csv"];
    let cases: &[&[&str]] = &[
        &["cv", "--out-dir", "o/cv", "--folds", "0"],
        &["cv", "--out-dir", "o/cv", "--folds", "100"],
        &["cv", "--out-dir", "o/cv", "--eps=-1"],
        &["cv", "--out-dir", "o/cv", "--alphas=-1,2"],
        &["cv", "--out-dir", "o/cv", "--threads", "0"],
        &["cv", "--out-dir", "o/cv", "--n-alphas", "0"],
        &[
            "cv",
            "--out-dir",
            "o/cv",
            "--chain",
            "--graph-strengths=1,-2",
        ],
        &[
            "cv",
            "--out-dir",
            "o/cv",
            "--learn-relations",
            "--relation-strengths=0,1",
        ],
        &["path", "--out-dir", "o/p", "--tol=-1"],
        &["path", "--out-dir", "o/p", "--l1-ratio", "2"],
        &["path", "--out-dir", "o/p", "--eps", "1.5"],
        &["solve", "--out", "o/s/c.csv", "--alpha=-1"],
        &["solve", "--out", "o/s/c.csv", "--alpha-ratio", "0"],
        &[
            "solve",
            "--out",
            "o/s/c.csv",
            "--alpha",
            "1",
            "--max-iter",
            "0",
        ],
        &[
            "solve",
            "--out",
            "o/s/c.csv",
            "--alpha",
            "1",
            "--chain",
            "--graph-strength=-1",
        ],
    ];
    for args in cases {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(data);
        refused(&all, d);
        assert_eq!(names(d), before, "{all:?} left something");
    }
}

#[test]
fn completions_and_man_pages_come_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (out, _) = run(&["completions", shell], d);
        assert!(
            out.contains("mtreg") && out.contains("graph-strength") && out.contains("predict"),
            "{shell}"
        );
    }
    refused(&["completions", "tcsh"], d);
    let (page, _) = run(&["man"], d);
    assert!(
        page.starts_with(".ie") || page.contains(".TH mtreg 1"),
        "{}",
        &page[..200.min(page.len())]
    );
    assert!(page.contains("completions") && page.contains("predict"));
    let (out, _) = run(&["man", "--out-dir", "man"], d);
    assert!(out.contains("man pages"), "{out}");
    let pages = names(&d.join("man"));
    for want in [
        "mtreg.1",
        "mtreg-solve.1",
        "mtreg-cv.1",
        "mtreg-predict.1",
        "mtreg-stats-merge.1",
    ] {
        assert!(pages.iter().any(|p| p == want), "{want}: {pages:?}");
    }
    let solve = fs::read_to_string(d.join("man/mtreg-solve.1")).unwrap();
    assert!(
        solve.contains("relation\\-strength"),
        "the flags are documented"
    );
    // existing pages are not overwritten without --force
    refused(&["man", "--out-dir", "man"], d);
    run(&["man", "--out-dir", "man", "--force", "-q"], d);
}
