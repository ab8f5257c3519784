"""Bundled sample inventory and the synthetic inventory generator."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from riskgrade.datasets.generate import TRUE_COEFFICIENTS, TRUE_INTERACTION, make_inventory

__all__ = ["TRUE_COEFFICIENTS", "TRUE_INTERACTION", "load_sample", "make_inventory", "sample_path"]

_SAMPLE = "sample_inventory.csv"


def sample_path() -> Path:
    """Path of the small sample inventory shipped inside the package (600 points, 8 units)."""
    return Path(str(resources.files(__name__).joinpath(_SAMPLE)))


def load_sample() -> pd.DataFrame:
    """Read the bundled sample inventory with :func:`riskgrade.read_inventory`.

    Examples
    --------
    >>> inv = load_sample()
    >>> len(inv)
    600
    """
    from riskgrade.io import read_inventory

    return read_inventory(sample_path())
