"""Plots for analysts: ``*Display`` classes in the scikit-learn style.

Each display holds the numbers to draw, is built with a ``from_*`` class method and drawn
with ``plot(ax=None)``, which returns the display with ``ax_`` and ``figure_`` set.
matplotlib (the ``plot`` extra) is imported only when a plot is drawn. Labels are in
Chinese (``lang="zh"``, with a CJK font when one is installed) or English.

- :class:`WeightsDisplay` — factor weights, with intervals when known;
- :class:`LevelDistributionDisplay` — level mix per unit against the level-one cap;
- :class:`FactorHeatmapDisplay` — mean factor score per unit and factor;
- :class:`LevelProbabilityDisplay` — P(level 1/2/3) of the least certain points;
- :class:`AHPConsistencyDisplay` — consistency ratios of AHP judgement matrices;
- the reliability diagram of calibrated scores is in :mod:`riskgrade.plotting.calibration`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from riskgrade.i18n import factor_label, level_name, resolve_language
from riskgrade.plotting.axes import new_axes, use_lang_font
from riskgrade.report.svg import LEVEL_COLOURS

__all__ = [
    "AHPConsistencyDisplay",
    "FactorHeatmapDisplay",
    "LevelDistributionDisplay",
    "LevelProbabilityDisplay",
    "WeightsDisplay",
]

class WeightsDisplay:
    """Factor weights as horizontal bars, with interval whiskers when known.

    Parameters
    ----------
    weights : pandas.Series
        Weights by factor name.
    lower, upper : pandas.Series, optional
        Interval of each weight (for example 5 % and 95 % quantiles of sampled weights).
    labels : sequence of str, optional
        Labels of the factors (default: the factor names).
    title : str, optional
        Axes title.

    Examples
    --------
    >>> import pandas as pd
    >>> d = WeightsDisplay(pd.Series({"a": 0.7, "b": 0.3}))
    >>> d.weights.round(1).tolist()
    [0.7, 0.3]
    """

    def __init__(
        self,
        weights: pd.Series,
        *,
        lower: pd.Series | None = None,
        upper: pd.Series | None = None,
        labels: Sequence[str] | None = None,
        title: str | None = None,
        lang: str = "en",
    ) -> None:
        self.weights = pd.Series(weights, dtype=float)
        self.lower = None if lower is None else pd.Series(lower, dtype=float).reindex(self.weights.index)
        self.upper = None if upper is None else pd.Series(upper, dtype=float).reindex(self.weights.index)
        self.labels = list(labels) if labels is not None else [str(i) for i in self.weights.index]
        self.title = title
        self.lang = lang

    @classmethod
    def from_result(
        cls,
        result: Any,
        *,
        samples: pd.DataFrame | None = None,
        quantiles: tuple[float, float] = (0.05, 0.95),
        lang: str | None = None,
    ) -> WeightsDisplay:
        """Weights of a :class:`~riskgrade.GradingResult`, a fitted model or a Series.

        Parameters
        ----------
        result : GradingResult, RiskModel or pandas.Series
            Where the weights come from (``.weights``, ``.weights_`` or the Series).
        samples : pandas.DataFrame, optional
            Sampled weights (one column per factor); their ``quantiles`` give the intervals.
        quantiles : (float, float)
            Lower and upper quantile of the samples.
        lang : {"zh", "en"}, optional
            Language of the labels (default Chinese).

        Returns
        -------
        WeightsDisplay
        """
        if isinstance(result, pd.Series):
            w = result
        elif hasattr(result, "weights_"):
            w = result.weights_
        else:
            w = result.weights
        lg = resolve_language(lang, getattr(result, "frame", None))
        lower = upper = None
        if samples is not None:
            lower = samples.quantile(quantiles[0]).reindex(w.index)
            upper = samples.quantile(quantiles[1]).reindex(w.index)
        labels = [factor_label(str(n), lg) for n in w.index]
        title = "因素权重" if lg == "zh" else "factor weights"
        return cls(w, lower=lower, upper=upper, labels=labels, title=title, lang=lg)

    def plot(self, ax: Any = None, *, color: str = "#4b6c8c") -> WeightsDisplay:
        """Draw the bars; return ``self`` with ``ax_``, ``figure_`` and ``bars_`` set."""
        ax, fig = new_axes(ax, (6.5, 0.35 * len(self.weights) + 1.2))
        y = np.arange(len(self.weights))[::-1]
        xerr = None
        if self.lower is not None and self.upper is not None:
            w = self.weights.to_numpy()
            xerr = np.vstack([w - self.lower.to_numpy(), self.upper.to_numpy() - w])
        self.bars_ = ax.barh(y, self.weights.to_numpy(), color=color, xerr=xerr, capsize=3)
        ax.set_yticks(y, labels=self.labels)
        ax.set_xlabel("权重" if self.lang == "zh" else "weight")
        ax.set_xlim(0, None)
        if self.title:
            ax.set_title(self.title)
        use_lang_font(fig, self.lang)
        self.ax_, self.figure_ = ax, fig
        return self


class LevelDistributionDisplay:
    """Level mix of each unit as stacked bars, with the level-one cap marked.

    Parameters
    ----------
    counts : pandas.DataFrame
        Indexed by unit, columns ``level_1``, ``level_2``, ``level_3`` (counts).
    max_share : float, optional
        The quota's maximum level-one share (a dashed line when ``normalize``).
    caps : pandas.Series, optional
        Level-one cap of each unit (a marker on each bar when not ``normalize``).
    labels : sequence of str, optional
        Unit labels.
    lang : {"zh", "en"}
        Language of the labels.
    """

    def __init__(
        self,
        counts: pd.DataFrame,
        *,
        max_share: float | None = None,
        caps: pd.Series | None = None,
        labels: Sequence[str] | None = None,
        lang: str = "en",
    ) -> None:
        self.counts = counts[["level_1", "level_2", "level_3"]].astype(float)
        self.max_share = max_share
        self.caps = caps
        self.labels = list(labels) if labels is not None else [str(u) for u in counts.index]
        self.lang = lang

    @classmethod
    def from_result(cls, result: Any, *, lang: str | None = None) -> LevelDistributionDisplay:
        """From a :class:`~riskgrade.GradingResult` (its :meth:`unit_summary`)."""
        us = result.unit_summary()
        lg = resolve_language(lang, result.frame)
        ms = result.provenance.get("max_share")
        f = result.frame
        labels = None
        if "unit_name" in f.columns and result.group_by == "unit_id":
            names = f.groupby(f["unit_id"].astype(str))["unit_name"].first()
            labels = [str(names.get(u, u)) for u in us.index.astype(str)]
        return cls(us, max_share=None if ms is None else float(ms), caps=us["cap"], labels=labels, lang=lg)

    @property
    def shares(self) -> pd.DataFrame:
        """Share of each level in each unit (rows sum to 1)."""
        return self.counts.div(self.counts.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)

    def plot(self, ax: Any = None, *, normalize: bool = True) -> LevelDistributionDisplay:
        """Draw the stacked bars (shares when ``normalize``, else counts); return ``self``."""
        ax, fig = new_axes(ax, (7.0, 0.28 * len(self.counts) + 1.4))
        data = self.shares if normalize else self.counts
        y = np.arange(len(data))[::-1]
        left = np.zeros(len(data))
        self.bars_ = {}
        for k in (1, 2, 3):
            v = data[f"level_{k}"].to_numpy()
            self.bars_[k] = ax.barh(
                y, v, left=left, color=LEVEL_COLOURS[k], label=level_name(k, self.lang), height=0.8
            )
            left = left + v
        if normalize and self.max_share is not None:
            cap_txt = f"一级上限 {self.max_share:.0%}" if self.lang == "zh" else f"cap {self.max_share:.0%}"
            ax.axvline(self.max_share, color="k", ls="--", lw=1.2, label=cap_txt)
            ax.set_xlim(0, 1)
        elif self.caps is not None:
            caps = self.caps.reindex(self.counts.index).to_numpy(dtype=float)
            ax.scatter(
                caps, y, marker="|", s=200, color="k", label="一级上限" if self.lang == "zh" else "cap"
            )
        ax.set_yticks(y, labels=self.labels)
        if normalize:
            ax.set_xlabel("占比" if self.lang == "zh" else "share of the unit's points")
        else:
            ax.set_xlabel("风险点数" if self.lang == "zh" else "risk points")
        ax.legend(loc="lower right", fontsize="small", ncols=4, bbox_to_anchor=(1, 1.0))
        use_lang_font(fig, self.lang)
        self.ax_, self.figure_ = ax, fig
        return self


class FactorHeatmapDisplay:
    """Heat map of a unit × factor matrix (mean factor score by default).

    Parameters
    ----------
    matrix : pandas.DataFrame
        Rows are units, columns factors, values in [0, 1].
    labels : sequence of str, optional
        Factor labels (columns).
    lang : {"zh", "en"}
        Language.
    """

    def __init__(
        self, matrix: pd.DataFrame, *, labels: Sequence[str] | None = None, lang: str = "en"
    ) -> None:
        self.matrix = matrix.astype(float)
        self.labels = list(labels) if labels is not None else [str(c) for c in matrix.columns]
        self.lang = lang

    @classmethod
    def from_result(
        cls, result: Any, *, agg: str = "mean", by: str | None = None, lang: str | None = None
    ) -> FactorHeatmapDisplay:
        """Aggregate the ``factor_<name>`` columns of a result's frame per unit.

        Parameters
        ----------
        result : GradingResult
            The graded result.
        agg : str
            Aggregation of factor scores within a unit (``"mean"``, ``"median"``, ``"max"``).
        by : str, optional
            Grouping column (default the quota's group).
        lang : {"zh", "en"}, optional
            Language (default from the inventory).

        Returns
        -------
        FactorHeatmapDisplay
        """
        f = result.frame
        by = by or result.group_by
        cols = [c for c in f.columns if str(c).startswith("factor_")]
        m = f.groupby(f[by].astype(str), sort=True)[cols].agg(agg)
        m.columns = [c[len("factor_") :] for c in cols]
        lg = resolve_language(lang, f)
        return cls(m, labels=[factor_label(c, lg) for c in m.columns], lang=lg)

    def plot(
        self, ax: Any = None, *, cmap: str = "Reds", annotate: bool | None = None
    ) -> FactorHeatmapDisplay:
        """Draw the heat map with a colour bar; return ``self`` (``im_`` is the image)."""
        n_r, n_c = self.matrix.shape
        ax, fig = new_axes(ax, (0.7 * n_c + 3.0, 0.3 * n_r + 2.0))
        self.im_ = ax.imshow(self.matrix.to_numpy(), cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_xticks(np.arange(n_c), labels=self.labels, rotation=40, ha="right")
        ax.set_yticks(np.arange(n_r), labels=[str(i) for i in self.matrix.index])
        if annotate if annotate is not None else n_r * n_c <= 200:
            for i in range(n_r):
                for j in range(n_c):
                    v = self.matrix.iat[i, j]
                    if np.isfinite(v):
                        ax.text(
                            j,
                            i,
                            f"{v:.2f}",
                            ha="center",
                            va="center",
                            fontsize=7,
                            color="white" if v > 0.6 else "black",
                        )
        fig.colorbar(self.im_, ax=ax, label="因素得分" if self.lang == "zh" else "factor score")
        use_lang_font(fig, self.lang)
        self.ax_, self.figure_ = ax, fig
        return self


class LevelProbabilityDisplay:
    """P(level 1), P(level 2), P(level 3) of risk points as stacked bars.

    Parameters
    ----------
    probabilities : pandas.DataFrame
        Indexed by risk point id, columns ``p_level_1``, ``p_level_2``, ``p_level_3``.
    levels : pandas.Series, optional
        Assigned level of each point (marked on the bar).
    lang : {"zh", "en"}
        Language.
    """

    def __init__(
        self, probabilities: pd.DataFrame, *, levels: pd.Series | None = None, lang: str = "en"
    ) -> None:
        self.probabilities = probabilities[["p_level_1", "p_level_2", "p_level_3"]].astype(float)
        self.levels = levels
        self.lang = lang

    @classmethod
    def from_result(cls, result: Any, *, top: int = 30, lang: str | None = None) -> LevelProbabilityDisplay:
        """The ``top`` least certain points of a frame with level probabilities.

        Parameters
        ----------
        result : GradingResult or pandas.DataFrame
            A result (or frame) with ``risk_point_id``, ``level`` and ``p_level_1..3``
            (for example the graded frame merged with
            :func:`riskgrade.uncertainty.level_probabilities`).
        top : int
            Number of points shown, least certain of their level first.
        lang : {"zh", "en"}, optional
            Language.

        Returns
        -------
        LevelProbabilityDisplay
        """
        f = result.frame if hasattr(result, "frame") else result
        P = f[["p_level_1", "p_level_2", "p_level_3"]].to_numpy(dtype=float)
        if "level" in f.columns:
            lev = f["level"].to_numpy(dtype=np.int64)
            certainty = P[np.arange(len(f)), np.clip(lev, 1, 3) - 1]
        else:
            certainty = P.max(axis=1)
        order = np.argsort(certainty, kind="stable")[:top]
        sub = f.iloc[order]
        probs = sub[["p_level_1", "p_level_2", "p_level_3"]].set_axis(sub["risk_point_id"].astype(str))
        levels = sub["level"].set_axis(probs.index) if "level" in sub.columns else None
        return cls(probs, levels=levels, lang=resolve_language(lang, f))

    def plot(self, ax: Any = None) -> LevelProbabilityDisplay:
        """Draw the stacked bars; return ``self``."""
        ax, fig = new_axes(ax, (7.0, 0.25 * len(self.probabilities) + 1.4))
        y = np.arange(len(self.probabilities))[::-1]
        left = np.zeros(len(y))
        self.bars_ = {}
        for k in (1, 2, 3):
            v = self.probabilities[f"p_level_{k}"].to_numpy()
            self.bars_[k] = ax.barh(y, v, left=left, color=LEVEL_COLOURS[k], label=level_name(k, self.lang))
            left = left + v
        labels = list(self.probabilities.index)
        if self.levels is not None:
            labels = [
                f"{i} ({level_name(int(k), self.lang)})" for i, k in zip(labels, self.levels, strict=True)
            ]
        ax.set_yticks(y, labels=labels)
        ax.set_xlim(0, 1)
        ax.set_xlabel("等级概率" if self.lang == "zh" else "probability of each level")
        ax.legend(loc="lower right", fontsize="small", ncols=3, bbox_to_anchor=(1, 1.0))
        use_lang_font(fig, self.lang)
        self.ax_, self.figure_ = ax, fig
        return self


class AHPConsistencyDisplay:
    """Consistency ratio (CR) of AHP judgement matrices against the acceptance threshold.

    Parameters
    ----------
    cr : pandas.Series
        CR by matrix (expert, criterion group, ...).
    threshold : float
        Largest acceptable CR (Saaty's 0.10).
    lang : {"zh", "en"}
        Language.
    """

    def __init__(self, cr: pd.Series, *, threshold: float = 0.10, lang: str = "en") -> None:
        self.cr = pd.Series(cr, dtype=float)
        self.threshold = threshold
        self.lang = lang

    @classmethod
    def from_ahp(
        cls,
        results: Any,
        *,
        threshold: float = 0.10,
        lang: str | None = None,
    ) -> AHPConsistencyDisplay:
        """From AHP results: one result, a mapping ``{name: result}`` or a sequence.

        Each result needs a ``cr`` attribute (as returned by :func:`riskgrade.weighting.ahp`);
        plain numbers are accepted as CRs.

        Returns
        -------
        AHPConsistencyDisplay
        """
        if isinstance(results, Mapping):
            items = list(results.items())
        elif isinstance(results, Sequence) and not isinstance(results, str):
            items = [(str(i + 1), r) for i, r in enumerate(results)]
        else:
            items = [("AHP", results)]
        cr = pd.Series({str(k): getattr(r, "cr", r) for k, r in items}, dtype=float)
        return cls(cr, threshold=threshold, lang=resolve_language(lang))

    @property
    def acceptable(self) -> pd.Series:
        """Whether each CR is at most the threshold."""
        return self.cr <= self.threshold

    def plot(self, ax: Any = None) -> AHPConsistencyDisplay:
        """Draw the CR bars and the threshold line; return ``self``."""
        ax, fig = new_axes(ax, (0.5 * len(self.cr) + 3.0, 3.2))
        x = np.arange(len(self.cr))
        colours = np.where(self.acceptable.to_numpy(), "#4b6c8c", LEVEL_COLOURS[1])
        self.bars_ = ax.bar(x, self.cr.to_numpy(), color=colours)
        ax.axhline(
            self.threshold,
            color="k",
            ls="--",
            lw=1.2,
            label=(
                f"可接受上限 CR = {self.threshold:g}"
                if self.lang == "zh"
                else f"acceptable CR ≤ {self.threshold:g}"
            ),
        )
        ax.set_xticks(x, labels=list(self.cr.index), rotation=30 if len(x) > 6 else 0)
        ax.set_ylabel("一致性比率 CR" if self.lang == "zh" else "consistency ratio CR")
        ax.legend(fontsize="small")
        use_lang_font(fig, self.lang)
        self.ax_, self.figure_ = ax, fig
        return self
