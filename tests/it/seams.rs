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
