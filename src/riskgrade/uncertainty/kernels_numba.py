r"""Compiled kernels of the level-probability engine (optional extra ``fast``: numba).

The engine in :mod:`riskgrade.uncertainty.core` scores a tile of points for a chunk of
weight draws with one BLAS matrix product and then counts, per point, the draws at
level 3 and the candidate draws, and re-applies the quota of every unit in every draw,
equation (3) of that module. With numpy each of those steps is a separate pass over
the tile's scores (a dozen for a quota tile). The kernels here do the same arithmetic
in one pass per tile, keeping each unit's column in cache, and release the GIL so the
two lanes of chunks run on two cores.

The scores still come from the same BLAS product; the kernels only compare, count,
round (``rint(s 10^decimals)``, the IEEE operations numpy uses), select the k-th
largest rounded candidate score and add the tie credits of (3) to each point's running
total one draw at a time, as the numpy path does. The probabilities are therefore
bit-identical to the numpy path's, which the tests check.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:  # the optional extra
    import numba
except ImportError:  # pragma: no cover - exercised when numba is absent
    numba = None  # type: ignore[assignment]

__all__ = ["AVAILABLE", "count_tile", "quota_tile"]

AVAILABLE = numba is not None


def _count_tile(S, x1, x2, need_cand, n3, nc):  # pragma: no cover - compiled
    """Add, per row of ``S``, the draws with ``s < x2`` to ``n3`` and ``s >= x1`` to ``nc``."""
    P, C = S.shape
    for i in range(P):
        c3 = 0
        cc = 0
        for d in range(C):
            v = S[i, d]
            c3 += v < x2
            cc += v >= x1
        n3[i] += c3
        if need_cand:
            nc[i] += cc


def _kth_smallest(a, n, kth, b1, b2):  # pragma: no cover - compiled
    """The ``kth`` smallest (0-based) of ``a[:n]``; ``a``, ``b1``, ``b2`` are scratch.

    Quickselect with a median-of-three pivot and a three-way split written to two
    buffers without data-dependent branches (about two passes over ``n`` values and no
    branch mispredictions on random scores); insertion sort below nine values.
    """
    while True:
        if n <= 8:
            for i in range(1, n):
                t = a[i]
                j = i - 1
                while j >= 0 and a[j] > t:
                    a[j + 1] = a[j]
                    j -= 1
                a[j + 1] = t
            return a[kth]
        x, y, z = a[0], a[n >> 1], a[n - 1]
        p = max(min(x, y), min(max(x, y), z))
        n_lo = 0
        n_hi = 0
        for i in range(n):
            t = a[i]
            b1[n_lo] = t
            n_lo += t < p
            b2[n_hi] = t
            n_hi += t > p
        if kth < n_lo:
            a, b1 = b1, a
            n = n_lo
        elif kth < n - n_hi:
            return p
        else:
            kth -= n - n_hi
            a, b2 = b2, a
            n = n_hi


def _quota_tile(S, n_units, s, caps, x1, x2, scale, n3, nc, nd, tie, A, use_A):  # pragma: no cover
    """Counts of a quota tile and the quota of every (unit, draw), equation (3).

    ``S`` holds ``n_units`` units of ``s`` rows each (unit-major). One pass over each
    unit's rows counts the draws; then, eight draws at a time (one cache line of every
    row), the columns of over-full draws are copied into a small buffer, the
    candidates' rounded scores compacted and the k-th largest selected. Returns the
    number of over-full (unit, draw) rows.
    """
    C = S.shape[1]
    kc = np.zeros(8, np.int64)  # candidates of the eight draws in hand
    buf = np.empty((8, s))
    vals = np.empty(s + 1)
    pos = np.empty(s + 1, np.int64)
    tmp = np.empty(s + 1)
    b1 = np.empty(s + 1)
    b2 = np.empty(s + 1)
    n_rows = 0
    kcC = np.zeros(C, np.int64)  # candidates per draw of the unit
    for u in range(n_units):
        base = u * s
        k = caps[u]
        kcC[:] = 0
        for j in range(s):
            r = base + j
            c3 = 0
            cc = 0
            for d in range(C):
                v = S[r, d]
                c3 += v < x2
                f = v >= x1
                cc += f
                kcC[d] += f
            n3[r] += c3
            nc[r] += cc
        for d0 in range(0, C, 8):
            w = min(8, C - d0)
            over = False
            for dd in range(w):
                kc[dd] = kcC[d0 + dd]
                over |= kc[dd] > k
            if not over:
                continue
            for j in range(s):
                for dd in range(w):
                    buf[dd, j] = S[base + j, d0 + dd]
            for dd in range(w):
                d = d0 + dd
                if kc[dd] <= k:
                    continue
                n_rows += 1
                c = 0
                for j in range(s):  # candidates' rounded scores, in position order
                    x = buf[dd, j]
                    vals[c] = np.rint(x * scale) if scale > 0.0 else x
                    pos[c] = j
                    c += x >= x1
                tmp[:c] = vals[:c]
                cut = _kth_smallest(tmp, c, c - k, b1, b2)  # the k-th largest
                G = 0
                E = 0
                for t in range(c):
                    G += vals[t] > cut
                    E += vals[t] == cut
                tied = k < G + E
                adj = (k - G) / E - 1.0
                for t in range(c):
                    nd[base + pos[t]] += vals[t] < cut
                if tied:  # running totals, one draw at a time in draw order
                    for t in range(c):
                        if vals[t] == cut:
                            tie[base + pos[t]] += adj
                if use_A:
                    for t in range(c):
                        if vals[t] < cut:
                            A[base + pos[t], d] = 0.0
                        elif tied and vals[t] == cut:
                            A[base + pos[t], d] = 1.0 + adj
    return n_rows


count_tile: Any = None
quota_tile: Any = None
if AVAILABLE:
    count_tile = numba.njit(nogil=True, cache=True)(_count_tile)
    _kth_smallest = numba.njit(nogil=True, cache=True, inline="always")(_kth_smallest)
    quota_tile = numba.njit(nogil=True, cache=True)(_quota_tile)
