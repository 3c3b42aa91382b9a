import numpy as np
import pytest


def objective(X, Y, coef, intercept, alpha, l1_ratio):
    """The multi-task elastic-net objective of (coef (T, p), intercept) on X, Y."""
    n = X.shape[0]
    R = Y - X @ coef.T - intercept
    W = coef.T
    return (
        0.5 / n * np.sum(R**2)
        + alpha * l1_ratio * np.sum(np.sqrt(np.sum(W**2, axis=1)))
        + 0.5 * alpha * (1 - l1_ratio) * np.sum(W**2)
    )


def random_problem(seed, n, p, T, informative=5, noise=1.0, intercept=True):
    """A Gaussian design, a row-sparse truth, noise; offsets when intercept."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if intercept:
        X += rng.standard_normal(p)
    W = np.zeros((p, T))
    rows = rng.choice(p, size=min(informative, p), replace=False)
    W[rows] = rng.standard_normal((len(rows), T)) * 3
    Y = X @ W + noise * rng.standard_normal((n, T))
    if intercept:
        Y += rng.standard_normal(T) * 5
    return X, Y


@pytest.fixture
def problem():
    return random_problem(0, 50, 30, 4)
