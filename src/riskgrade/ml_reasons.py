"""Reason codes and the JSON model card of an :class:`~riskgrade.ml.MLScorer` on its default model.

With the default model (:class:`~riskgrade.ml_gam.MonotoneGAM`) a factor may enter
through several model columns (a count and its per-head rate), and a pairwise term is
shared by two columns. The reason code of a factor is the sum of its columns' effects
(each the column's term minus its training mean, a pair's term split equally between
its two columns), so the effects of all factors and extra columns of a row add up to
its log-odds minus the mean training log-odds, exactly.

The model card is plain JSON: the scorer's parameters, the input column names, the
catalog (when not the default), the fitted model's knots and coefficients and the
calibration map. Nothing is pickled; loading it rebuilds the same predictions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskgrade.factors import FactorCatalog

__all__ = ["CARD_FORMAT", "card_of", "group_effects", "grouped_reason_codes"]

CARD_FORMAT = "riskgrade.MLScorer/1"


def group_effects(scorer: Any, Z: np.ndarray) -> pd.DataFrame:
    """Per-row effect (log-odds against the training mean) of every factor and extra column."""
    E = scorer.estimator_.effects(Z)
    plan = scorer.plan_
    out = {}
    for g in plan.groups:
        idx = [j for j, f in enumerate(plan.features) if f.group == g]
        out[g] = E[:, idx].sum(axis=1)
    return pd.DataFrame(out)


def grouped_reason_codes(scorer: Any, X: Any, Z: np.ndarray, top: int, columns: list[str]) -> pd.DataFrame:
    """Long-format reason codes by factor (see :meth:`riskgrade.ml.MLScorer.reason_codes`)."""
    G = group_effects(scorer, Z)
    names = list(G.columns)
    E = G.to_numpy()
    plan = scorer.plan_
    frame = X if isinstance(X, pd.DataFrame) else None
    raw = np.asarray(X, dtype=float) if frame is None else np.empty((0, 0))
    inputs = [str(c) for c in getattr(scorer, "feature_names_in_", [])] or [
        f"x{j}" for j in range(scorer.n_features_in_)
    ]
    k = min(int(top), E.shape[1])
    order = np.argsort(-E, axis=1, kind="stable")[:, :k]
    rows = []
    for i in range(E.shape[0]):
        for r, j in enumerate(order[i]):
            eff = float(E[i, j])
            if not eff > 0:
                break
            g = names[j]
            f = plan.factors.get(g)
            col = f.source_column if f is not None else g
            val = float(frame[col].iloc[i]) if frame is not None else float(raw[i, inputs.index(col)])
            if f is not None:
                label, unit = f"{f.label_en} ({f.label_zh})", f.unit
                if f.denominator:
                    unit = f"{unit or 'count'} per {f.denominator}"
                score = np.nan
                if frame is not None:
                    score = float(FactorCatalog.transform_one(f, frame.iloc[[i]])[0])
            else:
                label, unit, score = g, "", np.nan
            rows.append({
                "row": i, "rank": r + 1, "feature": g, "label": label, "raw_value": val, "unit": unit,
                "factor_score": score, "reference_score": np.nan, "effect_logit": eff,
                "text": f"{label} = {val:g} {unit}".rstrip() + f" raises the log-odds by {eff:.3f}",
            })
    return pd.DataFrame(rows, columns=columns)


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def card_of(scorer: Any) -> dict[str, Any]:
    """The JSON model card of a fitted scorer on the default model."""
    params = {k: _jsonable(v) for k, v in scorer.get_params(deep=False).items() if k != "catalog"}
    cat = scorer.catalog
    return {
        "format": CARD_FORMAT,
        "params": params,
        "catalog": None if cat is None else cat.model_dump(mode="json"),
        "feature_names_in": [str(c) for c in scorer.feature_names_in_] if hasattr(scorer, "feature_names_in_")
        else None,
        "n_features_in": int(scorer.n_features_in_),
        "classes": [_jsonable(c) for c in scorer.classes_.tolist()],
        "n_events": int(scorer.n_events_),
        "feature_names_out": list(scorer.feature_names_out_),
        "monotonic_cst": [int(c) for c in scorer.monotonic_cst_],
        "calibration": scorer.calibration_,
        "calibrator": None if scorer.calibrator_ is None else scorer.calibrator_.to_dict(),
        "model": scorer.estimator_.to_dict(),
    }
