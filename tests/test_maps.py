"""The map's inputs: classes by hand (geo.classify), geometry once, numbers per view, offline assets, standalone file."""

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

from geo import classify
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
def geometry(districts, table) -> dict:
    return maps.level_geometry(districts, table["name"])


def _array(style: dict, key: str, dtype) -> np.ndarray:
    return np.frombuffer(style[key], dtype=dtype)


# ----------------------------------------------------------------------------- classify
def test_quantiles_by_hand():
    values = pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10], index=list("abcdefghij"))
    classes, bounds = classify.classify(values, "quantiles", 5)
    # quintiles of 1..10 (numpy's linear interpolation): 2.8, 4.6, 6.4, 8.2, 10
    assert classes.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert np.ravel(bounds) == pytest.approx(np.ravel([(1, 2.8), (2.8, 4.6), (4.6, 6.4), (6.4, 8.2), (8.2, 10)]))


def test_equal_interval_by_hand_with_missing():
    values = pd.Series([0.0, np.nan, 10, 4, 6, None], index=list("abcdef"))
    classes, bounds = classify.classify(values, "equal_interval", 2)
    assert bounds == [(0.0, 5.0), (5.0, 10.0)]
    assert classes.iloc[[0, 2, 3, 4]].tolist() == [0, 1, 0, 1]
    assert classes.iloc[[1, 5]].isna().all()  # missing stays missing: its own class, not the lowest or highest
    assert classes.index.tolist() == list("abcdef")


def test_fisher_jenks_by_hand():
    values = pd.Series([1.0, 2, 3, 10, 11, 12, 30, 31, np.nan])
    classes, bounds = classify.classify(values, "fisher_jenks", 3)
    assert bounds == [(1, 3), (3, 12), (12, 31)]
    assert classes.iloc[:8].tolist() == [0, 0, 0, 1, 1, 1, 2, 2]
    assert np.isnan(classes.iloc[8])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fisher_jenks_matches_mapclassify(seed):
    y = np.random.default_rng(seed).gamma(2, 10, 120).round(1)
    for k in (3, 5, 7):
        _, bounds = classify.classify(pd.Series(y), "fisher_jenks", k)
        with warnings.catch_warnings():  # mapclassify notes that numba is missing
            warnings.simplefilter("ignore")
            reference = mapclassify.FisherJenks(y, k=k).bins
        assert [hi for _, hi in bounds] == pytest.approx(list(reference))


@pytest.mark.parametrize("scheme", classify.SCHEMES)
def test_fewer_distinct_values_than_classes(scheme):
    values = pd.Series([1.0, 1, 1, 2, 2, 3, np.nan])
    classes, bounds = classify.classify(values, scheme, 5)
    assert len(bounds) <= 3 if scheme != "equal_interval" else len(bounds) == 3
    assert classes.iloc[:6].notna().all() and np.isnan(classes.iloc[6])
    # every class that holds a value is in range, and values keep their order
    assert classes.iloc[:6].is_monotonic_increasing
    assert classes.max() == len(bounds) - 1
    if scheme != "equal_interval":  # no empty class in quantiles or natural breaks
        assert sorted(classes.dropna().unique()) == list(range(len(bounds)))


@pytest.mark.parametrize("scheme", classify.SCHEMES)
def test_constant_and_empty_values(scheme):
    classes, bounds = classify.classify(pd.Series([4.0, 4.0, np.nan]), scheme, 5)
    assert bounds == [(4.0, 4.0)] and classes.tolist()[:2] == [0, 0] and np.isnan(classes.iloc[2])
    classes, bounds = classify.classify(pd.Series([np.nan, np.nan]), scheme, 5)
    assert bounds == [] and classes.isna().all()


def test_unknown_scheme_names_the_allowed_ones():
    with pytest.raises(ValueError, match="quantiles, fisher_jenks, equal_interval"):
        classify.classify(pd.Series([1.0, 2.0]), "jenks", 3)
    with pytest.raises(ValueError, match="between 2 and 9"):
        classify.classify(pd.Series([1.0, 2.0]), "quantiles", 12)


@pytest.mark.parametrize("palette", list(classify.PALETTES))
def test_palettes_give_2_to_9_distinct_colours(palette):
    for k in range(2, 10):
        colours = classify.palette_colours(palette, k)
        assert len(colours) == len(set(colours)) == k
        assert classify.NO_DATA_COLOUR not in colours
    with pytest.raises(ValueError, match="YlOrRd"):
        classify.palette_colours("rainbow", 5)


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



# ----------------------------------------------------------------------------- "lower is worse"
def test_lower_is_worse_is_darkest_at_the_lowest_values():
    jobs = pd.Series([1.0, 5.0, 9.0], index=list("abc"))
    up = classify.map_classes(jobs, scheme="equal_interval", k=3, higher_is_worse=True)
    down = classify.map_classes(jobs, scheme="equal_interval", k=3, higher_is_worse=False)
    assert up.classes.tolist() == down.classes.tolist() == [0, 1, 2]  # the same breaks everywhere
    darkest = classify.palette_colours("YlOrRd", 3)[-1]
    assert up.colours[2] == darkest and down.colours[0] == darkest  # darker = more need
    assert "lower values = more need" in down.direction and "higher values" in up.direction
    assert down.legend_order() == [0, 1, 2] and up.legend_order() == [2, 1, 0]  # legend: most need first


def test_category_classes_keep_order_and_count_no_data():
    mc = classify.category_classes(pd.Series(["HH", "HH", "no data", "LL", "not significant", None]),
                                   classify.CLUSTER_COLOURS)
    assert mc.counts == [2, 1, 0, 0, 1] and mc.missing == 2
    assert mc.colours == list(classify.CLUSTER_COLOURS.values()) and mc.categorical


# ----------------------------------------------------------------------------- geometry, once
def test_level_geometry_carries_codes_names_points_and_order(districts, table, geometry):
    assert geometry["codes"] == ["001", "002", "003", "004", "005", "006"]
    assert geometry["names"][1] == EVIL_NAME  # raw here; the client writes it as text
    assert len(geometry["geoms"]) == len(geometry["at"]) == 6 and sorted(geometry["order"]) == list(range(6))
    for (lat, lon), shape in zip(geometry["at"], districts):
        assert shape.contains(shapely.Point(lon, lat)) or shape.touches(shapely.Point(lon, lat))
    assert geometry["wrap"] is False


def test_initial_view_frames_the_population():
    lons, lats = np.array([0.0, 1.0, 2.0, 40.0]), np.array([0.0, 1.0, 2.0, 40.0])
    west, south, east, north = maps.population_bounds(lons, lats, np.array([1e6, 1e6, 1e6, 10.0]))
    assert east < 3 and north < 3  # the empty far corner is left out
    assert maps.population_bounds(lons, lats, None)[2] > 39  # without population, every district counts


def test_configured_bounds_win_and_can_cross_the_antimeridian(districts):
    g = maps.level_geometry(districts, bounds=[0.5, 0.5, 2.5, 1.5])
    assert g["view_bounds"] == [0.5, 0.5, 2.5, 1.5]
    fiji = gpd.GeoSeries([shapely.box(177.0, -18.5, 178.5, -17.0), shapely.box(-180.0, -17.0, -179.0, -16.0)],
                         index=["west", "east"], crs=4326)
    g = maps.level_geometry(fiji, bounds=[177, -21, -178, -12])
    assert g["wrap"] is True and g["view_bounds"] == [177.0, -21.0, 182.0, -12.0]
    assert g["at"][1][1] > 180  # the island east of the antimeridian follows on, not 358 degrees away
    auto = maps.level_geometry(fiji)
    assert auto["wrap"] is True and auto["view_bounds"][2] - auto["view_bounds"][0] < 10


def test_geometry_file_is_named_by_its_content(tmp_path, geometry):
    name = maps.geometry_file(geometry, tmp_path)
    assert re.fullmatch(r"geometry-[0-9a-f]{20}\.json", name)
    assert maps.geometry_file(dict(geometry), tmp_path) == name  # same content, same file, written once
    assert json.loads((tmp_path / name).read_text(encoding="utf-8"))["codes"] == geometry["codes"]
    other = maps.geometry_file({**geometry, "names": ["x"] * 6}, tmp_path)
    assert other != name and len(list(tmp_path.glob("geometry-*.json"))) == 2
    assert "<img" not in (tmp_path / name).read_text(encoding="utf-8")  # escaped even as JSON


# ----------------------------------------------------------------------------- points and towns, once
def test_points_round_trip_through_the_client_encoding():
    lonlat = np.array([[-7.12345, 33.5], [-7.1, 33.51234], [179.99999, -89.9], [-7.1, 33.51234]])
    decoded = _decode(maps.encode_points(lonlat))[:-1]  # the client drops the closing point too
    np.testing.assert_allclose(decoded, lonlat, atol=1e-9)
    assert maps.encode_points(np.empty((0, 2))) == ""


def test_points_file_holds_the_drawn_points_once_named_by_content(tmp_path):
    from geo.points import placed_points

    second = OWN.parent / "second_country"
    zones = gpd.read_file(second / "districts.fgb").set_index("ADM2_PCODE")
    lonlat, rows = placed_points(zones, second / "sites.csv", x="east", y="north", where={"status": ("open",)})
    # S1 and S2 at one place, S3 inside; S4 outside, S5 without and S6 with invalid coordinates, S7 closed
    assert lonlat.tolist() == [[0.5, 1.5], [0.5, 1.5], [2.5, 0.5]] and rows == 7
    payload = maps.map_points([{"label": "Open sites <b>", "lonlat": lonlat, "rows": rows}])
    name = maps.points_file(payload, tmp_path)
    assert re.fullmatch(r"points-[0-9a-f]{20}\.json", name)
    assert maps.points_file(maps.map_points([{"label": "Open sites <b>", "lonlat": lonlat, "rows": rows}]),
                            tmp_path) == name  # same points, same file, written once
    text = (tmp_path / name).read_text(encoding="utf-8")
    assert "<b>" not in text  # escaped even as JSON
    group = json.loads(text)["groups"][0]
    assert (group["label"], group["n"], group["rows"]) == ("Open sites <b>", 3, 7)
    np.testing.assert_allclose(_decode(group["pts"])[:-1], lonlat, atol=1e-9)
    assert json.loads(text)["wrap"] is False
    assert len(list(tmp_path.glob("points-*.json"))) == 1


def test_largest_towns_are_the_most_populous_urban_communes(default_config):
    from geo.dataset import load_level

    communes = load_level(default_config, "communes", layers=[])
    towns = maps.largest_towns(communes.districts, communes.population, 5, {"type": ("urban",)})
    assert towns["name"].tolist() == ["Casablanca", "Tanger", "Fès", "Marrakech", "Salé"]
    assert towns["population"].tolist() == [3215935, 1275428, 1167842, 1002697, 945101]
    casablanca = communes.districts.geometry.to_crs(4326).loc[towns.index[0]]
    assert casablanca.contains(shapely.Point(towns["lon"].iloc[0], towns["lat"].iloc[0]))
    geometry = maps.level_geometry(gpd.GeoSeries([shapely.box(-10, 28, -1, 36)], index=["x"], crs=4326),
                                   towns=towns)
    assert [t["name"] for t in geometry["towns"]] == towns["name"].tolist()


# ----------------------------------------------------------------------------- numbers, per view
def test_style_sends_numbers_aligned_with_the_geometry(geometry, table):
    mc = classify.map_classes(table["score"], k=3)
    keep = pd.Series(True, index=table.index)
    keep["005"] = False
    style = maps.map_style(geometry["codes"], table.iloc[::-1], mc, column="score", label=EVIL_LABEL,
                           shown=keep, selected="004", top=["006", "nope", "005"], uncertain=["002"])
    cls = _array(style, "cls", np.int8)
    assert cls.tolist() == [0, 0, maps.NO_DATA, 1, maps.HIDDEN, 2]  # in the geometry's order, not the table's
    assert _array(style, "rank", "<u2").tolist() == [5, 4, 0, 3, 2, 1]
    np.testing.assert_allclose(_array(style, "value", "<f4")[[0, 1, 3]], [12, 25, 47])
    assert np.isnan(_array(style, "value", "<f4")[2])
    assert style["top"] == [5, 4] and style["uncertain"] == [1] and style["selected"] == 3
    assert style["legend"]["title"] == EVIL_LABEL and style["legend"]["missing"] == 1
    assert style["legend"]["order"] == [2, 1, 0] and "score" not in style  # the score is the value


def test_style_of_another_column_carries_the_score_and_main_contributions(geometry, table):
    t = table.assign(jobs=[5.0, 4, 3, 2, 1, 0])
    contrib = pd.DataFrame({"a": [3.0, 0, 0, 1, 1, 1], "b": [1.0, 0, 0, 2, 2, 2], "c": [0.0, 0, 0, 3, 3, 3]},
                           index=t.index)
    style = maps.map_style(geometry["codes"], t, classify.map_classes(t["jobs"], k=3, higher_is_worse=False),
                           column="jobs", label="Jobs", contributions=contrib,
                           contribution_labels={"a": "Illiteracy", "b": "No toilet"})
    assert _array(style, "score", "<u2").tolist()[:2] == [1200, 2500] and _array(style, "score", "<u2")[2] == 65535
    picks = _array(style, "contrib", np.uint8).reshape(-1, 3)
    assert picks[0].tolist() == [0, 1, 255] and picks[1].tolist() == [255, 255, 255] and picks[3].tolist() == [2, 1, 0]
    assert style["contrib_labels"] == ["Illiteracy", "No toilet", "c"]
    assert "lower values = more need" in style["legend"]["direction"]


def test_style_is_small(geometry, table):
    style = maps.map_style(geometry["codes"], table, classify.map_classes(table["score"], k=3), column="score",
                           label="Score")
    assert len(maps._js(style)) < 1500


def test_unknown_column_is_a_clear_error(geometry, table):
    with pytest.raises(ValueError, match="no column 'illiteracy'"):
        maps.map_style(geometry["codes"], table, classify.map_classes(table["score"]), column="illiteracy",
                       label="Illiteracy")


# ----------------------------------------------------------------------------- offline assets
def test_static_serving_off_in_a_running_dashboard_is_a_clear_error(monkeypatch):
    import streamlit as st
    from streamlit import runtime

    monkeypatch.setattr(runtime, "exists", lambda: True)
    monkeypatch.setattr(st, "get_option", lambda key: False if key == "server.enableStaticServing" else "")
    with pytest.raises(maps.MissingAssetsError, match="enableStaticServing = true"):
        maps.check_static_serving()


def test_missing_assets_say_make_assets(monkeypatch, tmp_path, geometry, table):
    monkeypatch.setattr(maps, "LEAFLET_DIR", tmp_path / "nothing")
    style = maps.map_style(geometry["codes"], table, classify.map_classes(table["score"]), column="score", label="S")
    with pytest.raises(maps.MissingAssetsError, match="make assets"):
        maps.standalone_html(geometry, style, title="t", settings={})


def test_static_urls_follow_the_base_path(monkeypatch):
    import streamlit as st

    monkeypatch.setattr(st, "get_option", lambda key: "/pockets/" if key == "server.baseUrlPath" else None)
    assert maps.static_url("maps", "geometry-1.json") == "/pockets/app/static/maps/geometry-1.json"
    assert maps.default_asset_url() == "/pockets/app/static/vendor/leaflet"


def test_client_is_javascript_files_not_python_strings():
    for name in ("pockets-map.js", "component.js", "index.html", "pockets-map.css"):
        assert (maps.CLIENT_DIR / name).is_file()
    source = (maps.ROOT / "ui" / "maps.py").read_text(encoding="utf-8")
    assert "function (" not in source and "L.geoJSON" not in source


def test_installed_assets_are_the_pinned_release():
    import importlib.util

    spec = importlib.util.spec_from_file_location("fetch_assets", maps.ROOT / "scripts" / "fetch_assets.py")
    fetch_assets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fetch_assets)
    assert fetch_assets.missing_files(maps.LEAFLET_DIR.parent) == []



# ----------------------------------------------------------------------------- standalone file
def test_standalone_is_self_contained(geometry, table):
    style = maps.map_style(geometry["codes"], table, classify.map_classes(table["score"], k=3), column="score",
                           label=EVIL_LABEL, top=["006"])
    page = maps.standalone_html(geometry, style, title="Pockets <v1>",
                                settings={"level": "districts", "weights": "a=2 <b>"})
    assert maps.external_resources(page) == []
    assert not re.search(r"<(script|link|img)\b[^>]*\b(src|href)=[\"']?(https?:)?//", page, re.I)
    leaflet = (maps.LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")
    assert leaflet[:2000] in page and leaflet[-2000:] in page  # Leaflet's code inline
    client = (maps.CLIENT_DIR / "pockets-map.js").read_text(encoding="utf-8")
    assert client[:1000] in page  # the same client as the dashboard's
    assert "leaflet-container" in page and "data:image/png;base64," in page  # its CSS, images inline
    assert "<title>Pockets &lt;v1&gt;</title>" in page
    assert "<th>weights</th><td>a=2 &lt;b&gt;</td>" in page
    assert EVIL_NAME not in page and "<script>alert(2)" not in page
    assert page.count("<script") == page.count("</script>")  # no string closes a script early


def test_display_bounds_are_checked():
    from geo.config import ConfigError, _bounds

    assert _bounds([177, -21, -178, -12], "config.toml") == (177.0, -21.0, -178.0, -12.0)  # across 180
    assert _bounds(None, "config.toml") is None
    for bad in ([1, 2, 3], [0, 10, 5, 5], ["a", 0, 1, 1], [0, -95, 1, 1]):
        with pytest.raises(ConfigError, match=r"display\.bounds.*\[west, south, east, north\]"):
            _bounds(bad, "config.toml")
