"""Reading and validating pairwise-comparison (judgement) matrices for AHP.

A judgement matrix ``A`` holds ``a_ij`` = how many times more important criterion i is than
criterion j. It must be square, positive, with ones on the diagonal and reciprocal
(``a_ji = 1 / a_ij``). Missing judgements are NaN. Every problem is collected before one
:class:`~riskgrade.exceptions.InconsistentJudgementsError` is raised; its ``details`` is a
DataFrame with one row per problem (``row``, ``column``, ``value``, ``reason``, ``message``).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from riskgrade.exceptions import ConsistencyWarning, InconsistentJudgementsError

__all__ = ["SAATY_SCALE", "judgement_matrix"]

SAATY_SCALE = np.array([1 / 9, 1 / 8, 1 / 7, 1 / 6, 1 / 5, 1 / 4, 1 / 3, 1 / 2, 1, 2, 3, 4, 5, 6, 7, 8, 9])
"""Saaty's fundamental 1-9 scale and its reciprocals (Saaty 1980)."""

_FAILURE_COLUMNS = ["row", "column", "value", "reason", "message"]
_SCALE_EPS = 1e-9
_HI = 9.0 * (1 + _SCALE_EPS)
_LO = (1.0 / 9.0) * (1 - _SCALE_EPS)


def _raise(failures: list[dict[str, Any]], what: str = "judgement matrix") -> None:
    details = pd.DataFrame(failures, columns=_FAILURE_COLUMNS)
    lines = [f"{what} invalid: {len(failures)} problem(s)"]
    for f in failures[:20]:
        where = "matrix" if f["row"] is None else f"cell ({f['row']!r}, {f['column']!r})"
        lines.append(f"  {where}: [{f['reason']}] {f['message']}")
    if len(failures) > 20:
        lines.append(f"  ... and {len(failures) - 20} more (see .details)")
    raise InconsistentJudgementsError("\n".join(lines), details=details)


def _fail(row: Any, column: Any, value: Any, reason: str, message: str) -> dict[str, Any]:
    return {"row": row, "column": column, "value": value, "reason": reason, "message": message}


def _from_dict(
    judgements: Mapping[Any, Any], criteria: Sequence[Hashable] | None
) -> tuple[np.ndarray, list[Hashable]]:
    failures: list[dict[str, Any]] = []
    labels: list[Hashable] = list(criteria) if criteria is not None else []
    seen = set(labels)
    pairs: list[tuple[Hashable, Hashable, Any]] = []
    for key, value in judgements.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            failures.append(
                _fail(None, None, key, "bad_key", f"key {key!r} is not a pair (a, b) of criterion names")
            )
            continue
        a, b = key
        for name in (a, b):
            if name not in seen:
                if criteria is not None:
                    failures.append(
                        _fail(a, b, value, "unknown_criterion", f"{name!r} is not among criteria {labels}")
                    )
                else:
                    labels.append(name)
                seen.add(name)
        pairs.append((a, b, value))
    if failures:
        _raise(failures, "judgements")
    index = {name: k for k, name in enumerate(labels)}
    n = len(labels)
    a = np.full((n, n), np.nan)
    np.fill_diagonal(a, 1.0)
    given: dict[tuple[int, int], tuple[Any, Any, float]] = {}
    for ra, rb, value in pairs:
        try:
            v = float(value)
        except (TypeError, ValueError):
            failures.append(_fail(ra, rb, value, "not_numeric", f"judgement {value!r} is not a number"))
            continue
        i, j = index[ra], index[rb]
        if i == j:
            if v != 1.0:
                failures.append(
                    _fail(ra, rb, value, "diagonal", f"a criterion compared with itself must be 1, got {v:g}")
                )
            continue
        if not (np.isfinite(v) and v > 0):
            failures.append(
                _fail(ra, rb, value, "not_positive", f"judgement must be a finite positive number, got {v!r}")
            )
            continue
        if i > j:
            i, j, v = j, i, 1.0 / v
        if (i, j) in given:
            prev_a, prev_b, prev_v = given[(i, j)]
            if abs(prev_v * (1.0 / v) - 1.0) > 1e-9:
                failures.append(
                    _fail(
                        ra,
                        rb,
                        value,
                        "conflicting_duplicate",
                        f"pair given twice with different values: ({prev_a!r}, {prev_b!r}) implies "
                        f"{prev_v:g} for ({labels[i]!r}, {labels[j]!r}), this entry implies {v:g}",
                    )
                )
            continue
        given[(i, j)] = (ra, rb, v)
        a[i, j] = v
        a[j, i] = 1.0 / v
    if failures:
        _raise(failures, "judgements")
    return a, labels


def _from_frame(frame: pd.DataFrame, criteria: Sequence[Hashable] | None) -> tuple[np.ndarray, list]:
    if frame.shape[0] != frame.shape[1]:
        _raise(
            [_fail(None, None, frame.shape, "not_square", f"matrix must be square, got shape {frame.shape}")]
        )
    cols = list(frame.columns)
    rows = list(frame.index)
    if rows != cols:
        if set(rows) == set(cols) and len(set(cols)) == len(cols):
            frame = frame.loc[cols]
        elif isinstance(frame.index, pd.RangeIndex):
            frame = frame.set_axis(cols, axis=0)
        else:
            _raise(
                [
                    _fail(
                        None,
                        None,
                        None,
                        "labels",
                        f"row labels {rows} and column labels {cols} must name the same criteria",
                    )
                ]
            )
    if criteria is not None:
        crit = list(criteria)
        if set(crit) != set(cols) or len(crit) != len(cols):
            _raise(
                [_fail(None, None, None, "labels", f"criteria {crit} do not match the matrix labels {cols}")]
            )
        frame = frame.loc[crit, crit]
        cols = crit
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna().to_numpy() & frame.notna().to_numpy()
    if bad.any():
        failures = [
            _fail(cols[i], cols[j], frame.iat[i, j], "not_numeric", f"{frame.iat[i, j]!r} is not a number")
            for i, j in zip(*np.nonzero(bad), strict=True)
        ]
        _raise(failures)
    return numeric.to_numpy(dtype=float), cols


def judgement_matrix(
    matrix: Any,
    *,
    criteria: Sequence[Hashable] | None = None,
    reciprocal_tol: float = 0.05,
    warn_scale: bool = True,
) -> tuple[np.ndarray, list[Hashable]]:
    """Validate a judgement matrix and return it as a float array with its labels.

    Parameters
    ----------
    matrix : array-like, pandas.DataFrame or dict
        n x n matrix (NaN = missing judgement), a DataFrame whose index and columns name the
        criteria, or a dict ``{(a, b): a_ab}`` of judgements (reciprocals are filled; pairs
        not given are missing).
    criteria : sequence of hashable, optional
        Criterion names: labels for an array, the order for a DataFrame or dict (a dict may
        leave criteria out of every pair; they are then missing, which the caller reports
        as a disconnected comparison graph).
    reciprocal_tol : float, default 0.05
        Accepted relative deviation ``|a_ij * a_ji - 1|``; covers judgements typed to two
        decimals (``0.33`` for 1/3, ``0.13`` for 1/8). Accepted pairs are made exactly
        reciprocal by their geometric mean, ``a_ij := sqrt(a_ij / a_ji)``.
    warn_scale : bool, default True
        Issue a :class:`~riskgrade.exceptions.ConsistencyWarning` naming the judgements
        outside Saaty's 1/9..9 scale.

    Returns
    -------
    a : numpy.ndarray
        n x n float array, exactly reciprocal where given, NaN where missing, ones on the
        diagonal. When exactly one of ``a_ij`` and ``a_ji`` is given, the other is filled
        with its reciprocal.
    labels : list
        Criterion names (``0..n-1`` for an unlabelled array).

    Raises
    ------
    InconsistentJudgementsError
        Listing every problem: not square, not numeric, not positive or not finite,
        diagonal not 1, not reciprocal; ``details`` holds the table of problems.
    """
    if isinstance(matrix, Mapping):
        a, labels = _from_dict(matrix, criteria)
    elif isinstance(matrix, pd.DataFrame):
        a, labels = _from_frame(matrix, criteria)
    else:
        try:
            a = np.array(matrix, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InconsistentJudgementsError(
                f"judgement matrix could not be read as numbers: {exc}"
            ) from None
        if a.ndim != 2 or a.shape[0] != a.shape[1]:
            _raise([_fail(None, None, a.shape, "not_square", f"matrix must be square, got shape {a.shape}")])
        n = a.shape[0]
        labels = list(criteria) if criteria is not None else list(range(n))
        if len(labels) != n:
            _raise(
                [
                    _fail(
                        None,
                        None,
                        None,
                        "labels",
                        f"{len(labels)} criteria names given for an {n} x {n} matrix",
                    )
                ]
            )
    n = a.shape[0]
    if n == 0:
        _raise([_fail(None, None, None, "empty", "matrix has no criteria")])

    # fast path: complete, positive, finite (NaN makes min/max NaN and fails the test)
    lo, hi = a.min(), a.max()
    if lo > 0 and hi < np.inf:
        diag = np.diagonal(a)
        diag_ok = (diag == 1.0).all() or np.abs(diag - 1.0).max() <= 1e-9
        prod = a * a.T
        dev = np.abs(prod - 1.0).max()
        if diag_ok and dev <= reciprocal_tol:
            if dev > 0:
                a = np.sqrt(a / a.T)
                lo, hi = a.min(), a.max()
            if warn_scale and (hi > _HI or lo < _LO):
                _warn_scale(a, labels)
            return a, labels

    finite = np.isfinite(a)
    missing = np.isnan(a)

    failures: list[dict[str, Any]] = []
    a = a.copy()
    diag = np.diagonal(a).copy()
    for i in range(n):
        if np.isnan(diag[i]):
            a[i, i] = 1.0
        elif abs(diag[i] - 1.0) > 1e-9:
            failures.append(
                _fail(
                    labels[i], labels[i], float(diag[i]), "diagonal", f"diagonal must be 1, got {diag[i]:g}"
                )
            )
    bad_value = ~missing & ~(finite & (a > 0))
    np.fill_diagonal(bad_value, False)
    for i, j in zip(*np.nonzero(bad_value), strict=True):
        failures.append(
            _fail(
                labels[i],
                labels[j],
                float(a[i, j]),
                "not_positive",
                f"judgement must be a finite positive number, got {float(a[i, j])!r}",
            )
        )
    for i in range(n):
        for j in range(i + 1, n):
            if bad_value[i, j] or bad_value[j, i]:
                continue
            x, y = a[i, j], a[j, i]
            if np.isnan(x) and np.isnan(y):
                continue
            if np.isnan(x):
                a[i, j] = 1.0 / y
            elif np.isnan(y):
                a[j, i] = 1.0 / x
            elif abs(x * y - 1.0) > reciprocal_tol:
                failures.append(
                    _fail(
                        labels[i],
                        labels[j],
                        float(x),
                        "not_reciprocal",
                        f"a[{labels[i]!r}, {labels[j]!r}] = {x:g} but a[{labels[j]!r}, {labels[i]!r}] = "
                        f"{y:g}; expected {1.0 / x:.4g} (tolerance {reciprocal_tol:g} on the product)",
                    )
                )
            else:
                g = np.sqrt(x / y)
                a[i, j], a[j, i] = g, 1.0 / g
    if failures:
        _raise(failures)
    if warn_scale:
        _warn_scale(a, labels)
    return a, labels


def _warn_scale(a: np.ndarray, labels: list[Hashable]) -> None:
    with np.errstate(invalid="ignore"):
        out = (a > _HI) | (a < _LO)
    out = np.triu(out, 1)
    if out.any():
        cells = [
            f"({labels[i]!r}, {labels[j]!r}) = {a[i, j]:.4g}" for i, j in zip(*np.nonzero(out), strict=True)
        ]
        warnings.warn(
            "judgement(s) outside Saaty's 1/9..9 scale: "
            + ", ".join(cells[:10])
            + (f" and {len(cells) - 10} more" if len(cells) > 10 else ""),
            ConsistencyWarning,
            stacklevel=4,
        )
