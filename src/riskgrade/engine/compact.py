"""Batches kept in memory between the passes: compacted exactly, restored on output.

Integers (and whole-number floats) get the smallest integer type that holds them and
repetitive text is dictionary-encoded; :func:`restore` casts back to the input types.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["compact", "restore"]


def compact(table: pa.Table) -> pa.Table:
    """Smaller in-memory form of a batch kept for pass 2 (restored by casting back).

    Integers (and floats holding only whole numbers, nulls allowed) get the smallest
    integer type that holds them; repetitive text is dictionary-encoded with the
    smallest index type. Every step is exact, so :func:`restore` gives the same values.
    """
    cols = []
    for col in table.columns:
        t = col.type
        if (pa.types.is_int64(t) or pa.types.is_float64(t)) and len(col) and col.null_count < len(col):
            col = _small_int(col)
        elif (pa.types.is_string(t) or pa.types.is_large_string(t)) and len(col) > 64:
            # decide on a sample: a full distinct count of an id column costs a hash table
            head = col.slice(0, 2048)
            if pc.count_distinct(head).as_py() * 8 < len(head):
                col = pc.dictionary_encode(col)
                n_dict = max(len(c.dictionary) for c in col.chunks) if col.num_chunks else 0
                if n_dict < 128:
                    col = col.cast(pa.dictionary(pa.int8(), t))
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _small_int(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """``col`` as int8/16/32 when that is exact (else unchanged)."""
    mm = pc.min_max(col).as_py()
    lo, hi = mm["min"], mm["max"]
    if lo is None or not (lo >= -(1 << 31) and hi < (1 << 31)):
        return col
    if pa.types.is_floating(col.type):
        head = col.slice(0, 2048).to_numpy(zero_copy_only=False)
        if not np.all(np.isnan(head) | (np.floor(head) == head)):
            return col
        v = col.to_numpy(zero_copy_only=False) if col.num_chunks == 1 else None
        if v is None or np.signbit(v[v == 0]).any():
            return col  # -0.0 would come back as 0.0
    for nt, bound in ((pa.int8(), 1 << 7), (pa.int16(), 1 << 15), (pa.int32(), 1 << 31)):
        if -bound <= lo and hi < bound:
            try:
                return pc.cast(col, nt)  # safe cast: raises on a fraction, NaN or infinity
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return col
    return col  # pragma: no cover


def restore(col: pa.ChunkedArray, orig: pa.DataType | None) -> pa.ChunkedArray:
    """A column of :func:`compact` back in its input type ``orig`` (NaN as null, as pandas reads it)."""
    t = col.type
    if orig is not None and t != orig:
        return pc.cast(col, orig)
    if pa.types.is_floating(t) and col.null_count != len(col):
        # NaN becomes null, as in a pandas round trip
        isn = pc.is_nan(col)
        if pc.any(isn).as_py():
            return pc.if_else(isn, pa.scalar(None, t), col)
    return col
