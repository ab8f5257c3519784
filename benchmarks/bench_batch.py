"""Batch scoring at scale: riskgrade's engines against the I/O floor and peer pipelines.

    python benchmarks/bench_batch.py --rows 10000000

Every contender runs in its own subprocess (peak RSS = that process's ``ru_maxrss``)
on the same CSV, one after the other, and the table gives wall time, peak RSS and the
ratio to the floor of the same output format. The floor is pyarrow reading the input
CSV plus pyarrow writing the graded table (input + result columns), nothing else.

Contenders
----------
riskgrade local / stream        ``riskgrade.engine.grade_file`` (stream: budget = file size / 5)
riskgrade DataFrame path        ``RiskModel.grade`` + ``write_result`` (pandas in the middle)
pandas                          read_csv (pyarrow engine), numpy scores, groupby rank, to_csv
polars                          read_csv, expressions, rank over unit, write_csv (if installed)
pymcdm                          pymcdm WSM scores on the factor matrix, numpy lexsort quota
dask                            dask.dataframe on a 2-worker LocalCluster, shuffle by unit
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

PRELUDE = r"""
import json, resource, sys, time
sys.path.insert(0, %(here)r)
import numpy, pandas, pyarrow, pyarrow.csv, pyarrow.parquet, riskgrade, riskgrade.engine  # not timed
t0 = time.perf_counter()
_r0 = resource.getrusage(resource.RUSAGE_SELF)
cpu0 = _r0.ru_utime + _r0.ru_stime
rss0 = _r0.ru_maxrss / 1024  # interpreter and libraries, before any data
"""
EPILOGUE = r"""
ru = resource.getrusage(resource.RUSAGE_SELF)
print("RESULT " + json.dumps({"seconds": time.perf_counter() - t0, "cpu": ru.ru_utime + ru.ru_stime - cpu0,
      "rss_mb": ru.ru_maxrss / 1024, "rss_growth_mb": ru.ru_maxrss / 1024 - rss0, **extra}))
"""

FACTOR_CODE = r"""
import numpy as np
import riskgrade as rg
cfg = rg.default_config()
cat = cfg.active_catalog
w = np.array([rg.config.DEFAULT_WEIGHTS[n] for n in cat.names])
w = w / w.sum()
def scores(cols):
    F = np.column_stack([cat.transform_one(f, cols) for f in cat.factors])
    num = np.zeros(len(F)); den = np.zeros(len(F))
    for j in range(F.shape[1]):
        c = F[:, j]; p = ~np.isnan(c)
        num += np.where(p, c, 0.0) * w[j]; den += p * w[j]
    return F, np.round(num / den, 12), np.where(np.isnan(F), 0, F) * w / den[:, None]
"""

CASES = {
    "floor": r"""
import pyarrow.csv as c, pyarrow.parquet as pq
t1 = time.perf_counter(); t = c.read_csv(%(inp)r); read = time.perf_counter() - t1
del t
out = pq.read_table(%(ref)r)
t1 = time.perf_counter(); c.write_csv(out, %(out)r + ".csv"); wcsv = time.perf_counter() - t1
t1 = time.perf_counter(); pq.write_table(out, %(out)r + ".parquet", compression="zstd")
wpq = time.perf_counter() - t1
from riskgrade.io import PARQUET_OPTIONS  # riskgrade's writer options, for reference
t1 = time.perf_counter(); pq.write_table(out, %(out)r + "-rg.parquet", **PARQUET_OPTIONS)
wpq_rg = time.perf_counter() - t1
extra = {"read": read, "write_csv": wcsv, "write_parquet": wpq, "write_parquet_rg_options": wpq_rg}
""",
    "riskgrade local csv->csv": r"""
from riskgrade.engine import grade_file
s = grade_file(%(inp)r, %(out)r + ".csv", engine="local")
extra = {"levels": s.levels}
""",
    "riskgrade local csv->parquet": r"""
from riskgrade.engine import grade_file
s = grade_file(%(inp)r, %(out)r + ".parquet", engine="local")
extra = {"levels": s.levels}
""",
    "riskgrade stream csv->csv (budget file/5)": r"""
from riskgrade.engine import grade_file
s = grade_file(%(inp)r, %(out)r + ".csv", engine="stream", memory_limit=%(budget)d)
extra = {"levels": s.levels, "groups": s.groups, "budget_mb": %(budget)d / 2**20}
""",
    "riskgrade stream csv->parquet (budget 1 GiB)": r"""
from riskgrade.engine import grade_file
s = grade_file(%(inp)r, %(out)r + "-1g.parquet", engine="stream", memory_limit="1GiB")
extra = {"levels": s.levels, "groups": s.groups}
""",
    "riskgrade stream csv->csv (budget 1 GiB)": r"""
from riskgrade.engine import grade_file
s = grade_file(%(inp)r, %(out)r + "-1g.csv", engine="stream", memory_limit="1GiB")
extra = {"levels": s.levels, "groups": s.groups}
""",
    "riskgrade DataFrame path (RiskModel.grade)": r"""
import riskgrade as rg
inv = rg.read_inventory(%(inp)r)
r = rg.RiskModel().fit(None).grade(inv)
rg.io.write_result(r, %(out)r + ".csv")
extra = {}
""",
    "pandas": FACTOR_CODE + r"""
import pandas as pd
df = pd.read_csv(%(inp)r, engine="pyarrow")
F, s, C = scores({c: df[c].to_numpy(dtype=float) for c in cat.columns})
df["score"] = s
prov = np.where(s >= 0.6, 1, np.where(s >= 0.35, 2, 3))
df["level_provisional"] = prov
df = df.sort_values(["unit_id", "score", "consequence", "funds_handled", "risk_point_id"],
                    ascending=[True, False, False, False, True], kind="stable")
df["rank_in_unit"] = df.groupby("unit_id").cumcount() + 1
n = df.groupby("unit_id")["score"].transform("size")
cand = (df["level_provisional"] == 1).groupby(df["unit_id"]).cumsum()
df["level"] = np.where((df["level_provisional"] == 1) & (cand > n // 10), 2, df["level_provisional"])
df = df.sort_index()
for j, name in enumerate(cat.names):
    df["factor_" + name] = F[:, j]
for j, name in enumerate(cat.names):
    df["contrib_" + name] = C[:, j]
df.to_csv(%(out)r + ".csv", index=False)
extra = {}
""",
    "polars": FACTOR_CODE + r"""
import polars as pl
df = pl.read_csv(%(inp)r)
F, s, C = scores({c: df[c].cast(pl.Float64).to_numpy() for c in cat.columns})
df = df.with_columns(pl.Series("score", s), pl.Series("_row", np.arange(len(s))))
df = df.with_columns(pl.when(pl.col("score") >= 0.6).then(1).when(pl.col("score") >= 0.35).then(2)
                     .otherwise(3).alias("level_provisional"))
df = df.sort(["unit_id", "score", "consequence", "funds_handled", "risk_point_id"],
             descending=[False, True, True, True, False])
df = df.with_columns(
    (pl.int_range(pl.len()).over("unit_id") + 1).alias("rank_in_unit"),
    pl.len().over("unit_id").alias("n_in_unit"),
    (pl.col("level_provisional") == 1).cum_sum().over("unit_id").alias("_cand"),
)
over_cap = (pl.col("level_provisional") == 1) & (pl.col("_cand") > pl.col("n_in_unit") // 10)
df = df.with_columns(pl.when(over_cap)
                     .then(2).otherwise(pl.col("level_provisional")).alias("level")).sort("_row")
df = df.drop("_cand", "_row").with_columns(
    [pl.Series("factor_" + n, F[:, j]) for j, n in enumerate(cat.names)]
    + [pl.Series("contrib_" + n, C[:, j]) for j, n in enumerate(cat.names)])
df.write_csv(%(out)r + ".csv")
extra = {}
""",
    "pymcdm": FACTOR_CODE + r"""
import pyarrow.csv as c
from pymcdm.methods import WSM
t = c.read_csv(%(inp)r)
cols = {k: t.column(k).to_numpy().astype(float) for k in cat.columns}
F = np.column_stack([cat.transform_one(f, cols) for f in cat.factors])
Ff = np.where(np.isnan(F), 0.0, F)
s = np.round(WSM(normalization_function=lambda x, cost: x)(Ff, w, np.ones(len(w))), 12)
unit = np.unique(t.column("unit_id").to_numpy(zero_copy_only=False), return_inverse=True)[1]
order = np.lexsort((-s, unit))
prov = np.where(s >= 0.6, 1, np.where(s >= 0.35, 2, 3))
import pyarrow as pa
t = t.append_column("score", pa.array(s)).append_column("level", pa.array(prov))
for j, name in enumerate(cat.names):
    t = t.append_column("factor_" + name, pa.array(F[:, j]))
for j, name in enumerate(cat.names):
    t = t.append_column("contrib_" + name, pa.array(Ff[:, j] * w[j]))
c.write_csv(t, %(out)r + ".csv")
extra = {}
""",
    "dask (2 workers)": FACTOR_CODE + r"""
import dask.dataframe as dd
from distributed import Client, LocalCluster
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="6GB")
client = Client(cluster)
df = dd.read_csv(%(inp)r, blocksize="64MB", dtype={"service_relevance": "float64",
                 "public_satisfaction": "float64", "funds_handled": "float64"})
def part(p):
    F, s, C = scores({c: p[c].to_numpy(dtype=float) for c in cat.columns})
    p = p.assign(score=s)
    for j, name in enumerate(cat.names):
        p["factor_" + name] = F[:, j]
    return p
df = df.map_partitions(part).shuffle("unit_id")
def quota(p):
    p = p.sort_values(["unit_id", "score", "risk_point_id"], ascending=[True, False, True])
    p["rank_in_unit"] = p.groupby("unit_id").cumcount() + 1
    return p
df = df.map_partitions(quota)
df.to_csv(%(out)r + "-dask-*.csv", index=False)
client.close(); cluster.close()
extra = {}
""",
}


def run_case(name: str, params: dict) -> dict:
    code = PRELUDE % params + CASES[name] % params + EPILOGUE
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            res = json.loads(line[7:])
            res["wall"] = wall
            return res
    return {"error": (p.stderr.strip().splitlines() or ["?"])[-1][:120], "wall": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--only", nargs="*", help="contenders to run (default all)")
    ap.add_argument("--skip", nargs="*", default=[], help="contenders to skip")
    ap.add_argument("--dir", default=None, help="working directory (default a temporary one)")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    import batch_data

    work = Path(args.dir or tempfile.mkdtemp(prefix="rg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    inp = work / f"inv{args.rows}.csv"
    if not inp.exists():
        t0 = time.perf_counter()
        batch_data.write_csv(args.rows, str(inp))
        print(f"generated {inp} ({inp.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
    size = inp.stat().st_size
    ref = work / f"ref{args.rows}"  # the graded table the floor writes (per size)
    base = {"here": str(HERE), "inp": str(inp), "budget": size // 5}
    names = args.only or list(CASES)
    names = [n for n in names if n not in args.skip]
    if "floor" in names:  # the floor writes the same table riskgrade writes
        names.remove("floor")
        names.insert(0, "floor")
        if not (Path(str(ref) + ".parquet")).exists():
            run_case("riskgrade local csv->parquet", {**base, "out": str(ref)})
    print(f"rows {args.rows:,}, input {size / 1e6:.0f} MB, load average {os.getloadavg()}")
    results = {}
    for name in names:
        params = {**base, "out": str(work / name.split()[0]), "ref": str(ref) + ".parquet"}
        res = run_case(name, params)
        results[name] = res
        print(f"  {name}: {res}", flush=True)
    fl = results.get("floor", {})
    floor_csv = fl.get("read", 0) + fl.get("write_csv", 0)
    floor_pq = fl.get("read", 0) + fl.get("write_parquet", 0)
    print()
    print(f"floor: read CSV {fl.get('read', 0):.1f} s, write CSV {fl.get('write_csv', 0):.1f} s, "
          f"write Parquet {fl.get('write_parquet', 0):.1f} s (with riskgrade's Parquet options "
          f"{fl.get('write_parquet_rg_options', 0):.1f} s); load average now {os.getloadavg()}")
    print("| pipeline | wall s | CPU s | peak RSS MB | RSS growth MB | ratio to floor (wall) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, res in results.items():
        if name == "floor":
            continue
        if "error" in res:
            print(f"| {name} | failed: {res['error']} | | | | |")
            continue
        fl_ = floor_pq if "parquet" in name else floor_csv
        ratio = f"{res['seconds'] / fl_:.2f}x" if fl_ else ""
        print(f"| {name} | {res['seconds']:.1f} | {res.get('cpu', 0):.1f} | {res['rss_mb']:.0f} "
              f"| {res.get('rss_growth_mb', 0):.0f} | {ratio} |")


if __name__ == "__main__":
    main()
