//! Sample weights (scikit-learn's `sample_weight`): parity with scikit-learn
//! 1.9.1 (`fixtures/make_weighted_fixtures.py`), integer weights equal
//! repeated rows for every shared-design model, and the errors.

use crate::common::{problem, rel_diff};
use faer::Mat;
use mtreg::cv::CvOptions;
use mtreg::io::csv::{HeaderMode, ReadOptions, read_matrix};
use mtreg::path::AlphaGrid;
use mtreg::penalty::TaskGraph;
use mtreg::{
    Data, Error, GraphMultiTask, MultiTaskElasticNet, MultiTaskLasso, RelationLearning,
    SufficientStats,
};
use proptest::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/weighted");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    cases.sort();
    cases
}

fn read(path: &Path, header: HeaderMode) -> Mat<f64> {
    let opts = ReadOptions {
        header,
        ..ReadOptions::default()
    };
    read_matrix(path, &opts).unwrap().data
}

fn f(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("missing {key}"))
}

fn matrix(v: &Value) -> Mat<f64> {
    let rows = v.as_array().unwrap();
    let ncols = rows[0].as_array().unwrap().len();
    Mat::from_fn(rows.len(), ncols, |i, j| rows[i][j].as_f64().unwrap())
}

/// A fixture's data: X, Y and the weights.
fn load(dir: &Path) -> (Mat<f64>, Mat<f64>, Vec<f64>) {
    let x = read(&dir.join("X.csv"), HeaderMode::Absent);
    let y = read(&dir.join("Y.csv"), HeaderMode::Absent);
    let w = read(&dir.join("weights.csv"), HeaderMode::Present);
    (x, y, w.col(0).iter().copied().collect())
}

/// scikit-learn's `ElasticNet` / `Lasso` (T = 1) and `MultiTaskElasticNet` /
/// `MultiTaskLasso` (T > 1) with `sample_weight`: alpha_max, coefficients,
/// intercepts, objective, and the duality gap of scikit-learn's own
/// coefficients under our formula against its `dual_gap_`.
#[test]
fn matches_scikit_learn_sample_weight() {
    let cases = fixture_dirs();
    assert!(
        cases.len() >= 6,
        "expected 6 weighted fixtures, found {}",
        cases.len()
    );
    for dir in cases {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let exp: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let (x, y, w) = load(&dir);
        let data = Data::shared(&x, &y).sample_weights(&w);
        let (alpha, rho) = (f(&exp, "alpha"), f(&exp, "l1_ratio"));
        let model = MultiTaskElasticNet::new(alpha)
            .l1_ratio(rho)
            .fit_intercept(exp["fit_intercept"].as_bool().unwrap())
            .tol(1e-14)
            .max_iter(1_000_000);
        let fit = model.fit_data(&data).unwrap();
        assert!(fit.converged(), "{name}: {}", fit.certificate());
        assert!(fit.description().sample_weighted);

        let amax = f(&exp, "alpha_max");
        let amax_diff = (fit.alpha_max() - amax).abs() / amax;
        assert!(
            amax_diff <= 1e-12,
            "{name}: alpha_max {} vs {amax}",
            fit.alpha_max()
        );
        assert_eq!(model.alpha_max_data(&data).unwrap(), fit.alpha_max());

        let coef = matrix(&exp["coef"]);
        let d = rel_diff(fit.coef(), coef.as_ref());
        assert!(d <= 1e-6, "{name}: coef differs by {d:.3e} (relative)");
        let scale = (0..coef.ncols())
            .flat_map(|k| coef.col(k).iter().copied().collect::<Vec<_>>())
            .fold(1.0f64, |m, v| m.max(v.abs()));
        let mut icpt_diff = 0.0f64;
        for (t, b) in exp["intercept"].as_array().unwrap().iter().enumerate() {
            let b = b.as_f64().unwrap();
            icpt_diff = icpt_diff.max((fit.intercept()[t] - b).abs() / scale.max(b.abs()));
        }
        assert!(
            icpt_diff <= 1e-6,
            "{name}: intercept differs by {icpt_diff:.3e}"
        );

        let obj = f(&exp, "objective");
        assert!(
            fit.objective() <= obj * (1.0 + 1e-10),
            "{name}: objective {} > sklearn {obj}",
            fit.objective()
        );
        // The tolerance scale is scikit-learn's ‖Ỹ‖²/n (weighted, centred).
        let y_scale = f(&exp, "y_scale");
        let our_scale = fit.certificate().tol() / 1e-14;
        assert!(
            (our_scale - y_scale).abs() <= 1e-12 * y_scale,
            "{name}: ‖Ỹ‖²/n"
        );

        let (sk_obj, sk_cert) = model.certify_data(&data, coef.as_ref()).unwrap();
        let sk_gap = f(&exp, "dual_gap");
        assert!(
            (sk_obj - obj).abs() <= 1e-12 * obj.max(1.0),
            "{name}: objective of sklearn's W: {sk_obj} vs {obj}"
        );
        let gap_diff = (sk_cert.value() - sk_gap).abs();
        assert!(
            gap_diff <= 1e-3 * sk_gap.abs() + 1e-13 * y_scale,
            "{name}: gap of sklearn's W {} vs its dual_gap_ {sk_gap}",
            sk_cert.value()
        );
        eprintln!(
            "{name}: alpha_max {amax_diff:.1e}, coef {d:.1e}, intercept {icpt_diff:.1e} \
             (relative); objective ours - sklearn {:.1e}; gap of sklearn's W: ours {:.2e} \
             vs dual_gap_ {sk_gap:.2e}; our gap {:.2e}",
            fit.objective() - obj,
            sk_cert.value(),
            fit.certificate().value()
        );
    }
}

/// The CLI's `--sample-weights` reads the fixture's weights.csv and fits what
/// the library fits.
#[test]
fn cli_sample_weights_match_the_library() {
    let dir = fixture_dirs()
        .into_iter()
        .find(|d| d.ends_with("t3_mten"))
        .unwrap();
    let exp: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let out = tempfile::tempdir().unwrap();
    assert_cmd::Command::cargo_bin("mtreg")
        .unwrap()
        .arg("solve")
        .arg("--x")
        .arg(dir.join("X.csv"))
        .arg("--y")
        .arg(dir.join("Y.csv"))
        .arg("--sample-weights")
        .arg(dir.join("weights.csv"))
        .args(["--alpha-ratio", &f(&exp, "alpha_ratio").to_string()])
        .args([
            "--l1-ratio",
            "0.5",
            "--tol",
            "1e-14",
            "--max-iter",
            "1000000",
        ])
        .arg("--out")
        .arg(out.path().join("coef.csv"))
        .arg("--model")
        .arg(out.path().join("model.json"))
        .assert()
        .success();
    // COEF.csv: feature,<tasks>, one row per feature
    let text = std::fs::read_to_string(out.path().join("coef.csv")).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').skip(1).map(|v| v.parse().unwrap()).collect())
        .collect();
    let coef = Mat::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j]);
    let d = rel_diff(coef.as_ref(), matrix(&exp["coef"]).as_ref());
    assert!(d <= 1e-6, "CLI coef differs by {d:.3e}");
    let model: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("model.json")).unwrap())
            .unwrap();
    assert_eq!(model["sample_weighted"], true);
    assert_eq!(model["model"], "multi_task_elastic_net");
    let fit = mtreg::Fit::load(&out.path().join("model.json")).unwrap();
    assert!(fit.description().sample_weighted);
}

/// Rows repeated `w_i` times (0 times: dropped).
fn repeated(m: &Mat<f64>, w: &[u32]) -> Mat<f64> {
    let rows: Vec<usize> = w
        .iter()
        .enumerate()
        .flat_map(|(i, &k)| std::iter::repeat_n(i, k as usize))
        .collect();
    Mat::from_fn(rows.len(), m.ncols(), |i, j| m[(rows[i], j)])
}

fn weights_strategy(n: usize) -> impl Strategy<Value = Vec<u32>> {
    proptest::collection::vec(0u32..4, n)
        .prop_filter("a positive weight", |w| w.iter().any(|&k| k > 0))
}

/// A problem, integer weights and a model configuration.
fn weighted_case()
-> impl Strategy<Value = (u64, usize, usize, usize, Vec<u32>, f64, f64, bool, bool)> {
    (any::<u64>(), 3usize..25, 1usize..12, 1usize..4).prop_flat_map(|(seed, n, p, t)| {
        (
            Just(seed),
            Just(n),
            Just(p),
            Just(t),
            weights_strategy(n),
            prop_oneof![Just(0.5), 0.05f64..0.9],
            prop_oneof![Just(1.0), Just(0.5), 0.1f64..1.0],
            any::<bool>(),
            any::<bool>(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Integer weights are repeated rows: the weighted solution is certified
    /// optimal on the repeated data with the same objective, and alpha_max and
    /// the tolerance scale agree (centring, standardisation, Gram or residual
    /// mode).
    #[test]
    fn integer_weights_equal_repeated_rows(
        (seed, n, p, t, w, ratio, rho, fit_intercept, standardize) in weighted_case()
    ) {
        let (x, y) = problem(seed, n, p, t, 2, 0.5);
        let (xr, yr) = (repeated(&x, &w), repeated(&y, &w));
        let wf: Vec<f64> = w.iter().map(|&k| f64::from(k)).collect();
        let data = Data::shared(&x, &y).sample_weights(&wf);
        let base = MultiTaskElasticNet::new(1.0)
            .l1_ratio(rho)
            .fit_intercept(fit_intercept)
            .standardize(standardize)
            .tol(1e-12)
            .max_iter(100_000);
        let amax_w = base.alpha_max_data(&data).unwrap();
        let amax_r = base.alpha_max_of(&xr, &yr).unwrap();
        prop_assert!((amax_w - amax_r).abs() <= 1e-10 * amax_r.max(1e-300), "{amax_w} vs {amax_r}");
        prop_assume!(amax_r > 1e-10);
        let model = base.alpha(ratio * amax_r);
        for gram in [mtreg::GramMode::Never, mtreg::GramMode::Always] {
            let fit = model.clone().gram(gram).fit_data(&data).unwrap();
            prop_assert!(fit.converged());
            let (obj, cert) = model.certify(&xr, &yr, fit.coef()).unwrap();
            // the weighted certificate holds on the repeated rows
            prop_assert!(cert.value() <= 2.0 * cert.tol() + 1e-13 * obj.abs(), "{cert} ({gram:?})");
            prop_assert!((obj - fit.objective()).abs() <= 1e-9 * obj.abs().max(1e-12), "{obj} vs {}", fit.objective());
            prop_assert!((fit.certificate().tol() - cert.tol()).abs() <= 1e-10 * cert.tol().max(1e-300));
            let rep = model.fit(&xr, &yr).unwrap();
            let scale = rep.coef().col_iter().flat_map(|c| c.iter().copied().collect::<Vec<_>>()).fold(1.0f64, |m, v| m.max(v.abs()));
            for k in 0..t {
                prop_assert!((fit.intercept()[k] - rep.intercept()[k]).abs() <= 1e-4 * scale.max(rep.intercept()[k].abs()));
            }
        }
    }

    /// The other shared-design models (task graph, pooled, learned relations,
    /// per-task designs with task weights) see integer weights as repeated
    /// rows too: the same coefficients (strongly convex: ρ < 1).
    #[test]
    fn integer_weights_equal_repeated_rows_in_every_model(
        (seed, n, p, t, w, ratio, _rho, fit_intercept, standardize) in weighted_case()
    ) {
        let (x, y) = problem(seed, n, p, t + 1, 2, 0.5);
        let (xr, yr) = (repeated(&x, &w), repeated(&y, &w));
        let wf: Vec<f64> = w.iter().map(|&k| f64::from(k)).collect();
        let amax = mtreg::alpha_max(&xr, &yr, 0.5, fit_intercept).unwrap();
        prop_assume!(amax > 1e-10);
        let alpha = ratio * amax;
        let tasks = t + 1;
        let check = |a: &mtreg::Fit, b: &mtreg::Fit, what: &str| -> Result<(), TestCaseError> {
            let d = rel_diff(a.coef(), b.coef());
            prop_assert!(d <= 1e-6, "{what}: coef differs by {d:.3e}");
            prop_assert!((a.alpha_max() - b.alpha_max()).abs() <= 1e-9 * b.alpha_max().max(1e-300), "{what}: alpha_max");
            Ok(())
        };
        let graph = GraphMultiTask::new(alpha)
            .l1_ratio(0.5)
            .graph(TaskGraph::chain(tasks))
            .fit_intercept(fit_intercept)
            .standardize(standardize)
            .tol(1e-12)
            .max_iter(200_000);
        let weighted = Data::shared(&x, &y).sample_weights(&wf);
        check(&graph.fit_data(&weighted).unwrap(), &graph.fit(&xr, &yr).unwrap(), "graph")?;
        let pooled = graph.clone().pooled(true);
        check(&pooled.fit_data(&weighted).unwrap(), &pooled.fit(&xr, &yr).unwrap(), "pooled")?;
        let relations = RelationLearning::new(alpha)
            .l1_ratio(0.5)
            .relation_strength(0.3)
            .fit_intercept(fit_intercept)
            .tol(1e-12)
            // the same alternations on both data: compare after a few
            .max_outer(8)
            .max_iter(200_000);
        let rw = relations.fit_data(&weighted).unwrap();
        let rr = relations.fit(&xr, &yr).unwrap();
        check(rw.fit(), rr.fit(), "relations")?;
        // task weights take the per-task route, with the same sample weights
        let cw: Vec<f64> = (0..tasks).map(|k| 1.0 + k as f64).collect();
        let elastic = MultiTaskElasticNet::new(alpha).fit_intercept(fit_intercept).tol(1e-12).max_iter(200_000);
        check(
            &elastic.fit_data(Data::shared(&x, &y).task_weights(&cw).sample_weights(&wf)).unwrap(),
            &elastic.fit_data(Data::shared(&xr, &yr).task_weights(&cw)).unwrap(),
            "task weights",
        )?;
        // per-task designs: task k's rows weighted, against its rows repeated
        let cols: Vec<Vec<f64>> = (0..tasks).map(|k| y.col(k).iter().copied().collect()).collect();
        let cols_r: Vec<Vec<f64>> = (0..tasks).map(|k| yr.col(k).iter().copied().collect()).collect();
        let xs: Vec<_> = (0..tasks).map(|_| x.as_ref()).collect();
        let xs_r: Vec<_> = (0..tasks).map(|_| xr.as_ref()).collect();
        let ys: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let ys_r: Vec<&[f64]> = cols_r.iter().map(Vec::as_slice).collect();
        let all: Vec<f64> = (0..tasks).flat_map(|_| wf.iter().copied()).collect();
        check(
            &elastic.fit_data(Data::tasks(&xs, &ys).sample_weights(&all)).unwrap(),
            &elastic.fit_data(Data::tasks(&xs_r, &ys_r)).unwrap(),
            "per-task designs",
        )?;
    }
}

/// Weights all equal (to anything) are no weights, to the bit: fits and
/// cross-validation curves.
#[test]
fn uniform_weights_change_nothing() {
    let (x, y) = problem(11, 40, 8, 3, 3, 0.5);
    let w = vec![2.5; 40];
    let model = MultiTaskLasso::new(0.05).tol(1e-10);
    let a = model.fit(&x, &y).unwrap();
    let b = model
        .fit_data(Data::shared(&x, &y).sample_weights(&w))
        .unwrap();
    assert_eq!(a.coef(), b.coef());
    assert_eq!(a.intercept(), b.intercept());
    let opts = CvOptions::default().grid(AlphaGrid::Auto {
        n_alphas: 8,
        eps: 1e-2,
    });
    let cva = model.cross_validate(&x, &y, &opts).unwrap();
    let cvb = model
        .cross_validate_data(Data::shared(&x, &y).sample_weights(&w), &opts)
        .unwrap();
    assert_eq!(cva.mse_path, cvb.mse_path);
    assert_eq!(cva.alphas, cvb.alphas);
}

/// Cross-validation with integer weights equals cross-validation of the
/// repeated rows when each sample's copies stay in its fold: the training
/// fits and the weighted held-out means are the same.
#[test]
fn weighted_cross_validation_equals_repeated_rows() {
    let (x, y) = problem(12, 30, 6, 2, 2, 0.3);
    let w: Vec<u32> = (0..30).map(|i| [1, 2, 0, 3][i % 4]).collect();
    let wf: Vec<f64> = w.iter().map(|&k| f64::from(k)).collect();
    let (xr, yr) = (repeated(&x, &w), repeated(&y, &w));
    let folds: Vec<Vec<usize>> = (0..3).map(|f| (f * 10..f * 10 + 10).collect()).collect();
    // where each original row's copies land in the repeated data
    let mut start = vec![0usize; 31];
    for i in 0..30 {
        start[i + 1] = start[i] + w[i] as usize;
    }
    let folds_r: Vec<Vec<usize>> = folds
        .iter()
        .map(|fold| fold.iter().flat_map(|&i| start[i]..start[i + 1]).collect())
        .collect();
    let grid = AlphaGrid::Auto {
        n_alphas: 6,
        eps: 1e-2,
    };
    let opts = |folds| {
        CvOptions::default()
            .grid(grid.clone())
            .test_folds(Some(folds))
    };
    let model = MultiTaskElasticNet::new(1.0).tol(1e-12).max_iter(100_000);
    let cw = model
        .cross_validate_data(Data::shared(&x, &y).sample_weights(&wf), &opts(folds))
        .unwrap();
    let cr = model.cross_validate(&xr, &yr, &opts(folds_r)).unwrap();
    for (a, b) in cw.alphas.iter().zip(&cr.alphas) {
        assert!((a - b).abs() <= 1e-12 * b);
    }
    let d = rel_diff(cw.mse_path.as_ref(), cr.mse_path.as_ref());
    assert!(d <= 1e-8, "held-out MSE differs by {d:.3e}");
    // the same alpha is chosen: the same position on grids equal to 1e-12
    // (the two routes sum XᵀY over other rows: the grids need not agree to
    // the bit)
    let at = |alphas: &[f64], a: f64| alphas.iter().position(|&v| v == a);
    assert_eq!(at(&cw.alphas, cw.alpha_min), at(&cr.alphas, cr.alpha_min));
    assert!(at(&cw.alphas, cw.alpha_min).is_some());
    assert!(rel_diff(cw.fit.coef(), cr.fit.coef()) <= 1e-6);
}

#[test]
fn bad_sample_weights_are_errors() {
    let (x, y) = problem(13, 6, 3, 2, 1, 0.0);
    let model = MultiTaskLasso::new(0.1);
    let fit = |w: &[f64]| model.fit_data(Data::shared(&x, &y).sample_weights(w));
    assert!(matches!(
        fit(&[1.0; 5]),
        Err(Error::ShapeMismatch {
            expected: 6,
            found: 5,
            ..
        })
    ));
    assert!(matches!(
        fit(&[1.0, 1.0, f64::NAN, 1.0, 1.0, 1.0]),
        Err(Error::NonFinite { row: 2, .. })
    ));
    assert!(matches!(
        fit(&[1.0, 1.0, -1.0, 1.0, 1.0, 1.0]),
        Err(Error::InvalidParameter {
            name: "sample weight",
            ..
        })
    ));
    assert!(matches!(
        fit(&[0.0; 6]),
        Err(Error::InvalidParameter { .. })
    ));
    let stats = SufficientStats::from_data(&x, &y).unwrap();
    assert!(matches!(
        model.fit_data(Data::stats(&stats).sample_weights(&[1.0; 6])),
        Err(Error::Incompatible(_))
    ));
    // per-task designs: Σ n_t weights
    let xs = [x.as_ref(), x.as_ref().subrows(0, 4)];
    let c0: Vec<f64> = y.col(0).iter().copied().collect();
    let ys: [&[f64]; 2] = [&c0, &c0[..4]];
    assert!(matches!(
        model.fit_data(Data::tasks(&xs, &ys).sample_weights(&[1.0; 6])),
        Err(Error::ShapeMismatch {
            expected: 10,
            found: 6,
            ..
        })
    ));
    assert!(
        model
            .fit_data(Data::tasks(&xs, &ys).sample_weights(&[1.0; 10]))
            .is_ok()
    );
    // a test fold whose weights are all 0 has no held-out error
    let mut w = vec![1.0; 6];
    w[0] = 0.0;
    w[1] = 0.0;
    let opts = CvOptions::default().test_folds(Some(vec![vec![0, 1], vec![2, 3, 4, 5]]));
    assert!(matches!(
        model.cross_validate_data(Data::shared(&x, &y).sample_weights(&w), &opts),
        Err(Error::InvalidParameter { .. })
    ));
}

/// Zero weights drop their rows.
#[test]
fn zero_weights_drop_rows() {
    let (x, y) = problem(14, 20, 5, 2, 2, 0.2);
    let w: Vec<f64> = (0..20)
        .map(|i| if i % 3 == 0 { 0.0 } else { 1.0 })
        .collect();
    let keep: Vec<u32> = w.iter().map(|&v| v as u32).collect();
    let model = MultiTaskElasticNet::new(0.05).tol(1e-12);
    let a = model
        .fit_data(Data::shared(&x, &y).sample_weights(&w))
        .unwrap();
    let b = model
        .fit(&repeated(&x, &keep), &repeated(&y, &keep))
        .unwrap();
    assert!(rel_diff(a.coef(), b.coef()) <= 1e-9);
}
