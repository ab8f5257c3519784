"""Parallel reading of a UTF-8 CSV file: blocks cut at line ends, parsed in threads.

pyarrow's streaming CSV reader (``pyarrow.csv.open_csv``) parses one block after
another on one core; reading the whole file at once (``pyarrow.csv.read_csv``) uses
every core but holds the whole table. :func:`parallel_csv_tables` does what the
batch engines need: bounded memory *and* every core. The file is cut into blocks of
about ``block_size`` bytes that end at a line end, and the blocks are parsed by a pool
of threads (pyarrow releases the GIL) and returned in file order.

The rules are those of the streaming reader with its default parse options
(``newlines_in_values=False``, which also cuts blocks at line ends): the column names
come from the first line, the column types are inferred from the first block holding a
row (or given), and a later value that does not fit its column's type raises
``pyarrow.ArrowInvalid``, exactly where the streaming reader would. So the rows, their
order and their values are the same; only the batch boundaries may differ, and the
engines' results do not depend on those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

__all__ = ["line_blocks", "parallel_csv_tables"]


def line_blocks(fh: Any, block_size: int) -> Iterator[bytes]:
    r"""Consecutive blocks of an open binary file, each ending at a ``\n`` (the last: at EOF).

    Each block holds the whole lines of the next ``block_size`` bytes read (with the
    partial line left over from the previous read), so it is about ``block_size``
    bytes; a line longer than that makes its block longer.
    """
    rest = b""
    while True:
        data = fh.read(block_size)
        if not data:
            if rest:
                yield rest
            return
        if rest:
            data = rest + data
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        if cut + 1 == len(data):
            rest = b""
            yield data
        else:
            rest = data[cut + 1:]
            yield data[: cut + 1]


def _read_head(buf: bytes, column_types: dict[str, pa.DataType]) -> pa.Table:
    """The header and the rows of the first block, column types inferred (or given)."""
    return pacsv.read_csv(
        pa.py_buffer(buf),
        read_options=pacsv.ReadOptions(use_threads=False, block_size=len(buf) + 1),
        convert_options=pacsv.ConvertOptions(column_types=column_types, strings_can_be_null=True),
    )


def parallel_csv_tables(
    path: str | Path,
    *,
    block_size: int,
    column_types: dict[str, pa.DataType],
    threads: int,
    finish: Callable[[pa.Table], pa.Table] = lambda t: t,
) -> Iterator[pa.Table] | None:
    r"""Tables of consecutive blocks of a UTF-8 CSV file, parsed in ``threads`` threads.

    Parameters
    ----------
    path : path
        A UTF-8 CSV file with a header line and ``\n`` (or ``\r\n``) line ends.
    block_size : int
        Bytes per block (about; blocks end at a line end).
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
        ``None`` when the first block has no ``\n`` line end (a file with ``\r`` line
        ends, or one line): the caller then uses the streaming reader.

    Raises
    ------
    pyarrow.ArrowInvalid
        From the first block (header, inference) at once; from a later block (a value
        that does not fit its column's type) when that block is reached.
    """
    from riskgrade.engine.sources import Ordered

    fh = open(path, "rb")  # noqa: SIM115 - closed by the generator below
    try:
        blocks = line_blocks(fh, block_size)
        first = next(blocks, b"")
        if b"\n" not in first:
            fh.close()
            return None
        head = _read_head(first, column_types)
        while head.num_rows == 0:  # the header alone (or with empty lines): infer from the next block
            more = next(blocks, None)
            if more is None:
                break
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
        return finish(pacsv.read_csv(pa.py_buffer(buf), read_options=opts, convert_options=conv))

    def tables() -> Iterator[pa.Table]:
        pool = Ordered(threads)
        try:
            yield finish(head)
            for buf in blocks:
                yield from pool.submit(parse, buf)
            yield from pool.drain()
        except BaseException:
            pool.abort()
            raise
        finally:
            pool.close()
            fh.close()

    return tables()
