"""Cross-validation parity with scikit-learn's MultiTaskLassoCV and
MultiTaskElasticNetCV: the same grid, folds and selection; at a tight tol the
held-out errors agree to 1e-6 and the same alpha is selected."""

import numpy as np
import pytest
from conftest import random_problem
from sklearn import linear_model as sk
from sklearn.model_selection import KFold, ShuffleSplit

import mtreg

TIGHT = dict(tol=1e-12, max_iter=200_000)


def assert_cv_parity(m, s, l1=False):
    assert m.alphas_.shape == s.alphas_.shape
    np.testing.assert_allclose(m.alphas_, s.alphas_, rtol=1e-12)
    assert m.mse_path_.shape == s.mse_path_.shape
    np.testing.assert_allclose(m.mse_path_, s.mse_path_, rtol=1e-6)
    # the same alpha of the grid (the grids agree to rounding)
    assert m.alpha_ == pytest.approx(s.alpha_, rel=1e-12)
    flat = np.ravel(m.alphas_)
    assert np.argmin(np.abs(flat - m.alpha_)) == np.argmin(np.abs(np.ravel(s.alphas_) - s.alpha_))
    if l1:
        assert m.l1_ratio_ == s.l1_ratio_
    else:
        assert not hasattr(m, "l1_ratio_")
    np.testing.assert_allclose(m.coef_, s.coef_, atol=1e-6 * max(1, np.abs(s.coef_).max()))
    np.testing.assert_allclose(m.intercept_, s.intercept_, atol=1e-6 * max(1, np.abs(s.coef_).max()))
    assert m.certificate_.satisfied and m.dual_gap_ <= m.certificate_.tol


@pytest.mark.parametrize("seed,n,p,T", [(0, 60, 20, 3), (1, 45, 60, 4)])
def test_lasso_cv_parity(seed, n, p, T):
    X, Y = random_problem(seed, n, p, T, noise=3.0)
    m = mtreg.MultiTaskLassoCV(alphas=30, **TIGHT).fit(X, Y)
    s = sk.MultiTaskLassoCV(alphas=30, **TIGHT).fit(X, Y)
    assert m.mse_path_.shape == (30, 5)
    assert_cv_parity(m, s)


def test_elastic_net_cv_parity_l1_ratio_grid():
    X, Y = random_problem(2, 50, 25, 3, noise=3.0)
    kw = dict(l1_ratio=[0.3, 0.7, 1.0], alphas=15, cv=4, **TIGHT)
    m = mtreg.MultiTaskElasticNetCV(**kw).fit(X, Y)
    s = sk.MultiTaskElasticNetCV(**kw).fit(X, Y)
    assert m.mse_path_.shape == (3, 15, 4) and m.alphas_.shape == (3, 15)
    assert_cv_parity(m, s, l1=True)


def test_explicit_alphas_and_shuffled_kfold():
    X, Y = random_problem(3, 40, 15, 2, noise=2.0)
    folds = KFold(n_splits=3, shuffle=True, random_state=0)
    kw = dict(alphas=[0.5, 2.0, 0.1, 1.0], cv=folds, **TIGHT)
    m = mtreg.MultiTaskLassoCV(**kw).fit(X, Y)
    s = sk.MultiTaskLassoCV(**kw).fit(X, Y)
    np.testing.assert_array_equal(m.alphas_, [2.0, 1.0, 0.5, 0.1])
    assert_cv_parity(m, s)


def test_splits_that_do_not_partition_the_samples():
    X, Y = random_problem(4, 40, 15, 2, noise=2.0)
    kw = dict(alphas=10, cv=ShuffleSplit(n_splits=3, test_size=0.3, random_state=0), **TIGHT)
    m = mtreg.MultiTaskElasticNetCV(l1_ratio=0.5, **kw).fit(X, Y)
    s = sk.MultiTaskElasticNetCV(l1_ratio=0.5, **kw).fit(X, Y)
    assert_cv_parity(m, s, l1=True)


def test_n_jobs_threads_give_the_same_result():
    X, Y = random_problem(5, 80, 40, 3, noise=3.0)
    one = mtreg.MultiTaskLassoCV(alphas=20, n_jobs=1).fit(X, Y)
    two = mtreg.MultiTaskLassoCV(alphas=20, n_jobs=2).fit(X, Y)
    everything = mtreg.MultiTaskLassoCV(alphas=20, n_jobs=-1).fit(X, Y)
    np.testing.assert_array_equal(one.mse_path_, two.mse_path_)
    np.testing.assert_array_equal(one.mse_path_, everything.mse_path_)
    assert one.alpha_ == two.alpha_


def test_one_dimensional_y_is_refused_as_sklearn():
    X, Y = random_problem(6, 30, 5, 1)
    for est, word in [(mtreg.MultiTaskLassoCV(), "LassoCV"),
                      (mtreg.MultiTaskElasticNetCV(), "ElasticNetCV")]:
        with pytest.raises(ValueError, match=f"For mono-task outputs, use {word}"):
            est.fit(X, Y[:, 0])


def test_cv_with_per_task_designs():
    rng = np.random.default_rng(7)
    w = np.zeros(10)
    w[:3] = [3.0, -2.0, 1.5]
    Xs = [rng.standard_normal((n, 10)) for n in (40, 55, 30)]
    ys = [X @ w + 0.5 * rng.standard_normal(len(X)) for X in Xs]
    m = mtreg.MultiTaskLassoCV(alphas=12, cv=4).fit_tasks(Xs, ys)
    assert m.per_task_ and m.mse_path_.shape == (12, 4) and not hasattr(m, "l1_ratio_")
    assert m.alpha_ in m.alphas_ and m.certificate_.satisfied
    # the refit is the per-task fit at the selected alpha
    ref = mtreg.MultiTaskLasso(alpha=m.alpha_).fit_tasks(Xs, ys)
    np.testing.assert_allclose(m.coef_, ref.coef_, atol=1e-12)
    e = mtreg.MultiTaskElasticNetCV(l1_ratio=[0.5, 1.0], alphas=8, cv=3).fit_tasks(Xs, ys)
    assert e.mse_path_.shape == (2, 8, 3) and e.l1_ratio_ in (0.5, 1.0)
    with pytest.raises(ValueError, match="cv=None or an int"):
        mtreg.MultiTaskLassoCV(cv=KFold(3)).fit_tasks(Xs, ys)
