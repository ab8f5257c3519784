"""Validation: every reason code, triggered by a bad inventory, checked by type, code and message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import riskgrade as rg
from riskgrade.schema import REASONS, canonical_columns, find_failures


def _fail(frame, config=None):
    with pytest.raises(rg.InventoryValidationError) as info:
        rg.validate_inventory(frame, config)
    return info.value


def _one(err, reason):
    fc = err.failure_cases
    sub = fc[fc["reason"] == reason]
    assert len(sub) >= 1, f"{reason} not in {sorted(err.reasons)}"
    return sub


def test_valid_inventory_passes(small_inventory):
    rg.validate_inventory(small_inventory)
    assert find_failures(small_inventory).empty


def test_empty():
    err = _fail(pd.DataFrame({"risk_point_id": [], "unit_id": []}))
    assert err.reasons == {"empty"}
    assert "no rows" in _one(err, "empty")["message"].iloc[0]


def test_duplicate_column(small_inventory):
    bad = pd.concat([small_inventory, small_inventory[["discretion"]]], axis=1)
    sub = _one(_fail(bad), "duplicate_column")
    assert sub["column"].iloc[0] == "discretion" and "occurs 2 times" in sub["message"].iloc[0]


def test_missing_column(small_inventory):
    sub = _one(_fail(small_inventory.drop(columns=["cases", "headcount"])), "missing_column")
    assert set(sub["column"]) == {"cases", "headcount"}
    assert sub["row"].isna().all()


def test_missing_id_and_duplicate_id(small_inventory):
    bad = small_inventory.copy()
    bad.loc[1, "risk_point_id"] = "a"
    bad.loc[2, "unit_id"] = None
    err = _fail(bad)
    dup = _one(err, "duplicate_id")
    assert dup["row"].tolist() == [0, 1]
    assert "first at row 0" in dup["message"].iloc[1]
    mid = _one(err, "missing_id")
    assert mid["row"].tolist() == [2] and mid["column"].iloc[0] == "unit_id"


def test_wrong_type_names_row_column_value(small_inventory):
    bad = small_inventory.astype({"discretion": object})
    bad.loc[2, "discretion"] = "high"
    sub = _one(_fail(bad), "wrong_type")
    rec = sub.iloc[0]
    assert (rec["row"], rec["risk_point_id"], rec["column"], rec["value"]) == (2, "c", "discretion", "high")
    assert "must be a number" in rec["message"]


def test_non_finite(small_inventory):
    bad = small_inventory.copy()
    bad.loc[0, "funds_handled"] = np.inf
    assert "must be finite" in _one(_fail(bad), "non_finite")["message"].iloc[0]


def test_missing_value_with_reject_policy(small_inventory):
    bad = small_inventory.copy()
    bad.loc[3, "post_weight"] = np.nan
    sub = _one(_fail(bad), "missing_value")
    assert sub["row"].tolist() == [3] and "'reject'" in sub["message"].iloc[0]


def test_missing_value_with_exclude_policy_is_fine(small_inventory):
    # service_relevance and public_satisfaction are 'exclude' in the default catalog (row 3 has NaN)
    assert find_failures(small_inventory).empty


def test_out_of_scale_ordinal(small_inventory):
    bad = small_inventory.copy()
    bad["post_weight"] = bad["post_weight"].astype(float)
    bad.loc[0, "post_weight"] = 6
    bad.loc[1, "post_weight"] = 2.5
    bad.loc[2, "consequence"] = 0
    sub = _one(_fail(bad), "out_of_scale")
    assert sorted(zip(sub["row"], sub["column"], strict=True)) == [
        (0, "post_weight"), (1, "post_weight"), (2, "consequence")
    ]
    assert "whole number from 1 to 5" in sub[sub["column"] == "post_weight"]["message"].iloc[0]


def test_out_of_range_share(small_inventory):
    bad = small_inventory.copy()
    bad.loc[0, "public_satisfaction"] = 1.2
    sub = _one(_fail(bad), "out_of_range")
    assert sub["column"].iloc[0] == "public_satisfaction" and "[0, 1]" in sub["message"].iloc[0]


def test_negative_money_and_count(small_inventory):
    bad = small_inventory.copy()
    bad.loc[0, "funds_handled"] = -5.0
    bad.loc[1, "complaints"] = -1
    sub = _one(_fail(bad), "negative")
    assert set(sub["column"]) == {"funds_handled", "complaints"}
    assert "must not be negative" in sub["message"].iloc[0]


def test_invalid_denominator(small_inventory):
    bad = small_inventory.copy()
    bad.loc[0, "headcount"] = 0
    bad.loc[1, "headcount"] = None
    sub = _one(_fail(bad), "invalid_denominator")
    assert sub["row"].tolist() == [0, 1] and "positive number" in sub["message"].iloc[0]


def test_scope_and_category(small_inventory):
    bad = small_inventory.copy()
    bad.loc[0, "scope"] = "team"
    bad.loc[1, "category"] = "gossip"
    bad.loc[2, "category"] = "duties"  # a post category on a division
    err = _fail(bad)
    assert "scope must be one of" in _one(err, "unknown_scope")["message"].iloc[0]
    assert "category must be one of" in _one(err, "unknown_category")["message"].iloc[0]
    mm = _one(err, "category_scope_mismatch")
    assert mm["row"].tolist() == [2] and "does not belong to scope 'division'" in mm["message"].iloc[0]


def test_unknown_source(small_inventory):
    bad = small_inventory.assign(identified_by=["self;leader", "masses", "oracle", None])
    sub = _one(_fail(bad), "unknown_source")
    assert sub["row"].tolist() == [2]


def test_invalid_outcome(small_inventory):
    bad = small_inventory.assign(violation=[0, 1, 2, None])
    sub = _one(_fail(bad), "invalid_outcome")
    assert sub["row"].tolist() == [2]


def test_failures_are_collected_not_stopped(small_inventory):
    bad = small_inventory.copy()
    bad.loc[0, "funds_handled"] = -5.0
    bad.loc[1, "scope"] = "team"
    bad.loc[2, "post_weight"] = 9
    err = _fail(bad)
    assert {"negative", "unknown_scope", "out_of_scale"} <= err.reasons
    assert err.n_rows == 4
    assert "3 failure(s) in 3 row(s) of 4" in str(err)
    assert list(err.failure_cases.columns) == [
        "row", "risk_point_id", "column", "value", "reason", "message", "source_row", "header", "message_zh"
    ]


def test_every_reason_code_is_documented_and_reachable():
    import riskgrade.schema as schema

    for code in REASONS:
        assert f"``{code}``" in schema.__doc__
        src = Path(schema.__file__).read_text(encoding="utf-8")
        assert f'"{code}"' in src.split("REASONS = (")[1]


def test_chinese_aliases_and_values():
    cols = canonical_columns(["风险点编号", "单位", "岗位权重", "处置资金", "自由裁量权", "信访投诉",
                              "发案量", "媒体曝光", "违规行为后果", "Risk Point ID", "extra col"])
    assert cols == ["risk_point_id", "unit_id", "post_weight", "funds_handled", "discretion",
                    "complaints", "cases", "media_exposure", "consequence", "risk_point_id", "extra col"]
    inv = rg.read_inventory(pd.DataFrame({"范围": ["岗位", "科室"], "类别": ["岗位职责", "工作流程"],
                                          "查找方式": ["自己查、领导点", "群众评"]}))
    assert inv["scope"].tolist() == ["post", "division"]
    assert inv["category"].tolist() == ["duties", "work_process"]
    assert inv["identified_by"].tolist() == ["self;leader", "masses"]


def test_config_column_mapping(small_inventory):
    cfg = rg.RiskModelConfig(columns={"weight_of_post": "post_weight"})
    inv = rg.read_inventory(small_inventory.rename(columns={"post_weight": "weight_of_post"}), cfg)
    assert "post_weight" in inv.columns
