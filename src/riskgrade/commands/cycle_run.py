"""What the control-cycle commands do (see :mod:`riskgrade.commands.cycle`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TextIO

import pandas as pd

from riskgrade.commands.tableio import header_map, read_graded, read_table, user_terms, write_tables
from riskgrade.governance.tables import canonical_table, labelled

__all__ = ["RUNNERS", "read_cards", "read_measures", "read_org"]


def _table(path: str, kind: str) -> tuple[pd.DataFrame, dict[str, str]]:
    raw = read_table(path)
    canon = canonical_table(raw, kind)
    return canon, header_map(raw, canon)


def read_org(path: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Units, divisions and posts from one organisation table (errors in the file's terms)."""
    from riskgrade.governance.tables import split_org

    org, heads = _table(path, "org")
    with user_terms(path, heads, kind="org"):
        return split_org(org)


def read_measures(path: str) -> pd.DataFrame:
    """A measures table, canonical and checked (errors in the file's terms)."""
    return _measures(path)[0]


def read_cards(path: str) -> pd.DataFrame:
    """A card register, canonical."""
    return _table(path, "cards")[0]


def _measures(path: str) -> tuple[pd.DataFrame, dict[str, str]]:
    from riskgrade.governance import validate_measures

    m, heads = _table(path, "measures")
    with user_terms(path, heads, kind="measures"):
        validate_measures(m)
    return m, heads


def _owners(args: argparse.Namespace, err: TextIO) -> int:
    from riskgrade.governance import assign_owners

    g = read_graded(args.graded)
    units, divisions, posts = read_org(args.org)
    with user_terms(args.graded):
        a = assign_owners(g, units=units, divisions=divisions, posts=posts, level_column=args.level_column)
    wide = a.wide()
    resp = [c for c in ("overall", "leadership", "direct") if c in wide.columns]
    wide = wide[[c for c in wide.columns if c not in resp] + resp]
    if "unit_name" in g.columns:
        names = g.drop_duplicates("unit_id").set_index("unit_id")["unit_name"]
        wide.insert(2, "unit_name", wide["unit_id"].map(names))
    outputs = {args.output: labelled(wide, args.lang)}
    if args.findings:
        outputs[args.findings] = a.findings
    write_tables(outputs)
    f = a.findings
    n1 = int(((f["severity"] == "error") & (f["reason"] == "missing_owner")).sum())
    print(
        f"riskgrade: owners of {len(wide)} points; {n1} level-one owner(s) missing, "
        f"{int((f['severity'] == 'warning').sum())} lower-level; wrote {args.output}",
        file=err,
    )
    return 0


def _measures_cmd(args: argparse.Namespace, err: TextIO) -> int:
    from riskgrade.governance import coverage_report, overdue_measures, residual_risk

    g = read_graded(args.graded)
    m, heads = _measures(args.measures)
    with user_terms(args.measures, heads):
        res = residual_risk(g, m, as_of=args.as_of)
        cov = coverage_report(g, m, as_of=args.as_of, level_column=args.level_column)
        od = overdue_measures(m, as_of=args.as_of)
    outputs = {args.output: labelled(res, args.lang)}
    if args.coverage:
        outputs[args.coverage] = labelled(cov, args.lang)
    if args.overdue:
        outputs[args.overdue] = labelled(od, args.lang)
    write_tables(outputs)
    print(
        f"riskgrade: {len(res)} points, {int((res['n_measures'] > 0).sum())} with measures; "
        f"level one: {int(cov['complete'].sum())} of {len(cov)} fully covered; "
        f"{len(od)} measure(s) overdue on {args.as_of}; wrote {args.output}",
        file=err,
    )
    return 0


def _cards(args: argparse.Namespace, err: TextIO) -> int:
    from riskgrade.governance import CARD_COLUMNS, issue_cards, review_cards
    from riskgrade.governance.signals import prepare_signals

    s, heads = _table(args.signals, "signals")
    with user_terms(args.signals, heads, kind="signals"):
        s, quarantined = prepare_signals(s, on_unknown="quarantine" if args.quarantine else "raise")
    hist: pd.DataFrame | None = None
    hh: dict[str, str] = {}
    if args.history:
        hist, hh = _table(args.history, "cards")
        hist = hist[[c for c in hist.columns if c in (*CARD_COLUMNS, "response_date")]]
    with user_terms(args.history or "history", hh, kind="cards"):
        new = issue_cards(s, as_of=args.as_of, history=hist)
    register = new if hist is None else pd.concat([hist, new], ignore_index=True)
    for c in ("issue_date", "deadline", "response_date"):
        if c in register.columns:
            d = pd.to_datetime(register[c], errors="coerce")
            register[c] = d.dt.date.where(d.notna(), None)
    register["n_signals"] = pd.to_numeric(register["n_signals"], errors="coerce").astype("Int64")
    responses: pd.DataFrame | None = None
    rh: dict[str, str] = {}
    if args.responses:
        responses, rh = _table(args.responses, "cards")
    with user_terms(args.responses or "responses", rh, kind="cards"):
        reviewed = review_cards(register, as_of=args.as_of, responses=responses)
    reviewed = reviewed.sort_values(["issue_date", "card_id"], kind="stable").reset_index(drop=True)
    outputs = {args.output: labelled(reviewed, args.lang)}
    if args.quarantine:
        outputs[args.quarantine] = quarantined.rename(columns=heads)  # as written in the file
    write_tables(outputs)
    kinds = new["card_type"].value_counts().to_dict()
    print(
        f"riskgrade: {len(new)} new card(s) on {args.as_of} {kinds or ''}; "
        f"{int((reviewed['status'] == 'overdue').sum())} overdue in the register of {len(reviewed)}"
        + (
            f"; {len(quarantined)} signal(s) of unknown type set aside in {args.quarantine}"
            if args.quarantine
            else ""
        )
        + f"; wrote {args.output}",
        file=err,
    )
    return 0


def _graded_with_spellings(path: str, err: TextIO) -> pd.DataFrame:
    """A graded file; the id spellings its reader folded are listed, rows as in the file."""
    import warnings

    from riskgrade.exceptions import DataWarning
    from riskgrade.messages import identity_warnings

    with warnings.catch_warnings():  # listed below, one line per spelling
        warnings.filterwarnings("ignore", message=r".* spelling\(s\) of .* normalised", category=DataWarning)
        graded = read_graded(path)
    for line in identity_warnings(graded):
        print(f"riskgrade: {path}: {line}", file=err)
    return graded


def _compare(args: argparse.Namespace, err: TextIO) -> int:
    from riskgrade.governance import compare_assessments, summarize_movement

    prev, cur = _graded_with_spellings(args.previous, err), _graded_with_spellings(args.graded, err)
    with user_terms(f"{args.previous} / {args.graded}"):
        comp = compare_assessments(prev, cur)
    summ = summarize_movement(comp).reset_index()
    outputs = {args.output: labelled(comp, args.lang)}
    if args.summary:
        outputs[args.summary] = labelled(summ, args.lang)
    write_tables(outputs)
    ch = comp["change"].value_counts().to_dict()
    print(f"riskgrade: {len(comp)} points compared: {ch}; wrote {args.output}", file=err)
    return 0


def _disclose(args: argparse.Namespace, err: TextIO) -> int:
    from riskgrade.governance import DisclosurePolicy, public_export

    g = read_graded(args.graded)
    m = _measures(args.measures)[0] if args.measures else None
    pol = DisclosurePolicy(
        on_empty=args.on_empty, confidential=tuple(args.confidential), level_column=args.level_column
    )
    with user_terms(args.graded):
        out = public_export(g, m, policy=pol, lang=args.lang)
    write_tables({args.output: out})
    print(
        f"riskgrade: {len(out)} of {len(g)} points published, {len(g) - len(out)} withheld; "
        f"wrote {args.output}",
        file=err,
    )
    return 0


def _compliance(args: argparse.Namespace, err: TextIO) -> int:
    from riskgrade.governance import assign_owners, compliance_summary

    g = read_graded(args.graded)
    owners = measures = cards = None
    if args.org:
        units, divisions, posts = read_org(args.org)
        with user_terms(args.graded):
            owners = assign_owners(
                g, units=units, divisions=divisions, posts=posts, level_column=args.level_column
            )
    if args.measures:
        measures = _measures(args.measures)[0]
    if args.cards:
        cards, _ = _table(args.cards, "cards")
    with user_terms(args.cards or args.graded):
        s = compliance_summary(
            g,
            as_of=args.as_of,
            assessed_on=args.assessed_on,
            owners=owners,
            measures=measures,
            cards=cards,
            level_column=args.level_column,
        )
    s = s.reset_index()
    write_tables({args.output: labelled(s, args.lang)})
    stale = s["assessment_stale"].fillna(False).astype(bool).sum()
    print(
        f"riskgrade: {len(s)} units; {int((~s['within_cap']).sum())} over the level-one cap; "
        f"{int(stale)} with an assessment older than 12 months; wrote {args.output}",
        file=err,
    )
    return 0


def _rollup(args: argparse.Namespace, err: TextIO) -> int:
    from riskgrade.governance import rollup_levels
    from riskgrade.governance.domains import rollup_domains

    g = read_graded(args.graded)
    with user_terms(args.graded):
        if args.by == "key_domain":
            out = rollup_domains(g, extra=tuple(args.domain), level_column=args.level_column)
        else:
            by: dict[str, str | tuple[str, ...]] = {
                "power_item": "power_item_id",
                "flow_step": ("power_item_id", "flow_step_id"),
                "unit": "unit_id",
            }
            out = rollup_levels(g, by[args.by], level_column=args.level_column)
    write_tables({args.output: labelled(out, args.lang)})
    print(f"riskgrade: {len(out)} group(s) by {args.by}; wrote {args.output}", file=err)
    return 0


def _accountability(args: argparse.Namespace, err: TextIO) -> int:
    from riskgrade.governance import accountability_record

    cases, heads = _table(args.cases, "cases")
    assessments = [(d, read_graded(path)) for d, path in args.assessment]
    units, divisions, posts = read_org(args.org)
    measures = read_measures(args.measures) if args.measures else None
    with user_terms(args.cases, heads, kind="cases"):
        rec = accountability_record(
            cases,
            assessments,
            units=units,
            divisions=divisions,
            posts=posts,
            measures=measures,
            level_column=args.level_column,
        )
    write_tables({args.output: labelled(rec, args.lang)})
    print(
        f"riskgrade: {len(rec)} case(s); {int(rec['review_level'].sum())} at a level-3 point flagged for "
        f"review of the level; wrote {args.output}",
        file=err,
    )
    return 0


#: Runner of each command.
RUNNERS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "owners": _owners,
    "measures": _measures_cmd,
    "cards": _cards,
    "compare": _compare,
    "disclose": _disclose,
    "compliance": _compliance,
    "rollup": _rollup,
    "accountability": _accountability,
}
