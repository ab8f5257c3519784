"""Re-readable sources of the batch engine: canonical record batches from a file or a table.

Sources yield canonical batches (column aliases mapped, enumeration values normalised)
from CSV (parallel blocks, :mod:`riskgrade.engine.csv_blocks`, or pyarrow's streaming
reader), Parquet or an in-memory table. Writers are in :mod:`riskgrade.engine.writers`,
the compaction of kept batches in :mod:`riskgrade.engine.compact`.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from riskgrade.engine.core import canonical_table
from riskgrade.io import detect_encoding, read_csv_table, text_column_types

__all__ = ["Source", "TypesChanged", "input_hash"]


class Source:
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
            self.table = pa.Table.from_pandas(source, preserve_index=False)
            self.table = self.table.replace_schema_metadata(None)
        elif isinstance(source, pa.Table):
            self.table = source
        else:
            self.path = Path(source)
            if not self.path.exists():
                raise FileNotFoundError(f"inventory file not found: {self.path}")
            sfx = [s.lower() for s in self.path.suffixes]
            self.kind = "parquet" if (".parquet" in sfx or ".pq" in sfx) else "csv"
            if self.kind == "csv":
                if self.path.stat().st_size == 0:
                    read_csv_table(self.path, "utf-8", config)  # raises the 'empty' failure
                # a smaller sample than the default 1 MiB when the budget is small
                self.encoding = encoding or detect_encoding(self.path, sample=min(1 << 20, 8 * block_size))

    @property
    def source_name(self) -> str:
        """The input's name in provenance and messages (its path, or ``<DataFrame>``)."""
        return str(self.path) if self.path is not None else "<DataFrame>"

    def batches(self) -> Iterator[pa.Table]:
        """The canonical record batches of the input, from the start."""
        if self.table is not None:
            rows = max(1, self.block_size // 64)
            for b in self.table.to_batches(max_chunksize=rows):
                yield canonical_table(b, self.mapping)
            return
        assert self.path is not None
        if self.kind == "parquet":
            pf = pq.ParquetFile(self.path)
            rows = max(1, self.block_size // 128)
            for b in pf.iter_batches(batch_size=rows):
                yield canonical_table(b, self.mapping)
            return
        enc = self.encoding
        pa_enc = "utf8" if enc.lower().replace("-", "") in ("utf8", "utf8sig") else enc
        types_ = dict(text_column_types(self.config))
        types_.update(self.pinned)
        if pa_enc == "utf8" and self.threads:
            yield from self._parallel_batches(types_, enc)
            return
        yield from self._streaming_batches(types_, enc, pa_enc)

    def _parallel_batches(self, types_: dict[str, pa.DataType], enc: str) -> Iterator[pa.Table]:
        """UTF-8 CSV: blocks parsed in threads (:mod:`riskgrade.engine.csv_blocks`), renamed there."""
        from riskgrade.engine.csv_blocks import parallel_csv_tables

        assert self.path is not None
        try:
            tables = parallel_csv_tables(
                self.path, block_size=self.block_size, column_types=types_, threads=self.threads,
                finish=lambda t: canonical_table(t, self.mapping),
            )
        except pa.ArrowInvalid as err:
            read_csv_table(self.path, enc, self.config)  # raises the file-level failure
            raise TypesChanged(str(err)) from None  # pragma: no cover
        if tables is None:  # no "\n" line end in the first block
            yield from self._streaming_batches(types_, enc, "utf8")
            return
        try:
            yield from tables
        except pa.ArrowInvalid as err:
            raise TypesChanged(str(err)) from None

    def _streaming_batches(self, types_: dict[str, pa.DataType], enc: str, pa_enc: str) -> Iterator[pa.Table]:
        assert self.path is not None
        try:
            reader = pacsv.open_csv(
                self.path,
                read_options=pacsv.ReadOptions(encoding=pa_enc, block_size=self.block_size),
                convert_options=pacsv.ConvertOptions(column_types=types_, strings_can_be_null=True),
            )
        except pa.ArrowInvalid as err:
            read_csv_table(self.path, enc, self.config)  # raises the file-level failure
            raise TypesChanged(str(err)) from None  # pragma: no cover
        for b in _csv_batches(reader):
            yield canonical_table(b, self.mapping)

    def pin_types(self) -> bool:
        """After a type change mid-file: read numeric columns as float64 / text from then on."""
        assert self.path is not None and self.kind == "csv"
        t = read_csv_table(self.path, self.encoding, self.config)  # whole-file inference, rare path
        pinned = {}
        for name, typ in zip(t.column_names, t.schema.types, strict=True):
            if not pa.types.is_string(typ):
                pinned[name] = typ
        changed = pinned != self.pinned
        self.pinned = pinned
        return changed


class TypesChanged(Exception):
    """The streaming CSV reader met a value that does not fit the inferred type."""


def _csv_batches(reader: Any) -> Iterator[pa.RecordBatch]:
    while True:
        try:
            b = reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowInvalid as err:
            raise TypesChanged(str(err)) from None
        yield b


def input_hash(source: Source) -> tuple[Callable[[], str | None], threading.Thread | None]:
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
