"""One Parquet file from row groups encoded in parallel.

pyarrow encodes and compresses the column chunks of a Parquet file on the calling
thread, one row group after another; for the graded table that is the slowest step of
a batch run. The pages of a row group do not depend on where they land in the file:
only the footer (Thrift ``FileMetaData``) records file offsets. So each row group is
encoded by :func:`encode_row_group` in a worker thread as a small Parquet file of its
own, and :class:`RowGroupStitcher` copies the column chunks of these files, in order,
into the output file and writes one footer that lists every row group with its offsets
moved to the new position.

The result is the file that :class:`pyarrow.parquet.ParquetWriter` writes when it is
given the same row groups one after another, byte for byte (the tests compare them):
the same pages, the same row-group metadata with the offsets it would have recorded,
and the same file-level metadata (schema, key-value metadata, writer version) with the
total row count.

The footer is Thrift compact protocol. :class:`RowGroupStitcher` walks it field by
field and copies every byte it does not change: only the offsets (and the row-group
ordinal, the row count and the list of row groups) are re-encoded, so fields added by
later Parquet versions pass through untouched; it costs a fraction of decoding every
footer into objects with the ``thrift`` package (figures: benchmarks/README.md, "Engine
memory notes"), which is why it is done here. Files with a page index or bloom
filters (stored after the row groups, not inside them) are refused; the engines do
not write them.

Parquet format field numbers (``parquet.thrift`` of the Apache Parquet format):
``FileMetaData``: 3 ``num_rows``, 4 ``row_groups``; ``RowGroup``: 1 ``columns``,
5 ``file_offset``, 7 ``ordinal``; ``ColumnChunk``: 2 ``file_offset``, 3 ``meta_data``,
4 ``offset_index_offset``, 6 ``column_index_offset``; ``ColumnMetaData``:
9 ``data_page_offset``, 10 ``index_page_offset``, 11 ``dictionary_page_offset``,
14 ``bloom_filter_offset``.
"""

from __future__ import annotations

import struct
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["RowGroupStitcher", "encode_row_group"]

_MAGIC = b"PAR1"
# field ids of the Parquet structures the stitcher changes (see the module docstring)
_FILE_ROWS, _FILE_GROUPS = 3, 4
_RG_COLUMNS, _RG_OFFSET, _RG_ORDINAL = 1, 5, 7
_CC_OFFSET, _CC_META, _CC_OFFSET_INDEX, _CC_COLUMN_INDEX = 2, 3, 4, 6
_CM_OFFSETS = (9, 10, 11)
_CM_BLOOM = 14


# ------------------------------------------------------------------------- compact protocol
# Thrift compact protocol: a field header byte holds the field-id delta (high nibble; 0:
# a zigzag varint id follows) and the type (low nibble); integers are zigzag varints.
_STOP, _TRUE, _FALSE, _I8, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(13)


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def _put_varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _zigzag(v: int) -> int:
    return (v << 1) ^ (v >> 63)


def _unzigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _skip(data: bytes, i: int, t: int) -> int:
    """Position after a value of compact type ``t`` starting at ``i``."""
    if t in (_I16, _I32, _I64):
        return _varint(data, i)[1]
    if t == _BINARY:
        n, i = _varint(data, i)
        return i + n
    if t == _STRUCT:
        return _fields(data, i)[1]
    if t in (_LIST, _SET):
        b = data[i]
        i += 1
        n, et = b >> 4, b & 0x0F
        if n == 15:
            n, i = _varint(data, i)
        if et in (_TRUE, _FALSE, _I8):  # booleans in a list take one byte each
            return i + n
        for _ in range(n):
            i = _skip(data, i, et)
        return i
    if t == _MAP:
        n, i = _varint(data, i)
        if n == 0:
            return i
        kt, vt = data[i] >> 4, data[i] & 0x0F
        i += 1
        for _ in range(n):
            i = _skip(data, i, kt)
            i = _skip(data, i, vt)
        return i
    if t == _I8:
        return i + 1
    if t == _DOUBLE:
        return i + 8
    if t in (_TRUE, _FALSE):  # a boolean field's value is its header's type
        return i
    raise ValueError(f"Parquet footer: unknown compact type {t}")


def _fields(data: bytes, i: int) -> tuple[list[tuple[int, int, int, int, int]], int]:
    """Fields of the struct at ``i``: (id, type, header start, value start, value end); end."""
    out: list[tuple[int, int, int, int, int]] = []
    fid = 0
    while True:
        h = i
        b = data[i]
        i += 1
        if b == _STOP:
            return out, i
        t, delta = b & 0x0F, b >> 4
        if delta:
            fid += delta
        else:
            z, i = _varint(data, i)
            fid = _unzigzag(z)
        v = i
        i = _skip(data, i, t)
        out.append((fid, t, h, v, i))


def _list_items(data: bytes, v: int) -> list[tuple[int, int]]:
    """(start, end) of the struct elements of the list value at ``v``."""
    b = data[v]
    v += 1
    n = b >> 4
    if n == 15:
        n, v = _varint(data, v)
    if b & 0x0F != _STRUCT:
        raise ValueError("Parquet footer: expected a list of structs")
    items = []
    for _ in range(n):
        e = _skip(data, v, _STRUCT)
        items.append((v, e))
        v = e
    return items


def _list_header(n: int) -> bytes:
    return bytes([(n << 4) | _STRUCT]) if n < 15 else bytes([0xF0 | _STRUCT]) + _put_varint(n)


def _patch(data: bytes, start: int, changes: dict[int, Any], out: bytearray) -> None:
    """Copy the struct at ``start`` to ``out``, changing some of its fields.

    ``changes[id](data, start, end)`` returns the new bytes of field ``id``'s value.
    """
    fields, end = _fields(data, start)
    pos = start
    for fid, _t, _h, v, e in fields:
        fn = changes.get(fid)
        if fn is None:
            continue
        out += data[pos:v]
        out += fn(data, v, e)
        pos = e
    out += data[pos:end]


def _shifted(shift: int) -> Any:
    def fn(data: bytes, v: int, e: int) -> bytes:
        old = _unzigzag(_varint(data, v)[0])
        return _put_varint(_zigzag(old + shift)) if old else data[v:e]
    return fn


# ------------------------------------------------------------------------- row groups
def encode_row_group(table: pa.Table, schema: pa.Schema, **options: Any) -> pa.Buffer:
    """A Parquet file holding ``table`` (one row group up to the writer's default size; thread-safe).

    ``options`` are those of :class:`pyarrow.parquet.ParquetWriter` and must be the
    same for every row group of a file.
    """
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, schema, **options) as w:
        w.write_table(table)
    return sink.getvalue()


class RowGroupStitcher:
    """Writes the row groups of files from :func:`encode_row_group` as one Parquet file.

    Parameters
    ----------
    fh : binary file
        Open for writing, at position 0.
    """

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.pos = 0
        self.head: bytes | None = None  # footer of the first part (file-level fields)
        self.groups = bytearray()  # the row groups, offsets moved, compact-encoded
        self.n_groups = 0
        self.rows = 0

    def add(self, part: pa.Buffer | bytes) -> None:
        """Append the row groups of one encoded part (in file order)."""
        data = memoryview(part)
        n = len(data)
        if n < 12 or bytes(data[:4]) != _MAGIC or bytes(data[n - 4:]) != _MAGIC:
            raise ValueError("not a Parquet file")
        flen = struct.unpack("<I", data[n - 8: n - 4])[0]
        if flen > n - 12:
            raise ValueError("not a Parquet file (footer length beyond the file)")
        footer = bytes(data[n - 8 - flen: n - 8])
        try:
            fields, _ = _fields(footer, 0)
        except IndexError:
            raise ValueError("not a Parquet file (truncated footer)") from None
        if self.pos == 0:
            self.fh.write(_MAGIC)
            self.pos = 4
            self.head = footer
        shift = self.pos - 4
        move = _shifted(shift)
        for fid, _t, _h, v, _e in fields:
            if fid == _FILE_ROWS:
                self.rows += _unzigzag(_varint(footer, v)[0])
            elif fid == _FILE_GROUPS:
                for a, _b in _list_items(footer, v):
                    self._move(footer, a, move)
        self.fh.write(data[4: n - 8 - flen])
        self.pos += n - 12 - flen

    def _move(self, footer: bytes, start: int, move: Any) -> None:
        ordinal = self.n_groups

        def columns(data: bytes, v: int, e: int) -> bytes:
            items = _list_items(data, v)
            out = bytearray(data[v: items[0][0]] if items else data[v:e])
            for a, _b in items:
                _patch(data, a, {_CC_OFFSET: move, _CC_META: meta, _CC_OFFSET_INDEX: refuse,
                                 _CC_COLUMN_INDEX: refuse}, out)
            return bytes(out)

        def meta(data: bytes, v: int, e: int) -> bytes:
            out = bytearray()
            _patch(data, v, {**dict.fromkeys(_CM_OFFSETS, move), _CM_BLOOM: refuse}, out)
            return bytes(out)

        def refuse(data: bytes, v: int, e: int) -> bytes:
            raise ValueError("row groups with a page index or bloom filters cannot be stitched")

        def renumber(data: bytes, v: int, e: int) -> bytes:
            return _put_varint(_zigzag(ordinal))

        _patch(footer, start, {_RG_COLUMNS: columns, _RG_OFFSET: move, _RG_ORDINAL: renumber}, self.groups)
        self.n_groups += 1

    def close(self) -> None:
        """Write the footer (the file holds every row group added)."""
        if self.head is None:
            raise ValueError("no row group was added")
        head = self.head
        fields, end = _fields(head, 0)
        out = bytearray()
        pos = 0
        for fid, _t, _h, v, e in fields:
            if fid == _FILE_ROWS:
                out += head[pos:v] + _put_varint(_zigzag(self.rows))
            elif fid == _FILE_GROUPS:
                out += head[pos:v] + _list_header(self.n_groups) + self.groups
            else:
                continue
            pos = e
        out += head[pos:end]
        self.fh.write(out)
        self.fh.write(struct.pack("<I", len(out)))
        self.fh.write(_MAGIC)
