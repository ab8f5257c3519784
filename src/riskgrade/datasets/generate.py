r"""Synthetic integrity-risk inventories with a known outcome model.

:func:`make_inventory` draws a realistic inventory: units of varied size (5 to 500
risk points) with Chinese names, divisions and posts of typed functions (finance,
procurement, construction, approval, enforcement, personnel, general), all identity
columns, and the nine factors of the default catalog with the distributions real
inventories show — heavy-tailed funds with a mass at zero, mostly-zero complaint,
case and media counts, and factors correlated through a latent "power" of the post.

The outcome ``violation`` (a substantiated case in the following period) is drawn
from a documented logistic model of the default catalog's factor scores ``f_j``:

.. math::

    \\operatorname{logit} p = \\beta_0 + \\sum_j \\beta_j f_j + \\gamma f_{discretion} f_{funds}

with ``β`` in :data:`TRUE_COEFFICIENTS`, ``γ`` = :data:`TRUE_INTERACTION` and
``β_0`` solved so the mean probability equals ``event_rate`` (default 3 %). The true
probability is returned as ``true_p``, so estimated probabilities can be checked
against the truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["TRUE_COEFFICIENTS", "TRUE_INTERACTION", "make_inventory"]

#: Coefficients of the true logistic model on the sichuan_2012 factor scores.
TRUE_COEFFICIENTS: dict[str, float] = {
    "post_weight": 1.0,
    "funds_handled": 1.2,
    "discretion": 1.0,
    "service_relevance": 0.3,
    "public_satisfaction": 0.5,
    "complaints": 0.8,
    "cases": 1.5,
    "media_exposure": 0.4,
    "consequence": 0.6,
}
#: Coefficient of the discretion x funds interaction in the true model.
TRUE_INTERACTION = 0.5

_CITIES = (
    "成都市", "绵阳市", "德阳市", "自贡市", "泸州市", "宜宾市", "南充市", "乐山市",
    "达州市", "眉山市", "广元市", "遂宁市", "内江市", "资阳市", "雅安市", "巴中市",
    "攀枝花市", "广安市",
)
_BODIES = (
    "财政局", "交通运输局", "住房和城乡建设局", "自然资源和规划局", "市场监督管理局",
    "卫生健康委员会", "教育局", "公安局", "人力资源和社会保障局", "农业农村局",
    "生态环境局", "人民法院", "人民检察院", "公共资源交易中心", "发展和改革委员会",
    "民政局", "水务局", "审计局", "国有资产监督管理委员会", "商务局",
)
# division name, function type, latent shift
_DIVISIONS = (
    ("办公室", "general", -0.3),
    ("财务科", "finance", 0.6),
    ("政府采购科", "procurement", 0.9),
    ("工程建设科", "construction", 0.9),
    ("行政审批科", "approval", 0.7),
    ("综合执法大队", "enforcement", 0.6),
    ("人事科", "personnel", 0.4),
    ("政策法规科", "general", -0.4),
    ("项目管理科", "construction", 0.7),
    ("资金监管科", "finance", 0.5),
    ("信息中心", "general", -0.6),
    ("后勤服务中心", "procurement", 0.2),
)
_POSTS = (("科长", 0.8), ("副科长", 0.4), ("主办", 0.0), ("科员", -0.3), ("经办人", -0.1))
_RISKS = {
    "finance": ("资金拨付审核不严", "虚列支出套取资金", "违规出借资金"),
    "procurement": ("采购需求量身定制", "规避公开招标", "验收把关不严"),
    "construction": ("违规变更工程量", "围标串标", "工程款超付"),
    "approval": ("违规审批许可", "吃拿卡要", "审批时限随意延长"),
    "enforcement": ("执法尺度不一", "以罚代管", "人情执法"),
    "personnel": ("选人用人不公", "违规招录", "考核走过场"),
    "general": ("公车私用", "违规报销", "信息泄露"),
}
_CAUSES = ("制度不健全", "监督制约不到位", "权力过于集中", "廉洁意识淡薄", "流程不透明")
_CATEGORIES = {
    "post": ("duties", "power_exercise", "ideology_morality"),
    "division": ("decision_making", "institutions", "work_process", "work_style"),
    "unit": ("decision_making", "institutions", "work_process", "work_style"),
}
_SOURCES = ("self", "leader", "masses", "experts")


def _unit_sizes(rng: np.random.Generator, n_rows: int, n_units: int) -> np.ndarray:
    if n_units == 1:
        return np.array([n_rows])
    raw = np.exp(rng.uniform(np.log(5), np.log(500), n_units))
    sizes = np.maximum(np.floor(raw / raw.sum() * n_rows).astype(int), 5)
    sizes = np.minimum(sizes, 500)
    diff = n_rows - sizes.sum()
    i = 0
    while diff != 0:
        j = i % n_units
        step = 1 if diff > 0 else -1
        if 5 <= sizes[j] + step <= 500:
            sizes[j] += step
            diff -= step
        i += 1
        if i > 100 * n_units * 500:  # pragma: no cover - infeasible request
            raise ValueError(f"cannot split {n_rows} rows into {n_units} units of 5..500")
    return sizes


def make_inventory(
    n_rows: int = 5000,
    *,
    n_units: int | None = None,
    seed: int | None = 0,
    event_rate: float = 0.03,
) -> pd.DataFrame:
    """Draw a synthetic inventory with a known probability of violation.

    Parameters
    ----------
    n_rows : int
        Number of risk points.
    n_units : int, optional
        Number of units (default about one per 83 points, at least 1).
    seed : int or None
        Seed of the random generator (``None``: fresh entropy).
    event_rate : float
        Mean true probability of ``violation``.

    Returns
    -------
    pandas.DataFrame
        Identity columns, ``unit_name``, ``division_name``, ``post_name``,
        ``headcount``, the nine factor columns, ``violation`` (0/1) and ``true_p``.

    Examples
    --------
    >>> inv = make_inventory(200, seed=1)
    >>> inv.shape[0], inv["risk_point_id"].is_unique
    (200, True)
    """
    from scipy.special import expit

    if n_rows < 1:
        raise ValueError(f"n_rows must be at least 1, got {n_rows}")
    if not 0 < event_rate < 1:
        raise ValueError(f"event_rate must lie in (0, 1), got {event_rate}")
    rng = np.random.default_rng(seed)
    if n_units is None:
        n_units = max(1, min(round(n_rows / 83), n_rows // 5 if n_rows >= 5 else 1))
    if n_units > 1 and not 5 * n_units <= n_rows <= 500 * n_units:
        raise ValueError(f"{n_rows} rows do not fit {n_units} units of 5 to 500 points")
    sizes = _unit_sizes(rng, n_rows, n_units)
    unit_idx = np.repeat(np.arange(n_units), sizes)
    names = [f"{c}{b}" for c in _CITIES for b in _BODIES]
    pick = rng.permutation(len(names))
    unit_names = [names[pick[u % len(names)]] + ("" if u < len(names) else f"{u // len(names)}")
                  for u in range(n_units)]
    n = n_rows

    # divisions: each unit has max(2, size/15) divisions of random types
    n_div = np.maximum(2, sizes // 15)
    div_local = np.concatenate([rng.integers(0, k, s) for k, s in zip(n_div, sizes, strict=True)])
    div_types = {
        (u, d): int(rng.integers(0, len(_DIVISIONS)))
        for u in range(n_units)
        for d in range(int(n_div[u]))
    }
    dtype_idx = np.array(
        [div_types[(int(u), int(d))] for u, d in zip(unit_idx, div_local, strict=True)]
    )
    post_local = rng.integers(0, len(_POSTS), n)
    scope = rng.choice(np.array(["post", "division", "unit"]), n, p=[0.75, 0.15, 0.10])

    shift = np.array([_DIVISIONS[i][2] for i in dtype_idx])
    post_shift = np.array([_POSTS[i][1] for i in post_local])
    post_shift = np.where(scope == "post", post_shift, 0.5)
    unit_effect = rng.normal(0, 0.3, n_units)[unit_idx]
    z = shift + post_shift + unit_effect + rng.normal(0, 0.8, n)

    def ordinal(center: float, slope: float, noise: float, hi: int = 5) -> np.ndarray:
        return np.clip(np.rint(center + slope * z + rng.normal(0, noise, n)), 1, hi).astype(int)

    post_weight = ordinal(2.8, 0.9, 0.6)
    discretion = ordinal(2.8, 0.8, 0.7)
    service = ordinal(3.0, 0.5, 1.0).astype(float)
    service[rng.random(n) < 0.03] = np.nan
    ftype = np.array([_DIVISIONS[i][1] for i in dtype_idx])
    money_type = np.isin(ftype, ["finance", "procurement", "construction"])
    has_funds = rng.random(n) < np.where(money_type, 0.9, 0.4)
    log_funds = rng.normal(4.8 + 0.8 * z + np.where(money_type, 1.0, 0.0), 1.0)
    funds = np.where(has_funds, np.round(10.0**log_funds, -2), 0.0)
    satisfaction = np.round(np.clip(0.90 - 0.04 * z + rng.normal(0, 0.05, n), 0.3, 1.0), 3)
    satisfaction[rng.random(n) < 0.05] = np.nan
    headcount = np.where(
        scope == "post",
        1 + rng.poisson(3, n),
        np.where(scope == "division", 3 + rng.poisson(8, n), 20 + rng.poisson(60, n)),
    )
    complaints = rng.poisson(headcount * 0.08 * np.exp(0.6 * z))
    cases = rng.poisson(headcount * 0.004 * np.exp(0.8 * z))
    media = rng.poisson(0.05 * np.exp(0.9 * z))
    consequence = np.clip(1 + rng.binomial(2, expit(z - 0.5)), 1, 3)

    unit_ids = np.array([f"U{u + 1:04d}" for u in range(n_units)])[unit_idx]
    div_ids = np.array([f"{u}-D{d + 1:02d}" for u, d in zip(unit_ids, div_local, strict=True)], dtype=object)
    post_ids = np.array(
        [f"{dv}-P{p + 1}" for dv, p in zip(div_ids, post_local, strict=True)], dtype=object
    )
    post_ids[scope != "post"] = None
    div_ids_out = div_ids.copy()
    div_ids_out[scope == "unit"] = None
    cat = np.array([_CATEGORIES[s][int(rng.integers(0, len(_CATEGORIES[s])))] for s in scope])
    k_src = rng.integers(1, 3, n)
    sources = [
        ";".join(sorted(rng.choice(_SOURCES, k, replace=False), key=_SOURCES.index)) for k in k_src
    ]
    power_item = rng.integers(1, 6, n)
    flow_step = rng.integers(1, 5, n)
    risk_text = [
        _RISKS[t][int(rng.integers(0, 3))] for t in ftype
    ]
    post_names = np.array([_POSTS[i][0] for i in post_local], dtype=object)
    post_names[scope != "post"] = None
    frame = pd.DataFrame(
        {
            "risk_point_id": [f"RP{i + 1:07d}" for i in range(n)],
            "unit_id": unit_ids,
            "unit_name": np.array(unit_names, dtype=object)[unit_idx],
            "division_id": div_ids_out,
            "division_name": np.array([_DIVISIONS[i][0] for i in dtype_idx], dtype=object),
            "post_id": post_ids,
            "post_name": post_names,
            "scope": scope,
            "category": cat,
            "power_item_id": [f"{u}-PI{k}" for u, k in zip(unit_ids, power_item, strict=True)],
            "flow_step_id": [
                f"{u}-PI{k}-S{s}" for u, k, s in zip(unit_ids, power_item, flow_step, strict=True)
            ],
            "identified_by": sources,
            "description": risk_text,
            "manifestation": [f"{t}，造成资金或利益损失" for t in risk_text],
            "cause": [_CAUSES[int(i)] for i in rng.integers(0, len(_CAUSES), n)],
            "headcount": headcount.astype(int),
            "post_weight": post_weight,
            "funds_handled": funds,
            "discretion": discretion,
            "service_relevance": service,
            "public_satisfaction": satisfaction,
            "complaints": complaints.astype(int),
            "cases": cases.astype(int),
            "media_exposure": media.astype(int),
            "consequence": consequence.astype(int),
        }
    )
    p = true_probability(frame, event_rate=event_rate)
    frame["violation"] = (rng.random(n) < p).astype(int)
    frame["true_p"] = p
    return frame


def true_probability(frame: pd.DataFrame, *, event_rate: float = 0.03) -> np.ndarray:
    """True probability of violation under the generator's logistic model.

    The intercept is solved so that the mean probability over ``frame`` is
    ``event_rate``.
    """
    from scipy.optimize import brentq
    from scipy.special import expit

    from riskgrade.catalogs import sichuan_2012

    cat = sichuan_2012()
    F = cat.transform(frame)
    lin = np.zeros(len(frame))
    for name, beta in TRUE_COEFFICIENTS.items():
        lin += beta * F[name].fillna(F[name].mean()).to_numpy()
    lin += TRUE_INTERACTION * F["discretion"].to_numpy() * F["funds_handled"].to_numpy()
    b0 = brentq(lambda b: expit(b + lin).mean() - event_rate, -30, 30)
    return expit(b0 + lin)
