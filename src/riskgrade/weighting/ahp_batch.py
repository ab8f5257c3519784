"""Batched AHP for Monte Carlo: a stack of k n x n matrices in one vectorised pass.

The Perron vectors come from :func:`~riskgrade.weighting.ahp_eigen.perron_batch` (three
squarings, then power iteration with the eighth power, converged matrices dropped from the
work set); the row geometric mean needs one log/exp pass. lambda_max is always the Perron
root, so CR does not depend on the weighting method (as in :func:`~riskgrade.weighting.ahp.ahp`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from riskgrade.exceptions import InconsistentJudgementsError, WeightingError
from riskgrade.weighting.ahp_eigen import perron_batch
from riskgrade.weighting.ri_tables import get_ri_table, random_index

__all__ = ["AHPBatchResult", "ahp_batch"]


class AHPBatchResult(NamedTuple):
    """Weights (k, n), lambda_max (k,) and CR (k,) of a stack of matrices."""

    weights: np.ndarray
    lambda_max: np.ndarray
    cr: np.ndarray


def _check(stack: np.ndarray, reciprocal_tol: float) -> None:
    lo, hi = float(stack.min()), float(stack.max())
    if not (lo > 0 and np.isfinite(hi)):  # NaN propagates into min/max and fails here too
        bad = ~(np.isfinite(stack) & (stack > 0))
        cells = np.argwhere(bad)[:10]
        where = ", ".join(f"matrix {k} cell ({i}, {j}) = {float(stack[k, i, j])!r}" for k, i, j in cells)
        raise InconsistentJudgementsError(
            f"{int(bad.sum())} judgement(s) are not finite positive numbers (missing judgements are "
            f"not supported in batches; complete them with ahp()): {where}"
        )
    prod = stack * np.swapaxes(stack, 1, 2)
    prod -= 1.0
    np.abs(prod, out=prod)
    if prod.max() > reciprocal_tol:
        nonrec = prod > reciprocal_tol
        pairs = [c for c in np.argwhere(nonrec) if c[1] < c[2]][:10]
        where = ", ".join(
            f"matrix {k} cell ({i}, {j}) = {stack[k, i, j]:.6g} vs ({j}, {i}) = {stack[k, j, i]:.6g}"
            for k, i, j in pairs
        )
        raise InconsistentJudgementsError(
            f"{int(nonrec.sum()) // 2} pair(s) are not reciprocal within {reciprocal_tol:g}: {where}"
        )


def ahp_batch(
    stack: np.ndarray,
    *,
    method: str = "eigenvector",
    ri_table: str = "saaty",
    validate: bool = True,
    reciprocal_tol: float = 0.05,
    tol: float = 1e-12,
) -> AHPBatchResult:
    """Weights, lambda_max and CR of a stack of complete judgement matrices.

    Parameters
    ----------
    stack : array-like, shape (k, n, n)
        Positive reciprocal matrices.
    method : {"eigenvector", "geometric_mean", "llsm", "normalized_column"}, default "eigenvector"
        Weighting method (as in :func:`~riskgrade.weighting.ahp.ahp`).
    ri_table : str, default "saaty"
        Random-index table for CR.
    validate : bool, default True
        Check positivity, finiteness and reciprocity (vectorised) and name the first bad
        cells; turn off only for matrices you generated yourself.
    reciprocal_tol : float, default 0.05
        Accepted ``|a_ij a_ji - 1|``.
    tol : float, default 1e-12
        Convergence tolerance of the Perron vectors.

    Returns
    -------
    AHPBatchResult
        ``(weights (k, n), lambda_max (k,), cr (k,))``; unpacks as a tuple.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]])
    >>> w, lam, cr = ahp_batch(np.stack([a, a]))
    >>> np.round(w, 4).tolist()
    [[0.5714, 0.2857, 0.1429], [0.5714, 0.2857, 0.1429]]
    >>> np.round(cr, 12).tolist()
    [0.0, 0.0]
    """
    if method not in ("eigenvector", "geometric_mean", "llsm", "normalized_column"):
        raise WeightingError(f"method {method!r} is not supported by ahp_batch")
    arr = np.asarray(stack, dtype=float)
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2]:
        raise InconsistentJudgementsError(f"stack must have shape (k, n, n), got {arr.shape}")
    n = arr.shape[1]
    ri = random_index(n, get_ri_table(ri_table))
    if validate and arr.size:
        _check(arr, reciprocal_tol)
    w, lam = perron_batch(arr, tol=tol)
    if method in ("geometric_mean", "llsm"):
        g = np.exp(np.log(arr).mean(axis=2))
        w = g / g.sum(axis=1, keepdims=True)
    elif method == "normalized_column":
        c = (arr / arr.sum(axis=1, keepdims=True)).mean(axis=2)
        w = c / c.sum(axis=1, keepdims=True)
    if n <= 2:
        return AHPBatchResult(w, np.full(arr.shape[0], float(n)), np.zeros(arr.shape[0]))
    ci = np.maximum((lam - n) / (n - 1), 0.0)
    return AHPBatchResult(w, lam, ci / ri)
