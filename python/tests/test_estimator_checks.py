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

# estimator class name -> {check name: reason}. Empty: every check applies and
# passes (scikit-learn 1.9.1). The only checks not run are the array-API ones,
# which scikit-learn itself skips unless SCIPY_ARRAY_API=1 is set (mtreg
# accepts numpy arrays and what check_array converts, not other array
# namespaces, and says so in its tags by not claiming array_api_support).
EXPECTED_FAILED: dict = {}


def expected_failed_checks(estimator):
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
