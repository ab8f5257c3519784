"""Owners: who answers for each risk point, by level.

Section 7 of the source document: "for the prevention and control of a level-one risk
point, the unit's principal leader bears overall responsibility, the leader in charge
bears important leadership responsibility, and the person concerned bears direct
responsibility; the responsibility for level-two and level-three points follows by
analogy" (对一级风险点的防控，由单位主要领导负总责，分管负责人承担重要领导责任，本人负直接
责任；以此类推落实二、三级风险点的防控责任).

The organisation is given as three tables:

* ``units``: ``unit_id``, ``principal_leader`` (主要领导) and, optionally,
  ``leader_in_charge`` (the unit leader in charge of unit-level matters, 分管负责人);
* ``divisions``: ``division_id``, ``leader_in_charge`` (the unit leader in charge of the
  division, 分管负责人) and, optionally, ``division_head`` (处/科室负责人);
* ``posts``: ``post_id``, ``holder`` (the person in the post, 本人).

"By analogy" is read one step down the hierarchy (the default
:class:`ResponsibilityMapping`):

* level 1: overall (负总责) ``principal_leader``; important leadership (重要领导责任)
  ``leader_in_charge``; direct (直接责任) the direct party;
* level 2: overall ``leader_in_charge``; important leadership ``division_head``; direct the
  direct party;
* level 3: overall ``division_head``; direct the direct party.

The *direct party* depends on the scope of the risk point: the post holder for a post
risk, the division head for a division risk, the principal leader for a unit risk
(``direct_by_scope``). Both tables are configurable.

**Unit-level points.** A point of scope ``unit`` belongs to no division: its leader in
charge is the ``leader_in_charge`` of the units table, and the division head's
responsibility does not apply to it (no owner row, no finding). A missing owner is thus
reported only where the tables truly lack the person. A level-one point without a named
person for every responsibility is an ``"error"`` finding; at levels 2 and 3 a missing
person is a ``"warning"``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskgrade.governance.findings import findings_frame, raise_if_findings
from riskgrade.governance.graded import as_frame, is_missing, missing_mask, require_columns
from riskgrade.results import GradingResult

__all__ = ["ORG_ROLES", "OWNER_COLUMNS", "OwnerAssignment", "ResponsibilityMapping", "assign_owners"]

OrgRole = Literal["principal_leader", "leader_in_charge", "division_head", "post_holder"]

#: Organisation roles: (table, key column, person column).
ORG_ROLES: dict[str, tuple[str, str, str]] = {
    "principal_leader": ("units", "unit_id", "principal_leader"),
    "leader_in_charge": ("divisions", "division_id", "leader_in_charge"),
    "division_head": ("divisions", "division_id", "division_head"),
    "post_holder": ("posts", "post_id", "holder"),
}

#: Columns of :attr:`OwnerAssignment.owners`.
OWNER_COLUMNS = [
    "risk_point_id",
    "unit_id",
    "level",
    "responsibility",
    "org_role",
    "org_id",
    "person",
    "missing",
]


def _default_direct_by_scope() -> dict[str, OrgRole]:
    """Default :attr:`ResponsibilityMapping.direct_by_scope`."""
    return {"post": "post_holder", "division": "division_head", "unit": "principal_leader"}


class ResponsibilityMapping(BaseModel):
    """Which organisation role bears which responsibility at each level.

    Parameters
    ----------
    levels : dict of int to dict of str to str
        For each level, ``{responsibility: org role}``; the org role ``"direct"`` stands
        for the direct party of ``direct_by_scope``. Responsibilities are listed in the
        output in this order.
    direct_by_scope : dict of str to str
        Org role of the direct party by the risk point's ``scope``.
    default_scope : str
        Scope assumed when the grading has no ``scope`` column or the cell is empty.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    levels: dict[int, dict[str, str]] = Field(
        default_factory=lambda: {
            1: {"overall": "principal_leader", "leadership": "leader_in_charge", "direct": "direct"},
            2: {"overall": "leader_in_charge", "leadership": "division_head", "direct": "direct"},
            3: {"overall": "division_head", "direct": "direct"},
        }
    )
    direct_by_scope: dict[str, OrgRole] = Field(default_factory=_default_direct_by_scope)
    default_scope: str = "post"

    @model_validator(mode="after")
    def _check(self) -> ResponsibilityMapping:
        if set(self.levels) != {1, 2, 3}:
            raise ValueError(f"levels must map each of 1, 2, 3; got {sorted(self.levels)}")
        for lev, m in self.levels.items():
            for resp, role in m.items():
                if role != "direct" and role not in ORG_ROLES:
                    raise ValueError(
                        f"levels[{lev}][{resp!r}] = {role!r}: expected 'direct' or one of {sorted(ORG_ROLES)}"
                    )
        if self.default_scope not in self.direct_by_scope:
            raise ValueError(f"default_scope {self.default_scope!r} is not a key of direct_by_scope")
        return self


class OwnerAssignment:
    """Owners of every graded risk point and the findings about them.

    Attributes
    ----------
    owners : pandas.DataFrame
        Long table, one row per risk point and responsibility (:data:`OWNER_COLUMNS`),
        sorted by ``unit_id``, ``risk_point_id`` and the mapping's order.
    findings : pandas.DataFrame
        Missing owners and unknown organisation keys (findings table).
    """

    def __init__(self, owners: pd.DataFrame, findings: pd.DataFrame) -> None:
        self.owners = owners
        self.findings = findings

    def __repr__(self) -> str:
        return f"OwnerAssignment(rows={len(self.owners)}, findings={len(self.findings)})"

    def wide(self) -> pd.DataFrame:
        """One row per risk point, one column per responsibility (the person)."""
        o = self.owners
        w = o.pivot(index="risk_point_id", columns="responsibility", values="person")
        order = list(dict.fromkeys(o["responsibility"]))
        w = w.reindex(columns=order)
        w.columns.name = None
        first = o.drop_duplicates("risk_point_id").set_index("risk_point_id")[["unit_id", "level"]]
        return first.join(w).reset_index()

    def points_without_owners(self, level: int | None = 1) -> pd.Series:
        """Sorted ids of points (of ``level``; all if None) lacking at least one owner."""
        o = self.owners if level is None else self.owners[self.owners["level"] == level]
        return pd.Series(
            sorted(o.loc[o["missing"], "risk_point_id"].unique()), name="risk_point_id", dtype=object
        )

    def validate(self) -> None:
        """Raise :class:`~riskgrade.exceptions.InventoryValidationError` on any error finding."""
        raise_if_findings(self.findings)


def _lookup(table: pd.DataFrame | None, name: str, key: str, person: str, failures: list) -> dict[str, str]:
    if table is None:
        return {}
    require_columns(table, [key], table=name)
    if person not in table.columns:
        return {}
    out: dict[str, str] = {}
    keys = table[key].astype(str).to_numpy()
    vals = table[person].to_numpy()
    seen: dict[str, int] = {}
    for i, (k, v) in enumerate(zip(keys, vals, strict=True)):
        if k in seen and out.get(k) != (None if is_missing(v) else str(v)):
            failures.append(
                {
                    "row": i,
                    "column": key,
                    "value": k,
                    "reason": "conflicting_org_entry",
                    "message": f"{name} lists {key} {k!r} twice with different {person} "
                    f"(rows {seen[k]} and {i})",
                    "table": name,
                }
            )
            continue
        seen.setdefault(k, i)
        if not is_missing(v):
            out[k] = str(v)
        else:
            out.setdefault(k, None)  # type: ignore[arg-type]
    return out


def assign_owners(
    graded: GradingResult | pd.DataFrame,
    *,
    units: pd.DataFrame,
    divisions: pd.DataFrame | None = None,
    posts: pd.DataFrame | None = None,
    mapping: ResponsibilityMapping | None = None,
    level_column: str = "level",
) -> OwnerAssignment:
    """Assign the responsible persons of every risk point from the organisation tables.

    Parameters
    ----------
    graded : GradingResult or pandas.DataFrame
        Graded points with ``risk_point_id``, ``unit_id``, the level column and, where
        used, ``division_id``, ``post_id`` and ``scope``.
    units, divisions, posts : pandas.DataFrame
        Organisation tables (see the module docstring).
    mapping : ResponsibilityMapping, optional
        Responsibility by level (default: section 7 read one step down).
    level_column : str
        Column with the level to use (``"level"``; ``"level_final"`` after overrides).

    Returns
    -------
    OwnerAssignment

    Raises
    ------
    InventoryValidationError
        When a required column is missing or an organisation table names one key
        twice with different persons (all listed). Missing owners are findings, not
        errors: call :meth:`OwnerAssignment.validate` to make them fatal.

    Examples
    --------
    >>> import pandas as pd
    >>> g = pd.DataFrame({"risk_point_id": ["r1"], "unit_id": ["u1"], "division_id": ["d1"],
    ...                   "post_id": ["p1"], "scope": ["post"], "level": [1]})
    >>> a = assign_owners(g, units=pd.DataFrame({"unit_id": ["u1"], "principal_leader": ["Li"]}),
    ...                   divisions=pd.DataFrame({"division_id": ["d1"], "leader_in_charge": ["Wang"]}),
    ...                   posts=pd.DataFrame({"post_id": ["p1"], "holder": ["Zhao"]}))
    >>> a.wide()[["overall", "leadership", "direct"]].iloc[0].tolist()
    ['Li', 'Wang', 'Zhao']
    """
    mapping = mapping or ResponsibilityMapping()
    frame = as_frame(graded)
    require_columns(frame, ["unit_id", level_column], table="graded")
    failures: list[dict[str, Any]] = []
    tables = {"units": units, "divisions": divisions, "posts": posts}
    people = {
        role: _lookup(tables[t], t, key, person, failures) for role, (t, key, person) in ORG_ROLES.items()
    }
    if failures:
        raise_if_findings(findings_frame(failures))

    frame = frame.sort_values(["unit_id", "risk_point_id"], kind="stable").reset_index(drop=True)
    n = len(frame)

    def col(name: str) -> np.ndarray:
        if name not in frame:
            return np.full(n, None, dtype=object)
        v = frame[name].astype(object).to_numpy()
        miss = missing_mask(frame[name])
        out = np.array([str(x) for x in v], dtype=object)
        out[miss] = None
        return out

    keys = {k: col(k) for k in ("unit_id", "division_id", "post_id")}
    scopes = col("scope")
    scopes[scopes == None] = mapping.default_scope  # noqa: E711
    levels = pd.to_numeric(frame[level_column], errors="coerce").to_numpy(dtype=float)
    rids = frame["risk_point_id"].astype(object).to_numpy()
    bad = ~np.isin(levels, [1.0, 2.0, 3.0])
    findings: list[dict[str, Any]] = [
        {
            "risk_point_id": rids[i],
            "column": level_column,
            "value": levels[i],
            "reason": "invalid_level",
            "message": "level must be 1, 2 or 3",
            "table": "graded",
        }
        for i in np.flatnonzero(bad)
    ]
    default_direct = mapping.direct_by_scope[mapping.default_scope]
    direct = np.array([mapping.direct_by_scope.get(str(sc), default_direct) for sc in scopes], dtype=object)
    chunks = []
    unit_lic = _lookup(units, "units", "unit_id", "leader_in_charge", failures)
    if failures:
        raise_if_findings(findings_frame(failures))
    at_unit = np.array([str(sc) == "unit" for sc in scopes], dtype=bool)
    for lev in (1, 2, 3):
        sel_all = np.flatnonzero(levels == lev)
        if not len(sel_all):
            continue
        for ro, (resp, role) in enumerate(mapping.levels[lev].items()):
            roles_all = direct[sel_all] if role == "direct" else np.full(len(sel_all), role, dtype=object)
            keep = ~(at_unit[sel_all] & (roles_all == "division_head"))  # no division at unit level
            sel, roles = sel_all[keep], roles_all[keep]
            org_id = np.empty(len(sel), dtype=object)
            person = np.empty(len(sel), dtype=object)
            for r in np.unique(roles.astype(str)):
                m = roles == r
                ids = keys[ORG_ROLES[r][1]][sel[m]]
                look = people[r]
                if r == "leader_in_charge":
                    u = at_unit[sel[m]]
                    ids = np.where(u, keys["unit_id"][sel[m]], ids)
                    found = [
                        None if i is None else (unit_lic.get(i) if ui else look.get(i))
                        for i, ui in zip(ids, u, strict=True)
                    ]
                else:
                    found = [None if i is None else look.get(i) for i in ids]
                org_id[m] = ids
                person[m] = found
            chunks.append(
                pd.DataFrame(
                    {
                        "risk_point_id": rids[sel],
                        "unit_id": keys["unit_id"][sel],
                        "level": lev,
                        "responsibility": resp,
                        "org_role": roles,
                        "org_id": org_id,
                        "person": person,
                        "_pos": sel,
                        "_ro": ro,
                    }
                )
            )
    if chunks:
        owners = pd.concat(chunks, ignore_index=True).sort_values(["_pos", "_ro"], kind="stable")
    else:
        owners = pd.DataFrame(columns=[*OWNER_COLUMNS, "_pos", "_ro"])
    owners["missing"] = owners["person"].isna().to_numpy(dtype=bool)
    unit_rids = set(rids[at_unit].tolist())
    for rec in owners[owners["missing"]].itertuples(index=False):
        tbl, key_col, pcol = ORG_ROLES[rec.org_role]
        if rec.org_role == "leader_in_charge" and rec.risk_point_id in unit_rids:
            tbl, key_col = "units", "unit_id"
        why = (
            f"no {key_col} on the risk point"
            if is_missing(rec.org_id)
            else f"{tbl} table names no {pcol} for {key_col} {rec.org_id!r}"
        )
        findings.append(
            {
                "risk_point_id": rec.risk_point_id,
                "column": key_col,
                "value": None if is_missing(rec.org_id) else rec.org_id,
                "reason": "missing_owner",
                "message": (
                    f"level-{rec.level} point has no {rec.responsibility} owner ({rec.org_role}): {why}"
                ),
                "severity": "error" if rec.level == 1 else "warning",
                "table": "graded",
            }
        )
    owners = owners[OWNER_COLUMNS].reset_index(drop=True)
    owners["level"] = owners["level"].astype("int64")
    owners["missing"] = owners["missing"].astype(bool)
    return OwnerAssignment(owners.reset_index(drop=True), findings_frame(findings))
