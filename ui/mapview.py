"""The map of a view, shared by the map page, workshop mode, change over time and the HTML export.

One way through: view -> scored table -> classes (:mod:`geo.classify`) -> numbers for the
client (:func:`ui.maps.map_style`) -> :func:`ui.livemap.live_map`. The level's geometry is built
and written once per level for every session (:func:`level_map`).
"""

from __future__ import annotations

import hashlib

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo.classify import CLUSTER_COLOURS, HOTSPOT_COLOURS, QUADRANT_COLOURS, MapClasses, category_classes, map_classes
from geo.i18n import N_, _, label_with_unit, layer_label
from geo.labels import category_label
from layers.base import PointStat
from ui import maps, state

# Words the map client writes itself (legend keys, tooltips, search box), in the chosen language.
CLIENT_TEXT = {
    "no_data": N_("no data"), "rank": N_("rank {r} of {n}"), "not_ranked": N_("not ranked"), "score": N_("score"),
    "contributions": N_("main contributions: {names}"), "top": N_("top {n} by rank (numbered)"),
    "selected": N_("selected"), "uncertain": N_("top place uncertain ({n})"), "search": N_("Find a district…"),
    "top_list": N_("Top {n}"), "show": N_("On the map"), "towns": N_("Largest towns ({n})"),
    "points": N_("{label}: {n} points drawn"), "points_of": N_("{label}: {n} of {rows} rows drawn"),
}

# Categorical map layers: column of the analytics table -> (label, colours).
CATEGORY_LAYERS = {
    "cluster": (N_("Pockets: local Moran's I clusters of the score"), CLUSTER_COLOURS),
    "hotspot": (N_("Hot and cold spots: Getis-Ord Gi* of the score"), HOTSPOT_COLOURS),
    "quadrant": (N_("Need x readiness"), QUADRANT_COLOURS),
}
SCORE_LABEL = N_("Composite need score (0-100)")
# A district is an uncertain member of the top k when it is in it in more than 10% but less than 90% of draws.
UNCERTAIN_P = (0.1, 0.9)


def map_value_label(view, data) -> str:
    """Human label of what the map shows."""
    if view.map_layer == "score":
        return _(SCORE_LABEL)
    if view.map_layer in CATEGORY_LAYERS:
        return _(CATEGORY_LAYERS[view.map_layer][0])
    if view.map_layer.startswith("theme_"):
        return _("Theme: {label}").format(label=_(state.config().theme_label(view.map_layer[6:])))
    layer = next((l for l in data.layers if l.id == view.map_layer), None)
    return label_with_unit(layer) if layer else view.map_layer


def _top(view, table, keep) -> list[str]:
    shown = table[keep]
    return shown.dropna(subset=["rank"]).sort_values("rank").index[: view.top_n].tolist()


def _uncertain(table: pd.DataFrame, keep, extra: pd.DataFrame | None) -> list[str]:
    """Kept districts whose top-k membership is uncertain (``0.1 < p_top_k < 0.9``)."""
    if extra is None or "p_top_k" not in extra.columns:
        return []
    p = pd.to_numeric(extra["p_top_k"], errors="coerce").reindex(table[keep].index)
    low, high = UNCERTAIN_P
    return p[(p > low) & (p < high)].index.tolist()


# ----------------------------------------------------------------------------- the level, once
def region_outlines(level: str):
    """Outlines of the top level drawn over a finer level (``None`` at the top level itself)."""
    top_levels = [lv.name for lv in state.config().levels.values() if lv.parent_level is None]
    return gpd_outlines(top_levels[0]) if top_levels and top_levels[0] != level else None


def gpd_outlines(level: str):
    """Outlines and names of a coarser level, drawn for orientation without a basemap."""
    shapes = state.display_shapes(level)
    names = state.level_data(level).districts["name"]
    return gpd.GeoDataFrame({"name": names.reindex(shapes.index)}, geometry=shapes, crs=4326)


@st.cache_resource(show_spinner=False, max_entries=8)
def _level_map(level: str) -> tuple[dict[str, Any], str]:
    """The level's geometry for the map client and the URL of its file (built once, shared by all sessions).

    Never mutate the returned dict: every session reads the same object.
    """
    data = state.level_data(level)
    districts = data.districts
    geometry = maps.level_geometry(
        state.display_shapes(level), districts["name"],
        parents=districts["parent_name"] if "parent_name" in districts else None,
        population=data.population, regions=region_outlines(level), bounds=state.config().display.bounds,
        encoded=state.encoded_shapes(level), towns=level_towns(level),
        other_names=districts["name_ar"] if "name_ar" in districts else None,
    )
    return geometry, maps.static_url("maps", maps.geometry_file(geometry))


def coarser_levels(level: str) -> list[str]:
    """The levels ``level``'s districts make up, nearest first (its parent level, that one's parent...)."""
    levels = state.config().levels
    out, parent = [], levels[level].parent_level
    while parent in levels and parent not in out:
        out.append(parent)
        parent = levels[parent].parent_level
    return out


def level_towns(level: str) -> pd.DataFrame | None:
    """The largest towns named on the map of ``level`` (``[display] towns``), or ``None``.

    Towns are the most populous districts of ``towns_level`` that ``towns_where`` keeps; they are
    named on that level and on the levels it makes up (provinces and regions for communes). On
    ``towns_level`` itself they name the small urban districts whose shapes are too small on
    screen to carry their names (a workshop step at the communes level shows the nearest city).
    """
    display = state.config().display
    if not display.towns or display.towns_level not in state.config().levels \
            or level not in (display.towns_level, *coarser_levels(display.towns_level)):
        return None
    data = state.level_data(display.towns_level)
    return maps.largest_towns(data.districts, data.population, display.towns, display.towns_where)


@st.cache_resource(show_spinner=False, max_entries=8)
def level_points(level: str) -> tuple[dict[str, Any], str] | None:
    """The point layers' points inside the level's districts for the map's overlay, and their file's URL.

    One group per point file (and row filter), labelled with the layers reading it; ``None``
    when the level has no point layer. Built once per level, shared by every session.
    """
    from geo.points import placed_points

    data = state.level_data(level)
    groups: dict[tuple, list[Any]] = {}
    for layer in data.layers:
        ld = layer.loader
        if isinstance(ld, PointStat):
            groups.setdefault((ld.path, ld.x, ld.y, ld.where), []).append(layer)
    if not groups:
        return None
    base = state.config().base_dir
    out = []
    for (path, x, y, where), members in groups.items():
        full = path if Path(path).is_absolute() else base / path
        lonlat, rows = placed_points(data.districts, full, x=x, y=y, where=dict(where))
        out.append({"label": members[0].label, "layer": members[0].id, "lonlat": lonlat, "rows": rows})
    geometry, _url = level_map(level)
    payload = maps.map_points(out, wrap=bool(geometry.get("wrap")))
    return payload, maps.static_url("maps", maps.points_file(payload))


def points_url(level: str) -> str | None:
    """URL of the level's points file, or ``None`` without point layers."""
    found = level_points(level)
    return found[1] if found else None


def level_map(level: str) -> tuple[dict[str, Any], str]:
    """:func:`_level_map` under a spinner in the page's language."""
    with st.spinner(_("Drawing the districts…")):
        return _level_map(level)


# ----------------------------------------------------------------------------- the numbers of a view
def view_classes(view, data, table: pd.DataFrame, extra: pd.DataFrame | None = None
                 ) -> tuple[str, str, MapClasses, pd.DataFrame]:
    """What the map shows for a view: ``(column, label, classes, table with that column)``.

    Categorical layers ("cluster", "hotspot", "quadrant") come from ``extra``; without it (the
    analytics not ready yet) the map shows the score. A "lower is worse" layer is coloured so
    that darker means more need.
    """
    if view.map_layer in CATEGORY_LAYERS and extra is not None and view.map_layer in extra.columns:
        column = view.map_layer
        label, colours = CATEGORY_LAYERS[column]
        shown = table.assign(**{column: extra[column].reindex(table.index)})
        legend = {value: str(category_label(column, value)) for value in colours}
        return column, _(label), category_classes(shown[column], colours, legend), shown
    column = view.map_layer if view.map_layer in table.columns else "score"
    label = map_value_label(view, data) if column == view.map_layer else _(SCORE_LABEL)
    layer = next((l for l in data.layers if l.id == column), None)
    higher_is_worse = True if layer is None else bool(layer.higher_is_worse)
    palette = state.config().display.palette
    classes = map_classes(table[column], scheme=view.scheme, k=view.classes, palette=palette,
                          higher_is_worse=higher_is_worse)
    return column, label, classes, table


def view_style(view, data, table, result, keep, *, extra: pd.DataFrame | None = None,
               focus: str | None = None) -> dict[str, Any]:
    """The numbers the map client needs for a view (classes of the kept districts, ranks, outlines)."""
    geometry, _url = level_map(view.level)
    column, label, classes, shown = view_classes(view, data, table[keep], extra)
    if column not in table.columns:  # ranks and scores stay national; the mapped column of the kept ones
        table = table.assign(**{column: shown[column].reindex(table.index)})
    labels = {l.id: layer_label(l) for l in data.layers}
    style = maps.map_style(
        geometry["codes"], table, classes, column=column, label=label, shown=keep,
        selected=view.selected or None, top=_top(view, table, keep), uncertain=_uncertain(table, keep, extra),
        focus=focus, contributions=result.contributions, contribution_labels=labels,
    )
    point_labels = {l.id: labels[l.id] for l in data.layers if isinstance(l.loader, PointStat)}
    return {**style, "text": client_text(), **({"point_labels": point_labels} if point_labels else {})}


def uncertain_outlines(view, table, keep, extra: pd.DataFrame | None) -> list[int] | None:
    """Positions (in the level's geometry) of the districts whose top place is uncertain.

    ``None`` while the analytics are not computed. The live map gets them beside its style, so
    that the style, unchanged when only they arrive, is not sent again.
    """
    if extra is None:
        return None
    geometry, _url = level_map(view.level)
    return maps.positions(pd.Index(geometry["codes"]).astype(str), _uncertain(table, keep, extra))


def client_text() -> dict[str, str]:
    """The client's own words in the current language."""
    return {key: _(message) for key, message in CLIENT_TEXT.items()}


def standalone_map(view, data, table, result, keep, *, extra: pd.DataFrame | None, title: str,
                   settings: dict[str, str]) -> str:
    """The view as one offline HTML file (same client, classes and numbers as the dashboard)."""
    geometry, _url = level_map(view.level)
    style = view_style(view, data, table, result, keep, extra=extra)
    return maps.standalone_html(geometry, style, title=title, settings=settings)


# ----------------------------------------------------------------------------- map first, analytics after
@st.cache_resource(show_spinner=False)
def _analysed() -> set:
    """Views whose analytics (Monte Carlo, clusters) are computed: shared by every session."""
    return set()


def analysis_ready(view, data, *, clusters: bool) -> bool:
    """Whether the view's analytics are already computed, so the map can show them at once."""
    return (state.analysis_key(view, data), clusters) in _analysed()


def analysis_token(view, data, *, clusters: bool) -> str:
    """A short name for the view's analytics: the second pass is asked for it, the outlines drawn for it."""
    key = repr((state.analysis_key(view, data), clusters)).encode()
    return hashlib.blake2b(key, digest_size=8).hexdigest()


def mark_analysed(view, data, *, clusters: bool) -> None:
    """Record that the view's analytics are computed (and cached)."""
    _analysed().add((state.analysis_key(view, data), clusters))
