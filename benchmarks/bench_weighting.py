"""Entropy and CRITIC weights on a large decision matrix, riskgrade vs pymcdm, in one run.

Usage::

    .venv/bin/python benchmarks/bench_weighting.py [--rows 10000000] [--cols 7] [--repeat 3]

Two matrices are generated (seeded): strictly positive values (gamma) and the same with
30 % exact zeros (count-like columns). For each, the time (best of ``--repeat``) and the
extra peak memory (tracemalloc, which sees numpy's allocations, measured in a separate call)
of riskgrade's and pymcdm's functions are reported with their ratios, and the weights are
compared. pymcdm (optional) is imported only here.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from riskgrade.weighting.critic import critic_weights
from riskgrade.weighting.entropy import entropy_weights


def _measure(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    best = np.inf
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return best, peak, out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--cols", type=int, default=7)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=2, help="also time entropy_weights(n_jobs=THREADS)")
    args = p.parse_args(argv)
    try:
        from pymcdm import weights as pw
    except ImportError:  # pragma: no cover
        pw = None
        print("pymcdm not installed: riskgrade figures only")
    rng = np.random.default_rng(20240601)
    X = rng.gamma(2.0, 3.0, size=(args.rows, args.cols)) + 0.01
    mb = X.nbytes / 2**20
    print(f"matrix {args.rows:,} x {args.cols} float64 = {mb:.0f} MiB; best of {args.repeat}")
    print(f"{'case':<34}{'time s':>9}{'extra MiB':>11}{'x input':>9}{'vs pymcdm':>11}")
    warnings.simplefilter("ignore")

    def row(name: str, t: float, mem: float, ref: float | None) -> None:
        ratio = f"{ref / t:.1f}x" if ref else ""
        print(f"{name:<34}{t:>9.3f}{mem / 2**20:>11.1f}{mem / X.nbytes:>9.3f}{ratio:>11}")

    for label in ("no zeros", "30% zeros"):
        if label == "30% zeros":
            X[rng.random(X.shape) < 0.3] = 0.0
        ref_t = ref_w = None
        if pw is not None:
            try:
                ref_t, ref_m, ref_w = _measure(lambda: pw.entropy_weights(X), args.repeat)
                row(f"pymcdm entropy ({label})", ref_t, ref_m, None)
            except ValueError as err:
                print(f"{'pymcdm entropy (' + label + ')':<34}rejects the input: {err}")
        t, mem, w = _measure(lambda: entropy_weights(X, rarity_check=None), args.repeat)
        row(f"riskgrade entropy ({label})", t, mem, ref_t)
        if args.threads > 1:
            tt, mm, _ = _measure(
                lambda: entropy_weights(X, rarity_check=None, n_jobs=args.threads), args.repeat
            )
            row(f"riskgrade entropy, {args.threads} threads", tt, mm, ref_t)
        if ref_w is not None:
            diff = float(np.abs(w.to_numpy() - ref_w).max())
            print(f"  max |w_riskgrade - w_pymcdm| = {diff:.2e}")
    ref_t = None
    if pw is not None:
        ref_t, ref_m, ref_w = _measure(lambda: pw.critic_weights(X), 1)
        row("pymcdm CRITIC (30% zeros)", ref_t, ref_m, None)
    t, mem, w = _measure(lambda: critic_weights(X), args.repeat)
    row("riskgrade CRITIC (30% zeros)", t, mem, ref_t)
    if pw is not None:
        print(f"  max |w_riskgrade - w_pymcdm| = {float(np.abs(w.to_numpy() - ref_w).max()):.2e}")


if __name__ == "__main__":
    main()
