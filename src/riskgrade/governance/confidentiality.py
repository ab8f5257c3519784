"""Which rows must not be published: the confidentiality flag, read so that it fails closed.

Section 10 of the source document asks for the power lists, flow charts and discretion
standards to be published, "except what must be kept confidential under the rules"
(除按规定应当保密的外). Offices mark such rows in a column of their own making; this module
recognises that column and reads its values, and refuses to guess.

**Flag columns.** A column is a confidentiality flag when its header, after Unicode NFKC
normalisation (full-width letters and spaces become half-width), removal of all white
space and lower-casing, is one of :data:`FLAG_HEADERS` or *contains* one of
:data:`FLAG_KEYWORDS` (涉密, 密级, 保密, confidential, secret). Containment is
deliberate: a column called ``是否涉密(是/否)`` or ``保密等级`` is a flag too, and a
column whose values cannot be read as a flag stops the export rather than being ignored.
Every flag column present is read; a row is withheld when any of them marks it.

**Values** (after the same normalisation):

* withheld: 是, 涉密, 保密, 绝密, 机密, 秘密, 内部, y, yes, true, t, 1, √, ✓, ✔ and the
  booleans/numbers ``True``/``1``;
* published: 否, 不涉密, 非涉密, 非密, 公开, 无, n, no, false, f, 0, ×, ✗, ✘ and
  ``False``/``0``;
* an **empty cell** is not a decision: by default it is an error (the rows are named);
  ``on_empty="withhold"`` withholds such rows instead. An empty cell never publishes;
* any other value (``2``, ``待定``, ``maybe``) is an error naming the file row, the
  column as written and the value.

All problems are collected and raised together as an
:class:`~riskgrade.exceptions.InventoryValidationError` (the CLI exits with code 3 and
writes nothing).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from riskgrade.governance.findings import findings_frame, raise_if_findings

__all__ = [
    "FLAG_HEADERS",
    "FLAG_KEYWORDS",
    "PUBLISHED_VALUES",
    "WITHHELD_VALUES",
    "flag_columns",
    "normalise_text",
    "withheld_rows",
]

#: Headers recognised exactly (after normalisation).
FLAG_HEADERS: tuple[str, ...] = (
    "是否涉密",
    "涉密",
    "密级",
    "保密",
    "是否保密",
    "confidential",
    "secret",
    "is_confidential",
    "is_secret",
)
#: A header containing one of these (after normalisation) is a flag column too.
FLAG_KEYWORDS: tuple[str, ...] = ("涉密", "密级", "保密", "confidential", "secret")

#: Values that withhold a row (after normalisation).
WITHHELD_VALUES: frozenset[str] = frozenset(
    {"是", "涉密", "保密", "绝密", "机密", "秘密", "内部", "y", "yes", "true", "t", "1", "1.0", "√", "✓", "✔"}
)
#: Values that publish a row (after normalisation).
PUBLISHED_VALUES: frozenset[str] = frozenset(
    {"否", "不涉密", "非涉密", "非密", "公开", "无", "n", "no", "false", "f", "0", "0.0", "×", "✗", "✘"}
)

_SPACE = re.compile(r"\s+")


def normalise_text(value: Any) -> str:
    """NFKC, no white space at all, lower case: ``" Ｙｅｓ "`` -> ``"yes"``."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(value))).lower()


def flag_columns(columns: Sequence[Any], extra: Sequence[str] = ()) -> list[Any]:
    """The columns of ``columns`` that are confidentiality flags (see the module docstring).

    Parameters
    ----------
    columns : sequence
        Column names as found in the table.
    extra : sequence of str
        Further header names to treat as flags (e.g. the policy's ``confidential_flag``).

    Examples
    --------
    >>> flag_columns(["风险点编号", " 是否涉密 ", "密级", "Confidential", "等级"])
    [' 是否涉密 ', '密级', 'Confidential']
    """
    exact = {normalise_text(h) for h in (*FLAG_HEADERS, *extra)}
    out = []
    for c in columns:
        n = normalise_text(c)
        if n in exact or any(k in n for k in FLAG_KEYWORDS):
            out.append(c)
    return out


def _read_flag(value: Any) -> bool | Literal["bad"] | None:
    """True = withhold, False = publish, None = empty, "bad" = unreadable."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return {1: True, 0: False}.get(int(value), "bad")
    if isinstance(value, (float, np.floating)):
        if math.isnan(float(value)):
            return None
        return {1.0: True, 0.0: False}.get(float(value), "bad")
    text = normalise_text(value)
    if text == "":
        return None
    if text in WITHHELD_VALUES:
        return True
    if text in PUBLISHED_VALUES:
        return False
    return "bad"


def withheld_rows(
    frame: pd.DataFrame,
    *,
    extra_headers: Sequence[str] = (),
    on_empty: Literal["raise", "withhold"] = "raise",
    table: str = "graded",
    row_offset: int = 2,
) -> np.ndarray:
    """Boolean mask of the rows that must not be published.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, rows in file order.
    extra_headers : sequence of str
        Further flag headers (exact names).
    on_empty : {"raise", "withhold"}
        An empty flag cell is an error (default) or withholds the row.
    table : str
        Table name used in messages.
    row_offset : int
        Added to the 0-based position to give the row number the user sees (2: a file
        with one header line, as in a spreadsheet or text editor).

    Returns
    -------
    numpy.ndarray of bool
        True where the row is withheld. With no flag column, nothing is withheld.

    Raises
    ------
    InventoryValidationError
        Listing every unreadable (or, with ``on_empty="raise"``, empty) flag cell.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"id": ["a", "b", "c"], "密级": ["公开", "机密", "非密"]})
    >>> withheld_rows(f).tolist()
    [False, True, False]
    """
    if on_empty not in ("raise", "withhold"):
        raise ValueError(f"on_empty must be 'raise' or 'withhold', got {on_empty!r}")
    cols = flag_columns(list(frame.columns), extra_headers)
    mask = np.zeros(len(frame), dtype=bool)
    fails: list[dict[str, Any]] = []
    rid = frame["risk_point_id"].to_numpy() if "risk_point_id" in frame.columns else None
    for pos_col, col in enumerate(frame.columns):
        if col not in cols:
            continue
        values = frame.iloc[:, pos_col].to_numpy(dtype=object)
        for i, v in enumerate(values):
            r = _read_flag(v)
            if r is True or (r is None and on_empty == "withhold"):
                mask[i] = True
            elif r is None or r == "bad":
                empty = r is None
                fails.append(
                    {
                        "row": i,
                        "risk_point_id": None if rid is None else rid[i],
                        "column": str(col),
                        "value": None if empty else v,
                        "reason": "empty_flag" if empty else "unreadable_flag",
                        "message": (
                            f"file row {i + row_offset}: confidentiality flag {str(col)!r} is "
                            + (
                                "empty; mark the row 是 or 否 (an empty flag is not published)"
                                if empty
                                else f"{v!r}, which is neither 是/Y/yes/true/1/√/绝密/机密/秘密 "
                                "nor 否/N/no/false/0/×/公开/非密"
                            )
                        ),
                        "table": table,
                    }
                )
    if fails:
        raise_if_findings(findings_frame(fails), n_rows=len(frame))
    return mask
