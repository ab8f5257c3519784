"""scikit-learn conformance and behaviour of the weighting estimators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from riskgrade.weighting.estimators import AHPWeighter, CombinedWeighter, CRITICWeighter, EntropyWeighter

ESTIMATORS = [
    EntropyWeighter(),
    EntropyWeighter(normalization="minmax", nan_policy="omit"),
    CRITICWeighter(),
    CRITICWeighter(correlation="spearman"),
    AHPWeighter(),
    CombinedWeighter(),
    CombinedWeighter(objective="critic", method="game_theory"),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    """Every weighter passes scikit-learn's estimator checks, with no exclusions."""
    check(estimator)


def test_weights_indexed_by_feature_names():
    X = pd.DataFrame({"complaints": [0.0, 2, 5, 1], "cases": [1.0, 0, 2, 1]})
    est = EntropyWeighter(rarity_check=None).fit(X)
    assert list(est.weights_.index) == ["complaints", "cases"]
    assert list(est.feature_names_in_) == ["complaints", "cases"] and est.n_features_in_ == 2
    np.testing.assert_allclose(est.transform(X).sum(axis=1), X.to_numpy() @ est.weights_.to_numpy())


def test_ahp_weighter_aligns_judgements_by_name():
    pytest.importorskip("riskgrade.weighting.ahp")
    X = pd.DataFrame({"b": [1.0, 2], "a": [3.0, 4]})
    est = AHPWeighter(judgements={("a", "b"): 3}).fit(X)
    assert est.weights_["a"] == pytest.approx(0.75) and est.weights_["b"] == pytest.approx(0.25)
    assert est.result_.cr == 0


def test_combined_weighter_with_fixed_subjective():
    X = pd.DataFrame({"a": [1.0, 2, 3, 9], "b": [2.0, 2.1, 2.2, 2.0]})
    est = CombinedWeighter(subjective={"a": 0.2, "b": 0.8}, alpha=0.5).fit(X)
    expected = 0.5 * est.subjective_weights_ + 0.5 * est.objective_weights_
    np.testing.assert_allclose(est.weights_, expected)
    assert est.coefficients_ == [0.5, 0.5]
