"""Calibration metrics with tied predictions: bins that keep ties together, row-order invariance,
and the common conventions for equal-width bins and log-loss clipping."""

from __future__ import annotations

import math
from bisect import bisect_left

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskgrade.calibration import (
    auc,
    brier_decomposition,
    brier_score,
    calibration_intercept_slope,
    calibration_report,
    corp_decomposition,
    ece,
    ece_noise_floor,
    hosmer_lemeshow,
    log_loss,
    precision_lift_at,
    spiegelhalter_z,
    validate_levels,
)
from riskgrade.calibration.metrics import equal_mass_bins
from riskgrade.plotting.calibration import ReliabilityDisplay


@st.composite
def tied_data(draw, max_n: int = 150):
    """Outcomes and predictions with the tie patterns met in practice, and a permutation.

    Predictions on coarse grids (a sigmoid of an integer-scale index), all equal, two values,
    exact 0s and 1s (isotonic maps), or continuous; events rare or common.
    """
    n = draw(st.integers(1, max_n))
    kind = draw(st.sampled_from(["grid", "equal", "two", "zero_one", "continuous"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "grid":
        m = draw(st.sampled_from([4, 10, 20]))
        p = rng.integers(0, m + 1, n) / m
    elif kind == "equal":
        p = np.full(n, draw(st.sampled_from([0.0, 0.05, 0.5, 1.0, 0.3])))
    elif kind == "two":
        a, b = draw(st.sampled_from([(0.1, 0.9), (0.0, 0.5), (0.01, 0.02), (0.7, 1.0)]))
        p = np.where(rng.random(n) < draw(st.sampled_from([0.05, 0.5, 0.95])), a, b)
    elif kind == "zero_one":
        p = rng.choice([0.0, 0.0, 0.02, 0.1, 1.0], n)
    else:
        p = rng.random(n) * draw(st.sampled_from([0.1, 1.0]))
    rate = draw(st.sampled_from([0.02, 0.1, 0.5]))
    y = (rng.random(n) < rate).astype(float)
    perm = np.array(draw(st.permutations(range(n))), dtype=np.int64)
    return y, p, perm


def _same(a, b):
    """Exact equality, NaN equal to NaN (no tolerance)."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    else:
        np.testing.assert_array_equal(a, b)


def _everything(y, p):
    out = {
        "brier": brier_score(y, p),
        "log_loss": log_loss(y, p),
        "murphy": brier_decomposition(y, p, n_bins=10),
        "corp_brier": corp_decomposition(y, p),
        "corp_log": corp_decomposition(y, p, score="log"),
        "intercept_slope": calibration_intercept_slope(y, p),
        "spiegelhalter": spiegelhalter_z(y, p),
        "auc": auc(y, p),
        "lift": precision_lift_at(y, p, 0.1),
        "noise_floor": ece_noise_floor(p, n_bins=5, n_resamples=20, seed=3).samples,
        "report": calibration_report(y, p, n_bins=5, n_resamples=20).frame,
    }
    for strategy in ("quantile", "uniform"):
        e = ece(y, p, n_bins=7, strategy=strategy)
        out[f"ece_{strategy}"] = e.value
        out[f"ece_bins_{strategy}"] = e.bins
    for grouping in ("deciles", "quantile_cut"):
        hl = hosmer_lemeshow(y, p, 10, grouping=grouping)
        out[f"hl_{grouping}"] = {"stat": hl.statistic, "p": hl.p_value, "df": hl.df}
        out[f"hl_table_{grouping}"] = hl.table
    return out


@settings(max_examples=60, deadline=None)
@given(tied_data())
def test_every_metric_is_identical_under_row_permutation(data):
    """Every metric and calibration_report give bit-identical results for any row order."""
    y, p, perm = data
    _same(_everything(y, p), _everything(y[perm], p[perm]))


@settings(max_examples=25, deadline=None)
@given(tied_data(max_n=80))
def test_reliability_display_and_level_validation_ignore_row_order(data):
    y, p, perm = data
    a = ReliabilityDisplay.from_predictions(y, p, n_bins=4, n_resamples=20).bins
    b = ReliabilityDisplay.from_predictions(y[perm], p[perm], n_bins=4, n_resamples=20).bins
    _same(a, b)
    levels = 1 + (p > 0.3) + (p > 0.7)
    va, vb = validate_levels(levels, y), validate_levels(levels[perm], y[perm])
    _same(va.table, vb.table)
    _same({"z": va.trend_z, "p": va.trend_p_value}, {"z": vb.trend_z, "p": vb.trend_p_value})


def test_issue_examples_do_not_depend_on_row_order():
    """Four equal predictions form one bin whatever the order of the outcomes: ECE = |0.5 - 0.5|."""
    assert ece([1, 1, 0, 0], [0.5] * 4, n_bins=2).value == 0.0
    assert ece([1, 0, 1, 0], [0.5] * 4, n_bins=2).value == 0.0
    rng = np.random.default_rng(19)
    p = rng.integers(1, 8, 500) * 0.05
    y = (rng.random(500) < p).astype(float)
    ref = (ece(y, p).value, hosmer_lemeshow(y, p).statistic, brier_decomposition(y, p)["reliability"])
    for _ in range(5):
        o = rng.permutation(500)
        got = (ece(y[o], p[o]).value, hosmer_lemeshow(y[o], p[o]).statistic,
               brier_decomposition(y[o], p[o])["reliability"])
        assert got == ref


def _deciles_by_definition(p: list[float], g: int) -> list[int]:
    """Hosmer & Lemeshow's deciles of risk with tied subjects in one group (2013, ch. 5), written
    from the quantile definition: cut points Q(j/g) = the ceil(j n / g)-th smallest prediction
    (the inverse of the empirical distribution function); group j holds Q(j/g) < p <= Q((j+1)/g)."""
    n = len(p)
    k = min(g, n)
    s = sorted(p)
    cuts = [s[-(-j * n // k) - 1] for j in range(1, k)]
    raw = [bisect_left(cuts, v) for v in p]  # number of cut points strictly below p
    labels = sorted(set(raw))
    return [labels.index(r) for r in raw]


def _hl_by_definition(y: list[float], p: list[float], g: int) -> tuple[float, list[int]]:
    """Pearson's chi-square over the 2 x G table of observed and expected events and non-events
    (Hosmer & Lemeshow 2013, eq. 5.8 and its 2 x g form); 0/0 cells count 0, x/0 cells inf."""
    grp = _deciles_by_definition(p, g)
    G = max(grp) + 1
    terms, sizes = [], []
    for j in range(G):
        rows = [i for i in range(len(p)) if grp[i] == j]
        sizes.append(len(rows))
        o1 = math.fsum(y[i] for i in rows)
        e1 = math.fsum(p[i] for i in rows)
        for o, e in ((o1, e1), (len(rows) - o1, len(rows) - e1)):
            terms.append(0.0 if o == e else math.inf if e == 0 else (o - e) ** 2 / e)
    return math.fsum(terms), sizes


@settings(max_examples=80, deadline=None)
@given(tied_data(max_n=200), st.integers(1, 12))
def test_decile_grouping_matches_the_definition(data, g):
    y, p, _ = data
    grp = _deciles_by_definition(p.tolist(), g)
    assert equal_mass_bins(p, g).tolist() == grp
    stat, sizes = _hl_by_definition(y.tolist(), p.tolist(), g)
    hl = hosmer_lemeshow(y, p, g, development=False)
    assert hl.table["n"].tolist() == sizes and hl.groups == len(sizes)
    if math.isinf(stat):
        assert hl.statistic == math.inf and hl.p_value == 0.0
    else:
        assert hl.statistic == pytest.approx(stat, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(tied_data(max_n=200), st.integers(1, 20))
def test_equal_mass_bins_keep_ties_and_order(data, k):
    """Equal predictions share a bin; bins follow p; at most k bins; without ties the masses
    differ by at most one (the cut of the sorted predictions, unchanged)."""
    _, p, perm = data
    idx = equal_mass_bins(p, k)
    assert equal_mass_bins(p[perm], k).tolist() == idx[perm].tolist()
    for v in np.unique(p):
        assert len(set(idx[p == v].tolist())) == 1
    o = np.argsort(p, kind="stable")
    assert np.all(np.diff(idx[o]) >= 0)
    assert sorted(set(idx.tolist())) == list(range(idx.max() + 1)) and idx.max() + 1 <= k
    if np.unique(p).size == p.size:
        counts = np.bincount(idx)
        assert counts.size == min(k, p.size) and counts.max() - counts.min() <= 1


def test_equal_mass_bins_with_ties_can_be_fewer_and_unequal():
    p = np.r_[np.full(5, 0.1), np.full(95, 0.2)]
    # Q(j/10) = 0.2 for every j: everything lies at or below the first decile, one group
    assert equal_mass_bins(p, 10).tolist() == [0] * 100
    p = np.r_[np.full(90, 0.1), np.full(10, 0.9)]
    assert np.bincount(equal_mass_bins(p, 10)).tolist() == [90, 10]
    assert ece(np.r_[np.zeros(90), np.ones(10)], p, n_bins=10).n_bins == 2
    assert str(ece(np.zeros(4), [0.5] * 4, n_bins=2)) == "ECE = 0.50000 (1 equal-mass bins of 2 requested)"


def test_uniform_ece_right_closed_bins_guo_2017():
    """Guo et al. (2017), sec. 2: bin m holds the confidences in ((m-1)/M, m/M]; with M = 10,
    p = 0.1 (an event) and p = 0.15 (none) fall in different bins:
    ECE = 0.5 |0.1 - 1| + 0.5 |0.15 - 0| = 0.525. scikit-learn's calibration_curve agrees."""
    from sklearn.calibration import calibration_curve

    e = ece([1, 0], [0.1, 0.15], n_bins=10, strategy="uniform")
    assert e.value == pytest.approx(0.525, abs=1e-15)
    prob_true, prob_pred = calibration_curve([1, 0], [0.1, 0.15], n_bins=10, strategy="uniform")
    assert np.sum(0.5 * np.abs(prob_true - prob_pred)) == pytest.approx(0.525, abs=1e-15)
    assert ece([0, 1], [0.0, 1.0], n_bins=10, strategy="uniform").bins["bin"].tolist() == [0, 9]


@settings(max_examples=80, deadline=None)
@given(tied_data(max_n=200), st.sampled_from([3, 5, 10, 15, 20]))
def test_uniform_bins_match_sklearn_calibration_curve(data, m):
    """Per non-empty bin, mean prediction and event rate equal scikit-learn's calibration_curve
    (an independent implementation of the same equal-width, right-closed bins)."""
    from sklearn.calibration import calibration_curve

    y, p, _ = data
    if y.min() == y.max():
        y = y.copy()
        y[0] = 1 - y[0]  # calibration_curve needs both classes
    t = ece(y, p, n_bins=m, strategy="uniform").bins
    prob_true, prob_pred = calibration_curve(y, p, n_bins=m, strategy="uniform")
    np.testing.assert_allclose(t["event_rate"], prob_true, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(t["mean_p"], prob_pred, rtol=1e-12, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(tied_data(max_n=200))
def test_log_loss_clips_like_sklearn(data):
    """Clipping at machine epsilon, as sklearn.metrics.log_loss: a sure miss costs -log(eps)."""
    from sklearn.metrics import log_loss as sk_log_loss

    y, p, _ = data
    assert log_loss(y, p) == pytest.approx(sk_log_loss(y, p, labels=[0, 1]), rel=1e-12, abs=1e-15)
    assert corp_decomposition(y, p, score="log")["score"] == pytest.approx(log_loss(y, p), rel=1e-12)


def test_log_loss_sure_miss_known_value():
    eps = np.finfo(float).eps
    assert log_loss([1], [0.0]) == pytest.approx(-math.log(eps), rel=1e-15)  # 36.04365338911715
    assert log_loss([0], [1.0]) == pytest.approx(36.04365338911715, rel=1e-14)
    assert log_loss([1], [0.0], eps=1e-15) == pytest.approx(-math.log(1e-15), rel=1e-15)
    with pytest.raises(ValueError, match="eps"):
        log_loss([1], [0.5], eps=0.0)
