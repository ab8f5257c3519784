"""RiskModel: config -> fit -> grade -> GradingResult, with a JSON model card."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from riskgrade._version import __version__
from riskgrade.config import RiskModelConfig, config_hash, default_config
from riskgrade.exceptions import (
    ConfigError,
    DataWarning,
    InventoryValidationError,
    ModelCardError,
    NotFittedError,
)
from riskgrade.factors import FactorCatalog
from riskgrade.grading import Grader
from riskgrade.io import read_inventory
from riskgrade.model_card import (
    CARD_FORMAT,
    card_calibrator,
    card_config,
    card_scorer,
    card_weights,
    check_rebuilt,
    inspect_card,
    read_card,
    seal,
)
from riskgrade.model_card import FORMAT_VERSION as CARD_VERSION
from riskgrade.results import RESULT_COLUMNS, GradingResult, reject_reasons
from riskgrade.schema import find_failures
from riskgrade.weighted_index import index_contributions, index_score
from riskgrade.weighting.spec import METHODS
from riskgrade.weighting.stats import weights_from_scores

__all__ = ["MODEL_CARD_FORMAT", "RiskModel"]

MODEL_CARD_FORMAT = CARD_FORMAT
#: Weighting methods fitted without data (from the registry, riskgrade.weighting.spec.METHODS).
DATA_FREE_METHODS = frozenset(name for name, m in METHODS.items() if not m.needs_data)


class RiskModel:
    """A risk-grading model: factors, weights, thresholds and the quota.

    Parameters
    ----------
    config : RiskModelConfig, optional
        The methodology; ``None`` means :func:`riskgrade.default_config`.

    Attributes
    ----------
    catalog_ : FactorCatalog
        The factors in use (config catalog less ``drop_factors``).
    weights_ : pandas.Series
        Factor weights (sum to 1).
    weight_details_ : dict
        Figures of the weighting method (consistency ratios, ...).
    scorer_ : IndexScorer
        The fitted index scorer.
    grader_ : Grader
        Thresholds and quota.

    Examples
    --------
    >>> import riskgrade as rg
    >>> inv = rg.datasets.load_sample()
    >>> result = rg.RiskModel().fit(inv).grade(inv)
    >>> bool(result.unit_summary()["within_cap"].all())
    True
    """

    def __init__(self, config: RiskModelConfig | None = None) -> None:
        self.config = config if config is not None else default_config()
        if not isinstance(self.config, RiskModelConfig):
            raise ConfigError(
                f"config must be a RiskModelConfig (see riskgrade.load_config), "
                f"got {type(self.config).__name__}"
            )

    def __repr__(self) -> str:
        state = "fitted" if self.is_fitted else "not fitted"
        return f"RiskModel(config={self.config.name!r}, {state})"

    # ------------------------------------------------------------------ fitting
    @property
    def is_fitted(self) -> bool:
        """Whether weights have been set."""
        return hasattr(self, "weights_")

    @property
    def catalog(self) -> FactorCatalog:
        """The factors in use."""
        return self.config.active_catalog

    def _prepare(self, frame: pd.DataFrame | str | Path) -> pd.DataFrame:
        if isinstance(frame, pd.DataFrame) and "input_sha256" in frame.attrs:
            return frame
        return read_inventory(frame, self.config)

    def fit(self, frame: pd.DataFrame | str | Path | None = None, y: Any = None) -> RiskModel:
        """Set the weights (computing them from the data for entropy/CRITIC).

        Parameters
        ----------
        frame : DataFrame or path, optional
            Inventory; needed by data-driven weighting. It must validate.
        y : ignored
            Present for scikit-learn compatibility; the supervised scorer takes the
            outcome from ``config.outcome_column``.

        Returns
        -------
        self

        Raises
        ------
        InventoryValidationError
            When the inventory does not validate.
        """
        cat = self.catalog
        if frame is None:
            if self.config.weighting.method not in DATA_FREE_METHODS:
                raise NotFittedError(
                    f"weighting.method {self.config.weighting.method!r} computes weights "
                    "from data: pass an inventory to fit()"
                )
            F = pd.DataFrame({n: [0.5] for n in cat.names})
            n_rows, in_hash = 0, None
        else:
            inv = self._prepare(frame)
            fc = find_failures(inv, self.config)
            if len(fc):
                raise InventoryValidationError(fc, n_rows=len(inv))
            F = cat.transform(inv)
            n_rows, in_hash = len(inv), inv.attrs.get("input_sha256")
        # data-driven weights: exact sums shared with the batch engines (same bits)
        weights, details = weights_from_scores(self.config.weighting, F, cat.names)
        weights = pd.Series(weights, dtype=float).reindex(cat.names).fillna(0.0)
        self.set_weights(weights, details)
        self.training_ = {"n_rows": n_rows, "input_sha256": in_hash}
        if self.config.calibration is not None:
            self._fit_calibrator(None if frame is None else inv, F, y)
        if self.config.scorer is not None:
            self._fit_ml_scorer(None if frame is None else inv, y)
        return self

    def _outcomes(self, inv: pd.DataFrame, y: Any, what: str) -> np.ndarray:
        """Outcomes as floats (NaN = unknown), from ``y`` or the outcome column."""
        col = self.config.outcome_column
        if y is None:
            if col not in inv.columns:
                raise ConfigError(f"{what} needs the outcome column {col!r} (config.outcome_column) or y")
            y = inv[col]
        yv = pd.to_numeric(pd.Series(np.asarray(y).ravel()), errors="coerce").to_numpy(dtype=float)
        if yv.shape[0] != len(inv):
            raise ValueError(f"y has {yv.shape[0]} values, the inventory {len(inv)} rows")
        if (~np.isin(yv[np.isfinite(yv)], (0.0, 1.0))).any():
            raise ValueError(f"outcome column {col!r} must hold 0/1 (missing allowed)")
        return yv

    def _ml_columns(self, inv: pd.DataFrame) -> list[str]:
        """Raw inventory columns the supervised scorer reads (factors, denominators, extras)."""
        spec = self.config.scorer
        assert spec is not None
        wanted = self.catalog.columns
        missing = [c for c in spec.extra_columns if c not in inv.columns]
        if missing:
            raise ConfigError(f"scorer.extra_columns not in the inventory: {missing}")
        return [c for c in wanted if c in inv.columns] + [c for c in spec.extra_columns if c not in wanted]

    def _ml_design(self, inv: pd.DataFrame) -> pd.DataFrame:
        cols = self._ml_columns(inv)
        return pd.DataFrame(
            {c: pd.to_numeric(inv[c], errors="coerce").astype(float) for c in cols}, index=inv.index
        )

    def _fit_ml_scorer(self, inv: pd.DataFrame | None, y: Any) -> None:
        """Fit ``config.scorer`` (a calibrated MLScorer) on the inventory's outcomes."""
        from riskgrade.ml import MLScorer

        spec = self.config.scorer
        assert spec is not None
        if inv is None:
            raise NotFittedError("the supervised scorer needs an inventory with outcomes: pass it to fit()")
        yv = self._outcomes(inv, y, "the supervised scorer")
        ok = np.isfinite(yv)
        X = self._ml_design(inv)
        self.ml_scorer_ = MLScorer(
            spec.estimator,
            calibration=spec.calibration,
            cv=spec.cv,
            catalog=self.catalog,
            C=spec.C,
            max_iter=spec.max_iter,
            random_state=spec.random_state,
        ).fit(X[ok], yv[ok].astype(int))
        self.training_["scorer_rows"] = int(ok.sum())
        self.training_["scorer_events"] = int(yv[ok].sum())
        self.training_["scorer_calibration"] = self.ml_scorer_.calibration_

    def _fit_calibrator(self, inv: pd.DataFrame | None, F: pd.DataFrame, y: Any) -> None:
        """Fit ``config.calibration`` on the index score and the outcomes."""
        from riskgrade.calibration import ScoreCalibrator

        if inv is None:
            raise NotFittedError("calibration needs an inventory with outcomes: pass it to fit()")
        yv = self._outcomes(inv, y, "calibration")
        score = index_score(
            F.to_numpy(dtype=float), self.weights_.to_numpy(), decimals=self.config.score_decimals
        )
        ok = np.isfinite(score) & np.isin(yv, (0.0, 1.0))
        spec = self.config.calibration
        assert spec is not None
        self.calibrator_ = ScoreCalibrator(spec.method).fit(score[ok], yv[ok].astype(int))
        self.training_["calibration_rows"] = int(ok.sum())
        self.training_["calibration_events"] = int(yv[ok].sum())

    def set_weights(self, weights: pd.Series, details: dict[str, Any]) -> None:
        """Fit the model with weights computed elsewhere (the batch engines' weight pass).

        Parameters
        ----------
        weights : pandas.Series
            One weight per factor of the catalog, indexed by factor name.
        details : dict
            The weighting figures kept in the model card (as :meth:`fit` records them).
        """
        cat = self.catalog
        self.catalog_ = cat
        self.weights_ = weights.astype(float)
        self.weight_details_ = details
        from riskgrade.scoring import IndexScorer

        self.scorer_ = IndexScorer(
            weights=self.weights_.to_numpy(), decimals=self.config.score_decimals
        ).fit(np.zeros((1, len(cat))))
        self.grader_ = Grader(self.config.levels, self.config.quota)

    def _ensure_fitted(self) -> None:
        if self.is_fitted:
            return
        if self.config.weighting.method in DATA_FREE_METHODS:
            self.fit(None)
            return
        raise NotFittedError(
            f"this RiskModel has data-driven weights ({self.config.weighting.method!r}); "
            "call fit(inventory) before grade()"
        )

    # ------------------------------------------------------------------ scoring
    def factor_scores(self, frame: pd.DataFrame | str | Path) -> pd.DataFrame:
        """Validated factor scores (n x m, NaN = factor left out for the row).

        Raises
        ------
        InventoryValidationError
            When the inventory does not validate.
        """
        inv = self._prepare(frame)
        fc = find_failures(inv, self.config)
        if len(fc):
            raise InventoryValidationError(fc, n_rows=len(inv))
        return self.catalog.transform(inv)

    def score_from_factor_scores(
        self, factor_scores: pd.DataFrame | np.ndarray, weights: Any = None
    ) -> np.ndarray:
        """Index scores of factor scores under given (default: fitted) weights."""
        self._ensure_fitted()
        w = self.weights_.to_numpy() if weights is None else np.asarray(weights, dtype=float)
        return index_score(np.asarray(factor_scores, dtype=float), w, decimals=self.config.score_decimals)

    def grade(
        self,
        frame: pd.DataFrame | str | Path,
        *,
        on_error: Literal["raise", "quarantine"] = "raise",
    ) -> GradingResult:
        """Grade an inventory.

        Parameters
        ----------
        frame : DataFrame or path
            The inventory.
        on_error : {"raise", "quarantine"}
            ``"raise"``: any validation failure raises
            :class:`~riskgrade.InventoryValidationError` listing all of them.
            ``"quarantine"``: failing rows are set aside in ``result.rejected`` with
            their reasons and the rest are graded (file-level failures such as a
            missing column still raise).

        Returns
        -------
        GradingResult
        """
        if on_error not in ("raise", "quarantine"):
            raise ValueError(f"on_error must be 'raise' or 'quarantine', got {on_error!r}")
        self._ensure_fitted()
        inv = self._prepare(frame)
        fc = find_failures(inv, self.config)
        rejected = inv.iloc[0:0].copy()
        if len(fc):
            file_level = fc["row"].isna()
            if on_error == "raise" or file_level.any():
                raise InventoryValidationError(
                    fc if on_error == "raise" else fc[file_level], n_rows=len(inv)
                )
            bad_rows = np.unique(fc["row"].to_numpy(dtype=np.int64))
            reasons = reject_reasons(fc)
            rejected = inv.iloc[bad_rows].copy()
            rejected.insert(0, "row", bad_rows)
            rejected["reject_reasons"] = reasons.reindex(bad_rows).to_numpy()
            keep = np.ones(len(inv), dtype=bool)
            keep[bad_rows] = False
            inv = inv.iloc[np.flatnonzero(keep)]
        return self._grade_valid(inv, rejected, fc)

    def _grade_valid(self, inv: pd.DataFrame, rejected: pd.DataFrame, fc: pd.DataFrame) -> GradingResult:
        cat = self.catalog
        F = cat.transform(inv)
        Fv = F.to_numpy(dtype=float)
        w = self.weights_.to_numpy()
        score = index_score(Fv, w, decimals=self.config.score_decimals)
        contrib = index_contributions(Fv, w)
        ml = getattr(self, "ml_scorer_", None) if self.config.scorer is not None else None
        if self.config.scorer is not None and ml is None:
            raise NotFittedError("config.scorer is set: fit the model on an inventory with outcomes")
        q = self.config.quota
        tie_keys = [
            pd.to_numeric(inv[k], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            for k in q.tie_break
            if k in inv.columns
        ]
        if ml is not None:
            probability = ml.predict_proba(self._ml_design(inv))[:, 1]
            # the calibrated probability is the ranked (strictly monotone) quantity
            score = np.round(probability, self.config.score_decimals)
        else:
            probability = self._probability(score)
        ga = self.grader_.grade_arrays(
            score,
            inv[q.by].to_numpy() if q.by in inv.columns else np.zeros(len(inv), dtype=np.int64),
            inv["risk_point_id"].to_numpy(),
            tie_keys=tie_keys,
            basis_values=probability if self.config.levels.basis == "probability" else None,
        )
        added: dict[str, Any] = {
            "score": score,
            **({"probability": probability} if probability is not None else {}),
            **ga.result_columns(),
        }
        for j, name in enumerate(cat.names):
            added[f"factor_{name}"] = Fv[:, j]
        for j, name in enumerate(cat.names):
            added[f"contrib_{name}"] = contrib[:, j]
        clash = [c for c in added if c in inv.columns]
        base = inv
        if clash:
            warnings.warn(
                f"input already has result column(s) {clash}; they are replaced",
                DataWarning,
                stacklevel=3,
            )
            base = inv.drop(columns=clash)
        out = pd.concat([base.reset_index(drop=True), pd.DataFrame(added)], axis=1)
        out.attrs = {}
        provenance = self._provenance(inv, len(inv), len(rejected))
        return GradingResult(
            frame=out,
            audit=ga.audit,
            weights=self.weights_.copy(),
            provenance=provenance,
            rejected=rejected.reset_index(drop=True),
            failure_cases=fc,
            weight_details=dict(self.weight_details_),
            group_by=q.by,
        )

    def _probability(self, score: np.ndarray) -> np.ndarray | None:
        """Calibrated probability of the scores (``None`` without a calibrator)."""
        cal = getattr(self, "calibrator_", None)
        if cal is None:
            if self.config.levels.basis == "probability":
                raise NotFittedError(
                    "levels.basis is 'probability': set config.calibration and fit the model "
                    "on an inventory with outcomes"
                )
            return None
        p = np.full(score.shape, np.nan)
        ok = np.isfinite(score)
        if ok.any():
            p[ok] = cal.predict_proba(score[ok][:, None])[:, 1]
        return p

    def _provenance(self, inv: pd.DataFrame, n_graded: int, n_rejected: int) -> dict[str, Any]:
        return self.provenance(
            n_graded, n_rejected, input_sha256=inv.attrs.get("input_sha256"), source=inv.attrs.get("source")
        )

    def provenance(
        self, n_graded: int, n_rejected: int, *, input_sha256: str | None = None, source: str | None = None
    ) -> dict[str, Any]:
        """The provenance written with a graded file (also by the batch engines).

        Parameters
        ----------
        n_graded, n_rejected : int
            Rows graded and rows rejected.
        input_sha256 : str, optional
            SHA-256 of the input file.
        source : str, optional
            The input's name (its path).

        Returns
        -------
        dict
            Version, config name and hash, input hash and source, catalog, factors,
            weights, weighting method, thresholds, quota, row counts, result columns.
        """
        cfg = self.config
        return {
            "riskgrade_version": __version__,
            "config_name": cfg.name,
            "config_sha256": config_hash(cfg),
            "input_sha256": input_sha256,
            "input_source": source,
            "catalog": cfg.catalog.name,
            "factors": self.catalog.names,
            "weights": {k: float(v) for k, v in self.weights_.items()},
            "weighting_method": cfg.weighting.method,
            "thresholds": cfg.levels.model_dump(mode="json"),
            "max_share": cfg.quota.max_share,
            "quota_by": cfg.quota.by,
            "rows_graded": int(n_graded),
            "rows_rejected": int(n_rejected),
            "result_columns": RESULT_COLUMNS,
        }

    # ------------------------------------------------------------------ model card
    def _card_body(self) -> dict[str, Any]:
        self._ensure_fitted()
        return {
            "format": MODEL_CARD_FORMAT,
            "format_version": CARD_VERSION,
            "riskgrade_version": __version__,
            "config_sha256": config_hash(self.config),
            "config": self.config.model_dump(mode="json"),
            # explicit even when the config leaves the default out: the card pins the policy
            "identity": self.config.identity.model_dump(mode="json"),
            "weights": {k: float(v) for k, v in self.weights_.items()},
            "weight_details": _jsonable(self.weight_details_),
            "training": _jsonable(getattr(self, "training_", {})),
            **(
                {"calibrator": _jsonable(self.calibrator_.to_dict())}
                if getattr(self, "calibrator_", None) is not None
                else {}
            ),
        }

    def to_card(self) -> dict[str, Any]:
        """The JSON model card as a dict, sealed (see :mod:`riskgrade.model_card`)."""
        return seal(self._card_body())

    def save(self, path: str | Path) -> Path:
        """Save the model card as JSON (atomically). Never pickle."""
        from riskgrade.io import atomic_path

        path = Path(path)
        card = self._card_body()
        ml = getattr(self, "ml_scorer_", None)
        if ml is not None:
            # the fitted supervised scorer goes beside the card as skops (never pickle);
            # the card names the file and pins its SHA-256
            from riskgrade.io import file_sha256
            from riskgrade.persistence import save_scorer

            side = path.with_name(path.stem + ".scorer.skops")
            save_scorer(ml, side)
            card["ml_scorer"] = {"file": side.name, "sha256": file_sha256(side)}
        text = json.dumps(seal(card), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
        return path

    @classmethod
    def from_card(cls, card: dict[str, Any], *, source: str | None = None) -> RiskModel:
        """Rebuild a fitted model from a model-card dict, refusing any altered or invalid card.

        Raises
        ------
        ModelCardError
            Naming every failing field and its value (see :mod:`riskgrade.model_card`).
        """
        version, problems, structure_ok = inspect_card(card, source=source)
        model = None
        if structure_ok:  # rebuild to find what only the model can tell (collecting every failure)
            try:
                model = cls(card_config(card, problems, source=source))
                model.set_weights(card_weights(card, model.config, version, source=source),
                                   dict(card.get("weight_details", {})))
                model.training_ = dict(card.get("training", {}))
                if "calibrator" in card:
                    model.calibrator_ = card_calibrator(card, source=source)
                check_rebuilt(card, model._card_body(), source=source)
            except ModelCardError as err:
                problems.extend(p for p in err.problems if p not in problems)
        if problems or model is None:
            raise ModelCardError("invalid model card: " + "; ".join(problems), source=source,
                                 problems=problems)
        if model.config.scorer is not None:
            model.ml_scorer_ = card_scorer(card, source=source)
        return model

    @classmethod
    def load(cls, path: str | Path) -> RiskModel:
        """Load a model saved with :meth:`save` (checked: see :mod:`riskgrade.model_card`)."""
        p = Path(path)
        return cls.from_card(read_card(p), source=str(p))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, pd.Series):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return _jsonable(obj.to_dict(orient="list"))
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj

