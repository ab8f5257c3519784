"""The public export fails closed (section 10 of 川纪发〔2012〕16号: publish "except what must be
kept confidential under the rules"): riskgrade.governance.confidentiality and public_export."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import riskgrade as rg
from riskgrade.governance import DisclosurePolicy, public_export
from riskgrade.governance.confidentiality import flag_columns, withheld_rows

SECRET = [
    "是",
    "Y",
    "y",
    "yes",
    "YES",
    "TRUE",
    "true",
    "1",
    "√",
    "✓",
    "绝密",
    "机密",
    "秘密",
    "涉密",
    True,
    1,
    1.0,
]
PUBLIC = ["否", "N", "n", "no", "No", "FALSE", "false", "0", "×", "公开", "非密", "不涉密", False, 0, 0.0]
HEADERS = [
    "是否涉密",
    "涉密",
    "密级",
    "保密",
    "confidential",
    "secret",
    "Confidential",
    "SECRET",
    "是否涉密(是/否)",
]


def _variant(text: str, how: int) -> str:
    """The same text as a person might type it: padded, full-width, upper case."""
    if how == 1:
        return f"  {text}\u3000"
    if how == 2:  # full-width ASCII
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    if how == 3:
        return text.upper()
    return text


def _graded(flags: list, header: str) -> pd.DataFrame:
    n = len(flags)
    return pd.DataFrame(
        {
            "risk_point_id": [f"r{i:03d}" for i in range(n)],
            "unit_id": "u1",
            "description": [f"point {i}" for i in range(n)],
            "level": [1 + i % 3 for i in range(n)],
            header: pd.Series(flags, dtype=object),
        }
    )


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(st.booleans(), st.integers(0, 100), st.integers(0, 3)), min_size=1, max_size=25),
    header=st.sampled_from(HEADERS),
    hhow=st.integers(0, 2),
)
def test_no_row_marked_secret_is_ever_published(rows, header, hhow):
    flags, secret = [], []
    for is_secret, pick, how in rows:
        pool = SECRET if is_secret else PUBLIC
        v = pool[pick % len(pool)]
        flags.append(_variant(v, how) if isinstance(v, str) else v)
        secret.append(is_secret)
    g = _graded(flags, _variant(header, hhow))
    out = public_export(g)
    published = set(out["risk_point_id"])
    expected = {f"r{i:03d}" for i, s in enumerate(secret) if not s}
    assert published == expected
    assert not flag_columns(list(out.columns))  # the flag itself never leaves


@settings(max_examples=100, deadline=None)
@given(
    good=st.lists(st.sampled_from([*SECRET, *PUBLIC]), min_size=0, max_size=10),
    bad=st.sampled_from(["2", "待定", "maybe", "-1", 2, 0.5, "是否", "yess"]),
    where=st.integers(0, 10),
    header=st.sampled_from(HEADERS),
)
def test_unreadable_flag_stops_the_export_naming_the_row(good, bad, where, header):
    flags = list(good)
    pos = min(where, len(flags))
    flags.insert(pos, bad)
    with pytest.raises(rg.InventoryValidationError) as ei:
        public_export(_graded(flags, header))
    fc = ei.value.failure_cases
    assert fc["row"].tolist() == [pos] and fc["reason"].tolist() == ["unreadable_flag"]
    assert fc["column"].tolist() == [header]
    assert f"file row {pos + 2}" in fc["message"].iloc[0]


def test_empty_flag_is_refused_or_withheld_never_published():
    g = _graded(["否", None, "", "  ", float("nan"), "是"], "是否涉密")
    with pytest.raises(rg.InventoryValidationError) as ei:
        public_export(g)
    assert sorted(ei.value.failure_cases["row"].tolist()) == [1, 2, 3, 4]
    assert set(ei.value.reasons) == {"empty_flag"}
    out = public_export(g, policy=DisclosurePolicy(on_empty="withhold"))
    assert out["risk_point_id"].tolist() == ["r000"]


def test_several_flag_columns_any_one_withholds():
    g = _graded(["否", "否", "是"], "是否涉密")
    g["密级"] = ["公开", "机密", "非密"]
    assert public_export(g)["risk_point_id"].tolist() == ["r000"]


def test_text_true_false_no_longer_withholds_everything():
    g = _graded(["FALSE", "TRUE", "false"], "confidential")
    assert public_export(g)["risk_point_id"].tolist() == ["r000", "r002"]


def test_confidential_fields_never_published_even_when_allow_listed():
    g = _graded(["否", "否"], "是否涉密")
    pol = DisclosurePolicy(
        columns=("risk_point_id", "description", "level", "是否涉密"), confidential=("风险描述",)
    )
    out = public_export(g, policy=pol)
    assert list(out.columns) == ["risk_point_id", "level"]


def test_chinese_headers_and_values_on_request():
    g = _graded(["否", "否", "否"], "是否涉密")
    g["scope"] = ["post", "unit", "division"]
    out = public_export(g, lang="zh")
    assert list(out.columns) == ["单位编号", "风险点编号", "风险层级", "风险描述", "等级"]
    assert out["等级"].tolist() == ["一级", "二级", "三级"]
    assert out["风险层级"].tolist() == ["岗位", "单位", "处（科、股）室"]  # section 5's word


def test_withheld_rows_without_flag_column_withholds_nothing():
    assert withheld_rows(pd.DataFrame({"a": [1, 2]})).tolist() == [False, False]
    with pytest.raises(ValueError):
        withheld_rows(pd.DataFrame({"a": [1]}), on_empty="publish")  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(
    flags=st.lists(
        st.sampled_from([*SECRET[:14], *PUBLIC[:12], "待定", "2", "maybe"]), min_size=1, max_size=8
    ),
    header=st.sampled_from(HEADERS),
)
def test_disclose_command_publishes_no_secret_row_and_writes_nothing_on_unreadable(
    tmp_path_factory, flags, header
):
    """Through ``riskgrade disclose``: a file is written only when every flag is readable, and then it
    holds exactly the rows marked public."""
    from riskgrade.cli import main

    d = tmp_path_factory.mktemp("disclose")
    g = _graded([str(f) for f in flags], header)
    g["unit_id"] = "U1"
    src, out = d / "graded.csv", d / "public.csv"
    g.to_csv(src, index=False, encoding="utf-8-sig")
    rc = main(["disclose", str(src), "-o", str(out)])
    unreadable = any(str(f) in ("待定", "2", "maybe") for f in flags)
    if unreadable:
        assert rc == 3 and not out.exists()
    else:
        assert rc == 0
        published = set(pd.read_csv(out, dtype=str, encoding="utf-8-sig")["风险点编号"])
        public = {f"r{i:03d}" for i, f in enumerate(flags) if str(f) in {str(p) for p in PUBLIC}}
        assert published == public
