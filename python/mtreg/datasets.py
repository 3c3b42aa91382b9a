"""Synthetic data: ``make_regression`` with scikit-learn's parameters and
semantics, drawn by mtreg's portable generator."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state

from . import _core

__all__ = ["make_regression"]


def make_regression(
    n_samples=100,
    n_features=100,
    *,
    n_informative=10,
    n_targets=1,
    bias=0.0,
    effective_rank=None,
    tail_strength=0.5,
    noise=0.0,
    shuffle=True,
    coef=False,
    random_state=None,
):
    """Random linear regression problem, as ``sklearn.datasets.make_regression``.

    ``y = X @ coef + bias + noise`` with X i.i.d. standard normal (or of
    effective rank ``effective_rank``), ``n_informative`` non-zero rows of
    ``coef`` drawn from ``100 * Uniform(0, 1)`` (shared by all targets: the
    row-sparse structure of the multi-task Lasso), and Gaussian noise of
    standard deviation ``noise``. Parameters, defaults, distributions and
    output shapes are scikit-learn's; the random stream is mtreg's (ChaCha8),
    so the same seed does not give scikit-learn's numbers, but gives the same
    numbers on every platform.

    Parameters
    ----------
    n_samples : int, default=100
        Number of samples.
    n_features : int, default=100
        Number of features.
    n_informative : int, default=10
        Number of features with non-zero coefficients.
    n_targets : int, default=1
        Number of targets (tasks).
    bias : float, default=0.0
        Constant added to every target.
    effective_rank : int, default=None
        None: X is i.i.d. standard normal; an int: X has this approximate
        rank (correlated features, fat-tailed spectrum).
    tail_strength : float, default=0.5
        Weight of the fat tail of the spectrum, in [0, 1].
    noise : float, default=0.0
        Standard deviation of the Gaussian noise.
    shuffle : bool, default=True
        Permute samples and features.
    coef : bool, default=False
        Also return the true coefficients.
    random_state : int, RandomState instance or None, default=None
        Seed (an int is used as is; otherwise a seed is drawn from it).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The design.
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        The targets (1-D when ``n_targets == 1``, as scikit-learn).
    coef : ndarray of shape (n_features,) or (n_features, n_targets)
        The true coefficients (if ``coef=True``).

    Examples
    --------
    >>> from mtreg import make_regression
    >>> X, y, w = make_regression(n_samples=50, n_features=8, n_informative=3,
    ...                           n_targets=2, coef=True, random_state=0)
    >>> X.shape, y.shape, int((w != 0).any(axis=1).sum())
    ((50, 8), (50, 2), 3)
    """
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be >= 0, got {random_state}")
        seed = int(random_state)
    else:
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    for name, v in (("n_samples", n_samples), ("n_features", n_features),
                    ("n_informative", n_informative), ("n_targets", n_targets)):
        if not isinstance(v, numbers.Integral) or v < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
    if effective_rank is not None and (not isinstance(effective_rank, numbers.Integral) or effective_rank < 1):
        raise ValueError(f"effective_rank must be None or an integer >= 1, got {effective_rank!r}")
    X, Y, W = _core.make_regression(
        int(n_samples), int(n_features), int(n_informative), int(n_targets),
        float(bias), None if effective_rank is None else int(effective_rank),
        float(tail_strength), float(noise), bool(shuffle), seed,
    )
    y = np.squeeze(Y) if n_targets == 1 else Y
    if coef:
        return X, y, (np.squeeze(W) if n_targets == 1 else W)
    return X, y
