"""Cached access to the engine for the dashboard.

Expensive work (reading files, joins, zonal statistics) is cached here with
``st.cache_data``; cached objects are returned as copies by Streamlit, so a
page can never change another session's data in place.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from geo.config import Config, load_config
from geo.dataset import LevelData, load_level

ROOT = Path(__file__).resolve().parents[1]
CONFIG_PATH = Path(os.environ.get("POCKETS_CONFIG", ROOT / "config.toml"))


@st.cache_resource(show_spinner=False)
def config() -> Config:
    """The validated configuration (frozen, safe to share between sessions)."""
    return load_config(CONFIG_PATH)


@st.cache_data(show_spinner="Loading districts and layers…")
def level_data(level: str) -> LevelData:
    """One admin level with every layer loaded (see :func:`geo.dataset.load_level`)."""
    return load_level(config(), level)


@st.cache_data(show_spinner=False)
def display_shapes(level: str, tolerance: float = 0.004) -> gpd.GeoSeries:
    """District outlines simplified for the browser, in EPSG:4326.

    ``coverage_simplify`` keeps shared borders shared, so no gaps or slivers
    appear between neighbours; coordinates are rounded to 4 decimals (~10 m).
    """
    geoms = level_data(level).districts.geometry.to_crs(4326)
    simple = shapely.coverage_simplify(geoms.to_numpy(), tolerance)
    simple = shapely.set_precision(simple, 1e-4)
    return gpd.GeoSeries(simple, index=geoms.index, crs=4326)


def reports_frame(data: LevelData) -> pd.DataFrame:
    """Unmatched items of every join of a level, for display."""
    frames = [r.as_frame().assign(table=r.table) for r in data.join_reports]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
