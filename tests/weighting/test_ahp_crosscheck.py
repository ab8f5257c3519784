"""Cross-checks against other AHP implementations (optional: skipped when not installed),
and a seed-shaped hierarchy (four risk categories -> nine factors)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from riskgrade.exceptions import InconsistentJudgementsError
from riskgrade.weighting import AHPHierarchy, ahp

pytestmark = pytest.mark.filterwarnings("ignore::riskgrade.exceptions.ConsistencyWarning")

SCALE = [1 / 9, 1 / 7, 1 / 5, 1 / 3, 1 / 2, 1, 2, 3, 5, 7, 9]


def _random_matrices(count, n, seed):
    rng = np.random.default_rng(seed)
    iu = np.triu_indices(n, 1)
    for _ in range(count):
        upper = rng.choice(SCALE, size=len(iu[0]))
        a = np.ones((n, n))
        a[iu] = upper
        a[iu[1], iu[0]] = 1 / upper
        yield a


def test_against_pymcdm():
    """pymcdm's AHP (eigenvector, Tummala & Ling RI): same weights and CR."""
    subjective = pytest.importorskip("pymcdm.weights.subjective")
    for n in (3, 5, 7, 9):
        for a in _random_matrices(5, n, seed=n):
            m = subjective.AHP(matrix=a)
            w = np.asarray(m(), dtype=float)
            r = ahp(a, ri_table="tummala_ling")
            np.testing.assert_allclose(r.weights.to_numpy(), w / w.sum(), atol=1e-8)
            assert r.cr == pytest.approx(float(m.get_cr()), abs=1e-8)


def test_against_ahpy():
    """AHPy (rounds to ``precision`` decimals; Saaty 2005 and Donegan-Dodd RI)."""
    ahpy = pytest.importorskip("ahpy")
    labels = list("abcdefg")
    for n in (4, 7):
        for a in _random_matrices(4, n, seed=10 + n):
            comps = {(labels[i], labels[j]): float(a[i, j]) for i, j in itertools.combinations(range(n), 2)}
            for ours, theirs in (("saaty_2005", "saaty"), ("donegan_dodd", "dd")):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    c = ahpy.Compare("x", comps, precision=8, random_index=theirs)
                r = ahp(comps, ri_table=ours)
                for k, v in c.local_weights.items():
                    assert r.weights[k] == pytest.approx(v, abs=2e-8)
                assert r.cr == pytest.approx(c.consistency_ratio, abs=2e-8)


SEED_FACTORS = {
    "power": ["post_weight", "funds_handled", "discretion"],
    "exposure": ["service_relevance", "public_satisfaction"],
    "history": ["complaints", "cases", "media_exposure"],
    "consequence": ["consequence"],
}


def test_seed_shaped_hierarchy():
    """Four risk categories -> nine factors: global weights are products down the tree, sum
    to 1, and every node's consistency is reported; a one-factor category has weight 1 inside."""
    top = {
        ("power", "exposure"): 3,
        ("power", "history"): 2,
        ("power", "consequence"): 2,
        ("exposure", "history"): 1 / 2,
        ("exposure", "consequence"): 1 / 2,
        ("history", "consequence"): 1,
    }
    children = {
        "power": {
            ("post_weight", "funds_handled"): 1 / 2,
            ("post_weight", "discretion"): 1,
            ("funds_handled", "discretion"): 2,
        },
        "exposure": {("service_relevance", "public_satisfaction"): 1},
        "history": {
            ("complaints", "cases"): 1 / 3,
            ("complaints", "media_exposure"): 2,
            ("cases", "media_exposure"): 5,
        },
        "consequence": {("consequence", "consequence"): 1},
    }
    h = AHPHierarchy.from_dict({"judgements": top, "children": children}, name="risk", threshold="saaty_n")
    g = h.global_weights
    assert set(g.index) == {f for fs in SEED_FACTORS.values() for f in fs}
    assert g.sum() == pytest.approx(1.0, abs=1e-12)
    top_w = h.result.weights
    for cat, factors in SEED_FACTORS.items():
        assert g[factors].sum() == pytest.approx(top_w[cat], rel=1e-12)
    assert g["consequence"] == pytest.approx(top_w["consequence"])
    s = h.summary()
    assert len(s) == 5 and set(s["threshold"]) <= {0.05, 0.08, 0.10}
    assert "risk/power" in h.nodes
    assert "AHPHierarchy" in h._repr_html_() and "risk" in repr(h)
    with pytest.raises(InconsistentJudgementsError, match="not among its elements"):
        AHPHierarchy(top, {"nonsense": {("a", "b"): 2}})
