"""Report sections for the control cycle: owners, measures, cards, the year's movement, compliance.

``riskgrade report`` adds these sections when the tables are given (``--org``,
``--measures``, ``--cards``, ``--previous``, with ``--as-of``). Each section is a heading
and an HTML fragment; figures come from the :mod:`riskgrade.governance` functions, tables
are escaped and limited to ``max_rows`` rows (the note says how many are left out).
"""

from __future__ import annotations

import argparse
import html
from datetime import date
from typing import Any

import pandas as pd

__all__ = ["cycle_sections", "sections_from_args"]

_T = {
    "owners": ("责任落实", "Owners"),
    "measures": ("防控措施", "Control measures"),
    "cards": ("预警卡片（三早三卡）", "Warning cards"),
    "movement": ("年度变化", "The year's movement"),
    "compliance": ("检查考核", "Compliance"),
    "more": ("另有 {n} 行未列出。", "{n} more rows not shown."),
    "none": ("无。", "None."),
    "owners_note": (
        "按第7条：一级风险点由单位主要领导负总责，分管负责人承担重要领导责任，本人负直接责任。下表列出缺少责任人的风险点。",
        "Section 7: level one — principal leader overall, leader in charge, the person directly. "
        "Points lacking an owner:",
    ),
    "measures_note": (
        "一级风险点四类措施的覆盖情况（{d}），逾期未完成措施 {n} 项。",
        "Coverage of level-one points by the four kinds of measure ({d}); {n} measure(s) overdue.",
    ),
    "cards_note": ("截至 {d} 的卡片：", "Cards as of {d}:"),
    "movement_note": ("与上年评定相比：", "Compared with last year's grading:"),
    "compliance_note": ("截至 {d}，各单位检查考核要点：", "Per-unit figures as of {d}:"),
}


def _t(key: str, lang: str, **kw: Any) -> str:
    zh, en = _T[key]
    return (zh if lang == "zh" else en).format(**kw)


def _table(frame: pd.DataFrame, lang: str, max_rows: int) -> str:
    from riskgrade.governance.tables import labelled

    if not len(frame):
        return f"<p class='note'>{html.escape(_t('none', lang))}</p>"
    shown = labelled(frame.head(max_rows), lang)
    out = shown.to_html(index=False, escape=True, na_rep="", border=0)
    if len(frame) > max_rows:
        out += f"<p class='note'>{html.escape(_t('more', lang, n=len(frame) - max_rows))}</p>"
    return out


def _p(text: str) -> str:
    return f"<p class='note'>{html.escape(text)}</p>"


def cycle_sections(
    graded: pd.DataFrame,
    *,
    lang: str = "zh",
    as_of: date | None = None,
    org: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
    measures: pd.DataFrame | None = None,
    cards: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    assessed_on: date | None = None,
    max_rows: int = 200,
) -> list[tuple[str, str, str]]:
    """The sections whose tables are given, as ``(id, heading, html)``.

    Parameters
    ----------
    graded : pandas.DataFrame
        This year's graded frame (canonical columns).
    lang : {"zh", "en"}
        Language.
    as_of : date, optional
        Date of the review; needed with ``measures`` or ``cards``.
    org : tuple of DataFrame, optional
        ``(units, divisions, posts)``.
    measures, cards, previous : pandas.DataFrame, optional
        Measures table, card register, last year's graded frame (canonical columns).
    assessed_on : date, optional
        Date the grading was approved (for the compliance section).
    max_rows : int
        Longest table shown.
    """
    from riskgrade.governance import (
        assign_owners,
        compare_assessments,
        compliance_summary,
        coverage_report,
        overdue_measures,
        review_cards,
        summarize_movement,
    )

    if (measures is not None or cards is not None) and as_of is None:
        raise ValueError("as_of is needed with measures or cards")
    out: list[tuple[str, str, str]] = []
    owners = None
    if org is not None:
        owners = assign_owners(graded, units=org[0], divisions=org[1], posts=org[2])
        f = owners.findings
        miss = f[f["reason"] == "missing_owner"][["risk_point_id", "column", "value", "severity", "message"]]
        body = _p(_t("owners_note", lang)) + _table(miss, lang, max_rows)
        out.append(("owners", _t("owners", lang), body))
    if measures is not None and as_of is not None:
        cov = coverage_report(graded, measures, as_of=as_of)
        od = overdue_measures(measures, as_of=as_of)
        keep = ["risk_point_id", "unit_id", "missing_categories", "n_measures", "n_overdue"]
        gaps = cov[~cov["complete"]][keep]
        body = _p(_t("measures_note", lang, d=as_of.isoformat(), n=len(od))) + _table(gaps, lang, max_rows)
        out.append(("measures", _t("measures", lang), body))
    if cards is not None and as_of is not None:
        r = review_cards(cards, as_of=as_of)
        counts = r.groupby(["card_type", "status"]).size().rename("n").reset_index()
        body = _p(_t("cards_note", lang, d=as_of.isoformat())) + _table(counts, lang, max_rows)
        overdue = r[r["status"] == "overdue"]
        cols = [
            c for c in ("card_id", "subject_id", "unit_id", "card_type", "deadline", "days_overdue") if c in r
        ]
        body += _table(overdue[cols], lang, max_rows) if len(overdue) else ""
        out.append(("cards", _t("cards", lang), body))
    if previous is not None:
        comp = compare_assessments(previous, graded)
        summ = summarize_movement(comp).reset_index()
        total = comp["change"].value_counts().reindex(["new", "retired", "raised", "lowered", "unchanged"])
        tot = pd.DataFrame({"change": total.index, "n": total.fillna(0).astype(int).to_numpy()})
        body = _p(_t("movement_note", lang)) + _table(tot, lang, max_rows) + _table(summ, lang, max_rows)
        out.append(("movement", _t("movement", lang), body))
    if as_of is not None:
        s = compliance_summary(
            graded, as_of=as_of, assessed_on=assessed_on, owners=owners, measures=measures, cards=cards
        ).reset_index()
        body = _p(_t("compliance_note", lang, d=as_of.isoformat())) + _table(s, lang, max_rows)
        out.append(("compliance", _t("compliance", lang), body))
    return out


def sections_from_args(
    args: argparse.Namespace, graded: pd.DataFrame, lang: str
) -> list[tuple[str, str, str]]:
    """Read the tables named by the report options and build the sections (empty if none)."""
    from riskgrade.commands.cycle_run import read_cards, read_measures, read_org
    from riskgrade.commands.tableio import read_graded

    names = ("org", "measures", "cards", "previous", "as_of")
    if not any(getattr(args, n, None) for n in names):
        return []
    as_of = getattr(args, "as_of", None)
    if (getattr(args, "measures", None) or getattr(args, "cards", None)) and not as_of:
        from riskgrade.exceptions import RiskgradeError

        raise RiskgradeError("--measures and --cards need --as-of (the date of the review)")
    org, measures, cards, previous = (
        getattr(args, n, None) for n in ("org", "measures", "cards", "previous")
    )
    return cycle_sections(
        graded,
        lang=lang,
        as_of=as_of,
        org=read_org(org) if org else None,
        measures=read_measures(measures) if measures else None,
        cards=read_cards(cards) if cards else None,
        previous=read_graded(previous) if previous else None,
        assessed_on=getattr(args, "assessed_on", None),
    )
