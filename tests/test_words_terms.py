"""The source document's own words map to the canonical values (items 4 of the inventory issue).

Source: 四川省纪委、监察厅《关于加强廉政风险防控机制建设的实施意见》(川纪发〔2012〕16号),
section 5 (scope, categories, sources, 表现形式 and 形成原因) and section 6 (一级、二级、三级).
The terms below are copied from that text, not from the alias table under test.
"""

from __future__ import annotations

import pandas as pd
import pytest

import riskgrade as rg
from riskgrade.schema import canonical_columns
from riskgrade.words import DOCUMENT_TERMS, map_sources, map_value, split_header

# Section 5, word for word: "重点查找岗位、处(科、股)室、单位三种风险。岗位主要查找职能职责、
# 权力行使和思想道德风险;单位和处(科、股)室主要查找决策议事、制度机制、工作流程和作风状况
# (即外部环境)风险。... 查找方式包括自己找、领导点、群众评、专家议等。对查找出的风险,
# 要认真分析表现形式和形成原因。"
SCOPES = {"岗位": "post", "处(科、股)室": "division", "处（科、股）室": "division", "处室": "division",
          "科室": "division", "股室": "division", "单位": "unit"}
CATEGORIES = {"职能职责": "duties", "权力行使": "power_exercise", "思想道德": "ideology_morality",
              "决策议事": "decision_making", "制度机制": "institutions", "工作流程": "work_process",
              "作风状况": "work_style", "外部环境": "work_style"}
SOURCES = {"自己找": "self", "领导点": "leader", "群众评": "masses", "专家议": "experts"}
HEADERS = {"处（科、股）室": "division_id", "处(科、股)室": "division_id", "处室": "division_id",
           "股室": "division_id", "形成原因": "cause", "表现形式": "manifestation",
           "职权名称": "power_item_id", "风险等级": "level"}


@pytest.mark.parametrize(("term", "code"), SCOPES.items())
def test_scope_terms(term, code):
    inv = rg.read_inventory(pd.DataFrame({"风险层级": [term]}))
    assert inv["scope"].tolist() == [code]


@pytest.mark.parametrize(("term", "code"), CATEGORIES.items())
def test_category_terms(term, code):
    assert map_value(term, rg.schema.VALUE_ALIASES["category"]) == code


@pytest.mark.parametrize(("term", "code"), SOURCES.items())
def test_source_terms(term, code):
    assert map_sources(term) == code


@pytest.mark.parametrize("sep", ["、", "，", ",", ";", "；", "/", " "])
def test_several_sources_in_one_cell(sep):
    assert map_sources(sep.join(["自己找", "领导点", "群众评", "专家议"])) == "self;leader;masses;experts"


@pytest.mark.parametrize(("header", "canon"), HEADERS.items())
def test_document_headers(header, canon):
    assert canonical_columns([header]) == [canon]


def test_every_listed_document_term_maps():
    """The table of document terms shipped with riskgrade maps entirely, and holds section 5's words."""
    for col in ("scope", "category", "identified_by"):
        for term, code in DOCUMENT_TERMS[col].items():
            table = rg.schema.VALUE_ALIASES[col]
            got = map_sources(term) if col == "identified_by" else map_value(term, table)
            assert got == code, (col, term)
    for header, canon in DOCUMENT_TERMS["headers"].items():
        assert canonical_columns([header]) == [canon], header
    assert set(CATEGORIES) <= set(DOCUMENT_TERMS["category"])
    assert set(SOURCES) <= set(DOCUMENT_TERMS["identified_by"])


def test_levels_and_flags_in_words():
    inv = rg.read_inventory(
        pd.DataFrame({"风险等级": ["一级", "二级", "三级"], "是否发案": ["是", "否", "√"]})
    )
    assert inv["level"].tolist() == [1, 2, 3]
    assert inv["violation"].tolist() == [1, 0, 1]


def test_document_words_validate_with_their_scope(small_inventory):
    inv = small_inventory.copy()
    inv["scope"] = ["岗位", "处（科、股）室", "股室", "单位"]
    inv["category"] = ["职能职责", "决策议事", "作风状况", "工作流程"]
    inv["identified_by"] = ["自己找、专家议", "领导点", "群众评", "专家议"]
    rg.validate_inventory(rg.read_inventory(inv))


def test_config_value_aliases(small_inventory):
    cfg = rg.RiskModelConfig(values={"category": {"廉洁自律": "ideology_morality"}})
    inv = small_inventory.assign(scope="post", category="廉洁自律")
    assert rg.read_inventory(inv, cfg)["category"].eq("ideology_morality").all()
    # without the alias the word is unknown
    with pytest.raises(rg.InventoryValidationError) as e:
        rg.validate_inventory(rg.read_inventory(inv))
    assert "unknown_category" in e.value.reasons


def test_value_aliases_left_out_of_the_config_hash_when_empty():
    assert "values" not in rg.default_config().model_dump(mode="json")
    assert "values" in rg.config.config_json_schema()["properties"]


@pytest.mark.parametrize(("header", "name", "unit"), [
    ("处置资金（万元）", "处置资金", "万元"), ("处置资金(万元)", "处置资金", "万元"),
    ("处置资金[亿元]", "处置资金", "亿元"), ("处置资金 单位：万元", "处置资金", "万元"),
    ("满意率（%）", "满意率", "%"), ("人数（人）", "人数", "人"), ("处（科、股）室", "处（科、股）室", None),
])
def test_split_header(header, name, unit):
    assert split_header(header) == (name, unit)


def test_config_value_aliases_through_the_cli(tmp_path, small_inventory):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[values.category]\n"廉洁自律" = "ideology_morality"\n', encoding="utf-8")
    src = tmp_path / "inv.csv"
    small_inventory.assign(scope="post", category="廉洁自律").to_csv(src, index=False)
    from riskgrade.cli import main

    assert main(["score", str(src), "-o", str(tmp_path / "g.csv"), "-c", str(cfg), "-q"]) == 0
    assert main(["score", str(src), "-o", str(tmp_path / "g.csv"), "-q"]) == 3


def test_result_headers_read_back_only_from_their_exact_aliases():
    """A graded file's Chinese result headers read back; an input's own "Score" column stays as written."""
    assert canonical_columns(["风险指数", "风险等级", "单位内排名", "因限额降级", "理由"]) == [
        "score", "level", "rank_in_unit", "quota_demoted", "reason"]
    assert canonical_columns(["Score", "Level"]) == ["Score", "Level"]


def test_unit_name_stands_in_for_a_missing_unit_code():
    """A form with 单位名称 and no unit code column: the name identifies the unit (the quota's unit)."""
    got = canonical_columns(["风险点编号", "单位名称", "岗位权重"])
    assert got == ["risk_point_id", "unit_id", "post_weight"]
    # with a unit code column the name stays a name
    got = canonical_columns(["风险点编号", "单位编号", "单位名称"])
    assert got == ["risk_point_id", "unit_id", "unit_name"]


def test_units_named_not_coded_get_their_own_quota(tmp_path):
    inv = rg.datasets.load_sample()
    coded = rg.RiskModel().fit(inv).grade(inv).frame.set_index("risk_point_id")["level"].sort_index()
    named = inv.drop(columns=["unit_name"], errors="ignore").rename(columns={"unit_id": "单位名称"})
    path = tmp_path / "named.csv"
    named.to_csv(path, index=False)
    got = rg.read_inventory(path)
    levels = rg.RiskModel().fit(got).grade(got).frame.set_index("risk_point_id")["level"].sort_index()
    assert levels.tolist() == coded.tolist()
