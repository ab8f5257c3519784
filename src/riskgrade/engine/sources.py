"""Input and output of the batch engine: re-readable record-batch sources and writers.

Sources yield canonical batches (column aliases mapped, enumeration values normalised)
from CSV (pyarrow streaming reader), Parquet or an in-memory table. Writers write CSV
with a byte-order mark and formula neutralisation (as :func:`riskgrade.io.write_frame`)
or Parquet with the provenance in its metadata. Batches kept in memory between passes
are compacted (small integer types, dictionary-encoded text) and restored on output.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from riskgrade.engine.core import canonical_table
from riskgrade.engine.csv_blocks import csv_tables, pin_failing
from riskgrade.engine.pool import Ordered
from riskgrade.exceptions import InventoryValidationError
from riskgrade.formats import input_format, read_table, to_arrow
from riskgrade.formats import neutralise as formats_neutralise
from riskgrade.formats import unneutralise as formats_unneutralise
from riskgrade.formats.neutral import neutralise_name
from riskgrade.io import PARQUET_OPTIONS, _read_csv, _text_types, detect_encoding

__all__ = ["Ordered", "format_csv", "neutralise", "prefetch"]


# ---------------------------------------------------------------------------------- sources
class _Source:
    """A re-readable source of canonical record batches."""

    def __init__(
        self, source: Any, config: Any, *, encoding: str | None, block_size: int, threads: int = 0
    ) -> None:
        self.config = config
        self.mapping = dict(config.columns)
        self.block_size = block_size
        self.threads = threads  # > 0: UTF-8 CSV blocks are parsed in this many threads
        self.pinned: dict[str, pa.DataType] = {}
        self.table: pa.Table | None = None
        self.path: Path | None = None
        self.kind = "table"
        if isinstance(source, pd.DataFrame):
            self.table = to_arrow(source).replace_schema_metadata(None)
        elif isinstance(source, pa.Table):
            self.table = source
        else:
            self.path = Path(source)
            if not self.path.exists():
                raise FileNotFoundError(f"inventory file not found: {self.path}")
            form, _ = input_format(self.path)  # the file's bytes decide its kind
            self.kind = form.name
            if form.name not in ("csv", "parquet"):  # workbooks: read whole, graded as a table
                frame = read_table(self.path, config, encoding=encoding)
                self.table = to_arrow(frame).replace_schema_metadata(None)
                self.kind = "table"
            if self.kind == "csv":
                if self.path.stat().st_size == 0:
                    _read_csv(self.path, "utf-8", config)  # raises the 'empty' failure
                # a smaller sample than the default 1 MiB when the budget is small
                self.encoding = encoding or detect_encoding(self.path, sample=min(1 << 20, 8 * block_size))

    @property
    def source_name(self) -> str:
        return str(self.path) if self.path is not None else "<DataFrame>"

    def batches(self) -> Iterator[pa.Table]:
        if self.kind == "csv":  # riskgrade's own formula prefix is removed, as read_inventory does
            return (formats_unneutralise(t) for t in self._batches())
        return self._batches()

    def _batches(self) -> Iterator[pa.Table]:
        if self.table is not None:
            rows = max(1, self.block_size // 64)
            for b in self.table.to_batches(max_chunksize=rows):
                yield canonical_table(b, self.mapping, self.config)
            return
        assert self.path is not None
        if self.kind == "parquet":
            pf = pq.ParquetFile(self.path)
            rows = max(1, self.block_size // 128)
            for b in pf.iter_batches(batch_size=rows):
                yield canonical_table(b, self.mapping, self.config)
            return
        types_ = dict(_text_types(self.config))
        types_.update(self.pinned)
        try:
            tables = csv_tables(
                self.path, encoding=self.encoding, column_types=types_, block_size=self.block_size,
                threads=self.threads, finish=lambda t: canonical_table(t, self.mapping, self.config),
            )
        except (pa.ArrowInvalid, OSError, UnicodeError) as err:
            self._file_failure(err)
        try:
            yield from tables
        except pa.ArrowInvalid as err:
            raise _TypesChanged(str(err)) from err
        except (OSError, UnicodeError) as err:  # a corrupt compressed stream, undecodable text
            self._file_failure(err)

    def _file_failure(self, err: BaseException) -> None:
        """Raise the file-level failure of a file that cannot be parsed (as ``read_inventory``)."""
        assert self.path is not None
        _read_csv(self.path, self.encoding, self.config)
        raise InventoryValidationError(_parse_failure(str(err)), n_rows=0)  # pragma: no cover

    def pin_types(self, err: BaseException | None = None) -> bool:
        """After a type change mid-file: pin the failing column to its whole-file type.

        Returns ``True`` when a type was pinned (read again); otherwise raises the
        file-level failure (a file that cannot be parsed is invalid input).
        """
        assert self.path is not None and self.kind == "csv"
        cause = err.__cause__ if err is not None and err.__cause__ is not None else err
        if cause is not None:
            try:
                if pin_failing(self.path, self.encoding, cause, self.pinned):
                    return True
            except (pa.ArrowInvalid, OSError, UnicodeError):
                pass
        self._file_failure(cause if cause is not None else _TypesChanged("type change"))
        return False  # pragma: no cover - _file_failure raises


def _parse_failure(message: str) -> pd.DataFrame:
    return pd.DataFrame({"row": pd.array([pd.NA], dtype="Int64"), "risk_point_id": [None], "column": [""],
                         "value": [None], "reason": ["wrong_type"],
                         "message": [f"cannot parse CSV: {message}"]})


class _TypesChanged(Exception):
    """The streaming CSV reader met a value that does not fit the inferred type."""


def _input_hash(source: _Source) -> tuple[Callable[[], str | None], threading.Thread | None]:
    """SHA-256 of the input file computed in a background thread."""
    if source.path is None:
        return (lambda: None), None
    box: dict[str, str] = {}

    def run() -> None:
        h = hashlib.sha256()
        with open(source.path, "rb") as fh:  # type: ignore[arg-type]
            while block := fh.read(1 << 18):
                h.update(block)
        box["h"] = h.hexdigest()

    th = threading.Thread(target=run, daemon=True)
    th.start()

    def get() -> str | None:
        th.join()
        return box.get("h")

    return get, th


# ---------------------------------------------------------------------------------- units
class _UnitCodes:
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
        known = self.known
        return known.to_pylist() if known is not None else []

    def __len__(self) -> int:
        return self._n

    def codes(self, col: pa.ChunkedArray | pa.Array) -> np.ndarray:
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
        from riskgrade.engine.ids import id_hashes

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
        return self.codes(col)


# ---------------------------------------------------------------------------------- pipeline
def prefetch(items: Iterable[Any], depth: int = 1) -> Iterator[Any]:
    """Iterate ``items`` produced by a background thread, at most ``depth`` ahead.

    Reading a record batch (pyarrow releases the GIL) then overlaps with the work done
    on the previous one. An exception of the producer is raised here, in order; when
    the consumer stops early the producer stops at its next item.
    """
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()
    end = object()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((end, None))
        except BaseException as err:  # handed to the consumer
            q.put((end, err))

    th = threading.Thread(target=produce, daemon=True, name="riskgrade-read")
    th.start()
    try:
        while True:
            item, err = q.get()
            if item is end:
                if err is not None:
                    raise err
                return
            yield item
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):
            while True:
                q.get_nowait()


# ---------------------------------------------------------------------------------- writers
class _Writer:
    """CSV (BOM, formula neutralisation) or Parquet writer into an open file.

    :meth:`start` writes the CSV header (or opens the Parquet writer) for the output
    schema; :meth:`write` then takes parts in file order: CSV text already formatted by
    :func:`format_csv` (in worker threads) or Parquet tables.
    """

    def __init__(
        self, fh: IO[bytes], fmt: str, provenance: dict[str, Any], *, stitch: bool = True
    ) -> None:
        self.fh = fh
        self.fmt = fmt
        self.prov = provenance
        self.writer: Any = None
        self.schema: pa.Schema | None = None
        self.file_schema: pa.Schema | None = None
        # Parquet row groups encoded in the workers and stitched here (False: encoded here)
        self.stitch = stitch

    def start(self, schema: pa.Schema) -> None:
        self.schema = schema
        if self.fmt == "parquet":
            from riskgrade.engine.parquet import RowGroupStitcher

            prov = json.dumps(self.prov, ensure_ascii=False, sort_keys=True, indent=2)
            self.file_schema = schema.with_metadata({b"riskgrade": prov.encode("utf-8")})
            if self.stitch:
                self.writer = RowGroupStitcher(self.fh)
            else:
                self.writer = pq.ParquetWriter(self.fh, self.file_schema, **PARQUET_OPTIONS)
        else:
            self.fh.write(b"\xef\xbb\xbf")
            head = pa.BufferOutputStream()
            header = schema.empty_table().rename_columns([neutralise_name(n) for n in schema.names])
            pacsv.write_csv(header, head, write_options=_CSV_OPTIONS)
            self.fh.write(head.getvalue().to_pybytes())

    def encode(self, part: pa.Table) -> pa.Table | pa.Buffer:
        """What :meth:`write` takes for a Parquet part (thread-safe; after :meth:`start`).

        The part encoded as a one-row-group Parquet file when stitching, else the table.
        """
        if self.fmt == "parquet" and self.stitch:
            from riskgrade.engine.parquet import encode_row_group

            assert self.file_schema is not None
            return encode_row_group(part, self.file_schema, **PARQUET_OPTIONS)
        return part

    def write(self, part: pa.Table | pa.Buffer) -> None:
        if self.fmt == "parquet":
            assert self.schema is not None
            if isinstance(part, pa.Table):
                part = self.encode(part.cast(self.schema) if part.schema != self.schema else part)
            if self.stitch:
                self.writer.add(part)
            else:
                self.writer.write_table(part)
        else:
            self.fh.write(part)

    def close(self) -> None:
        """Finish the file (Parquet footer)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def abort(self) -> None:
        """Release the Parquet writer after an error (the file is discarded)."""
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.close()
            self.writer = None


_CSV_OPTIONS = pacsv.WriteOptions(quoting_style="needed")
_CSV_ROWS = pacsv.WriteOptions(quoting_style="needed", include_header=False)


def format_csv(table: pa.Table) -> pa.Buffer:
    """CSV text of a table's rows (no header), text cells neutralised; releases the GIL."""
    buf = pa.BufferOutputStream()
    pacsv.write_csv(neutralise(table), buf, write_options=_CSV_ROWS)
    return buf.getvalue()


def neutralise(table: pa.Table) -> pa.Table:
    """Prefix ``'`` to text cells that start like a formula (:func:`riskgrade.formats.neutralise`)."""
    return formats_neutralise(table, headers=False)


# ---------------------------------------------------------------------------------- compaction
def _compact(table: pa.Table) -> pa.Table:
    """Smaller in-memory form of a batch kept for pass 2 (restored by casting back).

    Integers (and floats holding only whole numbers, nulls allowed) get the smallest
    integer type that holds them; repetitive text is dictionary-encoded with the
    smallest index type. Every step is exact, so :func:`_restore` gives the same values.
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


def _restore(col: pa.ChunkedArray, orig: pa.DataType | None) -> pa.ChunkedArray:
    t = col.type
    if orig is not None and t != orig:
        return pc.cast(col, orig)
    if pa.types.is_floating(t) and col.null_count != len(col):
        # NaN becomes null, as in a pandas round trip
        isn = pc.is_nan(col)
        if pc.any(isn).as_py():
            return pc.if_else(isn, pa.scalar(None, t), col)
    return col
