"""The CLI's words: output view, messages and the run summary in the user's language.

Kept apart from :mod:`riskgrade.cli` so that the command parser stays small.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

import numpy as np
import pandas as pd

from riskgrade.output_view import OutputView, build_view, read_headers

__all__ = [
    "add_words_options",
    "failure_text",
    "file_view",
    "frame_view",
    "print_conversions",
    "small_units_line",
]


def add_words_options(p: argparse.ArgumentParser, *, explain: bool = True) -> None:
    """``--lang`` (and ``--explain``) of a subcommand."""
    p.add_argument(
        "--lang", choices=("zh", "en"), default=None,
        help="language of messages and output headers (default: zh when most input headers are "
        "Chinese, else en)",
    )
    if explain:
        p.add_argument(
            "--explain", action="store_true",
            help="also write the factor scores, contributions and every quota column "
            "(default: your columns + score, level, rank in unit, quota flag and reason)",
        )


def frame_view(inv: pd.DataFrame, args: argparse.Namespace) -> OutputView:
    """Output view of an inventory read in memory (its attrs carry the headers)."""
    heads = inv.attrs.get("column_headers") or {}
    canon = [str(c) for c in inv.columns]
    raw = [str(heads.get(c, c)) for c in canon]
    return build_view(raw, canon, lang=args.lang, explain=args.explain)


def file_view(path: str, config: Any, args: argparse.Namespace) -> OutputView:
    """Output view of an inventory file graded by a batch engine (headers read from the file)."""
    from riskgrade.schema import canonical_columns

    try:
        raw = read_headers(path, args.encoding)
    except (OSError, UnicodeError, StopIteration):
        raw = []
    canon = canonical_columns(raw, dict(config.columns))
    return build_view(raw, canon, lang=args.lang, explain=args.explain)


def failure_text(err: Exception, lang: str | None) -> str:
    """An InventoryValidationError as text in ``lang`` (default: Chinese for Chinese headers)."""
    from riskgrade.i18n import contains_cjk
    from riskgrade.messages import format_failures

    fc = getattr(err, "failure_cases", None)
    if fc is None or "header" not in fc:
        return str(err)
    if lang is None:
        lang = "zh" if any(contains_cjk(h) for h in fc["header"].astype(str)) else "en"
    return format_failures(fc, lang, n_rows=getattr(err, "n_rows", None))


def print_conversions(inv: pd.DataFrame, err: TextIO, lang: str) -> None:
    """One summary line per kind of unit or number-form conversion made while reading."""
    conv = inv.attrs.get("conversions") or {}
    if not conv:
        return
    heads = inv.attrs.get("header_units") or {}
    parts = [f"{k}: {v}" for k, v in conv.items()]
    units = ", ".join(f"{c} [{u}]" for c, u in heads.items())
    if lang == "zh":
        print(f"riskgrade: 已换算数值 {sum(conv.values())} 个（{'；'.join(parts)}）"
              + (f"；表头单位：{units}" if units else ""), file=err)
    else:
        print(f"riskgrade: converted {sum(conv.values())} values ({'; '.join(parts)})"
              + (f"; header units: {units}" if units else ""), file=err)


def small_units_line(n_small: int, small_demoted: int, lang: str, *, threshold: int = 10) -> str:
    """Run-summary line about units too small for a level-one point under the share cap."""
    if lang == "zh":
        return (f"riskgrade: {n_small} 个单位风险点少于 {threshold} 个，按 10% 比例一级上限为 0，"
                f"其中 {small_demoted} 个一级候选因此降为二级；如需保留，可在配置中设 "
                "quota.small_unit_allowance = 1（或 quota.rounding）")
    return (f"riskgrade: {n_small} units have fewer than {threshold} points (cap floor(0.1 n) = 0): "
            f"{small_demoted} level-one candidates demoted there; set quota.small_unit_allowance = 1 "
            "(or quota.rounding) in the config to keep one")


def small_unit_counts(unit_summary: pd.DataFrame, threshold: int = 10) -> tuple[int, int]:
    """(units with fewer than ``threshold`` points, level-one candidates demoted there by a zero cap)."""
    us = unit_summary
    small = us["n_points"].to_numpy() < threshold
    zero = us["cap"].to_numpy() == 0
    demoted = us["demoted"].to_numpy()
    return int(small.sum()), int(np.sum(demoted[small & zero]))
