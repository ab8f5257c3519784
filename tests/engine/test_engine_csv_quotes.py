"""Block cuts outside quoted values: the parallel reader returns what a serial reader returns.

Quoted cells holding ``\\n``, ``\\r``, ``\\r\\n``, commas and doubled quotes are placed at
block edges by using block sizes of a few bytes; the expected rows come from Python's
``csv`` module (RFC 4180 files) or from pyarrow's serial reader (any bytes).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskgrade.engine.csv_blocks import PARSE_OPTIONS, Tail, parallel_csv_tables, read_csv_table, row_blocks

_SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])

_pieces = st.sampled_from(["a", "é", ",", '"', "\n", "\r", "\r\n", " ", "1"])
_cells = st.lists(_pieces, max_size=8).map("".join)


def _field(cell: str, quote_all: bool) -> str:
    if quote_all or any(c in cell for c in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


@st.composite
def _rfc_file(draw) -> bytes:
    """An RFC 4180 file (minimal or full quoting, LF or CRLF row ends, BOM or not)."""
    n_cols = draw(st.integers(2, 4))
    rows = draw(st.lists(st.lists(_cells, min_size=n_cols, max_size=n_cols), min_size=1, max_size=25))
    quote_all = draw(st.booleans())
    end = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [",".join(f"c{i}" for i in range(n_cols))]
    lines += [",".join(_field(c, quote_all) for c in r) for r in rows]
    data = (end.join(lines) + (end if draw(st.booleans()) else "")).encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return data


def _parallel(path: Path, block_size: int, threads: int, types: dict | None = None) -> pa.Table:
    tables = parallel_csv_tables(path, block_size=block_size, column_types=types or {}, threads=threads)
    if tables is None:  # declined: the caller reads serially
        return _serial(path, types)
    return pa.concat_tables(list(tables)).combine_chunks()


def _serial(path: Path, types: dict | None = None) -> pa.Table:
    src = pa.OSFile(str(path))
    with src:
        return pacsv.open_csv(src, parse_options=PARSE_OPTIONS,
                              convert_options=pacsv.ConvertOptions(column_types=types or {},
                                                                   strings_can_be_null=True)
                              ).read_all().combine_chunks()


@_SETTINGS
@given(f=_rfc_file(), block_size=st.integers(1, 120), threads=st.sampled_from([1, 2]))
def test_rfc_cells_across_block_edges_equal_csv_module(tmp_path, f, block_size, threads):
    """Every cell comes back as Python's ``csv`` module reads it, whatever the block size.

    Cells hold line ends of every kind, commas and quotes; with block sizes of 1 to 120
    bytes the blocks' raw ends fall inside quoted cells. Empty cells are null (pyarrow's
    ``strings_can_be_null``); rows that are all empty are lines the readers skip.
    """
    data = f
    path = tmp_path / "q.csv"
    path.write_bytes(data)
    names = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")).__next__()
    types = dict.fromkeys(names, pa.string())
    got = _parallel(path, block_size, threads, types)
    want_rows = [r for r in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))][1:]
    want_rows = [r for r in want_rows if r not in ([], [""])]
    assert got.column_names == names
    got_rows = [[d[c] for c in names] for d in got.to_pylist()]
    assert got_rows == [[v if v != "" else None for v in r] for r in want_rows]


_tokens = st.sampled_from([b'"', b",", b"\n", b"\r", b"\r\n", b"a", b"1", b" ", b'""', b"\xef\xbb\xbf"])


@_SETTINGS
@given(body=st.lists(_tokens, max_size=60), block_size=st.integers(1, 40), threads=st.sampled_from([1, 2]))
def test_any_bytes_same_as_serial_reader(tmp_path, body, block_size, threads):
    """On any bytes (stray quotes inside unquoted fields too) the result is the serial reader's.

    Both raise ``pyarrow.ArrowInvalid`` or both give the same table, column types
    inferred: :func:`read_csv_table` (the reader of ``validate`` and ``score``) against
    ``pyarrow.csv.read_csv`` of the whole file.
    """
    data = b"h1,h2\n" + b"".join(body)
    path = tmp_path / "b.csv"
    path.write_bytes(data)
    try:
        want = pacsv.read_csv(path, parse_options=PARSE_OPTIONS,
                              convert_options=pacsv.ConvertOptions(strings_can_be_null=True)).combine_chunks()
    except pa.ArrowInvalid:
        with pytest.raises(pa.ArrowInvalid):
            read_csv_table(path, encoding="utf-8", column_types={}, block_size=block_size, threads=threads)
        return
    got = read_csv_table(path, encoding="utf-8", column_types={}, block_size=block_size,
                         threads=threads).combine_chunks()
    assert got.schema == want.schema
    assert got.equals(want)


def test_cut_never_inside_a_quoted_value():
    """A block's raw end inside a two-line quoted cell moves the cut to before that row."""
    data = b'id,note\n1,"first\n2,looks like a row"\n3,x\n'
    blocks = list(row_blocks(io.BytesIO(data), 12))
    assert b"".join(blocks) == data
    assert blocks[0] == b"id,note\n"
    assert all(b'"first\n' not in b or b.endswith(b'row"\n') or b.endswith(b'row"\n3,x\n') for b in blocks)


def test_stray_quote_hands_the_rest_to_the_serial_reader(tmp_path):
    """A quote inside an unquoted field breaks the count: the rest is read serially, same rows."""
    data = b"id,note\n" + b"".join(b"%d,plain\n" % i for i in range(50)) + b'50,ab"c\n51,"x\ny"\n52,z\n'
    blocks = list(row_blocks(io.BytesIO(data), 64))
    assert isinstance(blocks[-1], Tail)
    assert b"".join(b for b in blocks if not isinstance(b, Tail)) == data[: int(blocks[-1])]
    path = tmp_path / "s.csv"
    path.write_bytes(data)
    got = _parallel(path, 64, 2)
    assert got.equals(_serial(path))
    assert got.column("note").to_pylist()[-3:] == ['ab"c', "x\ny", "z"]


@pytest.mark.parametrize("engine", ["local", "stream"])
def test_engine_multiline_cells_at_many_block_edges(tmp_path, engine):
    """Grading a CSV with multi-line, quoted cells in 4,000-byte blocks gives the Parquet input's grades.

    One row in three has a description holding ``\\n``, ``\\r\\n``, commas and quotes, so
    most block ends fall near such a cell. The same inventory as Parquet (not read by the
    CSV reader) is the reference: same ids in the same order, same levels, scores and text.
    """
    from riskgrade.datasets import make_inventory
    from riskgrade.engine import grade_file
    from riskgrade.io import write_frame

    inv = make_inventory(1500, n_units=25, seed=9)
    odd = ['a\nb', 'x,"y"\r\nz', '"quoted"\n', 'line\r\n"RP9,U1"']
    inv["description"] = [odd[i % 4] if i % 3 == 0 else d for i, d in enumerate(inv["description"])]
    csv_in, pq_in = tmp_path / "inv.csv", tmp_path / "inv.parquet"
    write_frame(inv, csv_in)
    write_frame(inv, pq_in)
    cols = ["risk_point_id", "description", "score", "level", "rank_in_unit"]
    got = grade_file(csv_in, tmp_path / "a.parquet", engine=engine, batch_bytes=4000, memory_limit="2MB")
    want = grade_file(pq_in, tmp_path / "b.parquet", engine=engine, batch_bytes=4000, memory_limit="2MB")
    assert got.rows_in == want.rows_in == 1500
    import pyarrow.parquet as pq

    a = pq.read_table(tmp_path / "a.parquet", columns=cols)
    b = pq.read_table(tmp_path / "b.parquet", columns=cols)
    assert a.to_pydict() == b.to_pydict()  # the Parquet input keeps large_string text
