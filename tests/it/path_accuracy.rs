//! Paths and cross-validation are exact at default settings (issue 12, part 1):
//! on random problems of several families (lasso, elastic net, per-task
//! designs, a graph-coupled model, standardised columns), the default stopping
//! rule of paths ([`PathTol::Relative`]) gives the support and the
//! coefficients of a tight reference at every alpha, and cross-validation
//! selects the same grid alpha with the same error curve.

use crate::common::problem;
use faer::{Mat, MatRef};
use mtreg::cv::{CvOptions, CvResult};
use mtreg::path::{AlphaGrid, Path, PathTol};
use mtreg::penalty::TaskGraph;
use mtreg::{GraphMultiTask, MultiTaskElasticNet};
use proptest::prelude::*;

/// The reference: scikit-learn's rule at `tol` 1e-10.
const REFERENCE_TOL: f64 = 1e-10;

#[derive(Debug, Clone, Copy)]
enum Family {
    Lasso,
    ElasticNet,
    Standardized,
    PerTask,
    Graph,
}

fn family() -> impl Strategy<Value = Family> {
    prop_oneof![
        Just(Family::Lasso),
        Just(Family::ElasticNet),
        Just(Family::Standardized),
        Just(Family::PerTask),
        Just(Family::Graph),
    ]
}

fn grid() -> AlphaGrid {
    AlphaGrid::Auto {
        n_alphas: 40,
        eps: 1e-3,
    }
}

/// The path and the cross-validation of `fam` on the problem, with the
/// default settings and `rule`, or with the reference settings.
fn run(fam: Family, x: &Mat<f64>, y: &Mat<f64>, reference: bool) -> (Path, CvResult) {
    let opts = CvOptions::default().grid(grid());
    let tune = |m: MultiTaskElasticNet| {
        if reference {
            m.path_tol(PathTol::Sklearn)
                .tol(REFERENCE_TOL)
                .max_iter(1_000_000)
        } else {
            m
        }
    };
    let tune_graph = |m: GraphMultiTask| {
        if reference {
            m.path_tol(PathTol::Sklearn)
                .tol(REFERENCE_TOL)
                .max_iter(1_000_000)
        } else {
            m
        }
    };
    match fam {
        Family::Lasso | Family::ElasticNet | Family::Standardized => {
            let m = MultiTaskElasticNet::new(1.0)
                .l1_ratio(if matches!(fam, Family::ElasticNet) {
                    0.5
                } else {
                    1.0
                })
                .standardize(matches!(fam, Family::Standardized));
            let m = tune(m);
            (
                m.path(x, y, &grid()).unwrap(),
                m.cross_validate(x, y, &opts).unwrap(),
            )
        }
        Family::Graph => {
            let m = tune_graph(
                GraphMultiTask::new(1.0)
                    .graph(TaskGraph::chain(y.ncols()))
                    .graph_strength(0.5),
            );
            (
                m.path(x, y, &grid()).unwrap(),
                m.cross_validate(x, y, &opts).unwrap(),
            )
        }
        Family::PerTask => {
            // each task its own rows of X (task k: rows ≡ k mod T)
            let t = y.ncols();
            let (xs, ys): (Vec<Mat<f64>>, Vec<Vec<f64>>) = (0..t)
                .map(|k| {
                    let rows: Vec<usize> = (0..x.nrows()).filter(|i| i % t == k).collect();
                    let xk = Mat::from_fn(rows.len(), x.ncols(), |i, j| x[(rows[i], j)]);
                    (xk, rows.iter().map(|&i| y[(i, k)]).collect())
                })
                .unzip();
            let xr: Vec<MatRef<'_, f64>> = xs.iter().map(|m| m.as_ref()).collect();
            let yr: Vec<&[f64]> = ys.iter().map(Vec::as_slice).collect();
            let m = tune_graph(GraphMultiTask::new(1.0));
            (
                m.path_tasks(&xr, &yr, None, &grid()).unwrap(),
                m.cross_validate_tasks(&xr, &yr, None, &opts).unwrap(),
            )
        }
    }
}

fn max_abs(m: MatRef<'_, f64>) -> f64 {
    (0..m.ncols())
        .flat_map(|j| (0..m.nrows()).map(move |i| m[(i, j)].abs()))
        .fold(0.0, f64::max)
}

fn support(m: MatRef<'_, f64>) -> Vec<bool> {
    (0..m.nrows())
        .map(|i| (0..m.ncols()).any(|j| m[(i, j)] != 0.0))
        .collect()
}

/// The acceptance of issue 12 on one problem.
fn assert_exact(fam: Family, x: &Mat<f64>, y: &Mat<f64>) -> Result<(), TestCaseError> {
    let (path, cv) = run(fam, x, y, false);
    let (reference, rcv) = run(fam, x, y, true);
    for (k, (f, r)) in path.fits.iter().zip(&reference.fits).enumerate() {
        prop_assert!(r.converged(), "reference at alpha {k}: {}", r.certificate());
        // An alpha that cannot be solved exactly in `max_iter` epochs (ill
        // conditioned, near interpolation) says so: not converged, its
        // certificate above its threshold. Down to 1e-2 alpha_max every alpha
        // converges.
        if !f.converged() {
            prop_assert!(!f.certificate().is_satisfied());
            prop_assert!(
                f.alpha() < 1e-2 * path.alpha_max,
                "alpha {k}: {}",
                f.certificate()
            );
            continue;
        }
        prop_assert_eq!(
            support(f.coef()),
            support(r.coef()),
            "support at alpha {} ({:.3e})",
            k,
            f.alpha()
        );
        let scale = max_abs(r.coef());
        let diff = max_abs((f.coef() - r.coef()).as_ref());
        prop_assert!(
            diff <= 1e-3 * scale,
            "alpha {k} ({:.3e}): coefficients differ by {diff:.3e}, max|W| {scale:.3e}",
            f.alpha()
        );
    }
    // as for the path, when every fold fit converged (cv reports the others)
    if !cv.unconverged().is_empty() {
        prop_assert!(
            cv.unconverged()
                .iter()
                .all(|&(a, _)| cv.alphas[a] < 1e-2 * cv.alphas[0])
        );
        return Ok(());
    }
    prop_assert_eq!(cv.alpha_min, rcv.alpha_min, "selected alpha");
    for (k, (m, r)) in cv.mse_mean.iter().zip(&rcv.mse_mean).enumerate() {
        prop_assert!(
            (m - r).abs() <= 1e-3 * r,
            "mse at alpha {k}: {m:.6e} vs {r:.6e}"
        );
    }
    // the refit is solved as accurately as the path
    prop_assert!(cv.fit.converged(), "refit: {}", cv.fit.certificate());
    let scale = max_abs(rcv.fit.coef());
    let diff = max_abs((cv.fit.coef() - rcv.fit.coef()).as_ref());
    prop_assert!(diff <= 1e-3 * scale, "refit differs by {diff:.3e}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Default path and cross-validation = a tight reference, on random
    /// problems of every family (high signal: the small alphas of the grid
    /// are where scikit-learn's rule stops at the previous coefficients).
    #[test]
    fn default_paths_and_cv_are_exact(
        fam in family(),
        seed in any::<u64>(),
        n in 40usize..120,
        p in 5usize..60,
        t in 2usize..5,
        k in 1usize..6,
        corr in prop_oneof![Just(0.0), Just(0.5), Just(0.9)],
    ) {
        // per-task designs: n samples for each task
        let rows = if matches!(fam, Family::PerTask) { n * t } else { n };
        let (x, y) = problem(seed, rows, p, t, k, corr);
        assert_exact(fam, &x, &y)?;
    }
}

/// The example session of docs/cli.md at default settings, by family.
#[test]
fn default_paths_and_cv_are_exact_on_a_make_regression_problem() {
    let d = mtreg::generate::MakeRegression::new()
        .n_samples(200)
        .n_features(50)
        .n_informative(5)
        .n_targets(3)
        .noise(1.0)
        .generate()
        .unwrap();
    for fam in [Family::Lasso, Family::Graph, Family::Standardized] {
        assert_exact(fam, &d.x, &d.y).unwrap();
    }
}
