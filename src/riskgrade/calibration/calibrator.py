"""ScoreCalibrator: an index score mapped to a probability of violation.

The calibrator fits one of the maps of :mod:`riskgrade.calibration.maps` to historical
pairs (index score, outcome). By default the map is strictly increasing (sigmoid or
beta), so ordering points by probability is the same as ordering them by score: the
quota, which ranks by score, and any threshold on the probability agree, and no two
different scores get the same probability. Isotonic and Venn-Abers maps are available
and warn (:class:`CalibrationTieWarning`) because their flat stretches tie different
scores.

The ``"auto"`` rule (:func:`choose_method`), with ``k`` the number of the rarer
outcome (events) in the calibration data:

- ``k < 100``: ``"sigmoid"`` (two parameters; Platt's smoothed targets);
- otherwise ``"beta"`` when every score lies in [0, 1], else ``"sigmoid"``;
- only where ties are acceptable (the supervised :class:`~riskgrade.ml.MLScorer`, whose
  ranking uses a separate strictly monotone score) and ``k >= ISOTONIC_MIN_EVENTS``:
  ``"isotonic"``.

Small calibration sets are where flexible maps fail: on a few hundred rows with a dozen
events isotonic regression roughly doubles the error of the sigmoid and can make the
log loss of an already calibrated model worse (Niculescu-Mizil & Caruana 2005).
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import metadata_routing
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from riskgrade.calibration.maps import (
    BetaMap,
    IsotonicMap,
    SigmoidMap,
    VennAbersMap,
    map_from_dict,
)
from riskgrade.exceptions import DataWarning, RiskgradeWarning

__all__ = [
    "CALIBRATION_METHODS",
    "ISOTONIC_MIN_EVENTS",
    "SIGMOID_MAX_EVENTS",
    "CalibrationTieWarning",
    "ScoreCalibrator",
    "check_binary",
    "choose_method",
    "make_map",
]

CALIBRATION_METHODS = ("auto", "sigmoid", "beta", "isotonic", "venn_abers")
#: Below this many events ``"auto"`` uses the two-parameter sigmoid.
SIGMOID_MAX_EVENTS = 100
#: From this many events ``"auto"`` may use isotonic regression (where ties are acceptable).
ISOTONIC_MIN_EVENTS = 20_000


class CalibrationTieWarning(RiskgradeWarning):
    """A calibration map with flat stretches gives different scores the same probability."""


def choose_method(
    n_events: int, *, unit_interval: bool = True, allow_ties: bool = False
) -> Literal["sigmoid", "beta", "isotonic"]:
    """The map ``"auto"`` stands for (see the module notes).

    Parameters
    ----------
    n_events : int
        Number of the rarer outcome in the calibration data.
    unit_interval : bool
        Whether every score lies in [0, 1] (needed by the beta map).
    allow_ties : bool
        Whether a non-strict (isotonic) map may be chosen for large data.

    Examples
    --------
    >>> choose_method(15), choose_method(600), choose_method(50_000, allow_ties=True)
    ('sigmoid', 'beta', 'isotonic')
    """
    if n_events < SIGMOID_MAX_EVENTS:
        return "sigmoid"
    if allow_ties and n_events >= ISOTONIC_MIN_EVENTS:
        return "isotonic"
    return "beta" if unit_interval else "sigmoid"


def make_map(method: str) -> SigmoidMap | BetaMap | IsotonicMap | VennAbersMap:
    """An unfitted map of the named kind."""
    maps = {"sigmoid": SigmoidMap, "beta": BetaMap, "isotonic": IsotonicMap, "venn_abers": VennAbersMap}
    if method not in maps:
        raise ValueError(f"calibration method must be one of {sorted(maps)}, got {method!r}")
    return maps[method]()


def check_binary(y: np.ndarray, who: str) -> np.ndarray:
    """The two class labels of ``y``; a clear error for one class or more than two."""
    classes = np.unique(y)
    if len(classes) > 2:
        raise ValueError(
            f"Only binary classification is supported. {who} got {len(classes)} classes: "
            f"{classes.tolist()[:5]}"
        )
    if len(classes) < 2:
        raise ValueError(f"{who} cannot be fitted when only one class is present ({classes.tolist()})")
    return classes


def warn_ties(method: str, stacklevel: int = 3) -> None:
    """Warn that a map with flat stretches ties different scores."""
    warnings.warn(
        f"calibration method {method!r} is only non-decreasing: different scores can get the "
        "same probability, so a threshold on the probability may cut through a tie; "
        "use 'sigmoid' or 'beta' for a strictly increasing map",
        CalibrationTieWarning,
        stacklevel=stacklevel,
    )


class ScoreCalibrator(ClassifierMixin, BaseEstimator):
    """Map an index score to a calibrated probability of the event.

    Parameters
    ----------
    method : {"auto", "sigmoid", "beta", "isotonic", "venn_abers"}, default="auto"
        The map (module notes). ``"auto"`` never picks a map with ties.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two outcome labels; the second is the event.
    method_ : str
        The map used.
    map_ : SigmoidMap, BetaMap, IsotonicMap or VennAbersMap
        The fitted map.
    n_features_in_ : int
        Always 1.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.linspace(0, 1, 200)
    >>> y = (np.arange(200) % 7 == 0) | (s > 0.9)
    >>> cal = ScoreCalibrator("sigmoid").fit(s, y)
    >>> p = cal.predict_proba([[0.2], [0.95]])[:, 1]
    >>> bool(p[0] < p[1])
    True
    """

    # score() takes no sample_weight routing: no set_score_request method
    __metadata_request__score = {"sample_weight": metadata_routing.UNUSED}  # noqa: RUF012

    def __init__(self, method: str = "auto") -> None:
        self.method = method

    def __sklearn_tags__(self):
        # one index score per row: scikit-learn's checks then pass X as a 1-d array
        # (X[:, 0]); a 2-d X of one column is accepted too
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True
        tags.classifier_tags.multi_class = False
        return tags

    def _scores(self, X: Any, *, reset: bool) -> np.ndarray:
        arr = np.asarray(X) if not hasattr(X, "iloc") else X
        if getattr(arr, "ndim", 2) == 1:
            X = np.asarray(arr).reshape(-1, 1)
        X = validate_data(self, X, reset=reset, dtype=np.float64)
        if X.shape[1] != 1:
            raise ValueError(
                f"ScoreCalibrator takes one column (the index score); X has {X.shape[1]} columns"
            )
        return X[:, 0]

    def fit(self, X: Any, y: Any) -> ScoreCalibrator:
        """Fit the map to scores and outcomes.

        Parameters
        ----------
        X : array-like of shape (n,) or (n, 1)
            Index scores.
        y : array-like of shape (n,)
            Outcomes with exactly two classes (the larger label is the event).

        Returns
        -------
        self
        """
        if self.method not in CALIBRATION_METHODS:
            raise ValueError(f"method must be one of {list(CALIBRATION_METHODS)}, got {self.method!r}")
        if y is None:
            raise ValueError("ScoreCalibrator requires y to be passed, but the target y is None")
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_ = check_binary(y, "ScoreCalibrator")
        s = self._scores(X, reset=True)
        if y.shape[0] != s.shape[0]:
            raise ValueError(f"X has {s.shape[0]} rows, y has {y.shape[0]}")
        yy = (y == self.classes_[1]).astype(float)
        n_events = int(min(yy.sum(), len(yy) - yy.sum()))
        unit = bool(np.all((s >= 0) & (s <= 1)))
        method = choose_method(n_events, unit_interval=unit) if self.method == "auto" else self.method
        if method in ("isotonic", "venn_abers"):
            warn_ties(method)
        self.method_ = method
        self.map_ = make_map(method).fit(s, yy)
        if not self.map_.strictly_increasing and method in ("sigmoid", "beta"):
            warnings.warn(
                "the score carries no increasing signal for the outcome in these data: "
                "the fitted map is flat or decreasing",
                DataWarning,
                stacklevel=2,
            )
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of the two classes, shape (n, 2)."""
        check_is_fitted(self, "map_")
        p = self.map_.predict(self._scores(X, reset=False))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """The more probable class of each score."""
        p = self.predict_proba(X)[:, 1]
        return self.classes_[(p >= 0.5).astype(int)]

    def predict_interval(self, X: Any) -> np.ndarray:
        """Venn-Abers ``[p0, p1]`` of each score, shape (n, 2) (method ``"venn_abers"`` only)."""
        check_is_fitted(self, "map_")
        if not isinstance(self.map_, VennAbersMap):
            raise ValueError(
                f"predict_interval needs method='venn_abers', this calibrator uses {self.method_!r}"
            )
        return self.map_.predict_interval(self._scores(X, reset=False))

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """Fitted parameters as JSON-ready data (for the model card)."""
        check_is_fitted(self, "map_")
        return {
            "method": self.method,
            "method_": self.method_,
            "classes": [c.item() if hasattr(c, "item") else c for c in self.classes_],
            "map": self.map_.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreCalibrator:
        """Rebuild a fitted calibrator from :meth:`to_dict` output."""
        cal = cls(method=data.get("method", "auto"))
        cal.method_ = data["method_"]
        cal.classes_ = np.asarray(data["classes"])
        cal.map_ = map_from_dict(data["map"])
        cal.n_features_in_ = 1
        return cal
