"""Tests of the SMAA level-probability engine (riskgrade.uncertainty.core)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskgrade.exceptions import RiskgradeError
from riskgrade.uncertainty import quota_level_probabilities, score_cutoff, uniform_simplex


def brute_force(F, draws, units, t1, t2, cap, decimals=12):
    """Independent reference: one full sort per unit and draw, fractional credit for ties."""
    presence = ~np.isnan(F)
    Fz = np.where(presence, F, 0.0)
    n = F.shape[0]
    P = np.zeros((n, 3))
    for w in draws:
        with np.errstate(all="ignore"):
            s = (Fz @ w) / (presence @ w)
        s = np.round(s, decimals)
        cand = s >= t1
        credit = np.zeros(n)
        for u in np.unique(units):
            idx = np.flatnonzero((units == u) & cand)
            k = cap[u]
            if len(idx) <= k:
                credit[idx] = 1.0
                continue
            if k == 0:
                continue
            v = np.sort(s[idx])[::-1][k - 1]
            G, E = (s[idx] > v).sum(), (s[idx] == v).sum()
            credit[idx[s[idx] > v]] = 1.0
            credit[idx[s[idx] == v]] = (k - G) / E
        P[:, 0] += credit
        P[:, 2] += ~(s >= t2)
    P /= len(draws)
    P[:, 1] = 1.0 - P[:, 0] - P[:, 2]
    return P


def two_factor_unit():
    # A=(1,0): score = lam; C=(0.7,0.7): score 0.7 always; B=(0.2,0.9): 0.9-0.7 lam; 7 zeros
    F = np.array([[1.0, 0.0], [0.7, 0.7], [0.2, 0.9]] + [[0.0, 0.0]] * 7)
    return F, np.zeros(10, dtype=np.int64), np.array([1])


def test_two_factors_uniform_weights_interval_lengths():
    """With two factors and uniform weights w = (lam, 1 - lam), lam ~ U(0, 1) (the uniform
    2-simplex, Rubin 1981), each level is an interval of lam, so the probabilities are
    interval lengths (Lahdelma & Salminen 2001: acceptability = volume of the favourable
    weight set). Unit of 10, cap 1, t1 = 0.6, t2 = 0.35:
    A = (1, 0) is level 1 iff lam > 0.7 (it beats C = 0.7): 0.3; level 3 iff lam < 0.35.
    C is level 1 iff lam < 0.7 and not beaten by B (B >= 0.7 iff lam <= 2/7): 0.7 - 2/7.
    B is level 1 iff lam < 2/7: 2/7; level 3 iff 0.9 - 0.7 lam < 0.35, lam > 11/14."""
    F, units, cap = two_factor_unit()
    D = 40_000
    draws = uniform_simplex(D, 2, np.random.default_rng(3))
    P = quota_level_probabilities(F, None, draws, units, 0.6, 0.35, cap).p_level
    exact = {
        0: (0.3, 1 - 0.3 - 0.35, 0.35),
        1: (0.7 - 2 / 7, 1 - (0.7 - 2 / 7), 0.0),
        2: (2 / 7, 1 - 2 / 7 - 3 / 14, 3 / 14),
    }
    for i, probs in exact.items():
        se = np.sqrt(np.array(probs) * (1 - np.array(probs)) / D) + 1e-12
        assert np.all(np.abs(P[i] - probs) <= 4 * se), (i, P[i], probs)
    assert np.all(P[3:, 2] == 1.0)


def test_matches_brute_force_with_ties_and_missing():
    rng = np.random.default_rng(11)
    for trial in range(40):
        n, m = int(rng.integers(1, 250)), int(rng.integers(1, 5))
        grid = np.linspace(0, 1, int(rng.integers(2, 6)))
        F = rng.choice(grid, size=(n, m)) if trial % 2 else rng.random((n, m))
        if trial % 3 == 0:
            F[rng.random((n, m)) < 0.2] = np.nan
        nu = int(rng.integers(1, 6))
        units = rng.integers(0, nu, n)
        cap = np.bincount(units, minlength=nu) // int(rng.integers(2, 11))
        D = int(rng.integers(1, 30))
        if trial % 4 == 0:  # a discrete weight distribution: exact ties between different rows
            draws = rng.dirichlet(np.ones(m), 3)[rng.integers(0, 3, D)]
        else:
            draws = rng.dirichlet(np.ones(m) * rng.uniform(0.2, 3), D)
        t2 = rng.uniform(0, 0.5)
        t1 = t2 + rng.uniform(0.01, 0.5)
        got = quota_level_probabilities(
            F,
            None,
            draws,
            units,
            t1,
            t2,
            cap,
            chunk_size=int(rng.integers(1, 20)),
            tile_points=int(rng.integers(4, 300)),
        ).p_level
        np.testing.assert_allclose(got, brute_force(F, draws, units, t1, t2, cap), atol=1e-12)


def test_identical_points_share_the_last_place():
    """Three identical points competing for one place get 1/3 each, not a tie-break."""
    F = np.array([[0.9, 0.9]] * 3 + [[0.0, 0.0]] * 7)
    draws = uniform_simplex(100, 2, np.random.default_rng(0))
    P = quota_level_probabilities(F, None, draws, np.zeros(10, int), 0.6, 0.35, np.array([1])).p_level
    np.testing.assert_allclose(P[:3, 0], 1 / 3, rtol=0, atol=1e-15)
    np.testing.assert_allclose(P[:3, 1], 2 / 3, rtol=0, atol=1e-15)


def test_point_mass_reproduces_grader_levels():
    """With all draws equal to one weight vector, P(level) is the Grader's level (no ties)."""
    import riskgrade as rg
    from riskgrade.uncertainty import inventory_arrays

    inv = rg.datasets.load_sample()
    model = rg.RiskModel().fit(inv)
    arr = inventory_arrays(model, inv)
    w = model.weights_.to_numpy()
    P = quota_level_probabilities(
        arr["F"], None, w[None, :], arr["unit_codes"], arr["t1"], arr["t2"], arr["caps"]
    ).p_level
    graded = model.grade(inv).frame
    tie = graded["quota_tie"].to_numpy()
    level = graded["level"].to_numpy()
    assert np.array_equal(np.argmax(P, axis=1)[~tie] + 1, level[~tie])
    assert set(np.unique(P[~tie])) <= {0.0, 1.0}


def test_score_cutoff_is_exact_for_rounded_scores():
    for t in (0.6, 0.35, 1 / 3, 0.1 + 0.2):
        x = score_cutoff(t, 12)
        assert np.round(x, 12) >= t
        assert not np.round(np.nextafter(x, -np.inf), 12) >= t


def test_invalid_arguments_raise():
    F = np.zeros((3, 2))
    u = np.zeros(3, dtype=np.int64)
    with pytest.raises(RiskgradeError, match="t1 > t2"):
        quota_level_probabilities(F, None, np.array([[0.5, 0.5]]), u, 0.3, 0.6, np.array([0]))
    with pytest.raises(RiskgradeError, match="sum to 1"):
        quota_level_probabilities(F, None, np.array([[0.5, 0.6]]), u, 0.6, 0.3, np.array([0]))
    with pytest.raises(RiskgradeError, match="unit_codes"):
        quota_level_probabilities(F, None, np.array([[0.5, 0.5]]), u + 1, 0.6, 0.3, np.array([0]))


@st.composite
def inventories(draw):
    n = draw(st.integers(1, 120))
    m = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    levels = draw(st.integers(2, 6))
    F = rng.choice(np.linspace(0, 1, levels), size=(n, m))
    if draw(st.booleans()):
        F[rng.random((n, m)) < 0.15] = np.nan
    nu = draw(st.integers(1, 5))
    units = rng.integers(0, nu, n)
    share = draw(st.sampled_from([0.1, 0.2, 0.5]))
    cap = (np.bincount(units, minlength=nu) * share).astype(np.int64)
    draws = rng.dirichlet(np.ones(m) * draw(st.sampled_from([0.3, 1.0, 5.0])), draw(st.integers(1, 40)))
    t2 = draw(st.sampled_from([0.2, 0.35, 0.5]))
    t1 = t2 + draw(st.sampled_from([0.1, 0.25, 0.4]))
    return F, draws, units, t1, t2, cap, seed


@settings(max_examples=60, deadline=None)
@given(inventories())
def test_invariants(case):
    F, draws, units, t1, t2, cap, seed = case
    res = quota_level_probabilities(F, None, draws, units, t1, t2, cap)
    P = res.p_level
    # probabilities in [0, 1], summing to 1 per point
    assert np.all((P >= 0) & (P <= 1))
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    # per-unit sum of P(level 1) = E[min(cap, #candidates)] exactly
    pres = ~np.isnan(F)
    with np.errstate(all="ignore"):
        S = np.round((np.where(pres, F, 0) @ draws.T) / (pres @ draws.T), 12)
    for u in np.unique(units):
        n_cand = (S[units == u] >= t1).sum(axis=0)
        expected = np.minimum(cap[u], n_cand).mean()
        assert abs(P[units == u, 0].sum() - expected) < 1e-9
        assert P[units == u, 0].sum() <= cap[u] + 1e-9
    # row order irrelevant, thread count irrelevant
    perm = np.random.default_rng(seed).permutation(F.shape[0])
    Pp = quota_level_probabilities(F[perm], None, draws, units[perm], t1, t2, cap, n_threads=1).p_level
    assert np.array_equal(Pp, P[perm])


def test_canonical_order_fallback_when_mixes_collide(monkeypatch):
    """Rows are ordered by a 64-bit mix of their content; were two different rows to share
    a mix, the order falls back to a lexicographic sort. Forcing every mix to collide
    (all multipliers zero) must leave the probabilities unchanged and row-order free."""
    from riskgrade.uncertainty import layout

    rng = np.random.default_rng(5)
    F = rng.choice(np.linspace(0, 1, 5), size=(60, 3))
    F[rng.random(F.shape) < 0.1] = np.nan
    units = rng.integers(0, 3, 60)
    cap = (np.bincount(units, minlength=3) // 5).astype(np.int64)
    draws = rng.dirichlet(np.ones(3), 30)
    ref = quota_level_probabilities(F, None, draws, units, 0.55, 0.3, cap).p_level
    monkeypatch.setattr(layout, "MIX", np.zeros(4, dtype=np.uint64))
    order = layout.canonical_order(np.nan_to_num(F), ~np.isnan(F), units)
    assert np.array_equal(np.sort(order), np.arange(60))
    assert np.all(np.diff(units[order]) >= 0)
    got = quota_level_probabilities(F, None, draws, units, 0.55, 0.3, cap).p_level
    perm = rng.permutation(60)
    got_perm = quota_level_probabilities(F[perm], None, draws, units[perm], 0.55, 0.3, cap).p_level
    assert np.array_equal(got, ref)
    assert np.array_equal(got_perm, ref[perm])


@pytest.mark.parametrize("sizes", [(9, 14), (37, 47)])
@pytest.mark.parametrize("chunk_size", [7, 16])
def test_tiles_mixing_units_of_different_caps(sizes, chunk_size):
    """Quota tiles hold units of one padded size but any caps: short rows take the cut-off
    from one sort, long rows from one partition per cap; both against the brute force, with
    ties (a coarse grid of factor values), missing factors, and both counting paths (chunks
    of a multiple of 8 draws and not)."""
    rng = np.random.default_rng(sizes[0] * 100 + chunk_size)
    n_units = 14
    unit_sizes = rng.integers(sizes[0], sizes[1] + 1, n_units)
    units = np.repeat(np.arange(n_units), unit_sizes)
    n = units.size
    F = rng.choice(np.linspace(0.3, 1.0, 8), size=(n, 3))
    F[rng.random((n, 3)) < 0.05] = np.nan
    cap = rng.integers(1, unit_sizes // 3 + 1).astype(np.int64)
    draws = rng.dirichlet(np.ones(3), 40)
    got = quota_level_probabilities(
        F, None, draws, units, 0.62, 0.4, cap, chunk_size=chunk_size, tile_points=512
    )
    assert got.stats["partition_rows"] > 0
    np.testing.assert_allclose(got.p_level, brute_force(F, draws, units, 0.62, 0.4, cap), atol=1e-12)
