"""Dask backend: same grades as the DataFrame path, with and without the shuffle."""

from __future__ import annotations

import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")

import dask  # noqa: E402

import riskgrade as rg  # noqa: E402
from riskgrade.engine.dask_backend import grade_dask, grade_dask_file  # noqa: E402
from riskgrade.io import write_frame  # noqa: E402


@pytest.fixture(scope="module")
def inv() -> pd.DataFrame:
    frame = rg.datasets.make_inventory(1500, n_units=20, seed=8)
    # rows of each unit scattered over the partitions
    return frame.sample(frac=1.0, random_state=1).reset_index(drop=True)


def _in_order(graded: pd.DataFrame) -> pd.DataFrame:
    return graded.sort_values("_row").drop(columns="_row").reset_index(drop=True)


def test_shuffled_partitions_same_as_model(inv):
    ref = rg.RiskModel().grade(inv).frame
    graded = grade_dask(dd.from_pandas(inv, npartitions=5, sort=False))
    assert [k for k in graded.__dask_graph__() if "shuffle" in str(k).lower()]
    got = _in_order(graded.compute())
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)


def test_partitioned_by_unit_needs_no_shuffle(inv):
    units = sorted(inv["unit_id"].unique())
    groups = [units[i::3] for i in range(3)]
    parts = [inv[inv["unit_id"].isin(g)] for g in groups]
    ref = rg.RiskModel().grade(pd.concat(parts, ignore_index=True)).frame  # the input is the parts in order
    ddf = dd.from_map(lambda i: parts[i], range(3), meta=inv.iloc[0:0])
    graded = grade_dask(ddf, partitioned_by_unit=True)
    assert not [k for k in graded.__dask_graph__() if "shuffle" in str(k).lower()]
    got = graded.compute()
    # rows come back partition by partition; _row restores the input order
    got = _in_order(got)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)


def test_file_on_local_cluster_same_values_as_local_engine(inv, tmp_path):
    src = tmp_path / "inv.parquet"
    write_frame(inv, src)
    a, b = tmp_path / "dask.csv", tmp_path / "local.csv"
    with dask.config.set({"dataframe.convert-string": False}):
        s = grade_dask_file(src, a, processes=False, n_workers=2, audit=tmp_path / "audit.csv")
    from riskgrade.engine import grade_file

    t = grade_file(src, b)
    fa = pd.read_csv(a, encoding="utf-8-sig")
    fb = pd.read_csv(b, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(fa, fb)
    assert s.levels == t.levels
    assert s.demoted == t.demoted and s.units_over_cap == t.units_over_cap
    pd.testing.assert_frame_equal(s.audit, t.audit, check_dtype=False)
