"""Combination of subjective (expert, AHP) and objective (entropy, CRITIC) weights.

Three rules are in use in the integrity-risk and risk-assessment literature (主客观组合赋权):

* linear (additive) synthesis: ``w = alpha * s + (1 - alpha) * o``;
* multiplicative synthesis (乘法合成归一化): ``w_j = s_j o_j / sum_k s_k o_k``
  (Wang & Lee 2009);
* game-theory combination (博弈论组合赋权): the weights ``w = sum_k a_k u_k`` of the L
  vectors ``u_k`` that minimise the deviations ``|| w - u_j ||_2`` for every j. Setting the
  derivatives to zero gives the L x L linear system ``sum_k a_k u_j . u_k = u_j . u_j``
  (j = 1..L); the coefficients are then normalised as ``|a_k| / sum |a|`` (Lai et al. 2015).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from riskgrade.exceptions import WeightingError

__all__ = ["CombinedWeights", "combine_weights", "combine_weights_details"]


@dataclass(frozen=True)
class CombinedWeights:
    """Combined weights and the coefficient given to each input vector.

    Attributes
    ----------
    weights : pandas.Series
        The combined weights (non-negative, sum 1).
    coefficients : list of float
        The weight of each input vector (``[alpha, 1 - alpha]`` for the linear rule, the
        normalised game-theory coefficients ``a*``; empty for the multiplicative rule).
    method : str
        The rule used.
    """

    weights: pd.Series
    coefficients: list[float]
    method: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able figures (for a model card)."""
        return {"method": self.method, "coefficients": [float(c) for c in self.coefficients]}


def _as_vectors(vectors: Sequence[Any]) -> tuple[pd.Index, np.ndarray]:
    """Align weight vectors (Series by label, arrays by position) into an (L, n) array."""
    index: pd.Index | None = None
    for v in vectors:
        if isinstance(v, pd.Series | dict):
            s = pd.Series(v, dtype=float)
            if index is None:
                index = pd.Index(s.index)
            elif set(s.index) != set(index):
                raise WeightingError(
                    f"weight vectors name different criteria: {sorted(map(str, index))} vs "
                    f"{sorted(map(str, s.index))}"
                )
    rows = []
    for i, v in enumerate(vectors):
        if isinstance(v, pd.Series | dict):
            arr = pd.Series(v, dtype=float).reindex(index).to_numpy()
        else:
            arr = np.asarray(v, dtype=float).ravel()
        rows.append(arr)
        if index is None:
            index = pd.RangeIndex(len(arr))
        if len(arr) != len(index):
            raise WeightingError(f"weight vector {i} has {len(arr)} entries, expected {len(index)}")
        if not np.isfinite(arr).all() or (arr < 0).any():
            raise WeightingError(f"weight vector {i} must be finite and non-negative, got {arr.tolist()}")
        if arr.sum() <= 0:
            raise WeightingError(f"weight vector {i} sums to zero")
    assert index is not None
    W = np.vstack(rows)
    return index, W / W.sum(axis=1, keepdims=True)


def combine_weights_details(
    subjective: Any,
    objective: Any,
    *others: Any,
    method: Literal["linear", "multiplicative", "game_theory"] = "linear",
    alpha: float | Sequence[float] = 0.5,
) -> CombinedWeights:
    """Combine weight vectors; like :func:`combine_weights` with the coefficients used."""
    index, W = _as_vectors([subjective, objective, *others])
    L = W.shape[0]
    if method == "linear":
        if np.ndim(alpha) == 0:
            a = float(alpha)  # type: ignore[arg-type]
            if L != 2:
                raise WeightingError(f"linear combination of {L} vectors needs alpha as {L} coefficients")
            coef = np.array([a, 1.0 - a])
        else:
            coef = np.asarray(alpha, dtype=float)
            if coef.shape != (L,) or not np.isclose(coef.sum(), 1.0):
                raise WeightingError(f"alpha must be {L} coefficients summing to 1, got {list(coef)}")
        if (coef < 0).any() or (coef > 1).any():
            raise WeightingError(f"alpha must lie in [0, 1], got {coef.tolist()}")
        w = coef @ W
    elif method == "multiplicative":
        prod = W.prod(axis=0)
        if prod.sum() <= 0:
            raise WeightingError(
                "multiplicative combination: no criterion has a positive weight in every vector"
            )
        w, coef = prod, np.array([])
    elif method == "game_theory":
        G = W @ W.T
        try:
            sol = np.linalg.solve(G, np.diag(G).copy())
        except np.linalg.LinAlgError:
            sol = np.linalg.lstsq(G, np.diag(G).copy(), rcond=None)[0]
        if not np.isfinite(sol).all() or np.abs(sol).sum() == 0:
            raise WeightingError("game-theory combination: the linear system has no usable solution")
        coef = np.abs(sol) / np.abs(sol).sum()
        w = coef @ W
    else:
        raise WeightingError(
            f"method must be 'linear', 'multiplicative' or 'game_theory', got {method!r}"
        )
    w = w / w.sum()
    return CombinedWeights(pd.Series(w, index=index, name="weight"), coef.tolist(), method)


def combined_result(
    s: pd.Series,
    sd: dict[str, Any],
    o: pd.Series,
    od: dict[str, Any],
    cs: Any,
    names: Sequence[str],
) -> tuple[pd.Series, dict[str, Any]]:
    """Weights and model-card details of a ``combined`` weighting.

    Used by :func:`riskgrade.weighting.resolve_weights` and the batch engines
    (:class:`riskgrade.weighting.stats.WeightStats`), so both report the same figures.

    Parameters
    ----------
    s, o : pandas.Series
        Subjective and objective weights, indexed by factor.
    sd, od : dict
        Their model-card details.
    cs : CombinedSpec
        The ``[weighting.combined]`` table (``method``, ``alpha``).
    names : sequence of str
        Factors in use, in catalog order (the order of the returned weights).

    Returns
    -------
    weights : pandas.Series
    details : dict
        ``method``, ``combination`` (rule and coefficients), ``alpha`` and the
        ``subjective`` and ``objective`` details, each with its weights.
    """
    combo = combine_weights_details(s, o, method=cs.method, alpha=cs.alpha)
    details = {
        "method": "combined",
        "combination": combo.to_dict(),
        "alpha": cs.alpha,
        "subjective": {**sd, "weights": {k: float(v) for k, v in s.items()}},
        "objective": {**od, "weights": {k: float(v) for k, v in o.items()}},
    }
    return combo.weights.reindex(names), details


def combine_weights(
    subjective: Any,
    objective: Any,
    *others: Any,
    method: Literal["linear", "multiplicative", "game_theory"] = "linear",
    alpha: float | Sequence[float] = 0.5,
) -> pd.Series:
    """Combine subjective and objective weights.

    Parameters
    ----------
    subjective, objective : pandas.Series, dict or array-like
        Weight vectors (each renormalised to sum 1). Series/dicts are aligned by label,
        arrays by position.
    *others : pandas.Series, dict or array-like
        Further vectors (e.g. both entropy and CRITIC weights): ``"game_theory"`` and
        ``"multiplicative"`` take any number; ``"linear"`` then needs ``alpha`` as one
        coefficient per vector.
    method : {"linear", "multiplicative", "game_theory"}
        ``"linear"``: ``w = alpha s + (1 - alpha) o``. ``"multiplicative"``:
        ``w_j = s_j o_j / sum_k s_k o_k`` (Wang & Lee 2009): a criterion needs support from
        both sides, and one with zero objective weight (a constant column) stays at zero.
        ``"game_theory"``: for vectors ``u_1..u_L`` solve ``sum_k a_k (u_j . u_k) =
        u_j . u_j`` (j = 1..L), normalise ``a*_k = |a_k| / sum |a|`` and return ``sum_k
        a*_k u_k``: the compromise that minimises the deviation from every input vector
        (Lai et al. 2015; widely used in Chinese risk-assessment work as 博弈论组合赋权).
    alpha : float or sequence of float
        Share of the subjective weights in the linear rule (default 0.5).

    Returns
    -------
    pandas.Series
        Combined weights, non-negative, summing to 1.

    References
    ----------
    Wang, T.-C. & Lee, H.-D. (2009). Developing a fuzzy TOPSIS approach based on subjective
    weights and objective weights. Expert Syst. Appl. 36(5), 8980-8985.
    Lai, C., Chen, X., Chen, X., Wang, Z., Wu, X. & Zhao, S. (2015). A fuzzy comprehensive
    evaluation model for flood risk based on the combination weight of game theory. Nat.
    Hazards 77(2), 1243-1259.

    Examples
    --------
    >>> s = {"a": 0.5, "b": 0.3, "c": 0.2}
    >>> o = {"a": 0.2, "b": 0.3, "c": 0.5}
    >>> combine_weights(s, o, method="linear", alpha=0.6).round(2).tolist()
    [0.38, 0.3, 0.32]
    >>> combine_weights(s, o, method="game_theory").round(2).tolist()   # symmetric inputs
    [0.35, 0.3, 0.35]
    """
    return combine_weights_details(subjective, objective, *others, method=method, alpha=alpha).weights
