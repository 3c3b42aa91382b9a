//! Parity with scikit-learn 1.9.1 (`fixtures/make_fixtures.py`): coefficients,
//! intercepts, alpha_max, objective and the duality-gap formula itself.

use crate::common::rel_diff;
use faer::Mat;
use mtreg::MultiTaskElasticNet;
use mtreg::io::csv::{HeaderMode, ReadOptions, read_matrix};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn read(path: &Path) -> Mat<f64> {
    let opts = ReadOptions {
        header: HeaderMode::Absent,
        ..ReadOptions::default()
    };
    read_matrix(path, &opts).unwrap().data
}

fn matrix(v: &Value) -> Mat<f64> {
    let rows = v.as_array().unwrap();
    let ncols = rows[0].as_array().unwrap().len();
    Mat::from_fn(rows.len(), ncols, |i, j| rows[i][j].as_f64().unwrap())
}

fn f(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("missing {key}"))
}

#[test]
fn matches_scikit_learn_on_every_fixture() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixture_dir().join("parity"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 12,
        "expected at least 12 parity cases, found {}",
        cases.len()
    );
    for dir in cases {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let exp: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let x = read(&dir.join("X.csv"));
        let y = read(&dir.join("Y.csv"));
        let (alpha, rho) = (f(&exp, "alpha"), f(&exp, "l1_ratio"));
        let fit_intercept = exp["fit_intercept"].as_bool().unwrap();
        let model = MultiTaskElasticNet::new(alpha)
            .l1_ratio(rho)
            .fit_intercept(fit_intercept)
            .tol(1e-14)
            .max_iter(1_000_000);
        let fit = model.fit(&x, &y).unwrap();
        assert!(
            fit.converged(),
            "{name}: not converged: {}",
            fit.certificate()
        );

        let amax = f(&exp, "alpha_max");
        assert!(
            (fit.alpha_max() - amax).abs() <= 1e-12 * amax,
            "{name}: alpha_max {} vs {amax}",
            fit.alpha_max()
        );

        let coef = matrix(&exp["coef"]);
        let d = rel_diff(fit.coef(), coef.as_ref());
        assert!(d <= 1e-6, "{name}: coef differs by {d:.3e} (relative)");
        let scale = coef
            .col_iter()
            .flat_map(|c| c.iter().copied().collect::<Vec<_>>())
            .fold(1.0f64, |m, v| m.max(v.abs()));
        for (t, b) in exp["intercept"].as_array().unwrap().iter().enumerate() {
            let b = b.as_f64().unwrap();
            assert!(
                (fit.intercept()[t] - b).abs() <= 1e-6 * scale.max(b.abs()),
                "{name}: intercept {t}"
            );
        }

        // Our objective is never above scikit-learn's (1e-10 relative).
        let obj = f(&exp, "objective");
        assert!(
            fit.objective() <= obj * (1.0 + 1e-10),
            "{name}: objective {} > sklearn {obj}",
            fit.objective()
        );

        // Our gap formula, applied to scikit-learn's coefficients, gives
        // scikit-learn's dual_gap_ (up to the rounding in its incremental residuals).
        let (sk_obj, sk_cert) = model.certify(&x, &y, coef.as_ref()).unwrap();
        let sk_gap = f(&exp, "dual_gap");
        let y_scale = fit.certificate().tol() / 1e-14; // ‖Y‖²/n
        assert!(
            (sk_obj - obj).abs() <= 1e-12 * obj.max(1.0),
            "{name}: objective of sklearn's W: {sk_obj} vs {obj}"
        );
        assert!(
            (sk_cert.value() - sk_gap).abs() <= 1e-3 * sk_gap.abs() + 1e-13 * y_scale,
            "{name}: gap of sklearn's W {} vs its dual_gap_ {sk_gap}",
            sk_cert.value()
        );
    }
}

#[test]
fn demo_matches_scikit_learn() {
    let dir = fixture_dir().join("demo");
    let opts = ReadOptions::default();
    let x = read_matrix(&dir.join("X.csv"), &opts).unwrap();
    let y = read_matrix(&dir.join("Y.csv"), &opts).unwrap();
    assert_eq!(x.names.as_ref().unwrap()[0], "gene_00");
    let exp: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let fit = mtreg::MultiTaskLasso::new(f(&exp, "alpha"))
        .tol(1e-14)
        .max_iter(100_000)
        .fit(&x.data, &y.data)
        .unwrap();
    assert!(rel_diff(fit.coef(), matrix(&exp["coef"]).as_ref()) <= 1e-6);
    assert_eq!(
        fit.n_nonzero_rows() as u64,
        exp["nnz_rows"].as_u64().unwrap()
    );
}
