"""Quick benchmark of the map's wire format, run with the tests (``make test``).

10,000 generated Voronoi cells (seeded; they measure sizes and speed only, never shown as data).
Each figure is a ratio to a baseline measured in the same run, never an absolute time, and fails
only when it regresses by more than 2x from the ratio recorded here:

- bytes a weight change sends (the numbers of :func:`ui.maps.map_style`) / bytes of the geometry
  sent once (:func:`ui.maps.level_geometry`);
- time to build those numbers / time to build the geometry (best of interleaved rounds).

Full measurements in the browser: ``benchmarks/bench_dashboard.py``.
"""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.classify import map_classes
from ui import maps

pytestmark = pytest.mark.quick
# Ratios measured on 2026-12-01 (2 cores): 0.144 (bytes) and 0.15 (time).
BYTES_RATIO = 0.15
TIME_RATIO = 0.16


@pytest.fixture(scope="module")
def cells():
    rng = np.random.default_rng(0)
    extent = shapely.box(-13.2, 27.7, -1.0, 35.9)
    points = shapely.points(rng.uniform(-13.2, -1.0, 10_000), rng.uniform(27.7, 35.9, 10_000))
    polys = shapely.intersection(np.asarray(shapely.voronoi_polygons(shapely.multipoints(points),
                                                                     extend_to=extent).geoms), extent)
    codes = [f"G{i:05d}" for i in range(len(polys))]
    shapes = gpd.GeoSeries(polys, index=codes, crs=4326)
    table = pd.DataFrame({"name": [f"Cell {c}" for c in codes], "score": rng.uniform(0, 100, len(codes))},
                         index=codes)
    table["rank"] = table["score"].rank(ascending=False, method="min")
    contrib = pd.DataFrame(rng.uniform(0, 5, (len(codes), 17)), index=codes, columns=[f"l{i}" for i in range(17)])
    return shapes, table, contrib


def _style(geometry, table, contrib):
    return maps.map_style(geometry["codes"], table, map_classes(table["score"]), column="score", label="Score",
                          top=table.sort_values("rank").index[:10], contributions=contrib)


def test_a_weight_change_sends_a_small_share_of_the_first_map(cells):
    shapes, table, contrib = cells
    geometry = maps.level_geometry(shapes, table["name"])
    ratio = len(maps._js(_style(geometry, table, contrib))) / len(maps._js(geometry))
    assert ratio < 2 * BYTES_RATIO, f"a weight change sends {ratio:.3f} of the geometry's bytes"


def test_building_the_numbers_is_cheap_against_the_geometry(cells):
    shapes, table, contrib = cells
    geometry_times, style_times = [], []
    for _ in range(3):  # interleaved rounds, best of each
        t0 = time.perf_counter()
        geometry = maps.level_geometry(shapes, table["name"])
        geometry_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        _style(geometry, table, contrib)
        style_times.append(time.perf_counter() - t0)
    ratio = min(style_times) / min(geometry_times)
    assert ratio < 2 * TIME_RATIO, f"the numbers take {ratio:.3f} of the geometry's time"
