r"""Calibration and discrimination metrics for probabilities of a rare event.

Every function takes outcomes ``y`` (0/1) and probabilities ``p`` and returns numbers
or small frozen results. Sources are given per function; the methodology page
``docs/methodology/calibration.md`` has the formulas.

Noise matters at a few percent events: an ECE of 0.005 on 5,000 rows is what a
*perfect* forecaster shows by chance, so :func:`ece_noise_floor` gives the distribution
of the ECE of the same predictions when the outcomes are drawn from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, logit, xlogy
from sklearn.isotonic import isotonic_regression

from riskgrade.calibration.maps import fit_logistic

__all__ = [
    "ECEResult",
    "HosmerLemeshowResult",
    "auc",
    "brier_decomposition",
    "brier_score",
    "calibration_intercept_slope",
    "corp_decomposition",
    "ece",
    "ece_noise_floor",
    "equal_mass_bins",
    "hosmer_lemeshow",
    "log_loss",
    "precision_lift_at",
    "spiegelhalter_z",
]


def _yp(y: np.ndarray, p: np.ndarray, *, scores: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Validated outcomes and predictions in canonical order (see :func:`_canonical`)."""
    y = np.asarray(y, dtype=float).ravel()
    p = np.asarray(p, dtype=float).ravel()
    if y.shape != p.shape:
        raise ValueError(f"y has {y.size} values, p has {p.size}")
    if y.size == 0:
        raise ValueError("y and p are empty")
    bad_y = ~np.isin(y, (0.0, 1.0))
    if bad_y.any():
        raise ValueError(f"y must hold 0/1 outcomes, got {np.unique(y[bad_y])[:5].tolist()}")
    if not np.all(np.isfinite(p)):
        raise ValueError("p must be finite (no NaN)")
    if not scores and np.any((p < 0) | (p > 1)):
        raise ValueError("p must hold probabilities in [0, 1]")
    return _canonical(y, p)


def _canonical(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows sorted by ``(p, y)``: the order every metric sums in.

    Rows with equal ``(p, y)`` are interchangeable, so after this sort the arrays, and
    every figure computed from them, are bit-for-bit the same whatever the input row
    order. ``-0.0`` is made ``+0.0`` first (they compare equal but print differently).
    """
    p = p + 0.0
    if p.size > 1:
        dp = np.diff(p)
        if not (np.all(dp >= 0) and np.all((dp > 0) | (np.diff(y) >= 0))):
            order = np.lexsort((y, p))
            y, p = y[order], p[order]
    return y, p


def brier_score(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared difference ``mean((p - y)^2)`` (Brier 1950).

    Examples
    --------
    >>> brier_score([0, 1], [0.1, 0.7])
    0.05
    """
    y, p = _yp(y, p)
    return float(np.mean((p - y) ** 2))


def log_loss(y: np.ndarray, p: np.ndarray, *, eps: float | None = None) -> float:
    """Mean negative log-likelihood, probabilities clipped to ``[eps, 1 - eps]``.

    Parameters
    ----------
    y, p : array-like
        Outcomes (0/1) and probabilities.
    eps : float, optional
        Clipping bound; by default the machine epsilon of float64
        (``numpy.finfo(float).eps``, about 2.2e-16), as scikit-learn's
        ``sklearn.metrics.log_loss`` clips, so a prediction of exactly 0 or 1 that
        misses costs ``-log(eps)`` (about 36.04) in both libraries.
    """
    y, p = _yp(y, p)
    e = _log_eps(eps)
    p = np.clip(p, e, 1 - e)
    return float(-np.mean(xlogy(y, p) + xlogy(1 - y, 1 - p)))


def _log_eps(eps: float | None) -> float:
    if eps is None:
        return float(np.finfo(np.float64).eps)
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must lie in (0, 0.5), got {eps}")
    return float(eps)


def equal_mass_bins(p: np.ndarray, n_bins: int, strategy: str = "quantile") -> np.ndarray:
    """Bin index of every prediction; equal predictions always share a bin.

    Parameters
    ----------
    p : array-like
        Predictions (any order; the bins do not depend on it).
    n_bins : int
        Requested number of bins ``k``.
    strategy : {"quantile", "uniform"}
        ``"quantile"`` (equal mass): with the ``n`` predictions sorted, a run of equal
        values starting at 0-based rank ``r`` goes, whole, to bin
        ``floor(r * min(k, n) / n)``; bins left empty are dropped and the rest
        numbered ``0, 1, ...`` in order of ``p``. This is the same partition as
        cutting at the sample quantiles ``Q(j/k)`` of the inverse empirical
        distribution function (numpy ``method="inverted_cdf"``, R ``type = 1``),
        bins ``(Q(j/k), Q((j+1)/k)]``: Hosmer & Lemeshow's deciles of risk with tied
        subjects kept in one group (Hosmer & Lemeshow 2013, ch. 5).
        Without ties every bin holds ``n/k`` rows rounded up or down; with ties there
        can be **fewer than k bins and unequal masses** (all predictions equal: one
        bin). ``"uniform"`` (equal width): bin ``j`` is ``(e_j, e_{j+1}]`` with
        ``e = numpy.linspace(0, 1, k + 1)``, right-closed, ``p = 0`` in the first bin
        (Guo et al. 2017; scikit-learn's ``calibration_curve``); empty bins keep their
        number.

    Returns
    -------
    numpy.ndarray
        ``int64`` bin index per prediction, in the input order.

    Examples
    --------
    >>> equal_mass_bins([0.5, 0.5, 0.5, 0.5], 2).tolist()
    [0, 0, 0, 0]
    >>> equal_mass_bins([0.1, 0.2, 0.2, 0.3], 2).tolist()
    [0, 0, 0, 1]
    >>> equal_mass_bins([0.1, 0.15, 0.0, 1.0], 10, "uniform").tolist()
    [0, 1, 0, 9]
    """
    p = np.asarray(p, dtype=float).ravel()
    n = p.size
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    if strategy == "quantile":
        idx = np.empty(n, dtype=np.int64)
        if n == 0:
            return idx
        order = np.argsort(p, kind="stable")
        ps = p[order]
        first = np.r_[True, ps[1:] != ps[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
        raw = (start * min(n_bins, n)) // n
        idx[order] = np.unique(raw, return_inverse=True)[1].ravel()
        return idx
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
        return np.searchsorted(edges, p, side="left").astype(np.int64)
    raise ValueError(f"strategy must be 'quantile' or 'uniform', got {strategy!r}")


def _bin_table(y: np.ndarray, p: np.ndarray, idx: np.ndarray) -> pd.DataFrame:
    k = int(idx.max()) + 1
    n = np.bincount(idx, minlength=k).astype(float)
    sp = np.bincount(idx, weights=p, minlength=k)
    sy = np.bincount(idx, weights=y, minlength=k)
    lo = pd.Series(p).groupby(idx).min().reindex(range(k)).to_numpy()
    hi = pd.Series(p).groupby(idx).max().reindex(range(k)).to_numpy()
    keep = n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {
                "bin": np.arange(k)[keep],
                "p_min": lo[keep],
                "p_max": hi[keep],
                "n": n[keep].astype(np.int64),
                "mean_p": (sp / n)[keep],
                "event_rate": (sy / n)[keep],
                "events": sy[keep],
            }
        )


@dataclass(frozen=True)
class ECEResult:
    """Expected calibration error with its bins.

    Attributes
    ----------
    value : float
        ``sum_k (n_k / N) |mean_p_k - event_rate_k|``.
    n_bins : int
        Bins used.
    strategy : str
        ``"quantile"`` (equal mass) or ``"uniform"`` (equal width).
    bins : pandas.DataFrame
        Per bin: range of p, n, mean p, event rate, events.
    n_bins_requested : int or None
        Bins asked for; ``n_bins`` is smaller when tied predictions (equal mass) or
        empty bins (equal width) leave fewer non-empty bins.
    """

    value: float
    n_bins: int
    strategy: str
    bins: pd.DataFrame = field(repr=False)
    n_bins_requested: int | None = None

    def __float__(self) -> float:
        return float(self.value)

    def __str__(self) -> str:
        kind = "equal-mass" if self.strategy == "quantile" else "equal-width"
        asked = self.n_bins_requested
        more = f" of {asked} requested" if asked is not None and asked != self.n_bins else ""
        return f"ECE = {self.value:.5f} ({self.n_bins} {kind} bins{more})"


def ece(y: np.ndarray, p: np.ndarray, n_bins: int = 15, strategy: str = "quantile") -> ECEResult:
    """Expected calibration error (Naeini, Cooper & Hauskrecht 2015) with equal-mass bins.

    ``sum_k (n_k / N) |mean_p_k - event_rate_k|`` over the non-empty bins of
    :func:`equal_mass_bins`. Equal predictions always share a bin, so the result does
    not depend on the row order; with tied predictions there can be fewer bins than
    ``n_bins`` and of unequal mass (``ECEResult.n_bins`` gives the bins used).

    Parameters
    ----------
    y, p : array-like
        Outcomes (0/1) and probabilities.
    n_bins : int, default=15
        Number of bins requested.
    strategy : {"quantile", "uniform"}
        Equal-mass (default) or equal-width bins, right-closed ``(j/M, (j+1)/M]`` as
        in Guo et al. (2017) and scikit-learn's ``calibration_curve``.

    Returns
    -------
    ECEResult

    Examples
    --------
    >>> ece([1, 0], [0.1, 0.15], n_bins=10, strategy="uniform").value
    0.525
    >>> ece([1, 1, 0, 0], [0.5] * 4, n_bins=2).value
    0.0
    """
    y, p = _yp(y, p)
    idx = equal_mass_bins(p, n_bins, strategy)
    t = _bin_table(y, p, idx)
    val = float(np.sum(t["n"] / y.size * np.abs(t["mean_p"] - t["event_rate"])))
    return ECEResult(value=val, n_bins=len(t), strategy=strategy, bins=t, n_bins_requested=n_bins)


@dataclass(frozen=True)
class NoiseFloor:
    """ECE of a perfectly calibrated forecaster with the same predictions."""

    mean: float
    q95: float
    n_bins: int
    n_resamples: int
    samples: np.ndarray = field(repr=False)


def ece_noise_floor(
    p: np.ndarray,
    *,
    n_bins: int = 15,
    strategy: str = "quantile",
    n_resamples: int = 1000,
    seed: int | None = 0,
) -> NoiseFloor:
    """Distribution of the ECE when the outcomes are drawn from ``p`` itself.

    Under ``y_i ~ Bernoulli(p_i)`` the predictions are perfectly calibrated, so any
    ECE they show is sampling noise. An observed ECE below the 95th percentile of
    this distribution is not evidence of miscalibration. The outcomes are drawn for
    the predictions in ascending order, so the result depends on ``p`` as a multiset
    and the seed, not on the row order.

    Parameters
    ----------
    p : array-like
        Probabilities.
    n_bins, strategy : int, str
        As for :func:`ece` (the bins depend on ``p`` only, so they are shared).
    n_resamples : int
        Number of simulated outcome vectors.
    seed : int or None
        Seed of the numpy Generator.

    Returns
    -------
    NoiseFloor
        ``mean``, ``q95`` and the ``samples``.
    """
    p = np.asarray(p, dtype=float).ravel()
    _yp(np.zeros_like(p), p)
    p = np.sort(p + 0.0)  # outcomes are drawn in order of p: the same for any row order
    rng = np.random.default_rng(seed)
    idx = equal_mass_bins(p, n_bins, strategy)
    k = int(idx.max()) + 1
    n_k = np.bincount(idx, minlength=k).astype(float)
    mp = np.bincount(idx, weights=p, minlength=k)
    order = np.argsort(idx, kind="stable")
    starts = np.r_[0, np.cumsum(n_k)[:-1]].astype(np.int64)
    keep = n_k > 0
    ps = p[order]
    out = np.empty(n_resamples)
    chunk = max(1, int(2e7 // max(p.size, 1)))
    for s in range(0, n_resamples, chunk):
        c = min(chunk, n_resamples - s)
        Y = rng.random((c, p.size)) < ps[None, :]
        sums = np.add.reduceat(Y.astype(np.float64), starts[keep], axis=1)
        out[s : s + c] = np.abs(sums - mp[keep][None, :]).sum(axis=1) / p.size
    return NoiseFloor(
        mean=float(out.mean()),
        q95=float(np.quantile(out, 0.95)),
        n_bins=int(keep.sum()),
        n_resamples=n_resamples,
        samples=out,
    )


def brier_decomposition(
    y: np.ndarray, p: np.ndarray, n_bins: int = 10, strategy: str = "quantile"
) -> dict[str, float]:
    r"""Murphy's (1973) decomposition of the Brier score over bins of ``p``.

    ``BS = REL - RES + UNC + WBV - WBC`` exactly (Stephenson, Coelho & Jolliffe 2008):
    with ``N`` rows, bins ``k`` of ``n_k`` rows, mean forecast ``f_k``, event rate
    ``o_k`` and overall rate ``o``,

    - ``REL = (1/N) sum_k n_k (f_k - o_k)^2`` (reliability),
    - ``RES = (1/N) sum_k n_k (o_k - o)^2`` (resolution),
    - ``UNC = o (1 - o)`` (uncertainty),
    - ``WBV = (1/N) sum_i (p_i - f_k(i))^2`` (within-bin variance of the forecasts),
    - ``WBC = (2/N) sum_i (y_i - o_k(i)) (p_i - f_k(i))`` (within-bin covariance).

    The bins are those of :func:`equal_mass_bins`: equal forecasts share a bin, so
    with ties there can be fewer than ``n_bins`` bins (``n_bins`` in the result gives
    the bins used) and the figures do not depend on the row order.

    Returns
    -------
    dict
        ``brier``, ``reliability``, ``resolution``, ``uncertainty``,
        ``within_bin_variance``, ``within_bin_covariance``, ``residual`` (the
        identity's rounding error) and ``n_bins``.
    """
    y, p = _yp(y, p)
    idx = equal_mass_bins(p, n_bins, strategy)
    k = int(idx.max()) + 1
    n_k = np.bincount(idx, minlength=k).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        f_k = np.bincount(idx, weights=p, minlength=k) / n_k
        o_k = np.bincount(idx, weights=y, minlength=k) / n_k
    ok = n_k > 0
    N = y.size
    o = y.mean()
    rel = float(np.sum(n_k[ok] * (f_k[ok] - o_k[ok]) ** 2) / N)
    res = float(np.sum(n_k[ok] * (o_k[ok] - o) ** 2) / N)
    unc = float(o * (1 - o))
    wbv = float(np.sum((p - f_k[idx]) ** 2) / N)
    wbc = float(2 * np.sum((y - o_k[idx]) * (p - f_k[idx])) / N)
    bs = float(np.mean((p - y) ** 2))
    return {
        "brier": bs,
        "reliability": rel,
        "resolution": res,
        "uncertainty": unc,
        "within_bin_variance": wbv,
        "within_bin_covariance": wbc,
        "residual": bs - (rel - res + unc + wbv - wbc),
        "n_bins": int(ok.sum()),
    }


def corp_decomposition(
    y: np.ndarray, p: np.ndarray, *, score: Literal["brier", "log"] = "brier"
) -> dict[str, float]:
    """CORP decomposition ``S = MCB - DSC + UNC`` (Dimitriadis, Gneiting & Jordan 2021).

    The recalibrated forecast ``p_hat`` is the isotonic (PAV) regression of ``y`` on
    ``p``, equal forecasts pooled; ``MCB = S(p) - S(p_hat)`` (miscalibration, >= 0),
    ``DSC = S(o) - S(p_hat)`` (discrimination, >= 0) and ``UNC = S(o)`` with ``o``
    the event rate, ``S`` the mean Brier or log score. The identity is exact. For the
    log score ``p`` is clipped as in :func:`log_loss` (machine epsilon), so
    ``score`` equals ``log_loss(y, p)``.
    """
    y, p = _yp(y, p)
    _, inv = np.unique(p, return_inverse=True)
    w = np.bincount(inv).astype(float)
    ys = np.bincount(inv, weights=y)
    fit = isotonic_regression(ys / w, sample_weight=w, y_min=0.0, y_max=1.0)
    ph = fit[inv]
    o = np.full_like(y, y.mean())

    def S(q: np.ndarray) -> float:
        if score == "brier":
            return float(np.mean((q - y) ** 2))
        return float(-np.mean(xlogy(y, q) + xlogy(1 - y, 1 - q)))

    if score not in ("brier", "log"):
        raise ValueError(f"score must be 'brier' or 'log', got {score!r}")
    e = _log_eps(None)
    s_p = S(np.clip(p, e, 1 - e)) if score == "log" else S(p)
    s_ph, s_o = S(ph), S(o)
    return {"score": s_p, "mcb": s_p - s_ph, "dsc": s_o - s_ph, "unc": s_o}


def calibration_intercept_slope(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Calibration intercept and slope by logistic recalibration (Cox 1958).

    ``slope``: ``b`` of ``logit P(y=1) = a + b logit(p)`` (1 when calibrated; below 1
    means predictions too extreme). ``intercept``: ``a`` of ``logit P(y=1) = a +
    logit(p)`` with the slope fixed at 1 as an offset (calibration-in-the-large, 0
    when calibrated; Van Calster et al. 2016). Standard errors from the observed
    information; probabilities are clipped to ``[1e-15, 1 - 1e-15]``.
    """
    y, p = _yp(y, p)
    lp = logit(np.clip(p, 1e-15, 1 - 1e-15))
    Z = np.column_stack([np.ones_like(lp), lp])
    coef, ok2 = fit_logistic(Z, y)
    q = expit(Z @ coef)
    cov = np.linalg.pinv((Z * (q * (1 - q))[:, None]).T @ Z)
    c1, ok1 = fit_logistic(Z[:, :1], y, offset=lp)
    q1 = expit(c1[0] + lp)
    info1 = float(np.sum(q1 * (1 - q1)))
    se1 = 1.0 / np.sqrt(info1) if info1 > 0 else float("inf")
    return {
        "intercept": float(c1[0]),
        "intercept_se": float(se1),
        "slope": float(coef[1]),
        "slope_se": float(np.sqrt(cov[1, 1])) if cov[1, 1] >= 0 else float("nan"),
        "slope_model_intercept": float(coef[0]),
        "converged": bool(ok1 and ok2),
    }


@dataclass(frozen=True)
class HosmerLemeshowResult:
    """Hosmer–Lemeshow test: statistic, degrees of freedom, p-value and group table."""

    statistic: float
    df: int
    p_value: float
    groups: int
    development: bool
    table: pd.DataFrame = field(repr=False)


def hosmer_lemeshow(
    y: np.ndarray,
    p: np.ndarray,
    groups: int = 10,
    *,
    development: bool = True,
    grouping: Literal["deciles", "quantile_cut"] = "deciles",
) -> HosmerLemeshowResult:
    r"""Hosmer–Lemeshow goodness-of-fit test (Hosmer & Lemeshow 2013, sec. 5.2.2).

    ``C = sum_g (O_g - E_g)^2 / (E_g (1 - E_g / n_g))`` over ``g`` groups of the
    sorted predictions, ``O_g`` events, ``E_g = sum p`` expected events (the Pearson
    chi-square of the ``2 x g`` table of observed and expected events and non-events).
    Degrees of freedom: ``g - 2`` when the probabilities come from a model fitted on
    these data (``development=True``), ``g`` for an external validation of fixed
    predictions (Hosmer & Lemeshow 2013, sec. 5.6): with ``g - 2`` an externally
    validated perfect forecaster is rejected too often.

    A group where an event was observed but none expected (``E_g = 0 < O_g``; or a
    non-event where ``E_g = n_g``) contributes an infinite term: the statistic is
    ``inf`` and the p-value 0, as R's ``ResourceSelection::hoslem.test`` gives. A
    group with nothing expected and nothing observed (``O_g = E_g = 0`` or
    ``O_g = E_g = n_g``) contributes 0.

    Parameters
    ----------
    grouping : {"deciles", "quantile_cut"}
        ``"deciles"``: the deciles of risk, groups of equal size of the sorted
        predictions with tied predictions kept in one group (:func:`equal_mass_bins`;
        Hosmer & Lemeshow 2013, ch. 5), so with ties there can be fewer than
        ``groups`` groups (``groups`` in the result), of unequal size;
        ``"quantile_cut"``: groups cut at the sample quantiles of ``p`` (R's default
        ``type = 7``, intervals closed on the right, ties kept together), as R's
        ``ResourceSelection::hoslem.test``. Neither depends on the row order.

    Examples
    --------
    An event where the forecast was 0 is no perfect fit:

    >>> y = [1] + [0] * 9 + [1] * 5 + [0] * 5
    >>> p = [0.0] * 10 + [0.5] * 10
    >>> r = hosmer_lemeshow(y, p, 2, development=False)
    >>> r.statistic, r.p_value
    (inf, 0.0)
    """
    y, p = _yp(y, p)
    if grouping == "deciles":
        idx = equal_mass_bins(p, groups, "quantile")
    elif grouping == "quantile_cut":
        edges = np.unique(np.quantile(p, np.linspace(0, 1, groups + 1)))
        idx = np.clip(np.searchsorted(edges, p, side="left") - 1, 0, len(edges) - 2)
        idx = np.unique(idx, return_inverse=True)[1].ravel()
    else:
        raise ValueError(f"grouping must be 'deciles' or 'quantile_cut', got {grouping!r}")
    t = _bin_table(y, p, idx)
    n_g = t["n"].to_numpy(float)
    obs = t["events"].to_numpy(float)
    exp = np.bincount(idx, weights=p)[t["bin"].to_numpy()]
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = (obs - exp) ** 2 / (exp * (1 - exp / n_g))
    # 0/0: nothing expected and nothing observed (or all expected, all observed)
    terms = np.where(obs == exp, 0.0, terms)
    g = len(t)
    df = g - 2 if development else g
    stat = float(terms.sum())
    pv = float(stats.chi2.sf(stat, df)) if df > 0 else float("nan")
    table = t.assign(expected=exp, observed=obs, contribution=terms)
    return HosmerLemeshowResult(stat, df, pv, g, development, table)


def spiegelhalter_z(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    r"""Spiegelhalter's (1986) z-test of calibration, two-sided.

    ``z = sum (y - p)(1 - 2p) / sqrt(sum (1 - 2p)^2 p (1 - p))``, standard normal
    under calibration; ``p_value = 2 (1 - Phi(|z|))``. Overestimation and
    underestimation are both rejected.

    A row whose outcome had probability 0 under the forecast (an event at ``p = 0``
    or a non-event at ``p = 1``) contributes ``+1`` to the sum and nothing to its
    variance; it cannot happen under calibration, so ``z = inf`` and the p-value is 0.
    Where the variance is 0 otherwise (all ``p`` in ``{0, 1/2, 1}`` without such a
    miss), ``z`` is undefined (NaN).
    """
    y, p = _yp(y, p)
    if np.any(((p == 0) & (y == 1)) | ((p == 1) & (y == 0))):
        return {"z": float("inf"), "p_value": 0.0}
    num = np.sum((y - p) * (1 - 2 * p))
    den = np.sqrt(np.sum((1 - 2 * p) ** 2 * p * (1 - p)))
    z = float(num / den) if den > 0 else float("nan")
    return {"z": z, "p_value": float(2 * stats.norm.sf(abs(z)))}


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve: the Mann–Whitney probability with ties counted 1/2.

    Hanley & McNeil (1982) eq. 1. ``p`` may be any score (only its order counts).
    """
    y, p = _yp(y, p, scores=True)
    n1 = y.sum()
    n0 = y.size - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = stats.rankdata(p)
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def precision_lift_at(y: np.ndarray, p: np.ndarray, top: float = 0.10) -> dict[str, float]:
    """Event rate among the ``top`` share of highest predictions, and its lift.

    The top ``k = ceil(top * N)`` rows by ``p``; rows tied with the ``k``-th take a
    fractional share so the result does not depend on the row order. ``p`` may be any
    score.
    """
    y, p = _yp(y, p, scores=True)
    if not 0 < top <= 1:
        raise ValueError(f"top must lie in (0, 1], got {top}")
    k = int(np.ceil(top * y.size - 1e-9))
    order = np.argsort(-p, kind="stable")
    cut = p[order[k - 1]]
    above = p > cut
    tied = p == cut
    need = k - above.sum()
    events = y[above].sum() + need * y[tied].mean()
    prec = float(events / k)
    base = y.mean()
    return {"k": k, "precision": prec, "lift": prec / base if base > 0 else float("nan")}
