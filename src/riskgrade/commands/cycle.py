"""The control-cycle commands: owners, measures, cards, compare, disclose, compliance, rollup, accountability.

Each reads CSV/Parquet tables with Chinese (or English) headers and values, stops with
exit code 3 and writes nothing when an input is bad (naming the file, the row as a
spreadsheet shows it, the column as written and the value), and writes its tables
atomically, with Chinese headers and values unless ``--lang en`` is given.

:func:`add_parsers` registers the commands on the ``riskgrade`` parser; :func:`run`
dispatches to them. Dates are always given explicitly (``--as-of``): nothing reads the clock.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import TextIO

__all__ = ["COMMANDS", "add_parsers", "add_report_options", "parse_date", "run"]

#: The commands of this module.
COMMANDS = ("owners", "measures", "cards", "compare", "disclose", "compliance", "rollup", "accountability")


def parse_date(text: str) -> date:
    """A date given as YYYY-MM-DD on the command line."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Add the cycle commands to the ``riskgrade`` sub-command parser."""

    def common(p: argparse.ArgumentParser, graded: bool = True) -> None:
        if graded:
            p.add_argument("graded", help="graded file written by 'riskgrade score' (.csv or .parquet)")
        p.add_argument("-o", "--output", required=True, help="table to write (.csv or .parquet)")
        p.add_argument("--lang", choices=("zh", "en"), default="zh", help="headers and values (default zh)")
        p.add_argument("--level-column", default="level", help="level column (level_final after overrides)")

    p = sub.add_parser("owners", help="responsible persons of every risk point by level (section 7)")
    common(p)
    p.add_argument(
        "--org", required=True, help="organisation table (类型, 编号, 主要领导, 分管负责人, 负责人, 岗位人员)"
    )
    p.add_argument("--findings", help="also write the missing owners to this file")

    p = sub.add_parser("measures", help="residual risk, coverage and overdue measures (section 7)")
    common(p)
    p.add_argument(
        "--measures", required=True, help="measures table (措施编号, 风险点编号, 类别, 责任人, ...)"
    )
    p.add_argument("--as-of", type=parse_date, required=True, help="date of the review (YYYY-MM-DD)")
    p.add_argument("--coverage", help="also write the coverage of level-one points to this file")
    p.add_argument("--overdue", help="also write the overdue measures to this file")

    p = sub.add_parser("cards", help="issue and review the 三早三卡 cards as of a date (section 12)")
    p.add_argument("signals", help="signals table (对象类型, 对象编号, 单位编号, 信号类型, 日期, 数量)")
    common(p, graded=False)
    p.add_argument("--as-of", type=parse_date, required=True, help="issue and review date (YYYY-MM-DD)")
    p.add_argument("--history", help="card register of earlier runs (the previous output)")
    p.add_argument("--responses", help="responses table (卡片编号, 回复日期)")
    p.add_argument(
        "--quarantine", help="set signals of an unknown type aside in this file instead of stopping"
    )

    p = sub.add_parser("compare", help="last year's grading against this year's (section 13)")
    p.add_argument("previous", help="last year's graded file")
    common(p)
    p.add_argument("--summary", help="also write the per-unit movement to this file")

    p = sub.add_parser("disclose", help="public export without confidential rows or fields (section 10)")
    common(p)
    p.add_argument("--measures", help="measures table, published by category")
    p.add_argument(
        "--on-empty",
        choices=("raise", "withhold"),
        default="raise",
        help="an empty confidentiality flag stops the export (default) or withholds the row",
    )
    p.add_argument("--confidential", nargs="*", default=(), metavar="COLUMN", help="columns never published")

    p = sub.add_parser("compliance", help="per-unit compliance summary (sections 13 and 17)")
    common(p)
    p.add_argument("--as-of", type=parse_date, required=True, help="date of the summary (YYYY-MM-DD)")
    p.add_argument(
        "--assessed-on",
        type=parse_date,
        help="date the grading was approved (flags one older than 12 months)",
    )
    p.add_argument("--org", help="organisation table (for points without owners)")
    p.add_argument("--measures", help="measures table (for level-one points without measures)")
    p.add_argument("--cards", help="card register (for open and overdue cards)")

    p = sub.add_parser("rollup", help="levels per power item, flow step or key domain (sections 4, 9, 15)")
    common(p)
    p.add_argument("--by", choices=("power_item", "flow_step", "key_domain", "unit"), default="power_item")
    p.add_argument(
        "--domain", nargs="*", default=(), metavar="NAME", help="key domains beyond section 15's ten"
    )
    _add_accountability(sub)


def _assessment(text: str) -> tuple[date, str]:
    day, sep, path = text.partition("=")
    if not sep or not path:
        raise argparse.ArgumentTypeError(f"expected DATE=FILE, got {text!r}")
    return parse_date(day), path


def _add_accountability(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("accountability", help="record of each case at a risk point (section 14)")
    p.add_argument("cases", help="cases table (案件编号, 风险点编号, 发案日期)")
    p.add_argument("-o", "--output", required=True, help="table to write (.csv or .parquet)")
    p.add_argument(
        "--assessment",
        type=_assessment,
        action="append",
        required=True,
        metavar="DATE=FILE",
        help="a graded file and the date it was approved (repeat for earlier years)",
    )
    p.add_argument("--org", required=True, help="organisation table")
    p.add_argument("--measures", help="measures table")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="headers and values (default zh)")
    p.add_argument("--level-column", default="level", help="level column (level_final after overrides)")


def add_report_options(p: argparse.ArgumentParser) -> None:
    """Options of ``riskgrade report`` that add the cycle's sections (owners, measures, ...)."""
    p.add_argument("--org", help="organisation table: adds the owners section")
    p.add_argument("--measures", help="measures table: adds the measures section (needs --as-of)")
    p.add_argument(
        "--cards", help="card register ('riskgrade cards'): adds the cards section (needs --as-of)"
    )
    p.add_argument("--previous", help="last year's graded file: adds the year's movement")
    p.add_argument("--as-of", type=parse_date, help="date of the review: adds the compliance section")
    p.add_argument("--assessed-on", type=parse_date, help="date the grading was approved")


def run(args: argparse.Namespace, err: TextIO) -> int:
    """Run one cycle command; return the exit code (errors propagate to ``cli.main``)."""
    from riskgrade.commands import cycle_run

    return cycle_run.RUNNERS[args.command](args, err)
