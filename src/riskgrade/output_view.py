"""What the graded file shows: the user's columns, five result columns, in the user's language.

By default the written file holds the input columns under the headers the user
wrote, then ``score``, ``level``, ``rank_in_unit``, ``quota_demoted`` and ``reason``
(the quota's reason, empty for rows the quota did not touch), named in the chosen
language, and any column the run asked for (``probability`` of a calibrated or supervised
model, the level probabilities of ``--uncertainty``). ``--explain`` adds every other
result column (provisional level, unit size, cap, tie and exception flags, factor scores
and contributions). In Chinese
(the default when most headers are Chinese) the scope, category and source codes are
written in the document's words. A header whose unit was converted (``处置资金（万元）``)
is written with the canonical unit (``处置资金（元）``), since the values are then in 元.

:class:`OutputView` is applied to a pandas frame (:meth:`OutputView.frame`) by the
in-memory path and to each Arrow part by the batch engine (:meth:`OutputView.table`).
The Python API (``GradingResult.frame``) keeps every column under canonical names.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_RESULT_COLUMNS", "OutputView", "build_view", "read_headers", "reasons_text"]

#: Result columns of the default graded file.
DEFAULT_RESULT_COLUMNS = ("score", "level", "rank_in_unit", "quota_demoted", "reason")
_RESULT_ZH = {"score": "风险指数", "level": "风险等级", "rank_in_unit": "单位内排名",
              "quota_demoted": "因限额降级", "reason": "理由"}
_ENUMS = ("scope", "category", "identified_by")


@dataclass(frozen=True)
class OutputView:
    """Which columns the graded file holds and what they are called.

    Attributes
    ----------
    lang : {"zh", "en"}
        Language of result headers and enumerated values.
    explain : bool
        Keep every result column (factor scores and contributions included).
    headers : dict
        Canonical input column -> header written.
    """

    lang: str = "en"
    explain: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def keep(self, column: str) -> bool:
        """Whether a result column is written (columns asked for, e.g. level probabilities, are)."""
        return self.explain or column in DEFAULT_RESULT_COLUMNS or not is_result_column(column)

    def name(self, column: str) -> str:
        """Header written for a column (input or result)."""
        if column in self.headers:
            return self.headers[column]
        if self.lang == "zh":
            if column in _RESULT_ZH:
                return _RESULT_ZH[column]
            from riskgrade.i18n import column_label

            return column_label(column, "zh")
        return column

    def frame(self, frame: pd.DataFrame, input_columns: Sequence[str]) -> pd.DataFrame:
        """The written form of a graded frame (input columns first, in their order)."""
        inputs = [c for c in frame.columns if c in set(input_columns)]
        results = [c for c in frame.columns if c not in set(input_columns) and self.keep(c)]
        out = frame[inputs + results].copy()
        if self.keep("reason") and "reason" not in out.columns:
            out["reason"] = reasons_text(frame, self.lang)
        if self.lang == "zh":
            for c in _ENUMS:
                if c in out.columns:
                    out[c] = _labels(c, out[c].to_numpy(dtype=object))
        out.columns = [self.name(str(c)) for c in out.columns]
        return out

    def table(self, table: Any) -> Any:
        """The written form of an Arrow part (batch engine)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        names = table.column_names
        cols = []
        keep_names = []
        for c, col in zip(names, table.columns, strict=True):
            if c in self.headers or self.keep(c):
                if self.lang == "zh" and c in _ENUMS and (pa.types.is_string(col.type)
                                                          or pa.types.is_large_string(col.type)):
                    enc = pc.dictionary_encode(col).combine_chunks()
                    labels = _labels(c, np.asarray(enc.dictionary.to_pylist(), dtype=object))
                    col = pc.take(pa.array(list(labels), type=col.type), enc.indices)
                cols.append(col)
                keep_names.append(self.name(c))
        return pa.table(cols, names=keep_names)


_RESULT_ALL = frozenset({"score", "level", "level_provisional", "rank_in_unit", "n_in_unit", "quota_cap",
                         "quota_demoted", "quota_tie", "quota_exception", "reason"})


def is_result_column(name: str) -> bool:
    """Whether a column is one grading adds."""
    return name in _RESULT_ALL or name.startswith(("factor_", "contrib_"))


def _labels(column: str, values: np.ndarray) -> np.ndarray:
    from riskgrade.i18n import value_label

    cache: dict[Any, Any] = {}
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out[i] = v
            continue
        if v not in cache:
            cache[v] = value_label(column, v, "zh")
        out[i] = cache[v]
    return out


def reasons_text(frame: pd.DataFrame, lang: str) -> np.ndarray:
    """The quota's reason for each row (``None`` where the quota changed nothing)."""
    n = len(frame)
    out = np.full(n, None, dtype=object)
    if n == 0 or "quota_demoted" not in frame:
        return out
    dem = frame["quota_demoted"].to_numpy(dtype=bool)
    exc = frame["quota_exception"].to_numpy(dtype=bool) if "quota_exception" in frame else np.zeros(n, bool)
    rank = frame["rank_in_unit"].to_numpy()
    nu = frame["n_in_unit"].to_numpy() if "n_in_unit" in frame else np.zeros(n, int)
    cap = frame["quota_cap"].to_numpy() if "quota_cap" in frame else np.zeros(n, int)
    for i in np.flatnonzero(dem | exc):
        out[i] = reason_one(bool(dem[i]), int(rank[i]), int(nu[i]), int(cap[i]), lang)
    return out


def reason_one(demoted: bool, rank: int, n: int, cap: int, lang: str) -> str:
    """Reason text of one row the quota touched."""
    if demoted:
        if lang == "zh":
            return f"限额降级：一级→二级（单位内第{rank}名，共{n}个风险点，一级上限{cap}个）"
        return f"quota: level 1 -> 2 (rank {rank} of {n} in the unit, cap {cap})"
    if lang == "zh":
        return f"小单位例外：保留一级（共{n}个风险点，按比例上限为0）"
    return f"small-unit exception: level 1 kept ({n} points, cap by share 0)"


def read_headers(path: str | Path, encoding: str | None = None) -> list[str]:
    """Header names of an inventory file as written (CSV first line, Parquet schema)."""
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes]
    if ".parquet" in suffixes or ".pq" in suffixes:
        import pyarrow.parquet as pq

        return list(pq.read_schema(p).names)
    import csv
    import io

    import pyarrow as pa

    from riskgrade.io import detect_encoding

    with pa.input_stream(str(p), compression="detect") as fh:  # .gz, .zst, .bz2 by suffix
        head = fh.read(1 << 16)
    if encoding:
        enc = encoding
    elif any(s in (".gz", ".zst", ".bz2", ".lz4") for s in suffixes):
        enc = "utf-8-sig"
    else:
        enc = detect_encoding(p)
    text = head.decode(enc, errors="ignore").lstrip("\ufeff")
    first = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
    return [h.strip() for h in first]


def build_view(
    raw_headers: Sequence[str], canonical: Sequence[str], *, lang: str | None, explain: bool
) -> OutputView:
    """The view of a graded file from the input's headers.

    ``lang=None`` picks Chinese when most headers hold Chinese characters. In
    Chinese the input columns keep the user's headers; in English they take their
    canonical names.
    """
    from riskgrade.i18n import contains_cjk
    from riskgrade.units import MONEY_UNITS, header_scale
    from riskgrade.words import split_header

    if lang is None:
        cjk = sum(contains_cjk(h) for h in raw_headers)
        lang = "zh" if raw_headers and cjk * 2 >= len(raw_headers) else "en"
    headers: dict[str, str] = {}
    if lang == "zh":
        for raw, canon in zip(raw_headers, canonical, strict=True):
            name, unit = split_header(raw)
            if unit is not None:
                kind = _kinds().get(str(canon))
                scale, _p = header_scale(kind, unit) if kind else (None, None)
                if kind == "money" and scale is not None and scale != MONEY_UNITS["元"]:
                    raw = f"{name}（元）"
                elif kind == "share" and scale is not None:
                    raw = f"{name}（0-1）"
            headers.setdefault(str(canon), str(raw))
    return OutputView(lang=lang, explain=explain, headers=headers)


def _kinds() -> dict[str, str]:
    from riskgrade.catalogs import sichuan_2012
    from riskgrade.units import column_kinds

    return column_kinds(sichuan_2012())


def view_json(view: OutputView) -> str:
    """The view as JSON (for provenance)."""
    return json.dumps({"lang": view.lang, "explain": view.explain}, sort_keys=True)


def complete_graded(frame: pd.DataFrame, provenance: dict[str, Any] | None) -> pd.DataFrame:
    """Rebuild the quota columns a default graded file leaves out (for the report).

    A graded file written without ``--explain`` holds ``score``, ``level``,
    ``rank_in_unit``, ``quota_demoted`` and ``reason``. The report also reads the
    unit size, the cap, the provisional level and the exception flag; they follow from
    what is written: ``n_in_unit`` is the unit's row count, the cap is
    ``floor(max_share * n)`` (the provenance's share) or the unit's level-one count when
    a small-unit exception kept more, a demoted point was provisionally level one, and
    a level-one point in a unit whose share cap is 0 is an exception. Ties at the
    cut-off are not recoverable and read as ``False`` (the audit file lists them).
    Frames that already hold the columns are returned unchanged.
    """
    need = ("level_provisional", "quota_cap", "quota_tie", "quota_exception", "n_in_unit")
    if not {"level", "rank_in_unit", "quota_demoted"} <= set(frame.columns) or all(
        c in frame.columns for c in need
    ):
        return frame
    from riskgrade.grading import unit_caps

    prov = provenance or {}
    by = str(prov.get("quota_by", "unit_id"))
    f = frame.copy()
    key = f[by].astype(str) if by in f.columns else pd.Series("", index=f.index)
    level = pd.to_numeric(f["level"], errors="coerce").to_numpy()
    demoted = f["quota_demoted"].astype(str).str.lower().isin(("true", "1", "是", "yes")).to_numpy()
    n = key.map(key.value_counts()).to_numpy(dtype=np.int64)
    share_cap = unit_caps(n, float(prov.get("max_share", 0.1)), str(prov.get("quota_rounding", "floor")))
    l1 = pd.Series(level == 1, index=f.index).groupby(key).transform("sum").to_numpy(dtype=np.int64)
    f["quota_demoted"] = demoted
    if "n_in_unit" not in f:
        f["n_in_unit"] = n
    if "quota_cap" not in f:
        f["quota_cap"] = np.maximum(share_cap, l1)
    if "level_provisional" not in f:
        f["level_provisional"] = np.where(demoted, 1, level).astype(np.int64)
    if "quota_exception" not in f:
        f["quota_exception"] = (level == 1) & (share_cap == 0)
    if "quota_tie" not in f:
        f["quota_tie"] = False
    return f


def small_unit_sentence(info: dict[str, Any], lang: str) -> str:
    """The small-unit finding as one sentence (run summary, report)."""
    t, u, d = info["threshold"], info["units"], info["demoted"]
    if lang == "zh":
        return (f"{u} 个单位风险点少于 {t} 个，按比例一级上限为 0，其中 {d} 个一级候选因此降为二级；"
                f"如需保留一个，可在配置中设 {info['option']} = 1（或调整 quota.rounding）。")
    return (f"{u} units have fewer than {t} points, so their share cap is 0: {d} level-one candidates "
            f"were demoted there; set {info['option']} = 1 (or quota.rounding) in the config to keep one.")
