"""The text of a PDF page as a reader would copy it, for tests of the briefs."""

from __future__ import annotations

import re

# pypdf (and pdfium) give control characters between the glyphs of a right-to-left line (their text
# order of positioned glyphs), and stray signs for Noto Naskh's separate dot glyphs inside a word
# ("الر&ت%بة"); the letters themselves come back as written.
_INSIDE_ARABIC_WORD = re.compile(r"(?<=[\u0600-\u06FF])[^\u0600-\u06FF\s\d]+(?=[\u0600-\u06FF])")


def page_text(page) -> str:
    """The extracted text of a ``pypdf`` page without those control characters and stray signs."""
    text = "".join(ch for ch in page.extract_text() if ch >= " " or ch == "\n")
    return _INSIDE_ARABIC_WORD.sub("", text)
