"""Fuzzing ``score`` and ``validate`` with mutated CSV bytes: a clean result or exit 3, never exit 1.

A small valid inventory is mutated (random bytes, quotes, line ends of every kind, byte-order
marks, separators, NUL bytes, deletions, truncation) and graded in-process. The outcome must
be one of two:

- exit 0, and every input row (counted by Python's ``csv`` module on the text as riskgrade
  decodes it) is graded or rejected, and every graded id is an id of the input;
- exit 3 with nothing written.

The examples are derandomised (the same on every run) and bounded for CI.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskgrade.cli import main
from riskgrade.datasets import make_inventory
from riskgrade.io import detect_encoding

_BASE = make_inventory(6, seed=11).to_csv(index=False).encode("utf-8")
_PIECES = [b'"', b",", b"\n", b"\r", b"\r\n", b"\x00", b"\xef\xbb\xbf", b";", b"\t", b'""', b"=1+1",
           b"\xff\xfe", b"\xe4\xb8\xad", b" "]


@st.composite
def _mutated(draw) -> bytes:
    data = bytearray(_BASE)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "replace", "delete", "truncate", "random"]))
        at = draw(st.integers(0, len(data)))
        if kind == "insert":
            data[at:at] = draw(st.sampled_from(_PIECES))
        elif kind == "replace" and at < len(data):
            data[at:at + 1] = draw(st.sampled_from(_PIECES))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif kind == "truncate":
            del data[at:]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


def _input_rows(path: Path) -> tuple[int, set[str]] | None:
    """Data rows and ids as Python's ``csv`` module reads the file (``None``: it cannot)."""
    try:
        text = path.read_bytes().decode(detect_encoding(path))
        rows = [r for r in csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")) if r]
    except (UnicodeDecodeError, csv.Error):
        return None
    if not rows or "risk_point_id" not in rows[0]:
        return None
    i = rows[0].index("risk_point_id")
    return len(rows) - 1, {r[i] for r in rows[1:] if len(r) > i}


def _count(path: Path) -> tuple[int, list[str]]:
    t = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(newlines_in_values=True),
                       convert_options=pacsv.ConvertOptions(column_types={"risk_point_id": pa.string()},
                                                            strings_can_be_null=False))
    ids = t.column("risk_point_id").to_pylist() if "risk_point_id" in t.column_names else []
    return t.num_rows, ids


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=_mutated(), engine=st.sampled_from(["local", "stream"]))
def test_mutated_csv_clean_result_or_exit_3(tmp_path_factory, data, engine):
    """Exit 0 with every row accounted for and no invented row, or exit 3 with nothing written."""
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "inv.csv"
    path.write_bytes(data)
    rc_v = main(["validate", str(path)])
    assert rc_v in (0, 3)
    out = folder / "out.csv"
    rc = main(["score", str(path), "-o", str(out), "-q", "--on-error", "quarantine", "--engine", engine])
    assert rc in (0, 3)
    if rc == 3:
        assert sorted(p.name for p in folder.iterdir()) == ["inv.csv"]
        return
    graded, ids = _count(out)
    rejects = folder / "out.rejects.csv"
    rejected = _count(rejects)[0] if rejects.exists() else 0
    seen = _input_rows(path)
    if seen is not None:
        n_in, in_ids = seen
        assert graded + rejected == n_in
        assert set(ids) <= in_ids
    if rc_v == 0:  # valid for validate: nothing rejected by score either
        assert rejected == 0


@pytest.mark.parametrize("data", [b"\x00" * 64, b"\xff\xfe" + "id,x\n1,2\n".encode("utf-16-le"),
                                  b"PAR1" + bytes(range(256)), b'"' * 3, b"\xef\xbb\xbf"])
def test_garbage_files_exit_3(tmp_path, data):
    """NUL bytes, UTF-16 with a byte-order mark, a broken Parquet-like file, lone quotes: exit 3."""
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert main(["validate", str(path)]) == 3
    assert main(["score", str(path), "-o", str(tmp_path / "o.csv")]) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]
