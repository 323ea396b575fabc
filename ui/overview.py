"""Map & ranking (home): the score of every district, mapped and ranked, with a profile on click."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.errors import TargetingError
from ui import maps, sidebar, state
from ui.exports import render_downloads
from ui.profile import render_profile, top_contributions


def map_value_label(view, data) -> str:
    """Human label of what the map shows."""
    from layers import THEMES

    if view.map_layer == "score":
        return "Composite need score (0-100)"
    if view.map_layer.startswith("theme_"):
        return f"Theme: {THEMES[view.map_layer[6:]].label}"
    layer = next((l for l in data.layers if l.id == view.map_layer), None)
    return f"{layer.label} ({layer.unit})" if layer else view.map_layer


def build_map(view, data, table, result, keep, *, large: bool = False, focus: str | None = None):
    """The choropleth of the view (only kept districts), and the table it shows."""
    shown = table[keep]
    labels = {l.id: l.label for l in data.layers}
    column = view.map_layer if view.map_layer in shown.columns else "score"
    top = shown.dropna(subset=["rank"]).sort_values("rank").index[: view.top_n].tolist()
    outlines = None
    top_levels = [lv.name for lv in state.config().levels.values() if lv.parent_level is None]
    if top_levels and top_levels[0] != view.level:
        outlines = gpd_outlines(top_levels[0])
    return maps.choropleth(
        state.display_shapes(view.level).reindex(shown.index), shown, column=column,
        column_label=map_value_label(view, data), scheme=view.scheme, k=view.classes,
        selected=view.selected or None, top=top, outlines=outlines,
        tooltip_extra=top_contributions(result, labels).reindex(shown.index), large=large, focus=focus,
    )


def gpd_outlines(level: str):
    """Outlines and names of a coarser level, drawn for orientation without a basemap."""
    shapes = state.display_shapes(level)
    names = state.level_data(level).districts["name"]
    import geopandas as gpd

    return gpd.GeoDataFrame({"name": names.reindex(shapes.index)}, geometry=shapes, crs=4326)


def _clicked_code(event) -> str | None:
    drawing = (event or {}).get("last_active_drawing") or {}
    return (drawing.get("properties") or {}).get("code")


def render() -> None:
    view = sidebar.render_sidebar()
    cfg = state.config()
    st.title(cfg.title)
    try:
        data, table, result = state.scored(view)
    except TargetingError as exc:
        st.error(str(exc))
        return
    keep = state.filter_mask(data, table, view)
    st.caption(
        f"{cfg.levels[view.level].label}: {int(keep.sum())} of {len(table)} shown. Score 0-100, higher = more in "
        f"need; {len(result.effective_weights[result.effective_weights > 0])} layers, "
        f"{view.normalisation} normalisation, {view.aggregation} aggregation. The poverty theme is census "
        "deprivation (basic needs), not a monetary poverty rate."
    )
    for note in result.notes:
        st.info(note)

    col_map, col_side = st.columns([3, 2])
    with col_map:
        fmap = build_map(view, data, table, result, keep)
        event = st_folium(fmap, key=f"map_{view.level}", height=560, use_container_width=True,
                          returned_objects=["last_active_drawing"])
        code = _clicked_code(event)
        if code and code != st.session_state.get("_last_click"):
            st.session_state["_last_click"] = code
            if code != view.selected:
                sidebar.select(code)
                st.rerun()
    with col_side:
        _effective_weights(result, data)

    _ranking_table(view, table, keep)
    if view.selected:
        render_profile(data, table, result, view.selected)
    if len(result.unscored):
        with st.expander(f"{len(result.unscored)} district(s) not scored"):
            st.dataframe(result.unscored.join(table[["name"]]), width="stretch")
    st.subheader("Download")
    render_downloads(view, data, result, keep, html_map=maps.standalone_html(
        fmap, title=f"{cfg.title}: {map_value_label(view, data)}",
        settings={"level": view.level, "map": map_value_label(view, data)}))


def _effective_weights(result, data) -> None:
    labels = {l.id: l.label for l in data.layers}
    eff = result.effective_weights[result.effective_weights > 0].sort_values(ascending=False)
    st.markdown("**Effective weights** (after rescaling within and across themes)")
    st.dataframe(
        pd.DataFrame({"layer": [labels.get(i, i) for i in eff.index], "weight": eff.to_numpy()}),
        hide_index=True, width="stretch", height=min(560, 36 + 35 * len(eff)),
        column_config={"weight": st.column_config.ProgressColumn("weight", format="%.3f", min_value=0.0,
                                                                 max_value=float(eff.max()) if len(eff) else 1.0)},
    )


def _ranking_table(view, table, keep) -> None:
    shown = table[keep]
    st.subheader(f"Ranking: {len(shown)} districts")
    query = st.text_input("Search by name or code", key="w_search", placeholder="e.g. Figuig")
    if query:
        q = query.strip().lower()
        shown = shown[shown["name"].str.lower().str.contains(q, regex=False)
                      | shown["code"].str.lower().str.contains(q, regex=False)]
    cols = ["rank", "name", "parent_name", "population", "score", "decile", "data_coverage", "code"]
    event = st.dataframe(
        shown[cols], hide_index=True, width="stretch", height=420, key=f"table_{view.level}",
        on_select="rerun", selection_mode="single-row",
        column_config={
            "score": st.column_config.NumberColumn("score", format="%.1f"),
            "data_coverage": st.column_config.ProgressColumn("data coverage", min_value=0, max_value=1),
            "population": st.column_config.NumberColumn("population", format="%d"),
            "parent_name": st.column_config.TextColumn("in"),
        },
    )
    rows = event.selection.rows if event and event.selection else []
    if rows:
        code = shown.index[rows[0]]
        if code != view.selected and code != st.session_state.get("_last_row"):
            st.session_state["_last_row"] = code
            sidebar.select(code)
            st.rerun()


render()
