"""Pass 2 of the batch engine: the graded file, built in parts, written in file order.

:func:`output_part` rescores a slice of the input (scoring is row-local and
deterministic, so the bits are those of pass 1), joins it with the rank and quota flags
of its rows and returns the graded table, its CSV text, or the table encoded as a
Parquet row group (:mod:`riskgrade.engine.parquet`), ready for the writer. It
holds no state and touches no file, so :func:`write_output` has several slices built at
once in worker threads (numpy and pyarrow release the GIL; at most ``threads + 1``
parts in flight) while the main thread writes the finished parts in file order. CSV
parts are slices of at most ``_PART_ROWS`` rows: the text of a part is about as large
as its table, so smaller parts bound the memory in flight. Parquet parts join
consecutive batches up to ``_GROUP_ROWS`` rows: each part is one row group. The
stream engine takes each row's rank and flags from its unit group's file
(:class:`_GroupReaders`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from riskgrade.engine.compact import restore
from riskgrade.engine.core import FLAG_DEMOTED, FLAG_EXCEPTION, FLAG_TIE, factor_matrix
from riskgrade.engine.pool import Ordered
from riskgrade.engine.rank import REC
from riskgrade.engine.writers import Writer, format_csv
from riskgrade.exceptions import DataWarning
from riskgrade.grading import provisional_levels
from riskgrade.weighted_index import weighted_sums

if TYPE_CHECKING:
    from riskgrade.engine.state import RunState

__all__ = ["OutputSpec", "output_part", "score_and_contributions", "write_output"]

_PART_ROWS = 1 << 17
_GROUP_ROWS = 1 << 18  # Parquet: rows of a row group (consecutive batches joined)


@dataclass(frozen=True)
class OutputSpec:
    """What every output part needs: model arrays, per-unit counts, input types.

    Attributes
    ----------
    catalog : FactorCatalog
        Factors (their transforms and output column names).
    weights : ndarray
        Weights in catalog order.
    decimals : int
        Score rounding.
    levels : Thresholds
        Level thresholds.
    n_u, cap_eff : ndarray of int64
        Rows and effective level-one cap per unit code.
    types : dict
        Input column types of the first batch (restored on output).
    drop : tuple of str
        Input columns replaced by result columns of the same name.
    """

    catalog: Any
    weights: np.ndarray
    decimals: int
    levels: Any
    n_u: np.ndarray
    cap_eff: np.ndarray
    types: dict[str, pa.DataType]
    drop: tuple[str, ...] = ()
    view: Any = None  # riskgrade.output_view.OutputView: written columns and headers


def score_and_contributions(F: np.ndarray, w: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """Index scores and contributions with the weighted sums computed once.

    The same operations as :func:`~riskgrade.weighted_index.index_score` and
    :func:`~riskgrade.weighted_index.index_contributions`, so the same bits.
    """
    s, cols = score_and_contribution_columns(F, w, decimals)
    return s, np.column_stack(cols) if cols else np.empty((len(s), 0))


def score_and_contribution_columns(
    F: np.ndarray, w: np.ndarray, decimals: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """As :func:`score_and_contributions`, contributions as one contiguous array per factor.

    Element by element the operations are those of the matrix form (``x * w_j / den``
    with ``x = 0`` where missing), so the bits are the same; no n x m temporary is made.
    """
    num, den = weighted_sums(F, w)
    bad = den <= 0
    with np.errstate(invalid="ignore", divide="ignore"):
        s = num / den
        cols = []
        for j in range(F.shape[1]):
            col = F[:, j]
            c = np.where(np.isnan(col), 0.0, col) * w[j] / den
            c[bad] = np.nan
            cols.append(c)
    s[bad] = np.nan
    return np.round(s, decimals), cols


def graded_table(
    spec: OutputSpec, t: pa.Table, g: np.ndarray, rank: np.ndarray, flags: np.ndarray
) -> tuple[pa.Table, np.ndarray]:
    """Input columns (original types) + result columns of valid rows; level counts (index 1-3)."""
    F = factor_matrix(t, spec.catalog)
    score, contrib = score_and_contribution_columns(F, spec.weights, spec.decimals)
    prov = provisional_levels(score, spec.levels)
    demoted = (flags & FLAG_DEMOTED) > 0
    level = prov.astype(np.int64)
    level[demoted] = 2
    counts = np.bincount(level, minlength=4)
    added: dict[str, pa.Array] = {
        "score": pa.array(score, from_pandas=True),
        "level": pa.array(level),
        "level_provisional": pa.array(prov.astype(np.int64)),
        "rank_in_unit": pa.array(rank.astype(np.int64)),
        "n_in_unit": pa.array(spec.n_u[g]),
        "quota_cap": pa.array(spec.cap_eff[g]),
        "quota_demoted": pa.array(demoted),
        "quota_tie": pa.array((flags & FLAG_TIE) > 0),
        "quota_exception": pa.array((flags & FLAG_EXCEPTION) > 0),
    }
    view = spec.view
    names = spec.catalog.names
    if view is None or view.explain:
        for j, name in enumerate(names):
            added[f"factor_{name}"] = pa.array(np.ascontiguousarray(F[:, j]), from_pandas=True)
        for j, name in enumerate(names):
            added[f"contrib_{name}"] = pa.array(contrib[j], from_pandas=True)
    del F, contrib
    if view is not None:
        added["reason"] = _reasons(spec, g, rank, flags, view.lang)
    if spec.drop:
        t = t.drop_columns(list(spec.drop))
    cols = [restore(c, spec.types.get(nm)) for c, nm in zip(t.columns, t.column_names, strict=True)]
    cols += list(added.values())
    out = pa.table(cols, names=[*t.column_names, *added])
    return (out if view is None else view.table(out)), counts


def _reasons(spec: OutputSpec, g: np.ndarray, rank: np.ndarray, flags: np.ndarray, lang: str) -> pa.Array:
    """The quota's reason of each row (null where the quota changed nothing)."""
    from riskgrade.output_view import reason_one

    touched = np.flatnonzero((flags & (FLAG_DEMOTED | FLAG_EXCEPTION)) > 0)
    out: list[str | None] = [None] * len(flags)
    for i in touched:
        u = int(g[i])
        out[i] = reason_one(bool(flags[i] & FLAG_DEMOTED), int(rank[i]), int(spec.n_u[u]),
                            int(spec.cap_eff[u]), lang)
    return pa.array(out, type=pa.string())


def output_part(
    spec: OutputSpec,
    t: pa.Table,
    good: np.ndarray | None,
    g: np.ndarray,
    rank: np.ndarray,
    flags: np.ndarray,
    schema: pa.Schema | None,
    fmt: str | None,
    encode: Callable[[pa.Table], Any] | None = None,
) -> tuple[pa.Table | pa.Buffer | None, np.ndarray, pa.Schema]:
    """Graded part of one input slice, for the writer (thread-safe).

    Parameters
    ----------
    spec : OutputSpec
        Shared read-only inputs.
    t : pyarrow.Table
        The input slice (all rows; ``good`` selects the valid ones).
    good : ndarray of bool, optional
        Valid rows (``None``: all).
    g, rank, flags : ndarray
        Unit code, rank in unit and quota flags of the valid rows.
    schema : pyarrow.Schema, optional
        Output schema to conform to (that of the first part).
    fmt : {"csv", "parquet"} or None
        ``"csv"``: return the CSV text; ``"parquet"``: the table (passed through
        ``encode`` when given, e.g. encoded as a Parquet row group); ``None``: nothing.
    encode : callable, optional
        Applied to a Parquet part in the worker (see ``Writer.encode``).

    Returns
    -------
    part, counts, schema
        The part, level counts (index 1-3) and the part's schema before conforming.
    """
    if good is not None:
        t = t.filter(pa.array(good))
    table, counts = graded_table(spec, t, g, rank, flags)
    own = table.schema
    if fmt is None:
        return None, counts, own
    if schema is not None and own != schema:
        table = table.cast(schema)
    if fmt == "csv":
        return format_csv(table), counts, own
    return (encode(table) if encode is not None else table), counts, own


def write_output(run: RunState, writer: Writer | None, rejected: list[pa.Table]) -> None:
    """Pass 2: graded parts built in worker threads, written in file order; level counts."""
    counts = np.zeros(4, dtype=np.int64)
    fmt = writer.fmt if writer is not None else None
    # CSV text is about as large as the table: smaller parts bound the memory in flight
    run.part_rows = _PART_ROWS if fmt == "csv" else 0
    pool = Ordered(run.threads)
    state: dict[str, Any] = {"spec": None, "schema": None}

    def take(results: list) -> None:
        for part, cnt, _own in results:
            counts[:] += cnt
            if writer is not None:
                writer.write(part)

    encode = None if writer is None or fmt != "parquet" else writer.encode

    def first_part(part: Any, cnt: np.ndarray, own: pa.Schema) -> tuple:
        return (encode(part) if encode is not None else part), cnt, own

    try:
        for t, g, rank, flags, done in _parts(run, rejected):
            if state["spec"] is None:  # the first part fixes the output schema
                spec = _spec(run, t)
                state["spec"] = spec
                part, cnt, own = output_part(spec, t, None, g, rank, flags, None, fmt)
                state["schema"] = own
                if writer is not None:
                    writer.start(own)
                take(pool.submit(first_part, part, cnt, own))
            else:
                take(pool.submit(output_part, state["spec"], t, None, g, rank, flags,
                                 state["schema"], fmt, encode))
            run.tick("writing", done)
        take(pool.drain())
    except BaseException:
        pool.abort()
        if writer is not None:
            writer.abort()
        raise
    finally:
        pool.close()
    run.summary.levels = {1: int(counts[1]), 2: int(counts[2]), 3: int(counts[3])}

def _parts(run: RunState, rejected: list[pa.Table]) -> Iterator[tuple]:
    """Input slices of valid rows with their unit codes, ranks and flags, in file order."""
    r0 = 0
    done_good = 0
    group: list[tuple[pa.Table, slice]] = []
    files = getattr(run, "group_files", [])
    # a chunk of every group file in memory: 1/16 of the budget together
    readers = _GroupReaders(files, run.budget // (16 * REC.itemsize * max(1, len(files))))
    try:
        if run.engine == "local":
            kept = run.batches
            run.batches = []  # released batch by batch
            batches: Iterator[pa.Table] = _popping(kept)
            unit_at = iter(run.unit_at)
        else:
            batches = run.src.batches()
        for t in batches:
            n = t.num_rows
            at = next(unit_at) if run.engine == "local" else -1
            if n == 0:
                continue
            if len(run.bad):
                sel = run.bad[(run.bad >= r0) & (run.bad < r0 + n)] - r0
                if len(sel):
                    t = _reject(run, t, sel, r0, rejected)
            r0 += n
            m = t.num_rows
            if m == 0:
                continue
            if run.engine == "local":
                step = run.part_rows or m
                for a in range(0, m, step):
                    b = min(m, a + step)
                    sl = slice(done_good + a, done_good + b)
                    part = t.slice(a, b - a)
                    if at >= 0:
                        units = pc.take(run.units.known, pa.array(run.g[sl]))
                        part = part.add_column(at, run.quota_policy.by, units)
                    if run.part_rows:
                        yield part, run.g[sl], run.rank[sl], run.flags[sl], r0
                    else:  # Parquet: row groups of whole batches, at least _GROUP_ROWS rows
                        group.append((part, sl))
                        if sum(p.num_rows for p, _ in group) >= _GROUP_ROWS:
                            yield (*_joined(run, group), r0)
                            group = []
            else:
                yield (t, *_stream_keys(run, t, m, readers), r0)
            done_good += m
        if group:
            yield (*_joined(run, group), r0)
    finally:
        readers.close()


def _joined(run: RunState, group: list[tuple[pa.Table, slice]]) -> tuple[pa.Table, ...]:
    """Consecutive kept slices as one table (input types restored) with their keys."""
    types = run.types0 or {}
    tables = [
        pa.table([restore(c, types.get(nm)) for c, nm in zip(t.columns, t.column_names, strict=True)],
                 names=t.column_names)
        for t, _ in group
    ]
    sl = slice(group[0][1].start, group[-1][1].stop)
    return pa.concat_tables(tables), run.g[sl], run.rank[sl], run.flags[sl]

def _stream_keys(
    run: RunState, t: pa.Table, m: int, readers: _GroupReaders
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q = run.quota_policy.by
    g = run.units.lookup(t.column(q)) if q in t.column_names else np.zeros(m, np.int32)
    if run.n_groups == 1:
        rec = readers.take(0, m)
        return g, rec["r"].copy(), rec["f"].copy()
    rank = np.empty(m, dtype=np.int32)
    flags = np.empty(m, dtype=np.uint8)
    grp = g % run.n_groups
    ob = np.argsort(grp, kind="stable")
    cnt = np.bincount(grp, minlength=run.n_groups)
    rec = np.concatenate([readers.take(i, int(c)) for i, c in enumerate(cnt) if c])
    rank[ob] = rec["r"]
    flags[ob] = rec["f"]
    return g, rank, flags


class _GroupReaders:
    """Sequential readers of the stream engine's (rank, flags) group files, buffered.

    Each batch of pass 2 takes a few records from every group; reading them a chunk at
    a time (``chunk`` records per group) makes that one slice per group, not one read.
    """

    def __init__(self, paths: list[Path], chunk: int) -> None:
        self.handles = [open(p, "rb") for p in paths]  # noqa: SIM115 - closed in close()
        self.chunk = max(1, chunk)
        self.buf = [np.zeros(0, REC) for _ in paths]
        self.pos = [0] * len(paths)

    def take(self, i: int, count: int) -> np.ndarray:
        """The next ``count`` records of group ``i``."""
        buf, pos = self.buf[i], self.pos[i]
        if pos + count > len(buf):
            more = np.fromfile(self.handles[i], dtype=REC, count=max(count, self.chunk))
            buf = np.concatenate([buf[pos:], more])
            pos = 0
            self.buf[i] = buf
        self.pos[i] = pos + count
        return buf[pos: pos + count]

    def close(self) -> None:
        for h in self.handles:
            h.close()


def _reject(run: RunState, t: pa.Table, sel: np.ndarray, r0: int, rejected: list[pa.Table]) -> pa.Table:
    good = np.ones(t.num_rows, dtype=bool)
    good[sel] = False
    rej = t.filter(pa.array(~good))
    types0 = run.types0 or {}
    rej = pa.table(
        [restore(c, types0.get(nm)) for c, nm in zip(rej.columns, rej.column_names, strict=True)],
        names=rej.column_names,
    )
    rej = rej.add_column(0, "row", pa.array(sel + r0, pa.int64()))
    reasons = [run.reasons_for(int(r)) for r in sel + r0]
    rejected.append(rej.append_column("reject_reasons", pa.array(reasons)))
    return t.filter(pa.array(good))

def _spec(run: RunState, t: pa.Table) -> OutputSpec:
    names = run.catalog.names
    added = [*RESULT_NAMES, *(f"factor_{n}" for n in names), *(f"contrib_{n}" for n in names)]
    have = set(t.column_names)
    clash = tuple(c for c in added if c in have)
    if clash:
        warnings.warn(
            f"input already has result column(s) {list(clash)}; they are replaced", DataWarning,
            stacklevel=5,
        )
    return OutputSpec(
        catalog=run.catalog, weights=run.w, decimals=run.dec, levels=run.config.levels,
        n_u=run.n_u, cap_eff=run.cap_eff, types=run.types0 or {}, drop=clash,
        view=getattr(run, "view", None),
    )


def _popping(items: list[pa.Table]) -> Iterator[pa.Table]:
    """Yield and drop the items of a list, first to last (each is freed once used)."""
    items.reverse()
    while items:
        yield items.pop()


RESULT_NAMES = ("score", "level", "level_provisional", "rank_in_unit", "n_in_unit", "quota_cap",
                "quota_demoted", "quota_tie", "quota_exception")
