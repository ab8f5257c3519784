"""Shared fixtures."""

from __future__ import annotations

import pandas as pd
import pytest

import riskgrade as rg


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
