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
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from riskgrade.i18n import resolve_language

if TYPE_CHECKING:
    import argparse

    from riskgrade.results import GradingResult

from riskgrade.report.inputs import REQUIRED_COLUMNS, ReportInputs, load_report_inputs

__all__ = [
    "REQUIRED_COLUMNS",
    "ReportInputs",
    "load_report_inputs",
    "render_report",
    "run_report_command",
    "write_report",
]


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
