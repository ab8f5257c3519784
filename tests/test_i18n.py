"""Chinese throughout: Excel encodings, Chinese headers and values, BOM output, formula cells, labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import riskgrade as rg
from riskgrade.i18n import (
    column_label,
    contains_cjk,
    detect_language,
    factor_label,
    label_columns,
    level_name,
    resolve_language,
    value_label,
)

ZH_HEADERS = {
    "risk_point_id": "风险点编号",
    "unit_id": "单位",
    "unit_name": "单位名称",
    "scope": "风险层级",
    "category": "风险类别",
    "identified_by": "查找方式",
    "headcount": "岗位人数",
    "post_weight": "岗位权重",
    "funds_handled": "处置资金",
    "discretion": "自由裁量权",
    "service_relevance": "服务社会关联度",
    "public_satisfaction": "满意率",
    "complaints": "信访投诉",
    "cases": "发案量",
    "media_exposure": "媒体曝光",
    "consequence": "违规行为后果",
}
ZH_SCOPE = {"post": "岗位", "division": "科室", "unit": "单位"}
ZH_CATEGORY = {
    "duties": "岗位职责",
    "power_exercise": "权力行使",
    "ideology_morality": "思想道德",
    "decision_making": "决策风险",
    "institutions": "制度机制",
    "work_process": "工作流程",
    "work_style": "工作作风",
}
ZH_SOURCE = {"self": "自己查", "leader": "领导点", "masses": "群众评", "experts": "专家审"}


def _canonical(n: int = 120) -> pd.DataFrame:
    inv = rg.datasets.make_inventory(n, n_units=4, seed=5)
    keep = [c for c in ZH_HEADERS if c in inv.columns]
    out = inv[keep].copy()
    out["risk_point_id"] = [f"{i:03d}" for i in range(n)]  # leading zeros must survive
    return out


def _chinese(canon: pd.DataFrame) -> pd.DataFrame:
    zh = canon.copy()
    zh["scope"] = zh["scope"].map(ZH_SCOPE)
    zh["category"] = zh["category"].map(ZH_CATEGORY)
    zh["identified_by"] = ["、".join(ZH_SOURCE[s] for s in str(v).split(";")) for v in zh["identified_by"]]
    return zh.rename(columns=ZH_HEADERS)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_excel_csv_with_chinese_headers_and_values_reads_and_grades(tmp_path, encoding):
    canon = _canonical()
    path = tmp_path / f"清单_{encoding}.csv"
    _chinese(canon).to_csv(path, index=False, encoding=encoding)
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")  # really not UTF-8
    inv = rg.read_inventory(path)  # no options
    assert inv.attrs["encoding"] == encoding
    assert set(ZH_HEADERS) <= set(inv.columns)
    assert inv["risk_point_id"].tolist()[:3] == ["000", "001", "002"]
    assert inv["scope"].tolist() == canon["scope"].tolist()
    assert inv["category"].tolist() == canon["category"].tolist()
    assert inv["identified_by"].tolist() == canon["identified_by"].tolist()
    rg.validate_inventory(inv, rg.default_config())
    model = rg.RiskModel()
    from_file = model.grade(inv).frame
    direct = model.grade(canon).frame
    np.testing.assert_array_equal(from_file["score"].to_numpy(), direct["score"].to_numpy())
    np.testing.assert_array_equal(from_file["level"].to_numpy(), direct["level"].to_numpy())
    assert detect_language(inv) == "zh"


def test_csv_output_has_a_bom_and_neutralises_formulas(tmp_path):
    canon = _canonical(30)
    canon["description"] = "正常描述"
    risky = ['=HYPERLINK("http://x")', "+86 123", "-1+2", "@SUM(A1)", "\tcmd", "普通文字", "a=b"]
    canon.loc[: len(risky) - 1, "description"] = risky
    result = rg.RiskModel().grade(canon)
    out = rg.write_result(result, tmp_path / "结果.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(out, encoding="utf-8-sig", dtype={"description": str, "risk_point_id": str})
    got = back["description"].tolist()[: len(risky)]
    assert got[:5] == ["'" + v for v in risky[:5]]
    assert got[5:] == ["普通文字", "a=b"]  # only a leading formula character is neutralised
    # numbers are numbers, not text: a negative value is not touched
    assert back["score"].dtype.kind == "f"
    assert "正常描述" in back["description"].tolist()


def test_level_names():
    assert [level_name(k, "zh") for k in (1, 2, 3)] == ["一级", "二级", "三级"]
    assert [level_name(k, "en") for k in (1, 2, 3)] == ["level 1", "level 2", "level 3"]
    with pytest.raises(ValueError, match="level must be 1, 2 or 3"):
        level_name(4)
    with pytest.raises(ValueError, match="lang must be"):
        level_name(1, "fr")


def test_factor_labels_in_both_languages():
    cat = rg.catalogs.sichuan_2012()
    for f in cat.factors:
        assert contains_cjk(factor_label(f.name, "zh"))
        assert not contains_cjk(factor_label(f.name, "en"))
        assert all(contains_cjk(a.zh) and a.en.strip() for a in f.anchors)
    assert factor_label("unknown", "zh") == "unknown"
    assert column_label("contrib_cases", "zh") == "贡献：发案量"


def test_label_columns_and_values():
    df = pd.DataFrame(
        {"scope": ["post"], "category": ["work_style"], "level": [1], "identified_by": ["self;experts"]}
    )
    zh = label_columns(df, "zh")
    assert list(zh.columns) == ["风险层级", "风险类别", "等级", "查找方式"]
    assert zh.iloc[0].tolist() == ["岗位", "作风状况", "一级", "自己找、专家议"]  # section 5 words
    assert value_label("action", "quota_demotion", "en") == "quota demotion"
    assert value_label("scope", None, "zh") == ""


def test_language_detection():
    assert detect_language(pd.DataFrame({"unit_name": ["Tax office"] * 9 + ["税务局"]})) == "en"
    assert detect_language(pd.DataFrame({"unit_name": ["Tax office"] * 7 + ["税务局"] * 3})) == "zh"
    assert detect_language(pd.DataFrame({"单位": ["U1"]})) == "zh"
    assert detect_language(pd.DataFrame({"x": [1]})) == "en"
    assert resolve_language("en", pd.DataFrame({"unit_name": ["税务局"]})) == "en"
    assert resolve_language(None, pd.DataFrame({"unit_name": ["税务局"]})) == "zh"


def test_owner_columns_are_labelled_by_role():
    assert column_label("owner_principal", "zh") == "责任人（主要领导，负总责）"
    assert column_label("owner_in_charge", "en") == "owner (in charge)"
    assert column_label("owner_custom", "zh") == "责任人（custom）"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=10), min_size=1, max_size=20))
def test_text_without_chinese_is_never_detected_as_chinese(values):
    assert detect_language(pd.DataFrame({"unit_name": values, "description": values})) == "en"


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=6),
        min_size=1,
        max_size=20,
    )
)
def test_chinese_names_are_detected(values):
    assert detect_language(pd.DataFrame({"unit_name": values})) == "zh"
