r"""Weighted index scores from factor scores.

The index of risk point ``i`` is the weighted mean of its factor scores over the
factors present in its row:

.. math::

    s_i = \\frac{\\sum_j w_j f_{ij} [f_{ij} \\text{ present}]}
               {\\sum_j w_j [f_{ij} \\text{ present}]}           \\qquad (1)

so a factor left out for a row (missing value with policy ``"exclude"``) takes no
weight and the remaining weights renormalise. With every factor present the
denominator is 1 and (1) is the plain weighted sum. Contribution
``c_ij = w_j f_ij / Σ_k w_k [f_ik present]`` sums to ``s_i`` over ``j``.

Numerics are pinned so that every engine computes the same bits: the sums in (1)
run over the factors in catalog order, one column at a time, in float64, and the
score is then rounded to ``decimals`` (default 12) decimal places before ranking.
"""

from __future__ import annotations

import numpy as np

__all__ = ["index_contributions", "index_score", "weighted_sums"]


def index_score(
    factor_scores: np.ndarray, weights: np.ndarray, *, decimals: int | None = 12
) -> np.ndarray:
    """Weighted index (1) of a factor-score matrix.

    Parameters
    ----------
    factor_scores : ndarray of shape (n, m)
        Factor scores; NaN marks a factor left out for that row.
    weights : ndarray of shape (m,)
        Non-negative weights (need not sum to 1: (1) renormalises).
    decimals : int or None
        Round the score to this many decimals (``None``: no rounding).

    Returns
    -------
    ndarray of shape (n,)
        Scores; NaN where every factor of a row is missing.

    Examples
    --------
    >>> index_score(np.array([[1.0, 0.0], [0.5, np.nan]]), np.array([0.25, 0.75])).tolist()
    [0.25, 0.5]
    """
    num, den = weighted_sums(np.asarray(factor_scores, dtype=float), np.asarray(weights, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        s = num / den
    s[den <= 0] = np.nan
    return np.round(s, decimals) if decimals is not None else s


def weighted_sums(F: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sums of weight x factor score and of the weights of the present (non-NaN) factors, per row."""
    n, m = F.shape
    num = np.zeros(n)
    den = np.zeros(n)
    for j in range(m):  # fixed column order: (1) summed identically in every engine
        col = F[:, j]
        present = ~np.isnan(col)
        num += np.where(present, col, 0.0) * w[j]
        den += present * w[j]
    return num, den


def index_contributions(factor_scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Contributions ``c_ij`` of each factor to the index (NaN-free, 0 when absent)."""
    F = np.asarray(factor_scores, dtype=float)
    w = np.asarray(weights, dtype=float)
    _, den = weighted_sums(F, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(np.isnan(F), 0.0, F) * w[None, :] / den[:, None]
    c[den <= 0] = np.nan
    return c
