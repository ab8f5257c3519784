"""Ranking within units and the per-unit quota, for the batch engines.

Both engines sort the compact per-row keys with :func:`~riskgrade.engine.core.grading_order`
and apply :func:`~riskgrade.grading.quota_from_order` to sets of whole units:

local
    one sort of all rows, then the quota on consecutive slices of the sorted order
    that hold whole units (about a million rows each), so its temporaries stay small;
    the secondary tie-break keys are read from the kept input only for the rows that
    tie on unit and score.
stream
    the units are split into groups (``unit code mod groups``) small enough for the
    memory budget; each group is read from the key file, ranked and written to a
    small binary file of (rank, flags) in input order.

The results are the same in both: the quota of a unit depends only on its own rows.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskgrade.engine.core import (
    FLAG_DEMOTED,
    FLAG_EXCEPTION,
    FLAG_TIE,
    grading_order,
    ints_to_score,
)
from riskgrade.engine.spill import read_part, split_ipc
from riskgrade.grading import AUDIT_COLUMNS, provisional_levels, quota_from_order

if TYPE_CHECKING:
    from riskgrade.engine.state import RunState

__all__ = ["REC", "grade_units", "rank_units"]

_SLICE_ROWS = 1 << 20
REC = np.dtype([("r", "<i4"), ("f", "u1")])


def rank_units(run: RunState) -> None:
    """Rank every valid row within its unit, apply the quota, fill the run's summary."""
    q = run.quota_policy
    run.n_units = len(run.units)
    if run.engine == "local":
        g = np.concatenate(run.keys["g"]) if run.keys["g"] else np.zeros(0, np.int32)
        counts = np.bincount(g, minlength=run.n_units).astype(np.int64)
    else:
        counts = run.p1.counts
        counts = np.concatenate([counts, np.zeros(run.n_units - len(counts), np.int64)])
    run.n_u = counts
    cap_u = q.cap(counts)
    cap_eff = cap_u.copy()
    if q.small_unit_allowance:
        small = cap_u == 0
        cap_eff[small] = np.minimum(q.small_unit_allowance, counts[small])
    run.cap_eff = cap_eff
    run.cand = np.zeros(run.n_units, dtype=np.int64)
    audits: list[pd.DataFrame] = []
    if run.engine == "local":
        _rank_local(run, g, audits)
    else:
        _rank_groups(run, audits)
    audit = pd.concat(audits, ignore_index=True) if audits else pd.DataFrame(
        {c: [] for c in AUDIT_COLUMNS}
    )
    if len(audit):
        audit = audit.sort_values(["unit_id", "rank_in_unit"], kind="stable").reset_index(drop=True)
    s = run.summary
    s.audit = audit[AUDIT_COLUMNS] if len(audit) else audit
    s.units = int((counts > 0).sum())
    s.units_over_cap = int((run.cand > cap_eff).sum())
    s.rows_in = run.p1.rows_in
    s.rows_rejected = len(run.bad)
    s.rows_graded = run.p1.rows_in - len(run.bad)


def _rank_local(run: RunState, g: np.ndarray, audits: list[pd.DataFrame]) -> None:
    s_int = np.concatenate(run.keys["s"]) if run.keys["s"] else np.zeros(0, np.int64)
    ids = _chunks(run.keys["ids"]) if run.keys["ids"] else None
    run.keys = {}
    order = grading_order(g, s_int, run.tie_keys_at, ids)
    n = len(order)
    if n < (1 << 31):
        order = order.astype(np.int32)
    g_s = g[order]
    rank = np.empty(n, dtype=np.int32)
    flags = np.zeros(n, dtype=np.uint8)
    a = 0
    while a < n:
        b = min(n, a + _SLICE_ROWS)
        if b < n:  # extend to the end of the unit at b - 1 (the order is by unit code)
            b = int(np.searchsorted(g_s, g_s[b - 1], side="right"))
        rows = order[a:b]
        base = int(g_s[a])
        local = (g_s[a:b] - base).astype(np.int64)
        r, f = grade_units(run, local, base, s_int[rows], np.arange(b - a), ids, rows, audits)
        rank[rows] = r
        flags[rows] = f
        a = b
    run.g, run.rank, run.flags = g, rank, flags
    run.n_groups = 1


def grade_units(
    run: RunState,
    g: np.ndarray,
    base: int,
    s_int: np.ndarray,
    order: np.ndarray | None,
    ids: pa.ChunkedArray | None,
    id_rows: np.ndarray | None,
    audits: list[pd.DataFrame],
    tie_keys: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Rank and quota flags of a set of whole units (in the order of ``g``).

    ``g`` holds unit codes minus ``base``; ``order`` is their grading order (``None``:
    computed here from ``tie_keys`` and ``ids``); ``id_rows`` maps rows to positions
    in ``ids`` (``None``: the same positions).
    """
    n_groups = int(g.max()) + 1 if len(g) else 0
    if order is None:
        order = grading_order(g, s_int, tie_keys or [], ids)
    score = ints_to_score(s_int, run.dec)
    prov = provisional_levels(score, run.config.levels)
    run.cand[base: base + n_groups] += np.bincount(g[prov == 1], minlength=n_groups)
    qo = quota_from_order(score, g, order, prov, n_groups, run.quota_policy)
    flags = (qo.demoted * FLAG_DEMOTED) | (qo.tie * FLAG_TIE) | (qo.exception * FLAG_EXCEPTION)
    flags = flags.astype(np.uint8)
    if run.quota_policy.enabled and (qo.dem_s.any() or qo.exc_s.any()):
        m = qo.dem_s | qo.exc_s
        rows = order[m]
        at = rows if id_rows is None else id_rows[rows]
        id_sub = (
            np.asarray(pc.take(ids, pa.array(at)).to_numpy(zero_copy_only=False), dtype=object)
            if ids is not None else np.array([None] * len(rows), dtype=object)
        )
        unit_sub = np.asarray(run.units.values, dtype=object)[g[rows] + base] if run.units.values else \
            np.zeros(len(rows), dtype=object)
        k = len(rows)
        audits.append(
            run.model.grader_._audit(
                np.arange(k), qo.dem_s[m], qo.exc_s[m], qo.g_s[m], unit_sub, id_sub,
                score[rows], qo.rank[rows], qo.n_u, qo.cap_eff, qo.cutoff, qo.tie[rows],
            )
        )
    run.summary.demoted += int(qo.demoted.sum())
    return qo.rank.astype(np.int32), flags


def _rank_groups(run: RunState, audits: list[pd.DataFrame]) -> None:
    """Stream engine: split the key file by unit group (one pass), then grade each group."""
    n = run.p1.rows_in - len(run.bad)
    per_row = 96 + 8 * len(run.tie_present)
    groups = max(1, math.ceil(n * per_row / max(run.budget // 6, 1)))
    run.n_groups = groups
    run.summary.groups = groups
    run.group_files = []
    if run.ipc_path is None:
        return
    assert run.tmpdir is not None
    cols = ["g", "s", *("t_" + k for k in run.tie_present), "id"]
    if groups > 1:
        window = max(1 << 12, run.budget // (8 * per_row))
        parts = split_ipc(run.ipc_path, groups, lambda t: t.column("g").to_numpy() % groups, window,
                          run.tmpdir, "unitgroup", columns=cols)
    else:
        parts = [run.ipc_path]
    for gi, part in enumerate(parts):
        t = read_part(part)
        g = t.column("g").to_numpy()
        s_int = t.column("s").to_numpy()
        tks = [t.column("t_" + k).to_numpy() for k in run.tie_present]
        idarr = t.column("id")
        del t
        if groups > 1:
            part.unlink()
        rank, flags = grade_units(run, g, 0, s_int, None, idarr, None, audits, tks)
        del g, s_int, tks, idarr
        path = Path(run.tmpdir) / f"group{gi}.bin"
        rec = np.empty(len(rank), dtype=REC)
        rec["r"] = rank
        rec["f"] = flags
        rec.tofile(path)
        run.group_files.append(path)
        run.tick("ranking", gi + 1)


def _chunks(parts: list[pa.ChunkedArray]) -> pa.ChunkedArray:
    """One chunked array of the chunks of several (no copy, unlike passing them whole)."""
    return pa.chunked_array([c for p in parts for c in p.chunks], type=parts[0].type)

