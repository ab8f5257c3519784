"""Files that are no inventory, output suffixes, closed pipes, workbook output, the entry form."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade as rg
from riskgrade.cli import main
from riskgrade.io import read_provenance, write_frame

SAMPLE = str(rg.datasets.sample_path())


def _hostile(kind: str, d: Path) -> Path:
    p = d / f"{kind}.csv"
    rng = np.random.default_rng(3)
    if kind == "random_bytes":
        p.write_bytes(rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    elif kind == "empty":
        p.write_bytes(b"")
    elif kind == "pdf":
        p = d / "inv.pdf"
        p.write_bytes(b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n")
    elif kind == "png":
        p = d / "inv.xlsx"
        p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    elif kind == "zip_not_xlsx":
        p = d / "inv.xlsx"
        with zipfile.ZipFile(p, "w") as zf:
            zf.writestr("readme.txt", "hello")
    elif kind == "docx":
        p = d / "inv.xlsx"
        with zipfile.ZipFile(p, "w") as zf:
            zf.writestr("word/document.xml", "<w/>")
    elif kind == "corrupt_parquet":
        p = d / "inv.parquet"
        good = d / "good.parquet"
        write_frame(rg.datasets.load_sample().head(20), good)
        p.write_bytes(good.read_bytes()[:-40])
    elif kind == "parquet_bytes_inside":
        p = d / "inv.parquet"
        p.write_bytes(b"PAR1" + rng.integers(0, 256, 200, dtype=np.uint8).tobytes() + b"PAR1")
    elif kind == "truncated_xlsx":
        p = d / "inv.xlsx"
        rg.io.write_frame(rg.datasets.load_sample().head(20), d / "good.xlsx")
        p.write_bytes((d / "good.xlsx").read_bytes()[:1500])
    return p


HOSTILE = ["random_bytes", "empty", "pdf", "png", "zip_not_xlsx", "docx", "corrupt_parquet",
           "parquet_bytes_inside", "truncated_xlsx"]


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_file_that_is_no_inventory_exits_3(kind, tmp_path, capsys):
    p = _hostile(kind, tmp_path)
    out = tmp_path / "out.csv"
    for argv in (["score", str(p), "-o", str(out)], ["validate", str(p)]):
        assert main(argv) == 3, argv
        err = capsys.readouterr().err
        assert "unexpected error" not in err and "Traceback" not in err
        assert not out.exists()
    with pytest.raises(rg.InventoryValidationError):
        rg.read_inventory(p)


def test_messages_say_what_the_file_seems_to_be(tmp_path, capsys):
    assert main(["validate", str(_hostile("pdf", tmp_path))]) == 3
    assert "a PDF document" in capsys.readouterr().err
    assert main(["validate", str(_hostile("docx", tmp_path))]) == 3
    assert "Word document" in capsys.readouterr().err


def test_utf16_csv_with_bom_is_read(tmp_path):
    text = Path(SAMPLE).read_text(encoding="utf-8-sig")
    p = tmp_path / "utf16.csv"
    p.write_bytes(text.encode("utf-16"))  # with a byte-order mark
    got = rg.read_inventory(p)
    want = rg.read_inventory(SAMPLE)
    assert got.attrs["encoding"] == "utf-16"
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_compressed_csv_is_read_in_every_command(tmp_path):
    import gzip

    p = tmp_path / "inv.csv.gz"
    p.write_bytes(gzip.compress(Path(SAMPLE).read_bytes(), mtime=0))
    assert main(["validate", str(p)]) == 0
    out, ref = tmp_path / "out.csv", tmp_path / "ref.csv"
    assert main(["score", str(p), "-o", str(out), "-q"]) == 0
    assert main(["score", SAMPLE, "-o", str(ref), "-q"]) == 0
    assert out.read_bytes() == ref.read_bytes()


@pytest.mark.parametrize("name", ["out.txt", "out.json", "out.csv.gz", "out.xls", "out.html"])
def test_unwritten_output_suffix_is_refused_with_exit_2(name, tmp_path, capsys):
    out = tmp_path / name
    assert main(["score", SAMPLE, "-o", str(out), "-q"]) == 2
    assert "riskgrade writes .csv, .parquet (.pq) and .xlsx" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_unwritten_audit_suffix_is_refused_before_any_work(tmp_path):
    out = tmp_path / "out.csv"
    assert main(["score", SAMPLE, "-o", str(out), "--audit", str(tmp_path / "a.docx"), "-q"]) == 2
    assert not out.exists()


def _closed_pipe(argv: list[str]) -> subprocess.CompletedProcess:
    proc = subprocess.Popen([sys.executable, "-m", "riskgrade", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    return subprocess.CompletedProcess(argv, proc.wait(), "", err)


def test_a_closed_pipe_ends_quietly(tmp_path):
    big = tmp_path / "big.csv"
    write_frame(rg.datasets.make_inventory(20000, seed=1), big)
    done = _closed_pipe(["score", str(big), "-o", "-", "-q"])
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_xlsx_result_is_a_real_workbook_and_byte_deterministic(tmp_path):
    from python_calamine import CalamineWorkbook

    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert main(["score", SAMPLE, "-o", str(a), "-q"]) == 0
    assert main(["score", SAMPLE, "-o", str(b), "-q"]) == 0
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        sheet1 = zf.read("xl/worksheets/sheet1.xml").decode()
    assert '<pane ySplit="1"' in sheet1 and "<autoFilter" in sheet1
    wb = CalamineWorkbook.from_path(str(a))
    assert wb.sheet_names == ["分级结果", "单位汇总", "配额审计", "说明"]
    csv = tmp_path / "c.csv"
    assert main(["score", SAMPLE, "-o", str(csv), "-q"]) == 0
    want = pd.read_csv(csv)
    got = rg.read_inventory(a)
    assert got["level"].tolist() == want["level"].tolist()
    assert got["risk_point_id"].tolist() == want["risk_point_id"].tolist()
    prov = read_provenance(a)
    assert prov["config_sha256"] == read_provenance(csv)["config_sha256"]
    assert prov["input_sha256"] == rg.io.file_sha256(SAMPLE)
    summary = wb.get_sheet_by_name("单位汇总").to_python()
    assert summary[0][:2] == ["unit_id", "n_points"]
    assert sum(row[1] for row in summary[1:]) == len(want)


def test_xlsx_level_cells_coloured_and_cjk_widths(tmp_path):
    from openpyxl import load_workbook

    from riskgrade.formats.xlsx_write import display_width

    assert display_width("风险点") == 6 and display_width("ab") == 2 and display_width("ＡＢ") == 4
    g = tmp_path / "g.xlsx"
    assert main(["score", SAMPLE, "-o", str(g), "-q"]) == 0
    ws = load_workbook(g)["分级结果"]
    head = [c.value for c in ws[1]]
    lv = head.index("level") + 1
    fills = {}
    for r in range(2, ws.max_row + 1):
        fills.setdefault(ws.cell(r, lv).value, ws.cell(r, lv).fill.fgColor.rgb)
    assert fills[1].endswith("F4B6B6") and fills[2].endswith("FCE4B0") and fills[3].endswith("D9EAD3")
    unit_name = ws.column_dimensions[chr(ord("A") + head.index("unit_name"))].width
    assert unit_name >= 2 * len("遂宁市自然资源和规划局")  # CJK characters count double


def test_report_reads_a_graded_workbook(tmp_path):
    g = tmp_path / "g.xlsx"
    assert main(["score", SAMPLE, "-o", str(g), "-q"]) == 0
    html = tmp_path / "r.html"
    assert main(["report", str(g), "-o", str(html)]) == 0
    assert html.stat().st_size > 1000


def test_blank_form_filled_in_grades_unchanged(tmp_path):
    """Fill the entry form with openpyxl from the sample inventory; grade; same levels as the CSV."""
    from office_forms import chinese_values
    from openpyxl import load_workbook

    from riskgrade.formats.template import TEMPLATE_COLUMNS

    form = tmp_path / "风险点登记表.xlsx"
    assert main(["template", "-o", str(form)]) == 0
    again = tmp_path / "again.xlsx"
    assert main(["template", "-o", str(again)]) == 0
    assert form.read_bytes() == again.read_bytes()
    inv = chinese_values(rg.datasets.load_sample())
    wb = load_workbook(form)
    ws = wb["风险点登记表"]
    headers = [c.value for c in ws[1]]
    assert headers == [h for h, _ in TEMPLATE_COLUMNS]
    lists = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    assert lists["H2"].type == "list" and "岗位" in lists["H2"].formula1  # 风险层级
    assert lists["Q2"].type == "list" and lists["Q2"].formula1 == '"1,2,3,4,5"'  # 岗位权重
    assert "辅助性岗位" in lists["Q2"].prompt
    assert ws.freeze_panes == "A2"
    for i, row in enumerate(inv.itertuples(index=False), start=2):
        rec = row._asdict()
        for j, (_, canon) in enumerate(TEMPLATE_COLUMNS, start=1):
            v = rec[canon]
            if isinstance(v, float) and np.isnan(v):
                continue
            v = v.item() if isinstance(v, np.generic) else v
            if canon == "funds_handled":  # the form's header asks for 万元
                v = v / 10_000
            ws.cell(i, j, v)
    wb.save(form)
    out, ref = tmp_path / "out.csv", tmp_path / "ref.csv"
    assert main(["score", str(form), "-o", str(out), "-q"]) == 0
    assert main(["score", SAMPLE, "-o", str(ref), "-q"]) == 0
    zh = {"风险点编号": "risk_point_id", "风险等级": "level"}  # the user's headers are kept
    a = pd.read_csv(out).rename(columns=zh).set_index("risk_point_id")["level"]
    b = pd.read_csv(ref).rename(columns=zh).set_index("risk_point_id")["level"]
    pd.testing.assert_series_equal(a.sort_index(), b.sort_index())


def test_stdout_csv_is_neutralised(capsysbinary, tmp_path):
    inv = rg.datasets.load_sample().head(30)
    inv.loc[0, "description"] = "=HYPERLINK(1)"
    p = tmp_path / "i.csv"
    write_frame(inv, p)
    assert main(["score", str(p), "-o", "-", "-q"]) == 0
    text = capsysbinary.readouterr().out.decode("utf-8")
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text
    back = pd.read_csv(io.StringIO(text))
    assert back.shape[0] == 30


def test_batch_engine_reads_workbooks_and_utf16_through_the_registry(tmp_path):
    from riskgrade.engine import grade_file

    ref = tmp_path / "ref.csv"
    assert main(["score", SAMPLE, "-o", str(ref), "-q"]) == 0
    book = tmp_path / "s.xlsx"
    write_frame(rg.datasets.load_sample(), book)
    u16 = tmp_path / "u16.csv"
    u16.write_bytes(Path(SAMPLE).read_text(encoding="utf-8-sig").encode("utf-16"))
    for src in (book, u16):
        out = tmp_path / f"{src.stem}.out.csv"
        grade_file(src, out, rg.RiskModel())
        assert pd.read_csv(out)["level"].tolist() == pd.read_csv(ref)["level"].tolist()
    with pytest.raises(ValueError, match="batch engines write csv and parquet"):
        grade_file(SAMPLE, tmp_path / "x.xlsx", rg.RiskModel())


_PREFIXES = [b"", b"PK\x03\x04", b"PAR1", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x1f\x8b", b"\xff\xfe",
             b"\xef\xbb\xbf", b"risk_point_id,unit_id\n", b"%PDF", b"\x28\xb5\x2f\xfd"]


@settings(max_examples=int(os.environ.get("RISKGRADE_FUZZ_EXAMPLES", "80")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from(_PREFIXES), body=st.binary(max_size=400),
       suffix=st.sampled_from([".csv", ".xlsx", ".parquet", ".xls", ".csv.gz", ""]))
def test_any_bytes_read_or_refused_as_invalid_input(prefix, body, suffix, tmp_path_factory):
    """Whatever the bytes and the name: a frame, or an InventoryValidationError — never another error."""
    p = tmp_path_factory.mktemp("fuzz") / f"f{suffix}"
    p.write_bytes(prefix + body)
    with contextlib.suppress(rg.InventoryValidationError):
        rg.read_inventory(p)
