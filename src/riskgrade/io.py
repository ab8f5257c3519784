"""Reading inventories and writing results.

:func:`read_inventory` reads CSV (UTF-8, UTF-8 with BOM, GB18030/GBK — detected or
given) and Parquet through pyarrow, maps Chinese and other column aliases to the
canonical names and Chinese enumeration values to their codes. Identity columns are
read as text, so ``"007"`` stays ``"007"``.

:func:`write_result` writes CSV or Parquet **atomically** (a temporary file in the
target folder, renamed into place only when complete), so an error or an interrupt
never leaves a partial file. Parquet carries the provenance (riskgrade version,
config SHA-256, input SHA-256) in its metadata; CSV gets a ``.meta.json`` sidecar.
CSV is written with a UTF-8 byte-order mark so that Excel opens it correctly, and
text cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return are
prefixed with ``'`` so that no spreadsheet executes them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from riskgrade.exceptions import InventoryValidationError
from riskgrade.identity import fold_frame
from riskgrade.inventory_forms import convert_inventory
from riskgrade.schema import COLUMN_ALIASES, TEXT_COLUMNS, canonical_columns, normalise_values

if TYPE_CHECKING:
    from riskgrade.config import RiskModelConfig
    from riskgrade.results import GradingResult

__all__ = [
    "atomic_path",
    "detect_encoding",
    "file_sha256",
    "frame_sha256",
    "read_inventory",
    "write_frame",
    "write_result",
]

# Parquet writer options of every graded file: zstd pages; a column stops being
# dictionary-encoded once its dictionary passes 64 KiB (pyarrow's default is 1 MiB),
# which encodes high-cardinality columns (ids, amounts, scores) with about a third
# less CPU and makes the file smaller.
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "dictionary_pagesize_limit": 1 << 16}

# bytes per CSV block read (the local engine's batch size too)
CSV_BLOCK = 1 << 22

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UMASK = os.umask(0)
os.umask(_UMASK)


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 (hex) of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def frame_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 (hex) of a DataFrame's column names and values (row order matters)."""
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in frame.columns], ensure_ascii=False).encode())
    if len(frame):
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def detect_encoding(path: str | Path, sample: int = 1 << 20) -> str:
    """Guess a CSV file's encoding: ``"utf-8-sig"``, ``"utf-8"`` or ``"gb18030"``.

    A UTF-8 byte-order mark decides at once; otherwise the first MiB is decoded as
    UTF-8 (a character cut at the end of the sample is allowed) and GB18030 — a
    superset of GBK and GB2312, which Excel writes on Chinese systems — is chosen
    when that fails.
    """
    from riskgrade.engine.csv_blocks import open_decompressed

    try:
        with open_decompressed(path) as fh:
            head = fh.read(sample)
    except OSError:  # a corrupt compressed file: the reader reports it
        return "utf-8"
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3 or err.reason != "unexpected end of data":
            return "gb18030"
    return "utf-8"


def text_column_types(config: RiskModelConfig | None) -> dict[str, pa.DataType]:
    names = set(TEXT_COLUMNS)
    for alias, canon in COLUMN_ALIASES.items():
        if canon in TEXT_COLUMNS:
            names.add(alias)
    if config is not None:
        for src, canon in config.columns.items():
            if canon in TEXT_COLUMNS:
                names.add(src)
    return dict.fromkeys(sorted(names), pa.string())


def read_inventory(
    source: str | Path | pd.DataFrame,
    config: RiskModelConfig | None = None,
    *,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read an inventory into a DataFrame with canonical column names.

    Parameters
    ----------
    source : str, Path or pandas.DataFrame
        A ``.csv`` (optionally ``.csv.gz``) or ``.parquet`` file, or a DataFrame.
    config : RiskModelConfig, optional
        Supplies extra column mappings (``config.columns``).
    encoding : str, optional
        CSV encoding; detected when omitted (see :func:`detect_encoding`).

    Returns
    -------
    pandas.DataFrame
        The inventory, identifier columns folded to one spelling under
        ``config.identity`` (see :mod:`riskgrade.identity`). ``frame.attrs`` holds
        ``source``, ``input_sha256``, ``identity_folds`` and, for CSV, ``encoding``. The rows are
        not validated: call
        :func:`riskgrade.validate_inventory`.

    Raises
    ------
    InventoryValidationError
        With reason ``empty`` for a file with no header, or ``wrong_type`` when the
        file cannot be parsed at all.
    FileNotFoundError
        When the file does not exist.
    """
    mapping = dict(config.columns) if config is not None else {}
    values: dict[str, dict[str, str]] | None = (
        {str(k): dict(v) for k, v in config.values.items()} if config is not None else None
    )
    if isinstance(source, pd.DataFrame):
        frame = source.copy(deep=False)
        raw = [str(c) for c in frame.columns]
        frame.columns = canonical_columns(frame.columns, mapping)
        frame = normalise_values(frame, values)
        frame, extra = convert_inventory(frame, raw, config)
        frame.attrs = {"source": "<DataFrame>", "input_sha256": frame_sha256(source), **extra}
        return _fold(frame, config)
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"inventory file not found: {path}")
    suffixes = [s.lower() for s in path.suffixes]
    if ".parquet" in suffixes or ".pq" in suffixes:
        import pyarrow.parquet as pq  # Parquet support loaded when a Parquet file is met

        table = pq.read_table(path)
        attrs = {"source": str(path), "input_sha256": file_sha256(path)}
    else:
        if path.stat().st_size == 0:
            raise _file_error("empty", "the file is empty (no header, no rows)")
        enc = encoding or detect_encoding(path)
        table = read_csv_file(path, enc, config)
        attrs = {"source": str(path), "input_sha256": file_sha256(path), "encoding": enc}
    frame = table.to_pandas()
    frame.columns = canonical_columns(table.column_names, mapping)
    frame = normalise_values(frame, values)
    frame, extra = convert_inventory(frame, list(table.column_names), config)
    frame.attrs = {**attrs, **extra}
    return _fold(frame, config)


def _fold(frame: pd.DataFrame, config: RiskModelConfig | None) -> pd.DataFrame:
    """Identifier spellings folded (:mod:`riskgrade.identity`); a warning lists how many."""
    out = fold_frame(frame, config)
    folds = out.attrs["identity_folds"]
    if folds:
        import warnings

        from riskgrade.exceptions import DataWarning

        cols = sorted({r["column"] for r in folds})
        warnings.warn(
            f"{len(folds)} spelling(s) of {', '.join(cols)} were normalised under the config's "
            "identity policy (white space, full-width or decomposed characters, case); "
            "riskgrade.identity.identity_report(frame) lists them",
            DataWarning,
            stacklevel=3,
        )
    return out


def read_csv_file(path: Path, encoding: str, config: RiskModelConfig | None) -> pa.Table:
    """The whole CSV file by the reader of the batch engines (same rows, values and types)."""
    from riskgrade.engine.csv_blocks import TooWide, read_csv_table

    try:
        return read_csv_table(path, encoding=encoding, column_types=text_column_types(config),
                              block_size=CSV_BLOCK, threads=min(2, os.cpu_count() or 1))
    except TooWide as err:
        raise _file_error("too_many_columns", str(err)) from None
    except (pa.ArrowInvalid, OSError, UnicodeError) as err:
        msg = str(err)
        if "Empty CSV file" in msg:
            raise _file_error("empty", "the file has no header and no rows") from None
        raise _file_error("wrong_type", f"cannot parse CSV ({encoding}): {msg}") from None


def _file_error(reason: str, message: str) -> InventoryValidationError:
    fc = pd.DataFrame(
        {
            "row": pd.array([pd.NA], dtype="Int64"),
            "risk_point_id": [None],
            "column": [""],
            "value": [None],
            "reason": [reason],
            "message": [message],
        }
    )
    return InventoryValidationError(fc, n_rows=0)


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it into place on success.

    On any exception (including ``KeyboardInterrupt``) the temporary file is removed
    and ``target`` is left as it was. Inside :func:`riskgrade.outputs.together` the
    rename waits for the end of that block (every output of a run, or none). The
    temporary name carries the process id (:func:`riskgrade.outputs.run_marker`), so
    one left by a killed run is removed by the next (:func:`riskgrade.outputs.clean_stale`).
    """
    from riskgrade.outputs import defer, run_marker

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{run_marker()}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_UMASK)
    try:
        yield tmp_path
        if not defer(tmp_path, target):
            os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def neutralise_formulas(table: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    cols = []
    for col, field in zip(table.columns, table.schema, strict=True):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            risky = pc.starts_with(col, "=")
            for ch in FORMULA_START[1:]:
                risky = pc.or_(risky, pc.starts_with(col, ch))
            if pc.any(risky).as_py():
                quote = pa.scalar("'", type=field.type)
                empty = pa.scalar("", type=field.type)
                col = pc.if_else(risky, pc.binary_join_element_wise(quote, col, empty), col)
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def frame_to_table(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def write_frame(
    frame: pd.DataFrame | pa.Table,
    path: str | Path,
    *,
    provenance: dict[str, Any] | None = None,
    fmt: str | None = None,
) -> Path:
    """Write a table atomically as CSV or Parquet (by ``fmt`` or the file suffix).

    Parameters
    ----------
    frame : pandas.DataFrame or pyarrow.Table
        What to write.
    path : str or Path
        Target file; ``-`` is not accepted here (see the CLI).
    provenance : dict, optional
        JSON-serialisable provenance: stored in Parquet metadata under ``riskgrade``,
        or in a ``<path>.meta.json`` sidecar for CSV.
    fmt : {"csv", "parquet"}, optional
        Output format; default from the suffix (``.parquet``/``.pq`` -> Parquet).

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    fmt = fmt or ("parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv")
    table = frame if isinstance(frame, pa.Table) else frame_to_table(frame)
    prov_json = json.dumps(provenance or {}, ensure_ascii=False, sort_keys=True, indent=2)
    if fmt == "parquet":
        meta = dict(table.schema.metadata or {})
        meta[b"riskgrade"] = prov_json.encode("utf-8")
        table = table.replace_schema_metadata(meta)
        with atomic_path(path) as tmp:
            import pyarrow.parquet as pq  # Parquet support loaded when a Parquet file is met

            pq.write_table(table, tmp, **PARQUET_OPTIONS)
        return path
    if fmt != "csv":
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    table = neutralise_formulas(table)
    sidecar = path.with_name(path.name + ".meta.json")
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(b"\xef\xbb\xbf")
            write_csv_table(table, fh)
        if provenance is not None:
            with atomic_path(sidecar) as tmp_meta:
                tmp_meta.write_text(prov_json + "\n", encoding="utf-8")
    return path


def write_csv_table(table: pa.Table, fh: IO[bytes]) -> None:
    pacsv.write_csv(table, fh, write_options=pacsv.WriteOptions(quoting_style="needed"))


def write_result(
    result: GradingResult | pd.DataFrame,
    path: str | Path,
    *,
    fmt: str | None = None,
) -> Path:
    """Write a grading result's frame atomically with its provenance.

    Parameters
    ----------
    result : GradingResult or pandas.DataFrame
        The result (its ``.frame`` is written) or a frame.
    path : str or Path
        Target ``.csv`` or ``.parquet`` file.
    fmt : {"csv", "parquet"}, optional
        Output format; default from the suffix.

    Returns
    -------
    Path
        The written file.
    """
    if isinstance(result, pd.DataFrame):
        return write_frame(result, path, provenance=None, fmt=fmt)
    return write_frame(result.frame, path, provenance=result.provenance, fmt=fmt)


def read_provenance(path: str | Path) -> dict[str, Any]:
    """Provenance stored with a result file (Parquet metadata or CSV sidecar)."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq  # Parquet support loaded when a Parquet file is met

        meta = pq.read_schema(path).metadata or {}
        raw = meta.get(b"riskgrade")
        return json.loads(raw) if raw else {}
    sidecar = path.with_name(path.name + ".meta.json")
    if sidecar.exists():
        return json.loads(sidecar.read_text(encoding="utf-8"))
    return {}

