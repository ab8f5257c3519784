"""Columnar kernels of the batch engine: one record batch in, numpy arrays out.

Every function here is row-local (a batch can be cut anywhere) except
:func:`grading_order`, which sorts the compact per-row keys of a set of whole units.
The numerics are those of :mod:`riskgrade.weighted_index` (same functions, same column
order), so the engine produces the same bits as :meth:`riskgrade.RiskModel.grade`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from riskgrade.identity import fold_table
from riskgrade.inventory_forms import convert_table
from riskgrade.schema import VALUE_ALIASES, canonical_columns, map_sources, map_value
from riskgrade.units import column_kinds
from riskgrade.words import value_tables

if TYPE_CHECKING:
    from riskgrade.config import RiskModelConfig
    from riskgrade.factors import FactorCatalog

__all__ = [
    "FLAG_DEMOTED",
    "FLAG_EXCEPTION",
    "FLAG_TIE",
    "as_float",
    "canonical_table",
    "factor_matrix",
    "grading_order",
    "score_ints",
    "string_offsets",
]

FLAG_DEMOTED = np.uint8(1)
FLAG_TIE = np.uint8(2)
FLAG_EXCEPTION = np.uint8(4)


def canonical_table(
    table: pa.Table | pa.RecordBatch, mapping: dict[str, str], config: RiskModelConfig | None = None
) -> pa.Table:
    """Canonical column names, enumeration aliases mapped, identifier spellings folded.

    As ``read_inventory`` does; spellings are folded under ``config.identity``
    (vectorised: :func:`riskgrade.identity.fold_table`). The value mapping works on
    the distinct values of each column only, so it costs a dictionary encoding, not a
    Python call per row.
    """
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    raw_headers = list(table.column_names)
    names = canonical_columns(raw_headers, mapping)
    table = table.rename_columns(names)
    if len(set(names)) != len(names):
        return table  # duplicate columns: validation reports them
    table = fold_table(table, config)
    tables = (value_tables({str(k): v for k, v in config.values.items()})
              if config is not None else VALUE_ALIASES)
    for col, aliases in tables.items():
        if col not in names:
            continue
        arr = table.column(col)
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            continue
        enc = pc.dictionary_encode(arr).combine_chunks()
        values = enc.dictionary.to_pylist()
        fn = map_sources if col == "identified_by" else map_value
        mapped = [fn(v, table=aliases) for v in values]
        if mapped == values:
            continue
        new = pc.take(pa.array(mapped, type=arr.type), enc.indices)
        table = table.set_column(names.index(col), col, new)
    kinds = column_kinds(config.active_catalog) if config is not None else None
    return convert_table(table, raw_headers, kinds)


def as_float(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A numeric or null column as float64 with NaN for nulls (text that is not a number: NaN)."""
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t):
        import pandas as pd

        return pd.to_numeric(pa.chunked_array([arr]).to_pandas() if isinstance(arr, pa.Array)
                             else arr.to_pandas(), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if pa.types.is_boolean(t):
        arr = pc.cast(arr, pa.int8())
    if pa.types.is_null(t):
        return np.full(len(arr), np.nan)
    if not pa.types.is_floating(t) or t != pa.float64():
        arr = pc.cast(arr, pa.float64())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    return arr.to_numpy(zero_copy_only=False)


def string_offsets(arr: pa.Array) -> tuple[npt.NDArray[np.signedinteger[Any]], pa.Buffer] | None:
    """The value offsets (``len(arr) + 1``, sliced by ``arr.offset``) and data buffer of a text array.

    No copies: the offsets are a view of the array's buffer (int64 for ``large_string``,
    else int32). ``None`` when the array has no data buffer.
    """
    _, offsets, data = arr.buffers()[:3]
    if data is None:
        return None
    n = len(arr)
    off: npt.NDArray[np.signedinteger[Any]]
    if pa.types.is_large_string(arr.type):
        off = np.frombuffer(offsets, dtype=np.int64)
    else:
        off = np.frombuffer(offsets, dtype=np.int32)
    return off[arr.offset: arr.offset + n + 1], data


def factor_matrix(table: pa.Table, catalog: FactorCatalog) -> np.ndarray:
    """Factor scores (n x m) of a validated batch, via the catalog's own transforms."""
    cols: dict[str, np.ndarray] = {}
    for name in catalog.columns:
        cols[name] = as_float(table.column(name))
    # column-major: each factor's scores are contiguous (the sums loop over columns)
    F = np.empty((table.num_rows, len(catalog)), dtype=float, order="F")
    for j, f in enumerate(catalog.factors):
        F[:, j] = catalog.transform_one(f, cols)
    return F


def score_ints(score: np.ndarray, decimals: int) -> np.ndarray:
    """Rounded scores as exact integers ``score * 10**decimals``; NaN becomes -1.

    ``numpy.round(x, d)`` is ``rint(x * 10**d) / 10**d``, so the integer is exact and
    equal integers mean equal scores.
    """
    with np.errstate(invalid="ignore"):
        s = np.rint(score * (10.0**decimals))
    out = np.where(np.isnan(s), -1.0, s).astype(np.int64)
    return out


def ints_to_score(s_int: np.ndarray, decimals: int) -> np.ndarray:
    """Inverse of :func:`score_ints` (bit-identical to the rounded score)."""
    out = s_int.astype(float) / (10.0**decimals)
    out[s_int < 0] = np.nan
    return out


def tie_keys(table: pa.Table, names: Sequence[str]) -> list[np.ndarray]:
    """Secondary tie-break keys present in the batch, as float (NaN = missing)."""
    return [as_float(table.column(k)) for k in names if k in table.column_names]


def grading_order(
    g: np.ndarray,
    s_int: np.ndarray,
    keys: Sequence[np.ndarray] | Callable[[np.ndarray], Sequence[np.ndarray]],
    ids: pa.Array | pa.ChunkedArray | np.ndarray | None,
) -> np.ndarray:
    """Row order by unit, score descending, secondary keys descending, id ascending.

    One packed int64 value ``unit | (S - score) | row`` sorted gives unit and score (the
    row in the low bits makes the order stable); only rows that tie on both are then
    ordered by the secondary keys and the id (a lexsort of the tied rows alone), so the
    cost is one sort of n integers.

    Parameters
    ----------
    g : ndarray of int
        Unit codes (any consistent coding: only equality matters).
    s_int : ndarray of int64
        Scores from :func:`score_ints`.
    keys : list of ndarray, or callable
        Secondary keys, most significant first (NaN sorts last); or a function giving
        them at given row indices (called only for the rows that tie on unit and
        score, so the full key columns need not be held in memory).
    ids : array of str, optional
        Risk point ids (``None``: rows tied on everything keep input order).

    Returns
    -------
    ndarray of int64
        The permutation.
    """
    n = len(s_int)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    top = int(s_int.max()) + 1
    sbits = (top + 1).bit_length()
    gbits = max(int(g.max()), 0).bit_length()
    ibits = max(n - 1, 1).bit_length()
    room = 63 - gbits - ibits
    shift = 0
    if room >= 16:
        # sort values, not indices: ``unit | score bits | row`` packed in one int64 (a
        # value sort is several times faster than an argsort, and the row in the low
        # bits makes it stable); when the score needs more bits than there is room for,
        # its top bits go in and rows sharing them are ordered below, like ties
        shift = max(0, sbits - room)
        packed = np.arange(n, dtype=np.int64)
        packed |= (g.astype(np.int64) << (room + ibits)) | (((top - s_int) >> shift) << ibits)
        packed.sort()
        order = packed & ((1 << ibits) - 1)
        packed >>= ibits
        same = packed[1:] == packed[:-1]
        del packed
    elif gbits + sbits <= 62:  # pragma: no cover - more than 2**47 rows and units together
        key = (g.astype(np.int64) << sbits) | (top - s_int)
        order = np.argsort(key, kind="stable")
        same = np.empty(n - 1, dtype=bool)
        step = 1 << 20  # sorted keys compared a slice at a time (no n-sized copy of them)
        for a in range(0, n - 1, step):
            b = min(n - 1, a + step)
            ks = key[order[a: b + 1]]
            same[a:b] = ks[1:] == ks[:-1]
        del key
    else:  # pragma: no cover - more than 2**20 units at 15 decimals
        order = np.lexsort((-s_int, g))
        gs, ss = g[order], s_int[order]
        same = (gs[1:] == gs[:-1]) & (ss[1:] == ss[:-1])
    if not same.any():
        return order
    in_run = np.zeros(n, dtype=bool)
    in_run[1:] |= same
    in_run[:-1] |= same
    pos = np.flatnonzero(in_run)
    start = np.ones(len(pos), dtype=bool)
    start[1:] = ~same[pos[1:] - 1]
    run = np.cumsum(start)
    rows = order[pos]
    lex: list[np.ndarray] = []
    if ids is not None:
        if isinstance(ids, np.ndarray):
            sub = ids[rows].astype(str)
        else:
            sub = np.asarray(pc.take(ids, pa.array(rows)).to_numpy(zero_copy_only=False)).astype(str)
        lex.append(np.unique(sub, return_inverse=True)[1].ravel())
    sub_keys = keys(rows) if callable(keys) else [k[rows] for k in keys]
    for kk in reversed(sub_keys):
        lex.append(-np.where(np.isnan(kk), -np.inf, kk))
    if shift:  # the run shares the score's top bits only: the whole score first
        lex.append(-s_int[rows])
    lex.append(run)
    order[pos] = rows[np.lexsort(lex)]
    return order
