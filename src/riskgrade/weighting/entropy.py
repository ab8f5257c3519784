"""Shannon-entropy weights (the "entropy weight method", 熵权法).

For a decision matrix ``X`` (m rows, n columns of non-negative values) the classic
formulation (Shannon 1948; Zeleny 1982; Hwang & Yoon 1981, section 2.2) is::

    p_ij = x_ij / sum_i x_ij
    E_j  = -(1 / ln m) * sum_i p_ij ln p_ij          (0 ln 0 = 0)
    w_j  = (1 - E_j) / sum_k (1 - E_k)

Writing ``S1 = sum_i x_ij`` and ``S2 = sum_i x_ij ln x_ij``, ``sum_i p_ij ln p_ij =
S2 / S1 - ln S1``, so ``1 - E_j = (S2 / S1 - ln(S1 / m)) / ln m``: the divergence of a
column is its Theil index divided by ``ln m``. The two sums are accumulated in one pass over
the data, in row blocks that stay in cache, in float64, with no per-cell Python code and a
few MiB of extra memory whatever the size of ``X``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from riskgrade.exceptions import DataWarning, WeightingError
from riskgrade.weighting.columns import (
    Columns,
    Problems,
    block_problems,
    direction_signs,
    map_blocks,
    scratch,
)

__all__ = ["EntropyResult", "entropy_details", "entropy_weights"]

_TINY = np.finfo(np.float64).tiny
def _entropy_sums(
    block: np.ndarray, has_nan: bool, store: dict[int, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(sum x, sum x ln x, number of zeros)`` per row of a block of values >= 0 (NaN skipped)."""
    n_nan: Any = 0
    if has_nan:
        nan_mask = np.isnan(block)
        n_nan = nan_mask.sum(axis=1)
        block = np.where(nan_mask, 0.0, block)
    s1 = block.sum(axis=1)
    t = scratch(store, block.shape)
    np.maximum(block, _TINY, out=t)  # 0 -> tiny: ln stays finite and 0 * ln(tiny) = 0
    np.log(t, out=t)
    np.multiply(t, block, out=t)
    s2 = t.sum(axis=1)
    zeros = block.shape[1] - np.count_nonzero(block, axis=1) - n_nan
    return s1, s2, zeros


# --------------------------------------------------------------------------- core
@dataclass(frozen=True)
class EntropyResult:
    """Entropy weights with the figures behind them.

    Attributes
    ----------
    weights : pandas.Series
        Weights indexed by column, non-negative, summing to 1.
    entropy : pandas.Series
        Normalised Shannon entropy ``E_j`` in [0, 1] of each column.
    divergence : pandas.Series
        ``d_j = 1 - E_j``.
    n_rows : pandas.Series
        Rows used per column (fewer than the input with ``nan_policy="omit"``).
    zero_share : pandas.Series
        Share of the used rows whose (normalised) value is 0.
    constant : list
        Columns with no spread (weight 0).
    normalization : str
        The normalisation used.
    """

    weights: pd.Series
    entropy: pd.Series
    divergence: pd.Series
    n_rows: pd.Series
    zero_share: pd.Series
    constant: list[Any]
    normalization: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able figures (for a model card)."""
        return {
            "normalization": self.normalization,
            "entropy": {str(k): float(v) for k, v in self.entropy.items()},
            "divergence": {str(k): float(v) for k, v in self.divergence.items()},
            "zero_share": {str(k): float(v) for k, v in self.zero_share.items()},
            "n_rows": {str(k): int(v) for k, v in self.n_rows.items()},
            "constant": [str(c) for c in self.constant],
        }


def entropy_details(
    X: Any,
    *,
    normalization: Literal["sum", "minmax"] = "sum",
    directions: Sequence[Any] | dict[Any, Any] | None = None,
    nan_policy: Literal["raise", "omit"] = "raise",
    rarity_check: tuple[float, float] | None = (0.5, 0.5),
    n_jobs: int | None = None,
) -> EntropyResult:
    """Entropy weights and the entropy, divergence and zero share of every column.

    Same parameters as :func:`entropy_weights`, which returns ``.weights`` of this.
    """
    if normalization not in ("sum", "minmax"):
        raise WeightingError(f"normalization must be 'sum' or 'minmax', got {normalization!r}")
    if nan_policy not in ("raise", "omit"):
        raise WeightingError(f"nan_policy must be 'raise' or 'omit', got {nan_policy!r}")
    cols = Columns(X)
    n = cols.n_cols
    if n == 0:
        raise WeightingError("X has no columns: nothing to weight")
    if cols.n_rows < 2:
        raise WeightingError(
            f"X has {cols.n_rows} row(s): entropy weights need at least 2 rows (ln m = 0 for m = 1)"
        )
    sign = direction_signs(directions, cols.names)
    omit = nan_policy == "omit"
    one_pass = normalization == "sum"
    floor = 0.0 if one_pass else -np.inf  # min-max accepts any finite value

    def scan(task: tuple[np.ndarray, int, int], block: np.ndarray, store: dict) -> Any:
        cidx, start, _stop = task
        bmin = block.min(axis=1)
        bmax = block.max(axis=1)
        bad = ~(bmin >= floor) | ~(bmax < np.inf) | ~(bmin > -np.inf)  # NaN, inf, negative
        has_nan = False
        if bad.any():
            nan_rows = np.isnan(bmin) | np.isnan(bmax)
            if omit and nan_rows.any():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    bmin = np.fmin.reduce(block, axis=1)
                    bmax = np.fmax.reduce(block, axis=1)
                has_nan = True
                bad = (~(bmin >= floor) | ~(bmax < np.inf) | ~(bmin > -np.inf)) & ~np.isnan(bmin)
            if bad.any() or (not omit and nan_rows.any()):
                found = block_problems(
                    block, cidx, start, allow_nan=omit, allow_negative=not one_pass
                )
                return cidx, None, found
        cnt = block.shape[1] - (np.isnan(block).sum(axis=1) if has_nan else 0)
        sums = _entropy_sums(block, has_nan, store) if one_pass else None
        return cidx, (bmin, bmax, cnt, has_nan), sums

    problems = Problems.empty()
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    count = np.zeros(n)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    zeros = np.zeros(n)
    nan_seen = np.zeros(n, dtype=bool)
    for cidx, stats, extra in map_blocks(cols, scan, n_jobs):
        if stats is None:
            for j, rows, values, reason in extra:
                problems.add(j, rows, values, reason)
            continue
        bmin, bmax, cnt, has_nan = stats
        lo[cidx] = np.fmin(lo[cidx], bmin)
        hi[cidx] = np.fmax(hi[cidx], bmax)
        count[cidx] += cnt
        nan_seen[cidx] |= has_nan
        if extra is not None:
            s1[cidx] += extra[0]
            s2[cidx] += extra[1]
            zeros[cidx] += extra[2]
    problems.raise_if_any(cols, "entropy_weights: X")

    if not one_pass:  # min-max: a second pass over (x - min) or (max - x)
        ref = np.where(sign > 0, lo, hi)

        def shifted_sums(task: tuple[np.ndarray, int, int], block: np.ndarray, store: dict) -> Any:
            cidx = task[0]
            t = np.subtract(block, ref[cidx, None])
            t *= sign[cidx, None]  # exact: x >= min and max >= x give no negative values
            return cidx, _entropy_sums(t, bool(nan_seen[cidx].any()), store)

        for cidx, (a1, a2, az) in map_blocks(cols, shifted_sums, n_jobs):
            s1[cidx] += a1
            s2[cidx] += a2
            zeros[cidx] += az

    result = entropy_from_sums(s1, s2, count, lo, hi, zeros, names=cols.names, normalization=normalization)
    if rarity_check is not None:
        warn_rarity(result, rarity_check)
    return result


def entropy_from_sums(
    s1: np.ndarray,
    s2: np.ndarray,
    count: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    zeros: np.ndarray,
    *,
    names: list[Any],
    normalization: str,
) -> EntropyResult:
    """Entropy weights from the per-column sums ``sum x`` and ``sum x ln x``.

    With ``S1 = sum x``, ``S2 = sum x ln x`` over the ``m`` values of a column, the
    entropy of ``p = x / S1`` is ``1 - d`` with the divergence
    ``d = (S2 / S1 - ln(S1 / m)) / ln m`` (clipped to [0, 1]). Columns without spread
    (``max <= min``, fewer than 2 values, ``S1 <= 0``) get ``d = 0``.

    Shared by :func:`entropy_details` and the mergeable statistics of the batch engines
    (:class:`riskgrade.weighting.stats.WeightStats`), so both finish the same way. The
    warning is issued three frames up: at the call of :func:`entropy_weights` or
    ``WeightStats.finalize``.

    Parameters
    ----------
    s1, s2 : numpy.ndarray
        ``sum x`` and ``sum x ln x`` of each column (``0 ln 0 = 0``).
    count : numpy.ndarray
        Number of values of each column (float or int).
    lo, hi : numpy.ndarray
        Minimum and maximum of each column.
    zeros : numpy.ndarray
        Number of zero values of each column.
    names : sequence
        Column labels.
    normalization : str
        Recorded in the result.

    Returns
    -------
    EntropyResult
        Without the rarity check (the caller applies it).

    Raises
    ------
    WeightingError
        When every column is constant.

    Warns
    -----
    DataWarning
        For columns without spread.
    """
    m = np.asarray(count, dtype=np.float64)
    constant_mask = ~(hi > lo) | (m < 2)  # also all-NaN or single-value columns
    with np.errstate(divide="ignore", invalid="ignore"):
        theil = s2 / s1 - np.log(s1 / m)
        d = np.where(constant_mask | (s1 <= 0), 0.0, np.maximum(theil, 0.0) / np.log(m))
    d = np.minimum(d, 1.0)
    constant = [names[j] for j in np.flatnonzero(constant_mask)]
    if constant:
        warnings.warn(
            f"entropy_weights: column(s) {constant} have no spread (constant, all zero or fewer "
            "than 2 values): they carry no information and get weight 0",
            DataWarning,
            stacklevel=4,
        )
    total = d.sum()
    if not total > 0:
        raise WeightingError(
            "entropy_weights: every column is constant (or has no usable values); "
            "entropy weights are undefined"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        zero_share = np.where(m > 0, zeros / m, 0.0)
    idx = pd.Index(names)
    return EntropyResult(
        weights=pd.Series(d / total, index=idx, name="weight"),
        entropy=pd.Series(1.0 - d, index=idx, name="entropy"),
        divergence=pd.Series(d, index=idx, name="divergence"),
        n_rows=pd.Series(m.astype(np.int64), index=idx, name="n_rows"),
        zero_share=pd.Series(zero_share, index=idx, name="zero_share"),
        constant=constant,
        normalization=normalization,
    )


def warn_rarity(result: EntropyResult, rarity_check: tuple[float, float]) -> None:
    """Warn when a mostly-zero column takes most of the weight (entropy rewards rarity)."""
    min_zero_share, min_weight = rarity_check
    hit = (result.zero_share >= min_zero_share) & (result.weights > min_weight)
    for name in result.weights.index[hit.to_numpy()]:
        warnings.warn(
            f"entropy_weights: column {name!r} is zero in {result.zero_share[name]:.0%} of the rows "
            f"and takes {result.weights[name]:.2f} of the weight: entropy rewards rarity, not "
            "relevance; check the weight against expert judgement (or combine_weights with AHP)",
            DataWarning,
            stacklevel=4,
        )


def entropy_weights(
    X: Any,
    *,
    normalization: Literal["sum", "minmax"] = "sum",
    directions: Sequence[Any] | dict[Any, Any] | None = None,
    nan_policy: Literal["raise", "omit"] = "raise",
    rarity_check: tuple[float, float] | None = (0.5, 0.5),
    n_jobs: int | None = None,
) -> pd.Series:
    """Shannon-entropy weights of the columns of a decision matrix.

    Parameters
    ----------
    X : array-like or pandas.DataFrame, shape (m, n)
        Rows are alternatives (risk points), columns criteria. Values must be finite (and
        non-negative for ``normalization="sum"``). Integer, boolean and nullable columns
        are read block by block without copying the whole input.
    normalization : {"sum", "minmax"}
        ``"sum"`` (default, the classic formulation): ``p_ij = x_ij / sum_i x_ij`` on the raw
        values; one pass over the data. ``directions`` has no effect (entropy measures
        dispersion, not preference: Zavadskas & Podvezko 2016 apply it to the raw values of
        cost and benefit criteria alike). ``"minmax"``: entropy of ``x_ij - min_j`` (benefit)
        or ``max_j - x_ij`` (cost), i.e. of the min-max normalised column, as in much of the
        Chinese 熵权法 literature; two passes. The worst row of each column gets ``p = 0``.
    directions : sequence or dict, optional
        Per column ``1``/``"max"`` (benefit, default) or ``-1``/``"min"`` (cost); a dict maps
        column names to directions. Used by ``"minmax"``.
    nan_policy : {"raise", "omit"}
        ``"raise"``: NaN is an error like inf and negative values. ``"omit"``: each column
        uses its non-missing rows (``m_j`` of them, ``ln m_j`` in the normalisation).
    rarity_check : (float, float) or None
        ``(z, w)``: warn (:class:`~riskgrade.DataWarning`) when a column whose share of zero
        values is at least ``z`` takes more than ``w`` of the weight. Entropy weights reward
        rarity, not relevance: a column that is zero almost everywhere has low entropy and
        takes most of the weight. ``None`` disables the check.
    n_jobs : int, optional
        Threads reading blocks (``None``: 1; ``-1``: all cores). Partial sums are reduced in
        block order, so the result does not depend on ``n_jobs`` or on thread timing.

    Returns
    -------
    pandas.Series
        Non-negative weights summing to 1, indexed by column (``0 .. n-1`` for arrays).

    Raises
    ------
    WeightingError
        For NaN (unless omitted), infinite or negative values, naming every offending
        column with its rows and values (all blocks are checked before raising; the error's
        ``failure_cases`` attribute lists the first ten per column); for fewer than two rows;
        when every column is constant.

    Warns
    -----
    DataWarning
        For a constant (or all-zero) column, which gets weight 0, and for the rarity rule.

    Notes
    -----
    ``0 ln 0 = 0``: zero counts are ordinary values. The divergence ``1 - E_j`` is the Theil
    index of the column over ``ln m``, so weights do not change when a column is multiplied
    by a positive constant. Extra memory is a few MiB (two cache-sized blocks) whatever the
    input size. See ``docs/methodology/weights.md``.

    References
    ----------
    Shannon, C. E. (1948). A mathematical theory of communication. Bell Syst. Tech. J. 27.
    Hwang, C.-L. & Yoon, K. (1981). Multiple Attribute Decision Making. Springer, 2.2.
    Zavadskas, E. K. & Podvezko, V. (2016). Integrated determination of objective criteria
    weights in MCDM. Int. J. Inf. Technol. Decis. Mak. 15(2), 267-283.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]])
    >>> entropy_weights(X).round(4).tolist()   # Xu (2004), EJOR 156, 530-532
    [0.463, 0.3992, 0.1378, 0.0]
    """
    return entropy_details(
        X,
        normalization=normalization,
        directions=directions,
        nan_policy=nan_policy,
        rarity_check=rarity_check,
        n_jobs=n_jobs,
    ).weights
