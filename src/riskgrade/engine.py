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
import math
import os
import tempfile
import time
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskgrade.engine_check import batch_is_valid
from riskgrade.engine_core import (
    FLAG_DEMOTED,
    FLAG_EXCEPTION,
    FLAG_TIE,
    as_float,
    factor_matrix,
    grading_order,
    ints_to_score,
    score_ints,
)
from riskgrade.engine_io import (
    _compact,
    _input_hash,
    _restore,
    _Source,
    _TypesChanged,
    _UnitCodes,
    _Writer,
    neutralise,
)
from riskgrade.engine_weights import EngineWeightPass
from riskgrade.exceptions import DataWarning, InventoryValidationError
from riskgrade.grading import AUDIT_COLUMNS, provisional_levels, quota_from_order
from riskgrade.io import atomic_path
from riskgrade.results import RESULT_COLUMNS
from riskgrade.schema import find_failures
from riskgrade.scoring import _sums, index_score

__all__ = ["EngineSummary", "default_memory_limit", "grade_file", "parse_memory"]

Progress = Callable[[str, int], None]
_LOCAL_BLOCK = 1 << 24


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
    (:mod:`riskgrade.engine_weights`), so the model is returned unfitted. The batch
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
    from riskgrade.engine_weights import batch_supported
    from riskgrade.exceptions import ConfigError, NotFittedError
    from riskgrade.model import DATA_FREE_METHODS, RiskModel

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
        Parquet and tables). Default 16 MiB in memory, 1/16 of the budget streaming.

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
    src = _Source(source, model.config, encoding=encoding, block_size=block)
    run = _Run(model, src, engine, budget, on_error, progress)
    with contextlib.ExitStack() as stack:
        tmpdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="riskgrade-")))
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
            ofmt = fmt or ("parquet" if out.suffix.lower() in (".parquet", ".pq") else "csv")
            if ofmt not in ("csv", "parquet"):
                raise ValueError(f"fmt must be 'csv' or 'parquet', got {ofmt!r}")
            rej_rows: list[pa.Table] = []
            with atomic_path(out) as tmp, open(tmp, "wb") as fh:
                threads = min(4, os.cpu_count() or 1) if engine == "local" else 1
                w = _Writer(fh, ofmt, prov, threads=threads)
                try:
                    run.pass2(w, rej_rows)
                except BaseException:
                    w.abort()
                    raise
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

                rp = Path(rejects) if rejects else out.with_name(
                    (out.name[: -len(out.suffix)] if out.suffix else out.name) + ".rejects.csv"
                )
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

    def __init__(self, model: Any, src: _Source, engine: str, budget: int, on_error: str,
                 progress: Progress | None) -> None:
        self.model = model
        self.config = model.config
        self.catalog = model.catalog
        self.w = model.weights_.to_numpy() if model.is_fitted else None
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

    # ------------------------------------------------------------------ pass 1
    def pass1(self) -> None:
        for _attempt in range(3):
            try:
                self._pass1()
            except _TypesChanged:
                if self.src.kind != "csv" or not self.src.pin_types():
                    raise
                continue
            dups = self._duplicates()
            if self.on_error == "raise" and self.p1.failures and dups is None:
                raise InventoryValidationError(_sorted_fc(self.p1.failures), n_rows=self.p1.rows_in)
            if dups is None:
                return
            if self.on_error == "raise":
                raise InventoryValidationError(_sorted_fc([*self.p1.failures, dups]), n_rows=self.p1.rows_in)
            self.extra_bad = dups
        raise RuntimeError("could not read the input consistently")  # pragma: no cover

    def _pass1(self) -> None:
        self.units = _UnitCodes()
        if self.weight_pass is not None:
            self.weight_pass.reset()
        p1 = _Pass1()
        self.p1 = p1
        extra = getattr(self, "extra_bad", None)
        extra_rows = np.unique(extra["row"].to_numpy(dtype=np.int64)) if extra is not None else None
        keep_batches: list[pa.Table] = []
        keys: dict[str, list] = {"g": [], "s": [], "ids": [], "hash": []}
        for k in self.tie_names:
            keys[k] = []
        ipc = None
        tie_present: list[str] | None = None
        for t in self.src.batches():
            n = t.num_rows
            if n == 0:
                continue
            r0 = p1.rows_in
            p1.rows_in += n
            ok = batch_is_valid(t, self.config)
            good = None
            if not ok:
                fc = find_failures(t.to_pandas(), self.config)
                if len(fc):
                    file_level = fc["row"].isna()
                    if file_level.any():
                        raise InventoryValidationError(fc[file_level], n_rows=n)
                    fc["row"] = fc["row"] + r0
                    p1.failures.append(fc)
                    bad = np.unique(fc["row"].to_numpy(dtype=np.int64))
                    p1.bad_rows.append(bad)
                    good = np.ones(n, dtype=bool)
                    good[bad - r0] = False
            if extra_rows is not None:
                sel = extra_rows[(extra_rows >= r0) & (extra_rows < r0 + n)] - r0
                if len(sel):
                    good = np.ones(n, dtype=bool) if good is None else good
                    good[sel] = False
            if not hasattr(self, "types0"):
                self.types0 = dict(zip(t.column_names, t.schema.types, strict=True))
            if self.engine == "local":
                keep_batches.append(_compact(t))
            tg = t if good is None else t.filter(pa.array(good))
            if tg.num_rows == 0:
                continue
            F = factor_matrix(tg, self.catalog)
            if self.weight_pass is not None:  # data-driven weights: scored after pass 1
                s_int = self.weight_pass.add(F)
            else:
                s_int = score_ints(index_score(F, self.w, decimals=self.dec), self.dec)
            del F
            q = self.quota_policy.by
            g = self.units.codes(tg.column(q)) if q in tg.column_names else np.zeros(tg.num_rows, np.int32)
            if tie_present is None:
                tie_present = [k for k in self.tie_names if k in tg.column_names]
            tks = [as_float(tg.column(k)) for k in tie_present]
            ids = tg.column("risk_point_id")
            if self.engine == "local":
                keys["g"].append(g)
                keys["s"].append(s_int)
                for k, v in zip(tie_present, tks, strict=True):
                    keys[k].append(v)
                keys["ids"].append(ids)
            else:
                h = pd.util.hash_array(np.asarray(ids.to_numpy(), dtype=object).astype(str))
                cols = {"g": pa.array(g), "s": pa.array(s_int), "h": pa.array(h)}
                for k, v in zip(tie_present, tks, strict=True):
                    cols["t_" + k] = pa.array(v)
                cols["id"] = pc.cast(ids, pa.large_string()) if not pa.types.is_large_string(ids.type) \
                    else ids
                kt = pa.table(cols)
                if ipc is None:
                    assert self.tmpdir is not None
                    ipc_path = self.tmpdir / "keys.arrow"
                    ipc = pa.ipc.new_file(str(ipc_path), kt.schema)
                    self.ipc_path = ipc_path
                ipc.write_table(kt)
                cnt = np.bincount(g, minlength=len(self.units))
                if len(p1.counts) < len(cnt):
                    p1.counts = np.concatenate([p1.counts, np.zeros(len(cnt) - len(p1.counts), np.int64)])
                p1.counts[: len(cnt)] += cnt
            self._tick("reading", p1.rows_in)
        if ipc is not None:
            ipc.close()
        if p1.rows_in == 0:
            raise InventoryValidationError(find_failures(pd.DataFrame(), self.config), n_rows=0)
        self.tie_present = tie_present or []
        self.batches = keep_batches
        self.keys = keys
        bad_parts: list[np.ndarray] = [*p1.bad_rows]
        if extra_rows is not None:
            bad_parts.append(extra_rows)
        self.bad = np.unique(np.concatenate(bad_parts)) if bad_parts else np.zeros(0, dtype=np.int64)
        fcs = list(p1.failures)
        if extra is not None:
            fcs.append(extra)
        self.fc_all = _sorted_fc(fcs) if fcs else None

    def _tick(self, phase: str, rows: int) -> None:
        if self.progress is not None:
            self.progress(phase, rows)

    def _duplicates(self) -> pd.DataFrame | None:
        """Failure cases for ids repeated across the whole input (``None`` if unique)."""
        if self.engine == "local":
            if not self.keys["ids"]:
                return None
            ids = _chunks(self.keys["ids"])
            if _strictly_increasing(ids) or pc.count_distinct(ids).as_py() == len(ids):
                return None
            pos = self._good_positions()
            s = pd.Series(ids.to_numpy(), index=pos)
        else:
            if not hasattr(self, "ipc_path"):
                return None
            n_rows = self.p1.rows_in
            hgroups = max(1, math.ceil(n_rows * 24 / max(self.budget // 2, 1)))
            dup_parts = []
            for gi in range(hgroups):
                with pa.OSFile(str(self.ipc_path)) as mm:
                    rd = pa.ipc.open_file(mm)
                    parts_h = []
                    for i in range(rd.num_record_batches):
                        h = rd.get_batch(i).column("h").to_numpy()
                        parts_h.append(h[(h % np.uint64(hgroups)) == gi] if hgroups > 1 else h.copy())
                hs = np.concatenate(parts_h)
                del parts_h
                hs.sort()
                dd = hs[1:] == hs[:-1]
                if dd.any():
                    dup_parts.append(np.unique(hs[1:][dd]))
                del hs, dd
            if not dup_parts:
                return None
            dup_h = np.concatenate(dup_parts)
            parts, offs = [], []
            off = 0
            with pa.OSFile(str(self.ipc_path)) as mm:
                rd = pa.ipc.open_file(mm)
                for i in range(rd.num_record_batches):
                    b = rd.get_batch(i)
                    m = np.isin(b.column("h").to_numpy(), dup_h)
                    idx = np.flatnonzero(m)
                    parts.append(b.column("id").to_numpy(zero_copy_only=False)[idx])
                    offs.append(idx + off)
                    off += b.num_rows
            local = np.concatenate(offs)
            pos = self._good_positions(local)
            s = pd.Series(np.concatenate(parts), index=pos)
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

    def _good_positions(self, local: np.ndarray | None = None) -> np.ndarray:
        """Input row positions of graded rows (all of them, or those at ``local`` indices)."""
        n = self.p1.rows_in
        bad = np.unique(np.concatenate(self.p1.bad_rows)) if self.p1.bad_rows else np.zeros(0, np.int64)
        extra = getattr(self, "extra_bad", None)
        if extra is not None:
            bad = np.union1d(bad, extra["row"].to_numpy(dtype=np.int64))
        if local is None:
            keep = np.ones(n, dtype=bool)
            keep[bad] = False
            return np.flatnonzero(keep)
        # position of the k-th good row: k + number of bad rows before it
        good = np.setdiff1d(np.arange(n), bad) if len(bad) else None
        return local if good is None else good[local]

    # ------------------------------------------------------------------ quota
    def quota(self) -> None:
        q = self.quota_policy
        grader = self.model.grader_
        self.n_units = len(self.units)
        if self.engine == "local":
            g = np.concatenate(self.keys["g"]) if self.keys["g"] else np.zeros(0, np.int32)
            counts = np.bincount(g, minlength=self.n_units).astype(np.int64)
        else:
            counts = self.p1.counts
            counts = np.concatenate([counts, np.zeros(self.n_units - len(counts), np.int64)])
        self.n_u = counts
        cap_u = q.cap(counts)
        cap_eff = cap_u.copy()
        if q.small_unit_allowance:
            small = cap_u == 0
            cap_eff[small] = np.minimum(q.small_unit_allowance, counts[small])
        self.cap_eff = cap_eff
        self.cand = np.zeros(self.n_units, dtype=np.int64)
        audits: list[pd.DataFrame] = []
        if self.engine == "local":
            s_int = np.concatenate(self.keys["s"]) if self.keys["s"] else np.zeros(0, np.int64)
            tks = [np.concatenate(self.keys[k]) for k in self.tie_present]
            ids = _chunks(self.keys["ids"]) if self.keys["ids"] else None
            self.keys = {}
            self.g = g
            rank, flags = self._grade_group(g, s_int, tks, ids, grader, audits)
            self.rank, self.flags = rank, flags
            self.n_groups = 1
        else:
            self._grade_groups(grader, audits)
        audit = pd.concat(audits, ignore_index=True) if audits else pd.DataFrame(
            {c: [] for c in AUDIT_COLUMNS}
        )
        if len(audit):
            audit = audit.sort_values(["unit_id", "rank_in_unit"], kind="stable").reset_index(drop=True)
        self.summary.audit = audit[AUDIT_COLUMNS] if len(audit) else audit
        self.summary.units = int((counts > 0).sum())
        self.summary.units_over_cap = int((self.cand > cap_eff).sum())
        self.summary.rows_in = self.p1.rows_in
        self.summary.rows_rejected = len(self.bad)
        self.summary.rows_graded = self.p1.rows_in - len(self.bad)

    def _grade_group(self, g, s_int, tks, ids, grader, audits) -> tuple[np.ndarray, np.ndarray]:
        order = grading_order(g, s_int, tks, ids)
        score = ints_to_score(s_int, self.dec)
        prov = provisional_levels(score, self.config.levels)
        self.cand += np.bincount(g[prov == 1], minlength=self.n_units)
        qo = quota_from_order(score, g, order, prov, self.n_units, self.quota_policy)
        flags = (qo.demoted * FLAG_DEMOTED) | (qo.tie * FLAG_TIE) | (qo.exception * FLAG_EXCEPTION)
        flags = flags.astype(np.uint8)
        if self.quota_policy.enabled and (qo.dem_s.any() or qo.exc_s.any()):
            m = qo.dem_s | qo.exc_s
            rows = order[m]
            id_sub = (
                np.asarray(pc.take(ids, pa.array(rows)).to_numpy(zero_copy_only=False), dtype=object)
                if ids is not None else np.array([None] * len(rows), dtype=object)
            )
            unit_sub = np.asarray(self.units.values, dtype=object)[g[rows]] if self.units.values else \
                np.zeros(len(rows), dtype=object)
            k = len(rows)
            audits.append(
                grader._audit(
                    np.arange(k), qo.dem_s[m], qo.exc_s[m], qo.g_s[m], unit_sub, id_sub,
                    score[rows], qo.rank[rows], self.n_u, self.cap_eff, qo.cutoff, qo.tie[rows],
                )
            )
        self.summary.demoted += int(qo.demoted.sum())
        return qo.rank.astype(np.int32), flags

    def _grade_groups(self, grader, audits) -> None:
        """Stream engine: grade the units group by group from the key file."""
        n = self.summary.rows_graded if self.summary.rows_graded else self.p1.rows_in - len(self.bad)
        per_row = 96 + 8 * len(self.tie_present)
        groups = max(1, math.ceil(n * per_row / max(self.budget // 6, 1)))
        self.n_groups = groups
        self.summary.groups = groups
        if not hasattr(self, "ipc_path"):
            self.group_files: list[Path] = []
            return
        assert self.tmpdir is not None
        self.group_files = []
        for gi in range(groups):
            gs: list[np.ndarray] = []
            ss: list[np.ndarray] = []
            ts: list[list[np.ndarray]] = [[] for _ in self.tie_present]
            ids: list[np.ndarray] = []
            with pa.OSFile(str(self.ipc_path)) as mm:
                rd = pa.ipc.open_file(mm)
                for i in range(rd.num_record_batches):
                    b = rd.get_batch(i)
                    gcol = b.column("g").to_numpy()
                    m = (gcol % groups) == gi if groups > 1 else None
                    if m is not None:
                        idx = np.flatnonzero(m)
                        gs.append(gcol[idx])
                        ss.append(b.column("s").to_numpy()[idx])
                        for j, k in enumerate(self.tie_present):
                            ts[j].append(b.column("t_" + k).to_numpy()[idx])
                        ids.append(pc.take(b.column("id"), pa.array(idx)))
                    else:
                        gs.append(gcol.copy())
                        ss.append(b.column("s").to_numpy().copy())
                        for j, k in enumerate(self.tie_present):
                            ts[j].append(b.column("t_" + k).to_numpy().copy())
                        ids.append(pc.take(b.column("id"), pa.array(np.arange(b.num_rows))))
            g = np.concatenate(gs) if gs else np.zeros(0, np.int32)
            s_int = np.concatenate(ss) if ss else np.zeros(0, np.int64)
            tks = [np.concatenate(t) for t in ts]
            idarr = pa.chunked_array(ids, type=pa.large_string())
            del gs, ss, ts, ids
            rank, flags = self._grade_group(g, s_int, tks, idarr, grader, audits)
            del g, s_int, tks, idarr
            path = self.tmpdir / f"group{gi}.bin"
            rec = np.empty(len(rank), dtype=[("r", "<i4"), ("f", "u1")])
            rec["r"] = rank
            rec["f"] = flags
            rec.tofile(path)
            self.group_files.append(path)
            self._tick("ranking", gi + 1)

    # ------------------------------------------------------------------ pass 2
    def pass2(self, writer: _Writer | None, rejected: list[pa.Table]) -> None:
        counts = np.zeros(4, dtype=np.int64)
        r0 = 0
        done_good = 0
        handles = [open(p, "rb") for p in getattr(self, "group_files", [])]  # noqa: SIM115
        rec_t = np.dtype([("r", "<i4"), ("f", "u1")])
        try:
            batches = iter(self.batches) if self.engine == "local" else self.src.batches()
            for t in batches:
                n = t.num_rows
                if n == 0:
                    continue
                good = None
                if len(self.bad):
                    sel = self.bad[(self.bad >= r0) & (self.bad < r0 + n)] - r0
                    if len(sel):
                        good = np.ones(n, dtype=bool)
                        good[sel] = False
                        rej = t.filter(pa.array(~good))
                        rej = pa.table(
                            [_restore(c, self.types0.get(nm)) for c, nm in zip(rej.columns, rej.column_names,
                                                                                strict=True)],
                            names=rej.column_names,
                        )
                        rej = rej.add_column(0, "row", pa.array(sel + r0, pa.int64()))
                        reasons = [self.reasons_for(int(r)) for r in sel + r0]
                        rejected.append(rej.append_column("reject_reasons", pa.array(reasons)))
                        t = t.filter(pa.array(good))
                r0 += n
                m = t.num_rows
                if m == 0:
                    continue
                if self.engine == "local":
                    g = self.g[done_good: done_good + m]
                    rank = self.rank[done_good: done_good + m]
                    flags = self.flags[done_good: done_good + m]
                else:
                    q = self.quota_policy.by
                    g = self.units.lookup(t.column(q)) if q in t.column_names else np.zeros(m, np.int32)
                    rank = np.empty(m, dtype=np.int32)
                    flags = np.empty(m, dtype=np.uint8)
                    if self.n_groups == 1:
                        rec = np.fromfile(handles[0], dtype=rec_t, count=m)
                        rank[:] = rec["r"]
                        flags[:] = rec["f"]
                    else:
                        grp = g % self.n_groups
                        ob = np.argsort(grp, kind="stable")
                        cnt = np.bincount(grp, minlength=self.n_groups)
                        recs = [np.fromfile(handles[i], dtype=rec_t, count=int(c)) if c else
                                np.zeros(0, rec_t) for i, c in enumerate(cnt)]
                        rec = np.concatenate(recs)
                        rank[ob] = rec["r"]
                        flags[ob] = rec["f"]
                done_good += m
                out = self._output_batch(t, g, rank, flags, counts)
                if writer is not None:
                    writer.write(out)
                self._tick("writing", r0)
        finally:
            for h in handles:
                h.close()
        self.summary.levels = {1: int(counts[1]), 2: int(counts[2]), 3: int(counts[3])}

    def reasons_for(self, row: int) -> str:
        if not self.reasons and self.fc_all is not None:
            fc = self.fc_all
            r = fc.assign(r=fc["column"].astype(str) + ":" + fc["reason"].astype(str))
            agg = r.groupby("row", sort=True)["r"].agg(lambda s: ";".join(sorted(set(s))))
            self.reasons = {int(k): v for k, v in agg.items()}
        return self.reasons.get(row, "")

    def _output_batch(self, t: pa.Table, g, rank, flags, counts) -> pa.Table:
        F = factor_matrix(t, self.catalog)
        score, contrib = score_and_contributions(F, self.w, self.dec)
        prov = provisional_levels(score, self.config.levels)
        demoted = (flags & FLAG_DEMOTED) > 0
        level = prov.astype(np.int64)
        level[demoted] = 2
        counts += np.bincount(level, minlength=4)
        added: dict[str, pa.Array] = {
            "score": pa.array(score, from_pandas=True),
            "level": pa.array(level),
            "level_provisional": pa.array(prov.astype(np.int64)),
            "rank_in_unit": pa.array(rank.astype(np.int64)),
            "n_in_unit": pa.array(self.n_u[g]),
            "quota_cap": pa.array(self.cap_eff[g]),
            "quota_demoted": pa.array(demoted),
            "quota_tie": pa.array((flags & FLAG_TIE) > 0),
            "quota_exception": pa.array((flags & FLAG_EXCEPTION) > 0),
        }
        for j, name in enumerate(self.catalog.names):
            added[f"factor_{name}"] = pa.array(F[:, j], from_pandas=True)
        for j, name in enumerate(self.catalog.names):
            added[f"contrib_{name}"] = pa.array(contrib[:, j], from_pandas=True)
        names = t.column_names
        clash = [c for c in added if c in names]
        if clash:
            if not getattr(self, "_warned", False):
                warnings.warn(
                    f"input already has result column(s) {clash}; they are replaced", DataWarning,
                    stacklevel=4,
                )
                self._warned = True
            t = t.drop_columns(clash)
        if not hasattr(self, "types0"):
            self.types0 = dict(zip(t.column_names, t.schema.types, strict=True))
        cols = [_restore(c, self.types0.get(nm)) for c, nm in zip(t.columns, t.column_names, strict=True)]
        cols += list(added.values())
        return pa.table(cols, names=[*t.column_names, *added])


def score_and_contributions(F: np.ndarray, w: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """Index scores and contributions with the weighted sums computed once.

    The same operations as :func:`~riskgrade.scoring.index_score` and
    :func:`~riskgrade.scoring.index_contributions`, so the same bits.
    """
    num, den = _sums(F, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = num / den
        c = np.where(np.isnan(F), 0.0, F) * w[None, :] / den[:, None]
    s[den <= 0] = np.nan
    c[den <= 0] = np.nan
    return np.round(s, decimals), c


def _chunks(parts: list[pa.ChunkedArray]) -> pa.ChunkedArray:
    """One chunked array of the chunks of several (no copy, unlike passing them whole)."""
    return pa.chunked_array([c for p in parts for c in p.chunks], type=parts[0].type)


def _strictly_increasing(arr: pa.ChunkedArray) -> bool:
    """Whether the values increase strictly (then they are unique): one vectorised pass."""
    a = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if len(a) < 2 or a.null_count:
        return len(a) < 2
    return bool(pc.all(pc.greater(a.slice(1), a.slice(0, len(a) - 1))).as_py())


def _sorted_fc(parts: list[pd.DataFrame]) -> pd.DataFrame:
    fc = pd.concat([p for p in parts if len(p)], ignore_index=True)
    order = np.lexsort(
        (fc["column"].astype(str).to_numpy(), fc["row"].fillna(-1).to_numpy(dtype=np.int64))
    )
    return fc.iloc[order].reset_index(drop=True)


__all__ += ["RESULT_COLUMNS", "neutralise"]
