"""Validation messages in the user's words: their headers, their rows, their language.

:func:`localise_failures` adds to a failure table what the user sees: ``source_row``
(the row in the file or Excel sheet), ``header`` (the column as written) and a Chinese
message ``message_zh``; the English ``message`` names the header with the canonical
name beside it. :func:`suggest_header` finds the closest known header to an unknown
one (``自由栽量权`` -> ``自由裁量权``), over Chinese and English aliases alike.

Examples
--------
>>> suggest_header("自由栽量权")
('自由裁量权', 'discretion')
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from riskgrade.words import COLUMN_ALIASES, TEXT_COLUMNS, split_header

__all__ = [
    "USER_FAILURE_COLUMNS",
    "format_failures",
    "identity_warnings",
    "localise_failures",
    "suggest_header",
]

#: Columns of a localised failure table (after the six of ``FAILURE_COLUMNS``).
USER_FAILURE_COLUMNS = ["source_row", "header", "message_zh"]

_ZH = {
    "empty": "清单没有数据行",
    "duplicate_column": "列名重复",
    "missing_column": "缺少必需的列",
    "missing_id": "编号为空",
    "duplicate_id": "风险点编号重复",
    "wrong_type": "应为数字",
    "ambiguous_number": "数值有歧义",
    "unit_mismatch": "表头单位不适用于此列",
    "non_finite": "应为有限数值",
    "missing_value": "缺少数值（该因素不允许缺失）",
    "out_of_scale": "超出分级范围或不是整数",
    "out_of_range": "超出取值范围",
    "negative": "不能为负数",
    "invalid_denominator": "人数必须为正数（信访投诉、发案量按人数折算）",
    "unknown_scope": "风险层级应为 岗位 / 处（科、股）室 / 单位",
    "unknown_category": "风险类别不在文件所列类别之中",
    "category_scope_mismatch": "风险类别与风险层级不符",
    "unknown_source": "查找方式应为 自己找、领导点、群众评、专家议",
    "invalid_outcome": "应为 0/1（或 是/否）",
}


def _known_headers() -> dict[str, str]:
    known = dict(COLUMN_ALIASES)
    for canon in {*COLUMN_ALIASES.values(), *TEXT_COLUMNS}:
        known.setdefault(canon, canon)
    return known


def suggest_header(header: str, wanted: Iterable[str] | None = None) -> tuple[str, str] | None:
    """Closest known header to ``header``: ``(alias, canonical name)`` or ``None``.

    Parameters
    ----------
    header : str
        A header that maps to no known column.
    wanted : iterable of str, optional
        Only suggest headers of these canonical columns (e.g. the missing ones).
    """
    name = split_header(header)[0]
    known = _known_headers()
    if wanted is not None:
        keep = set(wanted)
        known = {a: c for a, c in known.items() if c in keep}
    if not known:
        return None
    cutoff = 0.6 if any("\u4e00" <= ch <= "\u9fff" for ch in name) else 0.75
    best = difflib.get_close_matches(name, list(known), n=1, cutoff=cutoff)
    if not best:
        best = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=cutoff)
    return (best[0], known[best[0]]) if best else None


def chinese_header(column: str) -> str:
    """The first Chinese header that maps to a canonical column (the name itself if none)."""
    for alias, canon in COLUMN_ALIASES.items():
        if canon == column:
            return alias
    return column


def unknown_headers(frame: pd.DataFrame) -> list[str]:
    """Headers of a canonical-named frame that map to no known column (as written)."""
    known = set(_known_headers().values())
    return [str(c) for c in frame.columns if str(c) not in known]


def _label(column: str) -> str:
    from riskgrade.i18n import column_label, factor_label

    lab = column_label(column, "zh")
    if lab == column:
        lab = factor_label(column, "zh")
    return lab


def localise_failures(
    fc: pd.DataFrame, frame: pd.DataFrame, zh: dict[tuple[int, str], str] | None = None
) -> pd.DataFrame:
    """Add ``source_row``, ``header`` and ``message_zh``; name user headers in ``message``.

    Parameters
    ----------
    fc : pandas.DataFrame
        Failure cases of :func:`riskgrade.schema.find_failures` (``row`` 0-based).
    frame : pandas.DataFrame
        The inventory they were found in (its attrs give the user's headers and rows).
    zh : dict, optional
        ``{(row, column): Chinese detail}`` added to the Chinese message of that cell.
    """
    from riskgrade.inventory_forms import source_rows

    heads = frame.attrs.get("column_headers") or {}
    src = source_rows(frame)
    fc = fc.copy()
    rows = fc["row"].to_numpy(dtype=object)
    srow = [pd.NA if pd.isna(r) or int(r) >= len(src) else int(src[int(r)]) for r in rows]
    fc["source_row"] = pd.array(srow, dtype="Int64")
    header = [str(heads.get(str(c), c)) for c in fc["column"]]
    fc["header"] = header
    en = []
    out_zh: list[str] = []
    zh = zh or {}
    for r, c, h, reason, msg, v in zip(rows, fc["column"], header, fc["reason"], fc["message"],
                                       fc["value"], strict=True):
        c = str(c)
        where = h if h == c or not c else f"{h} ({c})"
        base = str(msg)
        if c and h != c and not base.startswith(f"column {h!r}"):
            base = f"column {where!r}: {base}"
        en.append(base)
        label = _label(c) if c else ""
        col_zh = f"“{h}”" if h != c or not label or label == c else f"“{label}”（{c}）"
        text = _ZH.get(str(reason), str(reason))
        value = "" if v is None or (isinstance(v, float) and np.isnan(v)) else f"，值为“{v}”"
        hint = ""
        if "did you mean" in base:
            hint = "；是否应为“" + base.split("did you mean ", 1)[1].split("'")[1] + "”？"
        detail = zh.get((int(r), c), "") if not pd.isna(r) else ""
        if detail:
            text = f"{text}：{detail}"
        out_zh.append(f"{col_zh}列：{text}{value}{hint}" if c else f"{text}{value}")
    fc["message"] = en
    fc["message_zh"] = out_zh
    return fc


def format_failures(fc: pd.DataFrame, lang: str = "en", *, n_rows: int | None = None,
                    limit: int = 20) -> str:
    """Failure table as text for a person, in ``"zh"`` or ``"en"``."""
    n = len(fc)
    col_row = "source_row" if "source_row" in fc else "row"
    rows = fc[col_row].dropna().nunique() if col_row in fc else 0
    if lang == "zh":
        head = f"清单有误：{n} 处问题，涉及 {rows} 行" + (f"（共 {n_rows} 行）" if n_rows is not None else "")
    else:
        head = f"inventory invalid: {n} failure(s) in {rows} row(s)" + (
            f" of {n_rows}" if n_rows is not None else "")
    lines = [head]
    for rec in fc.head(limit).to_dict("records"):
        r = rec.get(col_row)
        rid = rec.get("risk_point_id")
        rid_s = "" if rid is None or pd.isna(rid) else f" ({_visible(str(rid))})"
        if lang == "zh":
            where = "文件" if r is None or pd.isna(r) else f"第 {int(r)} 行"
            msg = rec.get("message_zh") or rec.get("message")
            lines.append(f"  {where}{rid_s}：{msg} [{rec['reason']}]")
        else:
            where = "file" if r is None or pd.isna(r) else f"row {int(r)}"
            col, head = str(rec.get("column") or ""), str(rec.get("header") or rec.get("column") or "")
            shown = head if head == col or not col else f"{head} ({col})"
            msg = str(rec["message"])
            prefix = f"column {shown!r}: "
            msg = msg[len(prefix):] if msg.startswith(prefix) else msg
            lines.append(f"  {where}{rid_s}, column {shown!r}, value {rec['value']!r}: "
                         f"[{rec['reason']}] {msg}")
    if n > limit:
        lines.append(f"  ……另有 {n - limit} 处" if lang == "zh" else f"  ... and {n - limit} more")
    return "\n".join(lines)


def _visible(text: str) -> str:
    """``text``, or its escaped form when it holds a character a terminal does not show."""
    if text.isprintable():
        return text
    from riskgrade.identity import escape

    return escape(text)


def identity_warnings(frame: pd.DataFrame, config: Any = None) -> list[str]:
    """Identity warnings of an inventory read by riskgrade, rows as the user sees them.

    The lines of :func:`riskgrade.identity.warning_lines` (spellings folded to one id,
    ids differing only by case) with each first row given as the file or Excel row
    (:func:`riskgrade.inventory_forms.source_rows`: header = row 1).

    Parameters
    ----------
    frame : pandas.DataFrame
        The inventory as read by :func:`riskgrade.read_inventory`.
    config : RiskModelConfig, optional
        The config it was read with (identity policy, quota column).
    """
    from riskgrade.identity import warning_lines
    from riskgrade.inventory_forms import source_rows

    return warning_lines(frame, config, rows=source_rows(frame))


def describe(value: Any) -> str:
    """A cell value as text for a message."""
    return "" if value is None else str(value)
