"""Sample tables for the control cycle, consistent with ``data/samples/inventory.csv``.

:func:`make_cycle_tables` builds, from a graded inventory, the tables an office keeps
around it, in Chinese: the organisation (one row per unit, division and post, with
主要领导, 分管负责人, 负责人 and the post holders; a few posts vacant), the control
measures of the level-one and level-two points (some points without any, some measures
overdue), the year's signals for the "三早三卡" cards, last year's inventory (factor values
moved for some points, some points new this year, some retired) and a few cases.
Everything is drawn from one seeded generator: the same inputs give the same tables.

The names are synthetic (a surname and a given name drawn from short lists).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

__all__ = ["make_cycle_tables"]

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌宇浩凯鹏飞林琳雪梅亮成"
_CATEGORY = ("业务制度和流程", "选人用人和管理", "思想道德", "监督问责")
_MEASURE_TEXT = {
    "业务制度和流程": ("完善审批流程，实行集体研究", "建立台账，全程留痕", "实行双人复核"),
    "选人用人和管理": ("关键岗位定期交流轮岗", "任职前廉政谈话", "离任审计"),
    "思想道德": ("开展警示教育", "签订廉政承诺书", "学习职业道德规范"),
    "监督问责": ("纪检组全程监督", "年度专项检查", "结果公开接受监督"),
}
_SIGNALS = ("信访", "信访举报", "投诉", "审计发现", "巡察", "效能监察", "干部考察", "专项治理", "舆论监督")


def _names(rng: np.random.Generator, n: int) -> list[str]:
    s = rng.integers(0, len(_SURNAMES), n)
    g1 = rng.integers(0, len(_GIVEN), n)
    g2 = rng.integers(0, len(_GIVEN), n)
    two = rng.random(n) < 0.6
    return [
        _SURNAMES[a] + _GIVEN[b] + (_GIVEN[c] if t else "") for a, b, c, t in zip(s, g1, g2, two, strict=True)
    ]


def make_cycle_tables(
    inventory: pd.DataFrame,
    graded: pd.DataFrame,
    *,
    seed: int = 2012,
    as_of: date = date(2024, 12, 1),
) -> dict[str, pd.DataFrame]:
    """The organisation, measures, signals, cases and last year's inventory (Chinese headers).

    Parameters
    ----------
    inventory : pandas.DataFrame
        This year's inventory (canonical columns).
    graded : pandas.DataFrame
        This year's grading of it (``risk_point_id``, ``level``).
    seed : int
        Seed of the generator.
    as_of : date
        The date the tables describe (measures due around it, signals in the year before).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``org``, ``measures``, ``signals``, ``cases``, ``inventory_last_year``.
    """
    rng = np.random.default_rng(seed)
    inv = inventory.sort_values("risk_point_id").reset_index(drop=True)
    units = inv[["unit_id", "unit_name"]].drop_duplicates("unit_id").sort_values("unit_id")
    divs = inv.dropna(subset=["division_id"])[["unit_id", "division_id", "division_name"]]
    divs = divs.drop_duplicates("division_id").sort_values("division_id")
    posts = inv.dropna(subset=["post_id"])[["unit_id", "post_id", "post_name"]]
    posts = posts.drop_duplicates("post_id").sort_values("post_id")
    # leaders: a principal leader and two to four deputies per unit
    deputies = {u: _names(rng, int(rng.integers(2, 5))) for u in units["unit_id"]}
    principal = dict(zip(units["unit_id"], _names(rng, len(units)), strict=True))
    holders = _names(rng, len(posts))
    vacant = rng.choice(len(posts), size=3, replace=False)
    for v in vacant:
        holders[v] = ""
    org = pd.concat(
        [
            pd.DataFrame(
                {
                    "类型": "单位",
                    "编号": units["unit_id"],
                    "名称": units["unit_name"],
                    "所属单位": units["unit_id"],
                    "主要领导": [principal[u] for u in units["unit_id"]],
                    "分管负责人": [deputies[u][0] for u in units["unit_id"]],
                }
            ),
            pd.DataFrame(
                {
                    "类型": "科室",
                    "编号": divs["division_id"],
                    "名称": divs["division_name"],
                    "所属单位": divs["unit_id"],
                    "分管负责人": [
                        deputies[u][int(rng.integers(0, len(deputies[u])))] for u in divs["unit_id"]
                    ],
                    "负责人": _names(rng, len(divs)),
                }
            ),
            pd.DataFrame(
                {
                    "类型": "岗位",
                    "编号": posts["post_id"],
                    "名称": posts["post_name"],
                    "所属单位": posts["unit_id"],
                    "岗位人员": holders,
                }
            ),
        ],
        ignore_index=True,
    )
    org = org[["类型", "编号", "名称", "所属单位", "主要领导", "分管负责人", "负责人", "岗位人员"]]

    g = graded.set_index("risk_point_id")["level"].astype(int)
    rows = []
    k = 0
    for rid in sorted(g.index):
        lev = int(g[rid])
        if lev == 3 or rng.random() < (0.05 if lev == 1 else 0.3):
            continue  # level 3 points carry no measure here; some points lack one (a coverage gap)
        n = int(rng.integers(2, 5)) if lev == 1 else int(rng.integers(1, 3))
        for c in rng.choice(len(_CATEGORY), size=n, replace=False):
            cat = _CATEGORY[int(c)]
            k += 1
            due = as_of + timedelta(days=int(rng.integers(-150, 200)))
            status = str(rng.choice(["已完成", "进行中", "计划", "已取消"], p=[0.45, 0.3, 0.2, 0.05]))
            rows.append(
                {
                    "措施编号": f"M{k:05d}",
                    "风险点编号": rid,
                    "类别": cat,
                    "措施内容": _MEASURE_TEXT[cat][int(rng.integers(0, 3))],
                    "责任人": "",
                    "完成时限": due.isoformat(),
                    "状态": status,
                    "有效性": round(float(rng.uniform(0.3, 0.9)), 2),
                }
            )
    measures = pd.DataFrame(rows)
    unit_of = inv.set_index("risk_point_id")["unit_id"]
    measures["责任人"] = [
        principal[unit_of[r]] if i % 3 == 0 else deputies[unit_of[r]][0]
        for i, r in enumerate(measures["风险点编号"])
    ]

    sig_posts = posts.iloc[rng.choice(len(posts), size=60, replace=False)].sort_values("post_id")
    srows = []
    for pid, uid in zip(sig_posts["post_id"], sig_posts["unit_id"], strict=True):
        for _ in range(int(rng.integers(1, 5))):
            srows.append(
                {
                    "对象类型": "岗位",
                    "对象编号": pid,
                    "单位编号": uid,
                    "信号类型": _SIGNALS[int(rng.integers(0, len(_SIGNALS)))],
                    "日期": (as_of - timedelta(days=int(rng.integers(0, 365)))).isoformat(),
                    "数量": 1,
                }
            )
    signals = pd.DataFrame(srows).sort_values(["对象编号", "日期", "信号类型"]).reset_index(drop=True)

    pts = sorted(g.index)
    case_pts = [pts[int(i)] for i in rng.choice(len(pts), size=6, replace=False)]
    cases = pd.DataFrame(
        {
            "案件编号": [f"K{i + 1:03d}" for i in range(len(case_pts))],
            "风险点编号": case_pts,
            "发案日期": [(as_of - timedelta(days=int(rng.integers(20, 300)))).isoformat() for _ in case_pts],
        }
    )

    last = inv.copy()
    new_this_year = rng.random(len(last)) < 0.03
    last = last[~new_this_year].reset_index(drop=True)
    moved = rng.random(len(last)) < 0.15
    for col, lo, hi in (("complaints", 0, 6), ("discretion", 1, 5), ("post_weight", 1, 5)):
        if col in last.columns:
            v = pd.to_numeric(last[col], errors="coerce")
            new = rng.integers(lo, hi + 1, len(last))
            last[col] = np.where(moved & v.notna().to_numpy(), new, v)
    retired = last.sample(n=40, random_state=int(rng.integers(0, 2**31 - 1))).copy()
    retired["risk_point_id"] = [f"RP9{i:06d}" for i in range(len(retired))]
    last = pd.concat([last, retired], ignore_index=True).sort_values("risk_point_id").reset_index(drop=True)
    if "true_p" in last.columns:
        last = last.drop(columns="true_p")
    return {
        "org": org.reset_index(drop=True),
        "measures": measures,
        "signals": signals,
        "cases": cases,
        "inventory_last_year": last,
    }


def write_cycle_samples(directory: str, *, seed: int = 2012, as_of: date = date(2024, 12, 1)) -> list[str]:
    """Write the cycle's sample tables beside ``inventory.csv`` and ``config.toml`` in ``directory``.

    Writes ``org.csv``, ``measures.csv``, ``signals.csv``, ``cases.csv`` and
    ``graded_last_year.csv`` (last year's inventory graded with the same config, without the
    per-factor score and contribution columns).

    Returns
    -------
    list of str
        The files written.
    """
    from pathlib import Path

    from riskgrade.config import load_config
    from riskgrade.io import read_inventory, write_frame
    from riskgrade.model import RiskModel

    d = Path(directory)
    inv = read_inventory(d / "inventory.csv")
    config = load_config(d / "config.toml")
    graded = RiskModel(config).fit(inv).grade(inv).frame
    tables = make_cycle_tables(inv, graded, seed=seed, as_of=as_of)
    last = read_inventory(tables.pop("inventory_last_year"), config)
    last_graded = RiskModel(config).fit(last).grade(last).frame
    derived = [c for c in last_graded.columns if c.startswith(("factor_", "contrib_"))]
    last_graded = last_graded.drop(columns=derived)  # recomputable, and they double the file
    out = []
    for name, frame in (*tables.items(), ("graded_last_year", last_graded)):
        path = d / f"{name}.csv"
        write_frame(frame, path)
        out.append(str(path))
    return out
