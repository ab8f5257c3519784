"""Layout of the level-probability engine: points pruned by exact bounds, units grouped into tiles.

Points whose level cannot depend on the draws are resolved by the bounds of their score
over the draws' box (:func:`score_bounds`); the remaining units are grouped by their
padded number of potential candidates into :class:`Tile` s, stored unit-major, in a
canonical order that does not depend on the input's row order (:func:`canonical_order`).
See :mod:`riskgrade.uncertainty.core` for the method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MARGIN", "PAD", "Layout", "Tile", "build_layout", "canonical_order", "score_bounds", "size_class"]


PAD = -8.0  # factor value of padding points: score -8, never a candidate


MARGIN = 1e-9  # safety margin of the exact pruning bounds


@dataclass
class Tile:
    """A run of layout rows handled together: a quota tile (units side by side) or plain points."""

    start: int  # first row in the layout arrays
    n_pos: int  # points per unit (padded); 1 for plain tiles
    n_units: int  # units (quota tile) or points (plain tile)
    caps: np.ndarray | None  # (n_units,) quota cap of each unit; None for plain tiles
    need_cand: bool
    miss_rows: np.ndarray  # rows (within tile) with missing factors
    miss_presence: np.ndarray  # (n_miss, m) float presence of those rows

    @property
    def size(self) -> int:
        """Rows of the tile."""
        return self.n_pos * self.n_units


@dataclass
class Layout:
    """The factor scores reordered into tiles, with the input row of every layout row."""

    F: np.ndarray  # (N, m) factor scores, tiles contiguous, unit-major inside quota tiles
    point: np.ndarray  # (N,) input row of each layout row, -1 = padding
    tiles: list[Tile]
    p3_fixed: np.ndarray  # (n,) P(level 3) of resolved points, NaN = computed
    stats: dict


def score_bounds(
    F: np.ndarray, presence: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of (1) over the draws' box ``lo <= w <= hi`` on the simplex.

    Full rows: fractional knapsack (greedy by factor score); rows with a missing
    factor: the range of their present factor scores (any weights). Works on blocks
    of rows, so the transient memory does not grow with ``len(F)``.
    """
    n = F.shape[0]
    lower = np.empty(n)
    upper = np.empty(n)
    lo = np.clip(lo, 0.0, 1.0)
    span = np.clip(hi - lo, 0.0, None)
    budget = max(0.0, 1.0 - float(lo.sum()))
    for b in range(0, n, 65536):
        X, pres = F[b : b + 65536], presence[b : b + 65536]
        low = np.where(pres, X, np.inf).min(axis=1, initial=np.inf)
        up = np.where(pres, X, -np.inf).max(axis=1, initial=-np.inf)
        full = pres.all(axis=1)
        if full.any():
            Xf = X[full]
            base = Xf @ lo
            order = np.argsort(Xf, axis=1, kind="stable")  # ascending factor scores
            Xs = np.take_along_axis(Xf, order, axis=1)
            cs = span[order]
            for rev in (False, True):  # lower bound: smallest first; upper: largest first
                xs, c = (Xs[:, ::-1], cs[:, ::-1]) if rev else (Xs, cs)
                before = np.cumsum(c, axis=1) - c
                alloc = np.clip(budget - before, 0.0, c)
                bound = base + (alloc * xs).sum(axis=1)
                if rev:
                    up[full] = np.minimum(up[full], bound)
                else:
                    low[full] = np.maximum(low[full], bound)
        lower[b : b + 65536] = low
        upper[b : b + 65536] = up
    return lower, upper


MIX = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93],
    dtype=np.uint64,
)


def canonical_order(F: np.ndarray, presence: np.ndarray, unit_codes: np.ndarray) -> np.ndarray:
    """Row order by unit, then by row content, independent of the input order.

    Rows are sorted by (unit, 64-bit mix of their factor scores and presence); rows
    sharing both are checked to be identical (then their order does not matter) and,
    should two different rows ever share a mix, the order falls back to a lexicographic
    sort of the factor scores.
    """
    keys = np.where(presence, F, -np.inf)  # missing factors as -inf: one key per factor
    bits = np.ascontiguousarray(keys).view(np.uint64)
    h = np.zeros(F.shape[0], dtype=np.uint64)
    for j in range(F.shape[1]):
        h ^= bits[:, j] + MIX[j % 4] + np.uint64(j)
        h *= MIX[(j + 1) % 4]
        h ^= h >> np.uint64(29)
    order = np.lexsort((h, unit_codes))
    same = (h[order[1:]] == h[order[:-1]]) & (unit_codes[order[1:]] == unit_codes[order[:-1]])
    if same.any():
        i = np.flatnonzero(same)
        if not (bits[order[i]] == bits[order[i + 1]]).all():  # about 2**-64 per pair
            cols = [keys[:, j] for j in range(F.shape[1] - 1, -1, -1)]
            return np.lexsort([*cols, unit_codes])
    return order


def size_class(s: int) -> int:
    """Padded size: exact up to 16, then steps of at most 1/8."""
    if s <= 16:
        return s
    step = 1 << max(0, int(s).bit_length() - 4)
    return -(-s // step) * step


def build_layout(
    F: np.ndarray,
    presence: np.ndarray,
    unit_codes: np.ndarray,
    cap_u: np.ndarray,
    x1: float,
    x2: float,
    lo: np.ndarray,
    hi: np.ndarray,
    tile_points: int,
) -> Layout:
    """Points pruned by their score bounds over the draws' box ``[lo, hi]``; the rest tiled."""
    n, m = F.shape
    lower, upper = score_bounds(F, presence, lo, hi)
    never_l1 = upper < x1 - MARGIN
    always3 = ~presence.any(axis=1) | (upper < x2 - MARGIN)
    resolved2 = ~always3 & (lower >= x2 + MARGIN) & never_l1
    p3_fixed = np.full(n, np.nan)
    p3_fixed[always3] = 1.0
    p3_fixed[resolved2] = 0.0
    computed = np.isnan(p3_fixed)

    pot = computed & ~never_l1 & (cap_u[unit_codes] > 0)  # potential level-one points
    n_pot = np.bincount(unit_codes[pot], minlength=cap_u.shape[0])
    in_quota = pot & (n_pot > cap_u)[unit_codes]  # units that can hold more than their cap
    # outside quota tiles the level-one credit is the candidate indicator (cap > 0) or 0
    plain_cand = computed & ~in_quota & ~never_l1
    plain_nocand = computed & ~in_quota & never_l1

    order = canonical_order(F, presence, unit_codes)
    tile_pts: list[np.ndarray] = []
    tile_meta: list[tuple[int, int, np.ndarray | None, bool]] = []

    def add_tile(pts: np.ndarray, n_pos: int, n_u: int, caps: np.ndarray | None, need_cand: bool) -> None:
        tile_pts.append(pts)
        tile_meta.append((n_pos, n_u, caps, need_cand))

    for mask, need in ((plain_cand, True), (plain_nocand, False)):
        pts = order[mask[order]]
        for b in range(0, pts.size, tile_points):
            chunk = pts[b : b + tile_points]
            add_tile(chunk, 1, chunk.size, None, need)

    # quota units grouped by padded size (caps may differ inside a tile); unit-major
    # tiles (row u * s + j), filled to about ``tile_points`` rows
    q_pts = order[in_quota[order]]
    q_units, q_start, q_count = np.unique(unit_codes[q_pts], return_index=True, return_counts=True)
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(q_count.tolist()):
        groups.setdefault(size_class(c), []).append(i)
    for s_pad, members in sorted(groups.items()):
        # units of equal caps side by side: most tiles then hold one cap (one partition)
        members = sorted(members, key=lambda i: (int(cap_u[q_units[i]]), i))
        per_tile = max(1, tile_points // s_pad)
        for b in range(0, len(members), per_tile):
            grp = np.asarray(members[b : b + per_tile])
            grid = np.full((grp.size, s_pad), -1, dtype=np.int64)
            for r, i in enumerate(grp.tolist()):
                grid[r, : q_count[i]] = q_pts[q_start[i] : q_start[i] + q_count[i]]
            add_tile(grid.ravel(), s_pad, grp.size, cap_u[q_units[grp]], True)

    del lower, upper, order
    point = np.concatenate(tile_pts) if tile_pts else np.zeros(0, dtype=np.int64)
    tile_pts.clear()
    Fl = np.full((point.size, m), PAD)  # one allocation: the layout copy of F
    for b in range(0, point.size, 65536):  # filled by blocks: no full-size temporaries
        seg = point[b : b + 65536]
        ok = seg >= 0
        Fl[b : b + 65536][ok] = np.where(presence[seg[ok]], F[seg[ok]], 0.0)
    tiles: list[Tile] = []
    pos = 0
    for n_pos, n_u, caps, need_cand in tile_meta:
        size = n_pos * n_u
        pres = np.ones((size, m), dtype=bool)
        seg = point[pos : pos + size]
        pres[seg >= 0] = presence[seg[seg >= 0]]
        miss = np.flatnonzero(~pres.all(axis=1))
        tiles.append(
            Tile(
                start=pos,
                n_pos=n_pos,
                n_units=n_u,
                caps=caps,
                need_cand=need_cand,
                miss_rows=miss,
                miss_presence=np.ascontiguousarray(pres[miss], dtype=float),
            )
        )
        pos += size
    stats = {
        "n_points": n,
        "resolved": int((~computed).sum()),
        "plain": int((plain_cand | plain_nocand).sum()),
        "quota": int(in_quota.sum()),
        "quota_units": int(np.unique(unit_codes[in_quota]).size),
        "layout_rows": int(point.size),
        "n_tiles": len(tiles),
    }
    return Layout(F=Fl, point=point, tiles=tiles, p3_fixed=p3_fixed, stats=stats)
