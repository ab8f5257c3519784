"""Data-driven weights as mergeable sufficient statistics of the factor scores.

Entropy and CRITIC weights (and the objective half of a combined weighting) depend on
the whole inventory. :class:`WeightStats` gathers what they need block by block
(``update``), two partial results combine with ``merge`` (so partitions of a Dask
dataframe or record batches of a stream can be reduced in any grouping) and
``finalize`` returns the weights and the figures of the model card.

Every sum is exact: the factor scores (in [0, 1]) are put on a fixed-point grid and
summed as integers, so the statistics, and therefore the weights, are the same bits
whatever the batch split, the partitioning and the row order. :meth:`RiskModel.fit
<riskgrade.RiskModel.fit>`, the local and stream engines and the Dask backend all compute
the weights here, so they grade with identical weights. See
``docs/methodology/numerics.md`` ("Data-driven weights in the engines").

* entropy, ``normalization="sum"``: per column the count of non-missing values, the
  number of zeros, min, max, ``sum x`` and ``sum x ln x`` (each term rounded to a
  multiple of ``2**-53``). One pass.
* entropy, ``normalization="minmax"``: the same sums of ``x - min``; the minimum is only
  known after a first pass, so this takes two passes (:meth:`WeightStats.second_pass`).
* CRITIC (Pearson): over the complete rows, the count, min, max and the exact integer
  sums ``sum X_j`` and ``sum X_j X_k`` of ``X = rint(x * 2**42)``. The products are
  exact: ``X`` is split into two 21-bit limbs and the Gram matrix of the limbs of 2,048
  rows at a time is a float64 matrix product of integers below ``2**53``. Co-moments
  and correlations come from these integers without cancellation. One pass.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from riskgrade.exceptions import WeightingError
from riskgrade.weighting.spec import METHODS

__all__ = ["WeightStats", "batch_supported", "needs_data", "weights_from_scores"]

_TINY = np.finfo(np.float64).tiny
_X_BITS = 43  # entropy sums: terms on a 2**-43 grid, exact float sums of 1,024 terms
_X_ROWS = 1024
_G_BITS = 42  # CRITIC moments: x on a 2**-42 grid, two limbs of 21 bits
_G_LIMB = 21
_G_ROWS = 2048  # 2 * 21 + 11 = 53: a block Gram matrix of limbs is exact in float64
_CHUNK = 8192  # rows per internal chunk (temporaries stay in the L2 cache)


def needs_data(spec: Any) -> bool:
    """Whether a weighting spec computes its weights from the inventory."""
    return METHODS[spec.method].needs_data


def _objective(spec: Any) -> str:
    return spec.combined.objective if spec.method == "combined" else spec.method


def batch_supported(spec: Any) -> bool:
    """Whether the weights of ``spec`` can be computed from :class:`WeightStats`.

    All data-driven methods can, except CRITIC with Spearman correlation (ranks need
    the whole column at once): that one is fitted by :meth:`RiskModel.fit` alone.
    """
    return METHODS[spec.method].batch(spec)


def _fixed_sums(v: np.ndarray) -> list[int]:
    """Exact row sums of ``rint(v * 2**43)`` (``v``: m x b, ``|v| <= 1``) as Python integers.

    Blocks of 1,024 terms are summed in float64: every partial sum is an integer of at
    most ``2**53``, so exact whatever the order numpy adds in; the block sums are then
    added as integers.
    """
    q = v * float(2**_X_BITS)
    np.rint(q, out=q)
    m, b = q.shape
    k = b // _X_ROWS
    tot = q[:, : k * _X_ROWS].reshape(m, k, _X_ROWS).sum(axis=2).astype(np.int64).sum(axis=1)
    if b > k * _X_ROWS:
        tot = tot + q[:, k * _X_ROWS:].sum(axis=1).astype(np.int64)
    return [int(t) for t in tot.tolist()]


def _limb_gram(c: np.ndarray, buf: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Exact Gram matrix of the limbs ``[H, L, 1]`` of the complete rows ``c`` (m x b).

    ``X = rint(x * 2**42) = H * 2**21 + L``; the Gram matrix of 2,048 rows at a time is a
    float64 product of integers whose sums stay below ``2**53`` (exact in any order), and
    the blocks are added as int64. Row ``2m`` (ones) gives the count and ``sum H``,
    ``sum L``. Returns the Gram matrix and the scratch buffer for reuse.
    """
    m, b = c.shape
    k = -(-b // _G_ROWS)
    width = k * _G_ROWS
    if buf is None or buf.shape[1] < width:
        buf = np.empty((2 * m + 1, width))
    A = buf[:, :width]
    A[:, b:] = 0.0
    q = c * float(2**_G_BITS)
    np.rint(q, out=q)
    H, L = A[:m, :b], A[m: 2 * m, :b]
    np.multiply(q, 2.0**-_G_LIMB, out=H)
    np.floor(H, out=H)
    np.multiply(H, -float(2**_G_LIMB), out=L)
    L += q
    A[2 * m, :b] = 1.0
    blocks = A.reshape(2 * m + 1, k, _G_ROWS).transpose(1, 0, 2)
    gram = np.matmul(blocks, blocks.transpose(0, 2, 1))  # entries: integers <= 2**53
    return gram.astype(np.int64).sum(axis=0), buf  # <= 32 blocks: <= 2**58


_BLAS: list[Any] = []


def _one_blas_thread() -> Any:
    """Limit BLAS to one thread (a contended multi-threaded BLAS spins on tiny products).

    The thread-pool controller is built once: building it scans the loaded libraries.
    """
    import contextlib

    if not _BLAS:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS.append(ThreadpoolController())
        except Exception:  # pragma: no cover - threadpoolctl comes with scikit-learn
            _BLAS.append(None)
    ctl = _BLAS[0]
    return contextlib.nullcontext() if ctl is None else ctl.limit(limits=1, user_api="blas")


class WeightStats:
    """Mergeable statistics of factor scores for the data-driven weighting methods.

    Parameters
    ----------
    spec : WeightingSpec
        The weighting section of a model config (``entropy``, ``critic`` with Pearson
        correlation, or ``combined`` with one of them as objective method).
    names : sequence of str
        Factor names, in the column order of the blocks passed to :meth:`update`.

    Examples
    --------
    >>> import numpy as np
    >>> from riskgrade.weighting.spec import WeightingSpec
    >>> spec = WeightingSpec(method="critic")
    >>> F = np.random.default_rng(0).random((1000, 3))
    >>> a = WeightStats(spec, ["a", "b", "c"]).update(F[:300])
    >>> b = WeightStats(spec, ["a", "b", "c"]).update(F[300:])
    >>> whole = WeightStats(spec, ["a", "b", "c"]).update(F[::-1])
    >>> a.merge(b).finalize()[0].equals(whole.finalize()[0])
    True
    """

    def __init__(self, spec: Any, names: Sequence[str]) -> None:
        if not batch_supported(spec):
            raise WeightingError(
                f"weighting.method {spec.method!r} (objective {_objective(spec)!r}) cannot be computed "
                "from merged statistics; fit the model on the whole inventory (RiskModel.fit)"
            )
        self.spec = spec
        self.names = list(names)
        self.kind = _objective(spec)
        m = len(self.names)
        self.phase = 1
        self.ref: np.ndarray | None = None  # min of each column, for the min-max second pass
        self.rows = 0
        self.count = np.zeros(m, dtype=np.int64)
        self.lo = np.full(m, np.inf)
        self.hi = np.full(m, -np.inf)
        self.zeros = np.zeros(m, dtype=np.int64)
        self.s1 = [0] * m
        self.s2 = [0] * m
        self.gram = np.zeros((2 * m + 1, 2 * m + 1), dtype=object)
        self.gram[:] = 0

    # ------------------------------------------------------------------ accumulate
    @property
    def needs_second_pass(self) -> bool:
        """Whether :meth:`second_pass` is needed before :meth:`finalize` (min-max entropy)."""
        return self.kind == "entropy" and self._normalization() == "minmax" and self.phase == 1

    def _normalization(self) -> str:
        from riskgrade.weighting.spec import CRITICSpec, EntropySpec

        if self.kind == "entropy":
            return (self.spec.entropy or EntropySpec()).normalization
        return (self.spec.critic or CRITICSpec()).normalization

    def empty(self) -> WeightStats:
        """A fresh accumulator of the same kind and phase (for another partition)."""
        out = WeightStats(self.spec, self.names)
        out.phase, out.ref = self.phase, self.ref
        if self.phase == 2:
            out.lo, out.hi, out.count = self.lo.copy(), self.hi.copy(), self.count.copy()
            out.rows = self.rows
        return out

    def second_pass(self) -> WeightStats:
        """An accumulator for the sums of ``x - min`` (the second pass of min-max entropy)."""
        if not self.needs_second_pass:
            raise WeightingError("second_pass: these statistics need no second pass")
        out = WeightStats(self.spec, self.names)
        out.phase = 2
        out.ref = np.where(np.isfinite(self.lo), self.lo, 0.0)
        out.lo, out.hi, out.count, out.rows = self.lo.copy(), self.hi.copy(), self.count.copy(), self.rows
        return out

    def update(self, F: np.ndarray) -> WeightStats:
        """Add a block of factor scores (n x m float64, NaN = factor left out). Returns self."""
        F = np.asarray(F, dtype=np.float64)
        if F.ndim != 2 or F.shape[1] != len(self.names):
            raise WeightingError(
                f"WeightStats.update: expected a 2-D block with {len(self.names)} columns "
                f"{self.names}, got shape {F.shape}"
            )
        buf = None
        with _one_blas_thread():
            for s in range(0, F.shape[0], _CHUNK):
                T = np.ascontiguousarray(F[s: s + _CHUNK].T)  # one row per factor
                self._check(T)
                if self.kind == "entropy":
                    self._update_entropy(T)
                else:
                    buf = self._update_critic(T, buf)
        return self

    def _check(self, T: np.ndarray) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = np.fmin.reduce(T, axis=1), np.fmax.reduce(T, axis=1)
        bad = (lo < 0) | (hi > 1)
        if bad.any():
            shown = {self.names[j]: T[j][(T[j] < 0) | (T[j] > 1)][:3].tolist() for j in np.flatnonzero(bad)}
            raise WeightingError(f"factor scores must lie in [0, 1] (NaN = left out); out of range: {shown}")

    def _update_entropy(self, T: np.ndarray) -> None:
        nan = np.isnan(T)
        n_nan = nan.sum(axis=1) if nan.any() else None
        if self.phase == 1:
            self.rows += T.shape[1]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                self.lo = np.fmin(self.lo, np.fmin.reduce(T, axis=1))
                self.hi = np.fmax(self.hi, np.fmax.reduce(T, axis=1))
            self.count += T.shape[1] - (n_nan if n_nan is not None else 0)
            if self._normalization() == "minmax":
                return  # the sums are those of x - min: second pass
        x = T - self.ref[:, None] if self.ref is not None else T
        if n_nan is not None:
            x = np.where(nan, 0.0, x)
        self.zeros += T.shape[1] - np.count_nonzero(x, axis=1) - (n_nan if n_nan is not None else 0)
        t = np.maximum(x, _TINY)
        np.log(t, out=t)
        t *= x  # 0 ln 0 = 0 (0 * ln tiny)
        self.s1 = [a + b for a, b in zip(self.s1, _fixed_sums(x), strict=True)]
        self.s2 = [a + b for a, b in zip(self.s2, _fixed_sums(t), strict=True)]

    def _update_critic(self, T: np.ndarray, buf: np.ndarray | None) -> np.ndarray | None:
        self.rows += T.shape[1]
        nan = np.isnan(T)
        c = T[:, ~nan.any(axis=0)] if nan.any() else T
        if c.shape[1] == 0:
            return buf
        self.lo = np.minimum(self.lo, c.min(axis=1))
        self.hi = np.maximum(self.hi, c.max(axis=1))
        g, buf = _limb_gram(c, buf)
        self.gram = self.gram + g.astype(object)
        return buf

    def merge(self, other: WeightStats) -> WeightStats:
        """Add the statistics of another block (same spec, names and phase). Returns self."""
        if other.names != self.names or other.kind != self.kind or other.phase != self.phase:
            raise WeightingError("WeightStats.merge: statistics of different factors, methods or passes")
        if self.phase == 1:
            self.rows += other.rows
            self.count = self.count + other.count
            self.lo = np.fmin(self.lo, other.lo)
            self.hi = np.fmax(self.hi, other.hi)
        self.zeros = self.zeros + other.zeros
        self.s1 = [a + b for a, b in zip(self.s1, other.s1, strict=True)]
        self.s2 = [a + b for a, b in zip(self.s2, other.s2, strict=True)]
        self.gram = self.gram + other.gram
        return self

    # ------------------------------------------------------------------ finalize
    def finalize(self) -> tuple[pd.Series, dict[str, Any]]:
        """Weights (indexed by the factor names, sum 1) and the model-card details.

        The same figures and warnings as :func:`riskgrade.weighting.resolve_weights`.
        """
        if self.needs_second_pass:
            raise WeightingError("min-max entropy needs its second pass (second_pass) before finalize")
        spec = self.spec
        if self.kind == "entropy":
            o, od = self._entropy()
        else:
            o, od = self._critic()
        if spec.method != "combined":
            return o, od
        from riskgrade.weighting.combined import combined_result
        from riskgrade.weighting.spec import resolve_weights

        cs = spec.combined
        s, sd = resolve_weights(spec.model_copy(update={"method": cs.subjective}), pd.DataFrame(), self.names)
        return combined_result(s, sd, o, od, cs, self.names)

    def _entropy(self) -> tuple[pd.Series, dict[str, Any]]:
        from riskgrade.weighting.entropy import entropy_from_sums, warn_rarity
        from riskgrade.weighting.spec import EntropySpec

        es = self.spec.entropy or EntropySpec()
        if self.rows < 2:
            raise WeightingError(
                f"X has {self.rows} row(s): entropy weights need at least 2 rows (ln m = 0 for m = 1)"
            )
        scale = 2.0**-_X_BITS
        s1 = np.array([float(v) for v in self.s1]) * scale
        s2 = np.array([float(v) for v in self.s2]) * scale
        res = entropy_from_sums(
            s1, s2, self.count, self.lo, self.hi, self.zeros, names=self.names, normalization=es.normalization
        )
        if es.rarity_check is not None:
            warn_rarity(res, es.rarity_check)
        return res.weights, {"method": "entropy", "on": "factor_scores", **res.to_dict()}

    def _critic(self) -> tuple[pd.Series, dict[str, Any]]:
        from riskgrade.weighting.critic import R_ONE_TOL, scaled_sigma
        from riskgrade.weighting.spec import CRITICSpec

        cs = self.spec.critic or CRITICSpec()
        names, m = self.names, len(self.names)
        g = self.gram
        n = int(g[2 * m, 2 * m])
        if n < 2:
            raise WeightingError(f"critic_weights needs at least 2 complete rows, got {n}")
        # exact sums: X_j = H_j 2**21 + L_j, X_j X_k = H H 2**42 + (H L + L H) 2**21 + L L
        sx = [(g[2 * m, j] << _G_LIMB) + g[2 * m, m + j] for j in range(m)]
        S = [[(g[j, k] << 2 * _G_LIMB) + ((g[j, m + k] + g[m + j, k]) << _G_LIMB) + g[m + j, m + k]
              for k in range(m)] for j in range(m)]
        C = np.array([[float(n * S[j][k] - sx[j] * sx[k]) for k in range(m)] for j in range(m)])
        diag = np.maximum(np.diag(C), 0.0)
        sd = np.sqrt(diag / (float(n) * (n - 1))) * 2.0**-_G_BITS
        lo, hi = self.lo, self.hi
        constant = ~(hi > lo) | (diag <= 0)
        norm = cs.normalization
        total = np.array([float(v) for v in sx]) * 2.0**-_G_BITS
        sigma, keep = scaled_sigma(sd, lo, hi, total, constant, norm, names, stacklevel=3)
        sub = C[np.ix_(keep, keep)]
        d = np.sqrt(np.diag(sub))
        rho = np.clip(sub / np.outer(d, d), -1.0, 1.0)
        rho[rho > 1.0 - R_ONE_TOL] = 1.0
        np.fill_diagonal(rho, 1.0)
        info = np.zeros(m)
        info[keep] = sigma[keep] * (1.0 - rho).sum(axis=1)
        if len(keep) == 1:
            info[keep] = 1.0
        if not info.sum() > 0:
            raise WeightingError(
                "critic_weights: the non-constant columns are perfectly correlated (r = 1): "
                "CRITIC weights are undefined"
            )
        w = pd.Series(info / info.sum(), index=pd.Index(names), name="weight")
        return w, {"method": "critic", "on": "factor_scores", "normalization": norm,
                   "correlation": cs.correlation}


def weights_from_scores(
    spec: Any, factor_scores: pd.DataFrame, factor_names: list[str]
) -> tuple[pd.Series, dict[str, Any]]:
    """The weights of ``spec`` on a factor-score frame, as every batch engine computes them.

    Data-driven methods go through :class:`WeightStats` (exact sums, one or two passes);
    the others, and CRITIC with Spearman correlation, through
    :func:`~riskgrade.weighting.resolve_weights`. Used by :meth:`RiskModel.fit
    <riskgrade.RiskModel.fit>` so that in-memory and batch grading share the weights bit
    for bit.

    Parameters
    ----------
    spec : WeightingSpec
        The weighting configuration.
    factor_scores : pandas.DataFrame
        Factor scores in [0, 1], NaN where a factor is left out.
    factor_names : list of str
        Factors in use, in catalog order.

    Returns
    -------
    weights : pandas.Series
    details : dict
    """
    from riskgrade.weighting.spec import resolve_weights

    if not batch_supported(spec):
        return resolve_weights(spec, factor_scores, factor_names)
    names = list(factor_names)
    F = factor_scores.reindex(columns=names).to_numpy(dtype=np.float64, na_value=np.nan)
    stats = WeightStats(spec, names).update(F)
    if stats.needs_second_pass:
        stats = stats.second_pass().update(F)
    return stats.finalize()
