"""Display classes: the drawn artists carry exactly the numbers of the result."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import riskgrade as rg

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from riskgrade.plotting import (  # noqa: E402
    AHPConsistencyDisplay,
    FactorHeatmapDisplay,
    LevelDistributionDisplay,
    LevelProbabilityDisplay,
    WeightsDisplay,
    cjk_font,
)


@pytest.fixture(scope="module")
def result():
    inv = rg.datasets.load_sample()
    return rg.RiskModel().fit(inv).grade(inv)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_weights_display_bars_are_the_weights(result):
    d = WeightsDisplay.from_result(result, lang="en").plot()
    widths = [b.get_width() for b in d.bars_.patches]
    np.testing.assert_allclose(widths, result.weights.to_numpy())
    pos = {t.get_text(): t.get_position()[1] for t in d.ax_.get_yticklabels()}
    assert max(pos, key=pos.get) == "post weight"  # first factor drawn at the top
    assert d.figure_ is d.ax_.figure


def test_weights_display_intervals_from_samples(result):
    rng = np.random.default_rng(0)
    w = result.weights
    samples = pd.DataFrame(rng.dirichlet(200 * w.to_numpy(), 500), columns=w.index)
    d = WeightsDisplay.from_result(result, samples=samples, lang="en")
    np.testing.assert_allclose(d.lower.to_numpy(), samples.quantile(0.05).to_numpy())
    assert (d.lower <= d.upper).all()
    d.plot()
    assert d.bars_.errorbar is not None


def test_weights_display_draws_on_a_given_axes(result):
    _fig, ax = plt.subplots()
    d = WeightsDisplay.from_result(result).plot(ax=ax)
    assert d.ax_ is ax


def test_level_distribution_shares_and_cap(result):
    d = LevelDistributionDisplay.from_result(result, lang="en").plot()
    f = result.frame
    units = sorted(f["unit_id"].astype(str).unique())
    share1 = [float((f.loc[f["unit_id"] == u, "level"] == 1).mean()) for u in units]
    np.testing.assert_allclose([b.get_width() for b in d.bars_[1].patches], share1)
    total = sum(np.array([b.get_width() for b in d.bars_[k].patches]) for k in (1, 2, 3))
    np.testing.assert_allclose(total, 1.0)
    cap_lines = [ln for ln in d.ax_.get_lines() if ln.get_linestyle() == "--"]
    assert cap_lines and cap_lines[0].get_xdata()[0] == pytest.approx(0.10)
    counts = LevelDistributionDisplay.from_result(result, lang="en").plot(normalize=False)
    assert sum(b.get_width() for k in (1, 2, 3) for b in counts.bars_[k].patches) == len(f)


def test_factor_heatmap_is_the_unit_mean_of_factor_scores(result):
    d = FactorHeatmapDisplay.from_result(result, lang="en").plot()
    f = result.frame
    expected = f.groupby("unit_id")["factor_funds_handled"].mean()
    got = d.matrix["funds_handled"]
    np.testing.assert_allclose(got.to_numpy(), expected.sort_index().to_numpy())
    assert d.im_.get_array().shape == (f["unit_id"].nunique(), len(result.weights))


def test_level_probability_display_orders_least_certain_first(result):
    f = result.frame.copy()
    rng = np.random.default_rng(1)
    P = rng.dirichlet([1, 1, 1], len(f))
    f["p_level_1"], f["p_level_2"], f["p_level_3"] = P.T
    d = LevelProbabilityDisplay.from_result(f, top=12, lang="en").plot()
    p_as = P[np.arange(len(f)), f["level"].to_numpy() - 1]
    expected = f["risk_point_id"].to_numpy()[np.argsort(p_as, kind="stable")[:12]]
    assert list(d.probabilities.index) == list(expected)
    tops = sum(np.array([b.get_width() for b in d.bars_[k].patches]) for k in (1, 2, 3))
    np.testing.assert_allclose(tops, 1.0)


def test_ahp_consistency_display_flags_cr_above_threshold():
    class R:
        def __init__(self, cr):
            self.cr = cr

    d = AHPConsistencyDisplay.from_ahp({"expert A": R(0.04), "expert B": R(0.16)}, lang="en").plot()
    assert d.acceptable.tolist() == [True, False]
    assert [b.get_height() for b in d.bars_.patches] == [0.04, 0.16]
    assert d.bars_.patches[1].get_facecolor() != d.bars_.patches[0].get_facecolor()


def test_chinese_labels_draw_without_missing_glyphs(result):
    if cjk_font() is None:
        pytest.skip("no CJK font installed (fonts-noto-cjk); Chinese labels would draw as boxes")
    d = WeightsDisplay.from_result(result, lang="zh").plot()
    assert any(t.get_text() == "岗位权重" for t in d.ax_.get_yticklabels())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would be a UserWarning
        d.figure_.canvas.draw()


def test_reliability_display_is_reexported_when_calibration_plots_exist():
    import riskgrade.plotting as p
    import riskgrade.plotting.calibration as pc

    assert p.ReliabilityDisplay is pc.ReliabilityDisplay
    with pytest.raises(AttributeError):
        _ = p.NoSuchDisplay
