"""The page's second pass, asked by the browser once the first pass has been sent.

A page whose slow part (the Monte Carlo, the permutations) is not computed yet for the view goes
out without it and ends with :func:`ask`: an invisible frame, the page's last element, sends the
token back once, and that rerun (:func:`asked` is then true) computes the slow part and shows it.
Asked by the browser rather than by ``st.rerun``, the second pass carries the messages the browser
already holds, so Streamlit sends what has not changed as a reference; and coming after the last
element, it never interrupts the first pass. It also hands the live map its uncertain outlines
(the frames share the page's origin), so that when only they change the map's message does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

NAME = "pockets_second_pass"
_component = components.declare_component(NAME, path=str(Path(__file__).with_name("secondpass")))
KEY = "pk_second_pass"  # the frame's widget key
ASKED = "_pk_second_pass_asked"  # the token the browser last asked for
CSS = "<style>.st-key-pk_second_pass_box { display: none; }</style>"  # the frame takes no room
MARK = '<span class="pk-pending"></span>'  # in the page while its second pass is still to come


def _record() -> None:
    st.session_state[ASKED] = st.session_state.get(KEY)


def asked(token: str) -> bool:
    """Whether the browser asked for the second pass of ``token`` (this run is that pass)."""
    return st.session_state.get(ASKED) == token


def pending_of(json_args: str | None) -> str | None:
    """The token a rendered last element asks the browser to send back (its arguments as Streamlit
    sends them), or None: what a client that is not a browser reads to do the second pass."""
    return json.loads(json_args or "{}").get("pending") or None


def ask(token: str | None, *, outlines: dict | None = None) -> None:
    """The page's last element: with a ``token``, the browser asks for the second pass once.

    ``outlines`` (``{"for": token, "uncertain": positions or None}``) go to the page's live map,
    which draws them when its style names the same token (``outlines_for``).
    """
    with st.container(key="pk_second_pass_box"):
        st.html(CSS + (MARK if token else ""))
        _component(pending=token, outlines=outlines, key=KEY, default=None, on_change=_record)
