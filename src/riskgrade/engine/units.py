"""Dense codes of the quota units (``unit_id`` values) in order of first appearance."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["UnitCodes"]


class UnitCodes:
    """Unit value -> dense code in order of first appearance (only equality is used).

    Text units are looked up by their 64-bit FNV-1a hash in a sorted array (one binary
    search per *distinct* unit of a batch, vectorised); every match is then confirmed by
    comparing the text, so two units sharing a hash cannot be merged: a batch where a
    comparison fails, and units that are not text, take the exact path (Arrow's
    ``index_in`` against every known unit).
    """

    def __init__(self) -> None:
        self._n = 0
        self._hs = np.zeros(0, dtype=np.uint64)  # sorted hashes of the known text units
        self._hc = np.zeros(0, dtype=np.int64)  # their codes
        self._new: list[pa.Array] = []
        self._known: pa.Array | None = None

    @property
    def known(self) -> pa.Array | None:
        """The unit values in code order (``None`` before the first batch)."""
        if self._new:
            parts = ([self._known] if self._known is not None else []) + self._new
            self._known = pa.concat_arrays(parts)
            self._new = []
        return self._known

    @property
    def values(self) -> list[Any]:
        """The unit values in code order, as Python objects."""
        known = self.known
        return known.to_pylist() if known is not None else []

    def __len__(self) -> int:
        return self._n

    def codes(self, col: pa.ChunkedArray | pa.Array) -> np.ndarray:
        """Codes of a column's units, new units added in order of appearance."""
        return self.merge(self.encode(col))

    @staticmethod
    def encode(col: pa.ChunkedArray | pa.Array) -> pa.DictionaryArray:
        """Dictionary encoding of one batch's units (thread-safe: no state)."""
        enc = pc.dictionary_encode(col)
        if isinstance(enc, pa.ChunkedArray):
            enc = enc.combine_chunks()
        if pa.types.is_large_string(enc.dictionary.type):
            enc = pa.DictionaryArray.from_arrays(enc.indices, enc.dictionary.cast(pa.string()))
        return enc

    @staticmethod
    def hashes(enc: pa.DictionaryArray) -> np.ndarray | None:
        """Hashes of an encoded batch's distinct units (thread-safe; ``None``: not text)."""
        from riskgrade.engine.hashing import id_hashes

        return id_hashes(enc.dictionary) if pa.types.is_string(enc.dictionary.type) else None

    def merge(self, enc: pa.DictionaryArray, h: np.ndarray | None = None) -> np.ndarray:
        """Dense codes of an encoded batch; new values get the next codes (in batch order).

        ``h`` are the batch's :meth:`hashes` when already computed (in a worker thread).
        """
        dic = enc.dictionary
        if h is None:
            h = self.hashes(enc)
        pos = None if h is None else self._by_hash(dic, h)
        if pos is None:
            pos = self._exact(dic)
        fresh = pos < 0
        if fresh.any():
            k = int(fresh.sum())
            pos[fresh] = np.arange(self._n, self._n + k)
            self._n += k
            self._new.append(dic if k == len(dic) else dic.filter(pa.array(fresh)))
            if h is not None:
                hs = np.concatenate([self._hs, h[fresh]])
                hc = np.concatenate([self._hc, pos[fresh]])
                o = np.argsort(hs, kind="stable")
                self._hs, self._hc = hs[o], hc[o]
        lut = pos.astype(np.int32)
        idx = enc.indices.to_numpy(zero_copy_only=False)
        return lut[idx]

    def _by_hash(self, dic: pa.Array, h: np.ndarray) -> np.ndarray | None:
        """Codes by hash (-1: new); ``None`` when a match is not the same text."""
        pos = np.full(len(h), -1, dtype=np.int64)
        if len(self._hs):
            at = np.minimum(np.searchsorted(self._hs, h), len(self._hs) - 1)
            found = self._hs[at] == h
            if found.any():
                pos[found] = self._hc[at[found]]
                mask = pa.array(found)
                same = pc.equal(pc.take(self.known, pa.array(pos[found])), dic.filter(mask))
                if not pc.all(same).as_py():
                    return None
        new_h = h[pos < 0]
        if len(np.unique(new_h)) != len(new_h):
            return None  # two new units share a hash
        return pos

    def _exact(self, dic: pa.Array) -> np.ndarray:
        """Codes by Arrow's ``index_in`` against every known unit (-1: new)."""
        known = self.known
        if known is None or len(dic) == 0:
            return np.full(len(dic), -1, dtype=np.int64)
        got = pc.index_in(dic, value_set=known)
        return pc.fill_null(got, -1).to_numpy(zero_copy_only=False).astype(np.int64)

    def lookup(self, col: pa.ChunkedArray | pa.Array) -> np.ndarray:
        """Codes of a column's units (as :meth:`codes`)."""
        return self.codes(col)
