r"""MLScorer: a supervised, calibrated probability of violation from the factors.

**Default model (``estimator="gam"``).** A monotone additive logistic model on the raw
values (:mod:`riskgrade.ml_gam`, features in :mod:`riskgrade.ml_features`): money on a log
scale, counts both raw and per head, each factor's effect a piecewise-linear monotone
curve in its risk direction, the penalty and a few reinforcing pairwise terms chosen by
internal cross-validation. Reason codes add up exactly (:meth:`MLScorer.reason_effects`),
and the fitted scorer is a JSON card (:meth:`MLScorer.to_card`). What follows describes
the ``"logistic"`` and ``"hgb"`` models, which see the catalog's factor scores.

**Input.** ``X`` holds the *raw* factor columns by their catalog names (``post_weight``,
``funds_handled``, ..., plus the denominator ``headcount`` of the rate factors), as in an
inventory. The scorer applies the catalog's fixed transforms, the same the index uses, so
the model sees factor scores in [0, 1] with the direction aligned (higher = riskier):
money on a log scale, counts as shrunk rates per head. Every catalog factor is therefore
constrained to act monotonically upwards. Other numeric columns are passed through
unchanged and unconstrained. A plain array (no column names) is used as it is, every
column unconstrained.

**Models.** ``estimator="logistic"`` (default): logistic regression with an L2 penalty
``1/(2C)`` on standardised coefficients and coefficients of catalog factors bounded below
by 0 (L-BFGS-B), missing values replaced by the training mean. It is additive in the
factor scores, which is what a monotone binned scorecard estimates, without the steps.
``"hgb"``: ``HistGradientBoostingClassifier`` with ``monotonic_cst`` +1 on catalog
factors (interactions, missing values natively). Any scikit-learn classifier with
``predict_proba`` can be passed instead.

**Calibration without leakage.** With ``calibration`` set, ``fit`` computes out-of-fold
probabilities with ``cv`` stratified folds (each fold predicted by a model fitted on the
others), fits the calibration map on them, and fits the final model on all rows (the
scheme of scikit-learn's ``CalibratedClassifierCV(ensemble=False)``). No row's
calibration input comes from a model that saw its outcome. Maps: see
:mod:`riskgrade.calibration.maps`; ``"auto"`` follows :func:`riskgrade.calibration.calibrator.
choose_method` with ties allowed (sigmoid below 100 events, beta up to 20,000, isotonic
from there). Outcomes are never reweighted: a class-weighted estimator passed in shifts
the base probabilities, and the map (which has an intercept) takes the shift out.

**Reason codes.** :meth:`MLScorer.reason_codes` lists, per row, the factors that raise
its log-odds most relative to a reference row (the training mean of each feature): the
exact terms ``beta_j (z_j - zbar_j)`` for the logistic model, and for any other model the
partial effect ``logit p(x) - logit p(x with feature j at its reference)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import metadata_routing
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from riskgrade.calibration.calibrator import CALIBRATION_METHODS, check_binary, choose_method, make_map
from riskgrade.calibration.maps import VennAbersMap
from riskgrade.exceptions import DataWarning
from riskgrade.factors import FactorCatalog
from riskgrade.ml_features import plan_raw_features
from riskgrade.ml_gam import MonotoneGAM
from riskgrade.ml_reasons import CARD_FORMAT, card_of, group_effects, grouped_reason_codes

__all__ = ["MLScorer", "MonotoneLogisticRegression"]

_P_EPS = 1e-12
_REASON_COLUMNS = ["row", "rank", "feature", "label", "raw_value", "unit", "factor_score",
                   "reference_score", "effect_logit", "text"]


class MonotoneLogisticRegression(ClassifierMixin, BaseEstimator):
    """L2-penalised logistic regression with sign constraints, NaN imputed by the mean.

    Parameters
    ----------
    C : float, default=1.0
        Inverse penalty on the standardised coefficients (intercept unpenalised).
    monotonic_cst : array-like of {-1, 0, 1}, optional
        Per feature: +1 coefficient >= 0, -1 coefficient <= 0, 0 free.
    max_iter : int, default=500
        L-BFGS-B iterations.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients on the original feature scale.
    intercept_ : float
    mean_ : ndarray of shape (n_features,)
        Training means (imputation values and reference row).
    """

    # score() takes no sample_weight routing: no set_score_request method
    __metadata_request__score = {"sample_weight": metadata_routing.UNUSED}  # noqa: RUF012

    def __init__(self, C: float = 1.0, monotonic_cst: Any = None, max_iter: int = 500) -> None:
        self.C = C
        self.monotonic_cst = monotonic_cst
        self.max_iter = max_iter

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    def _impute(self, X: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(X), self.mean_[None, :], X)

    def fit(self, X: Any, y: Any) -> MonotoneLogisticRegression:
        """Fit by penalised maximum likelihood."""
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        check_classification_targets(y)
        self.classes_ = check_binary(y, "MonotoneLogisticRegression")
        if not self.C > 0:
            raise ValueError(f"C must be positive, got {self.C}")
        t = (y == self.classes_[1]).astype(float)
        with np.errstate(all="ignore"):
            mean = np.nanmean(np.where(np.isnan(X).all(axis=0)[None, :], 0.0, X), axis=0)
        self.mean_ = np.nan_to_num(mean)
        Xi = self._impute(X)
        sd = Xi.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        Zs = (Xi - self.mean_) / sd
        m = X.shape[1]
        cst = np.zeros(m) if self.monotonic_cst is None else np.asarray(self.monotonic_cst, dtype=float)
        if cst.shape != (m,):
            raise ValueError(f"monotonic_cst has {cst.size} entries, X has {m} columns")
        bounds = [(None, None)] + [
            (0.0, None) if c > 0 else (None, 0.0) if c < 0 else (None, None) for c in cst
        ]
        lam = 1.0 / (2.0 * self.C * len(t))

        def f(w: np.ndarray) -> tuple[float, np.ndarray]:
            eta = w[0] + Zs @ w[1:]
            q = expit(eta)
            nll = np.mean(np.logaddexp(0.0, eta) - t * eta)
            g0 = np.mean(q - t)
            g = Zs.T @ (q - t) / len(t) + 2 * lam * w[1:]
            return nll + lam * float(w[1:] @ w[1:]), np.r_[g0, g]

        rate = np.clip(t.mean(), 1e-6, 1 - 1e-6)
        w0 = np.r_[logit(rate), np.zeros(m)]
        res = minimize(f, w0, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": self.max_iter, "gtol": 1e-10, "ftol": 1e-14})
        w = res.x
        self.coef_ = w[1:] / sd
        self.intercept_ = float(w[0] - np.sum(self.coef_ * self.mean_))
        self.n_iter_ = int(res.nit)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds of the second class."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        return self.intercept_ + self._impute(X) @ self.coef_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n, 2)."""
        p = expit(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """The more probable class."""
        d = self.decision_function(X)
        return self.classes_[(d >= 0).astype(int)]


class MLScorer(ClassifierMixin, BaseEstimator):
    """Calibrated probability of violation from raw factor columns (see the module notes).

    Parameters
    ----------
    estimator : {"gam", "logistic", "hgb"} or classifier, default="gam"
        The base model. ``"gam"``: :class:`~riskgrade.ml_gam.MonotoneGAM` on the raw values
        (see :mod:`riskgrade.ml_features`), the default since it was closest to the truth
        in ``benchmarks/bench_ml.py``; ``"logistic"`` and ``"hgb"`` see the catalog's factor
        scores.
    calibration : {"auto", "sigmoid", "beta", "isotonic", "venn_abers"} or None
        Calibration map fitted on out-of-fold probabilities; ``None``: none. ``"auto"``
        with ``"gam"`` fits no map (a map fitted on its out-of-fold probabilities only
        added variance in the benchmark); with the other models it follows
        :func:`riskgrade.calibration.calibrator.choose_method`.
    cv : int, default=5
        Folds for the out-of-fold probabilities (reduced to the number of events when
        there are fewer).
    catalog : FactorCatalog, optional
        The factor catalog (default ``sichuan_2012``) naming the raw factor columns.
    C : float, default=1.0
        Inverse penalty of the logistic model.
    max_iter : int, default=200
        Boosting iterations of the ``"hgb"`` model.
    random_state : int, default=0
        Seed of the folds and of the boosting model.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
    estimator_ : classifier
        Base model fitted on all rows.
    calibration_ : str or None
        The calibration map used.
    calibrator_ : map or None
        The fitted map.
    feature_names_out_ : list of str
        Model features: catalog factors (as factor scores) then the extra columns.
    monotonic_cst_ : ndarray of int
        +1 for catalog factors, 0 for the rest.
    n_events_ : int
        Number of the rarer class in the training data.

    Examples
    --------
    >>> import riskgrade as rg
    >>> inv = rg.datasets.make_inventory(3000, seed=3)
    >>> cols = rg.catalogs.sichuan_2012().columns
    >>> m = MLScorer().fit(inv[cols], inv["violation"])
    >>> m.calibration_ is None  # the default model needs no map ("auto")
    True
    >>> m.feature_names_out_[5:7]  # a count enters raw and per head
    ['complaints_count', 'complaints']
    >>> p = m.predict_proba(inv[cols])[:, 1]
    >>> bool(0 < p.mean() < 0.1)
    True
    """

    # score() takes no sample_weight routing: no set_score_request method
    __metadata_request__score = {"sample_weight": metadata_routing.UNUSED}  # noqa: RUF012

    def __init__(
        self,
        estimator: Any = "gam",
        *,
        calibration: str | None = "auto",
        cv: int = 5,
        catalog: Any = None,
        C: float = 1.0,
        max_iter: int = 200,
        random_state: int = 0,
    ) -> None:
        self.estimator = estimator
        self.calibration = calibration
        self.cv = cv
        self.catalog = catalog
        self.C = C
        self.max_iter = max_iter
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    # ------------------------------------------------------------------ features
    def _catalog(self):
        if self.catalog is not None:
            return self.catalog
        from riskgrade.catalogs import sichuan_2012

        return sichuan_2012()

    def _is_gam(self) -> bool:
        return isinstance(self.estimator, str) and self.estimator == "gam"

    def _design(self, X: Any, *, reset: bool) -> np.ndarray:
        if isinstance(X, pd.DataFrame):
            bad = [c for c in X.columns if not (pd.api.types.is_numeric_dtype(X[c]) or X[c].dtype == bool)]
            if bad:
                raise ValueError(
                    f"MLScorer takes numeric columns only; non-numeric column(s) {bad} "
                    "(pass the raw factor columns, their denominators and numeric extras)"
                )
        A = validate_data(self, X, reset=reset, ensure_all_finite="allow-nan", dtype=np.float64)
        if reset:
            self._plan_features()
        if self._is_gam():
            names = self._input_names()
            return self.plan_.build({c: A[:, j] for j, c in enumerate(names)}, A.shape[0])
        cols = {c: A[:, j] for j, c in enumerate(getattr(self, "feature_names_in_", []))}
        parts = []
        for f in self.factors_:
            parts.append(FactorCatalog.transform_one(f, cols))
        for j in self.extra_index_:
            parts.append(A[:, j])
        return np.column_stack(parts) if parts else A[:, :0]

    def _input_names(self) -> list[str]:
        if hasattr(self, "feature_names_in_"):
            return [str(c) for c in self.feature_names_in_]
        return [f"x{j}" for j in range(self.n_features_in_)]

    def _plan_features(self) -> None:
        if self._is_gam():
            named = hasattr(self, "feature_names_in_")
            self.plan_ = plan_raw_features(self._input_names(), self._catalog() if named else None)
            self.factors_ = list(self.plan_.factors.values())
            self.feature_names_out_ = self.plan_.names
            self.monotonic_cst_ = self.plan_.signs
            self.extra_index_ = []
            return
        names = [str(c) for c in getattr(self, "feature_names_in_", [])]
        cat = self._catalog()
        factors = [f for f in cat.factors if f.source_column in names] if names else []
        missing_den = sorted({f.denominator for f in factors if f.denominator and f.denominator not in names})
        if missing_den:
            raise ValueError(
                f"rate factor(s) {[f.name for f in factors if f.denominator in missing_den]} need "
                f"their denominator column(s) {missing_den} in X"
            )
        used = {f.source_column for f in factors} | {f.denominator for f in factors if f.denominator}
        self.factors_ = factors
        self.extra_index_ = [j for j, c in enumerate(names) if c not in used] if names else list(
            range(self.n_features_in_)
        )
        extras = [names[j] for j in self.extra_index_] if names else [f"x{j}" for j in self.extra_index_]
        self.feature_names_out_ = [f.name for f in factors] + extras
        self.monotonic_cst_ = np.array([1] * len(factors) + [0] * len(extras), dtype=np.int64)

    def _make_base(self) -> Any:
        est = self.estimator
        if isinstance(est, str):
            if est == "gam":
                return MonotoneGAM(self.monotonic_cst_, cv=self.cv, random_state=self.random_state)
            if est == "logistic":
                return MonotoneLogisticRegression(C=self.C, monotonic_cst=self.monotonic_cst_)
            if est == "hgb":
                from sklearn.ensemble import HistGradientBoostingClassifier

                return HistGradientBoostingClassifier(
                    monotonic_cst=self.monotonic_cst_.tolist(),
                    max_iter=self.max_iter,
                    learning_rate=0.1,
                    early_stopping=False,
                    l2_regularization=1.0,
                    min_samples_leaf=50,
                    random_state=self.random_state,
                )
            raise ValueError(f"estimator must be 'gam', 'logistic', 'hgb' or a classifier, got {est!r}")
        if not hasattr(est, "fit") or not hasattr(est, "predict_proba"):
            raise ValueError(f"estimator must have fit and predict_proba, got {type(est).__name__}")
        return clone(est)

    @staticmethod
    def _base_p(model: Any, Z: np.ndarray) -> np.ndarray:
        return np.clip(model.predict_proba(Z)[:, 1], _P_EPS, 1 - _P_EPS)

    def _map_input(self, p: np.ndarray) -> np.ndarray:
        return logit(p) if self.calibration_ == "sigmoid" else p

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any) -> MLScorer:
        """Fit the base model and the calibration map (cross-fitted).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n, m)
            Raw factor columns by catalog name (and numeric extras), or a plain array.
        y : array-like of shape (n,)
            Outcomes with two classes (the larger label is the event).

        Returns
        -------
        self
        """
        if self.calibration is not None and self.calibration not in CALIBRATION_METHODS:
            raise ValueError(
                f"calibration must be one of {list(CALIBRATION_METHODS)} or None, got {self.calibration!r}"
            )
        if not (isinstance(self.cv, int | np.integer) and self.cv >= 2):
            raise ValueError(f"cv must be an integer >= 2, got {self.cv!r}")
        Z = self._design(X, reset=True)
        y = column_or_1d(y, warn=True)
        if y.shape[0] != Z.shape[0]:
            raise ValueError(f"X has {Z.shape[0]} rows, y has {y.shape[0]}")
        check_classification_targets(y)
        self.classes_ = check_binary(y, "MLScorer")
        t = (y == self.classes_[1]).astype(np.int64)
        counts = np.bincount(t, minlength=2)
        self.n_events_ = int(counts.min())
        base = self._make_base()
        method = self.calibration
        if method == "auto" and isinstance(base, MonotoneGAM):
            # a penalised likelihood fit is calibrated by its own score equations; a map
            # fitted on its out-of-fold probabilities only added variance (benchmarks/bench_ml.py)
            method = None
        elif method == "auto":
            method = choose_method(self.n_events_, allow_ties=True)
        n_splits = min(self.cv, self.n_events_)
        if method is not None and n_splits < 2:
            import warnings

            warnings.warn(
                f"only {self.n_events_} example(s) of the rarer class: calibration {method!r} skipped",
                DataWarning,
                stacklevel=2,
            )
            method = None
        self.calibration_ = method
        self.calibrator_ = None
        if isinstance(base, MonotoneGAM):
            # one internal cross-validation chooses the penalty and the pairs and gives
            # the out-of-fold probabilities the map is fitted on
            self.estimator_ = base.fit(Z, t)
            if method is not None:
                oof = np.clip(base.oof_proba_, _P_EPS, 1 - _P_EPS)
                self.calibrator_ = make_map(method).fit(self._map_input(oof), t)
            self.n_iter_ = 1
            self.reference_ = np.zeros(Z.shape[1])
            return self
        if method is not None:
            oof = np.empty(len(t))
            skf = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)
            for tr, te in skf.split(Z, t):
                m = clone(base).fit(Z[tr], t[tr])
                oof[te] = self._base_p(m, Z[te])
            self.calibrator_ = make_map(method).fit(self._map_input(oof), t)
        self.estimator_ = base.fit(Z, t)
        self.n_iter_ = int(np.max(getattr(self.estimator_, "n_iter_", 1)))
        self.reference_ = np.nan_to_num(np.nanmean(np.where(np.isnan(Z).all(axis=0), 0.0, Z), axis=0)) \
            if Z.shape[0] else np.zeros(Z.shape[1])
        return self

    # ------------------------------------------------------------------ predict
    def _proba_from_design(self, Z: np.ndarray) -> np.ndarray:
        p = self._base_p(self.estimator_, Z)
        if self.calibrator_ is None:
            return p
        return np.clip(self.calibrator_.predict(self._map_input(p)), 0.0, 1.0)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated class probabilities, shape (n, 2)."""
        check_is_fitted(self, "estimator_")
        p = self._proba_from_design(self._design(X, reset=False))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """The more probable class."""
        p = self.predict_proba(X)[:, 1]
        return self.classes_[(p >= 0.5).astype(int)]

    def predict_interval(self, X: Any) -> np.ndarray:
        """Venn-Abers probability interval ``[p0, p1]`` per row (``calibration="venn_abers"``)."""
        check_is_fitted(self, "estimator_")
        calibrator = self.calibrator_
        if self.calibration_ != "venn_abers" or not isinstance(calibrator, VennAbersMap):
            raise ValueError(
                f"predict_interval needs calibration='venn_abers'; this scorer uses {self.calibration_!r}"
            )
        p = self._base_p(self.estimator_, self._design(X, reset=False))
        return calibrator.predict_interval(p)

    predict_proba_interval = predict_interval

    # ------------------------------------------------------------------ reasons
    def _effects(self, Z: np.ndarray) -> np.ndarray:
        est = self.estimator_
        if isinstance(est, MonotoneGAM):
            return est.effects(Z)
        if isinstance(est, MonotoneLogisticRegression):
            Zi = np.where(np.isnan(Z), est.mean_[None, :], Z)
            return (Zi - self.reference_[None, :]) * est.coef_[None, :]
        base = logit(self._base_p(est, Z))
        out = np.empty_like(Z)
        for j in range(Z.shape[1]):
            Zj = Z.copy()
            Zj[:, j] = self.reference_[j]
            out[:, j] = base - logit(self._base_p(est, Zj))
        return out

    def reason_codes(self, X: Any, top: int = 3) -> pd.DataFrame:
        """The factors that raise each row's log-odds most, in the factor's own terms.

        Parameters
        ----------
        X : DataFrame or array-like
            As for :meth:`predict_proba`.
        top : int, default=3
            Largest number of reasons per row (only positive effects are listed).

        Returns
        -------
        pandas.DataFrame
            Long format: ``row`` (position in ``X``), ``rank``, ``feature``, ``label``
            (English and Chinese name), ``raw_value``, ``unit``, ``factor_score``,
            ``reference_score`` and ``effect_logit`` (change in log-odds against the
            reference row), and a ``text`` line.
        """
        check_is_fitted(self, "estimator_")
        Z = self._design(X, reset=False)
        if isinstance(self.estimator_, MonotoneGAM):
            return grouped_reason_codes(self, X, Z, top, _REASON_COLUMNS)
        E = self._effects(Z)
        raw = np.asarray(X, dtype=float) if not isinstance(X, pd.DataFrame) else None
        k = min(int(top), Z.shape[1])
        order = np.argsort(-E, axis=1, kind="stable")[:, :k]
        rows = []
        nf = len(self.factors_)
        for i in range(Z.shape[0]):
            for r, j in enumerate(order[i]):
                eff = float(E[i, j])
                if not eff > 0:
                    break
                if j < nf:
                    f = self.factors_[j]
                    val = X[f.source_column].iloc[i] if raw is None else np.nan
                    label, unit = f"{f.label_en} ({f.label_zh})", f.unit
                    if f.denominator:
                        unit = f"{unit or 'count'} per {f.denominator}"
                else:
                    col = self.extra_index_[j - nf]
                    val = X.iloc[i, col] if raw is None else raw[i, col]
                    label, unit = self.feature_names_out_[j], ""
                rows.append(
                    {
                        "row": i,
                        "rank": r + 1,
                        "feature": self.feature_names_out_[j],
                        "label": label,
                        "raw_value": float(val) if val is not None else np.nan,
                        "unit": unit,
                        "factor_score": float(Z[i, j]),
                        "reference_score": float(self.reference_[j]),
                        "effect_logit": eff,
                        "text": f"{label} = {float(val):g} {unit}".rstrip()
                        + f" raises the log-odds by {eff:.3f}",
                    }
                )
        return pd.DataFrame(rows, columns=_REASON_COLUMNS)

    # ------------------------------------------------------------------ card
    def reason_effects(self, X: Any) -> pd.DataFrame:
        """Every factor's (and extra column's) effect on each row's log-odds (default model).

        The effects of a row add up to its uncalibrated log-odds minus
        ``reference_log_odds_`` (the mean training log-odds), exactly.
        """
        check_is_fitted(self, "estimator_")
        if not isinstance(self.estimator_, MonotoneGAM):
            raise ValueError("reason_effects needs the default model (estimator='gam')")
        return group_effects(self, self._design(X, reset=False))

    @property
    def reference_log_odds_(self) -> float:
        """Mean training log-odds, the reference of :meth:`reason_effects` (default model)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.mean_log_odds_

    def to_card(self) -> dict[str, Any]:
        """The fitted scorer as a JSON-ready dict (default model only; no pickle).

        Every number that defines the predictions is in it; :meth:`from_card` rebuilds a
        scorer whose predictions are identical.
        """
        check_is_fitted(self, "estimator_")
        if not isinstance(self.estimator_, MonotoneGAM):
            raise ValueError(
                f"to_card supports the default model (estimator='gam'); save {self.estimator!r} with "
                "riskgrade.persistence.save_scorer"
            )
        return card_of(self)

    @classmethod
    def from_card(cls, card: dict[str, Any]) -> MLScorer:
        """Rebuild a fitted scorer from :meth:`to_card` output."""
        from riskgrade.calibration.maps import map_from_dict

        if not isinstance(card, dict) or card.get("format") != CARD_FORMAT:
            raise ValueError(f"not an MLScorer card (format {CARD_FORMAT!r} expected)")
        catalog = None if card["catalog"] is None else FactorCatalog.model_validate(card["catalog"])
        m = cls(**card["params"], catalog=catalog)
        if card["feature_names_in"] is not None:
            m.feature_names_in_ = np.asarray(card["feature_names_in"], dtype=object)
        m.n_features_in_ = int(card["n_features_in"])
        m._plan_features()
        same = m.feature_names_out_ == card["feature_names_out"]
        if not same or m.monotonic_cst_.tolist() != card["monotonic_cst"]:
            raise ValueError("the card's features do not match its columns and catalog")
        m.classes_ = np.asarray(card["classes"])
        m.n_events_ = int(card["n_events"])
        m.calibration_ = card["calibration"]
        m.calibrator_ = None if card["calibrator"] is None else map_from_dict(card["calibrator"])
        m.estimator_ = MonotoneGAM.from_dict(card["model"])
        m.n_iter_ = 1
        m.reference_ = np.zeros(len(m.feature_names_out_))
        return m
