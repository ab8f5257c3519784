"""Owners by level of responsibility (riskgrade.governance.owners), section 7 of 川纪发〔2012〕16号."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskgrade.exceptions import InventoryValidationError
from riskgrade.governance import OWNER_COLUMNS, ResponsibilityMapping, assign_owners
from riskgrade.governance.owners import ORG_ROLES

UNITS = pd.DataFrame({"unit_id": ["u1", "u2"], "principal_leader": ["Director Li", None]})
DIVS = pd.DataFrame(
    {
        "division_id": ["d1", "d2"],
        "leader_in_charge": ["Deputy Wang", "Deputy Sun"],
        "division_head": ["Head Zhao", None],
    }
)
POSTS = pd.DataFrame({"post_id": ["p1", "p2"], "holder": ["Clerk Qian", "Clerk Zhou"]})


def pts(**cols):
    base = {
        "risk_point_id": ["a", "b", "c", "d", "e"],
        "unit_id": ["u1", "u1", "u1", "u1", "u1"],
        "division_id": ["d1", "d1", "d1", "d1", None],
        "post_id": ["p1", "p1", "p1", None, None],
        "scope": ["post", "post", "post", "division", "unit"],
        "level": [1, 2, 3, 1, 1],
    }
    base.update(cols)
    return pd.DataFrame(base)


def go(g, **kw):
    return assign_owners(g, units=UNITS, divisions=DIVS, posts=POSTS, **kw)


def test_section7_mapping_level_one_post_risk():
    """Level one: principal leader overall, leader in charge important leadership, the person direct."""
    w = go(pts()).wide().set_index("risk_point_id")
    assert w.loc["a", ["overall", "leadership", "direct"]].tolist() == [
        "Director Li",
        "Deputy Wang",
        "Clerk Qian",
    ]


def test_levels_two_and_three_one_step_down():
    w = go(pts()).wide().set_index("risk_point_id")
    assert w.loc["b", ["overall", "leadership", "direct"]].tolist() == [
        "Deputy Wang",
        "Head Zhao",
        "Clerk Qian",
    ]
    assert w.loc["c", "overall"] == "Head Zhao" and w.loc["c", "direct"] == "Clerk Qian"
    assert pd.isna(w.loc["c", "leadership"])  # level three has no 'leadership' responsibility


def test_direct_party_by_scope():
    o = go(pts()).owners
    direct = o[o["responsibility"] == "direct"].set_index("risk_point_id")
    assert direct.loc["d", "org_role"] == "division_head" and direct.loc["d", "person"] == "Head Zhao"
    assert direct.loc["e", "org_role"] == "principal_leader" and direct.loc["e", "person"] == "Director Li"


def test_missing_owners_are_findings_error_at_level_one_warning_below():
    g = pts(
        unit_id=["u2", "u1", "u1", "u1", "u1"],
        division_id=["d2", "d2", "d1", "d1", None],
        level=[1, 2, 3, 3, 1],
    )
    a = go(g)
    f = a.findings
    assert set(f["reason"]) == {"missing_owner"}
    err = f[f["severity"] == "error"]
    # a: u2 has no principal leader (overall); e: a unit risk's leader in charge comes from the
    # units table, which names none here
    assert set(zip(err["risk_point_id"], err["column"], strict=True)) == {
        ("a", "unit_id"),
        ("e", "unit_id"),
    }
    assert "no overall owner" in err[err["risk_point_id"] == "a"]["message"].iloc[0]
    warn = f[f["severity"] == "warning"]
    assert set(warn["risk_point_id"]) == {"b"}  # d2 has no division head
    assert a.points_without_owners(1).tolist() == ["a", "e"]
    assert a.points_without_owners(None).tolist() == ["a", "b", "e"]
    with pytest.raises(InventoryValidationError) as ei:
        a.validate()
    assert ei.value.reasons == {"missing_owner"}


def test_level_one_point_without_post_id_is_flagged():
    g = pts(post_id=[None, "p1", "p1", None, None])
    f = go(g).findings
    row = f[(f["risk_point_id"] == "a") & (f["severity"] == "error")]
    assert row["column"].tolist() == ["post_id"] and "no post_id on the risk point" in row["message"].iloc[0]


def test_unknown_org_id_is_missing_owner():
    f = go(pts(post_id=["p9", "p1", "p1", None, None])).findings
    assert "names no holder for post_id 'p9'" in f[f["risk_point_id"] == "a"]["message"].iloc[0]


def test_conflicting_org_entries_raise_listing_all():
    posts = pd.DataFrame({"post_id": ["p1", "p1", "p2"], "holder": ["A", "B", "C"]})
    units = pd.DataFrame({"unit_id": ["u1", "u1"], "principal_leader": ["X", "Y"]})
    with pytest.raises(InventoryValidationError) as ei:
        assign_owners(pts(), units=units, divisions=DIVS, posts=posts)
    fc = ei.value.failure_cases
    assert set(fc["table"]) == {"posts", "units"} and set(fc["reason"]) == {"conflicting_org_entry"}


def test_missing_level_column_named():
    with pytest.raises(InventoryValidationError, match="level_final"):
        go(pts(), level_column="level_final")


def test_custom_mapping():
    m = ResponsibilityMapping(
        levels={
            1: {"overall": "principal_leader", "direct": "direct"},
            2: {"overall": "principal_leader", "direct": "direct"},
            3: {"direct": "direct"},
        }
    )
    w = go(pts(), mapping=m).wide().set_index("risk_point_id")
    assert w.loc["b", "overall"] == "Director Li"
    with pytest.raises(ValueError, match="expected 'direct'"):
        ResponsibilityMapping(levels={1: {"x": "janitor"}, 2: {}, 3: {}})
    with pytest.raises(ValueError, match="each of 1, 2, 3"):
        ResponsibilityMapping(levels={1: {}})


@settings(max_examples=30, deadline=None)
@given(
    levels=st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=25),
    seed=st.integers(0, 1000),
)
def test_every_point_gets_every_responsibility_once_and_order_is_irrelevant(levels, seed):
    n = len(levels)
    g = pd.DataFrame(
        {
            "risk_point_id": [f"r{i}" for i in range(n)],
            "unit_id": ["u1" if i % 2 else "u2" for i in range(n)],
            "division_id": ["d1" if i % 3 else None for i in range(n)],
            "post_id": ["p1" if i % 5 else "p2" for i in range(n)],
            "scope": ["post"] * n,
            "level": levels,
        }
    )
    a = go(g)
    o = a.owners
    assert list(o.columns) == OWNER_COLUMNS
    m = ResponsibilityMapping()
    assert len(o) == sum(len(m.levels[lv]) for lv in levels)
    assert not o.duplicated(["risk_point_id", "responsibility"]).any()
    assert set(o["org_role"]) <= set(ORG_ROLES)
    b = go(g.sample(frac=1, random_state=seed))
    pd.testing.assert_frame_equal(a.owners, b.owners)
    pd.testing.assert_frame_equal(a.findings, b.findings)


def test_unit_level_point_gets_unit_leaders_and_no_division_head():
    """Section 7: a unit-level point's 主要领导 and 分管负责人 come from the unit table."""
    units = UNITS.assign(leader_in_charge=["Deputy Ma", None])
    g = pts(level=[1, 2, 3, 1, 2])
    a = assign_owners(g, units=units, divisions=DIVS, posts=POSTS)
    w = a.wide().set_index("risk_point_id")
    assert w.loc["e", ["overall", "leadership", "direct"]].tolist()[0] == "Deputy Ma"  # level 2: in charge
    o = a.owners[a.owners["risk_point_id"] == "e"]
    assert "division_head" not in set(o["org_role"])  # no division at unit level: not applicable
    assert a.findings.empty
    g1 = pts()
    w1 = assign_owners(g1, units=units, divisions=DIVS, posts=POSTS).wide().set_index("risk_point_id")
    assert w1.loc["e", ["overall", "leadership", "direct"]].tolist() == [
        "Director Li",
        "Deputy Ma",
        "Director Li",
    ]
