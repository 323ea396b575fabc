"""Showing user-provided text safely in Streamlit."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_\[\]<>$~|#])")


def plain(text: object) -> str:
    """Text shown literally by Streamlit's Markdown (file names and cells may hold any character).

    Examples
    --------
    >>> plain("col_a [x] costs $5")
    'col\\\\_a \\\\[x\\\\] costs \\\\$5'
    """
    return _MARKDOWN.sub(r"\\\1", str(text))
