"""Roll-up per power item and flow step, public export, unit compliance summary
(riskgrade.governance.disclosure, .compliance), sections 4, 9, 10 and 17 of 川纪发〔2012〕16号."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import riskgrade as rg
from riskgrade.governance import (
    DisclosurePolicy,
    ThresholdRule,
    assign_owners,
    compliance_summary,
    issue_cards,
    public_export,
    rollup_levels,
)

G = pd.DataFrame(
    {
        "risk_point_id": ["a", "b", "c", "d", "e"],
        "unit_id": ["u1", "u1", "u1", "u2", "u2"],
        "power_item_id": ["P1", "P1", "P2", "P3", None],
        "flow_step_id": ["P1-S1", "P1-S2", "P2-S1", "P3-S1", None],
        "description": ["approve", "pay", "inspect", "buy", "misc"],
        "level": [1, 3, 2, 2, 3],
        "score": [0.9, 0.1, 0.5, 0.4, 0.2],
        "complaints": [4, 0, 1, 0, 0],
        "post_id": ["p1", "p2", "p1", "p3", "p4"],
        "confidential": [False, False, True, False, False],
    }
)

MEAS = pd.DataFrame(
    {
        "measure_id": ["m1", "m2", "m3"],
        "risk_point_id": ["a", "a", "d"],
        "category": ["business_process", "supervision_accountability", "personnel"],
        "owner": ["Li", "Li", "Wang"],
        "due_date": ["2024-12-31"] * 3,
        "status": ["done", "cancelled", "planned"],
        "effectiveness": [0.5, 0.5, 0.5],
        "description": ["two-person approval", "annual audit", "rotation every 5 years"],
    }
)


def test_rollup_per_power_item_and_step():
    items = rollup_levels(G, "power_item_id").set_index("power_item_id")
    assert items.loc["P1", ["highest_level", "n_points", "n_level_1", "n_level_3"]].tolist() == [1, 2, 1, 1]
    assert items.loc["<NA>", "n_points"] == 1
    steps = rollup_levels(G)
    assert len(steps) == 5 and steps[["power_item_id", "flow_step_id"]].iloc[0].tolist() == ["<NA>", "<NA>"]
    with pytest.raises(rg.InventoryValidationError, match="flow_chart"):
        rollup_levels(G, "flow_chart")


@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["P1", "P2", "P3"]), st.sampled_from([1, 2, 3])), min_size=1, max_size=30
    )
)
def test_rollup_counts_add_up(rows):
    g = pd.DataFrame(
        {
            "risk_point_id": [f"r{i}" for i in range(len(rows))],
            "power_item_id": [p for p, _ in rows],
            "level": [lv for _, lv in rows],
        }
    )
    r = rollup_levels(g, "power_item_id")
    assert r["n_points"].sum() == len(rows)
    assert (r["n_level_1"] + r["n_level_2"] + r["n_level_3"] == r["n_points"]).all()
    for p, grp in g.groupby("power_item_id"):
        assert r.set_index("power_item_id").loc[p, "highest_level"] == grp["level"].min()


def test_public_export_removes_confidential_rows_and_fields():
    out = public_export(G, MEAS)
    assert "c" not in set(out["risk_point_id"])  # row flagged confidential
    assert "score" not in out.columns and "complaints" not in out.columns  # not on the allow-list
    a = out.set_index("risk_point_id").loc["a"]
    assert a["measures_business_process"] == "two-person approval"
    assert a["measures_supervision_accountability"] == ""  # cancelled measure not published
    assert out["risk_point_id"].tolist() == ["a", "b", "d", "e"]
    pol = DisclosurePolicy(confidential=("description", "measures_personnel"))
    out2 = public_export(G, MEAS, policy=pol)
    assert "description" not in out2.columns and "measures_personnel" not in out2.columns
    out3 = public_export(G, policy=DisclosurePolicy(columns=("risk_point_id", "level", "score")))
    assert list(out3.columns) == ["risk_point_id", "level", "score"]


def test_compliance_summary():
    units = pd.DataFrame({"unit_id": ["u1", "u2"], "principal_leader": ["Li", "Sun"]})
    posts = pd.DataFrame({"post_id": ["p1"], "holder": ["Qian"]})
    g = G.assign(division_id=["d1"] * 5, scope="post", level=[1, 1, 3, 1, 3])
    divs = pd.DataFrame({"division_id": ["d1"], "leader_in_charge": ["Wang"]})
    owners = assign_owners(g, units=units, divisions=divs, posts=posts)
    sig = pd.DataFrame(
        {
            "subject_kind": "post",
            "subject_id": ["p1", "p3"],
            "unit_id": ["u1", "u2"],
            "signal_type": "petition",
            "date": ["2024-05-01", "2024-05-01"],
        }
    )
    cards = issue_cards(sig, [ThresholdRule(name="any", card="reminder")], as_of=date(2024, 5, 2))
    cards = cards.assign(response_date=[date(2024, 5, 5), None])
    s = compliance_summary(
        g,
        as_of=date(2024, 6, 1),
        owners=owners,
        measures=MEAS,
        cards=cards,
        assessed_on={"u1": date(2024, 1, 15), "u2": date(2023, 12, 1)},
    )
    assert s.loc["u1", ["n_points", "level_1", "cap"]].tolist() == [3, 2, 0]
    assert not s.loc["u1", "within_cap"] and s.loc["u1", "share_level_1"] == pytest.approx(2 / 3)
    assert s.loc["u1", "level_1_without_owners"] == 1  # b: post p2 has no holder
    assert s.loc["u2", "level_1_without_owners"] == 1  # d: post p3 has no holder
    assert s.loc["u1", "level_1_without_measures"] == 1  # b has none
    assert s.loc["u2", "level_1_without_measures"] == 0  # d has a planned one
    assert s.loc["u1", "open_cards"] == 0 and s.loc["u2", "overdue_cards"] == 1
    assert s.loc["u2", "last_assessed_on"] == date(2023, 12, 1)
    bare = compliance_summary(g, as_of=date(2024, 6, 1), assessed_on=date(2024, 1, 1))
    assert (
        bare["level_1_without_owners"].isna().all() and (bare["last_assessed_on"] == date(2024, 1, 1)).all()
    )


def test_compliance_on_real_grading_matches_unit_summary():
    inv = rg.datasets.load_sample()
    r = rg.RiskModel().fit(inv).grade(inv)
    s = compliance_summary(r, as_of=date(2024, 6, 1))
    us = r.unit_summary()
    assert (s["level_1"] == us["level_1"]).all() and (s["cap"] == us["cap"]).all()
    assert s["within_cap"].all() and s["n_points"].sum() == len(inv)
