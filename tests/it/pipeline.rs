//! The generic pipeline: one `Data` input prepared once and reused, fits that
//! know what they are (their `Description`), the same answers through every
//! entry point.

use crate::common::{problem, rel_diff};
use faer::{Mat, MatRef};
use mtreg::cv::CvOptions;
use mtreg::path::AlphaGrid;
use mtreg::penalty::{Sparsity, TaskGraph};
use mtreg::problem::Data;
use mtreg::{GraphMultiTask, MultiTaskLasso, RelationLearning, SufficientStats};

/// Per-task views of a shared design: X repeated, Y split by column.
fn columns(y: &Mat<f64>) -> Vec<Vec<f64>> {
    (0..y.ncols())
        .map(|k| y.col(k).iter().copied().collect())
        .collect()
}

#[test]
fn a_prepared_problem_gives_the_fits_of_the_plain_calls() {
    let (x, y) = problem(3, 60, 12, 3, 4, 0.3);
    let model = MultiTaskLasso::new(1.0).tol(1e-10);
    let mut prepared = model.prepare(Data::shared(&x, &y)).unwrap();
    let amax = model.alpha_max_prepared(&prepared).unwrap();
    assert_eq!(amax, model.alpha_max_of(&x, &y).unwrap());
    assert_eq!(amax, mtreg::alpha_max(&x, &y, 1.0, true).unwrap());
    // alpha_max is exact: W = 0 there, not below.
    let at = model
        .clone()
        .alpha(amax)
        .fit_prepared(&mut prepared)
        .unwrap();
    assert_eq!(at.n_nonzero_rows(), 0);
    let below = model
        .clone()
        .alpha(0.999 * amax)
        .fit_prepared(&mut prepared)
        .unwrap();
    assert!(below.n_nonzero_rows() > 0);
    // The same problem serves several fits, each equal to a fresh one.
    for ratio in [0.5, 0.1, 0.3] {
        let m = model.clone().alpha(ratio * amax);
        let reused = m.fit_prepared(&mut prepared).unwrap();
        let fresh = m.fit(&x, &y).unwrap();
        assert_eq!(reused.coef(), fresh.coef());
        assert_eq!(reused.intercept(), fresh.intercept());
        assert_eq!(reused.certificate(), fresh.certificate());
    }
    let grid = AlphaGrid::Auto {
        n_alphas: 5,
        eps: 1e-2,
    };
    let path = model.path_prepared(&mut prepared, &grid).unwrap();
    let fresh = model.path(&x, &y, &grid).unwrap();
    assert_eq!(path.alphas, fresh.alphas);
    for (a, b) in path.fits.iter().zip(&fresh.fits) {
        assert_eq!(a.coef(), b.coef());
    }
    // Other preparation settings are refused.
    let other = model.clone().fit_intercept(false);
    assert!(matches!(
        other.fit_prepared(&mut prepared),
        Err(mtreg::Error::Incompatible(_))
    ));
}

#[test]
fn every_input_kind_goes_through_the_same_entry() {
    let (x, y) = problem(5, 50, 8, 3, 3, 0.2);
    let model = GraphMultiTask::new(0.2).tol(1e-12);
    let shared = model.fit_data(Data::shared(&x, &y)).unwrap();
    assert_eq!(shared.coef(), model.fit(&x, &y).unwrap().coef());
    // statistics: the same solution up to rounding
    let stats = SufficientStats::from_data(&x, &y).unwrap();
    let from_stats = model.fit_data(&stats).unwrap();
    assert!(rel_diff(from_stats.coef(), shared.coef()) < 1e-8);
    assert_eq!(from_stats.description().n_samples, 50);
    // per-task designs that share X, with unit weights: the same problem
    let cols = columns(&y);
    let ys: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let xs = vec![x.as_ref(); 3];
    let tasks = model
        .fit_data(Data::tasks(&xs, &ys).task_weights(&[1.0; 3]))
        .unwrap();
    assert!(rel_diff(tasks.coef(), shared.coef()) < 1e-8);
    let d = tasks.description();
    assert_eq!(d.n_samples_per_task, Some(vec![50; 3]));
    assert_eq!(d.task_weights, Some(vec![1.0; 3]));
    assert_eq!(d.n_samples, 150);
    // a shared design with task weights is fitted as per-task designs
    let weighted = model
        .fit_data(Data::shared(&x, &y).task_weights(&[1.0, 2.0, 0.5]))
        .unwrap();
    let as_tasks = model.fit_tasks(&xs, &ys, Some(&[1.0, 2.0, 0.5])).unwrap();
    assert_eq!(weighted.coef(), as_tasks.coef());
    assert_eq!(weighted.description().n_samples, 50);
    assert_eq!(
        weighted.description().task_weights,
        Some(vec![1.0, 2.0, 0.5])
    );
    // weights need the samples
    assert!(matches!(
        model.fit_data(Data::stats(&stats).task_weights(&[1.0; 3])),
        Err(mtreg::Error::Incompatible(_))
    ));
}

#[test]
fn fits_describe_their_model() {
    let (x, y) = problem(7, 40, 6, 3, 2, 0.0);
    let names = |p: usize, prefix: &str| -> Vec<String> {
        (0..p).map(|j| format!("{prefix}_{j}")).collect()
    };
    let data = Data::shared(&x, &y).names(names(6, "gene"), names(3, "drug"));
    let plain = MultiTaskLasso::new(0.1).fit_data(&data).unwrap();
    let d = plain.description();
    assert_eq!(d.kind, "multi_task_elastic_net");
    assert_eq!(d.penalty, "l21");
    assert_eq!(&d.feature_names[..], &names(6, "gene")[..]);
    assert_eq!(&d.task_names[..], &names(3, "drug")[..]);
    assert_eq!((d.n_samples, d.tol, d.max_iter), (40, 1e-4, 1000));
    assert!(d.graph.is_none() && d.relations.is_none());
    // default names
    let unnamed = MultiTaskLasso::new(0.1).fit(&x, &y).unwrap();
    assert_eq!(&unnamed.description().feature_names[..2], ["x0", "x1"]);
    assert_eq!(&unnamed.description().task_names[..], ["y0", "y1", "y2"]);

    let graph = GraphMultiTask::new(0.1)
        .penalty(Sparsity::Entrywise)
        .graph(TaskGraph::chain(3))
        .graph_strength(0.5)
        .fit_data(&data)
        .unwrap();
    let d = graph.description();
    assert_eq!(
        (d.kind.as_str(), d.penalty.as_str()),
        ("graph_multi_task", "l1")
    );
    let g = d.graph.as_ref().unwrap();
    assert_eq!((g.strength, g.edges.len()), (0.5, 2));

    // GraphMultiTask without a graph is scikit-learn's model
    let plain_graph = GraphMultiTask::new(0.1).fit(&x, &y).unwrap();
    assert_eq!(plain_graph.description().kind, "multi_task_elastic_net");

    let pooled = GraphMultiTask::new(0.1).pooled(true).fit(&x, &y).unwrap();
    assert_eq!(pooled.description().kind, "pooled");
    assert!(pooled.description().is_pooled());

    let rel = RelationLearning::new(0.1)
        .relation_strength(0.5)
        .fit_data(&data)
        .unwrap();
    let d = rel.fit().description();
    assert_eq!(d.kind, "relation_learning");
    let learned = d.relations.as_ref().unwrap();
    assert_eq!(learned.strength, 0.5);
    assert_eq!(learned.sigma, rel.sigma().to_owned());
    assert_eq!(learned.objectives, rel.objectives());
    assert_eq!(learned.correlation(), rel.correlation());
}

#[test]
fn pooled_paths_warm_start_the_pooled_fits() {
    let (x, y) = problem(11, 45, 7, 3, 3, 0.4);
    let model = GraphMultiTask::new(1.0).pooled(true).tol(1e-12);
    let grid = AlphaGrid::Auto {
        n_alphas: 6,
        eps: 1e-2,
    };
    let path = model.path(&x, &y, &grid).unwrap();
    assert_eq!(path.fits[0].n_nonzero_rows(), 0);
    for (alpha, fit) in path.alphas.iter().zip(&path.fits) {
        let single = model.clone().alpha(*alpha).fit(&x, &y).unwrap();
        assert!(fit.certificate().is_satisfied());
        assert!(rel_diff(fit.coef(), single.coef()) < 1e-6, "alpha {alpha}");
        for j in 0..7 {
            for k in 1..3 {
                assert_eq!(fit.coef()[(j, k)], fit.coef()[(j, 0)]);
            }
        }
    }
    let opts = CvOptions::default().folds(3).grid(grid);
    let cv = model.cross_validate(&x, &y, &opts).unwrap();
    assert_eq!(cv.fit.description().kind, "pooled");
    assert_eq!(cv.mse_path.nrows(), 6);
}

#[test]
fn relation_paths_warm_start_the_alternations() {
    let (x, y) = problem(13, 40, 6, 3, 2, 0.2);
    let model = RelationLearning::new(1.0).relation_strength(0.3).tol(1e-10);
    let grid = AlphaGrid::Auto {
        n_alphas: 4,
        eps: 0.05,
    };
    let path = model.path(&x, &y, &grid).unwrap();
    assert_eq!(path.fits[0].n_nonzero_rows(), 0);
    // a path point and a cold fit at its alpha reach the same optimum (the
    // jointly convex MTRL objective, within the alternation's outer_tol)
    let last = path.alphas.len() - 1;
    let cold = model.clone().alpha(path.alphas[last]).fit(&x, &y).unwrap();
    let objective = |f: &mtreg::Fit| {
        *f.description()
            .relations
            .as_ref()
            .unwrap()
            .objectives
            .last()
            .unwrap()
    };
    let (warm, cold) = (
        objective(&path.fits[last]),
        *cold.objectives().last().unwrap(),
    );
    assert!((warm - cold).abs() <= 1e-4 * cold, "{warm} vs {cold}");
}

#[test]
fn shape_checks_apply_to_names_and_warm_starts() {
    let (x, y) = problem(17, 20, 4, 2, 2, 0.0);
    let bad = Data::shared(&x, &y).names(vec!["a".into()], vec!["u".into(), "v".into()]);
    assert!(matches!(
        MultiTaskLasso::new(0.1).fit_data(bad),
        Err(mtreg::Error::ShapeMismatch { .. })
    ));
    let start: MatRef<'_, f64> = x.as_ref();
    assert!(matches!(
        MultiTaskLasso::new(0.1)
            .warm_start(Some(start.to_owned()))
            .fit(&x, &y),
        Err(mtreg::Error::ShapeMismatch { .. })
    ));
}

#[test]
fn model_files_round_trip_every_kind_of_fit() {
    use mtreg::io::model::ModelFile;
    let (x, y) = problem(19, 30, 5, 3, 2, 0.1);
    let cols = columns(&y);
    let ys: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let xs = vec![x.as_ref(); 3];
    let fits = vec![
        MultiTaskLasso::new(0.1).fit(&x, &y).unwrap(),
        GraphMultiTask::new(0.1)
            .penalty(Sparsity::Entrywise)
            .graph(TaskGraph::chain(3))
            .graph_strength(2.0)
            .fit_tasks(&xs, &ys, Some(&[1.0, 2.0, 3.0]))
            .unwrap(),
        GraphMultiTask::new(0.1).pooled(true).fit(&x, &y).unwrap(),
        RelationLearning::new(0.1)
            .relation_strength(0.2)
            .fit(&x, &y)
            .unwrap()
            .fit()
            .clone(),
    ];
    let kinds: Vec<&str> = fits.iter().map(|f| f.description().kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "multi_task_elastic_net",
            "graph_multi_task",
            "pooled",
            "relation_learning"
        ]
    );
    for fit in &fits {
        let json = ModelFile::from_fit(fit).to_json();
        let file: ModelFile = serde_json::from_str(&json).unwrap();
        assert_eq!(file, ModelFile::from_fit(fit));
        let back = file.to_fit().unwrap();
        assert_eq!(back.description(), fit.description());
        assert_eq!(back.coef(), fit.coef());
        assert_eq!(back.intercept(), fit.intercept());
        assert_eq!(back.certificate(), fit.certificate());
        assert_eq!(back.predict(&x).unwrap(), fit.predict(&x).unwrap());
        assert_eq!(ModelFile::from_fit(&back), file);
    }
    // the keys of the CLI contract are all there
    let json: serde_json::Value =
        serde_json::from_str(&ModelFile::from_fit(&fits[3]).to_json()).unwrap();
    for key in [
        "version",
        "model",
        "feature_names",
        "task_names",
        "coef",
        "intercept",
        "alpha",
        "alpha_max",
        "l1_ratio",
        "converged",
        "certificate",
        "objective",
        "n_iter",
        "seconds",
        "task_correlation",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
    // a cross-validation file records its refit's model and the CV fields
    let opts = CvOptions::default().folds(3).grid(AlphaGrid::Auto {
        n_alphas: 4,
        eps: 0.05,
    });
    let cv = GraphMultiTask::new(1.0)
        .graph(TaskGraph::chain(3))
        .graph_strength(0.5)
        .cross_validate(&x, &y, &opts)
        .unwrap();
    let file = ModelFile::from_cv(&cv, mtreg::cv::Select::OneSe);
    assert_eq!(file.model, "graph_multi_task");
    assert_eq!(file.cv_select.as_deref(), Some("1se"));
    assert_eq!(
        (file.alpha_min, file.cv_folds),
        (Some(cv.alpha_min), Some(3))
    );
    assert_eq!(file.graph_strength, Some(0.5));
    // inconsistent files are refused
    let mut bad = ModelFile::from_fit(&fits[0]);
    bad.intercept.pop();
    assert!(bad.to_fit().is_err());
}

/// Data used as given (no intercept, no standardisation) skip the centring
/// pass: one scan gives XᵀY/n, the column norms and the validity check, and
/// the first solve starts from that gradient. On centred data this is the
/// centring route's problem: the same certified solution in every Gram mode,
/// also for a strided (row-major) X, checked by the independent gap.
#[test]
fn data_used_as_given_fit_as_the_centring_route() {
    use crate::common::{centred, check};
    use mtreg::{GramMode, MultiTaskElasticNet};
    let (x, y) = problem(11, 120, 40, 3, 5, 0.4);
    let (xc, yc) = centred(&x, &y, true);
    let xt = xc.transpose().to_owned();
    let strided = xt.transpose();
    let amax = MultiTaskLasso::new(1.0)
        .fit_intercept(false)
        .alpha_max_of(&xc, &yc)
        .unwrap();
    for gram in [GramMode::Never, GramMode::Always, GramMode::Auto] {
        for ratio in [0.5, 0.1, 0.02] {
            let alpha = ratio * amax;
            let m = MultiTaskElasticNet::new(alpha)
                .l1_ratio(0.8)
                .tol(1e-10)
                .gram(gram);
            let given = m.clone().fit_intercept(false).fit(&xc, &yc).unwrap();
            let centring = m.clone().fit_intercept(true).fit(&xc, &yc).unwrap();
            let strided_fit = m.clone().fit_intercept(false).fit(&strided, &yc).unwrap();
            for f in [&given, &centring, &strided_fit] {
                assert!(f.certificate().is_satisfied(), "{gram:?} {ratio}");
                let c = check(&xc, &yc, f.coef(), alpha, 0.8);
                assert!(c.gap <= 2e-10 * c.y_sq / c.n, "{gram:?} {ratio}: {}", c.gap);
            }
            let d = rel_diff(given.coef(), centring.coef());
            assert!(d < 1e-6, "{gram:?} {ratio}: {d}");
            assert_eq!(given.coef(), strided_fit.coef());
        }
    }
}

/// The as-given route's single scan names bad values as the centring route
/// does: the first non-finite value by position, an overflow by matrix.
#[test]
fn data_used_as_given_refuse_bad_values() {
    let (x, y) = problem(12, 30, 6, 2, 2, 0.0);
    let m = MultiTaskLasso::new(0.1).fit_intercept(false);
    let mut bad = x.clone();
    bad[(4, 3)] = f64::NAN;
    assert!(matches!(
        m.fit(&bad, &y),
        Err(mtreg::Error::NonFinite {
            what: "X",
            row: 4,
            col: 3
        })
    ));
    let mut bad = y.clone();
    bad[(2, 1)] = f64::INFINITY;
    assert!(matches!(
        m.fit(&x, &bad),
        Err(mtreg::Error::NonFinite {
            what: "Y",
            row: 2,
            col: 1
        })
    ));
    let mut big = x.clone();
    big[(0, 0)] = 1e200;
    assert!(matches!(
        m.fit(&big, &y),
        Err(mtreg::Error::Overflow { what: "X" })
    ));
    let mut big = y.clone();
    big[(0, 0)] = 1e200;
    assert!(matches!(
        m.fit(&x, &big),
        Err(mtreg::Error::Overflow { what: "Y" })
    ));
}

/// `GramMode::Auto` decides residual vs full Gram by how many fits reuse the
/// prepared problem: a single fit of this shape (p = 200, T = 5) keeps
/// residuals, a 20-alpha path takes the Gram matrix (its `n p²` shared by the
/// alphas); both give the certified solutions of `GramMode::Never`.
#[test]
fn auto_gram_mode_follows_the_number_of_fits() {
    use mtreg::GramMode;
    let (x, y) = problem(13, 400, 200, 5, 8, 0.3);
    let m = MultiTaskLasso::new(1.0).tol(1e-10);
    let grid = AlphaGrid::Auto {
        n_alphas: 20,
        eps: 1e-2,
    };
    let auto = m.path(&x, &y, &grid).unwrap();
    let never = m.clone().gram(GramMode::Never).path(&x, &y, &grid).unwrap();
    assert!(auto.fits.iter().all(|f| f.used_gram()));
    assert!(never.fits.iter().all(|f| !f.used_gram()));
    for (a, b) in auto.fits.iter().zip(&never.fits) {
        assert!(a.certificate().is_satisfied() && b.certificate().is_satisfied());
        assert!(rel_diff(a.coef(), b.coef()) < 1e-6);
    }
    let single = m.clone().alpha(auto.alphas[10]).fit(&x, &y).unwrap();
    assert!(!single.used_gram());
    assert!(rel_diff(single.coef(), auto.fits[10].coef()) < 1e-6);
}
