"""Vectorised validity check of an inventory batch (the fast path of validation).

:func:`batch_is_valid` answers one question quickly and conservatively: would
:func:`riskgrade.schema.find_failures` find nothing in this batch (apart from ids
duplicated across batches, which the engine checks globally)? It works on whole
pyarrow/numpy columns. When it answers ``False`` the engine runs ``find_failures``
on that batch for the full, row-by-row report, so the two never disagree on what is
reported; this check only decides whether that slower report is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from riskgrade.engine.core import as_float, string_offsets
from riskgrade.identity import id_columns, invalid_character_mask
from riskgrade.schema import CATEGORIES, REQUIRED_IDENTITY, SCOPES, SOURCE_SPLIT, SOURCES

if TYPE_CHECKING:
    from riskgrade.config import RiskModelConfig

__all__ = ["batch_is_valid", "required_columns"]

_BLANK = r"^[\s\p{Z}\x{85}\x{1c}-\x{1f}\x{feff}]*$"
_ALL_CATS = frozenset(c for v in CATEGORIES.values() for c in v)


def required_columns(config: RiskModelConfig) -> list[str]:
    """Columns an inventory must have."""
    req = list(REQUIRED_IDENTITY) + config.active_catalog.columns
    if config.outcome_column and config.require_outcome:
        req.append(config.outcome_column)
    return req


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _numeric_ok(arr: pa.ChunkedArray) -> bool:
    t = arr.type
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_null(t)


def batch_is_valid(table: pa.Table, config: RiskModelConfig) -> bool:
    """Whether ``find_failures`` would report nothing for this batch (conservative).

    Parameters
    ----------
    table : pyarrow.Table
        A batch with canonical column names and mapped enumeration values.
    config : RiskModelConfig
        The model configuration.

    Returns
    -------
    bool
        ``True`` only when the batch certainly passes validation.
    """
    names = table.column_names
    if len(set(names)) != len(names) or table.num_rows == 0:
        return False
    present = set(names)
    if any(c not in present for c in required_columns(config)):
        return False
    for c in REQUIRED_IDENTITY:
        col = table.column(c)
        if col.null_count:
            return False
        if _is_text(col.type):
            if not _all_start_visible(col) and pc.any(pc.match_substring_regex(col, _BLANK)).as_py():
                return False
        elif not pa.types.is_integer(col.type):
            return False
    # ids repeated within or across batches: the engine checks the whole input at once
    if any(invalid_character_mask(table.column(c)).any() for c in id_columns(config) if c in present):
        return False
    if "scope" in present and not _enum_ok(table.column("scope"), SCOPES):
        return False
    if "category" in present:
        if not _enum_ok(table.column("category"), _ALL_CATS):
            return False
        if "scope" in present and not _category_scope_ok(table):
            return False
    if "identified_by" in present:
        col = table.column("identified_by")
        if not _is_text(col.type) and col.null_count != len(col):
            return False
        for v in pc.unique(col).to_pylist():
            if v is not None and any(p not in SOURCES for p in SOURCE_SPLIT.split(str(v)) if p):
                return False
    checked: set[str] = set()
    for f in config.active_catalog.factors:
        col = f.source_column
        if col not in checked:
            checked.add(col)
            if not _factor_ok(table.column(col), f):
                return False
        den = f.denominator
        if den and den not in checked:
            checked.add(den)
            arr = table.column(den)
            if not _numeric_ok(arr):
                return False
            v = as_float(arr)
            with np.errstate(invalid="ignore"):
                if not np.all(v > 0) or not np.all(np.isfinite(v)):
                    return False
    oc = config.outcome_column
    if oc and oc in present:
        arr = table.column(oc)
        if not (_numeric_ok(arr) or pa.types.is_boolean(arr.type)):
            return False
        v = as_float(arr)
        miss = np.isnan(v)
        if config.require_outcome and miss.any():
            return False
        if not np.all(np.isin(v[~miss], [0.0, 1.0])):
            return False
    return True


def _all_start_visible(col: pa.ChunkedArray) -> bool:
    """Whether every value starts with a visible ASCII character (then none is blank).

    A look at the first byte of each value through the offsets (no copy); when it
    answers ``False`` the full blank-pattern check decides.
    """
    for arr in col.chunks:
        n = len(arr)
        if n == 0:
            continue
        if arr.null_count:
            return False
        bufs = string_offsets(arr)
        if bufs is None:
            return False
        off, data = bufs
        if not np.all(off[1:] > off[:-1]):
            return False
        first = np.frombuffer(data, dtype=np.uint8)[off[:-1]]
        if not np.all((first > 0x20) & (first < 0x7F)):
            return False
    return True


def _enum_ok(col: pa.ChunkedArray, allowed) -> bool:
    if col.null_count == len(col):
        return True
    if not _is_text(col.type):
        return False
    return all(v is None or v in allowed for v in pc.unique(col).to_pylist())


def _category_scope_ok(table: pa.Table) -> bool:
    pairs = pa.Table.from_arrays(
        [table.column("scope"), table.column("category")], names=["s", "c"]
    ).group_by(["s", "c"]).aggregate([])
    for s, c in zip(pairs.column("s").to_pylist(), pairs.column("c").to_pylist(), strict=True):
        if s in CATEGORIES and c is not None and c not in CATEGORIES[s]:
            return False
    return True


def _factor_ok(arr: pa.ChunkedArray, f) -> bool:
    if not _numeric_ok(arr):
        return False
    v = as_float(arr)
    miss = np.isnan(v)
    if f.missing == "reject" and miss.any():
        return False
    x = v[~miss] if miss.any() else v
    if x.size == 0:
        return True
    if not np.all(np.isfinite(x)):
        return False
    lo, hi = f.minimum, f.maximum
    xmin, xmax = float(x.min()), float(x.max())
    if lo is not None and xmin < lo:
        return False
    if hi is not None and xmax > hi:
        return False
    if f.kind == "ordinal" and pa.types.is_floating(arr.type) and not np.all(np.floor(x) == x):
        return False
    return not (f.kind in ("money", "count", "rate") and xmin < 0)
