"""Chinese and English labels: level names, column and factor labels, language detection.

riskgrade's users work in Chinese and their inventories come out of Excel. This module
holds the wording shown to people (reports, plots, tables) in both languages and decides
which language an inventory is written in: :func:`detect_language` returns ``"zh"`` when
the names in the inventory (unit, division and post names, descriptions, ids) contain
Chinese characters.

Examples
--------
>>> level_name(1, "zh")
'一级'
>>> level_name(3, "en")
'level 3'
>>> contains_cjk("绵阳市公安局"), contains_cjk("Mianyang police")
(True, False)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import pandas as pd

from riskgrade.results import LEVEL_NAMES

__all__ = [
    "COLUMN_LABELS",
    "LANGUAGES",
    "LEVEL_NAMES",
    "VALUE_LABELS",
    "Lang",
    "column_label",
    "contains_cjk",
    "detect_language",
    "factor_label",
    "label_columns",
    "level_name",
    "resolve_language",
    "translate",
    "value_label",
]

Lang = Literal["zh", "en"]
LANGUAGES: tuple[str, ...] = ("zh", "en")

# CJK Unified Ideographs (+ extension A), compatibility ideographs and CJK punctuation.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

#: Labels of canonical inventory and result columns, ``{column: {"zh": ..., "en": ...}}``.
COLUMN_LABELS: dict[str, dict[str, str]] = {
    "risk_point_id": {"zh": "风险点编号", "en": "risk point"},
    "unit_id": {"zh": "单位编号", "en": "unit"},
    "unit_name": {"zh": "单位", "en": "unit name"},
    "division_id": {"zh": "科室编号", "en": "division"},
    "division_name": {"zh": "科室", "en": "division name"},
    "post_id": {"zh": "岗位编号", "en": "post"},
    "post_name": {"zh": "岗位", "en": "post name"},
    "scope": {"zh": "风险层级", "en": "scope"},
    "category": {"zh": "风险类别", "en": "category"},
    "power_item_id": {"zh": "职权事项", "en": "power item"},
    "flow_step_id": {"zh": "流程环节", "en": "flow step"},
    "identified_by": {"zh": "查找方式", "en": "identified by"},
    "description": {"zh": "风险描述", "en": "description"},
    "manifestation": {"zh": "表现形式", "en": "manifestation"},
    "cause": {"zh": "成因", "en": "cause"},
    "headcount": {"zh": "人数", "en": "head count"},
    "violation": {"zh": "是否发案", "en": "violation"},
    "score": {"zh": "风险指数", "en": "score"},
    "level": {"zh": "等级", "en": "level"},
    "level_provisional": {"zh": "初定等级", "en": "provisional level"},
    "rank_in_unit": {"zh": "单位内排名", "en": "rank in unit"},
    "n_in_unit": {"zh": "单位风险点数", "en": "points in unit"},
    "quota_cap": {"zh": "一级上限", "en": "level-one cap"},
    "quota_demoted": {"zh": "因限额降级", "en": "demoted by quota"},
    "quota_tie": {"zh": "与临界分并列", "en": "tied at cut-off"},
    "quota_exception": {"zh": "小单位例外", "en": "small-unit exception"},
    "probability": {"zh": "发案概率", "en": "probability"},
    "p_level_1": {"zh": "一级概率", "en": "P(level 1)"},
    "p_level_2": {"zh": "二级概率", "en": "P(level 2)"},
    "p_level_3": {"zh": "三级概率", "en": "P(level 3)"},
    "owner": {"zh": "责任人", "en": "owner"},
    "measures": {"zh": "防控措施", "en": "measures"},
    "action": {"zh": "操作", "en": "action"},
    "level_from": {"zh": "原等级", "en": "from"},
    "level_to": {"zh": "现等级", "en": "to"},
    "cutoff_score": {"zh": "临界分", "en": "cut-off score"},
    "cap": {"zh": "上限", "en": "cap"},
    "tie": {"zh": "并列", "en": "tie"},
    "reason": {"zh": "理由", "en": "reason"},
    "approved_by": {"zh": "批准人", "en": "approved by"},
}

#: Labels of enumerated values (scope, category, identified_by, audit action); the Chinese
#: labels are the words of section 5 of the source document.
VALUE_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "scope": {
        "post": {"zh": "岗位", "en": "post"},
        "division": {"zh": "处（科、股）室", "en": "division"},
        "unit": {"zh": "单位", "en": "unit"},
    },
    "category": {
        "duties": {"zh": "职能职责", "en": "duties"},
        "power_exercise": {"zh": "权力行使", "en": "exercise of power"},
        "ideology_morality": {"zh": "思想道德", "en": "ideology and morality"},
        "decision_making": {"zh": "决策议事", "en": "decision-making"},
        "institutions": {"zh": "制度机制", "en": "institutions"},
        "work_process": {"zh": "工作流程", "en": "work process"},
        "work_style": {"zh": "作风状况", "en": "work style"},
    },
    "identified_by": {
        "self": {"zh": "自己找", "en": "self"},
        "leader": {"zh": "领导点", "en": "leader"},
        "masses": {"zh": "群众评", "en": "the public"},
        "experts": {"zh": "专家议", "en": "experts"},
    },
    "action": {
        "quota_demotion": {"zh": "限额降级", "en": "quota demotion"},
        "quota_exception": {"zh": "小单位例外保留", "en": "small-unit exception"},
        "override": {"zh": "人工调整", "en": "override"},
    },
}

# Owner roles of section 7 of the source document (一岗双责: principal, in charge, direct).
_OWNER_ROLES = {
    "principal": "主要领导，负总责",
    "in_charge": "分管领导，负重要领导责任",
    "leader_in_charge": "分管领导，负重要领导责任",
    "direct": "本人，负直接责任",
    "holder": "本人，负直接责任",
}

# Columns whose values name things; they decide the language of an inventory.
_NAME_COLUMNS = (
    "unit_name",
    "division_name",
    "post_name",
    "description",
    "manifestation",
    "cause",
    "unit_id",
    "division_id",
    "post_id",
)


def level_name(level: int, lang: str = "zh") -> str:
    """Name of a level (1, 2, 3) in a language.

    Parameters
    ----------
    level : int
        1 (highest), 2 or 3.
    lang : {"zh", "en"}
        Language.

    Returns
    -------
    str
        ``"一级"``, ``"二级"``, ``"三级"`` or ``"level 1"`` ... ``"level 3"``.

    Raises
    ------
    ValueError
        When ``level`` is not 1, 2 or 3 or ``lang`` is unknown.
    """
    lang = _check_lang(lang)
    try:
        return LEVEL_NAMES[lang][int(level)]
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"level must be 1, 2 or 3, got {level!r}") from None


def column_label(column: str, lang: str = "zh") -> str:
    """Label of a canonical column; ``factor_<name>``/``contrib_<name>`` use the factor's label.

    Unknown columns are returned unchanged.

    Examples
    --------
    >>> column_label("score", "zh")
    '风险指数'
    >>> column_label("factor_funds_handled", "en")
    'factor score: funds, materials and resources handled'
    """
    lang = _check_lang(lang)
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column][lang]
    if column.startswith("owner_"):
        role = column[len("owner_") :]
        zh_role = _OWNER_ROLES.get(role, role)
        return f"责任人（{zh_role}）" if lang == "zh" else f"owner ({role.replace('_', ' ')})"
    prefixes = (("factor_", "因素得分：", "factor score: "), ("contrib_", "贡献：", "contribution: "))
    for prefix, zh, en in prefixes:
        if column.startswith(prefix):
            name = column[len(prefix) :]
            label = factor_label(name, lang)
            if label != name:
                return (zh if lang == "zh" else en) + label
    return column


def factor_label(name: str, lang: str = "zh", catalog: Any = None) -> str:
    """Label of a factor in a language (from the catalog; default catalog ``sichuan_2012``).

    Parameters
    ----------
    name : str
        Factor name.
    lang : {"zh", "en"}
        Language.
    catalog : FactorCatalog, optional
        Catalog holding the factor; default :func:`riskgrade.catalogs.sichuan_2012`.

    Returns
    -------
    str
        The label, or ``name`` when the catalog has no such factor.
    """
    lang = _check_lang(lang)
    if catalog is None:
        catalog = _default_catalog()
    try:
        f = catalog[name]
    except KeyError:
        return name
    return f.label_zh if lang == "zh" else f.label_en


def value_label(column: str, value: Any, lang: str = "zh") -> str:
    """Label of an enumerated value (scope, category, identified_by, audit action).

    Several sources separated by ``;`` are labelled one by one. Unknown values and
    columns are returned as text unchanged.

    Examples
    --------
    >>> value_label("identified_by", "self;masses", "zh")
    '自己找、群众评'
    """
    lang = _check_lang(lang)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value)
    table = VALUE_LABELS.get(column)
    if table is None:
        return text
    if column == "identified_by":
        sep = "、" if lang == "zh" else ", "
        return sep.join(table.get(p, {}).get(lang, p) for p in text.split(";") if p)
    return table.get(text, {}).get(lang, text)


def label_columns(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Copy of a frame with columns renamed to their labels and enumerations labelled.

    Parameters
    ----------
    frame : pandas.DataFrame
        A graded frame, an audit table or part of one.
    lang : {"zh", "en"}
        Language.

    Returns
    -------
    pandas.DataFrame
        Same rows; columns labelled with :func:`column_label`; ``scope``, ``category``,
        ``identified_by`` and ``action`` values labelled with :func:`value_label`;
        ``level`` columns shown as level names.
    """
    lang = _check_lang(lang)
    out = frame.copy()
    for col in out.columns:
        if col in VALUE_LABELS:
            out[col] = [value_label(col, v, lang) for v in out[col].tolist()]
        elif col in ("level", "level_provisional", "level_from", "level_to"):
            out[col] = [level_name(v, lang) if _is_level(v) else "" for v in out[col].tolist()]
    out.columns = [column_label(str(c), lang) for c in out.columns]
    return out


def contains_cjk(text: Any) -> bool:
    """Whether a text contains a Chinese (CJK) ideograph."""
    return text is not None and bool(_IDEOGRAPH.search(str(text)))


def detect_language(
    frame: pd.DataFrame,
    *,
    columns: Iterable[str] | None = None,
    min_share: float = 0.2,
    sample: int = 2000,
) -> Lang:
    """Language an inventory is written in: ``"zh"`` when its names are Chinese.

    Looks at the naming columns (unit, division and post names, descriptions,
    manifestations, causes and the id columns) — or ``columns`` when given — and the
    column headers. The inventory is Chinese when at least ``min_share`` of the
    non-empty cells looked at (at most ``sample`` per column, taken from the top)
    contain a Chinese ideograph, or when any header does.

    Parameters
    ----------
    frame : pandas.DataFrame
        The inventory or graded frame.
    columns : iterable of str, optional
        Columns to look at (default: the naming columns present).
    min_share : float
        Share of cells with Chinese text above which the inventory is Chinese.
    sample : int
        Cells looked at per column.

    Returns
    -------
    {"zh", "en"}

    Examples
    --------
    >>> detect_language(pd.DataFrame({"unit_name": ["绵阳市公安局", "税务局"]}))
    'zh'
    >>> detect_language(pd.DataFrame({"unit_name": ["Police", "Tax office"]}))
    'en'
    """
    if any(contains_cjk(c) for c in frame.columns):
        return "zh"
    cols = [c for c in (columns if columns is not None else _NAME_COLUMNS) if c in frame.columns]
    seen = hits = 0
    for c in cols:
        values = frame[c].head(sample).dropna().astype(str).tolist()
        values = [v for v in values if v.strip()]
        seen += len(values)
        hits += sum(contains_cjk(v) for v in values)
    if seen == 0:
        return "en"
    return "zh" if hits / seen >= min_share else "en"


def resolve_language(lang: str | None, frame: pd.DataFrame | None = None) -> Lang:
    """The language to use: ``lang`` when given, else :func:`detect_language` of ``frame``.

    Raises
    ------
    ValueError
        When ``lang`` is neither ``"zh"`` nor ``"en"``.
    """
    if lang is not None:
        return _check_lang(lang)
    if frame is None:
        return "zh"
    return detect_language(frame)


def _check_lang(lang: str) -> Lang:
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    return lang  # type: ignore[return-value]


def _is_level(v: Any) -> bool:
    try:
        return int(v) in (1, 2, 3) and float(v) == int(v)
    except (TypeError, ValueError):
        return False


_CATALOG: list[Any] = []


def _default_catalog() -> Any:
    if not _CATALOG:
        from riskgrade.catalogs import sichuan_2012

        _CATALOG.append(sichuan_2012())
    return _CATALOG[0]


def translate(key: str, lang: str, table: Mapping[str, Mapping[str, str]], **fields: Any) -> str:
    """Look up ``table[key][lang]`` and fill its ``{field}`` placeholders.

    Parameters
    ----------
    key : str
        Message key.
    lang : {"zh", "en"}
        Language.
    table : mapping
        ``{key: {"zh": text, "en": text}}``.
    **fields
        Values for the placeholders.

    Returns
    -------
    str

    Examples
    --------
    >>> translate("hi", "en", {"hi": {"zh": "你好，{who}", "en": "hello, {who}"}}, who="Li")
    'hello, Li'
    """
    text = table[key][_check_lang(lang)]
    return text.format(**fields) if fields else text
