"""Thread helpers of the batch engine: read-ahead and an order-keeping worker pool."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["Ordered", "prefetch"]


def prefetch(items: Iterable[Any], depth: int = 1) -> Iterator[Any]:
    """Iterate ``items`` produced by a background thread, at most ``depth`` ahead.

    Reading a record batch (pyarrow releases the GIL) then overlaps with the work done
    on the previous one. An exception of the producer is raised here, in order; when
    the consumer stops early the producer stops at its next item.
    """
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()
    end = object()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((end, None))
        except BaseException as err:  # handed to the consumer
            q.put((end, err))

    th = threading.Thread(target=produce, daemon=True, name="riskgrade-read")
    th.start()
    try:
        while True:
            item, err = q.get()
            if item is end:
                if err is not None:
                    raise err
                return
            yield item
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):
            while True:
                q.get_nowait()


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
