"""Identifiers unique across the whole input, for the batch engines.

Validation of one record batch cannot see an id repeated in another batch, so the
engines check uniqueness once after pass 1: the local engine on the kept id column
(one comparison pass when the ids are already sorted, else a distinct count), the
stream engine on 64-bit hashes of the ids in the key file (split into hash groups
within the budget in one pass), then only the ids whose hash repeats are compared as
text.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskgrade.engine.hashing import id_hashes

if TYPE_CHECKING:
    from riskgrade.engine.state import RunState

__all__ = ["duplicates", "good_positions", "id_hashes", "sorted_failures"]


def duplicates(run: RunState) -> pd.DataFrame | None:
    """Failure cases for ids repeated across the whole input (``None`` if unique)."""
    if run.engine == "local":
        if not run.keys["ids"]:
            return None
        ids = pa.chunked_array([c for p in run.keys["ids"] for c in p.chunks], type=run.keys["ids"][0].type)
        if _strictly_increasing(ids) or pc.count_distinct(ids).as_py() == len(ids):
            return None
        pos = good_positions(run)
        s = pd.Series(ids.to_numpy(), index=pos)
    else:
        if run.ipc_path is None:
            return None
        s = _stream_duplicate_candidates(run)
        if s is None:
            return None
    key = s.astype(str)
    dup = key.duplicated(keep=False)
    if not dup.any():
        return None
    d = key[dup]
    first = d.groupby(d.to_numpy()).transform(lambda x: x.index[0])
    fc = pd.DataFrame(
        {
            "row": pd.array(d.index.to_numpy(), dtype="Int64"),
            "risk_point_id": pd.array(d.to_numpy(), dtype=object),
            "column": "risk_point_id",
            "value": pd.array(d.to_numpy(), dtype=object),
            "reason": "duplicate_id",
            "message": [f"risk_point_id duplicated (first at row {int(f)})" for f in first.to_numpy()],
        }
    )
    return fc


_HREC = np.dtype([("h", "<u8"), ("i", "<i8")])


def _stream_duplicate_candidates(run: RunState) -> pd.Series | None:
    """Ids whose hash repeats (indexed by input row), from the stream engine's key file.

    One pass writes (hash, key-file row) records to ``hash mod groups`` files sized for
    the budget; each file is then sorted on its own. Only rows whose hash repeats are
    looked up again, and compared as text by the caller.
    """
    assert run.ipc_path is not None and run.tmpdir is not None
    # a group in memory: records (16 bytes), their sort order (8) and the sorted copy (16)
    hgroups = max(1, math.ceil(run.p1.rows_in * 40 / max(run.budget // 4, 1)))
    paths = [run.tmpdir / f"hash{i}.bin" for i in range(hgroups)]
    handles = [open(p, "wb") for p in paths]  # noqa: SIM115 - closed below
    try:
        off = 0
        with pa.OSFile(str(run.ipc_path)) as mm:
            rd = pa.ipc.open_file(mm)
            for i in range(rd.num_record_batches):
                h = rd.get_batch(i).column("h").to_numpy()
                rec = np.empty(len(h), dtype=_HREC)
                rec["h"] = h
                rec["i"] = np.arange(off, off + len(h))
                off += len(h)
                if hgroups == 1:
                    rec.tofile(handles[0])
                    continue
                part = (h % np.uint64(hgroups)).astype(np.int64)
                rec = rec[np.argsort(part, kind="stable")]
                a = 0
                for gi, c in enumerate(np.bincount(part, minlength=hgroups)):
                    if c:
                        rec[a: a + c].tofile(handles[gi])
                        a += int(c)
    finally:
        for fh in handles:
            fh.close()
    dup_rows = []
    for p in paths:
        rec = np.fromfile(p, dtype=_HREC)
        p.unlink()
        if len(rec) < 2:
            continue
        rec = rec[np.argsort(rec["h"], kind="stable")]
        same = rec["h"][1:] == rec["h"][:-1]
        if same.any():
            hit = np.zeros(len(rec), dtype=bool)
            hit[1:] |= same
            hit[:-1] |= same
            dup_rows.append(rec["i"][hit])
        del rec
    if not dup_rows:
        return None
    want = np.sort(np.concatenate(dup_rows))
    parts, offs = [], []
    off = 0
    with pa.OSFile(str(run.ipc_path)) as mm:
        rd = pa.ipc.open_file(mm)
        for i in range(rd.num_record_batches):
            b = rd.get_batch(i)
            a, z = np.searchsorted(want, [off, off + b.num_rows])
            if z > a:
                idx = want[a:z] - off
                parts.append(b.column("id").to_numpy(zero_copy_only=False)[idx])
                offs.append(want[a:z])
            off += b.num_rows
    pos = good_positions(run, np.concatenate(offs))
    return pd.Series(np.concatenate(parts), index=pos)


def good_positions(run: RunState, local: np.ndarray | None = None) -> np.ndarray:
    """Input row positions of graded rows (all of them, or those at ``local`` indices)."""
    n = run.p1.rows_in
    bad = np.unique(np.concatenate(run.p1.bad_rows)) if run.p1.bad_rows else np.zeros(0, np.int64)
    extra = run.extra_bad
    if extra is not None:
        bad = np.union1d(bad, extra["row"].to_numpy(dtype=np.int64))
    if local is None:
        keep = np.ones(n, dtype=bool)
        keep[bad] = False
        return np.flatnonzero(keep)
    # position of the k-th good row: k + number of bad rows before it
    good = np.setdiff1d(np.arange(n), bad) if len(bad) else None
    return local if good is None else good[local]


def _strictly_increasing(arr: pa.ChunkedArray) -> bool:
    """Whether the values increase strictly (then they are unique): one pass, chunk by chunk."""
    prev = None
    for c in arr.chunks:
        if c.null_count:
            return False
        if len(c) == 0:
            continue
        if len(c) > 1 and not pc.all(pc.greater(c.slice(1), c.slice(0, len(c) - 1))).as_py():
            return False
        if prev is not None and not pc.greater(c[0], prev).as_py():
            return False
        prev = c[len(c) - 1]
    return True


def sorted_failures(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Failure cases of several batches in row order, then column."""
    fc = pd.concat([p for p in parts if len(p)], ignore_index=True)
    order = np.lexsort(
        (fc["column"].astype(str).to_numpy(), fc["row"].fillna(-1).to_numpy(dtype=np.int64))
    )
    return fc.iloc[order].reset_index(drop=True)


