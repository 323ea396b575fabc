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

from geo.i18n import N_, _, layer_label

__all__ = [
    "COLUMNS", "CATEGORIES", "column_label", "column_help", "category_label", "short_name",
    "labelled_columns", "THEME_COLOURS", "theme_colour",
]

#: id -> (label, explanation with the technical term)
COLUMNS: dict[str, tuple[str, str]] = {
    "code": (N_("Code"), N_("The district's official code (the key of every export).")),
    "name": (N_("District"), N_("The district's name.")),
    "parent_code": (N_("Code of the larger area"), N_("Code of the province or region the district lies in.")),
    "parent_name": (N_("In"), N_("The province or region the district lies in.")),
    "region_code": (N_("Region code"), N_("Code of the region the district lies in.")),
    "population": (N_("Population"), N_("Residents counted by the census.")),
    "score": (N_("Need score (0-100)"), N_("Composite indicator: 0 = least in need, 100 = most in need.")),
    "rank": (N_("Rank"), N_("1 = most in need under the current settings.")),
    "decile": (N_("Tenth"), N_("Decile of the score: 1 = the tenth of districts most in need.")),
    "data_coverage": (N_("Data available"), N_("Share of the layers' weight with a value for this district.")),
    "rank_median": (N_("Typical rank"), N_("Median rank over the Monte Carlo draws of weights and methods.")),
    "rank_p05": (N_("Best likely rank"), N_("5th percentile of the rank over the Monte Carlo draws.")),
    "rank_p95": (N_("Worst likely rank"), N_("95th percentile of the rank over the Monte Carlo draws.")),
    "p_top_k": (N_("Chance of being in the top group"),
                N_("Share of the Monte Carlo draws in which the district is among the top k.")),
    "cluster": (N_("Pocket"), N_("Local Moran's I on the score (LISA): HH = a significant pocket of high need.")),
    "hotspot": (N_("Hot or cold spot"), N_("Getis-Ord Gi* on the score: a significant concentration of high or low need.")),
    "need": (N_("Need"), N_("Mean of the need themes (0-100).")),
    "readiness": (N_("Readiness"), N_("Infrastructure and economic base, 0-100 (higher = better endowed).")),
    "quadrant": (N_("Need and readiness"), N_("Need against readiness, each split at its median.")),
    "reliability": (N_("Reliability"), N_("How much the rank moves when weights and methods change.")),
    "positive_deviant": (N_("Does better than similar districts"),
                         N_("A positive deviant: clearly better than its most similar peers.")),
    "behind_on": (N_("Fell behind on"), N_("Layers on which the gap to the country widened between the two vintages.")),
    "left_behind": (N_("Fell further behind"), N_("Fell behind the country on at least the threshold number of layers.")),
}

#: column -> raw category -> plain label
CATEGORIES: dict[str, dict[str, str]] = {
    "cluster": {
        "HH": N_("significant pocket of high need"),
        "LL": N_("significant cluster of low need"),
        "HL": N_("high need among lower-need neighbours"),
        "LH": N_("low need among high-need neighbours"),
        "not significant": N_("no significant pattern"),
    },
    "hotspot": {
        "hot spot": N_("significant concentration of high need"),
        "cold spot": N_("significant concentration of low need"),
        "not significant": N_("no significant pattern"),
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
    "illiteracy": N_("illiteracy"),
    "not_enrolled": N_("children out of school"),
    "slum_dwellings": N_("basic dwellings and slums"),
    "firewood": N_("cooking with firewood"),
    "crowding": N_("crowding"),
    "no_toilet": N_("no toilet"),
    "unemployment": N_("unemployment"),
    "unemployment_women": N_("unemployment of women"),
    "activity": N_("labour force participation"),
    "family_workers": N_("unpaid family work"),
    "population_change": N_("population change"),
    "no_electricity": N_("no electricity"),
    "no_running_water": N_("no running water"),
    "no_sewer": N_("no public sewer"),
    "road_distance": N_("distance to a paved road"),
    "establishments": N_("establishments"),
    "jobs": N_("jobs in businesses"),
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
        return _(COLUMNS[column][0])
    layer_labels = _layer_labels(layers)
    units = {layer.id: layer.unit for layer in layers}
    if column in layer_labels:
        unit = units.get(column) or ""
        return f"{layer_labels[column]} ({unit})" if unit else layer_labels[column]
    if column.endswith("_norm") and column[:-5] in layer_labels:
        return _("{layer}: need score (0-100)").format(layer=layer_labels[column[:-5]])
    if column.startswith("theme_") and themes and column[6:] in themes:
        return _("Theme: {theme} (0-100)").format(theme=themes[column[6:]])
    return column


def column_help(column: str) -> str | None:
    """The explanation of a column (with its technical term), or ``None``.

    Examples
    --------
    >>> column_help("cluster")
    "Local Moran's I on the score (LISA): HH = a significant pocket of high need."
    """
    text = COLUMNS.get(column, (None, None))[1]
    return None if text is None else _(text)


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
        label = CATEGORIES.get(column, {}).get(value)
        return value if label is None else _(label)
    return value


def short_name(layer) -> str:
    """The words for a layer inside a sentence: from :data:`SHORT_NAMES`, else its label (in the language), lower case.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> short_name(SimpleNamespace(id="x", label="Households without gas, 2024"))
    'households without gas'
    """
    if layer.id in SHORT_NAMES:
        return _(SHORT_NAMES[layer.id])
    text = str(layer_label(layer)).split(",")[0].strip()
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
