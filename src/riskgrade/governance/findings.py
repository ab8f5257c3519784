"""Findings: the table every governance check reports problems in.

A finding is one problem with one row of one table (a risk point without owners, an
override for an unknown point, a role outside a segregation rule, ...). Findings use the
columns of :data:`riskgrade.exceptions.FAILURE_COLUMNS` plus ``severity`` and ``table``,
so that a set of findings can be raised as an
:class:`~riskgrade.exceptions.InventoryValidationError` whose ``failure_cases`` lists
all of them at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from riskgrade.exceptions import FAILURE_COLUMNS, InventoryValidationError

__all__ = ["FINDING_COLUMNS", "findings_frame", "raise_if_findings"]

#: Columns of a findings table.
FINDING_COLUMNS = [*FAILURE_COLUMNS, "severity", "table"]


def findings_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build a findings table, sorted by table, row, column and reason.

    Parameters
    ----------
    records : iterable of mapping
        Each with (some of) :data:`FINDING_COLUMNS`; missing ones are ``None``
        (``severity`` defaults to ``"error"``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FINDING_COLUMNS`, ``row`` as nullable ``Int64``.
    """
    rows = [{c: r.get(c) for c in FINDING_COLUMNS} for r in records]
    for r in rows:
        if r["severity"] is None:
            r["severity"] = "error"
    df = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    df = df.astype({c: object for c in FINDING_COLUMNS})
    df["row"] = pd.array([None if v is None or pd.isna(v) else int(v) for v in df["row"]], dtype="Int64")
    if len(df):
        key = df[["table", "row", "risk_point_id", "column", "reason"]].astype(str)
        key["row"] = df["row"].fillna(-1).astype("int64")
        order = key.sort_values(["table", "row", "risk_point_id", "column", "reason"], kind="stable").index
        df = df.loc[order].reset_index(drop=True)
    return df


def raise_if_findings(findings: pd.DataFrame, *, n_rows: int | None = None, severity: str = "error") -> None:
    """Raise :class:`~riskgrade.exceptions.InventoryValidationError` if any finding has ``severity``.

    Parameters
    ----------
    findings : pandas.DataFrame
        A findings table.
    n_rows : int, optional
        Number of rows checked (shown in the message).
    severity : str
        Severity that makes the findings fatal.
    """
    bad = findings[findings["severity"] == severity]
    if len(bad):
        raise InventoryValidationError(bad, n_rows=n_rows)
