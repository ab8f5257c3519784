"""Inventories as offices write them: units in headers, number forms, user headers and rows.

:func:`convert_inventory` runs after the headers are mapped to canonical names and
the document's words to codes: it converts the numeric columns with
:mod:`riskgrade.units` and records, in ``frame.attrs``, what the user sees —
``column_headers`` (canonical name -> header as written), ``source_rows`` (the row of
each data row in the file: header = row 1, first data row = 2, unless the reader set
Excel rows), ``conversions`` (count of each kind of conversion) and
``conversion_failures`` (cells that could be read two ways).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from riskgrade.units import column_kinds, convert_columns, convert_values, header_scale, header_units

if TYPE_CHECKING:
    from riskgrade.config import RiskModelConfig

__all__ = ["convert_inventory", "source_rows", "user_header"]


def convert_inventory(
    frame: pd.DataFrame, raw_headers: list[str], config: RiskModelConfig | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Convert units and number forms of a canonical-named inventory.

    Parameters
    ----------
    frame : pandas.DataFrame
        Inventory with canonical column names (values already mapped).
    raw_headers : list of str
        The headers as written, in the same order as ``frame.columns``.
    config : RiskModelConfig, optional
        Supplies the catalog (which column holds money, shares, counts).

    Returns
    -------
    (pandas.DataFrame, dict)
        The frame with converted columns, and the attrs to add.
    """
    if config is None:
        from riskgrade.config import default_config

        config = default_config()
    canon = [str(c) for c in frame.columns]
    units = header_units(raw_headers, canon)
    extra: dict[str, Any] = {
        "column_headers": {c: h for c, (h, _u) in units.items()},
        "header_units": {c: u for c, (_h, u) in units.items() if u},
    }
    if frame.columns.duplicated().any():
        return frame, extra
    kinds = column_kinds(config.active_catalog)
    cols = {
        c: (frame[c].to_numpy(dtype=object) if not _numeric(frame[c]) else frame[c].to_numpy(),
            _numeric(frame[c]))
        for c in canon
        if c in kinds
    }
    new, conv = convert_columns(cols, units, kinds)
    if new:
        frame = frame.copy(deep=False)
        for c, arr in new.items():
            frame[c] = arr
    extra["conversions"] = dict(sorted(conv.counts.items()))
    extra["conversion_failures"] = conv.failures
    return frame, extra


def _numeric(s: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype))


def source_rows(frame: pd.DataFrame) -> np.ndarray:
    """Row of each data row as the user sees it (``attrs["source_rows"]`` or index + 2)."""
    rows = frame.attrs.get("source_rows")
    if rows is not None and len(rows) == len(frame):
        return np.asarray(rows, dtype=np.int64)
    return np.arange(len(frame), dtype=np.int64) + 2


def user_header(frame: pd.DataFrame, column: str) -> str:
    """The header the user wrote for a canonical column (the canonical name if unknown)."""
    heads = frame.attrs.get("column_headers") or {}
    return str(heads.get(column, column))


_DEFAULT_KINDS: dict[str, str] = {}


def _default_kinds() -> dict[str, str]:
    if not _DEFAULT_KINDS:
        from riskgrade.catalogs import sichuan_2012

        _DEFAULT_KINDS.update(column_kinds(sichuan_2012()))
    return _DEFAULT_KINDS


def convert_table(table: Any, raw_headers: list[str], kinds: dict[str, str] | None = None) -> Any:
    """Convert units and number forms of an Arrow batch with canonical names (batch engine).

    Each distinct value is parsed once. Under a ``%`` header plain numbers are read as
    per-cent points in every batch (a batch cannot see the whole column), so a
    fraction there is refused rather than read differently from batch to batch.
    Converted columns become float64; a column with a value that could be read two
    ways stays text (converted values written as their shortest decimal), so the
    validator reports that cell.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    kinds = kinds or _default_kinds()
    names = table.column_names
    units = header_units(raw_headers, names)
    for col in names:
        kind = kinds.get(col)
        if kind is None:
            continue
        _h, unit = units.get(col, (col, None))
        scale, problem = header_scale(kind, unit)
        arr = table.column(col)
        text = pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)
        numeric = pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type)
        if problem is not None:
            raise _unit_error(col, _h, unit, problem)
        if not (text or (numeric and scale is not None)):
            continue
        if numeric and scale == 1 and kind != "share":
            continue
        enc = pc.dictionary_encode(arr).combine_chunks()
        distinct = np.asarray(enc.dictionary.to_pylist(), dtype=object)
        conv = convert_values(distinct, kind, unit, percent_points=True)
        if not conv.converted and not text:
            continue
        ok = not conv.failures and all(v is None or isinstance(v, float) for v in conv.values)
        if ok:
            vals = pa.array([None if v is None else float(v) for v in conv.values], type=pa.float64())
        else:
            vals = pa.array([None if v is None else (repr(v) if isinstance(v, float) else str(v))
                             for v in conv.values], type=pa.string())
        table = table.set_column(names.index(col), col, pc.take(vals, enc.indices))
    return table


def _unit_error(column: str, header: str, unit: str | None, problem: str) -> Exception:
    from riskgrade.exceptions import InventoryValidationError

    fc = pd.DataFrame({
        "row": pd.array([pd.NA], dtype="Int64"), "risk_point_id": [None], "column": [column],
        "value": [unit], "reason": ["unit_mismatch"], "message": [f"header {header!r}: {problem}"],
        "source_row": pd.array([pd.NA], dtype="Int64"), "header": [header],
        "message_zh": [f"表头“{header}”的单位“{unit}”不适用于此列"],
    })
    return InventoryValidationError(fc, n_rows=None)
