"""Config: loading, errors naming file and field, hashing, JSON Schema."""

from __future__ import annotations

import json

import pytest

import riskgrade as rg
from riskgrade.config import DEFAULT_WEIGHTS, config_json_schema


def test_default_config():
    cfg = rg.default_config()
    assert cfg.catalog.name == "sichuan_2012"
    assert cfg.quota.max_share == 0.1 and cfg.quota.by == "unit_id"
    assert sum(DEFAULT_WEIGHTS.values()) == pytest.approx(1.0)
    assert set(DEFAULT_WEIGHTS) == set(cfg.catalog.names)


def test_toml_and_json_give_same_hash(tmp_path):
    cfg = rg.load_config("data/samples/config.toml")
    p = tmp_path / "c.json"
    p.write_text(cfg.to_json())
    again = rg.load_config(p)
    assert again == cfg
    assert rg.config_hash(again) == rg.config_hash(cfg)
    assert len(cfg.hash) == 64


def test_hash_changes_with_any_setting():
    a = rg.default_config()
    b = a.model_copy(update={"quota": rg.QuotaPolicy(max_share=0.05)})
    assert rg.config_hash(a) != rg.config_hash(b)


def test_errors_name_file_and_field(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[quota]\nmax_share = 1.5\n[levels]\nlevel_1 = 0.2\nlevel_2 = 0.5\n')
    with pytest.raises(rg.ConfigError) as info:
        rg.load_config(p)
    msg = str(info.value)
    assert str(p) in msg and "quota.max_share" in msg and "levels" in msg


def test_unknown_field_rejected(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"quota": {"max_shar": 0.1}}))
    with pytest.raises(rg.ConfigError, match=r"quota\.max_shar"):
        rg.load_config(p)


def test_unparseable_and_unknown_format(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("this is = = not toml")
    with pytest.raises(rg.ConfigError, match="cannot parse"):
        rg.load_config(p)
    q = tmp_path / "c.ini"
    q.write_text("")
    with pytest.raises(rg.ConfigError, match="unknown config format"):
        rg.load_config(q)


def test_drop_factors_rules():
    cfg = rg.RiskModelConfig(drop_factors=("service_relevance",))
    assert "service_relevance" not in cfg.active_catalog.names
    with pytest.raises(Exception, match="core factor"):
        rg.RiskModelConfig(drop_factors=("funds_handled",))
    with pytest.raises(Exception, match="unknown factor"):
        rg.RiskModelConfig(drop_factors=("nope",))


def test_custom_catalog_as_data(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text(
        """
name = "procurement red flags"
[catalog]
name = "procurement"
[[catalog.factors]]
name = "submission_days"
label_en = "submission period"
label_zh = "投标期限"
kind = "continuous"
transform = {type = "bands", edges = [41, 254], scores = [1, 0, 1]}
[[catalog.factors]]
name = "single_bid"
label_en = "single bidder"
label_zh = "单一投标"
kind = "ordinal"
minimum = 0
maximum = 1
transform = {type = "linear", low = 0, high = 1}
"""
    )
    cfg = rg.load_config(p)
    assert cfg.catalog.names == ["submission_days", "single_bid"]


def test_json_schema_lists_sections():
    schema = config_json_schema()
    assert {"catalog", "weighting", "levels", "quota"} <= set(schema["properties"])
