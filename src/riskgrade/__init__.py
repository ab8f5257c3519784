"""riskgrade: reproducible grading of integrity risks (廉政风险) in public bodies.

Grades the risk points of posts, divisions and units into levels 1 (highest), 2 and 3
from quantified factors with scientific weights, holds level one to at most 10 % of
each unit's risk points, and keeps an audit trail of every decision.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from riskgrade import exceptions as _exceptions  # small, no dependencies
from riskgrade._version import __version__

if TYPE_CHECKING:  # the names below, for type checkers and IDEs; at run time they load on first use
    from riskgrade import catalogs, datasets
    from riskgrade.calibration import ScoreCalibrator
    from riskgrade.config import RiskModelConfig, config_from_dict, config_hash, default_config, load_config
    from riskgrade.exceptions import (
        ConfigError,
        ConsistencyWarning,
        DataWarning,
        InconsistentJudgementsError,
        InventoryValidationError,
        ModelCardError,
        NotFittedError,
        PolicyError,
        QuotaWarning,
        RiskgradeError,
        RiskgradeWarning,
        WeightingError,
    )
    from riskgrade.factors import Factor, FactorCatalog
    from riskgrade.grading import Grader, QuotaPolicy, Thresholds
    from riskgrade.io import read_inventory, write_result
    from riskgrade.ml import MLScorer
    from riskgrade.model import RiskModel
    from riskgrade.results import GradingResult
    from riskgrade.schema import validate_inventory
    from riskgrade.scoring import IndexScorer

__all__ = [
    "ConfigError",
    "ConsistencyWarning",
    "DataWarning",
    "Factor",
    "FactorCatalog",
    "Grader",
    "GradingResult",
    "InconsistentJudgementsError",
    "IndexScorer",
    "InventoryValidationError",
    "MLScorer",
    "ModelCardError",
    "NotFittedError",
    "PolicyError",
    "QuotaPolicy",
    "QuotaWarning",
    "RiskModel",
    "RiskModelConfig",
    "RiskgradeError",
    "RiskgradeWarning",
    "ScoreCalibrator",
    "Thresholds",
    "WeightingError",
    "__version__",
    "catalogs",
    "config_from_dict",
    "config_hash",
    "datasets",
    "default_config",
    "load_config",
    "read_inventory",
    "validate_inventory",
    "write_result",
]

#: Where each public name lives. ``import riskgrade`` loads none of these modules; each is
#: imported on first use of one of its names (PEP 562), so the command line's ``--help`` and
#: a system that imports riskgrade only to call one function pay for what they use.
_HOME: dict[str, str] = {
    "catalogs": "riskgrade.catalogs",
    "datasets": "riskgrade.datasets",
    "RiskModelConfig": "riskgrade.config",
    "config_from_dict": "riskgrade.config",
    "config_hash": "riskgrade.config",
    "default_config": "riskgrade.config",
    "load_config": "riskgrade.config",
    "Factor": "riskgrade.factors",
    "FactorCatalog": "riskgrade.factors",
    "Grader": "riskgrade.grading",
    "QuotaPolicy": "riskgrade.grading",
    "Thresholds": "riskgrade.grading",
    "read_inventory": "riskgrade.io",
    "write_result": "riskgrade.io",
    "RiskModel": "riskgrade.model",
    "GradingResult": "riskgrade.results",
    "validate_inventory": "riskgrade.schema",
    "IndexScorer": "riskgrade.scoring",
    "MLScorer": "riskgrade.ml",
    "ScoreCalibrator": "riskgrade.calibration",
}
_HOME.update(dict.fromkeys(_exceptions.__all__, "riskgrade.exceptions"))


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        try:  # a submodule: riskgrade.io, riskgrade.governance, ...
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module 'riskgrade' has no attribute {name!r}") from None
    module = importlib.import_module(home)
    value = module if home == f"{__name__}.{name}" else getattr(module, name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
