"""Cost of data-driven weights in the batch engines (the weight pass) against fixed weights.

    python benchmarks/bench_engine_weights.py --rows 2000000

Each case runs ``riskgrade.engine.grade_file`` (CSV in, Parquet out) in its own
subprocess and reports wall time, CPU time (user + system) and peak RSS; the overhead is
the difference to the fixed-weight run of the same engine. ``stats`` times
:class:`riskgrade.weighting.stats.WeightStats` alone on the factor-score matrix of the
same rows (the arithmetic of the weight pass without reading or scoring).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CASE = r"""
import json, resource, sys, time, warnings
sys.path.insert(0, %(here)r)
import numpy as np, riskgrade as rg, riskgrade.engine
from riskgrade.config import config_from_dict
warnings.simplefilter("ignore")
base = rg.default_config().model_dump(mode="json")
weighting = %(weighting)s
cfg = config_from_dict({**base, "weighting": weighting}) if weighting else rg.default_config()
t0 = time.perf_counter(); r0 = resource.getrusage(resource.RUSAGE_SELF)
if %(kind)r == "stats":
    import pyarrow.csv as pacsv
    from riskgrade.engine.core import factor_matrix
    from riskgrade.weighting.stats import WeightStats
    F = factor_matrix(pacsv.read_csv(%(csv)r), cfg.active_catalog)
    t0 = time.perf_counter(); r0 = resource.getrusage(resource.RUSAGE_SELF)
    s = WeightStats(cfg.weighting, cfg.active_catalog.names).update(F)
    (s.second_pass().update(F) if s.needs_second_pass else s).finalize()
else:
    riskgrade.engine.grade_file(%(csv)r, %(out)r, rg.RiskModel(cfg), engine=%(kind)r,
                                memory_limit=%(limit)r)
r = resource.getrusage(resource.RUSAGE_SELF)
print("RESULT " + json.dumps({"wall": time.perf_counter() - t0,
      "cpu": r.ru_utime + r.ru_stime - r0.ru_utime - r0.ru_stime, "rss_mb": r.ru_maxrss / 1024}))
"""

WEIGHTINGS = {
    "fixed": None,
    "entropy": {"method": "entropy"},
    "entropy-minmax": {"method": "entropy", "entropy": {"normalization": "minmax"}},
    "critic": {"method": "critic"},
}


def run(kind: str, weighting: str, csv: Path, out: Path, limit: int) -> dict:
    code = CASE % {"here": str(HERE), "weighting": repr(WEIGHTINGS[weighting]), "kind": kind,
                   "csv": str(csv), "out": str(out), "limit": limit}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[7:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--dir", default=None, help="working directory (default a temporary one)")
    ap.add_argument("--engines", nargs="*", default=["local", "stream", "stats"], help="cases to run")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    from batch_data import write_csv

    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        csv = Path(d) / "inv.csv"
        write_csv(args.rows, str(csv), seed=0)
        limit = max(csv.stat().st_size // 5, 1 << 24)
        print(f"{args.rows:,} rows, {csv.stat().st_size / 2**20:.0f} MiB CSV -> Parquet; "
              f"stream budget {limit / 2**20:.0f} MiB")
        print(f"{'engine':8} {'weights':15} {'wall s':>7} {'cpu s':>7} {'peak MB':>8} "
              f"{'+wall s':>8} {'+cpu s':>7}")
        for kind in args.engines:
            base = None
            for name in WEIGHTINGS:
                if kind == "stats" and name == "fixed":
                    continue
                r = run(kind, name, csv, Path(d) / "out.parquet", limit)
                base = base or (r if name == "fixed" else None)
                dw = f"{r['wall'] - base['wall']:+8.2f}" if base else f"{'':8}"
                dc = f"{r['cpu'] - base['cpu']:+7.2f}" if base else f"{'':7}"
                print(f"{kind:8} {name:15} {r['wall']:7.2f} {r['cpu']:7.2f} {r['rss_mb']:8.0f} {dw} {dc}",
                      flush=True)


if __name__ == "__main__":
    main()
