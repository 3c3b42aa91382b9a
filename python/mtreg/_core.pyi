"""Type stubs of ``mtreg._core``, the compiled half of the package (PyO3).

Arrays are float64 numpy arrays; 2-D inputs of any memory layout (C- or
F-ordered, strided) are read in place. Every function releases the GIL while
the library runs; library errors raise ``ValueError`` (bad data or
parameters) or ``RuntimeError`` (internal failures, including a Rust panic,
which is caught). ``params`` is the dict built by ``mtreg._base._core_params``.
"""

from typing import Any, Optional, TypedDict

import numpy as np
import numpy.typing as npt

__version__: str

F64 = npt.NDArray[np.float64]

class Params(TypedDict):
    model: str  # "enet" | "graph" | "relation"
    alpha: float
    l1_ratio: float
    fit_intercept: bool
    standardize: bool
    tol: float
    max_iter: int
    selection: str  # "cyclic" | "random"
    seed: int
    penalty: str  # "group" | "entrywise"
    graph: Optional[list[tuple[int, int, float]]]
    graph_tasks: Optional[int]
    chain: bool
    graph_strength: float
    pooled: bool
    relation_strength: float
    max_outer: int
    outer_tol: float
    relation_eps: float

class CertificateDict(TypedDict):
    kind: str  # "dual_gap" | "kkt"
    value: float
    tol: float

class FitDict(TypedDict, total=False):
    coef: F64  # (T, p)
    intercept: F64  # (T,)
    certificate: CertificateDict
    dual_gap: Optional[float]
    objective: float
    kkt_residual: float
    n_iter: int
    converged: bool
    alpha: float
    alpha_max: float
    used_gram: bool
    n_screened: int
    seconds: float
    # relation learning only
    sigma: F64  # (T, T)
    correlation: F64  # (T, T)
    objectives: F64
    relation_converged: bool

class PathDict(TypedDict):
    alphas: F64  # decreasing
    alpha_max: float
    fits: list[FitDict]

class CvDict(TypedDict):
    alphas: F64
    mse_path: F64  # (n_alphas, n_folds)
    mse_mean: F64
    mse_se: F64
    mse_per_task: F64  # (n_alphas, T)
    alpha_min: float
    alpha_1se: float
    alpha: float
    fit: FitDict

def fit(params: Params | dict[str, Any], x: F64, y: F64, warm_start: Optional[F64] = None) -> FitDict:
    """Fits a shared design X (n, p), Y (n, T); ``warm_start`` is (T, p)."""

def fit_tasks(
    params: Params | dict[str, Any],
    xs: list[F64],
    ys: list[F64],
    weights: Optional[F64] = None,
    warm_start: Optional[F64] = None,
) -> FitDict:
    """Fits per-task designs ``xs[t]`` (n_t, p) and contiguous ``ys[t]`` (n_t,)."""

def path(
    params: Params | dict[str, Any],
    x: F64,
    y: F64,
    alphas: Optional[F64] = None,
    n_alphas: int = 100,
    eps: float = 1e-3,
    warm_start: Optional[F64] = None,
) -> PathDict:
    """Warm-started path over ``alphas`` or the automatic grid."""

def path_tasks(
    params: Params | dict[str, Any],
    xs: list[F64],
    ys: list[F64],
    weights: Optional[F64] = None,
    alphas: Optional[F64] = None,
    n_alphas: int = 100,
    eps: float = 1e-3,
    warm_start: Optional[F64] = None,
) -> PathDict:
    """Warm-started path with per-task designs."""

def cross_validate(
    params: Params | dict[str, Any],
    x: F64,
    y: F64,
    test_folds: list[list[int]],
    alphas: Optional[F64] = None,
    n_alphas: int = 100,
    eps: float = 1e-3,
    threads: int = 1,
) -> CvDict:
    """K-fold CV on test folds that partition the samples, then the refit."""

def cross_validate_tasks(
    params: Params | dict[str, Any],
    xs: list[F64],
    ys: list[F64],
    folds: int,
    weights: Optional[F64] = None,
    alphas: Optional[F64] = None,
    n_alphas: int = 100,
    eps: float = 1e-3,
    threads: int = 1,
) -> CvDict:
    """K-fold CV with per-task designs (each task split in ``folds`` parts)."""

def alpha_max(params: Params | dict[str, Any], x: F64, y: F64) -> float:
    """The smallest alpha giving W = 0 for this model on X, Y."""

def certify(
    params: Params | dict[str, Any], x: F64, y: F64, coef: F64
) -> tuple[float, CertificateDict]:
    """Objective and certificate of ``coef`` (T, p) for the elastic net."""

def make_regression(
    n_samples: int,
    n_features: int,
    n_informative: int,
    n_targets: int,
    bias: float,
    effective_rank: Optional[int],
    tail_strength: float,
    noise: float,
    shuffle: bool,
    seed: int,
) -> tuple[F64, F64, F64]:
    """X (n, p), Y (n, T), coef (p, T)."""

def _panic_for_tests(message: str) -> None:
    """Panics in Rust; raises RuntimeError (tests of the panic boundary)."""
