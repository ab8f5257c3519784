"""scikit-learn estimators around the weighting functions.

Each class stores its parameters in ``__init__`` and computes weights in ``fit(X)``:

* ``weights_`` — pandas Series of the weights, indexed by ``feature_names_in_`` when ``X``
  has string column names, else by position ``0 .. n-1``;
* ``n_features_in_`` (and ``feature_names_in_``) as scikit-learn defines them.

``transform(X)`` returns the columns of ``X`` multiplied by their weights (shape kept), so
that ``transform(F).sum(axis=1)`` is the weighted index of a factor-score matrix ``F``
(riskgrade's :class:`~riskgrade.IndexScorer` does the same with rounding and the
per-factor contributions). The estimators validate ``X`` with scikit-learn, which makes a
float64 copy; for inputs of many millions of rows call :func:`entropy_weights` or
:func:`critic_weights` directly, which read the data in place.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted, validate_data

from riskgrade.exceptions import WeightingError
from riskgrade.weighting.combined import combine_weights_details
from riskgrade.weighting.critic import critic_weights
from riskgrade.weighting.entropy import entropy_details

__all__ = ["AHPWeighter", "CRITICWeighter", "CombinedWeighter", "EntropyWeighter"]


class _Weighter(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Shared validation and ``transform`` of the weighters."""

    _allow_nan = False
    _positive_only = False

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._nan_allowed()
        tags.input_tags.positive_only = self._positive()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    def _nan_allowed(self) -> bool:
        return self._allow_nan

    def _positive(self) -> bool:
        return self._positive_only

    def _validate(self, X: Any, *, reset: bool) -> np.ndarray:
        return validate_data(
            self,
            X,
            reset=reset,
            dtype=np.float64,
            ensure_min_samples=2 if reset else 1,
            ensure_all_finite="allow-nan" if self._nan_allowed() else True,
        )

    def _index(self) -> pd.Index:
        names = getattr(self, "feature_names_in_", None)
        return pd.Index(list(names)) if names is not None else pd.RangeIndex(self.n_features_in_)

    def _frame(self, X: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(X, columns=self._index(), copy=False)

    def transform(self, X: Any) -> np.ndarray:
        """Columns of ``X`` multiplied by their weights (``shape`` kept).

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray
            ``X * weights_``; its row sums are the weighted index.
        """
        check_is_fitted(self, "weights_")
        Xv = self._validate(X, reset=False)
        return Xv * self.weights_.to_numpy()[None, :]


class EntropyWeighter(_Weighter):
    """Shannon-entropy weights (see :func:`~riskgrade.weighting.entropy_weights`).

    Parameters
    ----------
    normalization : {"sum", "minmax"}
    directions : sequence or dict, optional
    nan_policy : {"raise", "omit"}
    rarity_check : (float, float) or None

    Attributes
    ----------
    weights_ : pandas.Series
    result_ : EntropyResult
        Entropy, divergence and zero share of every column.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]])
    >>> EntropyWeighter().fit(X).weights_.round(4).tolist()
    [0.463, 0.3992, 0.1378, 0.0]
    """

    _positive_only = True

    def __init__(
        self,
        normalization: str = "sum",
        directions: Any = None,
        nan_policy: str = "raise",
        rarity_check: tuple[float, float] | None = (0.5, 0.5),
    ) -> None:
        self.normalization = normalization
        self.directions = directions
        self.nan_policy = nan_policy
        self.rarity_check = rarity_check

    def _nan_allowed(self) -> bool:
        return self.nan_policy == "omit"

    def _positive(self) -> bool:
        return self.normalization == "sum"

    def fit(self, X: Any, y: Any = None) -> EntropyWeighter:
        """Compute the weights of the columns of ``X`` (``y`` is ignored)."""
        Xv = self._validate(X, reset=True)
        self.result_ = entropy_details(
            self._frame(Xv),
            normalization=self.normalization,  # type: ignore[arg-type]
            directions=self.directions,
            nan_policy=self.nan_policy,  # type: ignore[arg-type]
            rarity_check=self.rarity_check,
        )
        self.weights_ = self.result_.weights
        return self


class CRITICWeighter(_Weighter):
    """CRITIC weights (see :func:`~riskgrade.weighting.critic_weights`).

    Parameters
    ----------
    normalization : {"minmax", "max", "sum", "none"}
    correlation : {"pearson", "spearman"}
    directions : sequence or dict, optional

    Attributes
    ----------
    weights_ : pandas.Series
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    Examples
    --------
    >>> X = [[5000, 3, 3, 4, 3, 2], [680, 5, 3, 2, 2, 1], [2000, 3, 2, 3, 4, 3],
    ...      [600, 4, 3, 1, 2, 2], [800, 2, 4, 3, 3, 4]]
    >>> CRITICWeighter().fit(X).weights_.round(3).tolist()
    [0.157, 0.249, 0.168, 0.121, 0.154, 0.151]
    """

    def __init__(
        self, normalization: str = "minmax", correlation: str = "pearson", directions: Any = None
    ) -> None:
        self.normalization = normalization
        self.correlation = correlation
        self.directions = directions

    def _positive(self) -> bool:
        return self.normalization in ("max", "sum")

    def fit(self, X: Any, y: Any = None) -> CRITICWeighter:
        """Compute the weights of the columns of ``X`` (``y`` is ignored)."""
        Xv = self._validate(X, reset=True)
        if self._positive() and (Xv < 0).any():
            raise WeightingError(
                f"Negative values in data passed to CRITICWeighter: normalization="
                f"{self.normalization!r} needs x >= 0"
            )
        self.weights_ = critic_weights(
            self._frame(Xv),
            normalization=self.normalization,  # type: ignore[arg-type]
            correlation=self.correlation,  # type: ignore[arg-type]
            directions=self.directions,
        )
        return self


class AHPWeighter(_Weighter):
    """AHP weights from expert judgements; ``X`` only names and counts the criteria.

    Parameters
    ----------
    judgements : dict, array-like or DataFrame, optional
        Pairwise judgements as :func:`~riskgrade.weighting.ahp` accepts them (a dict
        ``{(a, b): a_ab}``, an n x n matrix, a labelled DataFrame). ``None``: every
        criterion equally important (the all-ones matrix, CR = 0).
    method : str
        Priority method of :func:`~riskgrade.weighting.ahp` (default ``"eigenvector"``).
    ri_table : str
        Random-index table (default ``"saaty"``).
    threshold : float or str
        CR threshold (default 0.10).

    Attributes
    ----------
    weights_ : pandas.Series
        Weights in the order of the columns of ``X`` (matched by name when ``X`` has
        string column names and the judgements are labelled, else by position).
    result_ : AHPResult or None
        The full AHP result (consistency figures, revision hints); ``None`` without judgements.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.
    """

    _allow_nan = True

    def __init__(
        self,
        judgements: Any = None,
        method: str = "eigenvector",
        ri_table: str = "saaty",
        threshold: float | str = 0.10,
    ) -> None:
        self.judgements = judgements
        self.method = method
        self.ri_table = ri_table
        self.threshold = threshold

    def fit(self, X: Any, y: Any = None) -> AHPWeighter:
        """Compute the AHP weights and align them with the columns of ``X``."""
        self._validate(X, reset=True)
        index = self._index()
        if self.judgements is None:
            self.result_ = None
            self.weights_ = pd.Series(1.0 / len(index), index=index, name="weight")
            return self
        from riskgrade.weighting.ahp import ahp

        self.result_ = ahp(
            self.judgements, method=self.method, ri_table=self.ri_table, threshold=self.threshold
        )
        self.weights_ = _align(self.result_.weights, index, "AHPWeighter")
        return self


def _align(w: pd.Series, index: pd.Index, who: str) -> pd.Series:
    """Weights ``w`` in the order of ``index`` (by label if they share labels, else by position)."""
    if set(map(str, w.index)) == set(map(str, index)):
        by_str = {str(k): float(v) for k, v in w.items()}
        out = pd.Series([by_str[str(k)] for k in index], index=index, name="weight")
    elif len(w) == len(index):
        out = pd.Series(w.to_numpy(dtype=float), index=index, name="weight")
    else:
        raise WeightingError(
            f"{who}: the weights name {list(w.index)} but X has {len(index)} column(s) {list(index)}"
        )
    return out / out.sum()


class CombinedWeighter(_Weighter):
    """Subjective weights combined with entropy or CRITIC weights of ``X``.

    Parameters
    ----------
    subjective : dict, Series, array-like, AHPWeighter or None
        Fixed subjective weights (by column name or position), an (unfitted)
        :class:`AHPWeighter`, or ``None`` for equal weights.
    objective : {"entropy", "critic"} or estimator
        The objective weighter (an instance of :class:`EntropyWeighter` /
        :class:`CRITICWeighter` to set its options).
    method : {"linear", "multiplicative", "game_theory"}
        Combination rule of :func:`~riskgrade.weighting.combine_weights`.
    alpha : float
        Subjective share in the linear rule.

    Attributes
    ----------
    weights_ : pandas.Series
    subjective_weights_, objective_weights_ : pandas.Series
    coefficients_ : list of float
        Coefficients of the combination (``[alpha, 1 - alpha]`` or the game-theory ones).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.
    """

    def __init__(
        self,
        subjective: Any = None,
        objective: Any = "entropy",
        method: str = "linear",
        alpha: float = 0.5,
    ) -> None:
        self.subjective = subjective
        self.objective = objective
        self.method = method
        self.alpha = alpha

    def _objective_estimator(self) -> _Weighter:
        if isinstance(self.objective, str):
            table = {"entropy": EntropyWeighter, "critic": CRITICWeighter}
            if self.objective not in table:
                raise WeightingError(
                    f"CombinedWeighter: objective must be 'entropy', 'critic' or an estimator, "
                    f"got {self.objective!r}"
                )
            return table[self.objective]()
        return clone(self.objective)

    def _positive(self) -> bool:
        try:
            return self._objective_estimator()._positive()
        except WeightingError:
            return False

    def _nan_allowed(self) -> bool:
        try:
            return self._objective_estimator()._nan_allowed()
        except WeightingError:
            return False

    def fit(self, X: Any, y: Any = None) -> CombinedWeighter:
        """Compute the objective weights of ``X`` and combine them with the subjective ones."""
        Xv = self._validate(X, reset=True)
        index = self._index()
        frame = self._frame(Xv)
        obj = self._objective_estimator().fit(frame)
        self.objective_weights_ = _align(obj.weights_, index, "CombinedWeighter")
        subj = self.subjective
        if subj is None:
            s = pd.Series(1.0 / len(index), index=index, name="weight")
        elif isinstance(subj, BaseEstimator):
            s = _align(clone(subj).fit(frame).weights_, index, "CombinedWeighter")
        elif isinstance(subj, dict | pd.Series):
            s = _align(pd.Series(subj, dtype=float), index, "CombinedWeighter")
        else:
            s = _align(pd.Series(np.asarray(subj, dtype=float).ravel()), index, "CombinedWeighter")
        self.subjective_weights_ = s
        combo = combine_weights_details(
            s, self.objective_weights_, method=self.method, alpha=self.alpha  # type: ignore[arg-type]
        )
        self.coefficients_ = combo.coefficients
        self.weights_ = combo.weights.reindex(index)
        return self
