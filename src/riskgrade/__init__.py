"""riskgrade: reproducible grading of integrity risks (廉政风险) in public bodies.

Grades the risk points of posts, divisions and units into levels 1 (highest), 2 and 3
from quantified factors with scientific weights, holds level one to at most 10 % of
each unit's risk points, and keeps an audit trail of every decision.
"""

from riskgrade import catalogs, datasets
from riskgrade._version import __version__
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
    "ModelCardError",
    "NotFittedError",
    "PolicyError",
    "QuotaPolicy",
    "QuotaWarning",
    "RiskModel",
    "RiskModelConfig",
    "RiskgradeError",
    "RiskgradeWarning",
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


def __getattr__(name: str):
    # Estimators from later modules, imported lazily to keep `import riskgrade` light.
    if name == "MLScorer":
        from riskgrade.ml import MLScorer

        return MLScorer
    if name == "ScoreCalibrator":
        from riskgrade.calibration import ScoreCalibrator

        return ScoreCalibrator
    raise AttributeError(f"module 'riskgrade' has no attribute {name!r}")
