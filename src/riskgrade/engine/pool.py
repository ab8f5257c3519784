"""A bounded pool of threads whose results come back in submission order."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["Ordered"]


class Ordered:
    """A bounded pool whose results come back in submission order.

    At most ``threads + 1`` jobs are in flight: :meth:`submit` returns the results that
    had to be collected to make room (oldest first), so memory stays bounded and the
    caller consumes results in input order. With ``threads=0`` jobs run inline.
    """

    def __init__(self, threads: int) -> None:
        self.threads = max(0, threads)
        self.pool = ThreadPoolExecutor(max_workers=self.threads) if self.threads else None
        self.pending: deque = deque()

    def submit(self, fn: Callable[..., Any], *args: Any) -> list[Any]:
        """Start ``fn(*args)``; return the results collected to stay within the bound."""
        if self.pool is None:
            return [fn(*args)]
        self.pending.append(self.pool.submit(fn, *args))
        out = []
        while len(self.pending) > self.threads:
            out.append(self.pending.popleft().result())
        return out

    def drain(self) -> list[Any]:
        """Wait for every pending job; their results in order."""
        out = []
        while self.pending:
            out.append(self.pending.popleft().result())
        return out

    def close(self) -> None:
        """Shut the pool down (after :meth:`drain` or :meth:`abort`)."""
        if self.pool is not None:
            self.pool.shutdown()

    def abort(self) -> None:
        """Drop pending jobs (after an error or an interrupt); running ones finish unseen."""
        for f in self.pending:
            f.cancel()
        self.pending.clear()
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
