"""Re-readable sources of the batch engine: canonical record batches from a file or a table.

Sources yield canonical batches (column aliases mapped, enumeration values normalised)
from CSV (blocks parsed in threads, :mod:`riskgrade.engine.csv_blocks`), Parquet or an
in-memory table. Writers are in :mod:`riskgrade.engine.writers`, the compaction of kept
batches in :mod:`riskgrade.engine.compact`.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from riskgrade.engine.core import canonical_table
from riskgrade.engine.csv_blocks import csv_tables, pin_failing
from riskgrade.exceptions import InventoryValidationError
from riskgrade.formats import input_format, read_table, to_arrow
from riskgrade.formats import unneutralise as formats_unneutralise
from riskgrade.io import detect_encoding, read_csv_file, text_column_types

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
                    read_csv_file(self.path, "utf-8", config)  # raises the 'empty' failure
                # a smaller sample than the default 1 MiB when the budget is small
                self.encoding = encoding or detect_encoding(self.path, sample=min(1 << 20, 8 * block_size))

    @property
    def source_name(self) -> str:
        """The input's name in provenance and messages (its path, or ``<DataFrame>``)."""
        return str(self.path) if self.path is not None else "<DataFrame>"

    def batches(self) -> Iterator[pa.Table]:
        """The canonical record batches of the input, from the start."""
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
        types_ = dict(text_column_types(self.config))
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
            raise TypesChanged(str(err)) from err
        except (OSError, UnicodeError) as err:  # a corrupt compressed stream, undecodable text
            self._file_failure(err)

    def _file_failure(self, err: BaseException) -> None:
        """Raise the file-level failure of a file that cannot be parsed (as ``read_inventory``)."""
        assert self.path is not None
        read_csv_file(self.path, self.encoding, self.config)
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
        self._file_failure(cause if cause is not None else TypesChanged("type change"))
        return False  # pragma: no cover - _file_failure raises


def _parse_failure(message: str) -> pd.DataFrame:
    return pd.DataFrame({"row": pd.array([pd.NA], dtype="Int64"), "risk_point_id": [None], "column": [""],
                         "value": [None], "reason": ["wrong_type"],
                         "message": [f"cannot parse CSV: {message}"]})


class TypesChanged(Exception):
    """The streaming CSV reader met a value that does not fit the inferred type."""


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
