"""Stitched Parquet row groups (:mod:`riskgrade.engine.parquet`): the serial writer's bytes."""

from __future__ import annotations

import filecmp
import io
import itertools
import math
import struct
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import riskgrade.engine.batch as engine_mod
import riskgrade.engine.output as output_mod
from conftest import write_inventory_csv
from riskgrade.engine import grade_file
from riskgrade.engine.parquet import RowGroupStitcher, encode_row_group
from riskgrade.engine.writers import Writer
from riskgrade.io import PARQUET_OPTIONS


def _serial(parts: list[pa.Table], schema: pa.Schema, **options) -> bytes:
    """What ``pyarrow.parquet.ParquetWriter`` writes given the parts one after another."""
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, schema, **options) as w:
        for p in parts:
            w.write_table(p)
    return sink.getvalue().to_pybytes()


def _stitched(parts: list[pa.Table], schema: pa.Schema, **options) -> bytes:
    out = io.BytesIO()
    s = RowGroupStitcher(out)
    for p in parts:
        s.add(encode_row_group(p, schema, **options))
    s.close()
    return out.getvalue()


def _mixed(n: int, seed: int) -> pa.Table:
    """bool, int, float (NaN and nulls), text (nulls), dictionary-encoded text; schema metadata."""
    rng = np.random.default_rng(seed)
    null = rng.random(n) < 0.2
    f = rng.standard_normal(n)
    f[rng.random(n) < 0.1] = np.nan
    words = np.array(["post", "division", "unit", "duties", "é,\"x"])
    t = pa.table({
        "flag": pa.array(rng.random(n) < 0.5, mask=null),
        "count": pa.array(rng.integers(-(10**12), 10**12, n), mask=np.roll(null, 1)),
        "small": pa.array(rng.integers(0, 5, n).astype(np.int8)),
        "x": pa.array(f, mask=np.roll(null, 2)),
        "label": pa.array([f"r{i}" for i in rng.integers(0, 10**6, n)], mask=np.roll(null, 3)),
        "scope": pa.array(words[rng.integers(0, len(words), n)]).dictionary_encode(),
    })
    return t.replace_schema_metadata({b"riskgrade": b'{"config_sha256": "abc"}', b"k": b"v"})


def _cut(t: pa.Table, cuts: list[int]) -> list[pa.Table]:
    edges = [0, *sorted(cuts), t.num_rows]
    return [t.slice(a, b - a) for a, b in itertools.pairwise(edges)]


def _rows(t: pa.Table) -> list[tuple]:
    """Rows as tuples, NaN as a marker (so NaN equals NaN and differs from null)."""
    return [tuple("NaN" if isinstance(v, float) and math.isnan(v) else v for v in r.values())
            for r in t.to_pylist()]


# ---------------------------------------------------------------------------------- same bytes
_OPTIONS = [
    {},
    PARQUET_OPTIONS,
    {**PARQUET_OPTIONS, "data_page_size": 256, "max_rows_per_page": 7},  # several pages per chunk
    {"version": "1.0", "use_dictionary": False, "write_statistics": False, "compression": "none"},
    {"data_page_version": "2.0", "write_page_checksum": True, "sorting_columns": [pq.SortingColumn(1)]},
    {"use_dictionary": ["label"], "column_encoding": {"count": "DELTA_BINARY_PACKED"}},
]


@pytest.mark.parametrize("options", _OPTIONS, ids=range(len(_OPTIONS)))
def test_many_parts_same_bytes_as_serial_writer(options):
    """Twenty parts (one empty) of mixed columns: stitched bytes equal the serial writer's bytes.

    More than 14 row groups, so the footer's row-group list uses the long list header.
    Each options set is given to both paths (the writer's and :func:`encode_row_group`).
    """
    t = _mixed(700, 1)
    parts = _cut(t, [1, 2, 40, 41, 41, 100, 150, 151, 200, 260, 300, 333, 400, 401, 460, 500, 600, 650, 699])
    schema = t.schema
    got = _stitched(parts, schema, **options)
    assert got == _serial(parts, schema, **options)
    md = pq.ParquetFile(io.BytesIO(got)).metadata
    assert md.num_row_groups == 20
    assert md.num_rows == 700


def test_part_with_several_row_groups():
    """A part longer than the writer's default row-group length is several row groups, stitched alike.

    One-byte zeros keep the 1,048,586-row part cheap to encode.
    """
    big = pa.table({"z": pa.array(np.zeros((1 << 20) + 10, dtype=np.int8))})
    assert pq.ParquetFile(pa.BufferReader(encode_row_group(big, big.schema))).metadata.num_row_groups > 1
    parts = [big.slice(0, 5), big, big.slice(3, 7)]
    got = _stitched(parts, big.schema, **PARQUET_OPTIONS)
    assert got == _serial(parts, big.schema, **PARQUET_OPTIONS)


@st.composite
def _table_and_cuts(draw) -> tuple[pa.Table, list[int]]:
    n = draw(st.integers(0, 30))

    def col(values):
        return draw(st.lists(st.none() | values, min_size=n, max_size=n))

    cols = {
        "b": pa.array(col(st.booleans()), pa.bool_()),
        "i": pa.array(col(st.integers(-(2**63), 2**63 - 1)), pa.int64()),
        "f": pa.array(col(st.floats()), pa.float64()),
        "s": pa.array(col(st.text(max_size=5)), pa.string()),
    }
    cols["d"] = cols["s"].dictionary_encode()
    keep = draw(st.lists(st.sampled_from(sorted(cols)), min_size=1, max_size=5, unique=True))
    t = pa.table({k: cols[k] for k in keep})
    if draw(st.booleans()):
        t = t.replace_schema_metadata({"m": draw(st.text(max_size=20))})
    return t, draw(st.lists(st.integers(0, n), max_size=20))


@settings(max_examples=40, deadline=None)
@given(tc=_table_and_cuts(), riskgrade_options=st.booleans())
def test_random_tables_random_cuts_same_bytes(tc, riskgrade_options):
    """Random small tables (any column subset, nulls, NaN, infinities) cut anywhere: same bytes."""
    t, cuts = tc
    options = PARQUET_OPTIONS if riskgrade_options else {}
    parts = _cut(t, cuts)
    got = _stitched(parts, t.schema, **options)
    assert got == _serial(parts, t.schema, **options)
    back = pq.read_table(io.BytesIO(got))
    assert back.schema.equals(t.schema, check_metadata=True)
    assert _rows(back) == _rows(t)


def test_reads_back_with_offsets_inside_the_file():
    """The stitched file reads back as the parts joined; each row group as its part.

    The column chunks' offsets (dictionary page, then data page) increase through the
    file, each chunk starts where the previous one ended (the pages are copied
    back to back) and the last ends where the footer begins.
    """
    t = _mixed(500, 2)
    parts = _cut(t, [10, 20, 30, 130, 260, 261, 400])
    data = _stitched(parts, t.schema, **PARQUET_OPTIONS)
    pf = pq.ParquetFile(io.BytesIO(data))
    back = pf.read()
    assert back.schema.equals(t.schema, check_metadata=True)
    assert _rows(back) == _rows(t)
    for i, p in enumerate(parts):
        assert _rows(pf.read_row_group(i)) == _rows(p)
    footer_len = struct.unpack("<I", data[-8:-4])[0]
    end = 4
    md = pf.metadata
    for i in range(md.num_row_groups):
        for j in range(md.num_columns):
            c = md.row_group(i).column(j)
            start = c.dictionary_page_offset if c.has_dictionary_page else c.data_page_offset
            assert start == end
            if c.has_dictionary_page:
                assert c.dictionary_page_offset < c.data_page_offset
            end = start + c.total_compressed_size
    assert end == len(data) - 8 - footer_len


# ---------------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("options", [
    {"write_page_index": True},
    {"bloom_filter_options": {"count": {"ndv": 100, "fpp": 0.05}}},
], ids=["page_index", "bloom_filter"])
def test_page_index_or_bloom_filter_refused(options):
    """Page indexes and bloom filters live after the row groups, outside the copied bytes: refused."""
    t = _mixed(50, 3)
    s = RowGroupStitcher(io.BytesIO())
    with pytest.raises(ValueError, match="page index or bloom filters"):
        s.add(encode_row_group(t, t.schema, **options))


def test_close_without_parts_refused():
    """A file needs the schema of at least one part: closing an empty stitcher raises."""
    with pytest.raises(ValueError, match="no row group"):
        RowGroupStitcher(io.BytesIO()).close()


def test_not_parquet_refused():
    """Buffers without the ``PAR1`` magic at both ends (text, too short, truncated) are refused."""
    t = _mixed(20, 4)
    good = encode_row_group(t, t.schema).to_pybytes()
    for bad in (b"", b"PAR1", b"risk_point_id,unit_id\nr1,U1\n", good[:-1], b"XXXX" + good[4:]):
        with pytest.raises(ValueError, match="not a Parquet file"):
            RowGroupStitcher(io.BytesIO()).add(bad)


# ---------------------------------------------------------------------------------- engine
class _SerialWriter(Writer):
    """The engine's writer with ``pyarrow.parquet.ParquetWriter`` in the calling thread."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **{**kwargs, "stitch": False})


@pytest.fixture(scope="module")
def inv_csv(tmp_path_factory) -> Path:
    return write_inventory_csv(tmp_path_factory.mktemp("pq") / "inv.csv", 1500, 25, 9)


@pytest.mark.parametrize(("engine", "limit"), [("local", None), ("stream", "200KB")])
def test_engine_stitched_file_same_bytes_as_serial(inv_csv, tmp_path, monkeypatch, engine, limit):
    """``grade_file`` to ``.parquet`` writes the same bytes with stitched or serially written row groups.

    Row groups of at least 60 rows (local) or one per 4,000-byte batch (stream) give
    more than 15 row groups; the default run is checked to go through the stitcher.
    """
    monkeypatch.setattr(output_mod, "_GROUP_ROWS", 60)
    added = []
    real_add = RowGroupStitcher.add

    def add(self, part):
        added.append(1)
        return real_add(self, part)

    monkeypatch.setattr(RowGroupStitcher, "add", add)
    stitched, serial = tmp_path / "stitched.parquet", tmp_path / "serial.parquet"
    grade_file(inv_csv, stitched, engine=engine, batch_bytes=4000, memory_limit=limit)
    n_added = len(added)
    monkeypatch.setattr(engine_mod, "Writer", _SerialWriter)
    grade_file(inv_csv, serial, engine=engine, batch_bytes=4000, memory_limit=limit)
    assert len(added) == n_added
    md = pq.ParquetFile(stitched).metadata
    assert n_added == md.num_row_groups > 15
    assert md.num_rows == 1500
    assert filecmp.cmp(stitched, serial, shallow=False)
