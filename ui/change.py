"""Change over time: each layer between two census vintages, and the districts left behind."""

from __future__ import annotations

import streamlit as st

from geo.change import change_export, change_metadata, status_classes
from geo.classify import category_classes, map_classes
from geo.errors import TargetingError
from geo.i18n import N_, _, layer_label
from geo.labels import column_labels
from ui import lang, maps, mapview, sidebar, state
from ui.exports import MIME, table_bytes
from ui.livemap import live_map
from ui.profile import render_profile
from ui.text import plain

STATUS = "status"
MEASURES = {
    "vs_national": N_("Gap to the country widened by (positive = fell further behind)"),
    "change": N_("Change"),
    "gap": N_("Gap to the country (positive = worse than the country)"),
}


def render() -> None:
    view = sidebar.render_sidebar(map_controls=False)
    cfg = state.config()
    st.title(_("Change over time"))
    if cfg.change is None:
        st.info(_("No earlier vintage is configured. Add a [change] section to the configuration, naming a table "
                  "of the earlier year with the same column names (see README, \"Change over time\")."))
        return
    scored = state.scored_or_error(view)
    if scored is None:
        return
    data, table, _result = scored
    keep = state.filter_mask(data, table, view)
    before, after = cfg.change.labels

    c1, c2 = st.columns(2)
    try:
        first = state.change(view.level, None, None)
        default = float(max(first.tolerance.values(), default=0.0))
        tolerance = c1.number_input(_("Count a gap as widened above (layer units)"), 0.0, 50.0, default, step=0.1,
                                    key="w_change_tol", help=_("Default: the published precision of the figures "
                                    "({tolerance}); below it a change can be rounding.").format(
                                        tolerance=first.describe_tolerance()))
        n = len(first.layers)
        half = _("half of the layers compared for the district")
        choice = c2.select_slider(_("Left behind: fell further behind on at least"), [half, *range(1, n + 1)],
                                  value=half, key="w_change_min",
                                  help=_("{n} layers compared at most").format(n=n))
        min_layers = None if choice == half else int(choice)
        same = tolerance == default and first.tolerance == first.precision
        result = state.change(view.level, None if same else tolerance, min_layers)
    except TargetingError as exc:
        st.error(plain(exc))
        return

    status = result.table
    left = int(status.loc[keep[keep].index, "left_behind"].sum())
    rule = half if min_layers is None else _("{min_layers} of the {n} layers compared").format(
        min_layers=min_layers, n=n)
    st.markdown(
        _("**{left}** of {shown} districts shown fell further behind the country on at least "
          "{rule} between {before} and {after}: worse than the country in {after}, and the gap "
          "widened by more than the tolerance ({tolerance}).").format(
            left=int(left), shown=int(keep.sum()), rule=plain(rule), before=plain(before), after=plain(after),
            tolerance=plain(result.describe_tolerance()))
    )
    labels = {l.id: layer_label(l) for l in result.layers}
    options = [STATUS] + list(labels)
    shown_layer = st.selectbox(_("Map shows"), options, key="w_change_layer",
                               format_func={STATUS: _("Left behind (all layers)"), **labels}.get)
    measure = "vs_national"
    if shown_layer != STATUS:
        measure = st.radio(_("Measure"), list(MEASURES), format_func={m: _(t) for m, t in MEASURES.items()}.get, horizontal=True,
                           key="w_change_measure")
    _map(view, data, table, result, keep, shown_layer, measure)
    _national(result, labels)
    _left_behind(data, result, keep, labels)
    with st.expander(_("How {before} was joined, and layers not compared").format(before=plain(before))):
        for line in result.report:
            st.markdown(f"- {plain(line)}")
        for lid, why in result.skipped.items():
            layer = next((l for l in data.layers if l.id == lid), None)
            st.markdown(_("- not compared: **{layer}**: {why}").format(
                layer=plain(layer_label(layer) if layer else lid), why=plain(why)))
    if view.selected:
        render_profile(data, table, scored[2], view.selected)


def _map(view, data, table, result, keep, shown_layer: str, measure: str) -> None:
    codes = keep[keep].index
    shown = table.loc[codes, ["name", "rank", "score"]].copy()
    status = result.table.reindex(codes)
    before, after = result.labels
    if shown_layer == STATUS:
        shown[STATUS], colours = status_classes(status, result.min_layers)
        label = _("Fell further behind, {before} to {after}").format(before=before, after=after)
        column, classes = STATUS, category_classes(shown[STATUS], colours)
    else:
        column = f"{shown_layer}_{measure}"
        shown[column] = status[column]
        layer = next(l for l in result.layers if l.id == shown_layer)
        label = _("{layer}: {measure}, {before} to {after} ({unit})").format(
            layer=layer_label(layer), measure=_(MEASURES[measure]).split(" (")[0].lower(), before=before,
            after=after, unit=_(layer.unit))
        classes = map_classes(shown[column], scheme=view.scheme, k=view.classes, palette="OrRd")
    geometry, geometry_url = mapview.level_map(view.level)
    style = maps.map_style(geometry["codes"], shown, classes, column=column, label=label, shown=keep,
                           selected=view.selected or None)
    style["text"] = mapview.client_text()  # the search box and tooltips in the page's language
    code = live_map(geometry_url, style, key=f"change_map_{view.level}", height=520)
    if code and code != view.selected:
        sidebar.select(code)
        st.rerun()


def _national(result, labels) -> None:
    before, after = result.labels
    nat = result.national.rename(index=labels).rename(columns={"before": before, "after": after})
    with st.expander(_("National figures"), expanded=False):
        st.dataframe(nat, width="stretch", column_config={
            c: st.column_config.NumberColumn(format="%.1f") for c in nat.columns})


def _left_behind(data, result, keep, labels) -> None:
    st.subheader(_("Districts left behind"))
    frame = change_export(data, result)
    frame = frame[frame["code"].isin(keep[keep].index)]
    lagging = frame[frame["left_behind"]]
    cols = ["code", "name", "parent_name", "population", "behind_on", "layers_compared"]
    gaps = {f"{lid}_vs_national": label for lid, label in labels.items()}
    st.dataframe(lagging[cols + list(gaps)].rename(columns=gaps), hide_index=True, width="stretch",
                 column_config=lang.headers(cols, config={
                     "population": st.column_config.NumberColumn(format="%d"),
                     **{g: st.column_config.NumberColumn(format="%+.1f") for g in gaps.values()}}))
    st.caption(_("Per layer: how much the gap to the country widened (positive) or narrowed (negative), in the "
                 "layer's unit, read in its direction of need."))
    meta = change_metadata(data, result)
    before, after = result.labels
    c1, c2 = st.columns(2)
    for col, suffix, what in ((c1, ".csv", "CSV"), (c2, ".xlsx", _("Excel"))):
        col.download_button(_("⬇ Change table, every district shown ({format})").format(format=what), table_bytes(frame, suffix, meta, column_labels(frame.columns, data.layers, themes=state.theme_labels())),
                            f"change_{data.level}_{before}_{after}{suffix}", MIME[suffix],
                            key=f"dl_change{suffix}", on_click="ignore")


render()
