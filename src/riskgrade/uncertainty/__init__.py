"""Level probabilities under weight uncertainty (SMAA), weight samplers and stability.

>>> from riskgrade.uncertainty import level_probabilities
"""

from riskgrade.uncertainty.api import inventory_arrays, level_probabilities, resolve_sampler
from riskgrade.uncertainty.core import LevelProbabilities, quota_level_probabilities, score_cutoff
from riskgrade.uncertainty.samplers import (
    AHPExperts,
    Bootstrap,
    Dirichlet,
    FixedDraws,
    IntervalBounds,
    LowerBounds,
    Ordinal,
    UniformSimplex,
    WeightSampler,
    hit_and_run,
    uniform_simplex,
)
from riskgrade.uncertainty.stability import bootstrap_weight_intervals, weight_sensitivity

__all__ = [
    "AHPExperts",
    "Bootstrap",
    "Dirichlet",
    "FixedDraws",
    "IntervalBounds",
    "LevelProbabilities",
    "LowerBounds",
    "Ordinal",
    "UniformSimplex",
    "WeightSampler",
    "bootstrap_weight_intervals",
    "hit_and_run",
    "inventory_arrays",
    "level_probabilities",
    "quota_level_probabilities",
    "resolve_sampler",
    "score_cutoff",
    "uniform_simplex",
    "weight_sensitivity",
]
