"""Weight distributions for SMAA: samplers on the simplex of factor weights.

Every sampler is a small frozen object with ``sample(n_draws, rng) -> ndarray (D, m)``
whose rows are non-negative and sum to 1. The exact samplers follow Tervonen &
Lahdelma (2007, EJOR 178) and Tervonen et al. (2013, EJOR 224, 552-559):

* no preference information: uniform on the simplex through normalised exponential
  variates (Rubin 1981, Ann. Statist. 9; Devroye 1986, *Non-Uniform Random Variate
  Generation*, ch. V.2);
* ordinal constraints ``w_a >= w_b >= ...``: sort a uniform draw (exact by symmetry);
* lower bounds ``w >= l``: ``l + (1 - sum l) * uniform`` (exact, affine image);
* general interval bounds: hit-and-run (Smith 1984, Oper. Res. 32, 1296-1308), as
  recommended by Tervonen et al. (2013), or rejection from the uniform simplex;
* Dirichlet centred on given weights with a stated concentration;
* the experts' spread from a group AHP: resample experts and/or move judgements by
  steps on the Saaty 1-9 scale, aggregate by the geometric mean, principal
  eigenvector;
* bootstrap of the inventory rows for data-driven (entropy, CRITIC) weights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from riskgrade.exceptions import RiskgradeError

__all__ = [
    "AHPExperts",
    "Bootstrap",
    "Dirichlet",
    "FixedDraws",
    "IntervalBounds",
    "LowerBounds",
    "Ordinal",
    "UniformSimplex",
    "WeightSampler",
    "hit_and_run",
    "uniform_simplex",
]

SAATY_SCALE = np.array([1 / 9, 1 / 8, 1 / 7, 1 / 6, 1 / 5, 1 / 4, 1 / 3, 1 / 2, 1, 2, 3, 4, 5, 6, 7, 8, 9])


def uniform_simplex(n_draws: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform draws on the (m-1)-simplex by normalised exponentials.

    If ``E_1..E_m`` are i.i.d. standard exponential, ``E / sum(E)`` is uniform on the
    simplex (Rubin 1981; Devroye 1986, ch. V.2): the flat Dirichlet(1, ..., 1).

    Parameters
    ----------
    n_draws, m : int
        Number of draws and of factors.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    ndarray of shape (n_draws, m)
    """
    E = rng.standard_exponential((n_draws, m))
    return E / E.sum(axis=1, keepdims=True)


class WeightSampler:
    """Base class: a distribution of factor weights.

    Subclasses implement :meth:`sample`. ``m`` is the number of factors; samplers
    built without knowing it (``UniformSimplex()``) take it from the caller.
    """

    def sample(self, n_draws: int, rng: np.random.Generator, m: int | None = None) -> np.ndarray:
        """Draw ``n_draws`` weight vectors (rows on the simplex)."""
        raise NotImplementedError


@dataclass(frozen=True)
class UniformSimplex(WeightSampler):
    """No preference information: uniform on the weight simplex (Lahdelma & Salminen 2001)."""

    def sample(self, n_draws: int, rng: np.random.Generator, m: int | None = None) -> np.ndarray:
        """Draw uniform weights (see :func:`uniform_simplex`)."""
        if m is None:
            raise RiskgradeError("UniformSimplex.sample needs the number of factors m")
        return uniform_simplex(n_draws, m, rng)


def _vector(x: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 1 or a.size == 0 or not np.isfinite(a).all():
        raise RiskgradeError(f"{name} must be a non-empty 1-D array of finite numbers")
    return a


@dataclass(frozen=True)
class Dirichlet(WeightSampler):
    """Dirichlet centred on ``center`` with total concentration ``concentration``.

    ``w ~ Dirichlet(concentration * center)``: the mean is ``center`` and
    ``Var(w_j) = c_j (1 - c_j) / (concentration + 1)``. Factors with centre weight 0
    stay at 0.

    Parameters
    ----------
    center : array-like of shape (m,)
        Mean weights (normalised to sum 1).
    concentration : float
        Sum of the Dirichlet parameters (larger = tighter around ``center``).
    """

    center: tuple[float, ...]
    concentration: float = 50.0

    def __init__(self, center: Sequence[float] | np.ndarray, concentration: float = 50.0) -> None:
        c = _vector(center, "center")
        if (c < 0).any() or c.sum() <= 0:
            raise RiskgradeError("center must be non-negative with a positive sum")
        if not concentration > 0:
            raise RiskgradeError(f"concentration must be positive, got {concentration!r}")
        object.__setattr__(self, "center", tuple((c / c.sum()).tolist()))
        object.__setattr__(self, "concentration", float(concentration))

    def sample(self, n_draws: int, rng: np.random.Generator, m: int | None = None) -> np.ndarray:
        """Draw Dirichlet weights (zero-weight factors stay 0)."""
        c = np.asarray(self.center)
        out = np.zeros((n_draws, c.size))
        pos = c > 0
        out[:, pos] = rng.dirichlet(self.concentration * c[pos], n_draws)
        return out


@dataclass(frozen=True)
class Ordinal(WeightSampler):
    """Ordinal preference ``w[order[0]] >= w[order[1]] >= ...`` (exact sampler).

    Sorting a uniform simplex draw in decreasing order gives a uniform draw on the
    ordered sub-simplex, by symmetry (Tervonen & Lahdelma 2007). Factors not listed
    in ``order`` are unconstrained.

    Parameters
    ----------
    order : sequence of int
        Factor indices from most to least important.
    m : int
        Number of factors.
    """

    order: tuple[int, ...]
    m: int

    def __init__(self, order: Sequence[int], m: int) -> None:
        o = tuple(int(i) for i in order)
        if len(set(o)) != len(o) or any(not 0 <= i < m for i in o):
            raise RiskgradeError(f"order must list distinct factor indices in 0..{m - 1}, got {o}")
        object.__setattr__(self, "order", o)
        object.__setattr__(self, "m", int(m))

    def sample(self, n_draws: int, rng: np.random.Generator, m: int | None = None) -> np.ndarray:
        """Draw weights satisfying the ordinal constraints."""
        W = uniform_simplex(n_draws, self.m, rng)
        o = np.asarray(self.order, dtype=np.int64)
        if o.size:
            W[:, o] = -np.sort(-W[:, o], axis=1)
        return W


def _check_bounds(lower: np.ndarray, upper: np.ndarray) -> None:
    if lower.shape != upper.shape:
        raise RiskgradeError("lower and upper bounds must have the same length")
    if (lower < 0).any() or (upper > 1).any() or (lower > upper).any():
        raise RiskgradeError("bounds must satisfy 0 <= lower <= upper <= 1")
    if lower.sum() > 1 + 1e-12 or upper.sum() < 1 - 1e-12:
        raise RiskgradeError(
            f"bounds are infeasible: sum(lower) = {lower.sum():g} must be <= 1 "
            f"<= sum(upper) = {upper.sum():g}"
        )


@dataclass(frozen=True)
class LowerBounds(WeightSampler):
    """Lower bounds ``w >= lower`` (exact: ``lower + (1 - sum lower) * uniform``).

    Parameters
    ----------
    lower : array-like of shape (m,)
        Lower bounds with ``sum(lower) <= 1``.
    """

    lower: tuple[float, ...]

    def __init__(self, lower: Sequence[float] | np.ndarray) -> None:
        lo = _vector(lower, "lower")
        _check_bounds(lo, np.ones_like(lo))
        object.__setattr__(self, "lower", tuple(lo.tolist()))

    def sample(self, n_draws: int, rng: np.random.Generator, m: int | None = None) -> np.ndarray:
        """Draw weights above the lower bounds."""
        lo = np.asarray(self.lower)
        return lo + (1.0 - lo.sum()) * uniform_simplex(n_draws, lo.size, rng)


def hit_and_run(
    lower: np.ndarray,
    upper: np.ndarray,
    n_draws: int,
    rng: np.random.Generator,
    *,
    thin: int | None = None,
    burn_in: int | None = None,
    n_chains: int = 1024,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Uniform draws on ``{w : sum w = 1, lower <= w <= upper}`` by hit-and-run.

    Each step picks a uniformly random direction in the hyperplane ``sum w = 0``,
    finds the chord of the polytope through the current point along it and moves to
    a uniform point of the chord (Smith 1984). Chains run in parallel (vectorised),
    start from an interior point, discard ``burn_in`` steps and keep every
    ``thin``-th point. The default thinning ``m**2`` is lighter than the worst-case
    mixing bound ``O(m**3)`` discussed by Tervonen et al. (2013, EJOR 224); the
    tests check it against exact rejection sampling.

    Parameters
    ----------
    lower, upper : ndarray of shape (m,)
        Bounds, feasible: ``sum(lower) <= 1 <= sum(upper)``.
    n_draws : int
        Draws to return.
    rng : numpy.random.Generator
        Source of randomness.
    thin, burn_in : int, optional
        Thinning interval (default ``m**2``, at least 10) and burn-in steps (default
        ``10 * thin``).
    n_chains : int, default 1024
        Independent chains run side by side.
    start : ndarray of shape (m,), optional
        Interior starting point (default: ``lower + theta (upper - lower)``).

    Returns
    -------
    ndarray of shape (n_draws, m)
    """
    lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    _check_bounds(lo, hi)
    m = lo.size
    thin = max(10, m**2) if thin is None else max(1, int(thin))
    burn_in = 10 * thin if burn_in is None else max(0, int(burn_in))
    n_chains = max(1, min(int(n_chains), n_draws))
    per_chain = -(-n_draws // n_chains)
    if start is None:
        span = hi - lo
        theta = (1.0 - lo.sum()) / span.sum() if span.sum() > 0 else 0.0
        start = lo + theta * span
    x = np.tile(np.asarray(start, dtype=float), (n_chains, 1))
    free = hi > lo  # fixed coordinates (lower == upper) never move
    out = np.empty((per_chain, n_chains, m))
    kept = 0
    for step in range(1, burn_in + per_chain * thin + 1):
        d = rng.standard_normal((n_chains, m)) * free
        d -= free * (d.sum(axis=1, keepdims=True) / max(1, free.sum()))  # stay on sum w = 1
        with np.errstate(divide="ignore", invalid="ignore"):
            a = (lo - x) / d
            b = (hi - x) / d
        tmin = np.where(d > 0, a, np.where(d < 0, b, -np.inf)).max(axis=1)
        tmax = np.where(d > 0, b, np.where(d < 0, a, np.inf)).min(axis=1)
        tmin = np.minimum(tmin, 0.0)
        tmax = np.maximum(tmax, 0.0)
        t = tmin + (tmax - tmin) * rng.random(n_chains)
        x = np.clip(x + t[:, None] * d, lo, hi)
        if step > burn_in and (step - burn_in) % thin == 0:
            out[kept] = x
            kept += 1
    W = out.reshape(-1, m)[:n_draws]
    return W / W.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class IntervalBounds(WeightSampler):
    """Interval bounds ``lower <= w <= upper`` on the simplex.

    Parameters
    ----------
    lower, upper : array-like of shape (m,)
        Bounds.
    method : {"hit_and_run", "rejection"}
        Hit-and-run (Smith 1984; Tervonen et al. 2013) or rejection from the uniform
        simplex, exact but slow when the feasible set is small (10 % acceptance for
        [0.05, 0.30]^7).
    thin : int, optional
        Hit-and-run thinning (default ``m**2``).
    max_tries : int
        Rejection: give up after this many candidate draws.
    """

    lower: tuple[float, ...]
    upper: tuple[float, ...]
    method: str = "hit_and_run"
    thin: int | None = None
    max_tries: int = 10_000_000

    def __init__(
        self,
        lower: Sequence[float] | np.ndarray,
        upper: Sequence[float] | np.ndarray,
        method: str = "hit_and_run",
        thin: int | None = None,
        max_tries: int = 10_000_000,
    ) -> None:
        lo, hi = _vector(lower, "lower"), _vector(upper, "upper")
        _check_bounds(lo, hi)
        if method not in ("hit_and_run", "rejection"):
            raise RiskgradeError(f"method must be 'hit_and_run' or 'rejection', got {method!r}")
        object.__setattr__(self, "lower", tuple(lo.tolist()))
        object.__setattr__(self, "upper", tuple(hi.tolist()))
        object.__setattr__(self, "method", method)
        object.__setattr__(self, "thin", thin)
        object.__setattr__(self, "max_tries", int(max_tries))

    def sample(self, n_draws: int, rng: np.random.Generator, m: int | None = None) -> np.ndarray:
        """Draw weights within the bounds."""
        lo, hi = np.asarray(self.lower), np.asarray(self.upper)
        if self.method == "hit_and_run":
            return hit_and_run(lo, hi, n_draws, rng, thin=self.thin)
        got: list[np.ndarray] = []
        n_got, tried = 0, 0
        while n_got < n_draws:
            batch = max(1024, 2 * (n_draws - n_got))
            W = uniform_simplex(batch, lo.size, rng)
            ok = W[((lo <= W) & (hi >= W)).all(axis=1)]
            got.append(ok)
            n_got += ok.shape[0]
            tried += batch
            if tried > self.max_tries and n_got < n_draws:
                raise RiskgradeError(
                    f"rejection sampling accepted {n_got} of {tried} draws; use method='hit_and_run'"
                )
        return np.concatenate(got)[:n_draws]


def _principal_eigenvectors(A: np.ndarray) -> np.ndarray:
    """Normalised principal right eigenvectors of a stack of positive matrices (Saaty 1980)."""
    vals, vecs = np.linalg.eig(A)
    i = np.argmax(vals.real, axis=-1)
    v = np.abs(np.take_along_axis(vecs.real, i[:, None, None], axis=-1)[..., 0])
    return v / v.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class AHPExperts(WeightSampler):
    """The experts' spread of a group AHP.

    Each draw resamples the experts with replacement (``resample=True``) and/or moves
    every judgement above the diagonal by a uniformly chosen number of steps in
    ``-perturb .. perturb`` on the Saaty scale 1/9 .. 9 (Saaty 1980), aggregates the
    matrices by the element-wise geometric mean (AIJ; Aczél & Saaty 1983) and takes
    the principal eigenvector. When :mod:`riskgrade.weighting` provides
    ``ahp_batch``, it computes the weights.

    Parameters
    ----------
    matrices : array-like of shape (n_experts, m, m)
        Reciprocal pairwise-comparison matrices, one per expert.
    resample : bool, default True
        Resample experts with replacement.
    perturb : int, default 0
        Largest move, in Saaty-scale steps, of each judgement.
    """

    matrices: np.ndarray = field(repr=False)
    resample: bool = True
    perturb: int = 0

    def __init__(self, matrices: np.ndarray, resample: bool = True, perturb: int = 0) -> None:
        A = np.asarray(matrices, dtype=float)
        if A.ndim == 2:
            A = A[None]
        if A.ndim != 3 or A.shape[1] != A.shape[2] or A.shape[1] < 2:
            raise RiskgradeError(f"matrices must have shape (n_experts, m, m), got {A.shape}")
        if not (np.isfinite(A).all() and (A > 0).all()):
            raise RiskgradeError("judgement matrices must be positive and finite")
        if not np.allclose(A * np.swapaxes(A, 1, 2), 1.0, rtol=1e-6):
            raise RiskgradeError("judgement matrices must be reciprocal (a_ji = 1 / a_ij)")
        object.__setattr__(self, "matrices", A)
        object.__setattr__(self, "resample", bool(resample))
        object.__setattr__(self, "perturb", int(perturb))

    def sample(self, n_draws: int, rng: np.random.Generator, m: int | None = None) -> np.ndarray:
        """Draw group-AHP weights."""
        A = self.matrices
        n_exp, k = A.shape[0], A.shape[1]
        pick = (
            rng.integers(0, n_exp, (n_draws, n_exp))
            if self.resample
            else np.tile(np.arange(n_exp), (n_draws, 1))
        )
        logA = np.log(A)[pick]  # (D, E, k, k)
        if self.perturb:
            iu = np.triu_indices(k, 1)
            up = np.log(A[:, iu[0], iu[1]])[pick]  # (D, E, p)
            pos = np.abs(np.log(SAATY_SCALE)[None, None, None, :] - up[..., None]).argmin(axis=-1)
            pos = np.clip(
                pos + rng.integers(-self.perturb, self.perturb + 1, pos.shape), 0, SAATY_SCALE.size - 1
            )
            val = np.log(SAATY_SCALE)[pos]
            logA[..., iu[0], iu[1]] = val
            logA[..., iu[1], iu[0]] = -val
        G = np.exp(logA.mean(axis=1))  # geometric-mean aggregation (AIJ)
        try:  # pragma: no cover - depends on the weighting module
            from riskgrade.weighting import ahp_batch  # type: ignore[attr-defined]
        except ImportError:
            return _principal_eigenvectors(G)
        res = ahp_batch(G)  # pragma: no cover
        W = np.asarray(getattr(res, "weights", res), dtype=float)  # pragma: no cover
        return W / W.sum(axis=1, keepdims=True)  # pragma: no cover


@dataclass(frozen=True)
class Bootstrap(WeightSampler):
    """Weights recomputed on bootstrap resamples of the inventory rows.

    Parameters
    ----------
    X : array-like of shape (n, m)
        The data the weights are computed from (e.g. factor scores).
    weight_fn : callable
        ``weight_fn(X_resample) -> array (m,)``, e.g. an entropy or CRITIC function.
    """

    X: np.ndarray = field(repr=False)
    weight_fn: Callable[[np.ndarray], np.ndarray] = field(repr=False)

    def sample(self, n_draws: int, rng: np.random.Generator, m: int | None = None) -> np.ndarray:
        """Draw weights from bootstrap resamples (one weight computation per draw)."""
        X = np.asarray(self.X)
        n = X.shape[0]
        out = np.empty((n_draws, X.shape[1]))
        for d in range(n_draws):
            w = np.asarray(self.weight_fn(X[rng.integers(0, n, n)]), dtype=float)
            out[d] = w / w.sum()
        return out


@dataclass(frozen=True)
class FixedDraws(WeightSampler):
    """Given weight vectors, cycled in order (for draws computed elsewhere)."""

    draws: np.ndarray = field(repr=False)

    def sample(self, n_draws: int, rng: np.random.Generator, m: int | None = None) -> np.ndarray:
        """Return ``n_draws`` rows of the stored draws, cycling."""
        W = np.asarray(self.draws, dtype=float)
        return W[np.arange(n_draws) % W.shape[0]]
