"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import riskgrade as rg


def write_inventory_csv(path: Path, n: int, n_units: int, seed: int) -> Path:
    """A generated inventory written as CSV, with whole-number funds.

    Whole-number funds make every block of the file infer the same column types (a
    column whose first block is integral but later blocks are not is read as int64 by a
    small-block stream and as double by a whole-file read: same values, other text).
    """
    from riskgrade.io import write_frame

    inv = rg.datasets.make_inventory(n, n_units=n_units, seed=seed)
    inv["funds_handled"] = inv["funds_handled"].round().astype("int64")
    write_frame(inv, path)
    return path


@pytest.fixture(scope="session")
def sample_inventory() -> pd.DataFrame:
    """The generator's inventory: 1,200 points in 15 units."""
    return rg.datasets.make_inventory(1200, n_units=15, seed=11)


@pytest.fixture
def small_inventory() -> pd.DataFrame:
    """A hand-written valid inventory of four risk points in one unit."""
    return pd.DataFrame(
        {
            "risk_point_id": ["a", "b", "c", "d"],
            "unit_id": ["U1"] * 4,
            "scope": ["post", "post", "division", "unit"],
            "category": ["duties", "power_exercise", "work_process", "decision_making"],
            "headcount": [2, 4, 10, 50],
            "post_weight": [5, 3, 1, 2],
            "funds_handled": [1e8, 1e6, 0.0, 1e4],
            "discretion": [5, 3, 1, 2],
            "service_relevance": [5, 3, 1, None],
            "public_satisfaction": [0.60, 0.775, 0.95, None],
            "complaints": [10, 0, 0, 5],
            "cases": [2, 0, 0, 1],
            "media_exposure": [5, 1, 0, 0],
            "consequence": [3, 2, 1, 1],
        }
    )
