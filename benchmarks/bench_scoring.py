"""Supervised scoring against the truth: riskgrade's MLScorer vs calibrated peers.

Train on ``make_inventory(rows, seed=0)``, evaluate on an independent
``make_inventory(rows, seed=1)`` whose ``true_p`` is known. For every method: RMSE of the
predicted against the true probability, log loss, AUC, ECE (15 equal-mass bins) with the
95 % noise floor of the same predictions, and fit time.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/bench_scoring.py [--rows 200000] [--skip-slow]

Peers (optional ones are skipped when not installed): scikit-learn
``CalibratedClassifierCV`` (isotonic and sigmoid, 5 folds) on the same base models,
uncalibrated monotone boosting, an optbinning scorecard (monotone binning + logistic
regression) and the venn-abers package (inductive Venn-Abers on boosting).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import riskgrade as rg
from riskgrade.calibration import auc, ece, ece_noise_floor, log_loss
from riskgrade.ml import MLScorer, MonotoneLogisticRegression

CAT = rg.catalogs.sichuan_2012()
COLS = CAT.columns


def factor_scores(frame: pd.DataFrame) -> np.ndarray:
    return CAT.transform(frame).to_numpy(float)


HGB_ITER = 100


def hgb(**kw):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        monotonic_cst=[1] * 9, max_iter=HGB_ITER, learning_rate=0.1, early_stopping=False,
        l2_regularization=1.0, min_samples_leaf=50, random_state=0, **kw,
    )


def methods(skip_slow: bool):
    from sklearn.calibration import CalibratedClassifierCV

    out = {
        "riskgrade MLScorer() [logistic, auto]": ("raw", MLScorer),
        "riskgrade MLScorer(calibration=None)": ("raw", lambda: MLScorer(calibration=None)),
        "sklearn CalibratedClassifierCV(monotone logistic, isotonic)": (
            "scores", lambda: CalibratedClassifierCV(MonotoneLogisticRegression(monotonic_cst=[1] * 9),
                                                     method="isotonic", cv=5)),
        "sklearn CalibratedClassifierCV(monotone logistic, sigmoid)": (
            "scores", lambda: CalibratedClassifierCV(MonotoneLogisticRegression(monotonic_cst=[1] * 9),
                                                     method="sigmoid", cv=5)),
        "uncalibrated monotone HGB": ("scores", hgb),
    }
    try:
        from optbinning import BinningProcess, Scorecard
        from sklearn.linear_model import LogisticRegression

        def scorecard():
            bp = BinningProcess(
                variable_names=list(CAT.names),
                binning_fit_params={n: {"monotonic_trend": "ascending"} for n in CAT.names},
            )
            return Scorecard(binning_process=bp, estimator=LogisticRegression(max_iter=1000))

        out["optbinning Scorecard (monotone bins + logistic)"] = ("frame_scores", scorecard)
    except ImportError:
        print("optbinning not installed: skipped")
    if not skip_slow:
        out["riskgrade MLScorer('hgb') [auto]"] = ("raw", lambda: MLScorer("hgb", max_iter=HGB_ITER))
        out["sklearn CalibratedClassifierCV(monotone HGB, isotonic)"] = (
            "scores", lambda: CalibratedClassifierCV(hgb(), method="isotonic", cv=5))
    if not skip_slow:
        try:
            from venn_abers import VennAbersCalibrator

            out["venn-abers VennAbersCalibrator(HGB, inductive)"] = (
                "scores", lambda: VennAbersCalibrator(estimator=hgb(), inductive=True, cal_size=0.2,
                                                      random_state=0))
        except ImportError:
            print("venn-abers not installed: skipped")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--skip-slow", action="store_true",
                    help="leave out the cross-fitted boosting runs and the venn-abers package")
    ap.add_argument("--resamples", type=int, default=200)
    args = ap.parse_args()
    train = rg.datasets.make_inventory(args.rows, seed=0)
    test = rg.datasets.make_inventory(args.rows, seed=1)
    y, yt, truth = train["violation"].to_numpy(), test["violation"].to_numpy(), test["true_p"].to_numpy()
    print(f"rows {args.rows:,} per set; events train {y.sum():,} ({y.mean():.2%}), test {yt.sum():,}")
    floor = ece_noise_floor(truth, n_bins=15, n_resamples=args.resamples, seed=0)
    rows = [{
        "method": "true probabilities (reference)", "rmse_true_p": 0.0, "log_loss": log_loss(yt, truth),
        "auc": auc(yt, truth), "ece": ece(yt, truth).value, "ece_floor_q95": floor.q95, "fit_s": np.nan,
    }]
    for name, (kind, make) in methods(args.skip_slow).items():
        est = make()
        if kind == "raw":
            Xtr, Xte = train[COLS], test[COLS]
        elif kind == "scores":
            Xtr = np.nan_to_num(factor_scores(train), nan=0.5)
            Xte = np.nan_to_num(factor_scores(test), nan=0.5)
        else:
            Xtr = pd.DataFrame(factor_scores(train), columns=CAT.names)
            Xte = pd.DataFrame(factor_scores(test), columns=CAT.names)
        t0 = time.perf_counter()
        est.fit(Xtr, y)
        fit_s = time.perf_counter() - t0
        p = np.clip(est.predict_proba(Xte)[:, 1], 0, 1)
        nf = ece_noise_floor(p, n_bins=15, n_resamples=args.resamples, seed=0)
        rows.append({
            "method": name, "rmse_true_p": float(np.sqrt(np.mean((p - truth) ** 2))),
            "log_loss": log_loss(yt, p), "auc": auc(yt, p), "ece": ece(yt, p).value,
            "ece_floor_q95": nf.q95, "fit_s": fit_s,
        })
        print(pd.DataFrame(rows[-1:]).to_string(index=False, header=False), flush=True)
    df = pd.DataFrame(rows)
    print()
    print(df.to_markdown(index=False, floatfmt=".5f") if hasattr(df, "to_markdown") else df.to_string())


if __name__ == "__main__":
    main()
