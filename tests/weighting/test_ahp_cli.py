"""``riskgrade ahp``: CSV / TOML input, output, exit codes."""

from __future__ import annotations

import io

import pytest

from riskgrade.cli import main
from riskgrade.weighting.cli_ahp import read_judgements, run_ahp_command

DRINKS_CSV = """\
,coffee,wine,tea,beer,soda,milk,water
coffee,1,9,5,2,1,1,1/2
wine,1/9,1,1/3,1/9,1/9,1/9,1/9
tea,1/5,3,1,1/3,1/4,1/3,1/9
beer,1/2,9,3,1,1/2,1,1/3
soda,1,9,4,2,1,2,1/2
milk,1,9,3,1,1/2,1,1/3
water,2,9,9,3,2,3,1
"""

HOUSE_TOML = """\
criteria = ["size", "transportation", "neighborhood", "age", "yard", "modern", "condition", "financing"]
matrix = [
  [1, 5, 3, 7, 6, 6, "1/3", "1/4"],
  ["1/5", 1, "1/3", 5, 3, 3, "1/5", "1/7"],
  ["1/3", 3, 1, 6, 3, 4, 6, "1/5"],
  ["1/7", "1/5", "1/6", 1, "1/3", "1/4", "1/7", "1/8"],
  ["1/6", "1/3", "1/3", 3, 1, "1/2", "1/5", "1/6"],
  ["1/6", "1/3", "1/4", 4, 2, 1, "1/5", "1/6"],
  [3, 5, "1/6", 7, 5, 5, 1, "1/2"],
  [4, 7, 5, 8, 6, 6, 2, 1],
]
"""


def _run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    strict = "--strict" in args
    rc = run_ahp_command(path, strict=strict, ri_table="saaty", out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


def test_csv_square_matrix(tmp_path, capsys):
    """Saaty (2008) drinks matrix: CR 0.022 with Saaty's table, named in the output."""
    p = tmp_path / "drinks.csv"
    p.write_text(DRINKS_CSV, encoding="utf-8")
    rc = main(["ahp", str(p), "--strict"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "CR = 0.0223" in out and "table 'saaty'" in out and "Saaty, T. L. (1980)" in out
    assert "water   0.3268" in out
    assert "revision hints" in out


def test_toml_matrix_inconsistent_strict_exit_3(tmp_path, capsys):
    """Saaty (1990) house criteria: CR 0.169 -> exit 3 with --strict, 0 without."""
    p = tmp_path / "house.toml"
    p.write_text(HOUSE_TOML, encoding="utf-8")
    assert main(["ahp", str(p)]) == 0
    out = capsys.readouterr().out
    assert "CR = 0.1691" in out and "INCONSISTENT" in out
    assert main(["ahp", str(p), "--strict"]) == 3
    assert "--strict" in capsys.readouterr().err
    assert main(["ahp", str(p), "--strict", "--threshold", "0.2"]) == 0
    capsys.readouterr()
    assert main(["ahp", str(p), "--ri-table", "donegan_dodd", "--method", "geometric_mean"]) == 0
    out = capsys.readouterr().out
    assert "table 'donegan_dodd'" in out and "method geometric_mean" in out


def test_toml_judgements_with_missing_pair(tmp_path):
    p = tmp_path / "j.toml"
    p.write_text('[judgements]\n"a/b" = 1\n"a/c" = 5\n"a/d" = 2\n"b/c" = 3\n"b/d" = 4\n', encoding="utf-8")
    rc, out, _ = _run(p)
    assert rc == 0
    assert "completed 1 missing judgement(s) (lambda_max)" in out
    assert "0.7303" in out


def test_toml_experts_group(tmp_path):
    p = tmp_path / "g.toml"
    p.write_text(
        'criteria = ["a", "b", "c"]\ngroup_method = "aij"\n'
        '[[experts]]\nname = "x"\n[experts.judgements]\n"a/b" = 3\n"a/c" = 5\n"b/c" = 2\n'
        '[[experts]]\nname = "y"\nweight = 2\n[experts.judgements]\n"a/b" = "1/2"\n"a/c" = 4\n',
        encoding="utf-8",
    )
    rc, out, _ = _run(p)
    assert rc == 0
    assert "AHP group (AIJ): 2 experts" in out and "Kendall's W" in out
    data = read_judgements(p)
    assert data["weights"] == {"x": 1.0, "y": 2.0}


def test_long_csv(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text("a,b,value\nfunds,discretion,3\nfunds,cases,5\ndiscretion,cases,2\n", encoding="utf-8")
    rc, out, _ = _run(p)
    assert rc == 0 and "funds" in out


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (",a,b,c\na,1,3,x\nb,1/3,1,2\nc,1/5,1/2,1\n", "cell ('a', 'c')"),
        (",a,b,c\na,1,3,5\nb,1/3,1,2\nc,1/5,2,1\n", "cell ('b', 'c')"),
        (",a,b\na,1,-2\nb,1/2,1\n", "not_positive"),
    ],
)
def test_invalid_input_exit_3_names_the_cell(tmp_path, text, needle):
    p = tmp_path / "bad.csv"
    p.write_text(text, encoding="utf-8")
    rc, _, err = _run(p)
    assert rc == 3
    assert needle in err


def test_missing_file_and_bad_table(tmp_path, capsys):
    assert main(["ahp", str(tmp_path / "nope.csv")]) == 3
    p = tmp_path / "d.csv"
    p.write_text(DRINKS_CSV, encoding="utf-8")
    assert main(["ahp", str(p), "--ri-table", "nope"]) == 3
    assert "unknown" in capsys.readouterr().err
    assert main(["ahp", str(p), "--threshold", "abc"]) == 2


def test_disconnected_toml_exit_3(tmp_path):
    p = tmp_path / "d.toml"
    p.write_text('[judgements]\n"a/b" = 2\n"c/d" = 3\n', encoding="utf-8")
    rc, _, err = _run(p)
    assert rc == 3 and "not connected" in err
