"""Calibration: calibrators, calibration metrics with noise floors, levels against outcomes.

The public names of the package; the code lives in

- :mod:`riskgrade.calibration.maps` — sigmoid, beta, isotonic and Venn-Abers maps;
- :mod:`riskgrade.calibration.calibrator` — :class:`ScoreCalibrator` (index score -> probability);
- :mod:`riskgrade.calibration.metrics` — Brier score and its decompositions, log loss,
  ECE and its noise floor, calibration intercept and slope, Hosmer–Lemeshow,
  Spiegelhalter's z, AUC, precision and lift in the top 10 %;
- :mod:`riskgrade.calibration.levels` — :func:`validate_levels`;
- :mod:`riskgrade.calibration.summary` — :func:`calibration_report`.
"""

from riskgrade.calibration.calibrator import CalibrationTieWarning, ScoreCalibrator, choose_method
from riskgrade.calibration.levels import LevelValidation, cochran_armitage, validate_levels, wilson_interval
from riskgrade.calibration.maps import BetaMap, IsotonicMap, SigmoidMap, VennAbersMap, venn_abers_pair
from riskgrade.calibration.metrics import (
    ECEResult,
    HosmerLemeshowResult,
    auc,
    brier_decomposition,
    brier_score,
    calibration_intercept_slope,
    corp_decomposition,
    ece,
    ece_noise_floor,
    hosmer_lemeshow,
    log_loss,
    precision_lift_at,
    spiegelhalter_z,
)
from riskgrade.calibration.summary import CalibrationReport, calibration_report

__all__ = [
    "BetaMap",
    "CalibrationReport",
    "CalibrationTieWarning",
    "ECEResult",
    "HosmerLemeshowResult",
    "IsotonicMap",
    "LevelValidation",
    "ScoreCalibrator",
    "SigmoidMap",
    "VennAbersMap",
    "auc",
    "brier_decomposition",
    "brier_score",
    "calibration_intercept_slope",
    "calibration_report",
    "choose_method",
    "cochran_armitage",
    "corp_decomposition",
    "ece",
    "ece_noise_floor",
    "hosmer_lemeshow",
    "log_loss",
    "precision_lift_at",
    "spiegelhalter_z",
    "validate_levels",
    "venn_abers_pair",
    "wilson_interval",
]
