"""64-bit FNV-1a hashes of ids and unit names, vectorised over Arrow string arrays."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from riskgrade.engine.core import string_offsets

__all__ = ["id_hashes"]


MUL = np.uint64(0x100000001B3)  # FNV-1a 64-bit prime


BASIS = np.uint64(0xCBF29CE484222325)  # FNV-1a 64-bit offset basis


def id_hashes(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """64-bit FNV-1a hashes of the UTF-8 bytes of each id, vectorised (nulls: the empty id).

    The hash of a value depends on its bytes only (not on the batch it is in), so the
    stream engine can spill ids as 8-byte hashes and compare only the ids whose hashes
    repeat. Rows are grouped by byte length and each group is hashed one byte column at
    a time (Fowler, Noll and Vo, FNV-1a: ``h = (h ^ byte) * prime`` modulo 2**64), so the
    Python work is per distinct length, not per row.
    """
    if isinstance(ids, pa.ChunkedArray):
        parts = [id_hashes(c) for c in ids.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
    if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        ids = pc.cast(ids, pa.string())
    n = len(ids)
    out = np.full(n, BASIS, dtype=np.uint64)
    got = string_offsets(ids)
    if got is None or n == 0:
        return out
    off, data = got
    buf = np.frombuffer(data, dtype=np.uint8)
    start = off[:-1].astype(np.int64)
    length = np.diff(off).astype(np.int64)
    if ids.null_count:
        valid = np.asarray(ids.is_valid())
        length = np.where(valid, length, 0)
    with np.errstate(over="ignore"):
        for L in np.unique(length):
            if L == 0:
                continue
            rows = np.flatnonzero(length == L)
            h = out[rows]
            first = start[rows]
            for k in range(int(L)):
                h ^= buf[first + k].astype(np.uint64)
                h *= MUL
            out[rows] = h
    return out
