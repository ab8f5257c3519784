"""Entropy weights: published worked examples, edge cases and invariants."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from riskgrade.exceptions import DataWarning, WeightingError
from riskgrade.weighting.entropy import entropy_details, entropy_weights

XU_2004 = np.array([[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]])


# --------------------------------------------------------------------------- known answers
def test_kat_xu_2004():
    """Xu, X. (2004). A note on the subjective and objective integrated approach to determine
    attribute weights. EJOR 156(2), 530-532: the 4 x 4 example; entropy weights printed to
    four decimals (0.4630, 0.3992, 0.1378, 0.0000)."""
    w = entropy_weights(XU_2004)
    np.testing.assert_allclose(w, [0.4630, 0.3992, 0.1378, 0.0000], atol=5e-5)


def test_kat_zavadskas_podvezko_2016():
    """Zavadskas, E. K. & Podvezko, V. (2016). Integrated determination of objective criteria
    weights in MCDM. IJITDM 15(2), 267-283: the 4 x 4 example (criteria 1 and 3 are cost
    criteria; entropy is taken on the raw values), weights to four decimals."""
    X = np.array([[3.0, 100, 10, 7], [2.5, 80, 8, 5], [1.8, 50, 20, 11], [2.2, 70, 12, 9]])
    w = entropy_weights(X, directions=[-1, 1, -1, 1])
    np.testing.assert_allclose(w, [0.1146, 0.1981, 0.4185, 0.2689], atol=5e-5)


def test_kat_elsayed_2017():
    """Elsayed, E. A., Dawood, A. S. & Karthikeyan, R. (2017). Evaluating alternatives
    through the application of TOPSIS method with entropy weight. Int. J. Eng. Trends
    Technol. 46(2), 60-66: the 12 x 5 matrix, entropy weights to six decimals (the values
    as transcribed in the pymcdm test suite)."""
    X = np.array(
        [
            [7, 312, 1891, 6613, 163],
            [72, 88, 728, 941804, 1078],
            [10, 252, 2594, 3466, 117471],
            [10, 145, 980, 2371, 86329],
            [65, 54, 350, 501, 29897],
            [29, 48, 380, 912, 34051],
            [7, 476, 3300, 78470, 2212],
            [70, 87, 650, 733, 819000],
            [4, 86, 591, 3015, 103],
            [12, 79, 579, 3240, 96098],
            [21, 45, 261, 1253, 453],
            [1, 72, 530, 4333, 0.1048],
        ]
    )
    w = entropy_weights(X)
    np.testing.assert_allclose(w, [0.104991, 0.069124, 0.071373, 0.449937, 0.304575], atol=5e-7)


def test_kat_xu_2004_dataframe_and_fortran_layouts():
    """The Xu (2004) example through every reading path (C / Fortran arrays, DataFrame,
    nullable integer columns) gives the same printed weights."""
    expected = [0.4630, 0.3992, 0.1378, 0.0000]
    frame = pd.DataFrame(XU_2004, columns=["a", "b", "c", "d"])
    for X in (np.asfortranarray(XU_2004), frame, frame.astype({"a": "Int64", "b": "int64"})):
        np.testing.assert_allclose(entropy_weights(X), expected, atol=5e-5)
    assert list(entropy_weights(frame).index) == ["a", "b", "c", "d"]


def test_matches_pymcdm_without_zeros():
    """Cross-check: pymcdm's entropy weights on strictly positive data."""
    pymcdm = pytest.importorskip("pymcdm")
    X = np.random.default_rng(3).gamma(2.0, size=(500, 6)) + 0.01
    np.testing.assert_allclose(entropy_weights(X), pymcdm.weights.entropy_weights(X), atol=1e-12)


# --------------------------------------------------------------------------- edge cases
def test_zero_counts_are_ordinary_values():
    """0 ln 0 = 0: a count column with zeros is weighted, never a crash or NaN."""
    X = pd.DataFrame({"complaints": [0, 0, 3, 1, 0, 7], "cases": [1, 0, 0, 2, 1, 1]})
    w = entropy_weights(X, rarity_check=None)
    assert np.isfinite(w).all() and abs(w.sum() - 1) < 1e-12 and (w > 0).all()


def test_constant_and_all_zero_columns_get_zero_with_warning():
    X = pd.DataFrame({"a": [1.0, 2, 3, 4], "flat": [5.0] * 4, "zeros": [0] * 4})
    with pytest.warns(DataWarning, match=r"\['flat', 'zeros'\]"):
        w = entropy_weights(X)
    assert w["flat"] == 0 and w["zeros"] == 0 and w["a"] == pytest.approx(1.0)


def test_all_constant_raises():
    with pytest.warns(DataWarning), pytest.raises(WeightingError, match="every column is constant"):
        entropy_weights(np.ones((5, 3)))


def test_invalid_values_named_by_column_and_row():
    X = pd.DataFrame({"a": [1.0, -2, np.nan, np.inf], "b": [1.0, 2, 3, -4], "c": [1.0, 2, 3, 4]})
    with pytest.raises(WeightingError) as info:
        entropy_weights(X)
    msg = str(info.value)
    assert "column 'a'" in msg and "column 'b'" in msg and "column 'c'" not in msg
    assert "row 1 = -2.0" in msg and "row 3 = inf" in msg and "row 2 = nan" in msg
    fc = info.value.failure_cases
    assert set(zip(fc["column"], fc["row"], fc["reason"], strict=True)) == {
        ("a", 1, "negative"), ("a", 2, "NaN"), ("a", 3, "infinite"), ("b", 3, "negative")
    }


def test_invalid_values_collected_over_all_blocks():
    """Failures in different blocks of a large input are all reported."""
    X = np.abs(np.random.default_rng(0).normal(size=(200_000, 3)))
    X[5, 0] = -1
    X[150_000, 2] = np.nan
    with pytest.raises(WeightingError) as info:
        entropy_weights(X)
    assert set(info.value.failure_cases["row"]) == {5, 150_000}


def test_nan_omit_uses_each_columns_rows():
    X = pd.DataFrame({"a": [1.0, np.nan, 3, 4], "b": [1.0, 2, 3, 4]})
    res = entropy_details(X, nan_policy="omit")
    assert res.n_rows.tolist() == [3, 4]
    expected_a = entropy_weights(pd.DataFrame({"a": [1.0, 3, 4], "b": [1.0, 3, 4]}))  # E_a alone
    e_a = 1 - res.divergence["a"]
    e_ref = 1 - entropy_details(pd.DataFrame({"a": [1.0, 3, 4], "b": [1.0, 2, 3]})).divergence["a"]
    assert e_a == pytest.approx(e_ref, abs=1e-12) and expected_a.sum() == pytest.approx(1)


def test_rarity_warning():
    """A column that is zero in 90 % of rows and takes most of the weight is flagged."""
    X = pd.DataFrame({"rare": [0] * 9 + [5], "b": np.arange(1.0, 11)})
    with pytest.warns(DataWarning, match="'rare' is zero in 90%"):
        entropy_weights(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        entropy_weights(X, rarity_check=None)


def test_minmax_normalization_and_directions():
    """Min-max: the entropy of x - min (benefit) or max - x (cost); negative values allowed."""
    X = np.array([[1.0, 5], [2, 3], [4, 1], [8, 2]])
    w = entropy_weights(X, normalization="minmax", directions=["max", "min"])
    shifted = np.column_stack([X[:, 0] - 1, 5 - X[:, 1]])
    np.testing.assert_allclose(w, entropy_weights(shifted), atol=1e-12)
    np.testing.assert_allclose(entropy_weights(X - 10, normalization="minmax"),
                               entropy_weights(X, normalization="minmax"), atol=1e-12)


def test_bad_arguments():
    with pytest.raises(WeightingError, match="normalization"):
        entropy_weights(XU_2004, normalization="zscore")
    with pytest.raises(WeightingError, match="2-D"):
        entropy_weights([1, 2, 3])
    with pytest.raises(WeightingError, match="at least 2 rows"):
        entropy_weights([[1, 2]])
    with pytest.raises(WeightingError, match="not numeric"):
        entropy_weights(pd.DataFrame({"a": ["x", "y"]}))
    with pytest.raises(WeightingError, match="directions"):
        entropy_weights(XU_2004, directions=[1, 2, 1, 1])


def test_threads_give_identical_result():
    X = np.random.default_rng(1).random((100_000, 5))
    assert entropy_weights(X, n_jobs=2).to_numpy().tobytes() == entropy_weights(X).to_numpy().tobytes()


# --------------------------------------------------------------------------- properties
matrices = arrays(
    np.float64,
    st.tuples(st.integers(2, 30), st.integers(1, 6)),
    elements=st.floats(0, 1e6, allow_nan=False, allow_subnormal=False),
)


def _spread(X: np.ndarray) -> bool:
    return bool((X.max(axis=0) > X.min(axis=0)).any())


@settings(max_examples=60, deadline=None)
@given(matrices)
def test_weights_nonnegative_sum_to_one(X):
    if not _spread(X):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        w = entropy_weights(X)
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0, abs=1e-12)
    flat = X.max(axis=0) == X.min(axis=0)
    assert (w[flat] == 0).all()


@settings(max_examples=60, deadline=None)
@given(matrices, st.floats(1e-3, 1e3), st.data())
def test_scale_invariance_and_permutation(X, c, data):
    if not _spread(X):
        return
    j = data.draw(st.integers(0, X.shape[1] - 1))
    perm = np.array(data.draw(st.permutations(range(X.shape[1]))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        w = entropy_weights(X).to_numpy()
        Y = X.copy()
        Y[:, j] *= c
        np.testing.assert_allclose(entropy_weights(Y).to_numpy(), w, atol=1e-9)
        np.testing.assert_allclose(entropy_weights(X[:, perm]).to_numpy(), w[perm], atol=1e-12)


def test_kat_ersoy_2021():
    """Ersoy, Y. (2021). Equipment selection for an e-commerce company using entropy-based
    TOPSIS, EDAS and CODAS methods during the COVID-19. LogForum 17(3), 341-358,
    doi:10.17270/J.LOG.2021.603: the 6 x 6 equipment matrix and its entropy weights, printed
    to three decimals (entropy on the raw values, p_ij = x_ij / sum_i x_ij). Matrix and
    weights as transcribed in the pyrepo-mcda test suite (tests/test_weighting_methods.py,
    ``test_Entropy3``); the table number in the paper was not checked."""
    X = np.array(
        [
            [256, 8, 41, 1.6, 1.77, 7347.16],
            [256, 8, 32, 1.0, 1.8, 6919.99],
            [256, 8, 53, 1.6, 1.9, 8400],
            [256, 8, 41, 1.0, 1.75, 6808.9],
            [512, 8, 35, 1.6, 1.7, 8479.99],
            [256, 4, 35, 1.6, 1.7, 7499.99],
        ]
    )
    w = entropy_weights(X)
    np.testing.assert_allclose(w, [0.405, 0.221, 0.134, 0.199, 0.007, 0.034], atol=5e-4)


def test_kat_lee_chang_2018():
    """Lee, H. C. & Chang, C. T. (2018). Comparative analysis of MCDM methods for ranking
    renewable energy sources in Taiwan. Renew. Sustain. Energy Rev. 92, 883-896,
    doi:10.1016/j.rser.2018.05.007: the 5 x 10 matrix (five energy sources, ten criteria,
    cost and benefit mixed; entropy on the raw values) and its entropy weights, printed to
    three decimals. Matrix and weights as transcribed in the pyrepo-mcda test suite
    (tests/test_weighting_methods.py, ``test_Entropy4``); the table number in the paper was
    not checked."""
    X = np.array(
        [
            [4550, 30, 6.74, 20, 15, 5, 85, 150, 0.87, 4.76],
            [3005, 60.86, 2.4, 35, 27, 4, 26, 200, 0.17, 4.51],
            [2040, 14.85, 1.7, 90, 25, 5, 26, 500, 0.27, 4.19],
            [3370, 99.4, 3.25, 25.3, 54, 3, 45, 222, 0.21, 3.78],
            [3920, 112.6, 4.93, 11.4, 71.7, 2, 50, 100, 0.25, 4.11],
        ]
    )
    w = entropy_weights(X, directions=[-1, -1, -1, 1, 1, 1, -1, -1, 1, 1])
    expected = [0.026, 0.154, 0.089, 0.199, 0.115, 0.040, 0.080, 0.123, 0.172, 0.002]
    np.testing.assert_allclose(w, expected, atol=5e-4)
