"""Grading factors and their transforms from raw values to factor scores in [0, 1].

A :class:`Factor` describes one quantified criterion of section 6 of the source
document (post weight, funds handled, discretion, ...): its kind, unit, the raw
value's valid domain, which direction is riskier, the written anchors of its scale
and the transform to a factor score. Transforms use **fixed anchors** taken from the
configuration, never the sample's minimum and maximum, so that a score means the
same thing in every unit and every year.

Transforms (each maps a raw value to ``t`` in [0, 1] increasing with the raw value;
a factor whose ``direction`` is ``"lower"`` then scores ``1 - t``):

``linear``
    ``t = clip((x - low) / (high - low), 0, 1)`` — ordinal scales and shares.
``log``
    ``t = clip(log10(max(x, floor) / floor) / log10(cap / floor), 0, 1)`` — money;
    equal steps per decade ("log10 bands"), 0 at or below ``floor``, 1 at ``cap``.
``rate``
    ``r = (x + k * r0) / (d + k)`` with ``d`` the denominator column (head count),
    a fixed prior rate ``r0`` and prior strength ``k`` (shrinks small denominators
    towards ``r0``); then ``t = clip(r / cap, 0, 1)``.
``bands``
    piecewise constant: ``edges`` ``e_1 < ... < e_K`` and ``scores`` ``s_0 .. s_K``;
    ``x < e_1 -> s_0``, ``e_k <= x < e_{k+1} -> s_k``, ``x >= e_K -> s_K``. The
    scores are risk scores already (direction is not applied), so two-sided bands
    (too low *and* too high are risky) are written directly, e.g. edges ``[41, 254]``
    with scores ``[1, 0, 1]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Anchor",
    "BandTransform",
    "Factor",
    "FactorCatalog",
    "LinearTransform",
    "LogTransform",
    "RateTransform",
    "Transform",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class LinearTransform(BaseModel):
    """Linear map of ``[low, high]`` onto ``[0, 1]`` (clipped)."""

    model_config = _FROZEN
    type: Literal["linear"] = "linear"
    low: float
    high: float

    @model_validator(mode="after")
    def _check(self) -> LinearTransform:
        if not self.high > self.low:
            raise ValueError(f"linear transform needs high > low, got low={self.low}, high={self.high}")
        return self

    def apply(self, x: np.ndarray, denominator: np.ndarray | None = None) -> np.ndarray:
        """Map raw values to ``t`` in [0, 1]."""
        return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)


class LogTransform(BaseModel):
    """Log10 scale between ``floor`` (score 0) and ``cap`` (score 1)."""

    model_config = _FROZEN
    type: Literal["log"] = "log"
    floor: float = Field(gt=0)
    cap: float = Field(gt=0)

    @model_validator(mode="after")
    def _check(self) -> LogTransform:
        if not self.cap > self.floor:
            raise ValueError(f"log transform needs cap > floor, got floor={self.floor}, cap={self.cap}")
        return self

    def apply(self, x: np.ndarray, denominator: np.ndarray | None = None) -> np.ndarray:
        """Map raw values to ``t`` in [0, 1]."""
        with np.errstate(invalid="ignore"):
            t = np.log10(np.maximum(x, self.floor) / self.floor) / np.log10(self.cap / self.floor)
        return np.clip(t, 0.0, 1.0)


class RateTransform(BaseModel):
    """Count per denominator, shrunk towards a fixed prior rate, linear up to ``cap``."""

    model_config = _FROZEN
    type: Literal["rate"] = "rate"
    per: str = "headcount"
    cap: float = Field(gt=0)
    prior_rate: float = Field(default=0.0, ge=0)
    prior_strength: float = Field(default=0.0, ge=0)

    def apply(self, x: np.ndarray, denominator: np.ndarray | None = None) -> np.ndarray:
        """Map counts and denominators to ``t`` in [0, 1]."""
        if denominator is None:
            raise ValueError(f"rate transform needs the denominator column {self.per!r}")
        k = self.prior_strength
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (x + k * self.prior_rate) / (denominator + k)
        return np.clip(r / self.cap, 0.0, 1.0)


class BandTransform(BaseModel):
    """Piecewise-constant band table; band scores are risk scores (direction not applied)."""

    model_config = _FROZEN
    type: Literal["bands"] = "bands"
    edges: tuple[float, ...]
    scores: tuple[float, ...]

    @model_validator(mode="after")
    def _check(self) -> BandTransform:
        if len(self.edges) < 1:
            raise ValueError("bands need at least one edge")
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError(f"band edges must increase strictly, got {list(self.edges)}")
        if len(self.scores) != len(self.edges) + 1:
            raise ValueError(
                f"bands need len(scores) == len(edges) + 1, got {len(self.scores)} scores "
                f"for {len(self.edges)} edges"
            )
        if any(not 0.0 <= s <= 1.0 for s in self.scores):
            raise ValueError(f"band scores must lie in [0, 1], got {list(self.scores)}")
        return self

    def apply(self, x: np.ndarray, denominator: np.ndarray | None = None) -> np.ndarray:
        """Map raw values to their band's score."""
        idx = np.searchsorted(np.asarray(self.edges, dtype=float), x, side="right")
        out = np.asarray(self.scores, dtype=float)[np.minimum(idx, len(self.scores) - 1)]
        return np.where(np.isnan(x), np.nan, out)


Transform = Annotated[
    LinearTransform | LogTransform | RateTransform | BandTransform,
    Field(discriminator="type"),
]


class Anchor(BaseModel):
    """A written anchor of a factor's scale (what a raw value means)."""

    model_config = _FROZEN
    value: float
    en: str
    zh: str


Kind = Literal["ordinal", "money", "count", "rate", "share", "continuous"]


class Factor(BaseModel):
    """One grading factor: raw column, domain, direction and transform.

    Parameters
    ----------
    name : str
        Canonical name, also the default inventory column.
    label_en, label_zh : str
        Names in English and Chinese.
    kind : {"ordinal", "money", "count", "rate", "share", "continuous"}
        What the raw value is; sets the validation of the domain.
    direction : {"higher", "lower"}
        Which raw values are riskier.
    transform : Transform
        Map from raw value to factor score.
    missing : {"reject", "riskiest", "exclude"}
        What a missing value means: the row is rejected; the factor scores 1; or the
        factor is left out for that row and the weights renormalise over the rest.
    column : str, optional
        Inventory column holding the raw value (default ``name``).
    unit : str
        Unit of the raw value (``"CNY/yr"``, ``"count/yr"``, ...).
    minimum, maximum : float, optional
        Valid domain of raw values (inclusive); ordinals must be whole numbers in it.
    anchors : tuple of Anchor
        Written scale anchors.
    core : bool
        Whether the factor is one of the core factors that a config may not drop.
    """

    model_config = _FROZEN

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    label_en: str
    label_zh: str
    kind: Kind
    direction: Literal["higher", "lower"] = "higher"
    transform: Transform
    missing: Literal["reject", "riskiest", "exclude"] = "reject"
    column: str | None = None
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    anchors: tuple[Anchor, ...] = ()
    core: bool = False

    @property
    def source_column(self) -> str:
        """Inventory column holding the raw value."""
        return self.column or self.name

    @property
    def denominator(self) -> str | None:
        """Denominator column of a rate transform, else ``None``."""
        return self.transform.per if isinstance(self.transform, RateTransform) else None

    def score(self, raw: np.ndarray, denominator: np.ndarray | None = None) -> np.ndarray:
        """Factor score in [0, 1] (higher = riskier) of raw values; NaN stays NaN.

        Missing-value policies are applied by :meth:`FactorCatalog.transform`.
        """
        raw = np.asarray(raw, dtype=float)
        t = self.transform.apply(raw, denominator)
        if self.direction == "lower" and not isinstance(self.transform, BandTransform):
            t = 1.0 - t
        return np.where(np.isnan(raw), np.nan, t)


class FactorCatalog(BaseModel):
    """An ordered set of factors.

    Parameters
    ----------
    name : str
        Name of the catalog (for example ``"sichuan_2012"``).
    factors : tuple of Factor
        The factors, in the order used for weights and output columns.
    """

    model_config = _FROZEN

    name: str = "custom"
    factors: tuple[Factor, ...]

    @model_validator(mode="after")
    def _check(self) -> FactorCatalog:
        names = [f.name for f in self.factors]
        if not names:
            raise ValueError("a factor catalog needs at least one factor")
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate factor names in catalog: {dup}")
        return self

    @property
    def names(self) -> list[str]:
        """Factor names in catalog order."""
        return [f.name for f in self.factors]

    def __getitem__(self, name: str) -> Factor:
        for f in self.factors:
            if f.name == name:
                return f
        raise KeyError(f"no factor named {name!r} in catalog {self.name!r}; have {self.names}")

    def __len__(self) -> int:
        return len(self.factors)

    def select(self, names: Iterable[str]) -> FactorCatalog:
        """Return a catalog with only the named factors (catalog order kept)."""
        wanted = list(names)
        missing = sorted(set(wanted) - set(self.names))
        if missing:
            raise KeyError(f"unknown factor(s) {missing}; catalog {self.name!r} has {self.names}")
        return FactorCatalog(name=self.name, factors=tuple(f for f in self.factors if f.name in wanted))

    @property
    def columns(self) -> list[str]:
        """Raw inventory columns the catalog reads (factors then denominators)."""
        cols = [f.source_column for f in self.factors]
        for f in self.factors:
            d = f.denominator
            if d is not None and d not in cols:
                cols.append(d)
        return cols

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Factor scores of every row.

        Parameters
        ----------
        frame : pandas.DataFrame
            A validated inventory with the raw factor columns.

        Returns
        -------
        pandas.DataFrame
            One float64 column per factor, in [0, 1], higher = riskier; NaN where the
            raw value is missing and the factor's policy is ``"exclude"``.
        """
        out = {}
        for f in self.factors:
            out[f.name] = self.transform_one(f, frame)
        return pd.DataFrame(out, index=frame.index)

    @staticmethod
    def transform_one(factor: Factor, frame: pd.DataFrame | dict) -> np.ndarray:
        """Factor score of one factor, with its missing-value policy applied."""
        raw = _as_float(frame[factor.source_column])
        den = _as_float(frame[factor.denominator]) if factor.denominator else None
        s = factor.score(raw, den)
        if factor.missing == "riskiest":
            s = np.where(np.isnan(s), 1.0, s)
        return s


def _as_float(values: Sequence | np.ndarray | pd.Series) -> np.ndarray:
    if isinstance(values, pd.Series):
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(values, dtype=float)
