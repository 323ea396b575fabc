"""A planner's path through the dashboard in headless Chromium, the internet blocked."""

from __future__ import annotations

import pytest

from .browser import block_internet, map_frame, shot

pytestmark = pytest.mark.browser


def open_page(browser, url, blocked, width=1440, height=900):
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    block_internet(page, blocked)
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text("Ranking:").first.wait_for(timeout=120_000)
    return page


def settle(page, ms: int = 1500) -> None:
    """Wait until Streamlit has finished the current run."""
    page.wait_for_timeout(500)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=60_000)
    page.wait_for_timeout(ms)


def click_row(page, row: int) -> None:
    """Tick the selection box of row ``row`` (0 = first) of the ranking table."""
    grid = page.locator('[class*="st-key-table_"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 35 * row + 17)


def test_search_after_a_row_selection_keeps_the_district(browser, server):
    blocked = []
    page = open_page(browser, server, blocked)
    map_frame(page)
    settle(page)
    click_row(page, 1)  # Taounate, rank 2
    page.wait_for_url("**selected=03.531**", timeout=60_000)
    for query in ("Zag", "Figuig", "zzzz"):
        search = page.get_by_placeholder("e.g. Figuig")
        search.fill(query)
        search.press("Enter")
        settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "selected=03.531" in page.url
        assert page.get_by_role("heading", name="Taounate").count() >= 1
    shot(page, "search_keeps_selection")
    assert blocked == []
    page.close()


def test_a_region_filter_after_a_row_selection_keeps_the_district(browser, server):
    blocked = []
    page = open_page(browser, f"{server}/?level=provinces", blocked)
    map_frame(page)
    settle(page)
    click_row(page, 4)  # Zagora, rank 5
    page.wait_for_url("**selected=08.587**", timeout=60_000)
    page.get_by_text("Filters").first.click()
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Region").click()
    page.get_by_role("option", name="Oriental", exact=False).first.click()
    settle(page)
    assert "region=" in page.url and "selected=08.587" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()
