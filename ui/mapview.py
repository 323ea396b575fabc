"""The choropleth of a view, shared by the map page and workshop mode."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from ui import maps, state
from ui.profile import top_contributions


# Categorical map layers: column of the analytics table -> (label, colours).
CATEGORY_LAYERS = {
    "cluster": ("Pockets: local Moran's I clusters of the score", maps.CLUSTER_COLOURS),
    "hotspot": ("Hot and cold spots: Getis-Ord Gi* of the score", maps.HOTSPOT_COLOURS),
    "quadrant": ("Need x readiness", maps.QUADRANT_COLOURS),
}
SCORE_LABEL = "Composite need score (0-100)"
# A district is an uncertain member of the top k when it is in it in more than 10% but less than 90% of draws.
UNCERTAIN_P = (0.1, 0.9)


def map_value_label(view, data) -> str:
    """Human label of what the map shows."""
    if view.map_layer == "score":
        return SCORE_LABEL
    if view.map_layer in CATEGORY_LAYERS:
        return CATEGORY_LAYERS[view.map_layer][0]
    if view.map_layer.startswith("theme_"):
        return f"Theme: {state.config().theme_label(view.map_layer[6:])}"
    layer = next((l for l in data.layers if l.id == view.map_layer), None)
    return f"{layer.label} ({layer.unit})" if layer else view.map_layer


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


def map_parts(view, data, table, result, keep, *, large: bool = False, focus: str | None = None,
              extra: pd.DataFrame | None = None):
    """The map of the view (only kept districts) as ``(base_map, style_group)``.

    Give both to ``st_folium(base, feature_group_to_add=group)``: the base (district shapes,
    region outlines) stays the same when weights, classes or the selection change, so the map
    stays mounted and only the colours, tooltips, legend and outlines of the group are applied
    to it. ``extra`` (from :func:`ui.state.analysis`) gives the categorical layers "cluster",
    "hotspot" and "quadrant" and the uncertain members of the top; without it those layers fall
    back to the score.
    """
    shown = table[keep]
    labels = {l.id: l.label for l in data.layers}
    categories = None
    if view.map_layer in CATEGORY_LAYERS and extra is not None and view.map_layer in extra.columns:
        column = view.map_layer
        label, categories = CATEGORY_LAYERS[column]
        shown = shown.assign(**{column: extra[column].reindex(shown.index)})
    else:
        column = view.map_layer if view.map_layer in shown.columns else "score"
        label = map_value_label(view, data) if column == view.map_layer else SCORE_LABEL
    shapes = state.display_shapes(view.level)
    shapes = shapes[shapes.index.isin(shown.index)]  # in the file's order, not the ranking's: the base stays put
    base = maps.base_map(shapes, outlines=region_outlines(view.level), large=large, focus=focus,
                         encoded=state.encoded_shapes(view.level))
    group = maps.style_group(
        shapes, shown, column=column, column_label=label, scheme=view.scheme, k=view.classes,
        selected=view.selected or None, top=_top(view, table, keep), uncertain=_uncertain(table, keep, extra),
        tooltip_extra=top_contributions(result, labels).reindex(shown.index), categories=categories,
    )
    return base, group


def build_map(view, data, table, result, keep, *, large: bool = False, focus: str | None = None,
              extra: pd.DataFrame | None = None):
    """The map of the view as one ``folium.Map`` (for the standalone export and workshop mode)."""
    base, group = map_parts(view, data, table, result, keep, large=large, focus=focus, extra=extra)
    group.add_to(base)
    return base


def region_outlines(level: str):
    """Outlines of the top level drawn over a finer level (``None`` at the top level itself)."""
    top_levels = [lv.name for lv in state.config().levels.values() if lv.parent_level is None]
    return gpd_outlines(top_levels[0]) if top_levels and top_levels[0] != level else None


def gpd_outlines(level: str):
    """Outlines and names of a coarser level, drawn for orientation without a basemap."""
    shapes = state.display_shapes(level)
    names = state.level_data(level).districts["name"]
    return gpd.GeoDataFrame({"name": names.reindex(shapes.index)}, geometry=shapes, crs=4326)
