"""Model cards: JSON with an integrity hash, a checked format version and validated fields.

A model card (:meth:`riskgrade.RiskModel.save`) holds everything that decides a grade:
the config (catalog and factor transforms, thresholds, quota), the identity policy
(written out even when it is the default), the weights, the calibrator's parameters,
the pin of a supervised scorer's file, and the figures of the weighting. Format
version 2 seals the whole card with ``card_sha256``, the SHA-256 of its canonical JSON
(keys sorted, compact separators, UTF-8, the hash field left out), so that any edit
of any value is refused on loading.

The hash guards against accidents and casual edits, not against someone who
recomputes it, so a card is also validated field by field: every number finite and in
range, weights non-negative, one per factor of the config, summing to 1 within
:data:`WEIGHT_TOLERANCE` (never renormalised, so scoring, sidecar and report show the
same numbers), no boolean where a number is expected, no key riskgrade does not write;
and it must be in the exact form riskgrade writes (the fields rebuilt from the
validated model are compared, type for type, with the card's).

Format version 1 (cards written before version 2) had no card hash: only
``config_sha256`` over the config, the weights unprotected. Such a card is accepted
only when it can be verified anyway: its config hash matches, its weights are those
the config itself fixes (fixed or AHP weights, recomputed and compared) and it holds
no calibrator. Any other version-1 card is refused with the advice to fit and save it
again. Every failure raises :class:`~riskgrade.exceptions.ModelCardError` (a
:class:`~riskgrade.exceptions.ConfigError`: the CLI exits 3) naming each field path
and value.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from riskgrade.config import RiskModelConfig, config_hash
from riskgrade.exceptions import ModelCardError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CARD_FORMAT",
    "DATA_FREE_METHODS",
    "FORMAT_VERSION",
    "SUPPORTED_VERSIONS",
    "WEIGHT_TOLERANCE",
    "canonical_json",
    "card_calibrator",
    "card_config",
    "card_scorer",
    "card_sha256",
    "card_weights",
    "check_card",
    "check_rebuilt",
    "differences",
    "inspect_card",
    "read_card",
    "seal",
]

CARD_FORMAT = "riskgrade-model-card"
#: Version written by this riskgrade.
FORMAT_VERSION = 2
#: Versions read (1 only when verifiable, see the module notes).
SUPPORTED_VERSIONS = (1, 2)
#: Weighting methods whose weights the config fixes (no data needed).
DATA_FREE_METHODS = frozenset({"fixed", "ahp", "ahp_group"})
#: Largest accepted ``|sum(weights) - 1|``.
WEIGHT_TOLERANCE = 1e-9

_Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
_Weight = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class _ScorerRef(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    file: Annotated[str, StringConstraints(min_length=1, pattern=r"^[^/\\]+$")]
    sha256: _Hex


class _CardV2(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    format: Literal["riskgrade-model-card"]
    format_version: Literal[2]
    riskgrade_version: Annotated[str, StringConstraints(min_length=1)]
    card_sha256: _Hex
    config_sha256: _Hex
    config: dict[str, Any]
    identity: dict[str, Any]
    weights: dict[str, _Weight]
    weight_details: dict[str, Any]
    training: dict[str, Any]
    calibrator: dict[str, Any] | None = None
    ml_scorer: _ScorerRef | None = None


class _CardV1(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    format: Literal["riskgrade-model-card"]
    format_version: Literal[1]
    riskgrade_version: Annotated[str, StringConstraints(min_length=1)]
    config_sha256: _Hex
    config: dict[str, Any]
    weights: dict[str, _Weight]
    weight_details: dict[str, Any] = Field(default_factory=dict)
    training: dict[str, Any] = Field(default_factory=dict)
    calibrator: dict[str, Any] | None = None
    ml_scorer: _ScorerRef | None = None


def canonical_json(obj: Any) -> bytes:
    """The canonical JSON bytes hashed by :func:`card_sha256` (sorted keys, compact, UTF-8)."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def card_sha256(card: dict[str, Any]) -> str:
    """SHA-256 (hex) of a card's canonical JSON without its ``card_sha256`` field."""
    return hashlib.sha256(canonical_json({k: v for k, v in card.items() if k != "card_sha256"})).hexdigest()


def seal(card: dict[str, Any]) -> dict[str, Any]:
    """The card with ``format_version`` 2 and its ``card_sha256`` set (a new dict)."""
    out = {k: v for k, v in card.items() if k != "card_sha256"}
    out["format"] = CARD_FORMAT
    out["format_version"] = FORMAT_VERSION
    out["card_sha256"] = card_sha256(out)
    return out


def _path(loc: Any) -> str:
    return ".".join(str(p) for p in loc) if loc else "(top level)"


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _leaves(obj: Any, loc: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, (*loc, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, (*loc, i))
    else:
        yield loc, obj


def differences(expected: Any, got: Any, loc: tuple[Any, ...] = ()) -> list[tuple[str, Any, Any]]:
    """Where two JSON values differ, type for type (``1``, ``1.0`` and ``true`` all differ).

    Returns
    -------
    list of (path, expected, got)
    """
    if isinstance(expected, dict) and isinstance(got, dict):
        out = []
        for k in sorted(set(expected) | set(got), key=str):
            if k not in got:
                out.append((_path((*loc, k)), expected[k], "(missing)"))
            elif k not in expected:
                out.append((_path((*loc, k)), "(no such field)", got[k]))
            else:
                out.extend(differences(expected[k], got[k], (*loc, k)))
        return out
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        return [d for i, (a, b) in enumerate(zip(expected, got, strict=True))
                for d in differences(a, b, (*loc, i))]
    if type(expected) is not type(got) or expected != got:
        return [(_path(loc), expected, got)]
    return []


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"key {k!r} occurs twice in one object")
        out[k] = v
    return out


def read_card(path: str | Path) -> Any:
    """Parse a card file (strict JSON: no NaN, no repeated key); not yet checked.

    :meth:`riskgrade.RiskModel.load` checks what this returns with
    :meth:`~riskgrade.RiskModel.from_card`.

    Raises
    ------
    ModelCardError
        When the file is not UTF-8 JSON text.
    FileNotFoundError
        When the file does not exist.
    """
    p = Path(path)
    src = str(p)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"model card not found: {p}") from None
    except OSError as err:
        raise ModelCardError(f"cannot read model card: {err.strerror}", source=src) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ModelCardError(
            f"cannot read model card: the file is not UTF-8 JSON text "
            f"(byte {err.start}: {raw[err.start:err.start + 4]!r})",
            source=src,
        ) from None
    try:
        card = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as err:
        raise ModelCardError(
            f"cannot read model card: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}",
            source=src,
        ) from None
    except (ValueError, RecursionError) as err:
        raise ModelCardError(f"cannot read model card: {err}", source=src) from None
    return card


def check_card(card: Any, *, source: str | None = None) -> int:
    """Check a parsed card: format, version, hash and every field's type and range.

    The checks that need the config rebuilt (weights per factor, config hash, the
    exact form of the config) are made by :meth:`riskgrade.RiskModel.from_card`.

    Returns
    -------
    int
        The card's format version.

    Raises
    ------
    ModelCardError
        Naming every failing field with its value.
    """
    version, problems, _ = inspect_card(card, source=source)
    _fail(problems, source)
    return version


def inspect_card(card: Any, *, source: str | None = None) -> tuple[int, list[str], bool]:
    """The problems of a parsed card found without rebuilding the model.

    Returns
    -------
    version : int
        The card's format version.
    problems : list of str
        One message per failing field.
    structure_ok : bool
        Whether every field has the right type (so the model can be rebuilt to find
        further problems).

    Raises
    ------
    ModelCardError
        At once when the card is not a JSON object, not a model card or of an unknown
        format version (nothing else can be checked then).
    """
    if not isinstance(card, dict):
        raise ModelCardError(f"not a model card: a JSON object is expected, got {type(card).__name__}",
                             source=source)
    if card.get("format") != CARD_FORMAT:
        raise ModelCardError(
            f"not a riskgrade model card: field format is {_show(card.get('format', '(missing)'))}, "
            f"expected {CARD_FORMAT!r}", source=source,
        )
    version = card.get("format_version", "(missing)")
    if type(version) is not int or version not in SUPPORTED_VERSIONS:
        raise ModelCardError(
            f"field format_version: value {_show(version)}: this riskgrade reads model card format "
            f"versions {', '.join(map(str, SUPPORTED_VERSIONS))}", source=source,
        )
    problems: list[str] = []
    for loc, v in _leaves(card):
        if isinstance(v, float) and not math.isfinite(v):
            problems.append(f"field {_path(loc)}: value {_show(v)}: numbers must be finite")
    schema = _CardV2 if version == 2 else _CardV1
    structure_ok = True
    try:
        schema.model_validate(card)
    except ValidationError as err:
        structure_ok = False
        for e in err.errors():
            where = _path(e["loc"])
            if not any(p.startswith(f"field {where}:") for p in problems):
                shown = "(missing)" if e["type"] == "missing" else _show(e.get("input"))
                problems.append(f"field {where}: value {shown}: {e['msg']}")
    if version == 2:
        stored = card.get("card_sha256")
        if not stored:
            problems.append(
                f"field card_sha256: value {_show(stored if 'card_sha256' in card else '(missing)')}: "
                "the card's integrity hash is required"
            )
        else:
            try:
                actual = card_sha256(card)
            except ValueError:
                actual = None
            if actual != stored:
                problems.append(
                    f"field card_sha256: value {_show(stored)}: does not match the card's content "
                    "(edited after saving?)"
                )
    weights = card.get("weights")
    if isinstance(weights, dict) and weights:
        vals = [w for w in weights.values() if type(w) in (int, float) and math.isfinite(w)]
        if len(vals) == len(weights):
            total = math.fsum(vals)
            if abs(total - 1.0) > WEIGHT_TOLERANCE:
                problems.append(
                    f"field weights: sum {total!r}: weights must sum to 1 (within {WEIGHT_TOLERANCE:g}); "
                    "they are never renormalised"
                )
    elif isinstance(weights, dict):
        problems.append("field weights: value {}: a model card needs the weights")
    return int(version), problems, structure_ok and not any(" sum " in p for p in problems)


def _fail(problems: list[str], source: str | None) -> None:
    if problems:
        raise ModelCardError("invalid model card: " + "; ".join(problems), source=source, problems=problems)


def card_config(card: dict[str, Any], problems: list[str], *, source: str | None = None) -> RiskModelConfig:
    """The card's config, validated; a ``config_sha256`` mismatch is added to ``problems``."""
    try:
        config = RiskModelConfig.model_validate(card["config"])
    except ValidationError as err:
        _fail([f"field config.{_path(e['loc'])}: value {_show(e.get('input'))}: {e['msg']}"
               for e in err.errors()], source)
        raise AssertionError("unreachable") from None  # pragma: no cover
    if card["config_sha256"] != config_hash(config):
        problems.append(f"field config_sha256: value {_show(card['config_sha256'])}: does not match the "
                        "card's config (edited by hand?)")
    return config


def card_weights(card: dict[str, Any], config: RiskModelConfig, version: int, *,
                 source: str | None = None) -> pd.Series:
    """The card's weights in catalog order: one per factor in use; version 1 verified."""
    import pandas as pd

    names = config.active_catalog.names
    w = card["weights"]
    problems = [f"field weights.{k}: value {_show(w[k])}: not a factor of the config (factors: {names})"
                for k in w if k not in names]
    problems += [f"field weights.{k}: (missing): the config's factor has no weight"
                 for k in names if k not in w]
    _fail(problems, source)
    weights = pd.Series({k: float(w[k]) for k in names}, dtype=float)
    if version == 1:
        _verify_legacy(card, config, weights, source)
    return weights


def _verify_legacy(card: dict[str, Any], config: RiskModelConfig, weights: pd.Series,
                   source: str | None) -> None:
    """A version-1 card is accepted only when its weights follow from its (hashed) config."""
    import numpy as np
    import pandas as pd

    from riskgrade.weighting.stats import weights_from_scores

    advice = ("a format-version-1 card has no integrity hash over {what}; fit the model again and "
              "save it with this riskgrade")
    if "calibrator" in card:
        _fail([f"field calibrator: {advice.format(what='the calibrator')}"], source)
    method = config.weighting.method
    if method not in DATA_FREE_METHODS:
        _fail([f"field weights: {advice.format(what=f'{method} weights (computed from data)')}"], source)
    names = config.active_catalog.names
    expected, _ = weights_from_scores(config.weighting, pd.DataFrame({n: [0.5] for n in names}), names)
    exp = pd.Series(expected, dtype=float).reindex(names).fillna(0.0).to_numpy()
    bad = np.flatnonzero(np.abs(exp - weights.to_numpy()) > 1e-12)
    _fail([f"field weights.{names[i]}: value {weights.iloc[i]!r}: differs from the weight its config fixes "
           f"({exp[i]!r})" for i in bad], source)


def card_calibrator(card: dict[str, Any], *, source: str | None = None) -> Any:
    """The card's calibrator, rebuilt (any malformed parameter is a :class:`ModelCardError`)."""
    from riskgrade.calibration import ScoreCalibrator

    try:
        return ScoreCalibrator.from_dict(card["calibrator"])
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
        _fail([f"field calibrator: {type(err).__name__}: {err}"], source)
        raise AssertionError("unreachable") from None  # pragma: no cover


def check_rebuilt(card: dict[str, Any], rebuilt: dict[str, Any], *, source: str | None = None) -> None:
    """Refuse a card that is not in the exact form riskgrade writes for the model it describes.

    ``rebuilt`` is the card body of the model rebuilt from ``card``; every field that
    decides a grade or is shown in a report must come back type for type (so ``true``
    for ``1``, ``"0.5"`` for ``0.5``, a left-out default or a coerced value are refused).
    """
    problems = []
    keys = ["config", "weights", "weight_details", "training", "calibrator"]
    if card.get("format_version") != 1:
        keys.insert(1, "identity")  # version 1 had no identity policy (the default applies)
    for key in keys:
        if key not in card and key not in rebuilt:
            continue
        want_all, got_all = rebuilt.get(key, "(missing)"), card.get(key, "(missing)")
        for where, want, got in differences(want_all, got_all, (key,)):
            problems.append(f"field {where}: value {_show(got)}: riskgrade writes {_show(want)} here")
    _fail(problems, source)


def card_scorer(card: dict[str, Any], *, source: str | None = None) -> Any:
    """The supervised scorer named by the card, loaded from beside it after checking its SHA-256."""
    from riskgrade.io import file_sha256
    from riskgrade.persistence import load_scorer

    ref = card.get("ml_scorer")
    if not isinstance(ref, dict) or source is None:
        raise ModelCardError(
            "the model card's config has a supervised scorer but no saved scorer file "
            "(load the card with RiskModel.load from the folder it was saved in)",
            source=source,
        )
    side = Path(source).with_name(str(ref["file"]))
    if not side.is_file():
        raise ModelCardError(
            f"field ml_scorer.file: scorer file {side.name!r} named by the model card is missing",
            source=source,
        )
    if file_sha256(side) != ref["sha256"]:
        raise ModelCardError(
            f"field ml_scorer.sha256: scorer file {side.name!r} does not match the SHA-256 in the model card",
            source=source,
        )
    return load_scorer(side)
