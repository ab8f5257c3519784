"""Control measures in the four categories, residual risk and coverage.

Section 7 of the source document asks for "systematic prevention and control of
level-one risk points" through four kinds of measures, each assigned to a leader:

* ``business_process`` — duties, business rules, re-engineered work processes
  (完善岗位职责、健全业务制度、再造工作流程);
* ``personnel`` — selection, daily management, rotation, training and review on taking
  up and leaving posts (选人用人、日常管理、交流轮岗、任职离职培训审查);
* ``ideology_ethics`` — political and ideological work, codes of professional ethics
  (思想政治建设、职业道德规范);
* ``supervision_accountability`` — supervision, inspection and accountability
  (监督检查、惩处问责).

A measures table has one row per measure: ``measure_id``, ``risk_point_id``,
``category``, ``owner``, ``due_date``, ``status`` (``planned``, ``in_progress``,
``done``, ``cancelled``) and ``effectiveness`` in [0, 1] (the assessed share of the
risk the measure removes when fully in place).

**Residual risk.** Inherent versus residual risk follows COSO's enterprise-risk and
fraud-risk guidance
(residual = the risk left after the organisation's responses). The formula is a
stated convention, configurable in :class:`ResidualPolicy`:

* a measure's credit is ``effectiveness x status_credit[status]`` (default: done 1,
  in progress 0.5, planned and cancelled 0; an overdue measure that is not done gets
  ``overdue_credit`` times that, default 0);
* the measures of one category combine as independent barriers:
  ``E_c = 1 - prod_i (1 - credit_i)``;
* the categories combine by the weights ``w_c`` (default 1/4 each, summing to 1):
  ``R = sum_c w_c E_c``;
* ``residual_score = score x (1 - max_reduction x R)`` with ``max_reduction``
  (default 0.5): controls alone can at most halve the inherent score, and a point with
  measures in only some categories keeps the share of the others.

The residual level applies the grading thresholds to the residual score (no quota:
the residual level describes the remaining risk, it does not consume the quota).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskgrade.governance.findings import findings_frame, raise_if_findings
from riskgrade.governance.graded import as_frame, missing_mask, require_columns, to_dates
from riskgrade.grading import Thresholds, provisional_levels
from riskgrade.results import GradingResult

__all__ = [
    "MEASURE_CATEGORIES",
    "MEASURE_COLUMNS",
    "MEASURE_STATUSES",
    "ResidualPolicy",
    "coverage_report",
    "overdue_measures",
    "residual_risk",
    "validate_measures",
]

#: The four categories of section 7, in the document's order.
MEASURE_CATEGORIES = ("business_process", "personnel", "ideology_ethics", "supervision_accountability")
#: Statuses of a measure.
MEASURE_STATUSES = ("planned", "in_progress", "done", "cancelled")
#: Required columns of a measures table.
MEASURE_COLUMNS = ["measure_id", "risk_point_id", "category", "owner", "due_date", "status", "effectiveness"]


class ResidualPolicy(BaseModel):
    """How measures reduce the score (see the module docstring).

    Parameters
    ----------
    category_weights : dict of str to float
        Weight of each category (non-negative, summing to 1).
    status_credit : dict of str to float
        Share of a measure's effectiveness credited by status.
    overdue_credit : float
        Factor on the credit of a measure past its due date and not done.
    max_reduction : float
        Largest share of the score that measures can remove.
    thresholds : Thresholds
        Thresholds for the residual level.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    category_weights: dict[str, float] = Field(
        default_factory=lambda: dict.fromkeys(MEASURE_CATEGORIES, 0.25)
    )
    status_credit: dict[str, float] = Field(
        default_factory=lambda: {"planned": 0.0, "in_progress": 0.5, "done": 1.0, "cancelled": 0.0}
    )
    overdue_credit: float = Field(default=0.0, ge=0.0, le=1.0)
    max_reduction: float = Field(default=0.5, ge=0.0, le=1.0)
    thresholds: Thresholds = Field(default_factory=Thresholds)

    @model_validator(mode="after")
    def _check(self) -> ResidualPolicy:
        if set(self.category_weights) != set(MEASURE_CATEGORIES):
            raise ValueError(f"category_weights must have exactly the keys {list(MEASURE_CATEGORIES)}")
        w = np.array(list(self.category_weights.values()))
        if (w < 0).any() or abs(w.sum() - 1.0) > 1e-9:
            raise ValueError(f"category_weights must be non-negative and sum to 1, got sum {w.sum():g}")
        if set(self.status_credit) != set(MEASURE_STATUSES):
            raise ValueError(f"status_credit must have exactly the keys {list(MEASURE_STATUSES)}")
        if any(not 0.0 <= v <= 1.0 for v in self.status_credit.values()):
            raise ValueError("status_credit values must lie in [0, 1]")
        return self


def validate_measures(
    measures: pd.DataFrame, graded: GradingResult | pd.DataFrame | None = None
) -> pd.DataFrame:
    """Check a measures table; return it typed and sorted by ``risk_point_id``, ``measure_id``.

    Raises
    ------
    InventoryValidationError
        Listing every bad cell: unknown category or status, effectiveness outside
        [0, 1], unparseable due date, empty owner, duplicate ``measure_id``, unknown
        risk point (when ``graded`` is given).
    """
    require_columns(measures, MEASURE_COLUMNS, table="measures")
    m = measures.reset_index(drop=True).copy()
    known = None if graded is None else set(as_frame(graded)["risk_point_id"].astype(str))
    due = to_dates(m["due_date"])
    eff = pd.to_numeric(m["effectiveness"], errors="coerce")
    checks = [
        (
            ~m["category"].isin(MEASURE_CATEGORIES),
            "category",
            "unknown_category",
            f"category must be one of {list(MEASURE_CATEGORIES)}",
        ),
        (
            ~m["status"].isin(MEASURE_STATUSES),
            "status",
            "unknown_status",
            f"status must be one of {list(MEASURE_STATUSES)}",
        ),
        (
            eff.isna() | (eff < 0) | (eff > 1),
            "effectiveness",
            "out_of_range",
            "effectiveness must be a number in [0, 1]",
        ),
        (due.isna(), "due_date", "invalid_date", "due_date must be a date"),
        (missing_mask(m["owner"]), "owner", "missing_owner", "every measure needs an owner"),
        (
            m["measure_id"].astype(str).duplicated(keep=False),
            "measure_id",
            "duplicate_id",
            "measure_id must be unique",
        ),
    ]
    if known is not None:
        checks.append(
            (
                np.array(
                    [str(r) not in known for r in m["risk_point_id"].to_numpy(dtype=object)], dtype=bool
                ),
                "risk_point_id",
                "unknown_risk_point",
                "measure for a risk point not in the grading",
            )
        )
    fails = [
        {
            "row": int(i),
            "risk_point_id": m.at[i, "risk_point_id"],
            "column": col,
            "value": m.at[i, col],
            "reason": reason,
            "message": msg,
            "table": "measures",
        }
        for mask, col, reason, msg in checks
        for i in np.flatnonzero(np.asarray(mask, dtype=bool))
    ]
    if fails:
        raise_if_findings(findings_frame(fails), n_rows=len(m))
    m["due_date"] = due.dt.date
    m["effectiveness"] = eff.astype(float)
    m["risk_point_id"] = m["risk_point_id"].astype(str)
    return m.sort_values(["risk_point_id", "measure_id"], kind="stable").reset_index(drop=True)


def _is_overdue(m: pd.DataFrame, as_of: date) -> np.ndarray:
    return (
        m["status"].isin(["planned", "in_progress"]).to_numpy()
        & (m["due_date"].to_numpy() < np.datetime64(as_of))
        if len(m)
        else np.zeros(0, dtype=bool)
    )


def overdue_measures(measures: pd.DataFrame, *, as_of: date) -> pd.DataFrame:
    """Measures past their due date on ``as_of`` and not done or cancelled, with ``days_overdue``."""
    m = validate_measures(measures)
    m["due_date"] = pd.to_datetime(m["due_date"])
    od = m[_is_overdue(m, as_of)].copy()
    od["days_overdue"] = (pd.Timestamp(as_of) - od["due_date"]).dt.days.astype("int64")
    od["due_date"] = od["due_date"].dt.date
    return od.reset_index(drop=True)


def residual_risk(
    graded: GradingResult | pd.DataFrame,
    measures: pd.DataFrame,
    *,
    as_of: date,
    policy: ResidualPolicy | None = None,
) -> pd.DataFrame:
    """Residual score and level of every risk point after its measures.

    Parameters
    ----------
    graded : GradingResult or pandas.DataFrame
        With ``risk_point_id``, ``unit_id``, ``score`` and ``level``.
    measures : pandas.DataFrame
        Measures table (see the module docstring).
    as_of : date
        Date for overdue status.
    policy : ResidualPolicy, optional
        The residual formula (default as documented).

    Returns
    -------
    pandas.DataFrame
        Sorted by ``unit_id``, ``risk_point_id``: ``score``, ``level``,
        ``effect_<category>`` (``E_c``), ``reduction`` (``R``), ``residual_score``,
        ``residual_level``, ``n_measures``.

    Examples
    --------
    >>> import pandas as pd
    >>> from datetime import date
    >>> g = pd.DataFrame({"risk_point_id": ["r1"], "unit_id": ["u"], "score": [0.8], "level": [1]})
    >>> m = pd.DataFrame({"measure_id": ["m1"], "risk_point_id": ["r1"], "category": ["personnel"],
    ...                   "owner": ["Li"], "due_date": ["2024-06-30"], "status": ["done"],
    ...                   "effectiveness": [0.8]})
    >>> float(residual_risk(g, m, as_of=date(2024, 7, 1))["residual_score"].iloc[0])
    0.72
    """
    policy = policy or ResidualPolicy()
    frame = as_frame(graded)
    require_columns(frame, ["unit_id", "score", "level"], table="graded")
    m = validate_measures(measures, frame)
    credit = m["effectiveness"].to_numpy() * m["status"].map(policy.status_credit).to_numpy(dtype=float)
    credit = np.where(_is_overdue(m, as_of), credit * policy.overdue_credit, credit)
    m = m.assign(log_keep=np.log1p(-np.minimum(credit, 1.0 - 1e-15)))
    keep = m.groupby(["risk_point_id", "category"])["log_keep"].sum()
    eff = (1.0 - np.exp(keep)).unstack("category").reindex(columns=list(MEASURE_CATEGORIES)).fillna(0.0)
    out = frame[["risk_point_id", "unit_id", "score", "level"]].copy()
    out["risk_point_id"] = out["risk_point_id"].astype(str)
    out = out.sort_values(["unit_id", "risk_point_id"], kind="stable").reset_index(drop=True)
    e = eff.reindex(out["risk_point_id"]).fillna(0.0).to_numpy()
    w = np.array([policy.category_weights[c] for c in MEASURE_CATEGORIES])
    red = e @ w
    for j, c in enumerate(MEASURE_CATEGORIES):
        out[f"effect_{c}"] = e[:, j]
    out["reduction"] = red
    out["residual_score"] = np.round(out["score"].to_numpy(float) * (1.0 - policy.max_reduction * red), 12)
    out["residual_level"] = provisional_levels(out["residual_score"].to_numpy(), policy.thresholds).astype(
        "int64"
    )
    counts = m.groupby("risk_point_id").size()
    out["n_measures"] = counts.reindex(out["risk_point_id"]).fillna(0).astype("int64").to_numpy()
    return out


def coverage_report(
    graded: GradingResult | pd.DataFrame,
    measures: pd.DataFrame,
    *,
    as_of: date,
    levels: tuple[int, ...] = (1,),
    level_column: str = "level",
) -> pd.DataFrame:
    """Which points (of ``levels``) lack measures in some category or have overdue ones.

    A category counts as covered by any measure that is not cancelled.

    Returns
    -------
    pandas.DataFrame
        One row per point of ``levels``, sorted by ``unit_id``, ``risk_point_id``:
        ``has_<category>`` (bool), ``missing_categories`` (``;``-joined, document order),
        ``n_measures``, ``n_overdue``, ``complete`` (all four categories and nothing
        overdue).
    """
    frame = as_frame(graded)
    require_columns(frame, ["unit_id", level_column], table="graded")
    m = validate_measures(measures, frame)
    live = m[m["status"] != "cancelled"]
    has = live.groupby(["risk_point_id", "category"]).size().unstack("category")
    has = has.reindex(columns=list(MEASURE_CATEGORIES)).notna()
    od = m.assign(od=_is_overdue(m, as_of)).groupby("risk_point_id")["od"].sum()
    sel = frame[frame[level_column].isin(levels)][["risk_point_id", "unit_id", level_column]].copy()
    sel["risk_point_id"] = sel["risk_point_id"].astype(str)
    sel = sel.sort_values(["unit_id", "risk_point_id"], kind="stable").reset_index(drop=True)
    h = has.reindex(sel["risk_point_id"]).fillna(False).astype(bool).to_numpy()
    for j, c in enumerate(MEASURE_CATEGORIES):
        sel[f"has_{c}"] = h[:, j]
    sel["missing_categories"] = [
        ";".join(c for c, x in zip(MEASURE_CATEGORIES, row, strict=True) if not x) for row in h
    ]
    sel["n_measures"] = (
        live.groupby("risk_point_id")
        .size()
        .reindex(sel["risk_point_id"])
        .fillna(0)
        .astype("int64")
        .to_numpy()
    )
    sel["n_overdue"] = od.reindex(sel["risk_point_id"]).fillna(0).astype("int64").to_numpy()
    sel["complete"] = h.all(axis=1) & (sel["n_overdue"].to_numpy() == 0)
    return sel
