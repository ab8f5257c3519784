"""The command line's file handling: output checks, in-memory routing, stdout, ``template``.

Kept apart from :mod:`riskgrade.cli` so that the CLI only parses and dispatches.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from riskgrade.formats import UnsupportedFormatError, input_format, output_format, to_arrow

__all__ = [
    "check_outputs",
    "graded_in_memory",
    "print_source_notes",
    "quiet_broken_pipe",
    "run_template_command",
    "write_graded",
    "write_stdout_csv",
]


def check_outputs(*paths: str | None) -> None:
    """Refuse, before any work, an output whose suffix riskgrade does not write.

    ``None`` and ``-`` (CSV to standard output) pass. Raises
    :class:`~riskgrade.formats.UnsupportedFormatError` (CLI exit 2).
    """
    for p in paths:
        if p is not None and p != "-":
            output_format(p)


def graded_in_memory(input_path: str, output: str) -> bool:
    """Whether a file must be graded on the in-memory path.

    The batch engines read and write CSV (plain or compressed) and Parquet only:
    workbooks are read whole.
    """
    if output != "-" and not output_format(output).engine_output:
        return True
    p = Path(input_path)
    if not p.is_file():
        return False
    return not input_format(p)[0].engine_input


def write_graded(frame: Any, out: str, result: Any, *, notes: list[str] | None = None) -> None:
    """Write the graded frame; a workbook also gets the unit summary, audit and 说明 sheets."""
    path = Path(out)
    form = output_format(path)
    if form.name == "xlsx":
        form.write(frame, path, result.provenance, summary=result.unit_summary().reset_index(),
                   audit=result.audit, notes=list(notes or []))
    else:
        form.write(frame, path, result.provenance)


def write_stdout_csv(data: Any) -> None:
    """Write a table as CSV to standard output (neutralised)."""
    import pyarrow as pa

    from riskgrade.formats.tabular import write_csv_rows

    table = data if isinstance(data, pa.Table) else to_arrow(data)
    sys.stdout.flush()
    buf = sys.stdout.buffer
    write_csv_rows(table, buf)
    buf.flush()


def quiet_broken_pipe() -> int:
    """Finish quietly after the reader of standard output went away (``riskgrade ... | head``).

    Standard output is pointed at the null device so that nothing more fails on exit;
    the exit code is 0.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return 0


def print_source_notes(frame: Any, err: TextIO) -> None:
    """Print what the reader left out (``attrs["source_notes"]``) to the run summary."""
    for note in frame.attrs.get("source_notes", []) or []:
        print(f"riskgrade: note: {note}", file=err)


def run_template_command(args: argparse.Namespace, err: TextIO) -> int:
    """``riskgrade template -o FILE.xlsx``: write the blank entry form."""
    from riskgrade.formats.template import write_template

    out = Path(args.output)
    if out.suffix.lower() != ".xlsx":
        raise UnsupportedFormatError(
            f"the entry form is an Excel workbook: give a .xlsx name, not {out.name}"
        )
    catalog = None
    if getattr(args, "config", None):
        from riskgrade.config import load_config

        catalog = load_config(args.config).catalog
    write_template(out, catalog)
    print(f"riskgrade: wrote the blank entry form {out}", file=err)
    return 0
