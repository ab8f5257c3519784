"""What every CLI run does around its command: output checks, one commit of all outputs, SIGTERM.

Before the command runs, every output path is checked against the inputs and the other
outputs (:func:`riskgrade.outputs.check_outputs`; exit 3, nothing read or written) and
the temporary files of killed runs are removed. The command then runs inside
:func:`riskgrade.outputs.together`: its files are renamed into place when it succeeds,
all at once, and removed when it fails. ``SIGTERM`` unwinds like ``Ctrl-C`` and the run
exits with 143 (128 + 15).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from riskgrade.outputs import (
    OutputPathError,
    Terminated,
    check_outputs,
    clean_stale,
    run_outputs,
    sigterm_as_interrupt,
    together,
)

__all__ = ["EXIT_TERMINATED", "guarded", "run_paths"]

EXIT_TERMINATED = 143
_EXIT_INVALID = 3


def _csv_sidecar(path: str | None) -> str | None:
    if path is None or path == "-" or Path(path).suffix.lower() in (".parquet", ".pq"):
        return None
    return path + ".meta.json"


def run_paths(args: argparse.Namespace) -> tuple[dict[str, str | Path | None], dict[str, str | Path | None]]:
    """The files a command reads and the files it writes, by the names the user gave them."""
    cmd = args.command
    if cmd == "score":
        outs = run_outputs(args.output, None, args.rejects, args.audit)
        return (
            {"input": args.input, "--config": args.config, "--model": args.model},
            {"-o": args.output, "sidecar": outs["sidecar"], "--rejects": outs["rejects"] or args.rejects,
             "--audit": args.audit},
        )
    if cmd == "validate":
        return {"input": args.input, "--config": args.config}, {"--failures": args.failures}
    if cmd == "report":
        return (
            {"graded file": args.graded, "--audit": args.audit, "--model": args.model},
            {"-o": args.output},
        )
    if cmd == "sample":
        return {}, {"-o": args.output, "sidecar": _csv_sidecar(args.output)}
    return {}, {}


def guarded(run: Callable[[Sequence[str] | None], int], parser: argparse.ArgumentParser,
            argv: Sequence[str] | None) -> int:
    """Run ``run(argv)`` with the output checks, the common commit and the SIGTERM handler."""
    err = sys.stderr
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or usage error (2), already printed
        return int(exc.code or 0)
    ins, outs = run_paths(args)
    try:
        check_outputs(ins, outs)
    except OutputPathError as e:
        print(f"riskgrade: {e}", file=err)
        return _EXIT_INVALID
    clean_stale(Path(p).parent for p in outs.values() if p is not None and p != "-")
    keeps = (0, _EXIT_INVALID) if args.command == "validate" else (0,)
    try:
        with sigterm_as_interrupt() as seen, together() as batch:
            rc = run(argv)
            if rc not in keeps or seen["terminated"]:
                batch.discard()
    except Terminated:
        print("riskgrade: terminated; nothing written", file=err)
        return EXIT_TERMINATED
    if seen["terminated"]:
        return EXIT_TERMINATED
    return rc
