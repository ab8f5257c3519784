"""Reading (encodings, Parquet, text ids) and atomic writing with provenance."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

import riskgrade as rg
from riskgrade.io import atomic_path, detect_encoding, read_provenance, write_frame

CSV_ZH = (
    "风险点编号,单位,范围,类别,人数,岗位权重,处置资金,自由裁量权,服务社会关联度,社会评价,"
    "信访投诉,发案量,媒体曝光,违规行为后果\n"
    "007,财政局,岗位,岗位职责,3,5,2000000,4,3,0.8,2,0,1,2\n"
    "008,财政局,科室,工作流程,9,2,0,2,2,0.9,0,0,0,1\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_reads_excel_encodings_without_options(tmp_path, encoding):
    p = tmp_path / "inv.csv"
    p.write_bytes(CSV_ZH.encode(encoding))
    inv = rg.read_inventory(p)
    assert inv["risk_point_id"].tolist() == ["007", "008"]  # ids stay text
    assert inv["unit_id"].tolist() == ["财政局", "财政局"]
    assert inv["scope"].tolist() == ["post", "division"]
    assert inv["post_weight"].tolist() == [5, 2]
    expected = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig"}.get(encoding, "gb18030")
    assert inv.attrs["encoding"] == expected
    assert detect_encoding(p) == expected
    rg.validate_inventory(inv)


def test_given_encoding_is_used(tmp_path):
    p = tmp_path / "inv.csv"
    p.write_bytes(CSV_ZH.encode("gb18030"))
    assert rg.read_inventory(p, encoding="gb18030")["unit_id"].iloc[0] == "财政局"


def test_parquet_round_trip(tmp_path, small_inventory):
    p = tmp_path / "inv.parquet"
    small_inventory.to_parquet(p)
    inv = rg.read_inventory(p)
    assert inv["risk_point_id"].tolist() == ["a", "b", "c", "d"]
    assert len(inv.attrs["input_sha256"]) == 64


def test_empty_file_is_a_validation_error(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_bytes(b"")
    with pytest.raises(rg.InventoryValidationError) as info:
        rg.read_inventory(p)
    assert info.value.reasons == {"empty"}


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        rg.read_inventory(tmp_path / "nope.csv")


def test_atomic_path_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_keeps_old_file_on_interrupt(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("new, partial")
        raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_csv_has_bom_and_neutralised_formulas(tmp_path):
    df = pd.DataFrame({"text": ["=SUM(A1)", "+1", "-cmd", "@x", "plain", "\tx"], "num": [-1, 2, 3, 4, 5, 6]})
    p = write_frame(df, tmp_path / "o.csv", provenance={"k": 1})
    raw = p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(p, encoding="utf-8-sig")
    assert back["text"].tolist() == ["'=SUM(A1)", "'+1", "'-cmd", "'@x", "plain", "'\tx"]
    assert back["num"].tolist() == [-1, 2, 3, 4, 5, 6]  # numbers untouched
    assert json.loads((tmp_path / "o.csv.meta.json").read_text()) == {"k": 1}
    assert read_provenance(p) == {"k": 1}


def test_parquet_carries_provenance(tmp_path, sample_inventory):
    result = rg.RiskModel().grade(sample_inventory)
    p = rg.write_result(result, tmp_path / "g.parquet")
    prov = read_provenance(p)
    assert prov["config_sha256"] == result.config_hash
    assert prov["riskgrade_version"] == rg.__version__
    assert prov["input_sha256"] == result.input_hash
    assert pq.read_table(p).num_rows == len(sample_inventory)
