"""One quota order everywhere: the Grader, the batch engine and the level-probability engine.

:func:`riskgrade.grading.quota_sort_keys` defines the order (unit, score descending,
tie-break keys descending, id ascending, missing last). The batch engine sorts packed
integers instead (:func:`riskgrade.engine.core.grading_order`), and the level-probability
engine gives tied points at the cut-off an equal share of the free level-one places
(numpy tiles and, when installed, the numba kernel). These property tests draw inputs
full of ties and check that all of them agree.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskgrade.engine.core import grading_order, score_ints
from riskgrade.grading import Grader, QuotaPolicy, Thresholds, quota_sort_keys
from riskgrade.uncertainty import kernels_numba, quota_level_probabilities
from riskgrade.weighted_index import index_score

BACKENDS = ["numpy", *(["numba"] if kernels_numba.AVAILABLE else [])]


@st.composite
def tied_rows(draw):
    n = draw(st.integers(1, 120))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_units = draw(st.integers(1, 6))
    g = rng.integers(0, n_units, n)
    # scores on a coarse grid: many exact ties; a few missing
    s = rng.integers(0, 6, n) / 5.0
    key = rng.integers(0, 3, n).astype(float)
    key[rng.random(n) < 0.2] = np.nan
    ids = np.array([f"p{i:04d}" for i in rng.permutation(n)])
    return g, s, key, ids


@settings(max_examples=60, deadline=None)
@given(tied_rows())
def test_engine_packed_sort_is_the_quota_order(rows):
    g, s, key, ids = rows
    s_int = score_ints(s, 12)
    got = grading_order(g, s_int, [key], pa.array(ids))
    id_codes = np.unique(ids, return_inverse=True)[1]
    want = np.lexsort(quota_sort_keys(g, s, [key], id_codes))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(5, 150), st.integers(1, 5))
def test_one_draw_of_the_level_probability_engine_agrees_with_the_grader(backend, seed, n, n_units):
    """With the model's own weights as the only draw, P(level 1) is 1 for the points the
    quota keeps whatever the tie-break, 0 for the points it never keeps, a share at the
    tied cut-off, and sums per unit to the Grader's level-one count."""
    rng = np.random.default_rng(seed)
    F = rng.integers(0, 5, size=(n, 3)) / 4.0  # exact in binary: ties are exact
    w = np.array([0.5, 0.25, 0.25])
    g = rng.integers(0, n_units, n)
    ids = np.array([f"p{i:04d}" for i in range(n)])
    grader = Grader(Thresholds(level_1=0.5, level_2=0.25), QuotaPolicy(max_share=0.10, by="unit_id"))
    score = index_score(F, w, decimals=12)
    ga = grader.grade_arrays(score, g, ids)
    cap = np.zeros(n_units, dtype=np.int64)
    cap[g] = ga.cap
    lp = quota_level_probabilities(
        F, None, w[None, :], g.astype(np.int64), 0.5, 0.25, cap, decimals=12, backend=backend
    )
    p1, p3 = lp.p_level[:, 0], lp.p_level[:, 2]
    level1 = ga.level == 1
    assert np.all(level1[p1 == 1.0])
    assert not np.any(level1[p1 == 0.0])
    np.testing.assert_array_equal(p3 == 1.0, ga.level_provisional == 3)
    for u in range(n_units):
        in_u = g == u
        assert np.isclose(p1[in_u].sum(), level1[in_u].sum(), atol=1e-9)
