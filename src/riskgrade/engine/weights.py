"""The weight pass of the batch engine: data-driven weights from the graded rows of pass 1.

The statistics themselves (:class:`~riskgrade.weighting.stats.WeightStats`) live with the
weighting methods they compute; this module feeds them the factor scores of pass 1 and
scores the kept keys once the weights are known.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from riskgrade.engine.core import score_ints
from riskgrade.engine.state import RunState
from riskgrade.weighted_index import index_score
from riskgrade.weighting.stats import WeightStats

__all__ = ["EngineWeightPass"]


class EngineWeightPass:
    """The weight pass of the batch engine (:func:`riskgrade.engine.grade_file`).

    Pass 1 of the engine validates every record batch and computes the factor scores of
    its graded rows; :meth:`add` folds them into :class:`WeightStats` and appends them to a
    temporary file (8 bytes per factor and row; cheaper than recomputing the transforms).
    After pass 1 (and the check for ids repeated across batches, which may reject more
    rows and rerun it), :meth:`finish` computes the weights, fits the model with them and
    scores the kept keys from that file, so the input is parsed no more often than with
    fixed weights. Min-max entropy reads the file once more for the sums of ``x - min``.

    Parameters
    ----------
    run : riskgrade.engine.state.RunState
        The engine run (its model is not fitted yet).
    """

    def __init__(self, run: RunState) -> None:
        self.run = run
        self.model = run.model
        self.names = list(run.catalog.names)
        self.reset()

    def reset(self) -> None:
        """Start over (pass 1 is rerun when ids repeat across batches)."""
        self.stats = WeightStats(self.model.config.weighting, self.names)
        self.rows: list[int] = []
        fh = getattr(self, "spill", None)
        if fh is not None:
            fh.close()
        self.spill: Any = None

    def add(self, F: np.ndarray) -> np.ndarray:
        """Fold the factor scores of a batch's graded rows in; placeholder score keys out."""
        self.stats.update(F)
        if self.spill is None:
            assert self.run.tmpdir is not None
            self.spill_path = self.run.tmpdir / "factor_scores.f8"
            self.spill = open(self.spill_path, "wb")  # noqa: SIM115 - closed in _blocks/reset
        np.asfortranarray(F, dtype=np.float64).T.tofile(self.spill)  # column-major, as the engine's
        self.rows.append(len(F))
        return np.zeros(len(F), dtype=np.int64)

    def _blocks(self) -> Any:
        """The factor-score blocks of pass 1 again, in the same order (from the temporary file)."""
        m = len(self.names)
        if self.spill is not None:
            self.spill.close()
            self.spill = None
        if not self.rows:
            return
        with open(self.spill_path, "rb") as fh:
            for r in self.rows:
                yield np.fromfile(fh, dtype=np.float64, count=r * m).reshape(m, r).T

    def finish(self) -> None:
        """Weights from the statistics; the model is fitted and the score keys computed."""
        run, model = self.run, self.model
        stats = self.stats
        if stats.needs_second_pass:
            stats = stats.second_pass()
            for F in self._blocks():
                stats.update(F)
        weights, details = stats.finalize()
        weights = pd.Series(weights, dtype=float).reindex(self.names).fillna(0.0)
        model.set_weights(weights, details)
        model.training_ = {"n_rows": int(sum(self.rows)), "input_sha256": None}
        run.w = model.weights_.to_numpy()
        scores = (score_ints(index_score(F, run.w, decimals=run.dec), run.dec) for F in self._blocks())
        if run.engine == "local":
            run.keys["s"] = list(scores)
            return
        path = getattr(run, "ipc_path", None)
        if path is None:
            return
        new = path.with_name("keys-scored.arrow")
        with pa.OSFile(str(path)) as src:
            rd = pa.ipc.open_file(src)
            with pa.ipc.new_file(str(new), rd.schema) as out:
                pos = rd.schema.get_field_index("s")
                for i in range(rd.num_record_batches):
                    b = rd.get_batch(i)
                    s = next(scores)
                    if len(s) != b.num_rows:  # pragma: no cover - the passes read the same rows
                        raise RuntimeError("weight pass: factor scores and keys are out of step")
                    out.write_batch(b.set_column(pos, "s", pa.array(s)))
        new.replace(path)
