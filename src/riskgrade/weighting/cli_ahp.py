"""``riskgrade ahp JUDGEMENTS``: check a judgement matrix from a CSV or TOML file.

Accepted files:

* CSV, square: header = criterion names, first column = the same names, cells numbers or
  fractions (``1/3``); empty cells are missing judgements.
* CSV, long: three columns ``a,b,value`` (the third column named ``value`` or ``judgement``).
* TOML: ``[judgements]`` with ``"a/b" = 3`` keys (values numbers or ``"1/3"``), or
  ``criteria = [...]`` and ``matrix = [[...], ...]``; several experts as ``[[experts]]``
  (each with ``name``, optional ``weight`` and its own ``[experts.judgements]`` or
  ``matrix``), aggregated with ``group_method = "aij"`` (default) or ``"aip"``. Top-level
  ``method``, ``ri_table`` and ``threshold`` set the defaults of the command line.

Exit codes: 0 ok; 3 invalid input (the message names the cell), or an inconsistent matrix
with ``--strict``.
"""

from __future__ import annotations

import tomllib
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from riskgrade.exceptions import InconsistentJudgementsError, RiskgradeError, WeightingError
from riskgrade.weighting.ahp import AHPResult, ahp, gci_threshold
from riskgrade.weighting.ahp_group import AHPGroupResult, ahp_group
from riskgrade.weighting.ri_tables import get_ri_table

__all__ = ["read_judgements", "run_ahp_command"]

EXIT_OK = 0
EXIT_INVALID = 3


def _number(x: Any, where: str) -> float:
    if x is None:
        return float("nan")
    if isinstance(x, int | float):
        return float(x)
    s = str(x).strip()
    if s == "" or s.lower() in ("nan", "na", "-"):
        return float("nan")
    try:
        return float(Fraction(s)) if "/" in s else float(s)
    except (ValueError, ZeroDivisionError):
        raise InconsistentJudgementsError(
            f"{where}: {x!r} is not a number or a fraction such as 1/3"
        ) from None


def _pairs(table: dict[str, Any], where: str) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for key, value in table.items():
        if "/" not in key:
            raise InconsistentJudgementsError(f'{where}: key {key!r} must name a pair as "a/b"')
        a, b = (s.strip() for s in key.split("/", 1))
        out[(a, b)] = _number(value, f"{where} {key!r}")
    return out


def _one_matrix(spec: dict[str, Any], where: str) -> Any:
    if "judgements" in spec:
        return _pairs(spec["judgements"], f"{where} [judgements]")
    if "matrix" in spec:
        rows = [
            [_number(x, f"{where} matrix row {i + 1}") for x in row] for i, row in enumerate(spec["matrix"])
        ]
        crit = spec.get("criteria")
        if crit is None:
            return np.array(rows, dtype=float)
        return pd.DataFrame(rows, index=crit, columns=crit)
    raise InconsistentJudgementsError(f"{where}: expected a [judgements] table or a matrix")


def read_judgements(path: str | Path) -> dict[str, Any]:
    """Read a judgements file.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv`` or ``.toml`` file.

    Returns
    -------
    dict
        ``{"matrix": ...}`` for one matrix or ``{"experts": {name: matrix}, "weights": {...},
        "group_method": ...}`` for several, plus the file's ``options``.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    if p.suffix.lower() == ".toml":
        with p.open("rb") as fh:
            try:
                doc = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise InconsistentJudgementsError(f"{p}: not valid TOML: {exc}") from None
        options = {k: doc[k] for k in ("method", "ri_table", "threshold") if k in doc}
        if "experts" in doc:
            experts: dict[str, Any] = {}
            weights: dict[str, float] = {}
            for k, e in enumerate(doc["experts"]):
                name = str(e.get("name", f"expert_{k + 1}"))
                spec = dict(e)
                spec.setdefault("criteria", doc.get("criteria"))
                if spec["criteria"] is None:
                    spec.pop("criteria")
                experts[name] = _one_matrix(spec, f"{p} expert {name!r}")
                weights[name] = float(e.get("weight", 1.0))
            return {
                "experts": experts,
                "weights": weights,
                "group_method": doc.get("group_method", "aij"),
                "criteria": doc.get("criteria"),
                "options": options,
            }
        return {"matrix": _one_matrix(doc, str(p)), "criteria": doc.get("criteria"), "options": options}
    frame = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
    cols = [str(c).strip() for c in frame.columns]
    if len(cols) == 3 and cols[2].lower() in ("value", "judgement", "judgment"):
        pairs = {}
        for i, (a, b, v) in enumerate(frame.itertuples(index=False, name=None)):
            pairs[(a.strip(), b.strip())] = _number(v, f"{p} line {i + 2}")
        return {"matrix": pairs, "criteria": None, "options": {}}
    labels = [str(x).strip() for x in frame.iloc[:, 0]]
    body = frame.iloc[:, 1:]
    header = cols[1:]
    values = []
    problems = []
    for i in range(body.shape[0]):
        row = []
        for j in range(body.shape[1]):
            try:
                row.append(_number(body.iat[i, j], f"cell ({labels[i]!r}, {header[j]!r})"))
            except InconsistentJudgementsError as exc:
                problems.append(str(exc))
                row.append(float("nan"))
        values.append(row)
    if problems:
        raise InconsistentJudgementsError(f"{p}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return {"matrix": pd.DataFrame(values, index=labels, columns=header), "criteria": None, "options": {}}


def _print_single(r: AHPResult, out: TextIO) -> None:
    table = get_ri_table(r.ri_table)
    out.write(f"AHP: {r.n} criteria, method {r.method}\n")
    out.write(r.to_frame().to_string(float_format=lambda x: f"{x:.4f}") + "\n")
    verdict = "consistent" if r.is_consistent else "INCONSISTENT"
    out.write(
        f"lambda_max = {r.lambda_max:.4f}   CI = {r.ci:.4f}   RI = {r.ri:.4g} (table {r.ri_table!r})   "
        f"CR = {r.cr:.4f}   threshold {r.threshold:g}: {verdict}\n"
    )
    out.write(f"RI table: {table.source}\n")
    if r.n >= 3:
        out.write(
            f"GCI = {r.gci:.4f} (Aguarón & Moreno-Jiménez 2003 threshold {gci_threshold(r.n):g})\n"
        )
    if r.n_missing:
        out.write(f"completed {r.n_missing} missing judgement(s) ({r.completion}):\n")
        out.write(r.imputed.to_string(index=False, float_format=lambda x: f"{x:.4f}") + "\n")
    if r.n >= 3:
        hints = r.revision_hints(top=5)
        cols = ["row", "column", "judgement", "consistent_value", "suggested", "share", "cr_if_revised"]
        out.write("revision hints (judgements furthest from the weights, first):\n")
        out.write(hints[cols].to_string(index=False, float_format=lambda x: f"{x:.4f}") + "\n")


def _print_group(g: AHPGroupResult, out: TextIO) -> None:
    out.write(f"AHP group ({g.method.upper()}): {len(g.experts)} experts\n")
    out.write(g.weights.to_frame().to_string(float_format=lambda x: f"{x:.4f}") + "\n")
    if g.group is not None:
        verdict = "consistent" if g.group.is_consistent else "INCONSISTENT"
        out.write(
            f"group matrix: lambda_max = {g.lambda_max:.4f}   CI = {g.group.ci:.4f}   RI = {g.group.ri:.4g} "
            f"(table {g.ri_table!r})   CR = {g.cr:.4f}   threshold {g.group.threshold:g}: {verdict}\n"
        )
    cols = ["weight", "lambda_max", "cr", "is_consistent", "gcompi", "distance", "distance_rank"]
    out.write("experts:\n" + g.experts[cols].to_string(float_format=lambda x: f"{x:.4f}") + "\n")
    c = g.consensus
    out.write(
        f"Kendall's W = {c['kendall_w']:.4f} (p = {c['kendall_p_value']:.4g}); mean GCOMPI = "
        f"{c['mean_gcompi']:.4f}\n"
    )


def run_ahp_command(
    path: str | Path,
    strict: bool,
    ri_table: str,
    out: TextIO,
    *,
    method: str | None = None,
    threshold: float | str | None = None,
    err: TextIO | None = None,
) -> int:
    """Run ``riskgrade ahp``: print weights, lambda_max, CI, CR (table named) and revision hints.

    Parameters
    ----------
    path : str or pathlib.Path
        Judgements file (.csv or .toml).
    strict : bool
        Return 3 when the matrix (or the group matrix / any expert for AIP) is inconsistent.
    ri_table : str
        Random-index table (a ``ri_table`` in the TOML file is used when this is "saaty",
        the command-line default).
    out : text stream
        Where the report goes.
    method : str, optional
        Weighting method (default: the file's ``method`` or "eigenvector").
    threshold : float or "saaty_n", optional
        CR threshold (default: the file's ``threshold`` or 0.10).
    err : text stream, optional
        Where errors go (default ``sys.stderr``).

    Returns
    -------
    int
        Exit code: 0 ok, 3 invalid input or inconsistent with ``strict``.
    """
    import sys

    err = err if err is not None else sys.stderr
    try:
        data = read_judgements(path)
        opts = data["options"]
        table = ri_table if ri_table != "saaty" else opts.get("ri_table", ri_table)
        meth = method or opts.get("method", "eigenvector")
        thr = threshold if threshold is not None else opts.get("threshold", 0.10)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if "experts" in data:
                g = ahp_group(
                    data["experts"],
                    method=data["group_method"],
                    expert_weights=data["weights"],
                    priority_method=meth,
                    ri_table=table,
                    threshold=thr,
                    criteria=data.get("criteria"),
                )
                _print_group(g, out)
                consistent = g.is_consistent
            else:
                r = ahp(
                    data["matrix"], method=meth, ri_table=table, threshold=thr, criteria=data.get("criteria")
                )
                _print_single(r, out)
                consistent = r.is_consistent
        for w in caught:
            err.write(f"riskgrade: warning: {w.message}\n")
    except FileNotFoundError as exc:
        err.write(f"riskgrade: {exc}\n")
        return EXIT_INVALID
    except (InconsistentJudgementsError, WeightingError, RiskgradeError) as exc:
        err.write(f"riskgrade: invalid judgements in {path}: {exc}\n")
        return EXIT_INVALID
    if strict and not consistent:
        err.write(
            "riskgrade: the judgements are inconsistent (CR above the threshold) and --strict was given\n"
        )
        return EXIT_INVALID
    return EXIT_OK
