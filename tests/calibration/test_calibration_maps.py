"""ScoreCalibrator and the calibration maps: monotonicity, ties, Venn-Abers exactness, checks."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.isotonic import IsotonicRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

import riskgrade as rg
from riskgrade.calibration import CalibrationTieWarning, ScoreCalibrator, venn_abers_pair
from riskgrade.calibration.maps import BetaMap, SigmoidMap

# ScoreCalibrator declares its one-column input with the ``one_d_array`` input tag, so
# scikit-learn's checks pass it ``X[:, 0]``. The checks below then fail inside the check
# code itself (scikit-learn 1.9): they index the 1-d array they built as 2-d, or read
# ``X.shape[1]`` of it, or cannot build a 1-d sparse input.
_CHECK_INDEXES_1D_AS_2D = (
    "the check converts X to the 1-d array the one_d_array tag declares, then indexes it as 2-d "
    "(IndexError raised in scikit-learn's check code, not in ScoreCalibrator)"
)
_INDEXES_2D = [
    "check_dont_overwrite_parameters", "check_n_features_in_after_fitting", "check_dtype_object",
    "check_f_contiguous_array_estimator", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_fit2d_1sample", "check_fit2d_1feature",
    "check_dict_unchanged", "check_n_features_in", "check_fit2d_predict1d",
]


def _expected_failures(est):
    out = dict.fromkeys(_INDEXES_2D, _CHECK_INDEXES_1D_AS_2D)
    out["check_fit1d"] = "a 1-D array of index scores is accepted as the one column by design"
    out["check_estimator_sparse_array"] = (
        "the check cannot convert the 1-d sparse input it builds to lil format "
        "(ValueError in scipy: 'Cannot convert a 1d sparse array to lil format')"
    )
    out["check_classifiers_train"] = (
        "on the first column alone of the check's blobs (the 1-d input), the training accuracy of "
        "a monotone map stays below the 0.83 the check asserts"
    )
    return out


@parametrize_with_checks([ScoreCalibrator()], expected_failed_checks=_expected_failures)
def test_sklearn_checks(estimator, check):
    check(estimator)


def _data(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    s = rng.beta(2, 4, n)
    p = 1 / (1 + np.exp(-(-5 + 5 * s)))
    return s, (rng.random(n) < p).astype(int), p


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["sigmoid", "beta", "auto"]))
def test_default_maps_strictly_increasing(seed, method):
    s, y, _ = _data(400, seed)
    cal = ScoreCalibrator(method).fit(s, y)
    grid = np.sort(np.unique(np.r_[s, np.linspace(0, 1, 501)]))
    p = cal.predict_proba(grid[:, None])[:, 1]
    assert np.all(np.diff(p) > 0), "ranks must never change and no ties may be created"


def test_isotonic_and_venn_abers_warn_about_ties():
    s, y, _ = _data()
    for m in ("isotonic", "venn_abers"):
        with pytest.warns(CalibrationTieWarning, match="same probability"):
            ScoreCalibrator(m).fit(s, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ScoreCalibrator("beta").fit(s, y)


def test_auto_rule():
    s, y, _ = _data(3000)
    assert ScoreCalibrator().fit(s[:300], y[:300]).method_ == "sigmoid"  # < 100 events
    assert ScoreCalibrator().fit(s, y).method_ == "beta"
    assert ScoreCalibrator().fit(s * 10 - 5, y).method_ == "sigmoid"  # scores outside [0, 1]


def test_beta_contains_identity_and_recovers_truth():
    rng = np.random.default_rng(1)
    s = rng.uniform(0.001, 0.3, 200_000)
    y = (rng.random(s.size) < s).astype(int)
    m = BetaMap().fit(s, y)
    assert m.a == pytest.approx(1, abs=0.05)  # the identity a = b = 1, c = 0 is in the family
    grid = np.linspace(0.001, 0.3, 50)
    assert np.max(np.abs(m.predict(grid) - grid)) < 0.01
    sig = SigmoidMap().fit(s, y)
    assert sig.a > 0


def test_calibrated_near_truth_and_json_round_trip():
    s, y, p = _data(20_000, 3)
    cal = ScoreCalibrator("beta").fit(s, y)
    q = cal.predict_proba(s[:, None])[:, 1]
    assert np.sqrt(np.mean((q - p) ** 2)) < 0.01
    again = ScoreCalibrator.from_dict(json.loads(json.dumps(cal.to_dict())))
    np.testing.assert_array_equal(again.predict_proba(s[:, None]), cal.predict_proba(s[:, None]))


def _brute_ivap(cs, cy, s):
    out = []
    for lab in (0, 1):
        out.append([
            IsotonicRegression(out_of_bounds="clip").fit(np.r_[cs, t], np.r_[cy, lab]).predict([t])[0]
            for t in s
        ])
    return np.array(out[0]), np.array(out[1])


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 100_000), st.integers(2, 60), st.sampled_from([1, 2, 4]))
def test_venn_abers_equals_refitting_isotonic(seed, n, decimals):
    """Vovk & Petej (2014): p0/p1 are the isotonic fits after adding (s, 0) / (s, 1);
    the hull-bridge computation must equal refitting per test point, ties included."""
    rng = np.random.default_rng(seed)
    cs = np.round(rng.random(n), decimals)
    cy = (rng.random(n) < cs).astype(int)
    s = np.r_[np.round(rng.random(15), decimals), cs[:4], -1.0, 2.0]
    p0, p1 = venn_abers_pair(cs, cy, s)
    b0, b1 = _brute_ivap(cs, cy, s)
    np.testing.assert_allclose(p0, b0, atol=1e-12)
    np.testing.assert_allclose(p1, b1, atol=1e-12)
    assert np.all(p0 <= p1 + 1e-15)


def test_venn_abers_interval():
    s, y, _ = _data(3000)
    with pytest.warns(CalibrationTieWarning):
        cal = ScoreCalibrator("venn_abers").fit(s, y)
    iv = cal.predict_interval(s[:100, None])
    p = cal.predict_proba(s[:100, None])[:, 1]
    assert np.all((iv[:, 0] <= p) & (p <= iv[:, 1]))
    with pytest.raises(ValueError, match="venn_abers"):
        ScoreCalibrator("beta").fit(s, y).predict_interval(s[:3, None])


def test_bad_input_messages():
    with pytest.raises(ValueError, match="one column"):
        ScoreCalibrator().fit(np.zeros((10, 2)), [0, 1] * 5)
    with pytest.raises(ValueError, match="method must be one of"):
        ScoreCalibrator("temperature").fit([0.1, 0.2], [0, 1])
    with pytest.raises(ValueError, match="beta calibration needs scores in"):
        ScoreCalibrator("beta").fit([-1.0, 0.5, 2.0, 0.1], [0, 1, 1, 0])


def test_lazy_public_names():
    assert rg.ScoreCalibrator is ScoreCalibrator
    from riskgrade.plotting import ReliabilityDisplay
    from riskgrade.plotting.calibration import ReliabilityDisplay as defined

    assert ReliabilityDisplay is defined


def test_reliability_display_plots():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from riskgrade.plotting import ReliabilityDisplay

    _, y, p = _data(3000)
    d = ReliabilityDisplay.from_predictions(y, p, n_bins=8, n_resamples=50).plot()
    assert d.ax_ is not None and len(d.bins) == 8 and {"band_low", "ci_high"} <= set(d.bins.columns)
    import matplotlib.pyplot as plt

    plt.close(d.figure_)
