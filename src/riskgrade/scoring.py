"""IndexScorer: the weighted index (:mod:`riskgrade.weighted_index`) as a scikit-learn transformer.

:func:`index_score` and :func:`index_contributions` are re-exported from
:mod:`riskgrade.weighted_index`, where the numerics are described.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from riskgrade.weighted_index import index_contributions, index_score

__all__ = ["IndexScorer", "index_contributions", "index_score"]


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
