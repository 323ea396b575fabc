"""Choropleth maps of the ranking that work offline, in Streamlit and as a standalone HTML file.

The map is a Leaflet map built with folium, but it never loads anything from a
CDN and needs no tile server:

- ``choropleth`` draws one GeoJSON layer of districts (Leaflet's canvas
  renderer) coloured by class, outlines the selected and the top-ranked
  districts (and, dashed, those whose place in the top is uncertain), draws
  optional region outlines with their names, and adds a legend with the class
  bounds and a "no data" class. With ``categories`` (or ``category_map``) it
  maps a categorical column instead, e.g. LISA clusters (``CLUSTER_COLOURS``)
  or need x readiness quadrants (``QUADRANT_COLOURS``), one legend row per
  category with its count. Missing values are hatched grey,
  never the colour of a class. Every string shown (names, labels, tooltip text)
  is HTML-escaped before it reaches the page.
- ``use_local_assets`` points the map's JavaScript and CSS at Leaflet's files
  served by the dashboard itself (``static/vendor/leaflet``, installed by
  ``make assets``, served at ``/app/static/`` by Streamlit's static serving).
  ``choropleth`` calls it, so its maps are ready for ``st_folium``.
- ``standalone_html`` writes one HTML file with Leaflet's code and styles
  inlined, a legend, tooltips and a block listing the settings: it opens on
  any computer without a network.

Geometry travels compactly: coordinates are rounded to 1e-5 degrees (about
1 m) and each ring is delta-encoded as a polyline string, decoded in the
browser into ordinary GeoJSON features whose ``properties`` hold only the
district ``code``. A click on a district is therefore reported by
``st_folium(..., returned_objects=["last_active_drawing", ...])`` as a GeoJSON
feature with ``properties.code``.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import branca.element
import folium
import folium.elements
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import shapely

from geo.config import SCHEMES

ROOT = Path(__file__).resolve().parents[1]
LEAFLET_DIR = ROOT / "static" / "vendor" / "leaflet"
LEAFLET_FILES = ("leaflet.js", "leaflet.css")
# Where Streamlit serves ``static/vendor/leaflet`` (``server.enableStaticServing``), below the base URL path.
STATIC_ROUTE = "app/static/vendor/leaflet"

# Sequential palettes, light (low) to dark (high), 9 colours each; every one is colour-blind safe.
# ColorBrewer (Cynthia Brewer, Penn State) and viridis (reversed so that, as for the others,
# darker means a higher value). ``palette_colours`` picks 2 to 9 of them.
PALETTES: dict[str, tuple[str, ...]] = {
    "YlOrRd": ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026",
               "#800026"),
    "YlGnBu": ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494",
               "#081d58"),
    "OrRd": ("#fff7ec", "#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#b30000",
             "#7f0000"),
    "Purples": ("#fcfbfd", "#efedf5", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3", "#54278f",
                "#3f007d"),
    "Blues": ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c",
              "#08306b"),
    "viridis": ("#fde725", "#aadc32", "#5dc863", "#27ad81", "#21908c", "#2c728e", "#3b528b", "#472d7b",
                "#440154"),
}
MIN_CLASSES, MAX_CLASSES = 2, 9
# "No data": light grey hatched with darker grey lines, on the map and in the legend.
NO_DATA_COLOUR = "#d9d9d9"
NO_DATA_HATCH = "#8c8c8c"
NO_DATA_LABEL = "no data"
# Outlines: selected district (cyan on a black halo), top-ranked districts (black on a white halo).
SELECTED_STYLE = {"halo": "#000000", "halo_weight": 7, "colour": "#00e5ff", "weight": 3}
TOP_STYLE = {"halo": "#ffffff", "halo_weight": 4, "colour": "#111111", "weight": 1.6}
# Districts whose place in the top k is uncertain: a dashed magenta line, drawn above the top outlines.
UNCERTAIN_STYLE = {"colour": "#ff00ff", "weight": 2.4, "dash": "5 4"}
UNCERTAIN_LABEL = "top place uncertain"
UNCERTAIN_HELP = "in the top in more than 10% but less than 90% of the Monte Carlo draws"
# Local Moran's I clusters (GeoDa's colours): high-high, low-low, high-low, low-high, not significant.
CLUSTER_COLOURS: dict[str, str] = {"HH": "#d7191c", "LL": "#2c7bb6", "HL": "#fdae61", "LH": "#abd9e9",
                                   "not significant": "#eeeeee"}
# Getis-Ord Gi* hot and cold spots (same reds and blues as the clusters).
HOTSPOT_COLOURS: dict[str, str] = {"hot spot": "#d7191c", "cold spot": "#2c7bb6", "not significant": "#eeeeee"}
# Need x readiness quadrants (diverging red-blue, colour-blind safe).
QUADRANT_COLOURS: dict[str, str] = {"high need, ready to scale": "#b2182b",
                                    "high need, foundations first": "#ef8a62",
                                    "lower need, ready to scale": "#67a9cf",
                                    "lower need, foundations first": "#2166ac"}
BACKGROUND = "#eef1f4"
_PRECISION = 1e5  # coordinates are sent in units of 1e-5 degrees
_JS_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class MissingAssetsError(FileNotFoundError):
    """Leaflet's files are not installed in ``static/vendor/leaflet`` (run ``make assets``)."""


# ----------------------------------------------------------------------------- classes
def classify(values: pd.Series, scheme: str, k: int) -> tuple[pd.Series, list[tuple[float, float]]]:
    """Class of every value, and the bounds of every class.

    Parameters
    ----------
    values : pandas.Series
        One number per district (index = code); NaN means "no data".
    scheme : {"quantiles", "fisher_jenks", "equal_interval"}
        Classification method (mapclassify's ``Quantiles``, Fisher-Jenks natural breaks,
        ``EqualInterval``).
    k : int
        Number of classes wanted (2-9). Fewer are made when there are fewer distinct values;
        quantile and natural-break classes that would be empty are dropped.

    Returns
    -------
    classes : pandas.Series
        Class index (0 = lowest) per district, float, NaN where the value is missing: "no data"
        is a class of its own, never the lowest or highest one.
    bounds : list of (float, float)
        ``(low, high)`` of each class: class ``i`` holds the values ``low < v <= high`` (the
        first one also ``v == low``). Empty when no value is known.

    Raises
    ------
    ValueError
        For an unknown scheme or a number of classes outside 2-9.

    Examples
    --------
    >>> classes, bounds = classify(pd.Series([1.0, 2.5, None, 4.0]), "equal_interval", 3)
    >>> classes.tolist()
    [0.0, 1.0, nan, 2.0]
    >>> bounds
    [(1.0, 2.0), (2.0, 3.0), (3.0, 4.0)]
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown classification scheme {scheme!r}; allowed: {', '.join(SCHEMES)}")
    if not MIN_CLASSES <= int(k) <= MAX_CLASSES:
        raise ValueError(f"number of classes must be between {MIN_CLASSES} and {MAX_CLASSES}, not {k}")
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    known = numbers[np.isfinite(numbers)]
    classes = pd.Series(np.nan, index=values.index, dtype=float)
    if known.empty:
        return classes, []
    y = known.to_numpy()
    distinct = np.unique(y)
    if len(distinct) == 1:
        classes[known.index] = 0.0
        return classes, [(float(distinct[0]), float(distinct[0]))]
    k = min(int(k), len(distinct))
    if scheme == "quantiles":
        bins = mapclassify.Quantiles(y, k=k).bins
    elif scheme == "equal_interval":
        bins = mapclassify.EqualInterval(y, k=k).bins
    else:
        bins = _natural_breaks(y, k)
    bins = np.unique(np.asarray(bins, dtype=float))
    yb = mapclassify.UserDefined(y, bins=list(bins)).yb
    if scheme != "equal_interval":  # drop empty classes; equal intervals keep their fixed width
        used = np.unique(yb)
        bins = bins[used]
        yb = np.searchsorted(used, yb)
    lows = [float(y.min())] + [float(b) for b in bins[:-1]]
    classes[known.index] = yb.astype(float)
    return classes, list(zip(lows, (float(b) for b in bins)))


def _natural_breaks(y: np.ndarray, k: int) -> np.ndarray:
    """Fisher-Jenks natural breaks: upper bounds of the ``k`` classes of least within-class variance.

    The exact optimum (as ``mapclassify.FisherJenks``), by dynamic programming vectorised over
    the class start, so that 1,500 districts take milliseconds without numba.
    """
    x = np.sort(np.asarray(y, dtype=float))
    n = len(x)
    s1 = np.concatenate([[0.0], np.cumsum(x)])
    s2 = np.concatenate([[0.0], np.cumsum(x * x)])

    def cost(start: np.ndarray, end: int) -> np.ndarray:  # sum of squared deviations of x[start:end+1]
        count = end + 1 - start
        total = s1[end + 1] - s1[start]
        return (s2[end + 1] - s2[start]) - total * total / count

    best = s2[1:] - s1[1:] ** 2 / np.arange(1, n + 1)  # one class: x[0..i]
    starts = np.zeros((k, n), dtype=int)
    for j in range(1, k):
        new = np.full(n, np.inf)
        for i in range(j, n):
            start = np.arange(j, i + 1)  # first index of the last class
            total = best[start - 1] + cost(start, i)
            pick = int(np.argmin(total))
            new[i] = total[pick]
            starts[j, i] = start[pick]
        best = new
    uppers = []
    end = n - 1
    for j in range(k - 1, -1, -1):
        uppers.append(x[end])
        end = starts[j, end] - 1
    return np.array(uppers[::-1])


def palette_colours(palette: str, k: int) -> list[str]:
    """``k`` colours (2-9) of a palette in ``PALETTES``, light to dark.

    Nine classes use the whole palette; fewer skip its lightest colour (too close to the
    background) and are spread evenly over the rest.

    Examples
    --------
    >>> palette_colours("YlOrRd", 2)
    ['#ffeda0', '#800026']
    """
    if palette not in PALETTES:
        raise ValueError(f"unknown palette {palette!r}; allowed: {', '.join(PALETTES)}")
    if not 1 <= k <= MAX_CLASSES:
        raise ValueError(f"a palette has 1 to {MAX_CLASSES} colours, not {k}")
    colours = PALETTES[palette]
    if k == len(colours):
        return list(colours)
    if k == 1:
        return [colours[len(colours) // 2]]
    picks = np.linspace(1, len(colours) - 1, k).round().astype(int)
    return [colours[i] for i in picks]


def _decimals(bounds: Sequence[tuple[float, float]]) -> int:
    """Fewest decimals (0-4) that keep the class bounds distinct and readable."""
    edges = sorted({v for pair in bounds for v in pair})
    if not edges:
        return 1
    span = edges[-1] - edges[0]
    start = 0 if span >= 100 else 1 if span >= 1 else 2 if span >= 0.01 else 3
    for d in range(start, 5):
        if len({f"{v:.{d}f}" for v in edges}) == len(edges):
            return d
    return 4


def _fmt(value: float, decimals: int) -> str:
    """A number for display (thousands separated), or "no data"."""
    if value is None or not np.isfinite(value):
        return NO_DATA_LABEL
    return f"{value:,.{decimals}f}"


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
    browser closes rings again).
    """
    polys_per_geom, rings_per_poly, ring_arrays = [], [], []
    for geom in geoms:
        parts = list(geom.geoms) if hasattr(geom, "geoms") else ([geom] if geom is not None else [])
        parts = [p for p in parts if isinstance(p, shapely.Polygon) and not p.is_empty]
        polys_per_geom.append(len(parts))
        for poly in parts:
            rings = [poly.exterior, *poly.interiors]
            rings_per_poly.append(len(rings))
            ring_arrays.extend(np.asarray(r.coords)[:-1, :2] for r in rings)
    if not ring_arrays:
        return [[] for _ in polys_per_geom]
    sizes = np.array([len(r) for r in ring_arrays])
    coords = np.rint(np.concatenate(ring_arrays) * _PRECISION).astype(np.int64)
    deltas = coords.copy()
    deltas[1:] -= coords[:-1]
    firsts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    deltas[firsts] = coords[firsts]  # each ring starts from absolute coordinates
    chars, used = _zigzag_chars(deltas.reshape(-1))
    per_vertex = used.sum(axis=1).reshape(-1, 2).sum(axis=1)
    text = chars[used].tobytes().decode("ascii")
    ends = np.cumsum(np.add.reduceat(per_vertex, firsts)) if len(firsts) else np.array([], int)
    starts = np.concatenate([[0], ends[:-1]])
    ring_text = iter([text[a:b] for a, b in zip(starts, ends)])
    poly_rings = iter([[next(ring_text) for _ in range(n)] for n in rings_per_poly])
    return [[next(poly_rings) for _ in range(n)] for n in polys_per_geom]


def _js(value: Any) -> str:
    """``value`` as a JavaScript literal that is safe inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as unicode escapes, so no string can close the script or
    open a tag. folium renders each element's script a second time as a Jinja template, so a
    ``{`` that starts ``{{``, ``{%`` or ``{#`` (only possible inside a string) is escaped too: a
    name such as ``{{ 7*7 }}`` stays text instead of being evaluated.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = re.sub("[<>&\u2028\u2029]", lambda m: _JS_ESCAPES[m.group()], text)
    return re.sub(r"\{(?=[{%#])", r"\\u007b", text)


def _latlon_bounds(geoms: gpd.GeoSeries) -> list[list[float]]:
    minx, miny, maxx, maxy = (float(v) for v in geoms.total_bounds)
    return [[miny, minx], [maxy, maxx]]


# ----------------------------------------------------------------------------- map elements
_RUNTIME_JS = """
window.PK = window.PK || {};
PK.decode = function (s) {
    var pts = [], i = 0, x = 0, y = 0, n = s.length, r, sh, b;
    while (i < n) {
        r = 0; sh = 0; do { b = s.charCodeAt(i++) - 63; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
        x += (r & 1) ? ~(r >> 1) : (r >> 1);
        r = 0; sh = 0; do { b = s.charCodeAt(i++) - 63; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
        y += (r & 1) ? ~(r >> 1) : (r >> 1);
        pts.push([x / 1e5, y / 1e5]);
    }
    if (pts.length) { pts.push(pts[0]); }
    return pts;
};
PK.features = function (codes, geoms) {
    return codes.map(function (code, i) {
        return {type: "Feature", properties: {code: code}, geometry: {type: "MultiPolygon",
            coordinates: geoms[i].map(function (poly) { return poly.map(PK.decode); })}};
    });
};
PK.restyle = function (s) {
    // Colour the districts, set their tooltips and the legend: the map itself is not rebuilt.
    var b = PK.base, hatch = b.hatch;
    s.codes.forEach(function (code, i) {
        var l = PK.byCode[code];
        if (!l) { return; }
        var c = s.cls[i];
        l._pkStyle = {fillColor: c === null ? hatch : s.colours[c], fillOpacity: b.opacity, color: b.line,
                      weight: b.weight, opacity: 0.8};
        l.setStyle(l._pkStyle);
        if (l.getTooltip()) { l.setTooltipContent(s.tips[i]); }
        else { l.bindTooltip(s.tips[i], {sticky: true, className: "pk-tip", direction: "top", offset: [0, -8]}); }
    });
    if (PK.legend) { PK.legend.remove(); }
    PK.legend = L.control({position: "bottomright"});
    PK.legend.onAdd = function () {
        var div = L.DomUtil.create("div", "pk-legend");
        div.setAttribute("role", "region");
        div.setAttribute("aria-label", "Legend");
        div.innerHTML = s.legend;
        L.DomEvent.disableClickPropagation(div);
        return div;
    };
    PK.legend.addTo(PK.districts._map);
    PK.restyled = (PK.restyled || 0) + 1;
};
PK.hatch = function (fill, line) {
    var c = document.createElement("canvas"); c.width = 8; c.height = 8;
    var ctx = c.getContext("2d");
    ctx.fillStyle = fill; ctx.fillRect(0, 0, 8, 8);
    ctx.strokeStyle = line; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(-2, 10); ctx.lineTo(10, -2); ctx.moveTo(-2, 2); ctx.lineTo(2, -2);
    ctx.moveTo(6, 10); ctx.lineTo(10, 6); ctx.stroke();
    return ctx.createPattern(c, "repeat");
};
"""


class _Runtime(branca.element.MacroElement):
    """Small helpers shared by the map's layers (``window.PK``): geometry decoding and hatching."""

    _template = branca.element.Template("""
{% macro script(this, kwargs) %}
{{ this.code }}
{% endmacro %}
""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "PkRuntime"
        self.code = _RUNTIME_JS


class _Style(branca.element.MacroElement):
    """Page styles of the map (legend, labels, tooltips), in normal or large print."""

    _template = branca.element.Template("""
{% macro header(this, kwargs) %}
<style>
.leaflet-container { background: {{ this.background }}; }
.pk-legend { background: rgba(255,255,255,0.93); color: #1a1a1a; padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.4); font: {{ this.font }}px/1.35 system-ui, -apple-system, "Segoe UI",
  Roboto, sans-serif; max-width: {{ this.font * 22 }}px; }
.pk-legend .pk-title { font-weight: 600; margin-bottom: 4px; white-space: normal; }
.pk-legend .pk-row { display: flex; align-items: center; gap: 6px; white-space: nowrap; margin: 1px 0; }
.pk-legend .pk-n { color: #555; }
.pk-swatch { flex: none; width: {{ this.font * 1.5 }}px; height: {{ this.font }}px; border: 1px solid #666; }
.pk-nodata { background: repeating-linear-gradient(45deg, {{ this.hatch }} 0 1.5px, {{ this.nodata }} 1.5px 5px); }
.pk-line { flex: none; width: {{ this.font * 1.5 }}px; height: 0; }
.pk-sep { border-top: 1px solid #ccc; margin: 4px 0 3px; }
.pk-label { background: none; border: none; }
.pk-label span { position: absolute; transform: translate(-50%, -50%); white-space: nowrap;
  font: 600 {{ this.label_font }}px/1.1 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; pointer-events: none; }
.leaflet-tooltip.pk-tip { font: {{ this.font }}px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  width: max-content; max-width: {{ this.font * 26 }}px; white-space: normal; }
.pk-tip .pk-name { font-weight: 600; }
.pk-tip .pk-extra { color: #444; }
</style>
{% endmacro %}
""")

    def __init__(self, *, large: bool) -> None:
        super().__init__()
        self._name = "PkStyle"
        self.font = 18 if large else 12
        self.label_font = 17 if large else 11
        self.background = BACKGROUND
        self.nodata, self.hatch = NO_DATA_COLOUR, NO_DATA_HATCH


class _Districts(branca.element.MacroElement):
    """One canvas GeoJSON layer of all districts, drawn once; :class:`_Restyle` colours it."""

    _template = branca.element.Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function (map) {
    var d = {{ this.payload }};
    PK.base = {hatch: map.options.preferCanvas ? PK.hatch(d.nodata, d.hatch) : d.nodata, opacity: d.opacity,
               line: d.line, weight: d.weight};
    PK.byCode = {};
    var layer = L.geoJSON(PK.features(d.codes, d.geoms), {
        style: {fillColor: d.nodata, fillOpacity: d.opacity, color: d.line, weight: d.weight, opacity: 0.8},
        onEachFeature: function (f, l) {
            PK.byCode[f.properties.code] = l;
            l.on("mouseover", function () { l.setStyle({weight: d.weight + 1.5, color: "#222", opacity: 1}); });
            l.on("mouseout", function () { if (l._pkStyle) { l.setStyle(l._pkStyle); } });
        }
    }).addTo(map);
    PK.districts = layer;
    return layer;
})({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PkDistricts"
        self.payload = _js(payload)


class _Restyle(branca.element.MacroElement):
    """The colours, tooltips and legend of the districts drawn by :class:`_Districts`."""

    _template = branca.element.Template("""
{% macro script(this, kwargs) %}
PK.restyle({{ this.payload }});
{% endmacro %}
""")

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PkRestyle"
        self.payload = _js(payload)


class _Outlines(branca.element.MacroElement):
    """Non-interactive outlines drawn above the districts: highlighted districts, or regions with labels.

    Layers added after the districts are drawn after them on the same canvas, hence on top; being
    non-interactive, they never take a click or a tooltip from the district underneath.
    """

    _template = branca.element.Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function (parent) {
    var d = {{ this.payload }};
    var group = L.featureGroup([], {interactive: false});
    var feats = PK.features(d.codes, d.geoms);
    d.strokes.forEach(function (s) {
        L.geoJSON(feats, {interactive: false, style: function () {
            return {color: s.colour, weight: s.weight, opacity: 1, fill: false, dashArray: s.dash || null};
        }}).addTo(group);
    });
    (d.labels || []).forEach(function (lab) {
        L.marker(lab.at, {interactive: false, keyboard: false, pane: "markerPane",
            icon: L.divIcon({className: "pk-label", html: "<span>" + lab.text + "</span>", iconSize: null})
        }).addTo(group);
    });
    return group.addTo(parent);
})({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PkOutlines"
        self.payload = _js(payload)


class _HighlightGroup(folium.FeatureGroup):
    """A layer group that adds itself to its parent in its own script.

    folium's ``Layer.render`` adds a new "add to parent" element on every render, so a map
    rendered again (as ``st_folium`` does) grows; this group renders the same every time.
    """

    _template = branca.element.Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.featureGroup().addTo({{ this._parent.get_name() }});
{% endmacro %}
""")

    def render(self, **kwargs: Any) -> None:
        branca.element.MacroElement.render(self, **kwargs)


class _FitBounds(branca.element.MacroElement):
    """Start the map on these bounds, without the zoom animation of folium's ``fit_bounds``."""

    _template = branca.element.Template("""
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.fitBounds({{ this.bounds }}, {padding: [10, 10], animate: false});
{% endmacro %}
""")

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "PkFitBounds"
        self.bounds = _js(bounds)


def _legend_html(label: str, bounds: Sequence[tuple[float, float]], colours: Sequence[str],
                 counts: Sequence[int], missing: int, decimals: int, top_n: int, selected: bool, *,
                 categories: Sequence[str] | None = None, uncertain_n: int = 0) -> str:
    """Legend HTML: title, one row per class with its bounds and count, "no data", outline keys.

    With ``categories`` (one name per colour and count), the rows name the categories, in the
    given order, instead of class bounds. ``uncertain_n`` > 0 adds the key of the dashed outline
    of districts whose place in the top is uncertain.
    """
    rows = [f'<div class="pk-title">{html.escape(label)}</div>']
    if categories is not None:
        entries = [(html.escape(str(name)), colour, n) for name, colour, n in zip(categories, colours, counts)]
    else:
        entries = [(_fmt(low, decimals) if low == high else f"{_fmt(low, decimals)} – {_fmt(high, decimals)}",
                    colour, n) for (low, high), colour, n in reversed(list(zip(bounds, colours, counts)))]
    for text, colour, n in entries:
        colour = html.escape(str(colour))
        rows.append(f'<div class="pk-row"><span class="pk-swatch" style="background:{colour}"></span>'
                    f'<span>{text}</span> <span class="pk-n">({n})</span></div>')
    rows.append(f'<div class="pk-row"><span class="pk-swatch pk-nodata"></span><span>{NO_DATA_LABEL}</span> '
                f'<span class="pk-n">({missing})</span></div>')
    if top_n or selected or uncertain_n:
        rows.append('<div class="pk-sep"></div>')
    if top_n:
        rows.append(f'<div class="pk-row"><span class="pk-line" style="border-top:{TOP_STYLE["weight"] + 1}px '
                    f'solid {TOP_STYLE["colour"]};box-shadow:0 0 0 1px #fff"></span>'
                    f'<span>top {top_n} by rank</span></div>')
    if selected:
        rows.append(f'<div class="pk-row"><span class="pk-line" style="border-top:{SELECTED_STYLE["weight"]}px '
                    f'solid {SELECTED_STYLE["colour"]};box-shadow:0 0 0 2px #000"></span>'
                    '<span>selected</span></div>')
    if uncertain_n:
        rows.append(f'<div class="pk-row" title="{html.escape(UNCERTAIN_HELP)}"><span class="pk-line" '
                    f'style="border-top:{UNCERTAIN_STYLE["weight"] + 0.6}px '
                    f'dashed {UNCERTAIN_STYLE["colour"]}"></span>'
                    f'<span>{html.escape(UNCERTAIN_LABEL)} ({uncertain_n})</span></div>')
    return "".join(rows)


def _tooltips(table: pd.DataFrame, codes: pd.Index, column: str, column_label: str, decimals: int,
              extra: pd.Series | None, *, categorical: bool = False) -> list[str]:
    """Tooltip HTML per district: name, rank r of N, the mapped value, the score, extra text; all escaped.

    With ``categorical``, the mapped value is shown as text (e.g. a cluster name), not a number.
    """
    ranks = pd.to_numeric(table["rank"], errors="coerce")
    ranked = int(ranks.notna().sum())
    rows = table.reindex(codes)
    names = rows["name"].astype(object).where(rows["name"].notna(), pd.Series(codes, index=codes))
    extra = extra.copy() if extra is not None else pd.Series(dtype=object)
    extra.index = extra.index.astype(str)
    out = []
    shown = rows[column] if categorical else pd.to_numeric(rows[column], errors="coerce")
    for code, name, rank, value, score in zip(codes, names, ranks.reindex(codes), shown,
                                              pd.to_numeric(rows["score"], errors="coerce")):
        if categorical:
            text = NO_DATA_LABEL if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
            text = html.escape(text)
        else:
            text = _fmt(value, decimals)
        parts = [f'<div class="pk-name">{html.escape(str(name))}</div>',
                 f"<div>{'not ranked' if pd.isna(rank) else f'rank {int(rank)} of {ranked}'}</div>",
                 f"<div>{html.escape(column_label)}: {text}</div>"]
        if column != "score":
            parts.append(f"<div>score: {_fmt(score, 1)}</div>")
        note = extra.get(code)
        if isinstance(note, str) and note:
            parts.append(f'<div class="pk-extra">{html.escape(note)}</div>')
        out.append("".join(parts))
    return out


# ----------------------------------------------------------------------------- the map
def choropleth(
    shapes: gpd.GeoSeries,
    table: pd.DataFrame,
    *,
    column: str,
    column_label: str,
    scheme: str = "quantiles",
    k: int = 5,
    palette: str = "YlOrRd",
    selected: str | None = None,
    top: Sequence[str] = (),
    outlines: gpd.GeoDataFrame | None = None,
    tooltip_extra: pd.Series | None = None,
    large: bool = False,
    focus: str | None = None,
    highlights: bool = True,
    basemap: str | None = None,
    basemap_attribution: str = "",
    asset_url: str | None = None,
    categories: Mapping[str, str] | None = None,
    uncertain: Sequence[str] = (),
) -> folium.Map:
    """A choropleth of one column of the ranking, ready for ``st_folium`` and ``standalone_html``.

    The map is :func:`base_map` with :func:`style_group` added to it. A page that re-colours the
    map often (weights, classes, selection) should pass the two separately to ``st_folium``
    (``feature_group_to_add=style_group(...)``), so that the districts are drawn only once.

    Parameters
    ----------
    shapes : geopandas.GeoSeries
        District polygons in EPSG:4326, index = district code (text), already simplified for
        display (e.g. ``shapely.coverage_simplify`` then ``shapely.set_precision(..., 1e-5)``).
    table : pandas.DataFrame
        Indexed by code, with at least ``name``, ``rank``, ``score`` and ``column``. Codes of
        ``shapes`` missing from it are drawn as "no data".
    column, column_label : str
        The column to map and its label (legend title, tooltips).
    scheme, k : str, int
        Classification (see ``classify``).
    palette : str
        A key of ``PALETTES``.
    selected : str, optional
        Code of the selected district: outlined thick (cyan on black).
    top : sequence of str
        Codes of the top-ranked districts: outlined black on white.
    outlines : geopandas.GeoDataFrame, optional
        Regions (index = code, column ``name``, EPSG:4326) drawn as thin dark lines with their names
        as labels; not interactive.
    tooltip_extra : pandas.Series, optional
        Extra tooltip text per code (e.g. "top contributing layers: ...").
    large : bool
        Projector mode: larger legend, tooltips and labels.
    focus : str, optional
        Code of a district to zoom to; else the map fits all districts.
    highlights : bool
        Draw the ``selected`` and ``top`` outlines in the map (default). ``False`` leaves them to
        ``highlight_group`` given to ``st_folium``'s ``feature_group_to_add``, so that a new
        selection does not rebuild the map; the legend still explains the top outline.
    basemap, basemap_attribution : str, optional
        A tile URL template to draw under the districts. Off by default: the map then needs no
        tile server and no network. Opting in sends requests to that server.
    asset_url : str, optional
        Where the browser loads Leaflet from (see ``use_local_assets``).
    categories : Mapping[str, str], optional
        Map ``column`` as categories: category -> colour (e.g. ``CLUSTER_COLOURS``), in legend
        order. Values that are not one of the categories (missing, "no data") are hatched as
        "no data"; ``scheme``, ``k`` and ``palette`` are then unused.
    uncertain : sequence of str
        Codes of districts whose place in the top is uncertain: outlined dashed (with
        ``highlights``), and a legend key whenever there are any.

    Returns
    -------
    folium.Map
        Leaflet canvas map; each district feature carries ``properties.code``.

    Raises
    ------
    ValueError
        For an unknown column, scheme or palette.
    MissingAssetsError
        When Leaflet's files are not installed (``make assets``).
    """
    m = base_map(shapes, outlines=outlines, large=large, focus=focus, basemap=basemap,
                 basemap_attribution=basemap_attribution, asset_url=asset_url)
    style_group(shapes, table, column=column, column_label=column_label, scheme=scheme, k=k, palette=palette,
                selected=selected if highlights else None, top=top, uncertain=uncertain,
                tooltip_extra=tooltip_extra, categories=categories, outline_top=highlights).add_to(m)
    return m


def _clean_shapes(shapes: gpd.GeoSeries) -> gpd.GeoSeries:
    shapes = shapes[~(shapes.isna() | shapes.is_empty)]
    shapes.index = shapes.index.astype(str)
    return shapes


def encode_shapes(shapes: gpd.GeoSeries) -> pd.Series:
    """The polygons as the map sends them (rings delta-encoded in 1e-5 degrees), by code.

    Encoding is the costly part of :func:`base_map` on thousands of districts: a page can encode
    a level once (cached) and pass the result as ``base_map(..., encoded=...)``.
    """
    shapes = _clean_shapes(shapes)
    return pd.Series(_encode_rings(shapes.to_numpy()), index=shapes.index, dtype=object)


def base_map(shapes: gpd.GeoSeries, *, outlines: gpd.GeoDataFrame | None = None, large: bool = False,
             focus: str | None = None, basemap: str | None = None, basemap_attribution: str = "",
             asset_url: str | None = None, encoded: pd.Series | None = None) -> folium.Map:
    """The districts drawn once, uncoloured, with region outlines: what :func:`style_group` colours.

    The map depends only on the shapes (and outlines, focus, print size), so a page that passes
    ``style_group(...)`` to ``st_folium(..., feature_group_to_add=...)`` keeps it mounted when
    weights, classes or the selection change: only the colours, tooltips, legend and outlines are
    sent again and applied to the districts already drawn. Parameters as in :func:`choropleth`;
    ``encoded`` (from :func:`encode_shapes`, indexed by code) saves encoding the shapes again.
    """
    shapes = _clean_shapes(shapes)
    codes = shapes.index
    bounds_all = _latlon_bounds(shapes)
    m = folium.Map(location=[(bounds_all[0][0] + bounds_all[1][0]) / 2, (bounds_all[0][1] + bounds_all[1][1]) / 2],
                   zoom_start=5, tiles=None, prefer_canvas=True, zoom_snap=0.25, control_scale=True)
    if basemap:
        folium.TileLayer(tiles=basemap, attr=basemap_attribution or "basemap", name="basemap").add_to(m)
    _Style(large=large).add_to(m)
    _Runtime().add_to(m)
    _Districts({
        "codes": list(codes),
        "geoms": (_encode_rings(shapes.to_numpy()) if encoded is None
                  else encoded.set_axis(encoded.index.astype(str)).reindex(codes).tolist()),
        "nodata": NO_DATA_COLOUR, "hatch": NO_DATA_HATCH,
        "opacity": 0.85 if basemap else 0.95,
        "line": "#5b5b5b", "weight": 0.5 if len(codes) > 300 else 0.8,
    }).add_to(m)
    if outlines is not None and len(outlines):
        _region_layer(outlines, large=large).add_to(m)
    # a focused district is framed with its neighbours, so that the room still sees where it is
    target = (shapes[shapes.intersects(shapes.loc[focus].buffer(1e-4))]
              if focus is not None and str(focus) in codes else shapes)
    _FitBounds(_latlon_bounds(target)).add_to(m)
    return use_local_assets(m, asset_url)


def style_group(
    shapes: gpd.GeoSeries,
    table: pd.DataFrame,
    *,
    column: str,
    column_label: str,
    scheme: str = "quantiles",
    k: int = 5,
    palette: str = "YlOrRd",
    selected: str | None = None,
    top: Sequence[str] = (),
    uncertain: Sequence[str] = (),
    tooltip_extra: pd.Series | None = None,
    categories: Mapping[str, str] | None = None,
    outline_top: bool = True,
) -> folium.FeatureGroup:
    """Colours, tooltips and legend of the districts of :func:`base_map`, and the highlight outlines.

    Parameters as in :func:`choropleth`; ``outline_top=False`` leaves the top and uncertain
    districts without outlines (their legend keys stay). Returns a layer group for
    ``st_folium(..., feature_group_to_add=...)`` or ``.add_to(map)``.

    Raises
    ------
    ValueError
        For an unknown column, scheme or palette.
    """
    for needed in ("name", "rank", "score", column):
        if needed not in table.columns:
            raise ValueError(f"the table has no column {needed!r} (columns: {', '.join(map(str, table.columns))})")
    if palette not in PALETTES:
        raise ValueError(f"unknown palette {palette!r}; allowed: {', '.join(PALETTES)}")
    shapes = _clean_shapes(shapes)
    table = table.copy()
    table.index = table.index.astype(str)
    table = table[~table.index.duplicated()]
    codes = shapes.index
    if categories is not None:
        names = [str(c) for c in categories]
        colours = [str(categories[c]) for c in categories]
        position = {name: i for i, name in enumerate(names)}
        raw = table[column].reindex(codes)
        classes = pd.Series([position.get(v, np.nan) if isinstance(v, str) else np.nan for v in raw],
                            index=codes, dtype=float)
        bounds, decimals = [], 1
        counts = [int((classes == i).sum()) for i in range(len(names))]
    else:
        names = None
        values = pd.to_numeric(table[column], errors="coerce").reindex(codes)
        classes, bounds = classify(values, scheme, k)
        colours = palette_colours(palette, max(1, len(bounds)))
        decimals = _decimals(bounds)
        counts = [int((classes == i).sum()) for i in range(len(bounds))]
    top_codes = [c for c in dict.fromkeys(map(str, top)) if c in codes]
    uncertain_codes = [c for c in dict.fromkeys(map(str, uncertain)) if c in codes]
    selected = str(selected) if selected is not None and str(selected) in codes else None
    legend = _legend_html(column_label, bounds, colours, counts, int(classes.isna().sum()), decimals,
                          len(top_codes), selected is not None, categories=names, uncertain_n=len(uncertain_codes))
    group = highlight_group(shapes, selected=selected, top=top_codes if outline_top else (),
                            uncertain=uncertain_codes if outline_top else ())
    restyle = _Restyle({
        "codes": list(codes),
        "cls": [None if pd.isna(c) else int(c) for c in classes],
        "colours": colours,
        "tips": _tooltips(table, codes, column, column_label, decimals, tooltip_extra,
                          categorical=categories is not None),
        "legend": legend,
    })
    # the colours go first, so the outlines are drawn above them
    group._children = {restyle.get_name(): restyle, **group._children}
    restyle._parent = group
    return group


def category_map(shapes: gpd.GeoSeries, table: pd.DataFrame, *, column: str, column_label: str,
                 colours: Mapping[str, str], **kwargs: Any) -> folium.Map:
    """A map of a categorical column (e.g. LISA clusters or quadrants): ``choropleth`` with ``categories``.

    Parameters
    ----------
    shapes, table : geopandas.GeoSeries, pandas.DataFrame
        As for ``choropleth``; ``table[column]`` holds category names.
    column, column_label : str
        The column to map and its label (legend title, tooltips).
    colours : Mapping[str, str]
        Category -> colour, in legend order (``CLUSTER_COLOURS``, ``QUADRANT_COLOURS``); other
        values are "no data".
    **kwargs
        Any other keyword of ``choropleth`` (``selected``, ``top``, ``uncertain``, ``outlines``, ...).

    Returns
    -------
    folium.Map
        The map, one legend row per category with its count.
    """
    return choropleth(shapes, table, column=column, column_label=column_label, categories=colours, **kwargs)


def _region_layer(outlines: gpd.GeoDataFrame, *, large: bool) -> _Outlines:
    """Region outlines (thin dark lines) with their escaped names at a point inside each region."""
    regions = outlines[~(outlines.geometry.isna() | outlines.geometry.is_empty)]
    if regions.crs is not None and not regions.crs.equals("EPSG:4326"):
        regions = regions.to_crs(4326)
    points = shapely.point_on_surface(regions.geometry.to_numpy())
    names = regions["name"] if "name" in regions.columns else pd.Series(regions.index, index=regions.index)
    labels = [{"at": [round(p.y, 5), round(p.x, 5)], "text": html.escape(str(n))} for p, n in zip(points, names)]
    return _Outlines({
        "codes": [str(c) for c in regions.index],
        "geoms": _encode_rings(regions.geometry.to_numpy()),
        "strokes": [{"colour": "#ffffff", "weight": 3.5 if large else 2.5},
                    {"colour": "#262626", "weight": 1.8 if large else 1.2}],
        "labels": labels,
    })


def highlight_group(shapes: gpd.GeoSeries, *, selected: str | None = None, top: Sequence[str] = (),
                    uncertain: Sequence[str] = ()) -> folium.FeatureGroup:
    """Outlines of the top-ranked and uncertain districts and, above them, of the selected one, as one group.

    ``choropleth`` adds this group itself. A page can instead build the map with
    ``highlights=False`` and pass this group to ``st_folium(..., feature_group_to_add=...)``:
    the map then stays mounted when the selection changes (only the group is swapped, no
    reload or flicker), because ``st_folium`` re-creates its frame whenever the map's own script
    changes.

    Parameters
    ----------
    shapes : geopandas.GeoSeries
        The district polygons given to ``choropleth`` (EPSG:4326, index = code).
    selected : str, optional
        Code of the selected district (cyan on black); unknown codes are ignored.
    top : sequence of str
        Codes of the top-ranked districts (black on white); unknown codes are ignored.
    uncertain : sequence of str
        Codes of districts whose place in the top is uncertain (e.g. in the top k in 10-90% of
        the Monte Carlo draws): a dashed line above the top outlines; unknown codes are ignored.

    Returns
    -------
    folium.FeatureGroup
        Non-interactive outlines (empty when there is nothing to outline).
    """
    index = shapes.index.astype(str)
    shapes = pd.Series(shapes.to_numpy(), index=index)
    group = _HighlightGroup(name="highlight", control=False)
    chosen = [str(selected)] if selected is not None and str(selected) in index else []
    def known(codes: Sequence[str]) -> list[str]:
        return [c for c in dict.fromkeys(map(str, codes)) if c in index]

    dashed = [{"colour": UNCERTAIN_STYLE["colour"], "weight": UNCERTAIN_STYLE["weight"],
               "dash": UNCERTAIN_STYLE["dash"]}]
    for codes, strokes in (
        (known(top), [{"colour": TOP_STYLE["halo"], "weight": TOP_STYLE["halo_weight"]},
                      {"colour": TOP_STYLE["colour"], "weight": TOP_STYLE["weight"]}]),
        (known(uncertain), dashed),
        (chosen, [{"colour": SELECTED_STYLE["halo"], "weight": SELECTED_STYLE["halo_weight"]},
                  {"colour": SELECTED_STYLE["colour"], "weight": SELECTED_STYLE["weight"]}]),
    ):
        if codes:
            _Outlines({"codes": codes, "geoms": _encode_rings(shapes.loc[codes].to_numpy()),
                       "strokes": strokes}).add_to(group)
    return group


# ----------------------------------------------------------------------------- assets
def _check_assets() -> None:
    missing = [name for name in LEAFLET_FILES if not (LEAFLET_DIR / name).is_file()]
    if missing:
        raise MissingAssetsError(
            f"Leaflet's files are missing from {LEAFLET_DIR} ({', '.join(missing)}): run `make assets` "
            "(installs Leaflet 1.9.4 from the npm registry, or PyPI, into static/vendor/)."
        )


def default_asset_url() -> str:
    """Absolute URL path of ``static/vendor/leaflet`` as served by Streamlit, honouring ``server.baseUrlPath``."""
    try:
        import streamlit as st

        base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    except Exception:  # outside a Streamlit installation or config: the plain path
        base = ""
    return "/" + "/".join(p for p in (base, STATIC_ROUTE) if p)


def _check_static_serving() -> None:
    """In a running dashboard, fail clearly when Streamlit does not serve ``static/``."""
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


def _walk(element: branca.element.Element):
    yield element
    for child in element._children.values():
        yield from _walk(child)


def use_local_assets(m: folium.Map, base_url: str | None = None) -> folium.Map:
    """Load the map's JavaScript and CSS from the dashboard's own server instead of CDNs.

    Leaflet (JS and CSS) is the only asset kept; folium's defaults that these maps do not use
    (jQuery, Bootstrap, Font Awesome, awesome-markers) are dropped. ``st_folium`` reads the
    assets of every element (``default_js``/``default_css``) and adds them as ``<script>`` and
    ``<link>`` tags in its frame, so these URLs are what the browser requests.

    Parameters
    ----------
    m : folium.Map
        The map; changed in place.
    base_url : str, optional
        URL of the folder holding ``leaflet.js`` and ``leaflet.css``. Default: Streamlit's static
        route, ``/app/static/vendor/leaflet`` (below ``server.baseUrlPath``), which needs
        ``server.enableStaticServing = true``.

    Returns
    -------
    folium.Map
        ``m``.

    Raises
    ------
    MissingAssetsError
        When Leaflet's files are not installed (``make assets``).
    ValueError
        When an element of the map needs another external script or style sheet.
    """
    _check_assets()
    if base_url is None:
        _check_static_serving()
    base = (base_url if base_url is not None else default_asset_url()).rstrip("/")
    foreign = []
    for element in _walk(m):
        if not isinstance(element, folium.elements.JSCSSMixin):
            continue
        if isinstance(element, folium.Map):
            element.default_js = [("leaflet", f"{base}/leaflet.js")]
            element.default_css = [("leaflet_css", f"{base}/leaflet.css")]
        else:
            foreign += [url for _, url in [*element.default_js, *element.default_css]]
    if foreign:
        raise ValueError(f"these map assets are not available offline: {', '.join(foreign)}")
    header = m.get_root().header
    for name in [n for n, c in header._children.items()
                 if isinstance(c, (branca.element.JavascriptLink, branca.element.CssLink))]:
        del header._children[name]  # links from an earlier render; re-added from the list above
    return m


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


def standalone_html(m: folium.Map, *, title: str, settings: Mapping[str, str]) -> str:
    """One self-contained HTML file of the map, to open offline on another computer.

    Leaflet's JavaScript and CSS (with its images) are inlined; the legend and tooltips are part
    of the map; a panel lists ``title`` and ``settings`` (escaped), e.g. level, weights, method and
    data versions. Nothing in the file refers to a remote resource.

    Parameters
    ----------
    m : folium.Map
        A map from ``choropleth``; it is left usable for ``st_folium``.
    title : str
        Page title and heading of the settings panel.
    settings : Mapping[str, str]
        What the map shows, one line per key.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    MissingAssetsError
        When Leaflet's files are not installed (``make assets``).
    ValueError
        When the map still needs a remote resource (e.g. an opt-in basemap's tiles are fine, but
        not a remote script).
    """
    _check_assets()
    elements = [e for e in _walk(m) if isinstance(e, folium.elements.JSCSSMixin)]
    extra = [url for e in elements for name, url in [*e.default_js, *e.default_css]
             if name not in ("leaflet", "leaflet_css")]
    if extra:
        raise ValueError(f"the map needs assets that cannot be inlined: {', '.join(extra)}")
    saved = [(e, e.__dict__.get("default_js"), e.__dict__.get("default_css")) for e in elements]
    parent = m._parent
    try:
        for e in elements:
            e.default_js, e.default_css = [], []
        # A fresh figure: the map's own figure keeps what earlier renders left in it (st_folium
        # renames every element, so rendering that figure again would repeat every script).
        page = branca.element.Figure().add_child(m).render()
    finally:  # leave the map as it was, usable by st_folium
        m._parent = parent
        for e, own_js, own_css in saved:
            for attr, own in (("default_js", own_js), ("default_css", own_css)):
                if own is None:
                    e.__dict__.pop(attr, None)
                else:
                    setattr(e, attr, own)
    script = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = _inline_css().replace("</style", "<\\/style")
    head = (f"<title>{html.escape(title)}</title>\n<style>{css}</style>\n<script>{script}</script>\n"
            f"<style>{_SETTINGS_CSS}</style>\n")
    page = page.replace("<head>", "<head>\n" + head, 1)
    page = page.replace("</body>", _settings_html(title, settings) + "\n</body>", 1)
    remote = external_resources(page)
    if remote:
        raise ValueError(f"the standalone map still loads remote resources: {', '.join(remote[:5])}")
    return page


_SETTINGS_CSS = """
.pk-settings { position: fixed; top: 10px; right: 10px; z-index: 1001; max-width: 380px; max-height: 60vh;
  overflow: auto; background: rgba(255,255,255,0.95); border-radius: 4px; box-shadow: 0 1px 5px rgba(0,0,0,0.4);
  padding: 6px 10px; font: 12px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; }
.pk-settings summary { font-weight: 600; cursor: pointer; font-size: 13px; }
.pk-settings table { border-collapse: collapse; margin-top: 4px; }
.pk-settings th { text-align: left; vertical-align: top; padding: 1px 8px 1px 0; font-weight: 600;
  white-space: nowrap; }
.pk-settings td { padding: 1px 0; }
"""


def _settings_html(title: str, settings: Mapping[str, str]) -> str:
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in settings.items())
    return (f'<details class="pk-settings"><summary>{html.escape(title)}</summary>'
            f"<table>{rows}</table></details>")
