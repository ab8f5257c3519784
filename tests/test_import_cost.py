"""``import riskgrade`` and ``riskgrade --help`` load no heavy optional library.

scipy.stats, scipy.optimize, scikit-learn, matplotlib, numba and dask are imported inside
the functions that use them (timings: benchmarks/bench_import.py). Each check runs in a
fresh interpreter, since this test process has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ["sklearn", "scipy.stats", "scipy.optimize", "matplotlib", "numba", "dask", "distributed"]

PROBE = """
import json, sys
{code}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _loaded(code: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code, heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "code",
    [
        "import riskgrade",
        "import riskgrade.weighting, riskgrade.config, riskgrade.io, riskgrade.schema",
        (
            "from riskgrade.cli import main\n"
            "import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            "    main(['--help'])"
        ),
    ],
    ids=["import riskgrade", "config and io", "riskgrade --help"],
)
def test_no_heavy_library_is_loaded(code):
    assert _loaded(code) == []


def test_the_probe_sees_a_heavy_import():
    # the check can fail: a module that does load scipy.stats is reported
    assert "scipy.stats" in _loaded("import scipy.stats")


def test_lazy_names_are_the_objects_they_were():
    import riskgrade as rg
    import riskgrade.weighting as w
    from riskgrade.scoring import IndexScorer
    from riskgrade.weighting.ahp import ahp
    from riskgrade.weighting.entropy import entropy_weights
    from riskgrade.weighting.estimators import EntropyWeighter

    assert rg.IndexScorer is IndexScorer
    assert w.ahp is ahp and callable(w.ahp)  # the function, not the module of the same name
    assert w.entropy_weights is entropy_weights
    assert w.EntropyWeighter is EntropyWeighter
    assert set(w.__all__) <= set(dir(w))
    with pytest.raises(AttributeError):
        _ = w.no_such_name
