"""Reading inventories and writing results (a front door to :mod:`riskgrade.formats`).

:func:`read_inventory` reads CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM,
GB18030/GBK — detected or given; plain or gzip/zstd/bz2-compressed), Parquet and
Excel workbooks (``.xlsx``, ``.xls``: the table is found on the sheet below title
rows, a two-row header read as one, signature rows left out), maps Chinese and other
column aliases to the canonical names and Chinese enumeration values to their codes.
Identity columns are read as text, so ``"007"`` stays ``"007"``. A file that is no
inventory raises :class:`~riskgrade.exceptions.InventoryValidationError` saying what
it seems to be.

:func:`write_result` writes CSV, Parquet or an Excel workbook **atomically** (a
temporary file in the target folder, renamed into place only when complete), so an
error or an interrupt never leaves a partial file. Parquet carries the provenance
(riskgrade version, config SHA-256, input SHA-256) in its metadata, a workbook in its
说明 sheet; CSV gets a ``.meta.json`` sidecar. CSV is written with a UTF-8 byte-order
mark so that Excel opens it correctly, and text cells (and headers) starting with
``=``, ``+``, ``-``, ``@``, tab or carriage return are prefixed with ``'`` so that no
spreadsheet executes them; :func:`read_inventory` removes that prefix again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from riskgrade.formats import (
    FORMULA_START,
    atomic_path,
    detect_encoding,
    file_sha256,
    neutralise,
    output_format,
    read_table,
    to_arrow,
)
from riskgrade.formats import read_provenance as _formats_read_provenance
from riskgrade.formats.tabular import (
    CSV_BLOCK_SIZE,
    PARQUET_OPTIONS,
    read_csv_table,
    text_column_types,
    write_csv_rows,
)
from riskgrade.identity import fold_frame
from riskgrade.inventory_forms import convert_inventory
from riskgrade.schema import canonical_columns, normalise_values

if TYPE_CHECKING:
    from riskgrade.config import RiskModelConfig
    from riskgrade.results import GradingResult

__all__ = [
    "CSV_BLOCK",
    "FORMULA_START",
    "PARQUET_OPTIONS",
    "atomic_path",
    "detect_encoding",
    "file_sha256",
    "frame_sha256",
    "frame_to_table",
    "neutralise_formulas",
    "read_csv_file",
    "read_inventory",
    "read_provenance",
    "text_column_types",
    "write_csv_table",
    "write_frame",
    "write_result",
]


# bytes per CSV block read (the local engine's batch size too)
CSV_BLOCK = CSV_BLOCK_SIZE


def frame_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 (hex) of a DataFrame's column names and values (row order matters)."""
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in frame.columns], ensure_ascii=False).encode())
    if len(frame):
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def read_inventory(
    source: str | Path | pd.DataFrame,
    config: RiskModelConfig | None = None,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read an inventory into a DataFrame with canonical column names.

    Parameters
    ----------
    source : str, Path or pandas.DataFrame
        A ``.csv`` (optionally ``.csv.gz``/``.csv.zst``), ``.parquet`` or ``.xlsx``/
        ``.xls`` file, or a DataFrame. The kind is read from the file's bytes.
    config : RiskModelConfig, optional
        Supplies extra column mappings (``config.columns``).
    encoding : str, optional
        CSV encoding; detected when omitted (see :func:`detect_encoding`).
    sheet : str or int, optional
        Workbook sheet by name or position (from 1); default: the first sheet that
        holds an inventory header.

    Returns
    -------
    pandas.DataFrame
        The inventory, identifier columns folded to one spelling under
        ``config.identity`` (see :mod:`riskgrade.identity`). ``frame.attrs`` holds
        ``source``, ``input_sha256``, ``identity_folds``, ``format``, ``encoding`` (CSV),
        ``sheet`` (Excel) and, for files, ``source_rows`` (per row, the row number the
        user sees: the sheet row in Excel, record number + 1 in CSV), ``source_headers``
        (headers as written, in the order of the columns) and ``source_notes`` (what the
        reader left out). The rows are not validated: call
        :func:`riskgrade.validate_inventory`.

    Raises
    ------
    InventoryValidationError
        ``empty`` for a file with no header; ``wrong_type`` when the file cannot be
        parsed or is no inventory (the message says what it seems to be);
        ``missing_column`` when no workbook sheet holds an inventory header.
    FileNotFoundError
        When the file does not exist.
    """
    mapping = dict(config.columns) if config is not None else {}
    values: dict[str, dict[str, str]] | None = (
        {str(k): dict(v) for k, v in config.values.items()} if config is not None else None
    )
    if isinstance(source, pd.DataFrame):
        frame = source.copy(deep=False)
        raw_names = [str(c) for c in frame.columns]
        frame.columns = canonical_columns(frame.columns, mapping)
        frame = normalise_values(frame, values)
        frame, extra = convert_inventory(frame, raw_names, config)
        frame.attrs = {"source": "<DataFrame>", "input_sha256": frame_sha256(source), **extra}
        return _fold(frame, config)
    raw = read_table(source, config, encoding=encoding, sheet=sheet)
    attrs = dict(raw.attrs)
    raw_names = [str(c) for c in raw.columns]
    raw.columns = canonical_columns(raw_names, mapping)
    frame = normalise_values(raw, values)
    frame.attrs = attrs
    frame, extra = convert_inventory(frame, raw_names, config)
    frame.attrs = {**extra, **attrs}  # set last, so that the source rows and headers survive
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


def write_frame(
    frame: pd.DataFrame | pa.Table,
    path: str | Path,
    *,
    provenance: dict[str, Any] | None = None,
    fmt: str | None = None,
) -> Path:
    """Write a table atomically as CSV, Parquet or xlsx (by ``fmt`` or the file suffix).

    Parameters
    ----------
    frame : pandas.DataFrame or pyarrow.Table
        What to write.
    path : str or Path
        Target file; ``-`` is not accepted here (see the CLI).
    provenance : dict, optional
        JSON-serialisable provenance: stored in Parquet metadata under ``riskgrade``,
        in the 说明 sheet of a workbook, or in a ``<path>.meta.json`` sidecar for CSV.
    fmt : {"csv", "parquet", "xlsx"}, optional
        Output format; default from the suffix (no suffix: CSV).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    riskgrade.formats.UnsupportedFormatError
        (a ``ValueError``) for a suffix or ``fmt`` riskgrade does not write.
    """
    path = Path(path)
    output_format(path, fmt).write(frame, path, provenance)
    return path


def write_csv_stream(frame: pd.DataFrame | pa.Table, fh: IO[bytes]) -> None:
    """Write a table as CSV (no byte-order mark) to an open binary stream, neutralised."""
    write_csv_rows(frame if isinstance(frame, pa.Table) else to_arrow(frame), fh)


def write_result(
    result: GradingResult | pd.DataFrame,
    path: str | Path,
    *,
    fmt: str | None = None,
    notes: list[str] | None = None,
) -> Path:
    """Write a grading result's frame atomically with its provenance.

    An ``.xlsx`` target gets the graded sheet, a per-unit summary sheet, the quota
    audit sheet and a 说明 sheet with the provenance.

    Parameters
    ----------
    result : GradingResult or pandas.DataFrame
        The result (its ``.frame`` is written) or a frame.
    path : str or Path
        Target ``.csv``, ``.parquet`` or ``.xlsx`` file.
    fmt : {"csv", "parquet", "xlsx"}, optional
        Output format; default from the suffix.
    notes : list of str, optional
        Lines for the 说明 sheet of a workbook (what the reader left out).

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    form = output_format(path, fmt)
    if isinstance(result, pd.DataFrame):
        form.write(result, path, None)
        return path
    extra: dict[str, Any] = {}
    if form.name == "xlsx":
        summary = result.unit_summary().reset_index()
        extra = {"summary": summary, "audit": result.audit, "notes": list(notes or [])}
    form.write(result.frame, path, result.provenance, **extra)
    return path


def read_provenance(path: str | Path) -> dict[str, Any]:
    """Provenance stored with a result file (Parquet metadata, 说明 sheet or CSV sidecar)."""
    return _formats_read_provenance(path)


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """Text values and headers starting like a formula get a ``'`` (:func:`riskgrade.formats.neutralise`)."""
    return neutralise(table)


def frame_to_table(frame: pd.DataFrame) -> pa.Table:
    """A DataFrame as an Arrow table (without the readers' attributes)."""
    return to_arrow(frame)


def read_csv_file(path: Path, encoding: str, config: RiskModelConfig | None) -> pa.Table:
    """The whole CSV file by the reader of the batch engines (invalid input raises exit-3 errors)."""
    return read_csv_table(path, encoding, config)[0]


def write_csv_table(table: pa.Table, fh: IO[bytes]) -> None:
    """Write a table as CSV text as it is (neutralise first with :func:`neutralise_formulas`)."""
    import pyarrow.csv as pacsv

    pacsv.write_csv(table, fh, write_options=pacsv.WriteOptions(quoting_style="needed"))
