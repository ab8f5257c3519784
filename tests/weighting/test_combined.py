"""Combination of subjective and objective weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskgrade.exceptions import WeightingError
from riskgrade.weighting.combined import combine_weights, combine_weights_details

S = pd.Series({"a": 0.5, "b": 0.3, "c": 0.2})
OBJ = pd.Series({"c": 0.5, "a": 0.2, "b": 0.3})  # other order: aligned by label


def test_linear_and_multiplicative():
    np.testing.assert_allclose(combine_weights(S, OBJ, alpha=0.6).loc[["a", "b", "c"]], [0.38, 0.30, 0.32])
    m = combine_weights(S, OBJ, method="multiplicative")
    np.testing.assert_allclose(m.loc[["a", "b", "c"]], np.array([0.10, 0.09, 0.10]) / 0.29)


def test_game_theory_optimality():
    """The game-theory coefficients solve sum_k a_k u_j.u_k = u_j.u_j (Lai et al. 2015)."""
    u = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]])
    res = combine_weights_details(u[0], u[1], method="game_theory")
    G = u @ u.T
    a = np.linalg.solve(G, np.diag(G))
    np.testing.assert_allclose(res.coefficients, np.abs(a) / np.abs(a).sum())
    np.testing.assert_allclose(res.weights, res.coefficients @ u)
    assert res.weights.sum() == pytest.approx(1)


def test_game_theory_symmetric_and_identical_inputs():
    """Symmetric inputs give equal coefficients; identical inputs return the input."""
    res = combine_weights_details([0.5, 0.3, 0.2], [0.2, 0.3, 0.5], method="game_theory")
    np.testing.assert_allclose(res.coefficients, [0.5, 0.5])
    w = combine_weights([0.6, 0.4], [0.6, 0.4], method="game_theory")
    np.testing.assert_allclose(w, [0.6, 0.4])


def test_more_than_two_vectors():
    u = [[0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]
    assert combine_weights(*u, method="game_theory").sum() == pytest.approx(1)
    np.testing.assert_allclose(
        combine_weights(*u, method="linear", alpha=[0.5, 0.25, 0.25]),
        0.5 * np.array(u[0]) + 0.25 * np.array(u[1]) + 0.25 * np.array(u[2]),
    )
    with pytest.raises(WeightingError, match="alpha"):
        combine_weights(*u, method="linear", alpha=0.5)


def test_errors():
    with pytest.raises(WeightingError, match="different criteria"):
        combine_weights(S, {"a": 1, "z": 1})
    with pytest.raises(WeightingError, match="non-negative"):
        combine_weights([0.5, -0.5], [0.5, 0.5])
    with pytest.raises(WeightingError, match="method"):
        combine_weights(S, OBJ, method="max")
    with pytest.raises(WeightingError, match="no criterion"):
        combine_weights([1, 0], [0, 1], method="multiplicative")


weights = st.lists(st.floats(0.01, 1), min_size=2, max_size=8)


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from(["linear", "multiplicative", "game_theory"]), st.floats(0, 1))
def test_properties(data, method, alpha):
    """Non-negative, sum 1, permutation-equivariant."""
    s = np.array(data.draw(weights))
    o = np.array(data.draw(st.lists(st.floats(0.01, 1), min_size=len(s), max_size=len(s))))
    w = combine_weights(s, o, method=method, alpha=alpha).to_numpy()
    assert (w >= 0).all() and w.sum() == pytest.approx(1)
    perm = np.array(data.draw(st.permutations(range(len(s)))))
    again = combine_weights(s[perm], o[perm], method=method, alpha=alpha)
    np.testing.assert_allclose(again, w[perm], atol=1e-9)
