"""Data checks on indicator layers and a reliability label per district.

The layer checks are those of UNHCR's A2SIT (after the JRC/OECD Handbook):
an indicator is flagged when it is available for fewer than 66 % of the
districts, when more than half of its values are identical, when it correlates
above 0.9 (in absolute value) with another indicator (double counting), or when
it correlates below -0.4 with the rest of its theme. Flags are advice: nothing
is removed from the score.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from geo.errors import TargetingError
from geo.i18n import _, format_number, format_percent
from geo.scoring import normalise, orient

__all__ = [
    "LOW_AVAILABILITY",
    "MANY_IDENTICAL",
    "DOUBLE_COUNTING",
    "NEGATIVE_IN_THEME",
    "MIN_PAIRS",
    "RELIABILITY_LABELS",
    "indicator_checks",
    "district_reliability",
]

LOW_AVAILABILITY = 0.66
MANY_IDENTICAL = 0.5
DOUBLE_COUNTING = 0.9
NEGATIVE_IN_THEME = -0.4
MIN_PAIRS = 3
"""Fewest districts with both values for a correlation (two points always give |r| = 1)."""
RELIABILITY_LABELS = ("good", "partial", "low")


def _share_identical(x: pd.Series) -> float:
    counts = x.dropna().value_counts()
    return float(counts.iloc[0] / counts.sum()) if len(counts) else float("nan")


def _most_correlated(oriented: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    corr = oriented.corr(method="pearson", min_periods=MIN_PAIRS).abs()
    corr = corr.mask(np.eye(len(corr), dtype=bool))
    partner = pd.Series(
        [corr.loc[c].idxmax() if corr.loc[c].notna().any() else None for c in corr.index],
        index=corr.index,
        dtype=object,
    )
    return corr.max(axis=1, skipna=True).astype(float), partner


def _corr_with_theme(oriented: pd.DataFrame, themes: Mapping[str, str]) -> pd.Series:
    scaled = normalise(oriented, "minmax")
    out = {}
    for col in oriented.columns:
        others = [c for c in oriented.columns if c != col and themes[c] == themes[col]]
        rest = scaled[others].mean(axis=1, skipna=True) if others else None
        out[col] = oriented[col].corr(rest, min_periods=MIN_PAIRS) if rest is not None else np.nan
    return pd.Series(out, dtype=float)


def _flag_text(row: pd.Series) -> str:
    parts = []
    if row["low_availability"]:
        parts.append(_("low availability ({share} of districts)").format(
            share=format_percent(100 * row["availability"], 0)))
    if row["many_identical"]:
        parts.append(_("many identical values ({share} share one value)").format(
            share=format_percent(100 * row["share_identical"], 0)))
    if row["double_counting"]:
        parts.append(_("double counting with {layer!r} (r = {r})").format(
            layer=row["most_correlated_with"], r=format_number(row["max_abs_corr"], 2)))
    if row["negative_in_theme"]:
        parts.append(_("negatively related to its theme (r = {r})").format(
            r=format_number(row["corr_with_theme"], 2)))
    return "; ".join(parts)


def indicator_checks(
    values: pd.DataFrame,
    themes: Mapping[str, str],
    higher_is_worse: Mapping[str, bool],
) -> pd.DataFrame:
    """Run the A2SIT data checks on every layer.

    Parameters
    ----------
    values : pandas.DataFrame
        Raw layer values, one column per layer, one row per district.
    themes : Mapping[str, str]
        Theme per layer.
    higher_is_worse : Mapping[str, bool]
        Direction per layer; correlations are computed on oriented values
        (higher = more need), so a positive correlation means "agrees".

    Returns
    -------
    pandas.DataFrame
        One row per layer (indexed by layer id) with ``availability`` (share
        non-missing), ``low_availability`` (< 0.66), ``share_identical`` (share
        of the most frequent value among non-missing), ``many_identical``
        (> 0.5), ``max_abs_corr`` and ``most_correlated_with`` (Pearson,
        pairwise complete over at least ``MIN_PAIRS`` districts; NaN when no
        other layer qualifies),
        ``double_counting``
        (> 0.9), ``corr_with_theme`` (with the mean of the other layers of the
        theme, each min-max normalised; NaN for a theme's only layer),
        ``negative_in_theme`` (< -0.4) and
        ``flags``, the raised checks in words ("" when none).

    Raises
    ------
    TargetingError
        When a layer has no theme or no direction.

    Examples
    --------
    >>> v = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 4.0, 6.0, 8.0],
    ...                   "c": [1.0, 1.0, 1.0, 2.0]})
    >>> t = indicator_checks(v, {"a": "t", "b": "t", "c": "t"}, {"a": True, "b": True, "c": True})
    >>> t["double_counting"].tolist(), t["many_identical"].tolist()
    ([True, True, False], [False, False, True])
    """
    if values.shape[1] == 0:
        raise TargetingError("No layers given: values must have at least one layer column.")
    no_theme = [c for c in values.columns if c not in themes]
    if no_theme:
        raise TargetingError(f"No theme declared for layer(s) {no_theme}; set themes.")
    oriented = orient(values, higher_is_worse)
    best, partner = _most_correlated(oriented)
    table = pd.DataFrame(index=pd.Index(values.columns, name="layer"))
    table["availability"] = values.notna().mean().astype(float)
    table["low_availability"] = table["availability"] < LOW_AVAILABILITY
    table["share_identical"] = [_share_identical(values[c]) for c in values.columns]
    table["many_identical"] = table["share_identical"] > MANY_IDENTICAL
    table["max_abs_corr"] = best
    table["most_correlated_with"] = partner
    table["double_counting"] = table["max_abs_corr"] > DOUBLE_COUNTING
    table["corr_with_theme"] = _corr_with_theme(oriented, themes)
    table["negative_in_theme"] = table["corr_with_theme"] < NEGATIVE_IN_THEME
    table["flags"] = table.apply(_flag_text, axis=1).astype(object) if len(table) else ""
    return table


def district_reliability(coverage: pd.Series, *, low: float = 0.66, good: float = 1.0) -> pd.Series:
    """Label each district's data reliability from its data coverage.

    Coverage is the share of the effective weight a district has data for
    (``geo.scoring.score(...).table["data_coverage"]``):

    - ``"good"``: coverage >= ``good`` (by default: data for every layer);
    - ``"partial"``: ``low`` <= coverage < ``good``;
    - ``"low"``: coverage < ``low`` or unknown (the 0.66 default is A2SIT's
      availability threshold).

    Parameters
    ----------
    coverage : pandas.Series
        Data coverage per district, in [0, 1].
    low : float
        Coverage below which the label is ``"low"``.
    good : float
        Coverage from which the label is ``"good"`` (``low <= good <= 1``).

    Returns
    -------
    pandas.Series
        Labels named ``reliability``, indexed like ``coverage``.

    Examples
    --------
    >>> district_reliability(pd.Series([1.0, 0.8, 0.5, None])).tolist()
    ['good', 'partial', 'low', 'low']
    """
    for name, value in (("low", low), ("good", good)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise TargetingError(f"Invalid {name}: {value!r}. It must lie between 0 and 1.")
    if low > good:
        raise TargetingError(
            f"Invalid thresholds: low={low!r} is above good={good!r}; set low <= good."
        )
    cov = pd.to_numeric(coverage, errors="coerce").astype(float)
    labels = np.where(cov >= good - 1e-9, "good", np.where(cov >= low, "partial", "low"))
    return pd.Series(labels, index=coverage.index, name="reliability", dtype=object)
