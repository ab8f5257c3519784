"""Calibration metrics: published values, identities and null behaviour."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskgrade.calibration import (
    auc,
    brier_decomposition,
    brier_score,
    calibration_intercept_slope,
    calibration_report,
    corp_decomposition,
    ece,
    ece_noise_floor,
    hosmer_lemeshow,
    log_loss,
    precision_lift_at,
    spiegelhalter_z,
)


def test_auc_hanley_mcneil_1982():
    """Hanley & McNeil (1982), Radiology 143, Table I: CT ratings of 109 patients.

    Ratings 1..5 (definitely normal .. definitely abnormal): 33, 6, 6, 11, 2 of 58
    normal and 3, 2, 2, 11, 33 of 51 abnormal patients; the area is 0.893.
    """
    normal = np.repeat([1, 2, 3, 4, 5], [33, 6, 6, 11, 2])
    abnormal = np.repeat([1, 2, 3, 4, 5], [3, 2, 2, 11, 33])
    y = np.r_[np.zeros(58), np.ones(51)]
    assert auc(y, np.r_[normal, abnormal]) == pytest.approx(0.893, abs=5e-4)


def test_brier_textbook_value():
    """Brier (1950): BS = mean (p - y)^2; two forecasts 0.1 (no event), 0.7 (event) give 0.05."""
    assert brier_score([0, 1], [0.1, 0.7]) == pytest.approx(0.05)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(20, 400), st.integers(1, 20))
def test_murphy_and_corp_identities(seed, n, bins):
    rng = np.random.default_rng(seed)
    p = rng.beta(0.5, 5, n)
    y = (rng.random(n) < np.clip(p * 1.3, 0, 1)).astype(float)
    d = brier_decomposition(y, p, n_bins=bins)
    assert abs(d["residual"]) < 1e-12
    assert d["uncertainty"] == pytest.approx(y.mean() * (1 - y.mean()))
    for score in ("brier", "log"):
        c = corp_decomposition(y, p, score=score)
        assert c["score"] == pytest.approx(c["mcb"] - c["dsc"] + c["unc"], abs=1e-12)
        assert c["mcb"] >= -1e-12 and c["dsc"] >= -1e-12


def test_murphy_exact_when_forecasts_constant_in_bins():
    """With forecasts constant within bins, BS = REL - RES + UNC exactly (Murphy 1973)."""
    rng = np.random.default_rng(0)
    p = np.repeat([0.01, 0.05, 0.2, 0.5], 250)
    y = (rng.random(p.size) < p).astype(float)
    d = brier_decomposition(y, p, n_bins=4)
    assert abs(d["within_bin_variance"]) < 1e-15 and abs(d["within_bin_covariance"]) < 1e-15
    assert d["brier"] == pytest.approx(d["reliability"] - d["resolution"] + d["uncertainty"], abs=1e-15)


def test_log_loss_and_ece_basics():
    assert log_loss([1, 0], [0.5, 0.5]) == pytest.approx(np.log(2))
    e = ece([0, 0, 1, 1], [0.2, 0.2, 0.8, 0.8], n_bins=2)
    assert e.value == pytest.approx(0.2) and e.n_bins == 2 and "2 equal-mass bins" in str(e)


def test_ece_noise_floor_matches_field_figures():
    """ECE of the true probabilities is noise; its 95% point shrinks like 1/sqrt(n)."""
    rng = np.random.default_rng(5)
    p = rng.beta(1, 30, 5000)
    nf = ece_noise_floor(p, n_bins=15, n_resamples=300, seed=1)
    assert 0.003 < nf.mean < nf.q95 < 0.015
    nf4 = ece_noise_floor(np.tile(p, 4), n_bins=15, n_resamples=100, seed=1)
    assert nf4.q95 == pytest.approx(nf.q95 / 2, rel=0.3)
    # a perfectly calibrated forecaster's own ECE lies under the floor's 95% point ~95% of the time
    below = np.mean(
        [ece((rng.random(p.size) < p).astype(int), p).value <= nf.q95 for _ in range(100)]
    )
    assert below >= 0.88


def test_calibration_intercept_slope_recovers_distortion():
    rng = np.random.default_rng(2)
    lp = rng.normal(-3, 1, 40_000)
    y = (rng.random(lp.size) < 1 / (1 + np.exp(-lp))).astype(float)
    perfect = calibration_intercept_slope(y, 1 / (1 + np.exp(-lp)))
    assert perfect["slope"] == pytest.approx(1, abs=0.05)
    assert perfect["intercept"] == pytest.approx(0, abs=0.05)
    over = calibration_intercept_slope(y, 1 / (1 + np.exp(-(2 * lp + 3))))  # too extreme
    assert over["slope"] == pytest.approx(0.5, abs=0.03)


def test_spiegelhalter_two_sided():
    """A forecast twice too high must be rejected (a one-sided test gives p = 1)."""
    rng = np.random.default_rng(3)
    p = rng.uniform(0.01, 0.1, 20_000)
    y = (rng.random(p.size) < p).astype(float)
    assert spiegelhalter_z(y, np.minimum(2 * p, 1))["p_value"] < 1e-6
    assert spiegelhalter_z(y, p / 2)["p_value"] < 1e-6
    assert spiegelhalter_z(y, p)["p_value"] > 0.001


def test_null_rejection_rates_hl_and_spiegelhalter():
    """Under a perfectly calibrated forecaster, HL (external, df = g) and Spiegelhalter's z
    reject at about 5 %; HL with df = g - 2 over-rejects for fixed (external) predictions."""
    rng = np.random.default_rng(11)
    n, reps = 2000, 400
    rej_hl = rej_hl_dev = rej_sz = 0
    for _ in range(reps):
        p = rng.beta(2, 20, n)
        y = (rng.random(n) < p).astype(float)
        rej_hl += hosmer_lemeshow(y, p, development=False).p_value < 0.05
        rej_hl_dev += hosmer_lemeshow(y, p, development=True).p_value < 0.05
        rej_sz += spiegelhalter_z(y, p)["p_value"] < 0.05
    # binomial s.e. at 5 % with 400 reps is 1.1 %
    assert 0.02 <= rej_hl / reps <= 0.085
    assert 0.02 <= rej_sz / reps <= 0.085
    assert rej_hl_dev > rej_hl


def test_hosmer_lemeshow_df_and_groups():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.01, 0.3, 1000)
    y = (rng.random(1000) < p).astype(float)
    dev = hosmer_lemeshow(y, p, 10, development=True)
    ext = hosmer_lemeshow(y, p, 10, development=False)
    assert (dev.df, ext.df) == (8, 10) and dev.statistic == ext.statistic
    assert dev.table["n"].sum() == 1000 and len(dev.table) == 10
    q = hosmer_lemeshow(y, p, 10, grouping="quantile_cut")
    assert q.table["n"].sum() == 1000


def test_precision_lift_ties_do_not_depend_on_order():
    y = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1])
    r = precision_lift_at(y, p, top=0.2)  # k = 2: the 0.9 point and 1/4 of the tied block
    assert r["k"] == 2 and r["precision"] == pytest.approx((1 + 0.25) / 2)
    perm = np.random.default_rng(0).permutation(10)
    assert precision_lift_at(y[perm], p[perm], top=0.2)["precision"] == r["precision"]
    assert r["lift"] == pytest.approx(r["precision"] / 0.2)


def test_calibration_report_frame_and_html():
    rng = np.random.default_rng(4)
    p = rng.beta(1, 30, 3000)
    y = (rng.random(3000) < p).astype(int)
    rep = calibration_report(y, p, n_resamples=50)
    assert {"ece", "hosmer_lemeshow", "spiegelhalter_p", "auc", "lift_top_0.1"} <= set(rep.frame["metric"])
    assert rep["auc"] > 0.5
    assert "<table" in rep._repr_html_() and "15 equal-mass bins" in str(rep)


def test_metrics_reject_bad_input():
    with pytest.raises(ValueError, match="0/1"):
        brier_score([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        log_loss([0, 1], [0.1, 1.2])
    with pytest.raises(ValueError, match="y has 2 values, p has 3"):
        auc([0, 1], [0.1, 0.2, 0.3])


class _RMersenneTwister:
    """R's default generator, enough of it to replay ``set.seed(s); rnorm(n); rbinom(n, 1, p)``.

    Documented in R's ``?RNG``: ``set.seed`` scrambles the seed by 50 steps of the
    linear congruential generator ``s <- 69069 s + 1 (mod 2^32)`` and fills the 624
    words of the Mersenne-Twister state (Matsumoto & Nishimura 1998) with the next
    values, starting a fresh block; a uniform is the 32-bit output times ``2^-32``.
    ``rnorm`` uses inversion of two uniforms ``(floor(2^27 u1) + u2) / 2^27``;
    ``rbinom(1, 1, p)`` inverts the binomial distribution function with one uniform
    (Kachitvichyanukul & Schmeiser 1988, for mean below 30), on ``min(p, 1 - p)``.
    """

    def __init__(self, seed: int) -> None:
        s = seed & 0xFFFFFFFF
        for _ in range(50):
            s = (69069 * s + 1) & 0xFFFFFFFF
        words = []
        for _ in range(625):
            s = (69069 * s + 1) & 0xFFFFFFFF
            words.append(s)
        self.bits = np.random.MT19937()
        key = np.array(words[1:], dtype=np.uint32)  # the first word holds R's position counter
        self.bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": 624}}

    def unif(self) -> float:
        u = float(self.bits.random_raw()) * 2.3283064365386963e-10
        half = 0.5 * 2.328306437080797e-10  # R keeps uniforms off 0 and 1 by half of 1/(2^32 - 1)
        return half if u <= 0 else 1 - half if u >= 1 else u

    def rnorm(self, n: int) -> np.ndarray:
        from scipy.special import ndtri

        big = 134217728
        out = []
        for _ in range(n):
            u = int(big * self.unif()) + self.unif()
            out.append(ndtri(u / big))
        return np.array(out)

    def rbinom1(self, prob: np.ndarray) -> np.ndarray:
        out = []
        for pp in prob:
            p = min(pp, 1 - pp)
            q = 1 - p
            r = p / q
            g = 2 * r
            while True:
                ix, f, u = 0, q, self.unif()
                while u >= f and ix <= 110:
                    u -= f
                    ix += 1
                    f *= g / ix - r
                if u < f:
                    break
            out.append(1 - ix if pp > 0.5 else ix)
        return np.array(out, dtype=float)


def test_hosmer_lemeshow_resourceselection_published_example():
    """The example of R's ``ResourceSelection::hoslem.test`` (package manual, Lele, Keim &
    Solymos): ``set.seed(123); x <- rnorm(500); y <- rbinom(500, 1, plogis(0.1 + 0.5 x));
    m <- glm(y ~ x, family = binomial); hoslem.test(m$y, fitted(m))`` prints
    ``X-squared = 4.5227, df = 8, p-value = 0.8072``. The data are replayed with R's generator;
    ``rnorm(5)`` after ``set.seed(123)`` is the widely printed -0.56047565 -0.23017749
    1.55870831 0.07050839 0.12928774. The fitted values have no ties, so the deciles of risk and
    R's quantile cut make the same ten groups of 50."""
    from scipy.special import expit

    rng = _RMersenneTwister(123)
    x = rng.rnorm(500)
    r_rnorm5 = [-0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774]
    np.testing.assert_allclose(x[:5], r_rnorm5, atol=5e-9)
    y = rng.rbinom1(expit(0.1 + 0.5 * x))
    X = np.column_stack([np.ones_like(x), x])
    b = np.zeros(2)
    for _ in range(25):  # Newton's method for the logistic maximum likelihood (glm's IRLS)
        q = expit(X @ b)
        b = b + np.linalg.solve((X * (q * (1 - q))[:, None]).T @ X, X.T @ (y - q))
    fitted = expit(X @ b)
    for grouping in ("deciles", "quantile_cut"):
        hl = hosmer_lemeshow(y, fitted, 10, development=True, grouping=grouping)
        assert round(hl.statistic, 4) == 4.5227 and hl.df == 8 and round(hl.p_value, 4) == 0.8072
        assert hl.table["n"].tolist() == [50] * 10


@pytest.mark.parametrize("grouping", ["deciles", "quantile_cut"])
def test_hosmer_lemeshow_event_where_none_expected_is_no_fit(grouping):
    """Hosmer & Lemeshow (2013, ch. 5): C is Pearson's chi-square of the 2 x g table of observed
    and expected events and non-events. A group whose 10 forecasts are all 0 but which holds an
    event has an infinite cell, so C = inf and p = 0 (R's ``hoslem.test(y, p, g = 2)`` prints
    ``X-squared = Inf``, ``p-value = 0``)."""
    y = np.r_[1, np.zeros(9), np.ones(5), np.zeros(5)]
    p = np.r_[np.zeros(10), np.full(10, 0.5)]
    hl = hosmer_lemeshow(y, p, 2, development=False, grouping=grouping)
    assert hl.statistic == np.inf and hl.p_value == 0.0 and hl.df == 2
    assert hl.table["contribution"].tolist() == [np.inf, 0.0]
    # the mirror image: a non-event where every forecast was 1
    hl1 = hosmer_lemeshow(1 - y[::-1], 1 - p[::-1], 2, development=False, grouping=grouping)
    assert hl1.statistic == np.inf and hl1.p_value == 0.0
    # nothing expected and nothing observed (0/0) contributes 0: here the fit is exact
    y0 = np.r_[np.zeros(10), np.ones(5), np.zeros(5)]
    hl0 = hosmer_lemeshow(y0, p, 2, development=False, grouping=grouping)
    assert hl0.statistic == 0.0 and hl0.p_value == 1.0
    hl_all = hosmer_lemeshow(np.r_[np.zeros(10), np.ones(10)], np.r_[np.zeros(10), np.ones(10)], 2,
                             development=False, grouping=grouping)
    assert hl_all.statistic == 0.0


def test_spiegelhalter_impossible_outcome_is_no_fit():
    """Under calibration an event at p = 0 (or a non-event at p = 1) has probability 0; its term in
    Spiegelhalter's (1986) numerator is +1 with no variance, so z = +inf and p = 0."""
    p = np.r_[0.0, np.full(99, 0.1)]
    y = np.r_[1.0, (np.arange(99) % 10 == 0).astype(float)]
    assert spiegelhalter_z(y, p) == {"z": np.inf, "p_value": 0.0}
    assert spiegelhalter_z(1 - y, 1 - p) == {"z": np.inf, "p_value": 0.0}
    assert np.isnan(spiegelhalter_z([0, 1], [0.5, 0.5])["z"])  # no variance, no miss: undefined
