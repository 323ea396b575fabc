"""Dashboard speed in a real browser: payload per level, time to first map, time from a weight change
to the updated map (median of several runs).

    .venv/bin/python benchmarks/bench_dashboard.py [--repeat 5]

Needs Debian's Chromium (/usr/bin/chromium). Every request that would leave this machine is blocked.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import ARGS, CHROMIUM, block_internet, dashboard, map_frame  # noqa: E402


def payload_bytes(level: str) -> int:
    """Size of the map HTML the browser receives for a level (default view)."""
    from ui import state
    from ui.mapview import build_map

    view = state.default_view(level)
    data, table, result = state.scored(view)
    keep = state.filter_mask(data, table, view)
    return len(build_map(view, data, table, result, keep).get_root().render().encode())


def restyle_bytes(level: str) -> int:
    """Size of what a weight change sends: the colours, tooltips, legend and outlines."""
    from ui import state
    from ui.mapview import map_parts

    view = state.default_view(level)
    data, table, result = state.scored(view)
    keep = state.filter_mask(data, table, view)
    from streamlit_folium import _get_feature_group_string  # what st_folium sends for the group

    base, group = map_parts(view, data, table, result, keep)
    base.get_root().render()
    return len(_get_feature_group_string(group, map=base, idx=0).encode())


def first_map_and_update(url: str, level: str, repeat: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    first, update = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(repeat):
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            block_internet(page, [])
            t0 = time.perf_counter()
            page.goto(f"{url}/?level={level}")
            map_frame(page, timeout=180)
            first.append(time.perf_counter() - t0)
            page.get_by_text("Weights").first.click()
            slider = page.get_by_role("slider", name="Theme: Infrastructure and economic base")
            slider.focus()
            page.wait_for_timeout(2000)  # let the first render settle
            frame = map_frame(page, timeout=120)
            before = frame.evaluate("() => [(PK.districts.__marker = Math.random()), PK.restyled]")
            t0 = time.perf_counter()
            slider.press("ArrowLeft")
            # done when the mounted map is re-coloured (or, had it been rebuilt, a new layer is drawn)
            deadline = time.time() + 120
            while time.time() < deadline:
                try:
                    f = map_frame(page, timeout=120)
                    if f.evaluate("() => [PK.districts.__marker, PK.restyled]") != before:
                        break
                except Exception:  # the old frame went away mid-check
                    pass
                time.sleep(0.02)
            update.append(time.perf_counter() - t0)
            page.close()
        browser.close()
    return first, update


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--generated", type=int, metavar="N",
                        help="measure N generated districts instead of the default data")
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "pockets-bench")
    args = parser.parse_args()
    env, levels = None, ("provinces", "communes")
    if args.generated:
        config = generated_config(args.generated, args.cache_dir)
        os.environ["POCKETS_CONFIG"] = str(config)
        env, levels = {"POCKETS_CONFIG": str(config)}, ("districts",)
    rows = []
    with dashboard(env=env) as url:
        for level in levels:
            size, restyle = payload_bytes(level), restyle_bytes(level)
            first, update = first_map_and_update(url, level, args.repeat)
            rows.append((level, size, restyle, statistics.median(first), statistics.median(update)))
    print("| level | map payload | sent on a weight change | first map (median) | weight change -> new map (median) |")
    print("|---|---:|---:|---:|---:|")
    for level, size, restyle, first, update in rows:
        print(f"| {level} | {size / 1e6:.2f} MB | {restyle / 1e6:.2f} MB | {first:.2f} s | {update:.2f} s |")


if __name__ == "__main__":
    main()
