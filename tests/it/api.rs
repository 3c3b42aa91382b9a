//! The library API a statistics crate depends on: `alpha_ratio` on the
//! builders, library defaults equal to the CLI's, and the CLI's
//! `--sample-weights` file.

use crate::common::problem;
use assert_cmd::Command;
use faer::Mat;
use mtreg::penalty::TaskGraph;
use mtreg::{Data, Error, GraphMultiTask, MultiTaskElasticNet, MultiTaskLasso, RelationLearning};
use std::path::Path;

fn mtreg() -> Command {
    Command::cargo_bin("mtreg").unwrap()
}

/// Writes X and Y as headerless CSV (full round-trip precision).
fn write_xy(dir: &Path, x: &Mat<f64>, y: &Mat<f64>) {
    let csv = |m: &Mat<f64>| {
        (0..m.nrows())
            .map(|i| {
                (0..m.ncols())
                    .map(|j| format!("{:?}", m[(i, j)]))
                    .collect::<Vec<_>>()
                    .join(",")
                    + "\n"
            })
            .collect::<String>()
    };
    std::fs::write(dir.join("X.csv"), csv(x)).unwrap();
    std::fs::write(dir.join("Y.csv"), csv(y)).unwrap();
}

/// COEF.csv (`feature,<tasks>`) as p × T.
fn read_coef(path: &Path) -> Mat<f64> {
    let text = std::fs::read_to_string(path).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').skip(1).map(|v| v.parse().unwrap()).collect())
        .collect();
    Mat::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
}

/// Runs `mtreg solve` on X.csv/Y.csv in `dir` with `args`; returns COEF.csv.
fn solve(dir: &Path, args: &[&str]) -> Mat<f64> {
    mtreg()
        .current_dir(dir)
        .args([
            "solve", "--x", "X.csv", "--y", "Y.csv", "--out", "coef.csv", "--force", "--quiet",
        ])
        .args(args)
        .assert()
        .success();
    read_coef(&dir.join("coef.csv"))
}

#[test]
fn alpha_ratio_fits_at_a_fraction_of_alpha_max() {
    let (x, y) = problem(21, 40, 10, 3, 3, 0.4);
    let w: Vec<f64> = (0..40).map(|i| 0.5 + (i % 5) as f64).collect();
    let data = Data::shared(&x, &y).sample_weights(&w);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-14 * b.abs();

    let lasso = MultiTaskLasso::new(1.0).alpha_ratio(0.2);
    let fit = lasso.fit_data(&data).unwrap();
    assert!(close(fit.alpha(), 0.2 * fit.alpha_max()));
    assert!(close(fit.alpha_max(), lasso.alpha_max_data(&data).unwrap()));
    // the same fit as alpha = 0.2 · alpha_max, set by hand
    let by_hand = MultiTaskLasso::new(0.2 * fit.alpha_max())
        .fit_data(&data)
        .unwrap();
    assert_eq!(fit.coef(), by_hand.coef());
    // on a prepared problem too
    let mut problem = lasso.prepare(&data).unwrap();
    assert_eq!(lasso.fit_prepared(&mut problem).unwrap().coef(), fit.coef());
    // alpha replaces it
    let fixed = lasso.clone().alpha(0.01).fit_data(&data).unwrap();
    assert_eq!(fixed.alpha(), 0.01);
    // at or above alpha_max: W = 0
    let zero = MultiTaskLasso::new(1.0)
        .alpha_ratio(1.0)
        .fit(&x, &y)
        .unwrap();
    assert_eq!(zero.n_nonzero_rows(), 0);
    assert!(zero.certificate().is_satisfied());
    // every estimator: the ratio of its own alpha_max (penalty, graph, l1_ratio)
    let en = MultiTaskElasticNet::new(1.0)
        .alpha_ratio(0.3)
        .fit(&x, &y)
        .unwrap();
    assert!(close(en.alpha(), 0.3 * en.alpha_max()));
    assert!(close(
        en.alpha_max(),
        mtreg::alpha_max(&x, &y, 0.5, true).unwrap()
    ));
    let graph = GraphMultiTask::new(1.0)
        .graph(TaskGraph::chain(3))
        .alpha_ratio(0.3)
        .fit(&x, &y)
        .unwrap();
    assert!(close(graph.alpha(), 0.3 * graph.alpha_max()));
    let pooled = GraphMultiTask::new(1.0)
        .pooled(true)
        .alpha_ratio(0.3)
        .fit(&x, &y)
        .unwrap();
    assert!(close(pooled.alpha(), 0.3 * pooled.alpha_max()));
    let rel = RelationLearning::new(1.0)
        .relation_strength(0.5)
        .alpha_ratio(0.3)
        .fit(&x, &y)
        .unwrap();
    assert!(close(rel.fit().alpha(), 0.3 * rel.fit().alpha_max()));
    // certify at the ratio: the fit's own certificate
    let (_, cert) = lasso.certify_data(&data, fit.coef()).unwrap();
    assert!(cert.is_satisfied());
    for bad in [0.0, -0.5, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            MultiTaskLasso::new(1.0).alpha_ratio(bad).fit(&x, &y),
            Err(Error::InvalidParameter {
                name: "alpha_ratio",
                ..
            })
        ));
    }
}

/// The CLI's `--alpha-ratio` and the builder's `alpha_ratio` fit the same
/// model (the CLI builds the library's estimator; both resolve alpha on the
/// prepared data).
#[test]
fn alpha_ratio_matches_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = problem(22, 30, 8, 3, 2, 0.3);
    write_xy(dir.path(), &x, &y);
    let cli = solve(dir.path(), &["--alpha-ratio", "0.15"]);
    let lib = MultiTaskLasso::new(1.0)
        .alpha_ratio(0.15)
        .fit(&x, &y)
        .unwrap();
    assert_eq!(cli.as_ref(), lib.coef());
}

/// Library and CLI defaults agree (docs/cli.md, "Defaults"): with no flag
/// but alpha, `solve` fits `MultiTaskLasso` (= `GraphMultiTask` without a
/// graph, l1_ratio 1); with `--chain` it fits `GraphMultiTask` with the chain
/// graph at the default strength 1.
#[test]
fn cli_defaults_equal_library_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = problem(23, 30, 8, 3, 2, 0.3);
    write_xy(dir.path(), &x, &y);
    let alpha = 0.05;

    let plain = solve(dir.path(), &["--alpha", "0.05"]);
    let lasso = MultiTaskLasso::new(alpha).fit(&x, &y).unwrap();
    let graph_none = GraphMultiTask::new(alpha).fit(&x, &y).unwrap();
    assert_eq!(plain.as_ref(), lasso.coef());
    assert_eq!(plain.as_ref(), graph_none.coef());

    let chain = solve(dir.path(), &["--alpha", "0.05", "--chain"]);
    let lib = GraphMultiTask::new(alpha)
        .graph(TaskGraph::chain(3))
        .fit(&x, &y)
        .unwrap();
    assert_eq!(chain.as_ref(), lib.coef());
    // the default strength is 1, and it is on
    let explicit = GraphMultiTask::new(alpha)
        .graph(TaskGraph::chain(3))
        .graph_strength(1.0)
        .fit(&x, &y)
        .unwrap();
    assert_eq!(lib.coef(), explicit.coef());
    assert_ne!(lib.coef(), lasso.coef());
    assert_eq!(lib.description().graph.as_ref().unwrap().strength, 1.0);

    // scikit-learn's MultiTaskElasticNet keeps its l1_ratio = 0.5
    let en = MultiTaskElasticNet::new(alpha).fit(&x, &y).unwrap();
    assert_eq!(en.l1_ratio(), 0.5);
    let en_cli = solve(dir.path(), &["--alpha", "0.05", "--l1-ratio", "0.5"]);
    assert_eq!(en_cli.as_ref(), en.coef());
}

/// `--sample-weights`: the `sample,weight` form (unlisted rows 1) equals the
/// `weight` form, and the library; bad files exit 2 naming file, line and
/// column, leaving no output.
#[test]
fn cli_sample_weight_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (x, y) = problem(24, 12, 4, 2, 2, 0.3);
    write_xy(d, &x, &y);
    let w: Vec<f64> = (0..12)
        .map(|i| if i % 4 == 0 { 3.0 } else { 1.0 })
        .collect();
    let full: String = std::iter::once("weight\n".to_string())
        .chain(w.iter().map(|v| format!("{v}\n")))
        .collect();
    std::fs::write(d.join("w_full.csv"), full).unwrap();
    std::fs::write(d.join("w_listed.csv"), "sample,weight\n0,3\n4,3\n8,3\n").unwrap();
    let a = solve(d, &["--alpha", "0.05", "--sample-weights", "w_full.csv"]);
    let b = solve(d, &["--alpha", "0.05", "--sample-weights", "w_listed.csv"]);
    assert_eq!(a, b);
    let lib = MultiTaskLasso::new(0.05)
        .fit_data(Data::shared(&x, &y).sample_weights(&w))
        .unwrap();
    assert_eq!(a.as_ref(), lib.coef());
    assert_ne!(
        a.as_ref(),
        MultiTaskLasso::new(0.05).fit(&x, &y).unwrap().coef()
    );

    let bad: &[(&str, &str)] = &[
        ("weight\n1\n2\n", "2 weight rows for 12 samples"),
        (
            "sample,weight\n0,1\n3,-2\n",
            "line 3, column 2 (\"weight\"): sample weight must be finite and >= 0",
        ),
        (
            "sample,weight\n0,1\n12,1\n",
            "line 3, column 1 (\"sample\"): not a sample",
        ),
        (
            "sample,weight\n5,1\n5,2\n",
            "sample 5 is listed twice (first on line 2)",
        ),
        ("sample,weight\n0,x\n", "not a number"),
        ("w\n1\n", "missing column \"weight\""),
        (
            &format!("weight\n{}", "0\n".repeat(12)),
            "every sample weight is 0",
        ),
    ];
    for (text, message) in bad {
        std::fs::write(d.join("w_bad.csv"), text).unwrap();
        let out = mtreg()
            .current_dir(d)
            .args(["solve", "--x", "X.csv", "--y", "Y.csv", "--alpha", "0.1"])
            .args(["--sample-weights", "w_bad.csv", "--out", "bad/coef.csv"])
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{text}: {stderr}");
        assert!(stderr.contains("w_bad.csv"), "{text}: {stderr}");
        assert!(stderr.contains(message), "{text}: {stderr}");
        assert!(!d.join("bad").exists(), "an output was left behind");
    }
    // not with --long or --stats (usage errors)
    let out = mtreg()
        .current_dir(d)
        .args([
            "solve",
            "--long",
            "X.csv",
            "--alpha",
            "0.1",
            "--sample-weights",
        ])
        .args(["w_full.csv", "--out", "c.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // cross-validation and paths take them too
    mtreg()
        .current_dir(d)
        .args([
            "cv",
            "--x",
            "X.csv",
            "--y",
            "Y.csv",
            "--sample-weights",
            "w_full.csv",
        ])
        .args([
            "--folds",
            "3",
            "--n-alphas",
            "5",
            "--out-dir",
            "cv",
            "--quiet",
        ])
        .assert()
        .success();
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("cv/model.json")).unwrap()).unwrap();
    assert_eq!(model["sample_weighted"], true);
}

/// A fit on two threads (run on the shared pool, its full gradients and any
/// residual epochs split) is the one-thread fit: objectives within the
/// certified gaps, coefficients within what the gaps prove. Residual mode is
/// forced: a Gram-matrix datafit would split nothing.
#[test]
fn two_thread_fit_equals_one_thread_fit() {
    let (n, p, t) = (2100, 30, 16);
    assert!(mtreg::linalg::splits_by_rows(
        n,
        t * mtreg::datafit::EPOCH_BLOCK
    ));
    let (x, y) = problem(5, n, p, t, 6, 0.5);
    let alpha = 0.05 * mtreg::alpha_max(&x, &y, 1.0, true).unwrap();
    let fit = |k| {
        MultiTaskLasso::new(alpha)
            .tol(1e-10)
            .gram(mtreg::GramMode::Never)
            .threads(k)
            .fit(&x, &y)
            .unwrap()
    };
    let (a, b) = (fit(1), fit(2));
    assert!(a.converged() && b.converged());
    assert!(!a.used_gram() && !b.used_gram(), "residual mode");
    let (ga, gb) = (a.dual_gap().unwrap(), b.dual_gap().unwrap());
    let floor = 1e-13 * a.objective().abs();
    assert!(
        (a.objective() - b.objective()).abs() <= ga.max(gb) + floor,
        "{} vs {}",
        a.objective(),
        b.objective()
    );
    let (xc, _) = crate::common::centred(&x, &y, true);
    let d =
        crate::common::gap_distance(&xc, a.coef(), b.coef(), alpha, 1.0, ga + floor, gb + floor);
    assert!(d.h_norm <= d.h_bound, "{} > {}", d.h_norm, d.h_bound);
    assert!(a.n_nonzero_rows() > 3, "the fit must move rows");
}

/// The solver on two workers with residual epochs forced (block products
/// split over samples, the extrapolation moving the working set at once) is
/// the one-thread solve, within what the certified gaps prove.
#[test]
fn two_thread_residual_epochs_equal_one_thread_epochs() {
    use mtreg::datafit::Quadratic;
    use mtreg::penalty::L21;
    use mtreg::solver::{SolverOptions, solve, strategy::InnerMode};
    let (n, p, t) = (2100, 30, 16);
    let (x, y) = problem(6, n, p, t, 6, 0.7);
    let (xc, yc) = crate::common::centred(&x, &y, true);
    let alpha = 0.02 * mtreg::alpha_max(&x, &y, 1.0, true).unwrap();
    let y_sq: f64 = (0..t)
        .map(|k| yc.col(k).iter().map(|v| v * v).sum::<f64>())
        .sum::<f64>()
        / n as f64;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let run = |threads| {
        let opts = SolverOptions {
            tol: 1e-12 * y_sq,
            max_iter: 100_000,
            threads,
            inner_mode: Some(InnerMode::Epochs),
            ..SolverOptions::default()
        };
        let mut d = Quadratic::new(xc.clone(), yc.clone());
        pool.install(|| solve(&opts, &mut d, &L21::new(alpha, 1.0), Mat::zeros(t, p)))
    };
    let (a, b) = (run(1), run(2));
    assert!(a.converged && b.converged);
    let (ga, gb) = (a.gap.unwrap(), b.gap.unwrap());
    let floor = 1e-14 * y_sq;
    let (wa, wb) = (a.wt.transpose().to_owned(), b.wt.transpose().to_owned());
    let d = crate::common::gap_distance(
        &xc,
        wa.as_ref(),
        wb.as_ref(),
        alpha,
        1.0,
        ga + floor,
        gb + floor,
    );
    assert!(d.h_norm <= d.h_bound, "{} > {}", d.h_norm, d.h_bound);
    assert!(a.n_iter > 5, "the solve must run epochs");
}

/// Predictions of sparse fits (the product over the support only) and of
/// dense fits (the full product) are `X W + 1 bᵀ`.
#[test]
fn predictions_of_sparse_and_dense_fits_are_xw_plus_b() {
    let (n, p, t) = (60, 40, 3);
    let (x, y) = problem(8, n, p, t, 5, 0.3);
    let amax = mtreg::alpha_max(&x, &y, 1.0, true).unwrap();
    for (ratio, sparse) in [(0.3, true), (1e-3, false)] {
        let fit = MultiTaskLasso::new(ratio * amax).fit(&x, &y).unwrap();
        assert_eq!(2 * fit.n_nonzero_rows() <= p, sparse, "ratio {ratio}");
        let pred = fit.predict(&x).unwrap();
        for i in 0..n {
            for k in 0..t {
                let want: f64 = fit.intercept()[k]
                    + (0..p).map(|j| x[(i, j)] * fit.coef()[(j, k)]).sum::<f64>();
                assert!(
                    (pred[(i, k)] - want).abs() <= 1e-10 * (1.0 + want.abs()),
                    "{ratio} [{i},{k}]"
                );
            }
        }
    }
}
