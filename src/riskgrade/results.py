"""Result objects of grading."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["LEVEL_NAMES", "RESULT_COLUMNS", "GradingResult", "reject_reasons"]

#: Names of the levels in English and Chinese.
LEVEL_NAMES = {
    "en": {1: "level 1", 2: "level 2", 3: "level 3"},
    "zh": {1: "一级", 2: "二级", 3: "三级"},
}

#: Columns added to the input by grading (before the per-factor columns).
RESULT_COLUMNS = [
    "score",
    "level",
    "level_provisional",
    "rank_in_unit",
    "n_in_unit",
    "quota_cap",
    "quota_demoted",
    "quota_tie",
    "quota_exception",
]


def reject_reasons(failures: pd.DataFrame) -> pd.Series:
    """The ``reject_reasons`` text of each rejected row: ``column:reason`` pairs, sorted, ``;``-joined.

    The one rule for the rejects file of every engine (:meth:`riskgrade.RiskModel.grade` and the
    batch engines).

    Parameters
    ----------
    failures : pandas.DataFrame
        Failure cases with ``row``, ``column`` and ``reason`` (as
        :func:`riskgrade.schema.find_failures` lists them).

    Returns
    -------
    pandas.Series
        Indexed by row, sorted.
    """
    pairs = failures.assign(r=failures["column"].astype(str) + ":" + failures["reason"].astype(str))
    return pairs.groupby("row", sort=True)["r"].agg(lambda s: ";".join(sorted(set(s))))


@dataclass(frozen=True)
class GradingResult:
    """Graded inventory with its audit trail and provenance.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per graded input row, in input order: the input columns unchanged,
        then ``score``, ``level``, ``level_provisional``, ``rank_in_unit``,
        ``n_in_unit``, ``quota_cap``, ``quota_demoted``, ``quota_tie``,
        ``quota_exception``, ``factor_<name>`` (factor scores) and
        ``contrib_<name>`` (contributions to the score).
    audit : pandas.DataFrame
        One row per level change made by the quota (or an override): unit_id,
        risk_point_id, action, level_from, level_to, score, cutoff_score,
        rank_in_unit, n_in_unit, cap, tie, reason.
    weights : pandas.Series
        Factor weights used.
    provenance : dict
        riskgrade version, config SHA-256, input SHA-256, row counts, weights.
    rejected : pandas.DataFrame
        Input rows rejected by validation (``on_error="quarantine"``), with
        ``row`` and ``reject_reasons``; empty otherwise.
    failure_cases : pandas.DataFrame
        The validation failures behind ``rejected``.
    weight_details : dict
        Method-specific figures of the weighting (consistency ratios, ...).
    group_by : str
        The quota grouping column.
    """

    frame: pd.DataFrame
    audit: pd.DataFrame
    weights: pd.Series
    provenance: dict[str, Any]
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)
    failure_cases: pd.DataFrame = field(default_factory=pd.DataFrame)
    weight_details: dict[str, Any] = field(default_factory=dict)
    group_by: str = "unit_id"

    @property
    def config_hash(self) -> str:
        """SHA-256 of the config that produced this result."""
        return str(self.provenance.get("config_sha256", ""))

    @property
    def input_hash(self) -> str:
        """SHA-256 of the input."""
        return str(self.provenance.get("input_sha256", ""))

    @property
    def version(self) -> str:
        """Riskgrade version that produced this result."""
        return str(self.provenance.get("riskgrade_version", ""))

    @property
    def levels(self) -> pd.Series:
        """Final level of each graded row."""
        return self.frame["level"]

    def small_units(self) -> dict[str, Any]:
        """Units too small for one level-one point under the share cap (see the quota).

        Returns
        -------
        dict
            ``threshold`` (fewest points for a cap of 1), ``units`` (how many units have
            fewer), ``demoted`` (level-one candidates demoted there because the cap is 0)
            and ``option`` (``quota.small_unit_allowance``, the setting that keeps one).
        """
        from riskgrade.grading import small_unit_summary

        return small_unit_summary(
            self.unit_summary(),
            float(self.provenance.get("max_share", 0.1)),
            str(self.provenance.get("quota_rounding", "floor")),
        )

    def to_frame(self) -> pd.DataFrame:
        """The graded frame (same as ``.frame``)."""
        return self.frame

    def unit_summary(self) -> pd.DataFrame:
        """Per-unit counts of levels and the level-one share against the cap.

        Returns
        -------
        pandas.DataFrame
            Indexed by the quota group: ``n_points``, ``level_1``, ``level_2``,
            ``level_3``, ``cap``, ``share_level_1``, ``max_share``, ``within_cap``,
            ``candidates_level_1`` (before the quota), ``demoted``, ``exceptions``,
            ``ties``.
        """
        f = self.frame
        g = f[self.group_by].astype(str)
        lev = f["level"].to_numpy()
        df = pd.DataFrame(
            {
                "unit": g.to_numpy(),
                "level_1": lev == 1,
                "level_2": lev == 2,
                "level_3": lev == 3,
                "candidates_level_1": f["level_provisional"].to_numpy() == 1,
                "demoted": f["quota_demoted"].to_numpy(bool),
                "exceptions": f["quota_exception"].to_numpy(bool),
                "ties": f["quota_tie"].to_numpy(bool),
                "cap": f["quota_cap"].to_numpy(),
            }
        )
        agg = df.groupby("unit", sort=True).agg(
            n_points=("level_1", "size"),
            level_1=("level_1", "sum"),
            level_2=("level_2", "sum"),
            level_3=("level_3", "sum"),
            cap=("cap", "first"),
            candidates_level_1=("candidates_level_1", "sum"),
            demoted=("demoted", "sum"),
            exceptions=("exceptions", "sum"),
            ties=("ties", "sum"),
        )
        agg.index.name = self.group_by
        agg["share_level_1"] = agg["level_1"] / agg["n_points"]
        agg["max_share"] = float(self.provenance.get("max_share", np.nan))
        agg["within_cap"] = agg["level_1"] <= agg["cap"]
        cols = [
            "n_points",
            "level_1",
            "level_2",
            "level_3",
            "cap",
            "share_level_1",
            "max_share",
            "within_cap",
            "candidates_level_1",
            "demoted",
            "exceptions",
            "ties",
        ]
        return agg[cols].astype(
            {c: "int64" for c in cols if c not in ("share_level_1", "max_share", "within_cap")}
        )

    def summary(self) -> pd.DataFrame:
        """Counts per level over the whole inventory.

        Returns
        -------
        pandas.DataFrame
            Indexed by level (1, 2, 3): ``n``, ``share``, ``provisional`` (count before
            the quota), ``name_en``, ``name_zh``.
        """
        lev = self.frame["level"].to_numpy()
        prov = self.frame["level_provisional"].to_numpy()
        n = max(len(lev), 1)
        rows = []
        for k in (1, 2, 3):
            c = int((lev == k).sum())
            rows.append(
                {
                    "level": k,
                    "n": c,
                    "share": c / n,
                    "provisional": int((prov == k).sum()),
                    "name_en": LEVEL_NAMES["en"][k],
                    "name_zh": LEVEL_NAMES["zh"][k],
                }
            )
        return pd.DataFrame(rows).set_index("level")

    @property
    def counts(self) -> dict[str, int]:
        """Rows graded and rejected, and demotions."""
        return {
            "rows_in": len(self.frame) + len(self.rejected),
            "graded": len(self.frame),
            "rejected": len(self.rejected),
            "demoted": int(self.frame["quota_demoted"].sum()) if len(self.frame) else 0,
        }

    def __repr__(self) -> str:
        s = self.summary()["n"].to_dict()
        c = self.counts
        return (
            f"GradingResult(graded={c['graded']}, rejected={c['rejected']}, "
            f"level_1={s[1]}, level_2={s[2]}, level_3={s[3]}, demoted={c['demoted']}, "
            f"config={self.config_hash[:12]})"
        )

    def _repr_html_(self) -> str:
        c = self.counts
        us = self.unit_summary()
        head = (
            f"<p><b>GradingResult</b> — {c['graded']} graded, {c['rejected']} rejected, "
            f"{c['demoted']} demoted by the quota; riskgrade {html.escape(self.version)}, "
            f"config <code>{html.escape(self.config_hash[:12])}</code></p>"
        )
        parts = [head, "<h4>Levels</h4>", self.summary().to_html()]
        parts += ["<h4>Units (first 10)</h4>", us.head(10).to_html(float_format="%.3f")]
        if len(self.audit):
            parts += ["<h4>Audit (first 10)</h4>", self.audit.head(10).to_html(index=False)]
        return "\n".join(parts)
