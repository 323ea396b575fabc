"""A page with only the live map, for the browser tests: ``streamlit run map_only.py``.

The six districts of ``tests/data/own_data`` (one name written like an HTML payload), or with
``?generated=N`` N generated Voronoi cells (seeded; they measure drawing only and are never
shown as data); ``?points=N`` adds N generated points over the districts (seeded, a tenth of them
at repeated places; they measure the clustered overlay only). A slider "weight" changes every
score, so a move re-colours the map; the page prints how many times it ran and the last district
chosen on the map.
The project root comes from ``POCKETS_ROOT`` (default: two folders up).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(os.environ.get("POCKETS_ROOT", Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
import streamlit as st  # noqa: E402

from geo.classify import map_classes  # noqa: E402
from ui import maps  # noqa: E402
from ui.livemap import live_map  # noqa: E402

st.set_page_config(page_title="Map only", layout="wide")


@st.cache_data
def _own() -> tuple[gpd.GeoSeries, pd.DataFrame]:
    shapes = gpd.read_file(ROOT / "tests" / "data" / "own_data" / "districts.geojson").set_index("DIST_ID")
    table = pd.DataFrame({"name": shapes["DIST_NAME"], "a": [12.0, 25.0, None, 47.0, 58.0, 71.0],
                          "b": [60.0, 10.0, None, 30.0, 20.0, 5.0]}, index=shapes.index)
    table.loc["002", "name"] = "<img src=x onerror=alert(1)>"
    return shapes.geometry, table


@st.cache_data
def _generated(n: int) -> tuple[gpd.GeoSeries, pd.DataFrame]:
    rng = np.random.default_rng(0)
    extent = shapely.box(-13.2, 27.7, -1.0, 35.9)
    points = shapely.points(rng.uniform(-13.2, -1.0, n), rng.uniform(27.7, 35.9, n))
    cells = shapely.intersection(np.asarray(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=extent).geoms),
                                 extent)
    codes = [f"G{i:05d}" for i in range(len(cells))]
    table = pd.DataFrame({"name": [f"Cell {c}" for c in codes], "a": rng.uniform(0, 100, len(codes)),
                          "b": rng.uniform(0, 100, len(codes))}, index=codes)
    return gpd.GeoSeries(cells, index=codes, crs=4326), table


@st.cache_resource
def _geometry(n: int) -> tuple[dict, str]:
    shapes, table = _generated(n) if n else _own()
    geometry = maps.level_geometry(shapes, table["name"])
    return geometry, maps.static_url("maps", maps.geometry_file(geometry))


@st.cache_resource
def _points(n: int, count: int) -> str:
    shapes, _table = _generated(n) if n else _own()
    west, south, east, north = shapes.total_bounds
    rng = np.random.default_rng(1)
    lonlat = np.column_stack([rng.uniform(west, east, count), rng.uniform(south, north, count)])
    lonlat[: count // 10] = lonlat[count // 10 : 2 * (count // 10)]  # repeated places
    payload = maps.map_points([{"label": "Generated points", "lonlat": lonlat, "rows": count}])
    return maps.static_url("maps", maps.points_file(payload))


n = int(st.query_params.get("generated", "0"))
n_points = int(st.query_params.get("points", "0"))
st.session_state["runs"] = st.session_state.get("runs", 0) + 1
shapes, table = _generated(n) if n else _own()
geometry, url = _geometry(n)
weight = st.slider("weight", 0.0, 1.0, 0.5, step=0.05, key="weight")
scored = table.assign(score=weight * table["a"] + (1 - weight) * table["b"])
scored["rank"] = scored["score"].rank(ascending=False, method="min")
top = list(scored.sort_values("rank").index[:3])
chosen = st.session_state.get("chosen")
style = maps.map_style(geometry["codes"], scored, map_classes(scored["score"], k=3 if not n else 5),
                       column="score", label="Need <script>alert(2)</script>", top=top, selected=chosen)
code = live_map(url, style, key="pkmap", height=420, points=_points(n, n_points) if n_points else None)
if code:
    st.session_state["chosen"] = code
    st.rerun()
st.write(f"runs: {st.session_state['runs']}")
st.write(f"clicked: {chosen or 'none'}")
