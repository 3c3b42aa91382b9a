"""mtreg's own multi-task models: task graphs and learned task relations."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import _COMMON_CONSTRAINTS, _core_params, _SingleFitModel

__all__ = ["GraphMultiTask", "RelationLearning"]


def _edges(graph):
    """The task graph as ``(edges or None, chain, tasks or None)``.

    ``None``: no graph; ``"chain"``: task t linked to t + 1; a numpy array of
    shape (T, T): a symmetric adjacency matrix with zero diagonal (weights);
    a list of ``(s, t)`` or ``(s, t, weight)`` tuples: the edges (0-based).
    """
    if graph is None:
        return None, False, None
    if isinstance(graph, str):
        if graph != "chain":
            raise ValueError(
                f"graph must be 'chain', an edge list or an adjacency matrix, got {graph!r}"
            )
        return None, True, None
    if isinstance(graph, np.ndarray):
        a = np.asarray(graph, dtype=np.float64)
        if a.ndim != 2 or a.shape[0] != a.shape[1]:
            raise ValueError(
                f"an array graph is an adjacency matrix of shape (T, T), got {a.shape}; "
                "give edges as a list of (s, t) or (s, t, weight) tuples"
            )
        if not np.all(np.isfinite(a)) or not np.array_equal(a, a.T):
            raise ValueError("the adjacency matrix of graph must be finite and symmetric")
        if np.any(np.diag(a) != 0):
            raise ValueError("the adjacency matrix of graph must have a zero diagonal")
        i, j = np.nonzero(np.triu(a, 1))
        return [(int(s), int(t), float(a[s, t])) for s, t in zip(i, j)], False, a.shape[0]
    edges = []
    for e in graph:
        e = tuple(e)
        if len(e) == 2:
            (s, t), w = e, 1.0
        elif len(e) == 3:
            s, t, w = e
        else:
            raise ValueError(f"a graph edge is (s, t) or (s, t, weight), got {e!r}")
        if not (float(s).is_integer() and float(t).is_integer()) or s < 0 or t < 0:
            raise ValueError(f"graph edge tasks must be non-negative integers, got {e!r}")
        edges.append((int(s), int(t), float(w)))
    return edges, False, None


class GraphMultiTask(_SingleFitModel):
    """Multi-task regression with a task graph pulling related tasks together.

    Minimises::

        sum_t c_t/(2 n_t) ||y_t - X_t w_t||^2 + alpha * l1_ratio * Omega(W)
        + 0.5 * alpha * (1 - l1_ratio) * ||W||_Fro^2
        + 0.5 * graph_strength * sum_{edges (s, t)} a_st ||w_s - w_t||^2

    with ``Omega = sum_j ||W_j||_2`` (``penalty='group'``, shared support) or
    ``sum_{j,t} |W_jt|`` (``penalty='entrywise'``). With one shared X the loss
    is ``1/(2n) ||Y - XW||^2`` and ``graph_strength=0`` is exactly
    :class:`~mtreg.MultiTaskElasticNet`.

    Parameters
    ----------
    alpha : float, default=1.0
        Sparsity and ridge strength, > 0.
    l1_ratio : float, default=1.0
        Sparsity share of alpha, in (0, 1].
    penalty : {'group', 'entrywise'}, default='group'
        Omega: L21 (shared support) or L1 (per-task supports).
    graph : None, 'chain', list of edges or ndarray of shape (T, T), default=None
        The task graph: ``'chain'`` links task t to t + 1; a list holds
        ``(s, t)`` or ``(s, t, weight)`` edges of 0-based tasks; a numpy array
        is a symmetric adjacency matrix with zero diagonal (the weights).
    graph_strength : float, default=1.0
        The strength (lambda >= 0) of the graph term.
    pooled : bool, default=False
        Fit the infinitely strong limit: one coefficient vector for all tasks.
    fit_intercept : bool, default=True
        One intercept per task.
    standardize : bool, default=False
        Scale the columns of X to unit variance before fitting (coefficients
        are reported on the original scale).
    max_iter : int, default=1000
        Maximum epochs.
    tol : float, default=1e-4
        Relative tolerance: on the duality gap when the model reduces to the
        elastic net (no graph, or pooled), else on the KKT residual
        (``tol * l1_ratio * alpha_max``).
    warm_start : bool, default=False
        Start from the previous ``coef_``.
    random_state : int, RandomState instance or None, default=None
        Seeds the block order when ``selection='random'``.
    selection : {'cyclic', 'random'}, default='cyclic'
        Block visiting order.

    Attributes
    ----------
    coef_ : ndarray of shape (n_tasks, n_features)
        Coefficients.
    intercept_ : ndarray of shape (n_tasks,) or 0.0
        Intercepts.
    certificate_ : Certificate
        Duality gap or KKT residual, with the threshold.
    dual_gap_ : float
        Duality gap when available (elastic net, or a positive definite
        coupling), else NaN.
    n_iter_, objective_, kkt_residual_, converged_, alpha_max_, n_screened_, \
per_task_, n_features_in_, feature_names_in_
        As :class:`~mtreg.MultiTaskElasticNet`.

    Examples
    --------
    >>> import numpy as np
    >>> from mtreg import GraphMultiTask
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    >>> Y = np.array([[1.0, 1.2, 3.0], [0.5, 0.4, 0.0], [1.4, 1.7, 3.1], [2.6, 3.0, 6.2]])
    >>> m = GraphMultiTask(alpha=0.01, graph="chain", tol=1e-8).fit(X, Y)
    >>> m.certificate_.kind, m.certificate_.satisfied
    ('kkt', True)
    """

    _mono = "ElasticNet"
    _parameter_constraints: dict = {
        "alpha": [Interval(numbers.Real, 0, None, closed="neither")],
        "l1_ratio": [Interval(numbers.Real, 0, 1, closed="right")],
        "penalty": [StrOptions({"group", "entrywise"})],
        "graph": [None, StrOptions({"chain"}), "array-like"],
        "graph_strength": [Interval(numbers.Real, 0, None, closed="left")],
        "pooled": ["boolean"],
        "standardize": ["boolean"],
        "warm_start": ["boolean"],
        **_COMMON_CONSTRAINTS,
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        l1_ratio=1.0,
        penalty="group",
        graph=None,
        graph_strength=1.0,
        pooled=False,
        fit_intercept=True,
        standardize=False,
        max_iter=1000,
        tol=1e-4,
        warm_start=False,
        random_state=None,
        selection="cyclic",
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.penalty = penalty
        self.graph = graph
        self.graph_strength = graph_strength
        self.pooled = pooled
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.selection = selection

    def _params(self) -> dict:
        edges, chain, tasks = _edges(self.graph)
        return _core_params(
            "graph",
            alpha=self.alpha,
            l1_ratio=self.l1_ratio,
            penalty=self.penalty,
            graph=edges,
            graph_tasks=tasks,
            chain=chain,
            graph_strength=float(self.graph_strength),
            pooled=bool(self.pooled),
            fit_intercept=self.fit_intercept,
            standardize=bool(self.standardize),
            tol=self.tol,
            max_iter=self.max_iter,
            selection=self.selection,
            random_state=self.random_state,
        )


class RelationLearning(_SingleFitModel):
    """Multi-task regression that learns the task covariance (MTRL).

    Minimises over W and the task covariance Sigma (PSD, trace 1)::

        f(W) + alpha * l1_ratio * Omega(W) + 0.5 * alpha * (1 - l1_ratio) * ||W||_Fro^2
        + 0.5 * relation_strength * tr(W Sigma^-1 W^T)

    by alternating a coupled W-step (mtreg's solver) and the closed-form
    Sigma-step (Zhang & Yeung, 2010). The learned ``Sigma_`` and the task
    correlations ``task_correlation_`` say which tasks behave alike.

    Parameters
    ----------
    alpha : float, default=1.0
        Sparsity and ridge strength, > 0.
    l1_ratio : float, default=1.0
        Sparsity share of alpha, in (0, 1].
    penalty : {'group', 'entrywise'}, default='group'
        Omega: L21 or L1.
    relation_strength : float, default=1.0
        lambda2 > 0, the weight of the relation term.
    max_outer : int, default=100
        Maximum alternations.
    outer_tol : float, default=1e-6
        Stop when the objective decreases by less than this (relative).
    relation_eps : float, default=1e-8
        Regularisation of Sigma, relative to ``tr(W^T W) / T``.
    fit_intercept : bool, default=True
        One intercept per task.
    max_iter : int, default=1000
        Maximum epochs of each W-step.
    tol : float, default=1e-4
        Relative tolerance of each W-step (KKT residual).
    random_state : int, RandomState instance or None, default=None
        Seeds the block order when ``selection='random'``.
    selection : {'cyclic', 'random'}, default='cyclic'
        Block visiting order.

    Attributes
    ----------
    Sigma_ : ndarray of shape (n_tasks, n_tasks)
        The learned task covariance (PSD, trace 1).
    task_correlation_ : ndarray of shape (n_tasks, n_tasks)
        ``Sigma_st / sqrt(Sigma_ss Sigma_tt)``.
    objectives_ : ndarray
        The objective after each alternation (non-increasing).
    n_iter_ : int
        Alternations run (W-step + Sigma-step).
    coef_, intercept_, certificate_, dual_gap_, objective_, \
kkt_residual_, converged_, alpha_max_, n_screened_, per_task_, \
n_features_in_, feature_names_in_
        Of the final W-step, as :class:`GraphMultiTask`; ``converged_`` also
        requires the alternation to have met ``outer_tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from mtreg import RelationLearning
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [0.5, 2.0]])
    >>> Y = np.array([[1.0, 1.1, -1.0], [0.5, 0.6, -0.4], [1.5, 1.6, -1.5],
    ...               [2.6, 2.7, -2.5], [1.4, 1.5, -1.5]])
    >>> m = RelationLearning(alpha=0.01, relation_strength=0.1, tol=1e-8).fit(X, Y)
    >>> bool(m.task_correlation_[0, 1] > 0.9), bool(m.task_correlation_[0, 2] < -0.9)
    (True, True)
    """

    _mono = "ElasticNet"
    _parameter_constraints: dict = {
        "alpha": [Interval(numbers.Real, 0, None, closed="neither")],
        "l1_ratio": [Interval(numbers.Real, 0, 1, closed="right")],
        "penalty": [StrOptions({"group", "entrywise"})],
        "relation_strength": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_outer": [Interval(numbers.Integral, 1, None, closed="left")],
        "outer_tol": [Interval(numbers.Real, 0, None, closed="left")],
        "relation_eps": [Interval(numbers.Real, 0, None, closed="neither")],
        **_COMMON_CONSTRAINTS,
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        l1_ratio=1.0,
        penalty="group",
        relation_strength=1.0,
        max_outer=100,
        outer_tol=1e-6,
        relation_eps=1e-8,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-4,
        random_state=None,
        selection="cyclic",
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.penalty = penalty
        self.relation_strength = relation_strength
        self.max_outer = max_outer
        self.outer_tol = outer_tol
        self.relation_eps = relation_eps
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.selection = selection

    def _warm(self, n_tasks, n_features):
        return None  # the library warm-starts relations from a fit object only

    def _params(self) -> dict:
        return _core_params(
            "relation",
            alpha=self.alpha,
            l1_ratio=self.l1_ratio,
            penalty=self.penalty,
            relation_strength=float(self.relation_strength),
            max_outer=int(self.max_outer),
            outer_tol=float(self.outer_tol),
            relation_eps=float(self.relation_eps),
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            max_iter=self.max_iter,
            selection=self.selection,
            random_state=self.random_state,
        )
