"""Writers of the batch engine's graded file: CSV (BOM, formula neutralisation) or Parquet.

CSV is written as :func:`riskgrade.io.write_frame` writes it (byte-order mark, text cells
that start like a formula prefixed with ``'``); Parquet carries the provenance in its
metadata, its row groups encoded in worker threads and stitched (:mod:`riskgrade.engine.parquet`).
"""

from __future__ import annotations

import contextlib
import json
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from riskgrade.formats import neutralise as formats_neutralise
from riskgrade.formats.neutral import neutralise_name
from riskgrade.io import PARQUET_OPTIONS

__all__ = ["Writer", "format_csv", "neutralise"]


class Writer:
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
        """Write the CSV header (or open the Parquet writer) for the output ``schema``."""
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
        """Write the next part (CSV text from :func:`format_csv`, a Parquet table or encoded group)."""
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
