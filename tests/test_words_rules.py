"""One table of validation rules: reason codes as an enum, and the fast check never looser.

The engine's fast check (:func:`riskgrade.engine.check.batch_is_valid`) decides whether
a batch needs the row-by-row report of :func:`riskgrade.schema.find_failures`; if it
ever answered "valid" for a batch the validator rejects, bad rows would be graded. The
property test breaks random cells of a valid batch with values that violate each rule
of :data:`riskgrade.schema_rules.RULES` and requires: validator rejects => fast check
says not valid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade as rg
from riskgrade.engine.check import batch_is_valid
from riskgrade.engine.core import canonical_table
from riskgrade.schema import REASONS, find_failures
from riskgrade.schema_rules import RULES, Reason, rules_frame

BREAKS = {
    "post_weight": [0, 6, 2.5, "高", None, float("inf"), -1],
    "discretion": [9, "约3", None],
    "funds_handled": [-5, "约12万", "十二万", "85%", float("nan"), "abc"],
    "public_satisfaction": [1.5, -0.1, "120%", "万"],
    "headcount": [0, -2, None, "五"],
    "complaints": [-1, "3-5"],
    "scope": ["区域", "", "部门X"],
    "category": ["职能职责X", "duties"],  # duties under a division scope is a mismatch
    "identified_by": ["自己找、网评", "other"],
    "risk_point_id": [None, " ", "RP\u200b9", "R\x07P"],
    "post_id": ["P\u200b7"],
    "unit_id": [None, ""],
    "violation": [2, "也许"],
}


def test_reason_enum_matches_the_codes():
    assert [r.value for r in Reason] == list(REASONS)
    assert {r.reason for r in RULES} == set(Reason)
    t = rules_frame()
    assert list(t.columns) == ["columns", "kind", "rule", "reason", "batch_check"]
    assert t["reason"].is_unique


def _base() -> pd.DataFrame:
    inv = rg.datasets.make_inventory(40, n_units=3, seed=2)
    inv["violation"] = inv["violation"].astype("int64")
    return inv


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_check_never_passes_what_the_validator_rejects(data):
    inv = _base().astype(object)
    n_breaks = data.draw(st.integers(0, 3))
    for _ in range(n_breaks):
        col = data.draw(st.sampled_from(sorted(BREAKS)))
        row = data.draw(st.integers(0, len(inv) - 1))
        val = data.draw(st.sampled_from(BREAKS[col]))
        if col == "category" and val == "duties":
            inv.loc[row, "scope"] = "division"
        inv.loc[row, col] = val
    if data.draw(st.booleans()):
        inv.loc[1, "risk_point_id"] = inv.loc[0, "risk_point_id"]  # duplicates are the engine's global check
    # as the engine sees a CSV: text where any cell is text, numbers otherwise
    cols = {}
    for c in inv.columns:
        vals = inv[c].tolist()
        if any(isinstance(v, str) for v in vals):
            cols[c] = pa.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                                for v in vals], type=pa.string())
        else:
            cols[c] = pa.array([None if v is None else float(v) for v in vals], type=pa.float64())
    table = canonical_table(pa.table(cols), {})
    frame = table.to_pandas()
    fc = find_failures(frame)
    fc = fc[fc["reason"] != "duplicate_id"]
    fast = batch_is_valid(table, rg.default_config())
    if len(fc):
        assert not fast, fc[["row", "column", "value", "reason"]].to_string()
    assert set(fc["reason"]) <= set(REASONS)
