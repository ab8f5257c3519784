"""Exceptions and warnings raised by riskgrade.

Every error derives from :class:`RiskgradeError` so that callers can catch the
library's failures with one ``except`` clause. Errors about user input carry the
structured details (column, row, value, reason code) needed to fix the input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ConfigError",
    "ConsistencyWarning",
    "DataWarning",
    "InconsistentJudgementsError",
    "InventoryValidationError",
    "ModelCardError",
    "NotFittedError",
    "PolicyError",
    "QuotaWarning",
    "RiskgradeError",
    "RiskgradeWarning",
    "WeightingError",
]


class RiskgradeError(Exception):
    """Root of every error raised by riskgrade."""


class ConfigError(RiskgradeError, ValueError):
    """A model configuration is invalid.

    Parameters
    ----------
    message : str
        What is wrong, naming the file and the field.
    source : str, optional
        The file the configuration was read from.
    """

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class ModelCardError(ConfigError):
    """A model card is unreadable, altered or invalid.

    Parameters
    ----------
    message : str
        What is wrong, naming each failing field path and its value.
    source : str, optional
        The card's file.
    problems : list of str, optional
        One entry per failing field.
    """

    def __init__(self, message: str, *, source: str | None = None, problems: list[str] | None = None) -> None:
        self.problems = list(problems) if problems is not None else [message]
        super().__init__(message, source=source)


FAILURE_COLUMNS = ["row", "risk_point_id", "column", "value", "reason", "message"]


class InventoryValidationError(RiskgradeError, ValueError):
    """An inventory failed validation.

    All failures are collected before this is raised; ``failure_cases`` holds one
    row per problem with the columns ``row`` (0-based position in the input,
    ``<NA>`` for file-level problems), ``risk_point_id``, ``column``, ``value``,
    ``reason`` (a stable code such as ``"out_of_scale"``) and ``message``.

    Parameters
    ----------
    failure_cases : pandas.DataFrame
        The table of failures.
    n_rows : int, optional
        Number of rows in the inventory that was checked.
    """

    def __init__(self, failure_cases: pd.DataFrame, *, n_rows: int | None = None) -> None:
        self.failure_cases = failure_cases.reset_index(drop=True)
        self.n_rows = n_rows
        super().__init__(self._summary())

    @property
    def reasons(self) -> set[str]:
        """Set of reason codes present in ``failure_cases``."""
        return set(self.failure_cases["reason"].astype(str))

    def _summary(self, limit: int = 20) -> str:
        import pandas as pd  # a failure table exists, so pandas is loaded already

        fc = self.failure_cases
        n = len(fc)
        rows = fc["row"].dropna().nunique() if "row" in fc else 0
        head = f"inventory invalid: {n} failure(s) in {rows} row(s)"
        if self.n_rows is not None:
            head += f" of {self.n_rows}"
        lines = [head]
        has_src = "source_row" in fc and "header" in fc
        for rec in fc.head(limit).to_dict("records"):
            row = rec["source_row"] if has_src else rec["row"]
            where = "file" if pd.isna(row) else f"row {int(row)}"
            rid = "" if pd.isna(rec["risk_point_id"]) else f" ({rec['risk_point_id']})"
            col, msg = str(rec["column"]), str(rec["message"])
            if has_src and rec["header"] != col and col:
                col = f"{rec['header']} ({col})"
                prefix = f"column {col!r}: "
                msg = msg[len(prefix):] if msg.startswith(prefix) else msg
            lines.append(f"  {where}{rid}, column {col!r}, value {rec['value']!r}: [{rec['reason']}] {msg}")
        if n > limit:
            lines.append(f"  ... and {n - limit} more (see .failure_cases)")
        return "\n".join(lines)


class InconsistentJudgementsError(RiskgradeError, ValueError):
    """A pairwise-comparison matrix is not acceptable (not reciprocal, not positive, ...)."""

    def __init__(self, message: str, *, details: Any = None) -> None:
        self.details = details
        super().__init__(message)


class WeightingError(RiskgradeError, ValueError):
    """Weights cannot be computed from the given data (NaN, negative values, ...)."""


class PolicyError(RiskgradeError):
    """A grading policy (for example the level-one quota) cannot be met."""


class NotFittedError(RiskgradeError, AttributeError):
    """A model was used before ``fit``."""


class RiskgradeWarning(UserWarning):
    """Root of every warning issued by riskgrade."""


class ConsistencyWarning(RiskgradeWarning):
    """A judgement matrix is inconsistent or outside the Saaty scale."""


class QuotaWarning(RiskgradeWarning):
    """The level-one quota was applied with an exception or could not be met."""


class DataWarning(RiskgradeWarning):
    """The data are usable but suspicious (constant column, weight taken by rarity, ...)."""
