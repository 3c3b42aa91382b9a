"""Regularisation paths with scikit-learn's ``enet_path`` / ``lasso_path``
conventions, computed by mtreg's warm-started path."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_array

from . import _core
from ._base import _assert_finite, _core_params, _native_f64

__all__ = ["enet_path", "lasso_path", "alpha_max", "certify"]


def enet_path(
    X,
    y,
    *,
    l1_ratio=0.5,
    eps=1e-3,
    n_alphas=None,
    alphas=None,
    precompute="auto",
    Xy=None,
    copy_X=True,
    coef_init=None,
    verbose=False,
    return_n_iter=False,
    positive=False,
    check_input=True,
    fit_intercept=False,
    return_certificates=False,
    **params,
):
    """Elastic-net path (multi-task: L21), as ``sklearn.linear_model.enet_path``.

    Solves, for each alpha of a decreasing grid, each fit warm-started at the
    previous one::

        1 / (2 * n_samples) * ||Y - XW||_Fro^2 + alpha * l1_ratio * ||W||_21
        + 0.5 * alpha * (1 - l1_ratio) * ||W||_Fro^2

    Like scikit-learn's, the data are used as given (no intercept) unless
    ``fit_intercept=True``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets; a 1-D y is one task (then the L21 norm is the L1 norm).
    l1_ratio : float, default=0.5
        L21 share of the penalty, in (0, 1].
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    n_alphas : int, default=None
        Deprecated spelling of an integer ``alphas`` (scikit-learn < 1.9).
    alphas : int or array-like, default=None
        Number of alphas of the automatic grid (None: 100), or the alphas.
    precompute, Xy, copy_X, verbose, check_input : optional
        Accepted for compatibility; mtreg chooses residual or Gram mode itself
        and never modifies X.
    coef_init : array-like of shape (n_features,) or (n_targets, n_features), default=None
        Initial coefficients of the first fit.
    return_n_iter : bool, default=False
        Also return the epochs of each fit.
    positive : bool, default=False
        Must be False (not supported).
    fit_intercept : bool, default=False
        Centre X and y first (mtreg extension).
    return_certificates : bool, default=False
        Also return the certificate of each fit (mtreg extension).
    **params : dict
        ``tol`` (1e-4), ``max_iter`` (1000), ``selection`` ('cyclic'),
        ``random_state`` (None).

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The alphas, decreasing.
    coefs : ndarray of shape (n_features, n_alphas) or (n_targets, n_features, n_alphas)
        Coefficients along the path.
    dual_gaps : ndarray of shape (n_alphas,)
        Duality gap of each fit (objective units, as scikit-learn >= 1.9).
    n_iters : list of int
        Epochs of each fit (if ``return_n_iter``).
    certificates : list of Certificate
        Certificate of each fit (if ``return_certificates``).
    """
    from ._base import _certificate

    if positive:
        raise ValueError("positive=True is not supported by mtreg")
    unknown = set(params) - {"tol", "max_iter", "selection", "random_state"}
    if unknown:
        raise ValueError("Unexpected parameters in params", sorted(unknown))
    X = _native_f64(check_array(X, dtype=np.float64, ensure_all_finite=False))
    y = check_array(y, dtype=np.float64, ensure_2d=False, ensure_all_finite=False, input_name="y")
    mono = y.ndim == 1
    Y = _native_f64(y.reshape(-1, 1) if mono else y)
    if Y.shape[0] != X.shape[0]:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: [{X.shape[0]}, {Y.shape[0]}]"
        )
    if alphas is None:
        alphas = 100 if n_alphas is None else n_alphas
    if isinstance(alphas, numbers.Integral):
        grid, count = None, int(alphas)
    else:
        grid = np.ascontiguousarray(np.asarray(alphas, dtype=np.float64).ravel())
        count = len(grid)
    warm = None
    if coef_init is not None:
        warm = np.asarray(coef_init, dtype=np.float64).reshape(Y.shape[1], X.shape[1])
        _assert_finite("coef_init", warm)
    core = _core_params(
        "enet",
        l1_ratio=l1_ratio,
        fit_intercept=bool(fit_intercept),
        tol=params.get("tol", 1e-4),
        max_iter=params.get("max_iter", 1000),
        selection=params.get("selection", "cyclic"),
        random_state=params.get("random_state"),
    )
    res = _core.path(core, X, Y, grid, count, float(eps), warm)
    fits = res["fits"]
    coefs = np.stack([f["coef"] for f in fits], axis=-1)  # (T, p, n_alphas)
    if mono:
        coefs = coefs[0]
    gaps = np.array([f["dual_gap"] for f in fits], dtype=np.float64)
    out = [res["alphas"], coefs, gaps]
    if return_n_iter:
        out.append([int(f["n_iter"]) for f in fits])
    if return_certificates:
        out.append([_certificate(f["certificate"]) for f in fits])
    return tuple(out)


def lasso_path(X, y, *, eps=1e-3, n_alphas=None, alphas=None, **kwargs):
    """Lasso path (multi-task: L21), as ``sklearn.linear_model.lasso_path``:
    :func:`enet_path` with ``l1_ratio=1``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    eps : float, default=1e-3
        ``alpha_min / alpha_max``.
    n_alphas : int, default=None
        Deprecated spelling of an integer ``alphas``.
    alphas : int or array-like, default=None
        Grid size (None: 100) or the alphas.
    **kwargs : dict
        As :func:`enet_path`.

    Returns
    -------
    tuple
        As :func:`enet_path`.
    """
    return enet_path(X, y, l1_ratio=1.0, eps=eps, n_alphas=n_alphas, alphas=alphas, **kwargs)


def alpha_max(X, y, *, l1_ratio=1.0, fit_intercept=True):
    """The smallest alpha for which the multi-task elastic net gives W = 0:
    ``max_j ||X_j^T Y||_2 / (n_samples * l1_ratio)`` on centred data (with
    ``fit_intercept``).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    l1_ratio : float, default=1.0
        L21 share of the penalty.
    fit_intercept : bool, default=True
        Centre the data first.

    Returns
    -------
    float
        alpha_max.
    """
    X = _native_f64(check_array(X, dtype=np.float64, ensure_all_finite=False))
    y = check_array(y, dtype=np.float64, ensure_2d=False, ensure_all_finite=False, input_name="y")
    Y = _native_f64(y.reshape(-1, 1) if y.ndim == 1 else y)
    core = _core_params("enet", l1_ratio=l1_ratio, fit_intercept=bool(fit_intercept))
    return float(_core.alpha_max(core, X, Y))


def certify(X, y, coef, *, alpha, l1_ratio=1.0, fit_intercept=True, tol=1e-4):
    """The objective and certificate of any coefficients for the multi-task
    elastic net on X, y, exactly as an mtreg fit reports them: useful to check
    another solver's answer.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples, n_targets)
        Targets.
    coef : array-like of shape (n_targets, n_features)
        Coefficients in scikit-learn's layout (``coef_``).
    alpha : float
        Regularisation strength.
    l1_ratio : float, default=1.0
        L21 share of the penalty.
    fit_intercept : bool, default=True
        Centre the data (the intercept is then the optimal one for ``coef``).
    tol : float, default=1e-4
        Sets the certificate's threshold, ``tol * ||Y||^2 / n``.

    Returns
    -------
    objective : float
        The objective of ``coef`` (on the centred problem with an intercept).
    certificate : Certificate
        Its duality gap and threshold.

    Examples
    --------
    >>> from sklearn.linear_model import MultiTaskLasso
    >>> from mtreg import certify, make_regression
    >>> X, y = make_regression(n_samples=30, n_features=5, n_targets=2, random_state=0)
    >>> sk = MultiTaskLasso(alpha=1.0).fit(X, y)
    >>> objective, cert = certify(X, y, sk.coef_, alpha=1.0)
    >>> cert.kind
    'dual_gap'
    """
    from ._base import _certificate

    X = _native_f64(check_array(X, dtype=np.float64, ensure_all_finite=False))
    Y = _native_f64(check_array(y, dtype=np.float64, ensure_all_finite=False, input_name="y"))
    coef = np.asarray(check_array(coef, dtype=np.float64, input_name="coef"))
    core = _core_params(
        "enet", alpha=alpha, l1_ratio=l1_ratio, fit_intercept=bool(fit_intercept), tol=tol
    )
    objective, cert = _core.certify(core, X, Y, coef)
    return float(objective), _certificate(cert)
