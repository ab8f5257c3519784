"""Excel in: office-style workbooks grade exactly like the same data as canonical CSV."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from office_forms import HEADERS, office_workbook

import riskgrade as rg
from riskgrade.cli import main
from riskgrade.io import write_frame

REPO = Path(__file__).resolve().parents[2]
#: graded-file headers written in Chinese when the input's headers are Chinese
ZH_OUT = {"风险点编号": "risk_point_id", "风险等级": "level"}
# shared/ lies beside the clone in CI; RISKGRADE_SHARED_DIR points elsewhere (a worktree)
SHARED = Path(os.environ.get("RISKGRADE_SHARED_DIR", REPO.parent / "shared"))
SHARED_FORM = SHARED / "data" / "forms" / "示例登记表.xlsx"


@pytest.fixture(scope="module")
def inventory() -> pd.DataFrame:
    """120 points of the bundled sample (several units, some over the level-one cap)."""
    inv = rg.datasets.load_sample()
    keep = inv["unit_id"].isin(sorted(inv["unit_id"].unique())[:3])
    return inv.loc[keep, [c for c in inv.columns if c in HEADERS]].reset_index(drop=True)


def _levels(path: Path) -> pd.Series:
    out = pd.read_csv(path, dtype=str).rename(columns=ZH_OUT)  # the user's headers are kept
    return out.set_index("risk_point_id")["level"].astype(int).sort_index()


@pytest.fixture(scope="module")
def csv_levels(inventory, tmp_path_factory) -> pd.Series:
    d = tmp_path_factory.mktemp("csv")
    write_frame(inventory, d / "inv.csv")
    assert main(["score", str(d / "inv.csv"), "-o", str(d / "out.csv"), "-q"]) == 0
    return _levels(d / "out.csv")


LAYOUTS = {
    "plain": dict(title=False, unit_line=False, two_row=False, seq=False, percent=False,
                  signature=False, notes_sheet=None),
    "title_row": dict(two_row=False, seq=False, signature=False, notes_sheet=None),
    "two_row_header": dict(title=False, unit_line=False, seq=False, signature=False),
    "full_office_form": {},
    "notes_sheet_first_and_offset": dict(notes_sheet="before", first_col=3),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_office_workbook_grades_like_canonical_csv(layout, inventory, csv_levels, tmp_path):
    xlsx = tmp_path / "登记表.xlsx"
    office_workbook(xlsx, inventory, **LAYOUTS[layout])
    out = tmp_path / "out.csv"
    assert main(["score", str(xlsx), "-o", str(out), "-q"]) == 0
    got = _levels(out)
    assert len(got) == len(inventory)
    pd.testing.assert_series_equal(got, csv_levels)


def test_reader_finds_rows_headers_and_notes(inventory, tmp_path):
    xlsx = tmp_path / "form.xlsx"
    where = office_workbook(xlsx, inventory)
    inv = rg.read_inventory(xlsx)
    assert len(inv) == len(inventory)
    rows = inv.attrs["source_rows"]
    assert rows.dtype == np.int64
    # title row, 填报单位 line, a two-row header: the first data row is sheet row 5
    assert where["first_data"] == 5
    assert rows[0] == 5 and rows[-1] == where["last_data"]
    assert inv.attrs["source_headers"] == [HEADERS[c] for c in inventory.columns]
    assert "风险评估因素" not in inv.attrs["source_headers"]
    assert "序号" not in inv.columns
    notes = " | ".join(inv.attrs["source_notes"])
    last = where["last_data"]
    assert f"rows {last + 2}–{last + 3}" in notes
    assert "序号" in notes and "填表说明" in notes
    # a percentage cell under a header without % holds the fraction Excel stores
    np.testing.assert_array_equal(inv["public_satisfaction"], inventory["public_satisfaction"])
    assert inv["risk_point_id"].tolist() == inventory["risk_point_id"].tolist()


def test_formulas_are_read_as_their_saved_values(inventory, csv_levels, tmp_path):
    """A workbook whose factor cells are formulas (saved with their values, as Excel saves them)."""
    import xlsxwriter

    xlsx = tmp_path / "formulas.xlsx"
    cols = list(inventory.columns)
    wb = xlsxwriter.Workbook(str(xlsx))
    ws = wb.add_worksheet("表1")
    from office_forms import chinese_values

    data = chinese_values(inventory)
    for j, c in enumerate(cols):
        ws.write_string(0, j, HEADERS[c])
    for i, row in enumerate(data.itertuples(index=False), start=1):
        for j, (c, v) in enumerate(zip(cols, row, strict=True)):
            if isinstance(v, float) and np.isnan(v):
                continue
            if c in ("headcount", "funds_handled"):
                ws.write_formula(i, j, f"={float(v)!r}*1", None, float(v))
            elif isinstance(v, str):
                ws.write_string(i, j, v)
            else:
                ws.write_number(i, j, float(v))
    wb.close()
    out = tmp_path / "out.csv"
    assert main(["score", str(xlsx), "-o", str(out), "-q"]) == 0
    pd.testing.assert_series_equal(_levels(out), csv_levels)


def test_sheet_option_by_name_and_number(inventory, tmp_path, capsys):
    xlsx = tmp_path / "two.xlsx"
    office_workbook(xlsx, inventory, notes_sheet="before")
    a = rg.read_inventory(xlsx, sheet="风险点登记表")
    b = rg.read_inventory(xlsx, sheet=2)
    assert a.attrs["sheet"] == b.attrs["sheet"] == "风险点登记表"
    with pytest.raises(rg.InventoryValidationError, match="no inventory header"):
        rg.read_inventory(xlsx, sheet="填表说明")
    assert main(["validate", str(xlsx), "--sheet", "9"]) == 3
    assert "no sheet '9'" in capsys.readouterr().err


def test_csv_and_parquet_carry_source_rows_and_headers(inventory, tmp_path):
    csv = tmp_path / "inv.csv"
    write_frame(inventory.rename(columns=HEADERS), csv)
    inv = rg.read_inventory(csv)
    assert inv.attrs["source_rows"].tolist() == list(range(2, len(inventory) + 2))
    assert inv.attrs["source_headers"] == [HEADERS[c] for c in inventory.columns]
    assert list(inv.columns) == list(inventory.columns)
    pq = tmp_path / "inv.parquet"
    write_frame(inventory, pq)
    inv = rg.read_inventory(pq)
    assert inv.attrs["source_rows"].tolist() == list(range(1, len(inventory) + 1))
    assert inv.attrs["source_notes"] == []


@pytest.mark.skipif(not SHARED_FORM.exists(), reason="the shared office form is not beside this clone")
def test_shared_office_form_is_read():
    """The office form in shared/data/forms (42 points, title, two-row header, signatures)."""
    inv = rg.read_inventory(SHARED_FORM)
    assert len(inv) == 42
    assert inv.attrs["sheet"] == "风险点登记表"
    assert inv.attrs["source_rows"].tolist() == list(range(5, 47))
    headers = inv.attrs["source_headers"]
    assert headers[:3] == ["风险点编号", "单位名称", "处（科、股）室"]
    assert "处置资金（万元）" in headers and "风险评估因素" not in headers and "序号" not in headers
    notes = " | ".join(inv.attrs["source_notes"])
    assert "rows 48–49" in notes and "填表说明" in notes
    assert inv["risk_point_id"].iloc[0] == "FX0001" and inv["risk_point_id"].iloc[-1] == "FX0042"
    # the header units are honoured: 万元 -> 元, per cent -> share; text and number cells alike
    sat = inv["public_satisfaction"].tolist()
    # text cells "70.7%" and percentage cells (0.769 formatted 0.0%) read as the same shares
    assert sat[0] == pytest.approx(0.707) and sat[5] == pytest.approx(0.769)
    assert sat[11] == pytest.approx(0.849)
    funds = inv["funds_handled"].tolist()
    assert funds[0] == 309_700 and funds[28] == 68_036_800  # "30.97" and "6,803.68" 万元
    # no unit code column: the units are told apart by 单位名称 (three units)
    assert inv["unit_id"].nunique() == 3


@pytest.mark.skipif(not SHARED_FORM.exists(), reason="the shared office form is not beside this clone")
def test_shared_office_form_grades(tmp_path):
    """The office form grades as it stands, to a real workbook, and as the same data in canonical CSV."""
    out = tmp_path / "out.xlsx"
    assert main(["score", str(SHARED_FORM), "-o", str(out), "-q"]) == 0
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(out))
    assert wb.sheet_names[0] == "分级结果"
    inv = rg.read_inventory(SHARED_FORM)
    write_frame(inv, tmp_path / "canon.csv")
    assert main(["score", str(tmp_path / "canon.csv"), "-o", str(tmp_path / "canon_out.csv"), "-q",
                 "--lang", "en"]) == 0
    graded = rg.RiskModel().fit(inv).grade(inv).frame.set_index("risk_point_id")["level"].sort_index()
    canon = pd.read_csv(tmp_path / "canon_out.csv", dtype=str).set_index("risk_point_id")["level"]
    assert graded.astype(int).tolist() == canon.astype(int).sort_index().tolist()


def test_validate_reports_what_the_reader_left_out(inventory, tmp_path, capsys):
    xlsx = tmp_path / "form.xlsx"
    where = office_workbook(xlsx, inventory)
    assert main(["validate", str(xlsx)]) == 0
    err = capsys.readouterr().err
    last = where["last_data"]
    assert f"note: 2 signature or note rows under the table left out (rows {last + 2}–{last + 3})" in err
    assert f"{len(inventory)} rows, valid" in err
    assert main(["validate", str(xlsx), "--failures", str(tmp_path / "f.txt")]) == 2


def test_formulas_without_saved_values_are_named_in_a_note(inventory, tmp_path):
    """openpyxl stores formulas without values: the reader says which cells came back empty."""
    from openpyxl import load_workbook

    xlsx = tmp_path / "f.xlsx"
    where = office_workbook(xlsx, inventory, two_row=False, title=False, unit_line=False, seq=False)
    wb = load_workbook(xlsx)
    ws = wb["风险点登记表"]
    col = [c.value for c in ws[where["first_data"] - 1]].index("岗位人数") + 1
    ws.cell(where["first_data"] + 2, col, "=20+7")
    wb.save(xlsx)
    inv = rg.read_inventory(xlsx)
    cell = f"{chr(64 + col)}{where['first_data'] + 2}"
    assert any(f"1 formula cell without a saved value read as empty (first: {cell})" in n
               for n in inv.attrs["source_notes"])
    assert pd.isna(inv["headcount"].iloc[2])


def test_frames_read_from_files_concatenate(inventory, tmp_path):
    """pandas compares attrs on concat: the source rows compare as a whole, not elementwise."""
    a, b = tmp_path / "a.csv", tmp_path / "b.xlsx"
    write_frame(inventory.head(7), a)
    office_workbook(b, inventory.tail(5))
    fa, fb = rg.read_inventory(a), rg.read_inventory(b)
    assert isinstance(fa.attrs["source_rows"], np.ndarray) and fa.attrs["source_rows"].dtype == np.int64
    both = pd.concat([fa, fb], ignore_index=True)
    assert len(both) == 12
    same = pd.concat([fa, fa], ignore_index=True)
    assert same.attrs["source_rows"].tolist() == list(range(2, 9))
