"""Yearly re-assessment: what changed between two assessments, and why.

Section 13 of the source document asks for the risks, levels, measures and owners to
be adjusted each year (or per project) as laws, duties and the effect of measures
change. :func:`compare_assessments` lines up two gradings by ``risk_point_id``:

* ``new`` — only in the current assessment; ``retired`` — only in the previous one;
* ``raised`` — the final level went up (towards level 1); ``lowered`` — down;
  ``unchanged`` — the same final level.

**Cause of a change.** Each raised or lowered point gets one or more causes, flagged in
``cause_factors``,
``cause_config``, ``cause_quota`` and ``cause_override`` and joined with ``+`` in
``cause`` (order: factors, config, quota, override). With ``L`` the final level, ``C``
the computed level (after the quota), ``P`` the provisional level (thresholds only):

* **override** — an override moved the level differently from the computation:
  ``L_cur - L_prev != C_cur - C_prev``. The final level is ``level_final`` of an
  approval table (:func:`~riskgrade.governance.approval.apply_overrides`) when one is
  given or the frame has that column, else the computed level.
* When ``C`` changed, the computation is attributed:

  - **quota** — ``P`` unchanged: the change comes from the quota demotion alone
    (this point or others of its unit moved across the unit's cut-off, or the unit's
    size and hence its cap changed);
  - otherwise, **factors** if any raw factor value of the point changed and
    **config** if the configuration changed (config hash, weights or thresholds in the
    provenance of two :class:`~riskgrade.results.GradingResult`; for plain frames,
    inferred when some point with identical raw factors got a different score). Both
    may be flagged: without models the split cannot be known.

**Exact attribution with models.** Given the previous fitted model
(``previous_model``), the current
inventory is also graded with the previous model (the counterfactual ``P_cf``):
**factors** is flagged when ``P_cf != P_prev`` (the new factor values alone, under the
old model, change the provisional level) and **config** when ``P_cur != P_cf`` (the new
model, on the same new factor values, changes it). ``level_counterfactual`` holds
``P_cf``; a point the previous model cannot grade (it fails the previous validation) keeps
the attribution without models. Given ``current_model`` too, the other path is reported
in ``level_counterfactual_reverse``: the previous factor values under the current model
(the two paths differ where factors and configuration interact).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from riskgrade.exceptions import DataWarning, InventoryValidationError
from riskgrade.governance.graded import as_frame, require_columns
from riskgrade.identity import escape, fold_frame, folded_keys
from riskgrade.results import RESULT_COLUMNS, GradingResult

__all__ = ["CAUSES", "CHANGES", "COMPARISON_COLUMNS", "compare_assessments", "summarize_movement"]

#: Kinds of change.
CHANGES = ("new", "retired", "raised", "lowered", "unchanged")
#: Causes, in the order they are joined.
CAUSES = ("factors", "config", "quota", "override")

#: Columns of :func:`compare_assessments`.
COMPARISON_COLUMNS = [
    "risk_point_id",
    "unit_id",
    "level_previous",
    "level_current",
    "change",
    "cause",
    "cause_factors",
    "cause_config",
    "cause_quota",
    "cause_override",
    "level_computed_previous",
    "level_computed_current",
    "level_provisional_previous",
    "level_provisional_current",
    "quota_demoted_previous",
    "quota_demoted_current",
    "score_previous",
    "score_current",
    "factors_changed",
    "unit_id_previous",
    "unit_id_current",
]

_META = ("config_sha256", "weights", "thresholds", "max_share")


def _prep(
    obj: Any, approval: pd.DataFrame | None, name: str, config: Any
) -> tuple[pd.DataFrame, dict | None]:
    frame = as_frame(obj, name=name)
    require_columns(frame, ["unit_id", "level"], table=name)
    prov = dict(obj.provenance) if isinstance(obj, GradingResult) else None
    f = frame.copy()
    f["risk_point_id"] = f["risk_point_id"].astype(str)
    written = f["risk_point_id"].to_numpy(dtype=object)
    f = fold_frame(f, config)  # one spelling per id, as every reader of riskgrade folds
    _unique_ids(f, name, written)
    f["level_computed"] = f["level"].astype("int64")
    if approval is not None:
        require_columns(approval, ["risk_point_id", "level_final"], table=f"{name} approval")
        fin = approval.assign(risk_point_id=folded_keys(approval["risk_point_id"], config))
        _unique_ids(fin, f"{name} approval", approval["risk_point_id"].astype(str).to_numpy(dtype=object))
        fin = fin.set_index("risk_point_id")
        f["level_final"] = (
            f["risk_point_id"].map(fin["level_final"]).fillna(f["level_computed"]).astype("int64")
        )
    elif "level_final" not in f:
        f["level_final"] = f["level_computed"]
    if "level_provisional" not in f:
        f["level_provisional"] = f["level_computed"]
    if "quota_demoted" not in f:
        f["quota_demoted"] = False
    if "score" not in f:
        f["score"] = np.nan
    return f.set_index("risk_point_id"), prov


def _unique_ids(frame: pd.DataFrame, name: str, written: np.ndarray) -> None:
    """Refuse an assessment in which two rows carry one (folded) risk-point id.

    ``written`` holds the ids as written (before folding), shown in the messages.
    """
    ids = frame["risk_point_id"]
    dup = ids.duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    rows = np.flatnonzero(dup)
    vals = written[rows]
    keys = ids.to_numpy(dtype=object)[rows]
    fc = pd.DataFrame(
        {
            "row": pd.array(rows, dtype="Int64"),
            "risk_point_id": vals,
            "column": "risk_point_id",
            "value": vals,
            "reason": "duplicate_id",
            "message": [
                f"{name}: risk_point_id {escape(v)} is read as {escape(k)}, which appears more "
                "than once (spellings differing only by white space, width or Unicode form are one id)"
                if v != k
                else f"{name}: risk_point_id {escape(v)} appears more than once"
                for v, k in zip(vals, keys, strict=True)
            ],
        }
    )
    raise InventoryValidationError(fc, n_rows=len(frame))


def _factor_names(prev: pd.DataFrame, cur: pd.DataFrame, pp: dict | None, pc: dict | None) -> list[str]:
    names: list[str] = []
    for p in (pp, pc):
        if p and p.get("factors"):
            names += list(p["factors"])
    if not names:
        for f in (prev, cur):
            names += [c[len("factor_") :] for c in f.columns if c.startswith("factor_")]
    names = list(dict.fromkeys(names))
    return [n for n in names if n in prev.columns or n in cur.columns]


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Elementwise equality treating two missing values as equal."""
    an, bn = a.isna().to_numpy(), b.isna().to_numpy()
    try:
        eq = (a.to_numpy(dtype=float) == b.to_numpy(dtype=float)) | (an & bn)
    except (TypeError, ValueError):
        eq = (a.astype(str).to_numpy() == b.astype(str).to_numpy()) | (an & bn)
    return np.asarray(eq, dtype=bool)


def _inventory_columns(frame: pd.DataFrame) -> pd.DataFrame:
    drop = [
        c
        for c in frame.columns
        if c in RESULT_COLUMNS
        or c.startswith(("factor_", "contrib_"))
        or c in ("level_final", "level_computed")
    ]
    return frame.drop(columns=drop)


def _counterfactual(model: Any, frame: pd.DataFrame, ids: list[str]) -> np.ndarray:
    """Provisional levels of ``frame``'s inventory under ``model`` (NaN where it cannot grade)."""
    inv = _inventory_columns(frame.reindex(ids).reset_index())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        res = model.grade(inv, on_error="quarantine")
    lv = res.frame.set_index(res.frame["risk_point_id"].astype(str))["level_provisional"]
    return lv.reindex(ids).to_numpy(dtype=float)


def compare_assessments(
    previous: GradingResult | pd.DataFrame,
    current: GradingResult | pd.DataFrame,
    *,
    previous_approval: pd.DataFrame | None = None,
    current_approval: pd.DataFrame | None = None,
    previous_model: Any = None,
    current_model: Any = None,
    config_changed: bool | None = None,
    config: Any = None,
) -> pd.DataFrame:
    """Compare two assessments point by point (see the module docstring).

    The identifier columns of both assessments (and ``risk_point_id`` of the approval
    tables) are folded under one identity policy (:mod:`riskgrade.identity`) before
    the points are matched, so ``'RP1 '``, full-width ``'ＲＰ１'`` or a decomposed form
    written last year match ``'RP1'`` this year; the result carries the folded ids.

    Parameters
    ----------
    previous, current : GradingResult or pandas.DataFrame
        The two gradings (frames with ``risk_point_id``, ``unit_id``, ``level``; the
        raw factor columns, ``score``, ``level_provisional`` and ``quota_demoted``
        where available).
    previous_approval, current_approval : pandas.DataFrame, optional
        Approval tables (:func:`~riskgrade.governance.approval.apply_overrides`) with
        the final levels.
    previous_model, current_model : RiskModel, optional
        The fitted models of the two years; with ``previous_model`` the attribution
        between factors and config is exact (counterfactual grading); ``current_model``
        adds ``level_counterfactual_reverse``.
    config_changed : bool, optional
        Whether the configuration changed, when the caller knows better than the
        provenance (plain frames).
    config : RiskModelConfig, optional
        Supplies the identity policy (``config.identity``, and ``quota.by`` among the
        folded columns); the default policy (NFKC and trim, case kept) when omitted.

    Returns
    -------
    pandas.DataFrame
        :data:`COMPARISON_COLUMNS` (plus the counterfactual levels with models), one
        row per risk point in either assessment, sorted by ``unit_id`` and
        ``risk_point_id``. ``level_previous``/``level_current`` are final levels
        (nullable integers: missing for new/retired points).

    Raises
    ------
    InventoryValidationError
        With reason ``duplicate_id`` when two rows of one assessment (or approval table)
        carry the same risk-point id once folded (``row`` 0-based).
    """
    prev, pp = _prep(previous, previous_approval, "previous", config)
    cur, pc = _prep(current, current_approval, "current", config)
    ids = sorted(set(prev.index) | set(cur.index))
    both = sorted(set(prev.index) & set(cur.index))
    P, C = prev.reindex(both), cur.reindex(both)
    out = pd.DataFrame(index=pd.Index(ids, name="risk_point_id"))
    for col, src in (
        ("level_previous", "level_final"),
        ("level_computed_previous", "level_computed"),
        ("level_provisional_previous", "level_provisional"),
    ):
        out[col] = prev[src].reindex(ids).astype("Int64")
    for col, src in (
        ("level_current", "level_final"),
        ("level_computed_current", "level_computed"),
        ("level_provisional_current", "level_provisional"),
    ):
        out[col] = cur[src].reindex(ids).astype("Int64")
    out["quota_demoted_previous"] = prev["quota_demoted"].reindex(ids).astype("boolean")
    out["quota_demoted_current"] = cur["quota_demoted"].reindex(ids).astype("boolean")
    out["score_previous"] = pd.to_numeric(prev["score"].reindex(ids), errors="coerce")
    out["score_current"] = pd.to_numeric(cur["score"].reindex(ids), errors="coerce")
    out["unit_id_previous"] = prev["unit_id"].reindex(ids).astype(object)
    out["unit_id_current"] = cur["unit_id"].reindex(ids).astype(object)
    out["unit_id"] = out["unit_id_current"].where(out["unit_id_current"].notna(), out["unit_id_previous"])

    pset, cset = set(prev.index), set(cur.index)
    in_p = np.fromiter((i in pset for i in ids), dtype=bool, count=len(ids))
    in_c = np.fromiter((i in cset for i in ids), dtype=bool, count=len(ids))
    pos_both = np.flatnonzero(in_p & in_c)  # ids and both are sorted alike
    lp = out["level_previous"].to_numpy(dtype=float, na_value=np.nan)
    lc = out["level_current"].to_numpy(dtype=float, na_value=np.nan)
    change = np.select(
        [~in_p, ~in_c, lc < lp, lc > lp],
        ["new", "retired", "raised", "lowered"],
        default="unchanged",
    )
    out["change"] = change

    # factor changes among matched points
    names = _factor_names(P, C, pp, pc)
    diff = np.zeros((len(both), len(names)), dtype=bool)
    for j, n in enumerate(names):
        a = P[n] if n in P else pd.Series(np.nan, index=P.index)
        b = C[n] if n in C else pd.Series(np.nan, index=C.index)
        diff[:, j] = ~_same(a, b)
    fchanged = diff.any(axis=1)
    changed_text = np.full(len(both), "", dtype=object)
    for r in np.flatnonzero(fchanged):
        changed_text[r] = ";".join(n for n, d in zip(names, diff[r], strict=True) if d)

    if config_changed is None:
        if pp is not None and pc is not None:
            config_changed = any(pp.get(k) != pc.get(k) for k in _META)
        else:
            same_score = _same(P["score"], C["score"])
            config_changed = bool((~fchanged & ~same_score).any())

    fin_d = C["level_final"].to_numpy() - P["level_final"].to_numpy()
    com_d = C["level_computed"].to_numpy() - P["level_computed"].to_numpy()
    prov_same = C["level_provisional"].to_numpy() == P["level_provisional"].to_numpy()
    moved = fin_d != 0
    c_override = moved & (fin_d != com_d)
    computed_moved = moved & (com_d != 0)
    c_quota = computed_moved & prov_same
    prov_moved = computed_moved & ~prov_same
    cf_col = rev_col = None
    c_factors = prov_moved & fchanged
    c_config = prov_moved & (bool(config_changed) | ~fchanged)
    if previous_model is not None:
        cf_v = _counterfactual(previous_model, cur, both)
        ok = ~np.isnan(cf_v)  # rows the previous model cannot grade keep the attribution above
        p_prev = P["level_provisional"].to_numpy(dtype=float)
        p_cur = C["level_provisional"].to_numpy(dtype=float)
        c_factors = np.where(ok, prov_moved & (cf_v != p_prev), c_factors)
        c_config = np.where(ok, prov_moved & (p_cur != cf_v), c_config)
        cf_col = pd.Series(cf_v, index=both)
    if current_model is not None:
        rev_col = pd.Series(_counterfactual(current_model, prev, both), index=both)
    flags = {"factors": c_factors, "config": c_config, "quota": c_quota, "override": c_override}
    code = np.zeros(len(ids), dtype=np.int64)
    for bit, k in enumerate(CAUSES):
        full = np.zeros(len(ids), dtype=bool)
        full[pos_both] = np.asarray(flags[k], dtype=bool)
        out[f"cause_{k}"] = full
        code |= full.astype(np.int64) << bit
    names_by_code = np.array(
        ["+".join(k for bit, k in enumerate(CAUSES) if c >> bit & 1) for c in range(1 << len(CAUSES))],
        dtype=object,
    )
    out["cause"] = names_by_code[code]
    ft = np.full(len(ids), "", dtype=object)
    ft[pos_both] = changed_text
    out["factors_changed"] = ft
    cols = list(COMPARISON_COLUMNS)
    for name, levels in (("level_counterfactual", cf_col), ("level_counterfactual_reverse", rev_col)):
        if levels is not None:
            out[name] = pd.array(
                [None if np.isnan(v) else int(v) for v in levels.reindex(ids).to_numpy(dtype=float)],
                dtype="Int64",
            )
            cols.append(name)
    out = out.reset_index()
    out = out.sort_values(["unit_id", "risk_point_id"], kind="stable").reset_index(drop=True)
    return out[cols]


def summarize_movement(comparison: pd.DataFrame) -> pd.DataFrame:
    """Per-unit summary of a comparison: counts by change and cause, level-one counts.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``unit_id`` (sorted): ``n_previous``, ``n_current``, one column per
        change (``new`` ... ``unchanged``), ``level_1_previous``, ``level_1_current``,
        ``net_level_1`` and ``cause_<name>`` counts. ``new + unchanged + raised +
        lowered == n_current`` and ``retired + unchanged + raised + lowered ==
        n_previous`` in every unit whose points did not move between units.
    """
    c = comparison
    df = pd.DataFrame(
        {
            "unit_id": c["unit_id"].astype(str),
            "n_previous": c["level_previous"].notna().to_numpy(),
            "n_current": c["level_current"].notna().to_numpy(),
            **{k: (c["change"] == k).to_numpy() for k in CHANGES},
            "level_1_previous": (c["level_previous"] == 1).fillna(False).to_numpy(bool),
            "level_1_current": (c["level_current"] == 1).fillna(False).to_numpy(bool),
            **{f"cause_{k}": c[f"cause_{k}"].to_numpy(bool) for k in CAUSES},
        }
    )
    s = df.groupby("unit_id", sort=True).sum().astype("int64")
    s["net_level_1"] = s["level_1_current"] - s["level_1_previous"]
    order = ["n_previous", "n_current", *CHANGES, "level_1_previous", "level_1_current", "net_level_1"]
    return s[order + [f"cause_{k}" for k in CAUSES]]
