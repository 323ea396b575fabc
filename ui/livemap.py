"""The live map in the dashboard: a Streamlit component that stays mounted across reruns.

Its frame (``ui/mapclient/index.html``) loads Leaflet from the dashboard's static route and
fetches the level's geometry file once (``static/maps/geometry-<hash>.json``), and its points
file once when the level has point layers (``static/maps/points-<hash>.json``); on every rerun
Streamlit sends it only the component's arguments: URLs and the numbers of the view
(:func:`ui.maps.map_style`, its per-district arrays as raw bytes). A click, a search or a choice in the top list comes back as the
district's code.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
import streamlit.components.v1 as components

from ui import maps

NAME = "pockets_map"
_component = components.declare_component(NAME, path=str(maps.CLIENT_DIR))


@st.cache_data(show_spinner=False, max_entries=16)
def _geometry_name(_geometry: dict[str, Any], key: tuple) -> str:
    return maps.geometry_file(_geometry)


def geometry_url(geometry: dict[str, Any], key: tuple) -> str:
    """URL of the geometry file, written once per ``key`` (level and what shapes it) and shared."""
    return maps.static_url("maps", _geometry_name(geometry, key))


def live_map(geometry: str, style: dict[str, Any], *, key: str, height: int = 560, large: bool = False,
             world: bool = True, points: str | None = None) -> str | None:
    """Draw (or re-colour) the map; return the code of a district the user just chose, else ``None``.

    Parameters
    ----------
    geometry : str
        URL of the level's geometry file (:func:`geometry_url`).
    style : dict
        The numbers of the view (:func:`ui.maps.map_style`).
    key : str
        Widget key: the same key keeps the same mounted map.
    height : int
        Height in pixels.
    large : bool
        Projector print size.
    world : bool
        Draw the neighbouring countries (when installed).
    points : str, optional
        URL of the level's points file (:func:`ui.mapview.points_url`): drawn clustered, as an
        overlay the user turns on, when supercluster is installed (``make assets``).

    Returns
    -------
    str or None
        A newly clicked or searched district, once per choice (a second click counts too).
    """
    maps.check_assets()
    maps.check_static_serving()
    world_url = maps.static_url("vendor", "world-atlas", maps.WORLD_FILE.name) if world and maps.WORLD_FILE.is_file() else None
    cluster_url = maps.static_url("vendor", "supercluster", maps.CLUSTER_FILE.name) \
        if points and maps.CLUSTER_FILE.is_file() else None
    # The per-district arrays go as bytes beside the style: a quarter fewer than their base64 text.
    arrays = {f"array_{name}": style[name] for name in maps.STYLE_ARRAYS if name in style}
    style = {name: value for name, value in style.items() if name not in maps.STYLE_ARRAYS}
    event = _component(geometry=geometry, style=style, leaflet=maps.default_asset_url(), world=world_url,
                       points=points if cluster_url else None, cluster=cluster_url,
                       height=height, large=large, key=key, default=None, **arrays)
    if not isinstance(event, dict) or not event.get("code"):
        return None
    seen = f"_{key}_choice"
    if st.session_state.get(seen) == event.get("n"):
        return None
    st.session_state[seen] = event.get("n")
    return str(event["code"])
