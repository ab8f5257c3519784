"""Read-ahead of the batch engine: items produced by a background thread (ordered pool: engine/pool.py)."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["prefetch"]


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
