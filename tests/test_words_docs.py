"""The README's header table is complete: a file with exactly its required Chinese headers grades."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from riskgrade.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _table(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8")
    start = text.index("| column |") if "| column |" in text else text.index("| 列 |")
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def _required_headers(path: Path) -> dict[str, str]:
    out = {}
    for row in _table(path):
        canon, zh, required = row[0].strip("`"), row[1], row[-1]
        if required in ("yes", "是"):
            out[canon] = zh
    return out


def _values(canon: str, n: int, rng: np.random.Generator):
    if canon in ("risk_point_id",):
        return [f"R{i:03d}" for i in range(n)]
    if canon == "unit_id":
        return [f"U{i % 3}" for i in range(n)]
    if canon in ("post_weight", "discretion", "service_relevance"):
        return rng.integers(1, 6, n)
    if canon == "consequence":
        return rng.integers(1, 4, n)
    if canon == "public_satisfaction":
        return np.round(rng.uniform(0.5, 1, n), 2)
    if canon == "headcount":
        return rng.integers(1, 30, n)
    if canon == "funds_handled":
        return np.round(rng.lognormal(12, 2, n))
    return rng.integers(0, 4, n)


def test_readme_required_headers_are_enough(tmp_path):
    for page in ("README.md", "README.zh-CN.md"):
        heads = _required_headers(ROOT / page)
        assert {"risk_point_id", "unit_id", "headcount", "funds_handled", "public_satisfaction"} <= set(heads)
        rng = np.random.default_rng(0)
        frame = pd.DataFrame({zh: _values(c, 60, rng) for c, zh in heads.items()})
        src = tmp_path / "inv.csv"
        frame.to_csv(src, index=False)
        assert main(["score", str(src), "-o", str(tmp_path / "g.csv"), "-q"]) == 0, page


def test_getting_started_installs_from_the_source():
    for page in ("docs/getting-started.md", "docs/getting-started.zh-CN.md"):
        text = (ROOT / page).read_text(encoding="utf-8")
        assert "pip install -e ." in text
        assert not re.search(r"pip install riskgrade\b", text), page
        assert "riskgrade template" in text
    assert "getting-started.zh-CN" in (ROOT / "docs/index.md").read_text(encoding="utf-8")
