"""Take-aways that work offline: a one-page district brief (PDF) and a picture of the map (PNG).

The PDF is written with fpdf2: pure Python, installs from PyPI without a
browser, a compiler or the network, draws vector shapes and tables, and embeds
nothing it would have to fetch. The PNG is drawn with Pillow. Both take their
numbers from the same ranked table and analytics as the exports, and their class
breaks from :func:`class_breaks`.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.explain import district_sentence, figure, profile_table
from geo.i18n import _

__all__ = ["BriefInputs", "class_breaks", "class_colours", "brief_pdf", "write_brief", "map_png", "locator_png"]

#: ColorBrewer YlOrRd, 9 classes; fewer classes take evenly spaced colours.
YLORRD = ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026")
NO_DATA = "#d9d9d9"


def class_breaks(values: pd.Series, scheme: str = "quantiles", k: int = 5) -> list[float]:
    """Upper bounds of the map's classes of ``values`` (the one place the brief and PNG classify).

    Examples
    --------
    >>> class_breaks(pd.Series([1.0, 2.0, 3.0, 4.0]), "equal_interval", 2)
    [2.5, 4.0]
    """
    import mapclassify

    v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if len(v) == 0:
        return []
    k = max(1, min(k, len(np.unique(v))))
    classifier = {"quantiles": mapclassify.Quantiles, "fisher_jenks": mapclassify.FisherJenks,
                  "equal_interval": mapclassify.EqualInterval}[scheme]
    return [float(b) for b in classifier(v, k=k).bins]


def class_colours(k: int) -> list[str]:
    """``k`` colours from light (least need) to dark (most need).

    Examples
    --------
    >>> class_colours(3)
    ['#ffffcc', '#fd8d3c', '#800026']
    """
    idx = np.round(np.linspace(0, len(YLORRD) - 1, max(k, 1))).astype(int)
    return [YLORRD[i] for i in idx]


def _colour_of(values: pd.Series, breaks: Sequence[float]) -> pd.Series:
    colours = class_colours(len(breaks))
    v = pd.to_numeric(values, errors="coerce")
    idx = np.searchsorted(np.asarray(breaks), v.fillna(0).to_numpy(), side="left").clip(0, max(len(breaks) - 1, 0))
    out = pd.Series([colours[i] for i in idx] if breaks else [NO_DATA] * len(v), index=values.index, dtype=object)
    return out.where(v.notna(), NO_DATA)


def _latin1(text: object) -> str:
    """Text in the PDF's core font: typographic signs replaced, other letters without their accents."""
    s = str(text).replace("–", "-").replace("—", "-").replace("’", "'").replace("‘", "'").replace("“", '"')
    s = s.replace("”", '"').replace("…", "...").replace("≥", ">=").replace("≤", "<=").replace("×", "x")
    out = []
    for ch in s:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or "?")
    return "".join(out)


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))


@dataclass(frozen=True)
class BriefInputs:
    """Everything a brief is made from (the same objects the exports use).

    Attributes
    ----------
    data : geo.dataset.LevelData
    result : geo.scoring.ScoreResult
    table : pandas.DataFrame
        The ranked table indexed by code (``rank``, ``score``, ``name``, ``parent_name``...).
    national, regional : pandas.DataFrame
        :func:`geo.dataset.reference_values` of the level and by region.
    extra : pandas.DataFrame or None
        The analytics columns (rank interval, clusters) indexed by code.
    settings : mapping
        The export's settings (``export_metadata``), printed at the foot of the page.
    title : str
        The dataset's title.
    scheme, classes : str, int
        The map's classification.
    theme_labels : mapping
        Theme id -> label, as the configuration declares them.
    """

    data: object
    result: object
    table: pd.DataFrame
    national: pd.DataFrame
    regional: pd.DataFrame
    extra: pd.DataFrame | None
    settings: Mapping[str, str]
    title: str
    scheme: str = "quantiles"
    classes: int = 5
    theme_labels: Mapping[str, str] | None = None

    def region_of(self, code: str) -> str:
        d = self.data.districts
        column = "region_code" if "region_code" in d.columns else "parent_code"
        return str(d.at[code, column])


def _rings(geom) -> list[np.ndarray]:
    out = []
    for poly in getattr(geom, "geoms", [geom]):
        if isinstance(poly, shapely.Polygon) and not poly.is_empty:
            out.append(np.asarray(poly.exterior.coords))
        elif hasattr(poly, "geoms"):
            out.extend(_rings(poly))
    return out


def _projector(bounds: Sequence[float], box: tuple[float, float, float, float], flip: bool = True):
    """Equirectangular projection of lon/lat ``bounds`` into ``box`` (x, y, w, h), aspect kept."""
    minx, miny, maxx, maxy = bounds
    x0, y0, w, h = box
    kx = np.cos(np.radians((miny + maxy) / 2))
    span_x, span_y = max((maxx - minx) * kx, 1e-9), max(maxy - miny, 1e-9)
    scale = min(w / span_x, h / span_y)
    ox = x0 + (w - span_x * scale) / 2
    oy = y0 + (h - span_y * scale) / 2

    def project(coords: np.ndarray) -> list[tuple[float, float]]:
        xs = ox + (coords[:, 0] - minx) * kx * scale
        ys = oy + ((maxy - coords[:, 1]) if flip else (coords[:, 1] - miny)) * scale
        return list(zip(xs.tolist(), ys.tolist()))

    return project


def _area_map(pdf, inputs: BriefInputs, code: str, box: tuple[float, float, float, float]) -> None:
    """The district (thick outline) among the other districts of its province or region."""
    d = inputs.data.districts.to_crs(4326)
    parent = d.at[code, "parent_code"] if "parent_code" in d.columns else None
    area = d[d["parent_code"] == parent] if parent is not None and pd.notna(parent) else d
    breaks = class_breaks(inputs.table["score"], inputs.scheme, inputs.classes)
    colours = _colour_of(inputs.table["score"].reindex(area.index), breaks)
    tol = max(area.total_bounds[2] - area.total_bounds[0], area.total_bounds[3] - area.total_bounds[1]) / 400
    project = _projector(area.total_bounds, box)
    pdf.set_line_width(0.2)
    for c, geom in area.geometry.simplify(tol).items():
        pdf.set_fill_color(*_hex(colours[c]))
        pdf.set_draw_color(255, 255, 255)
        for ring in _rings(geom):
            pdf.polygon(project(ring), style="DF")
    pdf.set_line_width(0.9)
    pdf.set_draw_color(0, 0, 0)
    for ring in _rings(area.geometry.simplify(tol).loc[code]):
        pdf.polygon(project(ring), style="D")
    # the legend: the country's classes of the score
    x, y = box[0], box[1] + box[3] + 2
    pdf.set_font("Helvetica", "", 7)
    pdf.set_line_width(0.1)
    lows = [float(inputs.table["score"].min())] + breaks[:-1]
    for colour, low, high in zip(class_colours(len(breaks)), lows, breaks):
        pdf.set_fill_color(*_hex(colour))
        pdf.set_draw_color(120, 120, 120)
        pdf.rect(x, y, 4, 3, style="DF")
        pdf.set_xy(x + 4.5, y - 0.5)
        pdf.cell(14, 4, f"{low:.0f}-{high:.0f}")
        x += 18
    pdf.set_xy(box[0], y + 4)
    pdf.cell(box[2], 4, _latin1(_("Need score classes of the whole country (darker = more in need); "
                                  "thick outline: this district.")))


def _page(pdf, inputs: BriefInputs, code: str) -> None:
    t = inputs.table
    row = t.loc[code]
    frame = profile_table(inputs.data, inputs.result, code, inputs.national, inputs.regional,
                          inputs.region_of(code), inputs.theme_labels)
    sentence = district_sentence(t, code, frame, inputs.extra)
    ranked = int(t["rank"].notna().sum())
    pdf.add_page()
    pdf.set_font("Helvetica", "", 8)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(0, 4, _latin1(_("{title} · district brief").format(title=inputs.title)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", "B", 18)
    parent = f" · {row['parent_name']}" if pd.notna(row.get("parent_name")) else ""
    pdf.cell(0, 9, _latin1(f"{row['name']}{parent}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, _latin1(_("{level}, code {code}, population {population}").format(
                 level=inputs.data.label, code=code, population=f"{row['population']:,.0f}")),
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    # key figures
    interval = "-"
    if inputs.extra is not None and code in inputs.extra.index and pd.notna(inputs.extra.at[code, "rank_p05"]):
        interval = _("{low} to {high}").format(low=f"{inputs.extra.at[code, 'rank_p05']:.0f}",
                                                high=f"{inputs.extra.at[code, 'rank_p95']:.0f}")
    figures = [(_("Rank"), "-" if pd.isna(row["rank"]) else _("{rank} of {ranked}").format(rank=int(row["rank"]),
                                                                                             ranked=ranked)),
               (_("Need score (0-100)"), "-" if pd.isna(row["score"]) else f"{row['score']:.1f}"),
               (_("Likely rank (5-95 %)"), interval),
               (_("Tenth (1 = most in need)"), "-" if pd.isna(row["decile"]) else f"{int(row['decile'])}")]
    x0, y0 = pdf.get_x(), pdf.get_y()
    for i, (label, value) in enumerate(figures):
        pdf.set_xy(x0 + i * 45, y0)
        pdf.set_font("Helvetica", "", 8)
        pdf.cell(45, 4, _latin1(label))
        pdf.set_xy(x0 + i * 45, y0 + 4)
        pdf.set_font("Helvetica", "B", 15)
        pdf.cell(45, 8, _latin1(value))
    pdf.set_xy(x0, y0 + 14)
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(0, 5, _latin1(sentence), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    # the map of the district in its province or region, and the main reasons beside it
    top = pdf.get_y()
    _area_map(pdf, inputs, code, (pdf.l_margin, top, 88, 70))
    pdf.set_xy(pdf.l_margin + 94, top)
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(0, 5, _latin1(_("What adds most to the score (points)")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    for _i, r in frame.dropna(subset=["contribution"]).head(8).iterrows():
        pdf.set_x(pdf.l_margin + 94)
        label = _latin1(r["layer"])
        pdf.cell(74, 4.5, label if len(label) <= 62 else label[:60] + "...")
        pdf.cell(0, 4.5, f"{r['contribution']:.2f}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(top + 82)
    # the indicator table
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(0, 5, _latin1(_("Indicators against the country and the region")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 7.5)
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(170, 170, 170)
    pdf.set_line_width(0.1)
    with pdf.table(col_widths=(62, 22, 30, 18, 18, 14), text_align=("LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT",
                                                                    "RIGHT"),
                   line_height=3.8, first_row_as_headings=True) as tab:
        tab.row([_latin1(h) for h in (_("Indicator"), _("Value"), _("Unit"), _("Country"), _("Region"),
                                       _("Points"))])
        for _i, r in frame.iterrows():
            tab.row([_latin1(r["layer"]), figure(r["value"]), _latin1(r["unit"] or ""),
                     figure(r["national"]), figure(r["regional"]),
                     "-" if pd.isna(r["contribution"]) else f"{r['contribution']:.2f}"])
    # sources and settings
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 6.5)
    pdf.set_text_color(70, 70, 70)
    sources = sorted(set(frame["source"])) if len(frame) else []
    s = inputs.settings
    method = _("Method: {normalisation} normalisation, {aggregation} aggregation, missing data: {missing}; "
               "level {level}; configuration {config}.").format(
        normalisation=s.get("normalisation", ""), aggregation=s.get("aggregation", ""), missing=s.get("missing", ""),
        level=s.get("level", ""), config=s.get("config", ""))
    weights = ", ".join(f"{k.split('.', 1)[1]} {v}" for k, v in sorted(s.items())
                        if k.startswith("effective_weight."))
    text = " ".join([
        _("Sources: {sources}.").format(sources="; ".join(sources)), method,
        _("Effective weights: {weights}.").format(weights=weights),
        _("National and regional figures are aggregated from this level's districts, rates weighted "
          "by their denominators."),
        _("The same numbers as the ranked export (python -m geo rank).")])
    pdf.multi_cell(0, 3, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def brief_pdf(inputs: BriefInputs, codes: Sequence[str]) -> bytes:
    """One A4 page per district of ``codes``, as PDF bytes.

    Raises
    ------
    TargetingError
        A code that is not a district of the level.
    """
    from fpdf import FPDF

    from geo.errors import TargetingError

    unknown = [c for c in codes if c not in inputs.table.index]
    if unknown:
        raise TargetingError(_("--code {unknown!r} is not a district of level {level!r}; "
                             "use a code of the ranked export, e.g. {index!r}.").format(unknown=unknown[0], level=inputs.data.level, index=inputs.table.index[0]))
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(14, 12, 14)
    pdf.set_auto_page_break(True, margin=10)
    pdf.set_creation_date(dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))  # same settings, same bytes
    pdf.set_title(_latin1(f"{inputs.title}: district brief"))
    for code in codes:
        _page(pdf, inputs, code)
    return bytes(pdf.output())


def write_brief(path: str | Path, inputs: BriefInputs, codes: Sequence[str]) -> Path:
    """Write :func:`brief_pdf` to ``path``; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(brief_pdf(inputs, codes))
    return path


def map_png(shapes: gpd.GeoSeries, values: pd.Series, *, title: str, legend_title: str,
            scheme: str = "quantiles", classes: int = 5, outline: Sequence[str] = (),
            width: int = 1600, height: int = 1200) -> bytes:
    """A picture of a choropleth map with its title and legend, as PNG bytes.

    Parameters
    ----------
    shapes : geopandas.GeoSeries
        District shapes (any CRS; drawn in EPSG:4326, equirectangular).
    values : pandas.Series
        Value per district (index = shapes' index); darker = higher.
    title, legend_title : str
    scheme, classes : str, int
        The classification (:func:`class_breaks`).
    outline : sequence of str
        Districts drawn with a thick outline (e.g. the top N).
    width, height : int
        Pixels.

    Returns
    -------
    bytes
    """
    from PIL import Image, ImageDraw, ImageFont

    shapes = shapes.to_crs(4326)
    breaks = class_breaks(values, scheme, classes)
    colours = _colour_of(values.reindex(shapes.index), breaks)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=max(14, width // 70))
    small = ImageFont.load_default(size=max(12, width // 100))
    draw.text((24, 16), title, fill="black", font=font)
    legend_w = width // 4
    project = _projector(shapes.total_bounds, (20, 70, width - legend_w - 40, height - 90))
    tol = max(shapes.total_bounds[2] - shapes.total_bounds[0], shapes.total_bounds[3] - shapes.total_bounds[1]) / 2000
    simple = shapes.simplify(tol)
    for code, geom in simple.items():
        for ring in _rings(geom):
            draw.polygon(project(ring), fill=colours[code], outline="#ffffff")
    for code in outline:
        if code in simple.index:
            for ring in _rings(simple.loc[code]):
                draw.line(project(ring) + project(ring[:1]), fill="black", width=max(2, width // 500))
    x, y = width - legend_w - 10, 80
    draw.text((x, y), legend_title, fill="black", font=small)
    y += 34
    lows = [float(pd.to_numeric(values, errors="coerce").min())] + breaks[:-1]
    for colour, low, high in reversed(list(zip(class_colours(len(breaks)), lows, breaks))):
        draw.rectangle((x, y, x + 28, y + 20), fill=colour, outline="#777777")
        draw.text((x + 38, y), f"{figure(low)} - {figure(high)}", fill="black", font=small)
        y += 28
    if pd.to_numeric(values, errors="coerce").isna().any():
        draw.rectangle((x, y, x + 28, y + 20), fill=NO_DATA, outline="#777777")
        draw.text((x + 38, y), "no data", fill="black", font=small)
        y += 28
    if len(outline):
        draw.line((x, y + 10, x + 28, y + 10), fill="black", width=3)
        draw.text((x + 38, y), _("top {n_outline} by rank").format(n_outline=len(outline)), fill="black", font=small)
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
    project = _projector(b, (6, 6, size - 12, size - 12))
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)
    for c, geom in simple.items():
        for ring in _rings(geom):
            draw.polygon(project(ring), fill="#bd0026" if c == code else "#e0e0e0", outline="#ffffff")
    if code in simple.index:  # a ring around a small district, so that it is seen from the back of the room
        x0, y0, x1, y1 = shapes.loc[[code]].total_bounds
        (px0, py1), (px1, py0) = project(np.array([[x0, y0], [x1, y1]]))
        cx, cy, r = (px0 + px1) / 2, (py0 + py1) / 2, max(14, (px1 - px0) / 2 + 8, (py1 - py0) / 2 + 8)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline="#111111", width=3)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
