"""Pass 2 of the batch engine: one graded output part per input slice.

:func:`output_part` rescores a slice (scoring is row-local and deterministic, so the
bits are those of pass 1), joins it with the rank and quota flags of its rows and
returns the graded table, or its CSV text, ready for the writer. It holds no state
and touches no file, so several slices are built at once in worker threads (numpy and
pyarrow release the GIL) while the writer keeps file order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from riskgrade.engine_core import FLAG_DEMOTED, FLAG_EXCEPTION, FLAG_TIE, factor_matrix
from riskgrade.engine_io import _restore, format_csv
from riskgrade.grading import provisional_levels
from riskgrade.scoring import _sums

__all__ = ["OutputSpec", "output_part", "score_and_contributions"]


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


def score_and_contributions(F: np.ndarray, w: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """Index scores and contributions with the weighted sums computed once.

    The same operations as :func:`~riskgrade.scoring.index_score` and
    :func:`~riskgrade.scoring.index_contributions`, so the same bits.
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
    num, den = _sums(F, w)
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
    names = spec.catalog.names
    for j, name in enumerate(names):
        added[f"factor_{name}"] = pa.array(np.ascontiguousarray(F[:, j]), from_pandas=True)
    del F
    for j, name in enumerate(names):
        added[f"contrib_{name}"] = pa.array(contrib[j], from_pandas=True)
    del contrib
    if spec.drop:
        t = t.drop_columns(list(spec.drop))
    cols = [_restore(c, spec.types.get(nm)) for c, nm in zip(t.columns, t.column_names, strict=True)]
    cols += list(added.values())
    return pa.table(cols, names=[*t.column_names, *added]), counts


def output_part(
    spec: OutputSpec,
    t: pa.Table,
    good: np.ndarray | None,
    g: np.ndarray,
    rank: np.ndarray,
    flags: np.ndarray,
    schema: pa.Schema | None,
    fmt: str | None,
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
        ``"csv"``: return the CSV text; ``"parquet"``: the table; ``None``: nothing.

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
    return (format_csv(table) if fmt == "csv" else table), counts, own

