"""Sections 13-15 of 川纪发〔2012〕16号: a yearly cycle (stale assessments), accountability when a
case occurs at a risk point, and the ten key domains."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

import riskgrade as rg
from riskgrade.governance import compliance_summary
from riskgrade.governance.accountability import accountability_record
from riskgrade.governance.domains import KEY_DOMAINS, parse_key_domains, rollup_domains

G = pd.DataFrame(
    {
        "risk_point_id": ["a", "b", "c", "d"],
        "unit_id": ["u1", "u1", "u2", "u2"],
        "division_id": ["d1", "d1", "d2", None],
        "post_id": ["p1", "p2", None, None],
        "scope": ["post", "post", "division", "unit"],
        "level": [1, 3, 2, 3],
        "key_domain": ["工程建设、政府采购", None, " 选人用人 ", "工程建设"],
    }
)
UNITS = pd.DataFrame(
    {
        "unit_id": ["u1", "u2"],
        "principal_leader": ["李局长", "王局长"],
        "leader_in_charge": ["赵副局长", "钱副局长"],
    }
)
DIVS = pd.DataFrame(
    {
        "division_id": ["d1", "d2"],
        "leader_in_charge": ["赵副局长", "孙副局长"],
        "division_head": ["周科长", "吴科长"],
    }
)
POSTS = pd.DataFrame({"post_id": ["p1", "p2"], "holder": ["郑某", "冯某"]})


def test_document_lists_ten_key_domains():
    assert len(KEY_DOMAINS) == 10 and KEY_DOMAINS[0] == "工程建设" and KEY_DOMAINS[-1] == "选人用人"


def test_key_domains_parsed_and_rolled_up():
    assert parse_key_domains(G).tolist() == [("工程建设", "政府采购"), (), ("选人用人",), ("工程建设",)]
    r = rollup_domains(G).set_index("key_domain")
    assert list(r.index) == list(KEY_DOMAINS)
    assert r.loc["工程建设", ["highest_level", "n_points", "n_level_1", "n_level_3"]].tolist() == [1, 2, 1, 1]
    assert r.loc["选人用人", "n_level_2"] == 1 and r.loc["金融信贷", "n_points"] == 0
    assert pd.isna(r.loc["金融信贷", "highest_level"])


def test_unknown_key_domain_is_an_error_unless_configured():
    g = G.assign(key_domain=["工程建设", "殡葬服务", None, None])
    with pytest.raises(rg.InventoryValidationError) as ei:
        parse_key_domains(g)
    assert (
        ei.value.failure_cases["row"].tolist() == [1] and "file row 3" in ei.value.failure_cases["message"][0]
    )
    r = rollup_domains(g, extra=("殡葬服务",)).set_index("key_domain")
    assert r.loc["殡葬服务", "n_points"] == 1


@pytest.mark.parametrize(
    ("assessed", "as_of", "stale"),
    [
        (date(2023, 6, 1), date(2024, 6, 1), False),
        (date(2023, 6, 1), date(2024, 6, 2), True),
        (date(2024, 2, 29), date(2025, 2, 28), False),
        (date(2024, 2, 29), date(2025, 3, 1), True),
    ],
)
def test_assessment_older_than_twelve_months_is_stale(assessed, as_of, stale):
    s = compliance_summary(G, as_of=as_of, assessed_on=assessed)
    assert s["assessment_stale"].tolist() == [stale, stale]


def test_stale_unknown_without_date():
    s = compliance_summary(G, as_of=date(2024, 6, 1), assessed_on={"u1": date(2022, 1, 1)})
    assert bool(s.loc["u1", "assessment_stale"]) is True
    assert pd.isna(s.loc["u2", "assessment_stale"])


def test_accountability_record_level_at_the_time_owners_measures_review():
    last_year = G.assign(level=[2, 3, 2, 3])
    measures = pd.DataFrame(
        {
            "measure_id": ["m1", "m2", "m3"],
            "risk_point_id": ["a", "a", "b"],
            "category": ["business_process", "personnel", "supervision_accountability"],
            "owner": ["周科长", "赵副局长", "周科长"],
            "due_date": ["2024-03-31", "2024-12-31", "2024-01-31"],
            "status": ["in_progress", "planned", "cancelled"],
            "effectiveness": [0.5, 0.5, 0.5],
        }
    )
    cases = pd.DataFrame(
        {"case_id": ["K2", "K1"], "risk_point_id": ["a", "b"], "case_date": ["2024-05-10", "2023-09-01"]}
    )
    r = accountability_record(
        cases,
        [(date(2023, 3, 1), last_year), (date(2024, 3, 1), G)],
        units=UNITS,
        divisions=DIVS,
        posts=POSTS,
        measures=measures,
    ).set_index("case_id")
    # K1 (2023-09-01) falls under last year's assessment; K2 under this year's
    assert r.loc["K1", "assessed_on"] == date(2023, 3, 1) and r.loc["K2", "assessed_on"] == date(2024, 3, 1)
    assert r.loc["K2", "level_at_time"] == 1
    assert r.loc["K2", "owners"] == "overall: 李局长; leadership: 赵副局长; direct: 郑某"
    assert r.loc["K2", "n_measures"] == 2 and r.loc["K2", "n_measures_overdue"] == 1  # m1 due 03-31
    assert not r.loc["K2", "review_level"]
    # K1: a case at a level-3 point, its only measure cancelled: flagged for review
    assert r.loc["K1", "level_at_time"] == 3 and r.loc["K1", "review_level"]
    assert (
        "under-graded" in r.loc["K1", "review_reason"] and "no live measure" in r.loc["K1", "review_reason"]
    )


def test_accountability_bad_cases_named():
    cases = pd.DataFrame(
        {
            "case_id": ["K1", "K2", "K3"],
            "risk_point_id": ["zz", "a", "a"],
            "case_date": ["2024-05-10", "2020-01-01", "soon"],
        }
    )
    with pytest.raises(rg.InventoryValidationError) as ei:
        accountability_record(cases, [(date(2023, 3, 1), G)], units=UNITS, divisions=DIVS, posts=POSTS)
    assert ei.value.failure_cases[["row", "reason"]].values.tolist() == [
        [0, "unknown_risk_point"],
        [1, "before_assessment"],
        [2, "invalid_date"],
    ]
