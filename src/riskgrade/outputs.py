"""Safety of a run's output files: checked before any work, committed together, cleaned after a kill.

- :func:`check_outputs` resolves every output path (symbolic links followed, hard links
  found with ``os.path.samefile``) and refuses an output that is an input or another
  output, or whose folder cannot be written, before anything is read or written.
- :func:`together` defers the renames of :func:`riskgrade.io.atomic_path`: every output of
  a run is written to a temporary file beside its target and all are renamed at the end
  of the block, so a failure in any of them (an unwritable audit folder, an interrupt)
  leaves none of them.
- Temporary files (``.<name>.rg<pid>@<host>.<random>.tmp``) and spill folders
  (``riskgrade-<pid>@<host>-<random>`` in the temporary directory) carry the process id
  and host of their run; :func:`clean_stale` removes those of runs whose process is gone
  (killed), never those of a live run, another host's or another user's.
- :func:`sigterm_as_interrupt` makes ``SIGTERM`` unwind like ``Ctrl-C`` (temporary files
  removed) and records that it came.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from riskgrade.exceptions import RiskgradeError

__all__ = [
    "OutputPathError",
    "Terminated",
    "check_outputs",
    "clean_stale",
    "run_marker",
    "run_outputs",
    "sigterm_as_interrupt",
    "spill_prefix",
    "together",
]


class OutputPathError(RiskgradeError, ValueError):
    """An output path collides with an input or another output, or cannot be written."""


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process receives ``SIGTERM``."""


# ---------------------------------------------------------------------------------- checks
def _same(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def _writable_folder(target: Path) -> str | None:
    """Why ``target`` cannot be created (``None``: it can)."""
    if target.is_dir():
        return "it is a folder"
    parent = target.parent
    while not parent.exists():
        if parent == parent.parent:  # pragma: no cover - the root always exists
            break
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"folder {parent} is not writable"
    return None


def check_outputs(
    inputs: Mapping[str, str | Path | None], outputs: Mapping[str, str | Path | None]
) -> None:
    """Refuse output paths that are an input, another output, or not writable.

    Parameters
    ----------
    inputs : dict
        What the run reads, by the name the user knows it by (e.g. ``"input"``,
        ``"--config"``); ``None`` values are skipped.
    outputs : dict
        What the run writes, by name (e.g. ``"-o"``, ``"--audit"``, ``"sidecar"``);
        ``None`` and ``"-"`` (standard output) are skipped.

    Raises
    ------
    OutputPathError
        Naming every collision and unwritable path found.
    """
    ins = [(k, Path(v)) for k, v in inputs.items() if v is not None and str(v) != "-"]
    outs = [(k, Path(v)) for k, v in outputs.items() if v is not None and str(v) != "-"]
    problems = []
    for i, (name, path) in enumerate(outs):
        for in_name, in_path in ins:
            if _same(path, in_path):
                problems.append(f"{name} {path} is the {in_name} {in_path}: it would be overwritten")
        for other, opath in outs[:i]:
            if _same(path, opath):
                problems.append(f"{name} {path} and {other} {opath} are the same file")
        why = _writable_folder(path)
        if why is not None:
            problems.append(f"cannot write {name} {path}: {why}")
    if problems:
        raise OutputPathError("; ".join(problems) + " (nothing read, nothing written)")


def run_outputs(output: str | Path | None, fmt: str | None, rejects: str | Path | None,
                audit: str | Path | None) -> dict[str, Path | None]:
    """Every file a grading run may write, by name: graded file, CSV sidecar, rejects, audit.

    The rejects file defaults to ``<output stem>.rejects.csv`` beside the output.
    """
    out = Path(output) if output is not None and str(output) != "-" else None
    side = rej = None
    if out is not None:
        ofmt = fmt or ("parquet" if out.suffix.lower() in (".parquet", ".pq") else "csv")
        side = out.with_name(out.name + ".meta.json") if ofmt == "csv" else None
        rej = Path(rejects) if rejects else out.with_name(
            (out.name[: -len(out.suffix)] if out.suffix else out.name) + ".rejects.csv"
        )
    return {"output": out, "sidecar": side, "rejects": rej,
            "audit": Path(audit) if audit is not None else None}


# ---------------------------------------------------------------------------------- together
_ACTIVE: contextvars.ContextVar[list[tuple[Path, Path]] | None] = contextvars.ContextVar(
    "riskgrade_outputs", default=None
)


class _Batch:
    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path]] = []
        self.keep = True

    def discard(self) -> None:
        """Remove the temporary files instead of renaming them at the end."""
        self.keep = False


@contextlib.contextmanager
def together() -> Iterator[_Batch]:
    """Rename every file written by ``atomic_path`` inside the block at its end, or none.

    Inside an enclosing ``together`` block this one joins it (the outer block renames).
    On an exception, or after :meth:`discard`, the temporary files are removed.
    """
    batch = _Batch()
    if _ACTIVE.get() is not None:
        yield batch
        return
    token = _ACTIVE.set(batch.pending)
    try:
        yield batch
    except BaseException:
        _ACTIVE.reset(token)
        _remove(batch.pending)
        raise
    _ACTIVE.reset(token)
    if not batch.keep:
        _remove(batch.pending)
        return
    done = 0
    try:
        for tmp, target in batch.pending:
            os.replace(tmp, target)
            done += 1
    finally:
        _remove(batch.pending[done:])


def defer(tmp: Path, target: Path) -> bool:
    """Register a finished temporary file with the active :func:`together` (``False``: none)."""
    pending = _ACTIVE.get()
    if pending is None:
        return False
    for i, (_old, tgt) in enumerate(pending):
        if tgt == target:  # written twice in one run: the later one wins
            with contextlib.suppress(FileNotFoundError):
                _old.unlink()
            pending[i] = (tmp, target)
            return True
    pending.append((tmp, target))
    return True


def _remove(pending: Iterable[tuple[Path, Path]]) -> None:
    for tmp, _target in pending:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


# ---------------------------------------------------------------------------------- markers
def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def run_marker() -> str:
    """``rg<pid>@<host>``: who owns a temporary file (the process id and a hash of the host)."""
    return f"rg{os.getpid()}@{_host()}"


def spill_prefix() -> str:
    """Prefix of a run's spill folder in the temporary directory."""
    return f"riskgrade-{run_marker()}-"


_TMP_FILE = re.compile(r"^\..+\.rg(\d+)@([0-9a-f]{6})\..+\.tmp$")
_SPILL = re.compile(r"^riskgrade-rg(\d+)@([0-9a-f]{6})-")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _stale(entry: os.DirEntry, pattern: re.Pattern[str]) -> bool:
    m = pattern.match(entry.name)
    if m is None or m.group(2) != _host():
        return False
    try:
        if entry.stat(follow_symlinks=False).st_uid != os.getuid():
            return False
    except OSError:
        return False
    return not _alive(int(m.group(1)))


def clean_stale(folders: Iterable[str | Path] = ()) -> int:
    """Remove the temporary files (in ``folders``) and spill folders of killed runs.

    Only entries named by :func:`run_marker` of this host, owned by this user, whose
    process no longer exists are removed. Returns how many were removed.
    """
    removed = 0
    for folder in {str(Path(f)) for f in folders}:
        with contextlib.suppress(OSError), os.scandir(folder) as it:
            for e in it:
                if e.is_file(follow_symlinks=False) and _stale(e, _TMP_FILE):
                    with contextlib.suppress(OSError):
                        os.unlink(e.path)
                        removed += 1
    with contextlib.suppress(OSError), os.scandir(tempfile.gettempdir()) as it:
        for e in it:
            if e.is_dir(follow_symlinks=False) and _stale(e, _SPILL):
                shutil.rmtree(e.path, ignore_errors=True)
                removed += 1
    return removed


# ---------------------------------------------------------------------------------- signals
@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[dict[str, Any]]:
    """Within the block, ``SIGTERM`` raises :class:`Terminated` (a ``KeyboardInterrupt``).

    Yields a dict whose ``"terminated"`` is set when the signal came. Outside the main
    thread nothing is installed (signals are delivered to the main thread only).
    """
    seen: dict[str, Any] = {"terminated": False}
    if threading.current_thread() is not threading.main_thread():
        yield seen
        return

    def handler(signum: int, frame: Any) -> None:
        seen["terminated"] = True
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGTERM, previous)
