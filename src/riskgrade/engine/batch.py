"""Batch scoring near the I/O floor, in memory or out of core.

:func:`grade_file` grades an inventory file (CSV or Parquet) and writes the graded
file, giving the same rows, bit for bit, as :meth:`riskgrade.RiskModel.grade`
followed by :func:`riskgrade.io.write_result`, without building a DataFrame:

pass 1
    record batches are read (pyarrow), renamed to canonical columns, validated
    (vectorised; a failing batch gets the full ``find_failures`` report) and scored;
    only compact keys are kept per row: unit code, score as an exact integer, the
    tie-break keys and the id.
quota
    the rows are ordered by one packed integer key ``unit << b | inverted score``
    (rows tying on both are ordered by the tie-break keys and the id), and the quota
    runs on that order (:func:`riskgrade.grading.quota_from_order`).
pass 2
    the batches are read again, rescored (scoring is row-local and deterministic),
    joined with rank and quota flags and written in input order.

``engine="local"`` keeps the pass-1 batches in memory (compacted) and the keys in
numpy arrays. ``engine="stream"`` honours a memory budget: the keys go to a temporary
Arrow file, the units are split into groups small enough for the budget and graded one
group at a time, and pass 2 reads the input again. Both give the same output.

An interrupt or error leaves no output (the file is written to a temporary name and
renamed when complete) and removes the temporary files.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskgrade.engine.check import batch_is_valid
from riskgrade.engine.core import as_float, factor_matrix, score_ints
from riskgrade.engine.ids import duplicates, id_hashes, sorted_failures
from riskgrade.engine.memory import release_unused, system_allocator
from riskgrade.engine.output import score_and_contributions, write_output
from riskgrade.engine.rank import rank_units
from riskgrade.engine.sources import (
    Ordered,
    _compact,
    _input_hash,
    _restore,
    _Source,
    _TypesChanged,
    _UnitCodes,
    _Writer,
    neutralise,
    prefetch,
)
from riskgrade.exceptions import InventoryValidationError
from riskgrade.io import atomic_path
from riskgrade.outputs import check_outputs, clean_stale, run_outputs, spill_prefix, together
from riskgrade.results import RESULT_COLUMNS
from riskgrade.schema import find_failures
from riskgrade.scoring import index_score
from riskgrade.weighting.stats import EngineWeightPass

__all__ = ["EngineSummary", "default_memory_limit", "grade_file", "parse_memory"]

Progress = Callable[[str, int], None]
# the streaming CSV reader reads ahead about 40 blocks: 4 MiB blocks keep that near 160 MB
_LOCAL_BLOCK = 1 << 22


def default_memory_limit() -> int:
    """A quarter of the memory available now (bytes); 1 GiB when unknown."""
    try:
        import psutil

        return int(psutil.virtual_memory().available // 4)
    except ImportError:  # pragma: no cover - psutil is optional
        try:
            return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 4)
        except (ValueError, OSError, AttributeError):
            return 1 << 30


def parse_memory(text: str | int) -> int:
    """Bytes from ``"512MB"``, ``"2GiB"``, ``"1.5G"`` or a plain number of bytes."""
    if isinstance(text, int):
        return text
    s = str(text).strip().upper().replace(" ", "")
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    num = s.rstrip("IB")
    mult = 1
    if num and num[-1] in units:
        mult = units[num[-1]]
        num = num[:-1]
    try:
        value = float(num)
    except ValueError:
        raise ValueError(f"memory limit {text!r}: expected a size such as 512MB or 2GB") from None
    if value <= 0:
        raise ValueError(f"memory limit {text!r} must be positive")
    return int(value * mult)


@dataclass
class EngineSummary:
    """What a batch run did (printed by the CLI, returned by :func:`grade_file`)."""

    engine: str
    rows_in: int = 0
    rows_graded: int = 0
    rows_rejected: int = 0
    levels: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0, 3: 0})
    units: int = 0
    units_over_cap: int = 0
    demoted: int = 0
    seconds: float = 0.0
    groups: int = 1
    audit: pd.DataFrame | None = None
    provenance: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------- engine
@dataclass
class _Pass1:
    rows_in: int = 0
    failures: list[pd.DataFrame] = field(default_factory=list)
    bad_rows: list[np.ndarray] = field(default_factory=list)
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def ready_for_batch(model: Any) -> Any:
    """The model a batch engine grades with: fitted, and grading on the index score.

    ``None`` means ``RiskModel()``; data-free weights are set here. Data-driven weights
    (entropy, CRITIC, combined) of an unfitted model are computed by the engine itself
    (:mod:`riskgrade.weighting.stats`), so the model is returned unfitted. The batch
    engines (local, stream, Dask) rank and threshold the weighted index; a config with a
    ``calibration`` or a supervised ``scorer`` is graded by :meth:`RiskModel.grade`.

    Raises
    ------
    NotFittedError
        When the weights come from data in a way the engines cannot compute (CRITIC with
        Spearman correlation) and the model has not been fitted.
    ConfigError
        When the config calibrates the score or uses a supervised scorer.
    """
    from riskgrade.exceptions import ConfigError, NotFittedError
    from riskgrade.model import DATA_FREE_METHODS, RiskModel
    from riskgrade.weighting.stats import batch_supported

    model = model if model is not None else RiskModel()
    if model.config.calibration is not None or model.config.scorer is not None:
        raise ConfigError(
            "the batch engines grade the weighted index; a config with 'calibration' or "
            "'scorer' is graded by RiskModel.grade (riskgrade score picks it automatically)"
        )
    if not model.is_fitted:
        if batch_supported(model.config.weighting):
            return model  # weights from the engine's weight pass
        if model.config.weighting.method not in DATA_FREE_METHODS:
            raise NotFittedError(
                f"weighting.method {model.config.weighting.method!r} computes weights from data: "
                "fit the model first (RiskModel.fit or a saved model card)"
            )
        model.fit(None)
    return model


def grade_file(
    source: str | Path | pd.DataFrame | pa.Table,
    output: str | Path | None,
    model: Any = None,
    *,
    engine: Literal["local", "stream"] = "local",
    memory_limit: int | str | None = None,
    on_error: Literal["raise", "quarantine"] = "raise",
    rejects: str | Path | None = None,
    audit: str | Path | None = None,
    encoding: str | None = None,
    fmt: str | None = None,
    progress: Progress | None = None,
    batch_bytes: int | None = None,
) -> EngineSummary:
    """Grade an inventory file and write the graded file.

    Parameters
    ----------
    source : path, DataFrame or pyarrow.Table
        The inventory (``.csv``, ``.csv.gz``, ``.parquet``).
    output : path or None
        Graded file (``.csv`` or ``.parquet``); ``None`` grades without writing.
    model : RiskModel, optional
        A fitted model, or an unfitted one (default ``RiskModel()``): data-driven
        weights are then computed from the graded rows in pass 1 and set on it.
    engine : {"local", "stream"}
        ``"local"`` keeps the input in memory between the passes; ``"stream"`` reads
        it twice and keeps per-row state within ``memory_limit``.
    memory_limit : int or str, optional
        Memory budget of the stream engine (bytes or ``"512MB"``); default a quarter
        of the available memory.
    on_error : {"raise", "quarantine"}
        Invalid rows stop the run (nothing written) or go to the rejects file.
    rejects : path, optional
        Rejects file (default ``<output stem>.rejects.csv``).
    audit : path, optional
        Also write the audit of quota moves here.
    encoding : str, optional
        CSV encoding (default: detected).
    fmt : {"csv", "parquet"}, optional
        Output format (default from the suffix).
    progress : callable, optional
        Called as ``progress(phase, rows_done)`` after every batch.
    batch_bytes : int, optional
        Size of the record batches read (CSV block size; rows are derived from it for
        Parquet and tables). Default 4 MiB in memory, 1/128 of the budget streaming.

    Returns
    -------
    EngineSummary

    Raises
    ------
    InventoryValidationError
        With ``on_error="raise"``, when any row fails validation (every failure listed).
    """
    t0 = time.perf_counter()
    if on_error not in ("raise", "quarantine"):
        raise ValueError(f"on_error must be 'raise' or 'quarantine', got {on_error!r}")
    if engine not in ("local", "stream"):
        raise ValueError(f"engine must be 'local' or 'stream', got {engine!r}")
    model = ready_for_batch(model)
    budget = parse_memory(memory_limit) if memory_limit is not None else default_memory_limit()
    # the CSV reader holds about 30 times its block size while parsing a block
    block = _LOCAL_BLOCK if engine == "local" else int(min(_LOCAL_BLOCK, max(1 << 14, budget // 128)))
    if batch_bytes is not None:
        block = int(batch_bytes)
    paths = run_outputs(output, fmt, rejects, audit)
    check_outputs({"input": source if isinstance(source, str | Path) else None}, paths)
    clean_stale(Path(p).parent for p in paths.values() if p is not None)
    threads = min(2, os.cpu_count() or 1)  # UTF-8 CSV blocks are parsed in parallel
    src = _Source(source, model.config, encoding=encoding, block_size=block, threads=threads)
    run = _Run(model, src, engine, budget, on_error, progress)
    with contextlib.ExitStack() as stack:
        if engine == "stream":
            stack.enter_context(system_allocator())
        tmpdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=spill_prefix())))
        stack.enter_context(together())  # every output renamed at the end, or none
        run.tmpdir = tmpdir
        get_hash, _ = _input_hash(src)
        run.pass1()
        if run.weight_pass is not None:
            run.weight_pass.finish()
        run.quota()
        summary = run.summary
        prov = model._provenance(
            types.SimpleNamespace(attrs={"input_sha256": get_hash(), "source": src.source_name}),
            run.summary.rows_graded,
            run.summary.rows_rejected,
        )
        summary.provenance = prov
        if output is not None:
            out = Path(output)
            from riskgrade.formats import UnsupportedFormatError, output_format

            ofmt = output_format(out, fmt).name
            if ofmt not in ("csv", "parquet"):
                raise UnsupportedFormatError(f"the batch engines write csv and parquet, not {ofmt}")
            rej_rows: list[pa.Table] = []
            with atomic_path(out) as tmp, open(tmp, "wb") as fh:
                w = _Writer(fh, ofmt, prov)
                run.pass2(w, rej_rows)
                w.close()
                if ofmt == "csv":
                    side = out.with_name(out.name + ".meta.json")
                    with atomic_path(side) as tmp_meta:
                        tmp_meta.write_text(
                            json.dumps(prov, ensure_ascii=False, sort_keys=True, indent=2) + "\n",
                            encoding="utf-8",
                        )
            if rej_rows:
                from riskgrade.io import write_frame

                rp = paths["rejects"]
                assert rp is not None
                write_frame(pa.concat_tables(rej_rows, promote_options="permissive"), rp)
        else:
            run.pass2(None, [])
        if audit is not None:
            from riskgrade.io import write_frame

            write_frame(summary.audit if summary.audit is not None else pd.DataFrame(), audit)
    summary.seconds = time.perf_counter() - t0
    return summary


class _Run:
    """State of one engine run."""

    # set by the quota pass (:func:`~riskgrade.engine.rank.rank_units`)
    n_units: int
    n_u: np.ndarray  # valid rows per unit code
    cap_eff: np.ndarray  # effective cap per unit code
    cand: np.ndarray  # level-1 candidates per unit code
    n_groups: int
    g: np.ndarray  # local engine: unit code, rank and flags of the valid rows, in input order
    rank: np.ndarray
    flags: np.ndarray
    group_files: list[Path]  # stream engine: (rank, flags) records of each unit group
    # set by the output pass (:func:`~riskgrade.engine.output.write_output`)
    part_rows: int

    def __init__(self, model: Any, src: _Source, engine: str, budget: int, on_error: str,
                 progress: Progress | None) -> None:
        self.model = model
        self.config = model.config
        self.catalog = model.catalog
        self.w: Any = model.weights_.to_numpy() if model.is_fitted else None  # set by the weight pass
        self.weight_pass = None if model.is_fitted else EngineWeightPass(self)
        self.dec = self.config.score_decimals
        self.quota_policy = self.config.quota
        self.tie_names = [k for k in self.quota_policy.tie_break]
        self.src = src
        self.engine = engine
        self.budget = budget
        self.on_error = on_error
        self.progress = progress
        self.units = _UnitCodes()
        self.summary = EngineSummary(engine=engine)
        self.tmpdir: Path | None = None
        self.bad: np.ndarray = np.zeros(0, dtype=np.int64)
        self.reasons: dict[int, str] = {}
        self.extra_bad: pd.DataFrame | None = None
        self.ipc_path: Path | None = None
        self.types0: dict[str, pa.DataType] | None = None
        # local engine: kept batches and, per batch, the first good-row index and the
        # positions of the good rows (None when all are good)
        self.batches: list[pa.Table] = []
        self.good_start: list[int] = [0]
        self.good_pos: list[np.ndarray | None] = []
        self.unit_at: list[int] = []  # where the unit column was removed from a kept batch (-1: not)
        self.threads = min(2, os.cpu_count() or 1)
        # pass-1 workers; one when streaming: fewer batches in flight within a small budget
        self.p1_threads = self.threads if engine == "local" else min(1, self.threads)

    # ------------------------------------------------------------------ pass 1
    def pass1(self) -> None:
        passes = 0  # passes without a newly pinned column type (a pin ends with every column pinned)
        while passes < 3:
            try:
                self._pass1()
            except _TypesChanged as err:
                if self.src.kind != "csv" or not self.src.pin_types(err):
                    raise
                continue
            passes += 1
            dups = duplicates(self)
            if self.on_error == "raise" and self.p1.failures and dups is None:
                raise InventoryValidationError(sorted_failures(self.p1.failures), n_rows=self.p1.rows_in)
            if dups is None:
                return
            if self.on_error == "raise":
                raise InventoryValidationError(sorted_failures([*self.p1.failures, dups]),
                                               n_rows=self.p1.rows_in)
            self.extra_bad = dups
        raise RuntimeError("could not read the input consistently")  # pragma: no cover

    def _pass1(self) -> None:
        self.units = _UnitCodes()
        self.types0 = None  # a new pass may read with pinned types
        if self.weight_pass is not None:
            self.weight_pass.reset()
        p1 = _Pass1()
        self.p1 = p1
        extra = self.extra_bad
        extra_rows = np.unique(extra["row"].to_numpy(dtype=np.int64)) if extra is not None else None
        self.batches, self.good_start, self.good_pos, self.unit_at = [], [0], [], []
        self.keys: dict[str, list] = {"g": [], "s": [], "ids": []}
        self.ipc: Any = None
        self.tie_present: list[str] = []
        tie_found = False
        pool = Ordered(self.p1_threads)
        source = self.src.batches()
        batches = prefetch(source, depth=2) if self.p1_threads else source
        try:
            for t in batches:
                n = t.num_rows
                if n == 0:
                    continue
                r0 = p1.rows_in
                p1.rows_in += n
                if self.types0 is None:
                    self.types0 = dict(zip(t.column_names, t.schema.types, strict=True))
                if not tie_found:
                    self.tie_present = [k for k in self.tie_names if k in t.column_names]
                    tie_found = True
                sel = None
                if extra_rows is not None:
                    sel = extra_rows[(extra_rows >= r0) & (extra_rows < r0 + n)] - r0
                for res in pool.submit(self._prepare, t, r0, sel):
                    self._absorb(res)
            for res in pool.drain():
                self._absorb(res)
        except BaseException:
            pool.abort()
            raise
        finally:
            pool.close()
            if hasattr(batches, "close"):
                batches.close()
        if self.ipc is not None:
            self.ipc.close()
        if p1.rows_in == 0:
            raise InventoryValidationError(find_failures(pd.DataFrame(), self.config), n_rows=0)
        bad_parts: list[np.ndarray] = [*p1.bad_rows]
        if extra_rows is not None:
            bad_parts.append(extra_rows)
        self.bad = np.unique(np.concatenate(bad_parts)) if bad_parts else np.zeros(0, dtype=np.int64)
        fcs = list(p1.failures)
        if extra is not None:
            fcs.append(extra)
        self.fc_all = sorted_failures(fcs) if fcs else None

    def _prepare(self, t: pa.Table, r0: int, sel: np.ndarray | None) -> _Prepared:
        """The row-local work of pass 1 on one batch (runs in a worker thread)."""
        n = t.num_rows
        out = _Prepared(n=n)
        good = None
        if not batch_is_valid(t, self.config):
            fc = find_failures(t.to_pandas(), self.config)
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
        if self.engine == "local":
            out.kept = _compact(t)
            out.good_pos = None if good is None else np.flatnonzero(good)
        tg = t if good is None else t.filter(pa.array(good))
        out.m = tg.num_rows
        if tg.num_rows == 0:
            return out
        F = factor_matrix(tg, self.catalog)
        if self.weight_pass is not None:  # data-driven weights: scored after pass 1, in order
            out.F = F
        else:
            out.s_int = score_ints(index_score(F, self.w, decimals=self.dec), self.dec)
        del F
        q = self.quota_policy.by
        out.enc = _UnitCodes.encode(tg.column(q)) if q in tg.column_names else None
        out.enc_h = _UnitCodes.hashes(out.enc) if out.enc is not None else None
        ids = tg.column("risk_point_id")
        out.ids = ids
        if self.engine != "local":
            out.tks = [as_float(tg.column(k)) for k in self.tie_present]
            out.h = id_hashes(ids)
        return out

    def _absorb(self, r: _Prepared) -> None:
        """The sequential part of pass 1: unit codes in order of appearance, keys kept."""
        p1 = self.p1
        if r.fc is not None:
            assert r.bad is not None  # set with the failures
            p1.failures.append(r.fc)
            p1.bad_rows.append(r.bad)
        if self.engine == "local":
            kept, at = r.kept, -1
            assert kept is not None  # every batch is kept by the local engine
            q = self.quota_policy.by
            if (r.good_pos is None and r.enc is not None and q not in self.tie_present
                    and q in kept.column_names and kept.column(q).null_count == 0):
                # the unit column is rebuilt from the unit codes in pass 2 (4 bytes a row)
                at = kept.column_names.index(q)
                kept = kept.remove_column(at)
            self.batches.append(kept)
            self.unit_at.append(at)
            self.good_pos.append(r.good_pos)
            self.good_start.append(self.good_start[-1] + r.m)
        if r.F is not None:
            assert self.weight_pass is not None
            r.s_int = self.weight_pass.add(r.F)
            r.F = None
        if r.m:
            g = self.units.merge(r.enc, r.enc_h) if r.enc is not None else np.zeros(r.m, np.int32)
            if self.engine == "local":
                self.keys["g"].append(g)
                self.keys["s"].append(r.s_int)
                self.keys["ids"].append(r.ids)
            else:
                cols = {"g": pa.array(g), "s": pa.array(r.s_int), "h": pa.array(r.h)}
                for k, v in zip(self.tie_present, r.tks, strict=True):
                    cols["t_" + k] = pa.array(v)
                ids = r.ids
                assert ids is not None  # set for every batch with valid rows
                cols["id"] = pc.cast(ids, pa.large_string()) if not pa.types.is_large_string(ids.type) \
                    else ids
                kt = pa.table(cols)
                if self.ipc is None:
                    assert self.tmpdir is not None
                    self.ipc_path = self.tmpdir / "keys.arrow"
                    self.ipc = pa.ipc.new_file(str(self.ipc_path), kt.schema)
                self.ipc.write_table(kt)
                cnt = np.bincount(g, minlength=len(self.units))
                if len(p1.counts) < len(cnt):
                    p1.counts = np.concatenate([p1.counts, np.zeros(len(cnt) - len(p1.counts), np.int64)])
                p1.counts[: len(cnt)] += cnt
        self.tick("reading", p1.rows_in if r.n else 0)

    def tie_keys_at(self, rows: np.ndarray) -> list[np.ndarray]:
        """Secondary tie-break keys of the valid rows ``rows`` (local engine: from the kept input)."""
        out = [np.empty(len(rows)) for _ in self.tie_present]
        if not self.tie_present or not len(rows):
            return out
        starts = np.asarray(self.good_start)
        b = np.searchsorted(starts, rows, side="right") - 1
        for bi in np.unique(b):
            at = np.flatnonzero(b == bi)
            local = rows[at] - starts[bi]
            gp = self.good_pos[bi]
            pos = pa.array(local if gp is None else gp[local])
            kb = self.batches[bi]
            for j, k in enumerate(self.tie_present):
                col = _restore(kb.column(k), (self.types0 or {}).get(k))
                out[j][at] = as_float(pc.take(col, pos))
        return out

    def tick(self, phase: str, rows: int) -> None:
        if self.progress is not None:
            self.progress(phase, rows)

    # ------------------------------------------------------------------ quota
    def quota(self) -> None:
        release_unused()  # pass-1 buffers (reader read-ahead, batches in flight)
        rank_units(self)
        release_unused()  # sort temporaries

    # ------------------------------------------------------------------ pass 2
    def pass2(self, writer: _Writer | None, rejected: list[pa.Table]) -> None:
        write_output(self, writer, rejected)

    def reasons_for(self, row: int) -> str:
        if not self.reasons and self.fc_all is not None:
            fc = self.fc_all
            r = fc.assign(r=fc["column"].astype(str) + ":" + fc["reason"].astype(str))
            agg = r.groupby("row", sort=True)["r"].agg(lambda s: ";".join(sorted(set(s))))
            self.reasons = {int(k): v for k, v in agg.items()}
        return self.reasons.get(row, "")


@dataclass
class _Prepared:
    """Pass-1 result of one batch (see :meth:`_Run._prepare`)."""

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


__all__ += ["RESULT_COLUMNS", "neutralise", "score_and_contributions"]
