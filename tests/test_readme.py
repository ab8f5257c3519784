"""The README's Python quickstart runs as written (on a copy of the bundled sample)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_has_python_quickstarts():
    assert len(_python_blocks()) >= 2


def test_readme_python_quickstart_runs(tmp_path, monkeypatch):
    pytest.importorskip("skops")
    shutil.copytree(ROOT / "data" / "samples", tmp_path / "data" / "samples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for block in _python_blocks():
        exec(compile(block, "README.md", "exec"), namespace)
    assert (tmp_path / "graded.parquet").is_file()
    assert (tmp_path / "model.json").is_file()
    probs = namespace["probs"]
    assert {"p_level_1", "p_level_2", "p_level_3"} <= set(probs.columns)  # type: ignore[attr-defined]
