"""get_params / set_params / clone, and pickling of fitted estimators."""

import pickle

import numpy as np
import pytest
from conftest import random_problem
from sklearn.base import clone

import mtreg

ESTIMATORS = [
    mtreg.MultiTaskLasso(alpha=0.2),
    mtreg.MultiTaskElasticNet(alpha=0.2, l1_ratio=0.6),
    mtreg.MultiTaskLassoCV(alphas=10, cv=3),
    mtreg.MultiTaskElasticNetCV(l1_ratio=[0.5, 1.0], alphas=10, cv=3),
    mtreg.GraphMultiTask(alpha=0.2, graph="chain"),
    mtreg.GraphMultiTask(alpha=0.2, graph=[(0, 2, 0.5)], penalty="entrywise"),
    mtreg.RelationLearning(alpha=0.2),
]


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_pickle_round_trip(est, tmp_path):
    X, Y = random_problem(0, 40, 10, 3)
    fitted = clone(est).fit(X, Y)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(fitted))
    loaded = pickle.loads(path.read_bytes())
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))
    assert loaded.certificate_ == fitted.certificate_
    assert loaded.get_params() == fitted.get_params()
    if hasattr(fitted, "Sigma_"):
        np.testing.assert_array_equal(loaded.Sigma_, fitted.Sigma_)
    if hasattr(fitted, "mse_path_"):
        np.testing.assert_array_equal(loaded.mse_path_, fitted.mse_path_)


def test_params_and_clone():
    m = mtreg.MultiTaskElasticNet(alpha=0.3, l1_ratio=0.4, selection="random", random_state=2)
    p = m.get_params()
    assert p["alpha"] == 0.3 and p["l1_ratio"] == 0.4 and p["random_state"] == 2
    assert set(p) == {"alpha", "l1_ratio", "fit_intercept", "copy_X", "max_iter", "tol",
                      "warm_start", "random_state", "selection"}
    m.set_params(alpha=0.5)
    assert m.alpha == 0.5
    c = clone(m)
    assert c.get_params() == m.get_params() and c is not m
    assert "l1_ratio" not in mtreg.MultiTaskLasso().get_params()
    g = mtreg.GraphMultiTask(graph="chain", graph_strength=3.0)
    assert clone(g).get_params()["graph_strength"] == 3.0
    assert repr(mtreg.MultiTaskLasso(alpha=0.5)) == "MultiTaskLasso(alpha=0.5)"
