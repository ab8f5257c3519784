"""``level_probabilities``: how sure is each level under weight uncertainty (SMAA)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskgrade.exceptions import NotFittedError, RiskgradeError
from riskgrade.uncertainty.core import quota_level_probabilities
from riskgrade.uncertainty.samplers import Dirichlet, FixedDraws, UniformSimplex, WeightSampler

__all__ = ["inventory_arrays", "level_probabilities", "resolve_sampler"]


def resolve_sampler(
    weights: str | WeightSampler | np.ndarray, center: np.ndarray, concentration: float
) -> WeightSampler:
    """Turn the ``weights`` argument of :func:`level_probabilities` into a sampler.

    Parameters
    ----------
    weights : {"dirichlet", "uniform"}, WeightSampler or ndarray of shape (D, m)
        A named distribution, a sampler, or ready-made draws.
    center : ndarray of shape (m,)
        The model's weights (centre of ``"dirichlet"``).
    concentration : float
        Concentration of ``"dirichlet"``.

    Returns
    -------
    WeightSampler
    """
    if isinstance(weights, WeightSampler):
        return weights
    if isinstance(weights, str):
        if weights == "dirichlet":
            return Dirichlet(center, concentration)
        if weights == "uniform":
            return UniformSimplex()
        raise RiskgradeError(
            f"weights must be 'dirichlet', 'uniform', a WeightSampler or draws, got {weights!r}"
        )
    draws = np.asarray(weights, dtype=float)
    if draws.ndim != 2 or draws.shape[1] != center.size:
        raise RiskgradeError(f"weight draws must have shape (n_draws, {center.size}), got {draws.shape}")
    return FixedDraws(draws)


def inventory_arrays(model: Any, frame: pd.DataFrame | str | Path) -> dict[str, Any]:
    """Arrays the engine needs from a fitted model and an inventory.

    Parameters
    ----------
    model : RiskModel
        Fitted model.
    frame : DataFrame or path
        Inventory.

    Returns
    -------
    dict
        ``inventory`` (DataFrame), ``F`` (n, m, NaN = excluded), ``unit_codes``,
        ``caps`` (per unit), ``t1``, ``t2``, ``decimals``, ``group_by``.
    """
    if not getattr(model, "is_fitted", False):
        raise NotFittedError("fit the RiskModel before level_probabilities()")
    if isinstance(frame, pd.DataFrame):
        inv = frame
    else:
        from riskgrade.io import read_inventory

        inv = read_inventory(frame, model.config)
    F = model.factor_scores(inv).to_numpy(dtype=float, na_value=np.nan)
    grader = model.grader_
    th, q = grader.thresholds, grader.quota
    if getattr(th, "basis", "score") != "score":
        raise RiskgradeError(
            "level_probabilities re-scores with sampled weights and needs thresholds on the score "
            f"(thresholds.basis is {th.basis!r})"
        )
    n = len(inv)
    groups = inv[q.by].to_numpy() if q.by in inv.columns else np.zeros(n, dtype=np.int64)
    _, codes = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    codes = codes.astype(np.int64).ravel()
    n_u = np.bincount(codes, minlength=int(codes.max()) + 1 if n else 0).astype(np.int64)
    if q.enabled:
        caps = np.asarray(q.cap(n_u), dtype=np.int64)
        allowance = int(getattr(q, "small_unit_allowance", 0))
        if allowance:
            small = caps == 0
            caps[small] = np.minimum(allowance, n_u[small])
    else:
        caps = n_u.copy()
    return {
        "inventory": inv,
        "F": F,
        "unit_codes": codes,
        "caps": caps,
        "t1": float(th.level_1),
        "t2": float(th.level_2),
        "decimals": getattr(model.config, "score_decimals", 12),
        "group_by": q.by,
    }


def _progress_callable(
    progress: bool | Callable[[int, int], None] | None,
) -> Callable[[int, int], None] | None:
    if progress is None or progress is False:
        return None
    if callable(progress):
        return progress
    try:
        from tqdm import tqdm
    except ImportError:
        state = {"last": -1}

        def report(done: int, total: int) -> None:
            pct = int(100 * done / total)
            if pct // 10 != state["last"] // 10 or done == total:
                state["last"] = pct
                print(
                    f"\rweight draws: {done}/{total} ({pct}%)",
                    end="" if done < total else "\n",
                    file=sys.stderr,
                    flush=True,
                )

        return report
    bar = tqdm(total=None, unit="draw", desc="weight draws")

    def report_tqdm(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return report_tqdm


def levels_frame(
    arr: dict[str, Any],
    res: Any,
    draws: np.ndarray,
    sampler: WeightSampler,
    seed: int | np.random.Generator | None,
    names: list[str],
    uncertain_below: float,
) -> pd.DataFrame:
    """The output frame of :func:`level_probabilities` from the engine's result."""
    inv = arr["inventory"]
    P = res.p_level
    modal = np.argmax(P, axis=1) + 1  # first maximum = the more severe level
    mx = P.max(axis=1)
    by = arr["group_by"]
    out = pd.DataFrame(
        {
            "risk_point_id": inv["risk_point_id"].to_numpy()
            if "risk_point_id" in inv
            else np.arange(len(inv)),
            by: inv[by].to_numpy() if by in inv.columns else np.zeros(len(inv), dtype=np.int64),
            "p_level_1": P[:, 0],
            "p_level_2": P[:, 1],
            "p_level_3": P[:, 2],
            "modal_level": modal.astype(np.int64),
            "max_probability": mx,
            "uncertain": mx < uncertain_below,
            "p_candidate": res.p_candidate,
            "p_quota_demoted": np.clip(res.p_candidate - P[:, 0], 0.0, 1.0),
        }
    )
    out.attrs = {
        "n_draws": int(draws.shape[0]),
        "sampler": repr(sampler),
        "seed": None if isinstance(seed, np.random.Generator) else seed,
        "max_standard_error": float(0.5 / np.sqrt(draws.shape[0])),
        "factors": names,
    }
    return out


def level_probabilities(
    model: Any,
    frame: pd.DataFrame | str | Path,
    *,
    weights: str | WeightSampler | np.ndarray = "dirichlet",
    n_draws: int = 10_000,
    seed: int | np.random.Generator | None = None,
    concentration: float = 50.0,
    uncertain_below: float = 0.8,
    progress: bool | Callable[[int, int], None] | None = None,
    n_threads: int | None = None,
) -> pd.DataFrame:
    """Probability of each level for every risk point under uncertain weights (SMAA).

    Every draw re-weights, re-scores and re-applies the per-unit quota; tied points
    at the cut-off share the free level-one places, so in every unit the expected
    number of level-one points equals ``E[min(cap, candidates)]`` exactly and never
    exceeds the cap. The probabilities are SMAA acceptability indices (Lahdelma &
    Salminen 2001) for ordered classes (Tervonen et al. 2009), each with Monte Carlo
    standard error at most ``1 / (2 sqrt(n_draws))`` (0.005 for 10,000 draws).

    Parameters
    ----------
    model : RiskModel
        Fitted model (weights, thresholds on the score, quota).
    frame : DataFrame or path
        Inventory (validated like :meth:`RiskModel.grade`).
    weights : {"dirichlet", "uniform"}, WeightSampler or ndarray, default "dirichlet"
        Weight distribution: Dirichlet centred on the model's weights with
        ``concentration``; uniform on the simplex (no preference information); any
        sampler of :mod:`riskgrade.uncertainty.samplers` (ordinal, bounds, AHP
        experts, bootstrap); or an array of draws (D, m) in catalog order.
    n_draws : int, default 10000
        Number of weight draws (ignored when ``weights`` is an array).
    seed : int or numpy.random.Generator, optional
        Seed; the same seed gives the same output.
    concentration : float, default 50
        Concentration of the ``"dirichlet"`` distribution.
    uncertain_below : float, default 0.8
        A point is flagged ``uncertain`` when its largest level probability is below this.
    progress : bool or callable, optional
        ``True``: a progress bar (tqdm when installed, else a line on stderr); a
        callable is called as ``progress(draws_done, n_draws)``.
    n_threads : int, optional
        Worker threads (default 2); results do not depend on it.

    Returns
    -------
    pandas.DataFrame
        One row per risk point, input order: ``risk_point_id``, the quota group
        column, ``p_level_1``, ``p_level_2``, ``p_level_3``, ``modal_level`` (the
        most probable; the more severe level on a tie), ``max_probability``,
        ``uncertain``, ``p_candidate`` (probability of a score at or above the
        level-one threshold before the quota) and ``p_quota_demoted``
        (``p_candidate - p_level_1``). ``attrs`` holds ``n_draws``, the sampler and
        the seed.

    Examples
    --------
    >>> import riskgrade as rg
    >>> inv = rg.datasets.load_sample()
    >>> model = rg.RiskModel().fit(inv)
    >>> out = level_probabilities(model, inv, n_draws=500, seed=1)
    >>> bool(np.allclose(out[["p_level_1", "p_level_2", "p_level_3"]].sum(axis=1), 1.0))
    True
    """
    run = run_draws(
        model, frame, weights=weights, concentration=concentration, n_draws=n_draws, seed=seed,
        n_threads=n_threads, progress=progress, uncertain_below=uncertain_below,
    )
    return levels_frame(run.arr, run.res, run.draws, run.sampler, seed, run.names, uncertain_below)


@dataclass(frozen=True)
class _Run:
    """Inputs, draws and engine output of one level-probability run."""

    arr: dict[str, Any]
    names: list[str]
    sampler: WeightSampler
    draws: np.ndarray
    rng: np.random.Generator
    res: Any


def run_draws(
    model: Any,
    frame: pd.DataFrame | str | Path,
    *,
    weights: Any,
    concentration: float,
    n_draws: int,
    seed: Any,
    n_threads: int | None,
    progress: Any,
    uncertain_below: float,
    central_weights: bool = False,
) -> _Run:
    """Validate the arguments, draw the weights and run the quota engine.

    Shared by the level probabilities and SMAA-2; the generator is returned for any
    later draws.
    """
    if not 0.0 < uncertain_below <= 1.0:
        raise RiskgradeError(f"uncertain_below must be in (0, 1], got {uncertain_below!r}")
    arr = inventory_arrays(model, frame)
    names = list(model.catalog_.names)
    center = model.weights_.reindex(names).to_numpy(dtype=float)
    sampler = resolve_sampler(weights, center, concentration)
    if isinstance(sampler, FixedDraws):
        n_draws = int(np.asarray(sampler.draws).shape[0])
    if int(n_draws) < 1:
        raise RiskgradeError(f"n_draws must be at least 1, got {n_draws!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    draws = sampler.sample(int(n_draws), rng, len(names))
    res = quota_level_probabilities(
        arr["F"],
        None,
        draws,
        arr["unit_codes"],
        arr["t1"],
        arr["t2"],
        arr["caps"],
        decimals=arr["decimals"],
        n_threads=n_threads,
        progress=_progress_callable(progress),
        central_weights=central_weights,
    )
    return _Run(arr, names, sampler, draws, rng, res)
