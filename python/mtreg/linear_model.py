"""scikit-learn's multi-task linear models, on mtreg's solver.

``MultiTaskLasso``, ``MultiTaskElasticNet``, ``MultiTaskLassoCV`` and
``MultiTaskElasticNetCV`` take scikit-learn's parameters and set its fitted
attributes, with the same conventions (``coef_`` is ``(n_targets,
n_features)``, a 1-D ``y`` is refused, ``mse_path_`` is ``(n_alphas,
n_folds)``). Each fit also carries its certificate (``certificate_``).
"""

from __future__ import annotations

import numbers

import numpy as np
from joblib import effective_n_jobs
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval

from . import _core
from ._base import (
    _COMMON_CONSTRAINTS,
    _check_2d_y,
    _core_params,
    _MultiTaskModel,
    _SingleFitModel,
    _validate_tasks,
    _validate_xy,
)

__all__ = [
    "MultiTaskElasticNet",
    "MultiTaskLasso",
    "MultiTaskElasticNetCV",
    "MultiTaskLassoCV",
]


class MultiTaskElasticNet(_SingleFitModel):
    """Multi-task elastic net (L21 + ridge penalty), scikit-learn compatible.

    Minimises::

        (1 / (2 * n_samples)) * ||Y - XW||_Fro^2
        + alpha * l1_ratio * ||W||_21
        + 0.5 * alpha * (1 - l1_ratio) * ||W||_Fro^2

    where ``||W||_21 = sum_j ||W_j||_2`` over the rows (features) of W, so a
    feature is used by all tasks or by none. The solver is mtreg's certified
    working-set block coordinate descent; it stops when the duality gap is at
    most ``tol * ||Y||^2 / n_samples`` (scikit-learn's criterion).

    Parameters
    ----------
    alpha : float, default=1.0
        Regularisation strength, > 0.
    l1_ratio : float, default=0.5
        L21 share of the penalty, in (0, 1]; 1 is the multi-task Lasso.
    fit_intercept : bool, default=True
        Fit one intercept per task (the data are centred).
    copy_X : bool, default=True
        Accepted for compatibility; X is never modified.
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float, default=1e-4
        Relative duality-gap tolerance.
    warm_start : bool, default=False
        Start from the previous ``coef_`` (same shape) instead of zero.
    random_state : int, RandomState instance or None, default=None
        Seeds the block order when ``selection='random'``.
    selection : {'cyclic', 'random'}, default='cyclic'
        Block visiting order ('random': a seeded permutation every epoch).

    Attributes
    ----------
    coef_ : ndarray of shape (n_targets, n_features)
        Coefficients (W transposed).
    intercept_ : ndarray of shape (n_targets,) or 0.0
        Intercepts (0.0 when ``fit_intercept=False``).
    dual_gap_ : float
        Duality gap at the solution (objective units, as scikit-learn).
    eps_ : float
        The stopping threshold in scikit-learn's unscaled units.
    n_iter_ : int
        Epochs of coordinate descent run.
    certificate_ : Certificate
        The optimality certificate (kind, value, tol; ``.satisfied``).
    objective_ : float
        Objective at the solution (on the centred problem).
    kkt_residual_ : float
        Largest distance of the negative gradient to the subdifferential.
    converged_ : bool
        False when ``max_iter`` stopped the solver (a ConvergenceWarning is
        emitted).
    alpha_max_ : float
        Smallest alpha giving W = 0 on this data.
    n_screened_ : int
        Features that gap-safe screening proved zero.
    per_task_ : bool
        Whether the last fit was :meth:`fit_tasks`.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X was a DataFrame with string column names.

    Examples
    --------
    >>> from mtreg import MultiTaskElasticNet
    >>> m = MultiTaskElasticNet(alpha=0.1).fit([[0, 0], [1, 1], [2, 2]], [[0, 0], [1, 1], [2, 2]])
    >>> m.coef_.shape, m.certificate_.satisfied
    ((2, 2), True)
    """

    _model = "enet"
    _mono = "ElasticNet"
    _parameter_constraints: dict = {
        "alpha": [Interval(numbers.Real, 0, None, closed="neither")],
        "l1_ratio": [Interval(numbers.Real, 0, 1, closed="right")],
        "copy_X": ["boolean"],
        "warm_start": ["boolean"],
        **_COMMON_CONSTRAINTS,
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        l1_ratio=0.5,
        fit_intercept=True,
        copy_X=True,
        max_iter=1000,
        tol=1e-4,
        warm_start=False,
        random_state=None,
        selection="cyclic",
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.selection = selection

    def _params(self) -> dict:
        return _core_params(
            "enet",
            alpha=self.alpha,
            l1_ratio=self.l1_ratio,
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            max_iter=self.max_iter,
            selection=self.selection,
            random_state=self.random_state,
        )


class MultiTaskLasso(MultiTaskElasticNet):
    """Multi-task Lasso (L21 penalty), scikit-learn compatible.

    Minimises ``(1 / (2 * n_samples)) * ||Y - XW||_Fro^2 + alpha * ||W||_21``:
    :class:`MultiTaskElasticNet` with ``l1_ratio=1``.

    Parameters
    ----------
    alpha : float, default=1.0
        Regularisation strength, > 0.
    fit_intercept : bool, default=True
        Fit one intercept per task.
    copy_X : bool, default=True
        Accepted for compatibility; X is never modified.
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float, default=1e-4
        Relative duality-gap tolerance.
    warm_start : bool, default=False
        Start from the previous ``coef_``.
    random_state : int, RandomState instance or None, default=None
        Seeds the block order when ``selection='random'``.
    selection : {'cyclic', 'random'}, default='cyclic'
        Block visiting order.

    Attributes
    ----------
    coef_, intercept_, dual_gap_, eps_, n_iter_, certificate_, objective_, \
kkt_residual_, converged_, alpha_max_, n_screened_, per_task_, \
n_features_in_, feature_names_in_
        As :class:`MultiTaskElasticNet`.

    Examples
    --------
    >>> from mtreg import MultiTaskLasso
    >>> m = MultiTaskLasso(alpha=0.1).fit([[0, 1], [1, 2], [1, 1]], [[0, 0], [1, 1], [2, 3]])
    >>> m.coef_.shape
    (2, 2)
    """

    _mono = "Lasso"
    _parameter_constraints: dict = {
        k: v for k, v in MultiTaskElasticNet._parameter_constraints.items() if k != "l1_ratio"
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        copy_X=True,
        max_iter=1000,
        tol=1e-4,
        warm_start=False,
        random_state=None,
        selection="cyclic",
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.selection = selection

    def _params(self) -> dict:
        return _core_params(
            "enet",
            alpha=self.alpha,
            l1_ratio=1.0,
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            max_iter=self.max_iter,
            selection=self.selection,
            random_state=self.random_state,
        )


def _partition(folds, n: int):
    """The test folds if they partition range(n) and every train set is the
    complement of its test set (KFold and friends), else None."""
    seen = np.zeros(n, dtype=bool)
    tests = []
    for train, test in folds:
        test = np.asarray(test)
        train = np.asarray(train)
        if test.dtype == bool:
            test = np.flatnonzero(test)
        if train.dtype == bool:
            train = np.flatnonzero(train)
        if len(test) + len(train) != n or len(test) == 0:
            return None
        if seen[test].any():
            return None
        seen[test] = True
        mask = np.ones(n, dtype=bool)
        mask[test] = False
        if not np.array_equal(np.sort(train), np.flatnonzero(mask)):
            return None
        tests.append([int(i) for i in np.sort(test)])
    if not seen.all() or len(tests) < 2:
        return None
    return tests


class _MultiTaskCV(_MultiTaskModel):
    """Cross-validation over an alpha grid (and l1_ratios), then a refit."""

    _mono = "ElasticNetCV"
    _parameter_constraints: dict = {
        "eps": [Interval(numbers.Real, 0, None, closed="neither")],
        "alphas": [Interval(numbers.Integral, 1, None, closed="left"), "array-like"],
        "copy_X": ["boolean"],
        "cv": ["cv_object"],
        "verbose": ["verbose"],
        "n_jobs": [numbers.Integral, None],
        **_COMMON_CONSTRAINTS,
    }

    def _l1_ratios(self):
        return [1.0]

    def fit(self, X, y):
        """Fit the model with cross-validation over the alpha grid.

        The folds come from ``check_cv(cv)`` (5 contiguous folds by default,
        as scikit-learn). Folds that partition the samples (KFold, GroupKFold,
        LeaveOneOut, ...) run inside the engine, in parallel on ``n_jobs``
        threads with the GIL released; other splitters (ShuffleSplit,
        TimeSeriesSplit, ...) fit the engine's path fold by fold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples, n_targets)
            Targets (2-D).

        Returns
        -------
        self : object
            The estimator refitted at the selected alpha on all the data.
        """
        self._validate_params()
        X, y = _validate_xy(self, X, y)
        y = _check_2d_y(y, self._mono)
        l1_ratios = [float(r) for r in self._l1_ratios()]
        folds = list(check_cv(self.cv).split(X, y))
        tests = _partition(folds, X.shape[0])
        if isinstance(self.alphas, numbers.Integral):
            alphas, n_alphas = None, int(self.alphas)
        else:
            alphas = np.ascontiguousarray(np.asarray(self.alphas, dtype=np.float64).ravel())
            n_alphas = len(alphas)
        threads = max(1, int(effective_n_jobs(self.n_jobs)))
        results = []
        for r in l1_ratios:
            params = self._cv_params(r)
            if tests is not None:
                res = _core.cross_validate(
                    params, X, y, tests, alphas, n_alphas, float(self.eps), threads
                )
            else:
                res = self._cv_by_fold(params, X, y, folds, alphas, n_alphas)
            results.append(res)
        self._select(results, l1_ratios, alphas is None, X.shape[0])
        self.per_task_ = False
        return self

    def fit_tasks(self, Xs, ys, task_weight=None):
        """Cross-validate with a separate design per task.

        Each task's samples are split into ``cv`` contiguous folds (``cv`` must
        be None, i.e. 5, or an int); fold k holds part k of every task. The
        grid comes from alpha_max of all the data; the refit is
        :meth:`MultiTaskElasticNet.fit_tasks` at the selected alpha.

        Parameters
        ----------
        Xs : list of array-like, one of shape (n_t, n_features) per task
            Task t's design.
        ys : list of array-like, one of shape (n_t,) per task
            Task t's targets.
        task_weight : array-like of shape (n_tasks,), default=None
            Task weights ``c_t > 0`` (default 1).

        Returns
        -------
        self : object
            The estimator refitted at the selected alpha.
        """
        self._validate_params()
        k = 5 if self.cv is None else self.cv
        if not isinstance(k, numbers.Integral) or isinstance(k, bool):
            raise ValueError(
                "fit_tasks takes cv=None or an int: each task's samples are split "
                f"into that many contiguous folds; got cv={self.cv!r}"
            )
        xs, ys, w = _validate_tasks(self, Xs, ys, task_weight)
        l1_ratios = [float(r) for r in self._l1_ratios()]
        if isinstance(self.alphas, numbers.Integral):
            alphas, n_alphas = None, int(self.alphas)
        else:
            alphas = np.ascontiguousarray(np.asarray(self.alphas, dtype=np.float64).ravel())
            n_alphas = len(alphas)
        threads = max(1, int(effective_n_jobs(self.n_jobs)))
        results = [
            _core.cross_validate_tasks(
                self._cv_params(r), xs, ys, int(k), w, alphas, n_alphas, float(self.eps), threads
            )
            for r in l1_ratios
        ]
        self._select(results, l1_ratios, alphas is None, None)
        self.per_task_ = True
        return self

    def _select(self, results, l1_ratios, auto_grid, n_samples):
        """scikit-learn's selection: the first l1_ratio whose smallest mean
        MSE is strictly smaller; attributes in scikit-learn's shapes."""
        best, best_mse = 0, np.inf
        for i, res in enumerate(results):
            m = float(np.min(res["mse_mean"]))
            if m < best_mse:
                best, best_mse = i, m
        chosen = results[best]
        mse = np.stack([res["mse_path"] for res in results])  # (L, n_alphas, K)
        self.mse_path_ = np.squeeze(mse)
        self.alpha_ = float(chosen["alpha"])
        self.l1_ratio_ = l1_ratios[best]
        if auto_grid:
            grids = np.stack([res["alphas"] for res in results])
            self.alphas_ = grids[0] if len(l1_ratios) == 1 else grids
        else:
            self.alphas_ = results[0]["alphas"]
        self._set_fit(chosen["fit"], n_samples)

    def _cv_by_fold(self, params, X, y, folds, alphas, n_alphas):
        """Splits that do not partition the samples: one engine path per
        fold on its training samples, held-out MSE per alpha, then the refit."""
        if alphas is None:
            amax = _core.alpha_max(params, X, y)
            grid = np.geomspace(amax, amax * float(self.eps), num=n_alphas) if n_alphas > 1 else np.array([amax])
        else:
            grid = np.sort(alphas)[::-1]
        grid = np.ascontiguousarray(grid)
        mse = np.empty((len(grid), len(folds)))
        for k, (train, test) in enumerate(folds):
            path = _core.path(params, X[train], y[train], grid, len(grid), float(self.eps))
            for a, f in enumerate(path["fits"]):
                pred = X[test] @ f["coef"].T + f["intercept"]
                mse[a, k] = np.mean((y[test] - pred) ** 2)
        mean = mse.mean(axis=1)
        alpha = float(grid[int(np.argmin(mean))])
        params = dict(params, alpha=alpha)
        return dict(
            alphas=grid,
            mse_path=mse,
            mse_mean=mean,
            alpha=alpha,
            fit=_core.fit(params, X, y, None),
        )

    def _cv_params(self, l1_ratio: float) -> dict:
        return _core_params(
            "enet",
            l1_ratio=l1_ratio,
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            max_iter=self.max_iter,
            selection=self.selection,
            random_state=self.random_state,
        )


class MultiTaskElasticNetCV(_MultiTaskCV):
    """Multi-task elastic net with cross-validation over alpha (and l1_ratio).

    The grid, folds, scores and selection are scikit-learn's: ``alphas``
    values geometric from alpha_max (on all the data) down to
    ``eps * alpha_max``; each fold fits the warm-started path on its training
    samples and scores the mean squared error (over samples and tasks) on its
    held-out samples; ``alpha_`` minimises the mean over folds, and the model
    is refitted at it on all the data.

    Parameters
    ----------
    l1_ratio : float or list of float, default=0.5
        L21 share(s) of the penalty, in (0, 1]; a list is searched too.
    eps : float, default=1e-3
        Length of the path: ``alpha_min / alpha_max``.
    alphas : int or array-like, default=100
        Number of alphas on the automatic grid, or the alphas themselves.
    fit_intercept : bool, default=True
        Fit one intercept per task.
    max_iter : int, default=1000
        Maximum epochs per fit.
    tol : float, default=1e-4
        Relative duality-gap tolerance of every fit.
    cv : int, cross-validation generator or iterable, default=None
        As scikit-learn's (None: 5-fold KFold).
    copy_X : bool, default=True
        Accepted for compatibility; X is never modified.
    verbose : bool or int, default=0
        Accepted for compatibility.
    n_jobs : int, default=None
        Threads for the folds (-1: all cores); the GIL is released.
    random_state : int, RandomState instance or None, default=None
        Seeds the block order when ``selection='random'``.
    selection : {'cyclic', 'random'}, default='cyclic'
        Block visiting order.

    Attributes
    ----------
    alpha_ : float
        The selected alpha.
    l1_ratio_ : float
        The selected l1_ratio.
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        The alpha grid(s).
    mse_path_ : ndarray of shape (n_alphas, n_folds) or (n_l1_ratio, n_alphas, n_folds)
        Held-out MSE per alpha and fold.
    coef_, intercept_, dual_gap_, eps_, n_iter_, certificate_, objective_, \
kkt_residual_, converged_, alpha_max_, n_screened_
        Of the refit, as :class:`MultiTaskElasticNet`.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X was a DataFrame with string column names.
    """

    _mono = "ElasticNetCV"
    _parameter_constraints: dict = {
        **_MultiTaskCV._parameter_constraints,
        "l1_ratio": [Interval(numbers.Real, 0, 1, closed="right"), "array-like"],
    }

    def __init__(
        self,
        *,
        l1_ratio=0.5,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-4,
        cv=None,
        copy_X=True,
        verbose=0,
        n_jobs=None,
        random_state=None,
        selection="cyclic",
    ):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.selection = selection

    def _l1_ratios(self):
        return np.atleast_1d(self.l1_ratio)


class MultiTaskLassoCV(_MultiTaskCV):
    """Multi-task Lasso with cross-validation over alpha.

    :class:`MultiTaskElasticNetCV` with ``l1_ratio=1``; a drop-in replacement
    for ``sklearn.linear_model.MultiTaskLassoCV``.

    Parameters
    ----------
    eps : float, default=1e-3
        Length of the path: ``alpha_min / alpha_max``.
    alphas : int or array-like, default=100
        Number of alphas on the automatic grid, or the alphas themselves.
    fit_intercept : bool, default=True
        Fit one intercept per task.
    max_iter : int, default=1000
        Maximum epochs per fit.
    tol : float, default=1e-4
        Relative duality-gap tolerance of every fit.
    copy_X : bool, default=True
        Accepted for compatibility; X is never modified.
    cv : int, cross-validation generator or iterable, default=None
        As scikit-learn's (None: 5-fold KFold).
    verbose : bool or int, default=False
        Accepted for compatibility.
    n_jobs : int, default=None
        Threads for the folds (-1: all cores); the GIL is released.
    random_state : int, RandomState instance or None, default=None
        Seeds the block order when ``selection='random'``.
    selection : {'cyclic', 'random'}, default='cyclic'
        Block visiting order.

    Attributes
    ----------
    alpha_ : float
        The selected alpha.
    alphas_ : ndarray of shape (n_alphas,)
        The alpha grid.
    mse_path_ : ndarray of shape (n_alphas, n_folds)
        Held-out MSE per alpha and fold.
    coef_, intercept_, dual_gap_, eps_, n_iter_, certificate_, objective_, \
kkt_residual_, converged_, alpha_max_, n_screened_, n_features_in_, \
feature_names_in_
        As :class:`MultiTaskElasticNetCV`.

    Examples
    --------
    >>> from mtreg import MultiTaskLassoCV, make_regression
    >>> X, y = make_regression(n_targets=3, noise=4.0, random_state=0)
    >>> m = MultiTaskLassoCV(cv=5).fit(X, y)
    >>> m.mse_path_.shape
    (100, 5)
    """

    _mono = "LassoCV"

    def __init__(
        self,
        *,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-4,
        copy_X=True,
        cv=None,
        verbose=False,
        n_jobs=None,
        random_state=None,
        selection="cyclic",
    ):
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.copy_X = copy_X
        self.cv = cv
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.selection = selection

    def fit(self, X, y):
        super().fit(X, y)
        del self.l1_ratio_
        return self

    def fit_tasks(self, Xs, ys, task_weight=None):
        super().fit_tasks(Xs, ys, task_weight)
        del self.l1_ratio_
        return self

    fit.__doc__ = _MultiTaskCV.fit.__doc__
    fit_tasks.__doc__ = _MultiTaskCV.fit_tasks.__doc__
