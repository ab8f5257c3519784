"""HTML rendering of the approval report (see :mod:`riskgrade.report`).

Plain string building with :func:`html.escape` on every value taken from the data; the
page has inline CSS and inline SVG only — no scripts, no fonts, images or styles fetched
from anywhere.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from riskgrade._version import __version__
from riskgrade.i18n import level_name, translate, value_label
from riskgrade.report.render import (
    ReportInputs,
    factor_labels,
    level_probabilities,
    owner_columns,
    uncertain_mask,
    weight_method_label,
)
from riskgrade.report.svg import level_bars_svg, probability_bar_svg, weight_bars_svg
from riskgrade.report.text import TEXT

__all__ = ["build_html"]

_CSS = """
:root{--l1:#b2182b;--l2:#ef8a62;--l3:#c9d6df;--ink:#1d2733;--muted:#5b6875;--rule:#d8dee4}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;line-height:1.5;
font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","SimHei",
"Noto Sans",system-ui,-apple-system,"Segoe UI",Arial,sans-serif;font-size:14px}
main{max-width:1080px;margin:0 auto;padding:24px 28px 48px}
header{border-bottom:3px solid var(--l1);margin-bottom:18px;padding-bottom:10px}
h1{font-size:26px;margin:0 0 2px}
h2{font-size:19px;margin:32px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--rule)}
h3{font-size:15px;margin:18px 0 6px}
.sub{color:var(--muted);margin:0}
.kpis{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.kpi{border:1px solid var(--rule);border-radius:6px;padding:8px 14px;min-width:112px}
.kpi b{display:block;font-size:22px}
.kpi.l1 b{color:var(--l1)}
.kpi span{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%;margin:8px 0 4px;font-size:13px}
th,td{border:1px solid var(--rule);padding:4px 7px;text-align:left;vertical-align:top}
th{background:#f3f5f7;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.over td{background:#fdecea}
.lv{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;white-space:nowrap}
.lv1{background:var(--l1);color:#fff}.lv2{background:var(--l2)}.lv3{background:var(--l3)}
.note{color:var(--muted);font-size:12.5px}
.warn{border-left:4px solid var(--l1);background:#fdecea;padding:6px 10px;margin:8px 0}
.ok{color:#1a7f37}.bad{color:var(--l1);font-weight:600}
code{font-family:"Noto Sans Mono CJK SC",Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
nav ul{margin:4px 0;padding-left:0;list-style:none;columns:2}
svg.chart{display:block;margin:8px 0}
svg text{font-family:inherit;fill:var(--ink)}
.sign{margin-top:28px;border:1px solid var(--rule);padding:14px 18px;page-break-inside:avoid}
.sign .line{display:flex;gap:40px;margin-top:36px}
.sign .line span{border-top:1px solid var(--ink);padding-top:4px;min-width:220px}
@media print{main{padding:0;max-width:none}h2{page-break-after:avoid}tr{page-break-inside:avoid}
nav{display:none}}
@page{size:A4;margin:16mm 14mm}
"""


class Raw(str):
    """Text already in HTML (not escaped again)."""

    __slots__ = ()


def _e(v: Any) -> str:
    if isinstance(v, Raw):
        return str(v)
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return ""
    return html.escape(str(v), quote=True)


def _t(key: str, lang: str, **kw: Any) -> str:
    return translate(key, lang, TEXT, **kw)


def _num(v: Any, fmt: str = "{:.3f}") -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return _e(v)
    return "" if math.isnan(f) else fmt.format(f)


def _pct(v: float) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f}%"


def _level_badge(level: Any, lang: str) -> Raw:
    try:
        k = int(level)
    except (TypeError, ValueError):
        return Raw("")
    if k not in (1, 2, 3):
        return Raw(_e(level))
    return Raw(f'<span class="lv lv{k}">{_e(level_name(k, lang))}</span>')


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    numeric: Sequence[int] = (),
    row_classes: Sequence[str] | None = None,
    table_id: str | None = None,
) -> str:
    num = set(numeric)
    head = "".join(f"<th{' class=num' if i in num else ''}>{_e(h)}</th>" for i, h in enumerate(headers))
    body = []
    for r, row in enumerate(rows):
        cls = f' class="{row_classes[r]}"' if row_classes and row_classes[r] else ""
        cells = "".join(f"<td{' class=num' if i in num else ''}>{_e(v)}</td>" for i, v in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    tid = f' id="{table_id}"' if table_id else ""
    thead = f"<thead><tr>{head}</tr></thead>" if any(headers) else ""
    return f"<table{tid}>{thead}<tbody>{''.join(body)}</tbody></table>"


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
        "<p>" + (_t("summary_intro", lang, share=_pct(max_share)) if max_share is not None else "") + "</p>"
    ]
    legend = [level_name(k, lang) for k in (1, 2, 3)]
    parts.append(
        level_bars_svg(
            [labels[u] for u in units],
            [(int(r.level_1), int(r.level_2), int(r.level_3)) for r in us.itertuples()],
            max_share,
            legend=legend,
            cap_label=_t("cap_line", lang, share=_pct(max_share) if max_share is not None else ""),
        )
    )
    yes, no = _t("yes", lang), _t("no", lang)
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
                _pct(r.share_level_1),
                int(r.candidates_level_1),
                int(r.demoted),
                yes if r.within_cap else no,
            ]
        )
        classes.append("" if r.within_cap else "over")
    tot = us[["n_points", "level_1", "level_2", "level_3", "cap", "candidates_level_1", "demoted"]].sum()
    rows.append(
        [
            Raw(f"<b>{_e(_t('col_total', lang))}</b>"),
            int(tot.n_points),
            int(tot.level_1),
            int(tot.level_2),
            int(tot.level_3),
            int(tot.cap),
            _pct(tot.level_1 / tot.n_points if tot.n_points else float("nan")),
            int(tot.candidates_level_1),
            int(tot.demoted),
            yes if bool(us["within_cap"].all()) else no,
        ]
    )
    classes.append("")
    headers = [
        _t("col_unit", lang),
        _t("col_points", lang),
        *legend,
        _t("col_cap", lang),
        _t("col_share", lang),
        _t("col_candidates", lang),
        _t("col_demoted", lang),
        _t("col_within", lang),
    ]
    parts.append(_table(headers, rows, numeric=range(1, 9), row_classes=classes, table_id="unit-summary"))
    return "".join(parts), us, labels


def _where(row: pd.Series) -> str:
    bits = [str(row[c]) for c in ("division_name", "post_name") if c in row.index and pd.notna(row[c])]
    if not bits:
        bits = [str(row[c]) for c in ("division_id", "post_id") if c in row.index and pd.notna(row[c])]
    return " / ".join(bits)


def _limit(n_total: int, max_rows: int, lang: str) -> str:
    if n_total <= max_rows:
        return ""
    return f'<p class="note">{_e(_t("more_rows", lang, n=n_total - max_rows))}</p>'


def _level_one(inputs: ReportInputs, lang: str, labels: dict[str, str], by: str, max_rows: int) -> str:
    from riskgrade.i18n import column_label

    f = inputs.frame
    l1 = f[f["level"].astype("int64") == 1]
    if by in l1.columns:
        l1 = l1.assign(_u=l1[by].astype(str)).sort_values(["_u", "rank_in_unit"], kind="stable")
    parts = [f"<p>{_e(_t('level_one_intro', lang, n=len(l1)))}</p>"]
    owners, measures = owner_columns(f)
    if not owners and not measures:
        parts.append(f'<p class="warn">{_e(_t("no_owner_cols", lang))}</p>')
    if len(l1) == 0:
        return "".join(parts)
    desc = next((c for c in ("description", "manifestation") if c in f.columns), None)
    headers = [_t("col_unit", lang), column_label("risk_point_id", lang), _t("col_where", lang)]
    headers += [_t("col_description", lang)] if desc else []
    headers += [_t("col_score", lang), _t("col_rank", lang)]
    prob = "probability" in f.columns
    headers += [column_label("probability", lang)] if prob else []
    headers += [column_label(c, lang) for c in (*owners, *measures)]
    rows = []
    for _, r in l1.head(max_rows).iterrows():
        u = str(r[by]) if by in r.index else ""
        row = [labels.get(u, u), r["risk_point_id"], _where(r)]
        row += [r[desc]] if desc else []
        row += [_num(r["score"]), f"{int(r['rank_in_unit'])}/{int(r['n_in_unit'])}"]
        row += [_num(r["probability"])] if prob else []
        row += [r[c] for c in (*owners, *measures)]
        rows.append(row)
    n_desc = 1 if desc else 0
    numeric = (3 + n_desc, 4 + n_desc, 5 + n_desc) if prob else (3 + n_desc, 4 + n_desc)
    parts.append(_table(headers, rows, numeric=numeric, table_id="level-one-list"))
    parts.append(_limit(len(l1), max_rows, lang))
    return "".join(parts)


def _quota_reason(r: Any, action: str, lang: str, rounding: str, share: str) -> str:
    unit, n, cap, rank = r["unit"], int(r["n_in_unit"]), int(r["cap"]), int(r["rank_in_unit"])
    if action == "quota_exception":
        return _t("reason_exception", lang, unit=unit, n=n)
    text = _t("reason_demotion", lang, unit=unit, n=n, cap=cap, rank=rank, rounding=rounding, share=share)
    if bool(r.get("tie", False)):
        text += _t("reason_tie", lang)
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
        kl = _t("tie_keys_default", lang)
    parts = [f"<p>{_e(_t('changes_intro', lang, keys=kl))}</p>"]
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
    table = from_frame
    if inputs.audit is not None:
        a = inputs.audit.copy()
        a = a.rename(columns={by: "unit"}) if by in a.columns else a.rename(columns={"unit_id": "unit"})
        for c in ("unit", "risk_point_id", "action", "reason"):
            if c not in a.columns:
                a[c] = ""
        a["unit"] = a["unit"].astype(str)
        a["risk_point_id"] = a["risk_point_id"].astype(str)
        name = inputs.audit_source or "audit"
        parts.append(f'<p class="note">{_e(_t("audit_source_file", lang, name=name))}</p>')
        mism = []
        for action in ("quota_demotion", "quota_exception"):
            in_a = set(a.loc[a["action"].astype(str) == action, "risk_point_id"])
            in_f = set(from_frame.loc[from_frame["action"] == action, "risk_point_id"])
            if in_a != in_f:
                mism.append(f"{action}: {len(in_f - in_a)} / {len(in_a - in_f)}")
        if mism:
            parts.append(f'<p class="warn">{_e(_t("audit_mismatch", lang, detail="; ".join(mism)))}</p>')
        table = a
    else:
        parts.append(f'<p class="note">{_e(_t("audit_source_frame", lang))}</p>')
    if len(table) == 0:
        parts.append(f"<p>{_e(_t('none', lang))}</p>")
        return "".join(parts)
    table = table.sort_values(["unit", "risk_point_id"], kind="stable")
    rows = []
    for _, r in table.head(max_rows).iterrows():
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
            f"{_level_badge(r.get('level_from'), lang)} → {_level_badge(r.get('level_to'), lang)}</span>"
        )
        rows.append(
            [
                labels.get(str(r["unit"]), str(r["unit"])),
                r["risk_point_id"],
                value_label("action", action, lang),
                change,
                _num(r.get("score")),
                _num(r.get("cutoff_score")),
                reason,
            ]
        )
    headers = [
        _t("col_unit", lang),
        "ID" if lang == "en" else "风险点编号",
        _t("col_action", lang),
        _t("col_from_to", lang),
        _t("col_score", lang),
        _t("col_cutoff", lang),
        _t("col_reason", lang),
    ]
    parts.append(_table(headers, rows, numeric=(4, 5), table_id="changes-list"))
    parts.append(_limit(len(table), max_rows, lang))
    return "".join(parts)


def _uncertain(
    inputs: ReportInputs, lang: str, labels: dict[str, str], by: str, below: float, max_rows: int
) -> str:
    f = inputs.frame
    got = uncertain_mask(f, below)
    if got is None:
        return f'<p class="note">{_e(_t("uncertain_absent", lang))}</p>'
    mask, how = got
    sub = f[mask]
    P = level_probabilities(f)
    n = len(sub)
    intro = (
        _t("uncertain_intro", lang, thr=f"{below:g}", n=n)
        if how == "probability"
        else _t("uncertain_flag_intro", lang, n=n)
    )
    parts = [f"<p>{_e(intro)}</p>"]
    unc = inputs.provenance.get("uncertainty")
    if isinstance(unc, dict) and unc.get("n_draws"):
        se = unc.get("max_standard_error")
        parts.append(
            '<p class="note">'
            + _e(
                _t(
                    "uncertain_method",
                    lang,
                    n=unc.get("n_draws"),
                    sampler=unc.get("sampler", "?"),
                    seed=unc.get("seed"),
                    se=_num(se, "{:.4f}") if se is not None else "?",
                )
            )
            + "</p>"
        )
    if n == 0:
        parts.append(f"<p>{_e(_t('none', lang))}</p>")
        return "".join(parts)
    if P is not None:
        Ps = P[mask]
        lev = sub["level"].to_numpy(dtype=np.int64)
        p_as = Ps.to_numpy()[np.arange(n), np.clip(lev, 1, 3) - 1]
        order = np.argsort(p_as, kind="stable")
    else:
        Ps, p_as, order = None, None, np.arange(n)
    headers = [_t("col_unit", lang), "ID" if lang == "en" else "风险点编号", column_label_level(lang)]
    headers += [_t("col_score", lang)]
    if Ps is not None:
        headers += [_t("col_p_assigned", lang), "P1", "P2", "P3", _t("col_p_mix", lang)]
    rows = []
    for i in order[:max_rows]:
        r = sub.iloc[i]
        u = str(r[by]) if by in r.index else ""
        row = [labels.get(u, u), r["risk_point_id"], _level_badge(r["level"], lang), _num(r["score"])]
        if Ps is not None:
            p = Ps.iloc[i].to_numpy()
            row += [_num(p_as[i], "{:.2f}"), *(_num(x, "{:.2f}") for x in p)]
            row += [Raw(probability_bar_svg(np.nan_to_num(p)))]
        rows.append(row)
    numeric = (3, 4, 5, 6, 7) if Ps is not None else (3,)
    parts.append(_table(headers, rows, numeric=numeric, table_id="uncertain-list"))
    parts.append(_limit(n, max_rows, lang))
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
        out.append((prefix, ", ".join(_num(v, "{:.4g}") if isinstance(v, float) else str(v) for v in obj)))
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
    parts = [f"<p>{_e(_t('weights_intro', lang, method=weight_method_label(method, lang)))}</p>"]
    th = prov.get("thresholds") or (cfg.get("levels") if isinstance(cfg, dict) else None)
    if th:
        basis = (
            _t(f"basis_{th.get('basis', 'score')}", lang)
            if th.get("basis") in ("score", "probability")
            else ""
        )
        parts.append(
            f"<p>{_e(_t('thresholds', lang, t1=th.get('level_1'), t2=th.get('level_2'), basis=basis))}</p>"
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
        parts.append(f'<p class="warn">{_e(_t("card_mismatch", lang))}</p>')
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
        parts.append(weight_bars_svg(labels, w, lower=lo, upper=hi, title=_t("sec_weights", lang)))
        rows = [
            [lab, Raw(f"<code>{_e(n)}</code>"), _num(v, "{:.4f}")]
            for lab, n, v in zip(labels, names, w, strict=True)
        ]
        parts.append(
            _table(
                [_t("col_factor", lang), _t("col_name", lang), _t("col_weight", lang)],
                rows,
                numeric=(2,),
                table_id="weights",
            )
        )
    if card is None:
        parts.append(f'<p class="note">{_e(_t("no_card", lang))}</p>')
        return "".join(parts)
    details = card.get("weight_details") or {}
    flat = [(k, v) for k, v in _flatten(details) if k and not k.startswith("intervals")]
    crs = [(k, v) for k, v in flat if k.split(".")[-1].split("[")[0].lower() in _CR_KEYS]
    if crs:
        parts.append(f"<h3>{_e(_t('consistency', lang))}</h3><ul>")
        for k, v in crs:
            try:
                ok = float(v) <= 0.10
            except (TypeError, ValueError):
                continue
            verdict = _t("cr_ok" if ok else "cr_bad", lang)
            parts.append(
                f"<li><code>{_e(k)}</code> = {_num(v, '{:.4f}')} — "
                f'<span class="{"ok" if ok else "bad"}">{_e(verdict)}</span></li>'
            )
        parts.append("</ul>")
    if flat:
        parts.append(f"<h3>{_e(_t('details', lang))}</h3>")
        rows = [
            [Raw(f"<code>{_e(k)}</code>"), _num(v, "{:.6g}") if isinstance(v, float) else v]
            for k, v in flat[:80]
        ]
        parts.append(_table(["", ""], rows, table_id="weight-details"))
    return "".join(parts)


def _provenance(inputs: ReportInputs, lang: str, generated: _dt.datetime) -> str:
    p = inputs.provenance
    parts = [f"<p>{_e(_t('prov_intro', lang))}</p>"]
    if not p:
        parts.append(f'<p class="warn">{_e(_t("prov_missing", lang))}</p>')

    def code(v: Any) -> Raw:
        return Raw(f"<code>{_e(v)}</code>") if v else Raw("—")

    rows = [
        [_t("prov_date", lang), generated.strftime("%Y-%m-%d %H:%M %Z").strip()],
        [_t("prov_version", lang), p.get("riskgrade_version", "—")],
        [_t("prov_report_version", lang), __version__],
        [_t("prov_config_name", lang), p.get("config_name", "—")],
        [_t("prov_catalog", lang), p.get("catalog", "—")],
        [_t("prov_config", lang), code(p.get("config_sha256"))],
        [_t("prov_input_source", lang), p.get("input_source", "—")],
        [_t("prov_input", lang), code(p.get("input_sha256"))],
        [
            _t("prov_rows", lang),
            f"{p.get('rows_graded', len(inputs.frame))} / {p.get('rows_rejected', '—')}",
        ],
    ]
    if inputs.graded_source:
        rows += [
            [_t("prov_graded", lang), inputs.graded_source],
            [_t("prov_graded_hash", lang), code(inputs.graded_sha256)],
        ]
    if inputs.audit_source:
        rows.append([_t("prov_audit", lang), inputs.audit_source])
    if inputs.card_source:
        rows.append([_t("prov_card", lang), inputs.card_source])
    parts.append(_table(["", ""], rows, table_id="provenance"))
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
    title = title or _t("title", lang)
    summary_html, us, labels = _summary(inputs, lang)
    lev = f["level"].astype("int64").to_numpy()
    kpis = [
        ("", len(f), _t("kpi_points", lang)),
        ("", len(us), _t("kpi_units", lang)),
        ("l1", int((lev == 1).sum()), level_name(1, lang)),
        ("", int((lev == 2).sum()), level_name(2, lang)),
        ("", int((lev == 3).sum()), level_name(3, lang)),
        ("", int(f["quota_demoted"].astype(bool).sum()), _t("kpi_demoted", lang)),
    ]
    if prov.get("rows_rejected"):
        kpis.append(("", int(prov["rows_rejected"]), _t("kpi_rejected", lang)))
    kpi_html = "".join(f'<div class="kpi {c}"><b>{v}</b><span>{_e(s)}</span></div>' for c, v, s in kpis)
    sections = [
        ("summary", _t("sec_summary", lang), summary_html),
        ("level-one", _t("sec_level_one", lang), _level_one(inputs, lang, labels, by, max_rows)),
        ("changes", _t("sec_changes", lang), _changes(inputs, lang, labels, by, max_rows)),
        (
            "uncertain",
            _t("sec_uncertain", lang),
            _uncertain(inputs, lang, labels, by, uncertain_below, max_rows),
        ),
        ("weights", _t("sec_weights", lang), _weights(inputs, lang)),
        *extra_sections,
        ("provenance", _t("sec_provenance", lang), _provenance(inputs, lang, generated)),
    ]
    nav = "".join(f'<li><a href="#{sid}">{_e(h)}</a></li>' for sid, h, _ in sections)
    body = "".join(f'<section id="{sid}"><h2>{_e(h)}</h2>{content}</section>' for sid, h, content in sections)
    method = prov.get("config_name")
    sub = [_t("subtitle", lang), f"{_t('generated', lang)}: {generated.strftime('%Y-%m-%d')}"]
    if method:
        sub.append(f"{_t('method', lang)}: {method}")
    sign = (
        f'<section class="sign" id="signoff"><h3>{_e(_t("sec_signoff", lang))}</h3>'
        f'<p>{_e(_t("signoff_text", lang))}</p><div class="line">'
        f"<span>{_e(_t('signoff_sign', lang))}</span>"
        f"<span>{_e(_t('signoff_date', lang))}</span></div></section>"
    )
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="riskgrade {_e(__version__)}">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>"
        f'<header><h1>{_e(title)}</h1><p class="sub">{_e(" · ".join(sub))}</p></header>'
        f'<div class="kpis">{kpi_html}</div>'
        f"<nav><b>{_e(_t('toc', lang))}</b><ul>{nav}</ul></nav>"
        f"{body}{sign}</main></body></html>\n"
    )
