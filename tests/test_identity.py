"""Identity spellings (issue 15): one unit per code whatever the spelling, in every engine.

The concrete case of the issue: a six-unit inventory whose unit ``U0001`` is typed as
``U0001``, ``U0001 ``, `` U0001``, full-width ``Ｕ０００１`` and with an ideographic space
was graded as ten units, and U0001 lost its two level-one risk points (each spelling
got a quota of its own). Folding (NFKC, trimmed, case kept) restores the six units and
the grades of the clean file, byte for byte, in the DataFrame path and both engines.
"""

from __future__ import annotations

import unicodedata
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade as rg
from riskgrade.cli import main
from riskgrade.datasets import make_inventory
from riskgrade.engine import grade_file
from riskgrade.identity import IdentityPolicy, fold_array, identity_report

SPELLINGS = ["U0001", "U0001 ", " U0001", "Ｕ０００１", "U0001\u3000"]


def _quiet_grade(model, frame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rg.DataWarning)
        return model.grade(frame)


@pytest.fixture(scope="module")
def clean():
    return make_inventory(300, n_units=6, seed=7)


@pytest.fixture(scope="module")
def messy(clean):
    m = clean.copy()
    vals = m["unit_id"].to_numpy(dtype=object)
    for k, i in enumerate(np.flatnonzero(m["unit_id"] == "U0001")):
        vals[i] = SPELLINGS[k % len(SPELLINGS)]
    m["unit_id"] = vals
    m["risk_point_id"] = [f" {x}" if i % 3 == 0 else x for i, x in enumerate(m["risk_point_id"])]
    return m


def _level_one(frame, unit):
    return int((frame.loc[frame["unit_id"] == unit, "level"] == 1).sum())


def test_issue_case_six_units_stay_six_and_u0001_keeps_its_level_one(clean, messy):
    base = _quiet_grade(rg.RiskModel(), clean).frame
    assert base["unit_id"].nunique() == 6 and _level_one(base, "U0001") == 2
    got = _quiet_grade(rg.RiskModel(), messy).frame
    # before folding: 10 units and U0001 with no level one
    assert got["unit_id"].nunique() == 6
    assert _level_one(got, "U0001") == 2
    pd.testing.assert_frame_equal(got, base)


@pytest.mark.parametrize("engine", ["local", "stream"])
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_engines_write_the_clean_file_bytes(clean, messy, tmp_path, engine, kind):
    ref = tmp_path / "ref.csv"
    rg.write_result(_quiet_grade(rg.RiskModel(), clean), ref)
    src = tmp_path / f"messy.{kind}"
    if kind == "csv":
        messy.to_csv(src, index=False)
    else:
        messy.to_parquet(src)
    out = tmp_path / "out.csv"
    grade_file(src, out, rg.RiskModel(), engine=engine)
    assert out.read_bytes() == ref.read_bytes()


def test_dask_backend_folds_like_the_others(clean, messy):
    dd = pytest.importorskip("dask.dataframe")
    from riskgrade.engine.dask_backend import grade_dask

    got = grade_dask(dd.from_pandas(messy, npartitions=3), rg.RiskModel()).compute(scheduler="sync")
    got = got.sort_values("_row").reset_index(drop=True)
    base = _quiet_grade(rg.RiskModel(), clean).frame
    assert got["unit_id"].nunique() == 6
    np.testing.assert_array_equal(got["level"], base["level"])
    assert got["risk_point_id"].tolist() == base["risk_point_id"].tolist()


def test_case_is_kept_and_reported(clean):
    m = clean.copy()
    m.loc[m.index[:5], "unit_id"] = "u0001"
    inv = rg.read_inventory(m)
    assert set(inv["unit_id"]) >= {"u0001", "U0001"}
    rep = identity_report(inv)
    case = rep[rep["kind"] == "case"]
    assert set(case["value"]) == {"u0001", "U0001"}
    assert (case["normalised"] == "u0001").all()
    assert int(case.loc[case["value"] == "u0001", "rows"].iloc[0]) == 5
    folded = rg.RiskModelConfig.model_validate(
        {**rg.default_config().model_dump(mode="json"), "identity": {"casefold": True}}
    )
    inv2 = rg.read_inventory(m, folded)
    assert "U0001" not in set(inv2["unit_id"]) and "u0001" in set(inv2["unit_id"])
    assert identity_report(inv2, folded).query("kind == 'case'").empty


def test_policy_none_keeps_spellings_apart(messy):
    cfg = rg.RiskModelConfig.model_validate(
        {**rg.default_config().model_dump(mode="json"), "identity": {"normalize": "none"}}
    )
    assert _quiet_grade(rg.RiskModel(cfg), messy).frame["unit_id"].nunique() == 10


def test_policy_is_strict_and_in_the_json_schema():
    with pytest.raises(rg.ConfigError, match=r"identity\.casefold"):
        rg.config_from_dict({"identity": {"casefold": 1}})
    with pytest.raises(rg.ConfigError, match=r"identity\.normalize"):
        rg.config_from_dict({"identity": {"normalize": "nfc"}})
    with pytest.raises(rg.ConfigError, match=r"identity\.lower"):
        rg.config_from_dict({"identity": {"lower": True}})
    assert "identity" in rg.config.config_json_schema()["properties"]
    # the default policy leaves the config's hash as it was
    assert "identity" not in rg.default_config().model_dump(mode="json")


def test_trailing_space_no_longer_hides_a_duplicate(clean, tmp_path):
    m = clean.head(40).copy()
    m.loc[m.index[7], "risk_point_id"] = m["risk_point_id"].iloc[3] + " "
    with pytest.raises(rg.InventoryValidationError) as e:
        rg.validate_inventory(m)  # a raw frame, not read by riskgrade: the check folds too
    assert e.value.failure_cases["row"].tolist() == [3, 7]
    assert e.value.reasons == {"duplicate_id"}
    src = tmp_path / "dup.csv"
    m.to_csv(src, index=False)
    for engine in ("local", "stream"):
        with pytest.raises(rg.InventoryValidationError) as e:
            grade_file(src, tmp_path / "o.csv", rg.RiskModel(), engine=engine)
        assert e.value.reasons == {"duplicate_id"}


@pytest.mark.parametrize("bad", ["RP\u200b1", "RP1\u200d", "R\u2060P1", "RP\ufeff1", "RP\x071", "RP\t1",
                                 "RP\u202e1"])
def test_invisible_characters_rejected_with_the_value_escaped(clean, tmp_path, capsys, bad):
    m = clean.head(30).copy()
    m.loc[m.index[4], "risk_point_id"] = bad
    m.loc[m.index[6], "post_id"] = "P\u200b7"
    src = tmp_path / "in.csv"
    m.to_csv(src, index=False)
    assert main(["validate", str(src)]) == 3
    err = capsys.readouterr().err
    # data rows 4 and 6 (0-based) are lines 6 and 8 of the file (header = line 1)
    assert "row 6" in err and "invalid_id_character" in err and "'risk_point_id'" in err
    esc = ord(next(c for c in bad if unicodedata.category(c) in ("Cc", "Cf")))
    assert (f"\\x{esc:02x}" if esc < 0x100 else f"\\u{esc:04x}") in err
    assert "row 8" in err and "P\\u200b7" in err
    out = tmp_path / "g.csv"
    for engine in ("local", "stream"):
        grade_file(src, out, rg.RiskModel(), engine=engine, on_error="quarantine",
                   rejects=tmp_path / "rej.csv")
        rej = pd.read_csv(tmp_path / "rej.csv", encoding="utf-8-sig")
        assert sorted(rej["row"]) == [4, 6]
        assert rej["reject_reasons"].str.contains("invalid_id_character").all()


def test_validate_lists_the_mapping_on_stderr(messy, tmp_path, capsys):
    src = tmp_path / "m.csv"
    m = messy.copy()
    m.loc[m.index[1], "unit_id"] = "u0002"
    m.to_csv(src, index=False)
    assert main(["validate", str(src)]) == 0
    err = capsys.readouterr().err
    assert "unit_id 'Ｕ０００１' is read as 'U0001'" in err
    assert "unit_id 'U0001\\u3000' is read as 'U0001'" in err
    assert "unit_id 'u0002' differs from 'U0002' only by case" in err
    assert "risk_point_id: 90 more spelling(s) normalised" in err
    assert err.rstrip().endswith("300 rows, valid")


def test_fold_array_keeps_types_and_nulls():
    import pyarrow as pa

    d = pa.array(["Ｕ１", " U1", "U2", None]).dictionary_encode()
    out = fold_array(d)
    assert out.to_pylist() == ["U1", "U1", "U2", None]
    nums = pa.array([1, 2, None])
    assert fold_array(nums) is nums
    clean = pa.array(["U1", "U2"])
    assert fold_array(clean) is clean
    assert fold_array(pa.array(["cafe\u0301 "])).to_pylist() == ["café"]
    assert fold_array(pa.array([" U1"]), IdentityPolicy(normalize="none")).to_pylist() == [" U1"]


_VARIANTS = [
    lambda s: s,
    lambda s: s + " ",
    lambda s: " " + s,
    lambda s: "\u3000" + s + "\u00a0",
    lambda s: unicodedata.normalize("NFD", s),
    lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s),  # full width
    lambda s: s + "\t",
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_random_spellings_give_identical_levels(clean, data):
    """Any mix of spellings (and any row order) of the same ids gives the same levels."""
    base = _quiet_grade(rg.RiskModel(), clean.assign(unit_id=clean["unit_id"].str.replace("U", "Ü")))
    ref = base.frame.set_index("risk_point_id")["level"]
    m = clean.assign(unit_id=clean["unit_id"].str.replace("U", "Ü")).copy()
    n = len(m)
    for col in ("unit_id", "risk_point_id", "division_id"):
        picks = data.draw(st.lists(st.integers(0, len(_VARIANTS) - 1), min_size=n, max_size=n))
        m[col] = [_VARIANTS[k](v) if isinstance(v, str) else v for v, k in zip(m[col], picks, strict=True)]
    perm = data.draw(st.permutations(range(n)))
    m = m.iloc[list(perm)].reset_index(drop=True)
    got = _quiet_grade(rg.RiskModel(), m).frame.set_index("risk_point_id")["level"]
    pd.testing.assert_series_equal(got.sort_index(), ref.sort_index())


_ALPHABET = "aZ19-_ \t\n\r\u3000\u00a0Ｕ１é\u0301\u200b\x07\x7f\u2028"


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.text(alphabet=_ALPHABET, max_size=6)), max_size=30),
    cut=st.integers(0, 30),
)
def test_property_fold_and_check_match_python_unicodedata(values, cut):
    """Folding equals Python's NFKC + strip, the check Python's categories (any chunking, nulls)."""
    import pyarrow as pa

    from riskgrade.identity import invalid_character_mask

    cut = min(cut, len(values))
    arr = pa.chunked_array([pa.array(values[:cut], type=pa.string()),
                            pa.array(values[cut:], type=pa.string())])
    want = [None if v is None else unicodedata.normalize("NFKC", v).strip() for v in values]
    assert fold_array(arr).to_pylist() == want
    bad = [v is not None and any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in v)
           for v in values]
    assert invalid_character_mask(arr).tolist() == bad


def test_score_to_stdout_says_spellings_were_normalised(messy, tmp_path, capsys):
    src = tmp_path / "m.csv"
    messy.to_csv(src, index=False)
    assert main(["score", str(src), "-o", "-"]) == 0
    cap = capsys.readouterr()
    assert "some id spellings were normalised" in cap.err and "DataWarning" not in cap.err
    assert " RP0000001" not in cap.out and "RP0000001" in cap.out


def test_fold_frame_keeps_categorical_and_string_dtypes():
    from riskgrade.identity import fold_frame

    df = pd.DataFrame({
        "unit_id": pd.Categorical(["U1", " U1", "Ｕ２", None]),
        "risk_point_id": pd.array(["a ", "b", "c", "d"], dtype="string"),
        "post_id": [1, 2, 3, 4],
    })
    out = fold_frame(df)
    assert out["unit_id"].tolist()[:3] == ["U1", "U1", "U2"] and pd.isna(out["unit_id"].iloc[3])
    assert isinstance(out["unit_id"].dtype, pd.CategoricalDtype)
    assert out["risk_point_id"].tolist() == ["a", "b", "c", "d"] and out["risk_point_id"].dtype == "string"
    assert out["post_id"].tolist() == [1, 2, 3, 4]
    assert {(r["column"], r["value"]) for r in out.attrs["identity_folds"]} == {
        ("unit_id", " U1"), ("unit_id", "Ｕ２"), ("risk_point_id", "a ")
    }


def test_validate_names_the_file_rows_of_folded_spellings_and_invisible_characters(clean, tmp_path, capsys):
    m = clean.head(40).copy()
    m.loc[m.index[9], "unit_id"] = "Ｕ０００２"  # data row 9 (0-based): line 11 of the file
    m.loc[m.index[12], "risk_point_id"] = m["risk_point_id"].iloc[12] + " "  # line 14
    m.loc[m.index[20], "post_id"] = "P\u200b20"  # line 22
    m.loc[m.index[30], "risk_point_id"] = "RP\u200b30"  # line 32
    src = tmp_path / "in.csv"
    m.to_csv(src, index=False)
    assert main(["validate", str(src)]) == 3
    err = capsys.readouterr().err
    assert "unit_id 'Ｕ０００２' is read as 'U0002' (1 row(s), first at row 11)" in err
    assert f"risk_point_id '{m['risk_point_id'].iloc[12]}' is read as " in err
    assert "(1 row(s), first at row 14)" in err
    assert "row 22" in err and "P\\u200b20" in err and "invalid_id_character" in err
    assert "row 9)" not in err and "row 12)" not in err
    # the id beside the row is shown escaped, as in the message (a terminal shows no zero-width space)
    assert "row 32 ('RP\\u200b30'), column 'risk_point_id'" in err


def test_identity_warnings_follow_the_readers_rows():
    from riskgrade.identity import fold_frame, warning_lines
    from riskgrade.messages import identity_warnings

    f = pd.DataFrame({"risk_point_id": ["a", "b", "c "], "unit_id": ["U1", "U1", "U1"]})
    f.attrs["source_rows"] = [5, 7, 9]  # e.g. an Excel sheet with a title block and a blank line
    folded = fold_frame(f)
    assert identity_warnings(folded) == [
        "warning: risk_point_id 'c ' is read as 'c' (1 row(s), first at row 9)"
    ]
    assert warning_lines(folded) == [
        "warning: risk_point_id 'c ' is read as 'c' (1 row(s), first at position 2)"
    ]
    del folded.attrs["source_rows"]  # no reader rows: header = row 1, first data row = row 2
    assert identity_warnings(folded)[0].endswith("first at row 4)")
