"""Map & ranking (home): the score of every district, mapped and ranked, with a profile on click."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from ui import maps, sidebar, state
from ui.exports import render_downloads, settings_of
from ui.mapview import build_map, map_parts, map_value_label
from ui.profile import render_profile
from ui.text import plain


def _handle_click(event, view) -> None:
    """Select the clicked district. Every click counts, also a second one on the same district."""
    event = event or {}
    count = event.get("last_object_clicked_count")
    code = ((event.get("last_active_drawing") or {}).get("properties") or {}).get("code")
    if not code or count == st.session_state.get("_click_count"):
        return
    st.session_state["_click_count"] = count
    if code != view.selected:
        sidebar.select(code)
        st.rerun()


def render() -> None:
    view = sidebar.render_sidebar()
    cfg = state.config()
    # Everything above the map sits in one container: however many notes or spinners it shows, the
    # map keeps its place on the page, so Streamlit keeps it mounted and only re-colours it.
    with st.container():
        st.title(cfg.title)
        scored = state.scored_or_error(view)
        if scored is None:
            return
        data, table, result = scored
        keep = state.filter_mask(data, table, view)
        st.caption(
            f"{cfg.levels[view.level].label}: {int(keep.sum())} of {len(table)} shown. Score 0-100, higher = more "
            f"in need; {len(result.effective_weights[result.effective_weights > 0])} layers, "
            f"{view.normalisation} normalisation, {view.aggregation} aggregation. The poverty theme is census "
            "deprivation (basic needs), not a monetary poverty rate."
        )
        for note in result.notes:
            st.info(note)
        # The map goes out first: the cluster permutations (the slow part) only when the map shows them.
        extra, notes = state.analysis(view, data, result, clusters=view.map_layer in ("cluster", "hotspot"))
    col_map, col_side = st.columns([2, 1])
    with col_map:
        # The map is drawn once; new weights, classes or a selection only re-colour and re-outline it.
        base, group = map_parts(view, data, table, result, keep, extra=extra)
        event = st_folium(base, key=f"map_{view.level}", height=560, use_container_width=True,
                          returned_objects=["last_active_drawing", "last_object_clicked_count"],
                          feature_group_to_add=group)
        _handle_click(event, view)
        if view.map_layer in notes:  # clusters and hot spots: the neighbours, permutations and alpha used
            st.caption(plain(notes[view.map_layer]))
    with col_side:
        _effective_weights(result, data)
    extra, notes = state.analysis(view, data, result)

    _ranking_table(view, table.join(extra), keep)
    if view.selected:
        render_profile(data, table, result, view.selected, extra=extra,
                       draws=state.rank_draws(view, data, result, view.selected))
    if len(result.unscored):
        with st.expander(f"{len(result.unscored)} district(s) not scored"):
            st.dataframe(result.unscored.join(table[["name"]]), width="stretch")
    st.subheader("Download")
    label = map_value_label(view, data)

    def html_map() -> str:  # built on click only, from a fresh map
        return maps.standalone_html(
            build_map(view, data, table, result, keep, extra=extra), title=f"{cfg.title}: {label}",
            settings=settings_of(view, data, result))

    render_downloads(view, data, result, keep, html_map=html_map, extra=extra, notes=notes)
    with st.expander("How the analytics were made"):
        for key, note in notes.items():
            st.markdown(f"- **{key}**: {plain(note)}")


def _effective_weights(result, data) -> None:
    labels = {l.id: l.label for l in data.layers}
    eff = result.effective_weights[result.effective_weights > 0].sort_values(ascending=False)
    st.markdown("**Effective weights** (after rescaling within and across themes)")
    st.dataframe(
        pd.DataFrame({"weight": eff.to_numpy(), "layer": [labels.get(i, i) for i in eff.index]}),
        hide_index=True, width="stretch", height=min(560, 36 + 35 * len(eff)),
        column_config={"weight": st.column_config.ProgressColumn("weight", format="%.3f", min_value=0.0,
                                                                 max_value=float(eff.max()) if len(eff) else 1.0)},
    )


def _table_key(level: str, codes: pd.Index) -> str:
    """A widget key for the ranking table that changes whenever its rows change."""
    digest = hashlib.blake2b("\n".join(map(str, codes)).encode(), digest_size=8).hexdigest()
    return f"table_{level}_{digest}"


def _ranking_table(view, table, keep) -> None:
    shown = table[keep]
    st.subheader(f"Ranking: {len(shown)} districts")
    top = shown.dropna(subset=["rank"]).sort_values("rank").head(max(view.top_n, 5))
    st.markdown("**Top:** " + ", ".join(f"{int(r)}. {plain(n)}" for r, n in zip(top["rank"], top["name"])),
                help="The districts most in need under the current settings (outlined on the map).")
    query = st.text_input("Search by name or code", key="w_search", placeholder="e.g. Figuig")
    if query:
        q = query.strip().lower()
        shown = shown[shown["name"].str.lower().str.contains(q, regex=False)
                      | shown["code"].str.lower().str.contains(q, regex=False)]
    cols = ["rank", "rank_p05", "rank_p95", "p_top_k", "name", "parent_name", "population", "score", "decile",
            "cluster", "quadrant", "data_coverage", "code"]
    cols = [c for c in cols if c in shown.columns]
    # The table's row selection is by position: a search or a filter that changes the rows gives the
    # table a new key, so an old position can never pick a district the user did not click.
    event = st.dataframe(
        shown[cols], hide_index=True, width="stretch", height=420, key=_table_key(view.level, shown.index),
        on_select="rerun", selection_mode="single-row",
        column_config={
            "score": st.column_config.NumberColumn("score", format="%.1f"),
            "data_coverage": st.column_config.ProgressColumn("data coverage", min_value=0, max_value=1),
            "population": st.column_config.NumberColumn("population", format="%d"),
            "parent_name": st.column_config.TextColumn("in"),
            "rank_p05": st.column_config.NumberColumn("rank p5", format="%d",
                                                      help="5th percentile of the rank over the Monte Carlo draws"),
            "rank_p95": st.column_config.NumberColumn("rank p95", format="%d",
                                                      help="95th percentile of the rank over the Monte Carlo draws"),
            "p_top_k": st.column_config.NumberColumn(f"P(top {view.top_n or 10})", format="%.2f",
                                                     help="Share of draws in which the district is in the top k"),
            "cluster": st.column_config.TextColumn("cluster", help="Local Moran's I on the score: HH = a pocket"),
        },
    )
    rows = event.selection.rows if event and event.selection else []
    if rows and 0 <= rows[0] < len(shown):
        code = shown.index[rows[0]]
        if code != view.selected and code != st.session_state.get("_last_row"):
            st.session_state["_last_row"] = code
            sidebar.select(code)
            st.rerun()


render()
