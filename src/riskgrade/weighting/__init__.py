"""Weights for the grading factors: fixed, AHP, entropy, CRITIC and combinations."""

from riskgrade.weighting.spec import WeightingSpec, resolve_weights

__all__ = ["WeightingSpec", "resolve_weights"]
