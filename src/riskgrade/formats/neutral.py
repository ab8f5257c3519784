"""Formula neutralising: the one place that guards text against spreadsheet formulas.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is run
as a formula by spreadsheet programs when a CSV file is opened. Every text value
riskgrade writes to CSV — whatever its Arrow type (``string``, ``large_string``,
``string_view``, dictionary-encoded/categorical) — and every column header gets a
``'`` in front of it. A value that already starts with one or more ``'`` followed by
such a character gets one more, so that :func:`unneutralise` (which removes exactly
one ``'`` from such values when a CSV file is read) gives back the value that was
written: ``-RP20`` -> ``'-RP20`` -> ``-RP20`` and ``'=x`` -> ``''=x`` -> ``'=x``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "FORMULA_START",
    "neutralise",
    "neutralise_name",
    "unneutralise",
    "unneutralise_name",
]

#: First characters that make a spreadsheet run a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_RISKY = r"^'*[=+\-@\t\r]"
_OURS = r"^'+[=+\-@\t\r]"
_FIRST_BYTES = np.frombuffer("".join((*FORMULA_START, "'")).encode("ascii"), dtype=np.uint8)


def neutralise_name(name: str) -> str:
    """A column header as written to CSV (``'`` in front when it starts like a formula)."""
    s = str(name)
    return "'" + s if s.lstrip("'")[:1] in FORMULA_START and s.lstrip("'") != "" else s


def unneutralise_name(name: str) -> str:
    """Undo :func:`neutralise_name`."""
    s = str(name)
    if s.startswith("'") and s.lstrip("'")[:1] in FORMULA_START and s.lstrip("'") != "":
        return s[1:]
    return s


def _is_text(t: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
    )


def _maybe_risky(arr: pa.Array) -> bool:
    """Cheap pre-check on first bytes (no copies) for ``string``/``large_string`` arrays."""
    n = len(arr)
    if n in (0, arr.null_count):
        return False
    t = arr.type
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        return True
    bufs = arr.buffers()
    if bufs[2] is None:
        return False
    dt = np.int64 if pa.types.is_large_string(t) else np.int32
    off: np.ndarray = np.frombuffer(bufs[1], dtype=dt)[arr.offset : arr.offset + n + 1].astype(np.int64)
    start = off[:-1]
    nonempty = off[1:] > start
    first = np.frombuffer(bufs[2], dtype=np.uint8)[start[nonempty]]
    return bool(np.isin(first, _FIRST_BYTES).any())


def _apply(arr: pa.Array, pattern: str, add: bool) -> pa.Array:
    """Prefix (``add``) or strip one ``'`` on the values of a text array matching ``pattern``."""
    t = arr.type
    if pa.types.is_dictionary(t):
        if not _is_text(t.value_type):
            return arr
        new_dict = _apply(arr.dictionary, pattern, add)
        if new_dict is arr.dictionary:
            return arr
        return pa.DictionaryArray.from_arrays(arr.indices, new_dict, ordered=t.ordered)
    if not _is_text(t) or not _maybe_risky(arr):
        return arr
    work = arr.cast(pa.string()) if pa.types.is_string_view(t) else arr
    hit = pc.match_substring_regex(work, pattern)
    if not pc.any(hit).as_py():
        return arr
    if add:
        quote = pa.scalar("'", type=work.type)
        empty = pa.scalar("", type=work.type)
        changed = pc.binary_join_element_wise(quote, work, empty)
    else:
        changed = pc.utf8_slice_codeunits(work, 1)
    return pc.if_else(hit, changed, work)


def _column(col: pa.ChunkedArray, pattern: str, add: bool) -> pa.ChunkedArray:
    chunks = [_apply(c, pattern, add) for c in col.chunks]
    if all(a is b for a, b in zip(chunks, col.chunks, strict=True)):
        return col
    types = {c.type for c in chunks}
    if len(types) > 1:  # string_view chunks became string
        chunks = [c.cast(pa.string()) if not pa.types.is_dictionary(c.type) else c for c in chunks]
    return pa.chunked_array(chunks, type=chunks[0].type if chunks else col.type)


def neutralise(table: pa.Table, *, headers: bool = True) -> pa.Table:
    """Prefix ``'`` to text values (and headers) that a spreadsheet would run as formulas.

    Parameters
    ----------
    table : pyarrow.Table
        Any table; non-text columns pass through unchanged.
    headers : bool, default True
        Also neutralise the column names.

    Returns
    -------
    pyarrow.Table
        The same table when nothing needed a prefix.

    Examples
    --------
    >>> import pyarrow as pa
    >>> neutralise(pa.table({"a": ["-RP20", "ok", "=1+1"]}))["a"].to_pylist()
    ["'-RP20", 'ok', "'=1+1"]
    """
    cols = [_column(c, _RISKY, True) for c in table.columns]
    names = [neutralise_name(n) for n in table.column_names] if headers else table.column_names
    if all(a is b for a, b in zip(cols, table.columns, strict=True)) and names == table.column_names:
        return table
    return pa.table(cols, names=names)


def unneutralise(table: pa.Table, *, headers: bool = True) -> pa.Table:
    """Remove the ``'`` that :func:`neutralise` put in front of values and headers."""
    cols = [_column(c, _OURS, False) for c in table.columns]
    names = [unneutralise_name(n) for n in table.column_names] if headers else table.column_names
    if all(a is b for a, b in zip(cols, table.columns, strict=True)) and names == table.column_names:
        return table
    return pa.table(cols, names=names)
