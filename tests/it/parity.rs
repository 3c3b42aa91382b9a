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

/// Graph-regularised and MTRL models against an independent convex solver
/// (cvxpy + Clarabel, `fixtures/make_graph_fixtures.py`): objectives to 1e-8
/// relative, same supports, coefficients to 1e-6 relative.
#[test]
fn graph_models_match_cvxpy() {
    use mtreg::io::csv::read_records;
    use mtreg::io::long::{LongOptions, read_long};
    use mtreg::penalty::{Sparsity, TaskGraph};
    use mtreg::{GraphMultiTask, RelationLearning};

    let root = fixture_dir().join("graph");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 6,
        "expected the cvxpy fixtures, found {}",
        cases.len()
    );
    for dir in cases {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let exp: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let data = read_long(&dir.join("long.csv"), &LongOptions::default()).unwrap();
        let names: Vec<String> = exp["task_names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(data.task_names, names, "{name}");
        let t = names.len();
        let index = |s: &str| names.iter().position(|n| n == s).unwrap();
        let edges: Vec<(usize, usize, f64)> = if dir.join("edges.csv").exists() {
            read_records(&dir.join("edges.csv"), &ReadOptions::default())
                .unwrap()
                .1
                .iter()
                .map(|(_, r)| (index(&r[0]), index(&r[1]), r[2].parse().unwrap()))
                .collect()
        } else {
            vec![]
        };
        let weights: Option<Vec<f64>> = dir.join("weights.csv").exists().then(|| {
            let mut w = vec![1.0; t];
            for (_, r) in read_records(&dir.join("weights.csv"), &ReadOptions::default())
                .unwrap()
                .1
            {
                w[index(&r[0])] = r[1].parse().unwrap();
            }
            w
        });
        let xs: Vec<_> = data.tasks.iter().map(|d| d.x.as_ref()).collect();
        let ys: Vec<&[f64]> = data.tasks.iter().map(|d| d.y.as_slice()).collect();
        let sparsity = if exp["penalty"] == "l1" {
            Sparsity::Entrywise
        } else {
            Sparsity::Group
        };
        let fit_intercept = exp["fit_intercept"].as_bool().unwrap();
        let (alpha, rho) = (f(&exp, "alpha"), f(&exp, "l1_ratio"));
        let reference = matrix(&exp["coef"]);
        let obj_ref = f(&exp, "objective");

        let fit = if exp["model"] == "mtrl" {
            // Fixture: α ρ Ω + λ1/2 ‖W‖² + λ2/2 tr(WΣ⁻¹Wᵀ). Ours ties λ1 = α'(1 − ρ'):
            // α' = αρ + λ1, ρ' = αρ / α'.
            let (l1w, lambda1) = (alpha * rho, f(&exp, "lambda1"));
            let rel = RelationLearning::new(l1w + lambda1)
                .l1_ratio(l1w / (l1w + lambda1))
                .relation_strength(f(&exp, "lambda2"))
                .fit_intercept(fit_intercept)
                .tol(1e-12)
                .max_iter(1_000_000)
                .max_outer(500)
                .outer_tol(1e-14)
                .fit_tasks(&xs, &ys, weights.as_deref())
                .unwrap();
            let last = *rel.objectives().last().unwrap();
            assert!(
                (last - obj_ref).abs() <= 1e-8 * obj_ref,
                "{name}: MTRL objective {last} vs {obj_ref}"
            );
            let sigma = matrix(&exp["sigma"]);
            assert!(
                rel_diff(rel.sigma(), sigma.as_ref()) <= 1e-5,
                "{name}: sigma {}",
                rel_diff(rel.sigma(), sigma.as_ref())
            );
            rel.fit().clone()
        } else {
            let model = GraphMultiTask::new(alpha)
                .l1_ratio(rho)
                .penalty(sparsity)
                .graph(TaskGraph::from_edges(t, &edges).unwrap())
                .graph_strength(f(&exp, "graph_strength"))
                .fit_intercept(fit_intercept)
                // KKT ≤ 1e-10·ρ·alpha_max: tight, yet above the rounding of
                // λ‖L‖ ≈ 3e4 in large_lambda.
                .tol(1e-10)
                .max_iter(1_000_000);
            let fit = model.fit_tasks(&xs, &ys, weights.as_deref()).unwrap();
            assert!(fit.converged(), "{name}: {}", fit.certificate());
            let obj = fit.objective();
            assert!(
                (obj - obj_ref).abs() <= 1e-8 * obj_ref,
                "{name}: objective {obj} vs cvxpy {obj_ref}"
            );
            if name.starts_with("shared") || name.starts_with("large") {
                // The same data as one shared design: the shared-design path agrees.
                let x = data.tasks[0].x.clone();
                let y = Mat::from_fn(x.nrows(), t, |i, k| data.tasks[k].y[i]);
                let shared = model.fit(&x, &y).unwrap();
                assert!(
                    (shared.objective() - obj).abs() <= 1e-10 * obj,
                    "{name}: shared path"
                );
                assert!(
                    rel_diff(shared.coef(), fit.coef()) <= 1e-6,
                    "{name}: shared path coef"
                );
            }
            if let Some(pooled_ref) = exp.get("pooled_coef") {
                let pooled = model
                    .clone()
                    .pooled(true)
                    .fit_tasks(&xs, &ys, weights.as_deref())
                    .unwrap();
                let po = f(&exp, "pooled_objective");
                assert!(
                    (pooled.objective() - po).abs() <= 1e-8 * po,
                    "{name}: pooled objective {} vs {po}",
                    pooled.objective()
                );
                let pr: Vec<f64> = pooled_ref
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect();
                let scale = pr.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for (j, v) in pr.iter().enumerate() {
                    assert!(
                        (pooled.coef()[(j, 0)] - v).abs() <= 1e-6 * scale,
                        "{name}: pooled coef {j}"
                    );
                }
            }
            fit
        };
        let d = rel_diff(fit.coef(), reference.as_ref());
        assert!(d <= 1e-6, "{name}: coef differs by {d:.3e}");
        // Positive-definite couplings (ridge or MTRL) also report a duality gap,
        // which must bound our distance to the reference optimum.
        if rho < 1.0 || exp["model"] == "mtrl" {
            let gap = fit
                .dual_gap()
                .unwrap_or_else(|| panic!("{name}: no duality gap"));
            assert!(gap >= -1e-12 * obj_ref, "{name}: negative gap {gap}");
            if exp["model"] != "mtrl" {
                // (For MTRL the gap is that of the last W-step, at fixed Σ.)
                let sub = fit.objective() - obj_ref;
                assert!(
                    gap >= sub - 1e-12 * obj_ref,
                    "{name}: gap {gap} < suboptimality {sub}"
                );
            }
            assert!(
                gap <= 1e-7 * obj_ref,
                "{name}: gap {gap} too large at a KKT-certified solution"
            );
        }
        // Same support (the reference's zeros are round-off below 1e-6 max|W|).
        let scale = reference
            .col_iter()
            .flat_map(|c| c.iter().copied().collect::<Vec<_>>())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        let support: Vec<(usize, usize)> = exp["support"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_u64().unwrap() as usize,
                    p[1].as_u64().unwrap() as usize,
                )
            })
            .collect();
        for j in 0..fit.coef().nrows() {
            for k in 0..t {
                let ours = fit.coef()[(j, k)].abs() > 1e-6 * scale;
                assert_eq!(
                    ours,
                    support.contains(&(j, k)),
                    "{name}: support at ({j}, {k})"
                );
            }
        }
    }
}

/// Paths and cross-validation against scikit-learn (`make_path_cv_fixtures.py`):
/// alphas, coefficients per alpha (1e-6), mse path (1e-6), the same alpha_.
#[test]
fn paths_and_cv_match_scikit_learn() {
    use mtreg::cv::CvOptions;
    use mtreg::path::AlphaGrid;

    let root = fixture_dir().join("path_cv");
    for case in ["path_mtl", "path_mten"] {
        let dir = root.join(case);
        let exp: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let (x, y) = (read(&dir.join("X.csv")), read(&dir.join("Y.csv")));
        let grid = AlphaGrid::Auto {
            n_alphas: exp["n_alphas"].as_u64().unwrap() as usize,
            eps: f(&exp, "eps"),
        };
        let path = MultiTaskElasticNet::new(1.0)
            .l1_ratio(f(&exp, "l1_ratio"))
            .tol(1e-13)
            .max_iter(1_000_000)
            .path(&x, &y, &grid)
            .unwrap();
        let alphas: Vec<f64> = exp["alphas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        for (a, b) in path.alphas.iter().zip(&alphas) {
            assert!((a - b).abs() <= 1e-12 * b, "{case}: alpha {a} vs {b}");
        }
        for (k, fit) in path.fits.iter().enumerate() {
            assert!(fit.converged(), "{case}: point {k}");
            let reference = matrix(&exp["coefs"][k]);
            let scale = reference
                .col_iter()
                .flat_map(|c| c.iter().copied().collect::<Vec<_>>())
                .fold(0.0f64, |m, v| m.max(v.abs()));
            let diff = crate::common::rel_diff(fit.coef(), reference.as_ref()) * scale.max(1e-300);
            // relative to the largest coefficient on the path point (absolute at alpha_max)
            assert!(
                diff <= 1e-6 * scale.max(1e-12),
                "{case}: point {k} differs by {diff:.3e}"
            );
            assert_eq!(
                fit.n_nonzero_rows() as u64,
                exp["nnz_rows"][k].as_u64().unwrap(),
                "{case}: nnz at point {k}"
            );
        }
    }
    for case in ["cv_mtl", "cv_mten", "cv_shuffle"] {
        let dir = root.join(case);
        let exp: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let (x, y) = (read(&dir.join("X.csv")), read(&dir.join("Y.csv")));
        let folds: Vec<Vec<usize>> = exp["fold_test_indices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                f.as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap() as usize)
                    .collect()
            })
            .collect();
        let opts = CvOptions::default().grid(AlphaGrid::Auto {
                n_alphas: exp["n_alphas"].as_u64().unwrap() as usize,
                eps: f(&exp, "eps"),
            }).// contiguous folds are ours by construction; the shuffled ones are given
            test_folds((case == "cv_shuffle").then(|| folds.clone())).folds(folds.len());
        let cv = MultiTaskElasticNet::new(1.0)
            .l1_ratio(f(&exp, "l1_ratio"))
            .tol(1e-12)
            .max_iter(1_000_000)
            .cross_validate(&x, &y, &opts)
            .unwrap();
        assert_eq!(cv.folds, folds, "{case}: folds");
        let mse = matrix(&exp["mse_path"]);
        let d = crate::common::rel_diff(cv.mse_path.as_ref(), mse.as_ref());
        assert!(d <= 1e-6, "{case}: mse path differs by {d:.3e}");
        let per_task = matrix(&exp["mse_per_task"]);
        assert!(
            crate::common::rel_diff(cv.mse_per_task.as_ref(), per_task.as_ref()) <= 1e-6,
            "{case}: per task"
        );
        for (i, se) in exp["mse_se"].as_array().unwrap().iter().enumerate() {
            let se = se.as_f64().unwrap();
            assert!(
                (cv.mse_se[i] - se).abs() <= 1e-6 * se.max(1e-12),
                "{case}: se {i}"
            );
        }
        assert!(
            (cv.alpha_min - f(&exp, "alpha_min")).abs() <= 1e-12 * cv.alpha_min,
            "{case}: alpha_min"
        );
        assert!(
            (cv.alpha_1se - f(&exp, "alpha_1se")).abs() <= 1e-12 * cv.alpha_1se,
            "{case}: alpha_1se"
        );
        let coef = matrix(&exp["coef"]);
        let scale = coef
            .col_iter()
            .flat_map(|c| c.iter().copied().collect::<Vec<_>>())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        let diff = crate::common::rel_diff(cv.fit.coef(), coef.as_ref()) * scale;
        assert!(
            diff <= 1e-6 * scale,
            "{case}: refit coef differs by {diff:.3e}"
        );
    }
}
