r"""Vectorised engine: level probabilities under sampled weights with the per-unit quota.

For every weight draw :math:`w_d` (a row of ``draws``) the engine re-scores every risk
point, assigns provisional levels by thresholds and re-applies the per-unit level-one
quota, exactly as :class:`riskgrade.grading.Grader` does for one weight vector:

.. math::

    s_{id} = \frac{\sum_j w_{dj} f_{ij} [f_{ij}\ \text{present}]}
                  {\sum_j w_{dj} [f_{ij}\ \text{present}]}                    \qquad (1)

    \text{candidate: } s_{id} \ge t_1, \qquad
    \text{level 3: } s_{id} < t_2                                             \qquad (2)

In unit :math:`u` with cap :math:`k_u` and :math:`c_{ud}` candidates in draw
:math:`d`, let :math:`v_{ud}` be the :math:`k_u`-th largest score of the unit when
:math:`c_{ud} > k_u`; :math:`G` points score above it and :math:`E` equal it. Point
:math:`i` receives the level-one *credit*

.. math::

    a_{id} = [s_{id} > v_{ud}] + [s_{id} = v_{ud}]\,\frac{k_u - G}{E}          \qquad (3)

(:math:`a_{id} = [s_{id} \ge t_1]` when :math:`c_{ud} \le k_u`). Tied points at the
cut-off share the free slots, so :math:`\sum_{i \in u} a_{id} = \min(k_u, c_{ud})`
exactly and no tie-break leaks into a probability. Then

.. math::

    P(\text{level 1})_i = \frac1D \sum_d a_{id}, \quad
    P(\text{level 3})_i = \frac1D \sum_d [s_{id} < t_2], \quad
    P(\text{level 2})_i = 1 - P_1 - P_3.                                        \qquad (4)

This is the acceptability index of SMAA (Lahdelma & Salminen 2001, Oper. Res. 49,
444-454) for the event "level k", with the ordered classes of SMAA-TRI (Tervonen et
al. 2009, EJOR 192, 236-242) and the quota as an extra, draw-wise constraint. Each
probability is a Monte Carlo mean with standard error at most :math:`1/(2\sqrt{D})`.

Numerics
--------
Scores are computed in float64 by one matrix product per tile (``draws @ F.T``) and,
like :func:`riskgrade.weighted_index.index_score`, rounded to ``decimals`` decimal places
before comparison: two points tie exactly when their rounded scores are equal, so
ties are detected exactly (float32 would merge scores closer than about 1e-7 and is
not used). Thresholds are applied to the unrounded product through a pre-computed
float cut-off ``x_t`` such that ``round(s) >= t  <=>  s >= x_t`` (the rounding is
monotone), so only the rows needing a cut-off pay for rounding.

Speed
-----
* Points whose score can never reach ``t2`` (or always stays in ``[t2, t1)``) over
  the box spanned by the draws on the simplex (a fractional-knapsack bound) are
  resolved without computation; points that can never reach ``t1`` or sit in a unit
  with cap 0, or in a unit with no more potential candidates than its cap, need no
  quota work.
* Remaining units are grouped by their padded number of potential candidates into
  tiles of about ``tile_points`` rows (units of equal cap side by side), stored
  unit-major (row ``u * s + j`` = ``j``-th point of unit ``u``), so per-unit counts
  are vectorised reductions over a middle axis. The cut-off of (3) is found only for
  the (draw, unit) rows holding more candidates than the cap: one ``np.partition``
  per distinct cap of the tile, or one vectorised sort for rows of at most 32 points
  with mixed caps, on scores already rounded to ``decimals`` (``rint(s 10^decimals)``),
  so equal rounded scores are equal numbers and (3) needs no further rounding.
* Per-point counts over a chunk of draws add the booleans eight at a time as the
  bytes of 64-bit words.
* Draws are processed in chunks; two fixed *lanes* of chunks accumulate separately
  and are summed in lane order, so results are identical for any number of threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np

from riskgrade.exceptions import RiskgradeError
from riskgrade.uncertainty.layout import PAD, Layout, build_layout
from riskgrade.uncertainty.tiles import Lane, resolve_backend, run_tile

__all__ = ["LevelProbabilities", "quota_level_probabilities", "score_cutoff"]

_N_LANES = 2


@dataclass(frozen=True)
class LevelProbabilities:
    """Level probabilities of risk points (arrays in input row order).

    Attributes
    ----------
    p_level : ndarray of shape (n, 3)
        ``P(level 1)``, ``P(level 2)``, ``P(level 3)``; rows sum to 1.
    p_candidate : ndarray of shape (n,)
        Probability of a provisional level 1 (score at or above ``t1``) before the quota.
    n_draws : int
        Number of weight draws.
    stats : dict
        Work counters: points resolved without computation, in quota tiles,
        (draw, unit) rows that needed a partial sort, and blocks of units.
    central_weights : ndarray of shape (n, m) or None
        SMAA-2 central weight vectors of level one, (5) (NaN where
        ``P(level 1) = 0``); only when requested.
    """

    p_level: np.ndarray
    p_candidate: np.ndarray
    n_draws: int
    stats: dict
    central_weights: np.ndarray | None = None

    @property
    def standard_error(self) -> np.ndarray:
        """Monte Carlo standard errors ``sqrt(p (1 - p) / D)`` of ``p_level``."""
        p = self.p_level
        return np.sqrt(np.clip(p * (1.0 - p), 0.0, None) / self.n_draws)


def score_cutoff(t: float, decimals: int | None) -> float:
    """Float cut-off ``x`` with ``round(s, decimals) >= t`` exactly when ``s >= x``.

    Parameters
    ----------
    t : float
        Threshold on the rounded score.
    decimals : int or None
        Decimals of the score rounding (``numpy.round``); ``None``: no rounding.

    Returns
    -------
    float

    Examples
    --------
    >>> x = score_cutoff(0.6, 12)
    >>> bool(np.round(x, 12) >= 0.6), bool(np.round(np.nextafter(x, 0), 12) >= 0.6)
    (True, False)
    """
    t = float(t)
    if decimals is None:
        return t

    def ok(x: float) -> bool:
        return bool(np.round(x, decimals) >= t)

    lo, hi = t - 1e-3 - abs(t) * 1e-3, t + 1e-3 + abs(t) * 1e-3
    if ok(lo) or not ok(hi):  # pragma: no cover - cannot happen for finite t
        raise RiskgradeError(f"cannot place threshold {t!r} on scores rounded to {decimals} decimals")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    while np.nextafter(lo, hi) != hi:  # finish bit by bit (rarely needed)
        nxt = float(np.nextafter(lo, hi))
        if ok(nxt):
            hi = nxt
            break
        lo = nxt
    return hi






def _unit_blocks(unit_codes: np.ndarray, n_units: int, block_points: int) -> list[np.ndarray]:
    """Rows grouped into blocks of whole units (by unit code), about ``block_points`` each."""
    counts = np.bincount(unit_codes, minlength=n_units)
    first = np.cumsum(counts) - counts  # first sorted position of each unit
    block_of_unit = first // max(1, block_points)
    rows = np.argsort(unit_codes, kind="stable")
    bounds = np.searchsorted(block_of_unit[unit_codes[rows]], np.unique(block_of_unit[counts > 0]))
    bounds = np.r_[bounds, unit_codes.size]
    return [rows[bounds[i] : bounds[i + 1]] for i in range(bounds.size - 1)]


def quota_level_probabilities(
    F: np.ndarray,
    presence: np.ndarray | None,
    draws: np.ndarray,
    unit_codes: np.ndarray,
    t1: float,
    t2: float,
    cap_per_unit: np.ndarray,
    *,
    decimals: int | None = 12,
    chunk_size: int = 248,
    tile_points: int = 1024,
    n_threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    memory_budget_mib: float = 64.0,
    central_weights: bool = False,
    backend: str = "auto",
) -> LevelProbabilities:
    """Level probabilities of every point under sampled weights, with the per-unit quota.

    Implements equations (1)-(5) of this module: SMAA acceptability indices
    (Lahdelma & Salminen 2001) of the three ordered levels (Tervonen et al. 2009),
    re-applying the level-one quota in every draw with fractional credit for ties at
    the cut-off, and optionally the SMAA-2 central weight vectors for level one.

    Parameters
    ----------
    F : ndarray of shape (n, m)
        Factor scores in [0, 1] (values where ``presence`` is False are ignored; NaN
        is read as missing). Not copied as a whole: only one block at a time.
    presence : ndarray of bool, shape (n, m), or None
        Which factor scores are present; ``None``: all that are not NaN.
    draws : ndarray of shape (D, m)
        Weight vectors, non-negative and summing to 1.
    unit_codes : ndarray of int, shape (n,)
        Quota group of each point, coded ``0 .. n_units - 1``.
    t1, t2 : float
        Thresholds on the (rounded) score, ``t1 > t2``.
    cap_per_unit : ndarray of int, shape (n_units,)
        Maximum number of level-one points of each unit (the caller decides, e.g.
        ``floor(0.10 n_u)`` or an allowance for small units).
    decimals : int or None, default 12
        Scores are rounded to this many decimals before comparison, as in
        :func:`riskgrade.weighted_index.index_score`; ties are equal rounded scores.
    chunk_size : int, default 248
        Draws per chunk (at most 255; a multiple of 8 counts fastest).
    tile_points : int, default 1024
        Target number of points per tile (per-thread buffers hold
        ``chunk_size * tile_points`` scores).
    n_threads : int or None
        Worker threads (default: up to 2). Results do not depend on it.
    progress : callable, optional
        Called as ``progress(draws_done, n_draws)`` (from a worker thread, under a
        lock); with several blocks, ``draws_done`` counts draw-equivalents of work.
    memory_budget_mib : float, default 64
        Working memory for the per-point state: whole units are processed in blocks
        of about ``memory_budget_mib / (17 m + 120 bytes)`` points (``+ 16 m`` with
        ``central_weights``) through all draws, so the extra memory is this budget
        plus the outputs (32 bytes per point, ``8 m`` more with ``central_weights``)
        and an 8-byte row index per point. Results do not depend on it.
    central_weights : bool, default False
        Also accumulate ``sum_d a_id w_d`` for the SMAA-2 central weight vectors of
        level one, (5) (one more small matrix product per tile and chunk).
    backend : {"auto", "numpy", "numba"}, default "auto"
        Counting and quota kernels: numpy passes, or compiled kernels from the optional
        extra ``fast`` (numba), about 2-3 times faster and bit-identical; ``"auto"``
        uses numba when it is installed.

    Returns
    -------
    LevelProbabilities

    Raises
    ------
    RiskgradeError
        When shapes, thresholds, caps or draws are invalid.

    Examples
    --------
    >>> F = np.array([[1.0, 0.0], [0.0, 1.0], [0.2, 0.2]] + [[0.0, 0.0]] * 7)
    >>> draws = np.array([[0.7, 0.3], [0.3, 0.7]])
    >>> out = quota_level_probabilities(F, None, draws, np.zeros(10, int), 0.6, 0.1, np.array([1]))
    >>> out.p_level[:3].round(2).tolist()
    [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 1.0, 0.0]]
    """
    F = np.asarray(F, dtype=np.float64)
    if F.ndim != 2:
        raise RiskgradeError(f"F must be a 2-D array (points x factors), got shape {F.shape}")
    n, m = F.shape
    if presence is not None:
        presence = np.asarray(presence, dtype=bool)
        if presence.shape != F.shape:
            raise RiskgradeError(f"presence must have the shape of F {F.shape}, got {presence.shape}")
    draws = np.ascontiguousarray(draws, dtype=np.float64)
    if draws.ndim != 2 or draws.shape[1] != m:
        raise RiskgradeError(f"draws must have shape (n_draws, {m}), got {draws.shape}")
    D = draws.shape[0]
    if D == 0:
        raise RiskgradeError("draws is empty: need at least one weight vector")
    if not np.isfinite(draws).all() or (draws < 0).any():
        raise RiskgradeError("draws must be finite and non-negative")
    sums = draws.sum(axis=1)
    if np.abs(sums - 1.0).max() > 1e-9:
        bad = int(np.argmax(np.abs(sums - 1.0)))
        raise RiskgradeError(f"draws must sum to 1 per row; row {bad} sums to {sums[bad]!r}")
    unit_codes = np.asarray(unit_codes)
    if unit_codes.shape != (n,) or unit_codes.dtype.kind not in "iu":
        raise RiskgradeError(f"unit_codes must be an integer array of shape ({n},)")
    cap_u = np.asarray(cap_per_unit)
    if cap_u.ndim != 1 or cap_u.dtype.kind not in "iu":
        raise RiskgradeError("cap_per_unit must be a 1-D integer array indexed by unit code")
    if n and (unit_codes.min() < 0 or unit_codes.max() >= cap_u.size):
        raise RiskgradeError(f"unit_codes must lie in 0..{cap_u.size - 1} (one cap per unit)")
    if (cap_u < 0).any():
        raise RiskgradeError("cap_per_unit must be non-negative")
    cap_u = cap_u.astype(np.int64)
    if not (np.isfinite(t1) and np.isfinite(t2) and t1 > t2):
        raise RiskgradeError(f"thresholds must be finite with t1 > t2, got t1={t1!r}, t2={t2!r}")
    if t2 <= PAD + 1:
        raise RiskgradeError(f"t2 must exceed {PAD + 1}, got {t2!r}")
    if not memory_budget_mib > 0:
        raise RiskgradeError(f"memory_budget_mib must be positive, got {memory_budget_mib!r}")
    compiled = resolve_backend(backend)
    x1, x2 = score_cutoff(t1, decimals), score_cutoff(t2, decimals)
    scale = None if decimals is None else float(10.0**decimals)
    chunk_size = min(255, max(1, int(chunk_size)))  # uint8 counts per chunk
    n_threads = min(_N_LANES, 2 if n_threads is None else max(1, int(n_threads)))
    per_point = 17 * m + 120 + (16 * m if central_weights else 0)
    block_points = max(1, int(memory_budget_mib * 2**20 / per_point))
    lo, hi = draws.min(axis=0), draws.max(axis=0)

    P = np.zeros((n, 3))
    pc = np.zeros(n)
    cw = np.full((n, m), np.nan) if central_weights else None
    stats: dict = {}
    work = [0, 0]  # points x draws done; the last value reported
    lock = threading.Lock()

    def report(points: int) -> None:
        if progress is None:
            return
        with lock:
            work[0] += points
            done = min(D, work[0] // max(1, n))
            if done > work[1]:
                work[1] = done
                progress(done, D)

    def report_draws(size: int, d: int) -> None:
        report(size * d)

    blocks = _unit_blocks(unit_codes.astype(np.int64), cap_u.size, block_points) if n else []
    for rows in blocks:
        Fb = F[rows]
        pres = ~np.isnan(Fb)
        if presence is not None:
            pres &= presence[rows]
        layout = build_layout(
            Fb, pres, unit_codes[rows].astype(np.int64), cap_u, x1, x2, lo, hi, tile_points
        )
        del Fb
        lanes = _run_block(
            layout,
            draws,
            m,
            chunk_size,
            n_threads,
            x1,
            x2,
            scale,
            central_weights,
            partial(report_draws, rows.size),
            compiled,
        )
        _finish_block(layout, lanes, rows, D, P, pc, cw)
        for key, val in layout.stats.items():
            stats[key] = stats.get(key, 0) + val
        stats["partition_rows"] = stats.get("partition_rows", 0) + int(sum(la.partition_rows for la in lanes))
        del layout, lanes
    stats["n_blocks"] = len(blocks)
    if progress is not None and work[1] < D:
        progress(D, D)
    zero_cap = cap_u[unit_codes] == 0
    P[zero_cap, 0] = 0.0
    np.clip(P[:, 0], 0.0, 1.0, out=P[:, 0])
    np.clip(1.0 - P[:, 0] - P[:, 2], 0.0, 1.0, out=P[:, 1])
    if cw is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            cw /= (P[:, 0] * D)[:, None]
        cw[P[:, 0] <= 0] = np.nan
    return LevelProbabilities(p_level=P, p_candidate=pc, n_draws=D, stats=stats, central_weights=cw)


def _run_block(
    layout: Layout,
    draws: np.ndarray,
    m: int,
    chunk_size: int,
    n_threads: int,
    x1: float,
    x2: float,
    scale: float | None,
    central: bool,
    report: Callable[[int], None],
    compiled: bool = False,
) -> list[Lane]:
    """All draws through one block: two lanes of chunks, summed later in lane order."""
    N = layout.point.size
    lanes = [Lane(N, m, central) for _ in range(_N_LANES)]
    D = draws.shape[0]
    chunks = [(c, draws[c * chunk_size : (c + 1) * chunk_size]) for c in range(-(-D // chunk_size))]
    max_tile = max((t.size for t in layout.tiles), default=0)

    def run_lane(li: int) -> None:
        sbuf = np.empty(chunk_size * max_tile)
        bbuf = np.empty(chunk_size * max_tile, dtype=bool)
        abuf = np.empty(chunk_size * max_tile) if central else None
        lane = lanes[li]
        for c, W in chunks:
            if c % _N_LANES != li:
                continue
            Wt = np.ascontiguousarray(W.T)
            for tile in layout.tiles:
                run_tile(tile, Wt, layout.F, lane, x1, x2, scale, sbuf, bbuf, abuf, compiled)
            report(W.shape[0])

    if N:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            if n_threads == 1:
                for li in range(_N_LANES):
                    run_lane(li)
            else:
                with ThreadPoolExecutor(max_workers=n_threads) as ex:
                    list(ex.map(run_lane, range(_N_LANES)))
    else:
        report(D)
    return lanes


def _finish_block(
    layout: Layout,
    lanes: list[Lane],
    rows: np.ndarray,
    D: int,
    P: np.ndarray,
    pc: np.ndarray,
    cw: np.ndarray | None,
) -> None:
    """Write the probabilities of one block into the outputs (input row order), (4)."""
    valid = layout.point >= 0
    pts = rows[layout.point[valid]]
    resolved = ~np.isnan(layout.p3_fixed)
    P[rows[resolved], 2] = layout.p3_fixed[resolved]
    n3, nc, nd, tie = lanes[0].n3, lanes[0].nc, lanes[0].nd, lanes[0].tie
    for lane in lanes[1:]:  # fixed lane order: identical sums for any thread count
        n3 = n3 + lane.n3
        nc = nc + lane.nc
        nd = nd + lane.nd
        tie = tie + lane.tie
    P[pts, 2] = n3[valid] / D
    pc[pts] = nc[valid] / D
    P[pts, 0] = ((nc[valid] - nd[valid]) + tie[valid]) / D
    if cw is not None:
        parts = [lane.cw for lane in lanes if lane.cw is not None]
        acc = parts[0]
        for part in parts[1:]:  # fixed lane order, as above
            acc = acc + part
        cw[pts] = acc[valid]
