"""Cards that cannot be silently lost (section 12 of 川纪发〔2012〕16号, "三早三卡"):
Chinese signal types, unknown types, follow-up actions and re-runs."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

import riskgrade as rg
from riskgrade.governance import issue_cards
from riskgrade.governance.signals import SIGNAL_LABELS, prepare_signals

AS_OF = date(2024, 6, 1)


def sig(types, subject="P1", dates=None):
    n = len(types)
    return pd.DataFrame(
        {
            "subject_kind": "岗位",
            "subject_id": subject,
            "unit_id": "U0001",
            "signal_type": types,
            "date": dates or ["2024-05-20"] * n,
        }
    )


@pytest.mark.parametrize(
    ("word", "canon"),
    [
        ("信访", "petition"),
        ("信访举报", "petition"),
        (" 审计 ", "audit_finding"),
        ("审计发现", "audit_finding"),
        ("巡察", "inspection_finding"),
        ("巡视", "inspection_finding"),
        ("效能监察", "efficiency_supervision"),
        ("干部考察", "cadre_evaluation"),
        ("专项治理", "special_campaign"),
        ("舆论监督", "media_report"),
        ("廉政风险排查", "risk_review"),
        ("执法监察", "law_enforcement_supervision"),
        ("案件检查", "case_investigation"),
        ("Petition", "petition"),
    ],
)
def test_chinese_signal_types_map_to_canonical(word, canon):
    s, q = prepare_signals(sig([word]))
    assert s["signal_type"].tolist() == [canon] and len(q) == 0
    assert s["subject_kind"].tolist() == ["post"]


def test_every_section_12_source_has_a_default_type():
    # 信访信息, 廉政风险排查, 执法监察, 效能监察, 案件检查, 干部考察, 舆论监督, 专项治理, 审计, 巡视
    words = [
        "信访信息",
        "廉政风险排查",
        "执法监察",
        "效能监察",
        "案件检查",
        "干部考察",
        "舆论监督",
        "专项治理",
        "审计",
        "巡视",
    ]
    s, _ = prepare_signals(sig(words))
    assert set(s["signal_type"]) <= set(SIGNAL_LABELS) and s["signal_type"].nunique() == len(words)


def test_chinese_petitions_and_audit_give_cards():
    c = issue_cards(sig(["信访", "信访举报", "审计发现"]), as_of=AS_OF)
    assert c["card_type"].tolist() == ["correction"] and c["follow_up"].tolist() == ["诫勉谈话"]
    r = issue_cards(sig(["信访", "信访举报"]), as_of=AS_OF)
    assert r["card_type"].tolist() == ["reminder"] and r["follow_up"].tolist() == ["谈话提醒"]


def test_unknown_type_is_an_error_naming_the_file_row():
    with pytest.raises(rg.InventoryValidationError) as ei:
        issue_cards(sig(["信访", "小道消息", "审计", "other"]), as_of=AS_OF)
    fc = ei.value.failure_cases
    assert fc["row"].tolist() == [1, 3] and set(fc["reason"]) == {"unknown_signal_type"}
    assert "file row 3" in fc["message"].iloc[0]


def test_unknown_type_quarantined_on_request():
    s, q = prepare_signals(sig(["信访", "小道消息"]), on_unknown="quarantine")
    assert len(s) == 1 and q["signal_type"].tolist() == ["小道消息"] and q["file_row"].tolist() == [3]


def test_rerun_same_day_issues_nothing_twice():
    s = sig(["信访", "信访", "审计发现"], subject="P1")
    s = pd.concat([s, sig(["投诉", "投诉"], subject="P2")], ignore_index=True)
    first = issue_cards(s, as_of=AS_OF)
    assert len(first) == 2
    again = issue_cards(s, as_of=AS_OF, history=first)
    assert len(again) == 0
    # the next day, same signals: nothing new happened, no new card
    nxt = issue_cards(s, as_of=AS_OF + timedelta(days=1), history=first)
    assert len(nxt) == 0
    # a new signal for P2 after its card: a new card for P2 only
    s2 = pd.concat([s, sig(["投诉"], subject="P2", dates=["2024-06-02"])], ignore_index=True)
    later = issue_cards(s2, as_of=AS_OF + timedelta(days=2), history=first)
    assert later["subject_id"].tolist() == ["P2"]


def test_unanswered_referral_escalates_per_deadline_not_per_run():
    hist = pd.DataFrame(
        {
            "card_id": ["c1"],
            "subject_kind": ["post"],
            "subject_id": ["P1"],
            "unit_id": ["U0001"],
            "card_type": ["referral"],
            "issue_date": [date(2024, 5, 1)],
            "deadline": [date(2024, 5, 16)],
            "response_date": [None],
        }
    )
    empty = sig([])
    # before the deadline: nothing
    assert len(issue_cards(empty, [], as_of=date(2024, 5, 10), history=hist)) == 0
    c = issue_cards(empty, [], as_of=AS_OF, history=hist)
    assert c["escalated_from"].tolist() == ["c1"] and c["card_type"].tolist() == ["referral"]
    reg = pd.concat([hist, c], ignore_index=True)
    # runs on the following days, before the new referral's deadline: nothing more
    for d in range(1, 10):
        assert len(issue_cards(empty, [], as_of=AS_OF + timedelta(days=d), history=reg)) == 0
    # after the new deadline (15 days): one more escalation, of the new card
    c2 = issue_cards(empty, [], as_of=AS_OF + timedelta(days=16), history=reg)
    assert c2["escalated_from"].tolist() == c["card_id"].tolist()
