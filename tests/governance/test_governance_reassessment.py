"""Yearly re-assessment (riskgrade.governance.reassessment), section 13 of 川纪发〔2012〕16号."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import riskgrade as rg
from riskgrade.config import DEFAULT_WEIGHTS, default_config
from riskgrade.governance import (
    COMPARISON_COLUMNS,
    Override,
    apply_overrides,
    compare_assessments,
    summarize_movement,
)
from riskgrade.weighting.spec import WeightingSpec


def frame(ids, levels, prov=None, dem=None, units=None, score=None, **factors):
    n = len(ids)
    return pd.DataFrame(
        {
            "risk_point_id": ids,
            "unit_id": units or ["u1"] * n,
            "level": levels,
            "level_provisional": prov or levels,
            "quota_demoted": dem or [False] * n,
            "score": score or [0.5] * n,
            "factor_post_weight": [0.0] * n,
            "post_weight": factors.get("post_weight", [3] * n),
        }
    )


def test_change_kinds():
    prev = frame(["a", "b", "c", "d"], [2, 2, 2, 3])
    cur = frame(["a", "b", "c", "e"], [1, 3, 2, 1], post_weight=[5, 1, 3, 3], score=[0.7, 0.2, 0.5, 0.7])
    c = compare_assessments(prev, cur).set_index("risk_point_id")
    assert list(compare_assessments(prev, cur).columns) == COMPARISON_COLUMNS
    assert c["change"].to_dict() == {
        "a": "raised",
        "b": "lowered",
        "c": "unchanged",
        "d": "retired",
        "e": "new",
    }
    assert c.loc["a", "cause"] == "factors" and c.loc["a", "factors_changed"] == "post_weight"
    assert c.loc["c", "cause"] == "" and c.loc["d", "cause"] == ""
    assert pd.isna(c.loc["d", "level_current"]) and pd.isna(c.loc["e", "level_previous"])


def test_quota_cause_when_provisional_unchanged():
    prev = frame(["a", "b"], [1, 2], prov=[1, 1], dem=[False, True])
    cur = frame(["a", "b"], [2, 1], prov=[1, 1], dem=[True, False])
    c = compare_assessments(prev, cur).set_index("risk_point_id")
    assert c["cause"].tolist() == ["quota", "quota"]
    assert c["change"].tolist() == ["lowered", "raised"]


def test_config_cause_inferred_for_frames():
    # same raw factors, different scores and levels: the configuration changed
    prev = frame(["a", "b"], [2, 2], score=[0.5, 0.5])
    cur = frame(["a", "b"], [1, 2], score=[0.65, 0.5])
    c = compare_assessments(prev, cur).set_index("risk_point_id")
    assert c.loc["a", "cause"] == "config"
    # both factors and config changed: both flagged
    cur2 = frame(["a", "b"], [1, 2], score=[0.65, 0.5], post_weight=[5, 3])
    c2 = compare_assessments(prev, cur2, config_changed=True).set_index("risk_point_id")
    assert c2.loc["a", "cause"] == "factors+config"
    assert c2.loc["a", "cause_factors"] and c2.loc["a", "cause_config"]


def test_override_cause_with_approval_tables():
    prev = frame(["a", "b", "c"], [2, 3, 3])
    cur = frame(["a", "b", "c"], [2, 3, 2], post_weight=[3, 3, 5], score=[0.5, 0.5, 0.55])
    just = "leading group decision after the 2023 audit"
    ov = [
        Override(
            risk_point_id="a",
            level=1,
            justification=just,
            approver="g",
            approved_on=date(2024, 1, 5),
            quota_exception=True,
        )
    ]
    appr_cur = apply_overrides(cur, ov, as_of=date(2024, 2, 1))
    # c: computed 3->2 but an override keeps it at 3
    ov_c = [
        Override(risk_point_id="c", level=3, justification=just, approver="g", approved_on=date(2024, 1, 5))
    ]
    appr_cur2 = apply_overrides(cur, [*ov, *ov_c], as_of=date(2024, 2, 1))
    c = compare_assessments(prev, cur, current_approval=appr_cur).set_index("risk_point_id")
    assert c.loc["a", "change"] == "raised" and c.loc["a", "cause"] == "override"
    assert c.loc["c", "cause"] == "factors"
    c2 = compare_assessments(prev, cur, current_approval=appr_cur2).set_index("risk_point_id")
    assert c2.loc["c", "change"] == "unchanged"
    # an override that expires: previous final 1 (override), current computed 2 -> lowered by override
    appr_prev = apply_overrides(prev, ov, as_of=date(2024, 2, 1))
    c3 = compare_assessments(prev, cur, previous_approval=appr_prev).set_index("risk_point_id")
    assert c3.loc["a", "change"] == "lowered" and c3.loc["a", "cause"] == "override"


def test_duplicate_ids_rejected():
    with pytest.raises(rg.InventoryValidationError, match="duplicate"):
        compare_assessments(frame(["a", "a"], [1, 2]), frame(["a"], [1]))


# --------------------------------------------------------- on real gradings


@pytest.fixture(scope="module")
def years():
    inv0 = rg.datasets.make_inventory(600, n_units=6, seed=11)
    inv1 = inv0.copy()
    rng = np.random.default_rng(2)
    idx = rng.choice(len(inv1), 80, replace=False)
    inv1.loc[idx, "complaints"] = inv1.loc[idx, "complaints"] + 25
    inv1.loc[idx[:40], "post_weight"] = 5
    inv1 = inv1.drop(index=range(12)).reset_index(drop=True)  # 12 points retired
    extra = rg.datasets.make_inventory(20, n_units=1, seed=99).assign(unit_id=inv0["unit_id"].iloc[-1])
    extra["risk_point_id"] = [f"NEW{i:03d}" for i in range(len(extra))]
    inv1 = pd.concat([inv1, extra], ignore_index=True)
    w = dict(DEFAULT_WEIGHTS, complaints=0.22, funds_handled=0.05, discretion=0.13)
    cfg1 = default_config().model_copy(update={"weighting": WeightingSpec(method="fixed", fixed=w)})
    m0, m1 = rg.RiskModel().fit(inv0), rg.RiskModel(cfg1).fit(inv1)
    return inv0, inv1, m0, m1


def test_real_gradings_counts_add_up(years):
    inv0, inv1, m0, m1 = years
    r0, r1 = m0.grade(inv0), m1.grade(inv1)
    c = compare_assessments(r0, r1)
    assert c["risk_point_id"].is_unique
    assert set(c["risk_point_id"]) == set(inv0["risk_point_id"]) | set(inv1["risk_point_id"])
    vc = c["change"].value_counts()
    assert vc["new"] == 20 and vc["retired"] == 12
    assert vc["new"] + vc["unchanged"] + vc.get("raised", 0) + vc.get("lowered", 0) == len(inv1)
    moved = c["change"].isin(["raised", "lowered"])
    assert (c.loc[moved, "cause"] != "").all() and (c.loc[~moved, "cause"] == "").all()
    s = summarize_movement(c)
    assert s["n_current"].sum() == len(inv1) and s["n_previous"].sum() == len(inv0)
    assert (s["new"] + s["unchanged"] + s["raised"] + s["lowered"] == s["n_current"]).all()
    assert (s["retired"] + s["unchanged"] + s["raised"] + s["lowered"] == s["n_previous"]).all()
    assert (s["level_1_current"] == r1.unit_summary()["level_1"].reindex(s.index).fillna(0)).all()
    assert (s["net_level_1"] == s["level_1_current"] - s["level_1_previous"]).all()


def test_only_factors_changed_never_blames_config(years):
    inv0, inv1, m0, _ = years
    c = compare_assessments(m0.grade(inv0), m0.grade(inv1))
    assert not c["cause_config"].any()
    changed = c[c["change"].isin(["raised", "lowered"])]
    assert len(changed) > 5 and set(changed["cause"]) <= {"factors", "quota"}


def test_only_weights_changed_never_blames_factors(years):
    inv0, _, m0, m1 = years
    c = compare_assessments(m0.grade(inv0), m1.grade(inv0))
    changed = c[c["change"].isin(["raised", "lowered"])]
    assert len(changed) > 5 and set(changed["cause"]) <= {"config", "quota"}
    assert (changed["factors_changed"] == "").all()


def test_exact_attribution_with_models(years):
    inv0, inv1, m0, m1 = years
    r0, r1 = m0.grade(inv0), m1.grade(inv1)
    plain = compare_assessments(r0, r1)
    exact = compare_assessments(r0, r1, previous_model=m0, current_model=m1)
    cf = m0.grade(inv1).frame.set_index("risk_point_id")["level_provisional"]
    e = exact.set_index("risk_point_id")
    prov_moved = e["change"].isin(["raised", "lowered"]) & ~e["cause_quota"] & ~e["cause_override"]
    sub = e[prov_moved]
    assert (sub["level_counterfactual"] == cf.reindex(sub.index)).all()
    # factors flagged iff the new factors under the old model move the provisional level
    assert (sub["cause_factors"] == (sub["level_counterfactual"] != sub["level_provisional_previous"])).all()
    assert (sub["cause_config"] == (sub["level_provisional_current"] != sub["level_counterfactual"])).all()
    rev = m1.grade(inv0).frame.set_index("risk_point_id")["level_provisional"]
    both = e.index[e["change"].isin(["raised", "lowered", "unchanged"])]
    assert (e.loc[both, "level_counterfactual_reverse"] == rev.reindex(both)).all()
    # points whose factors did not change can only be config under both methods
    same = sub[sub["factors_changed"] == ""]
    assert (same["cause"] == "config").all()
    assert (plain.set_index("risk_point_id").loc[same.index, "cause"] == "config").all()
    # the exact split resolves every "factors+config" of the plain comparison
    amb = plain[plain["cause"] == "factors+config"]["risk_point_id"]
    assert len(amb) > 0
    assert set(e.loc[amb, "cause"]) <= {"factors", "config", "factors+config"}


@settings(max_examples=15, deadline=None)
@given(
    prev=st.dictionaries(
        st.sampled_from([f"r{i}" for i in range(12)]), st.sampled_from([1, 2, 3]), max_size=12
    ),
    cur=st.dictionaries(
        st.sampled_from([f"r{i}" for i in range(12)]), st.sampled_from([1, 2, 3]), max_size=12
    ),
    seed=st.integers(0, 100),
)
def test_properties_each_point_once_counts_and_order(prev, cur, seed):
    def mk(d):
        ids = sorted(d)
        return frame(
            ids,
            [d[i] for i in ids],
            units=[f"u{int(i[1:]) % 3}" for i in ids],
            score=[0.1 * d[i] for i in ids],
        )

    p, c = mk(prev), mk(cur)
    out = compare_assessments(p, c)
    assert out["risk_point_id"].is_unique and set(out["risk_point_id"]) == set(prev) | set(cur)
    vc = out["change"].value_counts()
    assert vc.get("new", 0) == len(set(cur) - set(prev)) and vc.get("retired", 0) == len(set(prev) - set(cur))
    raised = {k for k in set(prev) & set(cur) if cur[k] < prev[k]}
    assert set(out.loc[out["change"] == "raised", "risk_point_id"]) == raised
    back = compare_assessments(c, p).set_index("risk_point_id")
    fwd = out.set_index("risk_point_id")
    swap = {
        "new": "retired",
        "retired": "new",
        "raised": "lowered",
        "lowered": "raised",
        "unchanged": "unchanged",
    }
    assert (back.loc[fwd.index, "change"] == fwd["change"].map(swap)).all()
    shuffled = compare_assessments(
        p.sample(frac=1, random_state=seed), c.sample(frac=1, random_state=seed + 1)
    )
    pd.testing.assert_frame_equal(out, shuffled)
