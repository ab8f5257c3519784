"""Analytic hierarchy process (AHP): weights and consistency of one judgement matrix.

Formulas (sources in the methodology page ``docs/methodology/ahp.md``):

* weights ``w`` by the principal right eigenvector of A (Saaty 1977, 1980), the row geometric
  mean (= logarithmic least squares for a complete matrix; Crawford & Williams 1985) or the
  mean of the normalised columns (Saaty's additive approximation);
* ``lambda_max`` is always the Perron root of the (completed) matrix, whatever the weighting
  method, so that CI and CR are properties of the judgements;
* ``CI = (lambda_max - n) / (n - 1)``, ``CR = CI / RI(n)`` with RI from a named table
  (:mod:`riskgrade.weighting.ri_tables`); CR = 0 for n <= 2;
* the geometric consistency index ``GCI = 2 / ((n - 1)(n - 2)) * sum_{i<j} ln^2(a_ij w_j / w_i)``
  with the row-geometric-mean weights (Crawford & Williams 1985; Aguarón & Moreno-Jiménez
  2003, thresholds 0.31 for n = 3, 0.35 for n = 4, 0.37 for n > 4).

Revision hints rank the judgements by ``|ln eps_ij|`` with ``eps_ij = a_ij w_j / w_i``
(Saaty 2003, "Decision-making with the AHP: why is the principal eigenvector necessary",
EJOR 145; the same ratio is used by R ahpsurvey), each with the value ``w_i / w_j`` that
agrees with the current weights and the lambda_max / CR obtained if only that judgement is
changed to it.
"""

from __future__ import annotations

import html
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from riskgrade.exceptions import WeightingError
from riskgrade.weighting.ahp_eigen import perron
from riskgrade.weighting.ahp_incomplete import complete_matrix
from riskgrade.weighting.ahp_input import SAATY_SCALE, judgement_matrix
from riskgrade.weighting.ri_tables import get_ri_table, random_index

__all__ = ["AHP_METHODS", "AHPResult", "ahp", "consistency_threshold", "gci_threshold", "priority_vector"]

AHP_METHODS = ("eigenvector", "geometric_mean", "llsm", "normalized_column")
"""Weighting methods accepted by :func:`ahp` (``"llsm"`` is an alias of ``"geometric_mean"``)."""


def consistency_threshold(n: int, threshold: float | str = 0.10) -> float:
    """The CR threshold in force for an n x n matrix.

    Parameters
    ----------
    n : int
        Matrix size.
    threshold : float or "saaty_n", default 0.10
        A number, or ``"saaty_n"`` for Saaty's size-dependent thresholds 0.05 (n = 3),
        0.08 (n = 4) and 0.10 (n >= 5) (Saaty 1994, Fundamentals of Decision Making,
        p. 84; Saaty 2003, EJOR 145, 85-91).

    Returns
    -------
    float
        The threshold.
    """
    if isinstance(threshold, str):
        if threshold != "saaty_n":
            raise WeightingError(f"threshold must be a number or 'saaty_n', got {threshold!r}")
        return 0.05 if n == 3 else 0.08 if n == 4 else 0.10
    t = float(threshold)
    if not (np.isfinite(t) and t > 0):
        raise WeightingError(f"threshold must be a positive number, got {threshold!r}")
    return t


def gci_threshold(n: int) -> float:
    """Aguarón & Moreno-Jiménez (2003) GCI thresholds: 0.31 (n = 3), 0.35 (n = 4), 0.37 (n > 4)."""
    return 0.31 if n == 3 else 0.35 if n == 4 else 0.37


def priority_vector(a: np.ndarray, method: str = "eigenvector") -> tuple[np.ndarray, float]:
    """Weights of a complete positive reciprocal matrix and its Perron root.

    Parameters
    ----------
    a : numpy.ndarray
        n x n complete positive reciprocal matrix.
    method : str, default "eigenvector"
        One of :data:`AHP_METHODS`.

    Returns
    -------
    w : numpy.ndarray
        Weights summing to 1.
    lambda_max : float
        Principal eigenvalue of ``a``.
    """
    w_eig, lam = perron(a)
    if method == "eigenvector":
        return w_eig, lam
    if method in ("geometric_mean", "llsm"):
        g = np.exp(np.log(a).mean(axis=1))
        return g / g.sum(), lam
    if method == "normalized_column":
        w = (a / a.sum(axis=0)).mean(axis=1)
        return w / w.sum(), lam
    raise WeightingError(f"method must be one of {', '.join(AHP_METHODS)}; got {method!r}")


def label_index(labels: Sequence[Hashable]) -> pd.Index:
    """Index of criterion labels: a RangeIndex for 0..n-1, else an object Index.

    An object index is several times cheaper to build than an Arrow string index, which
    matters for per-call speed.
    """
    labels = tuple(labels)
    if labels == tuple(range(len(labels))):
        return pd.RangeIndex(len(labels))
    return pd.Index(labels, dtype=object)


def _gci(a: np.ndarray) -> float:
    n = a.shape[0]
    if n <= 2:
        return 0.0
    la = np.log(a)
    y = la.mean(axis=1)
    e = la - y[:, None] + y[None, :]
    # e is antisymmetric, so the sum over i < j is half the sum over all cells
    return float(np.square(e).sum() / ((n - 1) * (n - 2)))


@dataclass(frozen=True, eq=False)
class AHPResult:
    """Weights and consistency figures of one AHP judgement matrix.

    Attributes
    ----------
    weights : pandas.Series
        Weights indexed by criterion, summing to 1.
    lambda_max : float
        Perron root of the (completed) matrix.
    ci : float
        Consistency index ``(lambda_max - n) / (n - 1)`` (0 for n = 1).
    cr : float
        Consistency ratio ``ci / ri`` (0 for n <= 2).
    ri : float
        Random index used.
    ri_table : str
        Name of the random-index table used.
    threshold : float
        CR threshold in force.
    is_consistent : bool
        ``cr <= threshold``.
    gci : float
        Geometric consistency index (row-geometric-mean weights).
    matrix : pandas.DataFrame
        The judgement matrix used (exactly reciprocal; missing judgements completed).
    method : str
        Weighting method.
    completion : str or None
        Completion used for missing judgements (None if the matrix was complete).
    imputed : pandas.DataFrame
        Completed cells (``row``, ``column``, ``value``), one per missing pair.
    """

    labels: tuple[Hashable, ...]
    w: np.ndarray = field(repr=False)
    a: np.ndarray = field(repr=False)
    missing: np.ndarray | None = field(repr=False)
    lambda_max: float
    ci: float
    cr: float
    ri: float
    ri_table: str
    threshold: float
    method: str
    completion: str | None

    @cached_property
    def gci(self) -> float:
        """Geometric consistency index of the (completed) matrix (row-geometric-mean weights)."""
        return _gci(self.a)

    @property
    def n(self) -> int:
        """Number of criteria."""
        return len(self.labels)

    @property
    def is_consistent(self) -> bool:
        """Whether ``cr`` is within ``threshold``."""
        return bool(self.cr <= self.threshold)

    @cached_property
    def _index(self) -> pd.Index:
        return label_index(self.labels)

    @cached_property
    def weights(self) -> pd.Series:
        """Weights indexed by criterion (summing to 1)."""
        return pd.Series(self.w, index=self._index, name="weight", copy=False)

    @cached_property
    def matrix(self) -> pd.DataFrame:
        """The (completed) judgement matrix as a labelled DataFrame."""
        return pd.DataFrame(self.a, index=self._index, columns=self._index)

    @property
    def n_missing(self) -> int:
        """Number of missing pairs (i < j) that were completed."""
        return 0 if self.missing is None else int(np.triu(self.missing, 1).sum())

    @property
    def imputed(self) -> pd.DataFrame:
        """Completed cells: one row per missing pair with the value filled in."""
        rows = []
        if self.missing is not None:
            for i, j in zip(*np.nonzero(np.triu(self.missing, 1)), strict=True):
                rows.append({"row": self.labels[i], "column": self.labels[j], "value": float(self.a[i, j])})
        return pd.DataFrame(rows, columns=["row", "column", "value"])

    def revision_hints(self, top: int | None = None) -> pd.DataFrame:
        """Judgements ranked by how much they disagree with the current weights.

        Parameters
        ----------
        top : int, optional
            Keep only the first ``top`` rows.

        Returns
        -------
        pandas.DataFrame
            One row per given judgement (i < j), most inconsistent first, with ``row``,
            ``column``, ``judgement`` (a_ij), ``consistent_value`` (w_i / w_j),
            ``suggested`` (nearest value of Saaty's scale), ``epsilon`` (a_ij w_j / w_i),
            ``abs_log_error`` (``|ln epsilon|``), ``share`` (share of the sum of squared log
            errors), ``lambda_max_if_revised`` and ``cr_if_revised`` (lambda_max and CR when
            only this judgement is set to ``consistent_value``).
        """
        n = self.n
        a, w = self.a, self.w
        iu = np.triu_indices(n, 1)
        keep = np.ones(len(iu[0]), dtype=bool)
        if self.missing is not None:
            keep = ~self.missing[iu]
        ii, jj = iu[0][keep], iu[1][keep]
        judg = a[ii, jj]
        cons = w[ii] / w[jj]
        eps = judg / cons
        le = np.abs(np.log(eps))
        sq = le**2
        share = sq / sq.sum() if sq.sum() > 0 else np.zeros_like(sq)
        lam_rev = np.empty(len(ii))
        for k, (i, j) in enumerate(zip(ii, jj, strict=True)):
            b = a.copy()
            b[i, j], b[j, i] = cons[k], 1.0 / cons[k]
            lam_rev[k] = perron(b)[1]
        ci_rev = (lam_rev - n) / (n - 1) if n > 1 else np.zeros_like(lam_rev)
        cr_rev = ci_rev / self.ri if self.ri > 0 else np.zeros_like(lam_rev)
        logs = np.log(SAATY_SCALE)
        suggested = SAATY_SCALE[np.argmin(np.abs(np.log(cons)[:, None] - logs[None, :]), axis=1)]
        out = pd.DataFrame(
            {
                "row": [self.labels[i] for i in ii],
                "column": [self.labels[j] for j in jj],
                "judgement": judg,
                "consistent_value": cons,
                "suggested": suggested,
                "epsilon": eps,
                "abs_log_error": le,
                "share": share,
                "lambda_max_if_revised": lam_rev,
                "cr_if_revised": np.maximum(cr_rev, 0.0),
            }
        )
        out = out.sort_values("abs_log_error", ascending=False, kind="stable").reset_index(drop=True)
        return out.head(top) if top is not None else out

    def summary(self) -> pd.DataFrame:
        """Consistency figures as a one-column table (``value``), one row per figure."""
        figures: dict[str, Any] = {
            "n": self.n,
            "method": self.method,
            "lambda_max": self.lambda_max,
            "ci": self.ci,
            "ri": self.ri,
            "ri_table": self.ri_table,
            "cr": self.cr,
            "threshold": self.threshold,
            "is_consistent": self.is_consistent,
            "gci": self.gci,
            "gci_threshold": gci_threshold(self.n) if self.n >= 3 else np.nan,
            "n_missing": self.n_missing,
            "completion": self.completion,
        }
        return pd.DataFrame({"value": pd.Series(figures, dtype=object)})

    def to_frame(self) -> pd.DataFrame:
        """Weights with their rank (1 = largest), one row per criterion."""
        w = self.weights
        return pd.DataFrame({"weight": w, "rank": w.rank(ascending=False, method="min").astype(int)})

    def _repr_html_(self) -> str:
        verdict = "consistent" if self.is_consistent else "<b>inconsistent</b>"
        head = (
            f"<p><b>AHPResult</b> — n = {self.n}, method {html.escape(self.method)}; "
            f"λmax = {self.lambda_max:.4f}, CI = {self.ci:.4f}, CR = {self.cr:.4f} "
            f"(RI {self.ri:.4g} from table {html.escape(self.ri_table)!r}, threshold "
            f"{self.threshold:g}): {verdict}</p>"
        )
        parts = [head, self.to_frame().to_html(float_format="%.4f")]
        if not self.is_consistent and self.n >= 3:
            parts += ["<h4>Revision hints</h4>", self.revision_hints(top=5).to_html(index=False)]
        return "\n".join(parts)

    def __repr__(self) -> str:
        w = ", ".join(f"{k}={v:.4f}" for k, v in zip(self.labels, self.w, strict=True))
        return (
            f"AHPResult(n={self.n}, method={self.method!r}, lambda_max={self.lambda_max:.4f}, "
            f"cr={self.cr:.4f}, ri_table={self.ri_table!r}, is_consistent={self.is_consistent}, "
            f"weights=[{w}])"
        )


def ahp(
    matrix: Any,
    *,
    method: str = "eigenvector",
    ri_table: str = "saaty",
    criteria: Sequence[Hashable] | None = None,
    threshold: float | str = 0.10,
    completion: str = "lambda_max",
    reciprocal_tol: float = 0.05,
) -> AHPResult:
    """Weights and consistency of a pairwise-comparison (judgement) matrix.

    Parameters
    ----------
    matrix : array-like, pandas.DataFrame or dict
        n x n judgement matrix (``a_ij`` = importance of i over j; NaN = missing), a
        DataFrame labelled by criterion, or a dict ``{(a, b): a_ab}`` of judgements
        (reciprocals filled in; pairs not given are missing).
    method : {"eigenvector", "geometric_mean", "llsm", "normalized_column"}, default "eigenvector"
        Weighting method: Saaty's principal eigenvector, the row geometric mean (logarithmic
        least squares; ``"llsm"`` is the same), or the mean of the normalised columns.
    ri_table : str, default "saaty"
        Random-index table (see :func:`~riskgrade.weighting.ri_tables.available_ri_tables`).
    criteria : sequence, optional
        Criterion names (labels of an array; order of a DataFrame or dict).
    threshold : float or "saaty_n", default 0.10
        CR threshold; ``"saaty_n"`` uses 0.05 / 0.08 / 0.10 for n = 3 / 4 / >= 5.
    completion : {"lambda_max", "llsm"}, default "lambda_max"
        How missing judgements are completed (Bozóki, Fülöp & Rónyai 2010).
    reciprocal_tol : float, default 0.05
        Accepted relative deviation ``|a_ij a_ji - 1|`` of a full matrix.

    Returns
    -------
    AHPResult
        Weights, lambda_max, CI, CR, RI and the table used, revision hints.

    Raises
    ------
    InconsistentJudgementsError
        If the matrix is invalid (every problem listed, with the cell) or its comparison
        graph is not connected.
    WeightingError
        If the method or RI table is unknown, or the table does not cover n.

    Examples
    --------
    >>> r = ahp({("funds_handled", "discretion"): 3, ("funds_handled", "cases"): 5,
    ...          ("discretion", "cases"): 2})
    >>> r.weights.round(3).to_dict()
    {'funds_handled': 0.648, 'discretion': 0.23, 'cases': 0.122}
    >>> round(r.cr, 4), r.ri_table, r.is_consistent
    (0.0032, 'saaty', True)
    """
    if method not in AHP_METHODS:
        raise WeightingError(f"method must be one of {', '.join(AHP_METHODS)}; got {method!r}")
    table = get_ri_table(ri_table)
    a, labels = judgement_matrix(matrix, criteria=criteria, reciprocal_tol=reciprocal_tol)
    n = a.shape[0]
    ri = random_index(n, table)
    thr = consistency_threshold(n, threshold)
    missing_mask = np.isnan(a)
    missing: np.ndarray | None = None
    used_completion: str | None = None
    if missing_mask.any():
        missing = missing_mask
        used_completion = completion
        a = complete_matrix(a, labels, completion=completion)
    w, lam = priority_vector(a, method)
    if n <= 2:
        lam_c, ci, cr = float(n), 0.0, 0.0
    else:
        lam_c = lam
        ci = max((lam - n) / (n - 1), 0.0)
        cr = ci / ri
    return AHPResult(
        labels=tuple(labels),
        w=w,
        a=a,
        missing=missing,
        lambda_max=float(lam_c),
        ci=float(ci),
        cr=float(cr),
        ri=float(ri),
        ri_table=table.name,
        threshold=thr,
        method=method,
        completion=used_completion,
    )
