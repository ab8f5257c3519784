"""Key domains (section 15 of the source document) and their roll-up.

Section 15 asks every body to guard against integrity risks "in 工程建设、土地出让、产权交易、
政府采购、资源开发和交易、食品药品安全、环境保护、安全生产、金融信贷以及选人用人" — ten key
domains (:data:`KEY_DOMAINS`, in the document's words and order). A risk point names its
domains in a ``key_domain`` column (重点领域; several separated by ``;``, ``、``, ``，`` or
``/``; empty = none). Values are checked against the list, which a caller can extend
(``extra``); an unknown domain is an error naming the row, never a silent new group.

:func:`rollup_domains` gives, per domain, the same figures as
:func:`~riskgrade.governance.disclosure.rollup_levels`; a point in two domains counts
in both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from riskgrade.governance.confidentiality import normalise_text
from riskgrade.governance.disclosure import rollup_levels
from riskgrade.governance.findings import findings_frame, raise_if_findings
from riskgrade.governance.graded import as_frame, is_missing, require_columns
from riskgrade.results import GradingResult

__all__ = ["KEY_DOMAINS", "KEY_DOMAIN_COLUMN", "parse_key_domains", "rollup_domains"]

#: The key domains of section 15, in its order.
KEY_DOMAINS: tuple[str, ...] = (
    "工程建设",
    "土地出让",
    "产权交易",
    "政府采购",
    "资源开发和交易",
    "食品药品安全",
    "环境保护",
    "安全生产",
    "金融信贷",
    "选人用人",
)
#: Canonical name of the key-domain column (重点领域).
KEY_DOMAIN_COLUMN = "key_domain"

_SPLIT = re.compile(r"[;；,，、/|]+")


def parse_key_domains(
    graded: GradingResult | pd.DataFrame,
    *,
    extra: Sequence[str] = (),
    column: str = KEY_DOMAIN_COLUMN,
    row_offset: int = 2,
) -> pd.Series:
    """The key domains of every point, checked.

    Parameters
    ----------
    graded : GradingResult or pandas.DataFrame
        Points with a ``key_domain`` column.
    extra : sequence of str
        Domains accepted besides :data:`KEY_DOMAINS` (local practice).
    column : str
        Column holding the domains.
    row_offset : int
        Added to the 0-based position in messages.

    Returns
    -------
    pandas.Series
        Tuple of domains per point (empty tuple for none), same index as the frame.

    Raises
    ------
    InventoryValidationError
        Listing every unknown domain with its row.

    Examples
    --------
    >>> import pandas as pd
    >>> g = pd.DataFrame({"risk_point_id": ["a", "b"], "key_domain": ["工程建设、政府采购", None]})
    >>> parse_key_domains(g).tolist()
    [('工程建设', '政府采购'), ()]
    """
    frame = as_frame(graded)
    require_columns(frame, [column], table="graded")
    allowed = {normalise_text(d): d for d in (*KEY_DOMAINS, *extra)}
    out: list[tuple[str, ...]] = []
    fails: list[dict[str, Any]] = []
    for i, v in enumerate(frame[column].to_numpy(dtype=object)):
        if is_missing(v):
            out.append(())
            continue
        names = []
        for part in _SPLIT.split(str(v)):
            if not part.strip():
                continue
            d = allowed.get(normalise_text(part))
            if d is None:
                fails.append(
                    {
                        "row": i,
                        "risk_point_id": frame["risk_point_id"].iloc[i],
                        "column": column,
                        "value": v,
                        "reason": "unknown_key_domain",
                        "message": f"file row {i + row_offset}: {part.strip()!r} is not a key domain "
                        f"(section 15: {'、'.join(KEY_DOMAINS)}; more can be configured)",
                        "table": "graded",
                    }
                )
            elif d not in names:
                names.append(d)
        order = {d: k for k, d in enumerate((*KEY_DOMAINS, *extra))}
        out.append(tuple(sorted(names, key=order.__getitem__)))
    if fails:
        raise_if_findings(findings_frame(fails), n_rows=len(frame))
    return pd.Series(out, index=frame.index, name=column, dtype=object)


def rollup_domains(
    graded: GradingResult | pd.DataFrame,
    *,
    extra: Sequence[str] = (),
    level_column: str = "level",
    column: str = KEY_DOMAIN_COLUMN,
) -> pd.DataFrame:
    """Highest level and counts per key domain (every domain listed, also with no point).

    Returns
    -------
    pandas.DataFrame
        ``key_domain`` in the document's order (then ``extra``), ``highest_level``
        (``<NA>`` without points), ``n_points``, ``n_level_1``, ``n_level_2``, ``n_level_3``.
    """
    frame = as_frame(graded)
    doms = parse_key_domains(frame, extra=extra, column=column)
    pos = np.repeat(np.arange(len(frame)), [len(t) for t in doms])
    long = pd.DataFrame(
        {
            "risk_point_id": [f"{frame['risk_point_id'].iloc[p]}#{k}" for k, p in enumerate(pos)],
            column: [d for t in doms for d in t],
            level_column: frame[level_column].to_numpy()[pos] if len(pos) else [],
        }
    )
    order = list(dict.fromkeys((*KEY_DOMAINS, *extra)))
    if len(long):
        r = rollup_levels(long, column, level_column=level_column).set_index(column)
    else:
        r = pd.DataFrame(columns=["highest_level", "n_points", "n_level_1", "n_level_2", "n_level_3"])
    r = r.reindex(order)
    counts = ["n_points", "n_level_1", "n_level_2", "n_level_3"]
    r[counts] = r[counts].fillna(0).astype("int64")
    r["highest_level"] = r["highest_level"].astype("Int64")
    r.index.name = column
    return r.reset_index()
