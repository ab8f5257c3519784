"""Benchmark: level probabilities with the per-unit quota (riskgrade.uncertainty).

Measures riskgrade's engine against a reference written the obvious vectorised way
(one matrix product per chunk of draws, one full sort per (unit, draw) via a packed
key and ``np.sort``) on the same data, and reports how time and memory grow with the
number of points and draws.

Memory is the peak resident set size above the loaded inputs (Linux: the high-water
mark is reset through ``/proc/self/clear_refs`` before each run), measured in a fresh
process per case so the cases do not hide each other's peaks; the 1-minute load
average is printed with every row because the machine may be shared.

Usage::

    .venv/bin/python benchmarks/bench_uncertainty.py            # scaling table (~3 min)
    .venv/bin/python benchmarks/bench_uncertainty.py --full     # adds 1e6 x 1e4
    .venv/bin/python benchmarks/bench_uncertainty.py --case 1000000 10000 uniform 2
    .venv/bin/python benchmarks/bench_uncertainty.py --backend numpy   # without the extra 'fast'

The compiled kernels (extra ``fast``) are compiled or loaded from numba's cache before
the timed run; the first use on a machine compiles them once (a few seconds).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np

from riskgrade.uncertainty import quota_level_probabilities


def make_data(n: int, seed: int = 0):
    """Synthetic factor scores shaped like riskgrade.datasets.make_inventory (9 factors,
    units of 5..500 points, log-uniform sizes, ~8 % of rows with a missing factor)."""
    rng = np.random.default_rng(seed)
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(np.exp(rng.uniform(np.log(5), np.log(500)))))
    sizes[-1] -= sum(sizes) - n
    sizes = [s for s in sizes if s > 0]
    units = np.repeat(np.arange(len(sizes)), sizes)
    z = rng.normal(0, 0.8, len(sizes))[units] + rng.normal(0, 0.8, n)
    F = np.clip(0.35 + 0.15 * z[:, None] + rng.normal(0, 0.2, (n, 9)), 0, 1)
    F[:, [0, 2, 3, 8]] = np.round(F[:, [0, 2, 3, 8]] * 4) / 4  # ordinal factors
    miss = rng.random((n, 9)) < np.array([0, 0, 0, 0.03, 0.05, 0, 0, 0, 0])
    F[miss] = np.nan
    cap = np.bincount(units) // 10
    w = np.array([0.15, 0.15, 0.15, 0.08, 0.07, 0.10, 0.12, 0.06, 0.12])
    return F, units, cap, w


def reference(F, units, cap, draws, t1, t2, chunk=64):
    """Obvious vectorised reference: per chunk one matmul, then one full sort of the
    packed key (unit, -rounded score) per draw."""
    pres = ~np.isnan(F)
    Fz = np.where(pres, F, 0.0)
    n = F.shape[0]
    starts = np.r_[0, np.cumsum(np.bincount(units))]
    p1 = np.zeros(n)
    p3 = np.zeros(n)
    for c in range(0, len(draws), chunk):
        W = draws[c : c + chunk]
        S = np.round((Fz @ W.T) / (pres @ W.T), 12)
        for d in range(S.shape[1]):
            s = S[:, d]
            p3 += s < t2
            key = units.astype(np.int64) * (1 << 42) - np.rint(s * 1e12).astype(np.int64)
            o = np.argsort(key, kind="stable")
            rank = np.empty(n, dtype=np.int64)
            rank[o] = np.arange(n) - starts[units[o]]
            p1 += (s >= t1) & (rank < cap[units])  # ties broken by row (no fractional credit)
    return p1 / len(draws), p3 / len(draws)


def _status(key: str) -> float:
    """A field of /proc/self/status in MiB (0 where unavailable)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return 0.0


def run(n: int, D: int, kind: str, n_threads: int = 2, central: bool = False, backend: str = "auto"):
    """One timed run; returns (seconds, peak extra RSS MiB, result)."""
    F, units, cap, w = make_data(n)
    rng = np.random.default_rng(1)
    draws = rng.dirichlet(np.ones(9), D) if kind == "uniform" else rng.dirichlet(50 * w, D)
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset the RSS high-water mark
    except OSError:  # pragma: no cover - not Linux
        pass
    base = _status("VmRSS")
    t = time.perf_counter()
    res = quota_level_probabilities(
        F, None, draws, units, 0.6, 0.35, cap, n_threads=n_threads, central_weights=central, backend=backend
    )
    dt = time.perf_counter() - t
    return dt, _status("VmHWM") - base, res


def one_case(
    n: int, D: int, kind: str, thr: int, central: bool, with_ref: bool, backend: str = "auto"
) -> str:
    if backend != "numpy":  # compile (or load the cached kernels) outside the timed run
        F, units, cap, _ = make_data(2_000)
        quota_level_probabilities(F, None, np.full((8, 9), 1 / 9), units, 0.6, 0.35, cap, backend=backend)
    dt, peak, _ = run(n, D, kind, thr, central, backend)
    ref = ratio = ""
    if with_ref:
        F, units, cap, _ = make_data(n)
        rng = np.random.default_rng(1)
        draws = rng.dirichlet(np.ones(9), D)
        t = time.perf_counter()
        reference(F, units, cap, draws, 0.6, 0.35)
        rt = time.perf_counter() - t
        ref, ratio = f"{rt:.1f}", f"{rt / dt:.0f}x"
    from riskgrade.uncertainty.tiles import resolve_backend as _resolve_backend

    label = kind + (" +central" if central else "")
    label += " (numba)" if _resolve_backend(backend) else " (numpy)"
    return (
        f"| {n:,} | {D:,} | {label} | {thr} | {dt:.2f} | {dt / (n * D) * 1e9:.2f} "
        f"| {peak:.0f} | {ref} | {ratio} | {os.getloadavg()[0]:.1f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="also run 1,000,000 points x 10,000 draws")
    ap.add_argument("--case", nargs=4, metavar=("POINTS", "DRAWS", "KIND", "THREADS"), help="one case")
    ap.add_argument("--central", action="store_true", help="with --case: also central weights")
    ap.add_argument("--reference", action="store_true", help="with --case: also the reference")
    ap.add_argument(
        "--backend", default="auto", choices=["auto", "numpy", "numba"], help="counting and quota kernels"
    )
    args = ap.parse_args()
    if args.case:
        n, D, kind, thr = args.case
        row = one_case(int(n), int(D), kind, int(thr), args.central, args.reference, args.backend)
        print(row, flush=True)
        return
    print(
        "| points | draws | weights | threads | riskgrade s | ns/(point*draw) "
        "| peak extra RSS MiB | reference s | ratio | load |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    cases = [
        (100_000, 1_000, "uniform", 2, False, True),
        (100_000, 4_000, "uniform", 2, False, False),
        (400_000, 1_000, "uniform", 2, False, False),
        (200_000, 2_000, "uniform", 1, False, False),
        (200_000, 2_000, "uniform", 2, False, False),
        (200_000, 2_000, "dirichlet50", 2, False, False),
        (200_000, 2_000, "uniform", 2, True, False),
    ]
    if args.full:
        cases.append((1_000_000, 10_000, "uniform", 2, False, False))
        cases.append((1_000_000, 10_000, "dirichlet50", 2, False, False))
    for n, D, kind, thr, central, with_ref in cases:  # a fresh process per case (clean peaks)
        cmd = [sys.executable, __file__, "--case", str(n), str(D), kind, str(thr)]
        cmd += ["--central"] if central else []
        cmd += ["--reference"] if with_ref else []
        cmd += ["--backend", args.backend]
        print(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
