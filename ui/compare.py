"""Compare two to five districts side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import sidebar, state


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return "no data"
    if isinstance(value, (int, float)):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if not float(value).is_integer() else f"{value:,.0f}"
    return str(value)


def render() -> None:
    view = sidebar.render_sidebar(map_controls=False)
    st.title("Compare districts")
    scored = state.scored_or_error(view)
    if scored is None:
        return
    data, table, result = scored
    options = table.sort_values(["rank", "name"], na_position="last").index.tolist()
    default = [c for c in ([view.selected] if view.selected else []) + options[:2] if c in options][:2]
    default = list(dict.fromkeys(default))
    picked = st.multiselect(
        "Districts (two to five)", options, default=default, max_selections=5, key=f"cmp_{view.level}",
        format_func=lambda c: f"{table.at[c, 'name']} ({c}), rank {table.at[c, 'rank']}",
    )
    if len(picked) < 2:
        st.info("Pick at least two districts.")
        return
    head = table.loc[picked, ["name", "parent_name", "population", "score", "rank", "decile", "data_coverage"]]
    layer_rows = {}
    for layer in data.layers:
        if layer.id in result.normalised.columns:
            layer_rows[f"{layer.label} ({layer.unit})"] = data.values.loc[picked, layer.id]
    frame = pd.concat([head.T, pd.DataFrame(layer_rows).T]).map(_fmt)
    frame.columns = [f"{table.at[c, 'name']} ({c})" for c in picked]
    st.dataframe(frame, width="stretch", height=min(900, 40 + 35 * len(frame)))
    st.caption("Contribution of each layer to each district's score (points)")
    labels = {l.id: l.label for l in data.layers}
    contrib = result.contributions.loc[picked].rename(columns=labels).T.fillna(0.0)
    contrib.columns = frame.columns
    st.bar_chart(contrib, horizontal=True, height=max(300, 28 * len(contrib)), stack=False)


render()
