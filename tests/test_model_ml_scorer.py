"""RiskModel with a supervised, calibrated scorer chosen in the config (``scorer``)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import riskgrade as rg
from riskgrade.cli import main
from riskgrade.config import config_from_dict, config_hash
from riskgrade.exceptions import ConfigError, NotFittedError

pytest.importorskip("skops")


def _config(**scorer):
    return config_from_dict(
        {
            "levels": {"level_1": 0.08, "level_2": 0.03},
            "scorer": {"estimator": "logistic", **scorer},
        }
    )


@pytest.fixture(scope="module")
def history():
    return rg.datasets.make_inventory(6000, seed=11)


@pytest.fixture(scope="module")
def fitted(history):
    return rg.RiskModel(_config()).fit(history)


def test_scorer_is_left_out_of_the_default_config_and_its_hash():
    cfg = rg.default_config()
    assert "scorer" not in cfg.model_dump(mode="json")
    same = config_from_dict(cfg.model_dump(mode="json"))
    assert config_hash(same) == config_hash(cfg)
    assert config_hash(_config()) != config_hash(cfg)


def test_scorer_and_index_calibration_are_exclusive():
    with pytest.raises(ConfigError, match="either 'scorer'"):
        config_from_dict({"scorer": {}, "calibration": {"method": "sigmoid"}})


def test_grading_needs_a_fit_with_outcomes(history):
    model = rg.RiskModel(_config())
    with pytest.raises(NotFittedError, match="outcomes"):
        model.grade(history.head(50))
    with pytest.raises(ConfigError, match="outcome column"):
        rg.RiskModel(_config()).fit(history.drop(columns=["violation"]))


def test_levels_follow_the_calibrated_probability_within_each_unit(fitted, history):
    new = rg.datasets.make_inventory(3000, seed=12)
    res = fitted.grade(new)
    f = res.frame
    assert {"probability", "score", "level"} <= set(f.columns)
    np.testing.assert_array_equal(f["score"].to_numpy(), np.round(f["probability"].to_numpy(), 12))
    # the probability tracks the generator's true probability (documented logistic truth)
    assert np.corrcoef(f["probability"], new["true_p"])[0, 1] > 0.9
    assert abs(f["probability"].mean() - new["true_p"].mean()) < 0.01
    # within a unit, a higher probability never gets a worse (higher-numbered) level
    for _, g in f.groupby("unit_id"):
        g = g.sort_values("score")
        assert (np.diff(g["level"].to_numpy()) <= 0).all()
    # the quota holds on the supervised score too
    us = res.unit_summary()
    n1 = f[f["level"] == 1].groupby("unit_id").size().reindex(us.index, fill_value=0)
    assert (n1 <= us["quota_cap"] if "quota_cap" in us else n1 <= np.floor(0.10 * us["n_points"])).all()


def test_card_round_trip_keeps_every_level(fitted, tmp_path):
    new = rg.datasets.make_inventory(1500, seed=13)
    card = fitted.save(tmp_path / "model.json")
    side = tmp_path / "model.scorer.skops"
    assert side.is_file()
    assert json.loads(card.read_text(encoding="utf-8"))["ml_scorer"]["file"] == side.name
    loaded = rg.RiskModel.load(card)
    a, b = fitted.grade(new).frame, loaded.grade(new).frame
    pd.testing.assert_frame_equal(a, b)


def test_card_refuses_a_tampered_or_missing_scorer_file(fitted, tmp_path):
    card = fitted.save(tmp_path / "m.json")
    side = tmp_path / "m.scorer.skops"
    side.write_bytes(side.read_bytes() + b"\0")
    with pytest.raises(ConfigError, match="SHA-256"):
        rg.RiskModel.load(card)
    side.unlink()
    with pytest.raises(ConfigError, match="missing"):
        rg.RiskModel.load(card)
    with pytest.raises(ConfigError, match="no saved scorer file"):
        rg.RiskModel.from_card(json.loads(card.read_text(encoding="utf-8")))


def test_cli_scores_with_a_saved_supervised_model(fitted, tmp_path):
    card = fitted.save(tmp_path / "model.json")
    inv = rg.datasets.make_inventory(800, seed=14).drop(columns=["violation", "true_p"])
    src = tmp_path / "inv.csv"
    inv.to_csv(src, index=False)
    out = tmp_path / "graded.csv"
    assert main(["score", str(src), "--model", str(card), "-o", str(out), "-q"]) == 0
    graded = pd.read_csv(out, encoding="utf-8-sig")
    assert len(graded) == len(inv)
    assert graded["probability"].between(0, 1).all()


def test_batch_engines_refuse_a_supervised_or_calibrated_config(fitted, tmp_path):
    from riskgrade.engine import grade_file

    src = tmp_path / "inv.csv"
    rg.datasets.make_inventory(300, seed=15).to_csv(src, index=False)
    out = tmp_path / "graded.csv"
    with pytest.raises(ConfigError, match=r"RiskModel\.grade"):
        grade_file(src, out, fitted, engine="local")
    calibrated = rg.RiskModel(config_from_dict({"calibration": {"method": "sigmoid"}}))
    with pytest.raises(ConfigError, match=r"RiskModel\.grade"):
        grade_file(src, out, calibrated, engine="stream")
    assert not out.exists()
