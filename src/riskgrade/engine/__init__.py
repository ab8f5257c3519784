"""Batch scoring of inventory files, in memory or out of core (``riskgrade score``).

:func:`grade_file` (in :mod:`riskgrade.engine.batch`) is the entry point; the other
modules are its parts: sources and writers, CSV blocks, Parquet stitching, the fast
validity check, ids, ranking and the quota, spill files, output, progress and the Dask
backend (:mod:`riskgrade.engine.dask_backend`).
"""

from riskgrade.engine.batch import (
    RESULT_COLUMNS,
    EngineSummary,
    default_memory_limit,
    grade_file,
    neutralise,
    parse_memory,
    ready_for_batch,
    score_and_contributions,
)

__all__ = [
    "RESULT_COLUMNS",
    "EngineSummary",
    "default_memory_limit",
    "grade_file",
    "neutralise",
    "parse_memory",
    "ready_for_batch",
    "score_and_contributions",
]
