"""Weights for the grading factors: fixed, AHP, entropy, CRITIC and combinations.

The names below are loaded on first use (PEP 562), so that ``import riskgrade`` does not
pay for scipy.stats (group AHP) or scikit-learn (the ``*Weighter`` estimators).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# These three functions share their names with their modules: importing the module
# later would rebind the package attribute to the module, so they are bound now (the
# modules import numpy and pandas only).
from riskgrade.weighting.ahp import AHPResult, ahp
from riskgrade.weighting.ahp_batch import AHPBatchResult, ahp_batch
from riskgrade.weighting.ahp_group import AHPGroupResult, ahp_group

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time see __getattr__
    from riskgrade.weighting.ahp_hierarchy import AHPHierarchy
    from riskgrade.weighting.combined import combine_weights
    from riskgrade.weighting.critic import critic_weights
    from riskgrade.weighting.entropy import entropy_weights
    from riskgrade.weighting.estimators import AHPWeighter, CombinedWeighter, CRITICWeighter, EntropyWeighter
    from riskgrade.weighting.ri_tables import RI_TABLES, available_ri_tables, random_index
    from riskgrade.weighting.spec import WeightingSpec, resolve_weights

#: public name -> the module defining it
_HOME = {
    "AHPHierarchy": "ahp_hierarchy",
    "combine_weights": "combined",
    "critic_weights": "critic",
    "entropy_weights": "entropy",
    "AHPWeighter": "estimators",
    "CombinedWeighter": "estimators",
    "CRITICWeighter": "estimators",
    "EntropyWeighter": "estimators",
    "RI_TABLES": "ri_tables",
    "available_ri_tables": "ri_tables",
    "random_index": "ri_tables",
    "WeightingSpec": "spec",
    "resolve_weights": "spec",
}

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


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'riskgrade.weighting' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"riskgrade.weighting.{home}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
