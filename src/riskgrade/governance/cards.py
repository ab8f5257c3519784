"""Early warning and the "三早三卡" cards: reminder, warning and correction cards.

Section 12 of the source document asks for early detection, reminder and correction
(早发现、早提醒、早纠正) fed by petitions and by the findings of risk reviews, law-
enforcement and efficiency supervision, case investigations, cadre evaluations, media
scrutiny, special campaigns, audits and inspections; it names three cards:

* **reminder card** (提醒卡) — points to a problem that may arise;
* **warning card** (警示卡) — warns of a tendency that has appeared;
* **correction card** (纠错卡) — corrects a minor violation.

Section 11 asks for "automatic judgement and early warning of anomalies". Here a
*signal* is one observation about a subject (a person, a post or a unit): a table with
``subject_kind``, ``subject_id``, ``signal_type``, ``date`` and optionally ``unit_id``
and ``count`` (default 1). Rules turn the signals inside a window ending on ``as_of``
(``as_of - window_days < date <= as_of``) into cards:

* :class:`~riskgrade.governance.warning_rules.ThresholdRule` — at least ``min_count``
  signals of the given types;
* :class:`~riskgrade.governance.warning_rules.CombinationRule` — signals of at least
  ``min_types`` distinct types;
* :class:`~riskgrade.governance.warning_rules.PoissonRule` — a count well above the
  subject's own baseline. With ``x``
  signals in the window and baseline rate ``r`` per day, ``lambda = r * window_days``
  and the rule fires when ``P(X >= x | lambda) <= alpha`` for ``X ~ Poisson(lambda)``.
  Under the baseline, the rule fires with probability at most ``alpha`` (the stated
  false-alarm rate; the Poisson law is discrete, so the rate achieved is at most
  ``alpha`` and approaches it as ``lambda`` grows). The rate is taken from an explicit
  ``baselines`` table when given, else estimated from the subject's own history in the
  ``baseline_days`` before the window as ``(n_history + prior_count) / baseline_days``
  (the pseudo-count keeps a subject with a clean history from being flagged for a
  single signal; an estimated rate adds its own error to the false-alarm rate).

A subject gets one card per run: the most severe card of the rules that fire, listing
every trigger. A card is escalated one step (reminder -> warning -> correction ->
referral) when the subject had a card in the ``repeat_days`` before (a repeat), and an
open card of the ``history`` whose response deadline has passed produces an escalation
card of the next step. Response deadlines default to 7, 10 and 15 days for the three
cards (Danfeng County practice: reminder 7 days, enquiry 10, admonition 15) and 15 days
for a referral; all are configurable in :class:`CardPolicy`. Each card carries its
follow-up action (section 12: "做好谈话、函询、诫勉..."): reminder 谈话提醒, warning 函询,
correction 诫勉谈话, referral 移送审查.

Signal types are read by :func:`~riskgrade.governance.signals.prepare_signals`: Chinese
names (信访, 审计发现, 巡察, 效能监察, ...) map to the canonical types, and a type nobody
knows is an error, never silently left out.

**Re-runs.** A card's id is made of the issue date, the subject and the card type, so the
same inputs on the same day give the same ids; a card whose id is already in the
``history`` is not issued again. A subject none of whose signals is dated after its last
card (in the ``history``) gets no new card: the signals were seen by that card, which is
followed up through its deadline (an unanswered card is escalated once its deadline has
passed, not at every run).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskgrade.governance.auditlog import AuditLog
from riskgrade.governance.findings import findings_frame, raise_if_findings
from riskgrade.governance.graded import is_missing, missing_mask, require_columns
from riskgrade.governance.signals import prepare_signals
from riskgrade.governance.warning_rules import (
    DEFAULT_CARD_RULES,
    CombinationRule,
    PoissonRule,
    ThresholdRule,
    fire_rule,
    window,
)

__all__ = [
    "CARD_COLUMNS",
    "CARD_TYPES",
    "CardPolicy",
    "issue_cards",
    "review_cards",
]

#: Card types in increasing severity; ``referral`` is reached only by escalation.
CARD_TYPES = ("reminder", "warning", "correction", "referral")

#: Columns of the cards table.
CARD_COLUMNS = [
    "card_id",
    "subject_kind",
    "subject_id",
    "unit_id",
    "card_type",
    "rules",
    "trigger",
    "n_signals",
    "issue_date",
    "deadline",
    "escalation",
    "escalated_from",
    "status",
    "follow_up",
]

#: Follow-up action of each card (section 12: 谈话、函询、诫勉、督查、督办、通报).
DEFAULT_FOLLOW_UP: dict[str, str] = {
    "reminder": "谈话提醒",
    "warning": "函询",
    "correction": "诫勉谈话",
    "referral": "移送审查",
}


class CardPolicy(BaseModel):
    """Deadlines and escalation.

    Parameters
    ----------
    deadlines : dict of str to int
        Response deadline in days by card type.
    repeat_days : int
        A new card for a subject with a card issued in this many days before is
        escalated one step.
    follow_up : dict of str to str
        Follow-up action by card type (default: reminder 谈话提醒, warning 函询,
        correction 诫勉谈话, referral 移送审查).
    signal_aliases : dict of str to str
        Further words for signal types, ``{word: canonical type}`` (the built-in ones
        are :data:`~riskgrade.governance.signals.SIGNAL_ALIASES`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    deadlines: dict[str, int] = Field(
        default_factory=lambda: {"reminder": 7, "warning": 10, "correction": 15, "referral": 15}
    )
    repeat_days: int = Field(default=180, ge=0)
    follow_up: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_FOLLOW_UP))
    signal_aliases: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> CardPolicy:
        if set(self.deadlines) != set(CARD_TYPES):
            raise ValueError(f"deadlines must have exactly the keys {list(CARD_TYPES)}")
        if set(self.follow_up) != set(CARD_TYPES):
            raise ValueError(f"follow_up must have exactly the keys {list(CARD_TYPES)}")
        bad = {k: v for k, v in self.deadlines.items() if v < 1}
        if bad:
            raise ValueError(f"deadlines must be at least 1 day, got {bad}")
        return self


def _signals(signals: pd.DataFrame, rules: Sequence[Any], policy: CardPolicy) -> pd.DataFrame:
    known = {t for r in rules for t in (r.signal_types or ())}
    return prepare_signals(signals, known=known, aliases=policy.signal_aliases, on_unknown="raise")[0]


def _step(card: str, n: int = 1) -> str:
    return CARD_TYPES[min(CARD_TYPES.index(card) + n, len(CARD_TYPES) - 1)]


def issue_cards(
    signals: pd.DataFrame,
    rules: Iterable[ThresholdRule | CombinationRule | PoissonRule] = DEFAULT_CARD_RULES,
    *,
    as_of: date,
    policy: CardPolicy | None = None,
    history: pd.DataFrame | None = None,
    baselines: pd.DataFrame | None = None,
    log: AuditLog | None = None,
    actor: str = "early-warning rules",
) -> pd.DataFrame:
    """Issue the cards due on ``as_of``.

    Parameters
    ----------
    signals : pandas.DataFrame
        ``subject_kind``, ``subject_id``, ``signal_type``, ``date``; optional
        ``unit_id`` and ``count``.
    rules : iterable of rules
        Card rules (default :data:`DEFAULT_CARD_RULES`).
    as_of : date
        Issue date (explicit: the clock is never read).
    policy : CardPolicy, optional
        Deadlines and escalation.
    history : pandas.DataFrame, optional
        Cards issued before (as returned by this function), with an optional
        ``response_date``; used for repeats and passed deadlines.
    baselines : pandas.DataFrame, optional
        ``subject_kind``, ``subject_id``, ``rate`` (expected signals per day) for the
        Poisson rules, instead of the subject's own history.
    log : AuditLog, optional
        Receives one ``"card_issued"`` entry per card.
    actor : str
        Actor recorded in the log.

    Returns
    -------
    pandas.DataFrame
        :data:`CARD_COLUMNS`, one row per card, sorted by subject and card type.

    Examples
    --------
    >>> import pandas as pd
    >>> from datetime import date
    >>> s = pd.DataFrame({"subject_kind": "post", "subject_id": "P1", "signal_type": "petition",
    ...                   "date": ["2024-05-02", "2024-05-20"]})
    >>> c = issue_cards(s, as_of=date(2024, 6, 1))
    >>> c[["card_type", "issue_date", "deadline"]].values.tolist()
    [['reminder', datetime.date(2024, 6, 1), datetime.date(2024, 6, 8)]]
    """
    policy = policy or CardPolicy()
    rules = list(rules)
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise ValueError(f"rule names must be unique, got {names}")
    s = _signals(signals, rules, policy)
    end = pd.Timestamp(as_of)
    s = s[s["date"] <= end]
    base = None
    if baselines is not None:
        require_columns(baselines, ["subject_kind", "subject_id", "rate"], table="baselines")
        base = (
            baselines.assign(
                subject_kind=baselines["subject_kind"].astype(str),
                subject_id=baselines["subject_id"].astype(str),
            )
            .set_index(["subject_kind", "subject_id"])["rate"]
            .astype(float)
        )
    fired: dict[tuple, list[tuple[Any, str]]] = {}
    for r in rules:
        for k, why in fire_rule(r, s, end, base).items():
            fired.setdefault(k, []).append((r, why))
    has_unit = s[~missing_mask(s["unit_id"])]
    units = (
        has_unit.sort_values(["subject_kind", "subject_id", "unit_id"])
        .drop_duplicates(["subject_kind", "subject_id"])
        .set_index(["subject_kind", "subject_id"])["unit_id"]
        .astype(str)
    )
    n_by_window = {
        w: window(s, end, w).groupby(["subject_kind", "subject_id"])["count"].sum().to_dict()
        for w in sorted({r.window_days for r in rules})
    }
    hist = _history(history)
    seen = _last_card_dates(hist, end)
    latest = s.groupby(["subject_kind", "subject_id"])["date"].max().to_dict()
    rows: list[dict[str, Any]] = []
    for k in sorted(fired):
        if k in seen and not latest.get(k, end) > seen[k]:
            continue  # nothing new since the subject's last card: that card's deadline runs
        lst = fired[k]
        card = max((r.card for r, _ in lst), key=CARD_TYPES.index)
        trig = [w for _, w in lst]
        escalation, prev_id = "", None
        if hist is not None and policy.repeat_days:
            h = hist[(hist["subject_kind"] == k[0]) & (hist["subject_id"] == k[1])]
            h = h[(h["issue_date"] < end) & (h["issue_date"] >= end - pd.Timedelta(days=policy.repeat_days))]
            if len(h):
                last = h.sort_values(["issue_date", "card_id"]).iloc[-1]
                new = max(card, _step(str(last["card_type"])), key=CARD_TYPES.index)
                if new != card:
                    when = last["issue_date"].date()
                    trig.append(f"repeat: {last['card_type']} card {last['card_id']} issued {when}")
                    card, escalation, prev_id = new, "repeat", str(last["card_id"])
        n_sig = int(n_by_window[max(r.window_days for r, _ in lst)].get(k, 0))
        rows.append(
            _card(
                k,
                units.get(k),
                card,
                [r.name for r, _ in lst],
                trig,
                n_sig,
                as_of,
                policy,
                escalation,
                prev_id,
            )
        )
    if hist is not None:
        overdue = hist[hist["response_date"].isna() & (hist["deadline"] < end)]
        overdue = overdue[~overdue["card_id"].isin(set(hist["escalated_from"].dropna().astype(str)))]
        for rec in overdue.sort_values(["subject_kind", "subject_id", "card_id"]).itertuples(index=False):
            k = (rec.subject_kind, rec.subject_id)
            if any(
                r["subject_kind"] == k[0] and r["subject_id"] == k[1] and r["escalated_from"] == rec.card_id
                for r in rows
            ):
                continue
            trig = [
                f"deadline passed: {rec.card_type} card {rec.card_id} due {rec.deadline.date()} unanswered"
            ]
            rows.append(
                _card(
                    k,
                    None if is_missing(rec.unit_id) else str(rec.unit_id),
                    _step(str(rec.card_type)),
                    ["deadline_passed"],
                    trig,
                    0,
                    as_of,
                    policy,
                    "deadline_passed",
                    str(rec.card_id),
                )
            )
    out = pd.DataFrame(rows, columns=CARD_COLUMNS)
    out = _dedupe(out)
    if hist is not None:
        out = out[~out["card_id"].isin(set(hist["card_id"]))].reset_index(drop=True)
    if log is not None:
        for rec in out.itertuples(index=False):
            log.append(
                when=as_of,
                actor=actor,
                action="card_issued",
                subject=rec.card_id,
                field="card_type",
                old=None,
                new=rec.card_type,
                reason=rec.trigger,
            )
    return out


def _card(
    k: tuple,
    unit: Any,
    card: str,
    rules: Sequence[str],
    trig: Sequence[str],
    n: int,
    as_of: date,
    policy: CardPolicy,
    escalation: str,
    prev: str | None,
) -> dict[str, Any]:
    return {
        "card_id": f"{as_of:%Y%m%d}-{k[0]}-{k[1]}-{card}",
        "subject_kind": k[0],
        "subject_id": k[1],
        "unit_id": unit,
        "card_type": card,
        "rules": ";".join(rules),
        "trigger": " | ".join(trig),
        "n_signals": n,
        "issue_date": as_of,
        "deadline": as_of + timedelta(days=policy.deadlines[card]),
        "escalation": escalation,
        "escalated_from": prev,
        "status": "open",
        "follow_up": policy.follow_up[card],
    }


def _dedupe(out: pd.DataFrame) -> pd.DataFrame:
    """One card per subject: keep the most severe, merging triggers."""
    if not len(out):
        return out.reset_index(drop=True)
    out = out.assign(_sev=out["card_type"].map(CARD_TYPES.index))
    out = out.sort_values(
        ["subject_kind", "subject_id", "_sev", "card_id"], ascending=[True, True, False, True]
    )
    key = ["subject_kind", "subject_id"]
    dup = out.duplicated(key, keep=False)
    single = out[~dup.to_numpy()]
    merged = []
    for _, g in out[dup.to_numpy()].groupby(key, sort=True):
        top = g.iloc[0].copy()
        top["trigger"] = " | ".join(g["trigger"])
        top["rules"] = ";".join(dict.fromkeys(";".join(g["rules"]).split(";")))
        top["n_signals"] = int(g["n_signals"].max())
        if is_missing(top["unit_id"]):
            top["unit_id"] = next((u for u in g["unit_id"] if not is_missing(u)), None)
        merged.append(top)
    res = pd.concat([single, pd.DataFrame(merged)]) if merged else single
    res = res.drop(columns="_sev")
    return res.sort_values(key, kind="stable").reset_index(drop=True)[CARD_COLUMNS]


def _last_card_dates(hist: pd.DataFrame | None, end: pd.Timestamp) -> dict[tuple, pd.Timestamp]:
    """Issue date of each subject's last card on or before ``end``."""
    if hist is None:
        return {}
    h = hist[hist["issue_date"] <= end]
    return h.groupby(["subject_kind", "subject_id"])["issue_date"].max().to_dict()


def _history(history: pd.DataFrame | None) -> pd.DataFrame | None:
    if history is None:
        return None
    require_columns(
        history,
        ["card_id", "subject_kind", "subject_id", "card_type", "issue_date", "deadline"],
        table="history",
    )
    h = history.copy()
    h["issue_date"] = pd.to_datetime(h["issue_date"])
    h["deadline"] = pd.to_datetime(h["deadline"])
    h["response_date"] = pd.to_datetime(h["response_date"]) if "response_date" in h else pd.NaT
    for c in ("unit_id", "escalated_from"):
        if c not in h:
            h[c] = None
    bad = ~h["card_type"].isin(CARD_TYPES)
    if bad.any():
        raise_if_findings(
            findings_frame(
                {
                    "row": i,
                    "risk_point_id": None,
                    "column": "card_type",
                    "value": v,
                    "reason": "unknown_card_type",
                    "message": f"card_type must be one of {list(CARD_TYPES)}",
                    "table": "history",
                }
                for i, v in zip(np.flatnonzero(bad.to_numpy()), h["card_type"][bad], strict=True)
            )
        )
    for c in ("subject_kind", "subject_id", "card_id"):
        h[c] = h[c].astype(str)
    return h


def review_cards(cards: pd.DataFrame, *, as_of: date, responses: pd.DataFrame | None = None) -> pd.DataFrame:
    """Status of cards on ``as_of``: open, responded, late or overdue.

    Parameters
    ----------
    cards : pandas.DataFrame
        Cards (as from :func:`issue_cards`), optionally with ``response_date``.
    as_of : date
        Review date.
    responses : pandas.DataFrame, optional
        ``card_id``, ``response_date``; fills ``response_date`` of the cards.

    Returns
    -------
    pandas.DataFrame
        The cards with ``response_date``, ``status`` (``responded`` by the deadline,
        ``late`` after it, ``overdue`` unanswered after the deadline, else ``open``)
        and ``days_overdue``.
    """
    c = cards.copy()
    require_columns(c, ["card_id", "deadline"], table="cards")
    if "response_date" not in c:
        c["response_date"] = pd.NaT
    if responses is not None:
        require_columns(responses, ["card_id", "response_date"], table="responses")
        unknown = sorted(set(responses["card_id"].astype(str)) - set(c["card_id"].astype(str)))
        if unknown:
            raise_if_findings(
                findings_frame(
                    {
                        "column": "card_id",
                        "value": u,
                        "reason": "unknown_card",
                        "message": "response to an unknown card",
                        "table": "responses",
                    }
                    for u in unknown
                )
            )
        r = responses.assign(card_id=responses["card_id"].astype(str)).set_index("card_id")["response_date"]
        c["response_date"] = c["card_id"].astype(str).map(r).combine_first(c["response_date"])
    resp = pd.to_datetime(c["response_date"])
    resp = resp.where(resp <= pd.Timestamp(as_of))
    dl = pd.to_datetime(c["deadline"])
    end = pd.Timestamp(as_of)
    status = np.where(
        resp.notna(), np.where(resp <= dl, "responded", "late"), np.where(dl < end, "overdue", "open")
    )
    c["response_date"] = resp.dt.date.where(resp.notna(), None)
    c["status"] = status
    c["days_overdue"] = np.where(status == "overdue", (end - dl).dt.days, 0).astype("int64")
    return c.reset_index(drop=True)
