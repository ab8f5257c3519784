"""Saving and loading a fitted :class:`~riskgrade.ml.MLScorer` with skops, never pickle.

skops (the ``skops`` extra) stores an estimator as a zip of JSON schema and numpy arrays
and, on loading, refuses every type that is not explicitly trusted. :func:`load_scorer`
trusts exactly the types in :data:`TRUSTED_TYPES` (riskgrade's own estimators, the
calibration maps, the factor catalog and the scikit-learn/numpy types they hold) plus
any the caller names; a file holding anything else is refused with
:class:`~riskgrade.exceptions.ConfigError` listing the untrusted types.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from riskgrade.exceptions import ConfigError

__all__ = ["TRUSTED_TYPES", "load_scorer", "save_scorer", "untrusted_types"]

#: Types a saved MLScorer may hold (besides the ones skops trusts by default).
TRUSTED_TYPES: tuple[str, ...] = (
    "riskgrade.ml.MLScorer",
    "riskgrade.ml.MonotoneLogisticRegression",
    "riskgrade.calibration.maps.SigmoidMap",
    "riskgrade.calibration.maps.BetaMap",
    "riskgrade.calibration.maps.IsotonicMap",
    "riskgrade.calibration.maps.VennAbersMap",
    "riskgrade.factors.FactorCatalog",
    "riskgrade.factors.Factor",
    "riskgrade.factors.Anchor",
    "riskgrade.factors.LinearTransform",
    "riskgrade.factors.LogTransform",
    "riskgrade.factors.RateTransform",
    "riskgrade.factors.BandTransform",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "builtins.tuple",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
)


def _sio() -> Any:
    try:
        import skops.io as sio
    except ImportError:  # pragma: no cover - depends on the extra
        raise ImportError("saving an MLScorer needs skops: pip install 'riskgrade[skops]'") from None
    return sio


def save_scorer(scorer: Any, path: str | Path) -> Path:
    """Save a fitted scorer (or calibrator) with skops.

    Parameters
    ----------
    scorer : MLScorer or ScoreCalibrator
        A fitted estimator.
    path : str or Path
        Target file (``.skops`` by convention); written atomically.

    Returns
    -------
    Path
    """
    from riskgrade.io import atomic_path

    sio = _sio()
    path = Path(path)
    with atomic_path(path) as tmp:
        sio.dump(scorer, tmp)
    return path


def untrusted_types(path: str | Path, trusted: Iterable[str] = ()) -> list[str]:
    """Types in a skops file that would not be trusted by :func:`load_scorer`."""
    sio = _sio()
    allowed = set(TRUSTED_TYPES) | set(trusted)
    return sorted(t for t in sio.get_untrusted_types(file=Path(path)) if t not in allowed)


def load_scorer(path: str | Path, *, trusted: Iterable[str] = ()) -> Any:
    """Load a scorer saved by :func:`save_scorer`, trusting only known types.

    Parameters
    ----------
    path : str or Path
        The skops file.
    trusted : iterable of str
        Extra fully qualified type names to trust (for a custom base estimator).

    Returns
    -------
    The estimator.

    Raises
    ------
    ConfigError
        When the file holds a type that is neither in :data:`TRUSTED_TYPES` nor in
        ``trusted``; nothing from the file is executed.
    """
    sio = _sio()
    path = Path(path)
    extra = list(trusted)
    bad = untrusted_types(path, extra)
    if bad:
        raise ConfigError(
            f"refusing to load: the file holds untrusted type(s) {bad}; pass them in trusted= "
            "only if you know where the file comes from",
            source=str(path),
        )
    return sio.load(path, trusted=sorted(set(TRUSTED_TYPES) | set(extra)))
