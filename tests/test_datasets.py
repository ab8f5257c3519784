"""The synthetic inventory generator and the bundled samples."""

from __future__ import annotations

import numpy as np
import pandas as pd

import riskgrade as rg
from riskgrade.datasets import make_inventory


def test_generator_shape_and_realism():
    inv = make_inventory(5000, n_units=60, seed=3)
    assert len(inv) == 5000 and inv["risk_point_id"].is_unique
    sizes = inv.groupby("unit_id").size()
    assert len(sizes) == 60 and sizes.min() >= 5 and sizes.max() <= 500
    assert (inv["funds_handled"] == 0).mean() > 0.2  # mass at zero
    pos = inv.loc[inv["funds_handled"] > 0, "funds_handled"]
    assert pos.max() / pos.median() > 100  # heavy tail
    assert (inv["cases"] == 0).mean() > 0.8 and (inv["media_exposure"] == 0).mean() > 0.7
    assert inv[["post_weight", "discretion"]].corr().iloc[0, 1] > 0.3  # correlated factors
    assert abs(inv["true_p"].mean() - 0.03) < 1e-6
    assert 0.015 < inv["violation"].mean() < 0.045
    assert inv["unit_name"].str.contains("市").all()
    rg.validate_inventory(inv)


def test_generator_is_deterministic():
    pd.testing.assert_frame_equal(make_inventory(300, seed=5), make_inventory(300, seed=5))
    assert not make_inventory(300, seed=5).equals(make_inventory(300, seed=6))


def test_true_probability_follows_documented_model():
    inv = make_inventory(20000, seed=9)
    # higher index-like risk -> higher observed rate (the logistic model is increasing in every factor)
    q = pd.qcut(inv["true_p"], 5, labels=False)
    rates = inv.groupby(q)["violation"].mean().to_numpy()
    assert np.all(np.diff(rates) > 0)


def test_bundled_samples_validate():
    small = rg.datasets.load_sample()
    assert len(small) == 600
    rg.validate_inventory(small)
    big = rg.read_inventory("data/samples/inventory.csv")
    assert len(big) == 5000 and big["unit_id"].nunique() == 60
    rg.validate_inventory(big)
