"""Kernels of the level-probability engine: counts and the quota of one tile of draws.

:func:`run_tile` counts, per point, the draws in level 3 and the draws as a level-one
candidate, and applies the quota with shared credit at ties (:func:`quota`, equation (3)
of :mod:`riskgrade.uncertainty.core`), in numpy or through the compiled kernels of
:mod:`riskgrade.uncertainty.kernels_numba` (same results).
"""

from __future__ import annotations

import numpy as np

from riskgrade.exceptions import RiskgradeError
from riskgrade.uncertainty.layout import Tile

__all__ = ["Lane", "count_last", "group_starts", "kth_largest", "quota", "resolve_backend", "run_tile"]


class Lane:
    """Accumulators of one lane (layout order)."""

    def __init__(self, size: int, m: int, central: bool) -> None:
        self.n3 = np.zeros(size, dtype=np.uint32)  # draws at level 3
        self.nc = np.zeros(size, dtype=np.uint32)  # candidates (provisional level 1)
        self.nd = np.zeros(size, dtype=np.uint32)  # demotions by the quota
        self.tie = np.zeros(size, dtype=np.float64)  # (credit - 1) of tied cut-off rows
        self.cw = np.zeros((size, m)) if central else None  # sum_d a_id w_d, (5)
        self.partition_rows = 0


BYTE_SUM = np.uint64(0x0101010101010101)


def count_last(b: np.ndarray) -> np.ndarray:
    """Number of True along the last axis (at most 255) as small unsigned integers.

    With a last axis of a multiple of 8 the booleans are added eight at a time as
    bytes of ``uint64`` words (each byte lane stays below 256), and the eight lanes of
    the sum are added by one multiplication; otherwise through ``uint8`` sums.
    """
    if b.shape[-1] % 8 == 0 and b.flags.c_contiguous:
        x = np.add.reduce(b.view(np.uint64), axis=-1)
        x *= BYTE_SUM
        x >>= np.uint64(56)
        return x
    return np.add.reduce(b.view(np.uint8), axis=-1, dtype=np.uint16)


def run_tile(
    tile: Tile,
    Wt: np.ndarray,
    Fl: np.ndarray,
    lane: Lane,
    x1: float,
    x2: float,
    scale: float | None,
    sbuf: np.ndarray,
    bbuf: np.ndarray,
    abuf: np.ndarray | None,
    compiled: bool = False,
) -> None:
    """Counts and quota credit of one tile for the draws ``Wt`` into ``lane`` (numpy or compiled)."""
    C = Wt.shape[1]
    a, P = tile.start, tile.size
    S = sbuf[: P * C].reshape(P, C)  # S[i, d]: score of tile row i in draw d
    np.matmul(Fl[a : a + P], Wt, out=S)
    if tile.miss_rows.size:  # (1): renormalise over the present factors
        with np.errstate(invalid="ignore", divide="ignore"):
            Sm = S[tile.miss_rows] / (tile.miss_presence @ Wt)
        # no weight on any present factor: no score, level 3 as in the grader
        Sm[np.isnan(Sm)] = -np.inf
        S[tile.miss_rows] = Sm
    b = bbuf[: P * C].reshape(P, C)
    A = None
    if lane.cw is not None and abuf is not None and tile.need_cand:  # credit matrix a_id of (3)
        A = abuf[: P * C].reshape(P, C)
        np.greater_equal(S, x1, out=b)
        np.copyto(A, b)
    if compiled:
        run_tile_compiled(tile, S, lane, x1, x2, scale, A)
    else:
        run_tile_numpy(tile, S, b, lane, x1, x2, scale, A)
    if A is not None and lane.cw is not None:
        lane.cw[a : a + P] += A @ Wt.T


def run_tile_compiled(
    tile: Tile, S: np.ndarray, lane: Lane, x1: float, x2: float, scale: float | None, A: np.ndarray | None
) -> None:
    """Counts and quota of one tile through the compiled kernels (same results as numpy)."""
    from riskgrade.uncertainty import kernels_numba as kn

    a, P = tile.start, tile.size
    if tile.caps is None:
        kn.count_tile(S, x1, x2, tile.need_cand, lane.n3[a : a + P], lane.nc[a : a + P])
        return
    lane.partition_rows += kn.quota_tile(
        S,
        tile.n_units,
        tile.n_pos,
        tile.caps,
        x1,
        x2,
        0.0 if scale is None else scale,
        lane.n3[a : a + P],
        lane.nc[a : a + P],
        lane.nd[a : a + P],
        lane.tie[a : a + P],
        NO_A if A is None else A,
        A is not None,
    )


NO_A = np.zeros((1, 1))


def run_tile_numpy(
    tile: Tile,
    S: np.ndarray,
    b: np.ndarray,
    lane: Lane,
    x1: float,
    x2: float,
    scale: float | None,
    A: np.ndarray | None,
) -> None:
    """Counts and quota of one tile with numpy passes.

    With ``A`` (central weights) ``b`` already holds the candidates ``S >= x1``.
    """
    a, P = tile.start, tile.size
    if tile.need_cand:
        if A is None:
            np.greater_equal(S, x1, out=b)
        lane.nc[a : a + P] += count_last(b)
        if tile.caps is not None:
            quota(tile, S, b, lane, x1, scale, A)
    np.less(S, x2, out=b)
    lane.n3[a : a + P] += count_last(b)


def quota(
    tile: Tile,
    S: np.ndarray,
    b: np.ndarray,
    lane: Lane,
    x1: float,
    scale: float | None,
    A: np.ndarray | None,
) -> None:
    """Re-apply the cap of every unit of a quota tile in every draw of the chunk, (3)."""
    assert tile.caps is not None
    C = S.shape[1]
    a, P = tile.start, tile.size
    s, U = tile.n_pos, tile.n_units
    kc = np.add.reduce(b.reshape(U, s, C).view(np.uint8), axis=1, dtype=np.uint16)  # (U, C)
    uu, dd = np.nonzero(kc > tile.caps[:, None])  # over-full (unit, draw) rows, grouped by unit
    if uu.size == 0:
        return
    lane.partition_rows += uu.size
    rows = S.reshape(U, s, C)[uu, :, dd]  # (R, s) unrounded scores
    crow = rows >= x1  # candidates
    if scale is not None:  # ties are equal rounded scores: compare rint(s * 10**decimals)
        rows *= scale
        np.rint(rows, out=rows)
    k = tile.caps[uu]
    v = kth_largest(rows, k)
    kept = rows >= v[:, None]  # at or above the cut-off of (3) (ties included)
    starts = group_starts(uu)
    nd2 = lane.nd[a : a + P].reshape(U, s)
    nd2[uu[starts]] += np.add.reduceat((crow ^ kept).view(np.uint8), starts, axis=0, dtype=np.uint8)
    if A is not None:
        A.reshape(U, s, C)[uu, :, dd] = kept
    # a block of equal scores straddles the cut-off when more than k points reach it;
    # then the E tied points share the k - G free slots, (3)
    n_kept = np.add.reduce(kept.view(np.uint8), axis=1, dtype=np.uint16)
    tied = np.flatnonzero(n_kept > k)
    if tied.size:
        eq = rows[tied] == v[tied, None]
        E = np.add.reduce(eq.view(np.uint8), axis=1, dtype=np.uint16).astype(np.int64)
        G = n_kept[tied] - E
        adj = (k[tied] - G) / E - 1.0  # credit - 1 of the E tied points
        ut = uu[tied]
        # added to each point's running total one draw at a time, in draw order (the
        # rows are grouped by unit with draws ascending): the compiled kernel adds the
        # same numbers in the same order, so both paths give the same bits
        r_eq, j_eq = np.nonzero(eq)
        np.add.at(lane.tie[a : a + P], ut[r_eq] * s + j_eq, adj[r_eq])
        if A is not None:
            A.reshape(U, s, C)[ut, :, dd[tied]] = kept[tied] + eq * adj[:, None]


def group_starts(sorted_ids: np.ndarray) -> np.ndarray:
    """Positions where a run of equal values begins in a sorted array."""
    new = np.empty(sorted_ids.size, dtype=bool)
    new[0] = True
    np.not_equal(sorted_ids[1:], sorted_ids[:-1], out=new[1:])
    return np.flatnonzero(new)


SORT_MAX = 32  # rows up to this length: one sort serves every cap of the tile


def kth_largest(rows: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The ``k[r]``-th largest value of every row ``r`` (``1 <= k[r] < rows.shape[1]``)."""
    R, s = rows.shape
    k0 = int(k[0])
    if (k == k0).all():
        return np.partition(rows, s - k0, axis=1)[:, s - k0]
    if s <= SORT_MAX:  # short rows: a full (vectorised) sort costs about one partition
        return np.sort(rows, axis=1)[np.arange(R), s - k]
    v = np.empty(R)
    for kk in np.unique(k).tolist():  # long rows: few units per tile, one partition per cap
        sel = np.flatnonzero(k == kk)
        v[sel] = np.partition(rows[sel], s - kk, axis=1)[:, s - kk]
    return v


def resolve_backend(backend: str) -> bool:
    """Whether the compiled kernels run (``backend`` checked)."""
    from riskgrade.uncertainty import kernels_numba

    if backend == "auto":
        return kernels_numba.AVAILABLE
    if backend == "numpy":
        return False
    if backend == "numba":
        if not kernels_numba.AVAILABLE:
            raise RiskgradeError(
                "backend='numba' needs the optional extra 'fast': pip install 'riskgrade[fast]'"
            )
        return True
    raise RiskgradeError(f"backend must be 'auto', 'numpy' or 'numba', got {backend!r}")
