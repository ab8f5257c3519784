"""Vectorised generator of large inventories shaped like ``riskgrade.datasets.make_inventory``.

``make_inventory`` builds its text columns row by row (about 1 minute per million rows);
this draws the same kind of table - ids, unit, scope, category, head count and the nine
factors of the default catalog with heavy-tailed funds and mostly-zero counts - with
numpy and pyarrow only, so 10 million rows take a few seconds.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

SCOPES = np.array(["post", "division", "unit"])
CATS = {
    "post": np.array(["duties", "power_exercise", "ideology_morality"]),
    "division": np.array(["decision_making", "institutions", "work_process", "work_style"]),
    "unit": np.array(["decision_making", "institutions", "work_process", "work_style"]),
}


def make_table(n_rows: int, *, seed: int = 0, mean_unit: int = 83) -> pa.Table:
    """A synthetic inventory as a pyarrow Table, units shuffled over the rows."""
    rng = np.random.default_rng(seed)
    n_units = max(1, n_rows // mean_unit)
    unit = rng.integers(0, n_units, n_rows)
    z = rng.standard_normal(n_rows)
    scope_i = rng.choice(3, n_rows, p=[0.7, 0.2, 0.1])
    cat_i = rng.integers(0, 4, n_rows)
    cat_i[scope_i == 0] %= 3
    cat_names = np.array(
        ["duties", "power_exercise", "ideology_morality", "decision_making", "institutions",
         "work_process", "work_style"]
    )
    cat = np.where(scope_i == 0, cat_i, cat_i + 3)
    headcount = rng.integers(1, 120, n_rows)
    ordinal = lambda k: np.clip(np.round(3 + 1.1 * z + rng.normal(0, 0.9, n_rows)), 1, k).astype(np.int64)  # noqa: E731
    raw_funds = np.round(np.exp(11 + 2.2 * z + rng.normal(0, 1, n_rows)), 2)
    funds = np.where(rng.random(n_rows) < 0.3, 0.0, raw_funds)
    sat = np.round(np.clip(0.9 - 0.05 * z + rng.normal(0, 0.05, n_rows), 0, 1), 3)
    sat_nan = rng.random(n_rows) < 0.05
    serv = ordinal(5).astype(float)
    serv[rng.random(n_rows) < 0.05] = np.nan
    ids = pc.binary_join_element_wise(
        "RP", pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n_rows + 1)), pa.string()), 8, "0"), ""
    )
    units = pc.binary_join_element_wise(
        "U", pc.utf8_lpad(pc.cast(pa.array(unit + 1), pa.string()), 6, "0"), ""
    )
    return pa.table(
        {
            "risk_point_id": ids,
            "unit_id": units,
            "scope": pa.array(SCOPES[scope_i]),
            "category": pa.array(cat_names[cat]),
            "headcount": headcount,
            "post_weight": ordinal(5),
            "funds_handled": funds,
            "discretion": ordinal(5),
            "service_relevance": pa.array(serv, from_pandas=True),
            "public_satisfaction": pa.array(np.where(sat_nan, np.nan, sat), from_pandas=True),
            "complaints": rng.poisson(headcount * 0.08 * np.exp(0.6 * z)),
            "cases": rng.poisson(headcount * 0.004 * np.exp(0.8 * z)),
            "media_exposure": rng.poisson(0.05 * np.exp(0.9 * z)),
            "consequence": np.clip(1 + rng.binomial(2, 1 / (1 + np.exp(-(z - 0.5)))), 1, 3),
        }
    )


def write_csv(n_rows: int, path: str, *, seed: int = 0) -> None:
    """Write :func:`make_table` to CSV."""
    pacsv.write_csv(make_table(n_rows, seed=seed), path)
