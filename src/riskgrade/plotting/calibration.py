"""Reliability diagram of predicted probabilities, in the style of scikit-learn's ``CalibrationDisplay``.

:class:`ReliabilityDisplay` bins the predictions into equal-mass bins (the bins of
:func:`riskgrade.calibration.ece`), draws the event rate of each bin against its mean
prediction with Wilson 95 % intervals, the diagonal of perfect calibration and, when
asked, the 95 % band of a perfectly calibrated forecaster with the same predictions
(outcomes drawn from the predictions), so that deviations inside the band read as noise.
It is re-exported as ``riskgrade.plotting.ReliabilityDisplay``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskgrade.calibration.levels import wilson_interval
from riskgrade.calibration.metrics import ece, equal_mass_bins
from riskgrade.plotting.axes import new_axes, use_lang_font

__all__ = ["ReliabilityDisplay"]


class ReliabilityDisplay:
    """Reliability diagram.

    Parameters
    ----------
    bins : pandas.DataFrame
        Per bin: ``mean_p``, ``event_rate``, ``n``, ``events``, ``ci_low``, ``ci_high``
        and, optionally, ``band_low`` / ``band_high``.
    ece : float
        ECE of the predictions over these bins.
    name : str, optional
        Legend label of the predictions.
    lang : {"en", "zh"}
        Language of the labels.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0, 0.2, 2000)
    >>> y = (rng.random(2000) < p).astype(int)
    >>> d = ReliabilityDisplay.from_predictions(y, p, n_bins=5)
    >>> len(d.bins)
    5
    """

    def __init__(self, bins: pd.DataFrame, *, ece: float, name: str | None = None, lang: str = "en") -> None:
        self.bins = bins
        self.ece = float(ece)
        self.name = name
        self.lang = lang

    @classmethod
    def from_predictions(
        cls,
        y_true: Any,
        y_prob: Any,
        *,
        n_bins: int = 10,
        strategy: str = "quantile",
        noise_band: bool = True,
        n_resamples: int = 500,
        seed: int | None = 0,
        name: str | None = None,
        lang: str = "en",
    ) -> ReliabilityDisplay:
        """Bin predictions and outcomes (equal-mass bins by default).

        The bins are those of :func:`riskgrade.calibration.ece`: equal predictions share
        a bin, so with ties there can be fewer than ``n_bins`` points. The result does
        not depend on the row order.
        """
        y = np.asarray(y_true, dtype=float).ravel()
        p = np.asarray(y_prob, dtype=float).ravel()
        e = ece(y, p, n_bins=n_bins, strategy=strategy)
        t = e.bins.copy()
        lo, hi = wilson_interval(t["events"].to_numpy(), t["n"].to_numpy())
        t["ci_low"], t["ci_high"] = lo, hi
        if noise_band:
            rng = np.random.default_rng(seed)
            p = np.sort(p + 0.0)  # outcomes drawn in order of p: the band ignores the row order
            idx = equal_mass_bins(p, n_bins, strategy)
            codes = pd.Index(t["bin"]).get_indexer(idx)
            sims = np.empty((n_resamples, len(t)))
            for r in range(n_resamples):
                yy = rng.random(p.size) < p
                sims[r] = np.bincount(codes, weights=yy, minlength=len(t)) / t["n"].to_numpy()
            t["band_low"] = np.quantile(sims, 0.025, axis=0)
            t["band_high"] = np.quantile(sims, 0.975, axis=0)
        return cls(t, ece=e.value, name=name, lang=lang)

    @classmethod
    def from_estimator(cls, estimator: Any, X: Any, y: Any, **kwargs: Any) -> ReliabilityDisplay:
        """Bin the event probabilities ``estimator.predict_proba(X)[:, 1]``."""
        kwargs.setdefault("name", type(estimator).__name__)
        return cls.from_predictions(y, estimator.predict_proba(X)[:, 1], **kwargs)

    def plot(self, ax: Any = None, *, color: str = "#4b6c8c") -> ReliabilityDisplay:
        """Draw the diagram; return ``self`` with ``ax_``, ``figure_`` and ``line_`` set."""
        ax, fig = new_axes(ax, (5.2, 5.0))
        t = self.bins
        top = float(max(t["ci_high"].max(), t["mean_p"].max())) * 1.05
        zh = self.lang == "zh"
        diag = "完美校准" if zh else "perfectly calibrated"
        ax.plot([0, top], [0, top], ls="--", color="0.5", lw=1, label=diag)
        if "band_low" in t:
            ax.fill_between(
                t["mean_p"], t["band_low"], t["band_high"], color="0.85",
                label="校准预测的95%噪声带" if zh else "95% band of a calibrated forecaster",
            )
        err = np.vstack([t["event_rate"] - t["ci_low"], t["ci_high"] - t["event_rate"]])
        label = (self.name or ("预测" if zh else "predictions")) + f" (ECE {self.ece:.4f})"
        (self.line_,) = ax.plot(t["mean_p"], t["event_rate"], "o-", color=color, label=label)
        ax.errorbar(t["mean_p"], t["event_rate"], yerr=err, fmt="none", ecolor=color, alpha=0.6)
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_xlabel("平均预测概率" if zh else "mean predicted probability")
        ax.set_ylabel("实际发生率" if zh else "observed event rate")
        ax.legend(fontsize="small", loc="upper left")
        use_lang_font(fig, self.lang)
        self.ax_, self.figure_ = ax, fig
        return self
