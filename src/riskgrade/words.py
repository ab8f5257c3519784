"""The words of an inventory: header and value aliases in the source document's own terms.

Section 5 of the source document (川纪发〔2012〕16号) names the scopes, categories and
sources of risk points; section 6 names the levels. Offices write those words into
their registers (登记表) as they stand in the document, so every one of them maps to
the canonical value here, in **one table per column**. A config adds its own aliases
(``columns`` for headers, ``values`` for cells) on top of these.

Headers may carry a unit in brackets (``处置资金（万元）``, ``满意率（%）``, ``人数(人)``,
``处置资金[万元]``, ``处置资金 单位：万元``): :func:`split_header` separates the unit so
that the name maps as usual and :mod:`riskgrade.units` can scale the values.

Examples
--------
>>> split_header("处置资金（万元）")
('处置资金', '万元')
>>> map_value("处（科、股）室", VALUE_ALIASES["scope"])
'division'
>>> map_sources("自己找、专家议")
'self;experts'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

#: Identity and text columns of an inventory (canonical names; read as text).
IDENTITY_COLUMNS = (
    "risk_point_id",
    "unit_id",
    "division_id",
    "post_id",
    "scope",
    "category",
    "power_item_id",
    "flow_step_id",
    "identified_by",
    "description",
    "manifestation",
    "cause",
)
REQUIRED_IDENTITY = ("risk_point_id", "unit_id")
TEXT_COLUMNS = (*IDENTITY_COLUMNS, "unit_name", "division_name", "post_name")

__all__ = [
    "COLUMN_ALIASES",
    "DOCUMENT_TERMS",
    "FLAG_ALIASES",
    "LEVEL_ALIASES",
    "SOURCE_SPLIT",
    "VALUE_ALIASES",
    "map_sources",
    "map_value",
    "normalise_text",
    "split_header",
]

#: Header aliases (Chinese as offices write them, and common variants) -> canonical names.
COLUMN_ALIASES: dict[str, str] = {
    "风险点编号": "risk_point_id",
    "风险点编码": "risk_point_id",
    "风险点id": "risk_point_id",
    "编号": "risk_point_id",
    "单位": "unit_id",
    "单位编号": "unit_id",
    "单位代码": "unit_id",
    "单位名称": "unit_name",
    # the division: the document writes 处（科、股）室
    "处（科、股）室": "division_id",
    "处(科、股)室": "division_id",
    "处（科，股）室": "division_id",
    "处(科,股)室": "division_id",
    "处室": "division_id",
    "科室": "division_id",
    "股室": "division_id",
    "科处室": "division_id",
    "部门": "division_id",
    "内设机构": "division_id",
    "科室编号": "division_id",
    "处室编号": "division_id",
    "科室名称": "division_name",
    "处室名称": "division_name",
    "岗位": "post_id",
    "岗位编号": "post_id",
    "岗位名称": "post_name",
    "范围": "scope",
    "层级": "scope",
    "风险层级": "scope",
    "风险范围": "scope",
    "类别": "category",
    "风险类别": "category",
    "风险类型": "category",
    "职权事项": "power_item_id",
    "职权编号": "power_item_id",
    "职权名称": "power_item_id",
    "流程环节": "flow_step_id",
    "环节编号": "flow_step_id",
    "查找方式": "identified_by",
    "查找途径": "identified_by",
    "风险描述": "description",
    "风险点描述": "description",
    "风险点": "description",
    "风险点名称": "description",
    "表现形式": "manifestation",
    "风险表现形式": "manifestation",
    "原因": "cause",
    "成因": "cause",
    "形成原因": "cause",
    "风险形成原因": "cause",
    "人数": "headcount",
    "岗位人数": "headcount",
    "编制人数": "headcount",
    "岗位权重": "post_weight",
    "处置资金": "funds_handled",
    "处置资金物资资源量": "funds_handled",
    "资金物资资源量": "funds_handled",
    "处置资金物资资源": "funds_handled",
    "自由裁量权": "discretion",
    "自由裁量权大小": "discretion",
    "服务社会关联度": "service_relevance",
    "社会关联度": "service_relevance",
    "社会评价": "public_satisfaction",
    "社会评价评议情况": "public_satisfaction",
    "满意度": "public_satisfaction",
    "满意率": "public_satisfaction",
    "信访投诉": "complaints",
    "信访投诉量": "complaints",
    "信访、投诉": "complaints",
    "发案量": "cases",
    "案件数": "cases",
    "媒体曝光": "media_exposure",
    "媒体曝光率": "media_exposure",
    "媒体曝光量": "media_exposure",
    "违规行为后果": "consequence",
    "后果": "consequence",
    "违纪违法": "violation",
    "是否发案": "violation",
    # a graded file read back (report, compare): the document's word for the level
    "风险等级": "level",
    "等级": "level",
    "风险指数": "score",
    "单位内排名": "rank_in_unit",
    "因限额降级": "quota_demoted",
    "理由": "reason",
}

#: The document's scopes, categories and sources (section 5) and the usual variants.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "scope": {
        "岗位": "post",
        "岗位风险": "post",
        "处（科、股）室": "division",
        "处(科、股)室": "division",
        "处（科，股）室": "division",
        "处(科,股)室": "division",
        "处室": "division",
        "科室": "division",
        "股室": "division",
        "科处室": "division",
        "部门": "division",
        "内设机构": "division",
        "处（科、股）室风险": "division",
        "单位": "unit",
        "单位风险": "unit",
    },
    "category": {
        "职能职责": "duties",
        "职能职责风险": "duties",
        "岗位职责": "duties",
        "岗位职责风险": "duties",
        "权力行使": "power_exercise",
        "权力行使风险": "power_exercise",
        "思想道德": "ideology_morality",
        "思想道德风险": "ideology_morality",
        "决策议事": "decision_making",
        "决策议事风险": "decision_making",
        "决策": "decision_making",
        "决策风险": "decision_making",
        "制度机制": "institutions",
        "制度机制风险": "institutions",
        "工作流程": "work_process",
        "工作流程风险": "work_process",
        "业务流程": "work_process",
        "作风状况": "work_style",
        "作风状况风险": "work_style",
        "外部环境": "work_style",
        "外部环境风险": "work_style",
        "作风状况（外部环境）": "work_style",
        "作风状况(外部环境)": "work_style",
        "工作作风": "work_style",
        "工作作风风险": "work_style",
    },
    "identified_by": {
        "自己找": "self",
        "自己查": "self",
        "自查": "self",
        "自找": "self",
        "领导点": "leader",
        "领导": "leader",
        "群众评": "masses",
        "群众": "masses",
        "专家议": "experts",
        "专家审": "experts",
        "专家": "experts",
        "组织审": "experts",
    },
}

#: Levels as section 6 words them (一级 is the highest).
LEVEL_ALIASES: dict[str, int] = {
    "一级": 1, "二级": 2, "三级": 3,
    "1级": 1, "2级": 2, "3级": 3,
    "一级风险": 1, "二级风险": 2, "三级风险": 3,
    "level 1": 1, "level 2": 2, "level 3": 3,
}

#: Yes/no cells (是/否, a tick) of flag columns.
FLAG_ALIASES: dict[str, bool] = {
    "是": True, "否": False, "√": True, "✓": True, "✔": True, "×": False, "✗": False,
    "有": True, "无": False, "yes": True, "no": False, "true": True, "false": False,
    "y": True, "n": False,
}

#: The terms of section 5 and 6 exactly as the document writes them, with the value
#: each must map to (tested one by one).
DOCUMENT_TERMS: dict[str, dict[str, Any]] = {
    "scope": {"岗位": "post", "处（科、股）室": "division", "单位": "unit"},
    "category": {
        "职能职责": "duties", "权力行使": "power_exercise", "思想道德": "ideology_morality",
        "决策议事": "decision_making", "制度机制": "institutions", "工作流程": "work_process",
        "作风状况": "work_style", "外部环境": "work_style",
    },
    "identified_by": {"自己找": "self", "领导点": "leader", "群众评": "masses", "专家议": "experts"},
    "headers": {
        "处（科、股）室": "division_id", "形成原因": "cause", "表现形式": "manifestation",
        "职权名称": "power_item_id", "风险等级": "level", "岗位": "post_id", "单位": "unit_id",
        "岗位权重": "post_weight", "处置资金物资资源量": "funds_handled",
        "自由裁量权大小": "discretion", "服务社会关联度": "service_relevance",
        "社会评价评议情况": "public_satisfaction", "发案量": "cases", "媒体曝光率": "media_exposure",
        "违规行为后果": "consequence",
    },
    "level": {"一级": 1, "二级": 2, "三级": 3},
}

#: Separators between several sources in one cell: 、，, ; ； / | and white space.
SOURCE_SPLIT = re.compile(r"[;,，、；/|\s]+")

_UNIT_BRACKETS = re.compile(r"^(?P<name>.*?)\s*[（(\[【〔](?P<unit>[^）)\]】〕]*)[）)\]】〕]\s*$")
_UNIT_WORD = re.compile(
    r"^(?P<name>.*?)\s*[，,;；]?\s*(?:单位|计量单位)\s*[：:]\s*(?P<unit>\S+)\s*$"
)
_DIVISION = re.compile(r"^处\s*[（(]\s*科\s*[、，,]\s*股\s*[）)]\s*室")


def normalise_text(value: Any) -> str:
    """NFKC form of a cell or header, stripped (full-width digits and brackets folded)."""
    return unicodedata.normalize("NFKC", str(value)).strip().lstrip("\ufeff")


def split_header(header: Any) -> tuple[str, str | None]:
    """Split ``"处置资金（万元）"`` into ``("处置资金", "万元")``.

    Brackets of any width (（）, (), [], 【】, 〔〕) and ``单位：万元`` after the name are
    read as a unit. The division header 处（科、股）室 is the document's name, not a unit,
    and is returned whole.
    """
    raw = str(header).strip().lstrip("\ufeff")
    if _DIVISION.match(raw) or _DIVISION.match(normalise_text(raw)):
        return raw, None
    m = _UNIT_BRACKETS.match(raw) or _UNIT_WORD.match(raw)
    if m and m.group("name").strip():
        unit = normalise_text(m.group("unit")).replace(" ", "")
        return m.group("name").strip(), unit or None
    return raw, None


def lookup_column(name: str, extra: Mapping[str, str] | None = None) -> str | None:
    """Canonical name of a header (without its unit), or ``None`` when unknown."""
    for key in (name, normalise_text(name)):
        if extra and key in extra:
            return extra[key]
        if key in COLUMN_ALIASES:
            return COLUMN_ALIASES[key]
    return None


def map_value(value: Any, table: Mapping[str, str]) -> str:
    """Canonical code of one enumerated cell (unknown values lower-cased, for validation)."""
    v = str(value).strip()
    if v in table:
        return table[v]
    n = normalise_text(v)
    if n in table:
        return table[n]
    return n.lower()


def map_sources(value: Any, table: Mapping[str, str] | None = None) -> str:
    """Canonical codes of a cell naming one or more sources, joined by ``;``."""
    table = VALUE_ALIASES["identified_by"] if table is None else table
    parts = [p for p in SOURCE_SPLIT.split(normalise_text(value)) if p]
    return ";".join(table.get(p, p.lower()) for p in parts)


def value_tables(extra: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, dict[str, str]]:
    """The value aliases with a config's own aliases (which win) merged in."""
    out = {k: dict(v) for k, v in VALUE_ALIASES.items()}
    for col, table in (extra or {}).items():
        out.setdefault(col, {}).update({str(k).strip(): str(v) for k, v in table.items()})
    return out
