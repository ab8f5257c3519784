"""HTML building blocks of the report: the page's CSS, escaping, numbers, tables, badges.

Every value taken from the data goes through :func:`esc` (:func:`html.escape`) unless it is
:class:`Raw` markup built here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from riskgrade.i18n import level_name, translate
from riskgrade.report.text import TEXT

__all__ = ["CSS", "Raw", "esc", "level_badge", "limit_note", "num", "pct", "table", "tr"]


#: The page's inline style sheet.
CSS = """
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


def esc(v: Any) -> str:
    """``v`` escaped for HTML (empty for missing values; :class:`Raw` as is)."""
    if isinstance(v, Raw):
        return str(v)
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return ""
    return html.escape(str(v), quote=True)


def tr(key: str, lang: str, **kw: Any) -> str:
    """The report text ``key`` in ``lang``, formatted with ``kw``."""
    return translate(key, lang, TEXT, **kw)


def num(v: Any, fmt: str = "{:.3f}") -> str:
    """A number formatted with ``fmt`` (empty for NaN; other values escaped)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return esc(v)
    return "" if math.isnan(f) else fmt.format(f)


def pct(v: float) -> str:
    """A share as a percentage with one decimal (empty for missing)."""
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f}%"


def level_badge(level: Any, lang: str) -> Raw:
    """The coloured badge of a level 1, 2 or 3."""
    try:
        k = int(level)
    except (TypeError, ValueError):
        return Raw("")
    if k not in (1, 2, 3):
        return Raw(esc(level))
    return Raw(f'<span class="lv lv{k}">{esc(level_name(k, lang))}</span>')


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    numeric: Sequence[int] = (),
    row_classes: Sequence[str] | None = None,
    table_id: str | None = None,
) -> str:
    """An HTML table; ``numeric`` columns right-aligned, optional row classes and id."""
    right = set(numeric)
    head = "".join(f"<th{' class=num' if i in right else ''}>{esc(h)}</th>" for i, h in enumerate(headers))
    body = []
    for r, row in enumerate(rows):
        cls = f' class="{row_classes[r]}"' if row_classes and row_classes[r] else ""
        cells = "".join(f"<td{' class=num' if i in right else ''}>{esc(v)}</td>" for i, v in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    tid = f' id="{table_id}"' if table_id else ""
    thead = f"<thead><tr>{head}</tr></thead>" if any(headers) else ""
    return f"<table{tid}>{thead}<tbody>{''.join(body)}</tbody></table>"


def limit_note(n_total: int, max_rows: int, lang: str) -> str:
    """The note that a list shows only ``max_rows`` of ``n_total`` rows (empty when all fit)."""
    if n_total <= max_rows:
        return ""
    return f'<p class="note">{esc(tr("more_rows", lang, n=n_total - max_rows))}</p>'
