"""scikit-learn's own estimator checks, on every mtreg estimator.

Checks that cannot apply are listed below with the reason, through
scikit-learn's ``expected_failed_checks`` mechanism: they still run, and a
listed check that starts passing is reported as such (xpass) by pytest.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from mtreg import (
    GraphMultiTask,
    MultiTaskElasticNet,
    MultiTaskElasticNetCV,
    MultiTaskLasso,
    MultiTaskLassoCV,
    RelationLearning,
)

ESTIMATORS = [
    MultiTaskLasso(),
    MultiTaskElasticNet(),
    MultiTaskLassoCV(),
    MultiTaskElasticNetCV(),
    GraphMultiTask(graph="chain"),
    RelationLearning(),
]

# estimator class name -> {check name: reason}
EXPECTED_FAILED = {}


def expected_failed_checks(estimator):
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
