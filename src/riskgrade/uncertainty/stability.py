"""Stability report: level changes under one-at-a-time weight moves, bootstrap weight intervals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskgrade.exceptions import RiskgradeError
from riskgrade.uncertainty.api import inventory_arrays

__all__ = ["bootstrap_weight_intervals", "weight_sensitivity"]


def _levels(model: Any, inv: pd.DataFrame, F: np.ndarray, w: np.ndarray) -> np.ndarray:
    score = model.score_from_factor_scores(F, w)
    q = model.grader_.quota
    tie_keys = [
        pd.to_numeric(inv[k], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        for k in q.tie_break
        if k in inv.columns
    ]
    group = inv[q.by].to_numpy() if q.by in inv.columns else np.zeros(len(inv), dtype=np.int64)
    ids = inv["risk_point_id"].to_numpy() if "risk_point_id" in inv else np.arange(len(inv))
    return model.grader_.grade_arrays(score, group, ids, tie_keys=tie_keys).level


def weight_sensitivity(model: Any, frame: pd.DataFrame | str | Path, *, step: float = 0.10) -> pd.DataFrame:
    """How many points change level when one weight moves by ``+-step`` (relative).

    Each factor weight in turn is multiplied by ``1 + step`` and ``1 - step``, the
    weights renormalised to sum 1, and the inventory re-graded with the model's
    thresholds and quota (one-at-a-time sensitivity analysis).

    Parameters
    ----------
    model : RiskModel
        Fitted model.
    frame : DataFrame or path
        Inventory.
    step : float, default 0.10
        Relative move of each weight (0.10 = +-10 %).

    Returns
    -------
    pandas.DataFrame
        One row per factor and direction: ``factor``, ``change`` (e.g. ``"+10%"``),
        ``weight_from``, ``weight_to`` (before renormalising the others),
        ``n_changed``, ``n_raised`` (to a more severe level), ``n_lowered``,
        ``share_changed``.
    """
    if not 0 < step < 1:
        raise RiskgradeError(f"step must be in (0, 1), got {step!r}")
    arr = inventory_arrays(model, frame)
    inv, F = arr["inventory"], arr["F"]
    names = list(model.catalog_.names)
    w0 = model.weights_.reindex(names).to_numpy(dtype=float)
    base = _levels(model, inv, F, w0)
    rows = []
    for j, name in enumerate(names):
        for sign in (1.0, -1.0):
            w = w0.copy()
            w[j] *= 1.0 + sign * step
            w /= w.sum()
            lev = _levels(model, inv, F, w)
            rows.append(
                {
                    "factor": name,
                    "change": f"{'+' if sign > 0 else '-'}{step:.0%}",
                    "weight_from": w0[j],
                    "weight_to": w0[j] * (1.0 + sign * step),
                    "n_changed": int((lev != base).sum()),
                    "n_raised": int((lev < base).sum()),
                    "n_lowered": int((lev > base).sum()),
                    "share_changed": float((lev != base).mean()) if len(base) else 0.0,
                }
            )
    return pd.DataFrame(rows)


def bootstrap_weight_intervals(
    X: pd.DataFrame | np.ndarray,
    weight_fn: Callable[[Any], Any],
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Bootstrap percentile intervals of data-driven weights (entropy, CRITIC, ...).

    The rows of ``X`` are resampled with replacement ``n_boot`` times and the weights
    recomputed on each resample (Efron & Tibshirani 1993, ch. 13, percentile
    interval).

    Parameters
    ----------
    X : DataFrame or ndarray of shape (n, m)
        Data the weights are computed from.
    weight_fn : callable
        ``weight_fn(X) -> weights`` (array or Series of length m), e.g.
        ``riskgrade.weighting.entropy_weights``.
    n_boot : int, default 1000
        Bootstrap resamples.
    level : float, default 0.95
        Coverage of the intervals.
    seed : int or Generator, optional
        Seed.

    Returns
    -------
    pandas.DataFrame
        One row per factor: ``estimate`` (on the full data), ``mean``, ``std``,
        ``lower``, ``upper``.
    """
    if not 0 < level < 1:
        raise RiskgradeError(f"level must be in (0, 1), got {level!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = len(X)
    est = np.asarray(weight_fn(X), dtype=float)
    names = list(X.columns) if isinstance(X, pd.DataFrame) else list(range(est.size))
    B = np.empty((int(n_boot), est.size))
    for b in range(int(n_boot)):
        idx = rng.integers(0, n, n)
        Xb = X.iloc[idx].reset_index(drop=True) if isinstance(X, pd.DataFrame) else np.asarray(X)[idx]
        B[b] = np.asarray(weight_fn(Xb), dtype=float)
    alpha = (1.0 - level) / 2.0
    return pd.DataFrame(
        {
            "estimate": est,
            "mean": B.mean(axis=0),
            "std": B.std(axis=0, ddof=1) if n_boot > 1 else np.nan,
            "lower": np.quantile(B, alpha, axis=0),
            "upper": np.quantile(B, 1 - alpha, axis=0),
        },
        index=pd.Index(names, name="factor"),
    )
