"""CRITIC weights (CRiteria Importance Through Intercriteria Correlation).

Diakoulaki, Mavrotas & Papayannakis (1995), Comput. Oper. Res. 22(7), 763-770::

    r_ij = (x_ij - min_j) / (max_j - min_j)            (min-max normalisation)
    C_j  = sigma_j * sum_k (1 - rho_jk)                 (information content)
    w_j  = C_j / sum_k C_k

with ``sigma_j`` the standard deviation of the normalised column and ``rho`` the
correlation matrix (Pearson in the original). Both are computed in row blocks (means and
scatter matrices merged with Chan, Golub & LeVeque's pairwise update), so the normalised
matrix is never materialised: a linear normalisation only rescales ``sigma`` and leaves
the correlations unchanged.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from riskgrade.exceptions import DataWarning, WeightingError
from riskgrade.weighting.columns import BLOCK_ELEMENTS, Columns, Problems, direction_signs

__all__ = ["critic_weights"]

R_ONE_TOL = 1e-12  # |1 - r| below this is taken as perfect correlation


def _row_blocks(cols: Columns) -> Any:
    """Yield ``(start, block)`` with ``block`` float64 of shape (n_cols, b), all columns."""
    m, n = cols.n_rows, cols.n_cols
    rows = max(256, BLOCK_ELEMENTS // max(n, 1))
    for start in range(0, m, rows):
        stop = min(start + rows, m)
        if cols.array is not None:
            block = np.empty((n, stop - start))
            np.copyto(block, cols.array[start:stop].T, casting="unsafe")
        else:
            block = np.vstack([cols.read((np.array([j]), start, stop)) for j in range(n)])
        yield start, block


def _moments(cols: Columns, nan_policy: str) -> tuple[np.ndarray, ...]:
    """Count, mean, scatter matrix, min, max, sum of the rows kept (one blocked pass)."""
    n = cols.n_cols
    problems = Problems.empty()
    count = 0.0
    mean = np.zeros(n)
    scatter = np.zeros((n, n))
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    total = np.zeros(n)
    for start, block in _row_blocks(cols):
        finite = np.isfinite(block)
        if not finite.all():
            nan = np.isnan(block)
            for j in range(n):
                for mask, reason in ((np.isinf(block[j]), "infinite"), (nan[j], "NaN")):
                    if reason == "NaN" and nan_policy == "omit":
                        continue
                    if mask.any():
                        idx = np.flatnonzero(mask)
                        problems.add(j, idx + start, block[j, idx].copy(), reason)
            if problems.counts:
                continue
            block = block[:, ~nan.any(axis=0)]  # listwise deletion of rows with NaN
            if block.shape[1] == 0:
                continue
        if problems.counts:
            continue
        b = block.shape[1]
        bmean = block.mean(axis=1)
        centred = block - bmean[:, None]
        bscatter = centred @ centred.T
        delta = bmean - mean
        new = count + b
        scatter += bscatter + np.outer(delta, delta) * (count * b / new)
        mean += delta * (b / new)
        count = new
        np.minimum(lo, block.min(axis=1), out=lo)
        np.maximum(hi, block.max(axis=1), out=hi)
        total += block.sum(axis=1)
    problems.raise_if_any(cols, "critic_weights: X")
    return np.array(count), mean, scatter, lo, hi, total


def critic_weights(
    X: Any,
    *,
    normalization: Literal["minmax", "max", "sum", "none"] = "minmax",
    correlation: Literal["pearson", "spearman"] = "pearson",
    directions: Sequence[Any] | dict[Any, Any] | None = None,
    nan_policy: Literal["raise", "omit"] = "raise",
) -> pd.Series:
    """CRITIC weights of the columns of a decision matrix (Diakoulaki et al. 1995).

    Parameters
    ----------
    X : array-like or pandas.DataFrame, shape (m, n)
        Rows are alternatives (risk points), columns criteria; finite numbers.
    normalization : {"minmax", "max", "sum", "none"}
        Scaling of each column before its standard deviation is taken: ``(x - min) /
        (max - min)`` (default, as in the original), ``x / max``, ``x / sum`` or none. All
        are linear, so correlations are the same for every choice.
    correlation : {"pearson", "spearman"}
        ``"pearson"`` (the original) or ``"spearman"`` (rank correlation, robust to heavy
        tails; it needs a float64 copy of the ranks, the size of ``X``).
    directions : sequence or dict, optional
        ``1``/``"max"`` (benefit, default) or ``-1``/``"min"`` (cost) per column. A cost
        column is reflected (``max - x``), which leaves its standard deviation unchanged and
        flips the sign of its correlations with benefit columns. ``None`` (default) applies
        no reflection, which is what the published worked examples do (Tuş & Adalı 2019
        report weights computed on the unreflected matrix).
    nan_policy : {"raise", "omit"}
        ``"omit"`` drops rows with a missing value (listwise deletion); inf always raises.

    Returns
    -------
    pandas.Series
        Non-negative weights summing to 1, indexed by column (``0 .. n-1`` for arrays).

    Raises
    ------
    WeightingError
        For NaN (unless omitted) or infinite values (naming columns and rows), fewer than
        two rows, or when every column is constant.

    Warns
    -----
    DataWarning
        For a constant column: it gets weight 0 and is left out of the others'
        correlation sums (its correlations are undefined) instead of producing NaN.

    Notes
    -----
    The sample standard deviation (``ddof = 1``) is used; ``ddof`` cancels in the ratio.

    References
    ----------
    Diakoulaki, D., Mavrotas, G. & Papayannakis, L. (1995). Determining objective weights in
    multiple criteria problems: the CRITIC method. Comput. Oper. Res. 22(7), 763-770.

    Examples
    --------
    >>> X = [[5000, 3, 3, 4, 3, 2], [680, 5, 3, 2, 2, 1], [2000, 3, 2, 3, 4, 3],
    ...      [600, 4, 3, 1, 2, 2], [800, 2, 4, 3, 3, 4]]
    >>> critic_weights(X).round(3).tolist()   # Tuş & Adalı (2019), Opsearch 56, Table 4
    [0.157, 0.249, 0.168, 0.121, 0.154, 0.151]
    """
    if normalization not in ("minmax", "max", "sum", "none"):
        raise WeightingError(
            f"normalization must be 'minmax', 'max', 'sum' or 'none', got {normalization!r}"
        )
    if correlation not in ("pearson", "spearman"):
        raise WeightingError(f"correlation must be 'pearson' or 'spearman', got {correlation!r}")
    if nan_policy not in ("raise", "omit"):
        raise WeightingError(f"nan_policy must be 'raise' or 'omit', got {nan_policy!r}")
    cols = Columns(X)
    n = cols.n_cols
    if n == 0:
        raise WeightingError("X has no columns: nothing to weight")
    sign = direction_signs(directions, cols.names)
    count, _mean, scatter, lo, hi, total = _moments(cols, nan_policy)
    m = float(count)
    if m < 2:
        raise WeightingError(f"critic_weights needs at least 2 complete rows, got {int(m)}")
    sd = np.sqrt(np.maximum(np.diag(scatter), 0.0) / (m - 1))
    constant = ~(hi > lo)
    names = cols.names
    sigma, keep = scaled_sigma(sd, lo, hi, total, constant, normalization, names, stacklevel=2)
    if correlation == "pearson":
        sub = scatter[np.ix_(keep, keep)]
        d = np.sqrt(np.diag(sub))
        rho = sub / np.outer(d, d)
    else:
        rho = _spearman(cols, keep, nan_policy)
    rho = np.clip(rho, -1.0, 1.0) * np.outer(sign[keep], sign[keep])
    # r within rounding of 1 is r = 1: otherwise the perfect-correlation error below depends on
    # the last bit of the scatter matrix (it changed under x -> 3.5 x + 10)
    rho[rho > 1.0 - R_ONE_TOL] = 1.0
    np.fill_diagonal(rho, 1.0)
    info = np.zeros(n)
    info[keep] = sigma[keep] * (1.0 - rho).sum(axis=1)
    if len(keep) == 1:  # a single informative criterion: no conflict term, it takes all
        info[keep] = 1.0
    if not info.sum() > 0:
        raise WeightingError(
            "critic_weights: the non-constant columns are perfectly correlated (r = 1): "
            "CRITIC weights are undefined"
        )
    w = info / info.sum()
    return pd.Series(w, index=pd.Index(names), name="weight")


def scaled_sigma(
    sd: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    total: np.ndarray,
    constant: np.ndarray,
    normalization: str,
    names: list[Any],
    *,
    stacklevel: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Standard deviations of the normalised columns and the indices of the informative ones.

    A linear normalisation divides a column by its range (``"minmax"``), its maximum
    (``"max"``), its sum (``"sum"``) or nothing (``"none"``), and so its standard deviation.
    Shared by :func:`critic_weights` and the mergeable statistics of the batch engines
    (:class:`riskgrade.weighting.stats.WeightStats`).

    Parameters
    ----------
    sd : numpy.ndarray
        Standard deviation of each raw column.
    lo, hi, total : numpy.ndarray
        Minimum, maximum and sum of each column.
    constant : numpy.ndarray of bool
        Columns without spread (weight 0).
    normalization : str
        ``"minmax"``, ``"max"``, ``"sum"`` or ``"none"``.
    names : sequence
        Column labels (for the messages).
    stacklevel : int
        The ``stacklevel`` the warning would have if the caller issued it.

    Returns
    -------
    sigma : numpy.ndarray
        Standard deviation of each normalised column (0 for a constant one).
    keep : numpy.ndarray
        Indices of the non-constant columns.

    Raises
    ------
    WeightingError
        For a non-constant column without a positive maximum (``"max"``) or sum (``"sum"``),
        and when every column is constant.

    Warns
    -----
    DataWarning
        For constant columns.
    """
    if normalization == "minmax":
        scale = np.where(constant, 0.0, 1.0 / np.where(constant, 1.0, hi - lo))
    elif normalization == "max":
        bad = [names[j] for j in np.flatnonzero(~(hi > 0) & ~constant)]
        if bad:
            raise WeightingError(f"normalization='max' needs a positive maximum; column(s) {bad}")
        scale = 1.0 / np.where(hi > 0, hi, 1.0)
    elif normalization == "sum":
        bad = [names[j] for j in np.flatnonzero(~(total > 0) & ~constant)]
        if bad:
            raise WeightingError(f"normalization='sum' needs a positive column sum; column(s) {bad}")
        scale = 1.0 / np.where(total > 0, total, 1.0)
    else:
        scale = np.ones(len(sd))
    sigma = np.where(constant, 0.0, sd * scale)
    keep = np.flatnonzero(~constant)
    if constant.any():
        warnings.warn(
            f"critic_weights: column(s) {[names[j] for j in np.flatnonzero(constant)]} are "
            "constant: they carry no information and get weight 0",
            DataWarning,
            stacklevel=stacklevel + 1,
        )
    if len(keep) == 0:
        raise WeightingError("critic_weights: every column is constant; CRITIC weights are undefined")
    return sigma, keep


def _spearman(cols: Columns, keep: np.ndarray, nan_policy: str) -> np.ndarray:
    """Spearman correlation of the kept columns (average ranks for ties)."""
    from scipy.stats import rankdata

    data = np.vstack([cols.read((np.array([j]), 0, cols.n_rows)) for j in keep.tolist()])
    if nan_policy == "omit":
        data = data[:, ~np.isnan(data).any(axis=0)]
    ranks = rankdata(data, axis=1)
    return np.corrcoef(ranks)
