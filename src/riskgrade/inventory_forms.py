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

from riskgrade.units import column_kinds, convert_columns, header_units

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
