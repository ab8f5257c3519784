"""Tests of the weight samplers (riskgrade.uncertainty.samplers)."""

import numpy as np
import pytest
from scipy import stats

from riskgrade.exceptions import RiskgradeError
from riskgrade.uncertainty import (
    AHPExperts,
    Dirichlet,
    IntervalBounds,
    LowerBounds,
    Ordinal,
    UniformSimplex,
    hit_and_run,
)


def test_uniform_simplex_moments():
    """Flat Dirichlet(1,...,1) (Rubin 1981): E w_j = 1/m, Var w_j = (m-1) / (m^2 (m+1))."""
    m, D = 5, 200_000
    W = UniformSimplex().sample(D, np.random.default_rng(0), m)
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    var = (m - 1) / (m**2 * (m + 1))
    assert np.all(np.abs(W.mean(axis=0) - 1 / m) < 5 * np.sqrt(var / D))
    np.testing.assert_allclose(W.var(axis=0), var, rtol=0.02)
    # the marginal of a flat Dirichlet is Beta(1, m - 1)
    assert stats.kstest(W[:5000, 0], stats.beta(1, m - 1).cdf).pvalue > 0.01


def test_dirichlet_moments_and_zero_weights():
    """Dirichlet(a c): mean c, Var = c (1 - c) / (a + 1); a zero centre weight stays 0."""
    c = np.array([0.5, 0.3, 0.2, 0.0])
    a, D = 40.0, 200_000
    W = Dirichlet(c, a).sample(D, np.random.default_rng(1))
    np.testing.assert_allclose(W.mean(axis=0), c, atol=2e-3)
    np.testing.assert_allclose(W.var(axis=0)[:3], c[:3] * (1 - c[:3]) / (a + 1), rtol=0.03)
    assert np.all(W[:, 3] == 0)


def test_ordinal_constraints_never_violated_and_uniform():
    """Sorted uniform draws are uniform on the ordered region: E w_(1) = H_m / m for m = 3."""
    W = Ordinal([2, 0, 1], 3).sample(100_000, np.random.default_rng(2))
    assert np.all(W[:, 2] >= W[:, 0]) and np.all(W[:, 0] >= W[:, 1])
    # E of the largest uniform-simplex coordinate = (1/m) sum_{k=1}^m 1/k (Devroye 1986, V.2)
    assert abs(W[:, 2].mean() - (1 + 1 / 2 + 1 / 3) / 3) < 3e-3


def test_lower_bounds_exact():
    lo = np.array([0.1, 0.2, 0.0, 0.3])
    W = LowerBounds(lo).sample(50_000, np.random.default_rng(3))
    assert np.all(lo - 1e-15 <= W)
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    np.testing.assert_allclose(W.mean(axis=0), lo + 0.4 / 4, atol=3e-3)


def test_hit_and_run_matches_rejection():
    """Hit-and-run (Smith 1984) and exact rejection sampling agree on a small polytope."""
    lo, hi = np.array([0.05, 0.1, 0.0, 0.2]), np.array([0.4, 0.5, 0.3, 0.6])
    rng = np.random.default_rng(4)
    H = IntervalBounds(lo, hi).sample(5000, rng)
    R = IntervalBounds(lo, hi, method="rejection").sample(5000, rng)
    assert np.all(lo - 1e-12 <= H) and np.all(hi + 1e-12 >= H)
    np.testing.assert_allclose(H.sum(axis=1), 1.0)
    for j in range(4):
        assert stats.ks_2samp(H[:, j], R[:, j]).pvalue > 0.001
    np.testing.assert_allclose(H.mean(axis=0), R.mean(axis=0), atol=0.01)


def test_hit_and_run_bounds_many_factors():
    lo, hi = np.full(9, 0.02), np.full(9, 0.3)
    W = hit_and_run(lo, hi, 2000, np.random.default_rng(5))
    assert np.all(lo - 1e-12 <= W) and np.all(hi + 1e-12 >= W)
    np.testing.assert_allclose(W.mean(axis=0), 1 / 9, atol=0.01)


def test_infeasible_bounds_raise():
    with pytest.raises(RiskgradeError, match="infeasible"):
        IntervalBounds([0.5, 0.6], [0.9, 0.9])


def test_ahp_consistent_single_expert_gives_its_weights():
    """A consistent matrix a_ij = w_i / w_j has principal eigenvector w (Saaty 1980)."""
    w = np.array([0.5, 0.3, 0.2])
    A = w[:, None] / w[None, :]
    W = AHPExperts(A, resample=True).sample(10, np.random.default_rng(6))
    np.testing.assert_allclose(W, np.tile(w, (10, 1)), atol=1e-12)


def test_ahp_perturbation_spreads_and_stays_on_simplex():
    A = np.array(
        [[[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]], [[1, 2, 4], [1 / 2, 1, 3], [1 / 4, 1 / 3, 1]]]
    )
    W = AHPExperts(A, perturb=1).sample(2000, np.random.default_rng(7))
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    assert W[:, 0].std() > 0.01
    assert np.mean(W[:, 0] > W[:, 2]) > 0.95
    with pytest.raises(RiskgradeError, match="reciprocal"):
        AHPExperts(np.array([[1.0, 2.0], [2.0, 1.0]]))
