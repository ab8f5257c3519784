r"""Weighted index scores from factor scores.

The index of risk point ``i`` is the weighted mean of its factor scores over the
factors present in its row:

.. math::

    s_i = \\frac{\\sum_j w_j f_{ij} [f_{ij} \\text{ present}]}
               {\\sum_j w_j [f_{ij} \\text{ present}]}           \\qquad (1)

so a factor left out for a row (missing value with policy ``"exclude"``) takes no
weight and the remaining weights renormalise. With every factor present the
denominator is 1 and (1) is the plain weighted sum. Contribution
``c_ij = w_j f_ij / Σ_k w_k [f_ik present]`` sums to ``s_i`` over ``j``.

Numerics are pinned so that every engine computes the same bits: the sums in (1)
run over the factors in catalog order, one column at a time, in float64, and the
score is then rounded to ``decimals`` (default 12) decimal places before ranking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["IndexScorer", "index_contributions", "index_score"]


def index_score(
    factor_scores: np.ndarray, weights: np.ndarray, *, decimals: int | None = 12
) -> np.ndarray:
    """Weighted index (1) of a factor-score matrix.

    Parameters
    ----------
    factor_scores : ndarray of shape (n, m)
        Factor scores; NaN marks a factor left out for that row.
    weights : ndarray of shape (m,)
        Non-negative weights (need not sum to 1: (1) renormalises).
    decimals : int or None
        Round the score to this many decimals (``None``: no rounding).

    Returns
    -------
    ndarray of shape (n,)
        Scores; NaN where every factor of a row is missing.

    Examples
    --------
    >>> index_score(np.array([[1.0, 0.0], [0.5, np.nan]]), np.array([0.25, 0.75])).tolist()
    [0.25, 0.5]
    """
    num, den = _sums(np.asarray(factor_scores, dtype=float), np.asarray(weights, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        s = num / den
    s[den <= 0] = np.nan
    return np.round(s, decimals) if decimals is not None else s


def _sums(F: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, m = F.shape
    num = np.zeros(n)
    den = np.zeros(n)
    for j in range(m):  # fixed column order: (1) summed identically in every engine
        col = F[:, j]
        present = ~np.isnan(col)
        num += np.where(present, col, 0.0) * w[j]
        den += present * w[j]
    return num, den


def index_contributions(factor_scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Contributions ``c_ij`` of each factor to the index (NaN-free, 0 when absent)."""
    F = np.asarray(factor_scores, dtype=float)
    w = np.asarray(weights, dtype=float)
    _, den = _sums(F, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(np.isnan(F), 0.0, F) * w[None, :] / den[:, None]
    c[den <= 0] = np.nan
    return c


class IndexScorer(TransformerMixin, BaseEstimator):
    """Weighted index of factor scores, as a scikit-learn transformer.

    Parameters
    ----------
    weights : dict, pandas.Series, array-like or None
        Factor weights. A mapping/Series is aligned to the columns of a DataFrame by
        name; an array is positional; ``None`` gives equal weights. They are
        normalised to sum to 1.
    decimals : int or None, default=12
        Rounding of scores (see the module notes).

    Attributes
    ----------
    weights_ : ndarray of shape (n_features_in_,)
        Normalised weights in column order.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when fitted on a DataFrame with string column names.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 0.0], "b": [0.0, 1.0]})
    >>> IndexScorer({"a": 3, "b": 1}).fit(X).predict_score(X).tolist()
    [0.75, 0.25]
    """

    def __init__(self, weights: Any = None, decimals: int | None = 12) -> None:
        self.weights = weights
        self.decimals = decimals

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X: Any, y: Any = None) -> IndexScorer:
        """Validate the factor scores and align the weights.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, m)
            Factor scores.
        y : ignored

        Returns
        -------
        self
        """
        names = list(X.columns) if isinstance(X, pd.DataFrame) else None
        X = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        m = X.shape[1]
        w = self.weights
        if w is None:
            arr = np.ones(m)
        elif isinstance(w, Mapping | pd.Series):
            wmap = dict(w.items()) if isinstance(w, pd.Series) else dict(w)
            if names is None:
                raise ValueError("weights given by name need X as a DataFrame with those columns")
            unknown = sorted(set(map(str, wmap)) - set(map(str, names)))
            if unknown:
                raise ValueError(f"weights name column(s) not in X: {unknown}")
            arr = np.array([float(wmap.get(c, 0.0)) for c in names])
        else:
            arr = np.asarray(w, dtype=float).ravel()
            if arr.shape[0] != m:
                raise ValueError(f"weights has {arr.shape[0]} entries, X has {m} columns")
        if not np.all(np.isfinite(arr)) or (arr < 0).any():
            raise ValueError(f"weights must be finite and non-negative, got {arr.tolist()}")
        if arr.sum() <= 0:
            raise ValueError("weights sum to zero")
        self.weights_ = arr / arr.sum()
        return self

    def predict_score(self, X: Any) -> np.ndarray:
        """Index score of each row, shape (n,)."""
        check_is_fitted(self, "weights_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        return index_score(X, self.weights_, decimals=self.decimals)

    def transform(self, X: Any) -> np.ndarray:
        """Index score as a column, shape (n, 1)."""
        return self.predict_score(X)[:, None]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Name of the output column: ``["score"]``."""
        return np.array(["score"], dtype=object)

    def contributions(self, X: Any) -> pd.DataFrame:
        """Contribution of each factor to each row's score (rows sum to the score)."""
        check_is_fitted(self, "weights_")
        index = X.index if isinstance(X, pd.DataFrame) else None
        Xv = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        names = (
            list(self.feature_names_in_)
            if hasattr(self, "feature_names_in_")
            else [f"x{j}" for j in range(Xv.shape[1])]
        )
        return pd.DataFrame(index_contributions(Xv, self.weights_), columns=names, index=index)
