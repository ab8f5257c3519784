"""Plots for analysts: ``*Display`` classes in the scikit-learn style.

- :mod:`riskgrade.plotting.displays` — weights, level mix per unit, factor heatmap,
  level probabilities, AHP consistency;
- :mod:`riskgrade.plotting.calibration` — the reliability diagram, re-exported here
  lazily as :class:`ReliabilityDisplay` (alias ``CalibrationDisplay``).

matplotlib (the ``plot`` extra) is imported only when a plot is drawn.
"""

from typing import Any

from riskgrade.plotting import displays
from riskgrade.plotting.displays import (
    AHPConsistencyDisplay,
    FactorHeatmapDisplay,
    LevelDistributionDisplay,
    LevelProbabilityDisplay,
    WeightsDisplay,
    cjk_font,
)

__all__ = [
    "AHPConsistencyDisplay",
    "FactorHeatmapDisplay",
    "LevelDistributionDisplay",
    "LevelProbabilityDisplay",
    "WeightsDisplay",
    "cjk_font",
]


def __getattr__(name: str) -> Any:
    # The reliability diagram (riskgrade.plotting.calibration) is loaded on first use.
    return displays.__getattr__(name)
