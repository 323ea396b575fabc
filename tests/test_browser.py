"""The dashboard in a real headless Chromium with the internet blocked."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import pytest

from .browser import block_internet, dashboard, download, map_frame, settle, shot
from .conftest import OWN, ROOT

pytestmark = pytest.mark.browser
XSS = "<img src=x onerror=alert(1)>"
LABEL_XSS = "<svg onload=alert(2)> poverty"


def open_page(browser, url, blocked, **kw):
    page = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True, **kw)
    block_internet(page, blocked)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text("Ranking:").first.wait_for(timeout=120_000)
    return page, dialogs


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)  # "⬇ CSV", not "⬇ CSV with labels"


def districts_drawn(frame) -> int:
    return frame.evaluate("() => PK.districts.getLayers().length")


def top_line(page) -> str:
    return page.locator("p", has_text="Top:").first.inner_text()


@pytest.mark.parametrize("level, n", [("provinces", 75), ("communes", 1503)])
def test_map_renders_every_district_offline(browser, server, level, n):
    blocked = []
    page, _ = open_page(browser, f"{server}/?level={level}", blocked)
    frame = map_frame(page)
    assert districts_drawn(frame) == n
    assert frame.locator(".pk-legend").get_by_text("no data").count() == 1
    shot(page, f"map_{level}")
    assert blocked == []
    page.close()


def test_loading_placeholders_hold_still(browser, server):
    """Streamlit's placeholders for elements whose code is still loading do not shimmer (each
    shimmer is redrawn every frame, which costs the browsers of a workshop sharing one machine)."""
    page, _ = open_page(browser, f"{server}/?level=provinces", [])
    page.wait_for_function("() => [...document.querySelectorAll('style')].some(s => s.textContent.includes('stSkeleton'))")
    animation = page.evaluate("""() => {
        const box = document.createElement('div');
        box.setAttribute('data-testid', 'stSkeleton');
        box.innerHTML = '<div style="animation: pk-test 1s infinite"></div>';
        document.body.appendChild(box);
        const names = [getComputedStyle(box).animationName, getComputedStyle(box.firstChild).animationName];
        box.remove();
        return names;
    }""")
    assert animation == ["none", "none"]
    page.close()


def test_cluster_map_layer(browser, server):
    blocked = []
    page, _ = open_page(browser, f"{server}/?map_layer=cluster", blocked)
    frame = map_frame(page)
    assert districts_drawn(frame) == 75
    legend = frame.locator(".pk-legend")
    # the legend says what a class means ("HH" is one click away, in the column's help and on Data & method)
    legend.get_by_text("significant pocket of high need", exact=True).wait_for(timeout=30_000)
    assert legend.get_by_text("Pockets: local Moran's I clusters of the score").count() == 1
    assert legend.get_by_text("no significant pattern").count() == 1
    shot(page, "map_clusters")
    assert blocked == []
    page.close()


def test_click_opens_profile_and_second_click_still_works(browser, server):
    blocked = []
    page, _ = open_page(browser, server, blocked)
    frame = map_frame(page)

    def click(code):
        # the map zooms to each district chosen: bring this one to the middle first, clear of the legend
        frame.evaluate("c => { PK.districts.eachLayer(l => { if (l.feature.properties.code === c) "
                       "PK.districts._map.setView(l.getCenter(), PK.districts._map.getZoom(), {animate: false}); }); }",
                       code)
        x, y = frame.evaluate(
            """code => { const m = PK.districts._map; let p = null;
                 PK.districts.eachLayer(l => { if (l.feature.properties.code === code)
                   p = m.latLngToContainerPoint(l.getCenter()); });
                 const r = m.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""",
            code,
        )
        box = frame.frame_element().bounding_box()
        page.wait_for_timeout(1500)  # let the map's click handlers attach
        page.mouse.click(box["x"] + x, box["y"] + y)

    click("02.251")  # Figuig
    page.get_by_role("heading", name="Figuig").wait_for(timeout=60_000)
    page.wait_for_url("**selected=02.251**", timeout=30_000)
    shot(page, "profile_figuig")
    frame = map_frame(page)
    click("03.531")  # Taounate
    page.get_by_role("heading", name="Taounate").wait_for(timeout=60_000)
    frame = map_frame(page)
    click("02.251")  # back to the first one
    page.get_by_role("heading", name="Figuig").wait_for(timeout=60_000)
    # the page reruns (a table search) with the map mounted; a click on the selected district keeps it
    page.get_by_placeholder("e.g. Figuig").fill("Jerada")
    page.get_by_placeholder("e.g. Figuig").press("Enter")
    frame = map_frame(page)
    click("02.251")
    page.get_by_role("heading", name="Figuig").wait_for(timeout=60_000)
    assert blocked == []
    page.close()


def test_weight_change_changes_the_ranking(browser, server):
    blocked = []
    page, _ = open_page(browser, server, blocked)
    settle(page)  # the second pass is in: the top line is the first weights' final one
    before = top_line(page)
    page.get_by_text("Weights").first.click()  # opening the box reruns the page to draw its sliders
    slider = page.get_by_role("slider", name="Theme: Infrastructure and economic base")
    slider.focus()
    settle(page)
    for _ in range(2):
        slider.press("ArrowLeft")
    page.wait_for_function("t => !document.body.innerText.includes(t)", arg=before, timeout=60_000)
    assert top_line(page) != before
    assert "theme_weights=" in page.url
    assert blocked == []
    page.close()


def test_csv_download_equals_command_line(browser, server, tmp_path):
    blocked = []
    page, _ = open_page(browser, server, blocked)
    got = download(page, button(page, "⬇ CSV"), tmp_path / "dashboard.csv")
    cli = tmp_path / "cli.csv"
    done = subprocess.run([sys.executable, "-m", "geo", "rank", "--config", str(ROOT / "config.toml"),
                           "--level", "provinces", "--out", str(cli)], cwd=ROOT, capture_output=True)
    assert done.returncode == 0
    assert got.read_bytes() == cli.read_bytes()
    page.close()


def test_standalone_html_export_renders_offline(browser, server, tmp_path):
    blocked = []
    page, _ = open_page(browser, server, blocked)
    html = download(page, button(page, "⬇ HTML map"), tmp_path / "map.html")
    page.close()
    offline = browser.new_page(viewport={"width": 1200, "height": 900})
    outside = []
    block_internet(offline, outside)
    offline.goto(html.as_uri())
    offline.wait_for_function("() => window.PK && PK.districts && PK.districts.getLayers().length === 75",
                              timeout=30_000)
    assert offline.locator(".pk-legend").get_by_text("no data").count() == 1
    shot(offline, "standalone_export")
    assert outside == [] and blocked == []
    offline.close()


def test_names_are_escaped_everywhere(browser, tmp_path):
    """District names and layer labels written like HTML payloads show as text; no script runs,
    in the live map, its tooltips and legend, the profile, the tables and the standalone export."""
    for f in ("indicators.csv", "provinces.geojson", "sites.csv"):
        (tmp_path / f).write_bytes((OWN / f).read_bytes())
    config = (OWN / "config.toml").read_text(encoding="utf-8")
    (tmp_path / "config.toml").write_text(
        config.replace('label = "Poverty headcount ratio"', f'label = "{LABEL_XSS}"'), encoding="utf-8")
    d = gpd.read_file(OWN / "districts.geojson")
    d.loc[0, "DIST_NAME"] = XSS
    d.to_file(tmp_path / "districts.geojson", driver="GeoJSON")
    injected = "() => document.querySelectorAll('img[src=\"x\"], svg[onload]').length"
    with dashboard(env={"POCKETS_CONFIG": str(tmp_path / "config.toml")}) as url:
        blocked = []
        page, dialogs = open_page(browser, f"{url}/?selected=001&map_layer=poverty_rate", blocked)
        page.get_by_role("heading", name=XSS).wait_for(timeout=60_000)
        frame = map_frame(page)
        tip = frame.evaluate("() => PK.tipFor('001')")  # the tooltip, built in the browser from names sent once
        assert "&lt;img" in tip and "<img" not in tip and "&lt;svg" in tip
        frame.locator(".pk-legend").get_by_text(LABEL_XSS, exact=False).first.wait_for(timeout=30_000)
        assert frame.evaluate(injected) == 0 and page.evaluate(injected) == 0
        page.get_by_text(LABEL_XSS).first.wait_for(timeout=30_000)  # the profile's layer column, as text
        shot(page, "escaped_name")
        html = download(page, button(page, "⬇ HTML map"), tmp_path / "map.html")
        assert dialogs == []
        page.close()
    offline = browser.new_page()
    outside, opened = [], []
    offline.on("dialog", lambda dlg: (opened.append(dlg.message), dlg.dismiss()))
    block_internet(offline, outside)
    offline.goto(html.as_uri())
    offline.wait_for_function("() => window.PK && PK.districts && PK.districts.getLayers().length === 6",
                              timeout=30_000)
    offline.locator(".pk-legend").get_by_text(LABEL_XSS, exact=False).first.wait_for(timeout=30_000)
    assert offline.evaluate(injected) == 0
    assert opened == [] and outside == []
    offline.close()
