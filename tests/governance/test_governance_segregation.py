"""Segregation of duties (riskgrade.governance.segregation), section 8 of 川纪发〔2012〕16号."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskgrade.exceptions import InventoryValidationError
from riskgrade.governance import CONFLICT_COLUMNS, DEFAULT_RULES, SegregationRule, check_segregation


def test_default_rules_are_the_six_domains_of_section_8():
    """投资、建设、监管、使用分离; 主管、办理、评审、监督分离; 管、采、监分离; 调查、决定和执行分离;
    评审、决定和绩效评估分离; 审裁分离及对专家管用分离."""
    got = {r.domain: r.roles for r in DEFAULT_RULES}
    assert got == {
        "investment_project": ("invest", "build", "supervise", "use"),
        "public_resource_trading": ("manage", "handle", "review", "supervise"),
        "procurement": ("manage", "buy", "supervise"),
        "penalty_enforcement": ("investigate", "decide", "execute"),
        "special_funds": ("review", "decide", "evaluate"),
        "expert_review": ("review", "decide"),
        "expert_management": ("manage", "use"),
    }


def table(rows):
    return pd.DataFrame(rows, columns=["matter_id", "domain", "role", "post_id", "person"])


def test_no_conflict_when_roles_separated():
    a = table(
        [
            ("M1", "penalty_enforcement", "investigate", "P1", "A"),
            ("M1", "penalty_enforcement", "decide", "P2", "B"),
            ("M1", "penalty_enforcement", "execute", "P3", "C"),
        ]
    )
    out = check_segregation(a)
    assert out.empty and list(out.columns) == CONFLICT_COLUMNS


def test_conflicting_roles_by_person_and_by_post():
    a = table(
        [
            ("M1", "penalty_enforcement", "investigate", "P1", "A"),
            ("M1", "penalty_enforcement", "decide", "P1", "B"),
            ("M1", "penalty_enforcement", "execute", "P3", "A"),
            ("M2", "penalty_enforcement", "decide", "P1", "A"),  # other matter: no conflict with M1
        ]
    )
    out = check_segregation(a)
    got = set(
        zip(out["matter_id"], out["holder_column"], out["holder"], out["role_a"], out["role_b"], strict=True)
    )
    assert got == {
        ("M1", "post_id", "P1", "decide", "investigate"),
        ("M1", "person", "A", "execute", "investigate"),
    }
    assert (out["source"].str.contains("section 8")).all()


def test_one_person_holding_all_four_investment_roles_gives_six_pairs():
    a = table([("X", "investment_project", r, None, "Z") for r in ("invest", "build", "supervise", "use")])
    assert len(check_segregation(a)) == 6


def test_unknown_domain_and_role_all_reported():
    a = table(
        [
            ("M1", "lottery", "draw", "P1", "A"),
            ("M1", "procurement", "approve", "P1", "A"),
            (None, "procurement", "buy", "P1", "A"),
        ]
    )
    with pytest.raises(InventoryValidationError) as ei:
        check_segregation(a)
    fc = ei.value.failure_cases
    assert set(zip(fc["row"], fc["reason"], strict=True)) == {
        (0, "unknown_domain"),
        (1, "unknown_role"),
        (2, "missing_value"),
    }
    out = check_segregation(a.iloc[[0]], unknown_domain="ignore")
    assert out.empty


def test_rules_are_data_extendable_and_replaceable():
    land = SegregationRule(
        domain="land_transfer", roles=("appraise", "approve", "sign"), conflicts=[("appraise", "approve")]
    )
    a = table(
        [
            ("L1", "land_transfer", "appraise", None, "A"),
            ("L1", "land_transfer", "approve", None, "A"),
            ("L1", "land_transfer", "sign", None, "A"),
        ]
    )
    out = check_segregation(a, [*DEFAULT_RULES, land])
    assert out[["role_a", "role_b"]].values.tolist() == [["appraise", "approve"]]
    # replace the procurement rule: only manage/buy conflict
    proc = SegregationRule(
        domain="procurement", roles=("manage", "buy", "supervise"), conflicts=[("manage", "buy")]
    )
    b = table([("M", "procurement", r, None, "A") for r in ("manage", "buy", "supervise")])
    assert len(check_segregation(b)) == 3
    assert len(check_segregation(b, [*DEFAULT_RULES, proc])) == 1


def test_rule_validation():
    with pytest.raises(ValueError, match="at least two distinct"):
        SegregationRule(domain="x", roles=("a",))
    with pytest.raises(ValueError, match="must pair two of"):
        SegregationRule(domain="x", roles=("a", "b"), conflicts=[("a", "c")])


def test_needs_a_holder_column():
    with pytest.raises(InventoryValidationError, match="post_id"):
        check_segregation(pd.DataFrame({"matter_id": ["m"], "domain": ["procurement"], "role": ["buy"]}))


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["M1", "M2"]),
            st.sampled_from(["manage", "buy", "supervise"]),
            st.sampled_from(["A", "B", "C"]),
        ),
        min_size=1,
        max_size=15,
    ),
    seed=st.integers(0, 100),
)
def test_conflicts_match_brute_force_and_order_irrelevant(rows, seed):
    a = pd.DataFrame(rows, columns=["matter_id", "role", "person"]).assign(domain="procurement")
    out = check_segregation(a, holders=("person",))
    expected = set()
    for m in ("M1", "M2"):
        for p in ("A", "B", "C"):
            held = sorted({r for mm, r, pp in rows if mm == m and pp == p})
            expected |= {(m, p, x, y) for i, x in enumerate(held) for y in held[i + 1 :]}
    assert set(zip(out["matter_id"], out["holder"], out["role_a"], out["role_b"], strict=True)) == expected
    pd.testing.assert_frame_equal(
        out, check_segregation(a.sample(frac=1, random_state=seed), holders=("person",))
    )
