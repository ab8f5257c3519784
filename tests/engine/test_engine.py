"""Batch engine: same bytes as the DataFrame path, in memory and out of core."""

from __future__ import annotations

import filecmp
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade as rg
from conftest import write_inventory_csv
from riskgrade.engine import grade_file, parse_memory
from riskgrade.engine.core import grading_order
from riskgrade.io import write_frame, write_result

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
SAMPLE = ROOT / "src" / "riskgrade" / "datasets" / "sample_inventory.csv"


def _model_files(inv_path: Path, out: Path, on_error: str = "raise") -> rg.GradingResult:
    inv = rg.read_inventory(inv_path)
    res = rg.RiskModel().grade(inv, on_error=on_error)
    write_result(res, out)
    return res


@pytest.fixture(scope="module")
def inv_csv(tmp_path_factory) -> Path:
    return write_inventory_csv(tmp_path_factory.mktemp("eng") / "inv.csv", 3000, 40, 5)


@pytest.mark.parametrize(
    ("engine", "batch_bytes", "limit"),
    [("local", None, None), ("local", 20_000, None), ("stream", 20_000, "200KB")],
)
def test_same_bytes_as_dataframe_path(inv_csv, tmp_path, engine, batch_bytes, limit):
    ref = tmp_path / "ref.csv"
    res = _model_files(inv_csv, ref)
    out = tmp_path / "eng.csv"
    s = grade_file(inv_csv, out, engine=engine, batch_bytes=batch_bytes, memory_limit=limit)
    assert filecmp.cmp(ref, out, shallow=False)
    assert filecmp.cmp(str(ref) + ".meta.json", str(out) + ".meta.json", shallow=False)
    pd.testing.assert_frame_equal(s.audit, res.audit)
    assert s.demoted == res.counts["demoted"]
    assert s.levels == res.summary()["n"].to_dict()
    if engine == "stream":
        assert s.groups > 1  # units were graded in several groups
    if batch_bytes:  # units split across record batches
        units_first = rg.read_inventory(inv_csv)["unit_id"].iloc[:200].nunique()
        assert units_first > 1


def test_parquet_output_same_values(inv_csv, tmp_path):
    res = rg.RiskModel().grade(rg.read_inventory(inv_csv))
    a = tmp_path / "a.parquet"
    b = tmp_path / "b.parquet"
    grade_file(inv_csv, a, engine="local")
    grade_file(inv_csv, b, engine="stream", memory_limit="300KB", batch_bytes=30_000)
    ta, tb = pq.read_table(a), pq.read_table(b)
    assert ta.equals(tb)
    got = ta.to_pandas()
    for c in ("score", "level", "rank_in_unit", "quota_demoted", "quota_tie", "contrib_cases"):
        np.testing.assert_array_equal(got[c].to_numpy(), res.frame[c].to_numpy())
    assert rg.io.read_provenance(a)["config_sha256"] == res.provenance["config_sha256"]


def _tied_inventory(n: int, seed: int) -> pd.DataFrame:
    """Few distinct factor rows, so scores tie within units and the keys decide."""
    rng = np.random.default_rng(seed)
    base = rg.datasets.make_inventory(12, n_units=2, seed=seed)
    inv = base.sample(n, replace=True, random_state=seed).reset_index(drop=True)
    inv["risk_point_id"] = [f"R{i:05d}" for i in rng.permutation(n)]
    inv["unit_id"] = rng.choice(["U1", "U2", "U3"], n)
    inv["funds_handled"] = np.where(rng.random(n) < 0.5, inv["funds_handled"], 0.0)
    return inv


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(20, 160), seed=st.integers(0, 10_000), batch_rows=st.integers(1, 60))
def test_ties_and_order_like_model(tmp_path, n, seed, batch_rows):
    inv = _tied_inventory(n, seed)
    res = rg.RiskModel().grade(inv)
    table = pa.Table.from_pandas(inv, preserve_index=False)
    out = tmp_path / f"t{n}_{seed}.csv"
    grade_file(table, out, engine="stream", batch_bytes=batch_rows * 64, memory_limit="64KB")
    got = pd.read_csv(out, encoding="utf-8-sig")
    for c in ("level", "rank_in_unit", "quota_demoted", "quota_tie"):
        np.testing.assert_array_equal(got[c].to_numpy(), res.frame[c].to_numpy(), err_msg=c)


def test_row_order_does_not_change_grades(inv_csv, tmp_path):
    inv = rg.read_inventory(inv_csv)
    shuffled = inv.sample(frac=1.0, random_state=3).reset_index(drop=True)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    grade_file(pa.Table.from_pandas(inv, preserve_index=False), a, batch_bytes=40_000)
    grade_file(pa.Table.from_pandas(shuffled, preserve_index=False), b, engine="stream",
               batch_bytes=40_000, memory_limit="100KB")
    fa = pd.read_csv(a, encoding="utf-8-sig").set_index("risk_point_id").sort_index()
    fb = pd.read_csv(b, encoding="utf-8-sig").set_index("risk_point_id").sort_index()
    pd.testing.assert_frame_equal(fa, fb)


def test_grading_order_matches_lexsort():
    rng = np.random.default_rng(0)
    n = 5000
    g = rng.integers(0, 30, n)
    s = rng.integers(0, 5, n).astype(np.int64) * 10**11
    k = rng.integers(0, 3, n).astype(float)
    k[rng.random(n) < 0.1] = np.nan
    ids = np.array([f"id{i:05d}" for i in rng.permutation(n)])
    got = grading_order(g, s, [k], pa.array(ids))
    idc = np.unique(ids, return_inverse=True)[1]
    want = np.lexsort((idc, -np.where(np.isnan(k), -np.inf, k), -s, g))
    np.testing.assert_array_equal(got, want)


def test_quarantine_matches_dataframe_path(tmp_path):
    inv = rg.datasets.make_inventory(800, n_units=10, seed=2)
    inv["funds_handled"] = inv["funds_handled"].round().astype("int64")
    inv.loc[5, "post_weight"] = 9
    inv.loc[700, "risk_point_id"] = inv.loc[10, "risk_point_id"]  # duplicate across batches
    inv.loc[400, "cases"] = -1
    p = tmp_path / "bad.csv"
    write_frame(inv, p)
    ref = tmp_path / "ref.csv"
    res = _model_files(p, ref, on_error="quarantine")
    write_frame(res.rejected, tmp_path / "ref.rejects.csv")
    for engine in ("local", "stream"):
        out = tmp_path / f"{engine}.csv"
        s = grade_file(p, out, engine=engine, on_error="quarantine", batch_bytes=30_000,
                       memory_limit="200KB")
        assert s.rows_rejected == len(res.rejected) == 4
        assert filecmp.cmp(ref, out, shallow=False)
        assert filecmp.cmp(tmp_path / "ref.rejects.csv", tmp_path / f"{engine}.rejects.csv", shallow=False)


def test_invalid_raises_with_every_failure_and_writes_nothing(tmp_path):
    inv = rg.datasets.make_inventory(600, n_units=8, seed=4)
    inv.loc[3, "discretion"] = 0
    inv.loc[590, "risk_point_id"] = inv.loc[1, "risk_point_id"]
    p = tmp_path / "bad.csv"
    write_frame(inv, p)
    want = rg.schema.find_failures(rg.read_inventory(p))
    for engine in ("local", "stream"):
        out = tmp_path / f"{engine}.csv"
        with pytest.raises(rg.InventoryValidationError) as ei:
            grade_file(p, out, engine=engine, batch_bytes=20_000, memory_limit="100KB")
        got = ei.value.failure_cases
        assert sorted(zip(got["row"], got["reason"], strict=True)) == sorted(
            zip(want["row"], want["reason"], strict=True)
        )
        assert not out.exists()
        assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_parse_memory():
    assert parse_memory("512MB") == 512 << 20
    assert parse_memory("2GiB") == 2 << 30
    assert parse_memory("1000") == 1000
    with pytest.raises(ValueError, match="expected a size"):
        parse_memory("lots")


# ---------------------------------------------------------------------------------- memory
PROBE = r"""
import json, sys, tracemalloc
import numpy as np, pandas as pd, pyarrow as pa
import riskgrade, riskgrade.engine, riskgrade.model
from riskgrade.engine import grade_file
pool = pa.default_memory_pool()
system = pa.system_memory_pool()  # the stream engine allocates from it during its run
tracemalloc.start()
# warm up: lazy imports and caches are not working memory (with the local engine, which
# leaves the system pool untouched: its peak below is that of the measured run alone)
grade_file(sys.argv[5], sys.argv[2], engine="local", memory_limit=int(sys.argv[4]))
base = pool.bytes_allocated()
warm = pool.max_memory()
sys_base = system.bytes_allocated()
py_base = tracemalloc.get_traced_memory()[0]
tracemalloc.reset_peak()
s = grade_file(sys.argv[1], sys.argv[2], engine=sys.argv[3], memory_limit=int(sys.argv[4]))
py = tracemalloc.get_traced_memory()[1] - py_base
# each pool's peak over the run (their sum bounds the peak of both together); the default
# pool counts only if the measured run raised its peak (the stream engine switches to the
# system pool for its run, so its allocations are all in the second term)
arrow = (pool.max_memory() - base if pool.max_memory() > warm else 0) + (system.max_memory() - sys_base)
print(json.dumps({"pool": arrow, "warm": warm, "py": py, "groups": s.groups}))
"""


def _big_csv(path: Path, n: int) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import batch_data
    finally:
        sys.path.pop(0)
    pacsv.write_csv(batch_data.make_table(n, seed=1), path)


def _probe(path: Path, out: Path, engine: str, budget: int) -> dict:
    p = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), str(out), engine, str(budget), str(SAMPLE)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_stream_stays_within_budget_on_file_five_times_larger(tmp_path):
    """Working memory (Arrow pool peak + Python/numpy peak) stays under the budget.

    The same measure on the in-memory engine exceeds the budget several times, so the
    test would fail if the stream engine held per-row state for the whole file.
    """
    path = tmp_path / "big.csv"
    _big_csv(path, 300_000)
    size = path.stat().st_size
    budget = size // 5
    s = _probe(path, tmp_path / "s.csv", "stream", budget)
    assert s["groups"] > 1
    assert s["pool"] + s["py"] <= budget, (s, budget)
    loc = _probe(path, tmp_path / "l.csv", "local", budget)
    assert loc["pool"] + loc["py"] > 2 * budget
    assert filecmp.cmp(tmp_path / "s.csv", tmp_path / "l.csv", shallow=False)


# ---------------------------------------------------------------------------------- interrupt
def test_sigint_leaves_no_output(tmp_path):
    path = tmp_path / "big.csv"
    _big_csv(path, 300_000)
    out = tmp_path / "out.csv"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "riskgrade", "score", str(path), "-o", str(out), "--engine", "stream",
         "--memory-limit", "2MB"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=tmp_path,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".out.csv.*.tmp")):
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    assert list(tmp_path.glob(".out.csv.*.tmp")), "the run never started writing"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"nothing written" in err
    assert not out.exists()
    assert not list(tmp_path.glob(".out.csv*"))


# ---------------------------------------------------------------------------------- CLI
def test_cli_engines_write_the_same_file(inv_csv, tmp_path, capsys):
    from riskgrade.cli import main

    outs = {}
    for engine in ("local", "stream"):
        out = tmp_path / f"{engine}.csv"
        args = ["score", str(inv_csv), "-o", str(out), "--engine", engine, "--memory-limit", "1MB"]
        assert main(args) == 0
        outs[engine] = out
        err = capsys.readouterr().err
        assert f"({engine} engine)" in err and "units over the cap before the quota" in err
        assert "rows/s" in err
    assert filecmp.cmp(outs["local"], outs["stream"], shallow=False)
    assert main(["score", str(inv_csv), "-o", str(tmp_path / "q.csv"), "--engine", "stream", "-q"]) == 0
    assert capsys.readouterr().err == ""


def test_cli_engine_usage_errors(inv_csv, tmp_path, capsys):
    from riskgrade.cli import EXIT_USAGE, main

    assert main(["score", str(inv_csv), "-o", "-", "--engine", "stream"]) == EXIT_USAGE
    out = str(tmp_path / "x.csv")
    assert main(["score", str(inv_csv), "-o", out, "--memory-limit", "lots"]) == EXIT_USAGE
    assert "expected a size" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
