"""Rolling district values up to a larger admin level.

Counts are summed; rates are averaged, weighted by their denominator (e.g.
households for a household share). This is the distinction tobler draws
between extensive and intensive variables.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from geo.i18n import _
from geo.errors import TargetingError

__all__ = ["roll_up"]


def roll_up(
    values: pd.DataFrame,
    parent: pd.Series,
    *,
    counts: Sequence[str] = (),
    rates: Mapping[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """Aggregate lower-level values to their parents.

    Parameters
    ----------
    values : pandas.DataFrame
        Lower-level values, indexed by lower-level code.
    parent : pandas.Series
        Parent code of each lower-level district (same index).
    counts : sequence of str
        Columns to sum (all missing gives missing, not zero).
    rates : Mapping[str, pandas.Series]
        Columns to average, each with its weights (same index). Districts with a
        missing value or weight do not count towards their parent's average.

    Returns
    -------
    pandas.DataFrame
        One row per parent code (sorted), the requested columns.

    Raises
    ------
    TargetingError
        A district without a parent code, or a negative weight.

    Examples
    --------
    >>> v = pd.DataFrame({"people": [10, 30], "rate": [10.0, 20.0]}, index=["a", "b"])
    >>> out = roll_up(v, pd.Series(["P", "P"], index=["a", "b"]), counts=["people"],
    ...               rates={"rate": v["people"]})
    >>> out.loc["P"].tolist()
    [40.0, 17.5]
    """
    rates = dict(rates or {})
    parent = parent.reindex(values.index)
    if parent.isna().any():
        orphans = list(parent.index[parent.isna()][:10])
        raise TargetingError(
            _("{int} district(s) have no parent code (e.g. {orphans}); "
            "fix the parent field so every district rolls up.").format(
                int=int(parent.isna().sum()), orphans=orphans)
        )
    out = {}
    for col in counts:
        out[col] = values[col].astype(float).groupby(parent).sum(min_count=1)
    for col, weight in rates.items():
        w = weight.reindex(values.index).astype(float)
        if (w < 0).any():
            raise TargetingError(_("Negative weights for rate {col!r}; weights must be >= 0.").format(
                col=col))
        x = values[col].astype(float)
        ok = x.notna() & w.notna()
        num = (x * w).where(ok).groupby(parent).sum(min_count=1)
        den = w.where(ok).groupby(parent).sum(min_count=1)
        out[col] = num / den.where(den > 0)
    frame = pd.DataFrame(out)
    frame.index.name = parent.name if parent.name else None
    return frame.replace([np.inf, -np.inf], np.nan).sort_index()
