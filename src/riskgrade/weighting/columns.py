"""Column access and checks shared by the data-driven weighting methods (entropy, CRITIC).

:class:`Columns` reads the columns of a DataFrame or array in cache-sized blocks without
copying the whole matrix, :class:`Problems` collects every invalid value before raising,
:func:`map_blocks` spreads blocks over threads and :func:`direction_signs` reads the benefit /
cost direction of each column.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskgrade.exceptions import WeightingError

__all__ = [
    "BLOCK_ELEMENTS",
    "MAX_LISTED",
    "Columns",
    "Problems",
    "block_problems",
    "direction_signs",
    "is_numeric",
    "map_blocks",
    "scratch",
]

#: Elements per block (all columns together); 2**16 float64 = 512 KiB, cache sized.
BLOCK_ELEMENTS = 1 << 16
MAX_LISTED = 10


# --------------------------------------------------------------------------- input access
class Columns:
    """Read-only, copy-free access to the numeric columns of a 2-D input.

    ``blocks()`` yields ``(columns, start, block)`` with ``block`` a C-contiguous float64
    array of shape ``(len(columns), b)`` holding rows ``start .. start + b`` of those
    columns. A C-ordered 2-D array is read in row blocks transposed into a small buffer;
    anything else (DataFrames, Fortran-ordered arrays) column by column.
    """

    def __init__(self, X: Any, *, what: str = "X") -> None:
        self.frame: pd.DataFrame | None = None
        self.array: np.ndarray | None = None
        if isinstance(X, pd.DataFrame):
            self.frame = X
            self.names: list[Any] = list(X.columns)
            self.n_rows = len(X)
            bad = [c for c in X.columns if not is_numeric(X[c].dtype)]
            if bad:
                raise WeightingError(
                    f"{what}: column(s) {bad} are not numeric "
                    f"(dtypes {[str(X[c].dtype) for c in bad]}); weights need numbers"
                )
            self.row_labels = None if isinstance(X.index, pd.RangeIndex) else X.index
        else:
            if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
                raise TypeError(f"{what}: sparse input is not supported; pass a dense array")
            arr = np.asarray(X)
            if arr.ndim != 2:
                raise WeightingError(
                    f"{what} must be 2-D (rows = risk points, columns = criteria), "
                    f"got an array of shape {arr.shape}"
                )
            if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
                try:
                    arr = arr.astype(np.float64)
                except (TypeError, ValueError):
                    raise WeightingError(
                        f"{what}: values must be numeric, got dtype {arr.dtype}"
                    ) from None
            if np.iscomplexobj(arr):
                raise WeightingError(f"{what}: complex values are not supported")
            self.array = arr
            self.names = list(range(arr.shape[1]))
            self.n_rows = arr.shape[0]
            self.row_labels = None
        self.n_cols = len(self.names)

    def row_label(self, pos: int) -> Any:
        """The label of row ``pos`` as the user sees it (index label, or position)."""
        return pos if self.row_labels is None else self.row_labels[pos]

    def tasks(self) -> list[tuple[np.ndarray, int, int]]:
        """Blocks to read, in a fixed order: ``(columns, start row, stop row)``."""
        m, n = self.n_rows, self.n_cols
        if n == 0 or m == 0:
            return []
        arr = self.array
        if arr is not None and arr.flags.c_contiguous and n > 1:
            rows = max(256, BLOCK_ELEMENTS // n)
            cols = np.arange(n)
            return [(cols, s, min(s + rows, m)) for s in range(0, m, rows)]
        rows = BLOCK_ELEMENTS
        return [(np.array([j]), s, min(s + rows, m)) for j in range(n) for s in range(0, m, rows)]

    def read(self, task: tuple[np.ndarray, int, int], buf: np.ndarray | None = None) -> np.ndarray:
        """The float64 block ``(len(columns), stop - start)`` of a task (``buf`` reused if given)."""
        cols, start, stop = task
        if len(cols) > 1:  # row block of a C-ordered array, transposed
            assert self.array is not None
            out = np.empty((len(cols), stop - start)) if buf is None else buf[:, : stop - start]
            np.copyto(out, self.array[start:stop].T, casting="unsafe")
            return out
        piece = self._column(int(cols[0]))[start:stop]
        if isinstance(piece, pd.Series):
            block = piece.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            block = np.asarray(piece, dtype=np.float64)
        return block.reshape(1, -1)

    def buffer(self) -> np.ndarray | None:
        """A reusable block buffer for :meth:`read` (one per thread)."""
        tasks = self.tasks()
        if not tasks or len(tasks[0][0]) == 1:
            return None
        return np.empty((self.n_cols, tasks[0][2] - tasks[0][1]))

    def _column(self, j: int) -> Any:
        if self.frame is not None:
            s = self.frame.iloc[:, j]
            if isinstance(s.dtype, np.dtype):
                return s.to_numpy()  # a view for numpy-backed columns
            return s  # extension array: converted block by block
        assert self.array is not None
        return self.array[:, j]


def is_numeric(dtype: Any) -> bool:
    """Whether a column of ``dtype`` holds real numbers."""
    return bool(pd.api.types.is_numeric_dtype(dtype)) and not pd.api.types.is_complex_dtype(dtype)


# --------------------------------------------------------------------------- validation
@dataclass
class Problems:
    """Invalid cells collected over all blocks (the first few per column are kept)."""

    counts: dict[int, dict[str, int]]
    examples: dict[int, list[tuple[int, float, str]]]

    @classmethod
    def empty(cls) -> Problems:
        """No problems yet."""
        return cls({}, {})

    def add(self, j: int, rows: np.ndarray, values: np.ndarray, reason: str) -> None:
        """Count ``rows`` of column ``j`` failing for ``reason``; keep the first few as examples."""
        c = self.counts.setdefault(j, {})
        c[reason] = c.get(reason, 0) + len(rows)
        ex = self.examples.setdefault(j, [])
        room = MAX_LISTED - len(ex)
        for r, v in zip(rows[:room].tolist(), values[:room].tolist(), strict=True):
            ex.append((r, v, reason))

    def raise_if_any(self, cols: Columns, what: str) -> None:
        """Raise one WeightingError listing every problem found (nothing when none)."""
        if not self.counts:
            return
        total = sum(sum(c.values()) for c in self.counts.values())
        lines = [f"{what}: {total} invalid value(s) in {len(self.counts)} column(s):"]
        records = []
        for j in sorted(self.counts):
            name = cols.names[j]
            kinds = ", ".join(f"{k}: {v}" for k, v in sorted(self.counts[j].items()))
            shown = "; ".join(
                f"row {cols.row_label(r)!r} = {v!r} ({reason})" for r, v, reason in self.examples[j]
            )
            more = sum(self.counts[j].values()) - len(self.examples[j])
            lines.append(
                f"  column {name!r} ({kinds}): {shown}" + (f"; ... and {more} more" if more else "")
            )
            records += [
                {"column": name, "row": r, "index": cols.row_label(r), "value": v, "reason": reason}
                for r, v, reason in self.examples[j]
            ]
        if any("negative" in c for c in self.counts.values()):
            lines.append("Negative values in data are not allowed: entropy needs x >= 0.")
        if any("NaN" in c for c in self.counts.values()):
            lines.append("NaN values: pass nan_policy='omit' to leave missing cells out.")
        err = WeightingError("\n".join(lines))
        err.failure_cases = pd.DataFrame.from_records(  # type: ignore[attr-defined]
            records, columns=["column", "row", "index", "value", "reason"]
        )
        raise err


def block_problems(
    block: np.ndarray, cols: np.ndarray, start: int, *, allow_nan: bool, allow_negative: bool = False
) -> list[tuple[int, np.ndarray, np.ndarray, str]]:
    """NaN, +-inf and negative cells of a block (only called when the fast check failed)."""
    found = []
    for k, j in enumerate(cols.tolist()):
        row = block[k]
        inf = np.isinf(row)
        masks = [] if allow_nan else [(np.isnan(row), "NaN")]
        masks += [(inf, "infinite")]
        if not allow_negative:
            masks.append(((row < 0) & ~inf, "negative"))
        for mask, reason in masks:
            if mask.any():
                idx = np.flatnonzero(mask)
                found.append((j, idx + start, row[idx].copy(), reason))
    return found


def map_blocks(cols: Columns, fn: Any, n_jobs: int | None) -> list[Any]:
    """``[fn(task, block, scratch) for each block]`` in block order, on up to ``n_jobs`` threads.

    Results come back in block order whatever the threads do, so every sum reduced from
    them is the same from run to run (numpy releases the GIL inside its loops).
    """
    tasks = cols.tasks()
    local = threading.local()

    def run(task: tuple[np.ndarray, int, int]) -> Any:
        if not hasattr(local, "buf"):
            local.buf = cols.buffer()
            local.tmp = {}
        return fn(task, cols.read(task, local.buf), local.tmp)

    jobs = 1 if n_jobs is None else int(n_jobs)
    if jobs == -1:
        jobs = os.cpu_count() or 1
    if jobs < 1:
        raise WeightingError(f"n_jobs must be a positive integer, -1 or None, got {n_jobs!r}")
    if jobs == 1 or len(tasks) < 4:
        return [run(t) for t in tasks]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(run, tasks))


def scratch(store: dict[int, np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """A reusable work array of ``shape`` from ``store`` (one per thread)."""
    t = store.get(shape[0])
    if t is None or t.shape[1] < shape[1]:
        t = store[shape[0]] = np.empty(shape)
    return t[:, : shape[1]]


def direction_signs(directions: Any, names: list[Any]) -> np.ndarray:
    """+1 (benefit / higher = more) or -1 (cost) per column."""
    n = len(names)
    if directions is None:
        return np.ones(n)
    if isinstance(directions, dict | pd.Series):
        d = dict(directions)
        unknown = [k for k in d if k not in names]
        if unknown:
            raise WeightingError(f"directions name unknown column(s) {unknown}; columns are {names}")
        raw = [d.get(c, 1) for c in names]
    else:
        raw = list(directions)
        if len(raw) != n:
            raise WeightingError(f"directions has {len(raw)} entries for {n} columns")
    out = np.empty(n)
    for i, v in enumerate(raw):
        if v in (1, "max", "benefit", "+", True):
            out[i] = 1.0
        elif v in (-1, "min", "cost", "-"):
            out[i] = -1.0
        else:
            raise WeightingError(
                f"directions[{names[i]!r}] = {v!r}: expected 1/'max'/'benefit' or -1/'min'/'cost'"
            )
    return out
