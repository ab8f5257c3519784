"""Documentation: docstring examples run, notebooks are stored clean, the docs build without warnings."""

from __future__ import annotations

import doctest
import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

DOCTEST_MODULES = [
    "riskgrade.i18n",
    "riskgrade.report.render",
    "riskgrade.plotting.displays",
    "riskgrade.report.svg",
]


@pytest.mark.parametrize("name", DOCTEST_MODULES)
def test_docstring_examples_run(name):
    if name == "riskgrade.plotting.displays":
        pytest.importorskip("matplotlib")
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0
    if name != "riskgrade.report.svg":
        assert res.attempted > 0


def _notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.name)
def test_notebooks_are_stored_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs", []) == [], f"{path.name}: a code cell has stored outputs"
            assert cell.get("execution_count") is None, f"{path.name}: a code cell has an execution count"
    first = "".join(nb["cells"][0]["source"])
    assert first.startswith("# "), f"{path.name}: the first cell must be a markdown title"


def test_methodology_pages_are_in_the_toctree():
    index = (ROOT / "docs" / "methodology" / "index.md").read_text(encoding="utf-8")
    assert "grading" in index
    for topic in ("weighting", "calibration", "uncertainty", "governance", "batch"):
        assert f"{topic}*" in index


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    for mod in ("pydata_sphinx_theme", "numpydoc", "myst_nb", "sphinxarg"):
        pytest.importorskip(mod)
    out = tmp_path / "html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(ROOT / "docs"),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    config = (out / "reference" / "config.html").read_text(encoding="utf-8")
    for key in ("max_share", "small_unit_allowance", "tie_break", "level_1", "BandTransform"):
        assert key in config
    cli = (out / "reference" / "cli.html").read_text(encoding="utf-8")
    for sub in ("score", "validate", "report", "--lang"):
        assert sub in cli
    api = (out / "reference" / "api.html").read_text(encoding="utf-8")
    assert "riskgrade.report.render.render_report" in api
    assert (out / "methodology" / "grading.html").exists()
    shutil.rmtree(out, ignore_errors=True)
