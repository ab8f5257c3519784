"""Unit codes and id hashes of the batch engines (``UnitCodes``, ``id_hashes``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

import riskgrade.engine.ids as engine_ids
from riskgrade.engine.ids import id_hashes
from riskgrade.engine.units import UnitCodes


def _fnv1a_64(data: bytes) -> int:
    """FNV-1a, 64 bits, written from its definition (one byte at a time)."""
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) % (1 << 64)
    return h


def test_fnv1a_published_vectors():
    """FNV-1a 64-bit test vectors of Eastlake, Hansen, Fowler, Vo and Noll, "The FNV
    Non-Cryptographic Hash Algorithm" (IETF draft-eastlake-fnv, test vectors section):
    "" -> cbf29ce484222325, "a" -> af63dc4c8601ec8c, "foobar" -> 85944171f73967e8."""
    got = id_hashes(pa.array(["", "a", "foobar"]))
    assert [int(x) for x in got] == [0xCBF29CE484222325, 0xAF63DC4C8601EC8C, 0x85944171F73967E8]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=60), st.integers(0, 5))
def test_id_hashes_match_definition_any_slice(values, cut):
    """Every row's hash is FNV-1a of its UTF-8 bytes (nulls: the empty string), also for a
    sliced array (non-zero offset) and for ``large_string``."""
    arr = pa.array(values, type=pa.string())
    want = [_fnv1a_64((v or "").encode("utf-8")) for v in values]
    assert [int(x) for x in id_hashes(arr)] == want
    assert [int(x) for x in id_hashes(arr.slice(min(cut, len(values))))] == want[min(cut, len(values)):]
    assert [int(x) for x in id_hashes(arr.cast(pa.large_string()))] == want


def _codes(units: UnitCodes, batches: list[list[str]]) -> np.ndarray:
    out = [units.codes(pa.array(b, type=pa.string())) for b in batches if b]
    return np.concatenate(out) if out else np.zeros(0, np.int32)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["U1", "U2", "单位3", "U10", "x", "U1 "]), max_size=80),
       st.lists(st.integers(1, 20), min_size=1, max_size=6))
def test_codes_are_first_appearance_order_for_any_batching(values, sizes):
    """Dense codes in order of first appearance (as ``pandas.factorize``), whatever the
    batch boundaries; a second pass over the same batches gives the same codes."""
    batches, a = [], 0
    for k in sizes * 20:
        if a >= len(values):
            break
        batches.append(values[a: a + k])
        a += k
    units = UnitCodes()
    first = _codes(units, batches)
    want = pd.factorize(pd.Series(values, dtype=object))[0]
    assert first.tolist() == want.tolist()
    assert _codes(units, batches).tolist() == want.tolist()
    assert units.values == list(dict.fromkeys(values))


def test_shared_hash_falls_back_to_text(monkeypatch):
    """Two different units with one hash keep different codes: every text unit is given
    the same hash here, so each match fails the text comparison and the exact lookup runs."""
    monkeypatch.setattr(engine_ids, "id_hashes", lambda arr: np.zeros(len(arr), dtype=np.uint64))
    units = UnitCodes()
    got = _codes(units, [["A", "B", "A"], ["C", "B"], ["A", "D"]])
    assert got.tolist() == [0, 1, 0, 2, 1, 0, 3]
    assert units.values == ["A", "B", "C", "D"]


def test_units_that_are_not_text():
    """Integer units use the exact path and the same first-appearance codes."""
    units = UnitCodes()
    assert units.codes(pa.array([5, 3, 5])).tolist() == [0, 1, 0]
    assert units.codes(pa.array([7, 3])).tolist() == [2, 1]
    assert units.values == [5, 3, 7]
