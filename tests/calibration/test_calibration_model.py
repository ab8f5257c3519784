"""RiskModel with a score calibrator: probability column, thresholds on it, model card."""

from __future__ import annotations

import numpy as np
import pytest

import riskgrade as rg
from riskgrade.config import CalibrationSpec


@pytest.fixture(scope="module")
def inv():
    return rg.datasets.make_inventory(4000, seed=5)


def _config(**levels):
    base = rg.default_config()
    data = base.model_dump(mode="json")
    data["calibration"] = {"method": "auto"}
    if levels:
        data["levels"] = {**data["levels"], **levels}
    return rg.RiskModelConfig.model_validate(data)


def test_default_config_hash_unchanged_by_the_new_field():
    cfg = rg.default_config()
    assert cfg.calibration is None and "calibration" not in cfg.model_dump(mode="json")
    with_cal = cfg.model_copy(update={"calibration": CalibrationSpec()})
    assert with_cal.hash != cfg.hash


def test_probability_column_and_ranks_unchanged(inv):
    plain = rg.RiskModel().fit(inv).grade(inv).frame
    model = rg.RiskModel(_config()).fit(inv)
    f = model.grade(inv).frame
    assert "probability" in f.columns and model.calibrator_.method_ in ("sigmoid", "beta")
    # strictly monotone map: probability order equals score order, quota ranks unchanged
    o = np.argsort(f["score"].to_numpy(), kind="stable")
    p = f["probability"].to_numpy()[o]
    s = f["score"].to_numpy()[o]
    assert np.all((np.diff(p) > 0) | (np.diff(s) == 0))
    np.testing.assert_array_equal(f["rank_in_unit"], plain["rank_in_unit"])
    np.testing.assert_array_equal(f["level"], plain["level"])
    assert abs(np.nanmean(p) - inv["violation"].mean()) < 0.01


def test_thresholds_on_probability_and_quota_by_score(inv):
    model = rg.RiskModel(_config(level_1=0.08, level_2=0.03, basis="probability")).fit(inv)
    res = model.grade(inv)
    f = res.frame
    prov = np.select([f["probability"] >= 0.08, f["probability"] >= 0.03], [1, 2], 3)
    np.testing.assert_array_equal(f["level_provisional"], prov)
    assert res.unit_summary()["within_cap"].all()


def test_probability_basis_needs_calibration(inv):
    data = rg.default_config().model_dump(mode="json")
    data["levels"] = {**data["levels"], "basis": "probability", "level_1": 0.1, "level_2": 0.05}
    with pytest.raises(rg.NotFittedError, match="probability"):
        rg.RiskModel(rg.RiskModelConfig.model_validate(data)).fit(inv).grade(inv)


def test_missing_outcome_column_is_named(inv):
    with pytest.raises(rg.ConfigError, match="violation"):
        rg.RiskModel(_config()).fit(inv.drop(columns=["violation"]))


def test_model_card_round_trip(tmp_path, inv):
    model = rg.RiskModel(_config()).fit(inv)
    path = model.save(tmp_path / "card.json")
    back = rg.RiskModel.load(path)
    assert back.to_card()["calibrator"] == model.to_card()["calibrator"]
    np.testing.assert_array_equal(back.grade(inv).frame["probability"], model.grade(inv).frame["probability"])
