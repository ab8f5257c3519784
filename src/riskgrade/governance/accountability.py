"""Accountability when a case occurs at a risk point (section 14 of the source document).

Section 14: "对在管辖范围内发生廉政风险的，要根据风险的具体表现形式和类别，分清业务制度、
管人用人、监督检查等方面的原因，有针对性地追究相关责任人的责任" — when a risk materialises, the
responsible persons are held to account according to the cause. :func:`accountability_record`
gathers, for each case, what such a review needs:

* the **level at the time**: from the latest assessment dated on or before the case date
  (assessments are given with their dates);
* the **owners at that level** (section 7, from the organisation tables given);
* the point's **measures and their status** on the case date (overdue when past due and
  not done; cancelled ones listed as such);
* whether the **level should be reviewed**: a case at a level-3 point suggests the point
  was under-graded (``review_level`` with the reason); a point with no live measure is
  flagged too.

A case at an unknown point, or dated before every assessment, is an error naming the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from riskgrade.governance.controls import validate_measures
from riskgrade.governance.findings import findings_frame, raise_if_findings
from riskgrade.governance.graded import as_frame, missing_mask, require_columns, to_dates
from riskgrade.governance.owners import assign_owners
from riskgrade.results import GradingResult

__all__ = ["ACCOUNTABILITY_COLUMNS", "accountability_record"]

#: Columns of the accountability record.
ACCOUNTABILITY_COLUMNS = [
    "case_id",
    "risk_point_id",
    "unit_id",
    "case_date",
    "assessed_on",
    "level_at_time",
    "owners",
    "measures",
    "n_measures",
    "n_measures_done",
    "n_measures_overdue",
    "review_level",
    "review_reason",
]


def accountability_record(
    cases: pd.DataFrame,
    assessments: Sequence[tuple[date, GradingResult | pd.DataFrame]],
    *,
    units: pd.DataFrame,
    divisions: pd.DataFrame | None = None,
    posts: pd.DataFrame | None = None,
    measures: pd.DataFrame | None = None,
    level_column: str = "level",
    row_offset: int = 2,
) -> pd.DataFrame:
    """One record per case: level at the time, owners, measures, and whether to review the level.

    Parameters
    ----------
    cases : pandas.DataFrame
        ``case_id``, ``risk_point_id``, ``case_date``.
    assessments : sequence of (date, graded)
        Each assessment with the date it was approved.
    units, divisions, posts : pandas.DataFrame
        Organisation tables (see :func:`~riskgrade.governance.owners.assign_owners`).
    measures : pandas.DataFrame, optional
        Measures table.
    level_column : str
        Level column of the assessments.
    row_offset : int
        Added to the 0-based case position in messages.

    Returns
    -------
    pandas.DataFrame
        :data:`ACCOUNTABILITY_COLUMNS`, sorted by ``case_date`` and ``case_id``.
        ``owners`` reads ``responsibility: person`` joined by ``; `` (missing persons
        as ``(none)``); ``measures`` reads ``measure_id category status`` likewise.
    """
    require_columns(cases, ["case_id", "risk_point_id", "case_date"], table="cases")
    if not assessments:
        raise ValueError("at least one assessment (date, graded) is needed")
    c = cases.reset_index(drop=True)
    when = to_dates(c["case_date"])
    dated = sorted(((pd.Timestamp(d), as_frame(g)) for d, g in assessments), key=lambda t: t[0])
    m = validate_measures(measures) if measures is not None else None
    fails: list[dict[str, Any]] = []
    for col in ("case_id", "risk_point_id"):
        for j in np.flatnonzero(missing_mask(c[col])):
            fails.append(
                {
                    "row": int(j),
                    "column": col,
                    "value": None,
                    "reason": "missing_value",
                    "message": f"file row {int(j) + row_offset}: {col} must not be empty",
                }
            )
    for j in np.flatnonzero(when.isna().to_numpy()):
        fails.append(
            {
                "row": int(j),
                "column": "case_date",
                "value": c["case_date"].iloc[j],
                "reason": "invalid_date",
                "message": f"file row {int(j) + row_offset}: not a date",
            }
        )
    rows: list[dict[str, Any]] = []
    owner_cache: dict[int, pd.DataFrame] = {}
    bad_rows = {int(f["row"]) for f in fails}
    for i in range(len(c)):
        if i in bad_rows:
            continue
        rid, t = str(c["risk_point_id"].iloc[i]).strip(), when.iloc[i]
        k = max((j for j, (d, _) in enumerate(dated) if d <= t), default=None)
        if k is None:
            fails.append(
                {
                    "row": i,
                    "risk_point_id": rid,
                    "column": "case_date",
                    "value": str(t.date()),
                    "reason": "before_assessment",
                    "message": f"file row {i + row_offset}: no assessment on or before the case date "
                    f"(first: {dated[0][0].date()})",
                }
            )
            continue
        d, g = dated[k]
        hit = g[g["risk_point_id"].astype(str) == rid]
        if not len(hit):
            fails.append(
                {
                    "row": i,
                    "risk_point_id": rid,
                    "column": "risk_point_id",
                    "value": rid,
                    "reason": "unknown_risk_point",
                    "message": f"file row {i + row_offset}: risk point not in the assessment of {d.date()}",
                }
            )
            continue
        if k not in owner_cache:
            owner_cache[k] = assign_owners(
                g, units=units, divisions=divisions, posts=posts, level_column=level_column
            ).owners
        o = owner_cache[k]
        o = o[o["risk_point_id"].astype(str) == rid]
        lev = int(hit[level_column].iloc[0])
        mm = m[m["risk_point_id"] == rid] if m is not None else None
        live = mm[mm["status"] != "cancelled"] if mm is not None else None
        overdue = (
            live["status"].isin(["planned", "in_progress"]).to_numpy()
            & (pd.to_datetime(live["due_date"]).to_numpy() < t.to_datetime64())
            if live is not None
            else np.zeros(0, dtype=bool)
        )
        reasons = []
        if lev == 3:
            reasons.append("a case at a level-3 point: the level may be too low (under-graded)")
        if live is not None and not len(live):
            reasons.append("no live measure at the point")
        rows.append(
            {
                "case_id": str(c["case_id"].iloc[i]),
                "risk_point_id": rid,
                "unit_id": str(hit["unit_id"].iloc[0]) if "unit_id" in hit else None,
                "case_date": t.date(),
                "assessed_on": d.date(),
                "level_at_time": lev,
                "owners": "; ".join(
                    f"{r}: {'(none)' if p is None else p}"
                    for r, p in zip(o["responsibility"], o["person"], strict=True)
                ),
                "measures": ""
                if mm is None
                else "; ".join(
                    f"{a} {b} {s}"
                    + (" overdue" if s in ("planned", "in_progress") and due < t.date() else "")
                    for a, b, s, due in zip(
                        mm["measure_id"], mm["category"], mm["status"], mm["due_date"], strict=True
                    )
                ),
                "n_measures": 0 if live is None else len(live),
                "n_measures_done": 0 if live is None else int((live["status"] == "done").sum()),
                "n_measures_overdue": int(overdue.sum()),
                "review_level": bool(reasons) and lev == 3,
                "review_reason": " | ".join(reasons),
            }
        )
    if fails:
        raise_if_findings(findings_frame({**f, "table": "cases"} for f in fails), n_rows=len(c))
    out = pd.DataFrame(rows, columns=ACCOUNTABILITY_COLUMNS)
    return out.sort_values(["case_date", "case_id"], kind="stable").reset_index(drop=True)
