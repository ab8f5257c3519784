r"""Do the levels separate outcomes? Event rates per level, intervals and a trend test.

A level one should mean a measurably higher chance of misconduct than a level two, and
a level two than a level three. :func:`validate_levels` reports, for historical levels
and the outcomes that followed:

- the event rate of each level with a Wilson (1927) score interval (Newcombe 1998,
  method 3), which stays inside [0, 1] and keeps its coverage at rates of a few percent;
- the Cochran–Armitage test for a trend in proportions across the ordered levels
  (Cochran 1954; Armitage 1955; Agresti 2002, sec. 5.3.5), two-sided;
- whether ``rate(L1) > rate(L2) > rate(L3)`` holds for the point estimates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["LevelValidation", "cochran_armitage", "validate_levels", "wilson_interval"]


def wilson_interval(
    events: np.ndarray | int, n: np.ndarray | int, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    r"""Wilson score interval for a proportion (Wilson 1927).

    ``(2 r + z^2 ± z sqrt(z^2 + 4 r (1 - r/n))) / (2 (n + z^2))`` with ``r`` events
    of ``n`` and ``z`` the normal quantile of ``(1 + confidence) / 2``.

    Examples
    --------
    >>> lo, hi = wilson_interval(81, 263)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.2553, 0.3662)
    """
    r = np.asarray(events, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf((1 + confidence) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        root = z * np.sqrt(z * z + 4 * r * (1 - r / n))
        lo = (2 * r + z * z - root) / (2 * (n + z * z))
        hi = (2 * r + z * z + root) / (2 * (n + z * z))
    lo = np.where(r == 0, 0.0, lo)
    hi = np.where(r == n, 1.0, hi)
    return lo, hi


def cochran_armitage(
    events: np.ndarray, totals: np.ndarray, scores: np.ndarray | None = None
) -> dict[str, float]:
    r"""Cochran–Armitage test for a linear trend in proportions (two-sided).

    With groups ``i`` of ``n_i`` rows, ``r_i`` events, scores ``x_i``, ``N = sum n_i``
    and ``p = sum r_i / N``:

    ``z = sum r_i (x_i - xbar) / sqrt(p (1 - p) sum n_i (x_i - xbar)^2)``,

    ``xbar = sum n_i x_i / N``; ``z^2`` is chi-square with one degree of freedom
    under no trend (Agresti 2002, eq. 5.16). ``z > 0`` means the event rate rises
    with the score.

    Returns
    -------
    dict
        ``z``, ``chi2`` (``z^2``), ``p_value`` (two-sided).
    """
    r = np.asarray(events, dtype=float)
    n = np.asarray(totals, dtype=float)
    x = np.arange(len(r), dtype=float) if scores is None else np.asarray(scores, dtype=float)
    N = n.sum()
    p = r.sum() / N
    xbar = np.sum(n * x) / N
    den = np.sqrt(p * (1 - p) * np.sum(n * (x - xbar) ** 2))
    z = float(np.sum(r * (x - xbar)) / den) if den > 0 else float("nan")
    return {"z": z, "chi2": z * z, "p_value": float(2 * stats.norm.sf(abs(z)))}


@dataclass(frozen=True)
class LevelValidation:
    """Outcome rates per level and the trend test.

    Attributes
    ----------
    table : pandas.DataFrame
        Per level: n, events, event_rate, ci_low, ci_high.
    trend_z, trend_p_value : float
        Cochran–Armitage z (positive = higher level number, lower rate... see
        ``validate_levels``) and two-sided p-value.
    monotonic : bool
        Whether ``rate(L1) > rate(L2) > rate(L3)`` (over the levels present).
    """

    table: pd.DataFrame
    trend_z: float
    trend_p_value: float
    monotonic: bool
    confidence: float = 0.95
    details: dict[str, Any] = field(default_factory=dict)

    def _repr_html_(self) -> str:
        head = (
            f"<p>Cochran–Armitage trend z = {self.trend_z:.3f}, two-sided p = {self.trend_p_value:.4g}; "
            f"rate(L1) &gt; rate(L2) &gt; rate(L3): <b>{'yes' if self.monotonic else 'no'}</b></p>"
        )
        return head + self.table.to_html(float_format=lambda v: f"{v:.4f}")

    def __str__(self) -> str:
        return (
            self.table.to_string(float_format=lambda v: f"{v:.4f}")
            + f"\ntrend z = {self.trend_z:.3f}, p = {self.trend_p_value:.4g}, monotonic = {self.monotonic}"
        )


def validate_levels(levels: Any, outcomes: Any, *, confidence: float = 0.95) -> LevelValidation:
    """Event rate per level with Wilson intervals, trend test and monotonicity.

    Parameters
    ----------
    levels : array-like of int
        Levels 1 (highest risk), 2, 3 (other positive integers allowed, ordered).
    outcomes : array-like of 0/1
        The outcome that followed each graded point.
    confidence : float
        Level of the Wilson intervals.

    Returns
    -------
    LevelValidation
        The trend z is computed with the level number as score and its sign flipped,
        so ``trend_z > 0`` means rates fall from level 1 to level 3 (as they should).

    Examples
    --------
    >>> v = validate_levels([1, 1, 2, 2, 2, 3, 3, 3, 3, 3], [1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    >>> v.table["event_rate"].round(3).tolist(), v.monotonic
    ([0.5, 0.333, 0.0], True)
    """
    lev = np.asarray(levels).ravel()
    y = np.asarray(outcomes, dtype=float).ravel()
    if lev.shape != y.shape:
        raise ValueError(f"levels has {lev.size} values, outcomes has {y.size}")
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        raise ValueError(f"outcomes must be 0/1, got {np.unique(y[bad])[:5].tolist()}")
    lev = lev.astype(np.int64)
    ls = np.unique(lev)
    n = np.array([(lev == v).sum() for v in ls], dtype=float)
    r = np.array([y[lev == v].sum() for v in ls], dtype=float)
    lo, hi = wilson_interval(r, n, confidence=confidence)
    table = pd.DataFrame(
        {
            "level": ls,
            "n": n.astype(np.int64),
            "events": r.astype(np.int64),
            "event_rate": r / n,
            "ci_low": lo,
            "ci_high": hi,
        }
    ).set_index("level")
    ca = cochran_armitage(r, n, -ls.astype(float))
    rates = r / n
    mono = bool(len(rates) >= 2 and np.all(np.diff(rates) < 0))
    return LevelValidation(
        table=table,
        trend_z=ca["z"],
        trend_p_value=ca["p_value"],
        monotonic=mono,
        confidence=confidence,
    )
