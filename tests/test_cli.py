"""The command line, through main([...]) and one real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

import riskgrade as rg
from riskgrade.cli import main

SAMPLE = "data/samples/inventory.csv"
CONFIG = "data/samples/config.toml"


def test_score_writes_graded_file_within_cap(tmp_path, capsys):
    out = tmp_path / "graded.csv"
    assert main(["score", SAMPLE, "--config", CONFIG, "-o", str(out)]) == 0
    graded = pd.read_csv(out, encoding="utf-8-sig", dtype={"risk_point_id": str, "unit_id": str})
    assert len(graded) == 5000
    per_unit = graded.groupby("unit_id").agg(n=("level", "size"), l1=("level", lambda s: (s == 1).sum()))
    assert (per_unit["l1"] <= per_unit["n"] // 10).all()
    err = capsys.readouterr().err
    assert "5000 rows in: 5000 graded, 0 rejected" in err
    meta = json.loads((tmp_path / "graded.csv.meta.json").read_text())
    assert meta["config_sha256"] == rg.load_config(CONFIG).hash


def test_invalid_input_exit_3_and_nothing_written(tmp_path, capsys):
    bad = pd.read_csv(SAMPLE, encoding="utf-8-sig").head(50)
    bad.loc[5, "post_weight"] = 7
    src = tmp_path / "bad.csv"
    bad.to_csv(src, index=False)
    out = tmp_path / "graded.csv"
    assert main(["score", str(src), "-o", str(out)]) == 3
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]
    err = capsys.readouterr().err
    # data row 5 (0-based) is line 7 of the file: the header is line 1
    assert "row 7" in err and "out_of_scale" in err and "nothing written" in err


def test_quarantine_writes_rejects(tmp_path, capsys):
    bad = pd.read_csv(SAMPLE, encoding="utf-8-sig").head(100)
    bad.loc[5, "funds_handled"] = -3
    src = tmp_path / "bad.csv"
    bad.to_csv(src, index=False)
    out = tmp_path / "graded.parquet"
    assert main(["score", str(src), "-o", str(out), "--on-error", "quarantine"]) == 0
    rej = pd.read_csv(tmp_path / "graded.rejects.csv", encoding="utf-8-sig")
    assert rej["row"].tolist() == [5] and rej["reject_reasons"].iloc[0] == "funds_handled:negative"
    assert len(pd.read_parquet(out)) == 99
    assert "100 rows in: 99 graded, 1 rejected" in capsys.readouterr().err


def test_validate_command(tmp_path, capsys):
    assert main(["validate", SAMPLE]) == 0
    bad = pd.read_csv(SAMPLE, encoding="utf-8-sig").head(20).drop(columns=["cases"])
    src = tmp_path / "bad.csv"
    bad.to_csv(src, index=False)
    fails = tmp_path / "fails.csv"
    assert main(["validate", str(src), "--failures", str(fails)]) == 3
    assert "missing_column" in pd.read_csv(fails, encoding="utf-8-sig")["reason"].tolist()


def test_invalid_config_exit_3(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[quota]\nmax_share = 3\n")
    assert main(["score", SAMPLE, "-c", str(cfg), "-o", str(tmp_path / "o.csv")]) == 3
    assert "quota.max_share" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_usage_error_exit_2(capsys):
    assert main(["score"]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["--help"]) == 0


def test_sample_and_schema(tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(["sample", "--rows", "300", "--seed", "4", "-o", str(out)]) == 0
    s = rg.read_inventory(out)
    assert len(s) == 300 and "true_p" in s.columns
    capsys.readouterr()
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "quota" in schema["properties"]
    assert main(["schema", "--default-config"]) == 0
    assert json.loads(capsys.readouterr().out)["quota"]["max_share"] == 0.1


def test_model_card_used_by_cli(tmp_path):
    card = rg.RiskModel().save(tmp_path / "m.json")
    out = tmp_path / "g.csv"
    assert main(["score", SAMPLE, "-m", str(card), "-o", str(out), "-q"]) == 0
    assert out.exists()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_real_subprocess(tmp_path, fmt):
    out = tmp_path / f"graded.{fmt}"
    proc = subprocess.run(
        [sys.executable, "-m", "riskgrade", "score", SAMPLE, "-o", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "graded" in proc.stderr and proc.stdout == ""
    df = pd.read_parquet(out) if fmt == "parquet" else pd.read_csv(out, encoding="utf-8-sig")
    assert len(df) == 5000


def test_subprocess_stdout_output(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "riskgrade", "score", str(rg.datasets.sample_path()), "-o", "-"],
        capture_output=True, check=False,
    )
    assert proc.returncode == 0
    assert proc.stdout.count(b"\n") == 601


def test_score_with_uncertainty(tmp_path):
    out = tmp_path / "g.parquet"
    sample = str(rg.datasets.sample_path())
    assert main(["score", sample, "-o", str(out), "--uncertainty", "500", "--seed", "3", "-q",
                 "--explain"]) == 0
    df = pd.read_parquet(out)
    for c in ("p_level_1", "p_level_2", "p_level_3", "modal_level", "uncertain"):
        assert c in df.columns
    assert ((df[["p_level_1", "p_level_2", "p_level_3"]].sum(axis=1) - 1).abs() < 1e-9).all()
    per_unit = df.groupby("unit_id").agg(p1=("p_level_1", "sum"), cap=("quota_cap", "first"))
    assert (per_unit["p1"] <= per_unit["cap"] + 1e-9).all()
    prov = rg.io.read_provenance(out)
    assert prov["uncertainty"]["n_draws"] == 500
