"""Tests of the SMAA-2 measures of level one (riskgrade.uncertainty.smaa2) and of the
central weights accumulated by the engine."""

import numpy as np
import pytest
from scipy.stats import norm

import riskgrade as rg
from riskgrade.uncertainty import (
    FactorNoise,
    confidence_factors,
    level_probabilities,
    quota_level_probabilities,
    rank_acceptability,
    smaa2,
    uniform_simplex,
)


def two_factor_unit():
    # A=(1,0): score lam; C=(0.7,0.7): 0.7; B=(0.2,0.9): 0.9 - 0.7 lam; 7 points at 0
    F = np.array([[1.0, 0.0], [0.7, 0.7], [0.2, 0.9]] + [[0.0, 0.0]] * 7)
    return F, np.zeros(10, dtype=np.int64), np.array([1])


def brute_central(F, draws, units, t1, cap, decimals=12):
    """Independent reference: one full sort per unit and draw; credit-weighted weight sums."""
    pres = ~np.isnan(F)
    Fz = np.where(pres, F, 0.0)
    n = F.shape[0]
    acc = np.zeros((n, F.shape[1]))
    tot = np.zeros(n)
    for w in draws:
        with np.errstate(all="ignore"):
            s = np.round((Fz @ w) / (pres @ w), decimals)
        credit = np.zeros(n)
        for u in np.unique(units):
            idx = np.flatnonzero((units == u) & (s >= t1))
            k = cap[u]
            if len(idx) <= k:
                credit[idx] = 1.0 if k > 0 else 0.0
                continue
            if k == 0:
                continue
            v = np.sort(s[idx])[::-1][k - 1]
            G, E = (s[idx] > v).sum(), (s[idx] == v).sum()
            credit[idx[s[idx] > v]] = 1.0
            credit[idx[s[idx] == v]] = (k - G) / E
        acc += credit[:, None] * w
        tot += credit
    with np.errstate(all="ignore"):
        return acc / tot[:, None], tot / len(draws)


def test_central_weights_two_factors_uniform_exact():
    """Central weight vector (Lahdelma & Salminen 2001, Oper. Res. 49, eq. 9: the mean of
    the weights that give the event) with w = (lam, 1 - lam), lam ~ U(0, 1): A is level 1
    iff lam > 0.7, so its central lam is 0.85; C iff 2/7 < lam < 0.7 (midpoint); B iff
    lam < 2/7 (1/7). The Monte Carlo mean of lam on an interval of length L from p*D
    draws has standard error L / sqrt(12 p D)."""
    F, units, cap = two_factor_unit()
    D = 40_000
    draws = uniform_simplex(D, 2, np.random.default_rng(5))
    res = quota_level_probabilities(F, None, draws, units, 0.6, 0.35, cap, central_weights=True)
    cw = res.central_weights
    for i, (lo, hi) in {0: (0.7, 1.0), 1: (2 / 7, 0.7), 2: (0.0, 2 / 7)}.items():
        L = hi - lo
        se = L / np.sqrt(12 * L * D)
        assert abs(cw[i, 0] - (lo + hi) / 2) <= 4 * se, (i, cw[i], (lo + hi) / 2)
        np.testing.assert_allclose(cw[i].sum(), 1.0)
    assert np.isnan(cw[3:]).all()  # never level one


def test_central_weights_match_brute_force_with_ties_missing_and_blocks():
    rng = np.random.default_rng(17)
    for trial in range(25):
        n, m = int(rng.integers(1, 200)), int(rng.integers(1, 5))
        grid = np.linspace(0, 1, int(rng.integers(2, 6)))
        F = rng.choice(grid, size=(n, m)) if trial % 2 else rng.random((n, m))
        if trial % 3 == 0:
            F[rng.random((n, m)) < 0.2] = np.nan
        nu = int(rng.integers(1, 6))
        units = rng.integers(0, nu, n)
        cap = np.bincount(units, minlength=nu) // int(rng.integers(2, 6))
        D = int(rng.integers(1, 30))
        if trial % 4 == 0:  # discrete weights: exact ties between different rows
            draws = rng.dirichlet(np.ones(m), 3)[rng.integers(0, 3, D)]
        else:
            draws = rng.dirichlet(np.ones(m), D)
        t2 = rng.uniform(0, 0.4)
        t1 = t2 + rng.uniform(0.01, 0.4)
        budget = 1e-4 if trial % 2 else 64.0  # one unit per block, or one block
        res = quota_level_probabilities(
            F,
            None,
            draws,
            units,
            t1,
            t2,
            cap,
            central_weights=True,
            memory_budget_mib=budget,
            chunk_size=int(rng.integers(1, 20)),
            tile_points=int(rng.integers(4, 300)),
        )
        ref_cw, ref_p1 = brute_central(F, draws, units, t1, cap)
        np.testing.assert_allclose(res.p_level[:, 0], ref_p1, atol=1e-12)
        ok = ref_p1 > 0
        np.testing.assert_allclose(res.central_weights[ok], ref_cw[ok], atol=1e-12)
        assert np.isnan(res.central_weights[~ok]).all()


def test_blocks_and_budget_do_not_change_results():
    rng = np.random.default_rng(3)
    n = 3000
    units = rng.integers(0, 40, n)
    F = rng.choice(np.linspace(0, 1, 5), size=(n, 4))
    F[rng.random((n, 4)) < 0.05] = np.nan
    cap = np.bincount(units, minlength=40) // 10
    draws = rng.dirichlet(np.ones(4), 300)
    seen = []
    a = quota_level_probabilities(F, None, draws, units, 0.6, 0.35, cap)
    b = quota_level_probabilities(
        F, None, draws, units, 0.6, 0.35, cap, memory_budget_mib=0.05, progress=lambda d, t: seen.append(d)
    )
    assert b.stats["n_blocks"] > 1 and a.stats["n_blocks"] == 1
    assert np.array_equal(a.p_level, b.p_level) and np.array_equal(a.p_candidate, b.p_candidate)
    assert seen == sorted(seen) and seen[-1] == 300


def test_confidence_factor_without_noise_two_factors():
    """Without criteria uncertainty the confidence factor (Lahdelma & Salminen 2001, eq. 10)
    is 1 when the point is level one under its own central weights: A at lam = 0.85
    scores 0.85 > 0.7 (C) > 0.305 (B); C at lam = 0.493 scores 0.7 > 0.555 > 0.493; B at
    lam = 1/7 scores 0.8 > 0.7 > 0.143. A point given central weights under which it is
    not level one gets 0."""
    F, units, cap = two_factor_unit()
    central = np.full((10, 2), np.nan)
    central[0] = [0.85, 0.15]
    central[1] = [(2 / 7 + 0.7) / 2, 1 - (2 / 7 + 0.7) / 2]
    central[2] = [1 / 7, 6 / 7]
    central[3] = [0.5, 0.5]  # a zero point: never level one
    cf = confidence_factors(F, units, cap, 0.6, central)
    np.testing.assert_array_equal(cf[:4], [1.0, 1.0, 1.0, 0.0])
    assert np.isnan(cf[4:]).all()


def test_confidence_factor_tie_shares_the_place():
    F = np.array([[0.8, 0.8], [0.8, 0.8], [0.0, 0.0]])
    cf = confidence_factors(F, np.zeros(3, np.int64), np.array([1]), 0.6, np.full((3, 2), 0.5))
    np.testing.assert_array_equal(cf, [0.5, 0.5, 0.0])


@pytest.mark.parametrize(
    ("noise", "w", "exact"),
    [
        # X - Y = 0.05 + (e_X - e_Y) . w ~ N(0.05, 2 sd^2 |w|^2) = N(0.05, 0.05^2): P = Phi(1)
        (FactorNoise("gaussian", 0.05), [0.5, 0.5], norm.cdf(1.0)),
        # w = (1, 0): 0.05 + u_X - u_Y, u ~ U(-0.05, 0.05): triangular on (-0.1, 0.1),
        # P(T > -0.05) = 1 - 0.05^2 / (2 * 0.1^2) = 0.875
        (FactorNoise("uniform", 0.05), [1.0, 0.0], 0.875),
    ],
)
def test_confidence_factor_with_noise_exact(noise, w, exact):
    """Two candidates for one place, X = (0.5, 0.5) and Y = (0.45, 0.45), independent
    noise on every factor score: the confidence factor of X is P(score_X > score_Y) under
    its central weights, computed in closed form (normal / triangular distribution of
    the score difference); Monte Carlo within 4 standard errors."""
    F = np.array([[0.5, 0.5], [0.45, 0.45]])
    R = 20_000
    central = np.array([w, w], dtype=float)
    cf = confidence_factors(
        F,
        np.zeros(2, np.int64),
        np.array([1]),
        0.0,
        central,
        noise=noise,
        n_noise=R,
        rng=np.random.default_rng(2),
    )
    se = np.sqrt(exact * (1 - exact) / R)
    assert abs(cf[0] - exact) <= 4 * se
    assert abs(cf[1] - (1 - exact)) <= 4 * se


def test_rank_acceptability_two_factors_and_invariants():
    """Rank-1 acceptability (Lahdelma & Salminen 2001, eq. 5) is the interval length of
    the two-factor example: A 0.3, C 0.7 - 2/7, B 2/7; every rank is held by exactly one
    point per unit and draw; identical points share their ranks."""
    F, units, _ = two_factor_unit()
    D = 20_000
    draws = uniform_simplex(D, 2, np.random.default_rng(8))
    b = rank_acceptability(F, units, draws, 3)
    for i, p in {0: 0.3, 1: 0.7 - 2 / 7, 2: 2 / 7}.items():
        assert abs(b[i, 0] - p) <= 4 * np.sqrt(p * (1 - p) / D)
    np.testing.assert_allclose(b.sum(axis=0), 1.0)
    assert (b.sum(axis=1) <= 1 + 1e-12).all()
    F3 = np.array([[0.9, 0.9]] * 3 + [[0.0, 0.0]] * 2)
    b3 = rank_acceptability(F3, np.zeros(5, np.int64), draws[:50], 4)
    np.testing.assert_allclose(b3[:3, :3], 1 / 3)
    np.testing.assert_allclose(b3[3:, 3], 1 / 2)


@pytest.fixture(scope="module")
def fitted():
    inv = rg.datasets.load_sample()
    return rg.RiskModel().fit(inv), inv


def test_smaa2_on_a_model(fitted):
    model, inv = fitted
    res = smaa2(model, inv, n_draws=800, seed=4, n_ranks=2, noise=FactorNoise("gaussian", 0.02), n_noise=200)
    lp = level_probabilities(model, inv, n_draws=800, seed=4)
    assert res.levels.equals(lp)  # same seed, same acceptabilities
    p1 = res.levels["p_level_1"].to_numpy()
    cw = res.central_weights.to_numpy()
    assert np.isnan(cw[p1 == 0]).all()
    np.testing.assert_allclose(cw[p1 > 0].sum(axis=1), 1.0)
    cf = res.confidence["confidence_factor"].to_numpy()
    assert np.isnan(cf[p1 == 0]).all() and ((cf[p1 > 0] >= 0) & (cf[p1 > 0] <= 1)).all()
    assert list(res.rank_acceptability.columns) == ["rank_1", "rank_2"]
    n_units = inv["unit_id"].nunique()
    np.testing.assert_allclose(res.rank_acceptability.sum().to_numpy(), n_units)


def test_smaa2_point_mass_gives_the_model_weights(fitted):
    """With every draw equal to the model's weights the central weights are those weights
    and the confidence factor (no noise) is 1 for the level-one points without a tie."""
    model, inv = fitted
    w = model.weights_.reindex(model.catalog_.names).to_numpy()
    res = smaa2(model, inv, weights=np.tile(w, (2, 1)))
    graded = model.grade(inv).frame
    lvl1 = (graded["level"].to_numpy() == 1) & ~graded["quota_tie"].to_numpy()
    np.testing.assert_allclose(res.central_weights.to_numpy()[lvl1], np.tile(w, (lvl1.sum(), 1)))
    np.testing.assert_array_equal(res.confidence["confidence_factor"].to_numpy()[lvl1], 1.0)


def test_bad_arguments(fitted):
    model, inv = fitted
    with pytest.raises(rg.RiskgradeError, match="kind"):
        FactorNoise("cauchy", 0.1)
    with pytest.raises(rg.RiskgradeError, match="scale"):
        FactorNoise("gaussian", -1)
    with pytest.raises(rg.RiskgradeError, match="n_ranks"):
        smaa2(model, inv, n_draws=10, n_ranks=-1)
    with pytest.raises(rg.RiskgradeError, match="memory_budget_mib"):
        quota_level_probabilities(
            np.zeros((2, 2)),
            None,
            np.array([[0.5, 0.5]]),
            np.zeros(2, int),
            0.6,
            0.3,
            np.array([0]),
            memory_budget_mib=0,
        )
