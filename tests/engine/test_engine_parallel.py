"""Batch engine pipeline: parallel CSV formatting, ordered results, read-ahead, clean aborts."""

from __future__ import annotations

import filecmp
import io
import random
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import riskgrade as rg
import riskgrade.engine.output as output_mod
from riskgrade.engine import grade_file
from riskgrade.engine.compact import compact, restore
from riskgrade.engine.pool import Ordered
from riskgrade.engine.threads import prefetch
from riskgrade.engine.writers import Writer, format_csv, neutralise
from riskgrade.io import write_frame, write_result


@pytest.fixture(scope="module")
def inv_csv(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("par") / "inv.csv"
    inv = rg.datasets.make_inventory(1500, n_units=25, seed=11)
    inv["funds_handled"] = inv["funds_handled"].round().astype("int64")
    inv.loc[3, "unit_id"] = "=HYPERLINK(1)"  # a formula-like cell: neutralised in every part
    write_frame(inv, p)
    return p


@pytest.fixture(scope="module")
def reference(inv_csv, tmp_path_factory) -> Path:
    """The single-threaded DataFrame path's file (``RiskModel.grade`` + ``write_result``)."""
    out = tmp_path_factory.mktemp("ref") / "ref.csv"
    write_result(rg.RiskModel().grade(rg.read_inventory(inv_csv)), out)
    return out


@pytest.mark.parametrize("part_rows", [1, 37, 1 << 17])
def test_parallel_parts_same_bytes_as_single_threaded(inv_csv, reference, tmp_path, monkeypatch, part_rows):
    monkeypatch.setattr(output_mod, "_PART_ROWS", part_rows)
    out = tmp_path / "par.csv"
    grade_file(inv_csv, out, engine="local", batch_bytes=20_000)
    assert filecmp.cmp(reference, out, shallow=False)
    text = out.read_bytes()
    header = reference.read_bytes().split(b"\n", 1)[0]
    assert text.count(header) == 1  # the header once, at the top
    assert text.startswith(header)
    assert text.count(b"\n") == 1501
    assert b"\"'=HYPERLINK(1)\"" in text


def test_format_csv_parts_join_to_write_csv():
    """Rows formatted in slices by worker threads equal one ``write_csv`` of the whole table."""
    rng = np.random.default_rng(0)
    n = 5000
    t = pa.table({
        "id": pa.array(
            [f"r,{i}\"" if i % 7 == 0 else f"=r{i}" if i % 11 == 0 else f"r{i}" for i in range(n)]
        ),
        "x": pa.array(rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, n)),
        "k": pa.array(rng.integers(-5, 5, n)),
        "b": pa.array(rng.random(n) < 0.5),
        "z": pa.array(np.where(rng.random(n) < 0.2, np.nan, rng.random(n)), from_pandas=True),
    })
    whole = io.BytesIO()
    pacsv.write_csv(neutralise(t), whole, write_options=pacsv.WriteOptions(quoting_style="needed"))
    buf = io.BytesIO()
    w = Writer(buf, "csv", {})
    w.start(t.schema)
    pool = Ordered(2)
    for a in range(0, n, 333):
        for part in pool.submit(format_csv, t.slice(a, 333)):
            w.write(part)
    for part in pool.drain():
        w.write(part)
    pool.close()
    w.close()
    assert buf.getvalue() == b"\xef\xbb\xbf" + whole.getvalue()


def test_empty_table_gives_header_only():
    t = pa.table({"a": pa.array([], pa.string()), "b": pa.array([], pa.float64())})
    assert format_csv(t).size == 0
    buf = io.BytesIO()
    w = Writer(buf, "csv", {})
    w.start(t.schema)
    w.write(format_csv(t))
    w.close()
    assert buf.getvalue() == b'\xef\xbb\xbf"a","b"\n'


def test_ordered_pool_returns_in_submission_order():
    rnd = random.Random(3)

    def job(i: int) -> int:
        time.sleep(rnd.random() * 0.01)
        return i

    pool = Ordered(3)
    got: list[int] = []
    for i in range(60):
        got += pool.submit(job, i)
        assert len(pool.pending) <= 3  # bounded: at most threads jobs wait
    got += pool.drain()
    pool.close()
    assert got == list(range(60))
    inline = Ordered(0)
    assert inline.submit(job, 5) == [5]


def test_ordered_pool_raises_the_job_error_and_aborts():
    def job(i: int) -> int:
        if i == 4:
            raise ValueError("bad part 4")
        return i

    pool = Ordered(2)
    got: list[int] = []
    with pytest.raises(ValueError, match="bad part 4"):
        for i in range(20):
            got += pool.submit(job, i)
    pool.abort()
    assert got == [0, 1, 2, 3]


def test_prefetch_keeps_order_raises_in_order_and_stops_early():
    produced: list[int] = []

    def items():
        for i in range(10):
            produced.append(i)
            if i == 6:
                raise RuntimeError("read failed at 6")
            yield i

    got = []
    with pytest.raises(RuntimeError, match="read failed at 6"):
        for x in prefetch(items(), depth=2):
            got.append(x)
    assert got == [0, 1, 2, 3, 4, 5]

    stop_seen = threading.Event()

    def endless():
        i = 0
        try:
            while True:
                yield i
                i += 1
        finally:
            stop_seen.set()

    it = prefetch(endless(), depth=1)
    assert [next(it) for _ in range(3)] == [0, 1, 2]
    it.close()  # the consumer stops: the producer stops at its next item
    assert stop_seen.wait(5)


@pytest.mark.parametrize("error", [KeyboardInterrupt, OSError])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_error_in_a_worker_leaves_no_output(inv_csv, tmp_path, monkeypatch, error, fmt):
    """An interrupt or error while parts are formatted leaves no file, partial or temporary."""
    monkeypatch.setattr(output_mod, "_PART_ROWS", 100)
    monkeypatch.setattr(output_mod, "_GROUP_ROWS", 100)
    calls = {"n": 0}
    real = output_mod.output_part

    def failing(*args):
        calls["n"] += 1
        if calls["n"] == 4:
            raise error("stopped")
        return real(*args)

    monkeypatch.setattr(output_mod, "output_part", failing)
    out = tmp_path / f"out.{fmt}"
    with pytest.raises(error):
        grade_file(inv_csv, out, engine="local", batch_bytes=20_000)
    assert calls["n"] >= 4
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_compaction_is_exact():
    """Kept batches are smaller and restore to the same values (and -0.0 stays -0.0)."""
    n = 3000
    t = pa.table({
        "i": pa.array(np.arange(n) % 100),
        "f_int": pa.array(np.where(np.arange(n) % 9 == 0, np.nan, np.arange(n) % 5), from_pandas=True),
        "f_neg0": pa.array(np.where(np.arange(n) % 2 == 0, -0.0, 1.0)),
        "f": pa.array(np.arange(n) / 7),
        "s": pa.array(["post", "unit", "division"] * (n // 3)),
        "big": pa.array(np.arange(n) * (1 << 40)),
    })
    c = compact(t)
    assert c.nbytes < t.nbytes
    assert c.schema.field("i").type == pa.int8()
    assert c.schema.field("f_int").type == pa.int8()
    assert c.schema.field("f_neg0").type == pa.float64()
    assert c.schema.field("s").type == pa.dictionary(pa.int8(), pa.string())
    back = pa.table([restore(col, typ) for col, typ in zip(c.columns, t.schema.types, strict=True)],
                    names=t.column_names)
    assert back.equals(t)
    assert np.signbit(back.column("f_neg0").to_numpy()[0])


def test_parquet_row_groups_join_batches(inv_csv, tmp_path, monkeypatch):
    """Parquet parts join consecutive batches into row groups of at least ``_GROUP_ROWS`` rows."""
    import pyarrow.parquet as pq

    whole = tmp_path / "whole.parquet"
    grade_file(inv_csv, whole, engine="local")
    monkeypatch.setattr(output_mod, "_GROUP_ROWS", 400)
    out = tmp_path / "groups.parquet"
    grade_file(inv_csv, out, engine="local", batch_bytes=20_000)
    meta = pq.ParquetFile(out).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert len(sizes) > 1 and all(s >= 400 for s in sizes[:-1]) and sum(sizes) == 1500
    assert pq.read_table(out).equals(pq.read_table(whole))
