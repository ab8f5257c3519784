"""Inline SVG charts for the HTML report (no plotting library, no external assets).

Each function returns an ``<svg>`` element as text; every label is escaped with
:func:`html.escape`. Sizes are in CSS pixels; the charts scale with the page width.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence

__all__ = ["LEVEL_COLOURS", "level_bars_svg", "probability_bar_svg", "weight_bars_svg"]

#: Fill colours of levels 1, 2, 3 (colour-blind safe, print legibly in grey).
LEVEL_COLOURS = {1: "#b2182b", 2: "#ef8a62", 3: "#c9d6df"}

_FONT = "font-size:12px"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def text_width(text: str, size: float = 12.0) -> float:
    """Estimated drawn width of a label: wide (CJK) characters count one em, others ~0.6 em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else 0.6 * size for ch in text)


def level_bars_svg(
    labels: Sequence[str],
    counts: Sequence[tuple[int, int, int]],
    max_share: float | None,
    *,
    legend: Sequence[str],
    cap_label: str,
    width: int = 720,
    row: int = 18,
) -> str:
    """100 % stacked bars of the level mix of each unit with the level-one cap marked.

    Parameters
    ----------
    labels : sequence of str
        Unit labels, one per bar.
    counts : sequence of (int, int, int)
        Points at levels 1, 2 and 3 of each unit.
    max_share : float or None
        The quota's maximum level-one share, drawn as a dashed line (none when ``None``).
    legend : sequence of str
        Names of levels 1, 2, 3.
    cap_label : str
        Legend text of the cap line.
    width : int
        Width of the drawing.
    row : int
        Height of one bar row.

    Returns
    -------
    str
        The ``<svg>`` element.
    """
    label_w = int(min(320, 12 + max((text_width(s) for s in labels), default=30)))
    plot_w = width - label_w - 50
    top = 28
    height = top + row * len(labels) + 24
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" aria-label="{_e(cap_label)}">'
    ]
    # legend
    x: float = label_w
    for k, name in zip((1, 2, 3), legend, strict=True):
        out.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{LEVEL_COLOURS[k]}"/>')
        out.append(f'<text x="{x + 16}" y="16" style="{_FONT}">{_e(name)}</text>')
        x += 28 + text_width(name)
    if max_share is not None:
        out.append(
            f'<line x1="{x}" y1="12" x2="{x + 18}" y2="12" stroke="#000" stroke-dasharray="3,2"/>'
            f'<text x="{x + 22}" y="16" style="{_FONT}">{_e(cap_label)}</text>'
        )
    for i, (lab, (a, b, c)) in enumerate(zip(labels, counts, strict=True)):
        y = top + i * row
        n = a + b + c
        out.append(
            f'<text x="{label_w - 6}" y="{y + row - 5}" text-anchor="end" style="{_FONT}">{_e(lab)}</text>'
        )
        x0 = float(label_w)
        for k, v in zip((1, 2, 3), (a, b, c), strict=True):
            if n == 0 or v == 0:
                continue
            w = plot_w * v / n
            out.append(
                f'<rect x="{x0:.2f}" y="{y + 2}" width="{w:.2f}" height="{row - 4}" '
                f'fill="{LEVEL_COLOURS[k]}"><title>{_e(lab)}: {_e(legend[k - 1])} {v}/{n}</title></rect>'
            )
            x0 += w
        out.append(f'<text x="{label_w + plot_w + 4}" y="{y + row - 5}" style="{_FONT}">{n}</text>')
    if max_share is not None:
        xc = label_w + plot_w * max_share
        y1, y2 = top, top + row * len(labels)
        out.append(
            f'<line x1="{xc:.2f}" y1="{y1}" x2="{xc:.2f}" y2="{y2}" stroke="#000" '
            f'stroke-width="1.5" stroke-dasharray="4,3"/>'
        )
    # axis ticks 0, 50, 100 %
    yb = top + row * len(labels) + 14
    for frac in (0.0, 0.5, 1.0):
        xt = label_w + plot_w * frac
        anchor = "start" if frac == 0 else ("end" if frac == 1 else "middle")
        out.append(f'<text x="{xt:.1f}" y="{yb}" text-anchor="{anchor}" style="{_FONT}">{frac:.0%}</text>')
    out.append("</svg>")
    return "".join(out)


def weight_bars_svg(
    labels: Sequence[str],
    weights: Sequence[float],
    *,
    lower: Sequence[float] | None = None,
    upper: Sequence[float] | None = None,
    title: str = "",
    width: int = 720,
    row: int = 22,
) -> str:
    """Horizontal bars of factor weights, with interval whiskers when given.

    Parameters
    ----------
    labels : sequence of str
        Factor labels.
    weights : sequence of float
        Weights (bars scale to the largest weight or upper bound).
    lower, upper : sequence of float, optional
        Interval of each weight.
    title : str
        Accessible name of the chart.
    width : int
        Width of the drawing.
    row : int
        Height of one bar row.

    Returns
    -------
    str
        The ``<svg>`` element.
    """
    label_w = int(min(320, 12 + max((text_width(s) for s in labels), default=30)))
    plot_w = width - label_w - 60
    top = 6
    height = top + row * len(labels) + 6
    vmax = max([*weights, *(upper or [])], default=1.0) or 1.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" aria-label="{_e(title)}">'
    ]
    for i, (lab, w) in enumerate(zip(labels, weights, strict=True)):
        y = top + i * row
        bw = plot_w * w / vmax
        out.append(
            f'<text x="{label_w - 6}" y="{y + row - 7}" text-anchor="end" style="{_FONT}">{_e(lab)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bw:.2f}" height="{row - 6}" fill="#4b6c8c">'
            f"<title>{_e(lab)}: {w:.4f}</title></rect>"
        )
        if lower is not None and upper is not None:
            xl = label_w + plot_w * lower[i] / vmax
            xu = label_w + plot_w * upper[i] / vmax
            ym = y + row / 2
            out.append(
                f'<line x1="{xl:.2f}" y1="{ym}" x2="{xu:.2f}" y2="{ym}" stroke="#000"/>'
                f'<line x1="{xl:.2f}" y1="{ym - 4}" x2="{xl:.2f}" y2="{ym + 4}" stroke="#000"/>'
                f'<line x1="{xu:.2f}" y1="{ym - 4}" x2="{xu:.2f}" y2="{ym + 4}" stroke="#000"/>'
            )
        out.append(f'<text x="{label_w + bw + 4:.2f}" y="{y + row - 7}" style="{_FONT}">{w:.3f}</text>')
    out.append("</svg>")
    return "".join(out)


def probability_bar_svg(p: Sequence[float], *, width: int = 120, height: int = 12) -> str:
    """A small stacked bar of P(level 1), P(level 2), P(level 3) for a table cell."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pbar" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">'
    ]
    x = 0.0
    for k, v in zip((1, 2, 3), p, strict=True):
        w = width * max(float(v), 0.0)
        if w > 0:
            out.append(
                f'<rect x="{x:.2f}" y="0" width="{w:.2f}" height="{height}" fill="{LEVEL_COLOURS[k]}"/>'
            )
        x += w
    out.append("</svg>")
    return "".join(out)
