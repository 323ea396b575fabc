"""Workshop mode for a projector: step through the top districts, the map and the reasons on one screen."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.picture import locator_png
from geo.explain import ordinal
from geo.i18n import N_, _, format_number
from ui import mapview, sidebar, state
from ui.exports import brief_button
from ui.livemap import live_map
from ui.mapview import map_value_label
from ui.profile import profile_frame, render_profile
from ui.text import plain

STEP_KEY = "workshop_step"

# Words of the page, in one place.
TEXT = {
    "prev": N_("◀ Previous (P)"),
    "next": N_("Next (N) ▶"),
    "step": N_("{step} of {n}"),
    "rank": N_("Rank {rank} of {ranked} · need score {score}"),
    "reasons": N_("Main reasons"),
    "where": N_("Where it is in the country"),
    "none": N_("No district to show: the filters leave none with a rank."),
    "details": N_("Full profile"),
}
# Large type for the back of the room; the sidebar starts closed on this page.
CSS = """<style>
.st-key-ws_facts p, .st-key-ws_facts li { font-size: 1.45rem; line-height: 1.35; }
.st-key-ws_facts h1 { font-size: 3rem; line-height: 1.1; padding-bottom: 0.2rem; }
.st-key-ws_facts h3 { font-size: 1.7rem; }
.st-key-ws_nav button p { font-size: 1.25rem; white-space: nowrap; }
</style>"""


def _move(delta: int, n: int) -> None:
    st.session_state[STEP_KEY] = (st.session_state.get(STEP_KEY, 0) + delta) % max(n, 1)


def _collapse_sidebar_once() -> None:
    """Close the sidebar on arrival at the page (the controls stay one click away)."""
    if st.session_state.get("_ws_collapsed") != st.session_state.get("_sidebar_page"):
        st.session_state["_ws_collapsed"] = st.session_state.get("_sidebar_page")
        st.session_state[sidebar.REOPEN_KEY] = True
        st.set_page_config(initial_sidebar_state="collapsed")


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
    st.html(CSS)
    _collapse_sidebar_once()

    with st.container(key="ws_nav"):
        prev_col, next_col, title_col = st.columns([1, 1, 3], vertical_alignment="center")
        prev_col.button(_(TEXT["prev"]), on_click=_move, args=(-1, len(top)), shortcut="P", width="stretch",
                        key="ws_prev")
        next_col.button(_(TEXT["next"]), on_click=_move, args=(1, len(top)), shortcut="N", width="stretch",
                        key="ws_next")
        title_col.markdown(_("**{value}** · top {n}").format(value=plain(map_value_label(view, data)), n=len(top)))
    if not code:
        st.info(_(TEXT["none"]))
        return
    row = table.loc[code]
    ranked = int(table["rank"].notna().sum())
    extra, _notes = state.analysis(view, data, result)
    map_col, facts_col = st.columns([3, 2])
    with map_col:
        _geometry, geometry_url = mapview.level_map(view.level)
        style = mapview.view_style(view.replace(selected=code), data, table, result, keep, extra=extra, focus=code)
        live_map(geometry_url, style, key=f"workshop_map_{view.level}", height=680, large=True,
                 points=mapview.points_url(view.level))
    with facts_col, st.container(key="ws_facts"):
        st.markdown(f"### {_(TEXT['step']).format(step=int(step + 1), n=len(top))}")
        st.markdown(f"# {plain(row['name'])}")
        if pd.notna(row.get("parent_name")):
            st.markdown(plain(row["parent_name"]))
        st.markdown("**" + _(TEXT["rank"]).format(rank=plain(ordinal(int(row["rank"]))), ranked=int(ranked),
                                               score=format_number(row["score"], 1)) + "**")
        frame = profile_frame(data, table, result, code)
        reasons = frame.dropna(subset=["contribution"]).head(3)
        st.markdown(f"**{_(TEXT['reasons'])}**")
        st.markdown("\n".join(
            f"{i:d}. {plain(r['layer'])}: {format_number(r['value'], 1)} {plain(r['unit'])} "
            + _("(country {value})").format(value=format_number(r["national"], 1))
            for i, (_code, r) in enumerate(reasons.iterrows(), start=1)))
        st.caption(_(TEXT["where"]))
        st.image(_locator(view.level, code), width=260)
    with st.expander(_(TEXT["details"])):
        render_profile(data, table, result, code, large=True, extra=extra)
        brief_button(view, data, table, result, code, extra, key="ws_brief")


@st.cache_data(show_spinner=False, max_entries=64)
def _locator(level: str, code: str) -> bytes:
    return locator_png(state.level_data(level).districts.geometry, code)


render()
