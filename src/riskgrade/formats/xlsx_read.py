"""Reading an inventory from an Excel workbook (``.xlsx``, ``.xlsm``, ``.xls``).

The cells are read with python-calamine (chosen by measurement: see
``benchmarks/README.md``); formulas give their saved values. The table is found on
the sheet by :func:`riskgrade.formats.xlsx_layout.find_layout`. Values become
columns as a CSV file's would: a column of numbers is numeric, a column holding any
text is text (numbers in it written as the shortest decimal that gives them back),
identity columns are always text (``7`` -> ``"7"``), dates are ISO text, TRUE/FALSE
are 1/0. A number formatted as a percentage under a header that declares ``%`` (such
as 满意率（%）) is given as the text the user sees (``0.853`` -> ``"85.3%"``, to the 15
significant digits Excel shows), so that
the header's unit cannot scale it twice; under any other header it stays the fraction
Excel holds.
"""

from __future__ import annotations

import datetime as _dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from riskgrade.formats.files import file_error
from riskgrade.formats.xlsx_layout import Layout, find_layout

if TYPE_CHECKING:
    from riskgrade.config import RiskModelConfig

__all__ = ["read_xlsx", "sheet_names"]

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_CELL = re.compile(rb'<c r="([A-Z]+)([0-9]+)"([^>]*?)/?>')
_STYLE = re.compile(rb'\ss="([0-9]+)"')
_TYPE = re.compile(rb'\st="([a-z]+)"')


def _open(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as err:  # calamine raises its own error classes
        raise file_error("wrong_type", f"cannot read the Excel workbook: {err}") from None


def sheet_names(path: str | Path) -> list[str]:
    """Names of a workbook's sheets, in order."""
    return list(_open(Path(path)).sheet_names)


def _known_header(config: RiskModelConfig | None) -> Any:
    from riskgrade.schema import COLUMN_ALIASES, TEXT_COLUMNS, canonical_columns

    targets = set(COLUMN_ALIASES.values()) | set(TEXT_COLUMNS)
    mapping = dict(config.columns) if config is not None else {}
    targets |= set(mapping.values())

    def known(text: str) -> bool:
        return canonical_columns([text], mapping)[0] in targets

    return known


def _pick_sheet(wb: Any, sheet: str | int | None) -> list[str]:
    names = list(wb.sheet_names)
    if sheet is None:
        return names
    if isinstance(sheet, str) and sheet in names:
        return [sheet]
    try:
        index = int(sheet)
    except (TypeError, ValueError):
        index = 0
    numeric = isinstance(sheet, int) or (isinstance(sheet, str) and sheet.strip().isdigit())
    if numeric and 1 <= index <= len(names):
            return [names[index - 1]]
    raise file_error(
        "wrong_type",
        f"no sheet {sheet!r} in the workbook; its sheets are: "
        + ", ".join(f"{i} {n}" for i, n in enumerate(names, 1)),
    )


def read_xlsx(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    config: RiskModelConfig | None = None,
) -> pd.DataFrame:
    """Read the inventory table of a workbook sheet into a DataFrame with the user's headers.

    Parameters
    ----------
    path : str or Path
        The workbook.
    sheet : str or int, optional
        A sheet name, or its position counted from 1. Default: the first sheet that
        holds an inventory header.
    config : RiskModelConfig, optional
        Its column mappings count as known headers.

    Returns
    -------
    pandas.DataFrame
        Columns named by the header text as written; ``attrs`` holds ``sheet``,
        ``source_rows`` (sheet row numbers, 1-based), ``source_headers`` and
        ``source_notes``.

    Raises
    ------
    InventoryValidationError
        When the sheet does not exist or no sheet holds an inventory header.
    """
    path = Path(path)
    wb = _open(path)
    candidates = _pick_sheet(wb, sheet)
    notes: list[str] = []
    known = _known_header(config)
    for name in candidates:
        try:
            ws = wb.get_sheet_by_name(name)
            rows = ws.to_python(skip_empty_area=False)
            merges = list(ws.merged_cell_ranges or [])
        except Exception as err:
            raise file_error("wrong_type", f"cannot read sheet {name}: {err}") from None
        layout = find_layout(rows, known, merges)
        if layout is None:
            if len(candidates) > 1:
                notes.append(f"sheet {name} ignored (no inventory header)")
                continue
            raise file_error(
                "missing_column",
                f"sheet {name} holds no inventory header (no row names two or more known columns "
                "such as 风险点编号, 单位)",
            )
        frame = _frame(path, name, rows, layout, config)
        later = candidates[candidates.index(name) + 1 :]
        notes.extend(layout.notes)
        unsaved = _formulas_without_values(path, name, layout)
        if unsaved:
            notes.append(
                f"{len(unsaved)} formula cell{'s' if len(unsaved) > 1 else ''} without a saved value "
                f"read as empty (first: {unsaved[0]}); open and save the workbook in Excel or WPS "
                "so that their values are stored"
            )
        notes.extend(f"sheet {n} ignored" for n in later)
        frame.attrs = {
            "sheet": name,
            "source_rows": np.asarray([i + 1 for i in layout.data_rows], dtype=np.int64),
            "source_headers": list(layout.headers),
            "source_notes": notes,
        }
        return frame
    raise file_error(
        "missing_column",
        "no sheet of the workbook holds an inventory header (a row naming two or more known "
        "columns such as 风险点编号, 单位); sheets: " + ", ".join(candidates),
    )


def _frame(
    path: Path, sheet: str, rows: list[list[Any]], layout: Layout, config: RiskModelConfig | None
) -> pd.DataFrame:
    from riskgrade.schema import TEXT_COLUMNS, canonical_columns

    mapping = dict(config.columns) if config is not None else {}
    canon = canonical_columns(layout.headers, mapping)
    pct_cols = [j for j, h in zip(layout.columns, layout.headers, strict=True) if "%" in h or "％" in h]
    pct_cells = _percent_cells(path, sheet) if pct_cols else set()
    block = [rows[i] for i in layout.data_rows]
    width = max((len(r) for r in block), default=0)
    if any(len(r) != width for r in block):
        block = [list(r) + [""] * (width - len(r)) for r in block]
    by_col = list(zip(*block, strict=True)) if block else []
    data: dict[int, pd.Series] = {}
    for k, j in enumerate(layout.columns):
        vals: list[Any] = list(by_col[j]) if j < len(by_col) else [""] * len(layout.data_rows)
        if j in pct_cols and pct_cells:
            for n, i in enumerate(layout.data_rows):
                v = vals[n]
                if (i, j) in pct_cells and _is_num(v):
                    vals[n] = _decimal_text(Decimal(f"{float(v):.15g}") * 100) + "%"
        data[k] = _column(vals, text=canon[k] in TEXT_COLUMNS)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(layout.data_rows)))
    frame.columns = list(layout.headers)
    return frame


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _decimal_text(d: Decimal) -> str:
    s = format(d.normalize(), "f")
    return s if s != "-0" else "0"


def _number_text(v: float) -> str:
    if float(v).is_integer() and abs(v) < 2**53:
        return str(int(v))
    return repr(float(v))


def _cell_text(v: Any) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int | float):
        return _number_text(v)
    if isinstance(v, _dt.datetime):
        return v.isoformat(sep=" ") if (v.hour, v.minute, v.second) != (0, 0, 0) else v.date().isoformat()
    if isinstance(v, _dt.date | _dt.time):
        return v.isoformat()
    if isinstance(v, _dt.timedelta):
        return str(v)
    return str(v)


def _column(vals: list[Any], *, text: bool) -> pd.Series:
    """One column's values as a CSV reader would type them (see the module notes)."""
    kinds = set(map(type, vals))
    kinds.discard(type(None))
    if bool in kinds:  # TRUE/FALSE count as 1/0
        vals = [int(v) if isinstance(v, bool) else v for v in vals]
        kinds = (kinds - {bool}) | {int}
    has_empty = str in kinds and "" in vals
    if kinds <= {str}:
        return pd.Series([v if v != "" else None for v in vals] if has_empty else vals, dtype="str")
    numeric = kinds <= {float, int, str} and all(
        isinstance(v, int | float) or v == "" for v in vals
    ) if str in kinds else kinds <= {float, int}
    if text or not numeric:
        return pd.Series([_cell_text(v) for v in vals], dtype="str")
    arr = np.asarray([np.nan if v is None or v == "" else v for v in vals] if str in kinds else vals,
                     dtype=np.float64)
    if (np.isfinite(arr).all() and (arr == np.round(arr)).all() and (np.abs(arr) < 2**53).all()):
        return pd.Series(arr.astype(np.int64))
    return pd.Series(arr)


def _percent_cells(path: Path, sheet: str) -> set[tuple[int, int]]:
    """0-based (row, column) of the numeric cells of ``sheet`` that carry a percentage format."""
    try:
        with zipfile.ZipFile(path) as zf:
            styles = _percent_styles(zf)
            if not styles:
                return set()
            member = _sheet_member(zf, sheet)
            if member is None:
                return set()
            xml = zf.read(member)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return set()  # .xls, or a workbook laid out otherwise: no percentage cells known
    out: set[tuple[int, int]] = set()
    for m in _CELL.finditer(xml):
        attrs = m.group(3)
        s = _STYLE.search(attrs)
        if s is None or int(s.group(1)) not in styles:
            continue
        t = _TYPE.search(attrs)
        if t is not None and t.group(1) != b"n":
            continue
        col = 0
        for ch in m.group(1):
            col = col * 26 + (ch - 64)
        out.add((int(m.group(2)) - 1, col - 1))
    return out


def _percent_styles(zf: zipfile.ZipFile) -> set[int]:
    root = ElementTree.fromstring(zf.read("xl/styles.xml"))
    custom = {
        int(n.get("numFmtId", "-1")): n.get("formatCode", "")
        for n in root.iterfind("m:numFmts/m:numFmt", _NS)
    }
    out = set()
    for k, xf in enumerate(root.iterfind("m:cellXfs/m:xf", _NS)):
        fid = int(xf.get("numFmtId", "0"))
        code = custom.get(fid, "")
        if fid in (9, 10) or "%" in re.sub(r'"[^"]*"|\\.', "", code):
            out.add(k)
    return out


_CELL_BODY = re.compile(rb'<c r="([A-Z]+)([0-9]+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)


def _formulas_without_values(path: Path, sheet: str, layout: Layout) -> list[str]:
    """Addresses of the table's formula cells that carry no saved value.

    Programs that do not compute formulas write them so; calamine reads them as empty.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            member = _sheet_member(zf, sheet)
            if member is None:
                return []
            xml = zf.read(member)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return []
    if b"<f" not in xml:
        return []
    rows = {i + 1 for i in layout.data_rows}
    cols = set(layout.columns)
    out = []
    for m in _CELL_BODY.finditer(xml):
        body = m.group(3) or b""
        if b"<f" not in body or re.search(rb"<v>[^<]", body):
            continue
        col = 0
        for ch in m.group(1):
            col = col * 26 + (ch - 64)
        if int(m.group(2)) in rows and col - 1 in cols:
            out.append(m.group(1).decode() + m.group(2).decode())
    return out


def _sheet_member(zf: zipfile.ZipFile, sheet: str) -> str | None:
    wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rid = None
    for s in wb.iterfind("m:sheets/m:sheet", _NS):
        if s.get("name") == sheet:
            rid = s.get(f"{{{_NS['r']}}}id")
    if rid is None:
        return None
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iterfind("rel:Relationship", _NS):
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return str(PurePosixPath("xl") / target)
    return None
