"""Configuration of how a model obtains its factor weights."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from riskgrade.exceptions import ConfigError

__all__ = ["WeightingSpec", "resolve_weights"]


class WeightingSpec(BaseModel):
    """How the factor weights are obtained.

    Parameters
    ----------
    method : {"fixed"}
        ``"fixed"``: the numbers in ``fixed`` (renormalised over the factors in use).
    fixed : dict of str to float
        Fixed weights by factor name.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["fixed"] = "fixed"
    fixed: dict[str, float] = Field(default_factory=dict)


def resolve_weights(
    spec: WeightingSpec, factor_scores: pd.DataFrame, factor_names: list[str]
) -> tuple[pd.Series, dict[str, Any]]:
    """Compute the weights a spec asks for.

    Parameters
    ----------
    spec : WeightingSpec
        The weighting configuration.
    factor_scores : pandas.DataFrame
        Factor scores in [0, 1] (higher = riskier), one column per factor; used by the
        data-driven methods.
    factor_names : list of str
        Factors of the catalog in use, in catalog order.

    Returns
    -------
    weights : pandas.Series
        Non-negative weights indexed by ``factor_names`` summing to 1.
    details : dict
        Method-specific figures to store in the model card (consistency ratios, ...).
    """
    if spec.method == "fixed":
        if not spec.fixed:
            w = pd.Series(1.0, index=factor_names)
        else:
            unknown = sorted(set(spec.fixed) - set(factor_names))
            if unknown:
                raise ConfigError(f"weighting.fixed names unknown factor(s): {unknown}")
            w = pd.Series({k: float(spec.fixed.get(k, 0.0)) for k in factor_names})
        if (w < 0).any() or not np.isfinite(w.to_numpy()).all():
            raise ConfigError("weighting.fixed: weights must be finite and non-negative")
        if w.sum() <= 0:
            raise ConfigError("weighting.fixed: weights sum to zero")
        return w / w.sum(), {"method": "fixed"}
    raise ConfigError(f"weighting.method {spec.method!r} is not supported")
