"""The registry of weighting methods (riskgrade.weighting.spec.METHODS) is the one list of them.

The config's ``weighting.method`` choices, the model's data-free methods, the batch
engines' choice and :func:`resolve_weights` all read it; these tests check that they agree
and that each entry's flags tell the truth about its function.
"""

from __future__ import annotations

import typing

import numpy as np
import pandas as pd
import pytest

from riskgrade.model import DATA_FREE_METHODS
from riskgrade.weighting.spec import METHODS, WeightingSpec, resolve_weights
from riskgrade.weighting.stats import batch_supported, needs_data, weights_from_scores

NAMES = ["a", "b", "c"]


def _scores(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.uniform(0, 1, size=(200, 3)) ** rng.uniform(0.5, 4, size=3), columns=NAMES)


def _spec(name: str, **extra: typing.Any) -> WeightingSpec:
    settings: dict[str, typing.Any] = {
        "fixed": {"fixed": {"a": 1.0, "b": 2.0, "c": 3.0}},
        "ahp": {"ahp": {"judgements": {"a/b": 2, "a/c": 4, "b/c": 2}}},
        "ahp_group": {
            "ahp_group": {
                "experts": {"e1": {"a/b": 2, "a/c": 4, "b/c": 2}, "e2": {"a/b": 3, "a/c": 5, "b/c": 2}}
            }
        },
        "entropy": {},
        "critic": {},
        "combined": {"fixed": {"a": 1.0, "b": 1.0, "c": 2.0}, "combined": {"subjective": "fixed"}},
    }
    return WeightingSpec(method=name, **{**settings[name], **extra})


def test_the_config_offers_exactly_the_registered_methods():
    choices = set(typing.get_args(WeightingSpec.model_fields["method"].annotation))
    assert choices == set(METHODS)
    assert all(m.name == k for k, m in METHODS.items())
    assert all(m.settings is None or m.settings in WeightingSpec.model_fields for m in METHODS.values())


def test_data_free_methods_come_from_the_registry():
    assert {k for k, m in METHODS.items() if not m.needs_data} == DATA_FREE_METHODS
    assert {"fixed", "ahp", "ahp_group"} == DATA_FREE_METHODS


@pytest.mark.parametrize("name", sorted(METHODS))
def test_needs_data_is_true_to_the_function(name):
    spec = _spec(name)
    w1, _ = resolve_weights(spec, _scores(1), NAMES)
    w2, _ = resolve_weights(spec, _scores(2), NAMES)
    assert np.isclose(w1.sum(), 1.0)
    assert needs_data(spec) is METHODS[name].needs_data
    if METHODS[name].needs_data:
        assert not np.allclose(w1.to_numpy(), w2.to_numpy())
    else:
        assert np.array_equal(w1.to_numpy(), w2.to_numpy())


@pytest.mark.parametrize(
    ("spec", "batch"),
    [
        (_spec("fixed"), False),
        (_spec("ahp"), False),
        (_spec("entropy"), True),
        (_spec("critic"), True),
        (_spec("critic", critic={"correlation": "spearman"}), False),
        (_spec("combined", combined={"subjective": "fixed", "objective": "critic"}), True),
        (
            _spec(
                "combined",
                combined={"subjective": "fixed", "objective": "critic"},
                critic={"correlation": "spearman"},
            ),
            False,
        ),
    ],
)
def test_batch_flag(spec, batch):
    assert batch_supported(spec) is batch


@pytest.mark.parametrize("name", [k for k, m in METHODS.items() if m.needs_data])
def test_batch_statistics_agree_with_the_method(name):
    """The engines' one-pass sums (WeightStats) give the weights of the method's function."""
    spec = _spec(name)
    scores = _scores(3)
    want, _ = resolve_weights(spec, scores, NAMES)
    got, _ = weights_from_scores(spec, scores, NAMES)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=0, atol=1e-12)
