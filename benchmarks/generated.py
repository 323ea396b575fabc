"""Generated districts for the benchmarks: Voronoi cells over Morocco's extent with four random layers.

The values are random (seeded): these data sets only measure speed and are never shown as data.
Shared by ``bench_dashboard.py`` and ``bench_analysis.py``.

    .venv/bin/python benchmarks/generated.py 10000 50000     # writes them (once) and prints their configs
"""

from __future__ import annotations

import sys
from pathlib import Path

CACHE = Path.home() / ".cache" / "pockets-bench"


def generated_config(n: int, cache: Path) -> Path:
    """A configuration of ``n`` generated Voronoi districts over Morocco's extent, with four layers.

    The values are random (seeded): this dataset only measures speed and is never shown as data.
    """
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    folder = cache / f"districts_{n}"
    config = folder / "config.toml"
    if config.exists():
        return config
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    extent = shapely.box(-13.2, 27.7, -1.0, 35.9)
    points = shapely.points(rng.uniform(-13.2, -1.0, n), rng.uniform(27.7, 35.9, n))
    cells = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=extent)
    cells = shapely.intersection(np.asarray(cells.geoms), extent)
    codes = [f"G{i:05d}" for i in range(len(cells))]
    gpd.GeoDataFrame({"code": codes, "name": [f"District {c}" for c in codes]}, geometry=cells,
                     crs=4326).to_file(folder / "districts.gpkg", layer="districts", engine="pyogrio")
    values = pd.DataFrame({"code": codes, "people": rng.integers(1_000, 200_000, len(codes))})
    for col in ("a", "b", "c", "d"):
        values[col] = rng.uniform(0, 100, len(codes)).round(1)
    values.to_csv(folder / "values.csv", index=False)
    layers = "".join(f"""
[[layers.custom]]
id = "{col}"
label = "Generated {col}"
theme = "{theme}"
unit = "%"
higher_is_worse = true
kind = "rate"
table = "values"
column = "{col}"
source = "generated for the benchmark"
year = 2024
licence = "none"
""" for col, theme in zip("abcd", ("poverty", "unemployment", "displacement", "infrastructure")))
    config.write_text(f"""title = "Benchmark: {n} generated districts"
[levels.districts]
label = "Districts"
path = "districts.gpkg"
layer = "districts"
id = "code"
name = "name"

[tables.values]
path = "values.csv"
key = "code"
level = "districts"

[population]
table = "values"
column = "people"
{layers}""", encoding="utf-8")
    return config


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(generated_config(int(arg), CACHE))
