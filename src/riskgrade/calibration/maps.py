r"""Calibration maps: from a score to a probability of the event.

Each map is fitted on pairs (score ``s``, outcome ``y`` in {0, 1}) and predicts a
probability for new scores. Parameters are plain numbers so a map round-trips through
JSON (:meth:`to_dict` / :func:`map_from_dict`).

``sigmoid`` (Platt 1999)
    ``p = expit(a * s + b)``, fitted by maximum likelihood (Newton) on Platt's smoothed
    targets ``(N+ + 1)/(N+ + 2)`` and ``1/(N- + 2)``, which keep a rare-event fit
    from saturating. Strictly increasing when ``a > 0``.
``beta`` (Kull, Silva Filho & Flach 2017)
    ``logit p = a ln s - b ln(1 - s) + c`` for ``s`` in [0, 1] (clipped to
    ``[eps, 1 - eps]``), with ``a, b >= 0``: a feature whose coefficient comes out
    negative is dropped and the model refitted, as in the authors' reference
    implementation, so the map is increasing; it is strictly increasing when
    ``a + b > 0``. Contains the identity (``a = b = 1, c = 0``) and the sigmoid on
    the logit of ``s`` (``a = b``).
``isotonic`` (Zadrozny & Elkan 2002)
    Pool-adjacent-violators fit of ``y`` on ``s``, interpolated linearly between the
    block centres as scikit-learn does. Non-decreasing only: it creates ties.
``venn_abers`` (Vovk & Petej 2014, inductive Venn-Abers predictor)
    For a new score ``s`` the isotonic fit is redone on the calibration set plus
    ``(s, 0)`` and plus ``(s, 1)``; its values at ``s`` are ``p0 <= p1``, a
    probability interval, merged into ``p = p1 / (1 - p0 + p1)``.

The Venn-Abers values are computed exactly without refitting per test point: the
isotonic value at the added point is the slope of the greatest convex minorant of the
cumulative sum diagram (Barlow et al. 1972) over the added step, i.e. the slope of the
lower common tangent (the "bridge") of the convex hull of the diagram's points left of
the step and that of the points right of it, shifted by the added observation ``(1, y)``.
Both families of hulls are stored as persistent linked lists (one pass each, as in
Andrew's monotone chain), and the bridges of all distinct test positions are found
together by walking the two chains outward in lockstep (vectorised over positions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from scipy.special import expit
from sklearn.isotonic import isotonic_regression

__all__ = [
    "BetaMap",
    "IsotonicMap",
    "SigmoidMap",
    "VennAbersMap",
    "fit_logistic",
    "map_from_dict",
    "venn_abers_pair",
]

#: Scores are clipped to ``[EPS, 1 - EPS]`` before taking logarithms (beta map).
EPS = 1e-15


def fit_logistic(
    Z: np.ndarray,
    y: np.ndarray,
    *,
    offset: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> tuple[np.ndarray, bool]:
    """Maximum-likelihood logistic regression by Newton's method with step halving.

    Parameters
    ----------
    Z : ndarray of shape (n, k)
        Design matrix (include a column of ones for an intercept).
    y : ndarray of shape (n,)
        Targets in [0, 1] (smoothed targets allowed).
    offset : ndarray of shape (n,), optional
        Fixed term added to the linear predictor.
    sample_weight : ndarray of shape (n,), optional
        Case weights.
    max_iter, tol : int, float
        Newton iterations and the tolerance on the largest coefficient change.

    Returns
    -------
    coef : ndarray of shape (k,)
    converged : bool
    """
    Z = np.asarray(Z, dtype=float)
    y = np.asarray(y, dtype=float)
    n, k = Z.shape
    off = np.zeros(n) if offset is None else np.asarray(offset, dtype=float)
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    beta = np.zeros(k)

    def nll(b: np.ndarray) -> float:
        eta = Z @ b + off
        return float(np.sum(w * (np.logaddexp(0.0, eta) - y * eta)))

    cur = nll(beta)
    for _ in range(max_iter):
        p = expit(Z @ beta + off)
        grad = Z.T @ (w * (p - y))
        H = (Z * (w * p * (1 - p))[:, None]).T @ Z + 1e-12 * np.eye(k)
        try:
            step = np.linalg.solve(H, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, grad, rcond=None)[0]
        t = 1.0
        while t > 1e-10:
            new = beta - t * step
            val = nll(new)
            if val <= cur + 1e-12 * abs(cur):
                break
            t /= 2
        beta, cur = new, val
        if np.max(np.abs(t * step)) < tol:
            return beta, True
    return beta, False


def _binary(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=float).ravel()
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        raise ValueError(f"outcomes must be 0 or 1, got {np.unique(y[bad])[:5].tolist()}")
    return y


@dataclass
class SigmoidMap:
    """Platt's sigmoid ``expit(a * s + b)``; see the module notes."""

    a: float = 1.0
    b: float = 0.0
    kind: ClassVar[str] = "sigmoid"

    def fit(self, s: np.ndarray, y: np.ndarray) -> SigmoidMap:
        """Fit on scores ``s`` and outcomes ``y``."""
        s = np.asarray(s, dtype=float).ravel()
        y = _binary(y)
        n1 = y.sum()
        n0 = y.size - n1
        t = np.where(y == 1, (n1 + 1) / (n1 + 2), 1 / (n0 + 2))
        Z = np.column_stack([s, np.ones_like(s)])
        coef, _ = fit_logistic(Z, t)
        self.a, self.b = float(coef[0]), float(coef[1])
        return self

    def predict(self, s: np.ndarray) -> np.ndarray:
        """Probabilities of scores ``s``."""
        return expit(self.a * np.asarray(s, dtype=float) + self.b)

    @property
    def strictly_increasing(self) -> bool:
        """Whether the map is strictly increasing."""
        return self.a > 0

    def to_dict(self) -> dict[str, Any]:
        """Parameters as JSON-ready numbers."""
        return {"kind": self.kind, "a": self.a, "b": self.b}


@dataclass
class BetaMap:
    """Beta calibration ``logit p = a ln s - b ln(1 - s) + c``; see the module notes."""

    a: float = 1.0
    b: float = 1.0
    c: float = 0.0
    kind: ClassVar[str] = "beta"

    @staticmethod
    def _features(s: np.ndarray) -> np.ndarray:
        s = np.asarray(s, dtype=float)
        if np.any((s < 0) | (s > 1)):
            raise ValueError(
                "beta calibration needs scores in [0, 1]; got values in "
                f"[{np.nanmin(s):.6g}, {np.nanmax(s):.6g}] (use method='sigmoid')"
            )
        s = np.clip(s, EPS, 1 - EPS)
        return np.column_stack([np.log(s), -np.log1p(-s)])

    def fit(self, s: np.ndarray, y: np.ndarray) -> BetaMap:
        """Fit on scores ``s`` in [0, 1] and outcomes ``y``."""
        F = self._features(np.asarray(s, dtype=float).ravel())
        y = _binary(y)
        keep = [0, 1]
        coef = np.zeros(3)
        while True:
            Z = np.column_stack([F[:, keep], np.ones(len(y))])
            c, _ = fit_logistic(Z, y)
            neg = [j for j, v in zip(keep, c[:-1], strict=True) if v < 0]
            if not neg:
                coef = np.zeros(3)
                coef[keep] = c[:-1]
                coef[2] = c[-1]
                break
            # drop the most negative coefficient and refit (Kull et al. 2017)
            worst = min(neg, key=lambda j: c[keep.index(j)])
            keep.remove(worst)
        self.a, self.b, self.c = float(coef[0]), float(coef[1]), float(coef[2])
        return self

    def predict(self, s: np.ndarray) -> np.ndarray:
        """Probabilities of scores ``s`` in [0, 1]."""
        F = self._features(np.asarray(s, dtype=float))
        return expit(self.a * F[..., 0] + self.b * F[..., 1] + self.c)

    @property
    def strictly_increasing(self) -> bool:
        """Whether the map is strictly increasing on (0, 1)."""
        return self.a + self.b > 0

    def to_dict(self) -> dict[str, Any]:
        """Parameters as JSON-ready numbers."""
        return {"kind": self.kind, "a": self.a, "b": self.b, "c": self.c}


def _blocks(s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted distinct scores with their counts and event sums."""
    u, inv = np.unique(s, return_inverse=True)
    w = np.bincount(inv, minlength=len(u)).astype(float)
    ys = np.bincount(inv, weights=y, minlength=len(u))
    return u, w, ys


@dataclass
class IsotonicMap:
    """Isotonic (PAV) map, linear between block thresholds; see the module notes."""

    x: list[float] = field(default_factory=list)
    p: list[float] = field(default_factory=list)
    kind: ClassVar[str] = "isotonic"

    def fit(self, s: np.ndarray, y: np.ndarray) -> IsotonicMap:
        """Fit on scores ``s`` and outcomes ``y``."""
        s = np.asarray(s, dtype=float).ravel()
        y = _binary(y)
        u, w, ys = _blocks(s, y)
        fit = isotonic_regression(ys / w, sample_weight=w, y_min=0.0, y_max=1.0)
        # keep only the end points of each constant run (enough for interpolation)
        keep = np.ones(len(u), dtype=bool)
        if len(u) > 2:
            same_prev = np.r_[False, fit[1:] == fit[:-1]]
            same_next = np.r_[fit[:-1] == fit[1:], False]
            keep = ~(same_prev & same_next)
        self.x = u[keep].tolist()
        self.p = fit[keep].tolist()
        return self

    def predict(self, s: np.ndarray) -> np.ndarray:
        """Probabilities of scores ``s`` (clipped at the ends of the fitted range)."""
        return np.interp(np.asarray(s, dtype=float), self.x, self.p)

    @property
    def strictly_increasing(self) -> bool:
        """Always ``False``: the map has flat stretches."""
        return False

    def to_dict(self) -> dict[str, Any]:
        """Parameters as JSON-ready numbers."""
        return {"kind": self.kind, "x": list(self.x), "p": list(self.p)}


def _cross(ox: np.ndarray, oy: np.ndarray, ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray):
    return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox)


def _hull_links(X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Persistent lower hulls of every prefix (``prv``) and every suffix (``nxt``)."""
    m1 = len(X)
    prv = np.full(m1, -1, dtype=np.int64)
    nxt = np.full(m1, -1, dtype=np.int64)
    x = X.tolist()
    yv = Y.tolist()
    stack: list[int] = []
    for t in range(m1):
        while len(stack) >= 2:
            o, a = stack[-2], stack[-1]
            if (x[a] - x[o]) * (yv[t] - yv[o]) - (yv[a] - yv[o]) * (x[t] - x[o]) <= 0:
                stack.pop()
            else:
                break
        prv[t] = stack[-1] if stack else -1
        stack.append(t)
    stack = []
    for t in range(m1 - 1, -1, -1):
        while len(stack) >= 2:
            a, b = stack[-1], stack[-2]
            if (x[a] - x[t]) * (yv[b] - yv[t]) - (yv[a] - yv[t]) * (x[b] - x[t]) <= 0:
                stack.pop()
            else:
                break
        nxt[t] = stack[-1] if stack else -1
        stack.append(t)
    return prv, nxt


def _bridges(
    X: np.ndarray, Y: np.ndarray, prv: np.ndarray, nxt: np.ndarray, a0: np.ndarray, b0: np.ndarray, dy: float
) -> np.ndarray:
    """Slopes of the lower bridges between prefix hulls ending at ``a0`` and shifted suffix hulls."""
    a = a0.copy()
    b = b0.copy()

    def slope(ai: np.ndarray, bi: np.ndarray) -> np.ndarray:
        return (Y[bi] + dy - Y[ai]) / (X[bi] + 1.0 - X[ai])

    s = slope(a, b)
    active = np.arange(len(a))
    while active.size:
        aa, bb, ss = a[active], b[active], s[active]
        moved = np.zeros(active.size, dtype=bool)
        pa = prv[aa]
        ok = pa >= 0
        cand = np.where(ok, pa, aa)
        s2 = slope(cand, bb)
        mv = ok & (s2 > ss * (1 + 1e-14) + 1e-300)
        aa = np.where(mv, cand, aa)
        ss = np.where(mv, s2, ss)
        moved |= mv
        nb = nxt[bb]
        ok = nb >= 0
        cand = np.where(ok, nb, bb)
        s2 = slope(aa, cand)
        mv = ok & (s2 < ss * (1 - 1e-14) - 1e-300)
        bb = np.where(mv, cand, bb)
        ss = np.where(mv, s2, ss)
        moved |= mv
        a[active], b[active], s[active] = aa, bb, ss
        active = active[moved]
    return s


def venn_abers_pair(
    cal_scores: np.ndarray, cal_y: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Inductive Venn-Abers probabilities ``(p0, p1)`` of test scores (Vovk & Petej 2014).

    Parameters
    ----------
    cal_scores, cal_y : ndarray of shape (n,)
        Calibration scores and outcomes (0/1).
    scores : ndarray of shape (k,)
        Test scores.

    Returns
    -------
    p0, p1 : ndarray of shape (k,)
        Isotonic fit at each test score after adding it to the calibration set with
        label 0 and with label 1; ``p0 <= p1``.
    """
    u, w, ys = _blocks(np.asarray(cal_scores, dtype=float).ravel(), _binary(cal_y))
    X = np.r_[0.0, np.cumsum(w)]
    Y = np.r_[0.0, np.cumsum(ys)]
    prv, nxt = _hull_links(X, Y)
    s = np.asarray(scores, dtype=float).ravel()
    pos = np.searchsorted(u, s, side="left")
    tie = (pos < len(u)) & (u[np.minimum(pos, len(u) - 1)] == s)
    # position of the added observation: after `pos` blocks, or merged into block pos+1
    key = pos * 2 + tie
    uk, kinv = np.unique(key, return_inverse=True)
    a0 = uk // 2
    b0 = a0 + (uk % 2)
    p0 = _bridges(X, Y, prv, nxt, a0, b0, 0.0)
    p1 = _bridges(X, Y, prv, nxt, a0, b0, 1.0)
    return p0[kinv], p1[kinv]


@dataclass
class VennAbersMap:
    """Inductive Venn-Abers predictor; keeps its calibration set (see the module notes)."""

    scores: list[float] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    kind: ClassVar[str] = "venn_abers"

    def fit(self, s: np.ndarray, y: np.ndarray) -> VennAbersMap:
        """Store the calibration set (scores and outcomes)."""
        s = np.asarray(s, dtype=float).ravel()
        self.scores = s.tolist()
        self.y = _binary(y).astype(int).tolist()
        return self

    def predict_interval(self, s: np.ndarray) -> np.ndarray:
        """``[p0, p1]`` of each score, shape (n, 2)."""
        p0, p1 = venn_abers_pair(np.asarray(self.scores), np.asarray(self.y), np.asarray(s, dtype=float))
        return np.column_stack([p0, p1])

    def predict(self, s: np.ndarray) -> np.ndarray:
        """Merged probability ``p1 / (1 - p0 + p1)`` (Vovk & Petej 2014, eq. 2)."""
        iv = self.predict_interval(s)
        return iv[:, 1] / (1.0 - iv[:, 0] + iv[:, 1])

    @property
    def strictly_increasing(self) -> bool:
        """Always ``False``: the map is a step function."""
        return False

    def to_dict(self) -> dict[str, Any]:
        """The calibration set as JSON-ready lists."""
        return {"kind": self.kind, "scores": list(self.scores), "y": list(self.y)}


MAPS = {m.kind: m for m in (SigmoidMap, BetaMap, IsotonicMap, VennAbersMap)}


def map_from_dict(data: dict[str, Any]) -> SigmoidMap | BetaMap | IsotonicMap | VennAbersMap:
    """Rebuild a calibration map from :meth:`to_dict` output."""
    kind = data.get("kind")
    if kind not in MAPS:
        raise ValueError(f"unknown calibration map kind {kind!r}; known: {sorted(MAPS)}")
    return MAPS[kind](**{k: v for k, v in data.items() if k != "kind"})
