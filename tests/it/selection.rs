//! Model selection for learned task relations (MTRL): cross-validation over the
//! (alpha, relation strength) grid, checked against loops written here with the
//! public fitting API; and the progress callbacks of paths and CVs.

use crate::common::problem;
use faer::Mat;
use mtreg::cv::{CvOptions, Select, kfold};
use mtreg::path::{AlphaGrid, ProgressCallback};
use mtreg::{GraphMultiTask, MultiTaskLasso, RelationCv, RelationLearning};
use std::sync::{Arc, Mutex};

fn model() -> RelationLearning {
    RelationLearning::new(1.0).tol(1e-8)
}

fn opts(folds: usize, n_alphas: usize) -> CvOptions {
    CvOptions::default().folds(folds).grid(AlphaGrid::Auto {
        n_alphas,
        eps: 0.02,
    })
}

fn rows(m: &Mat<f64>, idx: &[usize]) -> Mat<f64> {
    Mat::from_fn(idx.len(), m.ncols(), |i, j| m[(idx[i], j)])
}

/// Mean over the samples of `test` and all tasks of the squared error of
/// predicting Y from X with `coef` and `intercept`.
fn held_out_mse(x: &Mat<f64>, y: &Mat<f64>, test: &[usize], fit: &mtreg::Fit) -> f64 {
    let (c, b) = (fit.coef(), fit.intercept());
    let mut se = 0.0;
    for &i in test {
        for k in 0..y.ncols() {
            let pred = b[k] + (0..x.ncols()).map(|j| x[(i, j)] * c[(j, k)]).sum::<f64>();
            se += (y[(i, k)] - pred).powi(2);
        }
    }
    se / (test.len() * y.ncols()) as f64
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
}

/// Each fold split tests every sample exactly once, and each fold was scored on
/// exactly its listed samples with a model trained on the others: at an alpha
/// far above every fold's alpha_max (W = 0) the prediction is the training mean
/// of each task, so the held-out error is known from the fold alone.
#[test]
fn mtrl_cv_tests_every_sample_once() {
    let (x, y) = problem(31, 47, 8, 3, 3, 0.3);
    let amax = mtreg::alpha_max(&x, &y, 1.0, true).unwrap();
    for (shuffle, folds) in [(false, 4), (true, 5)] {
        let o = opts(folds, 4)
            .shuffle(shuffle)
            .seed(9)
            .grid(AlphaGrid::Explicit(vec![
                0.1 * amax,
                100.0 * amax,
                0.5 * amax,
            ]));
        let cv = model()
            .cross_validate_grid(&x, &y, &[0.05, 0.5], &o)
            .unwrap();
        assert_eq!(cv.cv.folds.len(), folds);
        let mut all: Vec<usize> = cv.cv.folds.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..47).collect::<Vec<_>>(), "shuffle {shuffle}");
        assert_eq!(cv.cv.folds, kfold(47, folds, shuffle, 9).unwrap());
        for (f, test) in cv.cv.folds.iter().enumerate() {
            let train: Vec<usize> = (0..47).filter(|i| !test.contains(i)).collect();
            let mut se = 0.0;
            for k in 0..3 {
                let mean = train.iter().map(|&i| y[(i, k)]).sum::<f64>() / train.len() as f64;
                se += test
                    .iter()
                    .map(|&i| (y[(i, k)] - mean).powi(2))
                    .sum::<f64>();
            }
            let expected = se / (test.len() * 3) as f64;
            for curve in &cv.curves {
                let got = curve.mse_path[(0, f)];
                assert!(close(got, expected), "fold {f}: {got} vs {expected}");
            }
        }
    }
    // Per-task data: fold k holds part k of every task, each task split alone.
    let (xs, ys) = per_task_problem();
    let views: Vec<_> = xs.iter().map(|m| m.as_ref()).collect();
    let yv: Vec<&[f64]> = ys.iter().map(Vec::as_slice).collect();
    let cv = model()
        .cross_validate_grid_tasks(&views, &yv, None, &[0.05, 0.5], &opts(3, 4))
        .unwrap();
    for (f, fold) in cv.cv.folds.iter().enumerate() {
        let expected: Vec<usize> = ys
            .iter()
            .flat_map(|y| kfold(y.len(), 3, false, 0).unwrap()[f].clone())
            .collect();
        assert_eq!(fold, &expected);
    }
    let mut all: Vec<usize> = cv.cv.folds.iter().flatten().copied().collect();
    all.sort_unstable();
    let mut expected: Vec<usize> = ys.iter().flat_map(|y| 0..y.len()).collect();
    expected.sort_unstable();
    assert_eq!(all, expected);
}

/// Three tasks with their own designs and sample counts.
fn per_task_problem() -> (Vec<Mat<f64>>, Vec<Vec<f64>>) {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for (k, n) in [20usize, 26, 17].into_iter().enumerate() {
        let (x, y) = problem(40 + k as u64, n, 6, 1, 2, 0.2);
        ys.push((0..n).map(|i| y[(i, 0)]).collect());
        xs.push(x);
    }
    (xs, ys)
}

fn assert_same(a: &RelationCv, b: &RelationCv) {
    assert_eq!(a.strengths, b.strengths);
    for (ca, cb) in a.curves.iter().zip(&b.curves) {
        assert_eq!(ca.mse_path, cb.mse_path);
        assert_eq!(ca.mse_per_task, cb.mse_per_task);
        assert_eq!(ca.mse_se, cb.mse_se);
    }
    assert_eq!(a.relation_strength, b.relation_strength);
    assert_eq!(
        (a.cv.alpha_min, a.cv.alpha_1se),
        (b.cv.alpha_min, b.cv.alpha_1se)
    );
    assert_eq!(a.cv.fit.coef(), b.cv.fit.coef());
    assert_eq!(a.relations.sigma(), b.relations.sigma());
}

/// The (fold, strength) jobs give the same numbers, bit for bit, on one thread
/// and on two.
#[test]
fn mtrl_cv_does_not_depend_on_the_thread_count() {
    let (x, y) = problem(32, 40, 8, 3, 3, 0.3);
    let strengths = [0.01, 0.1, 1.0];
    let one = model()
        .cross_validate_grid(&x, &y, &strengths, &opts(3, 5))
        .unwrap();
    let two = model()
        .cross_validate_grid(&x, &y, &strengths, &opts(3, 5).threads(2))
        .unwrap();
    assert_same(&one, &two);
    let (xs, ys) = per_task_problem();
    let views: Vec<_> = xs.iter().map(|m| m.as_ref()).collect();
    let yv: Vec<&[f64]> = ys.iter().map(Vec::as_slice).collect();
    let run = |threads| {
        model()
            .cross_validate_grid_tasks(
                &views,
                &yv,
                Some(&[1.0, 2.0, 0.5]),
                &strengths,
                &opts(3, 5).threads(threads),
            )
            .unwrap()
    };
    assert_same(&run(1), &run(2));
}

/// The selected (alpha, λ2) is the argmin of the returned mean-MSE grid (first
/// strength, then largest alpha, among ties); the 1-SE alpha comes from the
/// selected strength's curve; the refit is a plain fit there.
#[test]
fn mtrl_cv_selects_the_argmin_of_the_grid() {
    let (x, y) = problem(33, 42, 10, 4, 3, 0.4);
    let strengths = [1.0, 0.01, 0.1];
    for select in [Select::Min, Select::OneSe] {
        let cv = model()
            .cross_validate_grid(&x, &y, &strengths, &opts(4, 6).select(select))
            .unwrap();
        assert_eq!(cv.strengths, strengths);
        let alphas = &cv.cv.alphas;
        let (mut best_l, mut best_a) = (0, 0);
        for (l, curve) in cv.curves.iter().enumerate() {
            assert_eq!(curve.mse_mean.len(), alphas.len());
            for a in 0..alphas.len() {
                if curve.mse_mean[a] < cv.curves[best_l].mse_mean[best_a] {
                    (best_l, best_a) = (l, a);
                }
            }
        }
        assert_eq!(cv.relation_strength, strengths[best_l]);
        assert_eq!(cv.cv.alpha_min, alphas[best_a]);
        let curve = &cv.curves[best_l];
        assert_eq!(cv.cv.mse_mean, curve.mse_mean);
        assert_eq!(curve.min_mse(), curve.mse_mean[best_a]);
        let threshold = curve.mse_mean[best_a] + curve.mse_se[best_a];
        let i_1se = (0..=best_a)
            .find(|&a| curve.mse_mean[a] <= threshold)
            .unwrap();
        assert_eq!(cv.cv.alpha_1se, alphas[i_1se]);
        let alpha = match select {
            Select::Min => cv.cv.alpha_min,
            Select::OneSe => cv.cv.alpha_1se,
        };
        assert_eq!(cv.cv.alpha, alpha);
        let direct = model()
            .alpha(alpha)
            .relation_strength(cv.relation_strength)
            .fit(&x, &y)
            .unwrap();
        assert_eq!(cv.relations.fit().coef(), direct.fit().coef());
        assert_eq!(cv.relations.sigma(), direct.sigma());
        assert_eq!(cv.cv.fit.coef(), direct.fit().coef());
    }
}

/// At one strength, the CV error path is that of a per-fold loop over the
/// alphas with the public API: fit on the training rows, each alpha
/// warm-started at the previous fit, scored on the held-out rows.
#[test]
fn mtrl_cv_matches_an_explicit_fold_loop() {
    let (x, y) = problem(34, 36, 7, 3, 2, 0.3);
    let lambda2 = 0.2;
    let m = model().l1_ratio(0.8).relation_strength(lambda2);
    let cv = m.cross_validate(&x, &y, &opts(3, 5)).unwrap();
    assert_eq!(cv.strengths, [lambda2]);
    let alpha_max = mtreg::alpha_max(&x, &y, 0.8, true).unwrap();
    assert_eq!(cv.cv.alphas[0], alpha_max);
    for (f, test) in kfold(36, 3, false, 0).unwrap().iter().enumerate() {
        let train: Vec<usize> = (0..36).filter(|i| !test.contains(i)).collect();
        let (xtr, ytr) = (rows(&x, &train), rows(&y, &train));
        let mut prev = None;
        for (a, &alpha) in cv.cv.alphas.iter().enumerate() {
            let rel = m
                .clone()
                .alpha(alpha)
                .warm_start(prev.as_ref())
                .fit(&xtr, &ytr)
                .unwrap();
            let expected = held_out_mse(&x, &y, test, rel.fit());
            let got = cv.curves[0].mse_path[(a, f)];
            assert!(
                close(got, expected),
                "fold {f}, alpha {a}: {got} vs {expected}"
            );
            prev = Some(rel);
        }
    }
}

/// Regression: at alpha ≥ alpha_max the first W-step gives W = 0, and the Σ-step
/// handed a subnormal ε·I to the eigensolver, which failed ("Σ-step
/// eigendecomposition: NoConvergence"). The CV grid always starts there.
#[test]
fn mtrl_at_alpha_max_gives_zero_and_identity_sigma() {
    let (x, y) = problem(35, 30, 5, 3, 2, 0.3);
    let amax = mtreg::alpha_max(&x, &y, 1.0, true).unwrap();
    for alpha in [amax, 2.0 * amax] {
        let rel = model().alpha(alpha).fit(&x, &y).unwrap();
        assert_eq!(rel.fit().n_nonzero_rows(), 0);
        assert!(rel.converged());
        let s = rel.sigma();
        for i in 0..3 {
            for j in 0..3 {
                assert_eq!(s[(i, j)], if i == j { 1.0 / 3.0 } else { 0.0 });
            }
        }
    }
}

/// The `(done, total)` calls seen by a callback.
type Calls = Arc<Mutex<Vec<(usize, usize)>>>;

/// Records the calls of a progress callback.
fn recorder() -> (ProgressCallback, Calls) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let log = calls.clone();
    let cb = ProgressCallback::new(move |done, total| log.lock().unwrap().push((done, total)));
    (cb, calls)
}

/// One call per fit, serialised: `done` counts 1, 2, …, total.
fn assert_counts(calls: &Mutex<Vec<(usize, usize)>>, total: usize) {
    let calls = calls.lock().unwrap();
    let expected: Vec<(usize, usize)> = (1..=total).map(|d| (d, total)).collect();
    assert_eq!(*calls, expected);
}

#[test]
fn progress_is_reported_once_per_fit() {
    let (x, y) = problem(36, 30, 6, 3, 2, 0.3);
    // Paths: one call per alpha; single fits make none.
    let (cb, calls) = recorder();
    let grid = AlphaGrid::Auto {
        n_alphas: 7,
        eps: 0.01,
    };
    let lasso = MultiTaskLasso::new(0.1).progress(Some(cb));
    lasso.path(&x, &y, &grid).unwrap();
    assert_counts(&calls, 7);
    calls.lock().unwrap().clear();
    lasso.fit(&x, &y).unwrap();
    assert!(calls.lock().unwrap().is_empty());
    let (xs, ys) = per_task_problem();
    let views: Vec<_> = xs.iter().map(|m| m.as_ref()).collect();
    let yv: Vec<&[f64]> = ys.iter().map(Vec::as_slice).collect();
    let (cb, calls) = recorder();
    GraphMultiTask::new(1.0)
        .progress(Some(cb))
        .path_tasks(&views, &yv, None, &grid)
        .unwrap();
    assert_counts(&calls, 7);

    // CVs: folds × alphas (× strengths) calls from two threads, the refit not
    // counted, the estimator's own path callback not called.
    let (own, own_calls) = recorder();
    let (cb, calls) = recorder();
    let o = opts(3, 6).threads(2).progress(Some(cb));
    MultiTaskLasso::new(1.0)
        .progress(Some(own))
        .cross_validate(&x, &y, &o)
        .unwrap();
    assert_counts(&calls, 18);
    assert!(own_calls.lock().unwrap().is_empty());
    let (cb, calls) = recorder();
    GraphMultiTask::new(1.0)
        .cross_validate_tasks(&views, &yv, None, &o.clone().progress(Some(cb)))
        .unwrap();
    assert_counts(&calls, 18);
    let (cb, calls) = recorder();
    model()
        .cross_validate_grid(&x, &y, &[0.1, 1.0], &opts(3, 4).progress(Some(cb)))
        .unwrap();
    assert_counts(&calls, 24);
    let (cb, calls) = recorder();
    model()
        .cross_validate_grid_tasks(
            &views,
            &yv,
            None,
            &[0.1, 1.0, 3.0],
            &opts(3, 4).threads(2).progress(Some(cb)),
        )
        .unwrap();
    assert_counts(&calls, 36);
}

#[test]
fn mtrl_cv_rejects_bad_strengths() {
    let (x, y) = problem(37, 20, 4, 2, 2, 0.3);
    let o = opts(3, 3);
    assert!(matches!(
        model().cross_validate_grid(&x, &y, &[], &o),
        Err(mtreg::Error::EmptyInput(_))
    ));
    for bad in [0.0, -1.0, f64::NAN] {
        let err = model()
            .cross_validate_grid(&x, &y, &[1.0, bad], &o)
            .unwrap_err();
        assert!(err.to_string().contains("relation_strength"), "{err}");
    }
}
