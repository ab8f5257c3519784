"""Tests of level_probabilities on a fitted RiskModel."""

import numpy as np
import pytest

import riskgrade as rg
from riskgrade.uncertainty import IntervalBounds, level_probabilities


@pytest.fixture(scope="module")
def fitted():
    inv = rg.datasets.load_sample()
    return rg.RiskModel().fit(inv), inv


def test_columns_sums_and_cap(fitted):
    model, inv = fitted
    out = level_probabilities(model, inv, n_draws=2000, seed=5)
    assert list(out.columns[:5]) == ["risk_point_id", "unit_id", "p_level_1", "p_level_2", "p_level_3"]
    assert len(out) == len(inv)
    P = out[["p_level_1", "p_level_2", "p_level_3"]].to_numpy()
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    cap = model.grade(inv).frame.groupby("unit_id")["quota_cap"].first()
    assert (out.groupby("unit_id")["p_level_1"].sum() <= cap + 1e-9).all()
    assert (out["uncertain"] == (out["max_probability"] < 0.8)).all()
    assert np.array_equal(out["modal_level"], np.argmax(P, axis=1) + 1)


def test_seed_determinism_and_samplers(fitted):
    model, inv = fitted
    a = level_probabilities(model, inv, n_draws=500, seed=9, weights="uniform")
    b = level_probabilities(model, inv, n_draws=500, seed=9, weights="uniform", n_threads=1)
    assert a.equals(b)
    m = len(model.catalog_.names)
    c = level_probabilities(model, inv, n_draws=300, seed=1, weights=IntervalBounds([0.05] * m, [0.3] * m))
    assert c["p_level_1"].between(0, 1).all()


def test_draws_array_and_progress(fitted):
    model, inv = fitted
    seen = []
    w = model.weights_.to_numpy()
    out = level_probabilities(
        model, inv, weights=np.tile(w, (3, 1)), progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (3, 3)
    graded = model.grade(inv).frame
    ok = ~graded["quota_tie"].to_numpy()
    assert np.array_equal(out["modal_level"].to_numpy()[ok], graded["level"].to_numpy()[ok])


def test_bad_arguments(fitted):
    model, inv = fitted
    with pytest.raises(rg.RiskgradeError, match="weights must be"):
        level_probabilities(model, inv, weights="flat")
    with pytest.raises(rg.RiskgradeError, match="uncertain_below"):
        level_probabilities(model, inv, uncertain_below=0)
    with pytest.raises(rg.NotFittedError):
        level_probabilities(rg.RiskModel(), inv)
