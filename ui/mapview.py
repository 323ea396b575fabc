"""The choropleth of a view, shared by the map page and workshop mode."""

from __future__ import annotations

import geopandas as gpd

from layers import THEMES
from ui import maps, state
from ui.profile import top_contributions


def map_value_label(view, data) -> str:
    """Human label of what the map shows."""
    if view.map_layer == "score":
        return "Composite need score (0-100)"
    if view.map_layer.startswith("theme_"):
        return f"Theme: {THEMES[view.map_layer[6:]].label}"
    layer = next((l for l in data.layers if l.id == view.map_layer), None)
    return f"{layer.label} ({layer.unit})" if layer else view.map_layer


def _top(view, table, keep) -> list[str]:
    shown = table[keep]
    return shown.dropna(subset=["rank"]).sort_values("rank").index[: view.top_n].tolist()


def highlights(view, table, keep):
    """The selected and top-N outlines as a separate layer group (see :func:`ui.maps.highlight_group`)."""
    shapes = state.display_shapes(view.level).reindex(table[keep].index)
    return maps.highlight_group(shapes, selected=view.selected or None, top=_top(view, table, keep))


def build_map(view, data, table, result, keep, *, large: bool = False, focus: str | None = None,
              with_highlights: bool = True):
    """The choropleth of the view (only kept districts).

    With ``with_highlights=False`` the outlines are left to :func:`highlights`, so that a change
    of selection swaps a layer instead of rebuilding the map.
    """
    shown = table[keep]
    labels = {l.id: l.label for l in data.layers}
    column = view.map_layer if view.map_layer in shown.columns else "score"
    top = _top(view, table, keep)
    outlines = None
    top_levels = [lv.name for lv in state.config().levels.values() if lv.parent_level is None]
    if top_levels and top_levels[0] != view.level:
        outlines = gpd_outlines(top_levels[0])
    return maps.choropleth(
        state.display_shapes(view.level).reindex(shown.index), shown, column=column,
        column_label=map_value_label(view, data), scheme=view.scheme, k=view.classes,
        selected=view.selected or None, top=top, outlines=outlines,
        tooltip_extra=top_contributions(result, labels).reindex(shown.index), large=large, focus=focus,
        highlights=with_highlights,
    )


def gpd_outlines(level: str):
    """Outlines and names of a coarser level, drawn for orientation without a basemap."""
    shapes = state.display_shapes(level)
    names = state.level_data(level).districts["name"]
    return gpd.GeoDataFrame({"name": names.reindex(shapes.index)}, geometry=shapes, crs=4326)
