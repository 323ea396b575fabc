"""Targeting: need x readiness (where LED can scale) and how far a top-k budget reaches."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from geo.dataset import target_counts
from geo.errors import TargetingError
from geo.targeting import (QUADRANTS, both_lenses, coverage_curve, districts_for_population, districts_to_reach,
                           need_readiness, peers, top_k_errors)
from layers import THEMES
from ui import sidebar, state
from ui.profile import render_profile
from ui.text import plain

COLOURS = ["#b2182b", "#ef8a62", "#67a9cf", "#2166ac"]  # colour-blind-safe diverging pairs


def render() -> None:
    view = sidebar.render_sidebar(map_controls=False)
    st.title("Targeting")
    scored = state.scored_or_error(view)
    if scored is None:
        return
    data, table, result = scored
    keep = state.filter_mask(data, table, view)
    themes = {l.id: l.theme for l in data.layers}
    roles = {t: THEMES[t].role for t in THEMES}

    st.subheader("Need x readiness")
    st.caption("Need: poverty, unemployment and displacement layers. Readiness: infrastructure and economic base, "
               "turned around (higher = better conditions to act). Thresholds default to the medians.")
    try:
        base = need_readiness(result, themes, roles)
    except TargetingError as exc:
        st.error(str(exc))
        base = None
    if base is not None:
        c1, c2 = st.columns(2)
        nt = c1.slider("High need from", 0.0, 100.0, float(round(base["need"].median(), 1)), key="w_need_t")
        rt = c2.slider("Ready from", 0.0, 100.0, float(round(base["readiness"].median(), 1)), key="w_ready_t")
        nr = need_readiness(result, themes, roles, need_threshold=nt, readiness_threshold=rt)
        frame = nr.join(table[["name", "rank", "population"]]).loc[keep[keep].index].dropna(subset=["need", "readiness"])
        frame = frame.reset_index().rename(columns={"index": "code"})
        frame["code"] = frame["code"].astype(str)
        pick = alt.selection_point(fields=["code"], name="pick")
        points = alt.Chart(frame).mark_circle(opacity=0.8, stroke="#333", strokeWidth=0.3).encode(
            x=alt.X("need:Q", title="need (0-100)"), y=alt.Y("readiness:Q", title="readiness (0-100)"),
            size=alt.Size("population:Q", legend=None, scale=alt.Scale(range=[15, 400])),
            color=alt.Color("quadrant:N", scale=alt.Scale(domain=list(QUADRANTS), range=COLOURS)),
            tooltip=["name:N", "code:N", "rank:Q", alt.Tooltip("need:Q", format=".1f"),
                     alt.Tooltip("readiness:Q", format=".1f"), "quadrant:N"],
        ).add_params(pick)
        rules = alt.Chart(pd.DataFrame({"x": [nt], "y": [rt]}))
        chart = points + rules.mark_rule(strokeDash=[4, 4]).encode(x="x:Q") + \
            rules.mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
        event = st.altair_chart(chart, width="stretch", on_select="rerun", key=f"nr_{view.level}")
        chosen = (event or {}).get("selection", {}).get("pick", [])
        if chosen and chosen[0].get("code") and chosen[0]["code"] != view.selected:
            sidebar.select(chosen[0]["code"])
            st.rerun()
        counts = frame["quadrant"].value_counts().reindex(list(QUADRANTS)).fillna(0).astype(int)
        st.dataframe(counts.rename("districts"), width="stretch")

    st.subheader("Coverage of a target group")
    pct = [l for l in data.layers if l.unit == "%" and l.id in result.normalised.columns]
    if not pct:
        st.info("No percentage layer to derive a target group from.")
    else:
        target_id = st.selectbox("Target group (rate x its denominator)", [l.id for l in pct],
                                 format_func={l.id: l.label for l in pct}.get, key="w_target")
        try:
            counts = target_counts(data, target_id)[keep]
            curve = coverage_curve(table.loc[keep[keep].index, "score"], counts, data.population[keep])
        except TargetingError as exc:
            st.error(str(exc))
            return
        by = st.radio("Target", ["districts (top k)", "people (the most deprived districts holding a share of "
                                 "the population)"], horizontal=True, key="w_target_by")
        c1, c2 = st.columns(2)
        if by.startswith("people"):
            pop_share = c1.slider("Share of the population targeted", 0.01, 1.0, 0.1, step=0.01, key="w_pop_share")
            k = districts_for_population(curve, pop_share)
            c1.caption(f"{k} districts hold the first {pop_share:.0%} of the people in targeting order.")
        else:
            k = c1.slider("Districts targeted (top k)", 1, len(curve), min(view.top_n or 10, len(curve)), key="w_k")
        share = c2.slider("Share of the target group to reach", 0.05, 1.0, 0.5, step=0.05, key="w_share")
        e = top_k_errors(curve, k, data.population)
        m = st.columns(4)
        m[0].metric("Reached by the top k", f"{e['reached']:,.0f}")
        m[1].metric("Coverage", f"{e['coverage']:.0%}")
        m[2].metric("Exclusion error", f"{e['exclusion_error']:.0%}", help="Share of the target group outside the top k")
        m[3].metric("Inclusion error", f"{e.get('inclusion_error', float('nan')):.0%}",
                    help="Share of the people living in the top k who are not in the target group")
        st.markdown(f"**{districts_to_reach(curve, share)}** districts reach {share:.0%} of the target group.")
        st.line_chart(curve.set_index("k")[["share_reached", "population_share"]], height=300)
        st.caption("Share and number: the districts most in need by the score, and those where most of the "
                   "target group live.")
        lenses = both_lenses(data.values.loc[keep[keep].index, target_id], counts,
                             table.loc[keep[keep].index, "score"], n=view.top_n or 10)
        st.dataframe(lenses.join(table[["name"]])[["name", "rate", "count", "count_share", "rank_by_score",
                                                  "rank_by_count"]], width="stretch", column_config={
            "rate": st.column_config.NumberColumn("share (%)", format="%.1f"),
            "count": st.column_config.NumberColumn("people", format="%d"),
            "count_share": st.column_config.NumberColumn("of all", format="percent"),
            "rank_by_score": st.column_config.NumberColumn("rank by score"),
            "rank_by_count": st.column_config.NumberColumn("rank by number"),
        })
        st.download_button("⬇ Coverage curve (CSV)", curve.to_csv(index=False).encode(), f"coverage_{target_id}.csv",
                           "text/csv", key="dl_coverage", on_click="ignore")
    _peers(view, data, table, result)
    if view.selected:
        render_profile(data, table, result, view.selected, extra=state.analysis(view, data, result)[0],
                       draws=state.rank_draws(view, data, result, view.selected))


def _peers(view, data, table, result) -> None:
    st.subheader("Peers to learn from")
    if not view.selected or view.selected not in table.index:
        st.info("Select a district (on the map, in a table or in the scatter plot) to see its peers.")
        return
    labels = {l.id: l.label for l in data.layers}
    options = ["population"] + [l.id for l in data.layers]
    default = [c for c in ("population", "road_distance", "establishments") if c in options] or options[:1]
    names = {"population": "Population (log)", **labels}
    c1, c2, c3 = st.columns([3, 2, 1])
    context_ids = c1.multiselect("Similar context in", options, default=default, format_func=names.get,
                                 key="w_peer_context")
    themes = sorted(c[6:] for c in result.table.columns if c.startswith("theme_"))
    theme = c2.selectbox("Doing better on", themes, format_func=lambda t: THEMES[t].label, key="w_peer_theme")
    k = c3.number_input("Peers", 3, 30, 10, key="w_peer_k")
    same_region = st.checkbox("Only in the same region", key="w_peer_region")
    context = pd.DataFrame(index=data.values.index)
    for cid in context_ids:
        context[names[cid]] = np.log1p(data.population) if cid == "population" else data.values[cid]
    if same_region:
        col = "region_code" if "region_code" in data.districts else "parent_code"
        region = data.districts[col]
        context = context[region == region.get(view.selected)]
    try:
        out = peers(context, result.table[f"theme_{theme}"], view.selected, k=int(k),
                    values=data.values.rename(columns=labels))
    except TargetingError as exc:
        st.error(str(exc))
        return
    out = out.join(table[["name", "parent_name", "rank"]])
    deviants = int(out["positive_deviant"].sum())
    st.markdown(f"**{deviants}** of the {len(out)} most similar districts do clearly better on "
                f"{plain(THEMES[theme].label.lower())} (by more than half a standard deviation).")
    st.dataframe(out[["name", "parent_name", "rank", "distance", "outcome", "gap", "positive_deviant", "differs"]],
                 width="stretch", column_config={
                     "distance": st.column_config.NumberColumn(format="%.2f"),
                     "outcome": st.column_config.NumberColumn(f"{THEMES[theme].label} (need)", format="%.1f"),
                     "gap": st.column_config.NumberColumn("better by", format="%.1f"),
                     "differs": st.column_config.TextColumn("differs most in (layer values)"),
                 })
    st.download_button("⬇ Peers (CSV)", out.to_csv().encode(), f"peers_{view.selected}.csv", "text/csv",
                       key="dl_peers", on_click="ignore")


render()
