"""Plots for analysts: ``*Display`` classes in the scikit-learn style.

- :mod:`riskgrade.plotting.displays` — weights, level mix per unit, factor heatmap,
  level probabilities, AHP consistency;
- :mod:`riskgrade.plotting.calibration` — the reliability diagram, re-exported here
  lazily as :class:`ReliabilityDisplay`.

matplotlib (the ``plot`` extra) is imported only when a plot is drawn.
"""

from typing import Any

from riskgrade.plotting.axes import cjk_font
from riskgrade.plotting.displays import (
    AHPConsistencyDisplay,
    FactorHeatmapDisplay,
    LevelDistributionDisplay,
    LevelProbabilityDisplay,
    WeightsDisplay,
)

__all__ = [
    "AHPConsistencyDisplay",
    "FactorHeatmapDisplay",
    "LevelDistributionDisplay",
    "LevelProbabilityDisplay",
    "WeightsDisplay",
    "cjk_font",
]


_CALIBRATION_NAMES = ("ReliabilityDisplay",)


def __getattr__(name: str) -> Any:
    # The reliability diagram (riskgrade.plotting.calibration, which imports the
    # calibration metrics) is loaded on first use.
    if name in _CALIBRATION_NAMES:
        from riskgrade.plotting import calibration

        return getattr(calibration, name)
    raise AttributeError(f"module 'riskgrade.plotting' has no attribute {name!r}")
