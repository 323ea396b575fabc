"""Tests for the Dask engine: the same numbers as the local engine, on a two-worker cluster.

Points and rasters are the six districts of tests/data/own_data (1 x 1 degree
squares from (0, 0) to (3, 2)) and the zonal fixtures of tests/data, plus small
files generated in tmp_path. Sums and means may differ from the local engine's
in the last bits (added in another order): compared to 1e-9 relative; counts,
minima, maxima, point counts and distances exactly.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin

pytest.importorskip("dask")
pytest.importorskip("distributed")
pytest.importorskip("dask_geopandas")

from distributed import Client, LocalCluster  # noqa: E402

from geo import dask_stats  # noqa: E402
from geo.cli import main  # noqa: E402
from geo.config import EngineConfig, load_config, parse_config  # noqa: E402
from geo.dataset import load_level  # noqa: E402
from geo.engine import DaskEngine, LocalEngine, open_engine  # noqa: E402
from geo.errors import ConfigError, LayerDataError  # noqa: E402

from .conftest import DATA, OWN  # noqa: E402

STATS = ["mean", "sum", "count", "min", "max", "weighted_mean"]
EXACT = ["count", "min", "max"]


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes, as the engine starts them (everything sent is pickled)."""
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster, Client(cluster) as connected:
        yield connected


@pytest.fixture(scope="module")
def dask_engine(client) -> DaskEngine:
    return DaskEngine(client)


@pytest.fixture(scope="module")
def districts() -> gpd.GeoDataFrame:
    return gpd.read_file(OWN / "districts.geojson").set_index("DIST_ID")


@pytest.fixture(scope="module")
def population(districts) -> pd.Series:
    return pd.Series([1000.0, 2000.0, 0.0, 4000.0, np.nan, 6000.0], index=districts.index)


def random_points(n: int, seed: int) -> pd.DataFrame:
    """Points over and around the districts, a tenth of them exactly on district borders."""
    rng = np.random.default_rng(seed)
    lon = np.round(rng.uniform(-0.5, 3.5, n), 3)
    lat = np.round(rng.uniform(-0.5, 2.5, n), 3)
    on_border = rng.random(n) < 0.1
    lon[on_border] = rng.integers(0, 4, on_border.sum()).astype(float)
    return pd.DataFrame({"site": np.arange(n), "longitude": lon, "latitude": lat})


def assert_same_points(local: pd.DataFrame, dask: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(local, dask, check_exact=True)


# ----------------------------------------------------------------------- points


def test_sites_csv_by_hand(dask_engine, districts, population):
    table = dask_engine.point_stats(districts, OWN / "sites.csv", population=population)
    # camp A (0.5, 1.5) and camp B (0.6, 1.4) in 001; clinic C (2.5, 0.5) in 006
    assert table["count"].tolist() == [2, 0, 0, 0, 0, 1]
    assert table["per_100k"].iloc[0] == pytest.approx(200.0)  # 2 / 1,000 * 100,000
    assert np.isnan(table["per_100k"].iloc[2]) and np.isnan(table["per_100k"].iloc[4])  # no people, unknown
    assert table["distance_km"].iloc[[0, 5]].tolist() == [0.0, 0.0]
    local = LocalEngine().point_stats(districts, OWN / "sites.csv", population=population)
    assert_same_points(local, table)


@pytest.mark.parametrize("partitions", [None, 3])
def test_geoparquet_points_equal_local(tmp_path, client, districts, population, partitions):
    frame = random_points(4000, seed=1)
    path = tmp_path / "points.parquet"
    gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.longitude, frame.latitude), crs=4326).to_parquet(
        path, row_group_size=700
    )
    local = LocalEngine().point_stats(districts, path, population=population)
    dask = DaskEngine(client, partitions=partitions).point_stats(districts, path, population=population)
    assert_same_points(local, dask)
    inside = (frame.longitude.between(0, 3) & frame.latitude.between(0, 2)).sum()
    assert dask["count"].sum() == inside  # border points counted once, outside points not at all


def test_csv_points_with_bad_rows_in_several_blocks_equal_local(tmp_path, districts, population, dask_engine, monkeypatch):
    frame = random_points(3000, seed=2).astype({"longitude": object, "latitude": object})
    frame.loc[10, "longitude"] = "abc"
    frame.loc[1500, "latitude"] = None
    frame.loc[2900, "longitude"] = 190.5
    path = tmp_path / "points.csv"
    frame.to_csv(path, index=False)
    monkeypatch.setattr(dask_stats, "_CSV_BLOCKSIZE", 20_000)  # several blocks, the bad rows in different ones
    local = LocalEngine().point_stats(districts, path, population=population, crs="EPSG:32631")
    dask = dask_engine.point_stats(districts, path, population=population, crs="EPSG:32631")
    assert_same_points(local, dask)


def test_points_far_away_give_distances_equal_local(tmp_path, dask_engine, districts):
    far = pd.DataFrame({"x": [5.0, 6.0, -2.0], "y": [1.0, 3.0, -1.0]})
    far.to_parquet(tmp_path / "far.parquet")  # plain Parquet with coordinate columns
    local = LocalEngine().point_stats(districts, tmp_path / "far.parquet")
    dask = dask_engine.point_stats(districts, tmp_path / "far.parquet")
    assert_same_points(local, dask)
    assert (dask["count"] == 0).all() and (dask["distance_km"] > 0).all()


def test_geopackage_points_are_split_and_equal_local(tmp_path, client, districts):
    frame = random_points(500, seed=3)
    path = tmp_path / "points.gpkg"
    gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.longitude, frame.latitude), crs=4326).to_file(path)
    local = LocalEngine().point_stats(districts, path)
    assert_same_points(local, DaskEngine(client, partitions=4).point_stats(districts, path))


def points_with_every_problem(n: int, seed: int) -> pd.DataFrame:
    """Random points with rows missing a coordinate, invalid ones and repeated places, spread through the file."""
    frame = random_points(n, seed).astype({"longitude": object, "latitude": object})
    frame.loc[[7, n // 2, n - 3], "longitude"] = None
    frame.loc[[20, n // 3], "latitude"] = "abc"
    frame.loc[[n // 4, n - 10], "longitude"] = 190.5
    frame.loc[[n - 1, n // 2 + 1], ["longitude", "latitude"]] = frame.loc[[5, 6], ["longitude", "latitude"]].to_numpy()
    return frame


def test_point_report_of_the_test_file_equals_local(dask_engine, districts, population):
    local_stats, local = LocalEngine().point_layer(districts, DATA / "points.csv", population=population,
                                                   layers=["sites"])
    dask_stats_, dask = dask_engine.point_layer(districts, DATA / "points.csv", population=population,
                                                layers=["sites"])
    assert dask == local
    assert_same_points(local_stats, dask_stats_)
    assert dask.lines()[0] == ("points.csv (points of sites): 8 rows; 0 inside a district, 5 outside every district "
                               "(not counted), 1 without coordinates, 2 with invalid coordinates (not used)")


@pytest.mark.parametrize("suffix", [".csv", ".gpkg", ".parquet"])
def test_point_report_across_partitions_equals_local(tmp_path, client, districts, population, monkeypatch, suffix):
    frame = points_with_every_problem(3000, seed=4)
    path = tmp_path / f"points{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
        monkeypatch.setattr(dask_stats, "_CSV_BLOCKSIZE", 20_000)  # several blocks, the bad rows in different ones
    else:
        xs = pd.to_numeric(frame.longitude, errors="coerce")
        ys = pd.to_numeric(frame.latitude, errors="coerce")
        geometry = gpd.points_from_xy(xs, ys)
        geometry[(xs.isna() | ys.isna()).to_numpy()] = None
        points = gpd.GeoDataFrame(frame[["site"]], geometry=geometry, crs=4326)
        points.to_file(path) if suffix == ".gpkg" else points.to_parquet(path, row_group_size=400)
    local_stats, local = LocalEngine().point_layer(districts, path, population=population)
    dask_stats_, dask = DaskEngine(client, partitions=5).point_layer(districts, path, population=population)
    assert dask == local
    assert_same_points(local_stats, dask_stats_)
    assert local.duplicates >= 2 and local.outside and local.inside
    assert len(local.no_coordinates) + len(local.invalid) == 7


def test_filtered_point_report_equals_local(dask_engine, districts):
    sites = DATA / "second_country" / "sites.csv"
    where = {"status": ("open",)}
    local_stats, local = LocalEngine().point_layer(districts, sites, x="east", y="north", where=where)
    dask_stats_, dask = dask_engine.point_layer(districts, sites, x="east", y="north", where=where)
    assert dask == local
    assert_same_points(local_stats, dask_stats_)
    assert (dask.rows, dask.kept, dask.inside, dask.outside, dask.duplicates) == (7, 6, 3, 1, 1)
    assert dask.filter_line == "where status = open keeps 6 of 7 rows"
    assert [r for r, _why in dask.no_coordinates] == [4] and [r for r, _why in dask.invalid] == [5]
    with pytest.raises(LayerDataError, match=r"sites.csv: where names column\(s\) \['state'\], not in the file"):
        dask_engine.point_layer(districts, sites, x="east", y="north", where={"state": ("open",)})


def test_level_on_dask_has_the_local_point_report(dask_engine):
    for config in (load_config(OWN / "config.toml"), load_config(DATA / "second_country" / "config.toml")):
        local = load_level(config, "districts")
        dask = load_level(config, "districts", engine=dask_engine)
        assert local.point_reports and dask.point_reports == local.point_reports
        pd.testing.assert_frame_equal(local.values, dask.values, check_exact=False, rtol=1e-9, atol=0)


# ---------------------------------------------------------------------- rasters


def assert_same_stats(local: pd.DataFrame, dask: pd.DataFrame) -> None:
    assert list(local.columns) == list(dask.columns)
    assert local.index.equals(dask.index)
    for stat in local.columns:
        if stat in EXACT:
            pd.testing.assert_series_equal(local[stat], dask[stat], check_exact=True)
        else:
            pd.testing.assert_series_equal(local[stat], dask[stat], check_exact=False, rtol=1e-9, atol=0)


@pytest.mark.parametrize("chunk_rows", [None, 1, 3])
def test_zonal_fixtures_equal_local(client, chunk_rows):
    zones = gpd.read_file(DATA / "zonal_zones.geojson").set_index("name")  # includes sub-pixel zones
    raster, weights = DATA / "zonal_10x10.tif", DATA / "zonal_weights.tif"
    local = LocalEngine().zonal_stats(zones, raster, stats=STATS, weights=weights)
    dask = DaskEngine(client, chunk_rows=chunk_rows).zonal_stats(zones, raster, stats=STATS, weights=weights)
    assert_same_stats(local, dask)
    assert dask.loc[zones.index[0], ["sum", "count"]].tolist() == [138.0, 12.0]  # as in test_zonal


def write_raster(path: Path, array: np.ndarray, nodata=None) -> Path:
    """A 0.05-degree grid over (-0.25, -0.25)-(3.25, 2.25), 16 x 16 tiles."""
    profile = {
        "driver": "GTiff", "height": array.shape[0], "width": array.shape[1], "count": 1,
        "dtype": array.dtype.name, "crs": "EPSG:4326", "transform": from_origin(-0.25, 2.25, 0.05, 0.05),
        "nodata": nodata, "tiled": True, "blockxsize": 16, "blockysize": 16,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)
    return path


@pytest.fixture(scope="module")
def rasters(tmp_path_factory) -> tuple[Path, Path, Path]:
    """Float values with nodata and NaN pixels, positive weights, and an integer raster with nodata."""
    folder = tmp_path_factory.mktemp("rasters")
    rng = np.random.default_rng(4)
    values = rng.normal(50, 20, (50, 70)).astype(np.float32)
    values[rng.random(values.shape) < 0.05] = -9999
    values[rng.random(values.shape) < 0.05] = np.nan
    values[25:45, 5:25] = -9999  # district 004 (0..1 E, 0..1 N) has no valid pixel
    weights = rng.uniform(0, 100, (50, 70)).astype(np.float32)
    counts = rng.integers(0, 1000, (50, 70)).astype(np.int32)
    counts[:5] = -1
    return (
        write_raster(folder / "values.tif", values, nodata=-9999),
        write_raster(folder / "weights.tif", weights),
        write_raster(folder / "counts.tif", counts, nodata=-1),
    )


@pytest.mark.parametrize("chunk_rows", [None, 7, 16])
def test_generated_rasters_equal_local(client, districts, rasters, chunk_rows):
    values, weights, counts = rasters
    engine = DaskEngine(client, chunk_rows=chunk_rows)
    local = LocalEngine().zonal_stats(districts, values, stats=STATS, weights=weights)
    dask = engine.zonal_stats(districts, values, stats=STATS, weights=weights)
    assert_same_stats(local, dask)
    assert dask.loc["004", "count"] == 0 and np.isnan(dask.loc["004", "mean"])
    stats = ["sum", "count", "min", "max"]
    assert_same_stats(LocalEngine().zonal_stats(districts, counts, stats=stats), engine.zonal_stats(districts, counts, stats=stats))


def test_zonal_errors_are_the_local_ones(dask_engine, districts, rasters):
    with pytest.raises(ConfigError, match="weighted_mean' needs a weight raster"):
        dask_engine.zonal_stats(districts, rasters[0], stats=["weighted_mean"])
    with pytest.raises(ConfigError, match="Stat 'median' not valid"):
        dask_engine.zonal_stats(districts, rasters[0], stats=["median"])


# ---------------------------------------------------------- levels and prepare


def config_with_raster(tmp_path: Path, raster: Path, engine: dict | None = None):
    data = tomllib.loads((OWN / "config.toml").read_text())
    data["layers"]["custom"][3]["stat"] = "per_100k"
    extra = [
        {"id": "site_distance", "points": "sites.csv", "stat": "distance_km"},
        {"id": "night_lights", "raster": str(raster), "stat": "mean"},
    ]
    for spec in extra:
        data["layers"]["custom"].append(
            {**spec, "label": spec["id"], "theme": "infrastructure", "unit": "x", "higher_is_worse": True,
             "kind": "rate", "source": "Generated", "year": 2024, "licence": "CC0"}
        )
    if engine is not None:
        data["engine"] = engine
    return parse_config(data, OWN / "config.toml")


def test_levels_equal_local_including_roll_up(dask_engine, rasters, tmp_path):
    config = config_with_raster(tmp_path, rasters[0])
    for level in ("districts", "provinces"):  # provinces are rolled up from districts
        local = load_level(config, level).values
        dask = load_level(config, level, engine=dask_engine).values
        pd.testing.assert_frame_equal(local, dask, check_exact=False, rtol=1e-9, atol=0)
        assert list(dask.columns) == ["poverty_rate", "unemployment", "no_power", "sites", "site_distance", "night_lights"]


def test_prepare_on_a_local_cluster_then_read_as_a_table(tmp_path, rasters, capsys):
    config_file = tmp_path / "config.toml"
    text = (OWN / "config.toml").read_text().replace('path = "', f'path = "{OWN}/').replace(
        'points = "', f'points = "{OWN}/')
    config_file.write_text(text + '\n[engine]\nkind = "dask"\nworkers = 2\n')  # worker processes
    assert main(["prepare", "--config", str(config_file), "--out", str(tmp_path / "built.parquet")]) == 0
    assert "engine: dask" in capsys.readouterr().err
    built = gpd.read_parquet(tmp_path / "built.parquet")
    assert list(built.columns) == ["code", "name", "parent_code", "parent_name", "population",
                                   "poverty_rate", "unemployment", "no_power", "sites", "geometry"]
    assert built["sites"].tolist() == [2.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    assert built.crs.to_epsg() == 4326

    # The dashboard's configuration reads a built table (GeoParquet or CSV) as an ordinary table,
    # one layer per column.
    assert main(["prepare", "--config", str(OWN / "config.toml"), "--out", str(tmp_path / "built.csv")]) == 0
    expected = load_level(load_config(OWN / "config.toml"), "districts").values
    for built_file in ("built.parquet", "built.csv"):
        dashboard = text.replace('points = "', 'table = "built"\ncolumn = "sites"\n# points = "')
        dashboard = dashboard.replace('[population]', f'[tables.built]\npath = "{tmp_path}/{built_file}"\n'
                                      'key = "code"\nlevel = "districts"\n\n[population]')
        (tmp_path / "dashboard.toml").write_text(dashboard)
        from_table = load_level(load_config(tmp_path / "dashboard.toml"), "districts").values
        pd.testing.assert_frame_equal(from_table, expected)


# ------------------------------------------------------------------- config


def engine_config(section: dict):
    data = tomllib.loads((OWN / "config.toml").read_text())
    data["engine"] = section
    return parse_config(data, OWN / "config.toml").engine


def test_engine_defaults_to_local(own_config):
    assert own_config.engine == EngineConfig(kind="local")
    with open_engine(own_config.engine) as engine:
        assert isinstance(engine, LocalEngine)


def test_dask_engine_settings_are_read():
    settings = engine_config({"kind": "dask", "scheduler": "tcp://10.0.0.5:8786", "partitions": 8, "chunk_rows": 512})
    assert settings == EngineConfig(kind="dask", scheduler="tcp://10.0.0.5:8786", partitions=8, chunk_rows=512)


@pytest.mark.parametrize(
    "section, match",
    [
        ({"kind": "dask", "threads": 2}, r"unknown key 'engine.threads'"),
        ({"kind": "spark"}, r"engine.kind = 'spark' not valid; must be one of \['local', 'dask'\]"),
        ({"kind": "dask", "workers": "two"}, r"engine.workers must be a whole number"),
        ({"kind": "dask", "workers": 0}, r"engine.workers = 0 not valid; must be a whole number >= 1"),
        ({"kind": "dask", "partitions": 2.5}, r"engine.partitions must be a whole number"),
        ({"kind": "dask", "chunk_rows": True}, r"engine.chunk_rows must be a whole number"),
        ({"kind": "dask", "scheduler": "10.0.0.5"}, r"engine.scheduler = '10.0.0.5' is not an address.*tcp://"),
        ({"kind": "dask", "scheduler": "tcp://h:8786", "workers": 2}, r"scheduler and engine.workers are both set"),
        ({"workers": 2}, r"engine.workers only applies to kind = \"dask\""),
    ],
)
def test_engine_mistakes_name_the_key(section, match):
    with pytest.raises(ConfigError, match=match):
        engine_config(section)


@pytest.mark.parametrize("module", ["dask", "distributed", "dask_geopandas"])
def test_missing_dask_says_what_to_install(monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now raises ImportError
    with pytest.raises(ConfigError, match=rf"needs the '{module}' package.*pip install \"dask\[distributed\]\" dask-geopandas"):
        engine_config({"kind": "dask", "workers": 2})
    with pytest.raises(ConfigError, match="pip install"):
        with open_engine(EngineConfig(kind="dask", workers=1)):
            pass
