"""Data-driven weights in the batch engines: mergeable exact statistics, same bits everywhere."""

from __future__ import annotations

import filecmp
import functools
import itertools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade as rg
from conftest import write_inventory_csv
from riskgrade.cli import main
from riskgrade.config import config_from_dict
from riskgrade.engine import grade_file
from riskgrade.exceptions import WeightingError
from riskgrade.io import write_frame, write_result
from riskgrade.weighting.spec import WeightingSpec, resolve_weights
from riskgrade.weighting.stats import WeightStats, batch_supported, weights_from_scores

NAMES = ["a", "b", "c", "d", "e"]
AHP = {"judgements": {"a/b": 2, "a/c": 3, "b/c": 2, "c/d": 1, "d/e": 2, "a/e": 4}}
SPECS = [
    {"method": "entropy"},
    {"method": "entropy", "entropy": {"normalization": "minmax"}},
    {"method": "critic"},
    {"method": "critic", "critic": {"normalization": "sum"}},
    {"method": "critic", "critic": {"normalization": "max"}},
    {"method": "combined", "fixed": {"a": 3, "b": 1}, "combined": {"objective": "critic"}},
    {"method": "combined", "ahp": AHP,
     "combined": {"subjective": "ahp", "objective": "entropy", "method": "game_theory"}},
    {"method": "combined", "combined": {"objective": "entropy", "method": "multiplicative"}},
]


def _scores(n: int, seed: int) -> pd.DataFrame:
    """Factor scores shaped like an inventory's: ordinal steps, a mostly-zero column, gaps."""
    rng = np.random.default_rng(seed)
    F = np.empty((n, len(NAMES)))
    F[:, 0] = rng.integers(0, 5, n) / 4
    F[:, 1] = np.clip(rng.lognormal(-1.5, 0.6, n), 0, 1)
    F[:, 2] = np.where(rng.random(n) < 0.7, 0.0, rng.random(n))
    F[:, 3] = 0.6 * F[:, 0] + 0.4 * rng.random(n)
    F[:, 4] = rng.random(n)
    F[rng.random(n) < 0.05, 1] = np.nan
    F[rng.random(n) < 0.03, 4] = np.nan
    return pd.DataFrame(F, columns=NAMES)


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: str(s)[:60])
def test_finalize_matches_resolve_weights(spec):
    """WeightStats (exact fixed-point sums) agrees with the blocked float64 reference."""
    ws = WeightingSpec(**spec)
    F = _scores(20_000, 1)
    w_ref, d_ref = _quiet(resolve_weights, ws, F, NAMES)
    w, d = _quiet(weights_from_scores, ws, F, NAMES)
    assert list(w.index) == NAMES
    np.testing.assert_allclose(w.to_numpy(), w_ref.to_numpy(), rtol=0, atol=1e-12)
    assert set(d) == set(d_ref) and d["method"] == d_ref["method"]
    if spec["method"] == "entropy":
        assert d["n_rows"] == d_ref["n_rows"] and d["constant"] == d_ref["constant"]
        for k in ("entropy", "zero_share"):
            np.testing.assert_allclose(list(d[k].values()), list(d_ref[k].values()), atol=1e-12)


@pytest.mark.filterwarnings("ignore:entropy_weights. column 'c':riskgrade.DataWarning")
def test_warnings_and_errors_as_the_reference():
    F = _scores(2_000, 2)
    F["e"] = 0.5  # constant column: weight 0 with a DataWarning
    for spec in ({"method": "entropy"}, {"method": "critic"}):
        ws = WeightingSpec(**spec)
        with pytest.warns(rg.DataWarning, match="'e'"):
            w, _ = weights_from_scores(ws, F, NAMES)
        assert w["e"] == 0.0
    with pytest.raises(WeightingError, match="at least 2"):
        weights_from_scores(WeightingSpec(method="critic"), F.iloc[:1], NAMES)
    with pytest.raises(WeightingError, match=r"\[0, 1\]"):
        WeightStats(WeightingSpec(method="entropy"), NAMES).update(np.full((3, 5), 1.5))
    assert not batch_supported(WeightingSpec(method="critic", critic={"correlation": "spearman"}))
    assert not batch_supported(WeightingSpec(method="fixed"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=st.sampled_from(SPECS[:5]),
    seed=st.integers(0, 2**32 - 1),
    cuts=st.lists(st.integers(0, 3_000), max_size=6),
)
def test_merge_of_any_split_equals_one_pass(spec, seed, cuts):
    """Statistics merged over any split and order give the same bits as one pass."""
    ws = WeightingSpec(**spec)
    F = _scores(3_000, seed % 1000).to_numpy()
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(F))
    edges = [0, *sorted(cuts), len(F)]

    def fit(blocks):
        parts = [WeightStats(ws, NAMES).update(b) for b in blocks]
        rng.shuffle(parts)
        total = parts[0]
        for p in parts[1:]:
            total.merge(p)
        if total.needs_second_pass:
            second = [total.second_pass().update(b) for b in blocks]
            total = second[0]
            for p in second[1:]:
                total.merge(p)
        return _quiet(total.finalize)

    w1, d1 = fit([F])
    w2, d2 = fit([F[perm][a:b] for a, b in itertools.pairwise(edges)])
    assert w1.to_numpy().tobytes() == w2.to_numpy().tobytes()
    assert d1 == d2


# ------------------------------------------------------------------ engines
@pytest.fixture(scope="module")
def inv_csv(tmp_path_factory) -> Path:
    return write_inventory_csv(tmp_path_factory.mktemp("ew") / "inv.csv", 2500, 30, 11)


def _config(weighting: dict) -> rg.RiskModelConfig:
    base = rg.default_config().model_dump(mode="json")
    return config_from_dict({**base, "weighting": weighting})


ENGINE_SPECS = [
    SPECS[0],
    SPECS[1],
    SPECS[2],
    {"method": "combined", "fixed": {"post_weight": 3, "funds_handled": 2, "cases": 2},
     "combined": {"objective": "entropy", "method": "game_theory"}},
]


@pytest.mark.parametrize("spec", ENGINE_SPECS, ids=lambda s: str(s)[:40])
def test_local_stream_and_model_give_identical_files(inv_csv, tmp_path, spec):
    """RiskModel.fit + grade, the local engine and the stream engine under a tiny memory
    budget (units and the weight pass spread over many batches) write the same bytes."""
    cfg = _config(spec)
    inv = rg.read_inventory(inv_csv, cfg)
    ref_model = _quiet(rg.RiskModel(cfg).fit, inv)
    write_result(ref_model.grade(inv), tmp_path / "ref.csv")
    for engine, batch, limit in (("local", None, None), ("local", 30_000, None), ("stream", 20_000, "200KB")):
        model = rg.RiskModel(cfg)
        out = tmp_path / f"{engine}.csv"
        s = _quiet(grade_file, inv_csv, out, model, engine=engine, batch_bytes=batch, memory_limit=limit)
        assert model.weights_.to_numpy().tobytes() == ref_model.weights_.to_numpy().tobytes()
        assert s.provenance["weights"] == {k: float(v) for k, v in ref_model.weights_.items()}
        assert filecmp.cmp(tmp_path / "ref.csv", out, shallow=False), engine
        if engine == "stream":
            assert s.groups > 1


def test_row_order_does_not_change_the_output(inv_csv, tmp_path):
    """Shuffled input rows: same weights, and the same graded rows once put in id order."""
    cfg = _config(SPECS[2])
    inv = pd.read_csv(inv_csv)
    shuffled = inv.sample(frac=1.0, random_state=3)
    outs = []
    for i, frame in enumerate((inv, shuffled)):
        p = tmp_path / f"in{i}.csv"
        write_frame(frame, p)
        model = rg.RiskModel(cfg)
        _quiet(grade_file, p, tmp_path / f"out{i}.csv", model, engine="stream", batch_bytes=20_000,
               memory_limit="200KB")
        outs.append((model.weights_, pd.read_csv(tmp_path / f"out{i}.csv")))
    assert outs[0][0].to_numpy().tobytes() == outs[1][0].to_numpy().tobytes()
    a, b = (o[1].sort_values("risk_point_id").reset_index(drop=True) for o in outs)
    pd.testing.assert_frame_equal(a, b)


def test_quarantined_rows_are_left_out_of_the_weights(inv_csv, tmp_path):
    cfg = _config(SPECS[0])
    inv = pd.read_csv(inv_csv)
    inv.loc[[5, 700], "post_weight"] = 9  # out of range: rejected
    inv.loc[1200, "risk_point_id"] = inv.loc[10, "risk_point_id"]  # both copies rejected
    p = tmp_path / "bad.csv"
    write_frame(inv, p)
    good = rg.read_inventory(p, cfg).drop(index=[5, 10, 700, 1200])
    ref = _quiet(rg.RiskModel(cfg).fit, good)
    for engine in ("local", "stream"):
        model = rg.RiskModel(cfg)
        s = _quiet(grade_file, p, tmp_path / "o.csv", model, engine=engine, on_error="quarantine",
                   batch_bytes=20_000, memory_limit="200KB")
        assert s.rows_rejected == 4
        assert model.weights_.to_numpy().tobytes() == ref.weights_.to_numpy().tobytes()


def test_dask_reduction_gives_the_same_weights_and_levels(inv_csv):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    from riskgrade.engine.dask_backend import grade_dask

    cfg = _config(SPECS[1])  # min-max entropy: two reductions
    inv = rg.read_inventory(inv_csv, cfg)
    ref_model = _quiet(rg.RiskModel(cfg).fit, inv)
    ref = ref_model.grade(inv).frame
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        model = rg.RiskModel(cfg)
        raw = pd.read_csv(inv_csv)
        got = _quiet(lambda: grade_dask(dd.from_pandas(raw, npartitions=7), model).compute())
    got = got.sort_values("_row").reset_index(drop=True)
    assert model.weights_.to_numpy().tobytes() == ref_model.weights_.to_numpy().tobytes()
    np.testing.assert_array_equal(got["level"].to_numpy(), ref["level"].to_numpy())
    np.testing.assert_array_equal(got["score"].to_numpy(), ref["score"].to_numpy())


@pytest.mark.parametrize("engine", ["local", "stream", "dask"])
def test_cli_score_with_a_critic_config(inv_csv, tmp_path, engine, capsys, monkeypatch):
    if engine == "dask":
        pytest.importorskip("distributed")
        import riskgrade.engine.dask_backend as rdask

        # a threads-only LocalCluster: the same graph, without starting worker processes
        threads_only = functools.partial(rdask.grade_dask_file, processes=False)
        monkeypatch.setattr(rdask, "grade_dask_file", threads_only)
    cfg_path = tmp_path / "critic.json"
    cfg_path.write_text(_config(SPECS[2]).model_dump_json(), encoding="utf-8")
    ref = tmp_path / "ref.csv"
    assert main(["score", str(inv_csv), "-o", str(ref), "-c", str(cfg_path), "--engine", "local", "-q"]) == 0
    out = tmp_path / f"{engine}.csv"
    args = ["score", str(inv_csv), "-o", str(out), "-c", str(cfg_path), "--engine", engine]
    if engine == "stream":
        args += ["--memory-limit", "200KB"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert f"({engine} engine)" in err or engine == "dask"
    a, b = pd.read_csv(ref), pd.read_csv(out)
    pd.testing.assert_series_equal(a["level"], b["level"])
    pd.testing.assert_series_equal(a["score"], b["score"])
    meta = pd.read_json(Path(str(out) + ".meta.json"), typ="series")
    assert meta["weighting_method"] == "critic" and len(meta["weights"]) == 9
