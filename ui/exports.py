"""Downloads of the current view: ranked CSV/Excel, GeoPackage/GeoJSON, standalone HTML map."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo.brief import BriefInputs, brief_pdf
from geo.dataset import LevelData, export_metadata, ranked_table, reference_values
from geo.fonts import MissingFontError, font_files
from geo.i18n import _, get_language, using
from geo.io import write_table
from geo.labels import column_labels, labelled_columns
from geo.picture import map_png
from geo.scoring import ScoreResult
from ui import state
from ui.mapview import view_classes
from ui.state import View
from ui.text import plain


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


def _in_language(lang: str, build: Callable, *args):
    """``build(*args)`` with the texts in ``lang`` (a download is built after the page's run)."""
    with using(lang):
        return build(*args)


def labelled_csv_bytes(data: LevelData, result: ScoreResult, keep: pd.Series,
                       extra: pd.DataFrame | None = None) -> bytes:
    """The ranked export with plain column labels and category names, for reading (the ids stay in the CSV)."""
    table = ranked_table(data, result, extra).drop(columns="geometry")
    table = table[table["code"].isin(keep.index[keep])].reset_index(drop=True)
    return labelled_columns(table, data.layers, state.theme_labels()).to_csv(index=False).encode("utf-8-sig")


def brief_inputs(view: View, data: LevelData, table: pd.DataFrame, result: ScoreResult,
                 extra: pd.DataFrame | None, notes: dict[str, str] | None = None) -> BriefInputs:
    """What a district brief of the current view is made of (the same numbers as the exports)."""
    region = data.districts["region_code" if "region_code" in data.districts else "parent_code"].astype(str)
    return BriefInputs(data=data, result=result, table=table, national=reference_values(data),
                       regional=reference_values(data, region), extra=extra,
                       settings=settings_of(view, data, result, notes), title=_(state.config().title),
                       scheme=view.scheme, classes=view.classes, theme_labels=state.theme_labels(),
                       palette=state.config().display.palette)


def brief_button(view: View, data: LevelData, table: pd.DataFrame, result: ScoreResult, code: str,
                 extra: pd.DataFrame | None, *, key: str = "dl.brief") -> None:
    """A download button for the one-page brief (PDF) of district ``code``, built on click."""
    lang = get_language()  # the brief is built on click, after this run: in its language
    try:
        font_files()
    except MissingFontError as exc:  # says which file and `make assets`; the rest of the page works
        st.caption(plain(str(exc)))
        return
    st.download_button(
        _("⬇ District brief (PDF)"), data=lambda: _in_language(
            lang, lambda: brief_pdf(brief_inputs(view, data, table, result, extra), [code])),
        file_name=f"brief_{code}.pdf", mime="application/pdf", key=key, on_click="ignore",
        help=_("One printable page: map, rank and likely range, why, indicators, sources and settings"))


def map_picture(view: View, data: LevelData, table: pd.DataFrame, result: ScoreResult, keep: pd.Series,
                title: str, extra: pd.DataFrame | None = None) -> bytes:
    """A PNG of the current map, with legend and title: the dashboard's own classes and colours.

    The classes are :func:`ui.mapview.view_classes` of the kept districts, the same call the
    live map and the HTML export make, so every district has the colour it has on screen.
    """
    shown = keep.index[keep]
    _column, legend, classes, _shown = view_classes(view, data, table[keep], extra)
    top = table.loc[shown].dropna(subset=["rank"]).sort_values("rank").index[: view.top_n].tolist()
    return map_png(data.districts.geometry.loc[shown], classes, title=title, legend_title=legend, outline=top)


MIME = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".gpkg": "application/geopackage+sqlite3",
    ".geojson": "application/geo+json",
}


def render_downloads(view: View, data: LevelData, result: ScoreResult, keep: pd.Series,
                     html_map: Callable[[], str] | None = None, extra: pd.DataFrame | None = None,
                     notes: dict[str, str] | None = None, picture: Callable[[], bytes] | None = None) -> None:
    """Download buttons for the current view."""
    meta = settings_of(view, data, result, notes)
    lang = get_language()  # the files are built on click, after this run: in its language
    name = f"ranking_{view.level}"
    cols = st.columns(5)
    for col, suffix, label in zip(cols, (".csv", ".xlsx", ".gpkg", ".geojson"),
                                  ("CSV", _("Excel"), "GeoPackage", "GeoJSON")):
        col.download_button(
            f"⬇ {label}", data=lambda s=suffix: _in_language(lang, export_bytes, data, result, keep, s, meta, extra),
            file_name=f"{name}{suffix}", mime=MIME[suffix], width="stretch", key=f"dl{suffix}",
            on_click="ignore",
        )
    if html_map is not None:
        cols[4].download_button(_("⬇ HTML map"), data=lambda: _in_language(lang, html_map), file_name=f"map_{view.level}.html",
                                mime="text/html", width="stretch", key="dl.html", on_click="ignore")
    more = st.columns(5)
    more[0].download_button(
        _("⬇ CSV with labels"), data=lambda: labelled_csv_bytes(data, result, keep, extra),
        file_name=f"{name}_labelled.csv", mime="text/csv", width="stretch", key="dl.labelled.csv",
        on_click="ignore", help=_("Plain column names and categories for reading; the CSV above keeps the ids"))
    if picture is not None:
        try:
            font_files()
        except MissingFontError as exc:  # says which file and `make assets`; the other downloads work
            more[1].caption(plain(str(exc)))
        else:
            more[1].download_button(_("⬇ Map picture (PNG)"), data=lambda: _in_language(lang, picture),
                                    file_name=f"map_{view.level}.png", mime="image/png", width="stretch",
                                    key="dl.png", on_click="ignore")
