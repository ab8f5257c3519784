"""Pass 2 of the local engine and the model's lazily built scorer.

The default output (no ``--explain``) scores without computing contributions, and the
kept batches of a Parquet row group are restored and joined in worker threads; both
must give the values the explained output and :meth:`RiskModel.grade` give.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import riskgrade as rg
from conftest import write_inventory_csv
from riskgrade.engine import grade_file
from riskgrade.output_view import OutputView


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    path = tmp_path_factory.mktemp("pass2") / "inv.csv"
    return write_inventory_csv(path, 3000, n_units=40, seed=11)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_default_output_matches_explained_output_and_grade(inventory, tmp_path, fmt):
    """Every column of the default output equals the same column with ``--explain``.

    Small batches make each Parquet row group join several kept batches (their compact
    types differ from batch to batch); the scores, levels and ranks also equal those of
    :meth:`RiskModel.grade` on the same rows (an independent path through pandas).
    """
    plain = tmp_path / f"plain.{fmt}"
    explained = tmp_path / f"explained.{fmt}"
    grade_file(inventory, plain, engine="local", batch_bytes=1 << 14, view=OutputView(explain=False))
    grade_file(inventory, explained, engine="local", batch_bytes=1 << 14, view=OutputView(explain=True))
    read = pq.read_table if fmt == "parquet" else None
    if read is not None:
        a, b = read(plain).to_pandas(), read(explained).to_pandas()
    else:
        a, b = pd.read_csv(plain), pd.read_csv(explained)
    assert len(a.columns) < len(b.columns)
    for col in a.columns:
        pd.testing.assert_series_equal(a[col], b[col], check_exact=True)
    inv = pd.read_csv(inventory)
    ref = rg.RiskModel().fit(inv).grade(inv).frame
    got = a.set_index("risk_point_id")
    ref = ref.set_index("risk_point_id").loc[got.index]
    np.testing.assert_array_equal(got["score"].to_numpy(), ref["score"].to_numpy())
    np.testing.assert_array_equal(got["level"].to_numpy(), ref["level"].to_numpy())
    np.testing.assert_array_equal(got["rank_in_unit"].to_numpy(), ref["rank_in_unit"].to_numpy())


def test_scorer_is_built_on_first_use():
    """``scorer_`` exists only once fitted, is one object, and follows new weights."""
    model = rg.RiskModel()
    assert not hasattr(model, "scorer_")
    inv = rg.datasets.make_inventory(200, n_units=5, seed=3)
    model.fit(inv)
    scorer = model.scorer_
    assert scorer is model.scorer_
    F = model.factor_scores(inv)
    np.testing.assert_array_equal(scorer.predict_score(F.to_numpy()), model.score_from_factor_scores(F))
    w = pd.Series(np.arange(1.0, len(model.weights_) + 1), index=model.weights_.index)
    w /= w.sum()
    model.set_weights(w, {})
    assert model.scorer_ is not scorer
    np.testing.assert_allclose(model.scorer_.weights_, w.to_numpy())


def test_batch_engine_does_not_import_scikit_learn(inventory, tmp_path):
    """Grading a file with the batch engine leaves scikit-learn (and scipy.stats) unloaded."""
    code = (
        "import sys\n"
        "from riskgrade.engine import grade_file\n"
        f"grade_file({str(inventory)!r}, {str(tmp_path / 'o.parquet')!r})\n"
        "print(sorted(m for m in ('sklearn', 'scipy.stats') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
