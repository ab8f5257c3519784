"""Warning rules: which signals call for a card (the detection half of "三早三卡").

Three kinds of rule read the signals in a window ending on ``as_of``
(``as_of - window_days < date <= as_of``): :class:`ThresholdRule` (a count),
:class:`CombinationRule` (several distinct sources) and :class:`PoissonRule` (a count well
above the subject's own baseline, with a stated false-alarm rate, see
:func:`poisson_anomaly`). :mod:`riskgrade.governance.cards` turns what they find into cards.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy import stats

__all__ = [
    "DEFAULT_CARD_RULES",
    "CombinationRule",
    "PoissonRule",
    "ThresholdRule",
    "fire_rule",
    "poisson_anomaly",
]

IssuedCard = Literal["reminder", "warning", "correction"]


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    card: IssuedCard
    signal_types: tuple[str, ...] | None = None
    window_days: int = Field(default=90, ge=1)

    def select(self, s: pd.DataFrame) -> pd.DataFrame:
        return s if self.signal_types is None else s[s["signal_type"].isin(self.signal_types)]


class ThresholdRule(_Rule):
    """At least ``min_count`` signals (of ``signal_types``, all if None) in the window.

    Parameters
    ----------
    name : str
        Rule name (shown on the card).
    card : {"reminder", "warning", "correction"}
        Card issued.
    signal_types : tuple of str, optional
        Signal types counted (default all).
    window_days : int
        Window length in days.
    min_count : int
        Smallest count that fires.
    """

    kind: Literal["threshold"] = "threshold"
    min_count: int = Field(default=1, ge=1)


class CombinationRule(_Rule):
    """Signals of at least ``min_types`` distinct types (of ``signal_types``) in the window.

    Parameters
    ----------
    name, card, signal_types, window_days
        As for :class:`ThresholdRule`.
    min_types : int
        Smallest number of distinct signal types that fires.
    """

    kind: Literal["combination"] = "combination"
    min_types: int = Field(default=2, ge=2)


class PoissonRule(_Rule):
    """Count well above the subject's own baseline (see the module docstring).

    Parameters
    ----------
    name, card, signal_types, window_days
        As for :class:`ThresholdRule`.
    alpha : float
        Stated false-alarm rate: the rule fires when ``P(X >= x | lambda) <= alpha``.
    baseline_days : int
        Length of the history before the window used to estimate the rate.
    prior_count : float
        Pseudo-count added to the history count.
    min_count : int
        Smallest count that can fire.
    """

    kind: Literal["poisson"] = "poisson"
    alpha: float = Field(default=0.01, gt=0.0, lt=0.5)
    baseline_days: int = Field(default=365, ge=1)
    prior_count: float = Field(default=0.5, ge=0.0)
    min_count: int = Field(default=3, ge=1)


CardRule = Annotated[ThresholdRule | CombinationRule | PoissonRule, Field(discriminator="kind")]

_MONITORED = ("petition", "complaint", "media_report", "risk_review", "cadre_evaluation")
_FINDINGS = (
    "audit_finding",
    "inspection_finding",
    "case_investigation",
    "law_enforcement_supervision",
    "efficiency_supervision",
    "special_campaign",
)

#: Default rules (an example policy: adapt them to local practice).
DEFAULT_CARD_RULES: tuple[ThresholdRule | CombinationRule | PoissonRule, ...] = (
    ThresholdRule(name="repeated_petitions", card="reminder", signal_types=_MONITORED, min_count=2),
    CombinationRule(name="several_sources", card="warning", window_days=180, min_types=3),
    PoissonRule(name="above_own_baseline", card="warning", signal_types=_MONITORED),
    ThresholdRule(name="confirmed_finding", card="correction", signal_types=_FINDINGS, min_count=1),
)


def poisson_anomaly(counts: Any, expected: Any, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Upper-tail Poisson p-values ``P(X >= x | lambda)`` and flags ``p <= alpha``.

    Parameters
    ----------
    counts : array-like of int
        Observed counts ``x``.
    expected : array-like of float
        Expected counts ``lambda`` under the baseline (>= 0).
    alpha : float
        False-alarm rate.

    Returns
    -------
    p_value, flag : ndarray

    Examples
    --------
    >>> p, f = poisson_anomaly([0, 3, 9], [2.0, 2.0, 2.0], 0.01)
    >>> f.tolist()
    [False, False, True]
    """
    x = np.asarray(counts, dtype=float)
    lam = np.asarray(expected, dtype=float)
    if (lam < 0).any() or np.isnan(lam).any():
        raise ValueError("expected counts must be non-negative numbers")
    p = np.where(x <= 0, 1.0, stats.poisson.sf(x - 1, lam))
    return p, p <= alpha


def window(s: pd.DataFrame, end: pd.Timestamp, days: int) -> pd.DataFrame:
    return s[(s["date"] > end - pd.Timedelta(days=days)) & (s["date"] <= end)]


def fire_rule(
    rule: Any, s: pd.DataFrame, as_of: pd.Timestamp, baselines: pd.Series | None
) -> dict[tuple, str]:
    """Triggers by ``(subject_kind, subject_id)`` for one rule on the signals up to ``as_of``."""
    key = ["subject_kind", "subject_id"]
    sel = rule.select(s)
    win = window(sel, as_of, rule.window_days)
    out: dict[tuple, str] = {}
    if isinstance(rule, ThresholdRule):
        n = win.groupby(key)["count"].sum()
        for k, v in n[n >= rule.min_count].items():
            out[k] = (
                f"{rule.name}: {int(v)} signal(s) in {rule.window_days} days (threshold {rule.min_count})"
            )
    elif isinstance(rule, CombinationRule):
        d = (
            win.loc[win["count"] > 0, [*key, "signal_type"]]
            .drop_duplicates()
            .sort_values([*key, "signal_type"])
        )
        size = d.groupby(key).size()
        hit = size[size >= rule.min_types]
        if len(hit):
            d = d.set_index(key).loc[hit.index]
            for k, v in d.groupby(level=[0, 1], sort=True)["signal_type"]:
                out[k] = f"{rule.name}: {len(v)} sources ({', '.join(v)}) in {rule.window_days} days"
    else:
        n = win.groupby(key)["count"].sum()
        n = n[n >= rule.min_count]
        if not len(n):
            return out
        if baselines is not None:
            rate = baselines.reindex(n.index)
            src = "given baseline"
            if rate.isna().any():
                missing = [f"{a}:{b}" for a, b in rate.index[rate.isna().to_numpy()]]
                raise ValueError(f"rule {rule.name!r}: baselines table has no rate for subject(s) {missing}")
        else:
            start = as_of - pd.Timedelta(days=rule.window_days)
            hist = (
                window(sel, start, rule.baseline_days).groupby(key)["count"].sum().reindex(n.index).fillna(0)
            )
            rate = (hist + rule.prior_count) / rule.baseline_days
            src = f"own rate over {rule.baseline_days} days"
        lam = rate.to_numpy(float) * rule.window_days
        p, flag = poisson_anomaly(n.to_numpy(), lam, rule.alpha)
        for k, x, la, pv, f in zip(n.index, n.to_numpy(), lam, p, flag, strict=True):
            if f:
                out[k] = (
                    f"{rule.name}: {int(x)} signal(s) in {rule.window_days} days, expected {la:.3g} "
                    f"({src}); P(X >= {int(x)}) = {pv:.3g} <= alpha {rule.alpha:g}"
                )
    return out
