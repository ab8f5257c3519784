"""The governance tables as offices write them: Chinese headers and values, canonical codes inside.

Each table kind (organisation, measures, signals, cards, cases) has header aliases
(:data:`HEADER_ALIASES`) and value aliases (:data:`VALUE_ALIASES`); :func:`canonical_table`
renames the headers and maps the values, and :func:`labelled` does the reverse for output
(Chinese by default). Matching ignores white space, width and case (NFKC). Unknown headers
are kept as written; unknown values are left for the checks of each function to report.

The organisation comes as one table (``org``), one row per unit, division or post
(类型 单位/科室/岗位), split by :func:`split_org` into the three tables of
:func:`~riskgrade.governance.owners.assign_owners`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskgrade.governance.confidentiality import normalise_text
from riskgrade.governance.findings import findings_frame, raise_if_findings
from riskgrade.governance.graded import is_missing, require_columns
from riskgrade.governance.signals import SIGNAL_LABELS

__all__ = [
    "HEADER_ALIASES",
    "OUTPUT_LABELS",
    "VALUE_ALIASES",
    "canonical_table",
    "labelled",
    "split_org",
]

_MEASURE_CATEGORY = {
    "business_process": "业务制度和流程",
    "personnel": "选人用人和管理",
    "ideology_ethics": "思想道德",
    "supervision_accountability": "监督问责",
}
_MEASURE_STATUS = {"planned": "计划", "in_progress": "进行中", "done": "已完成", "cancelled": "已取消"}
_CARD_TYPE = {"reminder": "提醒卡", "warning": "警示卡", "correction": "纠错卡", "referral": "移送"}
_CARD_STATUS = {"open": "未回复", "responded": "已回复", "late": "逾期回复", "overdue": "逾期未回复"}
_ORG_KIND = {"unit": "单位", "division": "科室", "post": "岗位"}
_SUBJECT_KIND = {"person": "人员", "post": "岗位", "division": "科室", "unit": "单位"}
_CHANGE = {"new": "新增", "retired": "撤销", "raised": "升级", "lowered": "降级", "unchanged": "不变"}
_RESPONSIBILITY = {"overall": "负总责", "leadership": "重要领导责任", "direct": "直接责任"}

#: Header aliases per table kind: ``{kind: {written header: canonical column}}``.
HEADER_ALIASES: dict[str, dict[str, str]] = {
    "org": {
        "类型": "org_kind",
        "层级": "org_kind",
        "编号": "org_id",
        "名称": "name",
        "所属单位": "unit_id",
        "单位编号": "unit_id",
        "主要领导": "principal_leader",
        "分管负责人": "leader_in_charge",
        "分管领导": "leader_in_charge",
        "负责人": "division_head",
        "科室负责人": "division_head",
        "岗位人员": "holder",
        "在岗人员": "holder",
        "本人": "holder",
    },
    "measures": {
        "措施编号": "measure_id",
        "风险点编号": "risk_point_id",
        "类别": "category",
        "措施类别": "category",
        "责任人": "owner",
        "完成时限": "due_date",
        "完成日期": "due_date",
        "状态": "status",
        "落实情况": "status",
        "有效性": "effectiveness",
        "措施内容": "description",
        "防控措施": "description",
    },
    "signals": {
        "对象类型": "subject_kind",
        "对象编号": "subject_id",
        "单位编号": "unit_id",
        "信号类型": "signal_type",
        "来源": "signal_type",
        "信息来源": "signal_type",
        "日期": "date",
        "数量": "count",
        "件数": "count",
    },
    "cards": {
        "卡片编号": "card_id",
        "对象类型": "subject_kind",
        "对象编号": "subject_id",
        "单位编号": "unit_id",
        "卡片类型": "card_type",
        "规则": "rules",
        "触发原因": "trigger",
        "信号数": "n_signals",
        "发放日期": "issue_date",
        "回复期限": "deadline",
        "升级方式": "escalation",
        "由此升级": "escalated_from",
        "状态": "status",
        "后续处置": "follow_up",
        "回复日期": "response_date",
        "逾期天数": "days_overdue",
    },
    "cases": {
        "案件编号": "case_id",
        "风险点编号": "risk_point_id",
        "发案日期": "case_date",
        "案情": "description",
    },
}

#: Value aliases per canonical column.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "category": {v: k for k, v in _MEASURE_CATEGORY.items()}
    | {
        "业务制度": "business_process",
        "用人和管理": "personnel",
        "思想道德建设": "ideology_ethics",
        "监督检查": "supervision_accountability",
    },
    "status": {v: k for k, v in _MEASURE_STATUS.items()}
    | {"未开始": "planned", "完成": "done", "取消": "cancelled"},
    "card_type": {v: k for k, v in _CARD_TYPE.items()},
    "org_kind": {v: k for k, v in _ORG_KIND.items()} | {"处室": "division", "部门": "division"},
    "subject_kind": {v: k for k, v in _SUBJECT_KIND.items()} | {"个人": "person"},
}
_VALUE_COLUMNS = {
    "measures": ("category", "status"),
    "cards": ("card_type", "subject_kind"),
    "org": ("org_kind",),
}


def _first_headers(*kinds: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for kind in kinds:
        for header, col in HEADER_ALIASES[kind].items():
            out.setdefault(col, header)
    return out


#: Chinese labels of the governance output columns and values.
OUTPUT_LABELS: dict[str, str] = {
    **_first_headers("measures", "signals", "cards", "cases"),
    "overall": "负总责",
    "leadership": "重要领导责任",
    "direct": "直接责任",
    "responsibility": "责任类型",
    "org_role": "组织职务",
    "org_id": "组织编号",
    "person": "责任人",
    "missing": "缺失",
    "residual_score": "剩余风险指数",
    "residual_level": "剩余风险等级",
    "reduction": "措施降险比例",
    "n_measures": "措施数",
    "n_measures_done": "已完成措施数",
    "n_measures_overdue": "逾期措施数",
    "n_overdue": "逾期措施数",
    "missing_categories": "缺少的措施类别",
    "days_overdue": "逾期天数",
    "highest_level": "最高等级",
    "n_points": "风险点数",
    "n_level_1": "一级数",
    "n_level_2": "二级数",
    "n_level_3": "三级数",
    "key_domain": "重点领域",
    "level_1": "一级风险点数",
    "share_level_1": "一级占比",
    "within_cap": "未超上限",
    "level_1_without_owners": "一级缺责任人",
    "level_1_without_measures": "一级无措施",
    "open_cards": "未办结卡片",
    "overdue_cards": "逾期卡片",
    "last_assessed_on": "上次评估日期",
    "assessment_stale": "评估超过一年",
    "level_previous": "上年等级",
    "level_current": "本年等级",
    "change": "变动",
    "cause": "变动原因",
    "score_previous": "上年风险指数",
    "score_current": "本年风险指数",
    "case_date": "发案日期",
    "assessed_on": "评估日期",
    "level_at_time": "发案时等级",
    "owners": "责任人",
    "measures": "防控措施",
    "review_level": "需复核等级",
    "review_reason": "复核理由",
    "cause_factors": "因素变化",
    "cause_config": "评定办法变化",
    "cause_quota": "限额调整",
    "cause_override": "人工调整",
    "factors_changed": "变化的因素",
    "level_computed_previous": "上年计算等级",
    "level_computed_current": "本年计算等级",
    "level_provisional_previous": "上年初定等级",
    "level_provisional_current": "本年初定等级",
    "quota_demoted_previous": "上年因限额降级",
    "quota_demoted_current": "本年因限额降级",
    "unit_id_previous": "上年单位编号",
    "unit_id_current": "本年单位编号",
    "n_previous": "上年风险点数",
    "n_current": "本年风险点数",
    "level_1_previous": "上年一级数",
    "level_1_current": "本年一级数",
    "net_level_1": "一级净变化",
    "complete": "措施齐全",
    **_CHANGE,
    **{f"has_{k}": f"有{v}措施" for k, v in _MEASURE_CATEGORY.items()},
    **{f"effect_{k}": f"措施效果（{v}）" for k, v in _MEASURE_CATEGORY.items()},
}
_OUTPUT_VALUES: dict[str, dict[str, str]] = {
    "category": _MEASURE_CATEGORY,
    "status": {**_MEASURE_STATUS, **_CARD_STATUS},
    "card_type": _CARD_TYPE,
    "subject_kind": _SUBJECT_KIND,
    "change": _CHANGE,
    "responsibility": _RESPONSIBILITY,
    "signal_type": SIGNAL_LABELS,
}


_PHRASES = {
    "a case at a level-3 point: the level may be too low (under-graded)": (
        "三级风险点发案：等级可能偏低，需复核"
    ),
    "no live measure at the point": "该风险点无有效防控措施",
}
_TOKENS = {
    **{f"{k}:": f"{v}：" for k, v in _RESPONSIBILITY.items()},
    **_MEASURE_CATEGORY,
    **_MEASURE_STATUS,
    "overdue": "逾期",
    "(none)": "（空缺）",
}


def _words_zh(text: str) -> str:
    """Chinese for the code words of the accountability record's text columns."""
    for en, zh in _PHRASES.items():
        text = text.replace(en, zh)
    words = []
    for w in text.split(" "):
        core, semi = (w[:-1], "；") if w.endswith(";") else (w, "")
        words.append(_TOKENS.get(core, core) + semi)
    return " ".join(words)


def canonical_table(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Rename the headers of a ``kind`` table to canonical names and map its values to codes.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({" 类别 ": ["监督问责"], "状态": ["已完成"]})
    >>> canonical_table(m, "measures").to_dict("records")
    [{'category': 'supervision_accountability', 'status': 'done'}]
    """
    aliases = {normalise_text(k): v for k, v in HEADER_ALIASES[kind].items()}
    out = frame.copy()
    out.columns = [aliases.get(normalise_text(c), str(c).strip().lstrip("\ufeff")) for c in frame.columns]
    for col in _VALUE_COLUMNS.get(kind, ()):
        if col in out.columns:
            table = {normalise_text(k): v for k, v in VALUE_ALIASES[col].items()}
            out[col] = [
                v if is_missing(v) else table.get(normalise_text(v), str(v).strip()) for v in out[col]
            ]
    return out


def labelled(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Copy of an output table with Chinese headers and values (``lang="zh"``), else as is.

    Yes/no columns read 是/否 (empty stays empty).

    Examples
    --------
    >>> import pandas as pd
    >>> labelled(pd.DataFrame({"within_cap": [True, False], "change": ["raised", "new"]})).to_dict("list")
    {'未超上限': ['是', '否'], '变动': ['升级', '新增']}
    """
    if lang != "zh":
        return frame
    from riskgrade.i18n import label_columns

    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_bool_dtype(out[col]):
            out[col] = [None if is_missing(v) else ("是" if v else "否") for v in out[col]]
    for col in ("owners", "measures", "review_reason"):
        if col in out.columns and not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = [v if is_missing(v) else _words_zh(str(v)) for v in out[col]]
    for col, table in _OUTPUT_VALUES.items():
        if col in out.columns:
            out[col] = [table.get(str(v), v) if not is_missing(v) else v for v in out[col]]
    mine = {c: OUTPUT_LABELS[c] for c in out.columns if c in OUTPUT_LABELS}
    rest = label_columns(out[[c for c in out.columns if c not in mine]], "zh")
    rest_names = dict(zip([c for c in out.columns if c not in mine], rest.columns, strict=True))
    for c in rest_names:
        out[c] = rest[rest_names[c]].to_numpy()
    out.columns = [mine.get(c, rest_names.get(c, c)) for c in out.columns]
    return out


def split_org(org: pd.DataFrame, *, row_offset: int = 2) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Units, divisions and posts tables from one organisation table (canonical headers).

    Raises
    ------
    InventoryValidationError
        For a row whose 类型 is not 单位/科室/岗位 or whose 编号 is empty (all listed).
    """
    require_columns(org, ["org_kind", "org_id"], table="org")
    o = org.reset_index(drop=True)
    kinds = o["org_kind"].to_numpy(dtype=object)
    fails: list[dict[str, Any]] = []
    for i, (k, oid) in enumerate(zip(kinds, o["org_id"], strict=True)):
        if k not in ("unit", "division", "post"):
            fails.append(
                {
                    "row": i,
                    "column": "类型",
                    "value": k,
                    "reason": "unknown_org_kind",
                    "message": f"file row {i + row_offset}: 类型 must be 单位, 科室 or 岗位",
                    "table": "org",
                }
            )
        if is_missing(oid):
            fails.append(
                {
                    "row": i,
                    "column": "编号",
                    "value": None,
                    "reason": "missing_value",
                    "message": f"file row {i + row_offset}: 编号 must not be empty",
                    "table": "org",
                }
            )
    if fails:
        raise_if_findings(findings_frame(fails), n_rows=len(o))

    def part(kind: str, key: str, cols: tuple[str, ...]) -> pd.DataFrame:
        sel = o[kinds == kind]
        data = {key: sel["org_id"].astype(str).str.strip().to_numpy()}
        for c in cols:
            data[c] = (
                sel[c].to_numpy(dtype=object) if c in sel.columns else np.full(len(sel), None, dtype=object)
            )
        return pd.DataFrame(data)

    return (
        part("unit", "unit_id", ("principal_leader", "leader_in_charge")),
        part("division", "division_id", ("leader_in_charge", "division_head")),
        part("post", "post_id", ("holder",)),
    )
