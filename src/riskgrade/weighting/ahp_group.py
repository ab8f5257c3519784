"""Group AHP: several experts' judgements into one set of weights.

Two aggregations (Forman & Peniwati 1998, "Aggregating individual judgments and priorities
with the analytic hierarchy process", EJOR 108, 165-169):

* ``"aij"`` — aggregation of individual judgements: the weighted geometric mean
  ``a_ij = prod_k a_ij^(k)^(v_k)`` (Aczél & Saaty 1983 show it is the only mean keeping the
  reciprocal property). A judgement some experts left out is the weighted geometric mean of
  those who gave it (weights renormalised over them); a pair nobody judged stays missing and
  is completed like any incomplete matrix. The group matrix is then solved by :func:`ahp`.
* ``"aip"`` — aggregation of individual priorities: the weighted geometric mean (default) or
  arithmetic mean of each expert's weight vector, renormalised.

Agreement is reported as

* each expert's CR and the geometric compatibility index
  ``GCOMPI_k = 2 / ((n-1)(n-2)) * sum_{i<j} ln^2(a_ij^(k) w_j / w_i)`` of their judgements with
  the group weights w (Aguarón, Escobar & Moreno-Jiménez 2016, EJOR 248; for incomplete
  matrices the sum runs over the given pairs and is rescaled to n(n-1)/2 pairs);
* the distance of each expert's weights from the group's (Euclidean), experts ranked from the
  furthest;
* Kendall's coefficient of concordance W of the experts' rankings with the tie correction,
  ``W = 12 S / (m^2 (n^3 - n) - m sum T)``, and its chi-square test ``m (n - 1) W ~ chi2(n - 1)``
  (Kendall & Babington Smith 1939).
"""

from __future__ import annotations

import html
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from riskgrade.exceptions import InconsistentJudgementsError, WeightingError
from riskgrade.weighting.ahp import AHPResult, ahp, label_index
from riskgrade.weighting.ahp_input import judgement_matrix
from riskgrade.weighting.ri_tables import get_ri_table

__all__ = ["AHPGroupResult", "ahp_group", "kendall_w"]


class _AHPOptions(TypedDict):
    """Options passed to :func:`ahp` for every matrix of a group."""

    ri_table: str
    threshold: float | str
    completion: str
    method: str


def kendall_w(weights: np.ndarray) -> tuple[float, float]:
    """Kendall's W of m experts ranking n items, with tie correction, and its p-value.

    Parameters
    ----------
    weights : numpy.ndarray
        Shape (m, n): row k holds expert k's weights (larger = ranked higher).

    Returns
    -------
    w : float
        Coefficient of concordance in [0, 1] (NaN if undefined: n < 2, m < 2 or every
        expert ties every item).
    p_value : float
        Chi-square approximation ``m (n - 1) W ~ chi2(n - 1)``.
    """
    from scipy import stats

    m, n = weights.shape
    if m < 2 or n < 2:
        return float("nan"), float("nan")
    ranks = np.vstack([stats.rankdata(-row) for row in weights])
    r = ranks.sum(axis=0)
    s = float(np.sum((r - r.mean()) ** 2))
    ties = 0.0
    for row in ranks:
        _, counts = np.unique(row, return_counts=True)
        ties += float(np.sum(counts**3 - counts))
    den = m**2 * (n**3 - n) - m * ties
    if den <= 0:
        return float("nan"), float("nan")
    w = 12.0 * s / den
    p = float(stats.chi2.sf(m * (n - 1) * w, n - 1))
    return float(w), p


@dataclass(frozen=True, eq=False)
class AHPGroupResult:
    """Group weights with each expert's consistency and the agreement between experts.

    Attributes
    ----------
    weights : pandas.Series
        Group weights by criterion (sum 1).
    cr : float
        CR of the aggregated matrix (``"aij"``); NaN for ``"aip"``, where no group matrix exists.
    lambda_max : float
        lambda_max of the aggregated matrix (NaN for ``"aip"``).
    group : AHPResult or None
        Full result of the aggregated matrix (``"aij"`` only).
    experts : pandas.DataFrame
        One row per expert: ``weight`` (the expert's weight in the aggregation),
        ``lambda_max``, ``cr``, ``is_consistent``, ``gcompi``, ``distance``,
        ``distance_rank`` (1 = furthest from the group), ``n_judgements``, and the expert's
        priority for every criterion (``w_<criterion>``).
    consensus : dict
        ``kendall_w``, ``kendall_p_value``, ``mean_gcompi``, ``max_distance``.
    method : str
        ``"aij"`` or ``"aip"``.
    ri_table : str
        Random-index table used.
    """

    weights: pd.Series
    cr: float
    lambda_max: float
    group: AHPResult | None
    experts: pd.DataFrame
    consensus: dict[str, float]
    method: str
    ri_table: str
    individual: dict[Hashable, AHPResult | None] = field(repr=False, default_factory=dict)

    @property
    def is_consistent(self) -> bool:
        """AIJ: whether the group matrix passes; AIP: whether every expert does."""
        if self.group is not None:
            return self.group.is_consistent
        return bool(self.experts["is_consistent"].fillna(False).astype(bool).all())

    def furthest(self, k: int = 1) -> pd.DataFrame:
        """The ``k`` experts furthest from the group."""
        return self.experts.sort_values("distance_rank").head(k)

    def summary(self) -> pd.DataFrame:
        """Group figures as a one-column table (``value``)."""
        figures: dict[str, Any] = {
            "method": self.method,
            "n_experts": len(self.experts),
            "lambda_max": self.lambda_max,
            "cr": self.cr,
            "ri_table": self.ri_table,
            "is_consistent": self.is_consistent,
            **self.consensus,
        }
        return pd.DataFrame({"value": pd.Series(figures, dtype=object)})

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>AHPGroupResult</b> — {html.escape(self.method.upper())}, {len(self.experts)} experts; "
            f"group CR = {self.cr:.4f} (table {html.escape(self.ri_table)!r}); Kendall's W = "
            f"{self.consensus['kendall_w']:.3f}</p>"
        )
        return "\n".join(
            [
                head,
                self.weights.to_frame().to_html(float_format="%.4f"),
                self.experts.to_html(float_format="%.4f"),
            ]
        )


def _gcompi(a: np.ndarray, w: np.ndarray) -> float:
    n = a.shape[0]
    if n <= 2:
        return 0.0
    iu = np.triu_indices(n, 1)
    e = np.log(a[iu]) + np.log(w[iu[1]]) - np.log(w[iu[0]])
    e = e[~np.isnan(e)]
    if e.size == 0:
        return float("nan")
    total = float(np.mean(e**2)) * len(iu[0])
    return total * 2.0 / ((n - 1) * (n - 2))


def ahp_group(
    matrices: Mapping[Any, Any] | Sequence[Any],  # Any keys: Mapping is invariant in its key type
    method: str = "aij",
    expert_weights: Mapping[Any, float] | Sequence[float] | None = None,
    *,
    priority_method: str = "eigenvector",
    aip_mean: str = "geometric",
    ri_table: str = "saaty",
    threshold: float | str = 0.10,
    completion: str = "lambda_max",
    criteria: Sequence[Hashable] | None = None,
) -> AHPGroupResult:
    """Aggregate several experts' pairwise comparisons (AIJ or AIP).

    Parameters
    ----------
    matrices : mapping or sequence
        Experts' judgement matrices (any input :func:`ahp` accepts), by expert name or in a
        list (named ``expert_1``, ``expert_2``, ...). All must compare the same criteria; an
        expert may leave judgements missing.
    method : {"aij", "aip"}, default "aij"
        Aggregate judgements (weighted geometric mean) or priorities.
    expert_weights : mapping or sequence of float, optional
        Non-negative weight of each expert (default equal); renormalised to sum 1.
    priority_method : str, default "eigenvector"
        Weighting method of :func:`ahp` for each matrix.
    aip_mean : {"geometric", "arithmetic"}, default "geometric"
        Mean of priorities for ``"aip"``.
    ri_table, threshold, completion : optional
        Passed to :func:`ahp`.
    criteria : sequence, optional
        Criterion names (order of the result; labels of unlabelled arrays).

    Returns
    -------
    AHPGroupResult
        Group weights, group CR, per-expert table, consensus measures.

    Raises
    ------
    WeightingError
        Unknown method, bad expert weights, fewer than one expert.
    InconsistentJudgementsError
        Invalid matrices (the expert is named), or criteria that differ between experts.

    Examples
    --------
    >>> g = ahp_group({"A": {("x", "y"): 2}, "B": {("x", "y"): 8}})
    >>> g.weights.round(3).to_dict()
    {'x': 0.8, 'y': 0.2}
    """
    if method not in ("aij", "aip"):
        raise WeightingError(f"method must be 'aij' or 'aip', got {method!r}")
    if aip_mean not in ("geometric", "arithmetic"):
        raise WeightingError(f"aip_mean must be 'geometric' or 'arithmetic', got {aip_mean!r}")
    if isinstance(matrices, Mapping):
        names = list(matrices)
        mats = [matrices[k] for k in names]
    else:
        mats = list(matrices)
        names = [f"expert_{k + 1}" for k in range(len(mats))]
    if not mats:
        raise WeightingError("ahp_group needs at least one expert's judgements")
    m = len(mats)

    if expert_weights is None:
        v = np.full(m, 1.0 / m)
    else:
        if isinstance(expert_weights, Mapping):
            unknown = [k for k in expert_weights if k not in names]
            if unknown:
                raise WeightingError(f"expert_weights name unknown expert(s) {unknown}; experts are {names}")
            v = np.array([float(expert_weights.get(k, 0.0)) for k in names])
        else:
            v = np.asarray(expert_weights, dtype=float)
            if v.shape != (m,):
                raise WeightingError(f"expert_weights has {v.size} value(s) for {m} experts")
        if not np.all(np.isfinite(v)) or (v < 0).any() or v.sum() <= 0:
            raise WeightingError(
                f"expert_weights must be finite, non-negative and not all zero, got {v.tolist()}"
            )
        v = v / v.sum()

    # parse every matrix on a common set of criteria
    labels: list[Hashable] | None = list(criteria) if criteria is not None else None
    if labels is None:
        labels = []
        for mat in mats:
            if isinstance(mat, Mapping):
                for key in mat:
                    for x in key if isinstance(key, tuple) else ():
                        if x not in labels:
                            labels.append(x)
            elif isinstance(mat, pd.DataFrame):
                for x in mat.columns:
                    if x not in labels:
                        labels.append(x)
        if not labels:
            labels = None  # unlabelled arrays: positions
    arrays = []
    for name, mat in zip(names, mats, strict=True):
        try:
            a, lab = judgement_matrix(mat, criteria=labels)
        except InconsistentJudgementsError as exc:
            raise InconsistentJudgementsError(f"expert {name!r}: {exc}", details=exc.details) from None
        if labels is None:
            labels = lab
        arrays.append(a)
    if labels is None:  # not reached: at least one matrix was parsed above
        raise WeightingError("ahp_group needs at least one expert's judgements")
    n = len(labels)
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise InconsistentJudgementsError(f"experts compare different numbers of criteria: {sorted(shapes)}")

    opts: _AHPOptions = {
        "ri_table": ri_table,
        "threshold": threshold,
        "completion": completion,
        "method": priority_method,
    }
    individual: dict[Hashable, AHPResult | None] = {}
    for name, a in zip(names, arrays, strict=True):
        try:
            individual[name] = ahp(a, criteria=labels, **opts)
        except InconsistentJudgementsError:
            individual[name] = None  # e.g. this expert's own comparison graph is not connected

    stack = np.stack(arrays)
    group: AHPResult | None = None
    if method == "aij":
        given = ~np.isnan(stack)
        vw = v[:, None, None] * given
        tot = vw.sum(axis=0)
        logs = np.where(given, np.log(np.where(given, stack, 1.0)), 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            agg = np.exp((vw * logs).sum(axis=0) / tot)
        agg[tot <= 0] = np.nan
        np.fill_diagonal(agg, 1.0)
        group = ahp(agg, criteria=labels, **opts)
        w = group.w
        cr, lam = group.cr, group.lambda_max
    else:
        missing_experts = [k for k, r in individual.items() if r is None]
        if missing_experts:
            raise InconsistentJudgementsError(
                f"AIP needs every expert's own weights, but the comparison graph of {missing_experts} "
                f"is not connected; use method='aij' or add judgements"
            )
        wk = np.vstack([r.w for r in (individual[k] for k in names) if r is not None])
        w = np.exp(v @ np.log(wk)) if aip_mean == "geometric" else v @ wk
        w = w / w.sum()
        cr, lam = float("nan"), float("nan")

    rows = []
    wk_all = []
    for name, a, vk in zip(names, arrays, v, strict=True):
        r = individual[name]
        wk_i = r.w if r is not None else np.full(n, np.nan)
        wk_all.append(wk_i)
        rows.append(
            {
                "expert": name,
                "weight": float(vk),
                "lambda_max": r.lambda_max if r is not None else np.nan,
                "cr": r.cr if r is not None else np.nan,
                "is_consistent": r.is_consistent if r is not None else None,
                "gcompi": _gcompi(a, w),
                "distance": float(np.sqrt(np.sum((wk_i - w) ** 2))),
                "n_judgements": int(np.triu(~np.isnan(a), 1).sum()),
                **{f"w_{c}": float(x) for c, x in zip(labels, wk_i, strict=True)},
            }
        )
    experts = pd.DataFrame(rows).set_index("expert")
    experts.insert(
        experts.columns.get_loc("distance") + 1,
        "distance_rank",
        experts["distance"].rank(ascending=False, method="min", na_option="bottom").astype(int),
    )
    wk_arr = np.vstack(wk_all)
    ok = ~np.isnan(wk_arr).any(axis=1)
    kw, kp = kendall_w(wk_arr[ok]) if ok.sum() >= 2 else (float("nan"), float("nan"))
    consensus = {
        "kendall_w": kw,
        "kendall_p_value": kp,
        "mean_gcompi": float(np.nanmean(experts["gcompi"])) if experts["gcompi"].notna().any() else np.nan,
        "max_distance": float(experts["distance"].max()),
    }
    return AHPGroupResult(
        weights=pd.Series(w, index=label_index(labels), name="weight"),
        cr=float(cr),
        lambda_max=float(lam),
        group=group,
        experts=experts,
        consensus=consensus,
        method=method,
        ri_table=get_ri_table(ri_table).name,
        individual=individual,
    )
