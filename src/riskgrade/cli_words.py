"""The CLI's words: output view, messages and the run summary in the user's language.

Kept apart from :mod:`riskgrade.cli` so that the command parser stays small.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

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
    except Exception:  # the view only names headers; the engine reports a bad file
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


#: The kinds of conversion (as :mod:`riskgrade.units` names them) in Chinese.
_KIND_ZH = {
    "full-width digits": "全角数字",
    "thousands separators": "千位分隔符",
    "per-cent header": "表头为百分比",
    "per-cent sign": "带百分号",
    "count unit in the cell": "单元格带计数单位",
}


def _kind_zh(kind: str) -> str:
    if kind in _KIND_ZH:
        return _KIND_ZH[kind]
    if kind.startswith("header in "):
        return f"表头单位为{kind.removeprefix('header in ')}"
    if kind.endswith(" in the cell"):
        return f"单元格带“{kind.removesuffix(' in the cell')}”"
    return kind


def print_conversions(inv: pd.DataFrame, err: TextIO, lang: str) -> None:
    """One summary line per kind of unit or number-form conversion made while reading."""
    conv = inv.attrs.get("conversions") or {}
    if not conv:
        return
    heads = inv.attrs.get("header_units") or {}
    units = ", ".join(f"{c} [{u}]" for c, u in heads.items())
    if lang == "zh":
        parts = [f"{_kind_zh(k)}: {v}" for k, v in conv.items()]
        print(f"riskgrade: 已换算数值 {sum(conv.values())} 个（{'；'.join(parts)}）"
              + (f"；表头单位：{units}" if units else ""), file=err)
    else:
        parts = [f"{k}: {v}" for k, v in conv.items()]
        print(f"riskgrade: converted {sum(conv.values())} values ({'; '.join(parts)})"
              + (f"; header units: {units}" if units else ""), file=err)


def small_units_line(n_small: int, small_demoted: int, lang: str, *, threshold: int = 10) -> str:
    """Run-summary line about units too small for a level-one point under the share cap."""
    from riskgrade.output_view import small_unit_sentence

    info = {"threshold": threshold, "units": n_small, "demoted": small_demoted,
            "option": "quota.small_unit_allowance"}
    return "riskgrade: " + small_unit_sentence(info, lang)


def print_header_units(path: str, config: Any, args: argparse.Namespace, err: TextIO, lang: str) -> None:
    """Batch engines: say which header units were honoured (cells are converted as read)."""
    from riskgrade.schema import canonical_columns
    from riskgrade.units import column_kinds, header_scale, header_units

    try:
        raw = read_headers(path, args.encoding)
    except Exception:  # a summary line only; the engine reported any bad file
        return
    kinds = column_kinds(config.active_catalog)
    done = []
    for canon, (head, unit) in header_units(raw, canonical_columns(raw, dict(config.columns))).items():
        kind = kinds.get(canon)
        scale, _p = header_scale(kind, unit) if kind and unit else (None, None)
        if scale is not None:
            done.append(f"{head} ×{scale.normalize():f}")
    if done:
        head = "表头单位已换算" if lang == "zh" else "header units honoured"
        print(f"riskgrade: {head}: {'; '.join(done)}", file=err)
