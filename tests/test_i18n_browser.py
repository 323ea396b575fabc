"""The French and Arabic dashboard in a real headless Chromium with the internet blocked."""

from __future__ import annotations

import pytest

from .browser import block_internet, download, map_frame, shot

pytestmark = pytest.mark.browser


def open_page(browser, url, blocked):
    page = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    block_internet(page, blocked)
    page.goto(url, wait_until="domcontentloaded")
    return page


def test_french_dashboard_shows_french_texts(browser, server, tmp_path):
    blocked = []
    page = open_page(browser, f"{server}/?lang=fr", blocked)
    page.get_by_text("Classement : 75 unités").first.wait_for(timeout=120_000)
    for text in ("Poches de pauvreté au Maroc : recensement 2024", "Niveau administratif", "Couches du score",
                 "Carte et classement", "Données et méthode", "Télécharger", "Poids effectifs"):
        page.get_by_text(text).first.wait_for(timeout=60_000)  # the page menu is written after the page
    frame = map_frame(page)
    legend = frame.locator(".pk-legend")
    assert legend.get_by_text("pas de données").count() == 1
    assert legend.get_by_text("Score composite de besoin (0-100)").count() == 1
    shot(page, "dashboard_fr")
    html = download(page, page.get_by_role("button", name="⬇ Carte HTML"), tmp_path / "carte.html").read_text(
        encoding="utf-8")
    assert "Poches de pauvreté au Maroc" in html and "pas de données" in html
    assert blocked == []
    page.close()


def test_arabic_dashboard_is_right_to_left_with_its_own_font(browser, server):
    blocked = []
    page = open_page(browser, f"{server}/?lang=ar", blocked)
    page.get_by_text("الترتيب:").first.wait_for(timeout=120_000)
    page.wait_for_function("() => getComputedStyle(document.querySelector('[data-testid=\"stMain\"]'))"
                           ".direction === 'rtl'", timeout=30_000)
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for(timeout=120_000)
    assert table.evaluate("e => getComputedStyle(e).direction") == "ltr"
    map_frame(page)
    page.wait_for_timeout(1500)
    fonts = page.evaluate("async () => { await document.fonts.ready; "
                          "return [...document.fonts].filter(f => f.family.includes('Noto Naskh Arabic'))"
                          ".map(f => f.status); }")
    from .browser import ROOT

    if (ROOT / "static" / "fonts" / "noto-naskh-arabic-arabic-400-normal.woff2").is_file():
        assert "loaded" in fonts, fonts
    shot(page, "dashboard_ar")
    assert blocked == []
    page.close()
