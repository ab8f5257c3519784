"""Configuration of how a model obtains its factor weights.

``[weighting]`` in a model config selects one method; each method has its own table::

    [weighting]
    method = "combined"            # fixed | ahp | ahp_group | entropy | critic | combined

    [weighting.ahp]
    judgements = { "post_weight/funds_handled" = 2, "funds_handled/cases" = 3 }
    method = "eigenvector"
    ri_table = "saaty"
    threshold = 0.10
    strict = true                  # CR above threshold -> InconsistentJudgementsError

    [weighting.combined]
    subjective = "ahp"             # or "fixed"
    objective = "entropy"          # or "critic"
    method = "game_theory"         # linear | multiplicative | game_theory
    alpha = 0.5

Data-driven methods (entropy, CRITIC, the objective half of combined) compute their
weights on the *factor score* matrix of the fitting inventory: raw values already mapped by
the catalog's fixed anchors to [0, 1] with higher = riskier, not on the raw inventory columns.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from riskgrade.exceptions import ConfigError, ConsistencyWarning, InconsistentJudgementsError

__all__ = [
    "METHODS",
    "AHPGroupSpec",
    "AHPSpec",
    "CRITICSpec",
    "CombinedSpec",
    "EntropySpec",
    "WeightingMethod",
    "WeightingSpec",
    "resolve_weights",
]

Judgements = dict[str, float] | list[list[float | None]]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class AHPSpec(_Frozen):
    """One expert's (or one agreed) pairwise comparison of the factors.

    Parameters
    ----------
    judgements : dict of str to float, or list of lists
        ``{"a/b": value}`` (factor ``a`` is ``value`` times as important as ``b``; pairs
        left out are missing judgements, completed by the AHP module), or a full n x n
        matrix whose rows follow ``criteria``.
    criteria : list of str, optional
        Factor order of a matrix (default: the catalog order of the factors in use).
    method : str
        Priority method (``"eigenvector"``, ``"geometric_mean"``, ...).
    ri_table : str
        Random-index table (``"saaty"``, ``"donegan_dodd"``, ...).
    threshold : float or str
        Consistency-ratio threshold (0.10; ``"saaty_n"`` for 0.05 / 0.08 at n = 3 / 4).
    strict : bool
        ``True``: a CR above the threshold raises
        :class:`~riskgrade.InconsistentJudgementsError`; ``False``: a
        :class:`~riskgrade.ConsistencyWarning`.
    """

    judgements: Judgements
    criteria: list[str] | None = None
    method: str = "eigenvector"
    ri_table: str = "saaty"
    threshold: float | str = 0.10
    strict: bool = False


class AHPGroupSpec(_Frozen):
    """Several experts' judgements aggregated into group weights.

    Parameters
    ----------
    experts : dict of str to judgements
        Each expert's judgements (as in :class:`AHPSpec`), by expert name.
    aggregation : {"aij", "aip"}
        Aggregate the judgements (weighted geometric mean) or the priorities.
    expert_weights : dict of str to float, optional
        Weight of each expert (default equal).
    criteria, method, ri_table, threshold, strict
        As in :class:`AHPSpec`; ``strict`` applies to the group matrix (``"aij"``) or to
        every expert (``"aip"``).
    """

    experts: dict[str, Judgements]
    aggregation: Literal["aij", "aip"] = "aij"
    expert_weights: dict[str, float] | None = None
    criteria: list[str] | None = None
    method: str = "eigenvector"
    ri_table: str = "saaty"
    threshold: float | str = 0.10
    strict: bool = False


class EntropySpec(_Frozen):
    """Options of entropy weighting (see :func:`~riskgrade.weighting.entropy_weights`)."""

    normalization: Literal["sum", "minmax"] = "sum"
    rarity_check: tuple[float, float] | None = (0.5, 0.5)


class CRITICSpec(_Frozen):
    """Options of CRITIC weighting (see :func:`~riskgrade.weighting.critic_weights`)."""

    normalization: Literal["minmax", "max", "sum", "none"] = "minmax"
    correlation: Literal["pearson", "spearman"] = "pearson"


class CombinedSpec(_Frozen):
    """Subjective and objective weights combined.

    Parameters
    ----------
    subjective : {"fixed", "ahp", "ahp_group"}
        Source of the subjective weights (the ``fixed`` numbers or the ``ahp`` /
        ``ahp_group`` table of the weighting section).
    objective : {"entropy", "critic"}
        Objective method (options from the ``entropy`` / ``critic`` table).
    method : {"linear", "multiplicative", "game_theory"}
        Combination rule (see :func:`~riskgrade.weighting.combine_weights`).
    alpha : float
        Subjective share in the linear rule.
    """

    subjective: Literal["fixed", "ahp", "ahp_group"] = "fixed"
    objective: Literal["entropy", "critic"] = "entropy"
    method: Literal["linear", "multiplicative", "game_theory"] = "linear"
    alpha: float = Field(0.5, ge=0.0, le=1.0)


class WeightingSpec(_Frozen):
    """How the factor weights are obtained.

    Parameters
    ----------
    method : {"fixed", "ahp", "ahp_group", "entropy", "critic", "combined"}
        ``"fixed"``: the numbers in ``fixed`` (renormalised over the factors in use; empty
        means equal weights). ``"ahp"`` / ``"ahp_group"``: expert judgements (no data
        needed). ``"entropy"`` / ``"critic"``: computed from the factor scores of the
        inventory passed to ``RiskModel.fit``. ``"combined"``: subjective and objective
        weights combined.
    fixed : dict of str to float
        Fixed weights by factor name.
    ahp, ahp_group, entropy, critic, combined
        The options of each method (only the tables a method uses are needed).
    """

    method: Literal["fixed", "ahp", "ahp_group", "entropy", "critic", "combined"] = "fixed"
    fixed: dict[str, float] = Field(default_factory=dict)
    ahp: AHPSpec | None = None
    ahp_group: AHPGroupSpec | None = None
    entropy: EntropySpec | None = None
    critic: CRITICSpec | None = None
    combined: CombinedSpec | None = None

    @model_validator(mode="after")
    def _sections_present(self) -> WeightingSpec:
        need = {"ahp": self.ahp, "ahp_group": self.ahp_group, "combined": self.combined}
        if self.method in need and need[self.method] is None:
            raise ValueError(f"weighting.method = {self.method!r} needs a [weighting.{self.method}] table")
        if self.method == "combined":
            assert self.combined is not None
            src = self.combined.subjective
            if src != "fixed" and need[src] is None:
                raise ValueError(f"weighting.combined.subjective = {src!r} needs a [weighting.{src}] table")
        return self

    @model_serializer(mode="wrap")
    def _drop_unused(self, handler: Any) -> dict[str, Any]:
        # Absent optional tables are left out, so that configs written before these
        # methods existed keep their canonical form and their config hash.
        data = handler(self)
        return {k: v for k, v in data.items() if not (v is None and k != "method")}


# --------------------------------------------------------------------------- resolution
def _ahp_input(judgements: Judgements, criteria: list[str] | None, names: list[str]) -> tuple[Any, list]:
    """Judgements in the form :func:`riskgrade.weighting.ahp` takes, and the criteria order."""
    if isinstance(judgements, dict):
        pairs: dict[tuple[str, str], float] = {}
        bad = []
        for key, value in judgements.items():
            parts = key.split("/")
            if len(parts) != 2 or not all(p.strip() for p in parts):
                bad.append(key)
                continue
            pairs[(parts[0].strip(), parts[1].strip())] = value
        if bad:
            raise ConfigError(f"weighting judgements: keys {bad} are not of the form 'a/b'")
        used = {n for pair in pairs for n in pair}
        unknown = sorted(used - set(names))
        if unknown:
            raise ConfigError(f"weighting judgements name unknown factor(s) {unknown}; factors: {names}")
        return pairs, list(criteria) if criteria is not None else [n for n in names if n in used]
    order = list(criteria) if criteria is not None else list(names)
    arr = np.array([[np.nan if v is None else v for v in row] for row in judgements], dtype=float)
    if arr.shape != (len(order), len(order)):
        raise ConfigError(
            f"weighting judgement matrix is {arr.shape[0]} x {arr.shape[1] if arr.ndim == 2 else '?'} "
            f"but there are {len(order)} criteria {order}"
        )
    return arr, order


def _check_cr(cr: float, threshold: float, strict: bool, what: str, details: Any) -> None:
    if not (np.isfinite(cr) and cr > threshold):
        return
    msg = f"{what}: consistency ratio {cr:.4f} exceeds the threshold {threshold:.2f}"
    if strict:
        raise InconsistentJudgementsError(msg + " (strict = true)", details=details)
    warnings.warn(
        msg + "; weights are used anyway (set strict = true to refuse)", ConsistencyWarning, stacklevel=4
    )


def _complete(w: pd.Series, names: list[str], what: str) -> pd.Series:
    """Weights over ``names``; a factor nobody judged is an error."""
    w = pd.Series({str(k): float(v) for k, v in w.items()})
    missing = [n for n in names if n not in w.index]
    if missing:
        raise ConfigError(f"{what}: no judgement covers factor(s) {missing}; every factor in use needs one")
    extra = sorted(set(w.index) - set(names))
    if extra:
        raise ConfigError(f"{what}: judgements name factor(s) {extra} that are not in use")
    w = w.reindex(names)
    return w / w.sum()


def _resolve_ahp(spec: AHPSpec, names: list[str]) -> tuple[pd.Series, dict[str, Any]]:
    from riskgrade.weighting.ahp import ahp

    matrix, order = _ahp_input(spec.judgements, spec.criteria, names)
    res = ahp(matrix, method=spec.method, ri_table=spec.ri_table, criteria=order, threshold=spec.threshold)
    details = {
        "method": "ahp",
        "priority_method": spec.method,
        "lambda_max": float(res.lambda_max),
        "ci": float(res.ci),
        "cr": float(res.cr),
        "ri": float(res.ri),
        "ri_table": res.ri_table,
        "threshold": float(res.threshold),
        "is_consistent": bool(res.is_consistent),
        "n_missing": int(getattr(res, "n_missing", 0)),
    }
    _check_cr(res.cr, res.threshold, spec.strict, "weighting.ahp", details)
    return _complete(res.weights, names, "weighting.ahp"), details


def _resolve_ahp_group(spec: AHPGroupSpec, names: list[str]) -> tuple[pd.Series, dict[str, Any]]:
    from riskgrade.weighting.ahp_group import ahp_group

    mats = {}
    order: list[str] | None = spec.criteria
    for expert, judgements in spec.experts.items():
        mats[expert], o = _ahp_input(judgements, spec.criteria, names)
        order = order or o
    res = ahp_group(
        mats,
        method=spec.aggregation,
        expert_weights=spec.expert_weights,
        priority_method=spec.method,
        ri_table=spec.ri_table,
        threshold=spec.threshold,
        criteria=order,
    )
    experts = res.experts
    per_expert = {
        str(e): {"cr": float(experts.loc[e, "cr"]), "lambda_max": float(experts.loc[e, "lambda_max"])}
        for e in experts.index
    }
    details = {
        "method": "ahp_group",
        "aggregation": spec.aggregation,
        "priority_method": spec.method,
        "lambda_max": float(res.lambda_max),
        "cr": float(res.cr),
        "ri_table": res.ri_table,
        "threshold": float(spec.threshold) if not isinstance(spec.threshold, str) else spec.threshold,
        "experts": per_expert,
        "consensus": {k: float(v) for k, v in res.consensus.items()},
    }
    if res.group is not None:
        details.update(ci=float(res.group.ci), ri=float(res.group.ri))
        _check_cr(res.cr, res.group.threshold, spec.strict, "weighting.ahp_group (group matrix)", details)
    else:
        for e, row in experts.iterrows():
            thr = spec.threshold if not isinstance(spec.threshold, str) else 0.10
            _check_cr(float(row["cr"]), float(thr), spec.strict, f"weighting.ahp_group expert {e!r}", details)
    return _complete(res.weights, names, "weighting.ahp_group"), details


def _resolve_fixed(spec: WeightingSpec, names: list[str]) -> tuple[pd.Series, dict[str, Any]]:
    if not spec.fixed:
        w = pd.Series(1.0, index=names)
    else:
        unknown = sorted(set(spec.fixed) - set(names))
        if unknown:
            raise ConfigError(f"weighting.fixed names unknown factor(s): {unknown}")
        w = pd.Series({k: float(spec.fixed.get(k, 0.0)) for k in names})
    if (w < 0).any() or not np.isfinite(w.to_numpy()).all():
        raise ConfigError("weighting.fixed: weights must be finite and non-negative")
    if w.sum() <= 0:
        raise ConfigError("weighting.fixed: weights sum to zero")
    return w / w.sum(), {"method": "fixed"}


def _resolve_objective(
    kind: str, spec: WeightingSpec, scores: pd.DataFrame, names: list[str]
) -> tuple[pd.Series, dict[str, Any]]:
    F = scores.reindex(columns=names)
    if kind == "entropy":
        from riskgrade.weighting.entropy import entropy_details

        es = spec.entropy or EntropySpec()
        res = entropy_details(
            F, normalization=es.normalization, nan_policy="omit", rarity_check=es.rarity_check
        )
        return res.weights, {"method": "entropy", "on": "factor_scores", **res.to_dict()}
    from riskgrade.weighting.critic import critic_weights

    cs = spec.critic or CRITICSpec()
    w = critic_weights(F, normalization=cs.normalization, correlation=cs.correlation, nan_policy="omit")
    return w, {
        "method": "critic",
        "on": "factor_scores",
        "normalization": cs.normalization,
        "correlation": cs.correlation,
    }


def resolve_weights(
    spec: WeightingSpec, factor_scores: pd.DataFrame, factor_names: list[str]
) -> tuple[pd.Series, dict[str, Any]]:
    """Compute the weights a spec asks for.

    Parameters
    ----------
    spec : WeightingSpec
        The weighting configuration.
    factor_scores : pandas.DataFrame
        Factor scores in [0, 1] (higher = riskier), one column per factor, NaN where a
        factor is left out for a row; used by the data-driven methods (each column uses its
        non-missing rows for entropy; CRITIC drops rows with a missing score).
    factor_names : list of str
        Factors of the catalog in use, in catalog order.

    Returns
    -------
    weights : pandas.Series
        Non-negative weights indexed by ``factor_names`` summing to 1.
    details : dict
        JSON-able figures for the model card: the consistency figures of AHP
        (``lambda_max``, ``ci``, ``cr``, ``ri``, ``ri_table``; per expert and the consensus
        for a group), the entropy/divergence of each factor, the combination coefficients.

    Raises
    ------
    InconsistentJudgementsError
        When ``strict`` AHP judgements have a consistency ratio above the threshold.
    ConfigError
        When judgements name unknown factors or leave a factor in use unjudged.
    """
    method = METHODS.get(spec.method)
    if method is None:
        raise ConfigError(f"weighting.method {spec.method!r} is not supported")
    return method.resolve(spec, factor_scores, list(factor_names))


# --------------------------------------------------------------------------- the registry
def _via_fixed(
    spec: WeightingSpec, scores: pd.DataFrame, names: list[str]
) -> tuple[pd.Series, dict[str, Any]]:
    return _resolve_fixed(spec, names)


def _via_ahp(
    spec: WeightingSpec, scores: pd.DataFrame, names: list[str]
) -> tuple[pd.Series, dict[str, Any]]:
    assert spec.ahp is not None
    return _resolve_ahp(spec.ahp, names)


def _via_ahp_group(
    spec: WeightingSpec, scores: pd.DataFrame, names: list[str]
) -> tuple[pd.Series, dict[str, Any]]:
    assert spec.ahp_group is not None
    return _resolve_ahp_group(spec.ahp_group, names)


def _via_entropy(
    spec: WeightingSpec, scores: pd.DataFrame, names: list[str]
) -> tuple[pd.Series, dict[str, Any]]:
    return _resolve_objective("entropy", spec, scores, names)


def _via_critic(
    spec: WeightingSpec, scores: pd.DataFrame, names: list[str]
) -> tuple[pd.Series, dict[str, Any]]:
    return _resolve_objective("critic", spec, scores, names)


def _via_combined(
    spec: WeightingSpec, scores: pd.DataFrame, names: list[str]
) -> tuple[pd.Series, dict[str, Any]]:
    from riskgrade.weighting.combined import combined_result

    cs = spec.combined
    assert cs is not None
    s, sd = METHODS[cs.subjective].resolve(spec, scores, names)
    o, od = METHODS[cs.objective].resolve(spec, scores, names)
    return combined_result(s, sd, o, od, cs, names)


def _pearson_critic(spec: WeightingSpec) -> bool:
    return (spec.critic or CRITICSpec()).correlation == "pearson"


@dataclass(frozen=True)
class WeightingMethod:
    """One weighting method a config can name (``weighting.method``).

    Attributes
    ----------
    name : str
        The name in the config.
    resolve : callable
        ``resolve(spec, factor_scores, factor_names) -> (weights, details)``, the pure
        function behind :func:`resolve_weights`.
    settings : str or None
        The field of :class:`WeightingSpec` holding the method's settings.
    needs_data : bool
        Whether the weights are computed from the factor scores of the inventory (a model
        with such a method must be fitted on data; the others are fitted without).
    batch : callable
        ``batch(spec) -> bool``: whether the batch engines compute the weights in one pass
        from the exact sums of :class:`riskgrade.weighting.stats.WeightStats`.
    """

    name: str
    resolve: Callable[[WeightingSpec, pd.DataFrame, list[str]], tuple[pd.Series, dict[str, Any]]]
    settings: str | None
    needs_data: bool
    batch: Callable[[WeightingSpec], bool]


def _never(spec: WeightingSpec) -> bool:
    return False


def _always(spec: WeightingSpec) -> bool:
    return True


#: The weighting methods by name: the one list the config, the model and the engines use.
METHODS: dict[str, WeightingMethod] = {
    m.name: m
    for m in (
        WeightingMethod("fixed", _via_fixed, "fixed", needs_data=False, batch=_never),
        WeightingMethod("ahp", _via_ahp, "ahp", needs_data=False, batch=_never),
        WeightingMethod("ahp_group", _via_ahp_group, "ahp_group", needs_data=False, batch=_never),
        WeightingMethod("entropy", _via_entropy, "entropy", needs_data=True, batch=_always),
        # Spearman ranks need a whole column at once: fitted by RiskModel.fit alone
        WeightingMethod("critic", _via_critic, "critic", needs_data=True, batch=_pearson_critic),
        WeightingMethod(
            "combined",
            _via_combined,
            "combined",
            needs_data=True,
            batch=lambda spec: spec.combined is not None and METHODS[spec.combined.objective].batch(spec),
        ),
    )
}
