"""Row filters of tables and point files: ``where = { Country = "Nepal", status = [1, 2] }``.

A filter keeps the rows whose column holds one of the listed values, compared as
text after :func:`filter_text` (so ``1``, ``1.0`` and ``"1"`` are equal). It is a
plain comparison, never an expression that is evaluated.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd

from geo.i18n import _
from geo.errors import LayerDataError

__all__ = ["describe_filter", "filter_rows", "filter_text"]


def filter_text(value: Any) -> str:
    """A cell or filter value as compared by ``where``: 1, 1.0 and "1" are the same; text is stripped.

    Examples
    --------
    >>> [filter_text(v) for v in (1, 1.0, " 1 ", "Nepal", 2.5, "2.50")]
    ['1', '1', '1', 'Nepal', '2.5', '2.5']
    """
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    if number != number or number in (float("inf"), float("-inf")):
        return text
    return str(int(number)) if number.is_integer() else repr(number)


def describe_filter(where: Mapping[str, Sequence[str]]) -> str:
    """The filter as a short sentence for reports.

    Examples
    --------
    >>> describe_filter({"Country": ("Nepal",), "status": ("1", "2")})
    'Country = Nepal and status in [1, 2]'
    """
    parts = [f"{c} = {v[0]}" if len(v) == 1 else f"{c} in [{', '.join(v)}]" for c, v in where.items()]
    return " and ".join(parts)


def filter_rows(table: pd.DataFrame, where: Mapping[str, Sequence[str]], *, source: str = "table"
                ) -> tuple[pd.DataFrame, str]:
    """Keep the rows matching every condition of ``where``.

    Parameters
    ----------
    table : pandas.DataFrame
    where : Mapping[str, sequence of str]
        Column -> allowed values (as :func:`filter_text` gives them).
    source : str, default "table"
        The file, for messages.

    Returns
    -------
    (pandas.DataFrame, str)
        The kept rows (index kept) and a report line (``""`` without a filter).

    Raises
    ------
    LayerDataError
        A column of the filter is not in the table.

    Examples
    --------
    >>> t = pd.DataFrame({"Country": ["Nepal", "India", "Nepal"], "status": [1, 1, 2]})
    >>> kept, line = filter_rows(t, {"Country": ("Nepal",), "status": ("1",)}, source="sites.csv")
    >>> kept.index.tolist(), line
    ([0], 'where Country = Nepal and status = 1 keeps 1 of 3 rows')
    """
    if not where:
        return table, ""
    missing = [c for c in where if c not in table.columns]
    if missing:
        raise LayerDataError(_("{source}: where names column(s) {missing}, not in the file; available columns: "
                             "{list}. Fix the where filter in the configuration.").format(
                                 source=source, missing=missing, list=list(map(str, table.columns))))
    keep = pd.Series(True, index=table.index)
    for column, allowed in where.items():
        cells = table[column].map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else filter_text(v))
        keep &= cells.isin(set(allowed))
    kept = table[keep.to_numpy()]
    return kept, _("where {describe_filter} keeps {n_kept} of {n_table} rows").format(
        describe_filter=describe_filter(where), n_kept=len(kept), n_table=len(table))
