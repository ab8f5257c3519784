"""WeightingSpec: every method through RiskModel, with the model card round trip."""

from __future__ import annotations

import itertools
import json
import tomllib
import warnings

import numpy as np
import pytest

import riskgrade as rg
from riskgrade.config import config_from_dict, config_hash, default_config
from riskgrade.exceptions import ConfigError, ConsistencyWarning, InconsistentJudgementsError, NotFittedError
from riskgrade.weighting.critic import critic_weights
from riskgrade.weighting.entropy import entropy_weights
from riskgrade.weighting.spec import WeightingSpec, resolve_weights

NAMES = default_config().active_catalog.names


def _config(weighting: dict) -> rg.RiskModelConfig:
    data = default_config().model_dump(mode="json")
    data["weighting"] = weighting
    return config_from_dict(data)


def _chain(value: float) -> dict[str, float]:
    """Consistent judgements: each factor `value` times as important as the next."""
    return {f"{a}/{b}": value for a, b in itertools.pairwise(NAMES)}


@pytest.fixture(scope="module")
def inventory():
    return rg.datasets.make_inventory(400, n_units=4, seed=5)


def test_fixed_config_hash_unchanged_by_new_tables():
    """Configs without the new tables keep their canonical form (and hash)."""
    dumped = default_config().weighting.model_dump(mode="json")
    assert set(dumped) == {"method", "fixed"}
    assert config_hash(_config(dumped)) == config_hash(default_config())


def test_entropy_on_factor_scores_end_to_end(inventory, tmp_path):
    """Entropy weights are those of the factor-score matrix; the card stores them and loads back."""
    model = rg.RiskModel(_config({"method": "entropy"}))
    with pytest.raises(NotFittedError):
        model.grade(inventory)
    model.fit(inventory)
    F = model.factor_scores(inventory)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = entropy_weights(F, nan_policy="omit")
    np.testing.assert_allclose(model.weights_.to_numpy(), expected.reindex(NAMES).to_numpy())
    details = model.weight_details_
    assert details["method"] == "entropy" and details["on"] == "factor_scores"
    path = model.save(tmp_path / "card.json")
    card = json.loads(path.read_text(encoding="utf-8"))
    assert set(card["weight_details"]["entropy"]) == set(NAMES)
    loaded = rg.RiskModel.load(path)
    np.testing.assert_allclose(loaded.weights_, model.weights_)
    r1, r2 = model.grade(inventory), loaded.grade(inventory)
    assert r1.frame["level"].tolist() == r2.frame["level"].tolist()


def test_critic_end_to_end(inventory):
    model = rg.RiskModel(_config({"method": "critic", "critic": {"correlation": "spearman"}})).fit(inventory)
    F = model.factor_scores(inventory)
    expected = critic_weights(F, correlation="spearman", nan_policy="omit")
    np.testing.assert_allclose(model.weights_.to_numpy(), expected.reindex(NAMES).to_numpy())


def test_ahp_from_toml_with_card(tmp_path, inventory):
    """A TOML config with AHP judgements: weights, consistency figures in the card."""
    pytest.importorskip("riskgrade.weighting.ahp")
    judgements = ", ".join(f'"{k}" = {v}' for k, v in _chain(2.0).items())
    text = f"""
[weighting]
method = "ahp"
[weighting.ahp]
judgements = {{ {judgements} }}
ri_table = "donegan_dodd"
"""
    cfg = tomllib.loads(text)
    data = default_config().model_dump(mode="json")
    data["weighting"] = cfg["weighting"]
    model = rg.RiskModel(config_from_dict(data)).fit()
    w = model.weights_.to_numpy()
    np.testing.assert_allclose(w[:-1] / w[1:], 2.0, rtol=1e-6)  # a consistent chain
    d = model.weight_details_
    assert d["ri_table"] == "donegan_dodd" and d["cr"] == pytest.approx(0, abs=1e-9)
    assert {"lambda_max", "ci", "cr", "ri"} <= set(d)
    card = json.loads(model.save(tmp_path / "m.json").read_text(encoding="utf-8"))
    assert card["weight_details"]["ri_table"] == "donegan_dodd"
    assert rg.RiskModel.load(tmp_path / "m.json").grade(inventory).frame.shape[0] == len(inventory)


def _inconsistent() -> dict[str, float]:
    j = _chain(3.0)
    j[f"{NAMES[-1]}/{NAMES[0]}"] = 9.0  # the last factor far above the first: a cycle
    return j


def test_ahp_strict_raises_and_lenient_warns():
    pytest.importorskip("riskgrade.weighting.ahp")
    spec = {"method": "ahp", "ahp": {"judgements": _inconsistent(), "strict": True}}
    with pytest.raises(InconsistentJudgementsError, match="consistency ratio"):
        rg.RiskModel(_config(spec)).fit()
    spec["ahp"]["strict"] = False
    with pytest.warns(ConsistencyWarning):
        model = rg.RiskModel(_config(spec)).fit()
    assert model.weight_details_["cr"] > 0.1 and not model.weight_details_["is_consistent"]


def test_ahp_group_details():
    pytest.importorskip("riskgrade.weighting.ahp_group")
    spec = {
        "method": "ahp_group",
        "ahp_group": {
            "experts": {"chair": _chain(2.0), "auditor": _chain(1.5)},
            "aggregation": "aij",
            "expert_weights": {"chair": 2, "auditor": 1},
        },
    }
    model = rg.RiskModel(_config(spec)).fit()
    d = model.weight_details_
    assert set(d["experts"]) == {"chair", "auditor"} and "kendall_w" in d["consensus"]
    json.dumps(rg.RiskModel(_config(spec)).fit().to_card())  # JSON-able


def test_combined_game_theory(inventory):
    spec = {
        "method": "combined",
        "fixed": dict(rg.config.DEFAULT_WEIGHTS),
        "combined": {"subjective": "fixed", "objective": "critic", "method": "game_theory"},
    }
    model = rg.RiskModel(_config(spec)).fit(inventory)
    d = model.weight_details_
    a = np.array(d["combination"]["coefficients"])
    s = np.array([d["subjective"]["weights"][n] for n in NAMES])
    o = np.array([d["objective"]["weights"][n] for n in NAMES])
    np.testing.assert_allclose(model.weights_.to_numpy(), a[0] * s + a[1] * o)


def test_spec_validation():
    with pytest.raises(ValueError, match=r"needs a \[weighting.ahp\] table"):
        WeightingSpec(method="ahp")
    with pytest.raises(ValueError, match=r"needs a \[weighting.ahp\] table"):
        WeightingSpec(method="combined", combined={"subjective": "ahp"})
    with pytest.raises(ValueError):
        WeightingSpec(method="entropy", entropy={"normalization": "zscore"})
    with pytest.raises(ValueError):
        WeightingSpec(method="fixed", unknown=1)


def test_judgement_errors():
    pytest.importorskip("riskgrade.weighting.ahp")
    F = None
    bad_key = WeightingSpec(method="ahp", ahp={"judgements": {"post_weight-cases": 2}})
    with pytest.raises(ConfigError, match="'a/b'"):
        resolve_weights(bad_key, F, NAMES)
    unknown = WeightingSpec(method="ahp", ahp={"judgements": {"post_weight/nope": 2}})
    with pytest.raises(ConfigError, match="unknown factor"):
        resolve_weights(unknown, F, NAMES)
    partial = WeightingSpec(method="ahp", ahp={"judgements": {"post_weight/cases": 2}})
    with pytest.raises(ConfigError, match="no judgement covers"):
        resolve_weights(partial, F, NAMES)


def test_matrix_judgements():
    pytest.importorskip("riskgrade.weighting.ahp")
    n = len(NAMES)
    w = np.arange(n, 0, -1, dtype=float)
    matrix = (w[:, None] / w[None, :]).tolist()
    weights, details = resolve_weights(WeightingSpec(method="ahp", ahp={"judgements": matrix}), None, NAMES)
    np.testing.assert_allclose(weights.to_numpy(), w / w.sum(), rtol=1e-9)
    assert details["cr"] == pytest.approx(0, abs=1e-9)
