"""The sidebar shared by the pages: level, layers, weights, method, filters, map.

The view is kept in three places that stay in step: the widgets, a copy in
``st.session_state["view"]`` (so it survives a change of page), and the URL
query parameters (so a copied link restores it).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.config import SCHEMES
from geo.scoring import AGGREGATIONS, MISSING_POLICIES, NORMALISATIONS
from geo.i18n import DEFAULT_LANGUAGE, N_, _, layer_label, set_language
from ui import lang as language
from ui import state
from ui.state import AREAS, View
from ui.text import plain

VIEW_KEY = "view"
NORMALISATION_LABELS = {"minmax": N_("min-max (0-100)"), "zscore": N_("z-score"), "rank": N_("percentile rank")}
MISSING_LABELS = {"renormalise": N_("use available layers (renormalise weights)"),
                  "exclude": N_("exclude incomplete districts")}
SCHEME_LABELS = {"quantiles": N_("quantiles"), "fisher_jenks": N_("natural breaks (Fisher-Jenks)"),
                 "equal_interval": N_("equal interval")}
AGGREGATION_LABELS = {"arithmetic": N_("arithmetic"), "geometric": N_("geometric")}

WEIGHTS_OPEN = "w_open_weights"  # the Weights box is open: its sliders are drawn



def current_view() -> View:
    """The view of this session: from the URL on first load, then from the widgets."""
    return state.session_view(VIEW_KEY)


def set_view(view: View) -> None:
    """Store a view and mirror it in the URL."""
    st.session_state[VIEW_KEY] = view
    st.query_params.from_dict(state.view_to_query(view))


def select(code: str | None) -> None:
    """Make ``code`` the selected district (``None`` clears it)."""
    set_view(current_view().replace(selected=code or ""))


def _reset() -> None:
    for key in [k for k in st.session_state if str(k).startswith("w_")]:
        del st.session_state[key]
    keep = current_view().lang  # the language is not a setting to reset
    st.session_state[VIEW_KEY] = state.default_view().replace(lang=keep)
    st.query_params.from_dict({} if keep == DEFAULT_LANGUAGE else {"lang": keep})


PAGE_KEY = "_sidebar_page"
REOPEN_KEY = "_sidebar_reopen"  # set by a page that closed the sidebar (workshop mode): reopen it on the next page


def _init(key: str, value) -> None:
    """Give widget ``key`` the view's value when it has none, or on the first run of a page.

    Streamlit gives the widgets of each page their own identity, so after a change of page the
    browser may hand back an empty value for the sidebar's widgets (the multiselect of layers then
    read "Choose options" while the score still used every layer). The stored view is the truth:
    on a page's first run every sidebar widget is set from it.
    """
    if key not in st.session_state or st.session_state.get(PAGE_KEY + "_fresh"):
        st.session_state[key] = value


def _page_changed() -> bool:
    """Whether this run is the first of the current page (and remember the page)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    page = ctx.page_script_hash if ctx is not None else ""
    changed = st.session_state.get(PAGE_KEY) != page
    st.session_state[PAGE_KEY] = page
    if changed and st.session_state.pop(REOPEN_KEY, False):
        st.set_page_config(initial_sidebar_state="expanded")
    return changed


def add_to_score(layer_id: str) -> None:
    """Put layer ``layer_id`` (e.g. one just uploaded) in the score of the current view.

    The sidebar's layer list is set again from the view on the next page, so the layer is chosen
    there too, with weight 1.
    """
    view = current_view()
    if layer_id not in view.layers:
        set_view(view.replace(layers=view.layers + (layer_id,)))
    st.session_state.pop("w_layers", None)


def remove_from_score(layer_id: str) -> None:
    """Take layer ``layer_id`` out of the current view's score (e.g. an uploaded layer removed)."""
    view = current_view()
    if layer_id in view.layers and len(view.layers) > 1:
        set_view(view.replace(layers=tuple(l for l in view.layers if l != layer_id)))
    st.session_state.pop("w_layers", None)


def render_sidebar(*, map_controls: bool = True) -> View:
    """Draw the sidebar and return the view it defines."""
    cfg = state.config()
    st.session_state[PAGE_KEY + "_fresh"] = _page_changed()
    sb = st.sidebar
    set_language(language.switch(sb))  # first: the link's warnings below are in the chosen language
    view = current_view()
    levels = list(cfg.levels)
    _init("w_level", view.level)
    level = sb.radio(_("Admin level"), levels, key="w_level", format_func={lv: _(cfg.levels[lv].label) for lv in levels}.get)
    data = state.session_level(level)
    layer_ids = [l.id for l in data.layers]
    labels = {l.id: layer_label(l) for l in data.layers}

    _init("w_layers", [l for l in view.layers if l in layer_ids] or layer_ids)
    chosen = sb.multiselect(_("Layers in the score"), layer_ids, key="w_layers", format_func=labels.get)
    weights, theme_weights = dict(view.weights), dict(view.theme_weights)
    # The sliders exist only while the box is open (they were a sixth of the page's drawing in the
    # browser); closed, the weights stay those of the view.
    with sb.expander(_("Weights"), expanded=False, key=WEIGHTS_OPEN, on_change="rerun") as box:
        if box.open:
            st.caption(_("Raw weights; they are rescaled to sum to 1 within each theme, and themes to sum to 1."))
            for theme_id in sorted({l.theme for l in data.layers if l.id in chosen}):
                theme = cfg.themes.get(theme_id)
                if theme is not None and not theme.scored:
                    st.caption(_("{theme}: shown, not scored (role context).").format(theme=plain(_(theme.label))))
                    continue
                key = f"w_theme_{theme_id}"
                _init(key, float(theme_weights.get(theme_id, 1.0)))
                theme_weights[theme_id] = st.slider(_("Theme: {label}").format(label=plain(_(cfg.theme_label(theme_id)))), 0.0, 5.0,
                                                     step=0.5, key=key,
                                                     help=plain(_(theme.description)) if theme and theme.description else None)
                for layer in data.layers:
                    if layer.theme == theme_id and layer.id in chosen:
                        key = f"w_weight_{layer.id}"
                        _init(key, float(weights.get(layer.id, 1.0)))
                        weights[layer.id] = st.slider(f"· {plain(labels[layer.id])}", 0.0, 5.0, step=0.5, key=key)
    with sb.expander(_("Method"), expanded=False):
        _init("w_normalisation", view.normalisation)
        _init("w_aggregation", view.aggregation)
        _init("w_missing", view.missing)
        normalisation = st.selectbox(_("Normalisation"), NORMALISATIONS, key="w_normalisation",
                                     format_func={v: _(NORMALISATION_LABELS.get(v, v)) for v in NORMALISATIONS}.get)
        aggregation = st.selectbox(_("Aggregation"), AGGREGATIONS, key="w_aggregation",
                                   format_func={v: _(AGGREGATION_LABELS.get(v, v)) for v in AGGREGATIONS}.get)
        missing = st.selectbox(_("Missing data"), MISSING_POLICIES, key="w_missing",
                               format_func={v: _(MISSING_LABELS.get(v, v)) for v in MISSING_POLICIES}.get)
        if aggregation == "geometric" and normalisation == "zscore":
            st.error(_("Geometric aggregation needs positive values: z-scores are not. Using min-max instead."))
            normalisation = "minmax"
    with sb.expander(_("Filters"), expanded=False):
        region, area, min_pop = _filters(level, data, view)
    map_layer, scheme, classes, top_n = view.map_layer, view.scheme, view.classes, view.top_n
    if map_controls:
        with sb.expander(_("Map"), expanded=True):
            options = (["score"] + [f"theme_{t}" for t in sorted({l.theme for l in data.layers if l.id in chosen})]
                       + ["cluster", "hotspot", "quadrant"] + chosen)
            names = {"score": _("Composite need score"),
                     **{f"theme_{t}": _("Theme: {label}").format(label=_(cfg.theme_label(t))) for t in cfg.themes},
                     "cluster": _("Pockets (LISA clusters)"),
                     "hotspot": _("Hot and cold spots (Gi*)"), "quadrant": _("Need x readiness"), **labels}
            _init("w_map_layer", view.map_layer if view.map_layer in options else "score")
            if st.session_state["w_map_layer"] not in options:
                st.session_state["w_map_layer"] = "score"
            map_layer = st.selectbox(_("Map shows"), options, key="w_map_layer", format_func=names.get)
            _init("w_scheme", view.scheme)
            scheme = st.selectbox(_("Classes"), SCHEMES, key="w_scheme",
                                  format_func={v: _(SCHEME_LABELS.get(v, v)) for v in SCHEMES}.get)
            _init("w_classes", view.classes)
            classes = st.slider(_("Number of classes"), 2, 9, key="w_classes")
            _init("w_top_n", view.top_n)
            top_n = st.slider(_("Highlight the top N"), 0, 50, key="w_top_n")
    sb.button(_("Reset to defaults"), on_click=_reset, width="stretch", key="reset_view")

    selected = view.selected if level == view.level else ""
    new = view.replace(
        level=level, layers=tuple(chosen) or tuple(layer_ids), weights=weights, theme_weights=theme_weights,
        normalisation=normalisation, aggregation=aggregation, missing=missing, map_layer=map_layer,
        scheme=scheme, classes=classes, region=region, area=area, min_population=min_pop, top_n=top_n,
        selected=selected,
    )
    if new != view or dict(st.query_params) != state.view_to_query(new):
        set_view(new)
    return new


def _filters(level: str, data, view: View) -> tuple[str, str, int]:
    d = data.districts
    column = "region_code" if "region_code" in d.columns else "parent_code"
    regions = d[column].dropna().astype(str)
    names = _region_names()
    options = [""] + sorted(set(regions.dropna()))
    _init("w_region", view.region if view.region in options else "")
    if st.session_state["w_region"] not in options:
        st.session_state["w_region"] = ""
    region = st.selectbox(_("Region"), options, key="w_region",
                          format_func={c: _("all regions") if not c else f"{names.get(c, c)} ({c})" for c in options}.get)
    area = "all"
    if "type" in d.columns and set(d["type"].dropna().astype(str)) >= {"urban", "rural"}:
        _init("w_area", view.area)
        area = st.radio(_("Urban / rural"), AREAS, key="w_area", horizontal=True,
                        format_func={a: _(a) for a in AREAS}.get)
    _init("w_min_population", int(view.min_population))
    min_pop = int(st.number_input(_("Minimum population"), min_value=0, step=1000, key="w_min_population"))
    st.caption(_("Filters choose what is shown and exported; scores and ranks stay national."))
    return region, area, min_pop


def _region_names() -> dict[str, str]:
    """Code -> name of the top level's districts (e.g. regions), for the region filter."""
    cfg = state.config()
    top = [lv.name for lv in cfg.levels.values() if lv.parent_level is None]
    if not top:
        return {}
    d = state.level_data(top[0]).districts
    arabic = d["name_ar"] if "name_ar" in d.columns else pd.Series(None, index=d.index, dtype=object)
    return {str(c): language.both_scripts(n, a) for c, n, a in zip(d.index, d["name"].astype(str), arabic)}
