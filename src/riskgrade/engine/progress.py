"""A one-line progress display on standard error for long batch runs."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["RowProgress"]


class RowProgress:
    """Show the phase, rows done and throughput, redrawn in place at most every 0.2 s.

    Parameters
    ----------
    stream : text stream, optional
        Where to draw (default ``sys.stderr``).
    enabled : bool, optional
        Draw at all; default: only when ``stream`` is a terminal.

    Examples
    --------
    >>> import io
    >>> p = RowProgress(io.StringIO(), enabled=False)
    >>> p("reading", 10)
    >>> p.close()
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.t0 = time.perf_counter()
        self.phase_t0 = self.t0
        self.phase = ""
        self.last = 0.0
        self.drawn = False

    def __call__(self, phase: str, rows: int) -> None:
        """Report ``rows`` done in ``phase`` (``"ranking"`` counts unit groups)."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if phase != self.phase:
            self.phase, self.phase_t0 = phase, now
        elif now - self.last < 0.2:
            return
        self.last = now
        dt = max(now - self.phase_t0, 1e-9)
        what = "unit groups" if phase == "ranking" else "rows"
        rate = "" if phase == "ranking" else f", {rows / dt:,.0f} rows/s"
        msg = f"riskgrade: {phase} {rows:,} {what}{rate}, {now - self.t0:.1f} s"
        self.stream.write("\r" + msg.ljust(78)[:200])
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """End the line (if anything was drawn)."""
        if self.drawn:
            self.stream.write("\r" + " " * 78 + "\r")
            self.stream.flush()
            self.drawn = False
