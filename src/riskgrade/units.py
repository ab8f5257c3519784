"""Units in headers and number forms in cells, converted exactly.

Offices write funds in 万元 and satisfaction in per cent, in the header
(``处置资金（万元）``, ``满意率（%）``) or in the cell (``"12万"``, ``"1.2亿"``,
``"1,200,000"``, ``"85%"``, full-width ``"１２"``). The catalog's canonical units are
CNY (元) for money, a share in [0, 1] for satisfaction and plain counts. This module
converts every unambiguous form with decimal arithmetic — ``Decimal`` from the
shortest text of the number, times a power of ten, then one correctly rounded
conversion to float — so a converted value is the very float the same number typed in
canonical units gives, and no grade can move. Anything that could be read two ways is
refused with a reason instead of guessed:

- Chinese numerals (``十二万``), approximations (``约12万``, ``12万左右``), ranges
  (``12-15万``), malformed separators (``1,20,0``);
- ``12万`` under a header already in 万元 (万万元?);
- a percentage in a money or count column, money in a share column;
- a number over 100 under a ``（%）`` header, and, in a ``（%）`` column that holds
  per-cent points (85), a value that could be a fraction (0.9) — the two are read
  alike only when the whole column is one or the other.

Examples
--------
>>> parse_cell("1.2亿", "money", None).value
120000000.0
>>> parse_cell("85%", "share", None).value
0.85
>>> parse_cell("500", "money", "万元").value
5000000.0
>>> parse_cell("约12万", "money", None).reason
'ambiguous_number'
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

__all__ = [
    "COUNT_UNITS",
    "MONEY_UNITS",
    "Conversion",
    "ParsedCell",
    "convert_values",
    "header_scale",
    "parse_cell",
]

#: Money units -> multiplier to CNY (元).
MONEY_UNITS: dict[str, Decimal] = {
    "元": Decimal(1),
    "人民币元": Decimal(1),
    "千元": Decimal(1000),
    "万元": Decimal(10_000),
    "百万元": Decimal(1_000_000),
    "亿元": Decimal(100_000_000),
    "cny": Decimal(1),
    "rmb": Decimal(1),
    "yuan": Decimal(1),
}
#: Count units (no scaling).
COUNT_UNITS = frozenset({"人", "件", "次", "个", "起", "人次", "件次", "篇", "条", "名"})
_PERCENT = frozenset({"%", "％", "百分比", "percent"})
_MULTIPLIERS = {"万": Decimal(10_000), "亿": Decimal(100_000_000), "千": Decimal(1000)}

_NUMBER = re.compile(
    r"^(?P<sign>[+-]?)(?P<int>\d{1,3}(?:,\d{3})+|\d+|(?=\.\d))(?P<frac>\.\d+)?(?P<exp>[eE][+-]?\d+)?"
    r"(?P<suffix>万元|亿元|千元|百万元|元|万|亿|千|%|人次|件次|人|件|次|个|起|名|条|篇)?$"
)
_HAS_DIGIT = re.compile(r"\d")
_CN_NUMERAL = re.compile(r"[零〇一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟]")

KINDS = ("money", "share", "count", "ordinal")


@dataclass(frozen=True)
class ParsedCell:
    """One cell read: ``value`` (float) or ``reason``/``message``; ``forms`` it used."""

    value: float | None
    forms: tuple[str, ...] = ()
    reason: str | None = None
    message_en: str = ""
    message_zh: str = ""


@dataclass
class Conversion:
    """Result of converting one column."""

    values: np.ndarray  # object array: floats where converted, original values elsewhere
    converted: bool
    failures: list[tuple[int, Any, str, str]]  # (index, value, message_en, message_zh)
    counts: Counter[str]


def header_scale(kind: str | None, unit: str | None) -> tuple[Decimal | None, str | None]:
    """Multiplier that a header unit implies for a column of ``kind``.

    Returns ``(scale, problem)``: ``scale`` is ``None`` for a unit that does not scale
    (counts, an annotation such as ``1-5`` on an ordinal column); ``problem`` is an
    English sentence when the unit cannot belong to that column.
    """
    if unit is None or kind is None:
        return None, None
    u = unit.lower().replace(" ", "")
    for tail in ("/年", "每年", "/每年", "/a"):
        if u.endswith(tail):
            u = u[: -len(tail)]
    if kind == "money":
        if u in MONEY_UNITS:
            return MONEY_UNITS[u], None
        return None, f"unit {unit!r} is not a money unit (元, 千元, 万元, 百万元, 亿元)"
    if kind == "share":
        if u in _PERCENT:
            return Decimal("0.01"), None
        if u in ("", "0-1", "比例", "share"):
            return None, None
        return None, f"unit {unit!r} is not a share unit (% or 0-1)"
    if kind == "count":
        if u in COUNT_UNITS or not u:
            return None, None
        if u in MONEY_UNITS or u in _PERCENT:
            return None, f"unit {unit!r} does not fit a count"
        return None, None
    return None, None  # ordinal: an annotation such as （1-5） is not a unit


def _dec(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int | np.integer):
        return Decimal(int(value))
    if isinstance(value, float | np.floating):
        f = float(value)
        return Decimal(repr(f)) if math.isfinite(f) else None
    return None


def _bad(value: Any, en: str, zh: str) -> ParsedCell:
    return ParsedCell(None, (), "ambiguous_number", en, zh)


def parse_cell(value: Any, kind: str, unit: str | None, *, percent_points: bool = True) -> ParsedCell:
    """Read one cell of a numeric column.

    Parameters
    ----------
    value : object
        The cell (number or text).
    kind : {"money", "share", "count", "ordinal"}
        What the column holds.
    unit : str, optional
        The unit written in the header.
    percent_points : bool
        Under a ``%`` header: plain numbers are per-cent points (85 -> 0.85); when
        ``False`` they are already fractions (Excel's percent cells store 0.85).

    Returns
    -------
    ParsedCell
        ``value`` in canonical units, or ``reason="ambiguous_number"`` with a message.
    """
    scale, _problem = header_scale(kind, unit)
    d = _dec(value)
    forms: list[str] = []
    suffix = None
    if d is None:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ParsedCell(None)
        raw = str(value)
        text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "").replace("\u3000", "")
        if not text:
            return ParsedCell(None)
        if text != raw.strip() and any(
            unicodedata.east_asian_width(ch) == "F" and ch.isdigit() for ch in raw
        ):
            forms.append("full-width digits")
        m = _NUMBER.match(text)
        if m is None:
            if not _HAS_DIGIT.search(text) and _CN_NUMERAL.search(text):
                return _bad(value, f"{raw!r} is written in Chinese numerals; write it in digits",
                            f"“{raw}”是中文数字，请用阿拉伯数字填写")
            if _HAS_DIGIT.search(text):
                return _bad(value, f"{raw!r} is not one exact number (a range, an approximation or "
                                   "stray characters); write one number",
                            f"“{raw}”不是一个确切的数（区间、约数或夹杂文字），请填写一个数")
            return ParsedCell(None, (), "wrong_type", f"{raw!r} is not a number", f"“{raw}”不是数字")
        if "," in m.group("int"):
            forms.append("thousands separators")
        try:
            d = Decimal(m.group("sign") + (m.group("int") or "0").replace(",", "")
                        + (m.group("frac") or "") + (m.group("exp") or ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            return _bad(value, f"{raw!r} is not a number", f"“{raw}”不是数字")
        suffix = m.group("suffix")
    if suffix is not None:
        res = _apply_suffix(value, d, suffix, kind, unit, scale)
        if isinstance(res, ParsedCell):
            return res
        d, form = res
        forms.append(form)
    elif scale is not None:
        if kind == "share":
            if percent_points:
                if d > 100:
                    return _bad(value, f"{value!r} is over 100 under a per-cent header",
                                f"“{value}”在百分比列中超过100")
                d = d * scale
                forms.append("per-cent header")
        elif scale != 1:
            d = d * scale
            forms.append(f"header in {unit}")
    return ParsedCell(float(d), tuple(forms))


def _apply_suffix(
    value: Any, d: Decimal, suffix: str, kind: str, unit: str | None, scale: Decimal | None
) -> ParsedCell | tuple[Decimal, str]:
    if suffix == "%":
        if kind != "share":
            return _bad(value, f"{value!r} is a percentage in a column that is not a share",
                        f"“{value}”是百分数，但此列不是比率")
        if d > 100:
            return _bad(value, f"{value!r} is over 100 %", f"“{value}”超过100%")
        return d / 100, "per-cent sign"
    if suffix in MONEY_UNITS:
        if kind != "money":
            return _bad(value, f"{value!r} is an amount of money in a column that is not money",
                        f"“{value}”是金额，但此列不是金额")
        return d * MONEY_UNITS[suffix], f"{suffix} in the cell"
    if suffix in _MULTIPLIERS:
        if kind not in ("money", "count"):
            return _bad(value, f"{value!r} carries {suffix} in a column of scores",
                        f"“{value}”带有“{suffix}”，此列应为分值")
        if scale is not None and scale != 1:
            return _bad(value, f"{value!r} carries {suffix} under a header already in {unit}",
                        f"“{value}”带有“{suffix}”，而表头单位已是{unit}")
        return d * _MULTIPLIERS[suffix], f"{suffix} in the cell"
    if suffix in COUNT_UNITS:
        if kind != "count":
            return _bad(value, f"{value!r} carries the unit {suffix} in a column that is not a count",
                        f"“{value}”带有单位“{suffix}”，此列不是计数")
        return d, "count unit in the cell"
    return _bad(value, f"{value!r}: unknown unit", f"“{value}”：单位不明")  # pragma: no cover


def convert_values(
    values: np.ndarray, kind: str, unit: str | None, *, percent_points: bool | None = None
) -> Conversion:
    """Convert one column's values (each distinct value parsed once).

    ``percent_points`` (under a ``%`` header): plain numbers are per-cent points
    (``True``), fractions (``False``), or decided from the whole column (``None``:
    fractions when every number lies in [0, 1], as Excel's percent cells store them).

    Returns the converted object array, whether anything changed, the failures
    ``(index, value, message_en, message_zh)`` and the count of each kind of
    conversion.
    """
    values = np.asarray(values, dtype=object)
    keys = [(type(v).__name__, v if not isinstance(v, float) or not math.isnan(v) else "nan")
            for v in values]
    scale, _problem = header_scale(kind, unit)
    points = True if percent_points is None else percent_points
    if kind == "share" and scale is not None and percent_points is None:
        nums = [float(v) for v in values if _dec(v) is not None]
        texts = [v for v in values
                 if isinstance(v, str) and v.strip() and not v.strip().endswith(("%", "％"))]
        # Excel's percent cells hold fractions: a column that is all within [0, 1] is read so
        points = not (nums and not texts and all(0 <= x <= 1 for x in nums))
    cache: dict[Any, ParsedCell] = {}
    out = np.empty(len(values), dtype=object)
    failures: list[tuple[int, Any, str, str]] = []
    counts: Counter[str] = Counter()
    changed = False
    for i, (v, k) in enumerate(zip(values, keys, strict=True)):
        p = cache.get(k)
        if p is None:
            p = parse_cell(v, kind, unit, percent_points=points)
            if (p.reason is None and kind == "share" and scale is not None and points
                    and "per-cent header" in p.forms and p.value is not None and 0 < p.value < 0.01
                    and _dec(v) is not None and not float(v).is_integer()):
                p = _bad(v, f"{v!r} under a per-cent header could be a fraction or per-cent points",
                         f"“{v}”在百分比列中既可能是小数也可能是百分点")
            cache[k] = p
        if p.reason is not None:
            if p.reason == "ambiguous_number":
                failures.append((i, v, p.message_en, p.message_zh))
            out[i] = v
            continue
        if p.value is None:
            out[i] = None if not isinstance(v, str) or not v.strip() else v
            if isinstance(v, str) and not v.strip():
                out[i] = None
            continue
        out[i] = p.value
        if p.forms:
            changed = True
            for f in p.forms:
                counts[f] += 1
        elif not isinstance(v, float | int | np.floating | np.integer):
            changed = True
            counts["text number"] += 1
    return Conversion(out, changed, failures, counts)


def factor_kind(f: Any) -> str:
    """What a factor's column holds for :func:`parse_cell`: money, share, count or ordinal."""
    if f.kind in ("money", "share", "count"):
        return str(f.kind)
    return "count" if f.kind == "rate" else "ordinal"


def column_kinds(catalog: Any) -> dict[str, str]:
    """What each numeric column of a catalog holds: money, share, count or plain scores."""
    kinds: dict[str, str] = {}
    for f in catalog.factors:
        kinds.setdefault(f.source_column, factor_kind(f))
        if f.denominator:
            kinds.setdefault(f.denominator, "count")
    return kinds


def header_units(raw_headers: list[str], canonical: list[str]) -> dict[str, tuple[str, str | None]]:
    """``{canonical name: (header as written, unit)}`` of an inventory's columns."""
    from riskgrade.words import split_header

    out: dict[str, tuple[str, str | None]] = {}
    for raw, canon in zip(raw_headers, canonical, strict=True):
        out.setdefault(canon, (str(raw).strip().lstrip("\ufeff"), split_header(raw)[1]))
    return out


@dataclass
class FrameConversion:
    """Conversions made while reading an inventory: counts, failures, header problems."""

    counts: Counter[str]
    failures: list[dict[str, Any]]  # row (0-based), column, header, value, message, message_zh


def needs_conversion(values: np.ndarray | None, dtype_is_numeric: bool, scale: Decimal | None,
                     kind: str) -> bool:
    """Whether a column must go through :func:`convert_values`."""
    if not dtype_is_numeric:
        return True
    return scale is not None and (scale != 1 or kind == "share")


def convert_columns(
    columns: dict[str, tuple[np.ndarray, bool]],
    units: dict[str, tuple[str, str | None]],
    kinds: dict[str, str],
) -> tuple[dict[str, np.ndarray], FrameConversion]:
    """Convert the numeric columns of an inventory.

    Parameters
    ----------
    columns : dict
        ``{canonical name: (values, dtype is numeric)}`` of the columns to consider.
    units : dict
        From :func:`header_units`.
    kinds : dict
        From :func:`column_kinds`.

    Returns
    -------
    (dict, FrameConversion)
        The replaced columns (float64 when every value converted, object otherwise) and
        what was done.
    """
    counts: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    new: dict[str, np.ndarray] = {}
    for col, (values, numeric) in columns.items():
        kind = kinds.get(col)
        if kind is None:
            continue
        header, unit = units.get(col, (col, None))
        scale, problem = header_scale(kind, unit)
        if problem is not None:
            failures.append({"row": None, "column": col, "header": header, "value": unit,
                             "message": f"header {header!r}: {problem}",
                             "message_zh": f"表头“{header}”的单位“{unit}”不适用于此列"})
            continue
        if not needs_conversion(values, numeric, scale, kind):
            continue
        conv = convert_values(values, kind, unit)
        for i, v, en, zh in conv.failures:
            failures.append({"row": i, "column": col, "header": header, "value": v,
                             "message": en, "message_zh": zh})
        counts.update(conv.counts)
        if conv.converted or conv.failures or not numeric:
            arr = conv.values
            if not conv.failures and all(v is None or isinstance(v, float) for v in arr):
                arr = np.array([np.nan if v is None else v for v in arr], dtype=np.float64)
            new[col] = arr
    return new, FrameConversion(counts, failures)
