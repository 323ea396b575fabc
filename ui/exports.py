"""Downloads of the current view: ranked CSV/Excel, GeoPackage/GeoJSON, standalone HTML map."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo.dataset import LevelData, export_metadata, ranked_table
from geo.i18n import _, column_labels
from geo.io import write_table
from geo.scoring import ScoreResult
from ui import state
from ui.state import View


def settings_of(view: View, data: LevelData, result: ScoreResult, notes: dict[str, str] | None = None
                ) -> dict[str, str]:
    """What an export was made with: method, weights, level, filters, data files, analytics."""
    meta = export_metadata(state.config(), data, result, weights=view.weights, theme_weights=view.theme_weights)
    meta.update({f"analysis.{k}": v for k, v in (notes or {}).items()})
    meta.update({
        "filter.region": view.region or "all",
        "filter.area": view.area,
        "filter.min_population": str(view.min_population),
        "layers": ",".join(view.layers),
        "map_layer": view.map_layer,
    })
    return meta


def export_bytes(data: LevelData, result: ScoreResult, keep: pd.Series, suffix: str,
                 metadata: dict[str, str], extra: pd.DataFrame | None = None) -> bytes:
    """The ranked export of the kept districts, in the format of ``suffix``, as the command line writes it."""
    table = ranked_table(data, result, extra)
    table = table[table["code"].isin(keep.index[keep])].reset_index(drop=True)
    if suffix in (".gpkg", ".geojson"):
        table = gpd.GeoDataFrame(table, geometry="geometry", crs=data.districts.crs)
    return table_bytes(table, suffix, metadata, labels=column_labels(table.columns, data.layers, themes=state.theme_labels()))


def table_bytes(table: pd.DataFrame, suffix: str, metadata: dict[str, str],
                labels: dict[str, str] | None = None) -> bytes:
    """``table`` written by :func:`geo.io.write_table` in the format of ``suffix``, as bytes
    (an Excel file gets a ``columns`` sheet with ``labels``, the headers in the chosen language)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_table(table, Path(tmp) / f"ranked{suffix}", metadata=metadata, labels=labels)
        return path.read_bytes()


MIME = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".gpkg": "application/geopackage+sqlite3",
    ".geojson": "application/geo+json",
}


def render_downloads(view: View, data: LevelData, result: ScoreResult, keep: pd.Series,
                     html_map: Callable[[], str] | None = None, extra: pd.DataFrame | None = None,
                     notes: dict[str, str] | None = None) -> None:
    """Download buttons for the current view."""
    meta = settings_of(view, data, result, notes)
    name = f"ranking_{view.level}"
    cols = st.columns(5)
    for col, suffix, label in zip(cols, (".csv", ".xlsx", ".gpkg", ".geojson"),
                                  ("CSV", _("Excel"), "GeoPackage", "GeoJSON")):
        col.download_button(
            f"⬇ {label}", data=lambda s=suffix: export_bytes(data, result, keep, s, meta, extra),
            file_name=f"{name}{suffix}", mime=MIME[suffix], width="stretch", key=f"dl{suffix}",
            on_click="ignore",
        )
    if html_map is not None:
        cols[4].download_button(_("⬇ HTML map"), data=html_map, file_name=f"map_{view.level}.html",
                                mime="text/html", width="stretch", key="dl.html", on_click="ignore")
