"""scikit-learn's own estimator checks (``check_estimator``), run as tests.

Every check passes, with no expected failures declared: the estimator's tags
say that sparse input is accepted (made dense) and that float32 is the
dtype it preserves (the networks compute in float32), and its errors use
scikit-learn's wording. The one check reported as skipped,
``check_array_api_input``, is skipped by scikit-learn itself unless
``SCIPY_ARRAY_API=1`` is set. Few epochs: the checks test conventions, not maps.
"""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from pumap_core import ParametricUMAP, TwoCode

ESTIMATORS = [
    ParametricUMAP(n_epochs=2, random_state=0),
    # a decoder, a two-code map and its map stage: inverse_transform and friends
    ParametricUMAP(n_epochs=1, random_state=0, reconstruction=True, init=None,
                   two_code=TwoCode(code_components=3, map_epochs=1)),
]


@parametrize_with_checks(ESTIMATORS)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
