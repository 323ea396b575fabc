"""The map's point overlay in headless Chromium: clustered (supercluster) against every point drawn.

Generated points (seeded, uniform over the six districts of ``tests/data/own_data``; they measure
drawing only) are sent to the map client as the dashboard sends them (:func:`ui.maps.map_points`);
the page is opened from disk with every network request blocked. For each size:

- ``clustered``: ``PK.setPoints`` then the first ``PK.drawPoints`` (decoding and indexing the
  points once, then the clusters of the view), and a redraw after a pan and after a zoom;
- ``every point`` (the baseline): one Leaflet ``circleMarker`` per point on a canvas renderer,
  added in one layer group, then the same pan and zoom.

Each time runs until two animation frames have passed, so that the canvas is painted. Medians of
``--repeat`` runs, each in a new page.

Usage::

    .venv/bin/python benchmarks/bench_map_points.py [--points 12000 100000] [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ui import maps  # noqa: E402

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="{leaflet}/leaflet.css"><link rel="stylesheet" href="{client}/pockets-map.css">
<style>html, body {{ margin: 0; height: 100%; }} #map {{ position: absolute; inset: 0; }}</style></head>
<body><div id="map" class="pk-map"></div>
<script src="{leaflet}/leaflet.js"></script><script src="{cluster}"></script>
<script src="{client}/pockets-map.js"></script></body></html>"""

FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"

RUN = """async ([method, geometry, payload]) => {
    const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    PK.create(document.getElementById("map"), {});
    PK.setGeometry(geometry);
    await frames();
    const out = {};
    let t = performance.now();
    if (method === "clustered") {
        PK.setPoints(payload); PK.showPoints = true; PK.drawPoints();
    } else {
        const pts = PK.decode(payload.groups[0].pts); pts.pop();
        const canvas = L.canvas({padding: 0.3}), group = L.layerGroup();
        pts.forEach(p => L.circleMarker([p[1], p[0]], {renderer: canvas, interactive: false, radius: 3.5,
            color: "#fff", weight: 1.2, fillColor: "#1d4f91", fillOpacity: 1}).addTo(group));
        group.addTo(PK.map);
    }
    await frames();
    out.first = performance.now() - t;
    const c = PK.map.getCenter();
    t = performance.now();
    PK.map.panTo([c.lat + 0.3, c.lng + 0.4], {animate: false});
    await frames();
    out.pan = performance.now() - t;
    t = performance.now();
    PK.map.setZoom(PK.map.getZoom() + 2, {animate: false});
    await frames();
    out.zoom = performance.now() - t;
    out.drawn = method === "clustered" ? PK.pointsDrawn.clusters + PK.pointsDrawn.markers : payload.groups[0].n;
    return out;
}"""


def payload(n: int) -> dict:
    rng = np.random.default_rng(1)
    lonlat = np.column_stack([rng.uniform(0, 3, n), rng.uniform(0, 2, n)])
    return maps.map_points([{"label": "Generated points", "lonlat": lonlat, "rows": n}])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, nargs="+", default=[12_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2,000 points, one run")
    args = parser.parse_args(argv)
    sizes, repeat = ([2_000], 1) if args.quick else (args.points, args.repeat)
    if not maps.CLUSTER_FILE.is_file():
        print(f"supercluster is not installed in {maps.CLUSTER_FILE.parent}: run `make assets`", file=sys.stderr)
        return 2
    import geopandas as gpd
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tests"))
    from browser import ARGS, CHROMIUM  # noqa: E402

    shapes = gpd.read_file(ROOT / "tests" / "data" / "own_data" / "districts.geojson").set_index("DIST_ID")
    geometry = maps.level_geometry(shapes.geometry, shapes["DIST_NAME"])
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        page_file = Path(tmp) / "points.html"
        page_file.write_text(PAGE.format(leaflet=maps.LEAFLET_DIR.as_uri(), client=maps.CLIENT_DIR.as_uri(),
                                         cluster=maps.CLUSTER_FILE.as_uri()), encoding="utf-8")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for n in sizes:
            data = payload(n)
            size_kb = len(json.dumps(data)) / 1024
            for method in ("clustered", "every point"):
                runs = []
                for _ in range(repeat):
                    page = browser.new_page(viewport={"width": 1440, "height": 900})
                    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
                    page.goto(page_file.as_uri())
                    runs.append(page.evaluate(RUN, [method, geometry, data]))
                    page.close()
                rows.append((n, method, size_kb, {k: statistics.median(r[k] for r in runs)
                                                   for k in ("first", "pan", "zoom", "drawn")}))
        browser.close()
    print("| points | method | file | first draw | pan | zoom | drawn (clusters + markers) | first draw, ratio |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    base = {n: m for n, method, _kb, m in rows if method == "every point"}
    for n, method, kb, m in rows:
        print(f"| {n:,} | {method} | {kb:,.0f} KB | {m['first']:.0f} ms | {m['pan']:.0f} ms | {m['zoom']:.0f} ms "
              f"| {m['drawn']:,.0f} | {m['first'] / base[n]['first']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
