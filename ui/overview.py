"""Map & ranking (home): the score of every district, mapped and ranked, with a profile on click."""

from __future__ import annotations

import hashlib
import html

import pandas as pd
import pyarrow as pa
import streamlit as st

from geo.i18n import N_, _, format_number, layer_label, matches, ngettext
from geo.labels import category_label, column_help, column_label, value_label
from ui import lang, mapview, secondpass, sidebar, state
from ui.exports import brief_button, map_picture, render_downloads, settings_of
from ui.livemap import live_map
from ui.mapview import map_value_label
from ui.profile import render_profile
from ui.text import plain


def _handle_click(code: str | None, view) -> None:
    """Select the district clicked or found on the map (each choice is reported once)."""
    if code and code != view.selected:
        sidebar.select(code)
        st.rerun()


# Words of the page, in one place.
TEXT = {
    "caption": N_("{level}: {shown} of {total} shown. Need score 0-100 (higher = more in need) from {n} indicators; "
               "method: {normalisation}, {aggregation} (details in Data & method)."),
    "notes": N_("{n} note(s) on how the values were treated"),
    "pick": N_("Click a district on the map or a row of the table: its profile opens here."),
    "weights": N_("How much each indicator counts"),
    "weights_note": N_("(effective weights, after rescaling within and across themes)"),
}
NORMALISATION_WORDS = {"minmax": N_("min-max rescaling"), "zscore": N_("z-scores"), "rank": N_("percentile ranks")}
AGGREGATION_WORDS = {"arithmetic": N_("weighted mean"), "geometric": N_("weighted geometric mean")}
# Below 1100 px the map and the profile stack, each the full width (the map stays wide enough to read).
NARROW_CSS = """<style>
@media (max-width: 1100px) {
  .st-key-pk_mapside [data-testid="stHorizontalBlock"] { flex-wrap: wrap; }
  .st-key-pk_mapside [data-testid="stColumn"] { width: 100% !important; flex: 1 1 100% !important; min-width: 100%; }
}
</style>"""


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
        st.caption(_(TEXT["caption"]).format(
            level=plain(_(cfg.levels[view.level].label)), shown=int(keep.sum()), total=len(table),
            n=len(result.effective_weights[result.effective_weights > 0]),
            normalisation=plain(_(NORMALISATION_WORDS.get(view.normalisation, view.normalisation))),
            aggregation=plain(_(AGGREGATION_WORDS.get(view.aggregation, view.aggregation))))
            + (f" {plain(_(cfg.text.caption))}" if cfg.text.caption else ""))
        if result.notes:  # one line, opened on demand: the map and the profile stay at the top of the page
            with st.expander(_(TEXT["notes"]).format(n=len(result.notes))):
                for note in result.notes:
                    st.markdown(f"- {plain(note)}")
        # The map never waits for the analytics: when they are not computed yet for this view, the map
        # goes out without the uncertain outlines and cluster colours, and a second pass adds them.
        clusters = view.map_layer in ("cluster", "hotspot")
        token = mapview.analysis_token(view, data, clusters=clusters)
        ready = mapview.analysis_ready(view, data, clusters=clusters)
        if not ready and secondpass.asked(token):  # the second pass: the first is out, the analytics now
            state.analysis(view, data, result, clusters=clusters)
            mapview.mark_analysed(view, data, clusters=clusters)
            ready = True
        extra, notes = state.analysis(view, data, result, clusters=clusters) if ready else (None, {})
    outlines = {"for": token, "uncertain": mapview.uncertain_outlines(view, table, keep, extra)}
    st.html(NARROW_CSS)
    with st.container(key="pk_mapside"):
        col_map, col_side = st.columns([3, 2])
        with col_map:
            _map_section(view, data, table, result, keep, extra, notes, token)
        # Nor do the profile and the table: on the first pass they go out without the analytics' columns.
        extra, notes = state.analysis(view, data, result) if ready else (None, {})
        with col_side, st.container(height=MAP_HEIGHT + 40, border=False, key="pk_profile"):
            if view.selected and view.selected in table.index:
                render_profile(data, table, result, view.selected, extra=extra, compact=True,
                               draws=state.rank_draws(view, data, result, view.selected) if ready else None)
                brief_button(view, data, table, result, view.selected, extra)
            else:
                st.info(_(TEXT["pick"]))
                _effective_weights(result, data)

    _ranking_table(view, table.join(extra) if extra is not None else table, keep, data)
    if view.selected:
        with st.expander(_(TEXT["weights"])):
            _effective_weights(result, data)
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

    def picture() -> bytes:  # built on click only
        return map_picture(view, data, table, result, keep, title=f"{_(cfg.title)}: {label}", extra=extra)

    render_downloads(view, data, result, keep, html_map=html_map, extra=extra, notes=notes, picture=picture)
    with st.expander(_("How the analytics were made")):
        for key, note in notes.items():
            st.markdown(f"- **{plain(key)}**: {plain(note)}")
    # Last on the page: without the analytics, the browser asks for the second pass, in which the map
    # gains its outlines, the profile and the table their intervals.
    secondpass.ask(None if ready else token, outlines=outlines)


MAP_HEIGHT = 560


def _map_section(view, data, table, result, keep, extra, notes, token: str) -> None:
    """The map of the page (drawn once; new weights, classes or a selection only re-colour it)."""
    # The geometry is fetched once per level; new weights, classes or a selection send numbers only.
    # The uncertain outlines come with the page's last element (``token`` names them): when only they
    # arrive, the map's own message is unchanged and goes out as a reference.
    _, geometry_url = mapview.level_map(view.level)
    categorical = view.map_layer in mapview.CATEGORY_LAYERS  # coloured by the analytics themselves
    style = {**mapview.view_style(view, data, table, result, keep, extra=extra if categorical else None),
             "outlines_for": token}
    _handle_click(live_map(geometry_url, style, key=f"map_{view.level}", height=MAP_HEIGHT,
                                 points=mapview.points_url(view.level)), view)
    if view.map_layer in notes:  # clusters and hot spots: the neighbours, permutations and alpha used
        st.caption(plain(notes[view.map_layer]))


WEIGHT_BARS_CSS = """<style>
.pk-weights { max-height: 520px; overflow-y: auto; }
.pk-weights table { width: 100%; border-collapse: collapse; font-size: 0.9rem; }
.pk-weights th { font-weight: 400; color: rgba(49, 51, 63, 0.6); text-align: start; padding: 4px 6px; }
.pk-weights td { padding: 4px 6px; border-top: 1px solid rgba(49, 51, 63, 0.1); vertical-align: middle; }
.pk-weights .pk-bar-cell { width: 28%; }
.pk-weights .pk-bar { display: block; height: 6px; border-radius: 3px; background: #c4343f; }
.pk-weights .pk-value { width: 4.5em; font-variant-numeric: tabular-nums; }
</style>"""


def _effective_weights(result, data) -> None:
    """Each scored indicator's effective weight as a bar (plain HTML: a table of a few rows costs the
    browser far less than a data grid)."""
    labels = {l.id: layer_label(l) for l in data.layers}
    eff = result.effective_weights[result.effective_weights > 0].sort_values(ascending=False)
    st.markdown(f"**{_(TEXT['weights'])}** {_(TEXT['weights_note'])}")
    top = float(eff.max()) if len(eff) else 1.0
    rows = "".join(
        f'<tr><td class="pk-bar-cell"><span class="pk-bar" style="width: {100 * w / top:.1f}%"></span></td>'
        f'<td class="pk-value">{html.escape(format_number(w, 3))}</td>'
        f'<td>{html.escape(str(labels.get(i, i)))}</td></tr>'
        for i, w in eff.items())
    weight, layer = html.escape(_("weight")), html.escape(_("layer"))
    st.html(f'{WEIGHT_BARS_CSS}<div class="pk-weights"><table><tr><th colspan="2">{weight}</th>'
            f'<th>{layer}</th></tr>{rows}</table></div>')


def _table_key(level: str, codes: pd.Index) -> str:
    """A widget key for the ranking table that changes whenever its rows change."""
    digest = hashlib.blake2b("\n".join(map(str, codes)).encode(), digest_size=8).hexdigest()
    return f"table_{level}_{digest}"


PAGE_ROWS = 50  # rows of the ranking table sent at a time (the downloads hold every district)
PAGE_KEY = "w_table_page"  # the page number's widget (1 = the first PAGE_ROWS rows)
PAGE_FOR_KEY = "_table_page_for"  # (level, search, filters) the page number belongs to
JUMPED_KEY = "_table_jumped"  # the selected district the table last turned to


def _turn(step: int) -> None:
    st.session_state[PAGE_KEY] = st.session_state.get(PAGE_KEY, 1) + step


def _page_rows(view, codes: pd.Index, query: str) -> slice:
    """The rows of the table's current page, with the controls to turn it.

    A new search or filter starts again at page 1; a district selected elsewhere (on the map, by
    search) turns the table to its page, once, so the page can still be turned away from it.
    """
    pages = max(1, -(-len(codes) // PAGE_ROWS))
    state_ = st.session_state
    subject = (view.level, query, view.region, view.area, view.min_population)
    if state_.get(PAGE_FOR_KEY) != subject:
        state_[PAGE_FOR_KEY], state_[PAGE_KEY] = subject, 1
    if view.selected and view.selected != state_.get(JUMPED_KEY) and view.selected in codes:
        state_[JUMPED_KEY], state_[PAGE_KEY] = view.selected, codes.get_loc(view.selected) // PAGE_ROWS + 1
    state_[PAGE_KEY] = min(max(int(state_.get(PAGE_KEY, 1)), 1), pages)
    page = state_[PAGE_KEY]
    first, last = (page - 1) * PAGE_ROWS, min(page * PAGE_ROWS, len(codes))
    if pages > 1:
        c1, c2, c3, c4 = st.columns([1, 1, 1, 3], vertical_alignment="bottom")
        c1.button(_("‹ Previous"), key="pk_page_prev", on_click=_turn, args=(-1,), disabled=page <= 1,
                  width="stretch")
        c2.number_input(_("Page"), min_value=1, max_value=pages, step=1, key=PAGE_KEY)
        c3.button(_("Next ›"), key="pk_page_next", on_click=_turn, args=(1,), disabled=page >= pages,
                  width="stretch")
        c4.caption(_("Rows {first}-{last} of {n}, page {page} of {pages}; the downloads below hold every "
                     "row.").format(first=format_number(first + 1), last=format_number(last),
                                    n=format_number(len(codes)), page=page, pages=pages))
    return slice(first, last)


def _narrow(frame: pd.DataFrame) -> pa.Table:
    """The table's numbers in 32 bits, people as whole numbers: what it shows, in a quarter fewer bytes.

    An Arrow table without its index (hidden anyway) and without the pandas schema (4 KB of JSON
    on every send that the browser does not read).
    """
    out = frame.copy()
    for c in out.columns:
        if c.endswith("_count") or c == "population":
            out[c] = out[c].round().astype("Int32")
        elif pd.api.types.is_integer_dtype(out[c]):
            out[c] = out[c].astype("Int32")
        elif pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].astype("float32")
    return pa.Table.from_pandas(out, preserve_index=False).replace_schema_metadata(None)


def _ranking_table(view, table, keep, data) -> None:
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
    shown = shown.iloc[_page_rows(view, shown.index, query)]
    counts = [c for c in shown.columns if c.endswith("_count")]
    cols = ["rank", "rank_p05", "rank_p95", "p_top_k", "name", "name_ar", "parent_name", "population", "score",
            "decile", "pop_decile", *counts, "cluster", "quadrant", "data_coverage", "code"]
    cols = [c for c in cols if c in shown.columns]
    display = shown[cols].copy()
    if "cluster" in display:
        display["cluster"] = display["cluster"].map(lambda v: category_label("cluster", v))
    if "quadrant" in display:
        display["quadrant"] = display["quadrant"].map(value_label)

    def text(c):
        return st.column_config.TextColumn(column_label(c), help=column_help(c))

    def number(c, fmt):
        return st.column_config.NumberColumn(column_label(c), format=fmt, help=column_help(c))

    # The table's row selection is by position: a search or a filter that changes the rows gives the
    # table a new key, so an old position can never pick a district the user did not click.
    event = st.dataframe(
        _narrow(display), hide_index=True, width="stretch", height=420, key=_table_key(view.level, shown.index),
        on_select="rerun", selection_mode="single-row",
        column_config={
            "rank": number("rank", "%d"), "name": text("name"), "parent_name": text("parent_name"),  # not text
            "score": number("score", "%.1f"), "decile": number("decile", "%d"),
            "data_coverage": st.column_config.ProgressColumn(column_label("data_coverage"), min_value=0,
                                                             max_value=1, help=column_help("data_coverage")),
            "population": number("population", "%d"),
            "rank_p05": number("rank_p05", "%d"), "rank_p95": number("rank_p95", "%d"),
            "p_top_k": st.column_config.NumberColumn(_("Chance of top {n}").format(n=view.top_n or 10), format="%.2f",
                                                     help=column_help("p_top_k")),
            "cluster": text("cluster"), "quadrant": text("quadrant"), "code": text("code"),  # not text
            "pop_decile": st.column_config.NumberColumn(
                _("pop. decile"), help=_("Population-weighted decile: 1 = the most deprived districts holding the "
                                         "first tenth of the people")),
            **{c: st.column_config.NumberColumn(_("{layer} (people)").format(layer=c[:-6]), format="%d",
                                                help=_("People or households concerned: rate x its denominator"))
               for c in counts},
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
