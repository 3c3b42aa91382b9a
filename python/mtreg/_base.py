"""Shared machinery of the estimators: input validation, the parameter dict
handed to the Rust core, and the fitted attributes set from its results."""

from __future__ import annotations

import numbers
import warnings
from typing import Any, NamedTuple, Optional, Sequence

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_consistent_length, check_is_fitted, validate_data

from . import _core

_CONVERGENCE_MESSAGE = (
    "Objective did not converge. You might want to increase the number of "
    "iterations (max_iter), check the scale of the features or consider "
    "increasing regularisation. Certificate: {cert}"
)


class Certificate(NamedTuple):
    """How far a returned solution is from optimal.

    Attributes
    ----------
    kind : {"dual_gap", "kkt"}
        ``"dual_gap"``: the duality gap, an upper bound on the distance of the
        objective to its minimum (scikit-learn's ``dual_gap_``).
        ``"kkt"``: the largest distance of the negative gradient to the
        penalty's subdifferential (models without a closed-form dual).
    value : float
        The certified quantity (0 at an optimum).
    tol : float
        The threshold the solver stopped at (``tol * ||Y||^2 / n`` for the
        duality gap).
    """

    kind: str
    value: float
    tol: float

    @property
    def satisfied(self) -> bool:
        """``value <= tol``."""
        return self.value <= self.tol


def _certificate(d: dict) -> Certificate:
    return Certificate(str(d["kind"]), float(d["value"]), float(d["tol"]))


# -- input validation --------------------------------------------------------


def _native_f64(a: np.ndarray) -> np.ndarray:
    """The array itself when the core can view it in place (float64, native
    byte order, aligned); otherwise an F-ordered float64 copy."""
    if a.dtype == np.float64 and a.dtype.isnative and a.flags.aligned:
        return a
    return np.asfortranarray(a, dtype=np.float64)


def _plain_f64(a, ndims) -> bool:
    """A numpy float64 array (not a subclass) of one of these dimensions, with
    no empty axis: what scikit-learn's ``check_array`` would return as is."""
    return (
        type(a) is np.ndarray
        and a.dtype == np.float64
        and a.ndim in ndims
        and all(a.shape)
    )


def _validate_xy(estimator, X, y):
    """scikit-learn's validation (dtypes converted to float64, feature names,
    ``n_features_in_``), without copying float64 arrays of any memory layout.
    Finiteness is checked by the core, which reports the position.

    Plain float64 numpy arrays take a fast path with the same outcome (about
    0.1 ms less per call: scikit-learn's ``check_array`` probes for
    dataframes); everything else goes through ``validate_data``."""
    if _plain_f64(X, (2,)) and _plain_f64(y, (1, 2)):
        if X.shape[0] != y.shape[0]:
            raise ValueError(
                "Found input variables with inconsistent numbers of samples: "
                f"[{X.shape[0]}, {y.shape[0]}]"
            )
        estimator.n_features_in_ = X.shape[1]
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        return _native_f64(X), y
    X, y = validate_data(
        estimator,
        X,
        y,
        validate_separately=(
            dict(dtype=np.float64, ensure_all_finite=False, accept_sparse=False),
            dict(dtype=np.float64, ensure_all_finite=False, ensure_2d=False),
        ),
    )
    check_consistent_length(X, y)
    return _native_f64(X), y


def _check_2d_y(y, model: str) -> np.ndarray:
    """scikit-learn's MultiTask* refuse a 1-D y (``For mono-task outputs, use
    ElasticNet``)."""
    if y.ndim == 1:
        raise ValueError(f"For mono-task outputs, use {model}")
    return _native_f64(y)


def _assert_finite(name: str, a: np.ndarray) -> None:
    """ValueError naming the array and the first non-finite entry."""
    if np.isfinite(a.sum()):
        return
    bad = ~np.isfinite(a)
    if not bad.any():  # the sum overflowed, the entries are finite
        return
    pos = tuple(int(i) for i in np.argwhere(bad)[0])
    kind = "NaN" if np.isnan(a[pos]) else "infinity"
    where = ", ".join(f"{axis} {i}" for axis, i in zip(("row", "column"), pos))
    raise ValueError(f"Input {name} contains {kind} at {where} (0-based).")


def _validate_tasks(estimator, Xs, ys, task_weight, reset: bool = True):
    """Per-task designs: a list of X_t (n_t, p) and a list of y_t (n_t,)."""
    if isinstance(Xs, np.ndarray) or not isinstance(Xs, Sequence) or len(Xs) == 0:
        raise ValueError("Xs must be a non-empty list of 2-D arrays, one per task")
    if isinstance(ys, np.ndarray) and ys.ndim != 1:
        ys = list(ys)
    if not isinstance(ys, (Sequence, np.ndarray)) or len(ys) != len(Xs):
        raise ValueError(
            f"ys must be a list of 1-D arrays, one per task: got {len(ys)} targets "
            f"for {len(Xs)} designs"
        )
    first = validate_data(
        estimator,
        Xs[0],
        reset=reset,
        dtype=np.float64,
        ensure_all_finite=False,
    )
    out_x = [_native_f64(first)]
    for k, X in enumerate(Xs[1:], start=1):
        X = check_array(X, dtype=np.float64, ensure_all_finite=False, input_name=f"X[{k}]")
        if X.shape[1] != first.shape[1]:
            raise ValueError(
                f"X[{k}] has {X.shape[1]} features, but X[0] has {first.shape[1]}: "
                "every task's design must have the same features"
            )
        out_x.append(_native_f64(X))
    out_y = []
    for k, (X, y) in enumerate(zip(out_x, ys)):
        y = check_array(
            y, dtype=np.float64, ensure_2d=False, ensure_all_finite=False, input_name=f"y[{k}]"
        )
        if y.ndim != 1:
            raise ValueError(f"y[{k}] must be 1-D (one target per sample), got shape {y.shape}")
        if y.shape[0] != X.shape[0]:
            raise ValueError(
                f"X[{k}] has {X.shape[0]} samples but y[{k}] has {y.shape[0]}"
            )
        out_y.append(np.ascontiguousarray(y, dtype=np.float64))
    weights = None
    if task_weight is not None:
        weights = np.ascontiguousarray(
            check_array(task_weight, dtype=np.float64, ensure_2d=False, input_name="task_weight")
        )
        if weights.shape != (len(out_x),):
            raise ValueError(
                f"task_weight must have one weight per task ({len(out_x)}), got shape "
                f"{weights.shape}"
            )
    return out_x, out_y, weights


# -- the parameter dict of the core ------------------------------------------


def _seed(selection: str, random_state) -> int:
    if selection != "random":
        return 0
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _core_params(model: str = "enet", **kw: Any) -> dict:
    params = dict(
        model=model,
        alpha=1.0,
        l1_ratio=1.0,
        fit_intercept=True,
        standardize=False,
        tol=1e-4,
        max_iter=1000,
        selection="cyclic",
        seed=0,
        penalty="group",
        graph=None,
        graph_tasks=None,
        chain=False,
        graph_strength=0.0,
        pooled=False,
        relation_strength=1.0,
        max_outer=100,
        outer_tol=1e-6,
        relation_eps=1e-8,
    )
    random_state = kw.pop("random_state", None)
    for k, v in kw.items():
        if k not in params:
            raise TypeError(f"unknown core parameter {k!r}")
        params[k] = v
    params["alpha"] = float(params["alpha"])
    params["l1_ratio"] = float(params["l1_ratio"])
    params["tol"] = float(params["tol"])
    params["max_iter"] = int(params["max_iter"])
    params["seed"] = _seed(params["selection"], random_state)
    return params


_COMMON_CONSTRAINTS = {
    "fit_intercept": ["boolean"],
    "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
    "tol": [Interval(numbers.Real, 0, None, closed="left")],
    "random_state": ["random_state"],
    "selection": [StrOptions({"cyclic", "random"})],
}


# -- estimators ---------------------------------------------------------------


_IMMUTABLE = (type(None), bool, int, float, str, np.integer, np.floating)


class _MultiTaskModel(MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Common fitted-model behaviour: prediction, attributes from a core fit."""

    def _validate_params(self):
        """scikit-learn's parameter validation, skipped when every parameter
        is the very (immutable) object validated at the previous fit
        (scikit-learn's own check inspects the signature on every call, about
        0.1 ms)."""
        cls = type(self)
        names = cls.__dict__.get("_param_names_cache")
        if names is None:
            names = cls._get_param_names()
            cls._param_names_cache = names
        params = {k: getattr(self, k) for k in names}
        last = self.__dict__.get("_validated_params")
        if last is not None and all(
            isinstance(v, _IMMUTABLE) and last.get(k, self) is v for k, v in params.items()
        ):
            return
        validate_parameter_constraints(
            self._parameter_constraints, params, caller_name=cls.__name__
        )
        self._validated_params = params

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        tags.target_tags.required = True
        return tags

    def _set_fit(self, d: dict, n_samples: Optional[int]) -> None:
        """Sets scikit-learn's and mtreg's fitted attributes from a core fit."""
        self.coef_ = d["coef"]
        if getattr(self, "fit_intercept", True):
            self.intercept_ = d["intercept"]
        else:
            self.intercept_ = 0.0
        gap = d["dual_gap"]
        self.dual_gap_ = float(gap) if gap is not None else float("nan")
        self.n_iter_ = int(d["n_iter"])
        self.certificate_ = _certificate(d["certificate"])
        if n_samples is not None and self.certificate_.kind == "dual_gap":
            # scikit-learn's eps_: tol * ||Y||^2 (its objective is n times ours)
            self.eps_ = self.certificate_.tol * n_samples
        self.objective_ = float(d["objective"])
        self.kkt_residual_ = float(d["kkt_residual"])
        self.converged_ = bool(d["converged"])
        self.alpha_max_ = float(d["alpha_max"])
        self.n_screened_ = int(d["n_screened"])
        if "sigma" in d:
            self.Sigma_ = d["sigma"]
            self.task_correlation_ = d["correlation"]
            self.objectives_ = d["objectives"]
            # one iteration = one alternation (W-step + Sigma-step); the last
            # W-step, warm-started, may need no epoch at all
            self.n_iter_ = len(self.objectives_)
            self.converged_ = self.converged_ and bool(d["relation_converged"])
        if not self.converged_:
            warnings.warn(
                _CONVERGENCE_MESSAGE.format(cert=self.certificate_), ConvergenceWarning
            )

    @property
    def sparse_coef_(self):
        """Sparse representation of ``coef_`` (scipy CSR matrix)."""
        from scipy import sparse

        return sparse.csr_matrix(self.coef_)

    def _decision(self, X, coef, intercept):
        return X @ coef.T + intercept

    def predict(self, X) -> np.ndarray:
        """Predict with the fitted model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_targets)
            ``X @ coef_.T + intercept_``.
        """
        check_is_fitted(self)
        if not (
            _plain_f64(X, (2,))
            and X.shape[1] == getattr(self, "n_features_in_", -1)
            and not hasattr(self, "feature_names_in_")
        ):
            X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=False)
        _assert_finite("X", X)
        return self._decision(X, self.coef_, self.intercept_)

    def predict_tasks(self, Xs) -> list:
        """Predict each task from its own design.

        Parameters
        ----------
        Xs : list of array-like, one of shape (n_t, n_features) per task
            Task t's samples.

        Returns
        -------
        list of ndarray of shape (n_t,)
            ``Xs[t] @ coef_[t] + intercept_[t]``.
        """
        check_is_fitted(self)
        T = self.coef_.shape[0]
        if len(Xs) != T:
            raise ValueError(f"Xs has {len(Xs)} designs, the model {T} tasks")
        intercept = np.broadcast_to(np.asarray(self.intercept_, dtype=np.float64), (T,))
        out = []
        for t, X in enumerate(Xs):
            X = check_array(X, dtype=np.float64, ensure_all_finite=False, input_name=f"X[{t}]")
            if X.shape[1] != self.coef_.shape[1]:
                raise ValueError(
                    f"X[{t}] has {X.shape[1]} features, but {type(self).__name__} is "
                    f"expecting {self.coef_.shape[1]} features as input."
                )
            _assert_finite(f"X[{t}]", X)
            out.append(X @ self.coef_[t] + intercept[t])
        return out


class _SingleFitModel(_MultiTaskModel):
    """Estimators with one alpha (no cross-validation)."""

    _model: str = "enet"
    _mono: str = "ElasticNet"

    def _params(self) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError

    def _warm(self, n_tasks: int, n_features: int):
        if not getattr(self, "warm_start", False) or not hasattr(self, "coef_"):
            return None
        coef = np.asarray(self.coef_, dtype=np.float64)
        if coef.shape != (n_tasks, n_features):
            return None  # another problem: start from zero
        return coef

    def fit(self, X, y):
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. float64 arrays, C- or F-ordered, are used in place.
        y : array-like of shape (n_samples, n_targets)
            Targets (2-D: one column per task).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        X, y = _validate_xy(self, X, y)
        y = _check_2d_y(y, self._mono)
        warm = self._warm(y.shape[1], X.shape[1])
        d = _core.fit(self._params(), X, y, warm)
        self._set_fit(d, X.shape[0])
        self.per_task_ = False
        return self

    def fit_tasks(self, Xs, ys, task_weight=None):
        """Fit with a separate design per task.

        Minimises ``sum_t c_t/(2 n_t) ||y_t - X_t w_t||^2`` plus the penalty,
        with one intercept per task (each task centred by its own means).

        Parameters
        ----------
        Xs : list of array-like, one of shape (n_t, n_features) per task
            Task t's design; the same features for every task.
        ys : list of array-like, one of shape (n_t,) per task
            Task t's targets.
        task_weight : array-like of shape (n_tasks,), default=None
            Task weights ``c_t > 0`` (default 1).

        Returns
        -------
        self : object
            The fitted estimator; ``coef_`` is (n_tasks, n_features).
        """
        self._validate_params()
        xs, ys, w = _validate_tasks(self, Xs, ys, task_weight)
        warm = self._warm(len(xs), xs[0].shape[1])
        d = _core.fit_tasks(self._params(), xs, ys, w, warm)
        self._set_fit(d, None)
        self.per_task_ = True
        return self
