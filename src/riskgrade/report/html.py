"""HTML rendering of the approval report (see :mod:`riskgrade.report`).

Plain string building with :func:`html.escape` on every value taken from the data; the
page has inline CSS and inline SVG only — no scripts, no fonts, images or styles fetched
from anywhere.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from riskgrade._version import __version__
from riskgrade.grading import small_unit_summary
from riskgrade.i18n import level_name, value_label
from riskgrade.output_view import small_unit_sentence
from riskgrade.report.inputs import (
    ReportInputs,
    factor_labels,
    level_probabilities,
    owner_columns,
    uncertain_mask,
    weight_method_label,
)
from riskgrade.report.markup import CSS, Raw, esc, level_badge, limit_note, num, pct, table, tr
from riskgrade.report.svg import level_bars_svg, probability_bar_svg, weight_bars_svg

__all__ = ["build_html"]

def _unit_labels(frame: pd.DataFrame, by: str, units: Sequence[str], lang: str) -> dict[str, str]:
    if "unit_name" not in frame.columns or by != "unit_id":
        return {u: u for u in units}
    names = frame.groupby(frame[by].astype(str), sort=False)["unit_name"].first()
    out = {}
    for u in units:
        n = names.get(u)
        if n is None or (isinstance(n, float) and math.isnan(n)) or str(n) == u:
            out[u] = u
        else:
            out[u] = f"{n}（{u}）" if lang == "zh" else f"{n} ({u})"
    return out


def _summary(inputs: ReportInputs, lang: str) -> tuple[str, pd.DataFrame, dict[str, str]]:
    from riskgrade.results import GradingResult

    prov = inputs.provenance
    by = str(prov.get("quota_by", "unit_id"))
    frame = inputs.frame
    if by not in frame.columns:
        frame = frame.assign(**{by: "—"})
    res = GradingResult(
        frame=frame, audit=pd.DataFrame(), weights=pd.Series(dtype=float), provenance=prov, group_by=by
    )
    us = res.unit_summary()
    units = [str(u) for u in us.index]
    labels = _unit_labels(frame, by, units, lang)
    max_share = prov.get("max_share")
    max_share = float(max_share) if max_share is not None else None
    parts = [
        "<p>" + (tr("summary_intro", lang, share=pct(max_share)) if max_share is not None else "") + "</p>"
    ]
    small = small_unit_summary(us, max_share if max_share is not None else 0.1)
    if small["units"]:
        parts.append(f'<p class="small-units">{esc(small_unit_sentence(small, lang))}</p>')
    legend = [level_name(k, lang) for k in (1, 2, 3)]
    parts.append(
        level_bars_svg(
            [labels[u] for u in units],
            [(int(r.level_1), int(r.level_2), int(r.level_3)) for r in us.itertuples()],
            max_share,
            legend=legend,
            cap_label=tr("cap_line", lang, share=pct(max_share) if max_share is not None else ""),
        )
    )
    yes, no = tr("yes", lang), tr("no", lang)
    rows, classes = [], []
    for u, r in zip(units, us.itertuples(), strict=True):
        rows.append(
            [
                labels[u],
                int(r.n_points),
                int(r.level_1),
                int(r.level_2),
                int(r.level_3),
                int(r.cap),
                pct(r.share_level_1),
                int(r.candidates_level_1),
                int(r.demoted),
                yes if r.within_cap else no,
            ]
        )
        classes.append("" if r.within_cap else "over")
    tot = us[["n_points", "level_1", "level_2", "level_3", "cap", "candidates_level_1", "demoted"]].sum()
    rows.append(
        [
            Raw(f"<b>{esc(tr('col_total', lang))}</b>"),
            int(tot.n_points),
            int(tot.level_1),
            int(tot.level_2),
            int(tot.level_3),
            int(tot.cap),
            pct(tot.level_1 / tot.n_points if tot.n_points else float("nan")),
            int(tot.candidates_level_1),
            int(tot.demoted),
            yes if bool(us["within_cap"].all()) else no,
        ]
    )
    classes.append("")
    headers = [
        tr("col_unit", lang),
        tr("col_points", lang),
        *legend,
        tr("col_cap", lang),
        tr("col_share", lang),
        tr("col_candidates", lang),
        tr("col_demoted", lang),
        tr("col_within", lang),
    ]
    parts.append(table(headers, rows, numeric=range(1, 9), row_classes=classes, table_id="unit-summary"))
    return "".join(parts), us, labels


def _where(row: pd.Series) -> str:
    bits = [str(row[c]) for c in ("division_name", "post_name") if c in row.index and pd.notna(row[c])]
    if not bits:
        bits = [str(row[c]) for c in ("division_id", "post_id") if c in row.index and pd.notna(row[c])]
    return " / ".join(bits)


def _level_one(inputs: ReportInputs, lang: str, labels: dict[str, str], by: str, max_rows: int) -> str:
    from riskgrade.i18n import column_label

    f = inputs.frame
    l1 = f[f["level"].astype("int64") == 1]
    if by in l1.columns:
        l1 = l1.assign(_u=l1[by].astype(str)).sort_values(["_u", "rank_in_unit"], kind="stable")
    parts = [f"<p>{esc(tr('level_one_intro', lang, n=len(l1)))}</p>"]
    owners, measures = owner_columns(f)
    if not owners and not measures:
        parts.append(f'<p class="warn">{esc(tr("no_owner_cols", lang))}</p>')
    if len(l1) == 0:
        return "".join(parts)
    desc = next((c for c in ("description", "manifestation") if c in f.columns), None)
    headers = [tr("col_unit", lang), column_label("risk_point_id", lang), tr("col_where", lang)]
    headers += [tr("col_description", lang)] if desc else []
    headers += [tr("col_score", lang), tr("col_rank", lang)]
    prob = "probability" in f.columns
    headers += [column_label("probability", lang)] if prob else []
    headers += [column_label(c, lang) for c in (*owners, *measures)]
    rows = []
    for _, r in l1.head(max_rows).iterrows():
        u = str(r[by]) if by in r.index else ""
        row = [labels.get(u, u), r["risk_point_id"], _where(r)]
        row += [r[desc]] if desc else []
        row += [num(r["score"]), f"{int(r['rank_in_unit'])}/{int(r['n_in_unit'])}"]
        row += [num(r["probability"])] if prob else []
        row += [r[c] for c in (*owners, *measures)]
        rows.append(row)
    n_desc = 1 if desc else 0
    numeric = (3 + n_desc, 4 + n_desc, 5 + n_desc) if prob else (3 + n_desc, 4 + n_desc)
    parts.append(table(headers, rows, numeric=numeric, table_id="level-one-list"))
    parts.append(limit_note(len(l1), max_rows, lang))
    return "".join(parts)


def _quota_reason(r: Any, action: str, lang: str, rounding: str, share: str) -> str:
    unit, n, cap, rank = r["unit"], int(r["n_in_unit"]), int(r["cap"]), int(r["rank_in_unit"])
    if action == "quota_exception":
        return tr("reason_exception", lang, unit=unit, n=n)
    text = tr("reason_demotion", lang, unit=unit, n=n, cap=cap, rank=rank, rounding=rounding, share=share)
    if bool(r.get("tie", False)):
        text += tr("reason_tie", lang)
    return text


def _changes(inputs: ReportInputs, lang: str, labels: dict[str, str], by: str, max_rows: int) -> str:
    f = inputs.frame
    prov = inputs.provenance
    cfg = (inputs.card or {}).get("config", {}) if inputs.card else {}
    quota_cfg = cfg.get("quota", {}) if isinstance(cfg, dict) else {}
    rounding = str(quota_cfg.get("rounding", "floor"))
    share = f"{float(prov.get('max_share', quota_cfg.get('max_share', 0.1))):g}"
    keys = quota_cfg.get("tie_break")
    if keys:
        from riskgrade.i18n import column_label, factor_label

        sep = "、" if lang == "zh" else ", "
        kl = sep.join([factor_label(k, lang) for k in keys] + [column_label("risk_point_id", lang)])
    else:
        kl = tr("tie_keys_default", lang)
    parts = [f"<p>{esc(tr('changes_intro', lang, keys=kl))}</p>"]
    # rows from the graded frame's flags
    flag = f["quota_demoted"].astype(bool) | f["quota_exception"].astype(bool)
    sub = f[flag.to_numpy()]
    unit_col = sub[by].astype(str) if by in sub.columns else pd.Series("—", index=sub.index)
    kept1 = f[(f["level"].astype("int64") == 1)]
    cutoffs = kept1.groupby(kept1[by].astype(str))["score"].min() if by in f.columns else pd.Series()
    from_frame = pd.DataFrame(
        {
            "unit": unit_col.to_numpy(),
            "risk_point_id": sub["risk_point_id"].astype(str).to_numpy(),
            "action": np.where(sub["quota_demoted"].astype(bool), "quota_demotion", "quota_exception"),
            "level_from": 1,
            "level_to": np.where(sub["quota_demoted"].astype(bool), 2, 1),
            "score": sub["score"].to_numpy(dtype=float),
            "cutoff_score": [cutoffs.get(u, np.nan) for u in unit_col],
            "rank_in_unit": sub["rank_in_unit"].to_numpy(),
            "n_in_unit": sub["n_in_unit"].to_numpy(),
            "cap": sub["quota_cap"].to_numpy(),
            "tie": sub["quota_tie"].astype(bool).to_numpy(),
            "reason": "",
        }
    )
    moves = from_frame
    if inputs.audit is not None:
        a = inputs.audit.copy()
        a = a.rename(columns={by: "unit"}) if by in a.columns else a.rename(columns={"unit_id": "unit"})
        for c in ("unit", "risk_point_id", "action", "reason"):
            if c not in a.columns:
                a[c] = ""
        a["unit"] = a["unit"].astype(str)
        a["risk_point_id"] = a["risk_point_id"].astype(str)
        name = inputs.audit_source or "audit"
        parts.append(f'<p class="note">{esc(tr("audit_source_file", lang, name=name))}</p>')
        mism = []
        for action in ("quota_demotion", "quota_exception"):
            in_a = set(a.loc[a["action"].astype(str) == action, "risk_point_id"])
            in_f = set(from_frame.loc[from_frame["action"] == action, "risk_point_id"])
            if in_a != in_f:
                mism.append(f"{action}: {len(in_f - in_a)} / {len(in_a - in_f)}")
        if mism:
            parts.append(f'<p class="warn">{esc(tr("audit_mismatch", lang, detail="; ".join(mism)))}</p>')
        moves = a
    else:
        parts.append(f'<p class="note">{esc(tr("audit_source_frame", lang))}</p>')
    if len(moves) == 0:
        parts.append(f"<p>{esc(tr('none', lang))}</p>")
        return "".join(parts)
    moves = moves.sort_values(["unit", "risk_point_id"], kind="stable")
    rows = []
    for _, r in moves.head(max_rows).iterrows():
        action = str(r["action"])
        if action in ("quota_demotion", "quota_exception") and all(
            c in r.index and pd.notna(r[c]) for c in ("n_in_unit", "cap", "rank_in_unit")
        ):
            reason = _quota_reason(r, action, lang, rounding, share)
        else:
            reason = r.get("reason", "")
            for extra in ("approved_by", "approver", "批准人"):
                if extra in r.index and pd.notna(r[extra]) and str(r[extra]):
                    reason = f"{reason} ({r[extra]})"
        change = Raw(
            '<span style="white-space:nowrap">'
            f"{level_badge(r.get('level_from'), lang)} → {level_badge(r.get('level_to'), lang)}</span>"
        )
        rows.append(
            [
                labels.get(str(r["unit"]), str(r["unit"])),
                r["risk_point_id"],
                value_label("action", action, lang),
                change,
                num(r.get("score")),
                num(r.get("cutoff_score")),
                reason,
            ]
        )
    headers = [
        tr("col_unit", lang),
        "ID" if lang == "en" else "风险点编号",
        tr("col_action", lang),
        tr("col_from_to", lang),
        tr("col_score", lang),
        tr("col_cutoff", lang),
        tr("col_reason", lang),
    ]
    parts.append(table(headers, rows, numeric=(4, 5), table_id="changes-list"))
    parts.append(limit_note(len(moves), max_rows, lang))
    return "".join(parts)


def _uncertain(
    inputs: ReportInputs, lang: str, labels: dict[str, str], by: str, below: float, max_rows: int
) -> str:
    f = inputs.frame
    got = uncertain_mask(f, below)
    if got is None:
        return f'<p class="note">{esc(tr("uncertain_absent", lang))}</p>'
    mask, how = got
    sub = f[mask]
    P = level_probabilities(f)
    n = len(sub)
    intro = (
        tr("uncertain_intro", lang, thr=f"{below:g}", n=n)
        if how == "probability"
        else tr("uncertain_flag_intro", lang, n=n)
    )
    parts = [f"<p>{esc(intro)}</p>"]
    unc = inputs.provenance.get("uncertainty")
    if isinstance(unc, dict) and unc.get("n_draws"):
        se = unc.get("max_standard_error")
        parts.append(
            '<p class="note">'
            + esc(
                tr(
                    "uncertain_method",
                    lang,
                    n=unc.get("n_draws"),
                    sampler=unc.get("sampler", "?"),
                    seed=unc.get("seed"),
                    se=num(se, "{:.4f}") if se is not None else "?",
                )
            )
            + "</p>"
        )
    if n == 0:
        parts.append(f"<p>{esc(tr('none', lang))}</p>")
        return "".join(parts)
    if P is not None:
        Ps = P[mask]
        lev = sub["level"].to_numpy(dtype=np.int64)
        p_as = Ps.to_numpy()[np.arange(n), np.clip(lev, 1, 3) - 1]
        order = np.argsort(p_as, kind="stable")
    else:
        Ps, p_as, order = None, None, np.arange(n)
    headers = [tr("col_unit", lang), "ID" if lang == "en" else "风险点编号", column_label_level(lang)]
    headers += [tr("col_score", lang)]
    if Ps is not None:
        headers += [tr("col_p_assigned", lang), "P1", "P2", "P3", tr("col_p_mix", lang)]
    rows = []
    for i in order[:max_rows]:
        r = sub.iloc[i]
        u = str(r[by]) if by in r.index else ""
        row = [labels.get(u, u), r["risk_point_id"], level_badge(r["level"], lang), num(r["score"])]
        if Ps is not None:
            p = Ps.iloc[i].to_numpy()
            row += [num(p_as[i], "{:.2f}"), *(num(x, "{:.2f}") for x in p)]
            row += [Raw(probability_bar_svg(np.nan_to_num(p)))]
        rows.append(row)
    numeric = (3, 4, 5, 6, 7) if Ps is not None else (3,)
    parts.append(table(headers, rows, numeric=numeric, table_id="uncertain-list"))
    parts.append(limit_note(n, max_rows, lang))
    return "".join(parts)


def column_label_level(lang: str) -> str:
    """Header of a level column."""
    return "等级" if lang == "zh" else "level"


def _flatten(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif (
        isinstance(obj, list | tuple) and len(obj) <= 12 and all(not isinstance(v, dict | list) for v in obj)
    ):
        out.append((prefix, ", ".join(num(v, "{:.4g}") if isinstance(v, float) else str(v) for v in obj)))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            out += _flatten(v, f"{prefix}[{i}]")
    else:
        out.append((prefix, obj))
    return out


_CR_KEYS = ("cr", "consistency_ratio")


def _weights(inputs: ReportInputs, lang: str) -> str:
    prov, card = inputs.provenance, inputs.card
    weights = (card or {}).get("weights") or prov.get("weights") or {}
    cfg = (card or {}).get("config", {}) or {}
    method = (cfg.get("weighting") or {}).get("method") if isinstance(cfg, dict) else None
    method = method or prov.get("weighting_method")
    parts = [f"<p>{esc(tr('weights_intro', lang, method=weight_method_label(method, lang)))}</p>"]
    th = prov.get("thresholds") or (cfg.get("levels") if isinstance(cfg, dict) else None)
    if th:
        basis = (
            tr(f"basis_{th.get('basis', 'score')}", lang)
            if th.get("basis") in ("score", "probability")
            else ""
        )
        parts.append(
            f"<p>{esc(tr('thresholds', lang, t1=th.get('level_1'), t2=th.get('level_2'), basis=basis))}</p>"
        )
    if (
        card is not None
        and prov.get("config_sha256")
        and card.get("config_sha256")
        not in (
            None,
            prov.get("config_sha256"),
        )
    ):
        parts.append(f'<p class="warn">{esc(tr("card_mismatch", lang))}</p>')
    if weights:
        names = list(weights)
        w = [float(weights[n]) for n in names]
        labels = factor_labels(names, lang, card)
        details = (card or {}).get("weight_details") or {}
        iv = details.get("intervals") if isinstance(details, dict) else None
        lo = hi = None
        if isinstance(iv, dict) and all(n in iv for n in names):
            lo = [float(iv[n][0]) for n in names]
            hi = [float(iv[n][1]) for n in names]
        parts.append(weight_bars_svg(labels, w, lower=lo, upper=hi, title=tr("sec_weights", lang)))
        rows = [
            [lab, Raw(f"<code>{esc(n)}</code>"), num(v, "{:.4f}")]
            for lab, n, v in zip(labels, names, w, strict=True)
        ]
        parts.append(
            table(
                [tr("col_factor", lang), tr("col_name", lang), tr("col_weight", lang)],
                rows,
                numeric=(2,),
                table_id="weights",
            )
        )
    if card is None:
        parts.append(f'<p class="note">{esc(tr("no_card", lang))}</p>')
        return "".join(parts)
    details = card.get("weight_details") or {}
    flat = [(k, v) for k, v in _flatten(details) if k and not k.startswith("intervals")]
    crs = [(k, v) for k, v in flat if k.split(".")[-1].split("[")[0].lower() in _CR_KEYS]
    if crs:
        parts.append(f"<h3>{esc(tr('consistency', lang))}</h3><ul>")
        for k, v in crs:
            try:
                ok = float(v) <= 0.10
            except (TypeError, ValueError):
                continue
            verdict = tr("cr_ok" if ok else "cr_bad", lang)
            parts.append(
                f"<li><code>{esc(k)}</code> = {num(v, '{:.4f}')} — "
                f'<span class="{"ok" if ok else "bad"}">{esc(verdict)}</span></li>'
            )
        parts.append("</ul>")
    if flat:
        parts.append(f"<h3>{esc(tr('details', lang))}</h3>")
        rows = [
            [Raw(f"<code>{esc(k)}</code>"), num(v, "{:.6g}") if isinstance(v, float) else v]
            for k, v in flat[:80]
        ]
        parts.append(table(["", ""], rows, table_id="weight-details"))
    return "".join(parts)


def _provenance(inputs: ReportInputs, lang: str, generated: _dt.datetime) -> str:
    p = inputs.provenance
    parts = [f"<p>{esc(tr('prov_intro', lang))}</p>"]
    if not p:
        parts.append(f'<p class="warn">{esc(tr("prov_missing", lang))}</p>')

    def code(v: Any) -> Raw:
        return Raw(f"<code>{esc(v)}</code>") if v else Raw("—")

    rows = [
        [tr("prov_date", lang), generated.strftime("%Y-%m-%d %H:%M %Z").strip()],
        [tr("prov_version", lang), p.get("riskgrade_version", "—")],
        [tr("prov_report_version", lang), __version__],
        [tr("prov_config_name", lang), p.get("config_name", "—")],
        [tr("prov_catalog", lang), p.get("catalog", "—")],
        [tr("prov_config", lang), code(p.get("config_sha256"))],
        [tr("prov_input_source", lang), p.get("input_source", "—")],
        [tr("prov_input", lang), code(p.get("input_sha256"))],
        [
            tr("prov_rows", lang),
            f"{p.get('rows_graded', len(inputs.frame))} / {p.get('rows_rejected', '—')}",
        ],
    ]
    if inputs.graded_source:
        rows += [
            [tr("prov_graded", lang), inputs.graded_source],
            [tr("prov_graded_hash", lang), code(inputs.graded_sha256)],
        ]
    if inputs.audit_source:
        rows.append([tr("prov_audit", lang), inputs.audit_source])
    if inputs.card_source:
        rows.append([tr("prov_card", lang), inputs.card_source])
    parts.append(table(["", ""], rows, table_id="provenance"))
    return "".join(parts)


def build_html(
    inputs: ReportInputs,
    *,
    lang: str,
    title: str | None,
    generated: _dt.datetime,
    uncertain_below: float,
    max_rows: int,
    extra_sections: Sequence[tuple[str, str, str]] = (),
) -> str:
    """Assemble the report page (see :func:`riskgrade.report.render_report`).

    ``extra_sections`` (``(id, heading, html)``) go before the provenance section.
    """
    f = inputs.frame
    prov = inputs.provenance
    by = str(prov.get("quota_by", "unit_id"))
    title = title or tr("title", lang)
    summary_html, us, labels = _summary(inputs, lang)
    lev = f["level"].astype("int64").to_numpy()
    kpis = [
        ("", len(f), tr("kpi_points", lang)),
        ("", len(us), tr("kpi_units", lang)),
        ("l1", int((lev == 1).sum()), level_name(1, lang)),
        ("", int((lev == 2).sum()), level_name(2, lang)),
        ("", int((lev == 3).sum()), level_name(3, lang)),
        ("", int(f["quota_demoted"].astype(bool).sum()), tr("kpi_demoted", lang)),
    ]
    if prov.get("rows_rejected"):
        kpis.append(("", int(prov["rows_rejected"]), tr("kpi_rejected", lang)))
    kpi_html = "".join(f'<div class="kpi {c}"><b>{v}</b><span>{esc(s)}</span></div>' for c, v, s in kpis)
    sections = [
        ("summary", tr("sec_summary", lang), summary_html),
        ("level-one", tr("sec_level_one", lang), _level_one(inputs, lang, labels, by, max_rows)),
        ("changes", tr("sec_changes", lang), _changes(inputs, lang, labels, by, max_rows)),
        (
            "uncertain",
            tr("sec_uncertain", lang),
            _uncertain(inputs, lang, labels, by, uncertain_below, max_rows),
        ),
        ("weights", tr("sec_weights", lang), _weights(inputs, lang)),
        *extra_sections,
        ("provenance", tr("sec_provenance", lang), _provenance(inputs, lang, generated)),
    ]
    nav = "".join(f'<li><a href="#{sid}">{esc(h)}</a></li>' for sid, h, _ in sections)
    body = "".join(
        f'<section id="{sid}"><h2>{esc(h)}</h2>{content}</section>' for sid, h, content in sections
    )
    method = prov.get("config_name")
    sub = [tr("subtitle", lang), f"{tr('generated', lang)}: {generated.strftime('%Y-%m-%d')}"]
    if method:
        sub.append(f"{tr('method', lang)}: {method}")
    sign = (
        f'<section class="sign" id="signoff"><h3>{esc(tr("sec_signoff", lang))}</h3>'
        f'<p>{esc(tr("signoff_text", lang))}</p><div class="line">'
        f"<span>{esc(tr('signoff_sign', lang))}</span>"
        f"<span>{esc(tr('signoff_date', lang))}</span></div></section>"
    )
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="riskgrade {esc(__version__)}">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
        f'<header><h1>{esc(title)}</h1><p class="sub">{esc(" · ".join(sub))}</p></header>'
        f'<div class="kpis">{kpi_html}</div>'
        f"<nav><b>{esc(tr('toc', lang))}</b><ul>{nav}</ul></nav>"
        f"{body}{sign}</main></body></html>\n"
    )
