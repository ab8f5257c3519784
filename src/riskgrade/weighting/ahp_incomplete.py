"""Incomplete pairwise-comparison matrices: connectivity, LLSM and lambda_max-optimal completion.

Missing judgements (NaN) are allowed as long as the comparison graph (criteria as vertices,
given judgements as edges) is connected; otherwise the relative weight of the separate groups
is undetermined and :class:`~riskgrade.exceptions.InconsistentJudgementsError` names them.

Two completions are offered (Bozóki, Fülöp & Rónyai 2010, "On optimal completion of
incomplete pairwise comparison matrices", Mathematical and Computer Modelling 52, 318-333):

* ``"lambda_max"`` — fill the missing entries so that the Perron root lambda_max of the
  completed matrix is as small as possible (the completion that is "as consistent as
  possible"). In the variables ``y = ln x`` lambda_max is a convex function and, when the
  graph is connected, the minimiser is unique (Bozóki et al. 2010, Section 3). It is found
  here with L-BFGS-B using the exact gradient
  ``d lambda / d a_ij = v_i w_j / (v . w)`` (left and right Perron vectors v, w), started from
  the LLSM completion.
* ``"llsm"`` — logarithmic least squares: minimise ``sum over given (i, j) of
  (ln a_ij - ln w_i + ln w_j)^2``, whose normal equations are the graph-Laplacian system
  ``L y = r`` with ``r_i = sum_j ln a_ij`` over the given judgements (Kwiesielewicz 1996;
  Bozóki et al. 2010, Section 5); missing entries are filled with ``w_i / w_j``.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from riskgrade.exceptions import InconsistentJudgementsError
from riskgrade.weighting.ahp_eigen import perron

__all__ = ["check_connected", "complete_matrix", "llsm_weights"]


def _components(given: np.ndarray) -> list[list[int]]:
    n = given.shape[0]
    seen = np.zeros(n, dtype=bool)
    comps: list[list[int]] = []
    for start in range(n):
        if seen[start]:
            continue
        stack = [start]
        seen[start] = True
        comp = []
        while stack:
            i = stack.pop()
            comp.append(i)
            for j in np.flatnonzero(given[i] & ~seen):
                seen[j] = True
                stack.append(int(j))
        comps.append(sorted(comp))
    return comps


def check_connected(a: np.ndarray, labels: list[Hashable]) -> None:
    """Raise if the comparison graph of an incomplete matrix is not connected.

    Parameters
    ----------
    a : numpy.ndarray
        n x n judgement matrix with NaN for missing judgements.
    labels : list
        Criterion names.

    Raises
    ------
    InconsistentJudgementsError
        Naming the groups of criteria that are not compared with each other
        (``details`` holds the list of groups).
    """
    given = ~np.isnan(a)
    np.fill_diagonal(given, False)
    comps = _components(given)
    if len(comps) > 1:
        groups = [[labels[i] for i in c] for c in comps]
        desc = "; ".join("{" + ", ".join(repr(x) for x in g) + "}" for g in groups)
        raise InconsistentJudgementsError(
            f"the comparison graph is not connected: {len(groups)} groups of criteria are never "
            f"compared with each other, so their relative weights are undetermined: {desc}. "
            f"Add at least one judgement linking each pair of groups.",
            details=groups,
        )


def llsm_weights(a: np.ndarray) -> np.ndarray:
    """Logarithmic least-squares weights of a (possibly incomplete) judgement matrix.

    Parameters
    ----------
    a : numpy.ndarray
        n x n reciprocal matrix, NaN for missing judgements; the comparison graph must be
        connected (see :func:`check_connected`).

    Returns
    -------
    numpy.ndarray
        Weights summing to 1. For a complete matrix these are the normalised row geometric
        means (Crawford & Williams 1985).
    """
    n = a.shape[0]
    given = ~np.isnan(a)
    np.fill_diagonal(given, False)
    if given.all() or n == 1:
        g = np.exp(np.mean(np.log(a), axis=1))
        return g / g.sum()
    logs = np.where(given, np.log(np.where(given, a, 1.0)), 0.0)
    lap = -given.astype(float)
    np.fill_diagonal(lap, given.sum(axis=1))
    r = logs.sum(axis=1)
    # fix the gauge sum(y) = 0 by adding the all-ones projector (L + J/n is non-singular
    # when the graph is connected)
    y = np.linalg.solve(lap + np.ones((n, n)) / n, r)
    w = np.exp(y - y.max())
    return w / w.sum()


def _fill(a: np.ndarray, iu: tuple[np.ndarray, np.ndarray], x: np.ndarray) -> np.ndarray:
    b = a.copy()
    b[iu] = x
    b[iu[1], iu[0]] = 1.0 / x
    return b


def complete_matrix(
    a: np.ndarray,
    labels: list[Hashable],
    *,
    completion: str = "lambda_max",
    tol: float = 1e-12,
) -> np.ndarray:
    """Fill the missing judgements of an incomplete matrix.

    Parameters
    ----------
    a : numpy.ndarray
        n x n reciprocal matrix with NaN for missing judgements.
    labels : list
        Criterion names (for error messages).
    completion : {"lambda_max", "llsm"}, default "lambda_max"
        ``"lambda_max"``: the completion minimising the Perron root (Bozóki, Fülöp & Rónyai
        2010); ``"llsm"``: ``w_i / w_j`` from the logarithmic least-squares weights.
    tol : float, default 1e-12
        Gradient tolerance of the lambda_max minimisation.

    Returns
    -------
    numpy.ndarray
        The completed positive reciprocal matrix (a copy; given entries unchanged).

    Raises
    ------
    InconsistentJudgementsError
        If the comparison graph is not connected.
    ValueError
        If ``completion`` is unknown.
    """
    from scipy.optimize import minimize

    if completion not in ("lambda_max", "llsm"):
        raise ValueError(f"completion must be 'lambda_max' or 'llsm', got {completion!r}")
    missing = np.isnan(a)
    if not missing.any():
        return a
    check_connected(a, labels)
    w = llsm_weights(a)
    rows, cols = np.nonzero(np.triu(missing, 1))
    iu = (rows, cols)
    x0 = w[iu[0]] / w[iu[1]]
    if completion == "llsm":
        return _fill(a, iu, x0)

    def objective(y: np.ndarray) -> tuple[float, np.ndarray]:
        x = np.exp(y)
        b = _fill(a, iu, x)
        wr, lam = perron(b)
        vl, _ = perron(b.T)
        denom = float(vl @ wr)
        grad = (vl[iu[0]] * wr[iu[1]] * x - vl[iu[1]] * wr[iu[0]] / x) / denom
        return lam, grad

    res = minimize(
        objective,
        np.log(x0),
        jac=True,
        method="L-BFGS-B",
        options={"gtol": tol, "ftol": 1e-15, "maxiter": 2000},
    )
    return _fill(a, iu, np.exp(res.x))
