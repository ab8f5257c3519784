"""Axes and fonts shared by the plots: matplotlib imported on first use, CJK fonts found."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["cjk_font", "new_axes", "pyplot", "use_lang_font"]


_CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
_CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
)


def pyplot() -> Any:
    """``matplotlib.pyplot``, with a clear message when the ``plot`` extra is missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the extra
        raise ImportError("plotting needs matplotlib: pip install 'riskgrade[plot]'") from None
    return plt


def cjk_font() -> str | None:
    """Name of an installed font that draws Chinese, or ``None``."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in _CJK_FONTS if name in installed), None)
    if found is None:
        # matplotlib's font cache predates a font installed later (e.g. fonts-noto-cjk):
        # register the usual system locations of CJK fonts without rebuilding the cache
        for pattern in _CJK_FONT_FILES:
            for path in sorted(Path("/").glob(pattern.lstrip("/"))):
                try:
                    font_manager.fontManager.addfont(str(path))
                except (OSError, RuntimeError, ValueError):
                    continue
        installed = {f.name for f in font_manager.fontManager.ttflist}
        found = next((name for name in _CJK_FONTS if name in installed), None)
    return found


def use_lang_font(fig: Any, lang: str) -> None:
    """Give every text of a figure a CJK-capable font family when the labels are Chinese."""
    if lang != "zh":
        return
    font = cjk_font()
    if font is None:
        return
    from matplotlib.text import Text

    for t in fig.findobj(Text):
        t.set_fontfamily([font, "DejaVu Sans"])


def new_axes(ax: Any, figsize: tuple[float, float]) -> tuple[Any, Any]:
    """``ax`` and its figure, or new axes of ``figsize`` (inches) when ``ax`` is None."""
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax, ax.figure
