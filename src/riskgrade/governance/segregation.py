"""Segregation of duties: powers that must not sit in one hand.

Section 8 of the source document (优化结构防控) asks for separated powers in six
domains; the default rules are exactly those:

=========================  ==============================================  =========================
domain                     roles that must be held separately              source wording
=========================  ==============================================  =========================
investment_project         invest, build, supervise, use                   投资、建设、监管、使用分离
public_resource_trading    manage, handle, review, supervise               主管、办理、评审、监督分离
procurement                manage, buy, supervise                          管、采、监分离
penalty_enforcement        investigate, decide, execute                    调查、决定和执行分离
special_funds              review, decide, evaluate                        评审、决定和绩效评估分离
expert_review              review, decide                                  审裁分离
expert_management          manage, use                                     对专家管用分离
=========================  ==============================================  =========================

A rule is data (:class:`SegregationRule`): a domain, its roles, and the pairs of roles
that conflict (default: every pair). Rules can be added or replaced.

The assignments table has one row per holder of a role in a matter: ``matter_id``,
``domain``, ``role`` and one or more holder columns (``post_id``, ``person``, ...).
A conflict is one holder holding two conflicting roles in the same matter;
:func:`check_segregation` lists every one, for each holder column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskgrade.governance.findings import findings_frame, raise_if_findings
from riskgrade.governance.graded import is_missing, missing_mask, require_columns

__all__ = ["CONFLICT_COLUMNS", "DEFAULT_RULES", "SegregationRule", "check_segregation"]

#: Columns of the conflicts table.
CONFLICT_COLUMNS = ["domain", "matter_id", "holder_column", "holder", "role_a", "role_b", "rule", "source"]


class SegregationRule(BaseModel):
    """Roles of one domain that must be held by different holders.

    Parameters
    ----------
    domain : str
        Domain name (matched against the ``domain`` column).
    roles : tuple of str
        Roles of the domain.
    conflicts : tuple of (str, str), optional
        Pairs of roles that must not be held together; default every pair of ``roles``.
    source : str
        Where the rule comes from.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    domain: str = Field(min_length=1)
    roles: tuple[str, ...]
    conflicts: tuple[tuple[str, str], ...] | None = None
    source: str = ""

    @model_validator(mode="after")
    def _check(self) -> SegregationRule:
        if len(set(self.roles)) != len(self.roles) or len(self.roles) < 2:
            raise ValueError(f"rule {self.domain!r}: roles must be at least two distinct names")
        for a, b in self.conflicts or ():
            bad = [r for r in (a, b) if r not in self.roles]
            if bad or a == b:
                raise ValueError(
                    f"rule {self.domain!r}: conflict ({a!r}, {b!r}) must pair two of {self.roles}"
                )
        return self

    def conflict_pairs(self) -> set[frozenset[str]]:
        """The conflicting pairs as unordered sets."""
        pairs = self.conflicts if self.conflicts is not None else tuple(combinations(self.roles, 2))
        return {frozenset(p) for p in pairs}


_S8 = "川纪发〔2012〕16号 section 8"

#: The six domains of section 8 (expert reviews as two rules).
DEFAULT_RULES: tuple[SegregationRule, ...] = (
    SegregationRule(domain="investment_project", roles=("invest", "build", "supervise", "use"), source=_S8),
    SegregationRule(
        domain="public_resource_trading", roles=("manage", "handle", "review", "supervise"), source=_S8
    ),
    SegregationRule(domain="procurement", roles=("manage", "buy", "supervise"), source=_S8),
    SegregationRule(domain="penalty_enforcement", roles=("investigate", "decide", "execute"), source=_S8),
    SegregationRule(domain="special_funds", roles=("review", "decide", "evaluate"), source=_S8),
    SegregationRule(domain="expert_review", roles=("review", "decide"), source=_S8),
    SegregationRule(domain="expert_management", roles=("manage", "use"), source=_S8),
)


def check_segregation(
    assignments: pd.DataFrame,
    rules: Iterable[SegregationRule] = DEFAULT_RULES,
    *,
    holders: Sequence[str] = ("post_id", "person"),
    unknown_domain: str = "raise",
) -> pd.DataFrame:
    """List every holder who holds two conflicting roles in one matter.

    Parameters
    ----------
    assignments : pandas.DataFrame
        ``matter_id``, ``domain``, ``role`` and the holder columns present among
        ``holders`` (at least one).
    rules : iterable of SegregationRule
        The rules (default :data:`DEFAULT_RULES`); a later rule for the same domain
        replaces an earlier one, so ``[*DEFAULT_RULES, my_rule]`` extends or overrides.
    holders : sequence of str
        Holder columns checked, each on its own (a post, a person).
    unknown_domain : {"raise", "ignore"}
        What to do with rows whose domain has no rule.

    Returns
    -------
    pandas.DataFrame
        :data:`CONFLICT_COLUMNS`, one row per holder and conflicting pair, sorted.

    Raises
    ------
    InventoryValidationError
        Listing every row with an unknown domain (unless ignored), a role outside its
        domain's rule, or an empty matter, domain or role.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"matter_id": ["P1", "P1", "P1"], "domain": ["procurement"] * 3,
    ...                   "role": ["manage", "buy", "supervise"], "person": ["Li", "Li", "Wang"]})
    >>> check_segregation(a)[["holder", "role_a", "role_b"]].values.tolist()
    [['Li', 'buy', 'manage']]
    """
    if unknown_domain not in ("raise", "ignore"):
        raise ValueError(f"unknown_domain must be 'raise' or 'ignore', got {unknown_domain!r}")
    require_columns(assignments, ["matter_id", "domain", "role"], table="assignments")
    hcols = [h for h in holders if h in assignments.columns]
    if not hcols:
        require_columns(assignments, list(holders)[:1], table="assignments")
    by_domain = {r.domain: r for r in rules}
    a = assignments.reset_index(drop=True)
    fails: list[dict[str, Any]] = []
    keep = []
    for i, rec in enumerate(a[["matter_id", "domain", "role"]].itertuples(index=False)):
        empty = [c for c, v in zip(("matter_id", "domain", "role"), rec, strict=True) if is_missing(v)]
        for c in empty:
            fails.append(_fail(i, c, None, "missing_value", f"{c} must not be empty"))
        if empty:
            continue
        rule = by_domain.get(str(rec.domain))
        if rule is None:
            if unknown_domain == "raise":
                fails.append(
                    _fail(
                        i,
                        "domain",
                        rec.domain,
                        "unknown_domain",
                        f"no segregation rule; known: {sorted(by_domain)}",
                    )
                )
            continue
        if str(rec.role) not in rule.roles:
            fails.append(
                _fail(
                    i,
                    "role",
                    rec.role,
                    "unknown_role",
                    f"domain {rule.domain!r} has roles {list(rule.roles)}",
                )
            )
            continue
        keep.append(i)
    if fails:
        raise_if_findings(findings_frame(fails), n_rows=len(a))

    rows: list[dict[str, Any]] = []
    sub = a.iloc[keep]
    for h in hcols:
        s = sub[~missing_mask(sub[h])]
        k = pd.DataFrame(
            {
                "domain": s["domain"].astype(str).to_numpy(),
                "matter_id": s["matter_id"].astype(str).to_numpy(),
                "holder": s[h].astype(str).to_numpy(),
                "role": s["role"].astype(str).to_numpy(),
            }
        )
        for (dom, matter, holder), g in k.groupby(["domain", "matter_id", "holder"], sort=True):
            rule = by_domain[dom]
            held = sorted(set(g["role"].astype(str)))
            for ra, rb in combinations(held, 2):
                if frozenset((ra, rb)) in rule.conflict_pairs():
                    rows.append(
                        {
                            "domain": dom,
                            "matter_id": matter,
                            "holder_column": h,
                            "holder": holder,
                            "role_a": ra,
                            "role_b": rb,
                            "rule": f"{dom}: {' / '.join(rule.roles)} separated",
                            "source": rule.source,
                        }
                    )
    out = pd.DataFrame(rows, columns=CONFLICT_COLUMNS)
    return out.sort_values(
        ["domain", "matter_id", "holder_column", "holder", "role_a", "role_b"]
    ).reset_index(drop=True)


def _fail(i: int, col: str, value: Any, reason: str, msg: str) -> dict[str, Any]:
    return {"row": i, "column": col, "value": value, "reason": reason, "message": msg, "table": "assignments"}
