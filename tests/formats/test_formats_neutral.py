"""Formula neutralising: every text type and the headers; the round trip write -> read is exact."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade as rg
from riskgrade.formats import neutralise, unneutralise
from riskgrade.formats.neutral import FORMULA_START
from riskgrade.io import write_frame

RISKY = ["=1+1", "+33", "-RP20", "-2.5", "@SUM(A1)", "\tx", "\rx", "'=x", "''-y", "ok", "a=b", ""]


def _csv_text(table: pa.Table) -> str:
    sink = pa.BufferOutputStream()
    pacsv.write_csv(neutralise(table), sink)
    return sink.getvalue().to_pybytes().decode()


@pytest.mark.parametrize(
    "typ", [pa.string(), pa.large_string(), pa.string_view(), pa.dictionary(pa.int32(), pa.string())]
)
def test_every_text_type_is_neutralised(typ):
    base = pa.array(RISKY)
    arr = base.dictionary_encode() if pa.types.is_dictionary(typ) else base.cast(typ)
    out = neutralise(pa.table({"c": arr}))["c"]
    values = out.cast(pa.string()).to_pylist() if not pa.types.is_dictionary(out.type) else [
        str(v) for v in out.to_pylist()
    ]
    for before, after in zip(RISKY, values, strict=True):
        if before.lstrip("'")[:1] in FORMULA_START and before.lstrip("'"):
            assert after == "'" + before
        else:
            assert after == before


def test_categorical_column_from_pandas_is_neutralised(tmp_path):
    frame = pd.DataFrame({"risk_point_id": ["a", "b"], "note": pd.Categorical(["=cmd|' /C calc'!A0", "x"])})
    p = tmp_path / "o.csv"
    write_frame(frame, p)
    text = p.read_text(encoding="utf-8-sig")
    assert "'=cmd" in text and ",=cmd" not in text


def test_headers_are_neutralised_and_restored(tmp_path):
    frame = pd.DataFrame({"risk_point_id": ["a"], "=HYPERLINK(\"http://x\")": ["v"]})
    p = tmp_path / "o.csv"
    write_frame(frame, p)
    assert '"\'=HYPERLINK(' in p.read_text(encoding="utf-8-sig").splitlines()[0]
    assert list(rg.read_inventory(p).columns) == ["risk_point_id", "=HYPERLINK(\"http://x\")"]


text_values = st.one_of(
    st.sampled_from(RISKY),
    st.text(alphabet=st.sampled_from(list("=+-@'\t\rab1.中 ,\"")), max_size=8),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.one_of(st.none(), text_values), min_size=1, max_size=12))
def test_round_trip_write_read_is_exact(values, tmp_path_factory):
    """Whatever text a column holds, reading back the CSV riskgrade wrote gives the same text."""
    d = tmp_path_factory.mktemp("rt")
    frame = pd.DataFrame({"risk_point_id": [f"r{i}" for i in range(len(values))], "note": values})
    frame["note"] = frame["note"].astype(object)
    p = d / "o.csv"
    write_frame(frame, p)
    back = rg.read_inventory(p)
    got = [None if pd.isna(v) else v for v in back["note"].tolist()]
    # an empty text is written as an empty field and reads back as missing
    want = [None if v in (None, "") else v for v in values]
    if all(v is None for v in want):
        return  # an all-empty column has no text type to come back as
    if all(v is None or _numeric(v) for v in want):
        return  # a column of numbers reads back as numbers
    assert got == want


def _numeric(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def test_unneutralise_undoes_exactly_one_prefix():
    t = pa.table({"a": ["'-RP20", "''=x", "'plain", "-raw"]})
    assert unneutralise(t)["a"].to_pylist() == ["-RP20", "'=x", "'plain", "-raw"]
    assert unneutralise(neutralise(t))["a"].to_pylist() == t["a"].to_pylist()


def test_ahp_into_a_closed_pipe_ends_quietly(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text(",a,b,c\na,1,3,5\nb,1/3,1,3\nc,1/5,1/3,1\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "riskgrade", "ahp", str(p)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait() == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err
