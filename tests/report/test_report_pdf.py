"""``riskgrade report -o report.pdf``: A4 pages with page numbers, Chinese fonts embedded, the
sign-off page last, the cycle's sections present; checked by rendering the pages to images."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import riskgrade as rg
from riskgrade.cli import main
from riskgrade.report.pdf import PRINT_CSS, find_browser, with_print_css

S = Path("data/samples")
POPPLER = ("pdfinfo", "pdffonts", "pdftotext", "pdftoppm")
A4_PT = (595.28, 841.89)


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def tools():
    if find_browser() is None:
        pytest.skip("no Chromium on this machine (.ci/browser installs Debian chromium in CI)")
    missing = [t for t in POPPLER if shutil.which(t) is None]
    if missing:
        pytest.skip(f"poppler-utils missing ({', '.join(missing)}); .ci/browser installs them in CI")


def test_print_css_added_once():
    page = "<html><head><title>x</title></head><body></body></html>"
    once = with_print_css(page)
    assert once.count(PRINT_CSS) == 1 and with_print_css(once) == once
    assert (
        "size:A4" in PRINT_CSS and "counter(pages)" in PRINT_CSS and "#signoff{break-before:page" in PRINT_CSS
    )


def _gray_pages(pdf: Path, tmp: Path) -> list[np.ndarray]:
    _run("pdftoppm", "-r", "30", "-gray", str(pdf), str(tmp / "pg"))
    pages = []
    for f in sorted(tmp.glob("pg-*.pgm"), key=lambda p: int(re.findall(r"\d+", p.stem)[-1])):
        data = f.read_bytes()
        head = data.split(b"\n", 3)  # P5, "w h", maxval, pixels
        w, h = map(int, head[1].split())
        pages.append(np.frombuffer(head[3][: w * h], dtype=np.uint8).reshape(h, w))
    return pages


def test_report_pdf_a4_numbered_fonts_embedded_signoff_last(tools, tmp_path):
    graded = tmp_path / "graded.csv"
    assert main(["score", str(rg.datasets.sample_path()), "-o", str(graded), "-q"]) == 0
    pdf = tmp_path / "report.pdf"
    assert main(["report", str(graded), "-o", str(pdf), "--lang", "zh", "--as-of", "2024-12-01"]) == 0
    info = _run("pdfinfo", "-f", "1", "-l", "999", str(pdf))
    n = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert n >= 2
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert len(sizes) == n
    for w, h in sizes:
        assert abs(float(w) - A4_PT[0]) < 1.5 and abs(float(h) - A4_PT[1]) < 1.5
    fonts = _run("pdffonts", str(pdf)).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)  # every font embedded
    texts = [_run("pdftotext", "-f", str(i), "-l", str(i), "-layout", str(pdf), "-") for i in range(1, n + 1)]
    assert "廉政风险等级评定报告" in texts[0]  # the Chinese text is carried by the embedded fonts
    for i, t in enumerate(texts, start=1):
        assert re.search(rf"\b{i}\s*/\s*{n}\b", t), f"page {i} has no page number"
    assert "审定意见" in texts[-1] and not any("审定意见" in t for t in texts[:-1])
    assert any("检查考核" in t for t in texts)  # the compliance section (--as-of)
    for page in _gray_pages(pdf, tmp_path):
        assert (page < 200).mean() > 0.002  # no blank page


def test_report_pdf_without_browser_exit_3(tmp_path, monkeypatch):
    graded = tmp_path / "graded.csv"
    assert main(["score", str(rg.datasets.sample_path()), "-o", str(graded), "-q"]) == 0
    monkeypatch.setenv("RISKGRADE_CHROMIUM", str(tmp_path / "no-such-browser"))
    out = tmp_path / "r.pdf"
    assert main(["report", str(graded), "-o", str(out)]) == 3
    assert not out.exists()


def test_report_cycle_sections_in_html(tmp_path):
    graded = tmp_path / "graded.csv"
    assert (
        main(["score", str(S / "inventory.csv"), "-c", str(S / "config.toml"), "-o", str(graded), "-q"]) == 0
    )
    cards = tmp_path / "cards.csv"
    assert main(["cards", str(S / "signals.csv"), "--as-of", "2024-12-01", "-o", str(cards)]) == 0
    out = tmp_path / "r.html"
    args = [
        "report",
        str(graded),
        "-o",
        str(out),
        "--org",
        str(S / "org.csv"),
        "--measures",
        str(S / "measures.csv"),
    ]
    args += ["--cards", str(cards), "--previous", str(S / "graded_last_year.csv"), "--as-of", "2024-12-01"]
    assert main([*args, "--assessed-on", "2023-11-01"]) == 0
    page = out.read_text(encoding="utf-8")
    for sid in ("owners", "measures", "cards", "movement", "compliance"):
        assert f'<section id="{sid}">' in page
    assert page.index('id="compliance"') < page.index('id="provenance"') < page.index('id="signoff"')
    # --measures without --as-of: exit 3, nothing written
    bad = tmp_path / "bad.html"
    assert main(["report", str(graded), "-o", str(bad), "--measures", str(S / "measures.csv")]) == 3
    assert not bad.exists()
