"""Pass 1 of the batch engine: every record batch read, validated, scored and keyed.

The row-local work of a batch (:func:`_prepare`: validation, factor scores, unit
encoding, id hashes) runs in worker threads; the sequential part (:func:`_absorb`: unit
codes in order of appearance, keys kept in memory or spilled) runs in input order. The
run's state is the :class:`~riskgrade.engine.state.RunState` passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskgrade.engine.check import batch_is_valid
from riskgrade.engine.compact import compact
from riskgrade.engine.core import as_float, factor_matrix, score_ints
from riskgrade.engine.hashing import id_hashes
from riskgrade.engine.ids import duplicates, sorted_failures
from riskgrade.engine.pool import Ordered
from riskgrade.engine.sources import TypesChanged
from riskgrade.engine.state import Pass1Result, RunState
from riskgrade.engine.threads import prefetch
from riskgrade.engine.units import UnitCodes
from riskgrade.exceptions import InventoryValidationError
from riskgrade.schema import find_failures
from riskgrade.weighted_index import index_score

__all__ = ["Prepared", "run_pass1"]


def run_pass1(state: RunState) -> None:
    """Pass 1 over the input; reread once the CSV types are pinned or duplicate ids found.

    Raises
    ------
    InventoryValidationError
        With ``on_error="raise"``, when any row fails validation or an id repeats.
    """
    passes = 0  # passes without a newly pinned column type (a pin ends with every column pinned)
    while passes < 3:
        try:
            _read(state)
        except TypesChanged as err:
            if state.src.kind != "csv" or not state.src.pin_types(err):
                raise
            continue
        passes += 1
        dups = duplicates(state)
        if state.on_error == "raise" and state.p1.failures and dups is None:
            raise InventoryValidationError(sorted_failures(state.p1.failures), n_rows=state.p1.rows_in)
        if dups is None:
            return
        if state.on_error == "raise":
            raise InventoryValidationError(sorted_failures([*state.p1.failures, dups]),
                                           n_rows=state.p1.rows_in)
        state.extra_bad = dups
    raise RuntimeError("could not read the input consistently")  # pragma: no cover


def _read(state: RunState) -> None:
    """One reading of the input: batches prepared in worker threads, absorbed in order."""
    state.units = UnitCodes()
    state.types0 = None  # a new pass may read with pinned types
    if state.weight_pass is not None:
        state.weight_pass.reset()
    p1 = Pass1Result()
    state.p1 = p1
    extra = state.extra_bad
    extra_rows = np.unique(extra["row"].to_numpy(dtype=np.int64)) if extra is not None else None
    state.batches, state.good_start, state.good_pos, state.unit_at = [], [0], [], []
    state.keys = {"g": [], "s": [], "ids": []}
    state.ipc = None
    state.tie_present = []
    tie_found = False
    pool = Ordered(state.p1_threads)
    source = state.src.batches()
    batches = prefetch(source, depth=2) if state.p1_threads else source
    try:
        for t in batches:
            n = t.num_rows
            if n == 0:
                continue
            r0 = p1.rows_in
            p1.rows_in += n
            if state.types0 is None:
                state.types0 = dict(zip(t.column_names, t.schema.types, strict=True))
            if not tie_found:
                state.tie_present = [k for k in state.tie_names if k in t.column_names]
                tie_found = True
            sel = None
            if extra_rows is not None:
                sel = extra_rows[(extra_rows >= r0) & (extra_rows < r0 + n)] - r0
            for res in pool.submit(_prepare, state, t, r0, sel):
                _absorb(state, res)
        for res in pool.drain():
            _absorb(state, res)
    except BaseException:
        pool.abort()
        raise
    finally:
        pool.close()
        if hasattr(batches, "close"):
            batches.close()
    if state.ipc is not None:
        state.ipc.close()
    if p1.rows_in == 0:
        raise InventoryValidationError(find_failures(pd.DataFrame(), state.config), n_rows=0)
    bad_parts: list[np.ndarray] = [*p1.bad_rows]
    if extra_rows is not None:
        bad_parts.append(extra_rows)
    state.bad = np.unique(np.concatenate(bad_parts)) if bad_parts else np.zeros(0, dtype=np.int64)
    fcs = list(p1.failures)
    if extra is not None:
        fcs.append(extra)
    state.fc_all = sorted_failures(fcs) if fcs else None


def _prepare(state: RunState, t: pa.Table, r0: int, sel: np.ndarray | None) -> Prepared:
    """The row-local work of pass 1 on one batch (runs in a worker thread)."""
    n = t.num_rows
    out = Prepared(n=n)
    good = None
    if not batch_is_valid(t, state.config):
        fc = find_failures(t.to_pandas(), state.config)
        if len(fc):
            file_level = fc["row"].isna()
            if file_level.any():
                raise InventoryValidationError(fc[file_level], n_rows=n)
            fc["row"] = fc["row"] + r0
            out.fc = fc
            bad = np.unique(fc["row"].to_numpy(dtype=np.int64))
            out.bad = bad
            good = np.ones(n, dtype=bool)
            good[bad - r0] = False
    if sel is not None and len(sel):
        good = np.ones(n, dtype=bool) if good is None else good
        good[sel] = False
    if state.engine == "local":
        out.kept = compact(t)
        out.good_pos = None if good is None else np.flatnonzero(good)
    tg = t if good is None else t.filter(pa.array(good))
    out.m = tg.num_rows
    if tg.num_rows == 0:
        return out
    F = factor_matrix(tg, state.catalog)
    if state.weight_pass is not None:  # data-driven weights: scored after pass 1, in order
        out.F = F
    else:
        out.s_int = score_ints(index_score(F, state.w, decimals=state.dec), state.dec)
    del F
    q = state.quota_policy.by
    out.enc = UnitCodes.encode(tg.column(q)) if q in tg.column_names else None
    out.enc_h = UnitCodes.hashes(out.enc) if out.enc is not None else None
    ids = tg.column("risk_point_id")
    out.ids = ids
    if state.engine != "local":
        out.tks = [as_float(tg.column(k)) for k in state.tie_present]
        out.h = id_hashes(ids)
    return out


def _absorb(state: RunState, r: Prepared) -> None:
    """The sequential part of pass 1: unit codes in order of appearance, keys kept."""
    p1 = state.p1
    if r.fc is not None:
        assert r.bad is not None  # set with the failures
        p1.failures.append(r.fc)
        p1.bad_rows.append(r.bad)
    if state.engine == "local":
        kept, at = r.kept, -1
        assert kept is not None  # every batch is kept by the local engine
        q = state.quota_policy.by
        if (r.good_pos is None and r.enc is not None and q not in state.tie_present
                and q in kept.column_names and kept.column(q).null_count == 0):
            # the unit column is rebuilt from the unit codes in pass 2 (4 bytes a row)
            at = kept.column_names.index(q)
            kept = kept.remove_column(at)
        state.batches.append(kept)
        state.unit_at.append(at)
        state.good_pos.append(r.good_pos)
        state.good_start.append(state.good_start[-1] + r.m)
    if r.F is not None:
        assert state.weight_pass is not None
        r.s_int = state.weight_pass.add(r.F)
        r.F = None
    if r.m:
        g = state.units.merge(r.enc, r.enc_h) if r.enc is not None else np.zeros(r.m, np.int32)
        if state.engine == "local":
            state.keys["g"].append(g)
            state.keys["s"].append(r.s_int)
            state.keys["ids"].append(r.ids)
        else:
            cols = {"g": pa.array(g), "s": pa.array(r.s_int), "h": pa.array(r.h)}
            for k, v in zip(state.tie_present, r.tks, strict=True):
                cols["t_" + k] = pa.array(v)
            ids = r.ids
            assert ids is not None  # set for every batch with valid rows
            cols["id"] = pc.cast(ids, pa.large_string()) if not pa.types.is_large_string(ids.type) \
                else ids
            kt = pa.table(cols)
            if state.ipc is None:
                assert state.tmpdir is not None
                state.ipc_path = state.tmpdir / "keys.arrow"
                state.ipc = pa.ipc.new_file(str(state.ipc_path), kt.schema)
            state.ipc.write_table(kt)
            cnt = np.bincount(g, minlength=len(state.units))
            if len(p1.counts) < len(cnt):
                p1.counts = np.concatenate([p1.counts, np.zeros(len(cnt) - len(p1.counts), np.int64)])
            p1.counts[: len(cnt)] += cnt
    state.tick("reading", p1.rows_in if r.n else 0)


@dataclass
class Prepared:
    """Pass-1 result of one batch (the row-local work done in a worker thread)."""

    n: int
    m: int = 0
    fc: pd.DataFrame | None = None
    bad: np.ndarray | None = None
    kept: pa.Table | None = None
    good_pos: np.ndarray | None = None
    s_int: np.ndarray | None = None
    enc: pa.DictionaryArray | None = None
    enc_h: np.ndarray | None = None
    ids: pa.ChunkedArray | None = None
    tks: list[np.ndarray] = field(default_factory=list)
    h: np.ndarray | None = None
    F: np.ndarray | None = None
