"""The choropleth of a view, shared by the map page and workshop mode."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from layers import THEMES
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
        return f"Theme: {THEMES[view.map_layer[6:]].label}"
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


def highlights(view, table, keep, extra: pd.DataFrame | None = None):
    """The selected, top-N and uncertain outlines as a separate layer group (see :func:`ui.maps.highlight_group`).

    ``extra`` is the analytics table of :func:`ui.state.analysis`; its ``p_top_k`` marks the
    districts whose place in the top is uncertain (dashed outline).
    """
    shapes = state.display_shapes(view.level).reindex(table[keep].index)
    return maps.highlight_group(shapes, selected=view.selected or None, top=_top(view, table, keep),
                                uncertain=_uncertain(table, keep, extra))


def build_map(view, data, table, result, keep, *, large: bool = False, focus: str | None = None,
              with_highlights: bool = True, extra: pd.DataFrame | None = None):
    """The map of the view (only kept districts).

    With ``with_highlights=False`` the outlines are left to :func:`highlights`, so that a change
    of selection swaps a layer instead of rebuilding the map. ``extra`` (from
    :func:`ui.state.analysis`) gives the categorical layers "cluster", "hotspot" and "quadrant" and the
    uncertain members of the top; without it those layers fall back to the score.
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
    top = _top(view, table, keep)
    outlines = None
    top_levels = [lv.name for lv in state.config().levels.values() if lv.parent_level is None]
    if top_levels and top_levels[0] != view.level:
        outlines = gpd_outlines(top_levels[0])
    return maps.choropleth(
        state.display_shapes(view.level).reindex(shown.index), shown, column=column,
        column_label=label, scheme=view.scheme, k=view.classes,
        selected=view.selected or None, top=top, outlines=outlines,
        tooltip_extra=top_contributions(result, labels).reindex(shown.index), large=large, focus=focus,
        highlights=with_highlights, categories=categories, uncertain=_uncertain(table, keep, extra),
    )


def gpd_outlines(level: str):
    """Outlines and names of a coarser level, drawn for orientation without a basemap."""
    shapes = state.display_shapes(level)
    names = state.level_data(level).districts["name"]
    return gpd.GeoDataFrame({"name": names.reindex(shapes.index)}, geometry=shapes, crs=4326)
