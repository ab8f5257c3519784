"""The compiled kernels of the level-probability engine (optional extra ``fast``).

They must give bit-identical probabilities to the numpy path: the scores come from the
same matrix product and the kernels only compare, count, round and select."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskgrade.exceptions import RiskgradeError
from riskgrade.uncertainty import kernels_numba, quota_level_probabilities, tiles

needs_numba = pytest.mark.skipif(not kernels_numba.AVAILABLE, reason="numba (extra 'fast') not installed")


@st.composite
def cases(draw):
    n = draw(st.integers(1, 400))
    m = draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):  # a coarse grid: many exact ties
        F = rng.choice(np.linspace(0, 1, draw(st.integers(2, 6))), size=(n, m))
    else:
        F = rng.random((n, m))
    if draw(st.booleans()):
        F[rng.random((n, m)) < 0.15] = np.nan
    n_units = draw(st.integers(1, 8))
    units = rng.integers(0, n_units, n)
    cap = (np.bincount(units, minlength=n_units) * draw(st.sampled_from([0.05, 0.1, 0.3]))).astype(np.int64)
    alpha = draw(st.sampled_from([0.05, 1.0, 5.0]))  # 0.05: weights that underflow to 0
    D = draw(st.integers(1, 70))
    if draw(st.booleans()):  # a discrete weight distribution: ties between different rows
        draws = rng.dirichlet(np.ones(m) * alpha, 3)[rng.integers(0, 3, D)]
    else:
        draws = rng.dirichlet(np.ones(m) * alpha, D)
    draws = draws / draws.sum(axis=1, keepdims=True)
    t2 = draw(st.sampled_from([0.2, 0.35, 0.5]))
    t1 = t2 + draw(st.sampled_from([0.05, 0.2, 0.4]))
    kw = dict(
        chunk_size=draw(st.sampled_from([1, 7, 8, 16, 24, 248])),
        tile_points=draw(st.integers(4, 600)),
        decimals=draw(st.sampled_from([12, 6, None])),
        central_weights=draw(st.booleans()),
    )
    return F, draws, units, t1, t2, cap, kw


@needs_numba
@settings(max_examples=80, deadline=None)
@given(cases())
def test_compiled_kernels_bit_identical_to_numpy(case):
    F, draws, units, t1, t2, cap, kw = case
    a = quota_level_probabilities(F, None, draws, units, t1, t2, cap, backend="numpy", **kw)
    b = quota_level_probabilities(F, None, draws, units, t1, t2, cap, backend="numba", **kw)
    assert np.array_equal(a.p_level, b.p_level)
    assert np.array_equal(a.p_candidate, b.p_candidate)
    assert a.stats == b.stats
    if kw["central_weights"]:
        assert np.array_equal(a.central_weights, b.central_weights, equal_nan=True)


@needs_numba
@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-5, 5), min_size=1, max_size=60),
    st.data(),
)
def test_kth_smallest_matches_sort(values, data):
    """The selection returns the k-th smallest of any values, duplicates included."""
    a = np.asarray(values, dtype=float)
    n = a.size
    kth = data.draw(st.integers(0, n - 1))
    scratch = [np.empty(n + 1) for _ in range(3)]
    scratch[0][:n] = a
    got = kernels_numba._kth_smallest(scratch[0], n, kth, scratch[1], scratch[2])
    assert got == np.sort(a)[kth]


@pytest.mark.parametrize("backend", ["numpy", pytest.param("numba", marks=needs_numba)])
def test_no_weight_on_present_factors_is_level_three(backend):
    """A point whose only present factor gets weight 0 in a draw has no score in that draw
    and is level 3 there, as the grader treats a missing score."""
    F = np.array([[np.nan, 0.9], [0.8, 0.8], [0.1, 0.1]])
    draws = np.array([[1.0, 0.0], [0.5, 0.5]])
    units = np.zeros(3, dtype=np.int64)
    P = quota_level_probabilities(F, None, draws, units, 0.6, 0.3, np.array([3]), backend=backend).p_level
    np.testing.assert_array_equal(P[0], [0.5, 0.0, 0.5])  # level 1 in draw 2, level 3 in draw 1
    np.testing.assert_array_equal(P[1], [1.0, 0.0, 0.0])


def test_backend_errors(monkeypatch):
    F = np.array([[0.5, 0.5]])
    args = (F, None, np.array([[0.5, 0.5]]), np.zeros(1, dtype=np.int64), 0.6, 0.3, np.array([0]))
    with pytest.raises(RiskgradeError, match="backend must be"):
        quota_level_probabilities(*args, backend="cuda")
    monkeypatch.setattr(kernels_numba, "AVAILABLE", False)
    with pytest.raises(RiskgradeError, match="extra 'fast'"):
        quota_level_probabilities(*args, backend="numba")
    # "auto" falls back to numpy without numba
    assert tiles.resolve_backend("auto") is False
