"""Principal (Perron) eigenpair of positive matrices, single and batched.

For a positive matrix A the Perron root lambda_max is simple and strictly dominant, and the
normalised rows sums of A^m converge to the principal right eigenvector w as m grows, with
error of order ``|lambda_2 / lambda_1|^m`` (Perron 1907; Saaty 1980 computes w this way, as the
limit of the normalised row sums of powers of A). Repeated squaring reaches m = 2^k in k
matrix products, so a 7 x 7 matrix needs a handful of products instead of tens of
power-iteration steps. Each squared matrix is rescaled by its sum to stay within range.

lambda_max is then ``sum(A w)`` for ``sum(w) = 1``; at the fixed point this equals the
Rayleigh-like ratio (A w)_i / w_i for every i.

A single matrix of size n <= 64 goes to LAPACK (``numpy.linalg.eig``, the eigenvalue of
largest real part, which for a positive matrix is the Perron root) followed by the same
polishing power step: one library call costs less than the loop of small numpy operations.
Batches use the squaring scheme, which vectorises over the stack.
"""

from __future__ import annotations

import numpy as np

__all__ = ["perron", "perron_batch"]

_MAX_SQUARINGS = 60
_LAPACK_MAX_N = 64
_BATCH_SQUARINGS = 3
_MAX_POWER_STEPS = 500


def perron(a: np.ndarray, *, tol: float = 1e-13) -> tuple[np.ndarray, float]:
    """Principal eigenvector (summing to 1) and eigenvalue of a positive square matrix.

    Parameters
    ----------
    a : numpy.ndarray
        n x n matrix with positive entries.
    tol : float, default 1e-13
        Convergence tolerance on the Euclidean change of the normalised vector.

    Returns
    -------
    w : numpy.ndarray
        Principal right eigenvector, positive, ``w.sum() == 1``.
    lambda_max : float
        Principal eigenvalue.

    Examples
    --------
    >>> import numpy as np
    >>> w, lam = perron(np.array([[1.0, 2.0], [0.5, 1.0]]))
    >>> np.round(w, 6).tolist(), round(lam, 12)
    ([0.666667, 0.333333], 2.0)
    """
    n = a.shape[0]
    if n == 1:
        return np.ones(1), float(a[0, 0])
    if n <= _LAPACK_MAX_N:
        # one LAPACK call is cheaper than a Python loop of small numpy operations
        vals, vecs = np.linalg.eig(a)
        k = int(np.argmax(vals.real))
        w = np.abs(vecs[:, k].real)
        w /= w.sum()
    else:
        tol2 = tol * tol
        b = a / a.sum()
        w = b.sum(axis=1)
        for _ in range(_MAX_SQUARINGS):
            b = b @ b
            b /= b.sum()
            # b sums to 1, so its row sums are already normalised
            w_new = b.sum(axis=1)
            d = w_new - w
            if d @ d <= tol2:
                w = w_new
                break
            w = w_new
    # one power step polishes the vector and gives lambda_max
    aw = a @ w
    lam = float(aw.sum())
    w = aw / lam
    return w, lam


def perron_batch(stack: np.ndarray, *, tol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """Principal eigenvectors and eigenvalues of a stack of positive matrices.

    Parameters
    ----------
    stack : numpy.ndarray
        Array of shape (k, n, n), positive entries.
    tol : float, default 1e-12
        Convergence tolerance on the max-abs change of each normalised vector.

    Returns
    -------
    w : numpy.ndarray
        Shape (k, n); each row positive and summing to 1.
    lambda_max : numpy.ndarray
        Shape (k,).
    """
    k, n, _ = stack.shape
    if k == 0:
        return np.empty((0, n)), np.empty(0)
    if n == 1:
        return np.ones((k, 1)), stack[:, 0, 0].astype(float).copy()
    # B = (A / sum A)^8 by three squarings, then power iteration with B (each step is
    # eight steps of plain power iteration); entries stay in range after the rescaling.
    hi, lo = float(stack.max()), float(stack.min())
    if hi * n < 1e30 and lo > 1e-30:
        # entries of A^8 stay below (n max)^8 and above min^8: no rescaling needed until the end
        b = np.matmul(stack, stack)
        for _ in range(_BATCH_SQUARINGS - 1):
            b = np.matmul(b, b)
        b /= b.sum(axis=(1, 2), keepdims=True)
    else:
        b = stack / stack.sum(axis=(1, 2), keepdims=True)
        for _ in range(_BATCH_SQUARINGS):
            b = np.matmul(b, b)
            b /= b.sum(axis=(1, 2), keepdims=True)
    w = b.sum(axis=2)
    w /= w.sum(axis=1, keepdims=True)
    out = w
    active: np.ndarray | None = None
    bb = b
    wa = w
    for _ in range(_MAX_POWER_STEPS):
        w_new = np.einsum("kij,kj->ki", bb, wa)
        w_new /= w_new.sum(axis=1, keepdims=True)
        done = np.max(np.abs(w_new - wa), axis=1) <= tol
        if active is None:
            out = w_new
        else:
            out[active] = w_new
        if done.all():
            break
        if done.mean() > 0.5:
            keep = ~done
            active = np.flatnonzero(keep) if active is None else active[keep]
            bb = bb[keep]
            wa = w_new[keep]
        else:
            wa = w_new
    aw = np.einsum("kij,kj->ki", stack, out)
    lam = aw.sum(axis=1)
    w = aw / lam[:, None]
    return w, lam
