//! Honest reports (issue 12, part 2): learned relations report the whole
//! alternation, cross-validation records every fold fit, the refit continues
//! the path, and standardisation works with learned relations.

use crate::common::problem;
use faer::Mat;
use mtreg::cv::CvOptions;
use mtreg::path::AlphaGrid;
use mtreg::{MultiTaskLasso, RelationLearning};

fn relations(alpha: f64) -> RelationLearning {
    RelationLearning::new(alpha)
        .relation_strength(0.5)
        .tol(1e-8)
}

#[test]
fn learned_relations_report_the_whole_alternation() {
    let (x, y) = problem(3, 60, 10, 4, 3, 0.3);
    let full = relations(0.05).fit(&x, &y).unwrap();
    assert!(full.converged() && full.alternation_converged());
    assert!(
        full.n_outer() > 2 && full.n_outer() < 100,
        "{}",
        full.n_outer()
    );
    // capped: not converged, and said so by the fit itself
    let capped = relations(0.05).max_outer(2).fit(&x, &y).unwrap();
    assert_eq!(capped.n_outer(), 2);
    assert!(!capped.alternation_converged() && !capped.converged());
    assert!(!capped.fit().converged());
    assert!(
        capped.fit().certificate().is_satisfied(),
        "the W-step itself converged"
    );
    // epochs of every W-step, not the last one's
    let one = relations(0.05).max_outer(1).fit(&x, &y).unwrap();
    assert!(capped.fit().n_iter() > one.fit().n_iter());
    assert!(full.fit().n_iter() > capped.fit().n_iter());
}

#[test]
fn learned_relations_standardize_as_every_model() {
    let (mut x, y) = problem(5, 50, 8, 3, 3, 0.2);
    // very different column scales
    for j in 0..x.ncols() {
        let s = 10f64.powi(j as i32 % 4 - 1);
        for i in 0..x.nrows() {
            x[(i, j)] *= s;
        }
    }
    let fit = relations(0.05)
        .standardize(true)
        .tol(1e-12)
        .fit(&x, &y)
        .unwrap();
    assert!(fit.converged());
    // the same fit on the standardised columns, mapped back by hand
    let n = x.nrows() as f64;
    let scale: Vec<f64> = (0..x.ncols())
        .map(|j| {
            let m = x.col(j).iter().sum::<f64>() / n;
            (x.col(j).iter().map(|v| (v - m).powi(2)).sum::<f64>() / n).sqrt()
        })
        .collect();
    let xs = Mat::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] / scale[j]);
    let plain = relations(0.05).tol(1e-12).fit(&xs, &y).unwrap();
    let (a, b) = (fit.fit().coef(), plain.fit().coef());
    let top = (0..b.nrows())
        .flat_map(|j| {
            let s = scale[j];
            (0..b.ncols()).map(move |k| (b[(j, k)] / s).abs())
        })
        .fold(0.0, f64::max);
    for j in 0..a.nrows() {
        for k in 0..a.ncols() {
            let d = (a[(j, k)] - b[(j, k)] / scale[j]).abs();
            assert!(d <= 1e-5 * top, "coef ({j}, {k}) differs by {d:.3e}");
        }
    }
    let (sa, sb) = (fit.sigma(), plain.sigma());
    for i in 0..sa.nrows() {
        for k in 0..sa.ncols() {
            assert!((sa[(i, k)] - sb[(i, k)]).abs() <= 1e-5, "sigma ({i}, {k})");
        }
    }
}

#[test]
fn cv_records_every_fold_fit_and_refits_along_the_path() {
    let (x, y) = problem(7, 80, 15, 3, 4, 0.5);
    let grid = AlphaGrid::Auto {
        n_alphas: 20,
        eps: 1e-2,
    };
    let opts = CvOptions::default().grid(grid.clone()).folds(4);
    let model = MultiTaskLasso::new(1.0);
    let cv = model.cross_validate(&x, &y, &opts).unwrap();
    assert_eq!(cv.n_iter.len(), 20);
    assert!(cv.n_iter.iter().all(|r| r.len() == 4));
    assert!(cv.converged.iter().flatten().all(|&c| c));
    assert!(cv.unconverged().is_empty());
    assert!(cv.n_iter.iter().flatten().any(|&n| n > 0));
    // the refit is the full-data path's fit at the selected alpha
    let path = model.path(&x, &y, &grid).unwrap();
    let i = path.alphas.iter().position(|&a| a == cv.alpha).unwrap();
    assert_eq!(cv.fit.coef(), path.fits[i].coef());
    assert_eq!(cv.fit.n_iter(), path.fits[i].n_iter());
    // a budget too small for the folds is recorded, fit by fit
    let starved = model.max_iter(1).cross_validate(&x, &y, &opts).unwrap();
    let bad = starved.unconverged();
    assert!(!bad.is_empty());
    for &(a, f) in &bad {
        assert!(!starved.converged[a][f] && starved.n_iter[a][f] == 1);
    }
}
