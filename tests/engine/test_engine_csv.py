"""Parallel CSV reading (:mod:`riskgrade.engine.csv_blocks`): line blocks, same table as pyarrow's readers."""

from __future__ import annotations

import filecmp
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade.engine.batch as engine_mod
import riskgrade.engine.csv_blocks as csv_mod
from conftest import write_inventory_csv
from riskgrade.engine import grade_file
from riskgrade.engine.csv_blocks import parallel_csv_tables, row_blocks
from riskgrade.engine.sources import Source

_CONVERT = pacsv.ConvertOptions(strings_can_be_null=True)  # the options parallel_csv_tables uses


# ---------------------------------------------------------------------------------- row_blocks
_line = st.tuples(
    st.one_of(st.binary(max_size=12), st.binary(min_size=60, max_size=150))
    .map(lambda b: b.replace(b"\n", b"").replace(b'"', b"")),
    st.sampled_from([b"\n", b"\r\n"]),
)


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(_line, max_size=30),
    tail=st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"").replace(b'"', b"")),
    block_size=st.integers(1, 64),
)
def test_row_blocks_cut_whole_lines(lines, tail, block_size):
    r"""Without quotes: blocks join to the file; each but the last ends with ``\n``; none is empty; bounded.

    The content mixes empty lines, ``\r\n`` endings, lines longer than the block size and
    a last line without a line end. A block holds at most one read of ``block_size``
    bytes plus the partial line carried over from earlier reads, so its length is at most
    ``block_size`` plus the longest line.
    """
    content = b"".join(a + e for a, e in lines) + tail
    blocks = list(row_blocks(io.BytesIO(content), block_size))
    assert b"".join(blocks) == content
    assert all(blocks)
    assert all(b.endswith(b"\n") for b in blocks[:-1])
    longest = max([len(a + e) for a, e in lines] + [len(tail)])
    assert all(len(b) <= block_size + longest for b in blocks)
    if content and not tail:
        assert blocks[-1].endswith(b"\n")


# ---------------------------------------------------------------------------------- tables
def _cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if ("," in text or '"' in text) else text


_ints = st.integers(-(2**63), 2**63 - 1)
_floats = st.floats(allow_nan=False, allow_infinity=False)
_texts = st.text(alphabet='ab ,"xé', max_size=6).map(lambda s: "s" + s)  # never a number or a null


@st.composite
def _csv_text(draw) -> bytes:
    """A CSV file: int, float and text columns; the first row full, later rows with empty cells.

    The first data row has a value of every column's type, so the types inferred from the
    first block holding a row equal those inferred from the whole file.
    """
    rows = [(draw(_ints), draw(_floats), draw(_texts))]
    for _ in range(draw(st.integers(0, 40))):
        rows.append((draw(st.none() | _ints), draw(st.none() | _floats), draw(st.none() | _texts)))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    out = ["count,amount,label" + end]
    for i, f, s in rows:
        out.append(",".join(["" if i is None else str(i), "" if f is None else repr(f),
                             "" if s is None else _cell(s)]) + end)
        if draw(st.integers(0, 9)) == 0:
            out.append(end)  # an empty line: skipped by every reader
    text = "".join(out)
    if draw(st.booleans()):
        text = text[: -len(end)]  # the last line without a line end
    return text.encode("utf-8")


def _parallel(path: Path, block_size: int, threads: int, column_types=None) -> pa.Table:
    tables = parallel_csv_tables(path, block_size=block_size, column_types=column_types or {},
                                 threads=threads)
    assert tables is not None
    return pa.concat_tables(list(tables)).combine_chunks()


def _whole(path: Path, column_types=None) -> pa.Table:
    conv = pacsv.ConvertOptions(column_types=column_types or {}, strings_can_be_null=True)
    return pacsv.read_csv(path, convert_options=conv).combine_chunks()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_csv_text(), block_size=st.integers(1, 400), threads=st.sampled_from([1, 2]),
       typed=st.booleans())
def test_same_table_as_whole_file_read(tmp_path, data, block_size, threads, typed):
    """Blocks parsed in threads give the table that one ``read_csv`` of the whole file gives.

    Same column names, types, rows (in file order) and values, for block sizes from one
    byte (every line its own block, the header alone in the first) to the whole file,
    with and without ``column_types`` for some columns (the others inferred).
    """
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    types = {"count": pa.float64(), "label": pa.large_string()} if typed else None
    got = _parallel(path, block_size, threads, types)
    want = _whole(path, types)
    assert got.schema == want.schema
    assert got.equals(want)


@pytest.mark.parametrize("block_size", [1, 12, 24, 1 << 20])
def test_header_without_rows_in_first_block_types_from_next(tmp_path, block_size):
    """Types come from the first block that holds a row, as in pyarrow's streaming reader.

    With a block smaller than the header line, or a header followed by empty lines, the
    first block holds no row; inferring from it would type every column ``null`` and fail
    on the first value. ``pyarrow.csv.open_csv`` with a first block of exactly the header
    and the empty lines (24 bytes) infers from the next block.
    """
    path = tmp_path / "t.csv"
    head = b"a_long_column_name,b\n\n\n\n"
    path.write_bytes(head + b"".join(b"%d,x%d\n" % (i, i) for i in range(50)))
    got = _parallel(path, block_size, 2)
    stream = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=len(head)),
                            convert_options=_CONVERT).read_all().combine_chunks()
    assert got.schema.types == [pa.int64(), pa.string()]
    assert got.equals(stream)
    assert got.equals(_whole(path))


def test_utf8_bom_and_finish(tmp_path):
    """A UTF-8 byte-order mark is not part of the first column name; ``finish`` sees every table."""
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffid,wert\n".encode() + b"".join(b"r%d,%d\n" % (i, i) for i in range(300)))
    tables = parallel_csv_tables(path, block_size=256, column_types={}, threads=2,
                                 finish=lambda t: t.rename_columns([c.upper() for c in t.column_names]))
    assert tables is not None
    parts = list(tables)
    assert len(parts) > 5
    assert all(t.column_names == ["ID", "WERT"] for t in parts)
    got = pa.concat_tables(parts).combine_chunks()
    assert got.equals(_whole(path).rename_columns(["ID", "WERT"]))


@pytest.mark.parametrize("content", [b"a,b\n", b"a,b\r\n\r\n\n"])
def test_header_only(tmp_path, content):
    """A file with a header and no rows: one empty table, columns typed ``null`` like ``read_csv``."""
    path = tmp_path / "h.csv"
    path.write_bytes(content)
    got = _parallel(path, 2, 2)
    assert got.num_rows == 0
    assert got.schema == _whole(path).schema


def test_value_that_does_not_fit_raises_later(tmp_path):
    """A value that does not fit the type inferred from the first block raises when its block is reached.

    ``count`` is int64 in the first block; ``abc`` near the end of the file raises
    ``pyarrow.ArrowInvalid`` while iterating, after the earlier blocks were delivered, as
    the streaming reader does (the engine then pins the types and reads again).
    """
    path = tmp_path / "late.csv"
    rows = [b"%d,r%d\n" % (i, i) for i in range(2000)]
    rows[1990] = b"abc,r1990\n"
    path.write_bytes(b"count,id\n" + b"".join(rows))
    tables = parallel_csv_tables(path, block_size=256, column_types={}, threads=2)
    assert tables is not None
    first = next(tables)
    assert first.schema.field("count").type == pa.int64()
    seen = first.num_rows
    with pytest.raises(pa.ArrowInvalid, match="abc"):
        for t in tables:
            seen += t.num_rows
    assert first.num_rows < seen < 1990
    with pytest.raises(pa.ArrowInvalid):
        pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=256)).read_all()


@pytest.mark.parametrize("content", [b"a,b\r1,2\r3,4\r", b"a,b"])
def test_no_newline_in_first_block_returns_none(tmp_path, content):
    r"""``\r`` line ends only (or a single line): ``None``, the caller uses the streaming reader."""
    path = tmp_path / "cr.csv"
    path.write_bytes(content)
    assert parallel_csv_tables(path, block_size=1 << 16, column_types={}, threads=2) is None


# ---------------------------------------------------------------------------------- engine
def _pinned_threads(n: int) -> type[Source]:
    """A ``Source`` whose ``threads`` stays ``n`` (``grade_file`` sets it after construction)."""

    class Pinned(Source):
        threads = property(lambda self: n, lambda self, value: None)

    return Pinned


@pytest.fixture(scope="module")
def inv_csv(tmp_path_factory) -> Path:
    return write_inventory_csv(tmp_path_factory.mktemp("csvpar") / "inv.csv", 1500, 25, 7)


@pytest.mark.parametrize(("engine", "limit"), [("local", None), ("stream", "200KB")])
def test_engine_same_bytes_streaming_or_parallel_reader(inv_csv, tmp_path, monkeypatch, engine, limit):
    """``grade_file`` writes the same bytes whether the CSV is read by the streaming reader or in threads.

    ``threads`` 0 uses ``pyarrow.csv.open_csv``; 2 uses :func:`parallel_csv_tables`
    (checked by counting its calls). ``batch_bytes`` of 4,000 cuts the 1,500-row file
    into about 60 blocks.
    """
    calls = []
    real = csv_mod.parallel_csv_tables

    def counted(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(csv_mod, "parallel_csv_tables", counted)
    outs = {}
    for threads in (0, 2):
        monkeypatch.setattr(engine_mod, "Source", _pinned_threads(threads))
        outs[threads] = tmp_path / f"t{threads}.csv"
        grade_file(inv_csv, outs[threads], engine=engine, batch_bytes=4000, memory_limit=limit)
        assert calls == ([] if threads == 0 else [True] * len(calls)) and (threads == 0 or calls)
    assert filecmp.cmp(outs[0], outs[2], shallow=False)
    assert filecmp.cmp(f"{outs[0]}.meta.json", f"{outs[2]}.meta.json", shallow=False)
