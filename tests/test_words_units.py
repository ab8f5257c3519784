"""Units in headers and number forms in cells (item 5 of the inventory issue).

Known answers are plain arithmetic on the units themselves (1 万 = 10^4, 1 亿 = 10^8,
1 % = 1/100); the property test grades canonical data against the same data rendered in
万元 / 亿元 / % forms and requires identical levels and scores.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade as rg
from riskgrade.cli import main
from riskgrade.units import parse_cell


@pytest.mark.parametrize(("cell", "kind", "unit", "value"), [
    ("12万", "money", None, 120_000.0),
    ("1,200,000", "money", None, 1_200_000.0),
    ("1.2亿", "money", None, 120_000_000.0),
    ("1.5万元", "money", None, 15_000.0),
    ("１２万", "money", None, 120_000.0),          # full-width digits
    ("１，２００", "money", None, 1_200.0),        # full-width separator
    ("500", "money", "万元", 5_000_000.0),
    (500, "money", "万元", 5_000_000.0),
    (0.3, "money", "亿元", 30_000_000.0),
    ("3000元", "money", "万元", 3_000.0),           # a unit in the cell says it all
    ("85%", "share", None, 0.85),
    ("85％", "share", None, 0.85),
    (85, "share", "%", 0.85),
    ("85", "share", "%", 0.85),
    ("12人", "count", "人", 12.0),
    ("1.2E+07", "money", None, 12_000_000.0),
    (12, "count", "人", 12.0),
])
def test_unambiguous_forms(cell, kind, unit, value):
    p = parse_cell(cell, kind, unit)
    assert p.reason is None
    assert p.value == value


@pytest.mark.parametrize(("cell", "kind", "unit"), [
    ("十二万", "money", None),
    ("约12万", "money", None),
    ("12万左右", "money", None),
    ("12-15万", "money", None),
    ("12万", "money", "万元"),      # 12 万万元?
    ("85%", "money", None),         # a percentage in a money column
    ("120", "share", "%"),          # over 100 under a % header
    ("120%", "share", None),
    ("1.2万元", "share", None),     # money in a share column
    ("3件", "money", None),
    ("1,20,0", "money", None),
])
def test_ambiguous_forms_are_refused(cell, kind, unit):
    assert parse_cell(cell, kind, unit).reason == "ambiguous_number"


def test_header_units_scale_and_count(small_inventory):
    inv = small_inventory.copy()
    wan = inv.rename(columns={"funds_handled": "处置资金（万元）", "public_satisfaction": "满意率（%）"})
    wan["处置资金（万元）"] = [str(Decimal(repr(float(v))) / 10_000) for v in inv["funds_handled"]]
    wan["满意率（%）"] = [None if pd.isna(v) else float(Decimal(repr(float(v))) * 100)
                          for v in inv["public_satisfaction"]]
    got = rg.read_inventory(wan)
    np.testing.assert_array_equal(got["funds_handled"].to_numpy(float), inv["funds_handled"].to_numpy(float))
    np.testing.assert_array_equal(got["public_satisfaction"].to_numpy(float),
                                  inv["public_satisfaction"].to_numpy(float))
    assert got.attrs["conversions"]["header in 万元"] == len(inv)
    assert got.attrs["header_units"] == {"funds_handled": "万元", "public_satisfaction": "%"}


def test_excel_percent_cells_read_as_fractions(small_inventory):
    """Excel stores a 85 % cell as 0.85: a （%） column whose numbers all lie in [0, 1] is kept as is."""
    inv = small_inventory.rename(columns={"public_satisfaction": "满意率（%）"})
    inv["满意率（%）"] = [0.85, 0.9, 0.5, 1.0]
    assert rg.read_inventory(inv)["public_satisfaction"].tolist() == [0.85, 0.9, 0.5, 1.0]


def test_mixed_percent_column_is_an_error(small_inventory):
    inv = small_inventory.rename(columns={"public_satisfaction": "满意率（%）"})
    inv["满意率（%）"] = [85, 90, 0.9, 70]
    with pytest.raises(rg.InventoryValidationError) as e:
        rg.validate_inventory(rg.read_inventory(inv))
    fc = e.value.failure_cases
    row = fc[fc["reason"] == "ambiguous_number"].iloc[0]
    assert row["source_row"] == 4 and row["header"] == "满意率（%）" and row["value"] == "0.9"


def test_unit_that_does_not_fit_is_an_error(small_inventory):
    inv = small_inventory.rename(columns={"funds_handled": "处置资金（%）"})
    with pytest.raises(rg.InventoryValidationError) as e:
        rg.validate_inventory(rg.read_inventory(inv))
    assert "unit_mismatch" in e.value.reasons


@pytest.mark.parametrize("cell", ["十二万", "约12万", "12-15万"])
def test_ambiguous_cell_names_row_column_value(small_inventory, cell):
    inv = small_inventory.rename(columns={"funds_handled": "处置资金"})
    inv["处置资金"] = inv["处置资金"].astype(object)
    inv.loc[2, "处置资金"] = cell
    with pytest.raises(rg.InventoryValidationError) as e:
        rg.validate_inventory(rg.read_inventory(inv))
    fc = e.value.failure_cases
    assert fc["reason"].tolist() == ["ambiguous_number"]
    r = fc.iloc[0]
    assert (r["source_row"], r["header"], r["column"], r["value"]) == (4, "处置资金", "funds_handled", cell)
    assert "处置资金" in r["message"] and "funds_handled" in r["message"]
    assert cell in r["message_zh"]


_money = st.decimals(min_value=0, max_value=10**10, places=2, allow_nan=False, allow_infinity=False)
_share = st.decimals(min_value=0, max_value=1, places=3, allow_nan=False, allow_infinity=False)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(funds=st.lists(_money, min_size=12, max_size=12), shares=st.lists(_share, min_size=12, max_size=12),
       form=st.sampled_from(["万元", "亿元", "cell万", "cell亿", "sep"]))
def test_converting_never_changes_a_grade(sample_inventory, funds, shares, form):
    """Canonical data and the same data in 万元 / 亿元 / % forms grade to identical scores and levels."""
    base = sample_inventory.head(12).copy()
    base["funds_handled"] = [float(f) for f in funds]
    base["public_satisfaction"] = [float(s) for s in shares]
    other = base.copy()
    if form in ("万元", "亿元"):
        scale = Decimal(10_000 if form == "万元" else 100_000_000)
        other = other.rename(columns={"funds_handled": f"处置资金（{form}）"})
        other[f"处置资金（{form}）"] = [format(f / scale, "f") for f in funds]
    elif form in ("cell万", "cell亿"):
        scale = Decimal(10_000 if form == "cell万" else 100_000_000)
        other["funds_handled"] = [f"{format(f / scale, 'f')}{form[-1]}" for f in funds]
    else:
        other["funds_handled"] = [f"{f:,}" for f in funds]
    other = other.rename(columns={"public_satisfaction": "满意率（%）"})
    other["满意率（%）"] = [f"{format(s * 100, 'f')}%" for s in shares]
    model = rg.RiskModel()
    a = model.grade(rg.read_inventory(base)).frame
    b = model.grade(rg.read_inventory(other)).frame
    np.testing.assert_array_equal(a["score"].to_numpy(), b["score"].to_numpy())
    np.testing.assert_array_equal(a["level"].to_numpy(), b["level"].to_numpy())


def test_run_summary_counts_conversions(tmp_path, small_inventory, capsys):
    inv = small_inventory.rename(columns={"funds_handled": "处置资金（万元）"})
    inv["处置资金（万元）"] = inv["处置资金（万元）"] / 10_000
    src = tmp_path / "wan.csv"
    inv.to_csv(src, index=False)
    assert main(["score", str(src), "-o", str(tmp_path / "g.csv"), "--engine", "local"]) == 0
    # the in-memory path (stdout) counts each kind of conversion
    assert main(["score", str(src), "-o", "-"]) == 0
    err = capsys.readouterr().err
    assert "header in 万元: 4" in err


def test_engine_run_summary_names_header_units(tmp_path, small_inventory, capsys):
    inv = small_inventory.rename(columns={"funds_handled": "处置资金（万元）"})
    inv["处置资金（万元）"] = inv["处置资金（万元）"] / 10_000
    src = tmp_path / "wan.csv"
    inv.to_csv(src, index=False)
    out = tmp_path / "g.parquet"
    assert main(["score", str(src), "-o", str(out), "--engine", "stream", "--lang", "en"]) == 0
    assert "header units honoured: 处置资金（万元） ×10000" in capsys.readouterr().err
    got = pd.read_parquet(tmp_path / "g.parquet")
    ref = rg.RiskModel().grade(rg.read_inventory(small_inventory)).frame
    assert got["level"].tolist() == ref["level"].tolist()
    assert got["score"].tolist() == ref["score"].tolist()


def test_run_summary_names_conversions_in_chinese(tmp_path, small_inventory, capsys):
    inv = small_inventory.rename(columns={"funds_handled": "处置资金（万元）"})
    inv["处置资金（万元）"] = inv["处置资金（万元）"] / 10_000
    src = tmp_path / "wan.csv"
    inv.to_csv(src, index=False)
    assert main(["score", str(src), "-o", "-", "--lang", "zh"]) == 0
    err = capsys.readouterr().err
    assert "表头单位为万元: 4" in err and "header in" not in err
