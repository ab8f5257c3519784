"""A blank entry form (风险点登记表) that grades unchanged once filled in.

``riskgrade template -o 风险点登记表.xlsx`` writes a workbook with one sheet: Chinese
headers that :func:`riskgrade.read_inventory` maps to the canonical columns, a
frozen header, drop-down lists for 风险层级 (scope), 风险类别 (category), 查找方式
(identification source) and every ordinal factor, and on every factor column an
input message that states its unit and the anchors of its scale from the factor
catalog. A second sheet, 填表说明, explains how to fill it in. Byte-deterministic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from riskgrade.formats.files import atomic_path
from riskgrade.formats.xlsx_write import FIXED_DATE, display_width

__all__ = ["TEMPLATE_COLUMNS", "write_template"]

#: (header, canonical column) of the form, in order. Every header is an alias that
#: :func:`riskgrade.schema.canonical_columns` maps to the canonical name.
TEMPLATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("风险点编号", "risk_point_id"),
    ("单位编号", "unit_id"),
    ("单位名称", "unit_name"),
    ("处（科、股）室编号", "division_id"),
    ("处（科、股）室名称", "division_name"),
    ("岗位编号", "post_id"),
    ("岗位名称", "post_name"),
    ("风险层级", "scope"),
    ("风险类别", "category"),
    ("职权名称", "power_item_id"),
    ("环节编号", "flow_step_id"),
    ("查找方式", "identified_by"),
    ("风险描述", "description"),
    ("表现形式", "manifestation"),
    ("形成原因", "cause"),
    ("岗位人数（人）", "headcount"),
    ("岗位权重", "post_weight"),
    ("处置资金（万元）", "funds_handled"),
    ("自由裁量权", "discretion"),
    ("服务社会关联度", "service_relevance"),
    ("满意率（%）", "public_satisfaction"),
    ("信访投诉（件）", "complaints"),
    ("发案量（件）", "cases"),
    ("媒体曝光（次）", "media_exposure"),
    ("违规行为后果", "consequence"),
)

_SCOPES = ("岗位", "处（科、股）室", "单位")
_CATEGORIES = ("职能职责", "权力行使", "思想道德", "决策议事", "制度机制", "工作流程", "作风状况")
_SOURCES = ("自己找", "领导点", "群众评", "专家议")
_UNITS = {"CNY/yr": "万元/年（表头所示）", "count/yr": "件（次）/年", "share": "百分数，如 85 或 85%"}
_NOTES = (
    "1. 每行填写一个风险点；风险点编号在全表中不重复。",
    "2. 风险层级：岗位、处（科、股）室、单位。",
    "3. 风险类别：岗位填写职能职责、权力行使、思想道德；"
    "处（科、股）室和单位填写决策议事、制度机制、工作流程、作风状况。",
    "4. 查找方式可多选，用顿号分隔：自己找、领导点、群众评、专家议。",
    "5. 处置资金以万元计（每年，如 12.5 或 12.5万）；满意率填写百分数（85 或 85%）。",
    "6. 岗位权重、自由裁量权、服务社会关联度按 1–5 填写，违规行为后果按 1–3 填写；选中单元格可见各档含义。",
    "7. 填好后运行：riskgrade score 风险点登记表.xlsx -o 分级结果.xlsx",
)
_ROWS = 1000  # rows that carry the drop-down lists


def _message(factor: Any) -> tuple[str, str]:
    unit = _UNITS.get(factor.unit, factor.unit)
    parts = [f"{a.value:g}：{a.zh}" for a in factor.anchors]
    text = (f"单位：{unit}。" if unit else "") + "；".join(parts)
    return factor.label_zh[:32], text[:255]


def write_template(path: str | Path, catalog: Any = None) -> Path:
    """Write the blank entry form.

    Parameters
    ----------
    path : str or Path
        Target ``.xlsx`` file (written atomically).
    catalog : FactorCatalog, optional
        Factor catalog whose scales are described (default: the built-in one).

    Returns
    -------
    Path
    """
    import xlsxwriter

    if catalog is None:
        from riskgrade.catalogs import sichuan_2012

        catalog = sichuan_2012()
    factors = {f.source_column: f for f in catalog.factors}
    path = Path(path)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False})
        wb.set_properties({"created": FIXED_DATE, "author": "riskgrade", "title": "风险点登记表"})
        ws = wb.add_worksheet("风险点登记表")
        head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top",
                              "bg_color": "#DDEBF7", "border": 1})
        text = wb.add_format({"num_format": "@"})
        last = _ROWS
        for j, (header, canon) in enumerate(TEMPLATE_COLUMNS):
            ws.write_string(0, j, header, head)
            width = max(8, display_width(header) + 2)
            f = factors.get(canon)
            if canon in ("risk_point_id", "unit_id", "division_id", "post_id",
                         "power_item_id", "flow_step_id"):
                ws.set_column(j, j, max(width, 12), text)
            elif canon in ("description", "manifestation", "cause"):
                ws.set_column(j, j, 24)
            else:
                ws.set_column(j, j, width)
            choices: tuple[str, ...] = ()
            strict = True
            if canon == "scope":
                choices = _SCOPES
            elif canon == "category":
                choices = _CATEGORIES
            elif canon == "identified_by":
                choices, strict = _SOURCES, False  # several, joined by 、
            elif f is not None and f.kind == "ordinal" and f.minimum is not None and f.maximum is not None:
                choices = tuple(str(v) for v in range(int(f.minimum), int(f.maximum) + 1))
            dv: dict[str, Any] = {}
            if choices:
                dv = {"validate": "list", "source": list(choices)}
                if not strict:
                    dv["error_type"] = "information"
                    dv["error_message"] = "可多选，用顿号分隔，如：自己找、群众评"
            elif f is not None and f.kind in ("money", "count"):
                dv = {"validate": "decimal", "criteria": ">=", "value": 0}
            elif f is not None and f.kind == "share":
                dv = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1,
                      "error_type": "warning"}
            elif canon == "headcount":
                dv = {"validate": "integer", "criteria": ">=", "value": 0}
            if f is not None:
                title, msg = _message(f)
                dv = dv or {"validate": "any"}
                dv.update({"input_title": title, "input_message": msg})
            elif canon == "identified_by":
                dv.update({"input_title": "查找方式", "input_message": "可多选，用顿号分隔"})
            if dv:
                ws.data_validation(1, j, last, j, dv)
        ws.freeze_panes(1, 0)
        notes = wb.add_worksheet("填表说明")
        notes.set_column(0, 0, 110)
        for i, line in enumerate(_NOTES):
            notes.write_string(i, 0, line)
        wb.close()
    return path
