"""Calibration: calibrators, calibration metrics with noise floors, levels against outcomes.

This module gathers the public names; the code lives in

- :mod:`riskgrade.calibration.maps` — sigmoid, beta, isotonic and Venn-Abers maps;
- :mod:`riskgrade.calibration.calibrator` — :class:`ScoreCalibrator` (index score -> probability);
- :mod:`riskgrade.calibration.metrics` — Brier score and its decompositions, log loss,
  ECE and its noise floor, calibration intercept and slope, Hosmer–Lemeshow,
  Spiegelhalter's z, AUC, precision and lift in the top 10 %;
- :mod:`riskgrade.calibration.levels` — :func:`validate_levels`.

:func:`calibration_report` puts the metrics of one set of predictions side by side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

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


@dataclass(frozen=True)
class CalibrationReport:
    """Metrics of one set of predictions.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per metric: ``metric``, ``value``, ``reference`` (what a calibrated
        forecaster would show, where defined) and ``note``.
    ece_bins : pandas.DataFrame
        The ECE bin table (reliability diagram data).
    """

    frame: pd.DataFrame
    ece_bins: pd.DataFrame = field(repr=False)

    def __getitem__(self, metric: str) -> float:
        row = self.frame.loc[self.frame["metric"] == metric, "value"]
        if row.empty:
            raise KeyError(f"no metric {metric!r}; have {self.frame['metric'].tolist()}")
        return float(row.iloc[0])

    def to_frame(self) -> pd.DataFrame:
        """The metrics table (a copy)."""
        return self.frame.copy()

    def __str__(self) -> str:
        return self.frame.to_string(index=False, float_format=lambda v: f"{v:.5g}")

    def _repr_html_(self) -> str:
        return "<h4>Calibration report</h4>" + self.frame.to_html(
            index=False, float_format=lambda v: f"{v:.5g}", na_rep=""
        )


def calibration_report(
    y: Any,
    p: Any,
    *,
    n_bins: int = 15,
    hl_groups: int = 10,
    development: bool = False,
    n_resamples: int = 500,
    top: float = 0.10,
    seed: int | None = 0,
) -> CalibrationReport:
    """Calibration and discrimination metrics of probabilities ``p`` for outcomes ``y``.

    Parameters
    ----------
    y, p : array-like
        Outcomes (0/1) and predicted probabilities.
    n_bins : int
        Equal-mass bins of the ECE and the Murphy decomposition (stated in the report).
    hl_groups : int
        Hosmer–Lemeshow groups.
    development : bool
        Whether ``p`` comes from a model fitted on these same rows (Hosmer–Lemeshow
        df = g - 2) or is validated on new data (df = g, the default).
    n_resamples : int
        Resamples for the ECE noise floor.
    top : float
        Share of highest predictions for precision and lift.
    seed : int or None
        Seed of the noise floor.

    Returns
    -------
    CalibrationReport

    Notes
    -----
    Every figure is the same whatever the order of the rows: the binned metrics keep
    equal predictions in one bin (so a bin count in the notes can be below
    ``n_bins`` / ``hl_groups`` when predictions tie), the sums run over the rows
    sorted by ``(p, y)``, and the noise floor draws its outcomes in order of ``p``.
    """
    y = np.asarray(y, dtype=float).ravel()
    p = np.asarray(p, dtype=float).ravel()
    e = ece(y, p, n_bins=n_bins)  # validates y and p
    order = np.lexsort((y, p))  # the metrics' own (p, y) order: sorted once here
    y, p = y[order], p[order] + 0.0
    p_sum = math.fsum(p.tolist())  # exactly rounded: the same for any row order
    nf = ece_noise_floor(p, n_bins=n_bins, n_resamples=n_resamples, seed=seed)
    mur = brier_decomposition(y, p, n_bins=n_bins)
    corp = corp_decomposition(y, p)
    cis = calibration_intercept_slope(y, p)
    hl = hosmer_lemeshow(y, p, hl_groups, development=development)
    sz = spiegelhalter_z(y, p)
    pl = precision_lift_at(y, p, top)
    rows = [
        ("n", y.size, np.nan, ""),
        ("events", y.sum(), p_sum, "reference: expected events sum(p)"),
        ("event_rate", y.mean(), p_sum / p.size, "reference: mean predicted probability"),
        ("brier", mur["brier"], np.nan, "lower is better"),
        ("brier_reliability", mur["reliability"], 0.0, f"Murphy, {mur['n_bins']} equal-mass bins"),
        ("brier_resolution", mur["resolution"], np.nan, "higher is better"),
        ("brier_uncertainty", mur["uncertainty"], np.nan, "o(1-o)"),
        ("corp_mcb", corp["mcb"], 0.0, "CORP miscalibration (isotonic)"),
        ("corp_dsc", corp["dsc"], np.nan, "CORP discrimination"),
        ("corp_unc", corp["unc"], np.nan, "CORP uncertainty"),
        ("log_loss", log_loss(y, p), np.nan, "lower is better"),
        ("ece", e.value, nf.q95, f"{e.n_bins} equal-mass bins; reference: 95% noise floor"),
        ("ece_noise_floor_mean", nf.mean, np.nan, f"ECE of a calibrated forecaster, {nf.n_resamples} draws"),
        ("calibration_intercept", cis["intercept"], 0.0, "slope fixed at 1 (offset)"),
        ("calibration_slope", cis["slope"], 1.0, "logistic recalibration"),
        ("hosmer_lemeshow", hl.statistic, float(hl.df), f"{hl.groups} groups, df = {hl.df}"),
        ("hosmer_lemeshow_p", hl.p_value, np.nan, "development" if development else "external validation"),
        ("spiegelhalter_z", sz["z"], 0.0, "two-sided"),
        ("spiegelhalter_p", sz["p_value"], np.nan, "two-sided"),
        ("auc", auc(y, p), 0.5, "reference: no discrimination"),
        (f"precision_top_{top:g}", pl["precision"], y.mean(), f"top {pl['k']} rows"),
        (f"lift_top_{top:g}", pl["lift"], 1.0, ""),
    ]
    frame = pd.DataFrame(rows, columns=["metric", "value", "reference", "note"])
    frame["value"] = frame["value"].astype(float)
    return CalibrationReport(frame=frame, ece_bins=e.bins)
