"""Pictures of the map, offline: a choropleth PNG with title and legend, and a locator inset.

Drawn with Pillow, text in DejaVu Sans (:mod:`geo.fonts`) laid out by libraqm, so that
French narrow spaces and Arabic (shaped, right to left) print as they should. The
colours are never chosen here: :func:`map_png` draws the :class:`geo.classify.MapClasses`
it is given, the same object the dashboard's map and the HTML export draw, so a
district has the same class and colour in all of them.

:func:`projector` and :func:`rings` also place the district brief's map (PDF).
"""

from __future__ import annotations

import io
from typing import Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.classify import NO_DATA_COLOUR, NO_DATA_HATCH, MapClasses
from geo.fonts import font_files
from geo.i18n import _, direction, format_number
from geo.labels import value_label

__all__ = ["projector", "rings", "legend_rows", "map_frame", "map_png", "locator_png"]

Box = tuple[float, float, float, float]


def rings(geom) -> list[np.ndarray]:
    """Exterior rings (lon/lat arrays) of a polygon or multipolygon; nothing for other shapes.

    Examples
    --------
    >>> [r.shape for r in rings(shapely.box(0, 0, 1, 1))]
    [(5, 2)]
    """
    out = []
    for poly in getattr(geom, "geoms", [geom]):
        if isinstance(poly, shapely.Polygon) and not poly.is_empty:
            out.append(np.asarray(poly.exterior.coords))
        elif hasattr(poly, "geoms"):
            out.extend(rings(poly))
    return out


def projector(bounds: Sequence[float], box: Box, flip: bool = True
              ) -> Callable[[np.ndarray], list[tuple[float, float]]]:
    """Equirectangular projection of lon/lat ``bounds`` into ``box`` (x, y, width, height), aspect kept.

    Parameters
    ----------
    bounds : sequence of float
        ``(minx, miny, maxx, maxy)`` in degrees.
    box : (float, float, float, float)
        Where to draw, in the picture's units (pixels, millimetres).
    flip : bool
        Whether y grows downwards (pictures and PDF pages as fpdf2 measures them).

    Returns
    -------
    callable
        ``project(coords)``: an ``(n, 2)`` array of lon/lat -> a list of ``(x, y)``.

    Examples
    --------
    >>> projector((0, -1, 2, 1), (0, 0, 200, 200))(np.array([[0.0, -1.0], [2.0, 1.0]]))
    [(0.0, 200.0), (200.0, 0.0)]
    """
    minx, miny, maxx, maxy = bounds
    x0, y0, w, h = box
    kx = np.cos(np.radians((miny + maxy) / 2))
    span_x, span_y = max((maxx - minx) * kx, 1e-9), max(maxy - miny, 1e-9)
    scale = min(w / span_x, h / span_y)
    ox = x0 + (w - span_x * scale) / 2
    oy = y0 + (h - span_y * scale) / 2

    def project(coords: np.ndarray) -> list[tuple[float, float]]:
        coords = np.asarray(coords, dtype=float)
        xs = ox + (coords[:, 0] - minx) * kx * scale
        ys = oy + ((maxy - coords[:, 1]) if flip else (coords[:, 1] - miny)) * scale
        return list(zip(xs.round(6).tolist(), ys.round(6).tolist()))

    return project


def legend_rows(classes: MapClasses) -> list[tuple[str, str]]:
    """``(colour, label)`` of each class, most need first, numbers written the current language's way.

    The bounds are those of ``classes`` (the dashboard's legend shows the same ones), with
    ``classes.decimals`` decimals; categories keep their (translated) names.

    Examples
    --------
    >>> from geo.classify import map_classes
    >>> legend_rows(map_classes(pd.Series([1.0, 2.0, 3.0]), scheme="equal_interval", k=2))
    [('#800026', '2.0 – 3.0'), ('#ffeda0', '1.0 – 2.0')]
    """
    rows = []
    for i in classes.legend_order():
        if classes.categorical:
            label = value_label(classes.labels[i])
        else:
            low, high = classes.bounds[i]
            label = (format_number(low, classes.decimals) if low == high else
                     f"{format_number(low, classes.decimals)} – {format_number(high, classes.decimals)}")
        rows.append((classes.colours[i], label))
    return rows


def map_frame(shapes: gpd.GeoSeries, width: int, height: int) -> Callable[[np.ndarray], list[tuple[float, float]]]:
    """The projection :func:`map_png` draws ``shapes`` with, for a picture of ``width`` x ``height``.

    Returns
    -------
    callable
        ``project(coords)`` from lon/lat (EPSG:4326) to pixels, as :func:`projector`.
    """
    shapes = shapes.to_crs(4326)
    legend_w = width // 4
    return projector(shapes.total_bounds, (20, 70, width - legend_w - 40, height - 90))


def _fonts(size: int, small: int):
    from PIL import ImageFont, features

    files = font_files()
    engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return (ImageFont.truetype(str(files["latin_bold"]), size, layout_engine=engine),
            ImageFont.truetype(str(files["latin"]), small, layout_engine=engine))


def _hatch(draw, box: tuple[int, int, int, int]) -> None:
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=NO_DATA_COLOUR, outline="#777777")
    for x in range(x0 - (y1 - y0), x1, 6):
        draw.line((max(x, x0), y0 + max(0, x0 - x), min(x + (y1 - y0), x1), y1 - max(0, x + (y1 - y0) - x1)),
                  fill=NO_DATA_HATCH, width=1)


def map_png(shapes: gpd.GeoSeries, classes: MapClasses, *, title: str, legend_title: str,
            outline: Sequence[str] = (), width: int = 1600, height: int = 1200) -> bytes:
    """A picture of a choropleth map with its title and legend, as PNG bytes.

    Parameters
    ----------
    shapes : geopandas.GeoSeries
        District shapes (any CRS; drawn in EPSG:4326, equirectangular), indexed by code.
    classes : geo.classify.MapClasses
        The classes of the districts (:func:`geo.classify.map_classes` or ``category_classes``),
        as the dashboard's map draws them; a district not in ``classes`` has no data.
    title, legend_title : str
    outline : sequence of str
        Districts drawn with a thick outline and their rank number (the top N, in rank order).
    width, height : int
        Pixels.

    Returns
    -------
    bytes

    Raises
    ------
    geo.fonts.MissingFontError
        When DejaVu Sans is not installed (``make assets``).
    """
    from PIL import Image, ImageDraw

    font, small = _fonts(max(14, width // 70), max(12, width // 100))
    rtl = direction() == "rtl"
    shapes = shapes.to_crs(4326)
    index = classes.classes.reindex(shapes.index)
    colours = [NO_DATA_COLOUR if pd.isna(i) else classes.colours[int(i)] for i in index]
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    if rtl:
        draw.text((width - 24, 16), title, fill="black", font=font, anchor="ra", direction="rtl")
    else:
        draw.text((24, 16), title, fill="black", font=font)
    project = map_frame(shapes, width, height)
    b = shapes.total_bounds
    simple = shapes.simplify(max(b[2] - b[0], b[3] - b[1]) / 2000)
    for (code, geom), colour in zip(simple.items(), colours):
        for ring in rings(geom):
            draw.polygon(project(ring), fill=colour, outline="#ffffff")
    outline = [c for c in outline if c in simple.index]
    for code in outline:
        for ring in rings(simple.loc[code]):
            draw.line(project(ring) + project(ring[:1]), fill="black", width=max(2, width // 500))
    for n, code in enumerate(outline, start=1):  # the rank number on each outlined district
        point = shapes.loc[[code]].representative_point().iloc[0]
        (x, y), = project(np.array([[point.x, point.y]]))
        r = max(9, width // 110)
        draw.ellipse((x - r, y - r, x + r, y + r), fill="white", outline="black", width=2)
        draw.text((x, y), str(n), fill="black", font=small, anchor="mm")
    x, y = width - width // 4 - 10, 80
    draw.text((x, y), legend_title, fill="black", font=small)
    y += 34
    if classes.direction:
        draw.text((x, y), _(classes.direction), fill="#444444", font=small)
        y += 30
    for colour, label in legend_rows(classes):
        draw.rectangle((x, y, x + 28, y + 20), fill=colour, outline="#777777")
        draw.text((x + 38, y), label, fill="black", font=small)
        y += 28
    if index.isna().any():
        _hatch(draw, (x, y, x + 28, y + 20))
        draw.text((x + 38, y), _("no data"), fill="black", font=small)
        y += 28
    if outline:
        draw.line((x, y + 10, x + 28, y + 10), fill="black", width=3)
        draw.text((x + 38, y), _("top {n} by rank (numbered)").format(n=len(outline)), fill="black", font=small)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def locator_png(shapes: gpd.GeoSeries, code: str, *, size: int = 360) -> bytes:
    """A small picture of the whole country with district ``code`` in red: where it sits.

    Parameters
    ----------
    shapes : geopandas.GeoSeries
        Every district of the level (any CRS).
    code : str
        The district shown.
    size : int
        Width and height in pixels.

    Returns
    -------
    bytes
        PNG.
    """
    from PIL import Image, ImageDraw

    shapes = shapes.to_crs(4326)
    b = shapes.total_bounds
    simple = shapes.simplify(max(b[2] - b[0], b[3] - b[1]) / 600)
    project = projector(b, (6, 6, size - 12, size - 12))
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)
    for c, geom in simple.items():
        for ring in rings(geom):
            draw.polygon(project(ring), fill="#bd0026" if c == code else "#e0e0e0", outline="#ffffff")
    if code in simple.index:  # a ring around a small district, so that it is seen from the back of the room
        x0, y0, x1, y1 = shapes.loc[[code]].total_bounds
        (px0, py1), (px1, py0) = project(np.array([[x0, y0], [x1, y1]]))
        cx, cy, r = (px0 + px1) / 2, (py0 + py1) / 2, max(14, (px1 - px0) / 2 + 8, (py1 - py0) / 2 + 8)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline="#111111", width=3)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
