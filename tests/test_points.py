"""Tests for geo.points: counts, rates and distances by hand; the point reader's report."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon, box

from geo.errors import ConfigError, LayerDataError, MissingCRSError
from geo.points import point_stats, read_points

DATA = Path(__file__).parent / "data"
UNHCR = Path(__file__).resolve().parents[2] / "shared/data/unhcr/displacement_locations.csv"
UTM = "EPSG:32631"


@pytest.fixture()
def squares() -> gpd.GeoDataFrame:
    """Three 10 km squares in UTM 31N: S0 and S1 share the edge x = 510 km; S2 is 20 km east."""
    return gpd.GeoDataFrame(
        {"name": ["S0", "S1", "S2"]},
        geometry=[
            box(500_000, 4_000_000, 510_000, 4_010_000),
            box(510_000, 4_000_000, 520_000, 4_010_000),
            box(540_000, 4_000_000, 550_000, 4_010_000),
        ],
        crs=UTM,
    ).set_index("name")


@pytest.fixture()
def points() -> gpd.GeoDataFrame:
    xy = [
        (505_000, 4_005_000),  # in S0
        (506_000, 4_002_000),  # in S0
        (510_000, 4_005_000),  # on the S0 | S1 edge: counted once, in S0
        (515_000, 4_008_000),  # in S1
        (530_000, 4_005_000),  # in no square, 10 km from S1 and from S2
    ]
    return gpd.GeoDataFrame(geometry=[Point(x, y) for x, y in xy], crs=UTM)


def test_counts_rates_and_distances_by_hand(squares, points):
    population = pd.Series({"S0": 200_000, "S1": 50_000, "S2": 10_000})
    table = point_stats(squares, points, population=population)
    expected = pd.DataFrame(
        {
            "count": [3, 1, 0],
            "per_100k": [1.5, 2.0, 0.0],  # 3 / 200,000 * 100,000 ; 1 / 50,000 * 100,000
            "distance_km": [0.0, 0.0, 10.0],  # S2's west edge (540 km) to the point at 530 km
        },
        index=squares.index,
    )
    pd.testing.assert_frame_equal(table, expected)


def test_point_on_shared_edge_counted_once(squares, points):
    table = point_stats(squares, points)
    assert table["count"].sum() == 4  # five points, one outside, the edge point once
    swapped = point_stats(squares.iloc[[1, 0, 2]], points)
    assert swapped["count"].to_dict() == {"S1": 2, "S0": 2, "S2": 0}  # the edge point goes to the first


def test_without_population_per_100k_is_nan(squares, points):
    assert point_stats(squares, points)["per_100k"].isna().all()


def test_population_aligned_by_index_and_missing_gives_nan(squares, points):
    population = pd.Series({"S2": 10_000, "S0": 300_000})  # other order, S1 missing
    table = point_stats(squares, points, population=population)
    assert table["per_100k"].tolist()[0] == pytest.approx(1.0)
    assert np.isnan(table["per_100k"].iloc[1])
    assert table["per_100k"].iloc[2] == 0.0


def test_population_with_foreign_index_raises(squares, points):
    with pytest.raises(LayerDataError, match="none of its index labels"):
        point_stats(squares, points, population=pd.Series([1, 2, 3]))


def test_points_in_another_crs_and_explicit_metric_crs(squares, points):
    here = point_stats(squares, points)
    lonlat = point_stats(squares, points.to_crs(4326), crs=UTM)
    pd.testing.assert_frame_equal(here[["count"]], lonlat[["count"]])
    np.testing.assert_allclose(lonlat["distance_km"], [0.0, 0.0, 10.0], atol=1e-6)


def test_equidistant_crs_for_distances(squares, points):
    table = point_stats(squares, points, crs="+proj=aeqd +lat_0=36.2 +lon_0=3.3 +datum=WGS84")
    assert table["distance_km"].iloc[2] == pytest.approx(10.0, rel=2e-3)


def test_geographic_metric_crs_raises(squares, points):
    with pytest.raises(ConfigError, match="not projected"):
        point_stats(squares, points, crs=4326)


def test_no_points_gives_zero_counts_and_nan_distance(squares, points):
    table = point_stats(squares, points.iloc[:0])
    assert table["count"].tolist() == [0, 0, 0]
    assert table["distance_km"].isna().all()


def test_missing_crs_and_wrong_geometries_raise(squares, points):
    with pytest.raises(MissingCRSError, match="points: has no CRS"):
        point_stats(squares, points.set_crs(None, allow_override=True))
    with pytest.raises(MissingCRSError, match="zones: has no CRS"):
        point_stats(squares.set_crs(None, allow_override=True), points)
    polygons = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=UTM)
    with pytest.raises(LayerDataError, match=r"geometry types \['Polygon'\]"):
        point_stats(squares, polygons)


def test_inputs_not_mutated(squares, points):
    before_zones, before_points = squares.copy(), points.copy()
    point_stats(squares, points, population=pd.Series({"S0": 1.0}))
    pd.testing.assert_frame_equal(squares, before_zones)
    pd.testing.assert_frame_equal(points, before_points)


# ------------------------------------------------------------------- reader


def test_read_csv_with_point_x_point_y_reports_bad_rows():
    points, report = read_points(DATA / "points.csv")
    assert (report["x"], report["y"], report["rows"], report["kept"]) == ("POINT_X", "POINT_Y", 8, 5)
    assert points.crs.to_epsg() == 4326
    assert points["name"].tolist() == ["Rabat", "Fes", "Marrakech", "Agadir", "Oujda"]
    assert points.geometry.iloc[0].x == pytest.approx(-6.8498)
    # Raw values as read: POINT_X holds text ("abc"), so its values stay strings.
    assert report["dropped"] == [
        {"row": 5, "reason": "x is missing", "x": None, "y": 33.0},
        {"row": 6, "reason": "x 190.5 outside -180..180", "x": "190.5", "y": 34.0},
        {"row": 7, "reason": "x 'abc' is not a number", "x": "abc", "y": 31.0},
    ]


def test_read_csv_detects_longitude_latitude_any_case(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("Site,Latitude,Longitude\na,34.0,-6.8\nb,95.0,-5.0\nc,,\n")
    points, report = read_points(path)
    assert (report["x"], report["y"], report["kept"]) == ("Longitude", "Latitude", 1)
    assert [d["reason"] for d in report["dropped"]] == ["y 95 outside -90..90", "x is missing; y is missing"]
    assert points.index.tolist() == [0]


def test_read_csv_in_a_projected_crs_skips_the_range_check(tmp_path):
    path = tmp_path / "utm.csv"
    path.write_text("easting,northing\n505000,4005000\n")
    points, report = read_points(path, crs=UTM)
    assert report["kept"] == 1 and points.crs.to_epsg() == 32631


def test_read_csv_without_coordinate_columns_names_file_and_columns(tmp_path):
    path = tmp_path / "none.csv"
    path.write_text("site,east,north\na,1,2\n")
    with pytest.raises(LayerDataError, match=r"none\.csv.*no x coordinate column among \['site', 'east', 'north'\]"):
        read_points(path)
    with pytest.raises(LayerDataError, match="x column 'lon' not found"):
        read_points(path, x="lon", y="north")
    points, report = read_points(path, x="east", y="north")
    assert report["kept"] == 1


def test_read_csv_with_ambiguous_columns_raises(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("lon,x,lat\n1,2,3\n")
    with pytest.raises(LayerDataError, match=r"several \(\['lon', 'x'\]\)"):
        read_points(path)


def test_read_vector_file_reports_empty_and_non_point_geometries(tmp_path):
    layer = gpd.GeoDataFrame(
        {"name": ["ok", "area", "empty"]},
        geometry=[Point(-6.8, 34.0), Polygon([(0, 0), (1, 0), (1, 1)]), Point()],
        crs=4326,
    )
    path = tmp_path / "sites.gpkg"
    layer.to_file(path, driver="GPKG")
    points, report = read_points(path)
    assert points["name"].tolist() == ["ok"]
    assert (report["x"], report["rows"], report["kept"]) == (None, 3, 1)
    reasons = {d["row"]: d["reason"] for d in report["dropped"]}
    assert reasons[1] == "geometry is a Polygon, not a Point"
    assert reasons[2] == "geometry is missing"


def test_read_missing_file_raises(tmp_path):
    with pytest.raises(LayerDataError, match="not found"):
        read_points(tmp_path / "absent.csv")


@pytest.mark.skipif(not UNHCR.exists(), reason="UNHCR displacement locations absent")
def test_unhcr_displacement_locations():
    points, report = read_points(UNHCR)
    assert (report["x"], report["y"], report["rows"]) == ("POINT_X", "POINT_Y", 13_733)
    # Measured: 11,445 locations kept; 2,288 rows lack both coordinates and are reported.
    assert report["kept"] + len(report["dropped"]) == report["rows"]
    assert report["kept"] > 11_000
    assert all(d["reason"] for d in report["dropped"])
    assert points.geometry.x.between(-180, 180).all() and points.geometry.y.between(-90, 90).all()
