//! The `mtreg` binary: the CLI contract, exit codes, and no partial outputs.

use assert_cmd::Command;
use std::fs;
use std::path::Path;

fn mtreg() -> Command {
    Command::cargo_bin("mtreg").unwrap()
}

fn write(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
}

/// Lists a directory (names only, sorted) to check nothing else was left behind.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn generate_then_solve_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    mtreg()
        .args([
            "generate",
            "--n-samples",
            "80",
            "--n-features",
            "12",
            "--n-informative",
            "3",
        ])
        .args([
            "--n-targets",
            "4",
            "--noise",
            "1",
            "--bias",
            "-2.5",
            "--seed",
            "3",
            "--out",
        ])
        .arg(d.join("data"))
        .assert()
        .success();
    assert_eq!(listing(&d.join("data")), ["X.csv", "Y.csv", "coef.csv"]);
    let coef_true = fs::read_to_string(d.join("data/coef.csv")).unwrap();
    assert!(coef_true.starts_with("feature,y0,y1,y2,y3\nx0,"));
    assert_eq!(coef_true.lines().count(), 13);

    let out = mtreg()
        .arg("solve")
        .arg("--x")
        .arg(d.join("data/X.csv"))
        .arg("--y")
        .arg(d.join("data/Y.csv"))
        .args(["--alpha-ratio", "0.05", "--tol", "1e-8", "--out"])
        .arg(d.join("fit/coef.csv"))
        .arg("--model")
        .arg(d.join("fit/model.json"))
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("converged"), "{stdout}");
    let coef = fs::read_to_string(d.join("fit/coef.csv")).unwrap();
    let mut lines = coef.lines();
    assert_eq!(lines.next().unwrap(), "feature,y0,y1,y2,y3");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 12);
    assert!(rows.iter().all(|r| r.split(',').count() == 5));

    let model: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("fit/model.json")).unwrap()).unwrap();
    for key in [
        "version",
        "feature_names",
        "task_names",
        "coef",
        "intercept",
        "alpha",
        "alpha_max",
        "l1_ratio",
        "converged",
        "certificate",
        "objective",
        "n_iter",
        "seconds",
    ] {
        assert!(model.get(key).is_some(), "MODEL.json lacks {key}");
    }
    assert_eq!(model["certificate"]["kind"], "dual_gap");
    assert!(
        model["certificate"]["value"].as_f64().unwrap()
            <= model["certificate"]["tol"].as_f64().unwrap()
    );
    assert_eq!(model["coef"].as_array().unwrap().len(), 12);
    let ratio = model["alpha"].as_f64().unwrap() / model["alpha_max"].as_f64().unwrap();
    assert!((ratio - 0.05).abs() < 1e-12);
    // The bias is recovered in the intercept (features are centred Gaussians).
    let b0 = model["intercept"][0].as_f64().unwrap();
    assert!((b0 + 2.5).abs() < 1.5, "intercept {b0}");

    // The coefficients in COEF.csv round-trip exactly to MODEL.json's.
    let first: Vec<f64> = rows[0]
        .split(',')
        .skip(1)
        .map(|v| v.parse().unwrap())
        .collect();
    let json_first: Vec<f64> = model["coef"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(first, json_first);
}

#[test]
fn solve_matches_the_library_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    mtreg()
        .arg("solve")
        .arg("--x")
        .arg(demo.join("X.csv"))
        .arg("--y")
        .arg(demo.join("Y.csv"))
        .args(["--alpha-ratio", "0.1", "--tol", "1e-12", "--quiet", "--out"])
        .arg(dir.path().join("coef.csv"))
        .assert()
        .success()
        .stdout("");
    let coef = fs::read_to_string(dir.path().join("coef.csv")).unwrap();
    assert!(coef.starts_with("feature,drug_A,drug_B,drug_C,drug_D,drug_E\ngene_00,"));
    let nonzero = coef
        .lines()
        .skip(1)
        .filter(|l| {
            l.split(',')
                .skip(1)
                .any(|v| v.parse::<f64>().unwrap() != 0.0)
        })
        .count();
    assert_eq!(nonzero, 6);
}

/// Runs `solve` on the given X and Y text; returns (exit code, stderr) and checks
/// that no output file was created.
fn solve_bad(x: &str, y: &str, extra: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("X.csv"), x);
    write(&d.join("Y.csv"), y);
    let out = mtreg()
        .current_dir(d)
        .args([
            "solve",
            "--x",
            "X.csv",
            "--y",
            "Y.csv",
            "--out",
            "coef.csv",
            "--model",
            "model.json",
        ])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(listing(d), ["X.csv", "Y.csv"], "an output was left behind");
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const X_OK: &str = "a,b\n1,2\n3,5\n4,4\n0,1\n";
const Y_OK: &str = "t1,t2\n1,0\n2,1\n3,1\n0,0\n";

#[test]
fn bad_input_exits_2_naming_file_line_and_column() {
    let cases: &[(&str, &str, &[&str], &str)] = &[
        (
            "a,b\n1,2\n3,x\n4,4\n0,1\n",
            Y_OK,
            &["--alpha", "0.1"],
            "X.csv, line 3, column 2 (\"b\")",
        ),
        (
            "a,b\n1,2\n3\n4,4\n0,1\n",
            Y_OK,
            &["--alpha", "0.1"],
            "X.csv, line 3",
        ),
        (
            X_OK,
            "t1,t2\n1,0\n2,nan\n3,1\n0,0\n",
            &["--alpha", "0.1"],
            "Y.csv, line 3, column 2",
        ),
        (
            X_OK,
            "t1,t2\n1,0\n2,\n3,1\n0,0\n",
            &["--alpha", "0.1"],
            "missing value",
        ),
        ("", Y_OK, &["--alpha", "0.1"], "X.csv"),
        ("a,b\n", Y_OK, &["--alpha", "0.1"], "no data rows"),
        (
            X_OK,
            "t1,t2\n1,0\n2,1\n3,1\n",
            &["--alpha", "0.1"],
            "data rows",
        ),
        (X_OK, Y_OK, &["--alpha", "0"], "alpha must be"),
        (X_OK, Y_OK, &["--alpha", "-1"], "alpha must be"),
        (
            X_OK,
            Y_OK,
            &["--alpha", "0.1", "--l1-ratio", "1.5"],
            "l1_ratio must be in (0, 1]",
        ),
        (
            X_OK,
            Y_OK,
            &["--alpha", "0.1", "--l1-ratio", "0"],
            "l1_ratio must be in (0, 1]",
        ),
        (
            "a,a\n1,2\n3,5\n4,4\n0,1\n",
            Y_OK,
            &["--alpha", "0.1"],
            "duplicate column name",
        ),
        (
            "a;b\n1;2\n3;5\n4;4\n0;1\n",
            Y_OK,
            &["--alpha", "0.1"],
            "--delimiter",
        ),
        (
            "a,b\n1e200,2\n-1e200,5\n4,4\n0,1\n",
            Y_OK,
            &["--alpha", "0.1"],
            "too large",
        ),
    ];
    for (x, y, extra, needle) in cases {
        let (code, err) = solve_bad(x, y, extra);
        assert_eq!(code, 2, "{needle}: exit {code}, stderr {err}");
        assert!(err.contains(needle), "expected {needle:?} in {err:?}");
        assert!(err.starts_with("error: "), "{err}");
    }
}

#[test]
fn missing_file_and_usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = mtreg()
        .current_dir(dir.path())
        .args([
            "solve",
            "--x",
            "nope.csv",
            "--y",
            "nope2.csv",
            "--alpha",
            "1",
            "--out",
            "c.csv",
        ])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("nope.csv"));
    // neither --alpha nor --alpha-ratio
    mtreg()
        .args(["solve", "--x", "a", "--y", "b", "--out", "c"])
        .assert()
        .code(2);
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn never_overwrites_inputs_or_existing_outputs_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("X.csv"), X_OK);
    write(&d.join("Y.csv"), Y_OK);
    let solve = |out: &str, force: bool| {
        let mut c = mtreg();
        c.current_dir(d).args([
            "solve", "--x", "X.csv", "--y", "Y.csv", "--alpha", "0.1", "-q", "--out", out,
        ]);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };
    assert_eq!(solve("X.csv", true).status.code(), Some(2));
    assert_eq!(fs::read_to_string(d.join("X.csv")).unwrap(), X_OK);
    assert_eq!(solve("./Y.csv", true).status.code(), Some(2));
    assert_eq!(fs::read_to_string(d.join("Y.csv")).unwrap(), Y_OK);
    assert_eq!(solve("coef.csv", false).status.code(), Some(0));
    let first = fs::read_to_string(d.join("coef.csv")).unwrap();
    let again = solve("coef.csv", false);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert_eq!(solve("coef.csv", true).status.code(), Some(0));
    assert_eq!(fs::read_to_string(d.join("coef.csv")).unwrap(), first);
    assert_eq!(listing(d), ["X.csv", "Y.csv", "coef.csv"]);
}

#[test]
fn edge_cases_that_are_valid() {
    // all-zero Y: W = 0 exactly; alpha ≥ alpha_max: W = 0 exactly; one task; one feature.
    let cases: &[(&str, &str, &[&str])] = &[
        (X_OK, "t\n0\n0\n0\n0\n", &["--alpha", "0.1"]),
        (X_OK, Y_OK, &["--alpha-ratio", "1.0"]),
        (X_OK, Y_OK, &["--alpha", "1e6"]),
        (
            "a\n1\n2\n3\n5\n",
            "t\n1\n2\n3\n4\n",
            &["--alpha-ratio", "0.1"],
        ),
    ];
    for (i, (x, y, extra)) in cases.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(&d.join("X.csv"), x);
        write(&d.join("Y.csv"), y);
        mtreg()
            .current_dir(d)
            .args([
                "solve", "--x", "X.csv", "--y", "Y.csv", "-q", "--out", "coef.csv",
            ])
            .args(*extra)
            .assert()
            .success();
        let coef = fs::read_to_string(d.join("coef.csv")).unwrap();
        let values: Vec<f64> = coef
            .lines()
            .skip(1)
            .flat_map(|l| {
                l.split(',')
                    .skip(1)
                    .map(|v| v.parse::<f64>().unwrap())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(values.iter().all(|v| v.is_finite()));
        if i < 3 {
            assert!(values.iter().all(|&v| v == 0.0), "case {i}: {coef}");
        } else {
            assert!(values[0] > 0.0);
        }
    }
}

#[test]
fn max_iter_warns_and_strict_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    mtreg()
        .args([
            "generate",
            "--n-samples",
            "50",
            "--n-features",
            "40",
            "--n-targets",
            "3",
            "--noise",
            "1",
            "--effective-rank",
            "5",
            "--out",
        ])
        .arg(d)
        .assert()
        .success();
    let run = |strict: bool| {
        let mut c = mtreg();
        c.current_dir(d).args([
            "solve",
            "--x",
            "X.csv",
            "--y",
            "Y.csv",
            "--alpha-ratio",
            "0.001",
            "--tol",
            "1e-14",
            "--max-iter",
            "2",
            "-q",
            "--force",
            "--out",
            "coef.csv",
        ]);
        if strict {
            c.arg("--strict");
        }
        c.output().unwrap()
    };
    let lax = run(false);
    assert_eq!(lax.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&lax.stderr).contains("warning: not converged"));
    assert_eq!(run(true).status.code(), Some(3));
}

#[test]
fn predict_applies_the_model_and_checks_columns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    mtreg()
        .arg("solve")
        .arg("--x")
        .arg(demo.join("X.csv"))
        .arg("--y")
        .arg(demo.join("Y.csv"))
        .args(["--alpha-ratio", "0.1", "-q", "--out"])
        .arg(d.join("coef.csv"))
        .arg("--model")
        .arg(d.join("model.json"))
        .assert()
        .success();
    mtreg()
        .current_dir(d)
        .args(["predict", "--model", "model.json", "--x"])
        .arg(demo.join("X.csv"))
        .args(["--out", "yhat.csv"])
        .assert()
        .success();
    // Same numbers as the library's predict on the same data.
    let opts = mtreg::io::csv::ReadOptions::default();
    let x = mtreg::io::csv::read_matrix(&demo.join("X.csv"), &opts).unwrap();
    let y = mtreg::io::csv::read_matrix(&demo.join("Y.csv"), &opts).unwrap();
    let fit = mtreg::MultiTaskLasso::new(1.0)
        .alpha_max_of(&x.data, &y.data)
        .unwrap();
    let fit = mtreg::MultiTaskLasso::new(0.1 * fit)
        .fit(&x.data, &y.data)
        .unwrap();
    let expect = fit.predict(&x.data).unwrap();
    let got = mtreg::io::csv::read_matrix(&d.join("yhat.csv"), &opts).unwrap();
    assert_eq!(
        got.names.unwrap(),
        ["drug_A", "drug_B", "drug_C", "drug_D", "drug_E"]
    );
    assert!(crate::common::rel_diff(got.data.as_ref(), expect.as_ref()) < 1e-12);

    // Columns in another order are matched by name.
    let text = fs::read_to_string(demo.join("X.csv")).unwrap();
    let swapped: String = text
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(',').collect();
            f.swap(0, 5);
            f.join(",") + "\n"
        })
        .collect();
    write(&d.join("Xswap.csv"), &swapped);
    mtreg()
        .current_dir(d)
        .args([
            "predict",
            "--model",
            "model.json",
            "--x",
            "Xswap.csv",
            "--out",
            "yhat2.csv",
        ])
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(d.join("yhat.csv")).unwrap(),
        fs::read_to_string(d.join("yhat2.csv")).unwrap()
    );

    // A missing feature, or a wrong count without header: exit 2, no output.
    let dropped: String = text
        .lines()
        .map(|l| l.split(',').skip(1).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    write(&d.join("Xdrop.csv"), &dropped);
    let out = mtreg()
        .current_dir(d)
        .args([
            "predict",
            "--model",
            "model.json",
            "--x",
            "Xdrop.csv",
            "--out",
            "bad.csv",
        ])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("missing: gene_00"));
    write(&d.join("Xnum.csv"), "1,2,3\n4,5,6\n");
    mtreg()
        .current_dir(d)
        .args([
            "predict",
            "--model",
            "model.json",
            "--x",
            "Xnum.csv",
            "--out",
            "bad.csv",
        ])
        .assert()
        .code(2);
    write(&d.join("broken.json"), "{\"version\": 1");
    let out = mtreg()
        .current_dir(d)
        .args([
            "predict",
            "--model",
            "broken.json",
            "--x",
            "Xnum.csv",
            "--out",
            "bad.csv",
        ])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("broken.json"));
    assert!(!d.join("bad.csv").exists());
}

#[test]
fn inspect_reports_shape_and_summaries() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let out = mtreg()
        .arg("inspect")
        .arg(demo.join("Y.csv"))
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.starts_with("parsed 200 x 5 in "), "{text}");
    assert!(text.contains("drug_E"));
}

fn graph_fixture(case: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/graph")
        .join(case)
}

#[test]
fn long_format_graph_weights_and_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let case = graph_fixture("pertask_l21_chain");
    let exp: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(case.join("expected.json")).unwrap()).unwrap();
    mtreg()
        .arg("solve")
        .arg("--long")
        .arg(case.join("long.csv"))
        .arg("--graph")
        .arg(case.join("edges.csv"))
        .arg("--task-weights")
        .arg(case.join("weights.csv"))
        .args(["--graph-strength", &exp["graph_strength"].to_string()])
        .args([
            "--alpha",
            &exp["alpha"].to_string(),
            "--tol",
            "1e-10",
            "-q",
            "--out",
        ])
        .arg(d.join("coef.csv"))
        .arg("--model")
        .arg(d.join("model.json"))
        .assert()
        .success();
    let model: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("model.json")).unwrap()).unwrap();
    assert_eq!(model["model"], "graph_multi_task");
    assert_eq!(model["certificate"]["kind"], "kkt");
    assert_eq!(model["task_names"], exp["task_names"]);
    assert_eq!(model["n_samples_per_task"], serde_json::json!([20, 35, 50]));
    assert_eq!(model["task_weights"], serde_json::json!([1.0, 2.0, 0.5]));
    let obj = model["objective"].as_f64().unwrap();
    let reference = exp["objective"].as_f64().unwrap();
    assert!(
        (obj - reference).abs() <= 1e-8 * reference,
        "{obj} vs {reference}"
    );
    // Predict on one task's design works with the per-task model's features.
    let coef = fs::read_to_string(d.join("coef.csv")).unwrap();
    assert!(coef.starts_with("feature,t0,t1,t2\nx0,"));
}

#[test]
fn pooled_and_learned_relations_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let case = graph_fixture("mtrl_small");
    mtreg()
        .arg("solve")
        .arg("--long")
        .arg(case.join("long.csv"))
        .args(["--pooled", "--alpha-ratio", "0.1", "-q", "--out"])
        .arg(d.join("pooled.csv"))
        .arg("--model")
        .arg(d.join("pooled.json"))
        .assert()
        .success();
    for line in fs::read_to_string(d.join("pooled.csv"))
        .unwrap()
        .lines()
        .skip(1)
    {
        let v: Vec<&str> = line.split(',').skip(1).collect();
        assert!(
            v.iter().all(|x| x == &v[0]),
            "pooled columns differ: {line}"
        );
    }
    let out = mtreg()
        .arg("solve")
        .arg("--long")
        .arg(case.join("long.csv"))
        .args([
            "--no-intercept",
            "--learn-relations",
            "--relation-strength",
            "0.02",
            "--alpha-ratio",
            "0.2",
            "--out",
        ])
        .arg(d.join("coef.csv"))
        .arg("--model")
        .arg(d.join("model.json"))
        .arg("--relations")
        .arg(d.join("relations.csv"))
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("task correlations"));
    let model: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("model.json")).unwrap()).unwrap();
    assert_eq!(model["model"], "relation_learning");
    let corr = model["task_correlation"].as_array().unwrap();
    assert_eq!(corr.len(), 3);
    assert_eq!(corr[0][0].as_f64().unwrap(), 1.0);
    assert!(corr[0][1].as_f64().unwrap() > 0.5);
    let objs = model["relation_objectives"].as_array().unwrap();
    assert!(
        objs.windows(2)
            .all(|w| w[1].as_f64().unwrap() <= w[0].as_f64().unwrap() * (1.0 + 1e-12))
    );
    let rel = fs::read_to_string(d.join("relations.csv")).unwrap();
    assert!(rel.starts_with("task_a,task_b,sigma,correlation\nt0,t0,"));
    assert_eq!(rel.lines().count(), 10);
}

#[test]
fn bad_graph_and_weight_files_exit_2_with_the_line() {
    let case = graph_fixture("shared_l21_chain");
    let cases: &[(&str, &str, &str)] = &[
        (
            "--graph",
            "source,target,weight\nt0,t1,1\nt0,t9,1\n",
            "line 3, column 2 (\"target\"): unknown task \"t9\"",
        ),
        (
            "--graph",
            "source,target,weight\nt0,t1,-1\n",
            "line 2, column 3 (\"weight\"): edge weight must be finite and >= 0",
        ),
        ("--graph", "source,target,weight\nt2,t2,1\n", "self-loop"),
        (
            "--graph",
            "source,target,weight\nt0,t1,1\nt1,t0,2\n",
            "duplicate edge",
        ),
        (
            "--graph",
            "from,to,weight\nt0,t1,1\n",
            "missing column \"source\"",
        ),
        ("--graph", "source,target,weight\n0,1,x\n", "not a number"),
        (
            "--task-weights",
            "task,weight\nt0,0\n",
            "task weight must be finite and > 0",
        ),
        (
            "--task-weights",
            "task,weight\nt0,1\nt0,2\n",
            "listed twice",
        ),
    ];
    for (flag, text, needle) in cases {
        let dir = tempfile::tempdir().unwrap();
        write(&dir.path().join("aux.csv"), text);
        let out = mtreg()
            .current_dir(dir.path())
            .arg("solve")
            .arg("--long")
            .arg(case.join("long.csv"))
            .args([flag, "aux.csv", "--alpha-ratio", "0.1", "--out", "coef.csv"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{needle}: {err}");
        assert!(err.contains(needle), "expected {needle:?} in {err}");
        assert_eq!(listing(dir.path()), ["aux.csv"]);
    }
    // An index-based edge list works too.
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("edges.csv"),
        "source,target,weight\n0,1,1\n2,3,0.5\n",
    );
    mtreg()
        .current_dir(dir.path())
        .arg("solve")
        .arg("--long")
        .arg(case.join("long.csv"))
        .args([
            "--graph",
            "edges.csv",
            "--penalty",
            "l1",
            "--alpha-ratio",
            "0.1",
            "-q",
            "--out",
            "coef.csv",
        ])
        .assert()
        .success();
}

#[test]
fn standardize_with_a_constant_column_and_a_single_sample_are_valid() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("X.csv"), "a,b\n1,5\n2,5\n3,5\n4,5\n");
    write(&d.join("Y.csv"), "t\n1\n2\n2\n4\n");
    mtreg()
        .current_dir(d)
        .args([
            "solve",
            "--x",
            "X.csv",
            "--y",
            "Y.csv",
            "--standardize",
            "--alpha-ratio",
            "0.1",
            "-q",
            "--out",
            "c.csv",
        ])
        .assert()
        .success();
    let coef = fs::read_to_string(d.join("c.csv")).unwrap();
    assert!(coef.contains("\nb,0\n"), "{coef}");
    write(&d.join("X1.csv"), "a,b\n1,5\n");
    write(&d.join("Y1.csv"), "t\n3\n");
    mtreg()
        .current_dir(d)
        .args([
            "solve", "--x", "X1.csv", "--y", "Y1.csv", "--alpha", "0.1", "-q", "--out", "c1.csv",
        ])
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(d.join("c1.csv")).unwrap(),
        "feature,t\na,0\nb,0\n"
    );
}

#[test]
fn structured_generate_feeds_graph_solve() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    mtreg()
        .current_dir(d)
        .args([
            "generate",
            "--structure",
            "chain",
            "--samples-per-task",
            "30,45,60",
            "--n-features",
            "8",
        ])
        .args([
            "--n-informative",
            "3",
            "--smoothness",
            "0.1",
            "--seed",
            "4",
            "--out",
            "data",
        ])
        .assert()
        .success();
    assert_eq!(
        listing(&d.join("data")),
        ["coef.csv", "edges.csv", "long.csv"]
    );
    let long = fs::read_to_string(d.join("data/long.csv")).unwrap();
    assert!(long.starts_with("task,y,x0,"));
    assert_eq!(long.lines().count(), 1 + 30 + 45 + 60);
    assert_eq!(
        fs::read_to_string(d.join("data/edges.csv")).unwrap(),
        "source,target,weight\nt0,t1,1\nt1,t2,1\n"
    );
    mtreg()
        .current_dir(d)
        .args([
            "solve",
            "--long",
            "data/long.csv",
            "--graph",
            "data/edges.csv",
            "--graph-strength",
            "0.5",
        ])
        .args(["--alpha-ratio", "0.05", "-q", "--out", "fit/coef.csv"])
        .assert()
        .success();
    // Clusters with a shared design also write X.csv and Y.csv.
    mtreg()
        .current_dir(d)
        .args([
            "generate",
            "--structure",
            "clusters",
            "--n-targets",
            "4",
            "--n-samples",
            "20",
            "--shared-design",
        ])
        .args(["--n-features", "6", "--out", "shared"])
        .assert()
        .success();
    assert_eq!(
        listing(&d.join("shared")),
        ["X.csv", "Y.csv", "coef.csv", "edges.csv", "long.csv"]
    );
}

#[test]
fn path_and_cv_write_their_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    mtreg()
        .current_dir(d)
        .arg("path")
        .arg("--x")
        .arg(demo.join("X.csv"))
        .arg("--y")
        .arg(demo.join("Y.csv"))
        .args([
            "--n-alphas",
            "8",
            "--eps",
            "0.01",
            "-q",
            "--out-dir",
            "path",
        ])
        .assert()
        .success();
    assert_eq!(
        listing(&d.join("path")),
        ["alphas.csv", "coefs.csv", "model.json"]
    );
    let alphas = fs::read_to_string(d.join("path/alphas.csv")).unwrap();
    let rows: Vec<&str> = alphas.lines().collect();
    assert_eq!(rows[0], "alpha,n_iter,certificate,nnz_rows");
    assert_eq!(rows.len(), 9);
    assert!(
        rows[1].ends_with(",0"),
        "no feature at alpha_max: {}",
        rows[1]
    );
    let values: Vec<f64> = rows[1..]
        .iter()
        .map(|r| r.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[1] < w[0]));
    let coefs = fs::read_to_string(d.join("path/coefs.csv")).unwrap();
    assert!(coefs.starts_with("alpha,feature,task,value\n"));
    assert!(
        coefs
            .lines()
            .skip(1)
            .all(|l| l.split(',').nth(3).unwrap().parse::<f64>().unwrap() != 0.0)
    );

    for threads in ["1", "2"] {
        let out = format!("cv{threads}");
        mtreg()
            .current_dir(d)
            .arg("cv")
            .arg("--x")
            .arg(demo.join("X.csv"))
            .arg("--y")
            .arg(demo.join("Y.csv"))
            .args([
                "--n-alphas",
                "10",
                "--eps",
                "0.01",
                "--folds",
                "4",
                "--select",
                "1se",
                "--threads",
                threads,
                "-q",
                "--out-dir",
                &out,
            ])
            .assert()
            .success();
    }
    assert_eq!(
        listing(&d.join("cv1")),
        ["coef.csv", "cv.csv", "model.json"]
    );
    let cv1 = fs::read_to_string(d.join("cv1/cv.csv")).unwrap();
    assert_eq!(
        cv1,
        fs::read_to_string(d.join("cv2/cv.csv")).unwrap(),
        "thread count changed the CV"
    );
    assert!(cv1.starts_with("alpha,mse_mean,mse_se,mse_drug_A,"));
    assert_eq!(cv1.lines().count(), 11);
    let model: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("cv1/model.json")).unwrap()).unwrap();
    assert_eq!(model["alpha"], model["alpha_1se"]);
    assert!(model["alpha_1se"].as_f64().unwrap() >= model["alpha_min"].as_f64().unwrap());
    assert_eq!(model["cv_folds"], 4);
}

#[test]
fn cv_over_graph_strengths_writes_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let case = graph_fixture("shared_l21_chain");
    mtreg()
        .current_dir(dir.path())
        .arg("cv")
        .arg("--long")
        .arg(case.join("long.csv"))
        .args([
            "--chain",
            "--graph-strengths",
            "0,1,10",
            "--n-alphas",
            "6",
            "--eps",
            "0.05",
            "--folds",
            "3",
            "-q",
            "--out-dir",
            "cv",
        ])
        .assert()
        .success();
    let grid = fs::read_to_string(dir.path().join("cv/cv_grid.csv")).unwrap();
    assert!(grid.starts_with("graph_strength,alpha,mse_mean,mse_se\n"));
    assert_eq!(grid.lines().count(), 1 + 3 * 6);
    let model: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("cv/model.json")).unwrap())
            .unwrap();
    let lambda = model["graph_strength"].as_f64().unwrap();
    assert!([0.0, 1.0, 10.0].contains(&lambda));
    // the chosen (lambda, alpha) has the smallest mean CV error on the grid
    let best = grid
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse::<f64>().unwrap())
        .fold(f64::INFINITY, f64::min);
    let cv = fs::read_to_string(dir.path().join("cv/cv.csv")).unwrap();
    let chosen = cv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse::<f64>().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert_eq!(best, chosen);
}

#[test]
fn cv_over_relation_strengths_writes_the_grid_and_the_relations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let case = graph_fixture("mtrl_small");
    let run = |threads: &str, out: &str| {
        mtreg()
            .current_dir(d)
            .arg("cv")
            .arg("--long")
            .arg(case.join("long.csv"))
            .args([
                "--learn-relations",
                "--relation-strengths",
                "1,0.01,0.1",
                "--n-alphas",
                "5",
                "--eps",
                "0.05",
                "--folds",
                "3",
                "--threads",
                threads,
                "-q",
                "--out-dir",
                out,
                "--relations",
                &format!("{out}/rel/relations.csv"),
                "--plot",
                &format!("{out}/plots"),
            ])
            .assert()
            .success()
            .stdout("");
    };
    run("1", "cv1");
    run("2", "cv2");
    assert_eq!(
        listing(&d.join("cv1")),
        [
            "coef.csv",
            "cv.csv",
            "cv_grid.csv",
            "model.json",
            "plots",
            "rel"
        ]
    );
    assert_eq!(
        listing(&d.join("cv1/plots")),
        ["cv_curve.svg", "task_correlation.svg"]
    );
    let read = |f: &str| fs::read_to_string(d.join(f)).unwrap();
    for f in ["cv.csv", "cv_grid.csv", "coef.csv", "rel/relations.csv"] {
        assert_eq!(read(&format!("cv1/{f}")), read(&format!("cv2/{f}")), "{f}");
    }
    let grid = read("cv1/cv_grid.csv");
    assert!(grid.starts_with("relation_strength,alpha,mse_mean,mse_se\n"));
    assert_eq!(grid.lines().count(), 1 + 3 * 5);
    let model: serde_json::Value = serde_json::from_str(&read("cv1/model.json")).unwrap();
    let lambda2 = model["relation_strength"].as_f64().unwrap();
    assert!([0.01, 0.1, 1.0].contains(&lambda2));
    // The chosen (lambda2, alpha) has the smallest mean CV error on the grid,
    // and cv.csv is that strength's curve.
    let (best_row, best) = grid
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|v| v.parse::<f64>().unwrap())
                .collect::<Vec<_>>()
        })
        .fold((vec![], f64::INFINITY), |(row, m), r| {
            if r[2] < m {
                (r.clone(), r[2])
            } else {
                (row, m)
            }
        });
    assert_eq!(best_row[0], lambda2);
    assert_eq!(best_row[1], model["alpha_min"].as_f64().unwrap());
    assert_eq!(model["alpha"], model["alpha_min"]);
    let cv = read("cv1/cv.csv");
    assert!(cv.starts_with("alpha,mse_mean,mse_se,mse_t0,mse_t1,mse_t2\n"));
    let chosen = cv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse::<f64>().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert_eq!(best, chosen);
    // The learned relations of the refit: in model.json and in --relations.
    let corr = model["task_correlation"].as_array().unwrap();
    assert_eq!(corr.len(), 3);
    let rel = read("cv1/rel/relations.csv");
    assert!(rel.starts_with("task_a,task_b,sigma,correlation\n"));
    assert_eq!(rel.lines().count(), 1 + 9);
    let row = rel.lines().nth(2).unwrap();
    assert!(row.starts_with("t0,t1,"), "{row}");
    let t0t1: f64 = row.split(',').nth(3).unwrap().parse().unwrap();
    assert_eq!(t0t1, corr[0][1].as_f64().unwrap());
    assert_eq!(model["cv_folds"], 3);
    assert_eq!(model["coef"].as_array().unwrap().len(), 10);

    // One strength: no cv_grid.csv; the same as --relation-strength.
    for (flag, out) in [
        ("--relation-strengths", "one_a"),
        ("--relation-strength", "one_b"),
    ] {
        mtreg()
            .current_dir(d)
            .arg("cv")
            .arg("--long")
            .arg(case.join("long.csv"))
            .args([
                "--learn-relations",
                flag,
                "0.1",
                "--n-alphas",
                "4",
                "--folds",
                "3",
                "-q",
            ])
            .args(["--out-dir", out])
            .assert()
            .success();
        assert_eq!(listing(&d.join(out)), ["coef.csv", "cv.csv", "model.json"]);
    }
    assert_eq!(read("one_a/cv.csv"), read("one_b/cv.csv"));
}

#[test]
fn cv_relation_flags_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let case = graph_fixture("mtrl_small");
    let bad = |args: &[&str]| {
        let out = mtreg()
            .current_dir(d)
            .arg("cv")
            .arg("--long")
            .arg(case.join("long.csv"))
            .args(["--n-alphas", "3", "--folds", "3", "--out-dir", "cv"])
            .args(args)
            .assert()
            .code(2);
        String::from_utf8_lossy(&out.get_output().stderr).into_owned()
    };
    let err = bad(&["--learn-relations"]);
    assert!(err.contains("--relation-strength"), "{err}");
    bad(&["--relation-strengths", "0.1,1"]);
    bad(&[
        "--learn-relations",
        "--relation-strengths",
        "0.1",
        "--chain",
    ]);
    bad(&[
        "--learn-relations",
        "--relation-strength",
        "0.1",
        "--relation-strengths",
        "1",
    ]);
    // (--standardize with --learn-relations works since issue 12: see
    // cli_defaults::learned_relations_report_what_happened)
    let err = bad(&["--learn-relations", "--relation-strengths", "0.1,-1"]);
    assert!(err.contains("relation_strength"), "{err}");
    let err = bad(&[
        "--learn-relations",
        "--relation-strength",
        "1",
        "--relations",
        "cv/cv.csv",
    ]);
    assert!(err.contains("two outputs"), "{err}");
    // No output left behind by any failure.
    assert!(!d.join("cv").exists() || listing(&d.join("cv")).is_empty());
}

#[test]
fn plots_are_written_as_svg() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    mtreg()
        .current_dir(d)
        .arg("cv")
        .arg("--x")
        .arg(demo.join("X.csv"))
        .arg("--y")
        .arg(demo.join("Y.csv"))
        .args([
            "--n-alphas",
            "12",
            "--eps",
            "0.01",
            "--folds",
            "3",
            "-q",
            "--out-dir",
            "cv",
            "--plot",
            "plots",
        ])
        .assert()
        .success();
    assert_eq!(
        listing(&d.join("plots")),
        ["coefficient_path.svg", "cv_curve.svg"]
    );
    let cv = fs::read_to_string(d.join("plots/cv_curve.svg")).unwrap();
    assert!(cv.contains("<svg") && cv.trim_end().ends_with("</svg>"));
    assert!(cv.contains("alpha_min") && cv.contains("alpha_1se") && cv.contains("log10(alpha)"));
    let path = fs::read_to_string(d.join("plots/coefficient_path.svg")).unwrap();
    assert!(path.contains("gene_"), "feature names in the legend");
    // again without --force: refused, nothing changed
    mtreg()
        .current_dir(d)
        .arg("path")
        .arg("--x")
        .arg(demo.join("X.csv"))
        .arg("--y")
        .arg(demo.join("Y.csv"))
        .args([
            "--n-alphas",
            "5",
            "-q",
            "--out-dir",
            "path",
            "--plot",
            "plots",
        ])
        .assert()
        .code(2);
    let case = graph_fixture("mtrl_small");
    mtreg()
        .current_dir(d)
        .arg("solve")
        .arg("--long")
        .arg(case.join("long.csv"))
        .args([
            "--learn-relations",
            "--relation-strength",
            "0.02",
            "--alpha-ratio",
            "0.2",
            "-q",
            "--out",
            "c.csv",
            "--plot",
            "rel",
        ])
        .assert()
        .success();
    let heat = fs::read_to_string(d.join("rel/task_correlation.svg")).unwrap();
    assert!(heat.contains("t0") && heat.contains("t2") && heat.contains("correlation"));
}

/// `--alphas` gives the grid explicitly (sorted decreasing) for `path` and
/// `cv`; it conflicts with `--n-alphas`.
#[test]
fn explicit_alphas_for_path_and_cv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let run = |cmd: &str, extra: &[&str]| {
        let mut c = mtreg();
        c.current_dir(d)
            .arg(cmd)
            .arg("--x")
            .arg(demo.join("X.csv"))
            .arg("--y")
            .arg(demo.join("Y.csv"))
            .args(extra);
        c.assert()
    };
    run(
        "path",
        &["--alphas", "0.05,0.5,0.2", "-q", "--out-dir", "p"],
    )
    .success();
    let alphas = fs::read_to_string(d.join("p/alphas.csv")).unwrap();
    let got: Vec<f64> = alphas
        .lines()
        .skip(1)
        .map(|r| r.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(got, [0.5, 0.2, 0.05]);
    run(
        "cv",
        &[
            "--alphas",
            "0.3,0.1,0.03",
            "--folds",
            "3",
            "-q",
            "--out-dir",
            "c",
        ],
    )
    .success();
    let model: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("c/model.json")).unwrap()).unwrap();
    let amin = model["alpha_min"].as_f64().unwrap();
    assert!([0.3, 0.1, 0.03].contains(&amin), "alpha_min {amin}");
    run(
        "path",
        &["--alphas", "0.1", "--n-alphas", "5", "--out-dir", "q"],
    )
    .failure()
    .code(2);
    assert!(!d.join("q").exists());
}
