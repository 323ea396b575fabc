"""Map & ranking: the composite score of every district, mapped and ranked."""

from __future__ import annotations

import json

import mapclassify
import pandas as pd
import pydeck as pdk
import shapely
import streamlit as st

from geo.dataset import ranked_table, score_level
from geo.errors import TargetingError
from ui import state

# ColorBrewer YlOrRd, 9 classes (sequential, colour-blind safe); grey = no data.
YLORRD = [(255, 255, 204), (255, 237, 160), (254, 217, 118), (254, 178, 76), (253, 141, 60),
          (252, 78, 42), (227, 26, 28), (189, 0, 38), (128, 0, 38)]
NO_DATA = (200, 200, 200)
# A basemap style with no tiles: the map needs no tile server and makes no request.
BLANK_STYLE = "data:application/json," + json.dumps(
    {"version": 8, "sources": {}, "layers": [{"id": "bg", "type": "background",
                                               "paint": {"background-color": "#eef2f5"}}]}
)


def _colour(cls: int, k: int) -> tuple[int, int, int]:
    """Colour of class ``cls`` (0-based) out of ``k``, spread over the palette."""
    return YLORRD[round(cls * (len(YLORRD) - 1) / max(1, k - 1))]


def _classes(scores: pd.Series, k: int) -> tuple[pd.Series, list[str]]:
    valid = scores.dropna()
    k = max(2, min(k, valid.nunique()))
    cls = mapclassify.Quantiles(valid.to_numpy(), k=k)
    bins = pd.Series(cls.yb, index=valid.index).reindex(scores.index)
    lows = [valid.min()] + list(cls.bins[:-1])
    labels = [f"{lo:.1f} – {hi:.1f}" for lo, hi in zip(lows, cls.bins)]
    return bins, labels


def _geojson(table: pd.DataFrame, shapes, bins: pd.Series, k: int, total: int) -> dict:
    features = []
    for code, row in table.iterrows():
        b = bins.get(code)
        colour = NO_DATA if pd.isna(b) else _colour(int(b), k)
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(shapes[code])),
                "properties": {
                    "name": str(row["name"]),
                    "rank": "no rank" if pd.isna(row["rank"]) else f"{int(row['rank'])} of {total}",
                    "score": "no data" if pd.isna(row["score"]) else f"{row['score']:.1f}",
                    "fill": list(colour) + [210],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def render() -> None:
    cfg = state.config()
    st.title(cfg.title)
    levels = list(cfg.levels)
    level = st.radio(
        "Admin level", levels, index=levels.index(cfg.display.default_level),
        format_func=lambda lv: cfg.levels[lv].label, horizontal=True,
    )
    try:
        data = state.level_data(level)
        result = score_level(data, weights=cfg.weights, theme_weights=cfg.theme_weights, method=cfg.method)
    except TargetingError as exc:
        st.error(str(exc))
        return
    table = pd.DataFrame(ranked_table(data, result).drop(columns="geometry")).set_index("code", drop=False)
    ranked = int(table["rank"].notna().sum())
    bins, labels = _classes(table["score"], cfg.display.classes)

    st.caption(
        f"Composite need score, 0-100 (higher = more in need): {len(data.layers)} layers in 4 themes, "
        f"{cfg.method.normalisation} normalisation, {cfg.method.aggregation} aggregation, equal theme weights. "
        "Poverty here is census deprivation (basic needs), not a monetary poverty rate."
    )
    shapes = state.display_shapes(level)
    layer = pdk.Layer(
        "GeoJsonLayer", _geojson(table, shapes, bins, len(labels), ranked), pickable=True, stroked=True, filled=True,
        get_fill_color="properties.fill", get_line_color=[80, 80, 80], line_width_min_pixels=0.5,
    )
    minx, miny, maxx, maxy = shapes.total_bounds
    view = pdk.ViewState(longitude=(minx + maxx) / 2, latitude=(miny + maxy) / 2, zoom=4.3)
    deck = pdk.Deck(layers=[layer], initial_view_state=view, map_provider=None, map_style=BLANK_STYLE,
                    tooltip={"text": "{name}\nRank {rank}\nScore {score}"})
    col_map, col_legend = st.columns([5, 1])
    with col_map:
        st.pydeck_chart(deck, height=560)
    with col_legend:
        st.markdown("**Need score**")
        for i, lab in enumerate(labels):
            r, g, b = _colour(i, len(labels))
            st.markdown(
                f"<span style='display:inline-block;width:14px;height:14px;background:rgb({r},{g},{b});"
                f"border:1px solid #555'></span> {lab}", unsafe_allow_html=True,
            )
        r, g, b = NO_DATA
        st.markdown(f"<span style='display:inline-block;width:14px;height:14px;background:rgb({r},{g},{b});"
                    "border:1px solid #555'></span> no data", unsafe_allow_html=True)

    st.subheader(f"Ranking of {len(table)} {cfg.levels[level].label.lower()}")
    show = ["rank", "name", "parent_name", "population", "score", "decile", "data_coverage"]
    st.dataframe(
        table[show], hide_index=True, use_container_width=True,
        column_config={
            "score": st.column_config.NumberColumn("score", format="%.1f"),
            "data_coverage": st.column_config.ProgressColumn("data coverage", min_value=0, max_value=1),
            "population": st.column_config.NumberColumn("population", format="%d"),
        },
    )
    if len(result.unscored):
        st.warning(f"{len(result.unscored)} district(s) not scored: " +
                   "; ".join(f"{c}: {r}" for c, r in result.unscored["reason"].items()))
    with st.expander("How this level was assembled (join reports)"):
        st.text("\n".join(data.report_lines() + result.notes))
        unmatched = state.reports_frame(data)
        if len(unmatched):
            st.dataframe(unmatched, hide_index=True)


render()
