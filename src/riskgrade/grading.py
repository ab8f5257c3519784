"""Levels from scores: thresholds, then the per-unit level-one quota.

Section 6 of the source document grades risk points into levels 1 (highest), 2 and
3 and holds level one to at most 10 % of a unit's risk points "in principle". The
:class:`Grader` does that in two steps:

1. **Provisional levels** from thresholds ``t1 > t2`` on the score (or on a
   calibrated probability): level 1 if ``x >= t1``, level 2 if ``x >= t2``, else 3.
2. **The quota.** In each group (``unit_id`` by default) of ``n`` points at most
   ``cap = floor(max_share * n)`` points keep level 1, computed in exact integer
   arithmetic (``max_share`` is read as a decimal fraction, so ``0.1 * 30`` is 3, not
   ``2.9999…``). The level-one candidates are ordered by score (descending), then by
   the secondary keys (``consequence`` then ``funds_handled`` by default, descending),
   then by ``risk_point_id`` (ascending), and those after position ``cap`` are
   demoted to level 2. Where the last kept and the first demoted candidate have the
   same score, every candidate with that score is flagged ``quota_tie``: the secondary
   keys, not the score, decided between them.

The order is total (``risk_point_id`` is unique), so levels do not depend on the
row order of the input. Every demotion is listed in the audit table with the unit,
score, cut-off score, rank, cap and reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AUDIT_COLUMNS",
    "GradeArrays",
    "Grader",
    "QuotaOutcome",
    "QuotaPolicy",
    "Thresholds",
    "quota_from_order",
    "quota_sort_keys",
    "small_unit_summary",
    "unit_caps",
]

AUDIT_COLUMNS = [
    "unit_id",
    "risk_point_id",
    "action",
    "level_from",
    "level_to",
    "score",
    "cutoff_score",
    "rank_in_unit",
    "n_in_unit",
    "cap",
    "tie",
    "reason",
]


class Thresholds(BaseModel):
    """Thresholds for the provisional levels.

    Parameters
    ----------
    level_1 : float
        Level 1 when the basis value is at least this.
    level_2 : float
        Level 2 when the basis value is at least this (and below ``level_1``).
    basis : {"score", "probability"}
        Whether thresholds apply to the index score or to a calibrated probability
        of violation. Ranking for the quota always uses the score.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    level_1: float = 0.60
    level_2: float = 0.35
    basis: Literal["score", "probability"] = "score"

    @model_validator(mode="after")
    def _check(self) -> Thresholds:
        if not self.level_1 > self.level_2:
            raise ValueError(
                f"levels.level_1 ({self.level_1}) must be greater than levels.level_2 ({self.level_2})"
            )
        return self


class QuotaPolicy(BaseModel):
    """The level-one quota.

    Parameters
    ----------
    max_share : float
        Largest share of a group's risk points that may be level 1 (default 0.10).
    by : str
        Grouping column (default ``"unit_id"``).
    rounding : {"floor", "round", "ceil"}
        How ``max_share * n`` becomes a whole number of points (default floor, which
        never exceeds the share).
    small_unit_allowance : int
        The "in principle" exception: a group whose cap rounds to 0 may still keep
        this many level-one points (0 = no exception). Every point kept this way is
        flagged ``quota_exception`` and listed in the audit.
    tie_break : tuple of str
        Secondary keys, each sorted descending, after the score and before
        ``risk_point_id``.
    enabled : bool
        Switch the quota off (provisional levels are final).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    max_share: float = Field(default=0.10, ge=0.0, le=1.0)
    by: str = "unit_id"
    rounding: Literal["floor", "round", "ceil"] = "floor"
    small_unit_allowance: int = Field(default=0, ge=0)
    tie_break: tuple[str, ...] = ("consequence", "funds_handled")
    enabled: bool = True

    def cap(self, n: np.ndarray | int) -> np.ndarray:
        """Cap before any exception for groups of ``n`` points (exact integers)."""
        return unit_caps(np.asarray(n, dtype=np.int64), self.max_share, self.rounding)


def unit_caps(n: np.ndarray, max_share: float, rounding: str = "floor") -> np.ndarray:
    """Exact integer caps ``floor|round|ceil(max_share * n)``.

    ``max_share`` is read through its shortest decimal representation, so 0.1 is
    exactly one tenth.

    Examples
    --------
    >>> unit_caps(np.array([9, 10, 30, 59]), 0.1).tolist()
    [0, 1, 3, 5]
    """
    frac = Fraction(repr(float(max_share)))
    num, den = frac.numerator, frac.denominator
    n = np.asarray(n, dtype=np.int64)
    if rounding == "floor":
        return (n * num) // den
    if rounding == "ceil":
        return -((-n * num) // den)
    if rounding == "round":  # half up
        return (2 * n * num + den) // (2 * den)
    raise ValueError(f"rounding must be 'floor', 'round' or 'ceil', got {rounding!r}")


@dataclass(frozen=True)
class GradeArrays:
    """Per-row outcome of grading (arrays in input order) and the audit table."""

    level_provisional: np.ndarray
    level: np.ndarray
    rank_in_unit: np.ndarray
    n_in_unit: np.ndarray
    cap: np.ndarray
    quota_demoted: np.ndarray
    quota_tie: np.ndarray
    quota_exception: np.ndarray
    audit: pd.DataFrame

    def result_columns(self) -> dict[str, np.ndarray]:
        """The grading columns of a result frame, by name, in result order."""
        return {
            "level": self.level.astype(np.int64),
            "level_provisional": self.level_provisional.astype(np.int64),
            "rank_in_unit": self.rank_in_unit,
            "n_in_unit": self.n_in_unit,
            "quota_cap": self.cap,
            "quota_demoted": self.quota_demoted,
            "quota_tie": self.quota_tie,
            "quota_exception": self.quota_exception,
        }


def provisional_levels(values: np.ndarray, thresholds: Thresholds) -> np.ndarray:
    """Levels 1/2/3 from thresholds (``int8``)."""
    v = np.asarray(values, dtype=float)
    lev = np.full(v.shape, 3, dtype=np.int8)
    lev[v >= thresholds.level_2] = 2
    lev[v >= thresholds.level_1] = 1
    return lev


def _codes(values: np.ndarray) -> np.ndarray:
    """Dense codes in sorted order of the values (order-independent)."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        _, inv = np.unique(arr, return_inverse=True)
    else:
        _, inv = np.unique(arr.astype(str), return_inverse=True)
    return inv.astype(np.int64).ravel()


@dataclass(frozen=True)
class QuotaOutcome:
    """Outcome of the quota step for rows already put in grading order."""

    rank: np.ndarray
    level: np.ndarray
    demoted: np.ndarray
    tie: np.ndarray
    exception: np.ndarray
    n_u: np.ndarray
    cap_eff: np.ndarray
    cutoff: np.ndarray
    g_s: np.ndarray
    dem_s: np.ndarray
    exc_s: np.ndarray


def quota_sort_keys(
    group: np.ndarray, score: np.ndarray, tie_keys: list[np.ndarray] | None, id_codes: np.ndarray
) -> list[np.ndarray]:
    """The one quota order, as :func:`numpy.lexsort` keys (least significant first).

    Rows are ordered by unit, then score descending, then each tie-break key descending,
    then risk point id ascending; a missing score or key sorts last. The Grader sorts by
    these keys; the batch engine's packed-integer sort
    (:func:`riskgrade.engine.core.grading_order`) and the level-probability engine's shared
    credit at ties (:mod:`riskgrade.uncertainty.tiles`) are tested against it.

    Parameters
    ----------
    group : ndarray of int
        Unit code of each row.
    score : ndarray of float
        Ranking score (higher = riskier).
    tie_keys : list of ndarray, optional
        Secondary keys, most significant first.
    id_codes : ndarray of int
        Codes of the risk point ids in sorted order of the ids.
    """
    keys: list[np.ndarray] = [np.asarray(id_codes)]
    for k in reversed(tie_keys or []):
        kk = np.asarray(k, dtype=float)
        keys.append(-np.where(np.isnan(kk), -np.inf, kk))
    s = np.asarray(score, dtype=float)
    keys.append(-np.where(np.isnan(s), -np.inf, s))
    keys.append(np.asarray(group))
    return keys


def quota_from_order(
    score: np.ndarray,
    g: np.ndarray,
    order: np.ndarray,
    prov: np.ndarray,
    n_groups: int,
    quota: QuotaPolicy,
) -> QuotaOutcome:
    """Apply the quota to rows whose grading order is known.

    Parameters
    ----------
    score : ndarray of float
        Scores (only compared for equality at the cut-off).
    g : ndarray of int
        Group code of each row, in ``[0, n_groups)``.
    order : ndarray of int
        Row indices sorted by group, then score descending, then the tie-break keys.
    prov : ndarray of int
        Provisional levels.
    n_groups : int
        Number of group codes.
    quota : QuotaPolicy
        The quota.

    Returns
    -------
    QuotaOutcome
        Per-row rank, final level and flags (input order); per-group counts, caps and
        cut-off scores; the sorted-order masks the audit is built from.
    """
    n = score.shape[0]
    g_s = g[order]
    n_u = np.bincount(g, minlength=n_groups).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(n_u)[:-1]]).astype(np.int64)
    pos = np.arange(n, dtype=np.int64) - starts[g_s]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = pos + 1
    del pos
    level = prov.copy()
    demoted = np.zeros(n, dtype=bool)
    tie = np.zeros(n, dtype=bool)
    exception = np.zeros(n, dtype=bool)
    cap_u = quota.cap(n_u)
    cap_eff = cap_u.copy()
    if quota.small_unit_allowance:
        small = cap_u == 0
        cap_eff[small] = np.minimum(quota.small_unit_allowance, n_u[small])
    cutoff = np.full(n_groups, np.nan)
    dem_s = exc_s = np.zeros(n, dtype=bool)
    if quota.enabled and n:
        cand_s = prov[order] == 1
        csum = np.cumsum(cand_s)
        before = np.concatenate([[0], csum])[starts]
        cand_rank = csum - before[g_s]
        cap_s = cap_eff[g_s]
        dem_s = cand_s & (cand_rank > cap_s)
        exc_s = cand_s & (cand_rank <= cap_s) & (cap_u[g_s] == 0)
        # cut-off: score of the last kept candidate of each group
        last_kept = cand_s & (cand_rank == cap_s)
        score_s = score[order]
        cutoff[g_s[last_kept]] = score_s[last_kept]
        first_dem = cand_s & (cand_rank == cap_s + 1)
        first_dem_score = np.full(n_groups, np.nan)
        first_dem_score[g_s[first_dem]] = score_s[first_dem]
        tied_group = cutoff == first_dem_score  # NaN compares False
        tie_s = cand_s & tied_group[g_s] & (score_s == cutoff[g_s])
        demoted[order[dem_s]] = True
        exception[order[exc_s]] = True
        tie[order[tie_s]] = True
        level[demoted] = 2
    return QuotaOutcome(rank, level, demoted, tie, exception, n_u, cap_eff, cutoff, g_s, dem_s, exc_s)


class Grader:
    """Assign levels from scores with a per-unit level-one quota.

    Parameters
    ----------
    thresholds : Thresholds, optional
        Level thresholds (default ``Thresholds()``: 0.60 and 0.35 on the score).
    quota : QuotaPolicy, optional
        The quota (default: at most 10 % level one per ``unit_id``, floor).

    Examples
    --------
    >>> import numpy as np
    >>> g = Grader()
    >>> out = g.grade_arrays(
    ...     score=np.array([0.9, 0.8, 0.7] + [0.1] * 7),
    ...     group=np.array(["u"] * 10),
    ...     ids=np.array([f"r{i}" for i in range(10)]),
    ... )
    >>> out.level.tolist()
    [1, 2, 2, 3, 3, 3, 3, 3, 3, 3]
    """

    def __init__(self, thresholds: Thresholds | None = None, quota: QuotaPolicy | None = None) -> None:
        self.thresholds = thresholds if thresholds is not None else Thresholds()
        self.quota = quota if quota is not None else QuotaPolicy()

    def __repr__(self) -> str:
        return f"Grader(thresholds={self.thresholds!r}, quota={self.quota!r})"

    def grade(
        self,
        frame: pd.DataFrame,
        *,
        score: str = "score",
        id_column: str = "risk_point_id",
        probability: str | None = None,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Grade a frame that already has a score column.

        Parameters
        ----------
        frame : pandas.DataFrame
            Rows with the score, the quota group (``quota.by``), the ids and,
            where present, the tie-break columns.
        score : str
            Score column.
        id_column : str
            Unique id column (last tie-break).
        probability : str, optional
            Column the thresholds apply to when ``thresholds.basis`` is
            ``"probability"``.

        Returns
        -------
        graded : pandas.DataFrame
            ``frame`` with ``level``, ``level_provisional``, ``rank_in_unit``,
            ``quota_demoted``, ``quota_tie`` and ``quota_exception`` added.
        audit : pandas.DataFrame
            One row per quota move.
        """
        if self.thresholds.basis == "probability" and probability is None:
            raise ValueError("thresholds.basis is 'probability': name the probability column")
        ga = self.grade_arrays(
            frame[score].to_numpy(dtype=float),
            frame[self.quota.by].to_numpy(),
            frame[id_column].to_numpy(),
            tie_keys=[
                pd.to_numeric(frame[k], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                for k in self.quota.tie_break
                if k in frame.columns
            ],
            basis_values=None if probability is None else frame[probability].to_numpy(dtype=float),
        )
        out = frame.assign(
            level=ga.level.astype(np.int64),
            level_provisional=ga.level_provisional.astype(np.int64),
            rank_in_unit=ga.rank_in_unit,
            quota_demoted=ga.quota_demoted,
            quota_tie=ga.quota_tie,
            quota_exception=ga.quota_exception,
        )
        return out, ga.audit

    def grade_arrays(
        self,
        score: np.ndarray,
        group: np.ndarray,
        ids: np.ndarray,
        *,
        tie_keys: list[np.ndarray] | None = None,
        basis_values: np.ndarray | None = None,
    ) -> GradeArrays:
        """Grade rows given as arrays.

        Parameters
        ----------
        score : ndarray of float
            Ranking score (higher = riskier), strictly monotone in risk.
        group : ndarray
            Quota group of each row (unit id).
        ids : ndarray
            Unique risk point ids (last tie-break, ascending).
        tie_keys : list of ndarray, optional
            Secondary keys sorted descending after the score (NaN sorts last).
        basis_values : ndarray, optional
            Values the thresholds apply to when ``thresholds.basis`` is
            ``"probability"``; default the score.

        Returns
        -------
        GradeArrays
        """
        score = np.asarray(score, dtype=float)
        n = score.shape[0]
        basis = score if basis_values is None else np.asarray(basis_values, dtype=float)
        prov = provisional_levels(basis, self.thresholds)

        g = _codes(group)
        idc = _codes(ids)
        order = np.lexsort(quota_sort_keys(g, score, tie_keys, idc))

        n_groups = int(g.max()) + 1 if n else 0
        qo = quota_from_order(score, g, order, prov, n_groups, self.quota)
        rank, level, n_u, cap_eff = qo.rank, qo.level, qo.n_u, qo.cap_eff
        demoted, tie, exception = qo.demoted, qo.tie, qo.exception
        audit = pd.DataFrame({c: [] for c in AUDIT_COLUMNS})
        if self.quota.enabled and n:
            audit = self._audit(
                order, qo.dem_s, qo.exc_s, qo.g_s, group, ids, score, rank, n_u, cap_eff, qo.cutoff, tie
            )
        return GradeArrays(
            level_provisional=prov,
            level=level,
            rank_in_unit=rank,
            n_in_unit=n_u[g],
            cap=cap_eff[g],
            quota_demoted=demoted,
            quota_tie=tie,
            quota_exception=exception,
            audit=audit,
        )

    def _audit(
        self,
        order: np.ndarray,
        dem_s: np.ndarray,
        exc_s: np.ndarray,
        g_s: np.ndarray,
        group: np.ndarray,
        ids: np.ndarray,
        score: np.ndarray,
        rank: np.ndarray,
        n_u: np.ndarray,
        cap_eff: np.ndarray,
        cutoff: np.ndarray,
        tie: np.ndarray,
    ) -> pd.DataFrame:
        q = self.quota
        keys = ", ".join((*q.tie_break, "risk_point_id"))
        parts = []
        for mask, action in ((dem_s, "quota_demotion"), (exc_s, "quota_exception")):
            rows = order[mask]
            if len(rows) == 0:
                continue
            gg = g_s[mask]
            df = pd.DataFrame(
                {
                    "unit_id": np.asarray(group, dtype=object)[rows],
                    "risk_point_id": np.asarray(ids, dtype=object)[rows],
                    "action": action,
                    "level_from": 1,
                    "level_to": 2 if action == "quota_demotion" else 1,
                    "score": score[rows],
                    "cutoff_score": cutoff[gg],
                    "rank_in_unit": rank[rows],
                    "n_in_unit": n_u[gg],
                    "cap": cap_eff[gg],
                    "tie": tie[rows],
                }
            )
            share = f"{q.max_share:g}"
            if action == "quota_demotion":
                reason = [
                    f"{q.by} {u}: {int(c)} of {int(m)} points may be level 1 "
                    f"({q.rounding}({share} x {int(m)})); this point ranks {int(r)} by "
                    f"score and is demoted to level 2"
                    + (f"; tied on score with the cut-off, order decided by {keys}" if t else "")
                    for u, c, m, r, t in zip(
                        df["unit_id"], df["cap"], df["n_in_unit"], df["rank_in_unit"], df["tie"],
                        strict=True,
                    )
                ]
            else:
                reason = [
                    f"{q.by} {u}: {q.rounding}({share} x {int(m)}) = 0 level-one points; "
                    f"kept at level 1 under the small-unit allowance of {q.small_unit_allowance}"
                    for u, m in zip(df["unit_id"], df["n_in_unit"], strict=True)
                ]
            df["reason"] = reason
            parts.append(df)
        if not parts:
            return pd.DataFrame({c: [] for c in AUDIT_COLUMNS})
        audit = pd.concat(parts, ignore_index=True)
        audit = audit.sort_values(["unit_id", "rank_in_unit"], kind="stable").reset_index(drop=True)
        return audit[AUDIT_COLUMNS]


def small_unit_summary(unit_summary: pd.DataFrame, max_share: float = 0.1,
                       rounding: str = "floor") -> dict[str, Any]:
    """Units too small for one level-one point under the share cap, and what it cost.

    Returns
    -------
    dict
        ``threshold`` (fewest points for a cap of 1), ``units`` (units below it),
        ``demoted`` (level-one candidates demoted in those units because their cap is 0),
        ``option`` (the config setting that allows one: ``quota.small_unit_allowance``).
    """
    probe = np.arange(1, 100_001, dtype=np.int64)
    ok = np.flatnonzero(unit_caps(probe, max_share, rounding) >= 1)
    threshold = int(probe[ok[0]]) if len(ok) else int(probe[-1]) + 1
    n = unit_summary["n_points"].to_numpy(dtype=np.int64)
    small = n < threshold
    return {
        "threshold": threshold,
        "units": int(small.sum()),
        "demoted": int(unit_summary["demoted"].to_numpy(dtype=np.int64)[small].sum()),
        "option": "quota.small_unit_allowance",
    }
