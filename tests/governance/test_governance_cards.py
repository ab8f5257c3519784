"""Early-warning cards, "三早三卡" (riskgrade.governance.cards), sections 11-12 of 川纪发〔2012〕16号."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskgrade.exceptions import InventoryValidationError
from riskgrade.governance import (
    CARD_COLUMNS,
    AuditLog,
    CardPolicy,
    CombinationRule,
    PoissonRule,
    ThresholdRule,
    issue_cards,
    poisson_anomaly,
    review_cards,
)

AS_OF = date(2024, 6, 1)


def sig(rows):
    return pd.DataFrame(rows, columns=["subject_kind", "subject_id", "unit_id", "signal_type", "date"])


def test_threshold_rule_reminder_with_default_deadline():
    s = sig([("post", "P1", "u1", "petition", "2024-05-01"), ("post", "P1", "u1", "complaint", "2024-05-30")])
    rule = ThresholdRule(
        name="two_petitions", card="reminder", signal_types=("petition", "complaint"), min_count=2
    )
    c = issue_cards(s, [rule], as_of=AS_OF)
    assert list(c.columns) == CARD_COLUMNS
    rec = c.iloc[0]
    assert (rec.card_type, rec.subject_id, rec.unit_id, rec.n_signals) == ("reminder", "P1", "u1", 2)
    assert rec.deadline == AS_OF + timedelta(days=7) and rec.status == "open"
    assert "2 signal(s) in 90 days (threshold 2)" in rec.trigger


@pytest.mark.parametrize(("card", "days"), [("reminder", 7), ("warning", 10), ("correction", 15)])
def test_default_deadlines_7_10_15_and_configurable(card, days):
    s = sig([("person", "A", "u1", "audit_finding", "2024-05-01")])
    rule = ThresholdRule(name="r", card=card)
    assert issue_cards(s, [rule], as_of=AS_OF)["deadline"].iloc[0] == AS_OF + timedelta(days=days)
    pol = CardPolicy(deadlines={"reminder": 3, "warning": 5, "correction": 9, "referral": 30})
    got = issue_cards(s, [rule], as_of=AS_OF, policy=pol)["deadline"].iloc[0]
    assert got == AS_OF + timedelta(days=pol.deadlines[card])


def test_window_bounds():
    rule = ThresholdRule(name="r", card="reminder", window_days=30)
    inside = sig([("post", "P1", None, "petition", "2024-05-03")])  # as_of - 29 days
    edge = sig([("post", "P1", None, "petition", "2024-05-02")])  # as_of - 30 days: outside
    future = sig([("post", "P1", None, "petition", "2024-06-02")])
    assert len(issue_cards(inside, [rule], as_of=AS_OF)) == 1
    assert issue_cards(edge, [rule], as_of=AS_OF).empty
    assert issue_cards(future, [rule], as_of=AS_OF).empty


def test_combination_rule():
    rule = CombinationRule(name="two_sources", card="warning", min_types=2, window_days=180)
    one = sig([("unit", "U", None, "petition", "2024-05-01")] * 3)
    two = sig(
        [("unit", "U", None, "petition", "2024-05-01"), ("unit", "U", None, "media_report", "2024-04-01")]
    )
    assert issue_cards(one, [rule], as_of=AS_OF).empty
    c = issue_cards(two, [rule], as_of=AS_OF)
    assert c["card_type"].tolist() == ["warning"] and "media_report, petition" in c["trigger"].iloc[0]


def test_one_card_per_subject_most_severe_with_all_triggers():
    s = sig(
        [("post", "P1", "u1", "petition", "2024-05-01"), ("post", "P1", "u1", "audit_finding", "2024-05-02")]
    )
    rules = [
        ThresholdRule(name="any", card="reminder"),
        ThresholdRule(name="finding", card="correction", signal_types=("audit_finding",)),
    ]
    c = issue_cards(s, rules, as_of=AS_OF)
    assert len(c) == 1 and c["card_type"].iloc[0] == "correction"
    assert c["rules"].iloc[0] == "any;finding" and c["trigger"].iloc[0].count("|") == 1


def test_repeat_escalates_one_step():
    s = sig([("post", "P1", "u1", "petition", "2024-05-20")])
    rule = ThresholdRule(name="any", card="reminder")
    hist = pd.DataFrame(
        {
            "card_id": ["old"],
            "subject_kind": ["post"],
            "subject_id": ["P1"],
            "card_type": ["reminder"],
            "issue_date": [date(2024, 3, 1)],
            "deadline": [date(2024, 3, 8)],
            "response_date": [date(2024, 3, 5)],
        }
    )
    c = issue_cards(s, [rule], as_of=AS_OF, history=hist)
    assert c["card_type"].iloc[0] == "warning" and c["escalation"].iloc[0] == "repeat"
    assert c["escalated_from"].iloc[0] == "old"
    # outside repeat_days: no escalation
    c2 = issue_cards(s, [rule], as_of=AS_OF, history=hist, policy=CardPolicy(repeat_days=30))
    assert c2["card_type"].iloc[0] == "reminder" and c2["escalation"].iloc[0] == ""


def test_deadline_passed_escalates_once():
    hist = pd.DataFrame(
        {
            "card_id": ["w1", "c1", "r1"],
            "subject_kind": ["person", "person", "person"],
            "subject_id": ["A", "B", "C"],
            "unit_id": ["u1", "u1", "u2"],
            "card_type": ["warning", "correction", "reminder"],
            "issue_date": [date(2024, 5, 1)] * 3,
            "deadline": [date(2024, 5, 11), date(2024, 5, 16), date(2024, 6, 3)],
            "response_date": [None, None, None],
        }
    )
    empty = sig([])
    c = issue_cards(empty, [], as_of=AS_OF, history=hist).set_index("subject_id")
    assert sorted(c.index) == ["A", "B"]  # C's deadline has not passed
    assert c.loc["A", "card_type"] == "correction" and c.loc["B", "card_type"] == "referral"
    assert (c["escalation"] == "deadline_passed").all() and c.loc["A", "escalated_from"] == "w1"
    assert "due 2024-05-11 unanswered" in c.loc["A", "trigger"]
    # the escalation card is in the history now: no second escalation of w1
    hist2 = pd.concat([hist, c.reset_index()], ignore_index=True)
    c2 = issue_cards(empty, [], as_of=AS_OF + timedelta(days=1), history=hist2)
    assert "w1" not in set(c2["escalated_from"])


def test_review_cards_statuses():
    s = sig([("post", p, "u1", "petition", "2024-05-20") for p in ("P1", "P2", "P3", "P4")])
    cards = issue_cards(s, [ThresholdRule(name="any", card="reminder")], as_of=AS_OF)
    resp = pd.DataFrame(
        {"card_id": cards["card_id"].iloc[:2], "response_date": [date(2024, 6, 5), date(2024, 6, 12)]}
    )
    r = review_cards(cards, as_of=date(2024, 6, 20), responses=resp).set_index("subject_id")
    assert r["status"].to_dict() == {"P1": "responded", "P2": "late", "P3": "overdue", "P4": "overdue"}
    assert r.loc["P3", "days_overdue"] == 12
    r0 = review_cards(cards, as_of=date(2024, 6, 5))
    assert set(r0["status"]) == {"open"}
    with pytest.raises(InventoryValidationError, match="unknown"):
        review_cards(
            cards, as_of=AS_OF, responses=pd.DataFrame({"card_id": ["nope"], "response_date": [AS_OF]})
        )


def test_cards_logged():
    log = AuditLog()
    s = sig([("post", "P1", "u1", "petition", "2024-05-20")])
    c = issue_cards(s, [ThresholdRule(name="any", card="reminder")], as_of=AS_OF, log=log)
    assert [(e.action, e.subject, e.new) for e in log] == [("card_issued", c["card_id"].iloc[0], "reminder")]


def test_invalid_signals_all_reported():
    s = pd.DataFrame(
        {
            "subject_kind": ["post", None],
            "subject_id": ["P1", "P2"],
            "signal_type": ["petition", "petition"],
            "date": ["yesterday", "2024-05-01"],
            "count": [1, -2],
        }
    )
    with pytest.raises(InventoryValidationError) as ei:
        issue_cards(s, as_of=AS_OF)
    fc = ei.value.failure_cases
    assert set(zip(fc["row"], fc["reason"], strict=True)) == {
        (0, "invalid_date"),
        (1, "missing_value"),
        (1, "invalid_count"),
    }


def test_row_order_irrelevant_with_default_rules():
    rng = np.random.default_rng(5)
    n = 300
    types = ["petition", "complaint", "media_report", "audit_finding", "inspection_finding"]
    s = pd.DataFrame(
        {
            "subject_kind": "post",
            "subject_id": rng.choice([f"P{i}" for i in range(40)], n),
            "unit_id": "u1",
            "signal_type": rng.choice(types, n, p=[0.4, 0.3, 0.2, 0.05, 0.05]),
            "date": [AS_OF - timedelta(days=int(d)) for d in rng.integers(0, 500, n)],
        }
    )
    a = issue_cards(s, as_of=AS_OF)
    b = issue_cards(s.sample(frac=1, random_state=3), as_of=AS_OF)
    pd.testing.assert_frame_equal(a, b)
    assert a["subject_id"].is_unique and len(a) > 0


# ------------------------------------------------------------ the Poisson rule


def exact_size(lam: float, alpha: float) -> float:
    """Exact false-alarm rate of the rule: P(X >= c) for the smallest c with P(X >= c) <= alpha."""
    c = int(stats.poisson.isf(alpha, lam))  # P(X > c) <= alpha
    while c > 0 and stats.poisson.sf(c - 2, lam) <= alpha:
        c -= 1
    while stats.poisson.sf(c - 1, lam) > alpha:
        c += 1
    return float(stats.poisson.sf(c - 1, lam))


def test_poisson_pvalue_matches_definition():
    p, f = poisson_anomaly([0, 1, 5], [2.0, 2.0, 2.0], 0.05)
    assert p[0] == 1.0
    assert p[1] == pytest.approx(1 - np.exp(-2.0))
    assert p[2] == pytest.approx(1 - sum(np.exp(-2.0) * 2.0**k / np.prod(range(1, k + 1)) for k in range(5)))
    assert f.tolist() == [False, False, False]
    with pytest.raises(ValueError):
        poisson_anomaly([1], [-1.0], 0.05)


@pytest.mark.parametrize("alpha", [0.01, 0.05])
@pytest.mark.parametrize("lam", [0.3, 2.0, 8.0, 60.0])
def test_false_alarm_rate_by_simulation(lam, alpha):
    """Counts drawn under the baseline are flagged at most at the stated rate alpha."""
    rng = np.random.default_rng(20240601)
    n = 200_000
    x = rng.poisson(lam, n)
    _, flag = poisson_anomaly(x, np.full(n, lam), alpha)
    rate = flag.mean()
    se = np.sqrt(alpha * (1 - alpha) / n)
    assert rate <= alpha + 4 * se
    size = exact_size(lam, alpha)
    assert size <= alpha
    assert rate == pytest.approx(size, abs=4 * np.sqrt(size * (1 - size) / n) + 1e-12)
    if lam >= 60:
        assert rate >= 0.6 * alpha  # discrete, conservative, but near alpha for large lambda


def test_poisson_rule_false_alarm_rate_end_to_end():
    """issue_cards with a given baseline: the share of subjects carded under the null is <= alpha."""
    rng = np.random.default_rng(7)
    n_sub, alpha, window = 4000, 0.05, 90
    rate = rng.uniform(0.02, 0.3, n_sub)  # signals per day
    x = rng.poisson(rate * window)
    ids = [f"S{i:05d}" for i in range(n_sub)]
    s = pd.DataFrame(
        {"subject_kind": "person", "subject_id": ids, "signal_type": "petition", "date": AS_OF, "count": x}
    )
    base = pd.DataFrame({"subject_kind": "person", "subject_id": ids, "rate": rate})
    rule = PoissonRule(name="anomaly", card="warning", window_days=window, alpha=alpha, min_count=1)
    c = issue_cards(s, [rule], as_of=AS_OF, baselines=base)
    share = len(c) / n_sub
    expected = np.mean([exact_size(r * window, alpha) for r in rate])
    assert share <= alpha + 4 * np.sqrt(alpha * (1 - alpha) / n_sub)
    assert share == pytest.approx(expected, abs=4 * np.sqrt(expected / n_sub))
    # an anomalous subject is found: 3x its rate
    s2 = pd.concat([s.iloc[1:], s.iloc[[0]].assign(count=int(rate[0] * window * 3) + 10)])
    assert ids[0] in set(issue_cards(s2, [rule], as_of=AS_OF, baselines=base)["subject_id"])


def test_poisson_rule_own_history_baseline():
    # 12 signals in the year before the window -> rate (12 + 0.5)/365, lambda = 3.08 over 90 days
    hist = [
        ("post", "P1", "u1", "petition", str(date(2024, 2, 29) - timedelta(days=30 * k))) for k in range(12)
    ]
    now = [("post", "P1", "u1", "petition", "2024-05-15")] * 10
    rule = PoissonRule(name="anomaly", card="warning", alpha=0.01)
    c = issue_cards(sig(hist + now), [rule], as_of=AS_OF)
    assert len(c) == 1 and "expected 3.08" in c["trigger"].iloc[0]
    assert issue_cards(sig(hist + now[:4]), [rule], as_of=AS_OF).empty
    with pytest.raises(ValueError, match="no rate"):
        issue_cards(
            sig(now),
            [rule],
            as_of=AS_OF,
            baselines=pd.DataFrame({"subject_kind": ["post"], "subject_id": ["X"], "rate": [1.0]}),
        )
