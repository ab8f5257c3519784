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
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from riskgrade.engine.choice import batch_blocker, default_memory_limit, parse_memory
from riskgrade.engine.memory import release_unused, system_allocator
from riskgrade.engine.output import score_and_contributions, write_output
from riskgrade.engine.pass1 import run_pass1
from riskgrade.engine.rank import rank_units
from riskgrade.engine.sources import Source, input_hash
from riskgrade.engine.state import EngineSummary, Progress, RunState
from riskgrade.engine.weights import EngineWeightPass
from riskgrade.engine.writers import Writer, neutralise
from riskgrade.io import atomic_path
from riskgrade.outputs import check_outputs, clean_stale, run_outputs, spill_prefix, together
from riskgrade.results import RESULT_COLUMNS
from riskgrade.weighting.stats import needs_data

__all__ = ["EngineSummary", "default_memory_limit", "grade_file", "parse_memory"]

# the streaming CSV reader reads ahead about 40 blocks: 4 MiB blocks keep that near 160 MB
_LOCAL_BLOCK = 1 << 22


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
    from riskgrade.model import RiskModel

    model = model if model is not None else RiskModel()
    blocker = batch_blocker(model)
    if blocker == "scorer":
        raise ConfigError(
            "the batch engines grade the weighted index; a config with 'calibration' or "
            "'scorer' is graded by RiskModel.grade (riskgrade score picks it automatically)"
        )
    if blocker == "fit":
        raise NotFittedError(
            f"weighting.method {model.config.weighting.method!r} computes weights from data: "
            "fit the model first (RiskModel.fit or a saved model card)"
        )
    if not model.is_fitted and not needs_data(model.config.weighting):
        model.fit(None)  # data-free weights; data-driven ones come from the engine's weight pass
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
    view: Any = None,
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
    view : riskgrade.output_view.OutputView, optional
        Which columns the written file holds and their headers (the CLI's default:
        the input columns plus five result columns); ``None`` writes every column
        under canonical names.

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
    src = Source(source, model.config, encoding=encoding, block_size=block, threads=threads)
    run = RunState.start(model, src, engine, budget, on_error, progress)
    run.view = view
    if not model.is_fitted:
        run.weight_pass = EngineWeightPass(run)
    with contextlib.ExitStack() as stack:
        if engine == "stream":
            stack.enter_context(system_allocator())
        tmpdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=spill_prefix())))
        stack.enter_context(together())  # every output renamed at the end, or none
        run.tmpdir = tmpdir
        get_hash, _ = input_hash(src)
        run_pass1(run)
        if run.weight_pass is not None:
            run.weight_pass.finish()
        release_unused()  # pass-1 buffers (reader read-ahead, batches in flight)
        rank_units(run)
        release_unused()  # sort temporaries
        n_u = np.asarray(run.n_u)
        caps = run.quota_policy.cap(n_u) if len(n_u) else n_u
        run.summary.small_units = int(np.sum((n_u > 0) & (caps == 0)))
        summary = run.summary
        prov = model.provenance(
            run.summary.rows_graded,
            run.summary.rows_rejected,
            input_sha256=get_hash(),
            source=src.source_name,
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
                w = Writer(fh, ofmt, prov)
                write_output(run, w, rej_rows)
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
            write_output(run, None, [])
        if audit is not None:
            from riskgrade.io import write_frame

            write_frame(summary.audit if summary.audit is not None else pd.DataFrame(), audit)
    summary.seconds = time.perf_counter() - t0
    return summary




__all__ += ["RESULT_COLUMNS", "neutralise", "score_and_contributions"]
