"""File formats: one :class:`Format` object per kind of file riskgrade reads or writes.

Each format owns its suffixes, its reader, its writer, whether it neutralises
formulas and where it keeps the provenance. Every reader and writer of inventories
and results goes through :func:`input_format` (by the file's bytes: a file is what
its bytes say, whatever its name) and :func:`output_format` (by the suffix asked for;
a suffix riskgrade does not write is refused, never written as something else).

=========  ==========================  ======  ======  ===========  ================
name       suffixes                    read    write   neutralises  provenance
=========  ==========================  ======  ======  ===========  ================
csv        .csv, .txt (read);          yes     .csv    yes          .meta.json
           .csv.gz/.zst/.bz2 (read)                                 sidecar
parquet    .parquet, .pq               yes     yes     no           file metadata
xlsx       .xlsx, .xlsm (read)         yes     .xlsx   no (text     说明 sheet
                                                       cells)
xls        .xls                        yes     no      -            -
=========  ==========================  ======  ======  ===========  ================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from riskgrade.formats.files import (
    Sniffed,
    UnsupportedFormatError,
    atomic_path,
    detect_encoding,
    file_error,
    file_sha256,
    not_an_inventory,
    sniff,
)
from riskgrade.formats.neutral import FORMULA_START, neutralise, unneutralise

if TYPE_CHECKING:
    from riskgrade.config import RiskModelConfig

__all__ = [
    "FORMATS",
    "FORMULA_START",
    "Format",
    "Sniffed",
    "SourceRows",
    "UnsupportedFormatError",
    "atomic_path",
    "detect_encoding",
    "file_sha256",
    "input_format",
    "neutralise",
    "output_format",
    "read_provenance",
    "read_table",
    "sniff",
    "to_arrow",
    "unneutralise",
    "write_table",
]


@dataclass(frozen=True)
class Format:
    """A kind of file.

    Attributes
    ----------
    name : str
        ``"csv"``, ``"parquet"``, ``"xlsx"`` or ``"xls"``.
    suffixes : tuple of str
        Lower-case suffixes that name it (the first is the one written).
    writable : bool
        Whether riskgrade writes it.
    engine_input, engine_output : bool
        Whether the batch engines (local, stream, dask) read / write it; other files
        are graded in memory.
    neutralises : bool
        Whether text is written with formula neutralising (CSV).
    """

    name: str
    suffixes: tuple[str, ...]
    writable: bool
    engine_input: bool
    engine_output: bool
    neutralises: bool

    def write(self, data: pd.DataFrame | pa.Table, path: Path, provenance: dict[str, Any] | None,
              **extra: Any) -> None:
        """Write ``data`` atomically to ``path`` (``extra``: sheets of an xlsx result)."""
        from riskgrade.formats import tabular

        if self.name == "xlsx":
            from riskgrade.formats.xlsx_write import write_xlsx

            write_xlsx(data, path, provenance, **extra)
            return
        table = data if isinstance(data, pa.Table) else to_arrow(data)
        if self.name == "parquet":
            tabular.write_parquet(table, path, provenance)
        elif self.name == "csv":
            tabular.write_csv(table, path, provenance)
        else:
            raise UnsupportedFormatError(f"riskgrade does not write {self.name} files")

    def provenance(self, path: Path) -> dict[str, Any]:
        """The provenance stored with a file of this format (``{}`` when none)."""
        from riskgrade.formats import tabular

        if self.name == "parquet":
            return tabular.read_parquet_provenance(path)
        if self.name == "xlsx":
            from riskgrade.formats.xlsx_write import read_xlsx_provenance

            return read_xlsx_provenance(path)
        return tabular.read_sidecar(path)


class SourceRows(np.ndarray):
    """Row numbers as the user sees them: an int64 array that compares as a whole.

    ``a == b`` gives one bool (``numpy.array_equal``), so that pandas can compare frame
    attributes (``pandas.concat`` of frames read from files compares their ``attrs``).
    """

    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        return bool(np.array_equal(np.asarray(self), np.asarray(other)))

    def __ne__(self, other: object) -> bool:  # type: ignore[override]
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]


def source_rows(values: Any) -> SourceRows:
    """``values`` as a :class:`SourceRows` array (int64)."""
    return np.asarray(values, dtype=np.int64).view(SourceRows)


#: ``DataFrame.attrs`` keys set by the readers that are not written into files.
READER_ATTRS = ("source_rows", "source_headers", "source_notes", "format", "sheet")


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """A DataFrame as an Arrow table, without the readers' row and header attributes."""
    if any(k in frame.attrs for k in READER_ATTRS):
        frame = frame.copy(deep=False)
        frame.attrs = {k: v for k, v in frame.attrs.items() if k not in READER_ATTRS}
    return pa.Table.from_pandas(frame, preserve_index=False)


#: Every format, by name.
FORMATS: dict[str, Format] = {
    "csv": Format("csv", (".csv", ".txt"), True, True, True, True),
    "parquet": Format("parquet", (".parquet", ".pq"), True, True, True, False),
    "xlsx": Format("xlsx", (".xlsx", ".xlsm"), True, False, False, False),
    "xls": Format("xls", (".xls",), False, False, False, False),
}
_WRITTEN = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx"}


def output_format(path: str | Path, fmt: str | None = None) -> Format:
    """The format to write ``path`` in: ``fmt`` when given, else its suffix.

    A path without suffix is written as CSV. Raises :class:`UnsupportedFormatError`
    for any other suffix riskgrade does not write.
    """
    if fmt is not None:
        if fmt not in _WRITTEN.values():
            raise UnsupportedFormatError(
                f"output format must be one of csv, parquet, xlsx, got {fmt!r}"
            )
        return FORMATS[fmt]
    p = Path(path)
    suffix = p.suffix.lower()
    if not suffix:
        return FORMATS["csv"]
    if suffix not in _WRITTEN:
        raise UnsupportedFormatError(
            f"cannot write {p.name}: riskgrade writes .csv, .parquet (.pq) and .xlsx files "
            f"(not {suffix}); '-' writes CSV to standard output"
        )
    return FORMATS[_WRITTEN[suffix]]


def input_format(path: str | Path) -> tuple[Format, Sniffed]:
    """The format of an existing input file, from its bytes.

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    InventoryValidationError
        When the file is none riskgrade reads; the message says what it seems to be.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"inventory file not found: {p}")
    if p.is_dir():
        raise not_an_inventory(p, "a folder")
    found = sniff(p)
    if found.kind is None:
        if p.stat().st_size == 0:
            raise file_error("empty", f"{p.name} is empty (no header, no rows)")
        raise not_an_inventory(p, found.what)
    if found.kind == "parquet":
        import pyarrow.parquet as pq

        try:
            pq.read_metadata(p)
        except (pa.ArrowException, OSError) as err:
            raise not_an_inventory(p, f"a damaged Parquet file ({err})") from None
    return FORMATS[found.kind], found


def read_table(
    path: str | Path,
    config: RiskModelConfig | None = None,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read a file into a DataFrame with the headers as written (no alias mapping).

    ``attrs`` holds ``source``, ``input_sha256``, ``format``, ``source_rows`` (per
    row, the row number as the user sees it: the sheet row in Excel, the record
    number + 1 in CSV where the header is row 1, the 1-based row in Parquet),
    ``source_headers`` (the header text as written) and ``source_notes`` (what was
    left out, in words); ``encoding`` for CSV, ``sheet`` for Excel.
    """
    fmt, found = input_format(path)
    p = Path(path)
    attrs: dict[str, Any] = {"source": str(p), "format": fmt.name}
    notes: list[str] = []
    if fmt.name in ("xlsx", "xls"):
        from riskgrade.formats.xlsx_read import read_xlsx

        frame = read_xlsx(p, sheet=sheet, config=config)
        extra = dict(frame.attrs)
        attrs.update({"sheet": extra["sheet"]})
        rows = extra["source_rows"]
        headers = extra["source_headers"]
        notes = extra["source_notes"]
    else:
        from riskgrade.formats import tabular

        if sheet is not None:
            notes.append(f"--sheet {sheet} ignored: {p.name} is not a workbook")
        if fmt.name == "parquet":
            table = tabular.read_parquet_table(p)
            first = 1
        else:
            table, enc = tabular.read_csv_table(p, encoding, config, compression=found.compression)
            attrs["encoding"] = enc
            first = 2
        headers = [str(c) for c in table.column_names]
        frame = table.to_pandas()
        frame.columns = headers
        rows = np.arange(first, first + len(frame), dtype=np.int64)
    attrs["input_sha256"] = file_sha256(p)
    attrs["source_rows"] = source_rows(rows)
    attrs["source_headers"] = list(headers)
    attrs["source_notes"] = list(notes)
    frame.attrs = attrs
    return frame


def write_table(
    data: pd.DataFrame | pa.Table,
    path: str | Path,
    *,
    provenance: dict[str, Any] | None = None,
    fmt: str | None = None,
    **extra: Any,
) -> Path:
    """Write a table atomically in the format of ``fmt`` or of the suffix of ``path``."""
    p = Path(path)
    output_format(p, fmt).write(data, p, provenance, **extra)
    return p


def read_provenance(path: str | Path) -> dict[str, Any]:
    """Provenance stored with a result file (Parquet metadata, 说明 sheet or CSV sidecar)."""
    p = Path(path)
    if not p.exists():
        return FORMATS["csv"].provenance(p)
    found = sniff(p)
    return FORMATS.get(found.kind or "csv", FORMATS["csv"]).provenance(p)

