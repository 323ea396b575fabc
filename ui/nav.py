"""The page menu: links that carry the view, so that a page change never loses it.

Streamlit clears a URL's query parameters when the user moves to another page.
The view normally survives in ``st.session_state``; but after a server restart
the browser's next click starts a new session, whose first run would find
neither a session nor parameters and fall back to the defaults, silently. The
links of this menu carry the view's parameters (:func:`ui.state.view_to_query`),
so every page, in a new session too, starts from the view the user was looking at.
"""

from __future__ import annotations

from typing import Sequence

import streamlit as st

from geo.errors import TargetingError
from ui import state

VIEW_KEY = "view"  # the session's view, kept by ui.sidebar under the same key


def view_query() -> dict[str, str]:
    """The query parameters of the session's view (or of the URL when the session has none yet)."""
    view = st.session_state.get(VIEW_KEY)
    if view is not None:
        try:
            return state.view_to_query(view)
        except TargetingError:  # a configuration that cannot be read: keep what the URL says
            pass
    return {k: st.query_params[k] for k in st.query_params}


def page_links(pages: Sequence[st.Page], where=None) -> None:
    """Draw one link per page, each carrying the current view's query parameters."""
    target = where if where is not None else st.sidebar
    query = view_query()
    for page in pages:
        target.page_link(page, query_params=query or None)
