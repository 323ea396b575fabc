"""Dashboard speed in a real browser: payload per level, time to first map, time from a weight change
to the updated map (median of several runs).

    .venv/bin/python benchmarks/bench_dashboard.py [--repeat 5]

Needs Debian's Chromium (/usr/bin/chromium). Every request that would leave this machine is blocked.
"""

from __future__ import annotations

import argparse
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
            marker = map_frame(page, timeout=120).evaluate("() => (PK.districts.__marker = Math.random())")
            t0 = time.perf_counter()
            slider.press("ArrowLeft")
            # a new district layer is drawn when the new colouring arrives
            deadline = time.time() + 120
            while time.time() < deadline:
                try:
                    f = map_frame(page, timeout=120)
                    if f.evaluate("() => PK.districts.__marker") != marker:
                        break
                except Exception:  # the old frame went away mid-check
                    pass
                time.sleep(0.02)
            update.append(time.perf_counter() - t0)
            page.close()
        browser.close()
    return first, update


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with dashboard() as url:
        for level in ("provinces", "communes"):
            size = payload_bytes(level)
            first, update = first_map_and_update(url, level, args.repeat)
            rows.append((level, size, statistics.median(first), statistics.median(update)))
    print("| level | map payload | first map (median) | weight change -> new map (median) |")
    print("|---|---:|---:|---:|")
    for level, size, first, update in rows:
        print(f"| {level} | {size / 1e6:.2f} MB | {first:.2f} s | {update:.2f} s |")


if __name__ == "__main__":
    main()
