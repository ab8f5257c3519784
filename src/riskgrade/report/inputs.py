"""What a report is made of: the graded file, the audit and the model card, read and checked.

:func:`load_report_inputs` reads them into :class:`ReportInputs`; the helpers below find
owner and measure columns, level probabilities and uncertain points, and label factors
and weighting methods, for the HTML (:mod:`riskgrade.report.html`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from riskgrade.exceptions import RiskgradeError
from riskgrade.i18n import factor_label, translate
from riskgrade.output_view import complete_graded

if TYPE_CHECKING:

    from riskgrade.results import GradingResult

__all__ = [
    "REQUIRED_COLUMNS",
    "ReportInputs",
    "factor_labels",
    "level_probabilities",
    "load_report_inputs",
    "owner_columns",
    "uncertain_mask",
    "weight_method_label",
]

#: Columns a graded file must have for a report.
REQUIRED_COLUMNS = (
    "risk_point_id",
    "score",
    "level",
    "level_provisional",
    "quota_cap",
    "quota_demoted",
    "quota_tie",
    "quota_exception",
    "rank_in_unit",
    "n_in_unit",
)

_OWNER_RE = re.compile(r"^(owner|owners|responsible|责任人)(_.*)?$|_owner$|^owner_", re.IGNORECASE)
_MEASURE_RE = re.compile(r"^(measures?|controls?|防控措施|措施)(_.*)?$|^(measure|control)_", re.IGNORECASE)


@dataclass
class ReportInputs:
    """Everything a report is made from.

    Attributes
    ----------
    frame : pandas.DataFrame
        The graded frame (``GradingResult.frame`` or a graded file).
    provenance : dict
        Provenance of the grading (``GradingResult.provenance`` or
        :func:`riskgrade.io.read_provenance`).
    audit : pandas.DataFrame or None
        The audit table, when given.
    card : dict or None
        The model card, when given.
    graded_source : str or None
        Path of the graded file.
    graded_sha256 : str or None
        SHA-256 of the graded file.
    audit_source, card_source : str or None
        Paths of the audit file and model card.
    """

    frame: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    audit: pd.DataFrame | None = None
    card: dict[str, Any] | None = None
    graded_source: str | None = None
    graded_sha256: str | None = None
    audit_source: str | None = None
    card_source: str | None = None


def _read_table(path: Path) -> pd.DataFrame:
    from riskgrade.io import read_inventory

    frame = read_inventory(path)
    frame.attrs = {}
    return frame


def load_report_inputs(
    graded: str | Path | pd.DataFrame | GradingResult,
    *,
    audit: str | Path | pd.DataFrame | None = None,
    model_card: str | Path | dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> ReportInputs:
    """Gather the graded frame, its provenance, the audit and the model card.

    Parameters
    ----------
    graded : path, DataFrame or GradingResult
        A graded file written by ``riskgrade score`` (CSV or Parquet), a graded frame
        or a result.
    audit : path or DataFrame, optional
        The audit table (``riskgrade score --audit``); a result's own audit is used
        when ``graded`` is a result and ``audit`` is not given.
    model_card : path or dict, optional
        A model card saved with :meth:`riskgrade.RiskModel.save`.
    provenance : dict, optional
        Provenance to use instead of the file's.

    Returns
    -------
    ReportInputs

    Raises
    ------
    RiskgradeError
        When the graded frame lacks the result columns, or the model card cannot be read.
    FileNotFoundError
        When a file does not exist.
    """
    from riskgrade.io import file_sha256, read_provenance
    from riskgrade.results import GradingResult

    inputs: ReportInputs
    if isinstance(graded, GradingResult):
        inputs = ReportInputs(frame=graded.frame, provenance=dict(graded.provenance), audit=graded.audit)
    elif isinstance(graded, pd.DataFrame):
        inputs = ReportInputs(frame=graded)
    else:
        path = Path(graded)
        if not path.exists():
            raise FileNotFoundError(f"graded file not found: {path}")
        inputs = ReportInputs(
            frame=_read_table(path),
            provenance=read_provenance(path),
            graded_source=str(path),
            graded_sha256=file_sha256(path),
        )
    if provenance is not None:
        inputs.provenance = dict(provenance)
    inputs.frame = complete_graded(inputs.frame, inputs.provenance)
    missing = [c for c in REQUIRED_COLUMNS if c not in inputs.frame.columns]
    if missing:
        raise RiskgradeError(
            f"graded file lacks column(s) {missing}; give a file written by 'riskgrade score'"
            + (f" ({inputs.graded_source})" if inputs.graded_source else "")
        )
    if audit is not None:
        if isinstance(audit, pd.DataFrame):
            inputs.audit = audit
        else:
            apath = Path(audit)
            if not apath.exists():
                raise FileNotFoundError(f"audit file not found: {apath}")
            inputs.audit = _read_table(apath)
            inputs.audit_source = str(apath)
    if model_card is not None:
        if isinstance(model_card, dict):
            inputs.card = model_card
        else:
            from riskgrade.model import RiskModel
            from riskgrade.model_card import read_card

            cpath = Path(model_card)
            inputs.card = read_card(cpath)
            RiskModel.from_card(inputs.card, source=str(cpath))  # checked: hash, version, every field
            inputs.card_source = str(cpath)
        if not isinstance(inputs.card, dict) or "weights" not in inputs.card:
            raise RiskgradeError("model card has no 'weights'; give a file saved with RiskModel.save")
    return inputs


def owner_columns(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Columns of a graded frame that name owners and measures."""
    owners = [c for c in frame.columns if _OWNER_RE.search(str(c))]
    measures = [c for c in frame.columns if _MEASURE_RE.search(str(c)) and c not in owners]
    return owners, measures


def level_probabilities(frame: pd.DataFrame) -> pd.DataFrame | None:
    """The ``p_level_1..3`` columns as floats, or ``None`` when absent."""
    cols = ["p_level_1", "p_level_2", "p_level_3"]
    if not all(c in frame.columns for c in cols):
        return None
    return frame[cols].apply(pd.to_numeric, errors="coerce").astype(float)


def uncertain_mask(frame: pd.DataFrame, below: float) -> tuple[np.ndarray, str] | None:
    """Which points are uncertain and how that was decided (``"flag"`` or ``"probability"``)."""
    for col in ("uncertain", "level_uncertain"):
        if col in frame.columns:
            flag = frame[col]
            if flag.dtype != bool:
                flag = flag.astype(str).str.lower().isin(["true", "1", "yes"])
            return flag.to_numpy(bool), "flag"
    P = level_probabilities(frame)
    if P is None:
        return None
    lev = frame["level"].to_numpy(dtype=np.int64)
    p_assigned = P.to_numpy()[np.arange(len(lev)), np.clip(lev, 1, 3) - 1]
    return np.nan_to_num(p_assigned, nan=1.0) < below, "probability"


def weight_method_label(method: str | None, lang: str) -> str:
    """Readable name of a weighting method."""
    from riskgrade.report.text import TEXT

    key = f"method_{method}"
    if key in TEXT:
        return translate(key, lang, TEXT)
    return str(method or "?")


def factor_labels(names: list[str], lang: str, card: dict[str, Any] | None) -> list[str]:
    """Labels of factors, from the card's catalog when there is one."""
    catalog = None
    if card is not None:
        try:
            from riskgrade.config import RiskModelConfig

            catalog = RiskModelConfig.model_validate(card["config"]).active_catalog
        except Exception:  # a card from another version: fall back to the default labels
            catalog = None
    return [factor_label(n, lang, catalog) for n in names]
