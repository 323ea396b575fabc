import zipfile

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from geo.errors import BoundaryError, LayerDataError, MissingCRSError
from geo.io import read_boundaries, read_table, write_table

from .conftest import OWN


def test_reads_codes_as_text_with_leading_zeros():
    gdf, rep = read_boundaries(OWN / "districts.geojson", id_field="DIST_ID", name_field="DIST_NAME",
                               parent_field="PROV_ID")
    assert gdf.index.tolist() == ["001", "002", "003", "004", "005", "006"]
    assert gdf["parent_code"].tolist()[:1] == ["01"]
    assert gdf.crs.to_epsg() == 4326 and rep.repaired == 0


def test_missing_field_names_the_available_ones():
    with pytest.raises(BoundaryError, match=r"field\(s\) \['ID'\] not found; available fields: \['DIST_ID'"):
        read_boundaries(OWN / "districts.geojson", id_field="ID")


def test_no_crs_is_an_error(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["1"]}, geometry=[box(0, 0, 1, 1)])
    path = tmp_path / "nocrs.geojson"
    gdf.to_file(path)
    # GeoJSON implies WGS84; a shapefile without .prj has no CRS
    shp = tmp_path / "nocrs.shp"
    gdf.to_file(shp)
    with pytest.raises(MissingCRSError, match="no coordinate reference system"):
        read_boundaries(shp, id_field="id")


def test_invalid_geometry_repaired_and_counted(tmp_path):
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    gdf = gpd.GeoDataFrame({"id": ["1", "2"]}, geometry=[bowtie, box(2, 2, 3, 3)], crs="EPSG:4326")
    path = tmp_path / "bad.gpkg"
    gdf.to_file(path)
    out, rep = read_boundaries(path, id_field="id")
    assert rep.repaired == 1 and out.geometry.is_valid.all()
    assert out.geometry.iloc[0].area == pytest.approx(0.5)


def test_duplicate_codes_rejected(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["01", "01"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326")
    gdf.to_file(tmp_path / "dup.gpkg")
    with pytest.raises(BoundaryError, match=r"duplicate codes \['01'\]"):
        read_boundaries(tmp_path / "dup.gpkg", id_field="id")


def test_projected_coordinates_mislabelled_as_wgs84(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["1"]}, geometry=[box(500000, 3000000, 510000, 3010000)], crs="EPSG:4326")
    gdf.to_file(tmp_path / "mislabelled.gpkg")
    with pytest.raises(BoundaryError, match="outside the range"):
        read_boundaries(tmp_path / "mislabelled.gpkg", id_field="id")


def test_zipped_shapefile_and_missing_prj(tmp_path):
    gdf = gpd.read_file(OWN / "districts.geojson")
    gdf.to_file(tmp_path / "d.shp")
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as zf:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            zf.write(tmp_path / f"d.{ext}", f"d.{ext}")
    out, _ = read_boundaries(good, id_field="DIST_ID")
    assert out.index.tolist()[0] == "001"
    bad = tmp_path / "noprj.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        for ext in ("shp", "shx", "dbf"):
            zf.write(tmp_path / f"d.{ext}", f"d.{ext}")
    with pytest.raises(MissingCRSError, match=r"no \.prj"):
        read_boundaries(bad, id_field="DIST_ID")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../x.shp", b"")
    with pytest.raises(BoundaryError, match="leave the archive"):
        read_boundaries(evil, id_field="id")


def test_corrupt_file_is_a_clear_error(tmp_path):
    p = tmp_path / "broken.gpkg"
    p.write_bytes(b"not a geopackage")
    with pytest.raises(BoundaryError, match="cannot read it as a vector dataset"):
        read_boundaries(p, id_field="id")


def test_read_table_semicolon_decimal_comma_and_text_keys():
    t = read_table(OWN / "indicators.csv", key="DISTRICT_CODE")
    assert t["DISTRICT_CODE"].tolist()[0] == "001"
    assert t["poor_share"].tolist()[:2] == [0.10, 0.30]
    assert t["poor_share"].isna().sum() == 1


def test_read_table_latin1(tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes("code,name,v\n01,Fès,1.5\n".encode("latin-1"))
    t = read_table(p, key="code")
    assert t["name"].iloc[0] == "Fès" and t["code"].iloc[0] == "01"


def test_read_table_missing_key(tmp_path):
    with pytest.raises(LayerDataError, match="key column 'id' not found"):
        read_table(OWN / "indicators.csv", key="id")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".gpkg", ".geojson"])
def test_exports_round_trip(tmp_path, suffix):
    gdf = gpd.GeoDataFrame(
        {"code": ["001", "002"], "name": ["الرباط", "Fès"], "score": [1 / 3, 2 / 3]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326",
    )
    path = write_table(gdf, tmp_path / f"out{suffix}", metadata={"level": "x"})
    if suffix == ".csv":
        back = pd.read_csv(path, dtype={"code": str})
    elif suffix == ".xlsx":
        back = pd.read_excel(path, sheet_name="ranking", dtype={"code": str})
        assert pd.read_excel(path, sheet_name="settings")["value"].tolist() == ["x"]
    else:
        back = gpd.read_file(path)
    assert back["code"].tolist() == ["001", "002"]
    assert back["name"].tolist() == ["الرباط", "Fès"]
    assert back["score"].tolist() == [1 / 3, 2 / 3]
