"""Signals for the "三早三卡" cards: their types in Chinese and English, checked so none is lost.

Section 12 of the source document feeds the cards "on the basis of petition information"
(以信访信息为基础) with the information of "廉政风险排查、执法监察、效能监察、案件检查、干部考察、
舆论监督、专项治理、审计、巡视". Each source is a canonical signal type
(:data:`SIGNAL_TYPES`); :data:`SIGNAL_ALIASES` maps the words an office writes (信访,
信访举报, 审计发现, 巡察, ...) to them. Matching ignores white space, width and case.

A signal whose type is neither canonical, nor an alias, nor named by a rule is never
dropped: :func:`prepare_signals` raises, listing every such row with its file row, or
with ``on_unknown="quarantine"`` returns those rows apart with the reason, for the caller
to write to a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from riskgrade.governance.confidentiality import normalise_text
from riskgrade.governance.findings import findings_frame, raise_if_findings
from riskgrade.governance.graded import missing_mask, require_columns, to_dates

__all__ = ["SIGNAL_ALIASES", "SIGNAL_COLUMNS", "SIGNAL_LABELS", "SIGNAL_TYPES", "prepare_signals"]

#: Canonical signal types with their Chinese names (section 12's sources, in its order).
SIGNAL_LABELS: dict[str, str] = {
    "petition": "信访举报",
    "complaint": "投诉",
    "risk_review": "廉政风险排查",
    "law_enforcement_supervision": "执法监察",
    "efficiency_supervision": "效能监察",
    "case_investigation": "案件检查",
    "cadre_evaluation": "干部考察",
    "media_report": "舆论监督",
    "special_campaign": "专项治理",
    "audit_finding": "审计发现",
    "inspection_finding": "巡视巡察发现",
}
#: Canonical signal types.
SIGNAL_TYPES: tuple[str, ...] = tuple(SIGNAL_LABELS)

#: Words offices write for the signal types (matched after :func:`normalise_text`).
SIGNAL_ALIASES: dict[str, str] = {
    **{v: k for k, v in SIGNAL_LABELS.items()},
    "信访": "petition",
    "举报": "petition",
    "信访件": "petition",
    "来信来访": "petition",
    "信访信息": "petition",
    "投诉举报": "complaint",
    "群众投诉": "complaint",
    "风险排查": "risk_review",
    "执法检查": "law_enforcement_supervision",
    "案件查处": "case_investigation",
    "案件线索": "case_investigation",
    "干部考核": "cadre_evaluation",
    "媒体曝光": "media_report",
    "媒体报道": "media_report",
    "网络舆情": "media_report",
    "舆情": "media_report",
    "审计": "audit_finding",
    "审计问题": "audit_finding",
    "巡视": "inspection_finding",
    "巡察": "inspection_finding",
    "巡视发现": "inspection_finding",
    "巡察发现": "inspection_finding",
}

#: Columns of a signals table (``unit_id`` and ``count`` optional).
SIGNAL_COLUMNS = ["subject_kind", "subject_id", "signal_type", "date", "unit_id", "count"]

_SUBJECT_KINDS = {"人员": "person", "个人": "person", "岗位": "post", "科室": "division", "单位": "unit"}


def _lookup(extra: Mapping[str, str] | None, known: Iterable[str]) -> dict[str, str]:
    table = {normalise_text(k): k for k in known}
    table.update({normalise_text(k): v for k, v in SIGNAL_ALIASES.items()})
    table.update({normalise_text(k): v for k, v in (extra or {}).items()})
    return table


def prepare_signals(
    signals: pd.DataFrame,
    *,
    known: Iterable[str] = (),
    aliases: Mapping[str, str] | None = None,
    on_unknown: Literal["raise", "quarantine"] = "raise",
    row_offset: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check a signals table and map its types to canonical ones.

    Parameters
    ----------
    signals : pandas.DataFrame
        ``subject_kind``, ``subject_id``, ``signal_type``, ``date``; optional
        ``unit_id`` and ``count`` (default 1).
    known : iterable of str
        Further canonical types (those the rules name).
    aliases : mapping, optional
        Further ``{word: canonical type}`` pairs.
    on_unknown : {"raise", "quarantine"}
        A type nobody knows stops everything (default) or sets the row aside.
    row_offset : int
        Added to the 0-based position in messages (2: the file row under one header).

    Returns
    -------
    accepted, quarantined : pandas.DataFrame
        The signals with canonical types, dates normalised to days, ``count`` as int;
        and the set-aside rows as given, with ``file_row`` and ``reason``.

    Raises
    ------
    InventoryValidationError
        Every empty key, bad date or count, and (unless quarantined) unknown type.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"subject_kind": "岗位", "subject_id": "P1",
    ...                   "signal_type": ["信访", " 审计发现 "], "date": "2024-05-02"})
    >>> prepare_signals(s)[0]["signal_type"].tolist()
    ['petition', 'audit_finding']
    """
    require_columns(signals, ["subject_kind", "subject_id", "signal_type", "date"], table="signals")
    s = signals.reset_index(drop=True).copy()
    d = to_dates(s["date"])
    cnt = pd.to_numeric(s["count"], errors="coerce") if "count" in s else pd.Series(1, index=s.index)
    table = _lookup(aliases, [*SIGNAL_TYPES, *known])
    mapped = np.array(
        [
            None if m else table.get(normalise_text(v))
            for v, m in zip(s["signal_type"], missing_mask(s["signal_type"]), strict=True)
        ],
        dtype=object,
    )
    unknown = (mapped == None) & ~missing_mask(s["signal_type"])  # noqa: E711
    checks = [
        *(
            (missing_mask(s[c]), c, "missing_value", f"{c} must not be empty")
            for c in ("subject_kind", "subject_id", "signal_type")
        ),
        (d.isna().to_numpy(), "date", "invalid_date", "date must be a date"),
        (
            (cnt.isna() | (cnt < 0) | (cnt != np.floor(cnt))).to_numpy(dtype=bool),
            "count",
            "invalid_count",
            "count must be a non-negative integer",
        ),
    ]
    if on_unknown == "raise":
        checks.append(
            (
                unknown,
                "signal_type",
                "unknown_signal_type",
                f"unknown signal type; known: {', '.join(SIGNAL_LABELS.values())} "
                f"(or {', '.join(SIGNAL_TYPES)})",
            )
        )
    elif on_unknown != "quarantine":
        raise ValueError(f"on_unknown must be 'raise' or 'quarantine', got {on_unknown!r}")
    fails: list[dict[str, Any]] = [
        {
            "row": int(i),
            "column": col,
            "value": (cnt if col == "count" else s[col]).iloc[i],
            "reason": reason,
            "message": f"file row {int(i) + row_offset}: {msg}",
            "table": "signals",
        }
        for mask, col, reason, msg in checks
        for i in np.flatnonzero(mask)
    ]
    if fails:
        raise_if_findings(findings_frame(fails), n_rows=len(s))
    quarantined = signals.reset_index(drop=True)[unknown].copy()
    quarantined.insert(0, "file_row", np.flatnonzero(unknown) + row_offset)
    quarantined["reason"] = "unknown_signal_type"
    s["signal_type"] = mapped
    s["date"] = d.dt.normalize()
    s["count"] = cnt.astype("int64")
    s["subject_kind"] = [_SUBJECT_KINDS.get(normalise_text(v), str(v).strip()) for v in s["subject_kind"]]
    s["subject_id"] = s["subject_id"].astype(str).str.strip()
    if "unit_id" not in s:
        s["unit_id"] = None
    return s[~unknown].reset_index(drop=True), quarantined.reset_index(drop=True)
