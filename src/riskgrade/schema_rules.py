"""The validation rules of an inventory in one table, with their reason codes.

Each :class:`Rule` names the columns it applies to, what kind of check it is, the rule
in words and the :class:`Reason` it reports. :func:`riskgrade.schema.find_failures`
(the row-by-row report) and :func:`riskgrade.engine.check.batch_is_valid` (the batch
engine's fast, conservative check) implement these rules; a property test
(``tests/test_words_rules.py``) draws batches that break each rule and checks that
the fast check never passes a batch the validator rejects, and that every reason the
validator reports is in this table.

Examples
--------
>>> Reason("out_of_scale").value
'out_of_scale'
>>> rules_frame().loc[lambda t: t["reason"] == "unknown_source", "columns"].item()
'identified_by'
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import pandas as pd

__all__ = ["RULES", "Reason", "Rule", "rules_frame"]


class Reason(enum.StrEnum):
    """Stable reason codes of validation failures."""

    EMPTY = "empty"
    DUPLICATE_COLUMN = "duplicate_column"
    MISSING_COLUMN = "missing_column"
    MISSING_ID = "missing_id"
    DUPLICATE_ID = "duplicate_id"
    INVALID_ID_CHARACTER = "invalid_id_character"
    WRONG_TYPE = "wrong_type"
    NON_FINITE = "non_finite"
    MISSING_VALUE = "missing_value"
    OUT_OF_SCALE = "out_of_scale"
    OUT_OF_RANGE = "out_of_range"
    NEGATIVE = "negative"
    INVALID_DENOMINATOR = "invalid_denominator"
    UNKNOWN_SCOPE = "unknown_scope"
    UNKNOWN_CATEGORY = "unknown_category"
    CATEGORY_SCOPE_MISMATCH = "category_scope_mismatch"
    UNKNOWN_SOURCE = "unknown_source"
    INVALID_OUTCOME = "invalid_outcome"
    AMBIGUOUS_NUMBER = "ambiguous_number"
    UNIT_MISMATCH = "unit_mismatch"


@dataclass(frozen=True)
class Rule:
    """One validation rule: where it applies, what it checks, what it reports."""

    columns: str
    kind: str
    rule: str
    reason: Reason
    batch_check: bool  # also decided by the engine's fast check (False: file-level or global)


RULES: tuple[Rule, ...] = (
    Rule("(inventory)", "file", "at least one data row", Reason.EMPTY, True),
    Rule("(all)", "header", "no two headers map to the same column", Reason.DUPLICATE_COLUMN, True),
    Rule("risk_point_id, unit_id, factors", "header", "required columns present",
         Reason.MISSING_COLUMN, True),
    Rule("risk_point_id, unit_id", "identity", "not empty or blank", Reason.MISSING_ID, True),
    Rule("risk_point_id", "identity", "unique over the whole inventory", Reason.DUPLICATE_ID, False),
    Rule("id columns", "identity", "no control or invisible (format) character",
         Reason.INVALID_ID_CHARACTER, True),
    Rule("factors, headcount", "number", "a number (or an exact number form)", Reason.WRONG_TYPE, True),
    Rule("factors", "number", "finite", Reason.NON_FINITE, True),
    Rule("factors (missing = reject)", "number", "present", Reason.MISSING_VALUE, True),
    Rule("ordinal factors", "number", "a whole number on the factor's scale", Reason.OUT_OF_SCALE, True),
    Rule("share and bounded factors", "number", "within the factor's range", Reason.OUT_OF_RANGE, True),
    Rule("money, count and rate factors", "number", "not negative", Reason.NEGATIVE, True),
    Rule("headcount", "number", "a positive number (denominator of rates)",
         Reason.INVALID_DENOMINATOR, True),
    Rule("scope", "enumeration", "post, division or unit (岗位, 处（科、股）室, 单位)",
         Reason.UNKNOWN_SCOPE, True),
    Rule("category", "enumeration", "a category of section 5", Reason.UNKNOWN_CATEGORY, True),
    Rule("category, scope", "enumeration", "the category belongs to the row's scope",
         Reason.CATEGORY_SCOPE_MISMATCH, True),
    Rule("identified_by", "enumeration", "sources among 自己找, 领导点, 群众评, 专家议",
         Reason.UNKNOWN_SOURCE, True),
    Rule("violation", "number", "0 or 1 (是/否)", Reason.INVALID_OUTCOME, True),
    Rule("money, share and count factors", "number form",
         "one exact number (no 约, ranges, Chinese numerals; 万 not under a 万元 header)",
         Reason.AMBIGUOUS_NUMBER, True),
    Rule("money, share and count factors", "header", "the header's unit fits the column",
         Reason.UNIT_MISMATCH, False),
)


def rules_frame() -> pd.DataFrame:
    """The rule table as a DataFrame (``columns``, ``kind``, ``rule``, ``reason``, ``batch_check``)."""
    return pd.DataFrame(
        [(r.columns, r.kind, r.rule, r.reason.value, r.batch_check) for r in RULES],
        columns=["columns", "kind", "rule", "reason", "batch_check"],
    )
