"""Root pytest configuration: doctests of the package, skipping modules whose optional extra is absent."""

from __future__ import annotations

import importlib.util

collect_ignore_glob: list[str] = []
if importlib.util.find_spec("dask") is None:
    collect_ignore_glob.append("src/riskgrade/engine/dask_backend.py")
