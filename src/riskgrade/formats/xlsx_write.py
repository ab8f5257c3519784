"""Writing results as an Excel workbook (``.xlsx``) with XlsxWriter.

A graded result becomes a workbook of four sheets: the graded rows (header frozen,
filters on, level cells coloured, column widths that fit Chinese text — a CJK
character counts as two), a per-unit summary (points, level counts, share of level 1
against the cap), the audit of quota moves, and 说明 with the provenance (riskgrade
version, SHA-256 of config and input, the run's settings). The workbook is
byte-deterministic: the same table gives the same bytes (document dates are fixed,
zip entries carry a fixed time), so the date of the run is not written into it.
Text cells are written as text, never as formulas, so no neutralising is needed.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from riskgrade.formats.files import UnsupportedFormatError, atomic_path

__all__ = ["PROVENANCE_SHEET", "display_width", "write_xlsx"]

#: Name of the sheet that holds the provenance.
PROVENANCE_SHEET = "说明"
#: A fixed document date, so that the same input gives the same bytes.
FIXED_DATE = _dt.datetime(2000, 1, 1)
_LEVEL_COLUMNS = ("level", "风险等级", "等级", "level_provisional")
_LEVEL_FILL = {1: "#F4B6B6", 2: "#FCE4B0", 3: "#D9EAD3"}
_LEVEL_TEXT = {"一级": 1, "二级": 2, "三级": 3}
_MAX_WIDTH = 60
#: Rows of data an Excel sheet holds below its header.
MAX_ROWS = 1_048_575


def display_width(text: str) -> int:
    """Width of a text in a monospaced grid: East Asian wide and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _frame(data: pd.DataFrame | pa.Table) -> pd.DataFrame:
    return data.to_pandas() if isinstance(data, pa.Table) else data


def _cell(v: Any) -> Any:
    """A value XlsxWriter writes as it is (``None`` for missing)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float | np.floating):
        f = float(v)
        return None if math.isnan(f) else (f if math.isfinite(f) else str(f))
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, pd.Timestamp | _dt.datetime | _dt.date):
        return v.isoformat()
    return str(v)


def _text_width(values: pd.Series) -> int:
    """Display width of the widest of (up to 5,000 distinct) texts of a column."""
    uniq = pd.unique(values.dropna().astype(str))[:5000]
    return max((display_width(v) for v in uniq), default=0)


def _write_table(wb: Any, ws: Any, frame: pd.DataFrame, *, level_colours: bool) -> None:
    head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7",
                          "border": 1})
    fills = {k: wb.add_format({"bg_color": c}) for k, c in _LEVEL_FILL.items()}
    names = [str(c) for c in frame.columns]
    for j, n in enumerate(names):
        ws.write_string(0, j, n, head)
    write_number, write_string, write_boolean = ws.write_number, ws.write_string, ws.write_boolean
    for j, col in enumerate(frame.columns):
        series = frame.iloc[:, j]
        colour = level_colours and str(col) in _LEVEL_COLUMNS
        w = display_width(names[j])
        if pd.api.types.is_bool_dtype(series.dtype) and not series.hasnans:
            for i, v in enumerate(series.tolist(), start=1):
                write_boolean(i, j, v)
            w = max(w, 5)
        elif pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
            arr = series.to_numpy(dtype=np.float64, na_value=np.nan)
            ints = pd.api.types.is_integer_dtype(series.dtype)
            for i, v in enumerate(arr.tolist(), start=1):
                if math.isnan(v):
                    continue
                if not math.isfinite(v):
                    write_string(i, j, str(v))
                    continue
                fmt = fills.get(int(v)) if colour else None
                write_number(i, j, int(v) if ints else v, fmt)
            w = max(w, 8 if ints else 12)
        else:
            for i, raw in enumerate(series.tolist(), start=1):
                v = _cell(raw)
                if v is None:
                    continue
                if isinstance(v, str):
                    fmt = fills.get(_LEVEL_TEXT.get(v, 0)) if colour else None
                    write_string(i, j, v, fmt)
                elif isinstance(v, bool):
                    write_boolean(i, j, v)
                else:
                    write_number(i, j, v, fills.get(int(v)) if colour else None)
            w = max(w, _text_width(series))
        ws.set_column(j, j, min(_MAX_WIDTH, max(6, w + 2)))
    ws.freeze_panes(1, 0)
    if names:
        ws.autofilter(0, 0, max(len(frame), 1), len(names) - 1)


def _provenance_rows(provenance: dict[str, Any]) -> list[tuple[str, str]]:
    labels = {
        "riskgrade_version": "riskgrade 版本 (version)",
        "config_name": "配置 (config)",
        "config_sha256": "配置 SHA-256 (config hash)",
        "input_sha256": "输入文件 SHA-256 (input hash)",
        "input_source": "输入文件 (input)",
        "catalog": "因素目录 (catalog)",
        "weighting_method": "赋权方法 (weighting)",
        "max_share": "一级风险比例上限 (cap)",
        "quota_by": "配额单位 (quota by)",
        "rows_graded": "已分级行数 (graded)",
        "rows_rejected": "拒收行数 (rejected)",
    }
    rows = []
    for key, label in labels.items():
        if key in provenance:
            rows.append((label, _text(provenance[key])))
    for key in sorted(provenance):
        if key not in labels:
            rows.append((key, _text(provenance[key])))
    return rows


def _text(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)


def write_xlsx(
    data: pd.DataFrame | pa.Table,
    path: str | Path,
    provenance: dict[str, Any] | None = None,
    *,
    summary: pd.DataFrame | None = None,
    audit: pd.DataFrame | None = None,
    notes: list[str] | None = None,
    sheet: str = "分级结果",
) -> Path:
    """Write a table (and, for a graded result, its summary and audit) as a workbook.

    Parameters
    ----------
    data : pandas.DataFrame or pyarrow.Table
        The rows of the first sheet.
    path : str or Path
        Target ``.xlsx`` file, written atomically.
    provenance : dict, optional
        Written to the 说明 sheet (also as JSON, read back by
        :func:`riskgrade.io.read_provenance`).
    summary, audit : pandas.DataFrame, optional
        The per-unit summary and the audit of quota moves, each on its own sheet.
    notes : list of str, optional
        Lines added to the 说明 sheet (for example what the reader left out).
    sheet : str
        Name of the first sheet.

    Returns
    -------
    Path
    """
    import xlsxwriter

    path = Path(path)
    frame = _frame(data)
    for part in (frame, summary, audit):
        if part is not None and len(part) > MAX_ROWS:
            raise UnsupportedFormatError(
                f"{len(part):,} rows do not fit an Excel sheet (at most {MAX_ROWS:,} below the "
                "header): write .csv or .parquet"
            )
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                       "strings_to_numbers": False, "nan_inf_to_errors": False},
        )
        wb.set_properties({"created": FIXED_DATE, "author": "riskgrade", "comments": ""})
        wb.set_calc_mode("auto")
        _write_table(wb, wb.add_worksheet(sheet), frame, level_colours=True)
        if summary is not None:
            _write_table(wb, wb.add_worksheet("单位汇总"), summary, level_colours=False)
        if audit is not None:
            _write_table(wb, wb.add_worksheet("配额审计"), audit, level_colours=False)
        if provenance is not None or notes:
            _write_provenance(wb, provenance or {}, notes or [])
        wb.close()
    return path


def _write_provenance(wb: Any, provenance: dict[str, Any], notes: list[str]) -> None:
    ws = wb.add_worksheet(PROVENANCE_SHEET)
    bold = wb.add_format({"bold": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    ws.write_string(0, 0, "项目 (item)", bold)
    ws.write_string(0, 1, "内容 (value)", bold)
    r = 1
    for label, value in _provenance_rows(provenance):
        ws.write_string(r, 0, label)
        ws.write_string(r, 1, value[:32000], wrap)
        r += 1
    for line in notes:
        ws.write_string(r, 0, "说明 (note)")
        ws.write_string(r, 1, line, wrap)
        r += 1
    ws.write_string(r, 0, "provenance_json")
    ws.write_string(r, 1, json.dumps(provenance, ensure_ascii=False, sort_keys=True)[:32000])
    ws.set_column(0, 0, 32)
    ws.set_column(1, 1, 90)


def read_xlsx_provenance(path: str | Path) -> dict[str, Any]:
    """Provenance of a workbook written by :func:`write_xlsx` (``{}`` when absent)."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        if PROVENANCE_SHEET not in wb.sheet_names:
            return {}
        rows = wb.get_sheet_by_name(PROVENANCE_SHEET).to_python()
    except Exception:  # not a workbook riskgrade wrote
        return {}
    for row in rows:
        if len(row) >= 2 and row[0] == "provenance_json" and isinstance(row[1], str):
            try:
                return dict(json.loads(row[1]))
            except ValueError:
                return {}
    return {}
