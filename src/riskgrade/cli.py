"""Command-line interface: ``riskgrade score|validate|sample|schema|ahp``.

Data go to files or standard output; messages go to standard error. Exit codes:
0 ok, 1 unexpected error, 2 usage error, 3 input or config invalid (nothing
written), 4 policy cannot be met.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from riskgrade._version import __version__
from riskgrade.cli_words import add_words_options, failure_text
from riskgrade.commands.cycle import COMMANDS as CYCLE_COMMANDS
from riskgrade.commands.cycle import add_parsers as add_cycle_parsers
from riskgrade.commands.cycle import add_report_options
from riskgrade.commands.cycle import run as run_cycle_command

__all__ = ["EXIT_INVALID", "EXIT_OK", "EXIT_POLICY", "EXIT_UNEXPECTED", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_INVALID = 3
EXIT_POLICY = 4


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="riskgrade",
        description="Grade integrity risks (廉政风险) into levels 1-3 with a per-unit level-one quota.",
        epilog="Exit codes: 0 ok, 1 unexpected error, 2 usage error, 3 invalid input or config "
        "(nothing written), 4 policy cannot be met.",
    )
    p.add_argument("--version", action="version", version=f"riskgrade {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("score", help="grade an inventory (CSV/Parquet/Excel) and write the graded file")
    s.add_argument("input", help="inventory file (.csv, .csv.gz, .parquet, .xlsx, .xls)")
    s.add_argument(
        "-o", "--output", required=True,
        help="graded file (.csv, .parquet or .xlsx workbook; '-' = CSV to stdout)",
    )
    s.add_argument("--sheet", help="workbook sheet: name or number from 1 (default: the first with an "
                   "inventory header)")
    s.add_argument("-c", "--config", help="model config (.toml/.json/.yaml); default: built-in")
    s.add_argument("-m", "--model", help="saved model card (.json) instead of --config")
    s.add_argument(
        "--on-error",
        choices=("raise", "quarantine"),
        default="raise",
        help="invalid rows: stop with exit 3 (default) or set them aside in a rejects file",
    )
    s.add_argument("--rejects", help="rejects file for --on-error quarantine (default: OUTPUT.rejects.csv)")
    s.add_argument("--encoding", help="CSV encoding (default: detected)")
    s.add_argument("--audit", help="also write the audit of quota moves to this file")
    s.add_argument("-q", "--quiet", action="store_true", help="no summary or progress on stderr")
    s.add_argument(
        "--engine",
        choices=("auto", "local", "stream", "dask"),
        default="auto",
        help="local: columnar, in memory; stream: out of core within --memory-limit; dask: on a "
        "Dask cluster; auto (default): local, or stream when the file would not fit the limit",
    )
    s.add_argument(
        "--memory-limit",
        metavar="SIZE",
        help="memory budget of the stream engine, e.g. 512MB or 4GB (default: 1/4 of available RAM)",
    )
    s.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler (default: a LocalCluster)")
    s.add_argument(
        "--uncertainty",
        type=int,
        default=0,
        metavar="N",
        help="add level probabilities from N weight draws (p_level_1..3, modal_level, uncertain)",
    )
    s.add_argument(
        "--uncertainty-weights",
        choices=("dirichlet", "uniform"),
        default="dirichlet",
        help="weight distribution: Dirichlet centred on the model's weights (default) or uniform",
    )
    s.add_argument("--concentration", type=float, default=50.0, help="Dirichlet concentration")
    s.add_argument("--seed", type=int, default=0, help="seed of the weight draws")
    add_words_options(s)

    v = sub.add_parser("validate", help="check an inventory and list every problem")
    v.add_argument("input")
    v.add_argument("-c", "--config")
    v.add_argument("--encoding")
    v.add_argument("--sheet", help="workbook sheet: name or number from 1")
    v.add_argument("--failures", help="write the failure cases to this CSV file")
    add_words_options(v, explain=False)

    sa = sub.add_parser("sample", help="generate a synthetic inventory with a known outcome model")
    sa.add_argument("--rows", type=int, default=5000)
    sa.add_argument("--units", type=int, default=None)
    sa.add_argument("--seed", type=int, default=0)
    sa.add_argument("--event-rate", type=float, default=0.03)
    sa.add_argument("-o", "--output", default="-", help="file (.csv/.parquet) or '-' for stdout")

    sc = sub.add_parser("schema", help="print the JSON Schema of the model config")
    sc.add_argument("--default-config", action="store_true", help="print the default config as JSON instead")

    a = sub.add_parser("ahp", help="check a pairwise-comparison (AHP) judgement matrix")
    a.add_argument("judgements", help="matrix as .csv (square with header, or long a,b,value) or .toml")
    a.add_argument("--ri-table", default="saaty", help="random-index table (default: saaty)")
    a.add_argument("--strict", action="store_true", help="exit 3 when the matrix is inconsistent")
    a.add_argument("--method", default=None, help="eigenvector (default), geometric_mean, normalized_column")
    a.add_argument("--threshold", default=None, help="CR threshold (default 0.10) or 'saaty_n'")

    t = sub.add_parser("template", help="write a blank entry form (风险点登记表.xlsx) to fill in")
    t.add_argument("-o", "--output", required=True, help="workbook to write (.xlsx)")
    t.add_argument("-c", "--config", help="model config whose factor catalog the form describes")

    r = sub.add_parser("report", help="self-contained HTML report of a graded file (approval meeting)")
    r.add_argument("graded", help="graded file written by 'riskgrade score' (.csv or .parquet)")
    r.add_argument("-o", "--output", required=True, help="HTML file to write (.pdf: A4 print via Chromium)")
    r.add_argument("--lang", choices=("zh", "en"), default=None, help="language (default: zh if Chinese)")
    r.add_argument("--audit", help="audit file written by 'riskgrade score --audit'")
    r.add_argument("-m", "--model", help="model card (.json) to document the weights")
    r.add_argument("--title", help="report title")
    add_report_options(r)
    add_cycle_parsers(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Output paths are checked before any work and every output of a run is committed at
    its end, or none (:mod:`riskgrade.cli_guard`); ``SIGTERM`` exits with 143.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code (see the module notes).
    """
    from riskgrade.cli_guard import guarded

    return guarded(_main, _parser(), argv)


def _main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code (see the module notes).
    """
    from riskgrade.exceptions import (
        ConfigError,
        InconsistentJudgementsError,
        InventoryValidationError,
        PolicyError,
        RiskgradeError,
    )
    from riskgrade.formats import UnsupportedFormatError

    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or usage error (2)
        return int(exc.code or 0)
    err = sys.stderr
    try:
        if args.command == "score":
            return _score(args, err)
        if args.command == "validate":
            return _validate(args, err)
        if args.command == "sample":
            return _sample(args, err)
        if args.command == "schema":
            return _flushed(_schema(args))
        if args.command == "ahp":
            return _flushed(_ahp(args))
        if args.command in CYCLE_COMMANDS:
            return run_cycle_command(args, err)
        if args.command == "report":
            from riskgrade.report import run_report_command

            return run_report_command(args)
        if args.command == "template":
            from riskgrade.formats.commands import run_template_command

            return run_template_command(args, err)
    except BrokenPipeError:  # the reader of stdout went away (riskgrade ... | head)
        from riskgrade.formats.commands import quiet_broken_pipe

        return quiet_broken_pipe()
    except UnsupportedFormatError as e:
        print(f"riskgrade: {e}", file=err)
        return EXIT_USAGE
    except InventoryValidationError as e:
        print(f"riskgrade: {failure_text(e, getattr(args, 'lang', None))}", file=err)
        print("riskgrade: nothing written", file=err)
        return EXIT_INVALID
    except (ConfigError, InconsistentJudgementsError) as e:
        print(f"riskgrade: invalid config: {e}", file=err)
        return EXIT_INVALID
    except FileNotFoundError as e:
        print(f"riskgrade: {e}", file=err)
        return EXIT_INVALID
    except UnicodeDecodeError as e:
        print(f"riskgrade: the file is not text in a known encoding ({e}); nothing written", file=err)
        return EXIT_INVALID
    except PolicyError as e:
        print(f"riskgrade: policy cannot be met: {e}", file=err)
        return EXIT_POLICY
    except RiskgradeError as e:
        print(f"riskgrade: {e}", file=err)
        return EXIT_INVALID
    except _UsageError as e:
        print(f"riskgrade: {e}", file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("riskgrade: interrupted; nothing written", file=err)
        return 130
    except Exception as e:  # pragma: no cover - safety net
        print(f"riskgrade: unexpected error: {type(e).__name__}: {e}", file=err)
        return EXIT_UNEXPECTED
    parser.print_usage(err)  # pragma: no cover
    return EXIT_USAGE  # pragma: no cover


def _flushed(code: int) -> int:
    """Flush standard output inside the command, so that a closed pipe is handled here."""
    sys.stdout.flush()
    return code


def _load_model(args: argparse.Namespace):
    from riskgrade.config import load_config
    from riskgrade.model import RiskModel

    if getattr(args, "model", None):
        return RiskModel.load(args.model)
    config = load_config(args.config) if args.config else None
    return RiskModel(config)


def _score(args: argparse.Namespace, err: TextIO) -> int:
    from riskgrade.formats.commands import check_outputs, print_source_notes, write_graded, write_stdout_csv
    from riskgrade.io import read_inventory, write_frame

    t0 = time.perf_counter()
    check_outputs(args.output, args.audit, args.rejects)
    model = _load_model(args)
    engine = _pick_engine(args, model)
    if engine != "model":
        return _score_engine(args, err, model, engine, t0)
    import warnings

    from riskgrade.exceptions import DataWarning

    with warnings.catch_warnings():  # the identity warning is one plain line below
        warnings.simplefilter("ignore", DataWarning)
        inv = read_inventory(args.input, model.config, encoding=args.encoding, sheet=args.sheet)
    if not args.quiet:
        print_source_notes(inv, err)
    if inv.attrs.get("identity_folds") and not args.quiet:
        print("riskgrade: warning: some id spellings were normalised ('riskgrade validate' lists them)",
              file=err)
    if not model.is_fitted:
        model.fit(_fit_rows(inv, model.config, args.on_error))
    result = model.grade(inv, on_error=args.on_error)
    if args.uncertainty:
        result = _with_level_probabilities(model, result, args)
    out = args.output
    from riskgrade.cli_words import frame_view

    view = frame_view(inv, args)
    written = view.frame(result.frame, [str(c) for c in inv.columns])
    if out == "-":
        write_stdout_csv(written)
    else:
        write_graded(written, out, result, notes=inv.attrs.get("source_notes"))
    rej_path = None
    if len(result.rejected):
        rej_path = Path(args.rejects) if args.rejects else _rejects_path(out)
        write_frame(result.rejected, rej_path)
    if args.audit:
        write_frame(result.audit, args.audit)
    if not args.quiet:
        from riskgrade.cli_words import print_conversions, small_units_line
        from riskgrade.grading import small_unit_summary

        c = result.counts
        lv = result.summary()["n"].to_dict()
        us = result.unit_summary()
        over = int((us["candidates_level_1"] > us["cap"]).sum())
        print(
            f"riskgrade: {c['rows_in']} rows in: {c['graded']} graded, {c['rejected']} rejected"
            + (f" (reasons in {rej_path})" if rej_path else ""),
            file=err,
        )
        print(
            f"riskgrade: level 1: {lv[1]}, level 2: {lv[2]}, level 3: {lv[3]}; "
            f"{over} of {len(us)} units over the cap before the quota, {c['demoted']} points demoted",
            file=err,
        )
        q = model.config.quota
        info = small_unit_summary(us, q.max_share, q.rounding)
        if info["units"]:
            print(small_units_line(info["units"], info["demoted"], view.lang,
                                   threshold=info["threshold"]), file=err)
        print_conversions(inv, err, view.lang)
        where = "stdout" if out == "-" else out
        print(f"riskgrade: wrote {where} in {time.perf_counter() - t0:.2f} s", file=err)
    return EXIT_OK


def _pick_engine(args: argparse.Namespace, model) -> str:
    """Which engine grades: the DataFrame path ("model") or a batch engine (engine/choice.py)."""
    from riskgrade.engine.choice import choose_engine, parse_memory
    from riskgrade.formats.commands import graded_in_memory

    # workbooks in or out, and --sheet, are graded in memory (a file that is no inventory: exit 3)
    in_memory = graded_in_memory(args.input, args.output) or args.sheet is not None
    try:
        limit = parse_memory(args.memory_limit) if args.memory_limit else None
        return choose_engine(
            args.engine, model, args.input, limit,
            frame_only=args.output == "-" or bool(args.uncertainty) or in_memory,
        )
    except ValueError as e:
        raise _UsageError(str(e)) from None


def _small_threshold(config) -> int:
    """Fewest points a unit needs for its share cap to allow one level-one point."""
    import numpy as np

    n = np.arange(1, 10_001)
    ok = np.flatnonzero(config.quota.cap(n) >= 1)
    return int(n[ok[0]]) if len(ok) else 10_001


class _UsageError(Exception):
    """A combination of options that cannot work."""


def _score_engine(args: argparse.Namespace, err: TextIO, model, engine: str, t0: float) -> int:
    """``score`` through the batch engine (local, stream) or the Dask backend."""
    from riskgrade.cli_words import file_view
    from riskgrade.engine.progress import RowProgress

    view = file_view(args.input, model.config, args)
    bar = RowProgress(err, enabled=(not args.quiet) and err.isatty())
    try:
        if engine == "dask":
            from riskgrade.engine.dask_backend import grade_dask_file

            summary = grade_dask_file(
                args.input, args.output, model, scheduler=args.scheduler, on_error=args.on_error,
                audit=args.audit, progress=bar,
            )
        else:
            from riskgrade.engine import grade_file

            summary = grade_file(
                args.input, args.output, model,
                engine="stream" if engine == "stream" else "local", memory_limit=args.memory_limit,
                on_error=args.on_error, rejects=args.rejects, audit=args.audit,
                encoding=args.encoding, progress=bar, view=view,
            )
    finally:
        bar.close()
    if not args.quiet:
        lv = summary.levels
        print(
            f"riskgrade: {summary.rows_in} rows in: {summary.rows_graded} graded, "
            f"{summary.rows_rejected} rejected ({engine} engine)",
            file=err,
        )
        print(
            f"riskgrade: level 1: {lv[1]}, level 2: {lv[2]}, level 3: {lv[3]}; "
            f"{summary.units_over_cap} of {summary.units} units over the cap before the quota, "
            f"{summary.demoted} points demoted",
            file=err,
        )
        if getattr(summary, "small_units", 0):
            from riskgrade.cli_words import small_units_line

            small_dem = 0
            if summary.audit is not None and len(summary.audit) and "cap" in summary.audit:
                a = summary.audit
                small_dem = int(((a["action"] == "quota_demotion") & (a["cap"] == 0)).sum())
            print(small_units_line(summary.small_units, small_dem, view.lang,
                                   threshold=_small_threshold(model.config)), file=err)
        from riskgrade.cli_words import print_header_units

        print_header_units(args.input, model.config, args, err, view.lang)
        secs = time.perf_counter() - t0
        rate = summary.rows_in / secs if secs > 0 else 0.0
        print(f"riskgrade: wrote {args.output} in {secs:.2f} s ({rate:,.0f} rows/s)", file=err)
    return EXIT_OK


def _fit_rows(inv, config, on_error: str):
    """Rows to fit data-driven weights on (``None`` when the weights need no data)."""
    from riskgrade.model import DATA_FREE_METHODS
    from riskgrade.schema import find_failures

    if config.weighting.method in DATA_FREE_METHODS:
        return None
    if on_error != "quarantine":
        return inv
    fc = find_failures(inv, config)
    if len(fc) == 0 or fc["row"].isna().any():
        return inv
    bad = set(fc["row"].astype(int))
    keep = [i for i in range(len(inv)) if i not in bad]
    sub = inv.iloc[keep]
    sub.attrs = dict(inv.attrs)
    return sub


def _with_level_probabilities(model, result, args: argparse.Namespace):
    """Add the columns of :func:`riskgrade.uncertainty.level_probabilities` to a result."""
    import dataclasses

    from riskgrade.uncertainty import level_probabilities

    probs = level_probabilities(
        model,
        result.frame,
        weights=args.uncertainty_weights,
        n_draws=args.uncertainty,
        seed=args.seed,
        concentration=args.concentration,
        progress=(not args.quiet) and sys.stderr.isatty(),
    )
    keep = [c for c in probs.columns if c not in result.frame.columns or c == "risk_point_id"]
    add = probs[keep].set_index("risk_point_id").reindex(result.frame["risk_point_id"])
    frame = result.frame.copy()
    for c in add.columns:
        frame[c] = add[c].to_numpy()
    prov = dict(result.provenance)
    prov["uncertainty"] = {k: _plain(v) for k, v in probs.attrs.items()}
    return dataclasses.replace(result, frame=frame, provenance=prov)


def _plain(v):
    """JSON-friendly form of a provenance value."""
    if isinstance(v, int | float | str | bool) or v is None:
        return v
    return str(v)


def _rejects_path(out: str) -> Path:
    if out == "-":
        return Path("rejects.csv")
    p = Path(out)
    stem = p.name[: -len(p.suffix)] if p.suffix else p.name
    return p.with_name(f"{stem}.rejects.csv")


def _validate(args: argparse.Namespace, err: TextIO) -> int:
    from riskgrade.config import default_config, load_config
    from riskgrade.exceptions import DataWarning
    from riskgrade.formats.commands import check_outputs, print_source_notes
    from riskgrade.io import read_inventory, write_frame
    from riskgrade.schema import find_failures

    check_outputs(args.failures)

    config = load_config(args.config) if args.config else default_config()
    import warnings

    from riskgrade.messages import identity_warnings

    with warnings.catch_warnings():  # the identity warnings are listed below, one per line
        warnings.simplefilter("ignore", DataWarning)
        inv = read_inventory(args.input, config, encoding=args.encoding, sheet=args.sheet)
    print_source_notes(inv, err)
    for line in identity_warnings(inv, config):
        print(f"riskgrade: {line}", file=err)
    fc = find_failures(inv, config)
    if len(fc) == 0:
        print(f"riskgrade: {len(inv)} rows, valid", file=err)
        return EXIT_OK
    from riskgrade.exceptions import InventoryValidationError

    print(f"riskgrade: {failure_text(InventoryValidationError(fc, n_rows=len(inv)), args.lang)}", file=err)
    if args.failures:
        write_frame(fc, args.failures)
        print(f"riskgrade: failure cases written to {args.failures}", file=err)
    return EXIT_INVALID


def _sample(args: argparse.Namespace, err: TextIO) -> int:
    from riskgrade.datasets import make_inventory
    from riskgrade.formats.commands import check_outputs, write_stdout_csv
    from riskgrade.io import write_frame

    if args.rows < 1:
        print("riskgrade: --rows must be at least 1", file=err)
        return EXIT_USAGE
    try:
        frame = make_inventory(args.rows, n_units=args.units, seed=args.seed, event_rate=args.event_rate)
    except ValueError as e:
        print(f"riskgrade: {e}", file=err)
        return EXIT_USAGE
    check_outputs(args.output)
    if args.output == "-":
        write_stdout_csv(frame)
    else:
        write_frame(frame, args.output, provenance={"generator": "riskgrade.datasets.make_inventory",
                                                   "rows": args.rows, "seed": args.seed,
                                                   "riskgrade_version": __version__})
        print(f"riskgrade: wrote {len(frame)} rows to {args.output}", file=err)
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from riskgrade.config import config_json_schema, default_config

    if args.default_config:
        print(default_config().to_json())
    else:
        print(json.dumps(config_json_schema(), ensure_ascii=False, indent=2, sort_keys=True))
    return EXIT_OK


def _ahp(args: argparse.Namespace) -> int:
    try:
        from riskgrade.weighting.cli_ahp import run_ahp_command
    except ImportError:  # pragma: no cover - the weighting CLI ships with the package
        print("riskgrade: the ahp command is not available in this build", file=sys.stderr)
        return EXIT_UNEXPECTED
    thr = args.threshold
    if thr is not None and thr != "saaty_n":
        try:
            thr = float(thr)
        except ValueError:
            print(f"riskgrade: --threshold must be a number or 'saaty_n', got {thr!r}", file=sys.stderr)
            return EXIT_USAGE
    return run_ahp_command(
        args.judgements,
        strict=args.strict,
        ri_table=args.ri_table,
        out=sys.stdout,
        method=args.method,
        threshold=thr,
    )
