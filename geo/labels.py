"""Plain-language labels of the ranked table's columns and categories, in one place.

The column ids (``rank_p05``, ``data_coverage``, ``theme_poverty``...) are the
contract of the command line's exports and never change; the labels are what a
planner reads on the screen, in the brief and in the labelled sheet of the
Excel export. Each label has a one-line explanation with the technical term, for
a help tooltip or the column sheet.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import pandas as pd

__all__ = [
    "COLUMNS", "CATEGORIES", "column_label", "column_help", "category_label", "short_name",
    "labelled_columns", "THEME_COLOURS", "theme_colour",
]

#: id -> (label, explanation with the technical term)
COLUMNS: dict[str, tuple[str, str]] = {
    "code": ("Code", "The district's official code (the key of every export)."),
    "name": ("District", "The district's name."),
    "parent_code": ("Code of the larger area", "Code of the province or region the district lies in."),
    "parent_name": ("In", "The province or region the district lies in."),
    "region_code": ("Region code", "Code of the region the district lies in."),
    "population": ("Population", "Residents counted by the census."),
    "score": ("Need score (0-100)", "Composite indicator: 0 = least in need, 100 = most in need."),
    "rank": ("Rank", "1 = most in need under the current settings."),
    "decile": ("Tenth", "Decile of the score: 1 = the tenth of districts most in need."),
    "data_coverage": ("Data available", "Share of the layers' weight with a value for this district."),
    "rank_median": ("Typical rank", "Median rank over the Monte Carlo draws of weights and methods."),
    "rank_p05": ("Best likely rank", "5th percentile of the rank over the Monte Carlo draws."),
    "rank_p95": ("Worst likely rank", "95th percentile of the rank over the Monte Carlo draws."),
    "p_top_k": ("Chance of being in the top group",
                "Share of the Monte Carlo draws in which the district is among the top k."),
    "cluster": ("Pocket", "Local Moran's I on the score (LISA): HH = a significant pocket of high need."),
    "hotspot": ("Hot or cold spot", "Getis-Ord Gi* on the score: a significant concentration of high or low need."),
    "need": ("Need", "Mean of the need themes (0-100)."),
    "readiness": ("Readiness", "Infrastructure and economic base, 0-100 (higher = better endowed)."),
    "quadrant": ("Need and readiness", "Need against readiness, each split at its median."),
    "reliability": ("Reliability", "How much the rank moves when weights and methods change."),
    "positive_deviant": ("Does better than similar districts",
                         "A positive deviant: clearly better than its most similar peers."),
    "behind_on": ("Fell behind on", "Layers on which the gap to the country widened between the two vintages."),
    "left_behind": ("Fell further behind", "Fell behind the country on at least the threshold number of layers."),
}

#: column -> raw category -> plain label
CATEGORIES: dict[str, dict[str, str]] = {
    "cluster": {
        "HH": "significant pocket of high need",
        "LL": "significant cluster of low need",
        "HL": "high need among lower-need neighbours",
        "LH": "low need among high-need neighbours",
        "not significant": "no significant pattern",
    },
    "hotspot": {
        "hot spot": "significant concentration of high need",
        "cold spot": "significant concentration of low need",
        "not significant": "no significant pattern",
    },
}

#: theme id -> colour of its bars and swatches (ColorBrewer, readable on white and in grey print)
THEME_COLOURS: dict[str, str] = {
    "poverty": "#b2182b",
    "unemployment": "#e08214",
    "displacement": "#542788",
    "infrastructure": "#2166ac",
    "education": "#1b7837",
    "vulnerability": "#c51b7d",
}
OTHER_COLOUR = "#636363"


def theme_colour(theme: str) -> str:
    """The colour of a theme (grey for a theme without one).

    Examples
    --------
    >>> theme_colour("poverty"), theme_colour("uploaded")
    ('#b2182b', '#636363')
    """
    return THEME_COLOURS.get(theme, OTHER_COLOUR)


#: layer id -> the words for the layer inside a sentence ("illiteracy ... is far above ...")
SHORT_NAMES: dict[str, str] = {
    "illiteracy": "illiteracy",
    "not_enrolled": "children out of school",
    "slum_dwellings": "basic dwellings and slums",
    "firewood": "cooking with firewood",
    "crowding": "crowding",
    "no_toilet": "no toilet",
    "unemployment": "unemployment",
    "unemployment_women": "unemployment of women",
    "activity": "labour force participation",
    "family_workers": "unpaid family work",
    "population_change": "population change",
    "no_electricity": "no electricity",
    "no_running_water": "no running water",
    "no_sewer": "no public sewer",
    "road_distance": "distance to a paved road",
    "establishments": "establishments",
    "jobs": "jobs in businesses",
}


def _layer_labels(layers: Iterable) -> dict[str, str]:
    return {layer.id: layer.label for layer in layers}


def column_label(column: str, layers: Iterable = (), themes: Mapping | None = None) -> str:
    """The plain label of a ranked-table column.

    Parameters
    ----------
    column : str
        A column id of :func:`geo.dataset.ranked_table`.
    layers : iterable of Layer
        The level's layers (for layer values and their ``_norm`` scores).
    themes : mapping, optional
        Theme id -> label (for ``theme_<id>`` columns).

    Returns
    -------
    str

    Examples
    --------
    >>> column_label("rank_p05")
    'Best likely rank'
    >>> column_label("something_else")
    'something_else'
    """
    if column in COLUMNS:
        return COLUMNS[column][0]
    layer_labels = _layer_labels(layers)
    units = {layer.id: layer.unit for layer in layers}
    if column in layer_labels:
        unit = units.get(column) or ""
        return f"{layer_labels[column]} ({unit})" if unit else layer_labels[column]
    if column.endswith("_norm") and column[:-5] in layer_labels:
        return f"{layer_labels[column[:-5]]}: need score (0-100)"
    if column.startswith("theme_") and themes and column[6:] in themes:
        return f"Theme: {themes[column[6:]]} (0-100)"
    return column


def column_help(column: str) -> str | None:
    """The explanation of a column (with its technical term), or ``None``.

    Examples
    --------
    >>> column_help("cluster")
    "Local Moran's I on the score (LISA): HH = a significant pocket of high need."
    """
    return COLUMNS.get(column, (None, None))[1]


def category_label(column: str, value: object) -> object:
    """The plain label of a category (``"HH"`` -> ``"significant pocket of high need"``); others unchanged.

    Examples
    --------
    >>> category_label("cluster", "HH")
    'significant pocket of high need'
    >>> category_label("cluster", None) is None
    True
    """
    if isinstance(value, str):
        return CATEGORIES.get(column, {}).get(value, value)
    return value


def short_name(layer) -> str:
    """The words for a layer inside a sentence: from :data:`SHORT_NAMES`, else its label, lower case.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> short_name(SimpleNamespace(id="x", label="Households without gas, 2024"))
    'households without gas'
    """
    if layer.id in SHORT_NAMES:
        return SHORT_NAMES[layer.id]
    text = str(layer.label).split(",")[0].strip()
    return text[:1].lower() + text[1:]


def labelled_columns(table: pd.DataFrame, layers: Iterable = (), themes: Mapping | None = None) -> pd.DataFrame:
    """A copy of ``table`` with plain column labels and category labels (for reading, not for machines).

    Examples
    --------
    >>> labelled_columns(pd.DataFrame({"rank": [1], "cluster": ["HH"]})).columns.tolist()
    ['Rank', 'Pocket']
    """
    layers = tuple(layers)
    out = table.copy()
    for column in CATEGORIES:
        if column in out.columns:
            out[column] = out[column].map(lambda v, c=column: category_label(c, v))
    out.columns = [column_label(c, layers, themes) for c in out.columns]
    return out
