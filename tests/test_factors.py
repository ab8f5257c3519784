"""Known-answer tests of the factor transforms and the default catalog."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from riskgrade.catalogs import CORE_FACTORS, sichuan_2012
from riskgrade.factors import (
    BandTransform,
    Factor,
    FactorCatalog,
    LinearTransform,
    LogTransform,
    RateTransform,
)


def test_linear_transform_hand_computed():
    t = LinearTransform(low=1, high=5)
    # (x - 1) / 4, clipped
    assert t.apply(np.array([1.0, 2.0, 3.0, 5.0, 7.0, -1.0])).tolist() == [0, 0.25, 0.5, 1, 1, 0]


def test_log_transform_quarter_per_decade():
    t = LogTransform(floor=1e4, cap=1e8)
    got = t.apply(np.array([0.0, 5e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]))
    np.testing.assert_allclose(got, [0, 0, 0, 0.25, 0.5, 0.75, 1, 1], atol=1e-15)
    # log10(3.16227766e5 / 1e4) / 4 = 1.5 / 4
    np.testing.assert_allclose(t.apply(np.array([10**5.5])), [0.375])


def test_rate_transform_shrinks_small_denominators():
    t = RateTransform(per="headcount", cap=1.0, prior_rate=0.1, prior_strength=2)
    # (x + 2 * 0.1) / (d + 2) / 1.0
    got = t.apply(np.array([0.0, 1.0, 10.0, 3.0]), np.array([1.0, 1.0, 100.0, 1.0]))
    np.testing.assert_allclose(got, [0.2 / 3, 1.2 / 3, 10.2 / 102, 1.0])


def test_rate_without_prior_is_plain_rate():
    t = RateTransform(per="headcount", cap=0.5)
    np.testing.assert_allclose(t.apply(np.array([1.0, 1.0]), np.array([4.0, 1.0])), [0.5, 1.0])


def test_two_sided_bands():
    """Two-sided window as in Fazekas, Tóth & King (2016): submission periods from 41 to 253 days
    are unflagged, shorter or longer ones flagged."""
    t = BandTransform(edges=(41, 254), scores=(1, 0, 1))
    got = t.apply(np.array([10.0, 40.0, 41.0, 100.0, 253.0, 254.0, 400.0, np.nan]))
    assert got[:7].tolist() == [1, 1, 0, 0, 0, 1, 1]
    assert np.isnan(got[7])


def test_bands_reject_bad_tables():
    with pytest.raises(ValidationError, match="len\\(scores\\) == len\\(edges\\) \\+ 1"):
        BandTransform(edges=(1, 2), scores=(0, 1))
    with pytest.raises(ValidationError, match="increase strictly"):
        BandTransform(edges=(2, 1), scores=(0, 0.5, 1))
    with pytest.raises(ValidationError, match="\\[0, 1\\]"):
        BandTransform(edges=(1,), scores=(0, 2))


def test_direction_lower_flips_score():
    f = Factor(
        name="sat", label_en="s", label_zh="s", kind="share", direction="lower",
        transform=LinearTransform(low=0.6, high=0.95),
    )
    np.testing.assert_allclose(f.score(np.array([0.6, 0.775, 0.95, 1.0])), [1, 0.5, 0, 0])


def test_missing_policies():
    base = {"label_en": "x", "label_zh": "x", "kind": "ordinal",
            "transform": LinearTransform(low=1, high=5)}
    cat = FactorCatalog(factors=(
        Factor(name="a", missing="riskiest", **base),
        Factor(name="b", missing="exclude", **base),
    ))
    F = cat.transform(pd.DataFrame({"a": [np.nan, 3], "b": [np.nan, 5]}))
    assert F["a"].tolist() == [1.0, 0.5]
    assert np.isnan(F["b"][0]) and F["b"][1] == 1.0


def test_sichuan_2012_catalog():
    cat = sichuan_2012()
    assert cat.names == [
        "post_weight", "funds_handled", "discretion", "service_relevance", "public_satisfaction",
        "complaints", "cases", "media_exposure", "consequence",
    ]
    assert set(CORE_FACTORS) <= set(cat.names)
    for f in cat.factors:
        assert f.label_zh and f.label_en
        assert f.anchors, f.name
        assert all(a.zh and a.en for a in f.anchors)
    assert cat["public_satisfaction"].direction == "lower"
    assert cat.columns[-1] == "headcount"


def test_catalog_scores_hand_computed(small_inventory):
    F = sichuan_2012().transform(small_inventory)
    row = F.iloc[0]
    assert row["post_weight"] == 1.0 and row["funds_handled"] == 1.0
    assert row["public_satisfaction"] == pytest.approx(1.0)
    # complaints: (10 + 0.2) / (2 + 2) = 2.55 per head -> capped at 1
    assert row["complaints"] == 1.0
    r1 = F.iloc[1]
    assert r1["post_weight"] == 0.5 and r1["funds_handled"] == pytest.approx(0.5)
    assert r1["public_satisfaction"] == pytest.approx(0.5)
    # cases: (0 + 2 * 0.01) / (4 + 2) / 0.2
    assert r1["cases"] == pytest.approx(0.02 / 6 / 0.2)
    assert r1["media_exposure"] == pytest.approx(0.2)
    assert r1["consequence"] == 0.5
    assert np.isnan(F.iloc[3]["service_relevance"])


def test_catalog_rejects_duplicates_and_unknown_select():
    f = sichuan_2012().factors[0]
    with pytest.raises(ValidationError, match="duplicate factor names"):
        FactorCatalog(factors=(f, f))
    with pytest.raises(KeyError, match="unknown factor"):
        sichuan_2012().select(["nope"])


@given(st.lists(st.floats(-1e12, 1e12), min_size=1, max_size=50))
def test_every_default_transform_lands_in_unit_interval(values):
    x = np.asarray(values)
    for f in sichuan_2012().factors:
        s = f.score(x, np.full(len(x), 3.0))
        assert np.all((s >= 0) & (s <= 1))


@given(st.lists(st.floats(0, 1e10), min_size=2, max_size=30))
def test_transforms_monotone_in_raw_value(values):
    x = np.sort(np.asarray(values))
    for f in sichuan_2012().factors:
        s = f.score(x, np.full(len(x), 5.0))
        d = np.diff(s)
        if f.direction == "higher":
            assert np.all(d >= -1e-15)
        else:
            assert np.all(d <= 1e-15)
