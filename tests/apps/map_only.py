"""A page with only the map, for the browser tests: ``streamlit run map_only.py``.

Query parameters: ``returned`` (comma-separated ``st_folium`` returned objects, default
``last_active_drawing``) and ``select``: ``map`` outlines the clicked district in the map (which
rebuilds it), ``group`` outlines it in a layer group given to ``feature_group_to_add`` (the map
stays mounted).
The project root comes from ``POCKETS_ROOT`` (default: two folders up).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(os.environ.get("POCKETS_ROOT", Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402
from streamlit_folium import st_folium  # noqa: E402

from ui.maps import choropleth, highlight_group  # noqa: E402

st.set_page_config(page_title="Map only", layout="wide")


@st.cache_data
def _data() -> tuple[gpd.GeoSeries, pd.DataFrame]:
    shapes = gpd.read_file(ROOT / "tests" / "data" / "own_data" / "districts.geojson").set_index("DIST_ID")
    table = pd.DataFrame({"name": shapes["DIST_NAME"], "score": [12.0, 25.0, None, 47.0, 58.0, 71.0]},
                         index=shapes.index)
    table["rank"] = table["score"].rank(ascending=False, method="min")
    table.loc["002", "name"] = "<img src=x onerror=alert(1)>"
    return shapes.geometry, table


returned = st.query_params.get("returned", "last_active_drawing").split(",")
select = st.query_params.get("select", "")
st.session_state["runs"] = st.session_state.get("runs", 0) + 1
before = st.session_state.get("pkmap") or {}  # the map's last value (kept across a rebuilt map)
drawing = before.get("last_active_drawing") if isinstance(before, dict) else None
selected = drawing["properties"]["code"] if select and drawing else None

shapes, table = _data()
top = list(table.sort_values("rank").index[:2])
if select == "group":
    m = choropleth(shapes, table, column="score", column_label="Need score", top=top, highlights=False)
    group = highlight_group(shapes, selected=selected, top=top)
else:
    m = choropleth(shapes, table, column="score", column_label="Need score", selected=selected, top=top)
    group = None
out = st_folium(m, key="pkmap", returned_objects=returned, height=420, use_container_width=True,
                feature_group_to_add=group)
clicked = (out or {}).get("last_active_drawing") or drawing
st.write(f"runs: {st.session_state['runs']}")
st.write(f"clicked: {clicked['properties']['code'] if clicked else 'none'}")
st.code(json.dumps(out, default=str)[:300])
