"""Workshop mode: a full-width map for a projector and a step-through of the top districts."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from geo.i18n import _
from ui import sidebar, state
from ui.mapview import build_map, map_value_label
from ui.profile import render_profile
from ui.text import plain

STEP_KEY = "workshop_step"


def _move(delta: int, n: int) -> None:
    st.session_state[STEP_KEY] = (st.session_state.get(STEP_KEY, 0) + delta) % max(n, 1)


def render() -> None:
    view = sidebar.render_sidebar()
    scored = state.scored_or_error(view)
    if scored is None:
        return
    data, table, result = scored
    keep = state.filter_mask(data, table, view)
    top = table[keep].dropna(subset=["rank"]).sort_values("rank").index[: max(view.top_n, 1)].tolist()
    step = st.session_state.get(STEP_KEY, 0) % max(len(top), 1)
    code = top[step] if top else None

    st.markdown(_("## {map_value} · top {n}").format(map_value=map_value_label(view, data), n=len(top)))
    prev_col, where_col, next_col = st.columns([1, 4, 1])
    prev_col.button(_("◀ Previous (P)"), on_click=_move, args=(-1, len(top)), shortcut="P", width="stretch", key="ws_prev")
    next_col.button(_("Next (N) ▶"), on_click=_move, args=(1, len(top)), shortcut="N", width="stretch", key="ws_next")
    if code:
        row = table.loc[code]
        where_col.markdown(_("### {step} / {n}: {name} (rank {rank})").format(
            step=step + 1, n=len(top), name=plain(row["name"]), rank=int(row["rank"])))
    extra, _notes = state.analysis(view, data, result)
    fmap = build_map(view.replace(selected=code or ""), data, table, result, keep, large=True, focus=code,
                     extra=extra)
    st_folium(fmap, key="workshop_map", height=720, use_container_width=True, returned_objects=[])
    if code:
        render_profile(data, table, result, code, large=True)


render()
