r"""Reading CSV files: blocks cut between rows (never inside a quoted value), parsed in threads.

Every CSV reader of riskgrade (``read_inventory``, ``validate``, the batch engines) goes
through :func:`csv_tables`, so they all see the same rows with the same values.

pyarrow's streaming CSV reader (``pyarrow.csv.open_csv``) parses one block after
another on one core; reading the whole file at once (``pyarrow.csv.read_csv``) uses
every core but holds the whole table. :func:`parallel_csv_tables` does what the batch
engines need: bounded memory *and* every core. The file is cut into blocks of about
``block_size`` bytes that end at a row end, and the blocks are parsed by a pool of
threads (pyarrow releases the GIL) and returned in file order.

A quoted value may hold line ends, so a line end is a row end only outside quotes.
:func:`row_blocks` cuts a block at a ``\n`` only where it can prove that: from a row
start, a ``"`` opens a quoted value when it is the first byte of a field and closes it
otherwise (``""`` inside quotes is one literal quote), so the line ends with an even
number of quotes before them are row ends. That holds while every quote with an even
count before it (an opening quote) stands at the start of a field (after ``,``,
``\n``, ``\r`` or the start of the file) or right after another quote (``""``); a
quote anywhere else (``ab"c``, ``"a"b"c``) is read as a literal by pyarrow and breaks
the count, and the rest of the file is then read serially from the last proven row
start. Compressed files (gzip, zstd) and other encodings are read serially too.

The rules are those of the streaming reader with ``newlines_in_values=True``: the
column names come from the first line, the column types are inferred from the first
block holding a row (or given), and a later value that does not fit its column's type
raises ``pyarrow.ArrowInvalid``, exactly where the streaming reader would. So the rows,
their order and their values are the same; only the batch boundaries may differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from riskgrade.engine.pool import Ordered

__all__ = [
    "MAX_COLUMNS",
    "PARSE_OPTIONS",
    "TooWide",
    "column_type",
    "compression_of",
    "csv_tables",
    "failing_column",
    "open_decompressed",
    "parallel_csv_tables",
    "read_csv_table",
    "row_blocks",
    "row_ranges",
]

# quoted values may hold line ends: every reader is told so (the parsers' result is the
# same; the streaming reader then cuts its own blocks between rows too)
PARSE_OPTIONS = pacsv.ParseOptions(newlines_in_values=True)

_BOM = b"\xef\xbb\xbf"

# the most columns a file may have (Excel's limit): pyarrow's CSV parser takes more than
# linear time in the number of columns (100,000 columns x 20 rows: about 35 s, 2.2 GB),
# so wider files are refused before any parsing
MAX_COLUMNS = 16_384


class TooWide(pa.ArrowInvalid):
    """The file has more than :data:`MAX_COLUMNS` columns."""


def count_columns(path: str | Path, encoding: str) -> int:
    """Fields of the file's first line, read by Python's ``csv`` module (0: cannot tell).

    Only the first line is read (in 64 KiB steps, at most 4 MiB), so the count costs
    little memory whatever the file's size.
    """
    import codecs
    import csv
    import io

    head = b""
    try:
        with open_decompressed(path) as fh:
            while b"\n" not in head and len(head) < (1 << 22):
                more = fh.read(1 << 16)
                if not more:
                    break
                head += more
        first = head.split(b"\n", 1)[0]
        text = codecs.decode(first, encoding, errors="replace")
    except (OSError, LookupError):
        return 0
    row = next(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")), [])
    return len(row)


def check_width(path: str | Path, encoding: str) -> None:
    """Raise :class:`TooWide` for a file of more than :data:`MAX_COLUMNS` columns."""
    n = count_columns(path, encoding)
    if n > MAX_COLUMNS:
        raise TooWide(f"the file has {n} columns; riskgrade reads at most {MAX_COLUMNS} "
                      "(the column limit of Excel)")
# bytes after which a field starts: delimiter, line ends (a quote is checked separately)
_FIELD_START = np.zeros(256, dtype=bool)
_FIELD_START[[ord(","), ord("\n"), ord("\r"), ord('"')]] = True
_MAGIC = ((b"\x1f\x8b", "gzip"), (b"\x28\xb5\x2f\xfd", "zstd"))


# ---------------------------------------------------------------------------------- files
def compression_of(path: str | Path) -> str | None:
    """``"gzip"`` or ``"zstd"`` when the file's first bytes say so (whatever its name), else ``None``."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    for magic, codec in _MAGIC:
        if head.startswith(magic):
            return codec
    return None


def open_decompressed(path: str | Path) -> Any:
    """A pyarrow input stream of the file's bytes, decompressed when it is gzip or zstd."""
    codec = compression_of(path)
    return pa.input_stream(str(path), compression=codec)


# ---------------------------------------------------------------------------------- blocks
class Tail(int):
    """Offset from which the rest of the file must be read serially (a cut was not provable)."""


def _quotes(a: np.ndarray) -> np.ndarray:
    return np.flatnonzero(a == 0x22)


def _first_stray(a: np.ndarray, q: np.ndarray, start: int) -> int:
    """Position of the first opening quote (even count before it) not at a field start; -1: none."""
    op = q[0::2]
    if not len(op):
        return -1
    prev = a[np.maximum(op - 1, 0)]
    ok = _FIELD_START[prev] | (op == start)
    if ok.all():
        return -1
    return int(op[np.argmin(ok)])


def _last_row_end(data: bytes, a: np.ndarray, q: np.ndarray, end: int) -> int:
    r"""Position of the last ``\n`` before ``end`` with an even number of quotes before it (-1: none)."""
    p = data.rfind(b"\n", 0, end)
    for _ in range(8):
        if p < 0 or int(np.searchsorted(q, p)) % 2 == 0:
            return p
        p = data.rfind(b"\n", 0, p)
    nl = np.flatnonzero(a[:max(p + 1, 0)] == 0x0A)
    even = np.searchsorted(q, nl) % 2 == 0
    return int(nl[even][-1]) if even.any() else -1


def row_blocks(fh: Any, block_size: int) -> Iterator[bytes | Tail]:
    r"""Consecutive blocks of an open binary CSV file, each ending at a row end (the last: at EOF).

    Each block holds the whole rows of the next ``block_size`` bytes read (with the
    partial row left over from the previous read), so it is about ``block_size`` bytes;
    a row longer than that makes its block longer. A block is cut only at a ``\n``
    proven to be outside quoted values (see the module notes); when the quotes of the
    bytes read cannot be counted that way, the last item is a :class:`Tail`: the file
    offset where the unread rows start, to be read serially.
    """
    rest = b""
    offset = 0  # file offset of rest[0], a row start
    start = 0  # where the first field of rest starts (after a byte-order mark at the file start)
    while True:
        data = fh.read(block_size)
        if not data:
            if rest:
                yield rest
            return
        if rest:
            data = rest + data
        if offset == 0 and data.startswith(_BOM):
            start = 3
        end = len(data)
        cut = data.rfind(b"\n")
        if cut >= 0 and b'"' in data:
            a = np.frombuffer(data, dtype=np.uint8)
            q = _quotes(a)
            cut = _last_row_end(data, a, q, end)
            stray = _first_stray(a, q[: int(np.searchsorted(q, cut))], start) if cut >= 0 else -1
            if stray >= 0:  # the count holds up to the stray quote only
                cut = _last_row_end(data, a, q, stray)
                if cut >= 0:
                    yield data[: cut + 1]
                    offset += cut + 1
                yield Tail(offset)
                return
        if cut < 0:
            rest = data
            continue
        start = 0
        if cut + 1 == len(data):
            rest = b""
            offset += len(data)
            yield data
        else:
            rest = data[cut + 1:]
            offset += cut + 1
            yield data[: cut + 1]


def row_ranges(path: str | Path, block_size: int) -> tuple[int, list[tuple[int, int]]]:
    r"""Byte ranges of whole rows covering an uncompressed CSV file, cut as :func:`row_blocks` cuts.

    Parameters
    ----------
    path : path
        The CSV file (not compressed).
    block_size : int
        About how many bytes each range holds.

    Returns
    -------
    header_end : int
        Offset just after the header row (``0`` when not proven: the file is then one range).
    ranges : list of (int, int)
        ``[start, end)`` offsets, consecutive, from 0 to the file size. Every cut is at a
        ``\n`` proven to be outside quoted values; where no cut can be proven (see
        :class:`Tail`) the rest of the file is one range.
    """
    size = Path(path).stat().st_size
    ranges: list[tuple[int, int]] = []
    header_end = 0
    pos = 0
    with open(path, "rb") as fh:
        for block in row_blocks(fh, block_size):
            if isinstance(block, Tail):
                break
            if not ranges:
                header_end = _first_row_end(block) + 1
            ranges.append((pos, pos + len(block)))
            pos += len(block)
    if pos < size:
        ranges.append((pos, size))
    if header_end <= 0 or len(ranges) < 2:
        return 0, [(0, size)]
    return header_end, ranges


def _first_row_end(block: bytes) -> int:
    r"""Position of the first ``\n`` with an even number of quotes before it in a proven block (-1: none)."""
    a = np.frombuffer(block, dtype=np.uint8)
    nl = np.flatnonzero(a == 0x0A)
    even = np.searchsorted(_quotes(a), nl) % 2 == 0
    return int(nl[even][0]) if even.any() else -1


# ---------------------------------------------------------------------------------- parsing
def _read_head(buf: bytes, column_types: dict[str, pa.DataType]) -> pa.Table:
    """The header and the rows of the first block, column types inferred (or given)."""
    return pacsv.read_csv(
        pa.py_buffer(buf),
        read_options=pacsv.ReadOptions(use_threads=False, block_size=len(buf) + 1),
        parse_options=PARSE_OPTIONS,
        convert_options=pacsv.ConvertOptions(column_types=column_types, strings_can_be_null=True),
    )


def _serial_from(path: str | Path, offset: int, names: list[str], conv: pacsv.ConvertOptions,
                 block_size: int) -> Iterator[pa.RecordBatch]:
    """Rows from ``offset`` (a row start) to the end, by the streaming reader."""
    src = pa.OSFile(str(path))
    try:
        src.seek(offset)
        reader = pacsv.open_csv(
            src, read_options=pacsv.ReadOptions(column_names=names, block_size=block_size),
            parse_options=PARSE_OPTIONS, convert_options=conv,
        )
        yield from _batches(reader)
    finally:
        src.close()


def _batches(reader: Any) -> Iterator[pa.RecordBatch]:
    while True:
        try:
            b = reader.read_next_batch()
        except StopIteration:
            return
        yield b


def parallel_csv_tables(
    path: str | Path,
    *,
    block_size: int,
    column_types: dict[str, pa.DataType],
    threads: int,
    finish: Callable[[pa.Table], pa.Table] = lambda t: t,
) -> Iterator[pa.Table] | None:
    r"""Tables of consecutive blocks of an uncompressed UTF-8 CSV file, parsed in ``threads`` threads.

    Parameters
    ----------
    path : path
        A UTF-8 CSV file with a header line and ``\n`` (or ``\r\n``) line ends.
    block_size : int
        Bytes per block (about; blocks end at a row end).
    column_types : dict
        Types of named columns (as ``ConvertOptions.column_types``); the others are
        inferred from the first block holding a row and kept for the rest of the file.
    threads : int
        Parsing threads (at most ``threads + 1`` blocks in flight).
    finish : callable
        Applied to each parsed table in the parsing thread (e.g. renaming columns).

    Returns
    -------
    iterator of pyarrow.Table or None
        ``None`` when the first block has no ``\n`` row end (a file with ``\r`` line
        ends, or one line) or its quotes cannot be counted: the caller then uses the
        streaming reader.

    Raises
    ------
    pyarrow.ArrowInvalid
        From the first block (header, inference) at once; from a later block (a value
        that does not fit its column's type) when that block is reached.
    """
    fh = open(path, "rb")  # noqa: SIM115 - closed by the generator below
    try:
        blocks = row_blocks(fh, block_size)
        first = next(blocks, b"")
        if isinstance(first, Tail) or b"\n" not in first:
            fh.close()
            return None
        head = _read_head(first, column_types)
        tail: Tail | None = None
        while head.num_rows == 0:  # the header alone (or with empty lines): infer from the next block
            more = next(blocks, None)
            if more is None:
                break
            if isinstance(more, Tail):
                fh.close()
                return None
            first += more
            head = _read_head(first, column_types)
    except BaseException:
        fh.close()
        raise
    names = head.column_names
    conv = pacsv.ConvertOptions(column_types=dict(zip(names, head.schema.types, strict=True)),
                                strings_can_be_null=True)

    def parse(buf: bytes) -> pa.Table:
        opts = pacsv.ReadOptions(use_threads=False, column_names=names, block_size=len(buf) + 1)
        return finish(pacsv.read_csv(pa.py_buffer(buf), read_options=opts, parse_options=PARSE_OPTIONS,
                                     convert_options=conv))

    def tables() -> Iterator[pa.Table]:
        nonlocal tail
        pool = Ordered(threads)
        try:
            yield finish(head)
            for buf in blocks:
                if isinstance(buf, Tail):
                    tail = buf
                    break
                yield from pool.submit(parse, buf)
            yield from pool.drain()
            if tail is not None:
                for b in _serial_from(path, int(tail), names, conv, block_size):
                    yield finish(pa.Table.from_batches([b]))
        except BaseException:
            pool.abort()
            raise
        finally:
            pool.close()
            fh.close()

    return tables()


def _serial_tables(
    path: str | Path, codec: str | None, pa_enc: str, block_size: int,
    column_types: dict[str, pa.DataType], finish: Callable[[pa.Table], pa.Table],
) -> Iterator[pa.Table]:
    """Tables of the streaming reader (any encoding, compressed or not); opened at once."""
    src = pa.input_stream(str(path), compression=codec)
    try:
        reader = pacsv.open_csv(
            src, read_options=pacsv.ReadOptions(encoding=pa_enc, block_size=block_size),
            parse_options=PARSE_OPTIONS,
            convert_options=pacsv.ConvertOptions(column_types=column_types, strings_can_be_null=True),
        )
    except BaseException:
        src.close()
        raise

    def tables() -> Iterator[pa.Table]:
        try:
            for b in _batches(reader):
                yield finish(pa.Table.from_batches([b]))
        finally:
            src.close()

    return tables()


def _arrow_encoding(encoding: str) -> str:
    return "utf8" if encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig") else encoding


def csv_tables(
    path: str | Path,
    *,
    encoding: str,
    column_types: dict[str, pa.DataType],
    block_size: int,
    threads: int,
    finish: Callable[[pa.Table], pa.Table] = lambda t: t,
) -> Iterator[pa.Table]:
    """Tables of consecutive blocks of a CSV file: the one reader of every CSV input.

    Uncompressed UTF-8 with ``threads`` > 0: :func:`parallel_csv_tables`; otherwise (or
    when it declines) pyarrow's streaming reader, decompressing gzip and zstd.

    Raises
    ------
    TooWide
        When the file has more than :data:`MAX_COLUMNS` columns (at once).
    pyarrow.ArrowInvalid
        When the file cannot be parsed (at once) or a value does not fit the type of its
        column inferred from the first block (when that block is reached; see
        :func:`failing_column`).
    """
    check_width(path, encoding)
    codec = compression_of(path)
    pa_enc = _arrow_encoding(encoding)
    if codec is None and pa_enc == "utf8" and threads:
        tables = parallel_csv_tables(path, block_size=block_size, column_types=column_types,
                                     threads=threads, finish=finish)
        if tables is not None:
            return tables
    return _serial_tables(path, codec, pa_enc, block_size, column_types, finish)


_COLUMN_ERROR = re.compile(r"In CSV column #(\d+):")


def failing_column(err: BaseException) -> int | None:
    """Position of the column named by a pyarrow conversion error (``None``: not a conversion error)."""
    m = _COLUMN_ERROR.search(str(err))
    return int(m.group(1)) if m else None


def header_names(path: str | Path, encoding: str) -> list[str]:
    """The column names of a CSV file (its first row)."""
    src = pa.input_stream(str(path), compression=compression_of(path))
    try:
        reader = pacsv.open_csv(
            src, read_options=pacsv.ReadOptions(encoding=_arrow_encoding(encoding), block_size=1 << 24),
            parse_options=PARSE_OPTIONS,
            convert_options=pacsv.ConvertOptions(strings_can_be_null=True, column_types={}),
        )
        return list(reader.schema.names)
    finally:
        src.close()


def column_type(path: str | Path, encoding: str, name: str) -> pa.DataType:
    """The type pyarrow infers for one column from every row of the file (one column held)."""
    src = pa.input_stream(str(path), compression=compression_of(path))
    try:
        t = pacsv.read_csv(
            src, read_options=pacsv.ReadOptions(encoding=_arrow_encoding(encoding), block_size=1 << 24),
            parse_options=PARSE_OPTIONS,
            convert_options=pacsv.ConvertOptions(include_columns=[name], strings_can_be_null=True),
        )
    finally:
        src.close()
    return t.schema.field(0).type


def pin_failing(path: str | Path, encoding: str, err: BaseException,
                pinned: dict[str, pa.DataType]) -> bool:
    """Pin the type of the column a conversion error names to its whole-file type.

    Returns ``False`` (nothing pinned) when the error names no column, the column's name
    is not unique, or the type is already pinned (the error is then not a type change).
    """
    i = failing_column(err)
    if i is None:
        return False
    names = header_names(path, encoding)
    if not 0 <= i < len(names) or names.count(names[i]) != 1:
        return False
    name = names[i]
    typ = column_type(path, encoding, name)
    if pinned.get(name) == typ:
        return False
    pinned[name] = typ
    return True


def read_csv_table(
    path: str | Path,
    *,
    encoding: str,
    column_types: dict[str, pa.DataType],
    block_size: int,
    threads: int,
) -> pa.Table:
    """The whole CSV file as one table, read by :func:`csv_tables`.

    A column whose type inferred from the first block does not fit a later value gets
    its whole-file type (as ``pyarrow.csv.read_csv`` infers it) and the file is read
    again, as the batch engines do.

    Raises
    ------
    pyarrow.ArrowInvalid
        When the file cannot be parsed.
    """
    pinned: dict[str, pa.DataType] = {}
    while True:
        types = {**column_types, **pinned}
        try:
            parts = list(csv_tables(path, encoding=encoding, column_types=types, block_size=block_size,
                                    threads=threads))
        except pa.ArrowInvalid as err:
            if not pin_failing(path, encoding, err, pinned):
                raise
            continue
        if not parts:  # pragma: no cover - a reader yields at least the header's table
            raise pa.ArrowInvalid("Empty CSV file")
        return pa.concat_tables(parts)
