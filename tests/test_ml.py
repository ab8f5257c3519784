"""MLScorer: known truth, leakage-free calibration, reason codes, persistence, sklearn checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

import riskgrade as rg
from riskgrade.calibration import log_loss
from riskgrade.ml import MLScorer, MonotoneLogisticRegression

COLS = rg.catalogs.sichuan_2012().columns


@pytest.fixture(scope="module")
def data():
    train = rg.datasets.make_inventory(12_000, seed=21)
    test = rg.datasets.make_inventory(12_000, seed=22)
    return train, test


@parametrize_with_checks(
    [MLScorer("logistic"), MLScorer("hgb", max_iter=5, cv=2), MonotoneLogisticRegression(monotonic_cst=None)]
)
def test_sklearn_checks(estimator, check):
    check(estimator)


def _rmse(p, q):
    return float(np.sqrt(np.mean((np.asarray(p) - np.asarray(q)) ** 2)))


def test_logistic_close_to_true_probability(data):
    """Simulated inventory (3 % events, known true_p): the logistic scorer's probabilities on
    fresh data are within RMSE 0.010 of the truth (base rate 0.03)."""
    train, test = data
    m = MLScorer("logistic").fit(train[COLS], train["violation"])
    p = m.predict_proba(test[COLS])[:, 1]
    assert _rmse(p, test["true_p"]) < 0.010
    assert abs(p.mean() - test["violation"].mean()) < 0.01
    # monotone: every catalog factor coefficient is non-negative
    assert (m.estimator_.coef_[m.monotonic_cst_ == 1] >= 0).all()


def test_hgb_monotone_and_calibrated(data):
    train, test = data
    m = MLScorer("hgb", max_iter=60, cv=3).fit(train[COLS], train["violation"])
    assert m.estimator_.monotonic_cst == [1] * 9
    p = m.predict_proba(test[COLS])[:, 1]
    assert _rmse(p, test["true_p"]) < 0.02
    # raising a factor never lowers the probability
    up = test[COLS].head(300).copy()
    up["discretion"] = np.minimum(up["discretion"] + 1, 5)
    assert (m.predict_proba(up)[:, 1] >= m.predict_proba(test[COLS].head(300))[:, 1] - 1e-12).all()


def test_class_weight_does_not_wreck_calibration(data):
    """A class-weighted base model inflates probabilities (ECE ~0.3); the cross-fitted map
    with an intercept takes the shift out."""
    train, test = data
    base = LogisticRegression(class_weight="balanced", max_iter=1000)
    raw = MLScorer(base, calibration=None).fit(train[COLS].fillna(0), train["violation"])
    cal = MLScorer(base, calibration="sigmoid").fit(train[COLS].fillna(0), train["violation"])
    p_raw = raw.predict_proba(test[COLS].fillna(0))[:, 1]
    p_cal = cal.predict_proba(test[COLS].fillna(0))[:, 1]
    assert p_raw.mean() > 0.2
    assert abs(p_cal.mean() - test["violation"].mean()) < 0.01
    assert _rmse(p_cal, test["true_p"]) < 0.02


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_small_calibration_set_never_worse_in_log_loss(data, seed):
    """500 rows (~15 events): the auto choice (sigmoid) must not make the held-out log loss
    worse than the uncalibrated model by more than noise, unlike isotonic."""
    _, test = data
    small = rg.datasets.make_inventory(500, seed=100 + seed)
    raw = MLScorer("logistic", calibration=None).fit(small[COLS], small["violation"])
    auto = MLScorer("logistic").fit(small[COLS], small["violation"])
    assert auto.calibration_ == "sigmoid"
    ll_raw = log_loss(test["violation"], raw.predict_proba(test[COLS])[:, 1])
    ll_auto = log_loss(test["violation"], auto.predict_proba(test[COLS])[:, 1])
    assert ll_auto <= ll_raw + 0.002


def test_venn_abers_intervals(data):
    train, test = data
    m = MLScorer(calibration="venn_abers").fit(train[COLS], train["violation"])
    iv = m.predict_interval(test[COLS].head(500))
    p = m.predict_proba(test[COLS].head(500))[:, 1]
    assert np.all((iv[:, 0] <= p + 1e-12) & (p <= iv[:, 1] + 1e-12))
    assert np.median(iv[:, 1] - iv[:, 0]) < 0.05
    with pytest.raises(ValueError, match="venn_abers"):
        MLScorer(calibration="beta").fit(train[COLS], train["violation"]).predict_interval(test[COLS])


def test_reason_codes_in_factor_terms(data):
    train, test = data
    m = MLScorer("logistic").fit(train[COLS], train["violation"])
    X = test[COLS].head(20).reset_index(drop=True)
    rc = m.reason_codes(X, top=3)
    assert rc.groupby("row")["rank"].max().max() <= 3 and (rc["effect_logit"] > 0).all()
    r = rc.iloc[0]
    f = rg.catalogs.sichuan_2012()[r["feature"]]
    assert r["raw_value"] == pytest.approx(float(X.loc[r["row"], f.source_column]))
    assert f.label_zh in r["label"] and r["unit"].startswith(f.unit or "count")
    # logistic: exact contributions, they sum to the log-odds difference to the reference row
    Z = m._design(X, reset=False)
    eff = m._effects(Z)
    lo = m.estimator_.decision_function(Z)
    ref = m.estimator_.intercept_ + m.reference_ @ m.estimator_.coef_
    np.testing.assert_allclose(eff.sum(axis=1), lo - ref, atol=1e-10)


def test_extra_columns_and_errors(data):
    train, _ = data
    X = train[COLS].assign(extra=np.arange(len(train)) % 7)
    m = MLScorer().fit(X, train["violation"])
    assert m.feature_names_out_[-1] == "extra" and m.monotonic_cst_[-1] == 0
    with pytest.raises(ValueError, match="non-numeric column"):
        MLScorer().fit(train[[*COLS, "unit_id"]], train["violation"])
    with pytest.raises(ValueError, match="headcount"):
        MLScorer().fit(train[["complaints", "post_weight"]], train["violation"])
    with pytest.raises(ValueError, match="calibration must be one of"):
        MLScorer(calibration="temperature").fit(train[COLS], train["violation"])


def test_skops_round_trip_and_untrusted_refused(tmp_path, data):
    pytest.importorskip("skops")
    from riskgrade.exceptions import ConfigError
    from riskgrade.persistence import load_scorer, save_scorer

    train, test = data
    for m in (MLScorer("logistic"), MLScorer("hgb", max_iter=10, cv=2, calibration="isotonic")):
        m.fit(train[COLS].head(3000), train["violation"].head(3000))
        path = save_scorer(m, tmp_path / "m.skops")
        back = load_scorer(path)
        np.testing.assert_array_equal(back.predict_proba(test[COLS]), m.predict_proba(test[COLS]))
    foreign = MLScorer(LogisticRegression(), calibration=None).fit(
        train[COLS].fillna(0).head(2000), train["violation"].head(2000)
    )
    foreign.estimator_.spy = pd.Timestamp("2024-01-01")  # a type nobody trusted
    save_scorer(foreign, tmp_path / "f.skops")
    with pytest.raises(ConfigError, match="untrusted type"):
        load_scorer(tmp_path / "f.skops")
