"""Model cards with integrity (issue 15: "Tampered model cards are accepted").

Each tampering of the issue exits 3 naming the field, whether or not the tamperer
recomputed the card's hash; an intact card round-trips byte for byte and grades the same.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import riskgrade as rg
from riskgrade.cli import main
from riskgrade.model_card import card_sha256, check_card, seal

SAMPLE = "data/samples/inventory.csv"


@pytest.fixture(scope="module")
def card_dict():
    return rg.RiskModel().to_card()


def _write(path, card, *, reseal):
    if reseal:
        card = seal(card)
    path.write_text(json.dumps(card, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _score(tmp_path, card_path, capsys):
    out = tmp_path / "g.csv"
    code = main(["score", SAMPLE, "-m", str(card_path), "-o", str(out), "-q"])
    assert not out.exists()
    return code, capsys.readouterr().err


def _edit(card, path, value):
    c = json.loads(json.dumps(card))
    node = c
    for k in path[:-1]:
        node = node[k]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return c


W = ("weights", "post_weight")
TAMPERINGS = [
    # (edit path, new value, text the message must name)
    (W, 0.0, "weights"),  # edited weights (the sum no longer 1)
    (W, 1e308, "weights.post_weight"),
    (W, True, "weights.post_weight"),
    (W, "0.15", "weights.post_weight"),
    (("config", "require_outcome"), 1, "config.require_outcome"),
    (("config", "quota", "max_share"), True, "config.quota.max_share"),
    (("weights", "extra_factor"), 0.0, "weights.extra_factor"),
    (("surprise",), 1, "surprise"),
    (("format_version",), KeyError, "format_version"),
    (("format_version",), 7, "format_version"),
    (("format_version",), "2", "format_version"),
    (("config", "levels"), KeyError, "config"),
    (("identity", "casefold"), True, "identity.casefold"),
    (("identity",), KeyError, "identity"),
]


@pytest.mark.parametrize("reseal", [False, True], ids=["hash-kept", "hash-recomputed"])
@pytest.mark.parametrize(("path", "value", "named"), TAMPERINGS, ids=[t[2] + "=" + repr(t[1])[:12]
                                                                      for t in TAMPERINGS])
def test_tampered_card_exit_3_naming_the_field(tmp_path, capsys, card_dict, path, value, named, reseal):
    bad = _edit(card_dict, path, value)
    if reseal and "format_version" in path:
        bad = {**bad, "card_sha256": card_sha256(bad)}  # seal() would set the version back
    elif reseal:
        bad = seal(bad)
    p = tmp_path / "m.json"
    p.write_text(json.dumps(bad), encoding="utf-8")
    code, err = _score(tmp_path, p, capsys)
    assert code == 3, err
    assert f"field {named}" in err
    assert "Traceback" not in err and "unexpected" not in err


def test_weights_summing_to_two_are_refused_not_renormalised(tmp_path, capsys, card_dict):
    bad = json.loads(json.dumps(card_dict))
    bad["weights"] = {k: 2 * v for k, v in bad["weights"].items()}
    code, err = _score(tmp_path, _write(tmp_path / "m.json", bad, reseal=True), capsys)
    assert code == 3 and "field weights: sum 2.0" in err and "must sum to 1" in err


def test_edited_weights_that_still_sum_to_one_fail_the_hash(tmp_path, capsys, card_dict):
    """The issue's case: level one 35 -> 0 after editing weights, exit 0. Now refused."""
    bad = json.loads(json.dumps(card_dict))
    bad["weights"]["post_weight"], bad["weights"]["consequence"] = 0.0, 0.27
    code, err = _score(tmp_path, _write(tmp_path / "m.json", bad, reseal=False), capsys)
    assert code == 3 and "field card_sha256" in err and "does not match" in err


@pytest.mark.parametrize("hash_value", [KeyError, "", None, "0" * 64, "zz"])
def test_missing_empty_or_wrong_hash_refused(tmp_path, capsys, card_dict, hash_value):
    bad = _edit(card_dict, ("card_sha256",), hash_value)
    code, err = _score(tmp_path, _write(tmp_path / "m.json", bad, reseal=False), capsys)
    assert code == 3 and "field card_sha256" in err


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (b'{"format": "riskgrade-model-card", "format_version": 2, "weights": {"a": 0.', "invalid JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not UTF-8"),
        (b"[1, 2, 3]", "a JSON object is expected"),
        (b"", "invalid JSON"),
        (b'{"format": "riskgrade-model-card", "format_version": 2, "x": NaN}', "NaN is not a JSON number"),
        (b'{"format": "riskgrade-model-card", "format": "x"}', "occurs twice"),
    ],
)
def test_unreadable_cards_exit_3(tmp_path, capsys, raw, named):
    p = tmp_path / "m.json"
    p.write_bytes(raw)
    code, err = _score(tmp_path, p, capsys)
    assert code == 3 and named in err and "unexpected" not in err


def test_truncated_real_card_exit_3(tmp_path, capsys):
    p = rg.RiskModel().save(tmp_path / "m.json")
    p.write_bytes(p.read_bytes()[:-40])
    code, err = _score(tmp_path, p, capsys)
    assert code == 3 and "invalid JSON" in err


def test_report_refuses_a_tampered_card(tmp_path, capsys, card_dict):
    graded = tmp_path / "g.csv"
    assert main(["score", SAMPLE, "-o", str(graded), "-q"]) == 0
    bad = _edit(card_dict, W, 0.3)
    p = _write(tmp_path / "m.json", bad, reseal=False)
    html = tmp_path / "r.html"
    assert main(["report", str(graded), "-m", str(p), "-o", str(html)]) == 3
    assert "field card_sha256" in capsys.readouterr().err and not html.exists()


def test_intact_card_round_trips_byte_for_byte_and_grades_the_same(tmp_path):
    inv = rg.read_inventory(SAMPLE)
    cfg = rg.RiskModelConfig.model_validate(
        {**rg.default_config().model_dump(mode="json"), "calibration": {"method": "sigmoid"}}
    )
    for model in (rg.RiskModel(), rg.RiskModel(rg.load_config("data/samples/config.toml")).fit(inv),
                  rg.RiskModel(cfg).fit(inv)):
        a = model.save(tmp_path / "a.json")
        again = rg.RiskModel.load(a)
        b = again.save(tmp_path / "b.json")
        assert a.read_bytes() == b.read_bytes()
        pd.testing.assert_frame_equal(again.grade(inv).frame, model.grade(inv).frame)


def test_version_1_card_accepted_only_when_verifiable(tmp_path, card_dict):
    v1 = {k: v for k, v in card_dict.items() if k not in ("card_sha256", "identity")}
    v1["format_version"] = 1
    p = tmp_path / "v1.json"
    p.write_text(json.dumps(v1), encoding="utf-8")
    inv = rg.read_inventory(SAMPLE)
    pd.testing.assert_frame_equal(rg.RiskModel.load(p).grade(inv).frame, rg.RiskModel().grade(inv).frame)
    edited = json.loads(json.dumps(v1))
    edited["weights"]["post_weight"], edited["weights"]["consequence"] = 0.0, 0.27
    p.write_text(json.dumps(edited), encoding="utf-8")
    with pytest.raises(rg.ModelCardError, match=r"weights\.post_weight.*differs from the weight its config"):
        rg.RiskModel.load(p)
    entropy = rg.RiskModelConfig.model_validate(
        {**rg.default_config().model_dump(mode="json"), "weighting": {"method": "entropy"}}
    )
    data_driven = rg.RiskModel(entropy).fit(inv).to_card()
    old = {k: v for k, v in data_driven.items() if k not in ("card_sha256", "identity")}
    old["format_version"] = 1
    p.write_text(json.dumps(old), encoding="utf-8")
    with pytest.raises(rg.ModelCardError, match="no integrity hash over entropy weights"):
        rg.RiskModel.load(p)


def _leaf_paths(obj, loc=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaf_paths(v, (*loc, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaf_paths(v, (*loc, i))
    else:
        yield loc


def _flip(v):
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return v + 1
    if isinstance(v, float):
        return v * 1.5 + 1e-6
    if isinstance(v, str):
        return v + "x"
    return 0  # None -> a number


@pytest.fixture(scope="module")
def calibrated_card():
    inv = rg.read_inventory(SAMPLE)
    cfg = rg.RiskModelConfig.model_validate(
        {**rg.default_config().model_dump(mode="json"), "calibration": {"method": "sigmoid"}}
    )
    return rg.RiskModel(cfg).fit(inv).to_card()


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_property_flipping_any_leaf_is_detected(calibrated_card, data):
    paths = sorted(_leaf_paths(calibrated_card), key=str)
    path = data.draw(st.sampled_from(paths))
    bad = _edit(calibrated_card, path, _flip(_get(calibrated_card, path)))
    with pytest.raises(rg.ConfigError):
        rg.RiskModel.from_card(bad)
    check_card(calibrated_card)  # the intact card passes


def _get(obj, path):
    for k in path:
        obj = obj[k]
    return obj
