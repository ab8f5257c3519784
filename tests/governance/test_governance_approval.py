"""Overrides, final levels and the append-only audit log (riskgrade.governance.approval, .auditlog)."""

from __future__ import annotations

import doctest
import importlib
import json
from datetime import date, datetime

import pandas as pd
import pytest
from pydantic import ValidationError

import riskgrade as rg
from riskgrade.exceptions import ConfigError, InventoryValidationError, PolicyError
from riskgrade.governance import AuditLog, Override, apply_overrides, override_audit, overrides_from_frame
from riskgrade.grading import AUDIT_COLUMNS

GOV_MODULES = [
    "auditlog",
    "approval",
    "owners",
    "controls",
    "segregation",
    "cards",
    "warning_rules",
    "reassessment",
    "disclosure",
    "compliance",
]


@pytest.mark.parametrize("name", GOV_MODULES)
def test_docstring_examples_run(name):
    mod = importlib.import_module(f"riskgrade.governance.{name}")
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0


def graded(n=20, n_l1=2):
    """One unit of n points (cap floor(0.1 n)), the first n_l1 at level 1."""
    lev = [1] * n_l1 + [2] * 3 + [3] * (n - n_l1 - 3)
    return pd.DataFrame(
        {
            "risk_point_id": [f"r{i:02d}" for i in range(n)],
            "unit_id": "u1",
            "level": lev,
            "quota_cap": n // 10,
        }
    )


OK = "collective decision of the leading group, 2024-03-01"


def ov(rid, level, **kw):
    base = dict(
        risk_point_id=rid,
        level=level,
        justification=OK,
        approver="leading group",
        approved_on=date(2024, 3, 1),
    )
    base.update(kw)
    return Override(**base)


def test_no_overrides_final_equals_computed():
    out = apply_overrides(graded(), [], as_of=date(2024, 6, 1))
    assert (out["level_final"] == out["level_computed"]).all()
    assert (out["override_status"] == "none").all()
    assert out["level_proposed"].isna().all()


def test_override_sets_final_level_and_is_logged():
    log = AuditLog()
    out = apply_overrides(graded(), [ov("r05", 2)], as_of=date(2024, 6, 1), log=log)
    row = out.set_index("risk_point_id").loc["r05"]
    assert row["level_computed"] == 3 and row["level_final"] == 2 and row["overridden"]
    assert row["override_approver"] == "leading group"
    assert len(log) == 1
    e = log[0]
    assert (e.action, e.subject, e.old, e.new, e.actor) == ("override", "r05", 3, 2, "leading group")
    assert OK in e.reason


@pytest.mark.parametrize("just", ["", "   ", "too short", "理由不足", "  理由  "])
def test_justification_is_mandatory(just):
    with pytest.raises(ValidationError, match="justification"):
        ov("r05", 2, justification=just)


@pytest.mark.parametrize("just", ["经领导班子研究", "涉及资金量大", "reason ok!", "资金量大ab"])
def test_chinese_justification_counts_by_display_width(just):
    """Seven (or five) Chinese characters take as much room as ten Latin letters."""
    assert ov("r05", 2, justification=just).justification == just


def test_expiry_must_follow_approval():
    with pytest.raises(ValidationError, match="expires_on"):
        ov("r05", 2, expires_on=date(2024, 3, 1))


def test_expired_override_is_not_applied_and_logged():
    log = AuditLog()
    o = ov("r05", 2, expires_on=date(2024, 5, 1))
    assert o.status(date(2024, 4, 30)) == "active"
    assert o.status(date(2024, 5, 1)) == "expired"
    out = apply_overrides(graded(), [o], as_of=date(2024, 6, 1), log=log).set_index("risk_point_id")
    assert out.loc["r05", "level_final"] == 3
    assert out.loc["r05", "override_status"] == "expired"
    assert [e.action for e in log] == ["override_expired"]


def test_pending_override_is_not_applied():
    out = apply_overrides(graded(), [ov("r05", 2, approved_on=date(2024, 7, 1))], as_of=date(2024, 6, 1))
    out = out.set_index("risk_point_id")
    assert out.loc["r05", "level_final"] == 3 and out.loc["r05", "override_status"] == "pending"


def test_latest_active_override_wins():
    a = ov("r05", 2, approved_on=date(2024, 1, 1))
    b = ov("r05", 3, approved_on=date(2024, 2, 1))
    c = ov("r05", 1, approved_on=date(2023, 1, 1), expires_on=date(2023, 6, 1), quota_exception=True)
    out = apply_overrides(graded(), [c, b, a], as_of=date(2024, 6, 1)).set_index("risk_point_id")
    assert out.loc["r05", "level_final"] == 3


def test_conflicting_and_unknown_overrides_all_reported():
    bad = [ov("r05", 2), ov("r05", 1, quota_exception=True), ov("nope", 2)]
    with pytest.raises(InventoryValidationError) as ei:
        apply_overrides(graded(), bad, as_of=date(2024, 6, 1))
    assert ei.value.reasons == {"conflicting_overrides", "unknown_risk_point"}


def test_override_breaching_quota_raises_naming_unit_cap_count():
    # 20 points, cap 2, already 2 at level 1: raising one more breaches the cap
    with pytest.raises(PolicyError) as ei:
        apply_overrides(graded(20, 2), [ov("r10", 1)], as_of=date(2024, 6, 1))
    msg = str(ei.value)
    assert "unit_id u1" in msg and "cap 2" in msg and "3 level-one" in msg and "r10" in msg


def test_override_breaching_quota_allowed_as_recorded_exception():
    log = AuditLog()
    out = apply_overrides(
        graded(20, 2), [ov("r10", 1, quota_exception=True)], as_of=date(2024, 6, 1), log=log
    )
    assert (out["level_final"] == 1).sum() == 3
    assert out.set_index("risk_point_id").loc["r10", "override_quota_exception"]
    assert "exception to the level-one quota" in log[0].reason


def test_override_within_cap_and_swap_allowed():
    # lower one level-one point and raise another: count stays at the cap
    out = apply_overrides(graded(20, 2), [ov("r00", 2), ov("r10", 1)], as_of=date(2024, 6, 1))
    assert (out["level_final"] == 1).sum() == 2


def test_cap_from_max_share_without_quota_cap_column():
    g = graded(20, 2).drop(columns="quota_cap")
    with pytest.raises(PolicyError, match="cap 2"):
        apply_overrides(g, [ov("r10", 1)], as_of=date(2024, 6, 1))
    apply_overrides(g, [ov("r10", 1)], as_of=date(2024, 6, 1), max_share=0.15)


def test_proposed_levels_recorded_and_checked():
    out = apply_overrides(graded(), [], as_of=date(2024, 6, 1), proposed={"r00": 2, "r03": 3})
    p = out.set_index("risk_point_id")["level_proposed"]
    assert p["r00"] == 2 and p["r03"] == 3 and pd.isna(p["r01"])
    with pytest.raises(InventoryValidationError) as ei:
        apply_overrides(graded(), [], as_of=date(2024, 6, 1), proposed={"r00": 4, "zz": 1})
    assert ei.value.reasons == {"invalid_level", "unknown_risk_point"}


def test_overrides_from_frame_collects_every_bad_row():
    df = pd.DataFrame(
        {
            "risk_point_id": ["r01", "r02", "r03"],
            "level": [2, 5, 1],
            "justification": [OK, OK, None],
            "approver": ["g", "g", "g"],
            "approved_on": ["2024-03-01", "2024-03-01", "not a date"],
        }
    )
    with pytest.raises(InventoryValidationError) as ei:
        overrides_from_frame(df)
    fc = ei.value.failure_cases
    assert set(zip(fc["row"], fc["column"], strict=True)) == {
        (1, "level"),
        (2, "justification"),
        (2, "approved_on"),
    }
    good = overrides_from_frame(df.iloc[:1])
    assert good[0].level == 2 and good[0].approved_on == date(2024, 3, 1)


def test_row_order_irrelevant():
    g = graded()
    o = [ov("r05", 2), ov("r00", 2)]
    a = apply_overrides(g, o, as_of=date(2024, 6, 1))
    b = apply_overrides(g.sample(frac=1, random_state=1), o[::-1], as_of=date(2024, 6, 1))
    pd.testing.assert_frame_equal(a, b)


# ---------------------------------------------------------------- audit log


def filled_log(n=5):
    log = AuditLog()
    for i in range(n):
        log.append(
            when=datetime(2024, 1, 1 + i),
            actor="a",
            action="override",
            subject=f"r{i}",
            field="level",
            old=3,
            new=2,
            reason=f"reason {i}",
        )
    return log


def test_audit_log_is_append_only():
    log = filled_log(3)
    with pytest.raises(AttributeError):
        log._entries = ()
    with pytest.raises(TypeError):
        log[0] = log[1]
    with pytest.raises(TypeError):
        del log[0]
    with pytest.raises(ValidationError):
        log[0].new = 1  # frozen entry
    assert isinstance(log.entries, tuple)
    assert not hasattr(log, "remove") and not hasattr(log, "pop")
    assert len(log) == 3


def test_audit_log_complete_and_tabular():
    log = filled_log(4)
    df = log.to_frame()
    assert df["seq"].tolist() == [0, 1, 2, 3]
    assert df["subject"].tolist() == ["r0", "r1", "r2", "r3"]
    assert (df["prev_hash"].iloc[1:].to_numpy() == df["hash"].iloc[:-1].to_numpy()).all()
    log.verify()


def test_audit_log_refuses_going_back_in_time_and_empty_actor():
    log = filled_log(2)
    with pytest.raises(ValueError, match="chronological"):
        log.append(when=date(2023, 1, 1), actor="a", action="x", subject="s")
    with pytest.raises(ValidationError):
        log.append(when=date(2025, 1, 1), actor=" ", action="x", subject="s")
    assert len(log) == 2


def test_audit_log_json_round_trip():
    log = filled_log(3)
    back = AuditLog.from_json(log.to_json())
    assert back.head_hash == log.head_hash
    pd.testing.assert_frame_equal(back.to_frame(), log.to_frame())


@pytest.mark.parametrize("edit", ["modify", "remove", "reorder", "truncate"])
def test_audit_log_tampering_detected(edit):
    doc = json.loads(filled_log(4).to_json())
    if edit == "modify":
        doc["entries"][1]["new"] = 1
    elif edit == "remove":
        del doc["entries"][1]
    elif edit == "reorder":
        doc["entries"][1], doc["entries"][2] = doc["entries"][2], doc["entries"][1]
    else:
        del doc["entries"][-1]
    with pytest.raises(ConfigError, match="audit log"):
        AuditLog.from_json(json.dumps(doc))


def test_audit_log_modified_and_rehashed_entry_breaks_chain():
    doc = json.loads(filled_log(3).to_json())
    from riskgrade.governance.auditlog import AuditEntry

    e = AuditEntry.model_validate(doc["entries"][0])
    forged = e.model_copy(update={"new": 1})
    doc["entries"][0] = forged.model_copy(update={"hash": forged.expected_hash()}).model_dump(mode="json")
    with pytest.raises(ConfigError, match="entry 1"):
        AuditLog.from_json(json.dumps(doc))


def test_audit_log_rejects_non_log():
    with pytest.raises(ConfigError):
        AuditLog.from_json("{}")
    with pytest.raises(ConfigError):
        AuditLog.from_json("not json")


def test_override_audit_rows_join_the_grading_audit():
    inv = rg.datasets.load_sample()
    res = rg.RiskModel().fit(inv).grade(inv)
    f = res.frame
    target = f[(f["level"] == 3)].sort_values("risk_point_id").iloc[0]
    o = ov(target["risk_point_id"], 2)
    appr = apply_overrides(res, [o], as_of=date(2024, 6, 1))
    rows = override_audit(appr, res)
    assert list(rows.columns) == AUDIT_COLUMNS and len(rows) == 1
    r = rows.iloc[0]
    assert (r["action"], r["level_from"], r["level_to"]) == ("override", 3, 2)
    assert r["score"] == target["score"] and r["cap"] == target["quota_cap"]
    assert OK in r["reason"]
    both = pd.concat([res.audit, rows], ignore_index=True)
    assert len(both) == len(res.audit) + 1
