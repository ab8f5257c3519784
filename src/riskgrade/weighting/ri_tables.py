"""Random-index (RI) tables for Saaty's consistency ratio ``CR = CI / RI(n)``.

The random index RI(n) is the mean consistency index ``(lambda_max - n) / (n - 1)`` of
random reciprocal n x n matrices with entries drawn from Saaty's 1/9..9 scale. Different
simulations give different tables, and at n = 7 they span 1.25 to 1.35: the same matrix can
pass the 0.10 threshold under one table and fail it under another. riskgrade therefore never
uses an unnamed table; every result says which one it used.

Each table below quotes its source. A table holds only the sizes its source prints; asking
for another size raises :class:`~riskgrade.exceptions.WeightingError` naming the table and
the sizes it covers (no interpolation, no silent fallback). For n = 1 and n = 2 every
reciprocal matrix is consistent, and RI is 0 in every table (the consistency ratio is then
defined as 0).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from riskgrade.exceptions import WeightingError

__all__ = ["RI_TABLES", "RITable", "available_ri_tables", "get_ri_table", "random_index"]


@dataclass(frozen=True)
class RITable:
    """A published random-index table.

    Parameters
    ----------
    name : str
        Name used to select the table (``ri_table=...``).
    source : str
        Bibliographic source of the values.
    values : mapping of int to float, optional
        RI by matrix size n, exactly as printed in the source.
    formula : callable, optional
        RI as a function of n (for tables given as a fitted formula).
    n_min : int
        Smallest n covered by ``formula``.
    """

    name: str
    source: str
    values: Mapping[int, float] | None = None
    formula: Callable[[int], float] | None = None
    n_min: int = 3

    def covers(self, n: int) -> bool:
        """Whether the table gives RI for matrices of size ``n``."""
        if n <= 2:
            return True
        if self.values is not None:
            return n in self.values
        return n >= self.n_min

    def sizes(self) -> str:
        """Human-readable description of the sizes covered."""
        if self.values is not None:
            ns = sorted(self.values)
            contiguous = ns == list(range(ns[0], ns[-1] + 1))
            if contiguous:
                return f"n = 3..{ns[-1]}"
            return "n = " + ", ".join(str(k) for k in ns)
        return f"n >= {self.n_min}"

    def __call__(self, n: int) -> float:
        """RI for matrices of size ``n``."""
        return random_index(n, self)


def _table(values: dict[int, float]) -> Mapping[int, float]:
    return MappingProxyType(dict(values))


_SAATY_1980 = RITable(
    name="saaty",
    source=(
        "Saaty, T. L. (1980). The Analytic Hierarchy Process. McGraw-Hill, New York "
        "(random consistency index for n = 3..10). Also quoted in Saaty (1990), "
        "European Journal of Operational Research 48, 9-26."
    ),
    values=_table({3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}),
)

_SAATY_2005 = RITable(
    name="saaty_2005",
    source=(
        "Saaty, T. L. (2005). Theory and Applications of the Analytic Network Process. "
        "RWS Publications, Pittsburgh, p. 31 (n = 3..15)."
    ),
    values=_table(
        {
            3: 0.52,
            4: 0.89,
            5: 1.11,
            6: 1.25,
            7: 1.35,
            8: 1.40,
            9: 1.45,
            10: 1.49,
            11: 1.52,
            12: 1.54,
            13: 1.56,
            14: 1.58,
            15: 1.59,
        }
    ),
)

_DONEGAN_DODD = RITable(
    name="donegan_dodd",
    source=(
        "Donegan, H. A. & Dodd, F. J. (1991). A note on Saaty's random indexes. "
        "Mathematical and Computer Modelling 15(10), 135-137 (n = 3..20 and 25..100 by tens)."
    ),
    values=_table(
        {
            3: 0.4914,
            4: 0.8286,
            5: 1.0591,
            6: 1.1797,
            7: 1.2519,
            8: 1.3171,
            9: 1.3733,
            10: 1.4055,
            11: 1.4213,
            12: 1.4497,
            13: 1.4643,
            14: 1.4822,
            15: 1.4969,
            16: 1.5078,
            17: 1.5153,
            18: 1.5262,
            19: 1.5313,
            20: 1.5371,
            25: 1.5619,
            30: 1.5772,
            40: 1.5976,
            50: 1.6102,
            60: 1.6178,
            70: 1.6237,
            80: 1.6277,
            90: 1.6213,
            100: 1.6339,
        }
    ),
)

_TUMMALA_LING = RITable(
    name="tummala_ling",
    source=(
        "Tummala, V. M. R. & Ling, H. (1998). A note on the computation of the mean random "
        "consistency index of the analytic hierarchy process (AHP). Theory and Decision "
        "44, 221-230 (n = 3..15; the same values are used by pymcdm)."
    ),
    values=_table(
        {
            3: 0.5799,
            4: 0.8921,
            5: 1.1159,
            6: 1.2358,
            7: 1.3322,
            8: 1.3952,
            9: 1.4537,
            10: 1.4882,
            11: 1.5117,
            12: 1.5356,
            13: 1.5571,
            14: 1.5714,
            15: 1.5831,
        }
    ),
)

_ALONSO_LAMATA = RITable(
    name="alonso_lamata",
    source=(
        "Alonso, J. A. & Lamata, M. T. (2006). Consistency in the analytic hierarchy process: "
        "a new approach. International Journal of Uncertainty, Fuzziness and Knowledge-Based "
        "Systems 14(4), 445-459 (simulated mean RI, n = 3..15)."
    ),
    values=_table(
        {
            3: 0.5245,
            4: 0.8815,
            5: 1.1086,
            6: 1.2479,
            7: 1.3417,
            8: 1.4056,
            9: 1.4499,
            10: 1.4854,
            11: 1.5141,
            12: 1.5365,
            13: 1.5551,
            14: 1.5713,
            15: 1.5838,
        }
    ),
)


def _alonso_lamata_formula(n: int) -> float:
    # Alonso & Lamata (2006) fit the mean lambda_max of random matrices by the line
    # lambda_max = 2.7699 n - 4.3513, so RI(n) = (lambda_max - n) / (n - 1).
    return (1.7699 * n - 4.3513) / (n - 1)


_ALONSO_LAMATA_FORMULA = RITable(
    name="alonso_lamata_formula",
    source=(
        "Alonso, J. A. & Lamata, M. T. (2006), IJUFKS 14(4), 445-459: linear fit of the mean "
        "lambda_max of random matrices, lambda_max = 2.7699 n - 4.3513, giving "
        "RI(n) = (1.7699 n - 4.3513) / (n - 1) for any n >= 3."
    ),
    formula=_alonso_lamata_formula,
    n_min=3,
)

RI_TABLES: Mapping[str, RITable] = MappingProxyType(
    {
        t.name: t
        for t in (
            _SAATY_1980,
            _SAATY_2005,
            _DONEGAN_DODD,
            _TUMMALA_LING,
            _ALONSO_LAMATA,
            _ALONSO_LAMATA_FORMULA,
        )
    }
)
"""Random-index tables by name (read-only)."""


def available_ri_tables() -> list[str]:
    """Names of the random-index tables riskgrade knows.

    Returns
    -------
    list of str
        Table names accepted by ``ri_table=``.

    Examples
    --------
    >>> "saaty" in available_ri_tables()
    True
    """
    return list(RI_TABLES)


def get_ri_table(table: str | RITable) -> RITable:
    """Look a table up by name.

    Parameters
    ----------
    table : str or RITable
        Table name (see :func:`available_ri_tables`) or a table object.

    Returns
    -------
    RITable
        The table.

    Raises
    ------
    WeightingError
        If the name is unknown.
    """
    if isinstance(table, RITable):
        return table
    try:
        return RI_TABLES[str(table)]
    except KeyError:
        raise WeightingError(
            f"ri_table {table!r} is unknown; expected one of {', '.join(RI_TABLES)}"
        ) from None


def random_index(n: int, table: str | RITable = "saaty") -> float:
    """Random index RI(n) of a named table.

    Parameters
    ----------
    n : int
        Matrix size.
    table : str or RITable, default "saaty"
        Table name or object.

    Returns
    -------
    float
        RI(n); 0.0 for n <= 2.

    Raises
    ------
    WeightingError
        If the table does not cover n (the message names the table and its range).

    Examples
    --------
    >>> random_index(7, "saaty")
    1.32
    >>> random_index(7, "donegan_dodd")
    1.2519
    """
    t = get_ri_table(table)
    n = int(n)
    if n < 1:
        raise WeightingError(f"matrix size n must be >= 1, got {n}")
    if n <= 2:
        return 0.0
    if not t.covers(n):
        raise WeightingError(
            f"random-index table {t.name!r} has no value for n = {n} (it covers {t.sizes()}); "
            f"choose another ri_table, e.g. 'alonso_lamata' (n = 3..15) or 'donegan_dodd' "
            f"(n = 3..20)"
        )
    if t.values is not None:
        return float(t.values[n])
    assert t.formula is not None
    return float(t.formula(n))
