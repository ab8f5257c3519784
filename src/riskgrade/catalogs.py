"""Preset factor catalogs.

:func:`sichuan_2012` is the default: the nine grading factors that section 6 of the
Sichuan implementing opinions (川纪发〔2012〕16号) names — post weight, funds handled,
discretion, relevance to public services, public evaluation, petitions and complaints,
cases, media exposure and consequences of violations — each on fixed anchors.
"""

from __future__ import annotations

from riskgrade.factors import (
    Anchor,
    Factor,
    FactorCatalog,
    LinearTransform,
    LogTransform,
    RateTransform,
)

__all__ = ["CORE_FACTORS", "sichuan_2012"]

#: The six factors the project brief names first; a config may not drop them.
CORE_FACTORS = (
    "post_weight",
    "funds_handled",
    "discretion",
    "complaints",
    "cases",
    "media_exposure",
)


def _five(en: tuple[str, str, str, str, str], zh: tuple[str, str, str, str, str]) -> tuple[Anchor, ...]:
    return tuple(Anchor(value=i + 1, en=e, zh=z) for i, (e, z) in enumerate(zip(en, zh, strict=True)))


def sichuan_2012() -> FactorCatalog:
    """The nine-factor catalog of section 6 of 川纪发〔2012〕16号.

    Returns
    -------
    FactorCatalog
        Factors ``post_weight``, ``funds_handled``, ``discretion``,
        ``service_relevance``, ``public_satisfaction``, ``complaints``, ``cases``,
        ``media_exposure`` and ``consequence`` with fixed anchors.

    Notes
    -----
    Anchors (all fixed, so scores compare across units and years):

    - ordinal 1–5 factors map linearly, 1 -> 0 and 5 -> 1; consequence 1–3 likewise;
    - funds handled: log10 scale from 10,000 CNY/yr (score 0) to 100,000,000 CNY/yr
      (score 1), a quarter per decade;
    - public satisfaction: 95 % or more scores 0, 60 % or less scores 1;
    - complaints: rate per head per year, shrunk towards 0.1 with the weight of two
      heads, one complaint per head per year or more scores 1;
    - cases: rate per head per year, shrunk towards 0.01 with the weight of two heads,
      0.2 cases per head per year or more scores 1;
    - media exposure: reports per year, 5 or more scores 1.

    Examples
    --------
    >>> from riskgrade.catalogs import sichuan_2012
    >>> sichuan_2012().names[:3]
    ['post_weight', 'funds_handled', 'discretion']
    """
    factors = (
        Factor(
            name="post_weight",
            label_en="post weight",
            label_zh="岗位权重",
            kind="ordinal",
            unit="1-5",
            minimum=1,
            maximum=5,
            transform=LinearTransform(low=1, high=5),
            core=True,
            anchors=_five(
                (
                    "auxiliary post, no decision power",
                    "routine handling under close review",
                    "handles matters with some independent judgement",
                    "approves or decides matters of one field",
                    "leading post, decides major matters (三重一大)",
                ),
                (
                    "辅助性岗位，无决定权",
                    "在严格审核下办理常规事项",
                    "办理事项有一定独立判断",
                    "审批或决定某一领域事项",
                    "领导岗位，决定“三重一大”事项",
                ),
            ),
        ),
        Factor(
            name="funds_handled",
            label_en="funds, materials and resources handled",
            label_zh="处置资金物资资源量",
            kind="money",
            unit="CNY/yr",
            minimum=0,
            transform=LogTransform(floor=1e4, cap=1e8),
            core=True,
            anchors=(
                Anchor(value=1e4, en="up to 10 thousand CNY a year", zh="每年1万元以下"),
                Anchor(value=1e5, en="100 thousand CNY a year", zh="每年10万元"),
                Anchor(value=1e6, en="1 million CNY a year", zh="每年100万元"),
                Anchor(value=1e7, en="10 million CNY a year", zh="每年1000万元"),
                Anchor(value=1e8, en="100 million CNY a year or more", zh="每年1亿元及以上"),
            ),
        ),
        Factor(
            name="discretion",
            label_en="discretionary power",
            label_zh="自由裁量权大小",
            kind="ordinal",
            unit="1-5",
            minimum=1,
            maximum=5,
            transform=LinearTransform(low=1, high=5),
            core=True,
            anchors=_five(
                (
                    "none: outcome fixed by rules",
                    "small: choice among fixed options",
                    "moderate: graded standards leave room",
                    "large: amount or outcome set case by case",
                    "very large: few written standards",
                ),
                (
                    "无：结果由规定确定",
                    "小：在固定选项中选择",
                    "中：有分档标准但留有空间",
                    "大：数额或结果个案确定",
                    "很大：几乎无书面标准",
                ),
            ),
        ),
        Factor(
            name="service_relevance",
            label_en="relevance to public services",
            label_zh="服务社会关联度",
            kind="ordinal",
            unit="1-5",
            minimum=1,
            maximum=5,
            transform=LinearTransform(low=1, high=5),
            missing="exclude",
            anchors=_five(
                (
                    "internal work only",
                    "occasional contact with the public",
                    "regular services to the public",
                    "frequent services affecting individual interests",
                    "services deciding the public's material interests",
                ),
                (
                    "仅内部工作",
                    "偶尔面向群众",
                    "经常为群众办事",
                    "频繁办理涉及个人利益的事项",
                    "决定群众切身利益的服务",
                ),
            ),
        ),
        Factor(
            name="public_satisfaction",
            label_en="public evaluation (satisfaction)",
            label_zh="社会评价评议情况",
            kind="share",
            direction="lower",
            unit="share 0-1",
            minimum=0,
            maximum=1,
            transform=LinearTransform(low=0.60, high=0.95),
            missing="exclude",
            anchors=(
                Anchor(value=0.95, en="95 % satisfied or more", zh="满意率95%及以上"),
                Anchor(value=0.60, en="60 % satisfied or less", zh="满意率60%及以下"),
            ),
        ),
        Factor(
            name="complaints",
            label_en="petitions and complaints",
            label_zh="信访投诉",
            kind="count",
            unit="count/yr",
            minimum=0,
            transform=RateTransform(per="headcount", cap=1.0, prior_rate=0.1, prior_strength=2),
            core=True,
            anchors=(
                Anchor(value=0, en="no complaints", zh="无信访投诉"),
                Anchor(value=1, en="one complaint per head a year or more", zh="人均每年1件及以上"),
            ),
        ),
        Factor(
            name="cases",
            label_en="cases (substantiated violations)",
            label_zh="发案量",
            kind="count",
            unit="count/yr",
            minimum=0,
            transform=RateTransform(per="headcount", cap=0.2, prior_rate=0.01, prior_strength=2),
            core=True,
            anchors=(
                Anchor(value=0, en="no cases", zh="无案件"),
                Anchor(value=0.2, en="0.2 cases per head a year or more", zh="人均每年0.2件及以上"),
            ),
        ),
        Factor(
            name="media_exposure",
            label_en="media exposure",
            label_zh="媒体曝光率",
            kind="count",
            unit="count/yr",
            minimum=0,
            transform=LinearTransform(low=0, high=5),
            core=True,
            anchors=(
                Anchor(value=0, en="no reports", zh="无曝光"),
                Anchor(value=5, en="5 reports a year or more", zh="每年5次及以上"),
            ),
        ),
        Factor(
            name="consequence",
            label_en="consequence of violation",
            label_zh="违规行为后果",
            kind="ordinal",
            unit="1-3",
            minimum=1,
            maximum=3,
            transform=LinearTransform(low=1, high=3),
            anchors=(
                Anchor(value=1, en="minor: handled organisationally", zh="轻微：组织处理"),
                Anchor(value=2, en="disciplinary sanction", zh="党纪政纪处分"),
                Anchor(value=3, en="could constitute a crime", zh="可能构成犯罪"),
            ),
        ),
    )
    return FactorCatalog(name="sichuan_2012", factors=factors)
