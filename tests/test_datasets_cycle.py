"""The bundled control-cycle sample tables: consistent with the sample inventory and reproducible."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from riskgrade.datasets.cycle import write_cycle_samples

S = Path("data/samples")
FILES = ("org.csv", "measures.csv", "signals.csv", "cases.csv", "graded_last_year.csv")


def test_samples_use_the_inventory_ids():
    inv = pd.read_csv(S / "inventory.csv", dtype=str)
    org = pd.read_csv(S / "org.csv", dtype=str)
    for kind, col in (("单位", "unit_id"), ("科室", "division_id"), ("岗位", "post_id")):
        assert set(inv[col].dropna()) == set(org.loc[org["类型"] == kind, "编号"])
    m = pd.read_csv(S / "measures.csv", dtype=str)
    assert set(m["风险点编号"]) <= set(inv["risk_point_id"])
    s = pd.read_csv(S / "signals.csv", dtype=str)
    assert set(s["对象编号"]) <= set(inv["post_id"].dropna())
    last = pd.read_csv(S / "graded_last_year.csv", dtype=str)
    both = set(last["risk_point_id"]) & set(inv["risk_point_id"])
    assert len(both) > 0.9 * len(inv) and len(set(last["risk_point_id"]) - both) > 0  # retired points


def test_samples_regenerate_byte_identical(tmp_path):
    for f in ("inventory.csv", "config.toml"):
        shutil.copy(S / f, tmp_path / f)
    write_cycle_samples(str(tmp_path))
    for f in FILES:
        assert (tmp_path / f).read_bytes() == (S / f).read_bytes(), f
