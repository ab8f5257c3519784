r"""MonotoneGAM: a logistic additive model with monotone piecewise-linear shape functions.

The log-odds are ``b + sum_j f_j(x_j) + sum_(a,b) g_ab(x_a, x_b)``:

- each ``f_j`` is piecewise linear between knots at the training quantiles of ``x_j`` (at
  every distinct value when there are at most ``n_knots`` of them, so an ordinal gets a
  free value per level), constant beyond the outer knots. Its values are the cumulative
  sums of non-negative increments (non-positive for a decreasing constraint, free for
  an unconstrained column), so the constraint holds by construction, everywhere;
- a missing value gets its own fitted term when the training data had missing values
  in that column, and the training mean of the term otherwise;
- a pairwise term ``g_ab`` is bilinear on a coarse grid of quantile knots with
  non-negative increments in both directions (a reinforcing interaction): it keeps the
  model monotone in both columns. Candidate pairs are screened by the score (gradient)
  of the additive fit and kept only when the cross-validated log loss improves.

The penalty is ``lam * sum (second differences of f_j at its knots)^2`` (P-spline style in
quantile space) plus a ridge on the pair increments; ``lam`` is chosen from a grid by
stratified ``cv``-fold cross-validation of the log loss (at most 3 folds above 20,000
rows, where the estimate is precise enough and the fit three-fifths as long). The out-of-fold probabilities of
the chosen model are kept (``oof_proba_``): each comes from a model that did not see the
row's outcome, so a calibration map can be fitted on them without a second loop.

The fit minimises the penalised mean log loss with L-BFGS-B under bound constraints;
the data enter through a knot index and a weight per row and column, so one evaluation
costs a few ``bincount`` passes (``O(n * columns)``) whatever the number of knots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

__all__ = ["MonotoneGAM"]

_LAMBDAS = (1.0, 10.0, 100.0, 1e3, 1e4, 1e5)


def make_knots(x: np.ndarray, n_knots: int) -> np.ndarray:
    """Knots of one column: its distinct values if few, else quantiles (distinct)."""
    v = x[~np.isnan(x)]
    if v.size == 0:
        return np.array([0.0])
    u = np.unique(v)
    if u.size <= n_knots:
        return u.astype(float)
    q = np.quantile(v, np.linspace(0.0, 1.0, n_knots), method="inverted_cdf")
    return np.unique(q.astype(float))


def hat_index(x: np.ndarray, knots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Left knot index, weight of the right knot and the missing mask of each value."""
    nan = np.isnan(x)
    xc = np.clip(np.where(nan, knots[0], x), knots[0], knots[-1])
    if knots.size == 1:
        return np.zeros(x.size, dtype=np.intp), np.zeros(x.size), nan
    k = np.clip(np.searchsorted(knots, xc, side="right") - 1, 0, knots.size - 2)
    u = (xc - knots[k]) / (knots[k + 1] - knots[k])
    return k.astype(np.intp), u, nan


@dataclass
class _Main:
    """All main effects at once: global knot indices (n, m), right weights, missing mask."""

    K: np.ndarray  # knots per column
    left: np.ndarray  # (n, m) global index of the left knot
    right: np.ndarray  # (n, m) global index of the right knot
    u: np.ndarray  # (n, m) weight of the right knot (0 where missing)
    nan: np.ndarray  # (n, m) missing
    sign: np.ndarray  # (m,) 1: non-negative increments, 0: free

    def __post_init__(self) -> None:
        from scipy.sparse import csr_matrix

        n, m = self.left.shape
        total = int(self.K.sum())
        data = np.concatenate([(1.0 - self.u).ravel(), self.u.ravel()])
        cols = np.concatenate([self.left.ravel(), self.right.ravel()])
        rows = np.concatenate([np.repeat(np.arange(n), m)] * 2)
        self.B = csr_matrix((data, (rows, cols)), shape=(n, total))
        self.BT = self.B.T.tocsr()
        self.nan_cols = np.flatnonzero(self.nan.any(axis=0))
        self.nan_f = self.nan[:, self.nan_cols].astype(float)

    def take(self, rows: np.ndarray) -> _Main:
        return _Main(self.K, self.left[rows], self.right[rows], self.u[rows], self.nan[rows], self.sign)


@dataclass
class _Pair:
    Ka: int
    Kb: int
    idx: list[np.ndarray]
    w: list[np.ndarray]


class _Problem:
    """Parameter layout, objective and gradient for one design.

    Parameters: intercept, the increments of every main effect (``K_j - 1`` each), one
    missing-value term per column, then the increments of every pair.
    """

    def __init__(self, main: _Main, pairs: list[_Pair]) -> None:
        self.main, self.pairs = main, pairs
        K = main.K
        self.m = K.size
        self.starts = np.concatenate([[0], np.cumsum(K)[:-1]]).astype(np.intp)
        self.total = int(K.sum())
        first = np.zeros(self.total, dtype=bool)
        first[self.starts] = True
        self.free_slots = np.flatnonzero(~first)  # positions of the increments in the value space
        seg = np.repeat(np.arange(self.m), K - 1)
        self.same_seg = seg[1:] == seg[:-1] if seg.size > 1 else np.zeros(0, dtype=bool)
        self.n_inc = int(self.free_slots.size)
        self.pair_sizes = [(p.Ka - 1) * (p.Kb - 1) for p in pairs]
        self.size = 1 + self.n_inc + self.m + sum(self.pair_sizes)
        self.seg = seg

    def bounds(self) -> list[tuple[float | None, float | None]]:
        b: list[tuple[float | None, float | None]] = [(None, None)]
        b += [(0.0, None) if self.main.sign[j] > 0 else (None, None) for j in self.seg]
        b += [(None, None)] * self.m
        b += [(0.0, None)] * sum(self.pair_sizes)
        return b

    def _values(self, w: np.ndarray) -> np.ndarray:
        D = np.zeros(self.total)
        D[self.free_slots] = w[1 : 1 + self.n_inc]
        cs = np.cumsum(D)
        return cs - np.repeat(cs[self.starts], self.main.K)

    @staticmethod
    def grid(D: np.ndarray, Ka: int, Kb: int) -> np.ndarray:
        G = np.zeros((Ka, Kb))
        G[1:, 1:] = D.reshape(Ka - 1, Kb - 1)
        return G.cumsum(axis=0).cumsum(axis=1)

    def _pair_params(self, w: np.ndarray) -> list[np.ndarray]:
        pos = 1 + self.n_inc + self.m
        out = []
        for size in self.pair_sizes:
            out.append(w[pos : pos + size])
            pos += size
        return out

    def terms(self, w: np.ndarray) -> np.ndarray:
        """Per-row value of every term, shape (n, m + pairs)."""
        mn = self.main
        v = self._values(w)
        T = v[mn.left] * (1.0 - mn.u) + v[mn.right] * mn.u
        nanw = w[1 + self.n_inc : 1 + self.n_inc + self.m]
        T = np.where(mn.nan, nanw[None, :], T)
        cols = [T]
        for p, D in zip(self.pairs, self._pair_params(w), strict=True):
            V = self.grid(D, p.Ka, p.Kb).ravel()
            cols.append(sum(V[ix] * wt for ix, wt in zip(p.idx, p.w, strict=True))[:, None])
        return np.hstack(cols) if len(cols) > 1 else T

    def eta(self, w: np.ndarray) -> np.ndarray:
        mn = self.main
        e = w[0] + mn.B @ self._values(w)
        if mn.nan_cols.size:
            e += mn.nan_f @ w[1 + self.n_inc + mn.nan_cols]
        for p, D in zip(self.pairs, self._pair_params(w), strict=True):
            V = self.grid(D, p.Ka, p.Kb).ravel()
            e += sum(V[ix] * wt for ix, wt in zip(p.idx, p.w, strict=True))
        return e

    def objective(self, w: np.ndarray, t: np.ndarray, lam: float, lam_pair: float):
        n = t.size
        mn = self.main
        eta = self.eta(w)
        nll = float(np.mean(np.logaddexp(0.0, eta) - t * eta))
        r = (expit(eta) - t) / n
        g = np.zeros_like(w)
        g[0] = r.sum()
        gv = mn.BT @ r
        rc = np.concatenate([np.cumsum(gv[::-1])[::-1], [0.0]])
        ends = np.concatenate([self.starts[1:], [self.total]])
        seg_end = np.repeat(ends, mn.K)
        within = rc[:-1] - rc[seg_end]
        inc = slice(1, 1 + self.n_inc)
        d = w[inc]
        dd = np.where(self.same_seg, np.diff(d), 0.0)
        gp = np.zeros_like(d)
        gp[:-1] -= 2 * lam * dd
        gp[1:] += 2 * lam * dd
        g[inc] = within[self.free_slots] + (gp + 2e-6 * d) / n
        pen = lam * float(dd @ dd) + 1e-6 * float(d @ d)
        if mn.nan_cols.size:
            g[1 + self.n_inc + mn.nan_cols] = r @ mn.nan_f
        pos = 1 + self.n_inc + self.m
        for p, D in zip(self.pairs, self._pair_params(w), strict=True):
            gV = np.zeros(p.Ka * p.Kb)
            for ix, wt in zip(p.idx, p.w, strict=True):
                gV += np.bincount(ix, r * wt, minlength=p.Ka * p.Kb)
            G = gV.reshape(p.Ka, p.Kb)[::-1, ::-1].cumsum(axis=0).cumsum(axis=1)[::-1, ::-1]
            g[pos : pos + D.size] = G[1:, 1:].ravel() + 2 * lam_pair * D / n
            pen += lam_pair * float(D @ D)
            pos += D.size
        return nll + pen / n, g


def _minimise(prob: _Problem, t: np.ndarray, lam: float, w0: np.ndarray, max_iter: int) -> np.ndarray:
    from scipy.optimize import minimize

    res = minimize(prob.objective, w0, args=(t, lam, lam), jac=True, method="L-BFGS-B",
                   bounds=prob.bounds(), options={"maxiter": max_iter, "gtol": 1e-7, "ftol": 1e-10})
    return np.asarray(res.x, dtype=float)


class MonotoneGAM:
    """Penalised logistic additive model, monotone per column (see the module notes).

    Parameters
    ----------
    monotonic_cst : array-like of {-1, 0, 1}, optional
        Per column: +1 increasing, -1 decreasing, 0 free.
    n_knots : int, default=24
        Largest number of knots of a main effect.
    max_interactions : int, default=2
        Largest number of pairwise terms tried (0: additive only).
    min_gain : float, default=1e-3
        Relative fall of the cross-validated log loss a pair must bring to be kept.
    pair_knots : int, default=5
        Knots per column of a pairwise term.
    lambdas : sequence of float, optional
        Penalty grid (default 1, 10, ..., 1e5).
    cv : int, default=5
        Folds of the internal cross-validation.
    random_state : int, default=0
        Seed of the folds.
    max_iter : int, default=500
        L-BFGS-B iterations per fit.
    """

    def __init__(self, monotonic_cst: Any = None, *, n_knots: int = 24, max_interactions: int = 2,
                 pair_knots: int = 5, lambdas: Any = None, cv: int = 5, random_state: int = 0,
                 max_iter: int = 500, min_gain: float = 1e-3) -> None:
        self.monotonic_cst = monotonic_cst
        self.n_knots = n_knots
        self.max_interactions = max_interactions
        self.pair_knots = pair_knots
        self.lambdas = lambdas
        self.cv = cv
        self.random_state = random_state
        self.max_iter = max_iter
        self.min_gain = min_gain

    # ---------------------------------------------------------------- design
    def _signed(self, X: np.ndarray) -> np.ndarray:
        return X * np.where(self.cst_ < 0, -1.0, 1.0)[None, :]

    def _mains(self, X: np.ndarray) -> _Main:
        S = self._signed(X)
        K = np.array([kn.size for kn in self.knots_], dtype=np.intp)
        starts = np.concatenate([[0], np.cumsum(K)[:-1]]).astype(np.intp)
        n, m = X.shape
        left = np.empty((n, m), dtype=np.intp)
        u = np.empty((n, m))
        nan = np.empty((n, m), dtype=bool)
        for j, kn in enumerate(self.knots_):
            k, uj, nj = hat_index(S[:, j], kn)
            left[:, j], u[:, j], nan[:, j] = k, np.where(nj, 0.0, uj), nj
        right = np.minimum(left + 1, K[None, :] - 1) + starts[None, :]
        return _Main(K, left + starts[None, :], right, u, nan, (self.cst_ != 0).astype(np.int64))

    def _pairs(self, X: np.ndarray, pairs: list[tuple[int, int]], knots: dict) -> list[_Pair]:
        S = self._signed(X)
        out = []
        for a, b in pairs:
            ka, ua, na = hat_index(S[:, a], knots[a])
            kb, ub, nb = hat_index(S[:, b], knots[b])
            Ka, Kb = knots[a].size, knots[b].size
            ua, ub = np.where(na, 0.0, ua), np.where(nb, 0.0, ub)
            ka, kb = np.where(na, 0, ka), np.where(nb, 0, kb)
            ka1, kb1 = np.minimum(ka + 1, Ka - 1), np.minimum(kb + 1, Kb - 1)
            idx = [ka * Kb + kb, ka1 * Kb + kb, ka * Kb + kb1, ka1 * Kb + kb1]
            wts = [(1 - ua) * (1 - ub), ua * (1 - ub), (1 - ua) * ub, ua * ub]
            out.append(_Pair(Ka, Kb, idx, wts))
        return out

    def _problem(self, X: np.ndarray, pairs: list[tuple[int, int]]) -> _Problem:
        return _Problem(self._mains(X), self._pairs(X, pairs, self.pair_knots_))

    @staticmethod
    def _take(prob: _Problem, rows: np.ndarray) -> _Problem:
        pairs = [_Pair(p.Ka, p.Kb, [i[rows] for i in p.idx], [w[rows] for w in p.w]) for p in prob.pairs]
        return _Problem(prob.main.take(rows), pairs)

    @staticmethod
    def _start(prob: _Problem, t: np.ndarray) -> np.ndarray:
        w = np.zeros(prob.size)
        rate = float(np.clip(t.mean(), 1e-6, 1 - 1e-6))
        w[0] = np.log(rate / (1 - rate))
        return w

    @staticmethod
    def _extend(w: np.ndarray, old: _Problem, new: _Problem) -> np.ndarray:
        out = np.zeros(new.size)
        out[: old.size] = w
        return out

    # ---------------------------------------------------------------- fit
    def fit(self, X: np.ndarray, y: np.ndarray) -> MonotoneGAM:
        """Fit on a numeric matrix and 0/1 outcomes (chooses the penalty and the pairs by CV).

        The small dense products run on one BLAS thread: with more, the threads' spinning
        made the fit many times slower on a busy machine.
        """
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(X, y)

    def _fit(self, X: np.ndarray, y: np.ndarray) -> MonotoneGAM:
        from sklearn.model_selection import StratifiedKFold

        X = np.asarray(X, dtype=float)
        t = np.asarray(y, dtype=float)
        n, m = X.shape
        # canonical row order (by outcome, then the columns): the folds, the knots and every
        # sum are then the same whatever order the rows came in
        keys = [np.nan_to_num(X[:, j], nan=np.inf) for j in range(m - 1, -1, -1)]
        order = np.lexsort([*keys, t]) if n else np.arange(0)
        X, t = X[order], t[order]
        cst = np.zeros(m) if self.monotonic_cst is None else np.asarray(self.monotonic_cst, dtype=float)
        if cst.shape != (m,):
            raise ValueError(f"monotonic_cst has {cst.size} entries, X has {m} columns")
        self.cst_ = np.sign(cst).astype(np.int64)
        S = self._signed(X)
        self.knots_ = [make_knots(S[:, j], self.n_knots) for j in range(m)]
        self.has_nan_ = [bool(np.isnan(X[:, j]).any()) for j in range(m)]
        self.pair_knots_ = {j: make_knots(S[:, j], self.pair_knots) for j in range(m)}
        lambdas = tuple(self.lambdas) if self.lambdas is not None else _LAMBDAS
        n_events = int(min(t.sum(), n - t.sum()))
        n_splits = max(2, min(self.cv, n_events, 3 if n > 20_000 else self.cv))
        skf = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)
        folds = list(skf.split(X, t))
        prob0 = self._problem(X, [])
        # additive model: penalty path, strongest first, warm-started
        # additive model: penalty path, strongest first, warm-started; the path stops once
        # the cross-validated log loss has risen twice in a row
        path = sorted(lambdas, reverse=True)
        oof: dict[float, np.ndarray] = {}
        fold_w: list[dict[Any, np.ndarray]] = [{} for _ in folds]
        fold_p = [(self._take(prob0, tr), self._take(prob0, te)) for tr, te in folds]
        worse, best = 0, np.inf
        for lam in path:
            eta = np.empty(n)
            for f, (tr, te) in enumerate(folds):
                ptr, pte = fold_p[f]
                prev = fold_w[f].get("last")
                w0 = self._start(ptr, t[tr]) if prev is None else prev
                w = _minimise(ptr, t[tr], lam, w0, self.max_iter)
                fold_w[f][lam] = fold_w[f]["last"] = w
                eta[te] = pte.eta(w)
            oof[lam] = eta
            loss = float(np.mean(np.logaddexp(0.0, eta) - t * eta))
            worse = worse + 1 if loss >= best else 0
            best = min(best, loss)
            if worse >= 2:
                break
        cv_loss = {lam: float(np.mean(np.logaddexp(0.0, e) - t * e)) for lam, e in oof.items()}
        lam = min(cv_loss, key=lambda k: (cv_loss[k], -k))
        self.cv_loss_ = {str(k): v for k, v in cv_loss.items()}
        self.penalty_ = float(lam)
        w_full = _minimise(prob0, t, lam, self._start(prob0, t), self.max_iter)
        best_eta, best_loss, prob, w_best = oof[lam], cv_loss[lam], prob0, w_full
        pairs: list[tuple[int, int]] = []
        # pairwise terms: screen by the gradient of the additive fit, keep if CV improves
        cand = self._screen(X, t, prob0, w_full) if self.max_interactions > 0 else []
        for pair in cand[: self.max_interactions]:
            trial = [*pairs, pair]
            pt = self._problem(X, trial)
            eta = np.empty(n)
            for f, (tr, te) in enumerate(folds):
                ptr, pte = self._take(pt, tr), self._take(pt, te)
                w0 = self._extend(fold_w[f][lam] if not pairs else fold_w[f]["pairs"], prob, pt)
                w = _minimise(ptr, t[tr], lam, w0, self.max_iter)
                fold_w[f]["trial"] = w
                eta[te] = pte.eta(w)
            loss = float(np.mean(np.logaddexp(0.0, eta) - t * eta))
            if loss < best_loss * (1.0 - self.min_gain):
                best_loss, best_eta, pairs = loss, eta, trial
                w_best = _minimise(pt, t, lam, self._extend(w_best, prob, pt), self.max_iter)
                prob = pt
                for fw in fold_w:
                    fw["pairs"] = fw["trial"]
            else:
                break
        self.pairs_ = [(int(a), int(b)) for a, b in pairs]
        self.coef_ = w_best
        self.oof_proba_ = np.empty(n)
        self.oof_proba_[order] = expit(best_eta)
        self.cv_log_loss_ = best_loss
        self.term_means_ = prob.terms(w_best).mean(axis=0)
        self.n_features_in_ = m
        return self

    def _screen(self, X: np.ndarray, t: np.ndarray, prob0: _Problem, w: np.ndarray) -> list[tuple[int, int]]:
        """Pairs of constrained columns ranked by the score of a reinforcing interaction."""
        r = expit(prob0.eta(w)) - t
        cols = [j for j in range(X.shape[1]) if self.cst_[j] != 0 and self.pair_knots_[j].size > 1]
        scores = []
        for i, a in enumerate(cols):
            for b in cols[i + 1:]:
                p = self._pairs(X, [(a, b)], self.pair_knots_)[0]
                gV = np.zeros(p.Ka * p.Kb)
                for ix, wt in zip(p.idx, p.w, strict=True):
                    gV += np.bincount(ix, r * wt, minlength=p.Ka * p.Kb)
                G = gV.reshape(p.Ka, p.Kb)[::-1, ::-1].cumsum(axis=0).cumsum(axis=1)[::-1, ::-1][1:, 1:]
                scores.append((float(np.sum(np.minimum(G, 0.0) ** 2)), a, b))
        scores.sort(key=lambda s: (-s[0], s[1], s[2]))
        return [(a, b) for s, a, b in scores if s > 0]

    # ---------------------------------------------------------------- predict
    def _check(self, X: Any) -> np.ndarray:
        if not hasattr(self, "coef_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("MonotoneGAM is not fitted")
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[-1]} columns, the model was fitted on {self.n_features_in_}")
        return X

    def terms(self, X: Any) -> np.ndarray:
        """Per-row term values, shape (n, columns + pairs); unseen missing -> the term mean."""
        X = self._check(X)
        prob = self._problem(X, self.pairs_)
        T = prob.terms(self.coef_)
        for j in range(self.n_features_in_):
            if not self.has_nan_[j]:
                T[:, j] = np.where(np.isnan(X[:, j]), self.term_means_[j], T[:, j])
        return T

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds."""
        T = self.terms(X)
        return self.coef_[0] + T.sum(axis=1)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of the two classes, shape (n, 2)."""
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def effects(self, X: Any) -> np.ndarray:
        """Each column's contribution to the log-odds against the training mean.

        A pair's term is split equally between its two columns; the row sums equal
        ``decision_function(X) - mean training log-odds`` exactly.
        """
        T = self.terms(X) - self.term_means_[None, :]
        m = self.n_features_in_
        E = T[:, :m].copy()
        for i, (a, b) in enumerate(self.pairs_):
            E[:, a] += 0.5 * T[:, m + i]
            E[:, b] += 0.5 * T[:, m + i]
        return E

    @property
    def mean_log_odds_(self) -> float:
        """Mean training log-odds (the reference of :meth:`effects`)."""
        return float(self.coef_[0] + self.term_means_.sum())

    # ---------------------------------------------------------------- card
    def to_dict(self) -> dict[str, Any]:
        """Every parameter that defines the predictions, as JSON-ready lists."""
        return {
            "kind": "monotone_gam",
            "monotonic_cst": self.cst_.tolist(),
            "knots": [k.tolist() for k in self.knots_],
            "pair_knots": {str(j): self.pair_knots_[j].tolist() for a_b in self.pairs_ for j in a_b},
            "has_nan": list(self.has_nan_),
            "pairs": [list(p) for p in self.pairs_],
            "coef": self.coef_.tolist(),
            "term_means": self.term_means_.tolist(),
            "penalty": self.penalty_,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MonotoneGAM:
        """Rebuild a fitted model from :meth:`to_dict` (predictions identical)."""
        if d.get("kind") != "monotone_gam":
            raise ValueError(f"not a monotone_gam card: kind={d.get('kind')!r}")
        m = cls(monotonic_cst=d["monotonic_cst"])
        m.cst_ = np.asarray(d["monotonic_cst"], dtype=np.int64)
        m.knots_ = [np.asarray(k, dtype=float) for k in d["knots"]]
        m.pair_knots_ = {int(j): np.asarray(k, dtype=float) for j, k in d["pair_knots"].items()}
        m.has_nan_ = [bool(h) for h in d["has_nan"]]
        m.pairs_ = [(int(a), int(b)) for a, b in d["pairs"]]
        m.coef_ = np.asarray(d["coef"], dtype=float)
        m.term_means_ = np.asarray(d["term_means"], dtype=float)
        m.penalty_ = float(d["penalty"])
        m.n_features_in_ = len(m.knots_)
        return m
