"""Model configuration: the methodology as versioned data.

A :class:`RiskModelConfig` fixes everything that decides a grade — the factor
catalog, how weights are obtained, the level thresholds, the quota and the column
mapping — so that a grade can be reproduced from the config and the input alone.
Configs are frozen pydantic models that reject unknown fields; they load from TOML
or JSON (YAML with the ``yaml`` extra), and every output records the config's
SHA-256 (:func:`config_hash`).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from riskgrade.catalogs import CORE_FACTORS, sichuan_2012
from riskgrade.exceptions import ConfigError
from riskgrade.factors import FactorCatalog
from riskgrade.grading import QuotaPolicy, Thresholds
from riskgrade.identity import IdentityPolicy
from riskgrade.weighting.spec import WeightingSpec

__all__ = [
    "DEFAULT_WEIGHTS",
    "CalibrationSpec",
    "MLScorerSpec",
    "RiskModelConfig",
    "config_hash",
    "config_json_schema",
    "default_config",
    "load_config",
]

PRESETS = {"sichuan_2012": sichuan_2012}

#: Default fixed weights of the sichuan_2012 catalog (sum to 1). The six core factors
#: carry 0.73 of the weight; consequence, which the field grades by on its own, 0.12.
DEFAULT_WEIGHTS: dict[str, float] = {
    "post_weight": 0.15,
    "funds_handled": 0.15,
    "discretion": 0.15,
    "service_relevance": 0.08,
    "public_satisfaction": 0.07,
    "complaints": 0.10,
    "cases": 0.12,
    "media_exposure": 0.06,
    "consequence": 0.12,
}


class CalibrationSpec(BaseModel):
    """Calibration of the index score to a probability of violation.

    Parameters
    ----------
    method : {"auto", "sigmoid", "beta", "isotonic", "venn_abers"}
        The map of :class:`riskgrade.calibration.ScoreCalibrator`; ``"auto"`` and the
        sigmoid and beta maps are strictly increasing (no ties, ranks unchanged).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    method: Literal["auto", "sigmoid", "beta", "isotonic", "venn_abers"] = "auto"


class MLScorerSpec(BaseModel):
    """A supervised scorer (:class:`riskgrade.ml.MLScorer`) in place of the weighted index.

    With a scorer, ``RiskModel.fit`` learns the probability of violation from the raw
    factor columns and the outcome column; grading then ranks, thresholds and applies
    the quota on that calibrated probability (the ``score`` column is the probability
    rounded to ``score_decimals``; ``probability`` holds it unrounded). The weights and
    per-factor contributions of the index are still computed and reported beside it.

    Parameters
    ----------
    estimator : {"logistic", "hgb"}
        Base model: logistic with non-negative coefficients on the factor scores, or
        monotone histogram gradient boosting.
    calibration : {"auto", "sigmoid", "beta", "isotonic", "venn_abers"} or None
        Calibration fitted on out-of-fold probabilities (see :class:`~riskgrade.ml.MLScorer`).
    cv : int
        Folds of the out-of-fold probabilities.
    C : float
        Inverse penalty of the logistic model.
    max_iter : int
        Boosting iterations of the ``"hgb"`` model.
    random_state : int
        Seed of the folds and of the boosting model.
    extra_columns : tuple of str
        Numeric inventory columns used as further (unconstrained) features.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    estimator: Literal["logistic", "hgb"] = "logistic"
    calibration: Literal["auto", "sigmoid", "beta", "isotonic", "venn_abers"] | None = "auto"
    cv: int = Field(default=5, ge=2)
    C: float = Field(default=1.0, gt=0)
    max_iter: int = Field(default=200, ge=1)
    random_state: int = 0
    extra_columns: tuple[str, ...] = ()


class RiskModelConfig(BaseModel):
    """Configuration of a risk model.

    Parameters
    ----------
    name : str
        Name of the methodology (shown in reports).
    catalog : FactorCatalog or str
        The factor catalog, or the name of a preset (``"sichuan_2012"``).
    drop_factors : tuple of str
        Non-core factors of the catalog not used by this model; the weights
        renormalise over the rest.
    weighting : WeightingSpec
        How weights are obtained (fixed numbers, AHP, entropy, CRITIC, combined).
    levels : Thresholds
        Thresholds of the provisional levels.
    quota : QuotaPolicy
        The per-unit level-one quota.
    columns : dict of str to str
        Extra column mapping ``{file column: canonical name}`` applied when reading.
    values : dict of str to dict of str to str
        Extra value aliases per enumerated column, ``{"category": {"廉洁自律": "ideology_morality"}}``,
        applied when reading on top of the document's own words
        (:data:`riskgrade.words.VALUE_ALIASES`). Left out of the serialised config
        (and so of its hash) when empty.
    outcome_column : str
        Column of the historical outcome (0/1) for supervised scoring.
    require_outcome : bool
        Whether the outcome column must be present and complete.
    score_decimals : int
        Scores are rounded to this many decimals before ranking and output, so
        that every engine (in-memory, streaming, dask) ranks identical numbers.
    calibration : CalibrationSpec, optional
        When set, ``RiskModel.fit`` fits a calibrator of the score on the outcome
        column and grading adds a ``probability`` column (thresholds may then use
        ``levels.basis = "probability"``). Left out of the serialised config (and so
        of its hash) when not set.
    scorer : MLScorerSpec, optional
        When set, a supervised, calibrated scorer replaces the weighted index as the
        basis of ranking and levels (it needs the outcome column at ``fit``). Left out
        of the serialised config when not set. Exclusive with ``calibration``.
    identity : IdentityPolicy
        How spellings of ids and unit codes are folded (default: NFKC and trimmed, case
        kept; see :mod:`riskgrade.identity`). Left out of the serialised config (and so
        of its hash) when it is the default.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    schema_version: Literal[1] = 1
    name: str = "default"
    catalog: FactorCatalog = Field(default_factory=sichuan_2012)
    drop_factors: tuple[str, ...] = ()
    weighting: WeightingSpec = Field(default_factory=WeightingSpec)
    levels: Thresholds = Field(default_factory=Thresholds)
    quota: QuotaPolicy = Field(default_factory=QuotaPolicy)
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[Literal["scope", "category", "identified_by"], dict[str, str]] = Field(
        default_factory=dict
    )
    outcome_column: str = "violation"
    require_outcome: bool = False
    score_decimals: int = Field(default=12, ge=1, le=15)
    calibration: CalibrationSpec | None = None
    scorer: MLScorerSpec | None = None
    identity: IdentityPolicy = Field(default_factory=IdentityPolicy)

    @model_serializer(mode="wrap")
    def _drop_unset_calibration(self, handler: Any) -> dict[str, Any]:
        # Additive fields: configs without calibration or scorer, and with the default
        # identity policy, serialise (and hash) as before.
        data = handler(self)
        if isinstance(data, dict):
            for key in ("calibration", "scorer"):
                if data.get(key) is None:
                    data.pop(key, None)
            if self.identity == IdentityPolicy():
                data.pop("identity", None)
            if not data.get("values"):
                data.pop("values", None)
        return data

    @model_validator(mode="after")
    def _scorer_excludes_calibration(self) -> RiskModelConfig:
        if self.scorer is not None and self.calibration is not None:
            raise ValueError(
                "set either 'scorer' (a supervised scorer, calibrated inside) or 'calibration' "
                "(a calibrator of the index score), not both"
            )
        return self

    @field_validator("catalog", mode="before")
    @classmethod
    def _preset(cls, v: Any) -> Any:
        if isinstance(v, str):
            if v not in PRESETS:
                raise ValueError(f"unknown catalog preset {v!r}; presets: {sorted(PRESETS)}")
            return PRESETS[v]()
        if isinstance(v, dict) and "preset" in v:
            extra = set(v) - {"preset"}
            if extra:
                raise ValueError(f"catalog with 'preset' takes no other keys, got {sorted(extra)}")
            return cls._preset(v["preset"])
        return v

    @model_validator(mode="after")
    def _check(self) -> RiskModelConfig:
        names = self.catalog.names
        unknown = sorted(set(self.drop_factors) - set(names))
        if unknown:
            raise ValueError(f"drop_factors names unknown factor(s) {unknown}; catalog has {names}")
        core = sorted(set(self.drop_factors) & set(CORE_FACTORS) & set(names))
        if core:
            raise ValueError(f"drop_factors may not drop core factor(s) {core}")
        if len(set(self.drop_factors)) == len(names):
            raise ValueError("drop_factors drops every factor")
        return self

    @cached_property
    def active_catalog(self) -> FactorCatalog:
        """The catalog with ``drop_factors`` removed."""
        if not self.drop_factors:
            return self.catalog
        return self.catalog.select(n for n in self.catalog.names if n not in self.drop_factors)

    def to_json(self, *, indent: int | None = 2) -> str:
        """Serialise to JSON (round-trips through :func:`load_config`)."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=indent, sort_keys=True)

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON of this config."""
        return config_hash(self)


def default_config() -> RiskModelConfig:
    """The default configuration: the sichuan_2012 catalog with the default policy.

    Fixed weights :data:`DEFAULT_WEIGHTS`, level 1 at score 0.60, level 2 at 0.35,
    at most 10 % level one per ``unit_id`` (floor).

    Examples
    --------
    >>> default_config().quota.max_share
    0.1
    """
    return RiskModelConfig(weighting=WeightingSpec(method="fixed", fixed=DEFAULT_WEIGHTS))


def config_hash(config: RiskModelConfig) -> str:
    """SHA-256 (hex) of the canonical JSON form of a config.

    The canonical form sorts keys, uses compact separators and UTF-8, so the hash
    does not depend on how the config was written.
    """
    payload = json.dumps(
        config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def config_json_schema() -> dict[str, Any]:
    """JSON Schema of :class:`RiskModelConfig`."""
    return RiskModelConfig.model_json_schema()


def _format_validation_error(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        lines.append(f"field {loc}: {e['msg']}")
    return "; ".join(lines)


def config_from_dict(data: dict[str, Any], *, source: str | None = None) -> RiskModelConfig:
    """Build a config from a mapping, turning validation errors into :class:`ConfigError`."""
    try:
        return RiskModelConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_validation_error(err), source=source) from None


def load_config(path: str | Path) -> RiskModelConfig:
    """Load a config from a ``.toml``, ``.json`` or ``.yaml`` file.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    RiskModelConfig

    Raises
    ------
    ConfigError
        When the file cannot be read or parsed, or a field is invalid; the message
        names the file and the field.
    """
    p = Path(path)
    src = str(p)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise ConfigError(f"cannot read config: {err.strerror}", source=src) from None
    suffix = p.suffix.lower()
    try:
        if suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        elif suffix in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError:  # pragma: no cover - depends on the extra
                raise ConfigError(
                    "YAML configs need the 'yaml' extra: pip install 'riskgrade[yaml]'", source=src
                ) from None
            data = yaml.safe_load(text)
        else:
            raise ConfigError(f"unknown config format {suffix!r} (use .toml, .json or .yaml)", source=src)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(f"cannot parse config: {err}", source=src) from None
    except ConfigError:
        raise
    except Exception as err:  # yaml errors
        raise ConfigError(f"cannot parse config: {err}", source=src) from None
    if not isinstance(data, dict):
        raise ConfigError("config must be a table/object at the top level", source=src)
    return config_from_dict(data, source=src)
