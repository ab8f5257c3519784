"""File helpers shared by every format: atomic writes, hashes, text encodings, sniffing.

:func:`sniff` looks at a file's first and last bytes and says what the file is:
one of the kinds riskgrade reads (``"csv"``, ``"parquet"``, ``"xlsx"``, ``"xls"``,
with the compression of a compressed CSV) or, for anything else, a description in
words ("a PDF document", "a zip archive that is not an Excel workbook", ...), which
the readers put into the error they raise (CLI exit 3).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Sniffed",
    "UnsupportedFormatError",
    "atomic_path",
    "detect_encoding",
    "file_error",
    "file_sha256",
    "not_an_inventory",
    "sniff",
]


class UnsupportedFormatError(ValueError):
    """An output riskgrade does not write (CLI exit 2).

    A suffix it does not know, or more rows than the format holds.
    """

_UMASK = os.umask(0)
os.umask(_UMASK)


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 (hex) of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


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


def detect_encoding(path: str | Path, sample: int = 1 << 20, *, compression: str | None = None) -> str:
    """Guess a CSV file's encoding: ``"utf-8-sig"``, ``"utf-8"``, ``"utf-16"`` or ``"gb18030"``.

    A byte-order mark decides at once (UTF-8 or UTF-16); otherwise the first MiB is
    decoded as UTF-8 (a character cut at the end of the sample is allowed) and
    GB18030 — a superset of GBK and GB2312, which Excel writes on Chinese systems —
    is chosen when that fails. A gzip- or zstd-compressed file is looked at decompressed
    (``compression``, or detected from the first bytes when omitted).
    """
    if compression is None:
        with open(path, "rb") as fh:
            magic = fh.read(4)
        compression = next((c for m, c in _COMPRESSED if magic.startswith(m)), None)
    if compression:
        import pyarrow as pa

        try:
            with pa.input_stream(str(path), compression=compression) as fh:
                head = fh.read(sample)
        except OSError:  # a damaged compressed file: the reader reports it
            return "utf-8"
    else:
        with open(path, "rb") as fh:
            head = fh.read(sample)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3 or err.reason != "unexpected end of data":
            return "gb18030"
    return "utf-8"


@dataclass(frozen=True)
class Sniffed:
    """What a file's bytes say it is.

    Attributes
    ----------
    kind : str or None
        ``"csv"``, ``"parquet"``, ``"xlsx"`` or ``"xls"`` when riskgrade can read the
        file, else ``None``.
    compression : str or None
        ``"gzip"`` or ``"zstd"`` for a compressed CSV.
    what : str
        The file in words, for messages.
    """

    kind: str | None
    compression: str | None = None
    what: str = ""


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"SQLite format 3", "an SQLite database"),
    (b"\x7fELF", "an executable program"),
    (b"MZ", "a Windows program"),
    (b"{\\rtf", "an RTF document"),
    (b"BZh", "a bzip2-compressed file (riskgrade reads gzip- and zstd-compressed CSV)"),
)
_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"\x28\xb5\x2f\xfd", "zstd"))


def sniff(path: str | Path) -> Sniffed:
    """Say what a file is from its bytes (see the module notes).

    Parameters
    ----------
    path : str or Path
        An existing file.

    Returns
    -------
    Sniffed
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        return Sniffed(None, what="an empty file (no header, no rows)")
    with open(path, "rb") as fh:
        head = fh.read(8192)
        if head[:4] == b"PAR1":
            fh.seek(max(0, size - 4))
            tail = fh.read(4)
            if size >= 12 and tail == b"PAR1":
                return Sniffed("parquet", what="a Parquet file")
            return Sniffed(None, what="a damaged Parquet file (its footer is missing)")
    if head[:4] == b"PK\x03\x04" or head[:4] == b"PK\x05\x06":
        return _sniff_zip(path)
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return Sniffed("xls", what="an Excel 97-2003 workbook (.xls)")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return Sniffed(None, what=what)
    for magic, comp in _COMPRESSED:
        if head.startswith(magic):
            return Sniffed("csv", compression=comp, what=f"a {comp}-compressed file")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Sniffed("csv", what="a UTF-16 text file")
    if b"\x00" in head:
        return Sniffed(None, what="binary data, not text (no CSV, Parquet or Excel file)")
    low = head.lstrip().lower()
    if low.startswith((b"<!doctype html", b"<html")):
        return Sniffed(None, what="an HTML page")
    return Sniffed("csv", what="a text file")


def _sniff_zip(path: Path) -> Sniffed:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return Sniffed(None, what="a damaged zip archive")
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if "xl/workbook.bin" in names:
            return Sniffed(None, what="an Excel binary workbook (.xlsb); save it as .xlsx")
        return Sniffed("xlsx", what="an Excel workbook (.xlsx)")
    if "word/document.xml" in names:
        return Sniffed(None, what="a Word document (.docx)")
    if "ppt/presentation.xml" in names:
        return Sniffed(None, what="a PowerPoint presentation (.pptx)")
    if "content.xml" in names and "mimetype" in names:
        return Sniffed(None, what="an OpenDocument file (save it as .xlsx or .csv)")
    return Sniffed(None, what="a zip archive that is not an Excel workbook")


def file_error(reason: str, message: str, *, column: str = "") -> Exception:
    """An :class:`~riskgrade.exceptions.InventoryValidationError` about a whole file.

    Parameters
    ----------
    reason : str
        A reason code of :data:`riskgrade.schema.REASONS` (``"empty"``, ``"wrong_type"``...).
    message : str
        What is wrong, in words.
    column : str, optional
        The column concerned, as the user wrote it.
    """
    import pandas as pd

    from riskgrade.exceptions import InventoryValidationError

    fc = pd.DataFrame(
        {
            "row": pd.array([pd.NA], dtype="Int64"),
            "risk_point_id": [None],
            "column": [column],
            "value": [None],
            "reason": [reason],
            "message": [message],
        }
    )
    return InventoryValidationError(fc, n_rows=0)


def not_an_inventory(path: str | Path, what: str) -> Exception:
    """The error for a file that is no inventory riskgrade reads."""
    return file_error(
        "wrong_type",
        f"{Path(path).name} is not an inventory riskgrade can read: it seems to be {what}. "
        "Give a .csv, .parquet or .xlsx file",
    )
