"""The state of one batch run: a :class:`RunState` passed explicitly to every pass.

:func:`riskgrade.engine.batch.grade_file` creates it (:meth:`RunState.start`); pass 1
(:mod:`riskgrade.engine.pass1`) fills the keys and failures, the weight pass
(:mod:`riskgrade.engine.weights`) the weights, the quota pass
(:func:`riskgrade.engine.rank.rank_units`) ranks, flags and unit counts, and the output
pass (:func:`riskgrade.engine.output.write_output`) reads them. Each field says which pass
sets it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskgrade.engine.compact import restore
from riskgrade.engine.core import as_float
from riskgrade.engine.sources import Source
from riskgrade.engine.units import UnitCodes
from riskgrade.results import reject_reasons

__all__ = ["EngineSummary", "Pass1Result", "Progress", "RunState"]

Progress = Callable[[str, int], None]


@dataclass
class EngineSummary:
    """What a batch run did (printed by the CLI, returned by :func:`grade_file`)."""

    engine: str
    rows_in: int = 0
    rows_graded: int = 0
    rows_rejected: int = 0
    levels: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0, 3: 0})
    units: int = 0
    units_over_cap: int = 0
    demoted: int = 0
    small_units: int = 0  # units whose share cap is 0 (too few points for one level-one point)
    seconds: float = 0.0
    groups: int = 1
    audit: pd.DataFrame | None = None
    provenance: dict[str, Any] = field(default_factory=dict)


@dataclass
class Pass1Result:
    """Rows read, failures and per-unit counts of pass 1."""

    rows_in: int = 0
    failures: list[pd.DataFrame] = field(default_factory=list)
    bad_rows: list[np.ndarray] = field(default_factory=list)
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def _empty_int() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@dataclass(eq=False)
class RunState:
    """State of one engine run, passed explicitly to the passes (no module-level state)."""

    # ---- given (grade_file)
    model: Any
    src: Source
    engine: str
    budget: int
    on_error: str
    progress: Progress | None
    summary: EngineSummary
    threads: int
    p1_threads: int  # pass-1 workers; one when streaming (fewer batches in flight)
    tmpdir: Path | None = None
    # ---- weights: fixed, or set by the weight pass after pass 1
    w: Any = None
    weight_pass: Any = None
    # ---- pass 1
    p1: Pass1Result = field(default_factory=Pass1Result)
    units: UnitCodes = field(default_factory=UnitCodes)
    types0: dict[str, pa.DataType] | None = None
    view: Any = None  # riskgrade.output_view.OutputView of the written file (None: every column)
    tie_present: list[str] = field(default_factory=list)
    keys: dict[str, list] = field(default_factory=dict)  # local engine: g, s, ids per batch
    ipc: Any = None  # stream engine: the open keys file
    ipc_path: Path | None = None
    # local engine: kept batches and, per batch, the first good-row index and the
    # positions of the good rows (None when all are good)
    batches: list[pa.Table] = field(default_factory=list)
    good_start: list[int] = field(default_factory=lambda: [0])
    good_pos: list[np.ndarray | None] = field(default_factory=list)
    unit_at: list[int] = field(default_factory=list)  # where the unit column was removed (-1: not)
    bad: np.ndarray = field(default_factory=_empty_int)
    extra_bad: pd.DataFrame | None = None  # rows rejected for ids repeated across batches
    fc_all: pd.DataFrame | None = None
    reasons: dict[int, str] = field(default_factory=dict)
    # ---- quota pass (rank_units)
    n_units: int = 0
    n_u: np.ndarray = field(default_factory=_empty_int)  # valid rows per unit code
    cap_eff: np.ndarray = field(default_factory=_empty_int)  # effective cap per unit code
    cand: np.ndarray = field(default_factory=_empty_int)  # level-1 candidates per unit code
    n_groups: int = 1
    g: np.ndarray = field(default_factory=_empty_int)  # local: unit code, rank, flags of valid rows
    rank: np.ndarray = field(default_factory=_empty_int)
    flags: np.ndarray = field(default_factory=_empty_int)
    group_files: list[Path] = field(default_factory=list)  # stream: (rank, flags) per unit group
    # ---- output pass (write_output)
    part_rows: int = 0

    @classmethod
    def start(
        cls, model: Any, src: Source, engine: str, budget: int, on_error: str, progress: Progress | None
    ) -> RunState:
        """The state at the start of a run with ``model`` (fitted or not) over ``src``."""
        threads = min(2, os.cpu_count() or 1)
        return cls(
            model=model,
            src=src,
            engine=engine,
            budget=budget,
            on_error=on_error,
            progress=progress,
            summary=EngineSummary(engine=engine),
            threads=threads,
            p1_threads=threads if engine == "local" else min(1, threads),
            w=model.weights_.to_numpy() if model.is_fitted else None,
        )

    @property
    def config(self) -> Any:
        """The model's config."""
        return self.model.config

    @property
    def catalog(self) -> Any:
        """The model's factor catalog."""
        return self.model.catalog

    @property
    def dec(self) -> Any:
        """Decimals of the score."""
        return self.config.score_decimals

    @property
    def quota_policy(self) -> Any:
        """The config's quota policy."""
        return self.config.quota

    @property
    def tie_names(self) -> list[str]:
        """The secondary tie-break columns of the quota policy."""
        return list(self.quota_policy.tie_break)

    def tick(self, phase: str, rows: int) -> None:
        """Report progress."""
        if self.progress is not None:
            self.progress(phase, rows)

    def reasons_for(self, row: int) -> str:
        """The reject reasons of input row ``row`` (``column:reason;...``)."""
        if not self.reasons and self.fc_all is not None:
            self.reasons = {int(k): v for k, v in reject_reasons(self.fc_all).items()}
        return self.reasons.get(row, "")

    def tie_keys_at(self, rows: np.ndarray) -> list[np.ndarray]:
        """Secondary tie-break keys of the valid rows ``rows`` (local engine: from the kept input)."""
        out = [np.empty(len(rows)) for _ in self.tie_present]
        if not self.tie_present or not len(rows):
            return out
        starts = np.asarray(self.good_start)
        b = np.searchsorted(starts, rows, side="right") - 1
        for bi in np.unique(b):
            at = np.flatnonzero(b == bi)
            local = rows[at] - starts[bi]
            gp = self.good_pos[bi]
            pos = pa.array(local if gp is None else gp[local])
            kb = self.batches[bi]
            for j, k in enumerate(self.tie_present):
                col = restore(kb.column(k), (self.types0 or {}).get(k))
                out[j][at] = as_float(pc.take(col, pos))
        return out
