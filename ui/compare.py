"""Compare two to five districts side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.i18n import _, district_name, format_number, label_with_unit, layer_label
from geo.labels import column_labels
from ui import sidebar, state


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return _("no data")
    if isinstance(value, (int, float)):
        return format_number(value, 0) if float(value).is_integer() else format_number(round(value, 2), None)
    return str(value)


def _name(data, table, code: str) -> str:
    """The district's name in both scripts when the boundary file has its Arabic name."""
    arabic = data.districts["name_ar"].get(code) if "name_ar" in data.districts.columns else None
    return district_name(table.at[code, "name"], arabic)


def render() -> None:
    view = sidebar.render_sidebar(map_controls=False)
    st.title(_("Compare districts"))
    scored = state.scored_or_error(view)
    if scored is None:
        return
    data, table, result = scored
    options = table.sort_values(["rank", "name"], na_position="last").index.tolist()
    default = [c for c in ([view.selected] if view.selected else []) + options[:2] if c in options][:2]
    default = list(dict.fromkeys(default))
    picked = st.multiselect(
        _("Districts (two to five)"), options, default=default, max_selections=5, key=f"cmp_{view.level}",
        format_func={c: _("{name} ({code}), rank {rank}").format(
            name=_name(data, table, c), code=c, rank=table.at[c, "rank"]) for c in options}.get,
    )
    if len(picked) < 2:
        st.info(_("Pick at least two districts."))
        return
    head = table.loc[picked, ["name", "parent_name", "population", "score", "rank", "decile", "data_coverage"]]
    layer_rows = {}
    for layer in data.layers:
        if layer.id in result.normalised.columns:
            layer_rows[label_with_unit(layer)] = data.values.loc[picked, layer.id]
    head = head.rename(columns=column_labels(head.columns))
    frame = pd.concat([head.T, pd.DataFrame(layer_rows).T]).map(_fmt)
    frame.columns = [f"{_name(data, table, c)} ({c})" for c in picked]
    st.dataframe(frame, width="stretch", height=min(900, 40 + 35 * len(frame)))
    st.caption(_("Contribution of each layer to each district's score (points)"))
    labels = {l.id: layer_label(l) for l in data.layers}
    contrib = result.contributions.loc[picked].rename(columns=labels).T.fillna(0.0)
    contrib.columns = frame.columns
    st.bar_chart(contrib, horizontal=True, height=max(300, 28 * len(contrib)), stack=False)


render()
