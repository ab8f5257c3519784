"""Answers in the user's language and the default graded file (items 3, 4, 6 of the inventory issue)."""

from __future__ import annotations

import pandas as pd
import pytest

import riskgrade as rg
from riskgrade.cli import main
from riskgrade.messages import suggest_header
from riskgrade.words import COLUMN_ALIASES

RESULT_EN = ["score", "level", "rank_in_unit", "quota_demoted", "reason"]
RESULT_ZH = ["风险指数", "风险等级", "单位内排名", "因限额降级", "理由"]


def _chinese(frame: pd.DataFrame) -> pd.DataFrame:
    zh: dict[str, str] = {"scope": "风险层级", "category": "风险类别", "identified_by": "查找方式"}
    for alias, canon in COLUMN_ALIASES.items():
        zh.setdefault(canon, alias)
    out = frame.rename(columns=zh)
    out["风险层级"] = out["风险层级"].map({"post": "岗位", "division": "处（科、股）室", "unit": "单位"})
    return out


@pytest.fixture
def inv_csv(tmp_path, sample_inventory):
    p = tmp_path / "inv.csv"
    sample_inventory.head(300).to_csv(p, index=False)
    return p


@pytest.fixture
def zh_csv(tmp_path, sample_inventory):
    p = tmp_path / "登记表.csv"
    _chinese(sample_inventory.head(300)).to_csv(p, index=False)
    return p


def test_did_you_mean_for_a_typo():
    assert suggest_header("自由栽量权") == ("自由裁量权", "discretion")
    assert suggest_header("dicsretion")[1] == "discretion"
    assert suggest_header("备注说明") is None


def test_missing_column_named_with_the_closest_header(small_inventory):
    inv = rg.read_inventory(small_inventory.rename(columns={"discretion": "自由栽量权"}))
    with pytest.raises(rg.InventoryValidationError) as e:
        rg.validate_inventory(inv)
    msg = e.value.failure_cases.query("reason == 'missing_column'").iloc[0]
    assert "did you mean '自由裁量权'" in msg["message"] and "自由栽量权" in msg["message"]
    assert "自由裁量权" in msg["message_zh"]


def test_rows_are_file_rows_and_headers_as_written(tmp_path, small_inventory, capsys):
    bad = small_inventory.rename(columns={"post_weight": "岗位权重"})
    bad.loc[2, "岗位权重"] = 9
    src = tmp_path / "bad.csv"
    bad.to_csv(src, index=False)
    assert main(["validate", str(src), "--lang", "en"]) == 3
    err = capsys.readouterr().err
    # data row 2 (0-based) is line 4 of the file; the header as written, the canonical name beside it
    assert "row 4" in err and "岗位权重 (post_weight)" in err and "'9'" in err
    assert main(["validate", str(src), "--lang", "zh"]) == 3
    err = capsys.readouterr().err
    assert "第 4 行" in err and "岗位权重" in err


def test_excel_rows_from_the_reader_are_used(small_inventory):
    inv = rg.read_inventory(small_inventory.assign(post_weight=[1, 2, 9, 3]))
    inv.attrs["source_rows"] = [5, 6, 7, 8]  # as an Excel reader with a title row sets them
    fc = rg.schema.find_failures(inv)
    assert fc["source_row"].tolist() == [7]


@pytest.mark.parametrize("engine", ["local", "stream"])
def test_default_output_is_user_columns_plus_five(tmp_path, inv_csv, engine):
    out = tmp_path / "g.csv"
    assert main(["score", str(inv_csv), "-o", str(out), "--engine", engine, "-q"]) == 0
    got = pd.read_csv(out, encoding="utf-8-sig")
    src = pd.read_csv(inv_csv)
    assert list(got.columns) == [*src.columns, *RESULT_EN]
    assert main(["score", str(inv_csv), "-o", str(tmp_path / "x.csv"), "--engine", engine, "-q",
                 "--explain"]) == 0
    full = pd.read_csv(tmp_path / "x.csv", encoding="utf-8-sig")
    assert {"level_provisional", "quota_cap", "factor_discretion", "contrib_discretion"} <= set(full.columns)
    pd.testing.assert_series_equal(full["level"], got["level"])


def test_in_memory_path_writes_the_same_columns(tmp_path, inv_csv, capsys):
    assert main(["score", str(inv_csv), "-o", "-", "-q"]) == 0  # stdout: the in-memory path
    lines = capsys.readouterr().out.splitlines()
    assert [h.strip('"') for h in lines[0].lstrip("\ufeff").split(",")[-5:]] == RESULT_EN


@pytest.mark.parametrize("engine", ["local", "stream"])
def test_chinese_input_keeps_headers_and_words(tmp_path, zh_csv, engine):
    out = tmp_path / "g.csv"
    assert main(["score", str(zh_csv), "-o", str(out), "--engine", engine, "-q"]) == 0
    got = pd.read_csv(out, encoding="utf-8-sig")
    src = pd.read_csv(zh_csv)
    assert list(got.columns) == [*src.columns, *RESULT_ZH]
    assert set(got["风险层级"]) <= {"岗位", "处（科、股）室", "单位"}
    assert main(["score", str(zh_csv), "-o", str(out), "--engine", engine, "-q", "--lang", "en"]) == 0
    en = pd.read_csv(out, encoding="utf-8-sig")
    assert list(en.columns[-5:]) == RESULT_EN and "scope" in en.columns


def test_reason_names_quota_demotions(tmp_path, inv_csv):
    out = tmp_path / "g.csv"
    assert main(["score", str(inv_csv), "-o", str(out), "-q"]) == 0
    g = pd.read_csv(out)
    demoted = g["quota_demoted"].astype(bool)
    assert demoted.any()
    assert g.loc[demoted, "reason"].str.startswith("quota: level 1 -> 2").all()
    assert g.loc[~demoted, "reason"].isna().all()


def test_report_reads_the_default_graded_file(tmp_path, inv_csv):
    lean, full = tmp_path / "g.csv", tmp_path / "f.csv"
    assert main(["score", str(inv_csv), "-o", str(lean), "-q"]) == 0
    assert main(["score", str(inv_csv), "-o", str(full), "-q", "--explain"]) == 0
    from riskgrade.report import load_report_inputs

    a = load_report_inputs(lean).frame
    b = load_report_inputs(full).frame
    for c in ("n_in_unit", "quota_cap", "level_provisional", "quota_exception", "quota_demoted"):
        assert a[c].astype("int64").tolist() == b[c].astype("int64").tolist(), c
    assert main(["report", str(lean), "-o", str(tmp_path / "r.html")]) == 0


def test_small_units_in_summary_result_and_report(tmp_path, capsys):
    inv = rg.datasets.make_inventory(400, n_units=40, seed=3)  # about 10 points a unit: several below
    src = tmp_path / "inv.csv"
    inv.to_csv(src, index=False)
    res = rg.RiskModel().grade(rg.read_inventory(src))
    info = res.small_units()
    us = res.unit_summary()
    assert info["threshold"] == 10 and info["units"] == int((us["n_points"] < 10).sum()) > 0
    assert info["demoted"] == int(us.loc[us["n_points"] < 10, "demoted"].sum())
    assert info["option"] == "quota.small_unit_allowance"
    out = tmp_path / "g.csv"
    assert main(["score", str(src), "-o", str(out), "--lang", "en"]) == 0
    err = capsys.readouterr().err
    assert f"{info['units']} units have fewer than 10 points" in err
    assert "quota.small_unit_allowance" in err
    assert main(["report", str(out), "-o", str(tmp_path / "r.html"), "--lang", "en"]) == 0
    assert "quota.small_unit_allowance" in (tmp_path / "r.html").read_text(encoding="utf-8")
