"""Where the table is on a worksheet laid out as offices lay out their forms.

Works on the cell values of a sheet (a list of rows, ``""`` for an empty cell, row 0
= sheet row 1) and its merged ranges; knows nothing of the file format. Finds:

- the header row: among the first 30 rows, the one with the most cells that name a
  known inventory column (units in brackets at the end, such as ``（万元）``, are
  ignored for this count; rows above it — titles, 填报单位 lines — are skipped);
- a two-row header: when the row above or below adds known names where the header
  row is empty (a merged group title such as 风险评估因素 over the factor names),
  each column takes the lower cell's text, else the upper cell's; a group title
  merged across several columns is never a column name by itself;
- the 序号 column, left out;
- the end of the table: empty rows and signature or note rows under the table
  (填表人：…, 审核人：…, 填表日期：…, 注：…) are left out, with a note.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Layout", "find_layout", "header_text"]

HEADER_SEARCH_ROWS = 30
_UNIT_TAIL = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")
_SPACE = re.compile(r"\s+")
_ROW_NUMBER_HEADERS = frozenset({"序号", "序", "No.", "No", "#", "编号序号"})
_SIGNATURE_WORDS = (
    "填表人", "填报人", "制表人", "审核人", "审批人", "复核人", "负责人", "联系人", "联系电话",
    "签字", "签名", "盖章", "填表日期", "填报日期", "制表日期", "日期：", "日期:",
)
_NOTE_STARTS = ("注：", "注:", "说明：", "说明:", "备注：", "备注:", "附注")


def header_text(value: Any) -> str:
    """A header cell's text, line breaks removed and white space trimmed and collapsed."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACE.sub(" ", str(value).replace("\r", "").replace("\n", "")).strip()


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


@dataclass
class Layout:
    """Where a sheet's inventory is.

    Attributes
    ----------
    header_rows : tuple of int
        0-based row indices of the header (one or two rows).
    columns : list of int
        0-based column indices that hold the table's columns (序号 and empty unnamed
        columns left out).
    headers : list of str
        The header text of each kept column, as the user wrote it.
    data_rows : list of int
        0-based indices of the data rows.
    notes : list of str
        What was left out, in words.
    """

    header_rows: tuple[int, ...]
    columns: list[int]
    headers: list[str]
    data_rows: list[int]
    notes: list[str] = field(default_factory=list)


def _count_known(cells: Sequence[str], known: Callable[[str], bool]) -> int:
    n = 0
    for c in cells:
        if c and (known(c) or known(_UNIT_TAIL.sub("", c))):
            n += 1
    return n


def _combine(upper: list[str], lower: list[str], group_cols: set[int]) -> list[str]:
    out = []
    for j, (u, low) in enumerate(zip(upper, lower, strict=True)):
        if low:
            out.append(low)
        elif j in group_cols:  # a merged group title alone names no column
            out.append("")
        else:
            out.append(u)
    return out


def _group_columns(row: int, merges: Sequence[tuple[tuple[int, int], tuple[int, int]]]) -> set[int]:
    """Columns covered by a merge that spans several columns within ``row`` only."""
    cols: set[int] = set()
    for (r0, c0), (r1, c1) in merges:
        if r0 == row and r1 == row and c1 > c0:
            cols.update(range(c0, c1 + 1))
    return cols


def find_layout(
    rows: Sequence[Sequence[Any]],
    known: Callable[[str], bool],
    merges: Sequence[tuple[tuple[int, int], tuple[int, int]]] = (),
) -> Layout | None:
    """Find the inventory table on a sheet (see the module notes).

    Parameters
    ----------
    rows : sequence of sequences
        Cell values, row 0 = sheet row 1, column 0 = column A.
    known : callable
        Whether a header text names a known inventory column.
    merges : sequence of ((row0, col0), (row1, col1))
        Merged ranges, 0-based and inclusive.

    Returns
    -------
    Layout or None
        ``None`` when no row names at least two known columns (no inventory here).
    """
    if not rows:
        return None
    width = max((len(r) for r in rows), default=0)
    search = min(len(rows), HEADER_SEARCH_ROWS)
    texts = [[header_text(v) for v in list(r) + [""] * (width - len(r))] for r in rows[: search + 1]]
    counts = [_count_known(texts[i], known) for i in range(search)]
    best = max(range(search), key=lambda i: (counts[i], -i))
    if counts[best] < 2:
        return None
    header_rows: tuple[int, ...] = (best,)
    headers = texts[best]
    for upper, lower in ((best - 1, best), (best, best + 1)):
        if upper < 0 or lower >= len(rows):
            continue
        if any(_is_number(v) for v in rows[lower]):
            continue
        combined = _combine(texts[upper], texts[lower], _group_columns(upper, merges))
        if _count_known(combined, known) > counts[best]:
            header_rows, headers = (upper, lower), combined
            break
    first_data = header_rows[-1] + 1
    notes: list[str] = []
    end = len(rows)
    tail: list[int] = []
    signature: list[int] = []
    while end > first_data:
        r = rows[end - 1]
        if all(_empty(v) for v in r):
            tail.append(end - 1)
        elif _is_signature(r):
            signature.append(end - 1)
            tail.append(end - 1)
        else:
            break
        end -= 1
    if signature:
        sig = sorted(signature)
        span = f"row {sig[0] + 1}" if len(sig) == 1 else f"rows {sig[0] + 1}–{sig[-1] + 1}"
        notes.append(f"{len(sig)} signature or note row{'s' if len(sig) > 1 else ''} "
                     f"under the table left out ({span})")
    data_rows = []
    empty_rows = 0
    for i in range(first_data, end):
        if all(_empty(v) for v in rows[i]):
            empty_rows += 1
        else:
            data_rows.append(i)
    if empty_rows:
        notes.append(f"{empty_rows} empty row{'s' if empty_rows > 1 else ''} inside the table skipped")
    columns: list[int] = []
    names: list[str] = []
    for j in range(width):
        h = headers[j]
        if h in _ROW_NUMBER_HEADERS:
            notes.append(f"column {_letter(j)} ({h}) left out: row numbers")
            continue
        if not h:
            if all(j >= len(rows[i]) or _empty(rows[i][j]) for i in data_rows):
                continue
            h = f"column {_letter(j)}"
        columns.append(j)
        names.append(h)
    return Layout(header_rows, columns, names, data_rows, notes)


def _is_signature(row: Sequence[Any]) -> bool:
    cells = [v for v in row if not _empty(v)]
    if not cells or any(not isinstance(v, str) for v in cells):
        return False
    first = cells[0].strip()
    if first.startswith(_NOTE_STARTS):
        return True
    return any(w in c for c in cells for w in _SIGNATURE_WORDS)


def _letter(j: int) -> str:
    """Excel column letters of a 0-based column index (0 -> A, 26 -> AA)."""
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s
