"""Map & ranking (home): the score of every district, mapped and ranked, with a profile on click."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.i18n import _, format_number, layer_label, matches, ngettext, value_label
from ui import lang, mapview, sidebar, state
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
        st.title(plain(_(cfg.title)))
        scored = state.scored_or_error(view)
        if scored is None:
            return
        data, table, result = scored
        keep = state.filter_mask(data, table, view)
        st.caption((_(
            "{level}: {shown} of {total} shown. Score 0-100, higher = more in need; {layers} layers, "
            "{normalisation} normalisation, {aggregation} aggregation."
        ).format(level=plain(_(cfg.levels[view.level].label)), shown=format_number(int(keep.sum())),
                 total=format_number(len(table)),
                 layers=len(result.effective_weights[result.effective_weights > 0]),
                 normalisation=plain(_(sidebar.NORMALISATION_LABELS.get(view.normalisation, view.normalisation))),
                 aggregation=plain(_(sidebar.AGGREGATION_LABELS.get(view.aggregation, view.aggregation))))
                    + " " + plain(_(cfg.text.caption) if cfg.text.caption else "")).rstrip())
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
        _geometry, geometry_url = mapview.level_map(view.level)
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
        n = len(result.unscored)
        with st.expander(ngettext("{n} district not scored", "{n} districts not scored", n).format(n=n)):
            unscored = result.unscored.join(table[["name"]])
            st.dataframe(unscored, width="stretch", column_config=lang.headers(unscored.columns))
    st.subheader(_("Download"))
    label = map_value_label(view, data)

    def html_map() -> str:  # built on click only
        return mapview.standalone_map(view, data, table, result, keep, extra=extra,
                                      title=f"{_(cfg.title)}: {label}", settings=settings_of(view, data, result))

    render_downloads(view, data, result, keep, html_map=html_map, extra=extra, notes=notes)
    with st.expander(_("How the analytics were made")):
        for key, note in notes.items():
            st.markdown(f"- **{plain(key)}**: {plain(note)}")


def _effective_weights(result, data) -> None:
    labels = {l.id: layer_label(l) for l in data.layers}
    eff = result.effective_weights[result.effective_weights > 0].sort_values(ascending=False)
    st.markdown(_("**Effective weights** (after rescaling within and across themes)"))
    st.dataframe(
        pd.DataFrame({"weight": eff.to_numpy(), "layer": [labels.get(i, i) for i in eff.index]}),
        hide_index=True, width="stretch", height=min(560, 36 + 35 * len(eff)),
        column_config={"weight": st.column_config.ProgressColumn(_("weight"), format="%.3f", min_value=0.0,
                                                                 max_value=float(eff.max()) if len(eff) else 1.0),
                       "layer": st.column_config.TextColumn(_("layer"))},
    )


def _ranking_table(view, table, keep) -> None:
    shown = table[keep]
    st.subheader(_("Ranking: {n} districts").format(n=format_number(len(shown))))
    top = shown.dropna(subset=["rank"]).sort_values("rank").head(max(view.top_n, 5))
    names = top["name"] if "name_ar" not in top.columns else [
        lang.both_scripts(n, a) for n, a in zip(top["name"], top["name_ar"])]
    st.markdown(_("**Top:** ") + ", ".join(f"{int(r)}. {plain(n)}" for r, n in zip(top["rank"], names)),
                help=_("The districts most in need under the current settings (outlined on the map)."))
    example = state.config().text.search_example
    query = st.text_input(_("Search by name or code"), key="w_search",
                          placeholder=_("e.g. {example}").format(example=example) if example else _("a name or a code"))
    if query:
        texts = [shown[c] for c in ("name", "name_ar", "code") if c in shown.columns]
        shown = shown[matches(query, *texts)]
    counts = [c for c in shown.columns if c.endswith("_count")]
    cols = ["rank", "rank_p05", "rank_p95", "p_top_k", "name", "name_ar", "parent_name", "population", "score",
            "decile", "pop_decile", *counts, "cluster", "quadrant", "data_coverage", "code"]
    cols = [c for c in cols if c in shown.columns]
    shown = shown.assign(**{c: shown[c].map(value_label) for c in ("cluster", "quadrant") if c in shown.columns})
    event = st.dataframe(
        shown[cols], hide_index=True, width="stretch", height=420, key=f"table_{view.level}",
        on_select="rerun", selection_mode="single-row",
        column_config=lang.headers(cols, config={
            "score": st.column_config.NumberColumn(_("score"), format="%.1f"),
            "data_coverage": st.column_config.ProgressColumn(_("data coverage"), min_value=0, max_value=1),
            "population": st.column_config.NumberColumn(_("population"), format="%d"),
            "parent_name": st.column_config.TextColumn(_("in")),
            "rank_p05": st.column_config.NumberColumn(_("rank p5"), format="%d",
                                                      help=_("5th percentile of the rank over the Monte Carlo draws")),
            "rank_p95": st.column_config.NumberColumn(_("rank p95"), format="%d",
                                                      help=_("95th percentile of the rank over the Monte Carlo draws")),
            "p_top_k": st.column_config.NumberColumn(_("P(top {k})").format(k=view.top_n or 10), format="%.2f",
                                                     help=_("Share of draws in which the district is in the top k")),
            "cluster": st.column_config.TextColumn(_("cluster"), help=_("Local Moran's I on the score: HH = a pocket")),
        
            "pop_decile": st.column_config.NumberColumn(
                _("pop. decile"), help=_("Population-weighted decile: 1 = the most deprived districts holding the "
                                         "first 10 % of the people")),
            **{c: st.column_config.NumberColumn(_("{layer} (people)").format(layer=c[:-6]), format="%d",
                                                help=_("People or households concerned: rate x its denominator"))
               for c in counts},
        }),
    )
    rows = event.selection.rows if event and event.selection else []
    if rows:
        code = shown.index[rows[0]]
        if code != view.selected and code != st.session_state.get("_last_row"):
            st.session_state["_last_row"] = code
            sidebar.select(code)
            st.rerun()


render()
