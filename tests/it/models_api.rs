//! Shared-representation models (issue 15) through the estimators: the
//! registered families (`trace`, `dirty`, `robust`, `clustered`), reduced-rank
//! regression, the complete and chain graphs, model grids and learned task
//! weights, fitted with the public API only.
//!
//! References: `fixtures/models/*.json` (no intercept; cvxpy + Clarabel,
//! refined in numpy) and `fixtures/models_api/*.json` (the same models with a
//! free intercept per task, from `fixtures/make_models_api_fixtures.py`).

use faer::Mat;
use mtreg::cv::{CvOptions, Select};
use mtreg::estimator::penalties::{Clustered, LowRank, OutlierTasks, SharedSpecific};
use mtreg::estimator::{GridPoint, WeightScheme};
use mtreg::fitted::TaskClusters;
use mtreg::io::model::ModelFile;
use mtreg::models::NoiseWeightOptions;
use mtreg::path::AlphaGrid;
use mtreg::penalty::{GroupNorm, TaskGraph};
use mtreg::problem::Data;
use mtreg::{Error, Fit, GraphMultiTask, MultiTaskLasso, ReducedRankRegression};
use serde_json::Value;

fn mat(v: &Value) -> Mat<f64> {
    let rows = v.as_array().unwrap();
    let ncols = rows.first().map_or(0, |r| r.as_array().unwrap().len());
    Mat::from_fn(rows.len(), ncols, |i, j| rows[i][j].as_f64().unwrap())
}

fn vecf(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn fixture(dir: &str, case: &str) -> Value {
    let path = format!("{}/fixtures/{dir}/{case}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn max_abs_diff(a: faer::MatRef<'_, f64>, b: faer::MatRef<'_, f64>) -> f64 {
    assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()));
    (a - b).norm_max()
}

/// A fixture's data: a shared design or per-task designs, and its weights.
struct Owned {
    x: Mat<f64>,
    y: Mat<f64>,
    xs: Vec<Mat<f64>>,
    ys: Vec<Vec<f64>>,
    c: Vec<f64>,
    shared: bool,
}

impl Owned {
    fn of(e: &Value) -> Self {
        let c = vecf(&e["task_weights"]);
        if e["design"] == "shared" {
            Self {
                x: mat(&e["x"]),
                y: mat(&e["y"]),
                xs: vec![],
                ys: vec![],
                c,
                shared: true,
            }
        } else {
            Self {
                x: Mat::new(),
                y: Mat::new(),
                xs: e["xs"].as_array().unwrap().iter().map(mat).collect(),
                ys: e["ys"].as_array().unwrap().iter().map(vecf).collect(),
                c,
                shared: false,
            }
        }
    }

    /// The data with their weights (none when all are 1).
    fn data(&self) -> Data<'_> {
        let w = (!self.c.iter().all(|&v| v == 1.0)).then_some(&self.c[..]);
        if self.shared {
            Data::shared(&self.x, &self.y).maybe_task_weights(w)
        } else {
            let xs: Vec<_> = self.xs.iter().map(|m| m.as_ref()).collect();
            let ys: Vec<&[f64]> = self.ys.iter().map(Vec::as_slice).collect();
            Data::tasks(xs, ys).maybe_task_weights(w)
        }
    }
}

/// The estimator's fit against a reference: objective within 1e-9
/// (relative), coefficients (and intercepts) within 1e-6, converged.
fn check(case: &str, fit: &Fit, e: &Value) {
    let obj = e["objective"].as_f64().unwrap();
    let rel = (fit.objective() - obj).abs() / obj.abs();
    let diff = max_abs_diff(fit.coef(), mat(&e["coef"]).as_ref());
    println!(
        "{case}: objective rel. diff {rel:.2e}, max |ΔW| {diff:.2e}, {} after {} iterations",
        fit.certificate(),
        fit.n_iter()
    );
    assert!(fit.converged(), "{case}: {}", fit.certificate());
    assert!(
        rel <= 1e-9,
        "{case}: objective {} vs {obj}",
        fit.objective()
    );
    assert!(diff <= 1e-6, "{case}: coef differs by {diff}");
    if e.get("intercept").is_some() {
        let b = vecf(&e["intercept"]);
        let db = fit
            .intercept()
            .iter()
            .zip(&b)
            .fold(0.0f64, |m, (u, v)| m.max((u - v).abs()));
        assert!(db <= 1e-6, "{case}: intercept differs by {db}");
    } else {
        assert!(fit.intercept().iter().all(|&b| b == 0.0));
    }
}

/// The family a fixture describes, and its alpha.
fn model_of(e: &Value) -> (GraphMultiTask, f64) {
    let icpt = e["fit_intercept"].as_bool().unwrap_or(false);
    let base = |alpha: f64| {
        GraphMultiTask::new(alpha)
            .fit_intercept(icpt)
            .tol(1e-15)
            .max_iter(200_000)
    };
    match e["model"].as_str().unwrap() {
        "trace" => {
            let alpha = e["alpha"].as_f64().unwrap();
            let rho = e["l1_ratio"].as_f64().unwrap();
            (base(alpha).l1_ratio(rho).penalty(LowRank), alpha)
        }
        "dirty" | "robust" => {
            let (a, b) = (
                e["alpha"].as_f64().unwrap(),
                e["alpha_specific"].as_f64().unwrap(),
            );
            let est = if e["model"] == "dirty" {
                let q = if e["group_norm"] == "linf" {
                    GroupNorm::LInf
                } else {
                    GroupNorm::L2
                };
                base(a).penalty(SharedSpecific::new(b / a, q))
            } else {
                base(a).penalty(OutlierTasks::new(b / a))
            };
            (est, a)
        }
        "cmtl" => {
            // c = ρ1 η (1 + η), η = ρ2/ρ1
            let (c, eta, k) = (
                e["strength"].as_f64().unwrap(),
                e["eta"].as_f64().unwrap(),
                e["k"].as_u64().unwrap() as usize,
            );
            let rho1 = c / (eta * (1.0 + eta));
            (base(rho1).penalty(Clustered::new(k, eta * rho1)), rho1)
        }
        m => panic!("no estimator for {m}"),
    }
}

/// Every whole-matrix model of the engine's fixtures (no intercept), and the
/// same models with an intercept per task (shared and per-task designs, task
/// weights), fitted through `GraphMultiTask` with a registered family: the
/// reference's objective, coefficients, intercepts and reported structure
/// (components, outlier tasks, M and its clusters, singular values).
#[test]
fn families_match_the_references_through_the_estimators() {
    let cases = [
        ("models", "trace_shared_l1"),
        ("models", "trace_shared_en"),
        ("models", "trace_per_task"),
        ("models", "dirty_linf"),
        ("models", "dirty_l2"),
        ("models", "robust"),
        ("models", "cmtl"),
        ("models", "cmtl_per_task"),
        ("models_api", "trace_icpt"),
        ("models_api", "trace_icpt_per_task"),
        ("models_api", "dirty_icpt"),
        ("models_api", "robust_icpt"),
        ("models_api", "cmtl_icpt"),
    ];
    for (dir, case) in cases {
        let e = fixture(dir, case);
        let owned = Owned::of(&e);
        let (est, alpha) = model_of(&e);
        let fit = est.fit_data(owned.data()).unwrap();
        check(case, &fit, &e);
        assert_eq!(fit.alpha(), alpha);
        let d = fit.description();
        match e["model"].as_str().unwrap() {
            "trace" => {
                assert_eq!(d.penalty, "trace");
                assert_eq!(fit.certificate().kind(), "dual_gap");
                for (a, b) in fit
                    .singular_values()
                    .unwrap()
                    .iter()
                    .zip(vecf(&e["singular_values"]))
                {
                    assert!((a - b).abs() <= 1e-6, "{case}: σ {a} vs {b}");
                }
                if e.get("alpha_max").is_some() {
                    let amax = e["alpha_max"].as_f64().unwrap();
                    assert!((fit.alpha_max() - amax).abs() <= 1e-12 * amax);
                }
            }
            "dirty" | "robust" => {
                let parts = fit.components().expect("components");
                assert_eq!(parts.names(), ["shared", "specific"]);
                let (p, q) = (parts.get("shared").unwrap(), parts.get("specific").unwrap());
                assert!(max_abs_diff(p, mat(&e["P"]).as_ref()) <= 1e-6, "{case}: P");
                assert!(max_abs_diff(q, mat(&e["Q"]).as_ref()) <= 1e-6, "{case}: Q");
                assert!(max_abs_diff((p + q).as_ref(), fit.coef()) <= 1e-12);
                if e["model"] == "robust" {
                    let want: Vec<usize> = e["outlier_tasks"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_u64().unwrap() as usize)
                        .collect();
                    assert_eq!(fit.outlier_tasks(), want, "{case}");
                } else {
                    assert!(d.group_norm.is_some());
                }
                let ratio = e["alpha_specific"].as_f64().unwrap() / alpha;
                assert_eq!(d.alpha_specific_ratio, Some(ratio));
            }
            "cmtl" => {
                let c = fit.task_clusters().expect("clusters");
                let m = mat(&e["M"]);
                assert!(max_abs_diff(c.matrix(), m.as_ref()) <= 1e-6, "{case}: M");
                assert!(fit.alpha_max().is_infinite());
                // the fixtures' tasks alternate between two clusters
                if e["k"] == 2 {
                    let want: Vec<usize> = (0..c.labels().len()).map(|t| t % 2).collect();
                    assert_eq!(c.labels(), want, "{case}");
                }
            }
            _ => unreachable!(),
        }
    }
}

/// Reduced-rank regression through its estimator (the engine's fixtures,
/// ridge and task weights), and with an intercept: the fit on offset data
/// equals the fit without intercept on the centred data, intercept
/// `ȳ − x̄ᵀW`.
#[test]
fn reduced_rank_regression_through_the_estimator() {
    for case in ["rrr_ridge", "rrr_weights"] {
        let e = fixture("models", case);
        let owned = Owned::of(&e);
        let (k, l2) = (
            e["rank"].as_u64().unwrap() as usize,
            e["l2"].as_f64().unwrap(),
        );
        let fit = ReducedRankRegression::new(k)
            .ridge(l2)
            .fit_intercept(false)
            .fit_data(owned.data())
            .unwrap();
        check(case, &fit, &e);
        assert_eq!(fit.rank().unwrap(), k);
        assert_eq!(fit.description().kind, "reduced_rank");
        assert_eq!(fit.description().rank, Some(k));
        assert_eq!(fit.certificate().kind(), "kkt");
        assert!(fit.kkt_residual() < 1e-12);

        // intercept: shift X's columns and Y's tasks
        let (x, y) = (&owned.x, &owned.y);
        let (n, p, t) = (x.nrows(), x.ncols(), y.ncols());
        let xs = Mat::from_fn(n, p, |i, j| x[(i, j)] + 2.0 + j as f64);
        let ys = Mat::from_fn(n, t, |i, c| y[(i, c)] - 3.0 * c as f64);
        let mean = |m: &Mat<f64>, j: usize| (0..n).map(|i| m[(i, j)]).sum::<f64>() / n as f64;
        let xc = Mat::from_fn(n, p, |i, j| xs[(i, j)] - mean(&xs, j));
        let yc = Mat::from_fn(n, t, |i, c| ys[(i, c)] - mean(&ys, c));
        let w = (!owned.c.iter().all(|&v| v == 1.0)).then_some(&owned.c[..]);
        let with = ReducedRankRegression::new(k)
            .ridge(l2)
            .fit_data(Data::shared(&xs, &ys).maybe_task_weights(w))
            .unwrap();
        let centred = ReducedRankRegression::new(k)
            .ridge(l2)
            .fit_intercept(false)
            .fit_data(Data::shared(&xc, &yc).maybe_task_weights(w))
            .unwrap();
        assert!(max_abs_diff(with.coef(), centred.coef()) < 1e-10);
        for c in 0..t {
            let b = mean(&ys, c)
                - (0..p)
                    .map(|j| mean(&xs, j) * with.coef()[(j, c)])
                    .sum::<f64>();
            assert!((with.intercept()[c] - b).abs() < 1e-9);
        }
    }
}

/// MALSAR's Least_TGL and Evgeniou & Pontil's mean-regularised MTL through
/// `GraphMultiTask`: the chain graph and the complete graph with the
/// documented parameter mappings (docs/models.md); the complete graph's fit
/// reports the mean and the deviations (`W = w̄ 1ᵀ + V`) and Evgeniou &
/// Pontil's `w0 = λ1 w̄ / (λ1 + λ2)`.
#[test]
fn chain_and_complete_graphs_through_the_estimator() {
    // TGL: c_t = n_t, alpha = ρ3 + 2ρ1, l1_ratio = ρ3 / alpha, λ = 2ρ2
    let e = fixture("models", "tgl");
    let mut owned = Owned::of(&e);
    owned.c = owned.ys.iter().map(|y| y.len() as f64).collect();
    let m = &e["malsar"];
    let (r1, r2, r3) = (
        m["rho1"].as_f64().unwrap(),
        m["rho2"].as_f64().unwrap(),
        m["rho3"].as_f64().unwrap(),
    );
    let alpha = r3 + 2.0 * r1;
    let t = owned.ys.len();
    let fit = GraphMultiTask::new(alpha)
        .l1_ratio(r3 / alpha)
        .graph(TaskGraph::chain(t))
        .graph_strength(2.0 * r2)
        .fit_intercept(false)
        .tol(1e-13)
        .max_iter(100_000)
        .fit_data(owned.data())
        .unwrap();
    check("tgl", &fit, &e);

    // mean-regularised: ridge 2a, graph strength 2b on the complete graph
    let e = fixture("models", "meanreg");
    let owned = Owned::of(&e);
    let (l1, l2, mu) = (
        e["lam1"].as_f64().unwrap(),
        e["lam2"].as_f64().unwrap(),
        e["mu"].as_f64().unwrap(),
    );
    let t = owned.ys.len();
    let tf = t as f64;
    let (a, b) = (l1 * l2 / ((l1 + l2) * tf), l1 * l1 / ((l1 + l2) * tf));
    let alpha = mu + 2.0 * a;
    let fit = GraphMultiTask::new(alpha)
        .l1_ratio(mu / alpha)
        .graph(TaskGraph::complete(t))
        .graph_strength(2.0 * b)
        .fit_intercept(false)
        .tol(1e-13)
        .max_iter(100_000)
        .fit_data(owned.data())
        .unwrap();
    check("meanreg", &fit, &e);
    let parts = fit.components().expect("mean and deviations");
    assert_eq!(parts.names(), ["mean", "deviation"]);
    let (mean, dev) = (parts.get("mean").unwrap(), parts.get("deviation").unwrap());
    let w0 = vecf(&e["w0"]);
    for j in 0..mean.nrows() {
        assert!(
            (l1 * mean[(j, 0)] / (l1 + l2) - w0[j]).abs() < 1e-6,
            "w0[{j}]"
        );
        for k in 0..t {
            assert_eq!(mean[(j, k)], mean[(j, 0)]);
            assert!((dev[(j, k)] + mean[(j, k)] - fit.coef()[(j, k)]).abs() < 1e-14);
        }
        let dsum: f64 = (0..t).map(|k| dev[(j, k)]).sum();
        assert!(dsum.abs() < 1e-12);
    }
    // MODEL.json names the complete graph instead of listing its edges
    let file = ModelFile::from_fit(&fit);
    assert_eq!(file.graph.as_deref(), Some("complete"));
    assert!(file.edges.is_none());
    let back = file.to_fit().unwrap();
    assert_eq!(back.description(), fit.description());
}

fn low_rank_data(seed: u64) -> (Mat<f64>, Mat<f64>) {
    let g = mtreg::generate::StructuredTasks::new(vec![120; 6], 15)
        .structure(mtreg::generate::TaskStructure::LowRank { rank: 2 })
        .n_informative(8)
        .shared_design(true)
        .noise(0.5)
        .seed(seed)
        .generate()
        .unwrap();
    let x = g.xs[0].clone();
    let y = Mat::from_fn(x.nrows(), 6, |i, t| g.ys[t][i]);
    (x, y)
}

/// alpha_max is exact for the registered families (W = 0 at alpha_max, not
/// just below); a warm-started path equals cold fits and needs fewer
/// iterations (the Lipschitz estimate and the iterate carried along).
#[test]
fn alpha_max_and_warm_started_paths() {
    let (x, y) = low_rank_data(5);
    let models = [
        GraphMultiTask::new(1.0).penalty(LowRank),
        GraphMultiTask::new(1.0).penalty(LowRank).l1_ratio(0.5),
        GraphMultiTask::new(1.0).penalty(SharedSpecific::new(0.4, GroupNorm::LInf)),
        GraphMultiTask::new(1.0).penalty(SharedSpecific::new(0.5, GroupNorm::L2)),
        GraphMultiTask::new(1.0).penalty(OutlierTasks::new(1.5)),
    ];
    for model in models {
        let model = model.tol(1e-9).max_iter(100_000);
        let amax = model.alpha_max_of(&x, &y).unwrap();
        let at = model.clone().alpha(amax).fit(&x, &y).unwrap();
        assert_eq!(at.n_nonzero_rows(), 0);
        let below = model.clone().alpha(0.999 * amax).fit(&x, &y).unwrap();
        assert!(
            below.n_nonzero_rows() > 0,
            "{:?}",
            below.description().penalty
        );
        let grid = AlphaGrid::Auto {
            n_alphas: 8,
            eps: 0.05,
        };
        // the same stopping rule as the cold fits (scikit-learn's tol; the
        // default relative rule of paths is tighter at small alphas)
        let path = model
            .clone()
            .path_tol(mtreg::path::PathTol::Sklearn)
            .path(&x, &y, &grid)
            .unwrap();
        let mut cold_iters = 0;
        for (alpha, warm) in path.alphas.iter().zip(&path.fits) {
            assert!(warm.converged());
            let cold = model.clone().alpha(*alpha).fit(&x, &y).unwrap();
            cold_iters += cold.n_iter();
            // both within their gaps of the optimum
            let slack = warm.certificate().value() + cold.certificate().value();
            assert!((warm.objective() - cold.objective()).abs() <= slack + 1e-12);
        }
        let warm_iters: usize = path.fits.iter().map(Fit::n_iter).sum();
        println!(
            "{}: path {warm_iters} iterations, cold fits {cold_iters}",
            path.fits[0].description().penalty
        );
        assert!(warm_iters < cold_iters, "{warm_iters} vs {cold_iters}");
    }
}

/// β → ∞: the robust model is the multi-task Lasso (Q = 0), through the
/// estimators.
#[test]
fn robust_with_a_huge_specific_weight_is_the_multi_task_lasso() {
    let (x, y) = low_rank_data(6);
    let alpha = 0.2 * mtreg::alpha_max(&x, &y, 1.0, true).unwrap();
    let robust = GraphMultiTask::new(alpha)
        .penalty(OutlierTasks::new(1e6))
        .tol(1e-12)
        .max_iter(100_000)
        .fit(&x, &y)
        .unwrap();
    let lasso = MultiTaskLasso::new(alpha).tol(1e-12).fit(&x, &y).unwrap();
    assert!(max_abs_diff(robust.coef(), lasso.coef()) < 1e-6);
    assert!(robust.outlier_tasks().is_empty());
    assert!((robust.objective() - lasso.objective()).abs() < 1e-9 * lasso.objective());
}

/// Components, clusters, rank and the family's parameters survive MODEL.json
/// (`Fit::save` / `Fit::load`): the description is equal and the
/// predictions identical.
#[test]
fn components_and_clusters_round_trip_through_model_json() {
    let (x, y) = low_rank_data(7);
    let dir = tempfile::tempdir().unwrap();
    let fits = [
        GraphMultiTask::new(0.05)
            .penalty(SharedSpecific::new(0.5, GroupNorm::L2))
            .fit(&x, &y)
            .unwrap(),
        GraphMultiTask::new(0.1)
            .penalty(OutlierTasks::new(2.0))
            .fit(&x, &y)
            .unwrap(),
        GraphMultiTask::new(1.0)
            .penalty(Clustered::new(2, 0.1))
            .fit(&x, &y)
            .unwrap(),
        GraphMultiTask::new(0.1)
            .penalty(LowRank)
            .fit(&x, &y)
            .unwrap(),
        ReducedRankRegression::new(2).fit(&x, &y).unwrap(),
        GraphMultiTask::new(0.05)
            .graph(TaskGraph::complete(6))
            .graph_strength(3.0)
            .fit(&x, &y)
            .unwrap(),
    ];
    for (i, fit) in fits.iter().enumerate() {
        let path = dir.path().join(format!("m{i}.json"));
        fit.save(&path).unwrap();
        let back = Fit::load(&path).unwrap();
        assert_eq!(back.description(), fit.description(), "{i}");
        assert_eq!(back.components(), fit.components(), "{i}");
        assert_eq!(back.task_clusters(), fit.task_clusters(), "{i}");
        assert_eq!(back.predict(&x).unwrap(), fit.predict(&x).unwrap());
        assert_eq!(back.alpha_max(), fit.alpha_max());
        // the file written again is the same
        assert_eq!(ModelFile::from_fit(&back), ModelFile::from_fit(fit), "{i}");
    }
    let file = ModelFile::from_fit(&fits[3]);
    assert_eq!(file.rank, Some(fits[3].rank().unwrap()));
    assert!(file.singular_values.is_some());
    let cmtl = ModelFile::from_fit(&fits[2]);
    assert_eq!(cmtl.n_clusters, Some(2));
    assert_eq!(cmtl.cluster_ridge, Some(0.1));
    assert!(cmtl.clusters.is_some() && cmtl.cluster_matrix.is_some());
    // a JSON with an infinite alpha_max reads back as infinity (null)
    assert!(cmtl.to_json().contains("\"alpha_max\": null"));
    // an inconsistent component is refused
    let mut bad = ModelFile::from_fit(&fits[0]);
    bad.components.as_mut().unwrap()[1].coef.pop();
    assert!(matches!(bad.to_fit(), Err(Error::Incompatible(_))));
}

/// Cross-validation over ranks: the curve is the held-out MSE of each rank's
/// closed form on the same folds as any other CV; the low-rank truth is
/// found, the 1-SE rule picks the smallest rank within one standard error.
#[test]
fn cross_validation_over_ranks() {
    let (x, y) = low_rank_data(8);
    let opts = CvOptions::default().folds(4);
    let est = ReducedRankRegression::new(1);
    let cv = est
        .cross_validate_ranks(&x, &y, &[4, 1, 2, 3, 6], &opts)
        .unwrap();
    assert_eq!(cv.ranks, [1, 2, 3, 4, 6]);
    assert_eq!(cv.rank, cv.rank_min);
    assert_eq!(cv.rank_min, 2, "{:?}", cv.mse_mean);
    assert!(cv.rank_1se <= cv.rank_min);
    assert_eq!(cv.fit.rank().unwrap(), 2);
    // fold 0, rank 3, by hand
    let test = &cv.folds[0];
    let train: Vec<usize> = (0..x.nrows()).filter(|i| !test.contains(i)).collect();
    let rows =
        |m: &Mat<f64>, idx: &[usize]| Mat::from_fn(idx.len(), m.ncols(), |i, j| m[(idx[i], j)]);
    let fit = ReducedRankRegression::new(3)
        .fit(&rows(&x, &train), &rows(&y, &train))
        .unwrap();
    let pred = fit.predict(&rows(&x, test)).unwrap();
    let yt = rows(&y, test);
    let mse = (&pred - &yt).squared_norm_l2() / (yt.nrows() * yt.ncols()) as f64;
    assert!((cv.mse_path[(2, 0)] - mse).abs() < 1e-12 * mse);
    let one_se = est
        .cross_validate_ranks(
            &x,
            &y,
            &[1, 2, 3, 4, 6],
            &opts.clone().select(Select::OneSe),
        )
        .unwrap();
    assert_eq!(one_se.rank, one_se.rank_1se);
    // every rank through Model::cross_validate
    let all = est.cross_validate(&x, &y, &CvOptions::default()).unwrap();
    assert_eq!(all.ranks, (1..=6).collect::<Vec<_>>());
}

/// A model grid (dirty at several β/α ratios, robust) is scored on the same
/// folds and alphas as the single cross-validation of each point: its curves
/// equal theirs, the best point is the smallest error, the refit is that
/// point's. Runs on two threads (results do not depend on it).
#[test]
fn grid_cross_validation_equals_each_points_own() {
    let (x, y) = low_rank_data(9);
    let est = GraphMultiTask::new(1.0).tol(1e-8).max_iter(20_000);
    let points = vec![
        GridPoint::penalty(SharedSpecific::new(0.3, GroupNorm::LInf)),
        GridPoint::penalty(SharedSpecific::new(0.7, GroupNorm::LInf)),
        GridPoint::penalty(OutlierTasks::new(1.0)),
        GridPoint::penalty(LowRank),
    ];
    let alphas: Vec<f64> = vec![2.0, 0.8, 0.3, 0.1, 0.03];
    let opts = CvOptions::default()
        .folds(3)
        .grid(AlphaGrid::Explicit(alphas.clone()))
        .threads(2);
    let g = est
        .cross_validate_grid(Data::shared(&x, &y), &points, &opts)
        .unwrap();
    for (i, point) in points.iter().enumerate() {
        let own = est
            .clone()
            .penalty(point.penalty.clone().unwrap())
            .cross_validate(&x, &y, &opts)
            .unwrap();
        for (a, b) in g.curves[i].mse_mean.iter().zip(&own.mse_mean) {
            assert!((a - b).abs() <= 1e-9 * b, "point {i}: {a} vs {b}");
        }
    }
    let best = mtreg::cv::best_point(g.curves.iter().map(|c| c.min_mse()));
    assert_eq!(g.best, best);
    assert_eq!(g.cv.alpha, g.curves[best].alpha_min);
    let name = &g.cv.fit.description().penalty;
    assert_eq!(
        name,
        ["dirty", "dirty", "robust", "trace"][best],
        "the refit is the best point's"
    );
    // sample weights reach every fold and the refit: a one-point grid with
    // sample weights equals that point's own weighted cross-validation
    let sw: Vec<f64> = (0..x.nrows()).map(|i| 0.5 + (i % 3) as f64).collect();
    let g = est
        .cross_validate_grid(
            Data::shared(&x, &y).sample_weights(&sw),
            &points[..1],
            &opts,
        )
        .unwrap();
    let own = est
        .clone()
        .penalty(points[0].penalty.clone().unwrap())
        .cross_validate_data(Data::shared(&x, &y).sample_weights(&sw), &opts)
        .unwrap();
    for (a, b) in g.curves[0].mse_mean.iter().zip(&own.mse_mean) {
        assert!((a - b).abs() <= 1e-9 * b, "sample weights: {a} vs {b}");
    }
    assert!(g.cv.fit.description().sample_weighted);
    assert!(matches!(
        est.fit_noise_weighted(
            Data::shared(&x, &y).sample_weights(&sw),
            &NoiseWeightOptions::default()
        ),
        Err(Error::Incompatible(_))
    ));
    // weights are refused on the data (the points carry them)
    let w = [1.0; 6];
    assert!(matches!(
        est.cross_validate_grid(Data::shared(&x, &y).task_weights(&w), &points, &opts),
        Err(Error::Incompatible(_))
    ));
}

/// Weight schemes: their values (normalised to mean 1), and a grid over
/// them on per-task data: a `Given` point equals the plain cross-validation
/// of the data with those weights (same per-task folds), all points are
/// scored by the unweighted held-out MSE.
#[test]
fn task_weight_schemes_and_their_grid() {
    let g = mtreg::generate::StructuredTasks::new(vec![60, 90, 75], 8)
        .task_noise(vec![0.3, 1.0, 3.0])
        .seed(4)
        .generate()
        .unwrap();
    let xs: Vec<_> = g.xs.iter().map(|m| m.as_ref()).collect();
    let ys: Vec<&[f64]> = g.ys.iter().map(Vec::as_slice).collect();
    let data = Data::tasks(&xs, &ys);
    let inv_n = WeightScheme::InverseSamples
        .weights(&data)
        .unwrap()
        .unwrap();
    let want: Vec<f64> = [60.0, 90.0, 75.0].iter().map(|n| 1.0 / n).collect();
    let m = want.iter().sum::<f64>() / 3.0;
    for (a, b) in inv_n.iter().zip(&want) {
        assert!((a - b / m).abs() < 1e-15);
    }
    let inv_var = WeightScheme::InverseVariance
        .weights(&data)
        .unwrap()
        .unwrap();
    assert!((inv_var.iter().sum::<f64>() - 3.0).abs() < 1e-12);
    assert!(WeightScheme::Uniform.weights(&data).unwrap().is_none());
    let given = vec![2.0, 1.0, 0.5];
    let points = vec![
        GridPoint::weights(WeightScheme::Uniform),
        GridPoint::weights(WeightScheme::InverseVariance),
        GridPoint::weights(WeightScheme::Given {
            name: "w.csv".into(),
            weights: given.clone(),
        }),
    ];
    let alphas = vec![0.5, 0.1, 0.02];
    let opts = CvOptions::default()
        .folds(3)
        .grid(AlphaGrid::Explicit(alphas));
    let est = GraphMultiTask::new(1.0).tol(1e-10);
    let grid = est
        .cross_validate_grid(data.clone(), &points, &opts)
        .unwrap();
    let norm: Vec<f64> = given.iter().map(|w| w * 3.0 / 3.5).collect();
    let own = est
        .cross_validate_data(data.clone().task_weights(&norm), &opts)
        .unwrap();
    for (a, b) in grid.curves[2].mse_mean.iter().zip(&own.mse_mean) {
        assert!((a - b).abs() <= 1e-10 * b, "{a} vs {b}");
    }
    let uniform = est.cross_validate_data(data.clone(), &opts).unwrap();
    for (a, b) in grid.curves[0].mse_mean.iter().zip(&uniform.mse_mean) {
        assert!((a - b).abs() <= 1e-10 * b);
    }
    let scheme = grid.cv.fit.description().task_weight_scheme.clone();
    assert_eq!(
        scheme.as_deref(),
        Some(["uniform", "inverse_variance", "w.csv"][grid.best])
    );
}

/// `--task-weights auto`: four tasks with noise σ = 0.5, 1, 2, 4 (400
/// samples each): the learned variances are within 15 % of σ², the weights
/// are ∝ 1/σ̂² (normalised: mean 1), the report is honest (alternations,
/// inner iterations, converged only with the outer criterion); without
/// intercept nor normalisation the estimator's alternation is the engine's
/// (`models::noise_weights_per_task`).
#[test]
fn learned_task_weights_recover_the_noise_levels() {
    let sd = [0.5, 1.0, 2.0, 4.0];
    let g = mtreg::generate::StructuredTasks::new(vec![400; 4], 10)
        .n_informative(3)
        .task_noise(sd.to_vec())
        .seed(8)
        .generate()
        .unwrap();
    let xs: Vec<_> = g.xs.iter().map(|m| m.as_ref()).collect();
    let ys: Vec<&[f64]> = g.ys.iter().map(Vec::as_slice).collect();
    let (engine, _) = mtreg::models::noise_weights_per_task(
        &g.xs,
        &g.ys,
        &mtreg::penalty::L21::new(0.01, 1.0),
        &mtreg::solver::SolverOptions::default(),
        1e-12,
        &NoiseWeightOptions::default(),
    )
    .unwrap();
    let ours = GraphMultiTask::new(0.01)
        .fit_intercept(false)
        .tol(1e-12)
        .fit_noise_weighted(Data::tasks(&xs, &ys), &NoiseWeightOptions::default())
        .unwrap();
    let auto = ours.description().auto_weights.clone().unwrap();
    assert_eq!(auto.alternations, engine.n_iter);
    for (a, b) in auto.sigma2.iter().zip(&engine.sigma2) {
        assert!((a / b - 1.0).abs() < 1e-8, "{a} vs {b}");
    }
    let est = GraphMultiTask::new(0.01).tol(1e-8);
    for normalize in [false, true] {
        let opts = NoiseWeightOptions {
            normalize,
            ..NoiseWeightOptions::default()
        };
        let fit = est
            .fit_noise_weighted(Data::tasks(&xs, &ys), &opts)
            .unwrap();
        let d = fit.description();
        let auto = d.auto_weights.as_ref().unwrap();
        assert!(auto.converged && auto.alternations >= 2);
        assert!(auto.inner_iterations >= auto.alternations);
        assert_eq!(auto.objectives.len(), auto.alternations);
        for (s2, s) in auto.sigma2.iter().zip(sd) {
            assert!((s2 / (s * s) - 1.0).abs() < 0.15, "{s2} vs {}", s * s);
        }
        let w = d.task_weights.as_ref().unwrap();
        let ratio: Vec<f64> = w.iter().zip(&auto.sigma2).map(|(w, s2)| w * s2).collect();
        for r in &ratio {
            assert!((r / ratio[0] - 1.0).abs() < 1e-5, "{ratio:?}");
        }
        if normalize {
            assert!((w.iter().sum::<f64>() / 4.0 - 1.0).abs() < 1e-5);
        } else {
            assert!((ratio[0] - 1.0).abs() < 1e-5);
            // J never increases (up to the W-step tolerance)
            for p in auto.objectives.windows(2) {
                assert!(p[1] <= p[0] + 1e-6 * p[0].abs(), "{:?}", auto.objectives);
            }
        }
        assert_eq!(d.task_weight_scheme.as_deref(), Some("auto"));
        // not converged when the outer criterion cannot hold in one alternation
        let one = NoiseWeightOptions {
            max_iter: 1,
            ..opts
        };
        let fit = est.fit_noise_weighted(Data::tasks(&xs, &ys), &one).unwrap();
        let auto = fit.description().auto_weights.clone().unwrap();
        assert!(!auto.converged && auto.alternations == 1);
    }
}

/// What does not combine is refused with `Incompatible` (or a parameter
/// error), never silently replaced.
#[test]
fn refusals() {
    let (x, y) = low_rank_data(10);
    let inc = |r: mtreg::Result<Fit>| matches!(r, Err(Error::Incompatible(_)));
    // no ridge part in the split models, no sparsity part in CMTL
    assert!(inc(GraphMultiTask::new(0.1)
        .penalty(SharedSpecific::new(0.5, GroupNorm::L2))
        .l1_ratio(0.5)
        .fit(&x, &y)));
    assert!(inc(GraphMultiTask::new(0.1)
        .penalty(Clustered::new(2, 0.1))
        .l1_ratio(0.5)
        .fit(&x, &y)));
    // a graph or pooling needs an elastic-type penalty
    assert!(inc(GraphMultiTask::new(0.1)
        .penalty(LowRank)
        .graph(TaskGraph::chain(6))
        .graph_strength(1.0)
        .fit(&x, &y)));
    assert!(inc(GraphMultiTask::new(0.1)
        .penalty(OutlierTasks::new(1.0))
        .pooled(true)
        .fit(&x, &y)));
    // CMTL has no alpha_max: a relative grid is refused, explicit alphas work
    let cmtl = GraphMultiTask::new(1.0).penalty(Clustered::new(2, 0.1));
    assert!(matches!(
        cmtl.path(&x, &y, &AlphaGrid::default()),
        Err(Error::Incompatible(_))
    ));
    assert!(matches!(
        cmtl.cross_validate(&x, &y, &CvOptions::default()),
        Err(Error::Incompatible(_))
    ));
    let path = cmtl
        .path(&x, &y, &AlphaGrid::Explicit(vec![1.0, 0.1]))
        .unwrap();
    assert_eq!(path.fits.len(), 2);
    // more clusters than tasks, a bad ratio
    assert!(
        GraphMultiTask::new(1.0)
            .penalty(Clustered::new(7, 0.1))
            .fit(&x, &y)
            .is_err()
    );
    assert!(matches!(
        GraphMultiTask::new(1.0)
            .penalty(OutlierTasks::new(-1.0))
            .fit(&x, &y),
        Err(Error::InvalidParameter { .. })
    ));
    // reduced rank: shared samples only, rank ≥ 1
    let xs = [x.as_ref(), x.as_ref()];
    let y0: Vec<f64> = (0..x.nrows()).map(|i| y[(i, 0)]).collect();
    let ys: [&[f64]; 2] = [&y0, &y0];
    assert!(inc(
        ReducedRankRegression::new(1).fit_data(Data::tasks(&xs[..], &ys[..]))
    ));
    let stats = mtreg::SufficientStats::from_data(&x, &y).unwrap();
    assert!(inc(ReducedRankRegression::new(1).fit_stats(&stats)));
    assert!(ReducedRankRegression::new(0).fit(&x, &y).is_err());
    assert!(inc(ReducedRankRegression::new(1)
        .gram(mtreg::GramMode::Always)
        .fit(&x, &y)));
}

/// The clusters of a clustered fit follow M: from the fit's own M, the
/// labels are recomputed identically.
#[test]
fn cluster_labels_follow_m() {
    let g = mtreg::generate::StructuredTasks::new(vec![80; 6], 6)
        .structure(mtreg::generate::TaskStructure::Clusters {
            n_clusters: 2,
            within: 0.05,
        })
        .shared_design(true)
        .noise(0.2)
        .seed(12)
        .generate()
        .unwrap();
    let x = g.xs[0].clone();
    let y = Mat::from_fn(x.nrows(), 6, |i, t| g.ys[t][i]);
    let fit = GraphMultiTask::new(1.0)
        .penalty(Clustered::new(2, 0.05))
        .fit(&x, &y)
        .unwrap();
    let c = fit.task_clusters().unwrap();
    // task t is in group t mod 2
    assert_eq!(c.labels(), [0, 1, 0, 1, 0, 1]);
    let again = TaskClusters::from_matrix(c.matrix().to_owned(), 2);
    assert_eq!(again.labels(), c.labels());
}

/// With standardised columns, the components are mapped back to the
/// original scale like W: they still sum to the coefficients, and the
/// shared part keeps whole rows.
#[test]
fn components_are_on_the_original_scale() {
    let (x, y) = low_rank_data(13);
    let xs = Mat::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] * (1.0 + j as f64));
    let fit = GraphMultiTask::new(0.05)
        .penalty(SharedSpecific::new(0.4, GroupNorm::L2))
        .standardize(true)
        .tol(1e-10)
        .fit(&xs, &y)
        .unwrap();
    let parts = fit.components().unwrap();
    let sum = parts.coef(0) + parts.coef(1);
    assert!(max_abs_diff(sum.as_ref(), fit.coef()) < 1e-12);
    // the same fit on the unscaled design: W (and its parts) scale back
    let plain = GraphMultiTask::new(0.05)
        .penalty(SharedSpecific::new(0.4, GroupNorm::L2))
        .standardize(true)
        .tol(1e-10)
        .fit(&x, &y)
        .unwrap();
    let p0 = plain.components().unwrap();
    for j in 0..x.ncols() {
        for t in 0..6 {
            let s = 1.0 + j as f64;
            assert!((parts.coef(1)[(j, t)] * s - p0.coef(1)[(j, t)]).abs() < 1e-6);
        }
    }
}

/// The APG's Lipschitz estimate is carried by the warm start: a solve
/// handed a far too large constant takes tiny steps (many more iterations),
/// one handed the previous solve's constant converges as fast as a fresh
/// one.
#[test]
fn apg_warm_start_uses_the_carried_lipschitz_constant() {
    use mtreg::datafit::Quadratic;
    use mtreg::penalty::TraceNorm;
    use mtreg::problem::{Apg, Solve};
    use mtreg::solver::{SolverOptions, WarmStart};
    let (x, y) = low_rank_data(14);
    let (n, p) = (x.nrows(), x.ncols());
    let xc = Mat::from_fn(n, p, |i, j| x[(i, j)]);
    let mut d = Quadratic::new(xc, y.clone());
    let pen = Apg(TraceNorm::new(2.0, 1.0));
    let opts = SolverOptions {
        tol: 1e-10,
        max_iter: 100_000,
        ..SolverOptions::default()
    };
    let fresh = pen.solve(&opts, &mut d, Mat::zeros(6, p), None).unwrap();
    let lip = fresh.warm.lipschitz.expect("APG reports its constant");
    assert!(lip > 0.0);
    let warm = |l: f64| WarmStart {
        lipschitz: Some(l),
        ..WarmStart::exact(Mat::zeros(6, p))
    };
    let same = pen
        .solve(&opts, &mut d, Mat::zeros(6, p), Some(warm(lip)))
        .unwrap();
    assert!(same.converged && same.n_iter <= fresh.n_iter + 2);
    let slow = pen
        .solve(&opts, &mut d, Mat::zeros(6, p), Some(warm(1e3 * lip)))
        .unwrap();
    assert!(
        slow.n_iter > 5 * fresh.n_iter,
        "{} vs {}",
        slow.n_iter,
        fresh.n_iter
    );
}
