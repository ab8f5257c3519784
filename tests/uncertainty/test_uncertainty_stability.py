"""Tests of the stability report."""

import numpy as np
import pandas as pd

import riskgrade as rg
from riskgrade.uncertainty import bootstrap_weight_intervals, weight_sensitivity


def test_weight_sensitivity_counts_changes():
    inv = rg.datasets.load_sample()
    model = rg.RiskModel().fit(inv)
    rep = weight_sensitivity(model, inv, step=0.5)
    assert len(rep) == 2 * len(model.catalog_.names)
    assert (rep["n_changed"] == rep["n_raised"] + rep["n_lowered"]).all()
    assert rep["n_changed"].sum() > 0
    # a tiny move changes at most as many points as a large one, in total
    small = weight_sensitivity(model, inv, step=0.01)
    assert small["n_changed"].sum() <= rep["n_changed"].sum()


def test_bootstrap_intervals_cover_a_mean_weight():
    """Weights proportional to column means: the percentile interval of a mean of n i.i.d.
    values has half-width about 1.96 sd / sqrt(n) (Efron & Tibshirani 1993)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.exponential(1.0, 4000), "b": rng.exponential(3.0, 4000)})

    def fn(d):
        mu = np.asarray(d).mean(axis=0)
        return mu / mu.sum()

    out = bootstrap_weight_intervals(X, fn, n_boot=400, seed=1)
    assert list(out.index) == ["a", "b"]
    assert (out["lower"] < out["estimate"]).all() and (out["estimate"] < out["upper"]).all()
    # delta method: w_a = m_a / (m_a + m_b), sd from the sample moments
    n = len(X)
    ma, mb = X["a"].mean(), X["b"].mean()
    sa, sb = X["a"].std() / np.sqrt(n), X["b"].std() / np.sqrt(n)
    sd = np.hypot(mb / (ma + mb) ** 2 * sa, ma / (ma + mb) ** 2 * sb)
    width = out.loc["a", "upper"] - out.loc["a", "lower"]
    assert abs(width / (2 * 1.96 * sd) - 1) < 0.25
