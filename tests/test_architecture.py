"""The package's shape: imports go one way, no private names cross modules, modules stay small.

Every module under ``src/riskgrade`` is parsed (:mod:`ast`, nothing is imported) and every
``import`` / ``from ... import`` statement is read, wherever it stands: at the top, inside a
function (lazy imports) or under ``if TYPE_CHECKING:``. The rules (docs/architecture.md):

- no import cycle between modules;
- no module imports one from a higher layer of :data:`LAYERS` (the data flow of
  DESIGN.md, bottom first);
- no private name (``_x``, not a dunder) is imported from another module;
- no module is longer than 600 lines.

Importing ``riskgrade.a.b`` runs the package ``riskgrade.a``'s ``__init__`` first; that
implicit edge is not counted (a package's ``__init__`` re-exports its submodules), only the
module named in the statement.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "riskgrade"
MAX_LINES = 600

#: Layers, bottom first. A module may import from its own layer (without a cycle) or a
#: lower one. A name matches a module and everything under it; the longest match wins.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("riskgrade._version", "riskgrade.exceptions")),
    (
        "methods",
        (
            "riskgrade.factors",
            "riskgrade.catalogs",
            "riskgrade.weighting",
            "riskgrade.weighted_index",
            "riskgrade.scoring",
            "riskgrade.grading",
            "riskgrade.results",
            "riskgrade.calibration",
            "riskgrade.identity",
            # the document's vocabulary (header and value aliases), header units and number
            # forms, the rule table: plain data and pure functions
            "riskgrade.words",
            "riskgrade.units",
            "riskgrade.schema_rules",
        ),
    ),
    ("config", ("riskgrade.config",)),
    (
        "schema",
        (
            "riskgrade.schema",
            # labels and messages in the user's language, and the unit conversion of a frame:
            # what the validator needs to speak of a row as the user wrote it
            "riskgrade.i18n",
            "riskgrade.messages",
            "riskgrade.inventory_forms",
        ),
    ),
    (
        "input and output",
        (
            "riskgrade.formats",
            "riskgrade.io",
            "riskgrade.i18n",
            "riskgrade.persistence",
            "riskgrade.datasets",
            "riskgrade.model_card",
            "riskgrade.outputs",
            # which columns a graded file holds, under whose headers
            "riskgrade.output_view",
            # the CSV block reader is shared by io.read_inventory and the batch engines
            # (its place is formats/ once that exists); it needs only the ordered pool
            "riskgrade.engine.csv_blocks",
            "riskgrade.engine.pool",
        ),
    ),
    (
        "model",
        # the supervised scorer, its default model, features and reason codes
        (
            "riskgrade.ml",
            "riskgrade.ml_gam",
            "riskgrade.ml_features",
            "riskgrade.ml_reasons",
            "riskgrade.model",
        ),
    ),
    (
        "applications",
        (
            "riskgrade.uncertainty",
            "riskgrade.engine",
            "riskgrade.governance",
            "riskgrade.report",
            "riskgrade.plotting",
            "riskgrade.commands",
            # the control-cycle demonstration data is graded by a model
            "riskgrade.datasets.cycle",
        ),
    ),
    (
        "front doors",
        ("riskgrade", "riskgrade.cli", "riskgrade.cli_guard", "riskgrade.cli_words", "riskgrade.__main__"),
    ),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute module of a ``from`` statement (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    is_package = all_modules()[importer].name == "__init__.py"
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, str | None, int]]:
    """``(module imported, name imported or None, line)`` of every riskgrade import in a module."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == "riskgrade"]
        elif isinstance(node, ast.ImportFrom):
            mod = resolve(name, node)
            if mod.split(".")[0] != "riskgrade":
                continue
            for a in node.names:
                sub = f"{mod}.{a.name}"
                # "from riskgrade.x import y" imports the module riskgrade.x.y when it is one
                out.append((sub, None, node.lineno) if sub in modules else (mod, a.name, node.lineno))
    return out


MODULES = all_modules()
GRAPH = {m: imports_of(m, p, MODULES) for m, p in MODULES.items()}


def layer_of(module: str) -> int:
    best, best_len = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            # the package root "riskgrade" names its __init__ only, not everything below it
            nested = p != "riskgrade" and module.startswith(p + ".")
            if (module == p or nested) and len(p) > best_len:
                best, best_len = i, len(p)
    return best


def test_every_module_has_a_layer():
    missing = sorted(m for m in MODULES if layer_of(m) < 0)
    assert not missing, f"add to LAYERS (here and in docs/architecture.md): {missing}"


def test_imports_name_existing_modules():
    unknown = sorted(
        {(m, target) for m, edges in GRAPH.items() for target, _, _ in edges if target not in MODULES}
    )
    assert not unknown, unknown


def test_no_upward_import():
    bad = []
    for m, edges in GRAPH.items():
        for target, _, line in edges:
            if target in MODULES and layer_of(target) > layer_of(m):
                bad.append(
                    f"{m}:{line} imports {target} ({LAYERS[layer_of(m)][0]} -> {LAYERS[layer_of(target)][0]})"
                )
    assert not bad, "\n".join(bad)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of a directed graph (as a path ending where it starts), or None."""
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in colour and (found := visit(nxt)):
                return found
        stack.pop()
        colour[node] = 2
        return None

    for node in sorted(graph):
        if node not in colour and (found := visit(node)):
            return found
    return None


def test_find_cycle_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_no_import_cycle():
    graph = {m: {t for t, _, _ in edges if t in MODULES and t != m} for m, edges in GRAPH.items()}
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_no_private_name_imported_across_modules():
    bad = [
        f"{m}:{line} imports {name} from {target}"
        for m, edges in GRAPH.items()
        for target, name, line in edges
        if name is not None and name.startswith("_") and not name.startswith("__") and target != m
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_is_at_most_600_lines(module):
    n = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{module} has {n} lines: split it by what it does"


def test_the_rules_see_lazy_and_type_checking_imports(tmp_path):
    code = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from riskgrade.model import RiskModel\n"
        "def f():\n    from riskgrade.io import _private\n"
    )
    p = tmp_path / "probe.py"
    p.write_text(code, encoding="utf-8")
    got = imports_of("riskgrade.exceptions", p, MODULES)
    assert ("riskgrade.model", "RiskModel", 3) in got
    assert ("riskgrade.io", "_private", 5) in got
