"""Workshop mode: a full-width map for a projector and a step-through of the top districts."""

from __future__ import annotations

import streamlit as st

from geo.i18n import _
from ui import mapview, sidebar, state
from ui.livemap import live_map
from ui.mapview import map_value_label
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

    st.markdown(_("## {map_value} · top {n}").format(map_value=plain(map_value_label(view, data)), n=len(top)))
    prev_col, where_col, next_col = st.columns([1, 4, 1])
    prev_col.button(_("◀ Previous (P)"), on_click=_move, args=(-1, len(top)), shortcut="P", width="stretch", key="ws_prev")
    next_col.button(_("Next (N) ▶"), on_click=_move, args=(1, len(top)), shortcut="N", width="stretch", key="ws_next")
    if code:
        row = table.loc[code]
        where_col.markdown(_("### {step} / {n}: {name} (rank {rank})").format(
            step=step + 1, n=len(top), name=plain(row["name"]), rank=int(row["rank"])))
    extra, _notes = state.analysis(view, data, result)
    _geometry, geometry_url = mapview.level_map(view.level)
    style = mapview.view_style(view.replace(selected=code or ""), data, table, result, keep, extra=extra, focus=code)
    live_map(geometry_url, style, key=f"workshop_map_{view.level}", height=720, large=True)
    if code:
        render_profile(data, table, result, code, large=True)


render()
