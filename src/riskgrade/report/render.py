"""A self-contained HTML report of a graded inventory for the leadership group's approval.

``riskgrade report GRADED -o report.html`` (or :func:`write_report`) writes one HTML
file — inline CSS and inline SVG charts, no scripts, no network, no external assets —
with, in Chinese or English:

1. the summary per unit: points, levels and the level-one share against the cap;
2. the level-one list, with owners and measures where the graded file has them;
3. every quota demotion and override with its reason (from the graded file's quota
   flags, and from the audit file when given);
4. the points whose level is uncertain (when level probabilities ``p_level_1`` …
   ``p_level_3`` or an ``uncertain`` flag are present);
5. the weights and how they were obtained (with the model card: consistency figures);
6. provenance: riskgrade version, config hash, input hash and the report's date.

The language defaults to Chinese when the inventory is Chinese (see
:func:`riskgrade.i18n.detect_language`).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from riskgrade.exceptions import RiskgradeError
from riskgrade.i18n import factor_label, resolve_language, translate

if TYPE_CHECKING:
    import argparse

    from riskgrade.results import GradingResult

__all__ = [
    "REQUIRED_COLUMNS",
    "ReportInputs",
    "load_report_inputs",
    "render_report",
    "run_report_command",
    "write_report",
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


def render_report(
    graded: str | Path | pd.DataFrame | GradingResult | ReportInputs,
    *,
    audit: str | Path | pd.DataFrame | None = None,
    model_card: str | Path | dict[str, Any] | None = None,
    lang: str | None = None,
    title: str | None = None,
    generated: _dt.datetime | None = None,
    uncertain_below: float = 0.8,
    max_rows: int = 500,
    extra_sections: Sequence[tuple[str, str, str]] = (),
) -> str:
    """Render the approval report as one self-contained HTML document.

    Parameters
    ----------
    graded : path, DataFrame, GradingResult or ReportInputs
        What to report on (see :func:`load_report_inputs`).
    audit : path or DataFrame, optional
        The audit file of the grading.
    model_card : path or dict, optional
        The model card, to document the weights and their consistency.
    lang : {"zh", "en"}, optional
        Language; default Chinese when the inventory is Chinese, else English.
    title : str, optional
        Title (default: "廉政风险等级评定报告" / "Integrity risk grading report").
    generated : datetime, optional
        Date and time printed as the report's date (default: now, local time).
    uncertain_below : float
        A point's level is shown as uncertain when the probability of its level is
        below this (when level probabilities are present).
    max_rows : int
        Longest table printed in full; longer tables say how many rows are left out.
    extra_sections : sequence of (id, heading, html)
        Further sections (the control cycle's, see :mod:`riskgrade.commands.cycle_report`),
        placed before the provenance; the sign-off stays last.

    Returns
    -------
    str
        The HTML document (with its print style sheet: A4, page numbers).

    Examples
    --------
    >>> import riskgrade as rg
    >>> inv = rg.datasets.load_sample()
    >>> page = render_report(rg.RiskModel().grade(inv), lang="en")
    >>> page.startswith("<!DOCTYPE html>"), "Level-one risk points" in page
    (True, True)
    """
    from riskgrade.report.html import build_html

    inputs = (
        graded
        if isinstance(graded, ReportInputs)
        else load_report_inputs(graded, audit=audit, model_card=model_card)
    )
    lg = resolve_language(lang, inputs.frame)
    when = generated if generated is not None else _dt.datetime.now().astimezone()
    from riskgrade.report.pdf import with_print_css

    return with_print_css(
        build_html(
            inputs,
            lang=lg,
            title=title,
            generated=when,
            uncertain_below=uncertain_below,
            max_rows=max_rows,
            extra_sections=extra_sections,
        )
    )


def write_report(
    graded: str | Path | pd.DataFrame | GradingResult | ReportInputs,
    output: str | Path,
    *,
    audit: str | Path | pd.DataFrame | None = None,
    model_card: str | Path | dict[str, Any] | None = None,
    lang: str | None = None,
    title: str | None = None,
    generated: _dt.datetime | None = None,
    extra_sections: Sequence[tuple[str, str, str]] = (),
) -> Path:
    """Write the approval report to an HTML file, or a PDF (``.pdf``), atomically.

    Parameters are those of :func:`render_report`; ``output`` is the HTML file, or a PDF
    printed from the same HTML by a headless Chromium (:mod:`riskgrade.report.pdf`).

    Returns
    -------
    Path
        The written file.
    """
    from riskgrade.io import atomic_path

    page = render_report(
        graded,
        audit=audit,
        model_card=model_card,
        lang=lang,
        title=title,
        generated=generated,
        extra_sections=extra_sections,
    )
    out = Path(output)
    if out.suffix.lower() == ".pdf":
        from riskgrade.report.pdf import html_to_pdf

        return html_to_pdf(page, out)
    with atomic_path(out) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return out


def run_report_command(args: argparse.Namespace) -> int:
    """Run ``riskgrade report`` from parsed arguments; return the exit code.

    Parameters
    ----------
    args : argparse.Namespace
        With ``graded``, ``output``, ``lang``, ``audit``, ``model`` and ``title``.

    Returns
    -------
    int
        0 when the report was written. Errors are raised for the CLI to map to exit codes.
    """
    import sys

    from riskgrade.commands.cycle_report import sections_from_args

    inputs = load_report_inputs(args.graded, audit=args.audit, model_card=args.model)
    lang = resolve_language(args.lang, inputs.frame)
    out = write_report(
        inputs,
        args.output,
        lang=lang,
        title=args.title,
        extra_sections=sections_from_args(args, inputs.frame, lang),
    )
    print(f"riskgrade: wrote report {out}", file=sys.stderr)
    return 0


# ----------------------------------------------------------------- helpers shared with report_html


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
