"""The map module: classes by hand, legend, escaping, feature codes, offline assets, standalone file."""

from __future__ import annotations

import json
import re
import warnings

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pytest
import shapely

from ui import maps

from .conftest import OWN

EVIL_NAME = "<img src=x onerror=alert(1)>"
EVIL_LABEL = "Need <script>alert(2)</script>"


@pytest.fixture(scope="module")
def districts() -> gpd.GeoSeries:
    g = gpd.read_file(OWN / "districts.geojson").set_index("DIST_ID")
    return g.geometry


@pytest.fixture(scope="module")
def table(districts) -> pd.DataFrame:
    t = pd.DataFrame({"name": ["Aïn Nord", EVIL_NAME, "Cap Est", "Dar Sud", "El Ouest", "Fès {{ 7*7 }}"],
                      "score": [12.0, 25.0, np.nan, 47.0, 58.0, 71.0]}, index=districts.index)
    t["rank"] = t["score"].rank(ascending=False, method="min")
    return t


@pytest.fixture(scope="module")
def m(districts, table):
    regions = gpd.GeoDataFrame({"name": ["North <b>", "South"]},
                               geometry=[shapely.box(0, 1, 3, 2), shapely.box(0, 0, 3, 1)],
                               index=["N", "S"], crs=4326)
    extra = pd.Series({"004": "top contributing layers: <script>x</script>"})
    return maps.choropleth(districts, table, column="score", column_label=EVIL_LABEL, k=3, selected="004",
                           top=["006", "005"], outlines=regions, tooltip_extra=extra)


def _payload(page: str) -> dict:
    """The district layer's shapes and its colouring, read back from the rendered page."""
    shapes = re.search(r"var d = (\{\"codes\".*?\});\n", page)
    style = re.search(r"PK\.restyle\((\{\"codes\".*?\})\);\n", page)
    assert shapes and style, "no district layer in the page"
    out = json.loads(shapes.group(1))
    colours = json.loads(style.group(1))
    assert colours["codes"] == out["codes"]
    return {**out, **colours}


def _legend(m) -> str:
    return next(json.loads(e.payload)["legend"] for e in maps._walk(m) if isinstance(e, maps._Restyle))


# ----------------------------------------------------------------------------- classify
def test_quantiles_by_hand():
    values = pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10], index=list("abcdefghij"))
    classes, bounds = maps.classify(values, "quantiles", 5)
    # quintiles of 1..10 (numpy's linear interpolation): 2.8, 4.6, 6.4, 8.2, 10
    assert classes.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert np.ravel(bounds) == pytest.approx(np.ravel([(1, 2.8), (2.8, 4.6), (4.6, 6.4), (6.4, 8.2), (8.2, 10)]))


def test_equal_interval_by_hand_with_missing():
    values = pd.Series([0.0, np.nan, 10, 4, 6, None], index=list("abcdef"))
    classes, bounds = maps.classify(values, "equal_interval", 2)
    assert bounds == [(0.0, 5.0), (5.0, 10.0)]
    assert classes.iloc[[0, 2, 3, 4]].tolist() == [0, 1, 0, 1]
    assert classes.iloc[[1, 5]].isna().all()  # missing stays missing: its own class, not the lowest or highest
    assert classes.index.tolist() == list("abcdef")


def test_fisher_jenks_by_hand():
    values = pd.Series([1.0, 2, 3, 10, 11, 12, 30, 31, np.nan])
    classes, bounds = maps.classify(values, "fisher_jenks", 3)
    assert bounds == [(1, 3), (3, 12), (12, 31)]
    assert classes.iloc[:8].tolist() == [0, 0, 0, 1, 1, 1, 2, 2]
    assert np.isnan(classes.iloc[8])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fisher_jenks_matches_mapclassify(seed):
    y = np.random.default_rng(seed).gamma(2, 10, 120).round(1)
    for k in (3, 5, 7):
        _, bounds = maps.classify(pd.Series(y), "fisher_jenks", k)
        with warnings.catch_warnings():  # mapclassify notes that numba is missing
            warnings.simplefilter("ignore")
            reference = mapclassify.FisherJenks(y, k=k).bins
        assert [hi for _, hi in bounds] == pytest.approx(list(reference))


@pytest.mark.parametrize("scheme", maps.SCHEMES)
def test_fewer_distinct_values_than_classes(scheme):
    values = pd.Series([1.0, 1, 1, 2, 2, 3, np.nan])
    classes, bounds = maps.classify(values, scheme, 5)
    assert len(bounds) <= 3 if scheme != "equal_interval" else len(bounds) == 3
    assert classes.iloc[:6].notna().all() and np.isnan(classes.iloc[6])
    # every class that holds a value is in range, and values keep their order
    assert classes.iloc[:6].is_monotonic_increasing
    assert classes.max() == len(bounds) - 1
    if scheme != "equal_interval":  # no empty class in quantiles or natural breaks
        assert sorted(classes.dropna().unique()) == list(range(len(bounds)))


@pytest.mark.parametrize("scheme", maps.SCHEMES)
def test_constant_and_empty_values(scheme):
    classes, bounds = maps.classify(pd.Series([4.0, 4.0, np.nan]), scheme, 5)
    assert bounds == [(4.0, 4.0)] and classes.tolist()[:2] == [0, 0] and np.isnan(classes.iloc[2])
    classes, bounds = maps.classify(pd.Series([np.nan, np.nan]), scheme, 5)
    assert bounds == [] and classes.isna().all()


def test_unknown_scheme_names_the_allowed_ones():
    with pytest.raises(ValueError, match="quantiles, fisher_jenks, equal_interval"):
        maps.classify(pd.Series([1.0, 2.0]), "jenks", 3)
    with pytest.raises(ValueError, match="between 2 and 9"):
        maps.classify(pd.Series([1.0, 2.0]), "quantiles", 12)


@pytest.mark.parametrize("palette", list(maps.PALETTES))
def test_palettes_give_2_to_9_distinct_colours(palette):
    for k in range(2, 10):
        colours = maps.palette_colours(palette, k)
        assert len(colours) == len(set(colours)) == k
        assert maps.NO_DATA_COLOUR not in colours
    with pytest.raises(ValueError, match="YlOrRd"):
        maps.palette_colours("rainbow", 5)


# ----------------------------------------------------------------------------- the map
def test_legend_has_title_bounds_counts_and_no_data(m, table):
    legend = _legend(m)
    _, bounds = maps.classify(table["score"], "quantiles", 3)
    for low, high in bounds:
        assert f"{low:.1f} – {high:.1f}" in legend
    assert "no data" in legend and "(1)" in legend  # one district without a score
    assert "pk-nodata" in legend  # hatched swatch
    assert "top 2 by rank" in legend and "selected" in legend
    assert "Need &lt;script&gt;alert(2)&lt;/script&gt;" in legend
    page = m.get_root().render()
    assert "no data" in page and f"{bounds[0][0]:.1f} – {bounds[0][1]:.1f}" in page


def test_large_mode_uses_larger_type(districts, table):
    small = maps.choropleth(districts, table, column="score", column_label="Score").get_root().render()
    large = maps.choropleth(districts, table, column="score", column_label="Score",
                            large=True).get_root().render()
    assert "font: 12px" in small and "font: 18px" in large


def test_no_unescaped_user_text_in_page(m):
    page = m.get_root().render()
    assert EVIL_NAME not in page and "<img src=x" not in page
    assert "<script>alert(2)" not in page and "<script>x</script>" not in page and "<b>" not in page
    tips = _payload(page)["tips"]
    assert any("&lt;img src=x onerror=alert(1)&gt;" in t for t in tips)
    assert any("Fès {{ 7*7 }}" in t for t in tips)  # not evaluated as a template
    assert any("top contributing layers: &lt;script&gt;x&lt;/script&gt;" in t for t in tips)


def test_tooltips_name_rank_value(m):
    tips = dict(zip(*(_payload(m.get_root().render())[k] for k in ("codes", "tips"))))
    assert "Aïn Nord" in tips["001"] and "rank 5 of 5" in tips["001"] and "12.0" in tips["001"]
    assert "not ranked" in tips["003"] and "no data" in tips["003"]


def test_features_carry_their_code_and_one_class_each(m, districts):
    data = _payload(m.get_root().render())
    assert data["codes"] == list(districts.index)
    assert len(data["geoms"]) == len(data["cls"]) == len(data["tips"]) == 6
    assert data["cls"][2] is None  # "003" has no score
    assert m.options["prefer_canvas"] is True


def test_geometry_encoding_round_trips(districts):
    geoms = [shapely.Polygon([(-7.12345, 33.5), (-7.1, 33.51234), (-7.2, 33.6)],
                             holes=[[(-7.15, 33.52), (-7.14, 33.53), (-7.13, 33.52)]]),
             shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)])]
    encoded = maps._encode_rings(geoms)
    assert [len(polys) for polys in encoded] == [1, 2] and len(encoded[0][0]) == 2
    decoded = [[[_decode(ring) for ring in poly] for poly in polys] for polys in encoded]
    np.testing.assert_allclose(decoded[0][0][0], geoms[0].exterior.coords, atol=1e-9)
    np.testing.assert_allclose(decoded[0][0][1], geoms[0].interiors[0].coords, atol=1e-9)
    np.testing.assert_allclose(decoded[1][1][0], geoms[1].geoms[1].exterior.coords, atol=1e-9)


def _decode(text: str) -> list[tuple[float, float]]:
    """Python twin of the browser's polyline decoder."""
    values, i = [], 0
    while i < len(text):
        result = shift = 0
        while True:
            b = ord(text[i]) - 63
            i += 1
            result |= (b & 31) << shift
            shift += 5
            if b < 32:
                break
        values.append(~(result >> 1) if result & 1 else result >> 1)
    xs, ys = np.cumsum(values[0::2]) / 1e5, np.cumsum(values[1::2]) / 1e5
    points = list(zip(xs.tolist(), ys.tolist()))
    return points + points[:1]


def test_base_map_stays_the_same_while_the_colouring_changes(districts, table):
    base = maps.base_map(districts)
    page = base.get_root().render()
    assert "PK.restyle(" not in page.split("PK.restyle = function")[1] and "feature_group" not in page
    assert _script(maps.base_map(districts)) == _script(base)  # st_folium keeps the map mounted
    group = maps.style_group(districts, table, column="score", column_label="Score", selected="002",
                             top=["006", "nope"])
    styles = [json.loads(e.payload) for e in maps._walk(group) if isinstance(e, maps._Restyle)]
    assert len(styles) == 1 and "selected" in styles[0]["legend"] and "top 1 by rank" in styles[0]["legend"]
    outlines = [e for e in maps._walk(group) if isinstance(e, maps._Outlines)]
    assert [json.loads(e.payload)["codes"] for e in outlines] == [["006"], ["002"]]
    assert list(group._children.values())[0] is next(e for e in maps._walk(group) if isinstance(e, maps._Restyle))
    flipped = maps.style_group(districts, table.assign(score=100 - table["score"]), column="score",
                               column_label="Score")
    new = next(json.loads(e.payload) for e in maps._walk(flipped) if isinstance(e, maps._Restyle))
    assert new["cls"] != styles[0]["cls"]
    assert maps.highlight_group(districts, selected="nope")._children == {}


def _script(m) -> str:
    """The map's script with folium's random element ids taken out."""
    return re.sub(r"_[0-9a-f]{32}", "", m.get_root().render())


def test_focus_fits_one_district(districts, table):
    m = maps.choropleth(districts, table, column="score", column_label="Score", focus="005")
    fit = re.search(r"fitBounds\((\[\[.*?\]\])", m.get_root().render()).group(1)
    assert json.loads(fit) == [[0.0, 1.0], [1.0, 2.0]]  # district 005: x 1-2, y 0-1


def test_missing_codes_in_table_are_no_data(districts, table):
    m = maps.choropleth(districts, table.drop(index="006"), column="score", column_label="Score")
    assert _payload(m.get_root().render())["cls"][5] is None


def test_unknown_column_is_a_clear_error(districts, table):
    with pytest.raises(ValueError, match="no column 'illiteracy'"):
        maps.choropleth(districts, table, column="illiteracy", column_label="Illiteracy")


# ----------------------------------------------------------------------------- offline assets
def test_no_cdn_only_local_leaflet(m):
    page = m.get_root().render()
    assert maps.external_resources(page) == []
    assert "/app/static/vendor/leaflet/leaflet.js" in page
    for cdn in ("jsdelivr", "jquery", "bootstrap", "cloudflare", "fontawesome", "awesome"):
        assert cdn not in page
    assert [u for _, u in m.default_js] == ["/app/static/vendor/leaflet/leaflet.js"]


def test_use_local_assets_drops_cdn_links_of_an_earlier_render():
    import folium

    plain = folium.Map(tiles=None)
    plain.get_root().render()  # CDN links land in the header
    maps.use_local_assets(plain, "/x/leaflet")
    page = plain.get_root().render()
    assert maps.external_resources(page) == [] and '<script src="/x/leaflet/leaflet.js">' in page
    assert folium.Map.default_js[0][1].startswith("https://")  # the class default is untouched


def test_static_serving_off_in_a_running_dashboard_is_a_clear_error(monkeypatch, districts, table):
    import streamlit as st
    from streamlit import runtime

    monkeypatch.setattr(runtime, "exists", lambda: True)
    monkeypatch.setattr(st, "get_option", lambda key: False if key == "server.enableStaticServing" else "")
    with pytest.raises(maps.MissingAssetsError, match="enableStaticServing = true"):
        maps.choropleth(districts, table, column="score", column_label="Score")


def test_missing_assets_say_make_assets(monkeypatch, tmp_path, districts, table):
    monkeypatch.setattr(maps, "LEAFLET_DIR", tmp_path / "nothing")
    with pytest.raises(maps.MissingAssetsError, match="make assets"):
        maps.choropleth(districts, table, column="score", column_label="Score")


def test_installed_assets_are_the_pinned_release():
    import importlib.util

    spec = importlib.util.spec_from_file_location("fetch_assets", maps.ROOT / "scripts" / "fetch_assets.py")
    fetch_assets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fetch_assets)
    assert fetch_assets.missing_files(maps.LEAFLET_DIR.parent) == []


# ----------------------------------------------------------------------------- standalone file
def test_standalone_is_self_contained(m):
    before = m.get_root().render()
    page = maps.standalone_html(m, title="Pockets <v1>", settings={"level": "districts", "weights": "a=2 <b>"})
    assert maps.external_resources(page) == []
    assert not re.search(r"<(script|link|img)\b[^>]*\b(src|href)=[\"']?(https?:)?//", page, re.I)
    leaflet = (maps.LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")
    assert leaflet[:2000] in page and leaflet[-2000:] in page  # Leaflet's code inline
    assert "leaflet-container" in page and "data:image/png;base64," in page  # its CSS, images inline
    assert "<title>Pockets &lt;v1&gt;</title>" in page
    assert "<th>weights</th><td>a=2 &lt;b&gt;</td>" in page
    assert "no data" in page and EVIL_NAME not in page
    # the map itself is left as it was, ready for st_folium
    assert m.get_root().render().count("/app/static/vendor/leaflet/leaflet.js") == 1
    assert len(m.get_root().render()) == len(before)


def test_standalone_after_st_folium_has_each_script_once(districts, table):
    from streamlit_folium import generate_leaflet_string

    m = maps.choropleth(districts, table, column="score", column_label="Score", top=["006"], selected="001")
    m.get_root().render()
    generate_leaflet_string(m)  # what st_folium does: renames every element of the map in place
    page = maps.standalone_html(m, title="t", settings={})
    assert page.count("PK.districts = layer") == 1
    assert page.count('L.control({position: "bottomright"})') == 1
    assert page.count("L.featureGroup().addTo(") == 1
    assert page.count('class="folium-map"') == 1


def test_standalone_refuses_remote_scripts(districts, table):
    from folium.plugins import Fullscreen

    m = maps.choropleth(districts, table, column="score", column_label="Score")
    Fullscreen().add_to(m)  # a plugin whose script comes from a CDN
    with pytest.raises(ValueError, match="cannot be inlined"):
        maps.standalone_html(m, title="t", settings={})


# ----------------------------------------------------------------------------- categorical maps
def test_constant_colours():
    assert maps.CLUSTER_COLOURS == {"HH": "#d7191c", "LL": "#2c7bb6", "HL": "#fdae61", "LH": "#abd9e9",
                                    "not significant": "#eeeeee"}
    assert list(maps.QUADRANT_COLOURS.values()) == ["#b2182b", "#ef8a62", "#67a9cf", "#2166ac"]


def test_cluster_map_has_one_legend_row_per_category_with_counts(districts, table):
    t = table.assign(cluster=["HH", "HH", "no data", "LL", "not significant", None])
    m = maps.category_map(districts, t, column="cluster", column_label="Clusters",
                          colours=maps.CLUSTER_COLOURS, top=["006"])
    legend = _legend(m)
    rows = re.findall(r'background:(#[0-9a-f]{6})"></span><span>([^<]*)</span> <span class="pk-n">\((\d+)\)', legend)
    assert rows == [("#d7191c", "HH", "2"), ("#2c7bb6", "LL", "1"), ("#fdae61", "HL", "0"),
                    ("#abd9e9", "LH", "0"), ("#eeeeee", "not significant", "1")]
    assert re.search(r'pk-nodata"></span><span>no data</span> <span class="pk-n">\(2\)', legend)
    page = m.get_root().render()
    payload = _payload(page)
    assert payload["colours"] == list(maps.CLUSTER_COLOURS.values())
    assert dict(zip(payload["codes"], payload["cls"])) == {"001": 0, "002": 0, "003": None, "004": 1,
                                                           "005": 4, "006": None}
    tips = dict(zip(payload["codes"], payload["tips"]))
    assert "Clusters: HH" in tips["001"] and "Clusters: no data" in tips["006"]
    assert "top 1 by rank" in legend


def test_quadrant_map_via_choropleth_categories(districts, table):
    names = list(maps.QUADRANT_COLOURS)
    t = table.assign(quadrant=[names[0], names[0], names[1], names[2], names[3], np.nan])
    legend = _legend(maps.choropleth(districts, t, column="quadrant", column_label="Need x readiness",
                                     categories=maps.QUADRANT_COLOURS))
    for name, colour, n in zip(names, maps.QUADRANT_COLOURS.values(), (2, 1, 1, 1)):
        assert f'background:{colour}"></span><span>{name}</span> <span class="pk-n">({n})' in legend


def test_category_labels_are_escaped(districts, table):
    evil = {"<b>bold</b>": "#ff0000", "{{ 7*7 }}": "#00ff00"}
    t = table.assign(kind=["<b>bold</b>", "{{ 7*7 }}", None, None, None, None])
    m = maps.category_map(districts, t, column="kind", column_label=EVIL_LABEL, colours=evil)
    legend = _legend(m)
    assert "&lt;b&gt;bold&lt;/b&gt;" in legend and "<b>" not in legend
    page = m.get_root().render()
    assert "<b>bold" not in page and ">49<" not in page
    assert "\\u007b{ 7*7 }}\\u003c/span" in page  # the legend's "{{" cannot start a template expression
    tips = dict(zip(*(_payload(page)[k] for k in ("codes", "tips"))))
    assert "&lt;b&gt;bold&lt;/b&gt;" in tips["001"] and "{{ 7*7 }}" in tips["002"]  # text, not evaluated


def test_uncertain_members_of_the_top_are_dashed(districts, table):
    group = maps.highlight_group(districts, selected="002", top=["006"], uncertain=["005", "006", "nope"])
    outlines = [json.loads(e.payload) for e in maps._walk(group) if isinstance(e, maps._Outlines)]
    assert [o["codes"] for o in outlines] == [["006"], ["005", "006"], ["002"]]
    assert outlines[1]["strokes"][0]["dash"] == maps.UNCERTAIN_STYLE["dash"]
    assert all("dash" not in s for o in (outlines[0], outlines[2]) for s in o["strokes"])
    m = maps.choropleth(districts, table, column="score", column_label="Score", top=["006"], uncertain=["005"])
    assert '"dash":"5 4"' in m.get_root().render()
    assert maps.UNCERTAIN_LABEL + " (1)" in _legend(m) and "dashed" in _legend(m)
    plain = maps.choropleth(districts, table, column="score", column_label="Score", top=["006"])
    assert "dashed" not in _legend(plain) and '"dash"' not in plain.get_root().render()
    apart = maps.choropleth(districts, table, column="score", column_label="Score", uncertain=["005"],
                            highlights=False)
    assert maps.UNCERTAIN_LABEL in _legend(apart) and '"dash"' not in apart.get_root().render()


def test_pre_encoded_shapes_give_the_same_map(districts):
    encoded = maps.encode_shapes(districts)
    assert list(encoded.index) == list(districts.index.astype(str))
    assert _script(maps.base_map(districts, encoded=encoded.iloc[::-1])) == _script(maps.base_map(districts))
