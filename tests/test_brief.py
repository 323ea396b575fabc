"""District briefs (PDF) in English, French and Arabic and the map picture (PNG): opened and checked
against the ranked export and the dashboard's map classes."""

from __future__ import annotations

import io
import subprocess
import sys

import pandas as pd
import pytest

from .conftest import ROOT
from .pdftext import holds_letters_of, page_text

pypdf = pytest.importorskip("pypdf")


def _text(path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(path).pages]


def _raw(path) -> list[str]:
    """Each page's text as extracted, spaces kept (a narrow no-break space stays U+202F)."""
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


@pytest.fixture(scope="module")
def fonts():
    """The brief's fonts; without them the test says what to run (as the map's Leaflet files do)."""
    from geo.fonts import MissingFontError, font_files

    try:
        return font_files()
    except MissingFontError as exc:
        pytest.fail(str(exc))


def _brief(tmp_path_factory, *args) -> tuple:
    out = tmp_path_factory.mktemp("brief") / "brief.pdf"
    done = subprocess.run([sys.executable, "-m", "geo", "brief", "--config", str(ROOT / "config.toml"),
                           "--level", "provinces", *args, "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def export(default_config, tmp_path_factory):
    """The command line's ranked export of the provinces (the numbers a brief must repeat)."""
    out = tmp_path_factory.mktemp("rank") / "ranked.csv"
    done = subprocess.run([sys.executable, "-m", "geo", "rank", "--config", str(ROOT / "config.toml"),
                           "--level", "provinces", "--out", str(out)], cwd=ROOT, capture_output=True)
    assert done.returncode == 0, done.stderr
    return pd.read_csv(out, dtype={"code": str, "parent_code": str}).set_index("code")


@pytest.fixture(scope="module")
def top3(default_config, fonts, tmp_path_factory):
    out = tmp_path_factory.mktemp("brief") / "top3.pdf"
    done = subprocess.run([sys.executable, "-m", "geo", "brief", "--config", str(ROOT / "config.toml"),
                           "--level", "provinces", "--top", "3", "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert "wrote 3 brief page(s)" in done.stderr
    return out


def test_top_n_gives_one_page_per_district_with_the_export_numbers(top3, export):
    pages = _text(top3)
    assert len(pages) == 3
    for page, (code, row) in zip(pages, export.head(3).iterrows()):
        assert row["name"] in page and code in page
        assert f"{int(row['rank'])} of 75" in page
        assert f"{row['score']:.1f}" in page
        assert f"{row['rank_p05']:.0f} to {row['rank_p95']:.0f}" in page
        assert f"population {row['population']:,.0f}" in page
        assert f"Ranks {['1st', '2nd', '3rd'][int(row['rank']) - 1]} of 75" in page


def test_brief_table_repeats_the_values_and_sources(top3, export):
    page = _text(top3)[0]
    figuig = export.loc["02.251"]
    assert "Illiteracy, aged 10 and over" in page
    assert f"{figuig['illiteracy']:.0f}" in page  # 39.1 % printed as 39
    assert "HCP" in page and "minmax normalisation" in page


def test_brief_of_named_codes_and_bad_code(default_config, fonts, tmp_path):
    out = tmp_path / "two.pdf"
    done = subprocess.run([sys.executable, "-m", "geo", "brief", "--code", "08.587", "--code", "02.251",
                           "--draws", "0", "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    pages = _text(out)
    assert "Zagora" in pages[0] and "Figuig" in pages[1]
    bad = subprocess.run([sys.executable, "-m", "geo", "brief", "--code", "99.999", "--draws", "0",
                          "--out", str(tmp_path / "x.pdf")], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "99.999" in bad.stderr and "Traceback" not in bad.stderr
    wrong = subprocess.run([sys.executable, "-m", "geo", "brief", "--top", "3", "--out", str(tmp_path / "x.png")],
                           cwd=ROOT, capture_output=True, text=True)
    assert wrong.returncode == 2 and "PDF" in wrong.stderr


def test_brief_names_the_district_in_both_scripts(top3, export):
    for page, (code, row) in zip(_text(top3), export.head(3).iterrows()):
        for word in str(row["name_ar"]).split():
            assert word in page, (code, word)


@pytest.fixture(scope="module")
def top3_fr(default_config, fonts, tmp_path_factory):
    return _brief(tmp_path_factory, "--top", "3", "--draws", "0", "--lang", "fr")


def test_french_brief_writes_numbers_the_french_way(top3_fr, export):
    from geo.i18n import format_number, format_percent

    pages = _raw(top3_fr)
    assert len(pages) == 3  # one page each, even with HCP's long French headings
    for page, (code, row) in zip(pages, export.head(3).iterrows()):
        assert code in page and row["name"] in page
        assert f"{int(row['rank'])} sur 75" in page
        assert format_number(row["score"], 1, lang="fr") in page  # 67,6
        population = format_number(row["population"], lang="fr")
        assert "\u202f" in population and f"population {population}" in page  # 144 451, narrow space
        illiteracy = format_percent(row["illiteracy"], 1, lang="fr")
        assert illiteracy == f"{row['illiteracy']:.1f}".replace(".", ",") + "\u00a0%"  # 39,1 %
        # DejaVu Sans draws U+00A0 with its space glyph, so the PDF's text layer gives it back as a space
        assert illiteracy.replace("\u00a0", " ") in page
        assert "Taux d'analphabétisme" in page and "Indicateurs face au pays et à la région" in page


@pytest.fixture(scope="module")
def figuig_ar(default_config, fonts, tmp_path_factory):
    return _brief(tmp_path_factory, "--code", "02.251", "--draws", "0", "--lang", "ar")


def test_arabic_brief_is_shaped_right_to_left_with_both_names(figuig_ar, export):
    from geo.i18n import format_number

    reader = pypdf.PdfReader(figuig_ar)
    page = page_text(reader.pages[0])
    assert len(reader.pages) == 1
    assert export.at["02.251", "name_ar"] == "فجيج" and "فجيج" in page and "Figuig" in page
    assert format_number(export.at["02.251", "score"], 1, lang="ar") in page  # 67,6 (Morocco's Arabic)
    assert "Rank" not in page and holds_letters_of(page, "الرتبة")  # "Rank", in Arabic
    # the Arabic font is embedded and its glyphs are the joined (shaped) forms: the heading "الرتبة"
    # extracts letter by letter as written, not as isolated presentation forms (U+FE8D...)
    assert not any(0xFE70 <= ord(ch) <= 0xFEFF for ch in page)
    fonts = {str(f.get_object()["/BaseFont"]) for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert any("NotoNaskhArabic" in f for f in fonts) and any("DejaVuSans" in f for f in fonts)


def _map_colours(path, page: int = 0) -> tuple[list[tuple], list[tuple]]:
    """The brief map's filled district rings (points, fill colour) and the thick outline's rings."""
    fill, points, filled, stroked = None, [], [], []
    for args, op in pypdf.PdfReader(path).pages[page].get_contents().operations:
        if op == b"rg":
            fill = tuple(round(float(v) * 255) for v in args)
        elif op in (b"m", b"l"):
            points.append((round(float(args[0]), 2), round(float(args[1]), 2)))
        elif op in (b"B", b"b", b"f"):
            if points:
                filled.append((tuple(points), fill))
            points = []
        elif op in (b"S", b"s"):
            if points:
                stroked.append(tuple(points))
            points = []
        elif op in (b"re", b"n"):
            points = []
    return filled, stroked


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))


@pytest.fixture(scope="module")
def dashboard(default_config):
    """The dashboard's view of the provinces (config's map settings) and its scored table."""
    from geo.dataset import load_level, score_level
    from ui import state

    data = load_level(default_config, "provinces")
    view = state.default_view("provinces")
    result = score_level(data, weights=dict(view.weights), theme_weights=dict(view.theme_weights),
                         method=view.method)
    return view, data, result


def test_brief_map_colours_each_district_as_the_dashboard(top3, export, dashboard):
    from ui.mapview import view_classes

    view, data, result = dashboard
    _column, _label, classes, _shown = view_classes(view, data, result.table)
    assert (view.scheme, view.classes) == ("quantiles", 5)
    for page, code in enumerate(export.head(3).index):
        filled, stroked = _map_colours(top3, page)
        parent = data.districts.at[code, "parent_code"]
        area = data.districts.index[data.districts["parent_code"] == parent]
        assert len(filled) >= len(area)  # one filled ring (or more) per district of the region
        # the district's own rings (under its thick outline) have its dashboard colour
        own = {colour for points, colour in filled if points in stroked}
        assert own == {_rgb(classes.colours[int(classes.classes[code])])}, code
        # and every colour of the region's map is one of its districts' dashboard colours
        assert {c for _p, c in filled} == {_rgb(classes.colours[int(classes.classes[c])]) for c in area}
    # the legend prints the dashboard's class bounds (same breaks), in the brief's language
    page = _text(top3)[0]
    for low, high in classes.bounds:
        assert f"{low:.{classes.decimals}f} – {high:.{classes.decimals}f}" in page


@pytest.mark.parametrize("layer", ["score", "jobs"])
def test_map_picture_colours_each_district_as_the_dashboard(default_config, fonts, dashboard, layer):
    from PIL import Image

    from geo.picture import map_frame
    from ui.exports import map_picture
    from ui.mapview import view_classes

    view, data, result = dashboard
    view = view.replace(map_layer=layer)
    table = result.table.join(data.values[[c for c in data.values.columns if c not in result.table.columns]])
    keep = pd.Series(True, index=table.index)
    png = map_picture(view, data, table, result, keep, title="Need score")
    img = Image.open(io.BytesIO(png)).convert("RGB")
    assert img.size == (1600, 1200) and Image.open(io.BytesIO(png)).format == "PNG"
    _column, _label, classes, _shown = view_classes(view, data, table)
    if layer == "jobs":  # "lower is worse": the fewest jobs get the darkest colour, as on the dashboard
        assert not classes.higher_is_worse and classes.colours[0] == "#800026"
    # the largest provinces outside the numbered top 10, sampled inside their shape
    top = result.table.sort_values("rank").index[: view.top_n]
    shapes = data.districts.geometry
    big = shapes.to_crs(shapes.estimate_utm_crs()).area.drop(top).nlargest(5).index
    project = map_frame(shapes, 1600, 1200)
    for code in big:
        point = shapes.to_crs(4326).loc[[code]].representative_point().iloc[0]
        (x, y), = project([[point.x, point.y]])
        assert img.getpixel((round(x), round(y))) == _rgb(classes.colours[int(classes.classes[code])]), code


def test_missing_font_names_the_file_and_make_assets(default_config, monkeypatch, tmp_path, capsys):
    import geo.fonts
    from geo.cli import main

    monkeypatch.setattr(geo.fonts, "FONT_DIR", tmp_path / "fonts")
    assert main(["brief", "--top", "1", "--draws", "0", "--out", str(tmp_path / "b.pdf")]) == 2
    err = capsys.readouterr().err
    assert "DejaVuSans.ttf" in err and "make assets" in err and "Traceback" not in err
    assert not (tmp_path / "b.pdf").exists()


def test_dashboard_without_fonts_says_make_assets(default_config, monkeypatch, tmp_path):
    import geo.fonts

    from .apptest import page

    monkeypatch.setattr(geo.fonts, "FONT_DIR", tmp_path / "fonts")
    at = page("overview", level="provinces", selected="02.251")  # no exception on the page
    captions = [c.value for c in at.caption if "make assets" in c.value]
    assert len(captions) == 2 and all("DejaVuSans.ttf" in c for c in captions)  # the brief and the picture
    labels = [str(b.proto.label) for b in at.get("download_button")]
    assert "⬇ CSV" in labels and not [l for l in labels if "(PDF)" in l or "(PNG)" in l]


def test_installed_fonts_are_the_pinned_releases(fonts):
    import importlib.util

    from geo.fonts import FONT_DIR, FONTS

    spec = importlib.util.spec_from_file_location("fetch_assets", ROOT / "scripts" / "fetch_assets.py")
    fetch_assets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fetch_assets)
    assert fetch_assets.missing_fonts(FONT_DIR) == [] and fetch_assets.missing_dejavu(FONT_DIR) == []
    pinned = set(fetch_assets.FONT_FILES) | set(fetch_assets.DEJAVU_FILES)
    assert set(FONTS.values()) <= pinned  # every font the brief writes with is fetched and checked
