"""Weights for the grading factors: fixed, AHP, entropy, CRITIC and combinations."""

from riskgrade.weighting.ahp import AHPResult, ahp
from riskgrade.weighting.ahp_batch import AHPBatchResult, ahp_batch
from riskgrade.weighting.ahp_group import AHPGroupResult, ahp_group
from riskgrade.weighting.ahp_hierarchy import AHPHierarchy
from riskgrade.weighting.combined import combine_weights
from riskgrade.weighting.critic import critic_weights
from riskgrade.weighting.entropy import entropy_weights
from riskgrade.weighting.estimators import AHPWeighter, CombinedWeighter, CRITICWeighter, EntropyWeighter
from riskgrade.weighting.ri_tables import RI_TABLES, available_ri_tables, random_index
from riskgrade.weighting.spec import WeightingSpec, resolve_weights

__all__ = [
    "RI_TABLES",
    "AHPBatchResult",
    "AHPGroupResult",
    "AHPHierarchy",
    "AHPResult",
    "AHPWeighter",
    "CRITICWeighter",
    "CombinedWeighter",
    "EntropyWeighter",
    "WeightingSpec",
    "ahp",
    "ahp_batch",
    "ahp_group",
    "available_ri_tables",
    "combine_weights",
    "critic_weights",
    "entropy_weights",
    "random_index",
    "resolve_weights",
]
