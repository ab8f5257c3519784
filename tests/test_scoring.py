"""Index score: hand-computed cases, renormalisation, contributions, estimator checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.utils.estimator_checks import parametrize_with_checks

from riskgrade.scoring import IndexScorer, index_contributions, index_score


def test_index_hand_computed():
    F = np.array([[1.0, 0.0, 0.5], [0.2, 0.4, 0.6]])
    w = np.array([0.5, 0.3, 0.2])
    # 0.5*1 + 0.3*0 + 0.2*0.5 = 0.6 ; 0.5*0.2 + 0.3*0.4 + 0.2*0.6 = 0.34
    np.testing.assert_allclose(index_score(F, w), [0.6, 0.34], atol=1e-12)


def test_missing_factor_renormalises():
    F = np.array([[1.0, np.nan, 0.5]])
    w = np.array([0.5, 0.3, 0.2])
    # (0.5*1 + 0.2*0.5) / (0.5 + 0.2) = 0.6 / 0.7
    assert index_score(F, w, decimals=None)[0] == pytest.approx(0.6 / 0.7)


def test_all_missing_gives_nan():
    assert np.isnan(index_score(np.array([[np.nan, np.nan]]), np.array([1.0, 1.0]))[0])


def test_rounding_pins_scores():
    F = np.array([[0.1, 0.2]])
    assert index_score(F, np.array([0.5, 0.5]), decimals=3)[0] == 0.15


@given(
    arrays(np.float64, (7, 4), elements=st.floats(0, 1)),
    arrays(np.float64, 4, elements=st.floats(0.01, 10)),
)
def test_contributions_sum_to_score(F, w):
    s = index_score(F, w, decimals=None)
    c = index_contributions(F, w)
    np.testing.assert_allclose(c.sum(axis=1), s, atol=1e-12)
    assert np.all((s >= -1e-12) & (s <= 1 + 1e-12))


@given(arrays(np.float64, (6, 3), elements=st.floats(0, 1)), st.floats(0.1, 100))
def test_weight_scale_invariance(F, k):
    w = np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(index_score(F, w), index_score(F, w * k), atol=1e-11)


def test_index_scorer_by_name():
    X = pd.DataFrame({"a": [1.0, 0.0], "b": [0.0, 1.0]})
    sc = IndexScorer({"a": 3, "b": 1}).fit(X)
    assert sc.predict_score(X).tolist() == [0.75, 0.25]
    assert sc.transform(X).shape == (2, 1)
    contrib = sc.contributions(X)
    assert list(contrib.columns) == ["a", "b"]
    np.testing.assert_allclose(contrib.sum(axis=1), [0.75, 0.25])


def test_index_scorer_errors():
    X = pd.DataFrame({"a": [1.0], "b": [0.0]})
    with pytest.raises(ValueError, match="not in X"):
        IndexScorer({"zzz": 1}).fit(X)
    with pytest.raises(ValueError, match="non-negative"):
        IndexScorer([1, -1]).fit(X)
    with pytest.raises(ValueError, match="2 columns"):
        IndexScorer([1, 1, 1]).fit(X)
    with pytest.raises(ValueError, match="sum to zero"):
        IndexScorer([0, 0]).fit(X)


@parametrize_with_checks([IndexScorer(), IndexScorer(decimals=None)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
