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
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from riskgrade.exceptions import FAILURE_COLUMNS, InventoryValidationError
from riskgrade.factors import Factor, FactorCatalog
from riskgrade.identity import character_failures, folded_keys

if TYPE_CHECKING:
    from riskgrade.config import RiskModelConfig

__all__ = [
    "CATEGORIES",
    "COLUMN_ALIASES",
    "IDENTITY_COLUMNS",
    "REASONS",
    "SCOPES",
    "SOURCES",
    "canonical_columns",
    "find_failures",
    "validate_inventory",
]

IDENTITY_COLUMNS = (
    "risk_point_id",
    "unit_id",
    "division_id",
    "post_id",
    "scope",
    "category",
    "power_item_id",
    "flow_step_id",
    "identified_by",
    "description",
    "manifestation",
    "cause",
)
REQUIRED_IDENTITY = ("risk_point_id", "unit_id")
TEXT_COLUMNS = (*IDENTITY_COLUMNS, "unit_name", "division_name", "post_name")

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
)

#: Column aliases (Chinese and common variants) -> canonical snake_case names.
COLUMN_ALIASES: dict[str, str] = {
    "风险点编号": "risk_point_id",
    "风险点编码": "risk_point_id",
    "风险点id": "risk_point_id",
    "编号": "risk_point_id",
    "单位": "unit_id",
    "单位编号": "unit_id",
    "单位代码": "unit_id",
    "单位名称": "unit_name",
    "科室": "division_id",
    "部门": "division_id",
    "科室编号": "division_id",
    "科室名称": "division_name",
    "岗位": "post_id",
    "岗位编号": "post_id",
    "岗位名称": "post_name",
    "范围": "scope",
    "层级": "scope",
    "风险层级": "scope",
    "类别": "category",
    "风险类别": "category",
    "职权事项": "power_item_id",
    "职权编号": "power_item_id",
    "流程环节": "flow_step_id",
    "环节编号": "flow_step_id",
    "查找方式": "identified_by",
    "查找途径": "identified_by",
    "风险描述": "description",
    "风险点描述": "description",
    "表现形式": "manifestation",
    "原因": "cause",
    "成因": "cause",
    "人数": "headcount",
    "岗位人数": "headcount",
    "编制人数": "headcount",
    "岗位权重": "post_weight",
    "处置资金": "funds_handled",
    "处置资金物资资源量": "funds_handled",
    "资金物资资源量": "funds_handled",
    "自由裁量权": "discretion",
    "自由裁量权大小": "discretion",
    "服务社会关联度": "service_relevance",
    "社会关联度": "service_relevance",
    "社会评价": "public_satisfaction",
    "社会评价评议情况": "public_satisfaction",
    "满意度": "public_satisfaction",
    "满意率": "public_satisfaction",
    "信访投诉": "complaints",
    "信访投诉量": "complaints",
    "发案量": "cases",
    "案件数": "cases",
    "媒体曝光": "media_exposure",
    "媒体曝光率": "media_exposure",
    "违规行为后果": "consequence",
    "后果": "consequence",
    "违纪违法": "violation",
    "是否发案": "violation",
}

_KNOWN = frozenset(COLUMN_ALIASES.values()) | frozenset(TEXT_COLUMNS)

#: Value aliases for the enumerated columns.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "scope": {"岗位": "post", "科室": "division", "部门": "division", "单位": "unit"},
    "category": {
        "岗位职责": "duties",
        "岗位职责风险": "duties",
        "权力行使": "power_exercise",
        "权力行使风险": "power_exercise",
        "思想道德": "ideology_morality",
        "思想道德风险": "ideology_morality",
        "决策": "decision_making",
        "决策风险": "decision_making",
        "制度机制": "institutions",
        "制度机制风险": "institutions",
        "工作流程": "work_process",
        "业务流程": "work_process",
        "工作流程风险": "work_process",
        "工作作风": "work_style",
        "外部环境": "work_style",
        "工作作风风险": "work_style",
    },
    "identified_by": {
        "自己查": "self",
        "自查": "self",
        "领导点": "leader",
        "领导": "leader",
        "群众评": "masses",
        "群众": "masses",
        "专家审": "experts",
        "专家": "experts",
        "组织审": "experts",
    },
}

_SOURCE_SPLIT = re.compile(r"[;,，、；/|\s]+")


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
        (stripped of surrounding white space).
    """
    mapping = mapping or {}
    out = []
    for c in columns:
        raw = str(c).strip().lstrip("\ufeff")
        if raw in mapping:
            out.append(mapping[raw])
        elif raw in COLUMN_ALIASES:
            out.append(COLUMN_ALIASES[raw])
        else:
            low = _norm_name(raw)
            known = low in _KNOWN or low in mapping.values()
            out.append(COLUMN_ALIASES.get(low, low if known else raw))
    return out


def normalise_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Map Chinese values of ``scope``, ``category`` and ``identified_by`` to codes.

    Returns a new frame; unknown values are left for validation to report.
    """
    out = frame
    for col, table in VALUE_ALIASES.items():
        if col not in frame.columns or frame.columns.duplicated().any():
            continue
        s = frame[col]
        if col == "identified_by":
            mapped = s.map(partial(_map_sources, table=table), na_action="ignore")
        else:
            mapped = s.map(partial(_map_value, table=table), na_action="ignore")
        if not mapped.equals(s):
            if out is frame:
                out = frame.copy()
            out[col] = mapped
    return out


def _map_value(value: Any, table: dict[str, str]) -> str:
    v = str(value).strip()
    return table.get(v, v.lower())


def _map_sources(value: Any, table: dict[str, str]) -> str:
    parts = [p for p in _SOURCE_SPLIT.split(str(value).strip()) if p]
    return ";".join(table.get(p, p.lower()) for p in parts)


class _Collector:
    """Accumulates failure cases column-wise (cheap for millions of rows)."""

    def __init__(self, ids: pd.Series | None) -> None:
        self.parts: list[pd.DataFrame] = []
        self.ids = ids

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
    for c in required:
        if c not in cols:
            fc.add(None, c, None, "missing_column", f"required column {c!r} is missing")

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
            [any(p not in SOURCES for p in _SOURCE_SPLIT.split(str(v)) if p) for v in uniques],
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

    oc = config.outcome_column
    if oc and oc in present:
        vals, miss, wrong = _numeric(frame[oc])
        raw = frame[oc].astype(object).to_numpy()
        bad = wrong | (~miss & ~np.isin(vals, [0.0, 1.0]))
        if config.require_outcome:
            bad |= miss
        rows = np.flatnonzero(bad)
        fc.add(rows, oc, raw[rows], "invalid_outcome", f"{oc} must be 0 or 1")
    return fc.frame()


def _check_factor(fc: _Collector, series: pd.Series, f: Factor) -> None:
    col = f.source_column
    vals, miss, wrong = _numeric(series)
    raw = series.astype(object).to_numpy()
    rows = np.flatnonzero(wrong)
    fc.add(rows, col, raw[rows], "wrong_type", f"{col} ({f.label_en}) must be a number")
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
