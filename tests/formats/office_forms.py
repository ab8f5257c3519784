"""Office-style inventory workbooks built for the tests (openpyxl), as offices lay them out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from riskgrade.schema import VALUE_ALIASES

#: Chinese headers (aliases riskgrade maps today) of the sample's columns.
HEADERS = {
    "risk_point_id": "风险点编号",
    "unit_id": "单位编号",
    "unit_name": "单位名称",
    "division_id": "科室编号",
    "division_name": "科室名称",
    "post_id": "岗位编号",
    "post_name": "岗位名称",
    "scope": "风险层级",
    "category": "风险类别",
    "power_item_id": "职权编号",
    "flow_step_id": "环节编号",
    "identified_by": "查找方式",
    "description": "风险描述",
    "manifestation": "表现形式",
    "cause": "成因",
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
FACTORS = ("headcount", "post_weight", "funds_handled", "discretion", "service_relevance",
           "public_satisfaction", "complaints", "cases", "media_exposure", "consequence")
_ZH = {col: {} for col in VALUE_ALIASES}
for _col, _table in VALUE_ALIASES.items():
    for _zh, _code in _table.items():
        _ZH[_col].setdefault(_code, _zh)


def chinese_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Scope, category and sources written in Chinese words (sources joined by 、)."""
    out = frame.copy()
    out["scope"] = out["scope"].map(_ZH["scope"])
    out["category"] = out["category"].map(_ZH["category"])
    out["identified_by"] = out["identified_by"].map(
        lambda s: "、".join(_ZH["identified_by"][p] for p in str(s).split(";"))
    )
    return out


def _cell(v):
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def office_workbook(
    path: Path,
    frame: pd.DataFrame,
    *,
    title: bool = True,
    unit_line: bool = True,
    two_row: bool = True,
    seq: bool = True,
    percent: bool = True,
    signature: bool = True,
    notes_sheet: str | None = "after",
    first_col: int = 1,
) -> dict[str, int]:
    """Write ``frame`` (canonical columns) as an office form; return where things landed.

    Returns the sheet row of the first data row and the number of header rows.
    """
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "风险点登记表"
    if notes_sheet == "before":
        notes = wb.create_sheet("填表说明", 0)
    elif notes_sheet == "after":
        notes = wb.create_sheet("填表说明")
    if notes_sheet:
        notes["A1"] = "1. 风险层级填写：岗位、科室、单位。"
        notes["A2"] = "2. 查找方式可多选，用顿号分隔。"
    data = chinese_values(frame)
    cols = [c for c in data.columns if c in HEADERS]
    ncols = len(cols) + (1 if seq else 0)
    c0 = first_col
    r = 1
    if title:
        ws.cell(r, c0, "XX县2026年度廉政风险点登记表")
        ws.merge_cells(start_row=r, start_column=c0, end_row=r, end_column=c0 + ncols - 1)
        r += 1
    if unit_line:
        ws.cell(r, c0, "填报单位：XX县纪委监委")
        ws.cell(r, c0 + ncols - 2, "填报日期：2026年11月20日")
        r += 1
    header_row = r
    names = (["序号"] if seq else []) + [HEADERS[c] for c in cols]
    factor_pos = [i for i, c in enumerate(cols, start=1 if seq else 0) if c in FACTORS]
    for j, name in enumerate(names):
        col = c0 + j
        if two_row and (j in factor_pos):
            ws.cell(header_row + 1, col, name)
        else:
            ws.cell(header_row, col, name)
            if two_row:
                ws.merge_cells(start_row=header_row, start_column=col, end_row=header_row + 1, end_column=col)
    if two_row:
        lo, hi = min(factor_pos), max(factor_pos)
        ws.cell(header_row, c0 + lo, "风险评估因素")
        ws.merge_cells(start_row=header_row, start_column=c0 + lo, end_row=header_row, end_column=c0 + hi)
    first_data = header_row + (2 if two_row else 1)
    for i, row in enumerate(data[cols].itertuples(index=False)):
        rr = first_data + i
        j = 0
        if seq:
            ws.cell(rr, c0, i + 1)
            j = 1
        for c, v in zip(cols, row, strict=True):
            cell = ws.cell(rr, c0 + j, _cell(v))
            if c == "public_satisfaction" and percent:
                cell.number_format = "0%"
            j += 1
    last = first_data + len(data) - 1
    if signature:
        ws.cell(last + 2, c0, "填表人：王某某")
        ws.cell(last + 2, c0 + 4, "审核人：李某某")
        ws.cell(last + 3, c0, "填表日期：2026年11月20日")
    wb.save(path)
    return {"first_data": first_data, "last_data": last}
