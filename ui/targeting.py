"""Targeting: need x readiness (where LED can scale) and how far a top-k budget reaches."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from geo.dataset import target_counts
from geo.errors import TargetingError
from geo.i18n import _, format_number, format_percent, layer_label
from geo.labels import column_label, value_label
from geo.targeting import (QUADRANTS, both_lenses, coverage_curve, districts_for_population, districts_to_reach,
                           need_readiness, peers, top_k_errors)
from ui import lang, sidebar, state
from ui.profile import render_profile
from ui.text import plain

COLOURS = ["#b2182b", "#ef8a62", "#67a9cf", "#2166ac"]  # colour-blind-safe diverging pairs


def render() -> None:
    view = sidebar.render_sidebar(map_controls=False)
    st.title(_("Targeting"))
    scored = state.scored_or_error(view)
    if scored is None:
        return
    data, table, result = scored
    keep = state.filter_mask(data, table, view)
    themes = {l.id: l.theme for l in data.layers}
    cfg = state.config()
    roles = cfg.roles

    st.subheader(_("Need x readiness"))
    by_role = {r: ", ".join(plain(_(t.label)) for t in cfg.themes.values() if t.role == r) or _("none")
               for r in ("need", "readiness")}
    st.caption(_("Need: the layers of {need}. Readiness: the layers of {readiness}, turned around (higher = "
                 "better conditions to act). Thresholds default to the medians.").format(
        need=plain(by_role["need"]), readiness=plain(by_role["readiness"])))
    try:
        base = need_readiness(result, themes, roles)
    except TargetingError as exc:
        st.error(plain(exc))
        base = None
    if base is not None:
        c1, c2 = st.columns(2)
        nt = c1.slider(_("High need from"), 0.0, 100.0, float(round(base["need"].median(), 1)), key="w_need_t")
        rt = c2.slider(_("Ready from"), 0.0, 100.0, float(round(base["readiness"].median(), 1)), key="w_ready_t")
        nr = need_readiness(result, themes, roles, need_threshold=nt, readiness_threshold=rt)
        frame = nr.join(table[["name", "rank", "population"]]).loc[keep[keep].index].dropna(subset=["need", "readiness"])
        frame = frame.reset_index().rename(columns={"index": "code"})
        frame["code"] = frame["code"].astype(str)
        frame["quadrant"] = frame["quadrant"].map(value_label)
        pick = alt.selection_point(fields=["code"], name="pick")
        points = alt.Chart(frame).mark_circle(opacity=0.8, stroke="#333", strokeWidth=0.3).encode(
            x=alt.X("need:Q", title=_("need (0-100)")), y=alt.Y("readiness:Q", title=_("readiness (0-100)")),
            size=alt.Size("population:Q", legend=None, scale=alt.Scale(range=[15, 400])),
            color=alt.Color("quadrant:N", title=_("need x readiness"),
                            scale=alt.Scale(domain=[value_label(q) for q in QUADRANTS], range=COLOURS)),
            tooltip=[alt.Tooltip("name:N", title=_("name")), alt.Tooltip("code:N", title=_("code")),
                     alt.Tooltip("rank:Q", title=_("rank")), alt.Tooltip("need:Q", format=".1f", title=_("need")),
                     alt.Tooltip("readiness:Q", format=".1f", title=_("readiness")),
                     alt.Tooltip("quadrant:N", title=_("need x readiness"))],
        ).add_params(pick)
        rules = alt.Chart(pd.DataFrame({"x": [nt], "y": [rt]}))
        chart = points + rules.mark_rule(strokeDash=[4, 4]).encode(x="x:Q") + \
            rules.mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
        event = st.altair_chart(chart, width="stretch", on_select="rerun", key=f"nr_{view.level}")
        chosen = (event or {}).get("selection", {}).get("pick", [])
        if chosen and chosen[0].get("code") and chosen[0]["code"] != view.selected:
            sidebar.select(chosen[0]["code"])
            st.rerun()
        counts = frame["quadrant"].value_counts().reindex([value_label(q) for q in QUADRANTS]).fillna(0).astype(int)
        st.dataframe(counts.rename(_("districts")).rename_axis(_("need x readiness")), width="stretch")

    st.subheader(_("Coverage of a target group"))
    pct = [l for l in data.layers if l.unit == "%" and l.id in result.normalised.columns]
    if not pct:
        st.info(_("No percentage layer to derive a target group from."))
    else:
        target_id = st.selectbox(_("Target group (rate x its denominator)"), [l.id for l in pct],
                                 format_func={l.id: layer_label(l) for l in pct}.get, key="w_target")
        try:
            counts = target_counts(data, target_id)[keep]
            curve = coverage_curve(table.loc[keep[keep].index, "score"], counts, data.population[keep])
        except TargetingError as exc:
            st.error(plain(exc))
            return
        by = st.radio(_("Target"), [_("districts (top k)"), _("people (the most deprived districts holding a share "
                                                            "of the population)")], horizontal=True, key="w_target_by")
        c1, c2 = st.columns(2)
        if by != _("districts (top k)"):
            pop_share = c1.slider(_("Share of the population targeted"), 0.01, 1.0, 0.1, step=0.01, key="w_pop_share")
            k = districts_for_population(curve, pop_share)
            c1.caption(_("{k} districts hold the first {share} of the people in targeting order.").format(
                k=k, share=format_percent(100 * pop_share, 0)))
        else:
            k = c1.slider(_("Districts targeted (top k)"), 1, len(curve), min(view.top_n or 10, len(curve)), key="w_k")
        share = c2.slider(_("Share of the target group to reach"), 0.05, 1.0, 0.5, step=0.05, key="w_share")
        e = top_k_errors(curve, k, data.population)
        m = st.columns(4)
        m[0].metric(_("Reached by the top k"), format_number(e["reached"], 0))
        m[1].metric(_("Coverage"), format_percent(100 * e["coverage"], 0))
        m[2].metric(_("Exclusion error"), format_percent(100 * e["exclusion_error"], 0),
                    help=_("Share of the target group outside the top k"))
        m[3].metric(_("Inclusion error"), format_percent(100 * e.get("inclusion_error", float("nan")), 0),
                    help=_("Share of the people living in the top k who are not in the target group"))
        st.markdown(_("**{n}** districts reach {share} of the target group.").format(
            n=int(districts_to_reach(curve, share)), share=format_percent(100 * share, 0)))
        lines = curve.set_index("k")[["share_reached", "population_share"]]
        st.line_chart(lines.rename(columns={c: column_label(c) for c in lines.columns}), height=300)
        st.caption(_("Share and number: the districts most in need by the score, and those where most of the "
                     "target group live."))
        lenses = both_lenses(data.values.loc[keep[keep].index, target_id], counts,
                             table.loc[keep[keep].index, "score"], n=view.top_n or 10)
        st.dataframe(lenses.join(table[["name"]])[["name", "rate", "count", "count_share", "rank_by_score",
                                                  "rank_by_count"]], width="stretch", column_config={
            "rate": st.column_config.NumberColumn(_("share (%)"), format="%.1f"),
            "count": st.column_config.NumberColumn(_("people"), format="%d"),
            "count_share": st.column_config.NumberColumn(_("of all"), format="percent"),
            "rank_by_score": st.column_config.NumberColumn(_("rank by score")),
            "rank_by_count": st.column_config.NumberColumn(_("rank by number")),
        })
        st.download_button(_("⬇ Coverage curve (CSV)"), curve.to_csv(index=False).encode(), f"coverage_{target_id}.csv",
                           "text/csv", key="dl_coverage", on_click="ignore")
    _peers(view, data, table, result)
    if view.selected:
        render_profile(data, table, result, view.selected, extra=state.analysis(view, data, result)[0],
                       draws=state.rank_draws(view, data, result, view.selected))


def _peers(view, data, table, result) -> None:
    st.subheader(_("Peers to learn from"))
    if not view.selected or view.selected not in table.index:
        st.info(_("Select a district (on the map, in a table or in the scatter plot) to see its peers."))
        return
    cfg = state.config()
    labels = {l.id: layer_label(l) for l in data.layers}
    options = ["population"] + [l.id for l in data.layers]
    # similar context by default: population and the first two layers of the readiness themes
    readiness = [l.id for l in data.layers if cfg.roles.get(l.theme) == "readiness"]
    default = ["population"] + readiness[:2]
    names = {"population": _("Population (log)"), **labels}
    c1, c2, c3 = st.columns([3, 2, 1])
    context_ids = c1.multiselect(_("Similar context in"), options, default=default, format_func=names.get,
                                 key="w_peer_context")
    themes = sorted(c[6:] for c in result.table.columns if c.startswith("theme_"))
    theme = c2.selectbox(_("Doing better on"), themes, format_func={t: _(cfg.theme_label(t)) for t in themes}.get,
                         key="w_peer_theme")
    k = c3.number_input(_("Peers"), 3, 30, 10, key="w_peer_k")
    same_region = st.checkbox(_("Only in the same region"), key="w_peer_region")
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
        st.error(plain(exc))
        return
    out = out.join(table[["name", "parent_name", "rank"]])
    deviants = int(out["positive_deviant"].sum())
    st.markdown(_("**{deviants}** of the {n} most similar districts do clearly better on "
                  "{theme} (by more than half a standard deviation).").format(
        deviants=int(deviants), n=len(out), theme=plain(_(cfg.theme_label(theme)).lower())))
    shown = ["name", "parent_name", "rank", "distance", "outcome", "gap", "positive_deviant", "differs"]
    st.dataframe(out[shown], width="stretch", column_config=lang.headers(shown, config={
                     "distance": st.column_config.NumberColumn(format="%.2f"),
                     "outcome": st.column_config.NumberColumn(
                         _("{theme} (need)").format(theme=_(cfg.theme_label(theme))), format="%.1f"),
                     "gap": st.column_config.NumberColumn(_("better by"), format="%.1f"),
                     "differs": st.column_config.TextColumn(_("differs most in (layer values)")),
                 }))
    st.download_button(_("⬇ Peers (CSV)"), out.to_csv().encode(), f"peers_{view.selected}.csv", "text/csv",
                       key="dl_peers", on_click="ignore")


render()
