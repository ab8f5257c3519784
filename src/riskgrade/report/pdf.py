"""The report as a PDF for filing: the same HTML, printed by a headless Chromium.

Leadership groups file and sign paper. The PDF is the report's HTML page printed with its
print style sheet (:data:`PRINT_CSS`): A4, page numbers "n / N" at the foot of each page
(CSS paged-media margin boxes, supported by Chromium since version 131), tables that do not
split rows, and the sign-off block on a page of its own, last. Chromium embeds the subsets
of the fonts it uses, so the Chinese text of the page is carried by the file (a CJK font such
as Noto Sans CJK must be installed where the PDF is made: Debian ``fonts-noto-cjk``).

The browser is found as ``chromium``, ``chromium-browser``, ``google-chrome`` or
``$RISKGRADE_CHROMIUM``; without one, :func:`html_to_pdf` raises a
:class:`~riskgrade.exceptions.RiskgradeError` that says so (the HTML report needs nothing).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from riskgrade.exceptions import RiskgradeError

__all__ = ["PRINT_CSS", "find_browser", "html_to_pdf", "with_print_css"]

#: Print style sheet added to every report page (the screen layout is unchanged).
PRINT_CSS = (
    "@page{size:A4;margin:16mm 14mm 18mm 14mm;"
    '@bottom-center{content:counter(page) " / " counter(pages);font-size:9pt;color:#5b6875}}'
    "@media print{nav{break-after:avoid}h2,h3{break-after:avoid}tr{break-inside:avoid}"
    "section#signoff{break-before:page;break-inside:avoid}"
    "body{-webkit-print-color-adjust:exact;print-color-adjust:exact}}"
)

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def with_print_css(page: str) -> str:
    """The page with :data:`PRINT_CSS` added to its head (once)."""
    if PRINT_CSS in page:
        return page
    return page.replace("</head>", f'<style media="print">{PRINT_CSS}</style></head>', 1)


def find_browser() -> str | None:
    """Path of a headless-capable Chromium, or None."""
    env = os.environ.get("RISKGRADE_CHROMIUM")
    if env:
        return env if Path(env).exists() or shutil.which(env) else None
    for name in _BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def html_to_pdf(page: str, output: str | Path, *, timeout: float = 120.0) -> Path:
    """Print an HTML page to an A4 PDF (atomically).

    Parameters
    ----------
    page : str
        The HTML document (self-contained).
    output : str or Path
        The PDF file.
    timeout : float
        Seconds allowed to the browser.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    RiskgradeError
        When no browser is found or printing fails.
    """
    from riskgrade.io import atomic_path

    browser = find_browser()
    if browser is None:
        raise RiskgradeError(
            "writing a PDF needs a headless Chromium (Debian: apt-get install chromium fonts-noto-cjk; "
            "or set RISKGRADE_CHROMIUM); write .html instead"
        )
    out = Path(output)
    with tempfile.TemporaryDirectory(prefix="riskgrade-pdf-") as tmp:
        src = Path(tmp) / "report.html"
        src.write_text(with_print_css(page), encoding="utf-8")
        pdf = Path(tmp) / "report.pdf"
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
            f"--print-to-pdf={pdf}",
            src.as_uri(),
        ]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise RiskgradeError(f"the browser could not print the report: {e}") from None
        if not pdf.exists() or pdf.stat().st_size == 0:
            tail = (r.stderr or "").strip().splitlines()[-3:]
            raise RiskgradeError(f"the browser wrote no PDF (exit {r.returncode}): {' | '.join(tail)}")
        with atomic_path(out) as t:
            shutil.copyfile(pdf, t)
    return out
