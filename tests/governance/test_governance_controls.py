"""Measures in four categories, residual risk and coverage (riskgrade.governance.controls)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskgrade.exceptions import InventoryValidationError
from riskgrade.governance import (
    MEASURE_CATEGORIES,
    ResidualPolicy,
    coverage_report,
    overdue_measures,
    residual_risk,
    validate_measures,
)

AS_OF = date(2024, 7, 1)
G = pd.DataFrame(
    {
        "risk_point_id": ["a", "b", "c"],
        "unit_id": ["u1", "u1", "u2"],
        "score": [0.8, 0.7, 0.4],
        "level": [1, 1, 2],
    }
)


def meas(rows):
    return pd.DataFrame(
        rows,
        columns=["measure_id", "risk_point_id", "category", "owner", "due_date", "status", "effectiveness"],
    )


FULL = meas(
    [
        ("m1", "a", "business_process", "Li", "2024-06-30", "done", 0.6),
        ("m2", "a", "personnel", "Li", "2024-06-30", "done", 0.6),
        ("m3", "a", "ideology_ethics", "Wang", "2024-06-30", "done", 0.6),
        ("m4", "a", "supervision_accountability", "Wang", "2024-06-30", "done", 0.6),
        ("m5", "b", "business_process", "Li", "2024-06-01", "planned", 0.5),
        ("m6", "b", "personnel", "Li", "2024-12-31", "in_progress", 0.5),
        ("m7", "b", "personnel", "Li", "2024-12-31", "done", 0.5),
        ("m8", "b", "ideology_ethics", "Li", "2024-12-31", "cancelled", 0.9),
    ]
)


def test_residual_formula_by_hand():
    r = residual_risk(G, FULL, as_of=AS_OF).set_index("risk_point_id")
    # a: E_c = 0.6 in all four -> R = 0.6; residual = 0.8 * (1 - 0.5 * 0.6) = 0.56
    assert r.loc["a", "reduction"] == pytest.approx(0.6)
    assert r.loc["a", "residual_score"] == pytest.approx(0.56)
    assert r.loc["a", "residual_level"] == 2
    # b: business_process overdue planned -> 0; personnel: in progress 0.5*0.5=0.25 and done 0.5
    #    -> 1 - 0.75*0.5 = 0.625; ideology cancelled -> 0; R = 0.625/4
    assert r.loc["b", "effect_personnel"] == pytest.approx(0.625)
    assert r.loc["b", "effect_business_process"] == 0.0
    assert r.loc["b", "reduction"] == pytest.approx(0.625 / 4)
    assert r.loc["b", "residual_score"] == pytest.approx(0.7 * (1 - 0.5 * 0.625 / 4))
    # c: no measures
    assert r.loc["c", "residual_score"] == pytest.approx(0.4) and r.loc["c", "n_measures"] == 0


def test_residual_policy_configurable():
    p = ResidualPolicy(
        max_reduction=1.0, category_weights=dict(zip(MEASURE_CATEGORIES, [1, 0, 0, 0], strict=True))
    )
    r = residual_risk(G, FULL, as_of=AS_OF, policy=p).set_index("risk_point_id")
    assert r.loc["a", "residual_score"] == pytest.approx(0.8 * 0.4)
    with pytest.raises(ValueError, match="sum to 1"):
        ResidualPolicy(category_weights=dict.fromkeys(MEASURE_CATEGORIES, 0.5))
    with pytest.raises(ValueError, match="exactly the keys"):
        ResidualPolicy(category_weights={"business_process": 1.0})


def test_overdue_credit_applies():
    p = ResidualPolicy(
        overdue_credit=1.0, status_credit={"planned": 1.0, "in_progress": 0.5, "done": 1.0, "cancelled": 0}
    )
    r = residual_risk(G, FULL, as_of=AS_OF, policy=p).set_index("risk_point_id")
    assert r.loc["b", "effect_business_process"] == pytest.approx(0.5)


def test_coverage_report_level_one_gaps_and_overdue():
    cov = coverage_report(G, FULL, as_of=AS_OF).set_index("risk_point_id")
    assert list(cov.index) == ["a", "b"]
    assert cov.loc["a", "complete"] and cov.loc["a", "missing_categories"] == ""
    assert cov.loc["b", "missing_categories"] == "ideology_ethics;supervision_accountability"
    assert cov.loc["b", "n_overdue"] == 1 and not cov.loc["b", "complete"]
    assert cov.loc["b", "n_measures"] == 3  # the cancelled one does not count


def test_deadline_passed_measures_listed():
    od = overdue_measures(FULL, as_of=AS_OF)
    assert od["measure_id"].tolist() == ["m5"] and od["days_overdue"].tolist() == [30]
    assert overdue_measures(FULL, as_of=date(2024, 6, 1)).empty  # due date itself is not overdue


def test_invalid_measures_all_reported():
    bad = meas(
        [
            ("m1", "a", "prayer", "Li", "2024-06-30", "done", 0.6),
            ("m1", "a", "personnel", None, "someday", "finished", 1.5),
            ("m3", "zz", "personnel", "Li", "2024-06-30", "done", 0.5),
        ]
    )
    with pytest.raises(InventoryValidationError) as ei:
        validate_measures(bad, G)
    fc = ei.value.failure_cases
    assert set(zip(fc["row"], fc["reason"], strict=True)) == {
        (0, "unknown_category"),
        (0, "duplicate_id"),
        (1, "duplicate_id"),
        (1, "missing_owner"),
        (1, "invalid_date"),
        (1, "unknown_status"),
        (1, "out_of_range"),
        (2, "unknown_risk_point"),
    }
    with pytest.raises(InventoryValidationError, match="effectiveness"):
        validate_measures(bad.drop(columns="effectiveness"))


@settings(max_examples=30, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from(MEASURE_CATEGORIES),
            st.sampled_from(["planned", "in_progress", "done", "cancelled"]),
            st.floats(0, 1),
        ),
        max_size=12,
    ),
    seed=st.integers(0, 100),
)
def test_residual_bounds_monotone_and_order_free(data, seed):
    m = meas([(f"m{i}", r, c, "x", "2025-01-01", s, e) for i, (r, c, s, e) in enumerate(data)])
    r = residual_risk(G, m, as_of=AS_OF)
    s, rs = r["score"].to_numpy(), r["residual_score"].to_numpy()
    assert (rs <= s + 1e-12).all() and (rs >= 0.5 * s - 1e-12).all()
    assert (r["residual_level"] >= r["level"]).all()  # G's levels are its threshold levels
    assert ((r["reduction"] >= 0) & (r["reduction"] <= 1 + 1e-12)).all()
    # adding a fully effective done measure never raises the residual score
    extra = meas([("zz", "a", "personnel", "x", "2025-01-01", "done", 1.0)])
    r2 = residual_risk(G, pd.concat([m, extra]), as_of=AS_OF)
    assert (r2["residual_score"].to_numpy() <= rs + 1e-12).all()
    r3 = residual_risk(G.sample(frac=1, random_state=seed), m.sample(frac=1, random_state=seed), as_of=AS_OF)
    pd.testing.assert_frame_equal(r, r3)
    assert np.isfinite(rs).all()
