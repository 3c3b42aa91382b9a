"""Array handling and bad inputs: layouts without copies, dtype conversion,
NaN/inf and shape errors as scikit-learn-style ValueError naming the array
and the position, bad parameters, and no Rust panic crossing into Python."""

import numpy as np
import pytest
from conftest import random_problem

import mtreg
from mtreg import _core


@pytest.fixture
def xy():
    return random_problem(0, 40, 12, 3)


def test_layouts_give_identical_fits_without_copies(xy, monkeypatch):
    X, Y = xy
    seen = []
    real = _core.fit

    def spy(params, x, y, warm=None):
        seen.append((x, y))
        return real(params, x, y, warm)

    monkeypatch.setattr(_core, "fit", spy)
    variants = {
        "C": (np.ascontiguousarray(X), np.ascontiguousarray(Y)),
        "F": (np.asfortranarray(X), np.asfortranarray(Y)),
        "strided": (np.repeat(X, 2, axis=1)[:, ::2], np.repeat(Y, 2, axis=0)[::2]),
        "reversed rows": (X[::-1], Y[::-1]),
    }
    fits = {}
    for name, (x, y) in variants.items():
        m = mtreg.MultiTaskLasso(alpha=0.1, tol=1e-12).fit(x, y)
        fits[name] = m
        got_x, got_y = seen[-1]
        # the very arrays (views) reach the core: no copy in the binding
        assert got_x is x or np.shares_memory(got_x, x), name
        assert got_y is y or np.shares_memory(got_y, y), name
    for name, m in fits.items():
        np.testing.assert_allclose(m.coef_, fits["C"].coef_, atol=1e-9, err_msg=name)


def test_other_dtypes_are_converted_as_sklearn(xy):
    X, Y = xy
    ref = mtreg.MultiTaskLasso(alpha=0.1, tol=1e-12).fit(X.astype(np.float32).astype(np.float64), Y)
    m32 = mtreg.MultiTaskLasso(alpha=0.1, tol=1e-12).fit(X.astype(np.float32), Y)
    np.testing.assert_array_equal(m32.coef_, ref.coef_)
    assert m32.coef_.dtype == np.float64
    Xi = np.round(X * 10).astype(np.int64)
    mi = mtreg.MultiTaskLasso(alpha=0.1).fit(Xi, Y.tolist())
    mf = mtreg.MultiTaskLasso(alpha=0.1).fit(Xi.astype(float), Y)
    np.testing.assert_array_equal(mi.coef_, mf.coef_)
    big_endian = X.astype(">f8")
    mb = mtreg.MultiTaskLasso(alpha=0.1, tol=1e-12).fit(big_endian, Y)
    np.testing.assert_allclose(mb.coef_, mtreg.MultiTaskLasso(alpha=0.1, tol=1e-12).fit(X, Y).coef_)


def test_readonly_and_memmap_inputs(xy, tmp_path):
    X, Y = xy
    Xr = X.copy()
    Xr.setflags(write=False)
    path = tmp_path / "X.npy"
    np.save(path, X)
    Xm = np.load(path, mmap_mode="r")
    a = mtreg.MultiTaskLasso(alpha=0.1).fit(Xr, Y)
    b = mtreg.MultiTaskLasso(alpha=0.1).fit(Xm, Y)
    np.testing.assert_array_equal(a.coef_, b.coef_)


@pytest.mark.parametrize("value,word", [(np.nan, "NaN"), (np.inf, "infinity"), (-np.inf, "infinity")])
def test_nonfinite_values_are_refused_with_their_position(xy, value, word):
    X, Y = xy
    Xb = X.copy()
    Xb[7, 4] = value
    with pytest.raises(ValueError, match=rf"Input X contains {word} at row 7, column 4"):
        mtreg.MultiTaskLasso().fit(Xb, Y)
    Yb = Y.copy()
    Yb[3, 2] = value
    with pytest.raises(ValueError, match=rf"Input y contains {word} at row 3, column 2"):
        mtreg.MultiTaskElasticNet().fit(X, Yb)
    with pytest.raises(ValueError, match=rf"Input y contains {word} at row 3, column 2"):
        mtreg.MultiTaskLassoCV().fit(X, Yb)
    m = mtreg.MultiTaskLasso().fit(X, Y)
    with pytest.raises(ValueError, match=rf"Input X contains {word} at row 7, column 4"):
        m.predict(Xb)
    with pytest.raises(ValueError, match=rf"Input X\[1\] contains {word} at row 7, column 4"):
        mtreg.MultiTaskLasso().fit_tasks([X, Xb], [Y[:, 0], Y[:, 1]])
    with pytest.raises(ValueError, match=rf"Input y\[0\] contains {word} at row 3"):
        mtreg.MultiTaskLasso().fit_tasks([X, X], [Yb[:, 2], Y[:, 1]])
    with pytest.raises(ValueError, match=rf"Input X contains {word} at row 7, column 4"):
        mtreg.enet_path(Xb, Y)


def test_shape_errors(xy):
    X, Y = xy
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        mtreg.MultiTaskLasso().fit(X, Y[:-1])
    with pytest.raises(ValueError, match="For mono-task outputs, use Lasso"):
        mtreg.MultiTaskLasso().fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="For mono-task outputs, use ElasticNet"):
        mtreg.MultiTaskElasticNet().fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="Expected 2D array"):
        mtreg.MultiTaskLasso().fit(X[:, 0], Y)
    m = mtreg.MultiTaskLasso().fit(X, Y)
    with pytest.raises(ValueError, match="X has 11 features, but MultiTaskLasso is expecting 12"):
        m.predict(X[:, 1:])
    with pytest.raises(ValueError, match="0 sample"):
        mtreg.MultiTaskLasso().fit(X[:0], Y[:0])
    with pytest.raises(ValueError, match="same features"):
        mtreg.MultiTaskLasso().fit_tasks([X, X[:, 1:]], [Y[:, 0], Y[:, 1]])
    with pytest.raises(ValueError, match=r"X\[1\] has 40 samples but y\[1\] has 39"):
        mtreg.MultiTaskLasso().fit_tasks([X, X], [Y[:, 0], Y[:-1, 1]])
    with pytest.raises(ValueError, match="one weight per task"):
        mtreg.MultiTaskLasso().fit_tasks([X, X], [Y[:, 0], Y[:, 1]], task_weight=[1.0])
    with pytest.raises(ValueError, match="task weight must be finite and > 0"):
        mtreg.MultiTaskLasso().fit_tasks([X, X], [Y[:, 0], Y[:, 1]], task_weight=[1.0, 0.0])
    with pytest.raises(ValueError, match="tasks in the task graph vs tasks in the data"):
        mtreg.GraphMultiTask(graph=np.zeros((2, 2))  + np.eye(2)[::-1]).fit(X, Y)
    with pytest.raises(ValueError, match="task index"):
        mtreg.GraphMultiTask(graph=[(0, 5)]).fit(X, Y)
    with pytest.raises(ValueError, match="symmetric"):
        mtreg.GraphMultiTask(graph=np.triu(np.ones((3, 3)), 1)).fit(X, Y)


@pytest.mark.parametrize(
    "est",
    [
        mtreg.MultiTaskLasso(alpha=-1.0),
        mtreg.MultiTaskLasso(alpha=0.0),
        mtreg.MultiTaskElasticNet(l1_ratio=0.0),
        mtreg.MultiTaskLasso(selection="shuffle"),
        mtreg.MultiTaskLasso(max_iter=0),
        mtreg.MultiTaskLasso(tol=-1e-4),
        mtreg.MultiTaskLassoCV(cv=1),
        mtreg.MultiTaskLassoCV(eps=0.0),
        mtreg.GraphMultiTask(graph_strength=-1.0),
        mtreg.GraphMultiTask(penalty="l2"),
        mtreg.RelationLearning(relation_strength=0.0),
    ],
)
def test_bad_parameters(xy, est):
    X, Y = xy
    with pytest.raises(ValueError, match="parameter of|must be"):
        est.fit(X, Y)


def test_not_converged_warns_with_the_certificate(xy):
    from sklearn.exceptions import ConvergenceWarning

    X, Y = xy
    with pytest.warns(ConvergenceWarning, match="did not converge.*dual_gap"):
        m = mtreg.MultiTaskLasso(alpha=1e-4, tol=1e-14, max_iter=1).fit(X, Y)
    assert not m.converged_ and not m.certificate_.satisfied


def test_a_rust_panic_becomes_runtime_error():
    with pytest.raises(RuntimeError, match="Rust panic.*boom"):
        _core._panic_for_tests("boom")
    # the interpreter and the module are still usable
    X, Y = random_problem(1, 20, 5, 2)
    assert mtreg.MultiTaskLasso(alpha=0.1).fit(X, Y).certificate_.satisfied


def test_dataframes_give_feature_names():
    pd = pytest.importorskip("pandas")
    X, Y = random_problem(2, 30, 4, 2)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    m = mtreg.MultiTaskLasso(alpha=0.1).fit(df, pd.DataFrame(Y))
    np.testing.assert_array_equal(m.feature_names_in_, ["a", "b", "c", "d"])
    assert m.n_features_in_ == 4
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_allclose(m.predict(df), m.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        m.predict(df[["b", "a", "c", "d"]])
    cv = mtreg.MultiTaskLassoCV(alphas=5).fit(df, Y)
    np.testing.assert_array_equal(cv.feature_names_in_, ["a", "b", "c", "d"])
    t = mtreg.MultiTaskLasso(alpha=0.1).fit_tasks([df, df], [Y[:, 0], Y[:, 1]])
    np.testing.assert_array_equal(t.feature_names_in_, ["a", "b", "c", "d"])


def test_fast_paths_keep_sklearn_semantics(xy):
    pd = pytest.importorskip("pandas")
    X, Y = xy
    m = mtreg.MultiTaskLasso(alpha=0.1).fit(pd.DataFrame(X, columns=[f"f{i}" for i in range(12)]), Y)
    assert hasattr(m, "feature_names_in_")
    m.fit(X, Y)  # plain arrays: the names of the previous fit are forgotten
    assert not hasattr(m, "feature_names_in_") and m.n_features_in_ == 12
    # parameters are validated again once they change
    m.set_params(alpha=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        m.fit(X, Y)
    m.set_params(alpha=0.1, selection="nope")
    with pytest.raises(ValueError, match="selection"):
        m.fit(X, Y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        m.set_params(selection="cyclic").fit(X, Y[:-2])
