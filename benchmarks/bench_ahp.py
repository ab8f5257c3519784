"""AHP speed: one 7 x 7 matrix per call (riskgrade vs pymcdm vs AHPy) and the batched form.

Usage: ``.venv/bin/python benchmarks/bench_ahp.py [--k 100000] [--calls 3000]``

Per-call timings are the best of 5 repeats of ``calls`` calls on Saaty's (2008) drinks
matrix; every tool computes the weights and the consistency ratio. pymcdm and AHPy are
optional (skipped when not installed). The batch timing is the best of 3 runs of
``ahp_batch`` on k random reciprocal 7 x 7 matrices from Saaty's scale (seed 0), next to
``numpy.linalg.eig`` on the same stack as a reference. Random matrices from the scale are the
worst case for the batched power iteration (|lambda_2 / lambda_1| around 0.6); perturbations
of one expert matrix, the Monte Carlo use, converge in fewer steps.
"""

from __future__ import annotations

import argparse
import itertools
import time
import warnings

import numpy as np

from riskgrade.weighting import ahp, ahp_batch

DRINKS = np.array(
    [
        [1, 9, 5, 2, 1, 1, 1 / 2],
        [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
        [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
        [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
        [1, 9, 4, 2, 1, 2, 1 / 2],
        [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
        [2, 9, 9, 3, 2, 3, 1],
    ]
)
LABELS = ["coffee", "wine", "tea", "beer", "soda", "milk", "water"]


def per_call(fn, calls: int, repeats: int = 5) -> float:
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t) / calls)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=100_000)
    ap.add_argument("--calls", type=int, default=3000)
    args = ap.parse_args()

    rows: list[tuple[str, float, str]] = []

    def rg_numbers():
        r = ahp(DRINKS)
        return r.w, r.cr

    def rg_series():
        r = ahp(DRINKS, criteria=LABELS)
        return r.weights, r.cr

    rows.append(("riskgrade ahp(array): weights + CR", per_call(rg_numbers, args.calls), ""))
    rows.append(("riskgrade ahp(array, criteria).weights (Series) + CR", per_call(rg_series, args.calls), ""))

    try:
        from pymcdm.weights.subjective import AHP

        def pm():
            m = AHP(matrix=DRINKS)
            return m(), m.get_cr()

        _, cr_pm = pm()
        rows.append(("pymcdm AHP(matrix)() + get_cr()", per_call(pm, args.calls), f"CR {cr_pm:.4f}"))
    except ImportError:
        rows.append(("pymcdm (not installed)", np.nan, ""))

    try:
        import ahpy

        comps = {(LABELS[i], LABELS[j]): float(DRINKS[i, j]) for i, j in itertools.combinations(range(7), 2)}

        def ah():
            c = ahpy.Compare("d", comps, precision=4, random_index="saaty")
            return c.local_weights, c.consistency_ratio

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, cr_ah = ah()
            rows.append(("AHPy Compare(dict)", per_call(ah, max(args.calls // 3, 100)), f"CR {cr_ah:.4f}"))
    except ImportError:
        rows.append(("AHPy (not installed)", np.nan, ""))

    base = rows[0][1]
    print(f"{'7 x 7 matrix, per call':58s} {'µs':>9s} {'x riskgrade':>12s}")
    for name, t, note in rows:
        print(f"{name:58s} {t * 1e6:9.1f} {t / base:12.2f}  {note}")

    rng = np.random.default_rng(0)
    k, n = args.k, 7
    scale = np.array([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])
    upper = rng.choice(scale, size=(k, n * (n - 1) // 2))
    stack = np.ones((k, n, n))
    iu = np.triu_indices(n, 1)
    stack[:, iu[0], iu[1]] = upper
    stack[:, iu[1], iu[0]] = 1 / upper
    best = np.inf
    for _ in range(3):
        t = time.perf_counter()
        np.linalg.eig(stack)
        best = min(best, time.perf_counter() - t)
    print(
        f"reference numpy.linalg.eig on the stack (LAPACK, no CR): {best:.3f} s = "
        f"{k / best:,.0f} matrices/s ({best / k * 1e6:.2f} µs each)"
    )
    # Monte Carlo use: the drinks matrix with log-normal noise (sigma 0.2) on each judgement
    noise = np.exp(rng.normal(0.0, 0.2, size=(k, n * (n - 1) // 2)))
    mc = np.ones((k, n, n))
    mc[:, iu[0], iu[1]] = DRINKS[iu] * noise
    mc[:, iu[1], iu[0]] = 1 / mc[:, iu[0], iu[1]]
    best = np.inf
    for _ in range(3):
        t = time.perf_counter()
        ahp_batch(mc)
        best = min(best, time.perf_counter() - t)
    print(
        f"ahp_batch {k:,} perturbed drinks matrices (Monte Carlo), eigenvector, validate=True: "
        f"{best:.3f} s = {k / best:,.0f} matrices/s ({best / k * 1e6:.2f} µs each)"
    )
    for method in ("eigenvector", "geometric_mean"):
        for validate in (True, False):
            best = np.inf
            for _ in range(3):
                t = time.perf_counter()
                ahp_batch(stack, method=method, validate=validate)
                best = min(best, time.perf_counter() - t)
            print(
                f"ahp_batch {k:,} x 7x7, {method}, validate={validate}: {best:.3f} s = "
                f"{k / best:,.0f} matrices/s ({best / k * 1e6:.2f} µs each)"
            )


if __name__ == "__main__":
    main()
