"""What the map client receives: the geometry of a level once, the numbers of a view on every change.

The map is drawn in the browser by one JavaScript client, ``ui/mapclient/pockets-map.js``
(Leaflet's canvas renderer, no tiles, no CDN). It runs in the dashboard as a Streamlit
component (:mod:`ui.livemap`) and inlined in the standalone HTML file
(:func:`standalone_html`). This module builds its two inputs:

- :func:`level_geometry` -> a dict with, per district, its code, name, rings
  (coordinates rounded to 1e-5 degrees, each ring delta-encoded as a polyline string),
  label point, parent name and label priority (population), plus the outlines and names
  of the regions drawn over it, the largest towns and the initial view (where the
  population lives, or ``[display] bounds``; safe across the antimeridian). The
  dashboard writes it once per level to a content-hashed file under ``static/maps/``
  (:func:`geometry_file`), which the browser fetches once and caches.
- :func:`map_points` -> the point layers' points inside a district (one group per file,
  its label, how many are drawn of how many rows), polyline-encoded like the rings, written
  once to ``static/maps/points-<hash>.json`` (:func:`points_file`); the client clusters them
  with supercluster when the user turns them on. :func:`largest_towns` gives the towns the
  geometry names.
- :func:`map_style` -> the numbers of the current view, aligned with the geometry's
  codes: class index (int8), mapped value (float32), rank (uint16/uint32), score
  (uint16, hundredths), the three main contributing layers (uint8 indices), packed as
  typed arrays' bytes (base64 in the standalone file), plus the colours, legend rows (:mod:`geo.classify`, the same classes as every
  export), the top districts, the uncertain ones and the selection. Tooltips are built in
  the browser from these numbers and the names sent once.

Every string reaches the page as text (the client uses ``textContent`` or escapes), and
:func:`_js` keeps JSON inlined in a ``<script>`` from closing it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.classify import MapClasses

ROOT = Path(__file__).resolve().parents[1]
LEAFLET_DIR = ROOT / "static" / "vendor" / "leaflet"
LEAFLET_FILES = ("leaflet.js", "leaflet.css")
WORLD_FILE = ROOT / "static" / "vendor" / "world-atlas" / "countries-50m.json"
# supercluster (npm, ISC): clusters the point layers' points in the browser.
CLUSTER_FILE = ROOT / "static" / "vendor" / "supercluster" / "supercluster.min.js"
CLIENT_DIR = ROOT / "ui" / "mapclient"
# Generated geometry files, served by Streamlit's static serving at /app/static/maps/.
MAP_FILES_DIR = ROOT / "static" / "maps"
MAX_MAP_FILES = 64
# Where Streamlit serves ``static/`` (``server.enableStaticServing``), below the base URL path.
STATIC_ROUTE = "app/static"
UNCERTAIN_HELP = "in the top in more than 10% but less than 90% of the Monte Carlo draws"
# The client's hidden class (a district filtered out of the view) and no-data class.
HIDDEN, NO_DATA = -2, -1
_PRECISION = 1e5  # coordinates are sent in units of 1e-5 degrees
_JS_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class MissingAssetsError(FileNotFoundError):
    """The map's vendored files are not installed in ``static/vendor`` (run ``make assets``)."""


# ----------------------------------------------------------------------------- geometry
def _zigzag_chars(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polyline characters of signed integers: a ``(n, 7)`` byte array and a mask of used cells."""
    v = np.where(values < 0, ~(values << 1), values << 1).astype(np.int64)
    chunks = np.stack([(v >> (5 * c)) & 31 for c in range(7)], axis=1)
    rest = np.stack([v >> (5 * (c + 1)) for c in range(7)], axis=1)
    used = np.concatenate([np.ones((len(v), 1), bool), rest[:, :-1] > 0], axis=1)
    chars = (chunks | np.where(rest > 0, 0x20, 0)) + 63
    return chars.astype(np.uint8), used


def _encode_rings(geoms: Sequence[Any]) -> list[list[list[str]]]:
    """Every geometry as polygons of rings, each ring a polyline string of x, y deltas.

    Coordinates are rounded to 1e-5 degrees; the closing vertex of each ring is dropped (the
    browser closes rings again). Vectorised with shapely's array functions: no Python loop over
    vertices or geometries, only over the rings' strings at the end.
    """
    geoms = np.asarray(list(geoms), dtype=object)
    n = len(geoms)
    if n == 0:
        return []
    valid = np.array([g is not None for g in geoms])
    parts, part_of = shapely.get_parts(np.where(valid, geoms, None), return_index=True)
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)  # polygons only
    parts, part_of = parts[keep], part_of[keep]
    if len(parts) == 0:
        return [[] for _ in range(n)]
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, coord_of = shapely.get_coordinates(rings, return_index=True)
    sizes = np.bincount(coord_of, minlength=len(rings))
    last = np.cumsum(sizes) - 1
    body = np.ones(len(coords), bool)
    body[last] = False  # the closing vertex
    coords, coord_of = coords[body], coord_of[body]
    sizes = sizes - 1
    ints = np.rint(coords * _PRECISION).astype(np.int64)
    deltas = ints.copy()
    deltas[1:] -= ints[:-1]
    firsts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    deltas[firsts] = ints[firsts]  # each ring starts from absolute coordinates
    chars, used = _zigzag_chars(deltas.reshape(-1))
    per_vertex = used.sum(axis=1).reshape(-1, 2).sum(axis=1)
    text = chars[used].tobytes().decode("ascii")
    char_ends = np.cumsum(np.bincount(coord_of, weights=per_vertex, minlength=len(rings)).astype(np.int64))
    char_starts = np.concatenate([[0], char_ends[:-1]])
    ring_text = [text[a:b] for a, b in zip(char_starts.tolist(), char_ends.tolist())]
    polys: list[list[str]] = [[] for _ in range(len(parts))]
    for text_i, part_i in zip(ring_text, ring_of.tolist()):
        polys[part_i].append(text_i)
    out: list[list[list[str]]] = [[] for _ in range(n)]
    for poly, geom_i in zip(polys, part_of.tolist()):
        out[geom_i].append(poly)
    return out


def _clean_shapes(shapes: gpd.GeoSeries) -> gpd.GeoSeries:
    shapes = shapes[~(shapes.isna() | shapes.is_empty)].copy()
    shapes.index = shapes.index.astype(str)
    if shapes.crs is not None and not shapes.crs.equals("EPSG:4326"):
        shapes = shapes.to_crs(4326)
    return shapes


def encode_shapes(shapes: gpd.GeoSeries) -> pd.Series:
    """The polygons as the map sends them (rings delta-encoded in 1e-5 degrees), by code.

    Parameters
    ----------
    shapes : geopandas.GeoSeries
        Polygons in EPSG:4326, index = code.

    Returns
    -------
    pandas.Series
        Per code, a list of polygons, each a list of encoded rings.
    """
    shapes = _clean_shapes(shapes)
    return pd.Series(_encode_rings(shapes.to_numpy()), index=shapes.index, dtype=object)


def _wraps(lons: np.ndarray) -> bool:
    """Whether the districts sit across the antimeridian (shifting west longitudes by 360 narrows them)."""
    if len(lons) == 0:
        return False
    shifted = np.where(lons < 0, lons + 360, lons)
    return bool(np.ptp(shifted) + 1e-9 < np.ptp(lons) and np.ptp(lons) > 180)


def _shift_east(geoms: np.ndarray) -> np.ndarray:
    """Each polygon part west of 0 degrees moved by +360, so the map runs on across the antimeridian."""
    out = []
    for geom in geoms:
        parts = shapely.get_parts(geom)
        moved = [shapely.transform(p, lambda xy: xy + [360.0, 0.0]) if p.centroid.x < 0 else p for p in parts]
        out.append(shapely.MultiPolygon([q for m in moved for q in shapely.get_parts(m)
                                         if isinstance(q, shapely.Polygon)]) if len(moved) != 1 else moved[0])
    return np.array(out, dtype=object)


def population_bounds(lons: np.ndarray, lats: np.ndarray, weights: np.ndarray | None,
                      share: float = 0.96) -> list[float]:
    """``[west, south, east, north]`` framing where most of the weight (population) lives.

    The population-weighted ``(1 - share) / 2`` and ``(1 + share) / 2`` quantiles of the label
    points, padded by 5 %; without weights, every point counts the same.

    Examples
    --------
    >>> population_bounds(np.array([0.0, 1.0, 50.0]), np.array([0.0, 1.0, 50.0]), np.array([10, 10, 0.001]))
    [-0.05, -0.05, 1.05, 1.05]
    """
    lons, lats = np.asarray(lons, float), np.asarray(lats, float)
    w = np.ones(len(lons)) if weights is None else np.nan_to_num(np.asarray(weights, float), nan=0.0)
    if w.sum() <= 0:
        w = np.ones(len(lons))
    low, high = (1 - share) / 2, (1 + share) / 2

    def quantiles(x: np.ndarray) -> tuple[float, float]:
        order = np.argsort(x)
        cum = np.cumsum(w[order]) / w.sum()
        return float(x[order][np.searchsorted(cum, low)]), float(x[order][min(np.searchsorted(cum, high), len(x) - 1)])

    (w0, e0), (s0, n0) = quantiles(lons), quantiles(lats)
    dx, dy = max(e0 - w0, 1e-3) * 0.05, max(n0 - s0, 1e-3) * 0.05
    return [round(w0 - dx, 5), round(s0 - dy, 5), round(e0 + dx, 5), round(n0 + dy, 5)]


def level_geometry(shapes: gpd.GeoSeries, names: pd.Series | None = None, *, parents: pd.Series | None = None,
                   population: pd.Series | None = None, regions: gpd.GeoDataFrame | None = None,
                   towns: pd.DataFrame | None = None, bounds: Sequence[float] | None = None,
                   encoded: pd.Series | None = None, other_names: pd.Series | None = None) -> dict[str, Any]:
    """Everything about a level the map draws once: shapes, names, label points, regions, towns, view.

    Parameters
    ----------
    shapes : geopandas.GeoSeries
        District polygons (index = code), simplified for display.
    names : pandas.Series, optional
        Name per code (default: the code).
    parents : pandas.Series, optional
        Name of the enclosing district per code (tooltips, search results).
    population : pandas.Series, optional
        Population per code: names of the most populous districts are placed first and the
        initial view frames where the population lives.
    regions : geopandas.GeoDataFrame, optional
        Outlines of a coarser level (column ``name``) drawn above the districts, with their names.
    towns : pandas.DataFrame, optional
        Largest towns, columns ``name``, ``lon``, ``lat``, most important first.
    bounds : sequence of 4 floats, optional
        ``[west, south, east, north]`` of the initial view (``[display] bounds``); ``east < west``
        crosses the antimeridian. Default: :func:`population_bounds`.
    encoded : pandas.Series, optional
        The shapes already encoded (:func:`encode_shapes`), by code.
    other_names : pandas.Series, optional
        A second name per code (e.g. in Arabic script): the search box finds either.

    Returns
    -------
    dict
        JSON-ready: ``codes``, ``names``, ``parents``, ``geoms``, ``at`` (label points
        ``[lat, lon]``), ``order`` (label priority), ``regions``, ``towns``, ``view_bounds``,
        ``wrap`` (longitudes west of 0 shifted by 360).
    """
    shapes = _clean_shapes(shapes)
    codes = shapes.index
    geoms = shapes.to_numpy()
    points = shapely.point_on_surface(geoms)
    lons, lats = shapely.get_x(points), shapely.get_y(points)
    wrap = _wraps(lons) or (bounds is not None and bounds[2] < bounds[0])
    if wrap:
        geoms = _shift_east(geoms)
        lons = np.where(lons < 0, lons + 360, lons)
        encoded = None
    if names is None:
        names = pd.Series(codes, index=codes)
    names = names.copy()
    names.index = names.index.astype(str)
    name_list = [str(n) if isinstance(n, str) or pd.notna(n) else c
                 for c, n in zip(codes, names.reindex(codes))]
    pop = None
    if population is not None:
        pop = pd.to_numeric(population.set_axis(population.index.astype(str)), errors="coerce").reindex(codes)
        order = np.argsort(-pop.fillna(-1).to_numpy(), kind="stable")
    else:
        order = np.argsort(-shapely.area(geoms), kind="stable")
    if bounds is not None:
        west, south, east, north = (float(v) for v in bounds)
        if wrap:
            west, east = (west + 360 if west < 0 else west), (east + 360 if east < 0 else east)
        view = [west, south, east, north]
    else:
        view = population_bounds(lons, lats, None if pop is None else pop.to_numpy())
    if encoded is not None:
        rings = encoded.set_axis(encoded.index.astype(str)).reindex(codes).tolist()
    else:
        rings = _encode_rings(geoms)
    out: dict[str, Any] = {
        "codes": list(codes),
        "names": name_list,
        "geoms": rings,
        "at": [[round(float(y), 5), round(float(x), 5)] for x, y in zip(lons, lats)],
        "order": [int(i) for i in order],
        "view_bounds": view,
        "wrap": bool(wrap),
    }
    if parents is not None:
        p = parents.set_axis(parents.index.astype(str)).reindex(codes)
        out["parents"] = ["" if pd.isna(v) else str(v) for v in p]
    if other_names is not None:
        o = other_names.set_axis(other_names.index.astype(str)).reindex(codes)
        out["other_names"] = ["" if pd.isna(v) else str(v) for v in o]
    if regions is not None and len(regions):
        out["regions"] = _regions(regions, wrap)
    if towns is not None and len(towns):
        tlons = towns["lon"].to_numpy(float)
        if wrap:
            tlons = np.where(tlons < 0, tlons + 360, tlons)
        out["towns"] = [{"name": str(n), "at": [round(float(y), 5), round(float(x), 5)]}
                        for n, x, y in zip(towns["name"], tlons, towns["lat"].to_numpy(float))]
    return out


def _regions(outlines: gpd.GeoDataFrame, wrap: bool) -> dict[str, Any]:
    regions = outlines[~(outlines.geometry.isna() | outlines.geometry.is_empty)]
    if regions.crs is not None and not regions.crs.equals("EPSG:4326"):
        regions = regions.to_crs(4326)
    geoms = regions.geometry.to_numpy()
    if wrap:
        geoms = _shift_east(geoms)
    points = shapely.point_on_surface(geoms)
    names = regions["name"] if "name" in regions.columns else pd.Series(regions.index, index=regions.index)
    return {"codes": [str(c) for c in regions.index], "names": [str(n) for n in names],
            "geoms": _encode_rings(geoms),
            "at": [[round(p.y, 5), round(p.x, 5)] for p in points]}


def _base64(value: Any) -> str:
    if isinstance(value, bytes):  # a style's typed arrays
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _js(value: Any) -> str:
    """``value`` as a JavaScript literal that is safe inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as unicode escapes, so no string can close the script or
    open a tag.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_base64)
    return re.sub("[<>&\u2028\u2029]", lambda m: _JS_ESCAPES[m.group()], text)


def geometry_file(geometry: Mapping[str, Any], folder: Path | None = None) -> str:
    """Write the geometry once to a content-hashed JSON file; return its name (``geometry-<hash>.json``).

    The same geometry always gives the same name, so every session and browser shares one file
    and a browser that has it cached never fetches it again. Old files beyond
    ``MAX_MAP_FILES`` are removed, oldest first.
    """
    return _static_file(geometry, "geometry", folder)


def points_file(points: Mapping[str, Any], folder: Path | None = None) -> str:
    """Write the map's points (:func:`map_points`) once to a content-hashed file (``points-<hash>.json``).

    Like :func:`geometry_file`: sent once, cached by the browser, never with a change of weights.
    """
    return _static_file(points, "points", folder)


def _static_file(payload: Mapping[str, Any], prefix: str, folder: Path | None) -> str:
    folder = MAP_FILES_DIR if folder is None else folder
    text = _js(payload).encode("utf-8")
    name = f"{prefix}-{hashlib.sha256(text).hexdigest()[:20]}.json"
    path = folder / name
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
        with os.fdopen(fd, "wb") as handle:
            handle.write(text)
        os.replace(tmp, path)  # atomic: a concurrent reader sees the whole file or none
        old = sorted(folder.glob(f"{prefix}-*.json"), key=lambda p: p.stat().st_mtime)
        for stale in old[:-MAX_MAP_FILES]:
            stale.unlink(missing_ok=True)
    return name


def encode_points(lonlat: np.ndarray) -> str:
    """Points as one polyline string of x, y deltas in 1e-5 degrees (the client's ``PK.decode``).

    Examples
    --------
    >>> encode_points(np.array([[0.5, 1.5], [0.6, 1.4]]))
    '_t`B_~cH_pR~oR'
    """
    lonlat = np.asarray(lonlat, float).reshape(-1, 2)
    if not len(lonlat):
        return ""
    ints = np.rint(lonlat * _PRECISION).astype(np.int64)
    deltas = ints.copy()
    deltas[1:] -= ints[:-1]
    chars, used = _zigzag_chars(deltas.reshape(-1))
    return chars[used].tobytes().decode("ascii")


def map_points(groups: Sequence[Mapping[str, Any]], *, wrap: bool = False) -> dict[str, Any]:
    """What the map's point overlay draws: per point file, its label, how many points, their places.

    Parameters
    ----------
    groups : sequence of dict
        ``label`` (text), ``lonlat`` (``(n, 2)`` array of the points inside a district, e.g.
        from :func:`geo.points.placed_points`), ``rows`` (rows of the file) and optionally
        ``layer`` (a layer reading it: the view's ``point_labels`` give its label in the chosen
        language).
    wrap : bool, default False
        The level's geometry runs across the antimeridian (longitudes west of 0 shifted by 360).

    Returns
    -------
    dict
        JSON-ready: ``groups``, each ``{"label", "layer", "n", "rows", "pts"}`` (``pts``: :func:`encode_points`),
        and ``wrap``.
    """
    out = []
    for g in groups:
        lonlat = np.asarray(g["lonlat"], float).reshape(-1, 2)
        out.append({"label": str(g["label"]), "layer": str(g.get("layer", "")), "n": len(lonlat),
                    "rows": int(g["rows"]), "pts": encode_points(lonlat)})
    return {"groups": out, "wrap": bool(wrap)}


def largest_towns(districts: gpd.GeoDataFrame, population: pd.Series, n: int,
                  where: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """The ``n`` most populous districts (of those ``where`` keeps) as towns: name, lon, lat, population.

    Each town sits at a point inside its district (``point_on_surface``), in EPSG:4326; districts
    without a shape or a population are left out.

    Examples
    --------
    >>> zones = gpd.read_file("tests/data/own_data/districts.geojson").set_index("DIST_ID")
    >>> people = pd.Series([5, 50, 20, 1, 9, 30], index=zones.index)
    >>> largest_towns(zones.rename(columns={"DIST_NAME": "name"}), people, 2)["name"].tolist()
    ['Bélvédère', 'Falaise']
    """
    from geo.rows import filter_rows

    kept, _line = filter_rows(districts, where or {}, source="display.towns_where")
    people = pd.to_numeric(population, errors="coerce").reindex(kept.index)
    shaped = ~(kept.geometry.isna() | kept.geometry.is_empty)
    order = people[shaped.to_numpy() & people.notna().to_numpy()].sort_values(ascending=False, kind="stable")
    top = kept.loc[order.index[: max(int(n), 0)]]
    geoms = top.geometry.to_crs(4326) if top.crs is not None else top.geometry
    at = shapely.point_on_surface(np.asarray(geoms.array, dtype=object))
    names = top["name"] if "name" in top.columns else pd.Series(top.index, index=top.index)
    return pd.DataFrame({"name": names.astype(str).to_numpy(), "lon": shapely.get_x(at), "lat": shapely.get_y(at),
                         "population": order.iloc[: len(top)].to_numpy()}, index=top.index)


# ----------------------------------------------------------------------------- numbers of a view
def positions(index: pd.Index, codes: Sequence[Any]) -> list[int]:
    """Positions in ``index`` of the known ``codes``, in their order, each once."""
    wanted = pd.Index(list(dict.fromkeys(str(c) for c in codes)), dtype=object)
    found = index.get_indexer(wanted)
    return [int(i) for i in found if i >= 0]


STYLE_ARRAYS = ("cls", "rank", "value", "score", "contrib")  # the style's per-district arrays


def _le(values: np.ndarray) -> bytes:
    """A little-endian typed array's bytes (the live map receives them as they are; :func:`_js`
    writes them as base64 text)."""
    return np.ascontiguousarray(values).tobytes()


def map_style(codes: Sequence[str], table: pd.DataFrame, classes: MapClasses, *, column: str, label: str,
              shown: pd.Series | None = None, selected: str | None = None, top: Sequence[str] = (),
              uncertain: Sequence[str] = (), focus: str | None = None, contributions: pd.DataFrame | None = None,
              contribution_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The numbers of one view for the map client, aligned with the geometry's ``codes``.

    Parameters
    ----------
    codes : sequence of str
        The geometry's codes, in its order.
    table : pandas.DataFrame
        Indexed by code, with ``rank``, ``score`` and ``column``.
    classes : geo.classify.MapClasses
        Classes of ``column`` (:func:`geo.classify.map_classes` or ``category_classes``).
    column, label : str
        The mapped column and its label (legend title, tooltips).
    shown : pandas.Series of bool, optional
        Districts kept by the view's filters; others are not drawn.
    selected, focus : str, optional
        The selected district (outlined; the map zooms to it when it changes) and a district to
        zoom to (workshop steps).
    top, uncertain : sequence of str
        Top-ranked districts in rank order (numbered on the map, listed beside it) and those
        whose place in the top is uncertain (dashed).
    contributions : pandas.DataFrame, optional
        Layer contributions per district (columns = layer ids): the three largest are named in
        the tooltip.
    contribution_labels : Mapping[str, str], optional
        Layer id -> label.

    Returns
    -------
    dict
        Plain values, and the per-district arrays (:data:`STYLE_ARRAYS`) as little-endian typed
        arrays' bytes: the live map receives them as bytes, the standalone file as base64 text.

    Raises
    ------
    ValueError
        For a table without ``column``, ``rank`` or ``score``.
    """
    for needed in ("rank", "score", column):
        if needed not in table.columns:
            raise ValueError(f"the table has no column {needed!r} (columns: {', '.join(map(str, table.columns))})")
    index = pd.Index(codes).astype(str)
    table = table.set_axis(table.index.astype(str))
    table = table[~table.index.duplicated()]
    cls = classes.classes.set_axis(classes.classes.index.astype(str)).reindex(index)
    cls_arr = np.where(cls.isna(), NO_DATA, cls.fillna(0)).astype(np.int8)
    if shown is not None:
        keep = shown.set_axis(shown.index.astype(str)).reindex(index).fillna(False).to_numpy(bool)
        cls_arr = np.where(keep, cls_arr, HIDDEN).astype(np.int8)
    ranks = pd.to_numeric(table["rank"], errors="coerce").reindex(index)
    ranked = int(pd.to_numeric(table["rank"], errors="coerce").notna().sum())
    rank_bytes = 2 if ranked < 65535 else 4
    rank_arr = ranks.fillna(0).round().astype(np.uint16 if rank_bytes == 2 else np.uint32).to_numpy()
    style: dict[str, Any] = {
        "n": len(index),
        "label": str(label),
        "categorical": classes.categorical,
        "decimals": classes.decimals,
        "colours": list(classes.colours),
        "cls": _le(cls_arr),
        "rank": _le(rank_arr.astype("<u2" if rank_bytes == 2 else "<u4")),
        "rank_bytes": rank_bytes,
        "ranked": ranked,
        "legend": {"title": str(label), "direction": classes.direction, "labels": list(classes.labels),
                   "counts": list(classes.counts), "missing": classes.missing, "order": classes.legend_order(),
                   "uncertain_help": UNCERTAIN_HELP},
        "top": positions(index, top),
        "uncertain": positions(index, uncertain),
        "selected": (positions(index, [selected]) or [-1])[0] if selected else -1,
        "focus": (positions(index, [focus]) or [-1])[0] if focus else -1,
    }
    if not classes.categorical:
        values = pd.to_numeric(table[column], errors="coerce").reindex(index).to_numpy(float)
        style["value"] = _le(values.astype("<f4"))
    if column != "score":
        score = pd.to_numeric(table["score"], errors="coerce").reindex(index).to_numpy(float)
        style["score"] = _le(np.where(np.isfinite(score), np.rint(np.nan_to_num(score) * 100), 65535)
                              .clip(0, 65535).astype("<u2"))
    if contributions is not None and contributions.shape[1]:
        c = contributions.set_axis(contributions.index.astype(str)).reindex(index).fillna(0.0)
        values = c.to_numpy(float)
        k = min(3, values.shape[1])
        order = np.argsort(-values, axis=1, kind="stable")[:, :k]
        best = np.take_along_axis(values, order, axis=1)
        picks = np.full((len(index), 3), 255, dtype=np.uint8)
        picks[:, :k] = np.where(best > 0, order, 255)
        labels = contribution_labels or {}
        style["contrib"] = _le(picks.reshape(-1))
        style["contrib_labels"] = [str(labels.get(col, col)) for col in c.columns]
    return style


# ----------------------------------------------------------------------------- assets
def check_assets() -> None:
    """Fail clearly when Leaflet is not installed (``make assets``).

    Raises
    ------
    MissingAssetsError
        Naming the missing files and the fix.
    """
    missing = [name for name in LEAFLET_FILES if not (LEAFLET_DIR / name).is_file()]
    if missing:
        raise MissingAssetsError(
            f"Leaflet's files are missing from {LEAFLET_DIR} ({', '.join(missing)}): run `make assets` "
            "(installs Leaflet 1.9.4 from the npm registry, or PyPI, into static/vendor/)."
        )


def static_url(*parts: str) -> str:
    """Absolute URL path of a file under ``static/`` as served by Streamlit, honouring ``server.baseUrlPath``."""
    try:
        import streamlit as st

        base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    except Exception:  # outside a Streamlit installation or config: the plain path
        base = ""
    return "/" + "/".join(p.strip("/") for p in (base, STATIC_ROUTE, *parts) if p)


def default_asset_url() -> str:
    """URL path of ``static/vendor/leaflet`` as served by Streamlit."""
    return static_url("vendor", "leaflet")


def check_static_serving() -> None:
    """In a running dashboard, fail clearly when Streamlit does not serve ``static/``.

    Raises
    ------
    MissingAssetsError
        Naming the setting to change.
    """
    try:
        import streamlit as st
        from streamlit import runtime

        running, serving = runtime.exists(), bool(st.get_option("server.enableStaticServing"))
    except Exception:  # no Streamlit here: nothing to check
        return
    if running and not serving:
        raise MissingAssetsError(
            "the map's Leaflet files are not served: set `enableStaticServing = true` under [server] in "
            ".streamlit/config.toml (or start Streamlit with --server.enableStaticServing true)"
        )


# ----------------------------------------------------------------------------- standalone file
def _inline_css() -> str:
    """Leaflet's CSS with its images as data URIs."""
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        path = LEAFLET_DIR / match.group(1)
        if not path.is_file():
            return match.group(0)
        return "url(data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii") + ")"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)


class _ExternalLinks(HTMLParser):
    """Collects ``src``/``href`` attributes that would make the browser fetch something remote."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key in ("src", "href") and value and re.match(r"^\s*(https?:)?//", value, re.I):
                if tag != "a":  # a link the user may click is not a request
                    self.found.append(f"<{tag} {key}={value}>")


def external_resources(page: str) -> list[str]:
    """Tags of ``page`` (HTML) that load a remote resource (``<script src>``, ``<link href>``, ...)."""
    parser = _ExternalLinks()
    parser.feed(page)
    return parser.found


def _script_text(path: Path) -> str:
    return path.read_text(encoding="utf-8").replace("</script", "<\\/script")


def standalone_html(geometry: Mapping[str, Any], style: Mapping[str, Any], *, title: str,
                    settings: Mapping[str, str], world: bool = True, large: bool = False) -> str:
    """One self-contained HTML file of the map, to open offline on another computer.

    Leaflet, the map client and its styles, the geometry, the numbers and (when installed) the
    neighbouring countries are inlined; a panel lists ``title`` and ``settings`` (escaped), e.g.
    level, weights, method and data versions. Nothing in the file refers to a remote resource.

    Parameters
    ----------
    geometry, style : Mapping
        From :func:`level_geometry` and :func:`map_style`.
    title : str
        Page title and heading of the settings panel.
    settings : Mapping[str, str]
        What the map shows, one line per key.
    world : bool
        Inline the neighbouring countries (about 0.75 MB).
    large : bool
        Projector print size.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    MissingAssetsError
        When Leaflet's files are not installed (``make assets``).
    """
    check_assets()
    world_js = "null"
    if world and WORLD_FILE.is_file():
        world_js = _js(json.loads(WORLD_FILE.read_text(encoding="utf-8")))
    css = _inline_css().replace("</style", "<\\/style")
    own_css = (CLIENT_DIR / "pockets-map.css").read_text(encoding="utf-8").replace("</style", "<\\/style")
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{css}</style>
<style>{own_css}
html, body {{ margin: 0; height: 100%; }}
</style>
<script>{_script_text(LEAFLET_DIR / "leaflet.js")}</script>
<script>{_script_text(CLIENT_DIR / "pockets-map.js")}</script>
</head>
<body>
<div id="map" class="pk-map"></div>
{_settings_html(title, settings)}
<script>PK.standalone(document.getElementById("map"), {_js(dict(geometry))}, {_js(dict(style))}, {world_js},
              {str(bool(large)).lower()});
</script>
</body>
</html>
"""
    remote = external_resources(page)
    if remote:
        raise ValueError(f"the standalone map still loads remote resources: {', '.join(remote[:5])}")
    return page


def _settings_html(title: str, settings: Mapping[str, str]) -> str:
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in settings.items())
    return (f'<details class="pk-settings"><summary>{html.escape(title)}</summary>'
            f"<table>{rows}</table></details>")
