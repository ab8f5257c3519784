"""Grading on a Dask cluster (optional extra ``dask``: ``pip install 'riskgrade[dask]'``).

:func:`grade_dask` grades a ``dask.dataframe.DataFrame`` with the same numbers as
:meth:`riskgrade.RiskModel.grade`:

1. every partition is validated and scored on its own (scoring is row-local);
2. the rows are shuffled by the quota group (``unit_id``) so that every unit lies in
   one partition -- skipped with ``partitioned_by_unit=True`` when the data already
   is (for example a Parquet dataset written with ``partition_on=["unit_id"]``);
3. each partition runs the quota of its units (:class:`riskgrade.Grader`).

Every row keeps its input position in ``_row``, so :func:`grade_dask_file` writes the
graded file in input order with the same writer as the local engine.

Data-driven weights (entropy, CRITIC, combined) of an unfitted model come from a
distributed reduction before step 1: every partition folds its factor scores into
:class:`riskgrade.weighting.stats.WeightStats`, the statistics are merged in a tree
(exact integer sums, so the grouping does not matter) and finalised on the client; the
model is then fitted with those weights, the same bits as the local engine.

Examples
--------
>>> import dask.dataframe as dd, riskgrade as rg
>>> inv = rg.datasets.make_inventory(300, n_units=6, seed=1)
>>> graded = grade_dask(dd.from_pandas(inv, npartitions=3)).compute()
>>> int(graded["level"].eq(1).sum()) <= 30
True
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskgrade.engine.batch import ready_for_batch
from riskgrade.exceptions import InventoryValidationError

__all__ = ["CSV_PARTITION_BYTES", "fit_weights_dask", "grade_dask", "grade_dask_file"]

#: About how many bytes of a CSV input one partition holds (cut between rows only).
CSV_PARTITION_BYTES = 64_000_000


def _require_dask():
    try:
        import dask.dataframe as dd
    except ImportError:  # pragma: no cover - depends on the extra
        raise ImportError(
            "the Dask backend needs the 'dask' extra: pip install 'riskgrade[dask]'"
        ) from None
    return dd


def _with_rows(ddf):
    """Add ``_row``: the position of each row in the whole input."""
    lengths = ddf.map_partitions(len).compute()
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)

    def add(part: pd.DataFrame, partition_info: dict | None = None) -> pd.DataFrame:
        i = partition_info["number"] if partition_info else 0
        return part.assign(_row=np.arange(len(part), dtype=np.int64) + offsets[i])

    meta = ddf._meta.assign(_row=np.int64(0))
    return ddf.map_partitions(add, meta=meta), int(lengths.sum())


def _validated(part: pd.DataFrame, model: Any) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Normalised rows, their input positions and factor scores (raises on invalid rows)."""
    from riskgrade.identity import fold_frame
    from riskgrade.schema import find_failures, normalise_values

    rows = part["_row"].to_numpy()
    inv = normalise_values(part.drop(columns="_row").reset_index(drop=True))
    inv = fold_frame(inv, model.config)
    inv.attrs = {}
    fc = find_failures(inv, model.config)
    fc = fc[fc["reason"] != "duplicate_id"]  # checked over the whole input
    if len(fc):
        fc = fc.copy()
        known = fc["row"].notna()
        fc.loc[known, "row"] = rows[fc.loc[known, "row"].to_numpy(dtype=np.int64)]
        raise InventoryValidationError(fc.reset_index(drop=True), n_rows=len(part))
    return inv, rows, model.catalog.transform(inv).to_numpy(dtype=float)


def _score_partition(part: pd.DataFrame, model: Any) -> pd.DataFrame:
    from riskgrade.engine.batch import score_and_contributions

    inv, rows, F = _validated(part, model)
    score, contrib = score_and_contributions(F, model.weights_.to_numpy(), model.config.score_decimals)
    added = {"score": score}
    for j, name in enumerate(model.catalog.names):
        added[f"factor_{name}"] = F[:, j]
    for j, name in enumerate(model.catalog.names):
        added[f"contrib_{name}"] = contrib[:, j]
    out = inv.drop(columns=[c for c in added if c in inv.columns])
    out = pd.concat([out, pd.DataFrame(added)], axis=1)
    out["_row"] = rows
    out.index = part.index
    return out



def _quota_partition(part: pd.DataFrame, model: Any) -> pd.DataFrame:
    q = model.config.quota
    part = part.sort_values("_row", kind="stable")
    tie_keys = [
        pd.to_numeric(part[k], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        for k in q.tie_break
        if k in part.columns
    ]
    ga = model.grader_.grade_arrays(
        part["score"].to_numpy(dtype=float),
        part[q.by].to_numpy() if q.by in part.columns else np.zeros(len(part), dtype=np.int64),
        part["risk_point_id"].to_numpy(),
        tie_keys=tie_keys,
    )
    for k, v in ga.result_columns().items():
        part[k] = v
    return part


def _order_columns(frame: pd.DataFrame, model: Any, input_columns: list[str]) -> pd.DataFrame:
    from riskgrade.results import RESULT_COLUMNS

    factor_cols = [f"factor_{n}" for n in model.catalog.names]
    contrib_cols = [f"contrib_{n}" for n in model.catalog.names]
    added = [*RESULT_COLUMNS, *factor_cols, *contrib_cols]
    base = [c for c in input_columns if c not in added]
    return frame[[*base, *added, "_row"]]


def grade_dask(ddf: Any, model: Any = None, *, partitioned_by_unit: bool = False) -> Any:
    """Grade a Dask DataFrame; result columns as :meth:`riskgrade.RiskModel.grade`.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        The inventory (canonical or aliased column names).
    model : RiskModel, optional
        Fitted model, or an unfitted one (default ``RiskModel()``): data-driven weights
        are then computed by :func:`fit_weights_dask` and set on it.
    partitioned_by_unit : bool
        Declare that every unit lies in a single partition already: no shuffle.

    Returns
    -------
    dask.dataframe.DataFrame
        The graded rows, with ``_row`` (input position); partitions hold whole units,
        so rows are not in input order (sort by ``_row``).

    Raises
    ------
    InventoryValidationError
        When computed, if a partition fails validation or ids repeat.
    """
    _require_dask()
    from riskgrade.schema import canonical_columns

    model = ready_for_batch(model)
    names = canonical_columns(list(ddf.columns), dict(model.config.columns))
    ddf = ddf.rename(columns=dict(zip(ddf.columns, names, strict=True)))
    ddf, _ = _with_rows(ddf)
    if not model.is_fitted:
        fit_weights_dask(ddf, model)
    meta_in = ddf._meta.drop(columns="_row")
    meta_scored = _score_partition(_meta_frame(meta_in, model), model).iloc[0:0]
    scored = ddf.map_partitions(_score_partition, model, meta=meta_scored)
    by = model.config.quota.by
    if not partitioned_by_unit:
        scored = scored.shuffle(on=by)
    meta_q = _quota_partition(meta_scored.copy(), model)
    graded = scored.map_partitions(_quota_partition, model, meta=meta_q)
    graded = graded.map_partitions(_order_columns, model, names, meta=_order_columns(meta_q, model, names))
    return graded


def _partition_stats(part: pd.DataFrame, model: Any, template: Any) -> Any:
    """Weight statistics of one partition's rows (validated as for scoring)."""
    stats = template.empty()
    if len(part):
        stats.update(_validated(part, model)[2])
    return stats


def _merge(*parts: Any) -> Any:
    out = parts[0].empty()
    for p in parts:
        out.merge(p)
    return out


def _reduce(ddf: Any, model: Any, template: Any, fan_in: int = 8) -> Any:
    """Statistics of all partitions: per-partition tasks, merged in a tree, computed."""
    import dask

    level = [dask.delayed(_partition_stats)(p, model, template) for p in ddf.to_delayed()]
    while len(level) > 1:
        level = [dask.delayed(_merge)(*level[i: i + fan_in]) for i in range(0, len(level), fan_in)]
    return level[0].compute()


def fit_weights_dask(ddf: Any, model: Any) -> Any:
    """Fit an unfitted model's data-driven weights with a distributed reduction.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        The inventory with canonical column names and ``_row`` (input position).
    model : RiskModel
        Model whose config has entropy, CRITIC (Pearson) or combined weights.

    Returns
    -------
    RiskModel
        ``model``, fitted: ``weights_`` and ``weight_details_`` as
        :meth:`RiskModel.fit <riskgrade.RiskModel.fit>` on the same rows gives them.

    Raises
    ------
    InventoryValidationError
        When a partition fails validation.
    """
    from riskgrade.weighting.stats import WeightStats

    names = list(model.catalog.names)
    stats = _reduce(ddf, model, WeightStats(model.config.weighting, names))
    if stats.needs_second_pass:  # min-max entropy: sums of x - min
        stats = _reduce(ddf, model, stats.second_pass())
    weights, details = stats.finalize()
    model.set_weights(pd.Series(weights, dtype=float).reindex(names).fillna(0.0), details)
    model.training_ = {"n_rows": int(stats.rows), "input_sha256": None}
    return model


def _meta_frame(meta: pd.DataFrame, model: Any) -> pd.DataFrame:
    """One valid-looking row with the meta's columns, to derive output dtypes."""
    from riskgrade.datasets import make_inventory

    row = make_inventory(1, seed=0)
    out = pd.DataFrame({c: row[c] if c in row.columns else pd.Series([None]) for c in meta.columns})
    for c in meta.columns:
        if c not in row.columns:
            out[c] = out[c].astype(meta[c].dtype) if meta[c].dtype != object else None
    return out.assign(_row=np.int64(0))


def grade_dask_file(
    source: str | Path,
    output: str | Path,
    model: Any = None,
    *,
    scheduler: str | None = None,
    partitioned_by_unit: bool = False,
    on_error: str = "raise",
    audit: str | Path | None = None,
    progress: Any = None,
    n_workers: int = 2,
    processes: bool = True,
    blocksize: int | None = None,
):
    """Grade an inventory file on a Dask cluster and write the graded file.

    Parameters
    ----------
    source : path
        ``.csv`` or ``.parquet`` file, or a directory of Parquet files.
    output : path
        Graded ``.csv`` or ``.parquet`` file (written atomically, in input order).
    model : RiskModel, optional
        As for :func:`grade_dask`.
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``); default: a LocalCluster.
    partitioned_by_unit : bool
        Every unit lies in one partition already (no shuffle).
    on_error : {"raise"}
        Only ``"raise"``: quarantine needs the local engines.
    audit : path, optional
        Also write the audit of quota moves here (computed from the graded rows).
    progress : callable, optional
        Called as ``progress("writing", rows_done)``.
    n_workers, processes : int, bool
        Shape of the LocalCluster when no scheduler is given.
    blocksize : int, optional
        About how many bytes of a CSV input each partition holds (default
        :data:`CSV_PARTITION_BYTES`); partitions are cut only between rows.

    Returns
    -------
    EngineSummary
    """
    dd = _require_dask()
    from distributed import Client, LocalCluster

    from riskgrade.engine.batch import EngineSummary
    from riskgrade.io import file_sha256, write_frame

    if on_error != "raise":
        raise ValueError("the Dask backend takes on_error='raise' only; use --engine local|stream")
    t0 = time.perf_counter()
    model = ready_for_batch(model)
    from riskgrade.formats import input_format

    src = Path(source)
    if not src.exists():
        raise FileNotFoundError(f"inventory file not found: {src}")
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=processes,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        if src.is_dir() or input_format(src)[0].name == "parquet":  # the bytes decide
            ddf = dd.read_parquet(str(src))
        else:
            ddf = _csv_partitions(dd, src, model, blocksize or CSV_PARTITION_BYTES)
        graded = grade_dask(ddf, model, partitioned_by_unit=partitioned_by_unit)
        frame = graded.compute()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    dups = frame["risk_point_id"].astype(str).duplicated(keep=False)
    if dups.any():
        rows = frame.loc[dups, "_row"].to_numpy()
        fc = pd.DataFrame({"row": pd.array(rows, dtype="Int64"),
                           "risk_point_id": frame.loc[dups, "risk_point_id"].to_numpy(dtype=object),
                           "column": "risk_point_id", "value": None, "reason": "duplicate_id",
                           "message": "risk_point_id duplicated"})
        raise InventoryValidationError(fc, n_rows=len(frame))
    frame = frame.sort_values("_row", kind="stable").drop(columns="_row").reset_index(drop=True)

    prov = model.provenance(
        len(frame), 0, input_sha256=file_sha256(src) if src.is_file() else None, source=str(src)
    )
    out = Path(output)
    write_frame(frame, out, provenance=prov)
    if progress is not None:
        progress("writing", len(frame))
    lv = frame["level"].value_counts().to_dict()
    by = model.config.quota.by
    cand = frame.groupby(by)["level_provisional"].apply(lambda s: int((s == 1).sum()))
    caps = frame.groupby(by)["quota_cap"].first()
    summary = EngineSummary(
        engine="dask",
        rows_in=len(frame),
        rows_graded=len(frame),
        levels={k: int(lv.get(k, 0)) for k in (1, 2, 3)},
        units=int(frame[by].nunique()),
        units_over_cap=int((cand > caps).sum()),
        demoted=int(frame["quota_demoted"].sum()),
        provenance=prov,
    )
    if audit is not None:
        ga_audit = _audit_of(frame, model)
        write_frame(ga_audit, audit)
        summary.audit = ga_audit
    summary.seconds = time.perf_counter() - t0
    return summary


def _read_rows(path: str, start: int, end: int, header_end: int, codec: str | None,
               dtype: dict[str, Any]) -> pd.DataFrame:
    """Rows of ``path`` in bytes ``[start, end)`` (after the header row), parsed by pandas."""
    import io as _bytes_io

    from riskgrade.engine.csv_blocks import open_decompressed

    if codec is not None:  # one partition: the whole decompressed file
        with open_decompressed(path) as stream:
            data = stream.read()
    else:
        with open(path, "rb") as fh:
            head = fh.read(header_end) if start > 0 else b""
            fh.seek(start)
            data = head + fh.read(end - start)
    text = [c for c, t in dtype.items() if t == "string"]
    part = pd.read_csv(_bytes_io.BytesIO(data), dtype=dtype, encoding="utf-8-sig")
    return part.astype({c: object for c in text if c in part.columns})


def _dtypes_of(path: str, start: int, end: int, header_end: int, codec: str | None,
               text: dict[str, Any]) -> dict[str, str]:
    """The column types pandas infers for the rows of one range."""
    part = _read_rows(path, start, end, header_end, codec, text)
    return {c: str(part[c].dtype) for c in part.columns}


def _common_type(kinds: set[str]) -> Any:
    """One type for a column whose ranges were inferred as ``kinds``: text when they disagree."""
    if kinds <= {"int64", "float64"}:
        return np.float64  # a whole number column may be empty elsewhere
    if len(kinds) == 1 and kinds != {"object"} and not kinds & {"str", "string"}:
        return kinds.pop()
    return "string"


def _csv_partitions(dd: Any, src: Path, model: Any, blocksize: int) -> Any:
    """A Dask DataFrame of a CSV file, cut only between rows.

    The cuts are those of :func:`riskgrade.engine.csv_blocks.row_ranges`: at line ends
    proven to lie outside quoted values (the local engines' rule), so a quoted value
    holding line ends is never split; where no cut can be proven, the rest of the file
    is one partition. A gzip or zstd file (by its first bytes) is one partition.

    The column types are inferred in every partition first and made one per column:
    numbers as floats (a whole number column may have gaps elsewhere), a column whose
    partitions disagree (numbers here, text there) as text as written, and the text
    columns of the configuration as text; every partition is then read with them.
    """
    import dask

    from riskgrade.engine.csv_blocks import compression_of, row_ranges
    from riskgrade.io import text_column_types

    codec = compression_of(src)
    if codec is None:
        header_end, ranges = row_ranges(src, blocksize)
    else:
        header_end, ranges = 0, [(0, -1)]
    text: dict[str, Any] = {k: "string" for k in text_column_types(model.config)}
    path = str(src)
    found = dask.compute(*[dask.delayed(_dtypes_of)(path, a, b, header_end, codec, text)
                           for a, b in ranges])
    dtype = dict(text)
    for c in found[0]:
        if c not in text:
            dtype[c] = _common_type({f.get(c, "object") for f in found})
    meta = pd.DataFrame({c: pd.Series(dtype=object if dtype[c] == "string" else dtype[c])
                         for c in found[0]})
    return dd.from_map(_read_rows, [path] * len(ranges), [a for a, _ in ranges],
                       [b for _, b in ranges], args=[header_end, codec, dtype], meta=meta,
                       label="read-csv-rows", enforce_metadata=False)

def _audit_of(frame: pd.DataFrame, model: Any) -> pd.DataFrame:
    """The audit table of the quota moves, from graded rows (as the DataFrame path)."""
    q = model.config.quota
    tie_keys = [
        pd.to_numeric(frame[k], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        for k in q.tie_break
        if k in frame.columns
    ]
    ga = model.grader_.grade_arrays(
        frame["score"].to_numpy(dtype=float), frame[q.by].to_numpy(),
        frame["risk_point_id"].to_numpy(), tie_keys=tie_keys,
    )
    return ga.audit
