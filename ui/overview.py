"""Map & ranking (home): the score of every district, mapped and ranked, with a profile on click."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import mapview, sidebar, state
from ui.exports import render_downloads, settings_of
from ui.livemap import live_map
from ui.mapview import map_value_label
from ui.profile import render_profile
from ui.text import plain


def _handle_click(code: str | None, view) -> None:
    """Select the district clicked or found on the map (each choice is reported once)."""
    if code and code != view.selected:
        sidebar.select(code)
        st.rerun()


def render() -> None:
    view = sidebar.render_sidebar()
    cfg = state.config()
    # Everything above the map sits in one container: however many notes or spinners it shows, the
    # map keeps its place on the page, so Streamlit keeps it mounted and only re-colours it.
    with st.container():
        st.title(plain(cfg.title))
        scored = state.scored_or_error(view)
        if scored is None:
            return
        data, table, result = scored
        keep = state.filter_mask(data, table, view)
        st.caption(
            f"{plain(cfg.levels[view.level].label)}: {int(keep.sum())} of {len(table)} shown. Score 0-100, higher = more "
            f"in need; {len(result.effective_weights[result.effective_weights > 0])} layers, "
            f"{plain(view.normalisation)} normalisation, {plain(view.aggregation)} aggregation. {plain(cfg.text.caption)}".rstrip()
        )
        for note in result.notes:
            st.info(plain(note))
        # The map never waits for the analytics: when they are not computed yet for this view, the map
        # goes out without the uncertain outlines and cluster colours, and a second pass adds them.
        clusters = view.map_layer in ("cluster", "hotspot")
        ready = mapview.analysis_ready(view, data, clusters=clusters)
        extra, notes = state.analysis(view, data, result, clusters=clusters) if ready else (None, {})
    col_map, col_side = st.columns([2, 1])
    with col_map:
        # The geometry is fetched once per level; new weights, classes or a selection send numbers only.
        _, geometry_url = mapview.level_map(view.level)
        style = mapview.view_style(view, data, table, result, keep, extra=extra)
        _handle_click(live_map(geometry_url, style, key=f"map_{view.level}", height=560), view)
        if view.map_layer in notes:  # clusters and hot spots: the neighbours, permutations and alpha used
            st.caption(plain(notes[view.map_layer]))
    with col_side:
        _effective_weights(result, data)
    extra, notes = state.analysis(view, data, result, clusters=clusters) if not ready else (extra, notes)
    if not ready:
        mapview.mark_analysed(view, data, clusters=clusters)
        st.rerun()  # second pass: everything is cached, the map gains its outlines
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

    def html_map() -> str:  # built on click only
        return mapview.standalone_map(view, data, table, result, keep, extra=extra,
                                      title=f"{cfg.title}: {label}", settings=settings_of(view, data, result))

    render_downloads(view, data, result, keep, html_map=html_map, extra=extra, notes=notes)
    with st.expander("How the analytics were made"):
        for key, note in notes.items():
            st.markdown(f"- **{plain(key)}**: {plain(note)}")


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


def _ranking_table(view, table, keep) -> None:
    shown = table[keep]
    st.subheader(f"Ranking: {len(shown)} districts")
    top = shown.dropna(subset=["rank"]).sort_values("rank").head(max(view.top_n, 5))
    st.markdown("**Top:** " + ", ".join(f"{int(r)}. {plain(n)}" for r, n in zip(top["rank"], top["name"])),
                help="The districts most in need under the current settings (outlined on the map).")
    example = state.config().text.search_example
    query = st.text_input("Search by name or code", key="w_search",
                          placeholder=f"e.g. {example}" if example else "a name or a code")
    if query:
        q = query.strip().lower()
        shown = shown[shown["name"].str.lower().str.contains(q, regex=False)
                      | shown["code"].str.lower().str.contains(q, regex=False)]
    counts = [c for c in shown.columns if c.endswith("_count")]
    cols = ["rank", "rank_p05", "rank_p95", "p_top_k", "name", "parent_name", "population", "score", "decile",
            "pop_decile", *counts, "cluster", "quadrant", "data_coverage", "code"]
    cols = [c for c in cols if c in shown.columns]
    event = st.dataframe(
        shown[cols], hide_index=True, width="stretch", height=420, key=f"table_{view.level}",
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
            "pop_decile": st.column_config.NumberColumn(
                "pop. decile", help="Population-weighted decile: 1 = the most deprived districts holding the first "
                                    "10 % of the people"),
            **{c: st.column_config.NumberColumn(f"{c[:-6]} (people)", format="%d",
                                                help="People or households concerned: rate x its denominator")
               for c in counts},
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
