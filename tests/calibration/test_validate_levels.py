"""Levels against outcomes: Wilson intervals, Cochran–Armitage trend, monotonicity."""

from __future__ import annotations

import numpy as np
import pytest

from riskgrade.calibration import cochran_armitage, validate_levels, wilson_interval


@pytest.mark.parametrize(
    ("r", "n", "lo", "hi"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
     (29, 29, 0.8830, 1.0)],
)
def test_wilson_newcombe_1998(r, n, lo, hi):
    """Newcombe (1998), Stat. Med. 17:857, Table II, method 3 (Wilson score, no continuity
    correction), 95 % limits printed to 4 decimals."""
    a, b = wilson_interval(r, n)
    assert float(a) == pytest.approx(lo, abs=5e-5)
    assert float(b) == pytest.approx(hi, abs=5e-5)


ALCOHOL_EVENTS = [48, 38, 5, 1, 1]
ALCOHOL_TOTALS = [17114, 14502, 793, 127, 38]


def test_cochran_armitage_agresti_alcohol():
    """Agresti (2002), Categorical Data Analysis 2nd ed., sec. 3.4 (Table 3.7, Graubard & Korn
    1987): infant malformation by maternal alcohol consumption; with scores (0, 0.5, 1.5, 4, 7)
    the trend statistic is 6.57 (P = 0.01); with scores (1, 2, 3, 4, 5) it is 1.83 (P = 0.18)."""
    r = cochran_armitage(ALCOHOL_EVENTS, ALCOHOL_TOTALS, [0, 0.5, 1.5, 4, 7])
    assert r["chi2"] == pytest.approx(6.57, abs=0.005)
    assert r["p_value"] == pytest.approx(0.0104, abs=0.0005)
    r = cochran_armitage(ALCOHOL_EVENTS, ALCOHOL_TOTALS, [1, 2, 3, 4, 5])
    assert r["chi2"] == pytest.approx(1.83, abs=0.005)
    assert r["p_value"] == pytest.approx(0.18, abs=0.005)


def test_cochran_armitage_statxact_example():
    """Cytel StatXact example 6 (same data, scores 0, 0.5, 1.5, 4, 8): asymptotic two-sided
    p = .0078."""
    r = cochran_armitage(ALCOHOL_EVENTS, ALCOHOL_TOTALS, [0, 0.5, 1.5, 4, 8])
    assert r["p_value"] == pytest.approx(0.0078, abs=5e-5)


def test_validate_levels_table_and_flags():
    rng = np.random.default_rng(0)
    lev = np.repeat([1, 2, 3], [200, 800, 3000])
    rate = np.select([lev == 1, lev == 2], [0.10, 0.04], 0.01)
    y = (rng.random(lev.size) < rate).astype(int)
    v = validate_levels(lev, y)
    assert v.table.loc[1, "n"] == 200 and v.monotonic and v.trend_z > 3 and v.trend_p_value < 1e-3
    t = v.table
    assert ((t["ci_low"] <= t["event_rate"]) & (t["event_rate"] <= t["ci_high"])).all()
    assert "<table" in v._repr_html_()
    flipped = validate_levels(4 - lev, y)
    assert not flipped.monotonic and flipped.trend_z < 0


def test_validate_levels_bad_input():
    with pytest.raises(ValueError, match="0/1"):
        validate_levels([1, 2], [0, 3])
    with pytest.raises(ValueError, match="levels has 2 values"):
        validate_levels([1, 2], [0, 1, 1])
