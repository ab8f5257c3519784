"""AHP invariants (hypothesis), the batched form against single calls, group aggregation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskgrade.exceptions import InconsistentJudgementsError, WeightingError
from riskgrade.weighting import ahp, ahp_batch, ahp_group
from riskgrade.weighting.ahp_group import kendall_w

pytestmark = pytest.mark.filterwarnings("ignore::riskgrade.exceptions.ConsistencyWarning")

METHODS = ["eigenvector", "geometric_mean", "llsm", "normalized_column"]
SCALE = [1 / 9, 1 / 7, 1 / 5, 1 / 4, 1 / 3, 1 / 2, 1, 2, 3, 4, 5, 7, 9]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def reciprocal_matrices(draw, n_min=3, n_max=9):
    n = draw(st.integers(n_min, n_max))
    upper = draw(st.lists(st.sampled_from(SCALE), min_size=n * (n - 1) // 2, max_size=n * (n - 1) // 2))
    a = np.ones((n, n))
    iu = np.triu_indices(n, 1)
    a[iu] = upper
    a[iu[1], iu[0]] = 1 / np.asarray(upper)
    return a


@st.composite
def weight_vectors(draw, n_min=1, n_max=10):
    n = draw(st.integers(n_min, n_max))
    raw = draw(st.lists(st.floats(0.01, 100.0), min_size=n, max_size=n))
    w = np.asarray(raw)
    return w / w.sum()


@SETTINGS
@given(reciprocal_matrices(), st.sampled_from(METHODS))
def test_weights_nonnegative_sum_to_one(a, method):
    r = ahp(a, method=method)
    w = r.weights.to_numpy()
    assert (w > 0).all()
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    assert r.lambda_max >= a.shape[0] - 1e-9  # Saaty: lambda_max >= n for reciprocal matrices
    assert r.cr >= 0.0


@SETTINGS
@given(weight_vectors(), st.sampled_from(METHODS))
def test_consistent_matrix_returns_w_and_zero_cr(w, method):
    a = np.outer(w, 1 / w)
    r = ahp(a, method=method, ri_table="donegan_dodd")
    np.testing.assert_allclose(r.weights.to_numpy(), w, rtol=1e-9, atol=1e-12)
    assert r.cr == pytest.approx(0.0, abs=1e-9)
    assert r.lambda_max == pytest.approx(len(w), rel=1e-12)
    assert r.is_consistent


@SETTINGS
@given(reciprocal_matrices(), st.sampled_from(METHODS), st.randoms(use_true_random=False))
def test_permutation_equivariance(a, method, rnd):
    n = a.shape[0]
    perm = list(range(n))
    rnd.shuffle(perm)
    r = ahp(a, method=method)
    rp = ahp(a[np.ix_(perm, perm)], method=method)
    np.testing.assert_allclose(rp.weights.to_numpy(), r.weights.to_numpy()[perm], rtol=1e-9, atol=1e-12)
    assert rp.cr == pytest.approx(r.cr, rel=1e-9, abs=1e-12)


@SETTINGS
@given(reciprocal_matrices(), st.sampled_from(["eigenvector", "geometric_mean", "llsm"]))
def test_reciprocal_symmetry(a, method):
    """Transposing the judgements (every preference reversed) inverts the weights.

    Exact for the geometric mean (w -> 1/w normalised). The eigenvector is not right-left
    symmetric for inconsistent matrices (Johnson, Beine & Wang 1979), so for it only the
    spectrum (lambda_max, hence CR) is checked: A^T has the same eigenvalues.
    """
    r = ahp(a, method=method)
    rt = ahp(a.T, method=method)
    assert rt.lambda_max == pytest.approx(r.lambda_max, rel=1e-9)
    if method != "eigenvector":
        inv = 1 / r.weights.to_numpy()
        np.testing.assert_allclose(rt.weights.to_numpy(), inv / inv.sum(), rtol=1e-9)


@SETTINGS
@given(st.lists(reciprocal_matrices(n_min=5, n_max=5), min_size=1, max_size=8), st.sampled_from(METHODS))
def test_batch_equals_single(mats, method):
    stack = np.stack(mats)
    w, lam, cr = ahp_batch(stack, method=method)
    for k, a in enumerate(mats):
        r = ahp(a, method=method)
        np.testing.assert_allclose(w[k], r.weights.to_numpy(), rtol=1e-9, atol=1e-12)
        assert lam[k] == pytest.approx(r.lambda_max, rel=1e-11)
        assert cr[k] == pytest.approx(r.cr, rel=1e-9, abs=1e-12)


def test_eigen_against_numpy_eig():
    rng = np.random.default_rng(5)
    for n in (3, 4, 7, 10, 15):
        upper = rng.choice(SCALE, size=n * (n - 1) // 2)
        a = np.ones((n, n))
        iu = np.triu_indices(n, 1)
        a[iu] = upper
        a[iu[1], iu[0]] = 1 / upper
        vals, vecs = np.linalg.eig(a)
        k = np.argmax(vals.real)
        v = np.abs(vecs[:, k].real)
        r = ahp(a, ri_table="alonso_lamata")
        np.testing.assert_allclose(r.weights.to_numpy(), v / v.sum(), rtol=1e-8)
        assert r.lambda_max == pytest.approx(vals[k].real, rel=1e-12)


def test_batch_validation_and_shapes():
    a = np.ones((2, 3, 3))
    a[1, 0, 2] = 4.0
    with pytest.raises(InconsistentJudgementsError, match=r"matrix 1 cell \(0, 2\)"):
        ahp_batch(a)
    a[1, 0, 2] = -1.0
    with pytest.raises(InconsistentJudgementsError, match="not finite positive"):
        ahp_batch(a)
    with pytest.raises(InconsistentJudgementsError, match="shape"):
        ahp_batch(np.ones((3, 3)))
    with pytest.raises(WeightingError, match="'saaty' has no value for n = 12"):
        ahp_batch(np.ones((1, 12, 12)))
    w, lam, _cr = ahp_batch(np.ones((0, 4, 4)))
    assert w.shape == (0, 4) and lam.shape == (0,)
    res = ahp_batch(np.ones((3, 2, 2)))
    assert res.cr.tolist() == [0.0, 0.0, 0.0] and res.weights.shape == (3, 2)


def test_batch_large_stack_is_vectorised():
    rng = np.random.default_rng(0)
    k, n = 20_000, 7
    upper = rng.choice(SCALE, size=(k, n * (n - 1) // 2))
    a = np.ones((k, n, n))
    iu = np.triu_indices(n, 1)
    a[:, iu[0], iu[1]] = upper
    a[:, iu[1], iu[0]] = 1 / upper
    w, lam, _cr = ahp_batch(a)
    assert w.shape == (k, n) and np.allclose(w.sum(axis=1), 1.0)
    idx = rng.choice(k, 25, replace=False)
    for i in idx:
        vals = np.linalg.eigvals(a[i])
        assert lam[i] == pytest.approx(vals.real.max(), rel=1e-10)


# --------------------------------------------------------------------------- group


CRIT = {
    ("Experience", "Education"): 4,
    ("Experience", "Charisma"): 3,
    ("Experience", "Age"): 7,
    ("Education", "Charisma"): 1 / 3,
    ("Education", "Age"): 3,
    ("Charisma", "Age"): 5,
}


def test_group_of_identical_experts_equals_single():
    single = ahp(CRIT)
    for method in ("aij", "aip"):
        g = ahp_group({"A": CRIT, "B": CRIT, "C": CRIT}, method=method)
        pd.testing.assert_series_equal(g.weights, single.weights, check_names=False, rtol=1e-12)
        assert g.consensus["kendall_w"] == pytest.approx(1.0)
        assert g.experts["distance"].max() == pytest.approx(0.0, abs=1e-12)
    assert ahp_group([CRIT, CRIT]).cr == pytest.approx(single.cr)


def test_aij_is_weighted_geometric_mean_of_judgements():
    """Aczél & Saaty (1983): the weighted geometric mean; two experts with 2 and 8 at equal
    weight give 4; with weights 3:1 give 2^(3/4) 8^(1/4) = 2^(3/2)."""
    g = ahp_group({"A": {("x", "y"): 2}, "B": {("x", "y"): 8}})
    assert g.group.matrix.loc["x", "y"] == pytest.approx(4.0)
    g = ahp_group({"A": {("x", "y"): 2}, "B": {("x", "y"): 8}}, expert_weights={"A": 3, "B": 1})
    assert g.group.matrix.loc["x", "y"] == pytest.approx(2**1.5)
    w = 2**1.5 / (1 + 2**1.5)
    assert g.weights["x"] == pytest.approx(w)


def test_aij_handles_missing_judgements():
    a = {("a", "b"): 2, ("b", "c"): 3}
    b = {("a", "b"): 2, ("a", "c"): 6}
    g = ahp_group({"A": a, "B": b})
    m = g.group.matrix
    assert m.loc["a", "b"] == pytest.approx(2.0)  # both gave it
    assert m.loc["a", "c"] == pytest.approx(6.0)  # only B gave it
    assert m.loc["b", "c"] == pytest.approx(3.0)  # only A gave it
    assert g.cr == pytest.approx(0.0, abs=1e-9)
    # nobody judged (a, c): completed from the others
    g2 = ahp_group({"A": a, "B": {("a", "b"): 2}})
    assert g2.group.n_missing == 1 and g2.group.matrix.loc["a", "c"] == pytest.approx(6.0)
    assert g2.experts.loc["B", "cr"] != g2.experts.loc["B", "cr"]  # NaN: B alone is not connected


def test_aip_means_and_outlier_ranked_first():
    outlier = {k: 1 / v for k, v in CRIT.items()}
    mild = {**CRIT, ("Experience", "Age"): 5}
    g = ahp_group({"A": CRIT, "B": mild, "C": outlier}, method="aip")
    assert g.furthest(1).index[0] == "C"
    assert g.experts.loc["C", "distance_rank"] == 1
    assert np.isnan(g.cr)
    wk = g.experts[[f"w_{c}" for c in g.weights.index]].to_numpy()
    geo = np.exp(np.log(wk).mean(axis=0))
    np.testing.assert_allclose(g.weights.to_numpy(), geo / geo.sum(), rtol=1e-12)
    ga = ahp_group({"A": CRIT, "B": mild, "C": outlier}, method="aip", aip_mean="arithmetic")
    np.testing.assert_allclose(ga.weights.to_numpy(), wk.mean(axis=0), rtol=1e-12)
    assert "kendall_w" in g.summary().index
    assert "AHPGroupResult" in g._repr_html_()


def test_group_errors():
    with pytest.raises(WeightingError, match="method"):
        ahp_group([CRIT], method="median")
    with pytest.raises(WeightingError, match="unknown expert"):
        ahp_group({"A": CRIT}, expert_weights={"Z": 1})
    with pytest.raises(WeightingError, match="non-negative"):
        ahp_group([CRIT, CRIT], expert_weights=[1, -1])
    with pytest.raises(InconsistentJudgementsError, match="expert 'B'"):
        ahp_group({"A": CRIT, "B": {("Experience", "Age"): -2}})


def test_kendall_w_known_values():
    """Kendall's W: identical rankings give 1; m = 2 opposite rankings of n = 3 give 0."""
    assert kendall_w(np.array([[3, 2, 1], [3, 2, 1]]))[0] == pytest.approx(1.0)
    assert kendall_w(np.array([[3, 2, 1], [1, 2, 3]]))[0] == pytest.approx(0.0)
    # hand computation: ranks (1 = top) [1,2,3,4], [2,1,3,4], [1,3,2,4] -> rank sums 4, 6, 8, 12,
    # S = 35, W = 12 S / (m^2 (n^3 - n)) = 420 / 540
    ranks = np.array([[1, 2, 3, 4], [2, 1, 3, 4], [1, 3, 2, 4]], dtype=float)
    w, p = kendall_w(5 - ranks)
    assert w == pytest.approx(420 / 540)
    assert 0 < p < 1
    # ties: two judges tie items 2 and 3 -> tie correction in the denominator
    w_t, _ = kendall_w(np.array([[4, 2, 2, 1], [4, 2, 2, 1]], dtype=float))
    assert w_t == pytest.approx(1.0)
