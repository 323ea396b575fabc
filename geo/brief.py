"""The one-page district brief (PDF), offline, in English, French or Arabic.

The PDF is written with fpdf2: pure Python, installs from PyPI without a
browser, a compiler or the network, draws vector shapes and tables, and embeds
(subsets of) the fonts it writes with, which ``make assets`` installs
(:mod:`geo.fonts`): DejaVu Sans for Latin text and the narrow spaces of French
numbers, Noto Naskh Arabic for Arabic names and the Arabic brief, shaped and laid
out right to left by HarfBuzz (``uharfbuzz``, fpdf2's text shaping).

The numbers are those of the ranked export (the same table and analytics), written
the language's way (:func:`geo.i18n.format_number`: French ``24,8 %``, ``36 828 330``),
and the map's classes are :func:`score_classes`, the dashboard's own
(:func:`geo.classify.map_classes` of the score, same scheme, number and palette).
The picture of the map (PNG) is :mod:`geo.picture`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from geo.classify import NO_DATA_COLOUR, MapClasses, map_classes
from geo.explain import district_sentence, profile_table
from geo.fonts import font_files, strip_isolates
from geo.i18n import (_, direction, district_name, format_number, format_percent, get_language, licence_text,
                      source_text)
from geo.picture import legend_rows, projector, rings

__all__ = ["BriefInputs", "score_classes", "brief_pdf", "write_brief"]

# Font families inside the PDF.
LATIN, ARABIC = "dejavu", "naskh"


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
    scheme, classes, palette : str, int, str
        The map's classification and palette (``[display]`` or the dashboard's settings).
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
    palette: str = "YlOrRd"

    def region_of(self, code: str) -> str:
        d = self.data.districts
        column = "region_code" if "region_code" in d.columns else "parent_code"
        return str(d.at[code, column])


def score_classes(inputs: BriefInputs) -> MapClasses:
    """The classes of the need score every brief's map draws: the dashboard's map of the score.

    The whole level is classed (as the dashboard without a filter), with the brief's scheme,
    number of classes and palette, by :func:`geo.classify.map_classes`.
    """
    return map_classes(inputs.table["score"], scheme=inputs.scheme, k=inputs.classes, palette=inputs.palette)


class _Writer:
    """Text and positions on a page, mirrored for a right-to-left language."""

    def __init__(self, pdf, rtl: bool) -> None:
        self.pdf, self.rtl = pdf, rtl
        self.main = ARABIC if rtl else LATIN
        # the indicator table's type size, found on an earlier page whose table started at table_top:
        # every page has the same rows and foot, so one that starts no lower fits in the same size
        self.size: float | None = None
        self.table_top = 0.0

    def shape(self, text: str) -> str:
        """Turn HarfBuzz shaping on for right-to-left text only (a page in Arabic: always).

        Shaping and the bidi algorithm cost time on every character measured; Latin text
        needs neither, an Arabic name in a French page needs both.
        """
        wanted = self.rtl or _has_rtl(text)
        if bool(self.pdf.text_shaping) != wanted:
            self.pdf.set_text_shaping(wanted)
        return text

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.main, "B" if bold else "", size)

    def x(self, offset: float, width: float) -> float:
        """Left edge of a block ``offset`` mm from the reading start, ``width`` mm wide."""
        pdf = self.pdf
        return pdf.w - pdf.r_margin - offset - width if self.rtl else pdf.l_margin + offset

    @property
    def align(self) -> str:
        return "R" if self.rtl else "L"

    def line(self, height: float, text: object, *, width: float = 0, offset: float = 0) -> None:
        pdf = self.pdf
        width = width or pdf.w - pdf.l_margin - pdf.r_margin - offset
        pdf.set_x(self.x(offset, width))
        pdf.cell(width, height, self.shape(strip_isolates(text)), align=self.align, new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, height: float, text: object) -> None:
        """``text`` wrapped to the text width, a line per cell.

        Shaped text is wrapped here, word by word, each word measured once: fpdf2's own wrapping
        shapes the line again for every character it adds. A right-to-left line starts with a
        right-to-left mark, so that a line beginning with a Latin word still reads right to left.
        """
        pdf = self.pdf
        text = self.shape(strip_isolates(text))
        if not pdf.text_shaping:
            pdf.multi_cell(0, height, text, align=self.align, new_x="LMARGIN", new_y="NEXT")
            return
        full = pdf.w - pdf.l_margin - pdf.r_margin
        space = pdf.get_string_width(" ")
        lines: list[list[str]] = [[]]
        used = 0.0
        for word in text.split():
            width = self._width(word)
            if lines[-1] and used + space + width > full * 0.99:
                lines.append([])
                used = 0.0
            used += (space if lines[-1] else 0.0) + width
            lines[-1].append(word)
        mark = "\u200f" if self.rtl else ""
        for words in lines:
            pdf.cell(full, height, mark + " ".join(words), align=self.align, new_x="LMARGIN", new_y="NEXT")

    def _width(self, word: str) -> float:
        """Width of ``word`` in the font that draws it (fpdf2 measures in the current font only)."""
        pdf = self.pdf
        family = ARABIC if _has_rtl(word) else LATIN
        if family == pdf.font_family:
            return pdf.get_string_width(word)
        style, size = pdf.font_style, pdf.font_size_pt
        main = pdf.font_family
        pdf.set_font(family, style, size)
        width = pdf.get_string_width(word)
        pdf.set_font(main, style, size)
        return width

    def fit(self, text: object, width: float) -> str:
        """``text``, shortened with an ellipsis when it is wider than ``width`` mm in the current font."""
        text = self.shape(strip_isolates(text))
        if self.pdf.get_string_width(text) <= width:
            return text
        while len(text) > 1 and self.pdf.get_string_width(text + "…") > width:
            text = text[:-1]
        return text.rstrip() + "…"


def _has_rtl(text: str) -> bool:
    """Whether ``text`` has a letter of a right-to-left script (Hebrew, Arabic and their forms)."""
    return any(0x0590 <= ord(ch) <= 0x08FF or 0xFB1D <= ord(ch) <= 0xFEFC for ch in text)


def _new_pdf():
    from fpdf import FPDF

    files = font_files()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.add_font(LATIN, "", files["latin"])
    pdf.add_font(LATIN, "B", files["latin_bold"])
    pdf.add_font(ARABIC, "", files["arabic"])
    pdf.add_font(ARABIC, "B", files["arabic_bold"])
    pdf.set_fallback_fonts([ARABIC, LATIN])  # an Arabic name in Latin text, Latin digits in Arabic text
    pdf.set_text_shaping(True)  # HarfBuzz: Arabic letters joined; the Unicode bidi algorithm orders the runs
    pdf.set_margins(14, 12, 14)
    pdf.set_auto_page_break(True, margin=10)
    pdf.set_creation_date(dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))  # same settings, same bytes
    return pdf


def _number(value: object, unit: str = "") -> str:
    """A value of the indicator table the language's way: ``39,1 %`` for a percentage in French."""
    if value is None or pd.isna(value):
        return _("no data")
    value = float(value)
    if unit == "%":
        return format_percent(value, 1)
    return format_number(value, 0 if abs(value) >= 100 else 1)


def _area_map(w: _Writer, inputs: BriefInputs, code: str, box: tuple[float, float, float, float]) -> None:
    """The district (thick outline) among the other districts of its province or region."""
    pdf = w.pdf
    d = inputs.data.districts.to_crs(4326)
    parent = d.at[code, "parent_code"] if "parent_code" in d.columns else None
    area = d[d["parent_code"] == parent] if parent is not None and pd.notna(parent) else d
    classes = score_classes(inputs)
    index = classes.classes.reindex(area.index)
    b = area.total_bounds
    simple = area.geometry.simplify(max(b[2] - b[0], b[3] - b[1]) / 400)
    project = projector(b, box)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(255, 255, 255)
    for (c, geom), i in zip(simple.items(), index):
        pdf.set_fill_color(*_hex(NO_DATA_COLOUR if pd.isna(i) else classes.colours[int(i)]))
        for ring in rings(geom):
            pdf.polygon(project(ring), style="DF")
    pdf.set_line_width(0.9)
    pdf.set_draw_color(0, 0, 0)
    for ring in rings(simple.loc[code]):
        pdf.polygon(project(ring), style="D")
    # the legend: the country's classes of the score, most need first, as the dashboard's
    y = box[1] + box[3] + 2
    w.font(7)
    pdf.set_line_width(0.1)
    pdf.set_draw_color(120, 120, 120)
    offset, full = 0.0, pdf.w - pdf.l_margin - pdf.r_margin
    for colour, label in legend_rows(classes) + ([(NO_DATA_COLOUR, _("no data"))] if index.isna().any() else []):
        width = 6 + pdf.get_string_width(label) + 4
        if offset + width > full:
            offset, y = 0.0, y + 4.5
        x = w.x(offset, width)
        pdf.set_fill_color(*_hex(colour))
        pdf.rect(x + (width - 4 if w.rtl else 0), y, 4, 3, style="DF")
        pdf.set_xy(x + (0 if w.rtl else 5), y - 0.5)
        pdf.cell(width - 5, 4, label, align=w.align)
        offset += width
    pdf.set_y(y + 4.5)
    w.line(4, _("Need score classes of the whole country (darker = more in need); thick outline: this district."))


def _sources(inputs: BriefInputs) -> list[str]:
    """Each scored layer's source and licence, in the current language, once each."""
    scored = [l for l in inputs.data.layers if l.id in inputs.result.normalised.columns]
    return sorted({f"{source_text(l.source)}, {l.source.year} ({licence_text(l.source)})" for l in scored})


def _page(w: _Writer, inputs: BriefInputs, code: str) -> None:
    pdf = w.pdf
    t = inputs.table
    row = t.loc[code]
    frame = profile_table(inputs.data, inputs.result, code, inputs.national, inputs.regional,
                          inputs.region_of(code), inputs.theme_labels)
    sentence = district_sentence(t, code, frame, inputs.extra)
    ranked = int(t["rank"].notna().sum())
    d = inputs.data.districts
    name = district_name(row["name"], d.at[code, "name_ar"] if "name_ar" in d.columns else None)
    pdf.add_page()
    w.font(8)
    pdf.set_text_color(90, 90, 90)
    w.line(4, _("{title} · district brief").format(title=inputs.title))
    pdf.set_text_color(0, 0, 0)
    w.font(18, bold=True)
    parent = f" · {row['parent_name']}" if pd.notna(row.get("parent_name")) else ""
    w.line(10, f"{name}{parent}")
    w.font(9)
    w.line(5, _("{level}, code {code}, population {population}").format(
        level=_(inputs.data.label), code=code, population=format_number(row["population"])))
    pdf.ln(1)
    # key figures
    interval = "–"
    if inputs.extra is not None and code in inputs.extra.index and pd.notna(inputs.extra.at[code, "rank_p05"]):
        interval = _("{low} to {high}").format(low=format_number(inputs.extra.at[code, "rank_p05"]),
                                                high=format_number(inputs.extra.at[code, "rank_p95"]))
    figures = [(_("Rank"), "–" if pd.isna(row["rank"]) else _("{rank} of {ranked}").format(rank=int(row["rank"]),
                                                                                             ranked=ranked)),
               (_("Need score (0-100)"), "–" if pd.isna(row["score"]) else format_number(row["score"], 1)),
               (_("Likely rank (5-95 %)"), interval),
               (_("Tenth (1 = most in need)"), "–" if pd.isna(row["decile"]) else f"{int(row['decile'])}")]
    y0 = pdf.get_y()
    for i, (label, value) in enumerate(figures):
        pdf.set_y(y0)
        w.font(8)
        w.line(4, label, width=45, offset=i * 45.5)
        pdf.set_y(y0 + 4)
        w.font(15, bold=True)
        w.line(8, value, width=45, offset=i * 45.5)
    pdf.set_y(y0 + 14)
    w.font(10, bold=True)
    w.paragraph(5.5, sentence)
    pdf.ln(2)
    # the map of the district in its province or region, and the main reasons beside it
    top = pdf.get_y()
    _area_map(w, inputs, code, (w.x(0, 88), top, 88, 62))
    bottom = pdf.get_y()
    pdf.set_y(top)
    w.font(9, bold=True)
    w.line(5, _("What adds most to the score (points)"), width=88, offset=94)
    w.font(8)
    for _i, r in frame.dropna(subset=["contribution"]).head(8).iterrows():
        label = w.fit(r["layer"], 70)
        y = pdf.get_y()
        w.line(4.5, label, width=72, offset=94)
        pdf.set_y(y)
        pdf.set_x(w.x(94 + 72, 16))
        pdf.cell(16, 4.5, format_number(r["contribution"], 2), align="L" if w.rtl else "R",
                 new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(bottom, pdf.get_y()) + 2)
    # the indicator table, then the sources and settings, in the largest type that keeps them on the page
    w.font(9, bold=True)
    w.line(5, _("Indicators against the country and the region"))
    widths = [82, 18, 28, 18, 18, 18]
    aligns = ["LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT"]
    rows = [[_("Indicator"), _("Value"), _("Unit"), _("Country"), _("Region"), _("Points")]]
    for _i, r in frame.iterrows():
        unit = str(r["unit"] or "")
        rows.append([strip_isolates(r["layer"]), _number(r["value"], unit), "" if unit == "%" else _(unit),
                     _number(r["national"], unit), _number(r["regional"], unit),
                     "–" if pd.isna(r["contribution"]) else format_number(r["contribution"], 2)])
    if w.rtl:  # the first column on the right, text aligned to its start
        widths, rows = widths[::-1], [cells[::-1] for cells in rows]
        aligns = [{"LEFT": "RIGHT", "RIGHT": "LEFT"}[a] for a in aligns[::-1]]
    s = inputs.settings
    method = _("Method: {normalisation} normalisation, {aggregation} aggregation, missing data: {missing}; "
               "level {level}; configuration {config}.").format(
        normalisation=s.get("normalisation", ""), aggregation=s.get("aggregation", ""), missing=s.get("missing", ""),
        level=s.get("level", ""), config=s.get("config", ""))
    weights = ", ".join(f"{k.split('.', 1)[1]} {format_number(float(v), None)}" for k, v in sorted(s.items())
                        if k.startswith("effective_weight."))
    foot = " ".join([
        _("Sources: {sources}.").format(sources="; ".join(_sources(inputs))), method,
        _("Effective weights: {weights}.").format(weights=weights),
        _("National and regional figures are aggregated from this level's districts, rates weighted "
          "by their denominators."),
        _("The same numbers as the ranked export (python -m geo rank).")])
    if w.size is not None and pdf.get_y() <= w.table_top:
        size = w.size  # the same rows and foot from no lower on the page: they fit as on the last page
    else:
        sizes = tuple(v for v in (7.5, 7.0, 6.5, 6.0, 5.5, 5.0) if w.size is None or v <= w.size)
        for size in sizes[:-1]:
            with pdf.offset_rendering() as trial:
                _table_and_foot(_Writer(trial, w.rtl), rows, widths, aligns, foot, size)
            if not trial.page_break_triggered:
                break
        else:
            size = sizes[-1]
        w.size, w.table_top = size, pdf.get_y()
    _table_and_foot(w, rows, widths, aligns, foot, size)


def _table_and_foot(w: _Writer, rows: list[list[str]], widths: list[float], aligns: list[str], foot: str,
                    size: float) -> None:
    pdf = w.pdf
    w.font(size)
    w.shape(" ".join(" ".join(cells) for cells in rows))
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(170, 170, 170)
    pdf.set_line_width(0.1)
    with pdf.table(col_widths=tuple(widths), text_align=tuple(aligns), line_height=size * 0.5,
                   first_row_as_headings=True) as tab:
        for cells in rows:
            tab.row(cells)
    pdf.ln(1.5)
    w.font(min(size, 6.5) - 0.5)
    pdf.set_text_color(70, 70, 70)
    w.paragraph(2.8, foot)
    pdf.set_text_color(0, 0, 0)


def brief_pdf(inputs: BriefInputs, codes: Sequence[str]) -> bytes:
    """One A4 page per district of ``codes``, as PDF bytes, in the current language.

    Arabic (:func:`geo.i18n.set_language`) gives a right-to-left page: text aligned right,
    the figures, the map and the table columns mirrored.

    Raises
    ------
    TargetingError
        A code that is not a district of the level.
    geo.fonts.MissingFontError
        When a font file is not installed (``make assets`` installs them).
    """
    from geo.errors import TargetingError

    unknown = [c for c in codes if c not in inputs.table.index]
    if unknown:
        raise TargetingError(_("--code {code!r} is not a district of level {level!r}; use a code of the ranked "
                               "export, e.g. {example!r}.").format(code=unknown[0], level=inputs.data.level,
                                                                   example=inputs.table.index[0]))
    pdf = _new_pdf()
    pdf.set_title(strip_isolates(_("{title} · district brief").format(title=inputs.title)))
    pdf.set_lang(get_language())
    w = _Writer(pdf, direction() == "rtl")
    for code in codes:
        _page(w, inputs, code)
    return bytes(pdf.output())


def write_brief(path: str | Path, inputs: BriefInputs, codes: Sequence[str]) -> Path:
    """Write :func:`brief_pdf` to ``path``; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(brief_pdf(inputs, codes))
    return path
