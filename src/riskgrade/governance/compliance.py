"""Per-unit compliance summary (section 17: inspection and assessment of the work).

Section 17 of the source document puts integrity-risk work into the yearly inspection
and assessment of leading groups. :func:`compliance_summary` gives, per unit, the
figures such an inspection looks at: the level-one share against the cap (section 6),
level-one points without complete owners or without measures (section 7), open and
overdue warning cards (section 12) and the date of the last assessment (section 13).

Section 13 asks for the risks to be re-assessed "以年度为周期" (on a yearly cycle): an
assessment is ``stale`` when it is older than ``max_age_months`` (12) calendar months on
``as_of`` — assessed on 2023-06-01, it is still current on 2024-06-01 and stale from
2024-06-02 (for 29 February, the anniversary is 28 February).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from riskgrade.governance.cards import review_cards
from riskgrade.governance.controls import validate_measures
from riskgrade.governance.graded import as_frame, require_columns
from riskgrade.governance.owners import OwnerAssignment
from riskgrade.grading import unit_caps
from riskgrade.results import GradingResult

__all__ = ["compliance_summary"]


def compliance_summary(
    graded: GradingResult | pd.DataFrame,
    *,
    as_of: date,
    assessed_on: date | pd.Series | dict | None = None,
    owners: OwnerAssignment | None = None,
    measures: pd.DataFrame | None = None,
    cards: pd.DataFrame | None = None,
    level_column: str = "level",
    max_share: float = 0.10,
    max_age_months: int = 12,
) -> pd.DataFrame:
    """Compliance figures per unit.

    Parameters
    ----------
    graded : GradingResult or pandas.DataFrame
        Graded points (``risk_point_id``, ``unit_id``, the level column; ``quota_cap``
        is used as the cap when present, else ``floor(max_share * n)``).
    as_of : date
        Date of the summary (for overdue cards).
    assessed_on : date, mapping or Series, optional
        Date of the last assessment: one date for all units, or by unit id.
    owners : OwnerAssignment, optional
        From :func:`~riskgrade.governance.owners.assign_owners`.
    measures : pandas.DataFrame, optional
        Measures table.
    cards : pandas.DataFrame, optional
        Cards (with ``unit_id``; ``response_date`` if known).
    level_column : str
        Level column (``"level_final"`` after overrides).
    max_share : float
        Level-one share for the cap when the frame has no ``quota_cap``.
    max_age_months : int
        An assessment older than this many months on ``as_of`` is ``stale``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``unit_id`` (sorted): ``n_points``, ``level_1``, ``share_level_1``,
        ``cap``, ``within_cap``, ``level_1_without_owners``,
        ``level_1_without_measures``, ``open_cards``, ``overdue_cards``,
        ``last_assessed_on``, ``assessment_stale``. Counts whose input was not given
        are ``<NA>`` (``assessment_stale`` too, without a date).
    """
    frame = as_frame(graded)
    require_columns(frame, ["unit_id", level_column], table="graded")
    f = pd.DataFrame(
        {
            "unit_id": frame["unit_id"].astype(str).to_numpy(),
            "risk_point_id": frame["risk_point_id"].astype(str).to_numpy(),
            "l1": (frame[level_column].to_numpy() == 1),
        }
    )
    g = f.groupby("unit_id", sort=True)
    out = pd.DataFrame({"n_points": g.size(), "level_1": g["l1"].sum()}).astype("int64")
    out["share_level_1"] = out["level_1"] / out["n_points"]
    if "quota_cap" in frame.columns:
        cap = (
            pd.Series(frame["quota_cap"].to_numpy(dtype=np.int64), index=f["unit_id"]).groupby(level=0).max()
        )
        out["cap"] = cap.reindex(out.index).astype("int64")
    else:
        out["cap"] = unit_caps(out["n_points"].to_numpy(), max_share)
    out["within_cap"] = out["level_1"] <= out["cap"]
    l1 = f[f["l1"]]
    na = pd.array([pd.NA] * len(out), dtype="Int64")
    if owners is not None:
        o = owners.owners
        miss = set(o.loc[o["missing"], "risk_point_id"].astype(str))
        known = set(o["risk_point_id"].astype(str))
        bad = l1[l1["risk_point_id"].isin(miss) | ~l1["risk_point_id"].isin(known)]
        out["level_1_without_owners"] = (
            bad.groupby("unit_id").size().reindex(out.index).fillna(0).astype("Int64")
        )
    else:
        out["level_1_without_owners"] = na
    if measures is not None:
        m = validate_measures(measures)
        live = set(m.loc[m["status"] != "cancelled", "risk_point_id"])
        bad = l1[~l1["risk_point_id"].isin(live)]
        out["level_1_without_measures"] = (
            bad.groupby("unit_id").size().reindex(out.index).fillna(0).astype("Int64")
        )
    else:
        out["level_1_without_measures"] = na
    if cards is not None:
        require_columns(cards, ["unit_id"], table="cards")
        r = review_cards(cards, as_of=as_of)
        r = r.assign(unit_id=r["unit_id"].astype(str))
        for col, st in (("open_cards", ("open", "overdue")), ("overdue_cards", ("overdue",))):
            out[col] = (
                r[r["status"].isin(st)].groupby("unit_id").size().reindex(out.index).fillna(0).astype("Int64")
            )
    else:
        out["open_cards"] = na
        out["overdue_cards"] = na
    if assessed_on is None:
        out["last_assessed_on"] = None
    elif isinstance(assessed_on, date):
        out["last_assessed_on"] = assessed_on
    else:
        out["last_assessed_on"] = pd.Series(dict(assessed_on)).reindex(out.index).astype(object)
    limit = (pd.Timestamp(as_of) - pd.DateOffset(months=max_age_months)).date()
    out["assessment_stale"] = pd.array(
        [
            None if v is None or pd.isna(v) else pd.Timestamp(v).date() < limit
            for v in out["last_assessed_on"]
        ],
        dtype="boolean",
    )
    out.index.name = "unit_id"
    return out
