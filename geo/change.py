"""Change over time between two vintages of the same layers, and the districts left behind.

Each layer is compared on its own scale: ``change = after - before`` (e.g.
percentage points). The national change is the change of the national
figures (aggregated like a roll-up, weighted by each layer's denominator, so
passed in by the caller). A district *falls further behind* on a layer when its
change, read in the layer's direction of need, is worse than the national
change by more than ``tolerance``; it is *left behind* when that holds for at
least ``min_layers`` of the layers compared.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from geo.errors import TargetingError

__all__ = ["change_table", "left_behind"]


def change_table(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    higher_is_worse: Mapping[str, bool],
    national_before: Mapping[str, float],
    national_after: Mapping[str, float],
) -> pd.DataFrame:
    """Per district and layer: change, and change relative to the national trend.

    Parameters
    ----------
    before, after : pandas.DataFrame
        Layer values of the two vintages, districts as rows (same codes);
        only the layers present in both are compared.
    higher_is_worse : Mapping[str, bool]
        Direction per layer.
    national_before, national_after : Mapping[str, float]
        National figures of each layer in each vintage.

    Returns
    -------
    pandas.DataFrame
        Columns ``<layer>_change`` (after - before) and ``<layer>_vs_national``
        (the change minus the national change, signed so that a positive value
        means the district fell further behind), indexed like ``after``.

    Raises
    ------
    TargetingError
        No layer in common, or a missing national figure.

    Examples
    --------
    >>> b = pd.DataFrame({"illiteracy": [40.0, 30.0]}, index=["a", "b"])
    >>> a = pd.DataFrame({"illiteracy": [35.0, 29.0]}, index=["a", "b"])
    >>> t = change_table(b, a, higher_is_worse={"illiteracy": True},
    ...                  national_before={"illiteracy": 32.0}, national_after={"illiteracy": 28.0})
    >>> t["illiteracy_vs_national"].tolist()
    [-1.0, 3.0]
    """
    common = [c for c in after.columns if c in before.columns]
    if not common:
        raise TargetingError(
            f"No layer in both vintages: before has {list(before.columns)}, after has {list(after.columns)}; "
            "give the layers the same ids in both."
        )
    out = pd.DataFrame(index=after.index)
    for layer in common:
        for name, figures in (("national_before", national_before), ("national_after", national_after)):
            if layer not in figures or not np.isfinite(figures[layer]):
                raise TargetingError(f"{name} has no figure for layer {layer!r}; give both national figures.")
        change = after[layer].astype(float) - before[layer].reindex(after.index).astype(float)
        national = float(national_after[layer]) - float(national_before[layer])
        sign = 1.0 if higher_is_worse[layer] else -1.0
        out[f"{layer}_change"] = change
        out[f"{layer}_vs_national"] = sign * (change - national)
    return out


def left_behind(changes: pd.DataFrame, *, tolerance: float = 0.0, min_layers: int = 1) -> pd.DataFrame:
    """Count, per district, the layers on which it fell further behind the national trend.

    Parameters
    ----------
    changes : pandas.DataFrame
        Output of :func:`change_table`.
    tolerance : float
        How much worse than the national change counts (in each layer's unit).
    min_layers : int
        Layers needed to call a district left behind.

    Returns
    -------
    pandas.DataFrame
        ``behind_on`` (number of layers), ``layers_compared`` and ``left_behind``.

    Examples
    --------
    >>> c = pd.DataFrame({"x_vs_national": [2.0, -1.0, None]}, index=list("abc"))
    >>> left_behind(c)["left_behind"].tolist()
    [True, False, False]
    """
    rel = changes[[c for c in changes.columns if c.endswith("_vs_national")]]
    behind = (rel > tolerance).sum(axis=1)
    compared = rel.notna().sum(axis=1)
    return pd.DataFrame({"behind_on": behind, "layers_compared": compared,
                         "left_behind": (behind >= min_layers) & (compared > 0)})
