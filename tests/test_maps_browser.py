"""The map in a real headless Chromium with every request off this machine blocked.

(a) the standalone HTML file opened from disk with all network blocked; (b) the map inside a
Streamlit page as the live map component, Leaflet served by Streamlit itself. Screenshots go to
``test-artifacts/``.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from urllib.parse import urlparse

import geopandas as gpd
import pandas as pd
import pytest

from ui import maps

from .browser import CHROMIUM, dashboard, need_browser
from .conftest import OWN, ROOT

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"
EVIL_NAME = "<img src=x onerror=alert(1)>"
LOCAL_HOSTS = ("127.0.0.1", "localhost")


@contextmanager
def _page(*, allow_localhost: bool):
    """A Chromium page that aborts every request off this machine (or every network request)."""
    sync_api = need_browser()
    log = {"blocked": [], "failed": [], "dialogs": [], "errors": [], "requests": []}

    def route(r):
        url = r.request.url
        host = urlparse(url).hostname
        local = url.startswith(("data:", "blob:", "file:")) or (allow_localhost and host in LOCAL_HOSTS)
        if local:
            r.continue_()
        else:
            log["blocked"].append(url)
            r.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1000, "height": 700})
        page.route("**/*", route)
        page.on("request", lambda r: log["requests"].append(r.url))
        page.on("response", lambda r: log["failed"].append((r.status, r.url)) if r.status >= 400 else None)
        page.on("dialog", lambda d: (log["dialogs"].append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: log["errors"].append(str(e)))
        try:
            yield page, log
        finally:
            browser.close()


def _screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def _own_map(selected=None):
    """Geometry and numbers of the six districts (one name and the label written like HTML payloads)."""
    from geo.classify import map_classes

    shapes = gpd.read_file(OWN / "districts.geojson").set_index("DIST_ID")
    table = pd.DataFrame({"name": shapes["DIST_NAME"], "score": [12.0, 25.0, None, 47.0, 58.0, 71.0]},
                         index=shapes.index)
    table["rank"] = table["score"].rank(ascending=False, method="min")
    table.loc["002", "name"] = EVIL_NAME
    geometry = maps.level_geometry(shapes.geometry, table["name"])
    style = maps.map_style(geometry["codes"], table, map_classes(table["score"], k=3), column="score",
                           label="Need <script>alert(2)</script>", top=["006", "005"], selected=selected)
    return geometry, style


# JavaScript: page coordinates of the middle of a district's bounding box.
_CENTRE = """([code]) => {
    const layer = PK.districts.getLayers().find(l => l.feature.properties.code === code);
    const map = PK.districts._map;
    const p = map.latLngToContainerPoint(layer.getBounds().getCenter());
    const r = map.getContainer().getBoundingClientRect();
    return [p.x + r.left, p.y + r.top];
}"""


# ----------------------------------------------------------------------------- (a) standalone file
def test_standalone_file_offline(tmp_path):
    path = tmp_path / "map.html"
    geometry, style = _own_map(selected="004")
    path.write_text(maps.standalone_html(geometry, style, title="Six districts",
                                         settings={"level": "districts", "method": "minmax, arithmetic"}),
                    encoding="utf-8")
    with _page(allow_localhost=False) as (page, log):
        page.goto(path.as_uri())
        page.wait_for_function("window.PK && PK.districts && PK.districts._map && !PK.districts._map._animatingZoom")
        codes = page.evaluate("PK.districts.getLayers().map(l => l.feature.properties.code)")
        assert codes == ["001", "002", "003", "004", "005", "006"]  # one polygon per district
        assert page.locator(".leaflet-pane canvas").count() >= 1
        legend = page.locator(".pk-legend")
        assert legend.is_visible()
        assert "no data" in legend.inner_text() and "Need <script>alert(2)</script>" in legend.inner_text()
        assert page.locator(".pk-settings").is_visible()
        x, y = page.evaluate(_CENTRE, ["002"])
        page.mouse.move(x - 20, y - 20)
        page.mouse.move(x, y, steps=5)
        tip = page.locator(".leaflet-tooltip")
        tip.wait_for(state="visible", timeout=5000)
        assert EVIL_NAME in tip.inner_text()  # shown as text ...
        assert page.locator(".leaflet-tooltip img").count() == 0  # ... never as an element
        page.wait_for_timeout(300)
        _screenshot(page, "standalone_offline.png")
        assert log["dialogs"] == [] and log["errors"] == []
        assert [u for u in log["requests"] if not u.startswith(("file:", "data:"))] == []
        assert log["blocked"] == []


# ----------------------------------------------------------------------------- (b) inside Streamlit
@pytest.fixture(scope="module")
def map_app(tmp_path_factory):
    """The map-only page, next to a ``static/`` folder (Streamlit serves it from beside the script)."""
    need_browser()
    folder = tmp_path_factory.mktemp("map_app")
    shutil.copy(ROOT / "tests" / "apps" / "map_only.py", folder / "map_only.py")
    (folder / "static").symlink_to(ROOT / "static", target_is_directory=True)
    with dashboard(folder / "map_only.py", env={"POCKETS_ROOT": str(ROOT)}) as url:
        yield url


def _map_frame(page, timeout: float = 60.0):
    """The map component's frame, once the districts are drawn and coloured in it."""
    page.locator('iframe[title="ui.livemap.pockets_map"]').wait_for(timeout=timeout * 1000)
    for _ in range(int(timeout * 5)):
        frames = [f for f in page.frames if "pockets_map" in f.url]
        if frames:
            try:
                if frames[-1].evaluate("!!(window.PK && PK.districts && PK.districts._map && PK.restyled)"
                                       " && !PK.districts._map._animatingZoom"):
                    return frames[-1]
            except Exception:  # the frame is being replaced
                pass
        page.wait_for_timeout(200)
    raise AssertionError("the map did not render in its frame")


def _click(page, code: str, dx: float = 0) -> None:
    frame = _map_frame(page)
    # bring the district to the middle of the map, clear of the legend and the controls
    frame.evaluate("([c]) => { PK.map.setView(PK.byCode[c].getBounds().getCenter(), PK.map.getZoom(), {animate: false}); }",
                   [code])
    box = page.locator('iframe[title="ui.livemap.pockets_map"]').bounding_box()
    x, y = frame.evaluate(_CENTRE, [code])
    page.mouse.click(box["x"] + x + dx, box["y"] + y)


def _runs(page) -> int:
    text = page.get_by_text("runs:").inner_text()
    return int(text.split(":")[1])


def _wait(page, predicate, what: str, tries: int = 100) -> None:
    for _ in range(tries):
        if predicate():
            return
        page.wait_for_timeout(200)
    raise AssertionError(what)


def test_streamlit_map_offline_and_click_returns_code(map_app):
    with _page(allow_localhost=True) as (page, log):
        page.goto(map_app + "/")
        frame = _map_frame(page)
        assert frame.evaluate("PK.districts.getLayers().length") == 6
        assert frame.locator(".pk-legend").is_visible()
        # The neighbouring countries are drawn once the view is the districts' (each layer is projected
        # for the view it is added to: added before the view moved, it would be projected twice).
        frame.wait_for_function("() => PK.world && PK.world.getLayers().length > 100", timeout=20_000)
        assert frame.evaluate("PK.map.getZoom()") > 4
        _click(page, "001")
        page.get_by_text("clicked: 001").wait_for(timeout=20_000)
        _click(page, "005")
        page.get_by_text("clicked: 005").wait_for(timeout=20_000)
        page.wait_for_timeout(500)
        _screenshot(page, "streamlit_map_click.png")
        leaflet = [u for u in log["requests"] if u.endswith("/app/static/vendor/leaflet/leaflet.js")]
        assert leaflet, "Leaflet was not loaded from the dashboard's static route"
        assert log["blocked"] == [], f"requests left this machine: {log['blocked'][:5]}"
        assert log["failed"] == [] and log["dialogs"] == []


def test_second_click_on_same_district_is_reported_again(map_app):
    with _page(allow_localhost=True) as (page, log):
        page.goto(map_app + "/")
        _map_frame(page)
        _click(page, "004")
        page.get_by_text("clicked: 004").wait_for(timeout=20_000)
        page.wait_for_timeout(1000)
        runs = _runs(page)
        _click(page, "004", dx=5)
        _wait(page, lambda: _runs(page) > runs, "a second click on the same district did not rerun the page")
        assert log["blocked"] == []


def test_selection_outline_after_click_keeps_the_map_mounted(map_app):
    with _page(allow_localhost=True) as (page, log):
        page.goto(map_app + "/")
        frame = _map_frame(page)
        frame.evaluate("window.pkMounted = 'first'")
        for code in ("003", "001"):
            _click(page, code)
            page.get_by_text(f"clicked: {code}").wait_for(timeout=20_000)
            _wait(page, lambda: frame.evaluate("PK.geometry.codes[PK.style.selected]") == code,
                  f"{code} is not outlined as selected")
            assert "selected" in frame.locator(".pk-legend").inner_text()
            assert frame.evaluate("window.pkMounted") == "first", "the map was rebuilt"
        _screenshot(page, "streamlit_map_selected.png")
        assert log["blocked"] == [] and log["dialogs"] == [] and log["errors"] == []


def _fills(frame) -> list:
    return frame.evaluate("() => PK.layers.map(l => l.options.fillColor)")


def test_weight_change_recolours_without_sending_the_geometry_again(map_app):
    """A new weight sends numbers only: the geometry file is fetched once, the websocket carries a
    few kilobytes, and the mounted map (same layers, same frame) is re-coloured."""
    with _page(allow_localhost=True) as (page, log):
        received = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda f: received.append(len(f))))
        page.goto(map_app + "/")
        frame = _map_frame(page)
        page.wait_for_timeout(1000)
        before = frame.evaluate("() => { PK.districts.__mark = 1; return [PK.restyled, PK.geometryLoaded]; }")
        fills = _fills(frame)
        sent = len(received)
        slider = page.get_by_role("slider")
        slider.focus()
        for _ in range(6):
            slider.press("ArrowRight")
        _wait(page, lambda: frame.evaluate("PK.restyled") > before[0], "the map was not re-coloured")
        page.wait_for_timeout(1500)
        after = frame.evaluate("() => [PK.districts.__mark, PK.geometryLoaded, PK.districts.getLayers().length]")
        assert after == [1, 1, 6], "the map was rebuilt or the geometry loaded again"
        assert _fills(frame) != fills
        geometry = [u for u in log["requests"] if "/app/static/maps/geometry-" in u]
        assert len(geometry) == 1, geometry
        on_change = sum(received[sent:])
        assert 0 < on_change < 40_000, f"{on_change} bytes crossed the websocket for a weight change"
        assert log["blocked"] == [] and log["errors"] == []


def test_ten_thousand_generated_districts_draw_and_recolour(map_app):
    with _page(allow_localhost=True) as (page, log):
        page.set_viewport_size({"width": 1200, "height": 800})
        page.goto(map_app + "/?generated=10000")
        frame = _map_frame(page, timeout=240)
        assert frame.evaluate("PK.districts.getLayers().length") == 10000
        fills = _fills(frame)
        restyled = frame.evaluate("PK.restyled")
        slider = page.get_by_role("slider")
        slider.focus()
        slider.press("ArrowLeft")
        _wait(page, lambda: frame.evaluate("PK.restyled") > restyled, "10,000 districts were not re-coloured",
              tries=300)
        changed = sum(a != b for a, b in zip(fills, _fills(frame)))
        assert changed > 1000, f"only {changed} districts changed colour"
        _screenshot(page, "streamlit_map_10000.png")
        assert log["errors"] == [] and log["blocked"] == []


def test_rank_numbers_top_list_and_search_to_zoom(map_app):
    with _page(allow_localhost=True) as (page, log):
        page.goto(map_app + "/")
        frame = _map_frame(page)
        ranks = frame.locator(".pk-rank")
        assert ranks.count() == 3 and sorted(ranks.all_inner_texts()) == ["1", "2", "3"]
        top = frame.locator(".pk-toplist li")
        assert top.count() == 3
        assert frame.evaluate("PK.labelCount") >= 1  # names placed beside the numbers, never overlapping
        boxes = frame.evaluate("""() => Array.from(document.querySelectorAll('.pk-label span')).map(s => {
            const r = s.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""")
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not (a[0] < b[2] - 1 and a[2] > b[0] + 1 and a[1] < b[3] - 1 and a[3] > b[1] + 1), (a, b)
        frame.evaluate("() => { PK.map.setView([0, 3], 9, {animate: false}); }")  # away from it first
        search = frame.locator(".pk-search input")
        search.fill("AIN")  # accents and case ignored: finds "Aïn Nord"
        frame.locator(".pk-hits li").first.wait_for(timeout=5000)
        assert frame.locator(".pk-hits li").first.inner_text().startswith("Aïn Nord")
        search.press("Enter")
        page.get_by_text("clicked: 001").wait_for(timeout=20_000)
        # the whole district found in view, with its neighbours around it
        centred = """() => PK.map.getBounds().contains(PK.byCode['001'].getBounds())
            && PK.map.getBounds().contains(PK.byCode['002'].getBounds().getCenter())"""
        _wait(page, lambda: frame.evaluate(centred), "the search did not zoom to the district")
        assert frame.evaluate("PK.flashed") == "001"
        frame.fill(".pk-search input", "img src")  # a name written like HTML is found, shown as text
        assert frame.locator(".pk-hits img").count() == 0
        _screenshot(page, "streamlit_map_search.png")
        assert log["blocked"] == [] and log["errors"] == [] and log["dialogs"] == []


# ----------------------------------------------------------------------------- point overlay


def test_twelve_thousand_points_clustered_sent_once_and_split_when_zooming(map_app):
    """Generated points (drawing only): off at first, clusters with counts when turned on, every
    point counted once, more and smaller clusters as the map zooms in, a cluster click zooms in,
    and the points file is fetched once whatever the weights do."""
    with _page(allow_localhost=True) as (page, log):
        page.set_viewport_size({"width": 1200, "height": 800})
        page.goto(map_app + "/?points=12000")
        frame = _map_frame(page)
        _wait(page, lambda: frame.evaluate("!!(PK.points && PK.overlays)"), "the points did not arrive")
        toggle = frame.locator("input[data-overlay=points]")
        assert "Generated points: 12,000 points drawn" in frame.locator(".pk-overlays").inner_text()
        assert not toggle.is_checked() and frame.evaluate("PK.pointsDrawn.points") == 0
        toggle.check()
        frame.evaluate("() => { PK.map.fitBounds([[-0.1, -0.1], [2.1, 3.1]], {animate: false}); }")  # every point in view
        national = frame.evaluate("PK.pointsDrawn")
        assert national["points"] == 12000  # each point in exactly one cluster or marker
        assert 0 < national["clusters"] < 200, national
        assert frame.locator(".pk-cluster").count() == national["clusters"]
        biggest = max(int(c) for c in frame.locator(".pk-cluster").evaluate_all("els => els.map(e => e.dataset.count)"))
        _screenshot(page, "streamlit_points_clusters.png")
        frame.evaluate("() => { PK.map.setView(PK.map.getCenter(), PK.map.getZoom() + 3, {animate: false}); }")
        zoomed = frame.evaluate("PK.pointsDrawn")
        assert zoomed["points"] < 12000
        counts = frame.locator(".pk-cluster").evaluate_all("els => els.map(e => +e.dataset.count)")
        assert max(counts) < biggest and zoomed["clusters"] + zoomed["markers"] > national["clusters"] / 4
        zoom = frame.evaluate("PK.map.getZoom()")
        # a cluster no control (legend, search, top list) lies over
        free = frame.evaluate("""() => [...document.querySelectorAll('.pk-cluster')].findIndex(e => {
            const r = e.getBoundingClientRect(), hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            return hit && (hit === e || e.contains(hit)); })""")
        assert free >= 0, "every cluster is under a control of the map"
        frame.locator(".pk-cluster").nth(free).click()
        _wait(page, lambda: frame.evaluate("PK.map.getZoom()") > zoom, "a cluster click did not zoom in")
        _screenshot(page, "streamlit_points_zoomed.png")
        restyled = frame.evaluate("PK.restyled")
        slider = page.get_by_role("slider")
        slider.focus()
        slider.press("ArrowRight")
        _wait(page, lambda: frame.evaluate("PK.restyled") > restyled, "the map was not re-coloured")
        page.wait_for_timeout(1000)
        points_files = [u for u in log["requests"] if "/app/static/maps/points-" in u]
        assert len(points_files) == 1, points_files
        assert [u for u in log["requests"] if u.endswith("/app/static/vendor/supercluster/supercluster.min.js")]
        toggle.uncheck()
        assert frame.evaluate("PK.pointsDrawn.points") == 0 and frame.locator(".pk-cluster").count() == 0
        assert log["blocked"] == [] and log["errors"] == [] and log["failed"] == []


def test_dashboard_draws_the_point_layer_of_a_second_country():
    """The dashboard on tests/data/second_country: its open sites inside a district are drawn (S1 and
    S2 at one place make a cluster of 2, S3 a single point); S4 outside, S5 without and S6 with
    invalid coordinates and the closed S7 are not, and the label says 3 of the 7 rows."""
    config = ROOT / "tests" / "data" / "second_country" / "config.toml"
    with dashboard(env={"POCKETS_CONFIG": str(config)}) as url, _page(allow_localhost=True) as (page, log):
        page.set_viewport_size({"width": 1440, "height": 900})
        page.goto(url + "/")
        frame = _map_frame(page, timeout=120)
        _wait(page, lambda: frame.evaluate("!!(PK.points && PK.overlays)"), "the points did not arrive", tries=300)
        label = frame.locator(".pk-overlays").inner_text()
        assert "Open displacement sites: 3 of 7 rows drawn" in label
        frame.locator("input[data-overlay=points]").check()
        frame.evaluate("() => { PK.map.fitBounds([[0, 0], [2, 4]], {animate: false}); }")
        assert frame.evaluate("PK.pointsDrawn") == {"clusters": 1, "markers": 1, "points": 3}
        assert frame.locator(".pk-cluster").inner_text() == "2"
        points_files = [u for u in log["requests"] if "/app/static/maps/points-" in u]
        assert len(points_files) == 1
        _screenshot(page, "dashboard_points_second_country.png")
        assert log["blocked"] == [] and log["errors"] == []
