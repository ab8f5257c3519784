"""The graded inventory as input to the governance functions.

Every governance function accepts a :class:`~riskgrade.results.GradingResult` or its
``frame`` (a DataFrame with at least ``risk_point_id``, ``unit_id`` and ``level``), and
checks the columns it needs, naming every missing one at once.
"""

from __future__ import annotations

import unicodedata
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from riskgrade.governance.findings import findings_frame, raise_if_findings
from riskgrade.results import GradingResult

__all__ = ["LEVELS", "as_frame", "display_width", "is_missing", "missing_mask", "require_columns", "to_dates"]

#: The three levels, 1 highest.
LEVELS = (1, 2, 3)


def as_frame(graded: GradingResult | pd.DataFrame, *, name: str = "graded") -> pd.DataFrame:
    """The frame of a grading result (or the frame itself), checked for unique ids.

    Parameters
    ----------
    graded : GradingResult or pandas.DataFrame
        Graded inventory.
    name : str
        Name of the argument, used in messages.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    TypeError
        When ``graded`` is neither.
    InventoryValidationError
        When ``risk_point_id`` is missing or not unique.
    """
    if isinstance(graded, GradingResult):
        frame = graded.frame
    elif isinstance(graded, pd.DataFrame):
        frame = graded
    else:
        raise TypeError(f"{name} must be a GradingResult or a pandas DataFrame, got {type(graded).__name__}")
    require_columns(frame, ["risk_point_id"], table=name)
    dup = frame["risk_point_id"].duplicated(keep=False)
    if dup.any():
        raise_if_findings(
            findings_frame(
                {
                    "row": i,
                    "risk_point_id": v,
                    "column": "risk_point_id",
                    "value": v,
                    "reason": "duplicate_id",
                    "message": f"risk_point_id {v!r} appears more than once in {name}",
                    "table": name,
                }
                for i, v in zip(frame.index[dup.to_numpy()], frame["risk_point_id"][dup], strict=True)
            ),
            n_rows=len(frame),
        )
    return frame


def require_columns(frame: pd.DataFrame, columns: Sequence[str], *, table: str) -> None:
    """Raise listing every column of ``columns`` missing from ``frame``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise_if_findings(
            findings_frame(
                {
                    "column": c,
                    "reason": "missing_column",
                    "message": f"{table} has no column {c!r} (columns: {list(map(str, frame.columns))})",
                    "table": table,
                }
                for c in missing
            ),
            n_rows=len(frame),
        )


def is_missing(value: Any) -> bool:
    """Whether a cell is empty (None, NaN, NA or blank text)."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def missing_mask(values: pd.Series) -> np.ndarray:
    """Vectorised :func:`is_missing` over a column (boolean array)."""
    na = values.isna().to_numpy(dtype=bool)
    if values.dtype.kind in "biufcmM":
        return na
    blank = (values.astype("string").str.strip() == "").fillna(False).to_numpy(dtype=bool)
    return na | blank


def to_dates(values: pd.Series) -> pd.Series:
    """Parse a column of dates (ISO text, dates, timestamps); unparseable cells become NaT."""
    d = pd.to_datetime(values, errors="coerce", format="ISO8601")
    retry = d.isna().to_numpy() & ~missing_mask(values)
    if retry.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            d[retry] = pd.to_datetime(values[retry], errors="coerce", format="mixed")
    return d


def display_width(text: str) -> int:
    """Columns a text takes in a fixed-width display: wide and full-width characters count 2.

    Characters of Unicode East Asian Width ``W`` or ``F`` (Chinese characters, full-width
    letters and punctuation) count 2, combining marks 0, everything else 1.

    Examples
    --------
    >>> display_width("abc"), display_width("调整理由"), display_width("A级，")
    (3, 8, 5)
    """
    w = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w
