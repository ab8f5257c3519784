"""Sphinx directives that generate reference pages from the code.

``.. riskgrade-config-schema::``  the config reference, from riskgrade.config.config_json_schema()
                                  (field descriptions from each model's numpydoc Parameters)
``.. riskgrade-default-config::`` the default config as JSON
``.. riskgrade-api::``            one automodule block per riskgrade module that imports
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx.util.nodes import nested_parse_with_titles


def _parse(directive: Directive, lines: list[str]) -> list[nodes.Node]:
    node = nodes.section()
    node.document = directive.state.document
    nested_parse_with_titles(directive.state, StringList(lines, source="<generated>"), node)
    return node.children


def _param_docs(description: str) -> tuple[str, dict[str, str]]:
    from numpydoc.docscrape import NumpyDocString

    doc = NumpyDocString(description or "")
    summary = " ".join(doc["Summary"] + doc["Extended Summary"]).strip()
    params = {}
    for p in doc["Parameters"]:
        for name in p.name.split(","):
            params[name.strip()] = " ".join(p.desc).strip()
    return summary, params


def _type(spec: dict[str, Any]) -> str:
    if "$ref" in spec:
        name = spec["$ref"].rsplit("/", 1)[-1]
        return f"*{name}* (below)"
    if "anyOf" in spec:
        return " or ".join(_type(s) for s in spec["anyOf"])
    if "oneOf" in spec:
        return " or ".join(_type(s) for s in spec["oneOf"])
    if "enum" in spec:
        return "one of " + ", ".join(f"``{json.dumps(v)}``" for v in spec["enum"])
    if "const" in spec:
        return f"``{json.dumps(spec['const'])}``"
    t = spec.get("type", "any")
    if t == "array":
        items = spec.get("items") or (spec.get("prefixItems") or [{}])[0]
        return f"array of {_type(items)}"
    if t == "object" and "additionalProperties" in spec and isinstance(spec["additionalProperties"], dict):
        return f"table of {_type(spec['additionalProperties'])}"
    return str(t)


def _bounds(spec: dict[str, Any]) -> str:
    out = []
    symbols = (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<"))
    for key, sym in symbols:
        if key in spec:
            out.append(f"{sym} {spec[key]}")
    if "pattern" in spec:
        out.append(f"matches ``{spec['pattern']}``")
    return ", ".join(out)


def _clean(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _model_table(title: str, spec: dict[str, Any], anchor: str, level: str) -> list[str]:
    summary, params = _param_docs(spec.get("description", ""))
    lines = [f".. _cfg-{anchor}:", "", title, level * len(title), ""]
    if summary:
        lines += [summary, ""]
    lines += [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 18 22 16 44",
        "",
        "   * - key",
        "     - type",
        "     - default",
        "     - meaning",
    ]
    required = set(spec.get("required", []))
    for name, prop in spec.get("properties", {}).items():
        default = "required" if name in required else (
            f"``{json.dumps(prop['default'], ensure_ascii=False)}``" if "default" in prop else ""
        )
        bounds = _bounds(prop)
        meaning = _clean(params.get(name, prop.get("description", "")))
        if bounds:
            meaning = f"{meaning} ({bounds})" if meaning else bounds
        lines += [f"   * - ``{name}``", f"     - {_type(prop)}", f"     - {default}", f"     - {meaning}"]
    if spec.get("additionalProperties") is False:
        lines += ["", "Unknown keys are rejected."]
    return [*lines, ""]


class ConfigSchema(Directive):
    """Render the config JSON Schema as one table per model."""

    def run(self) -> list[nodes.Node]:  # noqa: D102
        from riskgrade.config import config_json_schema

        schema = config_json_schema()
        lines = _model_table("Top level (RiskModelConfig)", schema, "riskmodelconfig", "-")
        for name, spec in sorted(schema.get("$defs", {}).items()):
            lines += _model_table(name, spec, name.lower(), "-")
        return _parse(self, lines)


class DefaultConfig(Directive):
    """The default config as JSON."""

    def run(self) -> list[nodes.Node]:  # noqa: D102
        from riskgrade.config import default_config

        text = default_config().to_json()
        block = nodes.literal_block(text, text)
        block["language"] = "json"
        return [block]


class ApiModules(Directive):
    """An automodule block for every riskgrade module that imports."""

    skip = ("riskgrade.__main__", "riskgrade._version")

    def run(self) -> list[nodes.Node]:  # noqa: D102
        import riskgrade

        found = {
            m.name: m.ispkg
            for m in pkgutil.walk_packages(riskgrade.__path__, "riskgrade.")
            if m.name not in self.skip and not m.name.rsplit(".", 1)[-1].startswith("_")
        }
        lines: list[str] = []
        for name, ispkg in sorted(found.items()):
            try:
                mod = importlib.import_module(name)
            except Exception:  # optional extras or modules being written: leave them out
                continue
            if mod.__doc__ is None and not getattr(mod, "__all__", None):
                continue
            lines += [name, "-" * len(name), "", f".. automodule:: {name}"]
            # a package's names are documented where they are defined (its submodules)
            lines += ["", ""] if ispkg else ["   :members:", ""]
        return _parse(self, lines)


class ExistingToctree(Directive):
    """A toctree of the pages matching the given patterns that exist (nothing when none does).

    Pages written by other modules' authors land one by one; a plain glob toctree warns
    while a pattern matches nothing, and Sphinx cannot silence that warning.
    """

    has_content = True
    option_spec = {"maxdepth": int, "caption": str}  # noqa: RUF012

    def run(self) -> list[nodes.Node]:  # noqa: D102
        from pathlib import Path

        env = self.state.document.settings.env
        here = Path(env.doc2path(env.docname)).parent
        suffixes = (".md", ".rst", ".ipynb")
        found: list[str] = []
        for pattern in (line.strip() for line in self.content if line.strip()):
            for path in sorted(here.glob(pattern)):
                if path.suffix in suffixes and not path.name.startswith(("_", ".")):
                    rel = path.relative_to(here).with_suffix("").as_posix()
                    if rel not in found and rel != Path(env.docname).name:
                        found.append(rel)
        if not found:
            return []
        lines = [".. toctree::", f"   :maxdepth: {self.options.get('maxdepth', 2)}"]
        if "caption" in self.options:
            lines.append(f"   :caption: {self.options['caption']}")
        lines += ["", *(f"   {doc}" for doc in found)]
        return _parse(self, lines)


_TRAILING_UNDERSCORE = re.compile(r"\b([A-Za-z]\w*)_(?=[,)\s]|$)")
_PARAM_LINE = re.compile(r"^(\s*\w+\s:\s)(.*)$")


def _escape_type_underscores(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """Escape ``name_`` inside the type of a numpydoc parameter line (it is not a link)."""
    for i, line in enumerate(lines):
        m = _PARAM_LINE.match(line)
        if m:
            lines[i] = m.group(1) + _TRAILING_UNDERSCORE.sub(r"\1\\_", m.group(2))


def setup(app: Any) -> dict[str, Any]:
    """Register the directives and the docstring hook."""
    app.add_directive("riskgrade-toctree", ExistingToctree)
    app.connect("autodoc-process-docstring", _escape_type_underscores, priority=100)
    app.add_directive("riskgrade-config-schema", ConfigSchema)
    app.add_directive("riskgrade-default-config", DefaultConfig)
    app.add_directive("riskgrade-api", ApiModules)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
