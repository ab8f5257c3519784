"""The raw-value features of the default supervised model (:class:`~riskgrade.ml_gam.MonotoneGAM`).

Each catalog factor present in ``X`` gives the model its raw value, not the catalog's
capped factor score:

- money (``kind="money"``): ``log10(1 + max(x, 0))``;
- a factor counted per head (a rate transform with a denominator): two features, the raw
  count (``<name>_count``) and the per-head rate (``<name>``; a denominator <= 0 gives a
  missing rate), both constrained upwards;
- a band-table factor: its band score (the bands already encode the risk direction);
- every other factor: the raw value, constrained in the factor's risk direction
  (``direction="lower"``: decreasing).

A denominator column enters as ``log10`` of its value, unconstrained; other numeric
columns as they are, unconstrained. A plain array is used as it is, unconstrained.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from riskgrade.factors import BandTransform, Factor, FactorCatalog

__all__ = ["FeaturePlan", "RawFeature", "plan_raw_features"]


@dataclass(frozen=True)
class RawFeature:
    """One model column: its name, how it is computed, its monotone sign, its reason group."""

    name: str
    source: str
    how: str  # "raw", "log10p", "log10", "rate", "band"
    sign: int
    group: str
    denominator: str | None = None


@dataclass
class FeaturePlan:
    """The features of a design and the reason groups (factor or column) they add up to."""

    features: list[RawFeature]
    factors: dict[str, Factor] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Model column names."""
        return [f.name for f in self.features]

    @property
    def signs(self) -> np.ndarray:
        """Monotone sign of every model column (+1, -1, 0)."""
        return np.array([f.sign for f in self.features], dtype=np.int64)

    @property
    def groups(self) -> list[str]:
        """Reason groups in first-appearance order."""
        return list(dict.fromkeys(f.group for f in self.features))

    def build(self, cols: dict[str, np.ndarray], n: int) -> np.ndarray:
        """The design matrix from the raw columns (``{name: float array}``)."""
        out = np.empty((n, len(self.features)))
        for j, f in enumerate(self.features):
            x = cols[f.source]
            with np.errstate(divide="ignore", invalid="ignore"):
                if f.how == "raw":
                    v = x
                elif f.how == "log10p":
                    v = np.log10(1.0 + np.maximum(x, 0.0))
                elif f.how == "log10":
                    v = np.where(x > 0, np.log10(np.where(x > 0, x, 1.0)), np.nan)
                elif f.how == "rate":
                    d = cols[str(f.denominator)]
                    v = np.where(d > 0, x / np.where(d > 0, d, 1.0), np.nan)
                else:  # band score
                    v = FactorCatalog.transform_one(self.factors[f.group], cols)
            out[:, j] = v
        return out


def plan_raw_features(names: list[str], catalog: FactorCatalog | None) -> FeaturePlan:
    """Plan the features for input columns ``names`` (empty: a plain array of ``n`` columns)."""
    feats: list[RawFeature] = []
    factors = [f for f in catalog.factors if f.source_column in names] if catalog is not None else []
    missing_den = sorted({f.denominator for f in factors if f.denominator and f.denominator not in names})
    if missing_den:
        raise ValueError(
            f"rate factor(s) {[f.name for f in factors if f.denominator in missing_den]} need "
            f"their denominator column(s) {missing_den} in X"
        )
    for f in factors:
        src = f.source_column
        if isinstance(f.transform, BandTransform):
            feats.append(RawFeature(f.name, src, "band", 1, f.name))
        elif f.denominator:
            feats.append(RawFeature(f"{f.name}_count", src, "raw", 1, f.name))
            feats.append(RawFeature(f.name, src, "rate", 1, f.name, f.denominator))
        elif f.kind == "money":
            feats.append(RawFeature(f.name, src, "log10p", 1, f.name))
        else:
            feats.append(RawFeature(f.name, src, "raw", -1 if f.direction == "lower" else 1, f.name))
    used = {f.source_column for f in factors}
    dens = list(dict.fromkeys(f.denominator for f in factors if f.denominator))
    for d in dens:
        feats.append(RawFeature(str(d), str(d), "log10", 0, str(d)))
    for c in names:
        if c not in used and c not in dens:
            feats.append(RawFeature(c, c, "raw", 0, c))
    return FeaturePlan(feats, {f.name: f for f in factors})
