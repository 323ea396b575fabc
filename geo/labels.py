"""Plain-language labels of every table column and category value, in one place.

The column ids (``rank_p05``, ``data_coverage``, ``theme_poverty``...) are the
contract of the command line's exports and never change; the labels are what a
planner reads on the screen, in the brief and in the labelled sheet of the
Excel export. Each label has a one-line explanation with the technical term, for
a help tooltip or the column sheet. The dashboard's headers, the exports' labelled
sheet and the brief all read :data:`COLUMNS`, through :func:`column_label` and
:func:`column_labels`, translated with the catalogue.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import pandas as pd

from geo.i18n import N_, _, _lang, layer_label, translations

__all__ = [
    "COLUMNS", "CATEGORIES", "column_label", "column_labels", "column_help", "category_label", "value_label",
    "short_name", "labelled_columns", "THEME_COLOURS", "theme_colour",
]

#: id -> (label, explanation with the technical term, or None)
COLUMNS: dict[str, tuple[str, str | None]] = {
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
    "name_ar": (N_("name in Arabic"), None),
    "extent": (N_("extent"), None),
    "local_concentration": (N_("local concentration"), None),
    "layers_compared": (N_("layers compared"), None),
    "distance": (N_("distance"), None),
    "outcome": (N_("outcome"), None),
    "gap": (N_("gap"), None),
    "differs": (N_("differs most in (layer values)"), None),
    "districts": (N_("districts"), None),
    "share_reached": (N_("share of the target group reached"), None),
    "population_share": (N_("share of the population"), None),
    "type": (N_("type"), None),
    "setting": (N_("setting"), None),
    "value": (N_("value"), None),
    "availability": (N_("availability"), None),
    "low_availability": (N_("low availability"), None),
    "share_identical": (N_("share of identical values"), None),
    "many_identical": (N_("many identical values"), None),
    "max_abs_corr": (N_("largest |correlation|"), None),
    "most_correlated_with": (N_("most correlated with"), None),
    "double_counting": (N_("double counting"), None),
    "corr_with_theme": (N_("correlation with its theme"), None),
    "negative_in_theme": (N_("negative in its theme"), None),
    "flags": (N_("flags"), None),
    "reason": (N_("reason"), None),
    "layer": (N_("layer"), None),
    "theme": (N_("theme"), None),
    "weight": (N_("weight"), None),
    "variance_share": (N_("share of the score's variance"), None),
    "importance": (N_("first-order importance"), None),
    "importance_share": (N_("share of the importance"), None),
    "iqr": (N_("interquartile range"), None),
    "median": (N_("median"), None),
    "squashed": (N_("squashed"), None),
    "skewness": (N_("skewness"), None),
    "kurtosis": (N_("kurtosis"), None),
    "coinr_rule": (N_("COINr outlier rule"), None),
    "treatment": (N_("treatment"), None),
    "layers": (N_("layers"), None),
    "alpha": (N_("Cronbach's alpha"), None),
    "most_correlated_theme": (N_("most correlated theme"), None),
    "corr": (N_("correlation"), None),
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

#: Category values shown as they are, translated (quadrants, urban/rural, reliability, allocation rules...).
VALUES = (
    N_("high need, ready to scale"), N_("high need, foundations first"), N_("lower need, ready to scale"),
    N_("lower need, foundations first"), N_("urban"), N_("rural"), N_("all"), N_("no data"), N_("good"),
    N_("partial"), N_("low"), N_("equal per district"), N_("per capita"), N_("per person in need"),
    N_("up 10 ranks or more"), N_("up 1-9 ranks"), N_("unchanged"), N_("down 1-9 ranks"),
    N_("down 10 ranks or more"), N_("HH"), N_("LL"), N_("HL"), N_("LH"), N_("not significant"), N_("hot spot"),
    N_("cold spot"),
)

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


def column_label(column: str, layers: Iterable = (), themes: Mapping | None = None, *, lang: str | None = None,
                 units: bool = True) -> str:
    """The plain label of a table column, in a language.

    Parameters
    ----------
    column : str
        A column id of :func:`geo.dataset.ranked_table` or of another export.
    layers : iterable of Layer
        The level's layers (for layer values and their ``_norm`` scores).
    themes : mapping, optional
        Theme id -> label (for ``theme_<id>`` columns).
    lang : str, optional
        Language; the current one by default.
    units : bool
        Whether a layer's label ends with its unit, ``label (unit)``.

    Returns
    -------
    str
        The id itself for a column with no label.

    Examples
    --------
    >>> column_label("rank_p05")
    'Best likely rank'
    >>> column_label("something_else")
    'something_else'
    """
    lang = _lang(lang)
    gettext_ = translations(lang).gettext
    if column in COLUMNS:
        return gettext_(COLUMNS[column][0])
    by_id = {layer.id: layer for layer in layers}
    if column in by_id:
        layer = by_id[column]
        label = layer_label(layer, lang)
        return f"{label} ({gettext_(layer.unit)})" if units and layer.unit else label
    if column.endswith("_norm") and column[:-5] in by_id:
        return gettext_(N_("{layer}: need score (0-100)")).format(layer=layer_label(by_id[column[:-5]], lang))
    if column.startswith("theme_") and len(column) > 6:
        theme = (themes or {}).get(column[6:], column[6:])  # the configuration's label, else the theme id
        return gettext_(N_("Theme: {theme} (0-100)")).format(theme=gettext_(theme))
    return column


def column_labels(columns: Iterable, layers: Iterable = (), lang: str | None = None,
                  themes: Mapping[str, str] | None = None) -> dict[str, str]:
    """:func:`column_label` of each of ``columns``, as a mapping id -> label (the ids stay the
    columns of the files; the labels are their second header or labelled sheet).

    Examples
    --------
    >>> column_labels(["code", "x"])
    {'code': 'Code', 'x': 'x'}
    """
    layers = tuple(layers)
    return {str(c): column_label(str(c), layers, themes, lang=lang) for c in columns}


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
        return value_label(value) if label is None else _(label)
    return value


def value_label(value: object) -> object:
    """A fixed category value (:data:`VALUES`) in the current language; other values unchanged.

    Examples
    --------
    >>> value_label("hot spot"), value_label(3.5)
    ('hot spot', 3.5)
    """
    if isinstance(value, str) and value in VALUES:
        return _(value)
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
    for column in ("quadrant", "type", "reliability"):
        if column in out.columns:
            out[column] = out[column].map(value_label)
    out.columns = [column_label(c, layers, themes) for c in out.columns]
    return out
