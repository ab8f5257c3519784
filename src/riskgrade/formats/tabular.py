"""CSV (plain or compressed) and Parquet: readers and writers through pyarrow.

CSV is read in UTF-8 (with or without byte-order mark), UTF-16 with a byte-order mark
or GB18030/GBK (detected or given), gzip-, zstd- or bz2-compressed when its bytes say
so; identity columns are read as text so ``"007"`` stays ``"007"``, and riskgrade's own
formula prefix is removed (:func:`riskgrade.formats.neutral.unneutralise`). CSV is
written with a UTF-8 byte-order mark (so that Excel opens it correctly), every text
value and header neutralised, provenance in a ``<file>.meta.json`` sidecar. Parquet
carries the provenance in its metadata under the key ``riskgrade``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from riskgrade.formats.files import atomic_path, detect_encoding, file_error
from riskgrade.formats.neutral import neutralise, unneutralise

if TYPE_CHECKING:
    from riskgrade.config import RiskModelConfig

__all__ = [
    "CSV_BLOCK_SIZE",
    "PARQUET_OPTIONS",
    "read_csv_table",
    "read_parquet_table",
    "read_sidecar",
    "text_column_types",
    "write_csv",
    "write_csv_rows",
    "write_parquet",
]

#: Parquet writer options of every graded file: zstd pages; a column stops being
#: dictionary-encoded once its dictionary passes 64 KiB (pyarrow's default is 1 MiB),
#: which encodes high-cardinality columns (ids, amounts, scores) with about a third
#: less CPU and makes the file smaller.
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "dictionary_pagesize_limit": 1 << 16}

#: Bytes per CSV block read (the local engine's batch size too).
CSV_BLOCK_SIZE = 1 << 22


def text_column_types(config: RiskModelConfig | None) -> dict[str, pa.DataType]:
    """Column names (canonical, aliases and config mappings) read as text from CSV."""
    from riskgrade.schema import COLUMN_ALIASES, TEXT_COLUMNS

    names = set(TEXT_COLUMNS)
    for alias, canon in COLUMN_ALIASES.items():
        if canon in TEXT_COLUMNS:
            names.add(alias)
    if config is not None:
        for src, canon in config.columns.items():
            if canon in TEXT_COLUMNS:
                names.add(src)
    return dict.fromkeys(sorted(names), pa.string())


def read_csv_table(
    path: str | Path,
    encoding: str | None,
    config: RiskModelConfig | None,
    *,
    compression: str | None = None,
) -> tuple[pa.Table, str]:
    """Read a CSV file into an Arrow table; return it with the encoding used.

    Raises
    ------
    InventoryValidationError
        ``empty`` for a file without header, ``wrong_type`` when it cannot be parsed.
    """
    try:
        enc = encoding or detect_encoding(path, compression=compression)
    except (pa.ArrowException, OSError, EOFError) as err:
        raise file_error("wrong_type", f"cannot decompress the file ({compression}): {err}") from None
    from riskgrade.engine.csv_blocks import TooWide
    from riskgrade.engine.csv_blocks import read_csv_table as engine_read_csv

    try:
        # the batch engines' reader (quote-aware blocks, gzip/zstd by magic): validate and score
        # read every file the same way
        table = engine_read_csv(
            path, encoding=enc, column_types=text_column_types(config), block_size=CSV_BLOCK_SIZE,
            threads=min(2, os.cpu_count() or 1),
        )
    except TooWide as err:
        raise file_error("too_many_columns", str(err)) from None
    except pa.ArrowInvalid as err:
        msg = str(err)
        if "Empty CSV file" in msg:
            raise file_error("empty", "the file has no header and no rows") from None
        raise file_error("wrong_type", f"cannot parse CSV ({enc}): {msg}") from None
    except (UnicodeError, LookupError, OSError, EOFError, pa.ArrowException) as err:
        raise file_error(
            "wrong_type", f"cannot read the file as {enc} text: {type(err).__name__}: {err}"
        ) from None
    try:
        return unneutralise(table), enc
    except UnicodeError as err:  # a header that is not text in that encoding
        raise file_error("wrong_type", f"the file is not {enc} text: {err}") from None


def read_parquet_table(path: str | Path) -> pa.Table:
    """Read a Parquet file; a damaged one raises ``wrong_type``."""
    try:
        return pq.read_table(path)
    except (pa.ArrowException, OSError) as err:
        raise file_error("wrong_type", f"cannot read the Parquet file: {err}") from None


def write_csv_rows(table: pa.Table, fh: IO[bytes] | pa.NativeFile) -> None:
    """Write a table as CSV text (header included), values and headers neutralised."""
    pacsv.write_csv(neutralise(table), fh, write_options=pacsv.WriteOptions(quoting_style="needed"))


def _provenance_json(provenance: dict[str, Any] | None) -> str:
    return json.dumps(provenance or {}, ensure_ascii=False, sort_keys=True, indent=2)


def write_csv(table: pa.Table, path: Path, provenance: dict[str, Any] | None) -> None:
    """Write CSV atomically with a byte-order mark and, with provenance, its sidecar."""
    sidecar = path.with_name(path.name + ".meta.json")
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(b"\xef\xbb\xbf")
            write_csv_rows(table, fh)
        if provenance is not None:
            with atomic_path(sidecar) as tmp_meta:
                tmp_meta.write_text(_provenance_json(provenance) + "\n", encoding="utf-8")


def write_parquet(table: pa.Table, path: Path, provenance: dict[str, Any] | None) -> None:
    """Write Parquet atomically, the provenance in the schema metadata."""
    meta = dict(table.schema.metadata or {})
    meta[b"riskgrade"] = _provenance_json(provenance).encode("utf-8")
    table = table.replace_schema_metadata(meta)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, **PARQUET_OPTIONS)


def read_sidecar(path: Path) -> dict[str, Any]:
    """Provenance of a CSV file from its ``.meta.json`` sidecar (``{}`` when absent)."""
    sidecar = path.with_name(path.name + ".meta.json")
    if sidecar.exists():
        return dict(json.loads(sidecar.read_text(encoding="utf-8")))
    return {}


def read_parquet_provenance(path: Path) -> dict[str, Any]:
    """Provenance stored in a Parquet file's metadata (``{}`` when absent)."""
    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(b"riskgrade")
    return dict(json.loads(raw)) if raw else {}
