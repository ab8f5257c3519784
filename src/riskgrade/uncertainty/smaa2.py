r"""SMAA-2 descriptive measures for level one: central weights, confidence factors, rank acceptability.

Lahdelma & Salminen (2001, Oper. Res. 49, 444-454) describe every alternative by
three measures; with the per-unit quota the event "rank 1" becomes "level one"
(top :math:`k_u` of the unit with fractional credit :math:`a_{id}` for ties, equation
(3) of :mod:`riskgrade.uncertainty.core`):

* **acceptability** :math:`a_i = \frac1D\sum_d a_{id}` = ``p_level_1``;
* **central weight vector** (Lahdelma & Salminen 2001, eq. 9), the credit-weighted
  mean of the weights that make the point level one,

  .. math:: w^c_i = \frac{\sum_d a_{id}\, w_d}{\sum_d a_{id}};            \qquad (5)

* **confidence factor** (eq. 10): the probability that the point is level one when
  everybody is scored with *its* central weights :math:`w^c_i` and only the factor
  scores are uncertain. Without a model of measurement error it is 1 or 0 (a
  fraction on an exact tie at the cut-off); with ``noise`` every present factor score
  of every point of the unit is perturbed independently, clipped to [0, 1], the unit
  re-scored with :math:`w^c_i` and the quota re-applied, :math:`R` times:

  .. math:: p^c_i = \frac1R \sum_r \mathrm{clip}\Big(\frac{k_u - G_{ir}}{E_{ir}}, 0, 1\Big)
            [s_{ir} \ge t_1]                                                \qquad (6)

  where :math:`G_{ir}` points of the unit score strictly above :math:`s_{ir}` and
  :math:`E_{ir}` (including :math:`i`) equal it — the same credit as (3);
* **rank acceptability** :math:`b^r_i` (eq. 5 of the paper): the share of draws in
  which the point holds rank :math:`r` of its unit by score (thresholds ignored), a
  block of :math:`E` tied points sharing its :math:`E` ranks with :math:`1/E` each.
  It needs a full ordering of every unit in every draw, so it is offered for the top
  ranks on moderate inventories only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskgrade.exceptions import RiskgradeError
from riskgrade.uncertainty.samplers import WeightSampler

__all__ = ["FactorNoise", "SMAA2Result", "confidence_factors", "rank_acceptability", "smaa2"]

_BLOCK_ELEMENTS = 1 << 22  # scores held at once by the unit loops (32 MiB of float64)


@dataclass(frozen=True)
class FactorNoise:
    """Measurement error of the factor scores for the confidence factors.

    Every present factor score of every point receives independent noise and is
    clipped to [0, 1].

    Parameters
    ----------
    kind : {"gaussian", "uniform"}
        ``"gaussian"``: normal with standard deviation ``scale``; ``"uniform"``:
        uniform on ``[-scale, scale]`` (standard deviation ``scale / sqrt(3)``).
    scale : float
        Standard deviation (gaussian) or half-width (uniform), on the 0-1 factor scale.
    """

    kind: str = "gaussian"
    scale: float = 0.05

    def __post_init__(self) -> None:
        if self.kind not in ("gaussian", "uniform"):
            raise RiskgradeError(f"FactorNoise.kind must be 'gaussian' or 'uniform', got {self.kind!r}")
        if not (np.isfinite(self.scale) and self.scale >= 0):
            raise RiskgradeError(f"FactorNoise.scale must be finite and >= 0, got {self.scale!r}")

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Noise of the given shape."""
        if self.kind == "gaussian":
            return rng.normal(0.0, self.scale, shape)
        return rng.uniform(-self.scale, self.scale, shape)


def _scores(F: np.ndarray, pres: np.ndarray, W: np.ndarray, decimals: int | None) -> np.ndarray:
    """Rounded scores (1) of points ``F`` (..., s, m) under weights ``W`` (..., m, T)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        S = np.matmul(np.where(pres, F, 0.0), W) / np.matmul(pres.astype(float), W)
    S = np.where(np.isnan(S), -np.inf, S)  # no factor with positive weight: never a candidate
    return S if decimals is None else np.round(S, decimals)


def confidence_factors(
    F: np.ndarray,
    unit_codes: np.ndarray,
    caps: np.ndarray,
    t1: float,
    central: np.ndarray,
    *,
    noise: FactorNoise | None = None,
    n_noise: int = 1000,
    rng: np.random.Generator | None = None,
    decimals: int | None = 12,
) -> np.ndarray:
    """SMAA-2 confidence factors of level one, equation (6).

    Parameters
    ----------
    F : ndarray of shape (n, m)
        Factor scores (NaN = missing).
    unit_codes : ndarray of int, shape (n,)
        Quota group of each point (``0 .. n_units - 1``).
    caps : ndarray of int, shape (n_units,)
        Level-one cap of each unit.
    t1 : float
        Level-one threshold on the rounded score.
    central : ndarray of shape (n, m)
        Central weight vector of each point (rows of NaN: no confidence factor).
    noise : FactorNoise, optional
        Measurement-error model; ``None``: factor scores are exact (result 0 or 1,
        a fraction on an exact tie at the cut-off).
    n_noise : int, default 1000
        Noise draws ``R`` (standard error at most ``1 / (2 sqrt(R))``).
    rng : numpy.random.Generator, optional
        Source of the noise.
    decimals : int or None, default 12
        Score rounding before comparison, as when grading.

    Returns
    -------
    ndarray of shape (n,)
        NaN where ``central`` is NaN.
    """
    F = np.asarray(F, dtype=float)
    central = np.asarray(central, dtype=float)
    n, m = F.shape
    if central.shape != (n, m):
        raise RiskgradeError(f"central must have shape {(n, m)}, got {central.shape}")
    R = 1 if noise is None else int(n_noise)
    if R < 1:
        raise RiskgradeError(f"n_noise must be at least 1, got {n_noise!r}")
    rng = np.random.default_rng() if rng is None else rng
    pres = ~np.isnan(F)
    out = np.full(n, np.nan)
    target = ~np.isnan(central).any(axis=1)
    caps = np.asarray(caps, dtype=np.int64)
    order = np.argsort(unit_codes, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(unit_codes[order]) != 0, True])
    for a, b in pairwise(bounds):
        rows = order[a:b]
        tgt = np.flatnonzero(target[rows])
        if tgt.size == 0:
            continue
        k = int(caps[unit_codes[rows[0]]])
        s = rows.size
        Fu, Pu = F[rows], pres[rows]
        for t0 in range(0, tgt.size, max(1, _BLOCK_ELEMENTS // (s * R))):
            tj = tgt[t0 : t0 + max(1, _BLOCK_ELEMENTS // (s * R))]
            Wc = central[rows[tj]].T  # (m, T)
            Fn = Fu[None] if noise is None else np.clip(Fu[None] + noise.sample((R, s, m), rng), 0.0, 1.0)
            S = _scores(Fn, Pu[None], Wc[None], decimals)  # (R, s, T)
            own = S[:, tj, np.arange(tj.size)]  # (R, T)
            G = (own[:, None, :] < S).sum(axis=1)
            E = (own[:, None, :] == S).sum(axis=1)
            credit = np.clip((k - G) / np.maximum(E, 1), 0.0, 1.0) * (own >= t1) * (k > 0)
            out[rows[tj]] = credit.mean(axis=0)
    return out


def rank_acceptability(
    F: np.ndarray,
    unit_codes: np.ndarray,
    draws: np.ndarray,
    n_ranks: int,
    *,
    decimals: int | None = 12,
    chunk_size: int = 64,
) -> np.ndarray:
    """Rank acceptability indices ``b^r`` of ranks ``1..n_ranks`` within each unit.

    Parameters
    ----------
    F : ndarray of shape (n, m)
        Factor scores (NaN = missing).
    unit_codes : ndarray of int, shape (n,)
        Unit of each point.
    draws : ndarray of shape (D, m)
        Weight draws.
    n_ranks : int
        Number of top ranks.
    decimals : int or None, default 12
        Score rounding before comparison (ties share their ranks equally).
    chunk_size : int, default 64
        Draws per chunk.

    Returns
    -------
    ndarray of shape (n, n_ranks)
        ``b[i, r - 1]``: share of draws in which point ``i`` holds rank ``r`` of its unit.
    """
    F = np.asarray(F, dtype=float)
    n = F.shape[0]
    pres = ~np.isnan(F)
    D = draws.shape[0]
    Rk = int(n_ranks)
    out = np.zeros((n, Rk))
    order = np.argsort(unit_codes, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(unit_codes[order]) != 0, True])
    ranks = np.arange(1, Rk + 1)
    for a, b in pairwise(bounds):
        rows = order[a:b]
        s = rows.size
        step = max(1, min(chunk_size, _BLOCK_ELEMENTS // max(1, s * max(s, Rk))))
        for c in range(0, D, step):
            S = _scores(F[rows], pres[rows], draws[c : c + step].T, decimals)  # (s, C)
            G = (S[None, :, :] > S[:, None, :]).sum(axis=1)  # points strictly above
            E = (S[None, :, :] == S[:, None, :]).sum(axis=1)  # tied points, itself included
            hit = (G[..., None] < ranks) & (ranks <= (G + E)[..., None])  # (s, C, Rk)
            out[rows] += (hit / E[..., None]).sum(axis=1)
    return out / D


@dataclass(frozen=True)
class SMAA2Result:
    """SMAA-2 measures of level one (all frames in input row order).

    Attributes
    ----------
    levels : pandas.DataFrame
        The output of :func:`~riskgrade.uncertainty.level_probabilities`.
    central_weights : pandas.DataFrame
        One row per point (index ``risk_point_id``), one column per factor: the
        central weight vector (5); NaN where ``P(level 1) = 0``.
    confidence : pandas.DataFrame
        ``risk_point_id``, the quota group, ``acceptability`` (``P(level 1)``),
        ``confidence_factor`` (6).
    rank_acceptability : pandas.DataFrame or None
        ``rank_1 .. rank_R`` (index ``risk_point_id``) when requested.
    """

    levels: pd.DataFrame
    central_weights: pd.DataFrame
    confidence: pd.DataFrame
    rank_acceptability: pd.DataFrame | None = None


def smaa2(
    model: Any,
    frame: pd.DataFrame | str | Path,
    *,
    weights: str | WeightSampler | np.ndarray = "dirichlet",
    n_draws: int = 10_000,
    seed: int | np.random.Generator | None = None,
    concentration: float = 50.0,
    noise: FactorNoise | None = None,
    n_noise: int = 1000,
    n_ranks: int = 0,
    uncertain_below: float = 0.8,
    progress: bool | Callable[[int, int], None] | None = None,
    n_threads: int | None = None,
) -> SMAA2Result:
    """SMAA-2 for level one: acceptability, central weights, confidence factors, rank acceptability.

    Parameters
    ----------
    model : RiskModel
        Fitted model (weights, thresholds on the score, quota).
    frame : DataFrame or path
        Inventory.
    weights, n_draws, seed, concentration, uncertain_below, progress, n_threads
        As in :func:`~riskgrade.uncertainty.level_probabilities` (the same seed gives
        the same ``levels``).
    noise : FactorNoise, optional
        Measurement error of the factor scores for the confidence factors; without
        it they are 0 or 1.
    n_noise : int, default 1000
        Noise draws per point for the confidence factors.
    n_ranks : int, default 0
        Also compute rank acceptability indices of ranks ``1..n_ranks`` within each
        unit (one full ordering of every unit per draw: for moderate inventories).

    Returns
    -------
    SMAA2Result

    Examples
    --------
    >>> import riskgrade as rg
    >>> inv = rg.datasets.load_sample()
    >>> model = rg.RiskModel().fit(inv)
    >>> res = smaa2(model, inv, n_draws=300, seed=1)
    >>> list(res.confidence.columns[-2:])
    ['acceptability', 'confidence_factor']
    """
    from riskgrade.uncertainty.api import levels_frame, run_draws

    if int(n_ranks) < 0:
        raise RiskgradeError(f"n_ranks must be >= 0, got {n_ranks!r}")
    run = run_draws(
        model, frame, weights=weights, concentration=concentration, n_draws=n_draws, seed=seed,
        n_threads=n_threads, progress=progress, uncertain_below=uncertain_below, central_weights=True,
    )
    arr, names, sampler, draws, rng, res = run.arr, run.names, run.sampler, run.draws, run.rng, run.res
    central = res.central_weights
    if central is None:  # not reached: requested with central_weights=True
        raise RiskgradeError("central weights were not computed")
    levels = levels_frame(arr, res, draws, sampler, seed, names, uncertain_below)
    ids = pd.Index(levels["risk_point_id"], name="risk_point_id")
    cw = pd.DataFrame(central, index=ids, columns=names)
    cf = confidence_factors(
        arr["F"],
        arr["unit_codes"],
        arr["caps"],
        arr["t1"],
        central,
        noise=noise,
        n_noise=n_noise,
        rng=rng,
        decimals=arr["decimals"],
    )
    by = arr["group_by"]
    conf = pd.DataFrame(
        {
            "risk_point_id": levels["risk_point_id"].to_numpy(),
            by: levels[by].to_numpy(),
            "acceptability": levels["p_level_1"].to_numpy(),
            "confidence_factor": cf,
        }
    )
    conf.attrs = {"noise": repr(noise), "n_noise": int(n_noise) if noise is not None else 0}
    ra = None
    if int(n_ranks):
        b = rank_acceptability(arr["F"], arr["unit_codes"], draws, int(n_ranks), decimals=arr["decimals"])
        ra = pd.DataFrame(b, index=ids, columns=[f"rank_{r}" for r in range(1, int(n_ranks) + 1)])
    return SMAA2Result(levels=levels, central_weights=cw, confidence=conf, rank_acceptability=ra)
