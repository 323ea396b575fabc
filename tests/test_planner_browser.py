"""A planner's path through the dashboard in headless Chromium, the internet blocked."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from .browser import block_internet, map_frame, settle, shot

pytestmark = pytest.mark.browser


def open_page(browser, url, blocked, width=1440, height=900):
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    block_internet(page, blocked)
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text("Ranking:").first.wait_for(timeout=120_000)
    return page


def click_row(page, row: int) -> str:
    """Tick the selection box of row ``row`` (0 = first) of the ranking table; return the selected code."""
    for attempt in range(4):
        grid = page.locator('[class*="st-key-table_"]').first
        grid.scroll_into_view_if_needed()
        page.wait_for_timeout(1000)
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 16, box["y"] + 35 + 35 * row + 17)
        try:
            page.wait_for_url("**selected=**", timeout=15_000)
            return parse_qs(urlparse(page.url).query)["selected"][0]
        except Exception:
            if attempt == 3:
                shot(page, f"row_click_{row}")
                raise


def test_search_after_a_row_selection_keeps_the_district(browser, server):
    blocked = []
    page = open_page(browser, server, blocked)
    map_frame(page)
    settle(page)
    code = click_row(page, 1)  # the district ranked 2nd
    name = page.locator('[data-testid="stHeading"]').filter(has_text="·").first.inner_text().split("·")[0].strip()
    for query in ("Zag", "Figuig", "zzzz"):
        search = page.get_by_placeholder("e.g. Figuig")
        search.fill(query)
        search.press("Enter")
        settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert f"selected={code}" in page.url
        assert page.get_by_role("heading", name=name).count() >= 1
    shot(page, "search_keeps_selection")
    assert blocked == []
    page.close()


def test_a_region_filter_after_a_row_selection_keeps_the_district(browser, server):
    blocked = []
    page = open_page(browser, f"{server}/?level=provinces", blocked)
    map_frame(page)
    settle(page)
    code = click_row(page, 4)  # the district ranked 5th
    page.get_by_text("Filters").first.click()
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Region").click()
    page.get_by_role("option", name="Oriental", exact=False).first.click()
    settle(page)
    assert "region=" in page.url and f"selected={code}" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()


def _frame_box(page):
    frame = map_frame(page)
    return frame.frame_element().bounding_box()


def test_the_profile_opens_beside_the_map(browser, server):
    blocked = []
    page = open_page(browser, f"{server}/?selected=08.587", blocked)
    box = _frame_box(page)
    heading = page.get_by_role("heading", name=re.compile(r"Zagora.* · Drâa-Tafilalet"))  # the name in both scripts, then the region
    heading.wait_for(timeout=60_000)
    settle(page)
    h = heading.bounding_box()
    assert h["x"] > box["x"] + box["width"] - 5 and h["y"] < box["y"] + box["height"]  # beside, not below
    why = page.get_by_text(re.compile(r"^Ranks \d+(st|nd|rd|th) of 75")).first
    assert why.is_visible() and why.bounding_box()["y"] < 900
    shot(page, "profile_beside_map_1440")
    assert blocked == []
    page.close()


def test_at_1024_the_map_takes_the_width_and_the_profile_goes_under_it(browser, server):
    blocked = []
    page = open_page(browser, f"{server}/?selected=02.251", blocked, width=1024, height=768)
    box = _frame_box(page)
    settle(page)
    main = page.locator('[data-testid="stMain"]').bounding_box()
    assert box["width"] > 0.5 * main["width"] and box["width"] > 500
    heading = page.get_by_role("heading", name=re.compile(r"Figuig.* · Oriental"))  # the name in both scripts, then the region
    assert heading.bounding_box()["y"] > box["y"] + box["height"] - 5
    shot(page, "narrow_1024")
    page.close()


def test_workshop_screen_holds_name_rank_reasons_and_locator(browser, server):
    blocked = []
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    block_internet(page, blocked)
    page.goto(f"{server}/workshop", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Figuig").wait_for(timeout=120_000)
    box = _frame_box(page)
    settle(page)
    for locator in (page.get_by_role("heading", name="Figuig"), page.get_by_text("Rank 1st of 75").first,
                    page.get_by_text("Main reasons").first, page.locator('[data-testid="stImage"]').first):
        b = locator.bounding_box()
        assert b is not None and b["y"] + b["height"] <= 1080, locator
    assert box["y"] + box["height"] <= 1080
    assert page.locator('[data-testid="stSidebar"][aria-expanded="true"]').count() == 0  # collapsed
    next_button = page.get_by_role("button", name="Next (N) ▶")
    assert next_button.bounding_box()["width"] >= next_button.evaluate("b => b.scrollWidth") - 1  # not cut off
    shot(page, "workshop_1920")
    page.keyboard.press("n")
    page.get_by_role("heading", name="Taounate").wait_for(timeout=60_000)
    assert blocked == []
    page.close()


# The map's scale bar in metres (Leaflet writes "20 km" or "500 m").
_SCALE_M = """() => { const t = document.querySelector('.leaflet-control-scale-line').textContent.trim();
    const v = parseFloat(t); return t.endsWith('km') ? v * 1000 : v; }"""


def test_workshop_commune_step_keeps_its_neighbours_and_names_it(browser, server):
    blocked = []
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    block_internet(page, blocked)
    page.goto(f"{server}/workshop?level=communes", wait_until="domcontentloaded")
    page.get_by_text("1 of 10").first.wait_for(timeout=120_000)
    settle(page, 3000)
    frame = map_frame(page)
    for step in range(2):
        focus = frame.evaluate("PK.geometry.codes[PK.style.focus]")
        name = frame.evaluate("PK.geometry.names[PK.style.focus]")
        page.get_by_role("heading", name=name).wait_for(timeout=60_000)
        assert frame.evaluate(_SCALE_M) >= 5000, "zoomed in too far to tell where the commune is"
        on_map = frame.evaluate("Array.from(document.querySelectorAll('.pk-focus-name')).map(e => e.textContent)")
        assert on_map == [name]  # the district's own name, large, on the map
        neighbours = frame.evaluate("""([code]) => { const b = PK.byCode[code].getBounds();
            return PK.layers.filter(l => l && l !== PK.byCode[code] && l.getBounds().intersects(b))
                .map(l => PK.geometry.names[l._pkI]); }""", [focus])
        labels = set(frame.evaluate("Array.from(document.querySelectorAll('.pk-name-label')).map(e => e.textContent)"))
        assert len(labels & set(neighbours)) >= 2, (labels, neighbours)
        inside = frame.evaluate("([code]) => PK.map.getBounds().contains(PK.byCode[code].getBounds())", [focus])
        assert inside, "the commune is not wholly in view"
        for locator in (page.get_by_text("Main reasons").first, page.locator('[data-testid="stImage"]').first):
            b = locator.bounding_box()
            assert b is not None and b["y"] + b["height"] <= 1080, locator
        shot(page, f"workshop_communes_{step + 1}_1920")
        page.keyboard.press("n")
        page.get_by_text("2 of 10").first.wait_for(timeout=60_000)
        settle(page, 2000)
    assert blocked == []
    page.close()


def test_provinces_map_names_the_largest_towns_clear_of_the_top_labels(browser, server):
    blocked = []
    page = open_page(browser, server, blocked)
    frame = map_frame(page)
    settle(page)
    towns = frame.evaluate("Array.from(document.querySelectorAll('.pk-town')).map(e => e.textContent)")
    assert towns[:2] == ["Casablanca", "Tanger"] and len(towns) >= 4, towns  # most populous first, where they fit
    boxes = frame.evaluate("""() => Array.from(document.querySelectorAll('.pk-label span')).map(e => {
        const r = e.getBoundingClientRect(); return [e.className, r.left, r.top, r.right, r.bottom]; })""")
    top = [b for b in boxes if "pk-rank" in b[0] or "pk-top-name" in b[0]]
    for t in (b for b in boxes if "pk-town" in b[0]):
        for o in top:
            assert not (t[1] < o[3] and t[3] > o[1] and t[2] < o[4] and t[4] > o[2]), (t, o)
    assert "Largest towns (15)" in frame.locator(".pk-overlays").inner_text()
    frame.locator("input[data-overlay=towns]").uncheck()
    assert frame.evaluate("document.querySelectorAll('.pk-town').length") == 0
    frame.locator("input[data-overlay=towns]").check()
    assert frame.evaluate("document.querySelectorAll('.pk-town').length") == len(towns)
    assert blocked == []
    page.close()
