"""RiskModel end to end: grading, quarantine, determinism, model card."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade as rg
from riskgrade.config import DEFAULT_WEIGHTS


def test_grade_end_to_end(sample_inventory):
    result = rg.RiskModel().fit(sample_inventory).grade(sample_inventory)
    f = result.frame
    assert len(f) == len(sample_inventory)
    assert f["risk_point_id"].tolist() == sample_inventory["risk_point_id"].tolist()  # input order
    for c in ["score", "level", "rank_in_unit", "quota_demoted", "quota_tie", "factor_cases",
              "contrib_cases"]:
        assert c in f.columns
    assert set(f["level"]) <= {1, 2, 3}
    contrib = f[[c for c in f.columns if c.startswith("contrib_")]].sum(axis=1)
    np.testing.assert_allclose(contrib, f["score"], atol=1e-11)
    us = result.unit_summary()
    assert us["within_cap"].all()
    assert (us["level_1"] <= np.floor(us["n_points"] / 10)).all()
    assert result.audit["action"].eq("quota_demotion").sum() == f["quota_demoted"].sum()
    assert "true_p" in f.columns  # unknown columns carried through


def test_score_matches_hand_computation(small_inventory):
    result = rg.RiskModel().grade(small_inventory)
    F = rg.catalogs.sichuan_2012().transform(small_inventory)
    w = pd.Series(DEFAULT_WEIGHTS)
    row0 = float((F.iloc[0] * w).sum())
    assert result.frame["score"].iloc[0] == pytest.approx(row0, abs=1e-12)
    # row 3 misses service_relevance and public_satisfaction: weights renormalise over the rest
    present = F.iloc[3].notna()
    row3 = float((F.iloc[3][present] * w[present]).sum() / w[present].sum())
    assert result.frame["score"].iloc[3] == pytest.approx(row3, abs=1e-12)


def test_invalid_input_raises_with_all_failures(small_inventory):
    bad = small_inventory.copy()
    bad.loc[0, "post_weight"] = 9
    bad.loc[1, "funds_handled"] = -1.0
    with pytest.raises(rg.InventoryValidationError) as info:
        rg.RiskModel().grade(bad)
    assert info.value.reasons == {"out_of_scale", "negative"}


def test_quarantine_sets_rows_aside(sample_inventory):
    bad = sample_inventory.copy()
    bad.loc[3, "post_weight"] = 9
    bad.loc[10, "scope"] = "team"
    bad.loc[10, "discretion"] = 0
    result = rg.RiskModel().grade(bad, on_error="quarantine")
    assert result.counts["graded"] + result.counts["rejected"] == len(bad)
    assert result.rejected["row"].tolist() == [3, 10]
    assert result.rejected["reject_reasons"].tolist() == [
        "post_weight:out_of_scale",
        "discretion:out_of_scale;scope:unknown_scope",
    ]
    assert result.provenance["rows_rejected"] == 2


def test_quarantine_still_raises_on_file_level_failure(sample_inventory):
    with pytest.raises(rg.InventoryValidationError, match="missing_column"):
        rg.RiskModel().grade(sample_inventory.drop(columns=["cases"]), on_error="quarantine")


def test_grading_twice_is_byte_identical(tmp_path, sample_inventory):
    for k in (1, 2):
        rg.write_result(rg.RiskModel().grade(sample_inventory), tmp_path / f"g{k}.csv")
        rg.write_result(rg.RiskModel().grade(sample_inventory), tmp_path / f"g{k}.parquet")
    assert (tmp_path / "g1.csv").read_bytes() == (tmp_path / "g2.csv").read_bytes()
    assert (tmp_path / "g1.csv.meta.json").read_bytes() == (tmp_path / "g2.csv.meta.json").read_bytes()
    assert (tmp_path / "g1.parquet").read_bytes() == (tmp_path / "g2.parquet").read_bytes()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_row_order_changes_no_level(sample_inventory, seed):
    model = rg.RiskModel()
    a = model.grade(sample_inventory).frame.set_index("risk_point_id")
    shuffled = sample_inventory.sample(frac=1.0, random_state=seed % (2**32 - 1))
    b = model.grade(shuffled).frame.set_index("risk_point_id").loc[a.index]
    cols = ["score", "level", "rank_in_unit", "quota_demoted", "quota_tie"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_model_card_round_trip(tmp_path, sample_inventory):
    model = rg.RiskModel(rg.load_config("data/samples/config.toml")).fit(sample_inventory)
    path = model.save(tmp_path / "model.json")
    card = json.loads(path.read_text(encoding="utf-8"))
    assert card["format"] == "riskgrade-model-card"
    assert card["config_sha256"] == rg.config_hash(model.config)
    again = rg.RiskModel.load(path)
    pd.testing.assert_frame_equal(again.grade(sample_inventory).frame, model.grade(sample_inventory).frame)


def test_model_card_tampering_detected(tmp_path):
    path = rg.RiskModel().save(tmp_path / "m.json")
    card = json.loads(path.read_text())
    card["config"]["quota"]["max_share"] = 0.5
    path.write_text(json.dumps(card))
    with pytest.raises(rg.ConfigError, match="does not match"):
        rg.RiskModel.load(path)
    path.write_text("{not json")
    with pytest.raises(rg.ConfigError, match="cannot read model card"):
        rg.RiskModel.load(path)


def test_result_columns_in_input_are_replaced_with_warning(sample_inventory):
    graded = rg.RiskModel().grade(sample_inventory).frame
    with pytest.warns(rg.DataWarning, match="replaced"):
        again = rg.RiskModel().grade(graded)
    assert again.frame["level"].tolist() == graded["level"].tolist()


def test_summary_and_html(sample_inventory):
    result = rg.RiskModel().grade(sample_inventory)
    s = result.summary()
    assert s["n"].sum() == len(sample_inventory)
    assert s.loc[1, "name_zh"] == "一级"
    html = result._repr_html_()
    assert "<table" in html and "GradingResult" in html
    assert "level_1=" in repr(result)


def test_drop_factor_renormalises(sample_inventory):
    cfg = rg.RiskModelConfig(
        drop_factors=("service_relevance",),
        weighting={"method": "fixed", "fixed": {k: v for k, v in DEFAULT_WEIGHTS.items()
                                                 if k != "service_relevance"}},
    )
    result = rg.RiskModel(cfg).grade(sample_inventory)
    assert "factor_service_relevance" not in result.frame.columns
    assert result.weights.sum() == pytest.approx(1.0)
