"""Dashboard speed in a real browser, measured on the wire: what a weight change sends, how long the
new map takes, the cold and warm first map, and a workshop of many browsers opening the same link.

    .venv/bin/python benchmarks/bench_dashboard.py [--repeat 5] [--level communes]
    .venv/bin/python benchmarks/bench_dashboard.py --generated 10000
    .venv/bin/python benchmarks/bench_dashboard.py --sessions 20
    .venv/bin/python benchmarks/bench_dashboard.py --baseline /path/to/other/checkout   # side by side
    .venv/bin/python benchmarks/bench_dashboard.py --client 10000 50000   # the map client alone

Needs Debian's Chromium (/usr/bin/chromium). Every request that would leave this machine is blocked.

- **Bytes**: every websocket frame the browser receives is decoded as a Streamlit ``ForwardMsg``
  and counted by what it carries: the map component, tables (Arrow), anything else; plus the
  bytes of HTTP responses (the geometry file, fetched once per level and browser).
- **Weight change**: every repeat moves a theme weight to a value not seen before (one step
  further each time), so no cached result is measured; "new map" is when the mounted map has
  re-coloured, "outlines" when the second pass (uncertain members of the top) has arrived.
- **First map**: from ``goto`` to a coloured map, on a fresh server (cold: nothing cached), on a
  fresh server after the start-up warm-up that ``geo serve`` runs (``ui/warmup.py``), and on a
  second browser (warm).
- **Sessions**: N browser contexts (N people: no shared cookies or cache) open the same link at
  once on a warm server; each one's time to its coloured map. Before them, N sessions without a
  browser (the websocket protocol alone) open it at once: the server's share, each one's time to
  its map message. After them, N browsers open the smallest Streamlit page (``floor_app.py``, a
  title): the floor that Streamlit and Chromium set on this machine before any of the dashboard.

``--baseline DIR`` runs the same measurements against another checkout (for example the
previous release) in the same run, alternating between the two servers.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.generated import generated_config  # noqa: E402
from tests.browser import ARGS, CHROMIUM, dashboard, message_kind  # noqa: E402

READY = "() => !!(window.PK && PK.districts && PK.restyled)"
FLOOR_READY = "() => !!document.querySelector('h1')"  # benchmarks/floor_app.py has drawn its title
SLIDER = "Theme: Infrastructure and economic base"
# Every request that would leave this machine goes to a closed local port and fails; Chromium never
# sends loopback through a proxy. (The tests intercept every request to record it, which routes each
# one through this script's single thread: with 20 browsers at once that held their pages back by
# seconds, a cost no participant's browser has.)
OFFLINE = [*ARGS, "--proxy-server=http://127.0.0.1:9"]
# In every frame of a page, the first moment its ``ready`` test holds, kept on the top window: read
# once per page and poll (a test in each frame from here, every 0.1 s, was itself a load on the
# browsers of a 20-session run).
MARK_READY = """const ready = (%s);
const poll = setInterval(() => {  // every frame stops once one of them has marked the page
    try {
        if (!window.top.__benchReady && ready()) { window.top.__benchReady = Date.now(); }
        if (window.top.__benchReady) { clearInterval(poll); }
    } catch (e) {}
}, 100);"""


class Wire:
    """Counts the bytes a page receives: websocket frames by kind, HTTP responses by URL."""

    def __init__(self, page) -> None:
        self.frames: list[tuple[float, str, int]] = []
        self.http: list[tuple[float, str, int]] = []
        page.on("websocket", self._socket)
        page.on("requestfinished", self._request)

    def _socket(self, ws) -> None:
        def received(payload) -> None:
            data = payload if isinstance(payload, bytes) else str(payload).encode()
            self.frames.append((time.perf_counter(), message_kind(data), len(data)))

        ws.on("framereceived", received)

    def _request(self, request) -> None:
        try:
            sizes = request.sizes()
            self.http.append((time.perf_counter(), request.url, int(sizes.get("responseBodySize", 0))))
        except Exception:  # the page went away
            pass

    def since(self, t0: float) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for t, kind, n in self.frames:
            if t >= t0:
                out[kind] += n
                out["websocket"] += n
        for t, url, n in self.http:
            if t >= t0:
                out["http"] += n
                if "/geometry-" in url or "/maps/" in url:
                    out["geometry"] += n
        return dict(out)


def _map_frame(page, timeout: float = 300.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for frame in page.frames:
            try:
                if frame.evaluate(READY):
                    return frame
            except Exception:  # frames come and go while Streamlit renders
                pass
        time.sleep(0.05)
    raise TimeoutError("no map appeared")


def _wait(predicate, timeout: float = 120.0) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # the frame is being replaced
            pass
        time.sleep(0.02)
    return False


def first_map(browser, url: str, level: str) -> tuple[float, dict, object, object]:
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    wire = Wire(page)
    t0 = time.perf_counter()
    page.goto(f"{url}/?level={level}")
    frame = _map_frame(page)
    return time.perf_counter() - t0, wire.since(t0), page, wire


def weight_changes(page, wire, repeat: int) -> list[dict]:
    """``repeat`` moves of a theme weight, each to a new value: time to the new map, bytes sent."""
    page.get_by_text("Weights").first.click()  # the box's sliders are drawn once it is open
    page.get_by_role("slider", name=re.compile(r"^Theme: ")).first.wait_for(timeout=60_000)
    slider = page.get_by_role("slider", name=SLIDER)
    if not slider.count():  # another configuration (generated districts): its last theme
        slider = page.get_by_role("slider", name=re.compile(r"^Theme: ")).last
    rows = []
    for i in range(repeat):
        page.wait_for_timeout(2500)  # let the previous change (and its second pass) settle
        frame = _map_frame(page)
        marker = frame.evaluate("() => [(PK.districts.__bench = Math.random()), PK.restyled]")
        slider.focus()
        t0 = time.perf_counter()
        slider.press("ArrowLeft")  # one step further each repeat: a value never asked for before
        ok = _wait(lambda: _map_frame(page).evaluate("() => [PK.districts.__bench, PK.restyled]") != marker)
        new_map = time.perf_counter() - t0
        mounted = _map_frame(page).evaluate("() => PK.districts.__bench") == marker[0]
        outlines = new_map
        if _map_frame(page).evaluate("() => PK.style !== undefined"):  # a client with a second pass
            _wait(lambda: _map_frame(page).evaluate("() => PK.restyled") >= marker[1] + 2, timeout=30)
            outlines = time.perf_counter() - t0
        page.wait_for_timeout(2000)  # the rest of the page (tables, profile) arrives
        rows.append({"new_map": new_map if ok else float("nan"), "mounted": mounted,
                     "outlines": outlines, **wire.since(t0)})
    return rows


def cpu_seconds(needle: str) -> float:
    """CPU time (user + system) used so far by every process whose command line contains ``needle``."""
    total = 0.0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if needle not in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:  # the process ended
            pass
    return total


def sessions(browser, url: str, level: str, n: int, ready: str = READY) -> dict:
    """``n`` browser contexts (separate cookies and caches, like ``n`` people) opening the same link at
    once: seconds from the first request to each one's coloured map (``ready`` true in a frame), and
    the CPU seconds the server and the browsers spent meanwhile (both on this machine's cores)."""
    server = f"--server.port {url.rsplit(':', 1)[1]}"
    cpu0 = cpu_seconds(server), cpu_seconds("chromium")
    contexts = [browser.new_context(viewport={"width": 1440, "height": 1000}) for _ in range(n)]
    for context in contexts:
        context.add_init_script(MARK_READY % ready)
    pages = [context.new_page() for context in contexts]
    t0 = time.time()
    for page in pages:
        page.goto(f"{url}/?level={level}", wait_until="commit")
    done: dict[int, float] = {}
    deadline = time.time() + 600
    while len(done) < n and time.time() < deadline:
        time.sleep(0.5)
        for i, page in enumerate(pages):
            try:
                stamp = 0 if i in done else page.evaluate("() => window.__benchReady || 0")
            except Exception:  # the page is between documents
                stamp = 0
            if stamp:
                done[i] = stamp / 1000 - t0
    cpu = cpu_seconds(server) - cpu0[0], cpu_seconds("chromium") - cpu0[1]
    for context in contexts:
        context.close()
    return {"times": sorted(done.values()) + [float("nan")] * (n - len(done)), "server_cpu": cpu[0],
            "browser_cpu": cpu[1]}


def floor_sessions(n: int) -> dict:
    """``n`` browsers opening the smallest Streamlit page (``floor_app.py``) at once, on a warm server."""
    from playwright.sync_api import sync_playwright

    with dashboard(script=ROOT / "benchmarks" / "floor_app.py", cwd=ROOT) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=OFFLINE)
        page = browser.new_page()
        page.goto(url)
        page.wait_for_function(FLOOR_READY, timeout=120_000)
        page.close()
        out = sessions(browser, url, "", n, FLOOR_READY)
        browser.close()
    return out


def socket_sessions(url: str, level: str, n: int) -> dict:
    """``n`` sessions opening the page at once without a browser (Streamlit's websocket protocol, as
    ``ui/warmup.py`` speaks it): seconds from the first request to each one's map message, and the
    server's CPU seconds meanwhile. The server's share of the workshop case, with no browser
    competing for its cores."""
    import asyncio

    from ui import warmup

    server = f"--server.port {url.rsplit(':', 1)[1]}"

    async def one(t0: float) -> float:
        seen: list[float] = []

        def frame(data: bytes) -> None:
            if not seen and message_kind(data) == "map":
                seen.append(time.perf_counter() - t0)

        async with warmup.connect(url) as ws:
            await warmup.run_page(ws, f"level={level}", on_frame=frame)
        return seen[0] if seen else float("nan")

    async def everyone() -> list[float]:
        t0 = time.perf_counter()
        return list(await asyncio.gather(*(one(t0) for _ in range(n))))

    cpu0 = cpu_seconds(server)
    with ThreadPoolExecutor(1) as pool:  # its own event loop: Playwright's runs in this thread
        times = pool.submit(asyncio.run, everyone()).result()
    return {"times": sorted(times), "server_cpu": cpu_seconds(server) - cpu0}


def _mb(n: float) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n / 1e3:.1f} KB"


def _median(rows: list[dict], key: str) -> float:
    values = [r.get(key, 0) for r in rows]
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")


def measure(root: Path, env: dict | None, level: str, repeat: int, n_sessions: int) -> dict:
    from playwright.sync_api import sync_playwright

    out: dict = {}
    with dashboard(script=root / "app.py", env=env, cwd=root) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=OFFLINE)
        out["cold"], out["cold_bytes"], page, _ = first_map(browser, url, level)
        page.close()
        out["warm"], out["warm_bytes"], page, wire = first_map(browser, url, level)
        out["changes"] = weight_changes(page, wire, repeat)
        page.close()
        if n_sessions:
            out["socket_sessions"] = socket_sessions(url, level, n_sessions)
            out["sessions"] = sessions(browser, url, level, n_sessions)
        browser.close()
    out["warmed"] = float("nan")
    if (root / "ui" / "warmup.py").is_file():  # a fresh server warmed up at start, as `geo serve` does
        with dashboard(script=root / "app.py", env=env, cwd=root) as url, sync_playwright() as p:
            subprocess.run([sys.executable, "-m", "ui.warmup", url, f"level={level}"], cwd=root, check=False,
                           env={**os.environ, **(env or {})}, capture_output=True, timeout=900)
            browser = p.chromium.launch(executable_path=CHROMIUM, args=OFFLINE)
            out["warmed"], _, page, _ = first_map(browser, url, level)
            page.close()
            browser.close()
    return out


def client_draw(n: int, repeat: int) -> dict[str, float]:
    """The map client alone in Chromium (a standalone page, no server): ``n`` generated cells drawn,
    then re-coloured ``repeat`` times with new numbers; medians in seconds, each until the next frame
    is painted."""
    import json
    import tempfile

    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely
    from playwright.sync_api import sync_playwright

    from geo.classify import map_classes
    from ui import maps

    rng = np.random.default_rng(0)
    extent = shapely.box(-13.2, 27.7, -1.0, 35.9)
    points = shapely.points(rng.uniform(-13.2, -1.0, n), rng.uniform(27.7, 35.9, n))
    cells = shapely.intersection(np.asarray(shapely.voronoi_polygons(shapely.multipoints(points),
                                                                     extend_to=extent).geoms), extent)
    codes = [f"G{i:05d}" for i in range(len(cells))]
    table = pd.DataFrame({"name": [f"District {c}" for c in codes]}, index=codes)
    t0 = time.perf_counter()
    geometry = maps.level_geometry(gpd.GeoSeries(cells, index=codes, crs=4326), table["name"])
    build = time.perf_counter() - t0
    styles, style_times = [], []
    for _ in range(repeat + 1):
        t = table.assign(score=rng.uniform(0, 100, len(codes)))
        t["rank"] = t["score"].rank(ascending=False, method="min")
        t0 = time.perf_counter()
        styles.append(maps.map_style(codes, t, map_classes(t["score"]), column="score", label="Score",
                                     top=t.sort_values("rank").index[:10]))
        style_times.append(time.perf_counter() - t0)
    page_html = maps.standalone_html(geometry, styles[0], title="bench", settings={}, world=False)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        path = Path(tmp) / "map.html"
        path.write_text(page_html.replace("PK.standalone(", "window.PK_T0 = performance.now(); PK.standalone("),
                        encoding="utf-8")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=OFFLINE)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        t0 = time.perf_counter()
        page.goto(path.as_uri(), wait_until="commit", timeout=600_000)
        page.wait_for_function("() => window.PK && PK.restyled === 1", timeout=600_000, polling=50)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        first = time.perf_counter() - t0
        recolour = []
        for style in styles[1:]:
            recolour.append(page.evaluate("""s => new Promise(resolve => { const t = performance.now(); PK.update(s);
                requestAnimationFrame(() => requestAnimationFrame(() => resolve((performance.now() - t) / 1000))); })""",
                                          json.loads(maps._js(style))))
        browser.close()
    return {"districts": len(codes), "geometry_build": build, "geometry_bytes": len(maps._js(geometry)),
            "style_build": statistics.median(style_times), "style_bytes": len(maps._js(styles[0])),
            "first_draw": first, "recolour": statistics.median(recolour), "html_bytes": len(page_html)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--level", default=None, help="level to measure (default: communes, or the generated one)")
    parser.add_argument("--generated", type=int, metavar="N", help="N generated districts instead of the default data")
    parser.add_argument("--sessions", type=int, default=0, metavar="N", help="also open N browsers at once")
    parser.add_argument("--baseline", type=Path, help="another checkout measured side by side")
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "pockets-bench")
    parser.add_argument("--client", type=int, nargs="*", metavar="N",
                        help="only the map client in Chromium, N generated districts each (e.g. 10000 50000)")
    args = parser.parse_args()
    if args.client:
        print("| districts | geometry (built once, bytes) | numbers per weight (built, bytes) | first draw | "
              "re-colour | standalone HTML |")
        print("|---:|---:|---:|---:|---:|---:|")
        for n in args.client:
            r = client_draw(n, args.repeat)
            print(f"| {r['districts']:,} | {r['geometry_build']:.2f} s, {_mb(r['geometry_bytes'])} | "
                  f"{r['style_build'] * 1000:.0f} ms, {_mb(r['style_bytes'])} | {r['first_draw']:.2f} s | "
                  f"{r['recolour']:.2f} s | {_mb(r['html_bytes'])} |")
        return
    env, level = None, args.level or "communes"
    if args.generated:
        config = generated_config(args.generated, args.cache_dir)
        env, level = {"POCKETS_CONFIG": str(config)}, args.level or "districts"
    runs = [("this checkout", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    results = {name: measure(root, env, level, args.repeat, args.sessions) for name, root in runs}
    floor = floor_sessions(args.sessions) if args.sessions else None
    print(f"level: {level}; {args.repeat} weight changes, each to a new value\n")
    print("| run | cold first map | first map after the start-up warm-up | warm first map | first map bytes (websocket + http) | new weight -> new map "
          "(median) | -> with outlines | sent per new weight (websocket) | of which map | of which tables | "
          "geometry re-fetched |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        ch = r["changes"]
        first = r["warm_bytes"]
        print(f"| {name} | {r['cold']:.2f} s | {r['warmed']:.2f} s | {r['warm']:.2f} s | "
              f"{_mb(first.get('websocket', 0))} + {_mb(first.get('http', 0))} | {_median(ch, 'new_map'):.2f} s | "
              f"{_median(ch, 'outlines'):.2f} s | {_mb(_median(ch, 'websocket'))} | {_mb(_median(ch, 'map'))} | "
              f"{_mb(_median(ch, 'table'))} | {_mb(_median(ch, 'geometry'))} |")
        if "socket_sessions" in r:
            s = r["socket_sessions"]
            t = s["times"]
            print(f"\n{name}: {len(t)} sessions at once without browsers: median {statistics.median(t):.1f} s to "
                  f"the map message, all within {max(t):.1f} s; server CPU {s['server_cpu']:.1f} s")
        if "sessions" in r:
            s = r["sessions"]
            t = s["times"]
            print(f"\n{name}: {len(t)} browsers at once: median {statistics.median(t):.1f} s, all within "
                  f"{max(t):.1f} s; CPU meanwhile: server {s['server_cpu']:.1f} s "
                  f"({s['server_cpu'] / len(t):.2f} s per browser), browsers {s['browser_cpu']:.1f} s")
    if floor is not None:
        t = floor["times"]
        print(f"\nfloor: {len(t)} browsers at once on the smallest Streamlit page (benchmarks/floor_app.py): "
              f"median {statistics.median(t):.1f} s, all within {max(t):.1f} s; CPU meanwhile: server "
              f"{floor['server_cpu']:.1f} s, browsers {floor['browser_cpu']:.1f} s")
    if len(results) == 2:
        a, b = (results[n]["changes"] for n in ("this checkout", "baseline"))
        print(f"\nratios to the baseline: bytes per weight {_median(a, 'websocket') / _median(b, 'websocket'):.3f}, "
              f"new map {_median(a, 'new_map') / _median(b, 'new_map'):.2f}")


if __name__ == "__main__":
    main()
