"""The text of a PDF page as a reader would copy it, for tests of the briefs."""

from __future__ import annotations

import re

# pypdf (and pdfium) give control characters between the glyphs of a right-to-left line (their text
# order of positioned glyphs), and stray signs for Noto Naskh's separate dot glyphs inside a word
# ("الر&ت%بة", "الر1ت0بة"); the letters themselves come back as written.
_INSIDE_ARABIC_WORD = re.compile(r"(?<=[\u0600-\u06FF])[^\u0600-\u06FF\s]+(?=[\u0600-\u06FF])")


def page_text(page) -> str:
    """The extracted text of a ``pypdf`` page without those control characters and stray signs."""
    text = "".join(ch for ch in page.extract_text() if ch >= " " or ch == "\n")
    return _INSIDE_ARABIC_WORD.sub("", text)


def holds_letters_of(text: str, word: str) -> bool:
    """Whether every letter of ``word`` is in ``text`` as often as in the word.

    For a shaped right-to-left word, whose glyphs a PDF reader may give back in another order
    (``"بةتالر"`` for ``"الرتبة"``): the letters, not their order, are what the page's text holds.
    """
    from collections import Counter

    need, have = Counter(word), Counter(text)
    return all(have[ch] >= n for ch, n in need.items())
