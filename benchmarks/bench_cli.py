"""Whole process from the shell: ``riskgrade score`` CSV -> Parquet against the pyarrow floor.

Each command runs as a fresh process (imports included, as a user runs it), ``--repeat``
times, in turn (a, b, c, a, b, c, ...) so that load on a shared machine hits every
command alike; the table gives the median wall time of each and its ratio to the floor:

- ``floor``: a Python process that reads the same CSV with pyarrow and writes it back as
  Parquet with three added columns (score, level, rank) — the least any CLI must do;
- ``riskgrade score`` with the default output (the input columns + 5 result columns);
- ``riskgrade score --explain`` (+ every result column: factor scores and contributions);
- ``import numpy, pandas`` and ``import riskgrade`` (the start-up share of each process).

Usage: ``.venv/bin/python benchmarks/bench_cli.py [--rows 2000000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

FLOOR = r"""
import sys
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
t = pacsv.read_csv(sys.argv[1])
n = t.num_rows
score = np.random.default_rng(0).random(n)
t = t.append_column("score", pa.array(score))
t = t.append_column("level", pa.array(np.where(score > 0.6, 1, np.where(score > 0.35, 2, 3))))
t = t.append_column("rank_in_unit", pa.array(np.arange(n, dtype=np.int64)))
pq.write_table(t, sys.argv[2], compression="zstd")
"""


def _run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, check=False)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dir", default=None, help="work folder (default: a temporary one)")
    args = ap.parse_args()
    py = sys.executable
    rg = str(Path(py).with_name("riskgrade"))
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        sys.path.insert(0, str(HERE))
        import batch_data

        src = os.path.join(tmp, "inv.csv")
        batch_data.write_csv(args.rows, src, seed=0)
        out = os.path.join(tmp, "out.parquet")
        cmds = {
            "floor (pyarrow read + 3 columns + Parquet)": [py, "-c", FLOOR, src, out],
            "riskgrade score (default output)": [rg, "score", src, "-o", out, "-q"],
            "riskgrade score --explain": [rg, "score", src, "-o", out, "-q", "--explain"],
            "import numpy, pandas": [py, "-c", "import numpy, pandas"],
            "import riskgrade": [py, "-c", "import riskgrade"],
        }
        times: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(args.repeat):
            for k, cmd in cmds.items():
                times[k].append(_run(cmd))
        floor = statistics.median(times["floor (pyarrow read + 3 columns + Parquet)"])
        size = os.path.getsize(src) / 1e6
        load = os.getloadavg()[0]
        print(f"{args.rows:,} rows, CSV {size:.0f} MB, {args.repeat} runs each, load {load:.1f}")
        print("| command | median | min | ratio to floor |")
        print("|---|---:|---:|---:|")
        for k, ts in times.items():
            m = statistics.median(ts)
            print(f"| {k} | {m:.2f} s | {min(ts):.2f} s | {m / floor:.2f}× |")


if __name__ == "__main__":
    main()
