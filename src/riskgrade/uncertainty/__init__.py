"""Level probabilities under weight uncertainty (SMAA, SMAA-2), weight samplers and stability.

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
from riskgrade.uncertainty.smaa2 import (
    FactorNoise,
    SMAA2Result,
    confidence_factors,
    rank_acceptability,
    smaa2,
)
from riskgrade.uncertainty.stability import bootstrap_weight_intervals, weight_sensitivity

__all__ = [
    "AHPExperts",
    "Bootstrap",
    "Dirichlet",
    "FactorNoise",
    "FixedDraws",
    "IntervalBounds",
    "LevelProbabilities",
    "LowerBounds",
    "Ordinal",
    "SMAA2Result",
    "UniformSimplex",
    "WeightSampler",
    "bootstrap_weight_intervals",
    "confidence_factors",
    "hit_and_run",
    "inventory_arrays",
    "level_probabilities",
    "quota_level_probabilities",
    "rank_acceptability",
    "resolve_sampler",
    "score_cutoff",
    "smaa2",
    "uniform_simplex",
    "weight_sensitivity",
]
