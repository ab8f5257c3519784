"""Inventory schema: canonical columns, enumerations, Chinese aliases and validation.

:func:`validate_inventory` checks a whole inventory lazily — every problem is
collected, none stops the check — and raises one
:class:`~riskgrade.exceptions.InventoryValidationError` whose ``failure_cases`` table
names the row, risk point, column, value and a stable reason code for each.

Reason codes
------------
``empty``                 the inventory has no rows
``duplicate_column``      two columns share a name (after alias mapping)
``missing_column``        a required column is absent
``missing_id``            ``risk_point_id`` or ``unit_id`` is empty
``duplicate_id``          a ``risk_point_id`` occurs more than once (after folding spellings)
``invalid_id_character``  an id holds a control or format (invisible) character
``wrong_type``            a numeric column holds text
``non_finite``            a numeric value is infinite
``missing_value``         a factor value is missing and its policy is ``reject``
``out_of_scale``          an ordinal value is outside its scale or not a whole number
``out_of_range``          a value is outside its domain (a share outside [0, 1], ...)
``negative``              money or a count is negative
``invalid_denominator``   a rate's denominator (head count) is missing or not positive
``unknown_scope``         ``scope`` is not post, division or unit
``unknown_category``      ``category`` is not a known category
``category_scope_mismatch`` the category does not belong to the row's scope
``unknown_source``        ``identified_by`` names an unknown source
``invalid_outcome``       ``violation`` is not 0 or 1
``ambiguous_number``      a number form that could be read two ways (``约12万``, ``12万`` in 万元)
``unit_mismatch``         the unit in a header does not fit its column (``处置资金（%）``)

Every failure names the row as the user sees it (``source_row``: the file or Excel
row) and the column as written (``header``) beside the canonical ``column``, with a
Chinese message (``message_zh``); :mod:`riskgrade.schema_rules` lists the rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from riskgrade.exceptions import FAILURE_COLUMNS, InventoryValidationError
from riskgrade.factors import Factor, FactorCatalog
from riskgrade.identity import character_failures, folded_keys
from riskgrade.messages import chinese_header, localise_failures, suggest_header, unknown_headers
from riskgrade.units import factor_kind, parse_cell
from riskgrade.words import (
    COLUMN_ALIASES,
    FLAG_ALIASES,
    IDENTITY_COLUMNS,
    LEVEL_ALIASES,
    REQUIRED_IDENTITY,
    SOURCE_SPLIT,
    TEXT_COLUMNS,
    VALUE_ALIASES,
    lookup_column,
    map_sources,
    map_value,
    normalise_text,
    split_header,
    value_tables,
)

if TYPE_CHECKING:
    from riskgrade.config import RiskModelConfig

__all__ = [
    "CATEGORIES",
    "COLUMN_ALIASES",
    "IDENTITY_COLUMNS",
    "REASONS",
    "SCOPES",
    "SOURCES",
    "VALUE_ALIASES",
    "canonical_columns",
    "find_failures",
    "validate_inventory",
]


SCOPES = ("post", "division", "unit")
#: Categories of risk point by scope (section 5 of the source document).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "post": ("duties", "power_exercise", "ideology_morality"),
    "division": ("decision_making", "institutions", "work_process", "work_style"),
    "unit": ("decision_making", "institutions", "work_process", "work_style"),
}
SOURCES = ("self", "leader", "masses", "experts")

REASONS = (
    "empty",
    "duplicate_column",
    "missing_column",
    "missing_id",
    "duplicate_id",
    "invalid_id_character",
    "wrong_type",
    "non_finite",
    "missing_value",
    "out_of_scale",
    "out_of_range",
    "negative",
    "invalid_denominator",
    "unknown_scope",
    "unknown_category",
    "category_scope_mismatch",
    "unknown_source",
    "invalid_outcome",
    "ambiguous_number",
    "unit_mismatch",
)

# result columns read back from a graded file map only from their exact aliases (风险指数, ...):
# an input column "Score" or "Level" stays as written
_RESULT_NAMES = frozenset({"score", "level", "rank_in_unit", "quota_demoted", "reason"})
_KNOWN = (frozenset(COLUMN_ALIASES.values()) - _RESULT_NAMES) | frozenset(TEXT_COLUMNS)



def _norm_name(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def canonical_columns(columns: Iterable[str], mapping: dict[str, str] | None = None) -> list[str]:
    """Map inventory column names to canonical names.

    Parameters
    ----------
    columns : iterable of str
        Column names as found in the file.
    mapping : dict, optional
        Extra ``{file column: canonical name}`` pairs from the config; they take
        precedence over the built-in aliases.

    Returns
    -------
    list of str
        The canonical names, in the same order. Unknown columns are kept as they are
        (stripped of surrounding white space). A form that names each point's unit
        (单位名称, ``unit_name``) but has no unit code column identifies the units by
        their names: that one column is read as ``unit_id`` (the quota's unit), so such
        a form grades as it stands.
    """
    mapping = mapping or {}
    out = []
    for c in columns:
        raw = str(c).strip().lstrip("\ufeff")
        if raw in mapping:
            out.append(mapping[raw])
            continue
        name, _unit = split_header(raw)
        canon = lookup_column(name, mapping)
        if canon is not None:
            out.append(canon)
            continue
        low = _norm_name(name)
        known = low in _KNOWN or low in mapping.values()
        out.append(COLUMN_ALIASES.get(low, low if known else raw))
    if "unit_id" not in out and out.count("unit_name") == 1:
        out[out.index("unit_name")] = "unit_id"
    return out


def normalise_values(
    frame: pd.DataFrame, values: dict[str, dict[str, str]] | None = None
) -> pd.DataFrame:
    """Map the document's words in ``scope``, ``category`` and ``identified_by`` to codes.

    Also reads levels written 一级/二级/三级 (column ``level``) and flags written
    是/否/√ (column ``violation``). ``values`` adds a config's own value aliases.
    Returns a new frame; unknown values are left for validation to report.
    """
    out = frame
    if frame.columns.duplicated().any():
        return frame
    for col, table in value_tables(values).items():
        if col not in frame.columns:
            continue
        s = frame[col]
        if col == "identified_by":
            mapped = s.map(partial(map_sources, table=table), na_action="ignore")
        else:
            mapped = s.map(partial(map_value, table=table), na_action="ignore")
        if not mapped.equals(s):
            if out is frame:
                out = frame.copy()
            out[col] = mapped
    words: tuple[tuple[str, dict[str, Any]], ...] = (("level", dict(LEVEL_ALIASES)),
                                                     ("violation", dict(FLAG_ALIASES)))
    for col, wtable in words:
        if col in frame.columns and not pd.api.types.is_numeric_dtype(frame[col].dtype):
            s = frame[col].astype(object)
            mapped = s.map(partial(_map_word, table=wtable), na_action="ignore")
            if not mapped.equals(s):
                if out is frame:
                    out = frame.copy()
                out[col] = mapped
    return out


def _map_word(value: Any, table: dict[str, Any]) -> Any:
    key = normalise_text(value).lower()
    if key in table:
        return int(table[key])
    return value


class _Collector:
    """Accumulates failure cases column-wise (cheap for millions of rows)."""

    def __init__(self, ids: pd.Series | None) -> None:
        self.parts: list[pd.DataFrame] = []
        self.ids = ids
        self.reported: set[tuple[int, str]] = set()
        self.zh: dict[tuple[int, str], str] = {}  # Chinese messages more precise than the reason's

    def add(
        self,
        rows: np.ndarray | None,
        column: str,
        values: Any,
        reason: str,
        message: str | Iterable[str],
    ) -> None:
        if rows is None:
            n = 1
            row_col: Any = pd.array([pd.NA], dtype="Int64")
            rid: Any = [None]
            vals: Any = [None if values is None else str(values)]
        else:
            rows = np.asarray(rows, dtype=np.int64)
            n = len(rows)
            if n == 0:
                return
            row_col = pd.array(rows, dtype="Int64")
            rid = (
                [None] * n
                if self.ids is None
                else [None if pd.isna(v) else str(v) for v in self.ids.to_numpy()[rows]]
            )
            vals = [None if _isna(v) else str(v) for v in np.asarray(values, dtype=object)]
        msgs = [message] * n if isinstance(message, str) else list(message)
        self.parts.append(
            pd.DataFrame(
                {
                    "row": row_col,
                    "risk_point_id": pd.array(rid, dtype=object),
                    "column": [column] * n,
                    "value": pd.array(vals, dtype=object),
                    "reason": [reason] * n,
                    "message": msgs,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in FAILURE_COLUMNS})
        fc = pd.concat(self.parts, ignore_index=True)
        order = np.lexsort(
            (fc["column"].astype(str).to_numpy(), fc["row"].fillna(-1).to_numpy(dtype=np.int64))
        )
        return fc.iloc[order].reset_index(drop=True)


def _isna(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _numeric(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (values as float, missing mask, wrong-type mask)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype("Int64")
    if pd.api.types.is_numeric_dtype(series.dtype):
        vals = series.to_numpy(dtype=float, na_value=np.nan)
        miss = np.isnan(vals)
        return vals, miss, np.zeros(len(vals), dtype=bool)
    obj = series.astype(object)
    blank = obj.map(lambda v: _isna(v) or (isinstance(v, str) and not v.strip())).to_numpy(bool)
    vals = pd.to_numeric(obj.where(~blank, None), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    wrong = np.isnan(vals) & ~blank
    return vals, blank, wrong


def find_failures(frame: pd.DataFrame, config: RiskModelConfig | None = None) -> pd.DataFrame:
    """Collect every validation failure of an inventory without raising.

    Parameters
    ----------
    frame : pandas.DataFrame
        Inventory with canonical column names (see :func:`canonical_columns`).
    config : RiskModelConfig, optional
        The model configuration; ``None`` means :func:`riskgrade.default_config`.

    Returns
    -------
    pandas.DataFrame
        The failure cases (columns ``row``, ``risk_point_id``, ``column``, ``value``,
        ``reason``, ``message``), empty when the inventory is valid.
    """
    if config is None:
        from riskgrade.config import default_config

        config = default_config()
    catalog: FactorCatalog = config.active_catalog
    cols = [str(c) for c in frame.columns]
    dup_cols = sorted({c for c in cols if cols.count(c) > 1})
    ids = (
        frame["risk_point_id"]
        if "risk_point_id" in cols and "risk_point_id" not in dup_cols
        else None
    )
    fc = _Collector(ids)
    for c in dup_cols:
        fc.add(None, c, c, "duplicate_column", f"column {c!r} occurs {cols.count(c)} times")
    if len(frame) == 0:
        fc.add(None, "", None, "empty", "the inventory has no rows")
        return fc.frame()

    required = list(REQUIRED_IDENTITY) + catalog.columns
    if config.outcome_column and config.require_outcome:
        required.append(config.outcome_column)
    missing = [c for c in required if c not in cols]
    strays = unknown_headers(frame) if missing else []
    for c in missing:
        hint = ""
        for h in strays:
            sug = suggest_header(h, [c])
            if sug is not None:
                hint = f"; did you mean {sug[0]!r} for the header {h!r}?"
                break
        if not hint:
            hint = f" (header {chinese_header(c)!r} or {c!r})"
        fc.add(None, c, None, "missing_column", f"required column {c!r} is missing{hint}")

    present = set(cols) - set(dup_cols)

    # identity ------------------------------------------------------------------------
    for c in REQUIRED_IDENTITY:
        if c in present:
            s = frame[c]
            blank = s.isna().to_numpy() | (s.astype(str).str.strip() == "").to_numpy()
            rows = np.flatnonzero(blank)
            fc.add(rows, c, s.to_numpy()[rows], "missing_id", f"{c} is empty")
    # spellings and invisible characters: riskgrade.identity
    for col, rows, vals, msgs in character_failures(frame, config):
        fc.add(rows, col, vals, "invalid_id_character", msgs)
    if ids is not None:
        key = folded_keys(ids, config)
        dup = key.duplicated(keep=False).to_numpy() & ids.notna().to_numpy()
        rows = np.flatnonzero(dup)
        if len(rows):
            first = key.iloc[rows].groupby(key.iloc[rows].to_numpy()).transform(lambda s: s.index[0])
            msgs = [f"risk_point_id duplicated (first at row {int(f)})" for f in first.to_numpy()]
            fc.add(rows, "risk_point_id", ids.to_numpy()[rows], "duplicate_id", msgs)

    # enumerations -----------------------------------------------------------------------
    scope_vals = None
    if "scope" in present:
        s = frame["scope"]
        notna = s.notna().to_numpy()
        scope_vals = s.astype(object).to_numpy()
        bad = notna & ~s.isin(SCOPES).to_numpy()
        rows = np.flatnonzero(bad)
        fc.add(rows, "scope", scope_vals[rows], "unknown_scope", f"scope must be one of {list(SCOPES)}")
    if "category" in present:
        s = frame["category"]
        all_cats = sorted({c for v in CATEGORIES.values() for c in v})
        notna = s.notna().to_numpy()
        cat_vals = s.astype(object).to_numpy()
        known = s.isin(all_cats).to_numpy()
        rows = np.flatnonzero(notna & ~known)
        fc.add(rows, "category", cat_vals[rows], "unknown_category", f"category must be one of {all_cats}")
        if scope_vals is not None:
            ok = np.ones(len(s), dtype=bool)
            for scope, cats in CATEGORIES.items():
                m = scope_vals == scope
                ok[m] = s[m].isin(cats).to_numpy() | ~notna[m]
            rows = np.flatnonzero(~ok & known)
            msgs = [
                f"category {cat_vals[r]!r} does not belong to scope {scope_vals[r]!r} "
                f"(allowed: {list(CATEGORIES[scope_vals[r]])})"
                for r in rows
            ]
            fc.add(rows, "category", cat_vals[rows], "category_scope_mismatch", msgs)
    if "identified_by" in present:
        s = frame["identified_by"]
        vals = s.astype(object).to_numpy()
        codes, uniques = pd.factorize(s)  # check each distinct value once
        bad_u = np.array(
            [any(p not in SOURCES for p in SOURCE_SPLIT.split(str(v)) if p) for v in uniques],
            dtype=bool,
        )
        rows = np.flatnonzero((codes >= 0) & bad_u[np.maximum(codes, 0)]) if len(bad_u) else np.array([], int)
        fc.add(
            rows,
            "identified_by",
            vals[rows] if len(rows) else [],
            "unknown_source",
            f"identified_by must name sources among {list(SOURCES)}",
        )

    # factors ---------------------------------------------------------------------------
    checked: set[str] = set()
    for f in catalog.factors:
        col = f.source_column
        if col in present and col not in checked:
            checked.add(col)
            _check_factor(fc, frame[col], f)
        den = f.denominator
        if den and den in present and den not in checked:
            checked.add(den)
            vals, miss, wrong = _numeric(frame[den])
            raw = frame[den].astype(object).to_numpy()
            rows = np.flatnonzero(wrong)
            fc.add(rows, den, raw[rows], "wrong_type", f"{den} must be a number")
            with np.errstate(invalid="ignore"):
                bad = (miss | (vals <= 0) | ~np.isfinite(vals)) & ~wrong
            rows = np.flatnonzero(bad)
            fc.add(
                rows,
                den,
                raw[rows],
                "invalid_denominator",
                f"{den} is the denominator of rate factor(s) and must be a positive number",
            )

    _conversion_failures(fc, frame, present)
    oc = config.outcome_column
    if oc and oc in present:
        vals, miss, wrong = _numeric(frame[oc])
        raw = frame[oc].astype(object).to_numpy()
        bad = wrong | (~miss & ~np.isin(vals, [0.0, 1.0]))
        if config.require_outcome:
            bad |= miss
        rows = np.flatnonzero(bad)
        fc.add(rows, oc, raw[rows], "invalid_outcome", f"{oc} must be 0 or 1")
    return localise_failures(fc.frame(), frame, zh=fc.zh)


def _conversion_failures(fc: _Collector, frame: pd.DataFrame, present: set[str]) -> None:
    """Cells and headers that units.convert_columns could read two ways (from attrs)."""
    done = set(fc.reported)
    for f in frame.attrs.get("conversion_failures") or ():
        col = str(f["column"])
        if col not in present:
            continue
        if f["row"] is None:
            fc.add(None, col, f["value"], "unit_mismatch", f["message"])
            continue
        r = int(f["row"])
        if r >= len(frame) or (r, col) in done:
            continue
        fc.add(np.array([r]), col, [f["value"]], "ambiguous_number", f["message"])
        fc.zh[(r, col)] = str(f.get("message_zh") or "")


def _check_factor(fc: _Collector, series: pd.Series, f: Factor) -> None:
    col = f.source_column
    vals, miss, wrong = _numeric(series)
    raw = series.astype(object).to_numpy()
    rows = np.flatnonzero(wrong)
    _wrong_type(fc, rows, col, raw[rows], f)
    if f.missing == "reject":
        rows = np.flatnonzero(miss)
        fc.add(
            rows,
            col,
            raw[rows],
            "missing_value",
            f"{col} is missing and the factor's missing-value policy is 'reject'",
        )
    ok = ~np.isnan(vals)
    inf = ok & ~np.isfinite(vals)
    rows = np.flatnonzero(inf)
    fc.add(rows, col, raw[rows], "non_finite", f"{col} must be finite")
    fin = ok & ~inf
    lo, hi = f.minimum, f.maximum
    if f.kind == "ordinal":
        bad = fin & (
            (vals < (lo if lo is not None else -np.inf))
            | (vals > (hi if hi is not None else np.inf))
            | (np.floor(vals) != vals)
        )
        rows = np.flatnonzero(bad)
        fc.add(
            rows,
            col,
            raw[rows],
            "out_of_scale",
            f"{col} ({f.label_en}) must be a whole number from {_fmt(lo)} to {_fmt(hi)}",
        )
        return
    if f.kind in ("money", "count", "rate"):
        bad = fin & (vals < 0)
        rows = np.flatnonzero(bad)
        fc.add(rows, col, raw[rows], "negative", f"{col} ({f.label_en}) must not be negative")
        fin = fin & ~bad
    if lo is not None or hi is not None:
        lo_v = lo if lo is not None else -np.inf
        hi_v = hi if hi is not None else np.inf
        bad = fin & ((vals < lo_v) | (vals > hi_v))
        rows = np.flatnonzero(bad)
        fc.add(
            rows,
            col,
            raw[rows],
            "out_of_range",
            f"{col} ({f.label_en}) must lie in [{_fmt(lo)}, {_fmt(hi)}]",
        )


def _wrong_type(fc: _Collector, rows: np.ndarray, col: str, values: np.ndarray, f: Factor) -> None:
    """Text in a numeric column: say why it is not one exact number when we can."""
    if not len(rows):
        return
    kind = factor_kind(f)
    generic = f"{col} ({f.label_en}) must be a number"
    reasons, msgs = [], []
    for v in values:
        p = parse_cell(v, kind, None)
        if p.reason == "ambiguous_number":
            reasons.append("ambiguous_number")
            msgs.append(p.message_en)
            fc.zh[(int(rows[len(msgs) - 1]), col)] = p.message_zh
        else:
            reasons.append("wrong_type")
            msgs.append(generic if p.reason else f"{v!r} cannot be read with the header's unit; "
                        "write the number in the header's unit")
    r_arr = np.asarray(reasons)
    m_arr = np.asarray(msgs, dtype=object)
    for reason in ("ambiguous_number", "wrong_type"):
        sel = r_arr == reason
        if sel.any():
            fc.add(rows[sel], col, values[sel], reason, list(m_arr[sel]))
            fc.reported.update((int(r), col) for r in rows[sel])


def _fmt(v: float | None) -> str:
    if v is None:
        return "-inf"
    return str(int(v)) if float(v).is_integer() else str(v)


def validate_inventory(frame: pd.DataFrame, config: RiskModelConfig | None = None) -> None:
    """Validate an inventory, raising one error that lists every failure.

    Parameters
    ----------
    frame : pandas.DataFrame
        Inventory with canonical column names (as returned by
        :func:`riskgrade.read_inventory`).
    config : RiskModelConfig, optional
        The model configuration (default: :func:`riskgrade.default_config`).

    Raises
    ------
    InventoryValidationError
        With ``failure_cases`` listing row, risk_point_id, column, value, reason
        and message of every problem.

    Examples
    --------
    >>> import pandas as pd, riskgrade as rg
    >>> bad = pd.DataFrame({"risk_point_id": ["a"], "unit_id": ["u"]})
    >>> try:
    ...     rg.validate_inventory(bad)
    ... except rg.InventoryValidationError as e:
    ...     sorted(e.reasons)
    ['missing_column']
    """
    fc = find_failures(frame, config)
    if len(fc):
        raise InventoryValidationError(fc, n_rows=len(frame))
