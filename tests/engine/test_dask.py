"""Dask backend: same grades as the DataFrame path, with and without the shuffle."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

import numpy as np
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


# ---------------------------------------------------------------------------------- CSV input
def _line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


def _cell_across_edge(path: Path, edge: int) -> tuple[int, str]:
    """Write an inventory whose ``notes`` cell opens before byte ``edge`` and has a line end at ``edge + 5``.

    The text after that line end looks like a whole row (id ``RPINJECTED``): a reader that
    cuts a partition at the first line end after ``edge`` -- Dask's own CSV reader does --
    injects that row and cuts the cell short.
    """
    frame = rg.datasets.make_inventory(600, n_units=8, seed=5)
    rows = [["" if pd.isna(v) else str(v) for v in r] for r in frame.itertuples(index=False)]
    lines = [_line([*frame.columns, "notes"])] + [_line([*r, ""]) for r in rows]
    starts = np.cumsum([0] + [len(ln.encode("utf-8")) for ln in lines])
    opens = [int(starts[i]) + len(_line([*rows[i - 1], "x"]).encode("utf-8")) - 2
             for i in range(1, len(lines))]  # offset of the cell's opening quote
    k = max(i for i in range(1, len(lines)) if opens[i - 1] < edge - 2)
    fake = ",".join(["RPINJECTED", *rows[k - 3][1:], "z"])
    note = "h" * (edge + 5 - opens[k - 1] - 1) + "\n" + fake
    lines[k] = _line([*rows[k - 1], note])
    data = "".join(lines).encode("utf-8")
    assert data.index(b"\n", opens[k - 1]) == edge + 5 and data[opens[k - 1]] == ord('"')
    path.write_bytes(data)
    return len(rows), note


@pytest.mark.parametrize("blocksize", [3000, 9000])
def test_multiline_cell_across_partition_edge_graded_like_local_engine(tmp_path, blocksize):
    """A two-line cell across a partition edge: every input row once, nothing injected,
    the cell whole, and the graded file byte for byte the local engine's."""
    from riskgrade.engine import grade_file
    from riskgrade.engine.csv_blocks import row_ranges

    src = tmp_path / "inv.csv"
    n, note = _cell_across_edge(src, 2 * blocksize)
    assert len(row_ranges(src, blocksize)[1]) > 10  # many partitions
    a, b = tmp_path / "dask.csv", tmp_path / "local.csv"
    s = grade_dask_file(src, a, processes=False, n_workers=2, blocksize=blocksize)
    t = grade_file(src, b)
    got = pd.read_csv(a, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(got) == n and s.rows_in == n
    assert "RPINJECTED" not in set(got["risk_point_id"])
    assert note in set(got["notes"])
    assert a.read_bytes() == b.read_bytes()
    assert s.levels == t.levels


def test_unprovable_cut_leaves_the_rest_in_one_range(tmp_path):
    """A stray quote (``ab"c``) stops the proof: the rows from there on are one range."""
    from riskgrade.engine.csv_blocks import row_ranges

    src = tmp_path / "inv.csv"
    _cell_across_edge(src, 6000)
    data = src.read_bytes()
    stray = data.index(b"\n", 12000) + 1
    cells = data[stray:data.index(b"\n", stray)].split(b",")
    cells[1] = cells[1][:1] + b'"' + cells[1][1:]
    data = data[:stray] + b",".join(cells) + data[data.index(b"\n", stray):]
    src.write_bytes(data)
    header_end, ranges = row_ranges(src, 2000)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert all(e == s for (_, e), (s, _) in itertools.pairwise(ranges))
    assert ranges[-1][0] <= stray and ranges[-1][1] - ranges[-1][0] > 2 * 2000
    assert data[header_end - 1:header_end] == b"\n" and b"\n" not in data[:header_end - 1]


def test_zstd_csv_graded_like_the_plain_file_by_local_engine(tmp_path):
    """A zstd CSV (one partition) on the Dask path: the local engine's graded file of the plain CSV."""
    import pyarrow as pa

    from riskgrade.engine import grade_file

    src = tmp_path / "inv.csv"
    _cell_across_edge(src, 5000)
    packed = tmp_path / "inv.csv.zst"
    with pa.CompressedOutputStream(str(packed), "zstd") as fh:
        fh.write(src.read_bytes())
    grade_dask_file(packed, tmp_path / "a.csv", processes=False, n_workers=1)
    grade_file(src, tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_cli_engine_dask_multiline_cell_same_file_as_local(tmp_path, monkeypatch):
    """``riskgrade score --engine dask`` (small partitions): every row once, and the values
    (scores, levels, the two-line cell) the local engine writes."""
    from riskgrade.cli import main
    from riskgrade.engine import dask_backend

    monkeypatch.setattr(dask_backend, "CSV_PARTITION_BYTES", 3000)
    src = tmp_path / "inv.csv"
    n, _ = _cell_across_edge(src, 6000)
    a, b = tmp_path / "dask.csv", tmp_path / "local.csv"
    assert main(["score", str(src), "-o", str(a), "-q", "--engine", "dask"]) == 0
    assert main(["score", str(src), "-o", str(b), "-q"]) == 0
    # the CLI's output view (chosen columns, ``reason``) applies to the local engines only:
    # compare the columns both write, values as written
    fa, fb = (pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False) for p in (a, b))
    common = [c for c in fb.columns if c in fa.columns]
    assert {"risk_point_id", "notes", "score", "level", "quota_demoted"} <= set(common)
    assert len(fa) == n
    pd.testing.assert_frame_equal(fa[common], fb[common])
