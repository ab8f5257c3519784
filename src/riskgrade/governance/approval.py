"""Levels with approval: proposed, computed and final levels; overrides.

Section 6 of the source document has the levels "approved collectively by the
leadership group according to the management authority" (按照管理权限由领导班子集体审定).
In practice a post self-declares a level, the model computes one, and the leading group
sets the final level. :func:`apply_overrides` records all three for every risk point:

* ``level_proposed`` — the self-declared level, when given;
* ``level_computed`` — the level of the grading (after the quota);
* ``level_final`` — the computed level, or the level of the override in force.

An :class:`Override` needs a justification, an approver and an approval date, and may
expire. On the date ``as_of`` an override is *active* if ``approved_on <= as_of`` and
(no expiry or ``as_of < expires_on``); it is *pending* before its approval date and
*expired* from its expiry date on. Of several active overrides of one point the latest
approval wins (the others are *superseded*); two active overrides of one point approved
on the same day are an error.

Level one is a scarce resource: where the final level-one count of a unit exceeds the
unit's cap (``quota_cap`` of the grading, else ``floor(max_share * n)``), every active
override that raised a point of that unit to level 1 must be a recorded exception
(``quota_exception=True``); otherwise :class:`~riskgrade.exceptions.PolicyError` names
each unit with its cap, its count and the overrides concerned.

Every applied and every expired override is appended to an
:class:`~riskgrade.governance.auditlog.AuditLog` when one is passed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from riskgrade.exceptions import PolicyError
from riskgrade.governance.auditlog import AuditLog
from riskgrade.governance.findings import findings_frame, raise_if_findings
from riskgrade.governance.graded import as_frame, display_width, require_columns
from riskgrade.grading import AUDIT_COLUMNS, unit_caps
from riskgrade.results import GradingResult

__all__ = [
    "APPROVAL_COLUMNS",
    "MIN_JUSTIFICATION_WIDTH",
    "Override",
    "apply_overrides",
    "override_audit",
    "overrides_from_frame",
]

#: Columns of the table returned by :func:`apply_overrides`.
APPROVAL_COLUMNS = [
    "risk_point_id",
    "unit_id",
    "level_proposed",
    "level_computed",
    "level_final",
    "overridden",
    "override_status",
    "override_approver",
    "override_approved_on",
    "override_expires_on",
    "override_justification",
    "override_quota_exception",
]


#: Smallest display width of a justification (see :class:`Override`).
MIN_JUSTIFICATION_WIDTH = 10


class Override(BaseModel):
    """A final level set by the approving body.

    Parameters
    ----------
    risk_point_id : str
        The risk point.
    level : {1, 2, 3}
        The final level.
    justification : str
        Why (mandatory): at least 10 columns of display width, where a wide
        character (Chinese, Japanese, Korean, full-width forms) counts 2 and any other
        character 1 (Unicode East Asian Width W/F), so five Chinese characters suffice
        where ten Latin letters are needed. White space at the ends does not count.
    approver : str
        Who approved (person or body, e.g. the unit's leading group).
    approved_on : date
        Date of approval; the override applies from this date.
    expires_on : date, optional
        The override no longer applies from this date.
    quota_exception : bool
        Recorded exception to the level-one quota: required when the override brings
        the unit above its cap.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    risk_point_id: str = Field(min_length=1)
    level: Literal[1, 2, 3]
    justification: str
    approver: str = Field(min_length=1)
    approved_on: date
    expires_on: date | None = None
    quota_exception: bool = False

    @field_validator("justification")
    @classmethod
    def _justified(cls, v: str) -> str:
        if display_width(v.strip()) < MIN_JUSTIFICATION_WIDTH:
            raise ValueError(
                f"a justification of at least {MIN_JUSTIFICATION_WIDTH} columns of display width "
                "(10 Latin letters or 5 Chinese characters) is mandatory"
            )
        return v

    @model_validator(mode="after")
    def _dates(self) -> Override:
        if self.expires_on is not None and self.expires_on <= self.approved_on:
            raise ValueError(f"expires_on ({self.expires_on}) must be after approved_on ({self.approved_on})")
        return self

    def status(self, as_of: date) -> Literal["pending", "active", "expired"]:
        """State of the override on ``as_of``."""
        if as_of < self.approved_on:
            return "pending"
        if self.expires_on is not None and as_of >= self.expires_on:
            return "expired"
        return "active"


def overrides_from_frame(frame: pd.DataFrame) -> list[Override]:
    """Read overrides from a table with the fields of :class:`Override` as columns.

    Raises
    ------
    InventoryValidationError
        Listing every invalid row, with the column and value.
    """
    require_columns(
        frame, ["risk_point_id", "level", "justification", "approver", "approved_on"], table="overrides"
    )
    out: list[Override] = []
    failures: list[dict[str, Any]] = []
    fields = set(Override.model_fields)
    for i, rec in enumerate(frame.to_dict(orient="records")):
        data: dict[str, Any] = {k: (None if _na(v) else v) for k, v in rec.items() if k in fields}
        data = {k: v for k, v in data.items() if v is not None or k == "justification"}
        for k in ("approved_on", "expires_on"):
            if isinstance(data.get(k), pd.Timestamp):
                data[k] = data[k].date()
        if data.get("justification") is None:
            data["justification"] = ""
        if "level" in data:
            with contextlib.suppress(TypeError, ValueError):
                data["level"] = int(data["level"])
        try:
            out.append(Override(**data))
        except ValidationError as err:
            for e in err.errors():
                col = str(e["loc"][0]) if e["loc"] else ""
                failures.append(
                    {
                        "row": i,
                        "risk_point_id": rec.get("risk_point_id"),
                        "column": col,
                        "value": rec.get(col),
                        "reason": "invalid_override",
                        "message": e["msg"],
                        "table": "overrides",
                    }
                )
    if failures:
        raise_if_findings(findings_frame(failures), n_rows=len(frame))
    return out


def _na(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def apply_overrides(
    graded: GradingResult | pd.DataFrame,
    overrides: Iterable[Override] | pd.DataFrame = (),
    *,
    as_of: date,
    proposed: Mapping[str, int] | pd.Series | None = None,
    log: AuditLog | None = None,
    max_share: float = 0.10,
) -> pd.DataFrame:
    """Proposed, computed and final level of every risk point on ``as_of``.

    Parameters
    ----------
    graded : GradingResult or pandas.DataFrame
        The grading (``risk_point_id``, ``unit_id``, ``level``; ``quota_cap`` if present).
    overrides : iterable of Override or pandas.DataFrame
        Overrides (a table is read with :func:`overrides_from_frame`).
    as_of : date
        Date on which the levels are determined (explicit: the clock is never read).
    proposed : mapping or pandas.Series, optional
        Self-declared level by risk point id; default the ``level_proposed`` column of
        ``graded`` when present.
    log : AuditLog, optional
        Receives one ``"override"`` entry per applied override and one
        ``"override_expired"`` entry per expired override, dated ``as_of``.
    max_share : float
        Level-one share used for the cap when ``graded`` has no ``quota_cap``.

    Returns
    -------
    pandas.DataFrame
        One row per risk point, sorted by ``unit_id`` and ``risk_point_id``, with
        :data:`APPROVAL_COLUMNS`.

    Raises
    ------
    InventoryValidationError
        Overrides for unknown risk points, two active overrides of one point approved
        the same day, or proposed levels outside 1..3 (all listed).
    PolicyError
        When overrides bring a unit above its level-one cap without
        ``quota_exception``.
    """
    frame = as_frame(graded)
    require_columns(frame, ["unit_id", "level"], table="graded")
    ovs = overrides_from_frame(overrides) if isinstance(overrides, pd.DataFrame) else list(overrides)
    ids = frame["risk_point_id"].astype(str).to_numpy()
    pos = {rid: i for i, rid in enumerate(ids)}
    failures: list[dict[str, Any]] = []

    # proposed levels
    n = len(frame)
    prop = np.full(n, np.nan)
    if proposed is None and "level_proposed" in frame.columns:
        prop = pd.to_numeric(frame["level_proposed"], errors="coerce").to_numpy(dtype=float)
    elif proposed is not None:
        for rid, lev in dict(proposed).items():
            if str(rid) not in pos:
                failures.append(
                    _f(
                        None,
                        rid,
                        "risk_point_id",
                        rid,
                        "unknown_risk_point",
                        f"proposed level for unknown risk point {rid!r}",
                        "proposed",
                    )
                )
            elif lev not in (1, 2, 3):
                failures.append(
                    _f(
                        None,
                        rid,
                        "level_proposed",
                        lev,
                        "invalid_level",
                        "proposed level must be 1, 2 or 3",
                        "proposed",
                    )
                )
            else:
                prop[pos[str(rid)]] = lev

    # overrides in force
    status: dict[int, str] = {}
    chosen: dict[str, Override] = {}
    by_point: dict[str, list[Override]] = {}
    for k, o in enumerate(ovs):
        if o.risk_point_id not in pos:
            failures.append(
                _f(
                    k,
                    o.risk_point_id,
                    "risk_point_id",
                    o.risk_point_id,
                    "unknown_risk_point",
                    f"override for risk point {o.risk_point_id!r}, which is not in the grading",
                    "overrides",
                )
            )
            continue
        by_point.setdefault(o.risk_point_id, []).append(o)
    expired: list[Override] = []
    for rid, lst in by_point.items():
        active = [o for o in lst if o.status(as_of) == "active"]
        expired += [o for o in lst if o.status(as_of) == "expired"]
        if not active:
            status[pos[rid]] = "expired" if any(o.status(as_of) == "expired" for o in lst) else "pending"
            continue
        latest = max(o.approved_on for o in active)
        top = [o for o in active if o.approved_on == latest]
        if len(top) > 1:
            failures.append(
                _f(
                    None,
                    rid,
                    "approved_on",
                    latest.isoformat(),
                    "conflicting_overrides",
                    f"{len(top)} active overrides of {rid!r} approved on {latest}: keep one",
                    "overrides",
                )
            )
            continue
        chosen[rid] = top[0]
        status[pos[rid]] = "active"
    if failures:
        raise_if_findings(findings_frame(failures), n_rows=n)

    computed = frame["level"].to_numpy(dtype=np.int64)
    final = computed.copy()
    cols: dict[str, list[Any]] = {
        k: [None] * n
        for k in (
            "override_approver",
            "override_approved_on",
            "override_expires_on",
            "override_justification",
        )
    }
    qexc = np.zeros(n, dtype=bool)
    for rid, o in chosen.items():
        i = pos[rid]
        final[i] = o.level
        cols["override_approver"][i] = o.approver
        cols["override_approved_on"][i] = o.approved_on
        cols["override_expires_on"][i] = o.expires_on
        cols["override_justification"][i] = o.justification
        qexc[i] = o.quota_exception

    units = frame["unit_id"].astype(str).to_numpy()
    _check_quota(frame, units, computed, final, chosen, pos, max_share)

    out = pd.DataFrame(
        {
            "risk_point_id": ids,
            "unit_id": units,
            "level_proposed": pd.array([None if np.isnan(v) else int(v) for v in prop], dtype="Int64"),
            "level_computed": computed,
            "level_final": final,
            "overridden": final != computed,
            "override_status": [status.get(i, "none") for i in range(n)],
            **cols,
            "override_quota_exception": qexc,
        }
    )
    out = out.sort_values(["unit_id", "risk_point_id"], kind="stable").reset_index(drop=True)

    if log is not None:
        for o in sorted(expired, key=lambda o: (o.risk_point_id, o.approved_on)):
            if o.risk_point_id in chosen:
                continue
            log.append(
                when=as_of,
                actor=o.approver,
                action="override_expired",
                subject=o.risk_point_id,
                field="level_final",
                old=o.level,
                new=int(computed[pos[o.risk_point_id]]),
                reason=f"override approved {o.approved_on} expired on {o.expires_on}",
            )
        for rid in sorted(chosen):
            o = chosen[rid]
            extra = "; recorded exception to the level-one quota" if o.quota_exception else ""
            log.append(
                when=as_of,
                actor=o.approver,
                action="override",
                subject=rid,
                field="level_final",
                old=int(computed[pos[rid]]),
                new=o.level,
                reason=f"{o.justification} (approved {o.approved_on}"
                + (f", expires {o.expires_on}" if o.expires_on else "")
                + f"){extra}",
            )
    return out[APPROVAL_COLUMNS]


def _check_quota(
    frame: pd.DataFrame,
    units: np.ndarray,
    computed: np.ndarray,
    final: np.ndarray,
    chosen: dict[str, Override],
    pos: dict[str, int],
    max_share: float,
) -> None:
    uniq, inv = np.unique(units, return_inverse=True)
    n_u = np.bincount(inv, minlength=len(uniq))
    if "quota_cap" in frame.columns:
        caps = (
            pd.Series(frame["quota_cap"].to_numpy(dtype=np.int64))
            .groupby(inv)
            .max()
            .reindex(range(len(uniq)))
            .to_numpy()
        )
    else:
        caps = unit_caps(n_u, max_share)
    count = np.bincount(inv, weights=(final == 1), minlength=len(uniq)).astype(np.int64)
    problems = []
    for u in np.flatnonzero(count > caps):
        raising = sorted(
            rid
            for rid, o in chosen.items()
            if inv[pos[rid]] == u and o.level == 1 and computed[pos[rid]] != 1
        )
        missing = [rid for rid in raising if not chosen[rid].quota_exception]
        if missing:
            problems.append(
                f"unit_id {uniq[u]}: cap {int(caps[u])} of {int(n_u[u])} points, {int(count[u])} level-one "
                f"after overrides; override(s) {missing} raise points to level 1 without quota_exception=True"
            )
    if problems:
        raise PolicyError("overrides breach the level-one quota:\n  " + "\n  ".join(problems))


def _f(row: Any, rid: Any, col: str, value: Any, reason: str, msg: str, table: str) -> dict[str, Any]:
    return {
        "row": row,
        "risk_point_id": rid,
        "column": col,
        "value": value,
        "reason": reason,
        "message": msg,
        "table": table,
    }


def override_audit(
    approval: pd.DataFrame, graded: GradingResult | pd.DataFrame | None = None
) -> pd.DataFrame:
    """Applied overrides as rows of the grading audit table (``GradingResult.audit`` columns).

    Parameters
    ----------
    approval : pandas.DataFrame
        The table of :func:`apply_overrides`.
    graded : GradingResult or pandas.DataFrame, optional
        The grading, for ``score``, ``rank_in_unit``, ``n_in_unit`` and ``quota_cap``.

    Returns
    -------
    pandas.DataFrame
        :data:`riskgrade.grading.AUDIT_COLUMNS` with ``action`` ``"override"`` (or
        ``"override_quota_exception"``), one row per overridden point, sorted by unit and id;
        ready to concatenate with ``GradingResult.audit``.
    """
    a = approval[approval["overridden"].to_numpy(dtype=bool)].copy()
    extra = pd.DataFrame(index=a["risk_point_id"].astype(str))
    if graded is not None:
        f = as_frame(graded)
        f = f.set_index(f["risk_point_id"].astype(str))
        for col, src in (
            ("score", "score"),
            ("rank_in_unit", "rank_in_unit"),
            ("n_in_unit", "n_in_unit"),
            ("cap", "quota_cap"),
        ):
            if src in f.columns:
                extra[col] = f[src].reindex(extra.index).to_numpy()
    out = pd.DataFrame(
        {
            "unit_id": a["unit_id"].to_numpy(),
            "risk_point_id": a["risk_point_id"].to_numpy(),
            "action": np.where(
                a["override_quota_exception"].to_numpy(dtype=bool), "override_quota_exception", "override"
            ),
            "level_from": a["level_computed"].to_numpy(),
            "level_to": a["level_final"].to_numpy(),
            "score": extra["score"].to_numpy() if "score" in extra else np.nan,
            "cutoff_score": np.nan,
            "rank_in_unit": extra["rank_in_unit"].to_numpy() if "rank_in_unit" in extra else pd.NA,
            "n_in_unit": extra["n_in_unit"].to_numpy() if "n_in_unit" in extra else pd.NA,
            "cap": extra["cap"].to_numpy() if "cap" in extra else pd.NA,
            "tie": False,
            "reason": [
                f"override approved by {ap} on {d}: {j}"
                for ap, d, j in zip(
                    a["override_approver"],
                    a["override_approved_on"],
                    a["override_justification"],
                    strict=True,
                )
            ],
        }
    )
    return out[AUDIT_COLUMNS].reset_index(drop=True)
