"""Parity with scikit-learn on random problems: at a tight tol both solvers
reach the optimum, so mtreg's objective must be no worse than scikit-learn's
(+1e-10 relative) and the coefficients must agree to 1e-6."""

import numpy as np
import pytest
from conftest import objective, random_problem
from sklearn import linear_model as sk

import mtreg

TIGHT = dict(tol=1e-12, max_iter=200_000)
CASES = [
    # seed, n, p, T
    (0, 60, 20, 3),
    (1, 40, 80, 5),  # p > n
    (2, 200, 15, 2),  # n >> p (Gram mode)
    (3, 30, 50, 1),  # one task
]


def assert_parity(m, s, X, Y, alpha, l1_ratio):
    pm = objective(X, Y, m.coef_, m.intercept_, alpha, l1_ratio)
    ps = objective(X, Y, s.coef_, s.intercept_, alpha, l1_ratio)
    assert pm <= ps + 1e-10 * abs(ps), (pm, ps)
    scale = max(1.0, np.abs(s.coef_).max())
    np.testing.assert_allclose(m.coef_, s.coef_, rtol=0, atol=1e-6 * scale)
    np.testing.assert_allclose(m.intercept_, s.intercept_, rtol=0, atol=1e-6 * scale)
    assert m.certificate_.kind == "dual_gap" and m.certificate_.satisfied
    assert m.dual_gap_ == m.certificate_.value <= m.certificate_.tol
    assert m.coef_.shape == s.coef_.shape and m.coef_.dtype == np.float64


@pytest.mark.parametrize("seed,n,p,T", CASES)
@pytest.mark.parametrize("ratio", [0.5, 0.1, 0.01])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_multitask_lasso_parity(seed, n, p, T, ratio, fit_intercept):
    X, Y = random_problem(seed, n, p, T, intercept=fit_intercept)
    alpha = ratio * mtreg.alpha_max(X, Y, fit_intercept=fit_intercept)
    m = mtreg.MultiTaskLasso(alpha=alpha, fit_intercept=fit_intercept, **TIGHT).fit(X, Y)
    s = sk.MultiTaskLasso(alpha=alpha, fit_intercept=fit_intercept, **TIGHT).fit(X, Y)
    assert_parity(m, s, X, Y, alpha, 1.0)
    if not fit_intercept:
        assert m.intercept_ == s.intercept_ == 0.0


@pytest.mark.parametrize("seed,n,p,T", CASES[:3])
@pytest.mark.parametrize("l1_ratio", [0.2, 0.7])
def test_multitask_elastic_net_parity(seed, n, p, T, l1_ratio):
    X, Y = random_problem(seed, n, p, T)
    alpha = 0.05 * mtreg.alpha_max(X, Y, l1_ratio=l1_ratio)
    m = mtreg.MultiTaskElasticNet(alpha=alpha, l1_ratio=l1_ratio, **TIGHT).fit(X, Y)
    s = sk.MultiTaskElasticNet(alpha=alpha, l1_ratio=l1_ratio, **TIGHT).fit(X, Y)
    assert_parity(m, s, X, Y, alpha, l1_ratio)


def test_alpha_max_is_sklearns_grid_start():
    X, Y = random_problem(4, 50, 12, 3)
    amax = mtreg.alpha_max(X, Y)
    n = X.shape[0]
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    assert amax == pytest.approx(np.sqrt(((Xc.T @ Yc) ** 2).sum(1)).max() / n, rel=1e-13)
    m = mtreg.MultiTaskLasso(alpha=amax * (1 + 1e-9)).fit(X, Y)
    assert not m.coef_.any() and m.alpha_max_ == pytest.approx(amax, rel=1e-13)
    assert np.any(mtreg.MultiTaskLasso(alpha=0.9 * amax).fit(X, Y).coef_)


def test_default_tol_is_sklearns_criterion():
    X, Y = random_problem(5, 80, 40, 3)
    m = mtreg.MultiTaskLasso(alpha=0.1).fit(X, Y)
    n = X.shape[0]
    Yc = Y - Y.mean(0)
    assert m.certificate_.tol == pytest.approx(1e-4 * np.sum(Yc**2) / n, rel=1e-12)
    assert m.eps_ == pytest.approx(1e-4 * np.sum(Yc**2), rel=1e-12)
    assert m.certificate_.satisfied and m.converged_


def test_warm_start_reuses_coef():
    X, Y = random_problem(6, 60, 40, 3)
    alpha = 0.05 * mtreg.alpha_max(X, Y)
    m = mtreg.MultiTaskLasso(alpha=alpha, tol=1e-10, warm_start=True).fit(X, Y)
    first = m.coef_.copy()
    m.fit(X, Y)
    assert m.n_iter_ <= 1
    np.testing.assert_allclose(m.coef_, first, atol=1e-8)
    cold = mtreg.MultiTaskLasso(alpha=alpha, tol=1e-10).fit(X, Y)
    cold.fit(X, Y)
    assert cold.n_iter_ > 1


def test_random_selection_is_seeded():
    X, Y = random_problem(7, 60, 40, 3)
    kw = dict(alpha=0.1, selection="random", tol=1e-10)
    a = mtreg.MultiTaskLasso(random_state=3, **kw).fit(X, Y)
    b = mtreg.MultiTaskLasso(random_state=3, **kw).fit(X, Y)
    c = mtreg.MultiTaskLasso(**dict(kw, selection="cyclic")).fit(X, Y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_allclose(a.coef_, c.coef_, atol=1e-6)


def test_enet_path_parity():
    X, Y = random_problem(8, 50, 25, 3, intercept=False)
    alphas, coefs, gaps, n_iters = mtreg.enet_path(
        X, Y, l1_ratio=0.8, alphas=10, eps=1e-2, return_n_iter=True, **TIGHT
    )
    s_alphas, s_coefs, s_gaps = sk.enet_path(X, Y, l1_ratio=0.8, alphas=10, eps=1e-2, **TIGHT)
    np.testing.assert_allclose(alphas, s_alphas, rtol=1e-12)
    assert coefs.shape == s_coefs.shape == (3, 25, 10)
    np.testing.assert_allclose(coefs, s_coefs, atol=1e-6 * max(1, np.abs(s_coefs).max()))
    assert gaps.shape == (10,) and len(n_iters) == 10
    assert np.all(gaps <= 1e-10 * np.sum(Y**2) / 50 * 1.0001)


def test_lasso_path_one_task_and_explicit_alphas():
    X, Y = random_problem(9, 40, 10, 1, intercept=False)
    y = Y[:, 0]
    grid = [0.5, 0.05, 0.2]
    alphas, coefs, _, certs = mtreg.lasso_path(X, y, alphas=grid, return_certificates=True, **TIGHT)
    s_alphas, s_coefs, _ = sk.lasso_path(X, y, alphas=grid, **TIGHT)
    np.testing.assert_array_equal(alphas, [0.5, 0.2, 0.05])
    assert coefs.shape == s_coefs.shape == (10, 3)
    np.testing.assert_allclose(coefs, s_coefs, atol=1e-6)
    assert all(c.satisfied for c in certs)


def test_fit_tasks_with_a_shared_design_is_the_shared_fit():
    X, Y = random_problem(10, 50, 20, 3)
    alpha = 0.1 * mtreg.alpha_max(X, Y)
    shared = mtreg.MultiTaskLasso(alpha=alpha, tol=1e-12).fit(X, Y)
    per = mtreg.MultiTaskLasso(alpha=alpha, tol=1e-12).fit_tasks([X] * 3, list(Y.T))
    assert per.per_task_ and not shared.per_task_
    np.testing.assert_allclose(per.coef_, shared.coef_, atol=1e-7)
    np.testing.assert_allclose(per.intercept_, shared.intercept_, atol=1e-7)
    preds = per.predict_tasks([X] * 3)
    np.testing.assert_allclose(np.column_stack(preds), shared.predict(X), atol=1e-6)


def test_fit_tasks_weights_and_sizes():
    rng = np.random.default_rng(11)
    Xs = [rng.standard_normal((n, 8)) for n in (30, 45, 20)]
    w = rng.standard_normal(8)
    ys = [X @ w + 0.1 * rng.standard_normal(len(X)) for X in Xs]
    m = mtreg.MultiTaskLasso(alpha=0.01, tol=1e-10).fit_tasks(Xs, ys, task_weight=[1.0, 2.0, 0.5])
    assert m.coef_.shape == (3, 8) and m.certificate_.satisfied
    np.testing.assert_allclose(m.coef_, np.tile(w, (3, 1)), atol=0.2)
    # a task weight scales that task's loss: weight 2 is the task given twice
    Xd, yd = Xs[1], ys[1]
    m2 = mtreg.MultiTaskLasso(alpha=0.01, tol=1e-12).fit_tasks(Xs, ys, task_weight=[1.0, 2.0, 1.0])
    m3 = mtreg.MultiTaskLasso(alpha=0.01, tol=1e-12).fit_tasks(
        [Xs[0], np.vstack([Xd, Xd]), Xs[2]], [ys[0], np.concatenate([yd, yd]), ys[2]],
        task_weight=[1.0, 2.0, 1.0],
    )
    np.testing.assert_allclose(m2.coef_, m3.coef_, atol=1e-8)


def test_make_regression_semantics():
    X, y, w = mtreg.make_regression(
        n_samples=40, n_features=12, n_informative=4, n_targets=3, bias=2.0,
        coef=True, random_state=5,
    )
    assert X.shape == (40, 12) and y.shape == (40, 3) and w.shape == (12, 3)
    assert int(np.any(w != 0, axis=1).sum()) == 4
    np.testing.assert_allclose(y, X @ w + 2.0, atol=1e-10)  # noise=0
    X2, y2 = mtreg.make_regression(n_samples=40, n_features=12, n_informative=4,
                                   n_targets=3, bias=2.0, random_state=5)
    np.testing.assert_array_equal(X, X2)
    X1, y1, w1 = mtreg.make_regression(n_samples=10, n_features=3, coef=True, random_state=0)
    assert y1.shape == (10,) and w1.shape == (3,)  # squeezed, as scikit-learn
    assert not np.array_equal(mtreg.make_regression(random_state=1)[0],
                              mtreg.make_regression(random_state=2)[0])
    Xr, _ = mtreg.make_regression(n_samples=50, n_features=20, effective_rank=3, random_state=0)
    s = np.linalg.svd(Xr, compute_uv=False)
    assert s[6] < 0.5 * s[0]  # low effective rank


def test_graph_model():
    X, Y = random_problem(12, 60, 15, 4)
    alpha = 0.05 * mtreg.alpha_max(X, Y)
    lasso = mtreg.MultiTaskLasso(alpha=alpha, tol=1e-12).fit(X, Y)
    none = mtreg.GraphMultiTask(alpha=alpha, graph="chain", graph_strength=0.0, tol=1e-12).fit(X, Y)
    np.testing.assert_allclose(none.coef_, lasso.coef_, atol=1e-9)
    chain = mtreg.GraphMultiTask(alpha=alpha, graph="chain", graph_strength=2.0, tol=1e-10).fit(X, Y)
    edges = mtreg.GraphMultiTask(alpha=alpha, graph=[(0, 1), (1, 2), (2, 3, 1.0)],
                                 graph_strength=2.0, tol=1e-10).fit(X, Y)
    A = np.zeros((4, 4))
    for s, t in [(0, 1), (1, 2), (2, 3)]:
        A[s, t] = A[t, s] = 1.0
    adj = mtreg.GraphMultiTask(alpha=alpha, graph=A, graph_strength=2.0, tol=1e-10).fit(X, Y)
    assert chain.certificate_.kind == "kkt" and chain.certificate_.satisfied
    np.testing.assert_allclose(edges.coef_, chain.coef_, atol=1e-12)
    np.testing.assert_allclose(adj.coef_, chain.coef_, atol=1e-12)
    # the graph pulls neighbouring tasks together
    gap = lambda c: np.sum((c[1:] - c[:-1]) ** 2)  # noqa: E731
    assert gap(chain.coef_) < gap(lasso.coef_)
    pooled = mtreg.GraphMultiTask(alpha=alpha, pooled=True, tol=1e-10).fit(X, Y)
    np.testing.assert_allclose(pooled.coef_, np.tile(pooled.coef_[0], (4, 1)))
    entry = mtreg.GraphMultiTask(alpha=alpha, penalty="entrywise", tol=1e-10).fit(X, Y)
    assert entry.certificate_.satisfied


def test_relation_learning():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [0.5, 2.0]])
    Y = np.array([[1.0, 1.1, -1.0], [0.5, 0.6, -0.4], [1.5, 1.6, -1.5],
                  [2.6, 2.7, -2.5], [1.4, 1.5, -1.5]])
    m = mtreg.RelationLearning(alpha=0.01, relation_strength=0.1, tol=1e-8).fit(X, Y)
    c = m.task_correlation_
    assert c[0, 1] > 0.9 and c[0, 2] < -0.9
    assert m.Sigma_.shape == (3, 3) and np.trace(m.Sigma_) == pytest.approx(1.0)
    assert np.all(np.linalg.eigvalsh(m.Sigma_) > -1e-12)
    assert np.all(np.diff(m.objectives_) <= 1e-12) and m.n_iter_ == len(m.objectives_)
    assert m.converged_


def test_certify_other_solvers_answers():
    X, Y = random_problem(13, 50, 20, 3)
    alpha = 0.1 * mtreg.alpha_max(X, Y)
    s = sk.MultiTaskLasso(alpha=alpha, **TIGHT).fit(X, Y)
    m = mtreg.MultiTaskLasso(alpha=alpha, **TIGHT).fit(X, Y)
    obj, cert = mtreg.certify(X, Y, s.coef_, alpha=alpha, tol=1e-12)
    assert cert.satisfied and cert.value == pytest.approx(s.dual_gap_, abs=1e-12)
    assert obj == pytest.approx(m.objective_, rel=1e-10)
    _, loose = mtreg.certify(X, Y, 0.9 * s.coef_, alpha=alpha, tol=1e-12)
    assert not loose.satisfied
