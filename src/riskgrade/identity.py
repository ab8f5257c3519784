"""One spelling per identifier: folding of ids and unit codes, and invisible characters.

An inventory typed by hand or pasted from Excel spells the same unit in several ways:
``U0001``, ``U0001 `` (a trailing space), `` U0001``, full-width ``Ｕ０００１`` (a Chinese
input method), or a decomposed (NFD) form of an accented code. Left as they are, each
spelling is a unit of its own with its own level-one quota, and a risk-point id with a
trailing space passes the duplicate check. Every reader of riskgrade (``read_inventory``,
the batch engines, the Dask backend) therefore folds the identifier columns
(:data:`ID_COLUMNS` and the quota's ``by`` column) under the config's
:class:`IdentityPolicy` before anything else looks at them:

``normalize="nfkc_trim"`` (default)
    Unicode NFKC (full-width letters and digits become ASCII, composed and decomposed
    accents become one form, no-break and ideographic spaces become spaces), then white
    space trimmed at both ends.
``casefold=False`` (default)
    Case is kept: ``u0001`` and ``U0001`` stay two units, and
    :func:`identity_report` (``riskgrade validate``) warns that they differ only by case.
    ``casefold=True`` lower-cases ids (Unicode default lower-case mapping), so they fold.

The folding is done with Arrow's compute kernels (utf8proc), the same code in every
engine, so all engines see the same ids. Outputs carry the **folded** id: the graded file
is keyed by the identity riskgrade graded, and a later run on a differently spelled copy
of the same inventory writes the same bytes (see :func:`identity_report` for the mapping
from each spelling as written to the id written).

Control and format characters (Unicode categories Cc, Cf, Zl, Zp: zero-width space and
joiners U+200B..U+200D, word joiner U+2060, a byte-order mark U+FEFF inside a value,
bidirectional overrides, tabs and line breaks inside a value, ...) cannot be seen in a
spreadsheet and are never part of a real code: a value holding one after trimming is
rejected by validation (reason ``invalid_id_character``), the message showing the
character escaped (:func:`escape`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from typing import Protocol

    class RiskModelConfig(Protocol):
        """What this module reads of a :class:`riskgrade.config.RiskModelConfig` (config sits above it)."""

        identity: IdentityPolicy
        quota: Any

__all__ = [
    "ID_COLUMNS",
    "REPORT_COLUMNS",
    "IdentityPolicy",
    "escape",
    "fold_array",
    "fold_frame",
    "fold_table",
    "id_columns",
    "identity_report",
    "invalid_character_mask",
]

#: Identifier columns folded to one spelling (the quota's ``by`` column is added).
ID_COLUMNS: tuple[str, ...] = (
    "risk_point_id",
    "unit_id",
    "division_id",
    "post_id",
    "power_item_id",
    "flow_step_id",
)

#: Spellings listed one by one per column and kind (the rest are counted in one row):
#: the list travels in ``DataFrame.attrs``, which pandas copies on every operation.
REPORT_LIMIT = 100

#: Columns of :func:`identity_report`.
REPORT_COLUMNS = ["column", "kind", "value", "normalised", "rows", "first_row", "message"]

# Unicode White_Space characters (trimmed at both ends after NFKC).
_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# RE2 class of the characters rejected inside an id (after trimming).
_INVISIBLE = r"[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]"


class IdentityPolicy(BaseModel):
    """How identifier spellings are folded (the ``identity`` table of a config).

    Parameters
    ----------
    normalize : {"nfkc_trim", "none"}
        ``"nfkc_trim"`` (default): Unicode NFKC, then white space trimmed at both ends.
        ``"none"``: ids are compared exactly as written.
    casefold : bool
        Lower-case ids too, so that ``u0001`` and ``U0001`` are one unit (default
        ``False``: case is kept, and validation warns about ids differing only by case).

    Examples
    --------
    >>> IdentityPolicy().normalize
    'nfkc_trim'
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    normalize: Literal["nfkc_trim", "none"] = "nfkc_trim"
    casefold: bool = False

    @property
    def folds(self) -> bool:
        """Whether this policy changes any spelling at all."""
        return self.normalize != "none" or self.casefold


def id_columns(config: RiskModelConfig | None) -> tuple[str, ...]:
    """The identifier columns folded under ``config`` (:data:`ID_COLUMNS` and ``quota.by``)."""
    if config is None:
        return ID_COLUMNS
    by = config.quota.by
    return ID_COLUMNS if by in ID_COLUMNS else (*ID_COLUMNS, by)


def _policy(config: RiskModelConfig | None) -> IdentityPolicy:
    if config is None:
        return IdentityPolicy()
    return config.identity


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


_ASCII_WS = np.zeros(256, dtype=bool)
_ASCII_WS[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20]] = True


def _profile(arr: pa.Array | pa.ChunkedArray, edges: bool = True) -> tuple[bool, bool, bool] | None:
    """(all ASCII, any ASCII control byte, any value may start or end with ASCII white space).

    Read from the bytes of the data buffers through the offsets (no copy): a minimum, a
    maximum and a look at the first and last byte of each value. Conservative: bytes
    under null slots count, and an empty value's neighbour may be looked at, so a
    ``True`` only means that Arrow's kernels must decide. ``None`` when the column is not
    plain text.
    """
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    ascii_, ctrl, edge = True, False, False
    for ch in chunks:
        if len(ch) == 0:
            continue
        if not _is_text(ch.type):
            return None
        _, offsets, data = ch.buffers()[:3]
        if data is None:
            continue
        off = np.frombuffer(offsets, dtype=np.int64 if pa.types.is_large_string(ch.type) else np.int32)
        off = off[ch.offset: ch.offset + len(ch) + 1]
        raw = np.frombuffer(data, dtype=np.uint8)
        b = raw[off[0]: off[-1]]
        if not len(b):
            continue
        hi, lo = int(b.max()), int(b.min())
        ascii_ = ascii_ and hi < 0x80
        if not ctrl and (lo < 0x20 or hi >= 0x7F):  # min and max are one fast pass each
            ctrl = bool(((b < 0x20) | (b == 0x7F)).any())
        if edges and not edge:
            last = off[-1] - 1
            edge = bool(_ASCII_WS[raw[np.minimum(off[:-1], last)]].any()
                        or _ASCII_WS[raw[np.maximum(off[1:] - 1, off[0])]].any())
    return ascii_, ctrl, edge


def _fold_plain(arr: pa.Array | pa.ChunkedArray, policy: IdentityPolicy) -> Any:
    out = arr
    if policy.normalize == "nfkc_trim":
        # ASCII text is already in NFKC: only trimming is needed
        if pc.all(pc.string_is_ascii(out)).as_py() is False:
            out = pc.utf8_normalize(out, "NFKC")
        out = pc.utf8_trim(out, _WHITESPACE)
    if policy.casefold:
        out = pc.utf8_lower(out)
    return out


def fold_array(arr: pa.Array | pa.ChunkedArray, policy: IdentityPolicy | None = None) -> Any:
    """Fold one identifier column (Arrow) under ``policy``; other types are returned as they are.

    Parameters
    ----------
    arr : pyarrow.Array or pyarrow.ChunkedArray
        The column. Text (``string``, ``large_string`` or dictionary-encoded text) is folded;
        numbers and nulls are left as they are.
    policy : IdentityPolicy, optional
        Default: :class:`IdentityPolicy` ``()``.

    Returns
    -------
    pyarrow.Array or pyarrow.ChunkedArray
        ``arr`` itself when no value changes, else the folded column (same type).

    Examples
    --------
    >>> import pyarrow as pa
    >>> fold_array(pa.array([" U0001", "Ｕ０００１", "u0001"])).to_pylist()
    ['U0001', 'U0001', 'u0001']
    """
    policy = policy or IdentityPolicy()
    if not policy.folds or len(arr) == 0:
        return arr
    t = arr.type
    if pa.types.is_dictionary(t) and _is_text(t.value_type):
        chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
        new = []
        changed = False
        for ch in chunks:
            d = _fold_plain(ch.dictionary, policy)
            if d is ch.dictionary or pc.all(pc.equal(d, ch.dictionary)).as_py() in (True, None):
                new.append(ch)
                continue
            changed = True
            if pc.count_distinct(d).as_py() == pc.count_distinct(ch.dictionary).as_py():
                new.append(pa.DictionaryArray.from_arrays(ch.indices, d))
            else:  # two spellings of one dictionary fold together: decode
                new.append(pa.DictionaryArray.from_arrays(ch.indices, d).dictionary_decode()
                           .dictionary_encode())
        if not changed:
            return arr
        if isinstance(arr, pa.ChunkedArray):
            return pa.chunked_array(new, type=t) if all(c.type == t for c in new) else \
                pa.chunked_array([c.dictionary_decode() for c in new])
        return new[0]
    if not _is_text(t):
        return arr
    if policy.normalize == "nfkc_trim" and not policy.casefold:
        prof = _profile(arr)
        if prof is not None and prof[0] and not prof[2]:
            return arr  # ASCII (already NFKC) with nothing to trim
    out = _fold_plain(arr, policy)
    same = pc.all(pc.equal(out, arr)).as_py()
    return arr if same in (True, None) else out


def fold_table(table: pa.Table, config: RiskModelConfig | None = None) -> pa.Table:
    """Fold the identifier columns of a table with canonical column names.

    Columns that occur twice are left alone (validation reports them).
    """
    policy = _policy(config)
    if not policy.folds:
        return table
    names = table.column_names
    for c in id_columns(config):
        if names.count(c) != 1:
            continue
        i = names.index(c)
        col = table.column(i)
        new = fold_array(col, policy)
        if new is not col:
            table = table.set_column(i, c, new)
    return table


def _as_arrow(s: pd.Series) -> tuple[pa.Array | None, np.ndarray | None]:
    """The text values of a Series as an Arrow array, and where they sit (None: all rows)."""
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return None, None
    try:
        arr = pa.array(s, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = None
    if arr is not None and (_is_text(arr.type) or pa.types.is_null(arr.type)):
        return (arr if _is_text(arr.type) else None), None
    if arr is not None and pa.types.is_dictionary(arr.type) and _is_text(arr.type.value_type):
        return arr.dictionary_decode(), None
    vals = s.to_numpy(dtype=object)
    where = np.flatnonzero(np.fromiter((isinstance(v, str) for v in vals), bool, len(vals)))
    if not len(where):
        return None, None
    return pa.array(vals[where].tolist(), type=pa.string()), where


def fold_frame(frame: pd.DataFrame, config: RiskModelConfig | None = None) -> pd.DataFrame:
    """Fold the identifier columns of a DataFrame (canonical column names).

    Returns a new frame when a value changes (``frame`` itself otherwise); the spellings
    that changed are listed in ``attrs["identity_folds"]`` (records of
    :data:`REPORT_COLUMNS`; ``first_row`` is the 0-based row position), which
    :func:`identity_report` turns into a table.
    """
    policy = _policy(config)
    folds: list[dict[str, Any]] = []
    out = frame
    cols = [str(c) for c in frame.columns]
    if policy.folds:
        for c in id_columns(config):
            if cols.count(c) != 1:
                continue
            s = frame[c]
            arr, where = _as_arrow(s)
            if arr is None:
                continue
            new = fold_array(arr, policy)
            if new is arr:
                continue
            changed = np.asarray(pc.fill_null(pc.not_equal(new, arr), False))
            pos = np.flatnonzero(changed)
            rows = pos if where is None else where[pos]
            folds.extend(_fold_records(c, arr, new, pos, rows))
            vals = s.to_numpy(dtype=object).copy()
            vals[rows] = np.asarray(new.take(pa.array(pos)).to_pylist(), dtype=object)
            if out is frame:
                out = frame.copy()
            if isinstance(s.dtype, pd.CategoricalDtype):  # the folded values are new categories
                out[c] = pd.Series(pd.Categorical(vals), index=s.index)
            elif s.dtype != object:
                out[c] = pd.Series(vals, index=s.index).astype(s.dtype)
            else:
                out[c] = vals
    out.attrs = {**frame.attrs, "identity_folds": folds}
    return out


def _fold_records(column: str, arr: pa.Array, new: Any, pos: np.ndarray,
                  rows: np.ndarray) -> list[dict[str, Any]]:
    sub = pd.DataFrame(
        {
            "value": arr.take(pa.array(pos)).to_pylist(),
            "normalised": new.take(pa.array(pos)).to_pylist(),
            "row": rows,
        }
    )
    g = sub.groupby("value", sort=True).agg(
        normalised=("normalised", "first"), rows=("row", "size"), first_row=("row", "min")
    )
    g = g.sort_values("first_row", kind="stable")
    recs = [
        {
            "column": column,
            "kind": "folded",
            "value": v,
            "normalised": r.normalised,
            "rows": int(r.rows),
            "first_row": int(r.first_row),
            "message": f"{column} {escape(v)} is read as {escape(r.normalised)}",
        }
        for v, r in g.head(REPORT_LIMIT).iterrows()
    ]
    rest = g.iloc[REPORT_LIMIT:]
    if len(rest):
        recs.append(
            {
                "column": column,
                "kind": "folded",
                "value": None,
                "normalised": None,
                "rows": int(rest["rows"].sum()),
                "first_row": int(rest["first_row"].min()),
                "message": f"{column}: {len(rest)} more spelling(s) normalised",
            }
        )
    return recs


def escape(value: Any) -> str:
    r"""``repr``-like quoting that shows every invisible or non-printing character.

    Examples
    --------
    >>> print(escape("U0001\u200b"))
    'U0001\u200b'
    """
    if not isinstance(value, str):
        return repr(value)
    import unicodedata

    out = []
    for ch in value:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Zl", "Zp", "Zs", "Co", "Cn", "Cs") and ch != " ":
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        elif ch in "'\\":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def invalid_character_mask(values: pa.Array | pa.ChunkedArray | pd.Series | Sequence[Any]) -> np.ndarray:
    """Which values hold a control or format character (Cc, Cf, Zl, Zp).

    Non-text values and nulls are never flagged.
    """
    if isinstance(values, pd.Series):
        arr, where = _as_arrow(values)
        n = len(values)
    elif isinstance(values, pa.Array | pa.ChunkedArray):
        arr, where, n = values, None, len(values)
        if pa.types.is_dictionary(arr.type):
            arr = arr.cast(arr.type.value_type)
    else:
        return invalid_character_mask(pd.Series(list(values), dtype=object))
    out = np.zeros(n, dtype=bool)
    if arr is None or not _is_text(arr.type) or len(arr) == 0:
        return out
    prof = _profile(arr, edges=False)
    if prof is not None and prof[0] and not prof[1]:
        return out  # ASCII without a control byte
    hit = np.asarray(pc.fill_null(pc.match_substring_regex(arr, _INVISIBLE), False))
    if where is None:
        return hit
    out[where] = hit
    return out


def identity_report(frame: pd.DataFrame, config: RiskModelConfig | None = None) -> pd.DataFrame:
    """The identity warnings of an inventory read by :func:`riskgrade.read_inventory`.

    Parameters
    ----------
    frame : pandas.DataFrame
        An inventory as read (folded) by riskgrade.
    config : RiskModelConfig, optional
        The config it was read with (for the policy and the quota column).

    Returns
    -------
    pandas.DataFrame
        One row per spelling, columns :data:`REPORT_COLUMNS`: ``kind`` is ``"folded"``
        for a spelling as written (``value``) that was read as ``normalised``, and
        ``"case"`` for ids that differ from another id of the column only by case (they
        stay distinct unless the policy casefolds; ``normalised`` is then the
        lower-cased form they share). ``rows`` counts the rows, ``first_row`` is the
        0-based position of the first.
    """
    recs = list(frame.attrs.get("identity_folds", []))
    policy = _policy(config)
    cols = [str(c) for c in frame.columns]
    if not policy.casefold:
        for c in id_columns(config):
            if cols.count(c) == 1:
                recs.extend(_case_records(c, frame[c]))
    rep = pd.DataFrame.from_records(recs, columns=REPORT_COLUMNS)
    return rep.astype({"rows": np.int64, "first_row": np.int64}) if len(rep) else rep


def _case_records(column: str, s: pd.Series) -> Iterable[dict[str, Any]]:
    arr, where = _as_arrow(s)
    if arr is None:
        return []
    uniq = pc.unique(arr).drop_null()
    low = pc.utf8_lower(uniq)
    if pc.count_distinct(low).as_py() == len(uniq):
        return []
    u = pd.DataFrame({"value": uniq.to_pylist(), "low": low.to_pylist()})
    clash = u[u.groupby("low")["value"].transform("size") > 1]
    vals = pd.Series(arr.to_pylist(), dtype=object)
    pos = np.arange(len(vals)) if where is None else where
    sub = pd.DataFrame({"value": vals, "row": pos})
    sub = sub[sub["value"].isin(set(clash["value"]))]
    stats = sub.groupby("value", sort=True)["row"].agg(["size", "min"]).sort_values("min", kind="stable")
    low_of = dict(zip(clash["value"], clash["low"], strict=True))
    out = []
    rest = stats.iloc[REPORT_LIMIT:]
    if len(rest):
        out.append(
            {
                "column": column,
                "kind": "case",
                "value": None,
                "normalised": None,
                "rows": int(rest["size"].sum()),
                "first_row": int(rest["min"].min()),
                "message": f"{column}: {len(rest)} more id(s) differ from another only by case",
            }
        )
    for v, r in stats.head(REPORT_LIMIT).iterrows():
        others = sorted(x for x in clash.loc[clash["low"] == low_of[v], "value"] if x != v)
        out.append(
            {
                "column": column,
                "kind": "case",
                "value": v,
                "normalised": low_of[v],
                "rows": int(r["size"]),
                "first_row": int(r["min"]),
                "message": f"{column} {escape(v)} differs from {', '.join(escape(o) for o in others)} "
                "only by case; they are kept apart (identity.casefold = true folds them)",
            }
        )
    return out[1:] + out[:1] if len(rest) else out


def character_failures(
    frame: pd.DataFrame, config: RiskModelConfig | None = None
) -> list[tuple[str, np.ndarray, np.ndarray, list[str]]]:
    """Rows whose identifiers hold a control or format character.

    Returns
    -------
    list of (column, rows, values, messages)
        For each identifier column with such values: their 0-based rows, the values as
        read and one message per row showing the value escaped.
    """
    out = []
    cols = [str(c) for c in frame.columns]
    for c in id_columns(config):
        if cols.count(c) != 1:
            continue
        s = frame[c]
        bad = invalid_character_mask(s)
        rows = np.flatnonzero(bad)
        if not len(rows):
            continue
        vals = s.to_numpy(dtype=object)[rows]
        msgs = [
            f"{c} {escape(v)} holds an invisible or control character ({_names(v)}); "
            "retype the id without it"
            for v in vals
        ]
        out.append((c, rows, vals, msgs))
    return out


def _names(value: str) -> str:
    import unicodedata

    seen = []
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            name = f"U+{ord(ch):04X} {unicodedata.name(ch, 'control')}"
            if name not in seen:
                seen.append(name)
    return ", ".join(seen)


def folded_keys(ids: pd.Series, config: RiskModelConfig | None = None) -> pd.Series:
    """Ids as text, folded under the config's policy: the key of the duplicate check."""
    key = ids.astype(str)
    arr, _ = _as_arrow(key)
    if arr is None:
        return key
    new = fold_array(arr, _policy(config))
    if new is arr:
        return key
    return pd.Series(new.to_pylist(), index=key.index, dtype=object)


def warning_lines(
    frame: pd.DataFrame,
    config: RiskModelConfig | None = None,
    *,
    limit: int = 10,
    rows: Sequence[int] | np.ndarray | None = None,
) -> list[str]:
    """The identity warnings of :func:`identity_report` as lines for standard error.

    At most ``limit`` spellings per column and kind are listed; the rest are counted
    (the table of :func:`identity_report` has them).

    Parameters
    ----------
    rows : sequence of int, optional
        The row of each data row as the user sees it (file or Excel row numbers,
        :func:`riskgrade.inventory_forms.source_rows`); a line then says "first at
        row N". Without it the 0-based position is named ("first at position N").
        :func:`riskgrade.messages.identity_warnings` passes the user's rows.
    """
    rep = identity_report(frame, config)
    shown = None if rows is None else np.asarray(rows, dtype=np.int64)

    def first(pos: int) -> str:
        if shown is None or not 0 <= pos < len(shown):
            return f"first at position {pos}"
        return f"first at row {int(shown[pos])}"

    lines = []
    for (col, kind), g in rep.groupby(["column", "kind"], sort=False):
        listed = g[g["value"].notna()]
        for r in listed.head(limit).itertuples():
            lines.append(f"warning: {r.message} ({r.rows} row(s), {first(int(r.first_row))})")
        if len(listed) > limit:
            what = "spelling(s) normalised" if kind == "folded" else "id(s) differing only by case"
            lines.append(f"warning: {col}: {len(listed) - limit} more {what}")
        for r in g[g["value"].isna()].itertuples():
            lines.append(f"warning: {r.message}")
    return lines
