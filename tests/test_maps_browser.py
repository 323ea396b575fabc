"""The map in a real headless Chromium with every request off this machine blocked.

(a) the standalone HTML file opened from disk with all network blocked; (b) the map inside a
Streamlit page through ``st_folium``, Leaflet served by Streamlit itself. Screenshots go to
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


def _own_map(**kwargs):
    shapes = gpd.read_file(OWN / "districts.geojson").set_index("DIST_ID")
    table = pd.DataFrame({"name": shapes["DIST_NAME"], "score": [12.0, 25.0, None, 47.0, 58.0, 71.0]},
                         index=shapes.index)
    table["rank"] = table["score"].rank(ascending=False, method="min")
    table.loc["002", "name"] = EVIL_NAME
    return maps.choropleth(shapes.geometry, table, column="score", column_label="Need <script>alert(2)</script>",
                           top=["006", "005"], **kwargs)


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
    path.write_text(maps.standalone_html(_own_map(selected="004"), title="Six districts",
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


def _map_frame(page):
    """The st_folium frame, once Leaflet has drawn the districts in it."""
    page.locator('iframe[title="streamlit_folium.st_folium"]').wait_for(timeout=60_000)
    for _ in range(300):
        frames = [f for f in page.frames if "st_folium" in f.url]
        if frames:
            try:
                if frames[-1].evaluate("!!(window.PK && PK.districts && PK.districts._map)"
                                       " && !PK.districts._map._animatingZoom"):
                    return frames[-1]
            except Exception:  # the frame is being replaced
                pass
        page.wait_for_timeout(200)
    raise AssertionError("the map did not render in the st_folium frame")


def _click(page, code: str, dx: float = 0) -> None:
    frame = _map_frame(page)
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    x, y = frame.evaluate(_CENTRE, [code])
    page.mouse.click(box["x"] + x + dx, box["y"] + y)


def _runs(page) -> int:
    text = page.get_by_text("runs:").inner_text()
    return int(text.split(":")[1])


def test_streamlit_map_offline_and_click_returns_code(map_app):
    with _page(allow_localhost=True) as (page, log):
        page.goto(map_app + "/?returned=last_active_drawing")
        frame = _map_frame(page)
        assert frame.evaluate("PK.districts.getLayers().length") == 6
        assert frame.locator(".pk-legend").is_visible()
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


def test_second_click_on_same_district_is_reported_with_click_count(map_app):
    with _page(allow_localhost=True) as (page, log):
        page.goto(map_app + "/?returned=last_active_drawing,last_object_clicked_count")
        _map_frame(page)
        _click(page, "004")
        page.get_by_text("clicked: 004").wait_for(timeout=20_000)
        page.wait_for_timeout(1000)
        runs = _runs(page)
        _click(page, "004", dx=5)
        for _ in range(100):
            if _runs(page) > runs:
                break
            page.wait_for_timeout(200)
        assert _runs(page) > runs, "a second click on the same district did not rerun the page"
        assert log["blocked"] == []


def test_selection_outline_after_click(map_app):
    with _page(allow_localhost=True) as (page, log):
        page.goto(map_app + "/?select=map&returned=last_active_drawing")
        _map_frame(page)
        _click(page, "003")
        page.get_by_text("clicked: 003").wait_for(timeout=20_000)
        frame = _map_frame(page)  # the map was rebuilt with the selection outlined
        for _ in range(50):
            if "selected" in frame.locator(".pk-legend").inner_text():
                break
            page.wait_for_timeout(200)
            frame = _map_frame(page)
        assert "selected" in frame.locator(".pk-legend").inner_text()
        page.wait_for_timeout(500)
        _screenshot(page, "streamlit_map_selected.png")
        assert log["blocked"] == [] and log["dialogs"] == []


# JavaScript: codes outlined by the layer group st_folium shows (top-N group, then selection group);
# st_folium keeps the groups it removed in window.feature_group, off the map.
_OUTLINED = """() => (window.feature_group || []).filter(g => g._map).flatMap(g => g.getLayers().map(
    outline => outline.getLayers()[0].getLayers().map(l => l.feature.properties.code)))"""


def test_selection_in_layer_group_keeps_the_map_mounted(map_app):
    with _page(allow_localhost=True) as (page, log):
        page.goto(map_app + "/?select=group&returned=last_active_drawing")
        frame = _map_frame(page)
        frame.evaluate("window.pkMounted = 'first'")
        assert frame.evaluate(_OUTLINED) == [["006", "005"]]
        for code in ("003", "001"):
            _click(page, code)
            page.get_by_text(f"clicked: {code}").wait_for(timeout=20_000)
            for _ in range(50):
                if frame.evaluate(_OUTLINED) == [["006", "005"], [code]]:
                    break
                page.wait_for_timeout(200)
            assert frame.evaluate(_OUTLINED) == [["006", "005"], [code]]
            assert frame.evaluate("window.pkMounted") == "first", "the map was rebuilt"
        page.wait_for_timeout(500)
        _screenshot(page, "streamlit_map_selected_group.png")
        assert log["blocked"] == [] and log["dialogs"] == [] and log["errors"] == []
