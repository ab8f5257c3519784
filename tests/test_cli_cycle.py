"""The control-cycle commands (owners, measures, cards, compare, disclose, compliance, rollup) on the
bundled sample tables, and their bad inputs: exit 3, nothing written, the row and column named."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from riskgrade.cli import main

S = Path("data/samples")
AS_OF = "2024-12-01"


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cycle") / "graded.csv"
    assert main(["score", str(S / "inventory.csv"), "-c", str(S / "config.toml"), "-o", str(out), "-q"]) == 0
    return out


def read(p: Path) -> pd.DataFrame:
    return pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def only(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir())


# ------------------------------------------------------------------ the sample tables


def test_owners_on_samples(graded, tmp_path, capsys):
    out, fnd = tmp_path / "owners.csv", tmp_path / "findings.csv"
    assert (
        main(["owners", str(graded), "--org", str(S / "org.csv"), "-o", str(out), "--findings", str(fnd)])
        == 0
    )
    o = read(out)
    assert list(o.columns)[:4] == ["风险点编号", "单位编号", "单位", "等级"]
    assert {"负总责", "重要领导责任", "直接责任"} <= set(o.columns)
    g = read(graded)
    unit_l1 = g[(g["scope"] == "unit") & (g["level"] == "1")]["risk_point_id"]
    assert len(unit_l1) > 0
    o1 = o.set_index("风险点编号").loc[unit_l1]
    assert (o1["重要领导责任"] != "").all()  # unit-level points have their leader in charge
    # missing owners only where org.csv leaves a post vacant
    f = read(fnd)
    org = read(S / "org.csv")
    vacant = set(org[(org["类型"] == "岗位") & (org["岗位人员"] == "")]["编号"])
    assert set(f["value"]) <= vacant and len(f) > 0


def test_measures_on_samples(graded, tmp_path):
    out, cov, od = tmp_path / "res.parquet", tmp_path / "cov.csv", tmp_path / "od.csv"
    args = ["measures", str(graded), "--measures", str(S / "measures.csv"), "--as-of", AS_OF, "-o", str(out)]
    assert main([*args, "--coverage", str(cov), "--overdue", str(od)]) == 0
    r = pd.read_parquet(out)
    assert {"剩余风险指数", "剩余风险等级"} <= set(r.columns)
    assert (r["剩余风险指数"].astype(float) <= r["风险指数"].astype(float) + 1e-12).all()
    o = read(od)
    assert len(o) > 0 and (o["完成时限"] < AS_OF).all() and set(o["状态"]) <= {"计划", "进行中"}


def test_cards_issue_review_and_rerun(tmp_path):
    reg = tmp_path / "cards.csv"
    assert main(["cards", str(S / "signals.csv"), "--as-of", AS_OF, "-o", str(reg)]) == 0
    c = read(reg)
    assert len(c) > 0 and set(c["卡片类型"]) <= {"提醒卡", "警示卡", "纠错卡", "移送"}
    assert set(c["后续处置"]) <= {"谈话提醒", "函询", "诫勉谈话", "移送审查"}
    # re-run the same day on the register: no card twice
    reg2 = tmp_path / "cards2.csv"
    assert (
        main(["cards", str(S / "signals.csv"), "--as-of", AS_OF, "--history", str(reg), "-o", str(reg2)]) == 0
    )
    c2 = read(reg2)
    assert c2["卡片编号"].is_unique and len(c2) == len(c)
    # a month later, unanswered cards are escalated once
    reg3 = tmp_path / "cards3.csv"
    assert (
        main(
            [
                "cards",
                str(S / "signals.csv"),
                "--as-of",
                "2025-01-02",
                "--history",
                str(reg2),
                "-o",
                str(reg3),
            ]
        )
        == 0
    )
    c3 = read(reg3)
    assert c3["卡片编号"].is_unique and set(c3["由此升级"]) - {""} == set(c["卡片编号"])


def test_compare_disclose_compliance_rollup_on_samples(graded, tmp_path):
    cmp_, summ = tmp_path / "cmp.csv", tmp_path / "sum.csv"
    args = ["compare", str(S / "graded_last_year.csv"), str(graded), "-o", str(cmp_), "--summary", str(summ)]
    assert main(args) == 0
    assert {"新增", "撤销", "升级", "降级", "不变"} == set(read(cmp_)["变动"])
    pub = tmp_path / "pub.csv"
    assert main(["disclose", str(graded), "--measures", str(S / "measures.csv"), "-o", str(pub)]) == 0
    p = read(pub)
    assert "等级" in p.columns and "风险指数" not in p.columns and len(p) == len(read(graded))
    comp = tmp_path / "comp.csv"
    args = [
        "compliance",
        str(graded),
        "--as-of",
        AS_OF,
        "--assessed-on",
        "2023-11-01",
        "--org",
        str(S / "org.csv"),
    ]
    assert main([*args, "--measures", str(S / "measures.csv"), "-o", str(comp)]) == 0
    c = read(comp)
    assert set(c["评估超过一年"]) == {"是"} and "一级缺责任人" in c.columns
    roll = tmp_path / "roll.csv"
    assert main(["rollup", str(graded), "--by", "power_item", "-o", str(roll)]) == 0
    assert read(roll)["风险点数"].astype(int).sum() == len(read(graded))


# ------------------------------------------------------------------ bad inputs


def test_disclose_unreadable_flag_exit_3_nothing_written(graded, tmp_path, capsys):
    g = read(graded).head(8)
    g.insert(3, " 是否涉密 ", ["否", "是", "待定", "否", "N", "", "Y", "否"])
    src = tmp_path / "flagged.csv"
    g.to_csv(src, index=False, encoding="utf-8-sig")
    capsys.readouterr()
    out = tmp_path / "pub.csv"
    assert main(["disclose", str(src), "-o", str(out)]) == 3
    err = capsys.readouterr().err
    assert re.search(r"\brow 4\b", err) and "待定" in err and "是否涉密" in err
    assert re.search(r"\brow 7\b", err)  # the empty flag
    assert "nothing written" in err and only(tmp_path) == ["flagged.csv"]
    # withholding empty flags: the unreadable one still stops the export
    assert main(["disclose", str(src), "-o", str(out), "--on-empty", "withhold"]) == 3
    g.loc[2, " 是否涉密 "] = "机密"
    g.to_csv(src, index=False, encoding="utf-8-sig")
    assert main(["disclose", str(src), "-o", str(out), "--on-empty", "withhold"]) == 0
    assert sorted(read(out)["风险点编号"]) == sorted(g["risk_point_id"].iloc[[0, 3, 4, 7]])


def test_owners_bad_org_exit_3(graded, tmp_path, capsys):
    org = read(S / "org.csv").head(20)
    org.loc[5, "类型"] = "小组"
    bad = tmp_path / "org.csv"
    org.to_csv(bad, index=False)
    capsys.readouterr()
    assert main(["owners", str(graded), "--org", str(bad), "-o", str(tmp_path / "o.csv")]) == 3
    err = capsys.readouterr().err
    assert re.search(r"\brow 7\b", err) and "小组" in err and only(tmp_path) == ["org.csv"]


def test_measures_bad_values_named_in_the_users_terms(graded, tmp_path, capsys):
    m = read(S / "measures.csv").head(10)
    m.loc[1, "状态"] = "差不多"
    m.loc[4, "有效性"] = "很高"
    bad = tmp_path / "m.csv"
    m.to_csv(bad, index=False)
    capsys.readouterr()
    args = ["measures", str(graded), "--measures", str(bad), "--as-of", AS_OF, "-o", str(tmp_path / "r.csv")]
    assert main(args) == 3
    err = capsys.readouterr().err
    assert re.search(r"\brow 3\b", err) and "'状态'" in err
    assert re.search(r"\brow 6\b", err) and "'有效性'" in err
    assert only(tmp_path) == ["m.csv"]


def test_cards_unknown_type_stops_or_is_quarantined(tmp_path, capsys):
    s = read(S / "signals.csv")
    s.loc[3, "信号类型"] = "小道消息"
    bad = tmp_path / "s.csv"
    s.to_csv(bad, index=False)
    out, q = tmp_path / "c.csv", tmp_path / "q.csv"
    capsys.readouterr()
    assert main(["cards", str(bad), "--as-of", AS_OF, "-o", str(out)]) == 3
    err = capsys.readouterr().err
    assert re.search(r"\brow 5\b", err) and "小道消息" in err and only(tmp_path) == ["s.csv"]
    assert main(["cards", str(bad), "--as-of", AS_OF, "-o", str(out), "--quarantine", str(q)]) == 0
    assert read(q)["信号类型"].tolist() == ["小道消息"] and read(q)["file_row"].tolist() == ["5"]
    assert main(["cards", str(bad), "-o", str(out)]) == 2  # --as-of is required


def test_rollup_key_domain_and_bad_domain(graded, tmp_path, capsys):
    g = read(graded).head(6)
    g["重点领域"] = ["工程建设", "政府采购、工程建设", "", "选人用人", "殡葬", "工程建设"]
    src = tmp_path / "g.csv"
    g.to_csv(src, index=False)
    out = tmp_path / "r.csv"
    capsys.readouterr()
    assert main(["rollup", str(src), "--by", "key_domain", "-o", str(out)]) == 3
    assert re.search(r"\brow 6\b", capsys.readouterr().err) and not out.exists()
    assert main(["rollup", str(src), "--by", "key_domain", "-o", str(out), "--domain", "殡葬"]) == 0
    r = read(out).set_index("重点领域")
    assert r.loc["工程建设", "风险点数"] == "3" and r.loc["殡葬", "风险点数"] == "1" and len(r) == 11


def test_missing_and_empty_inputs_exit_3(graded, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    out = str(tmp_path / "o.csv")
    assert main(["compare", str(tmp_path / "nope.csv"), str(graded), "-o", out]) == 3
    assert main(["owners", str(graded), "--org", str(empty), "-o", out]) == 3
    assert main(["compliance", str(graded), "--as-of", AS_OF, "--cards", str(empty), "-o", out]) == 3
    assert only(tmp_path) == ["empty.csv"]


def test_disclose_subprocess(graded, tmp_path):
    out = tmp_path / "pub.parquet"
    r = subprocess.run(
        [sys.executable, "-m", "riskgrade", "disclose", str(graded), "-o", str(out)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "published" in r.stderr and len(pd.read_parquet(out)) > 0


def test_accountability_on_samples_and_bad_cases(graded, tmp_path, capsys):
    out = tmp_path / "acc.csv"
    base = [
        "--assessment",
        f"2023-11-01={S / 'graded_last_year.csv'}",
        "--assessment",
        f"2024-11-01={graded}",
    ]
    base += ["--org", str(S / "org.csv"), "--measures", str(S / "measures.csv")]
    assert main(["accountability", str(S / "cases.csv"), *base, "-o", str(out)]) == 0
    a = read(out)
    cases = read(S / "cases.csv")
    assert sorted(a["案件编号"]) == sorted(cases["案件编号"])
    lv3 = a[a["发案时等级"] == "3"]
    assert (lv3["需复核等级"] == "是").all() and (a[a["发案时等级"] != "3"]["需复核等级"] == "否").all()
    assert a["责任人"].str.contains("直接责任").all()
    bad = cases.copy()
    bad.loc[1, "风险点编号"] = "RP-nope"
    src = tmp_path / "cases.csv"
    bad.to_csv(src, index=False)
    out2 = tmp_path / "acc2.csv"
    capsys.readouterr()
    assert main(["accountability", str(src), *base, "-o", str(out2)]) == 3
    err = capsys.readouterr().err
    assert re.search(r"\brow 3\b", err) and "RP-nope" in err and not out2.exists()
    assert (
        main(["accountability", str(src), "--assessment", "2024-11-01", "--org", "x", "-o", str(out2)]) == 2
    )


def test_binary_file_is_bad_input_not_a_crash(tmp_path):
    b = tmp_path / "bin.csv"
    b.write_bytes(b"\xff\xfe\x00garbage\x81")
    out = str(tmp_path / "o.csv")
    assert main(["score", str(b), "-o", out]) == 3
    assert main(["report", str(b), "-o", str(tmp_path / "r.html")]) == 3
    assert main(["disclose", str(b), "-o", out]) == 3
    assert main(["cards", str(b), "--as-of", AS_OF, "-o", out]) == 3
    assert only(tmp_path) == ["bin.csv"]


def test_owners_reads_and_writes_excel(graded, tmp_path):
    """Workbooks in and out: the graded workbook of `score`, the organisation as a sheet, owners.xlsx."""
    gx = tmp_path / "graded.xlsx"
    assert main(["score", str(S / "inventory.csv"), "-c", str(S / "config.toml"), "-o", str(gx), "-q"]) == 0
    org_x = tmp_path / "org.xlsx"
    read(S / "org.csv").replace("", None).to_excel(org_x, index=False, engine="xlsxwriter")
    out_csv, out_x = tmp_path / "owners.csv", tmp_path / "owners.xlsx"
    assert main(["owners", str(graded), "--org", str(S / "org.csv"), "-o", str(out_csv)]) == 0
    assert main(["owners", str(gx), "--org", str(org_x), "-o", str(out_x)]) == 0
    want = read(out_csv)
    got = pd.read_excel(out_x, dtype=str, engine="calamine").fillna("")
    assert list(got.columns) == list(want.columns)
    key = "风险点编号"
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True), want.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
