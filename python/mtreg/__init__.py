"""mtreg: multi-task linear regression on a certified Rust solver.

scikit-learn-compatible estimators (``MultiTaskLasso``, ``MultiTaskElasticNet``,
``MultiTaskLassoCV``, ``MultiTaskElasticNetCV``), mtreg's own models
(``GraphMultiTask``, ``RelationLearning``), per-task designs (``fit_tasks``),
paths (``enet_path``, ``lasso_path``) and ``make_regression``. Every fit
carries its optimality certificate (``certificate_``).
"""

from ._base import Certificate
from ._core import __version__
from .datasets import make_regression
from .linear_model import (
    MultiTaskElasticNet,
    MultiTaskElasticNetCV,
    MultiTaskLasso,
    MultiTaskLassoCV,
)
from .models import GraphMultiTask, RelationLearning
from .path import alpha_max, certify, enet_path, lasso_path

__all__ = [
    "Certificate",
    "GraphMultiTask",
    "MultiTaskElasticNet",
    "MultiTaskElasticNetCV",
    "MultiTaskLasso",
    "MultiTaskLassoCV",
    "RelationLearning",
    "__version__",
    "alpha_max",
    "certify",
    "enet_path",
    "lasso_path",
    "make_regression",
]
