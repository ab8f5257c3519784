"""Levels per power item and flow step, and the public export.

Section 4 of the source document asks for a list of powers (职权目录) and a flow chart
of each (权力运行流程图); section 9 asks for risk points and their levels to be marked on
each step of the flow chart; section 10 asks for the power lists, flow charts and
discretion standards to be published, "except what must be kept confidential under the
rules" (除按规定应当保密的外).

:func:`rollup_levels` gives, per power item or per flow step, the highest level (the
smallest number) and the count of points at each level. :func:`public_export` produces
the publishable table: an allow-list of columns (:class:`DisclosurePolicy`) minus the
fields the policy marks confidential, without the rows flagged confidential, with the
measures of each point summarised by category.

The export fails closed. The row flag is found under any of its usual headers (是否涉密,
涉密, 密级, 保密, confidential, secret, in any width or spacing) and read by
:func:`~riskgrade.governance.confidentiality.withheld_rows`: a value it cannot read, or an
empty flag cell, stops the export with every such row named, rather than publishing or
silently dropping rows. Flag columns are never published, nor any column named in
``confidential`` (whether written as the canonical name or as the file's header).
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from riskgrade.governance.confidentiality import flag_columns, withheld_rows
from riskgrade.governance.controls import MEASURE_CATEGORIES, validate_measures
from riskgrade.governance.graded import as_frame, require_columns
from riskgrade.results import GradingResult
from riskgrade.schema import canonical_columns

__all__ = ["MEASURE_LABELS", "DisclosurePolicy", "label_export", "public_export", "rollup_levels"]


def rollup_levels(
    graded: GradingResult | pd.DataFrame,
    by: str | tuple[str, ...] = ("power_item_id", "flow_step_id"),
    *,
    level_column: str = "level",
) -> pd.DataFrame:
    """Highest level and counts per group (power item, flow step, ...).

    Parameters
    ----------
    graded : GradingResult or pandas.DataFrame
        Graded points.
    by : str or tuple of str
        Grouping columns; ``"power_item_id"`` for power items, the default pair for flow
        steps within power items. Points with an empty key are grouped under ``<NA>``.
    level_column : str
        Level column (``"level_final"`` after overrides).

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted: the keys, ``highest_level``, ``n_points``,
        ``n_level_1``, ``n_level_2``, ``n_level_3``.

    Examples
    --------
    >>> import pandas as pd
    >>> g = pd.DataFrame({"risk_point_id": ["a", "b", "c"], "power_item_id": ["P1", "P1", "P2"],
    ...                   "level": [2, 1, 3]})
    >>> rollup_levels(g, "power_item_id")[["power_item_id", "highest_level", "n_points"]].values.tolist()
    [['P1', 1, 2], ['P2', 3, 1]]
    """
    keys = [by] if isinstance(by, str) else list(by)
    frame = as_frame(graded)
    require_columns(frame, [*keys, level_column], table="graded")
    f = frame[keys].astype(object).where(frame[keys].notna(), "<NA>").astype(str)
    lev = frame[level_column].astype("int64")
    f = f.assign(
        _lev=lev.to_numpy(),
        n_level_1=(lev == 1).to_numpy(),
        n_level_2=(lev == 2).to_numpy(),
        n_level_3=(lev == 3).to_numpy(),
    )
    out = f.groupby(keys, sort=True).agg(
        highest_level=("_lev", "min"),
        n_points=("_lev", "size"),
        n_level_1=("n_level_1", "sum"),
        n_level_2=("n_level_2", "sum"),
        n_level_3=("n_level_3", "sum"),
    )
    return out.astype("int64").reset_index()


class DisclosurePolicy(BaseModel):
    """What a public export may contain.

    Parameters
    ----------
    columns : tuple of str
        Columns published when present (the allow-list), in this order.
    confidential : tuple of str
        Columns never published, even if listed in ``columns``.
    confidential_flag : str
        A further header marking rows that must not be published, besides the usual
        ones (see :mod:`riskgrade.governance.confidentiality`).
    on_empty : {"raise", "withhold"}
        An empty flag cell stops the export (default) or withholds the row; it never
        publishes the row.
    level_column : str
        Level column published as ``level``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    columns: tuple[str, ...] = (
        "unit_id",
        "unit_name",
        "division_name",
        "post_name",
        "power_item_id",
        "flow_step_id",
        "risk_point_id",
        "scope",
        "category",
        "description",
        "manifestation",
        "level",
        *(f"measures_{c}" for c in MEASURE_CATEGORIES),
    )
    confidential: tuple[str, ...] = ()
    confidential_flag: str = "confidential"
    on_empty: Literal["raise", "withhold"] = "raise"
    level_column: str = "level"


def public_export(
    graded: GradingResult | pd.DataFrame,
    measures: pd.DataFrame | None = None,
    *,
    policy: DisclosurePolicy | None = None,
    lang: Literal["zh", "en"] | None = None,
) -> pd.DataFrame:
    """The publishable power list and flow steps with levels and measures.

    Parameters
    ----------
    graded : GradingResult or pandas.DataFrame
        Graded points.
    measures : pandas.DataFrame, optional
        Measures table; published as ``measures_<category>`` (the ``description``
        column of the measures, else their ids, joined by semicolons, cancelled ones left out).
    policy : DisclosurePolicy, optional
        Allow-list, confidential fields and the row flag.
    lang : {"zh", "en"}, optional
        Label headers and values in this language (``"zh"``: 风险点编号, 一级, 岗位, ...);
        default: canonical names and codes.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``power_item_id``, ``flow_step_id``, ``risk_point_id`` (those present),
        with only the allowed, non-confidential columns.

    Raises
    ------
    InventoryValidationError
        When a flag cell cannot be read (or is empty, with ``on_empty="raise"``); all
        such cells are listed with their file rows.
    """
    policy = policy or DisclosurePolicy()
    frame = as_frame(graded)
    require_columns(frame, [policy.level_column], table="graded")
    withheld = withheld_rows(frame, extra_headers=(policy.confidential_flag,), on_empty=policy.on_empty)
    flags = set(flag_columns(list(frame.columns), (policy.confidential_flag,)))
    frame = frame[~withheld].copy()
    frame["level"] = frame[policy.level_column].astype("int64")
    if measures is not None:
        m = validate_measures(measures)
        m = m[m["status"] != "cancelled"]
        text = m["description"].astype(str) if "description" in m.columns else m["measure_id"].astype(str)
        acc: dict[str, dict[str, list[str]]] = {c: {} for c in MEASURE_CATEGORIES}
        for r, c, t in zip(m["risk_point_id"], m["category"], text, strict=True):  # sorted by point, id
            acc[c].setdefault(r, []).append(t)
        rids = frame["risk_point_id"].astype(str).to_numpy()
        for c in MEASURE_CATEGORIES:
            frame[f"measures_{c}"] = ["; ".join(acc[c].get(r, ())) for r in rids]
    secret = set(policy.confidential) | set(canonical_columns(policy.confidential))
    cols = [c for c in policy.columns if c in frame.columns and c not in secret and c not in flags]
    keys = [k for k in ("power_item_id", "flow_step_id", "risk_point_id") if k in cols]
    out = frame[cols]
    if keys:
        out = out.sort_values(keys, kind="stable")
    out = out.reset_index(drop=True)
    if lang is not None:
        out = label_export(out, lang)
    return out


def label_export(frame: pd.DataFrame, lang: Literal["zh", "en"] = "zh") -> pd.DataFrame:
    """Headers and enumerated values of an export in ``lang`` (levels as 一级/二级/三级)."""
    from riskgrade.i18n import label_columns

    out = label_columns(frame, lang)
    names = {f"measures_{c}": MEASURE_LABELS[c] for c in MEASURE_CATEGORIES}
    out.columns = [
        names[c][0 if lang == "zh" else 1] if c in names else out.columns[i]
        for i, c in enumerate(frame.columns)
    ]
    return out


#: Labels of the four measure categories of section 7 (zh, en).
MEASURE_LABELS: dict[str, tuple[str, str]] = {
    "business_process": ("防控措施（业务制度和流程）", "measures: business rules and process"),
    "personnel": ("防控措施（选人用人和管理）", "measures: personnel"),
    "ideology_ethics": ("防控措施（思想道德）", "measures: ideology and ethics"),
    "supervision_accountability": ("防控措施（监督问责）", "measures: supervision and accountability"),
}
