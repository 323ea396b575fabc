"""The profile's brief and the map picture downloaded from the dashboard, in French and Arabic, offline."""

from __future__ import annotations

import io

import pytest

from .browser import ARTIFACTS, block_internet, download
from .pdftext import holds_letters_of, page_text

pytestmark = pytest.mark.browser
pypdf = pytest.importorskip("pypdf")


def _button(page, key: str):
    return page.locator(f'[class*="st-key-{key}"] button').first


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_profile_brief_and_map_picture_in_the_page_language(browser, server, lang):
    from PIL import Image

    blocked: list[str] = []
    page = browser.new_page(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    block_internet(page, blocked)
    page.goto(f"{server}/?level=provinces&selected=02.251&lang={lang}", wait_until="domcontentloaded")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = download(page, _button(page, "dl-brief"), ARTIFACTS / f"dashboard_brief_{lang}.pdf").read_bytes()
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = page_text(reader.pages[0])
    assert len(reader.pages) == 1 and "Figuig" in text and "فجيج" in text
    if lang == "fr":
        assert "Rang" in text
    else:  # "Rank" in Arabic: its letters (a reader may give a shaped word's glyphs in another order)
        assert "Rank" not in text and holds_letters_of(text, "الرتبة")
    png = download(page, _button(page, "dl-png"), ARTIFACTS / f"dashboard_map_{lang}.png").read_bytes()
    assert Image.open(io.BytesIO(png)).size == (1600, 1200)
    assert blocked == []
    page.close()
