"""What it costs to start riskgrade: ``import riskgrade`` and ``riskgrade --help`` against numpy + pandas.

Usage::

    .venv/bin/python benchmarks/bench_import.py [--runs 15]

Each case runs in a fresh Python process (``python -X importtime`` is not used: it adds
its own cost); the cases are interleaved run by run, so a change of machine load hits
every case alike, and the medians of ``--runs`` wall-clock times are reported, with the
ratio to ``import numpy, pandas`` (the floor every user pays) and the 1-minute load
average before and after. The CPU time of each child (user + system, from
``getrusage(RUSAGE_CHILDREN)``) is reported too: on a loaded machine it moves much less than
the wall-clock time. The interpreter start-up itself is in every figure.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

CASES = {
    "python (empty)": [sys.executable, "-c", "pass"],
    "import numpy, pandas": [sys.executable, "-c", "import numpy, pandas"],
    "import numpy, pandas, pyarrow, pydantic": [
        sys.executable,
        "-c",
        "import numpy, pandas, pyarrow, pydantic",
    ],
    "import riskgrade": [sys.executable, "-c", "import riskgrade"],
    "riskgrade --help": [sys.executable, "-m", "riskgrade", "--help"],
}
FLOOR = "import numpy, pandas"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args(argv)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    for cmd in CASES.values():  # warm the file cache and the bytecode caches
        subprocess.run(cmd, check=True, capture_output=True, env=env)
    times: dict[str, list[float]] = {k: [] for k in CASES}
    cpu: dict[str, list[float]] = {k: [] for k in CASES}
    load0 = os.getloadavg()[0]
    for _ in range(args.runs):
        for name, cmd in CASES.items():
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            times[name].append(time.perf_counter() - t)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    load1 = os.getloadavg()[0]
    floor = statistics.median(times[FLOOR])
    floor_cpu = statistics.median(cpu[FLOOR])
    print(f"{args.runs} interleaved runs per case; load average {load0:.1f} -> {load1:.1f}")
    print(f"| case | wall median | wall min | wall ratio | CPU median | CPU ratio (to `{FLOOR}`) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, ts in times.items():
        med, cmed = statistics.median(ts), statistics.median(cpu[name])
        print(
            f"| `{name}` | {1000 * med:.0f} ms | {1000 * min(ts):.0f} ms | {med / floor:.2f} "
            f"| {1000 * cmed:.0f} ms | {cmed / floor_cpu:.2f} |"
        )


if __name__ == "__main__":
    main()
