"""AHP hierarchies: criteria -> sub-criteria (-> alternatives), local and global weights.

Each node holds one judgement matrix over its children and is solved by
:func:`~riskgrade.weighting.ahp.ahp`. The global weight of an element is its local weight
times the global weight of its parent (Saaty 1980, hierarchic composition); elements that
appear under several parents (alternatives compared under every criterion) receive the sum
over their paths (distributive synthesis). The hierarchical consistency ratio is
``CR_H = sum_nodes g_node CI_node / sum_nodes g_node RI_node`` over nodes with n >= 3,
``g_node`` being the global weight of the node (Saaty 1980, Section 3.3; Saaty 1990, EJOR 48).
"""

from __future__ import annotations

import html
from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd

from riskgrade.exceptions import InconsistentJudgementsError
from riskgrade.weighting.ahp import AHPResult, ahp

__all__ = ["AHPHierarchy"]


class AHPHierarchy:
    """A hierarchy of AHP judgement matrices.

    Parameters
    ----------
    judgements : array-like, pandas.DataFrame or dict
        Judgement matrix of this node over its elements (any input :func:`ahp` accepts).
    children : mapping, optional
        For elements that are themselves broken down: element name -> judgement matrix over
        its sub-elements, or an :class:`AHPHierarchy`, or a dict with keys ``"judgements"``
        and optionally ``"children"`` (nested).
    name : str, default "goal"
        Name of this node.
    method, ri_table, threshold, completion : optional
        Passed to :func:`ahp` for every node built from a plain matrix.
    criteria : sequence, optional
        Element names for an unlabelled array.

    Attributes
    ----------
    result : AHPResult
        The result of this node's matrix.
    children : dict
        Element name -> child :class:`AHPHierarchy`.

    Examples
    --------
    >>> h = AHPHierarchy(
    ...     {("power", "conduct"): 3},
    ...     children={"power": {("funds_handled", "discretion"): 2}},
    ...     name="risk")
    >>> h.global_weights.round(3).to_dict()
    {'funds_handled': 0.5, 'conduct': 0.25, 'discretion': 0.25}
    """

    def __init__(
        self,
        judgements: Any,
        children: Mapping[Hashable, Any] | None = None,
        *,
        name: Hashable = "goal",
        method: str = "eigenvector",
        ri_table: str = "saaty",
        threshold: float | str = 0.10,
        completion: str = "lambda_max",
        criteria: Any = None,
    ) -> None:
        self.name = name
        self.judgements = judgements
        self.method = method
        self.ri_table = ri_table
        self.threshold = threshold
        self.completion = completion
        self.result: AHPResult = ahp(
            judgements,
            method=method,
            ri_table=ri_table,
            threshold=threshold,
            completion=completion,
            criteria=criteria,
        )
        elements = list(self.result.labels)
        unknown = [k for k in (children or {}) if k not in elements]
        if unknown:
            raise InconsistentJudgementsError(
                f"hierarchy node {name!r}: children {unknown} are not among its elements {elements}"
            )
        opts = {"method": method, "ri_table": ri_table, "threshold": threshold, "completion": completion}
        self.children: dict[Hashable, AHPHierarchy] = {}
        for key, child in (children or {}).items():
            self.children[key] = self._make_child(key, child, opts)

    @staticmethod
    def _make_child(key: Hashable, child: Any, opts: dict[str, Any]) -> AHPHierarchy:
        if isinstance(child, AHPHierarchy):
            child.name = key
            return child
        if isinstance(child, Mapping) and "judgements" in child:
            return AHPHierarchy(child["judgements"], child.get("children"), name=key, **opts)
        return AHPHierarchy(child, name=key, **opts)

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], *, name: Hashable = "goal", **options: Any) -> AHPHierarchy:
        """Build a hierarchy from nested dicts ``{"judgements": ..., "children": {...}}``.

        Parameters
        ----------
        spec : mapping
            ``"judgements"`` (required) and ``"children"`` (optional, same form, by element).
        name : hashable, default "goal"
            Name of the root.
        **options
            ``method``, ``ri_table``, ``threshold``, ``completion``.

        Returns
        -------
        AHPHierarchy
            The hierarchy.
        """
        return cls(spec["judgements"], spec.get("children"), name=name, **options)

    def _walk(self, parent: Hashable | None, weight: float, depth: int, path: str):
        yield self, parent, weight, depth, path
        w = self.result.weights
        for key, child in self.children.items():
            yield from child._walk(self.name, weight * float(w[key]), depth + 1, f"{path}/{key}")

    @property
    def nodes(self) -> dict[str, AHPResult]:
        """Results by node path (``goal``, ``goal/power``, ...)."""
        return {path: node.result for node, _, _, _, path in self._walk(None, 1.0, 0, str(self.name))}

    @property
    def local_weights(self) -> pd.DataFrame:
        """One row per element of every node: node, element, local and global weight, leaf flag."""
        rows = []
        for node, _, g, depth, path in self._walk(None, 1.0, 0, str(self.name)):
            for element, lw in node.result.weights.items():
                rows.append(
                    {
                        "node": path,
                        "element": element,
                        "depth": depth + 1,
                        "local_weight": float(lw),
                        "global_weight": g * float(lw),
                        "is_leaf": element not in node.children,
                    }
                )
        return pd.DataFrame(rows)

    @property
    def global_weights(self) -> pd.Series:
        """Global weights of the leaves (summed over paths), summing to 1, largest first."""
        lw = self.local_weights
        leaves = lw[lw["is_leaf"]]
        g = leaves.groupby("element", sort=False)["global_weight"].sum()
        g.index.name = None
        g.name = "global_weight"
        return g.sort_values(ascending=False, kind="stable")

    def summary(self) -> pd.DataFrame:
        """Consistency at every node: global weight, n, lambda_max, CI, RI, CR, verdict."""
        rows = []
        for node, parent, g, depth, path in self._walk(None, 1.0, 0, str(self.name)):
            r = node.result
            rows.append(
                {
                    "node": path,
                    "parent": parent,
                    "depth": depth,
                    "global_weight": g,
                    "n": r.n,
                    "lambda_max": r.lambda_max,
                    "ci": r.ci,
                    "ri": r.ri,
                    "ri_table": r.ri_table,
                    "cr": r.cr,
                    "threshold": r.threshold,
                    "is_consistent": r.is_consistent,
                }
            )
        return pd.DataFrame(rows)

    @property
    def is_consistent(self) -> bool:
        """Whether every node passes its CR threshold."""
        return bool(self.summary()["is_consistent"].all())

    @property
    def cr(self) -> float:
        """Hierarchical consistency ratio (Saaty 1980): sum g CI / sum g RI over nodes with n >= 3."""
        s = self.summary()
        s = s[s["n"] >= 3]
        den = float((s["global_weight"] * s["ri"]).sum())
        return float((s["global_weight"] * s["ci"]).sum() / den) if den > 0 else 0.0

    def _repr_html_(self) -> str:
        verdict = "every node consistent" if self.is_consistent else "<b>inconsistent node(s)</b>"
        head = f"<p><b>AHPHierarchy</b> {html.escape(str(self.name))}: {verdict}; CR_H = {self.cr:.4f}</p>"
        gw = self.global_weights.to_frame()
        return "\n".join(
            [head, gw.to_html(float_format="%.4f"), self.summary().to_html(index=False, float_format="%.4f")]
        )

    def __repr__(self) -> str:
        n_nodes = len(self.nodes)
        leaves = ", ".join(f"{k}={v:.4f}" for k, v in self.global_weights.items())
        return (
            f"AHPHierarchy(name={self.name!r}, nodes={n_nodes}, cr={self.cr:.4f}, global_weights=[{leaves}])"
        )
