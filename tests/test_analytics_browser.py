"""Targeting and change over time in a real headless Chromium, internet blocked."""

from __future__ import annotations

import pytest

from .browser import block_internet, map_frame, message_kind, settle, shot

pytestmark = pytest.mark.browser


def open_page(browser, url: str, ready: str, blocked: list):
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    block_internet(page, blocked)
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text(ready).first.wait_for(timeout=120_000)
    return page


def test_scatter_plot_draws_every_district_and_a_click_opens_its_profile(browser, server):
    blocked = []
    page = open_page(browser, f"{server}/targeting", "Need x readiness", blocked)
    circles = page.locator(".vega-embed svg [aria-roledescription='circle']")
    circles.first.wait_for(timeout=60_000)
    assert circles.count() == 75
    figuig = page.locator(".vega-embed svg [aria-roledescription='circle'][aria-label*='code: 02.251']")
    assert "need x readiness: high need, foundations first" in figuig.get_attribute("aria-label")
    page.wait_for_timeout(1500)  # let the first rerun settle
    figuig.click(force=True)
    page.get_by_role("heading", name="Figuig").first.wait_for(timeout=60_000)
    assert "selected=02.251" in page.url
    page.get_by_text("most similar districts do clearly better").first.wait_for(timeout=60_000)
    shot(page, "targeting_scatter_selected")
    assert blocked == []
    page.close()


def test_change_map_draws_the_districts_left_behind(browser, server):
    blocked = []
    page = open_page(browser, f"{server}/change", "Districts left behind", blocked)
    frame = map_frame(page)
    assert frame.evaluate("() => PK.districts.getLayers().length") == 75
    legend = frame.locator(".pk-legend")
    legend.get_by_text("Fell further behind, 2014 to 2024").wait_for(timeout=30_000)
    # the default rule: half of each district's own compared layers (16 -> 8, 15 -> 8); 7 of the 75
    # provinces are left behind, as the change CLI reports for the same data and tolerance
    row = legend.locator(".pk-row").filter(has_text="left behind (half of its layers or more)")
    assert row.count() == 1
    assert row.locator(".pk-n").inner_text() == "(7)"
    shot(page, "change_map")
    assert blocked == []
    page.close()


@pytest.mark.parametrize("layer, title, keys", [
    ("hotspot", "Hot and cold spots: Getis-Ord Gi* of the score", ["significant concentration of high need", "significant concentration of low need"]),
    ("quadrant", "Need x readiness", ["high need, ready to scale", "high need, foundations first"]),
])
def test_categorical_map_layers(browser, server, layer, title, keys):
    blocked = []
    page = open_page(browser, f"{server}/?map_layer={layer}", "Ranking:", blocked)
    frame = map_frame(page)
    legend = frame.locator(".pk-legend")
    legend.get_by_text(title).first.wait_for(timeout=30_000)
    for key in keys:
        assert legend.get_by_text(key, exact=True).count() == 1
    page.wait_for_timeout(1500)  # the map's first report reruns the page once
    assert map_frame(page).evaluate("() => PK.districts.getLayers().length") == 75
    shot(page, f"map_{layer}")
    assert blocked == []
    page.close()


def test_weight_change_recolours_the_mounted_map(browser, server):
    """A new weight re-colours the districts already drawn: the map is not rebuilt or re-zoomed."""
    blocked = []
    page = open_page(browser, f"{server}/?level=communes", "Ranking:", blocked)
    frame = map_frame(page)
    page.get_by_text("Weights").first.click()
    slider = page.get_by_role("slider", name="Theme: Infrastructure and economic base")
    slider.focus()
    page.wait_for_timeout(3000)  # the map's first report reruns the page once
    frame = map_frame(page)
    before = frame.evaluate("""() => { PK.districts.__mark = 1;
        return [PK.restyled, PK.districts._map.getZoom(), PK.legend.getContainer().innerText]; }""")
    slider.press("ArrowLeft")
    frame.wait_for_function(f"() => PK.restyled > {before[0]}", timeout=60_000)
    after = frame.evaluate("() => [PK.districts.__mark, PK.districts._map.getZoom(), "
                           "PK.legend.getContainer().innerText, PK.districts.getLayers().length]")
    assert after[0] == 1 and after[1] == before[1] and after[3] == 1503
    assert "Composite need score" in after[2]
    assert blocked == []
    page.close()


def test_a_new_weight_sends_the_map_once_and_its_uncertain_outlines_after(browser, server):
    """The first pass sends the new colours; the second only the outlines, the map as a reference."""
    blocked, frames = [], []
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    block_internet(page, blocked)
    page.on("websocket", lambda ws: ws.on("framereceived", lambda p: frames.append(
        p if isinstance(p, bytes) else str(p).encode())))
    page.goto(f"{server}/?level=communes", wait_until="domcontentloaded")
    map_frame(page)
    settle(page)
    page.get_by_text("Weights").first.click()
    slider = page.get_by_role("slider", name="Theme: Infrastructure and economic base")
    slider.focus()
    settle(page)
    sent = len(frames)
    slider.press("ArrowLeft")
    page.locator(".pk-pending").wait_for(state="attached", timeout=60_000)  # the first pass is out
    settle(page)
    kinds = [(message_kind(f), len(f)) for f in frames[sent:]]
    assert [k for k, _ in kinds].count("map") == 1, kinds  # the second pass does not send the map again
    assert next(n for k, n in kinds if k == "map") < 30_000  # numbers only: no geometry
    assert sum(n for _, n in kinds) < 200_000
    frame = map_frame(page)
    uncertain = frame.evaluate("() => [PK.style.uncertain.length, PK.legend.getContainer().innerText]")
    assert uncertain[0] > 0 and "top place uncertain" in uncertain[1], uncertain
    assert blocked == []
    page.close()
