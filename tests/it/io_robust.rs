//! Bad input and hostile conditions at the seams (issue 12): RFC 4180 outputs,
//! outputs checked before the work and written all or nothing, signals,
//! closed pipes, data loss, impossible statistics, extreme magnitudes, and a
//! fuzz test for each reader.

use assert_cmd::Command;
use proptest::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn mtreg() -> Command {
    Command::cargo_bin("mtreg").unwrap()
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("mtreg")
}

/// Names in `dir` and below (relative paths, sorted).
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(base).unwrap().display().to_string());
            if p.is_dir() {
                walk(base, &p, out);
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

/// No hidden (temporary) file anywhere under `dir`.
fn no_hidden(dir: &Path) {
    let t = tree(dir);
    assert!(
        t.iter().all(|p| !Path::new(p)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with('.')),
        "{t:?}"
    );
}

fn stderr_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

/// A small shared-design problem written by `mtreg generate` into `dir`.
fn generate(dir: &Path) {
    mtreg()
        .args(["generate", "--n-samples", "60", "--n-features", "8"])
        .args(["--n-informative", "3", "--n-targets", "3", "--noise", "1"])
        .args(["--seed", "5", "--out"])
        .arg(dir)
        .assert()
        .success();
}

/// X and Y with feature and task names that need quoting in CSV.
fn awkward_names(d: &Path) -> (PathBuf, PathBuf) {
    let (x, y) = (d.join("X.csv"), d.join("Y.csv"));
    let mut xs = String::from("\"g,1\",\"g\"\"2\",x3\n");
    let mut ys = String::from("\"t,1\",t2\n");
    for i in 0..40 {
        let (a, b, c) = (i as f64 * 0.37 % 3.1, (i * i) as f64 % 7.3, (i % 5) as f64);
        xs += &format!("{a},{b},{c}\n");
        ys += &format!("{},{}\n", 2.0 * a - b + 0.1 * c, a + 0.5 * b);
    }
    fs::write(&x, xs).unwrap();
    fs::write(&y, ys).unwrap();
    (x, y)
}

/// Reads a CSV the tool wrote with the library's RFC 4180 reader: every
/// record must have as many fields as the header.
fn records(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let (head, rows) = mtreg::io::read_records(path, &Default::default())
        .unwrap_or_else(|e| panic!("{} is not well-formed CSV: {e}", path.display()));
    (head, rows.into_iter().map(|(_, r)| r).collect())
}

// ----- RFC 4180 -----

#[test]
fn every_csv_written_quotes_names_with_commas_and_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (x, y) = awkward_names(d);
    mtreg()
        .current_dir(d)
        .arg("path")
        .arg("--x")
        .arg(&x)
        .arg("--y")
        .arg(&y)
        .args(["--n-alphas", "5", "-q", "--out-dir", "p"])
        .assert()
        .success();
    let (head, rows) = records(&d.join("p/coefs.csv"));
    assert_eq!(head, ["alpha", "feature", "task", "value"]);
    assert!(!rows.is_empty());
    for r in &rows {
        assert!(["g,1", "g\"2", "x3"].contains(&r[1].as_str()), "{r:?}");
        assert!(["t,1", "t2"].contains(&r[2].as_str()), "{r:?}");
    }
    let (head, _) = records(&d.join("p/alphas.csv"));
    assert_eq!(head, ["alpha", "n_iter", "certificate", "nnz_rows"]);
    mtreg()
        .current_dir(d)
        .arg("cv")
        .arg("--x")
        .arg(&x)
        .arg("--y")
        .arg(&y)
        .args(["--n-alphas", "5", "--folds", "3", "-q", "--out-dir", "c"])
        .args(["--chain", "--graph-strengths", "0.1,1"])
        .assert()
        .success();
    let (head, rows) = records(&d.join("c/cv.csv"));
    assert_eq!(head, ["alpha", "mse_mean", "mse_se", "mse_t,1", "mse_t2"]);
    assert_eq!(rows.len(), 5);
    let (head, rows) = records(&d.join("c/cv_grid.csv"));
    assert_eq!(head, ["graph_strength", "alpha", "mse_mean", "mse_se"]);
    assert_eq!(rows.len(), 10);
    let (head, rows) = records(&d.join("c/coef.csv"));
    assert_eq!(head, ["feature", "t,1", "t2"]);
    assert_eq!(rows[1][0], "g\"2");
    mtreg()
        .current_dir(d)
        .arg("solve")
        .arg("--x")
        .arg(&x)
        .arg("--y")
        .arg(&y)
        .args([
            "--alpha-ratio",
            "0.1",
            "--learn-relations",
            "--relation-strength",
            "0.1",
        ])
        .args(["-q", "--out", "r/c.csv", "--relations", "r/rel.csv"])
        .assert()
        .success();
    let (head, rows) = records(&d.join("r/rel.csv"));
    assert_eq!(head, ["task_a", "task_b", "sigma", "correlation"]);
    assert_eq!((rows[1][0].as_str(), rows[1][1].as_str()), ("t,1", "t2"));
}

// ----- outputs checked first, written all or nothing -----

#[test]
fn a_refused_output_costs_no_work_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(&d.join("data"));
    let (x, y) = (d.join("data/X.csv"), d.join("data/Y.csv"));
    // An existing plot: refused before the fit, the main outputs not written.
    fs::create_dir(d.join("plots")).unwrap();
    fs::write(d.join("plots/cv_curve.svg"), "mine").unwrap();
    let a = mtreg()
        .current_dir(d)
        .arg("cv")
        .arg("--x")
        .arg(&x)
        .arg("--y")
        .arg(&y)
        .args(["--folds", "3", "-q", "--out-dir", "cv", "--plot", "plots"])
        .assert()
        .code(2);
    assert!(stderr_of(&a).contains("cv_curve.svg: refusing to overwrite"));
    assert!(!d.join("cv").exists());
    assert_eq!(
        fs::read_to_string(d.join("plots/cv_curve.svg")).unwrap(),
        "mine"
    );
    // A refused model file: the coefficients are not written either.
    fs::write(d.join("model.json"), "{}").unwrap();
    mtreg()
        .current_dir(d)
        .arg("solve")
        .arg("--x")
        .arg(&x)
        .arg("--y")
        .arg(&y)
        .args([
            "--alpha-ratio",
            "0.1",
            "--out",
            "out/coef.csv",
            "--model",
            "model.json",
        ])
        .assert()
        .code(2);
    assert!(!d.join("out").exists());
    // generate: an existing Y.csv, X.csv is not written.
    fs::create_dir(d.join("g")).unwrap();
    fs::write(d.join("g/Y.csv"), "mine").unwrap();
    mtreg()
        .args(["generate", "--out"])
        .arg(d.join("g"))
        .assert()
        .code(2);
    assert_eq!(tree(&d.join("g")), ["Y.csv"]);
    // Parameters refused by the library: no directory made.
    mtreg()
        .current_dir(d)
        .arg("cv")
        .arg("--x")
        .arg(&x)
        .arg("--y")
        .arg(&y)
        .args(["--folds", "1", "--out-dir", "bad/cv"])
        .assert()
        .code(2);
    assert!(!d.join("bad").exists());
    no_hidden(d);
}

#[test]
fn an_output_under_a_file_is_a_clear_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(d);
    for (cmd, flag) in [
        ("solve", "--out"),
        ("path", "--out-dir"),
        ("cv", "--out-dir"),
    ] {
        let mut c = mtreg();
        c.current_dir(d).args([cmd, "--x", "X.csv", "--y", "Y.csv"]);
        if cmd == "solve" {
            c.args(["--alpha-ratio", "0.1"]);
        }
        let a = c.args([flag, "X.csv/C.csv"]).assert().code(2);
        let e = stderr_of(&a);
        assert!(e.contains("X.csv is a file, not a directory"), "{cmd}: {e}");
    }
}

// ----- signals -----

/// Sends `sig` (a name for kill(1)) to `pid`.
fn kill(sig: &str, pid: u32) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
#[cfg(unix)]
fn signals_while_staging_leave_no_temporary_and_no_empty_directory() {
    // The pause before the commit exists in debug builds only.
    if !cfg!(debug_assertions) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(&d.join("data"));
    for (sig, code, cmd) in [("INT", 130, "cv"), ("TERM", 143, "solve")] {
        let flag = d.join(format!("staged-{sig}"));
        let mut c = std::process::Command::new(bin());
        c.current_dir(d)
            .env("MTREG_DEBUG_PAUSE_BEFORE_COMMIT", &flag)
            .args([cmd, "--x", "data/X.csv", "--y", "data/Y.csv", "-q"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if cmd == "cv" {
            c.args(["--folds", "3", "--out-dir", "new/cv", "--plot", "new/plots"]);
        } else {
            c.args([
                "--alpha-ratio",
                "0.1",
                "--out",
                "new/c.csv",
                "--model",
                "new/m.json",
            ]);
        }
        let mut child = c.spawn().unwrap();
        // Every output is staged (hidden temporaries in new directories).
        wait_for(&flag);
        assert!(d.join("new").exists(), "staged under new/");
        kill(sig, child.id());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{sig}");
        fs::remove_file(&flag).unwrap();
        assert_eq!(
            tree(d).iter().filter(|p| !p.starts_with("data")).count(),
            0,
            "{:?}",
            tree(d)
        );
    }
}

#[test]
#[cfg(unix)]
fn a_signal_while_reading_exits_130_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(&d.join("data"));
    let fifo = d.join("X.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut child = std::process::Command::new(bin())
        .current_dir(d)
        .args([
            "cv",
            "--x",
            "X.fifo",
            "--y",
            "data/Y.csv",
            "--out-dir",
            "out/cv",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The reader blocks on the FIFO (no writer): interrupt it there.
    std::thread::sleep(Duration::from_millis(300));
    kill("INT", child.id());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert!(!d.join("out").exists());
}

// ----- closed pipes -----

/// Runs `args` in `d` with stdout connected to a pipe whose reading end is
/// already closed; returns the exit code and stderr.
fn with_closed_stdout(d: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(bin())
        .current_dir(d)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut text = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut text).unwrap();
    (child.wait().unwrap().code(), text)
}

#[test]
#[cfg(unix)]
fn a_closed_stdout_ends_quietly_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(&d.join("data"));
    let base = ["--x", "data/X.csv", "--y", "data/Y.csv"];
    mtreg()
        .current_dir(d)
        .args(["stats", "--out", "s1"])
        .args(base)
        .assert()
        .success();
    let runs: [Vec<&str>; 5] = [
        [&["path"][..], &base, &["--n-alphas", "5", "--out-dir", "p"]].concat(),
        [
            &["cv"][..],
            &base,
            &["--folds", "3", "--n-alphas", "5", "--out-dir", "c"],
        ]
        .concat(),
        [
            &["solve"][..],
            &base,
            &["--alpha-ratio", "0.1", "--out", "s.csv"],
        ]
        .concat(),
        vec!["stats", "merge", "s1", "--out", "s2"],
        vec!["inspect", "data/X.csv"],
    ];
    for args in runs {
        let (code, stderr) = with_closed_stdout(d, &args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // The outputs were committed before the summary was printed.
    assert!(d.join("p/coefs.csv").exists() && d.join("c/cv.csv").exists());
}

#[test]
#[cfg(unix)]
fn a_closed_stderr_keeps_the_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(&d.join("data"));
    fs::write(d.join("bad.csv"), "a,b\n1,x\n").unwrap();
    let cases: [(Vec<&str>, i32); 3] = [
        // an error: exit 2, not 101
        (
            vec![
                "solve",
                "--x",
                "bad.csv",
                "--y",
                "data/Y.csv",
                "--alpha",
                "1",
                "--out",
                "o.csv",
            ],
            2,
        ),
        // warnings (not converged) and -v logging: exit 0
        (
            vec![
                "solve",
                "--x",
                "data/X.csv",
                "--y",
                "data/Y.csv",
                "--alpha-ratio",
                "0.01",
                "--max-iter",
                "1",
                "--tol",
                "1e-12",
                "-v",
                "--out",
                "w.csv",
            ],
            0,
        ),
        (vec!["inspect", "bad.csv"], 2),
    ];
    for (args, want) in cases {
        let mut child = std::process::Command::new(bin())
            .current_dir(d)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take());
        assert_eq!(child.wait().unwrap().code(), Some(want), "{args:?}");
    }
    assert!(d.join("w.csv").exists());
}

// ----- resources -----

#[test]
fn a_million_columns_are_refused_with_the_memory_they_need() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = 1_000_000;
    let header: Vec<String> = (0..p).map(|j| format!("x{j}")).collect();
    let row = vec!["0"; p].join(",");
    fs::write(
        d.join("X.csv"),
        format!("{}\n{row}\n{row}\n", header.join(",")),
    )
    .unwrap();
    fs::write(d.join("Y.csv"), "y\n1\n2\n").unwrap();
    let a = mtreg()
        .current_dir(d)
        .args(["stats", "--x", "X.csv", "--y", "Y.csv", "--out", "s"])
        .assert()
        .code(2);
    let e = stderr_of(&a);
    assert!(
        e.contains("1000000 feature columns") && e.contains("TB of memory"),
        "{e}"
    );
    assert!(!d.join("s").exists());
}

#[test]
fn threads_are_bounded_by_the_work_and_the_cores() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(d);
    let a = mtreg()
        .current_dir(d)
        .args([
            "cv",
            "--x",
            "X.csv",
            "--y",
            "Y.csv",
            "--folds",
            "3",
            "--n-alphas",
            "5",
        ])
        .args(["--threads", "100000", "--out-dir", "c"])
        .assert()
        .success();
    let e = stderr_of(&a);
    assert!(e.contains("--threads 100000 lowered to"), "{e}");
}

// ----- data loss -----

#[test]
fn statistics_outputs_never_delete_their_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(&d.join("data"));
    let before = fs::read_to_string(d.join("data/X.csv")).unwrap();
    let a = mtreg()
        .current_dir(d)
        .args([
            "stats",
            "--x",
            "data/X.csv",
            "--y",
            "data/Y.csv",
            "--out",
            "data",
            "--force",
        ])
        .assert()
        .code(2);
    assert!(
        stderr_of(&a).contains("holds the input data/X.csv"),
        "{}",
        stderr_of(&a)
    );
    assert_eq!(fs::read_to_string(d.join("data/X.csv")).unwrap(), before);
    // merge: an input directory under the output directory.
    mtreg()
        .current_dir(d)
        .args([
            "stats",
            "--x",
            "data/X.csv",
            "--y",
            "data/Y.csv",
            "--out",
            "p/a",
        ])
        .assert()
        .success();
    let a = mtreg()
        .current_dir(d)
        .args(["stats", "merge", "p/a", "--out", "p", "--force"])
        .assert()
        .code(2);
    assert!(
        stderr_of(&a).contains("holds the input p/a"),
        "{}",
        stderr_of(&a)
    );
    assert!(d.join("p/a/meta.json").exists());
}

// ----- impossible statistics -----

/// Replaces the numbers of `file` (a statistics CSV) by `f(row, col, value)`.
fn edit_matrix(file: &Path, f: impl Fn(usize, usize, f64) -> f64) {
    let text = fs::read_to_string(file).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for (i, line) in lines.enumerate() {
        let vals: Vec<String> = line
            .split(',')
            .enumerate()
            .map(|(j, v)| format!("{:?}", f(i, j, v.parse().unwrap())))
            .collect();
        out += &vals.join(",");
        out.push('\n');
    }
    fs::write(file, out).unwrap();
}

#[test]
fn statistics_that_cannot_come_from_data_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(&d.join("data"));
    let stats = |name: &str| {
        mtreg()
            .current_dir(d)
            .args([
                "stats",
                "--x",
                "data/X.csv",
                "--y",
                "data/Y.csv",
                "--out",
                name,
            ])
            .assert()
            .success();
        d.join(name)
    };
    let solve = |s: &Path| {
        let a = mtreg()
            .current_dir(d)
            .args([
                "solve",
                "--alpha-ratio",
                "0.1",
                "--force",
                "--out",
                "c.csv",
                "--stats",
            ])
            .arg(s)
            .assert();
        (a.get_output().status.code(), stderr_of(&a))
    };
    let ok = stats("ok");
    assert_eq!(solve(&ok).0, Some(0));
    // A correlation of 1.5 between two features.
    let s = stats("xtx");
    let xtx = s.join("xtx.csv");
    let d01 = {
        let t = fs::read_to_string(&xtx).unwrap();
        let rows: Vec<Vec<f64>> = t
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
            .collect();
        1.5 * (rows[0][0] * rows[1][1]).sqrt()
    };
    edit_matrix(&xtx, |i, j, v| {
        if (i, j) == (0, 1) || (i, j) == (1, 0) {
            d01
        } else {
            v
        }
    });
    let (code, e) = solve(&s);
    assert_eq!(code, Some(2), "{e}");
    assert!(
        e.contains("xtx.csv") && e.contains("not a valid Gram matrix"),
        "{e}"
    );
    // A target whose variance is below what the features explain.
    let s = stats("yty");
    edit_matrix(
        &s.join("yty.csv"),
        |i, j, v| if i == j { v * 1e-3 } else { v },
    );
    let (code, e) = solve(&s);
    assert_eq!(code, Some(2), "{e}");
    assert!(e.contains("yty.csv") && e.contains("inconsistent"), "{e}");
    assert!(!d.join("c.csv").exists() || solve(&ok).0 == Some(0));
}

// ----- inspect and magnitudes -----

#[test]
fn inspect_reads_long_files_and_refuses_what_solve_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    mtreg()
        .args([
            "generate",
            "--structure",
            "chain",
            "--n-targets",
            "3",
            "--n-samples",
            "30",
        ])
        .args(["--n-features", "5", "--out"])
        .arg(d.join("g"))
        .assert()
        .success();
    let a = mtreg()
        .arg("inspect")
        .arg(d.join("g/long.csv"))
        .assert()
        .success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert!(
        out.contains("parsed long format: 90 samples, 3 tasks, 5 features"),
        "{out}"
    );
    assert!(
        out.contains("t0 (30)") && out.contains("y (target)"),
        "{out}"
    );
    // Values whose squares overflow: both refuse, naming the file and range.
    fs::write(d.join("big.csv"), "a,b\n1,1e200\n2,-3e200\n3,5\n").unwrap();
    fs::write(d.join("Y.csv"), "y\n1\n2\n3\n").unwrap();
    let a = mtreg()
        .current_dir(d)
        .args(["inspect", "big.csv"])
        .assert()
        .code(2);
    let e = stderr_of(&a);
    assert!(
        e.contains("big.csv, column 2 (\"b\"): values too large"),
        "{e}"
    );
    assert!(e.contains("from -3e200 to 1e200"), "{e}");
    let a = mtreg()
        .current_dir(d)
        .args([
            "solve", "--x", "big.csv", "--y", "Y.csv", "--alpha", "1", "--out", "c.csv",
        ])
        .assert()
        .code(2);
    assert!(stderr_of(&a).contains("big.csv, column 2 (\"b\"): values too large"));
    // Large but fine: finite summaries.
    fs::write(d.join("ok.csv"), "a\n1e150\n-1e150\n").unwrap();
    let a = mtreg()
        .current_dir(d)
        .args(["inspect", "ok.csv"])
        .assert()
        .success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert!(
        out.contains("1.000000e150") && !out.contains("inf"),
        "{out}"
    );
}

#[test]
fn a_model_listing_a_feature_twice_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(d);
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
        .args(["-q", "--out", "c.csv", "--model", "m.json"])
        .assert()
        .success();
    let text = fs::read_to_string(d.join("m.json")).unwrap();
    let mut m: serde_json::Value = serde_json::from_str(&text).unwrap();
    m["feature_names"][1] = m["feature_names"][0].clone();
    fs::write(d.join("m.json"), m.to_string()).unwrap();
    let a = mtreg()
        .current_dir(d)
        .args([
            "predict", "--model", "m.json", "--x", "X.csv", "--out", "p.csv",
        ])
        .assert()
        .code(2);
    let e = stderr_of(&a);
    assert!(
        e.contains("m.json: the model lists the feature \"x0\" twice"),
        "{e}"
    );
}

// ----- concurrent runs -----

#[test]
fn concurrent_forced_runs_never_mix_their_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(d);
    for _ in 0..4 {
        let runs: Vec<_> = ["0.05", "0.5"]
            .iter()
            .map(|r| {
                std::process::Command::new(bin())
                    .current_dir(d)
                    .args(["solve", "--x", "X.csv", "--y", "Y.csv", "--alpha-ratio", r])
                    .args(["-q", "--force", "--out", "o/c.csv", "--model", "o/m.json"])
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut r in runs {
            assert!(r.wait().unwrap().success());
        }
        // The coefficients and the model come from the same run.
        let m: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(d.join("o/m.json")).unwrap()).unwrap();
        let (_, rows) = records(&d.join("o/c.csv"));
        let first: f64 = rows[0][1].parse().unwrap();
        assert_eq!(first, m["coef"][0][0].as_f64().unwrap());
        no_hidden(d);
    }
}

// ----- a fuzz test for each reader -----

/// A small valid statistics directory, as bytes of its files.
fn stats_files() -> Vec<(String, Vec<u8>)> {
    let x = faer::Mat::from_fn(12, 3, |i, j| ((i * 7 + j * 3) % 5) as f64 - 1.5 * j as f64);
    let y = faer::Mat::from_fn(12, 2, |i, k| (i as f64 * 0.3 + k as f64).sin());
    let s = mtreg::SufficientStats::from_data(&x, &y).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    mtreg::io::stats::write_stats(&out, &s, false).unwrap();
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(&out)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn mutate(bytes: &mut Vec<u8>, edits: &[(usize, usize, u8)]) {
    for &(pos, op, byte) in edits {
        let at = pos % (bytes.len() + 1);
        match op {
            0 => bytes.insert(at, byte),
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            _ if at < bytes.len() => bytes[at] = byte,
            _ => bytes.push(byte),
        }
    }
}

fn edits() -> impl Strategy<Value = Vec<(usize, usize, u8)>> {
    proptest::collection::vec(
        (
            0usize..4000,
            0usize..3,
            proptest::sample::select(&b",\n\r\"-.0123456789e{}[]:naxy\xff"[..]),
        ),
        1..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// The chunked reader accepts and refuses exactly what read_matrix does,
    /// with the same values and the same located errors.
    #[test]
    fn chunk_reader_agrees_with_read_matrix(
        bytes in proptest::collection::vec(
            proptest::sample::select(&b",;\n\r \"e-+.0123456789aN\xef\xbb\xbf"[..]), 0..200),
        chunk in 1usize..5,
    ) {
        let opts = mtreg::io::ReadOptions::default();
        let want = mtreg::io::read_matrix_from_reader(&bytes[..], "f.csv", &opts);
        let got = (|| -> mtreg::Result<faer::Mat<f64>> {
            let mut r = mtreg::io::ChunkReader::from_reader(
                std::io::Cursor::new(bytes.clone()), "f.csv", &opts)?;
            let p = r.n_columns();
            let mut rows = Vec::new();
            let mut buf = faer::Mat::<f64>::zeros(chunk, p);
            loop {
                let k = r.read_chunk(buf.as_mut())?;
                if k == 0 {
                    break;
                }
                for i in 0..k {
                    rows.push((0..p).map(|j| buf[(i, j)]).collect::<Vec<_>>());
                }
            }
            Ok(faer::Mat::from_fn(rows.len(), p, |i, j| rows[i][j]))
        })();
        match (want, got) {
            (Ok(w), Ok(g)) => prop_assert_eq!(w.data, g),
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            (a, b) => prop_assert!(false, "{a:?} vs {b:?}"),
        }
    }

    /// A damaged statistics directory is refused with a located error (or,
    /// when the damage keeps it valid, read), never a panic.
    #[test]
    fn damaged_statistics_directories_never_panic(
        which in 0usize..6,
        edits in edits(),
    ) {
        let mut files = stats_files();
        mutate(&mut files[which].1, &edits);
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &files {
            fs::write(dir.path().join(name), bytes).unwrap();
        }
        match mtreg::io::stats::read_stats(dir.path()) {
            Ok(s) => prop_assert!(s.n_samples() > 0),
            Err(e) => prop_assert!(e.is_user_error() && !e.to_string().is_empty(), "{e}"),
        }
    }

    /// A damaged model file is refused with a located error, never a panic.
    #[test]
    fn damaged_model_files_never_panic(edits in edits()) {
        let x = faer::Mat::from_fn(10, 2, |i, j| (i * (j + 2)) as f64 % 3.0);
        let y = faer::Mat::from_fn(10, 1, |i, _| i as f64);
        let fit = mtreg::MultiTaskLasso::new(0.1).fit(&x, &y).unwrap();
        let m = mtreg::io::model::ModelFile::from_fit(&fit);
        let mut bytes = m.to_json().into_bytes();
        mutate(&mut bytes, &edits);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.json");
        fs::write(&p, bytes).unwrap();
        if let Err(e) = mtreg::io::model::ModelFile::read(&p) {
            prop_assert!(e.is_user_error(), "{e}");
        }
    }
}
