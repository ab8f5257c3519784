"""The HTML approval report: content, language, self-containment, CLI, and a real browser."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import riskgrade as rg
from riskgrade.cli import main
from riskgrade.report import load_report_inputs, render_report, write_report

WHEN = dt.datetime(2025, 3, 1, 9, 30)


class Tables(HTMLParser):
    """Collect the text of every cell of every table, by table id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.sections: list[str] = []
        self._tid: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.lang = None
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "section" and "id" in a:
            self.sections.append(a["id"])
        if tag == "table":
            self._tid = a.get("id", f"t{len(self.tables)}")
            self.tables[self._tid] = []
        elif tag == "tr" and self._tid is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        for k in ("src", "href"):
            v = a.get(k)
            if v is not None and not v.startswith("#"):
                self.external.append(v)
        if tag in ("script", "link", "img", "iframe", "object", "embed"):
            self.external.append(tag)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._tid is not None:
            self.tables[self._tid].append(self._row)
            self._row = None
        elif tag == "table":
            self._tid = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(page: str) -> Tables:
    p = Tables()
    p.feed(page)
    return p


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The bundled sample graded with the default model: graded CSV, audit CSV, model card."""
    d = tmp_path_factory.mktemp("report")
    inv = rg.datasets.load_sample()
    model = rg.RiskModel().fit(inv)
    result = model.grade(inv)
    rg.write_result(result, d / "graded.csv")
    from riskgrade.io import write_frame

    write_frame(result.audit, d / "audit.csv")
    model.save(d / "model.json")
    return {"dir": d, "result": result, "model": model}


def test_cli_report_defaults_to_chinese_for_a_chinese_inventory(graded):
    d = graded["dir"]
    out = d / "r.html"
    rc = main(
        [
            "report",
            str(d / "graded.csv"),
            "-o",
            str(out),
            "--audit",
            str(d / "audit.csv"),
            "-m",
            str(d / "model.json"),
        ]
    )
    assert rc == 0
    page = out.read_text(encoding="utf-8")
    p = parse(page)
    assert p.lang == "zh-CN"
    assert p.sections == ["summary", "level-one", "changes", "uncertain", "weights", "provenance", "signoff"]
    for text in ("廉政风险等级评定报告", "一级风险点清单", "限额降级", "权重", "一级", "二级", "三级"):
        assert text in page


def test_lang_en_and_title(graded):
    page = render_report(graded["result"], lang="en", title="Approval 2025 <draft>", generated=WHEN)
    p = parse(page)
    assert p.lang == "en"
    assert "<title>Approval 2025 &lt;draft&gt;</title>" in page
    assert "Level-one risk points" in page and "一级风险点清单" not in page


def test_page_is_self_contained(graded):
    page = render_report(graded["result"], generated=WHEN)
    p = parse(page)
    assert p.external == []
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert "url(" not in page and "@import" not in page


def test_unit_summary_counts_match_an_independent_count(graded):
    res = graded["result"]
    f = res.frame
    page = render_report(graded["dir"] / "graded.csv", lang="en", generated=WHEN)
    rows = parse(page).tables["unit-summary"]
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert header[:5] == ["unit", "points", "level 1", "level 2", "level 3"]
    units = sorted(f["unit_id"].unique())
    assert len(body) == len(units)
    for u, row in zip(units, body, strict=True):
        sub = f[f["unit_id"] == u]
        n = len(sub)
        assert row[0].endswith(f"({u})")
        assert int(row[1]) == n
        assert [int(row[2]), int(row[3]), int(row[4])] == [int((sub["level"] == k).sum()) for k in (1, 2, 3)]
        assert int(row[5]) == n // 10  # floor(0.10 * n) in integers
        assert int(row[2]) <= int(row[5])
    assert int(total[1]) == len(f)
    assert int(total[2]) == int((f["level"] == 1).sum())


def test_level_one_list_is_exactly_the_level_one_points(graded):
    f = graded["result"].frame
    page = render_report(graded["result"], lang="en", generated=WHEN)
    rows = parse(page).tables["level-one-list"][1:]
    assert sorted(r[1] for r in rows) == sorted(f.loc[f["level"] == 1, "risk_point_id"])
    assert "no owner or measure columns" in page


def test_owners_and_measures_are_listed_when_present(graded):
    f = graded["result"].frame.copy()
    f["owner_principal"] = np.where(f["level"] == 1, "王主任", "")
    f["measures"] = "双人复核"
    page = render_report(f, lang="zh", generated=WHEN)
    rows = parse(page).tables["level-one-list"]
    assert "防控措施" in rows[0] and "责任人（主要领导，负总责）" in rows[0]
    assert all("王主任" in r and "双人复核" in r for r in rows[1:])
    assert "没有责任人和防控措施列" not in page


def test_every_demotion_is_listed_with_its_reason(graded):
    f = graded["result"].frame
    demoted = set(f.loc[f["quota_demoted"], "risk_point_id"])
    assert demoted, "the sample must exercise the quota"
    d = graded["dir"]
    for audit in (None, d / "audit.csv"):
        page = render_report(d / "graded.csv", audit=audit, lang="en", generated=WHEN)
        rows = parse(page).tables["changes-list"][1:]
        assert {r[1] for r in rows} == demoted | set(f.loc[f["quota_exception"], "risk_point_id"])
        for r in rows:
            sub = f[f["risk_point_id"] == r[1]].iloc[0]
            assert f"ranks {int(sub['rank_in_unit'])} by score" in r[-1]
            assert f"{int(sub['quota_cap'])} of {int(sub['n_in_unit'])} points" in r[-1]
        assert "does not match" not in page


def test_overrides_from_the_audit_file_keep_their_reason_and_mismatch_is_flagged(graded):
    d = graded["dir"]
    audit = pd.read_csv(d / "audit.csv", encoding="utf-8-sig", dtype=str)
    extra = pd.DataFrame(
        [
            {
                "unit_id": "U0001",
                "risk_point_id": "RP0000001",
                "action": "override",
                "level_from": 3,
                "level_to": 1,
                "reason": "巡察发现问题线索，班子研究决定提级",
                "approved_by": "党组会 2025-02-20",
            }
        ]
    )
    audit2 = pd.concat([audit.iloc[1:], extra], ignore_index=True)
    page = render_report(d / "graded.csv", audit=audit2, lang="zh", generated=WHEN)
    rows = parse(page).tables["changes-list"][1:]
    ov = [r for r in rows if r[1] == "RP0000001"]
    assert ov and ov[0][2] == "人工调整" and "巡察发现问题线索" in ov[0][-1] and "党组会" in ov[0][-1]
    assert "审计文件与分级文件不一致" in page  # the dropped demotion is noticed


def test_uncertain_points_are_those_below_the_threshold(graded):
    f = graded["result"].frame.copy()
    rng = np.random.default_rng(3)
    P = rng.dirichlet([1.0, 1.0, 1.0], len(f))
    f["p_level_1"], f["p_level_2"], f["p_level_3"] = P.T
    p_assigned = P[np.arange(len(f)), f["level"].to_numpy() - 1]
    expected = set(f.loc[p_assigned < 0.8, "risk_point_id"])
    page = render_report(f, lang="en", generated=WHEN, max_rows=10_000)
    rows = parse(page).tables["uncertain-list"][1:]
    assert {r[1] for r in rows} == expected
    shown = [float(r[4]) for r in rows]
    assert shown == sorted(shown)  # least certain first
    assert "no uncertainty" in render_report(graded["result"], lang="en", generated=WHEN)


def test_uncertain_flag_column_is_used(graded):
    f = graded["result"].frame.copy()
    f["uncertain"] = False
    f.loc[f.index[:3], "uncertain"] = True
    rows = parse(render_report(f, lang="en", generated=WHEN)).tables["uncertain-list"][1:]
    assert [r[1] for r in rows] == f["risk_point_id"].iloc[:3].tolist()


def test_weights_and_consistency_figures_from_the_model_card(graded):
    card = graded["model"].to_card()
    card["weight_details"] = {"method": "ahp_group", "cr": 0.034, "experts": [{"cr": 0.21}, {"cr": 0.08}]}
    page = render_report(graded["result"], model_card=card, lang="en", generated=WHEN)
    rows = parse(page).tables["weights"][1:]
    assert [r[1] for r in rows] == list(card["weights"])
    assert [float(r[2]) for r in rows] == pytest.approx(list(card["weights"].values()), abs=5e-5)
    assert page.count('class="ok"') == 2 and page.count('class="bad"') == 1
    assert "experts[0].cr" in page
    card["config_sha256"] = "0" * 64
    assert "differs from the graded file" in render_report(
        graded["result"], model_card=card, lang="en", generated=WHEN
    )


def test_provenance_is_printed(graded):
    d = graded["dir"]
    prov = json.loads((d / "graded.csv.meta.json").read_text(encoding="utf-8"))
    page = render_report(d / "graded.csv", lang="en", generated=WHEN)
    rows = {r[0]: r[1] for r in parse(page).tables["provenance"]}
    assert rows["config hash (SHA-256)"] == prov["config_sha256"]
    assert rows["input hash (SHA-256)"] == prov["input_sha256"]
    assert rows["riskgrade version (grading)"] == prov["riskgrade_version"]
    assert rows["report date"].startswith("2025-03-01 09:30")
    from riskgrade.io import file_sha256

    assert rows["graded file hash (SHA-256)"] == file_sha256(d / "graded.csv")


def test_missing_provenance_is_flagged(graded, tmp_path):
    shutil.copy(graded["dir"] / "graded.csv", tmp_path / "g.csv")
    page = render_report(tmp_path / "g.csv", lang="en", generated=WHEN)
    assert "carries no provenance" in page


def test_values_are_escaped(graded):
    f = graded["result"].frame.copy()
    i = f.index[f["level"] == 1][0]
    f.loc[i, "description"] = "<script>alert(1)</script>"
    page = render_report(f, lang="en", generated=WHEN)
    assert "<script>" not in page
    assert html.escape("<script>alert(1)</script>") in page


def test_english_inventory_defaults_to_english(graded):
    f = graded["result"].frame.copy()
    f["unit_name"] = "Office " + f["unit_id"].astype(str)
    for c in ("division_name", "post_name", "description", "manifestation", "cause"):
        f[c] = "text"
    assert parse(render_report(f, generated=WHEN)).lang == "en"


def test_not_a_graded_file_exits_3(tmp_path, capsys):
    root = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
    inventory = root / "data" / "samples" / "inventory.csv"
    rc = main(["report", str(inventory), "-o", str(tmp_path / "r.html")])
    assert rc == 3
    assert "lacks column(s)" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()
    assert main(["report", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "r.html")]) == 3


def test_write_report_parquet_round_trip(graded, tmp_path):
    rg.write_result(graded["result"], tmp_path / "g.parquet")
    inputs = load_report_inputs(tmp_path / "g.parquet")
    assert inputs.provenance["config_sha256"] == graded["result"].config_hash
    out = write_report(tmp_path / "g.parquet", tmp_path / "r.html", generated=WHEN)
    assert parse(out.read_text(encoding="utf-8")).lang == "zh-CN"


# ---------------------------------------------------------------------------- real browser


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _chromium(browser: str, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp / 'profile'}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def browser():
    path = _browser()
    if path is None:
        pytest.skip(
            "no chromium on this machine (run .ci/browser to install it); the plain HTML "
            "checks above still ran"
        )
    return path


def test_report_renders_in_headless_chromium(graded, browser, tmp_path):
    out = write_report(
        graded["dir"] / "graded.csv",
        tmp_path / "report.html",
        audit=graded["dir"] / "audit.csv",
        model_card=graded["dir"] / "model.json",
        generated=WHEN,
    )
    proc = _chromium(browser, tmp_path, "--dump-dom", out.as_uri())
    if proc.returncode != 0 or not proc.stdout:
        pytest.skip(f"chromium could not run here: {proc.stderr.decode(errors='replace')[-300:]}")
    dom = proc.stdout.decode("utf-8")
    p = parse(dom)
    assert p.sections == ["summary", "level-one", "changes", "uncertain", "weights", "provenance", "signoff"]
    f = graded["result"].frame
    assert len(p.tables["unit-summary"]) == f["unit_id"].nunique() + 2
    assert len(p.tables["level-one-list"]) == int((f["level"] == 1).sum()) + 1
    assert "廉政风险等级评定报告" in dom and dom.count("<svg") >= 2

    shot = tmp_path / "report.png"
    proc = _chromium(
        browser,
        tmp_path,
        "--hide-scrollbars",
        "--window-size=1100,1600",
        f"--screenshot={shot}",
        out.as_uri(),
    )
    assert proc.returncode == 0 and shot.exists()
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image as mpimg

    img = mpimg.imread(shot)
    assert img.shape[0] == 1600 and img.shape[1] == 1100
    # the page is drawn: coloured bars of the level-one colour are present
    rgb = (img[..., :3] * 255).round().astype(int)
    l1 = np.all(np.abs(rgb - np.array([0xB2, 0x18, 0x2B])) <= 6, axis=-1)
    assert l1.sum() > 200


# ---------------------------------------------------------------------------- properties

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(min_value=1, max_value=60),
    units=st.integers(min_value=1, max_value=5),
    seed=st.integers(min_value=0, max_value=10_000),
    name=_names,
    lang=st.sampled_from(["zh", "en"]),
)
def test_any_grading_renders_with_every_point_accounted_for(n, units, seed, name, lang):
    inv = rg.datasets.make_inventory(max(n, 5 * units), n_units=units, seed=seed)
    inv["unit_name"] = name + inv["unit_id"].astype(str)
    inv["description"] = name
    result = rg.RiskModel().grade(inv)
    f = result.frame
    page = render_report(result, lang=lang, generated=WHEN)
    p = parse(page)
    assert p.external == []
    summary = p.tables["unit-summary"]
    assert len(summary) == f["unit_id"].nunique() + 2
    assert int(summary[-1][1]) == len(f)
    assert sum(int(r[2]) + int(r[3]) + int(r[4]) for r in summary[1:-1]) == len(f)
    changed = {r[1] for r in p.tables.get("changes-list", [[]])[1:]}
    assert changed == set(f.loc[f["quota_demoted"] | f["quota_exception"], "risk_point_id"])
    listed = {r[1] for r in p.tables.get("level-one-list", [[]])[1:]}
    assert listed == set(f.loc[f["level"] == 1, "risk_point_id"])
    assert "<script" not in page.lower()


def test_calibrated_probability_is_shown_in_the_level_one_list(graded):
    f = graded["result"].frame.copy()
    f["probability"] = f["score"] / 2
    rows = parse(render_report(f, lang="en", generated=WHEN)).tables["level-one-list"]
    assert "probability" in rows[0]
    j = rows[0].index("probability")
    k = rows[0].index("score")
    assert all(float(r[j]) == pytest.approx(float(r[k]) / 2, abs=1e-3) for r in rows[1:])


def test_level_probabilities_from_the_uncertainty_module(tmp_path):
    unc = pytest.importorskip("riskgrade.uncertainty")
    inv = rg.datasets.load_sample()
    model = rg.RiskModel().fit(inv)
    result = model.grade(inv)
    lp = unc.level_probabilities(model, inv, n_draws=300, seed=7)
    f = result.frame.merge(
        lp[["risk_point_id", "p_level_1", "p_level_2", "p_level_3", "uncertain"]], on="risk_point_id"
    )
    prov = dict(
        result.provenance,
        uncertainty={
            "n_draws": 300,
            "sampler": "Dirichlet",
            "seed": 7,
            "max_standard_error": 0.5 / np.sqrt(300),
        },
    )
    from riskgrade.report import load_report_inputs as lri

    page = render_report(lri(f, provenance=prov), lang="en", generated=WHEN, max_rows=10_000)
    rows = parse(page).tables["uncertain-list"][1:]
    assert {r[1] for r in rows} == set(lp.loc[lp["uncertain"], "risk_point_id"])
    assert "300 sampled weight vectors" in page and "0.0289" in page
