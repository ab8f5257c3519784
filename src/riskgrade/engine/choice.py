"""Which engine grades a run, and with how much memory: the one place that decides it.

:func:`batch_blocker` says why the batch engines (local, stream, Dask) cannot grade a model
(they grade the weighted index and compute data-driven weights in one pass);
:func:`choose_engine` picks the engine for ``riskgrade score`` and
:func:`riskgrade.engine.batch.ready_for_batch` refuses what the batch engines cannot do,
both from that one rule.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from riskgrade.weighting.stats import batch_supported, needs_data

__all__ = ["batch_blocker", "choose_engine", "default_memory_limit", "parse_memory"]


def default_memory_limit() -> int:
    """A quarter of the memory available now (bytes); 1 GiB when unknown."""
    try:
        import psutil

        return int(psutil.virtual_memory().available // 4)
    except ImportError:  # pragma: no cover - psutil is optional
        try:
            return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 4)
        except (ValueError, OSError, AttributeError):
            return 1 << 30


def parse_memory(text: str | int) -> int:
    """Bytes from ``"512MB"``, ``"2GiB"``, ``"1.5G"`` or a plain number of bytes."""
    if isinstance(text, int):
        return text
    s = str(text).strip().upper().replace(" ", "")
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    num = s.rstrip("IB")
    mult = 1
    if num and num[-1] in units:
        mult = units[num[-1]]
        num = num[:-1]
    try:
        value = float(num)
    except ValueError:
        raise ValueError(f"memory limit {text!r}: expected a size such as 512MB or 2GB") from None
    if value <= 0:
        raise ValueError(f"memory limit {text!r} must be positive")
    return int(value * mult)


def batch_blocker(model: Any) -> str | None:
    """Why the batch engines cannot grade ``model`` (``None``: they can).

    ``"scorer"``: the config calibrates the score or uses a supervised scorer (graded by
    :meth:`RiskModel.grade`); ``"fit"``: the weights come from data in a way the engines
    cannot compute in one pass (CRITIC with Spearman correlation) and the model is not fitted.
    """
    cfg = model.config
    if cfg.calibration is not None or cfg.scorer is not None:
        return "scorer"
    if not model.is_fitted and needs_data(cfg.weighting) and not batch_supported(cfg.weighting):
        return "fit"
    return None


def choose_engine(
    requested: str,
    model: Any,
    source: str | Path,
    memory_limit: int | None = None,
    *,
    frame_only: bool = False,
) -> str:
    """The engine of a run: ``"model"`` (the DataFrame path), ``"local"``, ``"stream"`` or ``"dask"``.

    Parameters
    ----------
    requested : {"auto", "local", "stream", "dask"}
        The engine asked for; ``"auto"`` is the DataFrame path when a batch engine cannot
        grade the run, else local, or stream when the file is larger than ``memory_limit``
        (the local engine holds about the file size in memory).
    model : RiskModel
    source : path
        The input file.
    memory_limit : int, optional
        Budget in bytes (default :func:`default_memory_limit`).
    frame_only : bool
        The run needs the DataFrame path for another reason (output to stdout, level
        probabilities).

    Raises
    ------
    ValueError
        When a batch engine is asked for a run it cannot grade.
    """
    needs_frame = frame_only or batch_blocker(model) is not None
    if requested == "auto":
        if needs_frame:
            return "model"
        limit = memory_limit or default_memory_limit()
        path = Path(source)
        size = path.stat().st_size if path.exists() else 0
        return "stream" if size > limit else "local"
    if needs_frame:
        raise ValueError(
            f"--engine {requested} writes a file and grades the weighted index (CRITIC with Spearman "
            "correlation needs a fitted model card); "
            "it cannot write to '-', add --uncertainty, or use a calibrator or supervised scorer"
        )
    return requested
