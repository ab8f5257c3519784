"""CRITIC weights: published worked examples, edge cases and invariants."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from riskgrade.exceptions import DataWarning, WeightingError
from riskgrade.weighting.critic import critic_weights

TUS_ADALI_2019 = np.array(
    [
        [5000, 3, 3, 4, 3, 2],
        [680, 5, 3, 2, 2, 1],
        [2000, 3, 2, 3, 4, 3],
        [600, 4, 3, 1, 2, 2],
        [800, 2, 4, 3, 3, 4],
    ]
)


def test_kat_tus_adali_2019():
    """Tuş, A. & Aytaç Adalı, E. (2019). The new combination with CRITIC and WASPAS methods
    for the time and attendance software selection problem. Opsearch 56(2), 528-538: the
    5 x 6 decision matrix and its CRITIC weights, printed to three decimals (computed on the
    min-max normalised matrix without reflecting the cost criterion)."""
    w = critic_weights(TUS_ADALI_2019)
    np.testing.assert_allclose(w, [0.157, 0.249, 0.168, 0.121, 0.154, 0.151], atol=5e-4)


DIAKOULAKI_1995 = np.array(
    [
        [61.0, 1.08, 4.33],
        [20.7, 0.26, 4.34],
        [16.3, 1.98, 2.53],
        [9.0, 3.29, 1.65],
        [5.4, 2.77, 2.33],
        [4.0, 4.12, 1.21],
        [-6.1, 3.52, 2.10],
        [-34.6, 3.31, 0.98],
    ]
)


@pytest.mark.parametrize(
    ("normalization", "correlation", "expected"),
    [
        ("minmax", "pearson", [0.20222554, 0.48090173, 0.31687273]),
        ("minmax", "spearman", [0.21454645, 0.48985630, 0.29559726]),
        ("none", "pearson", [0.86874234, 0.08341434, 0.04784331]),
        ("none", "spearman", [0.87672195, 0.08082369, 0.04245436]),
    ],
)
def test_diakoulaki_mavrotas_papayannakis_1995(normalization, correlation, expected):
    """Diakoulaki, D., Mavrotas, G. & Papayannakis, L. (1995). Determining objective weights
    in multiple criteria problems: the CRITIC method. Computers & Operations Research 22(7),
    763-770: the paper's 8 x 3 example, with negative values in the first criterion, all
    three criteria maximised (no reflection). Weights as scikit-criteria's test suite encodes
    them (tests/preprocessing/test_weighters.py, test_CRITIC_diakoulaki1995determining and
    test_critic_weight_weights_diakoulaki1995determining): min-max scaling as in the paper
    ("scale=True") and unscaled columns ("scale=False", riskgrade's normalization="none"),
    Pearson and Spearman correlation. Min-max scaling handles the negative values; the
    weights need no parameter beyond the existing ``normalization``."""
    w = critic_weights(DIAKOULAKI_1995, normalization=normalization, correlation=correlation)
    np.testing.assert_allclose(w, expected, atol=5e-9)


def test_cross_check_pymcdm():
    """Cross-check against pymcdm's CRITIC (min-max, Pearson, ddof = 1) on random data."""
    pymcdm = pytest.importorskip("pymcdm")
    X = np.random.default_rng(5).normal(size=(300, 5)) * [1, 10, 100, 0.1, 3]
    np.testing.assert_allclose(critic_weights(X), pymcdm.weights.critic_weights(X), atol=1e-12)


def test_definition_on_small_matrix():
    """C_j = sigma_j * sum_k (1 - r_jk) with sigma of the min-max normalised column: checked
    against a direct (non-blocked) evaluation of the 1995 formula on a block-spanning input."""
    X = np.random.default_rng(2).random((20_000, 4)) ** [1, 2, 3, 0.5]
    N = (X - X.min(0)) / (X.max(0) - X.min(0))
    C = N.std(0, ddof=1) * (1 - np.corrcoef(N, rowvar=False)).sum(0)
    np.testing.assert_allclose(critic_weights(X), C / C.sum(), rtol=1e-10)


def test_constant_column_gets_zero_not_nan():
    X = np.column_stack([TUS_ADALI_2019, np.full(5, 7.0)])
    with pytest.warns(DataWarning, match=r"\[6\]"):
        w = critic_weights(X)
    assert w[6] == 0 and np.isfinite(w).all()
    np.testing.assert_allclose(w[:6], critic_weights(TUS_ADALI_2019), atol=1e-12)


def test_directions_flip_correlation_signs():
    """A cost column is reflected: sigma unchanged, its correlations change sign."""
    X = TUS_ADALI_2019.astype(float)
    Y = X.copy()
    Y[:, 0] = X[:, 0].max() - X[:, 0]
    np.testing.assert_allclose(critic_weights(X, directions=[-1, 1, 1, 1, 1, 1]), critic_weights(Y))


def test_spearman_and_normalizations():
    X = pd.DataFrame(TUS_ADALI_2019, columns=list("abcdef"))
    for kw in ({"correlation": "spearman"}, {"normalization": "max"}, {"normalization": "sum"}):
        w = critic_weights(X, **kw)
        assert list(w.index) == list("abcdef") and w.sum() == pytest.approx(1)


def test_invalid_input():
    X = pd.DataFrame({"a": [1.0, np.inf, 3], "b": [1.0, 2, np.nan]})
    with pytest.raises(WeightingError, match=r"column 'a'.*row 1 = inf") as info:
        critic_weights(X)
    assert "column 'b'" in str(info.value)
    w = critic_weights(pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [1.0, np.nan, 3, 1]}), nan_policy="omit")
    assert w.sum() == pytest.approx(1)
    with pytest.raises(WeightingError, match="2 complete rows"):
        critic_weights([[1.0, 2.0]])
    with pytest.warns(DataWarning), pytest.raises(WeightingError, match="every column is constant"):
        critic_weights(np.ones((4, 2)))


matrices = arrays(
    np.float64,
    st.tuples(st.integers(3, 25), st.integers(2, 6)),
    elements=st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False),
)


@settings(max_examples=60, deadline=None)
@given(matrices, st.data())
def test_properties(X, data):
    """Weights are >= 0 and sum to 1; permuting columns permutes weights; positive
    scaling and shifting of a column change nothing."""
    spread = X.max(0) - X.min(0)
    if (spread < 1e-6 * (np.abs(X).max(0) + 1)).any():
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        try:
            w = critic_weights(X).to_numpy()
        except WeightingError:  # perfectly correlated columns
            return
        assert (w >= 0).all() and w.sum() == pytest.approx(1)
        perm = np.array(data.draw(st.permutations(range(X.shape[1]))))
        np.testing.assert_allclose(critic_weights(X[:, perm]).to_numpy(), w[perm], atol=1e-9)
        Y = X * 3.5 + 10
        np.testing.assert_allclose(critic_weights(Y).to_numpy(), w, atol=1e-9)


def test_diakoulaki_1995_data_cross_check_scikit_criteria():
    """Not a published-figure check: the 8 x 3 matrix of Diakoulaki, Mavrotas &
    Papayannakis (1995), Comput. Oper. Res. 22(7), 763-770, as transcribed in the
    scikit-criteria test suite (tests/preprocessing/test_weighters.py,
    ``test_CRITIC_diakoulaki1995determining``), against the weights scikit-criteria computes
    for it (min-max normalisation, Pearson). The weights printed in the 1995 paper were not
    available to check."""
    X = np.array(
        [
            [61, 1.08, 4.33],
            [20.7, 0.26, 4.34],
            [16.3, 1.98, 2.53],
            [9.0, 3.29, 1.65],
            [5.4, 2.77, 2.33],
            [4.0, 4.12, 1.21],
            [-6.1, 3.52, 2.10],
            [-34.6, 3.31, 0.98],
        ]
    )
    np.testing.assert_allclose(critic_weights(X), [0.20222554, 0.48090173, 0.31687273], atol=5e-9)


def test_perfect_correlation_detected_after_affine_rescaling():
    """Regression: two columns with r = 1 (up to rounding) raise for X and for 3.5 X + 10
    alike; before, X gave weights from rounding noise and 3.5 X + 10 raised."""
    X = np.zeros((7, 2))
    X[3] = [323.0, 1.0]
    for Z in (X, X * 3.5 + 10):
        with pytest.raises(WeightingError, match="perfectly correlated"):
            critic_weights(Z)


def test_cost_direction_cross_check_jmcdm():
    """Not a published-figure check: the 3 x 4 example of the ``critic`` docstring of the Julia
    package JMcDM (src/critic.jl, which cites Akçakanat, Aksoy & Teker (2018), SDÜ Sosyal
    Bilimler Enstitüsü Dergisi 1(32), 1-24, and Diakoulaki et al. 1995), with its third
    criterion a cost (min-max reflected, ``max - x``). JMcDM's weights (sample standard
    deviation, Pearson) are an independent implementation of the cost path; whether this matrix
    and these weights are printed in Akçakanat et al. was not verified."""
    X = np.array(
        [
            [12.9918, 0.7264, -1.1009, 1.598139592],
            [4.1201, 5.8824, 3.4483, 1.021563567],
            [4.1039, 0.0, -0.5076, 0.984469444],
        ]
    )
    w = critic_weights(X, directions=["max", "max", "min", "max"])
    np.testing.assert_allclose(
        w, [0.16883905506169491, 0.41844653698732126, 0.24912338769165807, 0.16359102025932576], atol=1e-12
    )
