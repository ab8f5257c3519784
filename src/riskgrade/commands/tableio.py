"""Reading and writing the control cycle's tables, and errors in the user's terms.

All table input and output of the cycle commands goes through :func:`read_table`,
:func:`read_graded` and :func:`write_tables`, so that the file formats they accept can
change in one place: CSV (encoding detected), Parquet and Excel workbooks (read with
python-calamine, written through :mod:`riskgrade.formats`, one sheet named after the table).

:func:`user_terms` turns an :class:`~riskgrade.exceptions.InventoryValidationError`
raised on a canonical table back into the user's terms: the column as written in the
file, and in ``row`` the row number a spreadsheet or text editor shows (header = row 1;
the error's message then reads "row 4" where the library says position 2).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd

from riskgrade.exceptions import InventoryValidationError, RiskgradeError

__all__ = ["header_map", "read_graded", "read_table", "user_terms", "write_tables"]

_EXCEL = (".xlsx", ".xlsm", ".xls")
_FILE_ROW = re.compile(r"^file row \d+: ")
_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")  # not allowed in an Excel sheet name


def _suffixes(path: Path) -> list[str]:
    return [s.lower() for s in path.suffixes]


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table as text cells (CSV, Parquet or Excel), rows in file order.

    Empty cells are ``NaN``; CSV cells are kept as text (``"007"`` stays ``"007"``).

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    RiskgradeError
        When the file cannot be read as a table.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"file not found: {p}")
    sfx = _suffixes(p)
    try:
        if ".parquet" in sfx or ".pq" in sfx:
            return pd.read_parquet(p)
        if sfx and sfx[-1] in _EXCEL:
            # the first sheet, header in its first row (python-calamine: a core dependency)
            return pd.read_excel(p, dtype=object, engine="calamine")
        from riskgrade.io import detect_encoding

        if p.stat().st_size == 0:
            raise RiskgradeError(f"{p}: the file is empty (no header, no rows)")
        return pd.read_csv(p, dtype=str, encoding=detect_encoding(p), keep_default_na=False, na_values=[""])
    except (ValueError, UnicodeDecodeError, OSError) as e:
        raise RiskgradeError(f"{p}: cannot be read as a table: {e}") from e


def read_graded(path: str | Path) -> pd.DataFrame:
    """Read a graded file (as written by ``riskgrade score``), headers and values made canonical."""
    from riskgrade.io import read_inventory

    p = Path(path)
    try:
        frame = read_inventory(p)  # CSV, Parquet or the graded sheet of a workbook
    except (InventoryValidationError, FileNotFoundError, RiskgradeError):
        raise
    except (ValueError, UnicodeDecodeError, OSError) as e:
        raise RiskgradeError(f"{p}: cannot be read as a table: {e}") from e
    rename = {c: "key_domain" for c in frame.columns if str(c).strip() in ("重点领域", "key_domain")}
    return frame.rename(columns=rename)


def write_tables(outputs: Mapping[str, pd.DataFrame]) -> list[Path]:
    """Write every ``{path: frame}`` (CSV, Parquet or ``.xlsx`` by suffix), each atomically.

    All frames are computed before this is called, so a bad input never leaves part of
    the outputs behind. A workbook holds the table on one sheet named after the file.
    """
    from riskgrade.formats import write_table
    from riskgrade.io import write_frame

    written = []
    for path, frame in outputs.items():
        if Path(path).suffix.lower() == ".xlsx":
            sheet = _SHEET_CHARS.sub("_", Path(path).stem)[:31] or "表"
            written.append(write_table(_plain(frame), path, sheet=sheet))
        else:
            written.append(write_frame(_plain(frame), path))
    return written


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns mixing dates, numbers and text become text (one type per column)."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object:
            empty = out[c].isna().to_numpy()
            kinds = {type(v) for v, e in zip(out[c], empty, strict=True) if not e}
            if len(kinds) > 1 or (kinds and not kinds <= {str, bool}):
                out[c] = [None if e else str(v) for v, e in zip(out[c], empty, strict=True)]
    return out


@contextlib.contextmanager
def user_terms(
    table: str, headers: Mapping[str, str] | None = None, row_offset: int = 2, kind: str | None = None
) -> Iterator[None]:
    """Re-raise validation errors with the file's column names and spreadsheet row numbers.

    Parameters
    ----------
    table : str
        The file, shown in every message.
    headers : mapping, optional
        ``{canonical column: header as written}``.
    row_offset : int
        Added to the 0-based row (2 = one header line).
    kind : str, optional
        Table kind (``"measures"``, ``"signals"``, ...): a missing column is named by its
        Chinese header too, e.g. ``日期 (date)``.
    """
    try:
        yield
    except InventoryValidationError as e:
        fc = e.failure_cases.copy()
        headers = headers or {}
        fc["column"] = [headers.get(str(c), c) for c in fc["column"]]
        if kind is not None:
            from riskgrade.governance.tables import HEADER_ALIASES

            zh: dict[str, str] = {}
            for header, canon in HEADER_ALIASES[kind].items():
                zh.setdefault(canon, header)
            fc["column"] = [
                f"{zh[str(c)]} ({c})" if why == "missing_column" and str(c) in zh else c
                for c, why in zip(fc["column"], fc["reason"], strict=True)
            ]
        fc["message"] = [f"{table}: {_FILE_ROW.sub('', str(m))}" for m in fc["message"]]
        rows = [None if pd.isna(r) else int(r) + row_offset for r in fc["row"]]
        fc["row"] = pd.array(rows, dtype="Int64")  # the row a spreadsheet shows (header = 1)
        raise InventoryValidationError(fc, n_rows=e.n_rows) from None


def header_map(raw: pd.DataFrame, canonical: pd.DataFrame) -> dict[str, str]:
    """``{canonical column: header as written}`` for two frames with the same column order."""
    return {str(c): str(r).strip() for c, r in zip(canonical.columns, raw.columns, strict=True)}
